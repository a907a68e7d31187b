/*
 * Unit tests of the workloads on the Linux runtime with a virtual clock:
 * every registered workload's damage is exact both ways (every changed pixel
 * declared, every declared pixel changed), the text workloads never put a
 * pixel (typing) or a tile (scrolling) back one frame later, rendering is
 * deterministic, and the pieces under them (option parsing, the frame loop's
 * drop accounting, fmt, rng) do what they say. gfx itself is tested in
 * test_gfx.c, the Linux program in tests/e2e/test_db_workload.c.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "workloads/lib/fmt.h"
#include "workloads/lib/gfx.h"
#include "workloads/linux/runtime_linux.h"
#include "workloads/lib/rng.h"
#include "workloads/workload.h"

/* Workloads write 0x00RRGGBB, so a pixel with the top byte set was never
 * written: the screen starts poisoned to see everything frame 0 paints. */
#define POISON 0xa5a5a5a5u
/* Padding after each scanline (stride > width); it must never be written. */
#define GUARD_PX 8
#define FRAMES 120
/* The default tiles of run-bench, for counting tiles that revert. */
#define TILE_W 64
#define TILE_H 128

/* --- a framebuffer that remembers the last frame and checks the next ---- */

struct rect {
	uint32_t x, y, w, h;
};

struct frame_report {
	uint64_t n;                     /* frame number, 0 = init */
	uint64_t changed;               /* pixels that differ from the last frame */
	uint64_t declared;              /* sum of declared rectangle areas */
	uint64_t declared_union;        /* pixels inside at least one rectangle */
	uint64_t misses;                /* changed pixels outside every rectangle */
	uint64_t unchanged;             /* declared pixels that did not change */
	uint64_t reverted_px;           /* changed back to their value of two frames ago */
	uint64_t reverted_tiles;        /* tiles changed back as a whole */
	const struct rect *rects;
	size_t nrects;
};

struct recorder;
typedef void (*frame_check_fn)(struct recorder *r, const struct frame_report *f);

struct recorder {
	struct fb fb;
	uint32_t *prev;                 /* the screen at the last commit */
	uint32_t *prev2;                /* the screen at the commit before */
	uint8_t *mask;                  /* width x height: declared this frame */
	uint8_t *tiles;                 /* tiles with a changed pixel this frame */
	size_t tiles_x, tiles_y;
	struct rect *rects, *last_rects;        /* this frame's damage, the last one's */
	size_t nrects, cap, nlast, last_cap;
	uint64_t frames, limit;
	bool in_frame;
	bool zero_start;                /* the screen starts black, not poisoned */
	frame_check_fn check;
	int64_t check_arg;
	struct frame_report total;      /* sums over frames >= 1 */
	uint64_t total_rects;
};

static struct recorder *g_rec;

static struct fb fb_alloc(uint32_t w, uint32_t h, uint32_t guard, uint32_t fill)
{
	struct fb fb = { .width = w, .height = h, .stride_px = w + guard };
	size_t n = (size_t)fb.stride_px * h;
	fb.pixels = malloc(n * sizeof(uint32_t));
	assert_non_null(fb.pixels);
	for (size_t i = 0; i < n; i++)
		fb.pixels[i] = i % fb.stride_px < w ? fill : POISON;
	return fb;
}

static size_t fb_words(const struct fb *fb)
{
	return (size_t)fb->stride_px * fb->height;
}

static void rec_init(struct recorder *r, uint32_t w, uint32_t h, uint64_t limit,
		     bool zero_start)
{
	memset(r, 0, sizeof(*r));
	r->fb = fb_alloc(w, h, GUARD_PX, zero_start ? 0 : POISON);
	r->prev = malloc(fb_words(&r->fb) * sizeof(uint32_t));
	r->prev2 = malloc(fb_words(&r->fb) * sizeof(uint32_t));
	r->mask = calloc((size_t)w * h, 1);
	r->tiles_x = (w + TILE_W - 1) / TILE_W;
	r->tiles_y = (h + TILE_H - 1) / TILE_H;
	r->tiles = calloc(r->tiles_x * r->tiles_y, 1);
	assert_true(r->prev && r->prev2 && r->mask && r->tiles);
	memcpy(r->prev, r->fb.pixels, fb_words(&r->fb) * sizeof(uint32_t));
	memcpy(r->prev2, r->fb.pixels, fb_words(&r->fb) * sizeof(uint32_t));
	r->limit = limit;
	r->zero_start = zero_start;
}

