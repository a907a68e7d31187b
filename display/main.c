/*
 * db-display: the display process of uffd-wp's separate form. It stands for
 * a display back end that is not the VMM (a vhost-user GPU, a VNC or RDP
 * server): its own address space, no VM descriptor, no privileges. run-bench
 * starts it (posix_spawn, every other descriptor closed), it drops to nobody
 * with no_new_privs, then receives the VMM's pagemap descriptor (and the
 * userfaultfd for scan-then-wp) over its socket, arms, and per round request
 * scans VRAM's pages in the VMM and sends back the ranges written.
 * Protocol: display/protocol.h.
 *
 *   db-display PARENT_PID      (fd 3: the socket; run by run-bench only)
 */
#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "display/protocol.h"

struct display {
	int sock;
	int pagemap_fd, uffd;
	enum display_order order;
	struct pms_tracker tracker;
	struct display_reply *reply;    /* head + DISPLAY_MSG_RANGES ranges */
};

static uint64_t cpu_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static int send_reply(struct display *d, enum display_op op, int status, size_t nranges, const char *error)
{
	struct display_reply *r = d->reply;

	r->magic = DISPLAY_MAGIC;
	r->op = op;
	r->status = status;
	r->nranges = (uint32_t)nranges;
	snprintf(r->error, sizeof(r->error), "%s", error ? error : "");
	if (send(d->sock, r, sizeof(*r) + nranges * sizeof(r->ranges[0]), MSG_NOSIGNAL) < 0)
		return -1;
	return 0;
}

/* nobody, or stay as we are when not root (already unprivileged). After
 * setuid the kernel clears the parent-death signal, so it is set after. */
static int drop_privileges(pid_t parent, char *why, size_t len)
{
	if (geteuid() == 0) {
		struct passwd *pw = getpwnam("nobody");
		uid_t uid = pw ? pw->pw_uid : 65534;
		gid_t gid = pw ? pw->pw_gid : 65534;

		if (setgroups(0, NULL) || setresgid(gid, gid, gid) || setresuid(uid, uid, uid)) {
			snprintf(why, len, "dropping privileges to nobody: %s", strerror(errno));
			return -1;
		}
	}
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) || prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0)) {
		snprintf(why, len, "prctl: %s", strerror(errno));
		return -1;
	}
	if (getppid() != parent) {
		snprintf(why, len, "run-bench (pid %d) is gone", (int)parent);
		return -1;
	}
	return 0;
}

/* DISPLAY_HELLO with one or two descriptors. */
static int receive_hello(struct display *d, struct display_hello *h, char *why, size_t len)
{
	union {
		char buf[CMSG_SPACE(2 * sizeof(int))];
		struct cmsghdr align;
	} ctl;
	struct iovec iov = { .iov_base = h, .iov_len = sizeof(*h) };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl.buf,
			      .msg_controllen = sizeof(ctl.buf) };
	struct cmsghdr *c;
	ssize_t n = recvmsg(d->sock, &msg, MSG_CMSG_CLOEXEC);
	int fds[2] = { -1, -1 };

	if (n != (ssize_t)sizeof(*h) || h->magic != DISPLAY_MAGIC || h->op != DISPLAY_HELLO ||
	    h->version != DISPLAY_VERSION) {
		snprintf(why, len, "no valid hello from run-bench");
		return -1;
	}
	c = CMSG_FIRSTHDR(&msg);
	if (!(msg.msg_flags & MSG_CTRUNC) && c && c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS &&
	    c->cmsg_len >= CMSG_LEN(sizeof(int)) && c->cmsg_len <= CMSG_LEN(sizeof(fds)))
		memcpy(fds, CMSG_DATA(c), c->cmsg_len - CMSG_LEN(0));
	d->pagemap_fd = fds[0];
	d->uffd = fds[1];
	d->order = h->order;
	if (d->pagemap_fd < 0 || (d->order == DISPLAY_ORDER_SCAN_THEN_WP && d->uffd < 0)) {
		snprintf(why, len, "the hello carried no %s descriptor", d->pagemap_fd < 0 ? "pagemap" : "userfaultfd");
		return -1;
	}
	return 0;
}

