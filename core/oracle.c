/* The oracle's bookkeeping: frame records in, misses, latency and area out. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/bitmap.h"
#include "core/clock.h"
#include "core/oracle.h"

int oracle_init(struct oracle *o, const struct fb_geometry *geo, struct db_control *control,
		const struct db_rect *rect_ring, int64_t tsc_offset, uint64_t tsc_khz)
{
	size_t words = BITMAP_WORDS(geo->ntiles);

	memset(o, 0, sizeof(*o));
	o->geo = geo;
	o->control = control;
	o->rect_ring = rect_ring;
	o->tsc_offset = tsc_offset;
	o->tsc_khz = tsc_khz;
	hist_init(&o->stats.latency_ns);
	hist_init(&o->stats.tiles_per_round);
	hist_init(&o->stats.draw_ns);
	hist_init(&o->stats.after_idle_ns);
	hist_init(&o->stats.latency_from_start_ns);
	o->covered = calloc(words, sizeof(uint64_t));
	o->pixels = calloc(BITMAP_WORDS((size_t)geo->width * geo->height), sizeof(uint64_t));
	o->tile_round = calloc(geo->ntiles, sizeof(uint32_t));
	if (!o->covered || !o->pixels || !o->tile_round)
		return -1;
	o->history = ORACLE_HISTORY_BYTES / (words * sizeof(uint64_t));
	o->history = o->history > ORACLE_HISTORY ? ORACLE_HISTORY :
		     o->history < ORACLE_HISTORY_MIN ? ORACLE_HISTORY_MIN : o->history;
	for (unsigned i = 0; i < o->history; i++)
		if (!(o->rounds[i].tiles = calloc(words, sizeof(uint64_t))))
			return -1;
	for (unsigned i = 0; i < ORACLE_PENDING; i++)
		if (!(o->pending[i].tiles = calloc(words, sizeof(uint64_t))))
			return -1;
	for (unsigned i = 0; i < ORACLE_HELD; i++)
		if (!(o->held[i].frame.tiles = calloc(words, sizeof(uint64_t))) ||
		    !(o->held[i].unsettled = calloc(words, sizeof(uint64_t))))
			return -1;
	return 0;
}

void oracle_fini(struct oracle *o)
{
	for (unsigned i = 0; i < ORACLE_HISTORY; i++)
		free(o->rounds[i].tiles);
	for (unsigned i = 0; i < ORACLE_PENDING; i++)
		free(o->pending[i].tiles);
	for (unsigned i = 0; i < ORACLE_HELD; i++) {
		free(o->held[i].frame.tiles);
		free(o->held[i].unsettled);
	}
	free(o->covered);
	free(o->pixels);
	free(o->tile_round);
	memset(o, 0, sizeof(*o));
}

void oracle_set_shadow(struct oracle *o, const uint8_t *vram, const uint8_t *shadow)
{
	o->vram = vram;
	o->shadow = shadow;
}

static bool tile_matches_shadow(const struct oracle *o, size_t tile)
{
	const struct fb_geometry *g = o->geo;
	uint32_t col = (uint32_t)(tile % g->cols), row = (uint32_t)(tile / g->cols);
	uint32_t y1 = (row + 1) * g->tile_h < g->height ? (row + 1) * g->tile_h : g->height;
	size_t x0 = (size_t)col * g->tile_w * FB_BYTES_PER_PIXEL;
	size_t w = fb_tile_bytes(g, tile) / (y1 - row * g->tile_h);

	for (uint32_t y = row * g->tile_h; y < y1; y++)
		if (memcmp(o->vram + (size_t)y * g->stride + x0, o->shadow + (size_t)y * g->stride + x0, w))
			return false;
	return true;
}

void oracle_measure(struct oracle *o, bool on)
{
	o->measuring = on;
}

unsigned oracle_pending(const struct oracle *o)
{
	unsigned n = o->npending;

	for (unsigned i = 0; i < ORACLE_HELD; i++)
		n += o->held[i].used;
	return n;
}

static double cycles_to_ns(const struct oracle *o, uint64_t cycles)
{
	return (double)cycles * 1e6 / (double)o->tsc_khz;
}

static int rect_tiles(struct oracle *o, const struct db_rect *r, uint64_t *tiles)
{
	const struct fb_geometry *g = o->geo;

	if (!r->w || !r->h || (uint32_t)r->x + r->w > g->width || (uint32_t)r->y + r->h > g->height) {
		snprintf(o->error, sizeof(o->error), "guest declared damage %ux%u+%u+%u outside the %ux%u screen",
			 r->w, r->h, r->x, r->y, g->width, g->height);
		return -1;
	}
	uint32_t c0 = r->x / g->tile_w, c1 = (r->x + r->w - 1u) / g->tile_w;

	for (uint32_t row = r->y / g->tile_h; row <= (r->y + r->h - 1u) / g->tile_h; row++)
		bitmap_set_range(tiles, (size_t)row * g->cols + c0, c1 - c0 + 1);
	return 0;
}

static bool settle_with(struct oracle *o, struct oracle_held *h, const struct oracle_frame *g);

/* Copy newly published frame records out of the guest's ring. */
static int read_frames(struct oracle *o)
{
	struct db_control *c = o->control;
	uint64_t head = __atomic_load_n(&c->frames_published, __ATOMIC_ACQUIRE);

	for (uint64_t seq = c->frames_consumed; seq < head; seq++) {
		const struct db_frame *f = &c->frames[seq % DB_FRAME_RING_LEN];
		struct oracle_frame *p;

		if (o->npending == ORACLE_PENDING) {
			snprintf(o->error, sizeof(o->error), "more than %u frames committed between two rounds",
				 ORACLE_PENDING);
			return -1;
		}
		p = &o->pending[(o->pending_head + o->npending++) % ORACLE_PENDING];
		*p = (struct oracle_frame){ .seq = f->seq, .tiles = p->tiles,
			.start = f->tsc_start - (uint64_t)o->tsc_offset,
			.commit = f->tsc_commit - (uint64_t)o->tsc_offset,
			.draw_cycles = f->draw_cycles, .rect_first = f->rect_first,
			.rect_count = f->rect_count, .dropped_before = f->dropped_before };
		bitmap_zero(p->tiles, o->geo->ntiles);
		for (uint32_t i = 0; i < p->rect_count; i++)
			if (rect_tiles(o, &o->rect_ring[(p->rect_first + i) % DB_RECT_RING_LEN], p->tiles))
				return -1;
		if (p->rect_count && bitmap_weight(p->tiles, o->geo->ntiles)) {
			p->after_idle = o->last_change_commit &&
					cycles_to_ns(o, p->commit - o->last_change_commit) >= (double)ORACLE_IDLE_NS;
			o->last_change_commit = p->commit;
		}
		for (unsigned i = 0; i < ORACLE_HELD; i++)
			if (o->held[i].used)
				settle_with(o, &o->held[i], p);
		c->frames_consumed = seq + 1;
	}
	return 0;
}

