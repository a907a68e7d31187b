/*
 * The run driver: one run of one strategy on one workload, on any back end.
 * The back end (core/backend_run.h) boots or attaches to its guest and says
 * how it is doing; the collectors (core/collector.h) measure around the run;
 * this file owns the sequence and the scan loop, and nothing of either.
 */
#include <errno.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "core/bitmap.h"
#include "core/cpu.h"
#include "core/replica.h"
#include "core/result.h"
#include "core/trace_file.h"
#include "core/run.h"
#include "core/trace_file.h"
#include "core/run_state.h"

volatile sig_atomic_t run_stop_signal;

int run_fail(struct run_state *rs, int status, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(rs->error, sizeof(rs->error), fmt, ap);
	va_end(ap);
	return status;
}

static double thread_cpu_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

void run_fill_control(struct run_state *rs, struct db_control *c, uint32_t vram_bytes, uint64_t vram_gva)
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
	c->tsc_khz = rs->tsc_khz;
	snprintf(c->workload, sizeof(c->workload), "%s", opt->workload);
	snprintf(c->options, sizeof(c->options), "%s", opt->workload_options ? opt->workload_options : "");
	c->tile_w = rs->geo.tile_w;
	c->tile_h = rs->geo.tile_h;
}

const uint8_t *run_tile_source(const struct run_state *rs)
{
	if (rs->policy_ready)
		return policy_tile_source((struct policy *)&rs->policy);
	return rs->sops->shadow ? rs->sops->shadow((struct strategy *)&rs->strategy) : rs->be->vram;
}

