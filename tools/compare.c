/*
 * db-compare: the performance regression check. Compares the quick matrix in
 * CURRENT_DIR with the one in BASELINE_DIR, configuration by configuration,
 * prints one table and says whether anything got worse.
 *
 *   db-compare [--tsv] BASELINE_DIR CURRENT_DIR
 *
 * Each directory holds result (dirtybench-result/1) or series
 * (dirtybench-series/1) files; every run of the same configuration (strategy,
 * workload, resolution, tile grid, rate, seed, strategy and workload options,
 * ring size) is pooled, and each metric is the median over those runs.
 *
 * Exit status: 0 no regression; 1 a regression; 2 unusable input (a missing
 * directory, a file that is not JSON or not a result, a baseline
 * configuration the current run lacks), one line on stderr; 3 no verdict:
 * the baseline comes from another platform (KVM module, paging mode, CPU
 * model or resolution differ), or a figure got worse only in runs taken while
 * other programs kept the host busy (scripts/quick-matrix marks those
 * "regress.busy"; a configuration is judged on its quiet runs when it has
 * any). `make regress` says so and passes.
 *
 * Tolerances. A figure regresses when its median moves the bad way by more
 * than BOTH the relative tolerance and the absolute slack (the slack keeps
 * tiny values, a 4 us scan or 1.4 exits per frame, from failing on noise that
 * is large only in relative terms). They come from 12 comparisons of quick
 * matrices on this host with nothing changed (2 nested cores; README
 * "Regression check" has the spreads, results/regress-trials/ the trials):
 *
 *   metric            value compared                     tol   slack   worst seen
 *   missed frames     sum over all runs                  any miss fails
 *   exits/frame       exits.exits_per_frame              10%   0.5       2%
 *   kvm exits/frame   kvm_stats vcpu exits per_frame     15%   0.75     25% (+0.38)
 *   tiles/round       dirty.reported_tiles_per_round      5%   0.5     0.1%
 *   precision         dirty.precision (lower is worse)    5%   0.01    0.1%
 *   scan/floor        scan.time_us.mean / membw floor    35%   25 us    33%
 *   latency (rounds)  latency_us.p50 * rate_hz / 1e6     25%   4 ms      9%
 *   draw/none         draw cycles / none's, same matrix  40%   500k cyc 40% (+246k)
 *   all configs       geometric mean of scan/floor       15%   -        11%
 *
 * Per-frame counts are judged only on runs that measured at least MIN_FRAMES
 * frames (n/a otherwise): a short idle run holds 3 frames, and whether one of
 * them carried the clock's tick moves exits per frame from 13 to 22.
 *
 * Counts do not depend on the machine's speed: tight tolerances. Times are
 * normalised by a calibration from the same run: the scan by the memory-
 * bandwidth floor measured before boot, the latency by the scan period, the
 * guest's drawing by the `none` strategy's drawing of the same workload in
 * the same matrix (none's own is compared in cycles). Between two matrices
 * minutes apart a single configuration's scan still moves by up to a third on
 * this host (the floor tracks the host's memory speed only in part), hence
 * 35%; the geometric mean over all configurations moves by at most 11%, and
 * catches a slowdown that touches many of them. The scan uses the per-round
 * mean, not p50: with about half the rounds empty (30 fps under a 60 Hz scan)
 * the p50 of ptebits or dirtyring jumps between its two modes from run to run
 * (10 us one run, 1500 us the next), while the mean is the cost per round;
 * the median over runs removes runs whose mean a preempted round inflated.
 */
#include <dirent.h>
#include <errno.h>
#include <jansson.h>

#include "core/json_path.h"
#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/result.h"
#include "core/series.h"
#include "include/compiler.h"

enum { EXIT_SAME = 0, EXIT_REGRESSION = 1, EXIT_UNUSABLE = 2, EXIT_NOT_COMPARABLE = 3 };

enum norm {
	NORM_RAW,   /* as measured */
	NORM_FLOOR, /* per run, divided by calibration.membw_floor_us */
	NORM_ROUND, /* per run, in scan periods: value_us * rate_hz / 1e6 */
	NORM_NONE,  /* median divided by the none strategy's median, same workload */
};
enum bad { MISS, HIGHER_IS_WORSE, LOWER_IS_WORSE };

