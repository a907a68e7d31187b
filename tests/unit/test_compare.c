/*
 * db-compare, the regression check, on synthetic matrices
 * (tests/lib/compare_fixture.c). A slower scan, extra exits and a missed
 * frame must fail it (exit 1); a clean rerun and a machine that is uniformly
 * slower must pass (0); another platform has no verdict (3); unusable input
 * is exit 2 with one line naming the file and what is wrong: the gate fails
 * closed on a member it reads that is missing or malformed.
 */
#include <jansson.h>
#include <glob.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <cmocka.h>

#include "tests/lib/compare_fixture.h"
#include "tests/lib/e2e.h"

static void compare_with(const struct fixture_change *c, struct fixture_outcome *o)
{
	char base[300], cur[300];

	fixture_matrix(NULL, base, sizeof(base));
	fixture_matrix(c, cur, sizeof(cur));
	fixture_compare(o, base, cur);
}

static void test_clean_rerun_passes(void **state)
{
	struct fixture_outcome *o = malloc(sizeof(*o));

	(void)state;
	compare_with(NULL, o);
	assert_int_equal(o->status, 0);
	assert_non_null(strstr(o->out, "verdict: no regression"));
	assert_null(strstr(o->out, "REGRESSION"));
	assert_string_equal(o->err, "");
	free(o);
}

static void test_series_files_are_read(void **state)
{
	struct fixture_change c = { .series = 1 };
	struct fixture_outcome *o = malloc(sizeof(*o));

	(void)state;
	compare_with(&c, o);
	assert_int_equal(o->status, 0);
	assert_non_null(strstr(o->out, "6 files, 18 runs, 6 configurations"));
	free(o);
}

static void test_slower_scan_is_caught(void **state)
{
	struct fixture_change c = { .strategy = "memcmp", .workload = "video", .scan = 1.5 };
	struct fixture_outcome *o = malloc(sizeof(*o));

	(void)state;
	compare_with(&c, o);
	assert_int_equal(o->status, 1);
	assert_non_null(strstr(fixture_row(o, "memcmp video", "scan/floor"), "REGRESSION"));
	assert_non_null(strstr(fixture_row(o, "memcmp idle", "scan/floor"), "ok"));
	assert_non_null(strstr(o->out, "verdict: REGRESSION: memcmp video scan/floor +"));
	free(o);
}

/* 20% slower everywhere: under each configuration's 35%, over the 15% the
 * geometric mean over all configurations allows. */
static void test_uniform_slowdown_is_caught(void **state)
{
	struct fixture_change c = { .scan = 1.2 };
	struct fixture_outcome *o = malloc(sizeof(*o));

	(void)state;
	compare_with(&c, o);
	assert_int_equal(o->status, 1);
	assert_non_null(strstr(fixture_row(o, "memcmp video", "scan/floor"), "ok"));
	assert_non_null(strstr(fixture_row(o, "all configurations", "scan/floor gmean"), "REGRESSION"));
	free(o);
}

/* The same slower scan on a machine whose memory is as much slower: the
 * normalised figure has not moved. */
static void test_uniformly_slower_machine_passes(void **state)
{
	struct fixture_change c = { .scan = 1.5, .floor = 1.5 };
	struct fixture_outcome *o = malloc(sizeof(*o));

	(void)state;
	compare_with(&c, o);
	assert_int_equal(o->status, 0);
	free(o);
}

/* Slower only while other programs kept the host busy: no verdict (3). */
static void test_busy_host_is_not_judged(void **state)
{
	struct fixture_change c = { .strategy = "memcmp", .workload = "video", .scan = 1.5, .busy = FIXTURE_RUNS };
	struct fixture_outcome *o = malloc(sizeof(*o));

	(void)state;
	compare_with(&c, o);
	assert_int_equal(o->status, 3);
	assert_non_null(strstr(fixture_row(o, "memcmp video", "scan/floor"), "busy host: not judged"));
	assert_non_null(strstr(o->out, "NO VERDICT"));
	free(o);
}

