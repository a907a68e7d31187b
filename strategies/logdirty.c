/*
 * `logdirty` and `logdirty-manual`: the hypervisor's dirty log of the VRAM
 * slot alone, as QEMU keeps one for VGA memory. KVM write-protects the
 * slot; the first write to a page after each round faults, KVM sets the
 * page's bit and lets the write through.
 *
 *  logdirty         KVM_GET_DIRTY_LOG fetches the bitmap and write-protects
 *                   the dirty pages again in the same call (the original API).
 *  logdirty-manual  KVM_CAP_MANUAL_DIRTY_LOG_PROTECT2 with
 *                   KVM_DIRTY_LOG_INITIALLY_SET, as QEMU does today:
 *                   KVM_GET_DIRTY_LOG only reads, then KVM_CLEAR_DIRTY_LOG
 *                   re-protects exactly the pages it returned. With
 *                   INITIALLY_SET the slot starts all dirty and unprotected,
 *                   so the first round reports every page.
 *
 * Two ops tables in one file (fio keeps psync, vsync and pvsync in one
 * file the same way): the modes differ in one ioctl and one flag, and a
 * second file would either copy the rest or export it through a header.
 */
#include <stdlib.h>
#include <string.h>

#include "core/bitmap.h"
#include "core/clock.h"
#include "core/strategy.h"

struct logdirty_priv {
	bool manual;
	uint64_t *slot_bitmap;  /* KVM writes the whole slot's bitmap */
	bool drop_redirty;      /* test aid, see logdirty_options */
	uint64_t *last_reported;        /* drop_redirty: the pages the previous round reported */
	uint64_t last_published;        /* ... frames published when it harvested */
	uint64_t last_harvest_tsc;      /* ... when it harvested (guest TSC) */
	uint64_t pages_dropped;
	uint64_t rounds;
	uint64_t pages_reported;
	uint64_t rounds_with_pages;
	uint64_t clears;        /* manual mode: re-protect calls made (none for an empty round) */
};

static int logdirty_setup(struct strategy *s, bool manual)
{
	struct logdirty_priv *p = calloc(1, sizeof(*p));
	size_t words = BITMAP_WORDS(s->be->vram_slot_pages);

	if (!p)
		return -1;
	s->priv = p;
	p->manual = manual;
	p->slot_bitmap = calloc(words, sizeof(uint64_t));
	if (!p->slot_bitmap)
		return -1;
	s->memory_bytes = words * sizeof(uint64_t);
	p->drop_redirty = !manual && strategy_opt_int(s, "test_drop_redirty");
	if (p->drop_redirty && !(p->last_reported = calloc(BITMAP_WORDS(s->geo->pages), sizeof(uint64_t))))
		return -1;
	return 0;
}

/* The test aid: a page the previous round harvested in the middle of a
 * frame, and that frame wrote again after it, is not reported now: the lost
 * re-dirty of QEMU's VGA code before 2017. Only when exactly that one frame
 * was published since, it had begun before that harvest, and no next frame
 * is being drawn: so the pages dropped are that frame's, its window holds
 * the earlier report, and the rule before issue 23 (any round of the
 * window) passes the run. A broken tracker on purpose, for
 * tests/e2e/test_replica.c; never for measuring. */
static void drop_redirtied(struct strategy *s, struct logdirty_priv *p, uint64_t *pages, uint64_t fetched_tsc)
{
	const struct db_control *c = s->be->control;
	/* Read after the fetch, drawing first: a next frame begun before the
	 * fetch is still drawing, or published. */
	bool drawing = __atomic_load_n(&c->drawing, __ATOMIC_ACQUIRE);
	uint64_t published = __atomic_load_n(&c->frames_published, __ATOMIC_ACQUIRE);
	bool mid_frame = !drawing && published == p->last_published + 1 &&
			 c->frames[p->last_published % DB_FRAME_RING_LEN].tsc_start < p->last_harvest_tsc;

	for (size_t w = 0; w < BITMAP_WORDS(s->geo->pages); w++) {
		uint64_t dropped = mid_frame ? pages[w] & p->last_reported[w] : 0;

		p->pages_dropped += (uint64_t)__builtin_popcountll(dropped);
		pages[w] &= ~dropped;
		p->last_reported[w] = pages[w];
	}
	p->last_published = published;
	p->last_harvest_tsc = fetched_tsc + (uint64_t)s->be->guest_tsc_offset;
}

static int logdirty_init(struct strategy *s)
{
	return logdirty_setup(s, false);
}

static int logdirty_manual_init(struct strategy *s)
{
	return logdirty_setup(s, true);
}

static int logdirty_start(struct strategy *s)
{
	struct logdirty_priv *p = s->priv;

	return backend_dirty_log_start(s->be, p->manual);
}

