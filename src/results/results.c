/*
 * The results document: builders, the atomic writer, the loader and the checker of the JSON
 * tree every stage reads (docs/results.md). Reals enter the tree already rounded to the
 * digits they are written with, so a document equals its own serialisation.
 */
#include "results/results.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "gpu/info.h"
#include "gpu/info_json.h"

/* The Makefile passes these with -D; a stray compile still gets a document. */
#ifndef GPUSHARE_VERSION
#define GPUSHARE_VERSION "unknown"
#endif
#ifndef GPUSHARE_GIT_COMMIT
#define GPUSHARE_GIT_COMMIT "unknown"
#endif
#ifndef GPUSHARE_GIT_DIRTY
#define GPUSHARE_GIT_DIRTY 0
#endif

#define RESULTS_PATH_MAX 4096

static const char *const results_verdict_names[] = {"info", "meets", "misses"};

/* jansson returns NULL or -1 only for allocation failure once keys and values are valid:
 * treated like xmalloc, the one place this module may stop the process. */
static void results_oom(void)
{
    fputs("gpushare: fatal: out of memory building the results document\n", stderr);
    abort();
}

static json_t *results_must(json_t *j)
{
    if (j == NULL)
        results_oom();
    return j;
}

static void results_set(json_t *obj, const char *key, json_t *v)
{
    if (v == NULL || json_object_set_new(obj, key, v) < 0)
        results_oom();
}

static void results_append(json_t *arr, json_t *v)
{
    if (v == NULL || json_array_append_new(arr, v) < 0)
        results_oom();
}

/* Length of the well-formed UTF-8 sequence at s (RFC 3629: no overlongs, no surrogates),
 * 0 when it is not one. */
static size_t results_utf8_len(const unsigned char *s)
{
    unsigned char c = s[0];
    unsigned char lo = 0x80, hi = 0xbf;
    size_t len, i;

    if (c < 0x80)
        return 1;
    if (c >= 0xc2 && c <= 0xdf)
        len = 2;
    else if (c >= 0xe0 && c <= 0xef)
        len = 3;
    else if (c >= 0xf0 && c <= 0xf4)
        len = 4;
    else
        return 0;
    if (c == 0xe0)
        lo = 0xa0;
    else if (c == 0xed)
        hi = 0x9f;
    else if (c == 0xf0)
        lo = 0x90;
    else if (c == 0xf4)
        hi = 0x8f;
    if (s[1] < lo || s[1] > hi)
        return 0;
    for (i = 2; i < len; i++) {
        if (s[i] < 0x80 || s[i] > 0xbf)
            return 0;
    }
    return len;
}

json_t *results_string(const char *s)
{
    json_t *j;
    char *clean;
    size_t n, i, k;

    if (s == NULL)
        s = "";
    j = json_string(s);
    if (j != NULL)
        return j;
    // json_string() refuses malformed UTF-8; keep the readable part of the text.
    n = strlen(s);
    clean = malloc(n + 1);
    if (clean == NULL)
        results_oom();
    for (i = 0; i < n; i += k) {
        k = results_utf8_len((const unsigned char *)s + i);
        if (k == 0) {
            clean[i] = '?';
            k = 1;
        } else {
            memcpy(clean + i, s + i, k);
        }
    }
    clean[n] = '\0';
    j = json_string(clean);
    free(clean);
    return results_must(j);
}

json_t *results_real(double v)
{
    char buf[40];

    if (!(fabs(v) <= RESULTS_REAL_LIMIT))
        return results_must(json_null());
    // The same %.*g the writer uses: rounding here makes the tree equal its serialisation.
    snprintf(buf, sizeof(buf), "%.*g", RESULTS_REAL_DIGITS, v);
    return results_must(json_real(strtod(buf, NULL)));
}

json_t *results_summary_json(const struct summary *s)
{
    json_t *o = results_must(json_object());
    double mean = s->mean;

    // Summation rounding must not put the mean outside the range results_check() expects.
    if (mean < s->min)
        mean = s->min;
    if (mean > s->max)
        mean = s->max;
    results_set(o, "n", json_integer((json_int_t)s->n));
    results_set(o, "median", results_real(s->median));
    results_set(o, "min", results_real(s->min));
    results_set(o, "max", results_real(s->max));
    results_set(o, "p10", results_real(s->p10));
    results_set(o, "p90", results_real(s->p90));
    results_set(o, "mean", results_real(mean));
    return o;
}

