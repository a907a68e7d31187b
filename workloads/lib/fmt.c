/*
 * Freestanding decimal formatting and bounded string appends (see fmt.h).
 */
#include "workloads/lib/fmt.h"

size_t fmt_u64(char *buf, uint64_t value, unsigned width, bool zero_pad)
{
	char digits[FMT_U64_LEN];
	size_t n = 0;
	do {
		digits[n++] = (char)('0' + value % 10);
		value /= 10;
	} while (value);
	size_t len = 0;
	for (; len + n < width; len++)
		buf[len] = zero_pad ? '0' : ' ';
	while (n)
		buf[len++] = digits[--n];
	buf[len] = '\0';
	return len;
}

size_t fmt_i64(char *buf, int64_t value)
{
	if (value >= 0)
		return fmt_u64(buf, (uint64_t)value, 0, false);
	/* Negate in unsigned arithmetic: -INT64_MIN does not fit an int64_t. */
	buf[0] = '-';
	return 1 + fmt_u64(buf + 1, 0 - (uint64_t)value, 0, false);
}

size_t fmt_catn(char *dst, size_t size, const char *src, size_t n)
{
	size_t len = 0;
	if (size == 0)
		return 0;
	while (len < size - 1 && dst[len])
		len++;
	for (size_t i = 0; i < n && src[i] && len < size - 1; i++)
		dst[len++] = src[i];
	dst[len] = '\0';
	return len;
}

size_t fmt_cat(char *dst, size_t size, const char *src)
{
	return fmt_catn(dst, size, src, (size_t)-1);
}
