/*
 * The oracle: the suite knows exactly what the guest changed (each frame's
 * damage rectangles), so every round's dirty set is checked against it.
 *
 * A frame F drawn between host times s_F and c_F (start, commit) is judged
 * by the rounds that could have seen its writes: from the first round whose
 * scan ended after s_F up to and including R_F, the first round whose scan
 * began after c_F (its window).
 *
 * Which round saw which write is not guessed from clocks. Before each scan
 * the host announces the round (its number + 1) in the control page and
 * fences; after drawing a rectangle the guest fences and stamps the
 * rectangle with the value it reads (include/protocol.h,
 * include/damage_ring.h). A stamp s proves that rounds s and later looked
 * after the write (the store-buffer pattern: both sides fence between their
 * store and their load; s = k + 1 means round k + 1 was not yet announced),
 * and says nothing about earlier rounds. So a tile of F is delivered by the
 * first round of the window numbered at least its last write's stamp that
 * reported it. A report from an earlier round may have read the tile
 * half drawn (a tracker that then loses the re-dirty passed the rule before
 * issue 23, which took any round of the window: frames_missed_window_rule
 * still counts what it would have failed).
 *
 * A tile no such round reported is a miss, unless the consumer's replica
 * (core/replica.h: every strategy's reported tiles copied as a display
 * server would) already equals VRAM right after R_F: a round that began
 * before the last write looked after it, or the change was undone; the
 * consumer lost nothing. It is then delivered by the last round of the
 * window that reported it (none: the frame changed nothing for good).
 * F's update latency is the end of the round that delivered its last tile,
 * minus c_F; never clamped, except that a round that began after every
 * write and ended before the commit stamp counts 0 (delivered_before_commit).
 *
 * That comparison is made when R_F has ended, and by then a later frame G
 * may already have drawn into the tile (rounds lag when scans are slow): the
 * replica no longer equals VRAM though F's content was delivered. So F is
 * held: each unsettled tile is settled by the frames that began before the
 * comparison. One of them drew into the tile: F's content there is
 * superseded, and the tile is G's to report (G declared it). None did: a
 * miss, as soon as a frame that began after the comparison is read, or at
 * the end of the run, where the replica is compared with VRAM once more.
 *
 * Frames around a pause for a replica check (oracle_pause_*) are judged as
 * any, but left out of latency (frames_paused); the deadlines skipped by the
 * frame after a pause are not counted as dropped (frames_after_pause). The
 * guest stands still only between frames, so no drawing time holds one.
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
 * drawn: 4096 cover a frame drawn in two seconds at that rate (pvrects with a
 * doorbell per event drew a 1920x1080 scrolling screen's first frame in over
 * half a second, and 1024 failed it: results/rects-20261202T1420Z/failed.txt).
 * A round keeps a tile bitmap, so a tiling too fine for that keeps fewer
 * (o->history: at most ORACLE_HISTORY_BYTES of them, at least 256 rounds). */
#define ORACLE_HISTORY 4096
#define ORACLE_HISTORY_MIN 256
#define ORACLE_HISTORY_BYTES (64u << 20)
#define ORACLE_PENDING 512
#define ORACLE_HELD 16          /* frames awaiting later frames (above); more: a miss */
#define ORACLE_PAUSES 16        /* the latest replica-check pauses, for the exclusions */
/* A frame with changes after this long without any is a first update after
 * idle (burst's figure): longer than any workload's own idle tick (idle's
 * cursor blinks every 0.5 s). */
#define ORACLE_IDLE_NS 1000000000ull
#define ORACLE_AFTER_IDLE_KEPT 256     /* each one's latency, in order; more are counted, not listed */

struct oracle_frame {
	uint64_t seq;
	uint64_t start, commit;         /* host TSC */
	uint64_t draw_cycles;
	uint64_t rect_first;
	uint32_t rect_count;
	uint32_t dropped_before;
	bool after_idle;                /* its changes came after ORACLE_IDLE_NS without any */
	uint64_t *tiles;
};

