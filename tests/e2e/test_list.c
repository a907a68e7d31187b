/*
 * End-to-end tests of run-bench --list (no guest boots): the JSON parses,
 * names every strategy and workload once in registry order with the options
 * of their tables (a workload option's rules too: its only values, a rate of
 * at most fps/N), agrees with backend_probe() on this host, and on
 * --backend xen refuses what Xen cannot run; the text names every entry as a
 * whole word; a bare --json is refused for a run.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/backend.h"
#include "core/listing.h"
#include "core/strategy.h"
#include "tests/lib/e2e.h"
#include "workloads/workload.h"

static json_t *list_json(const char *backend)
{
	struct e2e_run r;
	json_t *doc;

	e2e_run(&r, (const char *const[]){ e2e_binary(), "--list", "--backend", backend, "--json", NULL });
	if (r.status != 0 || !json_is_object(r.result))
		fail_msg("--list --json --backend %s: exit %d, %s: %s", backend, r.status,
			 r.result ? "an object" : "no JSON", r.stderr_text);
	doc = json_incref(r.result);
	e2e_run_free(&r);
	assert_string_equal(json_string_value(json_object_get(doc, "schema")), LISTING_SCHEMA);
	assert_string_equal(json_string_value(json_object_get(doc, "backend")), backend);
	return doc;
}

static const json_t *entry(const json_t *doc, const char *array, const char *name)
{
	const json_t *e, *found = NULL;
	size_t i;

	json_array_foreach(json_object_get(doc, array), i, e)
		if (!strcmp(json_string_value(json_object_get(e, "name")), name)) {
			if (found)
				fail_msg("%s lists %s twice", array, name);
			found = e;
		}
	if (!found)
		fail_msg("%s lacks %s", array, name);
	return found;
}

static void check_strategy_options(const struct strategy_ops *ops, const json_t *options)
{
	const struct strategy_option_spec *o = ops->options;
	size_t n = 0;

	for (; o && o->name; o++, n++) {
		const json_t *j = json_array_get(options, n);
		const char *type = json_string_value(json_object_get(j, "type"));
		const json_t *def = json_object_get(j, "default");

		assert_string_equal(json_string_value(json_object_get(j, "name")), o->name);
		assert_string_equal(type, strategy_option_type_name(o->type));
		assert_true(json_is_string(json_object_get(j, "help")));
		if (o->type == STRATEGY_OPT_INT || o->type == STRATEGY_OPT_BOOL)
			assert_int_equal(json_integer_value(def), strtol(o->def, NULL, 10));
		else
			assert_string_equal(json_string_value(def), o->def ? o->def : "");
		if (o->type == STRATEGY_OPT_INT)
			assert_int_equal(json_integer_value(json_object_get(j, "max")), o->max);
		if (o->type == STRATEGY_OPT_ENUM)
			assert_true(json_array_size(json_object_get(j, "values")) >= 1);
	}
	assert_int_equal(json_array_size(options), n);
}

static void check_strategy(const struct strategy_ops *ops, const json_t *s, const struct run_options *opt)
{
	const json_t *reason = json_object_get(s, "reason"), *need;
	char why[512];
	int probe = backend_probe(opt, ops, why, sizeof(why));
	size_t i, bits = 0;

	assert_string_equal(json_string_value(json_object_get(s, "description")), ops->description);
	assert_true(json_is_boolean(json_object_get(s, "supported")));
	assert_int_equal(json_is_true(json_object_get(s, "supported")), probe == EXIT_OK);
	if (probe == EXIT_OK)
		assert_true(json_is_null(reason));
	else
		assert_string_equal(json_string_value(reason), why);
	json_array_foreach(json_object_get(s, "needs"), i, need)
		for (unsigned bit = 1; bit; bit <<= 1)
			if (ops->needs & bit && !strcmp(json_string_value(need), listing_feature_name(bit) ?
							 listing_feature_name(bit) : ""))
				bits |= bit;
	assert_int_equal(bits, ops->needs);
	assert_int_equal(json_array_size(json_object_get(s, "needs")), __builtin_popcount(ops->needs));
	check_strategy_options(ops, json_object_get(s, "options"));
}

/* The rules the parser applies beyond the range, as the option states them:
 * values (only these), frames_apart (at most fps / frames_apart); absent
 * where the option has none. */
static void check_workload_rules(const struct workload_option *o, const json_t *j)
{
	const json_t *values = json_object_get(j, "values"), *apart = json_object_get(j, "frames_apart");

	assert_int_equal(json_array_size(values), o->nvalues);
	assert_true(o->nvalues ? json_is_array(values) : values == NULL);
	for (unsigned i = 0; i < o->nvalues; i++)
		assert_int_equal(json_integer_value(json_array_get(values, i)), o->values[i]);
	assert_true(o->frames_apart ? json_integer_value(apart) == o->frames_apart : apart == NULL);
}

/* Phases by their db_control.phase index, present only where there are several. */
static void check_phases(const struct workload_info *ops, const json_t *w)
{
	const json_t *phases = json_object_get(w, "phases");
	size_t n = 0;

	if (!ops->phase_names) {
		assert_null(phases);
		return;
	}
	for (; ops->phase_names[n]; n++)
		assert_string_equal(json_string_value(json_array_get(phases, n)), ops->phase_names[n]);
	assert_int_equal(json_array_size(phases), n);
	assert_true(n >= 2);
}

