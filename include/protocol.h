/*
 * The guest-host protocol of the dirtybench micro-VM: guest physical layout,
 * the hypercall ("ucall") ports, and the shared control page through which the
 * guest registers its framebuffer and publishes per-frame damage records.
 *
 * Included by the freestanding guest (workloads/) and by the host (bench/), so
 * it uses only fixed-width types and no library headers beyond <stdint.h>.
 */
#ifndef DIRTYBENCH_PROTOCOL_H
#define DIRTYBENCH_PROTOCOL_H

/* Guest physical layout. RAM is one memory slot at 0; VRAM is a second slot. */
#define DB_RAM_SIZE          (64ull << 20)
#define DB_GDT_GPA           0x1000ull
#define DB_TSS_GPA           0x5000ull   /* 0x68 bytes plus an all-open I/O bitmap */
#define DB_IDT_GPA           0x3000ull
#define DB_PGTABLE_GPA       0x10000ull   /* host-built page tables, up to 0xF0000 bytes */
#define DB_PGTABLE_SIZE      0xF0000ull
#define DB_IMAGE_GPA         0x100000ull  /* guest ELF is linked here */
#define DB_IMAGE_MAX         (3ull << 20)
#define DB_CONTROL_GPA       0x400000ull  /* struct db_control */
#define DB_RECT_RING_GPA     0x500000ull  /* struct db_rect[DB_RECT_RING_LEN], 6 MiB */
#define DB_PVBITMAP_GPA      0xB00000ull  /* shared dirty-bitmap page (pvbitmap), after the 6 MiB rect ring */
#define DB_PVRECTS_GPA       0xB10000ull  /* struct db_pvrects: the xenfb-shaped page (pvrects) */
#define DB_VGPU_GPA          0xB20000ull  /* struct db_vgpu: virtqueue and commands (virtio-gpu) */
#define DB_HEAP_GPA          0x1000000ull /* workload scratch memory */
#define DB_HEAP_SIZE         (40ull << 20)
/* The trace workload's replay image (struct db_trace_image), written by the
 * host before the guest starts: the heap's last DB_TRACE_MAX bytes. Only
 * the trace workload reads it, and while one is loaded the guest's heap
 * ends where it begins (workloads/guest/runtime.c). */
#define DB_TRACE_MAX         (32ull << 20)
#define DB_TRACE_GPA         (DB_HEAP_GPA + DB_HEAP_SIZE - DB_TRACE_MAX)
#define DB_STACK_TOP         0x3F00000ull /* ring-3 stack grows down from here */
#define DB_STACK0_TOP        0x3FF0000ull /* ring-0 stack for exceptions */

#define DB_VRAM_GPA          0x100000000ull
#define DB_VRAM_GVA          0x8000000000ull /* PML4 slot 1: VA != PA on purpose */
#define DB_VRAM_MAX          (64ull << 20)

/* Exception stubs sit at DB_IMAGE_GPA, one every DB_ISR_STRIDE bytes, so the
 * host can fill the IDT without reading guest symbols. */
#define DB_ISR_STRIDE        16
#define DB_ISR_COUNT         32
/* Right after the stubs: a ring-0 busy loop the host runs once before the
 * guest starts in ring 3, to measure what ring-0 guest code costs here
 * (emulated on PVM hosts). rcx = iterations; reports TSC cycles (32 bits)
 * to DB_PORT_PROBE. */
#define DB_PORT_PROBE        0x512
#define DB_PROBE_GATE_GPA    (DB_IMAGE_GPA + DB_ISR_COUNT * DB_ISR_STRIDE)
#define DB_PROBE_ITERS_RING0 2000
#define DB_PROBE_ITERS_RING3 2000000

/* Port I/O from ring 3 (IOPL=3) exits to the host as KVM_EXIT_IO. */
#define DB_PORT_UCALL        0x510  /* 32-bit out: GPA of a struct db_ucall */
#define DB_PORT_EXCEPTION    0x511  /* 32-bit out from a ring-0 stub: GPA of its frame */

#ifndef __ASSEMBLER__
#include <stdint.h>

