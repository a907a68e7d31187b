/* run-bench: list, run one configuration, or run a matrix of them. */
#include <jansson.h>
#include <limits.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "core/policy.h"
#include "core/cli.h"
#include "core/json_path.h"
#include "core/listing.h"
#include "core/outpath.h"
#include "core/result.h"
#include "core/run.h"
#include "core/schema.h"
#include "core/series.h"
#include "core/strategy.h"
#include "workloads/workload.h"

static double num(const json_t *r, const char *path)
{
	return json_path_num(r, path, -1);
}

static void print_summary(const json_t *r, const char *path)
{
	fprintf(stderr,
		"%s on %s: %.0f rounds, scan p50 %.1f us p99 %.1f us, %.1f tiles/round of %.0f, "
		"precision %.3f\n"
		"  guest %.1f fps (asked %.1f), latency p50 %.2f ms p99 %.2f ms, %.0f frames checked, "
		"%.0f missed\n  result: %s\n",
		json_string_value(json_object_get(json_object_get(r, "run"), "strategy")),
		json_string_value(json_object_get(json_object_get(r, "run"), "workload")),
		num(r, "scan.rounds"), num(r, "scan.time_us.p50"), num(r, "scan.time_us.p99"),
		num(r, "dirty.reported_tiles_per_round"), num(r, "dirty.tiles_total"),
		num(r, "dirty.precision"), num(r, "guest.fps_achieved"), num(r, "guest.fps_asked"),
		num(r, "latency_us.p50") / 1e3, num(r, "latency_us.p99") / 1e3,
		num(r, "dirty.frames_checked"), num(r, "dirty.frames_missed"), path);
	if (json_is_true(json_object_get(json_object_get(r, "vnc"), "client")))
		fprintf(stderr,
			"  vnc %s: %.0f updates, %.0f bytes/s on the wire, e2e latency p50 %.2f ms p90 %.2f ms "
			"p99 %.2f ms max %.2f ms, %.0f stale frames, pixel check %s (%.0f updates checked)\n",
			json_string_value(json_object_get(json_object_get(r, "vnc"), "encoding")),
			num(r, "vnc.wire.updates"), num(r, "vnc.wire.bytes_per_s"),
			num(r, "vnc.e2e.e2e_latency_us.p50") / 1e3, num(r, "vnc.e2e.e2e_latency_us.p90") / 1e3,
			num(r, "vnc.e2e.e2e_latency_us.p99") / 1e3, num(r, "vnc.e2e.e2e_latency_us.max") / 1e3,
			num(r, "vnc.e2e.stale_frames"),
			json_string_value(json_object_get(json_object_get(json_object_get(r, "vnc"), "pixel_check"),
							  "verdict")),
			num(r, "vnc.pixel_check.updates_checked"));
}

static void print_series_summary(const json_t *series)
{
	const json_t *sum = json_object_get(series, "summary");

	fprintf(stderr, "  across %d runs (median, cv):", (int)json_integer_value(json_object_get(series, "repeat")));
	for (const char *const *m = series_metrics; *m; m++) {
		const json_t *x = json_object_get(sum, *m);

		if (json_is_object(x))
			fprintf(stderr, "%s %s %.4g (%.1f%%)", m == series_metrics ? "" : ",", *m,
				json_number_value(json_object_get(x, "median")),
				100 * json_number_value(json_object_get(x, "cv")));
	}
	fputc('\n', stderr);
}

static const char *signal_name(int sig)
{
	return sig == SIGINT ? "SIGINT" : sig == SIGTERM ? "SIGTERM" : sig == SIGHUP ? "SIGHUP" : "a signal";
}

/* Stopped by a signal, after the run was torn down and its files removed:
 * one line, then death by the same signal, so a calling shell or script
 * stops too (it sees 128 + N: 130 for SIGINT, 143 for SIGTERM). */
static int die_of_signal(const struct run_options *opt)
{
	int sig = run_stop_signal;

	fprintf(stderr, "run-bench: %s %s: stopped by %s: no result written\n", opt->strategy, opt->workload,
		signal_name(sig));
	signal(sig, SIG_DFL);
	raise(sig);
	return 128 + sig;
}

static void on_stop_signal(int sig)
{
	run_stop_signal = sig;
}

/* SIGINT, SIGTERM and SIGHUP stop the run at its next round (core/run.c).
 * No SA_RESTART: a wait for a FIFO's reader gives up too. SIGPIPE ignored:
 * a perf or a reader that went away is EPIPE, a failed run with its line. */
static void signals_init(void)
{
	struct sigaction sa = { .sa_handler = on_stop_signal };

	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
}

