/*
 * The trace file's on-disk layout (docs/TRACE.md), shared by its one reader
 * (core/trace_file.c) and its one writer (tools/record/trace_write.c). All
 * integers are little-endian; the header is TRACE_HEADER_BYTES long, and a
 * zlib stream of the frames follows it to the end of the file.
 */
#ifndef DIRTYBENCH_TRACE_FORMAT_H
#define DIRTYBENCH_TRACE_FORMAT_H

#include <stdint.h>

#define TRACE_MAGIC          "DBTRACE"   /* 8 bytes with its NUL */
#define TRACE_VERSION        1u
#define TRACE_HEADER_BYTES   1024u
#define TRACE_FLAG_PIXELS    1u          /* each rect is followed by its pixels */

/* Field offsets in the header. */
#define TRACE_OFF_MAGIC         0        /* char[8] */
#define TRACE_OFF_VERSION       8        /* u32 */
#define TRACE_OFF_HEADER_BYTES  12       /* u32 */
#define TRACE_OFF_WIDTH         16       /* u32 */
#define TRACE_OFF_HEIGHT        20       /* u32 */
#define TRACE_OFF_TICK_HZ       24       /* u32: the recorder's refresh tick */
#define TRACE_OFF_FLAGS         28       /* u32 */
#define TRACE_OFF_FRAMES        32       /* u32 */
#define TRACE_OFF_DURATION_US   36       /* u32: the last frame's time plus one tick */
#define TRACE_OFF_RECTS         40       /* u64: rects in all frames */
#define TRACE_OFF_PAYLOAD       48       /* u64: frame bytes, uncompressed */
#define TRACE_OFF_ZPAYLOAD      56       /* u64: compressed bytes after the header */
#define TRACE_OFF_PAYLOAD_CRC   64       /* u32: CRC-32 (zlib's) of the uncompressed frames */
#define TRACE_OFF_HEADER_CRC    68       /* u32: CRC-32 of the header with this field 0 */
#define TRACE_OFF_PROGRAM       72       /* char[56], NUL-terminated */
#define TRACE_PROGRAM_LEN       56
#define TRACE_OFF_COMMAND       128      /* char[896], NUL-terminated */
#define TRACE_COMMAND_LEN       896

/* Limits (docs/TRACE.md). The replay image must fit DB_TRACE_MAX. */
#define TRACE_MAX_FRAMES        1000000u
#define TRACE_MAX_RECTS_FRAME   65536u
#define TRACE_MAX_TICK_HZ       1000u
#define TRACE_MAX_DURATION_US   3600000000u   /* one hour */
#define TRACE_MAX_ZPAYLOAD      (32u << 20)
#define TRACE_MIN_SIDE          64u
#define TRACE_MAX_SIDE          8192u

/* Per frame in the payload: u32 t_us, u32 rect_count, rect_count times
 * (u16 x, y, w, h), then with TRACE_FLAG_PIXELS each rect's w*h u32
 * pixels (0x00RRGGBB), row by row, in rect order. */
#define TRACE_FRAME_HEAD_BYTES  8u
#define TRACE_RECT_BYTES        8u

#endif
