/*
 * End to end: uffd-wp in both orderings, in run-bench and in the separate
 * display process, misses nothing on any workload; the display process is
 * what it claims (its own address space without VRAM, no KVM descriptor,
 * unprivileged, holding run-bench's pagemap); a display process killed
 * mid-run fails the run with one line, no result, no process left; softdirty
 * is refused with exit 4 on a kernel without soft-dirty; both are refused on
 * Xen; bad options are exit 2.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include "core/schema.h"
#include "workloads/workload.h"
#include "tests/lib/e2e.h"

struct config {
	const char *sopt, *workload;
};

static void skip_without_kvm(void)
{
	const char *why = e2e_kvm_unusable();

	if (why) {
		print_message("skipped: %s\n", why);
		skip();
	}
}

static void test_clean(void **state)
{
	const struct config *c = *state;
	struct e2e_run r;
	char err[256];

	skip_without_kvm();
	e2e_run(&r, (const char *const[]){ e2e_binary(), "uffd-wp", c->workload, "--sopt", c->sopt,
		"--duration", "1", "--warmup", "0.3", "--res", "640x480", "--json", "-", "--quiet", NULL });
	if (e2e_unsupported(&r)) {
		print_message("skipped: %s", e2e_unsupported(&r));
		e2e_run_free(&r);
		skip();
	}
	if (r.status != 0)
		print_message("uffd-wp %s %s: exit %d: %s", c->sopt, c->workload, r.status, r.stderr_text);
	assert_int_equal(r.status, 0);
	assert_non_null(r.result);
	if (schema_check(r.result, err, sizeof(err)))
		fail_msg("%s", err);
	assert_true(e2e_num(r.result, "dirty.frames_checked") > 0);
	assert_true(e2e_num(r.result, "dirty.frames_missed") == 0);
	assert_true(e2e_num(r.result, "strategy.pages_reported") > 0);
	if (strstr(c->sopt, "separate")) {
		/* The scans were the display process's, and it ran as someone else. */
		assert_string_equal(json_string_value(json_object_get(json_object_get(json_object_get(r.result,
			"strategy"), "work"), "scan")), "db-display");
		assert_true(e2e_num(r.result, "strategy.display.pagemap_scan_calls") >= e2e_num(r.result, "scan.rounds"));
		if (geteuid() == 0)
			assert_true(e2e_num(r.result, "strategy.display.uid") != 0);
	}
	if (strstr(c->sopt, "vec=1"))   /* the walk was resumed at walk_end */
		assert_true(e2e_num(r.result, strstr(c->sopt, "separate") ? "strategy.display.vec_full_calls"
									 : "strategy.vec_full_calls") > 0);
	e2e_run_free(&r);
}

/* --- a run in the background, to look at its display process ---------------- */

struct background {
	pid_t pid;
	char out[128], err[128];
};

static void start_background(struct background *b, const char *duration)
{
	static int n;

	snprintf(b->out, sizeof(b->out), "/tmp/test_uffd_wp-%d-%d.json", (int)getpid(), n);
	snprintf(b->err, sizeof(b->err), "/tmp/test_uffd_wp-%d-%d.err", (int)getpid(), n++);
	unlink(b->out);
	b->pid = fork();
	assert_true(b->pid >= 0);
	if (b->pid == 0) {
		int fd = open(b->err, O_WRONLY | O_CREAT | O_TRUNC, 0600);

		dup2(fd, 2);
		execl(e2e_binary(), e2e_binary(), "uffd-wp", "scrolling", "--sopt", "process=separate",
		      "--duration", duration, "--warmup", "0.3", "--res", "640x480", "--out", b->out, "--quiet",
		      (char *)NULL);
		_exit(127);
	}
}

