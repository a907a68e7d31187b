/*
 * Building the result object of a run. Rates are given per second of the
 * measured window and per frame; a figure that could not be measured is
 * JSON null with a reason beside it, never 0.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "collectors/platform.h"
#include "core/outpath.h"
#include "core/result.h"
#include "core/run_state.h"

json_t *result_ratio(double num, double den)
{
	return den > 0 ? json_real(num / den) : json_null();
}

static json_t *run_block(const struct run_state *rs)
{
	const struct run_options *o = rs->opt;
	char rev[64], res[32], tile[32];
	json_t *argv = json_array();

	platform_git_revision(rev, sizeof(rev));
	snprintf(res, sizeof(res), "%ux%u", rs->geo.width, rs->geo.height);
	snprintf(tile, sizeof(tile), "%ux%u", rs->geo.tile_w, rs->geo.tile_h);
	for (int i = 0; i < o->argc; i++)
		json_array_append_new(argv, json_string(o->argv[i]));
	return json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:o, s:{s:f, s:f, s:f, s:s, s:s, s:i, s:i, s:I, s:s, s:s, s:s, s:I, s:b}}",
		"strategy", rs->sops->name, "policy", rs->pops->name, "workload", rs->winfo->name, "backend", rs->brun->name,
		"git_revision", rev, "started_at", rs->started_at, "argv", argv,
		"options", "duration_s", o->duration_s, "warmup_s", o->warmup_s, "rate_hz", o->rate_hz,
		"resolution", res, "tile", tile, "tile_cols", (int)rs->geo.cols, "tile_rows", (int)rs->geo.rows,
		"seed", (json_int_t)o->seed, "workload_options", o->workload_options ? o->workload_options : "",
		"strategy_options", o->strategy_options ? o->strategy_options : "",
		"policy_options", o->policy_options ? o->policy_options : "",
		"dirty_ring_bytes", (json_int_t)o->dirty_ring_bytes, "allow_misses", o->allow_misses);
}

/* What every back end's guest did, from the oracle; the back end adds what
 * only it knows (frames_total, cpu_probe, tsc_calibration). */
static json_t *guest_block(const struct run_state *rs)
{
	const struct oracle_stats *st = &rs->oracle.stats;
	double asked = rs->measured_s * rs->fps_milli / 1000.0;
	double frames = (double)st->frames_measured;

	return json_pack("{s:f, s:f, s:I, s:f, s:I, s:o, s:o}",
		"fps_asked", rs->fps_milli / 1000.0,
		"fps_achieved", rs->measured_s > 0 ? frames / rs->measured_s : 0.0,
		"frames_measured", (json_int_t)st->frames_measured,
		"frames_asked", asked,
		"frames_dropped", (json_int_t)st->dropped,
		"draw_cycles_per_frame", result_ratio((double)st->draw_cycles, frames),
		"draw_time_us", hist_to_json(&st->draw_ns, 1e-3, false));
}

static const char *wake_name(enum run_wake w)
{
	return w == RUN_WAKE_DOORBELL ? "doorbell" : w == RUN_WAKE_BOTH ? "both" : "timer";
}

static json_t *scan_block(const struct run_state *rs)
{
	return json_pack("{s:s, s:f, s:I, s:I, s:I, s:I, s:I, s:I, s:f, s:o, s:f, s:o, s:f, s:o, s:f, s:f, s:b}",
		"wake", wake_name(rs->wake), "max_event_rate_hz", rs->opt->max_event_rate_hz,
		"doorbells", (json_int_t)rs->doorbells, "doorbell_rounds", (json_int_t)rs->doorbell_rounds,
		"doorbell_rounds_delayed", (json_int_t)rs->doorbell_rounds_delayed,
		"rounds", (json_int_t)rs->rounds_measured, "overruns", (json_int_t)rs->overruns,
		"host_stalls", (json_int_t)rs->host_stalls, "host_stall_max_ms", rs->host_stall_max_ns / 1e6,
		"time_us", hist_to_json(&rs->scan_ns, 1e-3, true),
		"cpu_s", rs->strategy_cpu_s,
		"cpu_fraction", result_ratio(rs->strategy_cpu_s, rs->measured_s),
		"thread_cpu_s", rs->scan_cpu_s,
		"thread_cpu_fraction", result_ratio(rs->scan_cpu_s, rs->measured_s),
		"period_us", rs->period_ns / 1e3,
		"phase_sweep_s", rs->opt->phase_sweep_s,
		"phase_locked", rs->opt->phase_sweep_s == 0);
}

