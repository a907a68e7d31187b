/* Dotted paths into JSON results ("scan.time_us.p50"), shared by everything
 * that reads a result: the summary, the schema check, series, db-compare and
 * the tests. */
#ifndef DIRTYBENCH_JSON_PATH_H
#define DIRTYBENCH_JSON_PATH_H

#include <jansson.h>

/* The member at path, or NULL when a step is missing or not an object. */
const json_t *json_path(const json_t *root, const char *path);
/* The number at path, or missing when there is none. */
double json_path_num(const json_t *root, const char *path, double missing);

#endif
