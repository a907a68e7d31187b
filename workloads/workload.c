/*
 * The workloads' drawing registry and the frame loop every runtime (guest,
 * Linux process, host tests) runs a workload with. What run-bench needs of a
 * workload is in catalog.c and options.c; this file and the drawing are
 * linked only where a workload really draws.
 */
#include "workloads/workload.h"

extern const struct workload_draw workload_idle_draw;
extern const struct workload_draw workload_video_draw;
extern const struct workload_draw workload_fullscreen_draw;
extern const struct workload_draw workload_drag_draw;
extern const struct workload_draw workload_sparse_draw;
extern const struct workload_draw workload_scrolling_draw;
extern const struct workload_draw workload_typing_draw;
extern const struct workload_draw workload_burst_draw;
extern const struct workload_draw workload_mixed_draw;
extern const struct workload_draw workload_trace_draw;

/* The drawing of every workload in the catalog. */
static const struct workload_draw *const workload_draws[] = {
	&workload_idle_draw,
	&workload_video_draw,
	&workload_fullscreen_draw,
	&workload_drag_draw,
	&workload_sparse_draw,
	&workload_scrolling_draw,
	&workload_typing_draw,
	&workload_burst_draw,
	&workload_mixed_draw,
	&workload_trace_draw,
	NULL,
};

const struct workload_draw *workload_draw_find(const char *name)
{
	for (const struct workload_draw *const *d = workload_draws; *d; d++)
		if (rt_strcmp((*d)->info->name, name) == 0)
			return *d;
	return NULL;
}

int64_t workload_opt(const struct workload_ctx *ctx, const char *name)
{
	for (unsigned i = 0; i < ctx->nopt; i++)
		if (rt_strcmp(ctx->opt[i].name, name) == 0)
			return ctx->opt[i].value;
	rt_abort("workload_opt: option not declared by the workload", __FILE__, __LINE__);
}

/* --- frame loop --------------------------------------------------------- */

/* fps_milli is frames per 1000 s, so a period is 1e6 / fps_milli ms, and
 * tsc_khz is cycles per ms. */
static uint64_t workload_period(uint32_t fps_milli)
{
	uint64_t period = rt_tsc_khz() * 1000000ull / fps_milli;
	return period ? period : 1;
}

/* If the clock is already at or past the deadline after frame *n's, frame *n
 * would show stale content: move *n to the latest deadline that has passed
 * and return how many deadlines were skipped. */
static uint32_t workload_skip_missed(uint64_t t0, uint64_t period, uint64_t *n)
{
	uint64_t now = rt_tsc();
	if (now < t0 + (*n + 1) * period)
		return 0;
	uint64_t latest = (now - t0) / period;
	uint64_t skipped = latest - *n;
	*n = latest;
	return skipped > UINT32_MAX ? UINT32_MAX : (uint32_t)skipped;
}

static void workload_prepare(const struct workload_draw *draw, struct workload_ctx *ctx)
{
	RT_ASSERT(draw && draw->info && draw->info->name && draw->init && draw->frame);
	RT_ASSERT(draw->info->default_fps_milli > 0);
	/* A context nobody parsed options into still gets the defaults (and
	 * their frame rate); parsing no options cannot fail. */
	if (ctx->nopt == 0)
		(void)workload_parse_options(draw->info, NULL, ctx, NULL, 0);
	if (ctx->fps_milli == 0)
		ctx->fps_milli = draw->info->default_fps_milli;
}

int workload_run(const struct workload_draw *draw, struct workload_ctx *ctx,
		 bool (*stop)(void), struct workload_run_stats *stats)
{
	struct workload_run_stats unused;
	if (!stats)
		stats = &unused;
	*stats = (struct workload_run_stats){ 0 };
	workload_prepare(draw, ctx);
	uint64_t t0 = rt_tsc();
	rt_frame_begin();
	int err = draw->init(ctx);
	rt_frame_commit(0);
	if (err)
		return err;
	stats->frames = 1;
	RT_ASSERT(ctx->fps_milli > 0);
	uint64_t period = workload_period(ctx->fps_milli);
	for (uint64_t n = 1; !stop(); n++) {
		uint32_t dropped = workload_skip_missed(t0, period, &n);
		uint64_t deadline = t0 + n * period;
		if (rt_tsc() < deadline) {
			rt_sleep_until(deadline);
			if (stop())
				break;
		}
		rt_frame_begin();
		ctx->drawn++;
		draw->frame(ctx, n);
		rt_frame_commit(dropped);
		stats->frames++;
		stats->dropped += dropped;
	}
	return 0;
}
