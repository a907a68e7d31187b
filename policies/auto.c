/*
 * `auto`: ours. Among the host-only mechanisms, the one that costs least for
 * what the screen is doing now, judged by costs measured in this run on this
 * host, never by constants from another machine:
 *
 *  track    the run's write tracker (logdirty, logdirty-manual, dirtyring):
 *           nearly free for the host, a fault per first write to a page for
 *           the guest
 *  compare  a content compare (--popt compare=memcmp|memhash): no fault, a
 *           read of all of VRAM every round for the host
 *  asleep   track's mechanism with VRAM write-protected and no round taken
 *           until the guest writes (policy_sleep)
 *
 * Idle: each empty round's cost is added up, and once it reaches what a
 * sleep costs (the protection plus the wake's fault, measured at start and
 * at every sleep), track sleeps and compare goes back to track: the
 * ski-rental rule, never more than twice the cost of the better choice in
 * hindsight.
 *
 * Busy: when the activity level (tiles reported per round, whatever the
 * mechanism) settles at a new level (more than --popt change times, or less
 * than 1/change of, the level of the last decision, for settle rounds in a
 * row), auto measures the current mechanism's total cost per second (the
 * guest's drawing time plus the host's rounds) for probe_ms, switches, measures
 * the other for probe_ms, and keeps the cheaper. From track it probes only
 * when the guest's drawing time per second already exceeds what compare
 * costs the host per second (compare's round time, measured): the fault
 * overhead is a part of the drawing time, so below that compare cannot win.
 * The guest's drawing time stands for what a VMM would read as the vCPU's
 * time per unit of progress; auto never reads the oracle's damage.
 *
 * The mechanism a probe switches to is measured once it is past the
 * switch: turning log-dirty off leaves VRAM read-only in KVM's shadow
 * entries, and each page becomes writable again on its next write, a fault
 * each; a screen that writes few pixels over many pages (sparse) pays
 * those for a second. So the first window after the switch is set aside,
 * and the window is measured again while its cost still falls by a tenth
 * (at most AUTO_PROBE_WINDOWS windows); the last one counts.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/bitmap.h"
#include "core/policy.h"

enum { AUTO_TRACK, AUTO_COMPARE, AUTO_ASLEEP };
#define AUTO_SETTLE_MAX 32
/* QEMU's VNC_REFRESH_INTERVAL_INC and _MAX (ui/vnc.c; policies/qemu.c),
 * from the run's period instead of QEMU's 30 ms. */
#define AUTO_INTERVAL_INC_MS 50
#define AUTO_INTERVAL_MAX_MS 3000
enum auto_probe { AUTO_STEADY, AUTO_PROBE_FIRST, AUTO_PROBE_SECOND };
#define AUTO_PROBE_WINDOWS 8    /* the second mechanism's windows at most */

struct auto_state {
	unsigned compare;               /* mechanism index (track is 0) */
	double compare_round_ns;        /* a compare round's wall time, measured */
	double sleep_cost_ns;           /* protect + wake, measured */
	double switch_cost_ns[2];       /* into track, into compare (measured at start, then per switch) */
	double empty_cost_ns;           /* rounds found nothing since the last change: their cost */
	uint64_t empty_since_ns;        /* ... since when (0: the last round found something) */
	double level, decided_level;    /* tiles per round (window_level); at the last decision */
	double probe_level;             /* the level at the end of a probe's first window */
	unsigned recent_tiles[AUTO_SETTLE_MAX], nrecent;
	unsigned settle_count;
	enum auto_probe probe;
	uint64_t probe_end_ns, probe_t0_ns, probe_host0, probe_guest0;
	double probe_cost[2];           /* ns of cost per s: [0] the first mechanism, [1] the second */
	double window_cost;             /* the second mechanism's previous window */
	unsigned windows;               /* ... windows measured so far */
	unsigned probe_first;
	uint64_t recent_t0_ns, recent_guest0;
	double recent_guest_per_s;      /* guest drawing ns per s, over the last ~probe_ms */
	uint64_t recent_span_ns;        /* how long it has been smoothed */
	long probe_ms, change, settle;
	bool adapt;                     /* QEMU's interval rule on top (see auto_interval) */
	int64_t interval_ns, base_ns, inc_ns, max_ns;
	uint64_t probe_gap_ns, last_probe_end_ns;
	uint64_t probes, probe_kept, probe_switched, empty_switches, gated, probe_windows_total;
};