/* A run that writes no result leaves no perf data. Runs 0..n-1 of the
 * configuration ended well, so their files are perf's, made by this process. */
static void perf_data_remove(const struct run_options *opt, const char *result_path, int n)
{
	char path[PATH_MAX];

	for (int i = 0; i < n; i++)
		if (!outpath_perf_data(path, sizeof(path), result_path, i, opt->repeat))
			unlink(path);
}

/* The failed run's own file only if it is new: one there before (an earlier
 * invocation's, moved aside by perf if perf started) is not ours to remove. */
static void perf_data_remove_new(const char *path, const struct stat *before, bool existed)
{
	struct stat now;

	if (!stat(path, &now) && (!existed || now.st_dev != before->st_dev || now.st_ino != before->st_ino))
		unlink(path);
}

/* One result, or with --repeat a series holding every run. */
static int run_configuration(struct run_options *opt, const char *result_path, json_t **out)
{
	json_t *runs = json_array(), *result;
	char err[2048], perf_path[PATH_MAX];
	struct stat before;
	bool existed = false;

	for (int i = 0; i < opt->repeat; i++) {
		int status;

		if (opt->perf_record) {
			outpath_perf_data(perf_path, sizeof(perf_path), result_path, i, opt->repeat);
			opt->perf_record_path = perf_path;
			existed = !stat(perf_path, &before);
		}
		status = run_once(opt, &result, err, sizeof(err));
		if (!status && (run_stop_signal || schema_check(result, err, sizeof(err)))) {
			json_decref(result);
			status = EXIT_RUN_FAILED;
		}
		if (status) {
			if (opt->perf_record) {
				perf_data_remove_new(perf_path, &before, existed);
				perf_data_remove(opt, result_path, i);
			}
			if (!run_stop_signal)
				fprintf(stderr, "run-bench: %s %s%s: %s\n", opt->strategy, opt->workload,
					opt->repeat > 1 ? " (a repeat)" : "", err);
			json_decref(runs);
			return status;
		}
		json_array_append_new(runs, result);
	}
	if (opt->repeat == 1) {
		*out = json_incref(json_array_get(runs, 0));
		json_decref(runs);
	} else {
		*out = series_build(runs);
	}
	return EXIT_OK;
}

/* Where this run's result goes, and every file it will write checked before
 * anything boots: a path that cannot be written is bad input (exit 2). */
static int result_path(const struct run_options *opt, char *path, size_t len, char *err, size_t errlen)
{
	const char *what = opt->out ? "--out" : "--results-dir";
	enum outpath_kind kind = OUTPATH_FILE;
	int status;

	if (opt->out && !strcmp(opt->out, "-")) {
		snprintf(path, len, "-");
		return EXIT_OK;
	}
	if (opt->out) {
		if ((status = outpath_check_file(what, opt->out, &kind, err, errlen)))
			return status;
		snprintf(path, len, "%s", opt->out);    /* fits: shorter than PATH_MAX */
	} else {
		if ((status = outpath_check_dir(what, opt->results_dir, err, errlen)))
			return status;
		char name[160];

		/* A policy other than fixed is in the name: strategy@policy. */
		snprintf(name, sizeof(name), "%.60s%s%.60s", opt->strategy, opt->policy && strcmp(opt->policy, "fixed") ? "@" : "",
			 opt->policy && strcmp(opt->policy, "fixed") ? opt->policy : "");
		if (result_default_path(path, len, opt->results_dir, name, opt->workload,
					opt->width, opt->height)) {
			snprintf(err, errlen, "%s: a result's path in it would be longer than PATH_MAX (%d)",
				 what, PATH_MAX);
			return EXIT_BAD_INPUT;
		}
		if ((status = outpath_check_file(what, path, &kind, err, errlen)))
			return status;
	}
	if (opt->perf_record && kind != OUTPATH_FILE) {
		snprintf(err, errlen, "%s", "--perf-record leaves its data beside a result file: "
			 "not with --out on a device or FIFO");
		return EXIT_BAD_INPUT;
	}
	return opt->perf_record ? outpath_check_perf_data(path, opt->repeat, err, errlen) : EXIT_OK;
}

