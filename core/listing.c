/*
 * run-bench --list [--json]. The text keeps the shape older scripts read
 * ("strategies:", then two-space-indented names, options indented further);
 * the JSON is what scripts should read instead: registry order, typed
 * options, and backend_probe()'s verdict per strategy.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/backend.h"
#include "core/listing.h"
#include "core/policy.h"
#include "core/strategy.h"
#include "workloads/workload.h"
#include "include/compiler.h"

/* Names scripts match on: never rename one, only add. */
static const struct {
	unsigned feature;
	const char *name;
} listing_features[] = {
	{ BACKEND_DIRTY_LOG, "dirty_log" },
	{ BACKEND_DIRTY_LOG_MANUAL, "dirty_log_manual" },
	{ BACKEND_DIRTY_RING, "dirty_ring" },
	{ BACKEND_GUEST_PAGETABLES, "guest_pagetables" },
	{ BACKEND_VRAM_INVALIDATE, "vram_invalidate" },
	{ BACKEND_PV_PAGE, "pv_page" },
	{ BACKEND_GUEST_TLB_FLUSH, "guest_tlb_flush" },
	{ BACKEND_VRAM_WRITE_TRAP, "vram_write_trap" },
	{ BACKEND_GUEST_EVENTS, "guest_events" },
	{ BACKEND_VRAM_HOST_PTES, "vram_host_ptes" },
	{ BACKEND_DOORBELL, "doorbell" },
};

const char *listing_feature_name(unsigned feature)
{
	for (size_t i = 0; i < ARRAY_SIZE(listing_features); i++)
		if (listing_features[i].feature == feature)
			return listing_features[i].name;
	return NULL;
}

/* --- text ---------------------------------------------------------------- */

/* "(1..100000)", "(auto|mapping|tlb|none)", "(0|1)" */
static void option_range_text(const struct strategy_option_spec *o, char *buf, size_t len)
{
	size_t n = 0;

	switch (o->type) {
	case STRATEGY_OPT_INT:
		snprintf(buf, len, "(%ld..%ld)", o->min, o->max);
		return;
	case STRATEGY_OPT_BOOL:
		snprintf(buf, len, "(0|1)");
		return;
	case STRATEGY_OPT_STRING:
		snprintf(buf, len, "(text)");
		return;
	case STRATEGY_OPT_ENUM:
		for (size_t i = 0; o->values[i] && n < len; i++)
			n += (size_t)snprintf(buf + n, len - n, "%s%s%s", i ? "|" : "(", o->values[i],
					      o->values[i + 1] ? "" : ")");
		return;
	}
	snprintf(buf, len, "(?)");
}

static void print_strategies_text(FILE *to)
{
	char range[256];

	fprintf(to, "strategies:\n");     /* scripts match this line exactly */
	for (const struct strategy_ops *const *s = strategy_registry; *s; s++) {
		fprintf(to, "  %-16s %s\n", (*s)->name, (*s)->description);
		for (const struct strategy_option_spec *o = (*s)->options; o && o->name; o++) {
			option_range_text(o, range, sizeof(range));
			fprintf(to, "  %-16s   %s=%s %s %s\n", "", o->name, o->def ? o->def : "", range, o->help);
		}
	}
}

/* "(1..100)", "(24|30|60)", "(1..100, at most fps/2)": every rule the parser applies */
static void workload_range_text(const struct workload_option *o, char *buf, size_t len)
{
	size_t n = 0;

	if (!o->nvalues)
		n = (size_t)snprintf(buf, len, "(%lld..%lld", (long long)o->min, (long long)o->max);
	for (unsigned i = 0; i < o->nvalues && n < len; i++)
		n += (size_t)snprintf(buf + n, len - n, "%s%lld", i ? "|" : "(", (long long)o->values[i]);
	if (o->frames_apart && n < len)
		n += (size_t)snprintf(buf + n, len - n, ", at most fps/%u", o->frames_apart);
	if (n < len)
		snprintf(buf + n, len - n, ")");
}

