/* SPDX-License-Identifier: LGPL-2.1-or-later */
#define G_LOG_DOMAIN "matrix-timeline"

#include "matrix-error.h"
#include "matrix-json-private.h"
#include "matrix-timeline-private.h"

#define DEFAULT_LOAD_LIMIT 50

/**
 * MatrixTimeline:
 *
 * The timeline of one room as a #GListModel of #MatrixTimelineItem, oldest
 * first. Only events that came in a `timeline` (of a sync or of /messages)
 * are here; a sync's `state` section only changes the room's state.
 *
 * Layout: events and gaps in timeline order, then the local echoes of sends
 * still in flight. An echo is replaced in place by the server's copy when a
 * sync brings it (matched by `unsigned.transaction_id`, or by the event id
 * the send returned), so it never shows twice.
 */
struct _MatrixTimeline
{
  GObject       parent_instance;

  MatrixClient *client;
  char         *room_id;
  GPtrArray    *items;       /* MatrixTimelineItem */
  GHashTable   *event_ids;   /* ids of the EVENT items, borrowed from their events */
  GPtrArray    *sync_gaps;   /* JsonObject {"token", "before"}: what a restart needs */
  guint         n_echoes;    /* the last n_echoes items are LOCAL_ECHO */
  gboolean      loading;
  gboolean      at_start;
};

static void matrix_timeline_list_model_init (GListModelInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (MatrixTimeline, matrix_timeline, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (G_TYPE_LIST_MODEL,
                                                      matrix_timeline_list_model_init))

enum {
  PROP_0,
  PROP_LOADING,
  PROP_AT_START,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static GType
matrix_timeline_get_item_type (GListModel *model)
{
  return MATRIX_TYPE_TIMELINE_ITEM;
}

static guint
matrix_timeline_get_n_items (GListModel *model)
{
  return MATRIX_TIMELINE (model)->items->len;
}

static gpointer
matrix_timeline_get_item (GListModel *model,
                          guint       position)
{
  MatrixTimeline *self = MATRIX_TIMELINE (model);

  if (position >= self->items->len)
    return NULL;

  return g_object_ref (g_ptr_array_index (self->items, position));
}

static void
matrix_timeline_list_model_init (GListModelInterface *iface)
{
  iface->get_item_type = matrix_timeline_get_item_type;
  iface->get_n_items = matrix_timeline_get_n_items;
  iface->get_item = matrix_timeline_get_item;
}

static void
set_at_start (MatrixTimeline *self,
              gboolean        at_start)
{
  if (self->at_start == at_start)
    return;
  self->at_start = at_start;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_AT_START]);
}

static void
set_loading (MatrixTimeline *self,
             gboolean        loading)
{
  if (self->loading == loading)
    return;
  self->loading = loading;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_LOADING]);
}

static gboolean
is_room_start (MatrixEvent *event)
{
  return g_strcmp0 (matrix_event_get_event_type (event), "m.room.create") == 0;
}

static void
insert_items (MatrixTimeline *self,
              guint           position,
              guint           n_removed,
              GPtrArray      *added)
{
  if (n_removed == 0 && added->len == 0)
    return;

  g_ptr_array_remove_range (self->items, position, n_removed);
  for (guint i = 0; i < added->len; i++)
    g_ptr_array_insert (self->items, position + i, g_object_ref (g_ptr_array_index (added, i)));
  g_list_model_items_changed (G_LIST_MODEL (self), position, n_removed, added->len);
}

/* The echo this event is the server's copy of, if any. */
static gboolean
find_echo_for (MatrixTimeline *self,
               MatrixEvent    *event,
               guint          *position)
{
  const char *txn_id = matrix_event_get_transaction_id (event);
  const char *event_id = matrix_event_get_event_id (event);

  for (guint i = self->items->len - self->n_echoes; i < self->items->len; i++)
    {
      MatrixTimelineItem *item = g_ptr_array_index (self->items, i);

      if ((txn_id != NULL &&
           g_strcmp0 (matrix_timeline_item_get_transaction_id (item), txn_id) == 0) ||
          g_strcmp0 (_matrix_timeline_item_get_sent_event_id (item), event_id) == 0)
        {
          *position = i;
          return TRUE;
        }
    }

  return FALSE;
}

