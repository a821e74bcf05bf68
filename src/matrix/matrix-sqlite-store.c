/* SPDX-License-Identifier: LGPL-2.1-or-later */
#define G_LOG_DOMAIN "matrix-sqlite-store"

#include <errno.h>
#include <string.h>
#include <glib/gstdio.h>
#include <sqlite3.h>

#include "matrix-event-private.h"
#include "matrix-json-private.h"
#include "matrix-room-private.h"
#include "matrix-secret-private.h"
#include "matrix-sqlite-store-private.h"
#include "matrix-store-cache-private.h"

/**
 * MatrixSqliteStore:
 *
 * A #MatrixStore kept in an SQLite database (WAL mode) in a directory of its
 * own, with the access token in the Secret Service.
 *
 * Everything is loaded into memory when the store opens, so reads never wait
 * for the disk. Writes change the memory at once and are gathered until
 * matrix_store_commit_async(), which writes them and the new sync token in one
 * transaction on the store's writer thread: after a crash the database holds
 * either a response and its token, or neither.
 *
 * The access token never reaches the database: it goes to the Secret Service
 * or, where none answers, to a file only the user can read.
 */


/**
 * matrix_sqlite_store_error_quark:
 *
 * The error domain of #MatrixSqliteStore, %MATRIX_SQLITE_STORE_ERROR.
 *
 * Returns: the domain's quark
 */
G_DEFINE_QUARK (matrix-sqlite-store-error-quark, matrix_sqlite_store_error)

