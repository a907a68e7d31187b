/*
 * idle: an idle desktop, the smallest realistic damage. Frame 0 paints a
 * gradient wallpaper, a top panel with a clock and a terminal window with a
 * few lines of text. Afterwards only two things change: the terminal's
 * block cursor blinks, and the clock redraws just the glyphs whose character
 * changed, so every declared cell really changes.
 */
#include "include/compiler.h"
#include "workloads/lib/fmt.h"
#include "workloads/lib/gfx.h"
#include "workloads/lib/rng.h"
#include "workloads/workload.h"

#define IDLE_PANEL_H 24
#define IDLE_TITLE_H 20
#define IDLE_PAD 4
#define IDLE_SHADOW 6
#define IDLE_BAND_ROWS 16       /* wallpaper rows computed per blit */
#define IDLE_CLOCK_LEN 8        /* "HH:MM:SS" */
#define IDLE_DAY_S 86400u

struct idle_theme {
	uint32_t wall_top, wall_bottom, panel, panel_fg;
	uint32_t title, title_fg, term, term_fg, prompt, cursor;
};

static const struct idle_theme idle_themes[] = {
	{ 0x1d2b53, 0x4a6fa5, 0x101418, 0xdcdcdc,
	  0x3c3c3c, 0xeeeeee, 0x1e1e1e, 0xd0d0d0, 0x8ae234, 0xd0d0d0 },
	{ 0x0f3b3a, 0x3f8f7f, 0x121a19, 0xe0e0d0,
	  0x2f3b3a, 0xf0f0e0, 0x002b36, 0x93a1a1, 0xb58900, 0xeee8d5 },
	{ 0x2d1b3d, 0x8a5a9c, 0x18121c, 0xe8dcef,
	  0x403448, 0xf4eef8, 0x221c26, 0xdad0e0, 0xff79c6, 0xf8f8f2 },
};

static const char *const idle_script[] = {
	"user@dirtybench:~$ uname -a",
	"Linux dirtybench 6.1.0-18-amd64 #1 SMP PREEMPT_DYNAMIC Debian 6.1.76-1 x86_64 GNU/Linux",
	"user@dirtybench:~$ uptime",
	" up 3 days,  2:17,  1 user,  load average: 0.00, 0.02, 0.00",
	"user@dirtybench:~$ ls",
	"Desktop  Documents  Downloads  Music  Pictures  dirtybench  notes.txt",
	"user@dirtybench:~$ cat notes.txt",
	"An idle desktop: only the clock and this cursor ever change.",
};
#define IDLE_SCRIPT_LINES ARRAY_SIZE(idle_script)
#define IDLE_PROMPT "user@dirtybench:~$ "

struct idle_state {
	const struct idle_theme *theme;
	uint32_t start_s;               /* clock's second of the day at frame 0 */
	uint32_t blink_ms;              /* cursor half-period, 0 = steady */
	int32_t win_x, win_y, win_w, win_h;
	int32_t cols, rows;             /* terminal text grid */
	int32_t text_x, text_y;         /* top-left of the grid */
	int32_t cursor_x, cursor_y, clock_x, clock_y;
	bool cursor_on;
	char clock[IDLE_CLOCK_LEN + 1]; /* what the panel shows now */
};

/* --- frame 0 ------------------------------------------------------------ */

static uint32_t idle_mix(uint32_t a, uint32_t b, uint32_t num, uint32_t den)
{
	uint32_t out = 0;
	for (int shift = 0; shift <= 16; shift += 8) {
		int32_t ca = (int32_t)(a >> shift & 0xff), cb = (int32_t)(b >> shift & 0xff);
		int32_t c = ca + (cb - ca) * (int32_t)num / (int32_t)den;
		out |= (uint32_t)c << shift;
	}
	return out;
}

/* Vertical gradient with a faint diamond lattice, so the wallpaper is not
 * one flat colour that compresses or compares unrealistically well. */
static void idle_wallpaper_row(uint32_t *row, uint32_t width, uint32_t y,
			       uint32_t height, const struct idle_theme *t)
{
	uint32_t base = idle_mix(t->wall_top, t->wall_bottom, y, height > 1 ? height - 1 : 1);
	uint32_t lit = idle_mix(base, 0xffffff, 1, 24);
	for (uint32_t x = 0; x < width; x++)
		row[x] = (((x + y) & 31) == 0 || ((x - y) & 31) == 0) ? lit : base;
}

