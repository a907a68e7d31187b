/* One run from boot to summary; see run.h. */
#define DIRTYBENCH_RUN_STATE
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "core/bitmap.h"
#include "core/result.h"
#include "core/run.h"
#include "backends/xen/xen_run.h"

#define READY_TIMEOUT_MS 10000
#define STOP_TIMEOUT_MS 5000
#define WATCHDOG_S 5.0
#define SCAN_CPU 0
#define VCPU_CPU 1

int run_error(char *err, size_t len, int status, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, len, fmt, ap);
	va_end(ap);
	return status;
}

static double thread_cpu_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

void run_fill_control(struct run_state *rs, struct db_control *c, uint32_t vram_bytes, uint64_t vram_gva,
		      uint64_t tsc_khz)
{
	const struct run_options *opt = rs->opt;

	memset(c, 0, offsetof(struct db_control, fb_gva));      /* the host's part, fresh each run */
	c->abi_version = DB_ABI_VERSION;
	c->vram_bytes = vram_bytes;
	c->vram_gva = vram_gva;
	c->width = rs->geo.width;
	c->height = rs->geo.height;
	c->stride = rs->geo.stride;
	c->bpp = 32;
	c->seed = opt->seed;
	c->tsc_khz = tsc_khz;
	snprintf(c->workload, sizeof(c->workload), "%s", opt->workload);
	snprintf(c->options, sizeof(c->options), "%s", opt->workload_options ? opt->workload_options : "");
	c->tile_w = rs->geo.tile_w;
	c->tile_h = rs->geo.tile_h;
}

/* KVM_EXIT_DIRTY_RING_FULL, on the vCPU thread: the strategy harvests. */
static int ring_full(void *arg)
{
	return strategy_ring_full(arg);
}

/* A scan clock exactly in step with the guest's frame clock would put every
 * frame at the same phase against the rounds, and latency would measure that
 * one phase. Running it slightly fast turns the phase once per sweep. */
int64_t run_scan_period_ns(const struct run_options *opt)
{
	double period = 1e9 / opt->rate_hz;

	if (opt->phase_sweep_s > 0)
		period *= 1.0 - 1.0 / (opt->rate_hz * opt->phase_sweep_s);
	return (int64_t)period;
}

static int boot(struct run_state *rs, char *err, size_t len)
{
	struct kvm_vm_config cfg = { .geo = rs->geo };
	char why[256];
	int status;

	if (kvm_probe(why, sizeof(why)))
		return run_error(err, len, EXIT_BAD_INPUT, "no usable KVM: %s", why);
	if (rs->sops->needs & BACKEND_DIRTY_RING) {
		if (kvm_probe_dirty_ring(rs->opt->dirty_ring_bytes, why, sizeof(why)))
			return run_error(err, len, EXIT_BAD_INPUT, "strategy %s is not supported here: %s",
					 rs->sops->name, why);
		cfg.dirty_ring_bytes = rs->opt->dirty_ring_bytes;
	}
	if (kvm_vm_create(&rs->vm, &cfg))
		return run_error(err, len, EXIT_RUN_FAILED, "creating the VM: %s", rs->vm.error);
	run_fill_control(rs, rs->vm.be.control, (uint32_t)rs->vm.vram_size, DB_VRAM_GVA, rs->vm.tsc_khz);
	if (strategy_init_with_options(&rs->strategy, rs->sops, &rs->vm.be, rs->opt->strategy_options))
		return run_error(err, len, rs->strategy.bad_input ? EXIT_BAD_INPUT : EXIT_RUN_FAILED,
				 "%s", rs->strategy.error);
	if ((status = run_setup_scan(rs, rs->vm.tsc_khz, err, len)))
		return status;
	kvm_stats_open(&rs->vm_stats, rs->vm.vm_fd);
	kvm_stats_open(&rs->vcpu_stats, rs->vm.vcpu_fd);
	rs->vcpu.vm = &rs->vm;
	rs->vcpu.clock = &rs->clock;
	rs->vcpu.cpu = VCPU_CPU;
	rs->vcpu.verbose = !rs->opt->quiet;
	rs->vcpu.dirty_ring_full = ring_full;
	rs->vcpu.dirty_ring_arg = &rs->strategy;
	rs->vm.tlb_flush_request = vcpu_thread_request_tlb_flush;
	rs->vm.tlb_flush_arg = &rs->vcpu;
	if (vcpu_thread_start(&rs->vcpu))
		return run_error(err, len, EXIT_RUN_FAILED, "%s", rs->vcpu.error);
	if (vcpu_thread_wait_ready(&rs->vcpu, READY_TIMEOUT_MS))
		return run_error(err, len, EXIT_RUN_FAILED, "guest failed during boot: %s", rs->vcpu.error);
	rs->vm.be.guest_tsc_offset = rs->vcpu.cal.offset;      /* the guest calibrated before READY */
	if (rs->opt->no_counters)
		perf_counters_skip(&rs->perf_vcpu, "not collected (--no-counters)");
	else
		perf_counters_open(&rs->perf_vcpu, atomic_load(&rs->vcpu.os_tid));
	/* After the vCPU thread exists: --perf-record attaches to the threads it finds. */
	status = run_arm(rs, kvm_vm_gpa(&rs->vm, DB_RECT_RING_GPA, DB_RECT_RING_LEN * sizeof(struct db_rect)),
			 err, len);
	if (status)
		return status;
	vcpu_thread_go(&rs->vcpu);
	return EXIT_OK;
}

