/*
 * The harness around strategy hooks: the registry lookup, the one-time table
 * check (required hooks, a well-formed option table), --sopt parsed against
 * that table before init, and the wrappers through which every hook is
 * called (the optional ones only when present). Page-granular
 * results become tiles here, with the framebuffer's real stride, so every
 * strategy pays the same conversion cost inside its timed scan.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/bitmap.h"
#include "core/strategy.h"
#include "include/compiler.h"

const struct strategy_ops *strategy_find(const char *name)
{
	for (const struct strategy_ops *const *s = strategy_registry; *s; s++)
		if (!strcmp((*s)->name, name))
			return *s;
	return NULL;
}

static int option_error(char *err, size_t len, const char *strategy, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static int option_error(char *err, size_t len, const char *strategy, const char *fmt, ...)
{
	size_t n = (size_t)snprintf(err, len, "strategy %s option ", strategy);
	va_list ap;

	va_start(ap, fmt);
	if (n < len)
		vsnprintf(err + n, len - n, fmt, ap);
	va_end(ap);
	return -1;
}

const char *strategy_option_type_name(enum strategy_option_type type)
{
	static const char *const names[] = {
		[STRATEGY_OPT_INT] = "int", [STRATEGY_OPT_ENUM] = "enum",
		[STRATEGY_OPT_BOOL] = "bool", [STRATEGY_OPT_STRING] = "string",
	};

	return (unsigned)type < ARRAY_SIZE(names) ? names[type] : NULL;
}

/* "auto, mapping, tlb or none" */
static void enum_values_text(const struct strategy_option_spec *o, char *buf, size_t len)
{
	size_t n = 0;

	buf[0] = 0;
	for (size_t i = 0; o->values[i] && n < len; i++)
		n += (size_t)snprintf(buf + n, len - n, "%s%s", i == 0 ? "" : !o->values[i + 1] ? " or " : ", ",
				      o->values[i]);
}

static int option_integer(const char *who, const struct strategy_option_spec *o, const char *text,
			  long *out, char *err, size_t len)
{
	bool is_bool = o->type == STRATEGY_OPT_BOOL;
	long min = is_bool ? 0 : o->min, max = is_bool ? 1 : o->max;
	char *end;

	errno = 0;
	*out = strtol(text, &end, 10);
	if (*text && !*end && !errno && *out >= min && *out <= max)
		return 0;
	if (is_bool)
		return option_error(err, len, who, "%s=%s: want 0 or 1", o->name, text);
	return option_error(err, len, who, "%s=%s: want an integer in %ld..%ld", o->name, text, min, max);
}

/* One value against its spec into v: 0, or -1 with one line in err. */
static int option_value(const char *who, const struct strategy_option_spec *o, const char *text,
			struct strategy_option_value *v, char *err, size_t len)
{
	char choices[256];

	if (strlen(text) >= sizeof(v->text))
		return option_error(err, len, who, "%s: a value of at most %zu characters", o->name,
				    sizeof(v->text) - 1);
	snprintf(v->text, sizeof(v->text), "%s", text);
	v->num = 0;
	switch (o->type) {
	case STRATEGY_OPT_INT:
	case STRATEGY_OPT_BOOL:
		return option_integer(who, o, text, &v->num, err, len);
	case STRATEGY_OPT_ENUM:
		for (v->num = 0; o->values[v->num]; v->num++)
			if (!strcmp(o->values[v->num], text))
				return 0;
		enum_values_text(o, choices, sizeof(choices));
		return option_error(err, len, who, "%s=%s: want %s", o->name, text, choices);
	case STRATEGY_OPT_STRING:
		return 0;
	}
	return option_error(err, len, who, "%s: unknown type", o->name);
}

/* Option i's spec, or NULL past the end. */
static const struct strategy_option_spec *option_at(const struct strategy_ops *ops, size_t i)
{
	return ops->options && ops->options[i].name ? &ops->options[i] : NULL;
}

static int option_index(const struct strategy_ops *ops, const char *name)
{
	for (size_t i = 0; option_at(ops, i); i++)
		if (!strcmp(ops->options[i].name, name))
			return (int)i;
	return -1;
}

/* The table itself: names unique, types known, enums with values, defaults
 * that pass their own check. */
