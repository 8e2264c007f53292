/*
 * Names of the parts of `bench streams`, and the --only parser. Pure, so the
 * CLI tests and builds without CUDA share it.
 */
#include "bench/bench.h"

#include <string.h>

#include "core/str.h"

static const struct {
    unsigned bit;
    const char *name;
} names[] = {
    {STREAMS_KERNELS, "kernels"},   {STREAMS_GEMM, "gemm"},         {STREAMS_COPY, "copy"},
    {STREAMS_PIPELINE, "pipeline"}, {STREAMS_PRIORITY, "priority"},
};
#define NNAMES (sizeof(names) / sizeof(names[0]))

const char *streams_part_name(unsigned bit)
{
    for (size_t i = 0; i < NNAMES; i++)
        if (names[i].bit == bit)
            return names[i].name;
    return "?";
}

int streams_parse_parts(struct error *err, const char *list, unsigned *mask)
{
    const char *p = list;

    *mask = 0;
    for (;;) {
        size_t len = strcspn(p, ","), i;

        for (i = 0; i < NNAMES; i++)
            if (strlen(names[i].name) == len && strncmp(p, names[i].name, len) == 0)
                break;
        if (i == NNAMES)
            return error_set(err, ERR_USAGE,
                             "unknown part '%.*s' for --only: expected kernels, gemm, copy, "
                             "pipeline or priority",
                             (int)len, p);
        *mask |= names[i].bit;
        if (p[len] == '\0')
            return 0;
        p += len + 1;
    }
}
