/* The RFB server of --vnc: hand-over from the scan thread, the two served
 * surfaces, and what the measuring client was sent (see vnc_server.h). */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <rfb/rfb.h>

#include "core/bitmap.h"
#include "core/clock.h"
#include "vnc/vnc_loop.h"
#include "vnc/vnc_server.h"

#define VNC_MAX_PEERS 16
#define VNC_SENT_RING 64
#define VNC_MAX_DUMPS 64

struct vnc_peer {
	bool used;
	int id, port;
	uint32_t bytes0, raw0;          /* libvncserver's counters when a send began */
	bool marker;                    /* ... which sends only a desktop-size marker */
	unsigned dumps;
};

/* Tiles handed from one thread to the next, under a lock neither side holds
 * for longer than a copy. */
struct vnc_stage {
	pthread_mutex_t lock;
	uint8_t *buf;
	uint64_t *tiles, round;
	bool staged;
};

/* One served surface and the thread serving it (vnc_loop.h). */
struct vnc_screen {
	struct vnc_server *srv;
	rfbScreenInfoPtr rfb;
	struct vnc_loop loop;
	bool measuring;                 /* the measuring client's own: no listener, reference images */
	struct vnc_stage *in;           /* what its thread takes into its surface */
	uint8_t *surface;               /* only its thread writes it, between sends */
	int64_t surface_round;          /* -1 until the first hand-over */
};

struct vnc_server {
	const struct fb_geometry *geo;
	char *passwords[2];
	const char *dump_dir;
	/* The port's screen serves every client that connects; the measuring
	 * client has a screen and a thread of its own, so no other client can
	 * hold its updates up. Without it (--vnc-no-client) the port's screen
	 * takes the hand-over itself. */
	struct vnc_screen port, own;
	bool has_own;

	/* Scan thread -> the first screen (stage, try-locked by the scan
	 * thread); the own screen -> the port's (forward). */
	struct vnc_stage stage, forward;
	uint64_t *carry;                /* scan thread only: reported, not staged yet */
	uint64_t *unforwarded;          /* own screen's thread: taken in, not passed on yet */
	atomic_int viewers;             /* clients on the port: forwarding only for them */
	/* The scan thread's counters: atomics, so it takes no lock it could wait on. */
	atomic_uint_fast64_t publishes, deferred, stage_copy_ns;
	atomic_int_fast64_t last_round;

	/* The measuring client's reference images: ref[j] is the own surface as
	 * update seq (seq % 2 == j) encoded it, kept up to date by copying the
	 * tiles the surface changed since (ref_dirty). Two are enough: the
	 * client compares update k before it asks for k + 1, so k + 2 cannot
	 * overwrite ref[k % 2] while it compares. Own thread writes, the client
	 * reads. */
	atomic_int watch_port;
	uint8_t *ref[2];
	uint64_t *ref_dirty[2];
	uint64_t ref_seq;

	/* Peers, and the measuring client's sends not popped yet (peer_lock). */
	pthread_mutex_t peer_lock;
	pthread_cond_t peer_cond;       /* a send was recorded */
	struct vnc_peer peers[VNC_MAX_PEERS], own_peer;
	struct vnc_sent sent[VNC_SENT_RING];
	unsigned head, n;               /* a ring, oldest at head */
	int next_id;

	pthread_mutex_t stats_lock;
	struct vnc_server_stats stats;
};

static void vnc_quiet(const char *fmt, ...)
{
	(void)fmt;
}

#define for_each_tile(t, map, ntiles) \
	for (size_t _w = 0; _w < BITMAP_WORDS(ntiles); _w++) \
		for (uint64_t _b = (map)[_w]; _b; _b &= _b - 1) \
			for (size_t t = _w * 64 + (size_t)__builtin_ctzll(_b), _once = 1; _once; _once = 0)

/* Copy the tiles of map from src into the stage (its lock held). */
static void stage_tiles(const struct fb_geometry *g, struct vnc_stage *st, const uint64_t *map,
			const uint8_t *src, uint64_t round)
{
	for_each_tile(t, map, g->ntiles)
		fb_copy_tile(g, t, st->buf, src);
	bitmap_or(st->tiles, map, g->ntiles);
	st->round = round;
	st->staged = true;
}

static struct vnc_screen *first_screen(struct vnc_server *srv)
{
	return srv->has_own ? &srv->own : &srv->port;
}

