/*
 * One run: boot the micro-VM with a workload, arm a strategy, scan at a
 * fixed rate while the oracle checks every round, then stop and summarise.
 */
#ifndef DIRTYBENCH_RUN_H
#define DIRTYBENCH_RUN_H

#include <jansson.h>
#include <stddef.h>

#include "options.h"

/* EXIT_OK with *result set, or EXIT_RUN_FAILED / EXIT_BAD_INPUT with err. */
int run_once(const struct run_options *opt, json_t **result, char *err, size_t errlen);

#endif

#ifdef DIRTYBENCH_RUN_STATE
/* The state of one run, shared with the result writer (bench/result.c). */
#include "clock.h"
#include "histogram.h"
#include "kvm_stats.h"
#include "perf_counters.h"
#include "perf_record.h"
#include "kvm_vcpu.h"
#include "kvm_vm.h"
#include "membw.h"
#include "oracle.h"
#include "strategy.h"
#include "vnc_run.h"
#include "../workloads/workload.h"

struct run_state {
	const struct run_options *opt;
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
	struct vnc_run vnc;             /* --vnc */
	struct membw_floor membw;       /* measured before boot, for "calibration" */
	bool membw_ok;
	char started_at[32];            /* ISO 8601 UTC */
};

/* Shared with the Xen run driver (bench/xen/run.c). */
int run_prepare(struct run_state *rs, const struct run_options *opt, char *err, size_t len);
int run_scan_round(struct run_state *rs, bool measured, char *err, size_t len);
int64_t run_scan_period_ns(const struct run_options *opt);
#endif