static void matrix_sqlite_store_iface_init (MatrixStoreInterface *iface);
static void matrix_sqlite_store_initable_iface_init (GAsyncInitableIface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (MatrixSqliteStore, matrix_sqlite_store, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (MATRIX_TYPE_STORE,
                                                      matrix_sqlite_store_iface_init)
                               G_IMPLEMENT_INTERFACE (G_TYPE_ASYNC_INITABLE,
                                                      matrix_sqlite_store_initable_iface_init))

enum {
  PROP_0,
  PROP_DIRECTORY,
  PROP_TIMELINE_LIMIT,
  PROP_CORRUPT_FILE,
  PROP_USER_ID,
  PROP_HOMESERVER,
  PROP_LAZY,
  PROP_TOKEN_LATER,
  PROP_TOKEN_PENDING,
  PROP_DATABASE_NAME,
  PROP_SECRET_SCHEMA,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static void
op_free (Op *op)
{
  g_free (op->room_id);
  g_free (op->text);
  g_free (op->txn_id);
  g_clear_object (&op->event);
  for (guint i = 0; i < N_SUMMARY_STRINGS; i++)
    g_free (op->summary[i]);
  g_free (op);
}

static Op *
op_new (OpKind       kind,
        const char  *room_id,
        char        *text,
        MatrixEvent *event)
{
  Op *op = g_new0 (Op, 1);

  op->kind = kind;
  op->room_id = g_strdup (room_id);
  op->text = text;
  op->event = event != NULL ? g_object_ref (event) : NULL;
  return op;
}

void
_matrix_sqlite_job_free (Job *job)
{
  g_clear_object (&job->task);
  g_clear_pointer (&job->ops, g_ptr_array_unref);
  g_free (job->text);
  g_free (job);
}

void
_matrix_sqlite_job_push (Writer     *writer,
          JobKind     kind,
          GTask      *task,
          GPtrArray  *ops,
          const char *text)
{
  Job *job = g_new0 (Job, 1);

  job->kind = kind;
  job->task = task;
  job->ops = ops;
  job->text = g_strdup (text);
  g_async_queue_push (writer->jobs, job);
}

void
_matrix_sqlite_secret_op_free (SecretOp *op)
{
  g_free (op->user_id);
  g_free (op->homeserver);
  g_free (op->token);
  g_free (op);
}

/* --- MatrixStore ---------------------------------------------------------- */

static const char *
sqlite_get_value (MatrixStore *store,
                  const char  *key)
{
  return g_hash_table_lookup (MATRIX_SQLITE_STORE (store)->cache->values, key);
}

static void
sqlite_set_value (MatrixStore *store,
                  const char  *key,
                  const char  *value)
{
  MatrixSqliteStore *self = MATRIX_SQLITE_STORE (store);

  if (!_matrix_store_cache_set_value (self->cache, key, value))
    return;

  if (g_str_equal (key, MATRIX_STORE_KEY_ACCESS_TOKEN))
    {
      /* Newer than whatever the keyring still has to say. */
      if (self->token_pending)
        self->token_set_meanwhile = TRUE;
      _matrix_sqlite_store_queue_secret (self, value);
    }
  else
    {
      /* Session values (user id, device, homeserver) are not covered by the
       * sync token: they are written at once, in a transaction of their own,
       * so a session survives a quit or crash before the first sync, and the
       * keyring entry, found by user id, can be found again. */
      GPtrArray *ops = g_ptr_array_new_with_free_func ((GDestroyNotify) op_free);

      g_ptr_array_add (ops, op_new (OP_SET_VALUE, key, g_strdup (value), NULL));
      _matrix_sqlite_job_push (self->writer, JOB_COMMIT, NULL, ops, NULL);
    }
}

static void
sqlite_set_state_event (MatrixStore      *store,
                        MatrixStateEvent *event)
{
  MatrixSqliteStore *self = MATRIX_SQLITE_STORE (store);

  _matrix_sqlite_store_cache_set_state (self, event);
  g_ptr_array_add (self->pending,
                   op_new (OP_SET_STATE, matrix_event_get_room_id (MATRIX_EVENT (event)), NULL,
                           MATRIX_EVENT (event)));
}


static MatrixStateEvent *
sqlite_get_state_event (MatrixStore *store,
                        const char  *room_id,
                        const char  *event_type,
                        const char  *state_key)
{
  return _matrix_store_cache_get_state (MATRIX_SQLITE_STORE (store)->cache, room_id, event_type,
                                        state_key);
}

static GPtrArray *
sqlite_get_state_events (MatrixStore *store,
                         const char  *room_id,
                         const char  *event_type)
{
  return _matrix_store_cache_get_states (MATRIX_SQLITE_STORE (store)->cache, room_id, event_type);
}

static GStrv
sqlite_get_room_ids (MatrixStore *store)
{
  MatrixSqliteStore *self = MATRIX_SQLITE_STORE (store);
  g_auto(GStrv) cached = _matrix_store_cache_get_room_ids (self->cache);
  g_autoptr(GStrvBuilder) builder = NULL;
  g_autoptr(GHashTable) known = NULL;
  GHashTableIter iter;
  gpointer room_id;

  if (g_hash_table_size (self->partial_rooms) == 0)
    return g_steal_pointer (&cached);

  /* A partial room has room data, as a rule; should it not, it is still known. */
  builder = g_strv_builder_new ();
  known = g_hash_table_new (g_str_hash, g_str_equal);
  g_strv_builder_addv (builder, (const char **) cached);
  for (guint i = 0; cached[i] != NULL; i++)
    g_hash_table_add (known, cached[i]);
  g_hash_table_iter_init (&iter, self->partial_rooms);
  while (g_hash_table_iter_next (&iter, &room_id, NULL))
    if (!g_hash_table_contains (known, room_id))
      g_strv_builder_add (builder, room_id);
  return g_strv_builder_end (builder);
}

static void
sqlite_add_timeline_events (MatrixStore *store,
                            const char  *room_id,
                            GPtrArray   *events)
{
  MatrixSqliteStore *self = MATRIX_SQLITE_STORE (store);

  for (guint i = 0; i < events->len; i++)
    {
      MatrixEvent *event = g_ptr_array_index (events, i);

      if (_matrix_sqlite_store_cache_add_event (self, room_id, event))
        g_ptr_array_add (self->pending, op_new (OP_ADD_EVENT, room_id, NULL, event));
    }

  _matrix_sqlite_store_cache_trim_timeline (self, room_id);
}

/* The row is updated whether or not the room is in memory (a lazy store may
 * not have read its timeline yet). */
static void
sqlite_replace_timeline_event (MatrixStore *store,
                               const char  *room_id,
                               MatrixEvent *event)
{
  MatrixSqliteStore *self = MATRIX_SQLITE_STORE (store);

  _matrix_store_cache_replace_event (self->cache, room_id, event);
  g_ptr_array_add (self->pending, op_new (OP_REPLACE_EVENT, room_id, NULL, event));
}

static GPtrArray *
sqlite_get_timeline_events (MatrixStore *store,
                            const char  *room_id)
{
  return _matrix_store_cache_get_timeline (MATRIX_SQLITE_STORE (store)->cache, room_id);
}

static void
sqlite_set_room_data (MatrixStore *store,
                      const char  *room_id,
                      JsonObject  *data)
{
  MatrixSqliteStore *self = MATRIX_SQLITE_STORE (store);
  g_autoptr(JsonNode) node = json_node_init_object (json_node_alloc (), data);

  _matrix_store_cache_set_room_data (self->cache, room_id, data);
  g_ptr_array_add (self->pending,
                   op_new (OP_SET_ROOM_DATA, room_id, _matrix_json_to_string (node), NULL));
}

static JsonObject *
sqlite_get_room_data (MatrixStore *store,
                      const char  *room_id)
{
  return _matrix_store_cache_get_room_data (MATRIX_SQLITE_STORE (store)->cache, room_id);
}

static void
sqlite_forget_room (MatrixStore *store,
                    const char  *room_id)
{
  MatrixSqliteStore *self = MATRIX_SQLITE_STORE (store);

  _matrix_store_cache_forget_room (self->cache, room_id);
  /* Its rows go with the next commit: a load in flight must not bring them back. */
  g_hash_table_remove (self->partial_rooms, room_id);
  g_hash_table_remove (self->summaries, room_id);
  g_ptr_array_add (self->pending, op_new (OP_FORGET_ROOM, room_id, NULL, NULL));
}

static void
sqlite_set_pending_send (MatrixStore *store,
                         const char  *room_id,
                         const char  *txn_id,
                         JsonObject  *send)
{
  MatrixSqliteStore *self = MATRIX_SQLITE_STORE (store);
  g_autoptr(JsonNode) node = NULL;
  GPtrArray *ops;
  Op *op;

  if (!_matrix_store_cache_set_pending_send (self->cache, room_id, txn_id, send))
    return;

  /* Not covered by a sync token, and made while the sync may be stuck:
   * written at once, in a transaction of its own, as session values are. */
  ops = g_ptr_array_new_with_free_func ((GDestroyNotify) op_free);
  if (send != NULL)
    node = json_node_init_object (json_node_alloc (), send);
  op = op_new (OP_SET_PENDING_SEND, room_id, node != NULL ? _matrix_json_to_string (node) : NULL, NULL);
  op->txn_id = g_strdup (txn_id);
  g_ptr_array_add (ops, op);
  _matrix_sqlite_job_push (self->writer, JOB_COMMIT, NULL, ops, NULL);
}

static GPtrArray *
sqlite_get_pending_sends (MatrixStore *store,
                          const char  *room_id)
{
  return _matrix_store_cache_get_pending_sends (MATRIX_SQLITE_STORE (store)->cache, room_id);
}

static void
sqlite_set_list_summary (MatrixStore *store,
                         const char  *room_id,
                         JsonObject  *summary)
{
  MatrixSqliteStore *self = MATRIX_SQLITE_STORE (store);
  JsonObject *kept = g_hash_table_lookup (self->summaries, room_id);
  const char *display_name = NULL;
  gint64 last_activity = 0;
  Op *op;

  if (kept != NULL && json_object_equal (kept, summary))
    return;
  if (!_matrix_json_get_string (summary, NULL, "display_name", TRUE, &display_name, NULL) ||
      !_matrix_json_get_int (summary, NULL, "last_activity", FALSE, &last_activity, NULL))
    {
      g_critical ("A list summary of %s without a display name or last activity", room_id);
      return;
    }

  op = op_new (OP_SET_SUMMARY, room_id, NULL, NULL);
  op->last_activity = last_activity;
  for (guint i = 0; i < N_SUMMARY_STRINGS; i++)
    {
      const char *value = NULL;

      _matrix_json_get_string (summary, NULL, _matrix_sqlite_summary_strings[i], FALSE, &value, NULL);
      op->summary[i] = g_strdup (value);
    }
  g_ptr_array_add (self->pending, op);
  g_hash_table_insert (self->summaries, g_strdup (room_id), json_object_ref (summary));
}

static JsonObject *
sqlite_get_list_summary (MatrixStore *store,
                         const char  *room_id)
{
  MatrixSqliteStore *self = MATRIX_SQLITE_STORE (store);
  JsonObject *summary;

  if (!g_hash_table_contains (self->partial_rooms, room_id))
    return NULL;
  summary = g_hash_table_lookup (self->summaries, room_id);
  return summary != NULL ? json_object_ref (summary) : NULL;
}

static gboolean
sqlite_is_room_loaded (MatrixStore *store,
                       const char  *room_id)
{
  return !g_hash_table_contains (MATRIX_SQLITE_STORE (store)->partial_rooms, room_id);
}

static void
on_rooms_read (GObject      *source,
               GAsyncResult *result,
               gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  MatrixSqliteStore *self = g_task_get_source_object (task);
  g_autoptr(GPtrArray) rows = NULL;
  GError *error = NULL;

  rows = g_task_propagate_pointer (G_TASK (result), &error);
  if (rows == NULL)
    {
      /* A room that cannot be read (a damaged page, which a lazy open does
       * not look for after a clean shutdown) must not hold the sync back
       * forever: it goes on with what is in memory, and this caller hears
       * why. */
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        {
          GPtrArray *room_ids = g_task_get_task_data (G_TASK (result));

          g_warning ("Could not read rooms from the store, going on without: %s",
                     error->message);
          for (guint i = 0; i < room_ids->len; i++)
            if (g_hash_table_remove (self->partial_rooms, g_ptr_array_index (room_ids, i)))
              g_signal_emit_by_name (self, "room-loaded", g_ptr_array_index (room_ids, i));
        }
      g_task_return_error (task, error);
      return;
    }

  for (guint i = 0; i < rows->len; i++)
    {
      RoomRows *room = g_ptr_array_index (rows, i);

      /* Loaded meanwhile by another request, or forgotten. */
      if (!g_hash_table_contains (self->partial_rooms, room->room_id))
        continue;
      _matrix_sqlite_store_merge_room (self, room);
      g_hash_table_remove (self->partial_rooms, room->room_id);
      g_signal_emit_by_name (self, "room-loaded", room->room_id);
    }

  g_task_return_boolean (task, TRUE);
}

static void
sqlite_load_rooms_async (MatrixStore         *store,
                         const char * const  *room_ids,
                         GCancellable        *cancellable,
                         GAsyncReadyCallback  callback,
                         gpointer             user_data)
{
  MatrixSqliteStore *self = MATRIX_SQLITE_STORE (store);
  g_autoptr(GTask) task = g_task_new (self, cancellable, callback, user_data);
  GPtrArray *wanted = g_ptr_array_new_with_free_func (g_free);
  GTask *read_task;

  g_task_set_source_tag (task, sqlite_load_rooms_async);

  for (guint i = 0; room_ids[i] != NULL; i++)
    if (g_hash_table_contains (self->partial_rooms, room_ids[i]) &&
        !g_ptr_array_find_with_equal_func (wanted, room_ids[i], g_str_equal, NULL))
      g_ptr_array_add (wanted, g_strdup (room_ids[i]));

  if (wanted->len == 0 || g_task_return_error_if_cancelled (task))
    {
      g_ptr_array_unref (wanted);
      if (!g_task_had_error (task))
        g_task_return_boolean (task, TRUE);
      return;
    }

  /* Like the writer's other tasks, no source object: see init_async. */
  read_task = g_task_new (NULL, cancellable, on_rooms_read, g_steal_pointer (&task));
  g_task_set_source_tag (read_task, sqlite_load_rooms_async);
  g_task_set_task_data (read_task, g_ptr_array_ref (wanted), (GDestroyNotify) g_ptr_array_unref);
  _matrix_sqlite_job_push (self->writer, JOB_LOAD, read_task, wanted, NULL);
}

static gboolean
sqlite_load_rooms_finish (MatrixStore   *store,
                          GAsyncResult  *result,
                          GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, store), FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}

typedef struct {
  GTask     *task;         /* the caller's */
  GPtrArray *ops;          /* kept to be retried if the commit fails */
  char      *next_batch;
} CommitData;

static void
commit_data_free (CommitData *data)
{
  g_clear_object (&data->task);
  g_clear_pointer (&data->ops, g_ptr_array_unref);
  g_free (data->next_batch);
  g_free (data);
}

static void
on_written (GObject      *source,
            GAsyncResult *result,
            gpointer      user_data)
{
  CommitData *data = user_data;
  MatrixSqliteStore *self = g_task_get_source_object (data->task);
  GError *error = NULL;

  if (g_task_propagate_boolean (G_TASK (result), &error))
    {
      g_hash_table_insert (self->cache->values, g_strdup (MATRIX_STORE_KEY_SYNC_TOKEN),
                           g_strdup (data->next_batch));
      g_task_return_boolean (data->task, TRUE);
    }
  else
    {
      /* The memory already has these changes and will not hand them over
       * again, so they wait for the next commit instead of being lost. */
      g_ptr_array_extend_and_steal (data->ops, g_steal_pointer (&self->pending));
      self->pending = g_steal_pointer (&data->ops);
      g_task_return_error (data->task, error);
    }

  commit_data_free (data);
}

static void
sqlite_commit_async (MatrixStore         *store,
                     const char          *next_batch,
                     GCancellable        *cancellable,
                     GAsyncReadyCallback  callback,
                     gpointer             user_data)
{
  MatrixSqliteStore *self = MATRIX_SQLITE_STORE (store);
  CommitData *data = g_new0 (CommitData, 1);
  GTask *write_task;

  data->task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (data->task, sqlite_commit_async);
  /* Once the changes are written, the caller hears so, cancelled or not. */
  g_task_set_check_cancellable (data->task, FALSE);
  data->next_batch = g_strdup (next_batch);
  data->ops = g_ptr_array_ref (self->pending);

  g_ptr_array_unref (self->pending);
  self->pending = g_ptr_array_new_with_free_func ((GDestroyNotify) op_free);

  write_task = g_task_new (NULL, NULL, on_written, data);
  g_task_set_source_tag (write_task, sqlite_commit_async);
  _matrix_sqlite_job_push (self->writer, JOB_COMMIT, write_task, g_ptr_array_ref (data->ops), next_batch);
}

static gboolean
sqlite_commit_finish (MatrixStore   *store,
                      GAsyncResult  *result,
                      GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, store), FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}

