/*
 * Unit tests of workloads/gfx.c against naive references: every primitive
 * leaves the pixels the reference computes, and declares exactly the
 * canonical damage of what changed (one rectangle per maximal run of changed
 * pixels in a row, stacked while consecutive rows repeat the same run), and
 * never stores to a pixel that already has its value.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "workloads/lib/gfx.h"
#include "workloads/linux/runtime_linux.h"
#include "workloads/lib/rng.h"
#include "font8x16.h"

/* Colours come from a small palette, so a primitive often meets pixels that
 * already have their new value and the damage has holes and stripes. */
static const uint32_t palette[] = { 0x000000, 0xffffff, 0x1e1e1e, 0x3465a4 };
#define NPALETTE (sizeof(palette) / sizeof(palette[0]))

struct rect {
	uint32_t x, y, w, h;
};

/* One screen, the reference picture, and the damage of one primitive call. */
struct gcase {
	struct fb fb;
	uint32_t *old, *ref;            /* before the call; what it must leave */
	struct rect *rects, *want;
	size_t nrects, nwant, cap;
};

static size_t gcase_words(const struct gcase *g)
{
	return (size_t)g->fb.stride_px * g->fb.height;
}

static void gcase_damage(void *arg, uint32_t x, uint32_t y, uint32_t w, uint32_t h)
{
	struct gcase *g = arg;
	assert_true(w > 0 && h > 0);
	assert_true((uint64_t)x + w <= g->fb.width && (uint64_t)y + h <= g->fb.height);
	assert_true(g->nrects < g->cap);
	g->rects[g->nrects++] = (struct rect){ x, y, w, h };
}

/* A w x h screen with `pad` pixels after each row, filled from the palette. */
static void gcase_init(struct gcase *g, uint32_t w, uint32_t h, uint32_t pad, struct rng *rng)
{
	g->fb = (struct fb){ NULL, w, h, w + pad };
	size_t n = gcase_words(g);
	g->fb.pixels = malloc(n * sizeof(uint32_t));
	g->old = malloc(n * sizeof(uint32_t));
	g->ref = malloc(n * sizeof(uint32_t));
	g->cap = (size_t)w * h;
	g->rects = malloc(g->cap * sizeof(struct rect));
	g->want = malloc(g->cap * sizeof(struct rect));
	assert_true(g->fb.pixels && g->old && g->ref && g->rects && g->want);
	for (size_t i = 0; i < n; i++)
		g->fb.pixels[i] = palette[rng_below(rng, NPALETTE)];
}

static void gcase_free(struct gcase *g)
{
	free(g->fb.pixels);
	free(g->old);
	free(g->ref);
	free(g->rects);
	free(g->want);
}

static void gcase_begin(struct gcase *g)
{
	struct rt_linux_sink sink = { .damage = gcase_damage, .arg = g };
	rt_linux_set_sink(&sink);
	g->nrects = 0;
	memcpy(g->old, g->fb.pixels, gcase_words(g) * sizeof(uint32_t));
	memcpy(g->ref, g->fb.pixels, gcase_words(g) * sizeof(uint32_t));
	rt_frame_begin();
}

static void ref_put(struct gcase *g, int64_t x, int64_t y, uint32_t c)
{
	if (x >= 0 && y >= 0 && x < g->fb.width && y < g->fb.height)
		g->ref[y * g->fb.stride_px + x] = c;
}

static bool changed(const struct gcase *g, uint32_t x, uint32_t y)
{
	size_t i = (size_t)y * g->fb.stride_px + x;
	return g->ref[i] != g->old[i];
}

/* Is [x, x + w) of row y a maximal run of changed pixels? */
static bool is_run(const struct gcase *g, uint32_t y, uint32_t x, uint32_t w)
{
	if ((x > 0 && changed(g, x - 1, y)) || (x + w < g->fb.width && changed(g, x + w, y)))
		return false;
	for (uint32_t i = x; i < x + w; i++)
		if (!changed(g, i, y))
			return false;
	return true;
}

/* The canonical damage, top-left corners in row-major order: a run starts
 * a rectangle unless the row above has the very same run. */