static void rec_free(struct recorder *r)
{
	free(r->fb.pixels);
	free(r->prev);
	free(r->prev2);
	free(r->mask);
	free(r->tiles);
	free(r->rects);
	free(r->last_rects);
}

static void rec_frame_begin(void *arg, uint64_t tsc)
{
	struct recorder *r = arg;
	(void)tsc;
	assert_false(r->in_frame);
	r->in_frame = true;
	r->nrects = 0;
}

static void rec_damage(void *arg, uint32_t x, uint32_t y, uint32_t w, uint32_t h)
{
	struct recorder *r = arg;
	assert_true(r->in_frame);
	/* Declared rectangles are non-empty and on screen. */
	assert_true(w > 0 && h > 0);
	assert_true((uint64_t)x + w <= r->fb.width && (uint64_t)y + h <= r->fb.height);
	if (r->nrects == r->cap) {
		r->cap = r->cap ? r->cap * 2 : 64;
		r->rects = realloc(r->rects, r->cap * sizeof(*r->rects));
		assert_non_null(r->rects);
	}
	r->rects[r->nrects++] = (struct rect){ x, y, w, h };
}

/* Mark the rectangle in the mask; returns how many pixels were new. */
static uint64_t rec_mark(struct recorder *r, const struct rect *q, uint8_t value)
{
	uint64_t fresh = 0;
	for (uint32_t y = q->y; y < q->y + q->h; y++) {
		uint8_t *m = r->mask + (size_t)y * r->fb.width + q->x;
		for (uint32_t x = 0; x < q->w; x++) {
			fresh += m[x] != value;
			m[x] = value;
		}
	}
	return fresh;
}

/* Count changed pixels, those no rectangle covers, and declared ones that
 * kept their value; rows that did not change at all are checked against the
 * mask alone. */
static void rec_scan(struct recorder *r, struct frame_report *f)
{
	const struct fb *fb = &r->fb;
	for (uint32_t y = 0; y < fb->height; y++) {
		const uint32_t *cur = fb->pixels + (size_t)y * fb->stride_px;
		const uint32_t *old = r->prev + (size_t)y * fb->stride_px;
		const uint32_t *older = r->prev2 + (size_t)y * fb->stride_px;
		const uint8_t *m = r->mask + (size_t)y * fb->width;
		for (uint32_t x = fb->width; x < fb->stride_px; x++)
			if (cur[x] != POISON)
				fail_msg("frame %lu wrote the padding at (%u, %u)",
					 (unsigned long)f->n, x, y);
		bool same = !memcmp(cur, old, fb->width * sizeof(uint32_t));
		if (same && !memchr(m, 1, fb->width))
			continue;
		for (uint32_t x = 0; x < fb->width; x++) {
			bool diff = cur[x] != old[x];
			f->changed += diff;
			if (diff) {
				f->reverted_px += cur[x] == older[x];
				r->tiles[y / TILE_H * r->tiles_x + x / TILE_W] = 1;
			}
			if (diff && !m[x] && f->misses++ == 0)
				print_error("frame %lu: pixel (%u, %u) changed outside the damage\n",
					    (unsigned long)f->n, x, y);
			if (!diff && m[x] && f->unchanged++ == 0)
				print_error("frame %lu: pixel (%u, %u) declared but unchanged (0x%06x)\n",
					    (unsigned long)f->n, x, y, cur[x]);
		}
	}
}

/* Tiles with a change whose whole content is what it was two frames ago:
 * a content-based scanner that missed the frame between sees nothing. */
static void rec_count_tile_reverts(struct recorder *r, struct frame_report *f)
{
	const struct fb *fb = &r->fb;
	for (size_t t = 0; t < r->tiles_x * r->tiles_y; t++) {
		if (!r->tiles[t])
			continue;
		r->tiles[t] = 0;
		uint32_t x0 = (uint32_t)(t % r->tiles_x) * TILE_W, y0 = (uint32_t)(t / r->tiles_x) * TILE_H;
		uint32_t w = fb->width - x0 < TILE_W ? fb->width - x0 : TILE_W;
		bool same = true;
		for (uint32_t y = y0; y < y0 + TILE_H && y < fb->height && same; y++) {
			size_t off = (size_t)y * fb->stride_px + x0;
			same = !memcmp(fb->pixels + off, r->prev2 + off, w * sizeof(uint32_t));
		}
		f->reverted_tiles += same;
	}
}