int run_setup_scan(struct run_state *rs, uint64_t tsc_khz, char *err, size_t len)
{
	rs->period_ns = run_scan_period_ns(rs->opt);
	rs->strategy.round_period_ns = (uint64_t)rs->period_ns;
	if (dirty_set_alloc(&rs->dirty, &rs->geo))
		return run_error(err, len, EXIT_RUN_FAILED, "out of memory");
	clock_base_init(&rs->clock, tsc_khz);
	return EXIT_OK;
}

int run_arm(struct run_state *rs, const struct db_rect *rect_ring, char *err, size_t len)
{
	if (strategy_start(&rs->strategy))
		return run_error(err, len, EXIT_RUN_FAILED, "starting %s: %s", rs->sops->name,
				 rs->strategy.error[0] ? rs->strategy.error : rs->be->error);
	rs->strategy_started = true;
	if (oracle_init(&rs->oracle, &rs->geo, rs->be->control, rect_ring, rs->be->guest_tsc_offset,
			rs->clock.tsc_khz))
		return run_error(err, len, EXIT_RUN_FAILED, "out of memory");
	if (rs->sops->shadow)
		oracle_set_shadow(&rs->oracle, rs->be->vram, rs->sops->shadow(&rs->strategy));
	if (rs->opt->vnc) {
		int status = vnc_run_start(&rs->vnc, rs->opt, &rs->geo, err, len);

		if (status)
			return status;
		rs->oracle.on_delivered = vnc_run_frame;
		rs->oracle.on_delivered_arg = &rs->vnc;
	}
	/* --no-counters: for measuring what the counters (tracepoints on every exit) cost. */
	if (rs->opt->no_counters)
		perf_counters_skip(&rs->perf_scan, "not collected (--no-counters)");
	else
		perf_counters_open(&rs->perf_scan, gettid());
	if (rs->opt->perf_record && perf_record_start(&rs->perf_rec, rs->opt->perf_record_path))
		return run_error(err, len, EXIT_BAD_INPUT, "--perf-record: %s", rs->perf_rec.error);
	return EXIT_OK;
}

/* What a VNC server copies reported tiles from: a content-comparing
 * strategy's own copy (what it compared, as QEMU's server does), else VRAM. */
static const uint8_t *vnc_source(struct run_state *rs)
{
	return rs->sops->shadow ? rs->sops->shadow(&rs->strategy) : rs->be->vram;
}

static int missed_check(struct run_state *rs, char *err, size_t len)
{
	if (rs->oracle.stats.frames_missed && !rs->opt->allow_misses)
		return run_error(err, len, EXIT_RUN_FAILED, "MISSED UPDATE: %s missed a change: %s",
				 rs->sops->name, rs->oracle.first_miss);
	return EXIT_OK;
}

