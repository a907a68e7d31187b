/*
 * fullscreen: a game redrawing the whole screen every frame (default 60 fps):
 * a scrolling textured background of bevelled metal plates, sprites that
 * bounce around it, and a HUD with a score, lives and an energy bar.
 *
 * Like a game presenting a finished back buffer, every frame is composed off
 * screen, one row at a time, and shown with one gfx_blit: each screen pixel
 * is written once per frame, so the damage is the whole screen as one
 * rectangle. The frame phase in the low bits makes every pixel change.
 */
#include "workloads/lib/fmt.h"
#include "workloads/lib/gfx.h"
#include "workloads/lib/rng.h"
#include "workloads/workload.h"

#include "font8x16.h"

#define FS_TEX 256                      /* background tile, power of two */
#define FS_PLATE 32                     /* plates within the tile */
#define FS_SPRITES 24
#define FS_SPRITE_MIN 24
#define FS_SPRITE_MAX 64
#define FS_CLEAR 0xff000000u            /* transparent sprite pixel */
#define FS_HUD_H 24
#define FS_ENERGY_W 200
#define FS_ENERGY_H 10
#define FS_HUD_LEN 64
#define FS_BACKBUF_MAX (16u << 20)      /* bytes; larger screens go in bands */
/* Pixels keep 6 bits per channel; the low 2 carry the frame phase. */
#define FS_CONTENT_MASK 0xfcfcfcu

struct fs_sprite {
	uint32_t size;
	int32_t x0, y0;                 /* position at time 0 */
	int32_t vx, vy;                 /* pixels per second */
	const uint32_t *pix;            /* size x size, FS_CLEAR outside */
	int32_t x, y;                   /* this frame */
};

struct fs_state {
	uint32_t w, h;
	uint32_t band_rows;
	uint32_t *band;
	uint32_t *tex;                  /* FS_TEX x FS_TEX, content bits only */
	struct fs_sprite spr[FS_SPRITES];
	uint32_t lives;
	/* This frame's scroll, phase, HUD line and energy bar length. */
	uint32_t scroll_x, scroll_y, phase, energy;
	char hud[FS_HUD_LEN];
};

static int32_t fs_clamp8(int32_t v)
{
	return v < 0 ? 0 : v > 255 ? 255 : v;
}

static uint32_t fs_rgb_masked(int32_t r, int32_t g, int32_t b)
{
	return gfx_rgb((uint32_t)fs_clamp8(r), (uint32_t)fs_clamp8(g),
		       (uint32_t)fs_clamp8(b)) & FS_CONTENT_MASK;
}

/* --- assets, made once from the seed -------------------------------------- */

/* Bevelled plate: lit top/left edges, shaded bottom/right, rivets in the
 * corners and per-pixel speckle. */
static int32_t fs_plate_shade(uint32_t px, uint32_t py, struct rng *rng)
{
	int32_t d = (int32_t)rng_below(rng, 17) - 8;
	if (px < 2 || py < 2)
		d += 50;
	else if (px >= FS_PLATE - 2 || py >= FS_PLATE - 2)
		d -= 40;
	uint32_t rx = px < FS_PLATE / 2 ? px : FS_PLATE - 1 - px;
	uint32_t ry = py < FS_PLATE / 2 ? py : FS_PLATE - 1 - py;
	if (rx >= 4 && rx <= 5 && ry >= 4 && ry <= 5)
		d += 80;
	return d;
}

static void fs_make_texture(struct fs_state *st, struct rng *rng)
{
	uint32_t plates = FS_TEX / FS_PLATE, base[(FS_TEX / FS_PLATE) * (FS_TEX / FS_PLATE)];
	for (uint32_t i = 0; i < plates * plates; i++)
		base[i] = (uint32_t)rng_next(rng);
	for (uint32_t y = 0; y < FS_TEX; y++)
		for (uint32_t x = 0; x < FS_TEX; x++) {
			uint32_t b = base[(y / FS_PLATE) * plates + x / FS_PLATE];
			int32_t d = fs_plate_shade(x % FS_PLATE, y % FS_PLATE, rng);
			st->tex[y * FS_TEX + x] = fs_rgb_masked(50 + (int32_t)(b & 63) + d,
								60 + (int32_t)(b >> 8 & 63) + d,
								70 + (int32_t)(b >> 16 & 63) + d);
		}
}

