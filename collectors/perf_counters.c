/* perf_event_open counters for one thread; see perf_counters.h. */
#include <errno.h>
#include <fcntl.h>
#include <linux/perf_event.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "collectors/perf_counters.h"
#include "core/run_state.h"
#include "include/compiler.h"

struct event_spec {
	const char *name;
	uint32_t type;                  /* PERF_TYPE_*, or 0xffff for a named tracepoint */
	uint64_t config;
	const char *tracepoint;         /* "kvm/kvm_exit" */
};

#define TRACEPOINT 0xffffu

static const struct event_spec events[] = {
	{ "page_faults", PERF_TYPE_SOFTWARE, PERF_COUNT_SW_PAGE_FAULTS, NULL },
	{ "context_switches", PERF_TYPE_SOFTWARE, PERF_COUNT_SW_CONTEXT_SWITCHES, NULL },
	{ "cpu_migrations", PERF_TYPE_SOFTWARE, PERF_COUNT_SW_CPU_MIGRATIONS, NULL },
	{ "task_clock_ns", PERF_TYPE_SOFTWARE, PERF_COUNT_SW_TASK_CLOCK, NULL },
	{ "cycles", PERF_TYPE_HARDWARE, PERF_COUNT_HW_CPU_CYCLES, NULL },
	{ "instructions", PERF_TYPE_HARDWARE, PERF_COUNT_HW_INSTRUCTIONS, NULL },
	{ "kvm:kvm_exit", TRACEPOINT, 0, "kvm/kvm_exit" },
	{ "kvm:kvm_page_fault", TRACEPOINT, 0, "kvm/kvm_page_fault" },
	{ "kvm:kvm_dirty_ring_push", TRACEPOINT, 0, "kvm/kvm_dirty_ring_push" },
	{ "kvm:kvm_userspace_exit", TRACEPOINT, 0, "kvm/kvm_userspace_exit" },
	{ "kvm:kvm_unmap_hva_range", TRACEPOINT, 0, "kvm/kvm_unmap_hva_range" },
};

const char *perf_tracefs(int *mounted)
{
	static const char *const places[] = { "/sys/kernel/tracing", "/sys/kernel/debug/tracing" };
	char probe[128];

	*mounted = 0;
	for (unsigned i = 0; i < 2; i++) {
		snprintf(probe, sizeof(probe), "%s/events", places[i]);
		if (access(probe, R_OK) == 0)
			return places[i];
	}
	if (mount("nodev", places[0], "tracefs", 0, NULL) == 0) {
		*mounted = 1;
		return places[0];
	}
	return NULL;
}

static int tracepoint_id(const char *tp, char *why, size_t len)
{
	int mounted;
	const char *fs = perf_tracefs(&mounted);
	char path[256];
	FILE *f;
	int id = -1;

	if (!fs) {
		snprintf(why, len, "tracefs is not mounted and could not be");
		return -1;
	}
	snprintf(path, sizeof(path), "%s/events/%s/id", fs, tp);
	f = fopen(path, "r");
	if (!f || fscanf(f, "%d", &id) != 1)
		snprintf(why, len, "no tracepoint %s on this kernel", tp);
	if (f)
		fclose(f);
	return id;
}

static int open_one(const struct event_spec *e, pid_t tid, char *why, size_t len)
{
	struct perf_event_attr attr = {
		.size = sizeof(attr), .type = e->type, .config = e->config, .disabled = 0,
		.exclude_hv = 0, .read_format = PERF_FORMAT_TOTAL_TIME_ENABLED | PERF_FORMAT_TOTAL_TIME_RUNNING,
	};
	int fd;

	if (e->type == TRACEPOINT) {
		int id = tracepoint_id(e->tracepoint, why, len);

		if (id < 0)
			return -1;
		attr.type = PERF_TYPE_TRACEPOINT;
		attr.config = (uint64_t)id;
	}
	fd = (int)syscall(SYS_perf_event_open, &attr, tid, -1, -1, PERF_FLAG_FD_CLOEXEC);
	if (fd < 0)
		snprintf(why, len, "perf_event_open: %s", strerror(errno));
	return fd;
}

void perf_counters_open(struct perf_counters *p, pid_t tid)
{
	memset(p, 0, sizeof(*p));
	p->tid = tid;
	for (unsigned i = 0; i < ARRAY_SIZE(events) && i < PERF_MAX_COUNTERS; i++) {
		struct perf_counter *c = &p->c[p->n++];

		c->name = events[i].name;
		c->fd = open_one(&events[i], tid, c->reason, sizeof(c->reason));
	}
}

void perf_counters_skip(struct perf_counters *p, const char *reason)
{
	memset(p, 0, sizeof(*p));
	for (unsigned i = 0; i < ARRAY_SIZE(events) && i < PERF_MAX_COUNTERS; i++) {
		struct perf_counter *c = &p->c[p->n++];

		c->name = events[i].name;
		c->fd = -1;
		snprintf(c->reason, sizeof(c->reason), "%s", reason);
	}
}

