/*
 * End to end: option values that do not fit are refused before a guest
 * boots (exit 2, one line naming the rule), and long ones that fit reach the
 * strategy and the guest whole, as the result records them. Issue 22's
 * cases: --wopt cut at 255 characters, --sopt at 511, video's fps=25 let
 * through to abort in the guest, typing's cps above fps/2, a negative
 * --res, a window with no scan round, a --vnc-dump folder that is missing,
 * and (found by the fuzz loop) a newline inside a name or value.
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

#include "core/status.h"
#include "tests/lib/e2e.h"

/* "K=V1,K=V1,...,K=V2": n copies of first, then last. */
static char *repeat_items(const char *first, int n, const char *last)
{
	size_t len = (strlen(first) + 1) * (size_t)n + strlen(last) + 1;
	char *s = malloc(len), *p = s;

	assert_non_null(s);
	for (int i = 0; i < n; i++)
		p += sprintf(p, "%s,", first);
	strcpy(p, last);
	return s;
}

static int dir_entries(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int n = 0;

	assert_non_null(d);
	while ((e = readdir(d)))
		n += strcmp(e->d_name, ".") && strcmp(e->d_name, "..");
	closedir(d);
	return n;
}

/* Exit 2, one line holding needle, and no result file. */
static void expect_refused(const char *strategy, const char *workload, const char *opt, const char *value,
			   const char *opt2, const char *value2, const char *needle)
{
	char dir[] = "/tmp/dirtybench-limits-XXXXXX", out[64];
	struct e2e_run r;

	assert_non_null(mkdtemp(dir));
	snprintf(out, sizeof(out), "%s/r.json", dir);
	e2e_run(&r, (const char *const[]){ e2e_binary(), strategy, workload, "--duration", "0.2", "--warmup", "0",
		"--res", "64x64", "--quiet", "--out", out, opt, value, opt2 ? opt2 : "--seed", value2 ? value2 : "1",
		NULL });
	if (r.status != EXIT_BAD_INPUT || e2e_lines(r.stderr_text) != 1 || !strstr(r.stderr_text, needle))
		fail_msg("%s %s %s %.60s: exit %d, want 2 and one line with \"%s\": %s", strategy, workload, opt,
			 value, r.status, needle, r.stderr_text);
	assert_int_equal(dir_entries(dir), 0);
	e2e_run_free(&r);
	rmdir(dir);
}

static void test_wopt_that_does_not_fit(void **state)
{
	char *over = repeat_items("fps=60", 36, "fps=24");       /* 258 characters */

	(void)state;
	expect_refused("none", "video", "--wopt", over, NULL, NULL, "the guest takes at most 255");
	free(over);
}

static void test_wopt_rules_of_the_catalog(void **state)
{
	(void)state;
	expect_refused("none", "video", "--wopt", "fps=25", NULL, NULL, "'fps=25' is not one of 24, 30, 60");
	expect_refused("none", "typing", "--wopt", "cps=100,fps=1", NULL, NULL, "'fps=1' is out of range");
	expect_refused("none", "typing", "--wopt", "cps=100,fps=2", NULL, NULL, "needs fps of at least 200");
}

/* strtoul took "-18446744073709551552" as 64. */
static void test_res_digits_only(void **state)
{
	(void)state;
	expect_refused("none", "idle", "--res", "64x-18446744073709551552", NULL, NULL, "--res");
	expect_refused("none", "idle", "--res", "+64x64", NULL, NULL, "--res");
	expect_refused("none", "idle", "--tile", "8x-8", NULL, NULL, "--tile");
}

/* 0.3 s at 1 Hz measured 0 rounds and printed -1.0 for each figure. */
static void test_window_without_rounds(void **state)
{
	(void)state;
	expect_refused("none", "idle", "--rate", "1", "--duration", "0.3", "at least 2 scan rounds");
	expect_refused("none", "idle", "--duration", "0.3", "--rate", "1", "at least 2 scan rounds");
	expect_refused("none", "idle", "--phase-sweep", "0.1", "--rate", "10", "--phase-sweep 0.1 at --rate 10");
}

/* It wrote nothing, and said nothing. */
static void test_vnc_dump_folder(void **state)
{
	(void)state;
	expect_refused("none", "idle", "--vnc-dump", "/nonexistent-dirtybench-dump", NULL, NULL,
		       "--vnc-dump /nonexistent-dirtybench-dump");
	expect_refused("none", "idle", "--vnc-dump", "/etc/hostname", NULL, NULL, "not a folder");
}

