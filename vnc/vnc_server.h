/*
 * Serving the guest framebuffer over RFB with libvncserver (--vnc).
 *
 * The scan thread hands each round's reported tiles over with
 * vnc_server_publish(), which never waits: it copies the tiles into a staging
 * buffer under a lock it only tries to take (a busy lock carries the tiles to
 * the next round). A server thread moves staged tiles into the surface
 * libvncserver encodes from, marks exactly those rectangles modified, and
 * serves its clients; encoding and every socket write happen there, never in
 * the scan thread. The surface changes only between sends, so every update a
 * client receives shows one consistent state of it.
 *
 * Two such surfaces, each with its thread (vnc_loop.h): the measuring
 * client's own, which takes the hand-over and is reached only through
 * vnc_server_attach(), and the port's, which every other client connects to
 * and which gets its tiles from the first. Whatever another client does
 * costs the measuring client nothing but CPU time.
 */
#ifndef DIRTYBENCH_VNC_SERVER_H
#define DIRTYBENCH_VNC_SERVER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/fbgeom.h"

struct vnc_server;

struct vnc_server_config {
	const struct fb_geometry *geo;
	int port;               /* 0: the first free port from 5900 */
	const char *listen;     /* IPv4 address to listen on; NULL: 127.0.0.1 */
	const char *password;   /* VNC authentication; NULL: none */
	const char *dump_dir;   /* test aid: updates to other clients as DIR/client-N-K.ppm */
	bool no_client;         /* no measuring client will attach (--vnc-no-client) */
};

/* One update the server sent to a watched client (the measuring client). */
struct vnc_sent {
	int64_t round;          /* every scan round up to this one is in it; -1: none yet */
	int ref;                /* reference image of it (vnc_server_compare), -1: none */
	uint64_t bytes;         /* bytes libvncserver sent for it (headers included) */
	uint64_t raw_bytes;     /* what the same rectangles would cost in raw encoding */
};

struct vnc_server_stats {
	uint64_t publishes;     /* rounds handed over */
	uint64_t deferred;      /* ... of which carried to the next round (lock busy) */
	uint64_t applied;       /* hand-overs moved into the surface */
	uint64_t clients;       /* connections accepted (the measuring client's among them) */
	uint64_t refused;       /* connections refused (too many clients) */
	uint64_t slow_dropped;  /* clients cut off: a send to them stalled or took too long */
	uint64_t timed_out;     /* clients dropped: a message of theirs not complete in time */
	uint64_t port_cpu_ns;   /* CPU time of the thread serving the port's clients so far */
	uint64_t stage_copy_ns; /* scan thread time copying tiles into the staging buffer */
};

int vnc_server_start(struct vnc_server **out, const struct vnc_server_config *cfg,
		     char *err, size_t errlen);
int vnc_server_port(const struct vnc_server *srv);
/* Scan thread, once per round: tiles reported in round `round`, copied from
 * src (VRAM, or a content-comparing strategy's copy of it). Never blocks. */
void vnc_server_publish(struct vnc_server *srv, const uint64_t *tiles, const uint8_t *src, uint64_t round);
/* After the guest stopped: stage whatever was carried, waiting for the lock. */
void vnc_server_flush(struct vnc_server *srv, const uint8_t *src, uint64_t round);
/* The last round staged (what a client catching up waits for); -1: none. */
int64_t vnc_server_last_round(struct vnc_server *srv);
void vnc_server_stats(struct vnc_server *srv, struct vnc_server_stats *out);
void vnc_server_stop(struct vnc_server *srv);

/* For the measuring client, identified by its local TCP port. */
/* A connection to the measuring client's own screen: *sock is the client's
 * end (non-blocking). 0, or -1 with err. */
int vnc_server_attach(struct vnc_server *srv, int *sock, char *err, size_t errlen);
/* Oldest update sent to that client not popped yet, waiting up to
 * timeout_ms for one: 0, or -1 when none came. */
int vnc_server_pop_sent(struct vnc_server *srv, int client_port, struct vnc_sent *out, int timeout_ms);
/* Keep reference images of what this client is sent (from its next update). */
void vnc_server_watch(struct vnc_server *srv, int client_port);
/* Compare a client's framebuffer (same pixel layout, 24-bit colour) with the
 * reference image of an update: 1 equal, 0 different (*diff pixels), -1 no
 * reference (sent before the client was watched). Call before asking for the
 * update after next. */
int vnc_server_compare(struct vnc_server *srv, const uint8_t *fb, size_t stride, int ref, uint64_t *diff);
/* The reference image itself (NULL for -1), for describing a mismatch. */
const uint8_t *vnc_server_ref(struct vnc_server *srv, int ref);
/* Compare fb with any buffer of the same geometry (the final VRAM). */
uint64_t vnc_fb_diff(const struct fb_geometry *geo, const uint8_t *a, size_t astride,
		     const uint8_t *b, size_t bstride);

#endif
