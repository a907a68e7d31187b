/* run-bench built without Xen's libraries (libxen-dev was not found). */
#include <stdio.h>

#include "backends/xen/xen_run.h"

const bool xen_built = false;

int xen_run_once(const struct run_options *opt, json_t **result, char *err, size_t errlen)
{
	(void)opt;
	*result = NULL;
	snprintf(err, errlen, "this run-bench was built without Xen's libraries: install libxen-dev "
		 "(scripts/install-deps) and rebuild to use --backend xen");
	return EXIT_BAD_INPUT;
}

const char *xen_backend_unsupported(unsigned needs)
{
	(void)needs;
	return "this run-bench was built without Xen's libraries";
}
