/*
 * Unit tests for core/outpath.c (the output-path checks run-bench makes
 * before booting) and result_write (core/result.c): every refusal is bad
 * input with one line whose reason survives a long path; a device or FIFO
 * is written in place, never replaced; a full disk and a full stdout are
 * reported as such (ENOSPC, not a stale errno), with no temporary file
 * left. Cases that mount a tmpfs or make a device node need root and skip
 * without it.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#include "core/outpath.h"
#include "core/result.h"
#include "core/status.h"

static char dir[64];

static int setup(void **state)
{
	(void)state;
	snprintf(dir, sizeof(dir), "/tmp/db-outpath-XXXXXX");
	return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state)
{
	char cmd[128];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	return system(cmd);
}

static const char *in_dir(const char *name)
{
	static char path[PATH_MAX];

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	return path;
}

static int entries(const char *d)
{
	char cmd[PATH_MAX + 64], buf[32] = "";
	FILE *f;

	snprintf(cmd, sizeof(cmd), "ls -A '%s' | wc -l", d);
	f = popen(cmd, "r");
	if (!f || !fgets(buf, sizeof(buf), f))
		fail();
	pclose(f);
	return atoi(buf);
}

/* A refusal: bad input, one line, naming the reason. */
static void refused(const char *path, const char *reason)
{
	enum outpath_kind kind;
	char err[512];

	assert_int_equal(outpath_check_file("--out", path, &kind, err, sizeof(err)), EXIT_BAD_INPUT);
	assert_null(strchr(err, '\n'));
	if (!strstr(err, reason))
		fail_msg("'%s' does not say '%s'", err, reason);
}

static void test_refusals(void **state)
{
	char long_name[PATH_MAX + 64], huge[PATH_MAX + 64];

	(void)state;
	refused("", "empty path");
	refused("/nonexistent-db-folder/x.json", "no such folder");
	refused(dir, "is a folder");
	refused(in_dir("missing/"), "names a folder");
	refused("/etc/passwd/x.json", "not a folder");
	/* A name too long: the reason comes before the (shortened) path. */
	snprintf(long_name, sizeof(long_name), "%s/%0300d.json", dir, 0);
	refused(long_name, "longer than the file system allows");
	/* Longer than PATH_MAX: refused, never truncated to another file. */
	snprintf(huge, sizeof(huge), "%s/", dir);
	while (strlen(huge) < PATH_MAX + 10)
		strcat(huge, "./");
	strcat(huge, "r.json");
	refused(huge, "longer than PATH_MAX");
	assert_int_equal(entries(dir), 0);
}

static void test_kinds(void **state)
{
	enum outpath_kind kind;
	char err[512];
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int s;

	(void)state;
	assert_int_equal(outpath_check_file("--out", in_dir("new.json"), &kind, err, sizeof(err)), EXIT_OK);
	assert_int_equal(kind, OUTPATH_FILE);
	assert_int_equal(outpath_check_file("--out", "/dev/null", &kind, err, sizeof(err)), EXIT_OK);
	assert_int_equal(kind, OUTPATH_STREAM);
	assert_int_equal(mkfifo(in_dir("fifo"), 0600), 0);
	assert_int_equal(outpath_check_file("--out", in_dir("fifo"), &kind, err, sizeof(err)), EXIT_OK);
	assert_int_equal(kind, OUTPATH_STREAM);
	unlink(in_dir("fifo"));
	s = socket(AF_UNIX, SOCK_STREAM, 0);
	memcpy(sa.sun_path, in_dir("sock"), strlen(dir) + 6);       /* dir is short */
	assert_int_equal(bind(s, (struct sockaddr *)&sa, sizeof(sa)), 0);
	refused(in_dir("sock"), "socket");
	close(s);
	unlink(in_dir("sock"));
	if (!access("/dev/loop0", F_OK))
		refused("/dev/loop0", "block device");
}

static void test_results_dir(void **state)
{
	char err[512];

	(void)state;
	assert_int_equal(outpath_check_dir("--results-dir", "", err, sizeof(err)), EXIT_BAD_INPUT);
	assert_non_null(strstr(err, "empty path"));
	assert_int_equal(outpath_check_dir("--results-dir", in_dir("a/b"), err, sizeof(err)), EXIT_BAD_INPUT);
	assert_non_null(strstr(err, "cannot create it"));
	/* One missing level is created, as before. */
	assert_int_equal(outpath_check_dir("--results-dir", in_dir("a"), err, sizeof(err)), EXIT_OK);
	assert_int_equal(rmdir(in_dir("a")), 0);
	assert_int_equal(outpath_check_dir("--results-dir", "/etc/passwd", err, sizeof(err)), EXIT_BAD_INPUT);
	assert_non_null(strstr(err, "not a folder"));
}

static void test_shorten_and_perf_names(void **state)
{
	char buf[PATH_MAX], big[400];

	(void)state;
	assert_string_equal(outpath_shorten(buf, sizeof(buf), "/a/b.json", 40), "/a/b.json");
	memset(big, 'x', sizeof(big) - 6);
	strcpy(big + sizeof(big) - 6, ".json");
	outpath_shorten(buf, sizeof(buf), big, 100);
	assert_int_equal(strlen(buf), 100);
	assert_non_null(strstr(buf, "..."));
	assert_string_equal(buf + strlen(buf) - 5, ".json");
	assert_int_equal(outpath_perf_data(buf, sizeof(buf), "r/x.json", 0, 1), 0);
	assert_string_equal(buf, "r/x.perf.data");
	assert_int_equal(outpath_perf_data(buf, sizeof(buf), "r/x", 2, 3), 0);
	assert_string_equal(buf, "r/x.run3.perf.data");
	assert_int_equal(outpath_perf_data(buf, 12, "r/x.json", 0, 1), -1);
}