static int idle_paint_wallpaper(struct fb *fb, const struct idle_state *st)
{
	uint32_t *band = rt_alloc((size_t)fb->width * IDLE_BAND_ROWS * sizeof(uint32_t));
	if (!band)
		return -1;
	for (uint32_t y0 = 0; y0 < fb->height; y0 += IDLE_BAND_ROWS) {
		uint32_t rows = fb->height - y0 < IDLE_BAND_ROWS ? fb->height - y0 : IDLE_BAND_ROWS;
		for (uint32_t r = 0; r < rows; r++)
			idle_wallpaper_row(band + (size_t)r * fb->width, fb->width,
					   y0 + r, fb->height, st->theme);
		gfx_blit(fb, 0, (int32_t)y0, (int32_t)fb->width, (int32_t)rows, band, fb->width);
	}
	return 0;
}

static void idle_layout(const struct fb *fb, struct idle_state *st)
{
	int32_t w = (int32_t)fb->width, h = (int32_t)fb->height;
	st->cols = (w * 2 / 3 - 2 * IDLE_PAD - 2) / GFX_GLYPH_W;
	st->rows = (h * 2 / 3 - IDLE_TITLE_H - 2 * IDLE_PAD) / GFX_GLYPH_H;
	st->cols = st->cols < 8 ? 8 : st->cols;
	st->rows = st->rows < 2 ? 2 : st->rows;
	st->win_x = w / 12;
	st->win_y = IDLE_PANEL_H + h / 12;
	st->win_w = st->cols * GFX_GLYPH_W + 2 * IDLE_PAD + 2;
	st->win_h = IDLE_TITLE_H + st->rows * GFX_GLYPH_H + 2 * IDLE_PAD + 1;
	st->text_x = st->win_x + 1 + IDLE_PAD;
	st->text_y = st->win_y + IDLE_TITLE_H + IDLE_PAD;
	st->clock_x = w - (IDLE_CLOCK_LEN + 1) * GFX_GLYPH_W;
	st->clock_y = (IDLE_PANEL_H - GFX_GLYPH_H) / 2;
}

static void idle_paint_panel(struct fb *fb, const struct idle_state *st)
{
	const struct idle_theme *t = st->theme;
	gfx_fill_rect(fb, 0, 0, (int32_t)fb->width, IDLE_PANEL_H - 1, t->panel);
	gfx_hline(fb, 0, IDLE_PANEL_H - 1, (int32_t)fb->width, idle_mix(t->panel, 0xffffff, 1, 8));
	gfx_draw_text(fb, GFX_GLYPH_W, st->clock_y, "Activities", t->panel_fg, t->panel);
}

static void idle_paint_frame(struct fb *fb, const struct idle_state *st)
{
	const struct idle_theme *t = st->theme;
	int32_t x = st->win_x, y = st->win_y, w = st->win_w, h = st->win_h;
	gfx_fill_rect(fb, x + IDLE_SHADOW, y + IDLE_SHADOW, w, h,
		      idle_mix(t->wall_bottom, 0, 1, 2));
	gfx_fill_rect(fb, x, y, w, IDLE_TITLE_H, t->title);
	gfx_fill_rect(fb, x, y + IDLE_TITLE_H, w, h - IDLE_TITLE_H, t->term);
	uint32_t edge = idle_mix(t->title, 0, 1, 3);
	gfx_vline(fb, x, y + IDLE_TITLE_H, h - IDLE_TITLE_H, edge);
	gfx_vline(fb, x + w - 1, y + IDLE_TITLE_H, h - IDLE_TITLE_H, edge);
	gfx_hline(fb, x, y + h - 1, w, edge);
	static const uint32_t buttons[] = { 0xfcbf49, 0x6ab04c, 0xe74c3c };
	for (int32_t i = 0; i < 3; i++)
		gfx_fill_rect(fb, x + w - (3 - i) * 18, y + 5, 10, 10, buttons[i]);
	const char *title = "user@dirtybench: ~";
	int32_t tw = (int32_t)rt_strlen(title) * GFX_GLYPH_W;
	gfx_draw_text(fb, x + (w - tw) / 2, y + (IDLE_TITLE_H - GFX_GLYPH_H) / 2, title,
		      t->title_fg, t->title);
}

