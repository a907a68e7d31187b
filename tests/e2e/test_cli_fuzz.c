/*
 * The fuzz loop of issue 22: random argument vectors from a fixed seed, each
 * run through the real run-bench. Real option names with valid and invalid
 * values, strategy and workload names (real, misspelt, garbage), stray
 * tokens. Whatever the vector, run-bench must exit 0, 1, 2 or 4; say one
 * line on stderr when it does not exit 0; and leave a result file in its
 * --out folder if and only if it exited 0, with nothing else there (no
 * temporary file, no partial result). Valid values keep a run short
 * (--duration 0.1..0.3, --warmup 0, small --res) and most vectors carry
 * something bad, so only a few boot a guest.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/schema.h"
#include "core/status.h"
#include "core/strategy.h"
#include "tests/lib/e2e.h"
#include "workloads/workload.h"

#define FUZZ_SEED 22
#define FUZZ_VECTORS 40
#define FUZZ_MAX_ARGS 40

/* An option, values that are good for a short run, values that are not.
 * Left out on purpose: --out (the loop's own), --json - (stdout, not the
 * folder), --list and --help (no run), --perf-record (its data file), and
 * --results-dir (ignored beside --out). */
struct fuzz_option {
	const char *name;
	const char *good[5];
	const char *bad[7];
};

static const struct fuzz_option fuzz_options[] = {
	{ "--duration", { "0.1", "0.2", "0.3" }, { "0", "-1", "nan", "inf", "1e9", "0.3s", "" } },
	{ "--warmup", { "0", "0.1" }, { "-0.5", "601", "x", "" } },
	{ "--rate", { "30", "60", "240" }, { "0", "2001", "fast", "1", "-60" } },
	{ "--res", { "64x64", "96x64", "128x128" },
	  { "63x64", "64x-18446744073709551552", "9000x9000", "64", "axb", "0x0", "+64x64" } },
	{ "--tile", { "16x16", "64x128" }, { "0x8", "8x-8", "x", "16x" } },
	{ "--seed", { "1", "18446744073709551615" }, { "-1", "x", "18446744073709551616", "" } },
	{ "--wopt", { "fps=24", "n=5", "blink_ms=0", "fps=60" },
	  { "fps=25", "x=1", "fps", "fps=60,", "=", "cps=100,fps=1", "w=99999999999999999999" } },
	{ "--sopt", { "wait_us=5", "sync=1", "path=auto", "empty_scans=3" }, { "x", "sync=2", "wait_us=0", "=1", "rearm=none" } },
	{ "--ring-size", { "4096", "65536" }, { "4095", "3000", "big", "2097152" } },
	{ "--phase-sweep", { "0", "2" }, { "-1", "nan", "0.001" } },
	{ "--repeat", { "1" }, { "0", "1001", "two" } },
	{ "--backend", { "kvm" }, { "xen", "qemu", "" } },
	{ "--domain", { "d" }, { "" } },
	{ "--vnc-encoding", { "raw" }, { "jpeg", "" } },
	{ "--vnc-password", { "pw" }, { "123456789", "" } },
	{ "--vnc-listen", { "127.0.0.1" }, { "999.1.1.1", "localhost" } },
	{ "--vnc-dump", { "/tmp" }, { "/nonexistent-dirtybench", "/etc/hostname" } },
	{ "--json", { NULL }, { "x" } },
	{ "--allow-misses", { NULL }, { NULL } },
	{ "--no-counters", { NULL }, { NULL } },
	{ "--quiet", { NULL }, { NULL } },
};

static const char *const fuzz_garbage[] = {
	"--", "-", "--=", "--duration=", "-q", "--bogus", "\xff\xfe", "%s%n", "--res=64x64=", "--vnc=abc",
	"--json", "extra",
};

static const char *const fuzz_names[] = { "nosuch", "", "all-but", "Idle", "../etc", "memcmp ", "idle\n" };

static uint64_t fuzz_state = FUZZ_SEED;

