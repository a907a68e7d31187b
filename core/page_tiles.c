#include <stdlib.h>
#include <string.h>

#include "core/bitmap.h"
#include "core/page_tiles.h"
#include "core/strategy.h"

/* Append the words of the tile bits set in one page's scratch bitmap
 * [lo, hi) (the only words dirty_set_page_to_tiles could have touched). */
static int append_words(struct page_tile_map *m, size_t *cap, size_t *n, uint64_t *scratch,
			size_t lo, size_t hi)
{
	for (size_t w = lo; w < hi; w++) {
		if (!scratch[w])
			continue;
		if (*n == *cap) {
			size_t grow = *cap ? *cap * 2 : 1024;
			struct page_tile_word *p = realloc(m->words, grow * sizeof(*p));

			if (!p)
				return -1;
			m->words = p;
			*cap = grow;
		}
		m->words[(*n)++] = (struct page_tile_word){ (uint32_t)w, scratch[w] };
		scratch[w] = 0;
	}
	return 0;
}

/* The tile bitmap words a page can touch: from its first byte's tile row to
 * its last byte's. The table is built from dirty_set_page_to_tiles itself,
 * so the two can never disagree. */
int page_tile_map_init(struct page_tile_map *m, const struct fb_geometry *g)
{
	uint64_t *scratch = calloc(BITMAP_WORDS(g->ntiles), sizeof(uint64_t));
	size_t cap = 0, n = 0;

	memset(m, 0, sizeof(*m));
	m->first = calloc(g->pages + 1, sizeof(*m->first));
	if (!scratch || !m->first)
		goto fail;
	for (size_t page = 0; page < g->pages; page++) {
		size_t first = page * FB_PAGE_SIZE;
		size_t last = first + FB_PAGE_SIZE < g->bytes ? first + FB_PAGE_SIZE - 1 : g->bytes - 1;
		size_t lo = (first / g->stride / g->tile_h) * g->cols / 64;
		size_t hi = ((last / g->stride / g->tile_h) + 1) * g->cols / 64 + 1;

		if (hi > BITMAP_WORDS(g->ntiles))
			hi = BITMAP_WORDS(g->ntiles);
		m->first[page] = (uint32_t)n;
		dirty_set_page_to_tiles(g, page, scratch);
		if (append_words(m, &cap, &n, scratch, lo, hi))
			goto fail;
	}
	m->first[g->pages] = (uint32_t)n;
	m->pages = g->pages;
	free(scratch);
	return 0;
fail:
	free(scratch);
	page_tile_map_fini(m);
	return -1;
}

void page_tile_map_fini(struct page_tile_map *m)
{
	free(m->first);
	free(m->words);
	memset(m, 0, sizeof(*m));
}

void page_tile_map_apply(const struct page_tile_map *m, const uint64_t *pages, uint64_t *tiles)
{
	for (size_t w = 0; w < BITMAP_WORDS(m->pages); w++)
		for (uint64_t bits = pages[w]; bits; bits &= bits - 1)
			page_tile_map_page(m, w * 64 + (size_t)__builtin_ctzll(bits), tiles);
}
