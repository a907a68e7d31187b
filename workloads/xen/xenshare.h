/*
 * The Xen lab's guest-host layout: db-workload --xen (in a domU) serves runs
 * from a physically contiguous, pinned region of its own RAM that dom0 maps
 * with xenforeignmemory; run-bench --backend xen (in dom0) drives it. The
 * region is carved out of the domU's RAM with memmap=SIZE$BASE on its kernel
 * command line (reserved in the e820, so Linux never uses it, and /dev/mem
 * may map it: reserved ranges are not busy, even under IO_STRICT_DEVMEM).
 * Contiguous guest frames are what xendevicemodel_track_dirty_vram wants.
 *
 * Registration: the domU writes its region's first frame and size under its
 * own xenstore home, data/dirtybench/{gfn,pages,abi}. Everything after that
 * goes through the region itself: dom0 fills the host part of struct
 * db_control (protocol.h, as the KVM host does) and bumps request; the domU
 * runs that workload and publishes frames and damage exactly as the micro-VM
 * guest does, so bench/oracle.c reads the same records.
 */
#ifndef DIRTYBENCH_XENSHARE_H
#define DIRTYBENCH_XENSHARE_H

#include <stdint.h>

#include "include/protocol.h"

#define DBX_ABI              1
#define DBX_XS_DIR           "data/dirtybench"   /* relative to /local/domain/<id> */
#define DBX_REGION_BYTES     (32ull << 20)

/* Offsets inside the region. */
#define DBX_SHARE_OFF        0x0ull              /* struct dbx_share, one page */
/* pvbitmap's pages (the micro-VM's DB_PVBITMAP_GPA.. : struct db_pvbitmap,
 * then pvbitmap-fine's two bitmap pages) are not in the region: the domU
 * allocates them with gntalloc and grants them to dom0, which maps them with
 * gntdev; the switch request and its answer travel on an event channel. */
#define DBX_PV_PAGES         3
/* A page nobody reads or writes: dom0 flips its p2m type (ram_rw <->
 * ram_ro) to make Xen flush the domU's TLB (bench/xen/pagetables.c). */
#define DBX_FLUSH_PAGE_OFF   0x8000ull
#define DBX_CONTROL_OFF      0x10000ull          /* struct db_control */
#define DBX_RECTS_OFF        0x100000ull         /* struct db_rect[DB_RECT_RING_LEN] */
#define DBX_VRAM_OFF         0x800000ull         /* the framebuffer */
#define DBX_VRAM_MAX         (DBX_REGION_BYTES - DBX_VRAM_OFF)

/* The rect ring (6 MiB since ABI 2's round stamps) ends before VRAM. */
_Static_assert(DBX_RECTS_OFF + DB_RECT_RING_LEN * sizeof(struct db_rect) <= DBX_VRAM_OFF,
	       "the rect ring overlaps VRAM");

enum dbx_state { DBX_IDLE = 0, DBX_RUNNING, DBX_READY, DBX_DONE, DBX_FAILED };

/* The handshake page. Single writer per field, as in protocol.h. */
struct dbx_share {
	uint32_t magic;                 /* DBX_MAGIC once the domU serves */
	uint32_t abi;
	/* Written by dom0. */
	volatile uint64_t request;      /* bump to start a run (control filled first) */
	volatile uint64_t cal_req;      /* clock calibration: dom0 bumps ... */
	/* Written by the domU. */
	volatile uint64_t cal_ack;      /* ... the domU answers with its TSC */
	volatile uint64_t cal_tsc;
	volatile uint64_t served;       /* the request being served */
	volatile uint32_t state;        /* enum dbx_state for `served` */
	uint32_t evtchn_port;           /* pvbitmap: the domU's unbound port for dom0 */
	uint32_t gref[DBX_PV_PAGES];    /* pvbitmap: grants of the pages at DB_PVBITMAP_GPA */
	char message[256];              /* why it failed */
	/* Written by dom0: = served once it has armed its strategy; the domU
	 * draws nothing before (as the KVM guest waits for its vCPU to start). */
	volatile uint64_t go;
};

#define DBX_MAGIC            0x44425830u         /* "DBX0" */

#endif
