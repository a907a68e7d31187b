/*
 * Page to tile conversion by table: for each 4 KiB page of the framebuffer,
 * the (word, mask) pairs of the tile bitmap its bytes fall in, computed once
 * per run. A page-granular round then costs a few ORs a dirty page instead
 * of a walk over the page's scanlines (issue 19 measured the walk at about
 * 40 % of logdirty's round on video).
 */
#ifndef DIRTYBENCH_PAGE_TILES_H
#define DIRTYBENCH_PAGE_TILES_H

#include <stddef.h>
#include <stdint.h>

#include "core/fbgeom.h"

struct page_tile_word {
	uint32_t word;          /* index in the tile bitmap */
	uint64_t mask;          /* the page's tiles in that word */
};

struct page_tile_map {
	size_t pages;
	uint32_t *first;                /* pages + 1 offsets into words */
	struct page_tile_word *words;
};

/* 0, or -1 when out of memory (the map is then empty, and safe to free). */
int page_tile_map_init(struct page_tile_map *m, const struct fb_geometry *g);
void page_tile_map_fini(struct page_tile_map *m);
/* OR the tiles of every page set in pages (m->pages bits) into tiles. */
void page_tile_map_apply(const struct page_tile_map *m, const uint64_t *pages, uint64_t *tiles);
/* OR the tiles of one page into tiles. */
static inline void page_tile_map_page(const struct page_tile_map *m, size_t page, uint64_t *tiles)
{
	for (uint32_t i = m->first[page]; i < m->first[page + 1]; i++)
		tiles[m->words[i].word] |= m->words[i].mask;
}

#endif
