/*
 * The measuring client of --vnc: libvncclient over loopback in a thread of
 * the same process (same TSC clock), asking for incremental updates without
 * pause, on a TCP connection of its own to a server screen of its own
 * (vnc_server_attach), which no other client can reach or hold up. Per
 * update it records arrival (host TSC when the last rectangle was decoded),
 * rectangles and encoded bytes, and checks its pixels against the surface
 * exactly as the server encoded the update from it.
 */
#ifndef DIRTYBENCH_VNC_CLIENT_H
#define DIRTYBENCH_VNC_CLIENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/fbgeom.h"
#include "vnc/vnc_server.h"

enum vnc_check { VNC_UNCHECKED = -1, VNC_MISMATCH = 0, VNC_MATCH = 1 };

struct vnc_update {
	uint64_t arrival;       /* host TSC */
	int64_t round;          /* scan rounds up to this one are in it; -1: none */
	uint64_t bytes, raw_bytes;
	uint32_t rects;
	int check;              /* enum vnc_check; unchecked: sent before the client was watched */
	uint64_t diff_pixels;
};

struct vnc_client_config {
	struct vnc_server *srv;
	const struct fb_geometry *geo;
	int port;               /* the port other clients use (informational) */
	const char *password;
	const char *encoding;   /* a lossless libvncclient encoding name */
};

struct vnc_client;

int vnc_client_start(struct vnc_client **out, const struct vnc_client_config *cfg, char *err, size_t errlen);
/* Wait until an update carrying scan round `round` has arrived: 0, or -1
 * on timeout or when the connection failed. */
int vnc_client_wait_round(struct vnc_client *c, int64_t round, int timeout_ms);
/* Stop the client's thread; its records and framebuffer stay readable. */
void vnc_client_halt(struct vnc_client *c);
/* After halt: pixels (24-bit colour) that differ from buf of the same geometry. */
uint64_t vnc_client_diff(struct vnc_client *c, const uint8_t *buf, size_t stride);
const struct vnc_update *vnc_client_updates(struct vnc_client *c, size_t *n);
/* Where the first pixel mismatch was ("" if none). */
const char *vnc_client_mismatch(struct vnc_client *c);
/* Why the connection ended early, or NULL. */
const char *vnc_client_error(struct vnc_client *c);
void vnc_client_free(struct vnc_client *c);

#endif
