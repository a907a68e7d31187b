/*
 * --vnc end to end: the real run-bench serving over RFB on loopback.
 * - every strategy on scrolling, video and idle: the measuring client's
 *   pixel check passes (each update equals the surface it was encoded from,
 *   and the last one equals VRAM once the guest stopped);
 * - bad clients (wrong password, garbage, one that never reads during
 *   fullscreen) stall neither the guest nor the scan loop;
 * - a client we did not write (gvnccapture, lossless PNG/BMP through
 *   gdk-pixbuf) takes a snapshot that equals, pixel for pixel, an image the
 *   server sent (--vnc-dump).
 * Runs are short and small (800x600) to keep the suite quick.
 */
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <stdarg.h>
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

#include "core/strategy.h"
#include "tests/lib/e2e.h"

#define RES "800x600"

static int skip_without_kvm(void)
{
	const char *why = e2e_kvm_unusable();

	if (why)
		fprintf(stderr, "skipped: %s\n", why);
	return why != NULL;
}

static const char *str_at(const json_t *r, const char *obj, const char *key)
{
	return json_string_value(json_object_get(json_object_get(json_object_get(r, "vnc"), obj), key));
}

/* --- bad options: exit 2 and one line ------------------------------------ */

static void expect_bad_input(const char *const *args)
{
	struct e2e_run r;

	e2e_run(&r, args);
	assert_int_equal(r.status, 2);
	assert_int_equal(e2e_lines(r.stderr_text), 1);
	e2e_run_free(&r);
}

static void test_bad_options(void **state)
{
	(void)state;
	expect_bad_input((const char *const[]){ e2e_binary(), "logdirty", "idle", "--vnc=0", NULL });
	expect_bad_input((const char *const[]){ e2e_binary(), "logdirty", "idle", "--vnc=70000", NULL });
	expect_bad_input((const char *const[]){ e2e_binary(), "logdirty", "idle", "--vnc-encoding", "zywrle", NULL });
	expect_bad_input((const char *const[]){ e2e_binary(), "logdirty", "idle", "--vnc-password", "123456789", NULL });
	expect_bad_input((const char *const[]){ e2e_binary(), "logdirty", "idle", "--vnc-listen", "nowhere", NULL });
}

/* --- pixel check, every strategy ---------------------------------------- */

static void pixel_check(const char *strategy, const char *workload)
{
	const char *const args[] = { e2e_binary(), strategy, workload, "--vnc", "--duration", "1",
		"--warmup", "0.3", "--res", RES, "--json", "-", "--quiet", NULL };
	struct e2e_run r;

	e2e_run(&r, args);
	if (e2e_unsupported(&r)) {
		fprintf(stderr, "  %s: skipped here: %s", strategy, e2e_unsupported(&r));
		e2e_run_free(&r);
		return;
	}
	if (r.status != 0)
		fprintf(stderr, "%s %s: %s", strategy, workload, r.stderr_text);
	assert_int_equal(r.status, 0);
	assert_non_null(r.result);
	assert_string_equal(str_at(r.result, "pixel_check", "verdict"), "pass");
	assert_true(e2e_num(r.result, "vnc.pixel_check.updates_checked") >= 1);
	assert_true(e2e_num(r.result, "vnc.pixel_check.updates_mismatched") == 0);
	assert_true(e2e_num(r.result, "vnc.pixel_check.final_diff_pixels") == 0);
	assert_true(e2e_num(r.result, "vnc.e2e.frames_undelivered") == 0);
	e2e_run_free(&r);
}

/* Under ASan every run is a few times slower: three strategies of different
 * kinds (content compare, hypervisor log, paravirtual) stand for the rest. */
static bool asan_subset(const char *strategy)
{
	const char *bin = e2e_binary();
	size_t n = strlen(bin);

	if (n < 5 || strcmp(bin + n - 5, "-asan"))
		return true;
	return !strcmp(strategy, "memcmp") || !strcmp(strategy, "logdirty") || !strcmp(strategy, "pvbitmap");
}

