/*
 * Unit tests for gpu/mps_spec: the thread percentage and the pinned memory limit, parsed one
 * way for mps start, mps exec, emit mps and emit k8s (issue 12: the three parsers disagreed on
 * "0=10g" and "12.5").
 */
#include "gpu/mps_spec.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "check.h"

#define UUID "0123abcd-0000-1111-2222-333344445555"

static const struct {
    const char *in;
    unsigned want; /* 0: refused */
    const char *text;
} pct_cases[] = {
    {"25", 2500, "25"},   {"12.5", 1250, "12.5"}, {"33.33", 3333, "33.33"},
    {"1", 100, "1"},      {"100", 10000, "100"},  {"100.00", 10000, "100"},
    {"7.50", 750, "7.5"}, {"0", 0, NULL},         {"0.99", 0, NULL},
    {"100.01", 0, NULL},  {"12.345", 0, NULL},    {"25.", 0, NULL},
    {".5", 0, NULL},      {"", 0, NULL},          {"-5", 0, NULL},
    {"1e2", 0, NULL},     {" 25", 0, NULL},       {"25%", 0, NULL},
    {"0100", 0, NULL},    {"nan", 0, NULL},
};

static void test_pct(void **state)
{
    (void)state;
    for (size_t i = 0; i < COUNT(pct_cases); i++) {
        struct error err = {0};
        unsigned centi = 0;
        char text[16];
        int rc = mps_pct_parse(&err, "--thread-pct", pct_cases[i].in, &centi);

        if (pct_cases[i].want == 0) {
            if (rc != -1 || err.code != ERR_USAGE || strstr(err.msg, "--thread-pct") == NULL)
                fail_msg("case %zu '%s': accepted as %u", i, pct_cases[i].in, centi);
            continue;
        }
        if (rc != 0 || centi != pct_cases[i].want)
            fail_msg("case %zu '%s': rc %d, %u (%s)", i, pct_cases[i].in, rc, centi, err.msg);
        mps_pct_text(centi, text, sizeof(text));
        assert_string_equal(text, pct_cases[i].text);
    }
}

static const struct {
    const char *in;
    const char *want; /* the normalized form; NULL: refused, with this in the message */
    const char *why;
} mem_cases[] = {
    {"0=10G", "0=10G", NULL},
    {"0=10G,1=512M", "0=10G,1=512M", NULL},
    {"63=1M", "63=1M", NULL},
    {"GPU-" UUID "=1G", "GPU-" UUID "=1G", NULL},
    {"MIG-" UUID "=9999999M", "MIG-" UUID "=9999999M", NULL},
    {"0=10g", NULL, "upper case"},
    {"0=10X", NULL, "LIMIT must be"},
    {"0=0G", NULL, "LIMIT must be"},
    {"0=010G", NULL, "LIMIT must be"},
    {"0=10000000M", NULL, "LIMIT must be"},
    {"64=1G", NULL, "DEV must be"},
    {"01=1G", NULL, "DEV must be"},
    {"gpu0=1G", NULL, "DEV must be"},
    {"GPU-ab12=1G", NULL, "DEV must be"},
    {"=1G", NULL, "DEV must be"},
    {"0", NULL, "expected DEV=LIMIT"},
    {"", NULL, "an empty entry"},
    {"0=1G,", NULL, "an empty entry"},
    {"0=1G,,1=1G", NULL, "an empty entry"},
    {"0=1G,0=2G", NULL, "appears twice"},
    {"GPU-" UUID "=1G,gpu-0123ABCD-0000-1111-2222-333344445555=1G", NULL, "DEV must be"},
    {"GPU-" UUID "=1G,GPU-0123ABCD-0000-1111-2222-333344445555=1G", NULL, "appears twice"},
    {"0=1G;rm -rf /", NULL, "LIMIT must be"},
};

static void test_mem(void **state)
{
    (void)state;
    for (size_t i = 0; i < COUNT(mem_cases); i++) {
        struct error err = {0};
        char out[MPS_MEM_TEXT_MAX] = "";
        int rc = mps_mem_normalize(&err, "--mem-limit", mem_cases[i].in, out, sizeof(out));

        if (mem_cases[i].want == NULL) {
            if (rc != -1 || err.code != ERR_USAGE || strstr(err.msg, mem_cases[i].why) == NULL ||
                strstr(err.msg, "--mem-limit") == NULL)
                fail_msg("case %zu '%s': rc %d, \"%s\", want \"%s\"", i, mem_cases[i].in, rc,
                         err.msg, mem_cases[i].why);
            continue;
        }
        if (rc != 0 || strcmp(out, mem_cases[i].want) != 0)
            fail_msg("case %zu '%s': rc %d, '%s' (%s)", i, mem_cases[i].in, rc, out, err.msg);
    }
}

/* The entries and their MiB; at most max, and never more than MPS_MAX_MEM_LIMITS. */
static void test_mem_entries(void **state)
{
    struct mps_mem_limit m[MPS_MAX_MEM_LIMITS];
    char many[MPS_MEM_TEXT_MAX] = "";
    struct error err = {0};
    size_t n = 99;

    (void)state;
    assert_int_equal(mps_mem_parse(&err, "x", "0=10G,1=512M", m, MPS_MAX_MEM_LIMITS, &n), 0);
    assert_int_equal(n, 2);
    assert_string_equal(m[0].dev, "0");
    assert_int_equal(m[0].mib, 10240);
    assert_string_equal(m[1].value, "512M");
    assert_int_equal(m[1].mib, 512);
    assert_int_equal(mps_mem_parse(&err, "x", "0=1G,1=1G", m, 1, &n), -1);
    assert_int_equal(n, 0);
    assert_non_null(strstr(err.msg, "at most 1"));
    for (int d = 0; d <= MPS_MAX_MEM_LIMITS; d++)
        snprintf(many + strlen(many), sizeof(many) - strlen(many), "%s%d=1G", d > 0 ? "," : "", d);
    assert_int_equal(mps_mem_parse(&err, "x", many, m, 99, &n), -1);
    assert_non_null(strstr(err.msg, "at most 16"));
}

/* Too long for the caller's buffer: refused, nothing cut. */
static void test_mem_too_long(void **state)
{
    struct error err = {0};
    char out[8] = "x";

    (void)state;
    assert_int_equal(mps_mem_normalize(&err, "--mem-limit", "0=10G,1=512M", out, sizeof(out)), -1);
    assert_non_null(strstr(err.msg, "longer than 7 bytes"));
    assert_int_equal(mps_mem_normalize(&err, "--mem-limit", "0=10G", NULL, 0), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_pct),
        cmocka_unit_test(test_mem),
        cmocka_unit_test(test_mem_entries),
        cmocka_unit_test(test_mem_too_long),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