/* Two slow runs on a busy host, one quiet run as fast as ever: judged on the quiet one. */
static void test_busy_runs_are_set_aside(void **state)
{
	struct fixture_change c = { .strategy = "memcmp", .workload = "video", .scan = 3, .busy = 2 };
	struct fixture_outcome *o = malloc(sizeof(*o));

	(void)state;
	compare_with(&c, o);
	assert_int_equal(o->status, 0);
	assert_non_null(strstr(fixture_row(o, "memcmp video", "scan/floor"), "ok"));
	free(o);
}

static void test_extra_exits_are_caught(void **state)
{
	struct fixture_change c = { .strategy = "logdirty", .workload = "video", .exits = 2 };
	struct fixture_outcome *o = malloc(sizeof(*o));

	(void)state;
	compare_with(&c, o);
	assert_int_equal(o->status, 1);
	assert_non_null(strstr(fixture_row(o, "logdirty video", "kvm exits/frame"), "REGRESSION"));
	assert_non_null(strstr(fixture_row(o, "logdirty video", " exits/frame"), "REGRESSION"));
	free(o);
}

static void test_slower_drawing_is_caught(void **state)
{
	struct fixture_change c = { .strategy = "logdirty", .workload = "video", .draw = 1.6 };
	struct fixture_outcome *o = malloc(sizeof(*o));

	(void)state;
	compare_with(&c, o);
	assert_int_equal(o->status, 1);
	assert_non_null(strstr(fixture_row(o, "logdirty video", "draw/none"), "REGRESSION"));
	free(o);
}

static void test_a_miss_is_caught(void **state)
{
	struct fixture_change c = { .strategy = "memcmp", .workload = "idle", .missed = 1 };
	struct fixture_outcome *o = malloc(sizeof(*o));

	(void)state;
	compare_with(&c, o);
	assert_int_equal(o->status, 1);
	assert_non_null(strstr(fixture_row(o, "memcmp idle", "missed frames"), "REGRESSION"));
	free(o);
}

/* The p50 of a 30 fps workload under a 60 Hz scan moves between its two
 * modes with the host's speed: half a period is not a verdict, a round late is. */
static void test_latency_half_round_passes_round_late_fails(void **state)
{
	struct fixture_outcome *o = malloc(sizeof(*o));
	char base[300], cur[300];

	(void)state;
	fixture_pair(base, cur);
	for (int i = 1; i <= FIXTURE_RUNS; i++) {
		char name[64];

		snprintf(name, sizeof(name), "memcmp-video-p%d.json", i);
		fixture_mutate(cur, name, "latency_us.p50", json_real(15000 + 7000));
		snprintf(name, sizeof(name), "logdirty-video-p%d.json", i);
		fixture_mutate(cur, name, "latency_us.p50", json_real(15000 + 16667));
	}
	fixture_compare(o, base, cur);
	assert_int_equal(o->status, 1);
	assert_non_null(strstr(fixture_row(o, "memcmp video", "latency (rounds)"), " ok"));
	assert_non_null(strstr(fixture_row(o, "logdirty video", "latency (rounds)"), "REGRESSION"));
	free(o);
}

/* A flood's per-frame counts from the one run long enough among short ones
 * (pvrects on scrolling: 660 to 11 219 exits a frame) are no verdict. */
static void test_one_long_run_among_short_is_not_judged(void **state)
{
	struct fixture_outcome *o = malloc(sizeof(*o));
	char base[300], cur[300];

	(void)state;
	fixture_pair(base, cur);
	fixture_mutate(cur, "logdirty-video-p1.json", "guest.frames_measured", json_integer(4));
	fixture_mutate(cur, "logdirty-video-p2.json", "guest.frames_measured", json_integer(6));
	fixture_mutate(cur, "logdirty-video-p3.json", "exits.exits_per_frame", json_real(20));
	fixture_compare(o, base, cur);
	assert_int_equal(o->status, 0);
	assert_non_null(strstr(fixture_row(o, "logdirty video", " exits/frame"), "n/a"));
	/* Two long runs are still judged. */
	fixture_mutate(cur, "logdirty-video-p2.json", "guest.frames_measured", json_integer(90));
	fixture_mutate(cur, "logdirty-video-p2.json", "exits.exits_per_frame", json_real(20));
	fixture_compare(o, base, cur);
	assert_int_equal(o->status, 1);
	assert_non_null(strstr(fixture_row(o, "logdirty video", " exits/frame"), "REGRESSION"));
	free(o);
}

