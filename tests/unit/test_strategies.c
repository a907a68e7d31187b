/*
 * Unit tests for the host-side strategies that need no guest: a back end
 * made by hand whose VRAM is a malloc'd buffer, changed at random between
 * rounds. memcmp must report exactly the tiles with a changed byte, with
 * every compare kernel (AVX2, SSE2, 64-bit words) alike; memcmp-qemu
 * exactly the tiles its 16-pixel chunks cover; memhash (AVX2 and scalar)
 * exactly the changed tiles, its copy equal to VRAM after every round;
 * page-to-tile conversion (the walk and the table)
 * must match a per-pixel walk; the dirty-ring harvest must take exactly
 * the published entries, in ring order across the wrap.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/bitmap.h"
#include "backends/kvm/kvm_vm.h"
#include "core/strategy.h"
#include "workloads/lib/rng.h"

extern const struct strategy_ops strategy_memcmp;
extern const struct strategy_ops strategy_memcmp_qemu;
extern const struct strategy_ops strategy_memhash;

#define ROUNDS 60

struct res {
	uint32_t w, h, tile_w, tile_h;  /* tile 0x0: the default strips */
};

/* Default tiling at common sizes (1366: a stride that is not a multiple of
 * 4096, 22-pixel tiles), and odd tiles whose rows are not a multiple of
 * any vector width. */
static const struct res resolutions[] = {
	{ 1920, 1080, 0, 0 }, { 1366, 768, 0, 0 }, { 640, 480, 0, 0 },
	{ 640, 480, 16, 16 }, { 800, 600, 7, 5 }, { 1024, 768, 64, 64 }, { 130, 66, 3, 1 },
};

static const struct backend_ops fake_ops = { .name = "fake" };

/* Deterministic, so a failure reproduces. */
static struct rng test_rng = { 0x9e3779b97f4a7c15ull };

static void fake_backend(struct backend *be, const struct res *r)
{
	char err[200];

	memset(be, 0, sizeof(*be));
	be->ops = &fake_ops;
	assert_int_equal(fb_geometry_init(&be->geo, r->w, r->h, r->tile_w, r->tile_h, err, sizeof(err)), 0);
	be->vram_slot_pages = be->geo.pages;
	be->vram = malloc(be->geo.bytes);
	assert_non_null(be->vram);
	for (size_t i = 0; i < be->geo.bytes; i++)
		be->vram[i] = (uint8_t)rng_next(&test_rng);
}

static void set_pixel_tile(const struct fb_geometry *g, uint32_t x, uint32_t y, uint64_t *tiles)
{
	bitmap_set(tiles, (size_t)(y / g->tile_h) * g->cols + x / g->tile_w);
}

/* One round of changes: single bytes (any byte of a pixel), pixels at tile
 * edges, short spans, rectangles, the first and last byte of the screen;
 * some writes store what was already there and change nothing. */
static void scribble(const struct fb_geometry *g, uint8_t *vram)
{
	unsigned n = (uint32_t)rng_below(&test_rng, 6);

	for (unsigned i = 0; i < n; i++) {
		uint32_t kind = (uint32_t)rng_below(&test_rng, 6), x = (uint32_t)rng_below(&test_rng, g->width), y = (uint32_t)rng_below(&test_rng, g->height);
		size_t off = (size_t)y * g->stride + (size_t)x * FB_BYTES_PER_PIXEL;

		if (kind == 0) {
			vram[off + (uint32_t)rng_below(&test_rng, 4)] ^= (uint8_t)(1u << (uint32_t)rng_below(&test_rng, 8));
		} else if (kind == 1) {         /* either side of a tile edge */
			uint32_t edge = (x / g->tile_w) * g->tile_w;
			uint32_t px = (uint32_t)rng_below(&test_rng, 2) && edge ? edge - 1 : edge;

			vram[(size_t)y * g->stride + (size_t)px * FB_BYTES_PER_PIXEL] ^= 0x80;
		} else if (kind == 2) {
			vram[(uint32_t)rng_below(&test_rng, 2) ? 0 : g->bytes - 1] ^= 1;
		} else if (kind == 3) {         /* a rectangle of one colour */
			uint32_t w = 1 + (uint32_t)rng_below(&test_rng, g->width - x), h = 1 + (uint32_t)rng_below(&test_rng, g->height - y > 40 ? 40 : g->height - y);
			uint32_t colour = (uint32_t)rng_next(&test_rng);

			for (uint32_t r = 0; r < h; r++)
				for (uint32_t c = 0; c < w; c++)
					memcpy(vram + (size_t)(y + r) * g->stride + (size_t)(x + c) * 4, &colour, 4);
		} else if (kind == 4) {         /* a rewrite of identical bytes */
			memmove(vram + off, vram + off, g->bytes - off < 4096 ? g->bytes - off : 4096);
		} else {
			size_t len = 1 + (uint32_t)rng_below(&test_rng, 300);

			for (size_t b = off; b < off + len && b < g->bytes; b++)
				vram[b] = (uint8_t)rng_next(&test_rng);
		}
	}
}

