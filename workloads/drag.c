/*
 * drag: a window (default 600x400) dragged across a patterned desktop at
 * 60 fps. Each frame repaints, from the desktop pattern, only the part of
 * the old position the window no longer covers, then draws the window at its
 * new position. The window moves `speed` pixels per frame on both axes and
 * bounces off the screen edges.
 *
 * The desktop is a pure function of (x, y) with the low two bits of every
 * channel set; the window carries the frame phase (0..2) there instead. So
 * the window never matches the desktop under it, and every pixel of the old
 * and new positions really changes each frame.
 */
#include "include/compiler.h"
#include "workloads/lib/gfx.h"
#include "workloads/lib/rng.h"
#include "workloads/workload.h"

#include "font8x16.h"

#define DRAG_TITLE_H 24
#define DRAG_PAD 8
#define DRAG_BAND_ROWS 64               /* screen rows of desktop per blit */
#define DRAG_ICON 48
#define DRAG_ICON_STEP 88
#define DRAG_LATTICE 64
#define DRAG_DESKTOP_BITS 0x030303u
#define DRAG_CONTENT_MASK 0xfcfcfcu

/* One axis of the path: moves by vel each frame; reaching an edge it stops
 * there, holds for one frame and turns. The hold means no pixel is covered
 * for a single frame only (desktop, window, desktop again) at a bounce. */
struct drag_axis {
	int32_t pos, vel, max;
	bool hold;
};

struct drag_state {
	uint32_t w, h;
	struct drag_axis ax, ay;
	uint32_t *win;                  /* the window; low bits: this frame's phase */
	uint32_t *scratch;              /* desktop pixels on their way to the screen */
	size_t scratch_px;
	uint32_t *col, *row;            /* desktop gradient terms per x and per y */
	uint32_t lattice, icon_rgb;
	uint64_t frame;                 /* last frame the path was stepped to */
};

struct drag_rect {
	int32_t x, y, w, h;
};

/* --- desktop ---------------------------------------------------------------- */

static uint32_t drag_desktop_px(const struct drag_state *st, uint32_t x, uint32_t y)
{
	uint32_t c = st->col[x] + st->row[y];
	uint32_t iy = y % DRAG_ICON_STEP;
	if (x >= DRAG_PAD * 4 && x < DRAG_PAD * 4 + DRAG_ICON && iy >= DRAG_PAD * 4 &&
	    iy < DRAG_PAD * 4 + DRAG_ICON)
		c = st->icon_rgb + (y / DRAG_ICON_STEP % 5) * 0x200a10u;
	else if (((x + y) % DRAG_LATTICE) == 0 || ((x - y) % DRAG_LATTICE) == 0)
		c = st->lattice;
	return c | DRAG_DESKTOP_BITS;
}

static void drag_make_desktop(struct drag_state *st, const struct fb *fb, struct rng *rng)
{
	uint32_t r0 = 20 + (uint32_t)rng_below(rng, 40), g0 = 40 + (uint32_t)rng_below(rng, 40);
	for (uint32_t x = 0; x < fb->width; x++)
		st->col[x] = gfx_rgb(0, g0 + 50 * x / fb->width, 0);
	for (uint32_t y = 0; y < fb->height; y++)
		st->row[y] = gfx_rgb(r0 + 60 * y / fb->height, 0, 90 + 100 * y / fb->height);
	st->lattice = 0xc8c8d8u;
	st->icon_rgb = 0x304060u + (uint32_t)rng_below(rng, 32) * 0x010101u;
}

/* Repaint r (on screen, at most scratch_px pixels per band) from the pattern. */
static void drag_paint_desktop(struct fb *fb, struct drag_state *st, struct drag_rect r)
{
	if (r.w <= 0 || r.h <= 0)
		return;
	uint32_t band = (uint32_t)(st->scratch_px / (uint32_t)r.w);
	for (int32_t y0 = 0; y0 < r.h; y0 += (int32_t)band) {
		int32_t rows = r.h - y0 < (int32_t)band ? r.h - y0 : (int32_t)band;
		for (int32_t j = 0; j < rows; j++)
			for (int32_t i = 0; i < r.w; i++)
				st->scratch[(size_t)j * (uint32_t)r.w + (uint32_t)i] =
					drag_desktop_px(st, (uint32_t)(r.x + i), (uint32_t)(r.y + y0 + j));
		gfx_blit(fb, r.x, r.y + y0, r.w, rows, st->scratch, (uint32_t)r.w);
	}
}

