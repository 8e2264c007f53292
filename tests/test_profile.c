/*
 * Unit tests for mig/profile: mig-parted's profile-name grammar. The first table holds the
 * cases of mig-parted's own TestParseMigProfile (pkg/types/types_test.go, the same list in
 * go-nvlib pkg/nvlib/device/mig_profile_test.go); the rest probe the edges its format check
 * (go-nvlib parseMigProfile) decides: zeros, leading zeros, case, c > g, attributes.
 */
#include "mig/profile.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "core/error.h"

struct profile_case {
    const char *in;
    bool ok;
    unsigned c, g, mem_gb;
    const char *attrs;
    bool negated;
    const char *canon; /* mig_profile_format of the result */
};

/*
 * mig-parted's TestParseMigProfile, verbatim. It calls ParseMigProfile, which also demands
 * that the (mock) device has the profile; the config loader checks the format only
 * (MigConfigSpec.UnmarshalJSON -> AssertValidMigProfileFormat). Five names are well-formed but
 * absent from the mock A100, so the format check, and this parser, take them: marked
 * "format only". Three rows of the Go table repeat an input under another description; they
 * are kept once.
 */
static const struct profile_case migparted_cases[] = {
    {"", false, 0, 0, 0, "", false, NULL},
    {"1g.5gb", true, 0, 1, 5, "", false, "1g.5gb"},
    {"1c.1g.5gb", true, 1, 1, 5, "", false, "1g.5gb"},
    {"1g.5gb+me", true, 0, 1, 5, "me", false, "1g.5gb+me"},
    {"1c.1g.5gb+me", true, 1, 1, 5, "me", false, "1g.5gb+me"},
    {"0g.0gb", true, 0, 0, 0, "", false, "0g.0gb"},                            // format only
    {"0c.0g.0gb", true, 0, 0, 0, "", false, "0g.0gb"},                         // format only
    {"10000g.500000gb", true, 0, 10000, 500000, "", false, "10000g.500000gb"}, // format only
    {"10000c.10000g.500000gb", true, 10000, 10000, 500000, "", false,
     "10000g.500000gb"}, // format only
    {" 1c.1g.5gb", false, 0, 0, 0, "", false, NULL},
    {"1 c.1g.5gb", false, 0, 0, 0, "", false, NULL},
    {"1c .1g.5gb", false, 0, 0, 0, "", false, NULL},
    {"1c. 1g.5gb", false, 0, 0, 0, "", false, NULL},
    {"1c.1 g.5gb", false, 0, 0, 0, "", false, NULL},
    {"1c.1g .5gb", false, 0, 0, 0, "", false, NULL},
    {"1c.1g. 5gb", false, 0, 0, 0, "", false, NULL},
    {"1c.1g.5 gb", false, 0, 0, 0, "", false, NULL},
    {"1c.1g.5g b", false, 0, 0, 0, "", false, NULL},
    {"1c.1g.5gb ", false, 0, 0, 0, "", false, NULL},
    {"1c . 1g . 5gb", false, 0, 0, 0, "", false, NULL},
    {"1c.f1g.5gb", false, 0, 0, 0, "", false, NULL},
    {"1r.1g.5gb", false, 0, 0, 0, "", false, NULL},
    {"1g.5gbk", false, 0, 0, 0, "", false, NULL},
    {"1g.5", false, 0, 0, 0, "", false, NULL},
    {"g.5gb", false, 0, 0, 0, "", false, NULL},
    {"1g.gb", false, 0, 0, 0, "", false, NULL},
    {"1g.5gb+me,me", false, 0, 0, 0, "", false, NULL},
    {"1g.5gb+me,you,them", true, 0, 1, 5, "me,you,them", false, "1g.5gb+me,you,them"}, // fmt
    {"1c.1g.5gb+me,you,them", true, 1, 1, 5, "me,you,them", false,
     "1g.5gb+me,you,them"}, // format only
    {"1g.5gb+", false, 0, 0, 0, "", false, NULL},
    {"1g.5gb+2me", false, 0, 0, 0, "", false, NULL},
    {"1g.5gb*me", false, 0, 0, 0, "", false, NULL},
    {"1c.1g.5gb*me", false, 0, 0, 0, "", false, NULL},
    {"1g.5gb*me,you,them", false, 0, 0, 0, "", false, NULL},
    {"1c.1g.5gb*me,you,them", false, 0, 0, 0, "", false, NULL},
    {"bogus", false, 0, 0, 0, "", false, NULL},
};

