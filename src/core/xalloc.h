/*
 * Allocation that cannot fail: out of memory, the process says what it was allocating and
 * stops (git's xmalloc). Callers stay free of error paths that could never be tested; nothing
 * gpushare allocates is large enough for running out to be a condition worth recovering from.
 */
#ifndef GPUSHARE_CORE_XALLOC_H
#define GPUSHARE_CORE_XALLOC_H

#include <stddef.h>

/* Prints "gpushare: fatal: out of memory: <what>" on stderr and aborts. */
_Noreturn void xalloc_die(const char *what);

/* p, or xalloc_die(what) when p is NULL: for libraries (jansson, libyaml) that return NULL
 * only when they could not allocate. */
void *xmust(void *p, const char *what);

void *xmalloc(size_t n);
/* Zeroed; n * size is checked for overflow. */
void *xcalloc(size_t n, size_t size);
/* realloc of n * size bytes, checked for overflow; p may be NULL. */
void *xreallocarray(void *p, size_t n, size_t size);
char *xstrdup(const char *s);

#endif