static void results_now_utc(char *buf, size_t len)
{
    time_t now = time(NULL);
    struct tm tm;

    if (gmtime_r(&now, &tm) == NULL || strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
        snprintf(buf, len, "1970-01-01T00:00:00Z");
}

json_t *results_new(const struct run_meta *meta, json_t *info)
{
    static const struct run_meta defaults = {.git_dirty = -1};
    char utc[32], host[256];
    json_t *doc, *tool, *run, *argv;
    int dirty;

    if (meta == NULL)
        meta = &defaults;
    doc = results_must(json_object());
    results_set(doc, "schema", results_string(RESULTS_SCHEMA_ID));

    tool = results_must(json_object());
    dirty = meta->git_dirty < 0 ? GPUSHARE_GIT_DIRTY : meta->git_dirty;
    results_set(tool, "name", results_string("gpushare"));
    results_set(tool, "version",
                results_string(meta->tool_version ? meta->tool_version : GPUSHARE_VERSION));
    results_set(tool, "git_commit",
                results_string(meta->git_commit ? meta->git_commit : GPUSHARE_GIT_COMMIT));
    results_set(tool, "git_dirty", json_boolean(dirty != 0));
    results_set(doc, "tool", tool);

    run = results_must(json_object());
    if (meta->utc_time == NULL)
        results_now_utc(utc, sizeof(utc));
    if (meta->host == NULL) {
        // POSIX allows a truncated name without its terminator.
        if (gethostname(host, sizeof(host)) < 0)
            snprintf(host, sizeof(host), "unknown");
        host[sizeof(host) - 1] = '\0';
    }
    results_set(run, "utc", results_string(meta->utc_time ? meta->utc_time : utc));
    results_set(run, "host", results_string(meta->host ? meta->host : host));
    results_set(run, "command", results_string(meta->command));
    argv = results_must(json_array());
    for (int i = 0; i < meta->argc && meta->argv != NULL; i++)
        results_append(argv, results_string(meta->argv[i]));
    results_set(run, "argv", argv);
    results_set(doc, "run", run);

    results_set(doc, "info", info ? info : json_null());
    results_set(doc, "tests", json_array());
    results_set(doc, "skipped", json_array());
    return doc;
}

json_t *results_add_test(json_t *doc, const char *id, const char *group, const char *title)
{
    json_t *tests = json_object_get(doc, "tests");
    json_t *t;

    if (!json_is_array(tests))
        return NULL;
    t = results_must(json_object());
    results_set(t, "id", results_string(id));
    results_set(t, "group", results_string(group));
    results_set(t, "title", results_string(title));
    results_set(t, "params", json_object());
    results_append(tests, t);
    return t;
}

/* The member object key of test, created empty on first use. */
static json_t *results_child(json_t *test, const char *key)
{
    json_t *o = json_object_get(test, key);

    if (json_is_object(o))
        return o;
    o = results_must(json_object());
    results_set(test, key, o);
    return o;
}

void results_param_int(json_t *test, const char *key, long long v)
{
    if (json_is_object(test))
        results_set(results_child(test, "params"), key, json_integer((json_int_t)v));
}

void results_param_num(json_t *test, const char *key, double v)
{
    if (json_is_object(test))
        results_set(results_child(test, "params"), key, results_real(v));
}

void results_param_str(json_t *test, const char *key, const char *v)
{
    if (json_is_object(test))
        results_set(results_child(test, "params"), key, results_string(v));
}

static const char *results_test_id(const json_t *test)
{
    const char *id = json_string_value(json_object_get(test, "id"));

    return id ? id : "?";
}

/* samples as a JSON array and their summary; refuses what stats_summarize() refuses. */
static int results_sample_set(struct error *err, const json_t *test, const char *what,
                              const double *samples, size_t n, json_t **arr, json_t **sum)
{
    struct summary s;

    if (n == 0 || samples == NULL)
        return error_set(err, ERR_INVALID, "test '%s': no samples for '%s'", results_test_id(test),
                         what);
    for (size_t i = 0; i < n; i++) {
        if (!(fabs(samples[i]) <= RESULTS_REAL_LIMIT))
            return error_set(err, ERR_INVALID,
                             "test '%s': sample %zu of '%s' is not finite or beyond %g (%g)",
                             results_test_id(test), i, what, RESULTS_REAL_LIMIT, samples[i]);
    }
    if (stats_summarize(samples, n, &s) < 0)
        return error_set(err, ERR_INVALID, "test '%s': cannot summarise '%s'",
                         results_test_id(test), what);
    *arr = results_must(json_array());
    for (size_t i = 0; i < n; i++)
        results_append(*arr, results_real(samples[i]));
    *sum = results_summary_json(&s);
    return 0;
}

int results_metric(struct error *err, json_t *test, const char *name, const char *unit,
                   const char *better, const double *samples, size_t n)
{
    json_t *metric, *arr, *sum;

    if (!json_is_object(test))
        return error_set(err, ERR_INVALID, "results_metric: not a test");
    if (json_object_get(test, "metric") != NULL)
        return error_set(err, ERR_INVALID, "test '%s' already has a metric", results_test_id(test));
    if (better == NULL || (strcmp(better, "higher") != 0 && strcmp(better, "lower") != 0))
        return error_set(err, ERR_INVALID,
                         "test '%s': better must be 'higher' or 'lower', not '%s'",
                         results_test_id(test), better ? better : "(null)");
    if (results_sample_set(err, test, name ? name : "", samples, n, &arr, &sum) < 0)
        return -1;
    metric = results_must(json_object());
    results_set(metric, "name", results_string(name));
    results_set(metric, "unit", results_string(unit));
    results_set(metric, "better", results_string(better));
    results_set(test, "metric", metric);
    results_set(test, "samples", arr);
    results_set(test, "summary", sum);
    return 0;
}

int results_series(struct error *err, json_t *test, const char *name, const char *unit,
                   const double *samples, size_t n)
{
    json_t *series, *s, *arr, *sum;

    if (!json_is_object(test) || name == NULL)
        return error_set(err, ERR_INVALID, "results_series: not a test or no name");
    series = json_object_get(test, "series");
    if (json_object_get(series, name) != NULL)
        return error_set(err, ERR_INVALID, "test '%s' already has a series '%s'",
                         results_test_id(test), name);
    if (results_sample_set(err, test, name, samples, n, &arr, &sum) < 0)
        return -1;
    s = results_must(json_object());
    results_set(s, "unit", results_string(unit));
    results_set(s, "samples", arr);
    results_set(s, "summary", sum);
    results_set(results_child(test, "series"), name, s);
    return 0;
}

void results_bound(json_t *test, double value, const char *unit, const char *kind,
                   const char *basis)
{
    json_t *b;

    if (!json_is_object(test))
        return;
    b = results_must(json_object());
    results_set(b, "value", results_real(value));
    results_set(b, "unit", results_string(unit));
    results_set(b, "kind", results_string(kind));
    results_set(b, "basis", results_string(basis));
    results_set(test, "bound", b);
}

void results_derived(json_t *test, const char *key, double v)
{
    if (json_is_object(test))
        results_set(results_child(test, "derived"), key, results_real(v));
}

void results_derived_str(json_t *test, const char *key, const char *v)
{
    if (json_is_object(test))
        results_set(results_child(test, "derived"), key, results_string(v));
}

void results_verdict(json_t *test, enum verdict_status status, const char *criterion,
                     const char *detail)
{
    json_t *v;

    if (!json_is_object(test))
        return;
    v = results_must(json_object());
    results_set(v, "status", results_string(verdict_name(status)));
    results_set(v, "criterion", results_string(criterion));
    results_set(v, "detail", results_string(detail));
    results_set(test, "verdict", v);
}

void results_skip(json_t *doc, const char *what, const char *why)
{
    json_t *skipped = json_object_get(doc, "skipped");
    json_t *s;

    if (!json_is_array(skipped))
        return;
    s = results_must(json_object());
    results_set(s, "what", results_string(what));
    results_set(s, "why", results_string(why));
    results_append(skipped, s);
}

/* ---- writing ---- */

static int results_write_stdout(struct error *err, const json_t *doc)
{
    if (json_dumpf(doc, stdout, RESULTS_DUMP_FLAGS) < 0 || fputc('\n', stdout) == EOF ||
        fflush(stdout) == EOF)
        return error_set(err, ERR_IO, "cannot write the results to standard output: %s",
                         strerror(errno ? errno : EIO));
    return 0;
}

/* Best effort: makes the rename itself durable. A failure here loses nothing written. */
static void results_sync_dir(const char *dir)
{
    int fd = open(dir, O_RDONLY | O_DIRECTORY);

    if (fd >= 0) {
        (void)fsync(fd);
        close(fd);
    }
}

int results_write(struct error *err, const json_t *doc, const char *path)
{
    char dir[RESULTS_PATH_MAX], tmp[RESULTS_PATH_MAX];
    const char *slash, *base;
    FILE *f = NULL;
    int fd = -1, saved, rv = -1;

    if (path == NULL || path[0] == '\0')
        return error_set(err, ERR_IO, "no path to write the results to");
    if (strcmp(path, "-") == 0)
        return results_write_stdout(err, doc);
    // The temp file must be in the target's directory: rename(2) is atomic only there.
    slash = strrchr(path, '/');
    base = slash ? slash + 1 : path;
    if (base[0] == '\0')
        return error_set(err, ERR_IO, "cannot write '%s': %s", path, strerror(EISDIR));
    if (slash == NULL)
        snprintf(dir, sizeof(dir), ".");
    else if (slash == path)
        snprintf(dir, sizeof(dir), "/");
    else if ((size_t)(slash - path) < sizeof(dir))
        snprintf(dir, sizeof(dir), "%.*s", (int)(slash - path), path);
    else
        return error_set(err, ERR_IO, "cannot write '%s': %s", path, strerror(ENAMETOOLONG));
    if (snprintf(tmp, sizeof(tmp), "%s/.%s.XXXXXX", dir, base) >= (int)sizeof(tmp))
        return error_set(err, ERR_IO, "cannot write '%s': %s", path, strerror(ENAMETOOLONG));

    fd = mkstemp(tmp);
    if (fd < 0) {
        error_set(err, ERR_IO, "cannot create a temporary file in '%s': %s", dir, strerror(errno));
        return -1;
    }
    // mkstemp makes the file 0600; a results document is for everyone to read.
    if (fchmod(fd, 0644) < 0) {
        error_set(err, ERR_IO, "cannot write '%s': %s", tmp, strerror(errno));
        goto fail;
    }
    f = fdopen(fd, "w");
    if (f == NULL) {
        error_set(err, ERR_IO, "cannot write '%s': %s", tmp, strerror(errno));
        goto fail;
    }
    fd = -1;
    errno = 0;
    if (json_dumpf(doc, f, RESULTS_DUMP_FLAGS) < 0 || fputc('\n', f) == EOF || fflush(f) == EOF ||
        fsync(fileno(f)) < 0) {
        error_set(err, ERR_IO, "cannot write '%s': %s", tmp, strerror(errno ? errno : EIO));
        goto fail;
    }
    saved = fclose(f);
    f = NULL;
    if (saved == EOF) {
        error_set(err, ERR_IO, "cannot write '%s': %s", tmp, strerror(errno));
        goto fail;
    }
    if (rename(tmp, path) < 0) {
        error_set(err, ERR_IO, "cannot rename '%s' to '%s': %s", tmp, path, strerror(errno));
        goto fail;
    }
    results_sync_dir(dir);
    return 0;
fail:
    if (f != NULL)
        fclose(f);
    if (fd >= 0)
        close(fd);
    unlink(tmp);
    return rv;
}

/* ---- loading ---- */

static json_t *results_parsed(struct error *err, json_t *doc, const json_error_t *jerr,
                              const char *name)
{
    if (doc == NULL) {
        error_set(err, ERR_INVALID, "'%s' line %d column %d: %s", name, jerr->line, jerr->column,
                  jerr->text);
        return NULL;
    }
    if (results_check(err, doc, name) < 0) {
        json_decref(doc);
        return NULL;
    }
    return doc;
}

json_t *results_loadb(struct error *err, const char *buf, size_t len, const char *name)
{
    json_error_t jerr;
    json_t *doc;

    if (buf == NULL) {
        error_set(err, ERR_INVALID, "'%s': no document", name);
        return NULL;
    }
    doc = json_loadb(buf, len, JSON_REJECT_DUPLICATES, &jerr);
    return results_parsed(err, doc, &jerr, name);
}

json_t *results_load(struct error *err, const char *path)
{
    json_error_t jerr;
    struct stat st;
    json_t *doc;
    FILE *f;
    int read_failed;

    if (strcmp(path, "-") == 0) {
        doc = json_loadf(stdin, JSON_REJECT_DUPLICATES, &jerr);
        if (doc == NULL && ferror(stdin)) {
            error_set(err, ERR_IO, "cannot read standard input: %s", strerror(errno));
            return NULL;
        }
        return results_parsed(err, doc, &jerr, "<stdin>");
    }
    // Opened here rather than by json_load_file() so errno names the cause.
    f = fopen(path, "r");
    if (f == NULL) {
        error_set(err, ERR_IO, "cannot open '%s': %s", path, strerror(errno));
        return NULL;
    }
    if (fstat(fileno(f), &st) == 0 && S_ISDIR(st.st_mode)) {
        fclose(f);
        error_set(err, ERR_IO, "cannot read '%s': %s", path, strerror(EISDIR));
        return NULL;
    }
    doc = json_loadf(f, JSON_REJECT_DUPLICATES, &jerr);
    read_failed = doc == NULL && ferror(f);
    if (read_failed)
        error_set(err, ERR_IO, "cannot read '%s': %s", path, strerror(errno ? errno : EIO));
    fclose(f);
    if (read_failed)
        return NULL;
    return results_parsed(err, doc, &jerr, path);
}

/* ---- checking ---- */

enum results_jtype {
    JT_OBJECT = 1u << 0,
    JT_ARRAY = 1u << 1,
    JT_STRING = 1u << 2,
    JT_INTEGER = 1u << 3,
    JT_REAL = 1u << 4,
    JT_BOOL = 1u << 5,
    JT_NULL = 1u << 6,
    JT_NUMBER = JT_INTEGER | JT_REAL,
    JT_SCALAR = JT_NUMBER | JT_STRING | JT_BOOL | JT_NULL,
};

struct results_chk {
    struct error *err;
    const char *where; /* the file, in every message */
    char ctx[160];     /* "tests[3] ('id')" while checking a test, else "" */
};

static unsigned results_jtype_of(const json_t *j)
{
    switch (json_typeof(j)) {
    case JSON_OBJECT:
        return JT_OBJECT;
    case JSON_ARRAY:
        return JT_ARRAY;
    case JSON_STRING:
        return JT_STRING;
    case JSON_INTEGER:
        return JT_INTEGER;
    case JSON_REAL:
        return JT_REAL;
    case JSON_TRUE:
    case JSON_FALSE:
        return JT_BOOL;
    case JSON_NULL:
        break;
    }
    return JT_NULL;
}

static const char *results_type_text(unsigned types)
{
    switch (types) {
    case JT_OBJECT:
        return "an object";
    case JT_ARRAY:
        return "an array";
    case JT_STRING:
        return "a string";
    case JT_INTEGER:
        return "an integer";
    case JT_REAL:
    case JT_NUMBER:
        return "a number";
    case JT_BOOL:
        return "a boolean";
    case JT_NULL:
        return "null";
    case JT_OBJECT | JT_NULL:
        return "an object or null";
    case JT_NUMBER | JT_NULL:
        return "a number or null";
    case JT_SCALAR:
        return "a number, string, boolean or null";
    }
    return "another type";
}

static int results_fail(struct results_chk *c, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static int results_fail(struct results_chk *c, const char *fmt, ...)
{
    char msg[200];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    if (c->ctx[0] != '\0')
        return error_set(c->err, ERR_INVALID, "'%s': %s: %s", c->where, c->ctx, msg);
    return error_set(c->err, ERR_INVALID, "'%s': %s", c->where, msg);
}

/* "base.key", or key alone at the top: the name messages give a member. */
static void results_join(char *buf, size_t len, const char *base, const char *key)
{
    if (base[0] == '\0')
        snprintf(buf, len, "%s", key);
    else
        snprintf(buf, len, "%s.%s", base, key);
}

static int results_want_type(struct results_chk *c, const json_t *v, const char *path,
                             unsigned types)
{
    if (results_jtype_of(v) & types)
        return 0;
    return results_fail(c, "\"%s\" must be %s, not %s", path, results_type_text(types),
                        results_type_text(results_jtype_of(v)));
}

/* The member key of obj, of one of types; NULL with the error set when missing or not. */
static const json_t *results_get(struct results_chk *c, const json_t *obj, const char *base,
                                 const char *key, unsigned types)
{
    const json_t *v = json_object_get(obj, key);
    char path[160];

    results_join(path, sizeof(path), base, key);
    if (v == NULL) {
        results_fail(c, "missing \"%s\"", path);
        return NULL;
    }
    if (results_want_type(c, v, path, types) < 0)
        return NULL;
    return v;
}

/* A fixed-shape object: every key must be one of keys (NULL-terminated). */
static int results_only_keys(struct results_chk *c, const json_t *obj, const char *base,
                             const char *const *keys)
{
    const char *k;
    json_t *v;
    char path[160];

    json_object_foreach ((json_t *)obj, k, v) {
        size_t i;

        for (i = 0; keys[i] != NULL && strcmp(keys[i], k) != 0; i++)
            ;
        if (keys[i] == NULL) {
            results_join(path, sizeof(path), base, k);
            return results_fail(c, "unknown key \"%s\"", path);
        }
    }
    return 0;
}

static int results_want_enum(struct results_chk *c, const json_t *obj, const char *base,
                             const char *key, const char *const *names, size_t n)
{
    const json_t *v = results_get(c, obj, base, key, JT_STRING);
    char path[160], list[96] = "";
    size_t used = 0;

    if (v == NULL)
        return -1;
    for (size_t i = 0; i < n; i++) {
        if (strcmp(json_string_value(v), names[i]) == 0)
            return 0;
        used += (size_t)snprintf(list + used, sizeof(list) - used, "%s\"%s\"",
                                 i == 0 ? "" : (i + 1 == n ? " or " : ", "), names[i]);
        if (used >= sizeof(list))
            used = sizeof(list) - 1;
    }
    results_join(path, sizeof(path), base, key);
    return results_fail(c, "\"%s\" must be %s, not \"%s\"", path, list, json_string_value(v));
}

/* A string member that must not be empty: ids, names and units identify things. */
static const char *results_get_name(struct results_chk *c, const json_t *obj, const char *base,
                                    const char *key)
{
    const json_t *v = results_get(c, obj, base, key, JT_STRING);
    char path[160];

    if (v == NULL)
        return NULL;
    if (json_string_length(v) == 0) {
        results_join(path, sizeof(path), base, key);
        results_fail(c, "\"%s\" must not be empty", path);
        return NULL;
    }
    return json_string_value(v);
}

static bool results_leap(long y)
{
    return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

/* RFC 3339 in UTC as the tool writes it: "2026-11-24T02:30:00Z", optional fraction. */
static bool results_utc_ok(const char *s)
{
    static const int mdays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    static const char shape[] = "dddd-dd-ddTdd:dd:dd";
    long f[6] = {0};
    size_t i;
    int k = 0;

    for (i = 0; shape[i] != '\0'; i++) {
        if (shape[i] == 'd') {
            if (s[i] < '0' || s[i] > '9')
                return false;
        } else if (s[i] != shape[i]) {
            return false;
        }
    }
    for (i = 0; shape[i] != '\0'; i++) {
        if (shape[i] == 'd')
            f[k] = f[k] * 10 + (s[i] - '0');
        else
            k++;
    }
    s += i;
    if (*s == '.') {
        if (s[1] < '0' || s[1] > '9')
            return false;
        for (s++; *s >= '0' && *s <= '9'; s++)
            ;
    }
    if (strcmp(s, "Z") != 0)
        return false;
    if (f[1] < 1 || f[1] > 12 || f[2] < 1)
        return false;
    if (f[2] > mdays[f[1] - 1] + (f[1] == 2 && results_leap(f[0])))
        return false;
    return f[3] <= 23 && f[4] <= 59 && f[5] <= 59;
}

static int results_check_samples(struct results_chk *c, const json_t *arr, const char *path)
{
    size_t i;
    const json_t *v;
    char item[192];

    if (json_array_size(arr) == 0)
        return results_fail(c, "\"%s\" must not be empty", path);
    json_array_foreach (arr, i, v) {
        snprintf(item, sizeof(item), "%s[%zu]", path, i);
        if (results_want_type(c, v, item, JT_NUMBER) < 0)
            return -1;
    }
    return 0;
}

/* summary at base ("summary", "series.x.summary") against its samples. */
static int results_check_summary(struct results_chk *c, const json_t *sum, const char *base,
                                 const json_t *samples)
{
    static const char *const keys[] = {"n", "median", "min", "max", "p10", "p90", "mean", NULL};
    static const char *const order[] = {"min", "p10", "median", "p90", "max"};
    double v[5], lo = INFINITY, hi = -INFINITY, mean;
    const json_t *n, *x;
    size_t i, count = json_array_size(samples);

    if (results_only_keys(c, sum, base, keys) < 0)
        return -1;
    n = results_get(c, sum, base, "n", JT_INTEGER);
    if (n == NULL)
        return -1;
    if (json_integer_value(n) < 0 || (size_t)json_integer_value(n) != count)
        return results_fail(c, "\"%s.n\" is %lld but there are %zu samples", base,
                            (long long)json_integer_value(n), count);
    for (i = 0; i < 5; i++) {
        x = results_get(c, sum, base, order[i], JT_NUMBER);
        if (x == NULL)
            return -1;
        v[i] = json_number_value(x);
    }
    x = results_get(c, sum, base, "mean", JT_NUMBER);
    if (x == NULL)
        return -1;
    mean = json_number_value(x);
    for (i = 0; i + 1 < 5; i++) {
        if (v[i] > v[i + 1])
            return results_fail(c, "\"%s.%s\" (%.10g) is above \"%s.%s\" (%.10g)", base, order[i],
                                v[i], base, order[i + 1], v[i + 1]);
    }
    json_array_foreach (samples, i, x) {
        double s = json_number_value(x);

        lo = s < lo ? s : lo;
        hi = s > hi ? s : hi;
    }
    if (v[0] != lo)
        return results_fail(c, "\"%s.min\" is %.10g but the smallest sample is %.10g", base, v[0],
                            lo);
    if (v[4] != hi)
        return results_fail(c, "\"%s.max\" is %.10g but the largest sample is %.10g", base, v[4],
                            hi);
    if (mean < v[0] || mean > v[4])
        return results_fail(c, "\"%s.mean\" (%.10g) is outside [min, max]", base, mean);
    return 0;
}

/* An open map of scalars: "params", "derived". */
static int results_check_scalars(struct results_chk *c, const json_t *obj, const char *base)
{
    const char *k;
    json_t *v;
    char path[160];

    json_object_foreach ((json_t *)obj, k, v) {
        results_join(path, sizeof(path), base, k);
        if (results_want_type(c, v, path, JT_SCALAR) < 0)
            return -1;
    }
    return 0;
}

static int results_check_series(struct results_chk *c, const json_t *series)
{
    static const char *const keys[] = {"unit", "samples", "summary", NULL};
    const char *name;
    json_t *s;
    char base[160], path[192];

    json_object_foreach ((json_t *)series, name, s) {
        const json_t *samples, *sum;

        results_join(base, sizeof(base), "series", name);
        if (results_want_type(c, s, base, JT_OBJECT) < 0 ||
            results_only_keys(c, s, base, keys) < 0 || results_get_name(c, s, base, "unit") == NULL)
            return -1;
        samples = results_get(c, s, base, "samples", JT_ARRAY);
        if (samples == NULL)
            return -1;
        snprintf(path, sizeof(path), "%s.samples", base);
        if (results_check_samples(c, samples, path) < 0)
            return -1;
        sum = results_get(c, s, base, "summary", JT_OBJECT);
        snprintf(path, sizeof(path), "%s.summary", base);
        if (sum == NULL || results_check_summary(c, sum, path, samples) < 0)
            return -1;
    }
    return 0;
}

static int results_check_test(struct results_chk *c, const json_t *t, size_t index, json_t *ids)
{
    static const char *const keys[] = {"id",     "group",   "title",   "params",
                                       "metric", "samples", "summary", "series",
                                       "bound",  "derived", "verdict", NULL};
    static const char *const metric_keys[] = {"name", "unit", "better", NULL};
    static const char *const better[] = {"higher", "lower"};
    static const char *const bound_keys[] = {"value", "unit", "kind", "basis", NULL};
    static const char *const kinds[] = {"upper", "lower"};
    static const char *const verdict_keys[] = {"status", "criterion", "detail", NULL};
    const json_t *v, *samples, *first;
    const char *id;

    snprintf(c->ctx, sizeof(c->ctx), "tests[%zu]", index);
    if (!json_is_object(t))
        return results_fail(c, "must be an object, not %s", results_type_text(results_jtype_of(t)));
    id = results_get_name(c, t, "", "id");
    if (id == NULL)
        return -1;
    snprintf(c->ctx, sizeof(c->ctx), "tests[%zu] ('%s')", index, id);
    first = json_object_get(ids, id);
    if (first != NULL)
        return results_fail(c, "duplicate test id (also tests[%lld])",
                            (long long)json_integer_value(first));
    if (json_object_set_new(ids, id, json_integer((json_int_t)index)) < 0)
        results_oom();
    if (results_only_keys(c, t, "", keys) < 0 || results_get_name(c, t, "", "group") == NULL ||
        results_get(c, t, "", "title", JT_STRING) == NULL)
        return -1;

    v = results_get(c, t, "", "params", JT_OBJECT);
    if (v == NULL || results_check_scalars(c, v, "params") < 0)
        return -1;

    v = results_get(c, t, "", "metric", JT_OBJECT);
    if (v == NULL || results_only_keys(c, v, "metric", metric_keys) < 0 ||
        results_get_name(c, v, "metric", "name") == NULL ||
        results_get_name(c, v, "metric", "unit") == NULL ||
        results_want_enum(c, v, "metric", "better", better, 2) < 0)
        return -1;
    samples = results_get(c, t, "", "samples", JT_ARRAY);
    if (samples == NULL || results_check_samples(c, samples, "samples") < 0)
        return -1;
    v = results_get(c, t, "", "summary", JT_OBJECT);
    if (v == NULL || results_check_summary(c, v, "summary", samples) < 0)
        return -1;

    v = json_object_get(t, "series");
    if (v != NULL &&
        (results_want_type(c, v, "series", JT_OBJECT) < 0 || results_check_series(c, v) < 0))
        return -1;

    v = json_object_get(t, "bound");
    if (v != NULL && (results_want_type(c, v, "bound", JT_OBJECT) < 0 ||
                      results_only_keys(c, v, "bound", bound_keys) < 0 ||
                      results_get(c, v, "bound", "value", JT_NUMBER | JT_NULL) == NULL ||
                      results_get_name(c, v, "bound", "unit") == NULL ||
                      results_want_enum(c, v, "bound", "kind", kinds, 2) < 0 ||
                      results_get(c, v, "bound", "basis", JT_STRING) == NULL))
        return -1;

    v = json_object_get(t, "derived");
    if (v != NULL && (results_want_type(c, v, "derived", JT_OBJECT) < 0 ||
                      results_check_scalars(c, v, "derived") < 0))
        return -1;

    v = results_get(c, t, "", "verdict", JT_OBJECT);
    if (v == NULL || results_only_keys(c, v, "verdict", verdict_keys) < 0 ||
        results_want_enum(c, v, "verdict", "status", results_verdict_names, 3) < 0 ||
        results_get(c, v, "verdict", "criterion", JT_STRING) == NULL ||
        results_get(c, v, "verdict", "detail", JT_STRING) == NULL)
        return -1;
    c->ctx[0] = '\0';
    return 0;
}

static int results_check_head(struct results_chk *c, const json_t *doc)
{
    static const char *const tool_keys[] = {"name", "version", "git_commit", "git_dirty", NULL};
    static const char *const run_keys[] = {"utc", "host", "command", "argv", NULL};
    const json_t *o, *v;
    size_t i;

    o = results_get(c, doc, "", "tool", JT_OBJECT);
    if (o == NULL || results_only_keys(c, o, "tool", tool_keys) < 0)
        return -1;
    v = results_get(c, o, "tool", "name", JT_STRING);
    if (v == NULL)
        return -1;
    if (strcmp(json_string_value(v), "gpushare") != 0)
        return results_fail(c, "\"tool.name\" is \"%s\", not \"gpushare\"", json_string_value(v));
    if (results_get_name(c, o, "tool", "version") == NULL ||
        results_get_name(c, o, "tool", "git_commit") == NULL ||
        results_get(c, o, "tool", "git_dirty", JT_BOOL) == NULL)
        return -1;

    o = results_get(c, doc, "", "run", JT_OBJECT);
    if (o == NULL || results_only_keys(c, o, "run", run_keys) < 0)
        return -1;
    v = results_get(c, o, "run", "utc", JT_STRING);
    if (v == NULL)
        return -1;
    if (!results_utc_ok(json_string_value(v)))
        return results_fail(c, "\"run.utc\" is \"%s\", not an RFC 3339 UTC time",
                            json_string_value(v));
    if (results_get(c, o, "run", "host", JT_STRING) == NULL ||
        results_get(c, o, "run", "command", JT_STRING) == NULL)
        return -1;
    v = results_get(c, o, "run", "argv", JT_ARRAY);
    if (v == NULL)
        return -1;
    for (i = 0; i < json_array_size(v); i++) {
        char path[32];

        snprintf(path, sizeof(path), "run.argv[%zu]", i);
        if (results_want_type(c, json_array_get(v, i), path, JT_STRING) < 0)
            return -1;
    }
    return 0;
}

/* Every real anywhere (params, derived and info included) within RESULTS_REAL_LIMIT, so the
 * document survives results_write(). Depth is bounded by the parser's nesting limit. */
static int results_check_reals(struct results_chk *c, const json_t *j)
{
    const char *k;
    json_t *v;
    size_t i;

    switch (json_typeof(j)) {
    case JSON_REAL:
        if (!(fabs(json_real_value(j)) <= RESULTS_REAL_LIMIT))
            return results_fail(c, "the number %.10g is beyond %g", json_real_value(j),
                                RESULTS_REAL_LIMIT);
        return 0;
    case JSON_OBJECT:
        json_object_foreach ((json_t *)j, k, v) {
            if (results_check_reals(c, v) < 0)
                return -1;
        }
        return 0;
    case JSON_ARRAY:
        json_array_foreach (j, i, v) {
            if (results_check_reals(c, v) < 0)
                return -1;
        }
        return 0;
    default:
        return 0;
    }
}

int results_check(struct error *err, const json_t *doc, const char *where)
{
    static const char *const keys[] = {"schema", "tool", "run", "info", "tests", "skipped", NULL};
    static const char *const skip_keys[] = {"what", "why", NULL};
    struct results_chk c = {.err = err, .where = where ? where : "<document>"};
    struct gpu_info *info;
    const json_t *v, *t;
    json_t *ids;
    size_t i;
    int rv;

    if (!json_is_object(doc))
        return results_fail(&c, "the document must be an object, not %s",
                            results_type_text(results_jtype_of(doc)));
    // The schema first: a document of another version fails for that, not for its keys.
    v = results_get(&c, doc, "", "schema", JT_STRING);
    if (v == NULL)
        return -1;
    if (strcmp(json_string_value(v), RESULTS_SCHEMA_ID) != 0)
        return results_fail(&c, "\"schema\" is \"%s\" but this gpushare reads \"%s\"",
                            json_string_value(v), RESULTS_SCHEMA_ID);
    if (results_only_keys(&c, doc, "", keys) < 0 || results_check_head(&c, doc) < 0)
        return -1;

    v = results_get(&c, doc, "", "info", JT_OBJECT | JT_NULL);
    if (v == NULL)
        return -1;
    if (json_is_object(v)) {
        // About 10 KiB: kept off the stack, which the fuzzer's deep documents also use.
        info = malloc(sizeof(*info));
        if (info == NULL)
            results_oom();
        rv = gpu_info_from_json(err, v, info);
        free(info);
        if (rv < 0)
            return error_wrap(err, "'%s'", c.where);
    }

    v = results_get(&c, doc, "", "tests", JT_ARRAY);
    if (v == NULL)
        return -1;
    ids = results_must(json_object());
    rv = 0;
    json_array_foreach (v, i, t) {
        rv = results_check_test(&c, t, i, ids);
        if (rv < 0)
            break;
    }
    json_decref(ids);
    if (rv < 0)
        return -1;

    v = results_get(&c, doc, "", "skipped", JT_ARRAY);
    if (v == NULL)
        return -1;
    json_array_foreach (v, i, t) {
        snprintf(c.ctx, sizeof(c.ctx), "skipped[%zu]", i);
        if (!json_is_object(t))
            return results_fail(&c, "must be an object, not %s",
                                results_type_text(results_jtype_of(t)));
        if (results_only_keys(&c, t, "", skip_keys) < 0 ||
            results_get_name(&c, t, "", "what") == NULL ||
            results_get(&c, t, "", "why", JT_STRING) == NULL)
            return -1;
    }
    c.ctx[0] = '\0';
    return results_check_reals(&c, doc);
}
