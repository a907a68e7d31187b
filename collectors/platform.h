/*
 * What host a result was measured on: kernel, CPU, nesting, and how KVM
 * tracks guest memory (TDP or shadow paging, dirty-log capabilities).
 * Every result JSON carries it, because the same strategy costs orders of
 * magnitude more on a nested shadow-paging host than on bare-metal EPT.
 */
#ifndef DIRTYBENCH_PLATFORM_H
#define DIRTYBENCH_PLATFORM_H

#include <jansson.h>
#include <stddef.h>

/* kvm_fd: an open /dev/kvm, or -1 ("kvm": null plus a reason). Never NULL
 * except when out of memory. */
json_t *platform_detect(int kvm_fd);

/* "tdp", "shadow" or "unknown" (no KVM, or not a platform_detect object). */
const char *platform_paging_mode(const json_t *platform);

/* The source tree's revision ("0123456789ab", with "-dirty" when the tree
 * has changes), found from the running binary's build/<dir>/../..; writes
 * "unknown" and returns -1 when that is not a git tree (or buf is short). */
int platform_git_revision(char *buf, size_t len);

#endif
