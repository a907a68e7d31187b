/*
 * Building the KVM micro-VM: memory slots, the guest's page tables and
 * descriptor tables, the guest image, and a vCPU that starts in 64-bit ring 3.
 * Ring 3 because on shadow-paging/PVM hosts ring-0 guest code is emulated
 * instruction by instruction (docs/HOST.md); ring 0 only ever runs
 * the exception stubs.
 */
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "backends/kvm/kvm_vm.h"
#include "collectors/platform.h"

extern const uint8_t guest_image_start[], guest_image_end[];

#define PTE_P   (1ull << 0)
#define PTE_RW  (1ull << 1)
#define PTE_US  (1ull << 2)
#define PTE_PS  (1ull << 7)
#define PTE_TABLE (PTE_P | PTE_RW | PTE_US)

#define CR0_PE (1ull << 0)
#define CR0_MP (1ull << 1)
#define CR0_ET (1ull << 4)
#define CR0_NE (1ull << 5)
#define CR0_WP (1ull << 16)
#define CR0_PG (1ull << 31)
#define CR4_PAE (1ull << 5)
#define CR4_OSFXSR (1ull << 9)
#define CR4_OSXMMEXCPT (1ull << 10)
#define EFER_LME (1ull << 8)
#define EFER_LMA (1ull << 10)
#define RFLAGS_IOPL3 (3ull << 12)

#define SEL_KCODE 0x08
#define SEL_UCODE 0x18
#define SEL_UDATA 0x20
#define SEL_TSS   0x28
#define SEL_KDATA 0x10
#define GDT_ENTRIES 7
#define TSS_LIMIT (0x68 + 8192)

static int fail(struct kvm_vm *vm, const char *fmt, ...)
{
	va_list ap;
	int err = errno;

	va_start(ap, fmt);
	vsnprintf(vm->error, sizeof(vm->error), fmt, ap);
	va_end(ap);
	if (err && strlen(vm->error) + 32 < sizeof(vm->error))
		snprintf(vm->error + strlen(vm->error), sizeof(vm->error) - strlen(vm->error),
			 ": %s", strerror(err));
	return -1;
}

static const char *kvm_paging_mode(int kvm_fd)
{
	json_t *platform = platform_detect(kvm_fd);
	const char *mode = platform_paging_mode(platform);

	json_decref(platform);
	return mode;            /* a string literal, outlives the JSON */
}

int kvm_probe(char *why, size_t len)
{
	int fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	int version;

	if (fd < 0) {
		snprintf(why, len, "/dev/kvm: %s", strerror(errno));
		return -1;
	}
	version = ioctl(fd, KVM_GET_API_VERSION, 0);
	close(fd);
	if (version != KVM_API_VERSION) {
		snprintf(why, len, "/dev/kvm speaks API %d, we need %d", version, KVM_API_VERSION);
		return -1;
	}
	return 0;
}

int kvm_probe_dirty_ring(uint32_t bytes, char *why, size_t len)
{
	int fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	int max = 0;

	if (fd >= 0) {
		max = ioctl(fd, KVM_CHECK_EXTENSION, KVM_CAP_DIRTY_LOG_RING_ACQ_REL);
		if (max <= 0)
			max = ioctl(fd, KVM_CHECK_EXTENSION, KVM_CAP_DIRTY_LOG_RING);
		close(fd);
	}
	if (max <= 0) {
		snprintf(why, len, "this KVM has no dirty ring (KVM_CAP_DIRTY_LOG_RING)");
		return -1;
	}
	if (bytes > (uint32_t)max) {
		snprintf(why, len, "dirty ring of %u bytes asked, this KVM allows at most %d", bytes, max);
		return -1;
	}
	return 0;
}

void *kvm_vm_gpa(struct kvm_vm *vm, uint64_t gpa, size_t len)
{
	if (gpa >= DB_RAM_SIZE || len > DB_RAM_SIZE - gpa)
		return NULL;
	return vm->ram + gpa;
}