static void rec_add_totals(struct recorder *r, const struct frame_report *f)
{
	r->total.reverted_px += f->reverted_px;
	r->total.reverted_tiles += f->reverted_tiles;
	r->total.changed += f->changed;
	r->total.declared += f->declared;
	r->total.declared_union += f->declared_union;
	r->total_rects += f->nrects;
}

static void rec_copy_rect(const struct recorder *r, uint32_t *dst, const uint32_t *src,
			  const struct rect *q)
{
	for (uint32_t y = q->y; y < q->y + q->h; y++) {
		size_t off = (size_t)y * r->fb.stride_px + q->x;
		memcpy(dst + off, src + off, q->w * sizeof(uint32_t));
	}
}

/* Forget this frame's mask; the last screen becomes the one before (it
 * differs from that only inside the last frame's damage) and this one the
 * last. */
static void rec_advance(struct recorder *r)
{
	for (size_t i = 0; i < r->nlast; i++)
		rec_copy_rect(r, r->prev2, r->prev, &r->last_rects[i]);
	for (size_t i = 0; i < r->nrects; i++) {
		rec_mark(r, &r->rects[i], 0);
		rec_copy_rect(r, r->prev, r->fb.pixels, &r->rects[i]);
	}
	struct rect *t = r->last_rects;
	size_t cap = r->last_cap;
	r->last_rects = r->rects;
	r->last_cap = r->cap;
	r->nlast = r->nrects;
	r->rects = t;
	r->cap = cap;
	r->nrects = 0;
}

static void rec_frame_commit(void *arg, uint64_t tsc, uint32_t dropped_before)
{
	struct recorder *r = arg;
	struct frame_report f = { .n = r->frames, .rects = r->rects, .nrects = r->nrects };
	(void)tsc;
	assert_true(r->in_frame);
	assert_int_equal(dropped_before, 0);    /* the virtual clock is never late */
	r->in_frame = false;
	for (size_t i = 0; i < r->nrects; i++) {
		f.declared += (uint64_t)r->rects[i].w * r->rects[i].h;
		f.declared_union += rec_mark(r, &r->rects[i], 1);
	}
	rec_scan(r, &f);
	rec_count_tile_reverts(r, &f);
	/* Exact both ways: the declared pixels are the changed pixels. */
	assert_int_equal(f.misses, 0);
	assert_int_equal(f.unchanged, 0);
	assert_int_equal(f.declared_union, f.changed);
	if (f.n == 0 && !r->zero_start)   /* frame 0 paints the whole screen */
		assert_int_equal(f.changed, (uint64_t)r->fb.width * r->fb.height);
	if (r->check)
		r->check(r, &f);
	rec_advance(r);
	if (f.n > 0)
		rec_add_totals(r, &f);
	r->frames++;
}

static bool rec_stop(void)
{
	return g_rec->frames >= g_rec->limit;
}

/* Render `limit` frames of ops into r (set up by rec_init) with options. */
static void rec_run(struct recorder *r, const struct workload_info *ops,
		    uint64_t seed, const char *options)
{
	struct rt_linux_sink sink = { rec_frame_begin, rec_damage, rec_frame_commit, r };
	struct workload_ctx ctx = { .fb = r->fb, .seed = seed };
	struct workload_run_stats stats;
	char err[256];
	rt_linux_set_virtual_clock(true);
	rt_linux_set_sink(&sink);
	g_rec = r;
	if (workload_parse_options(ops, options, &ctx, err, sizeof(err)))
		fail_msg("%s", err);
	assert_int_equal(workload_run(workload_draw_find(ops->name), &ctx, rec_stop, &stats), 0);
	assert_int_equal(stats.frames, r->limit);
	assert_int_equal(stats.dropped, 0);
	assert_int_equal(r->frames, r->limit);
	rt_linux_set_sink(NULL);
	rt_linux_free_all();
}

/* --- damage of every workload -------------------------------------------- */

/* idle's clock: eight cells at the right end of its 24-pixel panel. */
#define IDLE_CLOCK_W (8 * GFX_GLYPH_W)
#define IDLE_CLOCK_Y 4

