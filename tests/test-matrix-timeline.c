/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "test-matrix-timeline"

#include "matrix-json-private.h"
#include "matrix-timeline-private.h"
#include "test-utils.h"

#define ROOM "!room:example.org"
#define MESSAGES "/_matrix/client/v3/rooms/%21room%3Aexample.org/messages"
#define SEND "/_matrix/client/v3/rooms/%21room%3Aexample.org/send/m.room.message/"

typedef struct {
  FakeHomeserver         *server;
  MatrixStore            *store;
  MatrixClient           *client;
  MatrixRoomStateTracker *tracker;
} Fixture;

static void
fixture_setup (Fixture       *f,
               gconstpointer  data)
{
  f->server = fake_homeserver_new ();
  f->store = logged_in_store_new ();
  f->client = matrix_client_new (fake_homeserver_get_url (f->server), f->store);
  /* These tests are about gaps as the timeline keeps them; the client's
   * filling of gaps after downtime has its own (test-matrix-client-gaps). */
  matrix_client_set_fill_gaps (f->client, FALSE);
  f->tracker = matrix_room_state_tracker_new (f->client);
}

static void
fixture_teardown (Fixture       *f,
                  gconstpointer  data)
{
  matrix_client_stop_sync (f->client);
  iterate_for (20);
  g_assert_finalize_object (f->tracker);
  g_assert_finalize_object (f->client);
  g_assert_finalize_object (f->store);
  g_assert_cmpuint (fake_homeserver_get_n_unmatched (f->server), ==, 0);
  g_assert_finalize_object (f->server);
}

/* A message event's JSON; @extra goes inside the object (e.g. an unsigned). */
static char *
message (const char *event_id,
         const char *body,
         gint64      ts,
         const char *extra)
{
  return g_strdup_printf ("{\"type\": \"m.room.message\", \"sender\": \"@bob:example.org\","
                          " \"event_id\": \"%s\", \"origin_server_ts\": %" G_GINT64_FORMAT ","
                          " \"content\": {\"msgtype\": \"m.text\", \"body\": \"%s\"}%s%s}",
                          event_id, ts, body, extra ? ", " : "", extra ? extra : "");
}

/* A sync response with one joined room. */
static char *
room_sync (const char *next_batch,
           const char *state_events,
           const char *timeline_events,
           gboolean    limited,
           const char *prev_batch)
{
  return g_strdup_printf ("{\"next_batch\": \"%s\", \"rooms\": {\"join\": {\"" ROOM "\": {"
                          "\"state\": {\"events\": [%s]},"
                          "\"timeline\": {\"events\": [%s], \"limited\": %s,"
                          " \"prev_batch\": \"%s\"}}}}}",
                          next_batch, state_events, timeline_events,
                          limited ? "true" : "false", prev_batch);
}

/* The timeline in one line: event ids, "gap:<token>", "echo:<state>". */
static char *
describe (MatrixTimeline *timeline)
{
  g_autoptr(GString) out = g_string_new (NULL);
  guint n = g_list_model_get_n_items (G_LIST_MODEL (timeline));

  for (guint i = 0; i < n; i++)
    {
      g_autoptr(MatrixTimelineItem) item = g_list_model_get_item (G_LIST_MODEL (timeline), i);
      static const char *states[] = { "none", "pending", "failed", "sent" };

      if (i > 0)
        g_string_append_c (out, ' ');
      switch (matrix_timeline_item_get_kind (item))
        {
        case MATRIX_TIMELINE_ITEM_EVENT:
          g_string_append (out, matrix_timeline_item_get_event_id (item));
          break;
        case MATRIX_TIMELINE_ITEM_GAP:
          g_string_append_printf (out, "gap:%s", matrix_timeline_item_get_gap_token (item));
          break;
        case MATRIX_TIMELINE_ITEM_LOCAL_ECHO:
          g_string_append_printf (out, "echo:%s", states[matrix_timeline_item_get_send_state (item)]);
          break;
        default:
          g_assert_not_reached ();
        }
    }

  return g_string_free (g_steal_pointer (&out), FALSE);
}

#define assert_timeline(timeline, expected) G_STMT_START { \
  g_autofree char *actual__ = describe (timeline);          \
  g_assert_cmpstr (actual__, ==, expected);                 \
} G_STMT_END

static MatrixTimeline *
room_timeline (Fixture *f)
{
  MatrixRoom *room = matrix_room_state_tracker_get_room (f->tracker, ROOM);

  g_assert_nonnull (room);
  return matrix_room_get_timeline (room);
}

static const char create_event[] =
  "{\"type\": \"m.room.create\", \"state_key\": \"\", \"sender\": \"@bob:example.org\","
  " \"event_id\": \"$create\", \"origin_server_ts\": 1000, \"content\": {}}";

/* Timeline: $create $m1; token "t1". */
static void
sync_room_start (Fixture *f)
{
  g_autofree char *m1 = message ("$m1", "one", 1001, NULL);
  g_autofree char *events = g_strconcat (create_event, ",", m1, NULL);
  g_autofree char *body = room_sync ("t1", "", events, FALSE, "p0");

  sync_once (f->server, f->client, NULL, body);
}

static void
test_excludes_state_section (Fixture       *f,
                             gconstpointer  data)
{
  g_autofree char *msg = message ("$msg", "hi", 2000, NULL);
  g_autofree char *timeline_events = g_strconcat (
    "{\"type\": \"m.room.member\", \"state_key\": \"@bob:example.org\", \"sender\": \"@bob:example.org\","
    " \"event_id\": \"$member\", \"origin_server_ts\": 1999, \"content\": {\"membership\": \"join\"}},",
    msg, NULL);
  g_autofree char *body = room_sync ("t1",
    "{\"type\": \"m.room.name\", \"state_key\": \"\", \"sender\": \"@bob:example.org\","
    " \"event_id\": \"$name\", \"origin_server_ts\": 1000, \"content\": {\"name\": \"Hall\"}},"
    "{\"type\": \"m.room.topic\", \"state_key\": \"\", \"sender\": \"@bob:example.org\","
    " \"event_id\": \"$topic\", \"origin_server_ts\": 1001, \"content\": {\"topic\": \"T\"}}",
    timeline_events, FALSE, "p1");
  MatrixTimeline *timeline;
  g_autoptr(MatrixTimelineItem) member = NULL;

  sync_once (f->server, f->client, NULL, body);
  timeline = room_timeline (f);

  /* The state section set the name but is not in the timeline; the member
   * event came in the timeline, so it is. Older history is a gap away. */
  g_assert_cmpstr (matrix_room_get_display_name (matrix_room_state_tracker_get_room (f->tracker, ROOM)),
                   ==, "Hall");
  assert_timeline (timeline, "gap:p1 $member $msg");
  g_assert_false (matrix_timeline_get_at_start (timeline));

  member = g_list_model_get_item (G_LIST_MODEL (timeline), 1);
  g_assert_true (MATRIX_IS_STATE_EVENT (matrix_timeline_item_get_event (member)));
  g_assert_cmpstr (matrix_timeline_item_get_event_type (member), ==, "m.room.member");
  g_assert_cmpstr (matrix_timeline_item_get_sender (member), ==, "@bob:example.org");
  g_assert_cmpint (matrix_timeline_item_get_origin_server_ts (member), ==, 1999);
  g_assert_cmpint (matrix_timeline_item_get_send_state (member), ==, MATRIX_SEND_STATE_NONE);
  g_assert_cmpstr (json_object_get_string_member (matrix_timeline_item_get_content (member),
                                                  "membership"), ==, "join");
}

