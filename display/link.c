/*
 * Starting and talking to db-display (display/link.h).
 *
 * posix_spawn, not fork: run-bench has guest RAM mapped and a vCPU thread
 * running, and posix_spawn's vfork-like clone copies no page tables. Every
 * descriptor but the socket is closed in the child before exec
 * (addclosefrom_np), on top of O_CLOEXEC on ours: the display process must
 * hold no KVM descriptor whatever a library opened without the flag.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "core/bitmap.h"
#include "display/link.h"

/* The ASan build of run-bench runs the ASan build of the display process. */
#ifdef __SANITIZE_ADDRESS__
#define DISPLAY_EXE "db-display-asan"
#else
#define DISPLAY_EXE "db-display"
#endif

/* A scan of 64 MiB of VRAM takes milliseconds; a display process that has
 * not answered in this long is stuck, and the run's watchdog (5 s) must not
 * be the one to notice. */
#define REPLY_TIMEOUT_MS 2000
#define EXIT_WAIT_MS 500

extern char **environ;

static int find_exe(struct display_link *l)
{
	char self[sizeof(l->exe) - 32];
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	char *slash;

	if (n <= 0) {
		snprintf(l->error, sizeof(l->error), "readlink /proc/self/exe: %s", strerror(errno));
		return -1;
	}
	self[n] = '\0';
	slash = strrchr(self, '/');
	if (slash)
		*slash = '\0';
	snprintf(l->exe, sizeof(l->exe), "%s/%s", self, DISPLAY_EXE);
	if (access(l->exe, X_OK)) {
		snprintf(l->error, sizeof(l->error), "the display process %.160s: %s (make builds it)", l->exe,
			 strerror(errno));
		return -1;
	}
	return 0;
}

static int spawn(struct display_link *l, int child_sock)
{
	posix_spawn_file_actions_t fa;
	char parent[24];
	char *argv[] = { l->exe, parent, NULL };
	int err;

	snprintf(parent, sizeof(parent), "%d", (int)getpid());
	posix_spawn_file_actions_init(&fa);
	/* stdout may carry the result (--out -): the display process writes
	 * only to stderr. The socket becomes fd 3, dup2 clearing its CLOEXEC. */
	posix_spawn_file_actions_addopen(&fa, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
	posix_spawn_file_actions_adddup2(&fa, STDERR_FILENO, STDOUT_FILENO);
	posix_spawn_file_actions_adddup2(&fa, child_sock, DISPLAY_SOCK_FD);
	posix_spawn_file_actions_addclosefrom_np(&fa, DISPLAY_SOCK_FD + 1);
	err = posix_spawn(&l->pid, l->exe, &fa, NULL, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	if (err) {
		l->pid = 0;
		snprintf(l->error, sizeof(l->error), "starting %.160s: %s", l->exe, strerror(err));
		return -1;
	}
	return 0;
}

/* How it ended, if it has: "exited with status N", "killed by signal N". */
static void describe_exit(struct display_link *l, char *buf, size_t len)
{
	int st;
	pid_t r = l->pid ? waitpid(l->pid, &st, WNOHANG) : 0;

	if (r == l->pid && l->pid) {
		l->pid = 0;
		if (WIFSIGNALED(st))
			snprintf(buf, len, "killed by signal %d", WTERMSIG(st));
		else
			snprintf(buf, len, "exited with status %d", WEXITSTATUS(st));
	} else {
		snprintf(buf, len, "still running");
	}
}

/* The next message, of op, within the timeout; -1 with l->error. */
static int receive(struct display_link *l, enum display_op op)
{
	struct pollfd p = { .fd = l->sock, .events = POLLIN };
	size_t max = sizeof(*l->msg) + DISPLAY_MSG_RANGES * sizeof(l->msg->ranges[0]);
	char how[64];
	ssize_t n;
	int r;

	while ((r = poll(&p, 1, REPLY_TIMEOUT_MS)) < 0 && errno == EINTR)
		;
	if (r == 0) {
		snprintf(l->error, sizeof(l->error), "the display process (pid %d) did not answer in %d ms",
			 (int)l->pid, REPLY_TIMEOUT_MS);
		return -1;
	}
	n = recv(l->sock, l->msg, max, 0);
	if (n <= 0) {
		pid_t pid = l->pid;

		usleep(10000);  /* its socket closes before its exit is reapable */
		describe_exit(l, how, sizeof(how));
		snprintf(l->error, sizeof(l->error), "the display process (pid %d) died: %s", (int)pid, how);
		return -1;
	}
	if ((size_t)n < sizeof(*l->msg) || l->msg->magic != DISPLAY_MAGIC || l->msg->op != (uint32_t)op ||
	    (size_t)n != sizeof(*l->msg) + l->msg->nranges * sizeof(l->msg->ranges[0])) {
		snprintf(l->error, sizeof(l->error), "the display process sent a malformed message");
		return -1;
	}
	l->msg->error[sizeof(l->msg->error) - 1] = '\0';
	if (l->msg->status) {
		snprintf(l->error, sizeof(l->error), "the display process: %s", l->msg->error);
		return -1;
	}
	return 0;
}

static int send_hello(struct display_link *l, int pagemap_fd, int uffd, const struct display_hello *h)
{
	union {
		char buf[CMSG_SPACE(2 * sizeof(int))];
		struct cmsghdr align;
	} ctl;
	int fds[2] = { pagemap_fd, uffd };
	size_t nfds = uffd >= 0 ? 2 : 1;
	struct iovec iov = { .iov_base = (void *)h, .iov_len = sizeof(*h) };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl.buf,
			      .msg_controllen = CMSG_SPACE(nfds * sizeof(int)) };
	struct cmsghdr *c;

	memset(&ctl, 0, sizeof(ctl));
	c = CMSG_FIRSTHDR(&msg);
	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SCM_RIGHTS;
	c->cmsg_len = CMSG_LEN(nfds * sizeof(int));
	memcpy(CMSG_DATA(c), fds, nfds * sizeof(int));
	if (sendmsg(l->sock, &msg, MSG_NOSIGNAL) < 0) {
		snprintf(l->error, sizeof(l->error), "handing the descriptors to the display process: %s",
			 strerror(errno));
		return -1;
	}
	return 0;
}

void display_link_init(struct display_link *l)
{
	memset(l, 0, sizeof(*l));
	l->sock = -1;
	l->cpu_s_at_stop = -1;
}

int display_link_start(struct display_link *l, int pagemap_fd, int uffd, enum display_order order,
		       uint64_t base, size_t pages, size_t vec_len)
{
	struct display_hello h = { .magic = DISPLAY_MAGIC, .op = DISPLAY_HELLO, .version = DISPLAY_VERSION,
				   .order = order, .base = base, .pages = pages, .vec_len = vec_len };
	int sv[2];

	l->msg = calloc(1, sizeof(*l->msg) + DISPLAY_MSG_RANGES * sizeof(l->msg->ranges[0]));
	if (!l->msg) {
		snprintf(l->error, sizeof(l->error), "out of memory");
		return -1;
	}
	if (find_exe(l))
		return -1;
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv)) {
		snprintf(l->error, sizeof(l->error), "socketpair: %s", strerror(errno));
		return -1;
	}
	l->sock = sv[0];
	if (spawn(l, sv[1])) {
		close(sv[1]);
		return -1;
	}
	close(sv[1]);
	l->started_pid = l->pid;
	/* Descriptors only once it has dropped its privileges. */
	if (receive(l, DISPLAY_READY))
		return -1;
	l->uid = l->msg->uid;
	l->gid = l->msg->gid;
	l->no_new_privs = l->msg->no_new_privs;
	if (send_hello(l, pagemap_fd, order == DISPLAY_ORDER_SCAN_THEN_WP ? uffd : -1, &h) ||
	    receive(l, DISPLAY_ARMED))
		return -1;
	return 0;
}