static const struct metric {
	const char *label, *path;
	enum norm norm;
	enum bad bad;
	double tol;   /* relative change of the median allowed */
	double slack; /* absolute change allowed, in the unit of `path` */
	const char *unit;
} metrics[] = {
	{ "missed frames", "dirty.frames_missed", NORM_RAW, MISS, 0, 0, "" },
	{ "exits/frame", "exits.exits_per_frame", NORM_RAW, HIGHER_IS_WORSE, 0.10, 0.5, "" },
	{ "kvm exits/frame", "kvm_stats.vcpu.counters.exits.per_frame", NORM_RAW, HIGHER_IS_WORSE,
	  0.15, 0.75, "" },
	{ "tiles/round", "dirty.reported_tiles_per_round", NORM_RAW, HIGHER_IS_WORSE, 0.05, 0.5, "" },
	{ "precision", "dirty.precision", NORM_RAW, LOWER_IS_WORSE, 0.05, 0.01, "" },
	{ "scan/floor", "scan.time_us.mean", NORM_FLOOR, HIGHER_IS_WORSE, 0.35, 25, "us" },
	{ "latency (rounds)", "latency_us.p50", NORM_ROUND, HIGHER_IS_WORSE, 0.25, 4000, "us" },
	{ "draw/none", "guest.draw_cycles_per_frame", NORM_NONE, HIGHER_IS_WORSE, 0.40, 500000, "cyc" },
};
/* The geometric mean of the scan/floor changes over the configurations. */
#define ALL_SCAN_TOL 0.15
#define NMETRICS (ARRAY_SIZE(metrics))
#define MAX_RUNS 256
#define MIN_FRAMES 10   /* per-frame counts need at least this many frames a run */

/* Members a run must have for the comparison; "?" marks number-or-null. */
static const char *const needed[] = {
	"run.strategy", "run.workload", "run.options.resolution", "run.options.rate_hz",
	"platform.cpu_model", "platform.kvm.module", "platform.kvm.paging",
	"dirty.frames_missed", "?exits.exits_per_frame", "?dirty.reported_tiles_per_round",
	"?dirty.precision", "?scan.time_us.mean", "?latency_us.p50",
	"?guest.draw_cycles_per_frame", "?calibration.membw_floor_us",
};

struct entry {
	char cfg[512];      /* what must match, resolution aside */
	char scene[256];    /* what the guest drew: workload, its options, rate, seed */
	char label[320];    /* "memcmp scrolling", plus any options */
	char platform[256]; /* "kvm_pvm, shadow paging, AMD EPYC" */
	char resolution[32], strategy[64], workload[64];
	const json_t *runs[MAX_RUNS];
	size_t nruns, nbusy;
	bool busy; /* every run was taken while other programs were busy */
	double value[NMETRICS]; /* normalised median; NAN: not measured */
	double unit[NMETRICS];  /* raw units per normalised unit (to apply the slack) */
	double duration_s;
};

struct set {
	const char *dir;
	json_t *docs; /* keeps every loaded file alive */
	struct entry *e;
	size_t n, cap, files, runs;
};

static char err_msg[1024];

static int fail(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err_msg, sizeof(err_msg), fmt, ap);
	va_end(ap);
	return -1;
}

static double num(const json_t *r, const char *path)
{
	const json_t *v = json_path(r, path);

	return json_is_number(v) ? json_number_value(v) : NAN;
}

static const char *str(const json_t *r, const char *path)
{
	const json_t *v = json_path(r, path);

	return json_is_string(v) ? json_string_value(v) : "";
}

/* Any JSON value as short text, for the configuration key. */
static void text(const json_t *r, const char *path, char *buf, size_t len)
{
	const json_t *v = json_path(r, path);

	if (json_is_string(v))
		snprintf(buf, len, "%s", json_string_value(v));
	else if (json_is_number(v))
		snprintf(buf, len, "%g", json_number_value(v));
	else
		snprintf(buf, len, "-");
}

static int check_run(const json_t *r, const char *file, size_t i)
{
	if (!json_is_object(r) || strcmp(str(r, "schema"), RESULT_SCHEMA))
		return fail("%s: schema mismatch: run %zu is not a %s result", file, i, RESULT_SCHEMA);
	for (size_t k = 0; k < ARRAY_SIZE(needed); k++) {
		bool nullable = needed[k][0] == '?';
		const char *path = needed[k] + nullable;
		const json_t *v = json_path(r, path);

		if (!v || (!nullable && json_is_null(v)) ||
		    !(json_is_number(v) || json_is_string(v) || json_is_null(v)))
			return fail("%s: schema mismatch: a run lacks '%s'", file, path);
	}
	return 0;
}

