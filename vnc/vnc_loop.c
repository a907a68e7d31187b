/* One libvncserver screen's serving thread and its watchdog (vnc_loop.h). */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/sockios.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "core/clock.h"
#include "vnc/vnc_loop.h"

#define VNC_LOOP_POLL_MS 100
#define VNC_WATCHDOG_TICK_MS 50
#define VNC_LOOP_MAX_CLIENTS 64
#define VNC_DRAIN_BYTES 65536
#define NS_PER_MS 1000000ll

/* Exported by libvncserver but not in rfb.h; its own rfbProcessEvents and
 * rfbCheckFds use them, and so does our copy of what they do. */
extern rfbClientIteratorPtr rfbGetClientIteratorWithClosed(rfbScreenInfoPtr screen);
extern rfbBool webSocketsHasDataInBuffer(rfbClientPtr cl);

static void busy_begin(struct vnc_loop *l, struct vnc_busy *b, int sock)
{
	int64_t now = clock_mono_ns();

	pthread_mutex_lock(&l->lock);
	*b = (struct vnc_busy){ .sock = sock, .since_ns = now, .progress_ns = now, .outq = -1 };
	pthread_mutex_unlock(&l->lock);
}

static void busy_end(struct vnc_loop *l, struct vnc_busy *b)
{
	pthread_mutex_lock(&l->lock);
	b->sock = -1;
	pthread_mutex_unlock(&l->lock);
}

/* Watchdog, lock held. shutdown() leaves the descriptor to libvncserver,
 * which closes it once its blocked call fails. What the client sent is read
 * away too: libvncserver's check for a WebSocket greeting peeks until 4
 * bytes are queued and spins on 1..3 (a shut-down socket still returns
 * queued data). Repeated each tick while the call lasts; count: NULL when
 * the loop is stopping (not the client's fault). */
static void drop(struct vnc_busy *b, atomic_uint_fast64_t *count)
{
	char sink[4096];
	size_t drained = 0;
	ssize_t n;

	shutdown(b->sock, SHUT_RDWR);
	while (drained < VNC_DRAIN_BYTES && (n = recv(b->sock, sink, sizeof(sink), MSG_DONTWAIT)) > 0)
		drained += (size_t)n;
	if (!b->killed && count)
		atomic_fetch_add(count, 1);
	b->killed = true;
}

static int unsent_bytes(int sock)
{
	int q = 0;

	return ioctl(sock, SIOCOUTQ, &q) ? -1 : q;
}

static void watch_send(struct vnc_loop *l, struct vnc_busy *b, int64_t now, bool stopping)
{
	int q;

	if (b->sock < 0)
		return;
	q = unsent_bytes(b->sock);
	if (q <= 0 || q != b->outq) {          /* drained, draining, or gone */
		b->outq = q;
		b->progress_ns = now;
	}
	if (stopping || now - b->progress_ns > VNC_SEND_STALL_MS * NS_PER_MS ||
	    now - b->since_ns > VNC_SEND_MS * NS_PER_MS)
		drop(b, stopping ? NULL : &l->cut_off);
}

static void *watchdog_thread(void *arg)
{
	struct vnc_loop *l = arg;

	pthread_mutex_lock(&l->lock);
	while (!l->watchdog_exit) {
		int64_t now = clock_mono_ns();
		bool stopping = atomic_load(&l->stopping);
		struct timespec ts;

		if (!l->trusted || stopping) {
			if (l->reading.sock >= 0 && (stopping || now - l->reading.since_ns > VNC_MESSAGE_MS * NS_PER_MS))
				drop(&l->reading, stopping ? NULL : &l->timed_out);
			watch_send(l, &l->sending, now, stopping);
		}
		ts = clock_deadline(VNC_WATCHDOG_TICK_MS);
		pthread_cond_timedwait(&l->cond, &l->lock, &ts);
	}
	pthread_mutex_unlock(&l->lock);
	return NULL;
}

/* What one turn's poll watches: the wake-up, the listener, every client. */
struct vnc_turn {
	struct pollfd fds[2 + VNC_LOOP_MAX_CLIENTS];
	rfbClientPtr cl[VNC_LOOP_MAX_CLIENTS];
	int ncl;
};

