/* SPDX-License-Identifier: LGPL-2.1-or-later */
#define G_LOG_DOMAIN "matrix-store"

#include "matrix-store.h"

/**
 * MatrixStore:
 *
 * Where a client keeps what it knows: the session, the sync token, each
 * room's current state, metadata and newest timeline events. Reads answer
 * from memory and never block; writes are gathered and made durable with
 * the sync token that covers them, by one matrix_store_commit_async() per
 * sync response, so that after a crash a store holds a response and its
 * token, or neither.
 *
 * The library has two: #MatrixMemoryStore (bots and tests) and
 * #MatrixSqliteStore (applications). See #MatrixStoreInterface to write
 * another.
 */
G_DEFINE_INTERFACE (MatrixStore, matrix_store, G_TYPE_OBJECT)

static void
matrix_store_default_init (MatrixStoreInterface *iface)
{
  /**
   * MatrixStore::room-loaded:
   * @self: the store
   * @room_id: the room
   *
   * The rest of a room that was not loaded when the store opened is now in
   * memory: its whole state and cached timeline. Emitted on the thread that
   * asked for it, before matrix_store_load_rooms_async() completes.
   */
  g_signal_new ("room-loaded", MATRIX_TYPE_STORE, G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                G_TYPE_NONE, 1, G_TYPE_STRING);
}

/**
 * matrix_store_get_value:
 * @self: a #MatrixStore
 * @key: a key, such as %MATRIX_STORE_KEY_USER_ID
 *
 * A small named value, such as the user id of the session.
 *
 * Returns: (transfer none) (nullable): the value, or %NULL
 */
const char *
matrix_store_get_value (MatrixStore *self,
                        const char  *key)
{
  g_return_val_if_fail (MATRIX_IS_STORE (self), NULL);
  g_return_val_if_fail (key != NULL, NULL);

  return MATRIX_STORE_GET_IFACE (self)->get_value (self, key);
}

/**
 * matrix_store_set_value:
 * @self: a #MatrixStore
 * @key: a key, such as %MATRIX_STORE_KEY_ACCESS_TOKEN
 * @value: (nullable): the value, or %NULL to remove it
 *
 * The sync token is not set this way: it moves only with
 * matrix_store_commit_async(), together with what it covers.
 */
void
matrix_store_set_value (MatrixStore *self,
                        const char  *key,
                        const char  *value)
{
  g_return_if_fail (MATRIX_IS_STORE (self));
  g_return_if_fail (key != NULL);
  g_return_if_fail (!g_str_equal (key, MATRIX_STORE_KEY_SYNC_TOKEN));

  MATRIX_STORE_GET_IFACE (self)->set_value (self, key, value);
}

/**
 * matrix_store_get_sync_token:
 * @self: a #MatrixStore
 *
 * Where the next sync goes on from.
 *
 * Returns: (transfer none) (nullable): the `next_batch` of the last committed
 *   sync response, or %NULL before the first one
 */
const char *
matrix_store_get_sync_token (MatrixStore *self)
{
  return matrix_store_get_value (self, MATRIX_STORE_KEY_SYNC_TOKEN);
}

/**
 * matrix_store_set_state_event:
 * @self: a #MatrixStore
 * @event: the new current state for its (room, type, state key)
 *
 * Records the current state of the event's room for its type and state key.
 */
void
matrix_store_set_state_event (MatrixStore      *self,
                              MatrixStateEvent *event)
{
  g_return_if_fail (MATRIX_IS_STORE (self));
  g_return_if_fail (MATRIX_IS_STATE_EVENT (event));

  MATRIX_STORE_GET_IFACE (self)->set_state_event (self, event);
}

/**
 * matrix_store_get_state_event:
 * @self: a #MatrixStore
 * @room_id: a room id
 * @event_type: a state event type
 * @state_key: a state key
 *
 * A room's current state for a type and state key.
 *
 * Returns: (transfer full) (nullable): the current state event, or %NULL
 */