static int finish_background(struct background *b, char *err, size_t len)
{
	int st;
	FILE *f;
	size_t n = 0;

	assert_int_equal(waitpid(b->pid, &st, 0), b->pid);
	err[0] = '\0';
	f = fopen(b->err, "r");
	if (f) {
		n = fread(err, 1, len - 1, f);
		fclose(f);
	}
	err[n] = '\0';
	unlink(b->err);
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

/* The child of parent named db-display*, once it holds a descriptor of
 * parent's pagemap (it has been handed over); 0 after 20 s. */
static pid_t find_display(pid_t parent)
{
	char want[64];

	snprintf(want, sizeof(want), "/proc/%d/pagemap", (int)parent);
	for (int tries = 0; tries < 2000; tries++) {
		DIR *d = opendir("/proc");
		struct dirent *e;
		pid_t found = 0;

		while (d && (e = readdir(d)) && !found) {
			char path[300], buf[512], link[256];
			int ppid = 0;
			FILE *f;

			snprintf(path, sizeof(path), "/proc/%s/stat", e->d_name);
			f = fopen(path, "r");
			if (!f)
				continue;
			if (fgets(buf, sizeof(buf), f) && strstr(buf, "(db-display") &&
			    sscanf(strrchr(buf, ')') + 2, "%*c %d", &ppid) == 1 && ppid == parent) {
				for (int fd = 0; fd < 16 && !found; fd++) {
					ssize_t n;

					snprintf(path, sizeof(path), "/proc/%s/fd/%d", e->d_name, fd);
					n = readlink(path, link, sizeof(link) - 1);
					if (n > 0 && (link[n] = '\0', !strcmp(link, want)))
						found = atoi(e->d_name);
				}
			}
			fclose(f);
		}
		if (d)
			closedir(d);
		if (found)
			return found;
		usleep(10000);
	}
	return 0;
}

/* Does any of pid's descriptors link to something containing s? */
static bool has_fd_to(pid_t pid, const char *s)
{
	char path[64], link[256];
	struct dirent *e;
	bool found = false;
	DIR *d;

	snprintf(path, sizeof(path), "/proc/%d/fd", (int)pid);
	d = opendir(path);
	assert_non_null(d);
	while ((e = readdir(d)) && !found) {
		char fdpath[400];
		ssize_t n;

		snprintf(fdpath, sizeof(fdpath), "%s/%s", path, e->d_name);
		n = readlink(fdpath, link, sizeof(link) - 1);
		if (n > 0) {
			link[n] = '\0';
			found = strstr(link, s) != NULL;
		}
	}
	closedir(d);
	return found;
}

static bool file_has(pid_t pid, const char *file, const char *s)
{
	char path[64], line[512];
	bool found = false;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/%s", (int)pid, file);
	f = fopen(path, "r");
	assert_non_null(f);
	while (!found && fgets(line, sizeof(line), f))
		found = strstr(line, s) != NULL;
	fclose(f);
	return found;
}

static void test_display_isolated(void **state)
{
	struct background b;
	char err[4096];
	pid_t display;

	(void)state;
	skip_without_kvm();
	start_background(&b, "4");
	display = find_display(b.pid);
	if (!display) {
		int status = finish_background(&b, err, sizeof(err));

		if (status == 4) {
			print_message("skipped: %s", err);
			skip();
		}
		fail_msg("no display process holding run-bench's pagemap appeared (run-bench exit %d: %s)", status, err);
	}
	/* run-bench has VRAM mapped and KVM descriptors: the control. */
	assert_true(file_has(b.pid, "maps", "dirtybench-vram"));
	assert_true(has_fd_to(b.pid, "anon_inode:kvm-vm"));
	/* The display process has neither, and runs unprivileged. */
	assert_false(file_has(display, "maps", "dirtybench-vram"));
	assert_false(has_fd_to(display, "anon_inode:kvm-"));
	assert_false(has_fd_to(display, "/dev/kvm"));
	assert_true(file_has(display, "status", "NoNewPrivs:\t1"));
	if (geteuid() == 0)
		assert_false(file_has(display, "status", "Uid:\t0\t"));
	assert_int_equal(finish_background(&b, err, sizeof(err)), 0);
	assert_int_equal(access(b.out, F_OK), 0);
	unlink(b.out);
	/* Reaped by run-bench: gone, not a zombie. */
	assert_int_not_equal(kill(display, 0), 0);
}

static void test_display_killed(void **state)
{
	struct background b;
	char err[4096];
	pid_t display;
	int status;

	(void)state;
	skip_without_kvm();
	start_background(&b, "6");
	display = find_display(b.pid);
	if (!display) {
		status = finish_background(&b, err, sizeof(err));
		if (status == 4) {
			print_message("skipped: %s", err);
			skip();
		}
		fail_msg("no display process appeared (run-bench exit %d: %s)", status, err);
	}
	usleep(500000);         /* mid-run: rounds are being served */
	assert_int_equal(kill(display, SIGKILL), 0);
	status = finish_background(&b, err, sizeof(err));
	if (status != 1)
		print_message("exit %d: %s", status, err);
	assert_int_equal(status, 1);
	assert_int_equal(e2e_lines(err), 1);
	assert_non_null(strstr(err, "display process"));
	assert_non_null(strstr(err, "killed by signal 9"));
	assert_int_not_equal(access(b.out, F_OK), 0);     /* no result file */
	assert_int_equal(errno, ENOENT);
	assert_int_not_equal(kill(display, 0), 0);       /* reaped, not left behind */
}

/* A display process that stops answering (SIGSTOP) fails the run too, and
 * run-bench still takes it down. */
static void test_display_stopped(void **state)
{
	struct background b;
	char err[4096];
	pid_t display;
	int status;

	(void)state;
	skip_without_kvm();
	start_background(&b, "6");
	display = find_display(b.pid);
	if (!display) {
		status = finish_background(&b, err, sizeof(err));
		if (status == 4) {
			print_message("skipped: %s", err);
			skip();
		}
		fail_msg("no display process appeared (run-bench exit %d: %s)", status, err);
	}
	assert_int_equal(kill(display, SIGSTOP), 0);
	status = finish_background(&b, err, sizeof(err));
	assert_int_equal(status, 1);
	assert_int_equal(e2e_lines(err), 1);
	assert_non_null(strstr(err, "did not answer"));
	assert_int_not_equal(access(b.out, F_OK), 0);
	assert_int_not_equal(kill(display, 0), 0);
}

/* run-bench killed outright cannot reap it: the parent-death signal the
 * display process set after dropping its privileges ends it. */
static void test_vmm_killed(void **state)
{
	struct background b;
	char err[4096];
	pid_t display;
	int gone = 0;

	(void)state;
	skip_without_kvm();
	start_background(&b, "6");
	display = find_display(b.pid);
	if (!display) {
		int status = finish_background(&b, err, sizeof(err));

		if (status == 4) {
			print_message("skipped: %s", err);
			skip();
		}
		fail_msg("no display process appeared (run-bench exit %d: %s)", status, err);
	}
	assert_int_equal(kill(b.pid, SIGKILL), 0);
	assert_int_equal(finish_background(&b, err, sizeof(err)), -1);
	unlink(b.out);
	/* Reparented to init (or a subreaper), which reaps it once it dies. */
	for (int i = 0; i < 300 && !gone; i++) {
		char path[64], buf[512] = "";
		FILE *f;

		snprintf(path, sizeof(path), "/proc/%d/stat", (int)display);
		f = fopen(path, "r");
		gone = !f || !fgets(buf, sizeof(buf), f) || !strstr(buf, "(db-display") || strstr(buf, ") Z ");
		if (f)
			fclose(f);
		usleep(10000);
	}
	assert_true(gone);
}

static void test_softdirty_refused_here(void **state)
{
	struct e2e_run r;

	(void)state;
	skip_without_kvm();
	e2e_run(&r, (const char *const[]){ e2e_binary(), "softdirty", "typing", "--duration", "1",
		"--warmup", "0.3", "--res", "640x480", "--json", "-", "--quiet", NULL });
	if (r.status == 0) {
		/* A kernel with soft-dirty: then it must be correct. */
		print_message("this kernel has soft-dirty: checked it runs clean instead\n");
		assert_true(e2e_num(r.result, "dirty.frames_missed") == 0);
		e2e_run_free(&r);
		return;
	}
	assert_int_equal(r.status, 4);
	assert_int_equal(e2e_lines(r.stderr_text), 1);
	assert_non_null(strstr(r.stderr_text, "soft-dirty"));
	assert_null(r.result);
	e2e_run_free(&r);
}

static void test_refused_on_xen(void **state)
{
	static const char *const names[] = { "uffd-wp", "softdirty" };
	struct e2e_run r;

	(void)state;
	for (size_t i = 0; i < 2; i++) {
		e2e_run(&r, (const char *const[]){ e2e_binary(), "--backend", "xen", "--domain", "nosuch", names[i],
			"idle", NULL });
		assert_int_equal(r.status, 4);
		assert_int_equal(e2e_lines(r.stderr_text), 1);
		/* Built with Xen: the strategy's reason; without, the build's. */
		assert_true(strstr(r.stderr_text, "foreign mapping") || strstr(r.stderr_text, "without Xen"));
		e2e_run_free(&r);
	}
}

static void test_bad_options(void **state)
{
	static const char *const bad[] = { "order=both", "process=elsewhere", "vec=0", "vec=65537", "nosuch=1" };
	struct e2e_run r;

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		e2e_run(&r, (const char *const[]){ e2e_binary(), "uffd-wp", "idle", "--sopt", bad[i], NULL });
		assert_int_equal(r.status, 2);
		assert_int_equal(e2e_lines(r.stderr_text), 1);
		e2e_run_free(&r);
	}
}

