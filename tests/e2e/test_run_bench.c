/*
 * End to end: the real run-bench binary on the real /dev/kvm. Bad input must
 * give exit 2 and one line; every strategy on every workload must run clean,
 * write a schema-valid result, miss nothing and pass the replica check
 * (every 5 rounds and at the end: the consumer's copy equals VRAM with the
 * guest stopped), with a precision of at most 1, or exit 4 (this host cannot
 * run it: skipped). --list is tested in test_list.c; the replica check's
 * failures in test_replica.c.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "core/schema.h"
#include "core/strategy.h"
#include "workloads/workload.h"
#include "tests/lib/e2e.h"

struct pair {
	const char *strategy, *workload;
};

static void expect_bad_input(const char *const *args)
{
	struct e2e_run r;

	e2e_run(&r, args);
	assert_int_equal(r.status, 2);
	assert_int_equal(e2e_lines(r.stderr_text), 1);
	assert_non_null(strstr(r.stderr_text, "run-bench:"));
	e2e_run_free(&r);
}

static void test_unknown_strategy(void **state)
{
	(void)state;
	expect_bad_input((const char *const[]){ e2e_binary(), "nosuch", "idle", NULL });
}

static void test_unknown_workload(void **state)
{
	(void)state;
	expect_bad_input((const char *const[]){ e2e_binary(), "none", "nosuch", NULL });
}

static void test_bad_resolution(void **state)
{
	(void)state;
	expect_bad_input((const char *const[]){ e2e_binary(), "memcmp", "idle", "--res", "0x0", NULL });
	expect_bad_input((const char *const[]){ e2e_binary(), "memcmp", "idle", "--res", "1921x1080", NULL });
	expect_bad_input((const char *const[]){ e2e_binary(), "memcmp", "idle", "--res", "8192x8192", NULL });
	expect_bad_input((const char *const[]){ e2e_binary(), "memcmp", "idle", "--res", "big", NULL });
}

static void test_bad_numbers(void **state)
{
	(void)state;
	expect_bad_input((const char *const[]){ e2e_binary(), "none", "idle", "--rate", "0", NULL });
	expect_bad_input((const char *const[]){ e2e_binary(), "none", "idle", "--duration", "-1", NULL });
	expect_bad_input((const char *const[]){ e2e_binary(), "none", "idle", "--wopt", "nosuch=1", NULL });
	expect_bad_input((const char *const[]){ e2e_binary(), "none", NULL });
	expect_bad_input((const char *const[]){ e2e_binary(), "none", "idle", "--bogus", NULL });
}

static void test_run_clean(void **state)
{
	const struct pair *p = *state;
	const char *why = e2e_kvm_unusable();
	struct e2e_run r;
	char err[256];

	if (why) {
		print_message("skipped: %s\n", why);
		skip();
	}
	e2e_run(&r, (const char *const[]){ e2e_binary(), p->strategy, p->workload, "--duration", "1",
		"--warmup", "0.3", "--replica-check", "5", "--json", "-", "--quiet", NULL });
	if (e2e_unsupported(&r)) {
		print_message("skipped: %s", e2e_unsupported(&r));
		e2e_run_free(&r);
		skip();
	}
	if (r.status != 0)
		print_message("%s %s: exit %d: %s", p->strategy, p->workload, r.status, r.stderr_text);
	assert_int_equal(r.status, 0);
	assert_non_null(r.result);
	if (schema_check(r.result, err, sizeof(err)))
		fail_msg("%s", err);
	assert_true(e2e_num(r.result, "dirty.frames_checked") > 0);
	assert_true(e2e_num(r.result, "dirty.frames_missed") == 0);
	assert_true(e2e_num(r.result, "scan.rounds") > 0);
	assert_true(e2e_num(r.result, "scan.time_us.p50") > 0);
	/* The final check always runs; periodic ones unless the guest never
	 * slept between frames in time (counted as skipped). */
	assert_true(e2e_num(r.result, "replica_check.checks") + e2e_num(r.result, "replica_check.checks_skipped") >= 2);
	assert_true(e2e_num(r.result, "replica_check.tiles_mismatched") == 0);
	assert_true(e2e_num(r.result, "dirty.precision") <= 1.0);
	e2e_run_free(&r);
}

/* The oracle must catch a strategy that misses updates: ptebits without the
 * re-arm step never sees a page twice (docs/HOST.md), so it must fail loudly. */