static void policy_frame(void *arg, uint64_t draw_ns)
{
	policy_account_frame(arg, draw_ns);
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

/* The strategy on the back end the guest runs on, the scan clock, the dirty set. */
static int init_strategy(struct run_state *rs)
{
	if (strategy_init_with_options(&rs->strategy, rs->sops, rs->be, rs->opt->strategy_options))
		return run_fail(rs, rs->strategy.bad_input ? EXIT_BAD_INPUT : EXIT_RUN_FAILED, "%s",
				rs->strategy.error);
	rs->period_ns = run_scan_period_ns(rs->opt);
	rs->strategy.round_period_ns = (uint64_t)rs->period_ns;
	if (rs->wake != RUN_WAKE_TIMER && (rs->doorbell_fd = backend_doorbell_fd(rs->be)) < 0)
		return run_fail(rs, EXIT_RUN_FAILED, "%s: no doorbell: %s", rs->sops->name, rs->be->error);
	if (dirty_set_alloc(&rs->dirty, &rs->geo))
		return run_fail(rs, EXIT_RUN_FAILED, "out of memory");
	clock_base_init(&rs->clock, rs->tsc_khz);
	if (!backend_has(rs->be, rs->pops->needs))
		return run_fail(rs, EXIT_UNSUPPORTED, "policy %s cannot run on %s: the back end cannot "
				"write-protect VRAM, or lacks a dirty log or guest page tables it needs",
				rs->pops->name, rs->brun->name);
	rs->policy_ready = true;
	if (policy_init(&rs->policy, rs->pops, &rs->strategy, rs->popt, rs->tsc_khz, rs->period_ns,
			rs->opt->duration_s, &rs->be->control->phase))
		return run_fail(rs, EXIT_RUN_FAILED, "policy %s: %s", rs->pops->name, rs->policy.error);
	return EXIT_OK;
}

/* The guest is READY: start tracking, then the oracle over the guest's frame
 * and rect rings, then the collectors that attach to a running guest. */
static int arm(struct run_state *rs)
{
	if (policy_start(&rs->policy))
		return run_fail(rs, EXIT_RUN_FAILED, "starting %s: %s", rs->sops->name, rs->policy.error);
	rs->strategy_started = true;
	if (oracle_init(&rs->oracle, &rs->geo, rs->be->control, rs->rect_ring, rs->be->guest_tsc_offset,
			rs->clock.tsc_khz))
		return run_fail(rs, EXIT_RUN_FAILED, "out of memory");
	/* The replica is every strategy's consumer copy: what the oracle
	 * excuses a tile by (core/oracle.h). */
	if (replica_init(&rs->replica, &rs->geo, rs->be->vram))
		return run_fail(rs, EXIT_RUN_FAILED, "out of memory");
	oracle_set_shadow(&rs->oracle, rs->be->vram, rs->replica.buf);
	rs->oracle.on_frame = policy_frame;
	rs->oracle.on_frame_arg = &rs->policy;
	return collectors_open(rs, COLLECT_ARMED);
}

static int missed_check(struct run_state *rs)
{
	if (rs->oracle.stats.frames_missed && !rs->opt->allow_misses)
		return run_fail(rs, EXIT_RUN_FAILED, "MISSED UPDATE: %s missed a change: %s",
				rs->sops->name, rs->oracle.first_miss);
	return EXIT_OK;
}

/* Tell the guest which round is about to look (its number + 1: 0 is "none
 * yet"), and fence: a rect the guest stamps with less than that was fully
 * written before this store was visible, so this round sees it
 * (include/protocol.h, struct db_rect). */
static void announce_round(struct run_state *rs)
{
	__atomic_store_n(&rs->be->control->round_seq, (uint32_t)rs->oracle.nrounds + 1, __ATOMIC_RELAXED);
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
}

/* One scan round, timed, then checked by the oracle; the replica and the
 * collectors see its tiles first, as a consumer would take them. A quiet
 * round (guest stopped, core/replica.h) counts in no statistic. */
int run_scan_round(struct run_state *rs, enum run_round kind)
{
	bool measured = kind == RUN_ROUND_MEASURED, quiet = kind == RUN_ROUND_QUIET;
	double cpu0;
	uint64_t start, end;

	if (!quiet)             /* the guest stands still in a quiet round: nothing to sample */
		collectors_before_round(rs, measured);
	announce_round(rs);
	dirty_set_clear(&rs->dirty, &rs->geo);  /* a tick may take no round */
	cpu0 = thread_cpu_s();
	start = clock_tsc();
	if ((quiet ? policy_scan_quiet : policy_tick)(&rs->policy, &rs->dirty))
		return run_fail(rs, EXIT_RUN_FAILED, "%s", rs->policy.error);
	end = clock_tsc();
	if (!quiet)
		policy_account_round(&rs->policy, (uint64_t)clock_cycles_to_ns(&rs->clock, (double)(end - start)),
				     (uint32_t)bitmap_weight(rs->dirty.tiles, rs->geo.ntiles));
	if (measured) {
		/* Before the collectors' round: a VNC copy is not the strategy's cost. */
		rs->strategy_cpu_s += thread_cpu_s() - cpu0;
		hist_add(&rs->scan_ns, (uint64_t)clock_cycles_to_ns(&rs->clock, (double)(end - start)));
		rs->rounds_measured++;
		if (rs->dirty.has_pages) {
			rs->rounds_with_pages++;
			rs->pages_reported += bitmap_weight(rs->dirty.pages, rs->geo.pages);
		}
	}
	replica_update(&rs->replica, rs->dirty.tiles, run_tile_source(rs), rs->oracle.measuring && !quiet);
	collectors_round(rs);
	if ((quiet ? oracle_round_quiet : oracle_round)(&rs->oracle, start, end, rs->dirty.tiles))
		return run_fail(rs, EXIT_RUN_FAILED, "oracle: %s", rs->oracle.error);
	return missed_check(rs);
}

static int mark_window(struct run_state *rs, bool start)
{
	int status;

	oracle_measure(&rs->oracle, start);
	policy_measure(&rs->policy, start);
	if ((status = collectors_window(rs, start)))
		return status;
	if (rs->brun->mark)
		rs->brun->mark(rs, start);
	rs->scan_cpu_s += (start ? -1 : 1) * thread_cpu_s();
	return EXIT_OK;
}

/* The watchdog: a guest that shows no progress for watchdog_s while the host
 * ran is stalled. A scan thread that itself did not run for half that long
 * (the whole process stopped, SIGSTOP, a host frozen under us) is the host's
 * stall, not the guest's: counted, and the guest's clock starts again. */
struct progress_watch {
	uint64_t last;
	int64_t last_ns, prev_wake_ns;
};

static int watch_progress(struct run_state *rs, struct progress_watch *w, int64_t now)
{
	uint64_t progress = rs->brun->progress(rs);
	int64_t gap = now - w->prev_wake_ns;

	w->prev_wake_ns = now;
	if (gap > (int64_t)(rs->brun->watchdog_s * 0.5e9)) {
		rs->host_stalls++;
		if (gap > rs->host_stall_max_ns)
			rs->host_stall_max_ns = gap;
		w->last_ns = now;
	}
	if (progress != w->last) {
		w->last = progress;
		w->last_ns = now;
		return EXIT_OK;
	}
	if (now - w->last_ns > (int64_t)(rs->brun->watchdog_s * 1e9))
		return rs->brun->stalled(rs);
	return EXIT_OK;
}

/*
 * When the next round starts. The timer ticks every period (with --wake
 * doorbell only at a quarter of the watchdog's pace, so the watchdog, the
 * signals and the window marks still run with an idle guest). A doorbell
 * starts a round at once, or once 1/--max-event-rate has passed since the
 * last round began: the doorbells rung meanwhile are coalesced into it (an
 * eventfd keeps a count, not a queue). Any round drains the doorbell first:
 * it sees everything rung before it began.
 */
struct round_clock {
	int64_t period, next, min_gap, last_start;
};

static void round_clock_init(struct run_state *rs, struct round_clock *rc, int64_t t0)
{
	rc->period = rs->period_ns;
	if (rs->wake == RUN_WAKE_DOORBELL)
		rc->period = (int64_t)(rs->brun->watchdog_s * 0.25e9);
	rc->next = t0 + rc->period;
	rc->min_gap = rs->opt->max_event_rate_hz > 0 ? (int64_t)(1e9 / rs->opt->max_event_rate_hz) : 0;
	rc->last_start = t0 - rc->min_gap;
}

static void sleep_until_ns(int64_t t)
{
	struct timespec ts = { t / 1000000000, t % 1000000000 };

	while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR && !run_stop_signal)
		;
}