/* One scan round, timed, then checked by the oracle; its tiles go to the
 * VNC server (if any) first, as a consumer would take them. */
int run_scan_round(struct run_state *rs, bool measured, char *err, size_t len)
{
	double cpu0 = thread_cpu_s();
	uint64_t start = clock_tsc(), end;

	if (strategy_scan(&rs->strategy, &rs->dirty))
		return run_error(err, len, EXIT_RUN_FAILED, "%s scan failed: %s", rs->sops->name,
				 rs->strategy.error[0] ? rs->strategy.error : rs->be->error);
	end = clock_tsc();
	if (measured) {
		/* Before the VNC hand-over: its copy is not the strategy's cost. */
		rs->strategy_cpu_s += thread_cpu_s() - cpu0;
		hist_add(&rs->scan_ns, (uint64_t)clock_cycles_to_ns(&rs->clock, (double)(end - start)));
		rs->rounds_measured++;
		if (rs->dirty.has_pages) {
			rs->rounds_with_pages++;
			rs->pages_reported += bitmap_weight(rs->dirty.pages, rs->geo.pages);
		}
	}
	vnc_run_round(&rs->vnc, rs->dirty.tiles, vnc_source(rs), rs->oracle.nrounds);
	if (oracle_round(&rs->oracle, start, end, rs->dirty.tiles))
		return run_error(err, len, EXIT_RUN_FAILED, "oracle: %s", rs->oracle.error);
	return missed_check(rs, err, len);
}

static int mark_window(struct run_state *rs, bool start, char *err, size_t len)
{
	oracle_measure(&rs->oracle, start);
	vnc_run_window(&rs->vnc, start);
	perf_counters_mark(&rs->perf_scan, start);
	if (rs->guest->mark)
		rs->guest->mark(rs, start);
	rs->scan_cpu_s += (start ? -1 : 1) * thread_cpu_s();
	if (rs->opt->perf_record && perf_record_enable(&rs->perf_rec, start))
		return run_error(err, len, EXIT_RUN_FAILED, "--perf-record: %s", rs->perf_rec.error);
	return EXIT_OK;
}

static int scan_loop(struct run_state *rs, char *err, size_t len)
{
	const struct run_guest_ops *guest = rs->guest;
	int64_t period = rs->period_ns;
	int64_t t0 = clock_mono_ns(), next = t0 + period;
	int64_t warm = t0 + (int64_t)(rs->opt->warmup_s * 1e9);
	int64_t end = warm + (int64_t)(rs->opt->duration_s * 1e9);
	int64_t last_progress_ns = t0;
	uint64_t last_progress = guest->progress(rs), progress;
	bool measuring = false;

	for (;;) {
		struct timespec ts = { next / 1000000000, next % 1000000000 };
		int64_t now;
		int status;

		while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR)
			;
		now = clock_mono_ns();
		if ((status = guest->check(rs, err, len)))
			return status;
		if (!measuring && now >= warm) {
			if ((status = mark_window(rs, true, err, len)))
				return status;
			measuring = true;
		}
		if (now >= end)
			break;
		if ((status = run_scan_round(rs, measuring, err, len)))
			return status;
		if ((progress = guest->progress(rs)) != last_progress) {
			last_progress = progress;
			last_progress_ns = now;
		} else if (now - last_progress_ns > (int64_t)(guest->watchdog_s * 1e9)) {
			return guest->stalled(rs, err, len);
		}
		next += period;
		for (now = clock_mono_ns(); next <= now; next += period)
			rs->overruns++;
	}
	rs->measured_s = (double)(clock_mono_ns() - warm) / 1e9;
	return mark_window(rs, false, err, len);
}

