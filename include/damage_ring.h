/*
 * The one producer of the frame ring and the damage-rectangle ring of
 * protocol.h: the micro-VM guest runtime (workloads/guest/runtime.c) and the
 * Xen domU server (workloads/xen/serve.c) publish their frames through it, so
 * the host's consumer (core/oracle.c) reads one producer's output on every
 * back end.
 *
 * Header-only, static inline, no library calls: it compiles unchanged in the
 * freestanding guest and in the Linux build, and needs no extra object in
 * either link.
 *
 * What the consumer relies on: it load-acquires frames_published, then reads
 * frames[seq] for every seq below it and the rectangles each names. So every
 * store of a record and its rectangles must be visible before the head that
 * publishes it. x86 keeps stores in order, so a compiler barrier between the
 * records and the head is all it takes. The consumer hands slots back
 * through frames_consumed and rects_consumed; a full ring is never
 * overwritten: the producer sets overflow, the host fails the run.
 */
#ifndef DIRTYBENCH_DAMAGE_RING_H
#define DIRTYBENCH_DAMAGE_RING_H

#include <stdint.h>

#include "include/compiler.h"
#include "include/protocol.h"

struct damage_ring {
	struct db_control *control;
	struct db_rect *rects;          /* DB_RECT_RING_LEN slots */
	uint64_t rect_head;             /* next rect slot, published at commit */
	struct db_frame current;        /* the frame being drawn */
};

/* A fresh ring: the guest part of the control page must be zero too. */
static inline void damage_ring_init(struct damage_ring *r, struct db_control *control,
				    struct db_rect *rects)
{
	*r = (struct damage_ring){ .control = control, .rects = rects };
}

/* The TSC once every earlier store is globally visible (MFENCE; LFENCE, as
 * the SDM asks before RDTSC): a commit stamp never precedes the frame. */
static inline uint64_t damage_ring_tsc_after_stores(void)
{
	uint32_t lo, hi;

	__asm__ __volatile__("mfence; lfence; rdtsc; lfence" : "=a"(lo), "=d"(hi) :: "memory");
	return (uint64_t)hi << 32 | lo;
}

/* tsc: when drawing begins, on the clock the host calibrated against. */
static inline void damage_ring_begin(struct damage_ring *r, uint64_t tsc)
{
	r->control->drawing = 1;
	barrier();
	r->current.tsc_start = tsc;
	r->current.rect_first = r->rect_head;
	r->current.rect_count = 0;
}

/* The round the host has announced, read once this rect's pixels are
 * globally visible (MFENCE orders the pixel stores before the load; the
 * host fences between its store of round_seq and its scan): the store-
 * buffer pattern, so "we read k" means round k + 1 and later see the
 * pixels. The one promise the oracle's delivery rule rests on. */
static inline uint32_t damage_ring_round_after_stores(const struct db_control *c)
{
	__asm__ __volatile__("mfence" ::: "memory");
	return c->round_seq;
}

/* Call after the rectangle's pixels are written. */
static inline void damage_ring_add(struct damage_ring *r, uint32_t x, uint32_t y,
				   uint32_t w, uint32_t h)
{
	if (r->rect_head - r->control->rects_consumed >= DB_RECT_RING_LEN) {
		r->control->overflow = 1;
		return;
	}
	r->rects[r->rect_head % DB_RECT_RING_LEN] = (struct db_rect){
		(uint16_t)x, (uint16_t)y, (uint16_t)w, (uint16_t)h,
		damage_ring_round_after_stores(r->control) };
	r->rect_head++;
	r->current.rect_count++;
}

/* Stamp the frame, then publish its record and rectangles, head last. */
static inline void damage_ring_commit(struct damage_ring *r, uint32_t dropped_before)
{
	struct db_control *c = r->control;
	uint64_t head = c->frames_published;

	r->current.tsc_commit = damage_ring_tsc_after_stores();
	r->current.draw_cycles = r->current.tsc_commit - r->current.tsc_start;
	r->current.dropped_before = dropped_before;
	if (head - c->frames_consumed >= DB_FRAME_RING_LEN) {
		c->overflow = 1;
		c->drawing = 0;
		return;
	}
	r->current.seq = head;
	c->frames[head % DB_FRAME_RING_LEN] = r->current;
	c->frames_dropped += dropped_before;
	c->rects_published = r->rect_head;
	barrier();      /* x86 keeps store order: the record is visible before the head */
	c->frames_published = head + 1;
	c->drawing = 0;
}

#endif
