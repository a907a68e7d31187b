/*
 * `memcmp`: compare VRAM with a shadow copy at memory speed. Both buffers
 * are read sequentially, which is what the memory system streams best: a
 * band of tiles (one tile row) is first compared as one run of memory, and
 * only a band that differs is compared one scanline at a time. On each
 * scanline only the runs of still-clean tiles are compared: a tile stops
 * being compared at its first differing row, and the scan finds the first
 * differing byte of a run, marks its tile and carries on after that tile.
 * The shadow of every changed tile is refreshed after its band. An unchanged
 * screen therefore costs one pass over VRAM and shadow: the bandwidth floor.
 *
 * The compare kernel is AVX2 where the CPU has it (picked once at init with
 * __builtin_cpu_supports), SSE2 otherwise (every x86-64 has it), plain
 * 64-bit words elsewhere. --sopt path=avx2|sse2|u64 forces one, so the
 * paths can be compared and tested against each other; the path used is in
 * the result's "strategy" object.
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#if defined(__x86_64__)
#include <immintrin.h>
#endif

#include "core/bitmap.h"
#include "core/strategy.h"

/* Offset of the first byte where a and b differ, or n when they are equal. */
typedef size_t (*first_diff_fn)(const uint8_t *a, const uint8_t *b, size_t n);

struct memcmp_priv {
	uint8_t *shadow;
	uint8_t *band_dirty;    /* per tile column, for the current band */
	first_diff_fn first_diff;
	const char *path;
	uint64_t changed_tiles; /* over the run, for the report */
};

static size_t first_diff_u64(const uint8_t *a, const uint8_t *b, size_t n)
{
	size_t i = 0;

	for (; i + 8 <= n; i += 8) {
		uint64_t x, y;

		memcpy(&x, a + i, 8);
		memcpy(&y, b + i, 8);
		if (x != y)     /* little-endian: the lowest set bit is the first byte */
			return i + (size_t)__builtin_ctzll(x ^ y) / 8;
	}
	for (; i < n; i++)
		if (a[i] != b[i])
			return i;
	return n;
}

#if defined(__x86_64__)
/* First differing byte of two 16-byte vectors, 16 if none. */
static inline size_t diff16(const uint8_t *a, const uint8_t *b)
{
	__m128i eq = _mm_cmpeq_epi8(_mm_loadu_si128((const __m128i *)a),
				    _mm_loadu_si128((const __m128i *)b));
	unsigned ne = ~(unsigned)_mm_movemask_epi8(eq) & 0xFFFF;

	return ne ? (size_t)__builtin_ctz(ne) : 16;
}

/* 64 bytes an iteration, one branch for all four vectors; the exact byte is
 * only looked for once a block is known to differ. */
static size_t first_diff_sse2(const uint8_t *a, const uint8_t *b, size_t n)
{
	size_t i = 0;

	for (; i + 64 <= n; i += 64) {
		__m128i x = _mm_setzero_si128();

		for (int k = 0; k < 64; k += 16)
			x = _mm_or_si128(x, _mm_xor_si128(_mm_loadu_si128((const __m128i *)(a + i + k)),
							  _mm_loadu_si128((const __m128i *)(b + i + k))));
		if (_mm_movemask_epi8(_mm_cmpeq_epi8(x, _mm_setzero_si128())) != 0xFFFF)
			break;
	}
	for (; i + 16 <= n; i += 16) {
		size_t d = diff16(a + i, b + i);

		if (d < 16)
			return i + d;
	}
	if (i < n && n >= 16) {
		/* Overlap the last vector: bytes before i are known equal. */
		size_t d = diff16(a + n - 16, b + n - 16);

		return d < 16 ? n - 16 + d : n;
	}
	return i + first_diff_u64(a + i, b + i, n - i);
}

__attribute__((target("avx2")))
static inline size_t diff32(const uint8_t *a, const uint8_t *b)
{
	__m256i eq = _mm256_cmpeq_epi8(_mm256_loadu_si256((const __m256i *)a),
				       _mm256_loadu_si256((const __m256i *)b));
	uint32_t ne = ~(uint32_t)_mm256_movemask_epi8(eq);

	return ne ? (size_t)__builtin_ctz(ne) : 32;
}

