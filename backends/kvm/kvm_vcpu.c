/*
 * The vCPU run loop: one switch on the exit reason. Guest requests arrive as
 * 32-bit port writes carrying the address of a struct db_ucall.
 */
#include <errno.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "backends/kvm/kvm_vcpu.h"
#include "core/cpu.h"

enum step { STEP_CONTINUE, STEP_DONE, STEP_FAILED };

static void set_state(struct vcpu_thread *t, enum vcpu_state state)
{
	pthread_mutex_lock(&t->lock);
	if (t->state != VCPU_FAILED)
		t->state = state;
	pthread_cond_broadcast(&t->cond);
	pthread_mutex_unlock(&t->lock);
}

static enum step failed(struct vcpu_thread *t, const char *fmt, ...)
{
	char regs[512];
	size_t n;
	va_list ap;

	va_start(ap, fmt);
	n = (size_t)vsnprintf(t->error, sizeof(t->error), fmt, ap);
	va_end(ap);
	kvm_vm_dump_regs(t->vm, regs, sizeof(regs));
	if (n < sizeof(t->error))
		snprintf(t->error + n, sizeof(t->error) - n, " [%s]", regs);
	set_state(t, VCPU_FAILED);
	return STEP_FAILED;
}

static const char *guest_string(struct vcpu_thread *t, uint64_t gpa)
{
	const char *s = kvm_vm_gpa(t->vm, gpa, 1);

	if (!s || !memchr(s, 0, DB_RAM_SIZE - gpa))
		return "(bad guest string)";
	return s;
}

/* Two CR3 writes (the second restores it) make KVM reset the vCPU's MMU
 * context, which flushes the guest's TLB; the same value alone would not. */
static void service_tlb_flush_locked(struct vcpu_thread *t)
{
	struct kvm_sregs sregs;

	if (t->flush_requested) {
		if (!ioctl(t->vm->vcpu_fd, KVM_GET_SREGS, &sregs)) {
			uint64_t cr3 = sregs.cr3;

			sregs.cr3 = cr3 ^ 0x8;  /* PWT */
			ioctl(t->vm->vcpu_fd, KVM_SET_SREGS, &sregs);
			sregs.cr3 = cr3;
			ioctl(t->vm->vcpu_fd, KVM_SET_SREGS, &sregs);
		}
		t->flush_requested = false;
		t->tlb_flushes++;
		pthread_cond_broadcast(&t->cond);
	}
	if (t->hold_requested) {
		t->held = true;
		pthread_cond_broadcast(&t->cond);
		while (t->hold_requested && t->state != VCPU_FAILED)
			pthread_cond_wait(&t->cond, &t->lock);
		t->held = false;
	}
}

static void service_tlb_flush(struct vcpu_thread *t)
{
	pthread_mutex_lock(&t->lock);
	service_tlb_flush_locked(t);
	pthread_mutex_unlock(&t->lock);
}

/* Sleep until the guest's deadline, until asked to stop, or until a strategy
 * kicks the guest (guest_kick), whichever first; the guest re-sleeps if it
 * has nothing to do. A kick is consumed here so the next sleep is whole. */
static void guest_sleep(struct vcpu_thread *t, uint64_t guest_deadline)
{
	uint64_t host_deadline = guest_deadline - (uint64_t)t->cal.offset;
	uint64_t now = clock_tsc(), kicks;
	struct pollfd pfd[2] = { { .fd = t->stop_fd, .events = POLLIN },
				 { .fd = t->vm->kick_fd, .events = POLLIN } };
	struct timespec ts;
	double ns;

	if (host_deadline <= now)
		return;
	ns = clock_cycles_to_ns(t->clock, (double)(host_deadline - now));
	ts.tv_sec = (time_t)(ns / 1e9);
	ts.tv_nsec = (long)(ns - (double)ts.tv_sec * 1e9);
	if (ppoll(pfd, 2, &ts, NULL) > 0 && (pfd[1].revents & POLLIN))
		(void)!read(t->vm->kick_fd, &kicks, sizeof(kicks));
}

