/*
 * `memhash`: one read of VRAM a round. Where memcmp reads VRAM and a shadow
 * copy (two streams), memhash reads VRAM once and keeps 16 bytes a tile: a
 * keyed hash of what its consumer holds. A tile whose hash differs is copied
 * into the consumer's copy and its hash is taken again FROM THAT COPY, so the
 * stored hash always describes what the consumer holds, even when the guest
 * wrote between the hash and the copy: the consumer never keeps a stale tile
 * unless two different contents of one tile hash alike (below). The copy is
 * the consumer's own (QEMU's VNC server keeps such a surface), not a shadow
 * for the detector: a round never reads it for an unchanged tile.
 *
 * The hash is NH, the first layer of UMAC (Black, Halevi, Krawczyk, Krovetz,
 * Rogaway, "UMAC: Fast and Secure Message Authentication", CRYPTO '99; the
 * section "The NH hash family" of its full version):
 *
 *   NH_K(M) = sum over pairs i of ((m[2i] + k[2i]) mod 2^32) * ((m[2i+1] + k[2i+1]) mod 2^32)
 *             mod 2^64,
 *
 * over the tile's scanlines, each padded to an even number of 32-bit pixels,
 * with a random key drawn from getrandom() at init, which the guest never
 * sees. The paper proves NH with 32-bit words 2^-32-almost-universal on
 * equal-length messages (for any two different tiles of the same size, the
 * chance over the key that they hash alike is at most 2^-32), and its
 * Toeplitz construction (NH again with the key shifted by two words) makes
 * two iterations 2^-64-almost-universal. So: the chance that a given changed tile
 * goes unreported in a given round is at most 2^-64 (at 60 rounds a second
 * and every one of a 1080p screen's 510 tiles changing every round, about one
 * miss in 10^10 years). CRC32C was measured here and rejected (issue 19): it
 * is fast but keyless and linear, and deterministically misses some
 * structured changes.
 *
 * Kernel: AVX2 (four 32x32->64 multiplies an instruction, the same shape as
 * the pmuludq loop UMAC was designed for) where the CPU has it, scalar
 * otherwise; both compute the same value (a test checks), --sopt path= forces
 * one.
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/random.h>
#if defined(__x86_64__)
#include <immintrin.h>
#endif

#include "core/bitmap.h"
#include "core/strategy.h"
#include "strategies/memhash.h"

/* The Toeplitz shift of the second iteration: one pair, as in UMAC's NH-T. */
#define NH_SHIFT 2

struct nh_line;

struct memhash_priv {
	uint8_t *copy;                  /* the consumer's copy of VRAM */
	struct memhash_value *hash;     /* per tile, of the copy */
	struct nh_lanes *band;          /* per tile column, the band being read */
	uint32_t *key;
	size_t key_words;
	uint32_t row_words;             /* key words a tile scanline uses: tile_w rounded up to 8 */
	void (*nh)(struct nh_lanes *acc, const struct nh_line *l);
	const char *path;
	bool tile_order;                /* AVX2: hash tile by tile (order=tile) */
	uint64_t changed_tiles;
};

/* One scanline's run of every tile column. A tile's scanline of w pixels is
 * hashed as round_up(w, 8) words, the missing ones 0: every tile is still
 * one fixed-length message, which is all NH's bound asks, and the AVX2
 * kernel does a tile of any width in whole vectors (a masked load for the
 * tail, which never reads past the tile). */
struct nh_line {
	const uint32_t *pixels;         /* the scanline */
	const uint32_t *key;            /* the key row of this scanline within its tile */
	uint32_t cols, tile_w, last_w;  /* tile columns; pixels in each, in the last */
	const uint32_t *end;            /* the buffer's end: no read goes past it */
};

static inline uint64_t nh_pair(uint32_t a, uint32_t b, uint32_t ka, uint32_t kb)
{
	return (uint64_t)(uint32_t)(a + ka) * (uint32_t)(b + kb);
}

