/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <gio/gio.h>

#include "matrix-event.h"

G_BEGIN_DECLS

/**
 * MATRIX_STORE_KEY_ACCESS_TOKEN:
 *
 * The key of the session's access token, for matrix_store_get_value() and
 * matrix_store_set_value(). %NULL when logged out.
 */
#define MATRIX_STORE_KEY_ACCESS_TOKEN "access_token"
/**
 * MATRIX_STORE_KEY_USER_ID:
 *
 * The key of the session's user id, such as `@alice:example.org`.
 */
#define MATRIX_STORE_KEY_USER_ID      "user_id"
/**
 * MATRIX_STORE_KEY_DEVICE_ID:
 *
 * The key of the session's device id.
 */
#define MATRIX_STORE_KEY_DEVICE_ID    "device_id"
/**
 * MATRIX_STORE_KEY_HOMESERVER:
 *
 * The key of the session's homeserver URL.
 */
#define MATRIX_STORE_KEY_HOMESERVER   "homeserver"
/**
 * MATRIX_STORE_KEY_SYNC_TOKEN:
 *
 * The key of the sync token (read it with matrix_store_get_sync_token()).
 * It is never set with matrix_store_set_value(): it moves only with
 * matrix_store_commit_async().
 */
#define MATRIX_STORE_KEY_SYNC_TOKEN   "sync_token"

#define MATRIX_TYPE_STORE (matrix_store_get_type ())
G_DECLARE_INTERFACE (MatrixStore, matrix_store, MATRIX, STORE, GObject)

/**
 * MatrixStoreInterface:
 * @get_value: returns a small named value (session data, the sync token)
 * @set_value: sets or (with %NULL) removes a named value; never the sync token
 * @set_state_event: records the current state for the event's (room, type, state key)
 * @get_state_event: the current state for (room, type, state key), or %NULL
 * @get_state_events: all current state of one type in a room
 * @get_room_ids: every room the store knows state for
 * @add_timeline_events: caches timeline events of a room; an event id already
 *   stored is not stored twice
 * @get_timeline_events: the cached timeline of a room, oldest first
 * @set_room_data: replaces a room's metadata (membership, summary, unread
 *   counts, the token of the gap before its cached timeline...): a JSON object
 *   whose members belong to the types that keep rooms
 * @get_room_data: a room's metadata, or %NULL
 * @forget_room: removes everything about a room
 * @commit_async: makes everything set since the last commit durable together
 *   with @next_batch, which becomes the sync token only then
 * @commit_finish: finishes @commit_async
 * @is_room_loaded: whether everything the store keeps of a room is in memory
 *   (%NULL: always)
 * @load_rooms_async: reads the rest of rooms not loaded yet into memory, off
 *   the calling thread (%NULL: there is never anything to load)
 * @load_rooms_finish: finishes @load_rooms_async
 * @replace_timeline_event: puts @event in place of the cached timeline event
 *   with the same id, if there is one (a redacted copy, say)
 * @set_list_summary: keeps what a room list shows of a room, as its room
 *   computed it from everything the store holds (%NULL: not kept)
 * @get_list_summary: the summary kept for a room that is not loaded yet
 *   (%NULL: never any)
 *
 * The virtual functions of a #MatrixStore. All are required but
 * @is_room_loaded, @load_rooms_async, @load_rooms_finish,
 * @replace_timeline_event, @set_list_summary and @get_list_summary, whose
 * %NULL means what is said above.
 *
 * A store may open with only part of a room in memory (see
 * matrix_store_is_room_loaded()): what a room list shows (room data, the
 * state that names a room, our own and the heroes' membership, the newest
 * events). Reads of such a room answer from that part; the rest comes with
 * matrix_store_load_rooms_async(), and #MatrixStore::room-loaded says when
 * it is there. What was written since the store opened always wins over
 * what is read later from disk.
 */
struct _MatrixStoreInterface
{
  GTypeInterface parent_iface;

