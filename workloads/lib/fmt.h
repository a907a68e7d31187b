/*
 * Freestanding number and string formatting for workloads and the frame
 * runner (the guest has no snprintf): clock digits, option error messages.
 */
#ifndef DIRTYBENCH_FMT_H
#define DIRTYBENCH_FMT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Enough for any uint64_t or int64_t in decimal, plus the NUL. */
#define FMT_U64_LEN 21

/* Write value in decimal, right-aligned to at least width characters (padded
 * with '0' when zero_pad, else spaces), NUL-terminated. buf must hold
 * max(width, 20) + 1 bytes. Returns the length without the NUL. */
size_t fmt_u64(char *buf, uint64_t value, unsigned width, bool zero_pad);

/* The same for a signed value, no padding: buf holds FMT_U64_LEN bytes. */
size_t fmt_i64(char *buf, int64_t value);

/* Append src to the NUL-terminated string in dst[size], truncating so that
 * dst stays NUL-terminated (like strlcat, but returns the new length). */
size_t fmt_cat(char *dst, size_t size, const char *src);

/* Append src[0..n) the same way (src need not be NUL-terminated). */
size_t fmt_catn(char *dst, size_t size, const char *src, size_t n);

#endif
