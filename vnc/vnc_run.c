/* --vnc in a run: wiring, end-to-end latency, the result block (vnc_run.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/histogram.h"
#include "vnc/vnc_client.h"
#include "vnc/vnc_run.h"
#include "vnc/vnc_server.h"

#define VNC_CATCH_UP_MS 5000

int vnc_run_start(struct vnc_run *v, const struct run_options *opt, const struct fb_geometry *geo,
		  char *err, size_t errlen)
{
	struct vnc_server_config sc = { .geo = geo, .port = opt->vnc_port, .listen = opt->vnc_listen,
		.password = opt->vnc_password, .dump_dir = opt->vnc_dump, .no_client = opt->vnc_no_client };
	struct vnc_client_config cc;

	memset(v, 0, sizeof(*v));
	v->opt = opt;
	v->geo = geo;
	v->final_diff = -1;
	if (!opt->vnc)
		return EXIT_OK;
	if (vnc_server_start(&v->srv, &sc, err, errlen))
		return EXIT_BAD_INPUT;
	v->port = vnc_server_port(v->srv);
	if (!opt->quiet)
		fprintf(stderr, "run-bench: VNC server on %s:%d%s\n", opt->vnc_listen ? opt->vnc_listen : "127.0.0.1",
			v->port, opt->vnc_no_client ? "" : " (measuring client attached)");
	if (opt->vnc_no_client)
		return EXIT_OK;
	cc = (struct vnc_client_config){ .srv = v->srv, .geo = geo, .port = v->port,
		.password = opt->vnc_password, .encoding = opt->vnc_encoding };
	return vnc_client_start(&v->cli, &cc, err, errlen) ? EXIT_RUN_FAILED : EXIT_OK;
}

void vnc_run_frame(void *arg, uint64_t commit, uint64_t round)
{
	struct vnc_run *v = arg;

	if (round == UINT64_MAX) {
		v->frames_excused++;
		return;
	}
	if (v->nframes == v->cap) {
		size_t cap = v->cap ? 2 * v->cap : 1024;
		struct vnc_frame *p = realloc(v->frames, cap * sizeof(*p));

		if (!p)
			return;         /* the frame goes uncounted; the run goes on */
		v->frames = p, v->cap = cap;
	}
	v->frames[v->nframes++] = (struct vnc_frame){ commit, round };
}

void vnc_run_round(struct vnc_run *v, const uint64_t *tiles, const uint8_t *src, uint64_t round)
{
	if (v->srv)
		vnc_server_publish(v->srv, tiles, src, round);
}

void vnc_run_window(struct vnc_run *v, bool start)
{
	struct vnc_server_stats st;

	v->window[start ? 0 : 1] = clock_tsc();
	if (!v->srv)
		return;
	vnc_server_stats(v->srv, &st);
	v->port_cpu_ns[start ? 0 : 1] = st.port_cpu_ns;
}

void vnc_run_finish(struct vnc_run *v, const uint8_t *src, const uint8_t *vram, uint64_t round)
{
	if (!v->srv)
		return;
	vnc_server_flush(v->srv, src, round);
	if (!v->cli)
		return;
	v->final_round = vnc_server_last_round(v->srv);
	if (v->final_round >= 0 && vnc_client_wait_round(v->cli, v->final_round, VNC_CATCH_UP_MS))
		snprintf(v->final_error, sizeof(v->final_error),
			 "the measuring client did not receive round %lld within %d ms%s%s",
			 (long long)v->final_round, VNC_CATCH_UP_MS,
			 vnc_client_error(v->cli) ? ": " : "", vnc_client_error(v->cli) ? vnc_client_error(v->cli) : "");
	vnc_client_halt(v->cli);
	if (!v->final_error[0])
		v->final_diff = (int64_t)vnc_client_diff(v->cli, vram, v->geo->stride);
}

const char *vnc_run_failure(struct vnc_run *v, char *buf, size_t len)
{
	const struct vnc_update *u;
	size_t n;

	if (!v->cli)
		return NULL;
	u = vnc_client_updates(v->cli, &n);
	for (size_t i = 0; i < n; i++)
		if (u[i].check == VNC_MISMATCH) {
			snprintf(buf, len, "VNC PIXEL MISMATCH: update %zu (round %lld) differs from the surface it "
				 "was encoded from in %llu pixel(s), %s", i, (long long)u[i].round,
				 (unsigned long long)u[i].diff_pixels, vnc_client_mismatch(v->cli));
			return buf;
		}
	if (v->final_error[0])
		return snprintf(buf, len, "VNC: %s", v->final_error), buf;
	if (v->final_diff > 0)
		return snprintf(buf, len, "VNC PIXEL MISMATCH: after the guest stopped, the client's framebuffer "
				"differs from VRAM in %lld pixel(s)", (long long)v->final_diff), buf;
	return NULL;
}

/* Index of the first update carrying round r or later; n if none. */
static size_t first_update_with(const struct vnc_update *u, size_t n, uint64_t r)
{
	size_t lo = 0, hi = n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (u[mid].round >= (int64_t)r)
			hi = mid;
		else
			lo = mid + 1;
	}
	return lo;
}