static bool in_idle_clock(const struct recorder *r, const struct rect *q)
{
	uint32_t x0 = r->fb.width - IDLE_CLOCK_W - GFX_GLYPH_W;
	return q->x >= x0 && q->x + q->w <= x0 + IDLE_CLOCK_W &&
	       q->y >= IDLE_CLOCK_Y && q->y + q->h <= IDLE_CLOCK_Y + GFX_GLYPH_H;
}

/*
 * idle, frames >= 1: the block cursor toggles as one whole 8x16 rectangle
 * (check_arg: 1 blinking, 0 steady); everything else is clock digits, whose
 * top and bottom rows are blank in every digit, so no clock rectangle is a
 * whole cell. With the default 2 fps and 500 ms blink, odd frames change
 * only the cursor and even frames the cursor and the clock.
 */
static void check_idle(struct recorder *r, const struct frame_report *f)
{
	size_t cursor = 0, clock = 0;
	if (f->n == 0)
		return;
	for (size_t i = 0; i < f->nrects; i++) {
		const struct rect *q = &f->rects[i];
		if (q->w == GFX_GLYPH_W && q->h == GFX_GLYPH_H)
			cursor++;
		else if (in_idle_clock(r, q))
			clock++;
		else
			fail_msg("frame %lu: idle declared (%u,%u %ux%u)",
				 (unsigned long)f->n, q->x, q->y, q->w, q->h);
	}
	assert_int_equal(cursor, (size_t)r->check_arg);
	assert_int_equal(f->declared, f->declared_union);
	if (f->n % 2)
		assert_int_equal(clock, 0);
	else
		assert_true(clock >= 1);
}

static void report(const char *what, uint32_t w, uint32_t h, const struct recorder *r)
{
	const struct frame_report *t = &r->total;
	printf("  %-26s %4ux%-4u%s frames 1..%lu: changed %lu px, declared %lu px "
	       "in %lu rects (overlap %lu px); reverted a frame later: %lu px, %lu tiles\n",
	       what, w, h, r->zero_start ? " from black" : "", (unsigned long)(r->frames - 1),
	       (unsigned long)t->changed, (unsigned long)t->declared_union,
	       (unsigned long)r->total_rects,
	       (unsigned long)(t->declared - t->declared_union),
	       (unsigned long)t->reverted_px, (unsigned long)t->reverted_tiles);
}

static void damage_case(const struct workload_info *ops, uint32_t w, uint32_t h, bool zero,
			const char *options, frame_check_fn check, int64_t arg)
{
	struct recorder r;
	rec_init(&r, w, h, FRAMES, zero);
	r.check = check;
	r.check_arg = arg;
	rec_run(&r, ops, 1, options);
	char what[64];
	snprintf(what, sizeof(what), "%s%s%s", ops->name, options ? " " : "",
		 options ? options : "");
	report(what, w, h, &r);
	rec_free(&r);
}

/* A content-based scanner that sees every other frame must still see every
 * change: typing never puts a pixel back one frame later, and scrolling
 * (a line per frame, or smooth) never a whole tile. */
static void check_no_pixel_revert(struct recorder *r, const struct frame_report *f)
{
	(void)r;
	if (f->reverted_px)
		fail_msg("frame %lu: %lu pixels back to their value of two frames ago",
			 (unsigned long)f->n, (unsigned long)f->reverted_px);
}

static void check_no_tile_revert(struct recorder *r, const struct frame_report *f)
{
	(void)r;
	if (f->reverted_tiles)
		fail_msg("frame %lu: %lu tiles back to their content of two frames ago",
			 (unsigned long)f->n, (unsigned long)f->reverted_tiles);
}

static frame_check_fn check_for(const struct workload_info *ops)
{
	if (rt_strcmp(ops->name, "idle") == 0)
		return check_idle;
	if (rt_strcmp(ops->name, "typing") == 0)
		return check_no_pixel_revert;
	if (rt_strcmp(ops->name, "scrolling") == 0)
		return check_no_tile_revert;
	return NULL;
}

/* Exactness is asserted for every frame in rec_frame_commit; the screen
 * starts poisoned (frame 0 must paint all of it) or black, as VRAM does. */
