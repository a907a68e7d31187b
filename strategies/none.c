/* `none`: no tracking at all, every tile every round: the cost of sending everything. */
#include "core/strategy.h"

static int none_init(struct strategy *s)
{
	(void)s;
	return 0;
}

static int none_start(struct strategy *s)
{
	(void)s;
	return 0;
}

static int none_scan(struct strategy *s, struct dirty_set *out)
{
	(void)s;
	out->full = true;
	return 0;
}

static void none_stop(struct strategy *s)
{
	(void)s;
}

static void none_fini(struct strategy *s)
{
	(void)s;
}

const struct strategy_ops strategy_none = {
	.name = "none",
	.description = "no tracking: report the whole screen every round (baseline)",
	.init = none_init,
	.start = none_start,
	.scan = none_scan,
	.stop = none_stop,
	.fini = none_fini,
};
