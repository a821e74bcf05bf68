/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "test-matrix-timeline-relations"

#include "matrix-timeline-private.h"
#include "test-utils.h"

/* What the library sends (each content checked as the fake homeserver got
 * it, against the spec's examples) and how relations between events show:
 * replies, edits, reactions, threads, redactions of them. */

#define ROOM "!room:example.org"
#define ROOM_PATH "/_matrix/client/v3/rooms/%21room%3Aexample.org"
#define ME "@alice:example.org"
#define BOB "@bob:example.org"

typedef struct {
  FakeHomeserver         *server;
  MatrixStore            *store;
  MatrixClient           *client;
  MatrixRoomStateTracker *tracker;
  char                   *since;
  guint                   n_syncs;
} Fixture;

static void
fixture_setup (Fixture       *f,
               gconstpointer  data)
{
  f->server = fake_homeserver_new ();
  f->store = logged_in_store_new ();
  f->client = matrix_client_new (fake_homeserver_get_url (f->server), f->store);
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
  g_free (f->since);
}

/* One event's JSON. @content is a JSON object text; @extra (or NULL) more
 * members, such as "unsigned". */
static char *
event (const char *event_id,
       const char *sender,
       const char *type,
       gint64      ts,
       const char *content,
       const char *extra)
{
  return g_strdup_printf ("{\"type\": \"%s\", \"sender\": \"%s\", \"event_id\": \"%s\","
                          " \"origin_server_ts\": %" G_GINT64_FORMAT ", \"content\": %s%s%s}",
                          type, sender, event_id, ts, content, extra ? ", " : "", extra ? extra : "");
}

static char *
text (const char *event_id,
      const char *sender,
      gint64      ts,
      const char *body)
{
  g_autofree char *content = g_strdup_printf ("{\"msgtype\": \"m.text\", \"body\": \"%s\"}", body);

  return event (event_id, sender, "m.room.message", ts, content, NULL);
}

/* Feeds one sync with @events (a JSON array's inside) to the room. */
static void
sync_events (Fixture    *f,
             const char *events)
{
  g_autofree char *next = g_strdup_printf ("t%u", ++f->n_syncs);
  g_autofree char *body =
    g_strdup_printf ("{\"next_batch\": \"%s\", \"rooms\": {\"join\": {\"" ROOM "\": {"
                     "\"timeline\": {\"events\": [%s], \"limited\": false, \"prev_batch\": \"p%u\"}}}}}",
                     next, events, f->n_syncs);

  sync_once (f->server, f->client, f->since, body);
  g_free (f->since);
  f->since = g_steal_pointer (&next);
}

static const char create_event[] =
  "{\"type\": \"m.room.create\", \"state_key\": \"\", \"sender\": \"@bob:example.org\","
  " \"event_id\": \"$create\", \"origin_server_ts\": 1000, \"content\": {}}";

static MatrixTimeline *
room_timeline (Fixture *f)
{
  MatrixRoom *room = matrix_room_state_tracker_get_room (f->tracker, ROOM);

  g_assert_nonnull (room);
  return matrix_room_get_timeline (room);
}

/* The room starts: $create, then Bob's $m1 "one". */
static MatrixTimeline *
start_room (Fixture *f)
{
  g_autofree char *m1 = text ("$m1", BOB, 1001, "one");
  g_autofree char *events = g_strconcat (create_event, ",", m1, NULL);

  sync_events (f, events);
  return room_timeline (f);
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

static MatrixTimelineItem *
find_item (MatrixTimeline *timeline,
           const char     *event_id)
{
  guint n = g_list_model_get_n_items (G_LIST_MODEL (timeline));

  for (guint i = 0; i < n; i++)
    {
      g_autoptr(MatrixTimelineItem) item = g_list_model_get_item (G_LIST_MODEL (timeline), i);

      if (g_strcmp0 (matrix_timeline_item_get_event_id (item), event_id) == 0)
        return item;  /* the timeline keeps it */
    }
  g_assert_not_reached ();
}

static MatrixTimelineItem *
last_item (MatrixTimeline *timeline)
{
  guint n = g_list_model_get_n_items (G_LIST_MODEL (timeline));
  g_autoptr(MatrixTimelineItem) item = g_list_model_get_item (G_LIST_MODEL (timeline), n - 1);

  return item;
}

static void
assert_json (JsonNode   *actual,
             const char *expected_text)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) expected = json_from_string (expected_text, &error);

  g_assert_no_error (error);
  if (!json_node_equal (actual, expected))
    {
      g_autofree char *actual_text = json_to_string (actual, FALSE);
      g_autofree char *expected_again = json_to_string (expected, FALSE);

      g_assert_cmpstr (actual_text, ==, expected_again);
    }
}

