/*
 * `ptebits`: scan the dirty bits of the guest PTEs that map the framebuffer
 * (seed 003). The guest registered its framebuffer's virtual extent at start;
 * the page-table root is its CR3 then. See ptebits.h for the re-arm step.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/bitmap.h"
#include "strategies/ptebits.h"

static const char *const rearm_names[] = { "mapping", "tlb", "none", "mapping-whole", "mprotect" };

static const struct strategy_option_spec ptebits_options[] = {
	PTEBITS_OPTION_REARM,
	{ .name = NULL },
};

/* rearm's values after "auto" are enum ptebits_rearm's, in order. */
static int choose_rearm(struct strategy *s, struct ptebits *p)
{
	long want = strategy_opt_int(s, "rearm");
	bool tdp = s->be->paging && !strcmp(s->be->paging, "tdp");

	if (want == 0) {
		/* mapping-whole: the cheapest re-arm the oracle accepts on shadow paging,
		 * measured side by side with mapping and mprotect
		 * (results/scan-20261202T1420Z/ptebits-*: round p50 on video 428
		 * against 553 and 545 us, on scrolling 1630 against 2310 and 7176 us). */
		p->rearm = tdp ? REARM_TLB : REARM_MAPPING_WHOLE;
		p->rearm_reason = tdp ? "auto: TDP paging, the hardware sets D; flush the guest TLB"
				      : "auto: shadow paging, drop the hypervisor's mapping so KVM re-walks "
					"(all of VRAM at once when over half the pages were cleared)";
		return 0;
	}
	p->rearm = (enum ptebits_rearm)(want - 1);
	p->rearm_reason = "forced by --sopt rearm";
	if (p->rearm == REARM_MPROTECT && !s->be->ops->vram_reprotect) {
		snprintf(s->error, sizeof(s->error), "%s rearm=mprotect: the %s back end cannot re-protect VRAM",
			 s->ops->name, s->be->ops->name);
		s->bad_input = true;
		return -1;
	}
	return 0;
}

int ptebits_setup(struct strategy *s, struct ptebits *p)
{
	memset(p, 0, sizeof(*p));
	if (choose_rearm(s, p))
		return -1;
	s->memory_bytes = s->geo->pages * sizeof(uint64_t *);
	return 0;
}

/* Walk to the L1 entries, check nothing else maps VRAM, clear every D bit. */
int ptebits_arm(struct strategy *s, struct ptebits *p)
{
	const struct db_control *c = s->be->control;
	size_t pages = s->geo->pages;
	long maps;

	guest_pt_free(&p->extent);
	if (c->fb_len < s->geo->bytes) {
		snprintf(s->error, sizeof(s->error), "the guest registered %llu bytes of framebuffer, not %zu",
			 (unsigned long long)c->fb_len, s->geo->bytes);
		return -1;
	}
	if (guest_pt_map_extent(s->be, &p->extent, s->be->guest_cr3, c->fb_gva, pages,
				s->error, sizeof(s->error)))
		return -1;
	p->expected_pfn0 = s->be->vram_gpa;
	maps = guest_pt_count_mappings(s->be, s->be->guest_cr3, s->be->vram_gpa, pages * 4096ull);
	p->aliased = maps != (long)pages;
	for (size_t i = 0; i < pages; i++)
		__atomic_fetch_and(p->extent.pte[i], ~PTE_DIRTY, __ATOMIC_SEQ_CST);
	if (p->rearm == REARM_MAPPING || p->rearm == REARM_MAPPING_WHOLE)
		return backend_vram_invalidate(s->be, 0, pages);
	if (p->rearm == REARM_MPROTECT)
		return backend_vram_reprotect(s->be, 0, pages);
	return p->rearm == REARM_TLB ? backend_guest_tlb_flush(s->be) : 0;
}

/* In the scan loop, a run of pages just cleared (mapping, mprotect). */
static int rearm_run(struct strategy *s, struct ptebits *p, size_t first, size_t n)
{
	if (!n || (p->rearm != REARM_MAPPING && p->rearm != REARM_MPROTECT))
		return 0;
	p->invalidations++;
	if (p->rearm == REARM_MPROTECT)
		return backend_vram_reprotect(s->be, first, n);
	return backend_vram_invalidate(s->be, first, n);
}

/* mapping-whole, after the loop: one call over all of VRAM when most pages
 * were cleared (a call's fixed cost, the MMU-notifier round trip, paid
 * once), else a call a run as `mapping` does. */