static void test_pixel_check(void **state)
{
	static const char *const workloads[] = { "scrolling", "video", "idle" };

	(void)state;
	if (skip_without_kvm())
		skip();
	for (const struct strategy_ops *const *s = strategy_registry; *s; s++) {
		if (!asan_subset((*s)->name)) {
			fprintf(stderr, "  %s: left out under ASan (memcmp, logdirty, pvbitmap run)\n", (*s)->name);
			continue;
		}
		/* idle (two frames a second) with the three of the ASan pass only:
		 * CI's 35 minutes; every strategy meets scrolling and video. */
		for (size_t w = 0; w < 3; w++)
			if (w < 2 || !strcmp((*s)->name, "memcmp") || !strcmp((*s)->name, "logdirty") ||
			    !strcmp((*s)->name, "pvbitmap"))
				pixel_check((*s)->name, workloads[w]);
	}
}

/* --- run-bench in the background while a bad client misbehaves --------- */

struct bg_run {
	pid_t pid;
	char out[64];
};

static void bg_start(struct bg_run *b, const char *const *args)
{
	int fd;

	snprintf(b->out, sizeof(b->out), "/tmp/dirtybench-vnc-test-%d.json", (int)getpid());
	b->pid = fork();
	assert_true(b->pid >= 0);
	if (b->pid == 0) {
		fd = open(b->out, O_WRONLY | O_CREAT | O_TRUNC, 0644);
		dup2(fd, 1);
		execv(args[0], (char *const *)args);
		_exit(127);
	}
}

static json_t *bg_wait(struct bg_run *b, int *status)
{
	int ws;
	json_t *r;

	waitpid(b->pid, &ws, 0);
	*status = WIFEXITED(ws) ? WEXITSTATUS(ws) : -1;
	r = json_load_file(b->out, 0, NULL);
	unlink(b->out);
	return r;
}

/* The server listens once the guest has booted: retry for a few seconds. */
static int connect_port(int port, int rcvbuf)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };

	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	for (int i = 0; i < 200; i++) {
		int fd = socket(AF_INET, SOCK_STREAM, 0);

		if (rcvbuf)
			setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf));
		if (!connect(fd, (struct sockaddr *)&a, sizeof(a)))
			return fd;
		close(fd);
		usleep(50000);
	}
	return -1;
}

static int read_full(int fd, void *buf, size_t len)
{
	struct timeval tv = { 5, 0 };

	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	for (size_t got = 0; got < len;) {
		ssize_t n = read(fd, (char *)buf + got, len - got);

		if (n <= 0)
			return -1;
		got += (size_t)n;
	}
	return 0;
}

/* RFB 3.8 up to the security types; returns the first type offered. */
static int handshake(int fd)
{
	char version[12];
	uint8_t n, types[16];

	assert_int_equal(read_full(fd, version, 12), 0);
	assert_int_equal(memcmp(version, "RFB 003.", 8), 0);
	assert_int_equal(write(fd, "RFB 003.008\n", 12), 12);
	assert_int_equal(read_full(fd, &n, 1), 0);
	assert_true(n > 0 && n <= sizeof(types));
	assert_int_equal(read_full(fd, types, n), 0);
	return types[0];
}

/* The guest and the scan loop kept going: frames delivered about as asked,
 * scan rounds about as many as the rate asks, few overruns. */
static void assert_unstalled(const json_t *r)
{
	double asked = e2e_num(r, "guest.frames_asked"), got = e2e_num(r, "guest.frames_measured");
	double rounds = e2e_num(r, "scan.rounds"), overruns = e2e_num(r, "scan.overruns");

	fprintf(stderr, "  frames %.0f of %.0f asked, %.0f rounds, %.0f overruns, %.0f clients cut off\n",
		got, asked, rounds, overruns, e2e_num(r, "vnc.server.clients_cut_off"));
	assert_true(got >= 0.7 * asked);
	assert_true(overruns <= 0.1 * rounds);
	assert_string_equal(str_at(r, "pixel_check", "verdict"), "pass");
}

static void bad_client_run(int port, const char *password, void (*misbehave)(int port),
			   const char *check)
{
	char portstr[16];
	const char *args[24] = { e2e_binary(), "logdirty", "fullscreen", "--vnc", portstr, "--duration", "3",
		"--warmup", "0.5", "--res", RES, "--json", "-", "--quiet" };
	struct bg_run b;
	json_t *r;
	int status, n = 14;

	snprintf(portstr, sizeof(portstr), "%d", port);
	if (password)
		args[n++] = "--vnc-password", args[n++] = password;
	args[n] = NULL;
	bg_start(&b, args);
	misbehave(port);
	r = bg_wait(&b, &status);
	assert_int_equal(status, 0);
	assert_non_null(r);
	assert_unstalled(r);
	if (check)
		assert_true(e2e_num(r, check) >= 1);
	json_decref(r);
}