static void test_other_platform_not_comparable(void **state)
{
	struct fixture_change c = { .paging = "tdp", .module = "kvm_intel" };
	struct fixture_outcome *o = malloc(sizeof(*o));

	(void)state;
	compare_with(&c, o);
	assert_int_equal(o->status, 3);
	assert_non_null(strstr(o->out, "NOT COMPARABLE"));
	assert_non_null(strstr(o->out, "kvm_intel, tdp paging"));
	assert_null(strstr(o->out, "REGRESSION"));
	free(o);
}

static void test_other_resolution_not_comparable(void **state)
{
	struct fixture_change c = { .res = "1280x720", .scan = 3 };
	struct fixture_outcome *o = malloc(sizeof(*o));

	(void)state;
	compare_with(&c, o);
	assert_int_equal(o->status, 3);
	assert_non_null(strstr(o->out, "1280x720"));
	free(o);
}

/* Why db-compare did not refuse the input with words in its one line, or NULL. */
static const char *not_unusable(const char *base, const char *cur, const char *words)
{
	static char why[600];
	struct fixture_outcome *o = malloc(sizeof(*o));

	assert_non_null(o);
	fixture_compare(o, base, cur);
	*why = 0;
	if (o->status != 2)
		snprintf(why, sizeof(why), "exit %d, want 2 (stderr '%.200s')", o->status, o->err);
	else if (!strstr(o->err, words))
		snprintf(why, sizeof(why), "stderr '%.300s' lacks '%.200s'", o->err, words);
	else if (e2e_lines(o->err) != 1 || !strstr(o->err, "db-compare: unusable input: "))
		snprintf(why, sizeof(why), "want one line 'db-compare: unusable input: ...', got '%.200s'", o->err);
	else if (*o->out)
		snprintf(why, sizeof(why), "something on stdout: '%.200s'", o->out);
	free(o);
	return *why ? why : NULL;
}

static void expect_unusable(const char *base, const char *cur, const char *words)
{
	const char *why = not_unusable(base, cur, words);

	if (why)
		fail_msg("%s", why);
}

static void test_missing_dir_is_unusable(void **state)
{
	char base[300], missing[320];

	(void)state;
	fixture_matrix(NULL, base, sizeof(base));
	snprintf(missing, sizeof(missing), "%s/nosuch", fixture_root());
	expect_unusable(base, missing, "No such file");
	expect_unusable(missing, base, "No such file");
}

static void test_bad_json_is_unusable(void **state)
{
	char base[300], cur[300], path[400];
	FILE *f;

	(void)state;
	fixture_pair(base, cur);
	snprintf(path, sizeof(path), "%s/memcmp-idle-p1.json", cur);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs("{\"schema\": \"dirtybench-result/1\", \"run\": {", f);
	fclose(f);
	expect_unusable(base, cur, "bad JSON");
}

static void test_schema_mismatch_is_unusable(void **state)
{
	char base[300], cur[300];
	json_t *j = json_pack("{s:s}", "schema", "dirtybench-result/0");

	(void)state;
	fixture_pair(base, cur);
	fixture_write(j, cur, "old.json");
	json_decref(j);
	expect_unusable(base, cur, "old.json: schema mismatch: 'dirtybench-result/0' is neither");

	/* Not an object at all: it said "'(no schema)' is neither ...". */
	fixture_matrix(NULL, cur, sizeof(cur));
	j = json_array();
	fixture_write(j, cur, "list.json");
	json_decref(j);
	expect_unusable(base, cur, "list.json: schema mismatch: an array, not a result object");

	/* The right schema name but a member the comparison needs is gone. */
	fixture_matrix(NULL, cur, sizeof(cur));
	fixture_mutate(cur, "none-video-p2.json", "dirty.frames_missed", NULL);
	expect_unusable(base, cur, "none-video-p2.json: 'dirty.frames_missed' is missing");
}

