/* The trace file writer (trace_write.h). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

#include "core/trace_format.h"
#include "include/protocol.h"
#include "tools/record/trace_write.h"

void trace_writer_init(struct trace_writer *w, uint32_t width, uint32_t height, uint32_t tick_hz,
		       int with_pixels, const char *program, const char *command)
{
	memset(w, 0, sizeof(*w));
	w->width = width;
	w->height = height;
	w->tick_hz = tick_hz;
	w->flags = with_pixels ? TRACE_FLAG_PIXELS : 0;
	snprintf(w->program, sizeof(w->program), "%s", program);
	snprintf(w->command, sizeof(w->command), "%s", command);
}

static int put(struct trace_writer *w, const void *p, size_t n)
{
	if (w->len + n > w->cap) {
		size_t cap = w->cap ? w->cap : 1 << 20;
		while (cap < w->len + n)
			cap *= 2;
		uint8_t *b = realloc(w->buf, cap);
		if (!b)
			return -1;
		w->buf = b;
		w->cap = cap;
	}
	memcpy(w->buf + w->len, p, n);
	w->len += n;
	return 0;
}

static void le32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> 8 * i);
}

static void le64(uint8_t *p, uint64_t v)
{
	le32(p, (uint32_t)v);
	le32(p + 4, (uint32_t)(v >> 32));
}

/* The replay image's size so far (core/trace_file.c's layout), to stop
 * before a trace grows past what the guest can hold. */
static uint64_t image_bytes(const struct trace_writer *w, uint64_t more_frames, uint64_t more_rects,
			    uint64_t more_pixels)
{
	uint64_t pix = w->flags & TRACE_FLAG_PIXELS ? (w->len / 4) : 0;  /* an upper bound */

	return sizeof(struct db_trace_image) + (w->frames + more_frames) * sizeof(struct db_trace_frame) +
	       (w->rects + more_rects) * sizeof(struct db_rect) + 64 + (pix + more_pixels) * 4;
}

int trace_writer_frame(struct trace_writer *w, uint32_t t_us, const struct trace_rect *r, uint32_t n,
		       const uint32_t *pixels)
{
	uint8_t head[8], rect[8];
	uint64_t npix = 0;

	for (uint32_t i = 0; i < n; i++)
		npix += (uint64_t)r[i].w * r[i].h;
	if (w->frames >= TRACE_MAX_FRAMES || n > TRACE_MAX_RECTS_FRAME ||
	    image_bytes(w, 1, n, (w->flags & TRACE_FLAG_PIXELS) ? npix : 0) > DB_TRACE_MAX)
		return -1;
	le32(head, t_us);
	le32(head + 4, n);
	if (put(w, head, sizeof(head)))
		return -1;
	for (uint32_t i = 0; i < n; i++) {
		uint16_t v[4] = { r[i].x, r[i].y, r[i].w, r[i].h };
		for (int k = 0; k < 4; k++) {
			rect[2 * k] = (uint8_t)v[k];
			rect[2 * k + 1] = (uint8_t)(v[k] >> 8);
		}
		if (put(w, rect, sizeof(rect)))
			return -1;
	}
	if ((w->flags & TRACE_FLAG_PIXELS) && put(w, pixels, npix * 4))   /* x86: already little-endian */
		return -1;
	w->frames++;
	w->rects += n;
	w->last_t_us = t_us;
	return 0;
}

static void fill_header(const struct trace_writer *w, uint8_t *h, uint64_t zlen)
{
	memset(h, 0, TRACE_HEADER_BYTES);
	memcpy(h + TRACE_OFF_MAGIC, TRACE_MAGIC, 8);
	le32(h + TRACE_OFF_VERSION, TRACE_VERSION);
	le32(h + TRACE_OFF_HEADER_BYTES, TRACE_HEADER_BYTES);
	le32(h + TRACE_OFF_WIDTH, w->width);
	le32(h + TRACE_OFF_HEIGHT, w->height);
	le32(h + TRACE_OFF_TICK_HZ, w->tick_hz);
	le32(h + TRACE_OFF_FLAGS, w->flags);
	le32(h + TRACE_OFF_FRAMES, w->frames);
	le32(h + TRACE_OFF_DURATION_US, w->last_t_us + 1000000u / w->tick_hz);
	le64(h + TRACE_OFF_RECTS, w->rects);
	le64(h + TRACE_OFF_PAYLOAD, w->len);
	le64(h + TRACE_OFF_ZPAYLOAD, zlen);
	le32(h + TRACE_OFF_PAYLOAD_CRC, (uint32_t)crc32(0, w->buf, (uInt)w->len));
	memcpy(h + TRACE_OFF_PROGRAM, w->program, strnlen(w->program, TRACE_PROGRAM_LEN - 1));
	memcpy(h + TRACE_OFF_COMMAND, w->command, strnlen(w->command, TRACE_COMMAND_LEN - 1));
	le32(h + TRACE_OFF_HEADER_CRC, (uint32_t)crc32(0, h, TRACE_HEADER_BYTES));
}

int trace_writer_save(struct trace_writer *w, const char *path, char *err, size_t errlen)
{
	uLongf zlen = compressBound((uLong)w->len);
	uint8_t *z = malloc(zlen), h[TRACE_HEADER_BYTES];
	char tmp[4096];
	FILE *f;

	if (!z || compress2(z, &zlen, w->buf, (uLong)w->len, 9) != Z_OK) {
		free(z);
		snprintf(err, errlen, "compressing %zu bytes failed", w->len);
		return -1;
	}
	fill_header(w, h, zlen);
	snprintf(tmp, sizeof(tmp), "%s.tmp%d", path, (int)getpid());
	f = fopen(tmp, "wb");
	if (!f || fwrite(h, 1, sizeof(h), f) != sizeof(h) || fwrite(z, 1, zlen, f) != zlen || fclose(f)) {
		snprintf(err, errlen, "writing %s: %s", tmp, strerror(errno));
		free(z);
		unlink(tmp);
		return -1;
	}
	free(z);
	if (rename(tmp, path)) {
		snprintf(err, errlen, "renaming to %s: %s", path, strerror(errno));
		unlink(tmp);
		return -1;
	}
	return 0;
}

void trace_writer_free(struct trace_writer *w)
{
	free(w->buf);
	w->buf = NULL;
}
