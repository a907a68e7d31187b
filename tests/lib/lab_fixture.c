#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <cmocka.h>

#include "tests/lib/lab_fixture.h"

int lab_setup(void **state)
{
	struct lab *l = calloc(1, sizeof(*l));
	char path[128];

	if (!l)
		return -1;
	snprintf(l->dir, sizeof(l->dir), "/tmp/dirtybench-labcheck-XXXXXX");
	if (!mkdtemp(l->dir))
		return -1;
	snprintf(path, sizeof(path), "%s/results", l->dir);
	*state = l;
	return mkdir(path, 0755);
}

int lab_teardown(void **state)
{
	struct lab *l = *state;
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", l->dir);
	if (system(cmd))
		return -1;
	free(l);
	return 0;
}

void lab_append(const struct lab *l, const char *file, const char *fmt, ...)
{
	char path[128];
	va_list ap;
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", l->dir, file);
	f = fopen(path, "a");
	assert_non_null(f);
	va_start(ap, fmt);
	vfprintf(f, fmt, ap);
	va_end(ap);
	fclose(f);
}
