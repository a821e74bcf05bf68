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


/* --- relations ---------------------------------------------------------------- */

#define MALLORY "@mallory:example.org"

static char *
edit_event (const char *event_id,
            const char *sender,
            const char *target,
            gint64      ts,
            const char *new_body)
{
  g_autofree char *content =
    g_strdup_printf ("{\"msgtype\": \"m.text\", \"body\": \"* %s\","
                     " \"m.new_content\": {\"msgtype\": \"m.text\", \"body\": \"%s\"},"
                     " \"m.relates_to\": {\"rel_type\": \"m.replace\", \"event_id\": \"%s\"}}",
                     new_body, new_body, target);

  return event (event_id, sender, "m.room.message", ts, content, NULL);
}

static char *
reaction_event (const char *event_id,
                const char *sender,
                const char *target,
                const char *key)
{
  g_autofree char *content =
    g_strdup_printf ("{\"m.relates_to\": {\"rel_type\": \"m.annotation\", \"event_id\": \"%s\","
                     " \"key\": \"%s\"}}", target, key);

  return event (event_id, sender, "m.reaction", 3000, content, NULL);
}

static char *
redaction_event (const char *event_id,
                 const char *redacts)
{
  g_autofree char *content = g_strdup_printf ("{\"redacts\": \"%s\"}", redacts);

  return event (event_id, BOB, "m.room.redaction", 4000, content, NULL);
}

static char *
thread_event (const char *event_id,
              const char *root,
              gint64      ts,
              const char *body)
{
  g_autofree char *content =
    g_strdup_printf ("{\"msgtype\": \"m.text\", \"body\": \"%s\", \"m.relates_to\": {"
                     "\"rel_type\": \"m.thread\", \"event_id\": \"%s\", \"is_falling_back\": true,"
                     " \"m.in_reply_to\": {\"event_id\": \"%s\"}}}", body, root, root);

  return event (event_id, BOB, "m.room.message", ts, content, NULL);
}

/* "key:count" for each reaction, "+own" (or "+own:<id>") where we reacted. */
static char *
describe_reactions (MatrixTimelineItem *item)
{
  GListModel *reactions = matrix_timeline_item_get_reactions (item);
  g_autoptr(GString) out = g_string_new (NULL);

  for (guint i = 0; i < g_list_model_get_n_items (reactions); i++)
    {
      g_autoptr(MatrixReaction) reaction = g_list_model_get_item (reactions, i);
      const char *own_id = matrix_reaction_get_own_event_id (reaction);

      g_string_append_printf (out, "%s%s:%u", i > 0 ? " " : "", matrix_reaction_get_key (reaction),
                              matrix_reaction_get_count (reaction));
      if (matrix_reaction_get_own (reaction))
        g_string_append_printf (out, "+own%s%s", own_id ? ":" : "", own_id ? own_id : "");
    }
  return g_string_free (g_steal_pointer (&out), FALSE);
}

#define assert_reactions(item, expected) G_STMT_START {  \
  g_autofree char *actual__ = describe_reactions (item); \
  g_assert_cmpstr (actual__, ==, expected);              \
} G_STMT_END

static void
count_notify (GObject    *object,
              GParamSpec *pspec,
              guint      *counter)
{
  (*counter)++;
}

static void
test_edit_applied_in_place (Fixture       *f,
                            gconstpointer  data)
{
  MatrixTimeline *timeline = start_room (f);
  MatrixTimelineItem *m1 = find_item (timeline, "$m1");
  g_autofree char *e1 = edit_event ("$e1", BOB, "$m1", 2000, "one, edited");
  g_autoptr(ItemsChangedRecorder) changes = items_changed_recorder_new (G_LIST_MODEL (timeline));
  g_autoptr(GPtrArray) history = NULL;
  guint n_body = 0;

  g_assert_false (matrix_timeline_item_get_edited (m1));
  g_assert_cmpstr (matrix_timeline_item_get_body (m1), ==, "one");
  g_signal_connect (m1, "notify::body", G_CALLBACK (count_notify), &n_body);

  /* The edit is no row: the original shows it, keeping its id and place. */
  sync_events (f, e1);
  assert_timeline (timeline, "$create $m1");
  items_changed_recorder_check (changes, "");
  g_assert_true (find_item (timeline, "$m1") == m1);
  g_assert_true (matrix_timeline_item_get_edited (m1));
  g_assert_cmpuint (n_body, ==, 1);
  g_assert_cmpstr (matrix_timeline_item_get_body (m1), ==, "one, edited");
  g_assert_cmpstr (matrix_timeline_item_get_event_id (m1), ==, "$m1");
  g_assert_cmpstr (matrix_event_get_event_id (matrix_timeline_item_get_replacement (m1)), ==, "$e1");
  /* The event itself is what the server sent. */
  g_assert_cmpstr (matrix_event_get_content_string (matrix_timeline_item_get_event (m1), "body"), ==, "one");
  history = matrix_timeline_item_dup_edits (m1);
  g_assert_cmpuint (history->len, ==, 1);
}

static void
test_edit_latest_wins (Fixture       *f,
                       gconstpointer  data)
{
  MatrixTimeline *timeline = start_room (f);
  MatrixTimelineItem *m1 = find_item (timeline, "$m1");
  /* They come out of order: the newest by origin_server_ts wins, and
   * between equal times the greater event id. */
  g_autofree char *late = edit_event ("$e3", BOB, "$m1", 3000, "third");
  g_autofree char *early = edit_event ("$e1", BOB, "$m1", 2000, "first");
  g_autofree char *tie_low = edit_event ("$e2a", BOB, "$m1", 3000, "tie low");
  g_autofree char *tie_high = edit_event ("$e4", BOB, "$m1", 3000, "tie high");
  g_autofree char *batch = g_strconcat (late, ",", early, ",", tie_low, NULL);
  g_autoptr(GPtrArray) history = NULL;

  sync_events (f, batch);
  g_assert_cmpstr (matrix_timeline_item_get_body (m1), ==, "third");
  sync_events (f, tie_high);
  g_assert_cmpstr (matrix_timeline_item_get_body (m1), ==, "tie high");

  /* The history, oldest first. */
  history = matrix_timeline_item_dup_edits (m1);
  g_assert_cmpuint (history->len, ==, 4);
  g_assert_cmpstr (matrix_event_get_event_id (history->pdata[0]), ==, "$e1");
  g_assert_cmpstr (matrix_event_get_event_id (history->pdata[1]), ==, "$e2a");
  g_assert_cmpstr (matrix_event_get_event_id (history->pdata[2]), ==, "$e3");
  g_assert_cmpstr (matrix_event_get_event_id (history->pdata[3]), ==, "$e4");
}