enum db_ucall_cmd {
	DB_UCALL_READY = 1,     /* framebuffer registered in the control page */
	DB_UCALL_SLEEP,         /* args[0] = guest TSC deadline: halt until then */
	DB_UCALL_PRINT,         /* args[0] = GPA of a NUL-terminated string */
	DB_UCALL_ABORT,         /* args[0] = GPA of message, args[1] = GPA of file, args[2] = line */
	DB_UCALL_DONE,          /* workload finished */
	DB_UCALL_CALIBRATE,     /* args[0] = guest TSC just before the exit */
	DB_UCALL_CPU_PROBE,     /* args[0..1] = TSC cycles for the ring-3 and ring-0 loops */
	DB_UCALL_NOTIFY,        /* the guest answered a host request in a shared page (pvbitmap) */
	DB_UCALL_DOORBELL,      /* args[0] = queue: the guest put work on a ring (pvrects, virtio-gpu);
				 * the event channel notify of xenfb, the queue notify of virtio */
};

/* Queues that ring DB_UCALL_DOORBELL. */
#define DB_DOORBELL_PVRECTS  0
#define DB_DOORBELL_VGPU     1

struct db_ucall {
	uint64_t cmd;
	uint64_t args[6];
};

/* One changed rectangle, in pixels, and what db_control.round_seq said
 * once its pixels were all written: the guest reads round_seq after a full
 * fence that follows the pixel stores, and the host fences between
 * announcing a round and scanning, so every round numbered `round` or later
 * (round_seq is the number + 1) saw these pixels (core/oracle.h). */
struct db_rect {
	uint16_t x, y, w, h;
	uint32_t round;
};

#define DB_RECT_RING_LEN     (1u << 19)   /* 6 MiB of rectangles */
_Static_assert(sizeof(struct db_rect) == 12, "db_rect is part of the ABI");
_Static_assert(DB_RECT_RING_GPA + DB_RECT_RING_LEN * sizeof(struct db_rect) <= DB_PVBITMAP_GPA,
	       "the rect ring overlaps the pvbitmap pages");
#define DB_FRAME_RING_LEN    1024u

/* One committed frame; damage is rects[rect_first .. rect_first + rect_count)
 * of the rect ring (indices are free-running, taken modulo the ring length). */
struct db_frame {
	uint64_t seq;
	uint64_t tsc_start;     /* guest TSC when drawing began */
	uint64_t tsc_commit;    /* guest TSC when the frame was complete */
	uint64_t draw_cycles;   /* TSC cycles spent drawing (start to commit) */
	uint64_t rect_first;
	uint32_t rect_count;
	uint32_t dropped_before; /* deadlines the guest skipped just before this frame */
};

/*
 * pvbitmap (seed 000): the frontend (guest library) marks the tiles it draws
 * in the active one of two dirty bitmaps; the backend (host) drains the
 * inactive one. Bitmaps are row-major, words_per_row 64-bit words per
 * horizontal strip, bit c of a row's words = vertical strip c.
 */
#define DB_PVBITMAP_COLS     64
#define DB_PVBITMAP_ROWS     128
#define DB_PVFINE_BITMAP_GPA (DB_PVBITMAP_GPA + 0x1000)  /* pvbitmap-fine: two whole pages */
#define DB_PVFINE_BITS       (4096u * 8)

/* The indicator and its controls. Single writer per field. The frontend may
 * switch only when consumed == flips (the backend has drained and cleared the
 * bitmap that would become active), so it never writes a bitmap the backend
 * is reading and never switches twice between two drains. Its timer switches
 * only a bitmap with marks in it; the backend may read (never write) the
 * active bitmap to see whether there are any. */