static void
add_sync_gap (MatrixTimeline *self,
              const char     *token,
              const char     *before_event_id)
{
  JsonObject *gap = json_object_new ();

  json_object_set_string_member (gap, "token", token);
  json_object_set_string_member (gap, "before", before_event_id);
  g_ptr_array_add (self->sync_gaps, gap);
}

static gboolean
has_events (MatrixTimeline *self)
{
  return self->items->len > self->n_echoes;
}

/* Replaces the echo at @position by an EVENT item for @event. It leaves the
 * echo section, so it moves just before the first remaining echo. */
static void
replace_echo (MatrixTimeline *self,
              guint           position,
              MatrixEvent    *event)
{
  guint first_echo = self->items->len - self->n_echoes;
  g_autoptr(MatrixTimelineItem) item = _matrix_timeline_item_new_event (event);

  g_hash_table_add (self->event_ids, (gpointer) matrix_event_get_event_id (event));
  self->n_echoes--;

  if (position == first_echo)
    {
      MatrixTimelineItem *echo = g_ptr_array_index (self->items, position);

      g_ptr_array_index (self->items, position) = g_object_ref (item);
      g_object_unref (echo);
      g_list_model_items_changed (G_LIST_MODEL (self), position, 1, 1);
      return;
    }

  g_ptr_array_remove_index (self->items, position);
  g_ptr_array_insert (self->items, first_echo, g_object_ref (item));
  g_list_model_items_changed (G_LIST_MODEL (self), first_echo, position - first_echo + 1,
                              position - first_echo + 1);
}

void
_matrix_timeline_append_sync (MatrixTimeline *self,
                              GPtrArray      *events,
                              gboolean        limited,
                              const char     *prev_batch)
{
  g_autoptr(GPtrArray) added = g_ptr_array_new_with_free_func (g_object_unref);
  MatrixEvent *first;
  gboolean want_gap;

  g_return_if_fail (MATRIX_IS_TIMELINE (self));

  /* Events are missing before this batch after a limited sync, or before
   * the first events a room shows, unless the batch starts with one we
   * have (it overlaps) or with the room's creation. */
  first = events->len > 0 ? g_ptr_array_index (events, 0) : NULL;
  want_gap = first != NULL && prev_batch != NULL && !is_room_start (first) &&
             !g_hash_table_contains (self->event_ids, matrix_event_get_event_id (first)) &&
             (limited || !has_events (self));

  for (guint i = 0; i < events->len; i++)
    {
      MatrixEvent *event = g_ptr_array_index (events, i);
      const char *event_id = matrix_event_get_event_id (event);
      guint position;

      if (g_hash_table_contains (self->event_ids, event_id))
        continue;

      /* A redaction is not shown: the event it removes changes instead. */
      if (matrix_event_get_redacts (event) != NULL)
        {
          g_hash_table_add (self->event_ids, (gpointer) event_id);
          continue;
        }

      if (find_echo_for (self, event, &position))
        {
          guint n_before = added->len;

          /* Events before it in this batch go before it. */
          insert_items (self, self->items->len - self->n_echoes, 0, added);
          g_ptr_array_set_size (added, 0);
          replace_echo (self, position + n_before, event);
          continue;
        }

      if (want_gap)
        {
          g_ptr_array_add (added, _matrix_timeline_item_new_gap (prev_batch));
          add_sync_gap (self, prev_batch, event_id);
          want_gap = FALSE;
        }
      if (is_room_start (event))
        set_at_start (self, TRUE);

      g_hash_table_add (self->event_ids, (gpointer) event_id);
      g_ptr_array_add (added, _matrix_timeline_item_new_event (event));
    }

  insert_items (self, self->items->len - self->n_echoes, 0, added);
}

