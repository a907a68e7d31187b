/*
 * The pvbitmap frontend in a Xen domU (seed 000's protocol, the guest
 * library workloads/guest/pvfront.c unchanged): the shared pages are granted
 * to dom0 with gntalloc, and the notifications the micro-VM sends as a ucall
 * exit are events on an interdomain event channel. Dom0's kick (it armed an
 * earlier switch deadline, or asks for a switch now) wakes our sleep the same
 * way. Grants and the unbound port are made once, when serving starts, so
 * dom0 can map them before it arms a run.
 */
#include "workloads/xen/xen_guest.h"
#include "workloads/lib/pvfront.h"
#include "workloads/linux/runtime_linux.h"
#include "workloads/lib/runtime.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <x86intrin.h>
#include <xenevtchn.h>
#include <xengnttab.h>

static struct {
	xengntshr_handle *gs;
	xenevtchn_handle *xe;
	evtchn_port_t port;
	uint8_t *pages;                 /* DBX_PV_PAGES granted pages */
	struct db_control *control;
	bool on;
} pv;

int xen_guest_pv_share(struct dbx_share *share)
{
	uint32_t refs[DBX_PV_PAGES];
	xenevtchn_port_or_error_t port;

	pv.gs = xengntshr_open(NULL, 0);
	pv.xe = xenevtchn_open(NULL, 0);
	if (!pv.gs || !pv.xe) {
		fprintf(stderr, "db-workload: gntalloc/evtchn devices: %s\n", strerror(errno));
		return -1;
	}
	pv.pages = xengntshr_share_pages(pv.gs, 0, DBX_PV_PAGES, refs, 1);
	port = xenevtchn_bind_unbound_port(pv.xe, 0);
	if (!pv.pages || port < 0) {
		fprintf(stderr, "db-workload: granting the pvbitmap pages / event channel: %s\n", strerror(errno));
		return -1;
	}
	pv.port = (evtchn_port_t)port;
	/* xenevtchn_pending() is a read(): blocking, it would wait for the next
	 * event when none is pending, and pv_drain() asks until none is. */
	if (fcntl(xenevtchn_fd(pv.xe), F_SETFL, O_NONBLOCK)) {
		fprintf(stderr, "db-workload: event channel O_NONBLOCK: %s\n", strerror(errno));
		return -1;
	}
	memset(pv.pages, 0, DBX_PV_PAGES * 4096);
	memcpy(share->gref, refs, sizeof(refs));
	share->evtchn_port = pv.port;
	return 0;
}

/* A micro-VM address of the pvbitmap layouts, in our mappings. */
static uint64_t pv_translate(uint64_t gpa)
{
	if (gpa >= DB_PVBITMAP_GPA && gpa < DB_PVBITMAP_GPA + DBX_PV_PAGES * 4096)
		return (uint64_t)(uintptr_t)pv.pages + (gpa - DB_PVBITMAP_GPA);
	if (gpa >= DB_CONTROL_GPA && gpa < DB_CONTROL_GPA + sizeof(struct db_control))
		return (uint64_t)(uintptr_t)pv.control + (gpa - DB_CONTROL_GPA);
	return 0;
}

static void pv_notify(int notify)
{
	if (notify)
		xenevtchn_notify(pv.xe, pv.port);
}

/* Drain our port (non-blocking): a kick only needs to wake us. */
static void pv_drain(void)
{
	xenevtchn_port_or_error_t p;

	while ((p = xenevtchn_pending(pv.xe)) >= 0)
		xenevtchn_unmask(pv.xe, (evtchn_port_t)p);
}

/* As the micro-VM runtime's rt_sleep_until: the switch timer bounds each
 * sleep, and dom0's kick ends it early. */
static void pv_sleep_until(uint64_t tsc)
{
	for (;;) {
		uint64_t now, until;
		struct pollfd pfd = { .fd = xenevtchn_fd(pv.xe), .events = POLLIN };

		pv_notify(pvfront_poll());
		now = __rdtsc();
		if (now >= tsc || pv.control->stop)
			break;
		until = pvfront_sleep_begin(tsc);
		if (until > now) {
			uint64_t us = (until - now) * 1000 / rt_tsc_khz();

			if (poll(&pfd, 1, (int)(us / 1000) + 1) > 0)
				pv_drain();
		}
	}
	pvfront_sleep_end();
}

int xen_guest_pv_start(const struct db_control *c)
{
	static struct db_control local;

	pv.on = c->pv_enabled != 0;
	if (!pv.on)
		return 0;
	if (!pv.pages)
		return -1;
	pv.control = (struct db_control *)c;
	/* pvfront uses the layout's addresses as pointers: give it ours. */
	memcpy(&local, c, offsetof(struct db_control, fb_gva));
	local.pv_state_gpa = pv_translate(c->pv_state_gpa);
	local.pv_bitmap_gpa[0] = pv_translate(c->pv_bitmap_gpa[0]);
	local.pv_bitmap_gpa[1] = pv_translate(c->pv_bitmap_gpa[1]);
	if (!local.pv_state_gpa || !local.pv_bitmap_gpa[0] || !local.pv_bitmap_gpa[1])
		return -1;
	pv_drain();
	pvfront_init(&local);
	rt_linux_set_sleeper(pv_sleep_until);
	return 0;
}

void xen_guest_pv_mark(uint32_t x, uint32_t y, uint32_t w, uint32_t h)
{
	if (pv.on)
		pv_notify(pvfront_mark(x, y, w, h));
}

void xen_guest_pv_poll(void)
{
	if (pv.on)
		pv_notify(pvfront_poll());
}

void xen_guest_pv_stop(void)
{
	if (!pv.on)
		return;
	pvfront_close();
	pv_notify(1);
	rt_linux_set_sleeper(NULL);
	pv.on = false;                  /* pvfront is not called again until the next start */
}