static void
test_room_start (Fixture       *f,
                 gconstpointer  data)
{
  MatrixTimeline *timeline;

  sync_room_start (f);
  timeline = room_timeline (f);

  assert_timeline (timeline, "$create $m1");
  g_assert_true (matrix_timeline_get_at_start (timeline));
}

static void
test_limited_gap (Fixture       *f,
                  gconstpointer  data)
{
  g_autofree char *m5 = message ("$m5", "five", 1005, NULL);
  g_autofree char *m6 = message ("$m6", "six", 1006, NULL);
  g_autofree char *body = room_sync ("t2", "", m5, TRUE, "p2");
  g_autofree char *overlapping = g_strconcat (m5, ",", m6, NULL);
  g_autofree char *body2 = room_sync ("t3", "", overlapping, TRUE, "p3");
  g_autoptr(ItemsChangedRecorder) changes = NULL;
  MatrixTimeline *timeline;

  sync_room_start (f);
  timeline = room_timeline (f);
  changes = items_changed_recorder_new (G_LIST_MODEL (timeline));

  sync_once (f->server, f->client, "t1", body);
  assert_timeline (timeline, "$create $m1 gap:p2 $m5");
  items_changed_recorder_check (changes, "2,0,2");

  /* A limited batch that starts with an event we have misses nothing, and
   * that event is not shown twice. */
  sync_once (f->server, f->client, "t2", body2);
  assert_timeline (timeline, "$create $m1 gap:p2 $m5 $m6");
  items_changed_recorder_check (changes, "4,0,1");
}

static void
test_load_older_fills_gap (Fixture       *f,
                           gconstpointer  data)
{
  g_autofree char *m5 = message ("$m5", "five", 1005, NULL);
  g_autofree char *body = room_sync ("t2", "", m5, TRUE, "p2");
  g_autofree char *m4 = message ("$m4", "four", 1004, NULL);
  g_autofree char *m3 = message ("$m3", "three", 1003, NULL);
  g_autofree char *m2 = message ("$m2", "two", 1002, NULL);
  g_autofree char *m1 = message ("$m1", "one", 1001, NULL);
  g_autofree char *page1 = g_strdup_printf ("{\"chunk\": [%s, %s], \"start\": \"p2\", \"end\": \"p3\"}", m4, m3);
  g_autofree char *page2 = g_strdup_printf ("{\"chunk\": [%s, %s], \"start\": \"p3\", \"end\": \"p4\"}", m2, m1);
  g_autoptr(ItemsChangedRecorder) changes = NULL;
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  MatrixTimeline *timeline;
  FakeRequest *request;

  sync_room_start (f);
  sync_once (f->server, f->client, "t1", body);
  timeline = room_timeline (f);
  changes = items_changed_recorder_new (G_LIST_MODEL (timeline));
  assert_timeline (timeline, "$create $m1 gap:p2 $m5");

  fake_homeserver_queue_json (f->server, "GET", MESSAGES "?dir=b&from=p2&limit=2", 200, page1, FALSE);
  matrix_timeline_load_older_async (timeline, 2, NULL, store_result, &result);
  g_assert_true (matrix_timeline_get_loading (timeline));
  wait_for_pointer ((gpointer *) &result, 5000);
  g_assert_true (matrix_timeline_load_older_finish (timeline, result, &error));
  g_assert_no_error (error);
  g_assert_false (matrix_timeline_get_loading (timeline));

  request = fake_homeserver_get_last_request (f->server);
  g_assert_cmpstr (request->method, ==, "GET");
  g_assert_cmpstr (request->path, ==, "/_matrix/client/v3/rooms/" ROOM "/messages");
  g_assert_cmpstr (g_hash_table_lookup (request->query_params, "dir"), ==, "b");
  g_assert_cmpstr (g_hash_table_lookup (request->query_params, "from"), ==, "p2");

  /* Oldest first in the gap's place, below a gap for what is left. */
  assert_timeline (timeline, "$create $m1 gap:p3 $m3 $m4 $m5");
  items_changed_recorder_check (changes, "2,1,3");

  /* The next page reaches $m1, which is there already: the gap closes. */
  g_clear_object (&result);
  fake_homeserver_queue_json (f->server, "GET", MESSAGES "?dir=b&from=p3&limit=2", 200, page2, FALSE);
  matrix_timeline_load_older_async (timeline, 2, NULL, store_result, &result);
  wait_for_pointer ((gpointer *) &result, 5000);
  g_assert_true (matrix_timeline_load_older_finish (timeline, result, &error));

  assert_timeline (timeline, "$create $m1 $m2 $m3 $m4 $m5");
  items_changed_recorder_check (changes, "2,1,1");
  g_assert_true (matrix_timeline_get_at_start (timeline));

  /* Nothing left to load: no request. */
  g_clear_object (&result);
  matrix_timeline_load_older_async (timeline, 2, NULL, store_result, &result);
  wait_for_pointer ((gpointer *) &result, 5000);
  g_assert_true (matrix_timeline_load_older_finish (timeline, result, &error));
  g_assert_cmpuint (fake_homeserver_get_requests (f->server)->len, ==, 4);
}

static void
count_notify (GObject    *object,
              GParamSpec *pspec,
              guint      *counter)
{
  (*counter)++;
}