/* Stop the guest, then one last round so every committed frame is checked. */
static int finish(struct run_state *rs, char *err, size_t len)
{
	struct db_control *c = rs->be->control;
	char why[512];
	int status;

	if ((status = rs->guest->stop(rs, err, len)))
		return status;
	if ((status = run_scan_round(rs, false, err, len)))
		return status;
	oracle_settle(&rs->oracle);
	if ((status = missed_check(rs, err, len)))
		return status;
	if (oracle_pending(&rs->oracle))
		return run_error(err, len, EXIT_RUN_FAILED, "%u frame(s) left unchecked after the final round",
				 oracle_pending(&rs->oracle));
	if (c->overflow)
		return run_error(err, len, EXIT_RUN_FAILED, "the guest's damage ring overflowed: frames were lost");
	vnc_run_finish(&rs->vnc, vnc_source(rs), rs->be->vram, rs->oracle.nrounds - 1);
	strategy_stop(&rs->strategy);
	rs->strategy_started = false;
	if (vnc_run_failure(&rs->vnc, why, sizeof(why)) && !rs->opt->allow_misses)
		return run_error(err, len, EXIT_RUN_FAILED, "%s", why);
	if (rs->opt->perf_record && perf_record_stop(&rs->perf_rec))
		return run_error(err, len, EXIT_RUN_FAILED, "--perf-record: %s", rs->perf_rec.error);
	if (c->target_fps_milli)
		rs->fps_milli = c->target_fps_milli;
	return EXIT_OK;
}

int run_measure(struct run_state *rs, char *err, size_t len)
{
	int status = scan_loop(rs, err, len);

	return status ? status : finish(rs, err, len);
}

/* --- the micro-VM's guest, for run_measure ------------------------------- */

static int kvm_guest_check(struct run_state *rs, char *err, size_t len)
{
	if (vcpu_thread_failed(&rs->vcpu))
		return run_error(err, len, EXIT_RUN_FAILED, "guest failed: %s", rs->vcpu.error);
	return EXIT_OK;
}

static uint64_t kvm_guest_progress(struct run_state *rs)
{
	return atomic_load(&rs->vcpu.exits) + rs->vm.be.control->frames_published;
}

static int kvm_guest_stalled(struct run_state *rs, char *err, size_t len)
{
	vcpu_thread_abort(&rs->vcpu, "guest made no progress for 5 s (watchdog)");
	return run_error(err, len, EXIT_RUN_FAILED, "%s", rs->vcpu.error);
}

static void kvm_guest_mark(struct run_state *rs, bool start)
{
	uint64_t exits = atomic_load(&rs->vcpu.exits), io = atomic_load(&rs->vcpu.io_exits);
	uint64_t full = atomic_load(&rs->vcpu.ring_full_exits);

	kvm_stats_mark(&rs->vm_stats, start);
	kvm_stats_mark(&rs->vcpu_stats, start);
	perf_counters_mark(&rs->perf_vcpu, start);
	if (start)
		rs->exits_start = exits, rs->io_exits_start = io, rs->ring_full_start = full;
	else
		rs->exits_end = exits, rs->io_exits_end = io, rs->ring_full_end = full;
}

static int kvm_guest_stop(struct run_state *rs, char *err, size_t len)
{
	if (vcpu_thread_stop(&rs->vcpu, STOP_TIMEOUT_MS))
		return run_error(err, len, EXIT_RUN_FAILED, "guest failed while stopping: %s", rs->vcpu.error);
	return EXIT_OK;
}

static const struct run_guest_ops kvm_guest = {
	.check = kvm_guest_check,
	.progress = kvm_guest_progress,
	.watchdog_s = WATCHDOG_S,
	.stalled = kvm_guest_stalled,
	.mark = kvm_guest_mark,
	.stop = kvm_guest_stop,
};

/* Without --tile, a strategy may ask for its own strips instead of the seed's. */
static void pick_tiles(const struct run_options *opt, const struct strategy_ops *sops,
		       uint32_t *tile_w, uint32_t *tile_h)
{
	uint32_t cols = sops->preferred_tiles.cols, rows = sops->preferred_tiles.rows;

	*tile_w = opt->tile_w;
	*tile_h = opt->tile_h;
	if (*tile_w || *tile_h || !cols || !rows)
		return;
	*tile_w = (opt->width + cols - 1) / cols;
	*tile_h = (opt->height + rows - 1) / rows;
}