static json_t *dirty_block(const struct run_state *rs)
{
	const struct oracle_stats *st = &rs->oracle.stats;
	double rounds = (double)rs->rounds_measured, frames = (double)st->frames_measured;
	json_t *block;

	block = json_pack("{s:I, s:I, s:I, s:o, s:o, s:o, s:o, s:I, s:o, s:o, s:o, s:I, s:I, s:I, s:I, s:I}",
		"reported_tiles", (json_int_t)st->reported_tiles,
		"reported_bytes", (json_int_t)st->reported_bytes,
		"changed_bytes", (json_int_t)st->changed_bytes,
		"precision", result_ratio((double)st->changed_bytes, (double)st->reported_bytes),
		"tiles_per_round", hist_to_json(&st->tiles_per_round, 1, false),
		"reported_bytes_per_s", result_ratio((double)st->reported_bytes, rs->measured_s),
		"changed_bytes_per_s", result_ratio((double)st->changed_bytes, rs->measured_s),
		"damage_tiles", (json_int_t)st->damage_tiles,
		"damage_tiles_per_frame", result_ratio((double)st->damage_tiles, frames),
		"reported_tiles_per_round", result_ratio((double)st->reported_tiles, rounds),
		"tiles_total", json_integer((json_int_t)rs->geo.ntiles),
		"frames_checked", (json_int_t)st->frames_checked,
		"frames_missed", (json_int_t)st->frames_missed,
		"tiles_missed", (json_int_t)st->tiles_missed,
		"tiles_excused", (json_int_t)st->tiles_excused,
		"tiles_superseded", (json_int_t)st->tiles_superseded);
	if (block) {
		/* Issue 23: precision over the bytes that truly changed (the replica's
		 * count), beside the declared damage's; the old rule's verdict. */
		json_object_set_new(block, "true_changed_bytes", json_integer((json_int_t)rs->replica.true_changed_bytes));
		json_object_set_new(block, "precision", result_ratio((double)rs->replica.true_changed_bytes,
								       (double)st->reported_bytes));
		json_object_set_new(block, "declared_precision", result_ratio((double)st->changed_bytes,
									      (double)st->reported_bytes));
		json_object_set_new(block, "frames_missed_window_rule",
				    json_integer((json_int_t)st->frames_missed_window_rule));
		json_object_set_new(block, "frames_undone", json_integer((json_int_t)st->frames_undone));
		json_object_set_new(block, "frames_delivered_by_round_begun_before_commit",
				    json_integer((json_int_t)st->delivered_by_round_begun_before_commit));
	}
	/* Pages only from strategies that report pages (the hypervisor's logs):
	 * what the write faults KVM counts can be checked against. */
	if (block && rs->rounds_measured && rs->rounds_with_pages == rs->rounds_measured) {
		json_object_set_new(block, "reported_pages", json_integer((json_int_t)rs->pages_reported));
		json_object_set_new(block, "reported_pages_per_round", result_ratio((double)rs->pages_reported, rounds));
		json_object_set_new(block, "reported_pages_per_frame", result_ratio((double)rs->pages_reported, frames));
	}
	return block;
}

