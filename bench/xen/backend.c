/*
 * The Xen back-end ops table. What it offers and why the rest is missing:
 *  - VRAM host view: the domU's region mapped with xenforeignmemory (memcmp).
 *  - Dirty logs: logdirty.c (track_dirty_vram; whole-domain PEEK/CLEAN).
 *  - pvbitmap: pv.c (granted page, event channel).
 *  - Not offered: a dirty ring (Xen has none), VRAM invalidation and
 *    write traps (no dom0 interface to drop or trap a domU's p2m entries short
 *    of the log-dirty calls above), and a guest TLB flush: dom0 has no call
 *    that makes a running HVM/PVH vCPU flush its TLB, which is what ptebits
 *    needs before it can trust the D bits it cleared.
 */
#include <stddef.h>

#include "xen.h"

const struct backend_ops xen_backend_ops = {
	.name = "xen",
	.features = BACKEND_DIRTY_LOG | BACKEND_DIRTY_LOG_MANUAL | BACKEND_PV_PAGE | BACKEND_GUEST_EVENTS,
	.dirty_log_start = xen_logdirty_start,
	.dirty_log_stop = xen_logdirty_stop,
	.dirty_log_fetch = xen_logdirty_fetch,
	.dirty_log_clear = xen_logdirty_clear,
	.guest_ptr = xen_pv_guest_ptr,
	.guest_kick = xen_pv_kick,
	.guest_wait_notify = xen_pv_wait_notify,
};

void xen_backend_init(struct xen_dom *d, const struct fb_geometry *geo)
{
	struct backend *be = &d->be;

	be->ops = &xen_backend_ops;
	be->geo = *geo;
	be->vram = d->region + DBX_VRAM_OFF;
	be->control = (struct db_control *)(d->region + DBX_CONTROL_OFF);
	be->vram_gpa = (d->gfn << 12) + DBX_VRAM_OFF;
	be->vram_slot_pages = geo->pages;
	be->paging = "hap";
	be->guest_tsc_offset = 0;
}

const char *xen_backend_unsupported(unsigned needs)
{
	unsigned missing = needs & ~xen_backend_ops.features;

	if (missing & BACKEND_DIRTY_RING)
		return "Xen has no dirty ring";
	if (missing & BACKEND_GUEST_TLB_FLUSH)
		return "dom0 cannot make a running PVH vCPU flush its TLB";
	if (missing & BACKEND_GUEST_PAGETABLES)
		return "ptebits: dom0 cannot make a running PVH vCPU flush its TLB, so D bits it "
		       "clears in the guest's page tables cannot be trusted to be set again on the next write";
	if (missing & (BACKEND_VRAM_WRITE_TRAP | BACKEND_VRAM_INVALIDATE))
		return "dom0 has no interface to trap or drop a domU's mappings of VRAM";
	return missing ? "the Xen back end lacks a feature this strategy needs" : NULL;
}