static void test_missing_configuration_is_unusable(void **state)
{
	struct fixture_change c = { .strategy = "logdirty", .workload = "idle", .drop = 1 };
	char base[300], cur[300];

	(void)state;
	fixture_matrix(NULL, base, sizeof(base));
	fixture_matrix(&c, cur, sizeof(cur));
	expect_unusable(base, cur, "logdirty idle");
}

static void test_empty_dir_is_unusable(void **state)
{
	char base[300], empty[320];

	(void)state;
	fixture_matrix(NULL, base, sizeof(base));
	snprintf(empty, sizeof(empty), "%s/empty", fixture_root());
	assert_int_equal(mkdir(empty, 0755), 0);
	expect_unusable(base, empty, "no result files");
}

/* A member the gate reads, broken in one run of memcmp video: each was "no
 * regression" (or a misleading message) before the gate failed closed. */
static const struct bad_member {
	bool in_base;             /* the baseline's run, else the current one's */
	const char *path, *value; /* value: JSON text; NULL deletes the member */
	const char *words;        /* what the one line must say */
} bad_members[] = {
	{ false, "dirty.frames_missed", "\"0\"",
	  "memcmp-video-p1.json: 'dirty.frames_missed' is a string (\"0\"), want an integer from 0" },
	{ false, "dirty.frames_missed", "-1", "'dirty.frames_missed' is -1, want an integer from 0" },
	{ false, "dirty.frames_missed", "true", "'dirty.frames_missed' is a boolean (true), want an integer" },
	{ false, "dirty.frames_missed", "0.5", "'dirty.frames_missed' is a real number (0.5)" },
	{ true, "scan.time_us.mean", "1e308",
	  "memcmp-video-p1.json: 'scan.time_us.mean' is 1e+308, want a number from 0 to 1e+09" },
	{ false, "scan.time_us.mean", "-3", "'scan.time_us.mean' is -3, want a number from 0" },
	{ false, "dirty.precision", "\"0.96\"", "'dirty.precision' is a string (\"0.96\")" },
	{ false, "dirty.precision", "null", "'dirty.precision' is null, want a number from 0 to 1e+06 "
	  "(null only where 'dirty.reported_bytes' is 0; it is 1000000)" },
	{ true, "exits.exits_per_frame", "null", "'exits.exits_per_frame' is null, want a number from 0 "
	  "to 1e+09 (null only where 'guest.frames_measured' is 0; it is 90)" },
	{ true, "kvm_stats.vcpu.counters", NULL, "'kvm_stats.vcpu.counters.exits.per_frame' is missing" },
	{ false, "guest.draw_cycles_per_frame", "1e300", "'guest.draw_cycles_per_frame' is 1e+300" },
	{ false, "latency_us.p50", "{}", "'latency_us.p50' is an object" },
	{ false, "calibration.membw_floor_us", "0", "'calibration.membw_floor_us' is 0, want a number above 0" },
	{ false, "calibration.membw_floor_us", "null", "'calibration.membw_floor_us' is null" },
	{ false, "run.options.rate_hz", "0", "'run.options.rate_hz' is 0, want a number above 0" },
	{ false, "guest.frames_measured", "\"90\"", "'guest.frames_measured' is a string (\"90\")" },
	{ false, "run.strategy", "7", "'run.strategy' is 7, want a string" },
	{ false, "run.options.resolution", "\"1920x1080 and then forty characters more\"",
	  "'run.options.resolution' is a string (\"1920x1080 and then forty characters more\"), "
	  "want a string of at most 31 characters" },
	{ false, "regress.busy", "\"yes\"", "'regress.busy' is a string (\"yes\"), want true or false" },
};

/* Each row on fresh matrices; every row not refused as it should be is printed. */
static void test_bad_members_are_unusable(void **state)
{
	const size_t n = sizeof(bad_members) / sizeof(bad_members[0]);
	char base[300], cur[300];
	size_t failed = 0;

	(void)state;
	for (size_t i = 0; i < n; i++) {
		const struct bad_member *b = &bad_members[i];
		json_t *v = b->value ? json_loads(b->value, JSON_DECODE_ANY, NULL) : NULL;
		const char *why;

		assert_true(v || !b->value);
		fixture_pair(base, cur);
		fixture_mutate(b->in_base ? base : cur, "memcmp-video-p1.json", b->path, v);
		why = not_unusable(base, cur, b->words);
		if (why && ++failed)
			print_error("%s = %s: %s\n", b->path, b->value ? b->value : "(deleted)", why);
	}
	if (failed)
		fail_msg("%zu of %zu broken members not refused as they should be (above)", failed, n);
}

