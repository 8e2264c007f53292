/*
 * Unit tests for core/strparse: what each command-line parser accepts, what it refuses,
 * and that every refusal is a git-style message naming the option and the offending text.
 */
#include "core/strparse.h"

#include <float.h>
#include <limits.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "core/error.h"

_Static_assert(ULONG_MAX == 18446744073709551615UL, "the tables assume a 64-bit unsigned long");

#define GIB (UINT64_C(1) << 30)

/*
 * A refusal must be ERR_USAGE with a message in git's form (lowercase, no full stop),
 * naming the option and quoting `quoted`, the text the user has to fix.
 */
static void check_refusal(const struct error *err, const char *what, const char *quoted,
                          const char *in, size_t i)
{
    char needle[128];
    size_t len = strlen(err->msg);

    snprintf(needle, sizeof(needle), "'%s'", quoted);
    if (err->code != ERR_USAGE)
        fail_msg("case %zu '%s': code %d, want ERR_USAGE", i, in, err->code);
    if (len == 0 || err->msg[0] < 'a' || err->msg[0] > 'z' || err->msg[len - 1] == '.')
        fail_msg("case %zu '%s': message not in git style: \"%s\"", i, in, err->msg);
    if (strstr(err->msg, what) == NULL || strstr(err->msg, needle) == NULL)
        fail_msg("case %zu '%s': message \"%s\" lacks %s or %s", i, in, err->msg, what, needle);
}

static const struct {
    const char *in;
    unsigned long min, max;
    int ok;
    unsigned long want;
} uint_cases[] = {
    {"1", 1, 1000, 1, 1},
    {"1000", 1, 1000, 1, 1000},
    {"0", 0, 10, 1, 0},
    {"010", 0, 100, 1, 10}, // decimal, never octal
    {"18446744073709551615", 0, ULONG_MAX, 1, ULONG_MAX},
    {"", 1, 1000, 0, 0},
    {"-1", 0, ULONG_MAX, 0, 0}, // strtoul alone would wrap this to ULONG_MAX
    {"+1", 1, 1000, 0, 0},
    {" 1", 1, 1000, 0, 0},
    {"\t1", 1, 1000, 0, 0},
    {"1 ", 1, 1000, 0, 0},
    {"1\n", 1, 1000, 0, 0},
    {"0x10", 0, 1000, 0, 0},
    {"1e3", 1, 10000, 0, 0},
    {"1.0", 1, 1000, 0, 0},
    {"abc", 1, 1000, 0, 0},
    {"12abc", 1, 1000, 0, 0},
    {"99999999999999999999999", 0, ULONG_MAX, 0, 0}, // ERANGE
    {"18446744073709551616", 0, ULONG_MAX, 0, 0},    // ULONG_MAX + 1
    {"0", 1, 1000, 0, 0},
    {"1001", 1, 1000, 0, 0},
    {"\xef\xbc\x91", 0, 10, 0, 0}, // a fullwidth digit one
};

static void test_uint_table(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(uint_cases) / sizeof(uint_cases[0]); i++) {
        struct error err = {0};
        unsigned long got = 12345;
        int rc = parse_uint(&err, "--trials", uint_cases[i].in, uint_cases[i].min,
                            uint_cases[i].max, &got);

        if (uint_cases[i].ok) {
            if (rc != 0)
                fail_msg("case %zu '%s': refused: %s", i, uint_cases[i].in, err.msg);
            if (got != uint_cases[i].want)
                fail_msg("case %zu '%s': got %lu, want %lu", i, uint_cases[i].in, got,
                         uint_cases[i].want);
        } else {
            if (rc != -1)
                fail_msg("case %zu '%s': accepted as %lu", i, uint_cases[i].in, got);
            if (got != 12345)
                fail_msg("case %zu '%s': *out written on failure", i, uint_cases[i].in);
            check_refusal(&err, "--trials", uint_cases[i].in, uint_cases[i].in, i);
        }
    }
}

static void test_uint_message(void **state)
{
    struct error err = {0};
    unsigned long v;

    (void)state;
    assert_int_equal(parse_uint(&err, "--trials", "abc", 1, 1000, &v), -1);
    assert_string_equal(err.msg,
                        "invalid value 'abc' for --trials: expected a whole number from 1 to 1000");
}