static void
test_load_older_reaches_start (Fixture       *f,
                               gconstpointer  data)
{
  g_autofree char *m3 = message ("$m3", "three", 1003, NULL);
  g_autofree char *body = room_sync ("t1", "", m3, TRUE, "p1");
  g_autofree char *m2 = message ("$m2", "two", 1002, NULL);
  g_autofree char *m1 = message ("$m1", "one", 1001, NULL);
  g_autofree char *page1 = g_strdup_printf ("{\"chunk\": [%s, %s], \"start\": \"p1\", \"end\": \"p2\"}", m2, m1);
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  MatrixTimeline *timeline;
  guint at_start_notified = 0;

  sync_once (f->server, f->client, NULL, body);
  timeline = room_timeline (f);
  assert_timeline (timeline, "gap:p1 $m3");

  fake_homeserver_queue_json (f->server, "GET", MESSAGES "?dir=b&from=p1&limit=50", 200, page1, FALSE);
  matrix_timeline_load_older_async (timeline, 0, NULL, store_result, &result);
  wait_for_pointer ((gpointer *) &result, 5000);
  g_assert_true (matrix_timeline_load_older_finish (timeline, result, &error));
  assert_timeline (timeline, "gap:p2 $m1 $m2 $m3");
  g_assert_false (matrix_timeline_get_at_start (timeline));

  /* An empty chunk without an `end`: that was the room's first event. */
  g_clear_object (&result);
  fake_homeserver_queue_json (f->server, "GET", MESSAGES "?dir=b&from=p2&limit=50", 200,
                              "{\"chunk\": [], \"start\": \"p2\"}", FALSE);
  g_signal_connect (timeline, "notify::at-start", G_CALLBACK (count_notify), &at_start_notified);
  matrix_timeline_load_older_async (timeline, 0, NULL, store_result, &result);
  wait_for_pointer ((gpointer *) &result, 5000);
  g_assert_true (matrix_timeline_load_older_finish (timeline, result, &error));
  g_assert_no_error (error);
  assert_timeline (timeline, "$m1 $m2 $m3");
  g_assert_true (matrix_timeline_get_at_start (timeline));
  g_assert_cmpuint (at_start_notified, ==, 1);
}

static void
test_load_older_reaches_create (Fixture       *f,
                                gconstpointer  data)
{
  g_autofree char *m3 = message ("$m3", "three", 1003, NULL);
  g_autofree char *body = room_sync ("t1", "", m3, TRUE, "p1");
  g_autofree char *m2 = message ("$m2", "two", 1002, NULL);
  g_autofree char *page = g_strdup_printf ("{\"chunk\": [%s, %s], \"start\": \"p1\", \"end\": \"p2\"}",
                                           m2, create_event);
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GAsyncResult) second = NULL;
  g_autoptr(GError) error = NULL;
  MatrixTimeline *timeline;

  sync_once (f->server, f->client, NULL, body);
  timeline = room_timeline (f);

  fake_homeserver_queue_json (f->server, "GET", MESSAGES "?dir=b&from=p1&limit=50", 200, page, FALSE);
  matrix_timeline_load_older_async (timeline, 0, NULL, store_result, &result);
  /* One load at a time. */
  matrix_timeline_load_older_async (timeline, 0, NULL, store_result, &second);
  wait_for_pointer ((gpointer *) &second, 5000);
  g_assert_false (matrix_timeline_load_older_finish (timeline, second, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_PENDING);
  g_clear_error (&error);

  wait_for_pointer ((gpointer *) &result, 5000);
  g_assert_true (matrix_timeline_load_older_finish (timeline, result, &error));
  /* The creation event is the start, whatever `end` says. */
  assert_timeline (timeline, "$create $m2 $m3");
  g_assert_true (matrix_timeline_get_at_start (timeline));
}

static void
test_load_older_error (Fixture       *f,
                       gconstpointer  data)
{
  g_autofree char *m3 = message ("$m3", "three", 1003, NULL);
  g_autofree char *body = room_sync ("t1", "", m3, TRUE, "p1");
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  MatrixTimeline *timeline;

  sync_once (f->server, f->client, NULL, body);
  timeline = room_timeline (f);

  fake_homeserver_queue_json (f->server, "GET", MESSAGES "?dir=b&from=p1&limit=50", 200,
                              "{\"chunk\": 3}", FALSE);
  matrix_timeline_load_older_async (timeline, 0, NULL, store_result, &result);
  wait_for_pointer ((gpointer *) &result, 5000);
  g_assert_false (matrix_timeline_load_older_finish (timeline, result, &error));
  g_assert_error (error, MATRIX_ERROR, MATRIX_ERROR_INVALID_RESPONSE);
  g_assert_false (matrix_timeline_get_loading (timeline));
  /* The gap stays, to be tried again. */
  assert_timeline (timeline, "gap:p1 $m3");
}

static void
test_load_older_invalid_end_token (Fixture       *f,
                                   gconstpointer  data)
{
  g_autofree char *m3 = message ("$m3", "three", 1003, NULL);
  g_autofree char *body = room_sync ("t1", "", m3, TRUE, "p1");
  g_autofree char *m2 = message ("$m2", "two", 1002, NULL);
  g_autofree char *long_token = g_strdup_printf ("%0*d", MATRIX_MAX_TOKEN_LENGTH + 1, 0);
  const char *tokens[] = { long_token, "a b", "p\\u0000q" };
  MatrixTimeline *timeline;

  sync_once (f->server, f->client, NULL, body);
  timeline = room_timeline (f);

  /* A gap holding any of these would fail every later load. */
  for (guint i = 0; i < G_N_ELEMENTS (tokens); i++)
    {
      g_autofree char *page = g_strdup_printf ("{\"chunk\": [%s], \"start\": \"p1\", \"end\": \"%s\"}",
                                               m2, tokens[i]);
      g_autoptr(GAsyncResult) result = NULL;
      g_autoptr(GError) error = NULL;

      fake_homeserver_queue_json (f->server, "GET", MESSAGES "?dir=b&from=p1&limit=50", 200, page,
                                  FALSE);
      matrix_timeline_load_older_async (timeline, 0, NULL, store_result, &result);
      wait_for_pointer ((gpointer *) &result, 5000);
      g_assert_false (matrix_timeline_load_older_finish (timeline, result, &error));
      g_assert_error (error, MATRIX_ERROR, MATRIX_ERROR_INVALID_RESPONSE);
      g_assert_nonnull (strstr (error->message, "messages.end"));
      assert_timeline (timeline, "gap:p1 $m3");
    }
}

static void
test_restore_drops_invalid_gap_token (Fixture       *f,
                                      gconstpointer  data)
{
  g_autofree char *m4 = message ("$m4", "four", 1004, NULL);
  g_autofree char *m5 = message ("$m5", "five", 1005, NULL);
  g_autofree char *events_json = g_strconcat ("[", m4, ",", m5, "]", NULL);
  g_autoptr(GPtrArray) events = events_from_json (ROOM, events_json);
  g_autoptr(JsonObject) data_ = NULL;
  g_autoptr(MatrixRoomStateTracker) tracker = NULL;
  MatrixRoom *room;

  /* A store written before gap tokens were checked. */
  data_ = _matrix_json_parse_object ("{\"membership\": \"join\", \"timeline_gaps\": ["
                                     "{\"token\": \"bad token\", \"before\": \"$m5\"},"
                                     "{\"token\": \"good\", \"before\": \"$m4\"}]}", -1, NULL);
  matrix_store_add_timeline_events (f->store, ROOM, events);
  matrix_store_set_room_data (f->store, ROOM, data_);

  g_test_expect_message ("matrix-timeline", G_LOG_LEVEL_WARNING, "*gap whose token cannot be sent back*");
  tracker = matrix_room_state_tracker_new (f->client);
  g_test_assert_expected_messages ();

  room = matrix_room_state_tracker_get_room (tracker, ROOM);
  g_assert_nonnull (room);
  assert_timeline (matrix_room_get_timeline (room), "gap:good $m4 $m5");
}

