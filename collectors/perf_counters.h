/*
 * Host counters through perf_event_open, per thread (the vCPU thread and the
 * scan thread): software events (page faults, context switches, task clock),
 * hardware cycles/instructions where the host has a PMU, and the kvm:*
 * tracepoints (exits, page faults, dirty-ring pushes). A counter this host
 * lacks is recorded as unavailable with the reason, never as zero.
 */
#ifndef DIRTYBENCH_PERF_COUNTERS_H
#define DIRTYBENCH_PERF_COUNTERS_H

#include <jansson.h>
#include <stdint.h>
#include <sys/types.h>

#define PERF_MAX_COUNTERS 16

struct perf_counter {
	const char *name;
	int fd;                         /* -1: unavailable */
	char reason[96];
	uint64_t start, end;            /* scaled for multiplexing */
	double running_fraction;        /* time running / time enabled */
};

struct perf_counters {
	pid_t tid;
	unsigned n;
	struct perf_counter c[PERF_MAX_COUNTERS];
};

/* Open every counter for thread tid; never fails as a whole. */
void perf_counters_open(struct perf_counters *p, pid_t tid);
/* Every counter recorded as not collected, for the reason given. */
void perf_counters_skip(struct perf_counters *p, const char *reason);
void perf_counters_close(struct perf_counters *p);
void perf_counters_mark(struct perf_counters *p, int begin);
/* {name: {"delta","per_frame","per_s","running_fraction"} | {"available":false,"reason"}} */
json_t *perf_counters_json(const struct perf_counters *p, double frames, double seconds);
/* Where tracefs is, or NULL; mounts it at /sys/kernel/tracing when root and
 * it is not mounted anywhere (recorded in *mounted). */
const char *perf_tracefs(int *mounted);

#endif
