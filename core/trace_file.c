/*
 * The trace file reader and validator (docs/TRACE.md): header, checksums,
 * limits, every frame and rect, then the replay image of include/protocol.h.
 * Everything is checked here, on the host, so the guest can trust the image.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <zlib.h>

#include "core/trace_file.h"
#include "include/protocol.h"

static int bad(char *err, size_t errlen, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int bad(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	return -1;
}

static uint32_t le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint64_t le64(const uint8_t *p)
{
	return le32(p) | (uint64_t)le32(p + 4) << 32;
}

static uint16_t le16(const uint8_t *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

/* A NUL-terminated string field that is text (no control characters). */
static int text_field(const uint8_t *p, size_t len, char *out)
{
	size_t n = strnlen((const char *)p, len);

	if (n == len)
		return -1;
	for (size_t i = 0; i < n; i++)
		if (p[i] < 0x20 || p[i] == 0x7f)
			return -1;
	memcpy(out, p, n + 1);
	return 0;
}

static int check_header_crc(const uint8_t *h, char *err, size_t errlen)
{
	uint8_t copy[TRACE_HEADER_BYTES];

	memcpy(copy, h, sizeof(copy));
	memset(copy + TRACE_OFF_HEADER_CRC, 0, 4);
	if ((uint32_t)crc32(0, copy, sizeof(copy)) != le32(h + TRACE_OFF_HEADER_CRC))
		return bad(err, errlen, "header checksum mismatch (corrupt header)");
	return 0;
}

static int parse_header(const uint8_t *h, size_t len, struct trace_info *in, char *err, size_t errlen)
{
	if (len < TRACE_HEADER_BYTES)
		return bad(err, errlen, "truncated: %zu bytes, the header alone is %u", len, TRACE_HEADER_BYTES);
	if (memcmp(h + TRACE_OFF_MAGIC, TRACE_MAGIC, 8))
		return bad(err, errlen, "not a dirtybench trace (bad magic)");
	in->version = le32(h + TRACE_OFF_VERSION);
	if (in->version != TRACE_VERSION)
		return bad(err, errlen, "trace format version %u; this build reads version %u", in->version,
			   TRACE_VERSION);
	if (le32(h + TRACE_OFF_HEADER_BYTES) != TRACE_HEADER_BYTES)
		return bad(err, errlen, "header size %u, version 1 has %u", le32(h + TRACE_OFF_HEADER_BYTES),
			   TRACE_HEADER_BYTES);
	if (check_header_crc(h, err, errlen))
		return -1;
	in->width = le32(h + TRACE_OFF_WIDTH);
	in->height = le32(h + TRACE_OFF_HEIGHT);
	in->tick_hz = le32(h + TRACE_OFF_TICK_HZ);
	in->flags = le32(h + TRACE_OFF_FLAGS);
	in->frame_count = le32(h + TRACE_OFF_FRAMES);
	in->duration_us = le32(h + TRACE_OFF_DURATION_US);
	in->rect_count = le64(h + TRACE_OFF_RECTS);
	if (text_field(h + TRACE_OFF_PROGRAM, TRACE_PROGRAM_LEN, in->program) ||
	    text_field(h + TRACE_OFF_COMMAND, TRACE_COMMAND_LEN, in->command))
		return bad(err, errlen, "program or command line is not NUL-terminated text");
	return 0;
}