static void gather(struct vnc_loop *l, struct vnc_turn *t)
{
	rfbClientIteratorPtr i = rfbGetClientIterator(l->rfb);
	rfbClientPtr cl;

	t->fds[0] = (struct pollfd){ .fd = l->wake_fd, .events = POLLIN };
	t->fds[1] = (struct pollfd){ .fd = l->listen_paused ? -1 : l->rfb->listenSock, .events = POLLIN };
	l->listen_paused = false;
	t->ncl = 0;
	while (t->ncl < VNC_LOOP_MAX_CLIENTS && (cl = rfbClientIteratorNext(i))) {
		if (cl->onHold)
			continue;
		t->cl[t->ncl] = cl;
		t->fds[2 + t->ncl++] = (struct pollfd){ .fd = cl->sock, .events = POLLIN };
	}
	rfbReleaseClientIterator(i);
}

/* A new connection: libvncserver greets it (and first waits briefly for a
 * WebSocket request), under the same deadline as a message. */
static void greet(struct vnc_loop *l, int fd)
{
	busy_begin(l, &l->reading, fd);
	/* That wait tests errno after a short peek: left at EAGAIN by an
	 * earlier call, 1..3 early bytes would make it spin. */
	errno = 0;
	rfbNewClient(l->rfb, fd);
	busy_end(l, &l->reading);
}

static void take_new(struct vnc_loop *l, const struct vnc_turn *t)
{
	int fd = atomic_exchange(&l->adopt, -1);

	if (fd >= 0)
		greet(l, fd);
	if (!(t->fds[1].revents & POLLIN))
		return;
	fd = accept4(l->rfb->listenSock, NULL, NULL, SOCK_CLOEXEC);
	if (fd >= 0)
		greet(l, fd);
	else if (errno != EAGAIN && errno != EINTR && errno != ECONNABORTED)
		l->listen_paused = true;        /* out of descriptors: the connection waits a turn */
}

/* One client's message, read whole by libvncserver (a WebSocket client's
 * frame may hold more than one). */
static void read_message(struct vnc_loop *l, rfbClientPtr cl)
{
	busy_begin(l, &l->reading, cl->sock);
	do
		rfbProcessClientMessage(cl);
	while (cl->sock != RFB_INVALID_SOCKET && webSocketsHasDataInBuffer(cl));
	busy_end(l, &l->reading);
}

/* Updates to every client that asked, then the closed ones freed: what
 * rfbProcessEvents does after its select. */
static void serve(struct vnc_loop *l)
{
	rfbClientIteratorPtr i = rfbGetClientIteratorWithClosed(l->rfb);
	rfbClientPtr cl = rfbClientIteratorNext(i), prev;

	while (cl) {
		rfbUpdateClient(cl);
		prev = cl;
		cl = rfbClientIteratorNext(i);
		if (prev->sock == RFB_INVALID_SOCKET)
			rfbClientConnectionGone(prev);
	}
	rfbReleaseClientIterator(i);
}

static void *loop_thread(void *arg)
{
	struct vnc_loop *l = arg;
	struct vnc_turn t;
	uint64_t n;

	while (!atomic_load(&l->stop)) {
		gather(l, &t);
		if (poll(t.fds, (nfds_t)(2 + t.ncl), VNC_LOOP_POLL_MS) < 0 && errno != EINTR)
			usleep(VNC_LOOP_POLL_MS * 1000);
		if (read(l->wake_fd, &n, sizeof(n)) < 0 && errno != EAGAIN)
			break;
		l->tick(l->arg);
		take_new(l, &t);
		for (int k = 0; k < t.ncl && !atomic_load(&l->stop); k++)
			if (t.fds[2 + k].revents && t.cl[k]->sock == t.fds[2 + k].fd)
				read_message(l, t.cl[k]);
		serve(l);
	}
	return NULL;
}

void vnc_loop_wake(struct vnc_loop *l)
{
	uint64_t one = 1;

	if (write(l->wake_fd, &one, sizeof(one)) < 0)
		return;         /* the counter is saturated: a wake-up is pending anyway */
}