static void canonical_damage(struct gcase *g)
{
	g->nwant = 0;
	for (uint32_t y = 0; y < g->fb.height; y++) {
		for (uint32_t x = 0; x < g->fb.width; x++) {
			if (!changed(g, x, y) || (x > 0 && changed(g, x - 1, y)))
				continue;
			uint32_t w = 1, h = 1;
			while (x + w < g->fb.width && changed(g, x + w, y))
				w++;
			if (y > 0 && is_run(g, y - 1, x, w))
				continue;
			while (y + h < g->fb.height && is_run(g, y + h, x, w))
				h++;
			g->want[g->nwant++] = (struct rect){ x, y, w, h };
		}
	}
}

static int rect_order(const void *a, const void *b)
{
	const struct rect *p = a, *q = b;
	if (p->y != q->y)
		return p->y < q->y ? -1 : 1;
	return p->x < q->x ? -1 : p->x > q->x;
}

/* The screen (padding included) is the reference, and the damage is the
 * canonical one, rectangle for rectangle. */
static void gcase_end(struct gcase *g, const char *what)
{
	rt_frame_commit(0);
	rt_linux_set_sink(NULL);
	assert_memory_equal(g->fb.pixels, g->ref, gcase_words(g) * sizeof(uint32_t));
	canonical_damage(g);
	qsort(g->rects, g->nrects, sizeof(struct rect), rect_order);
	for (size_t i = 0; i < g->nrects && i < g->nwant; i++) {
		const struct rect *r = &g->rects[i], *w = &g->want[i];
		if (memcmp(r, w, sizeof(*r)))
			fail_msg("%s: rect %zu is (%u,%u %ux%u), want (%u,%u %ux%u)", what, i,
				 r->x, r->y, r->w, r->h, w->x, w->y, w->w, w->h);
	}
	if (g->nrects != g->nwant)
		fail_msg("%s: %zu rects declared, %zu changed", what, g->nrects, g->nwant);
}

/* --- random primitives against the references ---------------------------- */

static uint32_t rand_color(struct rng *rng)
{
	return palette[rng_below(rng, NPALETTE)];
}

static int32_t rand_coord(struct rng *rng, uint32_t span)
{
	/* Mostly near the screen, sometimes at the extremes of int32_t. */
	switch (rng_below(rng, 20)) {
	case 0: return INT32_MIN;
	case 1: return INT32_MAX;
	default: return (int32_t)rng_below(rng, (uint64_t)span * 3) - (int32_t)span;
	}
}

static void random_fill(struct gcase *g, struct rng *rng)
{
	int32_t x = rand_coord(rng, g->fb.width), y = rand_coord(rng, g->fb.height);
	int32_t w = rand_coord(rng, g->fb.width), h = rand_coord(rng, g->fb.height);
	uint32_t c = rand_color(rng);
	gcase_begin(g);
	switch (rng_below(rng, 4)) {
	case 0: gfx_fill_rect(&g->fb, x, y, w, h, c); break;
	case 1: gfx_hline(&g->fb, x, y, w, c); h = 1; break;
	case 2: gfx_vline(&g->fb, x, y, h, c); w = 1; break;
	case 3: gfx_put_pixel(&g->fb, x, y, c); w = h = 1; break;
	}
	for (int64_t j = y > -1 ? y : -1; j < (int64_t)y + h && j < g->fb.height; j++)
		for (int64_t i = x > -1 ? x : -1; i < (int64_t)x + w && i < g->fb.width; i++)
			ref_put(g, i, j, c);
	gcase_end(g, "fill");
}

static void ref_glyph(struct gcase *g, int64_t x, int64_t y, char c, uint32_t fg, uint32_t bg)
{
	unsigned char u = (unsigned char)c < 128 ? (unsigned char)c : '?';
	for (int r = 0; r < 16; r++)
		for (int col = 0; col < 8; col++)
			ref_put(g, x + col, y + r, (font8x16[u][r] >> (7 - col)) & 1 ? fg : bg);
}

