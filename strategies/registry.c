/* Every strategy, in the order --list shows them. Explicit: no constructor magic. */
#include <stddef.h>

#include "../bench/strategy.h"

extern const struct strategy_ops strategy_none;
extern const struct strategy_ops strategy_memcmp;

const struct strategy_ops *const strategy_registry[] = {
	&strategy_none,
	&strategy_memcmp,
	NULL,
};
