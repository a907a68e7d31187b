/* The result JSON of one run (schema: results/SCHEMA.md) and its atomic writing. */
#ifndef DIRTYBENCH_RESULT_H
#define DIRTYBENCH_RESULT_H

#include <jansson.h>
#include <stddef.h>

#define RESULT_SCHEMA "dirtybench-result/1"

struct run_state;

json_t *result_build(const struct run_state *rs);
/* num / den, or JSON null when den is 0: a rate that could not be measured. */
json_t *result_ratio(double num, double den);
/* A regular file (or a new one): a temporary file beside path, renamed over
 * it, never a partial file. An existing character device or FIFO: written in
 * place, never replaced. "-": stdout. 0, or -1 with one line in err that
 * names the real cause (a full disk: ENOSPC). */
int result_write(const json_t *result, const char *path, char *err, size_t errlen);
/* results_dir/STRATEGY-WORKLOAD-WxH-YYYYmmddTHHMMSS.mmm-PID.json; 0, or -1
 * when it does not fit in len. The folder is outpath_check_dir's. */
int result_default_path(char *buf, size_t len, const char *results_dir,
			const char *strategy, const char *workload, unsigned w, unsigned h);

#endif
