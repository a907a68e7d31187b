/*
 * --vnc against hostile clients, and the VNC password kept secret.
 *
 * Scripted bad clients on loopback misbehave for a whole run, each
 * reconnecting whenever the server drops it:
 * - a dribbler sends a ClientCutText one byte every 0.3 s;
 * - a slowloris sends a few bytes of the protocol version, one every 0.3 s
 *   (from the moment it connects, or after the server's greeting), and then
 *   stops mid-message;
 * - a non-reader asks for the whole screen in raw and never reads;
 * - a slow reader asks for the whole screen and drains 2 KiB every 0.3 s.
 * Each run must exit 0 within a sanity bound on its wall time, its measuring
 * client must get at least half the updates of a run without them, and the
 * result must count the clients dropped.
 *
 * The password, given with --vnc-password, --vnc-password-file or
 * DIRTYBENCH_VNC_PASSWORD, must appear in no result, no message and (once
 * parsed) not in /proc/PID/cmdline, while the server does ask for it; a
 * password that is too long is refused without being echoed.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include "tests/lib/e2e.h"

#define RES_W 800
#define RES_H 600
#define RUN_S 2.3               /* --duration 2 --warmup 0.3 */
#define HARD_LIMIT_S 60         /* a run still going then is killed (and fails) */

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static bool no_kvm(void)
{
	const char *why = e2e_kvm_unusable();

	if (why)
		fprintf(stderr, "skipped: %s\n", why);
	return why != NULL;
}

/* --- run-bench in the background ---------------------------------------- */

struct child {
	pid_t pid;
	double t0;
	char out[96], err[96];
};

struct outcome {
	int status;             /* exit status; -1 killed at HARD_LIMIT_S */
	double wall_s;
	char *out;              /* stdout, whole */
	json_t *result;
	char err[8192];
};

static void child_start(struct child *c, const char *const *args, const char *env_password)
{
	static int seq;

	snprintf(c->out, sizeof(c->out), "/tmp/dirtybench-hostile-%d-%d.out", (int)getpid(), seq);
	snprintf(c->err, sizeof(c->err), "/tmp/dirtybench-hostile-%d-%d.err", (int)getpid(), seq++);
	c->t0 = now_s();
	c->pid = fork();
	assert_true(c->pid >= 0);
	if (c->pid)
		return;
	dup2(open(c->out, O_WRONLY | O_CREAT | O_TRUNC, 0600), 1);
	dup2(open(c->err, O_WRONLY | O_CREAT | O_TRUNC, 0600), 2);
	if (env_password)
		setenv("DIRTYBENCH_VNC_PASSWORD", env_password, 1);
	else
		unsetenv("DIRTYBENCH_VNC_PASSWORD");
	execv(args[0], (char *const *)args);
	_exit(127);
}

static char *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *buf = calloc(1, 1 << 22);
	size_t n = f && buf ? fread(buf, 1, (1 << 22) - 1, f) : 0;

	if (f)
		fclose(f);
	if (len)
		*len = n;
	return buf;
}

static void child_wait(struct child *c, struct outcome *o)
{
	int ws = 0;
	pid_t got;
	char *err;

	while (!(got = waitpid(c->pid, &ws, WNOHANG)) && now_s() - c->t0 < HARD_LIMIT_S)
		usleep(20000);
	if (!got) {
		kill(c->pid, SIGKILL);
		waitpid(c->pid, &ws, 0);
	}
	o->wall_s = now_s() - c->t0;
	o->status = got > 0 && WIFEXITED(ws) ? WEXITSTATUS(ws) : -1;
	o->out = slurp(c->out, NULL);
	o->result = json_loads(o->out, 0, NULL);
	err = slurp(c->err, NULL);
	snprintf(o->err, sizeof(o->err), "%s", err ? err : "");
	free(err);
	unlink(c->out);
	unlink(c->err);
}

static void outcome_free(struct outcome *o)
{
	json_decref(o->result);
	free(o->out);
}

/* The run's argument list: a --vnc run on `port`, then extra (NULL-ended). */
static void run_args(const char **args, char *port, int portno, const char *const *extra)
{
	const char *base[] = { e2e_binary(), "logdirty", "video", "--vnc", port, "--duration", "2",
		"--warmup", "0.3", "--res", "800x600", "--json", "-", NULL };
	size_t n = 0;

	snprintf(port, 16, "%d", portno);
	while (base[n])
		args[n] = base[n], n++;
	while (extra && *extra)
		args[n++] = *extra++;
	args[n] = NULL;
}

/* --- RFB from a bad client's side ---------------------------------------- */

struct bad_client {
	int port;
	void (*connection)(struct bad_client *b);       /* one connection's misbehaviour */
	atomic_bool stop;
	int connections;
	pthread_t thread;
};