__attribute__((target("avx2")))
static inline __m256i xor32(const uint8_t *a, const uint8_t *b)
{
	return _mm256_xor_si256(_mm256_loadu_si256((const __m256i *)a),
				_mm256_loadu_si256((const __m256i *)b));
}

/* As the SSE2 kernel, 128 bytes an iteration. */
__attribute__((target("avx2")))
static size_t first_diff_avx2(const uint8_t *a, const uint8_t *b, size_t n)
{
	size_t i = 0;

	for (; i + 128 <= n; i += 128) {
		__m256i x = _mm256_or_si256(_mm256_or_si256(xor32(a + i, b + i),
							    xor32(a + i + 32, b + i + 32)),
					    _mm256_or_si256(xor32(a + i + 64, b + i + 64),
							    xor32(a + i + 96, b + i + 96)));
		if (!_mm256_testz_si256(x, x))
			break;
	}
	for (; i + 32 <= n; i += 32) {
		size_t d = diff32(a + i, b + i);

		if (d < 32)
			return i + d;
	}
	if (i < n && n >= 32) {
		size_t d = diff32(a + n - 32, b + n - 32);

		return d < 32 ? n - 32 + d : n;
	}
	return i + first_diff_u64(a + i, b + i, n - i);
}
#endif

static const struct strategy_option_spec memcmp_options[] = {
	{ .name = "path", .type = STRATEGY_OPT_ENUM, .def = "auto",
	  .values = (const char *const[]){ "auto", "avx2", "sse2", "u64", NULL },
	  .help = "compare kernel; auto: AVX2 where the CPU has it" },
	{ .name = NULL },
};

/* The kernel --sopt path= asks for, or the best this CPU has. */
static int pick_kernel(struct strategy *s, struct memcmp_priv *p)
{
	const char *want = strategy_opt_str(s, "path");
	bool any = !strcmp(want, "auto");

#if defined(__x86_64__)
	__builtin_cpu_init();
	if ((any && __builtin_cpu_supports("avx2")) || !strcmp(want, "avx2")) {
		if (!__builtin_cpu_supports("avx2")) {
			snprintf(s->error, sizeof(s->error), "memcmp path=avx2: this CPU lacks AVX2");
			return -1;
		}
		p->first_diff = first_diff_avx2, p->path = "avx2";
		return 0;
	}
	if (any || !strcmp(want, "sse2")) {
		p->first_diff = first_diff_sse2, p->path = "sse2";
		return 0;
	}
#endif
	if (any || !strcmp(want, "u64")) {
		p->first_diff = first_diff_u64, p->path = "u64";
		return 0;
	}
	snprintf(s->error, sizeof(s->error), "memcmp path=%s: not built for this CPU architecture", want);
	s->bad_input = true;
	return -1;
}

static int memcmp_init(struct strategy *s)
{
	struct memcmp_priv *p = calloc(1, sizeof(*p));
	/* 2 MiB aligned and sized so transparent huge pages can back all of it:
	 * half the scan's reads then miss the TLB 512 times less often. */
	size_t len = (s->geo->bytes + (2u << 20) - 1) & ~(size_t)((2u << 20) - 1);

	if (!p)
		return -1;
	s->priv = p;
	if (pick_kernel(s, p))
		return -1;
	p->shadow = aligned_alloc(2u << 20, len);
	p->band_dirty = calloc(s->geo->cols, 1);
	if (!p->shadow || !p->band_dirty)
		return -1;
	(void)madvise(p->shadow, len, MADV_HUGEPAGE);    /* advisory: fine if refused */
	s->memory_bytes = len + s->geo->cols;
	return 0;
}

static int memcmp_start(struct strategy *s)
{
	struct memcmp_priv *p = s->priv;

	memcpy(p->shadow, s->be->vram, s->geo->bytes);
	return 0;
}

