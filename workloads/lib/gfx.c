/*
 * 32 bpp drawing primitives with exact damage (see gfx.h). Every primitive
 * compares while it writes: a pixel that already holds its new value is
 * neither written nor declared, so content-based strategies and the oracle
 * agree on what changed. All clipping is done in 64-bit arithmetic so that no
 * combination of int32_t coordinates and sizes can overflow.
 */
#include "workloads/lib/gfx.h"

#include "font8x16.h"

/* Runs of one row that can be merged with the next row's; further runs are
 * declared one row high. A row of text has up to four runs per glyph, so
 * this covers 256 glyphs (2048 pixels); 32 KiB of stack per call. */
#define GFX_RUNS_MAX 1024
/* Pixels of a text row expanded into a buffer at a time. */
#define GFX_TEXT_CHUNK 256

/* 64- and 128-bit views of pixel memory: may_alias because the same memory
 * is read and written as uint32_t, aligned(4) because a row may start at any
 * pixel. The 128-bit one is a GCC vector (SSE2, baseline x86-64, enabled in
 * the guest): four pixels compared in one instruction. */
typedef uint64_t gfx_u64 __attribute__((may_alias, aligned(4)));
typedef uint32_t gfx_v4 __attribute__((vector_size(16), may_alias, aligned(4)));
typedef uint64_t gfx_v2 __attribute__((vector_size(16)));
typedef float gfx_v4f __attribute__((vector_size(16)));

/* Intersect [pos, pos + len) with [lo, hi). */
static bool gfx_clip_span(int64_t pos, int64_t len, int64_t lo, int64_t hi,
			  uint32_t *out_pos, uint32_t *out_len)
{
	int64_t a = pos, b = pos + len;
	if (a < lo)
		a = lo;
	if (b > hi)
		b = hi;
	if (b <= a)
		return false;
	*out_pos = (uint32_t)a;
	*out_len = (uint32_t)(b - a);
	return true;
}

bool gfx_clip(const struct fb *fb, int32_t x, int32_t y, int32_t w, int32_t h,
	      struct gfx_box *out)
{
	return gfx_clip_span(x, w, 0, fb->width, &out->x, &out->w) &&
	       gfx_clip_span(y, h, 0, fb->height, &out->y, &out->h);
}

/* --- damage: runs of changed pixels, merged down the rows ----------------- */

/*
 * One primitive call's damage. Each row's maximal runs of changed pixels
 * arrive in order (left to right, or right to left when `reverse`); at the
 * end of a row, a run with the same x and w as a rectangle that reached the
 * row before (the row after when `upward`) extends it, so a fully changed
 * w x h area is declared as one rectangle. Rectangles nothing extends are
 * declared at once.
 */
struct gfx_damage {
	uint32_t row;                   /* the row cur belongs to */
	bool upward, reverse;
	unsigned ncur, nopen;
	struct gfx_box *cur, *open;     /* this row's runs; rects open below, by x */
	struct gfx_box buf[2][GFX_RUNS_MAX];
};

static void gfx_damage_start(struct gfx_damage *d, bool upward, bool reverse)
{
	d->row = UINT32_MAX;
	d->upward = upward;
	d->reverse = reverse;
	d->ncur = d->nopen = 0;
	d->cur = d->buf[0];
	d->open = d->buf[1];
}

static void gfx_declare(const struct gfx_box *b)
{
	rt_damage(b->x, b->y, b->w, b->h);
}

/* Does the row's run c continue the open rectangle o? */
static bool gfx_damage_extends(const struct gfx_damage *d, const struct gfx_box *o,
			       const struct gfx_box *c)
{
	if (o->x != c->x || o->w != c->w)
		return false;
	return d->upward ? o->y == c->y + 1 : o->y + o->h == c->y;
}

static void gfx_damage_reverse_row(struct gfx_damage *d)
{
	for (unsigned i = 0, j = d->ncur - 1; i < j; i++, j--) {
		struct gfx_box t = d->cur[i];
		d->cur[i] = d->cur[j];
		d->cur[j] = t;
	}
}

/* Merge the finished row into the open rectangles: both lists are sorted by
 * x and free of overlap, so one pass pairs them up. */
