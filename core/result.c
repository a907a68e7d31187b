/*
 * Building the result object of a run. Rates are given per second of the
 * measured window and per frame; a figure that could not be measured is
 * JSON null with a reason beside it, never 0.
 */
#define DIRTYBENCH_RUN_STATE
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "collectors/platform.h"
#include "core/result.h"
#include "core/run.h"

static json_t *ratio_or_null(double num, double den)
{
	return den > 0 ? json_real(num / den) : json_null();
}

static json_t *run_block(const struct run_state *rs)
{
	const struct run_options *o = rs->opt;
	char rev[64], res[32], tile[32];
	json_t *argv = json_array(), *block;

	platform_git_revision(rev, sizeof(rev));
	snprintf(res, sizeof(res), "%ux%u", rs->geo.width, rs->geo.height);
	snprintf(tile, sizeof(tile), "%ux%u", rs->geo.tile_w, rs->geo.tile_h);
	for (int i = 0; i < o->argc; i++)
		json_array_append_new(argv, json_string(o->argv[i]));
	block = json_pack("{s:s, s:s, s:s, s:s, s:o, s:{s:f, s:f, s:f, s:s, s:s, s:i, s:i, s:I, s:s, s:s, s:I, s:b}}",
		"strategy", rs->sops->name, "workload", rs->wops->name,
		"git_revision", rev, "started_at", rs->started_at, "argv", argv,
		"options", "duration_s", o->duration_s, "warmup_s", o->warmup_s, "rate_hz", o->rate_hz,
		"resolution", res, "tile", tile, "tile_cols", (int)rs->geo.cols, "tile_rows", (int)rs->geo.rows,
		"seed", (json_int_t)o->seed, "workload_options", o->workload_options ? o->workload_options : "",
		"strategy_options", o->strategy_options ? o->strategy_options : "",
		"dirty_ring_bytes", (json_int_t)o->dirty_ring_bytes, "allow_misses", o->allow_misses);
	if (block && o->perf_record)
		json_object_set_new(block, "perf_record", perf_record_json(&rs->perf_rec));
	return block;
}

static json_t *guest_block(const struct run_state *rs)
{
	const struct oracle_stats *st = &rs->oracle.stats;
	double asked = rs->measured_s * rs->fps_milli / 1000.0;
	double frames = (double)st->frames_measured;

	return json_pack("{s:f, s:f, s:I, s:f, s:I, s:o, s:o, s:I, s:I, s:{s:f, s:f, s:s}, s:{s:I, s:I, s:I}}",
		"fps_asked", rs->fps_milli / 1000.0,
		"fps_achieved", rs->measured_s > 0 ? frames / rs->measured_s : 0.0,
		"frames_measured", (json_int_t)st->frames_measured,
		"frames_asked", asked,
		"frames_dropped", (json_int_t)st->dropped,
		"draw_cycles_per_frame", ratio_or_null((double)st->draw_cycles, frames),
		"draw_time_us", hist_to_json(&st->draw_ns, 1e-3, false),
		"frames_total", (json_int_t)rs->vcpu.guest_frames,
		"dropped_total", (json_int_t)rs->vcpu.guest_dropped,
		"cpu_probe", "ring3_ns_per_iter", clock_cycles_to_ns(&rs->clock,
			(double)rs->vcpu.probe_ring3_cycles) / DB_PROBE_ITERS_RING3,
		"ring0_ns_per_iter", clock_cycles_to_ns(&rs->clock,
			(double)rs->vm.probe_ring0_cycles) / DB_PROBE_ITERS_RING0,
		"loop", "add; xor; add; dec; jnz",
		"tsc_calibration", "offset_cycles", (json_int_t)rs->vcpu.cal.offset,
		"uncertainty_cycles", (json_int_t)rs->vcpu.cal.uncertainty,
		"samples", (json_int_t)rs->vcpu.cal.samples);
}

