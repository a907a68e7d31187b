/*
 * One run: boot the micro-VM with a workload, arm a strategy, scan at a
 * fixed rate while the oracle checks every round, then stop and summarise.
 */
#ifndef DIRTYBENCH_RUN_H
#define DIRTYBENCH_RUN_H

#include <jansson.h>
#include <stddef.h>

#include "core/options.h"

/* EXIT_OK with *result set, or EXIT_RUN_FAILED / EXIT_BAD_INPUT with err. */
int run_once(const struct run_options *opt, json_t **result, char *err, size_t errlen);

#endif

#ifdef DIRTYBENCH_RUN_STATE
/* The state of one run, shared with the result writer (bench/result.c). */
#include "core/clock.h"
#include "core/histogram.h"
#include "collectors/kvm_stats.h"
#include "collectors/perf_counters.h"
#include "collectors/perf_record.h"
#include "backends/kvm/kvm_vcpu.h"
#include "backends/kvm/kvm_vm.h"
#include "collectors/membw.h"
#include "core/oracle.h"
#include "core/strategy.h"
#include "vnc/vnc_run.h"
#include "workloads/workload.h"

struct run_state;

/* What the shared measuring loop (run_measure) needs from a back end's guest. */
struct run_guest_ops {
	/* EXIT_OK, or why the guest cannot go on (status, err); every round. */
	int (*check)(struct run_state *rs, char *err, size_t len);
	/* A count that grows while the guest works (frames, exits). */
	uint64_t (*progress)(struct run_state *rs);
	/* No progress for watchdog_s: stop the guest, say why (status, err). */
	double watchdog_s;
	int (*stalled)(struct run_state *rs, char *err, size_t len);
	/* The back end's own counters at the measured window's edges, or NULL. */
	void (*mark)(struct run_state *rs, bool start);
	/* Ask the guest to finish its frame and stop; wait until it has. */
	int (*stop)(struct run_state *rs, char *err, size_t len);
};

struct run_state {
	const struct run_options *opt;
	const struct run_guest_ops *guest;
	struct backend *be;             /* &vm.be, or the Xen domain's */
	const struct strategy_ops *sops;
	const struct workload_ops *wops;
	struct fb_geometry geo;
	struct kvm_vm vm;
	struct strategy strategy;
	struct vcpu_thread vcpu;
	struct clock_base clock;
	struct oracle oracle;
	struct dirty_set dirty;
	struct hist scan_ns;
	struct kvm_stats vm_stats, vcpu_stats;
	struct perf_counters perf_vcpu, perf_scan;
	struct perf_record perf_rec;    /* --perf-record */
	uint64_t rounds_measured;
	uint64_t pages_reported;        /* page-granular strategies: pages over the measured rounds */
	uint64_t rounds_with_pages;     /* measured rounds that reported pages */
	uint64_t overruns;              /* ticks skipped because a round ran long */
	double measured_s;              /* wall time of the measured window */
	double scan_cpu_s;              /* scan thread CPU time in the window, all of it */
	double strategy_cpu_s;          /* ... of which inside the strategy's scans */
	int64_t period_ns;              /* the scan clock's actual period */
	uint64_t exits_start, exits_end;
	uint64_t io_exits_start, io_exits_end;
	uint64_t ring_full_start, ring_full_end;
	uint32_t fps_milli;             /* the workload's frame rate */
	bool strategy_started;          /* started and not yet stopped */
	struct vnc_run vnc;             /* --vnc */
	struct membw_floor membw;       /* measured before boot, for "calibration" */
	bool membw_ok;
	char started_at[32];            /* ISO 8601 UTC */
};

/* Shared with the Xen run driver (bench/xen/run.c). */
int run_error(char *err, size_t len, int status, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
int run_prepare(struct run_state *rs, const struct run_options *opt, char *err, size_t len);
/* The host's part of the control page: the run the guest is to draw. */
void run_fill_control(struct run_state *rs, struct db_control *c, uint32_t vram_bytes, uint64_t vram_gva,
		      uint64_t tsc_khz);
/* After the strategy is initialised: the scan period, the dirty set, the clock. */
int run_setup_scan(struct run_state *rs, uint64_t tsc_khz, char *err, size_t len);
/* Start the strategy (the guest is READY), then the oracle over the guest's
 * frame and rect rings, and the scan thread's counters. */
int run_arm(struct run_state *rs, const struct db_rect *rect_ring, char *err, size_t len);
/* Scan at the fixed rate through warm-up and the measured window, stop the
 * guest, check the last frames, stop the strategy. */
int run_measure(struct run_state *rs, char *err, size_t len);
int run_scan_round(struct run_state *rs, bool measured, char *err, size_t len);
int64_t run_scan_period_ns(const struct run_options *opt);
#endif
