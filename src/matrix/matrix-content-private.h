/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <json-glib/json-glib.h>

#include "matrix-event.h"
#include "matrix-timeline.h"

G_BEGIN_DECLS

/* The content of the events the library sends, as the spec (v1.13) defines
 * them. @own_user_id is never listed in a mention. */
JsonObject *_matrix_content_new_message  (MatrixMessageType   type,
                                          const char         *body,
                                          const char         *formatted_body,
                                          const char * const *mentions,
                                          const char         *own_user_id);
JsonObject *_matrix_content_new_reply    (MatrixEvent        *in_reply_to,
                                          MatrixMessageType   type,
                                          const char         *body,
                                          const char         *formatted_body,
                                          const char * const *mentions,
                                          const char         *own_user_id);
JsonObject *_matrix_content_new_thread_reply (const char         *root_id,
                                              const char         *latest_id,
                                              MatrixMessageType   type,
                                              const char         *body,
                                              const char         *formatted_body,
                                              const char * const *mentions,
                                              const char         *own_user_id);
/* @shown is what the original shows now (its newest edit's m.new_content, or
 * its own content): whom it mentions is not mentioned again. */
JsonObject *_matrix_content_new_edit     (MatrixEvent        *original,
                                          JsonObject         *shown,
                                          const char         *body,
                                          const char         *formatted_body,
                                          const char * const *mentions,
                                          const char         *own_user_id);
JsonObject *_matrix_content_new_reaction (const char         *event_id,
                                          const char         *key);

/* What a reply shows of its own text: @body without the quoted lines of a
 * reply fallback, @formatted_body without its <mx-reply>. Newly allocated,
 * or NULL when nothing is to be stripped. */
char       *_matrix_content_strip_reply_fallback      (const char *body);
char       *_matrix_content_strip_html_reply_fallback (const char *formatted_body);

/* Members of an event's content, each checked for its type. */
const char *_matrix_content_get_string   (JsonObject         *content,
                                          const char         *member);
JsonObject *_matrix_content_get_object   (JsonObject         *content,
                                          const char         *member);

G_END_DECLS
