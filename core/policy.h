/*
 * Scan policies: when the run looks, and with which tracking mechanism, apart
 * from how a mechanism finds changes (a strategy). One file each in
 * policies/, one const struct policy_ops each, listed in policies/registry.c.
 * `fixed` is a scan every period with the run's strategy (the suite before
 * policies); the others are QEMU's adaptive VNC refresh, Xen's 2-second rule,
 * vmwgfx's two dirty-tracking methods, and an `auto` of ours.
 *
 * The harness (core/policy.c) owns what every policy needs done right: the
 * mechanisms (the run's strategy and any the policy adds), switching between
 * them without losing a write (arm the new one, take the old one's last
 * round, disarm it), write-protecting VRAM to sleep and the wake, and the
 * accounting: time in each mode, every switch and its cost, and a timeline
 * of host and guest cost for the result.
 */
#ifndef DIRTYBENCH_POLICY_H
#define DIRTYBENCH_POLICY_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "core/option_table.h"
#include "core/strategy.h"

#define POLICY_MECHANISMS 2
#define POLICY_MODES 4
#define POLICY_TIMELINE_BINS 2048

struct policy;

struct policy_ops {
	const char *name;
	const char *description;
	unsigned needs;         /* back-end features beyond the strategy's (enum backend_feature) */
	const struct strategy_option_spec *options;     /* --popt */
	/* Doorbell rounds are not its rounds: the run's timer alone starts them
	 * (QEMU's refresh timer sends what a guest flush marked). */
	bool timer_only;
	/* A sleep is ended by the guest's first write at once: the back end
	 * rings its doorbell from the write fault, and a round starts then, so
	 * a long interval costs no latency after idle (BACKEND_DOORBELL). */
	bool wakes_on_write;
	/* Optional: false with the reason when the options contradict each
	 * other (exit 2). */
	bool (*options_ok)(const struct strategy_option_value *popt, char *why, size_t len);
	/* Optional: false with the reason when the policy cannot drive this
	 * strategy (exit 2). popt: the parsed --popt. */
	/* The policy's own state: this many bytes, zeroed, in p->priv before
	 * init, freed after fini (which a policy needs only for more). */
	size_t priv_size;
	bool (*applies)(const struct strategy_ops *sops, const struct strategy_option_value *popt,
			char *why, size_t len);
	/* Optional: name the modes (policy_set_modes), add mechanisms
	 * (policy_add_mechanism), choose the first (p->current). -1 with p->error. */
	int (*init)(struct policy *p);
	/* One tick of the scan clock: a round into out (zeroed), by
	 * policy_scan(), or none (a policy asleep or waiting). -1 with p->error. */
	int (*tick)(struct policy *p, struct dirty_set *out);
	/* Optional: when the next tick comes, from now; absent: the run's period. */
	int64_t (*interval_ns)(struct policy *p);
	/* Optional: its own counters into the result's policy object. */
	void (*report)(struct policy *p, json_t *obj);
	void (*fini)(struct policy *p);
};

struct policy_switch_cost {
	uint64_t count;
	uint64_t total_ns, max_ns;
};

struct policy_bin {
	uint64_t host_ns;       /* scan rounds' wall time, switches included */
	uint64_t guest_ns;      /* guest drawing time of the frames committed in the bin */
	uint32_t rounds, tiles; /* rounds taken, tiles they reported */
	uint8_t mode;           /* the mode at the bin's last round */
	uint8_t phase;          /* the workload's phase then (db_control.phase) */
	bool used;
};

struct policy {
	const struct policy_ops *ops;
	struct strategy_option_value opt[STRATEGY_MAX_OPTIONS];
	struct backend *be;
	const struct fb_geometry *geo;
	struct strategy *mech[POLICY_MECHANISMS];       /* [0]: the run's strategy, not owned */
	struct strategy added[POLICY_MECHANISMS];       /* [i] backs mech[i] for i > 0 */
	bool armed[POLICY_MECHANISMS];
	unsigned nmech, current;
	int64_t period_ns;      /* the run's scan period */
	uint64_t tsc_khz;
	/* Sleep: VRAM write-protected, no round until the guest writes. */
	bool asleep;
	unsigned awake_mode;    /* the mode to return to; a policy that sleeps names "asleep" last */
	uint64_t sleeps, wakes, sleep_rechecks_found, ticks_asleep;
	struct policy_switch_cost protect_cost, wake_cost;
	/* Modes, for the accounting: names set by init; time in each. */
	const char *mode_names[POLICY_MODES];
	unsigned nmodes, mode;
	uint64_t mode_since_ns, mode_ns[POLICY_MODES];
	struct policy_switch_cost switches[POLICY_MECHANISMS][POLICY_MECHANISMS];
	uint64_t mode_changes;
	/* The timeline of the measured window. */
	bool measuring;
	uint64_t window_start_ns, bin_ns;
	struct policy_bin bins[POLICY_TIMELINE_BINS];
	unsigned nbins;
	uint64_t host_ns, guest_ns;     /* the window's totals */
	uint64_t host_ns_all, guest_ns_all; /* the same since the start, warm-up included: for decisions */
	struct dirty_set scratch;       /* a second round within one tick (switch, sleep) */
	const volatile uint32_t *phase; /* the guest's db_control.phase */
	void *priv;
	char error[640];        /* room for a mechanism's or the back end's message */
};

