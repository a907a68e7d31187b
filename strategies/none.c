/* `none`: no tracking at all, every tile every round: the cost of sending everything. */
#include "core/strategy.h"

static int none_scan(struct strategy *s, struct dirty_set *out)
{
	(void)s;
	out->full = true;
	return 0;
}

const struct strategy_ops strategy_none = {
	.name = "none",
	.description = "no tracking: report the whole screen every round (baseline)",
	.scan = none_scan,
};
