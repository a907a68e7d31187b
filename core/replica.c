/* The consumer replica and its stop-the-world check; see replica.h. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/bitmap.h"
#include "core/clock.h"
#include "core/replica.h"
#include "core/run_state.h"

int replica_init(struct replica *r, const struct fb_geometry *geo, const uint8_t *vram)
{
	memset(r, 0, sizeof(*r));
	r->geo = geo;
	hist_init(&r->check_ns);
	r->buf = malloc(geo->bytes);
	r->diff = calloc(BITMAP_WORDS(geo->ntiles), sizeof(uint64_t));
	if (!r->buf || !r->diff)
		return -1;
	memcpy(r->buf, vram, geo->bytes);
	r->rng = (unsigned)clock_tsc();
	return 0;
}

void replica_fini(struct replica *r)
{
	free(r->buf);
	free(r->diff);
	memset(r, 0, sizeof(*r));
}

void replica_update(struct replica *r, const uint64_t *tiles, const uint8_t *src, bool count)
{
	for (size_t w = 0; w < BITMAP_WORDS(r->geo->ntiles); w++)
		for (uint64_t bits = tiles[w]; bits; bits &= bits - 1) {
			size_t t = w * 64 + (size_t)__builtin_ctzll(bits);

			if (count)
				r->true_changed_bytes += fb_copy_tile_count(r->geo, t, r->buf, src);
			else
				fb_copy_tile(r->geo, t, r->buf, src);
		}
}

size_t replica_compare(struct replica *r, const uint8_t *vram, const char *when)
{
	const struct fb_geometry *g = r->geo;
	size_t n = 0, first = 0;
	char names[160] = "";
	int len = 0;

	bitmap_zero(r->diff, g->ntiles);
	for (size_t t = 0; t < g->ntiles; t++) {
		if (fb_tile_equal(g, t, r->buf, vram))
			continue;
		bitmap_set(r->diff, t);
		if (!n++)
			first = t;
		if (len >= 0 && (size_t)len < sizeof(names) - 16)
			len += snprintf(names + len, sizeof(names) - (size_t)len, "%s(%zu,%zu)", n > 1 ? " " : "",
					t % g->cols, t / g->cols);
	}
	r->tiles_mismatched += n;
	if (n && !r->first_mismatch[0])
		snprintf(r->first_mismatch, sizeof(r->first_mismatch),
			 "%s: %zu tile(s) of the consumer's replica differ from VRAM, first at tile (%zu,%zu): %s%s",
			 when, n, first % g->cols, first / g->cols, names, n > 8 ? " ..." : "");
	return n;
}

static int mismatch(struct run_state *rs, size_t n)
{
	if (!n || rs->opt->allow_misses)
		return EXIT_OK;
	return run_fail(rs, EXIT_RUN_FAILED, "REPLICA MISMATCH: %s lost an update: %s", rs->sops->name,
			rs->replica.first_mismatch);
}

/* The first check at a random round of the first N, then every N. */
static void schedule_next(struct replica *r, uint64_t now_round, uint32_t every, bool first)
{
	r->next_check = now_round + (first ? 1 + (uint64_t)rand_r(&r->rng) % every : every);
}

/* Stop the guest between two frames, one quiet round, compare, resume. */
static int check_now(struct run_state *rs)
{
	struct replica *r = &rs->replica;
	uint64_t t0 = clock_tsc(), t1;
	size_t n;
	int status, paused = 0;

	if ((status = rs->brun->pause(rs, &paused)))
		return status;
	if (!paused) {
		r->checks_skipped++;
		return EXIT_OK;
	}
	oracle_pause_begin(&rs->oracle, t0);
	status = run_scan_round(rs, RUN_ROUND_QUIET);
	n = status ? 0 : replica_compare(r, rs->be->vram, "check while the guest was stopped");
	if ((paused = rs->brun->resume(rs)) && !status)
		status = paused;
	t1 = clock_tsc();
	oracle_pause_end(&rs->oracle, t1);
	r->paused_cycles += t1 - t0;
	if (rs->oracle.measuring)
		r->paused_measured_cycles += t1 - t0;
	hist_add(&r->check_ns, (uint64_t)clock_cycles_to_ns(&rs->clock, (double)(t1 - t0)));
	r->checks++;
	return status ? status : mismatch(rs, n);
}

int replica_after_round(struct run_state *rs)
{
	uint32_t every = rs->opt->replica_check_rounds;
	struct replica *r = &rs->replica;

	if (!every)
		return EXIT_OK;
	if (!r->next_check) {
		schedule_next(r, rs->oracle.nrounds, every, true);
		return EXIT_OK;
	}
	if (rs->oracle.nrounds < r->next_check)
		return EXIT_OK;
	schedule_next(r, rs->oracle.nrounds, every, false);
	return check_now(rs);
}

/* The guest has stopped for good: the last round is the quiet one. */
int replica_final(struct run_state *rs)
{
	int status = run_scan_round(rs, RUN_ROUND_QUIET);

	if (status)
		return status;
	rs->replica.checks++;
	return mismatch(rs, replica_compare(&rs->replica, rs->be->vram, "final check"));
}
