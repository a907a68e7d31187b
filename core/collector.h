/*
 * Collectors measure around a run without being part of it: host counters,
 * a profile, KVM's statistics, the memory-bandwidth floor, the platform
 * block, the VNC server and client. Each is one file ending in one const
 * struct collector_ops, listed in collectors/registry.c; the run driver
 * (core/run.c) calls them only through the wrappers below, at fixed points:
 *
 *   open        at its stage: before the back end boots (nothing else runs), or
 *               once the guest is READY and the strategy armed
 *   window      at the measured window's start and end
 *   before_round every scan round, before the strategy scans (optional)
 *   round       every scan round, before the oracle judges it (optional)
 *   finish      after the guest stopped and the last round was judged; a
 *               collector may fail the run here (VNC's pixel check) (optional)
 *   json        its member of the result (key, a dotted path)
 *   close       always, also after a failure (optional)
 *
 * A collector this run cannot have (unsupported() says why) is not opened and
 * its member is {"available": false, "reason": ...}: never zeros. One the
 * options did not ask for (wanted() false) leaves no member at all.
 */
#ifndef DIRTYBENCH_COLLECTOR_H
#define DIRTYBENCH_COLLECTOR_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "core/options.h"
#include "core/schema_field.h"

struct run_state;
struct collector;

enum collector_stage {
	COLLECT_BEFORE_BOOT,            /* on the pinned scan thread, before any guest runs */
	COLLECT_ARMED,                  /* the guest is READY, the strategy and oracle armed */
};

struct collector_ops {
	const char *name;
	const char *key;                /* the result member it fills, e.g. "perf" or "run.perf_record" */
	enum collector_stage stage;
	size_t priv_size;               /* c->priv, zeroed */
	bool (*wanted)(const struct run_options *opt);          /* optional: NULL is always */
	/* Optional: why this run cannot have it (another back end, no fd), or NULL. */
	const char *(*unsupported)(const struct run_state *rs);
	int (*open)(struct collector *c, struct run_state *rs);
	int (*window)(struct collector *c, struct run_state *rs, bool start);
	void (*before_round)(struct collector *c, struct run_state *rs, bool measured);
	void (*round)(struct collector *c, struct run_state *rs);
	int (*finish)(struct collector *c, struct run_state *rs);
	json_t *(*json)(struct collector *c, const struct run_state *rs);
	void (*close)(struct collector *c, struct run_state *rs);
	/* Members its block must have when it ran, paths from the result's root,
	 * and optionally a check of what depends on its content. */
	const struct schema_field *schema;
	int (*check)(const json_t *result, char *err, size_t len);
};

struct collector {
	const struct collector_ops *ops;
	void *priv;
	const char *unsupported;        /* set: not opened, for this reason */
	bool opened;
};

extern const struct collector_ops *const collector_registry[];

/* Size of collector_registry without its NULL. */
size_t collector_count(void);
/* Open every wanted collector of this stage. EXIT_OK, or a status with rs->error. */
int collectors_open(struct run_state *rs, enum collector_stage stage);
int collectors_window(struct run_state *rs, bool start);
void collectors_before_round(struct run_state *rs, bool measured);
void collectors_round(struct run_state *rs);
int collectors_finish(struct run_state *rs);
/* Each wanted collector's member into result. -1 when out of memory. */
int collectors_json(const struct run_state *rs, json_t *result);
void collectors_close(struct run_state *rs);

/* For collectors: set result's member at a dotted path (creating objects). */
int collector_set_member(json_t *result, const char *path, json_t *value);

#endif