static void gfx_damage_end_row(struct gfx_damage *d)
{
	if (d->reverse && d->ncur > 1)
		gfx_damage_reverse_row(d);
	unsigned i = 0;
	for (unsigned j = 0; j < d->ncur; j++) {
		struct gfx_box *c = &d->cur[j];
		while (i < d->nopen && d->open[i].x < c->x)
			gfx_declare(&d->open[i++]);
		if (i < d->nopen && gfx_damage_extends(d, &d->open[i], c)) {
			uint32_t y = d->upward ? c->y : d->open[i].y;
			*c = d->open[i++];
			c->y = y;
			c->h++;
		}
	}
	while (i < d->nopen)
		gfx_declare(&d->open[i++]);
	struct gfx_box *t = d->open;
	d->open = d->cur;
	d->nopen = d->ncur;
	d->cur = t;
	d->ncur = 0;
}

/* Pixels [x, x + w) of row y changed. */
static void gfx_damage_run(struct gfx_damage *d, uint32_t x, uint32_t y, uint32_t w)
{
	if (y != d->row) {
		gfx_damage_end_row(d);
		d->row = y;
	}
	if (d->ncur) {
		/* A run cut by a chunk boundary continues the last one. */
		struct gfx_box *last = &d->cur[d->ncur - 1];
		if (!d->reverse && last->x + last->w == x) {
			last->w += w;
			return;
		}
		if (d->reverse && x + w == last->x) {
			last->x = x;
			last->w += w;
			return;
		}
	}
	if (d->ncur == GFX_RUNS_MAX)
		gfx_declare(&d->cur[--d->ncur]);
	d->cur[d->ncur++] = (struct gfx_box){ x, y, w, 1 };
}

static void gfx_damage_finish(struct gfx_damage *d)
{
	gfx_damage_end_row(d);
	gfx_damage_end_row(d);  /* an empty row closes every open rectangle */
}

/* --- row kernels: compare, write what differs, report the runs ----------- */

static inline uint64_t gfx_pair(uint32_t c)
{
	return (uint64_t)c << 32 | c;
}

/* Both pixels of a 64-bit xor differ: the word can be written whole. */
static inline bool gfx_both_differ(uint64_t x)
{
	return ((uint32_t)x != 0) & ((uint32_t)(x >> 32) != 0);
}

/* Take the lowest run of set bits out of *m: bits [*a, *end). */
static inline bool gfx_next_run(uint64_t *m, uint32_t *a, uint32_t *end)
{
	if (*m == 0)
		return false;
	*a = (uint32_t)__builtin_ctzll(*m);
	uint64_t rest = ~(*m >> *a);
	*end = rest ? *a + (uint32_t)__builtin_ctzll(rest) : 64;
	*m = *end < 64 ? *m & (~0ull << *end) : 0;
	return true;
}

/* Some lane of a vector comparison's result is true. */
static inline bool gfx_any(gfx_v4 m)
{
	gfx_v2 q = (gfx_v2)m;
	return (q[0] | q[1]) != 0;
}

/* From i, the first pixel not already color (n if none): eight pixels per
 * step while they all match. */
static uint32_t gfx_fill_skip(const uint32_t *p, uint32_t i, uint32_t n, uint32_t color)
{
	uint64_t pair = gfx_pair(color);
	for (;;) {
		for (; i + 8 <= n; i += 8) {
			const gfx_v4 *q = (const gfx_v4 *)(p + i);
			if (gfx_any((gfx_v4)(q[0] != color) | (gfx_v4)(q[1] != color)))
				break;
		}
		while (i + 2 <= n && *(const gfx_u64 *)(p + i) == pair)
			i += 2;
		if (i == n || p[i] != color)
			return i;
		i++;
	}
}

/* From i, write color up to the first pixel that already has it, eight
 * pixels per step while none has it. */
static uint32_t gfx_fill_set(uint32_t *p, uint32_t i, uint32_t n, uint32_t color)
{
	uint64_t pair = gfx_pair(color);
	for (;;) {
		for (; i + 8 <= n; i += 8) {
			gfx_v4 *q = (gfx_v4 *)(p + i);
			if (gfx_any((gfx_v4)(q[0] == color) | (gfx_v4)(q[1] == color)))
				break;
			q[0] = q[1] = (gfx_v4){ color, color, color, color };
		}
		while (i + 2 <= n && gfx_both_differ(*(gfx_u64 *)(p + i) ^ pair)) {
			*(gfx_u64 *)(p + i) = pair;
			i += 2;
		}
		if (i == n || p[i] == color)
			return i;
		p[i++] = color;
	}
}

