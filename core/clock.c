/* TSC <-> nanoseconds for the run's single clock base. */
#include "core/clock.h"

void clock_base_init(struct clock_base *cb, uint64_t tsc_khz)
{
	uint64_t before = clock_tsc();
	int64_t mono = clock_mono_ns();
	uint64_t after = clock_tsc();

	cb->tsc_khz = tsc_khz;
	cb->tsc0 = before + (after - before) / 2;
	cb->mono0_ns = mono;
}

double clock_cycles_to_ns(const struct clock_base *cb, double cycles)
{
	return cycles * 1e6 / (double)cb->tsc_khz;
}

uint64_t clock_ns_to_cycles(const struct clock_base *cb, double ns)
{
	return (uint64_t)(ns * (double)cb->tsc_khz / 1e6);
}

int64_t clock_tsc_to_mono_ns(const struct clock_base *cb, uint64_t tsc)
{
	return cb->mono0_ns + (int64_t)clock_cycles_to_ns(cb, (double)(int64_t)(tsc - cb->tsc0));
}
