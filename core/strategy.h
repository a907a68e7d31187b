/*
 * Dirty-tracking strategies: one file each in strategies/, one const
 * struct strategy_ops each, listed in strategies/registry.c. The harness
 * (bench/strategy.c) validates a table once and wraps every hook, so timing,
 * page-to-tile conversion and error reporting live in one place.
 */
#ifndef DIRTYBENCH_STRATEGY_H
#define DIRTYBENCH_STRATEGY_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/backend.h"
#include "core/fbgeom.h"

/* What one scan round found. A page-granular strategy sets pages and
 * has_pages; the harness turns pages into tiles with the real stride. */
struct dirty_set {
	uint64_t *tiles;        /* geo->ntiles bits */
	uint64_t *pages;        /* geo->pages bits */
	bool has_pages;
	bool full;              /* the strategy fell back to "everything" */
};

struct strategy;

struct strategy_ops {
	const char *name;
	const char *description;
	unsigned needs;         /* enum backend_feature bits */
	/* Optional: false with a reason when this host cannot run it. */
	bool (*supported)(const struct backend *be, char *why, size_t len);
	int (*init)(struct strategy *s);
	/* Arm tracking; called once the guest has registered its framebuffer. */
	int (*start)(struct strategy *s);
	/* One round: fill out (already zeroed). Return 0 or -1 with s->error set. */
	int (*scan)(struct strategy *s, struct dirty_set *out);
	void (*stop)(struct strategy *s);
	void (*fini)(struct strategy *s);
	/* Optional, for strategies on a dirty ring: called on the vCPU thread,
	 * concurrently with scan, when the hypervisor's ring is full. The vCPU
	 * cannot run until it returns 0, so make room now, and keep what was
	 * harvested for the next scan. -1 stops the run. */
	int (*ring_full)(struct strategy *s);
	/* Optional, for strategies that compare content: the copy of VRAM they
	 * compare against, which is what their consumer holds (QEMU's VNC server
	 * surface). The oracle excuses an unreported tile whose copy already
	 * equals VRAM: the consumer lost nothing (a change was undone before any
	 * round saw it). Write-tracking strategies have no excuse. */
	const uint8_t *(*shadow)(struct strategy *s);
	/* Options it understands, for --list: "key=default|other ...; key=N". */
	const char *options;
	/* Optional: strategy-specific counters into the result's "strategy" object. */
	void (*report)(struct strategy *s, json_t *obj);
	/* Optional: the tiling (strips across, down) the run uses when --tile is
	 * not given, for strategies whose tracking granularity is not the seed's
	 * 64x128. Both 0: the default. */
	struct {
		uint32_t cols, rows;
	} preferred_tiles;
};

#define STRATEGY_MAX_OPTIONS 8

struct strategy_option {
	char key[32];
	char value[64];
	bool used;
};

struct strategy {
	const struct strategy_ops *ops;
	struct strategy_option opt[STRATEGY_MAX_OPTIONS];
	unsigned nopt;
	bool bad_input;         /* exit 2: a bad option, or a host that cannot run it */
	struct backend *be;
	const struct fb_geometry *geo;
	void *priv;
	size_t memory_bytes;    /* what the strategy allocated for tracking */
	uint64_t round_period_ns; /* the harness's interval between scans; 0: unknown */
	char error[256];
};

extern const struct strategy_ops *const strategy_registry[];
const struct strategy_ops *strategy_find(const char *name);
/* -1 with a reason when a table lacks a required hook. */
int strategy_ops_validate(const struct strategy_ops *ops, char *err, size_t len);

int strategy_init(struct strategy *s, const struct strategy_ops *ops,
		  struct backend *be);
/* The same with "key=value,..." options (--sopt); a key the strategy does not
 * ask for in its init hook is an error. */
int strategy_init_with_options(struct strategy *s, const struct strategy_ops *ops,
			       struct backend *be, const char *options);
/* For init hooks: the value of option key, or def when not given. */
const char *strategy_option(struct strategy *s, const char *key, const char *def);
/* The same as an integer in [min, max]; -1 with s->error set when malformed. */
int strategy_option_long(struct strategy *s, const char *key, long def, long min, long max,
			 long *out);
int strategy_start(struct strategy *s);
/* Zero out, run the scan, convert pages to tiles. */
int strategy_scan(struct strategy *s, struct dirty_set *out);
/* On the vCPU thread: the dirty ring is full. -1 without a ring_full hook. */
int strategy_ring_full(struct strategy *s);
void strategy_stop(struct strategy *s);
void strategy_fini(struct strategy *s);

int dirty_set_alloc(struct dirty_set *ds, const struct fb_geometry *g);
void dirty_set_free(struct dirty_set *ds);
void dirty_set_clear(struct dirty_set *ds, const struct fb_geometry *g);
/* OR the tiles that page p's bytes fall in into tiles. */
void dirty_set_page_to_tiles(const struct fb_geometry *g, size_t page, uint64_t *tiles);

#endif
