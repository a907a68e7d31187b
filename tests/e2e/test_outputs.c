/*
 * Where run-bench writes, and what it leaves when it cannot (issue 22, items
 * 1, 2, 8-13): a device or FIFO given to --out is written in place, never
 * replaced; a path that cannot be written is refused before anything boots
 * (exit 2, one line that keeps its reason); a full disk or a full stdout is
 * a failed run naming the real cause; a perf that dies, a SIGINT or a
 * SIGTERM leave no result, no perf data and no temporary file, with one
 * line. Cases that mount a tmpfs or make a device node need root; the perf
 * cases need a working perf.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <glob.h>
#include <limits.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include "tests/lib/e2e.h"

/* A refusal must come before the guest boots: such runs ask for this many
 * seconds, so one that boots is still running when LIMIT_S stops it. */
#define LONG_RUN "600"
#define LIMIT_S 30

static char dir[64];            /* each test's own folder, empty when it ends well */

struct outcome {
	int code;               /* exit status; -1 when it did not exit */
	int sig;                /* the signal it died of; 0 if none */
	bool timed_out;
	char err[8192];
};

/* What to do while run-bench runs: kill its perf, signal it. */
typedef void (*during_fn)(pid_t pid);

static void sleep_s(double s)
{
	struct timespec ts = { (time_t)s, (long)((s - (time_t)s) * 1e9) };

	nanosleep(&ts, NULL);
}

static void read_err(struct outcome *o, int fd)
{
	ssize_t n = pread(fd, o->err, sizeof(o->err) - 1, 0);

	o->err[n > 0 ? n : 0] = '\0';
}

/* run-bench in its own process group, stdout to out_fd (-1: /dev/null),
 * stderr captured; killed with its group after LIMIT_S. */
static void run(struct outcome *o, const char *const *args, int out_fd, during_fn during)
{
	char errpath[] = "/tmp/db-outputs-stderr-XXXXXX";
	int errfd = mkstemp(errpath), status = 0;
	pid_t pid;

	memset(o, 0, sizeof(*o));
	assert_true(errfd >= 0);
	unlink(errpath);
	pid = fork();
	if (pid == 0) {
		setpgid(0, 0);
		dup2(out_fd >= 0 ? out_fd : open("/dev/null", O_WRONLY), STDOUT_FILENO);
		dup2(errfd, STDERR_FILENO);
		execv(args[0], (char *const *)args);
		_exit(127);
	}
	setpgid(pid, pid);
	if (during)
		during(pid);
	for (int waited = 0; waitpid(pid, &status, WNOHANG) == 0; waited++) {
		if (waited > LIMIT_S * 20) {
			kill(-pid, SIGKILL);
			waitpid(pid, &status, 0);
			o->timed_out = true;
			break;
		}
		sleep_s(0.05);
	}
	o->code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
	o->sig = WIFSIGNALED(status) ? WTERMSIG(status) : 0;
	read_err(o, errfd);
	close(errfd);
	if (o->timed_out)
		print_message("timed out after %d s (did it boot before checking?): %s", LIMIT_S, o->err);
}

/* run-bench's own lines: perf's messages, if any, are perf's. */
static int own_lines(const char *err)
{
	int n = 0;

	for (const char *p = err; (p = strstr(p, "run-bench: ")); p++)
		n += p == err || p[-1] == '\n';
	return n;
}

/* The documented exit status, one line on stderr, naming what it should. */
static void expect(const struct outcome *o, int code, const char *says)
{
	if (o->code != code || own_lines(o->err) != 1 || e2e_lines(o->err) != 1 || !strstr(o->err, says))
		fail_msg("want exit %d and one line saying '%s'; got exit %d (signal %d): %s", code, says,
			 o->code, o->sig, o->err);
}

static void expect_ok(const struct outcome *o)
{
	if (o->code != 0 || o->err[0])
		fail_msg("want exit 0 and no message; got exit %d (signal %d): %s", o->code, o->sig, o->err);
}