static void
test_edit_invalid_ignored (Fixture       *f,
                           gconstpointer  data)
{
  MatrixTimeline *timeline = start_room (f);
  MatrixTimelineItem *m1 = find_item (timeline, "$m1");
  g_autofree char *e1 = edit_event ("$e1", BOB, "$m1", 2000, "bob's edit");
  /* Someone else's edit, an edit of the edit, one of another type, one
   * without new content, and an edit of a state event. */
  g_autofree char *other = edit_event ("$x1", MALLORY, "$m1", 5000, "mallory was here");
  g_autofree char *of_edit = edit_event ("$x2", BOB, "$e1", 5001, "edit of an edit");
  g_autofree char *wrong_type =
    event ("$x3", BOB, "m.sticker", 5002,
           "{\"body\": \"s\", \"m.new_content\": {\"body\": \"sticker\"},"
           " \"m.relates_to\": {\"rel_type\": \"m.replace\", \"event_id\": \"$m1\"}}", NULL);
  g_autofree char *no_new_content =
    event ("$x4", BOB, "m.room.message", 5003,
           "{\"msgtype\": \"m.text\", \"body\": \"* nothing\","
           " \"m.relates_to\": {\"rel_type\": \"m.replace\", \"event_id\": \"$m1\"}}", NULL);
  g_autofree char *of_state = edit_event ("$x5", BOB, "$create", 5004, "created?");
  g_autofree char *batch = g_strjoin (",", e1, other, of_edit, wrong_type, no_new_content, of_state, NULL);
  g_autoptr(GPtrArray) history = NULL;

  sync_events (f, batch);
  assert_timeline (timeline, "$create $m1");
  g_assert_cmpstr (matrix_timeline_item_get_body (m1), ==, "bob's edit");
  history = matrix_timeline_item_dup_edits (m1);
  g_assert_cmpuint (history->len, ==, 1);
  g_assert_false (matrix_timeline_item_get_edited (find_item (timeline, "$create")));
}

static void
test_edit_redacted (Fixture       *f,
                    gconstpointer  data)
{
  MatrixTimeline *timeline = start_room (f);
  MatrixTimelineItem *m1 = find_item (timeline, "$m1");
  g_autofree char *e1 = edit_event ("$e1", BOB, "$m1", 2000, "first");
  g_autofree char *e2 = edit_event ("$e2", BOB, "$m1", 2001, "second");
  g_autofree char *edits = g_strconcat (e1, ",", e2, NULL);
  g_autofree char *r1 = redaction_event ("$r1", "$e2");
  g_autofree char *r2 = redaction_event ("$r2", "$m1");
  MatrixTimelineItem *redacted;

  sync_events (f, edits);
  g_assert_cmpstr (matrix_timeline_item_get_body (m1), ==, "second");

  /* The newest edit redacted: the one before shows again. */
  sync_events (f, r1);
  assert_timeline (timeline, "$create $m1");
  g_assert_cmpstr (matrix_timeline_item_get_body (m1), ==, "first");

  /* The original redacted: nothing of any edit shows. */
  sync_events (f, r2);
  redacted = find_item (timeline, "$m1");
  g_assert_true (matrix_event_is_redacted (matrix_timeline_item_get_event (redacted)));
  g_assert_false (matrix_timeline_item_get_edited (redacted));
  g_assert_null (matrix_timeline_item_get_body (redacted));
}

static void
test_reactions_aggregated (Fixture       *f,
                           gconstpointer  data)
{
  MatrixTimeline *timeline = start_room (f);
  MatrixTimelineItem *m1 = find_item (timeline, "$m1");
  GListModel *reactions = matrix_timeline_item_get_reactions (m1);
  g_autofree char *a = reaction_event ("$a", BOB, "$m1", "👍");
  g_autofree char *b = reaction_event ("$b", MALLORY, "$m1", "👍");
  g_autofree char *c = reaction_event ("$c", ME, "$m1", "🎉");
  /* Bob again with the same key (a server that lets it through): once. */
  g_autofree char *d = reaction_event ("$d", BOB, "$m1", "👍");
  g_autofree char *no_key =
    event ("$e", BOB, "m.reaction", 3000,
           "{\"m.relates_to\": {\"rel_type\": \"m.annotation\", \"event_id\": \"$m1\"}}", NULL);
  g_autofree char *batch = g_strjoin (",", a, b, c, d, no_key, NULL);
  g_autoptr(ItemsChangedRecorder) changes = items_changed_recorder_new (G_LIST_MODEL (timeline));
  g_autoptr(MatrixReaction) thumbs = NULL;
  g_auto(GStrv) senders = NULL;

  assert_reactions (m1, "");
  sync_events (f, batch);
  /* No rows, the same model, filled in. */
  assert_timeline (timeline, "$create $m1");
  items_changed_recorder_check (changes, "");
  g_assert_true (matrix_timeline_item_get_reactions (m1) == reactions);
  assert_reactions (m1, "👍:2 🎉:1+own:$c");

  thumbs = g_list_model_get_item (reactions, 0);
  senders = matrix_reaction_dup_senders (thumbs);
  g_assert_cmpuint (g_strv_length (senders), ==, 2);
  g_assert_cmpstr (senders[0], ==, BOB);
  g_assert_cmpstr (senders[1], ==, MALLORY);
  g_assert_true (matrix_reaction_has_sender (thumbs, MALLORY));
  g_assert_false (matrix_reaction_has_sender (thumbs, ME));
}

