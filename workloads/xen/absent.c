/* db-workload built without Xen's libraries: --xen says so. */
#include <stdio.h>

#include "workloads/xen/xen_guest.h"

int xen_guest_serve(uint64_t gpa)
{
	(void)gpa;
	fprintf(stderr, "db-workload: built without Xen's libraries (libxen-dev): --xen is unavailable\n");
	return -1;
}
