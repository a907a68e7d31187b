/*
 * 32 bpp drawing primitives with exact damage (see gfx.h). All clipping is
 * done in 64-bit arithmetic so that no combination of int32_t coordinates
 * and sizes can overflow.
 */
#include "gfx.h"

#include "font8x16.h"

/* Rows at least this wide are filled with 64-bit stores, two pixels each. */
#define GFX_WIDE_FILL 8

/* A 64-bit view of pixel memory; may_alias because the same memory is read
 * and written as uint32_t elsewhere. */
typedef uint64_t gfx_u64 __attribute__((may_alias));

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

static void gfx_declare(const struct gfx_box *b)
{
	rt_damage(b->x, b->y, b->w, b->h);
}

static void gfx_fill_row(uint32_t *p, uint32_t n, uint32_t color)
{
	if (n < GFX_WIDE_FILL) {
		for (uint32_t i = 0; i < n; i++)
			p[i] = color;
		return;
	}
	if ((uintptr_t)p & 4) {
		*p++ = color;   /* align to 8 bytes for the 64-bit stores */
		n--;
	}
	gfx_u64 *q = (gfx_u64 *)p;
	uint64_t pair = (uint64_t)color << 32 | color;
	for (uint32_t i = 0; i < n / 2; i++)
		q[i] = pair;
	if (n & 1)
		p[n - 1] = color;
}

static void gfx_fill_box(struct fb *fb, const struct gfx_box *b, uint32_t color)
{
	for (uint32_t row = 0; row < b->h; row++)
		gfx_fill_row(gfx_pixel_ptr(fb, b->x, b->y + row), b->w, color);
	gfx_declare(b);
}

void gfx_fill_rect(struct fb *fb, int32_t x, int32_t y, int32_t w, int32_t h,
		   uint32_t color)
{
	struct gfx_box b;
	if (gfx_clip(fb, x, y, w, h, &b))
		gfx_fill_box(fb, &b, color);
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

/* Draw the part of the glyph cell at (x, y) that lies in clip, declaring
 * nothing: the callers declare once for a whole cell or string. */
static void gfx_glyph_clipped(struct fb *fb, int64_t x, int64_t y,
			      const struct gfx_box *clip, char c,
			      uint32_t fg, uint32_t bg)
{
	struct gfx_box b;
	if (!gfx_clip_span(x, GFX_GLYPH_W, clip->x, (int64_t)clip->x + clip->w, &b.x, &b.w) ||
	    !gfx_clip_span(y, GFX_GLYPH_H, clip->y, (int64_t)clip->y + clip->h, &b.y, &b.h))
		return;
	const uint8_t *glyph = gfx_glyph_bits(c);
	uint32_t ox = (uint32_t)(b.x - x), oy = (uint32_t)(b.y - y);
	for (uint32_t row = 0; row < b.h; row++) {
		uint32_t bits = (uint32_t)glyph[oy + row] << ox;
		uint32_t *p = gfx_pixel_ptr(fb, b.x, b.y + row);
		for (uint32_t col = 0; col < b.w; col++, bits <<= 1)
			p[col] = (bits & 0x80) ? fg : bg;
	}
}

void gfx_draw_glyph(struct fb *fb, int32_t x, int32_t y, char c, uint32_t fg,
		    uint32_t bg)
{
	struct gfx_box b;
	if (!gfx_clip(fb, x, y, GFX_GLYPH_W, GFX_GLYPH_H, &b))
		return;
	gfx_glyph_clipped(fb, x, y, &b, c, fg, bg);
	gfx_declare(&b);
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
	int64_t end = (int64_t)x + (int64_t)len * GFX_GLYPH_W;
	struct gfx_box b;
	if (!gfx_clip_span(x, end - x, 0, fb->width, &b.x, &b.w) ||
	    !gfx_clip_span(y, GFX_GLYPH_H, 0, fb->height, &b.y, &b.h))
		return gfx_saturate(end);
	/* Only the cells that reach the screen: from the one holding b.x on. */
	size_t first = (size_t)(((int64_t)b.x - x) / GFX_GLYPH_W);
	for (size_t i = first; i < len; i++) {
		int64_t cx = (int64_t)x + (int64_t)i * GFX_GLYPH_W;
		if (cx >= (int64_t)b.x + b.w)
			break;
		gfx_glyph_clipped(fb, cx, y, &b, s[i], fg, bg);
	}
	gfx_declare(&b);
	return gfx_saturate(end);
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
	if (!gfx_clip(fb, x, y, w, h, &b))
		return;
	const uint32_t *from = src + (size_t)((int64_t)b.y - y) * src_stride_px +
			       (size_t)((int64_t)b.x - x);
	for (uint32_t row = 0; row < b.h; row++)
		rt_memcpy(gfx_pixel_ptr(fb, b.x, b.y + row),
			  from + (size_t)row * src_stride_px, (size_t)b.w * 4);
	gfx_declare(&b);
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
	if (!gfx_copy_span(dst_x, src_x, w, fb->width, &ox, &cw) ||
	    !gfx_copy_span(dst_y, src_y, h, fb->height, &oy, &ch))
		return;
	uint32_t sx = (uint32_t)(src_x + (int64_t)ox), sy = (uint32_t)(src_y + (int64_t)oy);
	struct gfx_box d = { (uint32_t)(dst_x + (int64_t)ox),
			     (uint32_t)(dst_y + (int64_t)oy), cw, ch };
	/* Moving down, copy the bottom row first so no source row is
	 * overwritten before it is read; memmove handles overlap within a row. */
	bool bottom_up = d.y > sy;
	for (uint32_t i = 0; i < ch; i++) {
		uint32_t row = bottom_up ? ch - 1 - i : i;
		rt_memmove(gfx_pixel_ptr(fb, d.x, d.y + row),
			   gfx_pixel_ptr(fb, sx, sy + row), (size_t)cw * 4);
	}
	gfx_declare(&d);
}