static void test_damage_exact_all_workloads(void **state)
{
	static const struct { uint32_t w, h; bool zero; } sizes[] = {
		{ 1920, 1080, false }, { 640, 480, false }, { 1000, 600, false },
		{ 1000, 600, true },
	};
	(void)state;
	for (const struct workload_info *const *w = workload_catalog; *w; w++)
		for (size_t s = 0; s < sizeof(sizes) / sizeof(sizes[0]) && !(*w)->needs_file; s++)
			damage_case(*w, sizes[s].w, sizes[s].h, sizes[s].zero, NULL,
				    check_for(*w), 1);
}

/* Midnight roll-over rewrites all six digits; a steady cursor never changes. */
static void test_damage_idle_variants(void **state)
{
	const struct workload_info *idle = workload_find("idle");
	(void)state;
	assert_non_null(idle);
	damage_case(idle, 640, 480, false, "clock_start=86370", check_idle, 1);
	damage_case(idle, 1920, 1080, false, "blink_ms=0,clock_start=86390", check_idle, 0);
	damage_case(idle, 100, 60, false, NULL, NULL, 0);      /* tiny screen: clipping */
}

/* The other modes of the two text workloads. Many lines per frame can make a
 * mostly blank tile go back to blank, so those only need to be exact. */
static void test_damage_text_variants(void **state)
{
	const struct workload_info *scroll = workload_find("scrolling");
	const struct workload_info *typing = workload_find("typing");
	(void)state;
	assert_non_null(scroll);
	assert_non_null(typing);
	damage_case(scroll, 1000, 600, false, "smooth=1", check_no_tile_revert, 0);
	damage_case(scroll, 1000, 600, false, "smooth=1,px=3,fps=60", check_no_tile_revert, 0);
	damage_case(scroll, 1000, 600, false, "lines_per_s=7,panel=0", check_no_tile_revert, 0);
	damage_case(scroll, 1000, 600, false, "lines_per_s=400,fps=60", NULL, 0);
	damage_case(scroll, 640, 480, false, "lines_per_s=10000", NULL, 0);  /* > a screen */
	damage_case(scroll, 100, 60, false, "panel=400", NULL, 0);           /* no room */
	/* The fastest typist the parser allows (cps = fps/2): jitter still
	 * brings keys closer than two frames, which the typing code holds apart. */
	damage_case(typing, 1000, 600, false, "cps=30,fps=60,typo_pct=50", check_no_pixel_revert, 0);
	damage_case(typing, 1000, 600, false, "blink_ms=1,fps=60", check_no_pixel_revert, 0);
	damage_case(typing, 1000, 600, false, "blink_ms=0,fps=5,cps=2", check_no_pixel_revert, 0);
	damage_case(typing, 100, 60, false, NULL, check_no_pixel_revert, 0);
}

/* burst and mixed change only after seconds with their defaults (the loop
 * above sees burst's first idle spell and mixed's first phase): short
 * phases here, so that windows open and close, keys come several to a slow
 * frame, and every phase starts and comes back (tests/unit/
 * test_workload_phases.c checks what the phases do). */
static void test_damage_phase_variants(void **state)
{
	const struct workload_info *burst = workload_find("burst");
	const struct workload_info *mixed = workload_find("mixed");
	(void)state;
	assert_non_null(burst);
	assert_non_null(mixed);
	damage_case(burst, 1920, 1080, false, "idle_ms=100,burst_ms=300", NULL, 0);
	damage_case(burst, 640, 480, true, "idle_ms=100,burst_ms=16", NULL, 0);
	damage_case(burst, 1000, 600, false, "idle_ms=100,burst_ms=200,window=0,fps=10", NULL, 0);
	damage_case(burst, 100, 60, false, "idle_ms=100,burst_ms=100", NULL, 0);
	damage_case(mixed, 1000, 600, false, "phase_ms=200", NULL, 0);
	damage_case(mixed, 640, 480, true, "phase_ms=200,fps=30", NULL, 0);
	damage_case(mixed, 100, 60, false, "phase_ms=200", NULL, 0);
}

/* --- determinism --------------------------------------------------------- */

static uint32_t *render_copy(const struct workload_info *ops, uint32_t w, uint32_t h,
			     uint64_t seed)
{
	struct recorder r;
	rec_init(&r, w, h, FRAMES, false);
	rec_run(&r, ops, seed, NULL);
	uint32_t *copy = r.fb.pixels;
	r.fb.pixels = NULL;
	rec_free(&r);
	return copy;
}

