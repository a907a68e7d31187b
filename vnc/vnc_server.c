/* The RFB server of --vnc: hand-over from the scan thread, the surface, and
 * libvncserver's event loop in a thread of its own (see vnc_server.h). */
#include <arpa/inet.h>
#include <errno.h>
#include <linux/sockios.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>
#include <rfb/rfb.h>

#include "core/bitmap.h"
#include "core/clock.h"
#include "vnc/vnc_server.h"

#define VNC_MAX_PEERS 16
#define VNC_SENT_RING 64
#define VNC_MAX_DUMPS 64
/* A client that has not taken a byte from its socket for this long while we
 * send to it is cut off (its socket shut down), so it holds the server
 * thread up for at most this long. libvncserver itself only gives up after
 * rfbMaxClientWait rounded up to its 5 s select. */
#define VNC_SEND_STALL_MS 500
#define VNC_WATCHDOG_TICK_MS 50
/* A client that stops halfway through a message holds the server up to this. */
#define VNC_READ_TIMEOUT_MS 500
#define VNC_POLL_US 100000

struct vnc_peer {
	bool used;
	int id, port;
	uint32_t bytes0, raw0;          /* libvncserver's counters when a send began */
	bool marker;                    /* ... which sends only a desktop-size marker */
	unsigned dumps;
	struct vnc_sent sent[VNC_SENT_RING];
	unsigned head, n;               /* sends not popped yet (a ring, oldest at head) */
};

struct vnc_server {
	const struct fb_geometry *geo;
	rfbScreenInfoPtr screen;
	char *passwords[2];
	const char *dump_dir;
	pthread_t thread, watchdog;
	bool threads_started;
	int wake_fd;
	atomic_bool stop;

	/* Hand-over: the scan thread writes, the server thread takes (stage_lock). */
	pthread_mutex_t stage_lock;
	uint8_t *stage;
	uint64_t *stage_tiles, stage_round;
	bool staged;
	uint64_t *carry;                /* scan thread only: reported, not staged yet */
	/* The scan thread's counters: atomics, so it takes no lock it could wait on. */
	atomic_uint_fast64_t publishes, deferred, stage_copy_ns;
	atomic_int_fast64_t last_round;

	/* The surface libvncserver encodes from; the server thread is its only
	 * writer (surface_lock held while writing, and by readers elsewhere). */
	pthread_mutex_t surface_lock;
	uint8_t *surface;
	int64_t surface_round;          /* -1 until the first hand-over */

	/* The watched client's reference images: ref[j] is the surface as update
	 * seq (seq % 2 == j) encoded it, kept up to date by copying the tiles the
	 * surface changed since (ref_dirty). Two are enough: the client compares
	 * update k before it asks for k + 1, so k + 2 cannot overwrite ref[k % 2]
	 * while it compares. Server thread writes, the client reads. */
	atomic_int watch_port;
	uint8_t *ref[2];
	uint64_t *ref_dirty[2];
	uint64_t ref_seq;

	/* The send in progress, for the watchdog (send_lock). */
	pthread_mutex_t send_lock;
	pthread_cond_t send_cond;
	int send_sock;
	int64_t progress_ns;
	int outq;

	/* Peers and their sends (peer_lock). */
	pthread_mutex_t peer_lock;
	pthread_cond_t peer_cond;       /* a send was recorded */
	struct vnc_peer peers[VNC_MAX_PEERS];
	int next_id;

	pthread_mutex_t stats_lock;
	struct vnc_server_stats stats;
};

static void vnc_quiet(const char *fmt, ...)
{
	(void)fmt;
}

static size_t tile_rect(const struct fb_geometry *g, size_t t, uint32_t *x, uint32_t *y, uint32_t *w, uint32_t *h)
{
	*x = (uint32_t)(t % g->cols) * g->tile_w;
	*y = (uint32_t)(t / g->cols) * g->tile_h;
	*w = *x + g->tile_w <= g->width ? g->tile_w : g->width - *x;
	*h = *y + g->tile_h <= g->height ? g->tile_h : g->height - *y;
	return (size_t)*y * g->stride + (size_t)*x * FB_BYTES_PER_PIXEL;
}