void
_matrix_timeline_restore (MatrixTimeline *self,
                          GPtrArray      *events,
                          JsonArray      *gaps)
{
  g_autoptr(GHashTable) gap_before = g_hash_table_new (g_str_hash, g_str_equal);
  g_autoptr(GPtrArray) added = g_ptr_array_new_with_free_func (g_object_unref);

  g_return_if_fail (MATRIX_IS_TIMELINE (self));
  /* A room read lazily may have an echo already: the cache goes before it. */
  g_return_if_fail (self->items->len == self->n_echoes);

  for (guint i = 0; gaps != NULL && i < json_array_get_length (gaps); i++)
    {
      JsonNode *node = json_array_get_element (gaps, i);
      const char *token = NULL, *before = NULL;

      if (!JSON_NODE_HOLDS_OBJECT (node) ||
          !_matrix_json_get_string (json_node_get_object (node), NULL, "token", TRUE, &token, NULL) ||
          !_matrix_json_get_string (json_node_get_object (node), NULL, "before", TRUE, &before, NULL))
        continue;
      g_hash_table_insert (gap_before, (gpointer) before, (gpointer) token);
      add_sync_gap (self, token, before);
    }

  for (guint i = 0; i < events->len; i++)
    {
      MatrixEvent *event = g_ptr_array_index (events, i);
      const char *event_id = matrix_event_get_event_id (event);
      const char *token = g_hash_table_lookup (gap_before, event_id);

      if (g_hash_table_contains (self->event_ids, event_id))
        continue;
      g_hash_table_add (self->event_ids, (gpointer) event_id);
      if (matrix_event_get_redacts (event) != NULL)
        continue;
      if (token != NULL)
        g_ptr_array_add (added, _matrix_timeline_item_new_gap (token));
      if (is_room_start (event))
        set_at_start (self, TRUE);
      g_ptr_array_add (added, _matrix_timeline_item_new_event (event));
    }

  insert_items (self, 0, 0, added);
}

static gboolean
find_event_item (MatrixTimeline *self,
                 const char     *event_id,
                 guint          *position)
{
  for (guint i = self->items->len; i > 0; i--)
    {
      MatrixTimelineItem *item = g_ptr_array_index (self->items, i - 1);

      if (matrix_timeline_item_get_kind (item) == MATRIX_TIMELINE_ITEM_EVENT &&
          g_strcmp0 (matrix_timeline_item_get_event_id (item), event_id) == 0)
        {
          *position = i - 1;
          return TRUE;
        }
    }
  return FALSE;
}

MatrixEvent *
_matrix_timeline_lookup_event (MatrixTimeline *self,
                               const char     *event_id)
{
  guint position;

  g_return_val_if_fail (MATRIX_IS_TIMELINE (self), NULL);

  if (!g_hash_table_contains (self->event_ids, event_id) || !find_event_item (self, event_id, &position))
    return NULL;
  return matrix_timeline_item_get_event (g_ptr_array_index (self->items, position));
}

gboolean
_matrix_timeline_replace_event (MatrixTimeline *self,
                                MatrixEvent    *event)
{
  const char *event_id = matrix_event_get_event_id (event);
  MatrixTimelineItem *old;
  guint position;

  g_return_val_if_fail (MATRIX_IS_TIMELINE (self), FALSE);

  if (!find_event_item (self, event_id, &position))
    return FALSE;

  /* The set borrows its ids from the events: the new one lends it now. */
  g_hash_table_remove (self->event_ids, event_id);
  g_hash_table_add (self->event_ids, (gpointer) event_id);
  old = g_ptr_array_index (self->items, position);
  g_ptr_array_index (self->items, position) = _matrix_timeline_item_new_event (event);
  g_object_unref (old);
  g_list_model_items_changed (G_LIST_MODEL (self), position, 1, 1);
  return TRUE;
}

