/*
 * burst: a desktop that is truly idle for idle_ms (not a pixel drawn: no
 * cursor blink, no clock; each tick commits a frame with no damage), then
 * busy for burst_ms, over and over. With window=1 a burst begins with a
 * window opening (800x600 clamped to the screen, where the seed and the
 * burst's number put it; the last burst's window closes in the same frame),
 * then someone types into it; with window=0 the typing goes into a note on
 * the desktop, its first key on the burst's first frame. Its figure is the
 * first update after an idle spell, so a burst's first frame always changes
 * pixels. Phases (rt_set_phase): 0 idle, 1 burst.
 *
 * The low two bits of each channel say what a pixel belongs to: 3 the
 * desktop, 2 the note, 0 and 1 the windows, which alternate. So a window
 * opening changes every pixel of its rectangle (the desktop or the last
 * window was there), closing one changes every pixel it uncovers, and a
 * pixel written twice in that frame (closed, then covered by the new
 * window) still ends up changed. Keys come at a typing rate, several in one
 * frame when frames are slow, but never in two frames in a row: the cursor
 * bar is never on screen for a single frame only.
 */
#include "include/compiler.h"
#include "workloads/lib/gfx.h"
#include "workloads/lib/rng.h"
#include "workloads/workload.h"

#define BURST_WIN_W 800
#define BURST_WIN_H 600
#define BURST_TITLE_H 24
#define BURST_PAD 8
#define BURST_BAR_W 2                   /* the cursor's width in pixels */
#define BURST_CPS 15                    /* keys per second in a burst */
#define BURST_NOTE_W 640                /* window=0: the note typed into */
#define BURST_NOTE_ROWS 6
#define BURST_BAND_ROWS 16              /* desktop rows computed per blit */
#define BURST_NONE UINT64_MAX
#define BURST_PHASE_IDLE 0u
#define BURST_PHASE_BUSY 1u

/* What a pixel belongs to, in the low two bits of each channel. */
#define BURST_OWNER_MASK 0xfcfcfcu
enum burst_owner { BURST_WINDOW_EVEN, BURST_WINDOW_ODD, BURST_NOTE, BURST_DESKTOP };

struct burst_desk {
	uint32_t top, bottom;
};

static const struct burst_desk burst_desks[] = {
	{ 0x1d2b53, 0x4a6fa5 }, { 0x0f3b3a, 0x3f8f7f }, { 0x2d1b3d, 0x8a5a9c },
};

/* A surface keys go to: a window (title bar, body, edge) or the note. */
struct burst_ink {
	uint32_t title, title_fg, body, fg, cursor, edge;
};

static const struct burst_ink burst_inks[] = {
	[BURST_WINDOW_EVEN] = { 0x2b5797, 0xffffff, 0xf4f4ee, 0x202020, 0x268bd2, 0x505050 },
	[BURST_WINDOW_ODD] = { 0x6a3d9a, 0xffffff, 0xfdf6e3, 0x586e75, 0xd33682, 0x505050 },
	[BURST_NOTE] = { 0, 0, 0xfff4a8, 0x303030, 0x202020, 0 },
};

static const char *const burst_words[] = {
	"the", "window", "opened", "after", "a", "long", "quiet", "spell", "and", "this",
	"text", "is", "the", "first", "thing", "drawn", "since", "then", "so", "how",
	"soon", "does", "host", "see", "it", "when", "scans", "slowed", "down", "or",
	"stopped", "write", "protect", "wakes", "on", "first", "page", "dirty", "again",
};

struct burst_rect {
	int32_t x, y, w, h;             /* w == 0: none */
};

/* Where keys go: a grid of cells with the cursor bar in one of them. */
struct burst_text {
	int32_t x, y;                   /* the first cell's top-left */
	uint32_t cols, rows;            /* 0: no room to type */
	uint32_t col, row;              /* the cursor's cell */
	uint32_t fg, bg, cursor;
};

