/*
 * The virtio-gpu front end, shaped like Linux's driver on its 2D path.
 *
 * Damage: Linux drivers/gpu/drm/virtio/virtgpu_plane.c,
 * virtio_gpu_primary_plane_update(), merges the plane's damage clips into one
 * bounding box (drm_atomic_helper_damage_merged()) and sends
 * virtio_gpu_cmd_transfer_to_host_2d() for it, then
 * virtio_gpu_cmd_resource_flush(). max_rects = 1 is that; a larger limit
 * keeps up to N boxes (a new rectangle joins the box it enlarges least), one
 * transfer and one flush each, as multi-rectangle designs (Looking Glass, up
 * to 64 per frame) do.
 *
 * The queue: one device-readable descriptor per command, descriptor i always
 * pointing at cmds[i]; free descriptors come back on the used ring. The
 * avail ring is published with a release store of avail.idx; the kick
 * follows virtqueue_kick_prepare() with VIRTIO_RING_F_EVENT_IDX: after a full
 * fence, kick only if used.avail_event lies in [old, new) (vring_need_event).
 *
 * A full queue: we set avail.used_event to ask for a notification at the
 * next used buffer, kick, and nap (the host kicks our nap when it returns
 * buffers past used_event), bounded by wait_us. A device that does not
 * answer in time is not waited for again: we raise `resync` instead (the
 * device then transfers the whole screen), count it, and stay in that mode
 * until descriptors come back. A change is never dropped: its rectangles are
 * either on the queue or covered by the resync.
 */
#include "workloads/lib/vgpu_front.h"
#include "workloads/lib/runtime.h"

#define VGPU_RECTS_MAX 16
#define VGPU_NAP_US 200

static struct {
	struct db_vgpu *q;              /* NULL: off */
	const struct pvring_port *port;
	uint32_t size, max_rects;
	uint64_t wait_cycles, nap_cycles;
	uint64_t stride;
	struct pvbox rects[VGPU_RECTS_MAX];
	uint32_t nrects;
	uint16_t avail_idx, last_used;
	uint16_t free_ids[DB_VGPU_QUEUE_MAX];
	uint32_t nfree;
	bool resync_mode;
} vg;

void vgpu_front_init(const struct db_control *c, const struct pvring_port *port)
{
	struct db_vgpu *q = (struct db_vgpu *)c->vgpu_gpa;

	if (!q)
		return;
	RT_ASSERT(q->queue_size >= 2 && q->queue_size <= DB_VGPU_QUEUE_MAX && !(q->queue_size & (q->queue_size - 1)));
	RT_ASSERT(q->max_rects >= 1 && q->max_rects <= VGPU_RECTS_MAX);
	vg.q = q;
	vg.port = port;
	vg.size = q->queue_size;
	vg.max_rects = q->max_rects;
	vg.wait_cycles = c->tsc_khz * q->wait_us / 1000;
	vg.nap_cycles = c->tsc_khz * VGPU_NAP_US / 1000;
	vg.stride = c->stride;
	for (uint32_t i = 0; i < vg.size; i++) {
		q->desc[i] = (struct db_vgpu_desc){ .addr = (uint64_t)(uintptr_t)&q->cmds[i],
						    .len = sizeof(q->cmds[i]) };
		vg.free_ids[vg.nfree++] = (uint16_t)i;
	}
}

/* The box that grows least by taking b (its area increase). */
static uint32_t vgpu_closest(const struct pvbox *b)
{
	uint64_t best = ~0ull;
	uint32_t k = 0;

	for (uint32_t i = 0; i < vg.nrects; i++) {
		struct pvbox u = pvbox_union(vg.rects[i], *b);
		uint64_t grow = pvbox_area(&u) - pvbox_area(&vg.rects[i]);

		if (grow < best) {
			best = grow;
			k = i;
		}
	}
	return k;
}

void vgpu_front_damage(uint32_t x, uint32_t y, uint32_t w, uint32_t h)
{
	struct pvbox b = pvbox_of(x, y, w, h);
	uint32_t k;

	if (!vg.q || pvbox_empty(&b))
		return;
	if (vg.nrects < vg.max_rects) {
		vg.rects[vg.nrects++] = b;
		return;
	}
	k = vgpu_closest(&b);
	vg.rects[k] = pvbox_union(vg.rects[k], b);
	vg.q->merges++;
}

