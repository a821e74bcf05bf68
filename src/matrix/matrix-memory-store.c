/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "matrix-memory-store"

#include "matrix-memory-store.h"

/**
 * MatrixMemoryStore:
 *
 * A #MatrixStore that keeps everything in memory and forgets it on exit: for
 * tests, bots and examples that keep their session elsewhere. A commit only
 * moves the sync token, since there is nothing to make durable.
 */
struct _MatrixMemoryStore
{
  GObject     parent_instance;

  GHashTable *values;     /* key -> value */
  GHashTable *state;      /* room id -> type -> state key -> MatrixStateEvent */
  GHashTable *timelines;  /* room id -> GPtrArray of MatrixEvent */
  GHashTable *event_ids;  /* room id -> set of event ids in the timeline */
  GHashTable *room_data;  /* room id -> JsonObject */
};

static void matrix_memory_store_iface_init (MatrixStoreInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (MatrixMemoryStore, matrix_memory_store, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (MATRIX_TYPE_STORE,
                                                      matrix_memory_store_iface_init))

static GHashTable *
new_string_table (GDestroyNotify value_destroy)
{
  return g_hash_table_new_full (g_str_hash, g_str_equal, g_free, value_destroy);
}

static const char *
memory_get_value (MatrixStore *store,
                  const char  *key)
{
  return g_hash_table_lookup (MATRIX_MEMORY_STORE (store)->values, key);
}

static void
memory_set_value (MatrixStore *store,
                  const char  *key,
                  const char  *value)
{
  MatrixMemoryStore *self = MATRIX_MEMORY_STORE (store);

  if (value != NULL)
    g_hash_table_insert (self->values, g_strdup (key), g_strdup (value));
  else
    g_hash_table_remove (self->values, key);
}

static void
memory_set_state_event (MatrixStore      *store,
                        MatrixStateEvent *event)
{
  MatrixMemoryStore *self = MATRIX_MEMORY_STORE (store);
  const char *room_id = matrix_event_get_room_id (MATRIX_EVENT (event));
  const char *event_type = matrix_event_get_event_type (MATRIX_EVENT (event));
  GHashTable *types, *keys;

  types = g_hash_table_lookup (self->state, room_id);
  if (types == NULL)
    {
      types = new_string_table ((GDestroyNotify) g_hash_table_unref);
      g_hash_table_insert (self->state, g_strdup (room_id), types);
    }

  keys = g_hash_table_lookup (types, event_type);
  if (keys == NULL)
    {
      keys = new_string_table (g_object_unref);
      g_hash_table_insert (types, g_strdup (event_type), keys);
    }

  g_hash_table_insert (keys, g_strdup (matrix_state_event_get_state_key (event)),
                       g_object_ref (event));
}

static GHashTable *
lookup_keys (MatrixMemoryStore *self,
             const char        *room_id,
             const char        *event_type)
{
  GHashTable *types = g_hash_table_lookup (self->state, room_id);

  return types != NULL ? g_hash_table_lookup (types, event_type) : NULL;
}

static MatrixStateEvent *
memory_get_state_event (MatrixStore *store,
                        const char  *room_id,
                        const char  *event_type,
                        const char  *state_key)
{
  GHashTable *keys = lookup_keys (MATRIX_MEMORY_STORE (store), room_id, event_type);
  MatrixStateEvent *event = keys != NULL ? g_hash_table_lookup (keys, state_key) : NULL;

  return event != NULL ? g_object_ref (event) : NULL;
}

static GPtrArray *
memory_get_state_events (MatrixStore *store,
                         const char  *room_id,
                         const char  *event_type)
{
  GHashTable *keys = lookup_keys (MATRIX_MEMORY_STORE (store), room_id, event_type);
  GPtrArray *events = g_ptr_array_new_with_free_func (g_object_unref);
  GHashTableIter iter;
  gpointer value;

  if (keys == NULL)
    return events;

  g_hash_table_iter_init (&iter, keys);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    g_ptr_array_add (events, g_object_ref (value));

  return events;
}

static GStrv
memory_get_room_ids (MatrixStore *store)
{
  MatrixMemoryStore *self = MATRIX_MEMORY_STORE (store);
  g_autoptr(GStrvBuilder) builder = g_strv_builder_new ();
  g_autoptr(GHashTable) seen = g_hash_table_new (g_str_hash, g_str_equal);
  GHashTable *tables[] = { self->state, self->timelines, self->room_data };

  for (guint i = 0; i < G_N_ELEMENTS (tables); i++)
    {
      GHashTableIter iter;
      gpointer key;

      g_hash_table_iter_init (&iter, tables[i]);
      while (g_hash_table_iter_next (&iter, &key, NULL))
        if (g_hash_table_add (seen, key))
          g_strv_builder_add (builder, key);
    }

  return g_strv_builder_end (builder);
}

static void
memory_add_timeline_events (MatrixStore *store,
                            const char  *room_id,
                            GPtrArray   *events)
{
  MatrixMemoryStore *self = MATRIX_MEMORY_STORE (store);
  GPtrArray *timeline = g_hash_table_lookup (self->timelines, room_id);
  GHashTable *ids = g_hash_table_lookup (self->event_ids, room_id);

  if (timeline == NULL)
    {
      timeline = g_ptr_array_new_with_free_func (g_object_unref);
      g_hash_table_insert (self->timelines, g_strdup (room_id), timeline);
      ids = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
      g_hash_table_insert (self->event_ids, g_strdup (room_id), ids);
    }

  for (guint i = 0; i < events->len; i++)
    {
      MatrixEvent *event = g_ptr_array_index (events, i);

      if (g_hash_table_add (ids, g_strdup (matrix_event_get_event_id (event))))
        g_ptr_array_add (timeline, g_object_ref (event));
    }
}

static GPtrArray *
memory_get_timeline_events (MatrixStore *store,
                            const char  *room_id)
{
  GPtrArray *timeline = g_hash_table_lookup (MATRIX_MEMORY_STORE (store)->timelines, room_id);
  GPtrArray *copy = g_ptr_array_new_with_free_func (g_object_unref);

  for (guint i = 0; timeline != NULL && i < timeline->len; i++)
    g_ptr_array_add (copy, g_object_ref (g_ptr_array_index (timeline, i)));

  return copy;
}

static void
memory_set_room_data (MatrixStore *store,
                      const char  *room_id,
                      JsonObject  *data)
{
  g_hash_table_insert (MATRIX_MEMORY_STORE (store)->room_data, g_strdup (room_id),
                       json_object_ref (data));
}

static JsonObject *
memory_get_room_data (MatrixStore *store,
                      const char  *room_id)
{
  JsonObject *data = g_hash_table_lookup (MATRIX_MEMORY_STORE (store)->room_data, room_id);

  return data != NULL ? json_object_ref (data) : NULL;
}

static void
memory_forget_room (MatrixStore *store,
                    const char  *room_id)
{
  MatrixMemoryStore *self = MATRIX_MEMORY_STORE (store);

  g_hash_table_remove (self->state, room_id);
  g_hash_table_remove (self->timelines, room_id);
  g_hash_table_remove (self->event_ids, room_id);
  g_hash_table_remove (self->room_data, room_id);
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

  g_hash_table_insert (self->values, g_strdup (MATRIX_STORE_KEY_SYNC_TOKEN), g_strdup (next_batch));
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
matrix_memory_store_iface_init (MatrixStoreInterface *iface)
{
  iface->get_value = memory_get_value;
  iface->set_value = memory_set_value;
  iface->set_state_event = memory_set_state_event;
  iface->get_state_event = memory_get_state_event;
  iface->get_state_events = memory_get_state_events;
  iface->get_room_ids = memory_get_room_ids;
  iface->add_timeline_events = memory_add_timeline_events;
  iface->get_timeline_events = memory_get_timeline_events;
  iface->set_room_data = memory_set_room_data;
  iface->get_room_data = memory_get_room_data;
  iface->forget_room = memory_forget_room;
  iface->commit_async = memory_commit_async;
  iface->commit_finish = memory_commit_finish;
}

static void
matrix_memory_store_finalize (GObject *object)
{
  MatrixMemoryStore *self = MATRIX_MEMORY_STORE (object);

  g_clear_pointer (&self->values, g_hash_table_unref);
  g_clear_pointer (&self->state, g_hash_table_unref);
  g_clear_pointer (&self->timelines, g_hash_table_unref);
  g_clear_pointer (&self->event_ids, g_hash_table_unref);
  g_clear_pointer (&self->room_data, g_hash_table_unref);

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
  self->values = new_string_table (g_free);
  self->state = new_string_table ((GDestroyNotify) g_hash_table_unref);
  self->timelines = new_string_table ((GDestroyNotify) g_ptr_array_unref);
  self->event_ids = new_string_table ((GDestroyNotify) g_hash_table_unref);
  self->room_data = new_string_table ((GDestroyNotify) json_object_unref);
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
