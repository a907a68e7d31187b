/*
 * One libvncserver screen served by a thread of its own, and a watchdog that
 * bounds what any one client can take of that thread.
 *
 * libvncserver reads a client's message, and writes an update to it, in
 * blocking loops whose timeout starts again with every byte: a client that
 * trickles a message one byte at a time, or drains its socket one byte at a
 * time, holds the serving thread as long as it likes. So the loop here is
 * our own (poll, accept, one client's message, updates to all), and the
 * watchdog knows which client the thread is busy with and since when:
 * - a message (or a new connection's greeting) not complete within
 *   VNC_MESSAGE_MS of its first byte: the client is dropped, whatever it
 *   trickles (a deadline for the message, not for each byte);
 * - a send during which the client's socket has not drained for
 *   VNC_SEND_STALL_MS, or that has not ended within VNC_SEND_MS: the client
 *   is cut off.
 * Dropping is shutdown(2) of the client's socket, so libvncserver's blocked
 * call fails at once and it closes the client itself. A trusted loop (the
 * measuring client's own: its slowness is a figure, not an attack) is left
 * alone until it stops; any loop that stops drops what it is blocked on.
 */
#ifndef DIRTYBENCH_VNC_LOOP_H
#define DIRTYBENCH_VNC_LOOP_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <rfb/rfb.h>

#define VNC_MESSAGE_MS 500
#define VNC_SEND_STALL_MS 500
#define VNC_SEND_MS 2000

/* One blocking call into libvncserver on one client's socket. */
struct vnc_busy {
	int sock;                       /* -1: none */
	int64_t since_ns, progress_ns;
	int outq;                       /* unsent bytes at the last look (sends) */
	bool killed;
};

struct vnc_loop {
	rfbScreenInfoPtr rfb;
	void (*tick)(void *arg);        /* each turn, before updates go out */
	void *arg;
	bool trusted;                   /* no deadlines until stopping */
	int wake_fd;
	pthread_t thread, watchdog;
	bool started;
	atomic_bool stop;               /* the serving thread leaves its loop */
	atomic_bool stopping;           /* the watchdog drops whatever the thread is busy with */
	bool watchdog_exit;             /* under lock */
	atomic_int adopt;               /* a connected socket to serve, -1: none */
	bool listen_paused;             /* accept failed (no descriptors): skip one turn */
	pthread_mutex_t lock;           /* reading, sending, watchdog_exit */
	pthread_cond_t cond;
	struct vnc_busy reading, sending;
	atomic_uint_fast64_t timed_out; /* clients dropped: a message not complete in time */
	atomic_uint_fast64_t cut_off;   /* clients cut off: a send stalled or took too long */
};

/* rfb ready (rfbInitServer done); tick(arg) runs in the serving thread. */
int vnc_loop_start(struct vnc_loop *l, rfbScreenInfoPtr rfb, bool trusted, void (*tick)(void *), void *arg);
void vnc_loop_wake(struct vnc_loop *l);
/* Any thread: a loopback TCP connection whose far end this loop serves as
 * a client; *client_sock is ours (non-blocking, TCP_NODELAY, as
 * libvncclient would have made it). 0, or -1 with errno. */
int vnc_loop_connect(struct vnc_loop *l, int *client_sock);
/* From libvncserver's display hooks (the serving thread): a send begins/ends. */
void vnc_loop_send_begin(struct vnc_loop *l, int sock);
void vnc_loop_send_end(struct vnc_loop *l);
/* CPU time the serving thread has used, ns; 0 if unknown. */
uint64_t vnc_loop_cpu_ns(struct vnc_loop *l);
/* Drops what the thread is blocked on, joins it and the watchdog. */
void vnc_loop_stop(struct vnc_loop *l);

#endif
