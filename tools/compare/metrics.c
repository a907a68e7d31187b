/*
 * What db-compare judges, with what tolerance, and what a run must hold for
 * it: the gate fails closed, so a member it reads that is missing, of the
 * wrong type, negative or beyond anything a run could measure makes the input
 * unusable (exit 2, one line naming the file and the member), never "n/a".
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
 *   latency (rounds)  latency_us.p50 * rate_hz / 1e6     25%   8 ms     97% (+4.4 ms)
 *   draw/none         draw cycles / none's, same matrix  40%   500k cyc 40% (+246k)
 *   all configs       geometric mean of scan/floor       15%   -        11%
 *
 * Latency's slack is about half a period at the gate's 60 Hz: the p50 of a
 * 30 fps workload under a 60 Hz scan sits in one of two modes (the frame
 * caught by the next round or by the one after), and which one moves with the
 * guest's drawing speed: logdirty on scrolling gave 5.1 to 12.1 ms in five
 * runs of one binary in one sitting, and ptebits-hybrid's median went from
 * 4.6 to 9.0 ms between the baseline (14:53 UTC) and a CI run hours later with
 * the baseline's own binary measuring the same (results/regress-drift-
 * 20261202T2055Z/). A strategy that delivers one round later (16.7 ms) fails.
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
 *
 * Null. run-bench writes a figure as null only where it could not be measured,
 * and the run says why: a count it divides by is 0 (no frame, no round, no
 * byte reported, no sample), or an enclosing object carries a "reason" (Xen
 * has no exit counters; a kernel without KVM's binary statistics). Any other
 * null is refused. The ceilings are far above any real run (results/ holds
 * nothing within a factor of 1000 of them) and keep absurd values, a 1e308 us
 * scan, out of the medians and the geometric mean.
 */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "core/json_path.h"
#include "core/result.h"
#include "include/compiler.h"
#include "tools/compare/compare.h"

#define FRAMES "guest.frames_measured"

const struct metric cmp_metrics[NMETRICS] = {
	{ "missed frames", { "dirty.frames_missed", K_COUNT, 1e9, false, NULL },
	  NORM_RAW, MISS, 0, 0, "" },
	{ "exits/frame", { "exits.exits_per_frame", K_NUMBER, 1e9, true, FRAMES },
	  NORM_RAW, HIGHER_IS_WORSE, 0.10, 0.5, "" },
	{ "kvm exits/frame", { "kvm_stats.vcpu.counters.exits.per_frame", K_NUMBER, 1e9, true, FRAMES },
	  NORM_RAW, HIGHER_IS_WORSE, 0.15, 0.75, "" },
	{ "tiles/round", { "dirty.reported_tiles_per_round", K_NUMBER, 1e9, true, "scan.rounds" },
	  NORM_RAW, HIGHER_IS_WORSE, 0.05, 0.5, "" },
	{ "precision", { "dirty.precision", K_NUMBER, 1e6, true, "dirty.reported_bytes" },
	  NORM_RAW, LOWER_IS_WORSE, 0.05, 0.01, "" },
	{ "scan/floor", { "scan.time_us.mean", K_NUMBER, 1e9, true, "scan.time_us.n" },
	  NORM_FLOOR, HIGHER_IS_WORSE, 0.35, 25, "us" },
	{ "latency (rounds)", { "latency_us.p50", K_NUMBER, 1e9, true, "latency_us.n" },
	  NORM_ROUND, HIGHER_IS_WORSE, 0.25, 8000, "us" },
	{ "draw/none", { "guest.draw_cycles_per_frame", K_NUMBER, 1e15, true, FRAMES },
	  NORM_NONE, HIGHER_IS_WORSE, 0.40, 500000, "cyc" },
};

/* The rest of what a run must hold: what pools it and what normalises it. */
static const struct input needed[] = {
	{ "run.strategy", K_STRING, 63, false, NULL },
	{ "run.workload", K_STRING, 63, false, NULL },
	{ "run.options.resolution", K_STRING, 31, false, NULL },
	{ "platform.cpu_model", K_STRING, 127, false, NULL },
	{ "platform.kvm.module", K_STRING, 63, false, NULL },
	{ "platform.kvm.paging", K_STRING, 63, false, NULL },
	{ "run.options.rate_hz", K_POSITIVE, 1e6, false, NULL },
	{ FRAMES, K_COUNT, 1e9, false, NULL },
	{ "calibration.membw_floor_us", K_POSITIVE, 1e9, true, NULL },
};

char cmp_err[1024];

int cmp_fail(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(cmp_err, sizeof(cmp_err), fmt, ap);
	va_end(ap);
	return -1;
}

