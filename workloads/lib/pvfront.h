/*
 * The pvbitmap frontend library in the guest runtime (seed 000). The runtime
 * calls it at every mark, frame boundary and sleep; it does nothing unless
 * the host enabled a pv strategy in the control page.
 */
#ifndef DIRTYBENCH_GUEST_PVFRONT_H
#define DIRTYBENCH_GUEST_PVFRONT_H

#include <stdint.h>

#include "include/protocol.h"

void pvfront_init(const struct db_control *c);
/* Mark the tiles of a damage rectangle in the active bitmap (after a poll).
 * Returns 1 when the host must be notified (DB_UCALL_NOTIFY). */
int pvfront_mark(uint32_t x, uint32_t y, uint32_t w, uint32_t h);
/* Switch bitmaps if the timer expired or the host asked: 1 = notify. */
int pvfront_poll(void);
/* About to sleep until tsc: returns when to wake instead (the armed switch
 * deadline if earlier), and tells the host we sleep so that it kicks us when
 * it arms an earlier deadline. pvfront_sleep_end() once awake for good. */
uint64_t pvfront_sleep_begin(uint64_t tsc);
void pvfront_sleep_end(void);
/* The workload has finished: no more marks, the host may drain both bitmaps. */
void pvfront_close(void);

#endif
