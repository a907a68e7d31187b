/* The measuring client of --vnc (see vnc_client.h). */
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include <rfb/rfbclient.h>

#include "core/clock.h"
#include "vnc/vnc_client.h"

/* How long an update's record may lag behind its last byte (see
 * vnc_server_pop_sent); far above the microseconds it takes. */
#define VNC_SENT_WAIT_MS 1000
#define VNC_CLIENT_POLL_US 100000

struct vnc_client {
	struct vnc_client_config cfg;
	rfbClient *rfb;
	int local_port;
	pthread_t thread;
	bool thread_started;
	atomic_bool stop;
	uint32_t rects;                 /* rectangles of the update being read */

	pthread_mutex_t lock;           /* updates, last_round, dead, error */
	pthread_cond_t cond;
	struct vnc_update *updates;
	size_t n, cap;
	int64_t last_round;             /* -1 until an update carried a round */
	bool dead;
	char error[256];
	char mismatch[128];             /* where the first pixel mismatch was */
};

static int tag;                         /* rfbClientSetClientData's key */

static void vnc_client_quiet(const char *fmt, ...)
{
	(void)fmt;
}

static struct vnc_client *self(rfbClient *rfb)
{
	return rfbClientGetClientData(rfb, &tag);
}

static char *get_password(rfbClient *rfb)
{
	const char *pw = self(rfb)->cfg.password;

	return strdup(pw ? pw : "");
}

static void got_rect(rfbClient *rfb, int x, int y, int w, int h)
{
	(void)x, (void)y, (void)w, (void)h;
	self(rfb)->rects++;
}

static int record(struct vnc_client *c, const struct vnc_update *u)
{
	pthread_mutex_lock(&c->lock);
	if (c->n == c->cap) {
		size_t cap = c->cap ? 2 * c->cap : 1024;
		struct vnc_update *p = realloc(c->updates, cap * sizeof(*p));

		if (!p) {
			pthread_mutex_unlock(&c->lock);
			return -1;
		}
		c->updates = p, c->cap = cap;
	}
	c->updates[c->n++] = *u;
	if (u->round > c->last_round)
		c->last_round = u->round;
	pthread_cond_broadcast(&c->cond);
	pthread_mutex_unlock(&c->lock);
	return 0;
}

/* The first differing pixel, for the run's error line. */
static void describe_mismatch(struct vnc_client *c, rfbClient *rfb, int ref)
{
	const struct fb_geometry *g = c->cfg.geo;
	const uint32_t *fb = (const uint32_t *)rfb->frameBuffer;
	const uint32_t *want = (const uint32_t *)vnc_server_ref(c->cfg.srv, ref);

	for (size_t i = 0; want && i < (size_t)g->width * g->height; i++)
		if ((fb[i] ^ want[(i / g->width) * (g->stride / 4) + i % g->width]) & 0xffffff) {
			pthread_mutex_lock(&c->lock);
			if (!c->mismatch[0])
				snprintf(c->mismatch, sizeof(c->mismatch), "first at (%zu,%zu): client %06x, server %06x",
					 i % g->width, i / g->width, fb[i] & 0xffffff,
					 want[(i / g->width) * (g->stride / 4) + i % g->width] & 0xffffff);
			pthread_mutex_unlock(&c->lock);
			return;
		}
}

/* One whole update is in the framebuffer: stamp it, then check its pixels. */
static void finished_update(rfbClient *rfb)
{
	struct vnc_client *c = self(rfb);
	struct vnc_update u = { .arrival = clock_tsc(), .rects = c->rects, .check = VNC_UNCHECKED };
	struct vnc_sent s;

	c->rects = 0;
	if (vnc_server_pop_sent(c->cfg.srv, c->local_port, &s, VNC_SENT_WAIT_MS)) {
		snprintf(c->error, sizeof(c->error), "an update arrived that the server did not record");
		atomic_store(&c->stop, true);
		return;
	}
	u.bytes = s.bytes, u.raw_bytes = s.raw_bytes;
	/* Only pseudo-rectangles (libvncserver's desktop-size marker after a
	 * full request): no pixels, nothing new on screen. */
	if (!u.rects) {
		u.round = c->last_round;
		if (record(c, &u))
			atomic_store(&c->stop, true);
		return;
	}
	u.round = s.round;
	u.check = vnc_server_compare(c->cfg.srv, (const uint8_t *)rfb->frameBuffer,
				     (size_t)rfb->width * 4, s.ref, &u.diff_pixels);
	if (u.check == VNC_MISMATCH)
		describe_mismatch(c, rfb, s.ref);
	if (record(c, &u))
		atomic_store(&c->stop, true);
}

static void *client_thread(void *arg)
{
	struct vnc_client *c = arg;

	while (!atomic_load(&c->stop)) {
		/* WaitForMessage selects on the socket only: a message libvncclient
		 * has already read into its buffer would wait for the next one. */
		int n = c->rfb->buffered > 0 ? 1 : WaitForMessage(c->rfb, VNC_CLIENT_POLL_US);

		if (n < 0 || (n > 0 && !HandleRFBServerMessage(c->rfb))) {
			pthread_mutex_lock(&c->lock);
			if (!c->error[0])
				snprintf(c->error, sizeof(c->error), "the connection to the server ended");
			pthread_mutex_unlock(&c->lock);
			break;
		}
	}
	pthread_mutex_lock(&c->lock);
	c->dead = true;
	pthread_cond_broadcast(&c->cond);
	pthread_mutex_unlock(&c->lock);
	return NULL;
}

