/*
 * Unit tests for strategy options (core/strategy.c): every registry table is
 * well formed, defaults reach the accessors, given values are typed, every
 * bad --sopt is one line with bad_input set before init runs, a malformed
 * table is refused, and a table without init/start/stop/fini runs.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "core/strategy.h"

static const struct backend_ops fake_ops = { .name = "fake", .features = ~0u };
static int init_calls;

static int no_scan(struct strategy *s, struct dirty_set *out)
{
	(void)s;
	out->full = true;
	return 0;
}

/* An init hook that checks what the harness parsed before calling it. */
static int count_init(struct strategy *s)
{
	init_calls++;
	return strategy_opt_int(s, "n") == 7 && !strcmp(strategy_opt_str(s, "mode"), "fast") ? 0 : -1;
}

static const struct strategy_option_spec test_options[] = {
	{ .name = "n", .type = STRATEGY_OPT_INT, .def = "3", .min = -5, .max = 10, .help = "a count" },
	{ .name = "mode", .type = STRATEGY_OPT_ENUM, .def = "slow",
	  .values = (const char *const[]){ "slow", "fast", NULL }, .help = "a choice" },
	{ .name = "on", .type = STRATEGY_OPT_BOOL, .def = "1", .help = "a switch" },
	{ .name = "tag", .type = STRATEGY_OPT_STRING, .def = "", .help = "any text" },
	{ .name = NULL },
};

static const struct strategy_ops test_ops = {
	.name = "test", .description = "options only", .scan = no_scan, .options = test_options,
};

static const struct strategy_ops test_ops_init = {
	.name = "test", .description = "options only", .scan = no_scan, .options = test_options,
	.init = count_init,
};

static void fake_backend(struct backend *be)
{
	char err[200];

	memset(be, 0, sizeof(*be));
	be->ops = &fake_ops;
	assert_int_equal(fb_geometry_init(&be->geo, 640, 480, 0, 0, err, sizeof(err)), 0);
}

static int parse(const struct strategy_ops *ops, const char *spec, struct strategy *s)
{
	memset(s, 0, sizeof(*s));
	s->ops = ops;
	return strategy_options_parse(ops, spec, s->opt, s->error, sizeof(s->error));
}

static void test_registry_tables_valid(void **state)
{
	char err[256];

	(void)state;
	for (const struct strategy_ops *const *s = strategy_registry; *s; s++)
		if (strategy_ops_validate(*s, err, sizeof(err)))
			fail_msg("%s", err);
}

/* Today's defaults, unchanged by the move to tables. */
static void test_registry_defaults(void **state)
{
	struct strategy s;

	(void)state;
	assert_int_equal(parse(strategy_find("memcmp"), NULL, &s), 0);
	assert_string_equal(strategy_opt_str(&s, "path"), "auto");
	assert_int_equal(parse(strategy_find("ptebits"), "", &s), 0);
	assert_string_equal(strategy_opt_str(&s, "rearm"), "auto");
	assert_int_equal(parse(strategy_find("ptebits-hybrid"), NULL, &s), 0);
	assert_string_equal(strategy_opt_str(&s, "rearm"), "auto");
	assert_int_equal(strategy_opt_int(&s, "empty_scans"), 10);
	for (int i = 0; i < 2; i++) {
		assert_int_equal(parse(strategy_find(i ? "pvbitmap-fine" : "pvbitmap"), NULL, &s), 0);
		assert_int_equal(strategy_opt_int(&s, "sync"), 1);
		assert_int_equal(strategy_opt_int(&s, "lead_us"), 2000);
		assert_int_equal(strategy_opt_int(&s, "wait_us"), 2000);
		assert_int_equal(strategy_opt_int(&s, "early"), 1);
	}
}