MatrixStateEvent *
matrix_store_get_state_event (MatrixStore *self,
                              const char  *room_id,
                              const char  *event_type,
                              const char  *state_key)
{
  g_return_val_if_fail (MATRIX_IS_STORE (self), NULL);
  g_return_val_if_fail (room_id != NULL, NULL);
  g_return_val_if_fail (event_type != NULL, NULL);
  g_return_val_if_fail (state_key != NULL, NULL);

  return MATRIX_STORE_GET_IFACE (self)->get_state_event (self, room_id, event_type, state_key);
}

/**
 * matrix_store_get_state_events:
 * @self: a #MatrixStore
 * @room_id: a room id
 * @event_type: a state event type
 *
 * A room's current state of one type.
 *
 * Returns: (transfer container) (element-type MatrixStateEvent): every current
 *   state event of @event_type in the room, in no particular order
 */
GPtrArray *
matrix_store_get_state_events (MatrixStore *self,
                               const char  *room_id,
                               const char  *event_type)
{
  g_return_val_if_fail (MATRIX_IS_STORE (self), NULL);
  g_return_val_if_fail (room_id != NULL, NULL);
  g_return_val_if_fail (event_type != NULL, NULL);

  return MATRIX_STORE_GET_IFACE (self)->get_state_events (self, room_id, event_type);
}

/**
 * matrix_store_get_room_ids:
 * @self: a #MatrixStore
 *
 * Every room the store knows.
 *
 * Returns: (transfer full): the ids of every room with stored state or timeline
 */
GStrv
matrix_store_get_room_ids (MatrixStore *self)
{
  g_return_val_if_fail (MATRIX_IS_STORE (self), NULL);

  return MATRIX_STORE_GET_IFACE (self)->get_room_ids (self);
}

/**
 * matrix_store_add_timeline_events:
 * @self: a #MatrixStore
 * @room_id: a room id
 * @events: (element-type MatrixEvent): events in server order
 *
 * Caches timeline events of a room, after those it has; an event whose id is
 * cached already is not cached again.
 */
void
matrix_store_add_timeline_events (MatrixStore *self,
                                  const char  *room_id,
                                  GPtrArray   *events)
{
  g_return_if_fail (MATRIX_IS_STORE (self));
  g_return_if_fail (room_id != NULL);
  g_return_if_fail (events != NULL);

  MATRIX_STORE_GET_IFACE (self)->add_timeline_events (self, room_id, events);
}

/**
 * matrix_store_get_timeline_events:
 * @self: a #MatrixStore
 * @room_id: a room id
 *
 * The events the store keeps of a room's timeline.
 *
 * Returns: (transfer container) (element-type MatrixEvent): the cached
 *   timeline, oldest first
 */
GPtrArray *
matrix_store_get_timeline_events (MatrixStore *self,
                                  const char  *room_id)
{
  g_return_val_if_fail (MATRIX_IS_STORE (self), NULL);
  g_return_val_if_fail (room_id != NULL, NULL);

  return MATRIX_STORE_GET_IFACE (self)->get_timeline_events (self, room_id);
}

/**
 * matrix_store_set_room_data:
 * @self: a #MatrixStore
 * @room_id: a room id
 * @data: the room's metadata; the store keeps a reference, do not change it after
 *
 * Replaces a room's metadata.
 */
void
matrix_store_set_room_data (MatrixStore *self,
                            const char  *room_id,
                            JsonObject  *data)
{
  g_return_if_fail (MATRIX_IS_STORE (self));
  g_return_if_fail (room_id != NULL);
  g_return_if_fail (data != NULL);

  MATRIX_STORE_GET_IFACE (self)->set_room_data (self, room_id, data);
}

/**
 * matrix_store_get_room_data:
 * @self: a #MatrixStore
 * @room_id: a room id
 *
 * A room's metadata: the JSON object the types that keep rooms store there
 * (membership, summary, unread counts, gaps).
 *
 * Returns: (transfer full) (nullable): the room's metadata, or %NULL. Do not
 *   change it.
 */
