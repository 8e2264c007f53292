/*
 * libFuzzer harness for emit/mps's validators and renderer. The whole input goes to every
 * validator (path, control program, percentage, pinned memory limit, mode), each judged by a slow
 * reference written here from the rules in emit/mps.h; refusals must be ERR_USAGE in git's
 * style. Then the input's lines are taken as options (pipe dir, thread percentage, memory limit,
 * control program, install dir): when emit_mps_configure accepts them, every file is rendered and
 * the environment file must hold exactly the values given, one a line, and each script the pipe
 * directory in single quotes: a value never escapes its line or its quotes.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "emit/mps.h"

#define FUZZ_NAME "fuzz_emit_mps"
#define FUZZ_SUBJECT "input"
#include "fuzz_check.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static bool ref_digit(char c)
{
    return c >= '0' && c <= '9';
}

static bool ref_name_char(char c)
{
    return ref_digit(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '.' ||
           c == '_' || c == '-';
}

/* Absolute, [A-Za-z0-9._/-], under 100 bytes, every component non-empty and not . or .. */
static bool ref_path(const char *s)
{
    size_t len = strlen(s);

    if (len == 0 || len >= EMIT_MPS_PATH_MAX || s[0] != '/')
        return false;
    for (size_t i = 0; i < len; i++)
        if (s[i] != '/' && !ref_name_char(s[i]))
            return false;
    for (size_t i = 0; i < len;) {
        size_t start = i + 1, end = start;

        while (end < len && s[end] != '/')
            end++;
        if (end == start || (end - start == 1 && s[start] == '.') ||
            (end - start == 2 && s[start] == '.' && s[start + 1] == '.'))
            return false;
        i = end;
    }
    return true;
}

static bool ref_control(const char *s)
{
    size_t len = strlen(s);

    if (strchr(s, '/') != NULL)
        return ref_path(s);
    if (len == 0 || len >= EMIT_MPS_PATH_MAX || s[0] == '-' || strcmp(s, ".") == 0 ||
        strcmp(s, "..") == 0)
        return false;
    for (size_t i = 0; i < len; i++)
        if (!ref_name_char(s[i]))
            return false;
    return true;
}

/* 1 to 3 digits, then optionally '.' and 1 or 2 digits; 1.00 to 100.00. */
static bool ref_pct(const char *s, unsigned *centi)
{
    size_t i = 0, w = 0, f = 0;
    unsigned v = 0, frac = 0;

    for (; ref_digit(s[i]); i++, w++)
        if (w < 4)
            v = v * 10 + (unsigned)(s[i] - '0');
    if (w == 0 || w > 3)
        return false;
    if (s[i] == '.') {
        for (i++; ref_digit(s[i]); i++, f++)
            if (f < 3)
                frac = frac * 10 + (unsigned)(s[i] - '0');
        if (f == 0 || f > 2)
            return false;
        if (f == 1)
            frac *= 10;
    }
    if (s[i] != '\0')
        return false;
    *centi = v * 100 + frac;
    return *centi >= 100 && *centi <= 10000;
}