/* Death by sig (the shell says 128 + sig) after one line of run-bench's. */
static void expect_signal(const struct outcome *o, int sig, const char *says)
{
	if (o->sig != sig || own_lines(o->err) != 1 || !strstr(o->err, says))
		fail_msg("want death by signal %d and one line saying '%s'; got exit %d (signal %d): %s", sig,
			 says, o->code, o->sig, o->err);
}

static const char *in_dir(char *buf, size_t len, const char *name)
{
	snprintf(buf, len, "%s/%s", dir, name);
	return buf;
}

static int not_dots(const struct dirent *e)
{
	return strcmp(e->d_name, ".") && strcmp(e->d_name, "..");
}

/* The names in d, sorted, each followed by a space ("" when empty). */
static const char *listing(const char *d)
{
	static char names[1024];
	struct dirent **list;
	int n = scandir(d, &list, not_dots, alphasort);

	names[0] = '\0';
	for (int i = 0; i < n; i++) {
		snprintf(names + strlen(names), sizeof(names) - strlen(names), "%s ", list[i]->d_name);
		free(list[i]);
	}
	if (n >= 0)
		free(list);
	return names;
}

static int setup(void **state)
{
	(void)state;
	snprintf(dir, sizeof(dir), "/tmp/db-outputs-XXXXXX");
	return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state)
{
	char cmd[128], mnt[128];

	(void)state;
	umount(in_dir(mnt, sizeof(mnt), "ro"));         /* left mounted by a failed assertion */
	umount(in_dir(mnt, sizeof(mnt), "full"));
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	return system(cmd);
}

static bool skip_without_kvm(void)
{
	const char *why = e2e_kvm_unusable();

	if (why)
		print_message("skipped: %s\n", why);
	return why != NULL;
}

static bool perf_runs(void)
{
	return system("perf --version >/dev/null 2>&1") == 0;
}

static bool skip_without_perf(void)
{
	if (skip_without_kvm())
		return true;
	if (!perf_runs())
		print_message("skipped: perf does not run on this host\n");
	return !perf_runs();
}

/* --- 1: a device or FIFO is written in place -------------------------------- */

static void test_device_written_in_place(void **state)
{
	char null_dev[128], full_dev[128];
	struct outcome o;
	struct stat st;

	(void)state;
	if (skip_without_kvm())
		skip();
	if (mknod(in_dir(null_dev, sizeof(null_dev), "null"), S_IFCHR | 0600, makedev(1, 3)) ||
	    mknod(in_dir(full_dev, sizeof(full_dev), "full"), S_IFCHR | 0600, makedev(1, 7))) {
		print_message("skipped: cannot make device nodes (not root)\n");
		skip();
	}
	run(&o, (const char *const[]){ e2e_binary(), "memcmp", "idle", "--res", "64x64", "--warmup", "0",
		"--duration", "0.3", "--quiet", "--out", null_dev, NULL }, -1, NULL);
	expect_ok(&o);
	assert_int_equal(stat(null_dev, &st), 0);
	assert_true(S_ISCHR(st.st_mode));
	/* Items 10 and 11 on a device: the real cause, and the device stays. */
	run(&o, (const char *const[]){ e2e_binary(), "memcmp", "idle", "--res", "64x64", "--warmup", "0",
		"--duration", "0.3", "--quiet", "--out", full_dev, NULL }, -1, NULL);
	expect(&o, 1, "No space left on device");
	assert_int_equal(stat(full_dev, &st), 0);
	assert_true(S_ISCHR(st.st_mode));
	assert_string_equal(listing(dir), "full null ");
	unlink(null_dev);
	unlink(full_dev);
}

