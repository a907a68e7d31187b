/*
 * mixed: the screen's activity changes every phase_ms: idle, typing,
 * scrolling, video, drag, idle again, then the cycle repeats. Each phase is
 * drawn by that workload's own struct workload_draw, with a context of its
 * own (the same framebuffer, the workload's default options, a seed from the
 * run's and the phase's index), at its own frame rate: a phase's frame is
 * drawn when its own deadline passes, numbered by the time it has been on
 * screen, so video here is 30 fps video and idle ticks twice a second.
 * Phases (rt_set_phase): the index into the list above, 0..5.
 *
 * Entering a phase is its window taking the screen. The first time, the
 * screen is cleared, and in the next frame the workload starts: init draws
 * its first screen. (An init paints in layers, a background and then text
 * on it, and gfx declares each layer's changes: over another phase's
 * picture a later layer could put a pixel back as it was, declared but
 * unchanged. Over the clear colour, which none of these workloads draws,
 * it cannot.) Its state comes from rt_alloc, which never frees, so a phase
 * starts once per run. Coming back a cycle later the workload carries on where it stopped (its
 * clock stood still meanwhile), but the screen shows another phase's
 * picture and a second init would allocate again; keeping each phase's
 * screen would take a screenful per phase, more than the guest's heap at
 * 1080p. So that frame is ours: it paints the whole screen as a plain window
 * titled with the phase's name, in colours near that workload's own, and
 * the workload's next frames draw what they change over it (idle's
 * wallpaper, typing's older rows do not come back). The damage stays exact:
 * everything is drawn through gfx, and no frame writes a pixel twice.
 */
#include "workloads/lib/gfx.h"
#include "workloads/lib/rng.h"
#include "workloads/workload.h"

#define MIXED_PHASES 6
#define MIXED_TITLE_H 24
/* Near black, with low bits no workload here draws: video's and drag's
 * pixels carry one value in all three channels' low two bits, and no
 * palette or gradient of idle, typing or scrolling comes near it. */
#define MIXED_CLEAR 0x010203u
/* The workload that draws phase i (catalog.c names the phases), and the
 * colours of our window when it comes back: near that workload's own
 * background, and no two phases alike, so one such window after another
 * still changes the screen. */
static const struct {
	const char *workload;
	uint32_t title, title_fg, body;
} mixed_phase_list[MIXED_PHASES] = {
	{ "idle", 0x101418, 0xdcdcdc, 0x1d2b53 },
	{ "typing", 0xeee8d5, 0x657b83, 0xfdf6e3 },
	{ "scrolling", 0x2c2c2c, 0xdcdcdc, 0x1e1e1e },
	{ "video", 0x202020, 0xe0e0e0, 0x0c0c0c },
	{ "drag", 0x28507a, 0xffffff, 0x4a6fa5 },
	{ "idle", 0x18121c, 0xe8dcef, 0x2d1b3d },
};

struct mixed_phase {
	const struct workload_draw *draw;
	struct workload_ctx ctx;        /* its own: the same fb, default options, its seed */
	bool started;                   /* init ran: once, its state is never freed */
	bool init_next;                 /* the screen was cleared for init: draw it now */
	uint64_t shown;                 /* mixed frames it was on screen since init, before this stint */
	uint64_t entered;               /* the mixed frame this stint began with (or init's) */
	uint64_t last;                  /* its frame number drawn last (init's: 0) */
};

struct mixed_state {
	struct mixed_phase phase[MIXED_PHASES];
	uint64_t phase_ms;
	uint64_t stint;                 /* phases since frame 0, the current one's included */
	uint32_t now;                   /* the phase on screen */
};

extern const struct workload_info workload_mixed;    /* workloads/catalog.c */

/* Time since frame 0 follows the frame number: the phase of frame n, and a
 * phase's own frame numbers, are the same in every runtime and every run. */
static uint64_t mixed_stint(const struct workload_ctx *ctx, const struct mixed_state *st,
			    uint64_t n)
{
	return n * 1000000ull / ((uint64_t)ctx->fps_milli * st->phase_ms);
}

/* The phase's frame due at mixed frame n: its time on screen at its rate. */
static uint64_t mixed_due(const struct workload_ctx *ctx, const struct mixed_phase *p, uint64_t n)
{
	return (p->shown + n - p->entered) * p->ctx.fps_milli / ctx->fps_milli;
}

static uint64_t mixed_seed(uint64_t seed, uint32_t i)
{
	struct rng r;
	rng_seed(&r, seed ^ (0x9e3779b97f4a7c15ull * (i + 1)));
	return rng_next(&r);
}

