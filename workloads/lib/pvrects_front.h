/*
 * The pvrects front end (Xen's paravirtual framebuffer, xen-fbfront) in the
 * guest runtime: update events on a shared ring. The runtime calls it per
 * damage rectangle and at each commit; it does nothing unless the host
 * enabled pvrects in the control page.
 */
#ifndef DIRTYBENCH_GUEST_PVRECTS_FRONT_H
#define DIRTYBENCH_GUEST_PVRECTS_FRONT_H

#include <stdint.h>

#include "include/protocol.h"
#include "workloads/lib/pvring.h"

void pvrects_front_init(const struct db_control *c, const struct pvring_port *port);
void pvrects_front_damage(uint32_t x, uint32_t y, uint32_t w, uint32_t h);
/* Before the frame's commit stamp: its damage is in the ring when this returns. */
void pvrects_front_commit(void);

#endif
