/* Synthetic matrices for db-compare's tests, and running db-compare on them. */
#ifndef DIRTYBENCH_TESTS_COMPARE_FIXTURE_H
#define DIRTYBENCH_TESTS_COMPARE_FIXTURE_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#define FIXTURE_RUNS 3 /* runs of each configuration */

/* What a variant changes for one configuration (NULL: every one). */
struct fixture_change {
	const char *strategy, *workload;
	double scan, floor, exits, draw; /* factors; 0 means 1 */
	int missed;
	const char *paging, *module, *res;
	int busy;   /* runs 0..busy-1 taken on a busy host; the factors apply to those only */
	int drop;   /* leave this configuration out */
	int series; /* write the runs as one dirtybench-series/1 file */
};

struct fixture_outcome {
	int status;
	char out[65536], err[4096];
};

/* cmocka group setup and teardown: a fresh directory for the matrices, removed after. */
int fixture_setup(void **state);
int fixture_teardown(void **state);
const char *fixture_root(void);

/* A matrix directory under the root, into dir; c may be NULL (the reference figures). */
const char *fixture_matrix(const struct fixture_change *c, char *dir, size_t len);
/* A baseline and a current matrix, both with the reference figures. */
void fixture_pair(char base[300], char cur[300]);
/* db-compare BASE CUR: its status, stdout and stderr. */
void fixture_compare(struct fixture_outcome *o, const char *base, const char *cur);
/* The table row of one configuration and metric ("" if none). */
const char *fixture_row(const struct fixture_outcome *o, const char *config, const char *metric);

void fixture_write(const json_t *j, const char *dir, const char *name);
/* Sets the member at a dotted path, making the objects on the way; v NULL
 * deletes it. Takes v. */
void fixture_set(json_t *r, const char *path, json_t *v);
/* The same in one file of dir, or in every result file of dir. Take v. */
void fixture_mutate(const char *dir, const char *name, const char *path, json_t *v);
void fixture_mutate_all(const char *dir, const char *path, json_t *v);

#endif
