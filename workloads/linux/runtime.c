/*
 * runtime.h for an ordinary Linux process: the real TSC (or a virtual one for
 * tests), sleeping with clock_nanosleep, libc memory functions, and damage
 * handed to a pluggable sink (see runtime_linux.h).
 */
#include "workloads/lib/runtime.h"
#include "workloads/linux/runtime_linux.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <x86intrin.h>

#define RT_LINUX_ALLOC_ALIGN 64
#define RT_LINUX_CALIBRATE_NS 50000000ull       /* 50 ms */

static struct rt_linux_sink rt_linux_sink;
static bool rt_linux_in_frame;
static bool rt_linux_virtual;
static uint64_t rt_linux_virtual_tsc;
static uint64_t rt_linux_khz_override;
static uint64_t rt_linux_khz_measured;
static void (*rt_linux_sleeper)(uint64_t tsc);
static uint32_t rt_linux_phase_now;
static void (*rt_linux_on_phase)(uint32_t phase);

/* --- time --------------------------------------------------------------- */

static uint64_t rt_linux_mono_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

uint64_t rt_tsc(void)
{
	return rt_linux_virtual ? rt_linux_virtual_tsc : __rdtsc();
}

static uint64_t rt_linux_calibrate(void)
{
	uint64_t ns0 = rt_linux_mono_ns(), tsc0 = __rdtsc();
	struct timespec nap = { 0, (long)RT_LINUX_CALIBRATE_NS };
	while (nanosleep(&nap, &nap) != 0 && errno == EINTR)
		;
	uint64_t ns = rt_linux_mono_ns() - ns0, cycles = __rdtsc() - tsc0;
	uint64_t khz = ns ? (uint64_t)((double)cycles * 1e6 / (double)ns) : 0;
	return khz ? khz : 1;
}

uint64_t rt_tsc_khz(void)
{
	if (rt_linux_khz_override)
		return rt_linux_khz_override;
	if (rt_linux_virtual)
		return RT_LINUX_VIRTUAL_KHZ;
	if (!rt_linux_khz_measured)
		rt_linux_khz_measured = rt_linux_calibrate();
	return rt_linux_khz_measured;
}

static uint64_t rt_linux_cycles_to_ns(uint64_t cycles, uint64_t khz)
{
	/* Split so that cycles * 1e6 cannot overflow for long sleeps. */
	return cycles / khz * 1000000ull + cycles % khz * 1000000ull / khz;
}

void rt_sleep_until(uint64_t tsc)
{
	if (rt_linux_virtual) {
		if (tsc > rt_linux_virtual_tsc)
			rt_linux_virtual_tsc = tsc;
		return;
	}
	if (rt_linux_sleeper) {
		rt_linux_sleeper(tsc);
		return;
	}
	uint64_t now = __rdtsc();
	if (tsc <= now)
		return;
	uint64_t wake = rt_linux_mono_ns() + rt_linux_cycles_to_ns(tsc - now, rt_tsc_khz());
	struct timespec ts = { (time_t)(wake / 1000000000ull), (long)(wake % 1000000000ull) };
	while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR)
		;
}

void rt_linux_set_tsc_khz(uint64_t khz)
{
	rt_linux_khz_override = khz;
}

void rt_linux_set_sleeper(void (*sleep_until)(uint64_t tsc))
{
	rt_linux_sleeper = sleep_until;
}

void rt_linux_set_virtual_clock(bool on)
{
	rt_linux_virtual = on;
	rt_linux_virtual_tsc = 0;
}

void rt_linux_advance_virtual_clock(uint64_t cycles)
{
	rt_linux_virtual_tsc += cycles;
}

/* --- frames and damage -------------------------------------------------- */

void rt_linux_set_sink(const struct rt_linux_sink *sink)
{
	if (sink)
		rt_linux_sink = *sink;
	else
		memset(&rt_linux_sink, 0, sizeof(rt_linux_sink));
}