/* One round: scan, re-protect in the order asked, send the ranges. */
static int serve_round(struct display *d, uint64_t round)
{
	struct pms_tracker *t = &d->tracker;
	uint64_t cpu0 = cpu_ns(), ioctls0 = t->ioctls, full0 = t->vec_full;
	bool reprotect = d->order == DISPLAY_ORDER_REPROTECT;
	int failed = pms_scan(t, reprotect);
	size_t sent = 0;

	if (!failed && !reprotect)
		failed = pms_writeprotect_ranges(t, d->uffd);
	d->reply->round = round;
	d->reply->ioctls = t->ioctls - ioctls0;
	d->reply->vec_full = t->vec_full - full0;
	d->reply->wp_calls = reprotect || failed ? 0 : t->nranges;
	if (failed) {
		d->reply->last = 1;
		d->reply->cpu_ns = cpu_ns() - cpu0;
		return send_reply(d, DISPLAY_RANGES, errno ? errno : EIO, 0, t->error);
	}
	do {
		size_t n = t->nranges - sent < DISPLAY_MSG_RANGES ? t->nranges - sent : DISPLAY_MSG_RANGES;

		memcpy(d->reply->ranges, t->ranges + sent, n * sizeof(t->ranges[0]));
		sent += n;
		d->reply->last = sent == t->nranges;
		d->reply->cpu_ns = cpu_ns() - cpu0;
		if (send_reply(d, DISPLAY_RANGES, 0, n, NULL))
			return -1;
	} while (sent < t->nranges);
	return 0;
}

static int serve(struct display *d)
{
	struct display_request req;
	ssize_t n;

	while ((n = recv(d->sock, &req, sizeof(req), 0)) > 0) {
		if (n != (ssize_t)sizeof(req) || req.magic != DISPLAY_MAGIC || req.op != DISPLAY_SCAN)
			return send_reply(d, DISPLAY_RANGES, EPROTO, 0, "malformed request"), 1;
		if (serve_round(d, req.round))
			return 1;
	}
	return n == 0 ? 0 : 1;          /* EOF: run-bench is done with us */
}

int main(int argc, char **argv)
{
	struct display d = { .sock = DISPLAY_SOCK_FD, .pagemap_fd = -1, .uffd = -1 };
	struct display_hello h;
	char why[200] = "";
	pid_t parent = argc == 2 ? (pid_t)atoi(argv[1]) : 0;
	int status;

	d.reply = calloc(1, sizeof(*d.reply) + DISPLAY_MSG_RANGES * sizeof(d.reply->ranges[0]));
	if (argc != 2 || parent <= 0 || !d.reply) {
		fprintf(stderr, "db-display: run by run-bench (uffd-wp process=separate), not by hand\n");
		return 2;
	}
	status = drop_privileges(parent, why, sizeof(why));
	d.reply->uid = (uint32_t)getuid();
	d.reply->gid = (uint32_t)getgid();
	d.reply->no_new_privs = (uint32_t)prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0);
	if (send_reply(&d, DISPLAY_READY, status ? EPERM : 0, 0, why) || status)
		return 1;
	if (receive_hello(&d, &h, why, sizeof(why)))
		return send_reply(&d, DISPLAY_ARMED, EPROTO, 0, why), 1;
	if (pms_tracker_init(&d.tracker, d.pagemap_fd, h.base, h.pages, h.vec_len))
		return send_reply(&d, DISPLAY_ARMED, ENOMEM, 0, d.tracker.error), 1;
	/* The first scan reports every page (none was protected): arm with it. */
	if (pms_scan(&d.tracker, true))
		return send_reply(&d, DISPLAY_ARMED, errno ? errno : EIO, 0, d.tracker.error), 1;
	if (send_reply(&d, DISPLAY_ARMED, 0, 0, NULL))
		return 1;
	status = serve(&d);
	pms_tracker_fini(&d.tracker);
	free(d.reply);
	return status;
}