/* splitmix64: the same vectors on every machine. */
static uint64_t fuzz_next(void)
{
	uint64_t z = (fuzz_state += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static unsigned fuzz_below(unsigned n)
{
	return (unsigned)(fuzz_next() % n);
}

static size_t count(const char *const *list, size_t max)
{
	size_t n = 0;

	while (n < max && list[n])
		n++;
	return n;
}

/* A real strategy or workload name six times in seven, else a bad one. */
static const char *fuzz_name(bool strategy)
{
	size_t n = 0;

	while (strategy ? strategy_registry[n] != NULL : workload_catalog[n] != NULL)
		n++;
	if (fuzz_below(7) == 0)
		return fuzz_names[fuzz_below(sizeof(fuzz_names) / sizeof(fuzz_names[0]))];
	n = fuzz_below((unsigned)n);
	return strategy ? strategy_registry[n]->name : workload_catalog[n]->name;
}

/* One option, a good value two times in three. */
static void fuzz_add_option(const char **argv, int *argc)
{
	const struct fuzz_option *o = &fuzz_options[fuzz_below(sizeof(fuzz_options) / sizeof(fuzz_options[0]))];
	size_t good = count(o->good, 5), bad = count(o->bad, 7);
	bool flag = !o->good[0] && !o->bad[0];

	argv[(*argc)++] = o->name;
	if (flag)
		return;
	if (bad && (!good || fuzz_below(3) == 0))
		argv[(*argc)++] = o->bad[fuzz_below((unsigned)bad)];
	else if (good)
		argv[(*argc)++] = o->good[fuzz_below((unsigned)good)];
}

/* A short run at a small size, then 0..3 random options, the names, now and
 * then a stray token, and the loop's own --out last. */
static int fuzz_vector(const char **argv, const char *out)
{
	static const char *const res[] = { "64x64", "96x64", "128x96" };
	static const char *const dur[] = { "0.1", "0.2", "0.3" };
	int argc = 0, options = (int)fuzz_below(4);

	argv[argc++] = e2e_binary();
	argv[argc++] = "--duration";
	argv[argc++] = dur[fuzz_below(3)];
	argv[argc++] = "--warmup";
	argv[argc++] = "0";
	argv[argc++] = "--res";
	argv[argc++] = res[fuzz_below(3)];
	for (int i = 0; i < options; i++)
		fuzz_add_option(argv, &argc);
	if (fuzz_below(6) == 0)
		argv[argc++] = fuzz_garbage[fuzz_below(sizeof(fuzz_garbage) / sizeof(fuzz_garbage[0]))];
	argv[argc++] = fuzz_name(true);
	if (fuzz_below(12))             /* sometimes the workload is missing */
		argv[argc++] = fuzz_name(false);
	argv[argc++] = "--out";
	argv[argc++] = out;
	argv[argc] = NULL;
	return argc;
}

/* Vectors the seed happens not to draw, so every exit status is seen: a
 * missed update (exit 1) and a back end this host lacks (exit 4). */
static const char *const fuzz_fixed[][12] = {
	{ "--sopt", "rearm=none", "--duration", "0.3", "--warmup", "0", "--res", "64x64", "ptebits", "video" },
	{ "--backend", "xen", "--domain", "nosuch", "--duration", "0.1", "--warmup", "0", "memcmp", "idle" },
};

static void fuzz_fixed_vector(const char **argv, const char *out, size_t k)
{
	int argc = 0;

	argv[argc++] = e2e_binary();
	for (size_t i = 0; fuzz_fixed[k][i]; i++)
		argv[argc++] = fuzz_fixed[k][i];
	argv[argc++] = "--out";
	argv[argc++] = out;
	argv[argc] = NULL;
}

static void describe(char *buf, size_t len, const char *const *argv)
{
	size_t n = 0;

	buf[0] = 0;
	for (int i = 1; argv[i] && n < len; i++)
		n += (size_t)snprintf(buf + n, len - n, " '%s'", argv[i]);
}

/* Every name in dir but the result: none may be there. */
static int other_files(const char *dir, const char *result_name, bool *has_result)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int n = 0;

	assert_non_null(d);
	*has_result = false;
	while ((e = readdir(d))) {
		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		if (!strcmp(e->d_name, result_name))
			*has_result = true;
		else
			n++;
	}
	closedir(d);
	return n;
}

/* The promises for one vector: "" when kept, else what broke. */
static void judge(char *why, size_t len, const struct e2e_run *r, bool has_result, int others,
		  const char *out)
{
	json_error_t jerr;
	json_t *doc;

	why[0] = 0;
	if (r->status != 0 && r->status != 1 && r->status != 2 && r->status != 4)
		snprintf(why, len, "exit %d, want 0, 1, 2 or 4", r->status);
	else if (r->status != 0 && e2e_lines(r->stderr_text) != 1)
		snprintf(why, len, "exit %d with %d lines on stderr, want one", r->status, e2e_lines(r->stderr_text));
	else if (has_result != (r->status == 0) || others)
		snprintf(why, len, "exit %d, %s result file and %d other file(s) in the --out folder", r->status,
			 has_result ? "a" : "no", others);
	else if (has_result && !(doc = json_load_file(out, 0, &jerr)))
		snprintf(why, len, "exit 0 but the result does not parse: %s", jerr.text);
	else if (has_result) {
		char err[400];

		if (schema_check(doc, err, sizeof(err)))
			snprintf(why, len, "exit 0 but the result fails the schema: %s", err);
		json_decref(doc);
	}
}

/* Returns the exit status. */
static int fuzz_one(int k)
{
	char dir[] = "/tmp/dirtybench-fuzz-XXXXXX", out[64], what[2048], why[512];
	const char *argv[FUZZ_MAX_ARGS];
	struct e2e_run r;
	bool has_result;
	int others;

	assert_non_null(mkdtemp(dir));
	snprintf(out, sizeof(out), "%s/r.json", dir);
	if (k < FUZZ_VECTORS)
		fuzz_vector(argv, out);
	else
		fuzz_fixed_vector(argv, out, (size_t)(k - FUZZ_VECTORS));
	describe(what, sizeof(what), argv);
	e2e_run(&r, argv);
	others = other_files(dir, "r.json", &has_result);
	judge(why, sizeof(why), &r, has_result, others, out);
	if (!others) {          /* a failure's leftovers stay, to be looked at */
		unlink(out);
		rmdir(dir);
	}
	e2e_run_free(&r);
	if (why[0])
		fail_msg("vector %d:%s: %s; stderr: %s", k, what, why, r.stderr_text);
	if (getenv("DIRTYBENCH_FUZZ_VERBOSE"))
		print_message("vector %d:%s: exit %d %s", k, what, r.status, r.stderr_text);
	return r.status;
}

static void test_fuzz_vectors(void **state)
{
	int by_status[5] = { 0 };
	int k;

	(void)state;
	for (k = 0; k < FUZZ_VECTORS + (int)(sizeof(fuzz_fixed) / sizeof(fuzz_fixed[0])); k++)
		by_status[fuzz_one(k)]++;
	print_message("%d vectors: exit 0 %d, exit 1 %d, exit 2 %d, exit 4 %d\n", k, by_status[0],
		      by_status[1], by_status[2], by_status[4]);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fuzz_vectors),
	};

	return cmocka_run_group_tests_name("cli fuzz", tests, NULL, NULL);
}
