/*
 * End to end, issue 23: the replica check and the delivery rule fail a
 * broken strategy that the rule before them passed; precision counts the
 * bytes that truly changed and is never above 1; locked clocks warn.
 *
 * The broken strategy is logdirty with the test aid test_drop_redirty=1: a
 * page harvested in the middle of a frame and written again by that frame
 * is not reported again (the lost re-dirty). drag with a large window at
 * 20 fps, scanned at 240 Hz: drawing a frame takes several rounds, so
 * harvests fall inside frames, and frames are far enough apart that the
 * next one never starts before the round that drops; the frames it loses
 * the rest of are still reported by a round of their window, so the old
 * rule (frames_missed_window_rule) passes them.
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

#define SHORT "--duration", "1", "--warmup", "0.3", "--res", "640x480"
#define BROKEN "logdirty", "drag", "--duration", "2", "--warmup", "0.3", "--res", "1280x720", \
	"--wopt", "fps=20,w=1200,h=680", "--rate", "240", "--sopt", "test_drop_redirty=1"

static void skip_without_kvm(void)
{
	const char *why = e2e_kvm_unusable();

	if (why) {
		print_message("skipped: %s\n", why);
		skip();
	}
}

static void test_lost_redirty_fails_the_run(void **state)
{
	struct e2e_run r;

	(void)state;
	skip_without_kvm();
	e2e_run(&r, (const char *const[]){ e2e_binary(), BROKEN, "--replica-check", "10", "--json", "-",
		"--quiet", NULL });
	if (r.status != 1)
		print_message("exit %d: %s", r.status, r.stderr_text);
	assert_int_equal(r.status, 1);
	assert_true(strstr(r.stderr_text, "MISSED UPDATE") || strstr(r.stderr_text, "REPLICA MISMATCH"));
	assert_null(r.result);
	e2e_run_free(&r);
}

/* With --allow-misses the same run completes: the exact rule and the
 * replica check each found the loss, the window rule found none. */
static void test_lost_redirty_counted_by_both_checks_not_the_window_rule(void **state)
{
	struct e2e_run r;
	char err[256];

	(void)state;
	skip_without_kvm();
	e2e_run(&r, (const char *const[]){ e2e_binary(), BROKEN, "--replica-check", "10", "--allow-misses",
		"--json", "-", "--quiet", NULL });
	if (r.status != 0)
		print_message("exit %d: %s", r.status, r.stderr_text);
	assert_int_equal(r.status, 0);
	if (schema_check(r.result, err, sizeof(err)))
		fail_msg("%s", err);
	print_message("dropped %g pages; frames missed %g, by the window rule %g; replica tiles %g in %g checks\n",
		      e2e_num(r.result, "strategy.test_pages_dropped"), e2e_num(r.result, "dirty.frames_missed"),
		      e2e_num(r.result, "dirty.frames_missed_window_rule"),
		      e2e_num(r.result, "replica_check.tiles_mismatched"), e2e_num(r.result, "replica_check.checks"));
	assert_true(e2e_num(r.result, "strategy.test_pages_dropped") > 0);
	assert_true(e2e_num(r.result, "dirty.frames_missed") > 0);
	assert_true(e2e_num(r.result, "replica_check.tiles_mismatched") > 0);
	assert_string_equal(json_string_value(json_object_get(json_object_get(r.result, "replica_check"), "verdict")),
			    "mismatch");
	assert_true(e2e_num(r.result, "dirty.frames_missed_window_rule") == 0);
	e2e_run_free(&r);
}

/* Issue 23's case: declared damage includes pixels rewritten with their own
 * value, which a content strategy rightly skips; precision counts what truly
 * changed and stays at most 1 (declared_precision is the old figure). */
static void precision_on_drag_at_24hz(const char *strategy)
{
	struct e2e_run r;

	skip_without_kvm();
	e2e_run(&r, (const char *const[]){ e2e_binary(), strategy, "drag", SHORT, "--rate", "24",
		"--json", "-", "--quiet", NULL });
	if (r.status != 0)
		print_message("exit %d: %s", r.status, r.stderr_text);
	assert_int_equal(r.status, 0);
	print_message("%s: precision %g (declared %g)\n", strategy, e2e_num(r.result, "dirty.precision"),
		      e2e_num(r.result, "dirty.declared_precision"));
	assert_true(e2e_num(r.result, "dirty.precision") > 0);
	assert_true(e2e_num(r.result, "dirty.precision") <= 1.0);
	assert_true(e2e_num(r.result, "dirty.true_changed_bytes") <= e2e_num(r.result, "dirty.reported_bytes"));
	e2e_run_free(&r);
}

static void test_precision_memcmp(void **state)
{
	(void)state;
	precision_on_drag_at_24hz("memcmp");
}

static void test_precision_memcmp_qemu(void **state)
{
	(void)state;
	precision_on_drag_at_24hz("memcmp-qemu");
}

static void test_locked_phase_warns_and_is_recorded(void **state)
{
	struct e2e_run r;

	(void)state;
	skip_without_kvm();
	e2e_run(&r, (const char *const[]){ e2e_binary(), "none", "idle", SHORT, "--phase-sweep", "0",
		"--json", "-", "--quiet", NULL });
	assert_int_equal(r.status, 0);
	assert_int_equal(e2e_lines(r.stderr_text), 1);
	assert_non_null(strstr(r.stderr_text, "warning: --phase-sweep 0"));
	assert_true(json_is_true(json_object_get(json_object_get(r.result, "scan"), "phase_locked")));
	e2e_run_free(&r);
	e2e_run(&r, (const char *const[]){ e2e_binary(), "none", "idle", SHORT, "--json", "-", "--quiet", NULL });
	assert_int_equal(r.status, 0);
	assert_null(strstr(r.stderr_text, "warning"));
	assert_true(json_is_false(json_object_get(json_object_get(r.result, "scan"), "phase_locked")));
	e2e_run_free(&r);
}

static void test_bad_replica_check(void **state)
{
	struct e2e_run r;

	(void)state;
	e2e_run(&r, (const char *const[]){ e2e_binary(), "none", "idle", "--replica-check", "x", NULL });
	assert_int_equal(r.status, 2);
	assert_int_equal(e2e_lines(r.stderr_text), 1);
	assert_non_null(strstr(r.stderr_text, "--replica-check"));
	e2e_run_free(&r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_bad_replica_check),
		cmocka_unit_test(test_lost_redirty_fails_the_run),
		cmocka_unit_test(test_lost_redirty_counted_by_both_checks_not_the_window_rule),
		cmocka_unit_test(test_precision_memcmp),
		cmocka_unit_test(test_precision_memcmp_qemu),
		cmocka_unit_test(test_locked_phase_warns_and_is_recorded),
	};

	return cmocka_run_group_tests_name("replica", tests, NULL, NULL);
}
