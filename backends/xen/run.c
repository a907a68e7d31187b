/*
 * The Xen back end's run (core/backend_run.h), from dom0: attach to the domU
 * by name, ask db-workload --xen in it to start the workload, measure the
 * clock offset, and report what only Xen can say (its platform, log-dirty and
 * PV counters, the TLB flushes it was asked for).
 *
 * Clocks: dom0 and the PVH domU (tsc_mode "native") read the same TSC, apart
 * from the offset Xen gives the domU; it is measured by a ping-pong through
 * the handshake page (dom0 stamps before and after, the domU stamps between)
 * keeping the sample with the shortest round trip, before and after the run,
 * so the drift between the two is in the result too.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <xenctrl.h>

#include "backends/xen/xen.h"
#include "core/run_state.h"
#include "include/compiler.h"


#define READY_TIMEOUT_MS 20000          /* TCG: a workload's init can take seconds */
#define STOP_TIMEOUT_MS 20000
#define WATCHDOG_S 10.0
#define CHECK_EVERY_NS 1000000000ll     /* xc_domain_getinfo is a hypercall: once a second */
#define CAL_SAMPLES 200
#define PAUSE_TIMEOUT_MS 2000           /* TCG: a frame can take a second */
#define CAL_TIMEOUT_NS 2000000000ll

struct xen_cal {
	int64_t offset;                 /* domU TSC - dom0 TSC */
	uint64_t rtt;                   /* best round trip, cycles */
	unsigned samples;
};

struct xen_run {
	struct xen_dom dom;
	struct xen_cal cal_start, cal_end;
	int64_t last_check_ns;
	bool attached;
};

static struct xen_run *xen_run_of(struct run_state *rs)
{
	return rs->backend_priv;
}

static int calibrate(struct xen_dom *d, struct xen_cal *cal)
{
	cal->rtt = UINT64_MAX;
	for (unsigned i = 0; i < CAL_SAMPLES; i++) {
		int64_t deadline = clock_mono_ns() + CAL_TIMEOUT_NS;
		uint64_t req = d->share->cal_req + 1, t0 = clock_tsc(), t1;

		d->share->cal_req = req;
		while (d->share->cal_ack != req)
			if (clock_mono_ns() > deadline)
				return -1;
		t1 = clock_tsc();
		barrier();
		if (t1 - t0 < cal->rtt) {
			cal->rtt = t1 - t0;
			cal->offset = (int64_t)(d->share->cal_tsc - (t0 + (t1 - t0) / 2));
		}
		cal->samples++;
	}
	return 0;
}

/* dom0 with privcmd, and every back-end feature the strategy needs. */
static int xen_run_probe(const struct run_options *opt, const struct strategy_ops *sops, char *why, size_t len)
{
	const char *missing = xen_backend_unsupported(sops->needs);
	xc_interface *xc;

	/* libxencall's paths, tried first: without privcmd its logger would
	 * print a line of its own on stderr before ours. */
	static const char *const privcmd[] = { "/dev/xen/privcmd", "/proc/xen/privcmd" };
	int fd = -1, first_errno = 0;

	(void)opt;
	if (missing) {
		snprintf(why, len, "%s", missing);
		return EXIT_UNSUPPORTED;
	}
	for (size_t i = 0; i < ARRAY_SIZE(privcmd) && fd < 0; i++)
		if ((fd = open(privcmd[i], O_RDWR | O_CLOEXEC)) < 0 && !first_errno)
			first_errno = errno;
	if (fd < 0) {
		snprintf(why, len, "not dom0, or no privcmd: cannot open %s (or %s): %s", privcmd[0], privcmd[1],
			 strerror(first_errno));
		return EXIT_UNSUPPORTED;
	}
	close(fd);
	xc = xc_interface_open(NULL, NULL, 0);
	if (!xc) {
		snprintf(why, len, "not dom0, or no privcmd: cannot open libxenctrl: %s", strerror(errno));
		return EXIT_UNSUPPORTED;
	}
	xc_interface_close(xc);
	return EXIT_OK;
}

static int xen_run_open(struct run_state *rs)
{
	struct xen_run *xr = xen_run_of(rs);
	struct xen_dom *d = &xr->dom;
	xc_physinfo_t info = { 0 };

	if ((uint64_t)rs->geo.stride * rs->geo.height > DBX_VRAM_MAX)
		return run_fail(rs, EXIT_BAD_INPUT, "framebuffer larger than the domU region's %llu MiB of VRAM",
				(unsigned long long)(DBX_VRAM_MAX >> 20));
	xr->attached = true;            /* xen_dom_detach undoes a partial attach too */
	xr->last_check_ns = clock_mono_ns();
	if (xen_dom_attach(d, rs->opt->domain, DBX_VRAM_OFF + (uint64_t)rs->geo.stride * rs->geo.height,
			   rs->error, sizeof(rs->error)))
		return EXIT_BAD_INPUT;
	if (xc_physinfo(d->xc, &info) || !info.cpu_khz)
		return run_fail(rs, EXIT_RUN_FAILED, "xc_physinfo: %s", strerror(errno));
	d->tsc_khz = info.cpu_khz;
	xen_backend_init(d, &rs->geo);
	rs->be = &d->be;
	rs->tsc_khz = d->tsc_khz;
	rs->rect_ring = (const struct db_rect *)(d->region + DBX_RECTS_OFF);
	rs->no_vcpu_tid = "the domU's vCPU is not a dom0 thread";
	if (calibrate(d, &xr->cal_start))
		return run_fail(rs, EXIT_RUN_FAILED, "the domU does not answer clock calibration");
	d->be.guest_tsc_offset = xr->cal_start.offset;
	run_fill_control(rs, d->be.control, (uint32_t)DBX_VRAM_MAX, 0);
	if (rs->sops->needs & BACKEND_PV_PAGE && xen_pv_open(d, rs->error, sizeof(rs->error)))
		return EXIT_RUN_FAILED;
	return EXIT_OK;
}

