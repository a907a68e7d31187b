/*
 * The Xen back end, from dom0: a running PVH domU serves runs through the
 * region db-workload --xen registered (workloads/xen/xenshare.h). One job per
 * file: dom.c attaches and maps, backend.c is the back-end ops table,
 * logdirty.c Xen's two dirty logs, pv.c the pvbitmap page and event channel,
 * run.c the run (attach, handshake, clocks, its result), platform.c what Xen says about itself.
 */
#ifndef DIRTYBENCH_XEN_H
#define DIRTYBENCH_XEN_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/backend.h"
#include "core/options.h"
#include "workloads/xen/xenshare.h"

struct xen_pv;

enum xen_logdirty_mode { XEN_LD_OFF, XEN_LD_VRAM, XEN_LD_DOMAIN };

struct xen_dom {
	struct backend be;              /* first: hooks get &dom->be */
	struct xc_interface_core *xc;
	struct xenforeignmemory_handle *fmem;
	struct xendevicemodel_handle *dm;
	struct xs_handle *xs;
	uint32_t domid;
	uint64_t gfn, pages;            /* the registered region */
	uint64_t mapped;                /* bytes of it mapped from its start */
	uint8_t *region;
	struct dbx_share *share;
	uint64_t tsc_khz;
	/* logdirty.c */
	enum xen_logdirty_mode ld_mode;
	unsigned long *ld_bitmap;       /* VRAM pages, or GFNs [0, vram end) */
	uint64_t *ld_carry;             /* domain mode: pages CLEAN found beyond the PEEK */
	size_t ld_bits;
	uint64_t ld_calls, ld_ns;       /* hypercall count and time, for the result */
	uint32_t ld_faults, ld_dirty;   /* PEEK/CLEAN stats: Xen's log-dirty fault and dirty counts */
	struct xen_pv *pv;
	/* pagetables.c */
	void **frames;                  /* foreign mappings of single guest frames, by GFN */
	size_t nframes;
	bool flush_page_ro;             /* the flush page's current p2m type */
	uint64_t flushes;
};

/* dom.c */
/* Map the first `need` bytes of the region (what the run uses, not all 32 MiB). */
int xen_dom_attach(struct xen_dom *d, const char *name, uint64_t need, char *err, size_t len);
void xen_dom_detach(struct xen_dom *d);
bool xen_dom_alive(struct xen_dom *d);

/* backend.c: fill d->be for geometry geo (VRAM at region + DBX_VRAM_OFF). */
extern const struct backend_ops xen_backend_ops;
void xen_backend_init(struct xen_dom *d, const struct fb_geometry *geo);
/* Why strategy needs `needs` cannot run on Xen, or NULL if it can. */
const char *xen_backend_unsupported(unsigned needs);

/* logdirty.c (hooks) */
int xen_logdirty_start(struct backend *be, bool manual);
int xen_logdirty_stop(struct backend *be);
int xen_logdirty_fetch(struct backend *be, uint64_t *pages);
int xen_logdirty_clear(struct backend *be, const uint64_t *pages);
json_t *xen_logdirty_json(const struct xen_dom *d);

/* pv.c (hooks) */
int xen_pv_open(struct xen_dom *d, char *err, size_t len);
void xen_pv_close(struct xen_dom *d);
/* The pvbitmap layout's addresses (its granted pages, the control page), or NULL. */
void *xen_pv_guest_ptr(struct backend *be, uint64_t gpa, size_t len);
int xen_pv_kick(struct backend *be);
int xen_pv_wait_notify(struct backend *be, long timeout_us);
json_t *xen_pv_json(const struct xen_dom *d);

/* pagetables.c: guest memory for page-table walks, the root, the flush */
void *xen_guest_ptr(struct backend *be, uint64_t gpa, size_t len);
int xen_pt_find_root(struct xen_dom *d, uint64_t gva, size_t pages, char *err, size_t len);
int xen_pt_tlb_flush(struct backend *be);
void xen_pt_release(struct xen_dom *d);

/* platform.c */
json_t *xen_platform_json(struct xen_dom *d);
json_t *xen_faults_json(struct xen_dom *d);

static inline struct xen_dom *xen_dom_of(struct backend *be)
{
	return (struct xen_dom *)be;
}

#endif
