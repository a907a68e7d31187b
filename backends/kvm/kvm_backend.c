/*
 * The KVM back end's hooks: dirty logging on the VRAM slot alone (as QEMU
 * does for VGA), in both API generations, and dropping the host mapping of
 * VRAM so KVM's shadow entries for it are zapped.
 */
#include <errno.h>
#include <poll.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "backends/kvm/kvm_vm.h"

static struct kvm_vm *to_vm(struct backend *be)
{
	return (struct kvm_vm *)be;
}

static int be_fail(struct backend *be, const char *what)
{
	snprintf(be->error, sizeof(be->error), "%s: %s", what, strerror(errno));
	return -1;
}

static int set_vram_flags(struct kvm_vm *vm, uint32_t flags)
{
	struct kvm_userspace_memory_region region = {
		.slot = KVM_SLOT_VRAM, .flags = flags, .guest_phys_addr = DB_VRAM_GPA,
		.memory_size = vm->vram_size, .userspace_addr = (uintptr_t)vm->be.vram,
	};

	if (ioctl(vm->vm_fd, KVM_SET_USER_MEMORY_REGION, &region))
		return be_fail(&vm->be, "KVM_SET_USER_MEMORY_REGION (VRAM flags)");
	vm->vram_flags = flags;
	return 0;
}

static int kvm_dirty_log_start(struct backend *be, bool manual)
{
	struct kvm_vm *vm = to_vm(be);

	if (manual) {
		struct kvm_enable_cap cap = {
			.cap = KVM_CAP_MANUAL_DIRTY_LOG_PROTECT2,
			.args = { KVM_DIRTY_LOG_MANUAL_PROTECT_ENABLE | KVM_DIRTY_LOG_INITIALLY_SET },
		};

		if (ioctl(vm->vm_fd, KVM_ENABLE_CAP, &cap))
			return be_fail(be, "KVM_CAP_MANUAL_DIRTY_LOG_PROTECT2");
	}
	vm->manual_protect = manual;
	return set_vram_flags(vm, KVM_MEM_LOG_DIRTY_PAGES);
}

static int kvm_dirty_log_stop(struct backend *be)
{
	return set_vram_flags(to_vm(be), 0);
}

static int kvm_dirty_log_fetch(struct backend *be, uint64_t *pages)
{
	struct kvm_vm *vm = to_vm(be);
	struct kvm_dirty_log log = { .slot = KVM_SLOT_VRAM, .dirty_bitmap = pages };

	/* KVM writes the whole slot's bitmap: the caller's is sized for the slot. */
	if (ioctl(vm->vm_fd, KVM_GET_DIRTY_LOG, &log))
		return be_fail(be, "KVM_GET_DIRTY_LOG");
	return 0;
}

static int kvm_dirty_log_clear(struct backend *be, const uint64_t *pages)
{
	struct kvm_vm *vm = to_vm(be);
	struct kvm_clear_dirty_log clear = {
		.slot = KVM_SLOT_VRAM, .first_page = 0,
		.num_pages = (uint32_t)(vm->vram_size / 4096), .dirty_bitmap = (void *)pages,
	};

	if (ioctl(vm->vm_fd, KVM_CLEAR_DIRTY_LOG, &clear))
		return be_fail(be, "KVM_CLEAR_DIRTY_LOG");
	return 0;
}

/*
 * Harvesting the dirty ring (Documentation/virt/kvm/api.rst, "dirty ring"):
 * KVM fills an entry's slot and offset, then publishes it by setting
 * KVM_DIRTY_GFN_F_DIRTY; we read the flag with acquire semantics so the
 * slot and offset are the ones KVM wrote, and give the entry back by
 * setting KVM_DIRTY_GFN_F_RESET with release semantics (KVM reads it in
 * KVM_RESET_DIRTY_RINGS). The ring is a power of two; the cursor only grows.
 * Entries come only from slots with KVM_MEM_LOG_DIRTY_PAGES, i.e. VRAM.
 */
