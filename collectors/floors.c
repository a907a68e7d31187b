/*
 * Like-for-like floors ("calibration.floors"): what reading the screen costs
 * on this run's own VRAM mapping, under the run's own conditions, so a
 * content strategy's scan is judged against the real limit:
 *
 *   read     one streaming read of VRAM (the least any content detector can
 *            do: memhash's lower bound)
 *   compare  VRAM against a second buffer allocated as memcmp allocates its
 *            shadow (2 MiB aligned, MADV_HUGEPAGE): memcmp's lower bound
 *
 * Each sample is taken in the warm-up, just before a round's scan: the scan
 * thread has been idle one scan period since the previous round, the guest
 * runs, and the caches hold what they hold before a real scan. The two
 * alternate round by round, up to FLOORS_SAMPLES each; medians are divided
 * into the measured scan's median (scan_to_*_floor). The old before-boot
 * floor (collectors/membw.c: two private huge-page buffers, best of 20) stays
 * under its old names for continuity.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#if defined(__x86_64__)
#include <immintrin.h>
#endif

#include "collectors/floors.h"
#include "core/histogram.h"
#include "core/run_state.h"

#define FLOORS_SAMPLES 15

enum floor_kind { FLOOR_READ, FLOOR_COMPARE, FLOOR_KINDS };

struct floors {
	uint8_t *other;                 /* the compare floor's second buffer */
	size_t other_len;
	struct hist ns[FLOOR_KINDS];
	unsigned taken;                 /* samples taken, both kinds */
	volatile uint64_t sink;
};

static uint64_t read_u64(const uint8_t *a, size_t n)
{
	uint64_t acc = 0, x;

	for (size_t i = 0; i + 8 <= n; i += 8) {
		memcpy(&x, a + i, 8);
		acc |= x;
	}
	return acc;
}

static uint64_t compare_u64(const uint8_t *a, const uint8_t *b, size_t n)
{
	uint64_t acc = 0, x, y;

	for (size_t i = 0; i + 8 <= n; i += 8) {
		memcpy(&x, a + i, 8);
		memcpy(&y, b + i, 8);
		acc |= x ^ y;
	}
	return acc;
}

#if defined(__x86_64__)
/* 128 bytes an iteration, no branch on the data: pure streaming loads. */
__attribute__((target("avx2")))
static uint64_t read_avx2(const uint8_t *a, size_t n)
{
	__m256i acc = _mm256_setzero_si256();
	size_t i = 0;

	for (; i + 128 <= n; i += 128)
		for (size_t k = i; k < i + 128; k += 32)
			acc = _mm256_or_si256(acc, _mm256_loadu_si256((const __m256i *)(a + k)));
	return (uint64_t)_mm256_extract_epi64(acc, 0) | read_u64(a + i, n - i);
}

__attribute__((target("avx2")))
static uint64_t compare_avx2(const uint8_t *a, const uint8_t *b, size_t n)
{
	__m256i acc = _mm256_setzero_si256();
	size_t i = 0;

	for (; i + 128 <= n; i += 128)
		for (size_t k = i; k < i + 128; k += 32)
			acc = _mm256_or_si256(acc, _mm256_xor_si256(_mm256_loadu_si256((const __m256i *)(a + k)),
								     _mm256_loadu_si256((const __m256i *)(b + k))));
	return (uint64_t)_mm256_extract_epi64(acc, 0) | compare_u64(a + i, b + i, n - i);
}
#endif

static int floors_open(struct collector *c, struct run_state *rs)
{
	struct floors *f = c->priv;

	f->other_len = (rs->geo.bytes + (2u << 20) - 1) & ~(size_t)((2u << 20) - 1);
	f->other = aligned_alloc(2u << 20, f->other_len);
	if (f->other) {
		(void)madvise(f->other, f->other_len, MADV_HUGEPAGE);
		memset(f->other, 0x5a, f->other_len);   /* real pages, not the zero page */
	}
	for (int k = 0; k < FLOOR_KINDS; k++)
		hist_init(&f->ns[k]);
	return EXIT_OK;
}

