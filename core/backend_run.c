/* The back ends a run can use, one folder each under backends/. */
#include <string.h>

#include "core/backend.h"
#include "core/backend_run.h"
#include "core/status.h"
#include "core/strategy.h"
#include "include/compiler.h"

static const struct backend_run_ops *const backend_runs[] = {
	[RUN_BACKEND_KVM] = &kvm_run_ops,
	[RUN_BACKEND_XEN] = &xen_run_ops,
};

const struct backend_run_ops *backend_run_find(enum run_backend kind)
{
	return backend_runs[kind];
}

const struct backend_run_ops *backend_run_by_name(const char *name)
{
	for (size_t i = 0; i < ARRAY_SIZE(backend_runs); i++)
		if (name && !strcmp(backend_runs[i]->name, name))
			return backend_runs[i];
	return NULL;
}

int backend_probe(const struct run_options *opt, const struct strategy_ops *sops, char *why, size_t len)
{
	int status;

	why[0] = '\0';
	status = backend_run_find(opt->backend)->probe(opt, sops, why, len);
	/* The strategy's own probe of this host (a kernel feature, a
	 * permission), before anything boots: be is NULL here. */
	if (status == EXIT_OK && sops->supported && !sops->supported(NULL, why, len))
		return EXIT_UNSUPPORTED;
	return status;
}