/* The truth: tiles (and for memcmp-qemu, the tiles of 16-pixel chunks)
 * holding a pixel that differs from the previous round's copy. */
static void reference(const struct fb_geometry *g, const uint8_t *prev, const uint8_t *vram,
		      uint64_t *tiles, uint64_t *chunk_tiles)
{
	bitmap_zero(tiles, g->ntiles);
	bitmap_zero(chunk_tiles, g->ntiles);
	for (uint32_t y = 0; y < g->height; y++)
		for (uint32_t x = 0; x < g->width; x++) {
			size_t off = (size_t)y * g->stride + (size_t)x * 4;
			uint32_t c0 = x / 16 * 16;

			if (!memcmp(prev + off, vram + off, 4))
				continue;
			set_pixel_tile(g, x, y, tiles);
			for (uint32_t cx = c0; cx < c0 + 16 && cx < g->width; cx++)
				set_pixel_tile(g, cx, y, chunk_tiles);
		}
}

static void describe_mismatch(const struct fb_geometry *g, const char *who, const uint64_t *got,
			      const uint64_t *want, unsigned round)
{
	for (size_t t = 0; t < g->ntiles; t++)
		if (bitmap_test(got, t) != bitmap_test(want, t))
			fail_msg("%ux%u tiles %ux%u, round %u: %s %s tile (%zu,%zu)", g->width, g->height,
				 g->tile_w, g->tile_h, round, who,
				 bitmap_test(got, t) ? "reported unchanged" : "missed changed",
				 t % g->cols, t / g->cols);
}

/* A strategy on the fake back end; path (--sopt path=) picks memcmp's kernel. */
struct runner {
	const char *label;
	struct strategy s;
	struct dirty_set ds;
};

static bool runner_init(struct runner *r, const struct strategy_ops *ops, const char *path,
			struct backend *be)
{
	char opt[32];

	snprintf(opt, sizeof(opt), "path=%s", path ? path : "");
	r->label = path ? path : ops->name;
	if (strategy_init_with_options(&r->s, ops, be, path ? opt : NULL)) {
		strategy_fini(&r->s);
		return false;
	}
	assert_int_equal(dirty_set_alloc(&r->ds, &be->geo), 0);
	assert_int_equal(strategy_start(&r->s), 0);
	return true;
}

static void runner_fini(struct runner *r)
{
	strategy_stop(&r->s);
	strategy_fini(&r->s);
	dirty_set_free(&r->ds);
}

enum { R_AVX2, R_SSE2, R_U64, R_QEMU, R_HASH_AVX2, R_HASH_LINE, R_HASH_SCALAR, NRUNNERS };

