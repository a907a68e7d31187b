/*
 * `pvbitmap`: the paravirtual dirty bitmap of seed 000. The guest's drawing
 * library marks the tiles it draws in the active one of two bitmaps; every
 * round (the seed's "timer or external event") the backend:
 *   - drains (reads and clears) the bitmap the frontend left, if it switched
 *     since our last drain;
 *   - looks (read only) at the active bitmap: if it holds marks, either asks
 *     the frontend to switch now and drains that too (sync=1: a request, a
 *     kick, a bounded wait; unanswered, the whole screen) or leaves them to a
 *     later round (sync=0, "wait some more");
 *   - asks the frontend to switch again lead_us before our next round (its
 *     "timer"), and gives the drained bitmap back. With early=1 a frontend
 *     about to sleep past that deadline switches before it sleeps instead.
 * The frontend may switch only after we drained (consumed == flips): see
 * workloads/guest/pvfront.c for the memory-ordering argument.
 *
 * Why sync=1 also asks after a timer switch with later marks: the oracle
 * requires a frame committed before a round began to be reported by that
 * round. A frame drawn between the timer switch and the round is in the
 * active bitmap, so only another switch inside the round can report it.
 * Why sync=0 is not exact: those marks are reported a round late, which the
 * oracle counts as misses; runs with sync=0 need --allow-misses.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/bitmap.h"
#include "core/clock.h"
#include "strategies/pvbitmap.h"

static uint64_t pv_ns(const struct pvbitmap *p, uint64_t cycles)
{
	return p->tsc_khz ? cycles * 1000000 / p->tsc_khz : 0;
}

static int pv_check_tiling(struct strategy *s, const struct pvbitmap_layout *l, uint32_t *wpr)
{
	const struct fb_geometry *g = s->geo;
	size_t need;

	*wpr = (g->cols + 63) / 64;
	need = (size_t)*wpr * 64 * g->rows;
	if (l->max_cols && (g->cols > l->max_cols || need > l->bitmap_bits)) {
		snprintf(s->error, sizeof(s->error), "%s: the seed's page holds at most %ux%zu strips; "
			 "this run is tiled %ux%u (tiles of %ux%u px): drop --tile, or use pvbitmap-fine",
			 l->name, l->max_cols, l->bitmap_bits / l->max_cols, g->cols, g->rows,
			 g->tile_w, g->tile_h);
	} else if (need > l->bitmap_bits) {
		snprintf(s->error, sizeof(s->error), "%s: a bitmap page holds %zu bits, %ux%u strips need %zu "
			 "(rows of %u words): use a coarser --tile, e.g. --tile %ux%u (128x256 strips)",
			 l->name, l->bitmap_bits, g->cols, g->rows, need, *wpr,
			 (g->width + 127) / 128, (g->height + 255) / 256);
	} else {
		return 0;
	}
	s->bad_input = true;
	return -1;
}

const struct strategy_option_spec pvbitmap_options[] = {
	{ .name = "sync", .type = STRATEGY_OPT_BOOL, .def = "1",
	  .help = "1: ask the guest to switch now; 0: wait for its timer (needs --allow-misses)" },
	{ .name = "lead_us", .type = STRATEGY_OPT_INT, .def = "2000", .min = 0, .max = 1000000,
	  .help = "the guest's timer switches this long before our next scan" },
	{ .name = "wait_us", .type = STRATEGY_OPT_INT, .def = "2000", .min = 1, .max = 1000000,
	  .help = "bound on the wait for an answer to a sync request (then the whole screen)" },
	{ .name = "early", .type = STRATEGY_OPT_BOOL, .def = "1",
	  .help = "1: a guest about to sleep past its timer switches first" },
	{ .name = NULL },
};

static void pv_options(struct strategy *s, struct pvbitmap *p)
{
	p->sync = strategy_opt_int(s, "sync");
	p->lead_us = strategy_opt_int(s, "lead_us");
	p->wait_us = strategy_opt_int(s, "wait_us");
	p->early = strategy_opt_int(s, "early");
}

int pvbitmap_setup(struct strategy *s, struct pvbitmap *p, const struct pvbitmap_layout *l)
{
	struct db_control *c = s->be->control;

	memset(p, 0, sizeof(*p));
	hist_init(&p->wait_ns);
	p->layout = l->name;
	pv_options(s, p);
	if (pv_check_tiling(s, l, &p->words_per_row))
		return -1;
	p->st = backend_guest_ptr(s->be, l->state_gpa, sizeof(*p->st));
	p->bitmap[0] = backend_guest_ptr(s->be, l->bitmap_gpa[0], l->bitmap_bits / 8);
	p->bitmap[1] = backend_guest_ptr(s->be, l->bitmap_gpa[1], l->bitmap_bits / 8);
	if (!p->st || !p->bitmap[0] || !p->bitmap[1]) {
		snprintf(s->error, sizeof(s->error), "%s: the shared pages are not guest RAM", l->name);
		return -1;
	}
	memset(p->st, 0, sizeof(*p->st));
	p->st->early_ok = p->early;
	memset(p->bitmap[0], 0, l->bitmap_bits / 8);
	memset(p->bitmap[1], 0, l->bitmap_bits / 8);
	/* Read by the guest runtime before it reports READY. */
	c->pv_words_per_row = p->words_per_row;
	c->pv_state_gpa = l->state_gpa;
	c->pv_bitmap_gpa[0] = l->bitmap_gpa[0];
	c->pv_bitmap_gpa[1] = l->bitmap_gpa[1];
	c->pv_enabled = 1;
	s->memory_bytes = l->shared_bytes;
	return 0;
}