/* Sleep ms unless told to stop: false when stopping. */
static bool nap(struct bad_client *b, int ms)
{
	for (; ms > 0 && !atomic_load(&b->stop); ms -= 10)
		usleep(10000);
	return !atomic_load(&b->stop);
}

/* A TCP connection to the port, retried until the server listens (it does
 * once the guest has booted); -1 when told to stop first, or after 30 s. */
static int dial(struct bad_client *b, int rcvbuf)
{
	struct sockaddr_in to = { .sin_family = AF_INET, .sin_port = htons((uint16_t)b->port) };
	double give_up = now_s() + 30;

	to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	while (!atomic_load(&b->stop) && now_s() < give_up) {
		int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
		struct timeval tv = { 2, 0 };

		if (rcvbuf)
			setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf));
		setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
		if (!connect(fd, (struct sockaddr *)&to, sizeof(to)))
			return fd;
		close(fd);
		nap(b, 50);
	}
	return -1;
}

static bool take(int fd, void *buf, size_t len)
{
	size_t got = 0;
	ssize_t n = 1;

	while (got < len && (n = recv(fd, (char *)buf + got, len - got, 0)) > 0)
		got += (size_t)n;
	return got == len;
}

static bool give(int fd, const void *buf, size_t len)
{
	return send(fd, buf, len, MSG_NOSIGNAL) == (ssize_t)len;
}

/* Up to the security types offered; the first of them, or -1. */
static int rfb_hello(int fd)
{
	char version[12];
	uint8_t count, types[255];

	if (!take(fd, version, sizeof(version)) || memcmp(version, "RFB ", 4) ||
	    !give(fd, "RFB 003.008\n", 12) || !take(fd, &count, 1) || !count || !take(fd, types, count))
		return -1;
	return types[0];
}

/* Through ServerInit with no authentication: 0, or -1. */
static int rfb_normal(int fd)
{
	uint8_t none = 1, shared = 1, result[4], init[24];
	uint32_t name_len;
	char name[256];

	if (rfb_hello(fd) != 1 || !give(fd, &none, 1) || !take(fd, result, 4) || result[3] ||
	    !give(fd, &shared, 1) || !take(fd, init, sizeof(init)))
		return -1;
	memcpy(&name_len, init + 20, 4);
	name_len = ntohl(name_len);
	return name_len < sizeof(name) && take(fd, name, name_len) ? 0 : -1;
}

static void dribbler(struct bad_client *b)
{
	/* ClientCutText announcing 100000 bytes of text, then the text */
	static const uint8_t head[8] = { 6, 0, 0, 0, 0, 1, 0x86, 0xa0 };
	int fd = dial(b, 0);

	if (fd >= 0 && !rfb_normal(fd))
		for (size_t i = 0; nap(b, 300) && give(fd, i < sizeof(head) ? (const void *)&head[i] : "x", 1); i++)
			;
	if (fd >= 0)
		close(fd);
}

/* Every other connection (the second, fourth, ...) starts before the server
 * has spoken, while libvncserver waits to see whether a WebSocket request
 * comes; libvncserver refuses those at once (no count). */
static void slowloris(struct bad_client *b)
{
	static const char version[] = "RFB 003.008\n";
	char theirs[12];
	int fd = dial(b, 0);

	if (fd >= 0 && b->connections % 2 == 0)
		take(fd, theirs, sizeof(theirs));
	for (int i = 0; fd >= 0 && i < 6 && give(fd, &version[i], 1) && nap(b, 300); i++)
		;
	nap(b, 500);                    /* then nothing, mid-message */
	if (fd >= 0)
		close(fd);
}

/* Asks for the whole screen in raw, again and again; reads `chunk` bytes
 * per request (0: never). */
static void greedy(struct bad_client *b, size_t chunk, int every_ms)
{
	static const uint8_t raw_only[8] = { 2, 0, 0, 1, 0, 0, 0, 0 };
	uint8_t ask[10] = { 3, 0, 0, 0, 0, 0, RES_W >> 8, RES_W & 255, RES_H >> 8, RES_H & 255 }, sink[2048];
	int fd = dial(b, 4096);

	if (fd >= 0 && !rfb_normal(fd) && give(fd, raw_only, sizeof(raw_only)))
		while (give(fd, ask, sizeof(ask)) && nap(b, every_ms) &&
		       (!chunk || recv(fd, sink, chunk, MSG_DONTWAIT) != 0))
			ask[1] = 1;     /* incremental from now on */
	if (fd >= 0)
		close(fd);
}

static void non_reader(struct bad_client *b)
{
	greedy(b, 0, 100);
}

static void slow_reader(struct bad_client *b)
{
	greedy(b, 2048, 300);
}

