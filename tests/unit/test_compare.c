/*
 * db-compare, the regression check, on synthetic matrices: result files
 * written here with just the members the comparison reads, a few runs per
 * configuration with a little jitter. A slower scan, extra exits and a missed
 * frame must fail it (exit 1); a clean rerun and a machine that is uniformly
 * slower must pass (0); another platform has no verdict (3); unusable input
 * is exit 2 with one line.
 */
#include <fcntl.h>
#include <jansson.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#include "tests/lib/e2e.h"

#define RUNS 3

static const char *const strategies[] = { "none", "memcmp", "logdirty" };
static const char *const workloads[] = { "idle", "video" };

/* One run's figures; the fixture writes them into a result. */
struct fig {
	double scan_us, floor_us, exits, kvm_exits, tiles, precision, latency_us, draw;
	int missed, busy;
	const char *module, *paging, *cpu, *res;
};

/* What a variant changes for one configuration (NULL: every one). */
struct change {
	const char *strategy, *workload;
	double scan, floor, exits, draw; /* factors; 0 means 1 */
	int missed;
	const char *paging, *module, *res;
	int busy;   /* runs 0..busy-1 taken on a busy host; the factors apply to those only */
	int drop;   /* leave this configuration out */
	int series; /* write the runs as one dirtybench-series/1 file */
};

static char root[256];
static int variant_no;

static struct fig fig_for(const char *s, const char *w, int run)
{
	bool busy = !strcmp(w, "video");
	/* Runs of one matrix spread by 2%, matrices differ by up to 1%. */
	double jitter = (1 + 0.02 * ((run * 7 + (int)strlen(s)) % 3 - 1)) * (1 + 0.005 * (variant_no % 3 - 1));
	struct fig f = {
		.scan_us = (!strcmp(s, "none") ? 1.0 : !strcmp(s, "memcmp") ? 700 : 40) * jitter,
		.floor_us = 540 * (2 - jitter),
		.exits = 1, .kvm_exits = !strcmp(s, "logdirty") && busy ? 1350 : 1.5,
		.tiles = busy ? 1782 : 0.12, .precision = busy ? 0.96 : 0.13,
		.latency_us = 15000 * jitter, .draw = (busy ? 4.8e6 : 1.5e4) * jitter,
		.module = "kvm_pvm", .paging = "shadow", .cpu = "AMD EPYC", .res = "1920x1080",
	};
	if (!strcmp(s, "logdirty"))
		f.draw *= 5;
	return f;
}

static json_t *result_json(const char *s, const char *w, const struct fig *f)
{
	json_error_t err;
	json_t *r = json_pack_ex(&err, 0,
		"{s:s, s:s,"
		" s:{s:s, s:s, s:{s:s, s:f, s:f, s:f, s:i, s:s, s:s, s:i, s:i, s:i}},"
		" s:{s:s, s:{s:s, s:s}},"
		" s:{s:{s:f, s:f, s:f}}, s:{s:f, s:f},"
		" s:{s:i, s:i, s:f, s:f},"
		" s:{s:f}, s:{s:f}, s:{s:f},"
		" s:{s:{s:b, s:{s:{s:f}}}}, s:{s:f, s:b}}",
		"schema", "dirtybench-result/1", "status", "ok",
		"run", "strategy", s, "workload", w, "options", "resolution", f->res, "duration_s", 1.5,
		"warmup_s", 0.5, "rate_hz", 60.0, "seed", 1, "strategy_options", "", "workload_options", "",
		"tile_cols", 64, "tile_rows", 120, "dirty_ring_bytes", 65536,
		"platform", "cpu_model", f->cpu, "kvm", "module", f->module, "paging", f->paging,
		"scan", "time_us", "mean", f->scan_us, "p50", f->scan_us, "p99", 2 * f->scan_us,
		"calibration", "membw_floor_us", f->floor_us, "scan_to_floor_ratio", f->scan_us / f->floor_us,
		"dirty", "frames_missed", f->missed, "tiles_missed", f->missed * 3,
		"reported_tiles_per_round", f->tiles, "precision", f->precision,
		"exits", "exits_per_frame", f->exits,
		"latency_us", "p50", f->latency_us,
		"guest", "draw_cycles_per_frame", f->draw,
		"kvm_stats", "vcpu", "available", 1, "counters", "exits", "per_frame", f->kvm_exits,
		"regress", "others_cpu", f->busy ? 0.9 : 0.05, "busy", f->busy);

	if (!r)
		fail_msg("fixture: %s", err.text);
	return r;
}

static double factor(double f)
{
	return f ? f : 1;
}