static void print_policies_text(FILE *to)
{
	char range[256];

	fprintf(to, "policies (--policy NAME, options: --popt name=value,...):\n");
	for (const struct policy_ops *const *p = policy_registry; *p; p++) {
		fprintf(to, "  %-16s %s\n", (*p)->name, (*p)->description);
		for (const struct strategy_option_spec *o = (*p)->options; o && o->name; o++) {
			option_range_text(o, range, sizeof(range));
			fprintf(to, "  %-16s   %s=%s %s %s\n", "", o->name, o->def ? o->def : "", range, o->help);
		}
	}
}

/* "phases: 0=idle 1=burst": what db_control.phase says while it runs */
static void print_phases_text(FILE *to, const struct workload_info *w)
{
	if (!w->phase_names)
		return;
	fprintf(to, "  %-16s   phases:", "");
	for (const char *const *p = w->phase_names; *p; p++)
		fprintf(to, " %zu=%s", (size_t)(p - w->phase_names), *p);
	fputc('\n', to);
}

void listing_print_text(FILE *to)
{
	char range[256];

	print_strategies_text(to);
	print_policies_text(to);
	fprintf(to, "workloads (options: --wopt name=value,...):\n");
	for (const struct workload_info *const *w = workload_catalog; *w; w++) {
		fprintf(to, "  %-16s %s (%.3g fps)\n", (*w)->name, (*w)->description,
			(*w)->default_fps_milli / 1000.0);
		for (const struct workload_option *o = (*w)->options; o->name; o++) {
			if (o->text) {
				fprintf(to, "  %-16s   %s=PATH %s\n", "", o->name, o->help);
				continue;
			}
			workload_range_text(o, range, sizeof(range));
			fprintf(to, "  %-16s   %s=%lld %s %s\n", "", o->name, (long long)o->value, range, o->help);
		}
		print_phases_text(to, *w);
	}
}

/* --- JSON ---------------------------------------------------------------- */

static json_t *needs_json(unsigned needs)
{
	json_t *a = json_array();
	char other[32];

	for (unsigned bit = 1; bit && needs; bit <<= 1) {
		const char *name = listing_feature_name(bit);

		if (!(needs & bit))
			continue;
		needs &= ~bit;
		snprintf(other, sizeof(other), "feature_0x%x", bit);  /* a bit the table lacks: visible, not lost */
		json_array_append_new(a, json_string(name ? name : other));
	}
	return a;
}

/* The default in its type: ints and bools as numbers, the rest as text. */
static json_t *option_default_json(const struct strategy_option_spec *o)
{
	const char *def = o->def ? o->def : "";

	if (o->type == STRATEGY_OPT_INT || o->type == STRATEGY_OPT_BOOL)
		return json_integer(strtol(def, NULL, 10));
	return json_string(def);
}

static json_t *strategy_option_json(const struct strategy_option_spec *o)
{
	json_t *j = json_pack("{s:s, s:s, s:o}", "name", o->name,
			      "type", strategy_option_type_name(o->type), "default", option_default_json(o));
	json_t *values;

	if (j && o->type == STRATEGY_OPT_INT) {
		json_object_set_new(j, "min", json_integer(o->min));
		json_object_set_new(j, "max", json_integer(o->max));
	}
	if (j && o->type == STRATEGY_OPT_ENUM) {
		values = json_array();
		for (size_t i = 0; o->values[i]; i++)
			json_array_append_new(values, json_string(o->values[i]));
		json_object_set_new(j, "values", values);
	}
	if (j)
		json_object_set_new(j, "help", json_string(o->help));
	return j;
}

static json_t *strategy_json(const struct run_options *opt, const struct strategy_ops *s)
{
	json_t *options = json_array();
	char why[512];
	int status = backend_probe(opt, s, why, sizeof(why));

	for (const struct strategy_option_spec *o = s->options; o && o->name; o++)
		json_array_append_new(options, strategy_option_json(o));
	return json_pack("{s:s, s:s, s:o, s:b, s:o, s:o}", "name", s->name,
			 "description", s->description, "needs", needs_json(s->needs),
			 "supported", status == EXIT_OK,
			 "reason", status == EXIT_OK ? json_null() : json_string(why),
			 "options", options);
}

