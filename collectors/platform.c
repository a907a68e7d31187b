/*
 * Host platform detection for the result JSON (see platform.h). Everything
 * is read from uname, /proc, /sys and KVM ioctls at run time: users run the
 * suite on hosts unlike ours, so nothing here may be assumed.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "collectors/platform.h"
#include "core/run_state.h"
#include "revision.h"
#include "include/compiler.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <spawn.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <unistd.h>

#include <linux/kvm.h>

/* Debian's headers are 6.1; these are the upstream numbers. */
#ifndef KVM_CAP_DIRTY_LOG_RING_ACQ_REL
#define KVM_CAP_DIRTY_LOG_RING_ACQ_REL 223
#endif
#ifndef KVM_CAP_USER_MEMORY2
#define KVM_CAP_USER_MEMORY2 231
#endif

#define PLATFORM_CAP(name) { #name, name }

static const struct {
	const char *name;
	int cap;
} platform_caps[] = {
	PLATFORM_CAP(KVM_CAP_DIRTY_LOG_RING),
	PLATFORM_CAP(KVM_CAP_DIRTY_LOG_RING_ACQ_REL),
	PLATFORM_CAP(KVM_CAP_MANUAL_DIRTY_LOG_PROTECT2),
	PLATFORM_CAP(KVM_CAP_BINARY_STATS_FD),
	PLATFORM_CAP(KVM_CAP_GET_TSC_KHZ),
	PLATFORM_CAP(KVM_CAP_TSC_CONTROL),
	PLATFORM_CAP(KVM_CAP_VCPU_ATTRIBUTES),
	PLATFORM_CAP(KVM_CAP_IMMEDIATE_EXIT),
	PLATFORM_CAP(KVM_CAP_READONLY_MEM),
	PLATFORM_CAP(KVM_CAP_IRQCHIP),
	PLATFORM_CAP(KVM_CAP_NR_MEMSLOTS),
	PLATFORM_CAP(KVM_CAP_USER_MEMORY2),
};

/* In order of preference: PVM can be loaded beside kvm_intel/kvm_amd, and
 * when it is, it is the one our VMs are likely to run on. */
static const char *const platform_kvm_modules[] = {
	"kvm_pvm", "kvm_intel", "kvm_amd",
};

/* --- small readers --------------------------------------------------------- */

static int platform_read_line(const char *path, char *buf, size_t len)
{
	FILE *f = fopen(path, "re");
	bool ok;

	if (!f)
		return -1;
	ok = fgets(buf, (int)len, f) != NULL;
	fclose(f);
	if (!ok)
		return -1;
	buf[strcspn(buf, "\n")] = '\0';
	return 0;
}

/* A bool module parameter: true/false, null when absent, the raw text when
 * it is neither (so nothing is lost). */
static json_t *platform_sysfs_flag(const char *module, const char *param)
{
	char path[256], val[64];

	snprintf(path, sizeof(path), "/sys/module/%s/parameters/%s", module, param);
	if (platform_read_line(path, val, sizeof(val)) < 0)
		return json_null();
	if (!strcmp(val, "Y") || !strcmp(val, "y") || !strcmp(val, "1"))
		return json_true();
	if (!strcmp(val, "N") || !strcmp(val, "n") || !strcmp(val, "0"))
		return json_false();
	return json_string(val);
}

static bool platform_has_word(const char *list, const char *word)
{
	size_t n = strlen(word);

	for (const char *p = list; (p = strstr(p, word)) != NULL; p += n) {
		bool start = p == list || p[-1] == ' ' || p[-1] == '\t';
		bool end = p[n] == '\0' || p[n] == ' ' || p[n] == '\n';

		if (start && end)
			return true;
	}
	return false;
}

/* Value of a "key\t: value" line of /proc/cpuinfo, or NULL. */
static const char *platform_cpuinfo_value(const char *line, const char *key)
{
	size_t n = strlen(key);
	const char *colon;

	if (strncmp(line, key, n) || (line[n] != ' ' && line[n] != '\t' && line[n] != ':'))
		return NULL;
	colon = strchr(line + n, ':');
	if (!colon)
		return NULL;
	colon++;
	return colon + strspn(colon, " \t");
}