/* A pasted novel is cut in the message so that what was expected still shows. */
static void test_long_input_is_cut(void **state)
{
    char in[301];
    char want_prefix[128];
    struct error err = {0};
    unsigned long v;

    (void)state;
    memset(in, '7', sizeof(in) - 1);
    in[sizeof(in) - 1] = '\0';
    assert_int_equal(parse_uint(&err, "--trials", in, 1, 1000, &v), -1);
    snprintf(want_prefix, sizeof(want_prefix), "invalid value '%.64s...' for --trials", in);
    assert_true(strncmp(err.msg, want_prefix, strlen(want_prefix)) == 0);
    assert_non_null(strstr(err.msg, "from 1 to 1000"));
}

static const struct {
    const char *in;
    double min, max;
    int ok;
    double want;
} double_cases[] = {
    {"0.5", 0.0, 1.0, 1, 0.5},
    {"1", 0.0, 1.0, 1, 1.0},
    {"0", 0.0, 1.0, 1, 0.0},
    {"1e-3", 0.0, 1.0, 1, 1e-3},
    {"2.5e+2", 0.0, 1000.0, 1, 250.0},
    {"2.5E2", 0.0, 1000.0, 1, 250.0},
    {".5", 0.0, 1.0, 1, 0.5},
    {"1.", 0.0, 1.0, 1, 1.0},
    {"-0.5", -1.0, 1.0, 1, -0.5}, // a sign is fine where the range is negative
    {"", 0.0, 1.0, 0, 0.0},
    {"-1", 0.0, 10.0, 0, 0.0},
    {"-0", 0.0, 1.0, 0, 0.0},
    {"+1", 0.0, 10.0, 0, 0.0},
    {" 1", 0.0, 10.0, 0, 0.0},
    {"1 ", 0.0, 10.0, 0, 0.0},
    {"0x10", 0.0, 100.0, 0, 0.0},
    {"0x1p3", 0.0, 100.0, 0, 0.0},
    {"inf", 0.0, DBL_MAX, 0, 0.0},
    {"infinity", 0.0, DBL_MAX, 0, 0.0},
    {"nan", 0.0, DBL_MAX, 0, 0.0},
    {"NaN", -DBL_MAX, DBL_MAX, 0, 0.0},
    {"1e999", 0.0, DBL_MAX, 0, 0.0},  // overflow, ERANGE
    {"1e-999", 0.0, DBL_MAX, 0, 0.0}, // underflow, ERANGE
    {"1e", 0.0, 10.0, 0, 0.0},
    {"1e+", 0.0, 10.0, 0, 0.0},
    {".", 0.0, 10.0, 0, 0.0},
    {"-", -1.0, 10.0, 0, 0.0},
    {"1.5.2", 0.0, 10.0, 0, 0.0},
    {"1,5", 0.0, 10.0, 0, 0.0},
    {"abc", 0.0, 10.0, 0, 0.0},
    {"11", 0.0, 10.0, 0, 0.0},
    {"0.09", 0.1, 10.0, 0, 0.0},
};

static void test_double_table(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(double_cases) / sizeof(double_cases[0]); i++) {
        struct error err = {0};
        double got = 12345.0;
        int rc = parse_double(&err, "--ratio", double_cases[i].in, double_cases[i].min,
                              double_cases[i].max, &got);

        if (double_cases[i].ok) {
            if (rc != 0)
                fail_msg("case %zu '%s': refused: %s", i, double_cases[i].in, err.msg);
            if (got != double_cases[i].want)
                fail_msg("case %zu '%s': got %.17g, want %.17g", i, double_cases[i].in, got,
                         double_cases[i].want);
        } else {
            if (rc != -1)
                fail_msg("case %zu '%s': accepted as %.17g", i, double_cases[i].in, got);
            if (got != 12345.0)
                fail_msg("case %zu '%s': *out written on failure", i, double_cases[i].in);
            check_refusal(&err, "--ratio", double_cases[i].in, double_cases[i].in, i);
        }
    }
}

static void test_double_message(void **state)
{
    struct error err = {0};
    double v;

    (void)state;
    assert_int_equal(parse_double(&err, "--ratio", "1.5", 0.0, 1.0, &v), -1);
    assert_string_equal(err.msg, "invalid value '1.5' for --ratio: expected a number from 0 to 1");
}

