/*
 * Workload options as host and guest both parse them (workloads/options.c):
 * what the parser accepts, the workload's own init must accept too (the
 * host refuses before boot, so the guest never aborts on an option the host
 * let through); a string the guest's control page cannot hold is refused,
 * never cut; a key given twice resolves the same way everywhere; the
 * catalog's own rules (allowed values, rates of at most fps/N) hold for its
 * defaults and are stated where --list reads them.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "include/protocol.h"
#include "workloads/linux/runtime_linux.h"
#include "workloads/workload.h"

#define W 320
#define H 240

static unsigned frames_left;

static bool stop_soon(void)
{
	return frames_left == 0 || --frames_left == 0;
}

/* Parse spec; when it is accepted, the workload must start and draw. */
static int parse_then_run(const struct workload_info *ops, const char *spec, char *err, size_t len)
{
	static uint32_t pixels[W * H];
	struct workload_ctx ctx = { .fb = { pixels, W, H, W }, .seed = 3 };
	int status;

	if (workload_parse_options(ops, spec, &ctx, err, len))
		return -1;
	rt_linux_set_virtual_clock(true);
	frames_left = 3;
	status = workload_run(workload_draw_find(ops->name), &ctx, stop_soon, NULL);
	rt_linux_free_all();
	if (status)
		fail_msg("%s --wopt %s: accepted by the parser, refused by the workload (the guest would abort)",
			 ops->name, spec);
	return 0;
}

/* Bounds, neighbours, the middle and every listed value of every option. */
static void test_accepted_means_runs(void **state)
{
	char spec[96], err[256];

	(void)state;
	for (const struct workload_info *const *w = workload_catalog; *w; w++)
		for (const struct workload_option *o = (*w)->options; o->name; o++) {
			if (o->text)    /* trace's file: tests/unit/test_trace_file.c */
				continue;
			int64_t tries[] = { o->min, o->min + 1, o->min + (o->max - o->min) / 2, o->max - 1, o->max,
					    o->value, o->value + 1, o->value - 1 };

			for (size_t i = 0; i < sizeof(tries) / sizeof(tries[0]); i++) {
				snprintf(spec, sizeof(spec), "%s=%lld", o->name, (long long)tries[i]);
				(void)parse_then_run(*w, spec, err, sizeof(err));
			}
			for (unsigned i = 0; i < o->nvalues; i++) {
				snprintf(spec, sizeof(spec), "%s=%lld", o->name, (long long)o->values[i]);
				assert_int_equal(parse_then_run(*w, spec, err, sizeof(err)), 0);
			}
		}
}

static void expect_refused(const char *workload, const char *spec, const char *needle)
{
	struct workload_ctx ctx = { 0 };
	char err[256] = "";

	assert_int_equal(workload_parse_options(workload_find(workload), spec, &ctx, err, sizeof(err)), -1);
	if (!strstr(err, needle))
		fail_msg("%s --wopt %s: \"%s\" lacks \"%s\"", workload, spec, err, needle);
}

static int64_t parsed(const char *workload, const char *spec, const char *name)
{
	struct workload_ctx ctx = { 0 };
	char err[256] = "";

	if (workload_parse_options(workload_find(workload), spec, &ctx, err, sizeof(err)))
		fail_msg("%s --wopt %s: %s", workload, spec, err);
	return workload_opt(&ctx, name);
}

/* "fps=60,fps=60,...,fps=24" of exactly len characters. */
static char *repeated_fps(size_t len)
{
	char *s = malloc(len + 1);
	size_t n = 0;

	assert_non_null(s);
	assert_true(len >= 6 && (len - 6) % 7 == 0);
	while (n + 6 < len)
		n += (size_t)sprintf(s + n, "fps=60,");
	sprintf(s + n, "fps=24");
	assert_int_equal(strlen(s), len);
	return s;
}

/* "w=000...016" of exactly len characters: w=16 however long. */
static char *padded_w(size_t len)
{
	char *s = malloc(len + 1);

	assert_non_null(s);
	memset(s, '0', len);
	memcpy(s, "w=", 2);
	memcpy(s + len - 2, "16", 3);
	return s;
}

/* The guest's control page holds 255 characters: one more is refused, not
 * cut (cut, "fps=60,...,fps=24" ran at 60 while the result said 24). */
