/*
 * video: a video player. A playback window (default 1280x720, centred) shows
 * content that behaves like decoded video: gradients that drift across the
 * frame, an 8x8 block grid with per-block DC levels and DCT-like detail, a
 * 16x16 macroblock texture that is reshuffled at every "keyframe", and film
 * grain from the seed. Every pixel of the window changes at the frame rate;
 * below it a progress bar and an mm:ss clock change once a second.
 *
 * Each frame is rendered row by row into a back buffer and presented with
 * one gfx_blit, so the window is one damage rectangle, as a player handing
 * whole frames to the display would produce (a window over 16 MiB goes in
 * bands of rows, one rectangle each, to stay within the guest heap).
 */
#include "workloads/lib/fmt.h"
#include "workloads/lib/gfx.h"
#include "workloads/lib/rng.h"
#include "workloads/workload.h"

#define VIDEO_BLOCK 8
#define VIDEO_MB 16
#define VIDEO_AC_PATTERNS 16
#define VIDEO_GRAIN 64                  /* grain table is 64x64, power of two */
#define VIDEO_KEYFRAME_MS 2000u         /* macroblock texture reshuffles */
#define VIDEO_BACKBUF_MAX (16u << 20)   /* bytes; larger windows go in bands */
#define VIDEO_CTRL_H 24                 /* control strip under the picture */
#define VIDEO_PAD 8
#define VIDEO_BAR_H 6
#define VIDEO_TIME_LEN 13               /* "mm:ss / mm:ss" */
#define VIDEO_BG 0x0c0c0cu
#define VIDEO_CTRL_BG 0x202020u
#define VIDEO_CTRL_FG 0xe0e0e0u
#define VIDEO_BAR_DONE 0xe02020u
#define VIDEO_BAR_LEFT 0x505050u
/* Pixels keep 6 bits per channel; the low 2 carry the frame phase. */
#define VIDEO_CONTENT_MASK 0xfcfcfcu

struct video_state {
	int32_t x, y;                   /* picture's top-left on screen */
	uint32_t w, h;
	uint32_t band_rows;             /* rows rendered per blit */
	uint32_t *band;                 /* w x band_rows back buffer */
	uint32_t *dc;                   /* per block of the current block row */
	uint8_t *pattern;               /* AC pattern of each of those blocks */
	uint32_t ac[VIDEO_AC_PATTERNS][VIDEO_BLOCK * VIDEO_BLOCK];
	uint32_t grain[VIDEO_GRAIN * VIDEO_GRAIN];
	uint64_t seed;
	/* Controls: progress bar [bar_x, bar_x + bar_w), clock at time_x. */
	int32_t ctrl_y, bar_x, bar_y, bar_w, time_x;
	uint32_t duration_s, shown_s, shown_fill;
	char shown_time[VIDEO_TIME_LEN + 1];
};

/* Per-frame picture parameters, all derived from the frame's time. */
struct video_frame {
	uint32_t ms;                    /* playback time */
	uint32_t pan_x, pan_y;          /* scene offset: the camera pans */
	uint32_t gop;                   /* keyframe number */
	uint32_t grain_x, grain_y;      /* grain table offset (grain_x % 8 == 0) */
	uint32_t phase;                 /* low bits of every channel */
};

/* --- content -------------------------------------------------------------- */

static uint32_t video_hash(uint32_t a, uint32_t b, uint32_t c, uint64_t seed)
{
	uint64_t h = seed ^ ((uint64_t)a * 0x9e3779b97f4a7c15ull) ^
		     ((uint64_t)b * 0xc2b2ae3d27d4eb4full) ^ ((uint64_t)c * 0x165667b19e3779f9ull);
	h = (h ^ (h >> 31)) * 0xbf58476d1ce4e5b9ull;
	return (uint32_t)(h >> 32);
}

/* Triangle wave of period 1024 with values 0..255: a gradient that wraps
 * smoothly, with no libm. */
static uint32_t video_tri(uint32_t v)
{
	v &= 1023;
	return (v < 512 ? v : 1023 - v) >> 1;
}

