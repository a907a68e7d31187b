/*
 * `pvbitmap-fine`: seed 000's closing remark, "we could move the indicator
 * outside of this page and get finer grained updates". Each bitmap is a whole
 * 4 KiB page (32768 tiles), the indicator and its controls sit in the control
 * page; the protocol is pvbitmap's (strategies/pvbitmap.c). Without --tile
 * the run is cut into 128x256 strips (preferred_tiles).
 */
#include <stdlib.h>

#include "strategies/pvbitmap.h"

static const struct pvbitmap_layout pvbitmap_fine_layout = {
	.name = "pvbitmap-fine",
	.state_gpa = DB_CONTROL_GPA + offsetof(struct db_control, pv_fine),
	.bitmap_gpa = { DB_PVFINE_BITMAP_GPA, DB_PVFINE_BITMAP_GPA + 4096 },
	.bitmap_bits = DB_PVFINE_BITS,
	.max_cols = 0,
	.shared_bytes = 2 * 4096 + sizeof(struct db_pv_state),
};

/* Nothing else may live in the two pages after the seed's. */
_Static_assert(DB_PVFINE_BITMAP_GPA == DB_PVBITMAP_GPA + 4096 &&
	       DB_PVFINE_BITMAP_GPA + 2 * 4096 <= DB_HEAP_GPA, "pvbitmap-fine pages overlap");

static int pvf_init(struct strategy *s)
{
	s->priv = calloc(1, sizeof(struct pvbitmap));
	return s->priv ? pvbitmap_setup(s, s->priv, &pvbitmap_fine_layout) : -1;
}

const struct strategy_ops strategy_pvbitmap_fine = {
	.name = "pvbitmap-fine",
	.description = "pvbitmap with two whole-page bitmaps (up to 32768 tiles, 128x256 strips by default)",
	.needs = BACKEND_PV_PAGE | BACKEND_GUEST_EVENTS,
	.options = pvbitmap_options,
	.init = pvf_init,
	.start = pvbitmap_hook_start,
	.scan = pvbitmap_hook_scan,
	.scan_quiet = pvbitmap_hook_scan_quiet,
	.fini = pvbitmap_hook_fini,
	.report = pvbitmap_hook_report,
	.preferred_tiles = { 128, 256 },
};
