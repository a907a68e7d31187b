/*
 * `fixed`: a round every period with the run's strategy, whatever the screen
 * does. The suite's behaviour before policies, and every run's default.
 */
#include "core/policy.h"

static int fixed_tick(struct policy *p, struct dirty_set *out)
{
	return policy_scan(p, out);
}

const struct policy_ops policy_fixed = {
	.name = "fixed",
	.description = "a round every --rate period with the strategy, whatever the screen does",
	.tick = fixed_tick,
};