static void
test_reaction_redacted (Fixture       *f,
                        gconstpointer  data)
{
  MatrixTimeline *timeline = start_room (f);
  MatrixTimelineItem *m1 = find_item (timeline, "$m1");
  g_autofree char *a = reaction_event ("$a", BOB, "$m1", "👍");
  g_autofree char *b = reaction_event ("$b", MALLORY, "$m1", "👍");
  g_autofree char *c = reaction_event ("$c", ME, "$m1", "🎉");
  g_autofree char *batch = g_strjoin (",", a, b, c, NULL);
  g_autofree char *ra = redaction_event ("$ra", "$a");
  g_autofree char *rc = redaction_event ("$rc", "$c");
  g_autofree char *redactions = g_strjoin (",", ra, rc, NULL);
  g_autoptr(GPtrArray) cached = NULL;

  sync_events (f, batch);
  assert_reactions (m1, "👍:2 🎉:1+own:$c");
  sync_events (f, redactions);
  assert_reactions (m1, "👍:1");
  assert_timeline (timeline, "$create $m1");

  /* The store keeps the redacted copies, still saying what they related to,
   * so that they stay out of the rows after a restart too. */
  cached = matrix_store_get_timeline_events (f->store, ROOM);
  for (guint i = 0; i < cached->len; i++)
    if (g_str_equal (matrix_event_get_event_id (cached->pdata[i]), "$a"))
      {
        g_assert_true (matrix_event_is_redacted (cached->pdata[i]));
        g_assert_cmpstr (matrix_event_get_relation_type (cached->pdata[i]), ==, "m.annotation");
      }
}

static void
test_relations_before_target (Fixture       *f,
                              gconstpointer  data)
{
  /* A limited sync: the reaction, the edit and a reply came, the message
   * they name is further back. */
  g_autofree char *a = reaction_event ("$a", BOB, "$old", "👍");
  g_autofree char *e = edit_event ("$e", BOB, "$old", 2000, "old, edited");
  g_autofree char *reply =
    event ("$reply", BOB, "m.room.message", 2001,
           "{\"msgtype\": \"m.text\", \"body\": \"re\","
           " \"m.relates_to\": {\"m.in_reply_to\": {\"event_id\": \"$old\"}}}", NULL);
  g_autofree char *batch = g_strjoin (",", a, e, reply, NULL);
  g_autofree char *old = text ("$old", BOB, 1500, "old");
  g_autofree char *page = g_strdup_printf ("{\"chunk\": [%s, %s], \"start\": \"p1\"}", old, create_event);
  g_autoptr(GAsyncResult) result = NULL;
  MatrixTimelineItem *item, *reply_item;
  MatrixTimeline *timeline;

  sync_events (f, batch);
  timeline = room_timeline (f);
  assert_timeline (timeline, "gap:p1 $reply");
  reply_item = find_item (timeline, "$reply");
  g_assert_cmpint (matrix_timeline_item_get_reply_state (reply_item), ==, MATRIX_REPLY_STATE_UNKNOWN);

  fake_homeserver_queue_json (f->server, "GET", ROOM_PATH "/messages?dir=b&from=p1&limit=50", 200,
                              page, FALSE);
  matrix_timeline_load_older_async (timeline, 0, NULL, store_result, &result);
  wait_for_pointer ((gpointer *) &result, 5000);
  g_assert_true (matrix_timeline_load_older_finish (timeline, result, NULL));

  assert_timeline (timeline, "$create $old $reply");
  item = find_item (timeline, "$old");
  g_assert_cmpstr (matrix_timeline_item_get_body (item), ==, "old, edited");
  assert_reactions (item, "👍:1");
  g_assert_cmpint (matrix_timeline_item_get_reply_state (reply_item), ==, MATRIX_REPLY_STATE_LOADED);
  g_assert_true (matrix_timeline_item_get_in_reply_to (reply_item) == item);
}

/* Applying @n reactions (each by its own sender) in one batch, to the
 * messages "<prefix>0" to "<prefix><n_targets - 1>" in turn (or to
 * "<prefix>" alone): µs taken. */
static gint64
time_reactions (Fixture    *f,
                const char *prefix,
                guint       n_targets,
                guint       n,
                guint       first)
{
  g_autoptr(GPtrArray) events = g_ptr_array_new_with_free_func (g_object_unref);
  MatrixTimeline *timeline = room_timeline (f);
  gint64 start;

  for (guint i = 0; i < n; i++)
    {
      g_autofree char *id = g_strdup_printf ("$r%u", first + i);
      g_autofree char *sender = g_strdup_printf ("@u%u:example.org", first + i);
      g_autofree char *target = n_targets == 1 ? g_strdup (prefix)
                                               : g_strdup_printf ("%s%u", prefix, i % n_targets);
      g_autofree char *json = reaction_event (id, sender, target, i % 7 == 0 ? "🎉" : "👍");
      g_autoptr(JsonNode) node = json_from_string (json, NULL);

      g_ptr_array_add (events, matrix_event_new_from_json (ROOM, json_node_get_object (node), NULL));
    }

  start = g_get_monotonic_time ();
  _matrix_timeline_append_sync (timeline, events, FALSE, NULL);
  return g_get_monotonic_time () - start;
}

