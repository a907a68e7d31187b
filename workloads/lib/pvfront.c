/*
 * The pvbitmap frontend (seed 000), in ring 3 of the guest: no exit per mark.
 *
 * Marking: a damage rectangle's tiles are ORed into the active bitmap,
 * bitmap[flips & 1], with plain loads and stores. That is enough because
 * this vCPU is the only writer of the active bitmap and the host never
 * touches it: the host reads and clears only the inactive one. Ownership
 * changes hands twice per round, each time through one ordered store:
 *   - switching: the marks go out before flips is incremented with a release
 *     store; the host loads flips with acquire before reading that bitmap.
 *   - giving back: the host clears the bitmap, then publishes consumed with a
 *     release store; we may switch (and so write to it again) only after
 *     loading consumed == flips with acquire, so we see it cleared.
 * A plain read-modify-write can therefore not lose a bit to the host's clear.
 *
 * The "timer" is a TSC deadline the host writes: polled here at marks, frame
 * begin and commit, and bounding every sleep (early_ok: switching before a
 * sleep that would pass it instead); there is no interrupt. It switches
 * only a bitmap with marks in it, so an idle guest sleeps on. A
 * host request (req != req_ack) is served at the same points; a sleeping
 * guest is woken for it by a kick of its sleep, and we answer with one exit.
 */
#include "workloads/lib/pvmark.h"
#include "workloads/lib/runtime.h"
#include "workloads/lib/pvfront.h"

static struct {
	struct db_pv_state *st;         /* NULL: pv off */
	uint64_t *bitmap[2];
	struct pvmark_grid grid;
	uint64_t dirty_since;           /* TSC of the first mark since the switch; 0: none */
} pv;

static inline uint64_t pv_rdtsc(void)
{
	uint32_t lo, hi;

	/* No fences: for timing the marking code and timer checks at marks,
	 * where a few cycles either way do not matter. */
	__asm__ __volatile__("rdtsc" : "=a"(lo), "=d"(hi));
	return (uint64_t)hi << 32 | lo;
}

void pvfront_init(const struct db_control *c)
{
	if (!c->pv_enabled)
		return;
	RT_ASSERT(c->tile_w && c->tile_h && c->pv_words_per_row && c->pv_state_gpa);
	pv.grid = (struct pvmark_grid){
		.tile_w = c->tile_w, .tile_h = c->tile_h,
		.cols = (c->width + c->tile_w - 1) / c->tile_w,
		.rows = (c->height + c->tile_h - 1) / c->tile_h,
		.words_per_row = c->pv_words_per_row,
	};
	RT_ASSERT((pv.grid.cols + 63) / 64 <= pv.grid.words_per_row);
	pv.bitmap[0] = (uint64_t *)c->pv_bitmap_gpa[0];
	pv.bitmap[1] = (uint64_t *)c->pv_bitmap_gpa[1];
	pv.st = (struct db_pv_state *)c->pv_state_gpa;
}

enum pv_why { PV_TIMER, PV_REQUEST, PV_EARLY };

/* Lateness of timer switches in TSC cycles (the host turns it into µs): from
 * when the switch was due, the deadline or the first mark if that came later. */
static void pv_switch(struct db_pv_state *st, uint64_t now, enum pv_why why)
{
	if (why == PV_REQUEST) {
		st->req_ack = st->req;
		st->sync_switches++;
	} else if (why == PV_EARLY) {
		st->early_switches++;
	} else {
		uint64_t due = st->deadline > pv.dirty_since ? st->deadline : pv.dirty_since;
		uint64_t late = now > due ? now - due : 0;

		st->timer_switches++;
		st->late_sum += late;
		if (late > st->late_max)
			st->late_max = late;
	}
	pv.dirty_since = 0;
	__atomic_store_n(&st->flips, st->flips + 1, __ATOMIC_RELEASE);
}

/* now: the TSC, or 0 to look at requests only. 1 = notify the host. */
static int pv_poll(struct db_pv_state *st, uint64_t now)
{
	uint64_t deadline;

	if (__atomic_load_n(&st->consumed, __ATOMIC_ACQUIRE) != st->flips)
		return 0;
	if (st->req != st->req_ack) {
		pv_switch(st, 0, PV_REQUEST);
		return 1;
	}
	/* An empty bitmap is not worth a switch: the host sees it empty too. */
	deadline = st->deadline;
	if (!now || !pv.dirty_since || !deadline || now < deadline)
		return 0;
	pv_switch(st, now, PV_TIMER);
	return 0;
}

int pvfront_poll(void)
{
	return pv.st ? pv_poll(pv.st, rt_tsc()) : 0;
}

/*
 * Some workloads declare ~20000 rectangles a frame, so a mark must cost a
 * few ns: requests are looked at every time (two loads), the timer and the
 * cost of marking (two TSC reads) every PV_MARK_SAMPLE marks; frame
 * boundaries and sleeps look at the timer anyway.
 */
#define PV_MARK_SAMPLE 16

int pvfront_mark(uint32_t x, uint32_t y, uint32_t w, uint32_t h)
{
	struct db_pv_state *st = pv.st;
	uint64_t t0 = 0;
	int notify;

	if (!st)
		return 0;
	if (st->marks % PV_MARK_SAMPLE == 0)
		t0 = pv_rdtsc();
	notify = pv_poll(st, t0);
	pvmark_rect(&pv.grid, pv.bitmap[st->flips & 1], x, y, w, h);
	if (!pv.dirty_since)
		pv.dirty_since = t0 ? t0 : pv_rdtsc();
	st->marks++;
	if (t0) {
		st->mark_cycles += pv_rdtsc() - t0;
		st->mark_samples++;
	}
	return notify;
}

/*
 * The host arms the timer (deadline, then consumed) while we may be asleep
 * until a later frame: it then reads sleep_until and kicks us if we would
 * oversleep. Store sleep_until, full fence, load consumed/deadline here; the
 * host does store, full fence, load: at least one side sees the other's store
 * (no lost wake-up). The deadline bounds a sleep only while armed: after a
 * switch it waits for the host's drain, and a passed deadline would spin.
 *
 * Early switch (early_ok): nothing is marked while we sleep, so switching now
 * hands over exactly what a switch at the deadline would, without waking up
 * for it: one exit a frame instead of two.
 */
uint64_t pvfront_sleep_begin(uint64_t tsc)
{
	struct db_pv_state *st = pv.st;
	uint64_t deadline;

	if (!st)
		return tsc;
	st->sleep_until = tsc;
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	if (!pv.dirty_since || __atomic_load_n(&st->consumed, __ATOMIC_ACQUIRE) != st->flips)
		return tsc;
	deadline = st->deadline;
	if (!deadline || deadline >= tsc)
		return tsc;
	if (!st->early_ok)
		return deadline;
	pv_switch(st, 0, PV_EARLY);
	return tsc;
}

void pvfront_sleep_end(void)
{
	if (pv.st)
		pv.st->sleep_until = 0;
}

void pvfront_close(void)
{
	if (pv.st)
		__atomic_store_n(&pv.st->closed, 1, __ATOMIC_RELEASE);
}