static void entry_identity(const json_t *r, char *cfg, size_t cfglen, char *scene, size_t scenelen,
			   char *label, size_t lablen)
{
	char sopt[128], wopt[128], rate[32], seed[32], ring[32], grid[64], cols[32], rows[32];

	text(r, "run.options.strategy_options", sopt, sizeof(sopt));
	text(r, "run.options.workload_options", wopt, sizeof(wopt));
	text(r, "run.options.rate_hz", rate, sizeof(rate));
	text(r, "run.options.seed", seed, sizeof(seed));
	text(r, "run.options.dirty_ring_bytes", ring, sizeof(ring));
	text(r, "run.options.tile_cols", cols, sizeof(cols));
	text(r, "run.options.tile_rows", rows, sizeof(rows));
	snprintf(grid, sizeof(grid), "%sx%s", cols, rows);
	snprintf(cfg, cfglen, "%s|%s|sopt=%s|wopt=%s|rate=%s|seed=%s|ring=%s|grid=%s",
		 str(r, "run.strategy"), str(r, "run.workload"), sopt, wopt, rate, seed, ring, grid);
	snprintf(scene, scenelen, "%s|wopt=%s|rate=%s|seed=%s", str(r, "run.workload"), wopt, rate, seed);
	snprintf(label, lablen, "%s %s%s%s%s%s", str(r, "run.strategy"), str(r, "run.workload"),
		 strcmp(sopt, "-") && *sopt ? " sopt=" : "", strcmp(sopt, "-") ? sopt : "",
		 strcmp(wopt, "-") && *wopt ? " wopt=" : "", strcmp(wopt, "-") ? wopt : "");
}

static void platform_of(const json_t *r, char *buf, size_t len)
{
	snprintf(buf, len, "%s, %s paging, %s", str(r, "platform.kvm.module"),
		 str(r, "platform.kvm.paging"), str(r, "platform.cpu_model"));
}

static struct entry *entry_for(struct set *s, const json_t *r)
{
	char cfg[512], scene[256], label[320];
	const char *res = str(r, "run.options.resolution");

	entry_identity(r, cfg, sizeof(cfg), scene, sizeof(scene), label, sizeof(label));
	for (size_t i = 0; i < s->n; i++)
		if (!strcmp(s->e[i].cfg, cfg) && !strcmp(s->e[i].resolution, res))
			return &s->e[i];
	if (s->n == s->cap) {
		s->cap = s->cap ? 2 * s->cap : 32;
		s->e = realloc(s->e, s->cap * sizeof(*s->e));
		if (!s->e)
			return NULL;
	}
	struct entry *e = memset(&s->e[s->n++], 0, sizeof(*e));

	snprintf(e->cfg, sizeof(e->cfg), "%s", cfg);
	snprintf(e->scene, sizeof(e->scene), "%s", scene);
	snprintf(e->label, sizeof(e->label), "%s", label);
	snprintf(e->resolution, sizeof(e->resolution), "%s", res);
	snprintf(e->strategy, sizeof(e->strategy), "%s", str(r, "run.strategy"));
	snprintf(e->workload, sizeof(e->workload), "%s", str(r, "run.workload"));
	platform_of(r, e->platform, sizeof(e->platform));
	e->duration_s = num(r, "run.options.duration_s");
	return e;
}

static int add_run(struct set *s, const json_t *r, const char *file)
{
	struct entry *e = entry_for(s, r);
	char platform[256];

	if (!e)
		return fail("out of memory");
	platform_of(r, platform, sizeof(platform));
	if (strcmp(platform, e->platform))
		return fail("%s mixes platforms for %s: %s and %s", s->dir, e->label, e->platform, platform);
	if (e->nruns == MAX_RUNS)
		return fail("%s: more than %d runs of %s", file, MAX_RUNS, e->label);
	e->runs[e->nruns++] = r;
	e->nbusy += json_is_true(json_path(r, "regress.busy"));
	e->busy = e->nbusy == e->nruns;
	s->runs++;
	return 0;
}