/* Even sprites are shaded orbs, odd ones diamond-shaped ships. */
static void fs_make_sprite_pixels(uint32_t *pix, uint32_t s, uint32_t kind, uint32_t rgb)
{
	int32_t c = (int32_t)s / 2, r2 = c * c;
	for (int32_t y = 0; y < (int32_t)s; y++)
		for (int32_t x = 0; x < (int32_t)s; x++) {
			int32_t dx = x - c, dy = y - c;
			bool in = kind ? (dx < 0 ? -dx : dx) + (dy < 0 ? -dy : dy) < c
				       : dx * dx + dy * dy < r2;
			/* Lit from the top left: brighter towards (c/2, c/2). */
			int32_t lx = x - c / 2, ly = y - c / 2;
			int32_t light = 90 - (lx * lx + ly * ly) * 140 / (r2 ? r2 : 1);
			pix[y * (int32_t)s + x] = !in ? FS_CLEAR :
				fs_rgb_masked((int32_t)(rgb >> 16 & 255) + light,
					      (int32_t)(rgb >> 8 & 255) + light,
					      (int32_t)(rgb & 255) + light);
		}
}

static int fs_make_sprites(struct fs_state *st, struct rng *rng)
{
	for (uint32_t i = 0; i < FS_SPRITES; i++) {
		struct fs_sprite *sp = &st->spr[i];
		sp->size = FS_SPRITE_MIN + (uint32_t)rng_below(rng, FS_SPRITE_MAX - FS_SPRITE_MIN + 1);
		uint32_t *pix = rt_alloc((size_t)sp->size * sp->size * sizeof(uint32_t));
		if (!pix)
			return -1;
		fs_make_sprite_pixels(pix, sp->size, i & 1, (uint32_t)rng_next(rng) & 0xc0c0c0);
		sp->pix = pix;
		sp->x0 = (int32_t)rng_below(rng, st->w);
		sp->y0 = (int32_t)rng_below(rng, st->h);
		sp->vx = (int32_t)rng_below(rng, 601) - 300;
		sp->vy = (int32_t)rng_below(rng, 401) - 200;
	}
	return 0;
}

/* --- one frame's state ------------------------------------------------------ */

/* Position on [0, range] of a point moving at v px/s that bounces off both
 * ends, at time ms: a triangle wave, so any frame can be drawn directly. */
static int32_t fs_bounce(int32_t p0, int32_t v, uint64_t ms, uint32_t range)
{
	if (range == 0)
		return 0;
	int64_t period = 2 * (int64_t)range;
	int64_t p = ((int64_t)p0 + v * (int64_t)(ms % 1000000000ull) / 1000) % period;
	if (p < 0)
		p += period;
	return (int32_t)(p > range ? period - p : p);
}

static void fs_update(struct fs_state *st, const struct workload_ctx *ctx, uint64_t n)
{
	uint64_t ms = n * 1000000ull / ctx->fps_milli;
	st->scroll_x = (uint32_t)(ms * 120 / 1000);
	st->scroll_y = (uint32_t)(ms * 45 / 1000);
	/* Modulo 3, not 2: a pixel never returns to its value of two frames ago. */
	st->phase = (uint32_t)(ctx->drawn % 3) * 0x010101u;
	for (uint32_t i = 0; i < FS_SPRITES; i++) {
		struct fs_sprite *sp = &st->spr[i];
		uint32_t rx = st->w > sp->size ? st->w - sp->size : 0;
		uint32_t ry = st->h > sp->size ? st->h - sp->size : 0;
		sp->x = fs_bounce(sp->x0, sp->vx, ms, rx);
		sp->y = fs_bounce(sp->y0, sp->vy, ms, ry);
	}
	char num[FMT_U64_LEN];
	st->hud[0] = '\0';
	fmt_cat(st->hud, sizeof(st->hud), "SCORE ");
	fmt_u64(num, ms / 16 * 10 % 100000000, 8, true);
	fmt_cat(st->hud, sizeof(st->hud), num);
	fmt_cat(st->hud, sizeof(st->hud), "   LIVES ");
	fmt_u64(num, st->lives - (uint32_t)(ms / 20000 % st->lives), 0, false);
	fmt_cat(st->hud, sizeof(st->hud), num);
	fmt_cat(st->hud, sizeof(st->hud), "   STAGE 1-");
	fmt_u64(num, 1 + ms / 30000 % 9, 0, false);
	fmt_cat(st->hud, sizeof(st->hud), num);
	uint32_t e = (uint32_t)(ms / 8 % (2 * FS_ENERGY_W));
	st->energy = e < FS_ENERGY_W ? FS_ENERGY_W - e : e - FS_ENERGY_W;
}

/* --- composing rows ----------------------------------------------------------- */

static void fs_or_copy(uint32_t *dst, const uint32_t *src, uint32_t n, uint32_t phase)
{
	for (uint32_t i = 0; i < n; i++)
		dst[i] = src[i] | phase;
}

static void fs_fill(uint32_t *dst, uint32_t n, uint32_t color)
{
	for (uint32_t i = 0; i < n; i++)
		dst[i] = color;
}

/* The tile row, wrapped around as often as the screen is wide. */
static void fs_row_background(const struct fs_state *st, uint32_t y, uint32_t *out)
{
	const uint32_t *src = st->tex + ((y + st->scroll_y) % FS_TEX) * FS_TEX;
	uint32_t off = st->scroll_x % FS_TEX;
	for (uint32_t x = 0; x < st->w;) {
		uint32_t n = FS_TEX - off < st->w - x ? FS_TEX - off : st->w - x;
		fs_or_copy(out + x, src + off, n, st->phase);
		x += n;
		off = 0;
	}
}

