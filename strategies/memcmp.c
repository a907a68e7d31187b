/*
 * `memcmp`: compare VRAM with a shadow copy, a band of tiles at a time, one
 * scanline at a time (sequential reads, what the memory system streams best);
 * a tile stops being compared at its first differing row, and the shadow of
 * every changed tile is refreshed after the band.
 */
#include <stdlib.h>
#include <string.h>

#include "../bench/bitmap.h"
#include "../bench/strategy.h"

struct memcmp_priv {
	uint8_t *shadow;
	uint8_t *band_dirty;    /* per tile column, for the current band */
};

static int memcmp_init(struct strategy *s)
{
	struct memcmp_priv *p = calloc(1, sizeof(*p));

	if (!p)
		return -1;
	s->priv = p;
	p->shadow = aligned_alloc(64, (s->geo->bytes + 63) & ~(size_t)63);
	p->band_dirty = calloc(s->geo->cols, 1);
	if (!p->shadow || !p->band_dirty)
		return -1;
	s->memory_bytes = s->geo->bytes + s->geo->cols;
	return 0;
}

static int memcmp_start(struct strategy *s)
{
	struct memcmp_priv *p = s->priv;

	memcpy(p->shadow, s->be->vram, s->geo->bytes);
	return 0;
}

static void compare_band(const struct fb_geometry *g, const uint8_t *vram,
			 const uint8_t *shadow, uint32_t y0, uint32_t y1, uint8_t *dirty)
{
	size_t tile_bytes = (size_t)g->tile_w * FB_BYTES_PER_PIXEL;

	for (uint32_t y = y0; y < y1; y++) {
		size_t line = (size_t)y * g->stride;

		for (uint32_t c = 0; c < g->cols; c++) {
			size_t off = line + c * tile_bytes;
			size_t n = c + 1 < g->cols ? tile_bytes : g->stride - c * tile_bytes;

			if (!dirty[c] && memcmp(vram + off, shadow + off, n))
				dirty[c] = 1;
		}
	}
}

static void refresh_band(const struct fb_geometry *g, const uint8_t *vram, uint8_t *shadow,
			 uint32_t y0, uint32_t y1, const uint8_t *dirty)
{
	size_t tile_bytes = (size_t)g->tile_w * FB_BYTES_PER_PIXEL;

	for (uint32_t c = 0; c < g->cols; c++) {
		size_t n = c + 1 < g->cols ? tile_bytes : g->stride - c * tile_bytes;

		if (!dirty[c])
			continue;
		for (uint32_t y = y0; y < y1; y++) {
			size_t off = (size_t)y * g->stride + c * tile_bytes;

			memcpy(shadow + off, vram + off, n);
		}
	}
}

static int memcmp_scan(struct strategy *s, struct dirty_set *out)
{
	struct memcmp_priv *p = s->priv;
	const struct fb_geometry *g = s->geo;

	for (uint32_t row = 0; row < g->rows; row++) {
		uint32_t y0 = row * g->tile_h;
		uint32_t y1 = y0 + g->tile_h < g->height ? y0 + g->tile_h : g->height;

		memset(p->band_dirty, 0, g->cols);
		compare_band(g, s->be->vram, p->shadow, y0, y1, p->band_dirty);
		refresh_band(g, s->be->vram, p->shadow, y0, y1, p->band_dirty);
		for (uint32_t c = 0; c < g->cols; c++)
			if (p->band_dirty[c])
				bitmap_set(out->tiles, (size_t)row * g->cols + c);
	}
	return 0;
}

static void memcmp_stop(struct strategy *s)
{
	(void)s;
}

static void memcmp_fini(struct strategy *s)
{
	struct memcmp_priv *p = s->priv;

	if (p) {
		free(p->shadow);
		free(p->band_dirty);
		free(p);
	}
	s->priv = NULL;
}

const struct strategy_ops strategy_memcmp = {
	.name = "memcmp",
	.description = "compare VRAM with a shadow copy, tile by tile",
	.init = memcmp_init,
	.start = memcmp_start,
	.scan = memcmp_scan,
	.stop = memcmp_stop,
	.fini = memcmp_fini,
};
