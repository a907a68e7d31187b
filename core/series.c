/* Summaries across repeated runs; see series.h. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/json_path.h"
#include "core/series.h"
#include "include/compiler.h"

const char *const series_metrics[] = {
	"scan.time_us.p50", "scan.time_us.p99", "scan.cpu_fraction",
	"latency_us.p50", "latency_us.p99", "guest.draw_cycles_per_frame", "guest.fps_achieved",
	"dirty.precision", "dirty.reported_tiles_per_round", "exits.exits_per_frame",
	"calibration.scan_to_floor_ratio", NULL,
};

/* Student's t, two-sided 95%, for n - 1 degrees of freedom (n = 2..31). */
static double t95(size_t n)
{
	static const double t[] = { 0, 12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306,
		2.262, 2.228, 2.201, 2.179, 2.160, 2.145, 2.131, 2.120, 2.110, 2.101, 2.093, 2.086,
		2.080, 2.074, 2.069, 2.064, 2.060, 2.056, 2.052, 2.048, 2.045, 2.042 };

	return n - 1 < ARRAY_SIZE(t) ? t[n - 1] : 1.96;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static json_t *summarise(const double *v, size_t n)
{
	double sorted[n], mean = 0, var = 0, median, half;

	memcpy(sorted, v, n * sizeof(*v));
	qsort(sorted, n, sizeof(*sorted), cmp_double);
	for (size_t i = 0; i < n; i++)
		mean += v[i] / (double)n;
	for (size_t i = 0; i < n; i++)
		var += (v[i] - mean) * (v[i] - mean) / (double)(n > 1 ? n - 1 : 1);
	median = n % 2 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
	half = n > 1 ? t95(n) * sqrt(var / (double)n) : 0;
	return json_pack("{s:i, s:f, s:f, s:f, s:o, s:f, s:f, s:[f,f], s:s}", "n", (int)n,
		"median", median, "mean", mean, "stddev", sqrt(var),
		"cv", mean != 0 ? json_real(sqrt(var) / fabs(mean)) : json_null(),
		"min", sorted[0], "max", sorted[n - 1], "ci95_mean", mean - half, mean + half,
		"ci95_method", "Student t on the run means");
}

json_t *series_build(json_t *runs)
{
	json_t *summary = json_object();
	size_t n = json_array_size(runs);

	for (const char *const *m = series_metrics; *m; m++) {
		double v[n ? n : 1];
		size_t k = 0;

		for (size_t i = 0; i < n; i++) {
			const json_t *x = json_path(json_array_get(runs, i), *m);

			if (json_is_number(x))
				v[k++] = json_number_value(x);
		}
		json_object_set_new(summary, *m, k ? summarise(v, k) : json_null());
	}
	return json_pack("{s:s, s:s, s:i, s:o, s:o}", "schema", SERIES_SCHEMA, "status", "ok",
			 "repeat", (int)n, "runs", runs, "summary", summary);
}