int vnc_loop_start(struct vnc_loop *l, rfbScreenInfoPtr rfb, bool trusted, void (*tick)(void *), void *arg)
{
	l->rfb = rfb;
	l->trusted = trusted;
	l->tick = tick;
	l->arg = arg;
	l->reading.sock = l->sending.sock = -1;
	atomic_store(&l->adopt, -1);
	pthread_mutex_init(&l->lock, NULL);
	pthread_cond_init(&l->cond, NULL);
	l->wake_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (l->wake_fd < 0)
		return -1;
	/* poll said a connection is pending, but it can be gone by accept() */
	if (rfb->listenSock != RFB_INVALID_SOCKET)
		fcntl(rfb->listenSock, F_SETFL, fcntl(rfb->listenSock, F_GETFL) | O_NONBLOCK);
	if (pthread_create(&l->thread, NULL, loop_thread, l))
		return -1;
	if (pthread_create(&l->watchdog, NULL, watchdog_thread, l)) {
		atomic_store(&l->stop, true);
		vnc_loop_wake(l);
		pthread_join(l->thread, NULL);
		return -1;
	}
	l->started = true;
	return 0;
}

/* A TCP connection over loopback through a listener of our own on an
 * ephemeral port. Anyone on the host could connect to it meanwhile, so only
 * the connection whose far end is our socket is taken. */
static int loopback_pair(int *ours, int *theirs)
{
	struct sockaddr_in a = { .sin_family = AF_INET }, me, peer;
	socklen_t len = sizeof(a);
	int lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), c = -1, s = -1, err;

	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (lfd < 0 || bind(lfd, (struct sockaddr *)&a, len) || listen(lfd, 16) ||
	    getsockname(lfd, (struct sockaddr *)&a, &len))
		goto out;
	c = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	len = sizeof(me);
	if (c < 0 || connect(c, (struct sockaddr *)&a, sizeof(a)) || getsockname(c, (struct sockaddr *)&me, &len))
		goto out;
	for (int tries = 0; tries < 16 && s < 0; tries++) {
		len = sizeof(peer);
		s = accept4(lfd, (struct sockaddr *)&peer, &len, SOCK_CLOEXEC);
		if (s >= 0 && (peer.sin_port != me.sin_port || peer.sin_addr.s_addr != me.sin_addr.s_addr))
			close(s), s = -1;
	}
out:
	err = s < 0 ? (errno ? errno : EADDRINUSE) : 0;
	if (lfd >= 0)
		close(lfd);
	if (s < 0) {
		if (c >= 0)
			close(c);
		errno = err;
		return -1;
	}
	*ours = c, *theirs = s;
	return 0;
}

int vnc_loop_connect(struct vnc_loop *l, int *client_sock)
{
	int c, s, old, one = 1;

	if (loopback_pair(&c, &s))
		return -1;
	fcntl(c, F_SETFL, fcntl(c, F_GETFL) | O_NONBLOCK);
	setsockopt(c, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	old = atomic_exchange(&l->adopt, s);
	if (old >= 0)
		close(old);
	vnc_loop_wake(l);
	*client_sock = c;
	return 0;
}

void vnc_loop_send_begin(struct vnc_loop *l, int sock)
{
	busy_begin(l, &l->sending, sock);
}

void vnc_loop_send_end(struct vnc_loop *l)
{
	busy_end(l, &l->sending);
}

uint64_t vnc_loop_cpu_ns(struct vnc_loop *l)
{
	clockid_t id;
	struct timespec ts;

	if (!l->started || pthread_getcpuclockid(l->thread, &id) || clock_gettime(id, &ts))
		return 0;
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

void vnc_loop_stop(struct vnc_loop *l)
{
	int fd;

	if (!l->rfb)
		return;
	if (l->started) {
		atomic_store(&l->stopping, true);
		atomic_store(&l->stop, true);
		vnc_loop_wake(l);
		pthread_mutex_lock(&l->lock);
		pthread_cond_signal(&l->cond);          /* drop what the thread is blocked on now */
		pthread_mutex_unlock(&l->lock);
		pthread_join(l->thread, NULL);
		pthread_mutex_lock(&l->lock);
		l->watchdog_exit = true;
		pthread_cond_signal(&l->cond);
		pthread_mutex_unlock(&l->lock);
		pthread_join(l->watchdog, NULL);
		l->started = false;
	}
	fd = atomic_exchange(&l->adopt, -1);
	if (fd >= 0)
		close(fd);
	if (l->wake_fd >= 0)
		close(l->wake_fd);
	pthread_cond_destroy(&l->cond);
	pthread_mutex_destroy(&l->lock);
	l->rfb = NULL;
}
