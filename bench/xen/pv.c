/*
 * pvbitmap on Xen, dom0 side: guest memory by guest physical address (the
 * pvbitmap page lives in the registered region), and the event channel that
 * stands for the KVM back end's kick and notify.
 */
#include <errno.h>
#include <stdio.h>

#include "xen.h"

void *xen_pv_guest_ptr(struct backend *be, uint64_t gpa, size_t len)
{
	struct xen_dom *d = xen_dom_of(be);
	uint64_t base = d->gfn << 12;

	if (gpa < base || gpa + len > base + DBX_REGION_BYTES)
		return NULL;
	return d->region + (gpa - base);
}

int xen_pv_open(struct xen_dom *d, char *err, size_t len)
{
	(void)d;
	snprintf(err, len, "pvbitmap's event channel is not wired on Xen yet");
	return -1;
}

void xen_pv_close(struct xen_dom *d)
{
	(void)d;
}

int xen_pv_kick(struct backend *be)
{
	snprintf(be->error, sizeof(be->error), "no event channel");
	errno = ENOTSUP;
	return -1;
}

int xen_pv_wait_notify(struct backend *be, long timeout_us)
{
	(void)timeout_us;
	return xen_pv_kick(be);
}
