/*
 * One clock for guest and host: the TSC. Host stamps are rdtsc; guest stamps
 * are the guest's rdtsc minus the offset measured at start-up (the guest
 * stamps inside ucall exits bracketed by host stamps).
 */
#ifndef DIRTYBENCH_CLOCK_H
#define DIRTYBENCH_CLOCK_H

#include <stdint.h>
#include <time.h>
#include <x86intrin.h>

struct clock_base {
	uint64_t tsc_khz;
	uint64_t tsc0;          /* a TSC reading ... */
	int64_t mono0_ns;       /* ... and CLOCK_MONOTONIC at the same moment */
};

static inline uint64_t clock_tsc(void)
{
	_mm_lfence();
	uint64_t t = __rdtsc();
	_mm_lfence();
	return t;
}

static inline int64_t clock_mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* timeout_ms from now on CLOCK_REALTIME, for pthread_cond_timedwait. */
static inline struct timespec clock_deadline(long timeout_ms)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec += timeout_ms / 1000;
	ts.tv_nsec += (timeout_ms % 1000) * 1000000l;
	ts.tv_sec += ts.tv_nsec / 1000000000;
	ts.tv_nsec %= 1000000000;
	return ts;
}

void clock_base_init(struct clock_base *cb, uint64_t tsc_khz);
double clock_cycles_to_ns(const struct clock_base *cb, double cycles);
uint64_t clock_ns_to_cycles(const struct clock_base *cb, double ns);
/* CLOCK_MONOTONIC time (ns) at which the host TSC reads tsc. */
int64_t clock_tsc_to_mono_ns(const struct clock_base *cb, uint64_t tsc);

#endif
