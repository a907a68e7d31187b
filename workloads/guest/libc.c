/*
 * The few libc symbols a freestanding guest needs: the compiler emits calls
 * to memcpy/memset/memmove/memcmp for struct copies and loops, and the
 * workloads use the rt_ names from runtime.h.
 */
#include <stddef.h>
#include <stdint.h>

#include "workloads/lib/runtime.h"

void *memcpy(void *dst, const void *src, size_t n)
{
	void *d = dst;

	__asm__ __volatile__("rep movsb" : "+D"(d), "+S"(src), "+c"(n) :: "memory");
	return dst;
}

void *memset(void *dst, int c, size_t n)
{
	void *d = dst;

	__asm__ __volatile__("rep stosb" : "+D"(d), "+c"(n) : "a"(c) : "memory");
	return dst;
}

/* Backward rep movsb is slow on most cores: copy overlapping-down by words. */
void *memmove(void *dst, const void *src, size_t n)
{
	uint8_t *d = dst;
	const uint8_t *s = src;

	if (d <= s || d >= s + n)
		return memcpy(dst, src, n);
	while (n >= 8) {
		uint64_t w;

		n -= 8;
		__builtin_memcpy(&w, s + n, 8);
		__builtin_memcpy(d + n, &w, 8);
	}
	while (n--)
		d[n] = s[n];
	return dst;
}

int memcmp(const void *a, const void *b, size_t n)
{
	const uint8_t *x = a, *y = b;

	for (size_t i = 0; i < n; i++)
		if (x[i] != y[i])
			return x[i] < y[i] ? -1 : 1;
	return 0;
}

void *rt_memset(void *dst, int c, size_t n) { return memset(dst, c, n); }
void *rt_memcpy(void *dst, const void *src, size_t n) { return memcpy(dst, src, n); }
void *rt_memmove(void *dst, const void *src, size_t n) { return memmove(dst, src, n); }

size_t rt_strlen(const char *s)
{
	size_t n = 0;

	while (s[n])
		n++;
	return n;
}

int rt_strcmp(const char *a, const char *b)
{
	while (*a && *a == *b)
		a++, b++;
	return (unsigned char)*a - (unsigned char)*b;
}
