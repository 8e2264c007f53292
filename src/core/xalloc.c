#include "core/xalloc.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

_Noreturn void xalloc_die(const char *what)
{
    fprintf(stderr, "gpushare: fatal: out of memory: %s\n", what);
    abort();
}

void *xmust(void *p, const char *what)
{
    if (p == NULL)
        xalloc_die(what);
    return p;
}

void *xmalloc(size_t n)
{
    return xmust(malloc(n != 0 ? n : 1), "malloc");
}

void *xcalloc(size_t n, size_t size)
{
    return xmust(calloc(n != 0 ? n : 1, size != 0 ? size : 1), "calloc");
}

void *xreallocarray(void *p, size_t n, size_t size)
{
    if (size != 0 && n > SIZE_MAX / size)
        xalloc_die("array size overflows");
    return xmust(realloc(p, n * size != 0 ? n * size : 1), "realloc");
}

char *xstrdup(const char *s)
{
    size_t n = strlen(s) + 1;

    return memcpy(xmalloc(n), s, n);
}
