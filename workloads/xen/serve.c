/*
 * db-workload --xen BASE: the workloads inside a Xen domU, serving runs that
 * run-bench --backend xen starts from dom0 (layout and handshake in
 * xenshare.h). Frames and damage are published into the control page and the
 * rect ring by the micro-VM guest runtime's producer (include/damage_ring.h),
 * so dom0's oracle is the KVM one.
 */
#include "include/compiler.h"
#include "include/damage_ring.h"
#include "workloads/xen/xenshare.h"
#include "workloads/xen/xen_guest.h"
#include "workloads/workload.h"
#include "workloads/linux/runtime_linux.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>
#include <x86intrin.h>
#include <xenstore.h>

#define DBX_POLL_NS 2000000L            /* idle poll of the request word */
#define DBX_CAL_SPIN_NS 300000000ull    /* keep spinning this long after a calibration request */

static struct dbx_region {
	uint8_t *base;
	uint64_t gpa;
	struct dbx_share *share;
	struct db_control *control;
	struct db_rect *rects;
	struct damage_ring ring;
} R;

static uint64_t dbx_mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static int dbx_map(uint64_t gpa)
{
	int fd = open("/dev/mem", O_RDWR | O_CLOEXEC);

	if (fd < 0) {
		fprintf(stderr, "db-workload: /dev/mem: %s\n", strerror(errno));
		return -1;
	}
	R.base = mmap(NULL, DBX_REGION_BYTES, PROT_READ | PROT_WRITE, MAP_SHARED, fd, (off_t)gpa);
	close(fd);
	if (R.base == MAP_FAILED) {
		fprintf(stderr, "db-workload: mmap of /dev/mem at 0x%llx (is memmap=32M$0x%llx on the kernel "
			"command line?): %s\n", (unsigned long long)gpa, (unsigned long long)gpa, strerror(errno));
		return -1;
	}
	R.gpa = gpa;
	R.share = (struct dbx_share *)(R.base + DBX_SHARE_OFF);
	R.control = (struct db_control *)(R.base + DBX_CONTROL_OFF);
	R.rects = (struct db_rect *)(R.base + DBX_RECTS_OFF);
	return 0;
}

/* Tell dom0 where the region is, under our own xenstore home. */
static int dbx_register(void)
{
	struct xs_handle *xs = xs_open(0);
	char v[32];
	int ok;

	if (!xs) {
		fprintf(stderr, "db-workload: xs_open: %s\n", strerror(errno));
		return -1;
	}
	snprintf(v, sizeof(v), "%llu", (unsigned long long)(R.gpa >> 12));
	ok = xs_write(xs, XBT_NULL, DBX_XS_DIR "/gfn", v, strlen(v));
	snprintf(v, sizeof(v), "%llu", (unsigned long long)(DBX_REGION_BYTES >> 12));
	ok = ok && xs_write(xs, XBT_NULL, DBX_XS_DIR "/pages", v, strlen(v));
	snprintf(v, sizeof(v), "%d", DBX_ABI);
	ok = ok && xs_write(xs, XBT_NULL, DBX_XS_DIR "/abi", v, strlen(v));
	xs_close(xs);
	if (!ok)
		fprintf(stderr, "db-workload: xenstore write under %s: %s\n", DBX_XS_DIR, strerror(errno));
	return ok ? 0 : -1;
}

/* --- publishing frames (include/damage_ring.h) --------------------------- */

static void dbx_frame_begin(void *arg, uint64_t tsc)
{
	(void)arg;
	xen_guest_pv_poll();
	damage_ring_begin(&R.ring, tsc);
}

static void dbx_damage(void *arg, uint32_t x, uint32_t y, uint32_t w, uint32_t h)
{
	(void)arg;
	xen_guest_pv_mark(x, y, w, h);
	damage_ring_add(&R.ring, x, y, w, h);
}

/* The ring stamps the commit itself, once the frame's stores are visible. */
static void dbx_frame_commit(void *arg, uint64_t tsc, uint32_t dropped_before)
{
	(void)arg;
	(void)tsc;
	damage_ring_commit(&R.ring, dropped_before);
	xen_guest_pv_poll();
}

static void dbx_phase(uint32_t phase)
{
	R.control->phase = phase;
}

static bool dbx_should_stop(void)
{
	return R.control->stop != 0;
}

/* --- serving ------------------------------------------------------------- */

static int dbx_fail(const char *msg)
{
	snprintf(R.share->message, sizeof(R.share->message), "%s", msg);
	barrier();
	R.share->state = DBX_FAILED;
	fprintf(stderr, "db-workload: %s\n", msg);
	return -1;
}