/* 1: the doorbell rang, 0: the timer. A signal returns early (either). */
static int wait_round(struct run_state *rs, struct round_clock *rc, bool measuring)
{
	struct pollfd pfd = { .fd = rs->doorbell_fd, .events = POLLIN };
	bool delayed = false;

	if (rs->doorbell_fd < 0) {
		sleep_until_ns(rc->next);
		return 0;
	}
	while (!run_stop_signal) {
		int64_t now = clock_mono_ns(), wait = rc->next - now, n;
		struct timespec ts;

		if (wait <= 0)
			return 0;
		ts = (struct timespec){ wait / 1000000000, wait % 1000000000 };
		n = ppoll(&pfd, 1, &ts, NULL);
		if (n <= 0 || !(pfd.revents & POLLIN))
			continue;                       /* EINTR or the timer: look again */
		now = clock_mono_ns();
		if (now - rc->last_start >= rc->min_gap) {
			if (delayed && measuring)
				rs->doorbell_rounds_delayed++;
			return 1;
		}
		delayed = true;                         /* coalesce: wait out the gap */
		sleep_until_ns(rc->last_start + rc->min_gap < rc->next ? rc->last_start + rc->min_gap : rc->next);
	}
	return 0;
}

static void drain_doorbell(struct run_state *rs, bool measuring)
{
	uint64_t count;

	if (rs->doorbell_fd >= 0 && read(rs->doorbell_fd, &count, sizeof(count)) == sizeof(count) && measuring)
		rs->doorbells += count;
}

