/*
 * pvbitmap, without a VM: the guest's marking function against a naive
 * rectangle-to-tiles reference, and the whole protocol in one process: the
 * real frontend (workloads/guest/pvfront.c, compiled here for the host) and
 * the real backend (strategies/pvbitmap.c) over a fake back end whose "guest
 * memory" is a buffer and whose wait for a notification runs the frontend's
 * poll, as a guest reaching its next mark or sleep would. The real thing, in
 * a micro-VM, is tests/e2e/test_pvbitmap_vm.c.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/bitmap.h"
#include "core/strategy.h"
#include "strategies/pvbitmap.h"
#include "workloads/lib/pvmark.h"

/* The frontend, as the guest runs it (its rt_tsc is the Linux runtime's). */
#include "workloads/lib/pvfront.c"
#include "workloads/lib/rng.h"

extern const struct strategy_ops strategy_pvbitmap;
extern const struct strategy_ops strategy_pvbitmap_fine;

/* Deterministic, so a failure reproduces. */
static struct rng test_rng = { 0x2545f4914f6cdd1dull };

/* --- marking ------------------------------------------------------------ */

/* Tile (r, c) covers pixels [c*tw, (c+1)*tw) x [r*th, (r+1)*th). */
static void naive_mark(const struct pvmark_grid *g, uint64_t *map, uint32_t x, uint32_t y,
		       uint32_t w, uint32_t h)
{
	uint64_t x1 = (uint64_t)x + w, y1 = (uint64_t)y + h;

	for (uint32_t r = 0; r < g->rows; r++)
		for (uint32_t c = 0; c < g->cols; c++)
			if (w && h && x < (uint64_t)(c + 1) * g->tile_w && (uint64_t)c * g->tile_w < x1 &&
			    y < (uint64_t)(r + 1) * g->tile_h && (uint64_t)r * g->tile_h < y1)
				map[(size_t)r * g->words_per_row + c / 64] |= 1ull << (c % 64);
}

static void check_grid(const struct pvmark_grid *g)
{
	size_t words = (size_t)g->rows * g->words_per_row;
	uint64_t *got = calloc(words + 8, sizeof(uint64_t)), *want = calloc(words, sizeof(uint64_t));
	uint32_t span_w = g->cols * g->tile_w + 40, span_h = g->rows * g->tile_h + 40;

	for (int i = 0; i < 3000; i++) {
		uint32_t x = (uint32_t)rng_below(&test_rng, span_w), y = (uint32_t)rng_below(&test_rng, span_h);
		uint32_t w = (uint32_t)rng_below(&test_rng, 8) == 0 ? 0 : (uint32_t)rng_below(&test_rng, span_w), h = (uint32_t)rng_below(&test_rng, span_h / 4 + 1);

		if (i % 7 == 0)
			w = UINT32_MAX - (uint32_t)rng_below(&test_rng, 3), h = UINT32_MAX;  /* x + w wraps */
		memset(got, 0, (words + 8) * sizeof(uint64_t));
		memset(want, 0, words * sizeof(uint64_t));
		pvmark_rect(g, got, x, y, w, h);
		naive_mark(g, want, x, y, w, h);
		if (memcmp(got, want, words * sizeof(uint64_t)))
			fail_msg("grid %ux%u of %ux%u: rect %u,%u %ux%u marked wrong tiles",
				 g->cols, g->rows, g->tile_w, g->tile_h, x, y, w, h);
		for (size_t k = words; k < words + 8; k++)
			assert_true(got[k] == 0);       /* nothing past the bitmap */
	}
	free(got);
	free(want);
}

static void test_mark_matches_naive(void **state)
{
	static const struct pvmark_grid grids[] = {
		{ 30, 9, 64, 120, 1 },          /* 1920x1080, the seed's strips */
		{ 15, 5, 128, 216, 2 },         /* pvbitmap-fine at 1920x1080 */
		{ 7, 3, 100, 17, 2 },           /* a partial last word */
		{ 1, 1, 1, 1, 1 }, { 5, 2, 65, 3, 2 }, { 16, 16, 200, 50, 4 },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(grids) / sizeof(grids[0]); i++)
		check_grid(&grids[i]);
}