/* Ask the domU for a run and wait until its workload is READY. */
static int xen_run_start_guest(struct run_state *rs)
{
	struct xen_dom *d = &xen_run_of(rs)->dom;
	struct dbx_share *sh = d->share;
	uint64_t req = sh->served + 1;
	int64_t deadline = clock_mono_ns() + READY_TIMEOUT_MS * 1000000ll;

	if (sh->state == DBX_RUNNING || sh->state == DBX_READY)
		return run_fail(rs, EXIT_RUN_FAILED, "the domU is already serving a run");
	barrier();
	sh->request = req;
	while (!(sh->served == req && sh->state == DBX_READY)) {
		if (sh->served == req && sh->state == DBX_FAILED)
			return run_fail(rs, EXIT_RUN_FAILED, "the domU failed to start: %s", sh->message);
		if (clock_mono_ns() > deadline)
			return run_fail(rs, EXIT_RUN_FAILED, "the domU did not start the workload within %d s",
					READY_TIMEOUT_MS / 1000);
		usleep(1000);
	}
	if (rs->sops->needs & BACKEND_GUEST_PAGETABLES &&
	    xen_pt_find_root(d, d->be.control->fb_gva, rs->geo.pages, rs->error, sizeof(rs->error)))
		return EXIT_RUN_FAILED;
	return EXIT_OK;
}

static void xen_run_go(struct run_state *rs)
{
	struct dbx_share *sh = xen_run_of(rs)->dom.share;

	barrier();
	sh->go = sh->served;            /* armed: the domU may draw frame 0 */
}

static int guest_trouble(struct run_state *rs)
{
	struct xen_dom *d = &xen_run_of(rs)->dom;

	if (d->share->state == DBX_FAILED)
		return run_fail(rs, EXIT_RUN_FAILED, "the domU's workload failed: %s", d->share->message);
	if (!xen_dom_alive(d))
		return run_fail(rs, EXIT_RUN_FAILED, "the domU died");
	return EXIT_OK;
}

static int xen_run_check(struct run_state *rs)
{
	struct xen_run *xr = xen_run_of(rs);
	int64_t now = clock_mono_ns();

	if (now - xr->last_check_ns < CHECK_EVERY_NS)
		return EXIT_OK;
	xr->last_check_ns = now;
	return guest_trouble(rs);
}

static uint64_t xen_run_progress(struct run_state *rs)
{
	return rs->be->control->frames_published;
}

static int xen_run_stalled(struct run_state *rs)
{
	return run_fail(rs, EXIT_RUN_FAILED, "the domU published no frame for %.0f s (watchdog)", WATCHDOG_S);
}

static int xen_run_stop(struct run_state *rs)
{
	struct xen_dom *d = &xen_run_of(rs)->dom;
	int64_t deadline = clock_mono_ns() + STOP_TIMEOUT_MS * 1000000ll;

	d->be.control->stop = 1;
	while (d->share->state == DBX_READY) {
		if (clock_mono_ns() > deadline)
			return run_fail(rs, EXIT_RUN_FAILED, "the domU did not stop within %d s",
					STOP_TIMEOUT_MS / 1000);
		usleep(1000);
	}
	return guest_trouble(rs);
}

/* Xen stops a domain anywhere (xc_domain_pause returns once its vCPUs are
 * off the CPUs); the check needs it between two frames, so a domain caught
 * drawing is let go and tried again, for up to PAUSE_TIMEOUT_MS. */
static int xen_run_pause(struct run_state *rs, int *paused)
{
	struct xen_dom *d = &xen_run_of(rs)->dom;
	int64_t deadline = clock_mono_ns() + PAUSE_TIMEOUT_MS * 1000000ll;

	*paused = 0;
	for (;;) {
		if (xc_domain_pause(d->xc, d->domid))
			return run_fail(rs, EXIT_RUN_FAILED, "xc_domain_pause: %s", strerror(errno));
		if (!__atomic_load_n(&d->be.control->drawing, __ATOMIC_ACQUIRE)) {
			*paused = 1;
			return EXIT_OK;
		}
		if (xc_domain_unpause(d->xc, d->domid))
			return run_fail(rs, EXIT_RUN_FAILED, "xc_domain_unpause: %s", strerror(errno));
		if (clock_mono_ns() > deadline)
			return EXIT_OK;
		usleep(200);
	}
}

