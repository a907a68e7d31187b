/*
 * db-workload: the dirtybench workloads as an ordinary Linux program, for
 * guests the micro-VM is not (a Xen domU, a desktop VM): it draws one
 * workload in real time into the Linux framebuffer (/dev/fb0, mmap'ed with
 * its real geometry; 32 bpp only) or into a file-backed shared buffer, and
 * writes the frame records a host needs to run the oracle against what it
 * sees in that memory.
 *
 *   db-workload WORKLOAD [--res WxH] [--seed N] [--wopt k=v,...]
 *               [--frames N | --duration S] [--fb DEV | --file PATH]
 *               [--records PATH]
 *   db-workload --xen BASE     serve runs for run-bench --backend xen from a
 *                              Xen domU (workloads/xen/xenshare.h); BASE is
 *                              the guest physical address of the region
 *
 * Records file (struct definitions in records.h; native byte order):
 *   struct db_records_header   magic "DBFRAMES", version, the sizes of the
 *                              three structs, geometry (width, height,
 *                              stride in bytes, bpp), tsc_khz, seed,
 *                              fps_milli, workload name and options
 *   then for every committed frame, in order:
 *     struct db_frame          (protocol.h) seq counts frames from 0;
 *                              tsc_start / tsc_commit are rt_tsc() when
 *                              drawing began and when the frame was
 *                              complete; rect_first is the running index
 *                              of its first rect; dropped_before counts
 *                              the deadlines skipped just before it, so
 *                              frame seq is the workload's frame number
 *                              seq + (sum of dropped_before so far)
 *     struct db_rect[rect_count]  its exact damage
 * The file ends after the last complete frame.
 */
#include "workloads/workload.h"
#include "workloads/linux/records.h"
#include "workloads/linux/runtime_linux.h"
#include "workloads/xen/xen_guest.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <linux/fb.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#define DBW_EXIT_FAIL 1
#define DBW_EXIT_USAGE 2
#define DBW_MAX_DIM 65535               /* struct db_rect holds 16-bit coordinates */

struct dbw_args {
	const char *workload, *wopt, *fbdev, *file, *records, *xen;
	uint32_t width, height;
	bool res_given;
	uint64_t seed, frames;
	double duration;
};

/* Where the pixels go: an mmap of a framebuffer device or of a file. */
struct dbw_target {
	int fd;
	void *map;
	size_t map_len;
	struct fb fb;
};

/* The frame-record sink; also counts frames for --frames. */
struct dbw_records {
	FILE *f;
	const char *path;
	const struct workload_ctx *ctx;
	const struct dbw_args *args;
	struct db_rect *rects;
	size_t nrects, cap;
	uint64_t frames, rect_next, tsc_start;
	bool failed;
};

static volatile sig_atomic_t dbw_signalled;
static struct dbw_records *dbw_rec;
static uint64_t dbw_stop_tsc;           /* --duration: 0 = none */

static void dbw_usage(FILE *out)
{
	fputs("usage: db-workload WORKLOAD [options]\n"
	      "       db-workload --list | --help\n\n"
	      "Draw a dirtybench workload in real time into the Linux framebuffer or a\n"
	      "file, and record every frame's exact damage for a host-side oracle.\n\n"
	      "  --res WxH        size of the --file buffer (default 1920x1080); with --fb,\n"
	      "                   the size the device must have\n"
	      "  --seed N         workload seed (default 1)\n"
	      "  --wopt K=V[,..]  workload options (see --list)\n"
	      "  --frames N       stop after N frames, frame 0 included\n"
	      "  --duration S     stop after S seconds (default: run until SIGINT/SIGTERM)\n"
	      "  --fb DEV         draw into this framebuffer device (default /dev/fb0)\n"
	      "  --file PATH      draw into PATH instead: WxH 32 bpp, created or truncated\n"
	      "  --records PATH   write the frame records there\n"
	      "  --list           workloads and their options\n"
	      "  --xen BASE       (alone) serve run-bench --backend xen from a Xen domU, the\n"
	      "                   region at guest physical BASE (see workloads/xen/xenshare.h)\n\n"
	      "Exit status: 0 ok, 1 the run failed, 2 bad input or unusable target.\n", out);
}