struct burst_state {
	uint64_t seed, idle_us, cycle_us;
	bool window;
	const struct burst_desk *desk;
	uint32_t *band;                 /* desktop rows on their way to the screen */
	struct burst_rect win;          /* the window on screen */
	uint64_t windows;               /* windows opened: their parity alternates */
	struct burst_text text;
	uint64_t cycle;                 /* the burst under way or last: its cycle, or NONE */
	uint32_t phase;
	uint64_t keys;                  /* keys typed in this burst */
	uint64_t key_frame;             /* frame the cursor last moved in */
	struct rng rng;                 /* this burst's place and text */
	const char *word;               /* the rest of the word being typed */
};

static uint32_t burst_own(uint32_t rgb, enum burst_owner owner)
{
	return (rgb & BURST_OWNER_MASK) | (uint32_t)owner * 0x010101u;
}

/* --- the desktop: a pure function of (x, y), so any part repaints -------- */

static uint32_t burst_mix(uint32_t a, uint32_t b, uint32_t num, uint32_t den)
{
	uint32_t out = 0;
	for (int shift = 0; shift <= 16; shift += 8) {
		int32_t ca = (int32_t)(a >> shift & 0xff), cb = (int32_t)(b >> shift & 0xff);
		out |= (uint32_t)(ca + (cb - ca) * (int32_t)num / (int32_t)den) << shift;
	}
	return out;
}

static void burst_desktop_row(const struct burst_state *st, const struct fb *fb, uint32_t *row,
			      uint32_t x0, uint32_t w, uint32_t y)
{
	uint32_t base = burst_mix(st->desk->top, st->desk->bottom, y,
				  fb->height > 1 ? fb->height - 1 : 1);
	uint32_t lit = burst_own(burst_mix(base, 0xffffff, 1, 8), BURST_DESKTOP);
	base = burst_own(base, BURST_DESKTOP);
	for (uint32_t i = 0; i < w; i++) {
		uint32_t x = x0 + i;
		row[i] = ((x + y) & 63) == 0 || ((x - y) & 63) == 0 ? lit : base;
	}
}

static void burst_paint_desktop(struct fb *fb, const struct burst_state *st, struct burst_rect r)
{
	struct gfx_box b;
	if (!gfx_clip(fb, r.x, r.y, r.w, r.h, &b))
		return;
	for (uint32_t y0 = 0; y0 < b.h; y0 += BURST_BAND_ROWS) {
		uint32_t rows = b.h - y0 < BURST_BAND_ROWS ? b.h - y0 : BURST_BAND_ROWS;
		for (uint32_t j = 0; j < rows; j++)
			burst_desktop_row(st, fb, st->band + (size_t)j * b.w, b.x, b.w, b.y + y0 + j);
		gfx_blit(fb, (int32_t)b.x, (int32_t)(b.y + y0), (int32_t)b.w, (int32_t)rows,
			 st->band, b.w);
	}
}

/* --- typing --------------------------------------------------------------- */

static void burst_text_at(struct burst_text *t, int32_t x, int32_t y, int32_t w, int32_t h,
			  const struct burst_ink *ink, enum burst_owner owner)
{
	*t = (struct burst_text){ .x = x, .y = y };
	t->cols = w >= GFX_GLYPH_W ? (uint32_t)w / GFX_GLYPH_W : 0;
	t->rows = h >= GFX_GLYPH_H ? (uint32_t)h / GFX_GLYPH_H : 0;
	/* A key and the cursor after it need two cells, or one cell is written twice. */
	if ((uint64_t)t->cols * t->rows < 2)
		t->cols = t->rows = 0;
	t->fg = burst_own(ink->fg, owner);
	t->bg = burst_own(ink->body, owner);
	t->cursor = burst_own(ink->cursor, owner);
}

static void burst_draw_cursor(struct fb *fb, const struct burst_text *t)
{
	if (t->cols)
		gfx_fill_rect(fb, t->x + (int32_t)(t->col * GFX_GLYPH_W),
			      t->y + (int32_t)(t->row * GFX_GLYPH_H), BURST_BAR_W, GFX_GLYPH_H, t->cursor);
}

