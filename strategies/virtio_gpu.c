/*
 * `virtio-gpu`: the 2D path of virtio-gpu on a split virtqueue in guest
 * memory (include/protocol.h struct db_vgpu). The guest library
 * (workloads/lib/vgpu_front.c, Linux virtgpu_plane.c's logic) queues
 * TRANSFER_TO_HOST_2D and RESOURCE_FLUSH per frame and kicks; each round the
 * device here, as QEMU's hw/display/virtio-gpu.c does:
 *   - pops the available commands (virtio_gpu_handle_ctrl -> virtqueue_pop),
 *     reading each through its descriptor's guest address;
 *   - TRANSFER_TO_HOST_2D (virtio_gpu_transfer_to_host_2d): checks the
 *     rectangle against the resource and copies its rows from the guest's
 *     buffer (here VRAM, the resource's backing) into the host resource at
 *     the command's offset; this copy is the consumer's surface, exposed as
 *     the `shadow` hook, so the oracle and VNC read what was transferred;
 *   - RESOURCE_FLUSH (virtio_gpu_resource_flush): reports the rectangle's
 *     tiles (QEMU: dpy_gfx_update of the scanout);
 *   - returns the descriptors on the used ring (virtqueue_push), then sets
 *     used.avail_event to what it consumed (virtio_queue_set_notification
 *     with EVENT_IDX: kick me at the next one), fences and looks again, and
 *     notifies a guest that asked (avail.used_event) when buffers come back.
 * A raised `resync` (the guest gave up waiting for descriptors) is a
 * whole-screen transfer and flush.
 *
 * `stall_after` (a test aid) makes the device stop returning descriptors after
 * that many commands: it still executes what it pops, but its completion path
 * hangs (QEMU holds commands while a fence or a blocked renderer is pending,
 * virtio_gpu_process_cmdq). The guest runs out of descriptors and must fall
 * back (bounded wait, then resync), never hang, and the oracle still sees
 * every change.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/bitmap.h"
#include "core/result.h"
#include "core/strategy.h"
#include "strategies/rect_tiles.h"

struct vgpu {
	struct db_vgpu *q;
	uint8_t *resource;              /* the host's copy: stride x height, like VRAM */
	uint32_t size;
	uint16_t last_avail, used_idx;
	long stall_after;               /* -1: never */
	/* counters */
	uint64_t commands, transfers, flushes, bytes_transferred, resyncs, used_notifications;
	uint64_t stalled_rounds, descriptors_held;
};

static const struct strategy_option_spec vgpu_options[] = {
	{ .name = "queue", .type = STRATEGY_OPT_INT, .def = "256", .min = 2, .max = DB_VGPU_QUEUE_MAX,
	  .help = "descriptors in the virtqueue, a power of two (QEMU's control queue: 256)" },
	{ .name = "rects", .type = STRATEGY_OPT_INT, .def = "1", .min = 1, .max = 16,
	  .help = "rectangles per frame after merging (1: the bounding box, Linux's damage_merged)" },
	{ .name = "event_idx", .type = STRATEGY_OPT_BOOL, .def = "1",
	  .help = "1: VIRTIO_RING_F_EVENT_IDX (avail_event suppresses kicks); 0: a kick per frame" },
	{ .name = "wait_us", .type = STRATEGY_OPT_INT, .def = "2000", .min = 1, .max = 1000000,
	  .help = "the guest's bound on waiting for free descriptors, then a whole-screen resync" },
	{ .name = "stall_after", .type = STRATEGY_OPT_INT, .def = "-1", .min = -1, .max = 1000000000,
	  .help = "test aid: the device stops returning descriptors after this many commands (-1: never)" },
	{ .name = NULL },
};

static int vgpu_bad(struct strategy *s, const char *fmt, uint32_t a, uint32_t b)
{
	snprintf(s->error, sizeof(s->error), fmt, a, b);
	s->bad_input = true;
	return -1;
}

