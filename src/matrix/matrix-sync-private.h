/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <json-glib/json-glib.h>

#include "matrix-client.h"
#include "matrix-event.h"

G_BEGIN_DECLS

typedef struct _MatrixSlidingSyncExtras MatrixSlidingSyncExtras;

typedef enum {
  MATRIX_SYNC_ROOM_JOIN,
  MATRIX_SYNC_ROOM_LEAVE,
  MATRIX_SYNC_ROOM_INVITE,
} MatrixSyncRoomKind;

/* One room of a sync response, already validated and turned into events. */
typedef struct {
  char              *room_id;
  MatrixSyncRoomKind kind;
  GPtrArray         *state;       /* MatrixStateEvent; NULL when the room had no "state" */
  GPtrArray         *timeline;    /* MatrixEvent; NULL when the room had no "timeline" */
  gboolean           limited;
  char              *prev_batch;
  JsonObject        *summary;               /* nullable */
  JsonObject        *unread_notifications;  /* nullable */
  GPtrArray         *invite_state;  /* JsonObject, validated stripped state; INVITE only */
  GPtrArray         *ephemeral;     /* JsonObject {type, content}; JOIN only, nullable */
  GPtrArray         *account_data;  /* JsonObject {type, content}; JOIN only, nullable */
  /* What a limited timeline left out, fetched with /messages back to the
   * stored events (matrix-client-gaps.c): oldest first, nullable; with a
   * gap before it when @gap_limited, from @gap_prev_batch. */
  GPtrArray         *gap_events;
  gboolean           gap_limited;
  char              *gap_prev_batch;
} MatrixSyncRoom;

typedef struct {
  char      *next_batch;
  GPtrArray *rooms;     /* MatrixSyncRoom: joined rooms, left ones, then invites, each in body order */
  GPtrArray *dropped;   /* char*: why each invalid event was left out */
  GPtrArray *account_data;  /* JsonObject {type, content}: the user's global ones; nullable */
  /* For the crypto machine, before the rooms: to-device events, device
   * list changes, key counts (see matrix-sync.c); NULL when none. */
  JsonObject *crypto_changes;
  /* What a sliding sync response adds (matrix-sliding-sync.c); NULL for
   * a /v3/sync one. */
  MatrixSlidingSyncExtras *sliding;
} MatrixSyncResponse;

MatrixSyncResponse *_matrix_sync_response_new   (void);
MatrixSyncResponse *_matrix_sync_response_parse (GBytes             *body,
                                                 GError            **error);
void                _matrix_sync_response_free  (MatrixSyncResponse *response);
/* In matrix-sliding-sync.c. */
void                _matrix_sliding_sync_extras_free (MatrixSlidingSyncExtras *extras);

/* Whether @object is a valid stripped state event (an invite's). */
gboolean            _matrix_sync_validate_stripped_event (JsonObject  *object,
                                                          GError     **error);

/* The events of a room's `ephemeral` or `account_data` (@section): each
 * object with a string "type" and an object "content", others left out
 * silently (nothing else of the room depends on them). NULL when @section is
 * not an object holding an "events" array, or holds no valid event. */
GPtrArray          *_matrix_sync_basic_events            (JsonNode    *section);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (MatrixSyncResponse, _matrix_sync_response_free)

/* In matrix-client-gaps.c. */
void                _matrix_client_fill_gaps_async  (MatrixClient        *self,
                                                     MatrixSyncResponse  *response,
                                                     GCancellable        *cancellable,
                                                     GAsyncReadyCallback  callback,
                                                     gpointer             user_data);
gboolean            _matrix_client_fill_gaps_finish (MatrixClient        *self,
                                                     GAsyncResult        *result,
                                                     GError             **error);

G_END_DECLS
