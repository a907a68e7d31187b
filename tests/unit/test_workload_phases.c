/*
 * The workloads whose activity changes (burst, mixed), on the Linux runtime
 * with a virtual clock: the phase every frame reports through rt_set_phase()
 * follows the options and the phase list; burst's idle frames declare
 * nothing and a burst's first frame does (with window=1, a whole window);
 * mixed draws each phase at that workload's own frame rate and allocates
 * nothing once every phase has started; both are deterministic per seed.
 * Their damage is exact (tests/unit/test_workload_damage.c).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <malloc.h>
#include <stdlib.h>
#include <string.h>

#include "workloads/linux/runtime_linux.h"
#include "workloads/workload.h"

#define POISON 0xa5a5a5a5u      /* workloads write 0x00RRGGBB only */

struct frame_log {
	uint32_t phase;                 /* rt_linux_phase() at the commit */
	uint64_t declared;              /* pixels inside at least one rectangle */
	uint64_t hash;                  /* the rectangles, in order */
	bool has_rect;                  /* a whole want_w x want_h rectangle was declared */
};

struct rec {
	struct fb fb;
	uint8_t *mask;                  /* declared this frame */
	uint32_t *sum;                  /* the mask's integral image, (w + 1) x (h + 1) */
	uint32_t want_w, want_h;        /* a rectangle to look for (0: none) */
	struct frame_log *log;
	uint64_t frames, limit;
	uint64_t hash;
	uint64_t phase_calls;           /* rt_set_phase() heard */
	uint64_t heap_at, heap_from;    /* malloc'ed bytes at frame heap_at, and at the end */
	size_t heap_then, heap_end;
};

static struct rec *g_rec;

static void rec_begin(void *arg, uint64_t tsc)
{
	struct rec *r = arg;
	(void)tsc;
	memset(r->mask, 0, (size_t)r->fb.width * r->fb.height);
	r->hash = 1469598103934665603ull;
}

static void rec_damage(void *arg, uint32_t x, uint32_t y, uint32_t w, uint32_t h)
{
	struct rec *r = arg;
	uint32_t v[4] = { x, y, w, h };
	assert_true((uint64_t)x + w <= r->fb.width && (uint64_t)y + h <= r->fb.height);
	for (uint32_t j = y; j < y + h; j++)
		memset(r->mask + (size_t)j * r->fb.width + x, 1, w);
	for (size_t i = 0; i < sizeof(v); i++)
		r->hash = (r->hash ^ ((const uint8_t *)v)[i]) * 1099511628211ull;
}

/* Is some want_w x want_h rectangle declared in full? */
static bool rec_find_rect(struct rec *r)
{
	uint32_t w = r->fb.width, h = r->fb.height, sw = w + 1;
	if (!r->want_w)
		return false;
	for (uint32_t y = 0; y < h; y++)
		for (uint32_t x = 0, row = 0; x < w; x++) {
			row += r->mask[(size_t)y * w + x];
			r->sum[(size_t)(y + 1) * sw + x + 1] = r->sum[(size_t)y * sw + x + 1] + row;
		}
	for (uint32_t y = 0; y + r->want_h <= h; y++)
		for (uint32_t x = 0; x + r->want_w <= w; x++) {
			uint32_t x1 = x + r->want_w, y1 = y + r->want_h;
			uint64_t n = (uint64_t)r->sum[(size_t)y1 * sw + x1] - r->sum[(size_t)y * sw + x1] -
				     r->sum[(size_t)y1 * sw + x] + r->sum[(size_t)y * sw + x];
			if (n == (uint64_t)r->want_w * r->want_h)
				return true;
		}
	return false;
}

