/*
 * Tests of the Linux build of the workloads (build/bin/db-workload): every
 * registered workload runs for a few real-time frames into a --file buffer
 * with --records; the records file must parse (header, frame sequence, rect
 * indices, rects on screen), and replaying the same frame numbers in-process
 * on the virtual clock must give the very same damage, frame by frame, and a
 * byte-identical final framebuffer. Bad invocations fail with status 2.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <fcntl.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "workloads/linux/records.h"
#include "workloads/linux/runtime_linux.h"
#include "workloads/workload.h"

#define RES_W 640
#define RES_H 360

extern char **environ;

/* The binary under test: $DIRTYBENCH_DB_WORKLOAD, else build/bin/db-workload. */
static const char *db_workload(void)
{
	const char *p = getenv("DIRTYBENCH_DB_WORKLOAD");
	return p && *p ? p : "build/bin/db-workload";
}

static char tmpdir[64];

static int make_tmpdir(void **state)
{
	(void)state;
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/db-linux-test.XXXXXX");
	return mkdtemp(tmpdir) ? 0 : -1;
}

static int remove_tmpdir(void **state)
{
	char cmd[128];
	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
	return system(cmd) == 0 ? 0 : -1;
}

/* Run db-workload with a NULL-terminated argument list (stderr to a file);
 * returns its exit status. */
static int run(const char *const *args, const char *errfile)
{
	const char *argv[32] = { db_workload() };
	size_t n = 1;
	for (; args[n - 1] && n < 31; n++)
		argv[n] = args[n - 1];
	argv[n] = NULL;
	posix_spawn_file_actions_t fa;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 2, errfile, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
	pid_t pid;
	int status;
	assert_int_equal(posix_spawn(&pid, argv[0], &fa, NULL, (char *const *)argv, environ), 0);
	posix_spawn_file_actions_destroy(&fa);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

static void *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	assert_non_null(f);
	assert_int_equal(fseek(f, 0, SEEK_END), 0);
	long n = ftell(f);
	assert_true(n >= 0);
	rewind(f);
	void *buf = malloc((size_t)n + 1);
	assert_non_null(buf);
	assert_int_equal(fread(buf, 1, (size_t)n, f), (size_t)n);
	fclose(f);
	*len = (size_t)n;
	return buf;
}

/* --- the records file ---------------------------------------------------------- */

struct parsed {
	const struct db_records_header *h;
	const struct db_frame *frame[256];
	struct db_frame copy[256];      /* 12-byte rects leave the next record 4-byte aligned */
	const struct db_rect *rects[256];
	size_t nframes;
};

static void check_header(const struct db_records_header *h, const char *name)
{
	assert_memory_equal(h->magic, DB_RECORDS_MAGIC, 8);
	assert_int_equal(h->version, DB_RECORDS_VERSION);
	assert_int_equal(h->header_bytes, sizeof(*h));
	assert_int_equal(h->frame_bytes, sizeof(struct db_frame));
	assert_int_equal(h->rect_bytes, sizeof(struct db_rect));
	assert_int_equal(h->width, RES_W);
	assert_int_equal(h->height, RES_H);
	assert_int_equal(h->stride, RES_W * 4);
	assert_int_equal(h->bpp, 32);
	assert_int_equal(h->seed, 5);
	assert_true(h->tsc_khz > 0 && h->fps_milli > 0);
	assert_string_equal(h->workload, name);
}

