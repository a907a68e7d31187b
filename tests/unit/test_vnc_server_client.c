/*
 * The VNC server and the measuring client without a guest: rounds of random
 * tiles published from a buffer that changes between rounds, over real
 * libvncserver/libvncclient on loopback. Every update must pass the pixel
 * check, the client must end equal to the buffer, and a tile changed but
 * not published must be caught by the final comparison.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "core/bitmap.h"
#include "vnc/vnc_client.h"
#include "vnc/vnc_server.h"

struct rig {
	struct fb_geometry geo;
	struct vnc_server *srv;
	struct vnc_client *cli;
	uint8_t *fb;
	uint64_t *tiles;
};

static void rig_start(struct rig *r)
{
	struct vnc_server_config sc = { .geo = &r->geo };
	struct vnc_client_config cc = { .geo = &r->geo, .encoding = "zrle" };
	char err[256];

	assert_int_equal(fb_geometry_init(&r->geo, 320, 240, 32, 32, err, sizeof(err)), 0);
	r->fb = calloc(1, r->geo.bytes);
	r->tiles = calloc(BITMAP_WORDS(r->geo.ntiles), sizeof(uint64_t));
	assert_int_equal(vnc_server_start(&r->srv, &sc, err, sizeof(err)), 0);
	cc.srv = r->srv;
	cc.port = vnc_server_port(r->srv);
	assert_int_equal(vnc_client_start(&r->cli, &cc, err, sizeof(err)), 0);
}

static void rig_stop(struct rig *r)
{
	vnc_client_free(r->cli);
	vnc_server_stop(r->srv);
	free(r->fb);
	free(r->tiles);
}

/* Paint a few random tiles a random colour; mark them in r->tiles. */
static void paint(struct rig *r, unsigned n)
{
	bitmap_zero(r->tiles, r->geo.ntiles);
	for (unsigned i = 0; i < n; i++) {
		size_t t = (size_t)rand() % r->geo.ntiles;
		uint32_t x0 = (uint32_t)(t % r->geo.cols) * r->geo.tile_w, y0 = (uint32_t)(t / r->geo.cols) * r->geo.tile_h;
		uint32_t colour = (uint32_t)rand() & 0xffffff;

		for (uint32_t y = y0; y < y0 + r->geo.tile_h && y < r->geo.height; y++)
			for (uint32_t x = x0; x < x0 + r->geo.tile_w && x < r->geo.width; x++)
				((uint32_t *)r->fb)[(size_t)y * r->geo.width + x] = colour;
		bitmap_set(r->tiles, t);
	}
}

static void test_rounds_pass_the_pixel_check(void **state)
{
	struct rig r = { 0 };
	const struct vnc_update *u;
	size_t n, checked = 0, with_pixels = 0;

	(void)state;
	srand(3);
	rig_start(&r);
	for (uint64_t round = 0; round < 60; round++) {
		paint(&r, 1 + (unsigned)(round % 7));
		vnc_server_publish(r.srv, r.tiles, r.fb, round);
		if (round % 3)
			continue;
		/* Let the client catch up now and then; a hand-over the server's
		 * lock made wait is carried to the next publish, so flush it. */
		vnc_server_flush(r.srv, r.fb, round);
		if (vnc_client_wait_round(r.cli, (int64_t)round, 5000)) {
			u = vnc_client_updates(r.cli, &n);
			for (size_t i = 0; i < n; i++)
				fprintf(stderr, "update %zu: round %lld rects %u bytes %llu\n", i, (long long)u[i].round,
					u[i].rects, (unsigned long long)u[i].bytes);
			fail_msg("round %llu not received (last staged %lld): %s", (unsigned long long)round,
				 (long long)vnc_server_last_round(r.srv),
				 vnc_client_error(r.cli) ? vnc_client_error(r.cli) : "no error");
		}
	}
	assert_int_equal(vnc_server_last_round(r.srv) >= 0, 1);
	vnc_server_flush(r.srv, r.fb, 59);
	assert_int_equal(vnc_client_wait_round(r.cli, vnc_server_last_round(r.srv), 5000), 0);
	vnc_client_halt(r.cli);
	assert_int_equal(vnc_client_diff(r.cli, r.fb, r.geo.stride), 0);
	u = vnc_client_updates(r.cli, &n);
	assert_true(n >= 20);
	for (size_t i = 0; i < n; i++) {
		assert_int_not_equal(u[i].check, VNC_MISMATCH);
		checked += u[i].check == VNC_MATCH;
		with_pixels += u[i].rects > 0;
		assert_true(u[i].bytes > 0);
	}
	/* All but the first, which may go out before the client's port is known. */
	assert_true(checked + 1 >= with_pixels);
	rig_stop(&r);
}

static void test_unpublished_change_is_caught(void **state)
{
	struct rig r = { 0 };

	(void)state;
	srand(5);
	rig_start(&r);
	paint(&r, 4);
	vnc_server_publish(r.srv, r.tiles, r.fb, 0);
	vnc_server_flush(r.srv, r.fb, 0);
	assert_int_equal(vnc_client_wait_round(r.cli, 0, 5000), 0);
	paint(&r, 1);                           /* changed, never reported */
	vnc_client_halt(r.cli);
	assert_true(vnc_client_diff(r.cli, r.fb, r.geo.stride) > 0);
	rig_stop(&r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rounds_pass_the_pixel_check),
		cmocka_unit_test(test_unpublished_change_is_caught),
	};

	return cmocka_run_group_tests_name("vnc_unit", tests, NULL, NULL);
}