/* Read only: the active bitmap may be written as we look. */
static bool pv_empty(struct strategy *s, struct pvbitmap *p, unsigned which)
{
	const volatile uint64_t *map = p->bitmap[which];
	size_t words = (size_t)s->geo->rows * p->words_per_row;

	for (size_t i = 0; i < words; i++)
		if (map[i])
			return false;
	return true;
}

/* Move the set bits of bitmap `which` into tiles and clear them. The
 * frontend does not write this bitmap until we publish consumed. */
static void pv_drain(struct strategy *s, struct pvbitmap *p, unsigned which, uint64_t *tiles)
{
	const struct fb_geometry *g = s->geo;
	uint64_t *map = p->bitmap[which];

	for (uint32_t r = 0; r < g->rows; r++)
		for (uint32_t k = 0; k < p->words_per_row; k++) {
			uint64_t *word = &map[(size_t)r * p->words_per_row + k];
			uint64_t bits = *word;

			if (!bits)
				continue;
			*word = 0;
			for (; bits; bits &= bits - 1) {
				uint32_t c = k * 64 + (uint32_t)__builtin_ctzll(bits);

				if (c < g->cols)
					bitmap_set(tiles, (size_t)r * g->cols + c);
				p->tiles_drained++;
			}
		}
}

/*
 * When our next round is due. The harness schedules rounds at fixed times and
 * a round starts late when its thread wakes late, never early: the schedule is
 * the lower envelope of the start times. Jump down to an earlier start at
 * once, follow later ones slowly (clock drift). Anchoring on this round's own
 * start instead would put the timer after the next round whenever this one
 * woke a few ms late.
 */
static uint64_t pv_next_round(struct pvbitmap *p, uint64_t round_tsc)
{
	uint64_t since, k, rem;

	if (round_tsc < p->anchor)
		p->anchor = round_tsc;
	since = round_tsc - p->anchor;
	k = since / p->period_cycles;
	rem = since % p->period_cycles;
	if (rem > p->period_cycles / 2) {       /* early for slot k + 1 */
		k++;
		p->anchor = round_tsc - k * p->period_cycles;
	} else {
		p->anchor += rem / 16;
	}
	return p->anchor + (k + 1) * p->period_cycles;
}

/* Set the frontend's timer lead_us before our next round, then give it back
 * the drained bitmap (release: the clears go first). If it sleeps past the
 * new deadline with marks to hand over, kick it; see pvfront_sleep_begin()
 * for why the fence. A guest with nothing marked may sleep on. */