/* The replica check (core/replica.h): how many ran, what they found and cost. */
static json_t *replica_block(const struct run_state *rs)
{
	const struct replica *r = &rs->replica;
	const struct oracle_stats *st = &rs->oracle.stats;

	return json_pack("{s:I, s:I, s:I, s:I, s:s, s:f, s:f, s:o, s:I, s:I, s:I}",
		"every_rounds", (json_int_t)rs->opt->replica_check_rounds,
		"checks", (json_int_t)r->checks, "checks_skipped", (json_int_t)r->checks_skipped,
		"tiles_mismatched", (json_int_t)r->tiles_mismatched,
		"verdict", r->tiles_mismatched ? "mismatch" : "equal",
		"paused_ms", clock_cycles_to_ns(&rs->clock, (double)r->paused_cycles) / 1e6,
		"paused_measured_ms", clock_cycles_to_ns(&rs->clock, (double)r->paused_measured_cycles) / 1e6,
		"check_time_us", hist_to_json(&r->check_ns, 1e-3, false),
		"frames_paused", (json_int_t)st->frames_paused,
		"frames_after_pause", (json_int_t)st->frames_after_pause,
		"delivered_before_commit", (json_int_t)st->delivered_before_commit);
}

static json_t *strategy_block(const struct run_state *rs)
{
	json_t *obj = json_pack("{s:s, s:s, s:I}", "name", rs->sops->name,
				"description", rs->sops->description,
				"memory_bytes", (json_int_t)rs->strategy.memory_bytes);

	if (rs->sops->report)
		rs->sops->report((struct strategy *)&rs->strategy, obj);
	return obj;
}

/* The policy's decisions, and the run's cost on one scale: the guest's
 * drawing time (tracking faults included) plus the host's rounds, per second
 * of the measured window. The first update after each idle spell of
 * ORACLE_IDLE_NS or more: its latency, in order (burst's figure). */
static json_t *policy_block(const struct run_state *rs)
{
	const struct oracle_stats *st = &rs->oracle.stats;
	json_t *obj = policy_report((struct policy *)&rs->policy), *list = json_array();
	double s = rs->measured_s > 0 ? rs->measured_s : 0;
	double guest = (double)st->draw_cycles / (double)rs->clock.tsc_khz;     /* ms */
	double host = (double)rs->policy.host_ns / 1e6;

	for (unsigned i = 0; i < st->after_idle_kept; i++)
		json_array_append_new(list, json_real(st->after_idle_us[i] / 1e3));
	json_object_set_new(obj, "cost", json_pack("{s:o, s:o, s:o}",
		"guest_draw_ms_per_s", result_ratio(guest, s),
		"host_rounds_ms_per_s", result_ratio(host, s),
		"total_ms_per_s", result_ratio(guest + host, s)));
	json_object_set_new(obj, "after_idle", json_pack("{s:f, s:I, s:o, s:o}",
		"idle_s", ORACLE_IDLE_NS / 1e9, "count", (json_int_t)hist_count(&st->after_idle_ns),
		"latency_ms", list, "latency_us", hist_to_json(&st->after_idle_ns, 1e-3, false)));
	return obj;
}

/* Core's members, then the back end's, then each collector's. */
json_t *result_build(const struct run_state *rs)
{
	json_t *r = json_pack("{s:s, s:s, s:o, s:o, s:o, s:o, s:o, s:o, s:o}",
		"schema", RESULT_SCHEMA, "status", "ok",
		"run", run_block(rs),
		"strategy", strategy_block(rs),
		"guest", guest_block(rs),
		"scan", scan_block(rs),
		"dirty", dirty_block(rs),
		"replica_check", replica_block(rs),
		"latency_us", hist_to_json(&rs->oracle.stats.latency_ns, 1e-3, true));

	if (r)
		json_object_set_new(r, "latency_from_start_us", hist_to_json(&rs->oracle.stats.latency_from_start_ns, 1e-3, false));

	if (r)
		json_object_set_new(r, "policy", policy_block(rs));
	if (r && (rs->brun->result((struct run_state *)rs, r) || collectors_json(rs, r))) {
		json_decref(r);
		return NULL;
	}
	return r;
}

/* All of it, or -1 with the real errno: a short write is retried, so a full
 * disk says ENOSPC (the next write's), not whatever errno held before. */
