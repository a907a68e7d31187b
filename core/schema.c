/*
 * Required members of a result, by dotted path and JSON type: core's here,
 * each back end's in its run ops, each collector's in its ops. A value that
 * could not be measured may be null where the schema says "number|null".
 * Keep in step with results/SCHEMA.md.
 */
#include <stdio.h>
#include <string.h>

#include "core/backend_run.h"
#include "core/collector.h"
#include "core/json_path.h"
#include "core/result.h"
#include "core/schema.h"

static const struct schema_field core_required[] = {
	{ "schema", SCHEMA_STR }, { "status", SCHEMA_STR },
	{ "run.strategy", SCHEMA_STR }, { "run.workload", SCHEMA_STR }, { "run.git_revision", SCHEMA_STR },
	{ "run.started_at", SCHEMA_STR }, { "run.argv", SCHEMA_ARR }, { "run.options", SCHEMA_OBJ },
	{ "run.options.duration_s", SCHEMA_NUM }, { "run.options.warmup_s", SCHEMA_NUM },
	{ "run.options.rate_hz", SCHEMA_NUM }, { "run.options.resolution", SCHEMA_STR },
	{ "run.options.tile", SCHEMA_STR }, { "run.options.seed", SCHEMA_INT },
	{ "strategy.name", SCHEMA_STR }, { "strategy.memory_bytes", SCHEMA_INT },
	{ "guest.fps_asked", SCHEMA_NUM }, { "guest.fps_achieved", SCHEMA_NUM },
	{ "guest.frames_measured", SCHEMA_INT }, { "guest.frames_dropped", SCHEMA_INT },
	{ "guest.draw_cycles_per_frame", SCHEMA_NUM_OR_NULL },
	{ "scan.wake", SCHEMA_STR }, { "scan.doorbell_rounds", SCHEMA_INT },
	{ "scan.rounds", SCHEMA_INT }, { "scan.overruns", SCHEMA_INT }, { "scan.time_us", SCHEMA_HIST },
	{ "scan.cpu_s", SCHEMA_NUM }, { "scan.cpu_fraction", SCHEMA_NUM_OR_NULL },
	{ "dirty.reported_tiles", SCHEMA_INT }, { "dirty.reported_bytes", SCHEMA_INT },
	{ "dirty.changed_bytes", SCHEMA_INT }, { "dirty.precision", SCHEMA_NUM_OR_NULL },
	{ "dirty.tiles_per_round", SCHEMA_HIST }, { "dirty.tiles_total", SCHEMA_INT },
	{ "dirty.frames_checked", SCHEMA_INT }, { "dirty.frames_missed", SCHEMA_INT },
	{ "dirty.tiles_missed", SCHEMA_INT },
	{ "dirty.true_changed_bytes", SCHEMA_INT }, { "dirty.declared_precision", SCHEMA_NUM_OR_NULL },
	{ "dirty.frames_missed_window_rule", SCHEMA_INT }, { "scan.phase_locked", SCHEMA_BOOL },
	{ "replica_check.every_rounds", SCHEMA_INT }, { "replica_check.checks", SCHEMA_INT },
	{ "replica_check.checks_skipped", SCHEMA_INT }, { "replica_check.tiles_mismatched", SCHEMA_INT },
	{ "replica_check.verdict", SCHEMA_STR }, { "replica_check.paused_ms", SCHEMA_NUM },
	{ "replica_check.check_time_us", SCHEMA_HIST }, { "replica_check.frames_paused", SCHEMA_INT },
	{ "latency_us", SCHEMA_HIST }, { "latency_from_start_us", SCHEMA_HIST },
	{ "run.policy", SCHEMA_STR }, { "policy.name", SCHEMA_STR }, { "policy.mode_s", SCHEMA_OBJ },
	{ "policy.switches", SCHEMA_ARR }, { "policy.cost.total_ms_per_s", SCHEMA_NUM_OR_NULL },
	{ "policy.cost.guest_draw_ms_per_s", SCHEMA_NUM_OR_NULL }, { "policy.cost.host_rounds_ms_per_s", SCHEMA_NUM_OR_NULL },
	{ "policy.after_idle.count", SCHEMA_INT }, { "policy.after_idle.latency_ms", SCHEMA_ARR },
	{ "policy.timeline", SCHEMA_OBJ },
	SCHEMA_END
};

static int kind_ok(const json_t *v, enum schema_kind kind)
{
	switch (kind) {
	case SCHEMA_STR: return json_is_string(v);
	case SCHEMA_NUM: return json_is_number(v);
	case SCHEMA_NUM_OR_NULL: return json_is_number(v) || json_is_null(v);
	case SCHEMA_INT: return json_is_integer(v);
	case SCHEMA_BOOL: return json_is_boolean(v);
	case SCHEMA_OBJ: return json_is_object(v);
	case SCHEMA_ARR: return json_is_array(v);
	case SCHEMA_HIST: return json_is_object(v) && json_is_integer(json_object_get(v, "n")) &&
				 json_object_get(v, "p50") && json_object_get(v, "p99");
	}
	return 0;
}

int schema_check_fields(const json_t *r, const struct schema_field *f, char *err, size_t errlen)
{
	for (; f->path; f++) {
		const json_t *v = json_path(r, f->path);

		if (!v || !kind_ok(v, f->kind)) {
			snprintf(err, errlen, "result lacks a valid '%s'", f->path);
			return -1;
		}
	}
	return 0;
}

/* run.backend; results from before it existed name Xen in platform.backend. */
static const struct backend_run_ops *result_backend(const json_t *r)
{
	const json_t *name = json_path(r, "run.backend");

	if (!json_is_string(name))
		name = json_path(r, "platform.backend");
	return json_is_string(name) ? backend_run_by_name(json_string_value(name)) : &kvm_run_ops;
}

/* A collector the options did not ask for leaves no member; one this run
 * could not have says "available": false, and has nothing more to check. */
static int check_collector(const json_t *r, const struct collector_ops *c, char *err, size_t errlen)
{
	const json_t *member = json_path(r, c->key);

	if (!member) {
		if (c->wanted)
			return 0;
		snprintf(err, errlen, "result lacks '%s'", c->key);
		return -1;
	}
	if (json_is_false(json_object_get(member, "available")) && json_object_size(member) == 2)
		return 0;
	if (c->schema && schema_check_fields(r, c->schema, err, errlen))
		return -1;
	return c->check ? c->check(r, err, errlen) : 0;
}

int schema_check(const json_t *r, char *err, size_t errlen)
{
	const json_t *schema = json_object_get(r, "schema");
	const struct backend_run_ops *backend;

	if (!json_is_string(schema) || strcmp(json_string_value(schema), RESULT_SCHEMA)) {
		snprintf(err, errlen, "not a %s result", RESULT_SCHEMA);
		return -1;
	}
	if (schema_check_fields(r, core_required, err, errlen))
		return -1;
	backend = result_backend(r);
	if (!backend || !backend->schema) {
		snprintf(err, errlen, "result names a back end this run-bench does not have");
		return -1;
	}
	if (schema_check_fields(r, backend->schema, err, errlen))
		return -1;
	for (const struct collector_ops *const *c = collector_registry; *c; c++)
		if (check_collector(r, *c, err, errlen))
			return -1;
	return 0;
}