static void
matrix_sqlite_store_iface_init (MatrixStoreInterface *iface)
{
  iface->get_value = sqlite_get_value;
  iface->set_value = sqlite_set_value;
  iface->set_state_event = sqlite_set_state_event;
  iface->get_state_event = sqlite_get_state_event;
  iface->get_state_events = sqlite_get_state_events;
  iface->get_room_ids = sqlite_get_room_ids;
  iface->add_timeline_events = sqlite_add_timeline_events;
  iface->replace_timeline_event = sqlite_replace_timeline_event;
  iface->get_timeline_events = sqlite_get_timeline_events;
  iface->set_room_data = sqlite_set_room_data;
  iface->get_room_data = sqlite_get_room_data;
  iface->forget_room = sqlite_forget_room;
  iface->commit_async = sqlite_commit_async;
  iface->commit_finish = sqlite_commit_finish;
  iface->is_room_loaded = sqlite_is_room_loaded;
  iface->load_rooms_async = sqlite_load_rooms_async;
  iface->load_rooms_finish = sqlite_load_rooms_finish;
  iface->set_list_summary = sqlite_set_list_summary;
  iface->get_list_summary = sqlite_get_list_summary;
  iface->set_pending_send = sqlite_set_pending_send;
  iface->get_pending_sends = sqlite_get_pending_sends;
}

