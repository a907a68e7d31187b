/*
 * The harness around policy hooks (core/policy.h): the registry, --popt,
 * the mechanisms and the two moves that must never lose a write (a switch,
 * a sleep), and the accounting every policy gets the same way.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/bitmap.h"
#include "core/policy.h"

const struct policy_ops *policy_find(const char *name)
{
	for (const struct policy_ops *const *p = policy_registry; *p; p++)
		if (!strcmp((*p)->name, name))
			return *p;
	return NULL;
}

static struct option_owner owner_of(const struct policy_ops *ops)
{
	return (struct option_owner){ "policy", ops->name, "--popt", ops->options };
}

int policy_ops_validate(const struct policy_ops *ops, char *err, size_t len)
{
	struct option_owner owner;

	if (!ops->name || !ops->description || !ops->tick) {
		snprintf(err, len, "policy %s lacks a name, description or tick", ops->name ? ops->name : "(unnamed)");
		return -1;
	}
	owner = owner_of(ops);
	return option_table_validate(&owner, err, len);
}

int policy_options_parse(const struct policy_ops *ops, const char *options,
			 struct strategy_option_value *opt, char *err, size_t len)
{
	struct option_owner owner = owner_of(ops);

	return option_table_parse(&owner, options, opt, err, len);
}

int policy_check(const struct policy_ops *ops, const struct strategy_ops *sops,
		 const struct strategy_option_value *popt, char *err, size_t len)
{
	char why[200];

	if (ops->options_ok && !ops->options_ok(popt, why, sizeof(why))) {
		snprintf(err, len, "policy %s: %s", ops->name, why);
		return -1;
	}
	if (ops->applies && !ops->applies(sops, popt, why, sizeof(why))) {
		snprintf(err, len, "policy %s does not apply to strategy %s: %s", ops->name, sops->name, why);
		return -1;
	}
	return 0;
}

uint64_t policy_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static void cost_add(struct policy_switch_cost *c, uint64_t ns)
{
	c->count++;
	c->total_ns += ns;
	if (ns > c->max_ns)
		c->max_ns = ns;
}

bool dirty_set_empty(const struct dirty_set *ds, const struct fb_geometry *g)
{
	return !ds->full && bitmap_weight(ds->tiles, g->ntiles) == 0;
}

int policy_init(struct policy *p, const struct policy_ops *ops, struct strategy *strategy,
		const struct strategy_option_value *popt, uint64_t tsc_khz, int64_t period_ns,
		double duration_s, const volatile uint32_t *phase)
{
	static const char *const one_mode[] = { "scan" };
	uint64_t window_ns = (uint64_t)(duration_s * 1e9);

	memset(p, 0, sizeof(*p));
	p->ops = ops;
	memcpy(p->opt, popt, sizeof(p->opt));
	p->be = strategy->be;
	p->geo = strategy->geo;
	p->mech[0] = strategy;
	p->nmech = 1;
	p->tsc_khz = tsc_khz;
	p->period_ns = period_ns;
	p->phase = phase;
	/* At least 100 ms a bin, and no more bins than the table holds. */
	p->bin_ns = window_ns / POLICY_TIMELINE_BINS + 1;
	if (p->bin_ns < 100000000ull)
		p->bin_ns = 100000000ull;
	policy_set_modes(p, one_mode, 1);
	if (dirty_set_alloc(&p->scratch, p->geo) ||
	    (ops->priv_size && !(p->priv = calloc(1, ops->priv_size)))) {
		snprintf(p->error, sizeof(p->error), "out of memory");
		return -1;
	}
	return ops->init ? ops->init(p) : 0;
}

void policy_set_modes(struct policy *p, const char *const *names, unsigned n)
{
	p->nmodes = n < POLICY_MODES ? n : POLICY_MODES;
	for (unsigned i = 0; i < p->nmodes; i++)
		p->mode_names[i] = names[i];
}

void policy_set_mode(struct policy *p, unsigned mode)
{
	uint64_t now = policy_now_ns();

	if (mode == p->mode || mode >= p->nmodes)
		return;
	if (p->measuring) {
		p->mode_ns[p->mode] += now - p->mode_since_ns;
		p->mode_changes++;
	}
	p->mode_since_ns = now;
	p->mode = mode;
}

static const struct strategy_option_value *popt_find(const struct policy *p, const char *name)
{
	struct option_owner owner = owner_of(p->ops);
	int i = option_table_index(&owner, name);

	return i >= 0 ? &p->opt[i] : NULL;
}