/* Every figure the gate judges that may be null, where the run says why. */
static const char *const figures[] = {
	"exits.exits_per_frame", "kvm_stats.vcpu.counters.exits.per_frame",
	"dirty.reported_tiles_per_round", "dirty.precision", "scan.time_us.mean",
	"latency_us.p50", "guest.draw_cycles_per_frame",
};

/* `make regress` passed with such a baseline. */
static void test_all_null_baseline_is_unusable(void **state)
{
	char base[300], cur[300];

	(void)state;
	fixture_pair(base, cur);
	for (size_t k = 0; k < sizeof(figures) / sizeof(figures[0]); k++)
		fixture_mutate_all(base, figures[k], json_null());
	fixture_mutate_all(base, "calibration.membw_floor_us", json_null());
	expect_unusable(base, cur, "' is null, want a number");
}

/* Nulls run-bench writes itself, each with its cause in the run, pass. */
static void test_explained_nulls_pass(void **state)
{
	char base[300], cur[300];
	struct fixture_outcome *o = malloc(sizeof(*o));

	(void)state;
	fixture_pair(base, cur);
	fixture_mutate(cur, "memcmp-video-p1.json", "dirty.precision", json_null());
	fixture_mutate(cur, "memcmp-video-p1.json", "dirty.reported_bytes", json_integer(0));
	fixture_mutate(cur, "memcmp-idle-p2.json", "exits.exits_per_frame", json_null());
	fixture_mutate(cur, "memcmp-idle-p2.json", "exits.reason", json_string("no exit counters"));
	fixture_mutate(base, "logdirty-idle-p3.json", "kvm_stats.vcpu",
		    json_pack("{s:b, s:s}", "available", 0, "reason", "no binary stats"));
	fixture_compare(o, base, cur);
	assert_string_equal(o->err, "");
	assert_int_equal(o->status, 0);
	assert_non_null(strstr(o->out, "verdict: no regression"));
	free(o);
}

/* Every run of a configuration has a null it explains (nothing reported),
 * where the baseline's runs measured it: still no verdict from it. */
static void test_figure_gone_is_unusable(void **state)
{
	char base[300], cur[300], name[64];

	(void)state;
	fixture_pair(base, cur);
	for (int r = 1; r <= FIXTURE_RUNS; r++) {
		snprintf(name, sizeof(name), "memcmp-video-p%d.json", r);
		fixture_mutate(cur, name, "dirty.precision", json_null());
		fixture_mutate(cur, name, "dirty.reported_bytes", json_integer(0));
	}
	expect_unusable(base, cur, "no run of memcmp video measured 'dirty.precision', which the baseline's did");
}

/* Both sides measured nothing (every figure null, each explained): the old
 * gate said "no regression" with every row n/a. */
static void test_nothing_measured_is_unusable(void **state)
{
	static const char *const counts[] = { "guest.frames_measured", "scan.rounds", "scan.time_us.n",
					      "latency_us.n", "dirty.reported_bytes" };
	char dirs[2][300];

	(void)state;
	for (int d = 0; d < 2; d++) {
		fixture_matrix(NULL, dirs[d], sizeof(dirs[d]));
		for (size_t k = 0; k < sizeof(counts) / sizeof(counts[0]); k++)
			fixture_mutate_all(dirs[d], counts[k], json_integer(0));
		for (size_t k = 0; k < sizeof(figures) / sizeof(figures[0]); k++)
			fixture_mutate_all(dirs[d], figures[k], json_null());
	}
	expect_unusable(dirs[0], dirs[1], "nothing to judge");
}

