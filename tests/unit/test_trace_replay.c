/*
 * The trace workload's drawing (workloads/trace.c) on the Linux runtime with a
 * virtual clock, for every shipped trace (every .dbt in traces/, loaded by the one
 * reader): over one whole loop, on time and with the guest late now and then
 * (a replay frame then draws several trace frames), every changed pixel lies in
 * a declared rectangle; in a rect-only trace every declared pixel changes and
 * each recorded rectangle is declared exactly once per loop; in a trace with
 * pixels the screen at the end of the loop is the recorded one (the frames
 * composed here independently). Also: without a loaded image, or with one of
 * another size, the workload refuses to start.
 */
#include <glob.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "core/trace_file.h"
#include "include/protocol.h"
#include "workloads/linux/runtime_linux.h"
#include "workloads/workload.h"

struct checker {
	const struct db_trace_image *img;
	struct fb fb;
	uint32_t *before;
	uint8_t *mask;
	uint64_t frames_wanted, commits, declared_rects, changed_px;
	uint64_t rects_wanted;          /* stop once a whole loop's rects are declared */
	bool late;                      /* make the guest late now and then */
	int failures;
};

static struct checker *g_chk;

static void chk_begin(void *arg, uint64_t tsc)
{
	struct checker *c = arg;
	size_t n = (size_t)c->fb.width * c->fb.height;

	(void)tsc;
	memcpy(c->before, c->fb.pixels, n * 4);
	memset(c->mask, 0, n);
}

static void chk_damage(void *arg, uint32_t x, uint32_t y, uint32_t w, uint32_t h)
{
	struct checker *c = arg;

	assert_true(w && h && x + w <= c->fb.width && y + h <= c->fb.height);
	for (uint32_t r = y; r < y + h; r++)
		memset(c->mask + (size_t)r * c->fb.width + x, 1, w);
	c->declared_rects++;
}

/* Changed outside the damage: always wrong. Declared and unchanged: wrong
 * for a rect-only trace, whose replay changes every declared pixel. */
static void chk_commit(void *arg, uint64_t tsc, uint32_t dropped)
{
	struct checker *c = arg;
	size_t n = (size_t)c->fb.width * c->fb.height;
	bool rect_only = !(c->img->flags & DB_TRACE_HAS_PIXELS);

	(void)tsc;
	(void)dropped;
	c->commits++;
	/* Late by five frames every seventh frame, early on: the next replay
	 * frame catches up, drawing several trace frames at once. */
	if (c->late && c->commits < 70 && c->commits % 7 == 0)
		rt_linux_advance_virtual_clock(5 * RT_LINUX_VIRTUAL_KHZ * 1000000 / 60000);
	if (!rect_only && !memcmp(c->before, c->fb.pixels, n * 4))
		return;
	for (size_t i = 0; i < n; i++) {
		bool changed = c->before[i] != c->fb.pixels[i];

		c->changed_px += changed;
		if ((changed && !c->mask[i]) || (rect_only && c->mask[i] && !changed))
			c->failures++;
	}
}

/* The frame loop asks before and after each sleep: count commits, not calls. */
static bool chk_stop(void)
{
	return g_chk->rects_wanted ? g_chk->declared_rects >= g_chk->rects_wanted
				   : g_chk->commits >= g_chk->frames_wanted;
}

/* The screen after the whole loop, composed from the image's frames. */
static uint32_t *compose(const struct db_trace_image *img)
{
	const uint8_t *base = (const uint8_t *)img;
	const struct db_trace_frame *f = (const void *)(base + img->frames_off);
	const struct db_rect *r = (const void *)(base + img->rects_off);
	const uint32_t *px = (const void *)(base + img->pixels_off);
	uint32_t *screen = calloc((size_t)img->width * img->height, 4);

	assert_non_null(screen);
	for (uint32_t i = 0; i < img->frame_count; i++) {
		const uint32_t *src = px + f[i].pixel_first;
		for (uint32_t k = 0; k < f[i].rect_count; k++) {
			const struct db_rect *q = &r[f[i].rect_first + k];
			for (uint32_t y = 0; y < q->h; y++)
				memcpy(screen + (size_t)(q->y + y) * img->width + q->x, src + (size_t)y * q->w,
				       (size_t)q->w * 4);
			src += (size_t)q->w * q->h;
		}
	}
	return screen;
}