/* Scalar: the same sums, in lane 0 (the value is the sum of the lanes). */
static void nh_line_scalar(struct nh_lanes *acc, const struct nh_line *l)
{
	for (uint32_t c = 0; c < l->cols; c++) {
		const uint32_t *m = l->pixels + (size_t)c * l->tile_w;
		uint32_t w = c + 1 < l->cols ? l->tile_w : l->last_w, padded = (w + 7) & ~7u;
		uint64_t a0 = 0, a1 = 0;

		for (uint32_t i = 0; i < padded; i += 2) {
			uint32_t x = i < w ? m[i] : 0, y = i + 1 < w ? m[i + 1] : 0;

			a0 += nh_pair(x, y, l->key[i], l->key[i + 1]);
			a1 += nh_pair(x, y, l->key[i + NH_SHIFT], l->key[i + 1 + NH_SHIFT]);
		}
		acc[c].lane[0][0] += a0;
		acc[c].lane[1][0] += a1;
	}
}

#if defined(__x86_64__)
__attribute__((target("avx2")))
static inline void nh_vec(__m256i d, const uint32_t *k, __m256i *a0, __m256i *a1)
{
	__m256i t0 = _mm256_add_epi32(d, _mm256_loadu_si256((const __m256i *)k));
	__m256i t1 = _mm256_add_epi32(d, _mm256_loadu_si256((const __m256i *)(k + NH_SHIFT)));

	/* pmuludq multiplies each 64-bit lane's low words: word 2j by 2j+1. */
	*a0 = _mm256_add_epi64(*a0, _mm256_mul_epu32(t0, _mm256_srli_epi64(t0, 32)));
	*a1 = _mm256_add_epi64(*a1, _mm256_mul_epu32(t1, _mm256_srli_epi64(t1, 32)));
}

/* The tail of a tile's scanline: n < 8 words, the rest of the vector 0. A
 * plain load and a mask where a whole vector's read stays inside the buffer
 * (all but the last few pixels of it); a masked load there. */
__attribute__((target("avx2")))
static inline __m256i tail_load(const uint32_t *m, uint32_t n, bool overread_ok)
{
	__m256i mask = _mm256_cmpgt_epi32(_mm256_set1_epi32((int)n), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));

	if (overread_ok)
		return _mm256_and_si256(_mm256_loadu_si256((const __m256i *)m), mask);
	return _mm256_maskload_epi32((const int *)m, mask);
}

__attribute__((target("avx2")))
static void nh_line_avx2(struct nh_lanes *acc, const struct nh_line *l)
{
	for (uint32_t c = 0; c < l->cols; c++) {
		const uint32_t *m = l->pixels + (size_t)c * l->tile_w;
		uint32_t w = c + 1 < l->cols ? l->tile_w : l->last_w, i = 0;
		__m256i a0 = _mm256_loadu_si256((const __m256i *)acc[c].lane[0]);
		__m256i a1 = _mm256_loadu_si256((const __m256i *)acc[c].lane[1]);

		for (; i + 8 <= w; i += 8)
			nh_vec(_mm256_loadu_si256((const __m256i *)(m + i)), l->key + i, &a0, &a1);
		if (i < w)
			nh_vec(tail_load(m + i, w - i, m + i + 8 <= l->end), l->key + i, &a0, &a1);
		_mm256_storeu_si256((__m256i *)acc[c].lane[0], a0);
		_mm256_storeu_si256((__m256i *)acc[c].lane[1], a1);
	}
}


/* A whole tile, scanline after scanline, its lanes in registers throughout
 * (order=tile): a line-major pass saves and reloads every tile's lanes at
 * every scanline (64 tiles a line at 1920x1080 in the seed's strips). Measured
 * here it is slower all the same: a band's scanlines become as many streams
 * at a 7680-byte stride, which the prefetchers follow worse than one. */
__attribute__((target("avx2")))
static void nh_tile_avx2(struct nh_lanes *acc, const uint32_t *m, size_t stride_px, uint32_t lines,
			 const uint32_t *key, uint32_t row_words, uint32_t w, const uint32_t *end)
{
	__m256i a0 = _mm256_setzero_si256(), a1 = _mm256_setzero_si256();
	uint32_t full = w & ~7u;

	for (uint32_t y = 0; y < lines; y++, m += stride_px, key += row_words) {
		uint32_t i = 0;

		for (; i < full; i += 8)
			nh_vec(_mm256_loadu_si256((const __m256i *)(m + i)), key + i, &a0, &a1);
		if (i < w)
			nh_vec(tail_load(m + i, w - i, m + i + 8 <= end), key + i, &a0, &a1);
	}
	_mm256_storeu_si256((__m256i *)acc->lane[0], a0);
	_mm256_storeu_si256((__m256i *)acc->lane[1], a1);
}

