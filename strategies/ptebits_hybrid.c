/*
 * `ptebits-hybrid`: the seed's hybrid (003). Scan PTE dirty bits; after N
 * consecutive empty scans, write-protect VRAM and stop scanning; the guest's
 * first write (a fault the vCPU thread sees) lifts the protection, and the
 * next round scans again. Protecting first and then scanning once more
 * catches a write that raced the protection.
 */
#include <stdlib.h>

#include "core/bitmap.h"
#include "strategies/ptebits.h"

struct hybrid {
	struct ptebits pb;
	long empty_needed;
	long empty_run;
	bool protected_mode;
	uint64_t protects, wakeups, scans_saved, rechecks_found;
};

static const struct strategy_option_spec hybrid_options[] = {
	PTEBITS_OPTION_REARM,
	{ .name = "empty_scans", .type = STRATEGY_OPT_INT, .def = "10", .min = 1, .max = 100000,
	  .help = "consecutive empty scans before VRAM is write-protected" },
	{ .name = NULL },
};

static int hy_init(struct strategy *s)
{
	struct hybrid *h = calloc(1, sizeof(*h));

	s->priv = h;
	if (!h)
		return -1;
	h->empty_needed = strategy_opt_int(s, "empty_scans");
	return ptebits_setup(s, &h->pb);
}

static int hy_start(struct strategy *s)
{
	struct hybrid *h = s->priv;

	return ptebits_arm(s, &h->pb);
}

static bool found_nothing(const struct strategy *s, const struct dirty_set *out)
{
	return !out->full && bitmap_weight(out->pages, s->geo->pages) == 0;
}

/* Protect, then scan once more: a write that landed before the protection
 * took effect set a D bit but will not fault. */
static int enter_protected(struct strategy *s, struct hybrid *h, struct dirty_set *out)
{
	if (backend_vram_write_protect(s->be, true) || ptebits_scan_once(s, &h->pb, out))
		return -1;
	if (!found_nothing(s, out)) {
		h->rechecks_found++;
		h->empty_run = 0;
		return backend_vram_write_protect(s->be, false);
	}
	h->protected_mode = true;
	h->protects++;
	return 0;
}

static int hy_scan(struct strategy *s, struct dirty_set *out)
{
	struct hybrid *h = s->priv;

	if (h->protected_mode) {
		if (!atomic_load(&s->be->vram_write_seen)) {
			h->scans_saved++;
			return 0;
		}
		h->protected_mode = false;      /* the fault already lifted the protection */
		h->wakeups++;
		h->empty_run = 0;
	}
	if (ptebits_scan_once(s, &h->pb, out))
		return -1;
	h->empty_run = found_nothing(s, out) ? h->empty_run + 1 : 0;
	if (h->empty_run >= h->empty_needed)
		return enter_protected(s, h, out);
	return 0;
}

static void hy_stop(struct strategy *s)
{
	struct hybrid *h = s->priv;

	if (h->protected_mode)
		backend_vram_write_protect(s->be, false);
	h->protected_mode = false;
}

static void hy_fini(struct strategy *s)
{
	struct hybrid *h = s->priv;

	if (h)
		ptebits_teardown(&h->pb);
	free(h);
	s->priv = NULL;
}

static void hy_report(struct strategy *s, json_t *obj)
{
	struct hybrid *h = s->priv;

	ptebits_report(&h->pb, obj);
	json_object_set_new(obj, "empty_scans_to_protect", json_integer(h->empty_needed));
	json_object_set_new(obj, "protects", json_integer((json_int_t)h->protects));
	json_object_set_new(obj, "wakeups", json_integer((json_int_t)h->wakeups));
	json_object_set_new(obj, "scans_saved", json_integer((json_int_t)h->scans_saved));
	json_object_set_new(obj, "rechecks_found_writes", json_integer((json_int_t)h->rechecks_found));
}

const struct strategy_ops strategy_ptebits_hybrid = {
	.name = "ptebits-hybrid",
	.description = "ptebits; after N empty scans write-protect VRAM and sleep until the first write",
	.needs = BACKEND_GUEST_PAGETABLES | BACKEND_VRAM_WRITE_TRAP,
	.options = hybrid_options,
	.init = hy_init,
	.start = hy_start,
	.scan = hy_scan,
	.stop = hy_stop,
	.fini = hy_fini,
	.report = hy_report,
};