static void test_determinism(void **state)
{
	(void)state;
	for (const struct workload_info *const *w = workload_catalog; *w; w++) {
		if ((*w)->needs_file)   /* trace: tests/e2e/test_trace.c replays the shipped files */
			continue;
		struct fb geom = { .width = 640, .height = 480, .stride_px = 640 + GUARD_PX };
		size_t bytes = fb_words(&geom) * sizeof(uint32_t);
		uint32_t *a = render_copy(*w, 640, 480, 42);
		uint32_t *b = render_copy(*w, 640, 480, 42);
		uint32_t *c = render_copy(*w, 640, 480, 43);
		assert_memory_equal(a, b, bytes);
		printf("  %-22s seed 42 vs 43: %s\n", (*w)->name,
		       memcmp(a, c, bytes) ? "differ" : "identical");
		free(a);
		free(b);
		free(c);
	}
}

/* --- registry and options ------------------------------------------------ */

/* Every catalog entry has its drawing, and what --list shows as its frame
 * rate is the one its default options give. */
static void test_registry(void **state)
{
	(void)state;
	for (const struct workload_info *const *w = workload_catalog; *w; w++) {
		const struct workload_info *ops = *w;
		const struct workload_draw *draw = workload_draw_find(ops->name);
		struct workload_ctx ctx = { 0 };
		assert_non_null(ops->name);
		assert_non_null(ops->description);
		assert_non_null(draw);
		assert_ptr_equal(draw->info, ops);
		assert_non_null(draw->init);
		assert_non_null(draw->frame);
		assert_true(ops->default_fps_milli > 0);
		assert_ptr_equal(workload_find(ops->name), ops);
		for (const struct workload_option *o = ops->options; o->name; o++)
			assert_true(o->min <= o->value && o->value <= o->max);
		assert_int_equal(workload_parse_options(ops, NULL, &ctx, NULL, 0), 0);
		assert_int_equal(ctx.fps_milli, ops->default_fps_milli);
	}
	assert_null(workload_find("no-such-workload"));
	assert_null(workload_draw_find("no-such-workload"));
}

static int fake_init(struct workload_ctx *ctx)
{
	(void)ctx;
	return 0;
}

static uint64_t fake_frames[64];
static size_t fake_nframes;
static uint64_t fake_stall_at, fake_stall_cycles;

/* Records which frame numbers it is asked for; one frame can be made slow
 * by advancing the virtual clock while it "draws". */
static void fake_frame(struct workload_ctx *ctx, uint64_t n)
{
	(void)ctx;
	if (fake_nframes < 64)
		fake_frames[fake_nframes++] = n;
	if (n == fake_stall_at)
		rt_linux_advance_virtual_clock(fake_stall_cycles);
}

static const struct workload_info fake_ops = {
	.name = "fake",
	.description = "test double",
	.default_fps_milli = 1000,
	.options = {
		{ .name = "speed", .value = 5, .min = 1, .max = 10, .help = "" },
		{ .name = "offset", .value = 0, .min = -100, .max = 100, .help = "" },
		{ .name = "huge", .value = 0, .min = INT64_MIN, .max = INT64_MAX, .help = "" },
		{ .name = NULL },
	},
};

static const struct workload_draw fake_draw = {
	.info = &fake_ops,
	.init = fake_init,
	.frame = fake_frame,
};

static void expect_options_ok(const char *spec, int64_t speed, int64_t offset)
{
	struct workload_ctx ctx = { 0 };
	char err[128] = "";
	assert_int_equal(workload_parse_options(&fake_ops, spec, &ctx, err, sizeof(err)), 0);
	assert_int_equal(ctx.nopt, 3);
	assert_int_equal(workload_opt(&ctx, "speed"), speed);
	assert_int_equal(workload_opt(&ctx, "offset"), offset);
}

static void expect_options_error(const struct workload_info *ops, const char *spec,
				 const char *needle)
{
	struct workload_ctx ctx = { 0 };
	char err[128] = "";
	assert_int_equal(workload_parse_options(ops, spec, &ctx, err, sizeof(err)), -1);
	if (!strstr(err, needle))
		fail_msg("\"%s\": error \"%s\" lacks \"%s\"", spec, err, needle);
}