/* --- window ----------------------------------------------------------------- */

static void drag_text(struct drag_state *st, uint32_t x, uint32_t y, const char *s,
		      uint32_t fg)
{
	for (; *s && x + GFX_GLYPH_W <= st->w && y + GFX_GLYPH_H <= st->h; s++, x += GFX_GLYPH_W)
		for (uint32_t r = 0; r < GFX_GLYPH_H; r++) {
			uint32_t bits = font8x16[(unsigned char)*s & 0x7f][r];
			uint32_t *p = st->win + (size_t)(y + r) * st->w + x;
			for (uint32_t c = 0; c < GFX_GLYPH_W; c++, bits <<= 1)
				if (bits & 0x80)
					p[c] = fg;
		}
}

static void drag_box(struct drag_state *st, uint32_t x, uint32_t y, uint32_t w, uint32_t h,
		     uint32_t rgb)
{
	for (uint32_t j = y; j < y + h && j < st->h; j++)
		for (uint32_t i = x; i < x + w && i < st->w; i++)
			st->win[(size_t)j * st->w + i] = rgb;
}

static const char *const drag_lines[] = {
	"Dragging a window repaints the desktop it",
	"uncovers and redraws the window itself at",
	"its new place, a few pixels away, sixty",
	"times a second.",
	"",
	"Damage: the old and new positions.",
};

/* Title bar with a gradient, title and buttons; a text body; a picture. */
static void drag_make_window(struct drag_state *st)
{
	drag_box(st, 0, 0, st->w, st->h, 0x505050);
	drag_box(st, 1, DRAG_TITLE_H, st->w - 2, st->h - DRAG_TITLE_H - 1, 0xf4f4ee);
	for (uint32_t y = 0; y < DRAG_TITLE_H; y++)
		drag_box(st, 0, y, st->w, 1, gfx_rgb(40, 90 + 2 * y, 160 + 2 * y));
	drag_text(st, DRAG_PAD, (DRAG_TITLE_H - GFX_GLYPH_H) / 2, "notes.txt - Editor", 0xffffff);
	static const uint32_t buttons[] = { 0xfcbf49, 0x6ab04c, 0xe74c3c };
	for (uint32_t i = 0; i < 3 && st->w > 60; i++)
		drag_box(st, st->w - (3 - i) * 18, 7, 10, 10, buttons[i]);
	uint32_t y = DRAG_TITLE_H + DRAG_PAD;
	for (size_t i = 0; i < ARRAY_SIZE(drag_lines); i++, y += GFX_GLYPH_H)
		drag_text(st, DRAG_PAD, y, drag_lines[i], 0x202020);
	uint32_t px = st->w / 2, py = y + DRAG_PAD;
	for (uint32_t j = py; j + DRAG_PAD < st->h; j++)
		for (uint32_t i = px; i + DRAG_PAD < st->w; i++)
			st->win[(size_t)j * st->w + i] = gfx_rgb(i * 255 / st->w, j * 255 / st->h, 160);
}

static void drag_draw_window(struct fb *fb, struct drag_state *st, uint64_t drawn)
{
	/* Modulo 3, not 2: a pixel never returns to its value of two frames ago. */
	uint32_t phase = (uint32_t)(drawn % 3) * 0x010101u;
	for (size_t i = 0; i < (size_t)st->w * st->h; i++)
		st->win[i] = (st->win[i] & DRAG_CONTENT_MASK) | phase;
	gfx_blit(fb, st->ax.pos, st->ay.pos, (int32_t)st->w, (int32_t)st->h, st->win, st->w);
}

/* --- path ------------------------------------------------------------------- */

static void drag_axis_step(struct drag_axis *a)
{
	if (a->hold) {
		a->hold = false;
		return;
	}
	int32_t p = a->pos + a->vel;
	if (p <= 0 || p >= a->max) {
		p = p <= 0 ? 0 : a->max;
		a->vel = -a->vel;
		a->hold = true;
	}
	a->pos = p;
}

static void drag_axis_init(struct drag_axis *a, uint32_t screen, uint32_t size,
			   int32_t speed, struct rng *rng)
{
	a->max = (int32_t)(screen - size);
	a->pos = (int32_t)rng_below(rng, (uint64_t)a->max + 1);
	a->vel = rng_below(rng, 2) ? speed : -speed;
	a->hold = false;
}