static void wrong_password(int port)
{
	uint8_t challenge[16], response[16] = { 0 }, result[4];
	int fd = connect_port(port, 0);

	assert_true(fd >= 0);
	assert_int_equal(handshake(fd), 2);     /* VNC authentication */
	assert_int_equal(write(fd, "\x02", 1), 1);
	assert_int_equal(read_full(fd, challenge, 16), 0);
	assert_int_equal(write(fd, response, 16), 16);
	assert_int_equal(read_full(fd, result, 4), 0);
	assert_int_equal(result[3], 1);         /* failed */
	close(fd);
}

static void garbage(int port)
{
	char junk[4096], buf[256];
	int fd = connect_port(port, 0);
	struct timeval tv = { 5, 0 };

	assert_true(fd >= 0);
	srand(7);
	for (size_t i = 0; i < sizeof(junk); i++)
		junk[i] = (char)rand();
	assert_true(write(fd, junk, sizeof(junk)) > 0);
	/* The server must hang up on us (EOF or reset), not wait for sense. */
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	for (;;) {
		ssize_t n = read(fd, buf, sizeof(buf));

		if (n <= 0) {
			assert_true(n == 0 || errno == ECONNRESET);
			break;
		}
	}
	close(fd);
}

/* A proper client that asks for the whole screen, keeps asking, and never
 * reads: its socket fills and the server's send to it stalls. */
static void never_reads(int port)
{
	static const uint8_t encodings[] = { 2, 0, 0, 1, 0, 0, 0, 0 };  /* SetEncodings: raw */
	uint8_t request[10] = { 3, 0, 0, 0, 0, 0, 800 >> 8, 800 & 255, 600 >> 8, 600 & 255 };
	uint8_t init[24], result[4];
	uint32_t name_len;
	char name[256];
	int fd = connect_port(port, 4096);

	assert_true(fd >= 0);
	assert_int_equal(handshake(fd), 1);     /* no authentication */
	assert_int_equal(write(fd, "\x01", 1), 1);
	assert_int_equal(read_full(fd, result, 4), 0);
	assert_int_equal(write(fd, "\x01", 1), 1);      /* ClientInit: shared */
	assert_int_equal(read_full(fd, init, 24), 0);
	memcpy(&name_len, init + 20, 4);
	name_len = ntohl(name_len);
	assert_true(name_len < sizeof(name));
	assert_int_equal(read_full(fd, name, name_len), 0);
	assert_int_equal(write(fd, encodings, sizeof(encodings)), (ssize_t)sizeof(encodings));
	assert_int_equal(write(fd, request, sizeof(request)), (ssize_t)sizeof(request));
	request[1] = 1;                         /* incremental from now on */
	for (int i = 0; i < 30; i++) {
		if (send(fd, request, sizeof(request), MSG_NOSIGNAL) < 0)
			break;                  /* cut off: what we expect */
		usleep(100000);
	}
	close(fd);
}

static void test_wrong_password(void **state)
{
	(void)state;
	if (skip_without_kvm())
		skip();
	bad_client_run(5971, "secret", wrong_password, NULL);
}

static void test_garbage(void **state)
{
	(void)state;
	if (skip_without_kvm())
		skip();
	bad_client_run(5972, NULL, garbage, NULL);
}

static void test_client_never_reads(void **state)
{
	(void)state;
	if (skip_without_kvm())
		skip();
	bad_client_run(5973, NULL, never_reads, "vnc.server.clients_cut_off");
}

/* --- a third-party client ------------------------------------------------ */

struct image {
	int w, h;
	uint8_t *rgb;           /* w*h*3 */
};

static int load_ppm(const char *path, struct image *im)
{
	FILE *f = fopen(path, "rb");
	int max, ok;

	if (!f)
		return -1;
	ok = fscanf(f, "P6 %d %d %d", &im->w, &im->h, &max) == 3 && fgetc(f) == '\n' && max == 255;
	im->rgb = ok ? malloc((size_t)im->w * im->h * 3) : NULL;
	ok = ok && im->rgb && fread(im->rgb, 3, (size_t)im->w * im->h, f) == (size_t)im->w * im->h;
	fclose(f);
	return ok ? 0 : -1;
}

static uint32_t le(const uint8_t *p, int n)
{
	uint32_t v = 0;

	while (n--)
		v = v << 8 | p[n];
	return v;
}