static void copy_tile(const struct fb_geometry *g, size_t t, uint8_t *dst, const uint8_t *src)
{
	uint32_t x, y, w, h;
	size_t off = tile_rect(g, t, &x, &y, &w, &h);

	for (uint32_t r = 0; r < h; r++, off += g->stride)
		memcpy(dst + off, src + off, (size_t)w * FB_BYTES_PER_PIXEL);
}

#define for_each_tile(t, map, ntiles) \
	for (size_t _w = 0; _w < BITMAP_WORDS(ntiles); _w++) \
		for (uint64_t _b = (map)[_w]; _b; _b &= _b - 1) \
			for (size_t t = _w * 64 + (size_t)__builtin_ctzll(_b), _once = 1; _once; _once = 0)

static void stage_carry(struct vnc_server *srv, const uint8_t *src, uint64_t round)
{
	const struct fb_geometry *g = srv->geo;
	int64_t t0 = clock_mono_ns();

	for_each_tile(t, srv->carry, g->ntiles)
		copy_tile(g, t, srv->stage, src);
	bitmap_or(srv->stage_tiles, srv->carry, g->ntiles);
	bitmap_zero(srv->carry, g->ntiles);
	srv->stage_round = round;
	srv->staged = true;
	atomic_store(&srv->last_round, (int64_t)round);
	atomic_fetch_add(&srv->stage_copy_ns, (uint64_t)(clock_mono_ns() - t0));
}

static void wake(struct vnc_server *srv)
{
	uint64_t one = 1;

	if (write(srv->wake_fd, &one, sizeof(one)) < 0)
		return;         /* the counter is saturated: a wake-up is pending anyway */
}

void vnc_server_publish(struct vnc_server *srv, const uint64_t *tiles, const uint8_t *src, uint64_t round)
{
	bool any;

	bitmap_or(srv->carry, tiles, srv->geo->ntiles);
	any = bitmap_weight(srv->carry, srv->geo->ntiles) > 0;
	atomic_fetch_add(&srv->publishes, 1);
	if (!any)
		return;
	if (pthread_mutex_trylock(&srv->stage_lock)) {
		atomic_fetch_add(&srv->deferred, 1);
		return;
	}
	stage_carry(srv, src, round);
	pthread_mutex_unlock(&srv->stage_lock);
	wake(srv);
}

void vnc_server_flush(struct vnc_server *srv, const uint8_t *src, uint64_t round)
{
	pthread_mutex_lock(&srv->stage_lock);
	if (bitmap_weight(srv->carry, srv->geo->ntiles))
		stage_carry(srv, src, round);
	pthread_mutex_unlock(&srv->stage_lock);
	wake(srv);
}

int64_t vnc_server_last_round(struct vnc_server *srv)
{
	return atomic_load(&srv->last_round);
}

/* Server thread: staged tiles into the surface, each marked modified. */
static void apply_stage(struct vnc_server *srv)
{
	const struct fb_geometry *g = srv->geo;

	pthread_mutex_lock(&srv->stage_lock);
	if (!srv->staged) {
		pthread_mutex_unlock(&srv->stage_lock);
		return;
	}
	pthread_mutex_lock(&srv->surface_lock);
	for_each_tile(t, srv->stage_tiles, g->ntiles) {
		uint32_t x, y, w, h;

		tile_rect(g, t, &x, &y, &w, &h);
		copy_tile(g, t, srv->surface, srv->stage);
		rfbMarkRectAsModified(srv->screen, (int)x, (int)y, (int)(x + w), (int)(y + h));
	}
	bitmap_or(srv->ref_dirty[0], srv->stage_tiles, g->ntiles);
	bitmap_or(srv->ref_dirty[1], srv->stage_tiles, g->ntiles);
	bitmap_zero(srv->stage_tiles, g->ntiles);
	srv->staged = false;
	srv->surface_round = (int64_t)srv->stage_round;
	pthread_mutex_unlock(&srv->surface_lock);
	pthread_mutex_unlock(&srv->stage_lock);
	pthread_mutex_lock(&srv->stats_lock);
	srv->stats.applied++;
	pthread_mutex_unlock(&srv->stats_lock);
}

