/*
 * The trace reader (core/trace_file.c, docs/TRACE.md): a trace written by
 * the one writer (tools/record/trace_write.c) comes back as the replay image
 * the guest draws from, and every way a file can be wrong is refused with
 * one line: bad magic, version, checksums, truncation at every length,
 * oversized files and payloads, a resolution other than the run's, rects
 * off the screen, times out of order, a first frame that is not the whole
 * screen; a fuzzed header (random fields with a valid checksum, random
 * bytes without) is refused or accepted, never read out of bounds (the ASan
 * build runs this too). Also the trace workload's text option.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>
#include <cmocka.h>

#include "core/trace_file.h"
#include "include/protocol.h"
#include "tools/record/trace_write.c"   /* the writer is not in run-bench's objects */
#include "workloads/workload.h"

#define W 64
#define H 64

static char path[64];

static uint8_t *slurp(const char *p, size_t *len)
{
	FILE *f = fopen(p, "rb");
	uint8_t *buf = malloc(TRACE_HEADER_BYTES + (4u << 20));

	assert_non_null(f);
	*len = fread(buf, 1, TRACE_HEADER_BYTES + (4u << 20), f);
	fclose(f);
	return buf;
}

/* Frame 0 the whole screen, then two frames of two rects; pixels or not. */
static void write_good(const char *p, int pixels)
{
	struct trace_writer w;
	static uint32_t pix[W * H];
	struct trace_rect full = { 0, 0, W, H }, two[2] = { { 1, 2, 3, 4 }, { 10, 20, 30, 40 } };
	char err[256];

	for (uint32_t i = 0; i < W * H; i++)
		pix[i] = i * 2654435761u & 0xffffff;
	trace_writer_init(&w, W, H, 60, pixels, "unit", "the unit test's frames");
	assert_int_equal(trace_writer_frame(&w, 0, &full, 1, pix), 0);
	assert_int_equal(trace_writer_frame(&w, 16666, two, 2, pix), 0);
	assert_int_equal(trace_writer_frame(&w, 33333, two, 2, pix + 7), 0);
	assert_int_equal(trace_writer_save(&w, p, err, sizeof(err)), 0);
	trace_writer_free(&w);
}

static int setup(void **state)
{
	(void)state;
	snprintf(path, sizeof(path), "/tmp/db-trace-unit-%d.dbt", (int)getpid());
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	unlink(path);
	return 0;
}

/* One line, naming the file, containing needle. */
static void expect_refused_file(const char *needle)
{
	char err[512];
	void *img = NULL;
	size_t len = 0;

	assert_int_equal(trace_file_load(path, W, H, NULL, &img, &len, err, sizeof(err)), -1);
	assert_null(img);
	assert_null(strchr(err, '\n'));
	assert_non_null(strstr(err, path));
	if (!strstr(err, needle))
		fail_msg("expected '%s' in: %s", needle, err);
}

static void expect_refused_mem(const uint8_t *file, size_t len, const char *needle)
{
	char err[512] = "";

	assert_int_equal(trace_file_parse(file, len, W, H, NULL, NULL, NULL, err, sizeof(err)), -1);
	assert_true(err[0] && !strchr(err, '\n'));
	if (needle && !strstr(err, needle))
		fail_msg("expected '%s' in: %s", needle, err);
}

static void test_round_trip(void **state)
{
	struct trace_info info;
	char err[256];
	void *img;
	size_t len;

	(void)state;
	for (int pixels = 0; pixels <= 1; pixels++) {
		write_good(path, pixels);
		assert_int_equal(trace_file_load(path, W, H, &info, &img, &len, err, sizeof(err)), 0);
		const struct db_trace_image *t = img;
		const struct db_trace_frame *f = (const void *)((const uint8_t *)img + t->frames_off);
		const struct db_rect *r = (const void *)((const uint8_t *)img + t->rects_off);
		const uint32_t *px = (const void *)((const uint8_t *)img + t->pixels_off);

		assert_int_equal(t->magic, DB_TRACE_IMAGE_MAGIC);
		assert_int_equal(t->bytes, len);
		assert_int_equal(t->frame_count, 3);
		assert_int_equal(t->duration_us, 33333 + 1000000 / 60);
		assert_int_equal(info.rect_count, 5);
		assert_string_equal(info.program, "unit");
		assert_string_equal(info.command, "the unit test's frames");
		assert_int_equal(f[2].t_us, 33333);
		assert_int_equal(f[2].rect_first, 3);
		assert_int_equal(r[4].x, 10);
		assert_int_equal(r[4].h, 40);
		assert_int_equal(!!(t->flags & DB_TRACE_HAS_PIXELS), pixels);
		if (pixels) {
			assert_int_equal(info.pixel_count, W * H + 2 * (12 + 1200));
			assert_int_equal(f[2].pixel_first, W * H + 12 + 1200);
			assert_int_equal(px[f[2].pixel_first], 7u * 2654435761u & 0xffffff);
			assert_int_equal(px[W * H - 1], (W * H - 1) * 2654435761u & 0xffffff);
		}
		assert_true(t->pixels_off + info.pixel_count * 4 <= len);
		free(img);
	}
}

