/* 4-level x86-64 page-table walks over guest memory seen from the host. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backends/kvm/guest_pt.h"

static uint64_t *table(struct backend *be, uint64_t entry)
{
	return backend_guest_ptr(be, entry & PTE_ADDR_MASK, 4096);
}

static unsigned index_at(uint64_t gva, int level)
{
	return (unsigned)(gva >> (12 + 9 * (level - 1))) & 511;
}

/* The L1 table for gva, recording the upper entries on the way. */
static uint64_t *walk_to_l1(struct backend *be, struct guest_pt_extent *x, uint64_t gva,
			    char *err, size_t errlen)
{
	uint64_t entry = x->root;

	for (int level = 4; level > 1; level--) {
		uint64_t *t = table(be, entry);
		uint64_t *slot = t ? &t[index_at(gva, level)] : NULL;

		if (!slot || !(*slot & PTE_PRESENT) || (*slot & PTE_HUGE)) {
			snprintf(err, errlen, "guest address %#llx: level-%d entry %s", (unsigned long long)gva,
				 level, !slot ? "unreadable" : (*slot & PTE_HUGE) ? "is a huge page" : "not present");
			return NULL;
		}
		x->upper[x->nupper] = slot;
		x->upper_value[x->nupper++] = *slot;
		entry = *slot;
	}
	return table(be, entry);
}

int guest_pt_map_extent(struct backend *be, struct guest_pt_extent *x, uint64_t root,
			uint64_t gva, size_t pages, char *err, size_t errlen)
{
	size_t tables = (pages + 511) / 512 + 1;

	memset(x, 0, sizeof(*x));
	x->root = root;
	x->gva = gva;
	x->pages = pages;
	x->pte = calloc(pages, sizeof(*x->pte));
	x->upper = calloc(3 * tables, sizeof(*x->upper));
	x->upper_value = calloc(3 * tables, sizeof(*x->upper_value));
	if (!x->pte || !x->upper || !x->upper_value) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	uint64_t *l1 = NULL;

	for (size_t i = 0; i < pages; i++) {
		uint64_t va = gva + i * 4096;

		if (i == 0 || index_at(va, 1) == 0)
			l1 = walk_to_l1(be, x, va, err, errlen);
		if (!l1)
			return -1;
		x->pte[i] = &l1[index_at(va, 1)];
		if (!(*x->pte[i] & PTE_PRESENT)) {
			snprintf(err, errlen, "guest address %#llx is not mapped", (unsigned long long)va);
			return -1;
		}
	}
	return 0;
}

void guest_pt_free(struct guest_pt_extent *x)
{
	free(x->pte);
	free(x->upper);
	free(x->upper_value);
	memset(x, 0, sizeof(*x));
}

int guest_pt_upper_changed(const struct guest_pt_extent *x)
{
	for (size_t i = 0; i < x->nupper; i++)
		if (*x->upper[i] != x->upper_value[i])
			return 1;
	return 0;
}

static long count_level(struct backend *be, uint64_t entry, int level, uint64_t pa, uint64_t len)
{
	uint64_t *t = table(be, entry);
	uint64_t span = 1ull << (12 + 9 * (level - 1));
	long n = 0;

	if (!t)
		return -1;
	for (unsigned i = 0; i < 512; i++) {
		uint64_t e = t[i], base = e & PTE_ADDR_MASK & ~(span - 1);

		if (!(e & PTE_PRESENT))
			continue;
		if (level > 1 && !(e & PTE_HUGE)) {
			long sub = count_level(be, e, level - 1, pa, len);

			if (sub < 0)
				return -1;
			n += sub;
		} else if (base < pa + len && base + span > pa) {
			uint64_t lo = base > pa ? base : pa, hi = base + span < pa + len ? base + span : pa + len;

			n += (long)((hi - lo) / 4096);
		}
	}
	return n;
}

long guest_pt_count_mappings(struct backend *be, uint64_t root, uint64_t pa, uint64_t len)
{
	return count_level(be, root, 4, pa, len);
}