/* Bit k set when p[k] != color, for k < n <= 64. */
static uint64_t gfx_fill_mask(const uint32_t *p, uint32_t color, uint32_t n)
{
	uint64_t m = 0;
	uint32_t k = 0;
	for (; k + 4 <= n; k += 4) {
		gfx_v4 ne = (gfx_v4)(*(const gfx_v4 *)(p + k) != color);
		m |= (uint64_t)__builtin_ia32_movmskps((gfx_v4f)ne) << k;
	}
	for (; k < n; k++)
		m |= (uint64_t)(p[k] != color) << k;
	return m;
}

/* Make p[0..n) all color: see gfx_copy_row, the same against one colour. */
static void gfx_fill_row(struct gfx_damage *d, uint32_t *p, uint32_t x, uint32_t y,
			 uint32_t n, uint32_t color)
{
	uint32_t i = 0;
	while ((i = gfx_fill_skip(p, i, n, color)) < n) {
		uint32_t k = n - i < 64 ? n - i : 64;
		uint64_t m = gfx_fill_mask(p + i, color, k);
		if (m == ~0ull) {
			uint32_t start = i;
			i = gfx_fill_set(p, i, n, color);
			gfx_damage_run(d, x + start, y, i - start);
			continue;
		}
		for (uint32_t a, end; gfx_next_run(&m, &a, &end);) {
			for (uint32_t j = a; j < end; j++)
				p[i + j] = color;
			gfx_damage_run(d, x + i + a, y, end - a);
		}
		i += k;
	}
}

/* The same against a source row s. Going forward, every pixel of s is read
 * before p's store to it, so p may overlap s from below (p < s). */
static uint32_t gfx_copy_skip(const uint32_t *p, const uint32_t *s, uint32_t i, uint32_t n)
{
	for (;;) {
		for (; i + 8 <= n; i += 8) {
			const gfx_v4 *q = (const gfx_v4 *)(p + i), *r = (const gfx_v4 *)(s + i);
			if (gfx_any((gfx_v4)(q[0] != r[0]) | (gfx_v4)(q[1] != r[1])))
				break;
		}
		while (i + 2 <= n && *(const gfx_u64 *)(p + i) == *(const gfx_u64 *)(s + i))
			i += 2;
		if (i == n || p[i] != s[i])
			return i;
		i++;
	}
}

static uint32_t gfx_copy_set(uint32_t *p, const uint32_t *s, uint32_t i, uint32_t n)
{
	for (;;) {
		for (; i + 8 <= n; i += 8) {
			gfx_v4 *q = (gfx_v4 *)(p + i);
			gfx_v4 v0 = ((const gfx_v4 *)(s + i))[0], v1 = ((const gfx_v4 *)(s + i))[1];
			if (gfx_any((gfx_v4)(q[0] == v0) | (gfx_v4)(q[1] == v1)))
				break;
			q[0] = v0;
			q[1] = v1;
		}
		while (i + 2 <= n) {
			uint64_t v = *(const gfx_u64 *)(s + i);
			if (!gfx_both_differ(*(gfx_u64 *)(p + i) ^ v))
				break;
			*(gfx_u64 *)(p + i) = v;
			i += 2;
		}
		if (i == n || p[i] == s[i])
			return i;
		p[i] = s[i];
		i++;
	}
}

/* Bit k set when p[k] != s[k], for k < n <= 64. */
static uint64_t gfx_diff_mask(const uint32_t *p, const uint32_t *s, uint32_t n)
{
	uint64_t m = 0;
	uint32_t k = 0;
	for (; k + 4 <= n; k += 4) {
		gfx_v4 ne = (gfx_v4)(*(const gfx_v4 *)(p + k) != *(const gfx_v4 *)(s + k));
		m |= (uint64_t)__builtin_ia32_movmskps((gfx_v4f)ne) << k;
	}
	for (; k < n; k++)
		m |= (uint64_t)(p[k] != s[k]) << k;
	return m;
}

