/*
 * The "vnc" collector (--vnc): the server and the measuring client wired into
 * a run. Every round's reported tiles go to the server, copied from what the
 * strategy compared (run_tile_source); the oracle tells it which round each
 * frame was delivered in; after the last round the client must hold VRAM.
 */
#include <stdio.h>

#include "core/run_state.h"
#include "core/schema.h"
#include "vnc/vnc_run.h"

static bool vnc_collect_wanted(const struct run_options *opt)
{
	return opt->vnc;
}

static int vnc_collect_open(struct collector *c, struct run_state *rs)
{
	struct vnc_run *v = c->priv;
	int status = vnc_run_start(v, rs->opt, &rs->geo, rs->error, sizeof(rs->error));

	if (status)
		return status;
	rs->oracle.on_delivered = vnc_run_frame;
	rs->oracle.on_delivered_arg = v;
	return EXIT_OK;
}

static int vnc_collect_window(struct collector *c, struct run_state *rs, bool start)
{
	(void)rs;
	vnc_run_window(c->priv, start);
	return EXIT_OK;
}

static void vnc_collect_round(struct collector *c, struct run_state *rs)
{
	vnc_run_round(c->priv, rs->dirty.tiles, run_tile_source(rs), rs->oracle.nrounds);
}

/* The guest has stopped and the last round was judged: the client catches
 * up and its pixels must equal VRAM; a mismatch fails the run like a miss. */
static int vnc_collect_finish(struct collector *c, struct run_state *rs)
{
	char why[512];

	vnc_run_finish(c->priv, run_tile_source(rs), rs->be->vram, rs->oracle.nrounds - 1);
	if (vnc_run_failure(c->priv, why, sizeof(why)) && !rs->opt->allow_misses)
		return run_fail(rs, EXIT_RUN_FAILED, "%s", why);
	return EXIT_OK;
}

static json_t *vnc_collect_json(struct collector *c, const struct run_state *rs)
{
	return vnc_run_json(c->priv, &rs->clock, rs->measured_s);
}

static void vnc_collect_close(struct collector *c, struct run_state *rs)
{
	(void)rs;
	vnc_run_stop(c->priv);
}

static const struct schema_field vnc_collect_schema[] = {
	{ "vnc.port", SCHEMA_INT }, { "vnc.encoding", SCHEMA_STR }, { "vnc.client", SCHEMA_BOOL },
	{ "vnc.server", SCHEMA_OBJ },
	SCHEMA_END
};

/* The measured part only with the measuring client. */
static const struct schema_field vnc_client_schema[] = {
	{ "vnc.wire.updates", SCHEMA_INT }, { "vnc.wire.rects", SCHEMA_INT }, { "vnc.wire.bytes", SCHEMA_INT },
	{ "vnc.wire.bytes_per_s", SCHEMA_NUM_OR_NULL }, { "vnc.e2e.e2e_latency_us", SCHEMA_HIST },
	{ "vnc.e2e.stale_frames", SCHEMA_INT }, { "vnc.e2e.frames_undelivered", SCHEMA_INT },
	{ "vnc.pixel_check.verdict", SCHEMA_STR }, { "vnc.pixel_check.updates_checked", SCHEMA_INT },
	{ "vnc.pixel_check.updates_mismatched", SCHEMA_INT },
	{ "vnc.pixel_check.final_diff_pixels", SCHEMA_NUM_OR_NULL },
	SCHEMA_END
};

static int vnc_collect_check(const json_t *r, char *err, size_t len)
{
	if (!json_is_true(json_object_get(json_object_get(r, "vnc"), "client")))
		return 0;
	return schema_check_fields(r, vnc_client_schema, err, len);
}

const struct collector_ops collector_vnc = {
	.name = "vnc",
	.key = "vnc",
	.stage = COLLECT_ARMED,
	.priv_size = sizeof(struct vnc_run),
	.wanted = vnc_collect_wanted,
	.open = vnc_collect_open,
	.window = vnc_collect_window,
	.round = vnc_collect_round,
	.finish = vnc_collect_finish,
	.json = vnc_collect_json,
	.close = vnc_collect_close,
	.schema = vnc_collect_schema,
	.check = vnc_collect_check,
};