static void *bad_thread(void *arg)
{
	struct bad_client *b = arg;

	while (!atomic_load(&b->stop)) {
		b->connection(b);
		b->connections++;
	}
	return NULL;
}

/* --- the runs ------------------------------------------------------------- */

/* A run with no bad client, for what "not collapsing" means here. */
static struct {
	bool done;
	double updates, wall_s;
} clean;

static void run_with(struct bad_client *b, int port, struct outcome *o)
{
	const char *args[32];
	char portstr[16];
	struct child c;

	run_args(args, portstr, port, (const char *const[]){ "--quiet", NULL });
	child_start(&c, args, NULL);
	if (b) {
		b->port = port;
		atomic_store(&b->stop, false);
		assert_int_equal(pthread_create(&b->thread, NULL, bad_thread, b), 0);
	}
	child_wait(&c, o);
	if (b) {
		atomic_store(&b->stop, true);
		pthread_join(b->thread, NULL);
	}
	if (o->status)
		fprintf(stderr, "  exit %d after %.1f s: %s", o->status, o->wall_s, o->err);
}

static void test_clean_run(void **state)
{
	struct outcome o = { 0 };

	(void)state;
	if (no_kvm())
		skip();
	run_with(NULL, 5981, &o);
	assert_int_equal(o.status, 0);
	clean.updates = e2e_num(o.result, "vnc.wire.updates");
	clean.wall_s = o.wall_s;
	clean.done = true;
	fprintf(stderr, "  without bad clients: %.0f updates, e2e p50 %.0f ms, %.1f s\n", clean.updates,
		e2e_num(o.result, "vnc.e2e.e2e_latency_us.p50") / 1e3, o.wall_s);
	outcome_free(&o);
}

struct hostile_case {
	const char *name;
	void (*connection)(struct bad_client *b);
	int port;
	const char *counter;    /* where the result counts the drops */
};

static const struct hostile_case dribbling = { "dribbler", dribbler, 5982, "vnc.server.clients_timed_out" },
	loris = { "slowloris", slowloris, 5983, "vnc.server.clients_timed_out" },
	not_reading = { "non-reader", non_reader, 5984, "vnc.server.clients_cut_off" },
	reading_slowly = { "slow reader", slow_reader, 5985, "vnc.server.clients_cut_off" };

/* Exit 0, a bounded wall time, the measuring client's updates kept, and the
 * bad client counted. */
static void test_hostile(void **state)
{
	const struct hostile_case *h = *state;
	struct bad_client b = { .connection = h->connection };
	struct outcome o = { 0 };
	double bound;

	if (no_kvm())
		skip();
	assert_true(clean.done);
	bound = 3 * RUN_S + clean.wall_s;
	run_with(&b, h->port, &o);
	fprintf(stderr, "  %s, %d connections: exit %d after %.1f s (bound %.1f), %.0f updates (%.0f without), "
		"e2e p50 %.0f ms, %s %.0f\n", h->name, b.connections, o.status, o.wall_s, bound,
		e2e_num(o.result, "vnc.wire.updates"), clean.updates,
		e2e_num(o.result, "vnc.e2e.e2e_latency_us.p50") / 1e3, h->counter,
		e2e_num(o.result, h->counter));
	assert_int_equal(o.status, 0);
	assert_true(o.wall_s < bound);
	assert_true(e2e_num(o.result, "vnc.wire.updates") >= 0.5 * clean.updates);
	assert_true(e2e_num(o.result, h->counter) >= 1);
	outcome_free(&o);
}

/* --- the password ------------------------------------------------------- */

static bool contains(const char *hay, size_t len, const char *needle)
{
	return hay && memmem(hay, len, needle, strlen(needle)) != NULL;
}

/* A run with the password given by extra (and/or env): while it runs, the
 * server asks for authentication and cmdline lacks the password; after, no
 * result or message has it. */
static void secret_run(int port, const char *const *extra, const char *env, const char *secret)
{
	struct bad_client probe = { .port = port };
	const char *args[32];
	char portstr[16], path[64], *cmdline;
	struct outcome o = { 0 };
	struct child c;
	size_t len;
	int fd;

	run_args(args, portstr, port, extra);
	child_start(&c, args, env);
	fd = dial(&probe, 0);           /* it listens: argv was parsed long ago */
	assert_true(fd >= 0);
	assert_int_equal(rfb_hello(fd), 2);     /* VNC authentication */
	close(fd);
	snprintf(path, sizeof(path), "/proc/%d/cmdline", (int)c.pid);
	cmdline = slurp(path, &len);
	assert_true(len > 0);
	assert_false(contains(cmdline, len, secret));
	free(cmdline);
	child_wait(&c, &o);
	assert_int_equal(o.status, 0);
	assert_true(json_is_true(json_object_get(json_object_get(o.result, "vnc"), "password")));
	assert_false(contains(o.out, strlen(o.out), secret));
	assert_false(contains(o.err, strlen(o.err), secret));
	outcome_free(&o);
}