/* Copy and report the runs of set bits in m (a gfx_diff_mask of p, s).
 * The mask was taken before any store, which stays true while the runs are
 * copied in ascending order with p < s or apart (see gfx_copy_skip). */
static void gfx_copy_runs(struct gfx_damage *d, uint32_t *p, const uint32_t *s,
			  uint32_t x, uint32_t y, uint64_t m)
{
	for (uint32_t a, end; gfx_next_run(&m, &a, &end);) {
		for (uint32_t k = a; k < end; k++)
			p[k] = s[k];
		gfx_damage_run(d, x + a, y, end - a);
	}
}

/* Make p[0..n) equal to s[0..n), reporting the runs that changed. Equal
 * stretches are skipped a vector at a time; where pixels differ, a block of
 * 64 is compared into a bit mask and its runs copied one by one (text:
 * short runs), unless the whole block differs: then it is likely a long run
 * (a scroll, a picture), copied a vector at a time. */
static void gfx_copy_row(struct gfx_damage *d, uint32_t *p, const uint32_t *s,
			 uint32_t x, uint32_t y, uint32_t n)
{
	uint32_t i = 0;
	while ((i = gfx_copy_skip(p, s, i, n)) < n) {
		uint32_t k = n - i < 64 ? n - i : 64;
		uint64_t m = gfx_diff_mask(p + i, s + i, k);
		if (m == ~0ull) {
			uint32_t start = i;
			i = gfx_copy_set(p, s, i, n);
			gfx_damage_run(d, x + start, y, i - start);
			continue;
		}
		gfx_copy_runs(d, p + i, s + i, x + i, y, m);
		i += k;
	}
}

/* Backward versions for p overlapping s from above (p > s, same row): i is
 * the end of what is left, and moves down. */
static uint32_t gfx_copy_skip_back(const uint32_t *p, const uint32_t *s, uint32_t i)
{
	for (;;) {
		for (; i >= 8; i -= 8) {
			const gfx_v4 *q = (const gfx_v4 *)(p + i - 8), *r = (const gfx_v4 *)(s + i - 8);
			if (gfx_any((gfx_v4)(q[0] != r[0]) | (gfx_v4)(q[1] != r[1])))
				break;
		}
		while (i >= 2 && *(const gfx_u64 *)(p + i - 2) == *(const gfx_u64 *)(s + i - 2))
			i -= 2;
		if (i == 0 || p[i - 1] != s[i - 1])
			return i;
		i--;
	}
}

static uint32_t gfx_copy_set_back(uint32_t *p, const uint32_t *s, uint32_t i)
{
	for (;;) {
		for (; i >= 8; i -= 8) {
			gfx_v4 *q = (gfx_v4 *)(p + i - 8);
			gfx_v4 v0 = ((const gfx_v4 *)(s + i - 8))[0], v1 = ((const gfx_v4 *)(s + i - 8))[1];
			if (gfx_any((gfx_v4)(q[0] == v0) | (gfx_v4)(q[1] == v1)))
				break;
			q[1] = v1;
			q[0] = v0;
		}
		while (i >= 2) {
			uint64_t v = *(const gfx_u64 *)(s + i - 2);
			if (!gfx_both_differ(*(gfx_u64 *)(p + i - 2) ^ v))
				break;
			*(gfx_u64 *)(p + i - 2) = v;
			i -= 2;
		}
		if (i == 0 || p[i - 1] == s[i - 1])
			return i;
		p[i - 1] = s[i - 1];
		i--;
	}
}

static void gfx_copy_row_back(struct gfx_damage *d, uint32_t *p, const uint32_t *s,
			      uint32_t x, uint32_t y, uint32_t n)
{
	uint32_t i = n;
	while ((i = gfx_copy_skip_back(p, s, i)) > 0) {
		uint32_t end = i;
		i = gfx_copy_set_back(p, s, i);
		gfx_damage_run(d, x + i, y, end - i);
	}
}

/* --- primitives ------------------------------------------------------------ */

