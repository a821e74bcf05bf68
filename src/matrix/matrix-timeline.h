/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <gio/gio.h>
#include <json-glib/json-glib.h>

#include "matrix-client.h"
#include "matrix-timeline-item.h"

G_BEGIN_DECLS

/**
 * MatrixMessageType:
 * @MATRIX_MESSAGE_TEXT: an ordinary message (`m.text`)
 * @MATRIX_MESSAGE_EMOTE: an action, shown after the sender's name (`m.emote`)
 * @MATRIX_MESSAGE_NOTICE: a message from a bot, which other bots do not
 *   answer (`m.notice`)
 *
 * The kinds of text message matrix_timeline_send_message_async() and
 * matrix_timeline_send_reply_async() send. Messages received may be of
 * other kinds (images, files...): matrix_timeline_item_get_msgtype() gives
 * theirs as a string.
 */
typedef enum {
  MATRIX_MESSAGE_TEXT,
  MATRIX_MESSAGE_EMOTE,
  MATRIX_MESSAGE_NOTICE,
} MatrixMessageType;

#define MATRIX_TYPE_MESSAGE_TYPE (matrix_message_type_get_type ())
GType matrix_message_type_get_type (void) G_GNUC_CONST;

/* See matrix-thread.h. */
typedef struct _MatrixThread MatrixThread;

#define MATRIX_TYPE_TIMELINE (matrix_timeline_get_type ())
G_DECLARE_FINAL_TYPE (MatrixTimeline, matrix_timeline, MATRIX, TIMELINE, GObject)

/*
 * A #GListModel of #MatrixTimelineItem, oldest first: a room's timeline
 * events (never the `state` section of a sync), a GAP item where a limited
 * sync or the cache's start left events out, and LOCAL_ECHO items for sends
 * in flight (always at the end until the server's copy replaces them).
 *
 * Properties (read-only, notify): loading (a load_older is running),
 * at-start (the room's first event is in the model: nothing older to load).
 *
 * Obtained from matrix_room_get_timeline(); there is no public constructor.
 */

const char *matrix_timeline_get_room_id       (MatrixTimeline      *self);
gboolean    matrix_timeline_get_loading       (MatrixTimeline      *self);
gboolean    matrix_timeline_get_at_start      (MatrixTimeline      *self);

void        matrix_timeline_load_older_async  (MatrixTimeline      *self,
                                               guint                limit,
                                               GCancellable        *cancellable,
                                               GAsyncReadyCallback  callback,
                                               gpointer             user_data);
gboolean    matrix_timeline_load_older_finish (MatrixTimeline      *self,
                                               GAsyncResult        *result,
                                               GError             **error);

void        matrix_timeline_load_reply_async  (MatrixTimeline      *self,
                                               MatrixTimelineItem  *item,
                                               GCancellable        *cancellable,
                                               GAsyncReadyCallback  callback,
                                               gpointer             user_data);
gboolean    matrix_timeline_load_reply_finish (MatrixTimeline      *self,
                                               GAsyncResult        *result,
                                               GError             **error);

void        matrix_timeline_send_async        (MatrixTimeline      *self,
                                               const char          *event_type,
                                               JsonObject          *content,
                                               GCancellable        *cancellable,
                                               GAsyncReadyCallback  callback,
                                               gpointer             user_data);
char       *matrix_timeline_send_finish       (MatrixTimeline      *self,
                                               GAsyncResult        *result,
                                               GError             **error);
void        matrix_timeline_retry             (MatrixTimeline      *self,
                                               MatrixTimelineItem  *item);
void        matrix_timeline_discard           (MatrixTimeline      *self,
                                               MatrixTimelineItem  *item);

/* Each of these builds the event's content and sends it as
 * matrix_timeline_send_async() does; finish with matrix_timeline_send_finish(). */
void        matrix_timeline_send_message_async  (MatrixTimeline      *self,
                                                 MatrixMessageType    type,
                                                 const char          *body,
                                                 const char          *formatted_body,
                                                 const char * const  *mentions,
                                                 GCancellable        *cancellable,
                                                 GAsyncReadyCallback  callback,
                                                 gpointer             user_data);
void        matrix_timeline_send_reply_async    (MatrixTimeline      *self,
                                                 MatrixEvent         *in_reply_to,
                                                 MatrixMessageType    type,
                                                 const char          *body,
                                                 const char          *formatted_body,
                                                 const char * const  *mentions,
                                                 GCancellable        *cancellable,
                                                 GAsyncReadyCallback  callback,
                                                 gpointer             user_data);
void        matrix_timeline_send_thread_reply_async (MatrixTimeline      *self,
                                                 const char          *root_event_id,
                                                 MatrixMessageType    type,
                                                 const char          *body,
                                                 const char          *formatted_body,
                                                 const char * const  *mentions,
                                                 GCancellable        *cancellable,
                                                 GAsyncReadyCallback  callback,
                                                 gpointer             user_data);
MatrixThread *matrix_timeline_dup_thread        (MatrixTimeline      *self,
                                                 const char          *root_event_id);
void        matrix_timeline_send_edit_async     (MatrixTimeline      *self,
                                                 MatrixEvent         *original,
                                                 const char          *body,
                                                 const char          *formatted_body,
                                                 const char * const  *mentions,
                                                 GCancellable        *cancellable,
                                                 GAsyncReadyCallback  callback,
                                                 gpointer             user_data);
void        matrix_timeline_send_reaction_async (MatrixTimeline      *self,
                                                 const char          *event_id,
                                                 const char          *key,
                                                 GCancellable        *cancellable,
                                                 GAsyncReadyCallback  callback,
                                                 gpointer             user_data);
void        matrix_timeline_redact_async        (MatrixTimeline      *self,
                                                 const char          *event_id,
                                                 const char          *reason,
                                                 GCancellable        *cancellable,
                                                 GAsyncReadyCallback  callback,
                                                 gpointer             user_data);

G_END_DECLS
