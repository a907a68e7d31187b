/*
 * What the ring-based paravirtual front ends (pvrects, virtio-gpu) need from
 * the runtime under them, and the rectangle arithmetic they share. The
 * micro-VM's runtime rings with a port write (DB_UCALL_DOORBELL) and naps
 * with DB_UCALL_SLEEP; another runtime (a Xen domU) would bind an event
 * channel instead. Boxes are half-open: [x1, x2) x [y1, y2), empty when
 * x1 >= x2.
 */
#ifndef DIRTYBENCH_GUEST_PVRING_H
#define DIRTYBENCH_GUEST_PVRING_H

#include <stdbool.h>
#include <stdint.h>

struct pvring_port {
	void (*doorbell)(uint32_t queue);
	/* Sleep until guest TSC deadline, or until the host kicks us, or at
	 * once when the run is stopping. */
	void (*nap)(uint64_t tsc_deadline);
	bool (*stopping)(void);
};

struct pvbox {
	uint32_t x1, y1, x2, y2;
};

static inline bool pvbox_empty(const struct pvbox *b)
{
	return b->x1 >= b->x2 || b->y1 >= b->y2;
}

static inline struct pvbox pvbox_of(uint32_t x, uint32_t y, uint32_t w, uint32_t h)
{
	return (struct pvbox){ x, y, x + w, y + h };
}

static inline uint64_t pvbox_area(const struct pvbox *b)
{
	return pvbox_empty(b) ? 0 : (uint64_t)(b->x2 - b->x1) * (b->y2 - b->y1);
}

/* The bounding box of both (an empty one is no part of it). */
static inline struct pvbox pvbox_union(struct pvbox a, struct pvbox b)
{
	if (pvbox_empty(&a))
		return b;
	if (pvbox_empty(&b))
		return a;
	return (struct pvbox){ a.x1 < b.x1 ? a.x1 : b.x1, a.y1 < b.y1 ? a.y1 : b.y1,
			       a.x2 > b.x2 ? a.x2 : b.x2, a.y2 > b.y2 ? a.y2 : b.y2 };
}

static inline uint64_t pv_tsc(void)
{
	uint32_t lo, hi;

	__asm__ __volatile__("rdtsc" : "=a"(lo), "=d"(hi));
	return (uint64_t)hi << 32 | lo;
}

#endif
