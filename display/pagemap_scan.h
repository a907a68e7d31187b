/*
 * Write tracking of one mapping through the kernel's page tables, for a
 * process that has no VM descriptor: userfaultfd's asynchronous
 * write-protection (Linux 6.7) read with the PAGEMAP_SCAN ioctl of a
 * pagemap file. Used in run-bench by the uffd-wp strategy and, with the
 * descriptors handed over, in the display process (display/main.c).
 *
 * Debian 12's headers are Linux 6.1's: the 6.7 definitions below are
 * copied behind #ifndef from Linux 6.7 include/uapi/linux/fs.h (PAGEMAP_SCAN,
 * struct pm_scan_arg, struct page_region, PAGE_IS_*, PM_SCAN_*) and
 * include/uapi/linux/userfaultfd.h (UFFD_FEATURE_WP_ASYNC).
 */
#ifndef DIRTYBENCH_PAGEMAP_SCAN_H
#define DIRTYBENCH_PAGEMAP_SCAN_H

#include <linux/fs.h>
#include <linux/types.h>
#include <linux/userfaultfd.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifndef PAGEMAP_SCAN
#define PAGE_IS_WPALLOWED	(1 << 0)
#define PAGE_IS_WRITTEN		(1 << 1)
#define PAGE_IS_FILE		(1 << 2)
#define PAGE_IS_PRESENT		(1 << 3)
#define PAGE_IS_SWAPPED		(1 << 4)
#define PAGE_IS_PFNZERO		(1 << 5)
#define PAGE_IS_HUGE		(1 << 6)
#define PAGE_IS_SOFT_DIRTY	(1 << 7)

struct page_region {
	__u64 start;
	__u64 end;
	__u64 categories;
};

#define PM_SCAN_WP_MATCHING	(1 << 0)
#define PM_SCAN_CHECK_WPASYNC	(1 << 1)

struct pm_scan_arg {
	__u64 size;
	__u64 flags;
	__u64 start;
	__u64 end;
	__u64 walk_end;
	__u64 vec;
	__u64 vec_len;
	__u64 max_pages;
	__u64 category_inverted;
	__u64 category_mask;
	__u64 category_anyof_mask;
	__u64 return_mask;
};

#define PAGEMAP_SCAN	_IOWR('f', 16, struct pm_scan_arg)
#endif

#ifndef UFFD_FEATURE_WP_ASYNC
#define UFFD_FEATURE_WP_ASYNC	(1 << 15)
#endif

#define PMS_PAGE_SIZE 4096u

/* Pages [first, first + count) of the tracked mapping. */
struct pms_range {
	uint32_t first, count;
};

/* One tracked mapping: [base, base + pages * 4 KiB) of the process whose
 * pagemap is open in pagemap_fd (our own, or the VMM's handed to us). */
struct pms_tracker {
	int pagemap_fd;
	uint64_t base;
	size_t pages;
	struct page_region *vec;        /* the kernel's result vector */
	size_t vec_len;
	struct pms_range *ranges;       /* the last scan's ranges, merged */
	size_t nranges, ranges_cap;
	uint64_t ioctls;                /* PAGEMAP_SCAN calls made */
	uint64_t vec_full;              /* calls that filled the vector (walk resumed) */
	char error[200];
};

int pms_tracker_init(struct pms_tracker *t, int pagemap_fd, uint64_t base, size_t pages, size_t vec_len);
void pms_tracker_fini(struct pms_tracker *t);
/* The pages written since they were last protected, into t->ranges.
 * reprotect: write-protect them again in the same walk
 * (PM_SCAN_WP_MATCHING). -1 with t->error (errno kept). */
int pms_scan(struct pms_tracker *t, bool reprotect);
/* Write-protect exactly t->ranges again through the userfaultfd. */
int pms_writeprotect_ranges(struct pms_tracker *t, int uffd);

/* userfaultfd with UFFD_FEATURE_WP_ASYNC, [addr, addr + len) registered
 * with UFFDIO_REGISTER_MODE_WP. The descriptor, or -1 with why and
 * *unsupported true when this host cannot do it (no permission, a kernel
 * before 6.7) rather than a failure of ours. */
int pms_uffd_arm(void *addr, size_t len, char *why, size_t whylen, bool *unsupported);

/* Can this kernel and this process track writes this way? Probed for real
 * on a page of a memfd mapped MAP_SHARED, like the KVM back end's VRAM:
 * arm, scan, write, scan; true, or false with the kernel's reason. */
bool pms_probe(char *why, size_t len);

#endif