/* --- the protocol over a fake back end ---------------------------------- */

#define FAKE_RAM (DB_PVFINE_BITMAP_GPA + 3 * 4096)

struct fake {
	struct backend be;              /* first: hooks get &fake->be */
	uint8_t *ram;
	bool answers;                   /* the frontend polls while the host waits */
	int kicks, waits;
};

static void *fake_guest_ptr(struct backend *be, uint64_t gpa, size_t len)
{
	struct fake *f = (struct fake *)be;

	return gpa < FAKE_RAM && len <= FAKE_RAM - gpa ? f->ram + gpa : NULL;
}

static int fake_kick(struct backend *be)
{
	((struct fake *)be)->kicks++;
	return 0;
}

/* The host waits: a responsive guest reaches a check point now. */
static int fake_wait(struct backend *be, long timeout_us)
{
	struct fake *f = (struct fake *)be;

	(void)timeout_us;
	f->waits++;
	return f->answers ? pvfront_poll() : 0;
}

static const struct backend_ops fake_ops = {
	.name = "fake", .features = BACKEND_PV_PAGE | BACKEND_GUEST_EVENTS,
	.guest_ptr = fake_guest_ptr, .guest_kick = fake_kick, .guest_wait_notify = fake_wait,
};

struct world {
	struct fake fake;
	struct strategy s;
	struct dirty_set out;
	struct db_pv_state *st;
	uint64_t *unreported, *marked_ever;     /* reference sets, in tiles */
};

/* The guest sees its shared memory at the host addresses in this test. */
static void world_start_frontend(struct world *w)
{
	struct db_control *c = w->fake.be.control;
	struct pvbitmap *p = w->s.priv;

	c->pv_state_gpa = (uintptr_t)p->st;
	c->pv_bitmap_gpa[0] = (uintptr_t)p->bitmap[0];
	c->pv_bitmap_gpa[1] = (uintptr_t)p->bitmap[1];
	pvfront_init(c);
	w->st = p->st;
}

static void world_init(struct world *w, const struct strategy_ops *ops, uint32_t tw, uint32_t th,
		       const char *opts)
{
	char err[200];
	struct db_control *c;

	memset(w, 0, sizeof(*w));
	w->fake.ram = calloc(1, FAKE_RAM);
	w->fake.be.ops = &fake_ops;
	w->fake.be.control = c = (struct db_control *)(w->fake.ram + DB_CONTROL_GPA);
	assert_int_equal(fb_geometry_init(&w->fake.be.geo, 1920, 1080, tw, th, err, sizeof(err)), 0);
	*c = (struct db_control){ .width = 1920, .height = 1080, .tsc_khz = 2700000,
				  .tile_w = w->fake.be.geo.tile_w, .tile_h = w->fake.be.geo.tile_h };
	if (strategy_init_with_options(&w->s, ops, &w->fake.be, opts))
		fail_msg("%s", w->s.error);
	world_start_frontend(w);
	assert_int_equal(dirty_set_alloc(&w->out, &w->fake.be.geo), 0);
	w->unreported = calloc(BITMAP_WORDS(w->fake.be.geo.ntiles), 8);
	w->marked_ever = calloc(BITMAP_WORDS(w->fake.be.geo.ntiles), 8);
	assert_int_equal(strategy_start(&w->s), 0);
}

static void world_fini(struct world *w)
{
	strategy_fini(&w->s);
	dirty_set_free(&w->out);
	free(w->unreported);
	free(w->marked_ever);
	free(w->fake.ram);
	memset(&pv, 0, sizeof(pv));
}

/* The guest draws a random rectangle; the reference learns its tiles. */
static void guest_mark(struct world *w)
{
	const struct fb_geometry *g = &w->fake.be.geo;
	uint32_t x = (uint32_t)rng_below(&test_rng, g->width), y = (uint32_t)rng_below(&test_rng, g->height);
	uint32_t rw = 1 + (uint32_t)rng_below(&test_rng, g->width - x), rh = 1 + (uint32_t)rng_below(&test_rng, (g->height - y + 3) / 4);

	pvfront_mark(x, y, rw, rh);
	for (uint32_t r = y / g->tile_h; r <= (y + rh - 1) / g->tile_h; r++)
		bitmap_set_range(w->unreported, (size_t)r * g->cols + x / g->tile_w,
				 (x + rw - 1) / g->tile_w - x / g->tile_w + 1);
	bitmap_or(w->marked_ever, w->unreported, g->ntiles);
}