static void test_fifo_written_in_place(void **state)
{
	char fifo[128], copy[128];
	int copyfd = open(in_dir(copy, sizeof(copy), "copy"), O_RDWR | O_CREAT | O_EXCL, 0600), rstatus;
	json_t *result;
	struct outcome o;
	struct stat st;
	pid_t reader;
	bool reaped = false;

	(void)state;
	if (skip_without_kvm())
		skip();
	assert_int_equal(mkfifo(in_dir(fifo, sizeof(fifo), "fifo"), 0600), 0);
	reader = fork();
	if (reader == 0) {      /* cat fifo > copy */
		char buf[4096];
		int fd = open(fifo, O_RDONLY);
		ssize_t n;

		while (fd >= 0 && (n = read(fd, buf, sizeof(buf))) > 0)
			if (write(copyfd, buf, (size_t)n) != n)
				_exit(1);
		_exit(0);
	}
	run(&o, (const char *const[]){ e2e_binary(), "memcmp", "idle", "--res", "64x64", "--warmup", "0",
		"--duration", "0.3", "--quiet", "--out", fifo, NULL }, -1, NULL);
	for (int i = 0; i < 100 && !reaped; i++) {     /* copying what is left in the FIFO */
		reaped = waitpid(reader, &rstatus, WNOHANG) == reader;
		sleep_s(reaped ? 0 : 0.05);
	}
	if (!reaped) {
		kill(reader, SIGKILL);  /* nobody wrote to the FIFO */
		waitpid(reader, &rstatus, 0);
	}
	expect_ok(&o);
	assert_int_equal(stat(fifo, &st), 0);
	assert_true(S_ISFIFO(st.st_mode));
	result = json_load_file(copy, 0, NULL);
	assert_non_null(result);
	assert_string_equal(json_string_value(json_object_get(result, "schema")), "dirtybench-result/1");
	json_decref(result);
	close(copyfd);
	unlink(copy);
	unlink(fifo);
}

/* --- 2, 12, 13: refused before anything boots, exit 2 -------------------- */

static void refused(const char *opt, const char *path, const char *says)
{
	struct outcome o;

	run(&o, (const char *const[]){ e2e_binary(), "memcmp", "idle", "--res", "64x64", "--warmup", "0",
		"--duration", LONG_RUN, "--quiet", opt, path, NULL }, -1, NULL);
	assert_false(o.timed_out);
	expect(&o, 2, says);
}

static void test_results_dir_empty_refused(void **state)
{
	glob_t g;

	(void)state;
	refused("--results-dir", "", "--results-dir ''");
	/* Nothing written into / (the old run-bench's result is removed). */
	if (!glob("/memcmp-idle-64x64-*.json", 0, NULL, &g)) {
		for (size_t i = 0; i < g.gl_pathc; i++)
			unlink(g.gl_pathv[i]);
		globfree(&g);
		fail_msg("a result was written into /");
	}
}

static void test_bad_paths_refused_before_boot(void **state)
{
	char path[PATH_MAX], name[400];

	(void)state;
	refused("--out", "", "--out ''");
	refused("--out", "/nonexistent-db-folder/r.json", "no such folder");
	refused("--out", dir, "is a folder");
	refused("--out", in_dir(path, sizeof(path), "sub/"), "names a folder");
	refused("--results-dir", "/nonexistent-db-folder/results", "cannot create it");
	/* A name too long: the reason survives the long path in the line. */
	memset(name, 'n', 300);
	strcpy(name + 300, ".json");
	refused("--out", in_dir(path, sizeof(path), name), "longer than the file system allows");
	assert_string_equal(listing(dir), "");
}

static void test_read_only_folder_refused_before_boot(void **state)
{
	char mnt[128], out[160];

	(void)state;
	assert_int_equal(mkdir(in_dir(mnt, sizeof(mnt), "ro"), 0755), 0);
	if (mount("tmpfs", mnt, "tmpfs", MS_RDONLY, "size=64k")) {
		rmdir(mnt);
		print_message("skipped: cannot mount a tmpfs (not root)\n");
		skip();
	}
	snprintf(out, sizeof(out), "%s/r.json", mnt);
	refused("--out", out, "Read-only file system");
	refused("--results-dir", mnt, "Read-only file system");
	umount(mnt);
	rmdir(mnt);
}

/* Longer than PATH_MAX, and its first PATH_MAX - 1 bytes name dir/res: the
 * old run-bench wrote that file. */