long policy_opt_int(const struct policy *p, const char *name)
{
	const struct strategy_option_value *v = popt_find(p, name);

	return v ? v->num : 0;
}

const char *policy_opt_str(const struct policy *p, const char *name)
{
	const struct strategy_option_value *v = popt_find(p, name);

	return v ? v->text : "";
}

int policy_add_mechanism(struct policy *p, const char *name, const char *options)
{
	const struct strategy_ops *sops = strategy_find(name);
	struct strategy *s = &p->added[p->nmech];

	if (p->nmech == POLICY_MECHANISMS || !sops) {
		snprintf(p->error, sizeof(p->error), "policy %s: no mechanism %s", p->ops->name, name);
		return -1;
	}
	if (strategy_init_with_options(s, sops, p->be, options)) {
		snprintf(p->error, sizeof(p->error), "policy %s: %s", p->ops->name, s->error);
		strategy_fini(s);
		return -1;
	}
	s->round_period_ns = p->mech[0]->round_period_ns;
	p->mech[p->nmech] = s;
	return (int)p->nmech++;
}

static int arm(struct policy *p, unsigned i)
{
	if (strategy_start(p->mech[i])) {
		snprintf(p->error, sizeof(p->error), "arming %s: %s", p->mech[i]->ops->name,
			 p->mech[i]->error[0] ? p->mech[i]->error : p->be->error);
		return -1;
	}
	p->armed[i] = true;
	return 0;
}

static void disarm(struct policy *p, unsigned i)
{
	if (p->armed[i])
		strategy_stop(p->mech[i]);
	p->armed[i] = false;
}

int policy_start(struct policy *p)
{
	p->mode_since_ns = policy_now_ns();
	return arm(p, p->current);
}

static int scan_failed(struct policy *p, struct strategy *s)
{
	snprintf(p->error, sizeof(p->error), "%s scan failed: %s", s->ops->name,
		 s->error[0] ? s->error : p->be->error);
	return -1;
}

int policy_scan(struct policy *p, struct dirty_set *out)
{
	struct strategy *s = p->mech[p->current];

	return strategy_scan(s, out) ? scan_failed(p, s) : 0;
}

/* A second round within one tick, added to the tick's. */
static int scan_more(struct policy *p, struct strategy *s, struct dirty_set *out)
{
	if (strategy_scan(s, &p->scratch))
		return scan_failed(p, s);
	for (size_t w = 0; w < BITMAP_WORDS(p->geo->ntiles); w++)
		out->tiles[w] |= p->scratch.tiles[w];
	if (p->scratch.has_pages) {
		for (size_t w = 0; w < BITMAP_WORDS(p->geo->pages); w++)
			out->pages[w] = (out->has_pages ? out->pages[w] : 0) | p->scratch.pages[w];
		out->has_pages = true;
	}
	out->full |= p->scratch.full;
	return 0;
}

/* Arm first, then the old one's last round: a write between the two is in
 * both, none is in neither. The new one's copy (a content strategy's
 * snapshot, taken at arm) is what the consumer takes this round's tiles
 * from (policy_tile_source), so the replica and that copy agree from here. */
int policy_switch(struct policy *p, unsigned to, struct dirty_set *out)
{
	unsigned from = p->current;
	uint64_t t0 = policy_now_ns();

	if (to == from || to >= p->nmech)
		return 0;
	if (arm(p, to) || scan_more(p, p->mech[from], out))
		return -1;
	disarm(p, from);
	p->current = to;
	cost_add(&p->switches[from][to], policy_now_ns() - t0);
	return 0;
}

int policy_sleep(struct policy *p, struct dirty_set *out)
{
	uint64_t t0 = policy_now_ns();

	if (backend_vram_write_protect(p->be, true)) {
		snprintf(p->error, sizeof(p->error), "write-protecting VRAM: %s", p->be->error);
		return -1;
	}
	if (scan_more(p, p->mech[p->current], out))
		return -1;
	cost_add(&p->protect_cost, policy_now_ns() - t0);
	if (!dirty_set_empty(out, p->geo)) {
		p->sleep_rechecks_found++;
		if (backend_vram_write_protect(p->be, false)) {
			snprintf(p->error, sizeof(p->error), "lifting the write protection: %s", p->be->error);
			return -1;
		}
		return 0;
	}
	p->asleep = true;
	p->sleeps++;
	p->awake_mode = p->mode;
	policy_set_mode(p, p->nmodes - 1);
	return 0;
}

