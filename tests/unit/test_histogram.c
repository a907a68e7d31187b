/*
 * Unit tests for bench/histogram.c: percentiles against exactly sorted data
 * within the stated error bound, exact summary statistics, merging, the JSON
 * round trip, the bins keyed by value, the empty histogram and values near
 * the top of uint64_t.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/histogram.h"
#include "workloads/lib/rng.h"

#define NSAMPLES 200000

static const double test_pcts[] = {
	0, 0.01, 0.1, 1, 5, 10, 25, 33.3, 50, 66.7, 75, 90, 95, 99, 99.9,
	99.99, 100,
};

/* Deterministic, so a failure reproduces. */
static struct rng test_rng = { 0x9e3779b97f4a7c15ull };

static double rng_unit(void)
{
	return (double)((rng_next(&test_rng) >> 11) + 1) / 9007199254740993.0;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return (x > y) - (x < y);
}

/* The ceil(pct% * n)-th smallest sample: the definition the histogram
 * approximates, with the same guard against 99.9 * 1000 / 100 > 999. */
static uint64_t exact_percentile(const uint64_t *sorted, size_t n, double pct)
{
	double x = pct / 100.0 * (double)n, r = nearbyint(x);
	size_t rank;

	if (pct <= 0)
		return sorted[0];
	if (pct >= 100)
		return sorted[n - 1];
	if (fabs(x - r) <= 1e-9 * fmax(1.0, x))
		x = r;
	rank = (size_t)ceil(x);
	rank = rank < 1 ? 1 : rank > n ? n : rank;
	return sorted[rank - 1];
}

static void check_rel(double got, double want, double tol, const char *what)
{
	double err = want == 0 ? fabs(got) : fabs(got - want) / want;

	if (err > tol)
		fail_msg("%s: got %.17g want %.17g (rel error %.3g > %.3g)",
			 what, got, want, err, tol);
}

static struct hist *hist_new(void)
{
	struct hist *h = malloc(sizeof(*h));

	assert_non_null(h);
	hist_init(h);
	return h;
}

static struct hist *hist_of(const uint64_t *v, size_t n)
{
	struct hist *h = hist_new();

	for (size_t i = 0; i < n; i++)
		hist_add(h, v[i]);
	return h;
}

/* Every percentile within HIST_REL_ERROR of the exact one; the bucket
 * midpoint within half that unless clamped to min/max; exact below 128. */
static void check_percentiles(const struct hist *h, const uint64_t *v, size_t n)
{
	uint64_t *s = malloc(n * sizeof(*s));

	assert_non_null(s);
	memcpy(s, v, n * sizeof(*s));
	qsort(s, n, sizeof(*s), cmp_u64);
	for (size_t i = 0; i < sizeof(test_pcts) / sizeof(test_pcts[0]); i++) {
		double got = hist_percentile(h, test_pcts[i]);
		uint64_t want = exact_percentile(s, n, test_pcts[i]);
		bool clamped = got == (double)s[0] || got == (double)s[n - 1];

		if (want < 2 * HIST_SUB_BUCKETS)
			assert_true(got == (double)want);
		check_rel(got, (double)want, clamped ? HIST_REL_ERROR : HIST_REL_ERROR / 2,
			  "percentile");
	}
	assert_true(hist_percentile(h, 0) == (double)s[0]);
	assert_true(hist_percentile(h, 100) == (double)s[n - 1]);
	free(s);
}

/* min, max exact; mean and stddev against a two-pass long double reference. */
static void check_moments(const struct hist *h, const uint64_t *v, size_t n)
{
	long double sum = 0, ss = 0, mean;
	uint64_t lo = UINT64_MAX, hi = 0;

	for (size_t i = 0; i < n; i++) {
		sum += v[i];
		lo = v[i] < lo ? v[i] : lo;
		hi = v[i] > hi ? v[i] : hi;
	}
	mean = sum / n;
	for (size_t i = 0; i < n; i++)
		ss += (v[i] - mean) * (v[i] - mean);
	assert_int_equal(hist_count(h), n);
	assert_true(hist_min(h) == lo);
	assert_true(hist_max(h) == hi);
	check_rel(hist_mean(h), (double)mean, 1e-12, "mean");
	check_rel(hist_stddev(h), (double)sqrtl(ss / (n - 1)), 1e-9, "stddev");
}