static void apply(struct fig *f, const struct change *c, int run)
{
	f->busy = run < c->busy;
	if (c->busy && !f->busy)
		return;
	f->scan_us *= factor(c->scan);
	f->floor_us *= factor(c->floor);
	f->exits *= factor(c->exits);
	f->kvm_exits *= factor(c->exits);
	f->draw *= factor(c->draw);
	f->missed = run == 0 ? c->missed : 0;
	f->paging = c->paging ? c->paging : f->paging;
	f->module = c->module ? c->module : f->module;
	f->res = c->res ? c->res : f->res;
}

static bool applies(const struct change *c, const char *s, const char *w)
{
	return (!c->strategy || !strcmp(c->strategy, s)) && (!c->workload || !strcmp(c->workload, w));
}

static void write_json(const json_t *j, const char *dir, const char *name)
{
	char path[512];

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	assert_int_equal(json_dump_file(j, path, JSON_INDENT(1)), 0);
}

/* A matrix directory under root; c may be NULL (the reference figures). */
static const char *make_matrix(const struct change *c, char *dir, size_t len)
{
	static const struct change none_changed;

	c = c ? c : &none_changed;
	snprintf(dir, len, "%s/m%d", root, variant_no++);
	assert_int_equal(mkdir(dir, 0755), 0);
	for (size_t i = 0; i < sizeof(strategies) / sizeof(strategies[0]); i++)
		for (size_t k = 0; k < sizeof(workloads) / sizeof(workloads[0]); k++) {
			const char *s = strategies[i], *w = workloads[k];
			bool hit = applies(c, s, w);
			json_t *runs;
			char name[128];

			if (hit && c->drop)
				continue;
			runs = json_array();
			for (int r = 0; r < RUNS; r++) {
				struct fig f = fig_for(s, w, r);

				if (hit)
					apply(&f, c, r);
				json_array_append_new(runs, result_json(s, w, &f));
			}
			for (int r = 0; r < RUNS && !c->series; r++) {
				snprintf(name, sizeof(name), "%s-%s-p%d.json", s, w, r + 1);
				write_json(json_array_get(runs, (size_t)r), dir, name);
			}
			if (c->series) {
				json_t *series = json_pack("{s:s, s:s, s:i, s:O, s:{}}", "schema",
							   "dirtybench-series/1", "status", "ok", "repeat",
							   RUNS, "runs", runs, "summary");

				snprintf(name, sizeof(name), "%s-%s.json", s, w);
				write_json(series, dir, name);
				json_decref(series);
			}
			json_decref(runs);
		}
	return dir;
}

struct outcome {
	int status;
	char out[65536], err[4096];
};

static void slurp(const char *path, char *buf, size_t len)
{
	FILE *f = fopen(path, "r");
	size_t n = f ? fread(buf, 1, len - 1, f) : 0;

	buf[n] = 0;
	if (f)
		fclose(f);
}

/* db-compare beside the run-bench under test: the ASan pass gets db-compare-asan. */
static const char *compare_binary(void)
{
	static char path[512];
	const char *bench = e2e_binary(), *slash = strrchr(bench, '/');
	size_t len = strlen(bench);
	bool asan = len > 5 && !strcmp(bench + len - 5, "-asan");

	snprintf(path, sizeof(path), "%.*sdb-compare%s", slash ? (int)(slash - bench + 1) : 0, bench,
		 asan ? "-asan" : "");
	return path;
}

static void run_compare(struct outcome *o, const char *base, const char *cur)
{
	char out[512], err[512];
	int wstatus;
	pid_t pid;

	snprintf(out, sizeof(out), "%s/stdout", root);
	snprintf(err, sizeof(err), "%s/stderr", root);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		int fo = open(out, O_WRONLY | O_CREAT | O_TRUNC, 0644);
		int fe = open(err, O_WRONLY | O_CREAT | O_TRUNC, 0644);

		dup2(fo, 1);
		dup2(fe, 2);
		execl(compare_binary(), compare_binary(), base, cur, (char *)NULL);
		_exit(127);
	}
	assert_int_equal(waitpid(pid, &wstatus, 0), pid);
	o->status = WIFEXITED(wstatus) ? WEXITSTATUS(wstatus) : -1;
	slurp(out, o->out, sizeof(o->out));
	slurp(err, o->err, sizeof(o->err));
	if (o->status == 127)
		fail_msg("cannot run %s", compare_binary());
}