long display_link_scan(struct display_link *l, uint64_t *pages, size_t npages)
{
	struct display_request req = { .magic = DISPLAY_MAGIC, .op = DISPLAY_SCAN, .round = l->rounds };
	long set = 0;

	if (send(l->sock, &req, sizeof(req), MSG_NOSIGNAL) < 0) {
		char how[64];
		pid_t pid = l->pid;

		usleep(10000);
		describe_exit(l, how, sizeof(how));
		snprintf(l->error, sizeof(l->error), "the display process (pid %d) died: %s", (int)pid, how);
		return -1;
	}
	do {
		if (receive(l, DISPLAY_RANGES))
			return -1;
		if (l->msg->round != l->rounds) {
			snprintf(l->error, sizeof(l->error), "the display process answered round %llu for round %llu",
				 (unsigned long long)l->msg->round, (unsigned long long)l->rounds);
			return -1;
		}
		for (uint32_t i = 0; i < l->msg->nranges; i++) {
			const struct pms_range *r = &l->msg->ranges[i];

			if ((uint64_t)r->first + r->count > npages) {
				snprintf(l->error, sizeof(l->error), "the display process reported pages past VRAM");
				return -1;
			}
			bitmap_set_range(pages, r->first, r->count);
			set += r->count;
		}
	} while (!l->msg->last);
	l->rounds++;
	l->cpu_ns += l->msg->cpu_ns;
	l->ioctls += l->msg->ioctls;
	l->vec_full += l->msg->vec_full;
	l->wp_calls += l->msg->wp_calls;
	return set;
}

double display_link_cpu_s(const struct display_link *l)
{
	char path[64], buf[1024], *p;
	unsigned long utime, stime;
	FILE *f;
	size_t n;

	if (!l->pid)
		return l->cpu_s_at_stop;
	snprintf(path, sizeof(path), "/proc/%d/stat", (int)l->pid);
	f = fopen(path, "re");
	if (!f)
		return -1;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	/* Fields after the command's closing parenthesis: state is field 3,
	 * utime and stime fields 14 and 15 (proc(5)). */
	p = strrchr(buf, ')');
	if (!p || sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu", &utime, &stime) != 2)
		return -1;
	return (double)(utime + stime) / (double)sysconf(_SC_CLK_TCK);
}

static bool wait_exit(pid_t pid, int ms, struct rusage *ru)
{
	int st;

	for (int waited = 0; waited <= ms; waited += 10) {
		pid_t r = wait4(pid, &st, WNOHANG, ru);

		if (r == pid || (r < 0 && errno == ECHILD))
			return true;
		usleep(10000);
	}
	return false;
}

void display_link_stop(struct display_link *l)
{
	struct rusage ru = { 0 };

	if (l->sock >= 0)
		close(l->sock);
	l->sock = -1;
	if (l->pid > 0) {
		if (!wait_exit(l->pid, EXIT_WAIT_MS, &ru)) {
			kill(l->pid, SIGKILL);
			wait4(l->pid, NULL, 0, &ru);
		}
		l->cpu_s_at_stop = (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
				   (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
		l->pid = 0;
	}
	free(l->msg);
	l->msg = NULL;
}