/* The frontend's timer expires (time passes): it switches at its next poll. */
static void guest_timer(struct world *w)
{
	if (w->st->deadline)
		w->st->deadline = 1;
	pvfront_poll();
}

static void scan(struct world *w)
{
	assert_int_equal(strategy_scan(&w->s, &w->out), 0);
}

static bool reported(const struct world *w, const uint64_t *want)
{
	return w->out.full || bitmap_subset(want, w->out.tiles, w->fake.be.geo.ntiles);
}

/* Nothing reported that was never marked. */
static void check_precise(const struct world *w)
{
	if (!w->out.full)
		assert_true(bitmap_subset(w->out.tiles, w->marked_ever, w->fake.be.geo.ntiles));
}

/* The guest goes to sleep until a later frame (and, here, wakes at once). */
static void guest_sleep(void)
{
	pvfront_sleep_begin(UINT64_MAX);
	pvfront_sleep_end();
}

static void random_guest_phase(struct world *w)
{
	for (int n = (uint32_t)rng_below(&test_rng, 6); n > 0; n--) {
		switch ((uint32_t)rng_below(&test_rng, 5)) {
		case 0: guest_timer(w); break;
		case 1: pvfront_poll(); break;
		case 2: guest_sleep(); break;
		default: guest_mark(w); break;
		}
	}
}

/* sync=1 and a guest that answers: every round reports exactly what was
 * marked before it, whatever the timer did, early switches or not. */
static void test_sync_reports_everything_in_its_round(void **state)
{
	const struct strategy_ops *ops[] = { &strategy_pvbitmap, &strategy_pvbitmap_fine };
	const char *opts[] = { "sync=1,wait_us=1000000", "sync=1,wait_us=1000000,early=0" };
	struct world w;

	(void)state;
	for (int i = 0; i < 4; i++) {
		world_init(&w, ops[i % 2], i % 2 ? 15 : 0, i % 2 ? 5 : 0, opts[i / 2]);
		w.fake.answers = true;
		for (int round = 0; round < 2000; round++) {
			random_guest_phase(&w);
			scan(&w);
			assert_false(w.out.full);
			assert_memory_equal(w.out.tiles, w.unreported,
					    BITMAP_WORDS(w.fake.be.geo.ntiles) * sizeof(uint64_t));
			bitmap_zero(w.unreported, w.fake.be.geo.ntiles);
		}
		assert_true(w.st->sync_switches > 0 && w.st->timer_switches > 0);
		assert_true(i / 2 ? w.st->early_switches == 0 : w.st->early_switches > 0);
		world_fini(&w);
	}
}

/* A guest that does not answer in wait_us: the whole screen, never a miss;
 * its late switch is drained in a later round. */
static void test_unanswered_request_falls_back(void **state)
{
	struct world w;
	struct pvbitmap *p;

	(void)state;
	world_init(&w, &strategy_pvbitmap, 0, 0, "sync=1,wait_us=50");
	p = w.s.priv;
	for (int round = 0; round < 500; round++) {
		w.fake.answers = (uint32_t)rng_below(&test_rng, 3) != 0;
		random_guest_phase(&w);
		scan(&w);
		assert_true(reported(&w, w.unreported));
		check_precise(&w);
		bitmap_zero(w.unreported, w.fake.be.geo.ntiles);
	}
	assert_true(p->fallbacks > 0);
	world_fini(&w);
}

/* sync=0: marks after the switch wait for a later round; none is lost, and
 * the backend counts the rounds that left marks behind. */