/* The edges of go-nvlib's parseMigProfile, each worked from its code. */
static const struct profile_case edge_cases[] = {
    // Names in NVIDIA's default config (RTX PRO 6000, A100, A30, B200).
    {"1g.24gb+me.all", true, 0, 1, 24, "me.all", false, "1g.24gb+me.all"},
    {"1g.24gb-me", true, 0, 1, 24, "me", true, "1g.24gb-me"},
    {"2g.48gb+gfx", true, 0, 2, 48, "gfx", false, "2g.48gb+gfx"},
    {"1c.2g.10gb", true, 1, 2, 10, "", false, "1c.2g.10gb"},
    {"7g.180gb", true, 0, 7, 180, "", false, "7g.180gb"},
    // strconv.Atoi: leading zeros are fine, so the canonical name drops them.
    {"01g.005gb", true, 0, 1, 5, "", false, "1g.5gb"},
    {"007c.007g.0080gb", true, 7, 7, 80, "", false, "7g.80gb"},
    // Nothing relates c to g.
    {"2c.1g.5gb", true, 2, 1, 5, "", false, "2c.1g.5gb"},
    {"0c.1g.5gb", true, 0, 1, 5, "", false, "1g.5gb"},
    // Suffixes are matched with HasSuffix: lower case only. Attributes take either case.
    {"1G.5gb", false, 0, 0, 0, "", false, NULL},
    {"1g.5GB", false, 0, 0, 0, "", false, NULL},
    {"1C.1g.5gb", false, 0, 0, 0, "", false, NULL},
    {"1g.5gb+ME", true, 0, 1, 5, "ME", false, "1g.5gb+ME"},
    {"1g.5gb+me,ME", true, 0, 1, 5, "me,ME", false, "1g.5gb+me,ME"},
    // Field shape: SplitN(".", 3) and one suffix per field.
    {"1g", false, 0, 0, 0, "", false, NULL},
    {"1g.", false, 0, 0, 0, "", false, NULL},
    {".5gb", false, 0, 0, 0, "", false, NULL},
    {"1c.1g.5.5gb", false, 0, 0, 0, "", false, NULL},
    {"1c.5gb", false, 0, 0, 0, "", false, NULL},
    {"1g.1g.5gb", false, 0, 0, 0, "", false, NULL},
    {"1c.1c.1g.5gb", false, 0, 0, 0, "", false, NULL},
    {"1gb.5gb", false, 0, 0, 0, "", false, NULL},
    {"1g.5ggb", false, 0, 0, 0, "", false, NULL},
    {"1g.5gb.", false, 0, 0, 0, "", false, NULL},
    {"1g..5gb", false, 0, 0, 0, "", false, NULL},
    {"1g.0x5gb", false, 0, 0, 0, "", false, NULL},
    {"\t1g.5gb", false, 0, 0, 0, "", false, NULL},
    // Signs: split at the first '+' (else '-'); both anywhere is refused.
    {"1g.5gb+me-x", false, 0, 0, 0, "", false, NULL},
    {"1g.5gb-me+x", false, 0, 0, 0, "", false, NULL},
    {"1g.5gb+me+gfx", false, 0, 0, 0, "", false, NULL},
    {"1g.5gb--me", false, 0, 0, 0, "", false, NULL},
    {"+1g.5gb", false, 0, 0, 0, "", false, NULL},
    {"-1g.5gb", false, 0, 0, 0, "", false, NULL},
    {"1g.-5gb", false, 0, 0, 0, "", false, NULL},
    {"1g.5gb-", false, 0, 0, 0, "", false, NULL},
    // Attributes: [A-Za-z0-9.], a letter first, no '.' last, none twice, none empty.
    {"1g.5gb+gfx,me.all", true, 0, 1, 5, "gfx,me.all", false, "1g.5gb+gfx,me.all"},
    {"1g.5gb+me..all", true, 0, 1, 5, "me..all", false, "1g.5gb+me..all"},
    {"1g.5gb+m2", true, 0, 1, 5, "m2", false, "1g.5gb+m2"},
    {"1g.5gb-me,gfx", true, 0, 1, 5, "me,gfx", true, "1g.5gb-me,gfx"},
    {"1g.5gb+.me", false, 0, 0, 0, "", false, NULL},
    {"1g.5gb+me.", false, 0, 0, 0, "", false, NULL},
    {"1g.5gb+.", false, 0, 0, 0, "", false, NULL},
    {"1g.5gb+m_e", false, 0, 0, 0, "", false, NULL},
    {"1g.5gb+me ", false, 0, 0, 0, "", false, NULL},
    {"1g.5gb+,me", false, 0, 0, 0, "", false, NULL},
    {"1g.5gb+me,", false, 0, 0, 0, "", false, NULL},
    {"1g.5gb+me,,gfx", false, 0, 0, 0, "", false, NULL},
    {"1g.5gb-me,me", false, 0, 0, 0, "", false, NULL},
    {"1g.5gb+\xc3\xa9", false, 0, 0, 0, "", false, NULL},
    // Our two limits: numbers up to UINT_MAX (mig-parted: 2^63 - 1), attributes up to 31.
    {"4294967295g.4294967295gb", true, 0, 4294967295u, 4294967295u, "", false,
     "4294967295g.4294967295gb"},
    {"4294967296g.1gb", false, 0, 0, 0, "", false, NULL},
    {"1g.99999999999999999999gb", false, 0, 0, 0, "", false, NULL},
    {"1g.5gb+abcdefghijklmnopqrstuvwxyz01234", true, 0, 1, 5, "abcdefghijklmnopqrstuvwxyz01234",
     false, "1g.5gb+abcdefghijklmnopqrstuvwxyz01234"},
    {"1g.5gb+abcdefghijklmnopqrstuvwxyz012345", false, 0, 0, 0, "", false, NULL},
};