static JsonObject *
text_content (const char *body)
{
  JsonObject *content = json_object_new ();

  json_object_set_string_member (content, "msgtype", "m.text");
  json_object_set_string_member (content, "body", body);
  return content;
}

static MatrixTimelineItem *
last_item (MatrixTimeline *timeline)
{
  guint n = g_list_model_get_n_items (G_LIST_MODEL (timeline));

  return g_list_model_get_item (G_LIST_MODEL (timeline), n - 1);
}

/* The server's copy of our send, as a sync brings it to this device. */
static char *
own_copy (const char *event_id,
          const char *body,
          const char *txn_id)
{
  g_autofree char *unsigned_ = g_strdup_printf ("\"unsigned\": {\"transaction_id\": \"%s\"}", txn_id);

  return g_strdup_printf ("{\"type\": \"m.room.message\", \"sender\": \"@alice:example.org\","
                          " \"event_id\": \"%s\", \"origin_server_ts\": 5000,"
                          " \"content\": {\"msgtype\": \"m.text\", \"body\": \"%s\"}, %s}",
                          event_id, body, unsigned_);
}

static void
test_local_echo_put_first (Fixture       *f,
                           gconstpointer  data)
{
  g_autoptr(JsonObject) content = text_content ("hello");
  g_autoptr(MatrixTimelineItem) echo = NULL;
  g_autoptr(MatrixTimelineItem) replaced = NULL;
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(ItemsChangedRecorder) changes = NULL;
  g_autofree char *event_id = NULL;
  g_autofree char *copy = NULL;
  g_autofree char *other = message ("$other", "meanwhile", 4000, NULL);
  g_autofree char *events = NULL;
  g_autofree char *body = NULL;
  g_autofree char *txn_id = NULL;
  FakeRequest *request;
  MatrixTimeline *timeline;

  sync_room_start (f);
  timeline = room_timeline (f);
  changes = items_changed_recorder_new (G_LIST_MODEL (timeline));

  fake_homeserver_queue_json (f->server, "PUT", SEND "*", 200, "{\"event_id\": \"$sent\"}", FALSE);
  matrix_timeline_send_async (timeline, "m.room.message", content, NULL, store_result, &result);

  /* At once, before any answer. */
  assert_timeline (timeline, "$create $m1 echo:pending");
  items_changed_recorder_check (changes, "2,0,1");
  echo = last_item (timeline);
  g_assert_cmpint (matrix_timeline_item_get_kind (echo), ==, MATRIX_TIMELINE_ITEM_LOCAL_ECHO);
  g_assert_cmpstr (matrix_timeline_item_get_sender (echo), ==, "@alice:example.org");
  g_assert_cmpstr (matrix_timeline_item_get_event_type (echo), ==, "m.room.message");
  g_assert_true (matrix_timeline_item_get_content (echo) == content);
  g_assert_null (matrix_timeline_item_get_event (echo));
  g_assert_cmpint (matrix_timeline_item_get_origin_server_ts (echo), >, 0);
  txn_id = g_strdup (matrix_timeline_item_get_transaction_id (echo));
  g_assert_nonnull (txn_id);
  {
    /* The same through properties, as a view binds them. */
    MatrixTimelineItemKind kind;
    MatrixSendState state;
    g_autofree char *prop_txn_id = NULL;
    g_autofree char *prop_sender = NULL;
    g_autoptr(MatrixEvent) prop_event = NULL;

    g_object_get (echo, "kind", &kind, "send-state", &state, "transaction-id", &prop_txn_id,
                  "sender", &prop_sender, "event", &prop_event, NULL);
    g_assert_cmpint (kind, ==, MATRIX_TIMELINE_ITEM_LOCAL_ECHO);
    g_assert_cmpint (state, ==, MATRIX_SEND_STATE_PENDING);
    g_assert_cmpstr (prop_txn_id, ==, txn_id);
    g_assert_cmpstr (prop_sender, ==, "@alice:example.org");
    g_assert_null (prop_event);
  }

  wait_for_pointer ((gpointer *) &result, 5000);
  event_id = matrix_timeline_send_finish (timeline, result, NULL);
  g_assert_cmpstr (event_id, ==, "$sent");
  request = fake_homeserver_get_last_request (f->server);
  g_assert_true (g_str_has_prefix (request->path, "/_matrix/client/v3/rooms/" ROOM "/send/m.room.message/"));
  g_assert_true (g_str_has_suffix (request->path, txn_id));
  assert_timeline (timeline, "$create $m1 echo:sent");

  /* Someone else's message arrives with ours: it goes before our echo, and
   * the echo becomes the server's copy where it stands. */
  copy = own_copy ("$sent", "hello", txn_id);
  events = g_strconcat (other, ",", copy, NULL);
  body = room_sync ("t2", "", events, FALSE, "p1");
  sync_once (f->server, f->client, "t1", body);

  assert_timeline (timeline, "$create $m1 $other $sent");
  items_changed_recorder_check (changes, "2,0,1 3,1,1");
  replaced = last_item (timeline);
  g_assert_cmpint (matrix_timeline_item_get_kind (replaced), ==, MATRIX_TIMELINE_ITEM_EVENT);
  g_assert_cmpstr (matrix_timeline_item_get_transaction_id (replaced), ==, txn_id);
  g_assert_cmpint (matrix_timeline_item_get_send_state (replaced), ==, MATRIX_SEND_STATE_NONE);

  /* The same event again (e.g. a repeated sync): still once. */
  g_free (body);
  body = room_sync ("t3", "", copy, FALSE, "p2");
  sync_once (f->server, f->client, "t2", body);
  assert_timeline (timeline, "$create $m1 $other $sent");
}

