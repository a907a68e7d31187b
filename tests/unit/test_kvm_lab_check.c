/*
 * The KVM lab's verdict (scripts/kvm-lab/check) on what its guest brought
 * out: the judge shared with the Xen lab (scripts/lab/check) plus what makes
 * this lab worth running. It must fail when KVM in the guest was not on
 * nested paging (the guest's own parameters, or any result's platform
 * block), when ptebits chose a re-arm other than the TDP one (a guest TLB
 * flush) by itself, when no negative control (ptebits rearm=none) was
 * caught by the oracle or one failed otherwise, when the guest's clock source
 * is not the TSC, when the kernel lacks soft-dirty, and on a missed
 * update; and pass a clean lab, recording refusals with their reason. The
 * lab itself (make kvm-lab, in .ci/run) produces these files for real; here
 * they are written by hand so each verdict is pinned.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "tests/lib/lab_fixture.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#define NEGATIVE "ptebits:drag@60/sopt.rearm=none/expect-miss"
#define TDP "{\"module\": \"kvm_amd\", \"npt\": true, \"tdp_mmu\": true, \"paging\": \"tdp\"}"
#define SHADOW "{\"module\": \"kvm_pvm\", \"npt\": null, \"tdp_mmu\": false, \"paging\": \"shadow\"}"

/* What the guest's kernel said and was built with: NPT on, the TDP MMU on. */
static void good_guest(const struct lab *l)
{
	lab_append(l, "platform.txt", "kvm_amd/parameters/npt=Y\nkvm_amd/parameters/nrips=0\n"
	       "kvm/parameters/tdp_mmu=Y\nclocksource=tsc\ndev_kvm=present\n");
	lab_append(l, "kernel-config.txt", "CONFIG_MEM_SOFT_DIRTY=y\nCONFIG_USERFAULTFD=y\n");
}

/* A run that exited rc; with a result on platform `kvm`, `missed` missed and
 * (for ptebits) `strategy` as its strategy block. */
static void add_run(const struct lab *l, const char *s, const char *w, int rc, int missed,
		    const char *kvm, const char *strategy)
{
	char file[96];

	lab_append(l, "status", "%s %s %d\n", s, w, rc);
	if (rc)
		return;
	snprintf(file, sizeof(file), "results/%s-%s.json", s, w);
	lab_append(l, file, "{\"run\": {\"strategy\": \"%s\", \"workload\": \"%s\", \"options\": {\"rate_hz\": 60}},"
	       " \"platform\": {\"clocksource\": \"%s\", \"kvm\": %s}, \"strategy\": %s,"
	       " \"dirty\": {\"frames_checked\": 60, \"frames_missed\": %d},"
	       " \"guest\": {\"fps_achieved\": 30, \"draw_cycles_per_frame\": 1000000},"
	       " \"exits\": {\"exits_per_frame\": 2.5},"
	       " \"scan\": {\"time_us\": {\"p50\": 20}}, \"latency_us\": {\"p50\": 8000}}\n",
	       s, w, strcmp(w, "hpet-clock") ? "tsc" : "hpet", kvm, strategy ? strategy : "{}", missed);
}

/* The negative control as the guest runs it: exit 1 on a missed update. */
static void add_negative(const struct lab *l, int rc, const char *message)
{
	lab_append(l, "status", "ptebits drag/sopt.rearm=none/expect-miss %d\n", rc);
	if (message)
		lab_append(l, "log", "run-bench: ptebits drag/sopt.rearm=none/expect-miss: %s\n", message);
}

static int check(struct lab *l, const char *runs)
{
	char cmd[512];
	FILE *p;
	size_t n;
	int status;

	snprintf(cmd, sizeof(cmd), "scripts/kvm-lab/check '%s' '%s' 2>&1", l->dir, runs);
	p = popen(cmd, "r");
	assert_non_null(p);
	n = fread(l->output, 1, sizeof(l->output) - 1, p);
	l->output[n] = 0;
	status = pclose(p);
	assert_true(WIFEXITED(status));
	return WEXITSTATUS(status);
}

static const char *const ptebits_tlb = "{\"rearm\": \"tlb\", \"rearm_reason\": \"auto: TDP paging\"}";

