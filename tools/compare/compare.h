/*
 * db-compare's parts (tools/compare/): the metric table and what a run must
 * hold for it (metrics.c), reading directories of results into pooled
 * configurations (load.c), and medians, verdicts and the table (main.c).
 */
#ifndef DIRTYBENCH_COMPARE_H
#define DIRTYBENCH_COMPARE_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

enum { EXIT_SAME = 0, EXIT_REGRESSION = 1, EXIT_UNUSABLE = 2, EXIT_NOT_COMPARABLE = 3 };

enum norm {
	NORM_RAW,   /* as measured */
	NORM_FLOOR, /* per run, divided by calibration.membw_floor_us */
	NORM_ROUND, /* per run, in scan periods: value_us * rate_hz / 1e6 */
	NORM_NONE,  /* median divided by the none strategy's median, same workload */
};
enum bad { MISS, HIGHER_IS_WORSE, LOWER_IS_WORSE };

/* A member of a run that db-compare reads, and what it must hold. */
enum kind { K_STRING, K_COUNT /* integer >= 0 */, K_NUMBER /* >= 0 */, K_POSITIVE /* > 0 */ };
struct input {
	const char *path;
	enum kind kind;
	double max;       /* anything larger no run could have measured; a string's length */
	bool nullable;    /* null (or absent) where an enclosing object gives a "reason" ... */
	const char *zero; /* ... or where this count is 0 (run-bench writes null then) */
};

struct metric {
	const char *label;
	struct input in;
	enum norm norm;
	enum bad bad;
	double tol;   /* relative change of the median allowed */
	double slack; /* absolute change allowed, in the unit of the input */
	const char *unit;
};

#define NMETRICS 8
extern const struct metric cmp_metrics[NMETRICS];

#define MAX_RUNS 256
#define MAX_OPTIONS 1023 /* characters of --sopt or --wopt: twice what run-bench takes */
#define CFG_LEN 2304     /* a configuration's key: both options and the rest */
#define MIN_FRAMES 10 /* per-frame counts need at least this many frames a run */
#define MIN_JUDGED_RUNS 2 /* ... and, where other runs fell short, this many runs */

/* Why a configuration's median of a metric is missing. */
enum why { HAVE, NA_SHORT /* too few frames: the documented n/a */, NA_NO_NONE, NA_UNMEASURED };

struct entry {
	char cfg[CFG_LEN];     /* what must match, resolution aside */
	char scene[CFG_LEN];   /* what the guest drew: workload, its options, rate, seed */
	char label[320];       /* "memcmp scrolling", plus any options (shortened to show) */
	char platform[320];    /* "kvm_pvm, shadow paging, AMD EPYC" */
	char resolution[32], strategy[64], workload[64];
	const json_t *runs[MAX_RUNS];
	size_t nruns, nbusy;
	bool busy; /* every run was taken while other programs were busy */
	double value[NMETRICS]; /* normalised median; NAN: not measured (why[] says why) */
	double unit[NMETRICS];  /* raw units per normalised unit (to apply the slack) */
	enum why why[NMETRICS];
	double duration_s;
};

struct set {
	const char *dir;
	json_t *docs; /* keeps every loaded file alive */
	struct entry *e;
	size_t n, cap, files, runs;
};

/* The one line an unusable input gets; cmp_fail() returns -1. */
extern char cmp_err[1024];
int cmp_fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* A JSON value as a message names it: "a string (\"3\")", "-1", "null",
 * "missing" (v NULL); a real where kind wants an integer says so. */
const char *cmp_describe(const json_t *v, enum kind kind, char *buf, size_t len);
double cmp_num(const json_t *r, const char *path);
const char *cmp_str(const json_t *r, const char *path);

/* 0, or -1 with the file (where) and the member at fault in cmp_err. */
int cmp_check_run(const json_t *r, const char *where);
int cmp_load_dir(struct set *s, const char *dir);
void cmp_set_free(struct set *s);

#endif