/* The part of old that new no longer covers, as up to two rectangles: the
 * rows of old outside new's rows, then the columns beside it in the rest. */
static void drag_uncovered(struct drag_rect o, struct drag_rect n, struct drag_rect out[2])
{
	out[0] = out[1] = (struct drag_rect){ 0, 0, 0, 0 };
	if (n.x >= o.x + o.w || o.x >= n.x + n.w || n.y >= o.y + o.h || o.y >= n.y + n.h) {
		out[0] = o;
		return;
	}
	if (n.y > o.y)
		out[0] = (struct drag_rect){ o.x, o.y, o.w, n.y - o.y };
	else if (n.y < o.y)
		out[0] = (struct drag_rect){ o.x, n.y + n.h, o.w, o.y - n.y };
	int32_t top = n.y > o.y ? n.y : o.y, rows = o.h - (n.y > o.y ? n.y - o.y : o.y - n.y);
	if (n.x > o.x)
		out[1] = (struct drag_rect){ o.x, top, n.x - o.x, rows };
	else if (n.x < o.x)
		out[1] = (struct drag_rect){ n.x + n.w, top, o.x - n.x, rows };
}

/* --- ops -------------------------------------------------------------------- */

static int drag_alloc(struct drag_state *st, const struct fb *fb)
{
	/* Uncovered strips are at most speed <= w/2 px deep, so they mostly fit
	 * one band; only frame 0 needs several. */
	st->scratch_px = (size_t)fb->width * DRAG_BAND_ROWS;
	st->win = rt_alloc((size_t)st->w * st->h * sizeof(uint32_t));
	st->scratch = rt_alloc(st->scratch_px * sizeof(uint32_t));
	st->col = rt_alloc(fb->width * sizeof(uint32_t));
	st->row = rt_alloc(fb->height * sizeof(uint32_t));
	return st->win && st->scratch && st->col && st->row ? 0 : -1;
}

static int drag_init(struct workload_ctx *ctx)
{
	struct drag_state *st = rt_alloc(sizeof(*st));
	if (!st)
		return -1;
	ctx->state = st;
	const struct fb *fb = &ctx->fb;
	int64_t w = workload_opt(ctx, "w"), h = workload_opt(ctx, "h");
	st->w = (uint64_t)w < fb->width ? (uint32_t)w : fb->width;
	st->h = (uint64_t)h < fb->height ? (uint32_t)h : fb->height;
	/* Faster than half the window would uncover pixels it covered one
	 * frame before (desktop, window, desktop). */
	int64_t speed = workload_opt(ctx, "speed"), most = (st->w < st->h ? st->w : st->h) / 2;
	speed = speed < most ? speed : most > 1 ? most : 1;
	if (drag_alloc(st, fb) < 0)
		return -1;
	struct rng rng;
	rng_seed(&rng, ctx->seed);
	drag_make_desktop(st, fb, &rng);
	drag_make_window(st);
	drag_axis_init(&st->ax, fb->width, st->w, (int32_t)speed, &rng);
	drag_axis_init(&st->ay, fb->height, st->h, (int32_t)speed, &rng);
	drag_paint_desktop(&ctx->fb, st, (struct drag_rect){ 0, 0, (int32_t)fb->width,
							    (int32_t)fb->height });
	drag_draw_window(&ctx->fb, st, 0);
	st->frame = 0;
	return 0;
}

static void drag_frame(struct workload_ctx *ctx, uint64_t n)
{
	struct drag_state *st = ctx->state;
	struct drag_rect old = { st->ax.pos, st->ay.pos, (int32_t)st->w, (int32_t)st->h };
	/* One step per frame number, dropped ones included, so the path is the
	 * same whatever the runtime skipped. */
	for (; st->frame < n; st->frame++) {
		drag_axis_step(&st->ax);
		drag_axis_step(&st->ay);
	}
	struct drag_rect now = { st->ax.pos, st->ay.pos, (int32_t)st->w, (int32_t)st->h };
	struct drag_rect gone[2];
	drag_uncovered(old, now, gone);
	drag_paint_desktop(&ctx->fb, st, gone[0]);
	drag_paint_desktop(&ctx->fb, st, gone[1]);
	drag_draw_window(&ctx->fb, st, ctx->drawn);
}

extern const struct workload_info workload_drag;    /* workloads/catalog.c */

const struct workload_draw workload_drag_draw = {
	.info = &workload_drag,
	.init = drag_init,
	.frame = drag_frame,
};