static int check_limits(const struct trace_info *in, uint64_t payload, uint64_t zpayload, size_t len,
			char *err, size_t errlen)
{
	if (in->width < TRACE_MIN_SIDE || in->width > TRACE_MAX_SIDE || in->height < TRACE_MIN_SIDE ||
	    in->height > TRACE_MAX_SIDE)
		return bad(err, errlen, "resolution %ux%u outside %u..%u", in->width, in->height,
			   TRACE_MIN_SIDE, TRACE_MAX_SIDE);
	if (in->tick_hz == 0 || in->tick_hz > TRACE_MAX_TICK_HZ)
		return bad(err, errlen, "tick rate %u Hz outside 1..%u", in->tick_hz, TRACE_MAX_TICK_HZ);
	if (in->flags & ~TRACE_FLAG_PIXELS)
		return bad(err, errlen, "unknown flags %#x", in->flags & ~TRACE_FLAG_PIXELS);
	if (in->frame_count == 0 || in->frame_count > TRACE_MAX_FRAMES)
		return bad(err, errlen, "%u frames, outside 1..%u", in->frame_count, TRACE_MAX_FRAMES);
	if (in->duration_us == 0 || in->duration_us > TRACE_MAX_DURATION_US)
		return bad(err, errlen, "duration %u us outside 1..%u", in->duration_us, TRACE_MAX_DURATION_US);
	if (in->rect_count > (uint64_t)in->frame_count * TRACE_MAX_RECTS_FRAME)
		return bad(err, errlen, "%llu rects is more than its frames may hold",
			   (unsigned long long)in->rect_count);
	if (zpayload > TRACE_MAX_ZPAYLOAD || payload > DB_TRACE_MAX)
		return bad(err, errlen, "oversized: %llu compressed / %llu raw bytes of frames (limits %u / %llu)",
			   (unsigned long long)zpayload, (unsigned long long)payload, TRACE_MAX_ZPAYLOAD,
			   (unsigned long long)DB_TRACE_MAX);
	if (zpayload != len - TRACE_HEADER_BYTES)
		return bad(err, errlen, "%s: the header says %llu bytes of frames, the file has %zu",
			   zpayload > len - TRACE_HEADER_BYTES ? "truncated" : "trailing bytes",
			   (unsigned long long)zpayload, len - TRACE_HEADER_BYTES);
	return 0;
}

static uint8_t *inflate_payload(const uint8_t *z, uint64_t zlen, uint64_t raw, uint32_t crc,
				char *err, size_t errlen)
{
	uLongf out_len = (uLongf)raw;
	uint8_t *out = malloc(raw ? raw : 1);

	if (!out)
		return bad(err, errlen, "out of memory for %llu bytes", (unsigned long long)raw), NULL;
	if (uncompress(out, &out_len, z, (uLong)zlen) != Z_OK || out_len != raw) {
		free(out);
		return bad(err, errlen, "corrupt: the frames do not decompress to the %llu bytes the header says",
			   (unsigned long long)raw), NULL;
	}
	if ((uint32_t)crc32(0, out, (uInt)raw) != crc) {
		free(out);
		return bad(err, errlen, "corrupt: frame data checksum mismatch"), NULL;
	}
	return out;
}

/* One rect of frame f: on screen, not empty; frame 0 is one full-screen rect. */
static int check_rect(const struct trace_info *in, uint32_t f, uint32_t n, const uint8_t *r,
		      char *err, size_t errlen)
{
	uint32_t x = le16(r), y = le16(r + 2), w = le16(r + 4), h = le16(r + 6);

	if (w == 0 || h == 0 || x + w > in->width || y + h > in->height)
		return bad(err, errlen, "corrupt: frame %u has rect %ux%u+%u+%u, off the %ux%u screen or empty",
			   f, w, h, x, y, in->width, in->height);
	if (f == 0 && (n != 1 || x || y || w != in->width || h != in->height))
		return bad(err, errlen, "frame 0 must be one rect covering the whole screen");
	return 0;
}

