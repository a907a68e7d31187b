/*
 * db-compare: the performance regression check. Compares the quick matrix in
 * CURRENT_DIR with the one in BASELINE_DIR, configuration by configuration,
 * prints one table and says whether anything got worse.
 *
 *   db-compare [--tsv] BASELINE_DIR CURRENT_DIR
 *
 * Each directory holds result (dirtybench-result/1) or series
 * (dirtybench-series/1) files; every run of the same configuration is pooled
 * (load.c), and each metric is the median over those runs. What is judged,
 * with what tolerance, and what a run must hold: metrics.c.
 *
 * Exit status: 0 no regression; 1 a regression; 2 unusable input, one line on
 * stderr: a missing directory, a file that is not JSON or not a result, a
 * member the gate reads missing or malformed in a run (a string, a negative
 * count, null where run-bench would have measured it, a value beyond any
 * run), a baseline configuration the current run lacks, a figure one side
 * measured and the other did not, or nothing measured on both sides; 3 no
 * verdict: the baseline comes from another platform (KVM module, paging
 * mode, CPU model or resolution differ), or a figure got worse only in runs
 * taken while other programs kept the host busy (scripts/quick-matrix marks
 * those "regress.busy"; a configuration is judged on its quiet runs when it
 * has any). `make regress` says so and passes.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/json_path.h"
#include "include/compiler.h"
#include "tools/compare/compare.h"

/* The geometric mean of the scan/floor changes over the configurations. */
#define ALL_SCAN_TOL 0.15

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

static bool too_few_frames_possible(const struct metric *m)
{
	return strstr(m->in.path, "per_frame") != NULL;
}

/* Runs whose per-frame figures are a handful of frames' worth: a per-frame
 * mean over 3 frames depends on which frames fell in the window (idle: one
 * of them with a clock tick gives 13 or 22 exits per frame), no verdict. */
static bool too_few_frames(const json_t *run, const struct metric *m)
{
	return too_few_frames_possible(m) && cmp_num(run, "guest.frames_measured") < MIN_FRAMES;
}

/* Median over the runs of metric k, normalised per run where that applies;
 * unit[k] gets the median raw units per normalised unit, why[k] why there is
 * no median when there is none. */