/* A replica check stops the guest: the ticks it took are no overruns, and
 * the watchdog does not count the pause as a stall. */
static int periodic_check(struct run_state *rs, struct progress_watch *w, int64_t *next)
{
	uint64_t checks = rs->replica.checks;
	int status = replica_after_round(rs);
	int64_t now = clock_mono_ns();

	if (status || rs->replica.checks == checks)
		return status;
	w->last_ns = w->prev_wake_ns = now;
	if (*next < now)
		*next = now;
	return EXIT_OK;
}

static int scan_loop(struct run_state *rs)
{
	int64_t t0 = clock_mono_ns();
	int64_t warm = t0 + (int64_t)(rs->opt->warmup_s * 1e9);
	int64_t end = warm + (int64_t)(rs->opt->duration_s * 1e9);
	struct progress_watch watch = { rs->brun->progress(rs), t0, t0 };
	struct round_clock rc;
	bool measuring = false;

	round_clock_init(rs, &rc, t0);
	for (;;) {
		int by_doorbell = wait_round(rs, &rc, measuring);
		int64_t now = clock_mono_ns(), step;
		int status;

		if (run_stop_signal)
			return run_fail(rs, EXIT_RUN_FAILED, "stopped by signal %d", (int)run_stop_signal);
		if ((status = rs->brun->check(rs)))
			return status;
		if (!measuring && now >= warm) {
			if ((status = mark_window(rs, true)))
				return status;
			measuring = true;
		}
		if (now >= end)
			break;
		rc.last_start = now;
		drain_doorbell(rs, measuring);
		if (by_doorbell && measuring)
			rs->doorbell_rounds++;
		if ((status = run_scan_round(rs, measuring ? RUN_ROUND_MEASURED : RUN_ROUND_WARMUP)) ||
		    (status = watch_progress(rs, &watch, now)))
			return status;
		if (rs->opt->replica_check_rounds && (status = periodic_check(rs, &watch, &rc.next)))
			return status;
		if (by_doorbell) {
			/* The timer keeps its own schedule, unless the policy now
			 * wants to look sooner (auto woken by a write). */
			int64_t soon = now + policy_interval_ns(&rs->policy);

			if (rs->wake != RUN_WAKE_DOORBELL && soon < rc.next)
				rc.next = soon;
			continue;
		}
		step = rs->wake == RUN_WAKE_DOORBELL ? rc.period : policy_interval_ns(&rs->policy);
		rc.next += step;
		for (now = clock_mono_ns(); rc.next <= now; rc.next += step)
			rs->overruns++;
	}
	/* The guest's time: without the pauses of replica checks. */
	rs->measured_s = (double)(clock_mono_ns() - warm) / 1e9 -
			 clock_cycles_to_ns(&rs->clock, (double)rs->replica.paused_measured_cycles) / 1e9;
	return mark_window(rs, false);
}

/* Stop the guest, then one last round so every committed frame is checked. */
static int finish(struct run_state *rs)
{
	struct db_control *c = rs->be->control;
	int status;

	if ((status = rs->brun->stop(rs)) || (status = replica_final(rs)))
		return status;
	oracle_settle(&rs->oracle);
	if ((status = missed_check(rs)))
		return status;
	if (oracle_pending(&rs->oracle))
		return run_fail(rs, EXIT_RUN_FAILED, "%u frame(s) left unchecked after the final round",
				oracle_pending(&rs->oracle));
	if (c->overflow)
		return run_fail(rs, EXIT_RUN_FAILED, "the guest's damage ring overflowed: frames were lost");
	if ((status = collectors_finish(rs)))
		return status;
	policy_stop(&rs->policy);
	rs->strategy_started = false;
	if (c->target_fps_milli)
		rs->fps_milli = c->target_fps_milli;
	return rs->brun->finish ? rs->brun->finish(rs) : EXIT_OK;
}

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

