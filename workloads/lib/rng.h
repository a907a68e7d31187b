/*
 * A tiny deterministic PRNG for workloads (splitmix64): the same seed gives
 * the same pictures in the guest, in the Linux build and in the tests.
 */
#ifndef DIRTYBENCH_RNG_H
#define DIRTYBENCH_RNG_H

#include <stdint.h>

struct rng {
	uint64_t state;
};

static inline void rng_seed(struct rng *r, uint64_t seed)
{
	r->state = seed;
}

static inline uint64_t rng_next(struct rng *r)
{
	uint64_t z = (r->state += 0x9e3779b97f4a7c15ull);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

/* Uniform in [0, n), n > 0 (n == 0 gives 0). Lemire's multiply-shift with
 * rejection, so there is no modulo bias and no 128-bit division (which
 * would need libgcc in the guest). */
static inline uint64_t rng_below(struct rng *r, uint64_t n)
{
	if (n == 0)
		return 0;
	unsigned __int128 m = (unsigned __int128)rng_next(r) * n;
	uint64_t low = (uint64_t)m;
	if (low < n) {
		uint64_t threshold = -n % n;
		while (low < threshold) {
			m = (unsigned __int128)rng_next(r) * n;
			low = (uint64_t)m;
		}
	}
	return (uint64_t)(m >> 64);
}

#endif