static const char *const auto_compares[] = { "memcmp", "memhash", NULL };

static const struct strategy_option_spec auto_options[] = {
	{ .name = "compare", .type = STRATEGY_OPT_ENUM, .def = "memcmp", .values = auto_compares,
	  .help = "the content compare used at high page rates" },
	{ .name = "probe_ms", .type = STRATEGY_OPT_INT, .def = "150", .min = 20, .max = 10000,
	  .help = "how long each mechanism is measured when the activity changes" },
	{ .name = "change", .type = STRATEGY_OPT_INT, .def = "3", .min = 2, .max = 1000,
	  .help = "a level this many times above or below the last decision's is a change" },
	{ .name = "probe_gap_ms", .type = STRATEGY_OPT_INT, .def = "2000", .min = 0, .max = 600000,
	  .help = "at least this long from one probe's end to the next one's start" },
	{ .name = "adapt", .type = STRATEGY_OPT_BOOL, .def = "1",
	  .help = "1: while comparing, QEMU's interval rule from the run's period (+50 ms after an empty round, halved after a busy one)" },
	{ .name = "settle", .type = STRATEGY_OPT_INT, .def = "5", .min = 1, .max = AUTO_SETTLE_MAX,
	  .help = "rounds the level is averaged over, the largest left out (a window opening is not a level)" },
	{ .name = NULL },
};

static bool auto_applies(const struct strategy_ops *sops, const struct strategy_option_value *popt,
			 char *why, size_t len)
{
	(void)popt;
	if (!policy_sleep_applies(sops, why, len))
		return false;
	if (!strcmp(sops->name, "logdirty") || !strcmp(sops->name, "logdirty-manual") ||
	    !strcmp(sops->name, "dirtyring"))
		return true;
	snprintf(why, len, "it chooses between a write tracker and a compare: run it with the tracker "
		 "(logdirty, logdirty-manual or dirtyring)");
	return false;
}

/* Before the guest runs: one compare round and one protect-and-lift, timed. */
static int calibrate(struct policy *p, struct auto_state *a)
{
	struct strategy *cmp = p->mech[a->compare];
	uint64_t t0, t1, t2;

	if (strategy_start(cmp) || strategy_scan(cmp, &p->scratch)) {
		snprintf(p->error, sizeof(p->error), "auto: calibrating %s: %s", cmp->ops->name, cmp->error);
		return -1;
	}
	t0 = policy_now_ns();
	if (strategy_scan(cmp, &p->scratch)) {
		snprintf(p->error, sizeof(p->error), "auto: calibrating %s: %s", cmp->ops->name, cmp->error);
		return -1;
	}
	t1 = policy_now_ns();
	strategy_stop(cmp);
	if (backend_vram_write_protect(p->be, true) || backend_vram_write_protect(p->be, false)) {
		snprintf(p->error, sizeof(p->error), "auto: write-protecting VRAM: %s", p->be->error);
		return -1;
	}
	t2 = policy_now_ns();
	a->compare_round_ns = (double)(t1 - t0);
	/* The lift on the wake is the vCPU's fault plus the same mprotect. */
	a->sleep_cost_ns = 2.0 * (double)(t2 - t1);
	a->switch_cost_ns[AUTO_TRACK] = a->compare_round_ns;
	a->switch_cost_ns[AUTO_COMPARE] = a->compare_round_ns;
	return 0;
}

