/*
 * --perf-record: `perf record -g` attached to run-bench's own threads for
 * exactly the measured window, its data left beside the result. perf starts
 * disabled after the guest has booted (so it sees the vCPU thread) and is
 * switched on and off through its control fifo, acknowledged, so warm-up and
 * teardown stay out of the profile.
 */
#ifndef DIRTYBENCH_PERF_RECORD_H
#define DIRTYBENCH_PERF_RECORD_H

#include <jansson.h>
#include <stdbool.h>
#include <sys/types.h>

struct perf_record {
	pid_t pid;                      /* perf's, 0: not running */
	int ctl_fd, ack_fd;             /* our ends of its control pipes */
	bool enabled_once;
	bool reaped;                    /* perf died and was waited for already */
	bool unsupported;               /* perf could not be run at all */
	char path[4096];
	char error[256];                /* why it failed; the run goes on without it */
};

/* Attach perf to this process, disabled; EXIT_OK, or the status the failure
 * deserves (core/status.h: a folder it cannot write 2, no perf 4, perf died
 * 1) with p->error. */
int perf_record_start(struct perf_record *p, const char *path);
/* Switch sampling on (true) or off, waiting for perf's acknowledgement; -1
 * with p->error, "perf died during the run (...)" when it is gone. */
int perf_record_enable(struct perf_record *p, bool on);
/* Stop perf and let it write the file; 0 when the file is complete. */
int perf_record_stop(struct perf_record *p);
/* {"path","status","error"?} for the result. */
json_t *perf_record_json(const struct perf_record *p);

#endif