static void test_oracle_catches_ptebits_without_rearm(void **state)
{
	const char *why = e2e_kvm_unusable();
	struct e2e_run r;

	(void)state;
	if (why) {
		print_message("skipped: %s\n", why);
		skip();
	}
	e2e_run(&r, (const char *const[]){ e2e_binary(), "ptebits", "idle", "--duration", "2",
		"--warmup", "0.2", "--sopt", "rearm=none", "--json", "-", "--quiet", NULL });
	assert_int_equal(r.status, 1);
	assert_non_null(strstr(r.stderr_text, "MISSED UPDATE"));
	assert_null(r.result);
	e2e_run_free(&r);
	/* With --allow-misses the same run completes and counts them. */
	e2e_run(&r, (const char *const[]){ e2e_binary(), "ptebits", "idle", "--duration", "2",
		"--warmup", "0.2", "--sopt", "rearm=none", "--allow-misses", "--json", "-", "--quiet", NULL });
	assert_int_equal(r.status, 0);
	assert_true(e2e_num(r.result, "dirty.frames_missed") > 0);
	e2e_run_free(&r);
}

static void test_repeat_keeps_every_run(void **state)
{
	const char *why = e2e_kvm_unusable();
	struct e2e_run r;
	char err[256];
	const json_t *runs, *p50;

	(void)state;
	if (why) {
		print_message("skipped: %s\n", why);
		skip();
	}
	e2e_run(&r, (const char *const[]){ e2e_binary(), "memcmp", "idle", "--duration", "0.5",
		"--warmup", "0.2", "--repeat", "3", "--json", "-", "--quiet", NULL });
	if (r.status != 0)
		print_message("exit %d: %s", r.status, r.stderr_text);
	assert_int_equal(r.status, 0);
	assert_string_equal(json_string_value(json_object_get(r.result, "schema")), "dirtybench-series/1");
	runs = json_object_get(r.result, "runs");
	assert_int_equal(json_array_size(runs), 3);
	for (size_t i = 0; i < 3; i++)
		if (schema_check(json_array_get(runs, i), err, sizeof(err)))
			fail_msg("run %zu: %s", i, err);
	p50 = json_object_get(json_object_get(r.result, "summary"), "scan.time_us.p50");
	assert_int_equal(json_integer_value(json_object_get(p50, "n")), 3);
	assert_true(json_number_value(json_object_get(p50, "min")) <= json_number_value(json_object_get(p50, "median")));
	assert_true(json_number_value(json_object_get(p50, "median")) <= json_number_value(json_object_get(p50, "max")));
	e2e_run_free(&r);
}

/* The ASan/UBSan pass looks at memory, not at every pairing: every strategy
 * on a fragmented (scrolling) and a sparse (typing) screen, every workload
 * with a compare and a tracker. The plain pass runs every pair. */
static bool asan_pair(const char *strategy, const char *workload)
{
	return !strcmp(workload, "scrolling") || !strcmp(workload, "typing") ||
	       !strcmp(strategy, "memcmp") || !strcmp(strategy, "logdirty");
}

int main(void)
{
	static const struct CMUnitTest fixed[] = {
		cmocka_unit_test(test_unknown_strategy),
		cmocka_unit_test(test_unknown_workload),
		cmocka_unit_test(test_bad_resolution),
		cmocka_unit_test(test_bad_numbers),
		cmocka_unit_test(test_oracle_catches_ptebits_without_rearm),
		cmocka_unit_test(test_repeat_keeps_every_run),
	};
	size_t nfixed = sizeof(fixed) / sizeof(fixed[0]), n = nfixed;
	struct CMUnitTest *tests = calloc(256, sizeof(*tests));
	struct pair *pairs = calloc(256, sizeof(*pairs));
	char (*names)[96] = calloc(256, sizeof(*names));
	int failed;

	memcpy(tests, fixed, sizeof(fixed));
	for (const struct strategy_ops *const *s = strategy_registry; *s; s++)
		for (const struct workload_info *const *w = workload_catalog; *w && n < 256; w++) {
			struct pair *p = &pairs[n - nfixed];

			if ((*w)->needs_file)   /* trace: tests/e2e/test_trace.c, with each shipped trace */
				continue;
			if ((*w)->phase_names)  /* burst, mixed: tests/e2e/test_phases.c, with short phases */
				continue;
			if (e2e_asan() && !asan_pair((*s)->name, (*w)->name))
				continue;
			p->strategy = (*s)->name;
			p->workload = (*w)->name;
			snprintf(names[n], sizeof(names[n]), "run_clean(%s, %s)", p->strategy, p->workload);
			tests[n] = (struct CMUnitTest){ .name = names[n], .test_func = test_run_clean,
							.initial_state = p };
			n++;
		}
	failed = _cmocka_run_group_tests("e2e", tests, n, NULL, NULL);
	free(tests);
	free(pairs);
	free(names);
	return failed;
}
