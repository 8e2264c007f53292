/*
 * mig-parted's profile-name grammar (mig/profile.h). The steps follow go-nvlib's
 * parseMigProfile (pkg/nvlib/device/mig_profile.go), which mig-parted's config loader calls
 * through types.AssertValidMigProfileFormat:
 *
 *   1. refuse ""; split at the first '+', else at the first '-'; refuse a name with both;
 *   2. parseMigProfileFields: SplitN(fields, ".", 3), so 2 parts are <g>g and <mem>gb and
 *      3 parts are <c>c, <g>g and <mem>gb (a third part with a '.' fails as a number);
 *   3. parseMigProfileField: the part ends in its suffix and the rest is strconv.Atoi's
 *      decimal (signs cannot occur: they were split off in step 1);
 *   4. parseMigProfileAttributes: Split(attrs, ","), each non-empty, unique, of
 *      [A-Za-z0-9.], not starting with a digit or '.', not ending in '.'.
 */
#include "mig/profile.h"

#include <limits.h>
#include <stdint.h>
#include <string.h>

#include "core/str.h"

/* Quote at most this much of the user's text in a message, then "...". */
#define QUOTE_MAX 64

static int qlen(size_t len)
{
    return len > QUOTE_MAX ? QUOTE_MAX : (int)len;
}

static const char *qmore(size_t len)
{
    return len > QUOTE_MAX ? "..." : "";
}

static bool is_digit(char ch)
{
    return ch >= '0' && ch <= '9';
}

static bool is_letter(char ch)
{
    return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z');
}

/* ERR_USAGE naming the whole name, then why (a format with one "%.*s%s" part or none). */
static int refuse(struct error *err, const char *s, const char *why)
{
    size_t len = strlen(s);

    return error_set(err, ERR_USAGE, "invalid mig profile '%.*s%s': %s", qlen(len), s, qmore(len),
                     why);
}

/* As refuse, quoting the part [p, p + n) of the name after why. */
static int refuse_part(struct error *err, const char *s, const char *why, const char *p, size_t n)
{
    size_t len = strlen(s);

    return error_set(err, ERR_USAGE, "invalid mig profile '%.*s%s': %s '%.*s%s'", qlen(len), s,
                     qmore(len), why, qlen(n), p, qmore(n));
}

/*
 * One field, [p, p + n): digits, then suffix ("c", "g" or "gb"). Go's Atoi also takes a
 * sign, but no sign can reach here (see step 1).
 */
static int parse_field(struct error *err, const char *s, const char *p, size_t n,
                       const char *suffix, unsigned *out)
{
    size_t slen = strlen(suffix), digits = n >= slen ? n - slen : 0;
    uint64_t v = 0;
    char why[32];

    str_printf(why, sizeof(why), "expected <n>%s, got", suffix);
    if (n < slen || memcmp(p + digits, suffix, slen) != 0 || digits == 0)
        return refuse_part(err, s, why, p, n);
    for (size_t i = 0; i < digits; i++) {
        if (!is_digit(p[i]))
            return refuse_part(err, s, why, p, n);
        v = v * 10 + (uint64_t)(p[i] - '0');
        if (v > UINT_MAX)
            return refuse_part(err, s, "number larger than 4294967295 in", p, n);
    }
    *out = (unsigned)v;
    return 0;
}

/* [p, p + n) holds no '+' or '-' (step 1). */
static int parse_fields(struct error *err, const char *s, const char *p, size_t n,
                        struct mig_profile_name *out)
{
    const char *dot1 = memchr(p, '.', n), *dot2, *end = p + n;

    if (dot1 == NULL)
        return refuse(err, s, "expected [<c>c.]<g>g.<mem>gb");
    dot2 = memchr(dot1 + 1, '.', (size_t)(end - dot1 - 1));
    if (dot2 == NULL) {
        out->c = 0;
        if (parse_field(err, s, p, (size_t)(dot1 - p), "g", &out->g) < 0 ||
            parse_field(err, s, dot1 + 1, (size_t)(end - dot1 - 1), "gb", &out->mem_gb) < 0)
            return -1;
        return 0;
    }
    if (parse_field(err, s, p, (size_t)(dot1 - p), "c", &out->c) < 0 ||
        parse_field(err, s, dot1 + 1, (size_t)(dot2 - dot1 - 1), "g", &out->g) < 0 ||
        parse_field(err, s, dot2 + 1, (size_t)(end - dot2 - 1), "gb", &out->mem_gb) < 0)
        return -1;
    return 0;
}

/* The list after the sign, a: non-empty comma-separated attributes. */
static int parse_attrs(struct error *err, const char *s, const char *a,
                       struct mig_profile_name *out)
{
    size_t total = strlen(a);

    for (const char *p = a;; p++) {
        size_t n = strcspn(p, ",");

        if (n == 0)
            return refuse(err, s, "empty attribute");
        for (const char *q = a; q < p; q += strcspn(q, ",") + 1)
            if (strcspn(q, ",") == n && memcmp(q, p, n) == 0)
                return refuse_part(err, s, "repeated attribute", p, n);
        if (!is_letter(p[0]))
            return refuse_part(err, s, "attribute must start with a letter:", p, n);
        if (p[n - 1] == '.')
            return refuse_part(err, s, "attribute ends in '.':", p, n);
        for (size_t i = 0; i < n; i++)
            if (!is_letter(p[i]) && !is_digit(p[i]) && p[i] != '.')
                return refuse_part(err, s,
                                   "attribute has a character other than a letter, "
                                   "digit or '.':",
                                   p, n);
        p += n;
        if (*p == '\0')
            break;
    }
    if (total > MIG_PROFILE_ATTRS_MAX)
        return refuse(err, s, "attributes longer than 31 characters");
    memcpy(out->attrs, a, total + 1);
    return 0;
}

int mig_profile_parse(struct error *err, const char *s, struct mig_profile_name *out)
{
    struct mig_profile_name p = {0};
    const char *plus, *minus, *sign;

    if (s == NULL || s[0] == '\0')
        return error_set(err, ERR_USAGE, "empty mig profile name");
    plus = strchr(s, '+');
    minus = strchr(s, '-');
    if (plus != NULL && minus != NULL)
        return refuse(err, s, "both '+' and '-' attributes");
    sign = plus != NULL ? plus : minus;
    if (parse_fields(err, s, s, sign != NULL ? (size_t)(sign - s) : strlen(s), &p) < 0)
        return -1;
    if (sign != NULL) {
        if (parse_attrs(err, s, sign + 1, &p) < 0)
            return -1;
        p.attrs_negated = sign == minus;
    }
    *out = p;
    return 0;
}

void mig_profile_format(const struct mig_profile_name *p, char *out, size_t size)
{
    const char *sign = p->attrs[0] == '\0' ? "" : p->attrs_negated ? "-" : "+";

    if (p->c == 0 || p->c == p->g)
        str_printf(out, size, "%ug.%ugb%s%s", p->g, p->mem_gb, sign, p->attrs);
    else
        str_printf(out, size, "%uc.%ug.%ugb%s%s", p->c, p->g, p->mem_gb, sign, p->attrs);
}
