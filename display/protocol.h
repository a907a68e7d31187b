/*
 * run-bench <-> db-display, over a SOCK_SEQPACKET unix socket pair (one
 * message per send, in order; the display process's end is its fd 3).
 *
 *   display -> run-bench  DISPLAY_READY, once privileges are dropped (uid,
 *                         gid, no_new_privs), before it has any descriptor
 *                         of ours
 *   run-bench -> display  DISPLAY_HELLO with SCM_RIGHTS: the VMM's pagemap
 *                         descriptor (opened by run-bench on
 *                         /proc/self/pagemap) and, for scan-then-wp, the
 *                         userfaultfd registered on VRAM
 *   display -> run-bench  DISPLAY_ARMED: the arming scan is done (every
 *                         page protected; its "all written" result dropped)
 *   run-bench -> display  DISPLAY_SCAN, once per round
 *   display -> run-bench  one or more DISPLAY_RANGES, the last with last=1
 * EOF on the socket ends the display process. Every reply carries a status
 * (0 or an errno) and a line saying why.
 */
#ifndef DIRTYBENCH_DISPLAY_PROTOCOL_H
#define DIRTYBENCH_DISPLAY_PROTOCOL_H

#include <stdint.h>

#include "display/pagemap_scan.h"

#define DISPLAY_MAGIC 0x64624450u       /* "PDbd" */
#define DISPLAY_VERSION 1
#define DISPLAY_SOCK_FD 3
/* Ranges per DISPLAY_RANGES message: 16 KiB of ranges, well under a unix
 * socket's default send buffer (net.core.wmem_default, 208 KiB). */
#define DISPLAY_MSG_RANGES 2048

enum display_op {
	DISPLAY_READY = 1,
	DISPLAY_HELLO,
	DISPLAY_ARMED,
	DISPLAY_SCAN,
	DISPLAY_RANGES,
};

enum display_order {
	DISPLAY_ORDER_REPROTECT = 0,    /* PAGEMAP_SCAN with PM_SCAN_WP_MATCHING */
	DISPLAY_ORDER_SCAN_THEN_WP = 1, /* PAGEMAP_SCAN, then UFFDIO_WRITEPROTECT on its ranges */
};

struct display_hello {
	uint32_t magic, op;
	uint32_t version, order;
	uint64_t base;                  /* VRAM's address in run-bench */
	uint64_t pages;
	uint64_t vec_len;
};

struct display_request {
	uint32_t magic, op;
	uint64_t round;
};

/* DISPLAY_READY, DISPLAY_ARMED and DISPLAY_RANGES. */
struct display_reply {
	uint32_t magic, op;
	int32_t status;                 /* 0, or the errno of what failed */
	uint32_t last;                  /* DISPLAY_RANGES: the round's last message */
	uint32_t uid, gid;              /* DISPLAY_READY: after the drop */
	uint32_t no_new_privs;
	uint32_t nranges;               /* ranges following in this message */
	uint64_t round;
	uint64_t cpu_ns;                /* the display's CPU time for this round (last message) */
	uint64_t ioctls;                /* PAGEMAP_SCAN calls for this round */
	uint64_t vec_full;              /* of which filled the vector (the walk resumed) */
	uint64_t wp_calls;              /* UFFDIO_WRITEPROTECT calls for this round */
	char error[200];
	struct pms_range ranges[];
};

#endif
