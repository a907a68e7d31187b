/*
 * scrolling: a terminal filling the screen under a small panel, with shell
 * output streaming through it (a build, directory listings, kernel log, git
 * log, prose), generated from the seed. Each new line moves the whole text
 * area up by one 16-pixel text row inside VRAM (gfx_copy_rect) and draws
 * the new line at the bottom; with smooth=1 the area moves up px pixels per
 * frame instead and the incoming line is revealed px rows at a time.
 *
 * Both modes are one mechanism: a frame scrolls by S pixels (16 per line due,
 * or px), copies the rest of the area up, and blits the S newest pixel rows
 * of the line stream (each line rendered off-screen once) below it, so every
 * pixel is written at most once per frame and the damage stays exact.
 * Individual pixels do return to a previous value a frame later (glyph
 * strokes passing by); whole tiles do not, as no two lines of output repeat.
 */
#include "include/compiler.h"
#include "workloads/lib/fmt.h"
#include "workloads/lib/gfx.h"
#include "workloads/lib/rng.h"
#include "workloads/workload.h"

#define SCROLL_PAD 4

struct scroll_theme {
	uint32_t bg, fg, prompt, dim, warn, panel, panel_fg;
};

static const struct scroll_theme scroll_themes[] = {
	{ 0x1e1e1e, 0xd0d0d0, 0x8ae234, 0x8a8a8a, 0xfce94f, 0x101418, 0xdcdcdc },
	{ 0x300a24, 0xeeeeec, 0x87d75f, 0x9e8e9a, 0xffaf00, 0x2c001e, 0xf0e8ee },
};

enum scroll_kind { SCROLL_BUILD, SCROLL_LS, SCROLL_DMESG, SCROLL_GIT, SCROLL_PROSE, SCROLL_KINDS };

static const char *const scroll_commands[SCROLL_KINDS] = {
	"make -j4 bzImage modules", "ls -l /usr/lib/x86_64-linux-gnu", "sudo dmesg | tail -n 60",
	"git log --oneline --no-decorate", "cat notes/dirty-tracking.txt",
};

static const char *const scroll_dirs[] = {
	"drivers/gpu/drm", "drivers/gpu/drm/virtio", "fs/ext4", "net/ipv4", "mm", "kernel/sched",
	"arch/x86/kvm", "arch/x86/kvm/mmu", "sound/core", "lib", "block", "drivers/usb/host",
};
static const char *const scroll_files[] = {
	"core", "main", "util", "init", "ring", "page_alloc", "dirty", "fbdev", "mmu", "irq",
	"gem", "atomic", "vblank", "tdp_mmu", "xhci", "inode", "tcp_input", "fair", "bitmap",
};
static const char *const scroll_words[] = {
	"the", "a", "frame", "buffer", "guest", "host", "page", "dirty", "bitmap", "scan",
	"tile", "every", "changed", "pixel", "is", "not", "only", "when", "we", "copy",
	"memory", "write", "protect", "fault", "ring", "log", "clear", "round", "rate", "cost",
	"latency", "of", "and", "to", "in", "that", "for", "with", "each", "VRAM",
};
static const char *const scroll_drivers[] = {
	"usb 1-2:", "xhci_hcd 0000:00:14.0:", "e1000e 0000:00:1f.6 eth0:", "EXT4-fs (sda2):",
	"kvm:", "virtio_gpu virtio0:", "[drm]", "audit:", "systemd[1]:", "input:",
};
static const char *const scroll_months[] = {
	"Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
};

#define SCROLL_PICK(rng, a) ((a)[rng_below((rng), ARRAY_SIZE(a))])

struct scroll_state {
	const struct scroll_theme *theme;
	struct rng rng;
	int32_t area_x, area_y;         /* the text area: cols x rows cells */
	uint32_t cols, rows, area_w, area_h;
	bool smooth;
	uint32_t px, lines_per_s;
	uint64_t scrolled;              /* pixel rows scrolled in so far */
	uint32_t *line;                 /* the newest line, 16 rows of area_w pixels */
	uint32_t line_row;              /* its rows already on screen (16: all) */
	uint32_t cell;                  /* next cell of the line being composed */
	bool render;                    /* the line is rendered, not only composed */
	enum scroll_kind kind;
	uint32_t burst;                 /* output lines left before the next prompt */
	uint32_t clock_s;               /* dmesg and ls time stamps move on */
};