static bool have_avx2(void)
{
#if defined(__x86_64__)
	__builtin_cpu_init();
	return __builtin_cpu_supports("avx2");
#else
	return false;
#endif
}

uint64_t floor_read(const uint8_t *a, size_t n)
{
#if defined(__x86_64__)
	if (have_avx2())
		return read_avx2(a, n);
#endif
	return read_u64(a, n);
}

uint64_t floor_compare(const uint8_t *a, const uint8_t *b, size_t n)
{
#if defined(__x86_64__)
	if (have_avx2())
		return compare_avx2(a, b, n);
#endif
	return compare_u64(a, b, n);
}

const char *floor_method(void)
{
	return have_avx2() ? "avx2-loop" : "u64-loop";
}

/* Warm-up rounds only: the measured window is the strategy's alone. */
static void floors_before_round(struct collector *c, struct run_state *rs, bool measured)
{
	struct floors *f = c->priv;
	enum floor_kind kind = (enum floor_kind)(f->taken % FLOOR_KINDS);
	uint64_t t0;

	if (measured || !f->other || f->taken >= FLOOR_KINDS * FLOORS_SAMPLES)
		return;
	t0 = clock_tsc();
	f->sink += kind == FLOOR_READ ? floor_read(rs->be->vram, rs->geo.bytes) :
				      floor_compare(rs->be->vram, f->other, rs->geo.bytes);
	hist_add(&f->ns[kind], (uint64_t)clock_cycles_to_ns(&rs->clock, (double)(clock_tsc() - t0)));
	f->taken++;
}

static json_t *floor_json(const struct hist *h, const struct hist *scan)
{
	double p50 = hist_percentile(h, 50);

	return json_pack("{s:f, s:f, s:f, s:I, s:o}", "p50_us", p50 / 1e3,
			 "min_us", (double)hist_min(h) / 1e3, "max_us", (double)hist_max(h) / 1e3,
			 "samples", (json_int_t)hist_count(h),
			 "scan_to_floor", hist_count(scan) && p50 > 0 ?
				json_real(hist_percentile(scan, 50) / p50) : json_null());
}

static json_t *floors_json(struct collector *c, const struct run_state *rs)
{
	struct floors *f = c->priv;

	if (!f->other)
		return json_pack("{s:b, s:s}", "available", 0, "reason", "could not allocate the compare buffer");
	if (!hist_count(&f->ns[FLOOR_READ]) || !hist_count(&f->ns[FLOOR_COMPARE]))
		return json_pack("{s:b, s:s}", "available", 0, "reason",
				 "no warm-up rounds to measure in (--warmup 0, or under 2 rounds)");
	return json_pack("{s:b, s:o, s:o, s:s, s:I, s:s}", "available", 1,
		"read", floor_json(&f->ns[FLOOR_READ], &rs->scan_ns),
		"compare", floor_json(&f->ns[FLOOR_COMPARE], &rs->scan_ns),
		"method", floor_method(),
		"bytes", (json_int_t)rs->geo.bytes,
		"definition", "in the warm-up, before a round's scan (one scan period idle): read = one "
			      "streaming read of the run's VRAM mapping; compare = VRAM against a buffer "
			      "allocated as memcmp's shadow; scan_to_floor = scan p50 / floor p50");
}

static void floors_close(struct collector *c, struct run_state *rs)
{
	struct floors *f = c->priv;

	(void)rs;
	free(f->other);
	f->other = NULL;
}

static const struct schema_field floors_schema[] = {
	{ "calibration.floors", SCHEMA_OBJ }, { "calibration.floors.available", SCHEMA_BOOL },
	SCHEMA_END
};

const struct collector_ops collector_floors = {
	.name = "floors",
	.key = "calibration.floors",
	.stage = COLLECT_ARMED,
	.priv_size = sizeof(struct floors),
	.open = floors_open,
	.before_round = floors_before_round,
	.json = floors_json,
	.close = floors_close,
	.schema = floors_schema,
};
