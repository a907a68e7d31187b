/* Rectangle to tile bits for the pvbitmap frontend; see pvmark.h. */
#include "workloads/lib/pvmark.h"

/* Bits lo..hi (inclusive, 0..63) set. */
static uint64_t pvmark_bits(uint32_t lo, uint32_t hi)
{
	return (~0ull >> (63 - hi)) & (~0ull << lo);
}

/* The inclusive tile span [*first, *last] of pixels [p, p+len) at tile size
 * t over n tiles; 0 when it is empty or off the grid. */
static int pvmark_span(uint32_t p, uint32_t len, uint32_t t, uint32_t n,
		       uint32_t *first, uint32_t *last)
{
	/* 32-bit divisions (cheaper); p + len may wrap, the grid ends well before. */
	uint32_t end = len - 1 > UINT32_MAX - p ? UINT32_MAX : p + len - 1;

	if (!len || !t || p / t >= n)
		return 0;
	*first = p / t;
	*last = end / t >= n ? n - 1 : end / t;
	return 1;
}

/* One plain OR per word and strip: the guest is the only writer of the active
 * bitmap (see workloads/guest/pvfront.c for why no atomics are needed). */
void pvmark_rect(const struct pvmark_grid *g, uint64_t *bitmap,
		 uint32_t x, uint32_t y, uint32_t w, uint32_t h)
{
	uint32_t c0, c1, r0, r1;

	if (!pvmark_span(x, w, g->tile_w, g->cols, &c0, &c1) ||
	    !pvmark_span(y, h, g->tile_h, g->rows, &r0, &r1))
		return;
	for (uint32_t k = c0 / 64; k <= c1 / 64; k++) {
		uint64_t bits = pvmark_bits(k == c0 / 64 ? c0 % 64 : 0, k == c1 / 64 ? c1 % 64 : 63);
		uint64_t *word = bitmap + (uint64_t)r0 * g->words_per_row + k;

		for (uint32_t r = r0; r <= r1; r++, word += g->words_per_row)
			*word |= bits;
	}
}