/* The framebuffer's pages out of the slot's bitmap; the slot is rounded up
 * to 2 MiB, and pages past the framebuffer are no one's tiles. */
static size_t copy_fb_pages(const struct fb_geometry *g, const uint64_t *slot, uint64_t *pages)
{
	size_t words = BITMAP_WORDS(g->pages), n = 0;

	memcpy(pages, slot, words * sizeof(uint64_t));
	if (g->pages % 64)
		pages[words - 1] &= (1ull << (g->pages % 64)) - 1;
	for (size_t w = 0; w < words; w++)
		n += (size_t)__builtin_popcountll(pages[w]);
	return n;
}

static int logdirty_scan(struct strategy *s, struct dirty_set *out)
{
	struct logdirty_priv *p = s->priv;
	uint64_t fetched_tsc = clock_tsc();     /* a frame begun before this was mid-frame at the fetch */
	size_t n;

	if (backend_dirty_log_fetch(s->be, p->slot_bitmap))
		return -1;
	/* Re-protect before the caller reads the pages: a write that lands
	 * after this faults again and is in the next round's log. Nothing
	 * fetched, nothing to re-protect: no call (a page written since the
	 * fetch is still in the log, for the next round). */
	if (p->manual && !bitmap_empty(p->slot_bitmap, s->be->vram_slot_pages)) {
		if (backend_dirty_log_clear(s->be, p->slot_bitmap))
			return -1;
		p->clears++;
	}
	n = copy_fb_pages(s->geo, p->slot_bitmap, out->pages);
	if (p->drop_redirty) {
		drop_redirtied(s, p, out->pages, fetched_tsc);
		n = bitmap_weight(out->pages, s->geo->pages);
	}
	out->has_pages = true;
	p->rounds++;
	p->pages_reported += n;
	p->rounds_with_pages += n > 0;
	return 0;
}

static void logdirty_stop(struct strategy *s)
{
	(void)backend_dirty_log_stop(s->be);
}

static void logdirty_fini(struct strategy *s)
{
	struct logdirty_priv *p = s->priv;

	if (p) {
		free(p->slot_bitmap);
		free(p->last_reported);
	}
	free(p);
	s->priv = NULL;
}

static void logdirty_report(struct strategy *s, json_t *obj)
{
	struct logdirty_priv *p = s->priv;

	/* What this back end really called: the same strategy is KVM's dirty log
	 * on KVM and Xen's track_dirty_vram or PEEK/CLEAN on Xen. */
	json_object_set_new(obj, "api", json_string(s->be->ops->dirty_log_api[p->manual]));
	json_object_set_new(obj, "slot_pages", json_integer((json_int_t)s->be->vram_slot_pages));
	json_object_set_new(obj, "pages_reported", json_integer((json_int_t)p->pages_reported));
	json_object_set_new(obj, "pages_per_round", p->rounds ?
			    json_real((double)p->pages_reported / (double)p->rounds) : json_null());
	json_object_set_new(obj, "rounds_with_pages", json_integer((json_int_t)p->rounds_with_pages));
	if (p->manual)
		json_object_set_new(obj, "clear_calls", json_integer((json_int_t)p->clears));
	if (p->drop_redirty)
		json_object_set_new(obj, "test_pages_dropped", json_integer((json_int_t)p->pages_dropped));
}

static const struct strategy_option_spec logdirty_options[] = {
	{ .name = "test_drop_redirty", .type = STRATEGY_OPT_BOOL, .def = "0",
	  .help = "TEST AID, breaks the strategy: drop a page's report when the previous round reported it "
		  "(a lost re-dirty); the oracle and --replica-check must fail the run" },
	{ .name = NULL },
};

const struct strategy_ops strategy_logdirty = {
	.name = "logdirty",
	.description = "hypervisor dirty log of VRAM, got and re-protected in one call (KVM_GET_DIRTY_LOG; Xen track_dirty_vram)",
	.needs = BACKEND_DIRTY_LOG,
	.options = logdirty_options,
	.init = logdirty_init,
	.start = logdirty_start,
	.scan = logdirty_scan,
	.stop = logdirty_stop,
	.fini = logdirty_fini,
	.report = logdirty_report,
};

const struct strategy_ops strategy_logdirty_manual = {
	.name = "logdirty-manual",
	.description = "hypervisor dirty log, fetched then re-protected (KVM_GET_DIRTY_LOG + KVM_CLEAR_DIRTY_LOG as QEMU; Xen PEEK + CLEAN)",
	.needs = BACKEND_DIRTY_LOG | BACKEND_DIRTY_LOG_MANUAL,
	.init = logdirty_manual_init,
	.start = logdirty_start,
	.scan = logdirty_scan,
	.stop = logdirty_stop,
	.fini = logdirty_fini,
	.report = logdirty_report,
};
