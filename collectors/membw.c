/*
 * Measuring the compare floor (see membw.h). Two methods, the faster wins,
 * so the floor is the honest best this machine can do: a tight AVX2 loop
 * that only ORs XORs (no early exit to branch on) and glibc's memcmp. Both
 * buffers get MADV_HUGEPAGE: fewer TLB misses can only lower the floor.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#if defined(__x86_64__)
#include <immintrin.h>
#endif

#include "collectors/membw.h"
#include "core/run_state.h"

#define MEMBW_ALIGN (2u << 20)

typedef int (*compare_fn)(const uint8_t *a, const uint8_t *b, size_t bytes);

static double now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static int compare_glibc(const uint8_t *a, const uint8_t *b, size_t bytes)
{
	return memcmp(a, b, bytes) != 0;
}

#if defined(__x86_64__)
/* 128 bytes an iteration; the result only keeps the loop alive.
 * bytes is a multiple of 128 and the buffers are 32-byte aligned. */
__attribute__((target("avx2")))
static int compare_avx2(const uint8_t *a, const uint8_t *b, size_t bytes)
{
	__m256i acc = _mm256_setzero_si256();

	for (size_t i = 0; i < bytes; i += 128)
		for (size_t k = i; k < i + 128; k += 32)
			acc = _mm256_or_si256(acc, _mm256_xor_si256(
				_mm256_load_si256((const __m256i *)(a + k)),
				_mm256_load_si256((const __m256i *)(b + k))));
	return !_mm256_testz_si256(acc, acc);
}

__attribute__((target("clflushopt")))
static void flush_opt(const uint8_t *p, size_t bytes)
{
	for (size_t i = 0; i < bytes; i += 64)
		_mm_clflushopt((void *)(p + i));
	_mm_sfence();
}

static void flush(const uint8_t *p, size_t bytes)
{
	if (__builtin_cpu_supports("clflushopt")) {
		flush_opt(p, bytes);
		return;
	}
	for (size_t i = 0; i < bytes; i += 64)
		_mm_clflush(p + i);
	_mm_mfence();
}
#else
/* No portable flush: the cold figure falls back to the hot one. */
static void flush(const uint8_t *p, size_t bytes)
{
	(void)p, (void)bytes;
}
#endif

static uint8_t *alloc_buffer(size_t bytes)
{
	uint8_t *p = aligned_alloc(MEMBW_ALIGN, bytes);

	if (p)
		(void)madvise(p, bytes, MADV_HUGEPAGE);
	return p;
}

/* Equal contents that are not all zero (zero pages could be special-cased). */
static void fill(uint8_t *a, uint8_t *b, size_t bytes)
{
	uint64_t x = 0x9E3779B97F4A7C15ull;

	for (size_t i = 0; i + 8 <= bytes; i += 8) {
		x ^= x << 13, x ^= x >> 7, x ^= x << 17;
		memcpy(a + i, &x, 8);
	}
	memcpy(b, a, bytes);
}

static double best_of(unsigned reps, bool cold, compare_fn cmp,
		      const uint8_t *a, const uint8_t *b, size_t bytes)
{
	double best = -1;
	volatile int sink = 0;

	for (unsigned r = 0; r <= reps; r++) {      /* the first one only warms up */
		double t0, t;

		if (cold) {
			flush(a, bytes);
			flush(b, bytes);
		}
		t0 = now_ns();
		sink += cmp(a, b, bytes);
		t = now_ns() - t0;
		if (r > 0 && (best < 0 || t < best))
			best = t;
	}
	(void)sink;
	return best;
}

/* The faster of the methods this CPU has. */
static double best_method(unsigned reps, bool cold, const uint8_t *a, const uint8_t *b,
			  size_t bytes, const char **method)
{
	double ns = best_of(reps, cold, compare_glibc, a, b, bytes);

	*method = "glibc-memcmp";
#if defined(__x86_64__)
	if (__builtin_cpu_supports("avx2")) {
		double avx2 = best_of(reps, cold, compare_avx2, a, b, bytes);

		if (avx2 < ns)
			ns = avx2, *method = "avx2-loop";
	}
#endif
	return ns;
}