static void
test_reactions_bounded (Fixture       *f,
                        gconstpointer  data)
{
  MatrixTimeline *timeline = start_room (f);
  g_autoptr(GString) targets = g_string_new (NULL);
  gint64 one = G_MAXINT64, spread = G_MAXINT64, sync_us;
  guint first = 0;

  /* Per run: "$one<run>", and "$s<run>_0" to "$s<run>_99". */
  for (guint run = 0; run < 3; run++)
    for (guint i = 0; i <= 100; i++)
      {
        g_autofree char *id = i == 100 ? g_strdup_printf ("$one%u", run) : g_strdup_printf ("$s%u_%u", run, i);
        g_autofree char *json = text (id, BOB, 1002, "target");

        g_string_append_printf (targets, "%s%s", targets->len > 0 ? "," : "", json);
      }
  sync_events (f, targets->str);

  /* Ten thousand reactions to one message cost what ten thousand spread
   * over a hundred messages do: nothing grows with the reactions one
   * message has. Compared on the same machine at the same moment (the
   * best of three: it is shared), so the bound holds under valgrind too. */
  for (guint run = 0; run < 3; run++)
    {
      g_autofree char *one_prefix = g_strdup_printf ("$one%u", run);
      g_autofree char *spread_prefix = g_strdup_printf ("$s%u_", run);
      gint64 us;

      us = time_reactions (f, one_prefix, 1, 10000, first);
      one = MIN (one, us);
      first += 10000;
      us = time_reactions (f, spread_prefix, 100, 10000, first);
      spread = MIN (spread, us);
      first += 10000;
    }
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (timeline)), ==, 2 + 3 * 101);
  assert_reactions (find_item (timeline, "$one0"), "🎉:1429 👍:8571");
  assert_reactions (find_item (timeline, "$s0_0"), "🎉:15 👍:85");
  g_print ("# 10,000 reactions: to one message in %.1f ms, to a hundred in %.1f ms\n",
           one / 1000.0, spread / 1000.0);
  g_assert_cmpint (one, <, 3 * spread);
  g_assert_cmpint (one, <, 5 * G_USEC_PER_SEC);

  /* And through a whole sync: parsing, the store, the room. */
  {
    g_autoptr(GString) events = g_string_new (NULL);
    gint64 start;

    for (guint i = 0; i < 10000; i++)
      {
        g_autofree char *id = g_strdup_printf ("$s%u", i);
        g_autofree char *sender = g_strdup_printf ("@s%u:example.org", i);
        g_autofree char *json = reaction_event (id, sender, "$one1", "❤️");

        g_string_append_printf (events, "%s%s", i > 0 ? "," : "", json);
      }
    start = g_get_monotonic_time ();
    sync_events (f, events->str);
    sync_us = g_get_monotonic_time () - start;
    g_print ("# a sync of 10,000 reactions to one message: %.1f ms\n", sync_us / 1000.0);
    assert_reactions (find_item (timeline, "$one1"), "🎉:1429 👍:8571 ❤️:10000");
  }
}

static void
test_reply_resolved (Fixture       *f,
                     gconstpointer  data)
{
  MatrixTimeline *timeline = start_room (f);
  g_autofree char *reply =
    event ("$reply", BOB, "m.room.message", 2000,
           "{\"msgtype\": \"m.text\", \"body\": \"re\","
           " \"m.relates_to\": {\"m.in_reply_to\": {\"event_id\": \"$m1\"}}}", NULL);
  g_autofree char *e1 = edit_event ("$e1", BOB, "$m1", 2001, "one, edited");
  g_autofree char *r1 = redaction_event ("$r1", "$m1");
  MatrixTimelineItem *item;

  sync_events (f, reply);
  item = find_item (timeline, "$reply");
  g_assert_cmpstr (matrix_timeline_item_get_in_reply_to_id (item), ==, "$m1");
  g_assert_cmpint (matrix_timeline_item_get_reply_state (item), ==, MATRIX_REPLY_STATE_LOADED);
  g_assert_true (matrix_timeline_item_get_in_reply_to (item) == find_item (timeline, "$m1"));
  g_assert_cmpint (matrix_timeline_item_get_reply_state (find_item (timeline, "$m1")), ==,
                   MATRIX_REPLY_STATE_NONE);

  /* The quote is the row itself, edits and all. */
  sync_events (f, e1);
  g_assert_cmpstr (matrix_timeline_item_get_body (matrix_timeline_item_get_in_reply_to (item)), ==,
                   "one, edited");

  /* Redacted: the reply shows the redacted copy. */
  sync_events (f, r1);
  g_assert_true (matrix_timeline_item_get_in_reply_to (item) == find_item (timeline, "$m1"));
  g_assert_true (matrix_event_is_redacted (matrix_timeline_item_get_event (matrix_timeline_item_get_in_reply_to (item))));
}