/* --- GAsyncInitable ------------------------------------------------------- */

static void
wipe_token (char *token)
{
  if (token != NULL)
    memset (token, 0, strlen (token));
  g_free (token);
}

/* What the keyring said about the token: @token (transfer full) or
 * @error, and where the token lives from now on. */
static void
take_looked_up_token (MatrixSqliteStore *self,
                      char              *token,
                      const GError      *error)
{
  if (error != NULL)
    {
      _matrix_sqlite_note_no_keyring (error);
      self->secret_backend = SECRET_FILE;
    }
  else
    self->secret_backend = SECRET_KEYRING;

  /* A token set (a new sign-in) or removed (a logout) while the keyring
   * took its time is the one that holds. */
  if (self->token_set_meanwhile)
    {
      wipe_token (token);
      g_clear_pointer (&self->file_token, wipe_token);
      return;
    }

  if (token != NULL)
    g_hash_table_insert (self->cache->values, g_strdup (MATRIX_STORE_KEY_ACCESS_TOKEN),
                         g_steal_pointer (&token));
  else if (self->file_token != NULL)
    {
      g_hash_table_insert (self->cache->values, g_strdup (MATRIX_STORE_KEY_ACCESS_TOKEN),
                           g_strdup (self->file_token));
      /* Saved while there was no keyring; now there is one, so it moves
       * there, and the file goes. */
      if (self->secret_backend == SECRET_KEYRING)
        _matrix_sqlite_store_queue_secret (self, self->file_token);
    }
  g_clear_pointer (&self->file_token, wipe_token);
}

static void
on_token_looked_up (GObject      *source,
                    GAsyncResult *result,
                    gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  MatrixSqliteStore *self = g_task_get_source_object (task);
  g_autoptr(GError) error = NULL;
  char *token = _matrix_secret_lookup_finish (result, &error);

  take_looked_up_token (self, token, error);
  g_task_return_boolean (task, TRUE);
}

/* The lookup of a store that did not wait for it: it does not keep the
 * store alive (a keyring may take the whole D-Bus timeout to answer, and a
 * closed store is not kept open for that). */
static void
on_token_looked_up_later (GObject      *source,
                          GAsyncResult *result,
                          gpointer      user_data)
{
  GWeakRef *ref = user_data;
  g_autoptr(MatrixSqliteStore) self = g_weak_ref_get (ref);
  g_autoptr(GPtrArray) waiters = NULL;
  g_autoptr(GError) error = NULL;
  char *token = _matrix_secret_lookup_finish (result, &error);

  g_weak_ref_clear (ref);
  g_free (ref);
  if (self == NULL)
    {
      wipe_token (token);
      return;
    }

  take_looked_up_token (self, token, error);
  self->token_pending = FALSE;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_TOKEN_PENDING]);

  waiters = g_steal_pointer (&self->token_waiters);
  self->token_waiters = g_ptr_array_new_with_free_func (g_object_unref);
  for (guint i = 0; i < waiters->len; i++)
    {
      GTask *waiter = g_ptr_array_index (waiters, i);
      GCancellable *cancellable = g_task_get_cancellable (waiter);
      gulong handler = GPOINTER_TO_SIZE (g_task_get_task_data (waiter));

      if (handler != 0)
        g_signal_handler_disconnect (cancellable, handler);
      g_task_return_boolean (waiter, TRUE);
    }
}

static void
on_opened (GObject      *source,
           GAsyncResult *result,
           gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  MatrixSqliteStore *self = g_task_get_source_object (task);
  const char *user_id, *homeserver;
  GCancellable *cancellable;
  GError *error = NULL;

  if (!g_task_propagate_boolean (G_TASK (result), &error))
    {
      g_task_return_error (task, error);
      return;
    }

  /* A new or reset database does not know whose it is: the caller may. Then
   * the token, filed in the keyring under the user, is found again. */
  if (g_hash_table_lookup (self->cache->values, MATRIX_STORE_KEY_USER_ID) == NULL &&
      self->user_id_hint != NULL)
    {
      sqlite_set_value (MATRIX_STORE (self), MATRIX_STORE_KEY_USER_ID, self->user_id_hint);
      if (self->homeserver_hint != NULL)
        sqlite_set_value (MATRIX_STORE (self), MATRIX_STORE_KEY_HOMESERVER, self->homeserver_hint);
    }

  user_id = g_hash_table_lookup (self->cache->values, MATRIX_STORE_KEY_USER_ID);
  homeserver = g_hash_table_lookup (self->cache->values, MATRIX_STORE_KEY_HOMESERVER);
  if (user_id == NULL)
    {
      /* No session: nothing to look up, and no keyring to wake up. */
      g_clear_pointer (&self->file_token, g_free);
      g_task_return_boolean (task, TRUE);
      return;
    }

  if (self->secret_schema == NULL)
    {
      /* The application keeps its tokens out of the keyring. */
      if (self->file_token != NULL)
        g_hash_table_insert (self->cache->values, g_strdup (MATRIX_STORE_KEY_ACCESS_TOKEN),
                             g_steal_pointer (&self->file_token));
      g_task_return_boolean (task, TRUE);
      return;
    }

  if (self->token_later)
    {
      GWeakRef *ref = g_new0 (GWeakRef, 1);

      /* Reading never waits for the keyring: the store is open now, and
       * the token follows (matrix_sqlite_store_wait_for_token_async()).
       * No cancellable, so that a lookup started ahead is taken over. */
      g_weak_ref_init (ref, self);
      self->token_pending = TRUE;
      _matrix_secret_lookup_async (self->secret_schema, user_id,
                                   homeserver != NULL ? homeserver : "", NULL,
                                   on_token_looked_up_later, ref);
      g_task_return_boolean (task, TRUE);
      return;
    }

  cancellable = g_task_get_cancellable (task);
  _matrix_secret_lookup_async (self->secret_schema, user_id, homeserver != NULL ? homeserver : "",
                               cancellable, on_token_looked_up, g_steal_pointer (&task));
}

