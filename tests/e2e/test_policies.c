/*
 * End to end, issue 17: every policy with the strategies it drives loses no
 * update (the exact oracle and the replica check, on a screen that goes idle
 * and busy), each anchor policy does what its source does, and bad policy
 * input is one line and exit 2.
 *
 * The ASan pass runs one strategy per policy (the first it drives): the
 * sanitizer looks at the policy's code, which is the same for all.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "core/policy.h"
#include "core/schema.h"
#include "tests/lib/e2e.h"

#define SMALL "--res", "640x480", "--warmup", "0.3", "--replica-check", "25"
/* Phases of 400 ms: idle, typing, scrolling, video, drag, idle within 2.4 s. */
#define MIXED "mixed", "--wopt", "phase_ms=400"
/* The same in 1.2 s, for the loop over every pair. */
#define MIXED_FAST "mixed", "--wopt", "phase_ms=200"
/* Idle spells of 1.2 s (a first update after idle each) and bursts of 0.4 s. */
#define BURST "burst", "--wopt", "idle_ms=1200,burst_ms=400"

static void skip_without_kvm(void)
{
	const char *why = e2e_kvm_unusable();

	if (why) {
		print_message("skipped: %s\n", why);
		skip();
	}
}

/* A member as compact JSON, for a message (static buffer: one at a time). */
static const char *compact(const json_t *root, const char *member_of_policy)
{
	static char buf[512];
	json_t *v = root ? json_object_get(json_object_get(root, "policy"), member_of_policy) : NULL;
	char *text = v ? json_dumps(v, JSON_COMPACT) : NULL;

	snprintf(buf, sizeof(buf), "%s", text ? text : "(none)");
	free(text);
	return buf;
}

/* A run that must pass: exit 0, schema, no miss, the replica check ran and matched. */
static json_t *run_ok(const char *const *args)
{
	struct e2e_run r;
	char err[256];
	json_t *result;

	e2e_run(&r, args);
	if (e2e_unsupported(&r)) {
		print_message("  unsupported here: %s", r.stderr_text);
		e2e_run_free(&r);
		return NULL;
	}
	if (r.status != 0)
		fail_msg("exit %d: %s", r.status, r.stderr_text);
	if (schema_check(r.result, err, sizeof(err)))
		fail_msg("%s", err);
	assert_int_equal(e2e_num(r.result, "dirty.frames_missed"), 0);
	assert_true(e2e_num(r.result, "replica_check.checks") >= 1);
	assert_string_equal(json_string_value(json_object_get(json_object_get(r.result, "replica_check"), "verdict")),
			    "equal");
	result = json_incref(r.result);
	e2e_run_free(&r);
	return result;
}

/* qemu only spaces the rounds of whatever strategy it drives: one of each
 * kind is enough (a compare, a log, a ring, PTE bits, a PV bitmap, guest
 * rectangles, a separate process); the others with every strategy. */
static bool in_loop(const struct policy_ops *p, const struct strategy_ops *s)
{
	static const char *const qemu_kinds[] = { "memcmp-qemu", "logdirty", "dirtyring", "ptebits", "pvbitmap",
						  "pvrects", "uffd-wp", NULL };

	if (strcmp(p->name, "qemu"))
		return true;
	for (const char *const *k = qemu_kinds; *k; k++)
		if (!strcmp(*k, s->name))
			return true;
	return false;
}

static void test_every_policy_every_strategy_misses_nothing(void **state)
{
	unsigned runs = 0;

	(void)state;
	skip_without_kvm();
	for (const struct policy_ops *const *p = policy_registry; *p; p++) {
		struct strategy_option_value popt[STRATEGY_MAX_OPTIONS];
		char why[256];

		if (!strcmp((*p)->name, "fixed"))
			continue;       /* every other end-to-end test runs it */
		assert_int_equal(policy_options_parse(*p, NULL, popt, why, sizeof(why)), 0);
		for (const struct strategy_ops *const *s = strategy_registry; *s; s++) {
			json_t *res;

			if (policy_check(*p, *s, popt, why, sizeof(why)) || !in_loop(*p, *s))
				continue;
			/* xen sleeps after 100 ms clean here, so the idle phases sleep and wake. */
			res = run_ok((const char *const[]){ e2e_binary(), "--policy", (*p)->name, "--popt",
				!strcmp((*p)->name, "xen") ? "clean_ms=100" : "", (*s)->name, MIXED_FAST, SMALL,
				"--duration", "1.2", "--json", "-", "--quiet", NULL });
			print_message("%s %s: modes %s\n", (*p)->name, (*s)->name, compact(res, "mode_s"));
			json_decref(res);
			runs += res != NULL;
			if (e2e_asan() && res)
				break;
		}
	}
	assert_true(runs >= 4);
}