static json_t *small_result(void)
{
	return json_pack("{s:s}", "schema", RESULT_SCHEMA);
}

static void test_write_regular_is_atomic(void **state)
{
	json_t *r = small_result(), *back;
	char err[512];
	struct stat st;
	mode_t mask = umask(022);

	(void)state;
	assert_int_equal(result_write(r, in_dir("r.json"), err, sizeof(err)), 0);
	umask(mask);
	assert_int_equal(stat(in_dir("r.json"), &st), 0);
	assert_int_equal(st.st_mode & 0777, 0644);
	back = json_load_file(in_dir("r.json"), 0, NULL);
	assert_true(json_equal(back, r));
	assert_int_equal(entries(dir), 1);      /* no temporary file */
	unlink(in_dir("r.json"));
	json_decref(back);
	json_decref(r);
}

/* A character device (/dev/null's numbers) stays a device. */
static void test_write_device_in_place(void **state)
{
	json_t *r = small_result();
	char err[512];
	struct stat st;

	(void)state;
	if (mknod(in_dir("null"), S_IFCHR | 0600, makedev(1, 3))) {
		json_decref(r);
		skip();         /* not root */
	}
	assert_int_equal(result_write(r, in_dir("null"), err, sizeof(err)), 0);
	assert_int_equal(stat(in_dir("null"), &st), 0);
	assert_true(S_ISCHR(st.st_mode));
	assert_int_equal(entries(dir), 1);
	unlink(in_dir("null"));
	json_decref(r);
}

static void test_write_fifo_in_place(void **state)
{
	json_t *r = small_result(), *back;
	char err[512], buf[256] = "";
	struct stat st;
	int pfd[2], status;
	pid_t reader;

	(void)state;
	assert_int_equal(mkfifo(in_dir("fifo"), 0600), 0);
	assert_int_equal(pipe(pfd), 0);
	reader = fork();
	if (reader == 0) {      /* cat fifo > pipe */
		int fd = open(in_dir("fifo"), O_RDONLY);
		ssize_t n;

		while (fd >= 0 && (n = read(fd, buf, sizeof(buf))) > 0)
			if (write(pfd[1], buf, (size_t)n) != n)
				_exit(1);
		_exit(fd < 0);
	}
	close(pfd[1]);
	assert_int_equal(result_write(r, in_dir("fifo"), err, sizeof(err)), 0);
	if (stat(in_dir("fifo"), &st) || !S_ISFIFO(st.st_mode)) {
		kill(reader, SIGKILL);  /* still waiting for a writer */
		waitpid(reader, &status, 0);
		fail_msg("the FIFO was replaced");
	}
	assert_true(read(pfd[0], buf, sizeof(buf) - 1) > 0);
	waitpid(reader, &status, 0);
	back = json_loads(buf, 0, NULL);
	assert_true(json_equal(back, r));
	close(pfd[0]);
	unlink(in_dir("fifo"));
	json_decref(back);
	json_decref(r);
}

/* A result bigger than the disk: the short write is followed by ENOSPC,
 * which is what the line must say; nothing is left behind. */
static void test_write_full_disk(void **state)
{
	json_t *r = json_object();
	int rc, n;
	char err[512], *big = malloc(200000), mnt[PATH_MAX], file[PATH_MAX];

	(void)state;
	assert_non_null(big);
	memset(big, 'x', 199999);
	big[199999] = '\0';
	json_object_set_new(r, "big", json_string(big));
	free(big);
	snprintf(mnt, sizeof(mnt), "%s", in_dir("small"));
	snprintf(file, sizeof(file), "%s", in_dir("small/r.json"));
	assert_int_equal(mkdir(mnt, 0755), 0);
	if (mount("tmpfs", mnt, "tmpfs", 0, "size=64k")) {
		rmdir(mnt);
		json_decref(r);
		skip();         /* not root */
	}
	rc = result_write(r, file, err, sizeof(err));
	n = entries(mnt);
	umount(mnt);            /* before any assertion can end the test */
	rmdir(mnt);
	json_decref(r);
	assert_int_equal(rc, -1);
	if (!strstr(err, strerror(ENOSPC)))
		fail_msg("a full disk reported as '%s'", err);
	assert_int_equal(n, 0);
}

static void test_write_stdout_full(void **state)
{
	json_t *r = small_result();
	char err[512] = "";
	int saved = dup(STDOUT_FILENO), full = open("/dev/full", O_WRONLY);
	int rc;

	(void)state;
	assert_true(saved >= 0 && full >= 0);
	fflush(stdout);
	dup2(full, STDOUT_FILENO);
	rc = result_write(r, "-", err, sizeof(err));
	dup2(saved, STDOUT_FILENO);
	close(saved);
	close(full);
	assert_int_equal(rc, -1);
	if (!strstr(err, "stdout") || !strstr(err, strerror(ENOSPC)))
		fail_msg("a full stdout reported as '%s'", err);
	json_decref(r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_refusals),
		cmocka_unit_test(test_kinds),
		cmocka_unit_test(test_results_dir),
		cmocka_unit_test(test_shorten_and_perf_names),
		cmocka_unit_test(test_write_regular_is_atomic),
		cmocka_unit_test(test_write_device_in_place),
		cmocka_unit_test(test_write_fifo_in_place),
		cmocka_unit_test(test_write_full_disk),
		cmocka_unit_test(test_write_stdout_full),
	};

	return cmocka_run_group_tests_name("outpath", tests, setup, teardown);
}
