/*
 * pvrects and virtio-gpu without a VM: the real front ends
 * (workloads/lib/pvrects_front.c, vgpu_front.c, compiled here for the host)
 * against the real back ends (strategies/pvrects.c, virtio_gpu.c) over a fake
 * back end whose "guest memory" is a buffer. A nap of the guest runs one host
 * round, as a host woken by the doorbell would. Checked: nothing drawn goes
 * unreported (the merge path of a full ring included), QEMU's 8-rectangle
 * queue and scroll detector, the empty -> non-empty doorbell, the event
 * index's kick suppression, the transfer into the host's resource, and a
 * device that holds its descriptors (bounded wait, then resync, counted).
 * The real thing, in a micro-VM, is tests/e2e/test_rects_vm.c.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/bitmap.h"
#include "core/strategy.h"

#include "workloads/lib/pvrects_front.c"
#include "workloads/lib/vgpu_front.c"

extern const struct strategy_ops strategy_pvrects;
extern const struct strategy_ops strategy_virtio_gpu;

#define FAKE_RAM (DB_VGPU_GPA + sizeof(struct db_vgpu))
#define W 640
#define H 480

struct fake {
	struct backend be;              /* first: hooks get &fake->be */
	uint8_t *ram;
	int kicks;
};

/* Guest physical addresses, or (the front end's descriptors in this test)
 * the host addresses of that same buffer. */
static void *fake_guest_ptr(struct backend *be, uint64_t gpa, size_t len)
{
	struct fake *f = (struct fake *)be;
	uintptr_t base = (uintptr_t)f->ram;

	if (gpa >= base && gpa - base < FAKE_RAM && len <= FAKE_RAM - (gpa - base))
		return (void *)(uintptr_t)gpa;
	return gpa < FAKE_RAM && len <= FAKE_RAM - gpa ? f->ram + gpa : NULL;
}

static int fake_kick(struct backend *be)
{
	((struct fake *)be)->kicks++;
	return 0;
}

static const struct backend_ops fake_ops = {
	.name = "fake", .features = BACKEND_PV_PAGE | BACKEND_GUEST_EVENTS | BACKEND_DOORBELL,
	.guest_ptr = fake_guest_ptr, .guest_kick = fake_kick,
};

static struct world {
	struct fake fake;
	struct strategy s;
	struct dirty_set out;
	uint64_t *reported;             /* union of every round's tiles */
	int doorbells, naps, rounds;
	bool full_seen;
} w;

static void host_round(void)
{
	assert_int_equal(strategy_scan(&w.s, &w.out), 0);
	bitmap_or(w.reported, w.out.tiles, w.fake.be.geo.ntiles);
	w.full_seen |= w.out.full;
	w.rounds++;
}

static void port_doorbell(uint32_t queue)
{
	(void)queue;
	w.doorbells++;
}

static void port_nap(uint64_t tsc)
{
	(void)tsc;
	w.naps++;
	host_round();
}

static bool port_stopping(void)
{
	return false;
}

static const struct pvring_port port = { port_doorbell, port_nap, port_stopping };

static void world_init(const struct strategy_ops *ops, const char *opts)
{
	char err[200];
	struct db_control *c;

	memset(&w, 0, sizeof(w));
	memset(&pr, 0, sizeof(pr));
	memset(&vg, 0, sizeof(vg));
	w.fake.ram = calloc(1, FAKE_RAM);
	w.fake.be.ops = &fake_ops;
	w.fake.be.control = c = (struct db_control *)(w.fake.ram + DB_CONTROL_GPA);
	assert_int_equal(fb_geometry_init(&w.fake.be.geo, W, H, 0, 0, err, sizeof(err)), 0);
	w.fake.be.vram = calloc(1, w.fake.be.geo.bytes);
	*c = (struct db_control){ .width = W, .height = H, .stride = W * 4, .tsc_khz = 2700000 };
	if (strategy_init_with_options(&w.s, ops, &w.fake.be, opts))
		fail_msg("%s", w.s.error);
	/* The guest sees its shared memory at the host addresses in this test. */
	if (c->pvrects_gpa)
		c->pvrects_gpa = (uintptr_t)(w.fake.ram + DB_PVRECTS_GPA);
	if (c->vgpu_gpa)
		c->vgpu_gpa = (uintptr_t)(w.fake.ram + DB_VGPU_GPA);
	pvrects_front_init(c, &port);
	vgpu_front_init(c, &port);
	assert_int_equal(dirty_set_alloc(&w.out, &w.fake.be.geo), 0);
	w.reported = calloc(BITMAP_WORDS(w.fake.be.geo.ntiles), 8);
	assert_int_equal(strategy_start(&w.s), 0);
}

static void world_fini(void)
{
	strategy_fini(&w.s);
	dirty_set_free(&w.out);
	free(w.reported);
	free(w.fake.be.vram);
	free(w.fake.ram);
}

