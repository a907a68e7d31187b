/*
 * A back end's whole run: the table each back end (one folder under
 * backends/) fills, and the run driver (core/run.c) calls, for every back
 * end alike. core/backend.h is the other half: what strategies ask of the
 * hypervisor during the run.
 *
 * The order of a run, and who does what:
 *   probe          can this host run the strategy here? (EXIT_UNSUPPORTED + why)
 *   open           boot the VM or attach to the domain; set rs->be, rs->tsc_khz,
 *                  rs->rect_ring; fill the control page (run_fill_control)
 *     core         strategy init, scan clock, dirty set
 *   start_guest    the guest runs its workload's set-up and says READY; the
 *                  guest's TSC offset is known (rs->be->guest_tsc_offset);
 *                  rs->vcpu_tid names the host thread running its vCPU, if any
 *     core         strategy start, oracle, collectors that attach to the guest
 *   go             the guest may draw frame 0
 *     core         the scan loop: check every round, progress for the watchdog,
 *                  mark at the window's edges; then stop, the last round
 *   finish         optional: after the last round (e.g. a closing clock check)
 *   result         the back end's own members of the result: "platform",
 *                  "exits", guest.{frames_total, dropped_total, cpu_probe,
 *                  tsc_calibration}, and its own block ("xen")
 *   halt, close    always, also after a failure: halt stops a guest still
 *                  running (before the strategy is stopped), close frees all
 * Every hook that can fail returns EXIT_OK or an EXIT_* status with the reason
 * in rs->error (core/status.h).
 */
#ifndef DIRTYBENCH_BACKEND_RUN_H
#define DIRTYBENCH_BACKEND_RUN_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/options.h"
#include "core/schema_field.h"

struct run_state;
struct strategy_ops;

struct backend_run_ops {
	const char *name;
	size_t priv_size;               /* the back end's run state, rs->backend_priv */
	int scan_cpu;                   /* pin the scan thread here before anything runs; -1: do not */
	int (*probe)(const struct run_options *opt, const struct strategy_ops *sops, char *why, size_t len);
	int (*open)(struct run_state *rs);
	int (*start_guest)(struct run_state *rs);
	void (*go)(struct run_state *rs);
	/* Every round: EXIT_OK, or why the guest cannot go on. */
	int (*check)(struct run_state *rs);
	/* A count that grows while the guest works (frames, exits). */
	uint64_t (*progress)(struct run_state *rs);
	double watchdog_s;              /* no progress this long: stalled() */
	int (*stalled)(struct run_state *rs);
	/* Optional: the back end's own counters at the measured window's edges. */
	void (*mark)(struct run_state *rs, bool start);
	/* Optional (without: --replica-check N is refused, only the final check
	 * runs): stop the guest between two frames (KVM: the vCPU parks at the
	 * guest's next sleep; Xen: paused while db_control.drawing is 0),
	 * waiting a bounded time;
	 * *paused 0 when it did not get there in time (the check is skipped),
	 * 1 when it did, and then resume lets it go on. core/replica.h. */
	int (*pause)(struct run_state *rs, int *paused);
	int (*resume)(struct run_state *rs);
	/* Ask the guest to finish its frame and stop; wait until it has. */
	int (*stop)(struct run_state *rs);
	int (*finish)(struct run_state *rs);    /* optional */
	json_t *(*platform)(struct run_state *rs);
	int (*result)(struct run_state *rs, json_t *result);
	void (*halt)(struct run_state *rs);
	void (*close)(struct run_state *rs);
	/* Members its results must have beyond core's (core/schema.c). */
	const struct schema_field *schema;
};

extern const struct backend_run_ops kvm_run_ops, xen_run_ops;

/* The back end a run asks for (--backend). */
const struct backend_run_ops *backend_run_find(enum run_backend kind);
/* The back end named by a result's run.backend (NULL: unknown). */
const struct backend_run_ops *backend_run_by_name(const char *name);

#endif
