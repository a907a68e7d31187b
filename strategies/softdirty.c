/*
 * `softdirty`: the kernel's soft-dirty bits (CONFIG_MEM_SOFT_DIRTY), the
 * pre-6.7 way for a process to learn which of its pages were written, as
 * CRIU uses it. Writing "4" to /proc/self/clear_refs clears the bit of
 * every PTE of the process and write-protects them (and zaps KVM's
 * mappings through its MMU notifier); the first write to a page, guest
 * writes through KVM's fault path included, sets it again. Each round reads
 * VRAM's entries of /proc/self/pagemap (bit 55: PM_SOFT_DIRTY in Linux
 * fs/proc/task_mmu.c; Documentation/admin-guide/mm/soft-dirty.rst) and then
 * clears again.
 *
 * The costs are the mechanism's, not ours: clear_refs has no range, so every
 * round write-protects all of run-bench's memory (guest RAM too), and there
 * is no atomic get-and-clear: a write to a page that was clean when read,
 * landing between the read and the clear, would be lost (CRIU reads the bits
 * with the task frozen). So each round holds the vCPU out of the guest from
 * the read to the clear (backend_guest_hold), as CRIU freezes its task: the
 * guest pays a stop per round (strategy.hold_cycles_per_round), and no write is lost.
 *
 * supported() writes a page and looks for bit 55: kernels built without
 * CONFIG_MEM_SOFT_DIRTY accept clear_refs "4" and never set it. Not on Xen
 * (BACKEND_VRAM_HOST_PTES: dom0's page tables do not see a domU's writes).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "core/bitmap.h"
#include "core/clock.h"
#include "core/strategy.h"

#define PM_SOFT_DIRTY (1ull << 55)      /* Linux fs/proc/task_mmu.c */
#define CLEAR_REFS_SOFT_DIRTY "4"       /* Linux fs/proc/task_mmu.c, enum clear_refs_types */
#define PAGE_SIZE_4K 4096u

struct softdirty_priv {
	int pagemap_fd, clear_refs_fd;
	uint64_t *entries;              /* pagemap entries of VRAM's pages */
	uint64_t rounds, pages_reported, rounds_with_pages, clears;
	uint64_t hold_cycles;           /* TSC cycles the vCPU was held out of the guest */
};

static int clear_soft_dirty(int fd, char *why, size_t len)
{
	if (pwrite(fd, CLEAR_REFS_SOFT_DIRTY, 1, 0) != 1) {
		snprintf(why, len, "writing %s to /proc/self/clear_refs: %s", CLEAR_REFS_SOFT_DIRTY, strerror(errno));
		return -1;
	}
	return 0;
}

/* What the kernel's build says, when its config is where Debian puts it. */
static const char *config_says(void)
{
	static char line[128];
	struct utsname u;
	char path[300];
	FILE *f;

	if (uname(&u))
		return "";
	snprintf(path, sizeof(path), "/boot/config-%s", u.release);
	f = fopen(path, "re");
	if (!f)
		return "";
	while (fgets(line, sizeof(line), f))
		if (strstr(line, "CONFIG_MEM_SOFT_DIRTY")) {
			line[strcspn(line, "\n")] = '\0';
			fclose(f);
			return line;
		}
	fclose(f);
	return "";
}

/* On a page of a memfd mapped MAP_SHARED, like the KVM back end's VRAM. */
static bool probe_page(volatile uint8_t *page, int pagemap_fd, int clear_fd, char *why, size_t len)
{
	uint64_t entry;
	off_t off = (off_t)((uintptr_t)page / PAGE_SIZE_4K * sizeof(entry));

	page[0] = 1;
	if (clear_soft_dirty(clear_fd, why, len))
		return false;
	page[0] = 2;
	if (pread(pagemap_fd, &entry, sizeof(entry), off) != (ssize_t)sizeof(entry)) {
		snprintf(why, len, "reading /proc/self/pagemap: %s", strerror(errno));
		return false;
	}
	if (!(entry & PM_SOFT_DIRTY)) {
		const char *cfg = config_says();

		snprintf(why, len, "this kernel does not track soft-dirty pages: pagemap bit 55 stayed clear after "
			 "a write that followed clear_refs 4 (a kernel built without CONFIG_MEM_SOFT_DIRTY%s%s)",
			 cfg[0] ? "; " : "", cfg);
		return false;
	}
	return true;
}