/* Frame f's head at p[*off]: its time after the last one's, its rect count in limits. */
static int frame_head(const struct trace_info *in, const uint8_t *p, uint64_t len, uint64_t *off, uint32_t f,
		      uint32_t *last_t, uint32_t *n, char *err, size_t errlen)
{
	if (len - *off < TRACE_FRAME_HEAD_BYTES)
		return bad(err, errlen, "corrupt: frame %u starts past the end of the frames", f);
	uint32_t t = le32(p + *off);

	*n = le32(p + *off + 4);
	*off += TRACE_FRAME_HEAD_BYTES;
	if (f == 0 ? t != 0 : t <= *last_t)
		return bad(err, errlen, "corrupt: frame %u at %u us (frame 0 at 0, then strictly later)", f, t);
	if (t >= in->duration_us)
		return bad(err, errlen, "corrupt: frame %u at %u us, not before the duration %u us", f, t,
			   in->duration_us);
	if (*n > TRACE_MAX_RECTS_FRAME)
		return bad(err, errlen, "frame %u has %u rects (at most %u)", f, *n, TRACE_MAX_RECTS_FRAME);
	if ((len - *off) / TRACE_RECT_BYTES < *n)
		return bad(err, errlen, "corrupt: frame %u's rects run past the end of the frames", f);
	*last_t = t;
	return 0;
}

/* One pass over the frames: checks everything and counts; with img, also
 * fills the image's tables (sized by a first pass without). */
static int walk_frames(const uint8_t *p, uint64_t len, struct trace_info *in, struct db_trace_image *img,
		       char *err, size_t errlen)
{
	uint8_t *base = (uint8_t *)img;
	uint64_t off = 0, nrect = 0, npix = 0;
	uint32_t last_t = 0;
	bool pix = in->flags & TRACE_FLAG_PIXELS;

	for (uint32_t f = 0; f < in->frame_count; f++) {
		uint32_t n = 0;

		if (frame_head(in, p, len, &off, f, &last_t, &n, err, errlen))
			return -1;
		if (img)
			((struct db_trace_frame *)(base + img->frames_off))[f] = (struct db_trace_frame){
				.t_us = last_t, .rect_count = n, .rect_first = nrect, .pixel_first = npix };
		const uint8_t *r = p + off;
		uint64_t frame_pix = 0;

		for (uint32_t k = 0; k < n; k++, r += TRACE_RECT_BYTES) {
			if (check_rect(in, f, n, r, err, errlen))
				return -1;
			if (img)
				((struct db_rect *)(base + img->rects_off))[nrect + k] = (struct db_rect){
					le16(r), le16(r + 2), le16(r + 4), le16(r + 6), 0 };
			frame_pix += (uint64_t)le16(r + 4) * le16(r + 6);
		}
		off += (uint64_t)n * TRACE_RECT_BYTES;
		nrect += n;
		if (!pix)
			continue;
		if ((len - off) / 4 < frame_pix)
			return bad(err, errlen, "corrupt: frame %u's pixels run past the end of the frames", f);
		if (img)
			memcpy(base + img->pixels_off + npix * 4, p + off, frame_pix * 4);
		off += frame_pix * 4;
		npix += frame_pix;
	}
	if (off != len)
		return bad(err, errlen, "corrupt: %llu bytes after the last frame", (unsigned long long)(len - off));
	if (nrect != in->rect_count)
		return bad(err, errlen, "corrupt: %llu rects, the header says %llu", (unsigned long long)nrect,
			   (unsigned long long)in->rect_count);
	in->pixel_count = npix;
	return 0;
}

/* The replay image's layout for the counts walk_frames found. */
static int image_layout(struct trace_info *in, struct db_trace_image *lay, char *err, size_t errlen)
{
	uint64_t frames = sizeof(*lay);
	uint64_t rects = frames + (uint64_t)in->frame_count * sizeof(struct db_trace_frame);
	uint64_t pixels = (rects + in->rect_count * sizeof(struct db_rect) + 63) & ~63ull;
	uint64_t bytes = pixels + in->pixel_count * 4;

	if (bytes > DB_TRACE_MAX)
		return bad(err, errlen, "oversized: its replay image is %llu bytes, the guest holds %llu",
			   (unsigned long long)bytes, (unsigned long long)DB_TRACE_MAX);
	*lay = (struct db_trace_image){
		.magic = DB_TRACE_IMAGE_MAGIC, .flags = in->flags & TRACE_FLAG_PIXELS ? DB_TRACE_HAS_PIXELS : 0,
		.width = in->width, .height = in->height, .frame_count = in->frame_count,
		.duration_us = in->duration_us, .frames_off = frames, .rects_off = rects,
		.pixels_off = pixels, .bytes = bytes,
	};
	in->image_bytes = bytes;
	return 0;
}

