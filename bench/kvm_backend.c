/*
 * The KVM back end's hooks: dirty logging on the VRAM slot alone (as QEMU
 * does for VGA), in both API generations, and dropping the host mapping of
 * VRAM so KVM's shadow entries for it are zapped.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>

#include "kvm_vm.h"

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

static void *kvm_guest_ptr(struct backend *be, uint64_t gpa, size_t len)
{
	return kvm_vm_gpa(to_vm(be), gpa, len);
}

/* MADV_DONTNEED on the MAP_SHARED memfd mapping zaps the host PTEs (the
 * pages stay in the memfd); the MMU notifier then drops KVM's mappings, and
 * the guest's next access refaults through its own page tables. */
static int kvm_vram_invalidate(struct backend *be)
{
	struct kvm_vm *vm = to_vm(be);

	if (madvise(be->vram, vm->vram_size, MADV_DONTNEED))
		return be_fail(be, "madvise(MADV_DONTNEED) on VRAM");
	return 0;
}

const struct backend_ops kvm_backend_ops = {
	.name = "kvm",
	.features = BACKEND_DIRTY_LOG | BACKEND_DIRTY_LOG_MANUAL | BACKEND_DIRTY_RING |
		    BACKEND_GUEST_PAGETABLES | BACKEND_VRAM_INVALIDATE | BACKEND_PV_PAGE,
	.dirty_log_start = kvm_dirty_log_start,
	.dirty_log_stop = kvm_dirty_log_stop,
	.dirty_log_fetch = kvm_dirty_log_fetch,
	.dirty_log_clear = kvm_dirty_log_clear,
	.guest_ptr = kvm_guest_ptr,
	.vram_invalidate = kvm_vram_invalidate,
};
