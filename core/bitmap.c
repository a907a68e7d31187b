/* Bitmap operations over 64-bit words; the tail word is kept clean. */
#include "core/bitmap.h"

void bitmap_fill(uint64_t *map, size_t bits)
{
	memset(map, 0xff, bits / 64 * sizeof(*map));
	if (bits % 64)
		map[bits / 64] = (1ull << (bits % 64)) - 1;
}

void bitmap_set_range(uint64_t *map, size_t first, size_t count)
{
	size_t end = first + count;

	while (first < end && first % 64) {
		bitmap_set(map, first);
		first++;
	}
	for (; first + 64 <= end; first += 64)
		map[first / 64] = ~0ull;
	for (; first < end; first++)
		bitmap_set(map, first);
}

size_t bitmap_weight(const uint64_t *map, size_t bits)
{
	size_t n = 0;

	for (size_t i = 0; i < BITMAP_WORDS(bits); i++)
		n += (size_t)__builtin_popcountll(map[i]);
	return n;
}

void bitmap_or(uint64_t *dst, const uint64_t *src, size_t bits)
{
	for (size_t i = 0; i < BITMAP_WORDS(bits); i++)
		dst[i] |= src[i];
}

size_t bitmap_count_missing(const uint64_t *want, const uint64_t *have, size_t bits)
{
	size_t n = 0;

	for (size_t i = 0; i < BITMAP_WORDS(bits); i++)
		n += (size_t)__builtin_popcountll(want[i] & ~have[i]);
	return n;
}

bool bitmap_subset(const uint64_t *want, const uint64_t *have, size_t bits)
{
	for (size_t i = 0; i < BITMAP_WORDS(bits); i++)
		if (want[i] & ~have[i])
			return false;
	return true;
}