static void dbw_list(void)
{
	for (const struct workload_info *const *w = workload_catalog; *w; w++) {
		printf("  %-16s %s (%g fps)\n", (*w)->name, (*w)->description,
		       (*w)->default_fps_milli / 1000.0);
		for (const struct workload_option *o = (*w)->options; o->name; o++)
			printf("                     %s=%lld (%lld..%lld) %s\n", o->name,
			       (long long)o->value, (long long)o->min, (long long)o->max, o->help);
	}
}

/* --- arguments ------------------------------------------------------------- */

static int dbw_parse_res(const char *s, uint32_t *w, uint32_t *h)
{
	char *end;
	unsigned long a = strtoul(s, &end, 10), b;
	if (end == s || *end != 'x')
		return -1;
	s = end + 1;
	b = strtoul(s, &end, 10);
	if (end == s || *end || a == 0 || b == 0 || a > DBW_MAX_DIM || b > DBW_MAX_DIM)
		return -1;
	*w = (uint32_t)a;
	*h = (uint32_t)b;
	return 0;
}

static int dbw_parse_u64(const char *s, uint64_t *out)
{
	char *end;
	errno = 0;
	unsigned long long v = strtoull(s, &end, 0);
	if (end == s || *end || errno || *s == '-')
		return -1;
	*out = v;
	return 0;
}

enum { OPT_RES = 256, OPT_SEED, OPT_WOPT, OPT_FRAMES, OPT_DURATION, OPT_FB, OPT_FILE,
       OPT_RECORDS, OPT_LIST, OPT_HELP, OPT_XEN };

static const struct option dbw_options[] = {
	{ "res", required_argument, NULL, OPT_RES },
	{ "seed", required_argument, NULL, OPT_SEED },
	{ "wopt", required_argument, NULL, OPT_WOPT },
	{ "frames", required_argument, NULL, OPT_FRAMES },
	{ "duration", required_argument, NULL, OPT_DURATION },
	{ "fb", required_argument, NULL, OPT_FB },
	{ "file", required_argument, NULL, OPT_FILE },
	{ "records", required_argument, NULL, OPT_RECORDS },
	{ "list", no_argument, NULL, OPT_LIST },
	{ "help", no_argument, NULL, OPT_HELP },
	{ "xen", required_argument, NULL, OPT_XEN },
	{ NULL, 0, NULL, 0 },
};

static int dbw_bad(const char *what, const char *arg)
{
	fprintf(stderr, "db-workload: %s, got '%s'\n", what, arg);
	return -1;
}

/* One option; returns 0, 1 to exit successfully (--list, --help), -1 on error. */
static int dbw_parse_one(int c, const char *arg, struct dbw_args *a)
{
	char *end;
	switch (c) {
	case OPT_RES:
		a->res_given = true;
		if (dbw_parse_res(arg, &a->width, &a->height))
			return dbw_bad("--res wants WxH, each 1..65535", arg);
		return 0;
	case OPT_SEED:
		return dbw_parse_u64(arg, &a->seed) ? dbw_bad("--seed wants an integer", arg) : 0;
	case OPT_FRAMES:
		if (dbw_parse_u64(arg, &a->frames) || a->frames == 0)
			return dbw_bad("--frames wants a count >= 1", arg);
		return 0;
	case OPT_DURATION:
		a->duration = strtod(arg, &end);
		if (end == arg || *end || !(a->duration > 0 && a->duration < 1e7))
			return dbw_bad("--duration wants seconds > 0", arg);
		return 0;
	case OPT_WOPT: a->wopt = arg; return 0;
	case OPT_FB: a->fbdev = arg; return 0;
	case OPT_FILE: a->file = arg; return 0;
	case OPT_RECORDS: a->records = arg; return 0;
	case OPT_XEN: a->xen = arg; return 0;
	case OPT_LIST: dbw_list(); return 1;
	case OPT_HELP: dbw_usage(stdout); return 1;
	default: dbw_usage(stderr); return -1;
	}
}

