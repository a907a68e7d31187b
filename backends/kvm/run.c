/*
 * The KVM back end's run (core/backend_run.h): boot the micro-VM, run its
 * vCPU on a thread of its own pinned to the other core, and report what only
 * KVM can say: the exits the vCPU thread saw, the guest's CPU probe and TSC
 * calibration, the KVM platform block.
 */
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>

#include "backends/kvm/kvm_vcpu.h"
#include "backends/kvm/kvm_vm.h"
#include "collectors/platform.h"
#include "core/result.h"
#include "core/run_state.h"

#define READY_TIMEOUT_MS 10000
#define STOP_TIMEOUT_MS 5000
#define WATCHDOG_S 5.0
#define SCAN_CPU 0
#define VCPU_CPU 1

struct kvm_backend_run {
	struct kvm_vm vm;
	struct vcpu_thread vcpu;
	bool vm_created;
	uint64_t exits[2], io_exits[2], ring_full[2];   /* at the window's start and end */
};

static struct kvm_backend_run *kvm_run_of(struct run_state *rs)
{
	return rs->backend_priv;
}

static int kvm_run_probe(const struct run_options *opt, const struct strategy_ops *sops, char *why, size_t len)
{
	if (kvm_probe(why, len))
		return EXIT_UNSUPPORTED;
	if (sops->needs & BACKEND_DIRTY_RING && kvm_probe_dirty_ring(opt->dirty_ring_bytes, why, len))
		return EXIT_UNSUPPORTED;
	return EXIT_OK;
}

static int kvm_run_open(struct run_state *rs)
{
	struct kvm_backend_run *kr = kvm_run_of(rs);
	struct kvm_vm_config cfg = { .geo = rs->geo };

	if (rs->sops->needs & BACKEND_DIRTY_RING)
		cfg.dirty_ring_bytes = rs->opt->dirty_ring_bytes;
	kr->vm_created = true;           /* kvm_vm_destroy undoes a partial create too */
	if (kvm_vm_create(&kr->vm, &cfg))
		return run_fail(rs, EXIT_RUN_FAILED, "creating the VM: %s", kr->vm.error);
	rs->be = &kr->vm.be;
	rs->kvm_vm_fd = kr->vm.vm_fd;
	rs->kvm_vcpu_fd = kr->vm.vcpu_fd;
	rs->tsc_khz = kr->vm.tsc_khz;
	rs->rect_ring = kvm_vm_gpa(&kr->vm, DB_RECT_RING_GPA, DB_RECT_RING_LEN * sizeof(struct db_rect));
	run_fill_control(rs, kr->vm.be.control, (uint32_t)kr->vm.vram_size, DB_VRAM_GVA);
	if (rs->trace_image) {          /* the trace workload's image (include/protocol.h) */
		void *dst = kvm_vm_gpa(&kr->vm, DB_TRACE_GPA, rs->trace_image_len);

		if (!dst || rs->trace_image_len > DB_TRACE_MAX)
			return run_fail(rs, EXIT_RUN_FAILED, "the trace image does not fit guest memory");
		memcpy(dst, rs->trace_image, rs->trace_image_len);
		kr->vm.be.control->trace_gpa = DB_TRACE_GPA;
		kr->vm.be.control->trace_bytes = rs->trace_image_len;
	}
	return EXIT_OK;
}

/* KVM_EXIT_DIRTY_RING_FULL, on the vCPU thread: the strategy harvests. */
static int ring_full(void *arg)
{
	return strategy_ring_full(arg);
}

