/*
 * display/pagemap_scan.c against the real kernel (no VM): the pitfalls
 * uffd-wp is built around. The first scan reports every page; a write after
 * a re-protecting scan is reported once; scan-then-wp reports without
 * protecting until UFFDIO_WRITEPROTECT; a one-region vector resumes at
 * walk_end and still finds every range; closing the userfaultfd makes the
 * next scan fail (EPERM, named); without permission the probe says so.
 * Skipped with the kernel's reason where PAGEMAP_SCAN or WP_ASYNC is absent.
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#include "display/pagemap_scan.h"

#define PAGES 64

struct fixture {
	uint8_t *map;
	int uffd, pagemap_fd;
	struct pms_tracker t;
};

static int setup(void **state)
{
	static struct fixture f;
	char why[200];
	bool unsupported;
	int memfd;

	if (!pms_probe(why, sizeof(why))) {
		print_message("skipped: %s\n", why);
		*state = NULL;
		return 0;
	}
	memfd = memfd_create("test-pagemap-scan", MFD_CLOEXEC);
	assert_true(memfd >= 0);
	assert_int_equal(ftruncate(memfd, PAGES * PMS_PAGE_SIZE), 0);
	f.map = mmap(NULL, PAGES * PMS_PAGE_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, memfd, 0);
	close(memfd);
	assert_true(f.map != MAP_FAILED);
	f.uffd = pms_uffd_arm(f.map, PAGES * PMS_PAGE_SIZE, why, sizeof(why), &unsupported);
	assert_true(f.uffd >= 0);
	f.pagemap_fd = open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC);
	assert_true(f.pagemap_fd >= 0);
	assert_int_equal(pms_tracker_init(&f.t, f.pagemap_fd, (uintptr_t)f.map, PAGES, 1), 0);
	*state = &f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	if (!f)
		return 0;
	pms_tracker_fini(&f->t);
	if (f->uffd >= 0)
		close(f->uffd);
	close(f->pagemap_fd);
	munmap(f->map, PAGES * PMS_PAGE_SIZE);
	return 0;
}

static struct fixture *fixture_or_skip(void **state)
{
	if (!*state)
		skip();
	return *state;
}

static size_t pages_in(const struct pms_tracker *t)
{
	size_t n = 0;

	for (size_t i = 0; i < t->nranges; i++)
		n += t->ranges[i].count;
	return n;
}

static void test_first_scan_reports_every_page(void **state)
{
	struct fixture *f = fixture_or_skip(state);

	for (size_t i = 0; i < PAGES; i++)
		f->map[i * PMS_PAGE_SIZE] = 1;  /* present, never protected */
	assert_int_equal(pms_scan(&f->t, true), 0);
	assert_int_equal(pages_in(&f->t), PAGES);
	assert_int_equal(f->t.nranges, 1);
	assert_int_equal(pms_scan(&f->t, true), 0);     /* armed: nothing since */
	assert_int_equal(f->t.nranges, 0);
}

/* Every other page: 8 ranges through a one-region vector, so the walk is
 * resumed at walk_end seven times and must still find all of them. */
static void test_walk_resumes_with_a_full_vector(void **state)
{
	struct fixture *f = fixture_or_skip(state);
	uint64_t full0;

	assert_int_equal(pms_scan(&f->t, true), 0);
	for (size_t i = 0; i < 16; i += 2)
		f->map[(10 + i) * PMS_PAGE_SIZE + 5] = 2;
	full0 = f->t.vec_full;
	assert_int_equal(pms_scan(&f->t, true), 0);
	assert_int_equal(f->t.nranges, 8);
	for (size_t i = 0; i < 8; i++) {
		assert_int_equal(f->t.ranges[i].first, 10 + 2 * i);
		assert_int_equal(f->t.ranges[i].count, 1);
	}
	assert_true(f->t.vec_full - full0 >= 7);
	assert_int_equal(pms_scan(&f->t, true), 0);
	assert_int_equal(f->t.nranges, 0);
}