static int set_slot(struct kvm_vm *vm, uint32_t slot, uint64_t gpa, size_t size,
		    void *host, uint32_t flags)
{
	struct kvm_userspace_memory_region region = {
		.slot = slot, .flags = flags, .guest_phys_addr = gpa,
		.memory_size = size, .userspace_addr = (uintptr_t)host,
	};

	if (ioctl(vm->vm_fd, KVM_SET_USER_MEMORY_REGION, &region))
		return fail(vm, "KVM_SET_USER_MEMORY_REGION slot %u", slot);
	return 0;
}

static int map_memory(struct kvm_vm *vm, const struct fb_geometry *geo)
{
	void *vram;

	vm->ram = mmap(NULL, DB_RAM_SIZE, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (vm->ram == MAP_FAILED)
		return vm->ram = NULL, fail(vm, "mmap guest RAM");
	vm->vram_size = (geo->bytes + (2u << 20) - 1) & ~(size_t)((2u << 20) - 1);
	vm->vram_fd = memfd_create("dirtybench-vram", MFD_CLOEXEC);
	if (vm->vram_fd < 0 || ftruncate(vm->vram_fd, vm->vram_size))
		return fail(vm, "memfd for VRAM");
	vram = mmap(NULL, vm->vram_size, PROT_READ | PROT_WRITE, MAP_SHARED, vm->vram_fd, 0);
	if (vram == MAP_FAILED)
		return fail(vm, "mmap VRAM");
	vm->be.vram = vram;
	vm->be.vram_gpa = DB_VRAM_GPA;
	vm->be.vram_slot_pages = vm->vram_size / 4096;
	if (set_slot(vm, KVM_SLOT_RAM, 0, DB_RAM_SIZE, vm->ram, 0) ||
	    set_slot(vm, KVM_SLOT_VRAM, DB_VRAM_GPA, vm->vram_size, vram, 0))
		return -1;
	return 0;
}

/* RAM identity-mapped with 2 MiB pages; VRAM at DB_VRAM_GVA with 4 KiB pages,
 * one PTE per page, so a strategy can walk to exactly the entries that map it. */
static void build_page_tables(struct kvm_vm *vm)
{
	uint64_t *pml4 = (uint64_t *)(vm->ram + DB_PGTABLE_GPA);
	uint64_t *pdpt_low = pml4 + 512, *pd_ram = pml4 + 1024;
	uint64_t *pdpt_vram = pml4 + 1536, *pd_vram = pml4 + 2048;
	uint64_t base = DB_PGTABLE_GPA;
	size_t vram_pages = vm->vram_size / 4096;

	pml4[0] = (base + 0x1000) | PTE_TABLE;
	pml4[DB_VRAM_GVA >> 39 & 511] = (base + 0x3000) | PTE_TABLE;
	pdpt_low[0] = (base + 0x2000) | PTE_TABLE;
	for (uint64_t i = 0; i < DB_RAM_SIZE >> 21; i++)
		pd_ram[i] = i << 21 | PTE_TABLE | PTE_PS;
	pdpt_vram[DB_VRAM_GVA >> 30 & 511] = (base + 0x4000) | PTE_TABLE;
	for (size_t i = 0; i < vram_pages; i++) {
		uint64_t *pt = pml4 + 2560 + (i / 512) * 512;

		if (i % 512 == 0)
			pd_vram[i / 512] = (base + 0x5000 + (i / 512) * 0x1000) | PTE_TABLE;
		pt[i % 512] = (DB_VRAM_GPA + i * 4096) | PTE_P | PTE_RW | PTE_US;
	}
}

static void build_descriptors(struct kvm_vm *vm)
{
	uint64_t *gdt = (uint64_t *)(vm->ram + DB_GDT_GPA);
	uint64_t *idt = (uint64_t *)(vm->ram + DB_IDT_GPA);
	uint8_t *tss = vm->ram + DB_TSS_GPA;
	uint64_t tss_base = DB_TSS_GPA, stack0 = DB_STACK0_TOP;

	gdt[1] = 0x00AF9A000000FFFFull;         /* kernel code, 64-bit */
	gdt[2] = 0x00CF92000000FFFFull;         /* kernel data */
	gdt[3] = 0x00AFFA000000FFFFull;         /* user code, 64-bit, DPL 3 */
	gdt[4] = 0x00CFF2000000FFFFull;         /* user data, DPL 3 */
	gdt[5] = TSS_LIMIT | (tss_base & 0xFFFFFF) << 16 | 0x89ull << 40 |
		 (tss_base >> 24 & 0xFF) << 56;  /* available 64-bit TSS */
	gdt[6] = tss_base >> 32;
	memcpy(tss + 4, &stack0, 8);             /* RSP0 */
	/* IOPL 3 already lets ring 3 use ports, but some hosts (PVM) check the
	 * I/O bitmap regardless: an all-zero bitmap opens every port. */
	tss[0x66] = 0x68;
	memset(tss + 0x68, 0, 8192);
	tss[0x68 + 8192] = 0xFF;
	for (uint64_t v = 0; v < DB_ISR_COUNT; v++) {
		uint64_t handler = DB_IMAGE_GPA + v * DB_ISR_STRIDE;

		idt[2 * v] = (handler & 0xFFFF) | (uint64_t)SEL_KCODE << 16 |
			     0x8Eull << 40 | (handler >> 16 & 0xFFFF) << 48;
		idt[2 * v + 1] = handler >> 32;
	}
}

static int load_guest_elf(struct kvm_vm *vm)
{
	const uint8_t *img = guest_image_start;
	size_t size = (size_t)(guest_image_end - guest_image_start);
	const Elf64_Ehdr *eh = (const Elf64_Ehdr *)img;

	if (size < sizeof(*eh) || memcmp(eh->e_ident, ELFMAG, SELFMAG) ||
	    eh->e_machine != EM_X86_64 || eh->e_phoff + (size_t)eh->e_phnum * sizeof(Elf64_Phdr) > size)
		return errno = 0, fail(vm, "the embedded guest image is not an x86-64 ELF");
	for (unsigned i = 0; i < eh->e_phnum; i++) {
		const Elf64_Phdr *ph = (const Elf64_Phdr *)(img + eh->e_phoff) + i;

		if (ph->p_type != PT_LOAD)
			continue;
		if (ph->p_vaddr < DB_IMAGE_GPA || ph->p_memsz > DB_IMAGE_MAX ||
		    ph->p_vaddr + ph->p_memsz > DB_IMAGE_GPA + DB_IMAGE_MAX ||
		    ph->p_offset + ph->p_filesz > size || ph->p_filesz > ph->p_memsz)
			return errno = 0, fail(vm, "guest segment %u out of bounds", i);
		memcpy(vm->ram + ph->p_vaddr, img + ph->p_offset, ph->p_filesz);
		memset(vm->ram + ph->p_vaddr + ph->p_filesz, 0, ph->p_memsz - ph->p_filesz);
	}
	vm->entry_rip = eh->e_entry;
	return 0;
}

static int set_cpuid(struct kvm_vm *vm)
{
	int n = 256;
	struct kvm_cpuid2 *cpuid = calloc(1, sizeof(*cpuid) + n * sizeof(struct kvm_cpuid_entry2));
	int ret = 0;

	if (!cpuid)
		return fail(vm, "calloc");
	cpuid->nent = n;
	if (ioctl(vm->kvm_fd, KVM_GET_SUPPORTED_CPUID, cpuid) ||
	    ioctl(vm->vcpu_fd, KVM_SET_CPUID2, cpuid))
		ret = fail(vm, "setting the guest CPUID");
	free(cpuid);
	return ret;
}

static void segment(struct kvm_segment *s, uint16_t sel, uint8_t type, bool code)
{
	*s = (struct kvm_segment){
		.base = 0, .limit = 0xFFFFFFFF, .selector = sel, .type = type,
		.present = 1, .dpl = sel & 3, .db = !code, .s = 1, .l = code, .g = 1,
	};
}

static int set_long_mode(struct kvm_vm *vm, unsigned cpl, uint64_t rip)
{
	struct kvm_sregs sregs;
	struct kvm_regs regs = { .rip = rip, .rsp = DB_STACK_TOP, .rflags = 0x2 | RFLAGS_IOPL3,
				 .rcx = DB_PROBE_ITERS_RING0 };

	if (ioctl(vm->vcpu_fd, KVM_GET_SREGS, &sregs))
		return fail(vm, "KVM_GET_SREGS");
	segment(&sregs.cs, cpl ? SEL_UCODE | 3 : SEL_KCODE, 0xB, true);
	segment(&sregs.ss, cpl ? SEL_UDATA | 3 : SEL_KDATA, 0x3, false);
	sregs.ds = sregs.es = sregs.fs = sregs.gs = sregs.ss;
	sregs.tr = (struct kvm_segment){ .base = DB_TSS_GPA, .limit = TSS_LIMIT,
		.selector = SEL_TSS, .type = 0xB, .present = 1 };
	sregs.gdt = (struct kvm_dtable){ .base = DB_GDT_GPA, .limit = GDT_ENTRIES * 8 - 1 };
	sregs.idt = (struct kvm_dtable){ .base = DB_IDT_GPA, .limit = 256 * 16 - 1 };
	sregs.cr0 = CR0_PE | CR0_MP | CR0_ET | CR0_NE | CR0_WP | CR0_PG;
	sregs.cr3 = DB_PGTABLE_GPA;
	sregs.cr4 = CR4_PAE | CR4_OSFXSR | CR4_OSXMMEXCPT;
	sregs.efer = EFER_LME | EFER_LMA;
	if (ioctl(vm->vcpu_fd, KVM_SET_SREGS, &sregs) || ioctl(vm->vcpu_fd, KVM_SET_REGS, &regs))
		return fail(vm, "setting the vCPU's long-mode ring-3 state");
	return 0;
}

/* The same loop the guest later times in ring 3, here in ring 0: whether this
 * host runs guest kernel code natively decides where workloads may run. */
static int probe_ring0(struct kvm_vm *vm)
{
	uint32_t cycles;

	if (ioctl(vm->vcpu_fd, KVM_RUN, 0))
		return fail(vm, "KVM_RUN (ring-0 probe)");
	if (vm->run->exit_reason != KVM_EXIT_IO || vm->run->io.port != DB_PORT_PROBE)
		return errno = 0, fail(vm, "ring-0 probe: unexpected exit %u", vm->run->exit_reason);
	memcpy(&cycles, (uint8_t *)vm->run + vm->run->io.data_offset, sizeof(cycles));
	vm->probe_ring0_cycles = cycles;
	return 0;
}

static int enable_dirty_ring(struct kvm_vm *vm, uint32_t bytes)
{
	struct kvm_enable_cap cap = { .args = { bytes } };

	cap.cap = ioctl(vm->kvm_fd, KVM_CHECK_EXTENSION, KVM_CAP_DIRTY_LOG_RING_ACQ_REL) > 0 ?
		  KVM_CAP_DIRTY_LOG_RING_ACQ_REL : KVM_CAP_DIRTY_LOG_RING;
	if (ioctl(vm->vm_fd, KVM_ENABLE_CAP, &cap))
		return fail(vm, "enabling the KVM dirty ring (%u bytes)", bytes);
	vm->dirty_ring_entries = bytes / sizeof(struct kvm_dirty_gfn);
	return 0;
}

static int create_vcpu(struct kvm_vm *vm)
{
	long tsc_khz;

	vm->vcpu_fd = ioctl(vm->vm_fd, KVM_CREATE_VCPU, 0);
	if (vm->vcpu_fd < 0)
		return fail(vm, "KVM_CREATE_VCPU");
	vm->run_size = (size_t)ioctl(vm->kvm_fd, KVM_GET_VCPU_MMAP_SIZE, 0);
	vm->run = mmap(NULL, vm->run_size, PROT_READ | PROT_WRITE, MAP_SHARED, vm->vcpu_fd, 0);
	if (vm->run == MAP_FAILED)
		return vm->run = NULL, fail(vm, "mmap kvm_run");
	if (vm->dirty_ring_entries) {
		size_t bytes = vm->dirty_ring_entries * sizeof(struct kvm_dirty_gfn);

		vm->dirty_ring = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_SHARED, vm->vcpu_fd,
				      KVM_DIRTY_LOG_PAGE_OFFSET * getpagesize());
		if (vm->dirty_ring == MAP_FAILED)
			return vm->dirty_ring = NULL, fail(vm, "mmap the dirty ring");
	}
	tsc_khz = ioctl(vm->vcpu_fd, KVM_GET_TSC_KHZ, 0);
	if (tsc_khz <= 0)
		return fail(vm, "KVM_GET_TSC_KHZ");
	vm->tsc_khz = (uint64_t)tsc_khz;
	if (set_cpuid(vm) || set_long_mode(vm, 0, DB_PROBE_GATE_GPA) || probe_ring0(vm))
		return -1;
	return set_long_mode(vm, 3, vm->entry_rip);
}