static void
test_local_echo_sync_first (Fixture       *f,
                            gconstpointer  data)
{
  g_autoptr(JsonObject) content = text_content ("quick");
  g_autoptr(MatrixTimelineItem) echo = NULL;
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(ItemsChangedRecorder) changes = NULL;
  g_autofree char *event_id = NULL;
  g_autofree char *copy = NULL;
  g_autofree char *body = NULL;
  MatrixTimeline *timeline;

  sync_room_start (f);
  timeline = room_timeline (f);
  changes = items_changed_recorder_new (G_LIST_MODEL (timeline));

  fake_homeserver_queue_held (f->server, "PUT", SEND "*", 200, "application/json",
                              "{\"event_id\": \"$quick\"}");
  matrix_timeline_send_async (timeline, "m.room.message", content, NULL, store_result, &result);
  echo = last_item (timeline);
  fake_homeserver_wait_for_requests (f->server, 2, 5000);

  copy = own_copy ("$quick", "quick", matrix_timeline_item_get_transaction_id (echo));
  body = room_sync ("t2", "", copy, FALSE, "p1");
  sync_once (f->server, f->client, "t1", body);
  assert_timeline (timeline, "$create $m1 $quick");

  g_assert_cmpuint (fake_homeserver_release (f->server), ==, 1);
  wait_for_pointer ((gpointer *) &result, 5000);
  event_id = matrix_timeline_send_finish (timeline, result, NULL);
  g_assert_cmpstr (event_id, ==, "$quick");

  /* No duplicate, and nothing changed once the PUT answered. */
  assert_timeline (timeline, "$create $m1 $quick");
  items_changed_recorder_check (changes, "2,0,1 2,1,1");
  /* The echo the model dropped keeps its last state. */
  g_assert_cmpint (matrix_timeline_item_get_send_state (echo), ==, MATRIX_SEND_STATE_PENDING);
}

static void
test_local_echo_out_of_order (Fixture       *f,
                              gconstpointer  data)
{
  g_autoptr(JsonObject) content = text_content ("x");
  g_autoptr(MatrixTimelineItem) echo1 = NULL;
  g_autoptr(MatrixTimelineItem) echo2 = NULL;
  g_autoptr(ItemsChangedRecorder) changes = NULL;
  g_autofree char *copy1 = NULL;
  g_autofree char *copy2 = NULL;
  g_autofree char *body1 = NULL;
  g_autofree char *body2 = NULL;
  GAsyncResult *result1 = NULL, *result2 = NULL;
  MatrixTimeline *timeline;

  sync_room_start (f);
  timeline = room_timeline (f);

  fake_homeserver_queue_json (f->server, "PUT", SEND "*", 200, "{\"event_id\": \"$e1\"}", FALSE);
  fake_homeserver_queue_json (f->server, "PUT", SEND "*", 200, "{\"event_id\": \"$e2\"}", FALSE);
  matrix_timeline_send_async (timeline, "m.room.message", content, NULL, store_result, &result1);
  echo1 = last_item (timeline);
  matrix_timeline_send_async (timeline, "m.room.message", content, NULL, store_result, &result2);
  echo2 = last_item (timeline);
  wait_for_pointer ((gpointer *) &result1, 5000);
  wait_for_pointer ((gpointer *) &result2, 5000);
  g_clear_object (&result1);
  g_clear_object (&result2);
  assert_timeline (timeline, "$create $m1 echo:sent echo:sent");
  changes = items_changed_recorder_new (G_LIST_MODEL (timeline));

  /* The second send comes down first: it takes its place before the echo
   * still waiting. The event id the PUT returned is enough to match it. */
  copy2 = message ("$e2", "x", 6000, NULL);
  body1 = room_sync ("t2", "", copy2, FALSE, "p1");
  sync_once (f->server, f->client, "t1", body1);
  assert_timeline (timeline, "$create $m1 $e2 echo:sent");
  items_changed_recorder_check (changes, "2,2,2");

  copy1 = own_copy ("$e1", "x", matrix_timeline_item_get_transaction_id (echo1));
  body2 = room_sync ("t3", "", copy1, FALSE, "p2");
  sync_once (f->server, f->client, "t2", body2);
  assert_timeline (timeline, "$create $m1 $e2 $e1");
  items_changed_recorder_check (changes, "3,1,1");
}

static void
test_local_echo_failure_retry (Fixture       *f,
                               gconstpointer  data)
{
  g_autoptr(JsonObject) content = text_content ("flaky");
  g_autoptr(MatrixTimelineItem) echo = NULL;
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *event_id = NULL;
  g_autofree char *first_path = NULL;
  guint n_state_changes = 0;
  GPtrArray *requests;
  MatrixTimeline *timeline;

  sync_room_start (f);
  timeline = room_timeline (f);

  fake_homeserver_queue_json (f->server, "PUT", SEND "*", 500,
                              "{\"errcode\": \"M_UNKNOWN\", \"error\": \"boom\"}", FALSE);
  fake_homeserver_queue_json (f->server, "PUT", SEND "*", 200, "{\"event_id\": \"$flaky\"}", FALSE);

  matrix_timeline_send_async (timeline, "m.room.message", content, NULL, store_result, &result);
  echo = last_item (timeline);
  wait_for_pointer ((gpointer *) &result, 5000);
  event_id = matrix_timeline_send_finish (timeline, result, &error);
  g_assert_null (event_id);
  g_assert_error (error, MATRIX_ERROR, MATRIX_ERROR_SERVER);
  g_assert_cmpint (matrix_timeline_item_get_send_state (echo), ==, MATRIX_SEND_STATE_FAILED);
  g_assert_nonnull (matrix_timeline_item_get_send_error (echo));
  assert_timeline (timeline, "$create $m1 echo:failed");

  matrix_timeline_retry (timeline, echo);
  g_assert_cmpint (matrix_timeline_item_get_send_state (echo), ==, MATRIX_SEND_STATE_PENDING);
  g_signal_connect (echo, "notify::send-state", G_CALLBACK (count_notify), &n_state_changes);
  wait_for_count (&n_state_changes, 1, 5000);
  g_assert_cmpint (matrix_timeline_item_get_send_state (echo), ==, MATRIX_SEND_STATE_SENT);
  g_assert_null (matrix_timeline_item_get_send_error (echo));

  /* Both attempts used the same transaction id. */
  requests = fake_homeserver_get_requests (f->server);
  g_assert_cmpuint (requests->len, ==, 3);
  first_path = g_strdup (((FakeRequest *) g_ptr_array_index (requests, 1))->path);
  g_assert_true (g_str_has_suffix (first_path, matrix_timeline_item_get_transaction_id (echo)));
  g_assert_cmpstr (((FakeRequest *) g_ptr_array_index (requests, 2))->path, ==, first_path);
  assert_timeline (timeline, "$create $m1 echo:sent");
}

static guint
count_puts (FakeHomeserver *server)
{
  GPtrArray *requests = fake_homeserver_get_requests (server);
  guint n = 0;

  for (guint i = 0; i < requests->len; i++)
    n += g_str_equal (((FakeRequest *) g_ptr_array_index (requests, i))->method, "PUT");
  return n;
}

static const char encryption_event[] =
  "{\"type\": \"m.room.encryption\", \"state_key\": \"\", \"sender\": \"@bob:example.org\","
  " \"event_id\": \"$encryption\", \"origin_server_ts\": 3000,"
  " \"content\": {\"algorithm\": \"m.megolm.v1.aes-sha2\"}}";

/* A room that turns encryption on while open: the room says so, and a
 * message is refused with no echo and no request. */