/* One tile's scanline copied from src to dst and hashed from the very
 * vectors stored: the hash is of the bytes now in the copy, with one read
 * of VRAM. The tail is stored masked: a neighbour's copy is never touched. */
__attribute__((target("avx2")))
static void nh_copy_avx2(struct nh_lanes *acc, uint32_t *dst, const uint32_t *src, const uint32_t *key,
			 uint32_t w)
{
	__m256i a0 = _mm256_loadu_si256((const __m256i *)acc->lane[0]);
	__m256i a1 = _mm256_loadu_si256((const __m256i *)acc->lane[1]);
	uint32_t i = 0;

	for (; i + 8 <= w; i += 8) {
		__m256i d = _mm256_loadu_si256((const __m256i *)(src + i));

		_mm256_storeu_si256((__m256i *)(dst + i), d);
		nh_vec(d, key + i, &a0, &a1);
	}
	if (i < w) {
		__m256i mask = _mm256_cmpgt_epi32(_mm256_set1_epi32((int)(w - i)),
						  _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
		__m256i d = _mm256_maskload_epi32((const int *)(src + i), mask);

		_mm256_maskstore_epi32((int *)(dst + i), mask, d);
		nh_vec(d, key + i, &a0, &a1);
	}
	_mm256_storeu_si256((__m256i *)acc->lane[0], a0);
	_mm256_storeu_si256((__m256i *)acc->lane[1], a1);
}
#endif

static struct memhash_value nh_value(const struct nh_lanes *acc)
{
	struct memhash_value v = { { 0, 0 } };

	for (int l = 0; l < 4; l++)
		v.h[0] += acc->lane[0][l], v.h[1] += acc->lane[1][l];
	return v;
}

/* Scanline y of tile columns [c0, c0 + n) of buf, into acc[0 .. n). */
static void hash_line(const struct memhash_priv *p, const struct fb_geometry *g, const uint8_t *buf,
		      uint32_t y, uint32_t c0, uint32_t n, struct nh_lanes *acc)
{
	struct nh_line l = {
		.pixels = (const uint32_t *)(buf + (size_t)y * g->stride) + (size_t)c0 * g->tile_w,
		.key = p->key + (size_t)(y % g->tile_h) * p->row_words,
		.cols = n, .tile_w = g->tile_w,
		.last_w = c0 + n < g->cols ? g->tile_w : g->width - (g->cols - 1) * g->tile_w,
		.end = (const uint32_t *)(buf + g->bytes),
	};

	p->nh(acc, &l);
}

struct memhash_value memhash_tile(const struct strategy *s, const uint8_t *buf, size_t tile)
{
	const struct memhash_priv *p = s->priv;
	const struct fb_geometry *g = s->geo;
	uint32_t row = (uint32_t)(tile / g->cols), c = (uint32_t)(tile % g->cols);
	uint32_t y1 = (row + 1) * g->tile_h < g->height ? (row + 1) * g->tile_h : g->height;
	struct nh_lanes acc;

	memset(&acc, 0, sizeof(acc));
	for (uint32_t y = row * g->tile_h; y < y1; y++)
		hash_line(p, g, buf, y, c, 1, &acc);
	return nh_value(&acc);
}

static const struct strategy_option_spec memhash_options[] = {
	{ .name = "path", .type = STRATEGY_OPT_ENUM, .def = "auto",
	  .values = (const char *const[]){ "auto", "avx2", "scalar", NULL },
	  .help = "hash kernel; auto: AVX2 where the CPU has it (both give the same hash)" },
	{ .name = "order", .type = STRATEGY_OPT_ENUM, .def = "line",
	  .values = (const char *const[]){ "line", "tile", NULL },
	  .help = "AVX2 read order: scanline by scanline (VRAM in address order), or tile by tile "
		  "(lanes in registers, one stream a scanline of the band: slower here)" },
	{ .name = NULL },
};

static int pick_kernel(struct strategy *s, struct memhash_priv *p)
{
	const char *want = strategy_opt_str(s, "path");

#if defined(__x86_64__)
	__builtin_cpu_init();
	if (!strcmp(want, "auto") || !strcmp(want, "avx2")) {
		if (__builtin_cpu_supports("avx2")) {
			p->nh = nh_line_avx2, p->path = "avx2";
			p->tile_order = !strcmp(strategy_opt_str(s, "order"), "tile");
			return 0;
		}
		if (!strcmp(want, "avx2")) {
			snprintf(s->error, sizeof(s->error), "memhash path=avx2: this CPU lacks AVX2");
			return -1;
		}
	}
#else
	if (!strcmp(want, "avx2")) {
		snprintf(s->error, sizeof(s->error), "memhash path=avx2: not built for this CPU architecture");
		s->bad_input = true;
		return -1;
	}
#endif
	p->nh = nh_line_scalar, p->path = "scalar";
	return 0;
}

/* A fresh random key every run: the guest cannot aim at a collision with a
 * key it never sees. */
static int draw_key(struct strategy *s, struct memhash_priv *p)
{
	size_t bytes = p->key_words * sizeof(uint32_t);

	for (size_t got = 0; got < bytes;) {
		ssize_t n = getrandom((uint8_t *)p->key + got, bytes - got, 0);

		if (n < 0) {
			snprintf(s->error, sizeof(s->error), "memhash: getrandom for the hash key failed");
			return -1;
		}
		got += (size_t)n;
	}
	return 0;
}

static int memhash_init(struct strategy *s)
{
	const struct fb_geometry *g = s->geo;
	struct memhash_priv *p = calloc(1, sizeof(*p));
	size_t len = (g->bytes + (2u << 20) - 1) & ~(size_t)((2u << 20) - 1);

	if (!p)
		return -1;
	s->priv = p;
	if (pick_kernel(s, p))
		return -1;
	p->row_words = (g->tile_w + 7) & ~7u;
	p->key_words = (size_t)p->row_words * g->tile_h + NH_SHIFT;     /* + the second iteration's shift */
	p->key = calloc(p->key_words, sizeof(uint32_t));
	p->hash = calloc(g->ntiles, sizeof(*p->hash));
	p->band = calloc(g->cols, sizeof(*p->band));
	p->copy = aligned_alloc(2u << 20, len);
	if (!p->key || !p->hash || !p->band || !p->copy)
		return -1;
	(void)madvise(p->copy, len, MADV_HUGEPAGE);      /* advisory: fine if refused */
	s->memory_bytes = len + g->ntiles * sizeof(*p->hash) + p->key_words * sizeof(uint32_t) +
			  g->cols * sizeof(*p->band);
	return draw_key(s, p);
}

static int memhash_start(struct strategy *s)
{
	struct memhash_priv *p = s->priv;

	memcpy(p->copy, s->be->vram, s->geo->bytes);
	for (size_t t = 0; t < s->geo->ntiles; t++)
		p->hash[t] = memhash_tile(s, p->copy, t);
	return 0;
}

/* A changed tile: into the consumer's copy, then its hash from the copy. */
static void take_tile(struct strategy *s, struct memhash_priv *p, size_t tile, uint32_t y0, uint32_t y1)
{
	const struct fb_geometry *g = s->geo;
	uint32_t c = (uint32_t)(tile % g->cols);
	size_t x = (size_t)c * g->tile_w * FB_BYTES_PER_PIXEL;
	size_t n = c + 1 < g->cols ? (size_t)g->tile_w * FB_BYTES_PER_PIXEL : g->stride - x;

#if defined(__x86_64__)
	if (p->nh == nh_line_avx2) {
		struct nh_lanes acc;

		memset(&acc, 0, sizeof(acc));
		for (uint32_t y = y0; y < y1; y++)
			nh_copy_avx2(&acc, (uint32_t *)(void *)(p->copy + (size_t)y * g->stride + x),
				     (const uint32_t *)(const void *)(s->be->vram + (size_t)y * g->stride + x),
				     p->key + (size_t)(y - y0) * p->row_words, (uint32_t)(n / FB_BYTES_PER_PIXEL));
		p->hash[tile] = nh_value(&acc);
		return;
	}
#endif
	for (uint32_t y = y0; y < y1; y++)
		memcpy(p->copy + (size_t)y * g->stride + x, s->be->vram + (size_t)y * g->stride + x, n);
	p->hash[tile] = memhash_tile(s, p->copy, tile);
}

/* One band of tiles, read once, scanline by scanline (VRAM in address
 * order, which the prefetchers stream), each tile's lanes carried across
 * the band's scanlines. */
/* A band's hashes, tile by tile (AVX2, order=tile), else scanline by scanline. */
static void hash_band(const struct memhash_priv *p, const struct fb_geometry *g, const uint8_t *vram,
		      uint32_t y0, uint32_t y1)
{
#if defined(__x86_64__)
	if (p->tile_order) {
		const uint32_t *end = (const uint32_t *)(const void *)(vram + g->bytes);

		for (uint32_t c = 0; c < g->cols; c++)
			nh_tile_avx2(&p->band[c], (const uint32_t *)(const void *)(vram + (size_t)y0 * g->stride) +
				     (size_t)c * g->tile_w, g->stride / FB_BYTES_PER_PIXEL, y1 - y0, p->key,
				     p->row_words, c + 1 < g->cols ? g->tile_w : g->width - c * g->tile_w, end);
		return;
	}
#endif
	memset(p->band, 0, g->cols * sizeof(*p->band));
	for (uint32_t y = y0; y < y1; y++)
		hash_line(p, g, vram, y, 0, g->cols, p->band);
}

static int memhash_scan(struct strategy *s, struct dirty_set *out)
{
	struct memhash_priv *p = s->priv;
	const struct fb_geometry *g = s->geo;

	for (uint32_t row = 0; row < g->rows; row++) {
		uint32_t y0 = row * g->tile_h;
		uint32_t y1 = y0 + g->tile_h < g->height ? y0 + g->tile_h : g->height;

		hash_band(p, g, s->be->vram, y0, y1);
		for (uint32_t c = 0; c < g->cols; c++) {
			size_t tile = (size_t)row * g->cols + c;
			struct memhash_value v = nh_value(&p->band[c]);

			if (v.h[0] == p->hash[tile].h[0] && v.h[1] == p->hash[tile].h[1])
				continue;
			take_tile(s, p, tile, y0, y1);
			bitmap_set(out->tiles, tile);
			p->changed_tiles++;
		}
	}
	return 0;
}

static void memhash_fini(struct strategy *s)
{
	struct memhash_priv *p = s->priv;

	if (p) {
		free(p->copy);
		free(p->hash);
		free(p->band);
		free(p->key);
		free(p);
	}
	s->priv = NULL;
}

static void memhash_report(struct strategy *s, json_t *obj)
{
	struct memhash_priv *p = s->priv;

	json_object_set_new(obj, "hash", json_string("NH (UMAC), 2 Toeplitz iterations, random key per run"));
	json_object_set_new(obj, "hash_path", json_string(p->path));
	json_object_set_new(obj, "read_order", json_string(p->tile_order ? "tile" : "line"));
	json_object_set_new(obj, "hash_bytes_per_tile", json_integer((json_int_t)sizeof(*p->hash)));
	json_object_set_new(obj, "collision_bound_log2", json_integer(-64));
	json_object_set_new(obj, "consumer_copy_bytes", json_integer((json_int_t)s->geo->bytes));
	json_object_set_new(obj, "changed_tiles", json_integer((json_int_t)p->changed_tiles));
}

/* The consumer's copy: what the oracle's "already equal" excuse compares
 * VRAM with (a content strategy's consumer lost nothing when its copy
 * already equals VRAM), as for memcmp's shadow. */
static const uint8_t *memhash_copy(struct strategy *s)
{
	return ((struct memhash_priv *)s->priv)->copy;
}

const struct strategy_ops strategy_memhash = {
	.name = "memhash",
	.description = "one read of VRAM a round: a keyed 128-bit NH hash per tile (collision <= 2^-64), "
		       "changed tiles copied to the consumer and hashed from its copy",
	.init = memhash_init,
	.start = memhash_start,
	.scan = memhash_scan,
	.fini = memhash_fini,
	.options = memhash_options,
	.report = memhash_report,
	.shadow = memhash_copy,
};