int kvm_vm_create(struct kvm_vm *vm, const struct kvm_vm_config *cfg)
{
	memset(vm, 0, sizeof(*vm));
	vm->kvm_fd = vm->vm_fd = vm->vcpu_fd = vm->vram_fd = -1;
	vm->kick_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	vm->notify_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	vm->doorbell_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (vm->kick_fd < 0 || vm->notify_fd < 0 || vm->doorbell_fd < 0)
		return fail(vm, "eventfd for guest events");
	vm->be.ops = &kvm_backend_ops;
	vm->be.geo = cfg->geo;
	if (cfg->geo.bytes > DB_VRAM_MAX)
		return errno = 0, fail(vm, "framebuffer of %zu bytes exceeds the guest's %llu MiB VRAM window",
				       cfg->geo.bytes, DB_VRAM_MAX >> 20);
	vm->kvm_fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (vm->kvm_fd < 0)
		return fail(vm, "/dev/kvm");
	vm->vm_fd = ioctl(vm->kvm_fd, KVM_CREATE_VM, 0);
	if (vm->vm_fd < 0)
		return fail(vm, "KVM_CREATE_VM");
	if (cfg->dirty_ring_bytes && enable_dirty_ring(vm, cfg->dirty_ring_bytes))
		return -1;
	if (map_memory(vm, &cfg->geo))
		return -1;
	build_page_tables(vm);
	build_descriptors(vm);
	if (load_guest_elf(vm))
		return -1;
	vm->be.control = (struct db_control *)(vm->ram + DB_CONTROL_GPA);
	vm->be.paging = kvm_paging_mode(vm->kvm_fd);
	vm->be.guest_cr3 = DB_PGTABLE_GPA;
	return create_vcpu(vm);
}

