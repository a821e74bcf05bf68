/* SPDX-License-Identifier: LGPL-2.1-or-later */
#define G_LOG_DOMAIN "matrix-memory-store"

#include <errno.h>
#include <glib/gstdio.h>

#include "matrix-memory-store.h"
#include "matrix-store-cache-private.h"

/**
 * MatrixMemoryStore:
 *
 * A #MatrixStore that keeps rooms, state and timelines in memory only: for
 * tests, and for bots, which need no history of their own across restarts.
 *
 * Made with matrix_memory_store_new_for_file(), it keeps the session in a
 * file: the homeserver, user id, device id, access token and sync token
 * (every named value, see matrix_store_get_value()), as a JSON object, in a
 * file only the user may read. Each commit writes the file with the new
 * sync token before it completes, so a bot that restarts carries on from
 * the last sync it handled. matrix_memory_store_save_async() writes it at
 * other times, such as after a login.
 *
 * Made with matrix_memory_store_new(), it keeps nothing, and a commit only
 * moves the sync token.
 */
struct _MatrixMemoryStore
{
  GObject           parent_instance;

  MatrixStoreCache *cache;
  GFile            *session_file;   /* or NULL */
  GQueue            writes;         /* GTask*: saves and commits, written in order */
  gboolean          writing;
};

static void write_next (MatrixMemoryStore *self);

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

/* --- the session file ---------------------------------------------------- */

/* What a queued write is for: a commit's token moves only once the file
 * holds it. */
typedef struct {
  gboolean  commit;
  char     *next_batch;
} Write;

static void
write_free (Write *write)
{
  g_free (write->next_batch);
  g_free (write);
}

static GBytes *
session_to_json (MatrixMemoryStore *self,
                 Write             *write)
{
  g_autoptr(JsonObject) object = json_object_new ();
  g_autoptr(JsonNode) root = NULL;
  g_autoptr(JsonGenerator) generator = json_generator_new ();
  g_autoptr(GList) keys = g_hash_table_get_keys (self->cache->values);
  char *text;
  gsize length;

  keys = g_list_sort (keys, (GCompareFunc) g_strcmp0);
  for (GList *l = keys; l != NULL; l = l->next)
    json_object_set_string_member (object, l->data,
                                   g_hash_table_lookup (self->cache->values, l->data));
  if (write->commit && write->next_batch != NULL)
    json_object_set_string_member (object, MATRIX_STORE_KEY_SYNC_TOKEN, write->next_batch);
  else if (write->commit)
    json_object_remove_member (object, MATRIX_STORE_KEY_SYNC_TOKEN);

  root = json_node_init_object (json_node_alloc (), object);
  json_generator_set_root (generator, root);
  json_generator_set_pretty (generator, TRUE);
  text = json_generator_to_data (generator, &length);
  return g_bytes_new_take (text, length);
}

static void
on_written (GObject      *source,
            GAsyncResult *result,
            gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  MatrixMemoryStore *self = g_task_get_source_object (task);
  Write *write = g_task_get_task_data (task);
  GError *error = NULL;

  self->writing = FALSE;
  if (!g_file_replace_contents_finish (G_FILE (source), result, NULL, &error))
    g_task_return_error (task, error);
  else
    {
      if (write->commit)
        _matrix_store_cache_set_value (self->cache, MATRIX_STORE_KEY_SYNC_TOKEN, write->next_batch);
      g_task_return_boolean (task, TRUE);
    }
  write_next (self);
}

static void
write_next (MatrixMemoryStore *self)
{
  g_autoptr(GBytes) bytes = NULL;
  GTask *task;

  if (self->writing || (task = g_queue_pop_head (&self->writes)) == NULL)
    return;

  if (g_task_return_error_if_cancelled (task))
    {
      g_object_unref (task);
      write_next (self);
      return;
    }

  /* What the file gets is what the store holds when its turn comes. */
  self->writing = TRUE;
  bytes = session_to_json (self, g_task_get_task_data (task));
  /* G_FILE_CREATE_PRIVATE: the file holds the access token. */
  g_file_replace_contents_bytes_async (self->session_file, bytes, NULL, FALSE,
                                       G_FILE_CREATE_PRIVATE | G_FILE_CREATE_REPLACE_DESTINATION,
                                       g_task_get_cancellable (task), on_written, task);
}

static void
queue_write (MatrixMemoryStore *self,
             GTask             *task,
             gboolean           commit,
             const char        *next_batch)
{
  Write *write = g_new0 (Write, 1);

  write->commit = commit;
  write->next_batch = g_strdup (next_batch);
  g_task_set_task_data (task, write, (GDestroyNotify) write_free);
  g_queue_push_tail (&self->writes, task);
  write_next (self);
}

