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

#endif