struct db_pv_state {
	/* Written by the frontend. */
	volatile uint32_t flips;        /* the indicator: bitmap (flips & 1) is active */
	volatile uint32_t req_ack;      /* = req when it switched for the backend's request */
	volatile uint32_t closed;       /* no more marks: the backend may drain both bitmaps */
	uint32_t pad;
	volatile uint64_t sleep_until;  /* guest TSC it sleeps until, 0 while running */
	volatile uint64_t marks;        /* rectangles marked */
	uint64_t mark_cycles;           /* guest TSC cycles in the marking code, sampled */
	uint64_t mark_samples;          /* marks timed for mark_cycles */
	uint64_t timer_switches;        /* switches because the deadline passed */
	uint64_t sync_switches;         /* switches for a backend request */
	uint64_t early_switches;        /* switches before a sleep that would pass the deadline */
	uint64_t late_sum, late_max;    /* timer switches: guest TSC at switch - when due */
	/* Written by the backend. */
	volatile uint32_t consumed;     /* bitmap of flip `consumed` drained: may switch again */
	volatile uint32_t req;          /* != req_ack: switch now, then DB_UCALL_NOTIFY */
	volatile uint64_t deadline;     /* guest TSC to switch at (the "timer"); 0: none */
	uint32_t early_ok;              /* may switch early instead of waking up to switch */
	uint32_t pad2;
};

/* The seed's shared page at DB_PVBITMAP_GPA: two 64x128 bitmaps and the indicator. */
struct db_pvbitmap {
	uint64_t rows[2][DB_PVBITMAP_ROWS];
	struct db_pv_state state;
};

/*
 * pvrects: Xen's paravirtual framebuffer protocol (xen/include/public/io/fbif.h).
 * The front end (guest library) writes XENFB_TYPE_UPDATE events (x, y, w, h)
 * to the out ring and advances out_prod; the back end consumes them and
 * advances out_cons. fbif.h's ring is XENFB_OUT_RING_SIZE 2048 bytes of
 * XENFB_OUT_EVENT_SIZE 40-byte events: XENFB_OUT_RING_LEN = 51 events, the
 * default here. Our events are smaller (no union padding): the ring length is
 * the protocol's figure, not the page's.
 */
#define DB_PVRECTS_RING_MAX  4096u
#define DB_PVRECTS_XENFB_LEN 51u         /* XENFB_OUT_RING_SIZE / XENFB_OUT_EVENT_SIZE */
#define DB_PVRECTS_TYPE_UPDATE 2u        /* XENFB_TYPE_UPDATE */

struct db_pvrects_event {
	uint32_t type;
	uint16_t x, y, w, h;
};

struct db_pvrects {
	/* Written by the host before the guest starts. */
	uint32_t ring_len;              /* events, 1..DB_PVRECTS_RING_MAX */
	uint32_t per_frame;             /* 1: one event per frame (its bounding box); 0: one per rectangle */
	uint32_t notify_each;           /* 1: a doorbell per event (xen-fbfront); 0: empty -> non-empty only */
	uint32_t pad;
	/* Written by the guest. */
	volatile uint32_t out_prod;
	volatile uint32_t waiting;      /* the guest sleeps until out_cons moves: kick it */
	/* Written by the host. */
	volatile uint32_t out_cons;
	uint32_t pad2;
	/* Written by the guest: counters. */
	uint64_t events;                /* events written */
	uint64_t merges;                /* rectangles merged into the pending box (ring full) */
	uint64_t ring_full;             /* moments the guest found the ring full */
	uint64_t waits;                 /* commits that waited for room (the box had to go out) */
	uint64_t notifications;         /* doorbells rung */
	uint64_t frames;                /* frames committed */
	/* The guest stopped while its box waited for room: the box, then closed. */
	struct db_rect closing_box;
	volatile uint32_t closed;
	uint32_t pad3;
	struct db_pvrects_event ring[DB_PVRECTS_RING_MAX];
};

/*
 * virtio-gpu's 2D path, on a split virtqueue (virtio 1.x, "Split
 * Virtqueues"; Linux include/uapi/linux/virtio_ring.h, virtio_gpu.h): a
 * descriptor table, the driver's available ring (with used_event) and the
 * device's used ring (with avail_event), VIRTIO_RING_F_EVENT_IDX semantics.
 * One command per descriptor, device-readable; the device answers with the
 * used element only (len 0): the OK_NODATA response carries nothing we use.
 */
#define DB_VGPU_QUEUE_MAX    256u        /* QEMU virtio-gpu.c: virtio_add_queue(vdev, 256, ...) */
#define DB_VGPU_CMD_RESOURCE_FLUSH      0x0104u  /* VIRTIO_GPU_CMD_RESOURCE_FLUSH */
#define DB_VGPU_CMD_TRANSFER_TO_HOST_2D 0x0105u  /* VIRTIO_GPU_CMD_TRANSFER_TO_HOST_2D */
#define DB_VGPU_RESOURCE_ID  1u