double cmp_num(const json_t *r, const char *path)
{
	const json_t *v = json_path(r, path);

	return json_is_number(v) ? json_number_value(v) : NAN;
}

const char *cmp_str(const json_t *r, const char *path)
{
	const json_t *v = json_path(r, path);

	return json_is_string(v) ? json_string_value(v) : "";
}

const char *cmp_describe(const json_t *v, enum kind kind, char *buf, size_t len)
{
	switch (v ? json_typeof(v) : JSON_NULL) {
	case JSON_OBJECT: return "an object";
	case JSON_ARRAY: return "an array";
	case JSON_TRUE: return "a boolean (true)";
	case JSON_FALSE: return "a boolean (false)";
	case JSON_NULL: return v ? "null" : "missing";
	case JSON_STRING: snprintf(buf, len, "a string (\"%.40s\")", json_string_value(v)); break;
	case JSON_INTEGER: snprintf(buf, len, "%lld", (long long)json_integer_value(v)); break;
	case JSON_REAL:
		snprintf(buf, len, kind == K_COUNT ? "a real number (%g)" : "%g", json_real_value(v));
		break;
	}
	return buf;
}

static const char *wanted(const struct input *in, char *buf, size_t len)
{
	if (in->kind == K_STRING)
		snprintf(buf, len, "a string of at most %g characters", in->max);
	else
		snprintf(buf, len, "%s %g", in->kind == K_COUNT ? "an integer from 0 to" :
			 in->kind == K_NUMBER ? "a number from 0 to" : "a number above 0, at most",
			 in->max);
	return buf;
}

static bool holds(const json_t *v, const struct input *in)
{
	double x;

	if (in->kind == K_STRING)
		return json_is_string(v) && json_string_length(v) <= in->max;
	if (in->kind == K_COUNT ? !json_is_integer(v) : !json_is_number(v))
		return false;
	x = json_number_value(v);
	return isfinite(x) && x <= in->max && (in->kind == K_POSITIVE ? x > 0 : x >= 0);
}

/* An object enclosing path that says why its figures are missing. */
static bool has_reason(const json_t *r, const char *path)
{
	char prefix[128];
	const char *dot = path;

	while ((dot = strchr(dot, '.'))) {
		snprintf(prefix, sizeof(prefix), "%.*s", (int)(dot - path), path);
		if (json_is_string(json_path(json_path(r, prefix), "reason")))
			return true;
		dot++;
	}
	return false;
}

static bool is_zero(const json_t *v)
{
	return json_is_integer(v) && json_integer_value(v) == 0;
}

static int check_input(const json_t *r, const struct input *in, const char *where)
{
	const json_t *v = json_path(r, in->path), *zero = in->zero ? json_path(r, in->zero) : NULL;
	char got[80], want[64], zbuf[80];

	if (!v || json_is_null(v)) {
		if (in->nullable && (has_reason(r, in->path) || is_zero(zero)))
			return 0;
		if (in->nullable && in->zero)
			return cmp_fail("%s: '%s' is %s, want %s (null only where '%s' is 0; it is %s)",
					where, in->path, cmp_describe(v, in->kind, got, sizeof(got)),
					wanted(in, want, sizeof(want)), in->zero,
					cmp_describe(zero, K_COUNT, zbuf, sizeof(zbuf)));
	} else if (holds(v, in)) {
		return 0;
	}
	return cmp_fail("%s: '%s' is %s, want %s", where, in->path,
			cmp_describe(v, in->kind, got, sizeof(got)), wanted(in, want, sizeof(want)));
}

int cmp_check_run(const json_t *r, const char *where)
{
	const json_t *schema = json_object_get(r, "schema"), *busy = json_path(r, "regress.busy");
	char got[80];

	if (!json_is_object(r))
		return cmp_fail("%s is %s, want a %s object", where, cmp_describe(r, K_STRING, got, sizeof(got)),
				RESULT_SCHEMA);
	if (!json_is_string(schema) || strcmp(json_string_value(schema), RESULT_SCHEMA))
		return cmp_fail("%s: schema mismatch: 'schema' is %s, want \"%s\"", where,
				cmp_describe(schema, K_STRING, got, sizeof(got)), RESULT_SCHEMA);
	for (size_t k = 0; k < ARRAY_SIZE(needed); k++)
		if (check_input(r, &needed[k], where))
			return -1;
	for (size_t k = 0; k < NMETRICS; k++)
		if (check_input(r, &cmp_metrics[k].in, where))
			return -1;
	/* scripts/quick-matrix's mark: a busy run is judged apart, so it must be a mark. */
	if (busy && !json_is_boolean(busy))
		return cmp_fail("%s: 'regress.busy' is %s, want true or false", where,
				cmp_describe(busy, K_STRING, got, sizeof(got)));
	return 0;
}
