/* Pinning threads to CPUs: the scan thread and the vCPU each get a core of
 * their own, so neither measures the other's scheduling. */
#ifndef DIRTYBENCH_CPU_H
#define DIRTYBENCH_CPU_H

#include <pthread.h>
#include <sched.h>

/* Pin the calling thread; ignores failure (one-CPU hosts) and cpu < 0. */
static inline void cpu_pin_self(int cpu)
{
	cpu_set_t set;

	if (cpu < 0)
		return;
	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	(void)pthread_setaffinity_np(pthread_self(), sizeof(set), &set);
}

#endif