void perf_counters_close(struct perf_counters *p)
{
	for (unsigned i = 0; i < p->n; i++)
		if (p->c[i].fd >= 0)
			close(p->c[i].fd);
	p->n = 0;
}

/* Scale for multiplexing: value * enabled / running. */
static int read_scaled(struct perf_counter *c, uint64_t *out)
{
	uint64_t v[3];

	if (read(c->fd, v, sizeof(v)) != sizeof(v))
		return -1;
	c->running_fraction = v[1] ? (double)v[2] / (double)v[1] : 0;
	*out = v[2] ? (uint64_t)((double)v[0] * (double)v[1] / (double)v[2]) : v[0];
	return 0;
}

void perf_counters_mark(struct perf_counters *p, int begin)
{
	for (unsigned i = 0; i < p->n; i++) {
		struct perf_counter *c = &p->c[i];

		if (c->fd >= 0 && read_scaled(c, begin ? &c->start : &c->end)) {
			snprintf(c->reason, sizeof(c->reason), "read: %s", strerror(errno));
			close(c->fd);
			c->fd = -1;
		}
	}
}

json_t *perf_counters_json(const struct perf_counters *p, double frames, double seconds)
{
	json_t *obj = json_object();

	for (unsigned i = 0; i < p->n; i++) {
		const struct perf_counter *c = &p->c[i];
		double d = (double)(c->end - c->start);

		if (c->fd < 0)
			json_object_set_new(obj, c->name, json_pack("{s:b, s:s}", "available", 0, "reason", c->reason));
		else
			json_object_set_new(obj, c->name, json_pack("{s:b, s:f, s:o, s:o, s:f}", "available", 1,
				"delta", d, "per_frame", frames > 0 ? json_real(d / frames) : json_null(),
				"per_s", seconds > 0 ? json_real(d / seconds) : json_null(),
				"running_fraction", c->running_fraction));
	}
	return obj;
}

/* --- the "perf" collector: the scan thread's and the vCPU thread's -------- */

struct perf_collector {
	struct perf_counters scan, vcpu;
	bool vcpu_thread;               /* the guest's vCPU runs on a thread of ours */
};

#define PERF_SKIPPED "not collected (--no-counters)"

/* --no-counters: for measuring what the counters (tracepoints on every exit) cost. */
static int perf_collect_open(struct collector *c, struct run_state *rs)
{
	struct perf_collector *p = c->priv;

	p->vcpu_thread = rs->vcpu_tid > 0;
	if (rs->opt->no_counters) {
		perf_counters_skip(&p->scan, PERF_SKIPPED);
		perf_counters_skip(&p->vcpu, PERF_SKIPPED);
		return EXIT_OK;
	}
	perf_counters_open(&p->scan, gettid());
	if (p->vcpu_thread)
		perf_counters_open(&p->vcpu, rs->vcpu_tid);
	return EXIT_OK;
}

static int perf_collect_window(struct collector *c, struct run_state *rs, bool start)
{
	struct perf_collector *p = c->priv;

	(void)rs;
	perf_counters_mark(&p->scan, start);
	if (p->vcpu_thread)
		perf_counters_mark(&p->vcpu, start);
	return EXIT_OK;
}

static json_t *perf_collect_json(struct collector *c, const struct run_state *rs)
{
	const struct perf_collector *p = c->priv;
	double frames = (double)rs->oracle.stats.frames_measured;
	json_t *vcpu = p->vcpu_thread ? perf_counters_json(&p->vcpu, frames, rs->measured_s) :
			json_pack("{s:b, s:s}", "available", 0, "reason",
				  rs->no_vcpu_tid ? rs->no_vcpu_tid : "no host thread runs the guest's vCPU");

	return json_pack("{s:s, s:o, s:o}", "source", "perf_event_open per thread, over the measured window",
		"vcpu_thread", vcpu, "scan_thread", perf_counters_json(&p->scan, frames, rs->measured_s));
}

static void perf_collect_close(struct collector *c, struct run_state *rs)
{
	struct perf_collector *p = c->priv;

	(void)rs;
	perf_counters_close(&p->scan);
	perf_counters_close(&p->vcpu);
}

static const struct schema_field perf_collect_schema[] = {
	{ "perf.vcpu_thread", SCHEMA_OBJ }, { "perf.scan_thread", SCHEMA_OBJ },
	SCHEMA_END
};

const struct collector_ops collector_perf_counters = {
	.name = "perf_counters",
	.key = "perf",
	.stage = COLLECT_ARMED,
	.priv_size = sizeof(struct perf_collector),
	.open = perf_collect_open,
	.window = perf_collect_window,
	.json = perf_collect_json,
	.close = perf_collect_close,
	.schema = perf_collect_schema,
};