static int xen_run_resume(struct run_state *rs)
{
	struct xen_dom *d = &xen_run_of(rs)->dom;

	if (xc_domain_unpause(d->xc, d->domid))
		return run_fail(rs, EXIT_RUN_FAILED, "xc_domain_unpause: %s", strerror(errno));
	return EXIT_OK;
}

static int xen_run_finish(struct run_state *rs)
{
	struct xen_run *xr = xen_run_of(rs);

	if (calibrate(&xr->dom, &xr->cal_end))
		return run_fail(rs, EXIT_RUN_FAILED, "the domU stopped answering clock calibration");
	return EXIT_OK;
}

static json_t *xen_run_platform(struct run_state *rs)
{
	return xen_platform_json(&xen_run_of(rs)->dom);
}

static json_t *cal_json(const struct xen_cal *c)
{
	return json_pack("{s:I, s:I, s:i}", "offset_cycles", (json_int_t)c->offset,
			 "uncertainty_cycles", (json_int_t)(c->rtt / 2), "samples", (int)c->samples);
}

static json_t *tsc_calibration_json(const struct xen_run *xr)
{
	json_t *cal = cal_json(&xr->cal_start);

	json_object_set_new(cal, "after_run", cal_json(&xr->cal_end));
	json_object_set_new(cal, "drift_cycles", json_integer((json_int_t)(xr->cal_end.offset - xr->cal_start.offset)));
	json_object_set_new(cal, "method", json_string("ping-pong through the shared handshake page, "
		"shortest round trip of the samples; domU and dom0 read the same TSC (tsc_mode native)"));
	return cal;
}

static int xen_run_result(struct run_state *rs, json_t *r)
{
	struct xen_run *xr = xen_run_of(rs);
	struct xen_dom *d = &xr->dom;
	json_t *guest = json_object_get(r, "guest");

	if (!guest)
		return -1;
	json_object_set_new(guest, "tsc_calibration", tsc_calibration_json(xr));
	json_object_set_new(guest, "cpu_probe", json_pack("{s:n, s:s}", "ring3_ns_per_iter",
		"reason", "not measured on Xen: the workload runs as a Linux process in the domU"));
	json_object_set_new(guest, "frames_total", json_integer((json_int_t)d->be.control->frames_published));
	json_object_set_new(r, "exits", json_pack("{s:s, s:n, s:n, s:n, s:s}", "source", "none",
		"exits", "io_exits", "exits_per_frame",
		"reason", "Xen exposes no per-domain exit counters to dom0"));
	return json_object_set_new(r, "xen", json_pack("{s:o, s:o, s:o, s:I, s:s}",
		"faults", xen_faults_json(d), "logdirty", xen_logdirty_json(d), "pv", xen_pv_json(d),
		"tlb_flushes", (json_int_t)d->flushes, "tlb_flush_method",
		"p2m type of one spare page of the region flipped (xendevicemodel_set_mem_type), "
		"which makes Xen flush the domU's TLB"));
}

/* The domain outlives the run (a KVM VM does not): after a failure, leave the
 * domU ready for the next run; the driver then stops the strategy, so
 * log-dirty is not left on for the next run either. */
static void xen_run_halt(struct run_state *rs)
{
	struct xen_dom *d = &xen_run_of(rs)->dom;

	if (d->share && d->be.control)
		d->be.control->stop = 1;
}

static void xen_run_close(struct run_state *rs)
{
	struct xen_run *xr = xen_run_of(rs);

	if (xr->attached)
		xen_dom_detach(&xr->dom);
}

static const struct schema_field xen_run_schema[] = {
	{ "platform.xen.version", SCHEMA_STR }, { "xen.faults", SCHEMA_OBJ }, { "xen.logdirty", SCHEMA_OBJ },
	{ "exits.reason", SCHEMA_STR }, { "guest.tsc_calibration.offset_cycles", SCHEMA_INT },
	{ "guest.tsc_calibration.uncertainty_cycles", SCHEMA_INT },
	{ "guest.tsc_calibration.drift_cycles", SCHEMA_INT }, { "guest.cpu_probe", SCHEMA_OBJ },
	SCHEMA_END
};

const struct backend_run_ops xen_run_ops = {
	.name = "xen",
	.priv_size = sizeof(struct xen_run),
	.scan_cpu = -1,                 /* dom0's vCPUs are Xen's to place */
	.probe = xen_run_probe,
	.open = xen_run_open,
	.start_guest = xen_run_start_guest,
	.go = xen_run_go,
	.check = xen_run_check,
	.progress = xen_run_progress,
	.watchdog_s = WATCHDOG_S,
	.stalled = xen_run_stalled,
	.pause = xen_run_pause,
	.resume = xen_run_resume,
	.stop = xen_run_stop,
	.finish = xen_run_finish,
	.platform = xen_run_platform,
	.result = xen_run_result,
	.halt = xen_run_halt,
	.close = xen_run_close,
	.schema = xen_run_schema,
};