static json_t *scan_block(const struct run_state *rs)
{
	return json_pack("{s:I, s:I, s:o, s:f, s:o, s:f, s:o, s:f, s:f}",
		"rounds", (json_int_t)rs->rounds_measured, "overruns", (json_int_t)rs->overruns,
		"time_us", hist_to_json(&rs->scan_ns, 1e-3, true),
		"cpu_s", rs->strategy_cpu_s,
		"cpu_fraction", ratio_or_null(rs->strategy_cpu_s, rs->measured_s),
		"thread_cpu_s", rs->scan_cpu_s,
		"thread_cpu_fraction", ratio_or_null(rs->scan_cpu_s, rs->measured_s),
		"period_us", rs->period_ns / 1e3,
		"phase_sweep_s", rs->opt->phase_sweep_s);
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
		"precision", ratio_or_null((double)st->changed_bytes, (double)st->reported_bytes),
		"tiles_per_round", hist_to_json(&st->tiles_per_round, 1, false),
		"reported_bytes_per_s", ratio_or_null((double)st->reported_bytes, rs->measured_s),
		"changed_bytes_per_s", ratio_or_null((double)st->changed_bytes, rs->measured_s),
		"damage_tiles", (json_int_t)st->damage_tiles,
		"damage_tiles_per_frame", ratio_or_null((double)st->damage_tiles, frames),
		"reported_tiles_per_round", ratio_or_null((double)st->reported_tiles, rounds),
		"tiles_total", json_integer((json_int_t)rs->geo.ntiles),
		"frames_checked", (json_int_t)st->frames_checked,
		"frames_missed", (json_int_t)st->frames_missed,
		"tiles_missed", (json_int_t)st->tiles_missed,
		"tiles_excused", (json_int_t)st->tiles_excused,
		"tiles_superseded", (json_int_t)st->tiles_superseded);
	/* Pages only from strategies that report pages (the hypervisor's logs):
	 * what the write faults KVM counts can be checked against. */
	if (block && rs->rounds_measured && rs->rounds_with_pages == rs->rounds_measured) {
		json_object_set_new(block, "reported_pages", json_integer((json_int_t)rs->pages_reported));
		json_object_set_new(block, "reported_pages_per_round", ratio_or_null((double)rs->pages_reported, rounds));
		json_object_set_new(block, "reported_pages_per_frame", ratio_or_null((double)rs->pages_reported, frames));
	}
	return block;
}

static json_t *exits_block(const struct run_state *rs)
{
	double frames = (double)rs->oracle.stats.frames_measured;
	uint64_t exits = rs->exits_end - rs->exits_start, io = rs->io_exits_end - rs->io_exits_start;

	return json_pack("{s:s, s:I, s:I, s:I, s:o, s:o}",
		"source", "vcpu thread (KVM_RUN returns)",
		"exits", (json_int_t)exits, "io_exits", (json_int_t)io,
		"dirty_ring_full_exits", (json_int_t)(rs->ring_full_end - rs->ring_full_start),
		"exits_per_frame", ratio_or_null((double)exits, frames),
		"exits_per_s", ratio_or_null((double)exits, rs->measured_s));
}

/* The scan against the compare floor measured before boot (bench/membw.h):
 * how close a full compare is to memory speed, and what any scan costs in
 * units of one. */