/* The trace workload's file, read and checked before anything boots (a bad
 * one is bad input); only the KVM back end has guest memory to load it into. */
static int load_trace(struct run_state *rs, const struct workload_ctx *probe)
{
	char path[WORKLOAD_OPTIONS_MAX + 1], why[512];
	uint32_t len;
	const char *file = workload_opt_text(probe, "file", &len);

	if (!file)
		return run_fail(rs, EXIT_BAD_INPUT, "%s: give the trace with --wopt file=PATH", rs->winfo->name);
	snprintf(path, sizeof(path), "%.*s", (int)len, file);
	if (trace_file_load(path, rs->opt->width, rs->opt->height, NULL, &rs->trace_image,
			    &rs->trace_image_len, why, sizeof(why)))
		return run_fail(rs, EXIT_BAD_INPUT, "%s", why);
	if (rs->opt->backend != RUN_BACKEND_KVM)
		return run_fail(rs, EXIT_UNSUPPORTED, "%s: only the kvm back end loads a trace into its guest "
				"(a Xen domU would need the image in its shared region, not built)", rs->winfo->name);
	return EXIT_OK;
}

/* Names, options and geometry: everything checked before a guest exists. */
static int prepare(struct run_state *rs)
{
	const struct run_options *opt = rs->opt;
	struct workload_ctx probe = { 0 };
	uint32_t tile_w, tile_h;
	char why[256];
	int status;

	rs->sops = strategy_find(opt->strategy);
	if (!rs->sops)
		return run_fail(rs, EXIT_BAD_INPUT, "unknown strategy '%s' (see --list)", opt->strategy);
	if (strategy_options_parse(rs->sops, opt->strategy_options, rs->strategy.opt, why, sizeof(why)))
		return run_fail(rs, EXIT_BAD_INPUT, "%s", why);     /* before a guest boots for nothing */
	rs->winfo = workload_find(opt->workload);
	if (!rs->winfo)
		return run_fail(rs, EXIT_BAD_INPUT, "unknown workload '%s' (see --list)", opt->workload);
	if (workload_parse_options(rs->winfo, opt->workload_options ? opt->workload_options : "",
				   &probe, why, sizeof(why)))
		return run_fail(rs, EXIT_BAD_INPUT, "%s", why);       /* the parser names the workload */
	rs->pops = policy_find(opt->policy ? opt->policy : "fixed");
	if (!rs->pops)
		return run_fail(rs, EXIT_BAD_INPUT, "unknown policy '%s' (see --list)", opt->policy);
	if (policy_options_parse(rs->pops, opt->policy_options, rs->popt, why, sizeof(why)) ||
	    policy_check(rs->pops, rs->sops, rs->popt, why, sizeof(why)))
		return run_fail(rs, EXIT_BAD_INPUT, "%s", why);
	if (rs->pops->timer_only && opt->wake != RUN_WAKE_DEFAULT && opt->wake != RUN_WAKE_TIMER)
		return run_fail(rs, EXIT_BAD_INPUT, "--wake %s: policy %s takes rounds on its timer alone",
				opt->wake == RUN_WAKE_DOORBELL ? "doorbell" : "both", rs->pops->name);
	rs->wake = opt->wake != RUN_WAKE_DEFAULT ? opt->wake :
		   (rs->sops->wakes_on_doorbell && !rs->pops->timer_only) || rs->pops->wakes_on_write ?
		   RUN_WAKE_BOTH : RUN_WAKE_TIMER;
	if (rs->wake != RUN_WAKE_TIMER && !rs->sops->wakes_on_doorbell && !rs->pops->wakes_on_write)
		return run_fail(rs, EXIT_BAD_INPUT, "--wake %s: strategy %s rings no doorbell (--list --json: no \"doorbell\" in its needs)",
				rs->wake == RUN_WAKE_DOORBELL ? "doorbell" : "both", rs->sops->name);
	pick_tiles(opt, rs->sops, &tile_w, &tile_h);
	if (fb_geometry_init(&rs->geo, opt->width, opt->height, tile_w, tile_h, why, sizeof(why)))
		return run_fail(rs, EXIT_BAD_INPUT, "%s", why);
	if (rs->winfo->needs_file && (status = load_trace(rs, &probe)))
		return status;
	rs->fps_milli = probe.fps_milli;      /* the parse applies the default or an fps= option */
	hist_init(&rs->scan_ns);
	if (opt->replica_check_rounds && !rs->brun->pause)
		return run_fail(rs, EXIT_UNSUPPORTED, "--replica-check: the %s back end cannot stop its guest "
				"between two frames (only the final check runs there)", rs->brun->name);
	if (backend_probe(opt, rs->sops, why, sizeof(why)) == EXIT_UNSUPPORTED)
		return run_fail(rs, EXIT_UNSUPPORTED, "strategy %s cannot run on %s here: %s", rs->sops->name,
				rs->brun->name, why);
	return EXIT_OK;
}

