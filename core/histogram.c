/*
 * Log-linear latency histogram (see histogram.h for the contract).
 *
 * Bucket scheme, as in fio's latency histogram with 6 bits per group:
 *
 *   Values 0..63 get one bucket each (group 0). A value v >= 64 with its
 *   highest set bit at position msb (6..63) falls into group g = msb - 5, and
 *   into sub-bucket (v >> (msb - 6)) & 63 within it: the 6 bits just below
 *   the leading one. So index = 64 * g + sub, 59 groups, 3776 buckets, about
 *   30 KiB for the whole uint64_t range.
 *
 *   A bucket in group g >= 1 spans 2^(g-1) consecutive values starting at
 *   (64 + sub) << (g - 1), so its width is at most 1/64 of any value in it
 *   (HIST_REL_ERROR, ~1.6%), and its midpoint is within 1/128 (~0.8%) of
 *   every value in it. Values below 128 are exact.
 *
 * Exact count, min, max and sum are kept beside the buckets; the sum of
 * squares is a long double (64-bit mantissa), which keeps stddev accurate
 * unless the spread is below ~1e-7 of the mean.
 */
#include "core/histogram.h"
#include "include/compiler.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

static const struct {
	const char *key;
	double pct;
} hist_pcts[] = {
	{ "1", 1 }, { "5", 5 }, { "10", 10 }, { "25", 25 }, { "50", 50 },
	{ "75", 75 }, { "90", 90 }, { "95", 95 }, { "99", 99 }, { "99.9", 99.9 },
};

static unsigned hist_bucket(uint64_t v)
{
	unsigned msb, shift;

	if (v < HIST_SUB_BUCKETS)
		return (unsigned)v;
	msb = 63u - (unsigned)__builtin_clzll(v);
	shift = msb - HIST_SUB_BITS;
	return ((shift + 1) << HIST_SUB_BITS) +
	       (unsigned)((v >> shift) & (HIST_SUB_BUCKETS - 1));
}

static unsigned hist_bucket_shift(unsigned idx)
{
	return idx < HIST_SUB_BUCKETS ? 0 : (idx >> HIST_SUB_BITS) - 1;
}

static uint64_t hist_bucket_low(unsigned idx)
{
	if (idx < HIST_SUB_BUCKETS)
		return idx;
	return (uint64_t)(HIST_SUB_BUCKETS + (idx & (HIST_SUB_BUCKETS - 1)))
	       << hist_bucket_shift(idx);
}

/* Mean of the integers in the bucket, so 1-wide buckets are exact. */
static double hist_bucket_mid(unsigned idx)
{
	uint64_t width = 1ull << hist_bucket_shift(idx);

	return (double)hist_bucket_low(idx) + (double)(width - 1) / 2;
}

void hist_init(struct hist *h)
{
	memset(h, 0, sizeof(*h));
	h->min = UINT64_MAX;
}

void hist_add(struct hist *h, uint64_t value)
{
	h->bins[hist_bucket(value)]++;
	h->n++;
	if (value < h->min)
		h->min = value;
	if (value > h->max)
		h->max = value;
	h->sum += value;
	h->sum_sq += (long double)value * value;
}

void hist_merge(struct hist *dst, const struct hist *src)
{
	if (src->n == 0)
		return;
	for (unsigned i = 0; i < HIST_NBUCKETS; i++)
		dst->bins[i] += src->bins[i];
	dst->n += src->n;
	if (src->min < dst->min)
		dst->min = src->min;
	if (src->max > dst->max)
		dst->max = src->max;
	dst->sum += src->sum;
	dst->sum_sq += src->sum_sq;
}

uint64_t hist_count(const struct hist *h)
{
	return h->n;
}

uint64_t hist_min(const struct hist *h)
{
	return h->n ? h->min : 0;
}

uint64_t hist_max(const struct hist *h)
{
	return h->n ? h->max : 0;
}

double hist_mean(const struct hist *h)
{
	if (h->n == 0)
		return NAN;
	return (double)((long double)h->sum / h->n);
}

double hist_stddev(const struct hist *h)
{
	long double sum, var;

	if (h->n == 0)
		return NAN;
	if (h->n == 1)
		return 0;
	sum = (long double)h->sum;
	var = (h->sum_sq - sum * sum / h->n) / (h->n - 1);
	return var > 0 ? (double)sqrtl(var) : 0;
}

/* 1-based rank of the sample at pct; products a hair above an integer
 * (99.9 * 1000 / 100) must not round up to the next sample. */
