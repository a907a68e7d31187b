/*
 * db-record: record what a real X11 program draws, as a dirtybench trace
 * (docs/TRACE.md). It starts Xvfb at the size asked for, optionally a window
 * manager, then the program, then an optional driver command (xdotool
 * keys and mouse moves; all with DISPLAY set), and samples the screen's
 * damage once per refresh tick: XDamage accumulates what the X server drew
 * on the root window and its children; each tick XDamageSubtract hands the
 * accumulated region over (the server coalesces it into banded rectangles,
 * XFixesFetchRegion), and with --pixels each rectangle's pixels are read
 * with XGetImage. Frame 0 is the whole screen once the program has settled.
 *
 *   db-record --res WxH --seconds S --out FILE [--pixels] [--tick-hz HZ]
 *             [--settle S] [--wm CMD] [--drive CMD] [--name NAME] -- PROGRAM [ARG...]
 */
#include <X11/Xlib.h>
#include <X11/Xutil.h>
#include <X11/extensions/Xdamage.h>
#include <X11/extensions/Xfixes.h>
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "core/trace_file.h"
#include "tools/record/trace_write.h"

#define RECORD_MAX_CHILDREN 4

struct record_args {
	uint32_t width, height, tick_hz;
	double seconds, settle_s;
	int pixels;
	const char *out, *wm, *drive, *name;
	char **argv;
};

static pid_t children[RECORD_MAX_CHILDREN];
static int nchildren;

static void usage(void)
{
	fputs("usage: db-record --res WxH --seconds S --out FILE [--pixels] [--tick-hz HZ]\n"
	      "                 [--settle S] [--wm CMD] [--drive CMD] [--name NAME] -- PROGRAM [ARG...]\n",
	      stderr);
	exit(2);
}

static void kill_children(void)
{
	for (int i = nchildren - 1; i >= 0; i--)
		if (children[i] > 0) {
			kill(-children[i], SIGTERM);    /* each child leads its own process group */
			waitpid(children[i], NULL, 0);
		}
	nchildren = 0;
}

static pid_t spawn(char *const argv[], const char *display, int keep_fd)
{
	pid_t pid = fork();

	if (pid == 0) {
		setpgid(0, 0);
		if (display)
			setenv("DISPLAY", display, 1);
		for (int fd = 3; fd < 256; fd++)
			if (fd != keep_fd)
				close(fd);
		execvp(argv[0], argv);
		fprintf(stderr, "db-record: exec %s: %s\n", argv[0], strerror(errno));
		_exit(127);
	}
	if (pid > 0 && nchildren < RECORD_MAX_CHILDREN)
		children[nchildren++] = pid;
	return pid;
}

static pid_t spawn_shell(const char *cmd, const char *display)
{
	char *argv[] = { "/bin/sh", "-c", (char *)cmd, NULL };
	return spawn(argv, display, -1);
}

/* Xvfb on the first display from a pid-derived number whose lock file does
 * not exist; ready when a client can connect (polled for 10 s). */
