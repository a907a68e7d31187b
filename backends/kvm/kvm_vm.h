/*
 * The KVM micro-VM: one vCPU, guest RAM in slot 0, VRAM in slot 1 (a memfd
 * mapped MAP_SHARED, so its host mapping can be dropped and refaulted), page
 * tables and descriptor tables written by the host, the guest started
 * directly in 64-bit ring 3.
 */
#ifndef DIRTYBENCH_KVM_VM_H
#define DIRTYBENCH_KVM_VM_H

#include <linux/kvm.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/backend.h"

#define KVM_SLOT_RAM  0
#define KVM_SLOT_VRAM 1

struct kvm_vm_config {
	struct fb_geometry geo;
	uint32_t dirty_ring_bytes;      /* 0: no dirty ring */
};

struct kvm_vm {
	struct backend be;              /* first: strategies hold &vm->be */
	int kvm_fd, vm_fd, vcpu_fd;
	struct kvm_run *run;
	size_t run_size;
	uint8_t *ram;
	int vram_fd;
	size_t vram_size;               /* slot size, 2 MiB aligned */
	uint32_t vram_flags;            /* current slot flags */
	bool manual_protect;
	uint64_t tsc_khz;
	struct kvm_dirty_gfn *dirty_ring;
	uint32_t dirty_ring_entries;
	uint32_t dirty_ring_next;       /* harvest cursor */
	uint64_t entry_rip;
	int (*tlb_flush_request)(void *arg);    /* installed by the harness */
	int (*hold_request)(void *arg, bool on); /* the same; its arg is tlb_flush_arg */
	void *tlb_flush_arg;
	uint64_t probe_ring0_cycles;    /* DB_PROBE_ITERS_RING0 loop iterations in ring 0 */
	_Atomic bool vram_reprotecting; /* kvm_vram_reprotect is between its two mprotects */
	_Atomic uint64_t vram_reprotects;       /* re-protects done */
	uint64_t vram_reprotects_retried;       /* vCPU thread: the count at its last EFAULT retry */
	int kick_fd;                    /* eventfd: wakes a sleeping guest (guest_kick) */
	int notify_fd;                  /* eventfd: the guest made DB_UCALL_NOTIFY */
	int doorbell_fd;                /* eventfd: the guest made DB_UCALL_DOORBELL */
	char error[512];
};

/* Create the VM and load the guest; -1 with vm->error set. */
int kvm_vm_create(struct kvm_vm *vm, const struct kvm_vm_config *cfg);
void kvm_vm_destroy(struct kvm_vm *vm);
/* Check /dev/kvm usable: 0, or -1 with a reason. */
int kvm_probe(char *why, size_t len);
/* Check the dirty ring exists and takes bytes per vCPU: 0, or -1 with a reason. */
int kvm_probe_dirty_ring(uint32_t bytes, char *why, size_t len);
/* One line with the vCPU's registers, for error messages. */
void kvm_vm_dump_regs(struct kvm_vm *vm, char *buf, size_t len);
/* Guest memory [gpa, gpa+len) in RAM, or NULL. */
void *kvm_vm_gpa(struct kvm_vm *vm, uint64_t gpa, size_t len);

/* KVM_RUN failed with EFAULT: 0 if it was the guest's first write to
 * write-protected VRAM (protection lifted), -1 if it is a real fault. */
int kvm_vm_vram_write_fault(struct kvm_vm *vm);

extern const struct backend_ops kvm_backend_ops;

#endif
