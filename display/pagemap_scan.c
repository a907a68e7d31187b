/*
 * userfaultfd asynchronous write-protection read through PAGEMAP_SCAN
 * (display/pagemap_scan.h). The kernel's rules this follows, from Linux
 * 6.7 Documentation/admin-guide/mm/pagemap.rst and fs/proc/task_mmu.c
 * (do_pagemap_scan):
 *  - a page is PAGE_IS_WRITTEN when its PTE lacks the uffd-wp bit; a page
 *    never protected counts as written, so the first scan reports every
 *    page (callers arm with one re-protecting scan);
 *  - the result vector holds at most vec_len regions; when it fills, the
 *    walk stops and walk_end says where. With many regions walk_end can be
 *    stale, so only a full vector means "go on from walk_end": fewer
 *    results than vec_len means the walk is complete;
 *  - PM_SCAN_CHECK_WPASYNC fails the call with EPERM on a page without
 *    async write-protection: the userfaultfd was closed (which unregisters
 *    the range) and tracking is gone.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "display/pagemap_scan.h"

/* Linux 6.1 include/uapi/linux/userfaultfd.h: /dev/userfaultfd's ioctl,
 * the way in when vm.unprivileged_userfaultfd forbids the syscall to a
 * user who may open the device. */
#ifndef USERFAULTFD_IOC_NEW
#define USERFAULTFD_IOC_NEW _IO(0xAA, 0x00)
#endif

int pms_tracker_init(struct pms_tracker *t, int pagemap_fd, uint64_t base, size_t pages, size_t vec_len)
{
	memset(t, 0, sizeof(*t));
	t->pagemap_fd = pagemap_fd;
	t->base = base;
	t->pages = pages;
	t->vec_len = vec_len;
	/* At most every other page starts a region: no more ranges than that. */
	t->ranges_cap = pages / 2 + 1;
	t->vec = calloc(vec_len, sizeof(*t->vec));
	t->ranges = calloc(t->ranges_cap, sizeof(*t->ranges));
	if (!t->vec || !t->ranges) {
		snprintf(t->error, sizeof(t->error), "out of memory");
		return -1;
	}
	return 0;
}

void pms_tracker_fini(struct pms_tracker *t)
{
	free(t->vec);
	free(t->ranges);
	t->vec = NULL;
	t->ranges = NULL;
}

/* Append [first, first + count), merging with the last range when they touch
 * (two ioctls of one walk may split a region at walk_end). */
static int add_range(struct pms_tracker *t, uint64_t first, uint64_t count)
{
	struct pms_range *last = t->nranges ? &t->ranges[t->nranges - 1] : NULL;

	if (first + count > t->pages) {
		snprintf(t->error, sizeof(t->error), "PAGEMAP_SCAN returned pages %llu..%llu outside the %zu tracked",
			 (unsigned long long)first, (unsigned long long)(first + count), t->pages);
		return -1;
	}
	if (last && last->first + last->count == first) {
		last->count += (uint32_t)count;
		return 0;
	}
	if (t->nranges == t->ranges_cap) {
		snprintf(t->error, sizeof(t->error), "PAGEMAP_SCAN returned overlapping or unordered regions");
		return -1;
	}
	t->ranges[t->nranges++] = (struct pms_range){ (uint32_t)first, (uint32_t)count };
	return 0;
}

static const char *scan_errno_reason(int err)
{
	switch (err) {
	case ENOTTY:
		return "this kernel has no PAGEMAP_SCAN ioctl (Linux 6.7)";
	case EPERM:
		return "a page without userfaultfd async write-protection (the userfaultfd was closed?)";
	default:
		return strerror(err);
	}
}

int pms_scan(struct pms_tracker *t, bool reprotect)
{
	uint64_t start = t->base, end = t->base + (uint64_t)t->pages * PMS_PAGE_SIZE;

	t->nranges = 0;
	while (start < end) {
		struct pm_scan_arg arg = {
			.size = sizeof(arg),
			.flags = PM_SCAN_CHECK_WPASYNC | (reprotect ? PM_SCAN_WP_MATCHING : 0),
			.start = start, .end = end,
			.vec = (uintptr_t)t->vec, .vec_len = t->vec_len,
			.category_mask = PAGE_IS_WRITTEN, .return_mask = PAGE_IS_WRITTEN,
		};
		long n = ioctl(t->pagemap_fd, PAGEMAP_SCAN, &arg);

		t->ioctls++;
		if (n < 0) {
			int err = errno;

			snprintf(t->error, sizeof(t->error), "PAGEMAP_SCAN: %s", scan_errno_reason(err));
			errno = err;
			return -1;
		}
		for (long i = 0; i < n; i++)
			if (add_range(t, (t->vec[i].start - t->base) / PMS_PAGE_SIZE,
				      (t->vec[i].end - t->vec[i].start) / PMS_PAGE_SIZE))
				return -1;
		if ((size_t)n < t->vec_len)
			break;          /* complete, whatever walk_end says */
		t->vec_full++;
		if (arg.walk_end <= start) {
			snprintf(t->error, sizeof(t->error), "PAGEMAP_SCAN filled its vector without progress");
			return -1;
		}
		start = arg.walk_end;
	}
	return 0;
}