static int local_port(int sock)
{
	struct sockaddr_in a;
	socklen_t len = sizeof(a);

	return getsockname(sock, (struct sockaddr *)&a, &len) ? -1 : ntohs(a.sin_port);
}

static rfbClient *make_rfb(struct vnc_client *c, int sock)
{
	rfbClient *rfb = rfbGetClient(8, 3, 4);

	if (!rfb) {
		close(sock);
		return NULL;
	}
	rfb->format.redShift = 16;      /* the guest's 0xRRGGBB words, as the server has them */
	rfb->format.greenShift = 8;
	rfb->format.blueShift = 0;
	rfb->appData.encodingsString = c->cfg.encoding;
	rfb->appData.enableJPEG = FALSE;        /* lossless, so the pixel check can be exact */
	rfb->appData.useRemoteCursor = FALSE;
	free(rfb->serverHost);
	rfb->serverHost = strdup("127.0.0.1");
	rfb->serverPort = c->cfg.port;
	/* Already connected (vnc_server_attach): rfbInitClient takes the socket
	 * as it would take one from -listen. */
	rfb->sock = sock;
	rfb->listenSpecified = TRUE;
	rfb->GetPassword = get_password;
	rfb->GotFrameBufferUpdate = got_rect;
	rfb->FinishedFrameBufferUpdate = finished_update;
	rfbClientSetClientData(rfb, &tag, c);
	return rfb;
}

int vnc_client_start(struct vnc_client **out, const struct vnc_client_config *cfg, char *err, size_t errlen)
{
	struct vnc_client *c = calloc(1, sizeof(*c));
	int sock;

	*out = NULL;
	if (!c)
		return snprintf(err, errlen, "out of memory"), -1;
	c->cfg = *cfg;
	c->last_round = -1;
	pthread_mutex_init(&c->lock, NULL);
	pthread_cond_init(&c->cond, NULL);
	if (!getenv("DIRTYBENCH_VNC_LOG"))
		rfbClientLog = rfbClientErr = vnc_client_quiet;
	if (vnc_server_attach(cfg->srv, &sock, err, errlen)) {
		vnc_client_free(c);
		return -1;
	}
	c->rfb = make_rfb(c, sock);
	/* rfbInitClient frees the client (and closes the socket) when it fails. */
	if (!c->rfb || !rfbInitClient(c->rfb, NULL, NULL)) {
		c->rfb = NULL;
		snprintf(err, errlen, "the measuring client could not complete the RFB handshake with the server%s",
			 cfg->password ? " (wrong password?)" : "");
		vnc_client_free(c);
		return -1;
	}
	c->local_port = local_port(c->rfb->sock);
	vnc_server_watch(c->cfg.srv, c->local_port);
	if (pthread_create(&c->thread, NULL, client_thread, c)) {
		snprintf(err, errlen, "cannot start the measuring client's thread");
		vnc_client_free(c);
		return -1;
	}
	c->thread_started = true;
	*out = c;
	return 0;
}

int vnc_client_wait_round(struct vnc_client *c, int64_t round, int timeout_ms)
{
	struct timespec ts = clock_deadline(timeout_ms);
	int status = 0;

	pthread_mutex_lock(&c->lock);
	while (c->last_round < round && !c->dead && status != ETIMEDOUT)
		status = pthread_cond_timedwait(&c->cond, &c->lock, &ts);
	status = c->last_round >= round ? 0 : -1;
	pthread_mutex_unlock(&c->lock);
	return status;
}

void vnc_client_halt(struct vnc_client *c)
{
	if (!c->thread_started)
		return;
	atomic_store(&c->stop, true);
	pthread_join(c->thread, NULL);
	c->thread_started = false;
}

uint64_t vnc_client_diff(struct vnc_client *c, const uint8_t *buf, size_t stride)
{
	return vnc_fb_diff(c->cfg.geo, (const uint8_t *)c->rfb->frameBuffer, (size_t)c->rfb->width * 4,
			   buf, stride);
}

const struct vnc_update *vnc_client_updates(struct vnc_client *c, size_t *n)
{
	*n = c->n;
	return c->updates;
}

const char *vnc_client_mismatch(struct vnc_client *c)
{
	return c->mismatch;
}

const char *vnc_client_error(struct vnc_client *c)
{
	return c->error[0] ? c->error : NULL;
}

void vnc_client_free(struct vnc_client *c)
{
	if (!c)
		return;
	vnc_client_halt(c);
	if (c->rfb) {
		free(c->rfb->frameBuffer);
		c->rfb->frameBuffer = NULL;
		rfbClientCleanup(c->rfb);
	}
	free(c->updates);
	free(c);
}