JsonArray *
_matrix_timeline_dup_gaps (MatrixTimeline *self)
{
  JsonArray *array = json_array_new ();

  for (guint i = 0; i < self->sync_gaps->len; i++)
    json_array_add_object_element (array, json_object_ref (g_ptr_array_index (self->sync_gaps, i)));

  return array;
}

MatrixTimeline *
_matrix_timeline_new (MatrixClient *client,
                      const char   *room_id)
{
  MatrixTimeline *self = g_object_new (MATRIX_TYPE_TIMELINE, NULL);

  self->client = g_object_ref (client);
  self->room_id = g_strdup (room_id);
  return self;
}

/**
 * matrix_timeline_get_room_id:
 * @self: a #MatrixTimeline
 *
 * The room whose timeline this is.
 *
 * Returns: (transfer none): the id of the room
 */
const char *
matrix_timeline_get_room_id (MatrixTimeline *self)
{
  g_return_val_if_fail (MATRIX_IS_TIMELINE (self), NULL);

  return self->room_id;
}

/**
 * matrix_timeline_get_loading:
 * @self: a #MatrixTimeline
 *
 * Whether a matrix_timeline_load_older_async() is running.
 *
 * Returns: whether older events are being loaded
 */
gboolean
matrix_timeline_get_loading (MatrixTimeline *self)
{
  g_return_val_if_fail (MATRIX_IS_TIMELINE (self), FALSE);

  return self->loading;
}

/**
 * matrix_timeline_get_at_start:
 * @self: a #MatrixTimeline
 *
 * Whether there is nothing older to load; see #MatrixTimeline:at-start.
 *
 * Returns: whether the room's first event is in the timeline
 */
gboolean
matrix_timeline_get_at_start (MatrixTimeline *self)
{
  g_return_val_if_fail (MATRIX_IS_TIMELINE (self), FALSE);

  return self->at_start;
}

/* --- loading older events ------------------------------------------------ */

static MatrixTimelineItem *
find_top_gap (MatrixTimeline *self)
{
  for (guint i = 0; i < self->items->len; i++)
    {
      MatrixTimelineItem *item = g_ptr_array_index (self->items, i);

      if (matrix_timeline_item_get_kind (item) == MATRIX_TIMELINE_ITEM_GAP)
        return item;
    }
  return NULL;
}

/* Puts a /messages answer (@chunk, newest first) in place of @gap. */
static void
fill_gap (MatrixTimeline     *self,
          MatrixTimelineItem *gap,
          GPtrArray          *chunk,
          const char         *end)
{
  g_autoptr(GPtrArray) added = g_ptr_array_new_with_free_func (g_object_unref);
  gboolean reached_known = FALSE, reached_start = FALSE;
  guint position, n_new = 0;

  if (!g_ptr_array_find (self->items, gap, &position))
    return;  /* the gap went away while the request was out */

  /* Walk back from the newest: an event we have means the gap is closed. */
  for (; n_new < chunk->len; n_new++)
    {
      MatrixEvent *event = g_ptr_array_index (chunk, n_new);

      if (g_hash_table_contains (self->event_ids, matrix_event_get_event_id (event)))
        {
          reached_known = TRUE;
          break;
        }
      if (is_room_start (event))
        {
          reached_start = TRUE;
          n_new++;
          break;
        }
    }

  if (n_new == 0 || end == NULL)
    reached_start = reached_start || !reached_known;

  if (!reached_known && !reached_start)
    g_ptr_array_add (added, _matrix_timeline_item_new_gap (end));

  for (guint i = n_new; i > 0; i--)
    {
      MatrixEvent *event = g_ptr_array_index (chunk, i - 1);

      g_hash_table_add (self->event_ids, (gpointer) matrix_event_get_event_id (event));
      g_ptr_array_add (added, _matrix_timeline_item_new_event (event));
    }

  insert_items (self, position, 1, added);

  if (reached_start && position == 0)
    set_at_start (self, TRUE);
}

