/*
 * db-bench-scan (tools/bench-scan/): the content detectors outside KVM. It
 * must run every workload, write one JSON with each detector's figures and
 * both floors, and refuse bad input with exit 2 and one line. No timing is
 * asserted: the figures are a benchmark's, not a test's.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "workloads/workload.h"
#include "tests/lib/e2e.h"

/* db-bench-scan beside the run-bench under test: the ASan pass gets db-bench-scan-asan. */
static const char *bench_scan(void)
{
	static char path[4096];
	const char *bench = e2e_binary(), *slash = strrchr(bench, '/');
	size_t len = strlen(bench);

	snprintf(path, sizeof(path), "%.*sdb-bench-scan%s", slash ? (int)(slash - bench + 1) : 0, bench,
		 len > 5 && !strcmp(bench + len - 5, "-asan") ? "-asan" : "");
	return path;
}

static void test_every_workload(void **state)
{
	char out[] = "/tmp/db-bench-scan-test.XXXXXX";
	int fd = mkstemp(out);
	struct e2e_run r;
	json_error_t jerr;
	json_t *doc, *w;

	(void)state;
	assert_true(fd >= 0);
	close(fd);
	e2e_run(&r, (const char *const[]){ bench_scan(), "--res", "130x66", "--frames", "4", "--out", out, NULL });
	if (r.status)
		fail_msg("exit %d: %s", r.status, r.stderr_text);
	doc = json_load_file(out, 0, &jerr);
	unlink(out);
	assert_non_null(doc);
	assert_string_equal(json_string_value(json_object_get(doc, "schema")), "dirtybench-bench-scan/1");
	assert_non_null(json_object_get(doc, "platform"));
	for (const struct workload_info *const *wi = workload_catalog; *wi; wi++) {
		if ((*wi)->needs_file || (*wi)->phase_names)
			continue;       /* trace, burst, mixed: not among the defaults */
		w = json_object_get(json_object_get(doc, "workloads"), (*wi)->name);
		if (!w)
			fail_msg("no figures for %s", (*wi)->name);
		assert_int_equal(json_integer_value(json_object_get(w, "frames")), 4);
		for (const char *const *d = (const char *const[]){ "memcmp", "memcmp-qemu", "memhash",
								   "read_floor", "compare_floor", NULL }; *d; d++)
			if (!json_is_number(json_object_get(json_object_get(w, *d), "p50_us")))
				fail_msg("%s: no p50_us for %s", (*wi)->name, *d);
	}
	json_decref(doc);
	e2e_run_free(&r);
}

static void expect_refused(const char *const *args, const char *words)
{
	struct e2e_run r;

	e2e_run(&r, args);
	assert_int_equal(r.status, 2);
	assert_int_equal(e2e_lines(r.stderr_text), 1);
	if (!strstr(r.stderr_text, words))
		fail_msg("want '%s' in: %s", words, r.stderr_text);
	e2e_run_free(&r);
}

static void test_bad_input(void **state)
{
	(void)state;
	expect_refused((const char *const[]){ bench_scan(), "nosuch", NULL }, "unknown workload 'nosuch'");
	expect_refused((const char *const[]){ bench_scan(), "--frames", "2", "idle", NULL }, "--frames");
	expect_refused((const char *const[]){ bench_scan(), "--res", "10x10", "idle", NULL }, "--res");
	expect_refused((const char *const[]){ bench_scan(), "--bogus", "1", NULL }, "unknown option");
	expect_refused((const char *const[]){ bench_scan(), "--res", NULL }, "lacks its value");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_every_workload),
		cmocka_unit_test(test_bad_input),
	};

	return cmocka_run_group_tests_name("db-bench-scan", tests, NULL, NULL);
}