static int start_xvfb(const struct record_args *a, char *display, size_t len)
{
	char screen[48], lock[64];
	int n = 100 + (int)(getpid() % 400);

	for (;; n++) {
		snprintf(lock, sizeof(lock), "/tmp/.X%d-lock", n);
		if (access(lock, F_OK) != 0)
			break;
	}
	snprintf(display, len, ":%d", n);
	snprintf(screen, sizeof(screen), "%ux%ux24", a->width, a->height);
	char *argv[] = { "Xvfb", display, "-screen", "0", screen, "-nolisten", "tcp", "-noreset", NULL };
	if (spawn(argv, NULL, -1) < 0)
		return -1;
	for (int i = 0; i < 200; i++) {
		Display *d = XOpenDisplay(display);
		if (d) {
			XCloseDisplay(d);
			return 0;
		}
		usleep(50000);
	}
	return -1;
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

static void sleep_until(double t)
{
	double d = t - now_s();

	if (d > 0) {
		struct timespec ts = { (time_t)d, (long)((d - (double)(time_t)d) * 1e9) };
		nanosleep(&ts, NULL);
	}
}

/* The pixels of r, as 0x00RRGGBB (Xvfb's 24-bit visual keeps them in 32-bit units). */
static int grab(Display *dpy, Window root, const struct trace_rect *r, uint32_t *out)
{
	XImage *img = XGetImage(dpy, root, r->x, r->y, r->w, r->h, AllPlanes, ZPixmap);

	if (!img)
		return -1;
	for (uint32_t y = 0; y < r->h; y++)
		for (uint32_t x = 0; x < r->w; x++)
			out[(size_t)y * r->w + x] = (uint32_t)XGetPixel(img, (int)x, (int)y) & 0xffffff;
	XDestroyImage(img);
	return 0;
}

struct recorder {
	Display *dpy;
	Window root;
	Damage damage;
	XserverRegion region;
	struct trace_writer w;
	struct trace_rect *rects;
	uint32_t *pixels;
	size_t pixels_cap;
};

/* Record one frame of n rects at t_us (their pixels too, with --pixels). */
static int record_frame(struct recorder *rc, uint32_t t_us, uint32_t n)
{
	size_t need = 0;

	for (uint32_t i = 0; i < n; i++)
		need += (size_t)rc->rects[i].w * rc->rects[i].h;
	if (rc->w.flags & TRACE_FLAG_PIXELS) {
		if (need > rc->pixels_cap) {
			free(rc->pixels);
			rc->pixels = malloc(need * 4);
			rc->pixels_cap = rc->pixels ? need : 0;
			if (!rc->pixels)
				return -1;
		}
		size_t at = 0;
		for (uint32_t i = 0; i < n; i++) {
			if (grab(rc->dpy, rc->root, &rc->rects[i], rc->pixels + at))
				return -1;
			at += (size_t)rc->rects[i].w * rc->rects[i].h;
		}
	}
	return trace_writer_frame(&rc->w, t_us, rc->rects, n, rc->pixels);
}

/* The damage accumulated since the last tick, clipped to the screen. */
static uint32_t take_damage(struct recorder *rc, uint32_t width, uint32_t height)
{
	int n = 0;
	XRectangle *xr;
	uint32_t out = 0;

	XDamageSubtract(rc->dpy, rc->damage, None, rc->region);
	xr = XFixesFetchRegion(rc->dpy, rc->region, &n);
	for (int i = 0; i < n && out < TRACE_MAX_RECTS_FRAME; i++) {
		int x0 = xr[i].x < 0 ? 0 : xr[i].x, y0 = xr[i].y < 0 ? 0 : xr[i].y;
		int x1 = xr[i].x + xr[i].width, y1 = xr[i].y + xr[i].height;
		x1 = x1 > (int)width ? (int)width : x1;
		y1 = y1 > (int)height ? (int)height : y1;
		if (x1 > x0 && y1 > y0)
			rc->rects[out++] = (struct trace_rect){ (uint16_t)x0, (uint16_t)y0, (uint16_t)(x1 - x0),
							       (uint16_t)(y1 - y0) };
	}
	if (xr)
		XFree(xr);
	return out;
}

static int record_loop(struct recorder *rc, const struct record_args *a)
{
	uint64_t ticks = (uint64_t)(a->seconds * a->tick_hz);
	double t0;

	take_damage(rc, a->width, a->height);           /* drop what the settling drew */
	rc->rects[0] = (struct trace_rect){ 0, 0, (uint16_t)a->width, (uint16_t)a->height };
	if (record_frame(rc, 0, 1))
		return -1;
	t0 = now_s();
	for (uint64_t k = 1; k < ticks; k++) {
		sleep_until(t0 + (double)k / a->tick_hz);
		while (XPending(rc->dpy)) {             /* damage notifications: the region is what counts */
			XEvent ev;
			XNextEvent(rc->dpy, &ev);
		}
		uint32_t n = take_damage(rc, a->width, a->height);
		if (n && record_frame(rc, (uint32_t)(k * 1000000ull / a->tick_hz), n)) {
			fprintf(stderr, "db-record: stopped at tick %llu: the trace reached its size limit "
				"(docs/TRACE.md); record shorter or without --pixels\n", (unsigned long long)k);
			return -1;
		}
	}
	return 0;
}

static int recorder_open(struct recorder *rc, const char *display)
{
	int ev, er;

	rc->dpy = XOpenDisplay(display);
	if (!rc->dpy || !XDamageQueryExtension(rc->dpy, &ev, &er) || !XFixesQueryExtension(rc->dpy, &ev, &er))
		return -1;
	rc->root = DefaultRootWindow(rc->dpy);
	/* On the root window, damage covers its children too: the whole screen. */
	rc->damage = XDamageCreate(rc->dpy, rc->root, XDamageReportNonEmpty);
	rc->region = XFixesCreateRegion(rc->dpy, NULL, 0);
	rc->rects = calloc(TRACE_MAX_RECTS_FRAME, sizeof(*rc->rects));
	return rc->rects ? 0 : -1;
}

static void join_command(char **argv, char *out, size_t len)
{
	out[0] = '\0';
	for (size_t i = 0; argv[i]; i++) {
		size_t used = strlen(out);
		snprintf(out + used, len - used, "%s%s", i ? " " : "", argv[i]);
	}
}

static void parse_args(int argc, char **argv, struct record_args *a)
{
	static const struct option opts[] = {
		{ "res", required_argument, NULL, 'r' }, { "seconds", required_argument, NULL, 's' },
		{ "out", required_argument, NULL, 'o' }, { "pixels", no_argument, NULL, 'p' },
		{ "tick-hz", required_argument, NULL, 't' }, { "settle", required_argument, NULL, 'S' },
		{ "wm", required_argument, NULL, 'w' }, { "drive", required_argument, NULL, 'd' },
		{ "name", required_argument, NULL, 'n' }, { NULL, 0, NULL, 0 },
	};
	int c;

	*a = (struct record_args){ .tick_hz = 60, .settle_s = 1.5 };
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'r': if (sscanf(optarg, "%ux%u", &a->width, &a->height) != 2) usage(); break;
		case 's': a->seconds = atof(optarg); break;
		case 'o': a->out = optarg; break;
		case 'p': a->pixels = 1; break;
		case 't': a->tick_hz = (uint32_t)atoi(optarg); break;
		case 'S': a->settle_s = atof(optarg); break;
		case 'w': a->wm = optarg; break;
		case 'd': a->drive = optarg; break;
		case 'n': a->name = optarg; break;
		default: usage();
		}
	}
	if (optind >= argc || !a->out || a->seconds <= 0 || a->tick_hz == 0 || a->tick_hz > TRACE_MAX_TICK_HZ ||
	    a->width < TRACE_MIN_SIDE || a->height < TRACE_MIN_SIDE || a->width > TRACE_MAX_SIDE ||
	    a->height > TRACE_MAX_SIDE)
		usage();
	a->argv = argv + optind;
}