static bool tile_reported(uint32_t x, uint32_t y)
{
	const struct fb_geometry *g = &w.fake.be.geo;

	return w.full_seen || bitmap_test(w.reported, (size_t)(y / g->tile_h) * g->cols + x / g->tile_w);
}

/* Draw (declare) a rectangle, as the runtime's rt_damage does. */
static void damage(uint32_t x, uint32_t y, uint32_t ww, uint32_t hh)
{
	for (uint32_t j = y; j < y + hh; j++)
		for (uint32_t i = x; i < x + ww; i++)
			((uint32_t *)w.fake.be.vram)[(size_t)j * W + i] = 0x00ff00u ^ (i * 7 + j);
	pvrects_front_damage(x, y, ww, hh);
	vgpu_front_damage(x, y, ww, hh);
}

static void commit(void)
{
	pvrects_front_commit();
	vgpu_front_commit();
}

static json_t *report(void)
{
	json_t *o = json_object();

	w.s.ops->report(&w.s, o);
	return o;
}

static long counter(json_t *o, const char *k)
{
	json_t *v = json_object_get(o, k);

	if (!v)
		fail_msg("no counter %s", k);
	return (long)json_integer_value(v);
}

/* --- pvrects ------------------------------------------------------------- */

/* A ring of 2 and 12 rectangles a frame: the front end merges while full,
 * the commit waits for room (a host round), and every tile is reported. */
static void test_pvrects_full_ring_loses_nothing(void **state)
{
	json_t *o;

	(void)state;
	world_init(&strategy_pvrects, "ring=2,queue=4096,half=0");
	for (int f = 0; f < 5; f++) {
		for (uint32_t i = 0; i < 12; i++)
			damage(20 + 50 * i, 30 + 30 * (uint32_t)f, 10, 10);
		commit();
		host_round();
		for (uint32_t i = 0; i < 12; i++)
			assert_true(tile_reported(20 + 50 * i, 30 + 30 * (uint32_t)f));
	}
	o = report();
	assert_true(counter(o, "ring_full") >= 5);
	assert_true(counter(o, "merges") > 0);
	assert_true(counter(o, "commit_waits") >= 5);
	assert_int_equal(counter(o, "events_sent"), counter(o, "events_consumed"));
	assert_false(w.full_seen);
	json_decref(o);
	world_fini();
}

/* notify=empty: one doorbell until the host drains the ring; notify=each: one per event. */
static void test_pvrects_doorbells(void **state)
{
	(void)state;
	world_init(&strategy_pvrects, "notify=empty");
	damage(0, 0, 8, 8);
	damage(100, 0, 8, 8);
	damage(200, 0, 8, 8);
	assert_int_equal(w.doorbells, 1);
	host_round();
	damage(300, 0, 8, 8);
	assert_int_equal(w.doorbells, 2);
	world_fini();
	world_init(&strategy_pvrects, "notify=each");
	damage(0, 0, 8, 8);
	damage(100, 0, 8, 8);
	assert_int_equal(w.doorbells, 2);
	world_fini();
}

/* QEMU's xenfb: a ninth rectangle in a round, or a full-width update of more
 * than half the lines, makes the round full-screen; half the lines does not. */
static void test_pvrects_qemu_rules(void **state)
{
	json_t *o;

	(void)state;
	world_init(&strategy_pvrects, "ring=64");
	for (uint32_t i = 0; i < 8; i++)
		damage(70 * i, 0, 4, 4);
	host_round();
	assert_false(w.out.full);
	for (uint32_t i = 0; i < 9; i++)
		damage(70 * i, 0, 4, 4);
	host_round();
	assert_true(w.out.full);
	damage(0, 0, W, H / 2);
	host_round();
	assert_false(w.out.full);
	damage(0, 0, W, H / 2 + 1);
	host_round();
	assert_true(w.out.full);
	o = report();
	assert_int_equal(counter(o, "rounds_fullscreen_queue"), 1);
	assert_int_equal(counter(o, "rounds_fullscreen_half"), 1);
	json_decref(o);
	world_fini();
	world_init(&strategy_pvrects, "ring=64,half=0");
	damage(0, 0, W, H);
	host_round();
	assert_false(w.out.full);
	world_fini();
}

/* events=frame: one event per frame, the frame's bounding box. */
static void test_pvrects_per_frame(void **state)
{
	json_t *o;

	(void)state;
	world_init(&strategy_pvrects, "events=frame");
	damage(10, 10, 4, 4);
	damage(300, 200, 4, 4);
	assert_int_equal(w.doorbells, 0);
	commit();
	host_round();
	assert_true(tile_reported(150, 100));           /* inside the box, never drawn */
	o = report();
	assert_int_equal(counter(o, "events_sent"), 1);
	json_decref(o);
	world_fini();
}

/* --- virtio-gpu ---------------------------------------------------------- */

