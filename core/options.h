/* Everything that defines one run; filled by the CLI (core/cli.c). */
#ifndef DIRTYBENCH_OPTIONS_H
#define DIRTYBENCH_OPTIONS_H

#include <stdbool.h>
#include <stdint.h>

#include "core/status.h"

enum run_backend { RUN_BACKEND_KVM = 0, RUN_BACKEND_XEN };
/* What starts a scan round (--wake). DEFAULT: BOTH for a strategy that rings
 * a doorbell, TIMER for the others. */
enum run_wake { RUN_WAKE_DEFAULT = 0, RUN_WAKE_TIMER, RUN_WAKE_DOORBELL, RUN_WAKE_BOTH };

struct run_options {
	enum run_backend backend;       /* --backend */
	const char *domain;             /* --domain: the Xen domU to measure */
	const char *strategy;
	const char *workload;
	const char *workload_options;   /* "k=v,k=v" for the workload */
	const char *strategy_options;   /* "k=v,k=v" for the strategy */
	const char *policy;             /* --policy: NULL is fixed */
	const char *policy_options;     /* --popt "k=v,k=v" */
	double duration_s;
	double warmup_s;
	double rate_hz;
	double phase_sweep_s;           /* scan clock vs guest frame clock: one full phase turn per this */
	enum run_wake wake;             /* --wake */
	double max_event_rate_hz;       /* --max-event-rate: doorbell rounds at most this often; 0: no bound */
	uint32_t replica_check_rounds;  /* --replica-check: stop-the-world check every N rounds; 0: final only */
	uint32_t width, height;
	uint32_t tile_w, tile_h;        /* 0: the seed's 64x128 strips */
	uint64_t seed;
	uint32_t dirty_ring_bytes;
	const char *out;                /* file, "-" for stdout, NULL: under results_dir */
	const char *results_dir;
	int repeat;                     /* runs of the same configuration (--repeat) */
	bool quiet;
	bool allow_misses;
	bool no_counters;               /* --no-counters: no perf_event_open counters */
	bool perf_record;               /* --perf-record: perf record over the measured window */
	const char *perf_record_path;   /* where this run's perf data goes (set per run) */
	/* --vnc: serve the framebuffer over RFB (bench/vnc_run.h) */
	bool vnc;
	bool vnc_no_client;             /* serve only, for live viewing */
	int vnc_port;                   /* 0: first free from 5900 */
	const char *vnc_listen;         /* NULL: 127.0.0.1 */
	const char *vnc_password;
	const char *vnc_encoding;       /* the measuring client's */
	const char *vnc_dump;           /* test aid: what other clients were sent, as PPM */
	int argc;
	char **argv;
};

#endif
