/*
 * The virtio-gpu front end (the 2D path of Linux's virtio-gpu DRM driver) in
 * the guest runtime: per frame, damage merged into one box or up to N, put
 * as TRANSFER_TO_HOST_2D and RESOURCE_FLUSH commands on a split virtqueue,
 * and a kick unless the device suppressed it. Does nothing unless the host
 * enabled virtio-gpu in the control page.
 */
#ifndef DIRTYBENCH_GUEST_VGPU_FRONT_H
#define DIRTYBENCH_GUEST_VGPU_FRONT_H

#include <stdint.h>

#include "include/protocol.h"
#include "workloads/lib/pvring.h"

void vgpu_front_init(const struct db_control *c, const struct pvring_port *port);
void vgpu_front_damage(uint32_t x, uint32_t y, uint32_t w, uint32_t h);
/* Before the frame's commit stamp: its commands are on the queue (or, the
 * queue full past the bounded wait, the resync flag is up). */
void vgpu_front_commit(void);

#endif
