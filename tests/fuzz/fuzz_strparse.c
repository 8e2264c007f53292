/*
 * libFuzzer harness for core/strparse and the --only (streams, timeslice, mps) and --workload name
 * parsers: every parser sees the same NUL-terminated input. Accepted values must lie in range and
 * agree with a slow reference parser written here; refusals must carry a git-style ERR_USAGE
 * message.
 */
#include <limits.h>
#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "bench/bench.h"
#include "bench/mpsbench.h"
#include "bench/timeslice.h"
#include "bench/worker.h"
#include "core/error.h"
#include "core/strparse.h"

#define FUZZ_NAME "fuzz_strparse"
#define FUZZ_SUBJECT "input"
#include "fuzz_check.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/*
 * Reference decimal parser over [s, s + len): digits only, no overflow. Slow and obvious,
 * so it can judge the strtoul-based one. Returns 1 and the value, or 0.
 */
static int fuzz_ref_digits(const char *s, size_t len, uint64_t *out)
{
    uint64_t v = 0;

    if (len == 0)
        return 0;
    for (size_t i = 0; i < len; i++) {
        if (s[i] < '0' || s[i] > '9')
            return 0;
        if (v > (UINT64_MAX - (uint64_t)(s[i] - '0')) / 10)
            return 0;
        v = v * 10 + (uint64_t)(s[i] - '0');
    }
    *out = v;
    return 1;
}

static void fuzz_uint(const char *s, unsigned long min, unsigned long max)
{
    struct error err = {0};
    unsigned long v = 0;
    uint64_t ref = 0;
    int want = fuzz_ref_digits(s, strlen(s), &ref) && ref >= min && ref <= max;

    if (parse_uint(&err, "--n", s, min, max, &v) == 0) {
        fuzz_require(want, "parse_uint accepted what the reference refuses", s);
        fuzz_require(v >= min && v <= max, "parse_uint value out of range", s);
        fuzz_require(v == ref, "parse_uint disagrees with the reference", s);
    } else {
        fuzz_require(!want, "parse_uint refused what the reference accepts", s);
        fuzz_check_refusal(&err, ERR_USAGE, s);
    }
}

static void fuzz_double(const char *s, double min, double max)
{
    struct error err = {0};
    double v = NAN;

    if (parse_double(&err, "--x", s, min, max, &v) == 0) {
        fuzz_require(isfinite(v) && v >= min && v <= max, "parse_double value out of range", s);
        // The grammar excludes everything strtod takes beyond plain decimals: spaces, hex,
        // "inf", "nan", and a '+' anywhere but after the exponent's 'e'.
        fuzz_require(strpbrk(s, " \t\nxXpPiInN") == NULL, "parse_double took a foreign form", s);
        for (const char *p = strchr(s, '+'); p != NULL; p = strchr(p + 1, '+'))
            fuzz_require(p > s && (p[-1] == 'e' || p[-1] == 'E'), "parse_double took '+'", s);
    } else {
        fuzz_check_refusal(&err, ERR_USAGE, s);
    }
}

static void fuzz_size(const char *s, uint64_t min, uint64_t max)
{
    struct error err = {0};
    uint64_t v = 0;
    uint64_t ref = 0;
    size_t ndigits = strspn(s, "0123456789");
    int scaled = 0;

    if (parse_size(&err, "--size", s, min, max, &v) == 0) {
        fuzz_require(v >= min && v <= max, "parse_size value out of range", s);
        fuzz_require(fuzz_ref_digits(s, ndigits, &ref), "parse_size took a bad number", s);
        // Whatever the suffix, the value is the number times 1, K, M or G, and never wrapped.
        for (unsigned shift = 0; shift <= 30; shift += 10)
            scaled |= ref <= (UINT64_MAX >> shift) && v == ref << shift;
        fuzz_require(scaled, "parse_size value is not the number times 1, K, M or G", s);
    } else {
        fuzz_check_refusal(&err, ERR_USAGE, s);
    }
}