static void
on_messages (GObject      *source,
             GAsyncResult *result,
             gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  MatrixTimeline *self = g_task_get_source_object (task);
  MatrixTimelineItem *gap = g_task_get_task_data (task);
  g_autoptr(JsonObject) body = NULL;
  g_autoptr(GPtrArray) chunk = g_ptr_array_new_with_free_func (g_object_unref);
  JsonArray *array;
  const char *end = NULL;
  GError *error = NULL;

  set_loading (self, FALSE);

  body = matrix_client_request_finish (MATRIX_CLIENT (source), result, &error);
  if (body == NULL ||
      !_matrix_json_get_array (body, "messages", "chunk", TRUE, &array, &error) ||
      !_matrix_json_get_string (body, "messages", "end", FALSE, &end, &error))
    {
      g_task_return_error (task, error);
      return;
    }

  for (guint i = 0; i < json_array_get_length (array); i++)
    {
      JsonNode *node = json_array_get_element (array, i);
      g_autoptr(GError) local_error = NULL;
      MatrixEvent *event;

      if (!JSON_NODE_HOLDS_OBJECT (node))
        {
          g_warning ("Left out an invalid event: messages.chunk[%u]: not an object", i);
          continue;
        }
      event = matrix_event_new_from_json (self->room_id, json_node_get_object (node), &local_error);
      if (event == NULL)
        {
          g_warning ("Left out an invalid event: messages.chunk[%u]: %s", i, local_error->message);
          continue;
        }
      g_ptr_array_add (chunk, event);
    }

  /* A chunk of nothing but invalid events still moves on to `end`. */
  if (chunk->len == 0 && json_array_get_length (array) > 0 && end != NULL)
    {
      guint position;

      if (g_ptr_array_find (self->items, gap, &position))
        {
          g_autoptr(GPtrArray) added = g_ptr_array_new_with_free_func (g_object_unref);

          g_ptr_array_add (added, _matrix_timeline_item_new_gap (end));
          insert_items (self, position, 1, added);
        }
    }
  else
    fill_gap (self, gap, chunk, end);

  g_task_return_boolean (task, TRUE);
}

/**
 * matrix_timeline_load_older_async:
 * @self: a #MatrixTimeline
 * @limit: how many events to ask for at most; 0 for a default
 * @cancellable: (nullable): a #GCancellable
 * @callback: called when done
 * @user_data: data for @callback
 *
 * Fills the gap nearest the top of the timeline with
 * `GET /rooms/{roomId}/messages?dir=b&from=<gap token>`: the events take
 * the gap's place, oldest first, below a new gap if there is more to load.
 * The gap goes away when the room's start is reached, or when the events
 * reach ones the timeline already has. Does nothing if there is no gap;
 * fails with %G_IO_ERROR_PENDING while another load is running.
 */
void
matrix_timeline_load_older_async (MatrixTimeline      *self,
                                  guint                limit,
                                  GCancellable        *cancellable,
                                  GAsyncReadyCallback  callback,
                                  gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  g_autofree char *path = NULL;
  g_autofree char *limit_str = NULL;
  MatrixTimelineItem *gap;
  const char *query[9] = { NULL };

  g_return_if_fail (MATRIX_IS_TIMELINE (self));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, matrix_timeline_load_older_async);

  if (self->loading)
    {
      g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_PENDING,
                               "Older events are already being loaded");
      return;
    }

  gap = find_top_gap (self);
  if (gap == NULL)
    {
      g_task_return_boolean (task, TRUE);
      return;
    }

  g_task_set_task_data (task, g_object_ref (gap), g_object_unref);
  limit_str = g_strdup_printf ("%u", limit > 0 ? limit : DEFAULT_LOAD_LIMIT);
  query[0] = "dir";
  query[1] = "b";
  query[2] = "from";
  query[3] = matrix_timeline_item_get_gap_token (gap);
  query[4] = "limit";
  query[5] = limit_str;
  path = matrix_client_build_path ("v3", "rooms", self->room_id, "messages", NULL);

  set_loading (self, TRUE);
  matrix_client_request_async (self->client, "GET", path, query, NULL, cancellable,
                               on_messages, g_steal_pointer (&task));
}