/* Guest TSC g was read between host stamps before and after: it bounds the
 * offset; keep the tightest bounds over all samples. */
static void calibrate(struct vcpu_thread *t, uint64_t g, uint64_t before, uint64_t after)
{
	int64_t lo = (int64_t)(g - after), hi = (int64_t)(g - before);

	if (t->cal.samples == 0 || lo > t->cal_lo)
		t->cal_lo = lo;
	if (t->cal.samples == 0 || hi < t->cal_hi)
		t->cal_hi = hi;
	t->cal.samples++;
	t->cal.offset = t->cal_lo + (t->cal_hi - t->cal_lo) / 2;
	t->cal.uncertainty = (uint64_t)(t->cal_hi > t->cal_lo ? t->cal_hi - t->cal_lo : 0) / 2;
}

/* Between two frames (the guest asked to sleep): if the scan thread asked
 * for a pause (a replica check, core/replica.h), stand still until resumed.
 * A strategy's TLB flush request is still served: its quiet round may ask. */
static void park_if_asked(struct vcpu_thread *t)
{
	pthread_mutex_lock(&t->lock);
	if (t->pause_requested) {
		t->parked = true;
		pthread_cond_broadcast(&t->cond);
		while (t->pause_requested && t->state != VCPU_FAILED) {
			service_tlb_flush_locked(t);
			pthread_cond_wait(&t->cond, &t->lock);
		}
		t->parked = false;
	}
	pthread_mutex_unlock(&t->lock);
}

static enum step wait_for_go(struct vcpu_thread *t)
{
	pthread_mutex_lock(&t->lock);
	if (t->state != VCPU_FAILED)
		t->state = VCPU_READY;
	pthread_cond_broadcast(&t->cond);
	while (!t->go && t->state != VCPU_FAILED) {
		service_tlb_flush_locked(t);
		pthread_cond_wait(&t->cond, &t->lock);
	}
	if (t->state == VCPU_READY)
		t->state = VCPU_RUNNING;
	pthread_mutex_unlock(&t->lock);
	return t->state == VCPU_FAILED ? STEP_FAILED : STEP_CONTINUE;
}

static enum step handle_ucall(struct vcpu_thread *t, uint32_t gpa, uint64_t before, uint64_t after)
{
	const struct db_ucall *uc = kvm_vm_gpa(t->vm, gpa, sizeof(*uc));

	if (!uc)
		return failed(t, "guest ucall at bad address %#x", gpa);
	switch (uc->cmd) {
	case DB_UCALL_CALIBRATE:
		calibrate(t, uc->args[0], before, after);
		return STEP_CONTINUE;
	case DB_UCALL_CPU_PROBE:
		t->probe_ring3_cycles = uc->args[0];
		return STEP_CONTINUE;
	case DB_UCALL_READY:
		return wait_for_go(t);
	case DB_UCALL_SLEEP:
		park_if_asked(t);
		guest_sleep(t, uc->args[0]);
		service_tlb_flush(t);
		park_if_asked(t);       /* a pause asked for while it slept */
		return STEP_CONTINUE;
	case DB_UCALL_NOTIFY:
		if (write(t->vm->notify_fd, &(uint64_t){ 1 }, sizeof(uint64_t)) < 0)
			return failed(t, "notifying the host of a guest event: %s", strerror(errno));
		return STEP_CONTINUE;
	case DB_UCALL_DOORBELL:
		if (write(t->vm->doorbell_fd, &(uint64_t){ 1 }, sizeof(uint64_t)) < 0)
			return failed(t, "ringing the host's doorbell: %s", strerror(errno));
		return STEP_CONTINUE;
	case DB_UCALL_PRINT:
		if (t->verbose)
			fprintf(stderr, "guest: %s\n", guest_string(t, uc->args[0]));
		return STEP_CONTINUE;
	case DB_UCALL_ABORT:
		return failed(t, "guest aborted at %s:%llu: %s", guest_string(t, uc->args[1]),
			      (unsigned long long)uc->args[2], guest_string(t, uc->args[0]));
	case DB_UCALL_DONE:
		t->guest_frames = uc->args[0];
		t->guest_dropped = uc->args[1];
		return STEP_DONE;
	default:
		return failed(t, "guest made unknown ucall %llu", (unsigned long long)uc->cmd);
	}
}

