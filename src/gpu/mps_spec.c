#include "gpu/mps_spec.h"

#include <stdbool.h>
#include <string.h>

#include "core/str.h"

static bool is_digit(char c)
{
    return c >= '0' && c <= '9';
}

static bool is_hex(char c)
{
    return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

int mps_pct_parse(struct error *err, const char *what, const char *s, unsigned *centi)
{
    char q[64];
    size_t whole = 0, frac = 0, i = 0;
    unsigned v = 0, f = 0;

    while (is_digit(s[i]) && whole < 4) {
        v = v * 10 + (unsigned)(s[i++] - '0');
        whole++;
    }
    if (s[i] == '.') {
        for (i++; is_digit(s[i]) && frac < 3; i++, frac++)
            f = f * 10 + (unsigned)(s[i] - '0');
        if (frac == 0)
            frac = 3; /* "25." */
    }
    if (frac == 1)
        f *= 10;
    if (whole == 0 || whole > 3 || frac > 2 || s[i] != '\0' || v * 100 + f < 100 ||
        v * 100 + f > 10000)
        return error_set(err, ERR_USAGE,
                         "invalid value '%s' for %s: expected a percentage from 1 to 100 with "
                         "at most two decimals, such as 25 or 12.5",
                         str_quote(q, sizeof(q), s), what);
    *centi = v * 100 + f;
    return 0;
}

void mps_pct_text(unsigned centi, char *out, size_t size)
{
    if (centi % 100 == 0)
        str_printf(out, size, "%u", centi / 100);
    else if (centi % 10 == 0)
        str_printf(out, size, "%u.%u", centi / 100, centi % 100 / 10);
    else
        str_printf(out, size, "%u.%02u", centi / 100, centi % 100);
}

/* "GPU-" or "MIG-" and 8-4-4-4-12 hex digits. */
static bool is_uuid(const char *s, size_t len)
{
    static const size_t groups[] = {8, 4, 4, 4, 12};
    size_t i = 4;

    if (len != 40 || (strncmp(s, "GPU-", 4) != 0 && strncmp(s, "MIG-", 4) != 0))
        return false;
    for (size_t g = 0; g < 5; g++) {
        for (size_t k = 0; k < groups[g]; k++, i++)
            if (!is_hex(s[i]))
                return false;
        if (g < 4 && s[i++] != '-')
            return false;
    }
    return true;
}

/* 0 to 63 without a leading zero: the CUDA ordinals a host can have. */
static bool is_ordinal(const char *s, size_t len)
{
    if (len == 1)
        return is_digit(s[0]);
    return len == 2 && is_digit(s[0]) && is_digit(s[1]) && s[0] != '0' &&
           (s[0] - '0') * 10 + (s[1] - '0') < 64;
}

/* 1 to 9999999 without a leading zero, then M or G; the MiB it means. */
static bool is_limit(const char *s, size_t len, unsigned long long *mib)
{
    unsigned long long v = 0;

    if (len < 2 || len > 8 || s[0] == '0' || (s[len - 1] != 'M' && s[len - 1] != 'G'))
        return false;
    for (size_t i = 0; i + 1 < len; i++) {
        if (!is_digit(s[i]))
            return false;
        v = v * 10 + (unsigned long long)(s[i] - '0');
    }
    *mib = s[len - 1] == 'G' ? v * 1024 : v;
    return true;
}

/* UUIDs compare without case, as the driver reads them. */
static bool same_dev(const char *a, const char *b)
{
    for (; *a != '\0' && *b != '\0'; a++, b++)
        if (*a != *b && (*a | 0x20) != (*b | 0x20))
            return false;
    return *a == *b;
}

/* One "DEV=LIMIT" of len bytes at p into e, or an ERR_USAGE naming it. */
static int mem_entry(struct error *err, const char *what, const char *spec, const char *p,
                     size_t len, struct mps_mem_limit *e)
{
    size_t eq = strcspn(p, "=");
    char q[64], entry[64];

    str_printf(entry, sizeof(entry), "%.*s", (int)(len < 60 ? len : 60), p);
    if (len == 0)
        return error_set(err, ERR_USAGE,
                         "invalid value '%s' for %s: an empty entry; expected "
                         "DEV=LIMIT[,DEV=LIMIT...], such as 0=10G,1=512M",
                         str_quote(q, sizeof(q), spec), what);
    if (eq >= len)
        return error_set(err, ERR_USAGE,
                         "invalid entry '%s' in %s: expected DEV=LIMIT, such as 0=10G",
                         str_quote(q, sizeof(q), entry), what);
    if (!is_ordinal(p, eq) && !is_uuid(p, eq))
        return error_set(err, ERR_USAGE,
                         "invalid entry '%s' in %s: DEV must be a CUDA ordinal (0 to 63) or a "
                         "UUID (GPU-xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx, or MIG-...)",
                         str_quote(q, sizeof(q), entry), what);
    if (!is_limit(p + eq + 1, len - eq - 1, &e->mib))
        return error_set(err, ERR_USAGE,
                         "invalid entry '%s' in %s: LIMIT must be a whole number from 1 to "
                         "9999999 and M or G (upper case), such as 10G or 512M",
                         str_quote(q, sizeof(q), entry), what);
    str_printf(e->dev, sizeof(e->dev), "%.*s", (int)eq, p);
    str_printf(e->value, sizeof(e->value), "%.*s", (int)(len - eq - 1), p + eq + 1);
    return 0;
}

int mps_mem_parse(struct error *err, const char *what, const char *spec, struct mps_mem_limit *m,
                  size_t max, size_t *n)
{
    const char *p = spec;
    char q[64];

    *n = 0;
    if (max > MPS_MAX_MEM_LIMITS)
        max = MPS_MAX_MEM_LIMITS;
    for (;;) {
        size_t len = strcspn(p, ",");

        if (*n == max) {
            *n = 0;
            return error_set(err, ERR_USAGE, "too many entries in %s '%s': at most %zu", what,
                             str_quote(q, sizeof(q), spec), max);
        }
        if (mem_entry(err, what, spec, p, len, &m[*n]) < 0) {
            *n = 0;
            return -1;
        }
        for (size_t i = 0; i < *n; i++)
            if (same_dev(m[i].dev, m[*n].dev)) {
                error_set(err, ERR_USAGE, "device '%s' appears twice in %s", m[*n].dev, what);
                *n = 0;
                return -1;
            }
        (*n)++;
        if (p[len] == '\0')
            return 0;
        p += len + 1;
    }
}

void mps_mem_text(const struct mps_mem_limit *m, size_t n, char *out, size_t size)
{
    if (size == 0)
        return;
    out[0] = '\0';
    for (size_t i = 0; i < n; i++)
        str_append(out, size, "%s%s=%s", i > 0 ? "," : "", m[i].dev, m[i].value);
}

int mps_mem_normalize(struct error *err, const char *what, const char *spec, char *out, size_t size)
{
    struct mps_mem_limit m[MPS_MAX_MEM_LIMITS];
    char text[MPS_MEM_TEXT_MAX];
    size_t n;

    if (mps_mem_parse(err, what, spec, m, MPS_MAX_MEM_LIMITS, &n) < 0)
        return -1;
    mps_mem_text(m, n, text, sizeof(text));
    if (out == NULL)
        return 0;
    if (strlen(text) >= size)
        return error_set(err, ERR_USAGE, "invalid %s: longer than %zu bytes", what, size - 1);
    memcpy(out, text, strlen(text) + 1);
    return 0;
}
