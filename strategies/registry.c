/* Every strategy, in the order --list shows them. Explicit: no constructor magic. */
#include <stddef.h>

#include "core/strategy.h"

extern const struct strategy_ops strategy_none;
extern const struct strategy_ops strategy_memcmp;
extern const struct strategy_ops strategy_memcmp_qemu;
extern const struct strategy_ops strategy_memhash;
extern const struct strategy_ops strategy_logdirty;
extern const struct strategy_ops strategy_logdirty_manual;
extern const struct strategy_ops strategy_dirtyring;
extern const struct strategy_ops strategy_ptebits;
extern const struct strategy_ops strategy_ptebits_hybrid;
extern const struct strategy_ops strategy_pvbitmap;
extern const struct strategy_ops strategy_pvbitmap_fine;
extern const struct strategy_ops strategy_uffd_wp;
extern const struct strategy_ops strategy_softdirty;

const struct strategy_ops *const strategy_registry[] = {
	&strategy_none,
	&strategy_memcmp,
	&strategy_memcmp_qemu,
	&strategy_memhash,
	&strategy_logdirty,
	&strategy_logdirty_manual,
	&strategy_dirtyring,
	&strategy_ptebits,
	&strategy_ptebits_hybrid,
	&strategy_pvbitmap,
	&strategy_pvbitmap_fine,
	&strategy_uffd_wp,
	&strategy_softdirty,
	NULL,
};