static void test_values_typed(void **state)
{
	struct strategy s;

	(void)state;
	assert_int_equal(parse(&test_ops, NULL, &s), 0);
	assert_int_equal(strategy_opt_int(&s, "n"), 3);
	assert_string_equal(strategy_opt_str(&s, "mode"), "slow");
	assert_int_equal(strategy_opt_int(&s, "on"), 1);
	assert_string_equal(strategy_opt_str(&s, "tag"), "");
	assert_int_equal(parse(&test_ops, "n=-5,mode=fast,on=0,tag=a b,n=10", &s), 0);
	assert_int_equal(strategy_opt_int(&s, "n"), 10);    /* the last one wins */
	assert_string_equal(strategy_opt_str(&s, "mode"), "fast");
	assert_int_equal(strategy_opt_int(&s, "mode"), 1); /* an enum's index */
	assert_int_equal(strategy_opt_int(&s, "on"), 0);
	assert_string_equal(strategy_opt_str(&s, "tag"), "a b");
	assert_string_equal(strategy_opt_str(&s, "n"), "10");
	assert_int_equal(strategy_opt_int(&s, "nosuch"), 0);
	assert_string_equal(strategy_opt_str(&s, "nosuch"), "");
	assert_int_equal(parse(strategy_find("ptebits-hybrid"), "empty_scans=100000,rearm=tlb", &s), 0);
	assert_int_equal(strategy_opt_int(&s, "empty_scans"), 100000);
	assert_string_equal(strategy_opt_str(&s, "rearm"), "tlb");
}

static const struct {
	const char *strategy, *spec, *says;
} bad_specs[] = {
	{ "ptebits-hybrid", "bogus=1", "no option 'bogus'; it takes: rearm, empty_scans" },
	{ "memcmp", "pathh=avx2", "no option 'pathh'" },
	{ "none", "x=1", "none takes no options" },
	{ "ptebits-hybrid", "empty_scans", "'empty_scans': want key=value" },
	{ "ptebits-hybrid", "=5", "want key=value" },
	{ "ptebits-hybrid", "empty_scans=ten", "empty_scans=ten: want an integer in 1..100000" },
	{ "ptebits-hybrid", "empty_scans=", "want an integer" },
	{ "ptebits-hybrid", "empty_scans=0", "want an integer in 1..100000" },
	{ "ptebits-hybrid", "empty_scans=100001", "want an integer in 1..100000" },
	{ "ptebits-hybrid", "empty_scans=99999999999999999999", "want an integer" },
	{ "pvbitmap", "wait_us=0", "wait_us=0: want an integer in 1..1000000" },
	{ "pvbitmap", "lead_us=-1", "want an integer in 0..1000000" },
	{ "ptebits", "rearm=sometimes", "rearm=sometimes: want auto, mapping, tlb, none, mapping-whole or mprotect" },
	{ "memcmp", "path=neon", "path=neon: want auto, avx2, sse2 or u64" },
	{ "memcmp", "path=AVX2", "want auto" },
	{ "pvbitmap-fine", "sync=2", "sync=2: want 0 or 1" },
	{ "pvbitmap-fine", "early=yes", "want 0 or 1" },
	{ "memcmp", "path=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx",
	  "at most 63 characters" },
};

/* Through the harness: one line, bad_input, no init hook called. */
static void test_bad_specs(void **state)
{
	struct backend be;
	struct strategy s;

	(void)state;
	fake_backend(&be);
	for (size_t i = 0; i < sizeof(bad_specs) / sizeof(bad_specs[0]); i++) {
		const struct strategy_ops *ops = strategy_find(bad_specs[i].strategy);

		assert_non_null(ops);
		assert_int_equal(strategy_init_with_options(&s, ops, &be, bad_specs[i].spec), -1);
		if (!s.bad_input || !strstr(s.error, bad_specs[i].says) || strchr(s.error, '\n'))
			fail_msg("%s --sopt %s: bad_input %d, error '%s', want '%s'", bad_specs[i].strategy,
				 bad_specs[i].spec, s.bad_input, s.error, bad_specs[i].says);
		assert_null(s.priv);    /* init never ran */
		strategy_fini(&s);
	}
}

