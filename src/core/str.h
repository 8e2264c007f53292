/*
 * Bounded string formatting into fixed buffers, where truncation is the
 * intended behaviour (error messages, device names) rather than a bug.
 */
#ifndef GPUSHARE_CORE_STR_H
#define GPUSHARE_CORE_STR_H

#include <stddef.h>

/* snprintf that always NUL-terminates (size > 0) and truncates silently. */
void str_printf(char *dst, size_t size, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

#endif