static const struct oracle_round *round_at(const struct oracle *o, uint64_t n)
{
	return &o->rounds[n % o->history];
}

static void record_miss(struct oracle *o, const struct oracle_frame *f)
{

	size_t missing = bitmap_count_missing(f->tiles, o->covered, o->geo->ntiles);

	o->stats.frames_missed++;
	o->stats.tiles_missed += missing;
	if (o->first_miss[0])
		return;
	for (size_t t = 0; t < o->geo->ntiles; t++)
		if (bitmap_test(f->tiles, t) && !bitmap_test(o->covered, t)) {
			snprintf(o->first_miss, sizeof(o->first_miss),
				 "frame %" PRIu64 ": %zu tile(s) changed but never reported, first at tile (%zu,%zu)",
				 f->seq, missing, t % o->geo->cols, t / o->geo->cols);
			return;
		}
}

/* Did a pause for a replica check fall inside [from, to]? */
static bool overlaps_pause(const struct oracle *o, uint64_t from, uint64_t to)
{
	for (unsigned i = 0; i < ORACLE_PAUSES && i < o->npauses; i++)
		if (o->pauses[i].from <= to && o->pauses[i].to >= from)
			return true;
	return false;
}

/* Latency: the end of the round that delivered f's last tile (see oracle.h),
 * minus the commit. Frames around a pause (a replica check) are left out:
 * their latency would be the pause's. */
