/*
 * Dirty-tracking strategies: one file each in strategies/, one const
 * struct strategy_ops each, listed in strategies/registry.c. The harness
 * (core/strategy.c) validates a table once and wraps every hook, so timing,
 * page-to-tile conversion, option parsing and error reporting live in one
 * place. Only name, description and scan are required.
 */
#ifndef DIRTYBENCH_STRATEGY_H
#define DIRTYBENCH_STRATEGY_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/backend.h"
#include "core/fbgeom.h"
#include "core/option_table.h"
#include "core/page_tiles.h"

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
	/* Optional: false with a reason when this host cannot run it (exit 4).
	 * backend_probe calls it before boot with be NULL; init, with the back end. */
	bool (*supported)(const struct backend *be, char *why, size_t len);
	/* Optional: allocate, read options (strategy_opt_*). */
	int (*init)(struct strategy *s);
	/* Optional: arm tracking; called once the guest has registered its framebuffer. */
	int (*start)(struct strategy *s);
	/* One round: fill out (already zeroed). Return 0 or -1 with s->error set. */
	int (*scan)(struct strategy *s, struct dirty_set *out);
	/* Optional: a round taken while the guest is stopped (vCPU not running,
	 * between two frames: core/replica.c's check), which must report
	 * everything that may be dirty now (drain both PV bitmaps, the whole
	 * ring, harvest the log), never leave anything to a later round.
	 * Absent: the normal scan already does. */
	int (*scan_quiet)(struct strategy *s, struct dirty_set *out);
	/* Optional, both: disarm; free what init allocated (also after a failed init). */
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
	/* Optional: the options it takes (--sopt), checked by the harness
	 * before init and shown by --list. */
	const struct strategy_option_spec *options;
	/* Optional: strategy-specific counters into the result's "strategy" object. */
	void (*report)(struct strategy *s, json_t *obj);
	/* Optional: the tiling (strips across, down) the run uses when --tile is
	 * not given, for strategies whose tracking granularity is not the seed's
	 * 64x128. Both 0: the default. */
	struct {
		uint32_t cols, rows;
	} preferred_tiles;
	/* Event-driven: the guest rings the back end's doorbell (BACKEND_DOORBELL)
	 * when it puts work on the strategy's ring, and the run driver runs a
	 * round then (--wake, --max-event-rate), besides or instead of the timer. */
	bool wakes_on_doorbell;
};

struct strategy {
	const struct strategy_ops *ops;
	struct strategy_option_value opt[STRATEGY_MAX_OPTIONS];
	bool bad_input;         /* exit 2: a bad option, or a host that cannot run it */
	struct backend *be;
	const struct fb_geometry *geo;
	void *priv;
	size_t memory_bytes;    /* what the strategy allocated for tracking */
	uint64_t round_period_ns; /* the harness's interval between scans; 0: unknown */
	struct page_tile_map tile_map;  /* the harness's page -> tile table */
	char error[256];
};

extern const struct strategy_ops *const strategy_registry[];
const struct strategy_ops *strategy_find(const char *name);
/* -1 with a reason when a table lacks a required hook or its option table
 * is malformed (a default that fails its own check, too many options). */
int strategy_ops_validate(const struct strategy_ops *ops, char *err, size_t len);

int strategy_init(struct strategy *s, const struct strategy_ops *ops,
		  struct backend *be);
/* The same with "key=value,..." options (--sopt), parsed against ops->options
 * before init: an unknown key, a malformed value or one out of range is one
 * line in s->error with s->bad_input set. A key given twice: the last wins. */
int strategy_init_with_options(struct strategy *s, const struct strategy_ops *ops,
			       struct backend *be, const char *options);
/* Parse options into opt[STRATEGY_MAX_OPTIONS] (the defaults first). The same checks and
 * errors as above; used by strategy_init_with_options and the tests. */
int strategy_options_parse(const struct strategy_ops *ops, const char *options,
			   struct strategy_option_value *opt, char *err, size_t len);
/* For hooks: an option's value (INT, BOOL; an ENUM's index), or its text
 * (every type). Naming an option the table lacks is a bug: 0 and "". */
long strategy_opt_int(const struct strategy *s, const char *name);
const char *strategy_opt_str(const struct strategy *s, const char *name);
int strategy_start(struct strategy *s);
/* Zero out, run the scan, convert pages to tiles. */
int strategy_scan(struct strategy *s, struct dirty_set *out);
/* The same with the guest stopped: ops->scan_quiet, or scan without one. */
int strategy_scan_quiet(struct strategy *s, struct dirty_set *out);
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
