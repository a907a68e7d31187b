/*
 * pvrects and virtio-gpu in a real micro-VM (issue 16), with event-driven
 * rounds: every workload with 0 missed updates and the protocol's counters;
 * a one-event ring and a two-descriptor queue forcing the merge and
 * ring-full paths under the oracle; a device that stops returning
 * descriptors (the guest must fall back, counted, and not hang); the wake
 * modes; bad ring sizes, rectangle limits and wake options refused (exit 2,
 * one line, no result); the Xen back end refusing both with its reason.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "core/status.h"
#include "tests/lib/e2e.h"

static const char *const workloads[] = { "idle", "video", "scrolling", "typing", "sparse", "drag", "fullscreen", NULL };

static void skip_without_kvm(void)
{
	const char *why = e2e_kvm_unusable();

	if (why) {
		print_message("skipped: %s\n", why);
		skip();
	}
}

/* A short run at 640x480 that must pass with 0 missed; extra: more arguments. */
static void run_clean(struct e2e_run *r, const char *strategy, const char *workload, const char *const *extra)
{
	const char *args[32] = { e2e_binary(), strategy, workload, "--duration", "1", "--warmup", "0.3",
				 "--res", "640x480", "--json", "-", "--quiet" };
	size_t n = 12;

	for (; extra && *extra; extra++)
		args[n++] = *extra;
	args[n] = NULL;
	e2e_run(r, args);
	if (r->status == EXIT_UNSUPPORTED) {
		print_message("skipped: %s", r->stderr_text);
		e2e_run_free(r);
		skip();
	}
	if (r->status != 0)
		print_message("%s %s: exit %d: %s", strategy, workload, r->status, r->stderr_text);
	assert_int_equal(r->status, 0);
	assert_true(e2e_num(r->result, "dirty.frames_checked") > 0);
	assert_true(e2e_num(r->result, "dirty.frames_missed") == 0);
}

static const char *scan_wake(const struct e2e_run *r)
{
	return json_string_value(json_object_get(json_object_get(r->result, "scan"), "wake"));
}

static void test_pvrects_every_workload(void **state)
{
	(void)state;
	skip_without_kvm();
	for (const char *const *w = workloads; *w; w++) {
		struct e2e_run r;

		run_clean(&r, "pvrects", *w, NULL);
		assert_string_equal(scan_wake(&r), "both");
		assert_true(e2e_num(r.result, "strategy.events_sent") > 0);
		assert_true(e2e_num(r.result, "strategy.events_consumed") == e2e_num(r.result, "strategy.events_sent"));
		assert_true(e2e_num(r.result, "strategy.notifications") > 0);
		assert_true(e2e_num(r.result, "scan.doorbell_rounds") > 0);
		e2e_run_free(&r);
	}
}

static void test_virtio_gpu_every_workload(void **state)
{
	(void)state;
	skip_without_kvm();
	for (const char *const *w = workloads; *w; w++) {
		struct e2e_run r;

		run_clean(&r, "virtio-gpu", *w, NULL);
		assert_true(e2e_num(r.result, "strategy.kicks") > 0);
		assert_true(e2e_num(r.result, "strategy.commands_sent") > 0);
		assert_true(e2e_num(r.result, "strategy.transfers") > 0);
		assert_true(e2e_num(r.result, "strategy.bytes_transferred") > 0);
		assert_true(e2e_num(r.result, "strategy.resyncs") == 0);
		assert_true(e2e_num(r.result, "scan.doorbell_rounds") > 0);
		e2e_run_free(&r);
	}
}

/* One event in the ring: drawing a frame overflows it at once, so the front
 * end merges into its box and each commit waits for room; nothing is lost. */
static void test_pvrects_tiny_ring(void **state)
{
	static const char *const loads[] = { "scrolling", "sparse", "typing", NULL };

	(void)state;
	skip_without_kvm();
	for (const char *const *w = loads; *w; w++) {
		struct e2e_run r;

		run_clean(&r, "pvrects", *w, (const char *const[]){ "--sopt", "ring=1", NULL });
		assert_true(e2e_num(r.result, "strategy.ring_full") > 0);
		assert_true(e2e_num(r.result, "strategy.merges") > 0);
		assert_true(e2e_num(r.result, "strategy.commit_waits") > 0);
		e2e_run_free(&r);
	}
}