static void record_latency(struct oracle *o, const struct oracle_frame *f, bool any, uint64_t delivered)
{
	uint64_t end;

	/* A frame that changed nothing has nothing to deliver: no latency. */
	if (!o->measuring || bitmap_weight(f->tiles, o->geo->ntiles) == 0)
		return;
	end = any ? round_at(o, delivered)->end : f->commit;
	if (overlaps_pause(o, f->start, end)) {
		o->stats.frames_paused++;
		return;
	}
	if (any && round_at(o, delivered)->start < f->commit)
		o->stats.delivered_by_round_begun_before_commit++;
	/* From the start: a frame starts at its deadline, whatever the rounds
	 * did, so this is at least half a scan period plus a scan on average.
	 * From the commit it need not be: a write tracker's guest draws slowly
	 * right after a round (every page faults again) and fast when no round
	 * came since its last frame, so its commits lean towards the next
	 * round (issue 23: logdirty at 24 Hz on video, 15 ms against 19). */
	if (any)
		hist_add(&o->stats.latency_from_start_ns, (uint64_t)cycles_to_ns(o, (end > f->start ? end : f->start) - f->start));
	if (!any) {             /* every change was undone before a round saw it */
		o->stats.frames_undone++;
	} else if (end > f->commit) {
		hist_add(&o->stats.latency_ns, (uint64_t)cycles_to_ns(o, end - f->commit));
		if (f->after_idle) {
			uint64_t ns = (uint64_t)cycles_to_ns(o, end - f->commit);

			hist_add(&o->stats.after_idle_ns, ns);
			if (o->stats.after_idle_kept < ORACLE_AFTER_IDLE_KEPT)
				o->stats.after_idle_us[o->stats.after_idle_kept++] = (uint32_t)(ns / 1000);
		}
	} else {
		/* The delivering round began after every write of f (the rule) and
		 * ended in the instant between its last write and its commit stamp. */
		o->stats.delivered_before_commit++;
		hist_add(&o->stats.latency_ns, 0);
		if (f->after_idle) {
			hist_add(&o->stats.after_idle_ns, 0);
			if (o->stats.after_idle_kept < ORACLE_AFTER_IDLE_KEPT)
				o->stats.after_idle_us[o->stats.after_idle_kept++] = 0;
		}
	}
	if (o->on_delivered)
		o->on_delivered(o->on_delivered_arg, f->commit, any ? delivered : UINT64_MAX);
}

/* A held frame's verdict: a miss if tiles are still unsettled, else its latency. */
static void finalize(struct oracle *o, struct oracle_held *h)
{
	size_t words = BITMAP_WORDS(o->geo->ntiles);

	for (size_t w = 0; w < words; w++)
		o->covered[w] = h->frame.tiles[w] & ~h->unsettled[w];
	if (bitmap_weight(h->unsettled, o->geo->ntiles))
		record_miss(o, &h->frame);
	else if (o->nrounds - h->first <= o->history)
		record_latency(o, &h->frame, h->any, h->delivered);
	h->used = false;
}

/* Frame g was read after held frame h: settle what it can. True when h is done. */
static bool settle_with(struct oracle *o, struct oracle_held *h, const struct oracle_frame *g)
{
	size_t words = BITMAP_WORDS(o->geo->ntiles);
	bool left = false;

	if (g->seq <= h->frame.seq)
		return false;
	if (g->start >= h->compared_at) {       /* frames draw one at a time: no later one can help */
		finalize(o, h);
		return true;
	}
	for (size_t w = 0; w < words; w++) {
		uint64_t gone = h->unsettled[w] & g->tiles[w];

		o->stats.tiles_superseded += (uint64_t)__builtin_popcountll(gone);
		h->unsettled[w] &= ~gone;
		left |= h->unsettled[w] != 0;
	}
	if (!left)
		finalize(o, h);
	return !left;
}

