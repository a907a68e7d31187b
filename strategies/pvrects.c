/*
 * `pvrects`: Xen's paravirtual framebuffer protocol (xen/include/public/io/
 * fbif.h) on our micro-VM. The guest library (workloads/lib/pvrects_front.c,
 * xen-fbfront's logic) writes XENFB_TYPE_UPDATE events to the out ring of a
 * shared page and rings the doorbell; each round, the back end here does what
 * QEMU's does (hw/display/xenfb.c):
 *   - xenfb_handle_events(): consume out_cons..out_prod, queueing up to
 *     UP_QUEUE (8) update rectangles; one more, or an update of the full
 *     width and more than half the height ("scroll detector: updated more
 *     than 50% of the lines, don't bother keeping track of the rectangles
 *     then"), turns the refresh into one full-screen update (up_fullscreen);
 *   - xenfb_update(): report the queued rectangles, or the whole screen.
 * A round is QEMU's display refresh; with --wake both (the default here) a
 * doorbell starts one at once, so the queue limit is per round.
 *
 * After consuming we publish out_cons, fence, and look at out_prod again
 * (Dekker's handshake with the front end's empty -> non-empty doorbell), and
 * kick a front end that waits for room.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/bitmap.h"
#include "core/result.h"
#include "core/strategy.h"
#include "strategies/rect_tiles.h"

struct pvrects {
	struct db_pvrects *pg;
	uint32_t ring_len, queue, half;
	uint32_t cons;                  /* ours; published as out_cons */
	uint32_t up_count;              /* QEMU's */
	bool up_fullscreen;
	/* counters */
	uint64_t events, rounds_fullscreen_queue, rounds_fullscreen_half, rounds_with_events, room_kicks;
	uint64_t closing_boxes;
};

static const char *const pvrects_events_values[] = { "rect", "frame", NULL };
static const char *const pvrects_notify_values[] = { "each", "empty", NULL };

static const struct strategy_option_spec pvrects_options[] = {
	{ .name = "ring", .type = STRATEGY_OPT_INT, .def = "51", .min = 1, .max = DB_PVRECTS_RING_MAX,
	  .help = "events in the out ring (fbif.h: XENFB_OUT_RING_LEN = 2048 / 40 = 51)" },
	{ .name = "events", .type = STRATEGY_OPT_ENUM, .def = "rect", .values = pvrects_events_values,
	  .help = "rect: one event per drawn rectangle (xen-fbfront); frame: one per frame, its bounding box" },
	{ .name = "notify", .type = STRATEGY_OPT_ENUM, .def = "each", .values = pvrects_notify_values,
	  .help = "each: a doorbell per event (xen-fbfront); empty: only when the ring goes from empty to non-empty" },
	{ .name = "queue", .type = STRATEGY_OPT_INT, .def = "8", .min = 1, .max = 4096,
	  .help = "rectangles queued per round before the whole screen (QEMU xenfb.c UP_QUEUE = 8)" },
	{ .name = "half", .type = STRATEGY_OPT_BOOL, .def = "1",
	  .help = "1: a full-width update of more than half the lines is the whole screen (QEMU's scroll detector)" },
	{ .name = NULL },
};

static int pvrects_init(struct strategy *s)
{
	struct pvrects *p = calloc(1, sizeof(*p));

	if (!(s->priv = p))
		return -1;
	p->pg = backend_guest_ptr(s->be, DB_PVRECTS_GPA, sizeof(*p->pg));
	if (!p->pg) {
		snprintf(s->error, sizeof(s->error), "pvrects: the shared page is not guest RAM");
		return -1;
	}
	p->ring_len = (uint32_t)strategy_opt_int(s, "ring");
	p->queue = (uint32_t)strategy_opt_int(s, "queue");
	p->half = (uint32_t)strategy_opt_int(s, "half");
	memset(p->pg, 0, offsetof(struct db_pvrects, ring));
	p->pg->ring_len = p->ring_len;
	p->pg->per_frame = strategy_opt_int(s, "events") == 1;
	p->pg->notify_each = strategy_opt_int(s, "notify") == 0;
	s->be->control->pvrects_gpa = DB_PVRECTS_GPA;  /* read by the guest before READY */
	s->memory_bytes = offsetof(struct db_pvrects, ring) + p->ring_len * sizeof(struct db_pvrects_event);
	return 0;
}

/* One update rectangle, QEMU's xenfb_handle_events() XENFB_TYPE_UPDATE case. */
static void pvrects_update(struct strategy *s, struct pvrects *p, uint32_t x, uint32_t y, uint32_t w, uint32_t h,
			   uint64_t *tiles)
{
	const struct fb_geometry *g = s->geo;

	if (p->up_count == p->queue && !p->up_fullscreen) {
		p->up_fullscreen = true;
		p->rounds_fullscreen_queue++;
	}
	if (p->up_fullscreen)
		return;
	if (p->half && x == 0 && w >= g->width && h > g->height / 2) {
		p->up_fullscreen = true;
		p->rounds_fullscreen_half++;
		return;
	}
	rect_tiles_set(g, x, y, w, h, tiles);
	p->up_count++;
}

