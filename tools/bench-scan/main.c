/*
 * db-bench-scan: the content detectors (memcmp, memcmp-qemu, memhash) side
 * by side in one process, outside KVM, on the frames our workloads draw, with
 * ratios to both floors measured on the same buffer. For users porting to
 * another CPU (no /dev/kvm needed) and for the regression gate.
 *
 *   db-bench-scan [--res WxH] [--frames N] [--out FILE] [WORKLOAD...]
 *
 * Each workload draws its frames into a host buffer (the Linux runtime, on a
 * virtual clock, so the sequence is the same on every machine for a seed);
 * after each committed frame, every detector takes one round on it, and the
 * two floors are taken on it: one streaming read, and a compare against a
 * second buffer. Before each timed pass the buffers it reads are flushed
 * from the caches (a real scan finds them evicted after a scan period: see
 * collectors/membw.h), and the order of the passes turns frame by frame so
 * none is always first after the draw. Exit 0, or 2 on bad input (one line).
 */
#include <errno.h>
#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#if defined(__x86_64__)
#include <immintrin.h>
#endif

#include "collectors/floors.h"
#include "collectors/platform.h"
#include "core/bitmap.h"
#include "core/histogram.h"
#include "core/strategy.h"
#include "workloads/lib/runtime.h"
#include "workloads/linux/runtime_linux.h"
#include "workloads/workload.h"

extern const struct strategy_ops strategy_memcmp, strategy_memcmp_qemu, strategy_memhash;

static const struct strategy_ops *const detectors[] = { &strategy_memcmp, &strategy_memcmp_qemu, &strategy_memhash };
#define NDETECTORS (sizeof(detectors) / sizeof(detectors[0]))
enum { PASS_READ = NDETECTORS, PASS_COMPARE, NPASSES };
static const char *const floor_names[] = { "read_floor", "compare_floor" };

struct bench {
	struct backend be;
	uint8_t *other;                 /* the compare floor's second buffer */
	struct strategy s[NDETECTORS];
	struct dirty_set ds[NDETECTORS];
	struct hist ns[NPASSES];
	uint64_t frames, limit;
	volatile uint64_t sink;
};

static struct bench *g_bench;
static const struct backend_ops host_ops = { .name = "host buffer" };

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static void flush(const uint8_t *p, size_t bytes)
{
#if defined(__x86_64__)
	for (size_t i = 0; i < bytes; i += 64)
		_mm_clflush(p + i);
	_mm_mfence();
#else
	(void)p, (void)bytes;
#endif
}

/* One timed pass: a detector's round, or a floor. */
static int pass(struct bench *b, unsigned which)
{
	size_t bytes = b->be.geo.bytes;
	uint64_t t0;

	flush(b->be.vram, bytes);
	if (which < NDETECTORS && detectors[which]->shadow)
		flush(detectors[which]->shadow(&b->s[which]), bytes);
	if (which == PASS_COMPARE)
		flush(b->other, bytes);
	t0 = now_ns();
	if (which < NDETECTORS) {
		if (strategy_scan(&b->s[which], &b->ds[which]))
			return -1;
	} else {
		b->sink += which == PASS_READ ? floor_read(b->be.vram, bytes) : floor_compare(b->be.vram, b->other, bytes);
	}
	hist_add(&b->ns[which], now_ns() - t0);
	return 0;
}

/* A committed frame: every pass once, starting one further along each frame. */
static void on_commit(void *arg, uint64_t tsc, uint32_t dropped)
{
	struct bench *b = arg;

	(void)tsc, (void)dropped;
	for (unsigned i = 0; i < NPASSES; i++)
		if (pass(b, (unsigned)((b->frames + i) % NPASSES))) {
			fprintf(stderr, "db-bench-scan: a detector failed: %s\n", b->s[0].error);
			exit(1);
		}
	b->frames++;
}

static bool enough(void)
{
	return g_bench->frames >= g_bench->limit;
}

