/* SPDX-License-Identifier: LGPL-2.1-or-later */
#define G_LOG_DOMAIN "matrix-thread"

#include "matrix-client.h"
#include "matrix-event-private.h"
#include "matrix-json-private.h"
#include "matrix-thread.h"
#include "matrix-timeline-private.h"

/**
 * MatrixThread:
 *
 * A thread of a room: a #GListModel of #MatrixEvent, its root first (when
 * the timeline has it), then its replies oldest first. Obtained from
 * matrix_timeline_dup_thread().
 *
 * It shows at once the replies the timeline has seen (and the echoes of
 * those sent with matrix_thread_send_async()), follows the root's thread
 * as syncs bring more, and matrix_thread_load_async() asks the server for
 * the rest (`GET /_matrix/client/v1/rooms/{roomId}/relations/{eventId}/m.thread`).
 * A reply's edits are not applied here.
 */

/* Pages of /relations one load reads at most. */
#define MAX_PAGES 20
#define PAGE_LIMIT 50

struct _MatrixThread
{
  GObject             parent_instance;

  MatrixTimeline     *timeline;
  char               *root_id;
  MatrixTimelineItem *root_row;    /* the timeline's row of the root, if any */
  GHashTable         *loaded;      /* event id → MatrixEvent, from /relations */
  GPtrArray          *items;       /* MatrixEvent: the root if known, then replies by time */
  gboolean            loading;
};

enum {
  PROP_0,
  PROP_LOADING,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static void matrix_thread_list_model_init (GListModelInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (MatrixThread, matrix_thread, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (G_TYPE_LIST_MODEL,
                                                      matrix_thread_list_model_init))

static GType
matrix_thread_get_item_type (GListModel *model)
{
  return MATRIX_TYPE_EVENT;
}

static guint
matrix_thread_get_n_items (GListModel *model)
{
  return MATRIX_THREAD (model)->items->len;
}

static gpointer
matrix_thread_get_item (GListModel *model,
                        guint       position)
{
  MatrixThread *self = MATRIX_THREAD (model);

  if (position >= self->items->len)
    return NULL;
  return g_object_ref (g_ptr_array_index (self->items, position));
}

static void
matrix_thread_list_model_init (GListModelInterface *iface)
{
  iface->get_item_type = matrix_thread_get_item_type;
  iface->get_n_items = matrix_thread_get_n_items;
  iface->get_item = matrix_thread_get_item;
}

static int
compare_replies (gconstpointer a,
                 gconstpointer b)
{
  MatrixEvent *x = *(MatrixEvent **) a, *y = *(MatrixEvent **) b;
  gint64 tx = matrix_event_get_origin_server_ts (x), ty = matrix_event_get_origin_server_ts (y);

  if (tx != ty)
    return tx < ty ? -1 : 1;
  return g_strcmp0 (matrix_event_get_event_id (x), matrix_event_get_event_id (y));
}

/* Builds the list again from what the timeline and the loads know, and
 * says what changed (the list is short: a thread, not a room). */
static void
refresh (MatrixThread *self)
{
  g_autoptr(GPtrArray) replies = _matrix_timeline_dup_thread_replies (self->timeline, self->root_id);
  g_autoptr(GHashTable) seen = g_hash_table_new (g_str_hash, g_str_equal);
  GPtrArray *items = g_ptr_array_new_with_free_func (g_object_unref);
  MatrixEvent *root = _matrix_timeline_get_row_event (self->timeline, self->root_id);
  GHashTableIter iter;
  gpointer value;
  guint first_change = 0, old_len = self->items->len;

  for (guint i = 0; i < replies->len; i++)
    g_hash_table_add (seen, (gpointer) matrix_event_get_event_id (g_ptr_array_index (replies, i)));
  g_hash_table_iter_init (&iter, self->loaded);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    if (g_hash_table_add (seen, (gpointer) matrix_event_get_event_id (value)))
      g_ptr_array_add (replies, g_object_ref (value));
  g_ptr_array_sort (replies, compare_replies);

  if (root != NULL)
    g_ptr_array_add (items, g_object_ref (root));
  for (guint i = 0; i < replies->len; i++)
    if (!matrix_event_is_redacted (g_ptr_array_index (replies, i)))
      g_ptr_array_add (items, g_object_ref (g_ptr_array_index (replies, i)));

  while (first_change < items->len && first_change < old_len &&
         g_ptr_array_index (items, first_change) == g_ptr_array_index (self->items, first_change))
    first_change++;
  if (first_change == items->len && first_change == old_len)
    {
      g_ptr_array_unref (items);
      return;
    }

  g_ptr_array_unref (self->items);
  self->items = items;
  g_list_model_items_changed (G_LIST_MODEL (self), first_change, old_len - first_change,
                              items->len - first_change);
}

static void
set_loading (MatrixThread *self,
             gboolean      loading)
{
  if (self->loading == loading)
    return;
  self->loading = loading;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_LOADING]);
}