static int load_file(struct set *s, const char *file)
{
	json_error_t jerr;
	json_t *doc = json_load_file(file, 0, &jerr);
	const char *schema;

	if (!doc)
		return fail("%s: bad JSON: line %d: %s", file, jerr.line, jerr.text);
	json_array_append_new(s->docs, doc);
	s->files++;
	schema = str(doc, "schema");
	if (!strcmp(schema, RESULT_SCHEMA))
		return check_run(doc, file, 0) ? -1 : add_run(s, doc, file);
	if (strcmp(schema, SERIES_SCHEMA) || !json_is_array(json_object_get(doc, "runs")))
		return fail("%s: schema mismatch: '%s' is neither %s nor %s", file,
			    *schema ? schema : "(no schema)", RESULT_SCHEMA, SERIES_SCHEMA);
	for (size_t i = 0; i < json_array_size(json_object_get(doc, "runs")); i++) {
		const json_t *r = json_array_get(json_object_get(doc, "runs"), i);

		if (check_run(r, file, i) || add_run(s, r, file))
			return -1;
	}
	return 0;
}

static int name_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int load_dir(struct set *s, const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	char *names[4096];
	size_t n = 0;
	int rc = 0;

	s->dir = dir;
	s->docs = json_array();
	if (!d)
		return fail("%s: %s", dir, strerror(errno));
	while ((de = readdir(d)) && n < ARRAY_SIZE(names)) {
		size_t len = strlen(de->d_name);

		if (len > 5 && !strcmp(de->d_name + len - 5, ".json") && de->d_name[0] != '.')
			names[n++] = strdup(de->d_name);
	}
	closedir(d);
	qsort(names, n, sizeof(names[0]), name_cmp);
	for (size_t i = 0; i < n; i++) {
		char path[4096];

		snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
		if (!rc && load_file(s, path))
			rc = -1;
		free(names[i]);
	}
	if (!rc && !s->runs)
		return fail("%s: no result files (*.json)", dir);
	return rc;
}