static char burst_next_char(struct burst_state *st)
{
	if (*st->word)
		return *st->word++;
	st->word = burst_words[rng_below(&st->rng, ARRAY_SIZE(burst_words))];
	return ' ';
}

/* Type the keys due (this burst's first `due`), then move the cursor bar
 * after them. The bar's colour is neither ink's, so every key changes pixels. */
static void burst_type(struct fb *fb, struct burst_state *st, uint64_t due, uint64_t n)
{
	struct burst_text *t = &st->text;
	uint64_t cells = (uint64_t)t->cols * t->rows;
	if (cells == 0 || due <= st->keys)
		return;
	/* Each cell once a frame: keys that would come round to a cell again
	 * in this frame are left out. */
	if (due - st->keys >= cells)
		st->keys = due - (cells - 1);
	for (; st->keys < due; st->keys++) {
		gfx_draw_glyph(fb, t->x + (int32_t)(t->col * GFX_GLYPH_W),
			       t->y + (int32_t)(t->row * GFX_GLYPH_H), burst_next_char(st), t->fg, t->bg);
		if (++t->col < t->cols)
			continue;
		t->col = 0;
		t->row = t->row + 1 < t->rows ? t->row + 1 : 0;
	}
	burst_draw_cursor(fb, t);
	st->key_frame = n;
}

/* --- the window and the note ---------------------------------------------- */

static void burst_title(struct fb *fb, struct burst_rect r, const struct burst_ink *ink,
			enum burst_owner owner)
{
	static const char title[] = "untitled - notes";
	uint32_t bg = burst_own(ink->title, owner);
	int32_t room = (r.w - 2 * BURST_PAD) / GFX_GLYPH_W;
	gfx_fill_rect(fb, r.x, r.y, r.w, BURST_TITLE_H, bg);
	if (room > 0)
		gfx_draw_textn(fb, r.x + BURST_PAD, r.y + (BURST_TITLE_H - GFX_GLYPH_H) / 2, title,
			       (size_t)room, burst_own(ink->title_fg, owner), bg);
}

/* The last window closes (the desktop comes back under it) and the next
 * opens at a place of this burst's, with the cursor in its first cell. */
static void burst_open_window(struct fb *fb, struct burst_state *st)
{
	enum burst_owner owner = st->windows++ % 2 ? BURST_WINDOW_ODD : BURST_WINDOW_EVEN;
	const struct burst_ink *ink = &burst_inks[owner];
	int32_t w = fb->width < BURST_WIN_W ? (int32_t)fb->width : BURST_WIN_W;
	int32_t h = fb->height < BURST_WIN_H ? (int32_t)fb->height : BURST_WIN_H;
	struct burst_rect r = { (int32_t)rng_below(&st->rng, fb->width - (uint32_t)w + 1),
				(int32_t)rng_below(&st->rng, fb->height - (uint32_t)h + 1), w, h };
	uint32_t edge = burst_own(ink->edge, owner);
	if (st->win.w)
		burst_paint_desktop(fb, st, st->win);
	st->win = r;
	burst_title(fb, r, ink, owner);
	int32_t body_y = r.y + BURST_TITLE_H, body_h = h - BURST_TITLE_H;
	gfx_fill_rect(fb, r.x + 1, body_y, w - 2, body_h - 1, burst_own(ink->body, owner));
	gfx_vline(fb, r.x, body_y, body_h, edge);
	gfx_vline(fb, r.x + w - 1, body_y, body_h, edge);
	gfx_hline(fb, r.x + 1, r.y + h - 1, w - 2, edge);
	burst_text_at(&st->text, r.x + BURST_PAD, body_y + BURST_PAD, w - 2 * BURST_PAD,
		      body_h - 2 * BURST_PAD, ink, owner);
	burst_draw_cursor(fb, &st->text);
}

