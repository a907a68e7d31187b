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

int strategy_ops_validate(const struct strategy_ops *ops, char *err, size_t len)
{
	const char *missing = !ops->name ? "name" : !ops->description ? "description" :
			      !ops->scan ? "scan" : NULL;

	if (missing) {
		snprintf(err, len, "strategy %s lacks %s", ops->name ? ops->name : "(unnamed)", missing);
		return -1;
	}
	return option_table_validate(&(struct option_owner){ "strategy", ops->name, "--sopt", ops->options },
				     err, len);
}

int strategy_options_parse(const struct strategy_ops *ops, const char *options,
			   struct strategy_option_value *opt, char *err, size_t len)
{
	return option_table_parse(&(struct option_owner){ "strategy", ops->name, "--sopt", ops->options },
				  options, opt, err, len);
}

static const struct strategy_option_value *option_find(const struct strategy *s, const char *name)
{
	int i = s->ops ? option_table_index(&(struct option_owner){ "strategy", s->ops->name, "--sopt", s->ops->options },
					     name) : -1;

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