static void test_path_longer_than_path_max_refused(void **state)
{
	char path[PATH_MAX + 64];
	size_t n;

	(void)state;
	n = (size_t)snprintf(path, sizeof(path), "%s/", dir);
	if ((PATH_MAX - 1 - 3 - n) % 2)
		path[n++] = '/';
	while (n < PATH_MAX - 1 - 3)
		path[n++] = '.', path[n++] = '/';
	snprintf(path + n, sizeof(path) - n, "result.json");
	refused("--out", path, "longer than PATH_MAX");
	assert_string_equal(listing(dir), "");
}

/* --- 10, 11: a full stdout, a full disk --------------------------------- */

static void test_stdout_full(void **state)
{
	int full = open("/dev/full", O_WRONLY);
	struct outcome o;

	(void)state;
	if (skip_without_kvm())
		skip();
	assert_true(full >= 0);
	run(&o, (const char *const[]){ e2e_binary(), "memcmp", "idle", "--res", "64x64", "--warmup", "0",
		"--duration", "0.3", "--quiet", "--json", "-", NULL }, full, NULL);
	close(full);
	expect(&o, 1, "stdout");
	expect(&o, 1, "No space left on device");
}

/* A 64 KiB tmpfs with 8 KiB free: a result (about 20 KiB) is cut short. */
static bool full_disk(char *mnt, size_t len)
{
	char filler[192];
	int fd;

	if (mkdir(in_dir(mnt, len, "full"), 0755))
		return false;
	if (mount("tmpfs", mnt, "tmpfs", 0, "size=64k")) {
		rmdir(mnt);
		return false;
	}
	snprintf(filler, sizeof(filler), "%s/filler", mnt);
	fd = open(filler, O_WRONLY | O_CREAT, 0600);
	for (int i = 0; fd >= 0 && i < 56; i++)
		if (write(fd, (char[1024]){ 0 }, 1024) != 1024)
			break;
	close(fd);
	return true;
}

static void check_full_disk(bool perf)
{
	char mnt[128], out[160];
	struct outcome o;

	if (!full_disk(mnt, sizeof(mnt))) {
		print_message("skipped: cannot mount a tmpfs (not root)\n");
		skip();
	}
	snprintf(out, sizeof(out), "%s/r.json", mnt);
	run(&o, (const char *const[]){ e2e_binary(), "memcmp", "idle", "--res", "64x64", "--warmup", "0.2",
		"--duration", "0.5", "--quiet", "--out", out, perf ? "--perf-record" : NULL, NULL }, -1, NULL);
	snprintf(out, sizeof(out), "%s", listing(mnt));
	umount(mnt);
	rmdir(mnt);
	/* perf may be the first to find the disk full, and say so itself. */
	if (o.code != 1 || own_lines(o.err) != 1 || !strstr(o.err, perf ? "run-bench: " : strerror(ENOSPC)))
		fail_msg("want exit 1 and one line of run-bench's; got exit %d (signal %d): %s", o.code, o.sig, o.err);
	if (!perf)
		expect(&o, 1, strerror(ENOSPC));
	assert_string_equal(out, "filler ");
}

static void test_full_disk(void **state)
{
	(void)state;
	if (skip_without_kvm())
		skip();
	check_full_disk(false);
}

static void test_full_disk_perf_record(void **state)
{
	(void)state;
	if (skip_without_perf())
		skip();
	check_full_disk(true);
}

/* --- 8, 9: perf dies, SIGINT, SIGTERM ------------------------------------- */

/* The perf run-bench started; 0 if none yet. */
static pid_t perf_child(pid_t parent)
{
	char path[64], comm[64];
	struct dirent *e;
	DIR *proc = opendir("/proc");
	pid_t found = 0;

	while (proc && !found && (e = readdir(proc))) {
		int pid = atoi(e->d_name), ppid = 0;
		FILE *st;

		snprintf(path, sizeof(path), "/proc/%d/stat", pid);
		if (pid <= 0 || !(st = fopen(path, "r")))
			continue;
		if (fscanf(st, "%*d (%63[^)]) %*c %d", comm, &ppid) == 2 && ppid == parent && !strcmp(comm, "perf"))
			found = pid;
		fclose(st);
	}
	if (proc)
		closedir(proc);
	return found;
}

