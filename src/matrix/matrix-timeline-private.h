/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "matrix-relations-private.h"
#include "matrix-timeline.h"

G_BEGIN_DECLS

MatrixTimelineItem *_matrix_timeline_item_new_event      (MatrixEvent        *event);
MatrixTimelineItem *_matrix_timeline_item_new_gap        (const char         *token);
MatrixTimelineItem *_matrix_timeline_item_new_local_echo (const char         *event_type,
                                                          JsonObject         *content,
                                                          const char         *sender,
                                                          const char         *txn_id,
                                                          gint64              local_ts);
void                _matrix_timeline_item_set_send_state (MatrixTimelineItem *self,
                                                          MatrixSendState     state,
                                                          const GError       *error);
void                _matrix_timeline_item_set_sent_event_id (MatrixTimelineItem *self,
                                                             const char         *event_id);
const char         *_matrix_timeline_item_get_sent_event_id (MatrixTimelineItem *self);
/* The event an echo that is not a row changes (reacts to, edits, redacts). */
void                _matrix_timeline_item_set_target_id  (MatrixTimelineItem *self,
                                                          const char         *event_id);
const char         *_matrix_timeline_item_get_target_id  (MatrixTimelineItem *self);
/* Relations: the set an EVENT item shows (made when first needed, for
 * @own_user_id, an interned string), or the one it takes over. */
void                _matrix_timeline_item_set_own_user_id (MatrixTimelineItem *self,
                                                           const char         *own_user_id);
MatrixRelationSet  *_matrix_timeline_item_get_relations  (MatrixTimelineItem *self);
MatrixRelationSet  *_matrix_timeline_item_ensure_relations (MatrixTimelineItem *self);
void                _matrix_timeline_item_take_relations (MatrixTimelineItem *self,
                                                          MatrixRelationSet  *relations);
void                _matrix_timeline_item_relations_changed (MatrixTimelineItem    *self,
                                                             MatrixRelationsChanged changed);
void                _matrix_timeline_item_set_redacting  (MatrixTimelineItem *self,
                                                          gboolean            redacting);
gboolean            _matrix_timeline_item_needs_decryption     (MatrixTimelineItem *self);
void                _matrix_timeline_item_set_decrypted        (MatrixTimelineItem *self,
                                                                MatrixEvent        *plain);
void                _matrix_timeline_item_set_decryption_error (MatrixTimelineItem *self,
                                                                const GError       *error);
void                _matrix_timeline_item_set_reply      (MatrixTimelineItem *self,
                                                          MatrixReplyState    state,
                                                          MatrixTimelineItem *in_reply_to);

/* Built by the MatrixRoom that owns it. */
MatrixTimeline     *_matrix_timeline_new                 (MatrixClient       *client,
                                                          const char         *room_id);
/* Restores a cached timeline: @events (oldest first) with the gaps that
 * _matrix_timeline_dup_gaps() described. */
void                _matrix_timeline_restore_sends       (MatrixTimeline     *self);
void                _matrix_timeline_retry_failed        (MatrixTimeline     *self);
void                _matrix_timeline_restore             (MatrixTimeline     *self,
                                                          GPtrArray          *events,
                                                          JsonArray          *gaps);
/* The gaps syncs left in the cached timeline, as JSON for the store:
 * [{"token": prev_batch, "before": event id or null}, ...]. */
JsonArray          *_matrix_timeline_dup_gaps            (MatrixTimeline     *self);
/* Appends the timeline section of a sync: with @limited, a gap holding
 * @prev_batch goes before the events. Echoes the events carry the
 * transaction id of are replaced in place. */
void                _matrix_timeline_append_sync         (MatrixTimeline     *self,
                                                          GPtrArray          *events,
                                                          gboolean            limited,
                                                          const char         *prev_batch);
/* The event with @event_id among the EVENT items, or NULL (borrowed). */
MatrixEvent        *_matrix_timeline_lookup_event        (MatrixTimeline     *self,
                                                          const char         *event_id);
/* Called with the redactions (MatrixEvent) a page of older events held,
 * once the page is in the timeline: the room applies them, as it does a
 * sync's, to what it has. */
typedef void (*MatrixTimelineRedactionsFunc) (GPtrArray *redactions,
                                              gpointer   user_data);
void                _matrix_timeline_set_redactions_func (MatrixTimeline     *self,
                                                          MatrixTimelineRedactionsFunc func,
                                                          gpointer            user_data);
/* Puts @event in place of the EVENT item with its id (a redacted copy). */
gboolean            _matrix_timeline_replace_event       (MatrixTimeline     *self,
                                                          MatrixEvent        *event);

/* For MatrixThread (matrix-thread.c). */
MatrixTimelineItem *_matrix_timeline_get_row            (MatrixTimeline *self,
                                                         const char     *event_id);
MatrixEvent        *_matrix_timeline_get_row_event      (MatrixTimeline *self,
                                                         const char     *event_id);
GPtrArray          *_matrix_timeline_dup_thread_replies (MatrixTimeline *self,
                                                         const char     *root_event_id);
MatrixClient       *_matrix_timeline_get_client         (MatrixTimeline *self);

G_END_DECLS