/* round(64 * cos((2x + 1) u pi / 16)): the 8-point DCT-II basis, u < 4. */
static const int8_t video_cos[4][VIDEO_BLOCK] = {
	{ 64, 64, 64, 64, 64, 64, 64, 64 },
	{ 63, 53, 36, 12, -12, -36, -53, -63 },
	{ 59, 25, -25, -59, -59, -25, 25, 59 },
	{ 53, -12, -63, -36, 36, 63, 12, -53 },
};

/* Pattern u + 4v is basis (u, v) as luma detail in 0..24 on every channel. */
static void video_make_ac(struct video_state *st)
{
	for (int p = 0; p < VIDEO_AC_PATTERNS; p++)
		for (int y = 0; y < VIDEO_BLOCK; y++)
			for (int x = 0; x < VIDEO_BLOCK; x++) {
				int32_t c = video_cos[p % 4][x] * video_cos[p / 4][y];
				uint32_t a = (uint32_t)(12 + c * 12 / 4096);
				st->ac[p][y * VIDEO_BLOCK + x] = a * 0x010101u;
			}
}

static void video_make_grain(struct video_state *st, struct rng *rng)
{
	for (uint32_t i = 0; i < VIDEO_GRAIN * VIDEO_GRAIN; i++)
		st->grain[i] = (uint32_t)rng_next(rng) & 0x070707u;
}

static struct video_frame video_frame_params(const struct video_state *st,
					     const struct workload_ctx *ctx, uint64_t n)
{
	struct video_frame f;
	f.ms = (uint32_t)(n * 1000000ull / ctx->fps_milli);
	f.pan_x = f.ms * 40 / 1000;
	f.pan_y = f.ms * 15 / 1000;
	f.gop = f.ms / VIDEO_KEYFRAME_MS;
	uint32_t h = video_hash((uint32_t)n, 0x5eed, 0, st->seed);
	f.grain_x = (h & (VIDEO_GRAIN / VIDEO_BLOCK - 1)) * VIDEO_BLOCK;
	f.grain_y = (h >> 8) & (VIDEO_GRAIN - 1);
	/* Modulo 3, not 2: a pixel never returns to its value of two frames ago. */
	f.phase = (uint32_t)(ctx->drawn % 3) * 0x010101u;
	return f;
}

/* DC level and detail pattern of every block in block row `by`: moving
 * gradients sampled at the block centre (each channel 16..199), plus a
 * macroblock texture (0..16) that moves with the scene and changes at
 * keyframes. Sums stay below 256 per channel, so packed adds never carry. */
static void video_block_row(struct video_state *st, const struct video_frame *f,
			    uint32_t by)
{
	uint32_t t = f->ms;
	uint32_t sy = by * VIDEO_BLOCK + VIDEO_BLOCK / 2 + f->pan_y;
	for (uint32_t bx = 0; bx * VIDEO_BLOCK < st->w; bx++) {
		uint32_t sx = bx * VIDEO_BLOCK + VIDEO_BLOCK / 2 + f->pan_x;
		uint32_t r = video_tri(sx * 3 + sy + t / 8);
		uint32_t g = video_tri(sy * 2 - sx + t / 5);
		uint32_t b = video_tri(sx + sy * 3 + 700 - t / 11);
		uint32_t mb = video_hash(sx / VIDEO_MB, sy / VIDEO_MB, f->gop, st->seed);
		uint32_t tex = (mb & 15) * 0x010101u;
		st->dc[bx] = gfx_rgb(16 + r * 23 / 32, 16 + g * 23 / 32, 16 + b * 23 / 32) + tex;
		st->pattern[bx] = (uint8_t)((mb >> 8) % VIDEO_AC_PATTERNS);
	}
}

/* One picture row: DC + detail + grain per pixel. The 8-pixel runs keep the
 * inner loop simple enough for the compiler to vectorise. */