int membw_measure(size_t bytes, unsigned reps, struct membw_floor *out)
{
	size_t len = (bytes + MEMBW_ALIGN - 1) & ~(size_t)(MEMBW_ALIGN - 1);
	uint8_t *a = alloc_buffer(len), *b = alloc_buffer(len);

	memset(out, 0, sizeof(*out));
	if (!a || !b) {
		free(a);
		free(b);
		return -1;
	}
	__builtin_cpu_init();
	fill(a, b, len);
	bytes = (bytes + 127) & ~(size_t)127;       /* still within len */
	out->reps = reps;
	out->cold_ns = best_method(reps, true, a, b, bytes, &out->cold_method);
	out->hot_ns = best_method(reps, false, a, b, bytes, &out->hot_method);
	free(a);
	free(b);
	return 0;
}

double membw_floor_ns(size_t bytes)
{
	struct membw_floor f;

	return membw_measure(bytes, MEMBW_REPS, &f) ? -1 : f.cold_ns;
}

/* --- the "calibration" collector: the floor, measured before boot --------- */

struct membw_collector {
	struct membw_floor floor;
	bool ok;
};

/* On the pinned scan thread before any guest runs, so it measures this core
 * alone (~60 ms). Out of memory is recorded, not fatal. */
static int membw_collect_open(struct collector *c, struct run_state *rs)
{
	struct membw_collector *m = c->priv;

	m->ok = !membw_measure(rs->geo.bytes, MEMBW_REPS, &m->floor);
	return EXIT_OK;
}

/* The scan against the floor: how close a full compare is to memory speed,
 * and what any scan costs in units of one. */
static json_t *membw_collect_json(struct collector *c, const struct run_state *rs)
{
	const struct membw_collector *m = c->priv;
	const struct membw_floor *f = &m->floor;
	double p50 = hist_count(&rs->scan_ns) ? hist_percentile(&rs->scan_ns, 50) : -1;

	if (!m->ok)
		return json_pack("{s:n, s:n, s:s}", "membw_floor_us", "scan_to_floor_ratio",
				 "reason", "could not allocate the floor's buffers");
	return json_pack("{s:f, s:o, s:s, s:f, s:o, s:s, s:I, s:I, s:s}",
		"membw_floor_us", f->cold_ns / 1e3,
		"scan_to_floor_ratio", p50 >= 0 && f->cold_ns > 0 ? json_real(p50 / f->cold_ns) : json_null(),
		"floor_method", f->cold_method,
		"hot_floor_us", f->hot_ns / 1e3,
		"scan_to_hot_floor_ratio", p50 >= 0 && f->hot_ns > 0 ? json_real(p50 / f->hot_ns) : json_null(),
		"hot_method", f->hot_method,
		"bytes_read", (json_int_t)(2 * rs->geo.bytes),
		"reps", (json_int_t)f->reps,
		"definition", "best time to compare two equal framebuffer-sized buffers; "
			      "membw: caches flushed before each repetition, hot: cache-resident");
}

static const struct schema_field membw_collect_schema[] = {
	{ "calibration", SCHEMA_OBJ }, { "calibration.membw_floor_us", SCHEMA_NUM_OR_NULL },
	{ "calibration.scan_to_floor_ratio", SCHEMA_NUM_OR_NULL },
	SCHEMA_END
};

const struct collector_ops collector_membw = {
	.name = "membw",
	.key = "calibration",
	.stage = COLLECT_BEFORE_BOOT,
	.priv_size = sizeof(struct membw_collector),
	.open = membw_collect_open,
	.json = membw_collect_json,
	.schema = membw_collect_schema,
};