static int pv_arm(struct strategy *s, struct pvbitmap *p, uint32_t drained)
{
	struct db_pv_state *st = p->st;
	uint64_t now = clock_tsc();
	uint64_t due = p->next_round > now + p->lead_cycles ? p->next_round - p->lead_cycles : now;
	uint64_t deadline = due + (uint64_t)s->be->guest_tsc_offset;
	uint64_t sleeping;

	st->deadline = deadline;
	__atomic_store_n(&st->consumed, drained, __ATOMIC_RELEASE);
	p->consumed = drained;
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	sleeping = st->sleep_until;
	if (!sleeping || sleeping <= deadline || pv_empty(s, p, drained & 1))
		return 0;
	p->arm_kicks++;
	return backend_guest_kick(s->be);
}

int pvbitmap_arm_first(struct strategy *s, struct pvbitmap *p)
{
	p->tsc_khz = s->be->control->tsc_khz;
	p->period_cycles = (s->round_period_ns ? s->round_period_ns : 1000000000 / 60) *
			   p->tsc_khz / 1000000;
	p->lead_cycles = (uint64_t)p->lead_us * p->tsc_khz / 1000;
	p->wait_cycles = (uint64_t)p->wait_us * p->tsc_khz / 1000;
	p->anchor = clock_tsc();
	p->next_round = p->anchor + p->period_cycles;
	return pv_arm(s, p, 0);
}

/* Wait, bounded and blocking, until the frontend's indicator moves past f.
 * 1 switched, 0 timed out, -1 error. Stale notifications only cost a look. */
static int pv_wait_switch(struct strategy *s, struct pvbitmap *p, uint32_t f)
{
	uint64_t t0 = clock_tsc(), now;

	while (__atomic_load_n(&p->st->flips, __ATOMIC_ACQUIRE) == f) {
		now = clock_tsc();
		if (now - t0 >= p->wait_cycles)
			return 0;
		if (backend_guest_wait_notify(s->be, (long)(pv_ns(p, p->wait_cycles - (now - t0)) / 1000) + 1) < 0)
			return -1;
	}
	hist_add(&p->wait_ns, pv_ns(p, clock_tsc() - t0));
	return 1;
}

/* Ask for a switch after flip f (the bitmap of flip f is drained), wait for
 * it and drain what it leaves; unanswered in time: the whole screen. */
static int pv_sync_switch(struct strategy *s, struct pvbitmap *p, uint32_t f, struct dirty_set *out)
{
	struct db_pv_state *st = p->st;
	int ret;

	st->deadline = 0;               /* switch for the request, not for a stale timer */
	st->req = ++p->req;
	__atomic_store_n(&st->consumed, f, __ATOMIC_RELEASE);
	p->consumed = f;
	if (backend_guest_kick(s->be))
		return -1;
	ret = pv_wait_switch(s, p, f);
	if (ret < 0)
		return -1;
	if (!ret) {
		/* The request stays pending: the switch it gets is drained later. */
		out->full = true;
		p->fallbacks++;
		return pv_arm(s, p, f);
	}
	pv_drain(s, p, f & 1, out->tiles);      /* flip f + 1 left bitmap (f + 1) & 1 ^ 1 */
	p->drains++;
	/* Its timer beat the request: withdraw it, or it would cause a needless
	 * switch as soon as we publish. It cannot switch again before that. */
	if (st->req_ack != p->req)
		st->req = p->req = st->req_ack;
	return pv_arm(s, p, f + 1);
}

/* The workload is over: nobody marks any more, drain both. */
static int pv_drain_closed(struct strategy *s, struct pvbitmap *p, struct dirty_set *out)
{
	pv_drain(s, p, 0, out->tiles);
	pv_drain(s, p, 1, out->tiles);
	return 0;
}

