/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "fuzz-sync"

#include "matrix.h"
#include "matrix-client-private.h"
#include "matrix-sync-private.h"

#include "sync-reference.h"

#include "fuzz-targets.h"

/* Every event a handler sees must survive a round trip through JSON: what
 * the client hands out is what it validated. */
static void
check_events (GPtrArray *events,
              gboolean   state_only)
{
  for (guint i = 0; i < events->len; i++)
    {
      MatrixEvent *event = g_ptr_array_index (events, i);
      g_autoptr(JsonNode) node = matrix_event_to_json (event);
      g_autoptr(MatrixEvent) again = matrix_event_new_from_json (NULL, json_node_get_object (node), NULL);

      g_assert_true (MATRIX_IS_EVENT (event));
      g_assert_true (!state_only || MATRIX_IS_STATE_EVENT (event));
      g_assert_nonnull (again);
      g_assert_true (matrix_event_equal (event, again));
    }
}

static void
on_state (MatrixClient *client, const char *room_id, GPtrArray *events, gpointer data)
{
  g_assert_nonnull (room_id);
  check_events (events, TRUE);
}

static void
on_timeline (MatrixClient *client, const char *room_id, GPtrArray *events, gboolean limited,
             const char *prev_batch, gpointer data)
{
  g_assert_nonnull (room_id);
  check_events (events, FALSE);
}

/* Quiet: invalid events are expected here, and are reported with warnings. */
static GLogWriterOutput
drop_below_critical (GLogLevelFlags   level,
                     const GLogField *fields,
                     gsize            n_fields,
                     gpointer         user_data)
{
  if (level & (G_LOG_LEVEL_ERROR | G_LOG_LEVEL_CRITICAL))
    return g_log_writer_default (level, fields, n_fields, user_data);
  return G_LOG_WRITER_HANDLED;
}

static void
assert_same_objects (JsonObject *a,
                     JsonObject *b)
{
  g_autoptr(JsonNode) node_a = NULL;
  g_autoptr(JsonNode) node_b = NULL;

  g_assert_true ((a == NULL) == (b == NULL));
  if (a == NULL)
    return;
  node_a = json_node_init_object (json_node_alloc (), a);
  node_b = json_node_init_object (json_node_alloc (), b);
  g_assert_true (json_node_equal (node_a, node_b));
}

static void
assert_same_object_arrays (GPtrArray *a,
                           GPtrArray *b)
{
  g_assert_true ((a == NULL) == (b == NULL));
  for (guint i = 0; a != NULL && i < MAX (a->len, b->len); i++)
    {
      g_assert_cmpuint (a->len, ==, b->len);
      assert_same_objects (a->pdata[i], b->pdata[i]);
    }
}

static void
assert_same_events (GPtrArray *a,
                    GPtrArray *b)
{
  g_assert_true ((a == NULL) == (b == NULL));
  if (a == NULL)
    return;
  g_assert_cmpuint (a->len, ==, b->len);
  for (guint i = 0; i < a->len; i++)
    {
      g_assert_true (G_OBJECT_TYPE (a->pdata[i]) == G_OBJECT_TYPE (b->pdata[i]));
      g_assert_true (matrix_event_equal (a->pdata[i], b->pdata[i]));
    }
}

/* The body read a member at a time gives what parsing it whole and walking
 * the tree gives: the same rooms, events, left-out notes, or error. */
static void
check_against_reference (GBytes *body)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GError) reference_error = NULL;
  g_autoptr(MatrixSyncResponse) response = _matrix_sync_response_parse (body, &error);
  g_autoptr(MatrixSyncResponse) reference = sync_reference_parse (body, &reference_error);

  if (reference == NULL)
    {
      g_assert_null (response);
      g_assert_nonnull (error);
      g_assert_cmpint (error->code, ==, reference_error->code);
      g_assert_cmpstr (error->message, ==, reference_error->message);
      return;
    }
  g_assert_no_error (error);
  g_assert_cmpstr (response->next_batch, ==, reference->next_batch);
  g_assert_cmpuint (response->dropped->len, ==, reference->dropped->len);
  for (guint i = 0; i < response->dropped->len; i++)
    g_assert_cmpstr (response->dropped->pdata[i], ==, reference->dropped->pdata[i]);
  g_assert_cmpuint (response->rooms->len, ==, reference->rooms->len);
  for (guint i = 0; i < response->rooms->len; i++)
    {
      MatrixSyncRoom *room = g_ptr_array_index (response->rooms, i);
      MatrixSyncRoom *expected = g_ptr_array_index (reference->rooms, i);

      g_assert_cmpstr (room->room_id, ==, expected->room_id);
      g_assert_cmpint (room->kind, ==, expected->kind);
      g_assert_cmpint (room->limited, ==, expected->limited);
      g_assert_cmpstr (room->prev_batch, ==, expected->prev_batch);
      assert_same_objects (room->summary, expected->summary);
      assert_same_objects (room->unread_notifications, expected->unread_notifications);
      assert_same_object_arrays (room->ephemeral, expected->ephemeral);
      assert_same_object_arrays (room->account_data, expected->account_data);
      assert_same_events (room->state, expected->state);
      assert_same_events (room->timeline, expected->timeline);
      g_assert_true ((room->invite_state == NULL) == (expected->invite_state == NULL));
      if (room->invite_state != NULL)
        {
          g_assert_cmpuint (room->invite_state->len, ==, expected->invite_state->len);
          for (guint j = 0; j < room->invite_state->len; j++)
            assert_same_objects (room->invite_state->pdata[j], expected->invite_state->pdata[j]);
        }
    }
}