static bool resource_equals_vram(uint32_t x, uint32_t y, uint32_t ww, uint32_t hh)
{
	const uint8_t *res = w.s.ops->shadow(&w.s);

	for (uint32_t j = y; j < y + hh; j++)
		if (memcmp(res + (size_t)j * W * 4 + x * 4, w.fake.be.vram + (size_t)j * W * 4 + x * 4, (size_t)ww * 4))
			return false;
	return true;
}

/* rects=1: two rectangles become one box; a transfer and a flush; the
 * resource holds the frame's pixels after the round. */
static void test_vgpu_transfer_and_flush(void **state)
{
	json_t *o;

	(void)state;
	world_init(&strategy_virtio_gpu, "rects=1");
	damage(10, 10, 20, 20);
	damage(400, 300, 20, 20);
	assert_false(resource_equals_vram(10, 10, 20, 20));
	commit();
	assert_int_equal(w.doorbells, 1);
	host_round();
	assert_true(resource_equals_vram(10, 10, 410, 310));
	assert_true(tile_reported(10, 10) && tile_reported(419, 319) && tile_reported(200, 150));
	o = report();
	assert_int_equal(counter(o, "commands_sent"), 2);
	assert_int_equal(counter(o, "transfers"), 1);
	assert_int_equal(counter(o, "flushes"), 1);
	assert_int_equal(counter(o, "bytes_transferred"), 410 * 310 * 4);
	assert_int_equal(counter(o, "merges"), 1);
	json_decref(o);
	world_fini();
}

/* Event index: a second frame queued before the device ran is not kicked;
 * without it, every frame is. */
static void test_vgpu_event_idx(void **state)
{
	json_t *o;

	(void)state;
	world_init(&strategy_virtio_gpu, "event_idx=1");
	damage(0, 0, 8, 8);
	commit();
	damage(64, 0, 8, 8);
	commit();
	host_round();
	damage(128, 0, 8, 8);
	commit();
	o = report();
	assert_int_equal(counter(o, "kicks"), 2);
	assert_int_equal(counter(o, "kicks_suppressed"), 1);
	json_decref(o);
	world_fini();
	world_init(&strategy_virtio_gpu, "event_idx=0");
	damage(0, 0, 8, 8);
	commit();
	damage(64, 0, 8, 8);
	commit();
	o = report();
	assert_int_equal(counter(o, "kicks"), 2);
	assert_int_equal(counter(o, "kicks_suppressed"), 0);
	json_decref(o);
	world_fini();
}

/* A device that never returns descriptors: the guest waits (bounded) once,
 * then resyncs each frame without waiting; the device transfers everything. */
static void test_vgpu_stalled_device(void **state)
{
	json_t *o;

	(void)state;
	world_init(&strategy_virtio_gpu, "queue=2,stall_after=0,wait_us=1");
	damage(0, 0, 8, 8);
	commit();                       /* takes both descriptors */
	host_round();                   /* executed, never returned */
	damage(64, 64, 8, 8);
	commit();                       /* waits wait_us (naps run rounds), then resync */
	host_round();
	assert_true(w.full_seen);
	assert_true(resource_equals_vram(0, 0, W, H));
	int naps = w.naps;
	damage(128, 128, 8, 8);
	commit();                       /* resync at once */
	assert_int_equal(w.naps, naps);
	host_round();
	assert_true(resource_equals_vram(0, 0, W, H));
	o = report();
	assert_int_equal(counter(o, "ring_full_timeouts"), 1);
	assert_int_equal(counter(o, "resync_frames"), 2);
	assert_int_equal(counter(o, "resyncs"), 2);
	assert_int_equal(counter(o, "descriptors_held"), 2);
	json_decref(o);
	world_fini();
}

/* Linux's vring_need_event(): kick iff event_idx is in [old, new), mod 2^16. */
static void test_vring_need_event(void **state)
{
	(void)state;
	assert_true(db_vring_need_event(5, 6, 5));
	assert_false(db_vring_need_event(4, 6, 5));
	assert_false(db_vring_need_event(6, 6, 5));
	assert_true(db_vring_need_event(0xffff, 1, 0xfffe));
	assert_true(db_vring_need_event(0, 1, 0xfffe));
	assert_false(db_vring_need_event(1, 1, 0xfffe));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pvrects_full_ring_loses_nothing),
		cmocka_unit_test(test_pvrects_doorbells),
		cmocka_unit_test(test_pvrects_qemu_rules),
		cmocka_unit_test(test_pvrects_per_frame),
		cmocka_unit_test(test_vgpu_transfer_and_flush),
		cmocka_unit_test(test_vgpu_event_idx),
		cmocka_unit_test(test_vgpu_stalled_device),
		cmocka_unit_test(test_vring_need_event),
	};
	return cmocka_run_group_tests_name("rings", tests, NULL, NULL);
}