/* A newline in a name or value made the message two lines. */
static void test_control_characters(void **state)
{
	(void)state;
	expect_refused("none", "idle\n", "--seed", "1", NULL, NULL, "argument");
	expect_refused("none", "idle", "--duration", "0.2\n", NULL, NULL, "'0.2\\x0a' holds a control character");
	expect_refused("none", "video", "--wopt", "fps=24\r", NULL, NULL, "control character");
}

/* An unknown or ambiguous option is named without its value: the value may be
 * a password (--vnc-passwd=, or --vnc-pass= since --vnc-password-file). */
static void test_unknown_option_keeps_its_value(void **state)
{
	(void)state;
	expect_refused("none", "idle", "--vnc-passwd=SeCrEt", "--seed", NULL, NULL, "'--vnc-passwd'");
	expect_refused("none", "idle", "--vnc-pass=SeCrEt", "--seed", NULL, NULL, "'--vnc-pass'");
}

/* An address not this host's said "no free port in 5900..5999". */
static void test_vnc_listen_foreign_address(void **state)
{
	(void)state;
	expect_refused("none", "idle", "--vnc-listen", "192.0.2.1", "--vnc-encoding", "zrle",
		       "--vnc-listen 192.0.2.1: cannot listen on this address");
}

/* Parsed whole however long (the unknown workload after it is what is refused). */
static void test_long_sopt_parsed_whole(void **state)
{
	char *items = repeat_items("wait_us=1000", 50, "wait_us=7");      /* 659 characters */
	char *bad = repeat_items("wait_us=1000", 50, "wait_us=0");

	(void)state;
	expect_refused("pvbitmap", "nosuch", "--sopt", items, NULL, NULL, "unknown workload 'nosuch'");
	expect_refused("pvbitmap", "nosuch", "--sopt", "sync=0,sync=1,sync=0,sync=1,sync=0,sync=1,sync=0,sync=1,sync=0",
		       NULL, NULL, "unknown workload 'nosuch'");
	expect_refused("pvbitmap", "video", "--sopt", bad, NULL, NULL, "wait_us=0: want an integer in 1..1000000");
	free(items);
	free(bad);
}

/* What the result records is what ran: the last wait_us, the last fps. */
static void test_long_options_run_whole(void **state)
{
	char *wopt = repeat_items("fps=60", 35, "fps=24");       /* 251 characters: fits */
	char *sopt = repeat_items("wait_us=1000", 50, "wait_us=7");
	const char *why = e2e_kvm_unusable();
	struct e2e_run r;
	json_t *opts;

	(void)state;
	if (why) {
		print_message("skipped: %s\n", why);
		skip();
	}
	e2e_run(&r, (const char *const[]){ e2e_binary(), "pvbitmap", "video", "--duration", "0.2", "--warmup", "0",
		"--res", "64x64", "--wopt", wopt, "--sopt", sopt, "--json", "-", "--quiet", NULL });
	if (e2e_unsupported(&r)) {
		print_message("skipped: %s", e2e_unsupported(&r));
		skip();
	}
	if (r.status != 0)
		fail_msg("exit %d: %s", r.status, r.stderr_text);
	opts = json_object_get(json_object_get(r.result, "run"), "options");
	assert_string_equal(json_string_value(json_object_get(opts, "workload_options")), wopt);
	assert_string_equal(json_string_value(json_object_get(opts, "strategy_options")), sopt);
	assert_true(e2e_num(r.result, "guest.fps_asked") == 24);
	assert_true(e2e_num(r.result, "strategy.wait_us") == 7);
	e2e_run_free(&r);
	free(wopt);
	free(sopt);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_wopt_that_does_not_fit),
		cmocka_unit_test(test_wopt_rules_of_the_catalog),
		cmocka_unit_test(test_res_digits_only),
		cmocka_unit_test(test_window_without_rounds),
		cmocka_unit_test(test_vnc_dump_folder),
		cmocka_unit_test(test_control_characters),
		cmocka_unit_test(test_unknown_option_keeps_its_value),
		cmocka_unit_test(test_vnc_listen_foreign_address),
		cmocka_unit_test(test_long_sopt_parsed_whole),
		cmocka_unit_test(test_long_options_run_whole),
	};

	return cmocka_run_group_tests_name("option limits", tests, NULL, NULL);
}
