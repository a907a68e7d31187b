/*
 * ptebits on Xen: the domU's own page tables read and written from dom0.
 *  - Guest memory by guest physical address: any frame of the domU, mapped
 *    on first use with xenforeignmemory and kept (page tables do not move
 *    while a run lasts); the region and, for pvbitmap, its pages first.
 *  - The root: the vCPU's CR3 (xc_domain_hvm_getcontext_partial, CPU record)
 *    while it runs the workload; an idle vCPU may be on the kernel's tables,
 *    so it is read until the framebuffer's user address walks to VRAM.
 *  - The flush: dom0 has no "flush this vCPU's TLB" call. What it can do is
 *    load a vCPU's register state: Xen then re-installs CR3 and, under HAP,
 *    gives the vCPU a fresh ASID, which drops its TLB. So each flush pauses
 *    the domain, writes back its own CPU records (header + CPU + end) with
 *    xc_domain_hvm_setcontext, and unpauses it. Whether that makes the D bits
 *    trustworthy is for the oracle to say.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include <xenctrl.h>
#include <xenforeignmemory.h>
#include <xen/hvm/save.h>

#include "../guest_pt.h"
#include "xen.h"

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
	uint8_t *page;

	if (d->pv)
		return xen_pv_guest_ptr(be, gpa, len);
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
	free(d->ctx);
	d->frames = NULL;
	d->ctx = NULL;
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

/* Keep header, CPU records and end of a saved context: what a reload needs. */
static size_t cpu_records(uint8_t *buf, size_t n)
{
	size_t in = 0, out = 0;

	while (in + sizeof(struct hvm_save_descriptor) <= n) {
		struct hvm_save_descriptor *h = (struct hvm_save_descriptor *)(buf + in);
		size_t rec = sizeof(*h) + h->length;

		if (in + rec > n)
			break;
		if (h->typecode == HVM_SAVE_CODE(HEADER) || h->typecode == HVM_SAVE_CODE(CPU) ||
		    h->typecode == HVM_SAVE_CODE(END)) {
			memmove(buf + out, buf + in, rec);
			out += rec;
		}
		if (h->typecode == HVM_SAVE_CODE(END))
			break;
		in += rec;
	}
	return out;
}

int xen_pt_tlb_flush(struct backend *be)
{
	struct xen_dom *d = xen_dom_of(be);
	int size, rc = -1;

	if (xc_domain_pause(d->xc, d->domid))
		goto fail;
	size = xc_domain_hvm_getcontext(d->xc, d->domid, NULL, 0);
	if (size > 0 && (size_t)size > d->ctx_cap) {
		free(d->ctx);
		d->ctx = malloc((size_t)size);
		d->ctx_cap = d->ctx ? (size_t)size : 0;
	}
	if (size > 0 && d->ctx) {
		size = xc_domain_hvm_getcontext(d->xc, d->domid, d->ctx, (uint32_t)d->ctx_cap);
		if (size > 0)
			rc = xc_domain_hvm_setcontext(d->xc, d->domid, d->ctx,
						      (uint32_t)cpu_records(d->ctx, (size_t)size));
	}
	if (xc_domain_unpause(d->xc, d->domid))
		rc = -1;
	if (!rc) {
		d->flushes++;
		return 0;
	}
fail:
	snprintf(be->error, sizeof(be->error), "guest TLB flush (pause, reload CPU state, unpause): %s",
		 strerror(errno));
	return -1;
}