/* The program and its driver as one command line for the header. */
static void describe(const struct record_args *a, char *cmd, size_t len)
{
	char prog[700];

	join_command(a->argv, prog, sizeof(prog));
	snprintf(cmd, len, "%s%s%s%s%s", a->wm ? "[wm: " : "", a->wm ? a->wm : "", a->wm ? "] " : "", prog,
		 a->drive ? " [driven: " : "");
	if (a->drive) {
		size_t used = strlen(cmd);
		snprintf(cmd + used, len - used, "%s]", a->drive);
	}
}

int main(int argc, char **argv)
{
	struct record_args a;
	struct recorder rc = { 0 };
	char display[32], cmd[TRACE_COMMAND_LEN], err[512];
	int status = 1;

	parse_args(argc, argv, &a);
	signal(SIGPIPE, SIG_IGN);
	if (start_xvfb(&a, display, sizeof(display)) || recorder_open(&rc, display)) {
		fprintf(stderr, "db-record: could not start Xvfb or open its display with XDamage and XFixes\n");
		goto out;
	}
	if (a.wm && (spawn_shell(a.wm, display) < 0))
		goto out;
	usleep(300000);
	if (spawn(a.argv, display, -1) < 0)
		goto out;
	sleep_until(now_s() + a.settle_s);
	if (a.drive && spawn_shell(a.drive, display) < 0)
		goto out;
	describe(&a, cmd, sizeof(cmd));
	trace_writer_init(&rc.w, a.width, a.height, a.tick_hz, a.pixels, a.name ? a.name : a.argv[0], cmd);
	if (record_loop(&rc, &a) || trace_writer_save(&rc.w, a.out, err, sizeof(err))) {
		fprintf(stderr, "db-record: %s\n", rc.w.frames ? err : "recording failed");
		goto out;
	}
	struct trace_info info;
	if (trace_file_load(a.out, a.width, a.height, &info, NULL, NULL, err, sizeof(err))) {
		fprintf(stderr, "db-record: wrote a trace its reader refuses: %s\n", err);
		goto out;
	}
	printf("%s: %u frames, %llu rects, %llu bytes (replay image %llu bytes)\n", a.out, info.frame_count,
	       (unsigned long long)info.rect_count, (unsigned long long)info.file_bytes,
	       (unsigned long long)info.image_bytes);
	status = 0;
out:
	if (rc.dpy)
		XCloseDisplay(rc.dpy);
	kill_children();
	trace_writer_free(&rc.w);
	free(rc.rects);
	free(rc.pixels);
	return status;
}
