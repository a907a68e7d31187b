/*
 * The synthetic matrices test_compare runs db-compare on: result files with
 * just the members the comparison reads (and the counts run-bench divides
 * by), a few runs per configuration with a little jitter, a variant changing
 * some figures; running db-compare on two of them; changing one member of
 * one file afterwards.
 */
#include <dirent.h>
#include <fcntl.h>
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

#include "tests/lib/compare_fixture.h"
#include "tests/lib/e2e.h"

static const char *const strategies[] = { "none", "memcmp", "logdirty" };
static const char *const workloads[] = { "idle", "video" };

/* One run's figures; the fixture writes them into a result. */
struct fig {
	double scan_us, floor_us, exits, kvm_exits, tiles, precision, latency_us, draw;
	int missed, busy;
	const char *module, *paging, *cpu, *res;
};


static char root[256]; /* every matrix of the run goes under it */
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

/* Sets the member at a dotted path, making the objects on the way; v NULL
 * deletes it. Takes v. */
void fixture_set(json_t *r, const char *path, json_t *v)
{
	const char *dot;
	char key[128];

	while ((dot = strchr(path, '.'))) {
		json_t *next;

		snprintf(key, sizeof(key), "%.*s", (int)(dot - path), path);
		next = json_object_get(r, key);
		if (!json_is_object(next)) {
			next = json_object();
			json_object_set_new(r, key, next);
		}
		r = next;
		path = dot + 1;
	}
	if (v)
		json_object_set_new(r, path, v);
	else
		json_object_del(r, path);
}

static json_t *result_json(const char *s, const char *w, const struct fig *f)
{
	json_error_t err;
	/* With the counts run-bench divides by (90 frames, rounds, samples; bytes
	 * reported): a figure may be null only where one of them is 0. */
	json_t *r = json_pack_ex(&err, 0,
		"{s:s, s:s,"
		" s:{s:s, s:s, s:{s:s, s:f, s:f, s:f, s:i, s:s, s:s, s:i, s:i, s:i}},"
		" s:{s:s, s:{s:s, s:s}},"
		" s:{s:i, s:{s:i, s:f, s:f, s:f}}, s:{s:f, s:f},"
		" s:{s:i, s:i, s:i, s:f, s:f},"
		" s:{s:f}, s:{s:i, s:f}, s:{s:i, s:f},"
		" s:{s:{s:b, s:{s:{s:f}}}}, s:{s:f, s:b}}",
		"schema", "dirtybench-result/1", "status", "ok",
		"run", "strategy", s, "workload", w, "options", "resolution", f->res, "duration_s", 1.5,
		"warmup_s", 0.5, "rate_hz", 60.0, "seed", 1, "strategy_options", "", "workload_options", "",
		"tile_cols", 64, "tile_rows", 120, "dirty_ring_bytes", 65536,
		"platform", "cpu_model", f->cpu, "kvm", "module", f->module, "paging", f->paging,
		"scan", "rounds", 90, "time_us", "n", 90, "mean", f->scan_us, "p50", f->scan_us,
		"p99", 2 * f->scan_us,
		"calibration", "membw_floor_us", f->floor_us, "scan_to_floor_ratio", f->scan_us / f->floor_us,
		"dirty", "frames_missed", f->missed, "tiles_missed", f->missed * 3, "reported_bytes", 1000000,
		"reported_tiles_per_round", f->tiles, "precision", f->precision,
		"exits", "exits_per_frame", f->exits,
		"latency_us", "n", 90, "p50", f->latency_us,
		"guest", "frames_measured", 90, "draw_cycles_per_frame", f->draw,
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

static void apply(struct fig *f, const struct fixture_change *c, int run)
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

static bool applies(const struct fixture_change *c, const char *s, const char *w)
{
	return (!c->strategy || !strcmp(c->strategy, s)) && (!c->workload || !strcmp(c->workload, w));
}

void fixture_write(const json_t *j, const char *dir, const char *name)
{
	char path[512];

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	assert_int_equal(json_dump_file(j, path, JSON_INDENT(1)), 0);
}

/* A matrix directory under root; c may be NULL (the reference figures). */
const char *fixture_matrix(const struct fixture_change *c, char *dir, size_t len)
{
	static const struct fixture_change none_changed;

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
			for (int r = 0; r < FIXTURE_RUNS; r++) {
				struct fig f = fig_for(s, w, r);

				if (hit)
					apply(&f, c, r);
				json_array_append_new(runs, result_json(s, w, &f));
			}
			for (int r = 0; r < FIXTURE_RUNS && !c->series; r++) {
				snprintf(name, sizeof(name), "%s-%s-p%d.json", s, w, r + 1);
				fixture_write(json_array_get(runs, (size_t)r), dir, name);
			}
			if (c->series) {
				json_t *series = json_pack("{s:s, s:s, s:i, s:O, s:{}}", "schema",
							   "dirtybench-series/1", "status", "ok", "repeat",
							   FIXTURE_RUNS, "runs", runs, "summary");

				snprintf(name, sizeof(name), "%s-%s.json", s, w);
				fixture_write(series, dir, name);
				json_decref(series);
			}
			json_decref(runs);
		}
	return dir;
}

/* A baseline and a current matrix, both with the reference figures. */
void fixture_pair(char base[300], char cur[300])
{
	fixture_matrix(NULL, base, 300);
	fixture_matrix(NULL, cur, 300);
}


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

void fixture_compare(struct fixture_outcome *o, const char *base, const char *cur)
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
const char *fixture_row(const struct fixture_outcome *o, const char *config, const char *metric)
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

const char *fixture_root(void)
{
	return root;
}

int fixture_setup(void **state)
{
	(void)state;
	snprintf(root, sizeof(root), "/tmp/db-compare-test.XXXXXX");
	return mkdtemp(root) ? 0 : -1;
}

int fixture_teardown(void **state)
{
	char cmd[300];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root);
	return system(cmd) == 0 ? 0 : -1;
}

/* Sets (v NULL: deletes) one member in one file of dir; takes v. */
void fixture_mutate(const char *dir, const char *name, const char *path, json_t *v)
{
	char file[512];
	json_t *j;

	snprintf(file, sizeof(file), "%s/%s", dir, name);
	j = json_load_file(file, 0, NULL);
	assert_non_null(j);
	fixture_set(j, path, v);
	fixture_write(j, dir, name);
	json_decref(j);
}

/* The same in every result file of dir. */
void fixture_mutate_all(const char *dir, const char *path, json_t *v)
{
	DIR *d = opendir(dir);
	struct dirent *de;

	assert_non_null(d);
	while ((de = readdir(d)))
		if (strstr(de->d_name, ".json"))
			fixture_mutate(dir, de->d_name, path, v ? json_deep_copy(v) : NULL);
	closedir(d);
	json_decref(v);
}