  const char       *(*get_value)           (MatrixStore          *self,
                                            const char           *key);
  void              (*set_value)           (MatrixStore          *self,
                                            const char           *key,
                                            const char           *value);
  void              (*set_state_event)     (MatrixStore          *self,
                                            MatrixStateEvent     *event);
  MatrixStateEvent *(*get_state_event)     (MatrixStore          *self,
                                            const char           *room_id,
                                            const char           *event_type,
                                            const char           *state_key);
  GPtrArray        *(*get_state_events)    (MatrixStore          *self,
                                            const char           *room_id,
                                            const char           *event_type);
  GStrv             (*get_room_ids)        (MatrixStore          *self);
  void              (*add_timeline_events) (MatrixStore          *self,
                                            const char           *room_id,
                                            GPtrArray            *events);
  GPtrArray        *(*get_timeline_events) (MatrixStore          *self,
                                            const char           *room_id);
  void              (*set_room_data)       (MatrixStore          *self,
                                            const char           *room_id,
                                            JsonObject           *data);
  JsonObject       *(*get_room_data)       (MatrixStore          *self,
                                            const char           *room_id);
  void              (*forget_room)         (MatrixStore          *self,
                                            const char           *room_id);
  void              (*commit_async)        (MatrixStore          *self,
                                            const char           *next_batch,
                                            GCancellable         *cancellable,
                                            GAsyncReadyCallback   callback,
                                            gpointer              user_data);
  gboolean          (*commit_finish)       (MatrixStore          *self,
                                            GAsyncResult         *result,
                                            GError              **error);
  gboolean          (*is_room_loaded)      (MatrixStore          *self,
                                            const char           *room_id);
  void              (*load_rooms_async)    (MatrixStore          *self,
                                            const char * const   *room_ids,
                                            GCancellable         *cancellable,
                                            GAsyncReadyCallback   callback,
                                            gpointer              user_data);
  gboolean          (*load_rooms_finish)   (MatrixStore          *self,
                                            GAsyncResult         *result,
                                            GError              **error);
  void              (*replace_timeline_event) (MatrixStore       *self,
                                               const char        *room_id,
                                               MatrixEvent       *event);
  void              (*set_list_summary)    (MatrixStore          *self,
                                            const char           *room_id,
                                            JsonObject           *summary);
  JsonObject       *(*get_list_summary)    (MatrixStore          *self,
                                            const char           *room_id);
};

const char       *matrix_store_get_value           (MatrixStore          *self,
                                                    const char           *key);
void              matrix_store_set_value           (MatrixStore          *self,
                                                    const char           *key,
                                                    const char           *value);
const char       *matrix_store_get_sync_token      (MatrixStore          *self);
void              matrix_store_set_state_event     (MatrixStore          *self,
                                                    MatrixStateEvent     *event);
MatrixStateEvent *matrix_store_get_state_event     (MatrixStore          *self,
                                                    const char           *room_id,
                                                    const char           *event_type,
                                                    const char           *state_key);
GPtrArray        *matrix_store_get_state_events    (MatrixStore          *self,
                                                    const char           *room_id,
                                                    const char           *event_type);
GStrv             matrix_store_get_room_ids        (MatrixStore          *self);
void              matrix_store_add_timeline_events (MatrixStore          *self,
                                                    const char           *room_id,
                                                    GPtrArray            *events);
GPtrArray        *matrix_store_get_timeline_events (MatrixStore          *self,
                                                    const char           *room_id);
void              matrix_store_set_room_data       (MatrixStore          *self,
                                                    const char           *room_id,
                                                    JsonObject           *data);
JsonObject       *matrix_store_get_room_data       (MatrixStore          *self,
                                                    const char           *room_id);
void              matrix_store_forget_room         (MatrixStore          *self,
                                                    const char           *room_id);
void              matrix_store_commit_async        (MatrixStore          *self,
                                                    const char           *next_batch,
                                                    GCancellable         *cancellable,
                                                    GAsyncReadyCallback   callback,
                                                    gpointer              user_data);
gboolean          matrix_store_commit_finish       (MatrixStore          *self,
                                                    GAsyncResult         *result,
                                                    GError              **error);
gboolean          matrix_store_is_room_loaded      (MatrixStore          *self,
                                                    const char           *room_id);
void              matrix_store_load_rooms_async    (MatrixStore          *self,
                                                    const char * const   *room_ids,
                                                    GCancellable         *cancellable,
                                                    GAsyncReadyCallback   callback,
                                                    gpointer              user_data);
gboolean          matrix_store_load_rooms_finish   (MatrixStore          *self,
                                                    GAsyncResult         *result,
                                                    GError              **error);
void              matrix_store_replace_timeline_event (MatrixStore       *self,
                                                       const char        *room_id,
                                                       MatrixEvent       *event);
void              matrix_store_set_list_summary    (MatrixStore          *self,
                                                    const char           *room_id,
                                                    JsonObject           *summary);
JsonObject       *matrix_store_get_list_summary    (MatrixStore          *self,
                                                    const char           *room_id);

G_END_DECLS