static int vgpu_init(struct strategy *s)
{
	struct vgpu *v = calloc(1, sizeof(*v));
	uint32_t size = (uint32_t)strategy_opt_int(s, "queue"), rects = (uint32_t)strategy_opt_int(s, "rects");

	if (!(s->priv = v))
		return -1;
	if (size & (size - 1))
		return vgpu_bad(s, "virtio-gpu: queue=%u: a split virtqueue's size is a power of two%.0u", size, 0);
	if (2 * rects > size)
		return vgpu_bad(s, "virtio-gpu: queue=%u cannot hold one frame of rects=%u (a transfer and a flush "
			       "each): raise queue or lower rects", size, rects);
	v->q = backend_guest_ptr(s->be, DB_VGPU_GPA, sizeof(*v->q));
	v->resource = malloc(s->geo->bytes);
	if (!v->q || !v->resource) {
		snprintf(s->error, sizeof(s->error), "virtio-gpu: %s", v->q ? "out of memory" : "the queue is not guest RAM");
		return -1;
	}
	v->size = size;
	v->stall_after = strategy_opt_int(s, "stall_after");
	memset(v->q, 0, sizeof(*v->q));
	v->q->queue_size = size;
	v->q->max_rects = rects;
	v->q->event_idx = (uint32_t)strategy_opt_int(s, "event_idx");
	v->q->wait_us = (uint32_t)strategy_opt_int(s, "wait_us");
	s->be->control->vgpu_gpa = DB_VGPU_GPA;         /* read by the guest before READY */
	s->memory_bytes = s->geo->bytes + sizeof(*v->q);
	return 0;
}

/* The resource starts as the screen is: the guest's first frame is a change. */
static int vgpu_start(struct strategy *s)
{
	struct vgpu *v = s->priv;

	memcpy(v->resource, s->be->vram, s->geo->bytes);
	return 0;
}

/* virtio_gpu_transfer_to_host_2d(): rows of r from the backing at offset. */
static int vgpu_transfer(struct strategy *s, struct vgpu *v, const struct db_vgpu_cmd *c)
{
	const struct fb_geometry *g = s->geo;
	const struct db_vgpu_rect *r = &c->r;

	if (r->x > g->width || r->y > g->height || r->width > g->width - r->x || r->height > g->height - r->y ||
	    c->offset != (uint64_t)r->y * g->stride + (uint64_t)r->x * 4)
		return vgpu_bad(s, "virtio-gpu: transfer of a rectangle outside the %ux%u resource", g->width, g->height);
	for (uint32_t h = 0; h < r->height; h++) {
		size_t off = (size_t)c->offset + (size_t)h * g->stride;

		memcpy(v->resource + off, s->be->vram + off, (size_t)r->width * 4);
	}
	v->bytes_transferred += (uint64_t)r->width * r->height * 4;
	v->transfers++;
	return 0;
}

static int vgpu_command(struct strategy *s, struct vgpu *v, const struct db_vgpu_cmd *c, uint64_t *tiles)
{
	v->commands++;
	if (c->resource_id != DB_VGPU_RESOURCE_ID)
		return vgpu_bad(s, "virtio-gpu: command %#x on unknown resource %u", c->type, c->resource_id);
	if (c->type == DB_VGPU_CMD_TRANSFER_TO_HOST_2D)
		return vgpu_transfer(s, v, c);
	if (c->type != DB_VGPU_CMD_RESOURCE_FLUSH)
		return vgpu_bad(s, "virtio-gpu: unsupported command %#x%.0u", c->type, 0);
	rect_tiles_set(s->geo, c->r.x, c->r.y, c->r.width, c->r.height, tiles);
	v->flushes++;
	return 0;
}

static bool vgpu_stalled(const struct vgpu *v)
{
	return v->stall_after >= 0 && v->commands > (uint64_t)v->stall_after;
}

/* Pop one available buffer, read the command through its descriptor, push it used. */
static int vgpu_pop(struct strategy *s, struct vgpu *v, uint64_t *tiles)
{
	struct db_vgpu *q = v->q;
	uint16_t id = q->avail.ring[v->last_avail % v->size];
	struct db_vgpu_desc d;
	const struct db_vgpu_cmd *p;
	struct db_vgpu_cmd c;

	if (id >= v->size)
		return vgpu_bad(s, "virtio-gpu: descriptor %u beyond a queue of %u", id, v->size);
	d = q->desc[id];
	p = d.len >= sizeof(c) ? backend_guest_ptr(s->be, d.addr, sizeof(c)) : NULL;
	if (!p)
		return vgpu_bad(s, "virtio-gpu: descriptor %u points outside guest RAM (len %u)", id, d.len);
	c = *p;                                 /* the guest may reuse it once used */
	v->last_avail++;
	if (vgpu_command(s, v, &c, tiles))
		return -1;
	if (vgpu_stalled(v)) {
		v->descriptors_held++;          /* never returned: the guest has one less */
		return 0;
	}
	q->used.ring[v->used_idx % v->size].id = id;
	q->used.ring[v->used_idx % v->size].len = 0;
	v->used_idx++;
	return 0;
}

