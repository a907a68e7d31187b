/* The collector wrappers (core/collector.h): the run driver calls these, never a hook. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/collector.h"
#include "core/run_state.h"

size_t collector_count(void)
{
	size_t n = 0;

	while (collector_registry[n])
		n++;
	return n;
}

/* Once per run: a slot for every collector the options asked for. */
static int collectors_take(struct run_state *rs)
{
	for (const struct collector_ops *const *ops = collector_registry; *ops; ops++) {
		struct collector *c;

		if ((*ops)->wanted && !(*ops)->wanted(rs->opt))
			continue;
		if (rs->ncollectors == RUN_COLLECTORS_MAX)
			return run_fail(rs, EXIT_RUN_FAILED, "more than %d collectors", RUN_COLLECTORS_MAX);
		c = &rs->collectors[rs->ncollectors++];
		c->ops = *ops;
		c->priv = calloc(1, (*ops)->priv_size ? (*ops)->priv_size : 1);
		if (!c->priv)
			return run_fail(rs, EXIT_RUN_FAILED, "out of memory");
	}
	return EXIT_OK;
}

int collectors_open(struct run_state *rs, enum collector_stage stage)
{
	int status;

	if (stage == COLLECT_BEFORE_BOOT && (status = collectors_take(rs)))
		return status;
	for (size_t i = 0; i < rs->ncollectors; i++) {
		struct collector *c = &rs->collectors[i];

		if (c->ops->stage != stage)
			continue;
		if (c->ops->unsupported && (c->unsupported = c->ops->unsupported(rs)))
			continue;
		c->opened = true;       /* close undoes a failed open too */
		if (c->ops->open && (status = c->ops->open(c, rs)))
			return status;
	}
	return EXIT_OK;
}

int collectors_window(struct run_state *rs, bool start)
{
	for (size_t i = 0; i < rs->ncollectors; i++) {
		struct collector *c = &rs->collectors[i];
		int status;

		if (c->opened && c->ops->window && (status = c->ops->window(c, rs, start)))
			return status;
	}
	return EXIT_OK;
}

void collectors_before_round(struct run_state *rs, bool measured)
{
	for (size_t i = 0; i < rs->ncollectors; i++) {
		struct collector *c = &rs->collectors[i];

		if (c->opened && c->ops->before_round)
			c->ops->before_round(c, rs, measured);
	}
}

void collectors_round(struct run_state *rs)
{
	for (size_t i = 0; i < rs->ncollectors; i++) {
		struct collector *c = &rs->collectors[i];

		if (c->opened && c->ops->round)
			c->ops->round(c, rs);
	}
}

int collectors_finish(struct run_state *rs)
{
	for (size_t i = 0; i < rs->ncollectors; i++) {
		struct collector *c = &rs->collectors[i];
		int status;

		if (c->opened && c->ops->finish && (status = c->ops->finish(c, rs)))
			return status;
	}
	return EXIT_OK;
}

int collectors_json(const struct run_state *rs, json_t *result)
{
	for (size_t i = 0; i < rs->ncollectors; i++) {
		const struct collector *c = &rs->collectors[i];
		json_t *member;

		if (c->unsupported)
			member = json_pack("{s:b, s:s}", "available", 0, "reason", c->unsupported);
		else
			member = c->ops->json((struct collector *)c, rs);
		if (member && collector_set_member(result, c->ops->key, member))
			return -1;
	}
	return 0;
}

void collectors_close(struct run_state *rs)
{
	for (size_t i = 0; i < rs->ncollectors; i++) {
		struct collector *c = &rs->collectors[i];

		if (c->opened && c->ops->close)
			c->ops->close(c, rs);
		c->opened = false;
	}
}

int collector_set_member(json_t *result, const char *path, json_t *value)
{
	const char *dot = strchr(path, '.');
	char head[64];
	json_t *sub;

	if (!dot)
		return json_object_set_new(result, path, value);
	snprintf(head, sizeof(head), "%.*s", (int)(dot - path), path);
	sub = json_object_get(result, head);
	if (!sub) {
		sub = json_object();
		if (json_object_set_new(result, head, sub)) {
			json_decref(value);
			return -1;
		}
	}
	return collector_set_member(sub, dot + 1, value);
}
