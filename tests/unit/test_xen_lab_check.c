/*
 * The Xen lab's verdict (scripts/xen-lab/check) on what dom0 brought out:
 * it must fail on a missed update, a failed run, a run that judged too few
 * frames to prove anything, and a dom0 that did not finish; and record a
 * strategy run-bench refused as unsupported on Xen (exit 4, its message the
 * reason) without failing. The verdict follows the exit status, never the
 * message's words. The lab itself (make xen-lab, in .ci/run) produces these
 * files for real; here they are written by hand so each verdict is pinned.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "tests/lib/lab_fixture.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

/* A run that exited rc; with a result of `frames` judged, `missed` missed. */
static void add_run(const struct lab *l, const char *s, const char *w, int rc, int frames, int missed)
{
	char file[96];

	lab_append(l, "status", "%s %s %d\n", s, w, rc);
	if (rc)
		return;
	snprintf(file, sizeof(file), "results/%s-%s.json", s, w);
	lab_append(l, file, "{\"run\": {\"strategy\": \"%s\", \"workload\": \"%s\", \"options\": {\"rate_hz\": 60}},"
	       " \"dirty\": {\"frames_checked\": %d, \"frames_missed\": %d},"
	       " \"guest\": {\"fps_achieved\": 30, \"draw_cycles_per_frame\": %d},"
	       " \"scan\": {\"time_us\": {\"p50\": 20}}, \"latency_us\": {\"p50\": 8000}}\n",
	       s, w, frames, missed, strcmp(s, "none") ? 2000000 : 1000000);
}

/* Run the check on RUNS; its exit status, its output in l->output. */
static int check(struct lab *l, const char *runs)
{
	char cmd[512];
	FILE *p;
	size_t n;
	int status;

	snprintf(cmd, sizeof(cmd), "scripts/xen-lab/check '%s' '%s' 2>&1", l->dir, runs);
	p = popen(cmd, "r");
	assert_non_null(p);
	n = fread(l->output, 1, sizeof(l->output) - 1, p);
	l->output[n] = 0;
	status = pclose(p);
	assert_true(WIFEXITED(status));
	return WEXITSTATUS(status);
}

static void clean_lab_passes_and_records_unsupported(void **state)
{
	struct lab *l = *state;
	char path[128], cmd[256];

	add_run(l, "none", "video", 0, 120, 0);
	add_run(l, "memcmp", "video", 0, 120, 0);
	add_run(l, "dirtyring", "video", 4, 0, 0);
	lab_append(l, "log", "run-bench: dirtyring video: strategy dirtyring is not supported on Xen: Xen has no dirty ring\n");
	lab_append(l, "status", "done failed=0\n");
	assert_int_equal(check(l, "none:video@60+memcmp:video@60+dirtyring:video@60"), 0);
	assert_non_null(strstr(l->output, "unsupported: strategy dirtyring is not supported on Xen: Xen has no dirty ring"));
	assert_non_null(strstr(l->output, "memcmp on video: 2x"));
	snprintf(path, sizeof(path), "%s/summary.json", l->dir);
	snprintf(cmd, sizeof(cmd), "jq -e '.unsupported[0].reason == "
		 "\"strategy dirtyring is not supported on Xen: Xen has no dirty ring\"' '%s' >/dev/null", path);
	assert_int_equal(system(cmd), 0);
}

static void missed_update_fails(void **state)
{
	struct lab *l = *state;

	add_run(l, "none", "video", 0, 120, 0);
	add_run(l, "ptebits", "video", 0, 120, 1);
	lab_append(l, "status", "done failed=0\n");
	assert_int_equal(check(l, "none:video@60+ptebits:video@60"), 1);
	assert_non_null(strstr(l->output, "FAILED"));
}