void gfx_fill_rect(struct fb *fb, int32_t x, int32_t y, int32_t w, int32_t h,
		   uint32_t color)
{
	struct gfx_box b;
	struct gfx_damage d;
	if (!gfx_clip(fb, x, y, w, h, &b))
		return;
	gfx_damage_start(&d, false, false);
	for (uint32_t row = b.y; row < b.y + b.h; row++)
		gfx_fill_row(&d, gfx_pixel_ptr(fb, b.x, row), b.x, row, b.w, color);
	gfx_damage_finish(&d);
}

void gfx_put_pixel(struct fb *fb, int32_t x, int32_t y, uint32_t color)
{
	gfx_fill_rect(fb, x, y, 1, 1, color);
}

void gfx_hline(struct fb *fb, int32_t x, int32_t y, int32_t w, uint32_t color)
{
	gfx_fill_rect(fb, x, y, w, 1, color);
}

void gfx_vline(struct fb *fb, int32_t x, int32_t y, int32_t h, uint32_t color)
{
	gfx_fill_rect(fb, x, y, 1, h, color);
}

static const uint8_t *gfx_glyph_bits(char c)
{
	unsigned char u = (unsigned char)c;
	return font8x16[u < 128 ? u : '?'];
}

/* Pixels [k, k + n) of glyph row `row` across the string s, k counted from
 * the left edge of its first cell. Whole cells are written as four pixel
 * pairs looked up by two glyph bits at a time. */
static void gfx_text_pixels(uint32_t *out, const char *s, uint64_t k, uint32_t n,
			    uint32_t row, uint32_t fg, uint32_t bg)
{
	const uint64_t pair[4] = { gfx_pair(bg), (uint64_t)fg << 32 | bg,
				   (uint64_t)bg << 32 | fg, gfx_pair(fg) };
	const char *cell = s + k / GFX_GLYPH_W;
	uint32_t col = (uint32_t)(k % GFX_GLYPH_W), i = 0;
	while (i < n) {
		uint32_t bits = gfx_glyph_bits(*cell++)[row];
		if (col == 0 && n - i >= GFX_GLYPH_W) {
			gfx_u64 *q = (gfx_u64 *)(out + i);
			q[0] = pair[bits >> 6];
			q[1] = pair[bits >> 4 & 3];
			q[2] = pair[bits >> 2 & 3];
			q[3] = pair[bits & 3];
			i += GFX_GLYPH_W;
			continue;
		}
		for (; col < GFX_GLYPH_W && i < n; col++, i++)
			out[i] = bits & (0x80u >> col) ? fg : bg;
		col = 0;
	}
}

/* len cells of s from (x, y), NULs included (they draw blank). Returns the
 * x just after the last cell, in 64 bits. */
static int64_t gfx_text(struct fb *fb, int32_t x, int32_t y, const char *s, size_t len,
			uint32_t fg, uint32_t bg)
{
	int64_t end = (int64_t)x + (int64_t)len * GFX_GLYPH_W;
	struct gfx_box b;
	struct gfx_damage d;
	uint32_t buf[GFX_TEXT_CHUNK];
	if (!gfx_clip_span(x, end - x, 0, fb->width, &b.x, &b.w) ||
	    !gfx_clip_span(y, GFX_GLYPH_H, 0, fb->height, &b.y, &b.h))
		return end;
	gfx_damage_start(&d, false, false);
	uint64_t k0 = (uint64_t)((int64_t)b.x - x);
	for (uint32_t row = b.y; row < b.y + b.h; row++) {
		uint32_t glyph_row = (uint32_t)((int64_t)row - y);
		for (uint32_t i = 0; i < b.w; i += GFX_TEXT_CHUNK) {
			uint32_t n = b.w - i < GFX_TEXT_CHUNK ? b.w - i : GFX_TEXT_CHUNK;
			gfx_text_pixels(buf, s, k0 + i, n, glyph_row, fg, bg);
			gfx_copy_row(&d, gfx_pixel_ptr(fb, b.x + i, row), buf, b.x + i, row, n);
		}
	}
	gfx_damage_finish(&d);
	return end;
}

void gfx_render_text(uint32_t *buf, uint32_t stride_px, const char *s, size_t len,
		     uint32_t fg, uint32_t bg)
{
	RT_ASSERT(len <= UINT32_MAX / GFX_GLYPH_W);
	for (uint32_t row = 0; row < GFX_GLYPH_H; row++)
		gfx_text_pixels(buf + (size_t)row * stride_px, s, 0, (uint32_t)len * GFX_GLYPH_W,
				row, fg, bg);
}

