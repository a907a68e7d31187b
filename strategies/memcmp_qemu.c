/*
 * `memcmp-qemu`: the compare QEMU's VNC server does in
 * vnc_refresh_server_surface() (ui/vnc.c), as a reference point for
 * `memcmp`. Every scanline is cut into chunks of VNC_DIRTY_PIXELS_PER_BIT
 * (16) pixels; each chunk is compared with memcmp() against the server's
 * copy and copied over when it differs, and a dirty bit per chunk records
 * it. QEMU only visits chunks the display device marked dirty; our VRAM has
 * no such map, so every chunk is visited, as QEMU does for a device that
 * marks the whole screen. The tiles the dirty chunks fall in are reported;
 * a chunk may straddle two tiles, so this over-reports where tiles are not
 * a multiple of 16 pixels wide.
 */
#include <stdlib.h>
#include <string.h>

#include "core/bitmap.h"
#include "core/strategy.h"

#define QEMU_PIXELS_PER_BIT 16

struct qemu_priv {
	uint8_t *server;        /* QEMU's "server surface": the shadow */
	uint64_t *dirty;        /* one bit per chunk, per scanline */
	size_t chunks_per_line;
	uint64_t dirty_chunks;  /* over the run, for the report */
};

static int qemu_init(struct strategy *s)
{
	const struct fb_geometry *g = s->geo;
	struct qemu_priv *p = calloc(1, sizeof(*p));
	size_t bits;

	if (!p)
		return -1;
	s->priv = p;
	p->chunks_per_line = (g->width + QEMU_PIXELS_PER_BIT - 1) / QEMU_PIXELS_PER_BIT;
	bits = p->chunks_per_line * g->height;
	p->server = malloc(g->bytes);
	p->dirty = calloc(BITMAP_WORDS(bits), sizeof(uint64_t));
	if (!p->server || !p->dirty)
		return -1;
	s->memory_bytes = g->bytes + BITMAP_WORDS(bits) * sizeof(uint64_t);
	return 0;
}

static int qemu_start(struct strategy *s)
{
	struct qemu_priv *p = s->priv;

	memcpy(p->server, s->be->vram, s->geo->bytes);
	return 0;
}

/* QEMU's loop: compare, copy and mark chunk by chunk. */
static void refresh_line(struct qemu_priv *p, const struct fb_geometry *g, uint32_t y,
			 const uint8_t *guest)
{
	size_t cmp_bytes = QEMU_PIXELS_PER_BIT * FB_BYTES_PER_PIXEL;
	size_t line = (size_t)y * g->stride;
	uint64_t *dirty = p->dirty;

	for (size_t x = 0; x < p->chunks_per_line; x++) {
		size_t off = line + x * cmp_bytes;
		size_t n = (x + 1) * cmp_bytes > g->stride ? g->stride - x * cmp_bytes : cmp_bytes;

		if (memcmp(p->server + off, guest + off, n) == 0)
			continue;
		memcpy(p->server + off, guest + off, n);
		bitmap_set(dirty, y * p->chunks_per_line + x);
	}
}

/* The tiles a dirty chunk covers: its pixels [x * 16, x * 16 + 16). */
static void chunks_to_tiles(struct qemu_priv *p, const struct fb_geometry *g, uint64_t *tiles)
{
	size_t bits = p->chunks_per_line * g->height;

	for (size_t w = 0; w < BITMAP_WORDS(bits); w++) {
		for (uint64_t b = p->dirty[w]; b; b &= b - 1) {
			size_t bit = w * 64 + (size_t)__builtin_ctzll(b);
			uint32_t y = (uint32_t)(bit / p->chunks_per_line);
			uint32_t x0 = (uint32_t)(bit % p->chunks_per_line) * QEMU_PIXELS_PER_BIT;
			uint32_t x1 = x0 + QEMU_PIXELS_PER_BIT - 1 < g->width ?
				      x0 + QEMU_PIXELS_PER_BIT - 1 : g->width - 1;
			size_t row = (size_t)(y / g->tile_h) * g->cols;

			bitmap_set_range(tiles, row + x0 / g->tile_w, x1 / g->tile_w - x0 / g->tile_w + 1);
			p->dirty_chunks++;
		}
		p->dirty[w] = 0;        /* QEMU's client sends and clears; we report and clear */
	}
}

static int qemu_scan(struct strategy *s, struct dirty_set *out)
{
	struct qemu_priv *p = s->priv;
	const struct fb_geometry *g = s->geo;

	for (uint32_t y = 0; y < g->height; y++)
		refresh_line(p, g, y, s->be->vram);
	chunks_to_tiles(p, g, out->tiles);
	return 0;
}

static void qemu_fini(struct strategy *s)
{
	struct qemu_priv *p = s->priv;

	if (p) {
		free(p->server);
		free(p->dirty);
		free(p);
	}
	s->priv = NULL;
}

static void qemu_report(struct strategy *s, json_t *obj)
{
	struct qemu_priv *p = s->priv;

	json_object_set_new(obj, "chunk_pixels", json_integer(QEMU_PIXELS_PER_BIT));
	json_object_set_new(obj, "dirty_chunks", json_integer((json_int_t)p->dirty_chunks));
}

/* The server surface is what the VNC client has been sent. */
static const uint8_t *qemu_shadow(struct strategy *s)
{
	return ((struct qemu_priv *)s->priv)->server;
}

const struct strategy_ops strategy_memcmp_qemu = {
	.name = "memcmp-qemu",
	.description = "compare like QEMU's VNC server: memcmp and copy per 16-pixel chunk of each scanline",
	.init = qemu_init,
	.start = qemu_start,
	.scan = qemu_scan,
	.fini = qemu_fini,
	.report = qemu_report,
	.shadow = qemu_shadow,
};