static int run_and_write(struct run_options *opt)
{
	char err[2048], path[PATH_MAX];
	json_t *result;
	int status = result_path(opt, path, sizeof(path), err, sizeof(err));

	if (status) {
		fprintf(stderr, "run-bench: %s\n", err);
		return status;
	}
	status = run_configuration(opt, path, &result);
	if (status)
		return run_stop_signal ? die_of_signal(opt) : status;
	if (run_stop_signal || result_write(result, path, err, sizeof(err))) {
		if (opt->perf_record)
			perf_data_remove(opt, path, opt->repeat);
		json_decref(result);
		if (run_stop_signal)
			return die_of_signal(opt);
		fprintf(stderr, "run-bench: %s\n", err);
		return EXIT_RUN_FAILED;
	}
	if (!opt->quiet && opt->repeat == 1)
		print_summary(result, path);
	if (!opt->quiet && opt->repeat > 1) {
		print_summary(json_array_get(json_object_get(result, "runs"), 0), path);
		print_series_summary(result);
	}
	json_decref(result);
	return EXIT_OK;
}

/* In "all": a strategy the --policy drives (a bad policy or --popt is
 * refused by the first run, so it keeps every strategy), and a workload
 * that needs no file (trace needs its file). */
static bool in_all_strategies(const struct run_options *base, const struct strategy_ops *s)
{
	const struct policy_ops *p = policy_find(base->policy ? base->policy : "fixed");
	struct strategy_option_value popt[STRATEGY_MAX_OPTIONS];
	char why[256];

	if (!p || policy_options_parse(p, base->policy_options, popt, why, sizeof(why)))
		return true;
	return policy_check(p, s, popt, why, sizeof(why)) == 0;
}

static size_t count_names(const struct run_options *base, const char *want, bool strategies)
{
	size_t n = 0;

	if (strcmp(want, "all"))
		return 1;
	if (strategies)
		for (const struct strategy_ops *const *s = strategy_registry; *s; s++)
			n += in_all_strategies(base, *s);
	else
		for (const struct workload_info *const *w = workload_catalog; *w; w++)
			n += !(*w)->needs_file;
	return n;
}

static const char *name_at(const struct run_options *base, const char *want, bool strategies, size_t i)
{
	if (strcmp(want, "all"))
		return want;
	if (strategies) {
		for (const struct strategy_ops *const *s = strategy_registry; *s; s++)
			if (in_all_strategies(base, *s) && i-- == 0)
				return (*s)->name;
		return NULL;
	}
	for (const struct workload_info *const *w = workload_catalog; *w; w++)
		if (!(*w)->needs_file && i-- == 0)
			return (*w)->name;
	return NULL;
}

/* Every combination, with progress on a terminal; the first failure does not
 * stop the others, but the exit status reports it. */
static int run_matrix(struct run_options *base)
{
	size_t ns = count_names(base, base->strategy, true), nw = count_names(base, base->workload, false);
	size_t total = ns * nw, done = 0, failed = 0;
	time_t t0 = time(NULL);
	int worst = EXIT_OK;

	char err[2048];

	if (base->out && strcmp(base->out, "-")) {
		fprintf(stderr, "run-bench: --out names one file; a matrix writes under --results-dir\n");
		return EXIT_BAD_INPUT;
	}
	if (!base->out && outpath_check_dir("--results-dir", base->results_dir, err, sizeof(err))) {
		fprintf(stderr, "run-bench: %s\n", err);      /* once, not once a run */
		return EXIT_BAD_INPUT;
	}
	for (size_t s = 0; s < ns; s++)
		for (size_t w = 0; w < nw; w++) {
			struct run_options opt = *base;
			int status;

			opt.strategy = name_at(base, base->strategy, true, s);
			opt.workload = name_at(base, base->workload, false, w);
			if (run_stop_signal)    /* arrived after the last run wrote its result */
				return die_of_signal(&opt);
			if (isatty(STDERR_FILENO) || !base->quiet)
				fprintf(stderr, "[%zu/%zu] %s %s (%zu left, %lds elapsed)\n", done + 1, total,
					opt.strategy, opt.workload, total - done - 1, (long)(time(NULL) - t0));
			status = run_and_write(&opt);
			if (status > worst)
				worst = status;
			failed += status != EXIT_OK;
			done++;
		}
	fprintf(stderr, "matrix: %zu runs, %zu failed, %lds\n", total, failed, (long)(time(NULL) - t0));
	return worst;
}

int main(int argc, char **argv)
{
	struct cli cli;
	char err[512];
	int status = cli_parse(&cli, argc, argv, err, sizeof(err));

	if (status) {
		fprintf(stderr, "run-bench: %s\n", err);
		return status;
	}
	if (cli.action == CLI_HELP) {
		cli_usage(stdout);
		return EXIT_OK;
	}
	if (cli.action == CLI_LIST)
		return listing_print(&cli.run, cli.list_json, stdout);
	signals_init();
	if (!strcmp(cli.run.strategy, "all") || !strcmp(cli.run.workload, "all"))
		return run_matrix(&cli.run);
	return run_and_write(&cli.run);
}
