/*
 * The "host_load" collector: what the rest of the machine did during the
 * measured window. Every run pins its scan thread and its vCPU to a core of
 * their own, so a second benchmark (or anything busy) on a small host slows
 * both, and a result must say so rather than pass for a quiet one. Two
 * readings: the CPU time the whole host spent minus this process's own, from
 * /proc/stat and getrusage (the busy-host figure the regression gate's
 * matrix runner uses, report/dirtybench_report/runner.py), and any other
 * run-bench process alive at either edge of the window.
 */
#include <ctype.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "core/run_state.h"

/* Above this many CPUs used by others the window was disturbed: the matrix
 * runner's default (QUICK_BUSY_MAX, README "Regression check"). */
#define HOST_BUSY_MAX 0.30
#define HOST_MAX_OTHERS 8

struct host_load {
	double host_busy_s[2];          /* /proc/stat busy time, at the window's start and end */
	double self_s[2];               /* this process's CPU time, likewise */
	int64_t mono_ns[2];
	bool stat_ok;
	int others[HOST_MAX_OTHERS];    /* other run-bench processes seen at an edge */
	size_t nothers;
};

/* user + nice + system + irq + softirq of the "cpu" line, in seconds. */
static int host_busy_seconds(double *out)
{
	unsigned long long user, nice, sys, idle, iowait, irq, softirq;
	FILE *f = fopen("/proc/stat", "re");
	int n;

	if (!f)
		return -1;
	n = fscanf(f, "cpu %llu %llu %llu %llu %llu %llu %llu", &user, &nice, &sys, &idle, &iowait, &irq,
		   &softirq);
	fclose(f);
	if (n != 7)
		return -1;
	*out = (double)(user + nice + sys + irq + softirq) / (double)sysconf(_SC_CLK_TCK);
	return 0;
}

static double self_cpu_seconds(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
	       (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) * 1e-6;
}

static bool is_run_bench(int pid)
{
	char path[64], comm[32] = "";
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/comm", pid);
	if (!(f = fopen(path, "re")))
		return false;
	if (!fgets(comm, sizeof(comm), f))
		comm[0] = '\0';
	fclose(f);
	comm[strcspn(comm, "\n")] = '\0';
	return !strcmp(comm, "run-bench") || !strcmp(comm, "run-bench-asan");
}

static void note_other(struct host_load *h, int pid)
{
	for (size_t i = 0; i < h->nothers; i++)
		if (h->others[i] == pid)
			return;
	if (h->nothers < HOST_MAX_OTHERS)
		h->others[h->nothers++] = pid;
}

/* Other run-bench processes: a benchmark beside ours, the likeliest disturbance. */
static void find_other_runs(struct host_load *h)
{
	DIR *d = opendir("/proc");
	struct dirent *e;
	int self = (int)getpid();

	if (!d)
		return;
	while ((e = readdir(d))) {
		int pid = isdigit((unsigned char)e->d_name[0]) ? atoi(e->d_name) : 0;

		if (pid > 0 && pid != self && is_run_bench(pid))
			note_other(h, pid);
	}
	closedir(d);
}

static int host_load_window(struct collector *c, struct run_state *rs, bool start)
{
	struct host_load *h = c->priv;
	int edge = !start;

	(void)rs;
	h->mono_ns[edge] = clock_mono_ns();
	h->self_s[edge] = self_cpu_seconds();
	h->stat_ok = (start || h->stat_ok) && !host_busy_seconds(&h->host_busy_s[edge]);
	find_other_runs(h);
	return EXIT_OK;
}

static json_t *host_load_json(struct collector *c, const struct run_state *rs)
{
	const struct host_load *h = c->priv;
	double wall = (double)(h->mono_ns[1] - h->mono_ns[0]) / 1e9, others = 0;
	bool known = h->stat_ok && wall > 0;
	json_t *pids = json_array();

	(void)rs;
	for (size_t i = 0; i < h->nothers; i++)
		json_array_append_new(pids, json_integer(h->others[i]));
	/* Jiffy-granular host time against microsecond own time: clamp at 0. */
	if (known)
		others = ((h->host_busy_s[1] - h->host_busy_s[0]) - (h->self_s[1] - h->self_s[0])) / wall;
	if (others < 0)
		others = 0;
	return json_pack("{s:o, s:f, s:b, s:o, s:s}",
		"others_cpu", known ? json_real(others) : json_null(),
		"busy_max", HOST_BUSY_MAX,
		"busy", others > HOST_BUSY_MAX || h->nothers > 0,
		"other_run_bench_pids", pids,
		"method", "CPUs used by everything but this process over the measured window "
			  "(/proc/stat busy time minus getrusage), and other run-bench processes seen at its edges");
}

static const struct schema_field host_load_schema[] = {
	{ "host_load.others_cpu", SCHEMA_NUM_OR_NULL }, { "host_load.busy", SCHEMA_BOOL },
	SCHEMA_END
};

const struct collector_ops collector_host_load = {
	.name = "host_load",
	.key = "host_load",
	.stage = COLLECT_ARMED,
	.priv_size = sizeof(struct host_load),
	.window = host_load_window,
	.json = host_load_json,
	.schema = host_load_schema,
};
