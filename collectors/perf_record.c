/* perf record over the measured window; see perf_record.h. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "collectors/perf_record.h"
#include "core/status.h"
#include "core/run_state.h"

#define PERF_READY_MS 10000     /* perf reads /proc and synthesises mmaps first */
#define PERF_ACK_MS 2000
#define PERF_EXIT_MS 20000      /* writing the file and build ids */
#define EXEC_FAILED "cannot run perf: "

/* The first failure is the cause: what stopping perf after it finds is not. */
static int fail(struct perf_record *p, const char *what)
{
	if (!p->error[0])
		snprintf(p->error, sizeof(p->error), "%s", what);
	return -1;
}

static int wait_exit(pid_t pid, int timeout_ms, int *status)
{
	struct timespec pause = { 0, 10 * 1000 * 1000 };

	for (int waited = 0; waited < timeout_ms; waited += 10) {
		pid_t r = waitpid(pid, status, WNOHANG);

		if (r == pid)
			return 0;
		if (r < 0 && errno != EINTR)
			return -1;
		nanosleep(&pause, NULL);
	}
	return -1;
}

/* How perf ended, for the run's line. */
static int perf_gone(struct perf_record *p, int status)
{
	char how[80];

	if (WIFSIGNALED(status))
		snprintf(how, sizeof(how), "perf died during the run (killed by signal %d)", WTERMSIG(status));
	else
		snprintf(how, sizeof(how), "perf died during the run (exit status %d)", WEXITSTATUS(status));
	return fail(p, how);
}

/* perf closed its end of a control pipe: it is exiting, or has. */
static int perf_died(struct perf_record *p)
{
	int status = 0;

	if (wait_exit(p->pid, PERF_ACK_MS, &status))
		return fail(p, "perf closed its control pipes but did not exit");
	p->reaped = true;
	return perf_gone(p, status);
}

/* perf answers each control command with "ack\n"; a perf that could not be
 * started says why on the same pipe (exec_perf). */
static int wait_ack(struct perf_record *p, int timeout_ms)
{
	struct pollfd pfd = { .fd = p->ack_fd, .events = POLLIN };
	char buf[160];
	ssize_t n;

	if (poll(&pfd, 1, timeout_ms) <= 0)
		return fail(p, "perf did not acknowledge a control command in time");
	n = read(p->ack_fd, buf, sizeof(buf) - 1);
	if (n == 0)
		return perf_died(p);
	if (n < 0)
		return fail(p, "reading perf's control pipe failed");
	buf[n] = '\0';
	if (!strncmp(buf, "ack", 3))
		return 0;
	if (!strncmp(buf, EXEC_FAILED, strlen(EXEC_FAILED))) {
		buf[strcspn(buf, "\n")] = '\0';
		p->unsupported = true;
		return fail(p, buf);
	}
	return fail(p, "perf sent an unexpected control reply");
}

/* SIGPIPE is ignored (core/main.c): a dead perf is EPIPE here, a failed run. */
static int command(struct perf_record *p, const char *cmd, int timeout_ms)
{
	size_t len = strlen(cmd);

	if (write(p->ctl_fd, cmd, len) == (ssize_t)len)
		return wait_ack(p, timeout_ms);
	if (errno != EPIPE)
		return fail(p, "writing to perf's control pipe failed");
	/* perf is gone; one that could not be run said why on the other pipe. */
	return wait_ack(p, PERF_ACK_MS) ? -1 : perf_died(p);
}

static void exec_perf(const struct perf_record *p, pid_t target, int ctl_rd, int ack_wr)
{
	char control[64], pid[32];
	/* Fresh descriptors: the pipe ends are close-on-exec. */
	int ctl = dup(ctl_rd), ack = dup(ack_wr);

	snprintf(control, sizeof(control), "fd:%d,%d", ctl, ack);
	snprintf(pid, sizeof(pid), "%d", (int)target);
	signal(SIGPIPE, SIG_DFL);       /* run-bench ignores it; perf expects the default */
	execlp("perf", "perf", "record", "-q", "-g", "-D", "-1", "--control", control,
	       "-p", pid, "-o", p->path, (char *)NULL);
	/* Said on the acknowledgement pipe: the run's one line, not a second one. */
	dprintf(ack, "%s%s\n", EXEC_FAILED, strerror(errno));
	_exit(127);
}