static void stage_carry(struct vnc_server *srv, const uint8_t *src, uint64_t round)
{
	int64_t t0 = clock_mono_ns();

	stage_tiles(srv->geo, &srv->stage, srv->carry, src, round);
	bitmap_zero(srv->carry, srv->geo->ntiles);
	atomic_store(&srv->last_round, (int64_t)round);
	atomic_fetch_add(&srv->stage_copy_ns, (uint64_t)(clock_mono_ns() - t0));
}

void vnc_server_publish(struct vnc_server *srv, const uint64_t *tiles, const uint8_t *src, uint64_t round)
{
	bool any;

	bitmap_or(srv->carry, tiles, srv->geo->ntiles);
	any = bitmap_weight(srv->carry, srv->geo->ntiles) > 0;
	atomic_fetch_add(&srv->publishes, 1);
	if (!any)
		return;
	if (pthread_mutex_trylock(&srv->stage.lock)) {
		atomic_fetch_add(&srv->deferred, 1);
		return;
	}
	stage_carry(srv, src, round);
	pthread_mutex_unlock(&srv->stage.lock);
	vnc_loop_wake(&first_screen(srv)->loop);
}

void vnc_server_flush(struct vnc_server *srv, const uint8_t *src, uint64_t round)
{
	pthread_mutex_lock(&srv->stage.lock);
	if (bitmap_weight(srv->carry, srv->geo->ntiles))
		stage_carry(srv, src, round);
	pthread_mutex_unlock(&srv->stage.lock);
	vnc_loop_wake(&first_screen(srv)->loop);
}

int64_t vnc_server_last_round(struct vnc_server *srv)
{
	return atomic_load(&srv->last_round);
}

/* A screen's thread: staged tiles into its surface, each marked modified. */
static bool take_stage(struct vnc_screen *scr)
{
	struct vnc_server *srv = scr->srv;
	const struct fb_geometry *g = srv->geo;
	struct vnc_stage *st = scr->in;

	pthread_mutex_lock(&st->lock);
	if (!st->staged) {
		pthread_mutex_unlock(&st->lock);
		return false;
	}
	for_each_tile(t, st->tiles, g->ntiles) {
		uint32_t x, y, w, h;

		fb_tile_rect(g, t, &x, &y, &w, &h);
		fb_copy_tile(g, t, scr->surface, st->buf);
		rfbMarkRectAsModified(scr->rfb, (int)x, (int)y, (int)(x + w), (int)(y + h));
	}
	if (scr->measuring) {
		bitmap_or(srv->ref_dirty[0], st->tiles, g->ntiles);
		bitmap_or(srv->ref_dirty[1], st->tiles, g->ntiles);
		bitmap_or(srv->unforwarded, st->tiles, g->ntiles);
	}
	bitmap_zero(st->tiles, g->ntiles);
	st->staged = false;
	scr->surface_round = (int64_t)st->round;
	pthread_mutex_unlock(&st->lock);
	return true;
}

/* The own screen's thread: what it took in, on to the port's screen while
 * anyone is connected there (the first viewer to connect gets it all). The
 * port's thread holds the lock only while it copies, never while it sends. */
static void forward(struct vnc_server *srv)
{
	if (!atomic_load(&srv->viewers) || !bitmap_weight(srv->unforwarded, srv->geo->ntiles))
		return;
	pthread_mutex_lock(&srv->forward.lock);
	stage_tiles(srv->geo, &srv->forward, srv->unforwarded, srv->own.surface, (uint64_t)srv->own.surface_round);
	pthread_mutex_unlock(&srv->forward.lock);
	bitmap_zero(srv->unforwarded, srv->geo->ntiles);
	vnc_loop_wake(&srv->port.loop);
}

/* Each turn of a screen's thread, before updates go out. */
static void screen_tick(void *arg)
{
	struct vnc_screen *scr = arg;
	struct vnc_server *srv = scr->srv;

	if (take_stage(scr) && scr == first_screen(srv)) {
		pthread_mutex_lock(&srv->stats_lock);
		srv->stats.applied++;
		pthread_mutex_unlock(&srv->stats_lock);
	}
	if (scr->measuring)
		forward(srv);
}

static void client_gone(rfbClientPtr cl)
{
	struct vnc_screen *scr = cl->screen->screenData;
	struct vnc_peer *p = cl->clientData;

	pthread_mutex_lock(&scr->srv->peer_lock);
	if (p)
		p->used = false;
	pthread_mutex_unlock(&scr->srv->peer_lock);
	if (p && !scr->measuring)
		atomic_fetch_sub(&scr->srv->viewers, 1);
	cl->clientData = NULL;
}