static int rearm_after(struct strategy *s, struct ptebits *p, const uint64_t *cleared_pages, size_t cleared)
{
	size_t pages = p->extent.pages;

	if (p->rearm != REARM_MAPPING_WHOLE || !cleared)
		return 0;
	if (cleared * 2 > pages) {
		p->invalidations++;
		return backend_vram_invalidate(s->be, 0, pages);
	}
	for (size_t i = 0; i < pages;) {
		size_t first;

		while (i < pages && !bitmap_test(cleared_pages, i))
			i++;
		for (first = i; i < pages && bitmap_test(cleared_pages, i); i++)
			;
		if (i > first) {
			p->invalidations++;
			if (backend_vram_invalidate(s->be, first, i - first))
				return -1;
		}
	}
	return 0;
}

static int fall_back(struct strategy *s, struct ptebits *p, struct dirty_set *out, bool remap)
{
	out->full = true;
	p->full_scans++;
	if (!remap)
		return 0;
	p->remaps++;
	return ptebits_arm(s, p);
}

/* Locked test-and-clear of each D bit; the plain load first keeps clean
 * pages free of locked operations. Pages cleared are re-armed in runs. */
int ptebits_scan_once(struct strategy *s, struct ptebits *p, struct dirty_set *out)
{
	size_t run = 0, n = 0, pages = p->extent.pages, cleared = 0;

	if (guest_pt_upper_changed(&p->extent))
		return fall_back(s, p, out, true);
	if (p->aliased)
		return fall_back(s, p, out, false);
	for (size_t i = 0; i < pages; i++) {
		uint64_t *pte = p->extent.pte[i];
		uint64_t v = __atomic_load_n(pte, __ATOMIC_RELAXED);

		if ((v & PTE_ADDR_MASK) != p->expected_pfn0 + i * 4096)
			return fall_back(s, p, out, true);
		if ((v & PTE_DIRTY) && (__atomic_fetch_and(pte, ~PTE_DIRTY, __ATOMIC_SEQ_CST) & PTE_DIRTY)) {
			bitmap_set(out->pages, i);
			cleared++;
			run = n ? run : i;
			n++;
			continue;
		}
		if (rearm_run(s, p, run, n))
			return -1;
		n = 0;
	}
	if (rearm_run(s, p, run, n) || rearm_after(s, p, out->pages, cleared))
		return -1;
	out->has_pages = true;
	p->pages_cleared += cleared;
	/* No D bit set since the last flush: no TLB entry may write VRAM
	 * without a walk (an entry is writable only once D is set). */
	if (p->rearm == REARM_TLB && cleared) {
		p->invalidations++;
		return backend_guest_tlb_flush(s->be);
	}
	return 0;
}

void ptebits_teardown(struct ptebits *p)
{
	guest_pt_free(&p->extent);
}

void ptebits_report(const struct ptebits *p, json_t *obj)
{
	json_object_set_new(obj, "rearm", json_string(rearm_names[p->rearm]));
	json_object_set_new(obj, "rearm_reason", json_string(p->rearm_reason));
	json_object_set_new(obj, "aliased", json_boolean(p->aliased));
	json_object_set_new(obj, "full_scans", json_integer((json_int_t)p->full_scans));
	json_object_set_new(obj, "remaps", json_integer((json_int_t)p->remaps));
	json_object_set_new(obj, "pages_cleared", json_integer((json_int_t)p->pages_cleared));
	json_object_set_new(obj, "invalidations", json_integer((json_int_t)p->invalidations));
}

/* The ops table: the state is one struct ptebits. */
static int pb_init(struct strategy *s)
{
	s->priv = calloc(1, sizeof(struct ptebits));
	return s->priv ? ptebits_setup(s, s->priv) : -1;
}

static int pb_start(struct strategy *s)
{
	return ptebits_arm(s, s->priv);
}

static int pb_scan(struct strategy *s, struct dirty_set *out)
{
	return ptebits_scan_once(s, s->priv, out);
}

static void pb_fini(struct strategy *s)
{
	if (s->priv)
		ptebits_teardown(s->priv);
	free(s->priv);
	s->priv = NULL;
}

static void pb_report(struct strategy *s, json_t *obj)
{
	ptebits_report(s->priv, obj);
}

const struct strategy_ops strategy_ptebits = {
	.name = "ptebits",
	.description = "locked test-and-clear of the D bits of the guest PTEs mapping VRAM",
	.needs = BACKEND_GUEST_PAGETABLES,
	.options = ptebits_options,
	.init = pb_init,
	.start = pb_start,
	.scan = pb_scan,
	.fini = pb_fini,
	.report = pb_report,
};
