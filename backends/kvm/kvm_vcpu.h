/*
 * The vCPU thread: runs KVM_RUN in a loop and turns exits into events for
 * the harness (guest ready, done, failed). It blocks (never spins) while the
 * guest sleeps, so the scan thread has the other core to itself.
 */
#ifndef DIRTYBENCH_KVM_VCPU_H
#define DIRTYBENCH_KVM_VCPU_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "core/clock.h"
#include "backends/kvm/kvm_vm.h"

enum vcpu_state { VCPU_BOOTING, VCPU_READY, VCPU_RUNNING, VCPU_DONE, VCPU_FAILED };

struct vcpu_calibration {
	int64_t offset;         /* guest TSC - host TSC */
	uint64_t uncertainty;   /* +- cycles */
	unsigned samples;
};

struct vcpu_thread {
	struct kvm_vm *vm;
	const struct clock_base *clock;
	int cpu;                        /* pin to this CPU, -1: do not pin */
	bool verbose;                   /* print guest PRINT messages */
	/* Called in the vCPU thread on KVM_EXIT_DIRTY_RING_FULL; 0 to resume. */
	int (*dirty_ring_full)(void *arg);
	void *dirty_ring_arg;

	pthread_t tid;
	_Atomic int os_tid;             /* the kernel's id of the vCPU thread, for perf */
	pthread_mutex_t lock;
	pthread_cond_t cond;
	enum vcpu_state state;
	bool go;
	int stop_fd;                    /* eventfd: wakes a sleeping guest to stop */
	struct vcpu_calibration cal;
	int64_t cal_lo, cal_hi;
	_Atomic uint64_t exits;
	_Atomic uint64_t io_exits;
	_Atomic uint64_t last_exit_tsc;
	_Atomic uint64_t ring_full_exits;
	bool flush_requested;           /* under lock: reload CR3 in the vCPU thread */
	bool pause_requested;           /* under lock: stand still at the next sleep */
	bool parked;                    /* under lock: standing still */
	bool hold_requested;            /* under lock: stay out of KVM_RUN until released */
	bool held;                      /* under lock: out of KVM_RUN, holding */
	uint64_t tlb_flushes;
	uint64_t guest_frames, guest_dropped;
	uint64_t probe_ring3_cycles;
	char error[1536];
};

int vcpu_thread_start(struct vcpu_thread *t);
/* Wait until the guest registered its framebuffer: 0, or -1 (t->error). */
int vcpu_thread_wait_ready(struct vcpu_thread *t, int timeout_ms);
void vcpu_thread_go(struct vcpu_thread *t);
bool vcpu_thread_failed(struct vcpu_thread *t);
/* Ask the guest to finish its frame and stop; join. 0, or -1 (t->error). */
int vcpu_thread_stop(struct vcpu_thread *t, int timeout_ms);
/* Kill a stuck guest: records why, with the registers, and joins. */
void vcpu_thread_abort(struct vcpu_thread *t, const char *why);
void vcpu_thread_destroy(struct vcpu_thread *t);
/* Stop the guest at its next sleep (between two frames) and keep it there:
 * 1 when it is, 0 when it did not get there in timeout_ms (request
 * withdrawn), -1 if the vCPU failed. */
int vcpu_thread_pause(struct vcpu_thread *t, int timeout_ms);
void vcpu_thread_resume(struct vcpu_thread *t);
/* Kick the vCPU out of the guest, make it re-walk its page tables, and wait
 * until it has (arg: the struct vcpu_thread). 0, or -1 if the vCPU is gone. */
int vcpu_thread_request_tlb_flush(void *arg);
/* on: kick the vCPU out of the guest and keep it out until called with off
 * (arg: the struct vcpu_thread); returns once it is out. 0, or -1 if the
 * vCPU failed. A guest that is not running (before go, done) is out already. */
int vcpu_thread_hold(void *arg, bool on);

#endif