JsonObject *
matrix_store_get_room_data (MatrixStore *self,
                            const char  *room_id)
{
  g_return_val_if_fail (MATRIX_IS_STORE (self), NULL);
  g_return_val_if_fail (room_id != NULL, NULL);

  return MATRIX_STORE_GET_IFACE (self)->get_room_data (self, room_id);
}

/**
 * matrix_store_forget_room:
 * @self: a #MatrixStore
 * @room_id: a room id
 *
 * Removes the room's state, timeline and metadata, with the next commit.
 */
void
matrix_store_forget_room (MatrixStore *self,
                          const char  *room_id)
{
  g_return_if_fail (MATRIX_IS_STORE (self));
  g_return_if_fail (room_id != NULL);

  MATRIX_STORE_GET_IFACE (self)->forget_room (self, room_id);
}

/**
 * matrix_store_commit_async:
 * @self: a #MatrixStore
 * @next_batch: the sync token that covers everything set since the last commit
 * @cancellable: (nullable): a #GCancellable
 * @callback: called when the commit is durable, or failed
 * @user_data: data for @callback
 *
 * Makes everything set since the last commit durable together with
 * @next_batch, which becomes the store's sync token once it is. #MatrixClient
 * commits once per sync response.
 */
void
matrix_store_commit_async (MatrixStore         *self,
                           const char          *next_batch,
                           GCancellable        *cancellable,
                           GAsyncReadyCallback  callback,
                           gpointer             user_data)
{
  g_return_if_fail (MATRIX_IS_STORE (self));
  g_return_if_fail (next_batch != NULL);
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));

  MATRIX_STORE_GET_IFACE (self)->commit_async (self, next_batch, cancellable, callback, user_data);
}

/**
 * matrix_store_commit_finish:
 * @self: a #MatrixStore
 * @result: the #GAsyncResult
 * @error: return location for a #GError
 *
 * Finishes matrix_store_commit_async().
 *
 * Returns: %TRUE once the changes and the sync token are durable
 */
gboolean
matrix_store_commit_finish (MatrixStore   *self,
                            GAsyncResult  *result,
                            GError       **error)
{
  g_return_val_if_fail (MATRIX_IS_STORE (self), FALSE);

  return MATRIX_STORE_GET_IFACE (self)->commit_finish (self, result, error);
}

/**
 * matrix_store_is_room_loaded:
 * @self: a #MatrixStore
 * @room_id: a room id
 *
 * Whether the store has the whole room in memory; see
 * matrix_store_load_rooms_async().
 *
 * Returns: %TRUE when everything the store keeps of the room is in memory
 *   (always, for a room the store does not know); %FALSE while only what a
 *   room list needs is
 */
gboolean
matrix_store_is_room_loaded (MatrixStore *self,
                             const char  *room_id)
{
  MatrixStoreInterface *iface;

  g_return_val_if_fail (MATRIX_IS_STORE (self), TRUE);
  g_return_val_if_fail (room_id != NULL, TRUE);

  iface = MATRIX_STORE_GET_IFACE (self);
  return iface->is_room_loaded == NULL || iface->is_room_loaded (self, room_id);
}

/**
 * matrix_store_set_list_summary:
 * @self: a #MatrixStore
 * @room_id: a room id
 * @summary: what a room list shows of the room (a #MatrixRoom's list
 *   properties), computed from the whole room
 *
 * Keeps @summary with the next commit, so that a later open can list the
 * room without reading its state and timeline. A summary equal to the kept
 * one writes nothing. Stores that load every room at open ignore it.
 */
void
matrix_store_set_list_summary (MatrixStore *self,
                               const char  *room_id,
                               JsonObject  *summary)
{
  MatrixStoreInterface *iface;

  g_return_if_fail (MATRIX_IS_STORE (self));
  g_return_if_fail (room_id != NULL);
  g_return_if_fail (summary != NULL);

  iface = MATRIX_STORE_GET_IFACE (self);
  if (iface->set_list_summary != NULL)
    iface->set_list_summary (self, room_id, summary);
}