/* The other options: per-frame events, a doorbell only on empty -> non-empty,
 * no scroll detector, a queue of one rectangle per round. */
static void test_pvrects_options(void **state)
{
	struct e2e_run r;

	(void)state;
	skip_without_kvm();
	run_clean(&r, "pvrects", "sparse", (const char *const[]){ "--sopt", "events=frame,notify=empty,ring=2", NULL });
	assert_true(e2e_num(r.result, "strategy.events_per_frame") <= 1.0);
	e2e_run_free(&r);
	run_clean(&r, "pvrects", "scrolling", (const char *const[]){ "--sopt", "half=0,queue=1", NULL });
	assert_true(e2e_num(r.result, "strategy.rounds_fullscreen_half") == 0);
	assert_true(e2e_num(r.result, "strategy.rounds_fullscreen_queue") > 0);
	e2e_run_free(&r);
}

/* Two descriptors: one frame's transfer and flush fill the queue; up to 16
 * rectangles a frame on a queue of 32. */
static void test_virtio_gpu_small_queue_and_rects(void **state)
{
	struct e2e_run r;

	(void)state;
	skip_without_kvm();
	run_clean(&r, "virtio-gpu", "sparse", (const char *const[]){ "--sopt", "queue=2", NULL });
	assert_true(e2e_num(r.result, "strategy.commands_per_frame") <= 2.0);
	e2e_run_free(&r);
	run_clean(&r, "virtio-gpu", "sparse", (const char *const[]){ "--sopt", "queue=32,rects=16", NULL });
	assert_true(e2e_num(r.result, "strategy.merges") > 0);
	assert_true(e2e_num(r.result, "strategy.commands_per_frame") > 2.0);
	e2e_run_free(&r);
	run_clean(&r, "virtio-gpu", "video", (const char *const[]){ "--sopt", "event_idx=0", NULL });
	assert_true(e2e_num(r.result, "strategy.kicks_suppressed") == 0);
	e2e_run_free(&r);
}

/* The device stops returning descriptors after 4 commands: the guest waits
 * at most wait_us once, then resyncs every frame (counted); 0 missed. */
static void test_virtio_gpu_stalled_device(void **state)
{
	static const char *const loads[] = { "video", "scrolling", NULL };

	(void)state;
	skip_without_kvm();
	for (const char *const *w = loads; *w; w++) {
		struct e2e_run r;

		run_clean(&r, "virtio-gpu", *w, (const char *const[]){ "--sopt", "queue=4,stall_after=4,wait_us=500", NULL });
		assert_true(e2e_num(r.result, "strategy.descriptors_held") > 0);
		assert_true(e2e_num(r.result, "strategy.ring_full_timeouts") >= 1);
		assert_true(e2e_num(r.result, "strategy.resync_frames") > 0);
		assert_true(e2e_num(r.result, "strategy.resyncs") > 0);
		assert_true(e2e_num(r.result, "guest.frames_measured") > 10);     /* it went on drawing */
		e2e_run_free(&r);
	}
}

/* --wake: the doorbell alone (timer at the watchdog's pace), the timer alone
 * (no doorbell round), and kicks coalesced by --max-event-rate. */
static void test_wake_modes(void **state)
{
	struct e2e_run r;

	(void)state;
	skip_without_kvm();
	run_clean(&r, "pvrects", "typing", (const char *const[]){ "--wake", "doorbell", NULL });
	assert_string_equal(scan_wake(&r), "doorbell");
	assert_true(e2e_num(r.result, "scan.doorbell_rounds") > 0);
	assert_true(e2e_num(r.result, "scan.rounds") < 60);     /* not the 60 Hz timer */
	e2e_run_free(&r);
	run_clean(&r, "virtio-gpu", "typing", (const char *const[]){ "--wake", "timer", NULL });
	assert_string_equal(scan_wake(&r), "timer");
	assert_true(e2e_num(r.result, "scan.doorbell_rounds") == 0);
	e2e_run_free(&r);
	run_clean(&r, "pvrects", "sparse", (const char *const[]){ "--max-event-rate", "100", NULL });
	assert_true(e2e_num(r.result, "scan.doorbells") > e2e_num(r.result, "scan.doorbell_rounds"));
	assert_true(e2e_num(r.result, "scan.max_event_rate_hz") == 100);
	e2e_run_free(&r);
}