static int dbl_cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static double median(double *v, size_t n)
{
	if (!n)
		return NAN;
	qsort(v, n, sizeof(*v), dbl_cmp);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/* Median over the runs of one metric, normalised per run where that applies;
 * *unit gets the median raw units per normalised unit. */
static double entry_median(const struct entry *e, const struct metric *m, double *unit)
{
	double v[MAX_RUNS], u[MAX_RUNS];
	size_t n = 0;

	for (size_t i = 0; i < e->nruns; i++) {
		double x = num(e->runs[i], m->path), d = 1;

		/* Misses count wherever they happened; the rest from quiet runs. */
		if (m->bad != MISS && !e->busy && json_is_true(json_path(e->runs[i], "regress.busy")))
			continue;
		/* A per-frame mean over a handful of frames depends on which frames
		 * fell in the window (idle: 3 frames, one of them with a clock tick,
		 * gives 13 or 22 exits per frame): no verdict from it. */
		if (strstr(m->path, "per_frame") && num(e->runs[i], "guest.frames_measured") < MIN_FRAMES)
			continue;

		if (m->norm == NORM_FLOOR)
			d = num(e->runs[i], "calibration.membw_floor_us");
		else if (m->norm == NORM_ROUND)
			d = 1e6 / num(e->runs[i], "run.options.rate_hz");
		if (isnan(x) || isnan(d) || d <= 0)
			continue;
		if (m->bad == MISS) {
			v[0] = (n ? v[0] : 0) + x, n = 1;
			continue;
		}
		u[n] = d;
		v[n++] = x / d;
	}
	*unit = m->bad == MISS ? 1 : median(u, n);
	return m->bad == MISS && n ? v[0] : median(v, n);
}

/* The none strategy on the same scene: the guest's drawing with nothing
 * tracking it, whatever tiles or options the other strategy used. */
static const struct entry *none_of(const struct set *s, const struct entry *e)
{
	for (size_t i = 0; i < s->n; i++)
		if (!strcmp(s->e[i].strategy, "none") && !strcmp(s->e[i].scene, e->scene) &&
		    !strcmp(s->e[i].resolution, e->resolution))
			return &s->e[i];
	return NULL;
}

static void set_summarise(struct set *s)
{
	for (size_t i = 0; i < s->n; i++)
		for (size_t k = 0; k < NMETRICS; k++)
			s->e[i].value[k] = entry_median(&s->e[i], &metrics[k], &s->e[i].unit[k]);
	/* After every entry has its raw medians: divide by none's. */
	for (size_t k = 0; k < NMETRICS; k++) {
		double none[s->n];

		if (metrics[k].norm != NORM_NONE)
			continue;
		for (size_t i = 0; i < s->n; i++) {
			const struct entry *ref = none_of(s, &s->e[i]);

			none[i] = ref == &s->e[i] ? 1 : ref ? ref->value[k] : NAN;
		}
		for (size_t i = 0; i < s->n; i++) {
			s->e[i].value[k] = none[i] > 0 ? s->e[i].value[k] / none[i] : NAN;
			s->e[i].unit[k] = none[i];
		}
	}
}

enum verdict { V_OK, V_REGRESSION, V_IMPROVED, V_NA, V_NEW, V_NOT_COMPARABLE, V_BUSY };
static const char *const verdict_name[] = { "ok", "REGRESSION", "improved", "n/a", "new: no baseline",
					    "not comparable", "worse, busy host: not judged" };

struct row {
	const struct entry *b, *c;
	const struct metric *m;
	const char *config, *metric; /* the aggregate row names itself */
	double base, now, change, delta; /* delta: the bad-way change, in raw units */
	enum verdict v;
};

static enum verdict judge(struct row *r)
{
	const struct metric *m = r->m;
	double worse, rel;

	r->change = r->delta = NAN;
	if (m->bad == MISS)
		return isnan(r->now) ? V_NA : r->now > 0 ? V_REGRESSION : V_OK;
	if (isnan(r->base) || isnan(r->now))
		return V_NA;
	worse = m->bad == HIGHER_IS_WORSE ? r->now - r->base : r->base - r->now;
	rel = r->base ? worse / fabs(r->base) : worse > 0 ? INFINITY : worse < 0 ? -INFINITY : 0;
	r->change = r->base ? r->now / r->base - 1 : NAN;
	r->delta = worse * r->c->unit[m - metrics];
	if (rel > m->tol && r->delta > m->slack)
		return r->b->busy || r->c->busy ? V_BUSY : V_REGRESSION;
	if (-rel > m->tol && -r->delta > m->slack)
		return V_IMPROVED;
	return V_OK;
}

static const char *metric_label(const struct metric *m, const struct entry *e)
{
	return m->norm == NORM_NONE && !strcmp(e->strategy, "none") ? "draw cycles" : m->label;
}

static void fmt_num(char *buf, size_t len, double v)
{
	if (isnan(v))
		snprintf(buf, len, "-");
	else
		snprintf(buf, len, "%.4g", v);
}

/* "25us", "4ms", "100kcyc", "0.5" */
static const char *slack_text(const struct metric *m)
{
	static char buf[32];

	if (!strcmp(m->unit, "us") && m->slack >= 1000)
		snprintf(buf, sizeof(buf), "%gms", m->slack / 1000);
	else if (m->slack >= 1000)
		snprintf(buf, sizeof(buf), "%gk%s", m->slack / 1000, m->unit);
	else
		snprintf(buf, sizeof(buf), "%g%s", m->slack, m->unit);
	return buf;
}

static void print_row(const struct row *r, bool tsv)
{
	char base[32], now[32], change[32], allowed[48];
	const struct entry *e = r->c ? r->c : r->b;
	const char *config = r->config ? r->config : e->label;
	const char *label = r->metric ? r->metric : r->m ? metric_label(r->m, e) : "all";
	const char *v = verdict_name[r->v];

	fmt_num(base, sizeof(base), r->base);
	fmt_num(now, sizeof(now), r->now);
	if (isnan(r->change))
		snprintf(change, sizeof(change), "-");
	else
		snprintf(change, sizeof(change), "%+.1f%%", 100 * r->change);
	if (r->config)
		snprintf(allowed, sizeof(allowed), "%g%%", 100 * ALL_SCAN_TOL);
	else if (!r->m)
		snprintf(allowed, sizeof(allowed), "-");
	else if (r->m->bad == MISS)
		snprintf(allowed, sizeof(allowed), "none");
	else
		snprintf(allowed, sizeof(allowed), "%g%% & %s", 100 * r->m->tol, slack_text(r->m));
	if (tsv)
		printf("%s\t%s\t%s\t%s\t%s\t%.6g\t%s\t%s\n", config, label, base, now, change,
		       r->delta, allowed, v);
	else
		printf("%-30s %-17s %11s %11s %8s  %-14s %s\n", config, label, base, now, change,
		       allowed, v);
}

/* The current entry for a baseline one: same configuration and resolution,
 * else the same configuration at another resolution (not comparable). */
static const struct entry *match(const struct set *cur, const struct entry *b, bool *same_res)
{
	const struct entry *other = NULL;

	for (size_t i = 0; i < cur->n; i++) {
		if (strcmp(cur->e[i].cfg, b->cfg))
			continue;
		if (!strcmp(cur->e[i].resolution, b->resolution)) {
			*same_res = true;
			return &cur->e[i];
		}
		other = &cur->e[i];
	}
	*same_res = false;
	return other;
}

static int entry_cmp(const void *a, const void *b)
{
	const struct entry *x = a, *y = b;
	int c = strcmp(x->workload, y->workload);

	return c ? c : (c = strcmp(x->strategy, y->strategy)) ? c : strcmp(x->cfg, y->cfg);
}

struct tally {
	size_t rows, regressions, improved, na, fresh, comparable, not_comparable, busy, unjudged;
	double log_sum; /* scan/floor: sum of log(now / baseline) over the configurations */
	size_t log_n;   /* that the aggregate takes */
	char first[400], why_not[700];
};

static void compare_entry(const struct entry *b, const struct entry *c, bool same_res, bool tsv,
			  struct tally *t)
{
	struct row r = { .b = b, .c = c, .base = NAN, .now = NAN, .change = NAN, .delta = NAN };

	if (!same_res || strcmp(b->platform, c->platform)) {
		r.v = V_NOT_COMPARABLE;
		snprintf(t->why_not, sizeof(t->why_not), "baseline %s at %s, now %s at %s", b->platform,
			 b->resolution, c->platform, c->resolution);
		t->not_comparable++;
		print_row(&r, tsv);
		return;
	}
	t->comparable++;
	t->busy += b->busy || c->busy;
	for (size_t k = 0; k < NMETRICS; k++) {
		r.m = &metrics[k];
		r.base = b->value[k];
		r.now = c->value[k];
		r.v = judge(&r);
		if (r.m->norm == NORM_FLOOR && !isnan(r.change) && r.now > 0 && !b->busy && !c->busy &&
		    r.base * b->unit[k] >= r.m->slack)
			t->log_sum += log(r.now / r.base), t->log_n++;
		t->rows++;
		t->regressions += r.v == V_REGRESSION;
		t->improved += r.v == V_IMPROVED;
		t->na += r.v == V_NA;
		t->unjudged += r.v == V_BUSY;
		if (r.v == V_REGRESSION && !*t->first)
			snprintf(t->first, sizeof(t->first), "%s %s %+.1f%%", c->label,
				 metric_label(r.m, c), isnan(r.change) ? 0 : 100 * r.change);
		print_row(&r, tsv);
	}
}

static void print_header(const struct set *s, const char *what)
{
	printf("%s %s: %zu files, %zu runs, %zu configurations; %s at %s\n", what, s->dir, s->files,
	       s->runs, s->n, s->n ? s->e[0].platform : "-", s->n ? s->e[0].resolution : "-");
}

/* The scan of every configuration the scan/floor rows judge (not busy, not
 * under the slack), as one geometric mean: a slowdown of the harness or of
 * the host shows here well before any one configuration crosses its own
 * tolerance. */
static void aggregate_row(struct tally *t, bool tsv)
{
	struct row r = { .config = "all configurations", .metric = "scan/floor gmean", .base = 1,
			 .now = exp(t->log_sum / (double)t->log_n), .delta = NAN };

	r.change = r.now - 1;
	r.v = r.change > ALL_SCAN_TOL ? V_REGRESSION : r.change < -ALL_SCAN_TOL ? V_IMPROVED : V_OK;
	t->rows++;
	t->regressions += r.v == V_REGRESSION;
	t->improved += r.v == V_IMPROVED;
	if (r.v == V_REGRESSION && !*t->first)
		snprintf(t->first, sizeof(t->first), "all configurations scan/floor gmean %+.1f%%",
			 100 * r.change);
	print_row(&r, tsv);
}

static int report(const struct set *base, const struct set *cur, bool tsv)
{
	struct tally t = { 0 };
	bool same_res;

	if (!tsv) {
		print_header(base, "baseline");
		print_header(cur, "now     ");
		if (base->n && cur->n && base->e[0].duration_s != cur->e[0].duration_s)
			printf("note: runs of %g s now, %g s in the baseline: counts compare, times less so\n",
			       cur->e[0].duration_s, base->e[0].duration_s);
		printf("\n%-30s %-17s %11s %11s %8s  %-14s %s\n", "configuration", "metric", "baseline",
		       "now", "change", "allowed", "verdict");
	} else {
		printf("configuration\tmetric\tbaseline\tnow\tchange\tdelta\tallowed\tverdict\n");
	}
	for (size_t i = 0; i < base->n; i++) {
		const struct entry *c = match(cur, &base->e[i], &same_res);

		compare_entry(&base->e[i], c, same_res, tsv, &t);
	}
	for (size_t i = 0; i < cur->n; i++) {
		bool seen = false;

		for (size_t j = 0; j < base->n && !seen; j++)
			seen = !strcmp(base->e[j].cfg, cur->e[i].cfg);
		if (!seen) {
			struct row r = { .c = &cur->e[i], .base = NAN, .now = NAN, .change = NAN, .v = V_NEW };

			print_row(&r, tsv);
			t.fresh++;
		}
	}
	if (t.log_n)
		aggregate_row(&t, tsv);
	if (!t.comparable) {
		printf("\nverdict: NOT COMPARABLE, no verdict: %s. Record a baseline on this platform "
		       "(scripts/refresh-baseline).\n", t.why_not);
		return EXIT_NOT_COMPARABLE;
	}
	printf("\n%zu configurations compared, %zu comparisons: %zu regressions, %zu improved, %zu n/a",
	       t.comparable, t.rows, t.regressions, t.improved, t.na);
	if (t.not_comparable)
		printf("; %zu configurations not comparable (%s)", t.not_comparable, t.why_not);
	if (t.fresh)
		printf("; %zu new configurations without a baseline", t.fresh);
	if (t.busy)
		printf("\n%zu configurations have only runs taken while other programs kept the host busy "
		       "(regress.busy); %zu of their figures got worse and are not judged", t.busy, t.unjudged);
	if (t.regressions) {
		printf("\nverdict: REGRESSION: %s%s\n", t.first, t.regressions > 1 ? " and more above" : "");
		return EXIT_REGRESSION;
	}
	if (t.unjudged) {
		printf("\nverdict: NO VERDICT: no regression on a quiet host, %zu figures worse on a busy one\n",
		       t.unjudged);
		return EXIT_NOT_COMPARABLE;
	}
	printf("\nverdict: no regression\n");
	return EXIT_SAME;
}

/* Every baseline configuration must have been run again. */
static int check_complete(const struct set *base, const struct set *cur)
{
	for (size_t i = 0; i < base->n; i++) {
		bool same_res;

		if (!match(cur, &base->e[i], &same_res))
			return fail("%s has no run of %s (%s) that the baseline %s has", cur->dir,
				    base->e[i].label, base->e[i].resolution, base->dir);
	}
	return 0;
}

static void set_free(struct set *s)
{
	json_decref(s->docs);
	free(s->e);
}

int main(int argc, char **argv)
{
	struct set base = { 0 }, cur = { 0 };
	bool tsv = argc > 1 && !strcmp(argv[1], "--tsv");
	int status;

	if (argc - tsv != 3 || argv[1 + tsv][0] == '-') {
		fprintf(stderr, "usage: db-compare [--tsv] BASELINE_DIR CURRENT_DIR\n");
		return EXIT_UNUSABLE;
	}
	if (load_dir(&base, argv[1 + tsv]) || load_dir(&cur, argv[2 + tsv]) ||
	    check_complete(&base, &cur)) {
		fprintf(stderr, "db-compare: %s\n", err_msg);
		set_free(&base);
		set_free(&cur);
		return EXIT_UNUSABLE;
	}
	set_summarise(&base);
	set_summarise(&cur);
	qsort(base.e, base.n, sizeof(*base.e), entry_cmp);
	qsort(cur.e, cur.n, sizeof(*cur.e), entry_cmp);
	status = report(&base, &cur, tsv);
	set_free(&base);
	set_free(&cur);
	return status;
}
