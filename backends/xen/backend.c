/*
 * The Xen back-end ops table. What it offers and why the rest is missing:
 *  - VRAM host view: the domU's region mapped with xenforeignmemory (memcmp).
 *  - Dirty logs: logdirty.c (track_dirty_vram; whole-domain PEEK/CLEAN).
 *  - pvbitmap: pv.c (granted page, event channel).
 *  - ptebits: pagetables.c (the domU's page tables through foreign mappings;
 *    a TLB flush made of a CPU-state reload, Xen having no direct call).
 *  - Not offered: a dirty ring (Xen has none); VRAM invalidation and a
 *    write trap (ptebits-hybrid's "tell me of the first write"): the only
 *    write protection of a domU's RAM dom0 controls is log-dirty, and it is
 *    read by polling, a hypercall a round: what logdirty already measures.
 */
#include <stddef.h>
#include <xenctrl.h>

#include "backends/xen/xen.h"

const struct backend_ops xen_backend_ops = {
	.name = "xen",
	.dirty_log_api = { "xendevicemodel_track_dirty_vram (VRAM's GFN range; fetches and re-protects)",
			   "xc_logdirty_control PEEK, then CLEAN (whole domain)" },
	.features = BACKEND_DIRTY_LOG | BACKEND_DIRTY_LOG_MANUAL | BACKEND_PV_PAGE | BACKEND_GUEST_EVENTS |
		    BACKEND_GUEST_PAGETABLES | BACKEND_GUEST_TLB_FLUSH,
	.dirty_log_start = xen_logdirty_start,
	.dirty_log_stop = xen_logdirty_stop,
	.dirty_log_fetch = xen_logdirty_fetch,
	.dirty_log_clear = xen_logdirty_clear,
	.guest_ptr = xen_guest_ptr,
	.guest_tlb_flush = xen_pt_tlb_flush,
	.guest_kick = xen_pv_kick,
	.guest_wait_notify = xen_pv_wait_notify,
};

void xen_backend_init(struct xen_dom *d, const struct fb_geometry *geo)
{
	struct backend *be = &d->be;
	xc_domaininfo_t info;

	be->ops = &xen_backend_ops;
	be->geo = *geo;
	be->vram = d->region + DBX_VRAM_OFF;
	be->control = (struct db_control *)(d->region + DBX_CONTROL_OFF);
	be->vram_gpa = (d->gfn << 12) + DBX_VRAM_OFF;
	be->vram_slot_pages = geo->pages;
	/* HAP is Xen's name for nested paging (TDP): the CPU sets D bits. */
	be->paging = xc_domain_getinfolist(d->xc, d->domid, 1, &info) == 1 && info.flags & XEN_DOMINF_hap ?
		     "tdp" : "shadow";
	be->guest_tsc_offset = 0;
}

const char *xen_backend_unsupported(unsigned needs)
{
	unsigned missing = needs & ~xen_backend_ops.features;

	if (missing & BACKEND_DIRTY_RING)
		return "Xen has no dirty ring";
	if (missing & (BACKEND_VRAM_WRITE_TRAP | BACKEND_VRAM_INVALIDATE))
		return "dom0 cannot be told of a domU's first write to VRAM (its only write protection of "
		       "domU RAM is log-dirty, read by polling a hypercall every round, which is the logdirty strategy)";
	if (missing & BACKEND_VRAM_HOST_PTES)
		return "dom0's foreign mapping of the domU's VRAM does not see the domU's writes through dom0's page "
		       "tables (the domU writes through its own p2m), so dom0's userfaultfd write-protection and "
		       "soft-dirty bits never see them";
	return missing ? "the Xen back end lacks a feature this strategy needs" : NULL;
}