/* --- host ------------------------------------------------------------------ */

/* Only the first processor's block: the model and flags are uniform. */
static void platform_cpuinfo(json_t *o)
{
	FILE *f = fopen("/proc/cpuinfo", "re");
	char *line = NULL, *model = NULL;
	size_t cap = 0;
	bool nested = false, flags_seen = false;

	while (f && !(model && flags_seen) && getline(&line, &cap, f) > 0) {
		const char *v;

		line[strcspn(line, "\n")] = '\0';
		if (!model && (v = platform_cpuinfo_value(line, "model name")))
			model = strdup(v);
		if (!flags_seen && (v = platform_cpuinfo_value(line, "flags"))) {
			nested = platform_has_word(v, "hypervisor");
			flags_seen = true;
		}
	}
	if (f)
		fclose(f);
	json_object_set_new(o, "cpu_model", model ? json_string(model) : json_null());
	json_object_set_new(o, "nested", json_boolean(nested));
	free(model);
	free(line);
}

static bool platform_avx2(void)
{
#if defined(__x86_64__) || defined(__i386__)
	__builtin_cpu_init();
	return __builtin_cpu_supports("avx2");
#else
	return false;
#endif
}

/* The kernel's clock source: "tsc" unless the kernel marked the TSC
 * unstable, and then KVM moves a guest's TSC offset at every KVM_RUN
 * (kvm_arch_vcpu_load, arch/x86/kvm/x86.c): the oracle dates frames by the
 * guest's TSC, so its verdicts need "tsc" (scripts/kvm-lab/check). */
static json_t *platform_clocksource(void)
{
	char val[64];

	if (platform_read_line("/sys/devices/system/clocksource/clocksource0/current_clocksource",
			       val, sizeof(val)) < 0)
		return json_null();
	return json_string(val);
}

static void platform_host(json_t *o)
{
	struct utsname u;
	long pages = sysconf(_SC_PHYS_PAGES), psize = sysconf(_SC_PAGESIZE);
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);
	bool have_uname = uname(&u) == 0;

	json_object_set_new(o, "kernel", have_uname ? json_string(u.release) : json_null());
	json_object_set_new(o, "machine", have_uname ? json_string(u.machine) : json_null());
	json_object_set_new(o, "hostname", have_uname ? json_string(u.nodename) : json_null());
	platform_cpuinfo(o);
	json_object_set_new(o, "cpus_online", cpus > 0 ? json_integer(cpus) : json_null());
	json_object_set_new(o, "avx2", json_boolean(platform_avx2()));
	json_object_set_new(o, "clocksource", platform_clocksource());
	json_object_set_new(o, "memory_bytes", pages > 0 && psize > 0 ?
			    json_integer((json_int_t)pages * psize) : json_null());
}

/* --- KVM ------------------------------------------------------------------- */

/* Fills "modules" with every vendor module present; returns the preferred. */
static const char *platform_kvm_module(json_t *kvm)
{
	json_t *all = json_array();
	const char *chosen = "unknown";
	char path[64];

	for (size_t i = 0; i < ARRAY_SIZE(platform_kvm_modules); i++) {
		snprintf(path, sizeof(path), "/sys/module/%s", platform_kvm_modules[i]);
		if (access(path, F_OK) < 0)
			continue;
		if (!json_array_size(all))
			chosen = platform_kvm_modules[i];
		json_array_append_new(all, json_string(platform_kvm_modules[i]));
	}
	json_object_set_new(kvm, "module", json_string(chosen));
	json_object_set_new(kvm, "modules", all);
	return chosen;
}

/* PVM has no EPT/NPT path: it is shadow paging (docs/HOST.md). An unknown
 * module (another architecture) is not guessed at. */
static const char *platform_kvm_paging(const char *module, const json_t *kvm)
{
	if (!strcmp(module, "kvm_intel"))
		return json_is_true(json_object_get(kvm, "ept")) ? "tdp" : "shadow";
	if (!strcmp(module, "kvm_amd"))
		return json_is_true(json_object_get(kvm, "npt")) ? "tdp" : "shadow";
	if (!strcmp(module, "kvm_pvm"))
		return "shadow";
	return "unknown";
}