/* The last request, which must be a PUT to @path_prefix + a transaction
 * id, with @expected as its body. Returns the transaction id. */
static char *
assert_put (Fixture    *f,
            const char *path_prefix,
            const char *expected)
{
  FakeRequest *request = fake_homeserver_get_last_request (f->server);
  g_autoptr(JsonNode) body = fake_request_parse_json (request);
  const char *txn_id;

  g_assert_cmpstr (request->method, ==, "PUT");
  g_assert_true (g_str_has_prefix (request->path, path_prefix));
  txn_id = request->path + strlen (path_prefix);
  g_assert_cmpuint (strlen (txn_id), >, 0);
  g_assert_null (strchr (txn_id, '/'));
  g_assert_nonnull (body);
  assert_json (body, expected);
  return g_strdup (txn_id);
}

static char *
wait_sent (MatrixTimeline *timeline,
           GAsyncResult  **result)
{
  g_autoptr(GError) error = NULL;
  char *event_id;

  wait_for_pointer ((gpointer *) result, 5000);
  event_id = matrix_timeline_send_finish (timeline, *result, &error);
  g_assert_no_error (error);
  g_clear_object (result);
  return event_id;
}

#define SEND_PATH "/_matrix/client/v3/rooms/" ROOM "/send/"

/* --- sending ---------------------------------------------------------------- */

static void
test_send_message (Fixture       *f,
                   gconstpointer  data)
{
  MatrixTimeline *timeline = start_room (f);
  const char *mentions[] = { BOB, ME, BOB, "@carol:example.org", NULL };
  GAsyncResult *result = NULL;
  g_autofree char *event_id = NULL;
  g_autofree char *txn = NULL;
  MatrixTimelineItem *echo;

  fake_homeserver_queue_json (f->server, "PUT", ROOM_PATH "/send/m.room.message/*", 200,
                              "{\"event_id\": \"$sent\"}", TRUE);

  /* Formatted, mentioning Bob twice, ourselves and Carol: each other once. */
  matrix_timeline_send_message_async (timeline, MATRIX_MESSAGE_TEXT, "hi Bob", "hi <b>Bob</b>",
                                      mentions, NULL, store_result, &result);
  echo = last_item (timeline);
  g_assert_cmpint (matrix_timeline_item_get_kind (echo), ==, MATRIX_TIMELINE_ITEM_LOCAL_ECHO);
  g_assert_cmpstr (matrix_timeline_item_get_body (echo), ==, "hi Bob");
  g_assert_cmpstr (matrix_timeline_item_get_formatted_body (echo), ==, "hi <b>Bob</b>");
  g_assert_cmpstr (matrix_timeline_item_get_msgtype (echo), ==, "m.text");
  event_id = wait_sent (timeline, &result);
  g_assert_cmpstr (event_id, ==, "$sent");
  txn = assert_put (f, SEND_PATH "m.room.message/",
                    "{\"msgtype\": \"m.text\", \"body\": \"hi Bob\","
                    " \"format\": \"org.matrix.custom.html\", \"formatted_body\": \"hi <b>Bob</b>\","
                    " \"m.mentions\": {\"user_ids\": [\"@bob:example.org\", \"@carol:example.org\"]}}");
  g_assert_cmpstr (txn, ==, matrix_timeline_item_get_transaction_id (echo));

  /* Plain: no format; mentioning no one is said so, with an empty object. */
  matrix_timeline_send_message_async (timeline, MATRIX_MESSAGE_EMOTE, "waves", NULL, NULL,
                                      NULL, store_result, &result);
  g_clear_pointer (&event_id, g_free);
  event_id = wait_sent (timeline, &result);
  g_clear_pointer (&txn, g_free);
  txn = assert_put (f, SEND_PATH "m.room.message/",
                    "{\"msgtype\": \"m.emote\", \"body\": \"waves\", \"m.mentions\": {}}");

  matrix_timeline_send_message_async (timeline, MATRIX_MESSAGE_NOTICE, "beep", NULL, NULL,
                                      NULL, store_result, &result);
  g_clear_pointer (&event_id, g_free);
  event_id = wait_sent (timeline, &result);
  g_clear_pointer (&txn, g_free);
  txn = assert_put (f, SEND_PATH "m.room.message/",
                    "{\"msgtype\": \"m.notice\", \"body\": \"beep\", \"m.mentions\": {}}");
  assert_timeline (timeline, "$create $m1 echo:sent echo:sent echo:sent");
}