static int pvrects_consume(struct strategy *s, struct pvrects *p, uint64_t *tiles)
{
	struct db_pvrects *pg = p->pg;

	for (;;) {
		uint32_t prod = __atomic_load_n(&pg->out_prod, __ATOMIC_ACQUIRE);

		if (prod - p->cons > p->ring_len) {
			snprintf(s->error, sizeof(s->error), "pvrects: the front end's ring indices are bogus "
				 "(out_prod %u, out_cons %u, ring of %u)", prod, p->cons, p->ring_len);
			return -1;
		}
		for (; p->cons != prod; p->cons++) {
			const struct db_pvrects_event *ev = &pg->ring[p->cons % p->ring_len];

			if (ev->type == DB_PVRECTS_TYPE_UPDATE)
				pvrects_update(s, p, ev->x, ev->y, ev->w, ev->h, tiles);
			p->events++;
		}
		__atomic_store_n(&pg->out_cons, p->cons, __ATOMIC_RELEASE);
		__atomic_thread_fence(__ATOMIC_SEQ_CST);
		if (__atomic_load_n(&pg->out_prod, __ATOMIC_ACQUIRE) == p->cons)
			return 0;
	}
}

static int pvrects_scan(struct strategy *s, struct dirty_set *out)
{
	struct pvrects *p = s->priv;
	uint64_t before = p->events;

	p->up_count = 0;
	p->up_fullscreen = false;
	if (pvrects_consume(s, p, out->tiles))
		return -1;
	/* After consume's fence: a guest that set waiting before we published
	 * out_cons is seen here, or it sees the room itself. */
	if (__atomic_load_n(&p->pg->waiting, __ATOMIC_ACQUIRE)) {
		p->room_kicks++;
		if (backend_guest_kick(s->be))
			return -1;
	}
	if (__atomic_load_n(&p->pg->closed, __ATOMIC_ACQUIRE)) {
		const struct db_rect *b = &p->pg->closing_box;

		pvrects_update(s, p, b->x, b->y, b->w, b->h, out->tiles);
		p->pg->closed = 0;
		p->closing_boxes++;
	}
	if (p->events != before)
		p->rounds_with_events++;
	out->full = p->up_fullscreen;
	return 0;
}

static void pvrects_fini(struct strategy *s)
{
	free(s->priv);
	s->priv = NULL;
}

static void pvrects_report(struct strategy *s, json_t *obj)
{
	struct pvrects *p = s->priv;
	const struct db_pvrects *pg = p->pg;

	json_object_set_new(obj, "ring_events", json_integer(p->ring_len));
	json_object_set_new(obj, "events_consumed", json_integer((json_int_t)p->events));
	json_object_set_new(obj, "events_sent", json_integer((json_int_t)pg->events));
	json_object_set_new(obj, "merges", json_integer((json_int_t)pg->merges));
	json_object_set_new(obj, "ring_full", json_integer((json_int_t)pg->ring_full));
	json_object_set_new(obj, "commit_waits", json_integer((json_int_t)pg->waits));
	json_object_set_new(obj, "notifications", json_integer((json_int_t)pg->notifications));
	json_object_set_new(obj, "frames", json_integer((json_int_t)pg->frames));
	json_object_set_new(obj, "notifications_per_frame", result_ratio((double)pg->notifications, (double)pg->frames));
	json_object_set_new(obj, "events_per_frame", result_ratio((double)pg->events, (double)pg->frames));
	json_object_set_new(obj, "rounds_with_events", json_integer((json_int_t)p->rounds_with_events));
	json_object_set_new(obj, "rounds_fullscreen_queue", json_integer((json_int_t)p->rounds_fullscreen_queue));
	json_object_set_new(obj, "rounds_fullscreen_half", json_integer((json_int_t)p->rounds_fullscreen_half));
	json_object_set_new(obj, "room_kicks", json_integer((json_int_t)p->room_kicks));
	json_object_set_new(obj, "closing_boxes", json_integer((json_int_t)p->closing_boxes));
}

const struct strategy_ops strategy_pvrects = {
	.name = "pvrects",
	.description = "xenfb protocol: guest sends update rectangles on a shared ring, doorbell; host queues 8 "
		       "or the whole screen",
	.needs = BACKEND_PV_PAGE | BACKEND_GUEST_EVENTS | BACKEND_DOORBELL,
	.options = pvrects_options,
	.init = pvrects_init,
	.scan = pvrects_scan,
	.fini = pvrects_fini,
	.report = pvrects_report,
	.wakes_on_doorbell = true,
};