static uint64_t *gen_uniform(size_t n, uint64_t lo, uint64_t hi)
{
	uint64_t *v = malloc(n * sizeof(*v));

	assert_non_null(v);
	for (size_t i = 0; i < n; i++)
		v[i] = lo + rng_next(&test_rng) % (hi - lo);
	return v;
}

static uint64_t *gen_exponential(size_t n, double mean)
{
	uint64_t *v = malloc(n * sizeof(*v));

	assert_non_null(v);
	for (size_t i = 0; i < n; i++)
		v[i] = (uint64_t)(-mean * log(rng_unit()));
	return v;
}

/* Spread over all 64 binades, the worst case for bucket boundaries. */
static uint64_t *gen_wide(size_t n)
{
	uint64_t *v = malloc(n * sizeof(*v));

	assert_non_null(v);
	for (size_t i = 0; i < n; i++)
		v[i] = rng_next(&test_rng) >> (rng_next(&test_rng) % 64);
	return v;
}

static void test_uniform(void **state)
{
	uint64_t *v = gen_uniform(NSAMPLES, 1000, 10000000);
	struct hist *h = hist_of(v, NSAMPLES);

	(void)state;
	check_percentiles(h, v, NSAMPLES);
	check_moments(h, v, NSAMPLES);
	free(h);
	free(v);
}

static void test_exponential(void **state)
{
	uint64_t *v = gen_exponential(NSAMPLES, 20000);
	struct hist *h = hist_of(v, NSAMPLES);

	(void)state;
	check_percentiles(h, v, NSAMPLES);
	check_moments(h, v, NSAMPLES);
	free(h);
	free(v);
}

static void test_wide_range(void **state)
{
	uint64_t *v = gen_wide(NSAMPLES);
	struct hist *h = hist_of(v, NSAMPLES);

	(void)state;
	check_percentiles(h, v, NSAMPLES);
	free(h);
	free(v);
}

/* With 0 and UINT64_MAX beside it, p50 is v's bucket midpoint, unclamped. */
static void test_bucket_midpoints(void **state)
{
	struct hist *h = hist_new();

	(void)state;
	for (int i = 0; i < 20000; i++) {
		uint64_t v = i < 200 ? (uint64_t)i : rng_next(&test_rng) >> (rng_next(&test_rng) % 64);

		hist_init(h);
		hist_add(h, 0);
		hist_add(h, v);
		hist_add(h, UINT64_MAX);
		if (v < 2 * HIST_SUB_BUCKETS)
			assert_true(hist_percentile(h, 50) == (double)v);
		check_rel(hist_percentile(h, 50), (double)v, HIST_REL_ERROR / 2,
			  "midpoint");
	}
	free(h);
}

/* Identical samples: every percentile is that value, not its bucket's
 * midpoint (1000 sits in the 8-wide bucket 1000..1007). */
static void test_constant(void **state)
{
	struct hist *h = hist_new();

	(void)state;
	for (int i = 0; i < 100; i++)
		hist_add(h, 1000);
	for (size_t i = 0; i < sizeof(test_pcts) / sizeof(test_pcts[0]); i++)
		assert_true(hist_percentile(h, test_pcts[i]) == 1000.0);
	assert_true(hist_mean(h) == 1000.0 && hist_stddev(h) == 0);
	free(h);
}

/* 99.9 / 100 * 1000 is 999.0000000000001 in doubles: p99.9 of 999 tens and
 * one hundred is still 10, and p0.1 of one 3 and 999 fives is 3. */