static void
test_send_encrypted_refused (Fixture       *f,
                             gconstpointer  data)
{
  g_autoptr(JsonObject) content = text_content ("a secret");
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *body = room_sync ("t2", "", encryption_event, FALSE, "p1");
  g_autofree char *event_id = NULL;
  guint n_notified = 0;
  MatrixTimeline *timeline;
  MatrixRoom *room;
  guint n_requests;

  sync_room_start (f);
  room = matrix_room_state_tracker_get_room (f->tracker, ROOM);
  timeline = room_timeline (f);
  g_assert_false (matrix_room_get_encrypted (room));
  g_signal_connect (room, "notify::encrypted", G_CALLBACK (count_notify), &n_notified);

  sync_once (f->server, f->client, "t1", body);
  g_assert_true (matrix_room_get_encrypted (room));
  g_assert_cmpuint (n_notified, ==, 1);
  assert_timeline (timeline, "$create $m1 $encryption");
  n_requests = fake_homeserver_get_requests (f->server)->len;

  matrix_timeline_send_async (timeline, "m.room.message", content, NULL, store_result, &result);
  wait_for_pointer ((gpointer *) &result, 5000);
  event_id = matrix_timeline_send_finish (timeline, result, &error);
  g_assert_null (event_id);
  g_assert_error (error, MATRIX_ERROR, MATRIX_ERROR_ROOM_ENCRYPTED);
  assert_timeline (timeline, "$create $m1 $encryption");
  iterate_for (50);
  g_assert_cmpuint (fake_homeserver_get_requests (f->server)->len, ==, n_requests);
}

/* An echo that failed before the room turned encryption on is not sent
 * in the clear by a retry. */
static void
test_retry_refused_once_encrypted (Fixture       *f,
                                   gconstpointer  data)
{
  g_autoptr(JsonObject) content = text_content ("typed before");
  g_autoptr(MatrixTimelineItem) echo = NULL;
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *body = room_sync ("t2", "", encryption_event, FALSE, "p1");
  g_autofree char *event_id = NULL;
  guint n_state_changes = 0;
  MatrixTimeline *timeline;

  sync_room_start (f);
  timeline = room_timeline (f);

  fake_homeserver_queue_json (f->server, "PUT", SEND "*", 500,
                              "{\"errcode\": \"M_UNKNOWN\", \"error\": \"boom\"}", FALSE);
  matrix_timeline_send_async (timeline, "m.room.message", content, NULL, store_result, &result);
  echo = last_item (timeline);
  wait_for_pointer ((gpointer *) &result, 5000);
  event_id = matrix_timeline_send_finish (timeline, result, &error);
  g_assert_error (error, MATRIX_ERROR, MATRIX_ERROR_SERVER);
  g_assert_cmpuint (count_puts (f->server), ==, 1);

  sync_once (f->server, f->client, "t1", body);
  assert_timeline (timeline, "$create $m1 $encryption echo:failed");

  g_signal_connect (echo, "notify::send-state", G_CALLBACK (count_notify), &n_state_changes);
  matrix_timeline_retry (timeline, echo);
  wait_for_count (&n_state_changes, 2, 5000);
  g_assert_cmpint (matrix_timeline_item_get_send_state (echo), ==, MATRIX_SEND_STATE_FAILED);
  g_assert_error ((GError *) matrix_timeline_item_get_send_error (echo), MATRIX_ERROR,
                  MATRIX_ERROR_ROOM_ENCRYPTED);
  g_assert_cmpuint (count_puts (f->server), ==, 1);
}

/* An m.room.redaction of @redacts; @in_content for room version 11, where
 * `redacts` moved into the content. */
static char *
redaction (const char *event_id,
           const char *redacts,
           gboolean    in_content)
{
  return g_strdup_printf ("{\"type\": \"m.room.redaction\", \"sender\": \"@bob:example.org\","
                          " \"event_id\": \"%s\", \"origin_server_ts\": 2000, %s\"%s\"%s}",
                          event_id, in_content ? "\"content\": {\"redacts\": " : "\"content\": {}, \"redacts\": ",
                          redacts, in_content ? "}" : "");
}

static void
test_redaction (Fixture       *f,
                gconstpointer  data)
{
  g_autofree char *m2 = message ("$m2", "two", 1002, NULL);
  g_autofree char *m3 = message ("$m3", "secret", 1003, NULL);
  g_autofree char *r1 = redaction ("$r1", "$m3", FALSE);
  g_autofree char *r2 = redaction ("$r2", "$m1", TRUE);
  g_autofree char *r_unknown = redaction ("$r3", "$never-seen", FALSE);
  g_autofree char *events = g_strconcat (m2, ",", m3, NULL);
  g_autofree char *body = room_sync ("t2", "", events, FALSE, "p1");
  g_autofree char *redactions = g_strconcat (r1, ",", r2, ",", r_unknown, NULL);
  g_autofree char *body2 = room_sync ("t3", "", redactions, FALSE, "p2");
  g_autoptr(ItemsChangedRecorder) changes = NULL;
  g_autoptr(GPtrArray) cached = NULL;
  MatrixTimeline *timeline;
  MatrixRoom *room;
  MatrixEvent *event;

  sync_room_start (f);
  sync_once (f->server, f->client, "t1", body);
  timeline = room_timeline (f);
  room = matrix_room_state_tracker_get_room (f->tracker, ROOM);
  assert_timeline (timeline, "$create $m1 $m2 $m3");
  g_assert_cmpstr (matrix_room_get_last_message (room), ==, "@bob:example.org: secret");

  /* The redactions are not shown; the events they name lose their content in
   * place (in either room version's form), and one never seen changes nothing. */
  changes = items_changed_recorder_new (G_LIST_MODEL (timeline));
  sync_once (f->server, f->client, "t2", body2);
  assert_timeline (timeline, "$create $m1 $m2 $m3");
  items_changed_recorder_check (changes, "3,1,1 1,1,1");

  event = _matrix_timeline_lookup_event (timeline, "$m3");
  g_assert_true (matrix_event_is_redacted (event));
  g_assert_null (matrix_event_get_content_string (event, "body"));
  g_assert_cmpuint (json_object_get_size (matrix_event_get_content (event)), ==, 0);
  g_assert_true (matrix_event_is_redacted (_matrix_timeline_lookup_event (timeline, "$m1")));
  g_assert_false (matrix_event_is_redacted (_matrix_timeline_lookup_event (timeline, "$m2")));

  /* The room list no longer shows the deleted text. */
  g_assert_cmpstr (matrix_room_get_last_message (room), ==, "@bob:example.org: two");

  /* The store keeps the redacted copies, for the next start. */
  cached = matrix_store_get_timeline_events (f->store, ROOM);
  for (guint i = 0; i < cached->len; i++)
    {
      MatrixEvent *e = g_ptr_array_index (cached, i);
      const char *id = matrix_event_get_event_id (e);

      g_assert_cmpint (matrix_event_is_redacted (e), ==,
                       g_str_equal (id, "$m1") || g_str_equal (id, "$m3"));
      g_assert_cmpstr (matrix_event_get_content_string (e, "body"), !=, "secret");
    }
}