static int bench_open(struct bench *b, uint32_t w, uint32_t h, uint64_t frames, char *err, size_t len)
{
	memset(b, 0, sizeof(*b));
	b->be.ops = &host_ops;
	if (fb_geometry_init(&b->be.geo, w, h, 0, 0, err, len))
		return -1;
	b->be.vram_slot_pages = b->be.geo.pages;
	b->be.vram = aligned_alloc(4096, (b->be.geo.bytes + 4095) & ~(size_t)4095);
	b->other = aligned_alloc(4096, (b->be.geo.bytes + 4095) & ~(size_t)4095);
	if (!b->be.vram || !b->other) {
		snprintf(err, len, "out of memory");
		return -1;
	}
	memset(b->be.vram, 0, b->be.geo.bytes);
	memset(b->other, 0, b->be.geo.bytes);
	b->limit = frames;
	for (unsigned i = 0; i < NPASSES; i++)
		hist_init(&b->ns[i]);
	for (unsigned i = 0; i < NDETECTORS; i++)
		if (strategy_init(&b->s[i], detectors[i], &b->be) || dirty_set_alloc(&b->ds[i], &b->be.geo) ||
		    strategy_start(&b->s[i])) {
			snprintf(err, len, "%s: %s", detectors[i]->name, b->s[i].error);
			return -1;
		}
	return 0;
}

static void bench_close(struct bench *b)
{
	for (unsigned i = 0; i < NDETECTORS; i++) {
		strategy_fini(&b->s[i]);
		dirty_set_free(&b->ds[i]);
	}
	free(b->be.vram);
	free(b->other);
}

static json_t *workload_result(const struct bench *b)
{
	json_t *o = json_object();
	double floor_p50[2];

	for (int f = 0; f < 2; f++) {
		floor_p50[f] = hist_percentile(&b->ns[PASS_READ + f], 50);
		json_object_set_new(o, floor_names[f], json_pack("{s:f, s:f}", "p50_us", floor_p50[f] / 1e3,
				    "min_us", (double)hist_min(&b->ns[PASS_READ + f]) / 1e3));
	}
	for (unsigned i = 0; i < NDETECTORS; i++) {
		double p50 = hist_percentile(&b->ns[i], 50);

		json_object_set_new(o, detectors[i]->name, json_pack("{s:f, s:f, s:f, s:f}",
			"p50_us", p50 / 1e3, "p90_us", hist_percentile(&b->ns[i], 90) / 1e3,
			"to_read_floor", p50 / floor_p50[0], "to_compare_floor", p50 / floor_p50[1]));
	}
	json_object_set_new(o, "frames", json_integer((json_int_t)b->frames));
	return o;
}

static int run_workload(const char *name, uint32_t w, uint32_t h, uint64_t frames, json_t *out)
{
	const struct workload_info *info = workload_find(name);
	struct workload_ctx ctx = { .seed = 1 };
	struct workload_run_stats stats;
	struct rt_linux_sink sink = { .frame_commit = on_commit };
	struct bench *b = calloc(1, sizeof(*b));
	char err[256];

	if (!info || !b) {
		if (b)
			fprintf(stderr, "db-bench-scan: unknown workload '%s' (see run-bench --list)\n", name);
		else
			fprintf(stderr, "db-bench-scan: out of memory\n");
		free(b);
		return b ? 2 : 1;
	}
	if (bench_open(b, w, h, frames, err, sizeof(err)) ||
	    workload_parse_options(info, "", &ctx, err, sizeof(err))) {
		fprintf(stderr, "db-bench-scan: %s: %s\n", name, err);
		bench_close(b);
		free(b);
		return 2;
	}
	ctx.fb = (struct fb){ .pixels = (uint32_t *)(void *)b->be.vram, .width = w, .height = h,
			      .stride_px = b->be.geo.stride / FB_BYTES_PER_PIXEL };
	sink.arg = b;
	g_bench = b;
	rt_linux_set_virtual_clock(true);
	rt_linux_set_sink(&sink);
	workload_run(workload_draw_find(name), &ctx, enough, &stats);
	rt_linux_reset();
	json_object_set_new(out, name, workload_result(b));
	bench_close(b);
	free(b);
	return 0;
}

