/*
 * Reading one YAML document with libyaml's document API: what every YAML reader here shares
 * (the plan and demands files, the device-plugin and mig-parted configs read back). Errors are
 * ERR_INVALID "FILE:LINE:COLUMN: what", lines and columns from 1, as compilers write them.
 */
#ifndef GPUSHARE_CORE_YAMLR_H
#define GPUSHARE_CORE_YAMLR_H

#include <stdbool.h>
#include <stddef.h>

#include <yaml.h>

#include "core/error.h"

struct yamlr {
    struct error *err;
    const char *file; /* what messages call the input */
    yaml_document_t doc;
};

/*
 * Loads the one document of buf (len bytes; NULL is empty) into r->doc. Empty input is a
 * document without a root node. -1 with ERR_INVALID for text that is not YAML, and for a
 * second document, which would otherwise be silently ignored. On 0 the caller ends with
 * yamlr_done().
 */
int yamlr_load(struct yamlr *r, struct error *err, const char *buf, size_t len, const char *file);
void yamlr_done(struct yamlr *r);

/* ERR_INVALID "FILE:LINE:COLUMN: what" at 0-based line and column; returns -1. A file name
 * longer than 60 bytes keeps its end ("...name.yaml"). */
int yamlr_at(struct error *err, const char *file, size_t line, size_t column, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));
/* yamlr_at at node n (NULL: the start of the document). */
int yamlr_fail(const struct yamlr *r, const yaml_node_t *n, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

yaml_node_t *yamlr_node(struct yamlr *r, int id);
yaml_node_t *yamlr_root(struct yamlr *r);
/* A scalar's text; NULL for a mapping, a sequence or no node. */
const char *yamlr_text(const yaml_node_t *n);
/* A scalar written without quotes, which YAML may read as a number, a bool or null. */
bool yamlr_plain(const yaml_node_t *n);

#endif