static int dir_entries(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int n = 0;

	assert_non_null(d);
	while ((e = readdir(d)))
		n += strcmp(e->d_name, ".") && strcmp(e->d_name, "..");
	closedir(d);
	return n;
}

/* Exit 2, one line holding needle, no result file. */
static void expect_refused(const char *strategy, const char *opt, const char *value, const char *needle)
{
	char dir[] = "/tmp/dirtybench-rects-XXXXXX", out[64];
	struct e2e_run r;

	assert_non_null(mkdtemp(dir));
	snprintf(out, sizeof(out), "%s/r.json", dir);
	e2e_run(&r, (const char *const[]){ e2e_binary(), strategy, "idle", "--duration", "0.2", "--warmup", "0",
		"--res", "64x64", "--quiet", "--out", out, opt, value, NULL });
	if (r.status != EXIT_BAD_INPUT || e2e_lines(r.stderr_text) != 1 || !strstr(r.stderr_text, needle))
		fail_msg("%s %s %s: exit %d, want 2 and one line with \"%s\": %s", strategy, opt, value, r.status,
			 needle, r.stderr_text);
	assert_int_equal(dir_entries(dir), 0);
	e2e_run_free(&r);
	rmdir(dir);
}

static void test_bad_input(void **state)
{
	(void)state;
	expect_refused("pvrects", "--sopt", "ring=0", "ring=0");
	expect_refused("pvrects", "--sopt", "ring=4097", "ring=4097");
	expect_refused("pvrects", "--sopt", "events=pixel", "events=pixel");
	expect_refused("pvrects", "--sopt", "queue=0", "queue=0");
	expect_refused("virtio-gpu", "--sopt", "rects=0", "rects=0");
	expect_refused("virtio-gpu", "--sopt", "rects=17", "rects=17");
	expect_refused("virtio-gpu", "--sopt", "queue=512", "queue=512");
	expect_refused("none", "--wake", "sometimes", "--wake sometimes");
	expect_refused("pvrects", "--max-event-rate", "-1", "--max-event-rate -1");
	expect_refused("memcmp", "--wake", "doorbell", "rings no doorbell");
	if (e2e_kvm_unusable())
		return;         /* the two below are checked once a VM exists */
	expect_refused("virtio-gpu", "--sopt", "queue=48", "power of two");
	expect_refused("virtio-gpu", "--sopt", "queue=8,rects=5", "cannot hold one frame");
}

/* The Xen back end has no doorbell: exit 4 with the reason (or the reason
 * this host has no Xen at all, which comes after it when Xen is built). */
static void test_xen_refuses(void **state)
{
	static const char *const names[] = { "pvrects", "virtio-gpu", NULL };

	(void)state;
	for (const char *const *s = names; *s; s++) {
		struct e2e_run r;

		e2e_run(&r, (const char *const[]){ e2e_binary(), "--backend", "xen", "--domain", "nosuch", *s, "idle",
			"--duration", "0.2", "--warmup", "0", "--quiet", "--out", "/dev/null", NULL });
		assert_int_equal(r.status, EXIT_UNSUPPORTED);
		assert_int_equal(e2e_lines(r.stderr_text), 1);
		assert_true(strstr(r.stderr_text, "no doorbell") || strstr(r.stderr_text, "without Xen"));
		e2e_run_free(&r);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_bad_input),
		cmocka_unit_test(test_xen_refuses),
		cmocka_unit_test(test_pvrects_every_workload),
		cmocka_unit_test(test_virtio_gpu_every_workload),
		cmocka_unit_test(test_pvrects_tiny_ring),
		cmocka_unit_test(test_pvrects_options),
		cmocka_unit_test(test_virtio_gpu_small_queue_and_rects),
		cmocka_unit_test(test_virtio_gpu_stalled_device),
		cmocka_unit_test(test_wake_modes),
	};
	return cmocka_run_group_tests_name("rects_vm", tests, NULL, NULL);
}