/* The guest part of the control page starts clean for every run. */
static void dbx_reset_guest_part(struct db_control *c)
{
	size_t off = offsetof(struct db_control, fb_gva);

	memset((char *)c + off, 0, sizeof(*c) - off);
	damage_ring_init(&R.ring, c, R.rects);
}

static int dbx_serve_one(void)
{
	static struct workload_ctx ctx;
	struct db_control *c = R.control;
	struct rt_linux_sink sink = { dbx_frame_begin, dbx_damage, dbx_frame_commit, NULL };
	const struct workload_draw *draw;
	struct workload_run_stats stats;
	char err[128];

	dbx_reset_guest_part(c);
	memset(&ctx, 0, sizeof(ctx));
	if (c->abi_version != DB_ABI_VERSION)
		return dbx_fail("control page ABI mismatch");
	if ((uint64_t)c->stride * c->height > DBX_VRAM_MAX)
		return dbx_fail("framebuffer larger than the region's VRAM part");
	draw = workload_draw_find(c->workload);
	if (!draw)
		return dbx_fail("unknown workload");
	if (workload_parse_options(draw->info, c->options, &ctx, err, sizeof(err)))
		return dbx_fail(err);
	ctx.fb = (struct fb){ (uint32_t *)(R.base + DBX_VRAM_OFF), c->width, c->height, c->stride / 4 };
	ctx.seed = c->seed;
	rt_linux_set_tsc_khz(c->tsc_khz);       /* dom0's measure of the one TSC */
	if (xen_guest_pv_start(c))
		return dbx_fail("pvbitmap set-up failed");
	c->target_fps_milli = ctx.fps_milli;
	c->fb_gva = (uint64_t)(uintptr_t)ctx.fb.pixels;   /* our virtual address: ptebits walks to it */
	c->fb_len = (uint64_t)c->stride * c->height;
	rt_linux_set_sink(&sink);
	rt_linux_set_phase_listener(dbx_phase);
	barrier();
	R.share->state = DBX_READY;
	for (uint64_t until = dbx_mono_ns() + 30000000000ull; R.share->go != R.share->served;) {
		struct timespec nap = { 0, 100000 };

		if (dbx_mono_ns() > until || c->stop) {
			rt_linux_set_sink(NULL);
			rt_linux_set_phase_listener(NULL);
			xen_guest_pv_stop();
			return dbx_fail("dom0 did not say go within 30 s");
		}
		nanosleep(&nap, NULL);
	}
	int rc = workload_run(draw, &ctx, dbx_should_stop, &stats);
	rt_linux_set_sink(NULL);
	rt_linux_set_phase_listener(NULL);
	xen_guest_pv_stop();
	rt_linux_free_all();
	if (rc)
		return dbx_fail("workload failed");
	barrier();
	R.share->state = DBX_DONE;
	fprintf(stderr, "db-workload: %s: %llu frames, %llu dropped\n", draw->info->name,
		(unsigned long long)stats.frames, (unsigned long long)stats.dropped);
	return 0;
}

/* Dom0 brackets each request with its own TSC readings: answer at once. */
static void dbx_calibrate(void)
{
	uint64_t until = dbx_mono_ns() + DBX_CAL_SPIN_NS;

	while (dbx_mono_ns() < until) {
		uint64_t req = R.share->cal_req;

		if (req != R.share->cal_ack) {
			R.share->cal_tsc = __rdtsc();
			barrier();
			R.share->cal_ack = req;
			until = dbx_mono_ns() + DBX_CAL_SPIN_NS;
		}
		_mm_pause();
	}
}

int xen_guest_serve(uint64_t gpa)
{
	struct timespec nap = { 0, DBX_POLL_NS };

	if (dbx_map(gpa))
		return -1;
	memset(R.share, 0, sizeof(*R.share));
	R.share->abi = DBX_ABI;
	if (xen_guest_pv_share(R.share))
		fprintf(stderr, "db-workload: pvbitmap will be unavailable\n");
	barrier();
	R.share->magic = DBX_MAGIC;
	if (dbx_register())
		return -1;
	fprintf(stderr, "db-workload: serving runs from 0x%llx (xenstore %s)\n",
		(unsigned long long)gpa, DBX_XS_DIR);
	for (;;) {
		if (R.share->cal_req != R.share->cal_ack)
			dbx_calibrate();
		if (R.share->request != R.share->served) {
			R.share->state = DBX_RUNNING;     /* before served: dom0 reads them the other way */
			barrier();
			R.share->served = R.share->request;
			dbx_serve_one();
			continue;
		}
		nanosleep(&nap, NULL);
	}
}