/* peer_lock held: a free slot, the measuring client's own one on its screen. */
static struct vnc_peer *free_peer(struct vnc_server *srv, bool measuring)
{
	if (measuring)
		return srv->own_peer.used ? NULL : &srv->own_peer;
	for (int i = 0; i < VNC_MAX_PEERS; i++)
		if (!srv->peers[i].used)
			return &srv->peers[i];
	return NULL;
}

static enum rfbNewClientAction new_client(rfbClientPtr cl)
{
	struct vnc_screen *scr = cl->screen->screenData;
	struct vnc_server *srv = scr->srv;
	struct sockaddr_in peer;
	socklen_t len = sizeof(peer);
	struct vnc_peer *p;

	pthread_mutex_lock(&srv->peer_lock);
	p = free_peer(srv, scr->measuring);
	if (p) {
		*p = (struct vnc_peer){ .used = true, .id = srv->next_id++ };
		if (!getpeername(cl->sock, (struct sockaddr *)&peer, &len) && peer.sin_family == AF_INET)
			p->port = ntohs(peer.sin_port);
	}
	pthread_mutex_unlock(&srv->peer_lock);
	pthread_mutex_lock(&srv->stats_lock);
	p ? srv->stats.clients++ : srv->stats.refused++;
	pthread_mutex_unlock(&srv->stats_lock);
	if (!p)
		return RFB_CLIENT_REFUSE;
	cl->clientData = p;
	cl->clientGoneHook = client_gone;
	if (!scr->measuring && atomic_fetch_add(&srv->viewers, 1) == 0 && srv->has_own)
		vnc_loop_wake(&srv->own.loop);         /* forward what the port's surface lacks */
	return RFB_CLIENT_ACCEPT;
}

static void display_hook(rfbClientPtr cl)
{
	struct vnc_screen *scr = cl->screen->screenData;
	struct vnc_peer *p = cl->clientData;

	if (p) {
		/* They are ints and wrap (raw bytes of full screens pass 2 GiB in
		 * seconds): differences are taken modulo 2^32. */
		p->bytes0 = (uint32_t)rfbStatGetSentBytes(cl);
		p->raw0 = (uint32_t)rfbStatGetSentBytesIfRaw(cl);
		/* libvncserver's first branch: a message its statistics never count */
		p->marker = cl->useNewFBSize && cl->newFBSizePending;
	}
	vnc_loop_send_begin(&scr->loop, cl->sock);
}

/* Test aid (--vnc-dump): the port's surface exactly as this update encoded it. */
static void dump_surface(struct vnc_screen *scr, struct vnc_peer *p)
{
	const struct fb_geometry *g = scr->srv->geo;
	char path[4096];
	FILE *f;

	if (!scr->srv->dump_dir || p->dumps >= VNC_MAX_DUMPS)
		return;
	snprintf(path, sizeof(path), "%s/client-%d-%02u.ppm", scr->srv->dump_dir, p->id, p->dumps++);
	f = fopen(path, "wb");
	if (!f)
		return;
	fprintf(f, "P6\n%u %u\n255\n", g->width, g->height);
	for (uint32_t y = 0; y < g->height; y++)
		for (uint32_t x = 0; x < g->width; x++) {
			const uint8_t *px = scr->surface + (size_t)y * g->stride + (size_t)x * 4;
			uint8_t rgb[3] = { px[2], px[1], px[0] };

			fwrite(rgb, 1, 3, f);
		}
	fclose(f);
}

/* The own surface as the measuring client's update was encoded from it, in
 * the next reference buffer: only the tiles changed since that buffer's last use. */
static int snapshot_ref(struct vnc_server *srv)
{
	const struct fb_geometry *g = srv->geo;
	int j = (int)(srv->ref_seq++ % 2);

	for_each_tile(t, srv->ref_dirty[j], g->ntiles)
		fb_copy_tile(g, t, srv->ref[j], srv->own.surface);
	bitmap_zero(srv->ref_dirty[j], g->ntiles);
	return j;
}