static void test_rank_rounding(void **state)
{
	struct hist *h = hist_new();

	(void)state;
	for (int i = 0; i < 999; i++)
		hist_add(h, 10);
	hist_add(h, 100);
	assert_true(hist_percentile(h, 99.9) == 10.0);
	assert_true(hist_percentile(h, 99.95) == 100.0);
	hist_init(h);
	hist_add(h, 3);
	for (int i = 0; i < 999; i++)
		hist_add(h, 5);
	assert_true(hist_percentile(h, 0.1) == 3.0);
	assert_true(hist_percentile(h, 0.11) == 5.0);
	free(h);
}

static void assert_hist_equal(const struct hist *a, const struct hist *b,
			      double sum_sq_tol)
{
	assert_true(a->n == b->n);
	assert_true(hist_min(a) == hist_min(b));
	assert_true(hist_max(a) == hist_max(b));
	assert_true(a->sum == b->sum);
	assert_memory_equal(a->bins, b->bins, sizeof(a->bins));
	if (sum_sq_tol == 0)
		assert_true(a->sum_sq == b->sum_sq);
	else
		check_rel((double)a->sum_sq, (double)b->sum_sq, sum_sq_tol, "sum_sq");
	for (size_t i = 0; i < sizeof(test_pcts) / sizeof(test_pcts[0]); i++)
		if (a->n)
			assert_true(hist_percentile(a, test_pcts[i]) ==
				    hist_percentile(b, test_pcts[i]));
}

static void test_merge(void **state)
{
	uint64_t *u = gen_uniform(NSAMPLES, 5, 1u << 20);
	uint64_t *e = gen_exponential(NSAMPLES, 300);
	struct hist *all = hist_new(), *a = hist_of(u, NSAMPLES);
	struct hist *b = hist_of(e, NSAMPLES), *merged = hist_new();

	(void)state;
	for (size_t i = 0; i < NSAMPLES; i++) {
		hist_add(all, u[i]);
		hist_add(all, e[i]);
	}
	hist_merge(merged, a);          /* into an empty one */
	assert_hist_equal(merged, a, 0);
	hist_merge(merged, b);
	assert_hist_equal(merged, all, 1e-15);
	check_rel(hist_stddev(merged), hist_stddev(all), 1e-12, "merged stddev");
	hist_init(a);
	hist_merge(merged, a);          /* an empty one changes nothing */
	assert_hist_equal(merged, all, 1e-15);
	free(all), free(a), free(b), free(merged);
	free(u), free(e);
}

static json_t *json_roundtrip_text(const json_t *j)
{
	char *text = json_dumps(j, JSON_COMPACT);
	json_t *back;

	assert_non_null(text);
	back = json_loads(text, 0, NULL);
	assert_non_null(back);
	free(text);
	return back;
}

static void check_json_roundtrip(const struct hist *h)
{
	json_t *j = hist_to_json(h, 1.0, true), *back;
	struct hist *h2 = hist_new();

	back = json_roundtrip_text(j);
	assert_int_equal(hist_from_json(h2, back), 0);
	assert_hist_equal(h2, h, 0);
	json_decref(j);
	json_decref(back);
	free(h2);
}

static void test_json_roundtrip(void **state)
{
	uint64_t *v = gen_wide(NSAMPLES);
	struct hist *h = hist_of(v, NSAMPLES);

	(void)state;
	check_json_roundtrip(h);
	free(h);
	free(v);
}