static void
test_reply_fetched (Fixture       *f,
                    gconstpointer  data)
{
  MatrixTimeline *timeline = start_room (f);
  g_autofree char *reply1 =
    event ("$reply1", BOB, "m.room.message", 2000,
           "{\"msgtype\": \"m.text\", \"body\": \"re\","
           " \"m.relates_to\": {\"m.in_reply_to\": {\"event_id\": \"$far\"}}}", NULL);
  g_autofree char *reply2 =
    event ("$reply2", BOB, "m.room.message", 2001,
           "{\"msgtype\": \"m.text\", \"body\": \"re re\","
           " \"m.relates_to\": {\"m.in_reply_to\": {\"event_id\": \"$far\"}}}", NULL);
  g_autofree char *gone =
    event ("$reply3", BOB, "m.room.message", 2002,
           "{\"msgtype\": \"m.text\", \"body\": \"re?\","
           " \"m.relates_to\": {\"m.in_reply_to\": {\"event_id\": \"$gone\"}}}", NULL);
  g_autofree char *batch = g_strjoin (",", reply1, reply2, gone, NULL);
  g_autofree char *far = text ("$far", MALLORY, 500, "> not a fallback\\n\\nfar away");
  MatrixTimelineItem *item1, *item2, *item3, *shown;
  GAsyncResult *result1 = NULL, *result2 = NULL, *result3 = NULL;
  g_autoptr(GError) error = NULL;

  sync_events (f, batch);
  item1 = find_item (timeline, "$reply1");
  item2 = find_item (timeline, "$reply2");
  item3 = find_item (timeline, "$reply3");
  g_assert_cmpint (matrix_timeline_item_get_reply_state (item1), ==, MATRIX_REPLY_STATE_UNKNOWN);
  g_assert_null (matrix_timeline_item_get_in_reply_to (item1));

  /* Two replies to one event: one request. */
  fake_homeserver_queue_full (f->server, "GET", ROOM_PATH "/event/%24far", 200, "application/json",
                              far, NULL, 50, FALSE);
  matrix_timeline_load_reply_async (timeline, item1, NULL, store_result, &result1);
  matrix_timeline_load_reply_async (timeline, item2, NULL, store_result, &result2);
  g_assert_cmpint (matrix_timeline_item_get_reply_state (item1), ==, MATRIX_REPLY_STATE_LOADING);
  g_assert_cmpint (matrix_timeline_item_get_reply_state (item2), ==, MATRIX_REPLY_STATE_LOADING);
  wait_for_pointer ((gpointer *) &result1, 5000);
  wait_for_pointer ((gpointer *) &result2, 5000);
  g_assert_true (matrix_timeline_load_reply_finish (timeline, result1, NULL));
  g_assert_true (matrix_timeline_load_reply_finish (timeline, result2, NULL));
  g_clear_object (&result1);
  g_clear_object (&result2);
  g_assert_cmpuint (fake_homeserver_count_requests (f->server, "GET",
                                                    "/_matrix/client/v3/rooms/" ROOM "/event/$far"), ==, 1);

  shown = matrix_timeline_item_get_in_reply_to (item1);
  g_assert_nonnull (shown);
  g_assert_true (matrix_timeline_item_get_in_reply_to (item2) == shown);
  g_assert_cmpint (matrix_timeline_item_get_reply_state (item1), ==, MATRIX_REPLY_STATE_LOADED);
  g_assert_cmpstr (matrix_timeline_item_get_event_id (shown), ==, "$far");
  g_assert_cmpstr (matrix_timeline_item_get_body (shown), ==, "> not a fallback\n\nfar away");
  /* Not a row of the timeline. */
  assert_timeline (timeline, "$create $m1 $reply1 $reply2 $reply3");

  /* One the server will not give: inaccessible, and said so. */
  fake_homeserver_queue_json (f->server, "GET", ROOM_PATH "/event/%24gone", 404,
                              "{\"errcode\": \"M_NOT_FOUND\", \"error\": \"no\"}", FALSE);
  matrix_timeline_load_reply_async (timeline, item3, NULL, store_result, &result3);
  wait_for_pointer ((gpointer *) &result3, 5000);
  g_assert_false (matrix_timeline_load_reply_finish (timeline, result3, &error));
  g_assert_error (error, MATRIX_ERROR, MATRIX_ERROR_NOT_FOUND);
  g_clear_object (&result3);
  g_assert_cmpint (matrix_timeline_item_get_reply_state (item3), ==, MATRIX_REPLY_STATE_INACCESSIBLE);
  g_assert_null (matrix_timeline_item_get_in_reply_to (item3));
}

static void
test_thread_summary (Fixture       *f,
                     gconstpointer  data)
{
  MatrixTimeline *timeline = start_room (f);
  MatrixTimelineItem *m1 = find_item (timeline, "$m1");
  g_autofree char *t1 = thread_event ("$t1", "$m1", 2000, "first reply");
  g_autofree char *t2 = thread_event ("$t2", "$m1", 2001, "second reply");
  g_autofree char *batch = g_strjoin (",", t1, t2, NULL);
  g_autofree char *r2 = redaction_event ("$r2", "$t2");
  /* A root whose thread the server summed up: two replies, the newest $u2. */
  g_autofree char *u2 = thread_event ("$u2", "$root", 1600, "bundled newest");
  g_autofree char *bundled = g_strdup_printf ("\"unsigned\": {\"m.relations\": {\"m.thread\": {"
                                              "\"latest_event\": %s, \"count\": 2,"
                                              " \"current_user_participated\": false}}}", u2);
  g_autofree char *root = event ("$root", BOB, "m.room.message", 1500,
                                 "{\"msgtype\": \"m.text\", \"body\": \"root\"}", bundled);
  g_autofree char *u3 = thread_event ("$u3", "$root", 1700, "newer than the summary");
  g_autofree char *batch2 = g_strjoin (",", root, u2, u3, NULL);
  guint n_notify = 0;

  g_signal_connect (m1, "notify::thread-count", G_CALLBACK (count_notify), &n_notify);
  sync_events (f, batch);
  /* Not in the main timeline: the root sums them up. */
  assert_timeline (timeline, "$create $m1");
  g_assert_cmpuint (matrix_timeline_item_get_thread_count (m1), ==, 2);
  g_assert_cmpstr (matrix_event_get_event_id (matrix_timeline_item_get_thread_latest (m1)), ==, "$t2");
  g_assert_cmpuint (n_notify, ==, 2);

  sync_events (f, r2);
  g_assert_cmpuint (matrix_timeline_item_get_thread_count (m1), ==, 1);
  g_assert_cmpstr (matrix_event_get_event_id (matrix_timeline_item_get_thread_latest (m1)), ==, "$t1");

  /* The summary counts what the server had; what came after adds to it,
   * and the summary's own newest reply coming again does not. */
  sync_events (f, batch2);
  assert_timeline (timeline, "$create $m1 $root");
  g_assert_cmpuint (matrix_timeline_item_get_thread_count (find_item (timeline, "$root")), ==, 3);
  g_assert_cmpstr (matrix_event_get_event_id (matrix_timeline_item_get_thread_latest (find_item (timeline, "$root"))),
                   ==, "$u3");
}

