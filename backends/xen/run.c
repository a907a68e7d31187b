/*
 * One run on Xen, from dom0: attach to the domU by name, ask db-workload
 * --xen in it to start the workload, measure the clock offset, scan at a
 * fixed rate with the oracle checking every round, stop, and build the same
 * result as the KVM driver (bench/run.c) with a Xen platform block.
 *
 * Clocks: dom0 and the PVH domU (tsc_mode "native") read the same TSC, apart
 * from the offset Xen gives the domU; it is measured by a ping-pong through
 * the handshake page (dom0 stamps before and after, the domU stamps between)
 * keeping the sample with the shortest round trip, before and after the run,
 * so the drift between the two is in the result too.
 */
#define DIRTYBENCH_RUN_STATE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <xenctrl.h>

#include "core/result.h"
#include "core/run.h"
#include "backends/xen/xen_run.h"
#include "backends/xen/xen.h"

const bool xen_built = true;

#define READY_TIMEOUT_MS 20000          /* TCG: a workload's init can take seconds */
#define STOP_TIMEOUT_MS 20000
#define WATCHDOG_S 10.0
#define CHECK_EVERY_NS 1000000000ll     /* xc_domain_getinfo is a hypercall: once a second */
#define CAL_SAMPLES 200
#define CAL_TIMEOUT_NS 2000000000ll

#define barrier() __asm__ __volatile__("" ::: "memory")

struct xen_cal {
	int64_t offset;                 /* domU TSC - dom0 TSC */
	uint64_t rtt;                   /* best round trip, cycles */
	unsigned samples;
};

struct xen_run {
	struct run_state rs;
	struct xen_dom dom;
	struct xen_cal cal_start, cal_end;
	int64_t last_check_ns;
};

