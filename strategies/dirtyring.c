/*
 * `dirtyring`: the KVM dirty ring. With KVM_CAP_DIRTY_LOG_RING(_ACQ_REL)
 * enabled (bench/kvm_vm.c does it before the vCPU exists), the first write
 * to a write-protected page of a slot with KVM_MEM_LOG_DIRTY_PAGES pushes
 * the page into a per-vCPU ring shared with us, instead of a bit into a
 * slot bitmap. Each round the scan thread harvests the ring (the back end
 * reads the entries and marks them for reset), then KVM_RESET_DIRTY_RINGS
 * write-protects the harvested pages again.
 *
 * A full ring stops the vCPU with KVM_EXIT_DIRTY_RING_FULL until entries
 * are harvested and reset. We harvest right there, on the vCPU thread,
 * under the mutex the scan also takes (QEMU reaps on that exit in the vCPU
 * thread too), into a pending bitmap that the next scan reports. Making the
 * vCPU wait for the scan thread instead would stall the guest for up to a
 * scan period (16.7 ms at 60 Hz) per full ring, or wake the scan thread off
 * its schedule; either would distort what we measure. The mutex is a futex:
 * a thread that finds it taken sleeps, it does not spin.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/bitmap.h"
#include "core/strategy.h"

struct ring_priv {
	pthread_mutex_t lock;   /* the ring, pending and the counters below */
	uint64_t *pending;      /* slot pages harvested but not yet reported */
	size_t slot_words;
	uint64_t rounds, entries_scan, pages_reported;
	uint64_t full_calls, entries_full;
	uint64_t full_ns_total, full_ns_max;    /* vCPU-thread time in ring_full */
};

static int ring_init(struct strategy *s)
{
	struct ring_priv *p = calloc(1, sizeof(*p));

	if (!p)
		return -1;
	s->priv = p;
	pthread_mutex_init(&p->lock, NULL);
	p->slot_words = BITMAP_WORDS(s->be->vram_slot_pages);
	p->pending = calloc(p->slot_words, sizeof(uint64_t));
	if (!p->pending)
		return -1;
	s->memory_bytes = p->slot_words * sizeof(uint64_t);
	return 0;
}

/* Logging on the VRAM slot is what makes KVM push entries for it. */
static int ring_start(struct strategy *s)
{
	return backend_dirty_log_start(s->be, false);
}

/* Harvest into pending and reset; the caller holds the lock. */
static long harvest_locked(struct strategy *s, struct ring_priv *p)
{
	long n = backend_dirty_ring_harvest(s->be, p->pending);

	if (n < 0)
		return -1;
	if (n > 0 && backend_dirty_ring_reset(s->be))
		return -1;
	return n;
}

static int ring_scan(struct strategy *s, struct dirty_set *out)
{
	struct ring_priv *p = s->priv;
	const struct fb_geometry *g = s->geo;
	size_t words = BITMAP_WORDS(g->pages);
	long n;

	pthread_mutex_lock(&p->lock);
	n = harvest_locked(s, p);
	if (n >= 0) {
		memcpy(out->pages, p->pending, words * sizeof(uint64_t));
		if (g->pages % 64)      /* slot pages past the framebuffer are no tile's */
			out->pages[words - 1] &= (1ull << (g->pages % 64)) - 1;
		memset(p->pending, 0, p->slot_words * sizeof(uint64_t));
		p->rounds++;
		p->entries_scan += (uint64_t)n;
		p->pages_reported += bitmap_weight(out->pages, g->pages);
	}
	pthread_mutex_unlock(&p->lock);
	out->has_pages = true;
	return n < 0 ? -1 : 0;
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* On the vCPU thread (see the top of the file). */
static int ring_full(struct strategy *s)
{
	struct ring_priv *p = s->priv;
	uint64_t t0 = now_ns(), dt;
	long n;

	pthread_mutex_lock(&p->lock);
	n = harvest_locked(s, p);
	dt = now_ns() - t0;
	p->full_calls++;
	p->entries_full += n > 0 ? (uint64_t)n : 0;
	p->full_ns_total += dt;
	if (dt > p->full_ns_max)
		p->full_ns_max = dt;
	pthread_mutex_unlock(&p->lock);
	return n < 0 ? -1 : 0;
}

static void ring_stop(struct strategy *s)
{
	(void)backend_dirty_log_stop(s->be);
}

static void ring_fini(struct strategy *s)
{
	struct ring_priv *p = s->priv;

	if (p) {
		pthread_mutex_destroy(&p->lock);
		free(p->pending);
		free(p);
	}
	s->priv = NULL;
}

/* Whole-run counters: the vCPU thread has been joined by now. */
static void ring_report(struct strategy *s, json_t *obj)
{
	struct ring_priv *p = s->priv;
	uint64_t entries = p->entries_scan + p->entries_full;

	json_object_set_new(obj, "rounds_total", json_integer((json_int_t)p->rounds));
	json_object_set_new(obj, "entries_harvested", json_integer((json_int_t)entries));
	json_object_set_new(obj, "entries_harvested_by_scan", json_integer((json_int_t)p->entries_scan));
	json_object_set_new(obj, "entries_harvested_on_ring_full", json_integer((json_int_t)p->entries_full));
	json_object_set_new(obj, "ring_full_harvests", json_integer((json_int_t)p->full_calls));
	json_object_set_new(obj, "ring_full_harvest_us_mean", p->full_calls ?
			    json_real((double)p->full_ns_total / (double)p->full_calls / 1e3) : json_null());
	json_object_set_new(obj, "ring_full_harvest_us_max", json_real((double)p->full_ns_max / 1e3));
	json_object_set_new(obj, "pages_reported", json_integer((json_int_t)p->pages_reported));
}

const struct strategy_ops strategy_dirtyring = {
	.name = "dirtyring",
	.description = "KVM dirty ring of the VRAM slot, harvested each round (and by the vCPU when full)",
	.needs = BACKEND_DIRTY_LOG | BACKEND_DIRTY_RING,
	.init = ring_init,
	.start = ring_start,
	.scan = ring_scan,
	.ring_full = ring_full,
	.stop = ring_stop,
	.fini = ring_fini,
	.report = ring_report,
};
