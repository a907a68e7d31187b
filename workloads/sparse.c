/*
 * sparse: the worst case for page- and tile-granular tracking. Each frame
 * (default 60 fps) changes n single pixels (default 256) at random places,
 * so nearly every touched page or tile holds one tiny change. Positions come
 * from the seed and the frame number; no pixel is picked twice in a frame,
 * and each gets a value different from its current one, so exactly n pixels
 * change per frame (n is clamped to the number of pixels on screen).
 */
#include "workloads/lib/gfx.h"
#include "workloads/lib/rng.h"
#include "workloads/workload.h"

#define SPARSE_BAND_ROWS 16
/* A step added to a picked pixel: odd and below 2^23, so one step never
 * leaves the value unchanged and two steps never bring it back (their sum
 * lies strictly between 0 and 2^24): no A-B-A across consecutive frames. */
#define SPARSE_STEP_BITS 22

struct sparse_state {
	uint64_t pixels;                /* width * height */
	uint32_t n;
	uint64_t *picked;               /* one bit per pixel: taken this frame */
	uint64_t *list;                 /* the pixels taken, to clear the bits */
	uint64_t seed;
};

/* A quiet photo-like backdrop for frame 0: two crossing gradients. */
static int sparse_paint_backdrop(struct fb *fb)
{
	uint32_t *band = rt_alloc((size_t)fb->width * SPARSE_BAND_ROWS * sizeof(uint32_t));
	if (!band)
		return -1;
	for (uint32_t y0 = 0; y0 < fb->height; y0 += SPARSE_BAND_ROWS) {
		uint32_t rows = fb->height - y0 < SPARSE_BAND_ROWS ? fb->height - y0 : SPARSE_BAND_ROWS;
		for (uint32_t r = 0; r < rows; r++)
			for (uint32_t x = 0; x < fb->width; x++)
				band[(size_t)r * fb->width + x] =
					gfx_rgb(40 + 150 * x / fb->width,
						60 + 120 * (y0 + r) / fb->height, 120);
		gfx_blit(fb, 0, (int32_t)y0, (int32_t)fb->width, (int32_t)rows, band, fb->width);
	}
	return 0;
}

/* A pixel not taken yet this frame, uniformly among those left. */
static uint64_t sparse_pick(struct sparse_state *st, struct rng *rng)
{
	for (;;) {
		uint64_t i = rng_below(rng, st->pixels);
		uint64_t bit = 1ull << (i % 64);
		if (!(st->picked[i / 64] & bit)) {
			st->picked[i / 64] |= bit;
			return i;
		}
	}
}

static void sparse_frame(struct workload_ctx *ctx, uint64_t n)
{
	struct sparse_state *st = ctx->state;
	struct fb *fb = &ctx->fb;
	struct rng rng;
	/* Seeded per frame: frame n's pixels do not depend on dropped frames. */
	rng_seed(&rng, st->seed ^ (n * 0xd1b54a32d192ed03ull));
	for (uint32_t k = 0; k < st->n; k++) {
		uint64_t i = sparse_pick(st, &rng);
		uint32_t x = (uint32_t)(i % fb->width), y = (uint32_t)(i / fb->width);
		uint32_t step = (uint32_t)rng_below(&rng, 1u << SPARSE_STEP_BITS) * 2 + 1;
		uint32_t value = (*gfx_pixel_ptr(fb, x, y) + step) & 0xffffff;
		gfx_put_pixel(fb, (int32_t)x, (int32_t)y, value);
		st->list[k] = i;
	}
	for (uint32_t k = 0; k < st->n; k++)
		st->picked[st->list[k] / 64] = 0;
}

static int sparse_init(struct workload_ctx *ctx)
{
	struct sparse_state *st = rt_alloc(sizeof(*st));
	if (!st)
		return -1;
	ctx->state = st;
	st->seed = ctx->seed;
	st->pixels = (uint64_t)ctx->fb.width * ctx->fb.height;
	uint64_t n = (uint64_t)workload_opt(ctx, "n");
	st->n = (uint32_t)(n < st->pixels ? n : st->pixels);
	st->picked = rt_alloc((size_t)(st->pixels + 63) / 64 * sizeof(uint64_t));
	st->list = rt_alloc((size_t)st->n * sizeof(uint64_t));
	if (!st->picked || !st->list)
		return -1;
	return sparse_paint_backdrop(&ctx->fb);
}

extern const struct workload_info workload_sparse;    /* workloads/catalog.c */

const struct workload_draw workload_sparse_draw = {
	.info = &workload_sparse,
	.init = sparse_init,
	.frame = sparse_frame,
};