/* window=0: a note on the desktop that every burst types on into. */
static void burst_open_note(struct fb *fb, struct burst_state *st, struct rng *rng)
{
	const struct burst_ink *ink = &burst_inks[BURST_NOTE];
	int32_t w = fb->width < BURST_NOTE_W ? (int32_t)fb->width : BURST_NOTE_W;
	int32_t h = BURST_NOTE_ROWS * GFX_GLYPH_H + 2 * BURST_PAD;
	h = (int32_t)fb->height < h ? (int32_t)fb->height : h;
	int32_t x = (int32_t)rng_below(rng, fb->width - (uint32_t)w + 1);
	int32_t y = (int32_t)rng_below(rng, fb->height - (uint32_t)h + 1);
	gfx_fill_rect(fb, x, y, w, h, burst_own(ink->body, BURST_NOTE));
	burst_text_at(&st->text, x + BURST_PAD, y + BURST_PAD, w - 2 * BURST_PAD,
		      h - 2 * BURST_PAD, ink, BURST_NOTE);
	burst_draw_cursor(fb, &st->text);
}

/* --- frames --------------------------------------------------------------- */

/* Time since frame 0 follows the frame number, so frame n looks the same in
 * every runtime and every run. */
static uint64_t burst_us(const struct workload_ctx *ctx, uint64_t n)
{
	return n * 1000000000ull / ctx->fps_milli;
}

static void burst_set_phase(struct burst_state *st, uint32_t phase)
{
	if (st->phase == phase)
		return;
	st->phase = phase;
	rt_set_phase(phase);
}

/* A burst's place and text come from the seed and its cycle's number, not
 * from the bursts before it. */
static void burst_begin(struct burst_state *st, uint64_t cycle)
{
	struct rng mix;
	rng_seed(&mix, st->seed ^ (cycle * 0xd1342543de82ef95ull));
	rng_seed(&st->rng, rng_next(&mix));
	st->cycle = cycle;
	st->keys = 0;
	st->word = burst_words[rng_below(&st->rng, ARRAY_SIZE(burst_words))];
	burst_set_phase(st, BURST_PHASE_BUSY);
}

static void burst_frame(struct workload_ctx *ctx, uint64_t n)
{
	struct burst_state *st = ctx->state;
	uint64_t t = burst_us(ctx, n), cycle = t / st->cycle_us, into = t % st->cycle_us;
	if (into < st->idle_us) {
		burst_set_phase(st, BURST_PHASE_IDLE);
		return;
	}
	uint64_t due = (into - st->idle_us) * BURST_CPS / 1000000 + 1;
	if (cycle != st->cycle) {
		burst_begin(st, cycle);
		if (st->window) {
			burst_open_window(&ctx->fb, st);
			st->key_frame = n;
			return;
		}
	} else if (n < st->key_frame + 2) {
		return;
	}
	burst_type(&ctx->fb, st, due, n);
}

/* Frame 0: the desktop (and the note), then idle. */
static int burst_init(struct workload_ctx *ctx)
{
	struct burst_state *st = rt_alloc(sizeof(*st));
	if (!st)
		return -1;
	ctx->state = st;
	st->seed = ctx->seed;
	st->idle_us = (uint64_t)workload_opt(ctx, "idle_ms") * 1000;
	st->cycle_us = st->idle_us + (uint64_t)workload_opt(ctx, "burst_ms") * 1000;
	st->window = workload_opt(ctx, "window") != 0;
	st->cycle = BURST_NONE;
	st->band = rt_alloc((size_t)ctx->fb.width * BURST_BAND_ROWS * sizeof(uint32_t));
	if (!st->band)
		return -1;
	struct rng rng;
	rng_seed(&rng, ctx->seed);
	st->desk = &burst_desks[rng_below(&rng, ARRAY_SIZE(burst_desks))];
	burst_paint_desktop(&ctx->fb, st, (struct burst_rect){ 0, 0, (int32_t)ctx->fb.width,
							      (int32_t)ctx->fb.height });
	if (!st->window)
		burst_open_note(&ctx->fb, st, &rng);
	st->phase = BURST_PHASE_IDLE;
	rt_set_phase(BURST_PHASE_IDLE);
	return 0;
}

extern const struct workload_info workload_burst;    /* workloads/catalog.c */

const struct workload_draw workload_burst_draw = {
	.info = &workload_burst,
	.init = burst_init,
	.frame = burst_frame,
};
