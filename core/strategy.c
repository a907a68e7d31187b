/*
 * The harness around strategy hooks: the registry lookup, the one-time table
 * check, and the wrappers through which every hook is called. Page-granular
 * results become tiles here, with the framebuffer's real stride, so every
 * strategy pays the same conversion cost inside its timed scan.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/bitmap.h"
#include "core/strategy.h"

const struct strategy_ops *strategy_find(const char *name)
{
	for (const struct strategy_ops *const *s = strategy_registry; *s; s++)
		if (!strcmp((*s)->name, name))
			return *s;
	return NULL;
}

int strategy_ops_validate(const struct strategy_ops *ops, char *err, size_t len)
{
	const char *missing = !ops->name ? "name" : !ops->description ? "description" :
			      !ops->init ? "init" : !ops->start ? "start" : !ops->scan ? "scan" :
			      !ops->stop ? "stop" : !ops->fini ? "fini" : NULL;

	if (missing) {
		snprintf(err, len, "strategy %s lacks %s", ops->name ? ops->name : "(unnamed)", missing);
		return -1;
	}
	return 0;
}

static int parse_options(struct strategy *s, const char *spec)
{
	char buf[512], *save = NULL;

	snprintf(buf, sizeof(buf), "%s", spec ? spec : "");
	for (char *kv = strtok_r(buf, ",", &save); kv; kv = strtok_r(NULL, ",", &save)) {
		char *eq = strchr(kv, '=');
		struct strategy_option *o = &s->opt[s->nopt];

		if (!eq || eq == kv || s->nopt == STRATEGY_MAX_OPTIONS ||
		    (size_t)(eq - kv) >= sizeof(o->key) || strlen(eq + 1) >= sizeof(o->value)) {
			snprintf(s->error, sizeof(s->error), "strategy option '%s': want key=value", kv);
			s->bad_input = true;
			return -1;
		}
		*eq = 0;
		snprintf(o->key, sizeof(o->key), "%s", kv);
		snprintf(o->value, sizeof(o->value), "%s", eq + 1);
		s->nopt++;
	}
	return 0;
}

const char *strategy_option(struct strategy *s, const char *key, const char *def)
{
	const char *value = def;

	for (unsigned i = 0; i < s->nopt; i++)
		if (!strcmp(s->opt[i].key, key)) {
			s->opt[i].used = true;
			value = s->opt[i].value;
		}
	return value;
}

int strategy_option_long(struct strategy *s, const char *key, long def, long min, long max,
			 long *out)
{
	const char *v = strategy_option(s, key, NULL);
	char *end;

	*out = def;
	if (!v)
		return 0;
	*out = strtol(v, &end, 10);
	if (!*v || *end || *out < min || *out > max) {
		snprintf(s->error, sizeof(s->error), "strategy option %s=%s: want an integer in %ld..%ld",
			 key, v, min, max);
		s->bad_input = true;
		return -1;
	}
	return 0;
}

static int check_options_used(struct strategy *s)
{
	for (unsigned i = 0; i < s->nopt; i++)
		if (!s->opt[i].used) {
			snprintf(s->error, sizeof(s->error), "strategy %s has no option '%s'%s%s",
				 s->ops->name, s->opt[i].key, s->ops->options ? "; it takes: " : "",
				 s->ops->options ? s->ops->options : "");
			s->bad_input = true;
			return -1;
		}
	return 0;
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
	if (parse_options(s, options) || ops->init(s))
		return -1;
	return check_options_used(s);
}

int strategy_start(struct strategy *s)
{
	return s->ops->start(s);
}

int strategy_scan(struct strategy *s, struct dirty_set *out)
{
	dirty_set_clear(out, s->geo);
	if (s->ops->scan(s, out))
		return -1;
	if (out->full) {
		bitmap_fill(out->tiles, s->geo->ntiles);
	} else if (out->has_pages) {
		for (size_t w = 0; w < BITMAP_WORDS(s->geo->pages); w++)
			for (uint64_t bits = out->pages[w]; bits; bits &= bits - 1)
				dirty_set_page_to_tiles(s->geo, w * 64 + (size_t)__builtin_ctzll(bits),
							out->tiles);
	}
	return 0;
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
	s->ops->stop(s);
}

void strategy_fini(struct strategy *s)
{
	if (s->ops)
		s->ops->fini(s);
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
