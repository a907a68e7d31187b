/* Plain bitmaps of 64-bit words, the currency of dirty tracking. */
#ifndef DIRTYBENCH_BITMAP_H
#define DIRTYBENCH_BITMAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#define BITMAP_WORDS(bits) (((bits) + 63) / 64)

static inline void bitmap_set(uint64_t *map, size_t bit)
{
	map[bit / 64] |= 1ull << (bit % 64);
}

static inline bool bitmap_test(const uint64_t *map, size_t bit)
{
	return map[bit / 64] >> (bit % 64) & 1;
}

static inline void bitmap_zero(uint64_t *map, size_t bits)
{
	memset(map, 0, BITMAP_WORDS(bits) * sizeof(*map));
}

static inline bool bitmap_empty(const uint64_t *map, size_t bits)
{
	for (size_t w = 0; w < BITMAP_WORDS(bits); w++)
		if (map[w])
			return false;
	return true;
}

void bitmap_fill(uint64_t *map, size_t bits);
void bitmap_set_range(uint64_t *map, size_t first, size_t count);
size_t bitmap_weight(const uint64_t *map, size_t bits);
void bitmap_or(uint64_t *dst, const uint64_t *src, size_t bits);
/* Bits set in want but not in have. */
size_t bitmap_count_missing(const uint64_t *want, const uint64_t *have, size_t bits);
/* True when every bit of want is also in have. */
bool bitmap_subset(const uint64_t *want, const uint64_t *have, size_t bits);

#endif
