/* Framebuffer geometry, tiling, and the sanity limits on both. */
#include <stdio.h>
#include <string.h>

#include "core/fbgeom.h"
#include "include/protocol.h"

#define FB_MIN_DIM 64
#define FB_MAX_DIM 8192

static uint32_t div_up(uint32_t a, uint32_t b)
{
	return (a + b - 1) / b;
}

int fb_geometry_init(struct fb_geometry *g, uint32_t width, uint32_t height,
		     uint32_t tile_w, uint32_t tile_h, char *err, size_t errlen)
{
	if (width < FB_MIN_DIM || height < FB_MIN_DIM || width > FB_MAX_DIM || height > FB_MAX_DIM ||
	    width % 2 || height % 2) {
		snprintf(err, errlen, "resolution %ux%u: width and height must be even and within %u..%u",
			 width, height, FB_MIN_DIM, FB_MAX_DIM);
		return -1;
	}
	g->width = width;
	g->height = height;
	g->stride = width * FB_BYTES_PER_PIXEL;
	g->bytes = (size_t)g->stride * height;
	if (g->bytes > DB_VRAM_MAX) {
		snprintf(err, errlen, "resolution %ux%u needs %zu MiB of VRAM; the guest maps at most %llu MiB",
			 width, height, g->bytes >> 20, DB_VRAM_MAX >> 20);
		return -1;
	}
	g->pages = (g->bytes + FB_PAGE_SIZE - 1) / FB_PAGE_SIZE;
	g->tile_w = tile_w ? tile_w : div_up(width, FB_SEED_TILE_COLS);
	g->tile_h = tile_h ? tile_h : div_up(height, FB_SEED_TILE_ROWS);
	if (g->tile_w > width || g->tile_h > height || g->tile_w == 0 || g->tile_h == 0) {
		snprintf(err, errlen, "tile %ux%u does not fit a %ux%u screen", g->tile_w, g->tile_h,
			 width, height);
		return -1;
	}
	g->cols = div_up(width, g->tile_w);
	g->rows = div_up(height, g->tile_h);
	g->ntiles = (size_t)g->cols * g->rows;
	return 0;
}

size_t fb_tile_bytes(const struct fb_geometry *g, size_t tile)
{
	uint32_t col = (uint32_t)(tile % g->cols), row = (uint32_t)(tile / g->cols);
	uint32_t w = g->width - col * g->tile_w, h = g->height - row * g->tile_h;

	if (w > g->tile_w)
		w = g->tile_w;
	if (h > g->tile_h)
		h = g->tile_h;
	return (size_t)w * h * FB_BYTES_PER_PIXEL;
}

size_t fb_tile_rect(const struct fb_geometry *g, size_t t, uint32_t *x, uint32_t *y, uint32_t *w, uint32_t *h)
{
	*x = (uint32_t)(t % g->cols) * g->tile_w;
	*y = (uint32_t)(t / g->cols) * g->tile_h;
	*w = *x + g->tile_w <= g->width ? g->tile_w : g->width - *x;
	*h = *y + g->tile_h <= g->height ? g->tile_h : g->height - *y;
	return (size_t)*y * g->stride + (size_t)*x * FB_BYTES_PER_PIXEL;
}

void fb_copy_tile(const struct fb_geometry *g, size_t t, uint8_t *dst, const uint8_t *src)
{
	uint32_t x, y, w, h;
	size_t off = fb_tile_rect(g, t, &x, &y, &w, &h);

	for (uint32_t r = 0; r < h; r++, off += g->stride)
		memcpy(dst + off, src + off, (size_t)w * FB_BYTES_PER_PIXEL);
}

/* Four pixels per SSE2 compare (baseline x86-64), in one pass that also
 * stores: a lane is all ones where they differ, so the lanes' sum counts
 * down by one per changed pixel. */
typedef uint32_t fb_v4 __attribute__((vector_size(16), may_alias, aligned(4)));

static size_t copy_count_row(uint32_t *d, const uint32_t *s, uint32_t w)
{
	fb_v4 acc = { 0, 0, 0, 0 };
	uint32_t i = 0;
	size_t n;

	for (; i + 4 <= w; i += 4) {
		fb_v4 a = *(fb_v4 *)(void *)(d + i), b = *(const fb_v4 *)(const void *)(s + i);

		acc += (fb_v4)(a != b);
		*(fb_v4 *)(void *)(d + i) = b;
	}
	n = (uint32_t)-(acc[0] + acc[1] + acc[2] + acc[3]);
	for (; i < w; i++) {
		n += d[i] != s[i];
		d[i] = s[i];
	}
	return n;
}

/* Compared a pixel (4 bytes) at a time: a changed pixel counts all its bytes,
 * as the damage does, so the two can be set side by side. */
size_t fb_copy_tile_count(const struct fb_geometry *g, size_t t, uint8_t *dst, const uint8_t *src)
{
	uint32_t x, y, w, h;
	size_t off = fb_tile_rect(g, t, &x, &y, &w, &h), changed = 0;

	for (uint32_t r = 0; r < h; r++, off += g->stride)
		changed += copy_count_row((uint32_t *)(void *)(dst + off), (const uint32_t *)(const void *)(src + off), w);
	return changed * FB_BYTES_PER_PIXEL;
}

int fb_tile_equal(const struct fb_geometry *g, size_t t, const uint8_t *a, const uint8_t *b)
{
	uint32_t x, y, w, h;
	size_t off = fb_tile_rect(g, t, &x, &y, &w, &h);

	for (uint32_t r = 0; r < h; r++, off += g->stride)
		if (memcmp(a + off, b + off, (size_t)w * FB_BYTES_PER_PIXEL))
			return 0;
	return 1;
}