/* perf has opened its events: it is attached to run-bench. */
static bool perf_attached(pid_t perf)
{
	char path[64], fd_path[320], link[64];
	struct dirent *f;
	DIR *fds;
	bool found = false;

	snprintf(path, sizeof(path), "/proc/%d/fd", (int)perf);
	fds = opendir(path);
	while (fds && !found && (f = readdir(fds))) {
		ssize_t n;

		snprintf(fd_path, sizeof(fd_path), "%s/%s", path, f->d_name);
		n = readlink(fd_path, link, sizeof(link) - 1);
		link[n > 0 ? n : 0] = '\0';
		found = strstr(link, "perf_event") != NULL;
	}
	if (fds)
		closedir(fds);
	return found;
}

static pid_t wait_perf(pid_t parent)
{
	pid_t perf = 0;

	for (int i = 0; i < 400 && !((perf = perf_child(parent)) && perf_attached(perf)); i++)
		sleep_s(0.05);
	if (perf)
		sleep_s(0.5);   /* attached; the run goes on */
	return perf;
}

static void kill_perf(pid_t pid)
{
	pid_t perf = wait_perf(pid);

	if (perf)
		kill(perf, SIGKILL);
}

/* As Ctrl-C in a terminal: the whole group, perf included. */
static void interrupt_group(pid_t pid)
{
	wait_perf(pid);
	kill(-pid, SIGINT);
}

static void terminate(pid_t pid)
{
	sleep_s(2);             /* booted and measuring: a 0-warm-up 64x64 guest is up well before */
	kill(pid, SIGTERM);
}

/* A --perf-record run that during() ends early: no result, no partial perf
 * data, no temporary file; then exit 1, or death by sig, with one line. */
static void check_perf_run_ended(during_fn during, int sig, const char *says)
{
	char out[128];
	struct outcome o;

	if (skip_without_perf())
		skip();
	run(&o, (const char *const[]){ e2e_binary(), "memcmp", "idle", "--res", "64x64", "--warmup", "1",
		"--duration", "3", "--quiet", "--perf-record", "--out", in_dir(out, sizeof(out), "r.json"), NULL },
	    -1, during);
	assert_string_equal(listing(dir), "");
	if (sig)
		expect_signal(&o, sig, says);
	else
		expect(&o, 1, says);
}

static void test_perf_dies(void **state)
{
	(void)state;
	check_perf_run_ended(kill_perf, 0, "perf died");
}

static void test_sigint_perf_record(void **state)
{
	(void)state;
	check_perf_run_ended(interrupt_group, SIGINT, "stopped by SIGINT");
}

static void test_sigterm(void **state)
{
	char out[128];
	struct outcome o;

	(void)state;
	if (skip_without_kvm())
		skip();
	run(&o, (const char *const[]){ e2e_binary(), "memcmp", "idle", "--res", "64x64", "--warmup", "0",
		"--duration", "30", "--quiet", "--out", in_dir(out, sizeof(out), "r.json"), NULL }, -1, terminate);
	assert_false(o.timed_out);
	assert_string_equal(listing(dir), "");
	expect_signal(&o, SIGTERM, "stopped by SIGTERM");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_device_written_in_place, setup, teardown),
		cmocka_unit_test_setup_teardown(test_fifo_written_in_place, setup, teardown),
		cmocka_unit_test_setup_teardown(test_results_dir_empty_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bad_paths_refused_before_boot, setup, teardown),
		cmocka_unit_test_setup_teardown(test_read_only_folder_refused_before_boot, setup, teardown),
		cmocka_unit_test_setup_teardown(test_path_longer_than_path_max_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_stdout_full, setup, teardown),
		cmocka_unit_test_setup_teardown(test_full_disk, setup, teardown),
		cmocka_unit_test_setup_teardown(test_full_disk_perf_record, setup, teardown),
		cmocka_unit_test_setup_teardown(test_perf_dies, setup, teardown),
		cmocka_unit_test_setup_teardown(test_sigint_perf_record, setup, teardown),
		cmocka_unit_test_setup_teardown(test_sigterm, setup, teardown),
	};

	return cmocka_run_group_tests_name("outputs", tests, NULL, NULL);
}
