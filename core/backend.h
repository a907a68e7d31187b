/*
 * A back end runs the guest and gives strategies what they need from the
 * hypervisor: a host view of VRAM, guest memory for page-table walks, and the
 * hypervisor's dirty tracking. KVM (bench/kvm_*.c) is the default; Xen joins
 * behind the same table. Strategies never call a back end's hooks directly.
 */
#ifndef DIRTYBENCH_BACKEND_H
#define DIRTYBENCH_BACKEND_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/fbgeom.h"
#include "include/protocol.h"

/* What a strategy asks of the back end; the back end says what it offers. */
enum backend_feature {
	BACKEND_DIRTY_LOG        = 1u << 0, /* get-and-reprotect dirty log of VRAM */
	BACKEND_DIRTY_LOG_MANUAL = 1u << 1, /* get, then clear/reprotect separately */
	BACKEND_DIRTY_RING       = 1u << 2, /* per-vCPU ring of dirtied GFNs */
	BACKEND_GUEST_PAGETABLES = 1u << 3, /* host access to guest page tables */
	BACKEND_VRAM_INVALIDATE  = 1u << 4, /* drop hypervisor mappings of VRAM */
	BACKEND_PV_PAGE          = 1u << 5, /* page shared with the guest */
	BACKEND_GUEST_TLB_FLUSH  = 1u << 6, /* force a guest TLB flush from the host */
	BACKEND_VRAM_WRITE_TRAP  = 1u << 7, /* write-protect VRAM, learn of the first write */
	BACKEND_GUEST_EVENTS     = 1u << 8, /* wake a sleeping guest; wait for its notification */
	/* The guest's VRAM writes go through this process's own page tables of
	 * be->vram (a VMM's mapping), so the kernel's per-process write
	 * tracking (userfaultfd write-protect, soft-dirty) sees them. */
	BACKEND_VRAM_HOST_PTES   = 1u << 9,
	BACKEND_DOORBELL         = 1u << 10, /* a pollable fd the guest's DB_UCALL_DOORBELL signals */
};

struct backend;

struct backend_ops {
	const char *name;
	unsigned features;
	/* The calls behind dirty_log_*, for the result: [0] get-and-reprotect,
	 * [1] manual (fetch, then clear). */
	const char *dirty_log_api[2];
	int (*dirty_log_start)(struct backend *be, bool manual);
	int (*dirty_log_stop)(struct backend *be);
	/* Fill pages (one bit per VRAM page). Non-manual: also re-protects. */
	int (*dirty_log_fetch)(struct backend *be, uint64_t *pages);
	/* Manual mode: re-protect exactly the pages given. */
	int (*dirty_log_clear)(struct backend *be, const uint64_t *pages);
	/* Dirty ring: OR the VRAM page of every entry published since the last
	 * harvest into pages (one bit per slot page), and hand the entries back
	 * for reset. Returns the entries harvested, or -1. Callers serialise. */
	long (*dirty_ring_harvest)(struct backend *be, uint64_t *pages);
	/* Recycle harvested entries and write-protect their pages again. */
	int (*dirty_ring_reset)(struct backend *be);
	/* Pointer to guest physical memory [gpa, gpa + len), or NULL. */
	void *(*guest_ptr)(struct backend *be, uint64_t gpa, size_t len);
	/* Drop the hypervisor's mappings of VRAM pages [first, first + n). */
	int (*vram_invalidate)(struct backend *be, size_t first, size_t n);
	/* The same by write-protecting the host mapping of those pages and
	 * lifting it again at once (mprotect twice): the hypervisor's mappings go
	 * (MMU notifier), the host's page table entries and pages stay. */
	int (*vram_reprotect)(struct backend *be, size_t first, size_t n);
	/* on: stop the guest's vCPU now (out of the guest, wherever it is) and
	 * keep it stopped until called with off: for a strategy whose hypervisor
	 * call has no atomic get-and-clear (softdirty). */
	int (*guest_hold)(struct backend *be, bool on);
	/* Make the guest re-walk its page tables (reload CR3) before returning. */
	int (*guest_tlb_flush)(struct backend *be);
	/* Write-protect all of VRAM (on) or lift it; while on, the guest's first
	 * write lifts it and sets be->vram_write_seen. */
	int (*vram_write_protect)(struct backend *be, bool on);
	/* An event channel of sorts, for PV protocols: wake the guest if it is
	 * sleeping so it looks at its shared page (does not wait), and wait up to
	 * timeout_us for a notification from it (DB_UCALL_NOTIFY): 1 notified,
	 * 0 timed out, -1 error. A notification nobody waited for stays pending. */
	int (*guest_kick)(struct backend *be);
	int (*guest_wait_notify)(struct backend *be, long timeout_us);
	/* The doorbell (DB_UCALL_DOORBELL, any queue): an eventfd-like fd that
	 * polls readable after a ring and is drained by reading 8 bytes (the
	 * count of rings since the last read). Owned by the back end. Separate
	 * from guest_wait_notify's, so pvbitmap's synchronous wait never eats
	 * a doorbell, nor a doorbell round its answer. -1 with be->error. */
	int (*doorbell_fd)(struct backend *be);
};

struct backend {
	const struct backend_ops *ops;
	struct fb_geometry geo;
	uint8_t *vram;                  /* host view of the framebuffer */
	struct db_control *control;     /* shared control page */
	uint64_t vram_gpa;
	size_t vram_slot_pages;         /* dirty logs cover the whole slot (>= geo.pages) */
	uint64_t guest_cr3;             /* page-table root registered at READY */
	const char *paging;             /* "tdp", "shadow" or "unknown": how the hypervisor maps guest memory */
	int64_t guest_tsc_offset;       /* guest TSC - host TSC, known once the guest is READY */
	_Atomic bool vram_protected;    /* VRAM write-protected by vram_write_protect */
	_Atomic bool vram_write_seen;   /* the guest wrote to protected VRAM */
	char error[256];                /* why the last hook failed */
};

static inline bool backend_has(const struct backend *be, unsigned features)
{
	return (be->ops->features & features) == features;
}

int backend_dirty_log_start(struct backend *be, bool manual);
int backend_dirty_log_stop(struct backend *be);
int backend_dirty_log_fetch(struct backend *be, uint64_t *pages);
int backend_dirty_log_clear(struct backend *be, const uint64_t *pages);
long backend_dirty_ring_harvest(struct backend *be, uint64_t *pages);
int backend_dirty_ring_reset(struct backend *be);
void *backend_guest_ptr(struct backend *be, uint64_t gpa, size_t len);
int backend_vram_invalidate(struct backend *be, size_t first, size_t n);
int backend_vram_reprotect(struct backend *be, size_t first, size_t n);
int backend_guest_hold(struct backend *be, bool on);
int backend_guest_tlb_flush(struct backend *be);
int backend_vram_write_protect(struct backend *be, bool on);
int backend_guest_kick(struct backend *be);
int backend_guest_wait_notify(struct backend *be, long timeout_us);
int backend_doorbell_fd(struct backend *be);

struct run_options;
struct strategy_ops;
/* Can this host run sops on opt's back end? EXIT_OK, or EXIT_UNSUPPORTED with
 * the reason in why (no usable /dev/kvm, no dirty ring, not dom0, ...). */
int backend_probe(const struct run_options *opt, const struct strategy_ops *sops, char *why, size_t len);

#endif