/* The guest's first write lifted the protection already (the back end's
 * fault path); the round after it is a normal one. */
bool policy_still_asleep(struct policy *p)
{
	if (!p->asleep)
		return false;
	if (!atomic_load(&p->be->vram_write_seen)) {
		p->ticks_asleep++;
		return true;
	}
	p->asleep = false;
	p->wakes++;
	policy_set_mode(p, p->awake_mode);
	return false;
}

int policy_tick(struct policy *p, struct dirty_set *out)
{
	return p->ops->tick(p, out);
}

int policy_scan_quiet(struct policy *p, struct dirty_set *out)
{
	struct strategy *s = p->mech[p->current];

	if (p->asleep && !atomic_load(&p->be->vram_write_seen))
		return 0;       /* protected all along: every write would have been seen */
	return strategy_scan_quiet(s, out) ? scan_failed(p, s) : 0;
}

int64_t policy_interval_ns(struct policy *p)
{
	return p->ops->interval_ns ? p->ops->interval_ns(p) : p->period_ns;
}

const uint8_t *policy_tile_source(struct policy *p)
{
	struct strategy *s = p->mech[p->current];

	return s->ops->shadow ? s->ops->shadow(s) : p->be->vram;
}

void policy_measure(struct policy *p, bool on)
{
	uint64_t now = policy_now_ns();

	if (on) {
		p->window_start_ns = now;
		p->mode_since_ns = now;
	} else if (p->measuring) {
		p->mode_ns[p->mode] += now - p->mode_since_ns;
	}
	p->measuring = on;
}

static struct policy_bin *bin_now(struct policy *p)
{
	uint64_t i = (policy_now_ns() - p->window_start_ns) / p->bin_ns;

	if (!p->measuring || i >= POLICY_TIMELINE_BINS)
		return NULL;
	if (i + 1 > p->nbins)
		p->nbins = (unsigned)i + 1;
	p->bins[i].used = true;
	return &p->bins[i];
}

void policy_account_round(struct policy *p, uint64_t wall_ns, uint32_t tiles)
{
	struct policy_bin *b = bin_now(p);

	p->host_ns_all += wall_ns;
	if (!p->measuring)
		return;
	p->host_ns += wall_ns;
	if (!b)
		return;
	b->host_ns += wall_ns;
	b->rounds++;
	b->tiles += tiles;
	b->mode = (uint8_t)p->mode;
	b->phase = (uint8_t)(p->phase ? *p->phase : 0);
}

void policy_account_frame(struct policy *p, uint64_t draw_ns)
{
	struct policy_bin *b = bin_now(p);

	p->guest_ns_all += draw_ns;
	if (!p->measuring)
		return;
	p->guest_ns += draw_ns;
	if (b)
		b->guest_ns += draw_ns;
}

void policy_stop(struct policy *p)
{
	if (p->asleep || atomic_load(&p->be->vram_protected))
		(void)backend_vram_write_protect(p->be, false);
	p->asleep = false;
	for (unsigned i = 0; i < p->nmech; i++)
		disarm(p, i);
}

void policy_fini(struct policy *p)
{
	if (p->ops && p->ops->fini)
		p->ops->fini(p);
	free(p->priv);
	p->priv = NULL;
	for (unsigned i = 1; i < p->nmech; i++)
		strategy_fini(&p->added[i]);
	p->nmech = 0;
	dirty_set_free(&p->scratch);
}

static json_t *cost_json(const struct policy_switch_cost *c)
{
	return json_pack("{s:I, s:f, s:f}", "count", (json_int_t)c->count,
			 "mean_us", c->count ? (double)c->total_ns / (double)c->count / 1e3 : 0.0,
			 "max_us", (double)c->max_ns / 1e3);
}

