/*
 * KVM's binary statistics (KVM_GET_STATS_FD) for the VM and the vCPU:
 * page faults, exits, TLB flushes as KVM counts them, read from the scan
 * thread without stopping the guest, differenced over the measured window.
 */
#ifndef DIRTYBENCH_KVM_STATS_H
#define DIRTYBENCH_KVM_STATS_H

#include <jansson.h>
#include <stdint.h>

struct kvm_stat_desc {
	char name[64];
	uint32_t flags;
	uint32_t offset;        /* in u64 units from the data block */
};

struct kvm_stats {
	int fd;                 /* -1: unavailable, reason says why */
	uint32_t n;
	struct kvm_stat_desc *desc;
	uint64_t data_offset;
	size_t data_words;
	uint64_t *start, *end;  /* the data block at the window's two ends */
	char reason[128];
};

/* owner_fd: a VM or vCPU fd. Never fails: an unavailable source is recorded. */
void kvm_stats_open(struct kvm_stats *s, int owner_fd);
void kvm_stats_close(struct kvm_stats *s);
/* Read all values into start (begin = true) or end. */
void kvm_stats_mark(struct kvm_stats *s, int begin);
/* Delta of one cumulative counter by name, or -1 if absent/unavailable. */
int64_t kvm_stats_delta(const struct kvm_stats *s, const char *name);
/* {"available":true, "counters":{name:{"delta","per_frame","per_s"}}} or the reason. */
json_t *kvm_stats_json(const struct kvm_stats *s, double frames, double seconds);

#endif