static gboolean
load_session_file (MatrixMemoryStore  *self,
                   const char         *path,
                   GError            **error)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GError) local_error = NULL;
  g_autoptr(GList) members = NULL;
  JsonObject *object;
  JsonNode *root;

  if (!json_parser_load_from_mapped_file (parser, path, &local_error))
    {
      /* No file yet: a session not saved so far. */
      if (g_error_matches (local_error, G_FILE_ERROR, G_FILE_ERROR_NOENT))
        return TRUE;
      g_propagate_error (error, g_steal_pointer (&local_error));
      return FALSE;
    }

  root = json_parser_get_root (parser);
  if (root == NULL || !JSON_NODE_HOLDS_OBJECT (root))
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                   "%s does not hold a session (a JSON object)", path);
      return FALSE;
    }

  object = json_node_get_object (root);
  members = json_object_get_members (object);
  for (GList *l = members; l != NULL; l = l->next)
    {
      JsonNode *node = json_object_get_member (object, l->data);

      /* Only strings are named values; anything else is not ours. */
      if (JSON_NODE_HOLDS_VALUE (node) && json_node_get_value_type (node) == G_TYPE_STRING)
        _matrix_store_cache_set_value (self->cache, l->data, json_node_get_string (node));
    }

  return TRUE;
}

/* --- MatrixStore ---------------------------------------------------------- */

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

  if (self->session_file != NULL)
    {
      queue_write (self, g_steal_pointer (&task), TRUE, next_batch);
      return;
    }

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
}

static void
matrix_memory_store_finalize (GObject *object)
{
  MatrixMemoryStore *self = MATRIX_MEMORY_STORE (object);

  /* Every queued write holds a reference: none is left here. */
  g_assert (g_queue_is_empty (&self->writes));
  g_clear_object (&self->session_file);
  g_clear_pointer (&self->cache, _matrix_store_cache_free);

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
  g_queue_init (&self->writes);
}

/**
 * matrix_memory_store_new:
 *
 * A store that keeps everything in memory only, and nothing across restarts.
 *
 * Returns: (transfer full): a new, empty store
 */
MatrixStore *
matrix_memory_store_new (void)
{
  return g_object_new (MATRIX_TYPE_MEMORY_STORE, NULL);
}

/**
 * matrix_memory_store_new_for_file:
 * @path: (type filename): the session file, such as
 *   `$XDG_CONFIG_HOME/mybot/session.json`; it and its folder are created
 *   when first written
 * @error: return location for a #GError
 *
 * A store that keeps its session in @path, read now: the named values
 * (homeserver, user id, device id, access token, sync token...) as the
 * string members of a JSON object. A missing file is an empty session.
 * The file is written, with mode 0600, by every commit and by
 * matrix_memory_store_save_async().
 *
 * The file is small and read at once: call this before the main loop runs,
 * as a program starts.
 *
 * Returns: (transfer full): the store, or %NULL when @path holds something
 *   else than a session
 */
MatrixStore *
matrix_memory_store_new_for_file (const char  *path,
                                  GError     **error)
{
  g_autoptr(MatrixMemoryStore) self = NULL;
  g_autofree char *dir = NULL;

  g_return_val_if_fail (path != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  self = g_object_new (MATRIX_TYPE_MEMORY_STORE, NULL);
  if (!load_session_file (self, path, error))
    return NULL;

  dir = g_path_get_dirname (path);
  if (g_mkdir_with_parents (dir, 0700) != 0)
    {
      int saved_errno = errno;

      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved_errno),
                   "Could not create %s: %s", dir, g_strerror (saved_errno));
      return NULL;
    }

  self->session_file = g_file_new_for_path (path);
  return MATRIX_STORE (g_steal_pointer (&self));
}

/**
 * matrix_memory_store_get_file:
 * @self: a #MatrixMemoryStore
 *
 * Where the store keeps its session, if anywhere.
 *
 * Returns: (transfer none) (nullable): the session file of a store made
 *   with matrix_memory_store_new_for_file(), or %NULL
 */
GFile *
matrix_memory_store_get_file (MatrixMemoryStore *self)
{
  g_return_val_if_fail (MATRIX_IS_MEMORY_STORE (self), NULL);

  return self->session_file;
}

/**
 * matrix_memory_store_save_async:
 * @self: a #MatrixMemoryStore made with matrix_memory_store_new_for_file()
 * @cancellable: (nullable): a #GCancellable
 * @callback: called once the file holds the session
 * @user_data: data for @callback
 *
 * Writes the session file now, after any write already queued: for what
 * changed outside a commit, such as the access token after
 * matrix_client_login_async().
 */
void
matrix_memory_store_save_async (MatrixMemoryStore   *self,
                                GCancellable        *cancellable,
                                GAsyncReadyCallback  callback,
                                gpointer             user_data)
{
  GTask *task;

  g_return_if_fail (MATRIX_IS_MEMORY_STORE (self));
  g_return_if_fail (self->session_file != NULL);

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, matrix_memory_store_save_async);
  queue_write (self, task, FALSE, NULL);
}

/**
 * matrix_memory_store_save_finish:
 * @self: a #MatrixMemoryStore
 * @result: the #GAsyncResult
 * @error: return location for a #GError
 *
 * Finishes matrix_memory_store_save_async().
 *
 * Returns: %TRUE once the file holds the session
 */
gboolean
matrix_memory_store_save_finish (MatrixMemoryStore  *self,
                                 GAsyncResult       *result,
                                 GError            **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}
