/*
 * The workload registry, option parsing, and the frame loop every runtime
 * (guest, Linux process, host tests) runs a workload with.
 */
#include "workloads/workload.h"

#include "workloads/lib/fmt.h"

extern const struct workload_ops workload_idle;
extern const struct workload_ops workload_video;
extern const struct workload_ops workload_fullscreen;
extern const struct workload_ops workload_drag;
extern const struct workload_ops workload_sparse;
extern const struct workload_ops workload_scrolling;
extern const struct workload_ops workload_typing;

/* Every workload, in the order listings show them. */
const struct workload_ops *const workload_registry[] = {
	&workload_idle,
	&workload_video,
	&workload_fullscreen,
	&workload_drag,
	&workload_sparse,
	&workload_scrolling,
	&workload_typing,
	NULL,
};

const struct workload_ops *workload_find(const char *name)
{
	for (const struct workload_ops *const *w = workload_registry; *w; w++)
		if (rt_strcmp((*w)->name, name) == 0)
			return *w;
	return NULL;
}

/* --- options ---------------------------------------------------------- */

static void workload_opt_defaults(const struct workload_ops *ops,
				  struct workload_ctx *ctx)
{
	ctx->nopt = 0;
	while (ctx->nopt < WORKLOAD_MAX_OPTIONS && ops->options[ctx->nopt].name) {
		ctx->opt[ctx->nopt] = ops->options[ctx->nopt];
		ctx->nopt++;
	}
}

static bool workload_name_is(const char *name, const char *key, size_t len)
{
	size_t i = 0;
	while (i < len && name[i] == key[i])
		i++;
	return i == len && name[i] == '\0';
}

static struct workload_option *workload_opt_lookup(struct workload_ctx *ctx,
						   const char *key, size_t len)
{
	for (unsigned i = 0; i < ctx->nopt; i++)
		if (workload_name_is(ctx->opt[i].name, key, len))
			return &ctx->opt[i];
	return NULL;
}

/* Parse [+-]digits in s[0..len) without overflow. */
static bool workload_parse_int(const char *s, size_t len, int64_t *out)
{
	size_t i = 0;
	bool neg = false;
	if (i < len && (s[i] == '-' || s[i] == '+'))
		neg = s[i++] == '-';
	if (i == len)
		return false;
	uint64_t mag = 0, limit = neg ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX;
	for (; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return false;
		uint64_t digit = (uint64_t)(s[i] - '0');
		if (mag > (limit - digit) / 10)
			return false;
		mag = mag * 10 + digit;
	}
	*out = neg ? (int64_t)(0 - mag) : (int64_t)mag;
	return true;
}

/* err = "<workload>: <what> '<item>'<tail>" */
static void workload_opt_error(const struct workload_ops *ops, char *err, size_t errlen,
			       const char *what, const char *item, size_t len,
			       const char *tail)
{
	if (errlen == 0)
		return;
	err[0] = '\0';
	fmt_cat(err, errlen, ops->name);
	fmt_cat(err, errlen, ": ");
	fmt_cat(err, errlen, what);
	fmt_cat(err, errlen, " '");
	fmt_catn(err, errlen, item, len);
	fmt_cat(err, errlen, "'");
	fmt_cat(err, errlen, tail);
}

static void workload_known_options(const struct workload_ctx *ctx, char *buf, size_t len)
{
	buf[0] = '\0';
	fmt_cat(buf, len, " (options:");
	for (unsigned i = 0; i < ctx->nopt; i++) {
		fmt_cat(buf, len, " ");
		fmt_cat(buf, len, ctx->opt[i].name);
	}
	fmt_cat(buf, len, ctx->nopt ? ")" : " none)");
}

static void workload_range_tail(const struct workload_option *o, char *buf, size_t len)
{
	char num[FMT_U64_LEN];
	buf[0] = '\0';
	fmt_cat(buf, len, " is out of range [");
	fmt_i64(num, o->min);
	fmt_cat(buf, len, num);
	fmt_cat(buf, len, ", ");
	fmt_i64(num, o->max);
	fmt_cat(buf, len, num);
	fmt_cat(buf, len, "]");
}

/* One "key=value" item of length len. */
static int workload_parse_item(const struct workload_ops *ops, const char *item, size_t len,
			       struct workload_ctx *ctx, char *err, size_t errlen)
{
	char tail[160];
	size_t eq = 0;
	while (eq < len && item[eq] != '=')
		eq++;
	struct workload_option *o = workload_opt_lookup(ctx, item, eq);
	if (eq == len || eq == 0) {
		workload_opt_error(ops, err, errlen, "expected key=value, got", item, len, "");
		return -1;
	}
	if (!o) {
		workload_known_options(ctx, tail, sizeof(tail));
		workload_opt_error(ops, err, errlen, "unknown option", item, eq, tail);
		return -1;
	}
	int64_t v;
	if (!workload_parse_int(item + eq + 1, len - eq - 1, &v)) {
		workload_opt_error(ops, err, errlen, "not an integer (or too large):",
				   item, len, "");
		return -1;
	}
	if (v < o->min || v > o->max) {
		workload_range_tail(o, tail, sizeof(tail));
		workload_opt_error(ops, err, errlen, "option", item, len, tail);
		return -1;
	}
	o->value = v;
	return 0;
}

int workload_parse_options(const struct workload_ops *ops, const char *spec,
			   struct workload_ctx *ctx, char *err, size_t errlen)
{
	workload_opt_defaults(ops, ctx);
	if (!spec)
		return 0;
	while (*spec) {
		size_t len = 0;
		while (spec[len] && spec[len] != ',')
			len++;
		if (workload_parse_item(ops, spec, len, ctx, err, errlen) < 0)
			return -1;
		spec += len;
		if (*spec == ',' && *++spec == '\0') {
			workload_opt_error(ops, err, errlen, "trailing comma in", "", 0, "");
			return -1;
		}
	}
	return 0;
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

static void workload_prepare(const struct workload_ops *ops, struct workload_ctx *ctx)
{
	RT_ASSERT(ops && ops->name && ops->init && ops->frame);
	RT_ASSERT(ops->default_fps_milli > 0);
	/* A context nobody parsed options into still gets the defaults. */
	if (ctx->nopt == 0)
		workload_opt_defaults(ops, ctx);
	if (ctx->fps_milli == 0)
		ctx->fps_milli = ops->default_fps_milli;
}

int workload_run(const struct workload_ops *ops, struct workload_ctx *ctx,
		 bool (*stop)(void), struct workload_run_stats *stats)
{
	struct workload_run_stats unused;
	if (!stats)
		stats = &unused;
	*stats = (struct workload_run_stats){ 0 };
	workload_prepare(ops, ctx);
	uint64_t t0 = rt_tsc();
	rt_frame_begin();
	int err = ops->init(ctx);
	rt_frame_commit(0);
	if (err)
		return err;
	stats->frames = 1;
	RT_ASSERT(ctx->fps_milli > 0);      /* init may have changed it */
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
		ops->frame(ctx, n);
		rt_frame_commit(dropped);
		stats->frames++;
		stats->dropped += dropped;
	}
	return 0;
}
