/* db-workload's Xen domU side (workloads/xen/): serving runs, and the
 * pvbitmap frontend over a granted page and an event channel. */
#ifndef DIRTYBENCH_XEN_GUEST_H
#define DIRTYBENCH_XEN_GUEST_H

#include <stdint.h>

#include "workloads/xen/xenshare.h"

/* Map the region at guest physical gpa, register it, serve runs forever;
 * returns only on a set-up error. */
int xen_guest_serve(uint64_t gpa);

/* pvbitmap (pv.c): grant the pages and open the port once, publishing both
 * in the handshake page; then start per run when dom0 enabled it. */
int xen_guest_pv_share(struct dbx_share *share);
int xen_guest_pv_start(const struct db_control *c);
void xen_guest_pv_mark(uint32_t x, uint32_t y, uint32_t w, uint32_t h);
void xen_guest_pv_poll(void);
void xen_guest_pv_stop(void);

#endif