static int options_validate(const struct strategy_ops *ops, char *err, size_t len)
{
	struct strategy_option_value v;
	size_t i;

	for (i = 0; option_at(ops, i); i++) {
		const struct strategy_option_spec *o = &ops->options[i];

		if (i == STRATEGY_MAX_OPTIONS)
			return option_error(err, len, ops->name, "table: more than %d options", STRATEGY_MAX_OPTIONS);
		if (option_index(ops, o->name) != (int)i || !strategy_option_type_name(o->type) || !o->help ||
		    (o->type == STRATEGY_OPT_ENUM && (!o->values || !o->values[0])) ||
		    (o->type == STRATEGY_OPT_INT && o->min > o->max) || (o->type != STRATEGY_OPT_STRING && !o->def))
			return option_error(err, len, ops->name, "%s: malformed table entry", o->name);
		if (option_value(ops->name, o, o->def ? o->def : "", &v, err, len))
			return -1;
	}
	return 0;
}

int strategy_ops_validate(const struct strategy_ops *ops, char *err, size_t len)
{
	const char *missing = !ops->name ? "name" : !ops->description ? "description" :
			      !ops->scan ? "scan" : NULL;

	if (missing) {
		snprintf(err, len, "strategy %s lacks %s", ops->name ? ops->name : "(unnamed)", missing);
		return -1;
	}
	return options_validate(ops, err, len);
}

static void option_names(const struct strategy_ops *ops, char *buf, size_t len)
{
	size_t n = 0;

	buf[0] = 0;
	for (size_t i = 0; option_at(ops, i) && n < len; i++)
		n += (size_t)snprintf(buf + n, len - n, "%s%s", i ? ", " : "", ops->options[i].name);
}

/* What a message quotes of a long item: its start, so the reason still fits. */
#define OPTION_QUOTED 40

static const char *option_quoted(const char *s, char buf[OPTION_QUOTED + 1])
{
	if (strlen(s) <= OPTION_QUOTED)
		return s;
	snprintf(buf, OPTION_QUOTED + 1, "%.*s...", OPTION_QUOTED - 3, s);
	return buf;
}

static int option_assign(const struct strategy_ops *ops, char *kv, struct strategy_option_value *opt,
			 char *err, size_t len)
{
	char *eq = strchr(kv, '='), names[256], quoted[OPTION_QUOTED + 1];
	int i;

	if (!eq || eq == kv)
		return option_error(err, len, ops->name, "'%s': want key=value", option_quoted(kv, quoted));
	*eq = 0;
	i = option_index(ops, kv);
	if (i >= 0)
		return option_value(ops->name, &ops->options[i], eq + 1, &opt[i], err, len);
	option_names(ops, names, sizeof(names));
	if (!*names)
		snprintf(err, len, "strategy %s takes no options (--sopt %s=...)", ops->name, option_quoted(kv, quoted));
	else
		snprintf(err, len, "strategy %s has no option '%s'; it takes: %s", ops->name,
			 option_quoted(kv, quoted), names);
	return -1;
}

/* The whole string, however long: nothing is cut (a value longer than its
 * STRATEGY_OPT_STRING_MAX - 1 characters is refused by option_value). */
int strategy_options_parse(const struct strategy_ops *ops, const char *options,
			   struct strategy_option_value *opt, char *err, size_t len)
{
	char *buf, *save = NULL;
	int status = 0;

	if (options_validate(ops, err, len))
		return -1;
	memset(opt, 0, STRATEGY_MAX_OPTIONS * sizeof(*opt));
	for (size_t i = 0; option_at(ops, i); i++)
		(void)option_value(ops->name, &ops->options[i], ops->options[i].def ? ops->options[i].def : "",
				   &opt[i], err, len);
	buf = strdup(options ? options : "");
	if (!buf) {
		snprintf(err, len, "strategy %s: out of memory for --sopt", ops->name);
		return -1;
	}
	for (char *kv = strtok_r(buf, ",", &save); kv && !status; kv = strtok_r(NULL, ",", &save))
		status = option_assign(ops, kv, opt, err, len);
	free(buf);
	return status;
}

static const struct strategy_option_value *option_find(const struct strategy *s, const char *name)
{
	int i = s->ops ? option_index(s->ops, name) : -1;

	return i >= 0 ? &s->opt[i] : NULL;
}

long strategy_opt_int(const struct strategy *s, const char *name)
{
	const struct strategy_option_value *v = option_find(s, name);

	return v ? v->num : 0;
}

const char *strategy_opt_str(const struct strategy *s, const char *name)
{
	const struct strategy_option_value *v = option_find(s, name);

	return v ? v->text : "";
}

int strategy_init(struct strategy *s, const struct strategy_ops *ops, struct backend *be)
{
	return strategy_init_with_options(s, ops, be, NULL);
}

int strategy_init_with_options(struct strategy *s, const struct strategy_ops *ops,
			       struct backend *be, const char *options)
{
	char why[200];

