/*
 * pvbitmap in a real micro-VM (run-bench): with sync=1 it must miss nothing
 * on video, scrolling, idle and sparse and report its switches, sync share
 * and bitmap memory; pvbitmap-fine the same on video, on its 128 columns.
 * The protocol without a VM is tested in tests/unit/test_pvbitmap.c.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>

#include "tests/lib/e2e.h"

static void e2e_pv(const char *strategy, const char *workload, const char *sopt)
{
	const char *why = e2e_kvm_unusable();
	struct e2e_run r;

	if (why) {
		print_message("skipped: %s\n", why);
		skip();
	}
	e2e_run(&r, (const char *const[]){ e2e_binary(), strategy, workload, "--duration", "1.5",
		"--warmup", "0.3", "--sopt", sopt, "--json", "-", "--quiet", NULL });
	if (r.status != 0)
		print_message("%s %s: exit %d: %s", strategy, workload, r.status, r.stderr_text);
	assert_int_equal(r.status, 0);
	assert_true(e2e_num(r.result, "dirty.frames_checked") > 0);
	assert_true(e2e_num(r.result, "dirty.frames_missed") == 0);
	assert_true(e2e_num(r.result, "strategy.switches") > 0);
	assert_true(e2e_num(r.result, "strategy.sync_share") >= 0);
	assert_true(e2e_num(r.result, "strategy.memory_bytes") >= 4096);
	if (!strcmp(strategy, "pvbitmap-fine"))
		assert_true(e2e_num(r.result, "run.options.tile_cols") == 128);
	e2e_run_free(&r);
}

static void test_e2e_video(void **state) { (void)state; e2e_pv("pvbitmap", "video", "sync=1"); }
static void test_e2e_scrolling(void **state) { (void)state; e2e_pv("pvbitmap", "scrolling", "sync=1"); }
static void test_e2e_idle(void **state) { (void)state; e2e_pv("pvbitmap", "idle", "sync=1"); }
static void test_e2e_sparse(void **state) { (void)state; e2e_pv("pvbitmap", "sparse", "sync=1"); }
static void test_e2e_fine_video(void **state) { (void)state; e2e_pv("pvbitmap-fine", "video", "sync=1"); }

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_e2e_video),
		cmocka_unit_test(test_e2e_scrolling),
		cmocka_unit_test(test_e2e_idle),
		cmocka_unit_test(test_e2e_sparse),
		cmocka_unit_test(test_e2e_fine_video),
	};

	return cmocka_run_group_tests_name("pvbitmap_vm", tests, NULL, NULL);
}