/* Walk the frames: consecutive seq, running rect indices, rects on screen. */
static void parse_records(const uint8_t *buf, size_t len, const char *name, struct parsed *p)
{
	size_t off = sizeof(struct db_records_header);
	uint64_t rect_next = 0;
	assert_true(len >= off);
	p->h = (const struct db_records_header *)buf;
	check_header(p->h, name);
	for (p->nframes = 0; off < len; p->nframes++) {
		assert_true(p->nframes < 256 && off + sizeof(struct db_frame) <= len);
		const struct db_frame *f = memcpy(&p->copy[p->nframes], buf + off, sizeof(struct db_frame));
		off += sizeof(*f);
		assert_int_equal(f->seq, p->nframes);
		assert_int_equal(f->rect_first, rect_next);
		assert_true(f->tsc_commit >= f->tsc_start);
		assert_int_equal(f->draw_cycles, f->tsc_commit - f->tsc_start);
		assert_true(off + (size_t)f->rect_count * sizeof(struct db_rect) <= len);
		p->frame[p->nframes] = f;
		p->rects[p->nframes] = (const struct db_rect *)(buf + off);
		for (uint32_t i = 0; i < f->rect_count; i++) {
			const struct db_rect *r = &p->rects[p->nframes][i];
			assert_true(r->w > 0 && r->h > 0);
			assert_true(r->x + r->w <= RES_W && r->y + r->h <= RES_H);
		}
		off += (size_t)f->rect_count * sizeof(struct db_rect);
		rect_next += f->rect_count;
	}
}

/* --- replay in-process ---------------------------------------------------------- */

struct replay {
	struct db_rect *rects;
	size_t n, cap;
};

static void replay_damage(void *arg, uint32_t x, uint32_t y, uint32_t w, uint32_t h)
{
	struct replay *r = arg;
	if (r->n == r->cap) {
		r->cap = r->cap ? r->cap * 2 : 1024;
		r->rects = realloc(r->rects, r->cap * sizeof(*r->rects));
		assert_non_null(r->rects);
	}
	r->rects[r->n++] = (struct db_rect){ (uint16_t)x, (uint16_t)y, (uint16_t)w, (uint16_t)h, 0 };
}

/* Draw frame n (0: init) and compare its damage with record i. */
static void replay_frame(const struct workload_draw *draw, struct workload_ctx *ctx,
			 struct replay *r, const struct parsed *p, size_t i, uint64_t n)
{
	r->n = 0;
	rt_frame_begin();
	if (n == 0) {
		assert_int_equal(draw->init(ctx), 0);
	} else {
		ctx->drawn++;           /* as workload_run counts frames drawn */
		draw->frame(ctx, n);
	}
	rt_frame_commit(0);
	if (r->n != p->frame[i]->rect_count)
		fail_msg("%s frame %zu (n=%lu): %zu rects in-process, %u recorded", draw->info->name, i,
			 (unsigned long)n, r->n, p->frame[i]->rect_count);
	assert_memory_equal(r->rects, p->rects[i], r->n * sizeof(struct db_rect));
}

/* The frames the record says were drawn: frame i is number i plus every
 * deadline dropped up to it, as workload_run numbers them. */
static uint32_t *replay(const struct workload_info *ops, const struct parsed *p)
{
	const struct workload_draw *draw = workload_draw_find(ops->name);
	struct replay r = { 0 };
	struct rt_linux_sink sink = { .damage = replay_damage, .arg = &r };
	struct workload_ctx ctx = { .seed = 5 };
	char err[128];
	uint32_t *pixels = calloc((size_t)RES_W * RES_H, sizeof(uint32_t));
	assert_non_null(draw);
	assert_non_null(pixels);
	ctx.fb = (struct fb){ pixels, RES_W, RES_H, RES_W };
	assert_int_equal(workload_parse_options(ops, NULL, &ctx, err, sizeof(err)), 0);
	rt_linux_set_virtual_clock(true);
	rt_linux_set_sink(&sink);
	uint64_t n = 0;
	for (size_t i = 0; i < p->nframes; i++) {
		n += i ? 1 + p->frame[i]->dropped_before : 0;
		replay_frame(draw, &ctx, &r, p, i, n);
	}
	assert_int_equal(ctx.fps_milli, p->h->fps_milli);
	rt_linux_set_sink(NULL);
	rt_linux_free_all();
	free(r.rects);
	return pixels;
}