	memset(s, 0, sizeof(*s));
	s->ops = ops;
	s->be = be;
	s->geo = &be->geo;
	if (strategy_ops_validate(ops, s->error, sizeof(s->error)))
		return -1;
	if (!backend_has(be, ops->needs)) {
		snprintf(s->error, sizeof(s->error), "strategy %s is not supported here: the %s back end lacks what it needs",
			 ops->name, be->ops->name);
		s->bad_input = true;
		return -1;
	}
	if (ops->supported && !ops->supported(be, why, sizeof(why))) {
		snprintf(s->error, sizeof(s->error), "strategy %s is not supported here: %s",
			 ops->name, why);
		s->bad_input = true;    /* exit 2, as for a host without /dev/kvm */
		return -1;
	}
	if (strategy_options_parse(ops, options, s->opt, s->error, sizeof(s->error))) {
		s->bad_input = true;
		return -1;
	}
	if (page_tile_map_init(&s->tile_map, s->geo)) {
		snprintf(s->error, sizeof(s->error), "out of memory for the page to tile table");
		return -1;
	}
	return ops->init ? ops->init(s) : 0;
}

int strategy_start(struct strategy *s)
{
	return s->ops->start ? s->ops->start(s) : 0;
}

static int scan_with(struct strategy *s, struct dirty_set *out,
		     int (*hook)(struct strategy *s, struct dirty_set *out))
{
	dirty_set_clear(out, s->geo);
	if (hook(s, out))
		return -1;
	if (out->full) {
		bitmap_fill(out->tiles, s->geo->ntiles);
	} else if (out->has_pages) {
		page_tile_map_apply(&s->tile_map, out->pages, out->tiles);
	}
	return 0;
}

int strategy_scan(struct strategy *s, struct dirty_set *out)
{
	return scan_with(s, out, s->ops->scan);
}

int strategy_scan_quiet(struct strategy *s, struct dirty_set *out)
{
	return scan_with(s, out, s->ops->scan_quiet ? s->ops->scan_quiet : s->ops->scan);
}

int strategy_ring_full(struct strategy *s)
{
	if (!s->ops || !s->ops->ring_full) {
		snprintf(s->error, sizeof(s->error), "the dirty ring filled up but %s does not harvest one",
			 s->ops ? s->ops->name : "no strategy");
		return -1;
	}
	return s->ops->ring_full(s);
}

void strategy_stop(struct strategy *s)
{
	if (s->ops->stop)
		s->ops->stop(s);
}

void strategy_fini(struct strategy *s)
{
	if (s->ops && s->ops->fini)
		s->ops->fini(s);
	page_tile_map_fini(&s->tile_map);
	s->ops = NULL;
}

int dirty_set_alloc(struct dirty_set *ds, const struct fb_geometry *g)
{
	memset(ds, 0, sizeof(*ds));
	ds->tiles = calloc(BITMAP_WORDS(g->ntiles), sizeof(uint64_t));
	ds->pages = calloc(BITMAP_WORDS(g->pages), sizeof(uint64_t));
	return ds->tiles && ds->pages ? 0 : -1;
}

void dirty_set_free(struct dirty_set *ds)
{
	free(ds->tiles);
	free(ds->pages);
	memset(ds, 0, sizeof(*ds));
}

void dirty_set_clear(struct dirty_set *ds, const struct fb_geometry *g)
{
	bitmap_zero(ds->tiles, g->ntiles);
	bitmap_zero(ds->pages, g->pages);
	ds->has_pages = false;
	ds->full = false;
}

/* A page's bytes cover a run of pixels that may wrap over several scanlines. */
void dirty_set_page_to_tiles(const struct fb_geometry *g, size_t page, uint64_t *tiles)
{
	size_t first = page * FB_PAGE_SIZE, end = first + FB_PAGE_SIZE;

	if (end > g->bytes)
		end = g->bytes;
	while (first < end) {
		uint32_t y = (uint32_t)(first / g->stride);
		size_t line_end = (size_t)(y + 1) * g->stride;
		size_t stop = end < line_end ? end : line_end;
		uint32_t x0 = (uint32_t)(first % g->stride) / FB_BYTES_PER_PIXEL;
		uint32_t x1 = (uint32_t)((stop - 1) % g->stride) / FB_BYTES_PER_PIXEL;
		size_t row = (size_t)(y / g->tile_h) * g->cols;

		bitmap_set_range(tiles, row + x0 / g->tile_w, x1 / g->tile_w - x0 / g->tile_w + 1);
		first = stop;
	}
}