static uint64_t hist_rank(uint64_t n, double pct)
{
	double x = pct / 100.0 * (double)n;
	double r = nearbyint(x);
	uint64_t rank;

	if (fabs(x - r) <= 1e-9 * fmax(1.0, x))
		x = r;
	rank = (uint64_t)ceil(x);
	if (rank < 1)
		return 1;
	return rank > n ? n : rank;
}

double hist_percentile(const struct hist *h, double pct)
{
	unsigned last = hist_bucket(h->max);
	uint64_t rank, seen = 0;
	double v = (double)h->max;

	if (h->n == 0 || isnan(pct))
		return NAN;
	if (pct <= 0)
		return (double)h->min;
	if (pct >= 100)
		return (double)h->max;
	rank = hist_rank(h->n, pct);
	for (unsigned i = hist_bucket(h->min); i <= last; i++) {
		seen += h->bins[i];
		if (seen >= rank) {
			v = hist_bucket_mid(i);
			break;
		}
	}
	return fmin(fmax(v, (double)h->min), (double)h->max);
}

/* --- JSON ---------------------------------------------------------------- */

/* jansson integers are signed 64-bit: larger raw values travel as decimal
 * strings so nothing is rounded. */
static json_t *hist_json_u128(unsigned __int128 v)
{
	char buf[48], *p = buf + sizeof(buf);

	if (v <= INT64_MAX)
		return json_integer((json_int_t)v);
	*--p = '\0';
	do {
		*--p = (char)('0' + (unsigned)(v % 10));
		v /= 10;
	} while (v);
	return json_string(p);
}

static int hist_parse_u128(const json_t *j, unsigned __int128 *out)
{
	const unsigned __int128 max = ~(unsigned __int128)0;
	const char *s = json_string_value(j);

	if (json_is_integer(j) && json_integer_value(j) >= 0) {
		*out = (unsigned __int128)json_integer_value(j);
		return 0;
	}
	if (!s || !*s)
		return -1;
	for (*out = 0; *s; s++) {
		unsigned d = (unsigned)(*s - '0');

		if (d > 9 || *out > (max - d) / 10)
			return -1;
		*out = *out * 10 + d;
	}
	return 0;
}

static int hist_parse_u64(const json_t *j, uint64_t *out)
{
	unsigned __int128 v;

	if (hist_parse_u128(j, &v) < 0 || v > UINT64_MAX)
		return -1;
	*out = (uint64_t)v;
	return 0;
}

static json_t *hist_scaled(const struct hist *h, double v, double scale)
{
	return h->n ? json_real(v * scale) : json_null();
}

static json_t *hist_percentiles_json(const struct hist *h, double scale)
{
	json_t *o = json_object();

	for (size_t i = 0; i < ARRAY_SIZE(hist_pcts); i++)
		json_object_set_new(o, hist_pcts[i].key,
			hist_scaled(h, hist_percentile(h, hist_pcts[i].pct), scale));
	return o;
}

static json_t *hist_bins_json(const struct hist *h)
{
	json_t *a = json_array();

	for (unsigned i = 0; i < HIST_NBUCKETS; i++) {
		if (h->bins[i])
			json_array_append_new(a, json_pack("[II]", (json_int_t)i,
						(json_int_t)h->bins[i]));
	}
	return a;
}

/* The buckets as value ranges in the member's unit, so no consumer redoes
 * the bucket arithmetic: [lo, hi] holds every raw value from the bucket's
 * lowest to its highest, scaled like p50. */
static json_t *hist_bins_by_value_json(const struct hist *h, double scale)
{
	json_t *a = json_array();

	for (unsigned i = 0; i < HIST_NBUCKETS; i++) {
		uint64_t lo = hist_bucket_low(i), hi = lo + ((1ull << hist_bucket_shift(i)) - 1);

		if (h->bins[i])
			json_array_append_new(a, json_pack("{s:f, s:f, s:I}", "lo", (double)lo * scale,
							   "hi", (double)hi * scale, "count", (json_int_t)h->bins[i]));
	}
	return a;
}

/* sum_sq as two doubles (hi + lo) carries all 64 bits of the long double. */
static json_t *hist_raw_json(const struct hist *h)
{
	double hi = (double)h->sum_sq;
	double lo = (double)(h->sum_sq - hi);
	json_t *o = json_object();

	json_object_set_new(o, "min", h->n ? hist_json_u128(h->min) : json_null());
	json_object_set_new(o, "max", h->n ? hist_json_u128(h->max) : json_null());
	json_object_set_new(o, "sum", hist_json_u128(h->sum));
	json_object_set_new(o, "sum_sq", json_real(hi));
	json_object_set_new(o, "sum_sq_lo", json_real(lo));
	return o;
}