static void test_json_fields(void **state)
{
	static const char *keys[] = { "1", "5", "10", "25", "50", "75", "90",
				      "95", "99", "99.9" };
	uint64_t *v = gen_exponential(10000, 5e6);
	struct hist *h = hist_of(v, 10000);
	json_t *j = hist_to_json(h, 1e-3, false);
	json_t *p = json_object_get(j, "percentiles");

	(void)state;
	assert_int_equal(json_integer_value(json_object_get(j, "n")), 10000);
	check_rel(json_real_value(json_object_get(j, "min")), hist_min(h) * 1e-3, 1e-15, "min");
	check_rel(json_real_value(json_object_get(j, "max")), hist_max(h) * 1e-3, 1e-15, "max");
	check_rel(json_real_value(json_object_get(j, "mean")), hist_mean(h) * 1e-3, 1e-15, "mean");
	check_rel(json_real_value(json_object_get(j, "stddev")), hist_stddev(h) * 1e-3, 1e-15, "sd");
	check_rel(json_real_value(json_object_get(j, "p99.9")),
		  hist_percentile(h, 99.9) * 1e-3, 1e-15, "p99.9");
	assert_int_equal(json_object_size(p), 10);
	for (size_t i = 0; i < 10; i++)
		assert_true(json_is_real(json_object_get(p, keys[i])));
	check_rel(json_real_value(json_object_get(p, "50")),
		  json_real_value(json_object_get(j, "p50")), 0, "p50");
	assert_null(json_object_get(j, "bins"));
	assert_null(json_object_get(j, "raw"));
	json_decref(j);
	free(h);
	free(v);
}

/* Only non-empty buckets, counts summing to n, raw sum exact. */
static void test_json_bins(void **state)
{
	struct hist *h = hist_new();
	json_t *j, *bins, *pair;
	json_int_t total = 0;
	size_t i;

	(void)state;
	for (uint64_t x = 0; x < 1000; x++)
		hist_add(h, x * x);
	j = hist_to_json(h, 1.0, true);
	bins = json_object_get(j, "bins");
	assert_string_equal(json_string_value(json_object_get(j, "bin_scheme")),
			    "log-linear-6");
	json_array_foreach(bins, i, pair) {
		assert_true(json_integer_value(json_array_get(pair, 1)) > 0);
		total += json_integer_value(json_array_get(pair, 1));
	}
	assert_int_equal(total, 1000);
	assert_int_equal(json_integer_value(json_object_get(j, "sum")), 332833500);
	assert_int_equal(json_integer_value(json_object_get(
		json_object_get(j, "raw"), "max")), 998001);
	json_decref(j);
	free(h);
}

static double bin_num(const json_t *bin, const char *key)
{
	const json_t *v = json_object_get(bin, key);

	assert_true(json_is_number(v));
	return json_number_value(v);
}

/* Every integer 0..n-1 once: the bins must tile [0, n-1] with no gap or
 * overlap, each counting the integers in its [lo, hi]. */
static void test_bins_by_value_tile(void **state)
{
	const uint64_t n = 20000;
	struct hist *h = hist_new();
	json_t *j, *bins, *bin;
	double next = 0;
	json_int_t total = 0;
	size_t i;

	(void)state;
	for (uint64_t v = 0; v < n; v++)
		hist_add(h, v);
	j = hist_to_json(h, 1.0, false);
	bins = json_object_get(j, "bins_by_value");
	assert_true(json_array_size(bins) > 64);
	json_array_foreach(bins, i, bin) {
		double lo = bin_num(bin, "lo"), hi = bin_num(bin, "hi");
		json_int_t count = json_integer_value(json_object_get(bin, "count"));

		assert_true(lo == next);
		assert_true(hi >= lo);
		assert_int_equal(count, (json_int_t)(fmin(hi, (double)(n - 1)) - lo + 1));
		total += count;
		next = hi + 1;
	}
	assert_true(next > (double)(n - 1));    /* the last bin holds n - 1 */
	assert_int_equal(total, (json_int_t)n);
	json_decref(j);
	free(h);
}

/* Random values over many powers of two: each lies in exactly one bin, the
 * counts sum to n, and the scaled bins are the raw ones times the scale,
 * the unit of p50, which lies in one of them. */
