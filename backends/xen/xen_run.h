/* The Xen run driver (bench/xen/run.c when Xen's libraries were found at
 * build time, bench/xen/absent.c otherwise). */
#ifndef DIRTYBENCH_XEN_RUN_H
#define DIRTYBENCH_XEN_RUN_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "core/options.h"

extern const bool xen_built;
/* Why Xen cannot run a strategy needing these backend features, or NULL. */
const char *xen_backend_unsupported(unsigned needs);
int xen_run_once(const struct run_options *opt, json_t **result, char *err, size_t errlen);

#endif
