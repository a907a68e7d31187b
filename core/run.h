/*
 * One run: the back end brings up its guest with a workload, a strategy is
 * armed, the scan loop runs at a fixed rate while the oracle checks every
 * round and the collectors measure around it; then stop and summarise.
 * The sequence is in core/run.c; the state in core/run_state.h.
 */
#ifndef DIRTYBENCH_RUN_H
#define DIRTYBENCH_RUN_H

#include <jansson.h>
#include <signal.h>
#include <stddef.h>
#include <stdint.h>

#include "core/options.h"

/* Set by run-bench's SIGINT/SIGTERM/SIGHUP handler (core/main.c) to the
 * signal's number: the scan loop stops the run at its next round (a failed
 * run, no result). */
extern volatile sig_atomic_t run_stop_signal;

/* EXIT_OK with *result set, or another EXIT_* status (core/status.h) with
 * the run's one line in err. */
int run_once(const struct run_options *opt, json_t **result, char *err, size_t errlen);
/* The scan clock's period: 1/rate, a little faster with --phase-sweep. */
int64_t run_scan_period_ns(const struct run_options *opt);

#endif