static int kvm_run_start_guest(struct run_state *rs)
{
	struct kvm_backend_run *kr = kvm_run_of(rs);
	struct vcpu_thread *t = &kr->vcpu;

	t->vm = &kr->vm;
	t->clock = &rs->clock;
	t->cpu = VCPU_CPU;
	t->verbose = !rs->opt->quiet;
	t->dirty_ring_full = ring_full;
	t->dirty_ring_arg = &rs->strategy;
	kr->vm.tlb_flush_request = vcpu_thread_request_tlb_flush;
	kr->vm.hold_request = vcpu_thread_hold;
	kr->vm.tlb_flush_arg = t;
	if (vcpu_thread_start(t))
		return run_fail(rs, EXIT_RUN_FAILED, "%s", t->error);
	if (vcpu_thread_wait_ready(t, READY_TIMEOUT_MS))
		return run_fail(rs, EXIT_RUN_FAILED, "guest failed during boot: %s", t->error);
	kr->vm.be.guest_tsc_offset = t->cal.offset;     /* the guest calibrated before READY */
	rs->vcpu_tid = atomic_load(&t->os_tid);
	return EXIT_OK;
}

static void kvm_run_go(struct run_state *rs)
{
	vcpu_thread_go(&kvm_run_of(rs)->vcpu);
}

static int kvm_run_check(struct run_state *rs)
{
	struct vcpu_thread *t = &kvm_run_of(rs)->vcpu;

	if (vcpu_thread_failed(t))
		return run_fail(rs, EXIT_RUN_FAILED, "guest failed: %s", t->error);
	return EXIT_OK;
}

static uint64_t kvm_run_progress(struct run_state *rs)
{
	return atomic_load(&kvm_run_of(rs)->vcpu.exits) + rs->be->control->frames_published;
}

static int kvm_run_stalled(struct run_state *rs)
{
	struct vcpu_thread *t = &kvm_run_of(rs)->vcpu;

	vcpu_thread_abort(t, "guest made no progress for 5 s (watchdog)");
	return run_fail(rs, EXIT_RUN_FAILED, "%s", t->error);
}

static void kvm_run_mark(struct run_state *rs, bool start)
{
	struct kvm_backend_run *kr = kvm_run_of(rs);

	kr->exits[!start] = atomic_load(&kr->vcpu.exits);
	kr->io_exits[!start] = atomic_load(&kr->vcpu.io_exits);
	kr->ring_full[!start] = atomic_load(&kr->vcpu.ring_full_exits);
}

static int kvm_run_stop(struct run_state *rs)
{
	struct vcpu_thread *t = &kvm_run_of(rs)->vcpu;

	if (vcpu_thread_stop(t, STOP_TIMEOUT_MS))
		return run_fail(rs, EXIT_RUN_FAILED, "guest failed while stopping: %s", t->error);
	return EXIT_OK;
}

/* Two frame periods and 100 ms for the guest to reach its next sleep (a
 * frame drawn, the next not begun); 2 s at most. */
static int kvm_run_pause(struct run_state *rs, int *paused)
{
	struct vcpu_thread *t = &kvm_run_of(rs)->vcpu;
	double period_ms = rs->fps_milli ? 1e6 / rs->fps_milli : 1000;
	int timeout_ms = (int)(2 * period_ms) + 100, ret;

	ret = vcpu_thread_pause(t, timeout_ms < 2000 ? timeout_ms : 2000);
	if (ret < 0)
		return run_fail(rs, EXIT_RUN_FAILED, "guest failed: %s", t->error);
	*paused = ret;
	return EXIT_OK;
}

static int kvm_run_resume(struct run_state *rs)
{
	vcpu_thread_resume(&kvm_run_of(rs)->vcpu);
	return EXIT_OK;
}

static json_t *kvm_run_platform(struct run_state *rs)
{
	json_t *p = platform_detect(kvm_run_of(rs)->vm.kvm_fd);

	if (p)
		json_object_set_new(p, "backend", json_string("kvm"));
	return p;
}

static json_t *exits_json(struct kvm_backend_run *kr, double frames, double seconds)
{
	uint64_t exits = kr->exits[1] - kr->exits[0], io = kr->io_exits[1] - kr->io_exits[0];

	return json_pack("{s:s, s:I, s:I, s:I, s:o, s:o}",
		"source", "vcpu thread (KVM_RUN returns)",
		"exits", (json_int_t)exits, "io_exits", (json_int_t)io,
		"dirty_ring_full_exits", (json_int_t)(kr->ring_full[1] - kr->ring_full[0]),
		"exits_per_frame", result_ratio((double)exits, frames),
		"exits_per_s", result_ratio((double)exits, seconds));
}

