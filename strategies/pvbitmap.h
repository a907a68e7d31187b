/*
 * The pvbitmap backend (seed 000), shared by `pvbitmap` (the seed's page:
 * two 64x128 bitmaps and the indicator) and `pvbitmap-fine` (two whole-page
 * bitmaps, the indicator in the control page). The frontend is the guest
 * runtime's library, workloads/guest/pvfront.c.
 */
#ifndef DIRTYBENCH_STRATEGIES_PVBITMAP_H
#define DIRTYBENCH_STRATEGIES_PVBITMAP_H

#include "core/histogram.h"
#include "core/strategy.h"

/* Where the shared state lives, in guest physical memory. */
struct pvbitmap_layout {
	const char *name;               /* for the report */
	uint64_t state_gpa;
	uint64_t bitmap_gpa[2];
	size_t bitmap_bits;             /* capacity of one bitmap */
	uint32_t max_cols;              /* 0: any, as long as it fits */
	size_t shared_bytes;            /* guest memory the protocol uses */
};

struct pvbitmap {
	struct db_pv_state *st;
	uint64_t *bitmap[2];
	uint32_t words_per_row;
	const char *layout;
	bool sync, early;
	long lead_us, wait_us;
	uint32_t consumed;              /* our last published drain */
	uint32_t req;                   /* our last switch request */
	uint64_t period_cycles, lead_cycles, wait_cycles;
	uint64_t anchor;                /* host TSC: rounds are due at anchor + k * period */
	uint64_t next_round;            /* host TSC our next round is due at */
	uint64_t tsc_khz;
	/* Counters for the report. */
	uint64_t rounds, drains, tiles_drained;
	uint64_t stopped_drains;        /* rounds taken with the guest stopped (scan_quiet) */
	uint64_t sync_no_switch;        /* requested: no switch since the last drain */
	uint64_t sync_marked_after;     /* requested: marks landed after the timer switch */
	uint64_t fallbacks;             /* request unanswered in wait_us: whole screen */
	uint64_t quiet;                 /* no switch, nothing marked: nothing to do */
	uint64_t deferred;              /* sync=0: no switch, marks wait a round */
	uint64_t left_for_later;        /* sync=0: marks after the switch wait a round */
	uint64_t arm_kicks;             /* woke a sleeping guest to re-arm its timer */
	struct hist wait_ns;            /* request to switch seen */
};

/* Parse options, check the run's tiling fits, enable the frontend. */
int pvbitmap_setup(struct strategy *s, struct pvbitmap *p, const struct pvbitmap_layout *l);
/* Arm the first timer (the guest is READY, the TSC offset known). */
int pvbitmap_arm_first(struct strategy *s, struct pvbitmap *p);
int pvbitmap_scan_once(struct strategy *s, struct pvbitmap *p, struct dirty_set *out);
void pvbitmap_report(const struct pvbitmap *p, json_t *obj);

/* Hooks both ops tables use (s->priv is a struct pvbitmap). */
int pvbitmap_hook_start(struct strategy *s);
int pvbitmap_hook_scan(struct strategy *s, struct dirty_set *out);
int pvbitmap_scan_quiet(struct strategy *s, struct pvbitmap *p, struct dirty_set *out);
int pvbitmap_hook_scan_quiet(struct strategy *s, struct dirty_set *out);
void pvbitmap_hook_fini(struct strategy *s);
void pvbitmap_hook_report(struct strategy *s, json_t *obj);

/* --sopt sync, lead_us, wait_us, early: both ops tables take these. */
extern const struct strategy_option_spec pvbitmap_options[];

#endif
