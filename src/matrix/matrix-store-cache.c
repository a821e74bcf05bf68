/* SPDX-License-Identifier: LGPL-2.1-or-later */
#define G_LOG_DOMAIN "matrix-store-cache"

#include "matrix-store-cache-private.h"

static GHashTable *
new_string_table (GDestroyNotify value_destroy)
{
  return g_hash_table_new_full (g_str_hash, g_str_equal, g_free, value_destroy);
}

MatrixStoreCache *
_matrix_store_cache_new (void)
{
  MatrixStoreCache *cache = g_new0 (MatrixStoreCache, 1);

  cache->values = new_string_table (g_free);
  cache->state = new_string_table ((GDestroyNotify) g_hash_table_unref);
  cache->timelines = new_string_table ((GDestroyNotify) g_ptr_array_unref);
  cache->event_ids = new_string_table ((GDestroyNotify) g_hash_table_unref);
  cache->room_data = new_string_table ((GDestroyNotify) json_object_unref);
  return cache;
}

void
_matrix_store_cache_free (MatrixStoreCache *cache)
{
  g_hash_table_unref (cache->values);
  g_hash_table_unref (cache->state);
  g_hash_table_unref (cache->timelines);
  g_hash_table_unref (cache->event_ids);
  g_hash_table_unref (cache->room_data);
  g_free (cache);
}

void
_matrix_store_cache_clear (MatrixStoreCache *cache)
{
  g_hash_table_remove_all (cache->values);
  g_hash_table_remove_all (cache->state);
  g_hash_table_remove_all (cache->timelines);
  g_hash_table_remove_all (cache->event_ids);
  g_hash_table_remove_all (cache->room_data);
}

/* Returns whether the value changed. A NULL value removes the key. */
gboolean
_matrix_store_cache_set_value (MatrixStoreCache *cache,
                               const char       *key,
                               const char       *value)
{
  if (g_strcmp0 (g_hash_table_lookup (cache->values, key), value) == 0)
    return FALSE;

  if (value != NULL)
    g_hash_table_insert (cache->values, g_strdup (key), g_strdup (value));
  else
    g_hash_table_remove (cache->values, key);

  return TRUE;
}