struct oracle_held {
	bool used;
	struct oracle_frame frame;      /* its tiles: a copy */
	uint64_t first, last;           /* its window */
	bool any;                       /* a round delivered some of its tiles ... */
	uint64_t delivered;             /* ... the last of them, this one */
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
	uint64_t tiles_excused;         /* not reported after the last write, but the replica equals VRAM */
	uint64_t tiles_superseded;      /* unreported, drawn again by a frame begun before the check */
	uint64_t frames_missed_window_rule; /* the rule before issue 23 would have failed them */
	uint64_t frames_paused;         /* measured frames left out of latency: a pause fell inside */
	uint64_t frames_undone;         /* measured frames whose every change was undone unseen */
	uint64_t delivered_before_commit; /* latency 0: see above */
	uint64_t delivered_by_round_begun_before_commit; /* its scan overlapped the frame's end */
	uint64_t frames_after_pause;    /* measured frames whose skipped deadlines are not counted */
	uint64_t rounds;
	uint64_t changed_bytes;         /* union of declared damage, measured rounds */
	uint64_t reported_bytes;        /* reported tiles' bytes, measured rounds */
	uint64_t reported_tiles;
	uint64_t damage_tiles;          /* tiles touched by damage, measured frames */
	uint64_t frames_measured;
	uint64_t draw_cycles;           /* guest cycles drawing, measured frames */
	uint64_t dropped;               /* deadlines the guest skipped, measured frames */
	struct hist latency_ns;         /* commit to report, measured frames */
	struct hist latency_from_start_ns; /* the same from the frame's start (see oracle.c) */
	struct hist tiles_per_round;    /* measured rounds */
	struct hist draw_ns;            /* guest drawing time per frame */
	struct hist after_idle_ns;      /* latency of the first update after idle, measured frames */
	uint32_t after_idle_us[ORACLE_AFTER_IDLE_KEPT];
	unsigned after_idle_kept;
};

struct oracle_pause {
	uint64_t from, to;              /* host TSC; to UINT64_MAX while it lasts */
};

struct oracle {
	const struct fb_geometry *geo;
	struct db_control *control;
	const struct db_rect *rect_ring;
	const uint8_t *vram;
	const uint8_t *shadow;          /* the consumer's replica, or NULL (no excuse) */
	uint32_t *tile_round;           /* scratch: per tile, the stamp of a frame's last write */
	struct oracle_pause pauses[ORACLE_PAUSES];
	unsigned npauses;
	uint64_t prev_commit;           /* the last frame accounted */
	uint64_t last_change_commit;    /* the last frame read that changed anything (host TSC) */
	bool quiet;                     /* the round being judged counts in no statistic */
	int64_t tsc_offset;             /* guest TSC - host TSC */
	uint64_t tsc_khz;
	struct oracle_round rounds[ORACLE_HISTORY];
	unsigned history;               /* rounds in use of rounds[] */
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
	/* Optional, per frame read (warm-up too): its drawing time, ns. */
	void (*on_frame)(void *arg, uint64_t draw_ns);
	void *on_frame_arg;
};

int oracle_init(struct oracle *o, const struct fb_geometry *geo, struct db_control *control,
		const struct db_rect *rect_ring, int64_t tsc_offset, uint64_t tsc_khz);
/* The consumer's replica of VRAM (core/replica.h), for the excuse above. */
void oracle_set_shadow(struct oracle *o, const uint8_t *vram, const uint8_t *shadow);
void oracle_fini(struct oracle *o);
/* Start counting latency and area (after warm-up). */
void oracle_measure(struct oracle *o, bool on);
/* One scan round finished: check every frame that became due.
 * Returns 0, or -1 when the oracle itself cannot go on (o->error). */
int oracle_round(struct oracle *o, uint64_t start, uint64_t end, const uint64_t *tiles);
/* The same for a round taken with the guest stopped: judged, not counted. */
int oracle_round_quiet(struct oracle *o, uint64_t start, uint64_t end, const uint64_t *tiles);
/* The guest stands still for a replica check from host TSC from to to. */
void oracle_pause_begin(struct oracle *o, uint64_t from);
void oracle_pause_end(struct oracle *o, uint64_t to);
/* The guest has stopped and the last round is in: settle held frames. */
void oracle_settle(struct oracle *o);
/* Frames read but not yet checked (committed after the last round, or held). */
unsigned oracle_pending(const struct oracle *o);

#endif
