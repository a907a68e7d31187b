/*
 * The Xen back end's command line: --backend and --domain are checked before
 * anything runs (one error line, exit 2), and on a host that is not a Xen
 * dom0 run-bench --backend xen says why in one line and exits 2. The lab
 * (make xen-lab) runs the back end itself.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/cli.h"

static int parse(char *err, size_t len, int argc, ...)
{
	static struct cli cli;
	char *argv[16];
	va_list ap;

	va_start(ap, argc);
	for (int i = 0; i < argc; i++)
		argv[i] = va_arg(ap, char *);
	va_end(ap);
	argv[argc] = NULL;
	err[0] = 0;
	return cli_parse(&cli, argc, argv, err, len);
}

static void xen_without_domain(void **state)
{
	char err[256];

	(void)state;
	assert_int_equal(parse(err, sizeof(err), 5, "run-bench", "--backend", "xen", "memcmp", "idle"),
			 EXIT_BAD_INPUT);
	assert_non_null(strstr(err, "--domain"));
	assert_null(strchr(err, '\n'));
}

static void unknown_backend(void **state)
{
	char err[256];

	(void)state;
	assert_int_equal(parse(err, sizeof(err), 5, "run-bench", "--backend", "hyperv", "memcmp", "idle"),
			 EXIT_BAD_INPUT);
	assert_non_null(strstr(err, "want kvm or xen"));
}

static void domain_without_xen(void **state)
{
	char err[256];

	(void)state;
	assert_int_equal(parse(err, sizeof(err), 5, "run-bench", "--domain", "d", "memcmp", "idle"),
			 EXIT_BAD_INPUT);
	assert_non_null(strstr(err, "--backend xen"));
	assert_int_equal(parse(err, sizeof(err), 6, "run-bench", "--backend", "kvm", "--domain", "", "memcmp"),
			 EXIT_BAD_INPUT);
}

static void xen_with_domain(void **state)
{
	char err[256];

	(void)state;
	/* Built without Xen too: the run, not the parser, says it cannot run (exit 4). */
	assert_int_equal(parse(err, sizeof(err), 7, "run-bench", "--backend", "xen", "--domain", "d",
			       "memcmp", "idle"), 0);
}

/* Not dom0 (no privcmd), or run-bench built without Xen: exit 4 (unsupported)
 * with one line, no result. */
static void binary_off_xen(void **state)
{
	const char *bin = getenv("DIRTYBENCH_BIN");
	char cmd[512], line[512];
	int lines = 0, status;
	FILE *p;

	(void)state;
	if (!bin)
		bin = "build/bin/run-bench";
	if (!access("/dev/xen/privcmd", F_OK) || !access("/proc/xen/privcmd", F_OK))
		skip();         /* this is a Xen domain: the lab covers it */
	snprintf(cmd, sizeof(cmd), "%s --backend xen --domain nosuch --out /dev/null memcmp idle 2>&1", bin);
	p = popen(cmd, "r");
	assert_non_null(p);
	while (fgets(line, sizeof(line), p))
		lines++;
	status = pclose(p);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), EXIT_UNSUPPORTED);
	/* Ours alone: libxencall's logger must not print a line of its own first. */
	assert_int_equal(lines, 1);
	/* --list asks the probe once per strategy: not a word on stderr. */
	snprintf(cmd, sizeof(cmd), "%s --list --json --backend xen 2>&1 >/dev/null", bin);
	p = popen(cmd, "r");
	assert_non_null(p);
	lines = 0;
	while (fgets(line, sizeof(line), p))
		lines++;
	assert_int_equal(pclose(p), 0);
	assert_int_equal(lines, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(xen_without_domain),
		cmocka_unit_test(unknown_backend),
		cmocka_unit_test(domain_without_xen),
		cmocka_unit_test(xen_with_domain),
		cmocka_unit_test(binary_off_xen),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