static json_t *calibration_block(const struct run_state *rs)
{
	const struct membw_floor *f = &rs->membw;
	double p50 = hist_count(&rs->scan_ns) ? hist_percentile(&rs->scan_ns, 50) : -1;

	if (!rs->membw_ok)
		return json_pack("{s:n, s:n, s:s}", "membw_floor_us", "scan_to_floor_ratio",
				 "reason", "could not allocate the floor's buffers");
	return json_pack("{s:f, s:o, s:s, s:f, s:o, s:s, s:I, s:I, s:s}",
		"membw_floor_us", f->cold_ns / 1e3,
		"scan_to_floor_ratio", p50 >= 0 ? ratio_or_null(p50, f->cold_ns) : json_null(),
		"floor_method", f->cold_method,
		"hot_floor_us", f->hot_ns / 1e3,
		"scan_to_hot_floor_ratio", p50 >= 0 ? ratio_or_null(p50, f->hot_ns) : json_null(),
		"hot_method", f->hot_method,
		"bytes_read", (json_int_t)(2 * rs->geo.bytes),
		"reps", (json_int_t)f->reps,
		"definition", "best time to compare two equal framebuffer-sized buffers; "
			      "membw: caches flushed before each repetition, hot: cache-resident");
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

static json_t *perf_block(const struct run_state *rs)
{
	double frames = (double)rs->oracle.stats.frames_measured;

	return json_pack("{s:s, s:o, s:o}", "source", "perf_event_open per thread, over the measured window",
		"vcpu_thread", perf_counters_json(&rs->perf_vcpu, frames, rs->measured_s),
		"scan_thread", perf_counters_json(&rs->perf_scan, frames, rs->measured_s));
}

static json_t *kvm_stats_block(const struct run_state *rs)
{
	double frames = (double)rs->oracle.stats.frames_measured;

	return json_pack("{s:s, s:o, s:o}", "source", "KVM_GET_STATS_FD, differenced over the measured window",
		"vm", kvm_stats_json(&rs->vm_stats, frames, rs->measured_s),
		"vcpu", kvm_stats_json(&rs->vcpu_stats, frames, rs->measured_s));
}

json_t *result_build(const struct run_state *rs)
{
	json_t *latency = hist_to_json(&rs->oracle.stats.latency_ns, 1e-3, true);
	json_t *vnc = vnc_run_json((struct vnc_run *)&rs->vnc, &rs->clock, rs->measured_s);
	json_t *r;

	r = json_pack("{s:s, s:s, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o}",
		"schema", RESULT_SCHEMA, "status", "ok",
		"run", run_block(rs),
		"platform", platform_detect(rs->vm.kvm_fd),
		"strategy", strategy_block(rs),
		"guest", guest_block(rs),
		"scan", scan_block(rs),
		"dirty", dirty_block(rs),
		"latency_us", latency,
		"exits", exits_block(rs),
		"kvm_stats", kvm_stats_block(rs),
		"perf", perf_block(rs),
		"calibration", calibration_block(rs));
	if (r && vnc)
		json_object_set_new(r, "vnc", vnc);
	else
		json_decref(vnc);
	return r;
}

int result_write(const json_t *result, const char *path, char *err, size_t errlen)
{
	char tmp[4096];
	bool ok;
	int fd;

	if (!strcmp(path, "-"))
		return json_dumpf(result, stdout, JSON_INDENT(2) | JSON_SORT_KEYS) || puts("") < 0 ? -1 : 0;
	snprintf(tmp, sizeof(tmp), "%s.tmp.%d", path, (int)getpid());
	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
	if (fd < 0) {
		snprintf(err, errlen, "writing %s: %s", path, strerror(errno));
		return -1;
	}
	ok = !json_dumpfd(result, fd, JSON_INDENT(2) | JSON_SORT_KEYS) &&
	     write(fd, "\n", 1) == 1 && !fsync(fd);
	ok = !close(fd) && ok;
	if (!ok || rename(tmp, path)) {
		snprintf(err, errlen, "writing %s: %s", path, strerror(errno));
		unlink(tmp);
		return -1;
	}
	return 0;
}

void result_default_path(char *buf, size_t len, const char *results_dir,
			 const char *strategy, const char *workload, unsigned w, unsigned h)
{
	char stamp[32];
	time_t now = time(NULL);
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	strftime(stamp, sizeof(stamp), "%Y%m%dT%H%M%S", gmtime(&now));
	snprintf(buf, len, "%s/%s-%s-%ux%u-%s.%03ld-%d.json", results_dir, strategy, workload, w, h,
		 stamp, ts.tv_nsec / 1000000, (int)getpid());
	mkdir(results_dir, 0755);
}