int perf_record_start(struct perf_record *p, const char *path)
{
	int ctl[2], ack[2];
	pid_t self = getpid();

	char dir[4096], *slash;

	memset(p, 0, sizeof(*p));
	p->ctl_fd = p->ack_fd = -1;
	snprintf(p->path, sizeof(p->path), "%s", path);
	snprintf(dir, sizeof(dir), "%s", path);
	slash = strrchr(dir, '/');
	snprintf(dir, sizeof(dir), "%.*s", slash ? (int)(slash - dir) + 1 : 1, slash ? path : ".");
	if (access(dir, W_OK)) {
		snprintf(p->error, sizeof(p->error), "cannot write to %.200s: %s", dir, strerror(errno));
		return EXIT_BAD_INPUT;
	}
	if (pipe2(ctl, O_CLOEXEC))
		return fail(p, "pipe failed"), EXIT_RUN_FAILED;
	if (pipe2(ack, O_CLOEXEC)) {
		close(ctl[0]), close(ctl[1]);
		return fail(p, "pipe failed"), EXIT_RUN_FAILED;
	}
	p->pid = fork();
	if (p->pid == 0)
		exec_perf(p, self, ctl[0], ack[1]);
	close(ctl[0]);
	close(ack[1]);
	p->ctl_fd = ctl[1];
	p->ack_fd = ack[0];
	if (p->pid < 0) {
		p->pid = 0;
		return fail(p, "fork failed"), EXIT_RUN_FAILED;
	}
	/* A no-op command: its acknowledgement says perf is attached and listening. */
	if (command(p, "disable\n", PERF_READY_MS)) {
		perf_record_stop(p);
		return p->unsupported ? EXIT_UNSUPPORTED : EXIT_RUN_FAILED;
	}
	return EXIT_OK;
}

int perf_record_enable(struct perf_record *p, bool on)
{
	if (!p->pid)
		return -1;
	if (on)
		p->enabled_once = true;
	return command(p, on ? "enable\n" : "disable\n", PERF_ACK_MS);
}

/* SIGINT makes perf write its file and exit; how it ended, 0 when well. */
static int stop_and_judge(struct perf_record *p)
{
	int status = 0;
	struct stat st;

	kill(p->pid, SIGINT);
	if (wait_exit(p->pid, PERF_EXIT_MS, &status)) {
		kill(p->pid, SIGKILL);
		waitpid(p->pid, &status, 0);
		return fail(p, "perf did not finish writing in time; killed");
	}
	/* perf re-raises the SIGINT that stopped it once the file is written. */
	if (WIFSIGNALED(status) && WTERMSIG(status) != SIGINT)
		return perf_gone(p, status);
	if (WIFEXITED(status) && WEXITSTATUS(status) != 0)
		return fail(p, "perf record failed (see its messages on stderr)");
	if (stat(p->path, &st) || st.st_size == 0)
		return fail(p, "perf record wrote no data file");
	return 0;
}

int perf_record_stop(struct perf_record *p)
{
	int rc;

	if (!p->pid)
		return -1;
	rc = p->reaped ? -1 : stop_and_judge(p);        /* reaped: perf_died said how */
	p->pid = 0;
	p->reaped = false;
	close(p->ctl_fd);
	close(p->ack_fd);
	p->ctl_fd = p->ack_fd = -1;
	return p->error[0] ? -1 : rc;
}

json_t *perf_record_json(const struct perf_record *p)
{
	json_t *j = json_pack("{s:s, s:s, s:s}", "path", p->path,
			      "status", p->error[0] ? "failed" : "ok",
			      "covers", "run-bench's threads over the measured window (perf record -g -p)");

	if (p->error[0])
		json_object_set_new(j, "error", json_string(p->error));
	return j;
}

/* --- the "run.perf_record" collector: --perf-record ----------------------- */

static bool perf_record_wanted(const struct run_options *opt)
{
	return opt->perf_record;
}

/* Once the vCPU thread exists: perf attaches to the threads it finds. */
static int perf_record_collect_open(struct collector *c, struct run_state *rs)
{
	struct perf_record *p = c->priv;

	int status = perf_record_start(p, rs->opt->perf_record_path);

	if (status)
		return run_fail(rs, status, "--perf-record: %s", p->error);
	return EXIT_OK;
}

static int perf_record_collect_window(struct collector *c, struct run_state *rs, bool start)
{
	struct perf_record *p = c->priv;

	if (perf_record_enable(p, start))
		return run_fail(rs, EXIT_RUN_FAILED, "--perf-record: %s", p->error);
	return EXIT_OK;
}

static int perf_record_collect_finish(struct collector *c, struct run_state *rs)
{
	struct perf_record *p = c->priv;

	if (perf_record_stop(p))
		return run_fail(rs, EXIT_RUN_FAILED, "--perf-record: %s", p->error);
	return EXIT_OK;
}

static json_t *perf_record_collect_json(struct collector *c, const struct run_state *rs)
{
	(void)rs;
	return perf_record_json(c->priv);
}

static void perf_record_collect_close(struct collector *c, struct run_state *rs)
{
	struct perf_record *p = c->priv;

	(void)rs;
	if (p->pid)
		perf_record_stop(p);
}

static const struct schema_field perf_record_collect_schema[] = {
	{ "run.perf_record", SCHEMA_OBJ },
	SCHEMA_END
};

const struct collector_ops collector_perf_record = {
	.name = "perf_record",
	.key = "run.perf_record",
	.stage = COLLECT_ARMED,
	.priv_size = sizeof(struct perf_record),
	.wanted = perf_record_wanted,
	.open = perf_record_collect_open,
	.window = perf_record_collect_window,
	.finish = perf_record_collect_finish,
	.json = perf_record_collect_json,
	.close = perf_record_collect_close,
	.schema = perf_record_collect_schema,
};