static void fs_row_sprites(const struct fs_state *st, uint32_t y, uint32_t *out)
{
	for (uint32_t i = 0; i < FS_SPRITES; i++) {
		const struct fs_sprite *sp = &st->spr[i];
		int64_t row = (int64_t)y - sp->y;
		if (row < 0 || row >= sp->size)
			continue;
		const uint32_t *src = sp->pix + (size_t)row * sp->size;
		for (uint32_t i2 = 0; i2 < sp->size; i2++) {
			int64_t x = (int64_t)sp->x + i2;
			if (src[i2] != FS_CLEAR && x < st->w)
				out[x] = src[i2] | st->phase;
		}
	}
}

static void fs_row_text(const char *s, uint32_t glyph_row, uint32_t x, uint32_t *out,
			uint32_t width, uint32_t fg)
{
	for (; *s && x + GFX_GLYPH_W <= width; s++, x += GFX_GLYPH_W) {
		uint32_t bits = font8x16[(unsigned char)*s & 0x7f][glyph_row];
		for (uint32_t col = 0; col < GFX_GLYPH_W; col++, bits <<= 1)
			if (bits & 0x80)
				out[x + col] = fg;
	}
}

/* The bar along the top with the HUD line, and the energy gauge at the
 * bottom left; drawn last, over the sprites. */
static void fs_row_hud(const struct fs_state *st, uint32_t y, uint32_t *out)
{
	if (y < FS_HUD_H) {
		fs_fill(out, st->w, 0x101828u | st->phase);
		uint32_t ty = (FS_HUD_H - GFX_GLYPH_H) / 2;
		if (y >= ty && y < ty + GFX_GLYPH_H)
			fs_row_text(st->hud, y - ty, GFX_GLYPH_W, out, st->w,
				    0xf0e060u | st->phase);
		return;
	}
	uint32_t gy = st->h > FS_HUD_H + 2 * FS_ENERGY_H ? st->h - 2 * FS_ENERGY_H : st->h;
	if (y < gy || y >= gy + FS_ENERGY_H)
		return;
	uint32_t x0 = 16, w = st->w > x0 + FS_ENERGY_W ? FS_ENERGY_W : 0;
	fs_fill(out + x0, st->energy < w ? st->energy : w, 0x30d050u | st->phase);
	if (st->energy < w)
		fs_fill(out + x0 + st->energy, w - st->energy, 0x404040u | st->phase);
}

static void fs_present(struct fb *fb, struct fs_state *st)
{
	for (uint32_t y0 = 0; y0 < st->h; y0 += st->band_rows) {
		uint32_t rows = st->h - y0 < st->band_rows ? st->h - y0 : st->band_rows;
		for (uint32_t r = 0; r < rows; r++) {
			uint32_t *out = st->band + (size_t)r * st->w;
			fs_row_background(st, y0 + r, out);
			fs_row_sprites(st, y0 + r, out);
			fs_row_hud(st, y0 + r, out);
		}
		gfx_blit(fb, 0, (int32_t)y0, (int32_t)st->w, (int32_t)rows, st->band, st->w);
	}
}

/* --- ops ---------------------------------------------------------------------- */

static int fs_init(struct workload_ctx *ctx)
{
	struct fs_state *st = rt_alloc(sizeof(*st));
	if (!st)
		return -1;
	ctx->state = st;
	st->w = ctx->fb.width;
	st->h = ctx->fb.height;
	uint64_t rows = FS_BACKBUF_MAX / ((uint64_t)st->w * 4);
	st->band_rows = rows < 1 ? 1 : rows > st->h ? st->h : (uint32_t)rows;
	st->band = rt_alloc((size_t)st->w * st->band_rows * sizeof(uint32_t));
	st->tex = rt_alloc((size_t)FS_TEX * FS_TEX * sizeof(uint32_t));
	if (!st->band || !st->tex)
		return -1;
	struct rng rng;
	rng_seed(&rng, ctx->seed);
	fs_make_texture(st, &rng);
	if (fs_make_sprites(st, &rng) < 0)
		return -1;
	st->lives = 3 + (uint32_t)rng_below(&rng, 3);
	fs_update(st, ctx, 0);
	fs_present(&ctx->fb, st);
	return 0;
}

static void fs_frame(struct workload_ctx *ctx, uint64_t n)
{
	struct fs_state *st = ctx->state;
	fs_update(st, ctx, n);
	fs_present(&ctx->fb, st);
}

extern const struct workload_info workload_fullscreen;    /* workloads/catalog.c */

const struct workload_draw workload_fullscreen_draw = {
	.info = &workload_fullscreen,
	.init = fs_init,
	.frame = fs_frame,
};
