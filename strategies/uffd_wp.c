/*
 * `uffd-wp`: the kernel's own write tracking of the VMM's VRAM mapping, the
 * one way a process without a VM descriptor can learn what the guest wrote.
 * run-bench registers its mapping of VRAM (be->vram, a memfd mapped
 * MAP_SHARED by backends/kvm/kvm_vm.c) once with UFFDIO_REGISTER_MODE_WP on
 * a userfaultfd with UFFD_FEATURE_WP_ASYNC, and keeps the userfaultfd open
 * (closing it unregisters the range: later scans fail with EPERM). A guest
 * write reaches the host PTE through KVM's fault path (KVM maps only what
 * the host PTE allows; write-protecting a PTE zaps KVM's mapping through
 * its MMU notifier), and the kernel clears the PTE's uffd-wp bit without
 * any handler. Each round, PAGEMAP_SCAN on a pagemap descriptor lists the
 * pages whose bit is clear (PAGE_IS_WRITTEN). Linux 6.7; display/pagemap_scan.c.
 *
 * order=reprotect     one PAGEMAP_SCAN with PM_SCAN_WP_MATCHING reports and
 *                     protects again in one walk. It invalidates KVM's
 *                     mappings of the whole range walked, written or not,
 *                     so every guest *read* of VRAM faults again next round.
 * order=scan-then-wp  PAGEMAP_SCAN without protecting, then
 *                     UFFDIO_WRITEPROTECT on the reported ranges only: the
 *                     pages not written keep KVM's mappings. A consumer
 *                     copies a page after it is protected again, so a write
 *                     between the scan and the protection is in its copy or
 *                     in the next round.
 * process=vmm         the scans run in run-bench's scan thread.
 * process=separate    they run in db-display (display/main.c), a process of
 *                     its own address space, no KVM descriptor, privileges
 *                     dropped, given the pagemap descriptor (and the
 *                     userfaultfd for scan-then-wp) over a unix socket.
 *                     run-bench only registers VRAM and asks per round.
 *
 * Not on Xen: dom0's foreign mapping of the domU's VRAM is not what the
 * domU writes through, so dom0's page tables never see those writes
 * (BACKEND_VRAM_HOST_PTES).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/bitmap.h"
#include "core/strategy.h"
#include "display/link.h"
#include "display/pagemap_scan.h"

enum { PROCESS_VMM, PROCESS_SEPARATE };

struct uffd_priv {
	int uffd, pagemap_fd;
	enum display_order order;
	bool separate;
	struct pms_tracker tracker;     /* process=vmm */
	struct display_link link;       /* process=separate */
	uint64_t rounds, pages_reported, rounds_with_pages, wp_calls;
};

static const char *const order_values[] = { "reprotect", "scan-then-wp", NULL };
static const char *const process_values[] = { "vmm", "separate", NULL };

static const struct strategy_option_spec uffd_options[] = {
	{ "order", STRATEGY_OPT_ENUM, "reprotect", 0, 0, order_values,
	  "reprotect: PAGEMAP_SCAN with PM_SCAN_WP_MATCHING; scan-then-wp: PAGEMAP_SCAN, then "
	  "UFFDIO_WRITEPROTECT on the ranges it reported only" },
	{ "process", STRATEGY_OPT_ENUM, "vmm", 0, 0, process_values,
	  "vmm: scan in run-bench; separate: in the display process db-display (own address space, "
	  "no KVM descriptor, unprivileged), handed the pagemap descriptor over a unix socket" },
	{ "vec", STRATEGY_OPT_INT, "512", 1, 65536, NULL,
	  "regions in PAGEMAP_SCAN's result vector; a full vector resumes the walk at walk_end" },
	{ NULL, 0, NULL, 0, 0, NULL, NULL },
};

static bool uffd_supported(const struct backend *be, char *why, size_t len)
{
	(void)be;
	return pms_probe(why, len);
}

static int uffd_init(struct strategy *s)
{
	struct uffd_priv *p = calloc(1, sizeof(*p));

	if (!p)
		return -1;
	s->priv = p;
	p->uffd = p->pagemap_fd = -1;
	p->order = (enum display_order)strategy_opt_int(s, "order");
	p->separate = strategy_opt_int(s, "process") == PROCESS_SEPARATE;
	display_link_init(&p->link);
	if (pms_tracker_init(&p->tracker, -1, (uintptr_t)s->be->vram, s->geo->pages,
			     (size_t)strategy_opt_int(s, "vec"))) {
		snprintf(s->error, sizeof(s->error), "%s", p->tracker.error);
		return -1;
	}
	s->memory_bytes = p->tracker.vec_len * sizeof(struct page_region) +
			  p->tracker.ranges_cap * sizeof(struct pms_range);
	return 0;
}

/* Register VRAM, open our pagemap, and arm: the first scan reports every
 * page (none was protected yet), so it protects them and is dropped. */
static int uffd_start(struct strategy *s)
{
	struct uffd_priv *p = s->priv;
	bool unsupported;

	p->uffd = pms_uffd_arm(s->be->vram, s->be->vram_slot_pages * PMS_PAGE_SIZE, s->error,
			       sizeof(s->error), &unsupported);
	if (p->uffd < 0)
		return -1;
	p->pagemap_fd = open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC);
	if (p->pagemap_fd < 0) {
		snprintf(s->error, sizeof(s->error), "/proc/self/pagemap: %s", strerror(errno));
		return -1;
	}
	if (p->separate) {
		if (display_link_start(&p->link, p->pagemap_fd, p->uffd, p->order, (uintptr_t)s->be->vram,
				       s->geo->pages, p->tracker.vec_len)) {
			snprintf(s->error, sizeof(s->error), "%s", p->link.error);
			return -1;
		}
		return 0;
	}
	p->tracker.pagemap_fd = p->pagemap_fd;
	if (pms_scan(&p->tracker, true)) {
		snprintf(s->error, sizeof(s->error), "arming: %s", p->tracker.error);
		return -1;
	}
	return 0;
}