static void
matrix_sqlite_store_init_async (GAsyncInitable      *initable,
                                int                  io_priority,
                                GCancellable        *cancellable,
                                GAsyncReadyCallback  callback,
                                gpointer             user_data)
{
  MatrixSqliteStore *self = MATRIX_SQLITE_STORE (initable);
  GTask *task = g_task_new (self, cancellable, callback, user_data);
  GTask *open_task;

  g_task_set_source_tag (task, matrix_sqlite_store_init_async);

  /* The writer's tasks have no source object: the writer thread may drop
   * its reference last, and must not hold the store's. */
  open_task = g_task_new (NULL, NULL, on_opened, task);
  g_task_set_source_tag (open_task, matrix_sqlite_store_init_async);
  g_task_set_task_data (open_task, self, NULL);
  _matrix_sqlite_job_push (self->writer, JOB_OPEN, open_task, NULL, NULL);
}

static gboolean
matrix_sqlite_store_init_finish (GAsyncInitable  *initable,
                                 GAsyncResult    *result,
                                 GError         **error)
{
  return g_task_propagate_boolean (G_TASK (result), error);
}

static void
matrix_sqlite_store_initable_iface_init (GAsyncInitableIface *iface)
{
  iface->init_async = matrix_sqlite_store_init_async;
  iface->init_finish = matrix_sqlite_store_init_finish;
}

/* --- GObject -------------------------------------------------------------- */

static void
matrix_sqlite_store_constructed (GObject *object)
{
  MatrixSqliteStore *self = MATRIX_SQLITE_STORE (object);
  Writer *writer = g_new0 (Writer, 1);

  G_OBJECT_CLASS (matrix_sqlite_store_parent_class)->constructed (object);

  g_assert (self->directory != NULL);
  if (self->database_name == NULL)
    self->database_name = g_strdup (DEFAULT_DATABASE_NAME);
  if (self->secret_schema == NULL)
    self->secret_backend = SECRET_FILE;
  self->db_path = g_build_filename (self->directory, self->database_name, NULL);
  self->secret_path = g_build_filename (self->directory, SECRET_FILE_NAME, NULL);

  writer->jobs = g_async_queue_new ();
  writer->db_path = g_strdup (self->db_path);
  writer->secret_path = g_strdup (self->secret_path);
  writer->timeline_limit = self->timeline_limit;
  self->writer = writer;
  self->thread = g_thread_new ("matrix-sqlite-store", _matrix_sqlite_writer_thread, writer);
}

static void
matrix_sqlite_store_finalize (GObject *object)
{
  MatrixSqliteStore *self = MATRIX_SQLITE_STORE (object);

  /* The writer finishes what is queued (a token file, say), then closes
   * the database. If this runs on the writer thread itself, it exits on
   * its own after the job it is in. */
  _matrix_sqlite_job_push (self->writer, JOB_QUIT, NULL, NULL, NULL);
  self->writer = NULL;
  if (g_thread_self () == self->thread)
    g_thread_unref (self->thread);
  else
    g_thread_join (self->thread);

  g_queue_clear_full (&self->secret_ops, (GDestroyNotify) _matrix_sqlite_secret_op_free);
  g_clear_pointer (&self->flush_waiters, g_ptr_array_unref);
  g_clear_pointer (&self->token_waiters, g_ptr_array_unref);
  g_clear_pointer (&self->pending, g_ptr_array_unref);
  g_clear_pointer (&self->cache, _matrix_store_cache_free);
  g_clear_pointer (&self->partial_rooms, g_hash_table_unref);
  g_clear_pointer (&self->summaries, g_hash_table_unref);
  g_clear_pointer (&self->file_token, g_free);
  g_clear_pointer (&self->directory, g_free);
  g_clear_pointer (&self->database_name, g_free);
  g_clear_pointer (&self->secret_schema, g_free);
  g_clear_pointer (&self->user_id_hint, g_free);
  g_clear_pointer (&self->homeserver_hint, g_free);
  g_clear_pointer (&self->db_path, g_free);
  g_clear_pointer (&self->secret_path, g_free);
  g_clear_pointer (&self->corrupt_file, g_free);

  G_OBJECT_CLASS (matrix_sqlite_store_parent_class)->finalize (object);
}

