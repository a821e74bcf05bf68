/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "matrix-event.h"
#include "matrix-json-private.h"

G_BEGIN_DECLS

/* matrix_event_to_string()'s text, appended to @out. It only reads the event
 * (no reference of its JSON is taken or dropped), so another thread may call
 * it on an event it holds a reference to. */
void _matrix_event_append_json (MatrixEvent *self,
                                GString     *out);

MatrixEvent *_matrix_event_new_redacted (MatrixEvent *self,
                                        MatrixEvent *redaction);

MatrixEvent *_matrix_event_read (MatrixJsonReader  *reader,
                                 const char        *room_id,
                                 gboolean           state_only,
                                 gsize             *unsigned_bytes,
                                 GError           **error);

MatrixEvent *_matrix_event_new_from_text (const char  *text,
                                          gssize       length,
                                          const char  *room_id,
                                          GError     **error);

G_END_DECLS