/* --- composing one line --------------------------------------------------- */

static void scroll_put(struct scroll_state *st, const char *s, uint32_t fg)
{
	size_t len = rt_strlen(s);
	if (st->cell >= st->cols)
		return;
	if (len > st->cols - st->cell)
		len = st->cols - st->cell;
	if (st->render)
		gfx_render_text(st->line + (size_t)st->cell * GFX_GLYPH_W, st->area_w, s, len,
				fg, st->theme->bg);
	st->cell += (uint32_t)len;
}

static void scroll_put_num(struct scroll_state *st, uint64_t v, unsigned width, bool zero,
			   uint32_t fg)
{
	char num[FMT_U64_LEN + 8];
	fmt_u64(num, v, width, zero);
	scroll_put(st, num, fg);
}

static void scroll_put_hex(struct scroll_state *st, uint64_t v, unsigned digits, uint32_t fg)
{
	char hex[17];
	for (unsigned i = 0; i < digits && i < 16; i++)
		hex[i] = "0123456789abcdef"[(v >> (4 * (digits - 1 - i))) & 15];
	hex[digits < 16 ? digits : 16] = '\0';
	scroll_put(st, hex, fg);
}

/* Words until about `chars` characters are out. */
static void scroll_put_words(struct scroll_state *st, uint32_t chars, uint32_t fg)
{
	for (uint32_t n = 0; n < chars;) {
		const char *w = SCROLL_PICK(&st->rng, scroll_words);
		if (n)
			scroll_put(st, " ", fg);
		scroll_put(st, w, fg);
		n += (uint32_t)rt_strlen(w) + 1;
	}
}

static void scroll_put_path(struct scroll_state *st, const char *ext, uint32_t fg)
{
	scroll_put(st, SCROLL_PICK(&st->rng, scroll_dirs), fg);
	scroll_put(st, "/", fg);
	scroll_put(st, SCROLL_PICK(&st->rng, scroll_files), fg);
	scroll_put(st, ext, fg);
}

static void scroll_line_build(struct scroll_state *st)
{
	const struct scroll_theme *t = st->theme;
	uint64_t r = rng_below(&st->rng, 100);
	if (r < 4) {
		scroll_put_path(st, ".c:", t->fg);
		scroll_put_num(st, 10 + rng_below(&st->rng, 2000), 0, false, t->fg);
		scroll_put(st, ":", t->fg);
		scroll_put_num(st, 1 + rng_below(&st->rng, 40), 0, false, t->fg);
		scroll_put(st, ": warning: ", t->warn);
		scroll_put(st, "unused variable 'ret' [-Wunused-variable]", t->fg);
		return;
	}
	scroll_put(st, r < 12 ? "  LD [M]  " : r < 16 ? "  AR      " : "  CC      ", t->fg);
	scroll_put_path(st, r < 12 ? ".ko" : r < 16 ? ".a" : ".o", t->fg);
}

static void scroll_line_ls(struct scroll_state *st)
{
	const struct scroll_theme *t = st->theme;
	bool link = rng_below(&st->rng, 3) == 0;
	scroll_put(st, link ? "lrwxrwxrwx 1 root root " : "-rw-r--r-- 1 root root ", t->fg);
	scroll_put_num(st, link ? 10 + rng_below(&st->rng, 30) : rng_below(&st->rng, 4000000),
		       8, false, t->fg);
	scroll_put(st, " ", t->fg);
	scroll_put(st, SCROLL_PICK(&st->rng, scroll_months), t->fg);
	scroll_put_num(st, 1 + rng_below(&st->rng, 28), 3, false, t->fg);
	scroll_put_num(st, rng_below(&st->rng, 24), 3, false, t->fg);
	scroll_put(st, ":", t->fg);
	scroll_put_num(st, rng_below(&st->rng, 60), 2, true, t->fg);
	scroll_put(st, " lib", link ? t->prompt : t->fg);
	scroll_put(st, SCROLL_PICK(&st->rng, scroll_files), link ? t->prompt : t->fg);
	scroll_put(st, ".so.", link ? t->prompt : t->fg);
	scroll_put_num(st, rng_below(&st->rng, 7), 0, false, link ? t->prompt : t->fg);
}

