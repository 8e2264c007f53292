/*
 * The record of a daemon `gpushare mps start` started (gpu/mps_state.h): its JSON form, its
 * strict parser, and the per-user registry that holds one file per pipe directory.
 */
#include "gpu/mps_state.h"

#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

#include "core/atomic.h"
#include "core/json.h"
#include "core/str.h"
#include "gpu/mps.h"
#include "gpu/mps_spec.h"

#define REGISTRY_NAME "gpushare-mps"
#define ROOT_PREFIX "gpushare-mps-" /* mps_daemon's private directories */
#define FILE_PREFIX "mps-"
#define FILE_SUFFIX ".json"
#define XDG_MAX_LEN 160 /* the registry holds no sockets: any sane length will do */
#define PID_MAX 4194304 /* Linux's PID_MAX_LIMIT */
#define MPS_PID_FILE "nvidia-cuda-mps-control.pid" /* in the pipe directory (MPS doc 4.2.2) */

/* ---- the record <-> JSON ---- */

void mps_state_from_daemon(struct mps_state *s, const struct mps_daemon *d)
{
    time_t now = time(NULL);
    struct tm tm;

    memset(s, 0, sizeof(*s));
    str_printf(s->pipe_dir, sizeof(s->pipe_dir), "%s", d->pipe_dir);
    str_printf(s->log_dir, sizeof(s->log_dir), "%s", d->log_dir);
    str_printf(s->root, sizeof(s->root), "%s", d->root);
    s->own_pipe_dir = d->own_pipe_dir;
    s->own_log_dir = d->own_log_dir;
    s->reused = d->reused;
    s->daemon = d->daemon;
    s->uid = (unsigned)getuid();
    if (gmtime_r(&now, &tm) != NULL)
        strftime(s->started_at, sizeof(s->started_at), "%Y-%m-%dT%H:%M:%SZ", &tm);
}

void mps_state_to_daemon(const struct mps_state *s, struct mps_daemon *d)
{
    memset(d, 0, sizeof(*d));
    str_printf(d->root, sizeof(d->root), "%s", s->root);
    str_printf(d->pipe_dir, sizeof(d->pipe_dir), "%s", s->pipe_dir);
    str_printf(d->log_dir, sizeof(d->log_dir), "%s", s->log_dir);
    d->own_pipe_dir = s->own_pipe_dir;
    d->own_log_dir = s->own_log_dir;
    d->daemon = s->daemon;
    d->reused = s->reused;
    d->started = !s->reused;
}

json_t *mps_state_to_json(const struct mps_state *s)
{
    json_t *o = json_object();

    json_object_set_new(o, "schema", json_string(MPS_STATE_SCHEMA));
    json_object_set_new(o, "pipe_dir", json_string(s->pipe_dir));
    json_object_set_new(o, "log_dir", json_string(s->log_dir));
    json_object_set_new(o, "root", json_string(s->root));
    json_object_set_new(o, "own_pipe_dir", json_boolean(s->own_pipe_dir));
    json_object_set_new(o, "own_log_dir", json_boolean(s->own_log_dir));
    json_object_set_new(o, "made_pipe_dir", json_boolean(s->made_pipe_dir));
    json_object_set_new(o, "made_log_dir", json_boolean(s->made_log_dir));
    json_object_set_new(o, "reused", json_boolean(s->reused));
    json_object_set_new(o, "daemon",
                        json_pack("{s:I,s:I}", "pid", (json_int_t)s->daemon.pid, "start",
                                  (json_int_t)s->daemon.start));
    json_object_set_new(o, "uid", json_integer((json_int_t)s->uid));
    json_object_set_new(o, "thread_pct",
                        s->thread_centi % 100 == 0
                            ? json_integer((json_int_t)(s->thread_centi / 100))
                            : json_real(s->thread_centi / 100.0));
    json_object_set_new(o, "mem_limit", json_string(s->mem_limit));
    json_object_set_new(o, "started_at", json_string(s->started_at));
    return o;
}

