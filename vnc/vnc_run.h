/*
 * --vnc in a run: the server, the measuring client, the frames the oracle
 * saw delivered, and the "vnc" block of the result. The scan thread calls
 * vnc_run_round() once per round; nothing here blocks it.
 *
 * End-to-end latency of a frame F: the oracle names the round R_F its
 * update latency counts to (the last round of F's window that reported any
 * of F's tiles). The first update the client received that carried round
 * R_F or later has F's pixels; F's end-to-end latency is that update's
 * arrival (host TSC, when its last rectangle was decoded) minus F's commit
 * (guest TSC moved to the host clock), 0 when it came first.
 */
#ifndef DIRTYBENCH_VNC_RUN_H
#define DIRTYBENCH_VNC_RUN_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/clock.h"
#include "core/fbgeom.h"
#include "core/options.h"

struct vnc_server;
struct vnc_client;

struct vnc_frame {
	uint64_t commit, round;
};

struct vnc_run {
	const struct run_options *opt;
	const struct fb_geometry *geo;
	struct vnc_server *srv;
	struct vnc_client *cli;
	int port;
	struct vnc_frame *frames;       /* measured frames, in commit order */
	size_t nframes, cap;
	uint64_t frames_excused;        /* delivered by a content-comparing strategy's copy */
	uint64_t window[2];             /* host TSC of the measured window */
	uint64_t port_cpu_ns[2];        /* the port thread's CPU time then (0: unknown) */
	int64_t final_round;            /* -1: nothing was ever handed over */
	int64_t final_diff;             /* client vs VRAM after the guest stopped; -1 not checked */
	char final_error[256];
};

/* Off unless opt->vnc. 0, or EXIT_* with err. */
int vnc_run_start(struct vnc_run *v, const struct run_options *opt, const struct fb_geometry *geo,
		  char *err, size_t errlen);
/* The oracle's on_delivered hook (arg: the struct vnc_run). */
void vnc_run_frame(void *arg, uint64_t commit, uint64_t round);
void vnc_run_round(struct vnc_run *v, const uint64_t *tiles, const uint8_t *src, uint64_t round);
void vnc_run_window(struct vnc_run *v, bool start);
/* The guest has stopped: the last round's tiles out, the client caught up,
 * its pixels compared with VRAM. */
void vnc_run_finish(struct vnc_run *v, const uint8_t *src, const uint8_t *vram, uint64_t round);
/* A failed pixel check as one line, or NULL. */
const char *vnc_run_failure(struct vnc_run *v, char *buf, size_t len);
json_t *vnc_run_json(struct vnc_run *v, const struct clock_base *clock, double measured_s);
void vnc_run_stop(struct vnc_run *v);

#endif
