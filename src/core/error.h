/*
 * Error reporting: a fixed-size error record filled where the cause is known.
 * Fallible functions take a `struct error *` first and return 0 or -1, so the
 * error path never allocates (libnvidia-container's pattern, git's messages).
 */
#ifndef GPUSHARE_CORE_ERROR_H
#define GPUSHARE_CORE_ERROR_H

enum errc {
    ERR_OK = 0,
    ERR_USAGE,       /* bad command line: exit status 2 */
    ERR_NO_GPU,      /* no driver or no device: exit status 69 (EX_UNAVAILABLE) */
    ERR_UNSUPPORTED, /* the feature is missing on this build, driver or device */
    ERR_CUDA,
    ERR_NVML,
    ERR_IO,
    ERR_INVALID,     /* malformed input document or value */
    ERR_INTERRUPTED, /* SIGINT or SIGTERM arrived; workers were stopped: exit status 130 */
};

/* Documented process exit statuses (README.md, docs/results.md). */
enum exit_status {
    EXIT_OK = 0,
    EXIT_FAIL = 1,
    EXIT_USAGE = 2,
    EXIT_NO = 3, /* the answer is no: an invalid layout (mig check), no daemon (mps status) */
    EXIT_NO_GPU = 69,
    EXIT_INTERRUPTED = 130, /* 128 + SIGINT, the shell's convention */
};

struct error {
    int code;      /* enum errc */
    char msg[256]; /* lowercase, no full stop, subject in '...' */
};

/* Records code and message; always returns -1 so callers can `return error_set(...)`. */
int error_set(struct error *err, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Prefixes the existing message with context ("context: old message"); returns -1. */
int error_wrap(struct error *err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

void error_clear(struct error *err);

/* A broken promise inside gpushare (a template naming no variable, an argument list past its
 * bound): prints "gpushare: bug: <what>" on stderr and aborts. Never for anything input can
 * cause. */
_Noreturn void error_bug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Maps an error code to the documented exit status. */
int error_exit_status(int code);

#endif