static void
test_send_reply (Fixture       *f,
                 gconstpointer  data)
{
  MatrixTimeline *timeline = start_room (f);
  MatrixEvent *m1 = matrix_timeline_item_get_event (find_item (timeline, "$m1"));
  GAsyncResult *result = NULL;
  g_autofree char *event_id = NULL;
  g_autofree char *txn = NULL;
  g_autofree char *root = text ("$root", BOB, 1002, "root");
  g_autofree char *in_thread =
    event ("$t1", BOB, "m.room.message", 1003,
           "{\"msgtype\": \"m.text\", \"body\": \"in thread\", \"m.relates_to\": {"
           "\"rel_type\": \"m.thread\", \"event_id\": \"$root\", \"is_falling_back\": true,"
           " \"m.in_reply_to\": {\"event_id\": \"$root\"}}}", NULL);
  g_autofree char *events = g_strconcat (root, ",", in_thread, NULL);
  MatrixEvent *t1;

  fake_homeserver_queue_json (f->server, "PUT", ROOM_PATH "/send/m.room.message/*", 200,
                              "{\"event_id\": \"$reply\"}", TRUE);

  /* No fallback quote: the spec (v1.13) dropped it. Bob is mentioned as the
   * sender of what is answered. */
  matrix_timeline_send_reply_async (timeline, m1, MATRIX_MESSAGE_TEXT, "yes", NULL, NULL,
                                    NULL, store_result, &result);
  g_assert_cmpstr (matrix_timeline_item_get_body (last_item (timeline)), ==, "yes");
  event_id = wait_sent (timeline, &result);
  txn = assert_put (f, SEND_PATH "m.room.message/",
                    "{\"msgtype\": \"m.text\", \"body\": \"yes\","
                    " \"m.mentions\": {\"user_ids\": [\"@bob:example.org\"]},"
                    " \"m.relates_to\": {\"m.in_reply_to\": {\"event_id\": \"$m1\"}}}");

  /* A reply to a thread's message stays in the thread. */
  sync_events (f, events);
  t1 = _matrix_timeline_lookup_event (timeline, "$t1");
  g_assert_nonnull (t1);
  matrix_timeline_send_reply_async (timeline, t1, MATRIX_MESSAGE_TEXT, "me too", NULL, NULL,
                                    NULL, store_result, &result);
  g_clear_pointer (&event_id, g_free);
  event_id = wait_sent (timeline, &result);
  g_clear_pointer (&txn, g_free);
  txn = assert_put (f, SEND_PATH "m.room.message/",
                    "{\"msgtype\": \"m.text\", \"body\": \"me too\","
                    " \"m.mentions\": {\"user_ids\": [\"@bob:example.org\"]},"
                    " \"m.relates_to\": {\"rel_type\": \"m.thread\", \"event_id\": \"$root\","
                    " \"is_falling_back\": false, \"m.in_reply_to\": {\"event_id\": \"$t1\"}}}");
}