/* A string member copied into dst (size bytes with its NUL); required unless optional. */
static int get_str(struct error *err, const json_t *o, const char *key, char *dst, size_t size)
{
    const json_t *v = json_object_get(o, key);
    size_t len;

    if (!json_is_string(v))
        return error_set(err, ERR_INVALID, "'%s' is missing or not a string", key);
    len = json_string_length(v);
    if (len >= size || strlen(json_string_value(v)) != len)
        return error_set(err, ERR_INVALID, "'%s' is longer than %zu bytes or holds a NUL", key,
                         size - 1);
    memcpy(dst, json_string_value(v), len + 1);
    return 0;
}

static int get_bool(struct error *err, const json_t *o, const char *key, bool *dst)
{
    const json_t *v = json_object_get(o, key);

    if (!json_is_boolean(v))
        return error_set(err, ERR_INVALID, "'%s' is missing or not true or false", key);
    *dst = json_is_true(v);
    return 0;
}

static int get_int(struct error *err, const json_t *o, const char *key, json_int_t min,
                   json_int_t max, json_int_t *dst)
{
    const json_t *v = json_object_get(o, key);

    if (!json_is_integer(v) || json_integer_value(v) < min || json_integer_value(v) > max)
        return error_set(err, ERR_INVALID, "'%s' is missing or not an integer from %lld to %lld",
                         key, (long long)min, (long long)max);
    *dst = json_integer_value(v);
    return 0;
}

/* A percentage as mps_pct_text writes it (0: none): an integer, or a number of at most two
 * decimals; in hundredths. */
static int get_pct(struct error *err, const json_t *o, const char *key, unsigned *centi)
{
    const json_t *v = json_object_get(o, key);
    double x = json_number_value(v) * 100, r = floor(x + 0.5);

    if (!json_is_number(v) || !(r >= 0 && r <= 10000) || fabs(x - r) > 1e-6 || (r > 0 && r < 100))
        return error_set(err, ERR_INVALID,
                         "'%s' is missing or not 0 or a percentage from 1 to 100 with at most two "
                         "decimals",
                         key);
    *centi = (unsigned)r;
    return 0;
}

/* An absolute path of our own spelling, or "" where empty is allowed. */
static int check_path(struct error *err, const char *key, const char *path, size_t max_len,
                      bool empty_ok)
{
    char norm[256];
    struct error e;

    if (path[0] == '\0' && empty_ok)
        return 0;
    if (mps_dir_normalize(&e, key, path, max_len, norm, sizeof(norm)) < 0 ||
        strcmp(norm, path) != 0)
        return error_set(err, ERR_INVALID,
                         "'%s' is not a normalized absolute path of at most %zu "
                         "bytes",
                         key, max_len);
    return 0;
}