static int write_all(int fd, const char *p, size_t n)
{
	while (n) {
		ssize_t w = write(fd, p, n);

		if (w < 0)
			return -1;      /* EINTR too: an interrupted run writes no result */
		if (w == 0) {
			errno = EIO;
			return -1;
		}
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

static int write_fail(char *err, size_t errlen, const char *path, int e)
{
	char shown[200];

	snprintf(err, errlen, "cannot write the result (%s): %s", strerror(e),
		 outpath_shorten(shown, sizeof(shown), path, 160));
	return -1;
}

/* A temporary file in path's folder, renamed over path once complete. */
static int write_atomic(const char *text, size_t n, const char *path, char *err, size_t errlen)
{
	const char *slash = strrchr(path, '/');
	char tmp[PATH_MAX + 32];
	mode_t mask = umask(0);
	int fd, e = 0;

	umask(mask);            /* read only; mkostemp's 0600 becomes open(0644)'s mode */
	snprintf(tmp, sizeof(tmp), "%.*s.run-bench.tmp.XXXXXX", slash ? (int)(slash - path + 1) : 0, path);
	fd = mkostemp(tmp, O_CLOEXEC);
	if (fd < 0)
		return write_fail(err, errlen, path, errno);
	if (fchmod(fd, 0644 & ~mask) || write_all(fd, text, n) || fsync(fd))
		e = errno;
	if (close(fd) && !e)
		e = errno;
	if (!e && rename(tmp, path))
		e = errno;
	if (e) {
		unlink(tmp);
		return write_fail(err, errlen, path, e);
	}
	return 0;
}

/* An existing character device or FIFO: written in place, never replaced. */
static int write_stream(const char *text, size_t n, const char *path, char *err, size_t errlen)
{
	int fd = open(path, O_WRONLY | O_NOCTTY | O_CLOEXEC), e = 0;
	struct stat st;

	if (fd < 0)
		return write_fail(err, errlen, path, errno);
	if (!fstat(fd, &st) && S_ISREG(st.st_mode)) {
		close(fd);      /* it became a file since: never write one in place */
		return write_atomic(text, n, path, err, errlen);
	}
	if (write_all(fd, text, n))
		e = errno;
	if (close(fd) && !e)
		e = errno;
	return e ? write_fail(err, errlen, path, e) : 0;
}

int result_write(const json_t *result, const char *path, char *err, size_t errlen)
{
	char *text = json_dumps(result, JSON_INDENT(2) | JSON_SORT_KEYS);
	size_t n = text ? strlen(text) : 0;
	struct stat st;
	int rc;

	if (!text) {
		snprintf(err, errlen, "cannot write the result: out of memory");
		return -1;
	}
	text[n] = '\n';         /* json_dumps's NUL: the file ends in a newline */
	if (!strcmp(path, "-")) {
		rc = fflush(stdout) || write_all(STDOUT_FILENO, text, n + 1) ? -1 : 0;
		if (rc)
			snprintf(err, errlen, "cannot write the result to stdout: %s", strerror(errno));
	} else if (!stat(path, &st) && (S_ISCHR(st.st_mode) || S_ISFIFO(st.st_mode))) {
		rc = write_stream(text, n + 1, path, err, errlen);
	} else {
		rc = write_atomic(text, n + 1, path, err, errlen);
	}
	free(text);
	return rc;
}

int result_default_path(char *buf, size_t len, const char *results_dir,
			const char *strategy, const char *workload, unsigned w, unsigned h)
{
	char stamp[32];
	time_t now = time(NULL);
	struct timespec ts;
	int n;

	clock_gettime(CLOCK_REALTIME, &ts);
	strftime(stamp, sizeof(stamp), "%Y%m%dT%H%M%S", gmtime(&now));
	n = snprintf(buf, len, "%s/%s-%s-%ux%u-%s.%03ld-%d.json", results_dir, strategy, workload, w, h,
		     stamp, ts.tv_nsec / 1000000, (int)getpid());
	return n < 0 || (size_t)n >= len ? -1 : 0;
}