static void failed_run_fails(void **state)
{
	struct lab *l = *state;

	add_run(l, "pvbitmap", "idle", 1, 0, 0);
	lab_append(l, "log", "run-bench: pvbitmap idle: the domU did not start the workload within 20 s\n");
	lab_append(l, "status", "done failed=1\n");
	assert_int_equal(check(l, "pvbitmap:idle@60"), 1);
	assert_non_null(strstr(l->output, "did not start the workload"));
}

static void bad_input_is_not_unsupported(void **state)
{
	struct lab *l = *state;

	add_run(l, "memcmp", "idle", 2, 0, 0);
	lab_append(l, "log", "run-bench: memcmp idle: framebuffer larger than the domU region's 24 MiB of VRAM\n");
	assert_int_equal(check(l, "memcmp:idle@60"), 1);
	/* Refused in words but exit 2: the verdict follows the exit status. */
	add_run(l, "dirtyring", "video", 2, 0, 0);
	lab_append(l, "log", "run-bench: dirtyring video: strategy dirtyring is not supported on Xen: no ring\n");
	lab_append(l, "status", "done failed=1\n");
	assert_int_equal(check(l, "dirtyring:video@60"), 1);
	assert_non_null(strstr(l->output, "FAILED: run-bench: dirtyring video: strategy dirtyring is not supported"));
}

static void too_few_frames_fail(void **state)
{
	struct lab *l = *state;

	add_run(l, "logdirty-manual", "video", 0, 1, 0);
	lab_append(l, "status", "done failed=0\n");
	assert_int_equal(check(l, "logdirty-manual:video@10"), 1);
	assert_non_null(strstr(l->output, "proves nothing"));
}

/* The ASan/UBSan build's runs (S:W@HZ/asan) are judged from results-asan/;
 * a sanitizer report ends the run with no run-bench error line. */
static void sanitizer_run_judged(void **state)
{
	struct lab *l = *state;
	char dir[128];

	snprintf(dir, sizeof(dir), "%s/results-asan", l->dir);
	assert_int_equal(mkdir(dir, 0755), 0);
	add_run(l, "none", "scrolling", 0, 120, 0);
	lab_append(l, "results-asan/none-scrolling.json", "{\"run\": {\"strategy\": \"none\"}, \"dirty\": "
	       "{\"frames_checked\": 120, \"frames_missed\": 0}}\n");
	lab_append(l, "status", "none scrolling/asan 0\npvbitmap scrolling/asan 1\ndone failed=1\n");
	lab_append(l, "log", "==42==ERROR: AddressSanitizer: heap-buffer-overflow\n");
	assert_int_equal(check(l, "none:scrolling@60+none:scrolling@60/asan"), 0);
	assert_int_equal(check(l, "none:scrolling@60+none:scrolling@60/asan+pvbitmap:scrolling@60/asan"), 1);
	assert_non_null(strstr(l->output, "sanitizer report"));
}

static void unfinished_dom0_fails(void **state)
{
	struct lab *l = *state;

	add_run(l, "none", "idle", 0, 8, 0);
	assert_int_equal(check(l, "none:idle@60"), 1);
	assert_non_null(strstr(l->output, "did not finish"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(clean_lab_passes_and_records_unsupported, lab_setup, lab_teardown),
		cmocka_unit_test_setup_teardown(missed_update_fails, lab_setup, lab_teardown),
		cmocka_unit_test_setup_teardown(failed_run_fails, lab_setup, lab_teardown),
		cmocka_unit_test_setup_teardown(bad_input_is_not_unsupported, lab_setup, lab_teardown),
		cmocka_unit_test_setup_teardown(too_few_frames_fail, lab_setup, lab_teardown),
		cmocka_unit_test_setup_teardown(sanitizer_run_judged, lab_setup, lab_teardown),
		cmocka_unit_test_setup_teardown(unfinished_dom0_fails, lab_setup, lab_teardown),
	};

	return cmocka_run_group_tests_name("xen lab check", tests, NULL, NULL);
}