static void random_text(struct gcase *g, struct rng *rng, size_t maxlen)
{
	char s[128];
	size_t len = rng_below(rng, maxlen + 1);
	for (size_t i = 0; i < len; i++)
		s[i] = (char)(rng_below(rng, 255) + 1);         /* any byte but NUL */
	s[len] = '\0';
	int32_t x = rand_coord(rng, g->fb.width), y = rand_coord(rng, g->fb.height);
	uint32_t fg = rand_color(rng), bg = rand_color(rng);
	gcase_begin(g);
	if (len == 1)
		gfx_draw_glyph(&g->fb, x, y, s[0], fg, bg);
	else
		assert_int_equal(gfx_draw_text(&g->fb, x, y, s, fg, bg),
				 (int64_t)x + 8 * (int64_t)len > INT32_MAX ? INT32_MAX
									 : x + 8 * (int32_t)len);
	for (size_t i = 0; i < len && (int64_t)x + 8 * (int64_t)i < g->fb.width; i++)
		if ((int64_t)x + 8 * (int64_t)i > -8 && y > -16 && y < (int64_t)g->fb.height)
			ref_glyph(g, (int64_t)x + 8 * (int64_t)i, y, s[i], fg, bg);
	gcase_end(g, "text");
}

static void random_blit(struct gcase *g, struct rng *rng)
{
	enum { SW = 700, SH = 80 };
	static uint32_t src[SW * SH];
	for (size_t i = 0; i < SW * SH; i++)
		src[i] = rand_color(rng);
	int32_t x = (int32_t)rng_below(rng, SW * 2) - SW, y = (int32_t)rng_below(rng, SH * 2) - SH;
	int32_t w = (int32_t)rng_below(rng, SW + 1), h = (int32_t)rng_below(rng, SH + 1);
	gcase_begin(g);
	gfx_blit(&g->fb, x, y, w, h, src, SW);
	for (int32_t j = 0; j < h; j++)
		for (int32_t i = 0; i < w; i++)
			ref_put(g, (int64_t)x + i, (int64_t)y + j, src[j * SW + i]);
	gcase_end(g, "blit");
}

/* The naive copy reads the whole source (g->old) before writing anything,
 * which is what memmove semantics promise for overlapping rectangles. */
static void random_copy(struct gcase *g, struct rng *rng)
{
	int32_t W = (int32_t)g->fb.width, H = (int32_t)g->fb.height;
	int32_t sx = (int32_t)rng_below(rng, (uint64_t)W + 20) - 10;
	int32_t sy = (int32_t)rng_below(rng, (uint64_t)H + 20) - 10;
	int32_t dx = sx + (int32_t)rng_below(rng, 21) - 10, dy = sy + (int32_t)rng_below(rng, 21) - 10;
	int32_t w = (int32_t)rng_below(rng, (uint64_t)W + 10), h = (int32_t)rng_below(rng, (uint64_t)H + 10);
	switch (rng_below(rng, 4)) {
	case 0: sx = dx = 0; w = W; break;      /* a full-width scroll up or down */
	case 1: dy = sy; break;                 /* a sideways move within the rows */
	}
	gcase_begin(g);
	gfx_copy_rect(&g->fb, dx, dy, sx, sy, w, h);
	for (int64_t j = 0; j < h; j++)
		for (int64_t i = 0; i < w; i++) {
			int64_t px = sx + i, py = sy + j;
			if (px >= 0 && py >= 0 && px < W && py < H)
				ref_put(g, dx + i, dy + j, g->old[py * g->fb.stride_px + px]);
		}
	gcase_end(g, "copy");
}

/* Odd sizes and strides, so rows start at mixed 8-byte alignment; the wide
 * screen has text rows longer than gfx's text buffer. */
static void random_case(uint32_t w, uint32_t h, uint32_t pad, size_t maxtext, int iters)
{
	struct gcase g;
	struct rng rng;
	rng_seed(&rng, 7 + w);
	gcase_init(&g, w, h, pad, &rng);
	for (int i = 0; i < iters; i++) {
		switch (i % 4) {
		case 0: random_fill(&g, &rng); break;
		case 1: random_text(&g, &rng, maxtext); break;
		case 2: random_blit(&g, &rng); break;
		case 3: random_copy(&g, &rng); break;
		}
	}
	gcase_free(&g);
}