static void test_bins_by_value_units(void **state)
{
	enum { N = 5000 };
	uint64_t *v = malloc(N * sizeof(*v));
	struct hist *h;
	json_t *raw, *us, *rb, *ub, *bin;
	json_int_t total = 0;
	double p50;
	size_t i, holding;

	(void)state;
	assert_non_null(v);
	for (size_t k = 0; k < N; k++)
		v[k] = rng_next(&test_rng) >> (12 + rng_next(&test_rng) % 50);   /* < 2^52: exact as doubles */
	h = hist_of(v, N);
	raw = hist_to_json(h, 1.0, true);
	us = hist_to_json(h, 1e-3, true);
	rb = json_object_get(raw, "bins_by_value");
	ub = json_object_get(us, "bins_by_value");
	assert_int_equal(json_array_size(rb), json_array_size(ub));
	assert_int_equal(json_array_size(rb), json_array_size(json_object_get(raw, "bins")));
	for (size_t k = 0; k < N; k++) {
		holding = 0;
		json_array_foreach(rb, i, bin)
			holding += bin_num(bin, "lo") <= (double)v[k] && (double)v[k] <= bin_num(bin, "hi");
		assert_int_equal(holding, 1);
	}
	p50 = json_number_value(json_object_get(us, "p50"));
	holding = 0;
	json_array_foreach(ub, i, bin) {
		const json_t *r = json_array_get(rb, i);

		check_rel(bin_num(bin, "lo"), bin_num(r, "lo") * 1e-3, 1e-15, "lo");
		check_rel(bin_num(bin, "hi"), bin_num(r, "hi") * 1e-3, 1e-15, "hi");
		assert_true(i == 0 || bin_num(bin, "lo") > bin_num(json_array_get(ub, i - 1), "hi"));
		holding += bin_num(bin, "lo") <= p50 && p50 <= bin_num(bin, "hi");
		total += json_integer_value(json_object_get(bin, "count"));
	}
	assert_int_equal(holding, 1);
	assert_int_equal(total, N);
	json_decref(raw);
	json_decref(us);
	free(h);
	free(v);
}

/* Corruptions of a valid object, each of which must be refused. */
static void corrupt_scheme(json_t *j)
{
	json_object_set_new(j, "bin_scheme", json_string("log-linear-5"));
}

static void corrupt_count(json_t *j)
{
	json_object_set_new(j, "n", json_integer(1));
}

static void corrupt_bin_index(json_t *j)
{
	json_array_append_new(json_object_get(j, "bins"),
			      json_pack("[II]", (json_int_t)HIST_NBUCKETS, (json_int_t)1));
}

static void corrupt_bin_shape(json_t *j)
{
	json_array_append_new(json_array_get(json_object_get(j, "bins"), 0),
			      json_integer(0));
}

static void corrupt_min(json_t *j)
{
	json_object_set_new(json_object_get(j, "raw"), "min", json_integer(1));
}

static void corrupt_max(json_t *j)
{
	json_object_set_new(json_object_get(j, "raw"), "max", json_integer(1 << 20));
}

static void corrupt_sum(json_t *j)
{
	json_object_set_new(json_object_get(j, "raw"), "sum", json_string("12x"));
}

static void corrupt_raw(json_t *j)
{
	json_object_del(j, "raw");
}

static void test_json_rejects(void **state)
{
	static void (*const corrupt[])(json_t *) = {
		corrupt_scheme, corrupt_count, corrupt_bin_index, corrupt_bin_shape,
		corrupt_min, corrupt_max, corrupt_sum, corrupt_raw,
	};
	struct hist *h = hist_new(), *out = hist_new();
	json_t *good;

	(void)state;
	for (uint64_t x = 100; x < 5000; x += 7)
		hist_add(h, x);
	good = hist_to_json(h, 1.0, true);
	assert_int_equal(hist_from_json(out, NULL), -1);
	assert_int_equal(hist_from_json(out, good), 0);
	for (size_t i = 0; i < sizeof(corrupt) / sizeof(corrupt[0]); i++) {
		json_t *bad = json_deep_copy(good);

		corrupt[i](bad);
		assert_int_equal(hist_from_json(out, bad), -1);
		assert_int_equal(hist_count(out), 0);   /* failure leaves it empty */
		json_decref(bad);
	}
	json_decref(good);
	free(h);
	free(out);
}

