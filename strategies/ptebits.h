/*
 * The PTE dirty-bit scan (seed 003): shared by `ptebits` and `ptebits-hybrid`.
 * Each round: a locked test-and-clear of the D bit of every L1 entry that maps
 * VRAM, then make the next write set D again: on a shadow-paging host by
 * dropping the hypervisor's mapping of the pages just cleared (KVM's shadow
 * entries stay writable otherwise, and D is never set again), on a TDP host by
 * flushing the guest's TLB.
 *
 * The guest keeps running between the clear and the re-arm. A write in that
 * window goes through a mapping that already says dirty (a shadow entry made
 * writable, a TLB entry holding D), so it sets no bit and the next round
 * will not report it. Such a mapping exists only for a page whose D bit was
 * set, i.e. a page this round has just reported, and this round's scan ends
 * after the window: the oracle's window for the frame that wrote it (rounds
 * ending after the frame began) holds this round, so nothing is lost for a
 * consumer that reads VRAM once the round has ended.
 */
#ifndef DIRTYBENCH_STRATEGIES_PTEBITS_H
#define DIRTYBENCH_STRATEGIES_PTEBITS_H

#include "backends/kvm/guest_pt.h"
#include "core/strategy.h"

enum ptebits_rearm { REARM_MAPPING, REARM_TLB, REARM_NONE, REARM_MAPPING_WHOLE, REARM_MPROTECT };

/* --sopt rearm, for both ops tables: "auto", then enum ptebits_rearm's order. */
#define PTEBITS_OPTION_REARM { .name = "rearm", .type = STRATEGY_OPT_ENUM, .def = "auto", \
	.values = (const char *const[]){ "auto", "mapping", "tlb", "none", "mapping-whole", "mprotect", NULL }, \
	.help = "how the next write sets D again; auto: tlb on TDP paging, mapping-whole on shadow; " \
		"mapping: madvise(DONTNEED) a run of cleared pages at a time; mapping-whole: " \
		"one madvise over all of VRAM when over half the pages were cleared; mprotect: " \
		"write-protect and lift each run (host pages stay mapped)" }

struct ptebits {
	struct guest_pt_extent extent;
	enum ptebits_rearm rearm;
	const char *rearm_reason;
	uint64_t expected_pfn0;         /* GPA of VRAM page 0 */
	bool aliased;                   /* more than one leaf maps some VRAM page */
	uint64_t full_scans;            /* rounds that fell back to "everything" */
	uint64_t remaps;                /* times the mapping changed and was walked again */
	uint64_t pages_cleared;
	uint64_t invalidations;         /* madvise or mprotect-pair calls, or TLB flushes */
};

int ptebits_setup(struct strategy *s, struct ptebits *p);
int ptebits_arm(struct strategy *s, struct ptebits *p);
int ptebits_scan_once(struct strategy *s, struct ptebits *p, struct dirty_set *out);
void ptebits_teardown(struct ptebits *p);
void ptebits_report(const struct ptebits *p, json_t *obj);

#endif