static void clean_lab_passes(void **state)
{
	struct lab *l = *state;
	char cmd[256];

	good_guest(l);
	add_run(l, "none", "video", 0, 0, TDP, NULL);
	add_run(l, "ptebits", "video", 0, 0, TDP, ptebits_tlb);
	add_run(l, "softdirty", "video", 4, 0, TDP, NULL);
	lab_append(l, "log", "run-bench: softdirty video: the kernel has no soft-dirty\n");
	add_negative(l, 1, "MISSED UPDATE: ptebits missed a change: frame 1: 244 tile(s) changed but never reported");
	lab_append(l, "status", "done failed=0\n");
	assert_int_equal(check(l, "none:video@60+ptebits:video@60+softdirty:video@60+" NEGATIVE), 0);
	assert_non_null(strstr(l->output, "unsupported: the kernel has no soft-dirty"));
	assert_non_null(strstr(l->output, "negative control caught by the oracle: MISSED UPDATE"));
	assert_non_null(strstr(l->output, "KVM ran on nested paging"));
	snprintf(cmd, sizeof(cmd), "jq -e '.negative_controls[0].strategy == \"ptebits\" and "
		 "(.runs[] | select(.strategy == \"ptebits\") | .rearm == \"tlb\" and .paging == \"tdp\")' "
		 "'%s/summary.json' >/dev/null", l->dir);
	assert_int_equal(system(cmd), 0);
}

static void negative_control_not_caught_fails(void **state)
{
	struct lab *l = *state;

	good_guest(l);
	add_run(l, "none", "video", 0, 0, TDP, NULL);
	add_negative(l, 0, NULL);
	lab_append(l, "status", "done failed=0\n");
	assert_int_equal(check(l, "none:video@60+" NEGATIVE), 1);
	assert_non_null(strstr(l->output, "none of 1 negative control(s) was caught"));
}

/* Under TCG a negative control may pass by chance (the emulated TLB is
 * flushed at every VM entry): one caught among several is enough. */
static void one_negative_control_caught_is_enough(void **state)
{
	struct lab *l = *state;

	good_guest(l);
	add_negative(l, 0, NULL);
	lab_append(l, "status", "ptebits fullscreen/sopt.rearm=none/expect-miss 1\n");
	lab_append(l, "log", "run-bench: ptebits fullscreen/sopt.rearm=none/expect-miss: MISSED UPDATE: frame 3\n");
	lab_append(l, "status", "done failed=0\n");
	assert_int_equal(check(l, NEGATIVE "+ptebits:fullscreen@60/sopt.rearm=none/expect-miss"), 0);
	assert_non_null(strstr(l->output, "not caught in this run"));
	assert_non_null(strstr(l->output, "caught by the oracle: MISSED UPDATE: frame 3"));
}

/* Failed, but not on a missed update (e.g. the guest crashed): not caught. */
static void negative_control_failing_otherwise_fails(void **state)
{
	struct lab *l = *state;

	good_guest(l);
	add_negative(l, 1, "guest failed: KVM_RUN: Bad address");
	lab_append(l, "status", "done failed=0\n");
	assert_int_equal(check(l, NEGATIVE), 1);
	assert_non_null(strstr(l->output, "negative control failed otherwise"));
}

static void shadow_platform_block_fails(void **state)
{
	struct lab *l = *state;

	good_guest(l);
	add_run(l, "none", "video", 0, 0, SHADOW, NULL);
	lab_append(l, "status", "done failed=0\n");
	assert_int_equal(check(l, "none:video@60"), 1);
	assert_non_null(strstr(l->output, "does not say kvm_amd, npt, tdp_mmu, paging tdp"));
}

static void guest_without_npt_fails(void **state)
{
	struct lab *l = *state;

	lab_append(l, "platform.txt", "kvm_amd/parameters/npt=N\nkvm/parameters/tdp_mmu=Y\nclocksource=tsc\ndev_kvm=present\n");
	lab_append(l, "kernel-config.txt", "CONFIG_MEM_SOFT_DIRTY=y\n");
	add_run(l, "none", "video", 0, 0, TDP, NULL);
	lab_append(l, "status", "done failed=0\n");
	assert_int_equal(check(l, "none:video@60"), 1);
	assert_non_null(strstr(l->output, "did not say kvm_amd/parameters/npt=Y"));
}

/* ptebits choosing the shadow re-arm by itself on TDP fails; a re-arm
 * forced with --sopt is the run's own business. */