static int parse_payload(const uint8_t *file, size_t len, uint32_t want_w, uint32_t want_h,
			 struct trace_info *in, void **image, size_t *image_len, char *err, size_t errlen)
{
	uint64_t raw = le64(file + TRACE_OFF_PAYLOAD), zlen = le64(file + TRACE_OFF_ZPAYLOAD);
	struct db_trace_image lay;
	uint8_t *payload;
	int rc = -1;

	if (check_limits(in, raw, zlen, len, err, errlen))
		return -1;
	if (want_w && (in->width != want_w || in->height != want_h))
		return bad(err, errlen, "recorded at %ux%u; run it with --res %ux%u", in->width, in->height,
			   in->width, in->height);
	payload = inflate_payload(file + TRACE_HEADER_BYTES, zlen, raw, le32(file + TRACE_OFF_PAYLOAD_CRC),
				  err, errlen);
	if (!payload)
		return -1;
	if (walk_frames(payload, raw, in, NULL, err, errlen) || image_layout(in, &lay, err, errlen))
		goto out;
	rc = 0;
	if (!image)
		goto out;
	*image = calloc(1, lay.bytes);
	if (!*image) {
		rc = bad(err, errlen, "out of memory for the replay image");
		goto out;
	}
	memcpy(*image, &lay, sizeof(lay));
	(void)walk_frames(payload, raw, in, *image, err, errlen);     /* checked by the first pass */
	*image_len = lay.bytes;
out:
	free(payload);
	return rc;
}

int trace_file_parse(const uint8_t *file, size_t len, uint32_t want_w, uint32_t want_h,
		     struct trace_info *info, void **image, size_t *image_len, char *err, size_t errlen)
{
	struct trace_info local;

	if (!info)
		info = &local;
	memset(info, 0, sizeof(*info));
	info->file_bytes = len;
	if (parse_header(file, len, info, err, errlen))
		return -1;
	return parse_payload(file, len, want_w, want_h, info, image, image_len, err, errlen);
}

static uint8_t *read_whole(const char *path, size_t *len, char *err, size_t errlen)
{
	FILE *f = fopen(path, "rb");
	struct stat st;
	uint8_t *buf;

	if (!f)
		return bad(err, errlen, "%s", strerror(errno)), NULL;
	if (fstat(fileno(f), &st) || !S_ISREG(st.st_mode)) {
		fclose(f);
		return bad(err, errlen, "not a regular file"), NULL;
	}
	if ((uint64_t)st.st_size > TRACE_HEADER_BYTES + (uint64_t)TRACE_MAX_ZPAYLOAD) {
		fclose(f);
		return bad(err, errlen, "oversized: %lld bytes (at most %u)", (long long)st.st_size,
			   TRACE_HEADER_BYTES + TRACE_MAX_ZPAYLOAD), NULL;
	}
	buf = malloc((size_t)st.st_size + 1);
	*len = buf ? fread(buf, 1, (size_t)st.st_size, f) : 0;
	if (!buf || ferror(f) || *len != (size_t)st.st_size) {
		free(buf);
		fclose(f);
		return bad(err, errlen, "could not read it"), NULL;
	}
	fclose(f);
	return buf;
}

int trace_file_load(const char *path, uint32_t want_w, uint32_t want_h, struct trace_info *info,
		    void **image, size_t *image_len, char *err, size_t errlen)
{
	char why[256];
	size_t len;
	uint8_t *file = read_whole(path, &len, why, sizeof(why));
	int rc = file ? trace_file_parse(file, len, want_w, want_h, info, image, image_len, why, sizeof(why)) : -1;

	free(file);
	if (rc)
		snprintf(err, errlen, "trace %s: %s", path, why);
	return rc;
}
