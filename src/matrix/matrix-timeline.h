/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <gio/gio.h>
#include <json-glib/json-glib.h>

#include "matrix-client.h"
#include "matrix-timeline-item.h"

G_BEGIN_DECLS

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

G_END_DECLS