/* A refusal is ERR_USAGE in git's form (lowercase, no full stop) and quotes the name. */
static void check_refusal(const struct error *err, const char *in, const char *table, size_t i)
{
    size_t len = strnlen(err->msg, sizeof(err->msg));
    char quoted[96];

    if (err->code != ERR_USAGE)
        fail_msg("%s case %zu '%s': code %d, want ERR_USAGE", table, i, in, err->code);
    if (len == 0 || len >= sizeof(err->msg) || err->msg[0] < 'a' || err->msg[0] > 'z' ||
        err->msg[len - 1] == '.')
        fail_msg("%s case %zu '%s': message not in git style: \"%s\"", table, i, in, err->msg);
    snprintf(quoted, sizeof(quoted), "'%.64s", in);
    if (in[0] != '\0' && strstr(err->msg, quoted) == NULL)
        fail_msg("%s case %zu '%s': message does not quote the name: \"%s\"", table, i, in,
                 err->msg);
}

static void run_cases(const struct profile_case *cases, size_t n, const char *table)
{
    for (size_t i = 0; i < n; i++) {
        const struct profile_case *t = &cases[i];
        struct mig_profile_name p = {7, 7, 7, "sentinel", true};
        struct error err = {0};
        char got[MIG_PROFILE_NAME_SIZE];
        int rc = mig_profile_parse(&err, t->in, &p);

        if (!t->ok) {
            if (rc != -1)
                fail_msg("%s case %zu: '%s' accepted, want refused", table, i, t->in);
            check_refusal(&err, t->in, table, i);
            if (p.c != 7 || p.g != 7 || p.mem_gb != 7 || strcmp(p.attrs, "sentinel") != 0)
                fail_msg("%s case %zu: '%s' refused but the output was written", table, i, t->in);
            continue;
        }
        if (rc != 0)
            fail_msg("%s case %zu: '%s' refused: %s", table, i, t->in, err.msg);
        if (p.c != t->c || p.g != t->g || p.mem_gb != t->mem_gb || strcmp(p.attrs, t->attrs) ||
            p.attrs_negated != t->negated)
            fail_msg("%s case %zu: '%s' parsed as c=%u g=%u mem=%u attrs='%s'%s, want c=%u g=%u "
                     "mem=%u attrs='%s'%s",
                     table, i, t->in, p.c, p.g, p.mem_gb, p.attrs, p.attrs_negated ? " (-)" : "",
                     t->c, t->g, t->mem_gb, t->attrs, t->negated ? " (-)" : "");
        mig_profile_format(&p, got, sizeof(got));
        if (strcmp(got, t->canon) != 0)
            fail_msg("%s case %zu: '%s' formats as '%s', want '%s'", table, i, t->in, got,
                     t->canon);
    }
}

static void test_migparted_cases(void **state)
{
    (void)state;
    run_cases(migparted_cases, sizeof(migparted_cases) / sizeof(migparted_cases[0]), "mig-parted");
}

static void test_edge_cases(void **state)
{
    (void)state;
    run_cases(edge_cases, sizeof(edge_cases) / sizeof(edge_cases[0]), "edge");
}