int pvbitmap_scan_once(struct strategy *s, struct pvbitmap *p, struct dirty_set *out)
{
	struct db_pv_state *st = p->st;
	uint32_t f;
	bool fresh;

	p->rounds++;
	p->next_round = pv_next_round(p, clock_tsc());
	if (__atomic_load_n(&st->closed, __ATOMIC_ACQUIRE))
		return pv_drain_closed(s, p, out);
	f = __atomic_load_n(&st->flips, __ATOMIC_ACQUIRE);
	fresh = f != p->consumed;
	if (fresh) {
		if (f != p->consumed + 1) {
			snprintf(s->error, sizeof(s->error), "%s: the frontend switched from %u to %u "
				 "without a drain in between", p->layout, p->consumed, f);
			return -1;
		}
		pv_drain(s, p, (f & 1) ^ 1, out->tiles);
		p->drains++;
	}
	/* A frame committed before this round fenced its marks before its commit
	 * stamp: if the active bitmap looks empty now, it holds none of them. */
	if (pv_empty(s, p, f & 1)) {
		p->quiet += !fresh;
		return pv_arm(s, p, f);
	}
	if (!p->sync) {
		*(fresh ? &p->left_for_later : &p->deferred) += 1;
		return pv_arm(s, p, f);
	}
	*(fresh ? &p->sync_marked_after : &p->sync_no_switch) += 1;
	return pv_sync_switch(s, p, f, out);
}

static json_t *pv_us(double cycles, uint64_t tsc_khz)
{
	return tsc_khz ? json_real(cycles * 1000.0 / (double)tsc_khz) : json_null();
}

void pvbitmap_report(const struct pvbitmap *p, json_t *obj)
{
	const struct db_pv_state *st = p->st;
	uint64_t switches = st->timer_switches + st->early_switches + st->sync_switches;
	double marks = (double)st->marks, per_mark = st->mark_samples ?
		(double)st->mark_cycles / (double)st->mark_samples : 0;

	json_object_set_new(obj, "layout", json_string(p->layout));
	json_object_set_new(obj, "timer", json_string("tsc-deadline polled by the frontend library, no interrupt"));
	json_object_set_new(obj, "counters_cover", json_string("the whole run, warm-up included"));
	json_object_set_new(obj, "sync", json_boolean(p->sync));
	json_object_set_new(obj, "early", json_boolean(p->early));
	json_object_set_new(obj, "lead_us", json_integer(p->lead_us));
	json_object_set_new(obj, "wait_us", json_integer(p->wait_us));
	json_object_set_new(obj, "rounds", json_integer((json_int_t)p->rounds));
	json_object_set_new(obj, "drains", json_integer((json_int_t)p->drains));
	json_object_set_new(obj, "stopped_drains", json_integer((json_int_t)p->stopped_drains));
	json_object_set_new(obj, "tiles_drained", json_integer((json_int_t)p->tiles_drained));
	json_object_set_new(obj, "switches", json_integer((json_int_t)switches));
	json_object_set_new(obj, "timer_switches", json_integer((json_int_t)st->timer_switches));
	json_object_set_new(obj, "early_switches", json_integer((json_int_t)st->early_switches));
	json_object_set_new(obj, "sync_switches", json_integer((json_int_t)st->sync_switches));
	json_object_set_new(obj, "sync_share", switches ? json_real((double)st->sync_switches / (double)switches) : json_null());
	json_object_set_new(obj, "sync_requests_no_switch", json_integer((json_int_t)p->sync_no_switch));
	json_object_set_new(obj, "sync_requests_marked_after_switch", json_integer((json_int_t)p->sync_marked_after));
	json_object_set_new(obj, "sync_fallbacks_full_screen", json_integer((json_int_t)p->fallbacks));
	json_object_set_new(obj, "sync_wait_us", hist_to_json(&p->wait_ns, 1e-3, false));
	json_object_set_new(obj, "quiet_rounds", json_integer((json_int_t)p->quiet));
	json_object_set_new(obj, "deferred_rounds", json_integer((json_int_t)p->deferred));
	json_object_set_new(obj, "rounds_leaving_marks_for_later", json_integer((json_int_t)p->left_for_later));
	json_object_set_new(obj, "arm_kicks", json_integer((json_int_t)p->arm_kicks));
	json_object_set_new(obj, "switch_late_us_mean", st->timer_switches ?
			    pv_us((double)st->late_sum / (double)st->timer_switches, p->tsc_khz) : json_null());
	json_object_set_new(obj, "switch_late_us_max", pv_us((double)st->late_max, p->tsc_khz));
	json_object_set_new(obj, "marks", json_integer((json_int_t)st->marks));
	json_object_set_new(obj, "mark_ns_mean", st->mark_samples ? pv_us(per_mark * 1000, p->tsc_khz) : json_null());
	json_object_set_new(obj, "mark_us_total_est", pv_us(per_mark * marks, p->tsc_khz));
	json_object_set_new(obj, "mark_samples", json_integer((json_int_t)st->mark_samples));
}

