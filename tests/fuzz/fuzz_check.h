/*
 * Checks shared by the libFuzzer harnesses: an invariant that aborts with the input in the
 * report, and the shape of a git-style refusal. Define FUZZ_NAME (the harness, "fuzz_x") and
 * FUZZ_SUBJECT (what the string in a report is: "input", "config") before including. Needs
 * _POSIX_C_SOURCE for strnlen (the Makefile sets it).
 */
#ifndef GPUSHARE_TESTS_FUZZ_FUZZ_CHECK_H
#define GPUSHARE_TESTS_FUZZ_FUZZ_CHECK_H

#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"

#if !defined(FUZZ_NAME) || !defined(FUZZ_SUBJECT)
#error "define FUZZ_NAME and FUZZ_SUBJECT before including fuzz_check.h"
#endif

/* Aborts, so libFuzzer keeps the input, unless ok; why and the subject go to stderr. */
static inline void fuzz_require(int ok, const char *why, const char *subject)
{
    if (ok)
        return;
    fprintf(stderr, FUZZ_NAME ": %s (" FUZZ_SUBJECT " '%s')\n", why, subject);
    abort();
}

/*
 * What every refusal keeps: the expected code, a message that is not empty and ends inside
 * err->msg, and no full stop at its end. Returns the message's length.
 */
static inline size_t fuzz_check_error(const struct error *err, int code, const char *subject)
{
    size_t len = strnlen(err->msg, sizeof(err->msg));

    fuzz_require(err->code == code, "refusal has the wrong code", subject);
    fuzz_require(len > 0 && len < sizeof(err->msg), "refusal message empty or unterminated",
                 subject);
    fuzz_require(err->msg[len - 1] != '.', "message ends in a full stop", subject);
    return len;
}

/* A refusal in git's style with nothing before the cause: the above, and lowercase first. */
static inline size_t fuzz_check_refusal(const struct error *err, int code, const char *subject)
{
    size_t len = fuzz_check_error(err, code, subject);

    fuzz_require(err->msg[0] >= 'a' && err->msg[0] <= 'z', "message starts uppercase", subject);
    return len;
}

/* A YAML reader's refusal (core/yamlr.h): ERR_INVALID "FILE:LINE:COLUMN: what", LINE and
 * COLUMN >= 1, what lowercase-first. */
static inline void fuzz_check_yaml_refusal(const struct error *err, const char *file,
                                           const char *subject)
{
    const char *p = err->msg + strlen(file) + 1;

    fuzz_check_error(err, ERR_INVALID, subject);
    fuzz_require(strncmp(err->msg, file, strlen(file)) == 0 && err->msg[strlen(file)] == ':',
                 "message names no file", subject);
    for (int field = 0; field < 2; field++) {
        fuzz_require(*p >= '1' && *p <= '9', "message names no line or column >= 1", subject);
        p += strspn(p, "0123456789");
        fuzz_require(*p == ':', "message has no line and column", subject);
        p++;
    }
    fuzz_require(p[0] == ' ' && p[1] != '\0', "message has no cause", subject);
    fuzz_require(!(p[1] >= 'A' && p[1] <= 'Z'), "cause starts uppercase", subject);
}

#endif
