/*
 * Exit statuses, and the one error rule of the run-bench code.
 *
 * The rule: a function that can fail returns a status (EXIT_OK, or the exit
 * status the failure deserves) and writes ONE line saying why into the
 * run's message buffer, struct run_state's error[], through run_fail()
 * (core/run_state.h). Lower layers that know nothing of a run (a strategy,
 * a back end's hypervisor hooks, a collector's reader) return -1 with their
 * own reason in their object's error[]; the run driver turns that into a
 * status and a line in the run's buffer, adding what it was doing. Nothing
 * prints and exits from deep inside (no die()): run-bench's main prints the
 * run's one line and exits with the status.
 *
 * A figure that could not be measured is not a failure: it is written as
 * null (or "available": false) with a reason in the result.
 */
#ifndef DIRTYBENCH_STATUS_H
#define DIRTYBENCH_STATUS_H

enum {
	EXIT_OK = 0,
	EXIT_RUN_FAILED = 1,    /* guest crash or stall, missed update, hypervisor error */
	EXIT_BAD_INPUT = 2,     /* bad option, unknown name, a framebuffer too large */
	/* This host cannot run it: no usable /dev/kvm, no dirty ring, a strategy
	 * the back end cannot offer, run-bench built without Xen, not dom0. The
	 * number is kselftest's KSFT_SKIP: scripts record it as unsupported. */
	EXIT_UNSUPPORTED = 4,
};

#endif