static void
test_bundled_aggregations (Fixture       *f,
                           gconstpointer  data)
{
  MatrixTimeline *timeline = start_room (f);
  g_autofree char *edit = edit_event ("$e1", BOB, "$b1", 1800, "bundled edit");
  g_autofree char *bundled =
    g_strdup_printf ("\"unsigned\": {\"m.relations\": {\"m.replace\": %s,"
                     " \"m.annotation\": {\"chunk\": [{\"type\": \"m.reaction\", \"key\": \"👍\", \"count\": 3},"
                     " {\"type\": \"m.reaction\", \"key\": \"bad\", \"count\": -1}]}}}", edit);
  g_autofree char *b1 = event ("$b1", BOB, "m.room.message", 1500,
                               "{\"msgtype\": \"m.text\", \"body\": \"original\"}", bundled);
  g_autofree char *a = reaction_event ("$a", ME, "$b1", "👍");
  g_autofree char *e2 = edit_event ("$e2", BOB, "$b1", 1900, "newer edit");
  g_autofree char *more = g_strjoin (",", a, e2, NULL);
  MatrixTimelineItem *item;

  sync_events (f, b1);
  item = find_item (timeline, "$b1");
  g_assert_cmpstr (matrix_timeline_item_get_body (item), ==, "bundled edit");
  assert_reactions (item, "👍:3");

  /* What comes later counts with it: one sender known is fewer than the
   * server counted; a newer edit wins. */
  sync_events (f, more);
  assert_reactions (item, "👍:3+own:$a");
  g_assert_cmpstr (matrix_timeline_item_get_body (item), ==, "newer edit");
}

/* --- echoes of relations ------------------------------------------------------- */

static void
test_echo_reaction (Fixture       *f,
                    gconstpointer  data)
{
  MatrixTimeline *timeline = start_room (f);
  MatrixTimelineItem *m1 = find_item (timeline, "$m1");
  GAsyncResult *result = NULL;
  g_autofree char *event_id = NULL;
  g_autofree char *txn = NULL;
  g_autofree char *copy = NULL;
  g_autofree char *unsigned_ = NULL;
  g_autoptr(GError) error = NULL;

  fake_homeserver_queue_held (f->server, "PUT", ROOM_PATH "/send/m.reaction/*", 200,
                              "application/json", "{\"event_id\": \"$mine\"}");
  matrix_timeline_send_reaction_async (timeline, "$m1", "👍", NULL, store_result, &result);

  /* Counted at once, ours, with no id to take it back yet. */
  assert_reactions (m1, "👍:1+own");
  fake_homeserver_wait_for_requests (f->server, 2, 5000);
  fake_homeserver_release (f->server);
  event_id = wait_sent (timeline, &result);
  assert_reactions (m1, "👍:1+own:$mine");
  txn = assert_put (f, SEND_PATH "m.reaction/", "{\"m.relates_to\": {\"rel_type\": \"m.annotation\","
                                                " \"event_id\": \"$m1\", \"key\": \"👍\"}}");

  /* The server's copy: still one. */
  unsigned_ = g_strdup_printf ("\"unsigned\": {\"transaction_id\": \"%s\"}", txn);
  copy = event ("$mine", ME, "m.reaction", 3000,
                "{\"m.relates_to\": {\"rel_type\": \"m.annotation\", \"event_id\": \"$m1\", \"key\": \"👍\"}}",
                unsigned_);
  sync_events (f, copy);
  assert_reactions (m1, "👍:1+own:$mine");
  assert_timeline (timeline, "$create $m1");

  /* A failed one is taken back. */
  fake_homeserver_queue_json (f->server, "PUT", ROOM_PATH "/send/m.reaction/*", 500,
                              "{\"errcode\": \"M_UNKNOWN\", \"error\": \"boom\"}", FALSE);
  matrix_timeline_send_reaction_async (timeline, "$m1", "🎉", NULL, store_result, &result);
  assert_reactions (m1, "👍:1+own:$mine 🎉:1+own");
  wait_for_pointer ((gpointer *) &result, 5000);
  g_assert_null (matrix_timeline_send_finish (timeline, result, &error));
  g_clear_object (&result);
  assert_reactions (m1, "👍:1+own:$mine");
}

static void
test_echo_edit (Fixture       *f,
                gconstpointer  data)
{
  MatrixTimeline *timeline = start_room (f);
  g_autofree char *mine = text ("$mine", ME, 1002, "tpyo");
  GAsyncResult *result = NULL;
  g_autofree char *event_id = NULL;
  g_autofree char *txn = NULL;
  g_autofree char *copy = NULL;
  g_autofree char *unsigned_ = NULL;
  g_autoptr(GError) error = NULL;
  MatrixTimelineItem *item;

  sync_events (f, mine);
  item = find_item (timeline, "$mine");

  fake_homeserver_queue_json (f->server, "PUT", ROOM_PATH "/send/m.room.message/*", 200,
                              "{\"event_id\": \"$fix\"}", FALSE);
  matrix_timeline_send_edit_async (timeline, matrix_timeline_item_get_event (item), "typo", NULL, NULL,
                                   NULL, store_result, &result);
  /* Shown at once. */
  g_assert_true (matrix_timeline_item_get_edited (item));
  g_assert_cmpstr (matrix_timeline_item_get_body (item), ==, "typo");
  event_id = wait_sent (timeline, &result);
  txn = assert_put (f, SEND_PATH "m.room.message/",
                    "{\"msgtype\": \"m.text\", \"body\": \"* typo\","
                    " \"m.new_content\": {\"msgtype\": \"m.text\", \"body\": \"typo\", \"m.mentions\": {}},"
                    " \"m.mentions\": {},"
                    " \"m.relates_to\": {\"rel_type\": \"m.replace\", \"event_id\": \"$mine\"}}");

  unsigned_ = g_strdup_printf ("\"unsigned\": {\"transaction_id\": \"%s\"}", txn);
  copy = event ("$fix", ME, "m.room.message", 3000,
                "{\"msgtype\": \"m.text\", \"body\": \"* typo\","
                " \"m.new_content\": {\"msgtype\": \"m.text\", \"body\": \"typo\"},"
                " \"m.relates_to\": {\"rel_type\": \"m.replace\", \"event_id\": \"$mine\"}}", unsigned_);
  sync_events (f, copy);
  assert_timeline (timeline, "$create $m1 $mine");
  g_assert_cmpstr (matrix_event_get_event_id (matrix_timeline_item_get_replacement (item)), ==, "$fix");
  g_assert_cmpstr (matrix_timeline_item_get_body (item), ==, "typo");

  /* A failed edit: the text before it shows again. */
  fake_homeserver_queue_json (f->server, "PUT", ROOM_PATH "/send/m.room.message/*", 500,
                              "{\"errcode\": \"M_UNKNOWN\", \"error\": \"boom\"}", FALSE);
  matrix_timeline_send_edit_async (timeline, matrix_timeline_item_get_event (item), "tyop", NULL, NULL,
                                   NULL, store_result, &result);
  g_assert_cmpstr (matrix_timeline_item_get_body (item), ==, "tyop");
  wait_for_pointer ((gpointer *) &result, 5000);
  g_assert_null (matrix_timeline_send_finish (timeline, result, &error));
  g_clear_object (&result);
  g_assert_cmpstr (matrix_timeline_item_get_body (item), ==, "typo");
}