static void test_empty(void **state)
{
	static const char *fields[] = { "min", "max", "mean", "stddev", "p50",
					"p90", "p99", "p99.9" };
	struct hist *h = hist_new(), *back = hist_new();
	json_t *j = hist_to_json(h, 1e-3, true), *p = json_object_get(j, "percentiles");
	const char *key;
	json_t *val;

	(void)state;
	assert_int_equal(hist_count(h), 0);
	assert_true(hist_min(h) == 0 && hist_max(h) == 0);
	assert_true(isnan(hist_mean(h)) && isnan(hist_stddev(h)));
	assert_true(isnan(hist_percentile(h, 50)));
	assert_true(json_is_integer(json_object_get(j, "n")));
	assert_int_equal(json_integer_value(json_object_get(j, "n")), 0);
	for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++)
		assert_true(json_is_null(json_object_get(j, fields[i])));
	assert_int_equal(json_object_size(p), 10);
	json_object_foreach(p, key, val)
		assert_true(json_is_null(val));
	assert_int_equal(json_array_size(json_object_get(j, "bins")), 0);
	assert_true(json_is_array(json_object_get(j, "bins_by_value")));
	assert_int_equal(json_array_size(json_object_get(j, "bins_by_value")), 0);
	assert_int_equal(hist_from_json(back, j), 0);
	assert_int_equal(hist_count(back), 0);
	hist_add(back, 7);              /* still usable: min was reset */
	assert_true(hist_min(back) == 7);
	json_decref(j);
	free(h);
	free(back);
}

static void test_huge_values(void **state)
{
	const uint64_t big = UINT64_MAX / 2;
	struct hist *h = hist_new(), *m = hist_new();
	json_t *j;

	(void)state;
	for (int i = 0; i < 1000; i++)
		hist_add(h, big);
	hist_add(h, UINT64_MAX);
	hist_add(h, 0);
	assert_true(hist_min(h) == 0 && hist_max(h) == UINT64_MAX);
	assert_true(h->sum == (unsigned __int128)big * 1000 + UINT64_MAX);
	check_rel(hist_mean(h), ((double)big * 1000 + (double)UINT64_MAX) / 1002,
		  1e-15, "mean");
	assert_true(isfinite(hist_stddev(h)) && hist_stddev(h) > 0);
	check_rel(hist_percentile(h, 50), (double)big, HIST_REL_ERROR / 2, "p50");
	assert_true(hist_percentile(h, 100) == (double)UINT64_MAX);
	hist_merge(m, h);
	hist_merge(m, h);
	assert_true(m->sum == 2 * h->sum);
	j = hist_to_json(m, 1.0, true);
	assert_true(json_is_string(json_object_get(j, "sum")));  /* > INT64_MAX */
	json_decref(j);
	check_json_roundtrip(m);

	hist_init(h);                   /* identical huge samples: stddev 0 */
	hist_add(h, big);
	hist_add(h, big);
	assert_true(hist_stddev(h) == 0);
	free(h);
	free(m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_uniform),
		cmocka_unit_test(test_exponential),
		cmocka_unit_test(test_wide_range),
		cmocka_unit_test(test_bucket_midpoints),
		cmocka_unit_test(test_constant),
		cmocka_unit_test(test_rank_rounding),
		cmocka_unit_test(test_merge),
		cmocka_unit_test(test_json_roundtrip),
		cmocka_unit_test(test_json_fields),
		cmocka_unit_test(test_json_bins),
		cmocka_unit_test(test_bins_by_value_tile),
		cmocka_unit_test(test_bins_by_value_units),
		cmocka_unit_test(test_json_rejects),
		cmocka_unit_test(test_empty),
		cmocka_unit_test(test_huge_values),
	};

	return cmocka_run_group_tests_name("histogram", tests, NULL, NULL);
}
