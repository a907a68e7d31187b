/* Attaching to a domU by name: find its id, read the region it registered in
 * xenstore, and map that region from dom0 with xenforeignmemory. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <xenctrl.h>
#include <xendevicemodel.h>
#include <xenforeignmemory.h>
#include <xenstore.h>

#include "backends/xen/xen.h"

static int fail(char *err, size_t len, const char *fmt, const char *arg)
{
	snprintf(err, len, fmt, arg, strerror(errno));
	return -1;
}

static char *xs_get(struct xen_dom *d, const char *fmt, unsigned id, const char *key)
{
	char path[128];
	unsigned int n;

	snprintf(path, sizeof(path), fmt, id, key);
	return xs_read(d->xs, XBT_NULL, path, &n);
}

/* /local/domain/<id>/name == name */
static int find_domid(struct xen_dom *d, const char *name, char *err, size_t len)
{
	unsigned int n;
	char **ids = xs_directory(d->xs, XBT_NULL, "/local/domain", &n);
	int found = -1;

	if (!ids)
		return fail(err, len, "xenstore: cannot list /local/domain%s: %s", "");
	for (unsigned i = 0; i < n && found < 0; i++) {
		unsigned id = (unsigned)strtoul(ids[i], NULL, 10);
		char *v = xs_get(d, "/local/domain/%u/%s", id, "name");

		if (v && !strcmp(v, name))
			found = (int)id;
		free(v);
	}
	free(ids);
	if (found < 0) {
		snprintf(err, len, "no Xen domain named '%s' (xl list shows them)", name);
		return -1;
	}
	d->domid = (uint32_t)found;
	return 0;
}

static int read_registration(struct xen_dom *d, char *err, size_t len)
{
	char *gfn = xs_get(d, "/local/domain/%u/" DBX_XS_DIR "/%s", d->domid, "gfn");
	char *pages = xs_get(d, "/local/domain/%u/" DBX_XS_DIR "/%s", d->domid, "pages");
	char *abi = xs_get(d, "/local/domain/%u/" DBX_XS_DIR "/%s", d->domid, "abi");
	int ok = gfn && pages && abi && atoi(abi) == DBX_ABI;

	if (ok) {
		d->gfn = strtoull(gfn, NULL, 10);
		d->pages = strtoull(pages, NULL, 10);
		ok = d->pages * 4096 == DBX_REGION_BYTES;
	}
	if (!ok)
		snprintf(err, len, "domain %u has no dirtybench region registered under %s "
			 "(is db-workload --xen running in it?)", d->domid, DBX_XS_DIR);
	free(gfn), free(pages), free(abi);
	return ok ? 0 : -1;
}

static int map_region(struct xen_dom *d, uint64_t need, char *err, size_t len)
{
	uint64_t n = (need + 4095) / 4096 < d->pages ? (need + 4095) / 4096 : d->pages;
	xen_pfn_t *gfns = calloc(n, sizeof(*gfns));
	int *errs = calloc(n, sizeof(*errs));

	if (!gfns || !errs) {
		free(gfns), free(errs);
		return fail(err, len, "out of memory%s: %s", "");
	}
	for (uint64_t i = 0; i < n; i++)
		gfns[i] = d->gfn + i;
	d->region = xenforeignmemory_map(d->fmem, d->domid, PROT_READ | PROT_WRITE, n, gfns, errs);
	for (uint64_t i = 0; d->region && i < n; i++)
		if (errs[i]) {
			errno = -errs[i];
			xenforeignmemory_unmap(d->fmem, d->region, n);
			d->region = NULL;
		}
	d->mapped = d->region ? n * 4096 : 0;
	free(gfns), free(errs);
	if (!d->region)
		return fail(err, len, "xenforeignmemory_map of the domU's region%s: %s", "");
	d->share = (struct dbx_share *)(d->region + DBX_SHARE_OFF);
	if (d->share->magic != DBX_MAGIC || d->share->abi != DBX_ABI) {
		snprintf(err, len, "the registered region holds no dirtybench handshake page");
		return -1;
	}
	return 0;
}

int xen_dom_attach(struct xen_dom *d, const char *name, uint64_t need, char *err, size_t len)
{
	d->xc = xc_interface_open(NULL, NULL, 0);
	if (!d->xc)
		return fail(err, len, "cannot open libxenctrl%s (not dom0, or no privcmd): %s", "");
	d->fmem = xenforeignmemory_open(NULL, 0);
	d->dm = xendevicemodel_open(NULL, 0);
	d->xs = xs_open(0);
	if (!d->fmem || !d->dm || !d->xs)
		return fail(err, len, "cannot open Xen's libraries%s (foreignmemory, devicemodel, xenstore): %s", "");
	if (find_domid(d, name, err, len) || read_registration(d, err, len) || map_region(d, need, err, len))
		return -1;
	return 0;
}

void xen_dom_detach(struct xen_dom *d)
{
	xen_pv_close(d);
	xen_pt_release(d);
	if (d->region)
		xenforeignmemory_unmap(d->fmem, d->region, d->mapped / 4096);
	if (d->xs)
		xs_close(d->xs);
	if (d->dm)
		xendevicemodel_close(d->dm);
	if (d->fmem)
		xenforeignmemory_close(d->fmem);
	if (d->xc)
		xc_interface_close(d->xc);
	free(d->ld_bitmap);
	free(d->ld_carry);
	memset(d, 0, sizeof(*d));
}

bool xen_dom_alive(struct xen_dom *d)
{
	xc_domaininfo_t info;

	if (xc_domain_getinfolist(d->xc, d->domid, 1, &info) != 1 || info.domain != d->domid)
		return false;
	return !(info.flags & (XEN_DOMINF_dying | XEN_DOMINF_shutdown));
}