/* What relations make a row show: edits, reactions, replies, threads. Only
 * reads; the point is that none of it crashes, leaks or loops on what came. */
static void
walk_timeline (MatrixTimeline *timeline)
{
  GListModel *model = G_LIST_MODEL (timeline);

  for (guint i = 0; i < g_list_model_get_n_items (model); i++)
    {
      g_autoptr(MatrixTimelineItem) item = g_list_model_get_item (model, i);
      g_autoptr(GPtrArray) edits = matrix_timeline_item_dup_edits (item);
      GListModel *reactions = matrix_timeline_item_get_reactions (item);
      MatrixTimelineItem *reply = matrix_timeline_item_get_in_reply_to (item);

      g_free (matrix_timeline_item_dup_body_markup (item));
      matrix_timeline_item_get_msgtype (item);
      matrix_timeline_item_get_formatted_body (item);
      g_assert_true (matrix_timeline_item_get_edited (item) ==
                     (matrix_timeline_item_get_replacement (item) != NULL));
      g_assert_true (!matrix_timeline_item_get_edited (item) || edits->len > 0);
      for (guint j = 0; j < g_list_model_get_n_items (reactions); j++)
        {
          g_autoptr(MatrixReaction) reaction = g_list_model_get_item (reactions, j);
          g_auto(GStrv) senders = matrix_reaction_dup_senders (reaction);

          g_assert_cmpuint (matrix_reaction_get_count (reaction), >=, g_strv_length (senders));
          g_assert_cmpuint (matrix_reaction_get_count (reaction), >, 0);
        }
      g_assert_true ((reply != NULL) ==
                     (matrix_timeline_item_get_reply_state (item) == MATRIX_REPLY_STATE_LOADED));
      if (reply != NULL)
        matrix_timeline_item_get_body (reply);
      matrix_timeline_item_get_thread_count (item);
      matrix_timeline_item_get_thread_latest (item);
    }
}

void
confab_fuzz_sync (const guint8 *data,
                  gsize         size)
{
  static gsize initialised = 0;
  g_autoptr(MatrixStore) store = NULL;
  g_autoptr(MatrixClient) client = NULL;
  g_autoptr(MatrixRoomStateTracker) tracker = NULL;
  g_autoptr(GBytes) body = g_bytes_new (data, size);
  g_auto(GStrv) room_ids = NULL;

  if (g_once_init_enter (&initialised))
    {
      g_log_set_writer_func (drop_below_critical, NULL, NULL);
      g_log_set_always_fatal (G_LOG_FATAL_MASK | G_LOG_LEVEL_CRITICAL);
      g_once_init_leave (&initialised, 1);
    }

  check_against_reference (body);

  store = matrix_memory_store_new ();
  matrix_store_set_value (store, MATRIX_STORE_KEY_ACCESS_TOKEN, "token");
  matrix_store_set_value (store, MATRIX_STORE_KEY_USER_ID, "@me:example.org");
  client = matrix_client_new ("http://127.0.0.1:9", store);
  tracker = matrix_room_state_tracker_new (client);
  g_signal_connect (client, "room-state-updates", G_CALLBACK (on_state), NULL);
  g_signal_connect (client, "room-timeline-updates", G_CALLBACK (on_timeline), NULL);

  _matrix_client_dispatch_sync_body (client, body, NULL);

  /* Whatever reached the store must answer the tracker's queries. */
  room_ids = matrix_store_get_room_ids (store);
  for (guint i = 0; room_ids[i] != NULL; i++)
    {
      g_autoptr(GHashTable) names = matrix_room_state_tracker_get_all_state_for_type (tracker, room_ids[i],
                                                                                       "m.room.name");
      g_autoptr(GPtrArray) timeline = matrix_store_get_timeline_events (store, room_ids[i]);
      MatrixRoom *room = matrix_room_state_tracker_get_room (tracker, room_ids[i]);
      GHashTableIter iter;
      gpointer key, value;

      g_hash_table_iter_init (&iter, names);
      while (g_hash_table_iter_next (&iter, &key, &value))
        g_assert_cmpstr (key, ==, matrix_state_event_get_state_key (value));
      check_events (timeline, FALSE);
      if (room != NULL)
        walk_timeline (matrix_room_get_timeline (room));
    }

  /* What a restart rebuilds from the store, relations counted again. */
  {
    g_autoptr(MatrixClient) again = matrix_client_new ("http://127.0.0.1:9", store);
    g_autoptr(MatrixRoomStateTracker) restored = matrix_room_state_tracker_new (again);

    for (guint i = 0; i < g_list_model_get_n_items (G_LIST_MODEL (restored)); i++)
      {
        g_autoptr(MatrixRoom) room = g_list_model_get_item (G_LIST_MODEL (restored), i);

        walk_timeline (matrix_room_get_timeline (room));
      }
  }
}