/* History loaded with /messages holds the redactions of what was deleted
 * before the room was opened: they are not shown (the server sends the
 * messages they name already redacted, which then show once), and one that
 * names an event the timeline has from before the gap redacts it. */
static void
test_load_older_redactions (Fixture       *f,
                            gconstpointer  data)
{
  g_autofree char *m5 = message ("$m5", "five", 1005, NULL);
  g_autofree char *body = room_sync ("t2", "", m5, TRUE, "p2");
  g_autofree char *r4 = redaction ("$r4", "$m3", FALSE);
  g_autofree char *m3 = g_strdup_printf (
    "{\"type\": \"m.room.message\", \"sender\": \"@bob:example.org\", \"event_id\": \"$m3\","
    " \"origin_server_ts\": 1003, \"content\": {}, \"unsigned\": {\"redacted_because\": %s}}", r4);
  g_autofree char *r2 = redaction ("$r2", "$m1", TRUE);
  g_autofree char *m2 = message ("$m2", "two", 1002, NULL);
  g_autofree char *m1 = message ("$m1", "one", 1001, NULL);
  g_autofree char *page = g_strdup_printf ("{\"chunk\": [%s, %s, %s, %s, %s], \"start\": \"p2\", \"end\": \"p3\"}",
                                           r4, m3, r2, m2, m1);
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) cached = NULL;
  MatrixTimeline *timeline;

  sync_room_start (f);
  sync_once (f->server, f->client, "t1", body);
  timeline = room_timeline (f);
  assert_timeline (timeline, "$create $m1 gap:p2 $m5");

  fake_homeserver_queue_json (f->server, "GET", MESSAGES "?dir=b&from=p2&limit=5", 200, page, FALSE);
  matrix_timeline_load_older_async (timeline, 5, NULL, store_result, &result);
  wait_for_pointer ((gpointer *) &result, 5000);
  g_assert_true (matrix_timeline_load_older_finish (timeline, result, &error));
  g_assert_no_error (error);

  assert_timeline (timeline, "$create $m1 $m2 $m3 $m5");
  g_assert_true (matrix_event_is_redacted (_matrix_timeline_lookup_event (timeline, "$m3")));
  g_assert_true (matrix_event_is_redacted (_matrix_timeline_lookup_event (timeline, "$m1")));
  g_assert_false (matrix_event_is_redacted (_matrix_timeline_lookup_event (timeline, "$m2")));

  /* The cached copy is redacted too, for the next start. */
  cached = matrix_store_get_timeline_events (f->store, ROOM);
  for (guint i = 0; i < cached->len; i++)
    g_assert_cmpstr (matrix_event_get_content_string (g_ptr_array_index (cached, i), "body"), !=, "one");
}

static guint
count_pending_sends (MatrixStore *store)
{
  g_autoptr(GPtrArray) sends = matrix_store_get_pending_sends (store, ROOM);

  return sends->len;
}

static gboolean
echo_settled (gpointer data)
{
  MatrixSendState state = matrix_timeline_item_get_send_state (data);

  return state == MATRIX_SEND_STATE_SENT || state == MATRIX_SEND_STATE_FAILED;
}

static gboolean
echo_sent (gpointer data)
{
  return matrix_timeline_item_get_send_state (data) == MATRIX_SEND_STATE_SENT;
}

#define wait_until(check, data, timeout_ms, what) \
  g_assert_true (test_iterate_until ((check), (data), (timeout_ms)) || (g_printerr ("%s\n", (what)), FALSE))

/* A message that could not be sent is kept in the store; after a restart it
 * shows again and is sent with the same transaction id, and the store lets
 * go of it once the server's copy comes. */
static void
test_local_echo_survives_restart (Fixture       *f,
                                  gconstpointer  data)
{
  g_autoptr(JsonObject) content = text_content ("typed offline");
  g_autoptr(MatrixTimelineItem) echo = NULL;
  g_autoptr(MatrixTimelineItem) restored = NULL;
  g_autofree char *txn_id = NULL;
  g_autofree char *copy = NULL;
  g_autofree char *body = NULL;
  FakeRequest *request;
  MatrixTimeline *timeline;

  sync_room_start (f);
  timeline = room_timeline (f);

  fake_homeserver_queue_json (f->server, "PUT", SEND "*", 502, "{}", FALSE);
  matrix_timeline_send_async (timeline, "m.room.message", content, NULL, NULL, NULL);
  echo = last_item (timeline);
  txn_id = g_strdup (matrix_timeline_item_get_transaction_id (echo));
  g_assert_cmpuint (count_pending_sends (f->store), ==, 1);
  wait_until (echo_settled, echo, 5000, "the send failed");
  assert_timeline (timeline, "$create $m1 echo:failed");
  g_clear_object (&echo);

  /* Quit, and start again on the same store. */
  matrix_client_stop_sync (f->client);
  iterate_for (20);
  g_clear_object (&f->tracker);
  g_assert_finalize_object (g_steal_pointer (&f->client));
  fake_homeserver_queue_json (f->server, "PUT", SEND "*", 200, "{\"event_id\": \"$late\"}", FALSE);
  f->client = matrix_client_new (fake_homeserver_get_url (f->server), f->store);
  f->tracker = matrix_room_state_tracker_new (f->client);
  timeline = room_timeline (f);

  assert_timeline (timeline, "$create $m1 echo:pending");
  restored = last_item (timeline);
  g_assert_cmpstr (matrix_timeline_item_get_transaction_id (restored), ==, txn_id);
  g_assert_cmpstr (json_object_get_string_member (matrix_timeline_item_get_content (restored), "body"),
                   ==, "typed offline");
  wait_until (echo_settled, restored, 5000, "the send was answered");
  assert_timeline (timeline, "$create $m1 echo:sent");
  request = fake_homeserver_get_last_request (f->server);
  g_assert_true (g_str_has_suffix (request->path, txn_id));
  /* Sent, but kept until the sync brings it: a quit now must not lose it. */
  g_assert_cmpuint (count_pending_sends (f->store), ==, 1);

  copy = own_copy ("$late", "typed offline", txn_id);
  body = room_sync ("t2", "", copy, FALSE, "p1");
  sync_once (f->server, f->client, "t1", body);
  assert_timeline (timeline, "$create $m1 $late");
  g_assert_cmpuint (count_pending_sends (f->store), ==, 0);
}

/* "Not sent" does not wait for Retry: when the sync comes back after a
 * failure, what failed is sent again, with its transaction id. */
