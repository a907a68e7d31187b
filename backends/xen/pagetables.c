/*
 * ptebits on Xen: the domU's own page tables read and written from dom0.
 *  - Guest memory by guest physical address: any frame of the domU, mapped
 *    on first use with xenforeignmemory and kept (page tables do not move
 *    while a run lasts); the region and, for pvbitmap, its pages first.
 *  - The root: the vCPU's CR3 (xc_domain_hvm_getcontext_partial, CPU record)
 *    while it runs the workload; an idle vCPU may be on the kernel's tables,
 *    so it is read until the framebuffer's user address walks to VRAM.
 *  - The flush: dom0 has no "flush this domU's TLB" call, but any change
 *    to a present entry of the domU's p2m makes Xen flush the guest TLBs of
 *    the domain (HAP: hap_write_p2m_entry_post, a new ASID on SVM). So each
 *    flush flips the p2m type of one page of the region that nobody uses
 *    (DBX_FLUSH_PAGE_OFF) between ram_rw and ram_ro with one device-model
 *    call, xendevicemodel_set_mem_type.
 *  - Tried first and dropped: reloading the vCPU's own CPU state
 *    (xc_domain_hvm_getcontext + setcontext) does flush, but the load also
 *    sets the guest TSC back to the value saved, so every flush rewound the
 *    domU's clock by the time between the two calls (the lab measured a
 *    drift of -441 M cycles over 137 flushes, and the oracle, dating frames
 *    by that clock, saw 28 of 115 video frames "missed").
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include <xenctrl.h>
#include <xenforeignmemory.h>
#include <xendevicemodel.h>
#include <xen/hvm/save.h>

#include "backends/kvm/guest_pt.h"
#include "backends/xen/xen.h"

#define CR3_ADDR_MASK 0x000FFFFFFFFFF000ull

static void *frame_ptr(struct xen_dom *d, uint64_t gfn)
{
	if (!d->frames) {
		xen_pfn_t max = 0;

		if (xc_domain_maximum_gpfn(d->xc, d->domid, &max) < 0)
			return NULL;
		d->nframes = (size_t)max + 1;
		d->frames = calloc(d->nframes, sizeof(*d->frames));
		if (!d->frames)
			return NULL;
	}
	if (gfn >= d->nframes)
		return NULL;
	if (!d->frames[gfn]) {
		xen_pfn_t f = gfn;
		int e = 0;
		void *p = xenforeignmemory_map(d->fmem, d->domid, PROT_READ | PROT_WRITE, 1, &f, &e);

		if (!p || e) {
			if (p)
				xenforeignmemory_unmap(d->fmem, p, 1);
			return NULL;
		}
		d->frames[gfn] = p;
	}
	return d->frames[gfn];
}

void *xen_guest_ptr(struct backend *be, uint64_t gpa, size_t len)
{
	struct xen_dom *d = xen_dom_of(be);
	uint64_t base = d->gfn << 12;
	uint8_t *page = xen_pv_guest_ptr(be, gpa, len);

	if (page)
		return page;
	if (gpa >= base && gpa + len <= base + d->mapped)
		return d->region + (gpa - base);
	if (!len || (gpa & 4095) + len > 4096)
		return NULL;
	page = frame_ptr(d, gpa >> 12);
	return page ? page + (gpa & 4095) : NULL;
}

void xen_pt_release(struct xen_dom *d)
{
	for (size_t i = 0; d->frames && i < d->nframes; i++)
		if (d->frames[i])
			xenforeignmemory_unmap(d->fmem, d->frames[i], 1);
	free(d->frames);
	d->frames = NULL;
	/* The flush page goes back to ordinary RAM. */
	if (d->flush_page_ro && !xendevicemodel_set_mem_type(d->dm, (domid_t)d->domid, HVMMEM_ram_rw,
							       (d->gfn << 12 | DBX_FLUSH_PAGE_OFF) >> 12, 1))
		d->flush_page_ro = false;
}

static int read_cr3(struct xen_dom *d, uint64_t *cr3)
{
	struct hvm_hw_cpu cpu;

	if (xc_domain_hvm_getcontext_partial(d->xc, d->domid, HVM_SAVE_CODE(CPU), 0, &cpu, sizeof(cpu)))
		return -1;
	*cr3 = cpu.cr3 & CR3_ADDR_MASK;
	return 0;
}

/* The CR3 under which [gva, +pages) walks to VRAM: the workload's. */
int xen_pt_find_root(struct xen_dom *d, uint64_t gva, size_t pages, char *err, size_t len)
{
	struct guest_pt_extent x;
	char why[256] = "";

	for (int tries = 0; tries < 400; tries++) {
		uint64_t cr3;

		if (read_cr3(d, &cr3)) {
			snprintf(err, len, "reading the domU's CR3 (xc_domain_hvm_getcontext_partial): %s",
				 strerror(errno));
			return -1;
		}
		memset(&x, 0, sizeof(x));
		if (!guest_pt_map_extent(&d->be, &x, cr3, gva, pages, why, sizeof(why))) {
			int ok = (*x.pte[0] & PTE_ADDR_MASK) == d->be.vram_gpa;

			guest_pt_free(&x);
			if (ok) {
				d->be.guest_cr3 = cr3;
				return 0;
			}
		}
		usleep(5000);
	}
	snprintf(err, len, "no CR3 of the domU maps its framebuffer at 0x%llx (last walk: %s)",
		 (unsigned long long)gva, why);
	return -1;
}

int xen_pt_tlb_flush(struct backend *be)
{
	struct xen_dom *d = xen_dom_of(be);
	bool ro = !d->flush_page_ro;

	if (xendevicemodel_set_mem_type(d->dm, (domid_t)d->domid, ro ? HVMMEM_ram_ro : HVMMEM_ram_rw,
					(d->gfn << 12 | DBX_FLUSH_PAGE_OFF) >> 12, 1)) {
		snprintf(be->error, sizeof(be->error), "guest TLB flush (p2m type change of one page, "
			 "xendevicemodel_set_mem_type): %s", strerror(errno));
		return -1;
	}
	d->flush_page_ro = ro;
	d->flushes++;
	return 0;
}
