/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "matrix-memory-store"

#include "matrix-memory-store.h"
#include "matrix-store-cache-private.h"

/**
 * MatrixMemoryStore:
 *
 * A #MatrixStore that keeps everything in memory and forgets it on exit: for
 * tests, bots and examples that keep their session elsewhere. A commit only
 * moves the sync token, since there is nothing to make durable.
 */
struct _MatrixMemoryStore
{
  GObject           parent_instance;

  MatrixStoreCache *cache;
};

static void matrix_memory_store_iface_init (MatrixStoreInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (MatrixMemoryStore, matrix_memory_store, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (MATRIX_TYPE_STORE,
                                                      matrix_memory_store_iface_init))

#define CACHE(store) (MATRIX_MEMORY_STORE (store)->cache)

static const char *
memory_get_value (MatrixStore *store,
                  const char  *key)
{
  return g_hash_table_lookup (CACHE (store)->values, key);
}

static void
memory_set_value (MatrixStore *store,
                  const char  *key,
                  const char  *value)
{
  _matrix_store_cache_set_value (CACHE (store), key, value);
}

static void
memory_set_state_event (MatrixStore      *store,
                        MatrixStateEvent *event)
{
  _matrix_store_cache_set_state (CACHE (store), event);
}

static MatrixStateEvent *
memory_get_state_event (MatrixStore *store,
                        const char  *room_id,
                        const char  *event_type,
                        const char  *state_key)
{
  return _matrix_store_cache_get_state (CACHE (store), room_id, event_type, state_key);
}

static GPtrArray *
memory_get_state_events (MatrixStore *store,
                         const char  *room_id,
                         const char  *event_type)
{
  return _matrix_store_cache_get_states (CACHE (store), room_id, event_type);
}

static GStrv
memory_get_room_ids (MatrixStore *store)
{
  return _matrix_store_cache_get_room_ids (CACHE (store));
}

static void
memory_add_timeline_events (MatrixStore *store,
                            const char  *room_id,
                            GPtrArray   *events)
{
  for (guint i = 0; i < events->len; i++)
    _matrix_store_cache_add_event (CACHE (store), room_id, g_ptr_array_index (events, i));
}

static void
memory_replace_timeline_event (MatrixStore *store,
                               const char  *room_id,
                               MatrixEvent *event)
{
  _matrix_store_cache_replace_event (CACHE (store), room_id, event);
}

static GPtrArray *
memory_get_timeline_events (MatrixStore *store,
                            const char  *room_id)
{
  return _matrix_store_cache_get_timeline (CACHE (store), room_id);
}

static void
memory_set_room_data (MatrixStore *store,
                      const char  *room_id,
                      JsonObject  *data)
{
  _matrix_store_cache_set_room_data (CACHE (store), room_id, data);
}

static JsonObject *
memory_get_room_data (MatrixStore *store,
                      const char  *room_id)
{
  return _matrix_store_cache_get_room_data (CACHE (store), room_id);
}

static void
memory_forget_room (MatrixStore *store,
                    const char  *room_id)
{
  _matrix_store_cache_forget_room (CACHE (store), room_id);
}

static void
memory_commit_async (MatrixStore         *store,
                     const char          *next_batch,
                     GCancellable        *cancellable,
                     GAsyncReadyCallback  callback,
                     gpointer             user_data)
{
  MatrixMemoryStore *self = MATRIX_MEMORY_STORE (store);
  g_autoptr(GTask) task = g_task_new (self, cancellable, callback, user_data);

  g_task_set_source_tag (task, memory_commit_async);

  if (g_task_return_error_if_cancelled (task))
    return;

  _matrix_store_cache_set_value (self->cache, MATRIX_STORE_KEY_SYNC_TOKEN, next_batch);
  g_task_return_boolean (task, TRUE);
}

static gboolean
memory_commit_finish (MatrixStore   *store,
                      GAsyncResult  *result,
                      GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, store), FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}

static void
memory_set_pending_send (MatrixStore *store,
                         const char  *room_id,
                         const char  *txn_id,
                         JsonObject  *send)
{
  _matrix_store_cache_set_pending_send (MATRIX_MEMORY_STORE (store)->cache, room_id, txn_id, send);
}

static GPtrArray *
memory_get_pending_sends (MatrixStore *store,
                          const char  *room_id)
{
  return _matrix_store_cache_get_pending_sends (MATRIX_MEMORY_STORE (store)->cache, room_id);
}

static void
matrix_memory_store_iface_init (MatrixStoreInterface *iface)
{
  iface->get_value = memory_get_value;
  iface->set_value = memory_set_value;
  iface->set_state_event = memory_set_state_event;
  iface->get_state_event = memory_get_state_event;
  iface->get_state_events = memory_get_state_events;
  iface->get_room_ids = memory_get_room_ids;
  iface->add_timeline_events = memory_add_timeline_events;
  iface->replace_timeline_event = memory_replace_timeline_event;
  iface->get_timeline_events = memory_get_timeline_events;
  iface->set_room_data = memory_set_room_data;
  iface->get_room_data = memory_get_room_data;
  iface->forget_room = memory_forget_room;
  iface->commit_async = memory_commit_async;
  iface->commit_finish = memory_commit_finish;
  iface->set_pending_send = memory_set_pending_send;
  iface->get_pending_sends = memory_get_pending_sends;
}

static void
matrix_memory_store_finalize (GObject *object)
{
  g_clear_pointer (&MATRIX_MEMORY_STORE (object)->cache, _matrix_store_cache_free);

  G_OBJECT_CLASS (matrix_memory_store_parent_class)->finalize (object);
}

static void
matrix_memory_store_class_init (MatrixMemoryStoreClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = matrix_memory_store_finalize;
}

static void
matrix_memory_store_init (MatrixMemoryStore *self)
{
  self->cache = _matrix_store_cache_new ();
}

/**
 * matrix_memory_store_new:
 *
 * Returns: (transfer full): a new, empty store
 */
MatrixStore *
matrix_memory_store_new (void)
{
  return g_object_new (MATRIX_TYPE_MEMORY_STORE, NULL);
}