static const char *const default_workloads[] = { "idle", "typing", "scrolling", "video", "drag", "sparse",
						 "fullscreen", NULL };

static int usage(const char *why)
{
	fprintf(stderr, "db-bench-scan: %s (usage: db-bench-scan [--res WxH] [--frames N] [--out FILE] [WORKLOAD...])\n",
		why);
	return 2;
}

static void print_table(const json_t *all)
{
	const char *name;
	json_t *w;

	printf("%-11s %10s %10s", "workload", "read_us", "compare_us");
	for (unsigned i = 0; i < NDETECTORS; i++)
		printf(" %14s %6s %6s", detectors[i]->name, "/read", "/cmp");
	printf("\n");
	json_object_foreach((json_t *)all, name, w) {
		printf("%-11s %10.1f %10.1f", name, json_number_value(json_object_get(json_object_get(w, "read_floor"), "p50_us")),
		       json_number_value(json_object_get(json_object_get(w, "compare_floor"), "p50_us")));
		for (unsigned i = 0; i < NDETECTORS; i++) {
			json_t *d = json_object_get(w, detectors[i]->name);

			printf(" %14.1f %6.2f %6.2f", json_number_value(json_object_get(d, "p50_us")),
			       json_number_value(json_object_get(d, "to_read_floor")),
			       json_number_value(json_object_get(d, "to_compare_floor")));
		}
		printf("\n");
	}
}

int main(int argc, char **argv)
{
	uint32_t w = 1920, h = 1080;
	unsigned long frames = 120;
	const char *out = NULL;
	const char *const *names = default_workloads;
	json_t *all, *doc;
	char revision[64];
	int i = 1, status;

	for (; i < argc && argv[i][0] == '-'; i += 2) {
		char *end;

		if (i + 1 >= argc)
			return usage("an option lacks its value");
		if (!strcmp(argv[i], "--res")) {
			if (sscanf(argv[i + 1], "%ux%u", &w, &h) != 2 || w < 64 || h < 64 || w > 8192 || h > 8192)
				return usage("--res wants WxH, 64 to 8192 each");
		} else if (!strcmp(argv[i], "--frames")) {
			errno = 0;
			frames = strtoul(argv[i + 1], &end, 10);
			if (errno || *end || frames < 3 || frames > 100000)
				return usage("--frames wants 3 to 100000");
		} else if (!strcmp(argv[i], "--out")) {
			out = argv[i + 1];
		} else {
			return usage("unknown option");
		}
	}
	if (i < argc)
		names = (const char *const *)&argv[i];
	all = json_object();
	if (!all)
		return 1;
	for (const char *const *n = names; *n; n++)
		if ((status = run_workload(*n, w, h, frames, all))) {
			json_decref(all);
			return status;
		}
	print_table(all);
	platform_git_revision(revision, sizeof(revision));
	doc = json_pack("{s:s, s:s, s:o, s:i, s:i, s:I, s:s, s:s, s:o}", "schema", "dirtybench-bench-scan/1",
			"revision", revision, "platform", platform_detect(-1), "width", (int)w,
			"height", (int)h, "frames", (json_int_t)frames, "floor_method", floor_method(),
			"definition", "per committed frame, after a cache flush of what the pass reads: each "
				      "detector's round, one streaming read (read_floor) and a two-buffer compare "
				      "(compare_floor) of the same buffer; p50 over the frames; to_*_floor = p50 / floor p50",
			"workloads", all);
	if (out && json_dump_file(doc, out, JSON_INDENT(1) | JSON_SORT_KEYS)) {
		fprintf(stderr, "db-bench-scan: could not write %s\n", out);
		json_decref(doc);
		return 1;
	}
	json_decref(doc);
	return 0;
}