static struct vnc_peer *peer_of(rfbClientPtr cl)
{
	return cl->clientData;
}

static void client_gone(rfbClientPtr cl)
{
	struct vnc_server *srv = cl->screen->screenData;
	struct vnc_peer *p = peer_of(cl);

	pthread_mutex_lock(&srv->peer_lock);
	if (p)
		p->used = false;
	pthread_mutex_unlock(&srv->peer_lock);
	cl->clientData = NULL;
}

static enum rfbNewClientAction new_client(rfbClientPtr cl)
{
	struct vnc_server *srv = cl->screen->screenData;
	struct sockaddr_in peer;
	socklen_t len = sizeof(peer);
	struct vnc_peer *p = NULL;

	pthread_mutex_lock(&srv->peer_lock);
	for (int i = 0; i < VNC_MAX_PEERS && !p; i++)
		if (!srv->peers[i].used)
			p = &srv->peers[i];
	if (p) {
		memset(p, 0, sizeof(*p));
		p->used = true;
		p->id = srv->next_id++;
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
	return RFB_CLIENT_ACCEPT;
}

static void display_hook(rfbClientPtr cl)
{
	struct vnc_server *srv = cl->screen->screenData;
	struct vnc_peer *p = peer_of(cl);

	if (p) {
		/* They are ints and wrap (raw bytes of full screens pass 2 GiB in
		 * seconds): differences are taken modulo 2^32. */
		p->bytes0 = (uint32_t)rfbStatGetSentBytes(cl);
		p->raw0 = (uint32_t)rfbStatGetSentBytesIfRaw(cl);
		/* libvncserver's first branch: a message its statistics never count */
		p->marker = cl->useNewFBSize && cl->newFBSizePending;
	}
	pthread_mutex_lock(&srv->send_lock);
	srv->send_sock = cl->sock;
	srv->progress_ns = clock_mono_ns();
	srv->outq = -1;
	pthread_mutex_unlock(&srv->send_lock);
}

/* Test aid (--vnc-dump): the surface exactly as this update encoded it. */
static void dump_surface(struct vnc_server *srv, struct vnc_peer *p)
{
	const struct fb_geometry *g = srv->geo;
	char path[4096];
	FILE *f;

	if (!srv->dump_dir || p->dumps >= VNC_MAX_DUMPS)
		return;
	snprintf(path, sizeof(path), "%s/client-%d-%02u.ppm", srv->dump_dir, p->id, p->dumps++);
	f = fopen(path, "wb");
	if (!f)
		return;
	fprintf(f, "P6\n%u %u\n255\n", g->width, g->height);
	for (uint32_t y = 0; y < g->height; y++)
		for (uint32_t x = 0; x < g->width; x++) {
			const uint8_t *px = srv->surface + (size_t)y * g->stride + (size_t)x * 4;
			uint8_t rgb[3] = { px[2], px[1], px[0] };

			fwrite(rgb, 1, 3, f);
		}
	fclose(f);
}

/* The surface as the watched client's update was encoded from it, in the
 * next reference buffer: only the tiles changed since that buffer's last use. */
static int snapshot_ref(struct vnc_server *srv)
{
	const struct fb_geometry *g = srv->geo;
	int j = (int)(srv->ref_seq++ % 2);

	for_each_tile(t, srv->ref_dirty[j], g->ntiles)
		copy_tile(g, t, srv->ref[j], srv->surface);
	bitmap_zero(srv->ref_dirty[j], g->ntiles);
	return j;
}

static void display_finished(rfbClientPtr cl, int ok)
{
	struct vnc_server *srv = cl->screen->screenData;
	struct vnc_peer *p = peer_of(cl);
	struct vnc_sent s;

	pthread_mutex_lock(&srv->send_lock);
	srv->send_sock = -1;
	pthread_mutex_unlock(&srv->send_lock);
	if (!p || !ok || (!p->marker && (uint32_t)rfbStatGetSentBytes(cl) == p->bytes0))
		return;         /* nothing sent: libvncserver had no update to give */
	s = (struct vnc_sent){ .round = srv->surface_round, .ref = p->port == atomic_load(&srv->watch_port) ?
			       snapshot_ref(srv) : -1,
		.bytes = (uint32_t)((uint32_t)rfbStatGetSentBytes(cl) - p->bytes0),
		.raw_bytes = (uint32_t)((uint32_t)rfbStatGetSentBytesIfRaw(cl) - p->raw0) };
	pthread_mutex_lock(&srv->peer_lock);
	if (p->n == VNC_SENT_RING) {            /* nobody pops this peer's sends */
		p->head = (p->head + 1) % VNC_SENT_RING;
		p->n--;
	}
	p->sent[(p->head + p->n++) % VNC_SENT_RING] = s;
	pthread_cond_broadcast(&srv->peer_cond);
	pthread_mutex_unlock(&srv->peer_lock);
	dump_surface(srv, p);
}

static struct vnc_peer *peer_by_port(struct vnc_server *srv, int port)
{
	for (int i = 0; i < VNC_MAX_PEERS; i++)
		if (srv->peers[i].used && srv->peers[i].port == port)
			return &srv->peers[i];
	return NULL;
}

/* The client can finish reading an update before the server thread has
 * left libvncserver's send function and recorded it: wait that long. */
int vnc_server_pop_sent(struct vnc_server *srv, int client_port, struct vnc_sent *out, int timeout_ms)
{
	struct timespec ts = clock_deadline(timeout_ms);
	struct vnc_peer *p;
	int status = 0;

	pthread_mutex_lock(&srv->peer_lock);
	for (;;) {
		p = peer_by_port(srv, client_port);
		if ((p && p->n) || status == ETIMEDOUT)
			break;
		status = pthread_cond_timedwait(&srv->peer_cond, &srv->peer_lock, &ts);
	}
	if (p && p->n) {
		*out = p->sent[p->head];
		p->head = (p->head + 1) % VNC_SENT_RING;
		p->n--;
		status = 0;
	} else {
		status = -1;
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

static int unsent_bytes(int sock)
{
	int q = 0;

	return ioctl(sock, SIOCOUTQ, &q) ? -1 : q;
}

/* Cuts off a client whose socket has not drained for VNC_SEND_STALL_MS
 * during a send. shutdown() leaves the descriptor open, so libvncserver's
 * blocked write fails with EPIPE and it closes the client itself. */
static void *watchdog_thread(void *arg)
{
	struct vnc_server *srv = arg;

	pthread_mutex_lock(&srv->send_lock);
	while (!atomic_load(&srv->stop)) {
		int64_t now = clock_mono_ns();
		struct timespec ts;

		if (srv->send_sock >= 0) {
			int q = unsent_bytes(srv->send_sock);

			if (q <= 0 || q != srv->outq) {	/* drained, draining, or gone */
				srv->outq = q;
				srv->progress_ns = now;
			} else if (now - srv->progress_ns > VNC_SEND_STALL_MS * 1000000ll) {
				shutdown(srv->send_sock, SHUT_RDWR);
				srv->send_sock = -1;
				pthread_mutex_lock(&srv->stats_lock);
				srv->stats.slow_dropped++;
				pthread_mutex_unlock(&srv->stats_lock);
			}
		}
		ts = clock_deadline(VNC_WATCHDOG_TICK_MS);
		pthread_cond_timedwait(&srv->send_cond, &srv->send_lock, &ts);
	}
	pthread_mutex_unlock(&srv->send_lock);
	return NULL;
}

static void *server_thread(void *arg)
{
	struct vnc_server *srv = arg;
	uint64_t n;

	while (!atomic_load(&srv->stop)) {
		if (read(srv->wake_fd, &n, sizeof(n)) < 0 && errno != EAGAIN)
			break;
		apply_stage(srv);
		/* libvncserver sends only after its select returns: once without
		 * waiting, so what was just applied goes out now, then a wait for
		 * a client or the next hand-over. */
		rfbProcessEvents(srv->screen, 0);
		rfbProcessEvents(srv->screen, VNC_POLL_US);
	}
	return NULL;
}

static int start_error(struct vnc_server *srv, char *err, size_t len, const char *why)
{
	snprintf(err, len, "%s", why);
	vnc_server_stop(srv);
	return -1;
}

static int alloc_buffers(struct vnc_server *srv)
{
	size_t words = BITMAP_WORDS(srv->geo->ntiles);

	srv->surface = calloc(1, srv->geo->bytes);
	srv->stage = calloc(1, srv->geo->bytes);
	srv->stage_tiles = calloc(words, sizeof(uint64_t));
	srv->carry = calloc(words, sizeof(uint64_t));
	for (int j = 0; j < 2; j++) {
		srv->ref[j] = calloc(1, srv->geo->bytes);
		srv->ref_dirty[j] = calloc(words, sizeof(uint64_t));
		if (!srv->ref[j] || !srv->ref_dirty[j])
			return -1;
		bitmap_fill(srv->ref_dirty[j], srv->geo->ntiles);      /* the first copy is whole */
	}
	return srv->surface && srv->stage && srv->stage_tiles && srv->carry ? 0 : -1;
}

/* 32 bpp, depth 24, 0xRRGGBB in a little-endian word: the guest's layout. */
static int make_screen(struct vnc_server *srv, const struct vnc_server_config *cfg)
{
	int argc = 1;
	char *argv[] = { "run-bench", NULL };
	rfbScreenInfoPtr s;

	s = rfbGetScreen(&argc, argv, (int)cfg->geo->width, (int)cfg->geo->height, 8, 3, 4);
	if (!s)
		return -1;
	srv->screen = s;
	s->screenData = srv;
	s->desktopName = "dirtybench guest";
	s->serverFormat.redShift = 16;
	s->serverFormat.greenShift = 8;
	s->serverFormat.blueShift = 0;
	s->frameBuffer = (char *)srv->surface;
	s->paddedWidthInBytes = (int)cfg->geo->stride;
	s->cursor = NULL;               /* a drawn-in cursor would not be the guest's pixels */
	s->alwaysShared = TRUE;         /* a viewer asking for exclusivity does not evict the others */
	s->deferUpdateTime = 0;         /* send as soon as a client asked and something changed */
	s->ipv6port = 0;
	s->port = cfg->port ? cfg->port : 5900;
	s->autoPort = cfg->port ? FALSE : TRUE;
	s->listenInterface = htonl(INADDR_LOOPBACK);
	if (cfg->listen && inet_pton(AF_INET, cfg->listen, &s->listenInterface) != 1)
		return -2;
	s->newClientHook = new_client;
	s->displayHook = display_hook;
	s->displayFinishedHook = display_finished;
	if (cfg->password) {
		srv->passwords[0] = strdup(cfg->password);
		s->authPasswdData = srv->passwords;
		s->passwordCheck = rfbCheckPasswordByList;
	}
	return 0;
}

int vnc_server_start(struct vnc_server **out, const struct vnc_server_config *cfg,
		     char *err, size_t errlen)
{
	struct vnc_server *srv = calloc(1, sizeof(*srv));
	int status;

	*out = NULL;
	if (!srv)
		return snprintf(err, errlen, "out of memory"), -1;
	srv->geo = cfg->geo;
	srv->dump_dir = cfg->dump_dir;
	srv->send_sock = -1;
	srv->surface_round = -1;
	atomic_store(&srv->last_round, -1);
	pthread_mutex_init(&srv->stage_lock, NULL);
	pthread_mutex_init(&srv->surface_lock, NULL);
	pthread_mutex_init(&srv->send_lock, NULL);
	pthread_cond_init(&srv->send_cond, NULL);
	pthread_mutex_init(&srv->peer_lock, NULL);
	pthread_cond_init(&srv->peer_cond, NULL);
	pthread_mutex_init(&srv->stats_lock, NULL);
	srv->wake_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	/* A client that vanishes must not kill the process: writes fail instead. */
	signal(SIGPIPE, SIG_IGN);
	if (!getenv("DIRTYBENCH_VNC_LOG"))      /* libvncserver's own log, for debugging */
		rfbLog = rfbErr = vnc_quiet;
	rfbMaxClientWait = VNC_READ_TIMEOUT_MS;
	if (srv->wake_fd < 0 || alloc_buffers(srv))
		return start_error(srv, err, errlen, "out of memory");
	status = make_screen(srv, cfg);
	if (status == -2)
		return start_error(srv, err, errlen, "--vnc-listen: not an IPv4 address");
	if (status)
		return start_error(srv, err, errlen, "libvncserver could not create a screen");
	rfbInitServer(srv->screen);
	if (srv->screen->listenSock == RFB_INVALID_SOCKET) {
		snprintf(err, errlen, "cannot listen on %s port %d: %s", cfg->listen ? cfg->listen : "127.0.0.1",
			 cfg->port ? cfg->port : 5900, cfg->port ? strerror(errno) : "no free port in 5900..5999");
		vnc_server_stop(srv);
		return -1;
	}
	/* The wake-up descriptor joins libvncserver's select, so a hand-over
	 * is sent at once instead of at the next poll. */
	FD_SET(srv->wake_fd, &srv->screen->allFds);
	if (srv->wake_fd > srv->screen->maxFd)
		srv->screen->maxFd = srv->wake_fd;
	if (pthread_create(&srv->thread, NULL, server_thread, srv))
		return start_error(srv, err, errlen, "cannot start the VNC server thread");
	if (pthread_create(&srv->watchdog, NULL, watchdog_thread, srv)) {
		atomic_store(&srv->stop, true);
		wake(srv);
		pthread_join(srv->thread, NULL);
		return start_error(srv, err, errlen, "cannot start the VNC watchdog thread");
	}
	srv->threads_started = true;
	*out = srv;
	return 0;
}

int vnc_server_port(const struct vnc_server *srv)
{
	return srv->screen->port;
}

void vnc_server_stats(struct vnc_server *srv, struct vnc_server_stats *out)
{
	pthread_mutex_lock(&srv->stats_lock);
	*out = srv->stats;
	pthread_mutex_unlock(&srv->stats_lock);
	out->publishes = atomic_load(&srv->publishes);
	out->deferred = atomic_load(&srv->deferred);
	out->stage_copy_ns = atomic_load(&srv->stage_copy_ns);
}

void vnc_server_stop(struct vnc_server *srv)
{
	if (!srv)
		return;
	if (srv->threads_started) {
		atomic_store(&srv->stop, true);
		wake(srv);
		pthread_mutex_lock(&srv->send_lock);
		pthread_cond_signal(&srv->send_cond);
		pthread_mutex_unlock(&srv->send_lock);
		pthread_join(srv->thread, NULL);
		pthread_join(srv->watchdog, NULL);
	}
	if (srv->screen) {
		rfbShutdownServer(srv->screen, TRUE);
		rfbScreenCleanup(srv->screen);
	}
	if (srv->wake_fd >= 0)
		close(srv->wake_fd);
	free(srv->passwords[0]);
	free(srv->surface);
	free(srv->stage);
	free(srv->stage_tiles);
	free(srv->carry);
	for (int j = 0; j < 2; j++)
		free(srv->ref[j]), free(srv->ref_dirty[j]);
	free(srv);
}