/**
 * matrix_timeline_load_older_finish:
 * @self: a #MatrixTimeline
 * @result: the #GAsyncResult
 * @error: return location for a #GError
 *
 * Finishes matrix_timeline_load_older_async().
 *
 * Returns: %TRUE on success
 */
gboolean
matrix_timeline_load_older_finish (MatrixTimeline  *self,
                                   GAsyncResult    *result,
                                   GError         **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}

/* --- sending ---------------------------------------------------------------- */

static void
send_echo (MatrixTimeline     *self,
           MatrixTimelineItem *echo,
           GCancellable       *cancellable,
           GTask              *task);

static void
on_event_sent (GObject      *source,
               GAsyncResult *result,
               gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  MatrixTimeline *self = g_task_get_source_object (task);
  MatrixTimelineItem *echo = g_task_get_task_data (task);
  g_autofree char *event_id = NULL;
  GError *error = NULL;

  event_id = matrix_client_send_event_finish (MATRIX_CLIENT (source), result, &error);

  /* The server's copy may already have replaced the echo. */
  if (g_ptr_array_find (self->items, echo, NULL))
    {
      if (event_id != NULL)
        {
          _matrix_timeline_item_set_sent_event_id (echo, event_id);
          _matrix_timeline_item_set_send_state (echo, MATRIX_SEND_STATE_SENT, NULL);
        }
      else
        _matrix_timeline_item_set_send_state (echo, MATRIX_SEND_STATE_FAILED, error);
    }

  if (event_id == NULL)
    g_task_return_error (task, error);
  else
    g_task_return_pointer (task, g_steal_pointer (&event_id), g_free);
}

static void
send_echo (MatrixTimeline     *self,
           MatrixTimelineItem *echo,
           GCancellable       *cancellable,
           GTask              *task)
{
  g_task_set_task_data (task, g_object_ref (echo), g_object_unref);
  _matrix_timeline_item_set_send_state (echo, MATRIX_SEND_STATE_PENDING, NULL);
  matrix_client_send_event_async (self->client, self->room_id,
                                  matrix_timeline_item_get_event_type (echo),
                                  matrix_timeline_item_get_content (echo),
                                  matrix_timeline_item_get_transaction_id (echo),
                                  cancellable, on_event_sent, task);
}

/**
 * matrix_timeline_send_async:
 * @self: a #MatrixTimeline
 * @event_type: the event type, e.g. `m.room.message`
 * @content: the content
 * @cancellable: (nullable): a #GCancellable
 * @callback: called with the event id, or an error
 * @user_data: data for @callback
 *
 * Sends a message event. A LOCAL_ECHO item, PENDING, appears at the end of
 * the timeline at once; the server's copy replaces it when a sync brings it.
 * If the send fails the echo becomes FAILED, for matrix_timeline_retry().
 */
void
matrix_timeline_send_async (MatrixTimeline      *self,
                            const char          *event_type,
                            JsonObject          *content,
                            GCancellable        *cancellable,
                            GAsyncReadyCallback  callback,
                            gpointer             user_data)
{
  g_autoptr(MatrixTimelineItem) echo = NULL;
  g_autofree char *txn_id = NULL;
  GTask *task;

  g_return_if_fail (MATRIX_IS_TIMELINE (self));
  g_return_if_fail (event_type != NULL);
  g_return_if_fail (content != NULL);

  txn_id = matrix_client_new_transaction_id (self->client);
  echo = _matrix_timeline_item_new_local_echo (event_type, content,
                                               matrix_client_get_user_id (self->client),
                                               txn_id, g_get_real_time () / 1000);
  g_ptr_array_add (self->items, g_object_ref (echo));
  self->n_echoes++;
  g_list_model_items_changed (G_LIST_MODEL (self), self->items->len - 1, 0, 1);

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, matrix_timeline_send_async);
  send_echo (self, echo, cancellable, task);
}

