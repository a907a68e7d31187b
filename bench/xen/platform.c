/* What a Xen result says about the platform: the hypervisor's version and
 * capabilities (xc_version), its TSC rate, the paging mode, and which fault
 * counters Xen gives dom0 for a domU. */
#include <stdio.h>
#include <string.h>
#include <sys/utsname.h>
#include <xenctrl.h>

#include "xen.h"

json_t *xen_platform_json(struct xen_dom *d)
{
	xen_extraversion_t extra = { 0 };
	xen_capabilities_info_t caps = { 0 };
	int ver = xc_version(d->xc, XENVER_version, NULL);
	struct utsname u;
	char version[64];

	xc_version(d->xc, XENVER_extraversion, &extra);
	xc_version(d->xc, XENVER_capabilities, &caps);
	snprintf(version, sizeof(version), "%d.%d%s", ver >> 16, ver & 0xffff, extra);
	uname(&u);
	return json_pack("{s:s, s:s, s:s, s:b, s:{s:s, s:s, s:I, s:I, s:s, s:s, s:s}, s:s}",
		"backend", "xen", "kernel", u.release, "cpu_model", "see xen.capabilities",
		"nested", 1,
		"xen", "version", version, "capabilities", caps, "domid", (json_int_t)d->domid,
		"tsc_khz", (json_int_t)d->tsc_khz, "paging", "hap (PVH domU)",
		"domu_region", "memmap= reservation, /dev/mem in the domU, xenforeignmemory in dom0",
		"timing", "Xen under QEMU TCG in the lab: times measure function, not speed",
		"note", "run from dom0; kernel is dom0's");
}

/* Xen keeps no per-domain count of EPT/NPT faults that dom0 can read; the
 * log-dirty domctls report how many log-dirty faults the domain took since the
 * last CLEAN, so those are given where a strategy used them. */
json_t *xen_faults_json(struct xen_dom *d)
{
	if (d->ld_bits && d->ld_bits != d->be.geo.pages)
		return json_pack("{s:s, s:I, s:I, s:s}", "source",
			"xc_logdirty_control PEEK/CLEAN stats (whole domain, since the previous CLEAN)",
			"logdirty_fault_count_last", (json_int_t)d->ld_faults,
			"logdirty_dirty_count_last", (json_int_t)d->ld_dirty,
			"note", "Xen exposes no per-vCPU exit or page-fault counters to dom0");
	return json_pack("{s:n, s:s}", "exits",
		"reason", "Xen exposes no per-domain exit or page-fault counters to dom0 "
			  "(only the log-dirty domctls' fault count, used by logdirty-manual)");
}
