/*
 * Xen's two dirty logs behind the back end's dirty_log hooks:
 *  - VRAM tracking (strategy logdirty): xendevicemodel_track_dirty_vram on
 *    the framebuffer's GFN range, the device-model interface Xen built for
 *    exactly this. Each call returns the range's bitmap and re-arms it (on HAP
 *    the range's p2m entries go back to log-dirty); the first call of a new
 *    range reports every page.
 *  - Whole-domain log-dirty (strategy logdirty-manual): xc_logdirty_control
 *    ENABLE_LOGDIRTY, then PEEK to fetch and CLEAN to re-arm. CLEAN clears the
 *    whole log, so a page dirtied between our PEEK and our CLEAN would be lost:
 *    CLEAN's own bitmap is kept and what it adds is reported next round.
 * The bitmaps cover GFNs [0, VRAM end) in domain mode: Xen walks the log from
 * GFN 0. PEEK/CLEAN also return Xen's fault and dirty counts for the domain.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <xenctrl.h>
#include <xendevicemodel.h>

#include "core/bitmap.h"
#include "core/clock.h"
#include "backends/xen/xen.h"

static uint64_t vram_gfn(const struct xen_dom *d)
{
	return d->gfn + DBX_VRAM_OFF / 4096;
}

static int ld_fail(struct xen_dom *d, const char *what)
{
	snprintf(d->be.error, sizeof(d->be.error), "%s: %s", what, strerror(errno));
	return -1;
}

/* One log-dirty domctl into d->ld_bitmap, timed. */
static long long domain_op(struct xen_dom *d, unsigned sop, xc_shadow_op_stats_t *stats)
{
	DECLARE_HYPERCALL_BUFFER(unsigned long, buf);
	size_t bytes = BITMAP_WORDS(d->ld_bits) * 8;
	int64_t t0 = clock_mono_ns();
	long long rc;

	buf = xc_hypercall_buffer_alloc_pages(d->xc, buf, (int)((bytes + 4095) / 4096));
	if (!buf)
		return -1;
	rc = xc_logdirty_control(d->xc, d->domid, sop, HYPERCALL_BUFFER(buf), d->ld_bits, 0, stats);
	if (rc >= 0)
		memcpy(d->ld_bitmap, buf, bytes);
	xc_hypercall_buffer_free_pages(d->xc, buf, (int)((bytes + 4095) / 4096));
	d->ld_ns += (uint64_t)(clock_mono_ns() - t0);
	d->ld_calls++;
	if (rc >= 0) {
		d->ld_faults = stats->fault_count;
		d->ld_dirty = stats->dirty_count;
	}
	return rc;
}

int xen_logdirty_start(struct backend *be, bool manual)
{
	struct xen_dom *d = xen_dom_of(be);

	d->ld_mode = manual ? XEN_LD_DOMAIN : XEN_LD_VRAM;
	d->ld_bits = manual ? vram_gfn(d) + be->geo.pages : be->geo.pages;
	d->ld_bitmap = calloc(BITMAP_WORDS(d->ld_bits), 8);
	d->ld_carry = calloc(BITMAP_WORDS(be->geo.pages), 8);
	if (!d->ld_bitmap || !d->ld_carry)
		return errno = ENOMEM, ld_fail(d, "log-dirty bitmaps");
	if (!manual)
		return 0;               /* track_dirty_vram arms itself on the first fetch */
	/* A run that failed may have left it on (EINVAL): off, then on again. */
	if (xc_logdirty_control(d->xc, d->domid, XEN_DOMCTL_SHADOW_OP_ENABLE_LOGDIRTY, NULL, 0, 0, NULL) < 0 &&
	    (errno != EINVAL ||
	     xc_logdirty_control(d->xc, d->domid, XEN_DOMCTL_SHADOW_OP_OFF, NULL, 0, 0, NULL) < 0 ||
	     xc_logdirty_control(d->xc, d->domid, XEN_DOMCTL_SHADOW_OP_ENABLE_LOGDIRTY, NULL, 0, 0, NULL) < 0))
		return ld_fail(d, "xc_logdirty_control(ENABLE_LOGDIRTY)");
	return 0;
}

