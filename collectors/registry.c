/* Every collector, in the order they open, mark and write (core/collector.h).
 * A new collector is one file ending in its ops table, and one line here. */
#include <stddef.h>

#include "core/collector.h"

extern const struct collector_ops collector_platform, collector_membw, collector_floors, collector_perf_counters,
	collector_kvm_stats, collector_perf_record, collector_vnc, collector_host_load;

const struct collector_ops *const collector_registry[] = {
	&collector_platform,
	&collector_membw,
	&collector_floors,
	&collector_perf_counters,
	&collector_kvm_stats,
	&collector_perf_record,
	&collector_vnc,
	&collector_host_load,
	NULL,
};