static enum step handle_exception(struct vcpu_thread *t, uint32_t gpa)
{
	const uint64_t *f = kvm_vm_gpa(t->vm, gpa, 7 * sizeof(uint64_t));

	if (!f)
		return failed(t, "guest exception with a bad frame address %#x", gpa);
	return failed(t, "guest exception %llu (error code %#llx) at rip=%#llx cs=%#llx rsp=%#llx",
		      (unsigned long long)f[0], (unsigned long long)f[1],
		      (unsigned long long)f[2], (unsigned long long)f[3],
		      (unsigned long long)f[5]);
}

static enum step handle_io(struct vcpu_thread *t, uint64_t before, uint64_t after)
{
	struct kvm_run *run = t->vm->run;
	uint32_t data;

	atomic_fetch_add_explicit(&t->io_exits, 1, memory_order_relaxed);
	if (run->io.direction != KVM_EXIT_IO_OUT || run->io.size != 4 || run->io.count != 1)
		return failed(t, "guest port access %s port %#x size %u",
			      run->io.direction == KVM_EXIT_IO_OUT ? "out" : "in",
			      run->io.port, run->io.size);
	memcpy(&data, (uint8_t *)run + run->io.data_offset, 4);
	if (run->io.port == DB_PORT_UCALL)
		return handle_ucall(t, data, before, after);
	if (run->io.port == DB_PORT_EXCEPTION)
		return handle_exception(t, data);
	return failed(t, "guest wrote to unknown port %#x", run->io.port);
}

static enum step handle_exit(struct vcpu_thread *t, uint64_t before, uint64_t after)
{
	struct kvm_run *run = t->vm->run;

	switch (run->exit_reason) {
	case KVM_EXIT_IO:
		return handle_io(t, before, after);
	case KVM_EXIT_DIRTY_RING_FULL:
		atomic_fetch_add_explicit(&t->ring_full_exits, 1, memory_order_relaxed);
		if (!t->dirty_ring_full || t->dirty_ring_full(t->dirty_ring_arg))
			return failed(t, "dirty ring full and nobody harvested it");
		return STEP_CONTINUE;
	case KVM_EXIT_MMIO:
		return failed(t, "guest touched unmapped memory at %#llx",
			      (unsigned long long)run->mmio.phys_addr);
	case KVM_EXIT_SHUTDOWN:
		return failed(t, "guest shut down (triple fault)");
	case KVM_EXIT_HLT:
		return failed(t, "guest halted");
	case KVM_EXIT_FAIL_ENTRY:
		return failed(t, "KVM entry failed, hardware reason %#llx",
			      (unsigned long long)run->fail_entry.hardware_entry_failure_reason);
	case KVM_EXIT_INTERNAL_ERROR:
		return failed(t, "KVM internal error, suberror %u", run->internal.suberror);
	default:
		return failed(t, "unexpected KVM exit reason %u", run->exit_reason);
	}
}

int vcpu_thread_request_tlb_flush(void *arg)
{
	struct vcpu_thread *t = arg;
	int ret;

	pthread_mutex_lock(&t->lock);
	/* After the guest stopped (the run's final round re-arms too) there is
	 * no thread to kick and no TLB left in use: nothing to flush. Found by
	 * the KVM lab: ptebits on a TDP host killed run-bench here with
	 * pthread_kill(0) (scripts/kvm-lab). */
	if (!t->tid || t->state == VCPU_DONE) {
		pthread_mutex_unlock(&t->lock);
		return 0;
	}
	t->flush_requested = true;
	t->vm->run->immediate_exit = 1;
	pthread_cond_broadcast(&t->cond);       /* it may be waiting for go */
	pthread_kill(t->tid, SIGUSR1);
	while (t->flush_requested && t->state != VCPU_FAILED && t->state != VCPU_DONE)
		pthread_cond_wait(&t->cond, &t->lock);
	ret = t->flush_requested ? -1 : 0;
	t->flush_requested = false;
	pthread_mutex_unlock(&t->lock);
	return ret;
}