void kvm_vm_destroy(struct kvm_vm *vm)
{
	if (vm->dirty_ring)
		munmap(vm->dirty_ring, vm->dirty_ring_entries * sizeof(struct kvm_dirty_gfn));
	if (vm->run)
		munmap(vm->run, vm->run_size);
	if (vm->be.vram)
		munmap(vm->be.vram, vm->vram_size);
	if (vm->ram)
		munmap(vm->ram, DB_RAM_SIZE);
	for (int *fd = &vm->kvm_fd; fd <= &vm->vcpu_fd; fd++)
		if (*fd >= 0)
			close(*fd);
	if (vm->vram_fd >= 0)
		close(vm->vram_fd);
	if (vm->kick_fd >= 0)
		close(vm->kick_fd);
	if (vm->notify_fd >= 0)
		close(vm->notify_fd);
	if (vm->doorbell_fd >= 0)
		close(vm->doorbell_fd);
	memset(vm, 0, sizeof(*vm));
}

void kvm_vm_dump_regs(struct kvm_vm *vm, char *buf, size_t len)
{
	struct kvm_regs r;
	struct kvm_sregs s;

	if (ioctl(vm->vcpu_fd, KVM_GET_REGS, &r) || ioctl(vm->vcpu_fd, KVM_GET_SREGS, &s)) {
		snprintf(buf, len, "(registers unavailable: %s)", strerror(errno));
		return;
	}
	snprintf(buf, len,
		 "rip=%#llx rsp=%#llx rflags=%#llx rax=%#llx rbx=%#llx rcx=%#llx rdx=%#llx "
		 "rsi=%#llx rdi=%#llx rbp=%#llx cs=%#x(dpl %u) cr0=%#llx cr2=%#llx cr3=%#llx cr4=%#llx efer=%#llx",
		 r.rip, r.rsp, r.rflags, r.rax, r.rbx, r.rcx, r.rdx, r.rsi, r.rdi, r.rbp,
		 s.cs.selector, s.cs.dpl, s.cr0, s.cr2, s.cr3, s.cr4, s.efer);
}
