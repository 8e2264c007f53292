#include "core/progress.h"

#include <stdarg.h>
#include <stdio.h>
#include <time.h>

static bool quiet;

void progress_set_quiet(bool q)
{
    quiet = q;
}

static double seconds_since_first_call(void)
{
    static struct timespec t0;
    struct timespec now;

    clock_gettime(CLOCK_MONOTONIC, &now);
    if (t0.tv_sec == 0 && t0.tv_nsec == 0)
        t0 = now;
    return (double)(now.tv_sec - t0.tv_sec) + (double)(now.tv_nsec - t0.tv_nsec) * 1e-9;
}

void progress(const char *fmt, ...)
{
    va_list ap;

    if (quiet)
        return;
    fprintf(stderr, "gpushare: [%6.1f s] ", seconds_since_first_call());
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
}
