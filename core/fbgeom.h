/*
 * Framebuffer geometry and its tiling. The default tiling is the seed's: the
 * screen cut into up to 64 vertical and 128 horizontal strips.
 */
#ifndef DIRTYBENCH_FBGEOM_H
#define DIRTYBENCH_FBGEOM_H

#include <stdint.h>
#include <stddef.h>

#define FB_BYTES_PER_PIXEL 4
#define FB_PAGE_SIZE 4096u
#define FB_SEED_TILE_COLS 64
#define FB_SEED_TILE_ROWS 128

struct fb_geometry {
	uint32_t width, height;
	uint32_t stride;        /* bytes per scanline */
	size_t bytes;           /* stride * height */
	size_t pages;           /* 4 KiB pages covering bytes */
	uint32_t tile_w, tile_h;
	uint32_t cols, rows;    /* tiles across and down */
	size_t ntiles;
};

/* tile_w/tile_h 0: the seed's 64x128 strips. Returns 0 or -1 with a reason. */
int fb_geometry_init(struct fb_geometry *g, uint32_t width, uint32_t height,
		     uint32_t tile_w, uint32_t tile_h, char *err, size_t errlen);

/* Bytes of framebuffer inside tile t (edge tiles are smaller). */
size_t fb_tile_bytes(const struct fb_geometry *g, size_t tile);
/* Tile t's rectangle in pixels; returns its first byte's offset. */
size_t fb_tile_rect(const struct fb_geometry *g, size_t t, uint32_t *x, uint32_t *y, uint32_t *w, uint32_t *h);
/* Copy tile t from src to dst (both whole framebuffers of geometry g). */
void fb_copy_tile(const struct fb_geometry *g, size_t t, uint8_t *dst, const uint8_t *src);
/* The same, returning how many of the tile's bytes changed in dst. */
size_t fb_copy_tile_count(const struct fb_geometry *g, size_t t, uint8_t *dst, const uint8_t *src);
/* Does tile t hold the same bytes in a and b? */
int fb_tile_equal(const struct fb_geometry *g, size_t t, const uint8_t *a, const uint8_t *b);

#endif
