/*
 * The consumer replica: a copy of the framebuffer kept as a display server
 * keeps its own, updated every round from the tiles the strategy reported
 * (copied from run_tile_source: VRAM, or a content strategy's copy). It is
 * the one fact that needs no model of any strategy: if the replica differs
 * from VRAM once the guest is stopped and one last round taken, an update
 * was lost. The check (replica_check):
 *   1. the back end stops the guest between two frames (backend_run's pause),
 *   2. one round with the strategy's scan_quiet (everything dirty now),
 *      judged by the oracle like any round, but kept out of the scan and
 *      area statistics,
 *   3. the replica updated from it, then compared with VRAM byte for byte:
 *      a difference fails the run naming the tiles, like a missed update,
 *   4. the guest resumed; the oracle leaves frames around the pause out of
 *      latency and drawing time (core/oracle.h).
 * Every --replica-check N rounds (the first at a random round of the first
 * N, so checks fall at every phase of the frame clock), and always after the
 * last round, with the guest stopped for good.
 *
 * The replica also measures what truly changed: each copy counts the pixels
 * whose value differs from what the replica held, so the bytes a consumer
 * really had to take in are never more than the bytes reported
 * (dirty.true_changed_bytes, the numerator of dirty.precision).
 */
#ifndef DIRTYBENCH_REPLICA_H
#define DIRTYBENCH_REPLICA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/fbgeom.h"
#include "core/histogram.h"

struct run_state;

struct replica {
	const struct fb_geometry *geo;
	uint8_t *buf;
	uint64_t *diff;                 /* tiles that differ at a check */
	uint64_t true_changed_bytes;    /* measured rounds: changed pixels' bytes copied in */
	uint64_t checks;                /* checks run (the final one included) */
	uint64_t checks_skipped;        /* the guest did not stop between frames in time */
	uint64_t tiles_mismatched;      /* over all checks */
	uint64_t next_check;            /* round (oracle numbering) of the next periodic check */
	uint64_t paused_cycles;         /* host TSC cycles the guest was stopped for checks */
	uint64_t paused_measured_cycles; /* ... of them in the measured window */
	struct hist check_ns;           /* pause to resume, per periodic check */
	unsigned rng;
	char first_mismatch[256];
};

/* The replica starts as the guest's framebuffer at arm time (a viewer's
 * first full update). -1: out of memory. */
int replica_init(struct replica *r, const struct fb_geometry *geo, const uint8_t *vram);
void replica_fini(struct replica *r);
/* Copy the round's tiles in; count what changed when count is set. */
void replica_update(struct replica *r, const uint64_t *tiles, const uint8_t *src, bool count);
/* Compare with VRAM: the number of differing tiles (named in first_mismatch). */
size_t replica_compare(struct replica *r, const uint8_t *vram, const char *when);

/* The run's hooks (core/run.c): after each round, a periodic check when due;
 * after the last round, the final one. EXIT_OK or a status (rs->error). */
int replica_after_round(struct run_state *rs);
int replica_final(struct run_state *rs);

#endif