/* gdk-pixbuf's BMP: BGR(A) rows, bottom-up unless the height is negative. */
static int load_bmp(const char *path, struct image *im)
{
	FILE *f = fopen(path, "rb");
	static uint8_t file[8 << 20];
	size_t len = f ? fread(file, 1, sizeof(file), f) : 0;
	uint32_t off, bpp, stride;
	int32_t h;

	if (f)
		fclose(f);
	if (len < 54 || file[0] != 'B' || file[1] != 'M')
		return -1;
	off = le(file + 10, 4), im->w = (int)le(file + 18, 4), h = (int32_t)le(file + 22, 4);
	bpp = le(file + 28, 2);
	im->h = h < 0 ? -h : h;
	stride = ((uint32_t)im->w * (bpp / 8) + 3) & ~3u;
	if ((bpp != 24 && bpp != 32) || off + stride * (uint32_t)im->h > len)
		return -1;
	im->rgb = malloc((size_t)im->w * im->h * 3);
	for (int y = 0; y < im->h; y++) {
		const uint8_t *row = file + off + stride * (uint32_t)(h < 0 ? y : im->h - 1 - y);

		for (int x = 0; x < im->w; x++) {
			uint8_t *px = im->rgb + ((size_t)y * im->w + x) * 3;

			px[0] = row[x * (bpp / 8) + 2], px[1] = row[x * (bpp / 8) + 1], px[2] = row[x * (bpp / 8)];
		}
	}
	return 0;
}

static int snapshot(int port, const char *path)
{
	char cmd[512];

	/* gvnccapture takes a display number: port 5900 + N. */
	snprintf(cmd, sizeof(cmd), "timeout 20 gvnccapture -q 127.0.0.1:%d %s >/dev/null 2>&1", port - 5900, path);
	return system(cmd);
}

static void test_third_party_snapshot(void **state)
{
	char dir[] = "/tmp/dirtybench-vnc-dumpXXXXXX", snap[128], path[512];
	const char *args[] = { e2e_binary(), "memcmp", "scrolling", "--vnc", "5974", "--vnc-no-client",
		"--vnc-dump", dir, "--duration", "3", "--warmup", "0.5", "--res", "640x480", "--json", "-",
		"--quiet", NULL };
	struct image shot = { 0 };
	struct bg_run b;
	int status, matches = 0, dumps = 0, fd;
	DIR *d;
	json_t *r;

	(void)state;
	if (skip_without_kvm())
		skip();
	if (system("command -v gvnccapture >/dev/null 2>&1")) {
		fprintf(stderr, "skipped: gvnccapture (Debian gvncviewer) is not installed\n");
		skip();
	}
	assert_non_null(mkdtemp(dir));
	snprintf(snap, sizeof(snap), "%s/snapshot.bmp", dir);
	bg_start(&b, args);
	fd = connect_port(5974, 0);             /* wait until it listens */
	assert_true(fd >= 0);
	close(fd);
	usleep(1000000);                        /* mid-run, the guest drawing */
	assert_int_equal(snapshot(5974, snap), 0);
	r = bg_wait(&b, &status);
	assert_int_equal(status, 0);
	json_decref(r);
	assert_int_equal(load_bmp(snap, &shot), 0);
	assert_true(shot.w == 640 && shot.h == 480);
	d = opendir(dir);
	for (struct dirent *e; (e = readdir(d));) {
		struct image sent = { 0 };

		if (!strstr(e->d_name, ".ppm"))
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		dumps++;
		if (!load_ppm(path, &sent) && sent.w == shot.w && sent.h == shot.h &&
		    !memcmp(sent.rgb, shot.rgb, (size_t)shot.w * shot.h * 3))
			matches++;
		free(sent.rgb);
		unlink(path);
	}
	closedir(d);
	unlink(snap);
	rmdir(dir);
	free(shot.rgb);
	fprintf(stderr, "  gvnccapture snapshot equals %d of the %d images the server sent it\n", matches, dumps);
	assert_true(matches >= 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_bad_options),
		cmocka_unit_test(test_third_party_snapshot),
		cmocka_unit_test(test_wrong_password),
		cmocka_unit_test(test_garbage),
		cmocka_unit_test(test_client_never_reads),
		cmocka_unit_test(test_pixel_check),
	};

	return cmocka_run_group_tests_name("vnc", tests, NULL, NULL);
}
