/*
 * The trace workload end to end (docs/TRACE.md): every shipped trace in
 * traces/ replays under every strategy with 0 missed updates (a short run at
 * the trace's own resolution; a strategy this host cannot run is skipped with
 * its reason; the ASan pass: every strategy on one trace, every trace under
 * memcmp), and run-bench refuses a bad trace before anything boots: a
 * missing file, no file option, a corrupt, truncated, oversized or
 * wrong-resolution trace, a header fuzzed at random (one line, exit 2, no
 * result file); trace on the Xen back end is refused as unsupported (exit 4).
 */
#include <glob.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "core/status.h"
#include "core/strategy.h"
#include "core/trace_file.h"
#include "tests/lib/e2e.h"

#define TRACES_GLOB "traces/*.dbt"

static glob_t traces;
static char tmp_trace[64], out_path[64];

static int setup(void **state)
{
	(void)state;
	snprintf(tmp_trace, sizeof(tmp_trace), "/tmp/db-trace-e2e-%d.dbt", (int)getpid());
	snprintf(out_path, sizeof(out_path), "/tmp/db-trace-e2e-%d.json", (int)getpid());
	if (glob(TRACES_GLOB, 0, NULL, &traces) != 0 || traces.gl_pathc == 0) {
		fprintf(stderr, "no traces matched %s (run from the repository's root)\n", TRACES_GLOB);
		return -1;
	}
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	globfree(&traces);
	unlink(tmp_trace);
	unlink(out_path);
	return 0;
}

static void trace_res(const char *path, char *res, size_t len)
{
	struct trace_info info;
	char err[512];

	if (trace_file_load(path, 0, 0, &info, NULL, NULL, err, sizeof(err)))
		fail_msg("shipped trace refused: %s", err);
	snprintf(res, len, "%ux%u", info.width, info.height);
}

static void replay(const char *strategy, const char *trace)
{
	char res[32], wopt[300];
	struct e2e_run r;

	trace_res(trace, res, sizeof(res));
	snprintf(wopt, sizeof(wopt), "file=%s", trace);
	e2e_run(&r, (const char *const[]){ e2e_binary(), "--quiet", "--duration", "0.8", "--warmup", "0.2",
					   "--res", res, "--json", "-", strategy, "trace", "--wopt", wopt, NULL });
	if (e2e_unsupported(&r)) {
		printf("  %-16s %-24s skipped: %s\n", strategy, trace, e2e_unsupported(&r));
		e2e_run_free(&r);
		return;
	}
	if (r.status != EXIT_OK)
		fail_msg("%s on %s: exit %d: %s", strategy, trace, r.status, r.stderr_text);
	assert_non_null(r.result);
	assert_true(e2e_num(r.result, "dirty.frames_checked") >= 30);
	assert_true(e2e_num(r.result, "dirty.frames_missed") == 0);
	assert_true(e2e_num(r.result, "dirty.tiles_missed") == 0);
	printf("  %-16s %-24s %4.0f frames, 0 missed\n", strategy, trace, e2e_num(r.result, "dirty.frames_checked"));
	e2e_run_free(&r);
}

/* The ASan/UBSan pass runs every strategy on one trace with recorded pixels
 * (vim-typing) and every trace under memcmp: every strategy's code and every
 * trace's replay under the sanitizers; the full matrix is the plain pass's
 * (six traces times every strategy twice would cost CI minutes it has not). */
static size_t asan_trace(void)
{
	for (size_t t = 0; t < traces.gl_pathc; t++)
		if (strstr(traces.gl_pathv[t], "vim-typing"))
			return t;
	return 0;
}

/* Plain: every strategy on two traces (vim-typing, recorded pixels; the
 * scrolling browser, the most fragmented) and every trace with a compare, a
 * tracker and guest rectangles; DIRTYBENCH_FULL_MATRIX=1 runs every pair (as
 * results/traces-20261202T1420Z did), which costs CI a minute it has not
 * since the policies came. ASan: as above. */
static bool in_matrix(const char *strategy, size_t t)
{
	const char *full = getenv("DIRTYBENCH_FULL_MATRIX");

	if (e2e_asan())
		return t == asan_trace() || !strcmp(strategy, "memcmp");
	if (full && !strcmp(full, "1"))
		return true;
	return t == asan_trace() || strstr(traces.gl_pathv[t], "chromium-scroll") || !strcmp(strategy, "memcmp") ||
	       !strcmp(strategy, "logdirty") || !strcmp(strategy, "pvrects");
}

static void test_every_trace_every_strategy(void **state)
{
	const char *why = e2e_kvm_unusable();

	(void)state;
	if (why) {
		printf("skipped: %s\n", why);
		skip();
	}
	for (size_t t = 0; t < traces.gl_pathc; t++)
		for (const struct strategy_ops *const *s = strategy_registry; *s; s++)
			if (in_matrix((*s)->name, t))
				replay((*s)->name, traces.gl_pathv[t]);
}