static void run_resolution(const struct res *res)
{
	struct backend be;
	struct runner run[NRUNNERS];
	bool live[NRUNNERS];
	uint64_t *want, *want_chunks;
	uint8_t *prev;

	fake_backend(&be, res);
	want = calloc(BITMAP_WORDS(be.geo.ntiles), 8);
	want_chunks = calloc(BITMAP_WORDS(be.geo.ntiles), 8);
	prev = malloc(be.geo.bytes);
	assert_true(want && want_chunks && prev);
	live[R_AVX2] = runner_init(&run[R_AVX2], &strategy_memcmp, "avx2", &be);
	live[R_SSE2] = runner_init(&run[R_SSE2], &strategy_memcmp, "sse2", &be);
	live[R_U64] = runner_init(&run[R_U64], &strategy_memcmp, "u64", &be);
	live[R_QEMU] = runner_init(&run[R_QEMU], &strategy_memcmp_qemu, NULL, &be);
	live[R_HASH_AVX2] = runner_init(&run[R_HASH_AVX2], &strategy_memhash, "avx2", &be);
	live[R_HASH_LINE] = runner_init(&run[R_HASH_LINE], &strategy_memhash, "avx2,order=line", &be);
	live[R_HASH_SCALAR] = runner_init(&run[R_HASH_SCALAR], &strategy_memhash, "scalar", &be);
	run[R_HASH_AVX2].label = "memhash avx2", run[R_HASH_SCALAR].label = "memhash scalar";
	run[R_HASH_LINE].label = "memhash avx2 order=line";
	assert_true(live[R_U64] && live[R_QEMU] && live[R_HASH_SCALAR]);
	if (!live[R_AVX2])
		print_message("no AVX2 on this CPU: the AVX2 kernel is not compared\n");
	for (unsigned round = 0; round < ROUNDS; round++) {
		memcpy(prev, be.vram, be.geo.bytes);
		scribble(&be.geo, be.vram);
		reference(&be.geo, prev, be.vram, want, want_chunks);
		for (int i = 0; i < NRUNNERS; i++) {
			if (!live[i])
				continue;
			assert_int_equal(strategy_scan(&run[i].s, &run[i].ds), 0);
			describe_mismatch(&be.geo, run[i].label, run[i].ds.tiles,
					  i == R_QEMU ? want_chunks : want, round);
			/* Every content strategy's copy is what its consumer holds: VRAM. */
			if (memcmp(run[i].s.ops->shadow(&run[i].s), be.vram, be.geo.bytes))
				fail_msg("round %u: %s's copy differs from VRAM after a scan", round, run[i].label);
		}
	}
	for (int i = 0; i < NRUNNERS; i++)
		if (live[i])
			runner_fini(&run[i]);
	free(want);
	free(want_chunks);
	free(prev);
	free(be.vram);
}

static void test_memcmp_paths_and_qemu(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(resolutions) / sizeof(resolutions[0]); i++)
		run_resolution(&resolutions[i]);
}

/* An unchanged screen reports nothing, a fully changed one everything. */
static void test_memcmp_none_and_all(void **state)
{
	struct res res = { 1920, 1080, 0, 0 };
	struct backend be;
	struct runner r;

	(void)state;
	fake_backend(&be, &res);
	assert_true(runner_init(&r, &strategy_memcmp, NULL, &be));
	assert_int_equal(strategy_scan(&r.s, &r.ds), 0);
	assert_int_equal(bitmap_weight(r.ds.tiles, be.geo.ntiles), 0);
	for (size_t i = 0; i < be.geo.bytes; i += 4)
		be.vram[i] ^= 0xFF;
	assert_int_equal(strategy_scan(&r.s, &r.ds), 0);
	assert_int_equal(bitmap_weight(r.ds.tiles, be.geo.ntiles), be.geo.ntiles);
	assert_int_equal(strategy_scan(&r.s, &r.ds), 0);
	assert_int_equal(bitmap_weight(r.ds.tiles, be.geo.ntiles), 0);
	runner_fini(&r);
	free(be.vram);
}

static void test_memcmp_bad_path(void **state)
{
	struct res res = { 640, 480, 0, 0 };
	struct backend be;
	struct strategy s;

	(void)state;
	fake_backend(&be, &res);
	assert_int_equal(strategy_init_with_options(&s, &strategy_memcmp, &be, "path=neon"), -1);
	assert_true(s.bad_input);
	assert_non_null(strstr(s.error, "path=neon"));
	strategy_fini(&s);
	free(be.vram);
}

/* The per-pixel truth: every pixel whose bytes lie in the page. */
static void naive_page_tiles(const struct fb_geometry *g, size_t page, uint64_t *tiles)
{
	size_t end = (page + 1) * FB_PAGE_SIZE < g->bytes ? (page + 1) * FB_PAGE_SIZE : g->bytes;

	for (size_t off = page * FB_PAGE_SIZE; off < end; off += FB_BYTES_PER_PIXEL)
		set_pixel_tile(g, (uint32_t)(off % g->stride / FB_BYTES_PER_PIXEL),
			       (uint32_t)(off / g->stride), tiles);
}

