/*
 * `vmwgfx`: Linux's vmwgfx dirty tracking of a buffer object
 * (drivers/gpu/drm/vmwgfx/vmwgfx_page_dirty.c), with its two methods:
 *
 *  PAGETABLE  scan the page tables' hardware dirty bits (here: ptebits, the
 *             guest PTEs' D bits, the run's strategy)
 *  MKWRITE    write-protect the pages and record the first write to each in
 *             the fault handler (here: KVM's dirty log, --popt fault=)
 *
 * vmw_bo_dirty_scan_pagetable(): a scan that marked nothing counts a
 * trigger, one that marked anything resets the count; more than
 * VMW_DIRTY_NUM_CHANGE_TRIGGERS (2) in a row switch to MKWRITE.
 * vmw_bo_dirty_scan_mkwrite(): nothing written, nothing is decided (it
 * returns before counting); more than VMW_DIRTY_PERCENTAGE (10) % of the
 * pages written counts a trigger, less resets; more than 2 in a row switch
 * back to PAGETABLE. vmw_bo_dirty_add(): a buffer of fewer than
 * PAGE_SIZE / sizeof(pte_t) = 512 pages starts in PAGETABLE, a larger one
 * (any framebuffer from 1024x512 up) in MKWRITE.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/bitmap.h"
#include "core/policy.h"

#define VMW_DIRTY_NUM_CHANGE_TRIGGERS 2
#define VMW_DIRTY_PERCENTAGE 10
#define VMW_PAGETABLE_MAX_PAGES 512     /* PAGE_SIZE / sizeof(pte_t) */

enum { VMW_PAGETABLE, VMW_MKWRITE };

struct vmw_dirty {
	unsigned change_count;
	unsigned fault;         /* the MKWRITE mechanism's index */
	uint64_t to_mkwrite, to_pagetable;
};

static const char *const vmw_faults[] = { "logdirty", "logdirty-manual", NULL };

static const struct strategy_option_spec vmw_options[] = {
	{ .name = "fault", .type = STRATEGY_OPT_ENUM, .def = "logdirty", .values = vmw_faults,
	  .help = "the write-fault mechanism of the MKWRITE method" },
	{ .name = NULL },
};

static bool vmw_applies(const struct strategy_ops *sops, const struct strategy_option_value *popt,
			char *why, size_t len)
{
	(void)popt;
	if (!strcmp(sops->name, "ptebits"))
		return true;
	snprintf(why, len, "its PAGETABLE method scans page-table dirty bits: run it with strategy ptebits");
	return false;
}

static int vmw_init(struct policy *p)
{
	static const char *const modes[] = { "pagetable", "mkwrite" };
	struct vmw_dirty *v = p->priv;
	int i;

	policy_set_modes(p, modes, 2);
	if ((i = policy_add_mechanism(p, policy_opt_str(p, "fault"), NULL)) < 0)
		return -1;
	v->fault = (unsigned)i;
	if (p->geo->pages >= VMW_PAGETABLE_MAX_PAGES) {
		p->current = v->fault;
		policy_set_mode(p, VMW_MKWRITE);
	}
	return 0;
}

static size_t pages_marked(const struct policy *p, const struct dirty_set *out)
{
	return out->full ? p->geo->pages : out->has_pages ? bitmap_weight(out->pages, p->geo->pages) : 0;
}

static int vmw_tick(struct policy *p, struct dirty_set *out)
{
	struct vmw_dirty *v = p->priv;
	size_t marked;

	if (policy_scan(p, out))
		return -1;
	marked = pages_marked(p, out);
	if (p->mode == VMW_PAGETABLE) {
		v->change_count = marked == 0 ? v->change_count + 1 : 0;
		if (v->change_count > VMW_DIRTY_NUM_CHANGE_TRIGGERS) {
			v->change_count = 0;
			v->to_mkwrite++;
			policy_set_mode(p, VMW_MKWRITE);
			return policy_switch(p, v->fault, out);
		}
		return 0;
	}
	if (marked == 0)
		return 0;
	v->change_count = 100 * marked / p->geo->pages > VMW_DIRTY_PERCENTAGE ? v->change_count + 1 : 0;
	if (v->change_count > VMW_DIRTY_NUM_CHANGE_TRIGGERS) {
		v->change_count = 0;
		v->to_pagetable++;
		policy_set_mode(p, VMW_PAGETABLE);
		return policy_switch(p, 0, out);
	}
	return 0;
}

static void vmw_report(struct policy *p, json_t *obj)
{
	struct vmw_dirty *v = p->priv;

	json_object_set_new(obj, "to_mkwrite", json_integer((json_int_t)v->to_mkwrite));
	json_object_set_new(obj, "to_pagetable", json_integer((json_int_t)v->to_pagetable));
}

const struct policy_ops policy_vmwgfx = {
	.name = "vmwgfx",
	.priv_size = sizeof(struct vmw_dirty),
	.description = "vmwgfx's buffer dirty tracking: PTE dirty-bit scans, write faults after 3 empty scans, "
		       "scans again after 3 rounds with more than 10 % of the pages written",
	.needs = BACKEND_DIRTY_LOG | BACKEND_GUEST_PAGETABLES,
	.options = vmw_options,
	.applies = vmw_applies,
	.init = vmw_init,
	.tick = vmw_tick,
	.report = vmw_report,
};