/* --- hooks shared with pvbitmap-fine ------------------------------------ */

int pvbitmap_hook_start(struct strategy *s)
{
	return pvbitmap_arm_first(s, s->priv);
}

int pvbitmap_hook_scan(struct strategy *s, struct dirty_set *out)
{
	return pvbitmap_scan_once(s, s->priv, out);
}

/* The guest is stopped between two frames (core/replica.c): no frontend
 * writes either bitmap, so drain the one it left (if it switched) and the
 * active one too, without a request it could not answer. Then consumed ==
 * flips as after any drain: it may switch again once it runs. */
int pvbitmap_scan_quiet(struct strategy *s, struct pvbitmap *p, struct dirty_set *out)
{
	uint32_t f = __atomic_load_n(&p->st->flips, __ATOMIC_ACQUIRE);

	p->stopped_drains++;
	if (f != p->consumed) {
		if (f != p->consumed + 1) {
			snprintf(s->error, sizeof(s->error), "%s: the frontend switched from %u to %u "
				 "without a drain in between", p->layout, p->consumed, f);
			return -1;
		}
		pv_drain(s, p, (f & 1) ^ 1, out->tiles);
	}
	pv_drain(s, p, f & 1, out->tiles);
	return pv_arm(s, p, f);
}

int pvbitmap_hook_scan_quiet(struct strategy *s, struct dirty_set *out)
{
	return pvbitmap_scan_quiet(s, s->priv, out);
}

void pvbitmap_hook_fini(struct strategy *s)
{
	free(s->priv);
	s->priv = NULL;
}

void pvbitmap_hook_report(struct strategy *s, json_t *obj)
{
	pvbitmap_report(s->priv, obj);
}

/* --- pvbitmap: the seed's page ------------------------------------------ */

static const struct pvbitmap_layout pvbitmap_seed_layout = {
	.name = "pvbitmap",
	.state_gpa = DB_PVBITMAP_GPA + offsetof(struct db_pvbitmap, state),
	.bitmap_gpa = { DB_PVBITMAP_GPA + offsetof(struct db_pvbitmap, rows[0]),
			DB_PVBITMAP_GPA + offsetof(struct db_pvbitmap, rows[1]) },
	.bitmap_bits = DB_PVBITMAP_COLS * DB_PVBITMAP_ROWS,
	.max_cols = DB_PVBITMAP_COLS,
	.shared_bytes = 4096,           /* the page is the protocol's, used or not */
};

_Static_assert(sizeof(struct db_pvbitmap) <= 4096, "the seed's bitmaps and indicator share one page");

static int pvb_init(struct strategy *s)
{
	s->priv = calloc(1, sizeof(struct pvbitmap));
	return s->priv ? pvbitmap_setup(s, s->priv, &pvbitmap_seed_layout) : -1;
}

const struct strategy_ops strategy_pvbitmap = {
	.name = "pvbitmap",
	.description = "guest library marks 64x128 tiles in one of two shared bitmaps; host drains the other",
	.needs = BACKEND_PV_PAGE | BACKEND_GUEST_EVENTS,
	.options = pvbitmap_options,
	.init = pvb_init,
	.start = pvbitmap_hook_start,
	.scan = pvbitmap_hook_scan,
	.scan_quiet = pvbitmap_hook_scan_quiet,
	.fini = pvbitmap_hook_fini,
	.report = pvbitmap_hook_report,
};
