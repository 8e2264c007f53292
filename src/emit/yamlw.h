/*
 * The libyaml writing helpers the YAML emitters share: an output buffer the emitter grows, a
 * printf-style appender for the '#' lines written before the stream, and one wrapper per event.
 * Quoting rules stay with each emitter: yamlw_scalar takes the style and implicit flags as given.
 */
#ifndef GPUSHARE_EMIT_YAMLW_H
#define GPUSHARE_EMIT_YAMLW_H

#include <stdbool.h>
#include <stddef.h>

#include <yaml.h>

#include "core/str.h"

/* libyaml's write handler (yaml_write_handler_t) over a struct strbuf (core/str.h); aborts
 * when out of memory. Text before the stream (comment headers) goes in with strbuf_printf. */
int yamlw_write(void *data, unsigned char *bytes, size_t size);

/* Sets up e to write UTF-8 (unescaped) into b, after head when it is not NULL: libyaml has no
 * comment event, so '#' lines go before the stream. Aborts when libyaml cannot allocate. */
void yamlw_init(yaml_emitter_t *e, struct strbuf *b, const char *head);

/* Why e failed, for an error message. */
const char *yamlw_problem(const yaml_emitter_t *e);

/* Deletes e; the text in b when ok, else NULL with b freed. */
char *yamlw_finish(yaml_emitter_t *e, struct strbuf *b, bool ok);

/* The events: 0, or -1 when the emitter failed (see yamlw_problem). */
int yamlw_emit(yaml_emitter_t *e, yaml_event_t *ev);
/* An untagged scalar: without a tag, at least one implicit flag must be set. */
int yamlw_scalar(yaml_emitter_t *e, const char *v, yaml_scalar_style_t style, bool plain_implicit,
                 bool quoted_implicit);
int yamlw_map_open(yaml_emitter_t *e); /* block style */
int yamlw_map_close(yaml_emitter_t *e);
int yamlw_seq_open(yaml_emitter_t *e, yaml_sequence_style_t style);
int yamlw_seq_close(yaml_emitter_t *e);
int yamlw_stream_start(yaml_emitter_t *e); /* UTF-8 */
int yamlw_stream_end(yaml_emitter_t *e);
int yamlw_doc_start(yaml_emitter_t *e); /* implicit: no "---" */
int yamlw_doc_end(yaml_emitter_t *e);   /* implicit: no "..." */

#endif