/* min and max always; values and frames_apart only where the option has them. */
static json_t *workload_option_json(const struct workload_option *o)
{
	if (o->text)            /* trace's file: a path, required, no range */
		return json_pack("{s:s, s:s, s:s, s:s}", "name", o->name, "type", "string", "default", "",
				 "help", o->help);
	json_t *j = json_pack("{s:s, s:s, s:I, s:I, s:I, s:s}", "name", o->name, "type", "int",
			      "default", (json_int_t)o->value, "min", (json_int_t)o->min,
			      "max", (json_int_t)o->max, "help", o->help);
	json_t *values;

	if (j && o->nvalues) {
		values = json_array();
		for (unsigned i = 0; i < o->nvalues; i++)
			json_array_append_new(values, json_integer(o->values[i]));
		json_object_set_new(j, "values", values);
	}
	if (j && o->frames_apart)
		json_object_set_new(j, "frames_apart", json_integer(o->frames_apart));
	return j;
}

static json_t *workload_json(const struct workload_info *w)
{
	json_t *options = json_array();

	json_t *j, *phases;

	for (const struct workload_option *o = w->options; o->name; o++)
		json_array_append_new(options, workload_option_json(o));
	j = json_pack("{s:s, s:s, s:f, s:o}", "name", w->name, "description", w->description,
		      "fps", w->default_fps_milli / 1000.0, "options", options);
	if (j && w->phase_names) {      /* by db_control.phase; absent: one phase */
		phases = json_array();
		for (const char *const *p = w->phase_names; *p; p++)
			json_array_append_new(phases, json_string(*p));
		json_object_set_new(j, "phases", phases);
	}
	return j;
}

/* With its default options: the strategies it drives. */
static json_t *policy_json(const struct policy_ops *p)
{
	json_t *options = json_array(), *applies = json_array();
	struct strategy_option_value popt[STRATEGY_MAX_OPTIONS];
	char why[256];

	for (const struct strategy_option_spec *o = p->options; o && o->name; o++)
		json_array_append_new(options, strategy_option_json(o));
	if (policy_options_parse(p, NULL, popt, why, sizeof(why)) == 0)
		for (const struct strategy_ops *const *s = strategy_registry; *s; s++)
			if (policy_check(p, *s, popt, why, sizeof(why)) == 0)
				json_array_append_new(applies, json_string((*s)->name));
	return json_pack("{s:s, s:s, s:o, s:o, s:o}", "name", p->name, "description", p->description,
			 "needs", needs_json(p->needs), "strategies", applies, "options", options);
}

json_t *listing_json(const struct run_options *opt)
{
	json_t *strategies = json_array(), *workloads = json_array(), *policies = json_array();

	for (const struct strategy_ops *const *s = strategy_registry; *s; s++)
		json_array_append_new(strategies, strategy_json(opt, *s));
	for (const struct policy_ops *const *p = policy_registry; *p; p++)
		json_array_append_new(policies, policy_json(*p));
	for (const struct workload_info *const *w = workload_catalog; *w; w++)
		json_array_append_new(workloads, workload_json(*w));
	return json_pack("{s:s, s:s, s:o, s:o, s:o}", "schema", LISTING_SCHEMA,
			 "backend", opt->backend == RUN_BACKEND_XEN ? "xen" : "kvm",
			 "strategies", strategies, "policies", policies, "workloads", workloads);
}

int listing_print(const struct run_options *opt, bool json, FILE *to)
{
	json_t *doc;
	int bad;

	if (!json) {
		listing_print_text(to);
		return fflush(to) ? EXIT_RUN_FAILED : EXIT_OK;
	}
	doc = listing_json(opt);
	bad = !doc || json_dumpf(doc, to, JSON_INDENT(2)) || fputc('\n', to) == EOF || fflush(to);
	json_decref(doc);
	if (bad)
		fprintf(stderr, "run-bench: could not write the --list --json document\n");
	return bad ? EXIT_RUN_FAILED : EXIT_OK;
}