void rt_frame_begin(void)
{
	if (rt_linux_in_frame)
		rt_abort("rt_frame_begin inside a frame", __FILE__, __LINE__);
	rt_linux_in_frame = true;
	if (rt_linux_sink.frame_begin)
		rt_linux_sink.frame_begin(rt_linux_sink.arg, rt_tsc());
}

void rt_damage(uint32_t x, uint32_t y, uint32_t w, uint32_t h)
{
	if (!rt_linux_in_frame)
		rt_abort("rt_damage outside a frame", __FILE__, __LINE__);
	if (rt_linux_sink.damage)
		rt_linux_sink.damage(rt_linux_sink.arg, x, y, w, h);
}

void rt_frame_commit(uint32_t dropped_before)
{
	if (!rt_linux_in_frame)
		rt_abort("rt_frame_commit outside a frame", __FILE__, __LINE__);
	rt_linux_in_frame = false;
	if (rt_linux_sink.frame_commit)
		rt_linux_sink.frame_commit(rt_linux_sink.arg, rt_tsc(), dropped_before);
}

void rt_set_phase(uint32_t phase)
{
	rt_linux_phase_now = phase;
	if (rt_linux_on_phase)
		rt_linux_on_phase(phase);
}

uint32_t rt_linux_phase(void)
{
	return rt_linux_phase_now;
}

void rt_linux_set_phase_listener(void (*on_phase)(uint32_t phase))
{
	rt_linux_on_phase = on_phase;
}

/* --- memory and messages ------------------------------------------------ */

/* Every block is on this list, so rt_linux_free_all() can release it and
 * LeakSanitizer sees it as reachable until then. */
struct rt_linux_block {
	struct rt_linux_block *next;
};
static struct rt_linux_block *rt_linux_blocks;

void *rt_alloc(size_t bytes)
{
	if (bytes > SIZE_MAX / 2)
		return NULL;
	size_t size = RT_LINUX_ALLOC_ALIGN +
		      (bytes + RT_LINUX_ALLOC_ALIGN - 1) / RT_LINUX_ALLOC_ALIGN * RT_LINUX_ALLOC_ALIGN;
	struct rt_linux_block *b = aligned_alloc(RT_LINUX_ALLOC_ALIGN, size);
	if (!b)
		return NULL;
	memset(b, 0, size);
	b->next = rt_linux_blocks;
	rt_linux_blocks = b;
	return (char *)b + RT_LINUX_ALLOC_ALIGN;
}

void rt_linux_free_all(void)
{
	while (rt_linux_blocks) {
		struct rt_linux_block *next = rt_linux_blocks->next;
		free(rt_linux_blocks);
		rt_linux_blocks = next;
	}
}

void rt_print(const char *msg)
{
	size_t len = strlen(msg);
	fputs(msg, stderr);
	if (len == 0 || msg[len - 1] != '\n')
		fputc('\n', stderr);
}

_Noreturn void rt_abort(const char *msg, const char *file, int line)
{
	fflush(stdout);
	fprintf(stderr, "%s:%d: %s\n", file, line, msg);
	abort();
}

void *rt_memset(void *dst, int c, size_t n)
{
	return memset(dst, c, n);
}

void *rt_memcpy(void *dst, const void *src, size_t n)
{
	return memcpy(dst, src, n);
}

void *rt_memmove(void *dst, const void *src, size_t n)
{
	return memmove(dst, src, n);
}

size_t rt_strlen(const char *s)
{
	return strlen(s);
}

int rt_strcmp(const char *a, const char *b)
{
	return strcmp(a, b);
}

void rt_linux_reset(void)
{
	rt_linux_set_sink(NULL);
	rt_linux_set_virtual_clock(false);
	rt_linux_set_tsc_khz(0);
	rt_linux_set_sleeper(NULL);
	rt_linux_in_frame = false;
	rt_linux_phase_now = 0;
	rt_linux_set_phase_listener(NULL);
	rt_linux_free_all();
}

int rt_linux_reset_setup(void **state)
{
	(void)state;
	rt_linux_reset();
	return 0;
}
