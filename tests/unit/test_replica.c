/*
 * The consumer replica (core/replica.c): it takes in exactly the reported
 * tiles, counts the bytes whose pixels really changed (never more than the
 * tiles' bytes: precision <= 1), and a comparison with VRAM names the tiles
 * that differ. Screen 64x64 in 16x16 tiles (4 x 4).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "core/bitmap.h"
#include "core/replica.h"

#define W 64
#define H 64

static struct fb_geometry geo;
static uint8_t vram[W * H * 4];

static void setup_geo(void)
{
	char why[64];

	assert_int_equal(fb_geometry_init(&geo, W, H, 16, 16, why, sizeof(why)), 0);
	memset(vram, 0, sizeof(vram));
}

static void put_pixel(uint32_t x, uint32_t y, uint32_t v)
{
	memcpy(vram + (size_t)y * geo.stride + x * 4, &v, 4);
}

static void counts_only_pixels_that_changed(void **state)
{
	struct replica r;
	uint64_t tiles[1] = { 0 };

	(void)state;
	setup_geo();
	assert_int_equal(replica_init(&r, &geo, vram), 0);
	put_pixel(1, 1, 0x123456);      /* tile 0 */
	put_pixel(2, 1, 0);             /* rewritten with its own value: no change */
	put_pixel(20, 20, 7);           /* tile 5, not reported */
	bitmap_set(tiles, 0);
	bitmap_set(tiles, 1);           /* reported, nothing changed there */
	replica_update(&r, tiles, vram, true);
	assert_int_equal(r.true_changed_bytes, 4);
	assert_true(r.true_changed_bytes <= fb_tile_bytes(&geo, 0) + fb_tile_bytes(&geo, 1));
	/* Not counted when asked not to (a quiet round, warm-up), still copied. */
	put_pixel(3, 3, 9);
	replica_update(&r, tiles, vram, false);
	assert_int_equal(r.true_changed_bytes, 4);
	/* Tile 5 was never reported: the comparison names it. */
	assert_int_equal(replica_compare(&r, vram, "test"), 1);
	assert_true(bitmap_test(r.diff, 5));
	assert_non_null(strstr(r.first_mismatch, "first at tile (1,1)"));
	bitmap_zero(tiles, geo.ntiles);
	bitmap_set(tiles, 5);
	replica_update(&r, tiles, vram, true);
	assert_int_equal(replica_compare(&r, vram, "test"), 0);
	assert_int_equal(r.tiles_mismatched, 1);
	replica_fini(&r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(counts_only_pixels_that_changed),
	};

	return cmocka_run_group_tests_name("replica", tests, NULL, NULL);
}
