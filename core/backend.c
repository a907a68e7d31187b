/* Thin wrappers over a back end's hooks: a missing hook is an error, not a crash. */
#include <errno.h>
#include <stdio.h>

#include "core/backend.h"

static int missing(struct backend *be, const char *hook)
{
	snprintf(be->error, sizeof(be->error), "the %s back end has no %s", be->ops->name, hook);
	errno = ENOTSUP;
	return -1;
}

#define CALL_HOOK(be, hook, ...) \
	((be)->ops->hook ? (be)->ops->hook(__VA_ARGS__) : missing(be, #hook))

int backend_dirty_log_start(struct backend *be, bool manual)
{
	return CALL_HOOK(be, dirty_log_start, be, manual);
}

int backend_dirty_log_stop(struct backend *be)
{
	return CALL_HOOK(be, dirty_log_stop, be);
}

int backend_dirty_log_fetch(struct backend *be, uint64_t *pages)
{
	return CALL_HOOK(be, dirty_log_fetch, be, pages);
}

int backend_dirty_log_clear(struct backend *be, const uint64_t *pages)
{
	return CALL_HOOK(be, dirty_log_clear, be, pages);
}

long backend_dirty_ring_harvest(struct backend *be, uint64_t *pages)
{
	return CALL_HOOK(be, dirty_ring_harvest, be, pages);
}

int backend_dirty_ring_reset(struct backend *be)
{
	return CALL_HOOK(be, dirty_ring_reset, be);
}

void *backend_guest_ptr(struct backend *be, uint64_t gpa, size_t len)
{
	return be->ops->guest_ptr ? be->ops->guest_ptr(be, gpa, len) : NULL;
}

int backend_vram_invalidate(struct backend *be, size_t first, size_t n)
{
	return CALL_HOOK(be, vram_invalidate, be, first, n);
}

int backend_vram_reprotect(struct backend *be, size_t first, size_t n)
{
	return CALL_HOOK(be, vram_reprotect, be, first, n);
}

int backend_guest_hold(struct backend *be, bool on)
{
	return CALL_HOOK(be, guest_hold, be, on);
}

int backend_guest_tlb_flush(struct backend *be)
{
	return CALL_HOOK(be, guest_tlb_flush, be);
}

int backend_vram_write_protect(struct backend *be, bool on)
{
	return CALL_HOOK(be, vram_write_protect, be, on);
}

int backend_guest_kick(struct backend *be)
{
	return CALL_HOOK(be, guest_kick, be);
}

int backend_guest_wait_notify(struct backend *be, long timeout_us)
{
	return CALL_HOOK(be, guest_wait_notify, be, timeout_us);
}

int backend_doorbell_fd(struct backend *be)
{
	return CALL_HOOK(be, doorbell_fd, be);
}