/* The root's last component is gpushare-mps-UID-PID-XXXXXX, as mps_daemon names it. */
static int check_root(struct error *err, const struct mps_state *s)
{
    const char *base = strrchr(s->root, '/');
    char want[32];
    size_t n;

    str_printf(want, sizeof(want), ROOT_PREFIX "%u-", s->uid);
    if (base == NULL || strncmp(base + 1, want, strlen(want)) != 0)
        goto bad;
    base += 1 + strlen(want);
    n = strspn(base, "0123456789");
    if (n == 0 || n > 7 || base[n] != '-' || strlen(base + n + 1) != 6)
        goto bad;
    for (const char *p = base + n + 1; *p != '\0'; p++)
        if (!((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z')))
            goto bad;
    return 0;
bad:
    return error_set(err, ERR_INVALID, "'root' is not named " ROOT_PREFIX "%u-PID-XXXXXX", s->uid);
}

/* The fields' relations: what is owned lies in root, a reused daemon owns nothing. */
static int check_relations(struct error *err, const struct mps_state *s)
{
    char want[300];

    if (s->root[0] != '\0' && check_root(err, s) < 0)
        return -1;
    if ((s->own_pipe_dir || s->own_log_dir) && s->root[0] == '\0')
        return error_set(err, ERR_INVALID, "owned directories but no 'root'");
    if (s->root[0] != '\0' && !s->own_pipe_dir && !s->own_log_dir)
        return error_set(err, ERR_INVALID, "a 'root' that owns no directory");
    str_printf(want, sizeof(want), "%s/pipe", s->root);
    if (s->own_pipe_dir && strcmp(s->pipe_dir, want) != 0)
        return error_set(err, ERR_INVALID, "an owned 'pipe_dir' that is not 'root'/pipe");
    str_printf(want, sizeof(want), "%s/log", s->root);
    if (s->own_log_dir && strcmp(s->log_dir, want) != 0)
        return error_set(err, ERR_INVALID, "an owned 'log_dir' that is not 'root'/log");
    if ((s->own_pipe_dir && s->made_pipe_dir) || (s->own_log_dir && s->made_log_dir))
        return error_set(err, ERR_INVALID, "a directory both owned and made");
    if (s->reused && (s->root[0] != '\0' || s->made_pipe_dir || s->made_log_dir ||
                      s->thread_centi != 0 || s->mem_limit[0] != '\0'))
        return error_set(err, ERR_INVALID, "a reused daemon with directories or settings of ours");
    if (!s->reused && (s->daemon.pid == 0 || s->log_dir[0] == '\0'))
        return error_set(err, ERR_INVALID, "a daemon of ours with no pid or no 'log_dir'");
    /* Without its start time a reused pid passes for the daemon, and stop would signal it. */
    if (!s->reused && s->daemon.start == 0)
        return error_set(err, ERR_INVALID,
                         "a daemon of ours with no start time: a process that reuses its pid "
                         "could not be told from it");
    return 0;
}

int mps_state_parse(struct error *err, const char *text, size_t len, struct mps_state *s)
{
    struct mps_state t;
    json_error_t jerr;
    json_t *o, *daemon;
    json_int_t v;
    char schema[64];
    int rc = -1;

    memset(&t, 0, sizeof(t));
    if (len > MPS_STATE_MAX_BYTES)
        return error_set(err, ERR_INVALID, "longer than %d bytes", MPS_STATE_MAX_BYTES);
    o = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr);
    if (o == NULL)
        return error_set(err, ERR_INVALID, "not JSON: %s (line %d)", jerr.text, jerr.line);
    if (!json_is_object(o)) {
        error_set(err, ERR_INVALID, "not a JSON object");
        goto out;
    }
    if (get_str(err, o, "schema", schema, sizeof(schema)) < 0)
        goto out;
    if (strcmp(schema, MPS_STATE_SCHEMA) != 0) {
        error_set(err, ERR_INVALID, "schema '%s', expected '" MPS_STATE_SCHEMA "'", schema);
        goto out;
    }
    daemon = json_object_get(o, "daemon");
    if (!json_is_object(daemon)) {
        error_set(err, ERR_INVALID, "'daemon' is missing or not an object");
        goto out;
    }
    if (get_str(err, o, "pipe_dir", t.pipe_dir, sizeof(t.pipe_dir)) < 0 ||
        get_str(err, o, "log_dir", t.log_dir, sizeof(t.log_dir)) < 0 ||
        get_str(err, o, "root", t.root, sizeof(t.root)) < 0 ||
        get_str(err, o, "mem_limit", t.mem_limit, sizeof(t.mem_limit)) < 0 ||
        get_str(err, o, "started_at", t.started_at, sizeof(t.started_at)) < 0 ||
        get_bool(err, o, "own_pipe_dir", &t.own_pipe_dir) < 0 ||
        get_bool(err, o, "own_log_dir", &t.own_log_dir) < 0 ||
        get_bool(err, o, "made_pipe_dir", &t.made_pipe_dir) < 0 ||
        get_bool(err, o, "made_log_dir", &t.made_log_dir) < 0 ||
        get_bool(err, o, "reused", &t.reused) < 0)
        goto out;
    if (get_int(err, daemon, "pid", 0, PID_MAX, &v) < 0)
        goto out;
    t.daemon.pid = (long)v;
    if (get_int(err, daemon, "start", 0, INT64_MAX, &v) < 0)
        goto out;
    t.daemon.start = (unsigned long long)v;
    if (t.daemon.pid == 1 || (t.daemon.pid == 0 && t.daemon.start != 0)) {
        error_set(err, ERR_INVALID, "'daemon' pid %ld with start %llu", t.daemon.pid,
                  t.daemon.start);
        goto out;
    }
    if (get_int(err, o, "uid", 0, UINT32_MAX - 1, &v) < 0)
        goto out;
    t.uid = (unsigned)v;
    if (get_pct(err, o, "thread_pct", &t.thread_centi) < 0)
        goto out;
    if (check_path(err, "pipe_dir", t.pipe_dir, MPS_PIPE_DIR_MAX, false) < 0 ||
        check_path(err, "log_dir", t.log_dir, MPS_LOG_DIR_MAX, true) < 0 ||
        check_path(err, "root", t.root, MPS_LOG_DIR_MAX, true) < 0)
        goto out;
    if (t.mem_limit[0] != '\0') {
        struct error e;
        char norm[256];

        if (mps_mem_normalize(&e, "mem_limit", t.mem_limit, norm, sizeof(norm)) < 0 ||
            strcmp(norm, t.mem_limit) != 0) {
            error_set(err, ERR_INVALID, "'mem_limit' is not a normalized pinned memory limit");
            goto out;
        }
    }
    if (check_relations(err, &t) < 0)
        goto out;
    *s = t;
    rc = 0;
out:
    json_decref(o);
    return rc;
}

/* ---- option values ---- */

int mps_dir_normalize(struct error *err, const char *what, const char *in, size_t max_len,
                      char *out, size_t size)
{
    size_t len = 0;
    const char *p = in;

    if (in[0] != '/')
        return error_set(err, ERR_USAGE, "invalid %s '%.64s': expected an absolute path", what, in);
    for (const char *c = in; *c != '\0'; c++)
        if ((unsigned char)*c < 0x20 || *c == 0x7f)
            return error_set(err, ERR_USAGE, "invalid %s: a control character in the path", what);
    while (*p != '\0') {
        size_t n;

        while (*p == '/')
            p++;
        n = strcspn(p, "/");
        if (n == 0)
            break;
        if ((n == 1 && p[0] == '.') || (n == 2 && p[0] == '.' && p[1] == '.'))
            return error_set(err, ERR_USAGE, "invalid %s '%.64s': no '.' or '..' component, please",
                             what, in);
        if (len + 1 + n > max_len || len + 1 + n >= size)
            return error_set(err, ERR_USAGE, "invalid %s '%.64s%s': at most %zu bytes%s", what, in,
                             strlen(in) > 64 ? "..." : "", max_len,
                             max_len == MPS_PIPE_DIR_MAX
                                 ? " (MPS puts Unix sockets in it, whose paths must fit in 108 "
                                   "bytes)"
                                 : "");
        out[len++] = '/';
        memcpy(out + len, p, n);
        len += n;
        p += n;
    }
    if (len == 0)
        return error_set(err, ERR_USAGE, "invalid %s '/': expected a directory below /", what);
    out[len] = '\0';
    return 0;
}

/* ---- the registry ---- */

void mps_registry_dir(char *dir, size_t size)
{
    const char *xdg = getenv("XDG_RUNTIME_DIR");
    struct stat st;

    if (xdg != NULL && xdg[0] == '/' && strlen(xdg) <= XDG_MAX_LEN && stat(xdg, &st) == 0 &&
        S_ISDIR(st.st_mode) && access(xdg, W_OK | X_OK) == 0)
        str_printf(dir, size, "%s/" REGISTRY_NAME, xdg);
    else
        str_printf(dir, size, "/tmp/" REGISTRY_NAME "-%u", (unsigned)getuid());
}

/* The registry as it is now: absent (ENOENT, *exists false), or ours and private. */
static int check_dir(struct error *err, const char *dir, bool *exists)
{
    struct stat st;

    *exists = false;
    if (lstat(dir, &st) < 0) {
        if (errno == ENOENT)
            return 0;
        return error_set(err, ERR_IO, "cannot read the MPS state directory '%s': %s", dir,
                         strerror(errno));
    }
    if (!S_ISDIR(st.st_mode))
        return error_set(err, ERR_IO,
                         "refusing the MPS state directory '%s': not a directory (a link?)", dir);
    if (st.st_uid != geteuid())
        return error_set(err, ERR_IO,
                         "refusing the MPS state directory '%s': owned by uid %u, not %u", dir,
                         (unsigned)st.st_uid, (unsigned)geteuid());
    if ((st.st_mode & 077) != 0)
        return error_set(err, ERR_IO,
                         "refusing the MPS state directory '%s': mode %03o lets others in; "
                         "expected 0700",
                         dir, (unsigned)(st.st_mode & 0777));
    *exists = true;
    return 0;
}

int mps_registry_check(struct error *err, bool *exists)
{
    char dir[256];

    mps_registry_dir(dir, sizeof(dir));
    return check_dir(err, dir, exists);
}

/* FNV-1a, 64 bits: a file name per pipe directory. */
static unsigned long long fnv1a(const char *s)
{
    unsigned long long h = 0xcbf29ce484222325ULL;

    for (; *s != '\0'; s++) {
        h ^= (unsigned char)*s;
        h *= 0x100000001b3ULL;
    }
    return h;
}

void mps_state_file(const char *pipe_dir, char *path, size_t size)
{
    char dir[256];

    mps_registry_dir(dir, sizeof(dir));
    str_printf(path, size, "%s/" FILE_PREFIX "%016llx" FILE_SUFFIX, dir, fnv1a(pipe_dir));
}

/* Makes the registry (0700) when missing, then checks it. */
static int ensure_dir(struct error *err, const char *dir)
{
    bool exists;

    if (check_dir(err, dir, &exists) < 0)
        return -1;
    if (exists)
        return 0;
    if (mkdir(dir, 0700) < 0 && errno != EEXIST)
        return error_set(err, ERR_IO, "cannot create the MPS state directory '%s': %s", dir,
                         strerror(errno));
    /* A umask may have taken bits we need; none it adds can be group or other ones. */
    if (chmod(dir, 0700) < 0)
        return error_set(err, ERR_IO, "cannot chmod the MPS state directory '%s': %s", dir,
                         strerror(errno));
    if (check_dir(err, dir, &exists) < 0)
        return -1;
    if (!exists)
        return error_set(err, ERR_IO, "the MPS state directory '%s' vanished", dir);
    return 0;
}

int mps_state_save(struct error *err, struct mps_state *s)
{
    json_t *o;
    char *body, *text;
    char dir[256], path[512];
    int rc = -1;

    /* What the parser would refuse is not written: no later command could act on it. */
    if (check_relations(err, s) < 0)
        return -1;
    o = mps_state_to_json(s);
    body = json_dumps(o, JS_DUMP_FLAGS);
    json_decref(o);
    text = body != NULL ? malloc(strlen(body) + 2) : NULL;
    if (text == NULL) {
        free(body);
        return error_set(err, ERR_IO, "cannot format the MPS state: out of memory");
    }
    str_printf(text, strlen(body) + 2, "%s\n", body);
    free(body);
    mps_registry_dir(dir, sizeof(dir));
    mps_state_file(s->pipe_dir, path, sizeof(path));
    /* Twice: a stop in another process may remove the registry it just emptied between our
     * mkdir and our write. */
    for (int attempt = 0; attempt < 2 && rc < 0; attempt++) {
        if (ensure_dir(err, dir) < 0)
            break;
        rc = atomic_write(err, path, text, strlen(text), 0600);
    }
    free(text);
    if (rc == 0)
        str_printf(s->path, sizeof(s->path), "%s", path);
    return rc;
}

int mps_state_load(struct error *err, const char *path, struct mps_state *s)
{
    char *buf = NULL, want[512];
    struct stat st;
    ssize_t got;
    size_t len = 0;
    int fd, rc = -1;

    fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
    if (fd < 0)
        return error_set(err, ERR_IO, "cannot open '%s': %s", path, strerror(errno));
    if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_uid != geteuid() ||
        st.st_size > MPS_STATE_MAX_BYTES) {
        error_set(err, ERR_INVALID, "'%s' is not a regular file of uid %u of at most %d bytes",
                  path, (unsigned)geteuid(), MPS_STATE_MAX_BYTES);
        goto out;
    }
    buf = malloc(MPS_STATE_MAX_BYTES + 1);
    if (buf == NULL) {
        error_set(err, ERR_IO, "out of memory");
        goto out;
    }
    while (len <= MPS_STATE_MAX_BYTES &&
           (got = read(fd, buf + len, MPS_STATE_MAX_BYTES + 1 - len)) != 0) {
        if (got < 0 && errno == EINTR)
            continue;
        if (got < 0) {
            error_set(err, ERR_IO, "cannot read '%s': %s", path, strerror(errno));
            goto out;
        }
        len += (size_t)got;
    }
    if (mps_state_parse(err, buf, len, s) < 0) {
        error_wrap(err, "'%s'", path);
        goto out;
    }
    if (s->uid != (unsigned)getuid()) {
        error_set(err, ERR_INVALID, "'%s' is the record of uid %u", path, s->uid);
        goto out;
    }
    mps_state_file(s->pipe_dir, want, sizeof(want));
    if (strcmp(strrchr(want, '/'), strrchr(path, '/') != NULL ? strrchr(path, '/') : path) != 0) {
        error_set(err, ERR_INVALID, "'%s' is not named after its pipe directory", path);
        goto out;
    }
    str_printf(s->path, sizeof(s->path), "%s", path);
    rc = 0;
out:
    free(buf);
    close(fd);
    return rc;
}

int mps_state_find(struct error *err, const char *pipe_dir, struct mps_state *s, bool *found)
{
    char path[512];
    bool exists;

    *found = false;
    if (mps_registry_check(err, &exists) < 0)
        return -1;
    if (!exists)
        return 0;
    mps_state_file(pipe_dir, path, sizeof(path));
    if (access(path, F_OK) < 0 && errno == ENOENT)
        return 0;
    if (mps_state_load(err, path, s) < 0)
        return -1;
    if (strcmp(s->pipe_dir, pipe_dir) != 0)
        return error_set(err, ERR_INVALID, "'%s' records '%s', not '%s'", path, s->pipe_dir,
                         pipe_dir);
    *found = true;
    return 0;
}

static int by_age(const void *a, const void *b)
{
    const struct mps_state *x = a, *y = b;
    int c = strcmp(x->started_at, y->started_at);

    return c != 0 ? c : strcmp(x->path, y->path);
}

static bool is_state_name(const char *name)
{
    size_t n = strlen(name), pre = strlen(FILE_PREFIX), suf = strlen(FILE_SUFFIX);

    return n == pre + 16 + suf && strncmp(name, FILE_PREFIX, pre) == 0 &&
           strspn(name + pre, "0123456789abcdef") == 16 &&
           strcmp(name + pre + 16, FILE_SUFFIX) == 0;
}

int mps_state_list(struct error *err, struct mps_state *out, size_t max, size_t *n,
                   mps_state_warn_fn warn)
{
    char dir[256];
    struct dirent *e;
    bool exists;
    DIR *d;

    *n = 0;
    mps_registry_dir(dir, sizeof(dir));
    if (check_dir(err, dir, &exists) < 0)
        return -1;
    if (!exists)
        return 0;
    d = opendir(dir);
    if (d == NULL)
        return error_set(err, ERR_IO, "cannot read the MPS state directory '%s': %s", dir,
                         strerror(errno));
    while ((e = readdir(d)) != NULL) {
        char path[512];
        struct error why;

        if (!is_state_name(e->d_name))
            continue; /* ., .., and atomic_write's temporary files (".mps-...XXXXXX") */
        str_printf(path, sizeof(path), "%s/%s", dir, e->d_name);
        if (*n >= max) {
            error_set(&why, ERR_INVALID, "more than %zu records: this one is not read", max);
            if (warn != NULL)
                warn(path, &why);
            continue;
        }
        if (mps_state_load(&why, path, &out[*n]) < 0) {
            if (warn != NULL)
                warn(path, &why);
            continue;
        }
        (*n)++;
    }
    closedir(d);
    qsort(out, *n, sizeof(*out), by_age);
    return 0;
}

int mps_state_delete(struct error *err, const struct mps_state *s)
{
    char dir[256];

    if (s->path[0] == '\0')
        return 0;
    if (unlink(s->path) < 0 && errno != ENOENT)
        return error_set(err, ERR_IO, "cannot remove '%s': %s", s->path, strerror(errno));
    str_printf(dir, sizeof(dir), "%s", s->path);
    if (strrchr(dir, '/') != NULL)
        *strrchr(dir, '/') = '\0';
    /* Only an empty registry goes; another record (or a concurrent save) keeps it. */
    if (rmdir(dir) < 0 && errno != ENOTEMPTY && errno != EEXIST && errno != ENOENT &&
        errno != EBUSY)
        return error_set(err, ERR_IO, "cannot remove the MPS state directory '%s': %s", dir,
                         strerror(errno));
    return 0;
}

bool mps_state_stale(const struct mps_state *s)
{
    return s->daemon.pid > 0 && mps_proc_gone(&s->daemon);
}

bool mps_state_pipe_dir_in_use(const struct mps_state *s, char *why, size_t size)
{
    struct mps_probe_result probe;
    struct mps_proc pid = {0};
    char path[512];
    FILE *f;

    str_printf(path, sizeof(path), "%s/" MPS_PID_FILE, s->pipe_dir);
    f = fopen(path, "r");
    if (f != NULL) {
        if (fscanf(f, "%ld", &pid.pid) != 1 || pid.pid <= 1)
            pid.pid = 0;
        fclose(f);
    }
    /* The pid file the recorded daemon wrote, left when it was killed, and no process runs
     * under that pid: no daemon has written one since, and a daemon writes it as it starts. (A
     * control client may go by this file, so an answer now would say nothing: the fake of the
     * tests answers for a zombie.) */
    if (pid.pid > 0 && pid.pid == s->daemon.pid &&
        mps_proc_gone(&(struct mps_proc){.pid = pid.pid}))
        return false;
    mps_probe(s->pipe_dir, &probe);
    if (probe.answers) {
        if (probe.has_pid)
            str_printf(why, size, "an MPS control daemon answers there (pid %ld)",
                       probe.daemon_pid);
        else
            str_printf(why, size, "an MPS control daemon answers there");
        return true;
    }
    if (pid.pid == 0 || mps_proc_gone(&pid))
        return false;
    str_printf(why, size, "its " MPS_PID_FILE " names process %ld, which is running", pid.pid);
    return true;
}

int mps_state_remove_made(struct error *err, const struct mps_state *s)
{
    struct stat st;
    char why[160];

    if (!s->made_pipe_dir || s->own_pipe_dir)
        return 0;
    if (mps_state_pipe_dir_in_use(s, why, sizeof(why)))
        return error_set(err, ERR_IO, "refusing to remove '%s': %s", s->pipe_dir, why);
    if (lstat(s->pipe_dir, &st) < 0)
        return errno == ENOENT
                   ? 0
                   : error_set(err, ERR_IO, "cannot read '%s': %s", s->pipe_dir, strerror(errno));
    if (!S_ISDIR(st.st_mode) || st.st_uid != geteuid())
        return error_set(err, ERR_IO, "refusing to remove '%s': not a directory of uid %u",
                         s->pipe_dir, (unsigned)geteuid());
    if (mps_remove_tree(s->pipe_dir) < 0)
        return error_set(err, ERR_IO, "cannot remove '%s': %s", s->pipe_dir, strerror(errno));
    return 0;
}