struct db_vgpu_desc {                   /* struct virtq_desc */
	uint64_t addr;
	uint32_t len;
	uint16_t flags, next;
};

struct db_vgpu_rect {                   /* struct virtio_gpu_rect */
	uint32_t x, y, width, height;
};

/* struct virtio_gpu_ctrl_hdr, then the body of TRANSFER_TO_HOST_2D
 * (r, offset, resource_id) or RESOURCE_FLUSH (r, resource_id). */
struct db_vgpu_cmd {
	uint32_t type, flags;
	uint64_t fence_id;
	uint32_t ctx_id;
	uint8_t ring_idx, pad[3];
	struct db_vgpu_rect r;
	uint64_t offset;                /* transfer: byte offset of (r.x, r.y) in the resource */
	uint32_t resource_id, pad2;
};

struct db_vgpu {
	/* Written by the host before the guest starts. */
	uint32_t queue_size;            /* a power of two, 2..DB_VGPU_QUEUE_MAX */
	uint32_t max_rects;             /* rectangles per frame after merging (1: the bounding box) */
	uint32_t wait_us;               /* bound on the guest's wait for free descriptors */
	uint32_t event_idx;             /* 1: VIRTIO_RING_F_EVENT_IDX negotiated */
	/* Written by the guest. */
	volatile uint32_t resync;       /* the guest gave up waiting: the whole screen is stale */
	uint32_t pad;
	/* Written by the guest: counters. */
	uint64_t kicks, kicks_suppressed, commands, frames;
	uint64_t ring_full;             /* commits that found too few free descriptors */
	uint64_t ring_full_timeouts;    /* ... and gave up after wait_us: resync */
	uint64_t resync_frames;         /* frames delivered by resync instead of commands */
	uint64_t merges;                /* rectangles merged into another */
	struct db_vgpu_desc desc[DB_VGPU_QUEUE_MAX];
	struct {                        /* struct virtq_avail: the driver's */
		volatile uint16_t flags, idx;
		volatile uint16_t ring[DB_VGPU_QUEUE_MAX];
		volatile uint16_t used_event;   /* the driver wants a notification past this */
	} avail;
	uint8_t align[4096 - (2 * 2 + DB_VGPU_QUEUE_MAX * 2 + 2) % 4096];
	struct {                        /* struct virtq_used: the device's */
		volatile uint16_t flags, idx;
		struct { uint32_t id, len; } ring[DB_VGPU_QUEUE_MAX];
		volatile uint16_t avail_event;  /* the device wants a kick past this */
	} used;
	struct db_vgpu_cmd cmds[DB_VGPU_QUEUE_MAX];     /* desc[i] points at cmds[i] */
};
/* The PV pages between the rect ring and the heap, apart. */
_Static_assert(DB_PVFINE_BITMAP_GPA + 2 * 4096 <= DB_PVRECTS_GPA, "pvbitmap-fine's pages overlap pvrects'");
_Static_assert(DB_PVRECTS_GPA + sizeof(struct db_pvrects) <= DB_VGPU_GPA, "pvrects' page overlaps virtio-gpu's");
_Static_assert(DB_VGPU_GPA + sizeof(struct db_vgpu) <= DB_HEAP_GPA, "virtio-gpu's pages overlap the heap");

/* Linux include/uapi/linux/virtio_ring.h, vring_need_event(): notify if
 * event_idx lies in [old, new) (16-bit wrap). */
static inline int db_vring_need_event(uint16_t event_idx, uint16_t new_idx, uint16_t old_idx)
{
	return (uint16_t)(new_idx - event_idx - 1) < (uint16_t)(new_idx - old_idx);
}

/*
 * The trace workload's replay image at DB_TRACE_GPA: a trace file
 * (docs/TRACE.md) decompressed and checked by the host (core/trace_file.c),
 * laid out so the freestanding guest needs no zlib and no parsing. Offsets
 * are bytes from the image's start; frames are in time order, frame 0 at
 * t_us 0 covers the whole screen.
 */
#define DB_TRACE_IMAGE_MAGIC 0x44425452u       /* "DBTR" */
#define DB_TRACE_HAS_PIXELS  1u