/* Refused before boot: exit 2, one line containing needle, no result file. */
static void expect_refused(const char *res, const char *wopt, const char *needle, int code)
{
	struct e2e_run r;
	struct stat st;

	unlink(out_path);
	if (wopt)
		e2e_run(&r, (const char *const[]){ e2e_binary(), "--duration", "600", "--res", res, "--out", out_path,
						   "memcmp", "trace", "--wopt", wopt, NULL });
	else
		e2e_run(&r, (const char *const[]){ e2e_binary(), "--duration", "600", "--res", res, "--out", out_path,
						   "memcmp", "trace", NULL });
	assert_int_equal(r.status, code);
	assert_int_equal(e2e_lines(r.stderr_text), 1);
	if (needle && !strstr(r.stderr_text, needle))
		fail_msg("expected '%s' in: %s", needle, r.stderr_text);
	assert_true(stat(out_path, &st) != 0);
	e2e_run_free(&r);
}

static uint8_t *shipped(size_t *len, char *res, size_t reslen)
{
	FILE *f = fopen(traces.gl_pathv[0], "rb");
	uint8_t *buf = malloc(TRACE_HEADER_BYTES + TRACE_MAX_ZPAYLOAD);

	assert_non_null(f);
	*len = fread(buf, 1, TRACE_HEADER_BYTES + TRACE_MAX_ZPAYLOAD, f);
	fclose(f);
	trace_res(traces.gl_pathv[0], res, reslen);
	return buf;
}

static void write_tmp(const uint8_t *b, size_t len)
{
	FILE *f = fopen(tmp_trace, "wb");

	assert_non_null(f);
	assert_int_equal(fwrite(b, 1, len, f), len);
	fclose(f);
}

static void test_bad_traces_refused(void **state)
{
	char res[32], wopt[128];
	size_t len;
	uint8_t *b = shipped(&len, res, sizeof(res));

	(void)state;
	snprintf(wopt, sizeof(wopt), "file=%s", tmp_trace);
	expect_refused(res, NULL, "give the trace with --wopt file=PATH", EXIT_BAD_INPUT);
	expect_refused(res, "file=/nonexistent/trace.dbt", "No such file", EXIT_BAD_INPUT);
	expect_refused(res, "file=/tmp", "not a regular file", EXIT_BAD_INPUT);
	snprintf(wopt + 5, sizeof(wopt) - 5, "%s", traces.gl_pathv[0]);
	expect_refused("1024x768", wopt, "run it with --res", EXIT_BAD_INPUT);
	snprintf(wopt, sizeof(wopt), "file=%s", tmp_trace);
	write_tmp(b, len / 2);
	expect_refused(res, wopt, "truncated", EXIT_BAD_INPUT);
	b[len - 5] ^= 0x55;
	write_tmp(b, len);
	expect_refused(res, wopt, "corrupt", EXIT_BAD_INPUT);
	b[len - 5] ^= 0x55;
	b[TRACE_OFF_WIDTH] ^= 1;
	write_tmp(b, len);
	expect_refused(res, wopt, "header checksum", EXIT_BAD_INPUT);
	b[TRACE_OFF_WIDTH] ^= 1;
	FILE *f = fopen(tmp_trace, "wb");       /* a sparse file over the size limit */
	assert_non_null(f);
	assert_int_equal(ftruncate(fileno(f), TRACE_HEADER_BYTES + (off_t)TRACE_MAX_ZPAYLOAD + 4096), 0);
	fclose(f);
	expect_refused(res, wopt, "oversized", EXIT_BAD_INPUT);
	free(b);
}

/* Random bytes of the header: refused (exit 2, one line, no result) unless
 * the flip left it valid, which a checksum makes impossible here. */
static void test_fuzzed_header_refused(void **state)
{
	char res[32], wopt[128];
	size_t len;
	uint8_t *b = shipped(&len, res, sizeof(res));
	unsigned seed = 2020;

	(void)state;
	snprintf(wopt, sizeof(wopt), "file=%s", tmp_trace);
	for (int k = 0; k < 12; k++) {
		size_t off = (size_t)rand_r(&seed) % 128;
		uint8_t old = b[off];

		b[off] ^= (uint8_t)(1 + rand_r(&seed) % 255);
		write_tmp(b, len);
		expect_refused(res, wopt, "trace ", EXIT_BAD_INPUT);
		b[off] = old;
	}
	free(b);
}

static void test_xen_refuses_trace(void **state)
{
	char res[32], wopt[300];
	struct e2e_run r;

	(void)state;
	trace_res(traces.gl_pathv[0], res, sizeof(res));
	snprintf(wopt, sizeof(wopt), "file=%s", traces.gl_pathv[0]);
	e2e_run(&r, (const char *const[]){ e2e_binary(), "--backend", "xen", "--domain", "nosuch", "--res", res,
					   "--out", out_path, "memcmp", "trace", "--wopt", wopt, NULL });
	assert_int_equal(r.status, EXIT_UNSUPPORTED);
	assert_int_equal(e2e_lines(r.stderr_text), 1);
	assert_non_null(strstr(r.stderr_text, "only the kvm back end loads a trace"));
	e2e_run_free(&r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_bad_traces_refused),
		cmocka_unit_test(test_fuzzed_header_refused),
		cmocka_unit_test(test_xen_refuses_trace),
		cmocka_unit_test(test_every_trace_every_strategy),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
