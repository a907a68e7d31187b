/*
 * Writing a trace file (docs/TRACE.md, core/trace_format.h): frames are
 * appended to an uncompressed buffer, then the whole is compressed with
 * zlib and written with its header, to a temporary file renamed over the
 * target. The one writer; core/trace_file.c is the one reader.
 */
#ifndef DIRTYBENCH_TRACE_WRITE_H
#define DIRTYBENCH_TRACE_WRITE_H

#include <stddef.h>
#include <stdint.h>

struct trace_rect {
	uint16_t x, y, w, h;
};

struct trace_writer {
	uint32_t width, height, tick_hz, flags;
	uint32_t frames, last_t_us;
	uint64_t rects;
	uint8_t *buf;
	size_t len, cap;
	char program[56];
	char command[896];
};

void trace_writer_init(struct trace_writer *w, uint32_t width, uint32_t height, uint32_t tick_hz,
		       int with_pixels, const char *program, const char *command);
/* One frame at t_us; pixels (with pixels on) are each rect's w*h 0x00RRGGBB
 * values, row by row, in rect order. Returns -1 when the trace would exceed
 * the replay limit (docs/TRACE.md). */
int trace_writer_frame(struct trace_writer *w, uint32_t t_us, const struct trace_rect *r, uint32_t n,
		       const uint32_t *pixels);
/* Compress and write; duration_us is the last frame's time plus one tick. */
int trace_writer_save(struct trace_writer *w, const char *path, char *err, size_t errlen);
void trace_writer_free(struct trace_writer *w);

#endif