static void entry_median(struct entry *e, size_t k)
{
	const struct metric *m = &cmp_metrics[k];
	double v[MAX_RUNS], u[MAX_RUNS];
	size_t n = 0, short_runs = 0;
	double longest_short = 0, shortest_judged = INFINITY; /* run.options.duration_s */

	for (size_t i = 0; i < e->nruns; i++) {
		double x = cmp_num(e->runs[i], m->in.path), d = 1;

		/* Misses count wherever they happened; the rest from quiet runs. */
		if (m->bad != MISS && !e->busy && json_is_true(json_path(e->runs[i], "regress.busy")))
			continue;
		if (too_few_frames(e->runs[i], m)) {
			short_runs++;
			longest_short = fmax(longest_short, cmp_num(e->runs[i], "run.options.duration_s"));
			continue;
		}
		if (m->norm == NORM_FLOOR)
			d = cmp_num(e->runs[i], "calibration.membw_floor_us");
		else if (m->norm == NORM_ROUND)
			d = 1e6 / cmp_num(e->runs[i], "run.options.rate_hz");
		if (isnan(x) || isnan(d) || d <= 0) /* null where the run says why */
			continue;
		if (m->bad == MISS) {
			v[0] = (n ? v[0] : 0) + x, n = 1;
			continue;
		}
		u[n] = d;
		v[n++] = x / d;
		if (too_few_frames_possible(m))
			shortest_judged = fmin(shortest_judged, cmp_num(e->runs[i], "run.options.duration_s"));
	}
	/* Runs as long as the judged one that still fell short say the
	 * configuration is erratic (pvrects on scrolling floods its ring: 660 to
	 * 11 219 exits a frame across the baseline's five runs); one run of it is
	 * no verdict. Idle's short runs are short by the matrix's design (1.5 s
	 * against 6 s) and leave its one long run judged. */
	if (short_runs && n < MIN_JUDGED_RUNS && longest_short >= shortest_judged)
		n = 0;
	e->why[k] = n ? HAVE : short_runs ? NA_SHORT : NA_UNMEASURED;
	e->unit[k] = m->bad == MISS ? 1 : median(u, n);
	e->value[k] = m->bad == MISS && n ? v[0] : median(v, n);
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

/* After every entry has its raw medians: divide metric k by none's. */
static void divide_by_none(struct set *s, size_t k)
{
	double none[s->n];
	enum why why[s->n];

	for (size_t i = 0; i < s->n; i++) {
		const struct entry *ref = none_of(s, &s->e[i]);

		none[i] = ref == &s->e[i] ? 1 : ref ? ref->value[k] : NAN;
		why[i] = ref == &s->e[i] ? HAVE : ref ? ref->why[k] : NA_NO_NONE;
	}
	for (size_t i = 0; i < s->n; i++) {
		s->e[i].value[k] = none[i] > 0 ? s->e[i].value[k] / none[i] : NAN;
		s->e[i].unit[k] = none[i];
		if (s->e[i].why[k] == HAVE)
			s->e[i].why[k] = why[i];
	}
}

static void set_summarise(struct set *s)
{
	for (size_t i = 0; i < s->n; i++)
		for (size_t k = 0; k < NMETRICS; k++)
			entry_median(&s->e[i], k);
	for (size_t k = 0; k < NMETRICS; k++)
		if (cmp_metrics[k].norm == NORM_NONE)
			divide_by_none(s, k);
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
	r->delta = worse * r->c->unit[m - cmp_metrics];
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
	char first[400], why_not[2 * 320 + 2 * 32 + 32];
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
		r.m = &cmp_metrics[k];
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

static void print_table_head(const struct set *base, const struct set *cur, bool tsv)
{
	if (tsv) {
		printf("configuration\tmetric\tbaseline\tnow\tchange\tdelta\tallowed\tverdict\n");
		return;
	}
	print_header(base, "baseline");
	print_header(cur, "now     ");
	if (base->n && cur->n && base->e[0].duration_s != cur->e[0].duration_s)
		printf("note: runs of %g s now, %g s in the baseline: counts compare, times less so\n",
		       cur->e[0].duration_s, base->e[0].duration_s);
	printf("\n%-30s %-17s %11s %11s %8s  %-14s %s\n", "configuration", "metric", "baseline",
	       "now", "change", "allowed", "verdict");
}

/* The summary under the table, and the exit status it amounts to. */
static int print_verdict(const struct tally *t)
{
	if (!t->comparable) {
		printf("\nverdict: NOT COMPARABLE, no verdict: %s. Record a baseline on this platform "
		       "(scripts/refresh-baseline).\n", t->why_not);
		return EXIT_NOT_COMPARABLE;
	}
	printf("\n%zu configurations compared, %zu comparisons: %zu regressions, %zu improved, %zu n/a",
	       t->comparable, t->rows, t->regressions, t->improved, t->na);
	if (t->not_comparable)
		printf("; %zu configurations not comparable (%s)", t->not_comparable, t->why_not);
	if (t->fresh)
		printf("; %zu new configurations without a baseline", t->fresh);
	if (t->busy)
		printf("\n%zu configurations have only runs taken while other programs kept the host busy "
		       "(regress.busy); %zu of their figures got worse and are not judged", t->busy, t->unjudged);
	if (t->regressions) {
		printf("\nverdict: REGRESSION: %s%s\n", t->first, t->regressions > 1 ? " and more above" : "");
		return EXIT_REGRESSION;
	}
	if (t->unjudged) {
		printf("\nverdict: NO VERDICT: no regression on a quiet host, %zu figures worse on a busy one\n",
		       t->unjudged);
		return EXIT_NOT_COMPARABLE;
	}
	printf("\nverdict: no regression\n");
	return EXIT_SAME;
}

static int report(const struct set *base, const struct set *cur, bool tsv)
{
	struct tally t = { 0 };
	bool same_res;

	print_table_head(base, cur, tsv);
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
	return print_verdict(&t);
}

/* Every baseline configuration must have been run again. */
static int check_complete(const struct set *base, const struct set *cur)
{
	for (size_t i = 0; i < base->n; i++) {
		bool same_res;

		if (!match(cur, &base->e[i], &same_res))
			return cmp_fail("%s has no run of %s (%s) that the baseline %s has", cur->dir,
				    base->e[i].label, base->e[i].resolution, base->dir);
	}
	return 0;
}

/* Fail closed: a figure that one side measured and the other did not (for a
 * reason other than the frames rule) cannot be judged; no more can a
 * comparison in which no figure was measured on both sides. */
static int check_measured(const struct set *base, const struct set *cur)
{
	size_t judged = 0, comparable = 0;
	bool same_res;

	for (size_t i = 0; i < base->n; i++) {
		const struct entry *b = &base->e[i], *c = match(cur, b, &same_res);

		if (!c || !same_res || strcmp(b->platform, c->platform))
			continue;
		comparable++;
		for (size_t k = 0; k < NMETRICS; k++) {
			const char *path = cmp_metrics[k].in.path;

			judged += cmp_metrics[k].bad != MISS && b->why[k] == HAVE && c->why[k] == HAVE;
			if (b->why[k] == HAVE && c->why[k] == NA_UNMEASURED)
				return cmp_fail("%s: no run of %s measured '%s', which the baseline's did: "
						"the gate cannot judge it", cur->dir, c->label, path);
			if (c->why[k] == HAVE && b->why[k] == NA_UNMEASURED)
				return cmp_fail("%s: no run of %s measured '%s', which the current runs did: "
						"the gate cannot judge it", base->dir, b->label, path);
		}
	}
	if (comparable && !judged)
		return cmp_fail("%s and %s: no figure but missed frames was measured on both sides: "
				"nothing to judge", base->dir, cur->dir);
	return 0;
}

static int fail_unusable(struct set *base, struct set *cur)
{
	fprintf(stderr, "db-compare: unusable input: %s\n", cmp_err);
	cmp_set_free(base);
	cmp_set_free(cur);
	return EXIT_UNUSABLE;
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
	if (cmp_load_dir(&base, argv[1 + tsv]) || cmp_load_dir(&cur, argv[2 + tsv]) ||
	    check_complete(&base, &cur))
		return fail_unusable(&base, &cur);
	set_summarise(&base);
	set_summarise(&cur);
	if (check_measured(&base, &cur))
		return fail_unusable(&base, &cur);
	qsort(base.e, base.n, sizeof(*base.e), entry_cmp);
	qsort(cur.e, cur.n, sizeof(*cur.e), entry_cmp);
	status = report(&base, &cur, tsv);
	cmp_set_free(&base);
	cmp_set_free(&cur);
	return status;
}
