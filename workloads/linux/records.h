/*
 * The frame records file db-workload writes (workloads/linux/main.c, whose
 * opening comment describes the format), so that a host that can see the
 * framebuffer but not the workload (Xen dom0 scanning a domU's VRAM) can run
 * the oracle on the same per-frame damage the micro-VM publishes in its rings.
 * Native byte order (x86-64: little endian), no padding surprises: every field
 * is naturally aligned.
 */
#ifndef DIRTYBENCH_RECORDS_H
#define DIRTYBENCH_RECORDS_H

#include <stdint.h>

#include "include/protocol.h"

#define DB_RECORDS_MAGIC "DBFRAMES"     /* 8 bytes, no NUL */
#define DB_RECORDS_VERSION 1

struct db_records_header {
	char magic[8];                  /* DB_RECORDS_MAGIC */
	uint32_t version;               /* DB_RECORDS_VERSION */
	uint32_t header_bytes;          /* sizeof(struct db_records_header) */
	uint32_t frame_bytes;           /* sizeof(struct db_frame) */
	uint32_t rect_bytes;            /* sizeof(struct db_rect) */
	uint32_t width, height;         /* framebuffer geometry in pixels */
	uint32_t stride;                /* bytes per scanline */
	uint32_t bpp;                   /* 32 */
	uint64_t tsc_khz;               /* rate of the frames' TSC stamps */
	uint64_t seed;
	uint32_t fps_milli;             /* frame rate asked for, x1000 */
	uint32_t reserved;
	char workload[DB_NAME_LEN];     /* NUL-terminated */
	char options[DB_OPTIONS_LEN];   /* "k=v,..." as given, NUL-terminated */
};

#endif
