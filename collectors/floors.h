/* The floors' kernels (collectors/floors.c), for db-bench-scan too: the
 * fastest this CPU has (AVX2, else 64-bit words); the value only keeps the
 * loop from being optimised away. */
#ifndef DIRTYBENCH_FLOORS_H
#define DIRTYBENCH_FLOORS_H

#include <stddef.h>
#include <stdint.h>

/* One streaming read of n bytes. */
uint64_t floor_read(const uint8_t *a, size_t n);
/* a against b, n bytes each, no early exit. */
uint64_t floor_compare(const uint8_t *a, const uint8_t *b, size_t n);
const char *floor_method(void);

#endif