static void
test_send_edit (Fixture       *f,
                gconstpointer  data)
{
  MatrixTimeline *timeline = start_room (f);
  g_autofree char *mine =
    event ("$mine", ME, "m.room.message", 1002,
           "{\"msgtype\": \"m.text\", \"body\": \"hi Bob\","
           " \"m.mentions\": {\"user_ids\": [\"@bob:example.org\"]}}", NULL);
  const char *mentions[] = { BOB, "@carol:example.org", NULL };
  GAsyncResult *result = NULL;
  g_autofree char *event_id = NULL;
  g_autofree char *txn = NULL;

  sync_events (f, mine);
  fake_homeserver_queue_json (f->server, "PUT", ROOM_PATH "/send/m.room.message/*", 200,
                              "{\"event_id\": \"$edit\"}", TRUE);

  /* Bob was mentioned before: only Carol is new at the top level. The
   * edit is no row of its own. */
  matrix_timeline_send_edit_async (timeline,
                                   matrix_timeline_item_get_event (find_item (timeline, "$mine")),
                                   "hi Bob and Carol", "hi Bob and <i>Carol</i>", mentions,
                                   NULL, store_result, &result);
  assert_timeline (timeline, "$create $m1 $mine");
  event_id = wait_sent (timeline, &result);
  g_assert_cmpstr (event_id, ==, "$edit");
  txn = assert_put (f, SEND_PATH "m.room.message/",
                    "{\"msgtype\": \"m.text\", \"body\": \"* hi Bob and Carol\","
                    " \"format\": \"org.matrix.custom.html\","
                    " \"formatted_body\": \"* hi Bob and <i>Carol</i>\","
                    " \"m.new_content\": {\"msgtype\": \"m.text\", \"body\": \"hi Bob and Carol\","
                    "   \"format\": \"org.matrix.custom.html\","
                    "   \"formatted_body\": \"hi Bob and <i>Carol</i>\","
                    "   \"m.mentions\": {\"user_ids\": [\"@bob:example.org\", \"@carol:example.org\"]}},"
                    " \"m.mentions\": {\"user_ids\": [\"@carol:example.org\"]},"
                    " \"m.relates_to\": {\"rel_type\": \"m.replace\", \"event_id\": \"$mine\"}}");
  assert_timeline (timeline, "$create $m1 $mine");
}

static void
test_send_reaction (Fixture       *f,
                    gconstpointer  data)
{
  MatrixTimeline *timeline = start_room (f);
  GAsyncResult *result = NULL;
  g_autofree char *event_id = NULL;
  g_autofree char *txn = NULL;

  fake_homeserver_queue_json (f->server, "PUT", ROOM_PATH "/send/m.reaction/*", 200,
                              "{\"event_id\": \"$reaction\"}", FALSE);
  matrix_timeline_send_reaction_async (timeline, "$m1", "👍", NULL, store_result, &result);
  assert_timeline (timeline, "$create $m1");
  event_id = wait_sent (timeline, &result);
  g_assert_cmpstr (event_id, ==, "$reaction");
  txn = assert_put (f, SEND_PATH "m.reaction/",
                    "{\"m.relates_to\": {\"rel_type\": \"m.annotation\", \"event_id\": \"$m1\","
                    " \"key\": \"👍\"}}");
}

