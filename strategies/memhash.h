/* memhash's hash, for the tests: the value of one tile of a buffer. */
#ifndef DIRTYBENCH_MEMHASH_H
#define DIRTYBENCH_MEMHASH_H

#include <stddef.h>
#include <stdint.h>

struct strategy;

/* Two NH iterations (UMAC's Toeplitz pair): 16 bytes a tile. */
struct memhash_value {
	uint64_t h[2];
};

/* A tile's running sums, four lanes an iteration (the AVX2 kernel's). */
struct nh_lanes {
	uint64_t lane[2][4];
};


/* The hash of tile `tile` of buf (a framebuffer of s's geometry), with s's
 * key and kernel. */
struct memhash_value memhash_tile(const struct strategy *s, const uint8_t *buf, size_t tile);

#endif
