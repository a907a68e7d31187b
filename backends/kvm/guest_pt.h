/*
 * The guest's own page tables, read from the host: find the leaf entries that
 * map a registered virtual extent (the seed: "we only need to keep track of
 * one virtual address"), and count every leaf that maps a physical range, to
 * detect aliases that would make a dirty-bit scan unsound.
 */
#ifndef DIRTYBENCH_GUEST_PT_H
#define DIRTYBENCH_GUEST_PT_H

#include <stddef.h>
#include <stdint.h>

#include "core/backend.h"

#define PTE_PRESENT (1ull << 0)
#define PTE_WRITE   (1ull << 1)
#define PTE_ACCESSED (1ull << 5)
#define PTE_DIRTY   (1ull << 6)
#define PTE_HUGE    (1ull << 7)
#define PTE_ADDR_MASK 0x000FFFFFFFFFF000ull

struct guest_pt_extent {
	uint64_t root;                  /* CR3 */
	uint64_t gva;
	size_t pages;
	uint64_t **pte;                 /* host pointers to the L1 entries, one per page */
	uint64_t **upper;               /* the L4/L3/L2 entries on the way, per 512 pages ... */
	uint64_t *upper_value;          /* ... and their values when mapped */
	size_t nupper;
};

/* Walk from root to the L1 entries of [gva, gva + pages * 4 KiB). -1 with
 * err when an entry is missing, a huge page maps it, or memory is unreadable. */
int guest_pt_map_extent(struct backend *be, struct guest_pt_extent *x, uint64_t root,
			uint64_t gva, size_t pages, char *err, size_t errlen);
void guest_pt_free(struct guest_pt_extent *x);
/* True when an upper-level entry changed since the walk. */
int guest_pt_upper_changed(const struct guest_pt_extent *x);
/* Leaf mappings (4 KiB, 2 MiB, 1 GiB pages) anywhere under root that overlap
 * physical [pa, pa + len), counted in 4 KiB pages; -1 on unreadable tables. */
long guest_pt_count_mappings(struct backend *be, uint64_t root, uint64_t pa, uint64_t len);

#endif