/* The script's last lines that fit, then the prompt the cursor sits after. */
static void idle_paint_text(struct fb *fb, struct idle_state *st)
{
	const struct idle_theme *t = st->theme;
	int32_t shown = st->rows - 1 < (int32_t)IDLE_SCRIPT_LINES ? st->rows - 1
								     : (int32_t)IDLE_SCRIPT_LINES;
	int32_t y = st->text_y;
	for (int32_t i = (int32_t)IDLE_SCRIPT_LINES - shown; i < (int32_t)IDLE_SCRIPT_LINES; i++) {
		const char *line = idle_script[i];
		uint32_t fg = line[0] == 'u' ? t->prompt : t->term_fg;
		gfx_draw_textn(fb, st->text_x, y, line, (size_t)st->cols, fg, t->term);
		y += GFX_GLYPH_H;
	}
	int32_t end = gfx_draw_textn(fb, st->text_x, y, IDLE_PROMPT, (size_t)st->cols,
				     t->prompt, t->term);
	int32_t last = st->text_x + (st->cols - 1) * GFX_GLYPH_W;
	st->cursor_x = end < last ? end : last;
	st->cursor_y = y;
}

/* --- what changes ------------------------------------------------------- */

static void idle_draw_cursor(struct fb *fb, struct idle_state *st, bool on)
{
	gfx_fill_rect(fb, st->cursor_x, st->cursor_y, GFX_GLYPH_W, GFX_GLYPH_H,
		      on ? st->theme->cursor : st->theme->term);
	st->cursor_on = on;
}

static void idle_clock_text(const struct idle_state *st, uint64_t elapsed_s,
			    char out[IDLE_CLOCK_LEN + 1])
{
	uint32_t s = (uint32_t)((st->start_s + elapsed_s) % IDLE_DAY_S);
	fmt_u64(out, s / 3600, 2, true);
	out[2] = ':';
	fmt_u64(out + 3, s / 60 % 60, 2, true);
	out[5] = ':';
	fmt_u64(out + 6, s % 60, 2, true);
}

/* Rewrite only the cells whose character differs from what is shown. */
static void idle_draw_clock(struct fb *fb, struct idle_state *st,
			    const char text[IDLE_CLOCK_LEN + 1])
{
	for (int32_t i = 0; i < IDLE_CLOCK_LEN; i++) {
		if (st->clock[i] == text[i])
			continue;
		gfx_draw_glyph(fb, st->clock_x + i * GFX_GLYPH_W, st->clock_y, text[i],
			       st->theme->panel_fg, st->theme->panel);
		st->clock[i] = text[i];
	}
}

/* Time since frame 0 follows the frame number, not the TSC, so the picture
 * of frame n is the same in every runtime and every run. */
static uint64_t idle_elapsed_ms(const struct workload_ctx *ctx, uint64_t n)
{
	return n * 1000000ull / ctx->fps_milli;
}

static void idle_frame(struct workload_ctx *ctx, uint64_t n)
{
	struct idle_state *st = ctx->state;
	uint64_t ms = idle_elapsed_ms(ctx, n);
	bool on = st->blink_ms == 0 || (ms / st->blink_ms) % 2 == 0;
	if (on != st->cursor_on)
		idle_draw_cursor(&ctx->fb, st, on);
	char text[IDLE_CLOCK_LEN + 1];
	idle_clock_text(st, ms / 1000, text);
	idle_draw_clock(&ctx->fb, st, text);
}

static int idle_init(struct workload_ctx *ctx)
{
	struct idle_state *st = rt_alloc(sizeof(*st));
	if (!st)
		return -1;
	ctx->state = st;
	struct rng rng;
	rng_seed(&rng, ctx->seed);
	st->theme = &idle_themes[rng_below(&rng, ARRAY_SIZE(idle_themes))];
	int64_t start = workload_opt(ctx, "clock_start");
	st->start_s = start >= 0 ? (uint32_t)start : (uint32_t)rng_below(&rng, IDLE_DAY_S);
	st->blink_ms = (uint32_t)workload_opt(ctx, "blink_ms");
	idle_layout(&ctx->fb, st);
	if (idle_paint_wallpaper(&ctx->fb, st) < 0)
		return -1;
	idle_paint_panel(&ctx->fb, st);
	idle_paint_frame(&ctx->fb, st);
	idle_paint_text(&ctx->fb, st);
	rt_memset(st->clock, 0, sizeof(st->clock));     /* draw every cell once */
	idle_draw_cursor(&ctx->fb, st, true);
	idle_frame(ctx, 0);
	return 0;
}

extern const struct workload_info workload_idle;    /* workloads/catalog.c */

const struct workload_draw workload_idle_draw = {
	.info = &workload_idle,
	.init = idle_init,
	.frame = idle_frame,
};
