/*
 * `qemu`: QEMU's adaptive VNC refresh (ui/vnc.c, vnc_refresh()). The refresh
 * timer starts at VNC_REFRESH_INTERVAL_BASE; a refresh that found changes
 * and sent them halves the interval (not below BASE), one that found none
 * adds VNC_REFRESH_INTERVAL_INC, up to VNC_REFRESH_INTERVAL_MAX. So after an
 * idle spell the first change waits up to MAX for its refresh: the stall
 * users report after a pause (QEMU 10.1 resets the interval on resume; a
 * guest that merely went idle still waits).
 *
 * The constants, from QEMU's ui/vnc.c and include/ui/console.h:
 * BASE = GUI_REFRESH_INTERVAL_DEFAULT = 30 ms, INC = 50 ms,
 * MAX = GUI_REFRESH_INTERVAL_IDLE = 3000 ms. The run's --rate is not used.
 *
 * A guest that pushes its damage (pvrects, virtio-gpu) is served the same
 * way: a flush marks QEMU's surface dirty, and the refresh timer sends it;
 * so under this policy a doorbell starts no round (timer_only).
 */
#include <stdio.h>
#include <stdlib.h>

#include "core/policy.h"

#define QEMU_REFRESH_BASE_MS 30         /* VNC_REFRESH_INTERVAL_BASE */
#define QEMU_REFRESH_INC_MS 50          /* VNC_REFRESH_INTERVAL_INC */
#define QEMU_REFRESH_MAX_MS 3000        /* VNC_REFRESH_INTERVAL_MAX */

#define STR(x) #x
#define XSTR(x) STR(x)

struct qemu_refresh {
	int64_t interval_ms;
	int64_t base, inc, max;
	uint64_t halvings, growths, ticks_at_max;
};

static const struct strategy_option_spec qemu_options[] = {
	{ .name = "base_ms", .type = STRATEGY_OPT_INT, .def = XSTR(QEMU_REFRESH_BASE_MS), .min = 1, .max = 60000,
	  .help = "the shortest interval, and the first (QEMU: 30)" },
	{ .name = "inc_ms", .type = STRATEGY_OPT_INT, .def = XSTR(QEMU_REFRESH_INC_MS), .min = 0, .max = 60000,
	  .help = "added after a refresh that found nothing (QEMU: 50)" },
	{ .name = "max_ms", .type = STRATEGY_OPT_INT, .def = XSTR(QEMU_REFRESH_MAX_MS), .min = 1, .max = 600000,
	  .help = "the longest interval (QEMU: 3000)" },
	{ .name = NULL },
};

static int qemu_init(struct policy *p)
{
	struct qemu_refresh *q = p->priv;

	q->base = policy_opt_int(p, "base_ms");
	q->inc = policy_opt_int(p, "inc_ms");
	q->max = policy_opt_int(p, "max_ms");
	q->interval_ms = q->base;
	return 0;
}

/* popt in the table's order: base_ms, inc_ms, max_ms. */
static bool qemu_options_ok(const struct strategy_option_value *popt, char *why, size_t len)
{
	if (popt[2].num >= popt[0].num)
		return true;
	snprintf(why, len, "max_ms=%ld is below base_ms=%ld", popt[2].num, popt[0].num);
	return false;
}

static int qemu_tick(struct policy *p, struct dirty_set *out)
{
	struct qemu_refresh *q = p->priv;

	if (policy_scan(p, out))
		return -1;
	if (!dirty_set_empty(out, p->geo)) {
		q->interval_ms /= 2;
		if (q->interval_ms < q->base)
			q->interval_ms = q->base;
		q->halvings++;
	} else {
		q->interval_ms += q->inc;
		if (q->interval_ms > q->max)
			q->interval_ms = q->max;
		q->growths++;
	}
	q->ticks_at_max += q->interval_ms == q->max;
	return 0;
}

static int64_t qemu_interval(struct policy *p)
{
	return ((struct qemu_refresh *)p->priv)->interval_ms * 1000000;
}

static void qemu_report(struct policy *p, json_t *obj)
{
	struct qemu_refresh *q = p->priv;

	json_object_set_new(obj, "interval_ms_last", json_integer((json_int_t)q->interval_ms));
	json_object_set_new(obj, "halvings", json_integer((json_int_t)q->halvings));
	json_object_set_new(obj, "growths", json_integer((json_int_t)q->growths));
	json_object_set_new(obj, "ticks_at_max", json_integer((json_int_t)q->ticks_at_max));
}

const struct policy_ops policy_qemu = {
	.name = "qemu",
	.priv_size = sizeof(struct qemu_refresh),
	.description = "QEMU's VNC refresh: 30 ms, +50 ms after each refresh that found nothing, up to 3 s, "
		       "halved when one found something",
	.options = qemu_options,
	.timer_only = true,
	.options_ok = qemu_options_ok,
	.init = qemu_init,
	.tick = qemu_tick,
	.interval_ns = qemu_interval,
	.report = qemu_report,
};