static void test_options(void **state)
{
	(void)state;
	expect_options_ok(NULL, 5, 0);
	expect_options_ok("", 5, 0);
	expect_options_ok("speed=7", 7, 0);
	expect_options_ok("offset=-100,speed=10", 10, -100);
	expect_options_ok("offset=+3,speed=1,speed=2", 2, 3);
	expect_options_ok("huge=-9223372036854775808", 5, 0);
	expect_options_ok("huge=9223372036854775807", 5, 0);
	expect_options_error(&fake_ops, "bogus=1",
			     "fake: unknown option 'bogus' (options: speed offset huge)");
	expect_options_error(&fake_ops, "speed=11", "'speed=11' is out of range [1, 10]");
	expect_options_error(&fake_ops, "speed=0", "out of range");
	expect_options_error(&fake_ops, "offset=-101", "[-100, 100]");
	expect_options_error(&fake_ops, "speed=abc", "not an integer");
	expect_options_error(&fake_ops, "speed=", "not an integer");
	expect_options_error(&fake_ops, "speed=1x", "not an integer");
	expect_options_error(&fake_ops, "speed=-", "not an integer");
	expect_options_error(&fake_ops, "huge=9223372036854775808", "not an integer");
	expect_options_error(&fake_ops, "huge=-9223372036854775809", "not an integer");
	expect_options_error(&fake_ops, "speed", "expected key=value");
	expect_options_error(&fake_ops, "=5", "expected key=value");
	expect_options_error(&fake_ops, "speed=5,,offset=1", "expected key=value");
	expect_options_error(&fake_ops, "speed=5,", "trailing comma");
	expect_options_error(workload_find("idle"), "blink_ms=-1",
			     "idle: option 'blink_ms=-1' is out of range [0, 60000]");
	expect_options_error(workload_find("idle"), "colour=1", "unknown option 'colour'");
}

static void test_options_truncated_error(void **state)
{
	struct workload_ctx ctx = { 0 };
	char err[12];
	(void)state;
	memset(err, 'x', sizeof(err));
	assert_int_equal(workload_parse_options(&fake_ops, "bogus=1", &ctx, err, sizeof(err)), -1);
	assert_string_equal(err, "fake: unkno");
	assert_int_equal(workload_parse_options(&fake_ops, "bogus=1", &ctx, NULL, 0), -1);
}

/* --- the frame loop's pacing -------------------------------------------- */

static uint64_t stop_after;
static bool stop_at_frame(void)
{
	return fake_nframes >= stop_after;
}

static uint32_t drops_seen[64];
static void drops_commit(void *arg, uint64_t tsc, uint32_t dropped)
{
	(void)arg;
	(void)tsc;
	drops_seen[fake_nframes] = dropped;
}

/* 1 fps on the 1 GHz virtual TSC: one period is 1e9 cycles. Frame `at` takes
 * `stall` periods (x10) to draw; returns the frame numbers drawn. */
static struct workload_run_stats run_with_stall(uint64_t at, uint64_t stall_tenths)
{
	struct rt_linux_sink sink = { .frame_commit = drops_commit };
	struct workload_ctx ctx = { 0 };
	struct workload_run_stats stats;
	rt_linux_set_virtual_clock(true);
	rt_linux_set_sink(&sink);
	assert_int_equal(rt_tsc_khz(), RT_LINUX_VIRTUAL_KHZ);
	fake_nframes = 0;
	memset(drops_seen, 0xff, sizeof(drops_seen));
	fake_stall_at = at;
	fake_stall_cycles = stall_tenths * 100000000ull;
	stop_after = 8;
	assert_int_equal(workload_run(&fake_draw, &ctx, stop_at_frame, &stats), 0);
	assert_int_equal(ctx.fps_milli, 1000);
	rt_linux_set_sink(NULL);
	return stats;
}