static void record_sent(struct vnc_server *srv, rfbClientPtr cl, struct vnc_peer *p)
{
	struct vnc_sent s = { .round = srv->own.surface_round,
		.ref = p->port == atomic_load(&srv->watch_port) ? snapshot_ref(srv) : -1,
		.bytes = (uint32_t)((uint32_t)rfbStatGetSentBytes(cl) - p->bytes0),
		.raw_bytes = (uint32_t)((uint32_t)rfbStatGetSentBytesIfRaw(cl) - p->raw0) };

	pthread_mutex_lock(&srv->peer_lock);
	if (srv->n == VNC_SENT_RING) {          /* nobody pops them */
		srv->head = (srv->head + 1) % VNC_SENT_RING;
		srv->n--;
	}
	srv->sent[(srv->head + srv->n++) % VNC_SENT_RING] = s;
	pthread_cond_broadcast(&srv->peer_cond);
	pthread_mutex_unlock(&srv->peer_lock);
}

static void display_finished(rfbClientPtr cl, int ok)
{
	struct vnc_screen *scr = cl->screen->screenData;
	struct vnc_peer *p = cl->clientData;

	vnc_loop_send_end(&scr->loop);
	if (!p || !ok || (!p->marker && (uint32_t)rfbStatGetSentBytes(cl) == p->bytes0))
		return;         /* nothing sent: libvncserver had no update to give */
	if (scr->measuring)
		record_sent(scr->srv, cl, p);
	else
		dump_surface(scr, p);
}

/* The client can finish reading an update before the own thread has left
 * libvncserver's send function and recorded it: wait that long. */
int vnc_server_pop_sent(struct vnc_server *srv, int client_port, struct vnc_sent *out, int timeout_ms)
{
	struct timespec ts = clock_deadline(timeout_ms);
	bool ours = false;
	int status = 0;

	pthread_mutex_lock(&srv->peer_lock);
	for (;;) {
		ours = srv->own_peer.used && srv->own_peer.port == client_port;
		if ((ours && srv->n) || status == ETIMEDOUT)
			break;
		status = pthread_cond_timedwait(&srv->peer_cond, &srv->peer_lock, &ts);
	}
	status = -1;
	if (ours && srv->n) {
		*out = srv->sent[srv->head];
		srv->head = (srv->head + 1) % VNC_SENT_RING;
		srv->n--;
		status = 0;
	}
	pthread_mutex_unlock(&srv->peer_lock);
	return status;
}

uint64_t vnc_fb_diff(const struct fb_geometry *geo, const uint8_t *a, size_t astride,
		     const uint8_t *b, size_t bstride)
{
	uint64_t diff = 0;

	for (uint32_t y = 0; y < geo->height; y++) {
		const uint32_t *pa = (const uint32_t *)(a + y * astride), *pb = (const uint32_t *)(b + y * bstride);

		if (!memcmp(pa, pb, (size_t)geo->width * 4))
			continue;
		/* RFB carries depth 24: the pad byte is not part of the picture. */
		for (uint32_t x = 0; x < geo->width; x++)
			diff += ((pa[x] ^ pb[x]) & 0xffffff) != 0;
	}
	return diff;
}

int vnc_server_compare(struct vnc_server *srv, const uint8_t *fb, size_t stride, int ref, uint64_t *diff)
{
	if (ref < 0 || ref > 1)
		return -1;
	*diff = vnc_fb_diff(srv->geo, fb, stride, srv->ref[ref], srv->geo->stride);
	return *diff == 0;
}

const uint8_t *vnc_server_ref(struct vnc_server *srv, int ref)
{
	return ref == 0 || ref == 1 ? srv->ref[ref] : NULL;
}

void vnc_server_watch(struct vnc_server *srv, int client_port)
{
	atomic_store(&srv->watch_port, client_port);
}

int vnc_server_attach(struct vnc_server *srv, int *sock, char *err, size_t errlen)
{
	if (!srv->has_own)
		return snprintf(err, errlen, "the VNC server was started without a measuring client's screen"), -1;
	if (vnc_loop_connect(&srv->own.loop, sock))
		return snprintf(err, errlen, "cannot connect the measuring client to the VNC server: %s",
				strerror(errno)), -1;
	return 0;
}

static int stage_alloc(struct vnc_stage *st, const struct fb_geometry *g)
{
	pthread_mutex_init(&st->lock, NULL);
	st->buf = calloc(1, g->bytes);
	st->tiles = calloc(BITMAP_WORDS(g->ntiles), sizeof(uint64_t));
	return st->buf && st->tiles ? 0 : -1;
}