int xen_logdirty_stop(struct backend *be)
{
	struct xen_dom *d = xen_dom_of(be);
	int rc = 0;

	if (d->ld_mode == XEN_LD_VRAM)
		rc = xendevicemodel_track_dirty_vram(d->dm, (domid_t)d->domid, 0, 0, NULL);
	else if (d->ld_mode == XEN_LD_DOMAIN)
		rc = xc_logdirty_control(d->xc, d->domid, XEN_DOMCTL_SHADOW_OP_OFF, NULL, 0, 0, NULL) < 0 ? -1 : 0;
	d->ld_mode = XEN_LD_OFF;
	return rc ? ld_fail(d, "stopping log-dirty") : 0;
}

/* The VRAM pages of a domain-wide bitmap, ORed into pages. */
static void vram_part(const struct xen_dom *d, uint64_t *pages)
{
	uint64_t first = vram_gfn(d);

	for (size_t i = 0; i < d->be.geo.pages; i++)
		if (d->ld_bitmap[(first + i) / 64] >> ((first + i) % 64) & 1)
			pages[i / 64] |= 1ull << (i % 64);
}

int xen_logdirty_fetch(struct backend *be, uint64_t *pages)
{
	struct xen_dom *d = xen_dom_of(be);
	size_t words = BITMAP_WORDS(be->geo.pages);
	xc_shadow_op_stats_t stats;
	int64_t t0;

	if (d->ld_mode == XEN_LD_VRAM) {
		t0 = clock_mono_ns();
		if (xendevicemodel_track_dirty_vram(d->dm, (domid_t)d->domid, vram_gfn(d),
						    (uint32_t)be->geo.pages, d->ld_bitmap))
			return ld_fail(d, "xendevicemodel_track_dirty_vram");
		d->ld_ns += (uint64_t)(clock_mono_ns() - t0);
		d->ld_calls++;
		memcpy(pages, d->ld_bitmap, words * 8);
		return 0;
	}
	if (domain_op(d, XEN_DOMCTL_SHADOW_OP_PEEK, &stats) < 0)
		return ld_fail(d, "xc_logdirty_control(PEEK)");
	memcpy(pages, d->ld_carry, words * 8);
	memset(d->ld_carry, 0, words * 8);
	vram_part(d, pages);
	return 0;
}

/* Domain mode: re-arm everything; pages CLEAN saw dirty that the PEEK did not
 * report (written in between) are carried into the next fetch. */
int xen_logdirty_clear(struct backend *be, const uint64_t *pages)
{
	struct xen_dom *d = xen_dom_of(be);
	size_t words = BITMAP_WORDS(be->geo.pages);
	xc_shadow_op_stats_t stats;

	if (d->ld_mode != XEN_LD_DOMAIN)
		return 0;
	if (domain_op(d, XEN_DOMCTL_SHADOW_OP_CLEAN, &stats) < 0)
		return ld_fail(d, "xc_logdirty_control(CLEAN)");
	vram_part(d, d->ld_carry);
	for (size_t w = 0; w < words; w++)
		d->ld_carry[w] &= ~pages[w];
	return 0;
}

json_t *xen_logdirty_json(const struct xen_dom *d)
{
	const char *iface = d->ld_calls == 0 ? "none" :
		d->ld_bits == d->be.geo.pages ? "xendevicemodel_track_dirty_vram" :
		"xc_logdirty_control PEEK + CLEAN (whole domain)";

	return json_pack("{s:s, s:I, s:o}", "interface", iface, "calls", (json_int_t)d->ld_calls,
			 "mean_call_us", d->ld_calls ? json_real((double)d->ld_ns / 1e3 / (double)d->ld_calls)
						     : json_null());
}