static void video_row(const struct video_state *st, const struct video_frame *f,
		      uint32_t y, uint32_t *out)
{
	uint32_t yy = y % VIDEO_BLOCK;
	const uint32_t *grain = st->grain + ((y + f->grain_y) % VIDEO_GRAIN) * VIDEO_GRAIN;
	for (uint32_t bx = 0, x = 0; x < st->w; bx++, x += VIDEO_BLOCK) {
		const uint32_t *ac = st->ac[st->pattern[bx]] + yy * VIDEO_BLOCK;
		const uint32_t *gr = grain + ((x + f->grain_x) % VIDEO_GRAIN);
		uint32_t dc = st->dc[bx], n = st->w - x < VIDEO_BLOCK ? st->w - x : VIDEO_BLOCK;
		for (uint32_t i = 0; i < n; i++)
			out[x + i] = ((dc + ac[i] + gr[i]) & VIDEO_CONTENT_MASK) | f->phase;
	}
}

static void video_picture(struct fb *fb, struct video_state *st, const struct video_frame *f)
{
	for (uint32_t y0 = 0; y0 < st->h; y0 += st->band_rows) {
		uint32_t rows = st->h - y0 < st->band_rows ? st->h - y0 : st->band_rows;
		for (uint32_t r = 0; r < rows; r++) {
			uint32_t y = y0 + r;
			if (y % VIDEO_BLOCK == 0)
				video_block_row(st, f, y / VIDEO_BLOCK);
			video_row(st, f, y, st->band + (size_t)r * st->w);
		}
		gfx_blit(fb, st->x, st->y + (int32_t)y0, (int32_t)st->w, (int32_t)rows,
			 st->band, st->w);
	}
}

/* --- controls ------------------------------------------------------------- */

static void video_time_text(const struct video_state *st, uint32_t s,
			    char out[VIDEO_TIME_LEN + 1])
{
	fmt_u64(out, s / 60 % 100, 2, true);
	out[2] = ':';
	fmt_u64(out + 3, s % 60, 2, true);
	fmt_u64(out + 8, st->duration_s / 60 % 100, 2, true);
	rt_memcpy(out + 5, " / ", 3);
	out[10] = ':';
	fmt_u64(out + 11, st->duration_s % 60, 2, true);
}

/* Repaint only the glyphs and the stretch of bar that differ from what is
 * shown; nothing at all while the second is the same. */
static void video_controls(struct fb *fb, struct video_state *st, uint32_t elapsed_s)
{
	uint32_t s = elapsed_s % st->duration_s;
	if (s == st->shown_s)
		return;
	char text[VIDEO_TIME_LEN + 1];
	video_time_text(st, s, text);
	for (int32_t i = 0; i < VIDEO_TIME_LEN; i++)
		if (text[i] != st->shown_time[i])
			gfx_draw_glyph(fb, st->time_x + i * GFX_GLYPH_W, st->ctrl_y +
				       (VIDEO_CTRL_H - GFX_GLYPH_H) / 2, text[i],
				       VIDEO_CTRL_FG, VIDEO_CTRL_BG);
	rt_memcpy(st->shown_time, text, sizeof(text));
	/* duration_s <= bar_w, so the fill grows by at least a pixel a second. */
	uint32_t fill = st->bar_w > 0 ? s * (uint32_t)st->bar_w / st->duration_s : 0;
	if (fill > st->shown_fill)
		gfx_fill_rect(fb, st->bar_x + (int32_t)st->shown_fill, st->bar_y,
			      (int32_t)(fill - st->shown_fill), VIDEO_BAR_H, VIDEO_BAR_DONE);
	else if (fill < st->shown_fill)
		gfx_fill_rect(fb, st->bar_x + (int32_t)fill, st->bar_y,
			      (int32_t)(st->shown_fill - fill), VIDEO_BAR_H, VIDEO_BAR_LEFT);
	st->shown_fill = fill;
	st->shown_s = s;
}

/* Frame 0: the strip, an empty bar and the whole clock. */
static void video_paint_controls(struct fb *fb, struct video_state *st)
{
	gfx_fill_rect(fb, st->x, st->ctrl_y, (int32_t)st->w, VIDEO_CTRL_H, VIDEO_CTRL_BG);
	gfx_fill_rect(fb, st->bar_x, st->bar_y, st->bar_w, VIDEO_BAR_H, VIDEO_BAR_LEFT);
	st->shown_fill = 0;
	st->shown_s = UINT32_MAX;
	rt_memset(st->shown_time, 0, sizeof(st->shown_time));
	video_controls(fb, st, 0);
}