static void
matrix_thread_dispose (GObject *object)
{
  MatrixThread *self = MATRIX_THREAD (object);

  if (self->root_row != NULL)
    g_signal_handlers_disconnect_by_data (self->root_row, self);
  g_clear_object (&self->root_row);
  g_clear_object (&self->timeline);
  G_OBJECT_CLASS (matrix_thread_parent_class)->dispose (object);
}

static void
matrix_thread_finalize (GObject *object)
{
  MatrixThread *self = MATRIX_THREAD (object);

  g_free (self->root_id);
  g_hash_table_unref (self->loaded);
  g_ptr_array_unref (self->items);
  G_OBJECT_CLASS (matrix_thread_parent_class)->finalize (object);
}

static void
matrix_thread_get_property (GObject    *object,
                            guint       prop_id,
                            GValue     *value,
                            GParamSpec *pspec)
{
  MatrixThread *self = MATRIX_THREAD (object);

  switch (prop_id)
    {
    case PROP_LOADING:
      g_value_set_boolean (value, self->loading);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
matrix_thread_class_init (MatrixThreadClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = matrix_thread_dispose;
  object_class->finalize = matrix_thread_finalize;
  object_class->get_property = matrix_thread_get_property;

  /**
   * MatrixThread:loading:
   *
   * Whether a matrix_thread_load_async() is running.
   */
  properties[PROP_LOADING] =
    g_param_spec_boolean ("loading", NULL, NULL, FALSE,
                          G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
matrix_thread_init (MatrixThread *self)
{
  self->loaded = g_hash_table_new_full (g_str_hash, g_str_equal, NULL, g_object_unref);
  self->items = g_ptr_array_new_with_free_func (g_object_unref);
}

/**
 * matrix_timeline_dup_thread:
 * @self: a #MatrixTimeline
 * @root_event_id: the event the thread hangs from
 *
 * The thread of @root_event_id in this room, with the replies the timeline
 * knows of; matrix_thread_load_async() reads the rest from the server.
 *
 * Returns: (transfer full): a new #MatrixThread
 */
MatrixThread *
matrix_timeline_dup_thread (MatrixTimeline *self,
                            const char     *root_event_id)
{
  MatrixThread *thread;
  MatrixTimelineItem *row;

  g_return_val_if_fail (MATRIX_IS_TIMELINE (self), NULL);
  g_return_val_if_fail (root_event_id != NULL, NULL);

  thread = g_object_new (MATRIX_TYPE_THREAD, NULL);
  thread->timeline = g_object_ref (self);
  thread->root_id = g_strdup (root_event_id);
  row = _matrix_timeline_get_row (self, root_event_id);
  if (row != NULL)
    {
      thread->root_row = g_object_ref (row);
      g_signal_connect_swapped (row, "notify::thread-count", G_CALLBACK (refresh), thread);
      g_signal_connect_swapped (row, "notify::thread-latest", G_CALLBACK (refresh), thread);
    }
  refresh (thread);
  return thread;
}

/**
 * matrix_thread_get_root_event_id:
 * @self: a #MatrixThread
 *
 * The id of the event the thread hangs from.
 *
 * Returns: (transfer none): the root's event id
 */
const char *
matrix_thread_get_root_event_id (MatrixThread *self)
{
  g_return_val_if_fail (MATRIX_IS_THREAD (self), NULL);

  return self->root_id;
}

/**
 * matrix_thread_get_root:
 * @self: a #MatrixThread
 *
 * The event the thread hangs from, when the room's timeline has it (then
 * it is also the model's first item).
 *
 * Returns: (transfer none) (nullable): the root event
 */
MatrixEvent *
matrix_thread_get_root (MatrixThread *self)
{
  g_return_val_if_fail (MATRIX_IS_THREAD (self), NULL);

  return _matrix_timeline_get_row_event (self->timeline, self->root_id);
}

/**
 * matrix_thread_get_loading:
 * @self: a #MatrixThread
 *
 * See #MatrixThread:loading.
 *
 * Returns: whether a load is running
 */
gboolean
matrix_thread_get_loading (MatrixThread *self)
{
  g_return_val_if_fail (MATRIX_IS_THREAD (self), FALSE);

  return self->loading;
}

/* --- loading ----------------------------------------------------------------- */

typedef struct {
  char  *from;
  guint  pages;
} Load;

static void
load_free (Load *load)
{
  g_free (load->from);
  g_free (load);
}

static void request_page (GTask *task);

static void
on_page (GObject      *source,
         GAsyncResult *result,
         gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  MatrixThread *self = g_task_get_source_object (task);
  Load *load = g_task_get_task_data (task);
  g_autoptr(JsonObject) body = NULL;
  JsonArray *chunk = NULL;
  const char *next = NULL;
  GError *error = NULL;

  body = matrix_client_request_finish (MATRIX_CLIENT (source), result, &error);
  if (body == NULL ||
      !_matrix_json_get_array (body, "relations", "chunk", TRUE, &chunk, &error) ||
      !_matrix_json_get_token (body, "relations", "next_batch", FALSE, &next, &error))
    {
      set_loading (self, FALSE);
      g_task_return_error (task, error);
      return;
    }

  for (guint i = 0; i < json_array_get_length (chunk); i++)
    {
      JsonNode *node = json_array_get_element (chunk, i);
      g_autoptr(GError) local_error = NULL;
      g_autoptr(MatrixEvent) event = NULL;

      if (!JSON_NODE_HOLDS_OBJECT (node))
        {
          g_warning ("Left out an invalid event: relations.chunk[%u]: not an object", i);
          continue;
        }
      event = matrix_event_new_from_json (matrix_timeline_get_room_id (self->timeline),
                                          json_node_get_object (node), &local_error);
      if (event == NULL)
        {
          g_warning ("Left out an invalid event: relations.chunk[%u]: %s", i, local_error->message);
          continue;
        }
      /* Only what is really in this thread. */
      if (g_strcmp0 (matrix_event_get_relation_type (event), "m.thread") != 0 ||
          g_strcmp0 (matrix_event_get_related_event_id (event), self->root_id) != 0)
        continue;
      g_hash_table_replace (self->loaded, (gpointer) matrix_event_get_event_id (event),
                            g_object_ref (event));
    }
  refresh (self);

  if (next == NULL || json_array_get_length (chunk) == 0 || ++load->pages >= MAX_PAGES)
    {
      set_loading (self, FALSE);
      g_task_return_boolean (task, TRUE);
      return;
    }
  g_free (load->from);
  load->from = g_strdup (next);
  request_page (g_steal_pointer (&task));
}

static void
request_page (GTask *task)
{
  MatrixThread *self = g_task_get_source_object (task);
  Load *load = g_task_get_task_data (task);
  g_autofree char *path = NULL;
  g_autofree char *limit = g_strdup_printf ("%u", PAGE_LIMIT);
  const char *query[] = { "dir", "b", "limit", limit, load->from != NULL ? "from" : NULL,
                          load->from, NULL };

  path = matrix_client_build_path ("v1", "rooms", matrix_timeline_get_room_id (self->timeline),
                                   "relations", self->root_id, "m.thread", NULL);
  matrix_client_request_async (_matrix_timeline_get_client (self->timeline), "GET", path, query,
                               NULL, g_task_get_cancellable (task), on_page, task);
}

/**
 * matrix_thread_load_async:
 * @self: a #MatrixThread
 * @cancellable: (nullable): a #GCancellable
 * @callback: called when done
 * @user_data: data for @callback
 *
 * Reads the thread's replies from the server, newest first, a page at a
 * time (up to a thousand), adding those the timeline did not know.
 */
void
matrix_thread_load_async (MatrixThread        *self,
                          GCancellable        *cancellable,
                          GAsyncReadyCallback  callback,
                          gpointer             user_data)
{
  GTask *task;

  g_return_if_fail (MATRIX_IS_THREAD (self));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, matrix_thread_load_async);
  g_task_set_task_data (task, g_new0 (Load, 1), (GDestroyNotify) load_free);
  set_loading (self, TRUE);
  request_page (task);
}

/**
 * matrix_thread_load_finish:
 * @self: a #MatrixThread
 * @result: the #GAsyncResult
 * @error: return location for a #GError
 *
 * Finishes matrix_thread_load_async().
 *
 * Returns: %TRUE on success
 */
gboolean
matrix_thread_load_finish (MatrixThread  *self,
                           GAsyncResult  *result,
                           GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}

/* --- sending -------------------------------------------------------------------- */

static void
on_sent (GObject      *source,
         GAsyncResult *result,
         gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  GError *error = NULL;
  char *event_id = matrix_timeline_send_finish (MATRIX_TIMELINE (source), result, &error);

  if (event_id == NULL)
    g_task_return_error (task, error);
  else
    g_task_return_pointer (task, event_id, g_free);
}

/**
 * matrix_thread_send_async:
 * @self: a #MatrixThread
 * @body: the plain text
 * @cancellable: (nullable): a #GCancellable
 * @callback: called with the event id, or an error
 * @user_data: data for @callback
 *
 * Sends a text message into the thread, as
 * matrix_timeline_send_thread_reply_async() does; it is in the model at
 * once.
 */
void
matrix_thread_send_async (MatrixThread        *self,
                          const char          *body,
                          GCancellable        *cancellable,
                          GAsyncReadyCallback  callback,
                          gpointer             user_data)
{
  GTask *task;

  g_return_if_fail (MATRIX_IS_THREAD (self));
  g_return_if_fail (body != NULL);

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, matrix_thread_send_async);
  matrix_timeline_send_thread_reply_async (self->timeline, self->root_id, MATRIX_MESSAGE_TEXT, body,
                                           NULL, NULL, cancellable, on_sent, task);
  /* Without a row of the root, nothing tells the thread of the echo. */
  if (self->root_row == NULL)
    refresh (self);
}

/**
 * matrix_thread_send_finish:
 * @self: a #MatrixThread
 * @result: the #GAsyncResult
 * @error: return location for a #GError
 *
 * Finishes matrix_thread_send_async().
 *
 * Returns: (transfer full): the event id of the message sent, or %NULL
 */
char *
matrix_thread_send_finish (MatrixThread  *self,
                           GAsyncResult  *result,
                           GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}
