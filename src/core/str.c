#include "core/str.h"

#include <stdarg.h>
#include <stdio.h>

void str_printf(char *dst, size_t size, const char *fmt, ...)
{
    va_list ap;

    if (size == 0)
        return;
    va_start(ap, fmt);
    vsnprintf(dst, size, fmt, ap);
    va_end(ap);
}