static void scroll_line_dmesg(struct scroll_state *st)
{
	const struct scroll_theme *t = st->theme;
	st->clock_s += (uint32_t)rng_below(&st->rng, 3);
	scroll_put(st, "[", t->dim);
	scroll_put_num(st, st->clock_s, 5, false, t->dim);
	scroll_put(st, ".", t->dim);
	scroll_put_num(st, rng_below(&st->rng, 1000000), 6, true, t->dim);
	scroll_put(st, "] ", t->dim);
	scroll_put(st, SCROLL_PICK(&st->rng, scroll_drivers), t->fg);
	scroll_put(st, " ", t->fg);
	scroll_put_words(st, 12 + (uint32_t)rng_below(&st->rng, 40), t->fg);
	if (rng_below(&st->rng, 4) == 0) {
		scroll_put(st, " 0x", t->fg);
		scroll_put_hex(st, rng_next(&st->rng), 8, t->fg);
	}
}

static void scroll_line_git(struct scroll_state *st)
{
	scroll_put_hex(st, rng_next(&st->rng), 12, st->theme->warn);
	scroll_put(st, " ", st->theme->fg);
	scroll_put(st, SCROLL_PICK(&st->rng, scroll_files), st->theme->fg);
	scroll_put(st, ": ", st->theme->fg);
	scroll_put_words(st, 20 + (uint32_t)rng_below(&st->rng, 40), st->theme->fg);
}

static void scroll_line_prose(struct scroll_state *st)
{
	if (rng_below(&st->rng, 6) == 0)
		return;                 /* a paragraph break */
	scroll_put_words(st, 30 + (uint32_t)rng_below(&st->rng, 45), st->theme->fg);
	scroll_put(st, ".", st->theme->fg);
}

/* A prompt and the command whose output the next lines are. */
static void scroll_line_prompt(struct scroll_state *st)
{
	st->kind = (enum scroll_kind)rng_below(&st->rng, SCROLL_KINDS);
	st->burst = 5 + (uint32_t)rng_below(&st->rng, st->kind == SCROLL_BUILD ? 200 : 60);
	scroll_put(st, "user@dirtybench", st->theme->prompt);
	scroll_put(st, ":~/src/linux$ ", st->theme->fg);
	scroll_put(st, scroll_commands[st->kind], st->theme->fg);
}

/* Compose the next line of output, rendered into st->line unless it will
 * never be seen (scrolled past within one frame). */
static void scroll_next_line(struct scroll_state *st, bool render)
{
	size_t n = (size_t)st->area_w * GFX_GLYPH_H;
	st->render = render;
	for (size_t i = 0; render && i < n; i++)
		st->line[i] = st->theme->bg;
	st->cell = 0;
	st->line_row = 0;
	if (st->burst == 0) {
		scroll_line_prompt(st);
		return;
	}
	st->burst--;
	switch (st->kind) {
	case SCROLL_BUILD: scroll_line_build(st); break;
	case SCROLL_LS: scroll_line_ls(st); break;
	case SCROLL_DMESG: scroll_line_dmesg(st); break;
	case SCROLL_GIT: scroll_line_git(st); break;
	default: scroll_line_prose(st); break;
	}
}

/* --- the stream of pixel rows ---------------------------------------------- */

/* Put the next n pixel rows of the stream at screen row y (or drop them when
 * !draw), one blit per line they come from. */
static void scroll_take_rows(struct fb *fb, struct scroll_state *st, int32_t y, uint64_t n,
			     bool draw)
{
	while (n > 0) {
		if (st->line_row == GFX_GLYPH_H)
			scroll_next_line(st, draw || n < GFX_GLYPH_H);
		uint32_t k = GFX_GLYPH_H - st->line_row;
		if (k > n)
			k = (uint32_t)n;
		if (draw)
			gfx_blit(fb, st->area_x, y, (int32_t)st->area_w, (int32_t)k,
				 st->line + (size_t)st->line_row * st->area_w, st->area_w);
		st->line_row += k;
		y += (int32_t)k;
		n -= k;
	}
}

/* Pixel rows that should have scrolled in by frame n: the time since frame 0
 * follows the frame number, so frame n looks the same in every runtime. */
