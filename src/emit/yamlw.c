/*
 * libyaml writing helpers shared by the YAML emitters (emit/yamlw.h).
 */
#include "emit/yamlw.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int yamlw_write(void *data, unsigned char *bytes, size_t size)
{
    struct yamlw_buf *b = data;

    if (b->len + size + 1 > b->cap) {
        b->cap = (b->len + size + 1) * 2;
        b->p = realloc(b->p, b->cap);
        if (b->p == NULL)
            abort();
    }
    memcpy(b->p + b->len, bytes, size);
    b->len += size;
    b->p[b->len] = '\0';
    return 1;
}

void yamlw_put(struct yamlw_buf *b, const char *fmt, ...)
{
    va_list ap;
    char *line;
    int n;

    va_start(ap, fmt);
    n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0)
        abort();
    line = malloc((size_t)n + 1);
    if (line == NULL)
        abort();
    va_start(ap, fmt);
    vsnprintf(line, (size_t)n + 1, fmt, ap);
    va_end(ap);
    yamlw_write(b, (unsigned char *)line, (size_t)n);
    free(line);
}

void yamlw_init(yaml_emitter_t *e, struct yamlw_buf *b, const char *head)
{
    if (!yaml_emitter_initialize(e))
        abort();
    yaml_emitter_set_output(e, yamlw_write, b);
    yaml_emitter_set_unicode(e, 1);
    if (head != NULL)
        yamlw_write(b, (unsigned char *)head, strlen(head));
}

const char *yamlw_problem(const yaml_emitter_t *e)
{
    return e->problem != NULL ? e->problem : "libyaml emitter error";
}

char *yamlw_finish(yaml_emitter_t *e, struct yamlw_buf *b, bool ok)
{
    yaml_emitter_delete(e);
    if (!ok) {
        free(b->p);
        return NULL;
    }
    return b->p;
}

int yamlw_emit(yaml_emitter_t *e, yaml_event_t *ev)
{
    return yaml_emitter_emit(e, ev) ? 0 : -1;
}

int yamlw_scalar(yaml_emitter_t *e, const char *v, yaml_scalar_style_t style, bool plain_implicit,
                 bool quoted_implicit)
{
    yaml_event_t ev;

    if (!yaml_scalar_event_initialize(&ev, NULL, NULL, (yaml_char_t *)v, (int)strlen(v),
                                      plain_implicit, quoted_implicit, style))
        abort();
    return yamlw_emit(e, &ev);
}

int yamlw_map_open(yaml_emitter_t *e)
{
    yaml_event_t ev;

    yaml_mapping_start_event_initialize(&ev, NULL, NULL, 1, YAML_BLOCK_MAPPING_STYLE);
    return yamlw_emit(e, &ev);
}

int yamlw_map_close(yaml_emitter_t *e)
{
    yaml_event_t ev;

    yaml_mapping_end_event_initialize(&ev);
    return yamlw_emit(e, &ev);
}

int yamlw_seq_open(yaml_emitter_t *e, yaml_sequence_style_t style)
{
    yaml_event_t ev;

    yaml_sequence_start_event_initialize(&ev, NULL, NULL, 1, style);
    return yamlw_emit(e, &ev);
}

int yamlw_seq_close(yaml_emitter_t *e)
{
    yaml_event_t ev;

    yaml_sequence_end_event_initialize(&ev);
    return yamlw_emit(e, &ev);
}

int yamlw_stream_start(yaml_emitter_t *e)
{
    yaml_event_t ev;

    yaml_stream_start_event_initialize(&ev, YAML_UTF8_ENCODING);
    return yamlw_emit(e, &ev);
}

int yamlw_stream_end(yaml_emitter_t *e)
{
    yaml_event_t ev;

    yaml_stream_end_event_initialize(&ev);
    return yamlw_emit(e, &ev);
}

int yamlw_doc_start(yaml_emitter_t *e)
{
    yaml_event_t ev;

    yaml_document_start_event_initialize(&ev, NULL, NULL, NULL, 1);
    return yamlw_emit(e, &ev);
}

int yamlw_doc_end(yaml_emitter_t *e)
{
    yaml_event_t ev;

    yaml_document_end_event_initialize(&ev, 1);
    return yamlw_emit(e, &ev);
}