static void test_length_refused_not_cut(void **state)
{
	char *fits = repeated_fps(251), *over = repeated_fps(258);
	char *longest = padded_w(WORKLOAD_OPTIONS_MAX), *too_long = padded_w(WORKLOAD_OPTIONS_MAX + 1);

	(void)state;
	assert_true(WORKLOAD_OPTIONS_MAX < DB_OPTIONS_LEN);
	assert_true(251 <= WORKLOAD_OPTIONS_MAX && WORKLOAD_OPTIONS_MAX < 258);
	assert_int_equal(parsed("video", fits, "fps"), 24);
	expect_refused("video", over, "video: options of 258 characters; the guest takes at most 255");
	assert_int_equal(parsed("video", longest, "w"), 16);
	expect_refused("video", too_long, "options of 256 characters");
	free(fits);
	free(over);
	free(longest);
	free(too_long);
}

/* One parser on both sides: the last of a repeated key wins everywhere. */
static void test_duplicate_keys(void **state)
{
	(void)state;
	assert_int_equal(parsed("video", "fps=60,fps=24", "fps"), 24);
	assert_int_equal(parsed("video", "fps=24,w=100,fps=60", "fps"), 60);
	assert_int_equal(parsed("typing", "cps=20,fps=60,cps=2", "cps"), 2);
}

/* Accepted with name's value, or refused with that text. */
static const struct rule_case {
	const char *workload, *spec, *name;
	int64_t value;
	const char *refused;
} rule_cases[] = {
	/* video's fps: 24, 30 or 60, said so in the error. */
	{ "video", "fps=24", "fps", 24, NULL },
	{ "video", "fps=60", "fps", 60, NULL },
	{ "video", "fps=25", NULL, 0, "video: option 'fps=25' is not one of 24, 30, 60" },
	{ "video", "fps=59", NULL, 0, "is not one of 24, 30, 60" },
	{ "video", "fps=23", NULL, 0, "out of range [24, 60]" },
	/* typing's cps: at most fps/2, whichever order the two are given in. */
	{ "typing", "cps=15", "cps", 15, NULL },
	{ "typing", "cps=30,fps=60", "cps", 30, NULL },
	{ "typing", "fps=2,cps=1", "cps", 1, NULL },
	{ "typing", "cps=16", NULL, 0, "option 'cps=16' needs fps of at least 32 (at most fps/2; fps is 30)" },
	{ "typing", "cps=100,fps=1", NULL, 0, "out of range [2, 240]" },
	{ "typing", "fps=10", NULL, 0, "'cps=8' needs fps of at least 16" },
};

static void test_rules_beyond_the_range(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(rule_cases) / sizeof(rule_cases[0]); i++) {
		const struct rule_case *c = &rule_cases[i];

		if (c->refused)
			expect_refused(c->workload, c->spec, c->refused);
		else
			assert_int_equal(parsed(c->workload, c->spec, c->name), c->value);
	}
}

/* The catalog obeys its own rules: defaults pass, listed values lie in the
 * range in order, a per-frame rate's least value fits the least fps. */
static void test_catalog_consistent(void **state)
{
	(void)state;
	for (const struct workload_info *const *w = workload_catalog; *w; w++) {
		struct workload_ctx ctx = { 0 };
		int64_t fps_min = 0;
		char err[256];

		if (workload_parse_options(*w, NULL, &ctx, err, sizeof(err)))
			fail_msg("%s: its defaults are refused: %s", (*w)->name, err);
		for (const struct workload_option *o = (*w)->options; o->name; o++)
			if (!strcmp(o->name, "fps"))
				fps_min = o->min;
		for (const struct workload_option *o = (*w)->options; o->name; o++) {
			bool default_listed = o->nvalues == 0;

			for (unsigned i = 0; i < o->nvalues; i++) {
				assert_in_range(o->values[i], o->min, o->max);
				assert_true(i == 0 || o->values[i] > o->values[i - 1]);
				default_listed |= o->values[i] == o->value;
			}
			assert_true(default_listed);
			if (o->frames_apart)
				assert_true(fps_min && o->min * (int64_t)o->frames_apart <= fps_min);
		}
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_accepted_means_runs),
		cmocka_unit_test(test_length_refused_not_cut),
		cmocka_unit_test(test_duplicate_keys),
		cmocka_unit_test(test_rules_beyond_the_range),
		cmocka_unit_test(test_catalog_consistent),
	};

	return cmocka_run_group_tests_name("workload options", tests, NULL, NULL);
}
