/*
 * libFuzzer harness for mig/profile: mig_profile_parse must agree on every input with a slow
 * reference matcher written here from the grammar (a left-to-right scan, where the parser
 * splits the way go-nvlib's parseMigProfile does). Accepted names must survive
 * format -> parse unchanged; refusals must be ERR_USAGE in git's style and leave the output
 * alone.
 */
#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "mig/profile.h"

#define FUZZ_NAME "fuzz_profile"
#define FUZZ_SUBJECT "input"
#include "fuzz_check.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct ref_profile {
    unsigned c, g, mem_gb;
    const char *attrs; /* into the input */
    bool negated;
};

/* Digits at *i as a number <= UINT_MAX; at least one digit. */
static bool ref_number(const char *s, size_t *i, unsigned *out)
{
    uint64_t v = 0;
    size_t start = *i;

    while (s[*i] >= '0' && s[*i] <= '9') {
        v = v * 10 + (uint64_t)(s[*i] - '0');
        if (v > UINT_MAX)
            return false;
        (*i)++;
    }
    *out = (unsigned)v;
    return *i > start;
}

static bool ref_lit(const char *s, size_t *i, const char *lit)
{
    size_t n = strlen(lit);

    if (strncmp(s + *i, lit, n) != 0)
        return false;
    *i += n;
    return true;
}

static bool ref_attr_char(char ch)
{
    return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
           ch == '.';
}

/* Does the attribute [a, a + n) occur earlier in the list that starts at list? */
static bool ref_seen(const char *list, const char *a, size_t n)
{
    const char *q = list;

    while (q < a) {
        size_t k = 0;

        while (q[k] != ',')
            k++;
        if (k == n && memcmp(q, a, n) == 0)
            return true;
        q += k + 1;
    }
    return false;
}

/* The grammar of mig/profile.h, scanned left to right. */
static bool ref_parse(const char *s, struct ref_profile *r)
{
    size_t i = 0;
    unsigned first;

    memset(r, 0, sizeof(*r));
    if (strchr(s, '+') != NULL && strchr(s, '-') != NULL)
        return false;
    if (!ref_number(s, &i, &first))
        return false;
    if (ref_lit(s, &i, "c.")) {
        r->c = first;
        if (!ref_number(s, &i, &r->g) || !ref_lit(s, &i, "g."))
            return false;
    } else {
        r->g = first;
        if (!ref_lit(s, &i, "g."))
            return false;
    }
    if (!ref_number(s, &i, &r->mem_gb) || !ref_lit(s, &i, "gb"))
        return false;
    if (s[i] == '\0') {
        r->attrs = "";
        return true;
    }
    if (s[i] != '+' && s[i] != '-')
        return false;
    r->negated = s[i] == '-';
    r->attrs = s + i + 1;
    if (strlen(r->attrs) > MIG_PROFILE_ATTRS_MAX)
        return false;
    for (const char *a = r->attrs;;) {
        size_t n = 0;

        while (a[n] != ',' && a[n] != '\0') {
            if (!ref_attr_char(a[n]))
                return false;
            n++;
        }
        if (n == 0 || (a[0] >= '0' && a[0] <= '9') || a[0] == '.' || a[n - 1] == '.' ||
            ref_seen(r->attrs, a, n))
            return false;
        if (a[n] == '\0')
            return true;
        a += n + 1;
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct mig_profile_name p = {11, 22, 33, "untouched", true}, q;
    struct ref_profile r;
    struct error err = {0};
    char canon[MIG_PROFILE_NAME_SIZE], again[MIG_PROFILE_NAME_SIZE];
    char *s = malloc(size + 1);
    bool want;

    if (s == NULL)
        return 0;
    memcpy(s, data, size);
    s[size] = '\0';
    want = ref_parse(s, &r);
    if (mig_profile_parse(&err, s, &p) != 0) {
        fuzz_require(!want, "parser refused what the reference accepts", s);
        fuzz_check_refusal(&err, ERR_USAGE, s);
        fuzz_require(p.c == 11 && p.g == 22 && p.mem_gb == 33 && p.attrs_negated &&
                         strcmp(p.attrs, "untouched") == 0,
                     "refusal wrote the output", s);
        free(s);
        return 0;
    }
    fuzz_require(want, "parser accepted what the reference refuses", s);
    fuzz_require(p.c == r.c && p.g == r.g && p.mem_gb == r.mem_gb &&
                     strcmp(p.attrs, r.attrs) == 0 && p.attrs_negated == r.negated,
                 "parser and reference disagree on the fields", s);
    // The canonical name fits, parses back to the same profile, and is a fixed point.
    mig_profile_format(&p, canon, sizeof(canon));
    fuzz_require(strlen(canon) < sizeof(canon) - 1, "canonical name filled the buffer", s);
    fuzz_require(mig_profile_parse(&err, canon, &q) == 0, "canonical name refused", s);
    fuzz_require((q.c ? q.c : q.g) == (p.c ? p.c : p.g) && q.g == p.g && q.mem_gb == p.mem_gb &&
                     strcmp(q.attrs, p.attrs) == 0 && q.attrs_negated == p.attrs_negated,
                 "canonical name parses as another profile", s);
    mig_profile_format(&q, again, sizeof(again));
    fuzz_require(strcmp(canon, again) == 0, "canonical name is not a fixed point", s);
    free(s);
    return 0;
}