static const struct {
    const char *in;
    uint64_t min, max;
    int ok;
    uint64_t want;
} size_cases[] = {
    {"0", 0, UINT64_MAX, 1, 0},
    {"4096", 0, UINT64_MAX, 1, 4096},
    {"4K", 0, UINT64_MAX, 1, 4096},
    {"4k", 0, UINT64_MAX, 1, 4096},
    {"4KiB", 0, UINT64_MAX, 1, 4096},
    {"4kib", 0, UINT64_MAX, 1, 4096},
    {"4KIB", 0, UINT64_MAX, 1, 4096},
    {"512M", 0, UINT64_MAX, 1, 512ull << 20},
    {"512MiB", 0, UINT64_MAX, 1, 512ull << 20},
    {"1G", 0, UINT64_MAX, 1, GIB},
    {"1gib", 0, UINT64_MAX, 1, GIB},
    {"18446744073709551615", 0, UINT64_MAX, 1, UINT64_MAX},
    {"17179869183G", 0, UINT64_MAX, 1, UINT64_C(17179869183) << 30}, // the largest G
    {"4K", 4096, GIB, 1, 4096},
    {"1G", 4096, GIB, 1, GIB},
    {"", 0, UINT64_MAX, 0, 0},
    {"-1", 0, UINT64_MAX, 0, 0},
    {"+1", 0, UINT64_MAX, 0, 0},
    {" 1", 0, UINT64_MAX, 0, 0},
    {"1 ", 0, UINT64_MAX, 0, 0},
    {"4 K", 0, UINT64_MAX, 0, 0},
    {"0x10", 0, UINT64_MAX, 0, 0},
    {"1.5K", 0, UINT64_MAX, 0, 0},
    {"4KB", 0, UINT64_MAX, 0, 0}, // KB could mean 1000: refuse the ambiguity
    {"4B", 0, UINT64_MAX, 0, 0},
    {"4Ki", 0, UINT64_MAX, 0, 0},
    {"4KK", 0, UINT64_MAX, 0, 0},
    {"4T", 0, UINT64_MAX, 0, 0},
    {"K", 0, UINT64_MAX, 0, 0},
    {"99999999999999999999999", 0, UINT64_MAX, 0, 0},
    {"18446744073709551616", 0, UINT64_MAX, 0, 0},
    {"17179869184G", 0, UINT64_MAX, 0, 0}, // 2^34 G = 2^64: would wrap to 0
    {"16777216M", 0, UINT64_MAX, 1, UINT64_C(16777216) << 20},
    {"17592186044416M", 0, UINT64_MAX, 0, 0}, // 2^44 M = 2^64
    {"1K", 4096, GIB, 0, 0},
    {"2G", 4096, GIB, 0, 0},
};

static void test_size_table(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(size_cases) / sizeof(size_cases[0]); i++) {
        struct error err = {0};
        uint64_t got = 12345;
        int rc = parse_size(&err, "--size", size_cases[i].in, size_cases[i].min, size_cases[i].max,
                            &got);

        if (size_cases[i].ok) {
            if (rc != 0)
                fail_msg("case %zu '%s': refused: %s", i, size_cases[i].in, err.msg);
            if (got != size_cases[i].want)
                fail_msg("case %zu '%s': got %llu, want %llu", i, size_cases[i].in,
                         (unsigned long long)got, (unsigned long long)size_cases[i].want);
        } else {
            if (rc != -1)
                fail_msg("case %zu '%s': accepted as %llu", i, size_cases[i].in,
                         (unsigned long long)got);
            if (got != 12345)
                fail_msg("case %zu '%s': *out written on failure", i, size_cases[i].in);
            check_refusal(&err, "--size", size_cases[i].in, size_cases[i].in, i);
        }
    }
}

static void test_size_message(void **state)
{
    struct error err = {0};
    uint64_t v;

    (void)state;
    assert_int_equal(parse_size(&err, "--size", "1.5K", 4096, GIB, &v), -1);
    assert_string_equal(err.msg, "invalid value '1.5K' for --size: expected a size from 4K to 1G "
                                 "bytes (a whole number, optionally followed by K, M or G)");
}