/* Hold f (see oracle.h) and settle it with the frames already read after
 * it. False when every hold is taken: then it is judged now. */
static bool hold_frame(struct oracle *o, const struct oracle_frame *f, uint64_t first, uint64_t last,
		       bool any, uint64_t delivered, uint64_t compared_at)
{
	size_t words = BITMAP_WORDS(o->geo->ntiles);
	struct oracle_held *h = NULL;

	for (unsigned i = 0; i < ORACLE_HELD && !h; i++)
		if (!o->held[i].used)
			h = &o->held[i];
	if (!h)
		return false;
	h->used = true;
	h->frame = (struct oracle_frame){ .seq = f->seq, .start = f->start, .commit = f->commit,
		.draw_cycles = f->draw_cycles, .after_idle = f->after_idle, .tiles = h->frame.tiles };
	memcpy(h->frame.tiles, f->tiles, words * sizeof(uint64_t));
	for (size_t w = 0; w < words; w++)
		h->unsettled[w] = f->tiles[w] & ~o->covered[w];
	h->first = first;
	h->last = last;
	h->any = any;
	h->delivered = delivered;
	h->compared_at = compared_at;
	for (unsigned i = 1; i < o->npending; i++)       /* 0 is f itself */
		if (settle_with(o, h, &o->pending[(o->pending_head + i) % ORACLE_PENDING]))
			break;
	return true;
}

/* The round each of f's tiles was last written under: the largest round
 * number the guest stamped on a rect of f that covers it (protocol.h). */
static void frame_write_rounds(struct oracle *o, const struct oracle_frame *f)
{
	const struct fb_geometry *g = o->geo;

	for (size_t w = 0; w < BITMAP_WORDS(g->ntiles); w++)
		for (uint64_t bits = f->tiles[w]; bits; bits &= bits - 1)
			o->tile_round[w * 64 + (size_t)__builtin_ctzll(bits)] = 0;
	for (uint32_t i = 0; i < f->rect_count; i++) {
		const struct db_rect *r = &o->rect_ring[(f->rect_first + i) % DB_RECT_RING_LEN];
		uint32_t c0 = r->x / g->tile_w, c1 = (r->x + r->w - 1u) / g->tile_w;

		for (uint32_t row = r->y / g->tile_h; row <= (r->y + r->h - 1u) / g->tile_h; row++)
			for (uint32_t c = c0; c <= c1; c++) {
				uint32_t *t = &o->tile_round[(size_t)row * g->cols + c];

				if ((int32_t)(r->round - *t) > 0)
					*t = r->round;
			}
	}
}

/* Did round n see a write stamped s? round_seq is the announced round's
 * number + 1 (protocol.h): a stamp s means round s was not announced yet
 * when the write was visible, so rounds s and later saw it; round s - 1 may
 * have looked before. */
static bool round_saw(uint64_t n, uint32_t stamp)
{
	return (int32_t)((uint32_t)n - stamp) >= 0;
}

/* The rule before issue 23, counted beside the exact one: any round of the
 * window reporting the tile was enough (no content excuse applied). */
static void count_window_rule(struct oracle *o, const struct oracle_frame *f, uint64_t first, uint64_t last)
{
	bitmap_zero(o->covered, o->geo->ntiles);
	for (uint64_t n = first; n <= last; n++)
		bitmap_or(o->covered, round_at(o, n)->tiles, o->geo->ntiles);
	if (!bitmap_subset(f->tiles, o->covered, o->geo->ntiles))
		o->stats.frames_missed_window_rule++;
}

/* Tiles no round after their last write reported: delivered all the same
 * if the consumer's replica holds them now (a round that began before the
 * write looked after it, or the change was undone), by the last round of
 * the window that reported them, if any. */
