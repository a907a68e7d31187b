/*
 * The collectors against each other and against the host: under log-dirty
 * the write faults KVM counts must agree with the pages the log reported;
 * --no-counters must record the counters as not collected (never as zero);
 * --perf-record must leave a perf data file beside the result.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "tests/lib/e2e.h"

/*
 * Every page the log reports was write-protected after the previous harvest
 * and then written once: one write fault (pf_fixed) per page reported. They
 * differ only at the edges of the measured window (a page written just
 * before the window opens is reported in its first round; one written just
 * before it closes is reported after it), each edge at most one round of
 * pages: ~1/120 of a 2 s run at 60 Hz. Faults elsewhere (guest RAM is not
 * logged, so not write-protected) are nearly none. 5% covers both edges
 * with room for a round that caught a whole frame.
 */
#define FAULTS_PER_PAGE_TOLERANCE 0.05

static bool skip_without_kvm(void)
{
	const char *why = e2e_kvm_unusable();

	if (why)
		print_message("skipped: %s\n", why);
	return why != NULL;
}

static void check_faults_match_pages(const char *strategy, const char *workload)
{
	struct e2e_run r;
	double faults, pages, ratio;

	if (skip_without_kvm())
		skip();
	e2e_run(&r, (const char *const[]){ e2e_binary(), strategy, workload, "--duration", "2",
		"--warmup", "0.5", "--json", "-", "--quiet", NULL });
	if (r.status != 0)
		print_message("exit %d: %s", r.status, r.stderr_text);
	assert_int_equal(r.status, 0);
	faults = e2e_num(r.result, "kvm_stats.vcpu.counters.pf_fixed.delta");
	pages = e2e_num(r.result, "dirty.reported_pages");
	if (faults < 0) {
		print_message("skipped: this kernel has no pf_fixed statistic\n");
		e2e_run_free(&r);
		skip();
	}
	assert_true(pages > 1000);     /* the workload really wrote */
	ratio = faults / pages;
	print_message("%s %s: %.0f write faults, %.0f pages reported, ratio %.4f\n",
		      strategy, workload, faults, pages, ratio);
	assert_true(ratio > 1 - FAULTS_PER_PAGE_TOLERANCE && ratio < 1 + FAULTS_PER_PAGE_TOLERANCE);
	e2e_run_free(&r);
}

static void test_logdirty_faults_match_pages_video(void **state)
{
	(void)state;
	check_faults_match_pages("logdirty", "video");
}

static void test_logdirty_faults_match_pages_scrolling(void **state)
{
	(void)state;
	check_faults_match_pages("logdirty", "scrolling");
}

static void test_logdirty_manual_faults_match_pages(void **state)
{
	(void)state;
	check_faults_match_pages("logdirty-manual", "video");
}

/* Content strategies report tiles, not pages: no page count is claimed. */
static void test_memcmp_reports_no_pages(void **state)
{
	struct e2e_run r;

	(void)state;
	if (skip_without_kvm())
		skip();
	e2e_run(&r, (const char *const[]){ e2e_binary(), "memcmp", "sparse", "--duration", "0.5",
		"--warmup", "0.2", "--json", "-", "--quiet", NULL });
	assert_int_equal(r.status, 0);
	assert_null(json_object_get(json_object_get(r.result, "dirty"), "reported_pages"));
	e2e_run_free(&r);
}

static void test_no_counters_are_unavailable_not_zero(void **state)
{
	struct e2e_run r;
	const json_t *counters, *c;
	const char *name;

	(void)state;
	if (skip_without_kvm())
		skip();
	e2e_run(&r, (const char *const[]){ e2e_binary(), "none", "video", "--duration", "0.5",
		"--warmup", "0.2", "--no-counters", "--json", "-", "--quiet", NULL });
	assert_int_equal(r.status, 0);
	counters = json_object_get(json_object_get(r.result, "perf"), "vcpu_thread");
	assert_true(json_object_size(counters) > 0);
	json_object_foreach((json_t *)counters, name, c) {
		assert_true(json_is_false(json_object_get(c, "available")));
		assert_null(json_object_get(c, "delta"));
		assert_non_null(strstr(json_string_value(json_object_get(c, "reason")), "--no-counters"));
	}
	/* KVM's own statistics are still read: they cost two reads a run. */
	assert_true(e2e_num(r.result, "kvm_stats.vcpu.counters.exits.delta") > 0);
	e2e_run_free(&r);
}

static bool perf_runs(void)
{
	return system("perf --version >/dev/null 2>&1") == 0;
}

static void test_perf_record_leaves_data_beside_result(void **state)
{
	char dir[] = "/tmp/db-perf-record-XXXXXX", out[128], data[128];
	struct e2e_run r;
	struct stat st;
	json_t *result;

	(void)state;
	if (skip_without_kvm())
		skip();
	if (!perf_runs()) {
		print_message("skipped: perf does not run on this host\n");
		skip();
	}
	assert_non_null(mkdtemp(dir));
	snprintf(out, sizeof(out), "%s/run.json", dir);
	snprintf(data, sizeof(data), "%s/run.perf.data", dir);
	e2e_run(&r, (const char *const[]){ e2e_binary(), "logdirty", "video", "--duration", "0.5",
		"--warmup", "0.2", "--perf-record", "--out", out, "--quiet", NULL });
	if (r.status != 0)
		print_message("exit %d: %s", r.status, r.stderr_text);
	assert_int_equal(r.status, 0);
	assert_int_equal(stat(data, &st), 0);
	assert_true(st.st_size > 0);
	result = json_load_file(out, 0, NULL);
	assert_non_null(result);
	assert_string_equal(json_string_value(json_object_get(json_object_get(json_object_get(result, "run"),
		"perf_record"), "status")), "ok");
	json_decref(result);
	e2e_run_free(&r);
	unlink(out);
	unlink(data);
	rmdir(dir);
}

static void test_perf_record_refuses_stdout(void **state)
{
	struct e2e_run r;

	(void)state;
	e2e_run(&r, (const char *const[]){ e2e_binary(), "none", "idle", "--perf-record", "--json", "-", NULL });
	assert_int_equal(r.status, 2);
	assert_int_equal(e2e_lines(r.stderr_text), 1);
	e2e_run_free(&r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_logdirty_faults_match_pages_video),
		cmocka_unit_test(test_logdirty_faults_match_pages_scrolling),
		cmocka_unit_test(test_logdirty_manual_faults_match_pages),
		cmocka_unit_test(test_memcmp_reports_no_pages),
		cmocka_unit_test(test_no_counters_are_unavailable_not_zero),
		cmocka_unit_test(test_perf_record_leaves_data_beside_result),
		cmocka_unit_test(test_perf_record_refuses_stdout),
	};

	return cmocka_run_group_tests_name("collectors", tests, NULL, NULL);
}