static void test_wrong_resolution_and_files(void **state)
{
	char err[512];

	(void)state;
	write_good(path, 0);
	assert_int_equal(trace_file_load(path, 640, 480, NULL, NULL, NULL, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "recorded at 64x64; run it with --res 64x64"));
	assert_int_equal(trace_file_load("/nonexistent/x.dbt", W, H, NULL, NULL, NULL, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "No such file"));
	assert_int_equal(trace_file_load("/tmp", W, H, NULL, NULL, NULL, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "not a regular file"));
	/* A sparse file over the limit is refused before it is read. */
	FILE *f = fopen(path, "wb");
	assert_non_null(f);
	assert_int_equal(ftruncate(fileno(f), TRACE_HEADER_BYTES + (off_t)TRACE_MAX_ZPAYLOAD + 1), 0);
	fclose(f);
	expect_refused_file("oversized");
}

static void put32(uint8_t *h, size_t off, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		h[off + i] = (uint8_t)(v >> 8 * i);
}

static void reseal(uint8_t *h)
{
	put32(h, TRACE_OFF_HEADER_CRC, 0);
	put32(h, TRACE_OFF_HEADER_CRC, (uint32_t)crc32(0, h, TRACE_HEADER_BYTES));
}

static void test_header_fields(void **state)
{
	size_t len;
	uint8_t *good, *b;

	(void)state;
	write_good(path, 1);
	good = slurp(path, &len);
	b = malloc(len);
	static const struct { size_t off; uint32_t v; const char *needle; } cases[] = {
		{ TRACE_OFF_VERSION, 2, "version 2; this build reads version 1" },
		{ TRACE_OFF_HEADER_BYTES, 512, "header size" },
		{ TRACE_OFF_WIDTH, 32, "resolution" },
		{ TRACE_OFF_HEIGHT, 9000, "resolution" },
		{ TRACE_OFF_TICK_HZ, 0, "tick rate" },
		{ TRACE_OFF_FLAGS, 6, "unknown flags" },
		{ TRACE_OFF_FRAMES, 0, "frames" },
		{ TRACE_OFF_FRAMES, 4, "corrupt" },
		{ TRACE_OFF_FRAMES, 2, "corrupt" },
		{ TRACE_OFF_DURATION_US, 20000, "not before the duration" },
		{ TRACE_OFF_RECTS, 4, "the header says 4" },
		{ TRACE_OFF_PAYLOAD, 100, "decompress" },
		{ TRACE_OFF_PAYLOAD, 64u << 20, "oversized" },
		{ TRACE_OFF_ZPAYLOAD, 64u << 20, "oversized" },
		{ TRACE_OFF_ZPAYLOAD, 10, "trailing bytes" },
		{ TRACE_OFF_PAYLOAD_CRC, 1, "checksum" },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		memcpy(b, good, len);
		put32(b, cases[i].off, cases[i].v);
		reseal(b);
		expect_refused_mem(b, len, cases[i].needle);
		put32(b, TRACE_OFF_HEADER_CRC, 12345);          /* and unsealed: the checksum says so */
		if (cases[i].off != TRACE_OFF_VERSION && cases[i].off != TRACE_OFF_HEADER_BYTES)
			expect_refused_mem(b, len, "header checksum");
	}
	memcpy(b, good, len);
	b[0] = 'X';
	expect_refused_mem(b, len, "bad magic");
	memcpy(b, good, len);
	memset(b + TRACE_OFF_PROGRAM, 'a', TRACE_PROGRAM_LEN);
	reseal(b);
	expect_refused_mem(b, len, "NUL-terminated");
	memcpy(b, good, len);
	b[TRACE_OFF_COMMAND] = '\n';
	reseal(b);
	expect_refused_mem(b, len, "text");
	free(good);
	free(b);
}

/* Every length short of the whole file, and one byte more. */
static void test_truncated(void **state)
{
	size_t len;
	uint8_t *good;

	(void)state;
	write_good(path, 1);
	good = slurp(path, &len);
	for (size_t cut = 0; cut < len; cut++)
		expect_refused_mem(good, cut, "truncated");
	uint8_t *more = calloc(1, len + 1);
	memcpy(more, good, len);
	expect_refused_mem(more, len + 1, "trailing bytes");
	free(more);
	free(good);
}

/* Every byte of the header flipped, then random fields resealed: refused or
 * accepted, never a read out of bounds; any flip without a reseal is refused. */
