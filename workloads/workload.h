/*
 * A workload has two halves. Its catalog entry (workloads/catalog.c: name,
 * description, frame rate, options) is all run-bench links: --list, option
 * checks and the frame rate need nothing else. Its drawing is one file,
 * workloads/NAME.c, ending in one const struct workload_draw; only the
 * runtimes link it (the micro-VM guest, db-workload, the tests). A workload
 * draws into ctx->fb through gfx.h, which declares the damage; the runner
 * paces frames on the TSC and commits them.
 */
#ifndef DIRTYBENCH_WORKLOAD_H
#define DIRTYBENCH_WORKLOAD_H

#include "workloads/lib/runtime.h"

#define WORKLOAD_MAX_OPTIONS 8

/* One option: an integer in [min, max]. Two further rules, both checked by
 * workload_parse_options() and shown by --list: values, when nvalues > 0,
 * are the only values accepted (video's fps: 24, 30 or 60); frames_apart,
 * when not 0, makes the option a rate per second of events at least that
 * many frames apart, so at most fps / frames_apart (typing's cps). */
struct workload_option {
	const char *name;
	int64_t value;
	int64_t min, max;
	const char *help;
	const int64_t *values;
	unsigned nvalues;
	unsigned frames_apart;
	/* A text option (trace's file): any non-empty value without a comma,
	 * no range; parsed, it points into the parsed string (text_len bytes,
	 * not NUL-terminated), which must outlive the context. */
	bool text;
	const char *text_value;
	uint32_t text_len;
};

/* The longest "k=v,..." string a guest can be given: its control page holds
 * DB_OPTIONS_LEN bytes (include/protocol.h); a longer one is refused, never cut. */
#define WORKLOAD_OPTIONS_MAX 255

struct workload_ctx {
	struct fb fb;
	uint64_t seed;
	uint32_t fps_milli;     /* frames per 1000 s, set by workload_parse_options() */
	struct workload_option opt[WORKLOAD_MAX_OPTIONS];
	unsigned nopt;
	void *state;            /* the workload's own, from rt_alloc() */
	/* Frames drawn so far (init's is 0). Colour phases count with this, not
	 * with the deadline index n, which skips when the guest runs late: a
	 * skipped deadline must not bring back a value of two frames ago. */
	uint64_t drawn;
	/* The trace workload's replay image (struct db_trace_image of
	 * include/protocol.h), set by a runtime that has one loaded; NULL
	 * elsewhere, where that workload refuses to start. */
	const void *trace;
	uint64_t trace_bytes;
};

/* --- the catalog (workloads/catalog.c, workloads/options.c) ------------- */

/* A workload's catalog entry. An option named "fps" is its frame rate in
 * frames per second; a workload without one runs at default_fps_milli (for
 * the others that is the fps option's default, so --list shows what runs). */
struct workload_info {
	const char *name;
	const char *description;
	uint32_t default_fps_milli;
	/* It replays a file the host loads (trace): runs only where a runtime
	 * loads it, so loops over "every workload" with default options skip it. */
	bool needs_file;
	/* A workload whose activity changes (burst, mixed): its phases' names,
	 * NULL-terminated, indexed by what it passes to rt_set_phase(), so the
	 * host can name them; NULL for a single-phase workload (phase 0). */
	const char *const *phase_names;
	/* Options with their defaults and ranges; the name list ends with a NULL name. */
	struct workload_option options[WORKLOAD_MAX_OPTIONS];
};

/* Every workload, in listing order, ending with NULL. */
extern const struct workload_info *const workload_catalog[];
const struct workload_info *workload_find(const char *name);

/* Parse "k=v,k=v" (NULL or "": all defaults) into ctx->opt from ops->options
 * and set ctx->fps_milli from them; returns 0, or -1 with a message in err
 * (longer than WORKLOAD_OPTIONS_MAX, unknown key, a value out of range or
 * not among its values, a rate above fps / frames_apart). A key given twice:
 * the last wins, on the host and in the guest alike (one parser). */
int workload_parse_options(const struct workload_info *ops, const char *spec,
			   struct workload_ctx *ctx, char *err, size_t errlen);

/* --- the drawing (workloads/NAME.c, workloads/workload.c) --------------- */

struct workload_draw {
	const struct workload_info *info;       /* its catalog entry */
	/* Allocate state and draw the first screen (frame 0, damage declared). */
	int (*init)(struct workload_ctx *ctx);
	/* Draw frame n >= 1. */
	void (*frame)(struct workload_ctx *ctx, uint64_t n);
};

/* The drawing of the workload of that name; NULL if none. */
const struct workload_draw *workload_draw_find(const char *name);

/* An option's value; a name the catalog entry does not declare aborts. */
int64_t workload_opt(const struct workload_ctx *ctx, const char *name);

/* A parsed text option's value and length; NULL (len 0) when it was not
 * given or is not a text option. */
const char *workload_opt_text(const struct workload_ctx *ctx, const char *name, uint32_t *len);

/* Frame loop shared by every runtime: paces frames on the TSC until stop()
 * says so, counting deadlines it had to skip. */
struct workload_run_stats {
	uint64_t frames;
	uint64_t dropped;
};
int workload_run(const struct workload_draw *draw, struct workload_ctx *ctx,
		 bool (*stop)(void), struct workload_run_stats *stats);

#endif