static int auto_init(struct policy *p)
{
	static const char *const modes[] = { "track", "compare", "asleep" };
	struct auto_state *a = p->priv;
	int i;

	policy_set_modes(p, modes, 3);
	a->probe_ms = policy_opt_int(p, "probe_ms");
	a->change = policy_opt_int(p, "change");
	a->settle = policy_opt_int(p, "settle");
	a->probe_gap_ns = (uint64_t)policy_opt_int(p, "probe_gap_ms") * 1000000ull;
	a->adapt = policy_opt_int(p, "adapt");
	a->base_ns = a->interval_ns = p->period_ns;
	a->inc_ns = AUTO_INTERVAL_INC_MS * 1000000ll;
	a->max_ns = AUTO_INTERVAL_MAX_MS * 1000000ll;
	if ((i = policy_add_mechanism(p, policy_opt_str(p, "compare"), NULL)) < 0)
		return -1;
	a->compare = (unsigned)i;
	a->recent_t0_ns = policy_now_ns();
	return calibrate(p, a);
}

static unsigned mech_mode(const struct auto_state *a, unsigned mech)
{
	return mech == a->compare ? AUTO_COMPARE : AUTO_TRACK;
}

static int switch_to(struct policy *p, struct auto_state *a, unsigned mech, struct dirty_set *out)
{
	uint64_t t0 = policy_now_ns();

	if (policy_switch(p, mech, out))
		return -1;
	a->switch_cost_ns[mech_mode(a, mech)] = (double)(policy_now_ns() - t0);
	a->empty_cost_ns = 0;
	a->empty_since_ns = 0;
	policy_set_mode(p, mech_mode(a, mech));
	return 0;
}

static double cost_per_s(const struct policy *p, const struct auto_state *a, uint64_t now)
{
	double dt = (double)(now - a->probe_t0_ns);

	return dt > 0 ? (double)(p->host_ns_all - a->probe_host0 + p->guest_ns_all - a->probe_guest0) / dt * 1e9 : 0;
}

static void probe_window(struct policy *p, struct auto_state *a, uint64_t now)
{
	a->probe_t0_ns = now;
	a->probe_end_ns = now + (uint64_t)a->probe_ms * 1000000ull;
	a->probe_host0 = p->host_ns_all;
	a->probe_guest0 = p->guest_ns_all;
}

/* A probe's window ended: measure, move on. Returns 1 when it took the round. */
static int probe_step(struct policy *p, struct auto_state *a, uint64_t now, struct dirty_set *out)
{
	unsigned other = p->current == 0 ? a->compare : 0;

	if (a->probe == AUTO_STEADY || now < a->probe_end_ns)
		return 0;
	if (a->probe == AUTO_PROBE_FIRST) {
		a->probe_cost[0] = cost_per_s(p, a, now);
		a->probe_level = a->level;
		a->probe = AUTO_PROBE_SECOND;
		a->windows = 0;
		if (policy_scan(p, out) || switch_to(p, a, other, out))
			return -1;
		probe_window(p, a, policy_now_ns());
		return 1;
	}
	a->probe_cost[1] = cost_per_s(p, a, now);
	if (++a->windows < AUTO_PROBE_WINDOWS &&
	    (a->windows == 1 || a->probe_cost[1] < 0.9 * a->window_cost)) {
		a->window_cost = a->probe_cost[1];      /* still settling: again */
		probe_window(p, a, now);
		return 0;
	}
	a->probe_windows_total += a->windows;
	a->probe = AUTO_STEADY;
	a->last_probe_end_ns = now;
	a->decided_level = a->level;
	if (policy_scan(p, out))
		return -1;
	/* The second is kept unless the first was cheaper by 5 %: a switch back costs too. */
	if (a->probe_cost[0] < 0.95 * a->probe_cost[1]) {
		a->probe_kept++;
		a->decided_level = a->probe_level;      /* the level as the kept mechanism sees it */
		return switch_to(p, a, a->probe_first, out) ? -1 : 1;
	}
	a->probe_switched++;
	return 1;
}