static void
test_echo_redaction (Fixture       *f,
                     gconstpointer  data)
{
  MatrixTimeline *timeline = start_room (f);
  MatrixTimelineItem *m1 = find_item (timeline, "$m1");
  g_autofree char *mine = reaction_event ("$mine", ME, "$m1", "👍");
  GAsyncResult *result = NULL;
  g_autofree char *event_id = NULL;
  g_autoptr(GError) error = NULL;

  sync_events (f, mine);
  assert_reactions (m1, "👍:1+own:$mine");

  /* Taking a reaction back shows at once; a failure puts it back. */
  fake_homeserver_queue_json (f->server, "PUT", ROOM_PATH "/redact/%24mine/*", 500,
                              "{\"errcode\": \"M_UNKNOWN\", \"error\": \"boom\"}", FALSE);
  matrix_timeline_redact_async (timeline, "$mine", NULL, NULL, store_result, &result);
  assert_reactions (m1, "");
  wait_for_pointer ((gpointer *) &result, 5000);
  g_assert_null (matrix_timeline_send_finish (timeline, result, &error));
  g_clear_object (&result);
  assert_reactions (m1, "👍:1+own:$mine");

  /* A message being redacted says so until the redaction comes. */
  fake_homeserver_queue_json (f->server, "PUT", ROOM_PATH "/redact/%24m1/*", 200,
                              "{\"event_id\": \"$r\"}", FALSE);
  matrix_timeline_redact_async (timeline, "$m1", "oops", NULL, store_result, &result);
  g_assert_true (matrix_timeline_item_get_redacting (m1));
  event_id = wait_sent (timeline, &result);
  g_assert_true (matrix_timeline_item_get_redacting (m1));
  {
    g_autofree char *r = redaction_event ("$r", "$m1");

    sync_events (f, r);
  }
  g_assert_false (matrix_timeline_item_get_redacting (find_item (timeline, "$m1")));
  g_assert_true (matrix_event_is_redacted (matrix_timeline_item_get_event (find_item (timeline, "$m1"))));
  /* The reactions stay with the redacted message. */
  assert_reactions (find_item (timeline, "$m1"), "👍:1+own:$mine");
}

/* --- threads ------------------------------------------------------------------ */

static char *
thread_reply (const char *event_id,
              const char *sender,
              gint64      ts,
              const char *root_id,
              const char *body)
{
  g_autofree char *content = g_strdup_printf (
    "{\"msgtype\": \"m.text\", \"body\": \"%s\", \"m.relates_to\": {\"rel_type\": \"m.thread\","
    " \"event_id\": \"%s\", \"is_falling_back\": true, \"m.in_reply_to\": {\"event_id\": \"%s\"}}}",
    body, root_id, root_id);

  return event (event_id, sender, "m.room.message", ts, content, NULL);
}

/* The thread's items as "id:body". */
static char *
describe_thread (MatrixThread *thread)
{
  g_autoptr(GString) out = g_string_new (NULL);

  for (guint i = 0; i < g_list_model_get_n_items (G_LIST_MODEL (thread)); i++)
    {
      g_autoptr(MatrixEvent) item = g_list_model_get_item (G_LIST_MODEL (thread), i);
      const char *id = matrix_event_get_event_id (item);

      g_string_append_printf (out, "%s%s", i > 0 ? " " : "", g_str_has_prefix (id, "~") ? "echo" : id);
    }
  return g_string_free (g_steal_pointer (&out), FALSE);
}

/* Replies the timeline saw are in the thread at once, in time order, after
 * the root; a later sync adds to it live; none of them is a timeline row. */
static void
test_thread_from_timeline (Fixture       *f,
                           gconstpointer  data)
{
  MatrixTimeline *timeline = start_room (f);
  g_autofree char *t2 = thread_reply ("$t2", ME, 1003, "$m1", "second");
  g_autofree char *t1 = thread_reply ("$t1", BOB, 1002, "$m1", "first");
  g_autofree char *both = g_strconcat (t2, ",", t1, NULL);
  g_autofree char *t3 = thread_reply ("$t3", BOB, 1004, "$m1", "third");
  g_autoptr(MatrixThread) thread = NULL;
  g_autoptr(ItemsChangedRecorder) changes = NULL;
  g_autofree char *rows = NULL;
  g_autofree char *items = NULL;
  g_autofree char *items_later = NULL;

  sync_events (f, both);
  thread = matrix_timeline_dup_thread (timeline, "$m1");
  g_assert_cmpstr (matrix_thread_get_root_event_id (thread), ==, "$m1");
  g_assert_cmpstr (matrix_event_get_event_id (matrix_thread_get_root (thread)), ==, "$m1");
  items = describe_thread (thread);
  g_assert_cmpstr (items, ==, "$m1 $t1 $t2");
  rows = describe (timeline);
  g_assert_cmpstr (rows, ==, "$create $m1");

  changes = items_changed_recorder_new (G_LIST_MODEL (thread));
  sync_events (f, t3);
  items_later = describe_thread (thread);
  g_assert_cmpstr (items_later, ==, "$m1 $t1 $t2 $t3");
  items_changed_recorder_check (changes, "3,0,1");
}

/* /relations fills in what the timeline never saw, page by page; events
 * of other threads and invalid ones are left out. */