int pms_writeprotect_ranges(struct pms_tracker *t, int uffd)
{
	for (size_t i = 0; i < t->nranges; i++) {
		struct uffdio_writeprotect wp = {
			.range = { .start = t->base + (uint64_t)t->ranges[i].first * PMS_PAGE_SIZE,
				   .len = (uint64_t)t->ranges[i].count * PMS_PAGE_SIZE },
			.mode = UFFDIO_WRITEPROTECT_MODE_WP,
		};

		if (ioctl(uffd, UFFDIO_WRITEPROTECT, &wp)) {
			snprintf(t->error, sizeof(t->error), "UFFDIO_WRITEPROTECT: %s", strerror(errno));
			return -1;
		}
	}
	return 0;
}

/* The syscall, or /dev/userfaultfd when the sysctl forbids the syscall. */
static int uffd_open(char *why, size_t len)
{
	int fd = (int)syscall(SYS_userfaultfd, O_CLOEXEC | O_NONBLOCK), err, dev;

	if (fd >= 0)
		return fd;
	err = errno;
	dev = open("/dev/userfaultfd", O_RDWR | O_CLOEXEC);
	if (dev >= 0) {
		fd = ioctl(dev, USERFAULTFD_IOC_NEW, O_CLOEXEC | O_NONBLOCK);
		close(dev);
		if (fd >= 0)
			return fd;
	}
	if (err == EPERM)
		snprintf(why, len, "userfaultfd: not permitted (vm.unprivileged_userfaultfd=0 and no CAP_SYS_PTRACE, "
			 "nor access to /dev/userfaultfd; or a container's seccomp filter)");
	else if (err == ENOSYS)
		snprintf(why, len, "userfaultfd: this kernel has no userfaultfd (CONFIG_USERFAULTFD)");
	else
		snprintf(why, len, "userfaultfd: %s", strerror(err));
	return -1;
}

int pms_uffd_arm(void *addr, size_t len, char *why, size_t whylen, bool *unsupported)
{
	struct uffdio_api api = { .api = UFFD_API, .features = UFFD_FEATURE_WP_ASYNC };
	struct uffdio_register reg = {
		.range = { .start = (uintptr_t)addr, .len = len },
		.mode = UFFDIO_REGISTER_MODE_WP,
	};
	int fd = uffd_open(why, whylen);

	*unsupported = true;
	if (fd < 0)
		return -1;
	if (ioctl(fd, UFFDIO_API, &api) || !(api.features & UFFD_FEATURE_WP_ASYNC)) {
		snprintf(why, whylen, "userfaultfd: this kernel lacks UFFD_FEATURE_WP_ASYNC (Linux 6.7): UFFDIO_API: %s",
			 strerror(errno));
		close(fd);
		return -1;
	}
	if (ioctl(fd, UFFDIO_REGISTER, &reg)) {
		*unsupported = errno == EINVAL;
		snprintf(why, whylen, "UFFDIO_REGISTER_MODE_WP on VRAM's mapping: %s", strerror(errno));
		close(fd);
		return -1;
	}
	*unsupported = false;
	return fd;
}

/* The probe's page: arm, protect, write, and see the write. */
static bool probe_page(uint8_t *page, int pagemap_fd, char *why, size_t len)
{
	struct pms_tracker t;
	bool unsupported, ok = false;
	int uffd = pms_uffd_arm(page, PMS_PAGE_SIZE, why, len, &unsupported);

	if (uffd < 0)
		return false;
	if (pms_tracker_init(&t, pagemap_fd, (uintptr_t)page, 1, 4)) {
		snprintf(why, len, "%s", t.error);
		close(uffd);
		return false;
	}
	if (pms_scan(&t, true)) {
		snprintf(why, len, "%s", t.error);
	} else {
		page[0] = 1;
		if (pms_scan(&t, true))
			snprintf(why, len, "%s", t.error);
		else if (t.nranges != 1)
			snprintf(why, len, "PAGEMAP_SCAN did not report a page written after write-protecting it");
		else
			ok = true;
	}
	pms_tracker_fini(&t);
	close(uffd);
	return ok;
}

bool pms_probe(char *why, size_t len)
{
	int memfd = memfd_create("dirtybench-uffd-probe", MFD_CLOEXEC), pagemap_fd;
	uint8_t *page;
	bool ok;

	if (memfd < 0 || ftruncate(memfd, PMS_PAGE_SIZE)) {
		snprintf(why, len, "memfd for the probe: %s", strerror(errno));
		if (memfd >= 0)
			close(memfd);
		return false;
	}
	page = mmap(NULL, PMS_PAGE_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, memfd, 0);
	close(memfd);
	if (page == MAP_FAILED) {
		snprintf(why, len, "mmap for the probe: %s", strerror(errno));
		return false;
	}
	pagemap_fd = open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC);
	if (pagemap_fd < 0) {
		snprintf(why, len, "/proc/self/pagemap: %s", strerror(errno));
		munmap(page, PMS_PAGE_SIZE);
		return false;
	}
	ok = probe_page(page, pagemap_fd, why, len);
	close(pagemap_fd);
	munmap(page, PMS_PAGE_SIZE);
	return ok;
}
