/*
 * Bounded string formatting into fixed buffers, where truncation is the
 * intended behaviour (error messages, device names) rather than a bug.
 */
#ifndef GPUSHARE_CORE_STR_H
#define GPUSHARE_CORE_STR_H

#include <stddef.h>

/* snprintf that always NUL-terminates (size > 0) and truncates silently. */
void str_printf(char *dst, size_t size, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* Appends to the NUL-terminated text in dst, truncating silently at size. */
void str_append(char *dst, size_t size, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* src as printable ASCII into dst: '?' for any other byte and for the backslash (a line
 * continuation at the end of a comment in a shell script or a systemd unit); cut to fit. */
void str_printable(char *dst, size_t size, const char *src);

/* s as a message quotes it: printable ASCII ('?' for anything else, backslashes included),
 * cut with "..." to fit size (at least 8). Returns buf. */
const char *str_quote(char *buf, size_t size, const char *s);

/* A growing string: NUL-terminated once anything is appended, p NULL before that; the owner
 * frees p. Appending aborts when out of memory, like js_must. */
struct strbuf {
    char *p;
    size_t len, cap;
};

void strbuf_add(struct strbuf *b, const char *s, size_t n);
void strbuf_puts(struct strbuf *b, const char *s);
/* Appends printf-style text of any length. */
void strbuf_printf(struct strbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* A duration for people, three significant figures in the unit that reads best: "167 us",
 * "2.08 ms", "23.6 ms", "1.25 s"; "?" for NaN, "unbounded" for infinity. */
void str_ms(char *dst, size_t size, double ms);

/* A number for people: three significant figures, no exponent below a billion ("61.9",
 * "0.888", "1500"), "?" for NaN. */
void str_num(char *dst, size_t size, double v);

#endif