static void
test_thread_load (Fixture       *f,
                  gconstpointer  data)
{
  MatrixTimeline *timeline = start_room (f);
  g_autofree char *t9 = thread_reply ("$t9", BOB, 1009, "$m1", "nine");
  g_autofree char *t5 = thread_reply ("$t5", BOB, 1005, "$m1", "five");
  g_autofree char *t4 = thread_reply ("$t4", ME, 1004, "$m1", "four");
  g_autofree char *other = thread_reply ("$x", BOB, 1006, "$elsewhere", "other");
  g_autofree char *page1 = g_strdup_printf ("{\"chunk\": [%s, %s, 7], \"next_batch\": \"n1\"}", t9, other);
  g_autofree char *page2 = g_strdup_printf ("{\"chunk\": [%s, %s]}", t5, t4);
  g_autoptr(MatrixThread) thread = NULL;
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *items = NULL;

  sync_events (f, t9);
  thread = matrix_timeline_dup_thread (timeline, "$m1");
  fake_homeserver_queue_json (f->server, "GET",
                              "/_matrix/client/v1/rooms/%21room%3Aexample.org/relations/%24m1/m.thread?dir=b&limit=50",
                              200, page1, FALSE);
  fake_homeserver_queue_json (f->server, "GET",
                              "/_matrix/client/v1/rooms/%21room%3Aexample.org/relations/%24m1/m.thread?dir=b&limit=50&from=n1",
                              200, page2, FALSE);
  g_test_expect_message ("matrix-thread", G_LOG_LEVEL_WARNING, "*relations.chunk[2]: not an object*");
  matrix_thread_load_async (thread, NULL, store_result, &result);
  g_assert_true (matrix_thread_get_loading (thread));
  wait_for_pointer ((gpointer *) &result, 5000);
  g_assert_true (matrix_thread_load_finish (thread, result, &error));
  g_assert_no_error (error);
  g_test_assert_expected_messages ();
  g_assert_false (matrix_thread_get_loading (thread));

  items = describe_thread (thread);
  g_assert_cmpstr (items, ==, "$m1 $t4 $t5 $t9");
}

/* A message sent in the thread: the spec's JSON (m.thread, the fallback
 * to the thread's newest), in the thread at once, never a timeline row. */
static void
test_thread_send (Fixture       *f,
                  gconstpointer  data)
{
  MatrixTimeline *timeline = start_room (f);
  g_autofree char *t1 = thread_reply ("$t1", BOB, 1002, "$m1", "first");
  g_autoptr(MatrixThread) thread = NULL;
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *event_id = NULL;
  g_autofree char *txn = NULL;
  g_autofree char *items = NULL;
  g_autofree char *rows = NULL;

  sync_events (f, t1);
  thread = matrix_timeline_dup_thread (timeline, "$m1");
  fake_homeserver_queue_json (f->server, "PUT", ROOM_PATH "/send/m.room.message/*", 200,
                              "{\"event_id\": \"$mine\"}", TRUE);
  matrix_thread_send_async (thread, "in the thread", NULL, store_result, &result);
  items = describe_thread (thread);
  g_assert_cmpstr (items, ==, "$m1 $t1 echo");
  rows = describe (timeline);
  g_assert_cmpstr (rows, ==, "$create $m1");

  wait_for_pointer ((gpointer *) &result, 5000);
  event_id = matrix_thread_send_finish (thread, result, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (event_id, ==, "$mine");
  txn = assert_put (f, SEND_PATH "m.room.message/",
                    "{\"msgtype\": \"m.text\", \"body\": \"in the thread\", \"m.mentions\": {},"
                    " \"m.relates_to\": {\"rel_type\": \"m.thread\", \"event_id\": \"$m1\","
                    " \"is_falling_back\": true, \"m.in_reply_to\": {\"event_id\": \"$t1\"}}}");
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

#define ADD(path, func) \
  g_test_add (path, Fixture, NULL, fixture_setup, func, fixture_teardown)

  ADD ("/matrix/timeline/send/message-json", test_send_message);
  ADD ("/matrix/thread/replies-from-the-timeline-and-live", test_thread_from_timeline);
  ADD ("/matrix/thread/load-reads-relations-pages", test_thread_load);
  ADD ("/matrix/thread/send-json-and-echo", test_thread_send);
  ADD ("/matrix/timeline/send/reply-json", test_send_reply);
  ADD ("/matrix/timeline/send/edit-json", test_send_edit);
  ADD ("/matrix/timeline/send/reaction-json", test_send_reaction);
  ADD ("/matrix/timeline/send/redaction-json", test_send_redaction);
  ADD ("/matrix/timeline/send/relation-failure-reported", test_send_relation_fails);
  ADD ("/matrix/timeline/reply/fallback-stripped", test_reply_fallback_stripped);
  ADD ("/matrix/timeline/reply/resolved-from-timeline", test_reply_resolved);
  ADD ("/matrix/timeline/reply/fetched-or-inaccessible", test_reply_fetched);
  ADD ("/matrix/timeline/edit/applied-in-place", test_edit_applied_in_place);
  ADD ("/matrix/timeline/edit/latest-wins", test_edit_latest_wins);
  ADD ("/matrix/timeline/edit/invalid-ignored", test_edit_invalid_ignored);
  ADD ("/matrix/timeline/edit/redacted", test_edit_redacted);
  ADD ("/matrix/timeline/reaction/aggregated-by-key", test_reactions_aggregated);
  ADD ("/matrix/timeline/reaction/redacted-removed", test_reaction_redacted);
  ADD ("/matrix/timeline/reaction/10000-bounded", test_reactions_bounded);
  ADD ("/matrix/timeline/relations/before-target", test_relations_before_target);
  ADD ("/matrix/timeline/relations/bundled", test_bundled_aggregations);
  ADD ("/matrix/timeline/thread/summary", test_thread_summary);
  ADD ("/matrix/timeline/echo/reaction", test_echo_reaction);
  ADD ("/matrix/timeline/echo/edit", test_echo_edit);
  ADD ("/matrix/timeline/echo/redaction", test_echo_redaction);

  return g_test_run ();
}