static void rec_commit(void *arg, uint64_t tsc, uint32_t dropped)
{
	struct rec *r = arg;
	struct frame_log *f = &r->log[r->frames];
	(void)tsc;
	assert_int_equal(dropped, 0);
	f->phase = rt_linux_phase();
	f->hash = r->hash;
	for (size_t i = 0; i < (size_t)r->fb.width * r->fb.height; i++)
		f->declared += r->mask[i];
	f->has_rect = f->declared >= (uint64_t)r->want_w * r->want_h && rec_find_rect(r);
	if (r->frames == r->heap_at)
		r->heap_then = mallinfo2().uordblks;
	if (r->frames + 1 == r->limit)
		r->heap_end = mallinfo2().uordblks;
	r->frames++;
}

static void rec_phase(uint32_t phase)
{
	(void)phase;
	g_rec->phase_calls++;
}

static bool rec_stop(void)
{
	return g_rec->frames >= g_rec->limit;
}

static void rec_init(struct rec *r, uint32_t w, uint32_t h, uint64_t frames)
{
	memset(r, 0, sizeof(*r));
	r->fb = (struct fb){ malloc((size_t)w * h * 4), w, h, w };
	r->mask = malloc((size_t)w * h);
	r->sum = calloc((size_t)(w + 1) * (h + 1), sizeof(uint32_t));
	r->log = calloc(frames, sizeof(*r->log));
	assert_true(r->fb.pixels && r->mask && r->sum && r->log);
	for (size_t i = 0; i < (size_t)w * h; i++)
		r->fb.pixels[i] = POISON;
	r->limit = frames;
	r->heap_at = UINT64_MAX;
}

static void rec_free(struct rec *r)
{
	free(r->fb.pixels);
	free(r->mask);
	free(r->sum);
	free(r->log);
}

/* Run the workload for r->limit frames; returns its context's frame rate. */
static uint32_t rec_run(struct rec *r, const char *name, const char *options, uint64_t seed)
{
	const struct workload_info *ops = workload_find(name);
	struct rt_linux_sink sink = { rec_begin, rec_damage, rec_commit, r };
	struct workload_ctx ctx = { .fb = r->fb, .seed = seed };
	char err[160];
	assert_non_null(ops);
	rt_linux_set_virtual_clock(true);
	rt_linux_set_sink(&sink);
	rt_linux_set_phase_listener(rec_phase);
	g_rec = r;
	if (workload_parse_options(ops, options, &ctx, err, sizeof(err)))
		fail_msg("%s %s: %s", name, options, err);
	assert_int_equal(workload_run(workload_draw_find(name), &ctx, rec_stop, NULL), 0);
	assert_int_equal(r->frames, r->limit);
	rt_linux_set_sink(NULL);
	rt_linux_set_phase_listener(NULL);
	rt_linux_free_all();
	return ctx.fps_milli;
}

static size_t phase_count(const char *name)
{
	const char *const *p = workload_find(name)->phase_names;
	size_t n = 0;
	while (p && p[n])
		n++;
	return n;
}

/* --- burst ------------------------------------------------------------------ */

struct burst_case {
	uint32_t w, h;
	const char *options;
	uint64_t idle_ms, burst_ms, frames;
	bool window;
};

/* Phase by the frame's time; idle frames declare nothing; a burst's first
 * frame declares a whole window, or (window=0) a few glyphs. */
static void burst_case(const struct burst_case *c)
{
	struct rec r;
	rec_init(&r, c->w, c->h, c->frames);
	r.want_w = c->window ? (c->w < 800 ? c->w : 800) : 0;
	r.want_h = c->window ? (c->h < 600 ? c->h : 600) : 0;
	uint32_t fps_milli = rec_run(&r, "burst", c->options, 5);
	uint64_t bursts = 0, changes = 0;
	assert_int_equal(r.log[0].declared, (uint64_t)c->w * c->h);
	assert_int_equal(r.log[0].phase, 0);
	for (uint64_t n = 1; n < c->frames; n++) {
		const struct frame_log *f = &r.log[n];
		uint64_t into = n * 1000000000ull / fps_milli % ((c->idle_ms + c->burst_ms) * 1000);
		uint32_t want = into >= c->idle_ms * 1000;
		if (f->phase != want)
			fail_msg("frame %lu: phase %u, not %u", (unsigned long)n, f->phase, want);
		changes += f->phase != r.log[n - 1].phase;
		if (!want) {
			assert_int_equal(f->declared, 0);
			continue;
		}
		if (r.log[n - 1].phase == 1)
			continue;
		bursts++;
		if (c->window && !f->has_rect)
			fail_msg("frame %lu: a burst's first frame without its %ux%u window",
				 (unsigned long)n, r.want_w, r.want_h);
		assert_true(f->declared > 0);
		if (!c->window)         /* a few keys and the cursor: cells, not a window */
			assert_true(f->declared <= 8 * 8 * 16);
	}
	assert_true(bursts >= 2);
	/* rt_set_phase() at init and at each change, and only then. */
	assert_int_equal(r.phase_calls, changes + 1);
	rec_free(&r);
}