int vcpu_thread_pause(struct vcpu_thread *t, int timeout_ms)
{
	struct timespec deadline = clock_deadline(timeout_ms);
	int ret = 0;

	pthread_mutex_lock(&t->lock);
	t->pause_requested = true;
	pthread_mutex_unlock(&t->lock);
	/* A sleeping guest wakes, finds nothing to do, and sleeps again: there. */
	if (write(t->vm->kick_fd, &(uint64_t){ 1 }, sizeof(uint64_t)) < 0)
		return -1;
	pthread_mutex_lock(&t->lock);
	while (!t->parked && t->state == VCPU_RUNNING && ret == 0)
		ret = pthread_cond_timedwait(&t->cond, &t->lock, &deadline);
	ret = t->state == VCPU_FAILED ? -1 : t->parked ? 1 : 0;
	if (ret != 1) {
		t->pause_requested = false;     /* not in time: withdrawn, the check is skipped */
		pthread_cond_broadcast(&t->cond);
	}
	pthread_mutex_unlock(&t->lock);
	return ret;
}

int vcpu_thread_hold(void *arg, bool on)
{
	struct vcpu_thread *t = arg;
	int ret = 0;

	pthread_mutex_lock(&t->lock);
	if (!on) {
		t->hold_requested = false;
		pthread_cond_broadcast(&t->cond);
	} else if (t->tid && t->state == VCPU_RUNNING && !t->parked) {
		t->hold_requested = true;
		t->vm->run->immediate_exit = 1;
		pthread_kill(t->tid, SIGUSR1);
		/* A guest about to sleep would otherwise keep us waiting its sleep out. */
		(void)!write(t->vm->kick_fd, &(uint64_t){ 1 }, sizeof(uint64_t));
		while (!t->held && !t->parked && t->state == VCPU_RUNNING)
			pthread_cond_wait(&t->cond, &t->lock);
		ret = t->state == VCPU_FAILED ? -1 : 0;
	}
	pthread_mutex_unlock(&t->lock);
	return ret;
}

void vcpu_thread_resume(struct vcpu_thread *t)
{
	pthread_mutex_lock(&t->lock);
	t->pause_requested = false;
	pthread_cond_broadcast(&t->cond);
	pthread_mutex_unlock(&t->lock);
}

static void *vcpu_main(void *arg)
{
	struct vcpu_thread *t = arg;
	enum step step = STEP_CONTINUE;

	cpu_pin_self(t->cpu);
	atomic_store(&t->os_tid, (int)gettid());
	while (step == STEP_CONTINUE) {
		uint64_t before = clock_tsc(), after;
		int ret = ioctl(t->vm->vcpu_fd, KVM_RUN, 0);

		after = clock_tsc();
		atomic_fetch_add_explicit(&t->exits, 1, memory_order_relaxed);
		atomic_store_explicit(&t->last_exit_tsc, after, memory_order_relaxed);
		if (ret < 0 && errno == EINTR) {
			t->vm->run->immediate_exit = 0;
			if (vcpu_thread_failed(t))
				break;
			service_tlb_flush(t);
			continue;
		}
		if (ret < 0 && errno == EFAULT && !kvm_vm_vram_write_fault(t->vm))
			continue;
		if (ret < 0)
			step = failed(t, "KVM_RUN: %s", strerror(errno));
		else
			step = handle_exit(t, before, after);
	}
	if (step == STEP_DONE)
		set_state(t, VCPU_DONE);
	return NULL;
}

static void kick_handler(int sig)
{
	(void)sig;
}