static void test_gfx_random_vs_reference(void **state)
{
	(void)state;
	random_case(61, 37, 3, 12, 4000);
	random_case(613, 41, 1, 100, 400);
}

/* --- cases spelled out, so a failure reads plainly ------------------------- */

static void test_gfx_clipping(void **state)
{
	struct gcase g;
	struct rng rng;
	enum { GW = 61, GH = 37 };
	(void)state;
	rng_seed(&rng, 1);
	gcase_init(&g, GW, GH, 3, &rng);
	struct { int32_t x, y, w, h; struct rect want; } cases[] = {
		{ -10, -5, 20, 10, { 0, 0, 10, 5 } },           /* top-left corner */
		{ GW - 4, GH - 2, 10, 10, { GW - 4, GH - 2, 4, 2 } },
		{ -5, 3, GW + 10, 1, { 0, 3, GW, 1 } },        /* wider than the screen */
		{ GW, 0, 5, 5, { 0, 0, 0, 0 } },                /* just off the right */
		{ -5, 0, 5, 5, { 0, 0, 0, 0 } },                /* just off the left */
		{ 0, GH, 5, 5, { 0, 0, 0, 0 } },
		{ 3, 3, 0, 5, { 0, 0, 0, 0 } },                 /* empty */
		{ 3, 3, 5, -5, { 0, 0, 0, 0 } },                /* negative */
		{ INT32_MAX, INT32_MAX, INT32_MAX, INT32_MAX, { 0, 0, 0, 0 } },
		{ INT32_MIN, INT32_MIN, INT32_MAX, INT32_MAX, { 0, 0, 0, 0 } }, /* ends at -1 */
		{ -1000, -1000, INT32_MAX, INT32_MAX, { 0, 0, GW, GH } },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct rect *q = &cases[i].want;
		for (size_t p = 0; p < gcase_words(&g); p++)
			g.fb.pixels[p] = 0;
		gcase_begin(&g);
		gfx_fill_rect(&g.fb, cases[i].x, cases[i].y, cases[i].w, cases[i].h, 0x123456);
		for (uint32_t y = q->y; y < q->y + q->h; y++)
			for (uint32_t x = q->x; x < q->x + q->w; x++)
				ref_put(&g, x, y, 0x123456);
		gcase_end(&g, "clip");
		assert_int_equal(g.nrects, q->w ? 1 : 0);
	}
	gcase_free(&g);
}

/* A filled frame drawn twice: the second time nothing changes, nothing is
 * declared. A hollow frame over a filled box declares only its ring. */
static void test_gfx_exact_shapes(void **state)
{
	struct gcase g;
	struct rng rng;
	(void)state;
	rng_seed(&rng, 2);
	gcase_init(&g, 40, 30, 0, &rng);
	for (int pass = 0; pass < 2; pass++) {
		gcase_begin(&g);
		gfx_fill_rect(&g.fb, 5, 5, 20, 10, 0x112233);
		for (int y = 5; y < 15; y++)
			for (int x = 5; x < 25; x++)
				ref_put(&g, x, y, 0x112233);
		gcase_end(&g, "box");
		assert_int_equal(g.nrects, pass == 0 ? g.nwant : 0);
	}
	gcase_begin(&g);
	gfx_fill_rect(&g.fb, 3, 3, 24, 14, 0x445566);
	gfx_fill_rect(&g.fb, 5, 5, 20, 10, 0x112233);   /* puts the middle back */
	for (int y = 3; y < 17; y++)
		for (int x = 3; x < 27; x++)
			ref_put(&g, x, y, x < 5 || x >= 25 || y < 5 || y >= 15 ? 0x445566 : 0x112233);
	rt_frame_commit(0);
	rt_linux_set_sink(NULL);
	assert_memory_equal(g.fb.pixels, g.ref, gcase_words(&g) * sizeof(uint32_t));
	/* The first fill declares its changed pixels, the second the 20x10
	 * middle it restores: damage per call, exact per call. */
	assert_int_equal(g.rects[g.nrects - 1].w, 20);
	assert_int_equal(g.rects[g.nrects - 1].h, 10);
	gcase_free(&g);
}