/* The table row for one configuration and metric. */
static const char *row(const struct outcome *o, const char *config, const char *metric)
{
	static char line[512];
	const char *p = o->out;

	while ((p = strstr(p, config))) {
		const char *end = strchr(p, '\n');
		size_t n = end ? (size_t)(end - p) : strlen(p);

		snprintf(line, sizeof(line), "%.*s", (int)n, p);
		if ((p == o->out || p[-1] == '\n') && strstr(line, metric))
			return line;
		p += n;
	}
	return "";
}

static void compare_with(const struct change *c, struct outcome *o)
{
	char base[300], cur[300];

	make_matrix(NULL, base, sizeof(base));
	make_matrix(c, cur, sizeof(cur));
	run_compare(o, base, cur);
}

static int setup(void **state)
{
	(void)state;
	snprintf(root, sizeof(root), "/tmp/db-compare-test.XXXXXX");
	return mkdtemp(root) ? 0 : -1;
}

static int teardown(void **state)
{
	char cmd[300];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root);
	return system(cmd) == 0 ? 0 : -1;
}

static void test_clean_rerun_passes(void **state)
{
	struct outcome *o = malloc(sizeof(*o));

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
	struct change c = { .series = 1 };
	struct outcome *o = malloc(sizeof(*o));

	(void)state;
	compare_with(&c, o);
	assert_int_equal(o->status, 0);
	assert_non_null(strstr(o->out, "6 files, 18 runs, 6 configurations"));
	free(o);
}

static void test_slower_scan_is_caught(void **state)
{
	struct change c = { .strategy = "memcmp", .workload = "video", .scan = 1.5 };
	struct outcome *o = malloc(sizeof(*o));

	(void)state;
	compare_with(&c, o);
	assert_int_equal(o->status, 1);
	assert_non_null(strstr(row(o, "memcmp video", "scan/floor"), "REGRESSION"));
	assert_non_null(strstr(row(o, "memcmp idle", "scan/floor"), "ok"));
	assert_non_null(strstr(o->out, "verdict: REGRESSION: memcmp video scan/floor +"));
	free(o);
}

/* 20% slower everywhere: under each configuration's 35%, over the 15% the
 * geometric mean over all configurations allows. */
static void test_uniform_slowdown_is_caught(void **state)
{
	struct change c = { .scan = 1.2 };
	struct outcome *o = malloc(sizeof(*o));

	(void)state;
	compare_with(&c, o);
	assert_int_equal(o->status, 1);
	assert_non_null(strstr(row(o, "memcmp video", "scan/floor"), "ok"));
	assert_non_null(strstr(row(o, "all configurations", "scan/floor gmean"), "REGRESSION"));
	free(o);
}

/* The same slower scan on a machine whose memory is as much slower: the
 * normalised figure has not moved. */
static void test_uniformly_slower_machine_passes(void **state)
{
	struct change c = { .scan = 1.5, .floor = 1.5 };
	struct outcome *o = malloc(sizeof(*o));

	(void)state;
	compare_with(&c, o);
	assert_int_equal(o->status, 0);
	free(o);
}

/* Slower only while other programs kept the host busy: no verdict (3). */
static void test_busy_host_is_not_judged(void **state)
{
	struct change c = { .strategy = "memcmp", .workload = "video", .scan = 1.5, .busy = RUNS };
	struct outcome *o = malloc(sizeof(*o));

	(void)state;
	compare_with(&c, o);
	assert_int_equal(o->status, 3);
	assert_non_null(strstr(row(o, "memcmp video", "scan/floor"), "busy host: not judged"));
	assert_non_null(strstr(o->out, "NO VERDICT"));
	free(o);
}

/* Two slow runs on a busy host, one quiet run as fast as ever: judged on the quiet one. */
static void test_busy_runs_are_set_aside(void **state)
{
	struct change c = { .strategy = "memcmp", .workload = "video", .scan = 3, .busy = 2 };
	struct outcome *o = malloc(sizeof(*o));

	(void)state;
	compare_with(&c, o);
	assert_int_equal(o->status, 0);
	assert_non_null(strstr(row(o, "memcmp video", "scan/floor"), "ok"));
	free(o);
}

static void test_extra_exits_are_caught(void **state)
{
	struct change c = { .strategy = "logdirty", .workload = "video", .exits = 2 };
	struct outcome *o = malloc(sizeof(*o));

	(void)state;
	compare_with(&c, o);
	assert_int_equal(o->status, 1);
	assert_non_null(strstr(row(o, "logdirty video", "kvm exits/frame"), "REGRESSION"));
	assert_non_null(strstr(row(o, "logdirty video", " exits/frame"), "REGRESSION"));
	free(o);
}