/* It said "'dirtybench-series/1' is neither ... nor dirtybench-series/1". */
static void test_series_without_runs_array_is_unusable(void **state)
{
	char base[300], cur[300];
	json_t *j = json_pack("{s:s, s:s}", "schema", "dirtybench-series/1", "runs", "x");

	(void)state;
	fixture_pair(base, cur);
	fixture_write(j, cur, "series.json");
	json_decref(j);
	expect_unusable(base, cur, "series.json: 'runs' is a string (\"x\"), want an array of dirtybench-result/1");
}

/* It said "end of file". */
static void test_directory_named_json_is_unusable(void **state)
{
	char base[300], cur[300], dir[400];

	(void)state;
	fixture_pair(base, cur);
	snprintf(dir, sizeof(dir), "%s/x.json", cur);
	assert_int_equal(mkdir(dir, 0755), 0);
	expect_unusable(base, cur, "x.json: a directory, not a result file");
}

/* Options cut short to key a configuration could pool two configurations. */
static void test_long_options_are_unusable(void **state)
{
	char base[300], cur[300], wopt[1100];

	(void)state;
	memset(wopt, 'x', sizeof(wopt) - 1);
	wopt[sizeof(wopt) - 1] = 0;
	fixture_pair(base, cur);
	fixture_mutate(cur, "none-idle-p3.json", "run.options.workload_options", json_string(wopt));
	expect_unusable(base, cur, "none-idle-p3.json: 'run.options.workload_options' is longer than 1023");
}

/* The committed baseline's real runs (every result file in it) pass the
 * checks and compare equal. */
static void test_real_baseline_against_itself(void **state)
{
	struct fixture_outcome *o = malloc(sizeof(*o));
	char runs[32];
	glob_t g;

	(void)state;
	assert_int_equal(glob("results/baseline/*.json", 0, NULL, &g), 0);
	snprintf(runs, sizeof(runs), "%zu runs", g.gl_pathc);
	globfree(&g);
	fixture_compare(o, "results/baseline", "results/baseline");
	assert_string_equal(o->err, "");
	assert_int_equal(o->status, 0);
	if (!strstr(o->out, runs))
		fail_msg("want '%s' in: %.300s", runs, o->out);
	assert_non_null(strstr(o->out, "verdict: no regression"));
	free(o);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_clean_rerun_passes),
		cmocka_unit_test(test_series_files_are_read),
		cmocka_unit_test(test_slower_scan_is_caught),
		cmocka_unit_test(test_uniform_slowdown_is_caught),
		cmocka_unit_test(test_uniformly_slower_machine_passes),
		cmocka_unit_test(test_busy_host_is_not_judged),
		cmocka_unit_test(test_busy_runs_are_set_aside),
		cmocka_unit_test(test_extra_exits_are_caught),
		cmocka_unit_test(test_slower_drawing_is_caught),
		cmocka_unit_test(test_a_miss_is_caught),
		cmocka_unit_test(test_latency_half_round_passes_round_late_fails),
		cmocka_unit_test(test_one_long_run_among_short_is_not_judged),
		cmocka_unit_test(test_other_platform_not_comparable),
		cmocka_unit_test(test_other_resolution_not_comparable),
		cmocka_unit_test(test_missing_dir_is_unusable),
		cmocka_unit_test(test_bad_json_is_unusable),
		cmocka_unit_test(test_schema_mismatch_is_unusable),
		cmocka_unit_test(test_missing_configuration_is_unusable),
		cmocka_unit_test(test_empty_dir_is_unusable),
		cmocka_unit_test(test_bad_members_are_unusable),
		cmocka_unit_test(test_all_null_baseline_is_unusable),
		cmocka_unit_test(test_explained_nulls_pass),
		cmocka_unit_test(test_figure_gone_is_unusable),
		cmocka_unit_test(test_nothing_measured_is_unusable),
		cmocka_unit_test(test_series_without_runs_array_is_unusable),
		cmocka_unit_test(test_directory_named_json_is_unusable),
		cmocka_unit_test(test_long_options_are_unusable),
		cmocka_unit_test(test_real_baseline_against_itself),
	};

	return cmocka_run_group_tests_name("db-compare", tests, fixture_setup, fixture_teardown);
}