/**
 * matrix_store_get_list_summary:
 * @self: a #MatrixStore
 * @room_id: a room id
 *
 * The summary last given to matrix_store_set_list_summary() for a room that
 * is not loaded (see matrix_store_is_room_loaded()): what its room shows in
 * a list until it is. A loaded room has none: it is computed from the room.
 *
 * Returns: (transfer full) (nullable): the summary, or %NULL. Do not change it.
 */
JsonObject *
matrix_store_get_list_summary (MatrixStore *self,
                               const char  *room_id)
{
  MatrixStoreInterface *iface;

  g_return_val_if_fail (MATRIX_IS_STORE (self), NULL);
  g_return_val_if_fail (room_id != NULL, NULL);

  iface = MATRIX_STORE_GET_IFACE (self);
  if (iface->get_list_summary == NULL)
    return NULL;
  return iface->get_list_summary (self, room_id);
}

/**
 * matrix_store_load_rooms_async:
 * @self: a #MatrixStore
 * @room_ids: (array zero-terminated=1): the rooms to load
 * @cancellable: (nullable): a #GCancellable
 * @callback: called once they are in memory
 * @user_data: data for @callback
 *
 * Reads what is not in memory yet of @room_ids, without blocking the calling
 * thread; rooms already loaded are skipped. #MatrixStore::room-loaded is
 * emitted for each room as it arrives. Writes made meanwhile are kept: they
 * are newer than the disk.
 */
void
matrix_store_load_rooms_async (MatrixStore         *self,
                               const char * const  *room_ids,
                               GCancellable        *cancellable,
                               GAsyncReadyCallback  callback,
                               gpointer             user_data)
{
  MatrixStoreInterface *iface;
  g_autoptr(GTask) task = NULL;

  g_return_if_fail (MATRIX_IS_STORE (self));
  g_return_if_fail (room_ids != NULL);
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));

  iface = MATRIX_STORE_GET_IFACE (self);
  if (iface->load_rooms_async != NULL)
    {
      iface->load_rooms_async (self, room_ids, cancellable, callback, user_data);
      return;
    }

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, matrix_store_load_rooms_async);
  g_task_return_boolean (task, TRUE);
}

/**
 * matrix_store_load_rooms_finish:
 * @self: a #MatrixStore
 * @result: the #GAsyncResult
 * @error: return location for a #GError
 *
 * Finishes matrix_store_load_rooms_async().
 *
 * Returns: %TRUE once the rooms are in memory
 */
gboolean
matrix_store_load_rooms_finish (MatrixStore   *self,
                                GAsyncResult  *result,
                                GError       **error)
{
  MatrixStoreInterface *iface;

  g_return_val_if_fail (MATRIX_IS_STORE (self), FALSE);

  iface = MATRIX_STORE_GET_IFACE (self);
  if (iface->load_rooms_finish != NULL)
    return iface->load_rooms_finish (self, result, error);

  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}

/**
 * matrix_store_replace_timeline_event:
 * @self: a #MatrixStore
 * @room_id: a room id
 * @event: the new copy of a cached event (same event id)
 *
 * Replaces the cached timeline event with @event's id by @event, in its
 * place; does nothing if the room's cache does not hold that event. Made
 * durable by the next commit, as every other write.
 */
void
matrix_store_replace_timeline_event (MatrixStore *self,
                                     const char  *room_id,
                                     MatrixEvent *event)
{
  MatrixStoreInterface *iface;

  g_return_if_fail (MATRIX_IS_STORE (self));
  g_return_if_fail (room_id != NULL);
  g_return_if_fail (MATRIX_IS_EVENT (event));

  iface = MATRIX_STORE_GET_IFACE (self);
  if (iface->replace_timeline_event != NULL)
    iface->replace_timeline_event (self, room_id, event);
}