static void excuse_by_replica(struct oracle *o, const struct oracle_frame *f, uint64_t first, uint64_t last,
			      bool *any, uint64_t *delivered)
{
	if (!o->shadow)
		return;
	for (size_t w = 0; w < BITMAP_WORDS(o->geo->ntiles); w++)
		for (uint64_t bits = f->tiles[w] & ~o->covered[w]; bits; bits &= bits - 1) {
			size_t t = w * 64 + (size_t)__builtin_ctzll(bits);

			if (!tile_matches_shadow(o, t))
				continue;
			bitmap_set(o->covered, t);
			o->stats.tiles_excused++;
			for (uint64_t n = last + 1; n-- > first;)
				if (bitmap_test(round_at(o, n)->tiles, t)) {
					if (!*any || n > *delivered)
						*delivered = n;
					*any = true;
					break;
				}
		}
}

/* Check frame f against rounds first..last (see oracle.h): each tile must
 * be reported by a round that saw its last write (round_saw); record
 * latency or a miss, or hold it. */
static void check_frame(struct oracle *o, const struct oracle_frame *f, uint64_t first, uint64_t last)
{
	bool any = false;
	uint64_t delivered = 0;

	o->stats.frames_checked++;
	count_window_rule(o, f, first, last);
	frame_write_rounds(o, f);
	bitmap_zero(o->covered, o->geo->ntiles);
	for (uint64_t n = first; n <= last; n++) {
		const uint64_t *reported = round_at(o, n)->tiles;

		for (size_t w = 0; w < BITMAP_WORDS(o->geo->ntiles); w++)
			for (uint64_t bits = f->tiles[w] & reported[w] & ~o->covered[w]; bits; bits &= bits - 1) {
				size_t t = w * 64 + (size_t)__builtin_ctzll(bits);

				if (!round_saw(n, o->tile_round[t]))
					continue;
				bitmap_set(o->covered, t);
				any = true;
				delivered = n;
			}
	}
	if (!bitmap_subset(f->tiles, o->covered, o->geo->ntiles))
		excuse_by_replica(o, f, first, last, &any, &delivered);
	if (!bitmap_subset(f->tiles, o->covered, o->geo->ntiles)) {
		if (!o->shadow || !hold_frame(o, f, first, last, any, delivered, clock_tsc()))
			record_miss(o, f);
		return;
	}
	record_latency(o, f, any, delivered);
}

void oracle_settle(struct oracle *o)
{
	for (unsigned i = 0; i < ORACLE_HELD; i++) {
		struct oracle_held *h = &o->held[i];
		size_t words = BITMAP_WORDS(o->geo->ntiles);

		if (!h->used)
			continue;
		for (size_t w = 0; w < words; w++)
			for (uint64_t bits = h->unsettled[w]; bits; bits &= bits - 1) {
				size_t t = w * 64 + (size_t)__builtin_ctzll(bits);

				if (tile_matches_shadow(o, t)) {
					h->unsettled[w] &= ~(1ull << (t % 64));
					o->stats.tiles_excused++;
				}
			}
		finalize(o, h);
	}
}

static void account_frame(struct oracle *o, const struct oracle_frame *f)
{
	uint64_t since = o->prev_commit;

	o->prev_commit = f->commit;
	if (o->on_frame)
		o->on_frame(o->on_frame_arg, (uint64_t)cycles_to_ns(o, f->draw_cycles));
	if (!o->measuring)
		return;
	o->stats.frames_measured++;
	o->stats.damage_tiles += bitmap_weight(f->tiles, o->geo->ntiles);
	o->stats.draw_cycles += f->draw_cycles;
	hist_add(&o->stats.draw_ns, (uint64_t)cycles_to_ns(o, f->draw_cycles));
	/* The guest stands still only between frames (asleep), so no drawing
	 * holds a pause; but the deadlines it skipped after one are the
	 * pause's, not the strategy's. */
	if (overlaps_pause(o, since, f->commit))
		o->stats.frames_after_pause++;
	else
		o->stats.dropped += f->dropped_before;
	for (uint32_t i = 0; i < f->rect_count; i++) {
		const struct db_rect *r = &o->rect_ring[(f->rect_first + i) % DB_RECT_RING_LEN];

		for (uint32_t y = r->y; y < (uint32_t)r->y + r->h; y++)
			bitmap_set_range(o->pixels, (size_t)y * o->geo->width + r->x, r->w);
	}
}

