/*
 * The pvbitmap frontend's marking: which tiles a damage rectangle covers, as
 * bits in a row-major tile bitmap. Pure C with no library calls, so the guest
 * runtime and the host's unit tests compile the same code.
 */
#ifndef DIRTYBENCH_PVMARK_H
#define DIRTYBENCH_PVMARK_H

#include <stdint.h>

/* A tiling and the bitmap layout that holds it: bit (c % 64) of word
 * row * words_per_row + c / 64 is the tile in column c of that row. */
struct pvmark_grid {
	uint32_t tile_w, tile_h;
	uint32_t cols, rows;
	uint32_t words_per_row;
};

/* OR into bitmap every tile [x, x+w) x [y, y+h) touches; parts off the grid
 * are clipped, an empty rectangle marks nothing. */
void pvmark_rect(const struct pvmark_grid *g, uint64_t *bitmap,
		 uint32_t x, uint32_t y, uint32_t w, uint32_t h);

#endif
