/*
 * Workload option parsing: "k=v,k=v" checked against a catalog entry's names
 * and ranges, and the frame rate that follows from the options. Freestanding
 * and free of runtime calls, so run-bench links it with the catalog alone.
 */
#include "workloads/workload.h"

#include "include/protocol.h"
#include "workloads/lib/fmt.h"

_Static_assert(WORKLOAD_OPTIONS_MAX < DB_OPTIONS_LEN, "the guest's control page must hold every accepted --wopt");

static void workload_opt_defaults(const struct workload_info *ops,
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

/* What a message quotes of a long item: its start, so the reason still fits. */
#define WORKLOAD_QUOTED 40

/* err = "<workload>: <what> '<item>'<tail>" */
static void workload_opt_error(const struct workload_info *ops, char *err, size_t errlen,
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
	fmt_catn(err, errlen, item, len > WORKLOAD_QUOTED ? WORKLOAD_QUOTED - 3 : len);
	fmt_cat(err, errlen, len > WORKLOAD_QUOTED ? "...'" : "'");
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

/* " is not one of 24, 30, 60" */
static void workload_values_tail(const struct workload_option *o, char *buf, size_t len)
{
	char num[FMT_U64_LEN];
	buf[0] = '\0';
	fmt_cat(buf, len, " is not one of ");
	for (unsigned i = 0; i < o->nvalues; i++) {
		fmt_i64(num, o->values[i]);
		fmt_cat(buf, len, i ? ", " : "");
		fmt_cat(buf, len, num);
	}
}

static bool workload_value_allowed(const struct workload_option *o, int64_t v)
{
	if (v < o->min || v > o->max)
		return false;
	for (unsigned i = 0; i < o->nvalues; i++)
		if (o->values[i] == v)
			return true;
	return o->nvalues == 0;
}

/* One "key=value" item of length len. */
static int workload_parse_item(const struct workload_info *ops, const char *item, size_t len,
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
	if (o->text) {
		if (eq + 1 == len) {
			workload_opt_error(ops, err, errlen, "empty value in", item, len, "");
			return -1;
		}
		o->text_value = item + eq + 1;
		o->text_len = (uint32_t)(len - eq - 1);
		return 0;
	}
	int64_t v;
	if (!workload_parse_int(item + eq + 1, len - eq - 1, &v)) {
		workload_opt_error(ops, err, errlen, "not an integer (or too large):",
				   item, len, "");
		return -1;
	}
	if (!workload_value_allowed(o, v)) {
		if (o->nvalues && v >= o->min && v <= o->max)
			workload_values_tail(o, tail, sizeof(tail));
		else
			workload_range_tail(o, tail, sizeof(tail));
		workload_opt_error(ops, err, errlen, "option", item, len, tail);
		return -1;
	}
	o->value = v;
	return 0;
}

/* The rule of workload.h: an option named "fps" is the frame rate. */
static uint32_t workload_fps_milli(const struct workload_info *ops,
				   const struct workload_ctx *ctx)
{
	for (unsigned i = 0; i < ctx->nopt; i++)
		if (workload_name_is(ctx->opt[i].name, "fps", 3))
			return (uint32_t)ctx->opt[i].value * 1000;
	return ops->default_fps_milli;
}

/* A rate of events at least frames_apart frames apart: value * frames_apart
 * events need that many frames per second. */
static int workload_check_rates(const struct workload_info *ops, const struct workload_ctx *ctx,
				char *err, size_t errlen)
{
	char tail[96], num[FMT_U64_LEN], item[48];
	for (unsigned i = 0; i < ctx->nopt; i++) {
		const struct workload_option *o = &ctx->opt[i];
		if (!o->frames_apart || (uint64_t)o->value * o->frames_apart * 1000 <= ctx->fps_milli)
			continue;
		item[0] = tail[0] = '\0';
		fmt_cat(item, sizeof(item), o->name);
		fmt_cat(item, sizeof(item), "=");
		fmt_i64(num, o->value);
		size_t len = fmt_cat(item, sizeof(item), num);
		fmt_cat(tail, sizeof(tail), " needs fps of at least ");
		fmt_i64(num, o->value * o->frames_apart);
		fmt_cat(tail, sizeof(tail), num);
		fmt_cat(tail, sizeof(tail), " (at most fps/");
		fmt_i64(num, o->frames_apart);
		fmt_cat(tail, sizeof(tail), num);
		fmt_cat(tail, sizeof(tail), "; fps is ");
		fmt_i64(num, ctx->fps_milli / 1000);
		fmt_cat(tail, sizeof(tail), num);
		fmt_cat(tail, sizeof(tail), ")");
		workload_opt_error(ops, err, errlen, "option", item, len, tail);
		return -1;
	}
	return 0;
}

/* Refused, never cut: a cut string would run another value than the one recorded. */
static int workload_check_length(const struct workload_info *ops, const char *spec,
				 char *err, size_t errlen)
{
	char num[FMT_U64_LEN];
	size_t n = 0;
	while (spec && spec[n])
		n++;
	if (n <= WORKLOAD_OPTIONS_MAX)
		return 0;
	if (errlen == 0)
		return -1;
	err[0] = '\0';
	fmt_cat(err, errlen, ops->name);
	fmt_cat(err, errlen, ": options of ");
	fmt_u64(num, n, 0, false);
	fmt_cat(err, errlen, num);
	fmt_cat(err, errlen, " characters; the guest takes at most ");
	fmt_i64(num, WORKLOAD_OPTIONS_MAX);
	fmt_cat(err, errlen, num);
	return -1;
}

const char *workload_opt_text(const struct workload_ctx *ctx, const char *name, uint32_t *len)
{
	size_t n = 0;
	while (name[n])
		n++;
	for (unsigned i = 0; i < ctx->nopt; i++)
		if (ctx->opt[i].text && workload_name_is(ctx->opt[i].name, name, n)) {
			*len = ctx->opt[i].text_len;
			return ctx->opt[i].text_value;
		}
	*len = 0;
	return NULL;
}

int workload_parse_options(const struct workload_info *ops, const char *spec,
			   struct workload_ctx *ctx, char *err, size_t errlen)
{
	workload_opt_defaults(ops, ctx);
	if (workload_check_length(ops, spec, err, errlen))
		return -1;
	while (spec && *spec) {
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
	ctx->fps_milli = workload_fps_milli(ops, ctx);
	return workload_check_rates(ops, ctx, err, errlen);
}
