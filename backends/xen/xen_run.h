/* Whether this run-bench has the Xen back end (backends/xen/run.c when Xen's
 * libraries were found at build time, backends/xen/absent.c otherwise). */
#ifndef DIRTYBENCH_XEN_RUN_H
#define DIRTYBENCH_XEN_RUN_H

#include <stdbool.h>

extern const bool xen_built;

#endif