/* Phase i's workload starts with frame n: init is its frame 0. */
static int mixed_start(const struct workload_ctx *ctx, struct mixed_phase *p, uint32_t i, uint64_t n)
{
	(void)workload_parse_options(p->draw->info, NULL, &p->ctx, NULL, 0);
	p->ctx.fb = ctx->fb;
	p->ctx.seed = mixed_seed(ctx->seed, i);
	p->started = true;
	p->init_next = false;
	p->entered = n;
	p->last = 0;
	return p->draw->init(&p->ctx);
}

/* A phase back on screen: a window of ours with its name. The title's text
 * cells and the bar around them are each written once. */
static void mixed_cover(struct fb *fb, uint32_t i)
{
	const char *name = workload_mixed.phase_names[i];
	uint32_t bg = mixed_phase_list[i].title;
	int32_t w = (int32_t)fb->width, h = (int32_t)fb->height;
	int32_t top = (MIXED_TITLE_H - GFX_GLYPH_H) / 2, text_x = GFX_GLYPH_W;
	gfx_fill_rect(fb, 0, 0, w, top, bg);
	gfx_fill_rect(fb, 0, top, text_x, GFX_GLYPH_H, bg);
	int32_t end = gfx_draw_text(fb, text_x, top, name, mixed_phase_list[i].title_fg, bg);
	gfx_fill_rect(fb, end, top, w - end, GFX_GLYPH_H, bg);
	gfx_fill_rect(fb, 0, top + GFX_GLYPH_H, w, MIXED_TITLE_H - top - GFX_GLYPH_H, bg);
	gfx_fill_rect(fb, 0, MIXED_TITLE_H, w, h - MIXED_TITLE_H, mixed_phase_list[i].body);
}

/* Stint number `stint` begins with frame n: the phase on screen so far
 * leaves; the next one's screen is cleared for its init, or it comes back
 * under our window. */
static void mixed_enter(struct workload_ctx *ctx, struct mixed_state *st, uint64_t stint, uint64_t n)
{
	struct mixed_phase *was = &st->phase[st->now];
	if (was->started && !was->init_next)
		was->shown += n - was->entered;
	st->stint = stint;
	st->now = (uint32_t)(stint % MIXED_PHASES);
	rt_set_phase(st->now);
	struct mixed_phase *p = &st->phase[st->now];
	if (!p->started) {
		gfx_fill_rect(&ctx->fb, 0, 0, (int32_t)ctx->fb.width, (int32_t)ctx->fb.height, MIXED_CLEAR);
		p->init_next = true;
		return;
	}
	p->entered = n;
	p->last = mixed_due(ctx, p, n);         /* this frame is our window */
	mixed_cover(&ctx->fb, st->now);
}

static void mixed_frame(struct workload_ctx *ctx, uint64_t n)
{
	struct mixed_state *st = ctx->state;
	uint64_t stint = mixed_stint(ctx, st, n);
	if (stint != st->stint) {
		mixed_enter(ctx, st, stint, n);
		return;
	}
	struct mixed_phase *p = &st->phase[st->now];
	if (p->init_next) {
		if (mixed_start(ctx, p, st->now, n))
			rt_abort("mixed: a phase's workload failed to start", __FILE__, __LINE__);
		return;
	}
	uint64_t due = mixed_due(ctx, p, n);
	if (due <= p->last)
		return;
	p->last = due;
	p->ctx.drawn++;
	p->draw->frame(&p->ctx, due);
}

static int mixed_init(struct workload_ctx *ctx)
{
	struct mixed_state *st = rt_alloc(sizeof(*st));
	if (!st)
		return -1;
	ctx->state = st;
	for (uint32_t i = 0; i < MIXED_PHASES; i++) {
		RT_ASSERT(workload_mixed.phase_names[i]);
		st->phase[i].draw = workload_draw_find(mixed_phase_list[i].workload);
		RT_ASSERT(st->phase[i].draw);
	}
	RT_ASSERT(!workload_mixed.phase_names[MIXED_PHASES]);
	st->phase_ms = (uint64_t)workload_opt(ctx, "phase_ms");
	/* Frame 0 is the first phase's init, on the screen as it starts. */
	st->stint = 0;
	st->now = 0;
	rt_set_phase(0);
	return mixed_start(ctx, &st->phase[0], 0, 0);
}

const struct workload_draw workload_mixed_draw = {
	.info = &workload_mixed,
	.init = mixed_init,
	.frame = mixed_frame,
};