/* The guest's drawing time per second, smoothed over about probe_ms. */
static void track_recent(struct policy *p, struct auto_state *a, uint64_t now)
{
	double dt = (double)(now - a->recent_t0_ns), tau = (double)a->probe_ms * 1e6, w;

	if (dt <= 0)
		return;
	w = dt >= tau ? 1.0 : dt / tau;
	a->recent_guest_per_s = (1 - w) * a->recent_guest_per_s +
				w * (double)(p->guest_ns_all - a->recent_guest0) / dt * 1e9;
	a->recent_t0_ns = now;
	a->recent_guest0 = p->guest_ns_all;
	a->recent_span_ns += (uint64_t)dt;
}

/* A level that holds at a new value: probe (or, from track below the gate,
 * just take the new level as decided). */
static void maybe_probe(struct policy *p, struct auto_state *a, uint64_t now)
{
	double lvl = a->level, ref = a->decided_level;
	bool changed = ref <= 0 ? lvl >= 1 : lvl > ref * (double)a->change || lvl * (double)a->change < ref;

	a->settle_count = changed ? a->settle_count + 1 : 0;
	if (a->probe != AUTO_STEADY || !changed ||
	    a->recent_span_ns < (uint64_t)a->probe_ms * 1000000ull ||
	    (a->last_probe_end_ns && now - a->last_probe_end_ns < a->probe_gap_ns))
		return;
	/* Below the gate compare cannot win: stay, and look again next round
	 * (the level stays "changed" until the drawing passes the gate or the
	 * level comes back). */
	if (p->current == 0 && a->recent_guest_per_s < a->compare_round_ns * 1e9 / (double)p->period_ns) {
		a->gated += a->settle_count == 1;
		return;
	}
	a->settle_count = 0;
	a->probes++;
	a->probe = AUTO_PROBE_FIRST;
	a->probe_first = p->current;
	probe_window(p, a, now);
}

/* Tiles per round over the last settle rounds, the largest left out: a
 * window opening (one round) is not a level, and a 30 fps video scanned at
 * 60 Hz (a full round, an empty one) is half its frame's tiles. */
static double window_level(struct auto_state *a, unsigned tiles)
{
	unsigned n, max = 0;
	double sum = 0;

	a->recent_tiles[a->nrecent++ % (unsigned)a->settle] = tiles;
	n = a->nrecent < (unsigned)a->settle ? a->nrecent : (unsigned)a->settle;
	for (unsigned i = 0; i < n; i++) {
		sum += a->recent_tiles[i];
		if (a->recent_tiles[i] > max)
			max = a->recent_tiles[i];
	}
	return n > 1 ? (sum - max) / (n - 1) : sum;
}

/* When to look next, comparing: QEMU's rule (a round that found something
 * halves the interval down to the run's period, an empty one adds 50 ms up
 * to 3 s), as QEMU does for its compare. Tracking, the run's period. Asleep,
 * the guest's first write starts a round at once (wakes_on_write). */
static void adapt_interval(struct policy *p, struct auto_state *a, unsigned tiles)
{
	/* Only where a round is dear: a tracker's harvest costs tens of µs,
	 * and waiting longer would only delay a keystroke. */
	if (!a->adapt || p->current != a->compare) {
		a->interval_ns = a->base_ns;
		return;
	}
	if (tiles) {
		a->interval_ns /= 2;
		if (a->interval_ns < a->base_ns)
			a->interval_ns = a->base_ns;
	} else if ((a->interval_ns += a->inc_ns) > a->max_ns) {
		a->interval_ns = a->max_ns;
	}
}

static int64_t auto_interval(struct policy *p)
{
	return ((struct auto_state *)p->priv)->interval_ns;
}