void gfx_draw_glyph(struct fb *fb, int32_t x, int32_t y, char c, uint32_t fg,
		    uint32_t bg)
{
	gfx_text(fb, x, y, &c, 1, fg, bg);
}

static int32_t gfx_saturate(int64_t v)
{
	return v > INT32_MAX ? INT32_MAX : v < INT32_MIN ? INT32_MIN : (int32_t)v;
}

int32_t gfx_draw_textn(struct fb *fb, int32_t x, int32_t y, const char *s,
		       size_t n, uint32_t fg, uint32_t bg)
{
	size_t len = 0;
	while (len < n && s[len])
		len++;
	return gfx_saturate(gfx_text(fb, x, y, s, len, fg, bg));
}

int32_t gfx_draw_text(struct fb *fb, int32_t x, int32_t y, const char *s,
		      uint32_t fg, uint32_t bg)
{
	return gfx_draw_textn(fb, x, y, s, (size_t)-1, fg, bg);
}

void gfx_blit(struct fb *fb, int32_t x, int32_t y, int32_t w, int32_t h,
	      const uint32_t *src, uint32_t src_stride_px)
{
	struct gfx_box b;
	struct gfx_damage d;
	if (!gfx_clip(fb, x, y, w, h, &b))
		return;
	const uint32_t *from = src + (size_t)((int64_t)b.y - y) * src_stride_px +
			       (size_t)((int64_t)b.x - x);
	gfx_damage_start(&d, false, false);
	for (uint32_t row = 0; row < b.h; row++)
		gfx_copy_row(&d, gfx_pixel_ptr(fb, b.x, b.y + row),
			     from + (size_t)row * src_stride_px, b.x, b.y + row, b.w);
	gfx_damage_finish(&d);
}

/* The offsets [lo, lo + n) along one axis for which both src + i and
 * dst + i are on screen. */
static bool gfx_copy_span(int64_t dst, int64_t src, int64_t len, uint32_t limit,
			  uint32_t *lo, uint32_t *n)
{
	int64_t a = 0, b = len;
	if (-src > a)
		a = -src;
	if (-dst > a)
		a = -dst;
	if ((int64_t)limit - src < b)
		b = (int64_t)limit - src;
	if ((int64_t)limit - dst < b)
		b = (int64_t)limit - dst;
	if (b <= a)
		return false;
	*lo = (uint32_t)a;
	*n = (uint32_t)(b - a);
	return true;
}

void gfx_copy_rect(struct fb *fb, int32_t dst_x, int32_t dst_y, int32_t src_x,
		   int32_t src_y, int32_t w, int32_t h)
{
	uint32_t ox, oy, cw, ch;
	struct gfx_damage d;
	if (!gfx_copy_span(dst_x, src_x, w, fb->width, &ox, &cw) ||
	    !gfx_copy_span(dst_y, src_y, h, fb->height, &oy, &ch))
		return;
	uint32_t sx = (uint32_t)(src_x + (int64_t)ox), sy = (uint32_t)(src_y + (int64_t)oy);
	uint32_t dx = (uint32_t)(dst_x + (int64_t)ox), dy = (uint32_t)(dst_y + (int64_t)oy);
	/* Moving down, do the bottom row first so no source row is overwritten
	 * before it is read; moving right within the same rows, go right to
	 * left. Either way each destination pixel is compared with its source
	 * before anything else touches either. */
	bool bottom_up = dy > sy, backward = dy == sy && dx > sx;
	gfx_damage_start(&d, bottom_up, backward);
	for (uint32_t i = 0; i < ch; i++) {
		uint32_t row = bottom_up ? ch - 1 - i : i;
		uint32_t *p = gfx_pixel_ptr(fb, dx, dy + row);
		const uint32_t *s = gfx_pixel_ptr(fb, sx, sy + row);
		if (backward)
			gfx_copy_row_back(&d, p, s, dx, dy + row, cw);
		else
			gfx_copy_row(&d, p, s, dx, dy + row, cw);
	}
	gfx_damage_finish(&d);
}
