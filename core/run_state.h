/*
 * The state of one run, shared by the run driver (core/run.c), the result
 * builder (core/result.c), the back ends' run hooks (backends/X/run.c) and
 * the collectors. What belongs to one back end or one collector lives in its
 * own private state (backend_priv, collector.priv), not here.
 */
#ifndef DIRTYBENCH_RUN_STATE_H
#define DIRTYBENCH_RUN_STATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "core/backend_run.h"
#include "core/clock.h"
#include "core/collector.h"
#include "core/histogram.h"
#include "core/options.h"
#include "core/oracle.h"
#include "core/policy.h"
#include "core/replica.h"
#include "core/strategy.h"
#include "workloads/workload.h"

#define RUN_COLLECTORS_MAX 16

struct run_state {
	const struct run_options *opt;
	const struct backend_run_ops *brun;     /* the back end's run */
	void *backend_priv;                     /* its state, brun->priv_size bytes */
	struct backend *be;                     /* its hypervisor view, set by open */
	uint64_t tsc_khz;                       /* set by open */
	const struct db_rect *rect_ring;        /* the guest's damage rects, set by open */
	pid_t vcpu_tid;                         /* host thread running the guest's vCPU; 0: none */
	const char *no_vcpu_tid;                /* ... and why not */
	int kvm_vm_fd, kvm_vcpu_fd;             /* KVM's VM and vCPU, for KVM_GET_STATS_FD; -1 elsewhere */
	const struct strategy_ops *sops;
	const struct workload_info *winfo;
	struct fb_geometry geo;
	struct strategy strategy;
	const struct policy_ops *pops;          /* --policy (fixed by default) */
	struct strategy_option_value popt[STRATEGY_MAX_OPTIONS];
	struct policy policy;                   /* drives the strategy's rounds (core/policy.h) */
	bool policy_ready;                      /* initialised: fini it */
	struct clock_base clock;
	struct oracle oracle;
	struct replica replica;                 /* the consumer's copy (core/replica.h) */
	struct dirty_set dirty;
	struct hist scan_ns;
	struct collector collectors[RUN_COLLECTORS_MAX];
	size_t ncollectors;
	uint64_t rounds_measured;
	uint64_t pages_reported;        /* page-granular strategies: pages over the measured rounds */
	uint64_t rounds_with_pages;     /* measured rounds that reported pages */
	uint64_t overruns;              /* ticks skipped because a round ran long */
	uint64_t host_stalls;           /* times the scan thread itself did not run for watchdog_s / 2 */
	int64_t host_stall_max_ns;
	double measured_s;              /* wall time of the measured window */
	double scan_cpu_s;              /* scan thread CPU time in the window, all of it */
	double strategy_cpu_s;          /* ... of which inside the strategy's scans */
	int64_t period_ns;              /* the scan clock's actual period */
	enum run_wake wake;             /* resolved: TIMER, DOORBELL or BOTH */
	int doorbell_fd;                /* the back end's, when woken by it; -1 otherwise */
	uint64_t doorbells;             /* measured window: doorbells rung (the fd's counts) */
	uint64_t doorbell_rounds;       /* measured rounds a doorbell started */
	uint64_t doorbell_rounds_delayed; /* ... held back by --max-event-rate first */
	uint32_t fps_milli;             /* the workload's frame rate */
	void *trace_image;              /* trace workload: its replay image (core/trace_file.h) */
	size_t trace_image_len;
	bool strategy_started;          /* started and not yet stopped */
	char started_at[32];            /* ISO 8601 UTC */
	char error[2048];               /* the run's one message (core/status.h) */
};

/* Write the run's one line and return status (core/status.h's rule). */
int run_fail(struct run_state *rs, int status, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* For back ends' open: the host's part of the control page, the run the
 * guest is to draw. */
void run_fill_control(struct run_state *rs, struct db_control *c, uint32_t vram_bytes, uint64_t vram_gva);

enum run_round {
	RUN_ROUND_WARMUP,       /* before the measured window */
	RUN_ROUND_MEASURED,
	RUN_ROUND_QUIET,        /* the guest stopped: scan_quiet, no statistics (core/replica.h) */
};

/* One scan round, judged by the oracle (core/run.c). */
int run_scan_round(struct run_state *rs, enum run_round kind);

/* What a consumer copies reported tiles from: a content-comparing strategy's
 * own copy (what it compared, as QEMU's VNC server does), else VRAM. */
const uint8_t *run_tile_source(const struct run_state *rs);

#endif