/* Xen's rule: idle spells longer than clean_ms sleep; the first write wakes;
 * that round reports the whole screen. */
static void test_xen_sleeps_wakes_and_reports_everything(void **state)
{
	json_t *r;

	(void)state;
	skip_without_kvm();
	r = run_ok((const char *const[]){ e2e_binary(), "--policy", "xen", "--popt", "clean_ms=500", "logdirty",
		BURST, SMALL, "--duration", "4", "--json", "-", "--quiet", NULL });
	print_message("sleeps %g wakes %g full reports %g, asleep %g s\n", e2e_num(r, "policy.sleeps"),
		      e2e_num(r, "policy.wakes"), e2e_num(r, "policy.full_reports"), e2e_num(r, "policy.mode_s.asleep"));
	assert_true(e2e_num(r, "policy.sleeps") >= 1);
	assert_true(e2e_num(r, "policy.wakes") >= 1);
	assert_true(e2e_num(r, "policy.full_reports") >= 1);
	assert_true(e2e_num(r, "policy.mode_s.asleep") > 0.2);
	assert_true(e2e_num(r, "policy.after_idle.count") >= 1);
	json_decref(r);
}

/* QEMU's refresh: the interval grows over an idle spell, so the first update
 * after it waits longer than the 30 ms base. */
static void test_qemu_interval_grows_when_idle(void **state)
{
	json_t *r, *lat;

	(void)state;
	skip_without_kvm();
	r = run_ok((const char *const[]){ e2e_binary(), "--policy", "qemu", "logdirty", BURST, SMALL,
		"--duration", "4", "--json", "-", "--quiet", NULL });
	lat = json_object_get(json_object_get(json_object_get(r, "policy"), "after_idle"), "latency_ms");
	print_message("growths %g halvings %g, after idle %s\n", e2e_num(r, "policy.growths"),
		      e2e_num(r, "policy.halvings"), compact(r, "after_idle"));
	assert_true(e2e_num(r, "policy.growths") >= 10);
	assert_true(e2e_num(r, "policy.halvings") >= 1);
	assert_true(json_array_size(lat) >= 1);
	/* After 1.2 s idle the interval is well past 30 ms: 30 + 50 per empty refresh. */
	assert_true(json_real_value(json_array_get(lat, 0)) > 30.0);
	json_decref(r);
}

/* vmwgfx: a 640x480 screen is 300 pages (< 512): it starts scanning page
 * tables, turns to write faults after three empty scans (the idle phase). */
static void test_vmwgfx_turns_to_faults_when_idle(void **state)
{
	json_t *r;

	(void)state;
	skip_without_kvm();
	r = run_ok((const char *const[]){ e2e_binary(), "--policy", "vmwgfx", "ptebits", MIXED, SMALL,
		"--duration", "2.4", "--json", "-", "--quiet", NULL });
	if (!r)
		skip();
	print_message("to mkwrite %g, to pagetable %g\n", e2e_num(r, "policy.to_mkwrite"),
		      e2e_num(r, "policy.to_pagetable"));
	assert_true(e2e_num(r, "policy.to_mkwrite") >= 1);
	assert_true(e2e_num(r, "policy.mode_s.mkwrite") > 0);
	json_decref(r);
}

/* auto on a changing screen: tracks when it is quiet, and the timeline adds
 * up to the totals. */