/* Scrolling a full screen up by one text line and back down: the common
 * overlapping cases, where a plain top-to-bottom copy would be wrong; every
 * pixel changes, so each move is one rectangle. Then sideways by 3. */
static void test_gfx_scroll(void **state)
{
	enum { W = 64, H = 48 };
	struct gcase g;
	struct rng rng;
	(void)state;
	rng_seed(&rng, 3);
	gcase_init(&g, W, H, 0, &rng);
	static const struct { int32_t dx, dy, sx, sy, w, h; struct rect want; } moves[] = {
		{ 0, 0, 0, 16, W, H - 16, { 0, 0, W, H - 16 } },
		{ 0, 16, 0, 0, W, H - 16, { 0, 16, W, H - 16 } },
		{ 3, 0, 0, 0, W - 3, H, { 3, 0, W - 3, H } },
		{ 0, 0, 3, 0, W - 3, H, { 0, 0, W - 3, H } },
	};
	for (size_t m = 0; m < sizeof(moves) / sizeof(moves[0]); m++) {
		for (uint32_t i = 0; i < W * H; i++)
			g.fb.pixels[i] = (uint32_t)m << 16 | i;        /* all distinct */
		gcase_begin(&g);
		gfx_copy_rect(&g.fb, moves[m].dx, moves[m].dy, moves[m].sx, moves[m].sy,
			      moves[m].w, moves[m].h);
		for (int32_t y = 0; y < moves[m].h; y++)
			for (int32_t x = 0; x < moves[m].w; x++)
				ref_put(&g, moves[m].dx + x, moves[m].dy + y,
					g.old[(moves[m].sy + y) * W + moves[m].sx + x]);
		gcase_end(&g, "scroll");
		assert_int_equal(g.nrects, 1);
		assert_memory_equal(&g.rects[0], &moves[m].want, sizeof(struct rect));
	}
	gcase_free(&g);
}

/* A row with more runs than gfx merges at once (4096 pixels of vertical
 * stripes) is still declared exactly: the rectangles are disjoint and cover
 * every change. */
static void test_gfx_many_runs(void **state)
{
	enum { W = 4096, H = 4 };
	struct gcase g;
	struct rng rng;
	(void)state;
	rng_seed(&rng, 4);
	gcase_init(&g, W, H, 0, &rng);
	for (uint32_t i = 0; i < W * H; i++)
		g.fb.pixels[i] = i % 2 ? 0x111111 : 0x222222;
	gcase_begin(&g);
	gfx_fill_rect(&g.fb, 0, 0, W, H, 0x222222);
	rt_frame_commit(0);
	rt_linux_set_sink(NULL);
	uint8_t *hit = calloc(W * H, 1);
	assert_non_null(hit);
	for (size_t i = 0; i < g.nrects; i++)
		for (uint32_t y = g.rects[i].y; y < g.rects[i].y + g.rects[i].h; y++)
			for (uint32_t x = g.rects[i].x; x < g.rects[i].x + g.rects[i].w; x++)
				assert_int_equal(hit[y * W + x]++, 0);
	for (uint32_t i = 0; i < W * H; i++) {
		assert_int_equal(hit[i], i % 2);
		assert_int_equal(g.fb.pixels[i], 0x222222);
	}
	assert_true(g.nrects < W * H / 2);      /* the first runs did merge */
	free(hit);
	gcase_free(&g);
}

/* --- no store to a pixel that keeps its value ------------------------------ */