static void ptebits_rearm_judged_when_automatic(void **state)
{
	struct lab *l = *state;

	good_guest(l);
	add_run(l, "ptebits", "video", 0, 0, TDP, "{\"rearm\": \"none\", \"rearm_reason\": \"forced by --sopt rearm\"}");
	lab_append(l, "status", "done failed=0\n");
	assert_int_equal(check(l, "ptebits:video@60"), 0);
	add_run(l, "ptebits", "idle", 0, 0, TDP, "{\"rearm\": \"mapping\", \"rearm_reason\": \"auto: shadow paging\"}");
	assert_int_equal(check(l, "ptebits:video@60+ptebits:idle@60"), 1);
	assert_non_null(strstr(l->output, "not by a guest TLB flush"));
}

/* A guest whose TSC is not its clock source (marked unstable): KVM moves
 * the nested guest's TSC offset and the oracle's dates are wrong. */
static void guest_off_the_tsc_fails(void **state)
{
	struct lab *l = *state;

	lab_append(l, "platform.txt", "kvm_amd/parameters/npt=Y\nkvm/parameters/tdp_mmu=Y\nclocksource=hpet\ndev_kvm=present\n");
	lab_append(l, "kernel-config.txt", "CONFIG_MEM_SOFT_DIRTY=y\n");
	add_run(l, "none", "video", 0, 0, TDP, NULL);
	lab_append(l, "status", "done failed=0\n");
	assert_int_equal(check(l, "none:video@60"), 1);
	assert_non_null(strstr(l->output, "did not say clocksource=tsc"));
}

/* The same said by a result's platform block (collectors/platform.c). */
static void result_off_the_tsc_fails(void **state)
{
	struct lab *l = *state;

	good_guest(l);
	add_run(l, "none", "hpet-clock", 0, 0, TDP, NULL);
	lab_append(l, "status", "done failed=0\n");
	assert_int_equal(check(l, "none:hpet-clock@60"), 1);
	assert_non_null(strstr(l->output, "platform.clocksource is \"hpet\", not \"tsc\""));
}

static void kernel_without_soft_dirty_fails(void **state)
{
	struct lab *l = *state;

	lab_append(l, "platform.txt", "kvm_amd/parameters/npt=Y\nkvm/parameters/tdp_mmu=Y\nclocksource=tsc\ndev_kvm=present\n");
	lab_append(l, "kernel-config.txt", "CONFIG_USERFAULTFD=y\n");
	add_run(l, "none", "video", 0, 0, TDP, NULL);
	lab_append(l, "status", "done failed=0\n");
	assert_int_equal(check(l, "none:video@60"), 1);
	assert_non_null(strstr(l->output, "no CONFIG_MEM_SOFT_DIRTY=y"));
}

static void missed_update_fails(void **state)
{
	struct lab *l = *state;

	good_guest(l);
	add_run(l, "ptebits", "scrolling", 1, 0, TDP, NULL);
	lab_append(l, "log", "run-bench: ptebits scrolling: MISSED UPDATE: ptebits missed a change: frame 24\n");
	lab_append(l, "status", "done failed=1\n");
	assert_int_equal(check(l, "ptebits:scrolling@60"), 1);
	assert_non_null(strstr(l->output, "FAILED: run-bench: ptebits scrolling: MISSED UPDATE"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(clean_lab_passes, lab_setup, lab_teardown),
		cmocka_unit_test_setup_teardown(negative_control_not_caught_fails, lab_setup, lab_teardown),
		cmocka_unit_test_setup_teardown(one_negative_control_caught_is_enough, lab_setup, lab_teardown),
		cmocka_unit_test_setup_teardown(negative_control_failing_otherwise_fails, lab_setup, lab_teardown),
		cmocka_unit_test_setup_teardown(shadow_platform_block_fails, lab_setup, lab_teardown),
		cmocka_unit_test_setup_teardown(guest_without_npt_fails, lab_setup, lab_teardown),
		cmocka_unit_test_setup_teardown(ptebits_rearm_judged_when_automatic, lab_setup, lab_teardown),
		cmocka_unit_test_setup_teardown(guest_off_the_tsc_fails, lab_setup, lab_teardown),
		cmocka_unit_test_setup_teardown(result_off_the_tsc_fails, lab_setup, lab_teardown),
		cmocka_unit_test_setup_teardown(kernel_without_soft_dirty_fails, lab_setup, lab_teardown),
		cmocka_unit_test_setup_teardown(missed_update_fails, lab_setup, lab_teardown),
	};

	return cmocka_run_group_tests_name("kvm lab check", tests, NULL, NULL);
}
