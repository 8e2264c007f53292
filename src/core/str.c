#include "core/str.h"
#include "core/xalloc.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"

void str_printf(char *dst, size_t size, const char *fmt, ...)
{
    va_list ap;

    if (size == 0)
        return;
    va_start(ap, fmt);
    vsnprintf(dst, size, fmt, ap);
    va_end(ap);
}

void str_append(char *dst, size_t size, const char *fmt, ...)
{
    size_t len = strnlen(dst, size);
    va_list ap;

    if (len + 1 >= size)
        return;
    va_start(ap, fmt);
    vsnprintf(dst + len, size - len, fmt, ap);
    va_end(ap);
}

void str_printable(char *dst, size_t size, const char *src)
{
    size_t i;

    if (size == 0)
        return;
    for (i = 0; src[i] != '\0' && i + 1 < size; i++)
        dst[i] = src[i] >= 0x20 && src[i] <= 0x7e && src[i] != '\\' ? src[i] : '?';
    dst[i] = '\0';
}

const char *str_quote(char *buf, size_t size, const char *s)
{
    str_printable(buf, size, s);
    if (size >= 8 && strlen(s) >= size)
        memcpy(buf + size - 4, "...", 4);
    return buf;
}

void strbuf_add(struct strbuf *b, const char *s, size_t n)
{
    if (b->len + n + 1 > b->cap) {
        b->cap = (b->len + n + 1) * 2;
        b->p = xreallocarray(b->p, b->cap, 1);
    }
    memcpy(b->p + b->len, s, n);
    b->len += n;
    b->p[b->len] = '\0';
}

void strbuf_puts(struct strbuf *b, const char *s)
{
    strbuf_add(b, s, strlen(s));
}

void strbuf_printf(struct strbuf *b, const char *fmt, ...)
{
    va_list ap;
    int n;

    va_start(ap, fmt);
    n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0)
        error_bug("strbuf_printf: bad format '%.40s'", fmt);
    strbuf_add(b, "", 0); /* room for the terminator, and p set */
    if (b->len + (size_t)n + 1 > b->cap) {
        b->cap = (b->len + (size_t)n + 1) * 2;
        b->p = xreallocarray(b->p, b->cap, 1);
    }
    va_start(ap, fmt);
    vsnprintf(b->p + b->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    b->len += (size_t)n;
}

void str_ms(char *dst, size_t size, double ms)
{
    char n[32];

    if (isnan(ms)) {
        str_printf(dst, size, "?");
    } else if (isinf(ms)) {
        str_printf(dst, size, "unbounded");
    } else if (fabs(ms) >= 1000) {
        str_num(n, sizeof(n), ms / 1000);
        str_printf(dst, size, "%s s", n);
    } else if (fabs(ms) >= 1 || ms == 0) {
        str_num(n, sizeof(n), ms);
        str_printf(dst, size, "%s ms", n);
    } else {
        str_num(n, sizeof(n), ms * 1000);
        str_printf(dst, size, "%s us", n);
    }
}

void str_num(char *dst, size_t size, double v)
{
    double a = fabs(v);

    if (isnan(v))
        str_printf(dst, size, "?");
    else if (isinf(v))
        str_printf(dst, size, v > 0 ? "infinite" : "-infinite");
    else if (a >= 1000 && a < 1e9)
        str_printf(dst, size, "%.0f", v);
    else
        str_printf(dst, size, "%.3g", v);
}