static long scan_in_vmm(struct strategy *s, struct uffd_priv *p, uint64_t *pages)
{
	struct pms_tracker *t = &p->tracker;
	long set = 0;

	if (pms_scan(t, p->order == DISPLAY_ORDER_REPROTECT) ||
	    (p->order == DISPLAY_ORDER_SCAN_THEN_WP && pms_writeprotect_ranges(t, p->uffd))) {
		snprintf(s->error, sizeof(s->error), "%s", t->error);
		return -1;
	}
	if (p->order == DISPLAY_ORDER_SCAN_THEN_WP)
		p->wp_calls += t->nranges;
	for (size_t i = 0; i < t->nranges; i++) {
		bitmap_set_range(pages, t->ranges[i].first, t->ranges[i].count);
		set += t->ranges[i].count;
	}
	return set;
}

static int uffd_scan(struct strategy *s, struct dirty_set *out)
{
	struct uffd_priv *p = s->priv;
	long n;

	if (p->separate) {
		n = display_link_scan(&p->link, out->pages, s->geo->pages);
		if (n < 0)
			snprintf(s->error, sizeof(s->error), "%s", p->link.error);
	} else {
		n = scan_in_vmm(s, p, out->pages);
	}
	if (n < 0)
		return -1;
	out->has_pages = true;
	p->rounds++;
	p->pages_reported += (uint64_t)n;
	p->rounds_with_pages += n > 0;
	return 0;
}

static void uffd_stop(struct strategy *s)
{
	struct uffd_priv *p = s->priv;

	if (p)
		display_link_stop(&p->link);
}

static void uffd_fini(struct strategy *s)
{
	struct uffd_priv *p = s->priv;

	if (!p)
		return;
	display_link_stop(&p->link);    /* a failed start leaves one to reap */
	pms_tracker_fini(&p->tracker);
	if (p->pagemap_fd >= 0)
		close(p->pagemap_fd);
	if (p->uffd >= 0)
		close(p->uffd);         /* unregisters VRAM: tracking ends */
	free(p);
	s->priv = NULL;
}

static json_t *display_block(struct uffd_priv *p)
{
	struct display_link *l = &p->link;
	double cpu_s = display_link_cpu_s(l);

	return json_pack("{s:i, s:s, s:i, s:i, s:b, s:o, s:f, s:o, s:I, s:I, s:I}",
			 "pid", (int)l->started_pid, "exe", l->exe, "uid", (int)l->uid, "gid", (int)l->gid,
			 "no_new_privs", l->no_new_privs,
			 "cpu_s", cpu_s >= 0 ? json_real(cpu_s) : json_null(),
			 "scan_cpu_s", (double)l->cpu_ns / 1e9,
			 "scan_cpu_us_per_round", l->rounds ? json_real((double)l->cpu_ns / 1e3 / (double)l->rounds)
							    : json_null(),
			 "pagemap_scan_calls", (json_int_t)l->ioctls, "vec_full_calls", (json_int_t)l->vec_full,
			 "writeprotect_calls", (json_int_t)l->wp_calls);
}

static void uffd_report(struct strategy *s, json_t *obj)
{
	struct uffd_priv *p = s->priv;
	const char *scanner = p->separate ? "db-display" : "run-bench";

	json_object_set_new(obj, "order", json_string(order_values[p->order]));
	json_object_set_new(obj, "process", json_string(process_values[p->separate]));
	/* Which process did what: the VMM always owns the registration. */
	json_object_set_new(obj, "work", json_pack("{s:s, s:s, s:s}", "register", "run-bench",
						   "scan", scanner,
						   "writeprotect", scanner));
	json_object_set_new(obj, "vec_len", json_integer((json_int_t)p->tracker.vec_len));
	json_object_set_new(obj, "pages_reported", json_integer((json_int_t)p->pages_reported));
	json_object_set_new(obj, "pages_per_round", p->rounds ?
			    json_real((double)p->pages_reported / (double)p->rounds) : json_null());
	json_object_set_new(obj, "rounds_with_pages", json_integer((json_int_t)p->rounds_with_pages));
	if (p->separate) {
		json_object_set_new(obj, "display", display_block(p));
	} else {
		json_object_set_new(obj, "pagemap_scan_calls", json_integer((json_int_t)p->tracker.ioctls));
		json_object_set_new(obj, "vec_full_calls", json_integer((json_int_t)p->tracker.vec_full));
		json_object_set_new(obj, "writeprotect_calls", json_integer((json_int_t)p->wp_calls));
	}
}

const struct strategy_ops strategy_uffd_wp = {
	.name = "uffd-wp",
	.description = "userfaultfd async write-protection of the VMM's VRAM mapping read with PAGEMAP_SCAN "
		       "(Linux 6.7), in run-bench or in a separate unprivileged display process",
	.needs = BACKEND_VRAM_HOST_PTES,
	.supported = uffd_supported,
	.init = uffd_init,
	.start = uffd_start,
	.scan = uffd_scan,
	.stop = uffd_stop,
	.fini = uffd_fini,
	.options = uffd_options,
	.report = uffd_report,
};