static int run_sequence(struct run_state *rs)
{
	int status;

	cpu_pin_self(rs->brun->scan_cpu);
	if ((status = prepare(rs)) || (status = collectors_open(rs, COLLECT_BEFORE_BOOT)) ||
	    (status = rs->brun->open(rs)) || (status = init_strategy(rs)) ||
	    (status = rs->brun->start_guest(rs)) || (status = arm(rs)))
		return status;
	rs->brun->go(rs);
	if ((status = scan_loop(rs)) || (status = finish(rs)))
		return status;
	return EXIT_OK;
}

/* Always, also after a failure: the guest first (a running vCPU may still
 * call into the strategy), then the strategy, then everything else. */
static void teardown(struct run_state *rs)
{
	collectors_close(rs);
	if (rs->brun->halt)
		rs->brun->halt(rs);
	if (rs->strategy_started)
		policy_stop(&rs->policy);
	if (rs->policy_ready)
		policy_fini(&rs->policy);
	strategy_fini(&rs->strategy);
	dirty_set_free(&rs->dirty);
	oracle_fini(&rs->oracle);
	replica_fini(&rs->replica);
	if (rs->brun->close)
		rs->brun->close(rs);
	for (size_t i = 0; i < rs->ncollectors; i++)
		free(rs->collectors[i].priv);
	free(rs->backend_priv);
	free(rs->trace_image);
}

static struct run_state *run_state_new(const struct run_options *opt)
{
	struct run_state *rs = calloc(1, sizeof(*rs));
	time_t now = time(NULL);

	if (!rs)
		return NULL;
	rs->opt = opt;
	rs->kvm_vm_fd = rs->kvm_vcpu_fd = rs->doorbell_fd = -1;
	rs->brun = backend_run_find(opt->backend);
	rs->backend_priv = calloc(1, rs->brun->priv_size ? rs->brun->priv_size : 1);
	if (!rs->backend_priv) {
		free(rs);
		return NULL;
	}
	strftime(rs->started_at, sizeof(rs->started_at), "%Y-%m-%dT%H:%M:%SZ", gmtime(&now));
	return rs;
}

int run_once(const struct run_options *opt, json_t **result, char *err, size_t errlen)
{
	struct run_state *rs = run_state_new(opt);
	int status;

	*result = NULL;
	if (!rs) {
		snprintf(err, errlen, "out of memory");
		return EXIT_RUN_FAILED;
	}
	status = run_sequence(rs);
	if (!status) {
		*result = result_build(rs);
		if (!*result)
			status = run_fail(rs, EXIT_RUN_FAILED, "could not build the result");
	}
	if (status)
		snprintf(err, errlen, "%s", rs->error);
	teardown(rs);
	free(rs);
	return status;
}