static void fuzz_list(const char *s, size_t cap)
{
    enum { CAP_MAX = 8 };
    struct error err = {0};
    // One spare slot with a canary: the parser must never write past cap.
    unsigned long out[CAP_MAX + 1];
    size_t n = 12345;
    size_t commas = 0;

    for (size_t i = 0; i <= CAP_MAX; i++)
        out[i] = 0xdeadbeef;
    for (const char *p = s; *p != '\0'; p++)
        commas += *p == ',';
    if (parse_uint_list(&err, "--list", s, 1, 64, out, cap, &n) == 0) {
        fuzz_require(n >= 1 && n <= cap, "parse_uint_list count outside [1, cap]", s);
        fuzz_require(n == commas + 1, "parse_uint_list count is not the element count", s);
        for (size_t i = 0; i < n; i++) {
            fuzz_require(out[i] >= 1 && out[i] <= 64, "parse_uint_list value out of range", s);
            for (size_t j = 0; j < i; j++)
                fuzz_require(out[i] != out[j], "parse_uint_list kept a duplicate", s);
        }
    } else {
        fuzz_require(n == 0, "parse_uint_list left *n set on failure", s);
        fuzz_check_refusal(&err, ERR_USAGE, s);
    }
    fuzz_require(out[cap] == 0xdeadbeef, "parse_uint_list wrote past cap", s);
}

/* Reference: every comma-separated element is one of names[] (no empty element). */
static int fuzz_ref_names(const char *s, const char *const names[], size_t n)
{
    for (;;) {
        size_t len = strcspn(s, ","), i;

        for (i = 0; i < n; i++)
            if (strlen(names[i]) == len && strncmp(s, names[i], len) == 0)
                break;
        if (i == n)
            return 0;
        if (s[len] == '\0')
            return 1;
        s += len + 1;
    }
}

static void fuzz_parts(const char *s)
{
    static const char *const streams[] = {"kernels", "gemm", "copy", "pipeline", "priority"};
    static const char *const ts[] = {"contention", "timeline", "victim"};
    static const char *const mps[] = {"contention", "timeline", "victim",
                                      "threads",    "memlimit", "clients"};
    static const char *const workloads[] = {"gemm", "spin", "infer", "copy", "info", "client"};
    struct error err = {0};
    enum workload_kind k;
    unsigned mask = 0;

    if (streams_parse_parts(&err, s, &mask) == 0)
        fuzz_require(fuzz_ref_names(s, streams, 5) && mask != 0 && (mask & ~STREAMS_ALL) == 0,
                     "streams_parse_parts accepted a bad list", s);
    else
        fuzz_require(!fuzz_ref_names(s, streams, 5), "streams_parse_parts refused a good list", s);
    if (timeslice_parse_parts(&err, s, &mask) == 0)
        fuzz_require(fuzz_ref_names(s, ts, 3) && mask != 0 && (mask & ~TS_ALL) == 0,
                     "timeslice_parse_parts accepted a bad list", s);
    else
        fuzz_require(!fuzz_ref_names(s, ts, 3), "timeslice_parse_parts refused a good list", s);
    if (mps_parse_parts(&err, s, &mask) == 0)
        fuzz_require(fuzz_ref_names(s, mps, 6) && mask != 0 && (mask & ~MPS_ALL) == 0,
                     "mps_parse_parts accepted a bad list", s);
    else
        fuzz_require(!fuzz_ref_names(s, mps, 6), "mps_parse_parts refused a good list", s);
    if (workload_parse(&err, s, &k) == 0)
        fuzz_require(strchr(s, ',') == NULL && fuzz_ref_names(s, workloads, 6) &&
                         strcmp(workload_name(k), s) == 0,
                     "workload_parse accepted a bad name", s);
    else
        fuzz_check_refusal(&err, ERR_USAGE, s);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *s = malloc(size + 1);

    if (s == NULL)
        return 0;
    memcpy(s, data, size);
    s[size] = '\0';

    fuzz_uint(s, 1, 1000);
    fuzz_uint(s, 0, ULONG_MAX);
    fuzz_double(s, 0.0, 1.0);
    fuzz_double(s, -1e6, 1e6);
    fuzz_size(s, 4096, UINT64_C(1) << 30);
    fuzz_size(s, 0, UINT64_MAX);
    fuzz_list(s, 8);
    fuzz_list(s, 3);
    fuzz_list(s, 0);
    fuzz_parts(s);

    free(s);
    return 0;
}