static void test_burst_phases(void **state)
{
	static const struct burst_case cases[] = {
		{ 1024, 768, "idle_ms=200,burst_ms=300", 200, 300, 200, true },
		{ 640, 480, "idle_ms=100,burst_ms=16", 100, 16, 200, true },    /* the window is the screen */
		{ 640, 480, "idle_ms=100,burst_ms=100,window=0", 100, 100, 120, false },
		{ 640, 480, "idle_ms=100,burst_ms=1000,window=0,fps=5", 100, 1000, 30, false },
		{ 640, 480, NULL, 3000, 1000, 500, true },                      /* the defaults */
	};
	(void)state;
	assert_int_equal(phase_count("burst"), 2);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		burst_case(&cases[i]);
}

/* --- mixed ------------------------------------------------------------------ */

/* The workload of each phase, and whether its every frame changes pixels. */
static const struct {
	const char *name;
	bool always;
} mixed_phases[] = {
	{ "idle", false }, { "typing", false }, { "scrolling", true },
	{ "video", true }, { "drag", true }, { "idle", false },
};

/* Phase i on screen from frame n: the first time, a cleared screen, then
 * its init in the next frame; coming back, a screen of ours. Its own frames
 * come at its own rate, counted over the frames it was on screen since its
 * init, and none with those screens. */
static void test_mixed_phases(void **state)
{
	struct rec r;
	uint64_t shown[6] = { 0 }, entered[6] = { 0 }, stint = 0, video_frames = 0;
	bool started[6] = { true }, init_next = false;
	(void)state;
	assert_int_equal(phase_count("mixed"), 6);
	rec_init(&r, 800, 600, 2 * 72 + 30);            /* 12 frames a phase, 72 a cycle */
	uint32_t fps_milli = rec_run(&r, "mixed", "phase_ms=200", 9);
	assert_int_equal(fps_milli, 60000);
	for (uint64_t n = 0; n < r.limit; n++) {
		const struct frame_log *f = &r.log[n];
		uint64_t s = n / 12, half = (uint64_t)r.fb.width * r.fb.height / 2;
		uint32_t i = (uint32_t)(s % 6);
		assert_int_equal(f->phase, i);
		if (s != stint) {
			shown[stint % 6] += started[stint % 6] ? n - entered[stint % 6] : 0;
			stint = s;
			entered[i] = n;
			init_next = !started[i];
		} else if (init_next) {
			init_next = false;
			started[i] = true;
			entered[i] = n;
		} else if (n) {
			uint64_t e = shown[i] + n - entered[i];
			uint64_t fps = workload_find(mixed_phases[i].name)->default_fps_milli;
			bool due = e * fps / 60000 > (e - 1) * fps / 60000;
			if (!due && f->declared)
				fail_msg("frame %lu: phase %u drew between its own frames", (unsigned long)n, i);
			if (due && mixed_phases[i].always && !f->declared)
				fail_msg("frame %lu: phase %u did not draw its frame", (unsigned long)n, i);
			video_frames += due && i == 3;
			continue;
		}
		/* Frame 0, a clear, an init or our window: the whole screen. */
		if (f->declared < half)
			fail_msg("frame %lu: phase %u's screen declares %lu pixels", (unsigned long)n, i,
				 (unsigned long)f->declared);
	}
	/* Video at 30 fps: every other frame. First its init and 10 frames on
	 * screen (its own 1..5), then 12 with our window first (6..11). */
	assert_int_equal(video_frames, 5 + 6);
	assert_int_equal(r.phase_calls, r.limit / 12 + 1);
	rec_free(&r);
}

