/*
 * 32 bpp drawing for workloads. Every primitive clips to the screen, compares
 * each pixel with its new value, writes only those that differ and declares
 * exactly those with rt_damage(): one rectangle per maximal horizontal run of
 * changed pixels in a row, runs with the same x and width in consecutive rows
 * merged (a fully changed w x h area is one rectangle), nothing at all when
 * nothing changed. A workload that draws only through gfx_ has exact damage
 * for free, as long as it does not change a pixel and change it back within
 * one frame. Coordinates are signed: shapes may hang off any edge.
 */
#ifndef DIRTYBENCH_GFX_H
#define DIRTYBENCH_GFX_H

#include "workloads/lib/runtime.h"

#define GFX_GLYPH_W 8
#define GFX_GLYPH_H 16

/* A rectangle clipped to the screen: non-empty and fully on it. */
struct gfx_box {
	uint32_t x, y, w, h;
};

static inline uint32_t gfx_rgb(uint32_t r, uint32_t g, uint32_t b)
{
	return (r & 0xff) << 16 | (g & 0xff) << 8 | (b & 0xff);
}

static inline uint32_t *gfx_pixel_ptr(const struct fb *fb, uint32_t x, uint32_t y)
{
	return fb->pixels + (size_t)y * fb->stride_px + x;
}

/* Clip (x, y, w, h) to the screen; false when nothing of it is on screen
 * (including w <= 0 or h <= 0). Declares nothing. */
bool gfx_clip(const struct fb *fb, int32_t x, int32_t y, int32_t w, int32_t h,
	      struct gfx_box *out);

void gfx_fill_rect(struct fb *fb, int32_t x, int32_t y, int32_t w, int32_t h,
		   uint32_t color);
void gfx_put_pixel(struct fb *fb, int32_t x, int32_t y, uint32_t color);
void gfx_hline(struct fb *fb, int32_t x, int32_t y, int32_t w, uint32_t color);
void gfx_vline(struct fb *fb, int32_t x, int32_t y, int32_t h, uint32_t color);

/* One 8x16 cell: all 128 pixels are set, glyph bits in fg, the rest in
 * bg. Codes without a printable glyph (below 0x20, 0x7f) draw blank; codes
 * above 0x7f draw '?'. */
void gfx_draw_glyph(struct fb *fb, int32_t x, int32_t y, char c, uint32_t fg,
		    uint32_t bg);

/* One line of text from (x, y). Returns the x just
 * after the last cell. gfx_draw_textn draws at most n characters of s. */
int32_t gfx_draw_text(struct fb *fb, int32_t x, int32_t y, const char *s,
		      uint32_t fg, uint32_t bg);
int32_t gfx_draw_textn(struct fb *fb, int32_t x, int32_t y, const char *s,
		       size_t n, uint32_t fg, uint32_t bg);

/* Render len cells of s (NULs draw blank) into an off-screen pixel buffer
 * of 16 rows of stride_px pixels, to be put on screen later with gfx_blit.
 * Not a screen write: nothing is declared. */
void gfx_render_text(uint32_t *buf, uint32_t stride_px, const char *s, size_t len,
		     uint32_t fg, uint32_t bg);

/* Copy a w x h block from src (src_stride_px pixels per row) to (x, y). Only
 * the on-screen part is copied; src must not overlap the framebuffer area
 * written (use gfx_copy_rect to move pixels within the screen). */
void gfx_blit(struct fb *fb, int32_t x, int32_t y, int32_t w, int32_t h,
	      const uint32_t *src, uint32_t src_stride_px);

/* Move the w x h rectangle at (src_x, src_y) to (dst_x, dst_y), memmove
 * semantics when the two overlap (e.g. scrolling). Only pixels whose source
 * and destination are both on screen are copied. */
void gfx_copy_rect(struct fb *fb, int32_t dst_x, int32_t dst_y, int32_t src_x,
		   int32_t src_y, int32_t w, int32_t h);

#endif