/* --- set-up --------------------------------------------------------------- */

/* The picture is clamped to the screen, leaving room for the control strip
 * below it when the screen has any; picture and strip are centred together. */
static void video_layout(const struct fb *fb, struct video_state *st, int64_t w, int64_t h)
{
	uint32_t room = fb->height > VIDEO_CTRL_H ? fb->height - VIDEO_CTRL_H : fb->height;
	st->w = (uint64_t)w < fb->width ? (uint32_t)w : fb->width;
	st->h = (uint64_t)h < room ? (uint32_t)h : room;
	st->x = (int32_t)(fb->width - st->w) / 2;
	int64_t y = ((int64_t)fb->height - st->h - VIDEO_CTRL_H) / 2;
	st->y = y > 0 ? (int32_t)y : 0;
	st->ctrl_y = st->y + (int32_t)st->h;
	st->time_x = st->x + (int32_t)st->w - VIDEO_PAD - VIDEO_TIME_LEN * GFX_GLYPH_W;
	st->bar_x = st->x + VIDEO_PAD;
	st->bar_y = st->ctrl_y + (VIDEO_CTRL_H - VIDEO_BAR_H) / 2;
	st->bar_w = st->time_x - VIDEO_PAD - st->bar_x;
	if (st->bar_w < 0)
		st->bar_w = 0;
}

static int video_alloc(struct video_state *st)
{
	uint64_t rows = VIDEO_BACKBUF_MAX / ((uint64_t)st->w * 4);
	rows = rows / VIDEO_MB * VIDEO_MB;
	st->band_rows = rows < VIDEO_MB ? VIDEO_MB : rows > st->h ? st->h : (uint32_t)rows;
	uint32_t blocks = (st->w + VIDEO_BLOCK - 1) / VIDEO_BLOCK;
	st->band = rt_alloc((size_t)st->w * st->band_rows * sizeof(uint32_t));
	st->dc = rt_alloc(blocks * sizeof(uint32_t));
	st->pattern = rt_alloc(blocks);
	return st->band && st->dc && st->pattern ? 0 : -1;
}

static bool video_fps_ok(int64_t fps)
{
	return fps == 24 || fps == 30 || fps == 60;
}

static int video_init(struct workload_ctx *ctx)
{
	int64_t fps = workload_opt(ctx, "fps");
	if (!video_fps_ok(fps)) {
		rt_print("video: option fps must be 24, 30 or 60");
		return -1;
	}
	struct video_state *st = rt_alloc(sizeof(*st));
	if (!st)
		return -1;
	ctx->state = st;
	st->seed = ctx->seed;
	video_layout(&ctx->fb, st, workload_opt(ctx, "w"), workload_opt(ctx, "h"));
	if (video_alloc(st) < 0)
		return -1;
	struct rng rng;
	rng_seed(&rng, ctx->seed);
	video_make_ac(st);
	video_make_grain(st, &rng);
	uint32_t longest = st->bar_w > 2 ? (uint32_t)st->bar_w : 2;
	st->duration_s = 90 + (uint32_t)rng_below(&rng, 511);
	st->duration_s = st->duration_s < longest ? st->duration_s : longest;
	gfx_fill_rect(&ctx->fb, 0, 0, (int32_t)ctx->fb.width, (int32_t)ctx->fb.height, VIDEO_BG);
	struct video_frame f = video_frame_params(st, ctx, 0);
	video_picture(&ctx->fb, st, &f);
	video_paint_controls(&ctx->fb, st);
	return 0;
}

static void video_frame(struct workload_ctx *ctx, uint64_t n)
{
	struct video_state *st = ctx->state;
	struct video_frame f = video_frame_params(st, ctx, n);
	video_picture(&ctx->fb, st, &f);
	video_controls(&ctx->fb, st, f.ms / 1000);
}

extern const struct workload_info workload_video;    /* workloads/catalog.c */

const struct workload_draw workload_video_draw = {
	.info = &workload_video,
	.init = video_init,
	.frame = video_frame,
};
