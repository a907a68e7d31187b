/*
 * Unit tests for bench/platform.c: host fields without KVM, the KVM
 * description when /dev/kvm opens (skipped, never passed, when it does not),
 * paging-mode lookup and the source revision string.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <regex.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "collectors/platform.h"

static const char *const cap_names[] = {
	"KVM_CAP_DIRTY_LOG_RING", "KVM_CAP_DIRTY_LOG_RING_ACQ_REL",
	"KVM_CAP_MANUAL_DIRTY_LOG_PROTECT2", "KVM_CAP_BINARY_STATS_FD",
	"KVM_CAP_GET_TSC_KHZ", "KVM_CAP_TSC_CONTROL", "KVM_CAP_VCPU_ATTRIBUTES",
	"KVM_CAP_IMMEDIATE_EXIT", "KVM_CAP_READONLY_MEM", "KVM_CAP_IRQCHIP",
	"KVM_CAP_NR_MEMSLOTS", "KVM_CAP_USER_MEMORY2",
};

static bool is_bool_or_null(const json_t *j)
{
	return json_is_boolean(j) || json_is_null(j);
}

static void check_host_fields(const json_t *p)
{
	struct utsname u;
	const char *model = json_string_value(json_object_get(p, "cpu_model"));

	assert_int_equal(uname(&u), 0);
	assert_string_equal(json_string_value(json_object_get(p, "kernel")), u.release);
	assert_string_equal(json_string_value(json_object_get(p, "machine")), u.machine);
	assert_string_equal(json_string_value(json_object_get(p, "hostname")), u.nodename);
	assert_non_null(model);
	assert_true(strlen(model) > 0);
	assert_true(json_integer_value(json_object_get(p, "cpus_online")) >= 1);
	assert_true(json_integer_value(json_object_get(p, "memory_bytes")) > 0);
	assert_true(json_is_boolean(json_object_get(p, "nested")));
	assert_true(json_is_boolean(json_object_get(p, "avx2")));
}

static void test_detect_without_kvm(void **state)
{
	json_t *p = platform_detect(-1);
	const char *reason;

	(void)state;
	assert_non_null(p);
	check_host_fields(p);
	assert_non_null(json_object_get(p, "kvm"));     /* present ... */
	assert_true(json_is_null(json_object_get(p, "kvm")));   /* ... as null */
	reason = json_string_value(json_object_get(p, "kvm_unavailable_reason"));
	assert_non_null(reason);
	assert_true(strlen(reason) > 0);
	assert_string_equal(platform_paging_mode(p), "unknown");
	json_decref(p);
}

static void check_kvm_module(const json_t *kvm)
{
	const char *module = json_string_value(json_object_get(kvm, "module"));
	const json_t *modules = json_object_get(kvm, "modules");
	const char *paging = json_string_value(json_object_get(kvm, "paging"));

	assert_non_null(module);
	assert_true(json_is_array(modules));
	if (json_array_size(modules))   /* the preferred one is listed first */
		assert_string_equal(module, json_string_value(json_array_get(modules, 0)));
	else
		assert_string_equal(module, "unknown");
	assert_non_null(paging);
	if (strcmp(module, "unknown"))
		assert_true(!strcmp(paging, "tdp") || !strcmp(paging, "shadow"));
	else
		assert_string_equal(paging, "unknown");
	if (!strcmp(module, "kvm_pvm"))
		assert_string_equal(paging, "shadow");
}

static void test_detect_with_kvm(void **state)
{
	int fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	json_t *p, *kvm, *caps;

	(void)state;
	if (fd < 0) {
		print_message("skipping: /dev/kvm: %s\n", strerror(errno));
		skip();
	}
	p = platform_detect(fd);
	close(fd);
	assert_non_null(p);
	check_host_fields(p);
	kvm = json_object_get(p, "kvm");
	assert_true(json_is_object(kvm));
	assert_null(json_object_get(p, "kvm_unavailable_reason"));
	assert_int_equal(json_integer_value(json_object_get(kvm, "api_version")), 12);
	check_kvm_module(kvm);
	assert_string_equal(platform_paging_mode(p),
			    json_string_value(json_object_get(kvm, "paging")));
	assert_true(is_bool_or_null(json_object_get(kvm, "tdp_mmu")));
	assert_non_null(json_object_get(kvm, "ept"));
	assert_non_null(json_object_get(kvm, "npt"));
	assert_non_null(json_object_get(kvm, "pml"));
	caps = json_object_get(kvm, "capabilities");
	for (size_t i = 0; i < sizeof(cap_names) / sizeof(cap_names[0]); i++)
		assert_true(json_is_integer(json_object_get(caps, cap_names[i])));
	/* Every KVM has memory slots; a 0 here means the ioctl went wrong. */
	assert_true(json_integer_value(json_object_get(caps, "KVM_CAP_NR_MEMSLOTS")) > 0);
	json_decref(p);
}

static void test_paging_mode(void **state)
{
	static const char *const cases[][2] = {
		{ "{\"kvm\": {\"paging\": \"tdp\"}}", "tdp" },
		{ "{\"kvm\": {\"paging\": \"shadow\"}}", "shadow" },
		{ "{\"kvm\": {\"paging\": \"ept\"}}", "unknown" },
		{ "{\"kvm\": {\"paging\": 1}}", "unknown" },
		{ "{\"kvm\": null}", "unknown" },
		{ "{}", "unknown" },
		{ "[]", "unknown" },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		json_t *j = json_loads(cases[i][0], 0, NULL);

		assert_non_null(j);
		assert_string_equal(platform_paging_mode(j), cases[i][1]);
		json_decref(j);
	}
	assert_string_equal(platform_paging_mode(NULL), "unknown");
}

/* Either a real revision or "unknown" (a binary outside a git tree, or a
 * tree without commits), never anything in between. */
static void test_git_revision(void **state)
{
	char buf[64], tiny[4];
	regex_t re;
	int r;

	(void)state;
	assert_int_equal(regcomp(&re, "^[0-9a-f]{12,40}(-dirty)?$", REG_EXTENDED | REG_NOSUB), 0);
	r = platform_git_revision(buf, sizeof(buf));
	print_message("revision: %s\n", buf);
	if (r == 0)
		assert_int_equal(regexec(&re, buf, 0, NULL, 0), 0);
	else
		assert_string_equal(buf, "unknown");
	regfree(&re);
	assert_int_equal(platform_git_revision(tiny, sizeof(tiny)), -1);
	assert_true(strlen(tiny) < sizeof(tiny));
	assert_int_equal(platform_git_revision(NULL, 0), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_detect_without_kvm),
		cmocka_unit_test(test_detect_with_kvm),
		cmocka_unit_test(test_paging_mode),
		cmocka_unit_test(test_git_revision),
	};

	return cmocka_run_group_tests_name("platform", tests, NULL, NULL);
}