/* The rounds that could have seen frame f's writes, or -1 if older than the history. */
static int frame_window(const struct oracle *o, const struct oracle_frame *f,
			uint64_t *first, uint64_t *last)
{
	uint64_t latest = o->nrounds - 1;
	uint64_t oldest = o->nrounds > o->history ? o->nrounds - o->history : 0;

	*first = oldest;
	while (*first < latest && round_at(o, *first)->end < f->start)
		(*first)++;
	if (*first == oldest && oldest > 0)
		return -1;
	*last = *first;
	while (*last < latest && round_at(o, *last)->start <= f->commit)
		(*last)++;
	return 0;
}

/* Frames due: committed before the latest round began. */
static int retire_due_frames(struct oracle *o)
{
	const struct oracle_round *latest = round_at(o, o->nrounds - 1);
	size_t npix = (size_t)o->geo->width * o->geo->height;
	bool any = false;

	while (o->npending) {
		const struct oracle_frame *f = &o->pending[o->pending_head];
		uint64_t first, last;

		if (f->commit >= latest->start)
			break;
		if (frame_window(o, f, &first, &last)) {
			snprintf(o->error, sizeof(o->error), "frame %" PRIu64 " is older than the oracle's history", f->seq);
			return -1;
		}
		if (!any && o->measuring)
			bitmap_zero(o->pixels, npix);
		any = true;
		check_frame(o, f, first, last);
		account_frame(o, f);
		o->control->rects_consumed = f->rect_first + f->rect_count;
		o->pending_head = (o->pending_head + 1) % ORACLE_PENDING;
		o->npending--;
	}
	if (any && o->measuring)
		o->stats.changed_bytes += bitmap_weight(o->pixels, npix) * FB_BYTES_PER_PIXEL;
	return 0;
}

int oracle_round(struct oracle *o, uint64_t start, uint64_t end, const uint64_t *tiles)
{
	struct oracle_round *r = &o->rounds[o->nrounds % o->history];
	size_t reported = bitmap_weight(tiles, o->geo->ntiles);

	r->start = start;
	r->end = end;
	memcpy(r->tiles, tiles, BITMAP_WORDS(o->geo->ntiles) * sizeof(uint64_t));
	o->nrounds++;
	o->stats.rounds += !o->quiet;
	if (o->measuring && !o->quiet) {
		o->stats.reported_tiles += reported;
		hist_add(&o->stats.tiles_per_round, reported);
		for (size_t t = 0; t < o->geo->ntiles; t++)
			if (bitmap_test(tiles, t))
				o->stats.reported_bytes += fb_tile_bytes(o->geo, t);
	}
	if (read_frames(o))
		return -1;
	return retire_due_frames(o);
}

int oracle_round_quiet(struct oracle *o, uint64_t start, uint64_t end, const uint64_t *tiles)
{
	int ret;

	o->quiet = true;
	ret = oracle_round(o, start, end, tiles);
	o->quiet = false;
	return ret;
}

void oracle_pause_begin(struct oracle *o, uint64_t from)
{
	o->pauses[o->npauses++ % ORACLE_PAUSES] = (struct oracle_pause){ from, UINT64_MAX };
	if (o->npauses >= 2 * ORACLE_PAUSES)
		o->npauses -= ORACLE_PAUSES;
}

void oracle_pause_end(struct oracle *o, uint64_t to)
{
	if (o->npauses)
		o->pauses[(o->npauses - 1) % ORACLE_PAUSES].to = to;
}
