/* The tiles a pixel rectangle covers, for strategies that receive rectangles
 * (pvrects, virtio-gpu). Clipped to the screen, as QEMU's back ends clip
 * (hw/display/xenfb.c, xenfb_handle_events: "bogus update clipped"). */
#ifndef DIRTYBENCH_RECT_TILES_H
#define DIRTYBENCH_RECT_TILES_H

#include <stdint.h>

#include "core/bitmap.h"
#include "core/fbgeom.h"

/* 0, or -1 when nothing of it is on the screen. */
static inline int rect_tiles_set(const struct fb_geometry *g, uint32_t x, uint32_t y, uint32_t w, uint32_t h,
				 uint64_t *tiles)
{
	if (!w || !h || x >= g->width || y >= g->height)
		return -1;
	if (w > g->width - x)
		w = g->width - x;
	if (h > g->height - y)
		h = g->height - y;
	uint32_t c0 = x / g->tile_w, c1 = (x + w - 1u) / g->tile_w;

	for (uint32_t row = y / g->tile_h; row <= (y + h - 1u) / g->tile_h; row++)
		bitmap_set_range(tiles, (size_t)row * g->cols + c0, c1 - c0 + 1);
	return 0;
}

#endif