static void test_password_in_argv(void **state)
{
	struct outcome o = { 0 };
	const char *args[32];
	char portstr[16];
	struct child c;
	json_t *argv;
	bool starred = false;

	(void)state;
	if (no_kvm())
		skip();
	secret_run(5986, (const char *const[]){ "--vnc-password", "Pw-argv1", NULL }, NULL, "Pw-argv1");
	/* ... and run.argv says where it was */
	run_args(args, portstr, 5986, (const char *const[]){ "--vnc-password=Pw-argv2", "--duration", "0.3", NULL });
	child_start(&c, args, NULL);
	child_wait(&c, &o);
	assert_int_equal(o.status, 0);
	argv = json_object_get(json_object_get(o.result, "run"), "argv");
	for (size_t i = 0; i < json_array_size(argv); i++)
		starred |= !strcmp(json_string_value(json_array_get(argv, i)), "--vnc-password=***");
	assert_true(starred);
	assert_false(contains(o.out, strlen(o.out), "Pw-argv2"));
	outcome_free(&o);
}

/* path: a template "...XXXXXX", made into a file holding text. */
static void write_temp(char *path, const char *text)
{
	int fd = mkstemp(path);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
}

static void test_password_file(void **state)
{
	char path[] = "/tmp/dirtybench-vnc-pwXXXXXX";

	(void)state;
	write_temp(path, "Pw-file1\nsecond line\n");
	if (!no_kvm())
		secret_run(5987, (const char *const[]){ "--vnc-password-file", path, NULL }, NULL, "Pw-file1");
	unlink(path);
}

static void test_password_env(void **state)
{
	(void)state;
	if (no_kvm())
		skip();
	secret_run(5988, NULL, "Pw-env-1", "Pw-env-1");
}

/* A password too long: exit 2 (before booting), one line, not echoed. */
static void refused(const char *const *args, const char *env, const char *secret)
{
	struct outcome o = { 0 };
	struct child c;

	child_start(&c, args, env);
	child_wait(&c, &o);
	fprintf(stderr, "  %s", o.err);
	assert_int_equal(o.status, 2);
	assert_int_equal(e2e_lines(o.err), 1);
	assert_non_null(strstr(o.err, "1 to 8 characters"));
	assert_null(strstr(o.err, secret));
	outcome_free(&o);
}

static void test_password_too_long(void **state)
{
	char path[] = "/tmp/dirtybench-vnc-pwXXXXXX";

	(void)state;
	write_temp(path, "Pw-9chars\n");
	refused((const char *const[]){ e2e_binary(), "logdirty", "idle", "--vnc-password", "Pw-9chars", NULL },
		NULL, "Pw-9chars");
	refused((const char *const[]){ e2e_binary(), "logdirty", "idle", "--vnc-password-file", path, NULL },
		NULL, "Pw-9chars");
	refused((const char *const[]){ e2e_binary(), "logdirty", "idle", "--vnc", NULL }, "Pw-9chars", "Pw-9chars");
	unlink(path);
}

/* A password file that is missing, empty or a folder: exit 2, one line. */
static void test_password_file_bad(void **state)
{
	char empty[] = "/tmp/dirtybench-vnc-pwXXXXXX";
	const char *const paths[] = { "/nonexistent-dirtybench-pw", empty, "/tmp" };
	struct e2e_run r;

	(void)state;
	write_temp(empty, "");
	for (size_t i = 0; i < sizeof(paths) / sizeof(paths[0]); i++) {
		e2e_run(&r, (const char *const[]){ e2e_binary(), "logdirty", "idle", "--vnc-password-file", paths[i],
			"--json", "-", NULL });
		assert_int_equal(r.status, 2);
		assert_int_equal(e2e_lines(r.stderr_text), 1);
		assert_null(r.result);
		e2e_run_free(&r);
	}
	unlink(empty);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_password_too_long),
		cmocka_unit_test(test_password_file_bad),
		cmocka_unit_test(test_clean_run),
		cmocka_unit_test_prestate(test_hostile, (void *)&dribbling),
		cmocka_unit_test_prestate(test_hostile, (void *)&loris),
		cmocka_unit_test_prestate(test_hostile, (void *)&not_reading),
		cmocka_unit_test_prestate(test_hostile, (void *)&reading_slowly),
		cmocka_unit_test(test_password_in_argv),
		cmocka_unit_test(test_password_file),
		cmocka_unit_test(test_password_env),
	};

	return cmocka_run_group_tests_name("vnc_hostile", tests, NULL, NULL);
}
