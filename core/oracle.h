/*
 * The oracle: the suite knows exactly what the guest changed (each frame's
 * damage rectangles), so every round's dirty set is checked against it.
 *
 * A frame F drawn between host times s_F and c_F (start, commit) must have
 * all its tiles reported by the rounds that could have seen its writes: from
 * the first round whose scan ended after s_F up to and including R_F, the
 * first round whose scan began after c_F. A tile missing from that union is a
 * miss, unless the strategy compares content and its copy of that tile equals
 * VRAM right after R_F: the change was undone (e.g. a round captured a tile
 * half drawn, and the next frame returned it to exactly that state) and the
 * consumer lost nothing. F's update latency is the end of the last round of
 * that window that reported any of F's tiles, minus c_F (0 if it ended first).
 *
 * That comparison is made when R_F has ended, and by then a later frame G
 * may already have drawn into the tile (rounds lag when scans are slow): the
 * copy no longer equals VRAM though F changed nothing there. So F is held:
 * each unreported tile is settled by the frames that began before the
 * comparison. One of them drew into the tile: F's content there is
 * superseded, and the tile is G's to report (G declared it). None did: a
 * miss, as soon as a frame that began after the comparison is read, or at
 * the end of the run, where the copy is compared with VRAM once more.
 */
#ifndef DIRTYBENCH_ORACLE_H
#define DIRTYBENCH_ORACLE_H

#include <stdbool.h>
#include <stdint.h>

#include "core/fbgeom.h"
#include "core/histogram.h"
#include "include/protocol.h"

/* Rounds kept: a frame's window must lie within them. Doorbell rounds
 * (--wake) come up to --max-event-rate (2 kHz by default) while a frame is
 * drawn: 1024 covers a frame drawn in half a second at that rate (pvrects
 * with a doorbell per event draws a scrolling frame in ~100 ms here). */
#define ORACLE_HISTORY 1024
#define ORACLE_PENDING 512
#define ORACLE_HELD 16          /* frames awaiting later frames (above); more: a miss */

struct oracle_frame {
	uint64_t seq;
	uint64_t start, commit;         /* host TSC */
	uint64_t draw_cycles;
	uint64_t rect_first;
	uint32_t rect_count;
	uint32_t dropped_before;
	uint64_t *tiles;
};

struct oracle_held {
	bool used;
	struct oracle_frame frame;      /* its tiles: a copy */
	uint64_t first, last;           /* its window */
	uint64_t compared_at;           /* host TSC just after the copy was compared with VRAM */
	uint64_t *unsettled;            /* tiles neither reported nor equal in the copy */
};

struct oracle_round {
	uint64_t start, end;            /* host TSC of the scan */
	uint64_t *tiles;
};

struct oracle_stats {
	uint64_t frames_checked;
	uint64_t frames_missed;         /* frames with at least one missed tile */
	uint64_t tiles_missed;
	uint64_t tiles_excused;         /* unreported, but the strategy's copy equals VRAM */
	uint64_t tiles_superseded;      /* unreported, drawn again by a frame begun before the check */
	uint64_t rounds;
	uint64_t changed_bytes;         /* union of damage, measured rounds */
	uint64_t reported_bytes;        /* reported tiles' bytes, measured rounds */
	uint64_t reported_tiles;
	uint64_t damage_tiles;          /* tiles touched by damage, measured frames */
	uint64_t frames_measured;
	uint64_t draw_cycles;           /* guest cycles drawing, measured frames */
	uint64_t dropped;               /* deadlines the guest skipped, measured frames */
	struct hist latency_ns;         /* commit to report, measured frames */
	struct hist tiles_per_round;    /* measured rounds */
	struct hist draw_ns;            /* guest drawing time per frame */
};

struct oracle {
	const struct fb_geometry *geo;
	struct db_control *control;
	const struct db_rect *rect_ring;
	const uint8_t *vram;
	const uint8_t *shadow;          /* the strategy's copy of VRAM, or NULL */
	int64_t tsc_offset;             /* guest TSC - host TSC */
	uint64_t tsc_khz;
	struct oracle_round rounds[ORACLE_HISTORY];
	uint64_t nrounds;
	struct oracle_frame pending[ORACLE_PENDING];   /* a ring, oldest at pending_head */
	struct oracle_held held[ORACLE_HELD];
	unsigned pending_head, npending;
	uint64_t *covered, *pixels;
	bool measuring;
	struct oracle_stats stats;
	char first_miss[256];
	char error[256];
	/* Optional, per measured frame checked clean: its commit (host TSC) and
	 * the round its latency counts to (rounds are numbered from 0 in the
	 * order oracle_round saw them; UINT64_MAX when no round of its window
	 * reported its tiles: a content-comparing strategy's copy had them). */
	void (*on_delivered)(void *arg, uint64_t commit, uint64_t round);
	void *on_delivered_arg;
};

int oracle_init(struct oracle *o, const struct fb_geometry *geo, struct db_control *control,
		const struct db_rect *rect_ring, int64_t tsc_offset, uint64_t tsc_khz);
/* For content-comparing strategies: their copy of VRAM (see strategy.h). */
void oracle_set_shadow(struct oracle *o, const uint8_t *vram, const uint8_t *shadow);
void oracle_fini(struct oracle *o);
/* Start counting latency and area (after warm-up). */
void oracle_measure(struct oracle *o, bool on);
/* One scan round finished: check every frame that became due.
 * Returns 0, or -1 when the oracle itself cannot go on (o->error). */
int oracle_round(struct oracle *o, uint64_t start, uint64_t end, const uint64_t *tiles);
/* The guest has stopped and the last round is in: settle held frames. */
void oracle_settle(struct oracle *o);
/* Frames read but not yet checked (committed after the last round, or held). */
unsigned oracle_pending(const struct oracle *o);

#endif