static void test_slower_drawing_is_caught(void **state)
{
	struct change c = { .strategy = "logdirty", .workload = "video", .draw = 1.6 };
	struct outcome *o = malloc(sizeof(*o));

	(void)state;
	compare_with(&c, o);
	assert_int_equal(o->status, 1);
	assert_non_null(strstr(row(o, "logdirty video", "draw/none"), "REGRESSION"));
	free(o);
}

static void test_a_miss_is_caught(void **state)
{
	struct change c = { .strategy = "memcmp", .workload = "idle", .missed = 1 };
	struct outcome *o = malloc(sizeof(*o));

	(void)state;
	compare_with(&c, o);
	assert_int_equal(o->status, 1);
	assert_non_null(strstr(row(o, "memcmp idle", "missed frames"), "REGRESSION"));
	free(o);
}

static void test_other_platform_not_comparable(void **state)
{
	struct change c = { .paging = "tdp", .module = "kvm_intel" };
	struct outcome *o = malloc(sizeof(*o));

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
	struct change c = { .res = "1280x720", .scan = 3 };
	struct outcome *o = malloc(sizeof(*o));

	(void)state;
	compare_with(&c, o);
	assert_int_equal(o->status, 3);
	assert_non_null(strstr(o->out, "1280x720"));
	free(o);
}

static void expect_unusable(const char *base, const char *cur, const char *words)
{
	struct outcome *o = malloc(sizeof(*o));

	run_compare(o, base, cur);
	assert_int_equal(o->status, 2);
	assert_int_equal(e2e_lines(o->err), 1);
	assert_non_null(strstr(o->err, "db-compare:"));
	if (!strstr(o->err, words))
		fail_msg("stderr '%s' lacks '%s'", o->err, words);
	assert_string_equal(o->out, "");
	free(o);
}

static void test_missing_dir_is_unusable(void **state)
{
	char base[300], missing[320];

	(void)state;
	make_matrix(NULL, base, sizeof(base));
	snprintf(missing, sizeof(missing), "%s/nosuch", root);
	expect_unusable(base, missing, "No such file");
	expect_unusable(missing, base, "No such file");
}

static void test_bad_json_is_unusable(void **state)
{
	char base[300], cur[300], path[400];
	FILE *f;

	(void)state;
	make_matrix(NULL, base, sizeof(base));
	make_matrix(NULL, cur, sizeof(cur));
	snprintf(path, sizeof(path), "%s/memcmp-idle-p1.json", cur);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs("{\"schema\": \"dirtybench-result/1\", \"run\": {", f);
	fclose(f);
	expect_unusable(base, cur, "bad JSON");
}

static void test_schema_mismatch_is_unusable(void **state)
{
	char base[300], cur[300], path[400];
	json_t *j = json_pack("{s:s}", "schema", "dirtybench-result/0");

	(void)state;
	make_matrix(NULL, base, sizeof(base));
	make_matrix(NULL, cur, sizeof(cur));
	write_json(j, cur, "old.json");
	json_decref(j);
	expect_unusable(base, cur, "schema mismatch");

	/* The right schema name but a member the comparison needs is gone. */
	make_matrix(NULL, cur, sizeof(cur));
	snprintf(path, sizeof(path), "%s/none-video-p2.json", cur);
	j = json_load_file(path, 0, NULL);
	assert_non_null(j);
	json_object_del(json_object_get(j, "dirty"), "frames_missed");
	write_json(j, cur, "none-video-p2.json");
	json_decref(j);
	expect_unusable(base, cur, "dirty.frames_missed");
}

static void test_missing_configuration_is_unusable(void **state)
{
	struct change c = { .strategy = "logdirty", .workload = "idle", .drop = 1 };
	char base[300], cur[300];

	(void)state;
	make_matrix(NULL, base, sizeof(base));
	make_matrix(&c, cur, sizeof(cur));
	expect_unusable(base, cur, "logdirty idle");
}

static void test_empty_dir_is_unusable(void **state)
{
	char base[300], empty[320];

	(void)state;
	make_matrix(NULL, base, sizeof(base));
	snprintf(empty, sizeof(empty), "%s/empty", root);
	assert_int_equal(mkdir(empty, 0755), 0);
	expect_unusable(base, empty, "no result files");
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
		cmocka_unit_test(test_other_platform_not_comparable),
		cmocka_unit_test(test_other_resolution_not_comparable),
		cmocka_unit_test(test_missing_dir_is_unusable),
		cmocka_unit_test(test_bad_json_is_unusable),
		cmocka_unit_test(test_schema_mismatch_is_unusable),
		cmocka_unit_test(test_missing_configuration_is_unusable),
		cmocka_unit_test(test_empty_dir_is_unusable),
	};

	return cmocka_run_group_tests_name("db-compare", tests, setup, teardown);
}
