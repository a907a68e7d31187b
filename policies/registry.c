/* Every policy, in listing order. */
#include "core/policy.h"

extern const struct policy_ops policy_fixed, policy_qemu, policy_xen, policy_vmwgfx, policy_auto;

const struct policy_ops *const policy_registry[] = {
	&policy_fixed,
	&policy_qemu,
	&policy_xen,
	&policy_vmwgfx,
	&policy_auto,
	NULL,
};
