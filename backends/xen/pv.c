/*
 * pvbitmap on Xen, dom0 side. The strategy addresses its shared pages by the
 * micro-VM's guest physical addresses (DB_PVBITMAP_GPA.., and the control
 * page for pvbitmap-fine's indicator); here those pages are the ones the domU
 * granted (mapped with gntdev) and the control page in the foreign-mapped
 * region. Kick and notify are an interdomain event channel bound to the port
 * the domU left unbound for us.
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <xenevtchn.h>
#include <xengnttab.h>

#include "backends/xen/xen.h"

struct xen_pv {
	xengnttab_handle *gt;
	xenevtchn_handle *xe;
	evtchn_port_t port;             /* our end */
	uint8_t *pages;
	uint64_t kicks, notifies;
};

void *xen_pv_guest_ptr(struct backend *be, uint64_t gpa, size_t len)
{
	struct xen_dom *d = xen_dom_of(be);

	if (!d->pv)
		return NULL;
	if (gpa >= DB_PVBITMAP_GPA && gpa + len <= DB_PVBITMAP_GPA + DBX_PV_PAGES * 4096)
		return d->pv->pages + (gpa - DB_PVBITMAP_GPA);
	if (gpa >= DB_CONTROL_GPA && gpa + len <= DB_CONTROL_GPA + sizeof(struct db_control))
		return (uint8_t *)be->control + (gpa - DB_CONTROL_GPA);
	return NULL;
}

static int pv_fail(char *err, size_t len, const char *what)
{
	snprintf(err, len, "pvbitmap on Xen: %s: %s", what, strerror(errno));
	return -1;
}

int xen_pv_open(struct xen_dom *d, char *err, size_t len)
{
	struct xen_pv *pv = calloc(1, sizeof(*pv));
	uint32_t refs[DBX_PV_PAGES];
	xenevtchn_port_or_error_t port;

	if (!pv)
		return pv_fail(err, len, "out of memory");
	d->pv = pv;
	if (!d->share->gref[0] && !d->share->evtchn_port) {
		snprintf(err, len, "pvbitmap on Xen: the domU granted no pages (no gntalloc in it?)");
		return -1;
	}
	pv->gt = xengnttab_open(NULL, 0);
	pv->xe = xenevtchn_open(NULL, 0);
	if (!pv->gt || !pv->xe)
		return pv_fail(err, len, "opening gntdev / evtchn");
	memcpy(refs, (const void *)d->share->gref, sizeof(refs));
	pv->pages = xengnttab_map_domain_grant_refs(pv->gt, DBX_PV_PAGES, d->domid, refs,
						    PROT_READ | PROT_WRITE);
	if (!pv->pages)
		return pv_fail(err, len, "xengnttab_map_domain_grant_refs");
	port = xenevtchn_bind_interdomain(pv->xe, d->domid, d->share->evtchn_port);
	if (port < 0)
		return pv_fail(err, len, "xenevtchn_bind_interdomain");
	pv->port = (evtchn_port_t)port;
	return 0;
}

void xen_pv_close(struct xen_dom *d)
{
	struct xen_pv *pv = d->pv;

	if (!pv)
		return;
	if (pv->pages)
		xengnttab_unmap(pv->gt, pv->pages, DBX_PV_PAGES);
	if (pv->xe) {
		if (pv->port)
			xenevtchn_unbind(pv->xe, pv->port);
		xenevtchn_close(pv->xe);
	}
	if (pv->gt)
		xengnttab_close(pv->gt);
	free(pv);
	d->pv = NULL;
}

int xen_pv_kick(struct backend *be)
{
	struct xen_pv *pv = xen_dom_of(be)->pv;

	if (!pv || xenevtchn_notify(pv->xe, pv->port)) {
		snprintf(be->error, sizeof(be->error), "xenevtchn_notify: %s", pv ? strerror(errno) : "no channel");
		return -1;
	}
	pv->kicks++;
	return 0;
}

/* 1: the domU notified (pending cleared, port unmasked); 0: timed out. */
int xen_pv_wait_notify(struct backend *be, long timeout_us)
{
	struct xen_pv *pv = xen_dom_of(be)->pv;
	struct pollfd pfd;
	xenevtchn_port_or_error_t p;
	int rc;

	if (!pv)
		return -1;
	pfd = (struct pollfd){ .fd = xenevtchn_fd(pv->xe), .events = POLLIN };
	rc = poll(&pfd, 1, (int)((timeout_us + 999) / 1000));
	if (rc < 0) {
		snprintf(be->error, sizeof(be->error), "poll on the event channel: %s", strerror(errno));
		return -1;
	}
	if (rc == 0)
		return 0;
	p = xenevtchn_pending(pv->xe);
	if (p < 0)
		return 0;
	xenevtchn_unmask(pv->xe, (evtchn_port_t)p);
	pv->notifies++;
	return 1;
}

json_t *xen_pv_json(const struct xen_dom *d)
{
	if (!d->pv)
		return json_null();
	return json_pack("{s:s, s:I, s:I}", "channel", "gntalloc/gntdev pages + interdomain event channel",
			 "kicks", (json_int_t)d->pv->kicks, "notifies", (json_int_t)d->pv->notifies);
}