/**
 * matrix_timeline_send_finish:
 * @self: a #MatrixTimeline
 * @result: the #GAsyncResult
 * @error: return location for a #GError
 *
 * Finishes matrix_timeline_send_async().
 *
 * Returns: (transfer full) (nullable): the id of the sent event
 */
char *
matrix_timeline_send_finish (MatrixTimeline  *self,
                             GAsyncResult    *result,
                             GError         **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

/**
 * matrix_timeline_retry:
 * @self: a #MatrixTimeline
 * @item: a FAILED local echo of @self
 *
 * Sends the echo again, with the same transaction id, so the server never
 * makes two events of it. Its send-state follows the new attempt.
 */
void
matrix_timeline_retry (MatrixTimeline     *self,
                       MatrixTimelineItem *item)
{
  GTask *task;

  g_return_if_fail (MATRIX_IS_TIMELINE (self));
  g_return_if_fail (MATRIX_IS_TIMELINE_ITEM (item));
  g_return_if_fail (matrix_timeline_item_get_kind (item) == MATRIX_TIMELINE_ITEM_LOCAL_ECHO);

  if (matrix_timeline_item_get_send_state (item) != MATRIX_SEND_STATE_FAILED ||
      !g_ptr_array_find (self->items, item, NULL))
    return;

  task = g_task_new (self, NULL, NULL, NULL);
  g_task_set_source_tag (task, matrix_timeline_retry);
  send_echo (self, item, NULL, task);
}

static void
matrix_timeline_dispose (GObject *object)
{
  MatrixTimeline *self = MATRIX_TIMELINE (object);

  g_clear_object (&self->client);

  G_OBJECT_CLASS (matrix_timeline_parent_class)->dispose (object);
}

static void
matrix_timeline_finalize (GObject *object)
{
  MatrixTimeline *self = MATRIX_TIMELINE (object);

  g_free (self->room_id);
  g_ptr_array_unref (self->items);
  g_hash_table_unref (self->event_ids);
  g_ptr_array_unref (self->sync_gaps);

  G_OBJECT_CLASS (matrix_timeline_parent_class)->finalize (object);
}

static void
matrix_timeline_get_property (GObject    *object,
                              guint       prop_id,
                              GValue     *value,
                              GParamSpec *pspec)
{
  MatrixTimeline *self = MATRIX_TIMELINE (object);

  switch (prop_id)
    {
    case PROP_LOADING:
      g_value_set_boolean (value, self->loading);
      break;
    case PROP_AT_START:
      g_value_set_boolean (value, self->at_start);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
matrix_timeline_class_init (MatrixTimelineClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = matrix_timeline_dispose;
  object_class->finalize = matrix_timeline_finalize;
  object_class->get_property = matrix_timeline_get_property;

  /**
   * MatrixTimeline:loading:
   *
   * Whether a matrix_timeline_load_older_async() is running.
   */
  properties[PROP_LOADING] =
    g_param_spec_boolean ("loading", NULL, NULL, FALSE,
                          G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  /**
   * MatrixTimeline:at-start:
   *
   * Whether the room's first event is in the timeline, so there is nothing
   * older to load.
   */
  properties[PROP_AT_START] =
    g_param_spec_boolean ("at-start", NULL, NULL, FALSE,
                          G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);

  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
matrix_timeline_init (MatrixTimeline *self)
{
  self->items = g_ptr_array_new_with_free_func (g_object_unref);
  self->event_ids = g_hash_table_new (g_str_hash, g_str_equal);
  self->sync_gaps = g_ptr_array_new_with_free_func ((GDestroyNotify) json_object_unref);
}
