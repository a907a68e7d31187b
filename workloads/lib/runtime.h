/*
 * What a workload may call: the runtime under it is either the micro-VM guest
 * (workloads/guest/) or an ordinary Linux process (workloads/linux/), and the
 * host's tests link a recording runtime. Workloads use nothing else, which is
 * what keeps them freestanding and bit-for-bit identical across those builds.
 */
#ifndef DIRTYBENCH_RUNTIME_H
#define DIRTYBENCH_RUNTIME_H

#include <stddef.h>
#include <stdint.h>
#include <stdbool.h>

struct fb {
	uint32_t *pixels;       /* 32 bpp, 0x00RRGGBB */
	uint32_t width, height;
	uint32_t stride_px;     /* pixels per scanline, >= width */
};

uint64_t rt_tsc(void);
uint64_t rt_tsc_khz(void);
void rt_sleep_until(uint64_t tsc);

/* Damage: every pixel a workload writes during a frame lies inside a rectangle
 * it declared between rt_frame_begin() and rt_frame_commit(). */
void rt_frame_begin(void);
void rt_damage(uint32_t x, uint32_t y, uint32_t w, uint32_t h);
void rt_frame_commit(uint32_t dropped_before);

/* The phase a workload whose activity changes is in (an index into its
 * catalog entry's phase_names), for the host to read while it runs: the
 * micro-VM's and the Xen domU's runtimes write db_control.phase. */
void rt_set_phase(uint32_t phase);

void *rt_alloc(size_t bytes);   /* bump allocator: never freed */
void rt_print(const char *msg);
_Noreturn void rt_abort(const char *msg, const char *file, int line);

#define RT_ASSERT(expr) \
	do { if (!(expr)) rt_abort("assertion failed: " #expr, __FILE__, __LINE__); } while (0)

/* Freestanding helpers (the guest has no libc). */
void *rt_memset(void *dst, int c, size_t n);
void *rt_memcpy(void *dst, const void *src, size_t n);
void *rt_memmove(void *dst, const void *src, size_t n);
size_t rt_strlen(const char *s);
int rt_strcmp(const char *a, const char *b);

#endif
