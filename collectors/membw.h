/*
 * The memory-bandwidth floor of a full-screen compare: the best time to
 * compare two equal buffers of a framebuffer's size, i.e. to read 2 * bytes.
 * A strategy that reads the whole screen and its shadow cannot beat it, so a
 * compare strategy's scan time is judged against it (scan_to_floor_ratio).
 *
 * The floor is measured cold (both buffers flushed from the caches before
 * every repetition): a scan runs once per period and, measured here, finds
 * its 2 x 8 MB evicted from a shared L3 after ~16 ms even when the scan
 * thread only spins (other tenants run on the same socket). The hot figure
 * (buffers cache-resident, back-to-back repetitions) is kept beside it:
 * what a scan could cost if nothing else touched the cache.
 */
#ifndef DIRTYBENCH_MEMBW_H
#define DIRTYBENCH_MEMBW_H

#include <stddef.h>

#define MEMBW_REPS 20

struct membw_floor {
	double cold_ns;         /* the floor: best of reps, faster method, caches flushed */
	double hot_ns;          /* best of reps, faster method, buffers cached */
	const char *cold_method, *hot_method;   /* "avx2-loop" or "glibc-memcmp" */
	unsigned reps;
};

/* Measure on the calling thread (pin it first). 0, or -1 when out of memory. */
int membw_measure(size_t bytes, unsigned reps, struct membw_floor *out);
/* The (cold) floor in ns with MEMBW_REPS repetitions; < 0 when unmeasurable. */
double membw_floor_ns(size_t bytes);

#endif