static int dbw_parse_args(int argc, char **argv, struct dbw_args *a)
{
	int c, r;
	*a = (struct dbw_args){ .width = 1920, .height = 1080, .seed = 1 };
	while ((c = getopt_long(argc, argv, "", dbw_options, NULL)) != -1)
		if ((r = dbw_parse_one(c, optarg, a)) != 0)
			return r;
	if (a->xen && optind == argc)
		return 0;
	if (optind != argc - 1) {
		dbw_usage(stderr);
		return -1;
	}
	a->workload = argv[optind];
	if (a->frames && a->duration > 0) {
		fprintf(stderr, "db-workload: give --frames or --duration, not both\n");
		return -1;
	}
	if (a->fbdev && a->file) {
		fprintf(stderr, "db-workload: give --fb or --file, not both\n");
		return -1;
	}
	if (!a->file && !a->fbdev)
		a->fbdev = "/dev/fb0";
	return 0;
}

/* --- targets ----------------------------------------------------------------- */

static int dbw_fail(const char *what, const char *path)
{
	fprintf(stderr, "db-workload: %s %s: %s\n", what, path, strerror(errno));
	return -1;
}

static int dbw_open_file(const char *path, uint32_t w, uint32_t h, struct dbw_target *t)
{
	t->map_len = (size_t)w * h * sizeof(uint32_t);
	t->fd = open(path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (t->fd < 0)
		return dbw_fail("cannot create", path);
	if (ftruncate(t->fd, (off_t)t->map_len))
		return dbw_fail("cannot size", path);
	t->map = mmap(NULL, t->map_len, PROT_READ | PROT_WRITE, MAP_SHARED, t->fd, 0);
	if (t->map == MAP_FAILED)
		return dbw_fail("cannot mmap", path);
	t->fb = (struct fb){ t->map, w, h, w };
	return 0;
}

/* The geometry checks: what gfx can draw into, and what --res asked for. */
static int dbw_check_fbdev(const char *path, const struct fb_var_screeninfo *var,
			   const struct fb_fix_screeninfo *fix, const struct dbw_args *a)
{
	if (var->bits_per_pixel != 32) {
		fprintf(stderr, "db-workload: %s is %u bpp; only 32 bpp framebuffers are supported\n",
			path, var->bits_per_pixel);
		return -1;
	}
	if (fix->type != FB_TYPE_PACKED_PIXELS || fix->line_length % 4 ||
	    fix->line_length / 4 < var->xres || var->xres == 0 || var->yres == 0 ||
	    var->xres > DBW_MAX_DIM || var->yres > DBW_MAX_DIM) {
		fprintf(stderr, "db-workload: %s: unsupported layout (type %u, %ux%u, %u bytes per line)\n",
			path, fix->type, var->xres, var->yres, fix->line_length);
		return -1;
	}
	if (a->res_given && (a->width != var->xres || a->height != var->yres)) {
		fprintf(stderr, "db-workload: --res %ux%u, but %s is %ux%u\n", a->width, a->height,
			path, var->xres, var->yres);
		return -1;
	}
	if (var->red.offset != 16 || var->green.offset != 8 || var->blue.offset != 0)
		fprintf(stderr, "db-workload: warning: %s is not x8r8g8b8, colours will be off\n", path);
	return 0;
}

static int dbw_open_fbdev(const char *path, const struct dbw_args *a, struct dbw_target *t)
{
	struct fb_var_screeninfo var;
	struct fb_fix_screeninfo fix;
	t->fd = open(path, O_RDWR | O_CLOEXEC);
	if (t->fd < 0)
		return dbw_fail("cannot open", path);
	if (ioctl(t->fd, FBIOGET_VSCREENINFO, &var) || ioctl(t->fd, FBIOGET_FSCREENINFO, &fix))
		return dbw_fail("FBIOGET_VSCREENINFO/FSCREENINFO failed on", path);
	if (dbw_check_fbdev(path, &var, &fix, a))
		return -1;
	/* The visible screen starts at (xoffset, yoffset) of the virtual one. */
	size_t start = (size_t)var.yoffset * fix.line_length + (size_t)var.xoffset * 4;
	t->map_len = start + (size_t)var.yres * fix.line_length;
	if (fix.smem_len && t->map_len > fix.smem_len) {
		fprintf(stderr, "db-workload: %s: the screen ends past the %u bytes of video memory\n",
			path, fix.smem_len);
		return -1;
	}
	t->map = mmap(NULL, t->map_len, PROT_READ | PROT_WRITE, MAP_SHARED, t->fd, 0);
	if (t->map == MAP_FAILED)
		return dbw_fail("cannot mmap", path);
	t->fb = (struct fb){ (uint32_t *)((char *)t->map + start), var.xres, var.yres,
			     fix.line_length / 4 };
	return 0;
}

static void dbw_close_target(struct dbw_target *t)
{
	if (t->map && t->map != MAP_FAILED) {
		msync(t->map, t->map_len, MS_SYNC);
		munmap(t->map, t->map_len);
	}
	if (t->fd >= 0)
		close(t->fd);
}

/* --- frame records ------------------------------------------------------------- */

static void dbw_write(struct dbw_records *r, const void *p, size_t n)
{
	if (!r->failed && fwrite(p, 1, n, r->f) != n) {
		fprintf(stderr, "db-workload: writing %s: %s\n", r->path, strerror(errno));
		r->failed = true;
	}
}

/* Written at frame 0's commit, when the run's context is complete. */
static void dbw_write_header(struct dbw_records *r)
{
	const struct workload_ctx *ctx = r->ctx;
	struct db_records_header h = {
		.version = DB_RECORDS_VERSION, .header_bytes = sizeof(h),
		.frame_bytes = sizeof(struct db_frame), .rect_bytes = sizeof(struct db_rect),
		.width = ctx->fb.width, .height = ctx->fb.height,
		.stride = ctx->fb.stride_px * 4, .bpp = 32, .tsc_khz = rt_tsc_khz(),
		.seed = ctx->seed, .fps_milli = ctx->fps_milli,
	};
	memcpy(h.magic, DB_RECORDS_MAGIC, sizeof(h.magic));
	snprintf(h.workload, sizeof(h.workload), "%s", r->args->workload);
	snprintf(h.options, sizeof(h.options), "%s", r->args->wopt ? r->args->wopt : "");
	dbw_write(r, &h, sizeof(h));
}

static void dbw_frame_begin(void *arg, uint64_t tsc)
{
	struct dbw_records *r = arg;
	r->nrects = 0;
	r->tsc_start = tsc;
}

static void dbw_damage(void *arg, uint32_t x, uint32_t y, uint32_t w, uint32_t h)
{
	struct dbw_records *r = arg;
	if (r->nrects == r->cap) {
		size_t cap = r->cap ? r->cap * 2 : 4096;
		struct db_rect *p = realloc(r->rects, cap * sizeof(*p));
		if (!p) {
			r->failed = true;
			return;
		}
		r->rects = p;
		r->cap = cap;
	}
	r->rects[r->nrects++] = (struct db_rect){ (uint16_t)x, (uint16_t)y, (uint16_t)w, (uint16_t)h, 0 };  /* no host rounds here */
}

static void dbw_frame_commit(void *arg, uint64_t tsc, uint32_t dropped_before)
{
	struct dbw_records *r = arg;
	struct db_frame f = {
		.seq = r->frames, .tsc_start = r->tsc_start, .tsc_commit = tsc,
		.draw_cycles = tsc - r->tsc_start, .rect_first = r->rect_next,
		.rect_count = (uint32_t)r->nrects, .dropped_before = dropped_before,
	};
	if (r->f) {
		if (r->frames == 0)
			dbw_write_header(r);
		dbw_write(r, &f, sizeof(f));
		dbw_write(r, r->rects, r->nrects * sizeof(*r->rects));
	}
	r->rect_next += r->nrects;
	r->frames++;
}

static bool dbw_stop(void)
{
	const struct dbw_records *r = dbw_rec;
	return dbw_signalled || r->failed || (r->args->frames && r->frames >= r->args->frames) ||
	       (dbw_stop_tsc && rt_tsc() >= dbw_stop_tsc);
}

static void dbw_on_signal(int sig)
{
	(void)sig;
	dbw_signalled = 1;
}

/* --- main -------------------------------------------------------------------- */

static int dbw_setup(const struct dbw_args *a, const struct workload_draw *draw,
		     struct workload_ctx *ctx, struct dbw_target *t, struct dbw_records *r)
{
	char err[256];
	if (workload_parse_options(draw->info, a->wopt, ctx, err, sizeof(err))) {
		fprintf(stderr, "db-workload: %s\n", err);
		return -1;
	}
	if (a->file ? dbw_open_file(a->file, a->width, a->height, t) : dbw_open_fbdev(a->fbdev, a, t))
		return -1;
	ctx->fb = t->fb;
	ctx->seed = a->seed;
	if (a->records) {
		r->f = fopen(a->records, "wb");
		if (!r->f)
			return dbw_fail("cannot create", a->records);
		setvbuf(r->f, NULL, _IOFBF, 1 << 20);
	}
	return 0;
}

static void dbw_signals(void)
{
	struct sigaction sa = { .sa_handler = dbw_on_signal };
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
}

static int dbw_run(const struct dbw_args *a, const struct workload_draw *draw,
		   struct workload_ctx *ctx, struct dbw_records *r)
{
	struct rt_linux_sink sink = { dbw_frame_begin, dbw_damage, dbw_frame_commit, r };
	struct workload_run_stats stats;
	rt_linux_set_sink(&sink);
	dbw_rec = r;
	if (a->duration > 0)
		dbw_stop_tsc = rt_tsc() + (uint64_t)(a->duration * 1000.0 * (double)rt_tsc_khz());
	int err = workload_run(draw, ctx, dbw_stop, &stats);
	rt_linux_set_sink(NULL);
	if (r->f && fclose(r->f) && !r->failed) {
		fprintf(stderr, "db-workload: writing %s: %s\n", r->path, strerror(errno));
		r->failed = true;
	}
	r->f = NULL;
	if (err)
		fprintf(stderr, "db-workload: %s: init failed\n", draw->info->name);
	else
		fprintf(stderr, "db-workload: %s: %llu frames, %llu deadlines dropped, %ux%u\n",
			draw->info->name, (unsigned long long)stats.frames,
			(unsigned long long)stats.dropped, ctx->fb.width, ctx->fb.height);
	return err || r->failed ? -1 : 0;
}

int main(int argc, char **argv)
{
	struct dbw_args a;
	struct dbw_target t = { .fd = -1 };
	struct workload_ctx ctx = { 0 };
	int r = dbw_parse_args(argc, argv, &a);
	if (r)
		return r > 0 ? 0 : DBW_EXIT_USAGE;
	if (a.xen) {
		uint64_t base;
		if (dbw_parse_u64(a.xen, &base) || base % 4096) {
			fprintf(stderr, "db-workload: --xen wants a page-aligned address, got '%s'\n", a.xen);
			return DBW_EXIT_USAGE;
		}
		return xen_guest_serve(base) ? DBW_EXIT_FAIL : 0;
	}
	const struct workload_draw *draw = workload_draw_find(a.workload);
	if (!draw) {
		fprintf(stderr, "db-workload: unknown workload '%s' (see --list)\n", a.workload);
		return DBW_EXIT_USAGE;
	}
	if (draw->info->needs_file) {   /* only run-bench's KVM back end loads a trace (docs/TRACE.md) */
		fprintf(stderr, "db-workload: %s replays a file run-bench loads into its micro-VM; "
			"db-workload does not load one\n", a.workload);
		return DBW_EXIT_USAGE;
	}
	struct dbw_records rec = { .path = a.records, .ctx = &ctx, .args = &a };
	int status = DBW_EXIT_USAGE;
	if (dbw_setup(&a, draw, &ctx, &t, &rec) == 0) {
		dbw_signals();
		status = dbw_run(&a, draw, &ctx, &rec) ? DBW_EXIT_FAIL : 0;
	}
	if (rec.f)
		fclose(rec.f);
	free(rec.rects);
	dbw_close_target(&t);
	rt_linux_free_all();
	return status;
}