static int alloc_buffers(struct vnc_server *srv)
{
	size_t words = BITMAP_WORDS(srv->geo->ntiles);

	srv->carry = calloc(words, sizeof(uint64_t));
	srv->unforwarded = calloc(words, sizeof(uint64_t));
	if (stage_alloc(&srv->stage, srv->geo) || (srv->has_own && stage_alloc(&srv->forward, srv->geo)))
		return -1;
	for (int j = 0; j < 2 && srv->has_own; j++) {
		srv->ref[j] = calloc(1, srv->geo->bytes);
		srv->ref_dirty[j] = calloc(words, sizeof(uint64_t));
		if (!srv->ref[j] || !srv->ref_dirty[j])
			return -1;
		bitmap_fill(srv->ref_dirty[j], srv->geo->ntiles);      /* the first copy is whole */
	}
	return srv->carry && srv->unforwarded ? 0 : -1;
}

/* Where the port's screen listens; the own screen listens nowhere: its one
 * client comes from vnc_loop_connect. -2: not an IPv4 address. */
static int screen_listen(rfbScreenInfoPtr s, const struct vnc_server_config *cfg, bool measuring)
{
	s->ipv6port = 0;
	s->port = measuring ? 0 : cfg->port ? cfg->port : 5900;
	s->autoPort = !measuring && !cfg->port;
	s->listenInterface = htonl(INADDR_LOOPBACK);
	if (!measuring && cfg->listen && inet_pton(AF_INET, cfg->listen, &s->listenInterface) != 1)
		return -2;
	return 0;
}

/* 32 bpp, depth 24, 0xRRGGBB in a little-endian word: the guest's layout. */
static int make_screen(struct vnc_server *srv, struct vnc_screen *scr, const struct vnc_server_config *cfg,
		       bool measuring)
{
	int argc = 1;
	char *argv[] = { "run-bench", NULL };
	rfbScreenInfoPtr s;

	scr->srv = srv;
	scr->measuring = measuring;
	scr->surface_round = -1;
	scr->in = measuring || !srv->has_own ? &srv->stage : &srv->forward;
	scr->surface = calloc(1, cfg->geo->bytes);
	s = scr->surface ? rfbGetScreen(&argc, argv, (int)cfg->geo->width, (int)cfg->geo->height, 8, 3, 4) : NULL;
	if (!s)
		return -1;
	scr->rfb = s;
	s->screenData = scr;
	s->desktopName = "dirtybench guest";
	s->serverFormat.redShift = 16;
	s->serverFormat.greenShift = 8;
	s->serverFormat.blueShift = 0;
	s->frameBuffer = (char *)scr->surface;
	s->paddedWidthInBytes = (int)cfg->geo->stride;
	s->cursor = NULL;               /* a drawn-in cursor would not be the guest's pixels */
	s->alwaysShared = TRUE;         /* a viewer asking for exclusivity does not evict the others */
	s->deferUpdateTime = 0;         /* send as soon as a client asked and something changed */
	s->newClientHook = new_client;
	s->displayHook = display_hook;
	s->displayFinishedHook = display_finished;
	if (srv->passwords[0]) {
		s->authPasswdData = srv->passwords;
		s->passwordCheck = rfbCheckPasswordByList;
	}
	return screen_listen(s, cfg, measuring);
}

static int start_error(struct vnc_server *srv, char *err, size_t len, const char *why)
{
	snprintf(err, len, "%s", why);
	vnc_server_stop(srv);
	return -1;
}

/* Can this host bind addr at all? Without it, "no free port in 5900..5999"
 * would blame the ports for an address that is not this machine's. */
static int address_bindable(const char *addr, char *why, size_t len)
{
	struct sockaddr_in sa = { .sin_family = AF_INET };
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), rc;

	if (fd < 0 || inet_pton(AF_INET, addr, &sa.sin_addr) != 1) {
		if (fd >= 0)
			close(fd);
		return 0;       /* not ours to judge: the screen set-up says what is wrong */
	}
	rc = bind(fd, (struct sockaddr *)&sa, sizeof(sa));
	if (rc)
		snprintf(why, len, "%s", strerror(errno));
	close(fd);
	return rc ? -1 : 0;
}