/* Enough frames to see each workload change, few enough that idle (2 fps)
 * takes a second and a half. */
static unsigned frames_for(const struct workload_info *ops)
{
	return ops->default_fps_milli >= 20000 ? 20 : 3;
}

static void check_workload(const struct workload_info *ops)
{
	char fb[128], rec[128], errf[128], frames[16], res[32];
	snprintf(fb, sizeof(fb), "%s/%s.fb", tmpdir, ops->name);
	snprintf(rec, sizeof(rec), "%s/%s.rec", tmpdir, ops->name);
	snprintf(errf, sizeof(errf), "%s/%s.err", tmpdir, ops->name);
	snprintf(frames, sizeof(frames), "%u", frames_for(ops));
	snprintf(res, sizeof(res), "%ux%u", RES_W, RES_H);
	const char *args[] = { ops->name, "--res", res, "--seed", "5", "--frames", frames,
			       "--file", fb, "--records", rec, NULL };
	assert_int_equal(run(args, errf), 0);
	size_t rec_len, fb_len;
	uint8_t *records = slurp(rec, &rec_len);
	uint32_t *screen = slurp(fb, &fb_len);
	struct parsed p;
	parse_records(records, rec_len, ops->name, &p);
	assert_int_equal(p.nframes, frames_for(ops));
	assert_int_equal(fb_len, (size_t)RES_W * RES_H * 4);
	uint32_t *want = replay(ops, &p);
	assert_memory_equal(screen, want, fb_len);
	uint64_t rects = 0;
	for (size_t i = 0; i < p.nframes; i++)
		rects += p.frame[i]->rect_count;
	printf("  %-12s %zu frames, %lu rects, final screen identical\n", ops->name, p.nframes,
	       (unsigned long)rects);
	free(want);
	free(records);
	free(screen);
}

static void test_every_workload(void **state)
{
	(void)state;
	for (const struct workload_info *const *w = workload_catalog; *w; w++)
		if (!(*w)->needs_file)  /* db-workload refuses trace: run-bench loads it (docs/TRACE.md) */
			check_workload(*w);
}

/* --- bad invocations ------------------------------------------------------------- */

static void expect_usage_error(const char *const *args, const char *needle)
{
	char errf[128];
	size_t len;
	snprintf(errf, sizeof(errf), "%s/usage.err", tmpdir);
	assert_int_equal(run(args, errf), 2);
	char *text = slurp(errf, &len);
	text[len] = '\0';
	if (!strstr(text, needle))
		fail_msg("stderr \"%s\" lacks \"%s\"", text, needle);
	free(text);
}

static void test_errors(void **state)
{
	char fb[128];
	(void)state;
	snprintf(fb, sizeof(fb), "%s/x.fb", tmpdir);
	expect_usage_error((const char *[]){ "no-such-workload", "--file", fb, NULL },
			   "unknown workload 'no-such-workload'");
	expect_usage_error((const char *[]){ "idle", "--file", fb, "--wopt", "bogus=1", NULL },
			   "unknown option 'bogus'");
	expect_usage_error((const char *[]){ "idle", "--file", fb, "--frames", "2", "--duration",
					     "1", NULL }, "not both");
	expect_usage_error((const char *[]){ "idle", "--res", "640", "--file", fb, NULL }, "WxH");
	expect_usage_error((const char *[]){ "idle", "--fb", "/dev/null", NULL },
			   "FBIOGET_VSCREENINFO");
	expect_usage_error((const char *[]){ "idle", "--fb", "/nonexistent/fb0", NULL },
			   "cannot open");
	expect_usage_error((const char *[]){ "trace", "--file", fb, "--wopt", "file=traces/vim-typing.dbt", NULL },
			   "db-workload does not load one");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_every_workload),
	};
	return cmocka_run_group_tests_name("linux_build", tests, make_tmpdir, remove_tmpdir);
}