static bool ref_hex(char c)
{
    return ref_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

static bool ref_dev(const char *s, size_t n)
{
    static const char shape[] = "XXX-hhhhhhhh-hhhh-hhhh-hhhh-hhhhhhhhhhhh";

    // A CUDA ordinal, 0 to 63 without a leading zero.
    if (n == 1 || n == 2) {
        for (size_t i = 0; i < n; i++)
            if (!ref_digit(s[i]))
                return false;
        return n == 1 || (s[0] != '0' && (s[0] - '0') * 10 + (s[1] - '0') < 64);
    }
    if (n != strlen(shape) || (strncmp(s, "GPU", 3) != 0 && strncmp(s, "MIG", 3) != 0))
        return false;
    for (size_t i = 3; i < n; i++)
        if (shape[i] == 'h' ? !ref_hex(s[i]) : s[i] != shape[i])
            return false;
    return true;
}

static bool ref_limit(const char *s, size_t n)
{
    if (n < 2 || n > 8 || s[0] == '0' || (s[n - 1] != 'M' && s[n - 1] != 'G'))
        return false;
    for (size_t i = 0; i + 1 < n; i++)
        if (!ref_digit(s[i]))
            return false;
    return true;
}

static void fuzz_paths(const char *s)
{
    struct error err = {0};
    bool want = ref_path(s);

    if (emit_mps_check_path(&err, "--pipe-dir", s) == 0)
        fuzz_require(want, "check_path accepted what the reference refuses", s);
    else {
        fuzz_require(!want, "check_path refused what the reference accepts", s);
        fuzz_check_refusal(&err, ERR_USAGE, s);
    }
    want = ref_control(s);
    if (emit_mps_check_control(&err, "--control", s) == 0)
        fuzz_require(want, "check_control accepted what the reference refuses", s);
    else {
        fuzz_require(!want, "check_control refused what the reference accepts", s);
        fuzz_check_refusal(&err, ERR_USAGE, s);
    }
}

static void fuzz_pct(const char *s)
{
    struct error err = {0};
    unsigned centi = 0, ref = 0, again = 0;
    bool want = ref_pct(s, &ref);
    char text[16];

    if (mps_pct_parse(&err, "--thread-pct", s, &centi) == 0) {
        fuzz_require(want && centi == ref, "parse_pct disagrees with the reference", s);
        mps_pct_text(centi, text, sizeof(text));
        fuzz_require(mps_pct_parse(&err, "--thread-pct", text, &again) == 0 && again == centi,
                     "pct_text does not read back", s);
    } else {
        fuzz_require(!want, "parse_pct refused what the reference accepts", s);
        fuzz_check_refusal(&err, ERR_USAGE, s);
    }
}

static void fuzz_mem(const char *s)
{
    enum { MAX = 4 };
    struct mps_mem_limit m[MAX + 1];
    struct error err = {0};
    size_t n = 77, count = 0;
    char joined[MAX * 64] = "";

    memset(&m[MAX], 0x5a, sizeof(m[MAX]));
    if (mps_mem_parse(&err, "--mem-limit", s, m, MAX, &n) == 0) {
        fuzz_require(n >= 1 && n <= MAX, "parse_mem_limit count outside [1, max]", s);
        for (const char *p = s; *p != '\0'; p++)
            count += *p == ',';
        fuzz_require(n == count + 1, "parse_mem_limit lost an entry", s);
        for (size_t i = 0; i < n; i++) {
            size_t len = strlen(joined);

            fuzz_require(ref_dev(m[i].dev, strlen(m[i].dev)), "accepted a bad device", s);
            fuzz_require(ref_limit(m[i].value, strlen(m[i].value)), "accepted a bad limit", s);
            fuzz_require(m[i].mib >= 1, "a limit of 0 MiB", s);
            snprintf(joined + len, sizeof(joined) - len, "%s%s=%s", i > 0 ? "," : "", m[i].dev,
                     m[i].value);
        }
        // What is written is what was given: nothing added, nothing dropped.
        fuzz_require(strcmp(joined, s) == 0, "entries do not join back into the input", s);
    } else {
        fuzz_require(n == 0, "*n not 0 after a refusal", s);
        fuzz_check_refusal(&err, ERR_USAGE, s);
    }
    {
        unsigned char canary[sizeof(m[MAX])];

        memset(canary, 0x5a, sizeof(canary));
        fuzz_require(memcmp(&m[MAX], canary, sizeof(canary)) == 0, "wrote past max", s);
    }
}

static void fuzz_mode(const char *s)
{
    struct error err = {0};
    unsigned mode = 0;

    if (emit_mps_parse_mode(&err, "--pipe-mode", s, &mode) == 0)
        fuzz_require(mode <= 0777 && (mode & 0700) == 0700 && (strlen(s) == 3 || strlen(s) == 4) &&
                         strspn(s, "01234567") == strlen(s),
                     "parse_mode accepted a bad mode", s);
    else
        fuzz_check_refusal(&err, ERR_USAGE, s);
}

/* The lines of the input as options; rendered files checked when they are accepted. */
static void fuzz_render(const char *s)
{
    char *copy = strdup(s), *field[5] = {NULL}, *p = copy, want[2048];
    struct emit_mps_opts o = {.version = "1", .commit = "c", .dirty = 0};
    struct emit_mps_config c;
    struct error err = {0};

    if (copy == NULL)
        return;
    for (int i = 0; i < 5 && p != NULL; i++) {
        field[i] = p;
        p = strchr(p, '\n');
        if (p != NULL)
            *p++ = '\0';
    }
    o.pipe_dir = field[0][0] != '\0' ? field[0] : NULL;
    o.thread_pct = field[1] != NULL && field[1][0] != '\0' ? field[1] : NULL;
    o.mem_limit = field[2] != NULL && field[2][0] != '\0' ? field[2] : NULL;
    o.control = field[3] != NULL && field[3][0] != '\0' ? field[3] : NULL;
    o.install_dir = field[4] != NULL && field[4][0] != '\0' ? field[4] : NULL;
    if (emit_mps_configure(&err, &o, &c) < 0) {
        fuzz_check_error(&err, ERR_USAGE, s);
        free(copy);
        return;
    }
    for (int f = 0; f < EMIT_MPS_NFILES; f++) {
        char *text = emit_mps_render(&c, f), *lines, *q;
        size_t len = 0;

        fuzz_require(text != NULL && strstr(text, "{{") == NULL, "a placeholder left", s);
        if (f == EMIT_MPS_ENV) {
            // The assignment lines, exactly the values configured.
            lines = malloc(strlen(text) + 1);
            if (lines == NULL)
                abort();
            lines[0] = '\0';
            for (q = text; *q != '\0';) {
                size_t n = strcspn(q, "\n");

                if (n > 0 && q[0] != '#') {
                    memcpy(lines + len, q, n);
                    len += n;
                    lines[len++] = '\n';
                    lines[len] = '\0';
                }
                q += n + (q[n] == '\n');
            }
            snprintf(want, sizeof(want), "CUDA_MPS_PIPE_DIRECTORY=%s\nCUDA_MPS_LOG_DIRECTORY=%s\n",
                     c.pipe_dir, c.log_dir);
            if (o.thread_pct != NULL) {
                char pct[16];

                mps_pct_text(c.pct_centi, pct, sizeof(pct));
                len = strlen(want);
                snprintf(want + len, sizeof(want) - len, "CUDA_MPS_ACTIVE_THREAD_PERCENTAGE=%s\n",
                         pct);
            }
            if (o.mem_limit != NULL) {
                len = strlen(want);
                snprintf(want + len, sizeof(want) - len, "GPUSHARE_MPS_PINNED_MEM_LIMIT=%s\n",
                         o.mem_limit);
            }
            len = strlen(want);
            snprintf(want + len, sizeof(want) - len, "MPS_CONTROL=%s\n", c.control);
            fuzz_require(strcmp(lines, want) == 0, "env file does not hold exactly the values", s);
            free(lines);
        } else if (f != EMIT_MPS_UNIT) {
            snprintf(want, sizeof(want), "\ndefault CUDA_MPS_PIPE_DIRECTORY '%s'\n", c.pipe_dir);
            fuzz_require(strstr(text, want) != NULL, "script lacks the quoted pipe directory", s);
        }
        free(text);
    }
    free(copy);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *s = malloc(size + 1);

    if (s == NULL)
        return 0;
    memcpy(s, data, size);
    s[size] = '\0';

    fuzz_paths(s);
    fuzz_pct(s);
    fuzz_mem(s);
    fuzz_mode(s);
    fuzz_render(s);

    free(s);
    return 0;
}