static long kvm_dirty_ring_harvest(struct backend *be, uint64_t *pages)
{
	struct kvm_vm *vm = to_vm(be);
	uint32_t mask = vm->dirty_ring_entries - 1;
	long n = 0;

	if (!vm->dirty_ring) {
		errno = ENXIO;
		return be_fail(be, "harvesting the dirty ring: the VM has none");
	}
	while (n < (long)vm->dirty_ring_entries) {
		struct kvm_dirty_gfn *e = &vm->dirty_ring[vm->dirty_ring_next & mask];

		if (!(__atomic_load_n(&e->flags, __ATOMIC_ACQUIRE) & KVM_DIRTY_GFN_F_DIRTY))
			break;
		if (e->slot == KVM_SLOT_VRAM && e->offset < be->vram_slot_pages)
			pages[e->offset / 64] |= 1ull << (e->offset % 64);
		__atomic_store_n(&e->flags, KVM_DIRTY_GFN_F_RESET, __ATOMIC_RELEASE);
		vm->dirty_ring_next++;
		n++;
	}
	return n;
}

static int kvm_dirty_ring_reset(struct backend *be)
{
	if (ioctl(to_vm(be)->vm_fd, KVM_RESET_DIRTY_RINGS, 0) < 0)
		return be_fail(be, "KVM_RESET_DIRTY_RINGS");
	return 0;
}

static void *kvm_guest_ptr(struct backend *be, uint64_t gpa, size_t len)
{
	return kvm_vm_gpa(to_vm(be), gpa, len);
}

/* MADV_DONTNEED on the MAP_SHARED memfd mapping zaps the host PTEs (the
 * pages stay in the memfd); the MMU notifier then drops KVM's mappings, and
 * the guest's next access refaults through its own page tables. */
static int kvm_vram_invalidate(struct backend *be, size_t first, size_t n)
{
	if (madvise(be->vram + first * 4096, n * 4096, MADV_DONTNEED))
		return be_fail(be, "madvise(MADV_DONTNEED) on VRAM");
	return 0;
}

/* A guest write between the two calls takes KVM_RUN to EFAULT; the vCPU
 * thread then waits for the second (kvm_vm_vram_write_fault) and retries. */
static int kvm_vram_reprotect(struct backend *be, size_t first, size_t n)
{
	struct kvm_vm *vm = to_vm(be);
	int ret = 0;

	atomic_store(&vm->vram_reprotecting, true);
	if (mprotect(be->vram + first * 4096, n * 4096, PROT_READ) ||
	    mprotect(be->vram + first * 4096, n * 4096, PROT_READ | PROT_WRITE))
		ret = be_fail(be, "mprotect on VRAM (re-protect)");
	atomic_fetch_add(&vm->vram_reprotects, 1);
	atomic_store(&vm->vram_reprotecting, false);
	return ret;
}

static int kvm_guest_hold(struct backend *be, bool on)
{
	struct kvm_vm *vm = to_vm(be);

	if (!vm->hold_request || vm->hold_request(vm->tlb_flush_arg, on)) {
		snprintf(be->error, sizeof(be->error), "holding the vCPU out of the guest failed");
		return -1;
	}
	return 0;
}

/* Only the vCPU thread may touch vCPU state: the harness installs a request
 * hook that kicks it out of KVM_RUN, reloads CR3 there and waits for it. */
static int kvm_guest_tlb_flush(struct backend *be)
{
	struct kvm_vm *vm = to_vm(be);

	if (!vm->tlb_flush_request || vm->tlb_flush_request(vm->tlb_flush_arg)) {
		snprintf(be->error, sizeof(be->error), "guest TLB flush request failed");
		return -1;
	}
	return 0;
}

/* PROT_READ on the host mapping makes KVM drop its mappings (MMU notifier);
 * the guest's next write then cannot be mapped writable and KVM_RUN fails
 * with EFAULT in the vCPU thread, which calls kvm_vm_vram_write_fault(). */
static int kvm_vram_write_protect(struct backend *be, bool on)
{
	struct kvm_vm *vm = to_vm(be);

	if (on)
		atomic_store(&be->vram_write_seen, false);
	atomic_store(&be->vram_protected, on);
	if (mprotect(be->vram, vm->vram_size, on ? PROT_READ : PROT_READ | PROT_WRITE))
		return be_fail(be, "mprotect on VRAM");
	return 0;
}

