/*
 * The machinery every document checker shares (results, fleet, plan): one loader, and the
 * primitives that read a parsed document member by member and fail with the document's name
 * and the member's path in one message. Each document keeps its own rules (its field tables
 * and consistency checks) in its own file; only this is common.
 *
 * Every message has the shape "'<where>': <ctx>: <what>", or "'<where>': <what>" at the top,
 * where <where> is the document's name (its file), <ctx> the part being checked
 * ("tests[3] ('id')", "nodes[2]") and <what> names a member by its dotted path from there
 * ("summary.n", "tool.git_dirty").
 */
#ifndef GPUSHARE_RESULTS_DOCCHECK_H
#define GPUSHARE_RESULTS_DOCCHECK_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

#include "core/error.h"
#include "core/json.h"

/* The largest document any loader reads: a fleet of 4096 nodes with their results documents
 * fits many times over; anything larger is not a document of ours. */
#define DOC_MAX_BYTES (256u << 20)

/* One check of one document: the error it fills, the document's name and where in it. */
struct doc_chk {
    struct error *err;
    const char *where; /* the document's name (its file), first in every message */
    char ctx[160];     /* the part being checked, "tests[3] ('id')"; "" at the top */
};

/* Sets c->ctx, the part of the document the next messages are about; doc_top() clears it. */
void doc_at(struct doc_chk *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void doc_top(struct doc_chk *c);

/* Fails the check with ERR_INVALID and the message above; always returns -1. */
int doc_fail(struct doc_chk *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* "base.key", or key alone when base is "": the name messages give a member. */
void doc_join(char *buf, size_t len, const char *base, const char *key);

/* v (named path) is one of the JSON types in the JT_* mask: "\"path\" must be a number, not a
 * string" otherwise. */
int doc_want_type(struct doc_chk *c, const json_t *v, const char *path, unsigned types);

/* The required member key of obj, of one of types; NULL with "missing \"base.key\"" or the type
 * refused. */
const json_t *doc_get(struct doc_chk *c, const json_t *obj, const char *base, const char *key,
                      unsigned types);

/* An optional member: 0 with *out NULL when absent, 0 with *out set when of one of types, -1
 * otherwise. */
int doc_opt(struct doc_chk *c, const json_t *obj, const char *base, const char *key, unsigned types,
            const json_t **out);

/* A required string that must not be empty (ids, names and units identify things). */
const char *doc_get_name(struct doc_chk *c, const json_t *obj, const char *base, const char *key);

/* The first key of obj that is not in keys (NULL-terminated), or NULL. */
const char *doc_unknown_key(const json_t *obj, const char *const *keys);

/* A closed object: every key one of keys (NULL-terminated); "unknown key \"base.k\"". */
int doc_only_keys(struct doc_chk *c, const json_t *obj, const char *base, const char *const *keys);

/* A required string member that is one of names[0..n): "\"base.key\" must be \"a\", \"b\" or
 * \"c\", not \"x\"". */
int doc_want_enum(struct doc_chk *c, const json_t *obj, const char *base, const char *key,
                  const char *const *names, size_t n);

/* RFC 3339 in UTC as gpushare writes it, "2026-11-24T02:30:00Z" with an optional fraction, and
 * a real date and time of day (no 30 February, no hour 24). */
bool doc_utc_ok(const char *s);

/* A required member that is such a time: "\"base.key\" is \"x\", not an RFC 3339 UTC time". */
int doc_want_utc(struct doc_chk *c, const json_t *obj, const char *base, const char *key);

/* Every real anywhere in j within JS_REAL_LIMIT, so the document survives being written:
 * "the number 1.797693135e+308 is beyond 1e+300". */
int doc_check_reals(struct doc_chk *c, const json_t *j);

/* One member of a closed object, for a document's field table. */
enum doc_field_flags {
    DOC_OPTIONAL = 1u << 0, /* may be absent */
    DOC_NAME = 1u << 1,     /* a string that must not be empty (doc_get_name) */
};

struct doc_field {
    const char *key;
    unsigned types; /* JT_* mask; JT_STRING for DOC_NAME */
    unsigned flags; /* enum doc_field_flags */
};

/* obj is an object with no key outside fields[0..n) and each field present (unless optional)
 * and of its types. Unknown keys are refused first, then the fields in table order. */
int doc_fields(struct doc_chk *c, const json_t *obj, const char *base,
               const struct doc_field *fields, size_t n);

/*
 * The one loader: parses the file at path ("-": standard input, called "<stdin>") or len bytes
 * in memory (name stands for the file) into a new reference, unchecked; the caller runs its
 * document's checker. NULL with err set: ERR_IO when the file cannot be opened or read
 * ("cannot open 'F': No such file or directory", "cannot read 'F': Is a directory"),
 * ERR_INVALID when it is larger than DOC_MAX_BYTES ("'F' is larger than 256 MiB: not WHAT")
 * or is not JSON ("'F' line L column C: <parser text>"; a duplicate key is such an error), or
 * buf is NULL ("'F': no document").
 */
json_t *doc_load(struct error *err, const char *path, const char *what);
json_t *doc_loadb(struct error *err, const char *buf, size_t len, const char *name);

#endif
