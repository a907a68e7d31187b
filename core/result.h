/* The result JSON of one run (schema: results/SCHEMA.md) and its atomic writing. */
#ifndef DIRTYBENCH_RESULT_H
#define DIRTYBENCH_RESULT_H

#include <jansson.h>
#include <stddef.h>

#define RESULT_SCHEMA "dirtybench-result/1"

struct run_state;

json_t *result_build(const struct run_state *rs);
/* Write to a temporary file beside path and rename it: never a partial file.
 * path "-" writes to stdout. 0, or -1 with err. */
int result_write(const json_t *result, const char *path, char *err, size_t errlen);
/* results_dir/STRATEGY-WORKLOAD-WxH-YYYYmmddTHHMMSS-PID.json */
void result_default_path(char *buf, size_t len, const char *results_dir,
			 const char *strategy, const char *workload, unsigned w, unsigned h);

#endif