static void test_no_sync_defers_but_loses_nothing(void **state)
{
	struct world w;
	struct pvbitmap *p;
	uint64_t *seen;

	(void)state;
	world_init(&w, &strategy_pvbitmap, 0, 0, "sync=0");
	p = w.s.priv;
	seen = calloc(BITMAP_WORDS(w.fake.be.geo.ntiles), 8);
	for (int round = 0; round < 500; round++) {
		random_guest_phase(&w);
		scan(&w);
		assert_false(w.out.full);
		check_precise(&w);
		bitmap_or(seen, w.out.tiles, w.fake.be.geo.ntiles);
	}
	assert_int_equal(w.fake.kicks - (int)p->arm_kicks, 0);      /* never a request */
	assert_true(p->deferred + p->left_for_later > 0);
	pvfront_close();
	scan(&w);
	bitmap_or(seen, w.out.tiles, w.fake.be.geo.ntiles);
	assert_true(bitmap_subset(w.marked_ever, seen, w.fake.be.geo.ntiles));
	free(seen);
	world_fini(&w);
}

/* The seed's steps in order, checked one by one. */
static void test_timer_switch_then_late_mark(void **state)
{
	struct world w;
	struct pvbitmap *p;

	(void)state;
	world_init(&w, &strategy_pvbitmap, 0, 0, "sync=1,wait_us=1000000");
	p = w.s.priv;
	w.fake.answers = true;
	assert_true(w.st->deadline != 0);       /* start armed the first timer */
	guest_mark(&w);
	guest_timer(&w);
	assert_int_equal(w.st->flips, 1);
	pvfront_poll();
	assert_int_equal(w.st->flips, 1);       /* no second switch before the drain */
	scan(&w);
	assert_int_equal(p->sync_marked_after + p->sync_no_switch, 0);
	assert_int_equal(w.st->consumed, 1);
	assert_memory_equal(w.out.tiles, w.unreported, BITMAP_WORDS(w.fake.be.geo.ntiles) * 8);
	bitmap_zero(w.unreported, w.fake.be.geo.ntiles);
	guest_timer(&w);                        /* nothing marked: no switch */
	assert_int_equal(w.st->flips, 1);
	scan(&w);
	assert_int_equal(p->quiet, 1);
	assert_true(bitmap_weight(w.out.tiles, w.fake.be.geo.ntiles) == 0);
	guest_mark(&w);
	guest_timer(&w);
	guest_mark(&w);                         /* after the switch: needs a request */
	scan(&w);
	assert_int_equal(p->sync_marked_after, 1);
	assert_int_equal(w.st->flips, 3);
	assert_int_equal(w.st->req, w.st->req_ack);
	assert_memory_equal(w.out.tiles, w.unreported, BITMAP_WORDS(w.fake.be.geo.ntiles) * 8);
	world_fini(&w);
}

static void expect_bad_tiling(const struct strategy_ops *ops, uint32_t tw, uint32_t th)
{
	struct fake f = { .be.ops = &fake_ops };
	struct strategy s;
	char err[200];

	f.ram = calloc(1, FAKE_RAM);
	f.be.control = (struct db_control *)(f.ram + DB_CONTROL_GPA);
	assert_int_equal(fb_geometry_init(&f.be.geo, 1920, 1080, tw, th, err, sizeof(err)), 0);
	assert_int_equal(strategy_init_with_options(&s, ops, &f.be, NULL), -1);
	assert_true(s.bad_input);
	assert_non_null(strstr(s.error, "--tile"));
	strategy_fini(&s);
	free(f.ram);
}

static void test_tiling_limits(void **state)
{
	(void)state;
	expect_bad_tiling(&strategy_pvbitmap, 29, 9);           /* 67 strips across */
	expect_bad_tiling(&strategy_pvbitmap, 30, 8);           /* 135 down */
	expect_bad_tiling(&strategy_pvbitmap_fine, 4, 4);       /* 480x270 */
	assert_int_equal(strategy_pvbitmap_fine.preferred_tiles.cols, 128);
	assert_int_equal(strategy_pvbitmap_fine.preferred_tiles.rows, 256);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_mark_matches_naive),
		cmocka_unit_test(test_sync_reports_everything_in_its_round),
		cmocka_unit_test(test_unanswered_request_falls_back),
		cmocka_unit_test(test_no_sync_defers_but_loses_nothing),
		cmocka_unit_test(test_timer_switch_then_late_mark),
		cmocka_unit_test(test_tiling_limits),
	};

	return cmocka_run_group_tests_name("pvbitmap", tests, NULL, NULL);
}
