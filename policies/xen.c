/*
 * `xen`: Xen's 2-second rule for VRAM (xen/arch/x86/mm/shadow/hvm.c,
 * shadow_track_dirty_vram()). Each call scans; when no page has been dirty
 * for SECONDS(2), Xen removes the guest's write access to VRAM
 * (sh_remove_write_access) and sets last_dirty = -1; calls then return the
 * empty bitmap without scanning. The guest's first write faults, and
 * _sh_propagate() (shadow/multi.c, a FETCH_TYPE_WRITE to the range) sets
 * last_dirty = NOW(): the next call scans again.
 *
 * Two choices of ours, both options:
 *  - full_on_wake=1 (default): the round after the wake reports the whole
 *    screen once, as the issue that asked for this policy reads Xen (after
 *    sh_remove_write_access, pages whose single shadow mapping Xen no longer
 *    knows, sl1ma == INVALID_PADDR, are reported dirty wholesale); 0 reports
 *    only what the scan finds.
 *  - Xen protects after its scan, so a write that lands between the two sets
 *    a D bit no call reads until some later write faults: a lost update
 *    until then. Here the protection comes first and one more round follows
 *    (policy_sleep), so nothing is lost; the rule is Xen's, the race is not.
 */
#include <stdio.h>
#include <stdlib.h>

#include "core/bitmap.h"
#include "core/policy.h"

#define XEN_CLEAN_MS 2000       /* SECONDS(2) in shadow_track_dirty_vram() */

#define STR(x) #x
#define XSTR(x) STR(x)

struct xen_rule {
	uint64_t clean_ns;
	bool full_on_wake;
	uint64_t last_dirty_ns;
	uint64_t full_reports;
};

static const struct strategy_option_spec xen_options[] = {
	{ .name = "clean_ms", .type = STRATEGY_OPT_INT, .def = XSTR(XEN_CLEAN_MS), .min = 1, .max = 600000,
	  .help = "clean this long, VRAM is write-protected and not scanned (Xen: 2000)" },
	{ .name = "full_on_wake", .type = STRATEGY_OPT_BOOL, .def = "1",
	  .help = "1: the round after the guest's first write reports the whole screen" },
	{ .name = NULL },
};

static bool xen_applies(const struct strategy_ops *sops, const struct strategy_option_value *popt,
			char *why, size_t len)
{
	(void)popt;
	return policy_sleep_applies(sops, why, len);
}

static int xen_init(struct policy *p)
{
	static const char *const modes[] = { "scan", "asleep" };
	struct xen_rule *x = p->priv;

	x->clean_ns = (uint64_t)policy_opt_int(p, "clean_ms") * 1000000ull;
	x->full_on_wake = policy_opt_int(p, "full_on_wake");
	x->last_dirty_ns = policy_now_ns();
	policy_set_modes(p, modes, 2);
	return 0;
}

static int xen_tick(struct policy *p, struct dirty_set *out)
{
	struct xen_rule *x = p->priv;
	bool woke = p->asleep;
	uint64_t now;

	if (policy_still_asleep(p))
		return 0;
	if (policy_scan(p, out))
		return -1;
	now = policy_now_ns();
	if (woke) {
		x->last_dirty_ns = now;         /* _sh_propagate on the write fault */
		if (x->full_on_wake) {
			out->full = true;
			bitmap_fill(out->tiles, p->geo->ntiles);
			x->full_reports++;
		}
		return 0;
	}
	if (!dirty_set_empty(out, p->geo)) {
		x->last_dirty_ns = now;
		return 0;
	}
	if (now - x->last_dirty_ns > x->clean_ns) {
		if (policy_sleep(p, out))
			return -1;
		if (!p->asleep)
			x->last_dirty_ns = now;
	}
	return 0;
}

static void xen_report(struct policy *p, json_t *obj)
{
	json_object_set_new(obj, "full_reports", json_integer((json_int_t)((struct xen_rule *)p->priv)->full_reports));
}

const struct policy_ops policy_xen = {
	.name = "xen",
	.priv_size = sizeof(struct xen_rule),
	.description = "Xen's shadow VRAM rule: after 2 s without a dirty page, write-protect and stop scanning; "
		       "the guest's first write wakes it, and that round reports the whole screen",
	.needs = BACKEND_VRAM_WRITE_TRAP,
	.options = xen_options,
	.applies = xen_applies,
	.init = xen_init,
	.tick = xen_tick,
	.report = xen_report,
};
