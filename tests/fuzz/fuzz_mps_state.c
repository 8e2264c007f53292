/*
 * libFuzzer harness for the record `gpushare mps start` leaves (gpu/mps_state.h) and the
 * option checks that guard what goes in it: arbitrary bytes through mps_state_parse(), and the
 * same bytes, NUL-terminated, through mps_dir_normalize() and mps_mem_normalize(). An accepted
 * record must keep its invariants (it names the directories stop removes and the pid it
 * signals) and survive being written and read back; an accepted option value must be in its
 * one spelling already when checked again.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "core/error.h"
#include "gpu/mps_daemon.h"
#include "gpu/mps_state.h"

#define FUZZ_NAME "fuzz_mps_state"
#define FUZZ_SUBJECT "input"
#include "fuzz_check.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static bool terminated(const char *s, size_t size)
{
    return memchr(s, '\0', size) != NULL;
}

/* Within dir, as "dir/NAME": what an owned directory of the record must be. */
static bool is_child(const char *path, const char *dir, const char *name)
{
    size_t n = strlen(dir);

    return strncmp(path, dir, n) == 0 && path[n] == '/' && strcmp(path + n + 1, name) == 0;
}

static bool ends_with(const char *s, const char *tail)
{
    size_t n = strlen(s), t = strlen(tail);

    return n >= t && strcmp(s + n - t, tail) == 0;
}

static char *dump(const struct mps_state *s)
{
    json_t *j = mps_state_to_json(s);
    char *text = json_dumps(j, JSON_SORT_KEYS);

    json_decref(j);
    if (text == NULL)
        abort();
    return text;
}

static void fuzz_record(const char *data, size_t size, const char *subject)
{
    static struct mps_state s, t; /* about 2 KiB each: off the stack */
    struct error err = {0};
    char *once, *twice;

    if (mps_state_parse(&err, data, size, &s) < 0) {
        fuzz_check_error(&err, ERR_INVALID, subject);
        return;
    }
    fuzz_require(
        terminated(s.pipe_dir, sizeof(s.pipe_dir)) && terminated(s.log_dir, sizeof(s.log_dir)) &&
            terminated(s.root, sizeof(s.root)) && terminated(s.mem_limit, sizeof(s.mem_limit)) &&
            terminated(s.started_at, sizeof(s.started_at)) && s.path[0] == '\0',
        "a field is unterminated, or path set", subject);
    fuzz_require(s.pipe_dir[0] == '/' && strlen(s.pipe_dir) <= MPS_PIPE_DIR_MAX,
                 "pipe_dir not absolute or too long", subject);
    fuzz_require(s.daemon.pid != 1 && s.daemon.pid >= 0 && s.thread_centi <= 10000,
                 "pid or percentage out of range", subject);
    /* Without a start time the pid-reuse check cannot work: only a reused daemon may lack it. */
    fuzz_require(s.reused || s.daemon.start > 0, "a started daemon without a start time", subject);
    fuzz_require(!s.own_pipe_dir || is_child(s.pipe_dir, s.root, "pipe"),
                 "an owned pipe_dir outside root", subject);
    fuzz_require(!s.own_log_dir || is_child(s.log_dir, s.root, "log"),
                 "an owned log_dir outside root", subject);
    fuzz_require(s.root[0] == '\0' || strstr(s.root, "/gpushare-mps-") != NULL,
                 "a root not named as mps_daemon names it", subject);
    fuzz_require(!s.reused || (s.root[0] == '\0' && !s.made_pipe_dir && !s.made_log_dir),
                 "a reused daemon that owns something", subject);
    fuzz_require(s.reused || s.daemon.pid > 1, "a daemon of ours without a pid", subject);
    /* What is accepted is written and read back to the same record. */
    once = dump(&s);
    if (mps_state_parse(&err, once, strlen(once), &t) < 0)
        fuzz_require(0, "a written record is refused", subject);
    twice = dump(&t);
    fuzz_require(strcmp(once, twice) == 0, "a record changed on its way back", subject);
    free(once);
    free(twice);
}

static void fuzz_dir(const char *s)
{
    struct error err = {0};
    char out[256], again[256];

    if (mps_dir_normalize(&err, "--pipe-dir", s, MPS_PIPE_DIR_MAX, out, sizeof(out)) < 0) {
        fuzz_check_refusal(&err, ERR_USAGE, s);
        return;
    }
    fuzz_require(out[0] == '/' && strlen(out) >= 2 && strlen(out) <= MPS_PIPE_DIR_MAX,
                 "a normalized dir not absolute or too long", s);
    fuzz_require(strstr(out, "//") == NULL && out[strlen(out) - 1] != '/',
                 "a normalized dir with '//' or a trailing '/'", s);
    fuzz_require(strstr(out, "/./") == NULL && strstr(out, "/../") == NULL &&
                     !ends_with(out, "/.") && !ends_with(out, "/.."),
                 "a normalized dir with '.' or '..'", s);
    fuzz_require(
        mps_dir_normalize(&err, "--pipe-dir", out, MPS_PIPE_DIR_MAX, again, sizeof(again)) == 0 &&
            strcmp(out, again) == 0,
        "normalizing twice changes the dir", s);
}

static void fuzz_limit(const char *s)
{
    struct mps_mem_limit m[MPS_MAX_MEM_LIMITS];
    struct error err = {0};
    char out[256], again[256];
    size_t n = 0;

    if (mps_mem_parse(&err, "--mem-limit", s, m, MPS_MAX_MEM_LIMITS, &n) == 0)
        fuzz_require(n >= 1 && n <= MPS_MAX_MEM_LIMITS, "limit count out of range", s);
    else
        fuzz_check_refusal(&err, ERR_USAGE, s);
    if (mps_mem_normalize(&err, "--mem-limit", s, out, sizeof(out)) < 0) {
        fuzz_check_refusal(&err, ERR_USAGE, s);
        return;
    }
    fuzz_require(mps_mem_normalize(&err, "--mem-limit", out, again, sizeof(again)) == 0 &&
                     strcmp(out, again) == 0,
                 "checking a normalized limit changes it", s);
    fuzz_require(strpbrk(out, " ;'\"$`\\\n") == NULL, "a limit with shell characters", s);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *s = malloc(size + 1);

    if (s == NULL)
        return 0;
    memcpy(s, data, size);
    s[size] = '\0';
    fuzz_record((const char *)data, size, s);
    fuzz_dir(s);
    fuzz_limit(s);
    free(s);
    return 0;
}
