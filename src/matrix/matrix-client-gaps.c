/* SPDX-License-Identifier: LGPL-2.1-or-later */
#define G_LOG_DOMAIN "matrix-client"

/* Closing the gap a limited sync leaves after downtime.
 *
 * A room whose store holds events, and whose sync timeline is limited
 * (the server left events out before it), has a hole between what is
 * stored and what the sync brings. Before the sync's signals are emitted,
 * its events are fetched with /messages from the sync's prev_batch, back
 * to the newest stored event (or the room's creation), a few pages at
 * most. They are then emitted ahead of the sync's own state and timeline,
 * as the timeline that was missed, and so stored, shown and committed with
 * the sync token that covers them: "nothing is lost" holds after any
 * downtime the budget covers. What the budget does not cover stays a gap,
 * with the token to go on from; a failed /messages leaves the gap as the
 * sync gave it and never fails the sync. */

#include "matrix-client-private.h"
#include "matrix-event.h"
#include "matrix-json-private.h"
#include "matrix-store.h"
#include "matrix-sync-private.h"

#define GAP_PAGE_LIMIT 100    /* events per /messages page */
#define GAP_MAX_PAGES 5       /* pages per room and sync */
#define GAP_MAX_IN_FLIGHT 4   /* rooms filled at once */

typedef struct {
  MatrixClient   *client;
  GPtrArray      *rooms;    /* MatrixSyncRoom*, not owned: the response's */
  guint           next;     /* the next of @rooms to start */
  guint           running;
  GCancellable   *cancellable;
} GapFill;

typedef struct {
  GTask          *task;     /* the whole fill's */
  MatrixSyncRoom *room;
  GHashTable     *known;    /* ids of the room's stored events */
  GHashTable     *seen;     /* ids of the events collected, and the sync's */
  GPtrArray      *collected;  /* newest first */
  char           *from;
  guint           pages;
} RoomFill;

static void start_rooms (GTask *task);

static void
gap_fill_free (GapFill *fill)
{
  g_object_unref (fill->client);
  g_ptr_array_unref (fill->rooms);
  g_clear_object (&fill->cancellable);
  g_free (fill);
}

static void
room_fill_free (RoomFill *room)
{
  g_hash_table_unref (room->known);
  g_hash_table_unref (room->seen);
  g_ptr_array_unref (room->collected);
  g_free (room->from);
  g_free (room);
}

/* The room's stored events if a sync's limited timeline leaves a hole
 * after them, else NULL. */
static GHashTable *
stored_ids_before_gap (MatrixStore    *store,
                       MatrixSyncRoom *room)
{
  g_autoptr(GPtrArray) stored = NULL;
  GHashTable *known;
  MatrixEvent *first;

  if (room->kind != MATRIX_SYNC_ROOM_JOIN || !room->limited || room->prev_batch == NULL ||
      room->timeline == NULL || room->timeline->len == 0)
    return NULL;

  stored = matrix_store_get_timeline_events (store, room->room_id);
  if (stored == NULL || stored->len == 0)
    return NULL;

  known = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  for (guint i = 0; i < stored->len; i++)
    g_hash_table_add (known, g_strdup (matrix_event_get_event_id (g_ptr_array_index (stored, i))));

  /* The sync overlaps what is stored: no hole. */
  first = g_ptr_array_index (room->timeline, 0);
  if (g_hash_table_contains (known, matrix_event_get_event_id (first)))
    {
      g_hash_table_unref (known);
      return NULL;
    }
  return known;
}

/* Hands what @fill collected to its room: the events, oldest first, go
 * out before the sync's own; the sync's timeline then follows them. */
static void
room_fill_finish (RoomFill *fill,
                  gboolean  closed)
{
  GapFill *whole = g_task_get_task_data (fill->task);
  MatrixSyncRoom *room = fill->room;
  g_autoptr(GTask) task = fill->task;

  if (fill->collected->len > 0)
    {
      room->gap_events = g_ptr_array_new_full (fill->collected->len, g_object_unref);
      for (guint i = fill->collected->len; i > 0; i--)
        g_ptr_array_add (room->gap_events, g_object_ref (g_ptr_array_index (fill->collected, i - 1)));
      room->gap_limited = !closed;
      room->gap_prev_batch = closed ? NULL : g_strdup (fill->from);
      room->limited = FALSE;
    }
  else if (closed)
    room->limited = FALSE;

  fill->task = NULL;
  room_fill_free (fill);

  whole->running--;
  start_rooms (task);
}

static void request_page (RoomFill *fill);

static void
set_from (RoomFill   *fill,
          const char *token)
{
  char *copy = g_strdup (token);

  g_free (fill->from);
  fill->from = copy;
}

