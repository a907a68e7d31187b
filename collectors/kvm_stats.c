/* Reading KVM's binary stats file descriptors (Documentation/virt/kvm/api.rst, 4.133). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>
#include <linux/kvm.h>

#include "collectors/kvm_stats.h"
#include "core/run_state.h"

static void unavailable(struct kvm_stats *s, const char *why)
{
	snprintf(s->reason, sizeof(s->reason), "%s: %s", why, strerror(errno));
	if (s->fd >= 0)
		close(s->fd);
	s->fd = -1;
}

static int read_descriptors(struct kvm_stats *s, const struct kvm_stats_header *h)
{
	size_t one = sizeof(struct kvm_stats_desc) + h->name_size;
	char *buf = malloc(one * h->num_desc);

	s->desc = calloc(h->num_desc, sizeof(*s->desc));
	if (!buf || !s->desc || pread(s->fd, buf, one * h->num_desc, h->desc_offset) != (ssize_t)(one * h->num_desc)) {
		free(buf);
		return -1;
	}
	for (uint32_t i = 0; i < h->num_desc; i++) {
		const struct kvm_stats_desc *d = (const void *)(buf + i * one);
		size_t end = d->offset / 8 + (d->size ? d->size : 1);

		snprintf(s->desc[i].name, sizeof(s->desc[i].name), "%.*s", (int)h->name_size, d->name);
		s->desc[i].flags = d->flags;
		s->desc[i].offset = d->offset / 8;
		if (end > s->data_words)
			s->data_words = end;
	}
	s->n = h->num_desc;
	free(buf);
	return 0;
}

void kvm_stats_open(struct kvm_stats *s, int owner_fd)
{
	struct kvm_stats_header h;

	memset(s, 0, sizeof(*s));
	s->fd = ioctl(owner_fd, KVM_GET_STATS_FD, NULL);
	if (s->fd < 0)
		return unavailable(s, "KVM_GET_STATS_FD");
	if (pread(s->fd, &h, sizeof(h), 0) != sizeof(h))
		return unavailable(s, "reading the stats header");
	s->data_offset = h.data_offset;
	if (read_descriptors(s, &h))
		return unavailable(s, "reading the stats descriptors");
	s->start = calloc(s->data_words, sizeof(uint64_t));
	s->end = calloc(s->data_words, sizeof(uint64_t));
	if (!s->start || !s->end)
		unavailable(s, "allocating stats");
}

void kvm_stats_close(struct kvm_stats *s)
{
	if (s->fd >= 0)
		close(s->fd);
	free(s->desc);
	free(s->start);
	free(s->end);
	memset(s, 0, sizeof(*s));
	s->fd = -1;
}

void kvm_stats_mark(struct kvm_stats *s, int begin)
{
	size_t bytes = s->data_words * sizeof(uint64_t);

	if (s->fd >= 0 && pread(s->fd, begin ? s->start : s->end, bytes, (off_t)s->data_offset) != (ssize_t)bytes)
		unavailable(s, "reading stats data");
}

static const struct kvm_stat_desc *find(const struct kvm_stats *s, const char *name)
{
	for (uint32_t i = 0; i < s->n; i++)
		if (!strcmp(s->desc[i].name, name))
			return &s->desc[i];
	return NULL;
}

int64_t kvm_stats_delta(const struct kvm_stats *s, const char *name)
{
	const struct kvm_stat_desc *d = s->fd >= 0 ? find(s, name) : NULL;

	if (!d || (d->flags & KVM_STATS_TYPE_MASK) != KVM_STATS_TYPE_CUMULATIVE)
		return -1;
	return (int64_t)(s->end[d->offset] - s->start[d->offset]);
}

/* Cumulative counters as deltas (with rates); instant and peak values as read
 * at the end; histograms are left out. */
json_t *kvm_stats_json(const struct kvm_stats *s, double frames, double seconds)
{
	json_t *counters, *out;

	if (s->fd < 0)
		return json_pack("{s:b, s:s}", "available", 0, "reason", s->reason);
	counters = json_object();
	for (uint32_t i = 0; i < s->n; i++) {
		const struct kvm_stat_desc *d = &s->desc[i];
		uint32_t type = d->flags & KVM_STATS_TYPE_MASK;
		double delta = (double)(s->end[d->offset] - s->start[d->offset]);

		if (type == KVM_STATS_TYPE_CUMULATIVE)
			json_object_set_new(counters, d->name, json_pack("{s:f, s:o, s:o}", "delta", delta,
				"per_frame", frames > 0 ? json_real(delta / frames) : json_null(),
				"per_s", seconds > 0 ? json_real(delta / seconds) : json_null()));
		else if (type == KVM_STATS_TYPE_INSTANT || type == KVM_STATS_TYPE_PEAK)
			json_object_set_new(counters, d->name, json_pack("{s:I}", "value",
				(json_int_t)s->end[d->offset]));
	}
	out = json_pack("{s:b, s:o}", "available", 1, "counters", counters);
	return out;
}

/* --- the "kvm_stats" collector: the VM's and the vCPU's ------------------- */

struct kvm_stats_collector {
	struct kvm_stats vm, vcpu;
};

static const char *kvm_stats_collect_unsupported(const struct run_state *rs)
{
	return rs->kvm_vm_fd < 0 ? "not a KVM guest: KVM_GET_STATS_FD needs a KVM VM and vCPU" : NULL;
}

static int kvm_stats_collect_open(struct collector *c, struct run_state *rs)
{
	struct kvm_stats_collector *k = c->priv;

	kvm_stats_open(&k->vm, rs->kvm_vm_fd);
	kvm_stats_open(&k->vcpu, rs->kvm_vcpu_fd);
	return EXIT_OK;
}

static int kvm_stats_collect_window(struct collector *c, struct run_state *rs, bool start)
{
	struct kvm_stats_collector *k = c->priv;

	(void)rs;
	kvm_stats_mark(&k->vm, start);
	kvm_stats_mark(&k->vcpu, start);
	return EXIT_OK;
}

static json_t *kvm_stats_collect_json(struct collector *c, const struct run_state *rs)
{
	const struct kvm_stats_collector *k = c->priv;
	double frames = (double)rs->oracle.stats.frames_measured;

	return json_pack("{s:s, s:o, s:o}", "source", "KVM_GET_STATS_FD, differenced over the measured window",
		"vm", kvm_stats_json(&k->vm, frames, rs->measured_s),
		"vcpu", kvm_stats_json(&k->vcpu, frames, rs->measured_s));
}

static void kvm_stats_collect_close(struct collector *c, struct run_state *rs)
{
	struct kvm_stats_collector *k = c->priv;

	(void)rs;
	kvm_stats_close(&k->vm);
	kvm_stats_close(&k->vcpu);
}

static const struct schema_field kvm_stats_collect_schema[] = {
	{ "kvm_stats.vm", SCHEMA_OBJ }, { "kvm_stats.vcpu", SCHEMA_OBJ },
	SCHEMA_END
};

const struct collector_ops collector_kvm_stats = {
	.name = "kvm_stats",
	.key = "kvm_stats",
	.stage = COLLECT_ARMED,
	.priv_size = sizeof(struct kvm_stats_collector),
	.unsupported = kvm_stats_collect_unsupported,
	.open = kvm_stats_collect_open,
	.window = kvm_stats_collect_window,
	.json = kvm_stats_collect_json,
	.close = kvm_stats_collect_close,
	.schema = kvm_stats_collect_schema,
};
