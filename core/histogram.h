/*
 * Latency histogram in fixed memory, modelled on fio's: records millions of
 * uint64_t samples (ns or TSC cycles) with bounded relative error, merges
 * across runs, and round-trips through the result JSON.
 */
#ifndef DIRTYBENCH_HISTOGRAM_H
#define DIRTYBENCH_HISTOGRAM_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#define HIST_SUB_BITS    6
#define HIST_SUB_BUCKETS (1u << HIST_SUB_BITS)
/* Group 0 holds 0..63 exactly; groups 1..58 cover msb 6..63. */
#define HIST_GROUPS      (64 - HIST_SUB_BITS + 1)
#define HIST_NBUCKETS    (HIST_GROUPS * HIST_SUB_BUCKETS)
/* Width of a bucket relative to its lowest value; the midpoint the
 * percentiles report is within half of this of every value in it. */
#define HIST_REL_ERROR   (1.0 / HIST_SUB_BUCKETS)
#define HIST_BIN_SCHEME  "log-linear-6"

struct hist {
	uint64_t n;
	uint64_t min, max;      /* min is UINT64_MAX while empty */
	unsigned __int128 sum;  /* exact: n * UINT64_MAX cannot overflow it */
	long double sum_sq;     /* for stddev; merges by plain addition */
	uint64_t bins[HIST_NBUCKETS];
};

void hist_init(struct hist *h);
void hist_add(struct hist *h, uint64_t value);
void hist_merge(struct hist *dst, const struct hist *src);

/* Empty histogram: count 0, min and max 0, mean/stddev/percentile NAN. */
uint64_t hist_count(const struct hist *h);
uint64_t hist_min(const struct hist *h);
uint64_t hist_max(const struct hist *h);
double hist_mean(const struct hist *h);
/* Sample standard deviation (n - 1); 0 for a single sample. */
double hist_stddev(const struct hist *h);

/* pct in [0,100]: the midpoint of the bucket holding the ceil(pct% * n)-th
 * smallest sample, clamped to [min,max]; p0 is min and p100 is max. */
double hist_percentile(const struct hist *h, double pct);

/* Summary scaled by scale (1e-3: ns to us); value fields are null when the
 * histogram is empty. "bins_by_value" lists the non-empty buckets as
 * {lo, hi, count}, sorted, scaled like p50: [lo, hi] is the range of raw
 * values the bucket holds (times scale). with_bins adds the raw, unscaled
 * state ("bins", "bin_scheme", "sum", "sum_sq", "raw") that hist_from_json
 * reads. */
json_t *hist_to_json(const struct hist *h, double scale, bool with_bins);

/* Rebuilds h from hist_to_json(..., true) output. Returns 0 or -1. */
int hist_from_json(struct hist *h, const json_t *obj);

#endif
