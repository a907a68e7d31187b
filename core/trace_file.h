/*
 * Reading and checking a trace file (docs/TRACE.md): the one reader, used
 * by run-bench before anything boots (a bad trace is bad input, exit 2), by
 * the tests, and by the recorder to check what it wrote. On success it
 * returns the replay image the guest draws from (include/protocol.h:
 * struct db_trace_image), already decompressed and checked.
 */
#ifndef DIRTYBENCH_TRACE_FILE_H
#define DIRTYBENCH_TRACE_FILE_H

#include <stddef.h>
#include <stdint.h>

#include "core/trace_format.h"

struct trace_info {
	uint32_t version, width, height, tick_hz, flags;
	uint32_t frame_count, duration_us;
	uint64_t rect_count, pixel_count;
	uint64_t file_bytes, image_bytes;
	char program[TRACE_PROGRAM_LEN];
	char command[TRACE_COMMAND_LEN];
};

/* Check the trace at path, for a screen of want_w x want_h (0 x 0: any),
 * and build its replay image (malloc'ed, *image_len bytes; image may be
 * NULL to check only). Returns 0, or -1 with one line in err naming the
 * file and what is wrong with it. */
int trace_file_load(const char *path, uint32_t want_w, uint32_t want_h, struct trace_info *info,
		    void **image, size_t *image_len, char *err, size_t errlen);

/* The same for a trace already in memory (the tests' fuzzing). */
int trace_file_parse(const uint8_t *file, size_t len, uint32_t want_w, uint32_t want_h,
		     struct trace_info *info, void **image, size_t *image_len, char *err, size_t errlen);

#endif