static const struct {
    const char *in;
    size_t cap;
    size_t want_n; // 0: refused
    unsigned long want[5];
    const char *quoted; // what a refusal must quote
    const char *reason; // and a phrase it must contain
} list_cases[] = {
    {"1,2,4", 8, 3, {1, 2, 4}, NULL, NULL},
    {"8", 8, 1, {8}, NULL, NULL},
    {"4,2,1", 8, 3, {4, 2, 1}, NULL, NULL}, // the user's order is kept
    {"1,2,3,4", 4, 4, {1, 2, 3, 4}, NULL, NULL},
    {"64,1", 8, 2, {64, 1}, NULL, NULL},
    {"", 8, 0, {0}, "", "expected"},
    {",", 8, 0, {0}, ",", "empty element"},
    {"1,,3", 8, 0, {0}, "1,,3", "empty element"},
    {"1,", 8, 0, {0}, "1,", "empty element"},
    {",1", 8, 0, {0}, ",1", "empty element"},
    {"1,1", 8, 0, {0}, "1,1", "duplicate value '1'"},
    {"1,2,1", 8, 0, {0}, "1,2,1", "duplicate value '1'"},
    {"1,2,3,4,5", 4, 0, {0}, "1,2,3,4,5", "more than 4 values"},
    {"1", 0, 0, {0}, "1", "more than 0 values"},
    {"1, 2", 8, 0, {0}, " 2", "whole number"},
    {"1,-2", 8, 0, {0}, "-2", "whole number"},
    {"1,+2", 8, 0, {0}, "+2", "whole number"},
    {"1,0x10", 8, 0, {0}, "0x10", "whole number"},
    {"1,abc", 8, 0, {0}, "abc", "whole number"},
    {"1;2", 8, 0, {0}, "1;2", "whole number"},
    {"0", 8, 0, {0}, "0", "from 1 to 64"},
    {"2,65", 8, 0, {0}, "65", "from 1 to 64"},
    {"1,99999999999999999999999", 8, 0, {0}, "99999999999999999999999", "whole number"},
};

static void test_list_table(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(list_cases) / sizeof(list_cases[0]); i++) {
        struct error err = {0};
        unsigned long got[8] = {0};
        size_t n = 99;
        int rc =
            parse_uint_list(&err, "--streams", list_cases[i].in, 1, 64, got, list_cases[i].cap, &n);

        if (list_cases[i].want_n != 0) {
            if (rc != 0)
                fail_msg("case %zu '%s': refused: %s", i, list_cases[i].in, err.msg);
            if (n != list_cases[i].want_n)
                fail_msg("case %zu '%s': n = %zu, want %zu", i, list_cases[i].in, n,
                         list_cases[i].want_n);
            for (size_t j = 0; j < n; j++) {
                if (got[j] != list_cases[i].want[j])
                    fail_msg("case %zu '%s': [%zu] = %lu, want %lu", i, list_cases[i].in, j, got[j],
                             list_cases[i].want[j]);
            }
        } else {
            if (rc != -1)
                fail_msg("case %zu '%s': accepted, n = %zu", i, list_cases[i].in, n);
            if (n != 0)
                fail_msg("case %zu '%s': n = %zu on failure, want 0", i, list_cases[i].in, n);
            check_refusal(&err, "--streams", list_cases[i].quoted, list_cases[i].in, i);
            if (strstr(err.msg, list_cases[i].reason) == NULL)
                fail_msg("case %zu '%s': message \"%s\" lacks \"%s\"", i, list_cases[i].in, err.msg,
                         list_cases[i].reason);
        }
    }
}

/* The list never writes past cap, even when the input is longer. */
static void test_list_respects_cap(void **state)
{
    struct error err = {0};
    unsigned long got[4] = {0, 0, 0, 0};
    size_t n = 0;

    (void)state;
    assert_int_equal(parse_uint_list(&err, "--streams", "1,2,3,4,5,6", 1, 64, got, 3, &n), -1);
    assert_int_equal(got[3], 0);
    assert_int_equal(n, 0);
    assert_string_equal(err.msg, "invalid list '1,2,3,4,5,6' for --streams: more than 3 values");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_uint_table),        cmocka_unit_test(test_uint_message),
        cmocka_unit_test(test_long_input_is_cut), cmocka_unit_test(test_double_table),
        cmocka_unit_test(test_double_message),    cmocka_unit_test(test_size_table),
        cmocka_unit_test(test_size_message),      cmocka_unit_test(test_list_table),
        cmocka_unit_test(test_list_respects_cap),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