static void replay_one(const char *path, bool late)
{
	struct trace_info info;
	struct checker c = { 0 };
	struct workload_ctx ctx = { 0 };
	const struct workload_draw *draw = workload_draw_find("trace");
	char err[512], spec[300];
	void *img;
	size_t len;

	if (trace_file_load(path, 0, 0, &info, &img, &len, err, sizeof(err)))
		fail_msg("%s", err);
	c.img = img;
	c.fb = (struct fb){ calloc((size_t)info.width * info.height, 4), info.width, info.height, info.width };
	c.before = malloc((size_t)info.width * info.height * 4);
	c.mask = malloc((size_t)info.width * info.height);
	assert_true(c.fb.pixels && c.before && c.mask);
	snprintf(spec, sizeof(spec), "file=%s", path);
	assert_int_equal(workload_parse_options(draw->info, spec, &ctx, err, sizeof(err)), 0);
	ctx.fb = c.fb;
	ctx.trace = img;
	ctx.trace_bytes = len;
	/* Frames up to the loop's last trace frame, and none of the next loop. */
	const struct db_trace_frame *f = (const void *)((const uint8_t *)img + c.img->frames_off);
	/* The first replay frame at or after the last trace frame (frame n is at
	 * n * 1e9 / fps_milli us, rounded down, as workloads/trace.c has it). */
	uint64_t last = ((uint64_t)f[info.frame_count - 1].t_us * ctx.fps_milli + 999999999) / 1000000000;
	c.frames_wanted = last + 1;
	c.late = late;
	if (late)               /* the frame count moves with the skips: count rects */
		c.rects_wanted = info.rect_count;
	g_chk = &c;
	rt_linux_set_virtual_clock(true);
	rt_linux_set_sink(&(struct rt_linux_sink){ chk_begin, chk_damage, chk_commit, &c });
	assert_int_equal(workload_run(draw, &ctx, chk_stop, NULL), 0);
	rt_linux_set_sink(NULL);
	if (c.failures)
		fail_msg("%s: %d pixels changed undeclared or declared unchanged", path, c.failures);
	assert_int_equal(c.declared_rects, info.rect_count);    /* each rect once in one loop */
	if (info.flags & TRACE_FLAG_PIXELS) {
		uint32_t *want = compose(c.img);
		assert_memory_equal(want, c.fb.pixels, (size_t)info.width * info.height * 4);
		free(want);
	}
	printf("  %-28s %-7s %llu replay frames, %llu rects, %llu pixels changed: exact\n", path,
	       late ? "late" : "on time", (unsigned long long)c.commits, (unsigned long long)c.declared_rects,
	       (unsigned long long)c.changed_px);
	rt_linux_free_all();
	free(c.fb.pixels);
	free(c.before);
	free(c.mask);
	free(img);
}

static void test_shipped_traces_replay_exactly(void **state)
{
	glob_t g;

	(void)state;
	assert_int_equal(glob("traces/*.dbt", 0, NULL, &g), 0);
	assert_true(g.gl_pathc >= 6);
	for (size_t i = 0; i < g.gl_pathc; i++) {
		replay_one(g.gl_pathv[i], false);
		replay_one(g.gl_pathv[i], true);
	}
	globfree(&g);
}

/* No image (db-workload, a test runtime) or one of another size: init fails. */
static void test_refuses_without_image(void **state)
{
	static uint32_t pixels[64 * 64];
	struct db_trace_image img = { .magic = DB_TRACE_IMAGE_MAGIC, .width = 128, .height = 64,
				      .frame_count = 1, .duration_us = 1, .bytes = sizeof(img) };
	struct workload_ctx ctx = { .fb = { pixels, 64, 64, 64 } };
	const struct workload_draw *draw = workload_draw_find("trace");

	(void)state;
	rt_linux_set_virtual_clock(true);
	g_chk = &(struct checker){ .frames_wanted = 3 };
	assert_int_not_equal(workload_run(draw, &ctx, chk_stop, NULL), 0);
	ctx.trace = &img;
	ctx.trace_bytes = sizeof(img);
	assert_int_not_equal(workload_run(draw, &ctx, chk_stop, NULL), 0);
	rt_linux_free_all();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_shipped_traces_replay_exactly, rt_linux_reset_setup),
		cmocka_unit_test_setup(test_refuses_without_image, rt_linux_reset_setup),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
