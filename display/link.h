/*
 * run-bench's side of the display process (display/main.c): start it, hand
 * it the descriptors, ask for a round, get its ranges; stop it and leave no
 * process behind. Protocol: display/protocol.h.
 */
#ifndef DIRTYBENCH_DISPLAY_LINK_H
#define DIRTYBENCH_DISPLAY_LINK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "display/protocol.h"

struct display_link {
	pid_t pid;                      /* 0: not running */
	pid_t started_pid;              /* for the result, after it is gone */
	int sock;
	char exe[4096];
	uint32_t uid, gid;              /* what it runs as, after its drop */
	bool no_new_privs;
	struct display_reply *msg;      /* receive buffer */
	uint64_t rounds, cpu_ns, ioctls, vec_full, wp_calls;
	double cpu_s_at_stop;           /* from /proc/PID/stat at stop; -1: unknown */
	char error[256];
};

/* Before start: nothing running, nothing to stop. */
void display_link_init(struct display_link *l);
/* Start db-display beside run-bench's executable, hand it pagemap_fd (and
 * uffd when order is scan-then-wp, else -1), and wait until it has armed.
 * -1 with l->error; l is safe to stop either way. */
int display_link_start(struct display_link *l, int pagemap_fd, int uffd, enum display_order order,
		       uint64_t base, size_t pages, size_t vec_len);
/* One round: OR its pages into pages (one bit per tracked page). Returns the
 * pages set, or -1 with l->error (the display process failed or died). */
long display_link_scan(struct display_link *l, uint64_t *pages, size_t npages);
/* The display process's CPU time so far (utime + stime of /proc/PID/stat),
 * or -1. */
double display_link_cpu_s(const struct display_link *l);
/* Close its socket (it exits at EOF), wait for it a little, kill it if it
 * has not gone, reap it. Idempotent. */
void display_link_stop(struct display_link *l);

#endif