static bool softdirty_supported(const struct backend *be, char *why, size_t len)
{
	int memfd = memfd_create("dirtybench-softdirty-probe", MFD_CLOEXEC), pagemap_fd, clear_fd;
	uint8_t *page = MAP_FAILED;
	bool ok = false;

	(void)be;
	pagemap_fd = open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC);
	clear_fd = open("/proc/self/clear_refs", O_WRONLY | O_CLOEXEC);
	if (memfd >= 0 && !ftruncate(memfd, PAGE_SIZE_4K))
		page = mmap(NULL, PAGE_SIZE_4K, PROT_READ | PROT_WRITE, MAP_SHARED, memfd, 0);
	if (pagemap_fd < 0 || clear_fd < 0)
		snprintf(why, len, "/proc/self/%s: %s", pagemap_fd < 0 ? "pagemap" : "clear_refs", strerror(errno));
	else if (page == MAP_FAILED)
		snprintf(why, len, "a memfd page for the probe: %s", strerror(errno));
	else
		ok = probe_page(page, pagemap_fd, clear_fd, why, len);
	if (page != MAP_FAILED)
		munmap(page, PAGE_SIZE_4K);
	if (memfd >= 0)
		close(memfd);
	if (pagemap_fd >= 0)
		close(pagemap_fd);
	if (clear_fd >= 0)
		close(clear_fd);
	return ok;
}

static int softdirty_init(struct strategy *s)
{
	struct softdirty_priv *p = calloc(1, sizeof(*p));

	if (!p)
		return -1;
	s->priv = p;
	p->pagemap_fd = p->clear_refs_fd = -1;
	p->entries = calloc(s->geo->pages, sizeof(uint64_t));
	if (!p->entries)
		return -1;
	s->memory_bytes = s->geo->pages * sizeof(uint64_t);
	return 0;
}

static int softdirty_start(struct strategy *s)
{
	struct softdirty_priv *p = s->priv;

	p->pagemap_fd = open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC);
	p->clear_refs_fd = open("/proc/self/clear_refs", O_WRONLY | O_CLOEXEC);
	if (p->pagemap_fd < 0 || p->clear_refs_fd < 0) {
		snprintf(s->error, sizeof(s->error), "/proc/self/%s: %s", p->pagemap_fd < 0 ? "pagemap" : "clear_refs",
			 strerror(errno));
		return -1;
	}
	p->clears++;
	return clear_soft_dirty(p->clear_refs_fd, s->error, sizeof(s->error));
}

static int softdirty_scan(struct strategy *s, struct dirty_set *out)
{
	struct softdirty_priv *p = s->priv;
	size_t bytes = s->geo->pages * sizeof(uint64_t), n = 0;
	off_t off = (off_t)((uintptr_t)s->be->vram / PAGE_SIZE_4K * sizeof(uint64_t));

	uint64_t t0 = clock_tsc();
	int ret = 0;

	if (backend_guest_hold(s->be, true))
		return -1;
	if (pread(p->pagemap_fd, p->entries, bytes, off) != (ssize_t)bytes) {
		snprintf(s->error, sizeof(s->error), "reading VRAM's pagemap entries: %s", strerror(errno));
		ret = -1;
	} else {
		p->clears++;
		ret = clear_soft_dirty(p->clear_refs_fd, s->error, sizeof(s->error));
	}
	if (backend_guest_hold(s->be, false) || ret)
		return -1;
	p->hold_cycles += clock_tsc() - t0;
	for (size_t i = 0; i < s->geo->pages; i++)
		if (p->entries[i] & PM_SOFT_DIRTY) {
			bitmap_set(out->pages, i);
			n++;
		}
	out->has_pages = true;
	p->rounds++;
	p->pages_reported += n;
	p->rounds_with_pages += n > 0;
	return 0;
}

static void softdirty_fini(struct strategy *s)
{
	struct softdirty_priv *p = s->priv;

	if (!p)
		return;
	if (p->pagemap_fd >= 0)
		close(p->pagemap_fd);
	if (p->clear_refs_fd >= 0)
		close(p->clear_refs_fd);
	free(p->entries);
	free(p);
	s->priv = NULL;
}

static void softdirty_report(struct strategy *s, json_t *obj)
{
	struct softdirty_priv *p = s->priv;

	json_object_set_new(obj, "pages_reported", json_integer((json_int_t)p->pages_reported));
	json_object_set_new(obj, "pages_per_round", p->rounds ?
			    json_real((double)p->pages_reported / (double)p->rounds) : json_null());
	json_object_set_new(obj, "rounds_with_pages", json_integer((json_int_t)p->rounds_with_pages));
	json_object_set_new(obj, "clear_refs_writes", json_integer((json_int_t)p->clears));
	json_object_set_new(obj, "hold_cycles_per_round", p->rounds ?
			    json_real((double)p->hold_cycles / (double)p->rounds) : json_null());
}

const struct strategy_ops strategy_softdirty = {
	.name = "softdirty",
	.description = "soft-dirty bits of the VMM's VRAM mapping: /proc/self/pagemap bit 55, cleared by "
		       "clear_refs 4 (whole process) each round (CONFIG_MEM_SOFT_DIRTY)",
	.needs = BACKEND_VRAM_HOST_PTES,
	.supported = softdirty_supported,
	.init = softdirty_init,
	.start = softdirty_start,
	.scan = softdirty_scan,
	.fini = softdirty_fini,
	.report = softdirty_report,
};
