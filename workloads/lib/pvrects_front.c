/*
 * The pvrects front end: Linux's xen-fbfront in ring 3 of our guest.
 *
 * Linux drivers/video/fbdev/xen-fbfront.c: every drawing operation calls
 * xenfb_refresh(), which merges the new rectangle into the pending dirty box
 * (info->x1..y2) and, unless xenfb_queue_full() (out_prod - out_cons ==
 * XENFB_OUT_RING_LEN), sends the whole box as one XENFB_TYPE_UPDATE with
 * xenfb_send_event(): write the event at out_prod, wmb(), advance out_prod,
 * notify_remote_via_irq() (a notification per event). While the ring is full
 * the damage waits in the box and goes out with the next refresh.
 *
 * Here: events per rectangle (Linux's way) or one per frame (the frame's
 * bounding box); a doorbell per event (Linux's) or only when the ring goes
 * from empty to non-empty (the host then drains it all in one round). One
 * difference, on purpose: Linux sends the box at the next drawing call,
 * however late; the oracle wants a frame's damage in the ring before the
 * frame is complete, so a commit that still holds a box waits for room
 * (doorbell, then a nap the host cuts short when it consumes). A run that is
 * stopping hands the box over in the page instead (closing_box).
 *
 * Ordering: the event is written before out_prod is published (release);
 * the host reads out_prod with acquire before the events. The empty -> non-
 * empty test is Dekker's: we store out_prod, fence, load out_cons; the host
 * stores out_cons, fences, loads out_prod and drains again if it moved. So
 * either we see the ring was empty and ring, or the host sees our event.
 */
#include "workloads/lib/pvrects_front.h"
#include "workloads/lib/runtime.h"

#define PVRECTS_NAP_US 200

static struct {
	struct db_pvrects *pg;          /* NULL: off */
	const struct pvring_port *port;
	uint32_t len;
	struct pvbox frame;             /* per_frame: the frame's damage so far */
	struct pvbox pending;           /* xen-fbfront's dirty box: not yet in the ring */
	uint64_t nap_cycles;
} pr;

void pvrects_front_init(const struct db_control *c, const struct pvring_port *port)
{
	if (!c->pvrects_gpa)
		return;
	pr.pg = (struct db_pvrects *)c->pvrects_gpa;
	RT_ASSERT(pr.pg->ring_len >= 1 && pr.pg->ring_len <= DB_PVRECTS_RING_MAX);
	pr.len = pr.pg->ring_len;
	pr.port = port;
	pr.nap_cycles = c->tsc_khz * PVRECTS_NAP_US / 1000;
}

static bool pvrects_full(void)
{
	return pr.pg->out_prod - __atomic_load_n(&pr.pg->out_cons, __ATOMIC_ACQUIRE) >= pr.len;
}

/* xenfb_send_event(): the caller made sure the ring has room. */
static void pvrects_send(const struct pvbox *b)
{
	struct db_pvrects *pg = pr.pg;
	uint32_t prod = pg->out_prod;
	struct db_pvrects_event *ev = &pg->ring[prod % pr.len];

	ev->type = DB_PVRECTS_TYPE_UPDATE;
	ev->x = (uint16_t)b->x1;
	ev->y = (uint16_t)b->y1;
	ev->w = (uint16_t)(b->x2 - b->x1);
	ev->h = (uint16_t)(b->y2 - b->y1);
	__atomic_store_n(&pg->out_prod, prod + 1, __ATOMIC_RELEASE);
	pg->events++;
	if (!pg->notify_each) {
		__atomic_thread_fence(__ATOMIC_SEQ_CST);
		if (__atomic_load_n(&pg->out_cons, __ATOMIC_ACQUIRE) != prod)
			return;                 /* not empty before: a round is coming for it */
	}
	pg->notifications++;
	pr.port->doorbell(DB_DOORBELL_PVRECTS);
}

/* xenfb_refresh(): merge into the pending box; send it if the ring has room. */
static void pvrects_refresh(struct pvbox b)
{
	bool had = !pvbox_empty(&pr.pending);

	pr.pending = pvbox_union(pr.pending, b);
	if (pvrects_full()) {
		if (!had)
			pr.pg->ring_full++;     /* a new moment of a full ring */
		else
			pr.pg->merges++;
		return;
	}
	b = pr.pending;
	pr.pending = (struct pvbox){ 0 };
	pvrects_send(&b);
}

void pvrects_front_damage(uint32_t x, uint32_t y, uint32_t w, uint32_t h)
{
	struct pvbox b = pvbox_of(x, y, w, h);

	if (!pr.pg || pvbox_empty(&b))
		return;
	if (pr.pg->per_frame)
		pr.frame = pvbox_union(pr.frame, b);
	else
		pvrects_refresh(b);
}

/* The box must go out before the commit stamp: wait for room. The host
 * kicks our nap when it consumes and sees `waiting`. */
static void pvrects_wait_room(void)
{
	struct db_pvrects *pg = pr.pg;
	struct pvbox b;

	pg->waits++;
	while (pvrects_full()) {
		if (pr.port->stopping()) {
			/* The host runs one more round after we stop: the box goes
			 * in the page, as pvbitmap's closing hands both bitmaps over. */
			pg->closing_box = (struct db_rect){ (uint16_t)pr.pending.x1, (uint16_t)pr.pending.y1,
				(uint16_t)(pr.pending.x2 - pr.pending.x1), (uint16_t)(pr.pending.y2 - pr.pending.y1), 0 };
			__atomic_store_n(&pg->closed, 1, __ATOMIC_RELEASE);
			pr.pending = (struct pvbox){ 0 };
			return;
		}
		__atomic_store_n(&pg->waiting, 1, __ATOMIC_RELAXED);
		__atomic_thread_fence(__ATOMIC_SEQ_CST);        /* the host: out_cons, fence, waiting */
		if (pvrects_full()) {
			pg->notifications++;
			pr.port->doorbell(DB_DOORBELL_PVRECTS);
			pr.port->nap(pv_tsc() + pr.nap_cycles);
		}
		__atomic_store_n(&pg->waiting, 0, __ATOMIC_RELAXED);
	}
	b = pr.pending;
	pr.pending = (struct pvbox){ 0 };
	pvrects_send(&b);
}

void pvrects_front_commit(void)
{
	if (!pr.pg)
		return;
	pr.pg->frames++;
	if (pr.pg->per_frame && !pvbox_empty(&pr.frame)) {
		pvrects_refresh(pr.frame);
		pr.frame = (struct pvbox){ 0 };
	}
	if (!pvbox_empty(&pr.pending))
		pvrects_wait_room();
}