static void test_fuzzed_header(void **state)
{
	size_t len;
	uint8_t *good, *b;
	char err[512];
	unsigned seed = 20;

	(void)state;
	write_good(path, 1);
	good = slurp(path, &len);
	b = malloc(len);
	for (size_t i = 0; i < TRACE_HEADER_BYTES; i++) {
		memcpy(b, good, len);
		b[i] ^= (uint8_t)(1u << (i % 8));
		expect_refused_mem(b, len, NULL);
	}
	for (int k = 0; k < 20000; k++) {
		memcpy(b, good, len);
		for (int n = 1 + rand_r(&seed) % 3; n > 0; n--) {
			size_t off = (size_t)(rand_r(&seed) % 18) * 4;         /* a numeric field */
			uint32_t v = (uint32_t)rand_r(&seed);

			put32(b, off, rand_r(&seed) % 2 ? v : (uint32_t)(v % 100));
		}
		reseal(b);
		void *img = NULL;
		size_t img_len = 0;
		if (trace_file_parse(b, len, W, H, NULL, &img, &img_len, err, sizeof(err)) == 0) {
			assert_true(img_len <= DB_TRACE_MAX);
			free(img);
		} else {
			assert_null(img);
			assert_true(err[0] && !strchr(err, '\n'));
		}
	}
	free(good);
	free(b);
}

static void write_frames(int variant)
{
	struct trace_writer w;
	struct trace_rect full = { 0, 0, W, H }, half = { 0, 0, W, H / 2 }, off = { 60, 0, 8, 8 },
		empty = { 1, 1, 0, 4 }, ok = { 1, 1, 2, 2 };
	char err[256];

	trace_writer_init(&w, W, H, 60, 0, "unit", "bad frames");
	assert_int_equal(trace_writer_frame(&w, variant == 0 ? 5 : 0, variant == 1 ? &half : &full, 1, NULL), 0);
	if (variant == 2)
		assert_int_equal(trace_writer_frame(&w, 100, &off, 1, NULL), 0);
	if (variant == 3)
		assert_int_equal(trace_writer_frame(&w, 100, &empty, 1, NULL), 0);
	if (variant == 4) {
		assert_int_equal(trace_writer_frame(&w, 200, &ok, 1, NULL), 0);
		assert_int_equal(trace_writer_frame(&w, 200, &ok, 1, NULL), 0);
	}
	assert_int_equal(trace_writer_save(&w, path, err, sizeof(err)), 0);
	trace_writer_free(&w);
}

static void test_bad_frames(void **state)
{
	static const char *const needles[] = {
		"frame 0 at 5 us", "frame 0 must be one rect covering the whole screen", "off the 64x64 screen",
		"or empty", "strictly later",
	};

	(void)state;
	for (int v = 0; v < 5; v++) {
		write_frames(v);
		expect_refused_file(needles[v]);
	}
}

/* The writer stops a trace before its replay image outgrows the guest's region. */
static void test_writer_limit(void **state)
{
	struct trace_writer w;
	static uint32_t pix[1024 * 1024];
	struct trace_rect big = { 0, 0, 1024, 1024 };
	int accepted = 0;

	(void)state;
	trace_writer_init(&w, 1024, 1024, 60, 1, "unit", "too big");
	while (trace_writer_frame(&w, (uint32_t)accepted * 16666, &big, 1, pix) == 0)
		accepted++;
	assert_int_equal(accepted, DB_TRACE_MAX / (4u << 20) - 1);
	trace_writer_free(&w);
}

static void test_file_option(void **state)
{
	const struct workload_info *trace = workload_find("trace");
	struct workload_ctx ctx = { 0 };
	char err[256];
	uint32_t len;
	const char *v;

	(void)state;
	assert_non_null(trace);
	assert_true(trace->needs_file);
	assert_int_equal(workload_parse_options(trace, NULL, &ctx, err, sizeof(err)), 0);
	assert_null(workload_opt_text(&ctx, "file", &len));
	assert_int_equal(workload_parse_options(trace, "file=traces/a.dbt,file=traces/b b.dbt", &ctx, err,
						sizeof(err)), 0);
	v = workload_opt_text(&ctx, "file", &len);
	assert_int_equal(len, 14);
	assert_memory_equal(v, "traces/b b.dbt", 14);
	assert_int_equal(ctx.fps_milli, 60000);
	assert_int_equal(workload_parse_options(trace, "file=", &ctx, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "empty value"));
	assert_int_equal(workload_parse_options(trace, "fps=30", &ctx, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "unknown option"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_wrong_resolution_and_files),
		cmocka_unit_test(test_header_fields),
		cmocka_unit_test(test_truncated),
		cmocka_unit_test(test_fuzzed_header),
		cmocka_unit_test(test_bad_frames),
		cmocka_unit_test(test_writer_limit),
		cmocka_unit_test(test_file_option),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