extern const struct policy_ops *const policy_registry[];
const struct policy_ops *policy_find(const char *name);
/* -1 with a reason when a table lacks a hook or its options are malformed. */
int policy_ops_validate(const struct policy_ops *ops, char *err, size_t len);
/* --popt against ops->options into opt[]: -1 with one line. */
int policy_options_parse(const struct policy_ops *ops, const char *options,
			 struct strategy_option_value *opt, char *err, size_t len);
/* Can this policy drive sops? 0, or -1 with one line (bad input, exit 2). */
int policy_check(const struct policy_ops *ops, const struct strategy_ops *sops,
		 const struct strategy_option_value *popt, char *err, size_t len);

/* The run's side (core/run.c). strategy is the run's, initialised; the
 * options are the parsed --popt. */
int policy_init(struct policy *p, const struct policy_ops *ops, struct strategy *strategy,
		const struct strategy_option_value *popt, uint64_t tsc_khz, int64_t period_ns,
		double duration_s, const volatile uint32_t *phase);
/* Arm the first mechanism. */
int policy_start(struct policy *p);
/* A tick: the policy's round, or none (out left empty). */
int policy_tick(struct policy *p, struct dirty_set *out);
/* The guest is stopped: everything that may be dirty now, from the armed
 * mechanism (asleep and no write seen: nothing is). */
int policy_scan_quiet(struct policy *p, struct dirty_set *out);
int64_t policy_interval_ns(struct policy *p);
/* What a consumer copies reported tiles from: the current mechanism's copy
 * of VRAM when it compares content, else VRAM. */
const uint8_t *policy_tile_source(struct policy *p);
/* The measured window opens or closes (time in modes counts from here). */
void policy_measure(struct policy *p, bool on);
/* After a measured round: its wall time, tiles; and each frame the oracle
 * read (commit, drawing time), for the timeline. */
void policy_account_round(struct policy *p, uint64_t wall_ns, uint32_t tiles);
void policy_account_frame(struct policy *p, uint64_t draw_ns);
/* Disarm everything, lift any protection. Idempotent. */
void policy_stop(struct policy *p);
void policy_fini(struct policy *p);
json_t *policy_report(struct policy *p);

/* For policies. */
void policy_set_modes(struct policy *p, const char *const *names, unsigned n);
void policy_set_mode(struct policy *p, unsigned mode);
long policy_opt_int(const struct policy *p, const char *name);
const char *policy_opt_str(const struct policy *p, const char *name);
/* Add a mechanism by strategy name with its --sopt string; its index or -1. */
int policy_add_mechanism(struct policy *p, const char *strategy, const char *options);
/* A round of the current mechanism into out. */
int policy_scan(struct policy *p, struct dirty_set *out);
/* Make mechanism to current within this round: arm it, take the current
 * one's last round into out, disarm that. */
int policy_switch(struct policy *p, unsigned to, struct dirty_set *out);
/* Write-protect VRAM and take one more round (a write that raced the
 * protection set a bit but will not fault): found nothing, the policy
 * sleeps; found something, out has it and the protection is lifted. */
int policy_sleep(struct policy *p, struct dirty_set *out);
/* Asleep: true while no write has come (the tick takes no round). */
bool policy_still_asleep(struct policy *p);
/* For applies: can this strategy run under a policy that sleeps? */
bool policy_sleep_applies(const struct strategy_ops *sops, char *why, size_t len);
bool dirty_set_empty(const struct dirty_set *ds, const struct fb_geometry *g);
uint64_t policy_now_ns(void);

#endif