static void test_page_to_tiles(void **state)
{
	static const struct res extra[] = { { 1366, 768, 100, 50 }, { 1280, 1024, 1, 1 } };
	char err[200];

	(void)state;
	for (size_t i = 0; i < sizeof(resolutions) / sizeof(resolutions[0]) + 2; i++) {
		const struct res *r = i < sizeof(resolutions) / sizeof(resolutions[0]) ?
				      &resolutions[i] : &extra[i - sizeof(resolutions) / sizeof(resolutions[0])];
		struct fb_geometry g;
		struct page_tile_map map;
		uint64_t *got, *want;

		assert_int_equal(fb_geometry_init(&g, r->w, r->h, r->tile_w, r->tile_h, err, sizeof(err)), 0);
		got = calloc(BITMAP_WORDS(g.ntiles), 8);
		want = calloc(BITMAP_WORDS(g.ntiles), 8);
		assert_true(got && want);
		assert_int_equal(page_tile_map_init(&map, &g), 0);
		for (size_t p = 0; p < g.pages; p++) {
			bitmap_zero(got, g.ntiles);
			bitmap_zero(want, g.ntiles);
			dirty_set_page_to_tiles(&g, p, got);
			naive_page_tiles(&g, p, want);
			if (memcmp(got, want, BITMAP_WORDS(g.ntiles) * 8))
				fail_msg("%ux%u tiles %ux%u: page %zu maps to the wrong tiles",
					 r->w, r->h, g.tile_w, g.tile_h, p);
			bitmap_zero(got, g.ntiles);
			page_tile_map_page(&map, p, got);
			if (memcmp(got, want, BITMAP_WORDS(g.ntiles) * 8))
				fail_msg("%ux%u tiles %ux%u: the table maps page %zu to the wrong tiles",
					 r->w, r->h, g.tile_w, g.tile_h, p);
		}
		page_tile_map_fini(&map);
		free(got);
		free(want);
	}
}

/* A fake ring on a struct kvm_vm: the KVM back end's harvest reads only
 * memory, so it runs here without /dev/kvm. */
static void publish(struct kvm_vm *vm, uint32_t index, uint32_t slot, uint64_t offset)
{
	struct kvm_dirty_gfn *e = &vm->dirty_ring[index & (vm->dirty_ring_entries - 1)];

	e->slot = slot;
	e->offset = offset;
	__atomic_store_n(&e->flags, KVM_DIRTY_GFN_F_DIRTY, __ATOMIC_RELEASE);
}

static void test_dirty_ring_harvest(void **state)
{
	struct kvm_vm vm;
	uint64_t pages[BITMAP_WORDS(2048)] = { 0 };

	(void)state;
	memset(&vm, 0, sizeof(vm));
	vm.be.ops = &kvm_backend_ops;
	vm.be.vram_slot_pages = 2048;
	vm.dirty_ring_entries = 16;
	vm.dirty_ring = calloc(16, sizeof(*vm.dirty_ring));
	assert_non_null(vm.dirty_ring);
	assert_int_equal(backend_dirty_ring_harvest(&vm.be, pages), 0);
	vm.dirty_ring_next = 14;                /* the next harvest wraps */
	publish(&vm, 14, KVM_SLOT_VRAM, 5);
	publish(&vm, 15, KVM_SLOT_VRAM, 2047);
	publish(&vm, 16, KVM_SLOT_RAM, 7);     /* another slot: harvested, not reported */
	publish(&vm, 17, KVM_SLOT_VRAM, 4096);  /* out of the slot: ignored */
	publish(&vm, 18, KVM_SLOT_VRAM, 64);
	assert_int_equal(backend_dirty_ring_harvest(&vm.be, pages), 5);
	assert_int_equal(vm.dirty_ring_next, 19);
	assert_int_equal(bitmap_weight(pages, 2048), 3);
	assert_true(bitmap_test(pages, 5) && bitmap_test(pages, 2047) && bitmap_test(pages, 64));
	for (uint32_t i = 14; i < 19; i++)
		assert_int_equal(vm.dirty_ring[i & 15].flags, KVM_DIRTY_GFN_F_RESET);
	/* Entries not yet published stop the harvest. */
	assert_int_equal(backend_dirty_ring_harvest(&vm.be, pages), 0);
	free(vm.dirty_ring);
}

int main(void)
{
	static const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_memcmp_paths_and_qemu),
		cmocka_unit_test(test_memcmp_none_and_all),
		cmocka_unit_test(test_memcmp_bad_path),
		cmocka_unit_test(test_page_to_tiles),
		cmocka_unit_test(test_dirty_ring_harvest),
	};

	return cmocka_run_group_tests_name("strategies", tests, NULL, NULL);
}