static void test_scan_then_writeprotect(void **state)
{
	struct fixture *f = fixture_or_skip(state);

	assert_int_equal(pms_scan(&f->t, true), 0);
	f->map[3 * PMS_PAGE_SIZE] = 3;
	f->map[4 * PMS_PAGE_SIZE] = 3;
	assert_int_equal(pms_scan(&f->t, false), 0);
	assert_int_equal(f->t.nranges, 1);
	assert_int_equal(f->t.ranges[0].first, 3);
	assert_int_equal(f->t.ranges[0].count, 2);
	/* Not protected by that scan: still written. */
	assert_int_equal(pms_scan(&f->t, false), 0);
	assert_int_equal(pages_in(&f->t), 2);
	assert_int_equal(pms_writeprotect_ranges(&f->t, f->uffd), 0);
	assert_int_equal(pms_scan(&f->t, false), 0);
	assert_int_equal(f->t.nranges, 0);
	f->map[4 * PMS_PAGE_SIZE] = 4;  /* protected again: seen again */
	assert_int_equal(pms_scan(&f->t, false), 0);
	assert_int_equal(pages_in(&f->t), 1);
	assert_int_equal(f->t.ranges[0].first, 4);
}

/* Closing the userfaultfd unregisters the range: the next scan must fail
 * and say why, never report "nothing written". Runs last. */
static void test_closed_uffd_fails_the_scan(void **state)
{
	struct fixture *f = fixture_or_skip(state);

	close(f->uffd);
	f->uffd = -1;
	f->map[0] = 9;
	assert_int_equal(pms_scan(&f->t, true), -1);
	assert_int_equal(errno, EPERM);
	assert_non_null(strstr(f->t.error, "userfaultfd was closed"));
}

/* As nobody with vm.unprivileged_userfaultfd=0, the probe refuses and says
 * why; with the sysctl at 1 it passes. Needs root to become nobody. */
static void test_probe_without_permission(void **state)
{
	char sysctl = '?';
	int fd = open("/proc/sys/vm/unprivileged_userfaultfd", O_RDONLY), st, pipefd[2];
	char why[200] = "";
	ssize_t n;
	pid_t pid;

	(void)state;
	if (geteuid() != 0 || fd < 0 || read(fd, &sysctl, 1) != 1) {
		print_message("skipped: needs root and vm.unprivileged_userfaultfd\n");
		if (fd >= 0)
			close(fd);
		skip();
	}
	close(fd);
	assert_int_equal(pipe(pipefd), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		bool ok;

		close(pipefd[0]);
		/* Dumpable again, as a user who started as nobody would be: else
		 * /proc/self is root's and pagemap cannot be opened at all. */
		if (setresgid(65534, 65534, 65534) || setresuid(65534, 65534, 65534) ||
		    prctl(PR_SET_DUMPABLE, 1, 0, 0, 0))
			_exit(3);
		ok = pms_probe(why, sizeof(why));
		if (write(pipefd[1], why, strlen(why)) < 0)
			_exit(4);
		_exit(ok ? 0 : 1);
	}
	close(pipefd[1]);
	n = read(pipefd[0], why, sizeof(why) - 1);
	why[n > 0 ? n : 0] = '\0';
	close(pipefd[0]);
	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_true(WIFEXITED(st));
	if (sysctl == '0') {
		assert_int_equal(WEXITSTATUS(st), 1);
		if (!strstr(why, "not permitted"))
			fail_msg("probe as nobody: %s", why);
	} else {
		assert_int_equal(WEXITSTATUS(st), 0);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_first_scan_reports_every_page),
		cmocka_unit_test(test_walk_resumes_with_a_full_vector),
		cmocka_unit_test(test_scan_then_writeprotect),
		cmocka_unit_test(test_closed_uffd_fails_the_scan),
	};
	const struct CMUnitTest alone[] = {
		cmocka_unit_test(test_probe_without_permission),
	};

	return cmocka_run_group_tests(tests, setup, teardown) | cmocka_run_group_tests(alone, NULL, NULL);
}
