/*
 * trace: replay a real program's screen, recorded under Xvfb (tools/record/).
 * The host checked the trace file and put its replay image in guest memory
 * (include/protocol.h: struct db_trace_image); this file only redraws it.
 * Frame n of the replay, at n / fps seconds, draws every trace frame whose
 * time has come and was not drawn yet (several when the guest ran late), and
 * the trace loops when it ends. Each recorded rectangle is written whole and
 * declared whole: with the recorded pixels when the trace has them (pixels
 * equal to what is on screen are written too, as the X server wrote them),
 * otherwise by adding one odd step below 2^23 (the same for the whole
 * replay frame) to every pixel of it, which changes each pixel however many
 * of the frame's rectangles cover it (k equal odd steps sum to 0 mod 2^24
 * only for k a multiple of 2^24).
 */
#include "include/protocol.h"
#include "workloads/lib/gfx.h"
#include "workloads/workload.h"

struct trace_state {
	const struct db_trace_image *img;
	const struct db_trace_frame *frames;
	const struct db_rect *rects;
	const uint32_t *pixels;         /* NULL: a rect-only trace */
	uint64_t loop;                  /* the loop and frame index drawn next */
	uint32_t next;
};

/* The host built and checked the image (core/trace_file.c); this checks
 * only that it is one, and for this screen. */
static const struct db_trace_image *trace_image_of(const struct workload_ctx *ctx)
{
	const struct db_trace_image *img = ctx->trace;

	if (!img || ctx->trace_bytes < sizeof(*img)) {
		rt_print("trace: no trace loaded in this runtime");
		return NULL;
	}
	if (img->magic != DB_TRACE_IMAGE_MAGIC || img->bytes > ctx->trace_bytes ||
	    img->width != ctx->fb.width || img->height != ctx->fb.height ||
	    img->frame_count == 0 || img->duration_us == 0) {
		rt_print("trace: the loaded image does not fit this screen");
		return NULL;
	}
	return img;
}

static void trace_step_rect(struct fb *fb, const struct db_rect *r, uint32_t step)
{
	for (uint32_t y = r->y; y < (uint32_t)r->y + r->h; y++) {
		uint32_t *row = gfx_pixel_ptr(fb, r->x, y);
		for (uint32_t x = 0; x < r->w; x++)
			row[x] = (row[x] + step) & 0xffffff;
	}
}

static void trace_copy_rect(struct fb *fb, const struct db_rect *r, const uint32_t *src)
{
	for (uint32_t y = 0; y < r->h; y++)
		rt_memcpy(gfx_pixel_ptr(fb, r->x, r->y + y), src + (size_t)y * r->w,
			  (size_t)r->w * sizeof(uint32_t));
}

static void trace_draw_frame(struct workload_ctx *ctx, struct trace_state *st, uint32_t i)
{
	const struct db_trace_frame *f = &st->frames[i];
	const uint32_t *src = st->pixels ? st->pixels + f->pixel_first : NULL;
	/* Odd and below 2^23, and the same for every trace frame drawn in this
	 * replay frame (a late guest draws several): k equal odd steps sum to 0
	 * mod 2^24 only for k a multiple of 2^24, where k different ones could
	 * cancel. It varies between replay frames so a replay is not one colour. */
	uint32_t step = (uint32_t)((ctx->drawn * 2654435761u) & 0x3fffff) * 2 + 1;

	for (uint32_t k = 0; k < f->rect_count; k++) {
		const struct db_rect *r = &st->rects[f->rect_first + k];
		if (src) {
			trace_copy_rect(&ctx->fb, r, src);
			src += (size_t)r->w * r->h;
		} else {
			trace_step_rect(&ctx->fb, r, step);
		}
		rt_damage(r->x, r->y, r->w, r->h);
	}
}

/* Draw every frame up to loop `loop`, time `local_us` within it. */
static void trace_catch_up(struct workload_ctx *ctx, struct trace_state *st, uint64_t loop,
			   uint64_t local_us)
{
	while (st->loop < loop || (st->loop == loop && st->next < st->img->frame_count &&
				   st->frames[st->next].t_us <= local_us)) {
		trace_draw_frame(ctx, st, st->next);
		if (++st->next == st->img->frame_count) {
			st->next = 0;
			st->loop++;
		}
	}
}

static void trace_frame(struct workload_ctx *ctx, uint64_t n)
{
	struct trace_state *st = ctx->state;
	uint64_t t_us = n * 1000000000ull / ctx->fps_milli;

	trace_catch_up(ctx, st, t_us / st->img->duration_us, t_us % st->img->duration_us);
}

static int trace_init(struct workload_ctx *ctx)
{
	const struct db_trace_image *img = trace_image_of(ctx);
	struct trace_state *st;
	const uint8_t *base = (const uint8_t *)img;

	if (!img || !(st = rt_alloc(sizeof(*st))))
		return -1;
	ctx->state = st;
	st->img = img;
	st->frames = (const struct db_trace_frame *)(base + img->frames_off);
	st->rects = (const struct db_rect *)(base + img->rects_off);
	st->pixels = img->flags & DB_TRACE_HAS_PIXELS ? (const uint32_t *)(base + img->pixels_off) : NULL;
	trace_catch_up(ctx, st, 0, 0);          /* frame 0 at t 0: the whole screen */
	return 0;
}

extern const struct workload_info workload_trace;     /* workloads/catalog.c */

const struct workload_draw workload_trace_draw = {
	.info = &workload_trace,
	.init = trace_init,
	.frame = trace_frame,
};
