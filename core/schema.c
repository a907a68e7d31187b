/*
 * Required members of a result, by dotted path and JSON type. A value that
 * could not be measured may be null where the schema says "number|null".
 * Keep in step with results/SCHEMA.md.
 */
#include <stdio.h>
#include <string.h>

#include "core/json_path.h"
#include "core/result.h"
#include "core/schema.h"

enum kind { STR, NUM, NUM_OR_NULL, INT, BOOL, OBJ, ARR, HIST };

static const struct field {
	const char *path;
	enum kind kind;
} required[] = {
	{ "schema", STR }, { "status", STR },
	{ "run.strategy", STR }, { "run.workload", STR }, { "run.git_revision", STR },
	{ "run.started_at", STR }, { "run.argv", ARR }, { "run.options", OBJ },
	{ "run.options.duration_s", NUM }, { "run.options.warmup_s", NUM },
	{ "run.options.rate_hz", NUM }, { "run.options.resolution", STR },
	{ "run.options.tile", STR }, { "run.options.seed", INT },
	{ "platform", OBJ }, { "platform.kernel", STR }, { "platform.cpu_model", STR },
	{ "platform.nested", BOOL }, { "platform.kvm", OBJ }, { "platform.kvm.module", STR },
	{ "platform.kvm.paging", STR }, { "platform.kvm.capabilities", OBJ },
	{ "strategy.name", STR }, { "strategy.memory_bytes", INT },
	{ "guest.fps_asked", NUM }, { "guest.fps_achieved", NUM }, { "guest.frames_measured", INT },
	{ "guest.frames_dropped", INT }, { "guest.draw_cycles_per_frame", NUM_OR_NULL },
	{ "guest.tsc_calibration.offset_cycles", INT },
	{ "guest.tsc_calibration.uncertainty_cycles", INT },
	{ "scan.rounds", INT }, { "scan.overruns", INT }, { "scan.time_us", HIST },
	{ "scan.cpu_s", NUM }, { "scan.cpu_fraction", NUM_OR_NULL },
	{ "dirty.reported_tiles", INT }, { "dirty.reported_bytes", INT },
	{ "dirty.changed_bytes", INT }, { "dirty.precision", NUM_OR_NULL },
	{ "dirty.tiles_per_round", HIST }, { "dirty.tiles_total", INT },
	{ "dirty.frames_checked", INT }, { "dirty.frames_missed", INT }, { "dirty.tiles_missed", INT },
	{ "latency_us", HIST },
	{ "exits.exits", INT }, { "exits.io_exits", INT }, { "exits.exits_per_frame", NUM_OR_NULL },
	{ "kvm_stats.vm", OBJ }, { "kvm_stats.vcpu", OBJ }, { "perf.vcpu_thread", OBJ },
	{ "perf.scan_thread", OBJ }, { "calibration", OBJ }, { "guest.cpu_probe", OBJ },
	{ "calibration.membw_floor_us", NUM_OR_NULL }, { "calibration.scan_to_floor_ratio", NUM_OR_NULL },
};

/* A Xen result (platform.backend "xen") has no KVM blocks, and these instead. */
static const struct field xen_required[] = {
	{ "platform.xen.version", STR }, { "xen.faults", OBJ }, { "xen.logdirty", OBJ },
	{ "exits.reason", STR }, { "guest.tsc_calibration.drift_cycles", INT },
};

static int kvm_only(const char *path)
{
	return !strncmp(path, "platform.kvm", 12) || !strncmp(path, "kvm_stats", 9) ||
	       !strncmp(path, "exits.", 6);
}

static int kind_ok(const json_t *v, enum kind kind)
{
	switch (kind) {
	case STR: return json_is_string(v);
	case NUM: return json_is_number(v);
	case NUM_OR_NULL: return json_is_number(v) || json_is_null(v);
	case INT: return json_is_integer(v);
	case BOOL: return json_is_boolean(v);
	case OBJ: return json_is_object(v);
	case ARR: return json_is_array(v);
	case HIST: return json_is_object(v) && json_is_integer(json_object_get(v, "n")) &&
			  json_object_get(v, "p50") && json_object_get(v, "p99");
	}
	return 0;
}

/* Only with --vnc; the measured part only with the measuring client. */
static const struct field vnc_required[] = {
	{ "vnc.port", INT }, { "vnc.encoding", STR }, { "vnc.client", BOOL }, { "vnc.server", OBJ },
};
static const struct field vnc_client_required[] = {
	{ "vnc.wire.updates", INT }, { "vnc.wire.rects", INT }, { "vnc.wire.bytes", INT },
	{ "vnc.wire.bytes_per_s", NUM_OR_NULL }, { "vnc.e2e.e2e_latency_us", HIST },
	{ "vnc.e2e.stale_frames", INT }, { "vnc.e2e.frames_undelivered", INT },
	{ "vnc.pixel_check.verdict", STR }, { "vnc.pixel_check.updates_checked", INT },
	{ "vnc.pixel_check.updates_mismatched", INT }, { "vnc.pixel_check.final_diff_pixels", NUM_OR_NULL },
};

static int check_fields(const json_t *r, const struct field *f, size_t n, char *err, size_t errlen);
static int schema_check_core(const json_t *r, char *err, size_t errlen);

int schema_check(const json_t *r, char *err, size_t errlen)
{
	const json_t *vnc = json_object_get(r, "vnc");

	if (schema_check_core(r, err, errlen))
		return -1;
	if (!vnc)
		return 0;
	if (check_fields(r, vnc_required, sizeof(vnc_required) / sizeof(vnc_required[0]), err, errlen))
		return -1;
	if (!json_is_true(json_object_get(vnc, "client")))
		return 0;
	return check_fields(r, vnc_client_required, sizeof(vnc_client_required) / sizeof(vnc_client_required[0]),
			    err, errlen);
}

static int check_fields(const json_t *r, const struct field *f, size_t n, char *err, size_t errlen)
{
	for (size_t i = 0; i < n; i++) {
		const json_t *v = json_path(r, f[i].path);

		if (!v || !kind_ok(v, f[i].kind)) {
			snprintf(err, errlen, "result lacks a valid '%s'", f[i].path);
			return -1;
		}
	}
	return 0;
}

static int schema_check_core(const json_t *r, char *err, size_t errlen)
{
	const json_t *schema = json_object_get(r, "schema");

	if (!json_is_string(schema) || strcmp(json_string_value(schema), RESULT_SCHEMA)) {
		snprintf(err, errlen, "not a %s result", RESULT_SCHEMA);
		return -1;
	}
	const json_t *backend = json_path(r, "platform.backend");
	int xen = json_is_string(backend) && !strcmp(json_string_value(backend), "xen");

	for (size_t i = 0; i < sizeof(required) / sizeof(required[0]); i++) {
		const json_t *v = json_path(r, required[i].path);

		if (xen && kvm_only(required[i].path))
			continue;
		if (!v || !kind_ok(v, required[i].kind)) {
			snprintf(err, errlen, "result lacks a valid '%s'", required[i].path);
			return -1;
		}
	}
	for (size_t i = 0; xen && i < sizeof(xen_required) / sizeof(xen_required[0]); i++) {
		const json_t *v = json_path(r, xen_required[i].path);

		if (!v || !kind_ok(v, xen_required[i].kind)) {
			snprintf(err, errlen, "Xen result lacks a valid '%s'", xen_required[i].path);
			return -1;
		}
	}
	return 0;
}
