/*
 * Repeated runs of one configuration (--repeat N): every run's result kept,
 * plus per-metric median, mean, coefficient of variation and a 95% interval
 * across runs, so a reviewer sees the run-to-run spread next to each figure.
 */
#ifndef DIRTYBENCH_SERIES_H
#define DIRTYBENCH_SERIES_H

#include <jansson.h>

#define SERIES_SCHEMA "dirtybench-series/1"

/* Takes ownership of runs (a JSON array of results). */
json_t *series_build(json_t *runs);
/* The summary members, by dotted path into a result. */
extern const char *const series_metrics[];

#endif
