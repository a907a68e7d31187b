/* The pvbitmap frontend in a Xen domU: not wired yet, so a run that enables it fails. */
#include "xen_guest.h"

#include <stdio.h>

static int pv_on;

int xen_guest_pv_start(uint8_t *base, uint64_t gpa, const struct db_control *c, struct dbx_share *share)
{
	(void)base, (void)gpa, (void)share;
	pv_on = c->pv_enabled != 0;
	if (pv_on)
		fprintf(stderr, "db-workload: pvbitmap is not available in the Xen domU yet\n");
	return pv_on ? -1 : 0;
}

void xen_guest_pv_mark(uint32_t x, uint32_t y, uint32_t w, uint32_t h)
{
	(void)x, (void)y, (void)w, (void)h;
}

void xen_guest_pv_poll(void)
{
}

void xen_guest_pv_stop(void)
{
	pv_on = 0;
}