static uint64_t scroll_due(const struct workload_ctx *ctx, const struct scroll_state *st,
			   uint64_t n)
{
	if (st->smooth)
		return n * st->px;
	return n * st->lines_per_s * 1000 / ctx->fps_milli * GFX_GLYPH_H;
}

static void scroll_frame(struct workload_ctx *ctx, uint64_t n)
{
	struct scroll_state *st = ctx->state;
	uint64_t s = scroll_due(ctx, st, n) - st->scrolled;
	st->scrolled += s;
	if (s == 0)
		return;
	if (s >= st->area_h) {
		/* More than a screenful: only the newest rows can be seen. */
		scroll_take_rows(&ctx->fb, st, 0, s - st->area_h, false);
		s = st->area_h;
	} else {
		gfx_copy_rect(&ctx->fb, st->area_x, st->area_y, st->area_x,
			      st->area_y + (int32_t)s, (int32_t)st->area_w,
			      (int32_t)(st->area_h - s));
	}
	scroll_take_rows(&ctx->fb, st, st->area_y + (int32_t)(st->area_h - s), s, true);
}

/* --- frame 0 --------------------------------------------------------------- */

static void scroll_layout(const struct fb *fb, struct scroll_state *st, uint32_t panel)
{
	uint32_t h = fb->height > panel ? fb->height - panel : 0;
	st->cols = fb->width > 2 * SCROLL_PAD ? (fb->width - 2 * SCROLL_PAD) / GFX_GLYPH_W : 0;
	st->rows = h > 2 * SCROLL_PAD ? (h - 2 * SCROLL_PAD) / GFX_GLYPH_H : 0;
	st->cols = st->cols ? st->cols : 1;
	st->rows = st->rows ? st->rows : 1;
	st->area_w = st->cols * GFX_GLYPH_W;
	st->area_h = st->rows * GFX_GLYPH_H;
	st->area_x = SCROLL_PAD;
	st->area_y = (int32_t)(panel + SCROLL_PAD);
}

static void scroll_paint_panel(struct fb *fb, const struct scroll_state *st, int32_t panel)
{
	const struct scroll_theme *t = st->theme;
	if (panel <= 0)
		return;
	gfx_fill_rect(fb, 0, 0, (int32_t)fb->width, panel - 1, t->panel);
	gfx_hline(fb, 0, panel - 1, (int32_t)fb->width, t->dim);
	gfx_draw_text(fb, GFX_GLYPH_W, (panel - 1 - GFX_GLYPH_H) / 2,
		      "Terminal - user@dirtybench: ~/src/linux", t->panel_fg, t->panel);
}

static int scroll_init(struct workload_ctx *ctx)
{
	struct scroll_state *st = rt_alloc(sizeof(*st));
	if (!st)
		return -1;
	ctx->state = st;
	rng_seed(&st->rng, ctx->seed);
	st->theme = &scroll_themes[rng_below(&st->rng, ARRAY_SIZE(scroll_themes))];
	st->smooth = workload_opt(ctx, "smooth") != 0;
	st->px = (uint32_t)workload_opt(ctx, "px");
	st->lines_per_s = (uint32_t)workload_opt(ctx, "lines_per_s");
	st->clock_s = 1 + (uint32_t)rng_below(&st->rng, 5000);
	uint32_t panel = (uint32_t)workload_opt(ctx, "panel");
	panel = panel < ctx->fb.height ? panel : ctx->fb.height;
	scroll_layout(&ctx->fb, st, panel);
	st->line = rt_alloc((size_t)st->area_w * GFX_GLYPH_H * sizeof(uint32_t));
	if (!st->line)
		return -1;
	st->line_row = GFX_GLYPH_H;     /* no line yet: the first take makes one */
	gfx_fill_rect(&ctx->fb, 0, (int32_t)panel, (int32_t)ctx->fb.width,
		      (int32_t)(ctx->fb.height - panel), st->theme->bg);
	scroll_paint_panel(&ctx->fb, st, (int32_t)panel);
	scroll_take_rows(&ctx->fb, st, st->area_y, st->area_h, true);
	return 0;
}

extern const struct workload_info workload_scrolling;    /* workloads/catalog.c */

const struct workload_draw workload_scrolling_draw = {
	.info = &workload_scrolling,
	.init = scroll_init,
	.frame = scroll_frame,
};