static int vgpu_consume(struct strategy *s, struct vgpu *v, uint64_t *tiles)
{
	struct db_vgpu *q = v->q;
	uint16_t old_used = v->used_idx;

	for (;;) {
		uint16_t avail = __atomic_load_n(&q->avail.idx, __ATOMIC_ACQUIRE);

		if ((uint16_t)(avail - v->last_avail) > v->size)
			return vgpu_bad(s, "virtio-gpu: avail index %u is more than a queue (%u) ahead", avail, v->size);
		while (v->last_avail != avail)
			if (vgpu_pop(s, v, tiles))
				return -1;
		__atomic_store_n(&q->used.idx, v->used_idx, __ATOMIC_RELEASE);
		__atomic_store_n(&q->used.avail_event, v->last_avail, __ATOMIC_RELAXED);
		__atomic_thread_fence(__ATOMIC_SEQ_CST);        /* the guest: avail.idx, fence, avail_event */
		if (__atomic_load_n(&q->avail.idx, __ATOMIC_ACQUIRE) == v->last_avail)
			break;
	}
	/* virtio_notify(): with EVENT_IDX only when the guest's used_event was crossed. */
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	if (v->used_idx != old_used &&
	    (!q->event_idx || db_vring_need_event(q->avail.used_event, v->used_idx, old_used))) {
		v->used_notifications++;
		return backend_guest_kick(s->be);
	}
	return 0;
}

static int vgpu_scan(struct strategy *s, struct dirty_set *out)
{
	struct vgpu *v = s->priv;

	if (vgpu_stalled(v))
		v->stalled_rounds++;
	if (vgpu_consume(s, v, out->tiles))
		return -1;
	if (__atomic_exchange_n(&v->q->resync, 0, __ATOMIC_ACQ_REL)) {
		memcpy(v->resource, s->be->vram, s->geo->bytes);
		v->bytes_transferred += (uint64_t)s->geo->width * s->geo->height * 4;
		v->resyncs++;
		out->full = true;
	}
	return 0;
}

static const uint8_t *vgpu_shadow(struct strategy *s)
{
	return ((struct vgpu *)s->priv)->resource;
}

static void vgpu_fini(struct strategy *s)
{
	struct vgpu *v = s->priv;

	if (v)
		free(v->resource);
	free(v);
	s->priv = NULL;
}

static void vgpu_report(struct strategy *s, json_t *obj)
{
	struct vgpu *v = s->priv;
	const struct db_vgpu *q = v->q;

	json_object_set_new(obj, "queue_size", json_integer(v->size));
	json_object_set_new(obj, "kicks", json_integer((json_int_t)q->kicks));
	json_object_set_new(obj, "kicks_suppressed", json_integer((json_int_t)q->kicks_suppressed));
	json_object_set_new(obj, "frames", json_integer((json_int_t)q->frames));
	json_object_set_new(obj, "kicks_per_frame", result_ratio((double)q->kicks, (double)q->frames));
	json_object_set_new(obj, "commands_sent", json_integer((json_int_t)q->commands));
	json_object_set_new(obj, "commands_per_frame", result_ratio((double)q->commands, (double)q->frames));
	json_object_set_new(obj, "commands_consumed", json_integer((json_int_t)v->commands));
	json_object_set_new(obj, "transfers", json_integer((json_int_t)v->transfers));
	json_object_set_new(obj, "flushes", json_integer((json_int_t)v->flushes));
	json_object_set_new(obj, "bytes_transferred", json_integer((json_int_t)v->bytes_transferred));
	json_object_set_new(obj, "merges", json_integer((json_int_t)q->merges));
	json_object_set_new(obj, "ring_full", json_integer((json_int_t)q->ring_full));
	json_object_set_new(obj, "ring_full_timeouts", json_integer((json_int_t)q->ring_full_timeouts));
	json_object_set_new(obj, "resync_frames", json_integer((json_int_t)q->resync_frames));
	json_object_set_new(obj, "resyncs", json_integer((json_int_t)v->resyncs));
	json_object_set_new(obj, "used_notifications", json_integer((json_int_t)v->used_notifications));
	json_object_set_new(obj, "stalled_rounds", json_integer((json_int_t)v->stalled_rounds));
	json_object_set_new(obj, "descriptors_held", json_integer((json_int_t)v->descriptors_held));
}

const struct strategy_ops strategy_virtio_gpu = {
	.name = "virtio-gpu",
	.description = "virtio-gpu 2D: guest queues TRANSFER_TO_HOST_2D + RESOURCE_FLUSH of its merged damage "
		       "on a virtqueue, kicks; host copies into its resource",
	.needs = BACKEND_PV_PAGE | BACKEND_GUEST_EVENTS | BACKEND_DOORBELL,
	.options = vgpu_options,
	.init = vgpu_init,
	.start = vgpu_start,
	.scan = vgpu_scan,
	.shadow = vgpu_shadow,
	.fini = vgpu_fini,
	.report = vgpu_report,
	.wakes_on_doorbell = true,
};