int kvm_vm_vram_write_fault(struct kvm_vm *vm)
{
	uint64_t reprotects;

	if (atomic_load(&vm->vram_reprotecting)) {
		while (atomic_load(&vm->vram_reprotecting))
			sched_yield();
		return 0;
	}
	/* The fault met a re-protect's read-only moment, but KVM_RUN returned
	 * only after it ended: retry once per re-protect. A fault that comes
	 * back with no re-protect in between is a real one. */
	reprotects = atomic_load(&vm->vram_reprotects);
	if (reprotects != vm->vram_reprotects_retried) {
		vm->vram_reprotects_retried = reprotects;
		return 0;
	}
	if (!atomic_load(&vm->be.vram_protected))
		return -1;
	if (kvm_vram_write_protect(&vm->be, false))
		return -1;
	atomic_store(&vm->be.vram_write_seen, true);
	/* A policy asleep may wait for this rather than for its timer
	 * (policy_ops.wakes_on_write): the doorbell's eventfd, as a guest ring. */
	if (write(vm->doorbell_fd, &(uint64_t){ 1 }, sizeof(uint64_t)) < 0)
		return -1;
	return 0;
}

/* The vCPU thread sleeps for the guest in ppoll on kick_fd (among others);
 * an eventfd keeps the kick until then, so none is lost to a race with a
 * guest that is about to sleep. A running guest is not interrupted: it has
 * no interrupt to take, it polls its shared page. */
static int kvm_guest_kick(struct backend *be)
{
	uint64_t one = 1;

	if (write(to_vm(be)->kick_fd, &one, sizeof(one)) != sizeof(one))
		return be_fail(be, "kicking the vCPU (eventfd)");
	return 0;
}

static int kvm_guest_wait_notify(struct backend *be, long timeout_us)
{
	struct pollfd pfd = { .fd = to_vm(be)->notify_fd, .events = POLLIN };
	struct timespec ts = { timeout_us / 1000000, timeout_us % 1000000 * 1000 };
	uint64_t count;
	int n = ppoll(&pfd, 1, &ts, NULL);

	if (n < 0 && errno != EINTR)
		return be_fail(be, "waiting for a guest notification");
	if (n <= 0)
		return 0;
	if (read(pfd.fd, &count, sizeof(count)) < 0 && errno != EAGAIN)
		return be_fail(be, "reading the guest notification eventfd");
	return 1;
}

static int kvm_doorbell_fd(struct backend *be)
{
	return to_vm(be)->doorbell_fd;
}

const struct backend_ops kvm_backend_ops = {
	.name = "kvm",
	.dirty_log_api = { "KVM_GET_DIRTY_LOG",
			   "KVM_GET_DIRTY_LOG + KVM_CLEAR_DIRTY_LOG (MANUAL_DIRTY_LOG_PROTECT2, INITIALLY_SET)" },
	.features = BACKEND_DIRTY_LOG | BACKEND_DIRTY_LOG_MANUAL | BACKEND_DIRTY_RING |
		    BACKEND_GUEST_PAGETABLES | BACKEND_VRAM_INVALIDATE | BACKEND_PV_PAGE | BACKEND_GUEST_TLB_FLUSH |
		    BACKEND_VRAM_WRITE_TRAP | BACKEND_GUEST_EVENTS | BACKEND_VRAM_HOST_PTES |
		    BACKEND_DOORBELL,
	.dirty_log_start = kvm_dirty_log_start,
	.dirty_log_stop = kvm_dirty_log_stop,
	.dirty_log_fetch = kvm_dirty_log_fetch,
	.dirty_log_clear = kvm_dirty_log_clear,
	.dirty_ring_harvest = kvm_dirty_ring_harvest,
	.dirty_ring_reset = kvm_dirty_ring_reset,
	.guest_ptr = kvm_guest_ptr,
	.vram_invalidate = kvm_vram_invalidate,
	.vram_reprotect = kvm_vram_reprotect,
	.guest_hold = kvm_guest_hold,
	.guest_tlb_flush = kvm_guest_tlb_flush,
	.vram_write_protect = kvm_vram_write_protect,
	.guest_kick = kvm_guest_kick,
	.guest_wait_notify = kvm_guest_wait_notify,
	.doorbell_fd = kvm_doorbell_fd,
};