/*
 * parse -> format -> parse gives the same profile (c as "c, or g when absent"), and the
 * canonical spelling is a fixed point of the round trip.
 */
static void round_trip(const struct profile_case *cases, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        struct mig_profile_name a, b;
        struct error err = {0};
        char once[MIG_PROFILE_NAME_SIZE], twice[MIG_PROFILE_NAME_SIZE];

        if (!cases[i].ok)
            continue;
        assert_int_equal(mig_profile_parse(&err, cases[i].in, &a), 0);
        mig_profile_format(&a, once, sizeof(once));
        if (mig_profile_parse(&err, once, &b) != 0)
            fail_msg("case %zu: '%s' formats as '%s', which is refused: %s", i, cases[i].in, once,
                     err.msg);
        if ((a.c ? a.c : a.g) != (b.c ? b.c : b.g) || a.g != b.g || a.mem_gb != b.mem_gb ||
            strcmp(a.attrs, b.attrs) != 0 || a.attrs_negated != b.attrs_negated)
            fail_msg("case %zu: '%s' -> '%s' reparses as another profile", i, cases[i].in, once);
        mig_profile_format(&b, twice, sizeof(twice));
        if (strcmp(once, twice) != 0)
            fail_msg("case %zu: '%s' -> '%s' -> '%s': not canonical", i, cases[i].in, once, twice);
    }
}

static void test_round_trip(void **state)
{
    (void)state;
    round_trip(migparted_cases, sizeof(migparted_cases) / sizeof(migparted_cases[0]));
    round_trip(edge_cases, sizeof(edge_cases) / sizeof(edge_cases[0]));
}

/* The messages say what is wrong, in the user's terms. */
static void test_messages(void **state)
{
    static const struct {
        const char *in, *want;
    } cases[] = {
        {"", "empty mig profile name"},
        {"bogus", "invalid mig profile 'bogus': expected [<c>c.]<g>g.<mem>gb"},
        {"1x.5gb", "invalid mig profile '1x.5gb': expected <n>g, got '1x'"},
        {"1g.5GB", "invalid mig profile '1g.5GB': expected <n>gb, got '5GB'"},
        {"1r.1g.5gb", "invalid mig profile '1r.1g.5gb': expected <n>c, got '1r'"},
        {"1g.5gb+me-x", "invalid mig profile '1g.5gb+me-x': both '+' and '-' attributes"},
        {"1g.5gb+me,me", "invalid mig profile '1g.5gb+me,me': repeated attribute 'me'"},
        {"1g.5gb+", "invalid mig profile '1g.5gb+': empty attribute"},
        {"1g.5gb+2me",
         "invalid mig profile '1g.5gb+2me': attribute must start with a letter: '2me'"},
        {"1g.5gb+me.", "invalid mig profile '1g.5gb+me.': attribute ends in '.': 'me.'"},
        {"4294967296g.1gb",
         "invalid mig profile '4294967296g.1gb': number larger than 4294967295 in '4294967296g'"},
    };
    char long_in[200];
    char want_prefix[128];
    struct mig_profile_name p;
    struct error err = {0};

    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        assert_int_equal(mig_profile_parse(&err, cases[i].in, &p), -1);
        if (strcmp(err.msg, cases[i].want) != 0)
            fail_msg("case %zu '%s': message \"%s\", want \"%s\"", i, cases[i].in, err.msg,
                     cases[i].want);
    }
    // A long name is cut to 64 characters in the message, which still ends in its reason.
    memset(long_in, 'x', sizeof(long_in) - 1);
    long_in[sizeof(long_in) - 1] = '\0';
    assert_int_equal(mig_profile_parse(&err, long_in, &p), -1);
    snprintf(want_prefix, sizeof(want_prefix), "invalid mig profile '%.64s...': ", long_in);
    assert_true(strncmp(err.msg, want_prefix, strlen(want_prefix)) == 0);
    assert_true(err.msg[strlen(err.msg) - 1] != '.');
}

/* The output is cut to fit, and always terminated. */
static void test_format_truncates(void **state)
{
    struct mig_profile_name p = {0, 3, 40, "me", false};
    char small[5];

    (void)state;
    memset(small, '#', sizeof(small));
    mig_profile_format(&p, small, sizeof(small));
    assert_string_equal(small, "3g.4");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_migparted_cases),  cmocka_unit_test(test_edge_cases),
        cmocka_unit_test(test_round_trip),       cmocka_unit_test(test_messages),
        cmocka_unit_test(test_format_truncates),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
