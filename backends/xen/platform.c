/* What a Xen result says about the platform: the hypervisor's version and
 * capabilities (xc_version), its TSC rate, the paging mode, and which fault
 * counters Xen gives dom0 for a domU. */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/utsname.h>
#include <xenctrl.h>

#include "backends/xen/xen.h"

/* First line of FILE starting with KEY, the part after ": " (or the whole
 * line for KEY ""), into buf; "unknown" if absent. */
static const char *read_field(const char *file, const char *key, char *buf, size_t len)
{
	FILE *f = fopen(file, "r");
	char line[256];

	snprintf(buf, len, "unknown");
	if (!f)
		return buf;
	while (fgets(line, sizeof(line), f)) {
		char *v = line;

		if (strncmp(line, key, strlen(key)))
			continue;
		if (*key && (v = strchr(line, ':')))
			v += 2;
		v[strcspn(v, "\n")] = 0;
		snprintf(buf, len, "%.*s", (int)len - 1, v);
		break;
	}
	fclose(f);
	return buf;
}

/* The machine under Xen, as dom0 sees it: the CPU's name and the firmware's
 * vendor; QEMU's TCG names its CPUs "QEMU TCG CPU", which makes every time in
 * the result an emulated one. */
json_t *xen_platform_json(struct xen_dom *d)
{
	xen_extraversion_t extra = { 0 };
	xen_capabilities_info_t caps = { 0 };
	int ver = xc_version(d->xc, XENVER_version, NULL);
	xc_domaininfo_t info = { 0 };
	struct utsname u;
	char version[64], cpu[128], vendor[128], product[128];
	bool tcg, virtual_hw;
	json_t *j;

	xc_version(d->xc, XENVER_extraversion, &extra);
	xc_version(d->xc, XENVER_capabilities, &caps);
	snprintf(version, sizeof(version), "%d.%d%s", ver >> 16, ver & 0xffff, extra);
	uname(&u);
	read_field("/proc/cpuinfo", "model name", cpu, sizeof(cpu));
	read_field("/sys/class/dmi/id/sys_vendor", "", vendor, sizeof(vendor));
	read_field("/sys/class/dmi/id/product_name", "", product, sizeof(product));
	tcg = strstr(cpu, "TCG") != NULL;
	virtual_hw = tcg || !strcmp(vendor, "QEMU") || strstr(vendor, "VMware") || strstr(vendor, "innotek") ||
		     (!strcmp(vendor, "Microsoft Corporation") && strstr(product, "Virtual"));
	xc_domain_getinfolist(d->xc, d->domid, 1, &info);
	j = json_pack("{s:s, s:s, s:s, s:s, s:b, s:{s:s, s:s, s:I, s:I, s:s, s:s}, s:s}",
		"backend", "xen", "kernel", u.release, "cpu_model", cpu,
		"firmware", vendor, "nested", virtual_hw,
		"xen", "version", version, "capabilities", caps, "domid", (json_int_t)d->domid,
		"tsc_khz", (json_int_t)d->tsc_khz,
		"paging", info.flags & XEN_DOMINF_hap ? "hap" : "shadow",
		"domu_region", "memmap= reservation, /dev/mem in the domU, xenforeignmemory in dom0",
		"note", "run from dom0; kernel is dom0's");
	if (tcg)
		json_object_set_new(j, "timing", json_string("emulated (QEMU TCG): times measure function, not speed"));
	return j;
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