/* Take back what the device used (virtqueue_get_buf()). */
static void vgpu_reclaim(void)
{
	uint16_t used = __atomic_load_n(&vg.q->used.idx, __ATOMIC_ACQUIRE);

	for (; vg.last_used != used; vg.last_used++)
		vg.free_ids[vg.nfree++] = (uint16_t)vg.q->used.ring[vg.last_used % vg.size].id;
}

static void vgpu_kick(void)
{
	vg.q->kicks++;
	vg.port->doorbell(DB_DOORBELL_VGPU);
}

/* Bounded: 1 room for need descriptors, 0 the device did not free them. */
static int vgpu_wait_room(uint32_t need)
{
	uint64_t deadline = pv_tsc() + vg.wait_cycles, now;

	for (;;) {
		__atomic_store_n(&vg.q->avail.used_event, vg.last_used, __ATOMIC_RELAXED);
		__atomic_thread_fence(__ATOMIC_SEQ_CST);        /* the host: used.idx, fence, used_event */
		vgpu_reclaim();
		if (vg.nfree >= need)
			return 1;
		now = pv_tsc();
		if (now >= deadline || vg.port->stopping())
			return 0;
		vgpu_kick();
		vg.port->nap(deadline - now < vg.nap_cycles ? deadline : now + vg.nap_cycles);
	}
}

static void vgpu_put(uint32_t type, const struct pvbox *b)
{
	uint16_t id = vg.free_ids[--vg.nfree];
	struct db_vgpu_cmd *cmd = &vg.q->cmds[id];

	*cmd = (struct db_vgpu_cmd){
		.type = type,
		.r = { b->x1, b->y1, b->x2 - b->x1, b->y2 - b->y1 },
		.offset = type == DB_VGPU_CMD_TRANSFER_TO_HOST_2D ? b->y1 * vg.stride + b->x1 * 4ull : 0,
		.resource_id = DB_VGPU_RESOURCE_ID,
	};
	vg.q->avail.ring[vg.avail_idx % vg.size] = id;
	vg.avail_idx++;
	vg.q->commands++;
}

/* Publish, then kick unless the device said it does not need one. */
static void vgpu_publish(uint16_t old)
{
	struct db_vgpu *q = vg.q;
	bool need;

	__atomic_store_n(&q->avail.idx, vg.avail_idx, __ATOMIC_RELEASE);
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	if (q->event_idx)
		need = db_vring_need_event(__atomic_load_n(&q->used.avail_event, __ATOMIC_ACQUIRE), vg.avail_idx, old);
	else
		need = true;
	if (need)
		vgpu_kick();
	else
		q->kicks_suppressed++;
}

static void vgpu_resync(void)
{
	__atomic_store_n(&vg.q->resync, 1, __ATOMIC_RELEASE);
	vgpu_kick();
}

void vgpu_front_commit(void)
{
	uint32_t need = 2 * vg.nrects;
	uint16_t old = vg.avail_idx;

	if (!vg.q)
		return;
	vg.q->frames++;
	if (!vg.nrects)
		return;
	vgpu_reclaim();
	if (vg.nfree < need) {
		vg.q->ring_full++;
		if (vg.resync_mode || !vgpu_wait_room(need)) {
			if (!vg.resync_mode)
				vg.q->ring_full_timeouts++;
			vg.resync_mode = true;
			vg.q->resync_frames++;
			vgpu_resync();
			vg.nrects = 0;
			return;
		}
	}
	vg.resync_mode = false;
	for (uint32_t i = 0; i < vg.nrects; i++)
		vgpu_put(DB_VGPU_CMD_TRANSFER_TO_HOST_2D, &vg.rects[i]);
	for (uint32_t i = 0; i < vg.nrects; i++)
		vgpu_put(DB_VGPU_CMD_RESOURCE_FLUSH, &vg.rects[i]);
	vg.nrects = 0;
	vgpu_publish(old);
}