static struct xen_run *xen_run_of(struct run_state *rs)
{
	return (struct xen_run *)rs;    /* rs is its first member */
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

/* Ask the domU for a run and wait until its workload is READY. */
static int start_guest(struct xen_run *xr, char *err, size_t len)
{
	struct dbx_share *sh = xr->dom.share;
	uint64_t req = sh->served + 1;
	int64_t deadline = clock_mono_ns() + READY_TIMEOUT_MS * 1000000ll;

	if (sh->state == DBX_RUNNING || sh->state == DBX_READY)
		return run_error(err, len, EXIT_RUN_FAILED, "the domU is already serving a run");
	barrier();
	sh->request = req;
	for (;;) {
		if (sh->served == req && sh->state == DBX_READY)
			return EXIT_OK;
		if (sh->served == req && sh->state == DBX_FAILED)
			return run_error(err, len, EXIT_RUN_FAILED, "the domU failed to start: %s", sh->message);
		if (clock_mono_ns() > deadline)
			return run_error(err, len, EXIT_RUN_FAILED, "the domU did not start the workload within %d s",
				         READY_TIMEOUT_MS / 1000);
		usleep(1000);
	}
}

static int attach(struct xen_run *xr, char *err, size_t len)
{
	struct run_state *rs = &xr->rs;
	struct xen_dom *d = &xr->dom;
	xc_physinfo_t info = { 0 };
	const char *why = xen_backend_unsupported(rs->sops->needs);

	if (why)
		return run_error(err, len, EXIT_BAD_INPUT, "strategy %s is not supported on Xen: %s",
			         rs->sops->name, why);
	if (!rs->opt->domain)
		return run_error(err, len, EXIT_BAD_INPUT, "--backend xen needs --domain NAME");
	if ((uint64_t)rs->geo.stride * rs->geo.height > DBX_VRAM_MAX)
		return run_error(err, len, EXIT_BAD_INPUT,
				 "framebuffer larger than the domU region's %llu MiB of VRAM",
				 (unsigned long long)(DBX_VRAM_MAX >> 20));
	if (xen_dom_attach(d, rs->opt->domain, DBX_VRAM_OFF + (uint64_t)rs->geo.stride * rs->geo.height, err, len))
		return EXIT_BAD_INPUT;
	if (xc_physinfo(d->xc, &info) || !info.cpu_khz)
		return run_error(err, len, EXIT_RUN_FAILED, "xc_physinfo: %s", strerror(errno));
	d->tsc_khz = info.cpu_khz;
	xen_backend_init(d, &rs->geo);
	return EXIT_OK;
}

static int boot(struct xen_run *xr, char *err, size_t len)
{
	struct run_state *rs = &xr->rs;
	struct xen_dom *d = &xr->dom;
	int status;

	if (calibrate(d, &xr->cal_start))
		return run_error(err, len, EXIT_RUN_FAILED, "the domU does not answer clock calibration");
	d->be.guest_tsc_offset = xr->cal_start.offset;
	run_fill_control(rs, d->be.control, (uint32_t)DBX_VRAM_MAX, 0, d->tsc_khz);
	if (rs->sops->needs & BACKEND_PV_PAGE && xen_pv_open(d, err, len))
		return EXIT_RUN_FAILED;
	if (strategy_init_with_options(&rs->strategy, rs->sops, &d->be, rs->opt->strategy_options))
		return run_error(err, len, rs->strategy.bad_input ? EXIT_BAD_INPUT : EXIT_RUN_FAILED,
			         "%s", rs->strategy.error);
	if ((status = run_setup_scan(rs, d->tsc_khz, err, len)) || (status = start_guest(xr, err, len)))
		return status;
	if (rs->sops->needs & BACKEND_GUEST_PAGETABLES &&
	    xen_pt_find_root(d, d->be.control->fb_gva, rs->geo.pages, err, len))
		return EXIT_RUN_FAILED;
	if ((status = run_arm(rs, (const struct db_rect *)(d->region + DBX_RECTS_OFF), err, len)))
		return status;
	barrier();
	d->share->go = d->share->served;        /* armed: the domU may draw frame 0 */
	return EXIT_OK;
}

static int guest_trouble(struct xen_run *xr, char *err, size_t len)
{
	if (xr->dom.share->state == DBX_FAILED)
		return run_error(err, len, EXIT_RUN_FAILED, "the domU's workload failed: %s",
				 xr->dom.share->message);
	if (!xen_dom_alive(&xr->dom))
		return run_error(err, len, EXIT_RUN_FAILED, "the domU died");
	return EXIT_OK;
}

/* --- the domU, for run_measure (bench/run.c) ------------------------------ */

static int xen_guest_check(struct run_state *rs, char *err, size_t len)
{
	struct xen_run *xr = xen_run_of(rs);
	int64_t now = clock_mono_ns();

	if (now - xr->last_check_ns < CHECK_EVERY_NS)
		return EXIT_OK;
	xr->last_check_ns = now;
	return guest_trouble(xr, err, len);
}

static uint64_t xen_guest_progress(struct run_state *rs)
{
	return rs->be->control->frames_published;
}

static int xen_guest_stalled(struct run_state *rs, char *err, size_t len)
{
	(void)rs;
	return run_error(err, len, EXIT_RUN_FAILED, "the domU published no frame for %.0f s (watchdog)",
			 WATCHDOG_S);
}

static int xen_guest_stop(struct run_state *rs, char *err, size_t len)
{
	struct xen_run *xr = xen_run_of(rs);
	int64_t deadline = clock_mono_ns() + STOP_TIMEOUT_MS * 1000000ll;

	rs->be->control->stop = 1;
	while (xr->dom.share->state == DBX_READY) {
		if (clock_mono_ns() > deadline)
			return run_error(err, len, EXIT_RUN_FAILED, "the domU did not stop within %d s",
				         STOP_TIMEOUT_MS / 1000);
		usleep(1000);
	}
	return guest_trouble(xr, err, len);
}

static const struct run_guest_ops xen_guest = {
	.check = xen_guest_check,
	.progress = xen_guest_progress,
	.watchdog_s = WATCHDOG_S,
	.stalled = xen_guest_stalled,
	.stop = xen_guest_stop,
};

static json_t *cal_json(const struct xen_cal *c)
{
	return json_pack("{s:I, s:I, s:i}", "offset_cycles", (json_int_t)c->offset,
			 "uncertainty_cycles", (json_int_t)(c->rtt / 2), "samples", (int)c->samples);
}

/* The shared result, with what differs on Xen put in place. */
static json_t *build(struct xen_run *xr)
{
	struct run_state *rs = &xr->rs;
	json_t *r = result_build(rs), *guest, *cal;

	if (!r)
		return NULL;
	guest = json_object_get(r, "guest");
	cal = cal_json(&xr->cal_start);
	json_object_set_new(cal, "after_run", cal_json(&xr->cal_end));
	json_object_set_new(cal, "drift_cycles", json_integer((json_int_t)(xr->cal_end.offset - xr->cal_start.offset)));
	json_object_set_new(cal, "method", json_string("ping-pong through the shared handshake page, "
		"shortest round trip of the samples; domU and dom0 read the same TSC (tsc_mode native)"));
	json_object_set_new(guest, "tsc_calibration", cal);
	json_object_set_new(guest, "cpu_probe", json_pack("{s:n, s:s}", "ring3_ns_per_iter",
		"reason", "not measured on Xen: the workload runs as a Linux process in the domU"));
	json_object_set_new(guest, "frames_total", json_integer((json_int_t)xr->dom.be.control->frames_published));
	json_object_set_new(r, "platform", xen_platform_json(&xr->dom));
	json_object_set_new(r, "exits", json_pack("{s:s, s:n, s:n, s:n, s:s}", "source", "none",
		"exits", "io_exits", "exits_per_frame",
		"reason", "Xen exposes no per-domain exit counters to dom0"));
	json_object_del(r, "kvm_stats");
	json_object_set_new(r, "xen", json_pack("{s:o, s:o, s:o, s:I, s:s}", "faults", xen_faults_json(&xr->dom),
		"logdirty", xen_logdirty_json(&xr->dom), "pv", xen_pv_json(&xr->dom),
		"tlb_flushes", (json_int_t)xr->dom.flushes, "tlb_flush_method",
		"p2m type of one spare page of the region flipped (xendevicemodel_set_mem_type), "
		"which makes Xen flush the domU's TLB"));
	json_object_set_new(json_object_get(r, "perf"), "vcpu_thread", json_pack("{s:b, s:s}",
		"available", 0, "reason", "the domU's vCPU is not a dom0 thread"));
	return r;
}

int xen_run_once(const struct run_options *opt, json_t **result, char *err, size_t errlen)
{
	struct xen_run *xr = calloc(1, sizeof(*xr));
	struct run_state *rs;
	time_t now = time(NULL);
	int status;

	*result = NULL;
	if (!xr)
		return run_error(err, errlen, EXIT_RUN_FAILED, "out of memory");
	rs = &xr->rs;
	rs->guest = &xen_guest;
	rs->be = &xr->dom.be;
	xr->last_check_ns = clock_mono_ns();
	rs->vm.kvm_fd = -1;
	rs->vm_stats.fd = rs->vcpu_stats.fd = -1;
	strftime(rs->started_at, sizeof(rs->started_at), "%Y-%m-%dT%H:%M:%SZ", gmtime(&now));
	status = run_prepare(rs, opt, err, errlen);
	if (!status)
		rs->membw_ok = !membw_measure(rs->geo.bytes, MEMBW_REPS, &rs->membw);
	if (!status)
		status = attach(xr, err, errlen);
	if (!status)
		status = boot(xr, err, errlen);
	if (!status)
		status = run_measure(rs, err, errlen);
	if (!status && calibrate(&xr->dom, &xr->cal_end))
		status = run_error(err, errlen, EXIT_RUN_FAILED, "the domU stopped answering clock calibration");
	if (status && xr->dom.share)
		xr->dom.be.control->stop = 1;   /* leave the domU ready for the next run */
	/* The domain outlives the run (a KVM VM does not): a strategy left
	 * started would leave log-dirty on for the next run. */
	if (rs->strategy_started)
		strategy_stop(&rs->strategy);
	if (!status) {
		*result = build(xr);
		if (!*result)
			status = run_error(err, errlen, EXIT_RUN_FAILED, "could not build the result");
	}
	strategy_fini(&rs->strategy);
	dirty_set_free(&rs->dirty);
	oracle_fini(&rs->oracle);
	perf_counters_close(&rs->perf_scan);
	xen_dom_detach(&xr->dom);
	free(xr);
	return status;
}