json_t *hist_to_json(const struct hist *h, double scale, bool with_bins)
{
	json_t *o = json_object();

	json_object_set_new(o, "n", json_integer((json_int_t)h->n));
	json_object_set_new(o, "min", hist_scaled(h, (double)h->min, scale));
	json_object_set_new(o, "max", hist_scaled(h, (double)h->max, scale));
	json_object_set_new(o, "mean", hist_scaled(h, hist_mean(h), scale));
	json_object_set_new(o, "stddev", hist_scaled(h, hist_stddev(h), scale));
	json_object_set_new(o, "p50", hist_scaled(h, hist_percentile(h, 50), scale));
	json_object_set_new(o, "p90", hist_scaled(h, hist_percentile(h, 90), scale));
	json_object_set_new(o, "p99", hist_scaled(h, hist_percentile(h, 99), scale));
	json_object_set_new(o, "p99.9", hist_scaled(h, hist_percentile(h, 99.9), scale));
	json_object_set_new(o, "percentiles", hist_percentiles_json(h, scale));
	json_object_set_new(o, "bins_by_value", hist_bins_by_value_json(h, scale));
	if (!with_bins)
		return o;
	json_object_set_new(o, "bin_scheme", json_string(HIST_BIN_SCHEME));
	json_object_set_new(o, "bins", hist_bins_json(h));
	json_object_set_new(o, "sum", hist_json_u128(h->sum));
	json_object_set_new(o, "sum_sq", json_real((double)h->sum_sq));
	json_object_set_new(o, "raw", hist_raw_json(h));
	return o;
}

static int hist_bins_from_json(struct hist *h, const json_t *bins)
{
	size_t i;
	const json_t *pair;

	json_array_foreach(bins, i, pair) {
		const json_t *idx = json_array_get(pair, 0);
		const json_t *cnt = json_array_get(pair, 1);

		if (json_array_size(pair) != 2 || !json_is_integer(idx) ||
		    !json_is_integer(cnt) || json_integer_value(idx) < 0 ||
		    json_integer_value(idx) >= HIST_NBUCKETS ||
		    json_integer_value(cnt) < 0)
			return -1;
		h->bins[json_integer_value(idx)] += (uint64_t)json_integer_value(cnt);
		h->n += (uint64_t)json_integer_value(cnt);
	}
	return 0;
}

/* min and max must sit in the first and last non-empty buckets. */
static int hist_check_range(const struct hist *h)
{
	unsigned first = 0, last = HIST_NBUCKETS - 1;

	while (!h->bins[first])
		first++;
	while (!h->bins[last])
		last--;
	if (h->min > h->max || hist_bucket(h->min) != first ||
	    hist_bucket(h->max) != last)
		return -1;
	return 0;
}

static int hist_raw_from_json(struct hist *h, const json_t *raw)
{
	const json_t *hi = json_object_get(raw, "sum_sq");
	const json_t *lo = json_object_get(raw, "sum_sq_lo");

	if (hist_parse_u64(json_object_get(raw, "min"), &h->min) < 0 ||
	    hist_parse_u64(json_object_get(raw, "max"), &h->max) < 0 ||
	    hist_parse_u128(json_object_get(raw, "sum"), &h->sum) < 0 ||
	    !json_is_number(hi) || (lo && !json_is_number(lo)))
		return -1;
	h->sum_sq = (long double)json_number_value(hi);
	if (lo)
		h->sum_sq += json_number_value(lo);
	return hist_check_range(h);
}

int hist_from_json(struct hist *h, const json_t *obj)
{
	const json_t *n = json_object_get(obj, "n");
	const char *scheme = json_string_value(json_object_get(obj, "bin_scheme"));

	hist_init(h);
	if (!json_is_integer(n) || !scheme || strcmp(scheme, HIST_BIN_SCHEME) ||
	    !json_is_array(json_object_get(obj, "bins")) ||
	    !json_is_object(json_object_get(obj, "raw")))
		goto fail;
	if (hist_bins_from_json(h, json_object_get(obj, "bins")) < 0 ||
	    json_integer_value(n) < 0 || (uint64_t)json_integer_value(n) != h->n)
		goto fail;
	if (h->n == 0)
		return 0;
	if (hist_raw_from_json(h, json_object_get(obj, "raw")) < 0)
		goto fail;
	return 0;
fail:
	hist_init(h);
	return -1;
}
