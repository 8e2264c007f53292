#include "core/yamlr.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#define FILE_SHOWN 60

int yamlr_at(struct error *err, const char *file, size_t line, size_t column, const char *fmt, ...)
{
    char msg[sizeof(err->msg)];
    size_t len = strlen(file);
    bool cut = len > FILE_SHOWN;
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    return error_set(err, ERR_INVALID, "%s%s:%zu:%zu: %s", cut ? "..." : "",
                     cut ? file + len - (FILE_SHOWN - 3) : file, line + 1, column + 1, msg);
}

int yamlr_fail(const struct yamlr *r, const yaml_node_t *n, const char *fmt, ...)
{
    char msg[sizeof(r->err->msg)];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    return yamlr_at(r->err, r->file, n != NULL ? n->start_mark.line : 0,
                    n != NULL ? n->start_mark.column : 0, "%s", msg);
}

/* Line and column (0-based) of a byte offset, for libyaml's reader errors, which give only
 * the offset. */
static void offset_mark(const char *buf, size_t len, size_t offset, size_t *line, size_t *column)
{
    *line = 0;
    *column = 0;
    for (size_t i = 0; i < offset && i < len; i++) {
        if (buf[i] == '\n') {
            (*line)++;
            *column = 0;
        } else {
            (*column)++;
        }
    }
}

static int parser_error(struct error *err, const yaml_parser_t *p, const char *buf, size_t len,
                        const char *file)
{
    const char *problem = p->problem != NULL ? p->problem : "unknown error";
    size_t line = p->problem_mark.line, column = p->problem_mark.column;

    switch (p->error) {
    case YAML_MEMORY_ERROR:
        return yamlr_at(err, file, 0, 0, "out of memory reading the document");
    case YAML_READER_ERROR:
        offset_mark(buf, len, p->problem_offset, &line, &column);
        return yamlr_at(err, file, line, column, "invalid text: %s", problem);
    default:
        if (p->context != NULL)
            return yamlr_at(err, file, line, column, "invalid yaml: %s (%s)", problem, p->context);
        return yamlr_at(err, file, line, column, "invalid yaml: %s", problem);
    }
}

int yamlr_load(struct yamlr *r, struct error *err, const char *buf, size_t len, const char *file)
{
    yaml_parser_t p;
    yaml_document_t extra;
    int rc = -1;

    memset(r, 0, sizeof(*r));
    r->err = err;
    r->file = file;
    if (buf == NULL)
        len = 0;
    if (!yaml_parser_initialize(&p))
        return yamlr_at(err, file, 0, 0, "out of memory reading the document");
    yaml_parser_set_input_string(&p, (const unsigned char *)(buf != NULL ? buf : ""), len);
    if (!yaml_parser_load(&p, &r->doc)) {
        parser_error(err, &p, buf, len, file);
        yaml_parser_delete(&p);
        return -1;
    }
    if (!yaml_parser_load(&p, &extra)) {
        parser_error(err, &p, buf, len, file);
    } else {
        const yaml_node_t *more = yaml_document_get_root_node(&extra);

        rc = more == NULL ? 0
                          : yamlr_at(err, file, more->start_mark.line, more->start_mark.column,
                                     "a second document: expected one");
        yaml_document_delete(&extra);
    }
    if (rc < 0)
        yaml_document_delete(&r->doc);
    yaml_parser_delete(&p);
    return rc;
}

void yamlr_done(struct yamlr *r)
{
    yaml_document_delete(&r->doc);
}

yaml_node_t *yamlr_node(struct yamlr *r, int id)
{
    return yaml_document_get_node(&r->doc, id);
}

yaml_node_t *yamlr_root(struct yamlr *r)
{
    return yaml_document_get_root_node(&r->doc);
}

const char *yamlr_text(const yaml_node_t *n)
{
    return n != NULL && n->type == YAML_SCALAR_NODE ? (const char *)n->data.scalar.value : NULL;
}

bool yamlr_plain(const yaml_node_t *n)
{
    return n != NULL && n->type == YAML_SCALAR_NODE &&
           n->data.scalar.style == YAML_PLAIN_SCALAR_STYLE;
}