#define MAX_CASES 64

int main(void)
{
	static const char *const sopts[] = { "order=reprotect,process=vmm", "order=scan-then-wp,process=vmm",
					     "order=reprotect,process=separate",
					     "order=scan-then-wp,process=separate" };
	static struct config configs[MAX_CASES];
	static char names[MAX_CASES][128];
	struct CMUnitTest tests[MAX_CASES + 8];
	size_t n = 0, nc = 0;

	for (size_t s = 0; s < sizeof(sopts) / sizeof(sopts[0]); s++)
		for (size_t w = 0; workload_catalog[w] && nc < MAX_CASES - 2; w++)
			if (!workload_catalog[w]->needs_file &&   /* trace: tests/e2e/test_trace.c */
			    !workload_catalog[w]->phase_names)    /* burst, mixed: tests/e2e/test_phases.c */
				configs[nc++] = (struct config){ sopts[s], workload_catalog[w]->name };
	/* A one-region result vector: every scan resumes at walk_end. */
	configs[nc++] = (struct config){ "vec=1", "scrolling" };
	configs[nc++] = (struct config){ "vec=1,order=scan-then-wp,process=separate", "sparse" };
	for (size_t i = 0; i < nc; i++) {
		snprintf(names[i], sizeof(names[i]), "uffd-wp %s %s", configs[i].sopt, configs[i].workload);
		tests[n++] = (struct CMUnitTest){ names[i], test_clean, NULL, NULL, &configs[i] };
	}
	tests[n++] = (struct CMUnitTest)cmocka_unit_test(test_display_isolated);
	tests[n++] = (struct CMUnitTest)cmocka_unit_test(test_display_killed);
	tests[n++] = (struct CMUnitTest)cmocka_unit_test(test_display_stopped);
	tests[n++] = (struct CMUnitTest)cmocka_unit_test(test_vmm_killed);
	tests[n++] = (struct CMUnitTest)cmocka_unit_test(test_softdirty_refused_here);
	tests[n++] = (struct CMUnitTest)cmocka_unit_test(test_refused_on_xen);
	tests[n++] = (struct CMUnitTest)cmocka_unit_test(test_bad_options);
	return _cmocka_run_group_tests("uffd_wp", tests, n, NULL, NULL);
}