static void
test_local_echo_retried_when_sync_resumes (Fixture       *f,
                                           gconstpointer  data)
{
  g_autoptr(JsonObject) content = text_content ("while down");
  g_autoptr(MatrixTimelineItem) echo = NULL;
  FakeClock *clock = fake_clock_new (f->client);
  g_autofree char *body = room_sync ("t2", "", "", FALSE, "p1");
  g_autofree char *txn_id = NULL;
  GPtrArray *requests;
  guint n_puts = 0;
  MatrixTimeline *timeline;

  sync_room_start (f);
  timeline = room_timeline (f);

  fake_homeserver_queue_json (f->server, "PUT", SEND "*", 502, "{}", FALSE);
  matrix_timeline_send_async (timeline, "m.room.message", content, NULL, NULL, NULL);
  echo = last_item (timeline);
  txn_id = g_strdup (matrix_timeline_item_get_transaction_id (echo));
  wait_until (echo_settled, echo, 5000, "the send failed");
  g_assert_cmpint (matrix_timeline_item_get_send_state (echo), ==, MATRIX_SEND_STATE_FAILED);

  /* The server is down for one sync, then back. */
  fake_homeserver_queue_json (f->server, "GET", "/_matrix/client/v3/sync?since=t1&timeout=30000",
                              502, "{}", FALSE);
  fake_homeserver_queue_json (f->server, "GET", "/_matrix/client/v3/sync?timeout=0&since=t1",
                              200, body, FALSE);
  fake_homeserver_queue_held (f->server, "GET", "/_matrix/client/v3/sync?since=t2&timeout=30000", 200,
                              "application/json", "{\"next_batch\": \"t2\"}");
  fake_homeserver_queue_json (f->server, "PUT", SEND "*", 200, "{\"event_id\": \"$back\"}", FALSE);
  matrix_client_start_sync (f->client);
  wait_until (echo_sent, echo, 5000, "the send was sent again");
  g_assert_cmpint (matrix_timeline_item_get_send_state (echo), ==, MATRIX_SEND_STATE_SENT);
  requests = fake_homeserver_get_requests (f->server);
  for (guint i = 0; i < requests->len; i++)
    {
      FakeRequest *request = g_ptr_array_index (requests, i);

      if (g_str_equal (request->method, "PUT"))
        {
          g_assert_true (g_str_has_suffix (request->path, txn_id));
          n_puts++;
        }
    }
  g_assert_cmpuint (n_puts, ==, 2);

  matrix_client_stop_sync (f->client);
  iterate_for (20);
  fake_clock_free (clock);
}

/* A message given up leaves the timeline and the store. */
static void
test_local_echo_discard (Fixture       *f,
                         gconstpointer  data)
{
  g_autoptr(JsonObject) content = text_content ("never mind");
  g_autoptr(MatrixTimelineItem) echo = NULL;
  MatrixTimeline *timeline;

  sync_room_start (f);
  timeline = room_timeline (f);

  fake_homeserver_queue_json (f->server, "PUT", SEND "*", 502, "{}", FALSE);
  matrix_timeline_send_async (timeline, "m.room.message", content, NULL, NULL, NULL);
  echo = last_item (timeline);
  wait_until (echo_settled, echo, 5000, "the send failed");
  g_assert_cmpuint (count_pending_sends (f->store), ==, 1);

  matrix_timeline_discard (timeline, echo);
  assert_timeline (timeline, "$create $m1");
  g_assert_cmpuint (count_pending_sends (f->store), ==, 0);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add ("/matrix/timeline/excludes-state-section", Fixture, NULL, fixture_setup,
              test_excludes_state_section, fixture_teardown);
  g_test_add ("/matrix/timeline/redaction-removes-content", Fixture, NULL, fixture_setup,
              test_redaction, fixture_teardown);
  g_test_add ("/matrix/timeline/room-start", Fixture, NULL, fixture_setup,
              test_room_start, fixture_teardown);
  g_test_add ("/matrix/timeline/limited-sync-leaves-gap", Fixture, NULL, fixture_setup,
              test_limited_gap, fixture_teardown);
  g_test_add ("/matrix/timeline/load-older/fills-gap", Fixture, NULL, fixture_setup,
              test_load_older_fills_gap, fixture_teardown);
  g_test_add ("/matrix/timeline/load-older/reaches-start", Fixture, NULL, fixture_setup,
              test_load_older_reaches_start, fixture_teardown);
  g_test_add ("/matrix/timeline/load-older/reaches-create", Fixture, NULL, fixture_setup,
              test_load_older_reaches_create, fixture_teardown);
  g_test_add ("/matrix/timeline/load-older/redactions-not-shown", Fixture, NULL, fixture_setup,
              test_load_older_redactions, fixture_teardown);
  g_test_add ("/matrix/timeline/load-older/invalid-response", Fixture, NULL, fixture_setup,
              test_load_older_error, fixture_teardown);
  g_test_add ("/matrix/timeline/load-older/invalid-end-token-refused", Fixture, NULL,
              fixture_setup, test_load_older_invalid_end_token, fixture_teardown);
  g_test_add ("/matrix/timeline/restore/invalid-gap-token-left-out", Fixture, NULL, fixture_setup,
              test_restore_drops_invalid_gap_token, fixture_teardown);
  g_test_add ("/matrix/timeline/local-echo/replaced-after-put", Fixture, NULL, fixture_setup,
              test_local_echo_put_first, fixture_teardown);
  g_test_add ("/matrix/timeline/local-echo/replaced-before-put", Fixture, NULL, fixture_setup,
              test_local_echo_sync_first, fixture_teardown);
  g_test_add ("/matrix/timeline/local-echo/out-of-order", Fixture, NULL, fixture_setup,
              test_local_echo_out_of_order, fixture_teardown);
  g_test_add ("/matrix/timeline/send/encrypted-room-refused", Fixture, NULL, fixture_setup,
              test_send_encrypted_refused, fixture_teardown);
  g_test_add ("/matrix/timeline/local-echo/retry-refused-once-encrypted", Fixture, NULL,
              fixture_setup, test_retry_refused_once_encrypted, fixture_teardown);
  g_test_add ("/matrix/timeline/local-echo/survives-restart", Fixture, NULL, fixture_setup,
              test_local_echo_survives_restart, fixture_teardown);
  g_test_add ("/matrix/timeline/local-echo/retried-when-sync-resumes", Fixture, NULL, fixture_setup,
              test_local_echo_retried_when_sync_resumes, fixture_teardown);
  g_test_add ("/matrix/timeline/local-echo/discard", Fixture, NULL, fixture_setup,
              test_local_echo_discard, fixture_teardown);
  g_test_add ("/matrix/timeline/local-echo/failure-retry-same-txn", Fixture, NULL, fixture_setup,
              test_local_echo_failure_retry, fixture_teardown);

  return g_test_run ();
}