/* Each capability's KVM_CHECK_EXTENSION result; -errno if the ioctl fails. */
static json_t *platform_kvm_caps(int kvm_fd)
{
	json_t *caps = json_object();

	for (size_t i = 0; i < ARRAY_SIZE(platform_caps); i++) {
		int r = ioctl(kvm_fd, KVM_CHECK_EXTENSION, platform_caps[i].cap);

		json_object_set_new(caps, platform_caps[i].name,
				    json_integer(r < 0 ? -errno : r));
	}
	return caps;
}

static json_t *platform_kvm(int kvm_fd)
{
	json_t *kvm = json_object();
	int api = ioctl(kvm_fd, KVM_GET_API_VERSION, 0);
	const char *module;

	json_object_set_new(kvm, "api_version", json_integer(api < 0 ? -errno : api));
	module = platform_kvm_module(kvm);
	json_object_set_new(kvm, "tdp_mmu", platform_sysfs_flag("kvm", "tdp_mmu"));
	json_object_set_new(kvm, "ept", platform_sysfs_flag("kvm_intel", "ept"));
	json_object_set_new(kvm, "npt", platform_sysfs_flag("kvm_amd", "npt"));
	json_object_set_new(kvm, "pml", platform_sysfs_flag("kvm_intel", "enable_pml"));
	json_object_set_new(kvm, "paging", json_string(platform_kvm_paging(module, kvm)));
	json_object_set_new(kvm, "capabilities", platform_kvm_caps(kvm_fd));
	return kvm;
}

/* The caller only says it has no fd; the device node usually says why. */
static json_t *platform_kvm_reason(void)
{
	char msg[128];

	if (access("/dev/kvm", R_OK | W_OK) < 0)
		snprintf(msg, sizeof(msg), "/dev/kvm: %s", strerror(errno));
	else
		snprintf(msg, sizeof(msg), "/dev/kvm is accessible but was not opened");
	return json_string(msg);
}

json_t *platform_detect(int kvm_fd)
{
	json_t *o = json_object();

	if (!o)
		return NULL;
	platform_host(o);
	if (kvm_fd < 0) {
		json_object_set_new(o, "kvm", json_null());
		json_object_set_new(o, "kvm_unavailable_reason", platform_kvm_reason());
	} else {
		json_object_set_new(o, "kvm", platform_kvm(kvm_fd));
	}
	return o;
}

const char *platform_paging_mode(const json_t *platform)
{
	const json_t *kvm = json_object_get(platform, "kvm");
	const char *p = json_string_value(json_object_get(kvm, "paging"));

	if (p && !strcmp(p, "tdp"))
		return "tdp";
	if (p && !strcmp(p, "shadow"))
		return "shadow";
	return "unknown";
}

/* --- source revision ------------------------------------------------------- */

/* The source revision is fixed when the binary is built (scripts/revision,
 * build/gen/revision.h): a result names the code that produced it, not
 * whatever the tree holds when it runs. */
int platform_git_revision(char *buf, size_t len)
{
	int n;

	if (!buf || !len)
		return -1;
	if (!strcmp(DB_GIT_REVISION, "unknown")) {
		snprintf(buf, len, "unknown");
		return -1;
	}
	n = snprintf(buf, len, "%s", DB_GIT_REVISION);
	return n >= 0 && (size_t)n < len ? 0 : -1;
}

/* --- the "platform" collector: what the back end says it ran on ----------- */

static json_t *platform_collect_json(struct collector *c, const struct run_state *rs)
{
	(void)c;
	return rs->brun->platform((struct run_state *)rs);
}

static const struct schema_field platform_collect_schema[] = {
	{ "platform", SCHEMA_OBJ }, { "platform.backend", SCHEMA_STR }, { "platform.kernel", SCHEMA_STR },
	{ "platform.cpu_model", SCHEMA_STR }, { "platform.nested", SCHEMA_BOOL },
	SCHEMA_END
};

const struct collector_ops collector_platform = {
	.name = "platform",
	.key = "platform",
	.stage = COLLECT_ARMED,
	.json = platform_collect_json,
	.schema = platform_collect_schema,
};
