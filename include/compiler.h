/*
 * Compiler helpers that both sides of the guest/host ABI use: the freestanding
 * guest, the Xen domU server, and the host. Only what is used in more than one
 * place; no library headers, so the guest build can include it.
 */
#ifndef DIRTYBENCH_COMPILER_H
#define DIRTYBENCH_COMPILER_H

/* Keeps the compiler from moving memory accesses across this point. On x86
 * that is all a producer publishing to a consumer on another CPU needs: the
 * CPU itself keeps stores in program order. */
#define barrier() __asm__ __volatile__("" ::: "memory")

/* Elements of an array (not of a pointer: that would silently give 1 or 0). */
#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

#endif