/* Compare one scanline's runs of clean tiles; mark the tiles that differ. */
static unsigned compare_line(const struct memcmp_priv *p, const struct fb_geometry *g,
			     const uint8_t *vram, const uint8_t *shadow, uint8_t *dirty)
{
	size_t tile_bytes = (size_t)g->tile_w * FB_BYTES_PER_PIXEL;
	unsigned found = 0;
	uint32_t c = 0;

	while (c < g->cols) {
		uint32_t end;
		size_t from, to, d;

		while (c < g->cols && dirty[c])
			c++;
		for (end = c; end < g->cols && !dirty[end]; end++)
			;
		if (c == end)
			break;
		from = c * tile_bytes;
		to = end < g->cols ? end * tile_bytes : g->stride;
		d = p->first_diff(vram + from, shadow + from, to - from);
		if (d == to - from) {
			c = end;
			continue;
		}
		c = (uint32_t)((from + d) / tile_bytes);
		dirty[c++] = 1;
		found++;
	}
	return found;
}

static void refresh_band(const struct fb_geometry *g, const uint8_t *vram, uint8_t *shadow,
			 uint32_t y0, uint32_t y1, const uint8_t *dirty)
{
	size_t tile_bytes = (size_t)g->tile_w * FB_BYTES_PER_PIXEL;

	for (uint32_t c = 0; c < g->cols; c++) {
		size_t n = c + 1 < g->cols ? tile_bytes : g->stride - c * tile_bytes;

		if (!dirty[c])
			continue;
		for (uint32_t y = y0; y < y1; y++) {
			size_t off = (size_t)y * g->stride + c * tile_bytes;

			memcpy(shadow + off, vram + off, n);
		}
	}
}

/* One band: its lines abut in memory (stride is the width in bytes), so a
 * clean band, the common case, is one call over one contiguous run, with no
 * per-line or per-tile work; line-by-line comparing starts at the band's
 * first differing line. Returns the tiles found, marked in band_dirty. */
static unsigned compare_band(struct memcmp_priv *p, const struct fb_geometry *g,
			     const uint8_t *vram, uint32_t y0, uint32_t y1)
{
	size_t first = (size_t)y0 * g->stride, len = (size_t)(y1 - y0) * g->stride;
	size_t d = p->first_diff(vram + first, p->shadow + first, len);
	unsigned ndirty = 0;

	if (d == len)
		return 0;
	memset(p->band_dirty, 0, g->cols);
	for (uint32_t y = y0 + (uint32_t)(d / g->stride); y < y1 && ndirty < g->cols; y++) {
		size_t line = (size_t)y * g->stride;

		ndirty += compare_line(p, g, vram + line, p->shadow + line, p->band_dirty);
	}
	return ndirty;
}

static int memcmp_scan(struct strategy *s, struct dirty_set *out)
{
	struct memcmp_priv *p = s->priv;
	const struct fb_geometry *g = s->geo;
	const uint8_t *vram = s->be->vram;

	for (uint32_t row = 0; row < g->rows; row++) {
		uint32_t y0 = row * g->tile_h;
		uint32_t y1 = y0 + g->tile_h < g->height ? y0 + g->tile_h : g->height;
		unsigned ndirty = compare_band(p, g, vram, y0, y1);

		if (!ndirty)
			continue;
		refresh_band(g, vram, p->shadow, y0, y1, p->band_dirty);
		for (uint32_t c = 0; c < g->cols; c++)
			if (p->band_dirty[c])
				bitmap_set(out->tiles, (size_t)row * g->cols + c);
		p->changed_tiles += ndirty;
	}
	return 0;
}

static void memcmp_fini(struct strategy *s)
{
	struct memcmp_priv *p = s->priv;

	if (p) {
		free(p->shadow);
		free(p->band_dirty);
		free(p);
	}
	s->priv = NULL;
}

static void memcmp_report(struct strategy *s, json_t *obj)
{
	struct memcmp_priv *p = s->priv;

	json_object_set_new(obj, "compare_path", json_string(p->path));
	json_object_set_new(obj, "changed_tiles", json_integer((json_int_t)p->changed_tiles));
}

static const uint8_t *memcmp_shadow(struct strategy *s)
{
	return ((struct memcmp_priv *)s->priv)->shadow;
}

const struct strategy_ops strategy_memcmp = {
	.name = "memcmp",
	.description = "compare VRAM with a shadow copy, tile by tile, at memory speed (AVX2/SSE2)",
	.init = memcmp_init,
	.start = memcmp_start,
	.scan = memcmp_scan,
	.fini = memcmp_fini,
	.options = memcmp_options,
	.report = memcmp_report,
	.shadow = memcmp_shadow,
};