static void
matrix_sqlite_store_get_property (GObject    *object,
                                  guint       prop_id,
                                  GValue     *value,
                                  GParamSpec *pspec)
{
  MatrixSqliteStore *self = MATRIX_SQLITE_STORE (object);

  switch (prop_id)
    {
    case PROP_DIRECTORY:
      g_value_set_string (value, self->directory);
      break;

    case PROP_TIMELINE_LIMIT:
      g_value_set_uint (value, self->timeline_limit);
      break;

    case PROP_CORRUPT_FILE:
      g_value_set_string (value, self->corrupt_file);
      break;

    case PROP_USER_ID:
      g_value_set_string (value, self->user_id_hint);
      break;

    case PROP_HOMESERVER:
      g_value_set_string (value, self->homeserver_hint);
      break;

    case PROP_LAZY:
      g_value_set_boolean (value, self->lazy);
      break;

    case PROP_TOKEN_LATER:
      g_value_set_boolean (value, self->token_later);
      break;

    case PROP_TOKEN_PENDING:
      g_value_set_boolean (value, self->token_pending);
      break;

    case PROP_DATABASE_NAME:
      g_value_set_string (value, self->database_name);
      break;

    case PROP_SECRET_SCHEMA:
      g_value_set_string (value, self->secret_schema);
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
matrix_sqlite_store_set_property (GObject      *object,
                                  guint         prop_id,
                                  const GValue *value,
                                  GParamSpec   *pspec)
{
  MatrixSqliteStore *self = MATRIX_SQLITE_STORE (object);

  switch (prop_id)
    {
    case PROP_DIRECTORY:
      self->directory = g_value_dup_string (value);
      break;

    case PROP_TIMELINE_LIMIT:
      self->timeline_limit = g_value_get_uint (value);
      break;

    case PROP_USER_ID:
      self->user_id_hint = g_value_dup_string (value);
      break;

    case PROP_HOMESERVER:
      self->homeserver_hint = g_value_dup_string (value);
      break;

    case PROP_LAZY:
      self->lazy = g_value_get_boolean (value);
      break;

    case PROP_TOKEN_LATER:
      self->token_later = g_value_get_boolean (value);
      break;

    case PROP_DATABASE_NAME:
      self->database_name = g_value_dup_string (value);
      break;

    case PROP_SECRET_SCHEMA:
      self->secret_schema = g_value_dup_string (value);
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
matrix_sqlite_store_class_init (MatrixSqliteStoreClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->constructed = matrix_sqlite_store_constructed;
  object_class->finalize = matrix_sqlite_store_finalize;
  object_class->get_property = matrix_sqlite_store_get_property;
  object_class->set_property = matrix_sqlite_store_set_property;

  /**
   * MatrixSqliteStore:directory:
   *
   * The directory of the store's files, created when missing; such as one from
   * matrix_sqlite_store_default_dir().
   */
  properties[PROP_DIRECTORY] =
    g_param_spec_string ("directory", NULL, NULL, NULL,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  /**
   * MatrixSqliteStore:timeline-limit:
   *
   * How many of the newest timeline events the store keeps per room.
   */
  properties[PROP_TIMELINE_LIMIT] =
    g_param_spec_uint ("timeline-limit", NULL, NULL, 1, G_MAXUINT,
                       MATRIX_SQLITE_STORE_DEFAULT_TIMELINE_LIMIT,
                       G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  /**
   * MatrixSqliteStore:corrupt-file:
   *
   * Where a damaged database was moved when the store opened, or %NULL: the
   * store then started empty, and the app may tell the user.
   */
  /**
   * MatrixSqliteStore:user-id:
   *
   * Whose store it is, for a database that does not say (a new one, or one set
   * aside as damaged): the access token filed for that user is then found
   * again. %NULL when not known.
   */
  properties[PROP_USER_ID] =
    g_param_spec_string ("user-id", NULL, NULL, NULL,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  /**
   * MatrixSqliteStore:homeserver:
   *
   * The homeserver of #MatrixSqliteStore:user-id's session, or %NULL.
   */
  properties[PROP_HOMESERVER] =
    g_param_spec_string ("homeserver", NULL, NULL, NULL,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  /**
   * MatrixSqliteStore:lazy:
   *
   * Whether opening reads only what a room list needs of each room; the rest
   * of a room comes with matrix_store_load_rooms_async().
   */
  properties[PROP_LAZY] =
    g_param_spec_boolean ("lazy", NULL, NULL, FALSE,
                          G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  properties[PROP_CORRUPT_FILE] =
    g_param_spec_string ("corrupt-file", NULL, NULL, NULL,
                         G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  /**
   * MatrixSqliteStore:token-later:
   *
   * Whether opening is done once the database is read, without waiting for
   * the keyring to hand over the access token; see
   * #MatrixSqliteStore:token-pending.
   */
  properties[PROP_TOKEN_LATER] =
    g_param_spec_boolean ("token-later", NULL, NULL, FALSE,
                          G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  /**
   * MatrixSqliteStore:token-pending:
   *
   * Whether the keyring has yet to answer for the access token of a store
   * opened with #MatrixSqliteStore:token-later; notified once it has,
   * and the token (if any) is then the store's
   * %MATRIX_STORE_KEY_ACCESS_TOKEN.
   */
  properties[PROP_TOKEN_PENDING] =
    g_param_spec_boolean ("token-pending", NULL, NULL, FALSE,
                          G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  /**
   * MatrixSqliteStore:database-name:
   *
   * The name of the database file in #MatrixSqliteStore:directory, such as
   * `myapp.db`. %NULL (the default) is `matrix.db`. A damaged file is set
   * aside beside it as `NAME.corrupt-TIME`.
   */
  properties[PROP_DATABASE_NAME] =
    g_param_spec_string ("database-name", NULL, NULL, NULL,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  /**
   * MatrixSqliteStore:secret-schema:
   *
   * The name of the Secret Service schema the access token is filed under
   * (with the attributes `user-id` and `homeserver`), such as
   * `org.example.MyApp.Session`: the application's own, so that two
   * programs signed in as the same user never share a token. Where no
   * Secret Service answers, the token goes to the file `session-token`
   * (mode 0600) in the store's directory instead.
   *
   * %NULL (the default) keeps the token in that file only, never in the
   * keyring: what a bot on a server wants.
   */
  properties[PROP_SECRET_SCHEMA] =
    g_param_spec_string ("secret-schema", NULL, NULL, NULL,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);

  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
matrix_sqlite_store_init (MatrixSqliteStore *self)
{
  self->cache = _matrix_store_cache_new ();
  self->partial_rooms = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  self->summaries = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                           (GDestroyNotify) json_object_unref);
  self->pending = g_ptr_array_new_with_free_func ((GDestroyNotify) op_free);
  self->flush_waiters = g_ptr_array_new_with_free_func (g_object_unref);
  self->token_waiters = g_ptr_array_new_with_free_func (g_object_unref);
  g_queue_init (&self->secret_ops);
}

/* --- public API ----------------------------------------------------------- */

/**
 * matrix_sqlite_store_default_dir:
 * @application: the application's folder in the user's data directory,
 *   such as `myapp`
 * @user_id: a Matrix user id, such as `@alice:example.org`
 *
 * A directory of the user's own for a store, `$XDG_DATA_HOME/APPLICATION/USER`,
 * with every character of the user id that could not safely be part of a
 * file name escaped as `%XX`.
 *
 * Returns: (transfer full) (type filename): the directory
 */
char *
matrix_sqlite_store_default_dir (const char *application,
                                 const char *user_id)
{
  g_autoptr(GString) escaped = g_string_new (NULL);

  g_return_val_if_fail (application != NULL && *application != '\0', NULL);
  g_return_val_if_fail (strchr (application, G_DIR_SEPARATOR) == NULL, NULL);
  g_return_val_if_fail (user_id != NULL, NULL);

  for (const char *p = user_id; *p != '\0'; p++)
    {
      guchar c = *p;

      if (g_ascii_isalnum (c) || c == '@' || c == ':' || c == '-' || c == '_' ||
          (c == '.' && p != user_id))
        g_string_append_c (escaped, c);
      else
        g_string_append_printf (escaped, "%%%02X", c);
    }

  return g_build_filename (g_get_user_data_dir (), application, escaped->str, NULL);
}

/**
 * matrix_sqlite_store_new_async:
 * @directory: where the database lives; created if missing
 * @timeline_limit: how many of the newest timeline events to keep per room,
 *   or 0 for %MATRIX_SQLITE_STORE_DEFAULT_TIMELINE_LIMIT
 * @cancellable: (nullable): a #GCancellable
 * @callback: called once everything is loaded
 * @user_data: data for @callback
 *
 * Opens the store on its own thread: checks the database, migrates it to the
 * current schema, loads it into memory, and looks the access token up.
 * A damaged database is moved aside (see #MatrixSqliteStore:corrupt-file) and
 * the store starts empty; one from a newer matrix-glib is refused, untouched.
 */
void
matrix_sqlite_store_new_async (const char          *directory,
                               guint                timeline_limit,
                               GCancellable        *cancellable,
                               GAsyncReadyCallback  callback,
                               gpointer             user_data)
{
  g_return_if_fail (directory != NULL);

  g_async_initable_new_async (MATRIX_TYPE_SQLITE_STORE, G_PRIORITY_DEFAULT, cancellable,
                              callback, user_data,
                              "directory", directory,
                              "timeline-limit", timeline_limit > 0
                                ? timeline_limit : MATRIX_SQLITE_STORE_DEFAULT_TIMELINE_LIMIT,
                              NULL);
}

/**
 * matrix_sqlite_store_new_for_session_async:
 * @directory: the store's folder, e.g. from matrix_sqlite_store_default_dir()
 * @user_id: the user the store belongs to
 * @homeserver: (nullable): the homeserver of the session
 * @timeline_limit: events kept per room, or 0 for the default
 * @cancellable: (nullable): a #GCancellable
 * @callback: called when the store is open
 * @user_data: data for @callback
 *
 * Like matrix_sqlite_store_new_async(), for a session the caller knows: when
 * the database does not name its user (it is new, or was damaged and set
 * aside), the store takes these, so the access token kept in the keyring for
 * them is found and the session goes on.
 */
void
matrix_sqlite_store_new_for_session_async (const char          *directory,
                                           const char          *user_id,
                                           const char          *homeserver,
                                           guint                timeline_limit,
                                           GCancellable        *cancellable,
                                           GAsyncReadyCallback  callback,
                                           gpointer             user_data)
{
  g_return_if_fail (directory != NULL);
  g_return_if_fail (user_id != NULL);

  g_async_initable_new_async (MATRIX_TYPE_SQLITE_STORE, G_PRIORITY_DEFAULT, cancellable,
                              callback, user_data,
                              "directory", directory,
                              "user-id", user_id,
                              "homeserver", homeserver,
                              "timeline-limit", timeline_limit > 0
                                ? timeline_limit : MATRIX_SQLITE_STORE_DEFAULT_TIMELINE_LIMIT,
                              NULL);
}

/**
 * matrix_sqlite_store_new_lazy_async:
 * @directory: the store's folder, e.g. from matrix_sqlite_store_default_dir()
 * @user_id: the user the store belongs to
 * @homeserver: (nullable): the homeserver of the session
 * @timeline_limit: events kept per room, or 0 for the default
 * @cancellable: (nullable): a #GCancellable
 * @callback: called when the store is open
 * @user_data: data for @callback
 *
 * Like matrix_sqlite_store_new_for_session_async(), but reads only what a
 * room list shows of each joined room: its room data, its state but for the
 * members, our own and the heroes' m.room.member, and its newest events back
 * to the newest message. A room whose name may be made from all its members
 * is read whole. The rest of a room comes with
 * matrix_store_load_rooms_async(); see matrix_store_is_room_loaded().
 */
void
matrix_sqlite_store_new_lazy_async (const char          *directory,
                                    const char          *user_id,
                                    const char          *homeserver,
                                    guint                timeline_limit,
                                    GCancellable        *cancellable,
                                    GAsyncReadyCallback  callback,
                                    gpointer             user_data)
{
  g_return_if_fail (directory != NULL);
  g_return_if_fail (user_id != NULL);

  g_async_initable_new_async (MATRIX_TYPE_SQLITE_STORE, G_PRIORITY_DEFAULT, cancellable,
                              callback, user_data,
                              "directory", directory,
                              "user-id", user_id,
                              "homeserver", homeserver,
                              "lazy", TRUE,
                              "timeline-limit", timeline_limit > 0
                                ? timeline_limit : MATRIX_SQLITE_STORE_DEFAULT_TIMELINE_LIMIT,
                              NULL);
}

/**
 * matrix_sqlite_store_new_finish:
 * @result: the #GAsyncResult
 * @error: return location for a #GError
 *
 * Finishes matrix_sqlite_store_new_async() and the other constructors, or
 * g_async_initable_new_async() of a #MatrixSqliteStore.
 *
 * Returns: (transfer full) (nullable): the open store, or %NULL
 */
MatrixStore *
matrix_sqlite_store_new_finish (GAsyncResult  *result,
                                GError       **error)
{
  g_autoptr(GObject) source = g_async_result_get_source_object (result);

  return MATRIX_STORE (g_async_initable_new_finish (G_ASYNC_INITABLE (source), result, error));
}

/**
 * matrix_sqlite_store_get_directory:
 * @self: a #MatrixSqliteStore
 *
 * The directory the store keeps its files in.
 *
 * Returns: (transfer none): the store's directory
 */
const char *
matrix_sqlite_store_get_directory (MatrixSqliteStore *self)
{
  g_return_val_if_fail (MATRIX_IS_SQLITE_STORE (self), NULL);

  return self->directory;
}

/**
 * matrix_sqlite_store_get_database_path:
 * @self: a #MatrixSqliteStore
 *
 * The database file: #MatrixSqliteStore:database-name in the store's
 * directory.
 *
 * Returns: (transfer none): the SQLite file
 */
const char *
matrix_sqlite_store_get_database_path (MatrixSqliteStore *self)
{
  g_return_val_if_fail (MATRIX_IS_SQLITE_STORE (self), NULL);

  return self->db_path;
}

/**
 * matrix_sqlite_store_get_corrupt_file:
 * @self: a #MatrixSqliteStore
 *
 * Where a damaged database was set aside when the store opened.
 *
 * Returns: (transfer none) (nullable): see #MatrixSqliteStore:corrupt-file
 */
const char *
matrix_sqlite_store_get_corrupt_file (MatrixSqliteStore *self)
{
  g_return_val_if_fail (MATRIX_IS_SQLITE_STORE (self), NULL);

  return self->corrupt_file;
}

/**
 * matrix_sqlite_store_get_secret_in_keyring:
 * @self: a #MatrixSqliteStore
 *
 * Where the access token is kept; see #MatrixSqliteStore:secret-schema.
 *
 * Returns: whether the access token is known to be kept by the Secret
 *   Service, rather than in the fallback file
 */
gboolean
matrix_sqlite_store_get_secret_in_keyring (MatrixSqliteStore *self)
{
  g_return_val_if_fail (MATRIX_IS_SQLITE_STORE (self), FALSE);

  return self->secret_backend == SECRET_KEYRING;
}

/**
 * matrix_sqlite_store_get_token_pending:
 * @self: a #MatrixSqliteStore
 *
 * Whether a store opened with #MatrixSqliteStore:token-later still waits
 * for the keyring. Until it has answered, a missing access token does not
 * mean the user is signed out: wait with
 * matrix_sqlite_store_wait_for_token_async() before deciding so.
 *
 * Returns: %TRUE while the keyring has yet to answer
 */
gboolean
matrix_sqlite_store_get_token_pending (MatrixSqliteStore *self)
{
  g_return_val_if_fail (MATRIX_IS_SQLITE_STORE (self), FALSE);

  return self->token_pending;
}

static void
on_token_wait_cancelled (GCancellable *cancellable,
                         GTask        *task)
{
  MatrixSqliteStore *self = g_task_get_source_object (task);
  guint index;

  if (!g_ptr_array_find (self->token_waiters, task, &index))
    return;

  g_signal_handler_disconnect (cancellable, GPOINTER_TO_SIZE (g_task_get_task_data (task)));
  g_ptr_array_steal_index (self->token_waiters, index);
  g_task_return_error_if_cancelled (task);
  g_object_unref (task);
}

/**
 * matrix_sqlite_store_wait_for_token_async:
 * @self: a #MatrixSqliteStore
 * @cancellable: (nullable): a #GCancellable
 * @callback: called once the keyring has answered
 * @user_data: data for @callback
 *
 * Waits until #MatrixSqliteStore:token-pending is %FALSE: at once for a
 * store that waited for the keyring when it opened. The token, if there is
 * one, is then the store's %MATRIX_STORE_KEY_ACCESS_TOKEN.
 */
void
matrix_sqlite_store_wait_for_token_async (MatrixSqliteStore   *self,
                                          GCancellable        *cancellable,
                                          GAsyncReadyCallback  callback,
                                          gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  gulong handler = 0;

  g_return_if_fail (MATRIX_IS_SQLITE_STORE (self));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, matrix_sqlite_store_wait_for_token_async);

  if (!self->token_pending)
    {
      g_task_return_boolean (task, TRUE);
      return;
    }
  if (g_task_return_error_if_cancelled (task))
    return;

  if (cancellable != NULL)
    handler = g_signal_connect (cancellable, "cancelled", G_CALLBACK (on_token_wait_cancelled), task);
  g_task_set_task_data (task, GSIZE_TO_POINTER (handler), NULL);
  g_ptr_array_add (self->token_waiters, g_steal_pointer (&task));
}

/**
 * matrix_sqlite_store_wait_for_token_finish:
 * @self: a #MatrixSqliteStore
 * @result: the #GAsyncResult
 * @error: return location for a #GError
 *
 * Finishes matrix_sqlite_store_wait_for_token_async(). The keyring having
 * answered does not mean it had a token: look at
 * %MATRIX_STORE_KEY_ACCESS_TOKEN.
 *
 * Returns: %TRUE once the keyring has answered; %FALSE with
 *   %G_IO_ERROR_CANCELLED if cancelled first
 */
gboolean
matrix_sqlite_store_wait_for_token_finish (MatrixSqliteStore  *self,
                                           GAsyncResult       *result,
                                           GError            **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}

/**
 * matrix_sqlite_store_flush_async:
 * @self: a #MatrixSqliteStore
 * @cancellable: (nullable): a #GCancellable
 * @callback: called once every access token set so far is saved
 * @user_data: data for @callback
 *
 * Waits until the access token changes made so far have reached the Secret
 * Service or the fallback file, and every commit started so far is written.
 * Changes not yet committed stay uncommitted.
 */
void
matrix_sqlite_store_flush_async (MatrixSqliteStore   *self,
                                 GCancellable        *cancellable,
                                 GAsyncReadyCallback  callback,
                                 gpointer             user_data)
{
  GTask *task;

  g_return_if_fail (MATRIX_IS_SQLITE_STORE (self));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, matrix_sqlite_store_flush_async);
  g_ptr_array_add (self->flush_waiters, task);
  _matrix_sqlite_store_secret_next (self);
}

/**
 * matrix_sqlite_store_flush_finish:
 * @self: a #MatrixSqliteStore
 * @result: the #GAsyncResult
 * @error: return location for a #GError
 *
 * Finishes matrix_sqlite_store_flush_async().
 *
 * Returns: %TRUE once flushed
 */
gboolean
matrix_sqlite_store_flush_finish (MatrixSqliteStore  *self,
                                  GAsyncResult       *result,
                                  GError            **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}