static void test_auto_tracks_quiet_screens_and_accounts(void **state)
{
	json_t *r, *tl;
	double host = 0;

	(void)state;
	skip_without_kvm();
	r = run_ok((const char *const[]){ e2e_binary(), "--policy", "auto", "logdirty", MIXED, SMALL,
		"--duration", "2.4", "--json", "-", "--quiet", NULL });
	print_message("modes %s, probes %g\n", compact(r, "mode_s"), e2e_num(r, "policy.probes"));
	assert_true(e2e_num(r, "policy.mode_s.track") > 0);
	assert_true(e2e_num(r, "policy.compare_round_us") > 0);
	tl = json_object_get(json_object_get(r, "policy"), "timeline");
	for (size_t i = 0; i < json_array_size(json_object_get(tl, "host_ms")); i++)
		host += json_real_value(json_array_get(json_object_get(tl, "host_ms"), i));
	assert_true(host > 0);
	assert_true(host <= e2e_num(r, "policy.host_scan_ms") * 1.0001 + 0.001);
	assert_true(e2e_num(r, "policy.cost.total_ms_per_s") >= e2e_num(r, "policy.cost.host_rounds_ms_per_s"));
	/* A probe's second mechanism is never judged on the window holding its switch. */
	if (e2e_num(r, "policy.probes") - (e2e_num(r, "policy.probes_kept_first") +
					   e2e_num(r, "policy.probes_took_second")) < 1)
		assert_true(e2e_num(r, "policy.probe_second_windows") >=
			    2 * (e2e_num(r, "policy.probes_kept_first") + e2e_num(r, "policy.probes_took_second")));
	json_decref(r);
}

static void expect_bad(const char *const *args, const char *needle)
{
	struct e2e_run r;

	e2e_run(&r, args);
	if (r.status != 2 || !strstr(r.stderr_text, needle))
		fail_msg("exit %d, wanted 2 with '%s': %s", r.status, needle, r.stderr_text);
	assert_int_equal(e2e_lines(r.stderr_text), 1);
	e2e_run_free(&r);
}

static void test_bad_policy_input(void **state)
{
	(void)state;
	expect_bad((const char *const[]){ e2e_binary(), "--policy", "nope", "logdirty", "idle", NULL },
		   "unknown policy 'nope'");
	expect_bad((const char *const[]){ e2e_binary(), "--policy", "qemu", "--popt", "max_ms=10", "logdirty",
		"idle", NULL }, "max_ms=10 is below base_ms=30");
	expect_bad((const char *const[]){ e2e_binary(), "--policy", "qemu", "--popt", "bogus=1", "logdirty",
		"idle", NULL }, "policy qemu has no option 'bogus'");
	expect_bad((const char *const[]){ e2e_binary(), "--policy", "auto", "--popt", "probe_ms=5", "logdirty",
		"idle", NULL }, "probe_ms=5: want an integer in 20..10000");
	expect_bad((const char *const[]){ e2e_binary(), "--policy", "fixed", "--popt", "x=1", "logdirty",
		"idle", NULL }, "policy fixed takes no options");
	expect_bad((const char *const[]){ e2e_binary(), "--policy", "xen", "ptebits-hybrid", "idle", NULL },
		   "policy xen does not apply to strategy ptebits-hybrid");
	expect_bad((const char *const[]){ e2e_binary(), "--policy", "vmwgfx", "memcmp", "idle", NULL },
		   "policy vmwgfx does not apply to strategy memcmp");
	expect_bad((const char *const[]){ e2e_binary(), "--policy", "auto", "pvrects", "idle", NULL },
		   "policy auto does not apply to strategy pvrects");
	expect_bad((const char *const[]){ e2e_binary(), "--policy", "qemu", "--wake", "doorbell", "virtio-gpu",
		"idle", NULL }, "policy qemu takes rounds on its timer alone");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_bad_policy_input),
		cmocka_unit_test(test_xen_sleeps_wakes_and_reports_everything),
		cmocka_unit_test(test_qemu_interval_grows_when_idle),
		cmocka_unit_test(test_vmwgfx_turns_to_faults_when_idle),
		cmocka_unit_test(test_auto_tracks_quiet_screens_and_accounts),
		cmocka_unit_test(test_every_policy_every_strategy_misses_nothing),
	};

	return cmocka_run_group_tests_name("policies", tests, NULL, NULL);
}