/* A read-only screen: redrawing what is already there must not fault. */
static void test_gfx_no_store_when_equal(void **state)
{
	enum { W = 1024, H = 64 };
	static const char text[] = "the quick brown fox jumps over the lazy dog";
	size_t bytes = (size_t)W * H * 4;
	struct fb fb = { mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0),
			 W, H, W };
	(void)state;
	assert_true(fb.pixels != MAP_FAILED);
	rt_frame_begin();
	gfx_fill_rect(&fb, 0, 0, W, H, 0x202020);
	gfx_draw_text(&fb, 3, 5, text, 0xffffff, 0x202020);
	gfx_draw_text(&fb, 3, 25, text, 0xffffff, 0x202020);
	assert_int_equal(mprotect(fb.pixels, bytes, PROT_READ), 0);
	gfx_fill_rect(&fb, 0, 45, W, H - 45, 0x202020);
	gfx_draw_text(&fb, 3, 5, text, 0xffffff, 0x202020);
	gfx_blit(&fb, 0, 25, W, 16, gfx_pixel_ptr(&fb, 0, 5), W);
	gfx_copy_rect(&fb, 0, 25, 0, 5, W, 16);         /* the same line below */
	gfx_copy_rect(&fb, 9, 50, 1, 50, 100, 10);      /* uniform rows, sideways */
	rt_frame_commit(0);
	munmap(fb.pixels, bytes);
}

/* Off-screen text: the same pixels as on screen, nothing declared. */
static void test_gfx_render_text(void **state)
{
	enum { LEN = 40, STRIDE = LEN * 8 + 5 };
	static const char text[LEN + 1] = "Render \x01\x7f\xe9 off-screen: 0123456789!";
	static uint32_t buf[16 * STRIDE];
	struct gcase g;
	struct rng rng;
	(void)state;
	rng_seed(&rng, 5);
	gcase_init(&g, LEN * 8, 16, 5, &rng);
	for (size_t i = 0; i < 16 * STRIDE; i++)
		buf[i] = 0xabcdef;
	gcase_begin(&g);
	gfx_render_text(buf, STRIDE, text, LEN, 0xffffff, 0x000080);
	assert_int_equal(g.nrects, 0);
	for (size_t i = 0; i < LEN; i++)
		ref_glyph(&g, (int64_t)i * 8, 0, text[i], 0xffffff, 0x000080);
	for (uint32_t y = 0; y < 16; y++) {
		assert_memory_equal(buf + y * STRIDE, g.ref + y * g.fb.stride_px, LEN * 8 * 4);
		for (uint32_t x = LEN * 8; x < STRIDE; x++)
			assert_int_equal(buf[y * STRIDE + x], 0xabcdef);
	}
	memcpy(g.ref, g.fb.pixels, gcase_words(&g) * sizeof(uint32_t));
	gcase_end(&g, "render");
	gcase_free(&g);
}

/* --- the font -------------------------------------------------------------- */

static void test_font(void **state)
{
	static const uint8_t blank[16];
	(void)state;
	for (int c = 0; c < 128; c++)
		if (c < 0x20 || c == 0x7f)
			assert_memory_equal(font8x16[c], blank, 16);
	assert_memory_equal(font8x16[' '], blank, 16);
	assert_memory_not_equal(font8x16['A'], blank, 16);
	/* idle's clock relies on different clock characters differing. */
	for (int a = '0'; a <= ':'; a++)
		for (int b = a + 1; b <= ':'; b++)
			assert_memory_not_equal(font8x16[a], font8x16[b], 16);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_font, rt_linux_reset_setup),
		cmocka_unit_test_setup(test_gfx_clipping, rt_linux_reset_setup),
		cmocka_unit_test_setup(test_gfx_exact_shapes, rt_linux_reset_setup),
		cmocka_unit_test_setup(test_gfx_scroll, rt_linux_reset_setup),
		cmocka_unit_test_setup(test_gfx_many_runs, rt_linux_reset_setup),
		cmocka_unit_test_setup(test_gfx_no_store_when_equal, rt_linux_reset_setup),
		cmocka_unit_test_setup(test_gfx_render_text, rt_linux_reset_setup),
		cmocka_unit_test_setup(test_gfx_random_vs_reference, rt_linux_reset_setup),
	};
	return cmocka_run_group_tests_name("gfx", tests, NULL, NULL);
}