static int auto_tick(struct policy *p, struct dirty_set *out)
{
	struct auto_state *a = p->priv;
	uint64_t t0 = policy_now_ns(), t1;
	unsigned tiles;
	bool was_asleep;
	int taken;

	track_recent(p, a, t0);
	was_asleep = p->asleep;
	if (policy_still_asleep(p))
		return 0;
	if (was_asleep)
		a->interval_ns = a->base_ns;    /* activity again: look at the run's pace */
	if ((taken = probe_step(p, a, t0, out)))
		return taken < 0 ? -1 : 0;
	if (policy_scan(p, out))
		return -1;
	t1 = policy_now_ns();
	tiles = out->full ? p->geo->ntiles : (unsigned)bitmap_weight(out->tiles, p->geo->ntiles);
	a->level = window_level(a, tiles);
	adapt_interval(p, a, tiles);
	if (p->current == a->compare && tiles == 0)
		a->compare_round_ns = 0.9 * a->compare_round_ns + 0.1 * (double)(t1 - t0);
	if (tiles) {
		a->empty_cost_ns = 0;
		a->empty_since_ns = 0;
		maybe_probe(p, a, t1);
		return 0;
	}
	if (a->probe != AUTO_STEADY)
		return 0;
	if (p->current == a->compare) {
		/* Rent: what an empty compare round costs beyond a tracker's
		 * (about nothing); buy: the way to track and back. */
		/* and never within a frame gap: empty for settle periods (a 24 fps
		 * video leaves at most two empty rounds at 60 Hz); time, not
		 * rounds, since comparing stretches the interval. */
		a->empty_cost_ns += (double)(t1 - t0);
		if (!a->empty_since_ns)
			a->empty_since_ns = t0;
		if (t1 - a->empty_since_ns >= (uint64_t)a->settle * (uint64_t)a->base_ns &&
		    a->empty_cost_ns >= a->switch_cost_ns[AUTO_TRACK] + a->switch_cost_ns[AUTO_COMPARE]) {
			a->empty_switches++;
			a->decided_level = 0;
			return switch_to(p, a, 0, out);
		}
		return 0;
	}
	a->empty_cost_ns += (double)(t1 - t0);  /* rent: an empty harvest; buy: protect and wake */
	if (a->empty_cost_ns >= a->sleep_cost_ns) {
		uint64_t s0 = policy_now_ns();

		a->empty_cost_ns = 0;
		a->decided_level = 0;
		if (policy_sleep(p, out))
			return -1;
		if (p->asleep)
			a->sleep_cost_ns = 0.5 * a->sleep_cost_ns + 0.5 * 2.0 * (double)(policy_now_ns() - s0);
	}
	return 0;
}

static void auto_report(struct policy *p, json_t *obj)
{
	struct auto_state *a = p->priv;

	json_object_set_new(obj, "compare_round_us", json_real(a->compare_round_ns / 1e3));
	json_object_set_new(obj, "sleep_cost_us", json_real(a->sleep_cost_ns / 1e3));
	json_object_set_new(obj, "interval_ms_last", json_real((double)a->interval_ns / 1e6));
	json_object_set_new(obj, "probes", json_integer((json_int_t)a->probes));
	json_object_set_new(obj, "probe_second_windows", json_integer((json_int_t)a->probe_windows_total));
	json_object_set_new(obj, "probes_kept_first", json_integer((json_int_t)a->probe_kept));
	json_object_set_new(obj, "probes_took_second", json_integer((json_int_t)a->probe_switched));
	json_object_set_new(obj, "probes_gated", json_integer((json_int_t)a->gated));
	json_object_set_new(obj, "idle_switches_to_track", json_integer((json_int_t)a->empty_switches));
}

const struct policy_ops policy_auto = {
	.name = "auto",
	.priv_size = sizeof(struct auto_state),
	.description = "ours: a write tracker at low page rates, a content compare at high ones, asleep when idle, "
		       "chosen by costs measured in the run",
	.needs = BACKEND_VRAM_WRITE_TRAP | BACKEND_DOORBELL,
	.wakes_on_write = true,
	.options = auto_options,
	.applies = auto_applies,
	.init = auto_init,
	.tick = auto_tick,
	.interval_ns = auto_interval,
	.report = auto_report,
};
