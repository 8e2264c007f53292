/*
 * libyaml writing helpers shared by the YAML emitters (emit/yamlw.h).
 */
#include "emit/yamlw.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/xalloc.h"

int yamlw_write(void *data, unsigned char *bytes, size_t size)
{
    strbuf_add(data, (const char *)bytes, size);
    return 1;
}

void yamlw_init(yaml_emitter_t *e, struct strbuf *b, const char *head)
{
    if (!yaml_emitter_initialize(e))
        xalloc_die("a YAML emitter");
    yaml_emitter_set_output(e, yamlw_write, b);
    yaml_emitter_set_unicode(e, 1);
    if (head != NULL)
        yamlw_write(b, (unsigned char *)head, strlen(head));
}

const char *yamlw_problem(const yaml_emitter_t *e)
{
    return e->problem != NULL ? e->problem : "libyaml emitter error";
}

char *yamlw_finish(yaml_emitter_t *e, struct strbuf *b, bool ok)
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
        xalloc_die("a YAML event");
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