/* The micro-VM's guest: its frame counters, the ring-3 and ring-0 cost of
 * the same loop, and the TSC offset measured at boot. */
static int kvm_run_result(struct run_state *rs, json_t *r)
{
	struct kvm_backend_run *kr = kvm_run_of(rs);
	const struct vcpu_thread *t = &kr->vcpu;
	json_t *guest = json_object_get(r, "guest");
	double frames = (double)rs->oracle.stats.frames_measured;

	if (!guest)
		return -1;
	json_object_set_new(guest, "frames_total", json_integer((json_int_t)t->guest_frames));
	json_object_set_new(guest, "dropped_total", json_integer((json_int_t)t->guest_dropped));
	json_object_set_new(guest, "cpu_probe", json_pack("{s:f, s:f, s:s}",
		"ring3_ns_per_iter", clock_cycles_to_ns(&rs->clock, (double)t->probe_ring3_cycles) /
			DB_PROBE_ITERS_RING3,
		"ring0_ns_per_iter", clock_cycles_to_ns(&rs->clock, (double)kr->vm.probe_ring0_cycles) /
			DB_PROBE_ITERS_RING0,
		"loop", "add; xor; add; dec; jnz"));
	json_object_set_new(guest, "tsc_calibration", json_pack("{s:I, s:I, s:I}",
		"offset_cycles", (json_int_t)t->cal.offset, "uncertainty_cycles", (json_int_t)t->cal.uncertainty,
		"samples", (json_int_t)t->cal.samples));
	return json_object_set_new(r, "exits", exits_json(kr, frames, rs->measured_s));
}

static void kvm_run_halt(struct run_state *rs)
{
	struct kvm_backend_run *kr = kvm_run_of(rs);

	if (kr->vcpu.vm)
		vcpu_thread_destroy(&kr->vcpu);
}

static void kvm_run_close(struct run_state *rs)
{
	struct kvm_backend_run *kr = kvm_run_of(rs);

	if (kr->vm_created)
		kvm_vm_destroy(&kr->vm);
}

static const struct schema_field kvm_run_schema[] = {
	{ "platform.kvm", SCHEMA_OBJ }, { "platform.kvm.module", SCHEMA_STR },
	{ "platform.kvm.paging", SCHEMA_STR }, { "platform.kvm.capabilities", SCHEMA_OBJ },
	{ "exits.exits", SCHEMA_INT }, { "exits.io_exits", SCHEMA_INT },
	{ "exits.exits_per_frame", SCHEMA_NUM_OR_NULL },
	{ "guest.tsc_calibration.offset_cycles", SCHEMA_INT },
	{ "guest.tsc_calibration.uncertainty_cycles", SCHEMA_INT }, { "guest.cpu_probe", SCHEMA_OBJ },
	SCHEMA_END
};

const struct backend_run_ops kvm_run_ops = {
	.name = "kvm",
	.priv_size = sizeof(struct kvm_backend_run),
	.scan_cpu = SCAN_CPU,
	.probe = kvm_run_probe,
	.open = kvm_run_open,
	.start_guest = kvm_run_start_guest,
	.go = kvm_run_go,
	.check = kvm_run_check,
	.progress = kvm_run_progress,
	.watchdog_s = WATCHDOG_S,
	.stalled = kvm_run_stalled,
	.mark = kvm_run_mark,
	.pause = kvm_run_pause,
	.resume = kvm_run_resume,
	.stop = kvm_run_stop,
	.platform = kvm_run_platform,
	.result = kvm_run_result,
	.halt = kvm_run_halt,
	.close = kvm_run_close,
	.schema = kvm_run_schema,
};