static int start_screens(struct vnc_server *srv, const struct vnc_server_config *cfg, char *err, size_t errlen)
{
	int status = make_screen(srv, &srv->port, cfg, false);
	char why[128];

	if (status == -2)
		return start_error(srv, err, errlen, "--vnc-listen: not an IPv4 address");
	if (status || (srv->has_own && make_screen(srv, &srv->own, cfg, true)))
		return start_error(srv, err, errlen, "libvncserver could not create a screen");
	if (cfg->listen && address_bindable(cfg->listen, why, sizeof(why))) {
		char msg[256];

		snprintf(msg, sizeof(msg), "--vnc-listen %s: cannot listen on this address: %s", cfg->listen, why);
		return start_error(srv, err, errlen, msg);
	}
	rfbInitServer(srv->port.rfb);
	if (srv->port.rfb->listenSock == RFB_INVALID_SOCKET) {
		snprintf(err, errlen, "cannot listen on %s port %d: %s", cfg->listen ? cfg->listen : "127.0.0.1",
			 cfg->port ? cfg->port : 5900, cfg->port ? strerror(errno) : "no free port in 5900..5999");
		vnc_server_stop(srv);
		return -1;
	}
	if (srv->has_own)
		rfbInitServer(srv->own.rfb);
	if ((srv->has_own && vnc_loop_start(&srv->own.loop, srv->own.rfb, true, screen_tick, &srv->own)) ||
	    vnc_loop_start(&srv->port.loop, srv->port.rfb, false, screen_tick, &srv->port))
		return start_error(srv, err, errlen, "cannot start the VNC server's threads");
	return 0;
}

int vnc_server_start(struct vnc_server **out, const struct vnc_server_config *cfg,
		     char *err, size_t errlen)
{
	struct vnc_server *srv = calloc(1, sizeof(*srv));

	*out = NULL;
	if (!srv)
		return snprintf(err, errlen, "out of memory"), -1;
	srv->geo = cfg->geo;
	srv->dump_dir = cfg->dump_dir;
	srv->has_own = !cfg->no_client;
	atomic_store(&srv->last_round, -1);
	pthread_mutex_init(&srv->peer_lock, NULL);
	pthread_cond_init(&srv->peer_cond, NULL);
	pthread_mutex_init(&srv->stats_lock, NULL);
	/* A client that vanishes must not kill the process: writes fail instead. */
	signal(SIGPIPE, SIG_IGN);
	if (!getenv("DIRTYBENCH_VNC_LOG"))      /* libvncserver's own log, for debugging */
		rfbLog = rfbErr = vnc_quiet;
	/* libvncserver's wait for each further byte; vnc_loop.h bounds the whole. */
	rfbMaxClientWait = VNC_MESSAGE_MS;
	if (cfg->password)
		srv->passwords[0] = strdup(cfg->password);
	if ((cfg->password && !srv->passwords[0]) || alloc_buffers(srv))
		return start_error(srv, err, errlen, "out of memory");
	if (start_screens(srv, cfg, err, errlen))
		return -1;
	*out = srv;
	return 0;
}

int vnc_server_port(const struct vnc_server *srv)
{
	return srv->port.rfb->port;
}

void vnc_server_stats(struct vnc_server *srv, struct vnc_server_stats *out)
{
	pthread_mutex_lock(&srv->stats_lock);
	*out = srv->stats;
	pthread_mutex_unlock(&srv->stats_lock);
	out->publishes = atomic_load(&srv->publishes);
	out->deferred = atomic_load(&srv->deferred);
	out->stage_copy_ns = atomic_load(&srv->stage_copy_ns);
	out->timed_out = atomic_load(&srv->port.loop.timed_out) + atomic_load(&srv->own.loop.timed_out);
	out->slow_dropped = atomic_load(&srv->port.loop.cut_off) + atomic_load(&srv->own.loop.cut_off);
	out->port_cpu_ns = vnc_loop_cpu_ns(&srv->port.loop);
}

static void stage_free(struct vnc_stage *st)
{
	if (st->buf)
		pthread_mutex_destroy(&st->lock);
	free(st->buf);
	free(st->tiles);
}

static void screen_free(struct vnc_screen *scr)
{
	vnc_loop_stop(&scr->loop);
	if (scr->rfb) {
		rfbShutdownServer(scr->rfb, TRUE);
		rfbScreenCleanup(scr->rfb);
	}
	free(scr->surface);
}

void vnc_server_stop(struct vnc_server *srv)
{
	if (!srv)
		return;
	/* Both threads first: the own one forwards to the port's. */
	vnc_loop_stop(&srv->own.loop);
	vnc_loop_stop(&srv->port.loop);
	screen_free(&srv->own);
	screen_free(&srv->port);
	free(srv->passwords[0]);
	stage_free(&srv->stage);
	stage_free(&srv->forward);
	free(srv->carry);
	free(srv->unforwarded);
	for (int j = 0; j < 2; j++)
		free(srv->ref[j]), free(srv->ref_dirty[j]);
	free(srv);
}