static void check_workload(const struct workload_info *ops, const json_t *w)
{
	const json_t *options = json_object_get(w, "options");
	size_t n = 0;

	check_phases(ops, w);
	assert_true(json_real_value(json_object_get(w, "fps")) == ops->default_fps_milli / 1000.0);
	for (const struct workload_option *o = ops->options; o->name; o++, n++) {
		const json_t *j = json_array_get(options, n);

		assert_string_equal(json_string_value(json_object_get(j, "name")), o->name);
		if (o->text) {          /* trace's file: a required path, no range */
			assert_string_equal(json_string_value(json_object_get(j, "type")), "string");
			assert_string_equal(json_string_value(json_object_get(j, "default")), "");
			assert_null(json_object_get(j, "min"));
			continue;
		}
		assert_string_equal(json_string_value(json_object_get(j, "type")), "int");
		assert_int_equal(json_integer_value(json_object_get(j, "default")), o->value);
		assert_int_equal(json_integer_value(json_object_get(j, "min")), o->min);
		assert_int_equal(json_integer_value(json_object_get(j, "max")), o->max);
		check_workload_rules(o, j);
	}
	assert_int_equal(json_array_size(options), n);
}

/* Every registry entry once, in registry order, as the probe sees it. */
static void test_json_kvm(void **state)
{
	struct run_options opt = { .backend = RUN_BACKEND_KVM, .dirty_ring_bytes = 65536 };
	json_t *doc = list_json("kvm");
	size_t n = 0;

	(void)state;
	for (const struct strategy_ops *const *s = strategy_registry; *s; s++, n++) {
		const json_t *e = entry(doc, "strategies", (*s)->name);

		assert_ptr_equal(e, json_array_get(json_object_get(doc, "strategies"), n));
		check_strategy(*s, e, &opt);
	}
	assert_int_equal(json_array_size(json_object_get(doc, "strategies")), n);
	n = 0;
	for (const struct workload_info *const *w = workload_catalog; *w; w++, n++) {
		const json_t *e = entry(doc, "workloads", (*w)->name);

		assert_ptr_equal(e, json_array_get(json_object_get(doc, "workloads"), n));
		check_workload(*w, e);
	}
	assert_int_equal(json_array_size(json_object_get(doc, "workloads")), n);
	json_decref(doc);
}

/* Xen has no dirty ring and no first-write trap (built with Xen or not). */
static void test_json_xen(void **state)
{
	json_t *doc = list_json("xen");

	(void)state;
	for (size_t i = 0; i < 2; i++) {
		const json_t *s = entry(doc, "strategies", i ? "ptebits-hybrid" : "dirtyring");

		assert_true(json_is_false(json_object_get(s, "supported")));
		assert_true(strlen(json_string_value(json_object_get(s, "reason"))) > 0);
		assert_null(strchr(json_string_value(json_object_get(s, "reason")), '\n'));
	}
	assert_true(json_is_boolean(json_object_get(entry(doc, "strategies", "none"), "supported")));
	json_decref(doc);
}

/* Whole names at the start of their line: "memcmp" is not found in "memcmp-qemu". */
static void test_text_names(void **state)
{
	struct e2e_run r;
	char out[65536], want[128];
	FILE *p;
	size_t n;

	(void)state;
	snprintf(out, sizeof(out), "%s --list", e2e_binary());
	p = popen(out, "r");
	assert_non_null(p);
	n = fread(out + 1, 1, sizeof(out) - 2, p);
	out[0] = '\n';
	out[n + 1] = 0;
	assert_int_equal(pclose(p), 0);
	for (const struct strategy_ops *const *s = strategy_registry; *s; s++) {
		snprintf(want, sizeof(want), "\n  %s ", (*s)->name);
		assert_non_null(strstr(out, want));
		for (const struct strategy_option_spec *o = (*s)->options; o && o->name; o++) {
			snprintf(want, sizeof(want), " %s=%s ", o->name, o->def);
			assert_non_null(strstr(out, want));
		}
	}
	for (const struct workload_info *const *w = workload_catalog; *w; w++) {
		snprintf(want, sizeof(want), "\n  %s ", (*w)->name);
		assert_non_null(strstr(out, want));
	}
	/* The real rules, not a range that lets 25 through to the guest. */
	assert_non_null(strstr(out, " fps=30 (24|30|60) "));
	assert_non_null(strstr(out, " cps=8 (1..100, at most fps/2) "));
	assert_non_null(strstr(out, " phases: 0=idle 1=burst\n"));
	/* The catalog has both kinds of rule (else the JSON checks test nothing). */
	assert_int_equal(workload_find("video")->options[2].nvalues, 3);
	assert_int_equal(workload_find("typing")->options[0].frames_apart, 2);
	e2e_run(&r, (const char *const[]){ e2e_binary(), "--json", "none", "idle", NULL });
	assert_int_equal(r.status, EXIT_BAD_INPUT);
	assert_int_equal(e2e_lines(r.stderr_text), 1);
	e2e_run_free(&r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_json_kvm),
		cmocka_unit_test(test_json_xen),
		cmocka_unit_test(test_text_names),
	};

	return cmocka_run_group_tests_name("listing", tests, NULL, NULL);
}
