/*
 * The Linux-process runtime's own controls (workloads/linux/runtime.c): where
 * damage goes, and a virtual clock so tests render many frames instantly and
 * identically on every run. Workloads never include this; runners and tests do.
 */
#ifndef DIRTYBENCH_RUNTIME_LINUX_H
#define DIRTYBENCH_RUNTIME_LINUX_H

#include <stdbool.h>
#include <stdint.h>

/* Receives the frame protocol; any hook may be NULL. tsc is rt_tsc() at the
 * call. */
struct rt_linux_sink {
	void (*frame_begin)(void *arg, uint64_t tsc);
	void (*damage)(void *arg, uint32_t x, uint32_t y, uint32_t w, uint32_t h);
	void (*frame_commit)(void *arg, uint64_t tsc, uint32_t dropped_before);
	void *arg;
};

/* The sink is copied; NULL discards frames and damage. */
void rt_linux_set_sink(const struct rt_linux_sink *sink);

/* The TSC rate rt_tsc_khz() reports; 0 (the default) means measure it once
 * against CLOCK_MONOTONIC (real clock) or RT_LINUX_VIRTUAL_KHZ (virtual). */
void rt_linux_set_tsc_khz(uint64_t khz);

/* Virtual time: rt_tsc() returns a counter that starts at 0 when this is
 * switched on and moves only when rt_sleep_until() jumps it to the deadline
 * or a test advances it; nothing really sleeps. */
#define RT_LINUX_VIRTUAL_KHZ 1000000ull         /* a 1 GHz virtual TSC */
void rt_linux_set_virtual_clock(bool on);
void rt_linux_advance_virtual_clock(uint64_t cycles);

/* The phase the workload last set with rt_set_phase() (0 until it does, and
 * after rt_linux_reset()), and a function called with each one set (NULL:
 * none), for a runner with a control page to publish it in (Xen's). */
uint32_t rt_linux_phase(void);
void rt_linux_set_phase_listener(void (*on_phase)(uint32_t phase));

/* Replace rt_sleep_until() on the real clock (NULL: back to clock_nanosleep),
 * for a runner whose sleep must also end on an event (Xen pvbitmap's kick). */
void rt_linux_set_sleeper(void (*sleep_until)(uint64_t tsc));

/* Free everything rt_alloc() handed out (the guest never frees; tests that
 * render many times do, so memory does not pile up). */
void rt_linux_free_all(void);

/* Back to the start state: no sink, real clock, no frame open (a test that
 * failed mid-frame leaves one open), all allocations freed. */
void rt_linux_reset(void);
/* The same as a cmocka setup hook: every test starts from a fresh runtime. */
int rt_linux_reset_setup(void **state);

#endif