static void test_init_sees_values(void **state)
{
	struct backend be;
	struct strategy s;

	(void)state;
	fake_backend(&be);
	init_calls = 0;
	assert_int_equal(strategy_init_with_options(&s, &test_ops_init, &be, "n=7,mode=fast"), 0);
	assert_int_equal(init_calls, 1);
	strategy_fini(&s);
	assert_int_equal(strategy_init_with_options(&s, &test_ops_init, &be, "n=11"), -1);
	assert_true(s.bad_input);
	assert_int_equal(init_calls, 1);
	strategy_fini(&s);
}

/* Only name, description and scan are required: the harness calls the rest
 * when present. */
static void test_optional_hooks(void **state)
{
	struct backend be;
	struct strategy s;
	struct dirty_set ds;

	(void)state;
	fake_backend(&be);
	assert_int_equal(strategy_init(&s, &test_ops, &be), 0);
	assert_int_equal(strategy_start(&s), 0);
	assert_int_equal(dirty_set_alloc(&ds, &be.geo), 0);
	assert_int_equal(strategy_scan(&s, &ds), 0);
	assert_true(ds.full);
	strategy_stop(&s);
	strategy_fini(&s);
	dirty_set_free(&ds);
	assert_int_equal(strategy_init(&s, strategy_find("none"), &be), 0);
	strategy_stop(&s);
	strategy_fini(&s);
}

/* Tables the harness must refuse before anything runs. */
static const struct strategy_option_spec bad_default[] = {
	{ .name = "n", .type = STRATEGY_OPT_INT, .def = "11", .min = 0, .max = 10, .help = "h" }, { 0 } };
static const struct strategy_option_spec bad_enum_default[] = {
	{ .name = "m", .type = STRATEGY_OPT_ENUM, .def = "c",
	  .values = (const char *const[]){ "a", "b", NULL }, .help = "h" }, { 0 } };
static const struct strategy_option_spec no_values[] = {
	{ .name = "m", .type = STRATEGY_OPT_ENUM, .def = "a", .help = "h" }, { 0 } };
static const struct strategy_option_spec twice[] = {
	{ .name = "n", .type = STRATEGY_OPT_BOOL, .def = "0", .help = "h" },
	{ .name = "n", .type = STRATEGY_OPT_BOOL, .def = "0", .help = "h" }, { 0 } };
static const struct strategy_option_spec no_help[] = {
	{ .name = "n", .type = STRATEGY_OPT_BOOL, .def = "0" }, { 0 } };

static void test_bad_tables(void **state)
{
	const struct strategy_option_spec *const tables[] = { bad_default, bad_enum_default, no_values, twice, no_help };
	struct strategy_ops ops = { .name = "t", .description = "d", .scan = no_scan };
	char err[256];

	(void)state;
	assert_int_equal(strategy_ops_validate(&ops, err, sizeof(err)), 0);
	for (size_t i = 0; i < sizeof(tables) / sizeof(tables[0]); i++) {
		ops.options = tables[i];
		if (!strategy_ops_validate(&ops, err, sizeof(err)))
			fail_msg("table %zu accepted", i);
		assert_null(strchr(err, '\n'));
	}
	ops.options = NULL;
	ops.scan = NULL;
	assert_int_equal(strategy_ops_validate(&ops, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "lacks scan"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_registry_tables_valid),
		cmocka_unit_test(test_registry_defaults),
		cmocka_unit_test(test_values_typed),
		cmocka_unit_test(test_bad_specs),
		cmocka_unit_test(test_init_sees_values),
		cmocka_unit_test(test_optional_hooks),
		cmocka_unit_test(test_bad_tables),
	};

	return cmocka_run_group_tests_name("strategy_options", tests, NULL, NULL);
}
