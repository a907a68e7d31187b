/*
 * run-bench --list: every strategy and workload with its options, as text for
 * people or as one JSON document ("dirtybench-list/1", results/SCHEMA.md) for
 * scripts, which also says whether this host can run each strategy.
 */
#ifndef DIRTYBENCH_LISTING_H
#define DIRTYBENCH_LISTING_H

#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>

#include "core/options.h"

#define LISTING_SCHEMA "dirtybench-list/1"

/* The stable name of one enum backend_feature bit ("dirty_ring"), or NULL. */
const char *listing_feature_name(unsigned feature);
/* The document, for opt's back end (--backend, --ring-size); NULL when out of memory. */
json_t *listing_json(const struct run_options *opt);
void listing_print_text(FILE *to);
/* Text or JSON on to: EXIT_OK, or EXIT_RUN_FAILED with one line on stderr. */
int listing_print(const struct run_options *opt, bool json, FILE *to);

#endif