static json_t *timeline_json(const struct policy *p)
{
	json_t *t = json_pack("{s:f, s:[], s:[], s:[], s:[], s:[], s:[], s:[]}", "bin_s", (double)p->bin_ns / 1e9,
			      "t_s", "mode", "phase", "rounds", "tiles", "host_ms", "guest_ms");

	for (unsigned i = 0; i < p->nbins; i++) {
		const struct policy_bin *b = &p->bins[i];

		json_array_append_new(json_object_get(t, "t_s"), json_real((double)i * (double)p->bin_ns / 1e9));
		json_array_append_new(json_object_get(t, "mode"), json_string(b->used ? p->mode_names[b->mode] : ""));
		json_array_append_new(json_object_get(t, "phase"), json_integer(b->phase));
		json_array_append_new(json_object_get(t, "rounds"), json_integer(b->rounds));
		json_array_append_new(json_object_get(t, "tiles"), json_integer(b->tiles));
		json_array_append_new(json_object_get(t, "host_ms"), json_real((double)b->host_ns / 1e6));
		json_array_append_new(json_object_get(t, "guest_ms"), json_real((double)b->guest_ns / 1e6));
	}
	return t;
}

/* The policy's block of the result: its decisions and what they cost. The
 * run's totals (guest drawing, host scans) are in cost; result.c divides. */
json_t *policy_report(struct policy *p)
{
	json_t *obj = json_object(), *modes = json_object(), *mechs = json_array(), *sw = json_array();
	json_t *opts = json_object();
	for (unsigned i = 0; i < p->nmodes; i++)
		json_object_set_new(modes, p->mode_names[i], json_real((double)p->mode_ns[i] / 1e9));
	for (unsigned i = 0; i < p->nmech; i++) {
		json_t *m = json_pack("{s:s}", "strategy", p->mech[i]->ops->name);

		if (i > 0 && p->mech[i]->ops->report)
			p->mech[i]->ops->report(p->mech[i], m);
		json_array_append_new(mechs, m);
	}
	for (unsigned a = 0; a < p->nmech; a++)
		for (unsigned b = 0; b < p->nmech; b++)
			if (p->switches[a][b].count) {
				json_t *c = cost_json(&p->switches[a][b]);

				json_object_set_new(c, "from", json_string(p->mech[a]->ops->name));
				json_object_set_new(c, "to", json_string(p->mech[b]->ops->name));
				json_array_append_new(sw, c);
			}
	for (size_t i = 0; p->ops->options && p->ops->options[i].name; i++)
		json_object_set_new(opts, p->ops->options[i].name, json_string(p->opt[i].text));
	json_object_set_new(obj, "name", json_string(p->ops->name));
	json_object_set_new(obj, "options", opts);
	json_object_set_new(obj, "mechanisms", mechs);
	json_object_set_new(obj, "mode_s", modes);
	json_object_set_new(obj, "mode_changes", json_integer((json_int_t)p->mode_changes));
	json_object_set_new(obj, "switches", sw);
	json_object_set_new(obj, "sleeps", json_integer((json_int_t)p->sleeps));
	json_object_set_new(obj, "wakes", json_integer((json_int_t)p->wakes));
	json_object_set_new(obj, "ticks_asleep", json_integer((json_int_t)p->ticks_asleep));
	json_object_set_new(obj, "sleep_rechecks_found_writes", json_integer((json_int_t)p->sleep_rechecks_found));
	json_object_set_new(obj, "protect", cost_json(&p->protect_cost));
	json_object_set_new(obj, "host_scan_ms", json_real((double)p->host_ns / 1e6));
	json_object_set_new(obj, "guest_draw_ms", json_real((double)p->guest_ns / 1e6));
	json_object_set_new(obj, "timeline", timeline_json(p));
	if (p->ops->report)
		p->ops->report(p, obj);
	return obj;
}

/* Sleeping write-protects the host mapping of VRAM (BACKEND_VRAM_WRITE_TRAP):
 * only for a strategy that finds changes from the host alone and leaves that
 * mapping's protection to the policy. */
bool policy_sleep_applies(const struct strategy_ops *sops, char *why, size_t len)
{
	const char *reason = NULL;

	if (sops->needs & (BACKEND_PV_PAGE | BACKEND_DOORBELL | BACKEND_GUEST_EVENTS))
		reason = "the guest says what it drew; sleeping is for a host that has to look";
	else if (sops->needs & BACKEND_VRAM_WRITE_TRAP)
		reason = "it write-protects VRAM to sleep by a rule of its own";
	else if (sops->needs & BACKEND_VRAM_HOST_PTES)
		reason = "it tracks writes in the host's page tables of VRAM, which the sleep's write protection rewrites";
	else if (sops->needs & BACKEND_GUEST_PAGETABLES)
		reason = "it re-arms through the host mapping of VRAM (mprotect, MMU notifier), which would lift the sleep's write protection";
	if (reason)
		snprintf(why, len, "%s", reason);
	return !reason;
}
