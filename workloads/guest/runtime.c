/*
 * The workload runtime inside the micro-VM: ring 3, no libc. Talks to the
 * host through the control page and one port ("ucall"); publishes each frame
 * and its damage into rings the host reads without stopping the guest.
 */
#include "include/compiler.h"
#include "include/damage_ring.h"
#include "include/protocol.h"
#include "workloads/lib/runtime.h"
#include "workloads/workload.h"
#include "workloads/lib/pvfront.h"
#include "workloads/lib/pvrects_front.h"
#include "workloads/lib/vgpu_front.h"

#define control ((struct db_control *)DB_CONTROL_GPA)
#define rect_ring ((struct db_rect *)DB_RECT_RING_GPA)

static uint64_t heap_next = DB_HEAP_GPA;
static struct damage_ring ring;

static void ucall(uint64_t cmd, uint64_t a0, uint64_t a1, uint64_t a2)
{
	control->ucall.cmd = cmd;
	control->ucall.args[0] = a0;
	control->ucall.args[1] = a1;
	control->ucall.args[2] = a2;
	barrier();
	__asm__ __volatile__("outl %0, %w1"
			     :: "a"((uint32_t)(uintptr_t)&control->ucall),
				"Nd"(DB_PORT_UCALL) : "memory");
}

uint64_t rt_tsc(void)
{
	uint32_t lo, hi;

	__asm__ __volatile__("lfence; rdtsc; lfence" : "=a"(lo), "=d"(hi) :: "memory");
	return (uint64_t)hi << 32 | lo;
}

uint64_t rt_tsc_khz(void)
{
	return control->tsc_khz;
}

/* pvbitmap: the guest switched bitmaps for a host request that waits for it. */
static void pv_answer(int notify)
{
	if (notify)
		ucall(DB_UCALL_NOTIFY, 0, 0, 0);
}

/* The host may return early (it was kicked to serve a request): sleep again.
 * With pvbitmap the switch timer bounds each sleep and is served in between. */
void rt_sleep_until(uint64_t tsc)
{
	for (;;) {
		pv_answer(pvfront_poll());
		if (rt_tsc() >= tsc || control->stop)
			break;
		ucall(DB_UCALL_SLEEP, pvfront_sleep_begin(tsc), 0, 0);
	}
	pvfront_sleep_end();
}

static void ring_doorbell(uint32_t queue)
{
	ucall(DB_UCALL_DOORBELL, queue, 0, 0);
}

static void ring_nap(uint64_t tsc)
{
	ucall(DB_UCALL_SLEEP, tsc, 0, 0);
}

static bool should_stop(void);

/* pvrects and virtio-gpu: a doorbell is one port write; a nap is a sleep the
 * host cuts short with a kick (or the stop). */
static const struct pvring_port ring_port = {
	.doorbell = ring_doorbell, .nap = ring_nap, .stopping = should_stop,
};

void rt_frame_begin(void)
{
	pv_answer(pvfront_poll());
	damage_ring_begin(&ring, rt_tsc());
}

void rt_damage(uint32_t x, uint32_t y, uint32_t w, uint32_t h)
{
	if (control->pv_enabled)
		pv_answer(pvfront_mark(x, y, w, h));
	pvrects_front_damage(x, y, w, h);
	vgpu_front_damage(x, y, w, h);
	damage_ring_add(&ring, x, y, w, h);
}

/* The ring front ends publish before the commit stamp: a frame is complete
 * when its damage is on the host's ring. */
void rt_frame_commit(uint32_t dropped_before)
{
	pvrects_front_commit();
	vgpu_front_commit();
	damage_ring_commit(&ring, dropped_before);
	pv_answer(pvfront_poll());
}

void rt_set_phase(uint32_t phase)
{
	control->phase = phase;
}

void *rt_alloc(size_t bytes)
{
	uint64_t p = (heap_next + 63) & ~63ull;

	/* A loaded trace takes the heap's end (include/protocol.h). */
	uint64_t end = control->trace_bytes ? DB_TRACE_GPA : DB_HEAP_GPA + DB_HEAP_SIZE;

	if (p + bytes > end)
		rt_abort("guest heap exhausted", __FILE__, __LINE__);
	heap_next = p + bytes;
	return rt_memset((void *)p, 0, bytes);
}

static void copy_message(const char *msg)
{
	size_t n = rt_strlen(msg);

	if (n >= sizeof(control->message))
		n = sizeof(control->message) - 1;
	rt_memcpy(control->message, msg, n);
	control->message[n] = 0;
}

void rt_print(const char *msg)
{
	copy_message(msg);
	ucall(DB_UCALL_PRINT, (uintptr_t)control->message, 0, 0);
}

_Noreturn void rt_abort(const char *msg, const char *file, int line)
{
	copy_message(msg);
	for (;;)
		ucall(DB_UCALL_ABORT, (uintptr_t)control->message, (uintptr_t)file,
		      (uint64_t)line);
}

static bool should_stop(void)
{
	return control->stop != 0;
}

static uint64_t probe_ring3(uint64_t iters)
{
	uint64_t t0 = rt_tsc(), a = 0;

	__asm__ __volatile__("1: add $1, %%rax; xor %%rdx, %%rdx; add %%rax, %%rdx; dec %%rcx; jnz 1b"
			     : "+a"(a), "+c"(iters) :: "rdx", "cc");
	return rt_tsc() - t0;
}

/* The ring-3 half of the CPU probe (the host ran the ring-0 half before boot). */
static void cpu_probe(void)
{
	ucall(DB_UCALL_CPU_PROBE, probe_ring3(DB_PROBE_ITERS_RING3), 0, 0);
}

static void calibrate_clock(void)
{
	for (int i = 0; i < 16; i++)
		ucall(DB_UCALL_CALIBRATE, rt_tsc(), 0, 0);
}

void guest_main(void)
{
	static struct workload_ctx ctx;
	const struct workload_draw *draw;
	struct workload_run_stats stats;
	char err[128];

	if (control->abi_version != DB_ABI_VERSION)
		rt_abort("control page ABI mismatch", __FILE__, __LINE__);
	damage_ring_init(&ring, control, rect_ring);
	draw = workload_draw_find(control->workload);
	if (!draw)
		rt_abort("unknown workload", __FILE__, __LINE__);
	if (workload_parse_options(draw->info, control->options, &ctx, err, sizeof(err)))
		rt_abort(err, __FILE__, __LINE__);
	ctx.fb = (struct fb){ (uint32_t *)control->vram_gva, control->width,
			      control->height, control->stride / 4 };
	ctx.seed = control->seed;
	if (control->trace_bytes) {
		ctx.trace = (const void *)control->trace_gpa;
		ctx.trace_bytes = control->trace_bytes;
	}
	calibrate_clock();
	cpu_probe();
	control->target_fps_milli = ctx.fps_milli;
	control->fb_gva = control->vram_gva;
	control->fb_len = (uint64_t)control->stride * control->height;
	pvfront_init(control);
	pvrects_front_init(control, &ring_port);
	vgpu_front_init(control, &ring_port);
	ucall(DB_UCALL_READY, 0, 0, 0);
	if (workload_run(draw, &ctx, should_stop, &stats))
		rt_abort("workload failed", __FILE__, __LINE__);
	pvfront_close();
	ucall(DB_UCALL_DONE, stats.frames, stats.dropped, 0);
	for (;;)
		ucall(DB_UCALL_DONE, stats.frames, stats.dropped, 0);
}
