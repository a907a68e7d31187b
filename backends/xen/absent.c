/* run-bench built without Xen's libraries (libxen-dev was not found): the Xen
 * back end exists only to say so, as "this host cannot run it". */
#include <stdio.h>

#include "core/backend_run.h"

static int xen_absent_probe(const struct run_options *opt, const struct strategy_ops *sops, char *why,
			    size_t len)
{
	(void)opt;
	(void)sops;
	snprintf(why, len, "this run-bench was built without Xen's libraries: install libxen-dev "
		 "(scripts/install-deps) and rebuild to use --backend xen");
	return EXIT_UNSUPPORTED;
}

const struct backend_run_ops xen_run_ops = {
	.name = "xen",
	.scan_cpu = -1,
	.probe = xen_absent_probe,
};