static void test_run_pacing(void **state)
{
	(void)state;
	struct workload_run_stats s = run_with_stall(0, 0);
	for (size_t i = 0; i < 8; i++) {
		assert_int_equal(fake_frames[i], i + 1);
		assert_int_equal(drops_seen[i + 1], 0);
	}
	assert_int_equal(s.frames, 9);
	assert_int_equal(s.dropped, 0);
	/* Frame 3 ends at 4.0 periods: frame 4 is due now, drawn late, no drop. */
	s = run_with_stall(3, 10);
	assert_int_equal(fake_frames[3], 4);
	assert_int_equal(s.dropped, 0);
	/* Frame 3 ends at 5.5 periods: 4's slot is over, 5 is drawn at once
	 * and reports the one deadline skipped before it. */
	s = run_with_stall(3, 25);
	assert_int_equal(fake_frames[2], 3);
	assert_int_equal(fake_frames[3], 5);
	assert_int_equal(fake_frames[4], 6);
	assert_int_equal(drops_seen[4], 1);
	assert_int_equal(drops_seen[5], 0);
	assert_int_equal(s.dropped, 1);
	/* Frame 3 ends exactly on frame 5's deadline: 4 is dropped, 5 on time. */
	s = run_with_stall(3, 20);
	assert_int_equal(fake_frames[3], 5);
	assert_int_equal(drops_seen[4], 1);
	assert_int_equal(s.dropped, 1);
	/* Stalling 3.0 periods from 2: 3 and 4 are skipped, 5 drawn on time. */
	s = run_with_stall(2, 30);
	assert_int_equal(fake_frames[2], 5);
	assert_int_equal(drops_seen[3], 2);
	assert_int_equal(s.dropped, 2);
}

/* --- small pieces ---------------------------------------------------------- */

static void test_fmt(void **state)
{
	char buf[32];
	(void)state;
	assert_int_equal(fmt_u64(buf, 5, 2, true), 2);
	assert_string_equal(buf, "05");
	fmt_u64(buf, 123, 2, true);
	assert_string_equal(buf, "123");
	fmt_u64(buf, 0, 0, false);
	assert_string_equal(buf, "0");
	fmt_u64(buf, 42, 5, false);
	assert_string_equal(buf, "   42");
	fmt_u64(buf, UINT64_MAX, 0, false);
	assert_string_equal(buf, "18446744073709551615");
	fmt_i64(buf, INT64_MIN);
	assert_string_equal(buf, "-9223372036854775808");
	fmt_i64(buf, -7);
	assert_string_equal(buf, "-7");
	buf[0] = '\0';
	assert_int_equal(fmt_cat(buf, 6, "abc"), 3);
	assert_int_equal(fmt_cat(buf, 6, "defgh"), 5);
	assert_string_equal(buf, "abcde");
	assert_int_equal(fmt_catn(buf, 8, "xyz", 2), 7);
	assert_string_equal(buf, "abcdexy");
}

static void test_rng(void **state)
{
	struct rng a, b;
	uint64_t counts[6] = { 0 };
	(void)state;
	rng_seed(&a, 99);
	rng_seed(&b, 99);
	for (int i = 0; i < 100; i++)
		assert_int_equal(rng_next(&a), rng_next(&b));
	assert_int_equal(rng_below(&a, 0), 0);
	assert_int_equal(rng_below(&a, 1), 0);
	for (int i = 0; i < 60000; i++)
		counts[rng_below(&a, 6)]++;
	for (int i = 0; i < 6; i++)
		assert_true(counts[i] > 9000 && counts[i] < 11000);
	for (int i = 0; i < 1000; i++)
		assert_true(rng_below(&a, UINT64_MAX - 1) < UINT64_MAX - 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_fmt, rt_linux_reset_setup),
		cmocka_unit_test_setup(test_rng, rt_linux_reset_setup),
		cmocka_unit_test_setup(test_registry, rt_linux_reset_setup),
		cmocka_unit_test_setup(test_options, rt_linux_reset_setup),
		cmocka_unit_test_setup(test_options_truncated_error, rt_linux_reset_setup),
		cmocka_unit_test_setup(test_run_pacing, rt_linux_reset_setup),
		cmocka_unit_test_setup(test_damage_exact_all_workloads, rt_linux_reset_setup),
		cmocka_unit_test_setup(test_damage_idle_variants, rt_linux_reset_setup),
		cmocka_unit_test_setup(test_damage_text_variants, rt_linux_reset_setup),
		cmocka_unit_test_setup(test_damage_phase_variants, rt_linux_reset_setup),
		cmocka_unit_test_setup(test_determinism, rt_linux_reset_setup),
	};
	return cmocka_run_group_tests_name("workloads", tests, NULL, NULL);
}