int vcpu_thread_start(struct vcpu_thread *t)
{
	struct sigaction sa = { .sa_handler = kick_handler };

	sigemptyset(&sa.sa_mask);
	sigaction(SIGUSR1, &sa, NULL);      /* no SA_RESTART: KVM_RUN returns EINTR */
	pthread_mutex_init(&t->lock, NULL);
	pthread_cond_init(&t->cond, NULL);
	t->state = VCPU_BOOTING;
	t->stop_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (t->stop_fd < 0) {
		snprintf(t->error, sizeof(t->error), "eventfd: %s", strerror(errno));
		return -1;
	}
	atomic_store(&t->last_exit_tsc, clock_tsc());
	if (pthread_create(&t->tid, NULL, vcpu_main, t)) {
		snprintf(t->error, sizeof(t->error), "cannot start the vCPU thread");
		return -1;
	}
	return 0;
}

static int wait_state(struct vcpu_thread *t, enum vcpu_state want, int timeout_ms)
{
	struct timespec deadline = clock_deadline(timeout_ms);
	int ret = 0;

	pthread_mutex_lock(&t->lock);
	while (t->state < want && ret == 0)
		ret = pthread_cond_timedwait(&t->cond, &t->lock, &deadline);
	ret = t->state == VCPU_FAILED ? -1 : t->state >= want ? 0 : 1;
	pthread_mutex_unlock(&t->lock);
	return ret;
}

int vcpu_thread_wait_ready(struct vcpu_thread *t, int timeout_ms)
{
	int ret = wait_state(t, VCPU_READY, timeout_ms);

	if (ret > 0)
		vcpu_thread_abort(t, "the guest did not register its framebuffer in time");
	return ret ? -1 : 0;
}

void vcpu_thread_go(struct vcpu_thread *t)
{
	pthread_mutex_lock(&t->lock);
	t->go = true;
	pthread_cond_broadcast(&t->cond);
	pthread_mutex_unlock(&t->lock);
}

bool vcpu_thread_failed(struct vcpu_thread *t)
{
	bool failed;

	pthread_mutex_lock(&t->lock);
	failed = t->state == VCPU_FAILED;
	pthread_mutex_unlock(&t->lock);
	return failed;
}

int vcpu_thread_stop(struct vcpu_thread *t, int timeout_ms)
{
	uint64_t one = 1;
	int ret;

	t->vm->be.control->stop = 1;
	if (write(t->stop_fd, &one, sizeof(one)) < 0)
		return -1;
	vcpu_thread_go(t);
	ret = wait_state(t, VCPU_DONE, timeout_ms);
	if (ret > 0) {
		vcpu_thread_abort(t, "the guest did not stop in time");
		return -1;
	}
	pthread_join(t->tid, NULL);
	t->tid = 0;
	return ret;
}

void vcpu_thread_abort(struct vcpu_thread *t, const char *why)
{
	char regs[512];

	pthread_mutex_lock(&t->lock);
	if (t->state != VCPU_FAILED && t->state != VCPU_DONE) {
		t->state = VCPU_FAILED;
		t->vm->run->immediate_exit = 1;
		pthread_cond_broadcast(&t->cond);
		pthread_kill(t->tid, SIGUSR1);
		pthread_mutex_unlock(&t->lock);
		pthread_join(t->tid, NULL);
		t->tid = 0;
		kvm_vm_dump_regs(t->vm, regs, sizeof(regs));
		snprintf(t->error, sizeof(t->error), "%s [%s]", why, regs);
		return;
	}
	pthread_cond_broadcast(&t->cond);
	pthread_mutex_unlock(&t->lock);
}

void vcpu_thread_destroy(struct vcpu_thread *t)
{
	if (t->tid) {
		vcpu_thread_abort(t, "torn down");
		if (t->tid)
			pthread_join(t->tid, NULL);
	}
	if (t->stop_fd > 0)
		close(t->stop_fd);
	pthread_mutex_destroy(&t->lock);
	pthread_cond_destroy(&t->cond);
}