static void
on_page (GObject      *source,
         GAsyncResult *result,
         gpointer      user_data)
{
  RoomFill *fill = user_data;
  GapFill *whole = g_task_get_task_data (fill->task);
  g_autoptr(JsonObject) body = NULL;
  g_autoptr(GError) error = NULL;
  JsonArray *chunk = NULL;
  const char *end = NULL;
  gboolean closed = FALSE;

  body = matrix_client_request_finish (MATRIX_CLIENT (source), result, &error);
  if (body == NULL ||
      !_matrix_json_get_array (body, "messages", "chunk", TRUE, &chunk, &error) ||
      !_matrix_json_get_token (body, "messages", "end", FALSE, &end, &error))
    {
      /* What was collected stays, with the gap before it. */
      if (!g_cancellable_is_cancelled (whole->cancellable))
        g_debug ("Could not fill the gap in %s: %s", fill->room->room_id, error->message);
      room_fill_finish (fill, FALSE);
      return;
    }

  for (guint i = 0; i < json_array_get_length (chunk) && !closed; i++)
    {
      JsonNode *node = json_array_get_element (chunk, i);
      g_autoptr(GError) local_error = NULL;
      g_autoptr(MatrixEvent) event = NULL;
      const char *event_id;

      if (!JSON_NODE_HOLDS_OBJECT (node))
        {
          g_warning ("Left out an invalid event: messages.chunk[%u]: not an object", i);
          continue;
        }
      event = matrix_event_new_from_json (fill->room->room_id, json_node_get_object (node),
                                          &local_error);
      if (event == NULL)
        {
          g_warning ("Left out an invalid event: messages.chunk[%u]: %s", i, local_error->message);
          continue;
        }

      event_id = matrix_event_get_event_id (event);
      if (g_hash_table_contains (fill->known, event_id))
        {
          closed = TRUE;
          break;
        }
      if (!g_hash_table_add (fill->seen, g_strdup (event_id)))
        continue;
      g_ptr_array_add (fill->collected, g_object_ref (event));
      if (MATRIX_IS_STATE_EVENT (event) &&
          g_strcmp0 (matrix_event_get_event_type (event), "m.room.create") == 0)
        closed = TRUE;
    }

  /* No `end`, or nothing more: the room's start is reached. */
  if (end == NULL || json_array_get_length (chunk) == 0)
    closed = TRUE;

  if (closed || fill->pages >= GAP_MAX_PAGES)
    {
      if (!closed)
        set_from (fill, end);
      room_fill_finish (fill, closed);
      return;
    }

  set_from (fill, end);
  request_page (fill);
}

static void
request_page (RoomFill *fill)
{
  GapFill *whole = g_task_get_task_data (fill->task);
  g_autofree char *path = NULL;
  g_autofree char *limit = g_strdup_printf ("%u", GAP_PAGE_LIMIT);
  const char *query[] = { "dir", "b", "from", fill->from, "limit", limit, NULL };

  fill->pages++;
  path = matrix_client_build_path ("v3", "rooms", fill->room->room_id, "messages", NULL);
  matrix_client_request_async (whole->client, "GET", path, query, NULL, whole->cancellable,
                               on_page, fill);
}

static void
start_rooms (GTask *task)
{
  GapFill *whole = g_task_get_task_data (task);
  MatrixStore *store = matrix_client_get_store (whole->client);

  while (whole->running < GAP_MAX_IN_FLIGHT && whole->next < whole->rooms->len &&
         !g_cancellable_is_cancelled (whole->cancellable))
    {
      MatrixSyncRoom *room = g_ptr_array_index (whole->rooms, whole->next++);
      GHashTable *known = store != NULL && matrix_client_get_fill_gaps (whole->client)
                            ? stored_ids_before_gap (store, room) : NULL;
      RoomFill *fill;

      if (known == NULL)
        continue;

      fill = g_new0 (RoomFill, 1);
      fill->task = g_object_ref (task);
      fill->room = room;
      fill->known = known;
      fill->seen = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
      for (guint i = 0; i < room->timeline->len; i++)
        g_hash_table_add (fill->seen,
                          g_strdup (matrix_event_get_event_id (g_ptr_array_index (room->timeline, i))));
      fill->collected = g_ptr_array_new_with_free_func (g_object_unref);
      fill->from = g_strdup (room->prev_batch);
      whole->running++;
      request_page (fill);
    }

  if (whole->running > 0)
    return;
  if (g_task_return_error_if_cancelled (task))
    return;
  g_task_return_boolean (task, TRUE);
}

/*
 * _matrix_client_fill_gaps_async:
 * @self: a #MatrixClient
 * @response: the sync response whose limited timelines to complete; its
 *   rooms get their `gap_events` (and `limited` cleared when the hole is
 *   closed). It must stay alive until @callback.
 *
 * Fetches what a limited sync left out between a room's stored events and
 * its timeline. Fails only when @cancellable is cancelled.
 */
void
_matrix_client_fill_gaps_async (MatrixClient        *self,
                                MatrixSyncResponse  *response,
                                GCancellable        *cancellable,
                                GAsyncReadyCallback  callback,
                                gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  GapFill *fill;

  g_return_if_fail (MATRIX_IS_CLIENT (self));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, _matrix_client_fill_gaps_async);

  fill = g_new0 (GapFill, 1);
  fill->client = g_object_ref (self);
  fill->rooms = g_ptr_array_ref (response->rooms);
  fill->cancellable = cancellable != NULL ? g_object_ref (cancellable) : NULL;
  g_task_set_task_data (task, fill, (GDestroyNotify) gap_fill_free);

  start_rooms (task);
}

gboolean
_matrix_client_fill_gaps_finish (MatrixClient  *self,
                                 GAsyncResult  *result,
                                 GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}