int run_prepare(struct run_state *rs, const struct run_options *opt, char *err, size_t len)
{
	struct workload_ctx probe = { 0 };
	uint32_t tile_w, tile_h;
	char why[256];

	rs->opt = opt;
	rs->sops = strategy_find(opt->strategy);
	if (!rs->sops)
		return run_error(err, len, EXIT_BAD_INPUT, "unknown strategy '%s' (see --list)", opt->strategy);
	rs->wops = workload_find(opt->workload);
	if (!rs->wops)
		return run_error(err, len, EXIT_BAD_INPUT, "unknown workload '%s' (see --list)", opt->workload);
	if (workload_parse_options(rs->wops, opt->workload_options ? opt->workload_options : "",
				   &probe, why, sizeof(why)))
		return run_error(err, len, EXIT_BAD_INPUT, "workload %s: %s", opt->workload, why);
	pick_tiles(opt, rs->sops, &tile_w, &tile_h);
	if (fb_geometry_init(&rs->geo, opt->width, opt->height, tile_w, tile_h, why, sizeof(why)))
		return run_error(err, len, EXIT_BAD_INPUT, "%s", why);
	rs->fps_milli = probe.fps_milli ? probe.fps_milli : rs->wops->default_fps_milli;
	hist_init(&rs->scan_ns);
	return EXIT_OK;
}

static void teardown(struct run_state *rs)
{
	vnc_run_stop(&rs->vnc);
	if (rs->vcpu.vm)
		vcpu_thread_destroy(&rs->vcpu);
	strategy_fini(&rs->strategy);
	dirty_set_free(&rs->dirty);
	oracle_fini(&rs->oracle);
	kvm_stats_close(&rs->vm_stats);
	kvm_stats_close(&rs->vcpu_stats);
	perf_counters_close(&rs->perf_vcpu);
	perf_counters_close(&rs->perf_scan);
	if (rs->perf_rec.pid)
		perf_record_stop(&rs->perf_rec);
	if (rs->vm.ram)
		kvm_vm_destroy(&rs->vm);
}

int run_once(const struct run_options *opt, json_t **result, char *err, size_t errlen)
{
	struct run_state *rs = calloc(1, sizeof(*rs));
	time_t now = time(NULL);
	int status;

	if (opt->backend == RUN_BACKEND_XEN) {
		free(rs);
		return xen_run_once(opt, result, err, errlen);
	}
	if (!rs)
		return run_error(err, errlen, EXIT_RUN_FAILED, "out of memory");
	rs->vm_stats.fd = rs->vcpu_stats.fd = -1;
	rs->guest = &kvm_guest;
	rs->be = &rs->vm.be;
	strftime(rs->started_at, sizeof(rs->started_at), "%Y-%m-%dT%H:%M:%SZ", gmtime(&now));
	*result = NULL;
	vcpu_pin_self(SCAN_CPU);
	status = run_prepare(rs, opt, err, errlen);
	/* Before the guest runs, so it measures this core alone (~60 ms). */
	if (!status)
		rs->membw_ok = !membw_measure(rs->geo.bytes, MEMBW_REPS, &rs->membw);
	if (!status)
		status = boot(rs, err, errlen);
	if (!status)
		status = run_measure(rs, err, errlen);
	if (!status) {
		*result = result_build(rs);
		if (!*result)
			status = run_error(err, errlen, EXIT_RUN_FAILED, "could not build the result");
	}
	teardown(rs);
	free(rs);
	return status;
}

int backend_probe(const struct run_options *opt, const struct strategy_ops *sops, char *why, size_t len)
{
	const char *xen_why;

	if (opt->backend == RUN_BACKEND_XEN) {
		if (!xen_built) {
			snprintf(why, len, "this run-bench was built without Xen's libraries");
			return EXIT_UNSUPPORTED;
		}
		xen_why = xen_backend_unsupported(sops->needs);
		if (xen_why) {
			snprintf(why, len, "%s", xen_why);
			return EXIT_UNSUPPORTED;
		}
		return EXIT_OK;
	}
	if (kvm_probe(why, len))
		return EXIT_UNSUPPORTED;
	if (sops->needs & BACKEND_DIRTY_RING && kvm_probe_dirty_ring(opt->dirty_ring_bytes, why, len))
		return EXIT_UNSUPPORTED;
	return EXIT_OK;
}