struct db_trace_frame {
	uint32_t t_us;          /* time since the trace's start */
	uint32_t rect_count;
	uint64_t rect_first;    /* index into the image's rects */
	uint64_t pixel_first;   /* index into its pixels (with DB_TRACE_HAS_PIXELS) */
};

struct db_trace_image {
	uint32_t magic;
	uint32_t flags;         /* DB_TRACE_HAS_PIXELS: each rect's w*h pixels, row by row */
	uint32_t width, height;
	uint32_t frame_count;
	uint32_t duration_us;   /* one loop: the last frame's time plus one tick */
	uint64_t frames_off;    /* struct db_trace_frame[frame_count] */
	uint64_t rects_off;     /* struct db_rect[] */
	uint64_t pixels_off;    /* uint32_t[], 0x00RRGGBB */
	uint64_t bytes;         /* the whole image */
};

#define DB_NAME_LEN          32
#define DB_OPTIONS_LEN       256
#define DB_ABI_VERSION       2    /* 2: db_rect.round, db_control.round_seq */

/* The control page(s), at DB_CONTROL_GPA. Single writer per field: the host
 * writes the "host" part before the vCPU starts (and stop/consumer indices
 * later), the guest writes the rest. */
struct db_control {
	/* Written by the host before the guest starts. */
	uint32_t abi_version;
	uint32_t vram_bytes;
	uint64_t vram_gva;
	uint32_t width, height;         /* requested framebuffer geometry */
	uint32_t stride;                /* bytes per scanline */
	uint32_t bpp;                   /* bits per pixel, 32 */
	uint64_t seed;
	uint64_t tsc_khz;
	char workload[DB_NAME_LEN];
	char options[DB_OPTIONS_LEN];   /* "key=value,key=value" workload options */
	uint32_t tile_w, tile_h;        /* tile size in use, for the pvbitmap library */
	uint32_t pv_enabled;            /* guest library marks the PV bitmap */
	uint32_t pv_words_per_row;      /* layout of the PV bitmaps (see db_pvbitmap) */
	uint64_t pv_state_gpa;          /* struct db_pv_state */
	uint64_t pv_bitmap_gpa[2];
	uint64_t pvrects_gpa;           /* struct db_pvrects, 0: pvrects off */
	uint64_t vgpu_gpa;              /* struct db_vgpu, 0: virtio-gpu off */
	uint64_t trace_gpa;             /* struct db_trace_image for the trace workload; 0: none */
	uint64_t trace_bytes;

	/* Written by the host while running. */
	volatile uint32_t stop;               /* finish the current frame and call DONE */
	volatile uint64_t frames_consumed;    /* host's tail in the frame ring */
	volatile uint64_t rects_consumed;     /* host's tail in the rect ring */
	volatile uint32_t round_seq;          /* 1 + the number of the scan round about to look; 0: none yet (db_rect) */
	uint32_t pad_round;

	/* Written by the guest. */
	uint64_t fb_gva;                /* registered framebuffer extent */
	uint64_t fb_len;                /* (the page-table root is the vCPU's CR3 at READY) */
	uint32_t target_fps_milli;      /* frame rate asked for, x1000 */
	uint32_t overflow;              /* non-zero: a ring was full, records were lost */
	volatile uint64_t frames_published; /* guest's head in the frame ring */
	volatile uint64_t rects_published;  /* guest's head in the rect ring */
	volatile uint32_t drawing;      /* 1 from a frame's begin to its commit: a back end that
					 * stops the guest anywhere (Xen) waits for 0 (core/replica.h) */
	volatile uint32_t phase;        /* the workload's current phase, an index into its
					 * catalog entry's phase_names (workloads/workload.h);
					 * 0 for single-phase workloads */
	uint64_t frames_dropped;        /* deadlines missed (frames asked for, not drawn) */
	struct db_ucall ucall;
	char message[512];              /* PRINT and ABORT text */
	struct db_pv_state pv_fine;     /* pvbitmap-fine: the indicator, off the bitmap pages */

	struct db_frame frames[DB_FRAME_RING_LEN];
};

#endif /* __ASSEMBLER__ */
#endif