/* rt_alloc never frees: every phase's workload starts once, in the first
 * cycle, and coming back allocates nothing. (Under ASan mallinfo2 sees
 * none of the sanitizer's heap, and this checks nothing.) */
static void test_mixed_allocates_once(void **state)
{
	struct rec r;
	(void)state;
	rec_init(&r, 320, 240, 6 * 72);
	r.heap_at = 72;
	rec_run(&r, "mixed", "phase_ms=200", 1);
	if (r.heap_end != r.heap_then)
		fail_msg("heap grew by %ld bytes over five cycles",
			 (long)r.heap_end - (long)r.heap_then);
	rec_free(&r);
}

/* --- both ------------------------------------------------------------------- */

static struct frame_log *run_log(const char *name, const char *options, uint64_t seed,
				 uint64_t frames, uint32_t **screen)
{
	struct rec r;
	rec_init(&r, 640, 480, frames);
	rec_run(&r, name, options, seed);
	struct frame_log *log = r.log;
	*screen = r.fb.pixels;
	r.log = NULL;
	r.fb.pixels = NULL;
	rec_free(&r);
	return log;
}

/* Same seed: the same damage, frame by frame, and the same screen. */
static void test_deterministic(void **state)
{
	static const struct { const char *name, *options; uint64_t frames; } cases[] = {
		{ "burst", "idle_ms=100,burst_ms=300", 120 },
		{ "burst", "idle_ms=100,burst_ms=300,window=0", 120 },
		{ "mixed", "phase_ms=200", 150 },
	};
	(void)state;
	for (size_t c = 0; c < sizeof(cases) / sizeof(cases[0]); c++) {
		uint32_t *a, *b, *d;
		uint64_t n = cases[c].frames;
		struct frame_log *x = run_log(cases[c].name, cases[c].options, 42, n, &a);
		struct frame_log *y = run_log(cases[c].name, cases[c].options, 42, n, &b);
		struct frame_log *z = run_log(cases[c].name, cases[c].options, 43, n, &d);
		bool differ = false;
		for (uint64_t i = 0; i < n; i++) {
			assert_int_equal(x[i].hash, y[i].hash);
			assert_int_equal(x[i].phase, y[i].phase);
			assert_int_equal(x[i].phase, z[i].phase);      /* phases follow time, not the seed */
			differ |= x[i].hash != z[i].hash;
		}
		assert_memory_equal(a, b, (size_t)640 * 480 * 4);
		assert_true(differ);
		free(x), free(y), free(z), free(a), free(b), free(d);
	}
}

/* Single-phase workloads name no phases and never set one. */
static void test_phase_names(void **state)
{
	(void)state;
	for (const struct workload_info *const *w = workload_catalog; *w; w++) {
		bool phased = !strcmp((*w)->name, "burst") || !strcmp((*w)->name, "mixed");
		assert_true(phased == ((*w)->phase_names != NULL));
	}
	struct rec r;
	rec_init(&r, 320, 240, 20);
	rec_run(&r, "typing", NULL, 1);
	assert_int_equal(r.phase_calls, 0);
	assert_int_equal(r.log[19].phase, 0);
	rec_free(&r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_phase_names, rt_linux_reset_setup),
		cmocka_unit_test_setup(test_burst_phases, rt_linux_reset_setup),
		cmocka_unit_test_setup(test_mixed_phases, rt_linux_reset_setup),
		cmocka_unit_test_setup(test_mixed_allocates_once, rt_linux_reset_setup),
		cmocka_unit_test_setup(test_deterministic, rt_linux_reset_setup),
	};
	return cmocka_run_group_tests_name("workload phases", tests, NULL, NULL);
}