static json_t *e2e_json(struct vnc_run *v, const struct clock_base *clock, const struct vnc_update *u,
			size_t n)
{
	uint64_t undelivered = 0, stale = 0;
	size_t prev = n;
	struct hist *h = malloc(sizeof(*h));
	json_t *obj;

	if (!h)
		return json_null();
	hist_init(h);
	for (size_t i = 0; i < v->nframes; i++) {
		size_t k = first_update_with(u, n, v->frames[i].round);

		if (k == n) {
			undelivered++;
			continue;
		}
		hist_add(h, u[k].arrival > v->frames[i].commit ?
			 (uint64_t)clock_cycles_to_ns(clock, (double)(u[k].arrival - v->frames[i].commit)) : 0);
		/* The previous frame came in the same update as this one: the
		 * client never showed it. */
		stale += i > 0 && prev == k;
		prev = k;
	}
	obj = json_pack("{s:o, s:I, s:I, s:I, s:I}", "e2e_latency_us", hist_to_json(h, 1e-3, true),
			"frames", (json_int_t)v->nframes, "frames_undelivered", (json_int_t)undelivered,
			"stale_frames", (json_int_t)stale, "frames_excused", (json_int_t)v->frames_excused);
	free(h);
	return obj;
}

static json_t *pixel_json(struct vnc_run *v, const struct vnc_update *u, size_t n)
{
	uint64_t checked = 0, matched = 0, mismatched = 0;
	char why[512];

	for (size_t i = 0; i < n; i++) {
		checked += u[i].check != VNC_UNCHECKED;
		matched += u[i].check == VNC_MATCH;
		mismatched += u[i].check == VNC_MISMATCH;
	}
	return json_pack("{s:s, s:I, s:I, s:I, s:I, s:o, s:s, s:s}",
		"verdict", vnc_run_failure(v, why, sizeof(why)) ? "fail" : "pass",
		"updates_checked", (json_int_t)checked, "updates_matched", (json_int_t)matched,
		"updates_mismatched", (json_int_t)mismatched, "updates_unchecked", (json_int_t)(n - checked),
		"final_diff_pixels", v->final_diff >= 0 ? json_integer(v->final_diff) : json_null(),
		"final_error", v->final_error,
		"definition", "each update: the client's whole framebuffer equals the server's surface as the "
			      "update was encoded from it (24-bit colour; unchecked: sent before the client's "
			      "port was known); final: equals VRAM once the guest has stopped");
}

/* Updates that arrived in the measured window: what crossed the wire. */
static json_t *wire_json(struct vnc_run *v, const struct vnc_update *u, size_t n, double measured_s)
{
	uint64_t updates = 0, rects = 0, bytes = 0, raw = 0;

	for (size_t i = 0; i < n; i++)
		if (u[i].arrival >= v->window[0] && u[i].arrival <= v->window[1])
			updates++, rects += u[i].rects, bytes += u[i].bytes, raw += u[i].raw_bytes;
	return json_pack("{s:I, s:I, s:I, s:I, s:o, s:o, s:o}",
		"updates", (json_int_t)updates, "rects", (json_int_t)rects, "bytes", (json_int_t)bytes,
		"raw_bytes", (json_int_t)raw,
		"bytes_per_s", measured_s > 0 ? json_real((double)bytes / measured_s) : json_null(),
		"updates_per_s", measured_s > 0 ? json_real((double)updates / measured_s) : json_null(),
		"compression", raw ? json_real((double)bytes / (double)raw) : json_null());
}

/* CPU time the thread serving the port's clients used in the measured
 * window: what other clients took from the host, the one thing the
 * measuring client still shares with them. */
static json_t *port_cpu_json(const struct vnc_run *v)
{
	if (!v->port_cpu_ns[0] || v->port_cpu_ns[1] < v->port_cpu_ns[0])
		return json_null();
	return json_real((double)(v->port_cpu_ns[1] - v->port_cpu_ns[0]) / 1e6);
}

json_t *vnc_run_json(struct vnc_run *v, const struct clock_base *clock, double measured_s)
{
	struct vnc_server_stats st;
	const struct vnc_update *u;
	json_t *obj;
	size_t n;

	if (!v->srv)
		return NULL;
	vnc_server_stats(v->srv, &st);
	obj = json_pack("{s:i, s:s, s:b, s:s, s:b, s:{s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:f, s:o}}",
		"port", v->port, "listen", v->opt->vnc_listen ? v->opt->vnc_listen : "127.0.0.1",
		"password", v->opt->vnc_password != NULL, "encoding", v->opt->vnc_encoding,
		"client", v->cli != NULL,
		"server", "rounds_published", (json_int_t)st.publishes, "rounds_deferred", (json_int_t)st.deferred,
		"surface_updates", (json_int_t)st.applied, "clients", (json_int_t)st.clients,
		"clients_refused", (json_int_t)st.refused, "clients_cut_off", (json_int_t)st.slow_dropped,
		"clients_timed_out", (json_int_t)st.timed_out,
		"stage_copy_us_per_round", st.publishes ? st.stage_copy_ns / 1e3 / (double)st.publishes : 0.0,
		"port_thread_cpu_ms", port_cpu_json(v));
	if (!v->cli)
		return obj;
	u = vnc_client_updates(v->cli, &n);
	json_object_set_new(obj, "wire", wire_json(v, u, n, measured_s));
	json_object_set_new(obj, "e2e", e2e_json(v, clock, u, n));
	json_object_set_new(obj, "pixel_check", pixel_json(v, u, n));
	return obj;
}

void vnc_run_stop(struct vnc_run *v)
{
	vnc_client_free(v->cli);
	v->cli = NULL;
	vnc_server_stop(v->srv);
	v->srv = NULL;
	free(v->frames);
	v->frames = NULL;
}