static void
test_send_redaction (Fixture       *f,
                     gconstpointer  data)
{
  MatrixTimeline *timeline = start_room (f);
  GAsyncResult *result = NULL;
  g_autofree char *event_id = NULL;
  g_autofree char *txn = NULL;

  fake_homeserver_queue_json (f->server, "PUT", ROOM_PATH "/redact/%24m1/*", 200,
                              "{\"event_id\": \"$redaction\"}", TRUE);
  matrix_timeline_redact_async (timeline, "$m1", "spam", NULL, store_result, &result);
  event_id = wait_sent (timeline, &result);
  g_assert_cmpstr (event_id, ==, "$redaction");
  txn = assert_put (f, "/_matrix/client/v3/rooms/" ROOM "/redact/$m1/", "{\"reason\": \"spam\"}");

  matrix_timeline_redact_async (timeline, "$m1", NULL, NULL, store_result, &result);
  g_clear_pointer (&event_id, g_free);
  event_id = wait_sent (timeline, &result);
  g_clear_pointer (&txn, g_free);
  txn = assert_put (f, "/_matrix/client/v3/rooms/" ROOM "/redact/$m1/", "{}");
  assert_timeline (timeline, "$create $m1");
}

/* A send that is not a row fails: the error comes back, nothing is left over. */
static void
test_send_relation_fails (Fixture       *f,
                          gconstpointer  data)
{
  MatrixTimeline *timeline = start_room (f);
  GAsyncResult *result = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *event_id = NULL;

  fake_homeserver_queue_json (f->server, "PUT", ROOM_PATH "/send/m.reaction/*", 500,
                              "{\"errcode\": \"M_UNKNOWN\", \"error\": \"boom\"}", FALSE);
  matrix_timeline_send_reaction_async (timeline, "$m1", "👍", NULL, store_result, &result);
  wait_for_pointer ((gpointer *) &result, 5000);
  event_id = matrix_timeline_send_finish (timeline, result, &error);
  g_clear_object (&result);
  g_assert_null (event_id);
  g_assert_error (error, MATRIX_ERROR, MATRIX_ERROR_SERVER);
  assert_timeline (timeline, "$create $m1");
}

/* --- what a message shows ------------------------------------------------------ */

static void
test_reply_fallback_stripped (Fixture       *f,
                              gconstpointer  data)
{
  MatrixTimeline *timeline = start_room (f);
  g_autofree char *reply =
    event ("$reply", BOB, "m.room.message", 1002,
           "{\"msgtype\": \"m.text\","
           " \"body\": \"> <@bob:example.org> one\\n> more\\n\\nanswer\\n> kept\","
           " \"format\": \"org.matrix.custom.html\","
           " \"formatted_body\": \"<mx-reply><blockquote>one</blockquote></mx-reply>an<b>swer</b>\","
           " \"m.relates_to\": {\"m.in_reply_to\": {\"event_id\": \"$m1\"}}}", NULL);
  /* Not a reply: a quote is the sender's own text. */
  g_autofree char *quote =
    event ("$quote", BOB, "m.room.message", 1003,
           "{\"msgtype\": \"m.text\", \"body\": \"> quoted\\n\\nmine\"}", NULL);
  g_autofree char *events = g_strconcat (reply, ",", quote, NULL);
  MatrixTimelineItem *item;

  sync_events (f, events);
  item = find_item (timeline, "$reply");
  g_assert_cmpstr (matrix_timeline_item_get_body (item), ==, "answer\n> kept");
  g_assert_cmpstr (matrix_timeline_item_get_formatted_body (item), ==, "an<b>swer</b>");
  item = find_item (timeline, "$quote");
  g_assert_cmpstr (matrix_timeline_item_get_body (item), ==, "> quoted\n\nmine");
  g_assert_null (matrix_timeline_item_get_formatted_body (item));
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

#define ADD(path, func) \
  g_test_add (path, Fixture, NULL, fixture_setup, func, fixture_teardown)

  ADD ("/matrix/timeline/send/message-json", test_send_message);
  ADD ("/matrix/timeline/send/reply-json", test_send_reply);
  ADD ("/matrix/timeline/send/edit-json", test_send_edit);
  ADD ("/matrix/timeline/send/reaction-json", test_send_reaction);
  ADD ("/matrix/timeline/send/redaction-json", test_send_redaction);
  ADD ("/matrix/timeline/send/relation-failure-reported", test_send_relation_fails);
  ADD ("/matrix/timeline/reply/fallback-stripped", test_reply_fallback_stripped);

  return g_test_run ();
}
