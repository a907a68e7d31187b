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
#include "../workload.h"
#include "records.h"
#include "runtime_linux.h"

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
	const char *workload, *wopt, *fbdev, *file, *records;
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
	      "  --res WxH        size of the --file buffer (default 1920x1080)\n"
	      "  --seed N         workload seed (default 1)\n"
	      "  --wopt K=V[,..]  workload options (see --list)\n"
	      "  --frames N       stop after N frames, frame 0 included\n"
	      "  --duration S     stop after S seconds (default: run until SIGINT/SIGTERM)\n"
	      "  --fb DEV         draw into this framebuffer device (default /dev/fb0)\n"
	      "  --file PATH      draw into PATH instead: WxH 32 bpp, created or truncated\n"
	      "  --records PATH   write the frame records there\n"
	      "  --list           workloads and their options\n\n"
	      "Exit status: 0 ok, 1 the run failed, 2 bad input or unusable target.\n", out);
}

static void dbw_list(void)
{
	for (const struct workload_ops *const *w = workload_registry; *w; w++) {
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
       OPT_RECORDS, OPT_LIST, OPT_HELP };

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
	{ NULL, 0, NULL, 0 },
};

/* One option; returns 0, 1 to exit successfully (--list, --help), -1 on error. */
static int dbw_parse_one(int c, const char *arg, struct dbw_args *a)
{
	char *end;
	switch (c) {
	case OPT_RES:
		a->res_given = true;
		return dbw_parse_res(arg, &a->width, &a->height) ? (fprintf(stderr,
			"db-workload: --res wants WxH, each 1..%d, got '%s'\n", DBW_MAX_DIM, arg), -1) : 0;
	case OPT_SEED:
		return dbw_parse_u64(arg, &a->seed) ? (fprintf(stderr, "db-workload: bad --seed '%s'\n", arg), -1) : 0;
	case OPT_FRAMES:
		if (dbw_parse_u64(arg, &a->frames) || a->frames == 0)
			return fprintf(stderr, "db-workload: --frames wants a count >= 1, got '%s'\n", arg), -1;
		return 0;
	case OPT_DURATION:
		a->duration = strtod(arg, &end);
		if (end == arg || *end || !(a->duration > 0 && a->duration < 1e7))
			return fprintf(stderr, "db-workload: --duration wants seconds > 0, got '%s'\n", arg), -1;
		return 0;
	case OPT_WOPT: a->wopt = arg; return 0;
	case OPT_FB: a->fbdev = arg; return 0;
	case OPT_FILE: a->file = arg; return 0;
	case OPT_RECORDS: a->records = arg; return 0;
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
