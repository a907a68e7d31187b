/*
 * run-bench --list, as the scripts and a reader see it. --list --json must
 * name exactly the strategies and workloads of the registries this program is
 * linked with: each once, whole (a listed "memcmp-qemu" is not "memcmp"), in
 * registry order. The human --list must give the same names as the first word
 * of its entry lines.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "core/strategy.h"
#include "workloads/workload.h"
#include "tests/lib/e2e.h"

#define MAX_NAMES 64

struct names {
	const char *v[MAX_NAMES];
	size_t n;
};

static void registry_names(struct names *s, struct names *w)
{
	s->n = w->n = 0;
	for (const struct strategy_ops *const *p = strategy_registry; *p && s->n < MAX_NAMES; p++)
		s->v[s->n++] = (*p)->name;
	for (const struct workload_ops *const *p = workload_registry; *p && w->n < MAX_NAMES; p++)
		w->v[w->n++] = (*p)->name;
}

static size_t json_name_count(const json_t *entries, const char *name)
{
	size_t i, n = 0;
	const json_t *e;

	json_array_foreach(entries, i, e) {
		const char *listed = json_string_value(json_object_get(e, "name"));

		n += listed && !strcmp(listed, name);
	}
	return n;
}

static bool registered(const struct names *want, const char *name)
{
	for (size_t i = 0; i < want->n; i++)
		if (!strcmp(want->v[i], name))
			return true;
	return false;
}

/* The entries' names are the registry's: the same set, then the same order. */
static void expect_json_names(const json_t *entries, const struct names *want, const char *what)
{
	size_t i;
	const json_t *e;

	if (!json_is_array(entries))
		fail_msg("--list --json has no \"%s\" array", what);
	for (i = 0; i < want->n; i++)
		if (json_name_count(entries, want->v[i]) != 1)
			fail_msg("%s \"%s\" listed %zu times", what, want->v[i], json_name_count(entries, want->v[i]));
	json_array_foreach(entries, i, e) {
		const char *name = json_string_value(json_object_get(e, "name"));

		if (!name || !registered(want, name))
			fail_msg("%s %zu: \"%s\" is listed but not registered", what, i, name ? name : "(no name)");
		if (strcmp(name, want->v[i]))
			fail_msg("%s %zu: \"%s\" listed where the registry has \"%s\"", what, i, name, want->v[i]);
	}
}

static void test_list_json_names_registry(void **state)
{
	struct names s, w;
	struct e2e_run r;

	(void)state;
	registry_names(&s, &w);
	e2e_run(&r, (const char *const[]){ e2e_binary(), "--list", "--json", NULL });
	if (r.status != 0 || !r.result)
		fail_msg("--list --json: exit %d, %s: %s", r.status, r.result ? "JSON" : "no JSON", r.stderr_text);
	assert_string_equal(json_string_value(json_object_get(r.result, "schema")), "dirtybench-list/1");
	expect_json_names(json_object_get(r.result, "strategies"), &s, "strategy");
	expect_json_names(json_object_get(r.result, "workloads"), &w, "workload");
	e2e_run_free(&r);
}

/* Entry lines are indented two spaces, their options further. */
static void expect_human_names(char *out, const struct names *s, const struct names *w)
{
	size_t k = 0;
	char *save, name[128];

	for (char *line = strtok_r(out, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		const char *want;

		if (strncmp(line, "  ", 2) || line[2] == ' ' || sscanf(line + 2, "%127s", name) != 1)
			continue;
		want = k < s->n ? s->v[k] : k < s->n + w->n ? w->v[k - s->n] : "(nothing)";
		if (strcmp(name, want))
			fail_msg("--list entry %zu: \"%s\" where the registry has \"%s\"", k, name, want);
		k++;
	}
	if (k != s->n + w->n)
		fail_msg("--list: %zu entries, %zu registered", k, s->n + w->n);
}

static void test_list_human_names_registry(void **state)
{
	static char out[1 << 16];
	struct names s, w;
	char cmd[512];
	size_t n;
	FILE *p;

	(void)state;
	registry_names(&s, &w);
	snprintf(cmd, sizeof(cmd), "%s --list", e2e_binary());
	p = popen(cmd, "r");
	assert_non_null(p);
	n = fread(out, 1, sizeof(out) - 1, p);
	out[n] = 0;
	assert_int_equal(pclose(p), 0);
	expect_human_names(out, &s, &w);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_list_json_names_registry),
		cmocka_unit_test(test_list_human_names_registry),
	};

	return cmocka_run_group_tests_name("list", tests, NULL, NULL);
}
