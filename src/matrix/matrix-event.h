/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <glib-object.h>
#include <json-glib/json-glib.h>

G_BEGIN_DECLS

#define MATRIX_TYPE_EVENT (matrix_event_get_type ())
G_DECLARE_DERIVABLE_TYPE (MatrixEvent, matrix_event, MATRIX, EVENT, GObject)

struct _MatrixEventClass
{
  GObjectClass parent_class;
};

#define MATRIX_TYPE_STATE_EVENT (matrix_state_event_get_type ())
G_DECLARE_FINAL_TYPE (MatrixStateEvent, matrix_state_event, MATRIX, STATE_EVENT, MatrixEvent)

MatrixEvent      *matrix_event_new_from_json          (const char   *room_id,
                                                       JsonObject   *object,
                                                       GError      **error);
MatrixStateEvent *matrix_state_event_new_from_json    (const char   *room_id,
                                                       JsonObject   *object,
                                                       GError      **error);

const char       *matrix_event_get_room_id            (MatrixEvent  *self);
const char       *matrix_event_get_event_type         (MatrixEvent  *self);
const char       *matrix_event_get_sender             (MatrixEvent  *self);
const char       *matrix_event_get_event_id           (MatrixEvent  *self);
gint64            matrix_event_get_origin_server_ts   (MatrixEvent  *self);
JsonObject       *matrix_event_get_content            (MatrixEvent  *self);
JsonObject       *matrix_event_get_unsigned           (MatrixEvent  *self);
const char       *matrix_event_get_content_string     (MatrixEvent  *self,
                                                       const char   *member);
const char       *matrix_event_get_prev_content_string (MatrixEvent *self,
                                                       const char   *member);
const char       *matrix_event_get_relation_type      (MatrixEvent  *self);
const char       *matrix_event_get_related_event_id   (MatrixEvent  *self);
const char       *matrix_event_get_annotation_key     (MatrixEvent  *self);
const char       *matrix_event_get_in_reply_to_id     (MatrixEvent  *self);
const char       *matrix_event_get_transaction_id     (MatrixEvent  *self);
const char       *matrix_event_get_redacts            (MatrixEvent  *self);
gboolean          matrix_event_is_redacted            (MatrixEvent  *self);
gboolean          matrix_event_is_state               (MatrixEvent  *self);
gboolean          matrix_event_equal                  (MatrixEvent  *a,
                                                       MatrixEvent  *b);
JsonNode         *matrix_event_to_json                (MatrixEvent  *self);
char             *matrix_event_to_string              (MatrixEvent  *self);

const char       *matrix_state_event_get_state_key    (MatrixStateEvent *self);

G_END_DECLS
