/*
 * End to end: the workloads whose activity changes (burst, mixed) on the
 * real run-bench and /dev/kvm, with phases short enough that a short run
 * crosses several: idle spells and bursts whose window opens over the last
 * one, every mixed phase starting and the first ones coming back. A few
 * strategies of each kind (hypervisor log, content compare, PTE dirty bits,
 * guest bitmap) must miss nothing and pass the replica check; the run-bench
 * matrix of tests/e2e/test_run_bench.c leaves these two out (a 1 s run at
 * their default phases sees one phase only).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "core/schema.h"
#include "tests/lib/e2e.h"

struct phase_case {
	const char *strategy, *workload, *wopt, *duration;
};

/* Bursts every 0.5 s; mixed's six phases and two back by the end. */
#define BURST_WOPT "idle_ms=300,burst_ms=200"
#define MIXED_WOPT "phase_ms=200"

static const struct phase_case phase_cases[] = {
	{ "logdirty", "burst", BURST_WOPT, "1" },
	{ "memcmp", "burst", BURST_WOPT, "1" },
	{ "ptebits", "burst", BURST_WOPT, "1" },
	{ "pvbitmap", "burst", BURST_WOPT, "1" },
	{ "logdirty", "burst", BURST_WOPT ",window=0", "1" },
	{ "logdirty", "mixed", MIXED_WOPT, "1.4" },
	{ "memcmp", "mixed", MIXED_WOPT, "1.4" },
	{ "ptebits", "mixed", MIXED_WOPT, "1.4" },
	{ "pvbitmap", "mixed", MIXED_WOPT, "1.4" },
};

static void test_phases_clean(void **state)
{
	const struct phase_case *c = *state;
	const char *why = e2e_kvm_unusable();
	struct e2e_run r;
	char err[256];

	if (why) {
		print_message("skipped: %s\n", why);
		skip();
	}
	e2e_run(&r, (const char *const[]){ e2e_binary(), c->strategy, c->workload, "--wopt", c->wopt,
		"--duration", c->duration, "--warmup", "0.2", "--replica-check", "5", "--json", "-",
		"--quiet", NULL });
	if (e2e_unsupported(&r)) {
		print_message("skipped: %s", e2e_unsupported(&r));
		e2e_run_free(&r);
		skip();
	}
	if (r.status != 0)
		print_message("%s %s: exit %d: %s", c->strategy, c->workload, r.status, r.stderr_text);
	assert_int_equal(r.status, 0);
	assert_non_null(r.result);
	if (schema_check(r.result, err, sizeof(err)))
		fail_msg("%s", err);
	assert_true(e2e_num(r.result, "dirty.frames_checked") > 0);
	assert_true(e2e_num(r.result, "dirty.frames_missed") == 0);
	assert_true(e2e_num(r.result, "replica_check.checks") + e2e_num(r.result, "replica_check.checks_skipped") >= 2);
	assert_true(e2e_num(r.result, "replica_check.tiles_mismatched") == 0);
	assert_true(e2e_num(r.result, "dirty.precision") <= 1.0);
	e2e_run_free(&r);
}

int main(void)
{
	enum { N = sizeof(phase_cases) / sizeof(phase_cases[0]) };
	struct CMUnitTest tests[N];
	static char names[N][96];

	for (size_t i = 0; i < N; i++) {
		const struct phase_case *c = &phase_cases[i];

		snprintf(names[i], sizeof(names[i]), "phases_clean(%s, %s %s)", c->strategy, c->workload, c->wopt);
		tests[i] = (struct CMUnitTest){ .name = names[i], .test_func = test_phases_clean,
						.initial_state = (void *)c };
	}
	return _cmocka_run_group_tests("phases", tests, N, NULL, NULL);
}