void
_matrix_store_cache_set_state (MatrixStoreCache *cache,
                               MatrixStateEvent *event)
{
  const char *room_id = matrix_event_get_room_id (MATRIX_EVENT (event));
  const char *event_type = matrix_event_get_event_type (MATRIX_EVENT (event));
  GHashTable *types, *keys;

  types = g_hash_table_lookup (cache->state, room_id);
  if (types == NULL)
    {
      types = new_string_table ((GDestroyNotify) g_hash_table_unref);
      g_hash_table_insert (cache->state, g_strdup (room_id), types);
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
lookup_keys (MatrixStoreCache *cache,
             const char       *room_id,
             const char       *event_type)
{
  GHashTable *types = g_hash_table_lookup (cache->state, room_id);

  return types != NULL ? g_hash_table_lookup (types, event_type) : NULL;
}

MatrixStateEvent *
_matrix_store_cache_get_state (MatrixStoreCache *cache,
                               const char       *room_id,
                               const char       *event_type,
                               const char       *state_key)
{
  GHashTable *keys = lookup_keys (cache, room_id, event_type);
  MatrixStateEvent *event = keys != NULL ? g_hash_table_lookup (keys, state_key) : NULL;

  return event != NULL ? g_object_ref (event) : NULL;
}

GPtrArray *
_matrix_store_cache_get_states (MatrixStoreCache *cache,
                                const char       *room_id,
                                const char       *event_type)
{
  GHashTable *keys = lookup_keys (cache, room_id, event_type);
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

GStrv
_matrix_store_cache_get_room_ids (MatrixStoreCache *cache)
{
  g_autoptr(GStrvBuilder) builder = g_strv_builder_new ();
  g_autoptr(GHashTable) seen = g_hash_table_new (g_str_hash, g_str_equal);
  GHashTable *tables[] = { cache->state, cache->timelines, cache->room_data };

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

/* Appends @event to the room's timeline unless its id is there already, as
 * the spec asks of a client. Returns whether it was added. */
gboolean
_matrix_store_cache_add_event (MatrixStoreCache *cache,
                               const char       *room_id,
                               MatrixEvent      *event)
{
  GPtrArray *timeline = g_hash_table_lookup (cache->timelines, room_id);
  GHashTable *ids = g_hash_table_lookup (cache->event_ids, room_id);

  if (timeline == NULL)
    {
      timeline = g_ptr_array_new_with_free_func (g_object_unref);
      g_hash_table_insert (cache->timelines, g_strdup (room_id), timeline);
      ids = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
      g_hash_table_insert (cache->event_ids, g_strdup (room_id), ids);
    }

  if (!g_hash_table_add (ids, g_strdup (matrix_event_get_event_id (event))))
    return FALSE;

  g_ptr_array_add (timeline, g_object_ref (event));
  return TRUE;
}

/* Puts @event in place of the cached event with its id. Returns whether
 * there was one. */
gboolean
_matrix_store_cache_replace_event (MatrixStoreCache *cache,
                                   const char       *room_id,
                                   MatrixEvent      *event)
{
  GPtrArray *timeline = g_hash_table_lookup (cache->timelines, room_id);
  const char *event_id = matrix_event_get_event_id (event);

  for (guint i = timeline != NULL ? timeline->len : 0; i > 0; i--)
    {
      MatrixEvent *old = g_ptr_array_index (timeline, i - 1);

      if (g_str_equal (matrix_event_get_event_id (old), event_id))
        {
          g_ptr_array_index (timeline, i - 1) = g_object_ref (event);
          g_object_unref (old);
          return TRUE;
        }
    }
  return FALSE;
}

/* Keeps the newest @limit events of the room's timeline. */
void
_matrix_store_cache_trim_timeline (MatrixStoreCache *cache,
                                   const char       *room_id,
                                   guint             limit)
{
  GPtrArray *timeline = g_hash_table_lookup (cache->timelines, room_id);
  GHashTable *ids = g_hash_table_lookup (cache->event_ids, room_id);
  guint excess;

  if (timeline == NULL || timeline->len <= limit)
    return;

  excess = timeline->len - limit;
  for (guint i = 0; i < excess; i++)
    g_hash_table_remove (ids, matrix_event_get_event_id (g_ptr_array_index (timeline, i)));
  g_ptr_array_remove_range (timeline, 0, excess);
}

GPtrArray *
_matrix_store_cache_get_timeline (MatrixStoreCache *cache,
                                  const char       *room_id)
{
  GPtrArray *timeline = g_hash_table_lookup (cache->timelines, room_id);
  GPtrArray *copy = g_ptr_array_new_full (timeline != NULL ? timeline->len : 0, g_object_unref);

  for (guint i = 0; timeline != NULL && i < timeline->len; i++)
    g_ptr_array_add (copy, g_object_ref (g_ptr_array_index (timeline, i)));

  return copy;
}

void
_matrix_store_cache_set_room_data (MatrixStoreCache *cache,
                                   const char       *room_id,
                                   JsonObject       *data)
{
  g_hash_table_insert (cache->room_data, g_strdup (room_id), json_object_ref (data));
}

JsonObject *
_matrix_store_cache_get_room_data (MatrixStoreCache *cache,
                                   const char       *room_id)
{
  JsonObject *data = g_hash_table_lookup (cache->room_data, room_id);

  return data != NULL ? json_object_ref (data) : NULL;
}

void
_matrix_store_cache_forget_room (MatrixStoreCache *cache,
                                 const char       *room_id)
{
  g_hash_table_remove (cache->state, room_id);
  g_hash_table_remove (cache->timelines, room_id);
  g_hash_table_remove (cache->event_ids, room_id);
  g_hash_table_remove (cache->room_data, room_id);
}

/* Sets @event unless the cache has state for its (room, type, state key)
 * already. Returns whether it was set. */
gboolean
_matrix_store_cache_merge_state (MatrixStoreCache *cache,
                                 MatrixStateEvent *event)
{
  GHashTable *keys = lookup_keys (cache, matrix_event_get_room_id (MATRIX_EVENT (event)),
                                  matrix_event_get_event_type (MATRIX_EVENT (event)));

  if (keys != NULL && g_hash_table_contains (keys, matrix_state_event_get_state_key (event)))
    return FALSE;

  _matrix_store_cache_set_state (cache, event);
  return TRUE;
}

/* Puts @older (oldest first), a room's timeline as read from disk, before
 * the events the cache holds, leaving out those it has: everything the cache
 * got since the disk was read is newer. */
void
_matrix_store_cache_merge_older (MatrixStoreCache *cache,
                                 const char       *room_id,
                                 GPtrArray        *older)
{
  GPtrArray *timeline = g_hash_table_lookup (cache->timelines, room_id);
  GHashTable *ids = g_hash_table_lookup (cache->event_ids, room_id);
  g_autoptr(GPtrArray) merged = NULL;

  if (timeline == NULL)
    {
      for (guint i = 0; i < older->len; i++)
        _matrix_store_cache_add_event (cache, room_id, g_ptr_array_index (older, i));
      return;
    }

  merged = g_ptr_array_new_full (older->len + timeline->len, g_object_unref);
  for (guint i = 0; i < older->len; i++)
    {
      MatrixEvent *event = g_ptr_array_index (older, i);

      if (g_hash_table_add (ids, g_strdup (matrix_event_get_event_id (event))))
        g_ptr_array_add (merged, g_object_ref (event));
    }
  for (guint i = 0; i < timeline->len; i++)
    g_ptr_array_add (merged, g_object_ref (g_ptr_array_index (timeline, i)));

  g_hash_table_insert (cache->timelines, g_strdup (room_id), g_steal_pointer (&merged));
}
