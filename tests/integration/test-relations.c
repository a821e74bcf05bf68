/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "integration-test-relations"

#include <glib/gstdio.h>
#include <signal.h>

#include "integration-utils.h"

/* Conversations against a real Synapse: another client (the peer, a
 * matrix-nio client: tests/integration/nio-peer.py) edits, reacts, takes a reaction back, replies and answers in a
 * thread, and the library's models show each as the spec says, live and
 * after a restart from the SQLite store; the library sends replies, edits,
 * reactions and redactions, and the peer reads exactly the events the spec
 * defines. */

typedef struct {
  char                   *dir;
  char                   *user;
  MatrixStore            *store;
  MatrixClient           *client;
  MatrixRoomStateTracker *tracker;
} Ours;

static MatrixStore *
open_store (const char *dir,
            const char *user_id)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  MatrixStore *store;

  if (user_id == NULL)
    matrix_sqlite_store_new_async (dir, 0, NULL, store_result, &result);
  else
    matrix_sqlite_store_new_lazy_async (dir, user_id, synapse_get_url (), 0, NULL, store_result,
                                        &result);
  wait_for_pointer ((gpointer *) &result, INTEGRATION_TIMEOUT_MS);
  store = matrix_sqlite_store_new_finish (result, &error);
  g_assert_no_error (error);
  return store;
}

static Ours *
ours_new (const char *prefix)
{
  Ours *self = g_new0 (Ours, 1);
  g_autofree char *password = NULL;
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;

  self->dir = g_dir_make_tmp ("confab-relations-XXXXXX", NULL);
  self->user = synapse_unique_user (prefix);
  password = g_strdup_printf ("%s-password", self->user);
  synapse_register_user (self->user, password);
  self->store = open_store (self->dir, NULL);
  self->client = matrix_client_new (synapse_get_url (), self->store);
  self->tracker = matrix_room_state_tracker_new (self->client);
  matrix_client_login_async (self->client, self->user, password, NULL, store_result, &result);
  wait_for_pointer ((gpointer *) &result, INTEGRATION_TIMEOUT_MS);
  g_assert_true (matrix_client_login_finish (self->client, result, &error));
  g_assert_no_error (error);
  return self;
}

static void
remove_tree (const char *path)
{
  g_autoptr(GDir) dir = g_dir_open (path, 0, NULL);
  const char *name;

  while (dir != NULL && (name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *child = g_build_filename (path, name, NULL);

      if (g_file_test (child, G_FILE_TEST_IS_DIR))
        remove_tree (child);
      else
        g_unlink (child);
    }
  g_rmdir (path);
}

/* Stops, writes out and closes everything: what a quit does. */
static void
ours_close (Ours *self)
{
  g_autoptr(GAsyncResult) result = NULL;

  matrix_client_stop_sync (self->client);
  iterate_for (50);
  g_clear_object (&self->tracker);
  g_clear_object (&self->client);
  matrix_sqlite_store_flush_async (MATRIX_SQLITE_STORE (self->store), NULL, store_result, &result);
  wait_for_pointer ((gpointer *) &result, INTEGRATION_TIMEOUT_MS);
  g_assert_true (matrix_sqlite_store_flush_finish (MATRIX_SQLITE_STORE (self->store), result, NULL));
  g_clear_object (&result);
  g_clear_object (&self->store);
}

/* A restart: the store opened lazily again, a client and rooms on it. */
static void
ours_reopen (Ours       *self,
             const char *user_id)
{
  self->store = open_store (self->dir, user_id);
  self->client = matrix_client_new (synapse_get_url (), self->store);
  self->tracker = matrix_room_state_tracker_new (self->client);
}

static void
ours_free (Ours *self)
{
  if (self->client != NULL)
    ours_close (self);
  remove_tree (self->dir);
  g_free (self->dir);
  g_free (self->user);
  g_free (self);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Ours, ours_free)

static char *
joined_room (Ours       *self,
             Peer       *peer,
             const char *name)
{
  g_autofree char *room_id = peer_create_room (peer, name);
  g_autofree char *path = matrix_client_build_path ("v3", "join", room_id, NULL);
  g_autoptr(JsonNode) body = json_from_string ("{}", NULL);
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(JsonObject) reply = NULL;
  g_autoptr(GError) error = NULL;

  peer_invite (peer, room_id, matrix_client_get_user_id (self->client));
  matrix_client_request_async (self->client, "POST", path, NULL, body, NULL, store_result, &result);
  wait_for_pointer ((gpointer *) &result, INTEGRATION_TIMEOUT_MS);
  reply = matrix_client_request_finish (self->client, result, &error);
  g_assert_no_error (error);
  return g_steal_pointer (&room_id);
}

typedef struct {
  Ours       *ours;
  const char *room_id;
  const char *event_id;
} RowCheck;

static MatrixTimelineItem *
find_row (MatrixTimeline *timeline,
          const char     *event_id)
{
  GListModel *model = G_LIST_MODEL (timeline);

  for (guint i = 0; i < g_list_model_get_n_items (model); i++)
    {
      g_autoptr(MatrixTimelineItem) item = g_list_model_get_item (model, i);

      if (g_strcmp0 (matrix_timeline_item_get_event_id (item), event_id) == 0)
        return item;  /* the timeline keeps it */
    }
  return NULL;
}

static MatrixTimeline *
room_timeline (Ours       *ours,
               const char *room_id)
{
  MatrixRoom *room = matrix_room_state_tracker_get_room (ours->tracker, room_id);

  return room != NULL ? matrix_room_get_timeline (room) : NULL;
}

static gboolean
row_arrived (gpointer data)
{
  RowCheck *check = data;
  MatrixTimeline *timeline = room_timeline (check->ours, check->room_id);

  return timeline != NULL && find_row (timeline, check->event_id) != NULL;
}

static void
wait_for_row (Ours       *ours,
              const char *room_id,
              const char *event_id)
{
  RowCheck check = { ours, room_id, event_id };

  if (!test_iterate_until (row_arrived, &check, INTEGRATION_TIMEOUT_MS))
    g_error ("%s never became a row of %s", event_id, room_id);
}

/* "key:count" of each reaction, with "+own" where we reacted. */
static char *
describe_reactions (MatrixTimelineItem *item)
{
  GListModel *reactions = matrix_timeline_item_get_reactions (item);
  g_autoptr(GString) out = g_string_new (NULL);

  for (guint i = 0; i < g_list_model_get_n_items (reactions); i++)
    {
      g_autoptr(MatrixReaction) reaction = g_list_model_get_item (reactions, i);

      g_string_append_printf (out, "%s%s:%u%s", i > 0 ? " " : "", matrix_reaction_get_key (reaction),
                              matrix_reaction_get_count (reaction),
                              matrix_reaction_get_own (reaction) ? "+own" : "");
    }
  return g_string_free (g_steal_pointer (&out), FALSE);
}

/* What the peer's conversation shows, in one line: the rows, the message's
 * text, its reactions, its thread, what the reply quotes. */
static char *
describe_conversation (MatrixTimeline *timeline,
                       const char     *message,
                       const char     *reply)
{
  MatrixTimelineItem *item = find_row (timeline, message);
  MatrixTimelineItem *reply_item = find_row (timeline, reply);
  g_autofree char *reactions = NULL;
  MatrixTimelineItem *quoted;
  guint n_messages = 0;

  g_assert_nonnull (item);
  g_assert_nonnull (reply_item);
  for (guint i = 0; i < g_list_model_get_n_items (G_LIST_MODEL (timeline)); i++)
    {
      g_autoptr(MatrixTimelineItem) row = g_list_model_get_item (G_LIST_MODEL (timeline), i);

      if (g_strcmp0 (matrix_timeline_item_get_event_type (row), "m.room.message") == 0)
        n_messages++;
    }
  reactions = describe_reactions (item);
  quoted = matrix_timeline_item_get_in_reply_to (reply_item);
  return g_strdup_printf ("%u messages | %s%s | %s | thread %u | reply \"%s\" to \"%s\"", n_messages,
                          matrix_timeline_item_get_body (item),
                          matrix_timeline_item_get_edited (item) ? " (edited)" : "", reactions,
                          matrix_timeline_item_get_thread_count (item),
                          matrix_timeline_item_get_body (reply_item),
                          quoted != NULL ? matrix_timeline_item_get_body (quoted) : "?");
}

static void
test_peer_relations_shown (void)
{
  g_autoptr(Ours) ours = ours_new ("watcher");
  g_autoptr(Peer) peer = peer_new_nio ("chatty");
  g_autofree char *room_id = joined_room (ours, peer, "Conversation");
  g_autofree char *user_id = g_strdup (matrix_client_get_user_id (ours->client));
  g_autofree char *message = NULL, *edit = NULL, *like = NULL, *party = NULL, *unparty = NULL;
  g_autofree char *reply = NULL, *thread = NULL, *last = NULL, *content = NULL;
  g_autofree char *shown = NULL;
  g_autoptr(GAsyncResult) result = NULL;
  MatrixTimeline *timeline;
  MatrixRoom *room;

  matrix_client_start_sync (ours->client);
  message = peer_send_text (peer, room_id, "Lunch at noon?");
  content = g_strdup_printf ("{\"msgtype\": \"m.text\", \"body\": \"* Lunch at one?\","
                             " \"m.new_content\": {\"msgtype\": \"m.text\", \"body\": \"Lunch at one?\"},"
                             " \"m.relates_to\": {\"rel_type\": \"m.replace\", \"event_id\": \"%s\"}}",
                             message);
  edit = peer_send_event (peer, room_id, "m.room.message", content);
  g_free (content);
  content = g_strdup_printf ("{\"m.relates_to\": {\"rel_type\": \"m.annotation\", \"event_id\": \"%s\","
                             " \"key\": \"👍\"}}", message);
  like = peer_send_event (peer, room_id, "m.reaction", content);
  g_free (content);
  content = g_strdup_printf ("{\"m.relates_to\": {\"rel_type\": \"m.annotation\", \"event_id\": \"%s\","
                             " \"key\": \"🎉\"}}", message);
  party = peer_send_event (peer, room_id, "m.reaction", content);
  unparty = peer_redact (peer, room_id, party);
  /* A reply as older clients write it: with the fallback quote. */
  g_free (content);
  content = g_strdup_printf ("{\"msgtype\": \"m.text\", \"body\": \"> <%s> Lunch at noon?\\n\\nor two\","
                             " \"format\": \"org.matrix.custom.html\","
                             " \"formatted_body\": \"<mx-reply><blockquote>Lunch at noon?</blockquote></mx-reply>or two\","
                             " \"m.relates_to\": {\"m.in_reply_to\": {\"event_id\": \"%s\"}}}",
                             peer_get_user_id (peer), message);
  reply = peer_send_event (peer, room_id, "m.room.message", content);
  g_free (content);
  content = g_strdup_printf ("{\"msgtype\": \"m.text\", \"body\": \"where?\", \"m.relates_to\": {"
                             "\"rel_type\": \"m.thread\", \"event_id\": \"%s\", \"is_falling_back\": true,"
                             " \"m.in_reply_to\": {\"event_id\": \"%s\"}}}", message, message);
  thread = peer_send_event (peer, room_id, "m.room.message", content);
  last = peer_send_text (peer, room_id, "see you");

  wait_for_row (ours, room_id, last);
  room = matrix_room_state_tracker_get_room (ours->tracker, room_id);
  timeline = matrix_room_get_timeline (room);
  shown = describe_conversation (timeline, message, reply);
  g_assert_cmpstr (shown, ==,
                   "3 messages | Lunch at one? (edited) | 👍:1 | thread 1 | reply \"or two\" to \"Lunch at one?\"");
  g_assert_null (find_row (timeline, edit));
  g_assert_null (find_row (timeline, like));
  g_assert_null (find_row (timeline, thread));
  g_assert_null (find_row (timeline, unparty));

  /* After a restart, from the store alone (lazily, as the app opens it). */
  ours_close (ours);
  ours_reopen (ours, user_id);
  room = matrix_room_state_tracker_get_room (ours->tracker, room_id);
  g_assert_nonnull (room);
  matrix_room_load_async (room, NULL, store_result, &result);
  wait_for_pointer ((gpointer *) &result, INTEGRATION_TIMEOUT_MS);
  g_assert_true (matrix_room_load_finish (room, result, NULL));
  g_clear_object (&result);
  g_free (shown);
  shown = describe_conversation (matrix_room_get_timeline (room), message, reply);
  g_assert_cmpstr (shown, ==,
                   "3 messages | Lunch at one? (edited) | 👍:1 | thread 1 | reply \"or two\" to \"Lunch at one?\"");
}

/* The peer's copy of the event our client sent, with @type, from us. */
static JsonObject *
peer_sees (Peer       *peer,
           Ours       *ours,
           const char *room_id,
           const char *type,
           const char *body)
{
  return peer_wait_for_event (peer, room_id, type, NULL, body, matrix_client_get_user_id (ours->client),
                              INTEGRATION_TIMEOUT_MS);
}

static void
assert_content (JsonObject *event,
                const char *expected)
{
  g_autoptr(JsonNode) want = json_from_string (expected, NULL);
  g_autoptr(JsonNode) got = json_node_init_object (json_node_alloc (),
                                                   json_object_get_object_member (event, "content"));

  g_assert_nonnull (want);
  if (!json_node_equal (got, want))
    {
      g_autofree char *got_text = json_to_string (got, FALSE);
      g_autofree char *want_text = json_to_string (want, FALSE);

      g_assert_cmpstr (got_text, ==, want_text);
    }
}

static char *
sent (MatrixTimeline *timeline,
      GAsyncResult  **result)
{
  g_autoptr(GError) error = NULL;
  char *event_id;

  wait_for_pointer ((gpointer *) result, INTEGRATION_TIMEOUT_MS);
  event_id = matrix_timeline_send_finish (timeline, *result, &error);
  g_assert_no_error (error);
  g_clear_object (result);
  return event_id;
}

typedef struct {
  MatrixTimeline *timeline;
  const char     *event_id;
  const char     *body;
  const char     *reactions;
} ShownCheck;

static gboolean
shown_as (gpointer data)
{
  ShownCheck *check = data;
  MatrixTimelineItem *item = find_row (check->timeline, check->event_id);
  g_autofree char *reactions = NULL;

  if (item == NULL)
    return FALSE;
  reactions = describe_reactions (item);
  return g_strcmp0 (matrix_timeline_item_get_body (item), check->body) == 0 &&
         g_strcmp0 (reactions, check->reactions) == 0;
}

static void
test_sent_as_the_spec_has_them (void)
{
  g_autoptr(Ours) ours = ours_new ("speaker");
  g_autoptr(Peer) peer = peer_new_nio ("listener");
  g_autofree char *room_id = joined_room (ours, peer, "Spec room");
  g_autofree char *question = NULL, *mine = NULL, *reply = NULL, *edit = NULL, *reaction = NULL;
  g_autofree char *redaction = NULL, *expected = NULL;
  g_autoptr(JsonObject) seen = NULL;
  GAsyncResult *result = NULL;
  MatrixTimeline *timeline;
  MatrixTimelineItem *item;
  ShownCheck check;

  matrix_client_start_sync (ours->client);
  question = peer_send_text (peer, room_id, "Anyone?");
  wait_for_row (ours, room_id, question);
  timeline = room_timeline (ours, room_id);
  item = find_row (timeline, question);
  peer_mark_sync_position (peer);

  /* A reply: the relation and the mention, no fallback. */
  matrix_timeline_send_reply_async (timeline, matrix_timeline_item_get_event (item), MATRIX_MESSAGE_TEXT,
                                    "Me!", NULL, NULL, NULL, store_result, &result);
  reply = sent (timeline, &result);
  seen = peer_sees (peer, ours, room_id, "m.room.message", "Me!");
  g_assert_cmpstr (json_object_get_string_member (seen, "event_id"), ==, reply);
  expected = g_strdup_printf ("{\"msgtype\": \"m.text\", \"body\": \"Me!\","
                              " \"m.mentions\": {\"user_ids\": [\"%s\"]},"
                              " \"m.relates_to\": {\"m.in_reply_to\": {\"event_id\": \"%s\"}}}",
                              peer_get_user_id (peer), question);
  assert_content (seen, expected);
  g_clear_pointer (&seen, json_object_unref);

  /* A message, then its edit. */
  matrix_timeline_send_message_async (timeline, MATRIX_MESSAGE_TEXT, "Lunch at noom", NULL, NULL, NULL,
                                      store_result, &result);
  mine = sent (timeline, &result);
  wait_for_row (ours, room_id, mine);
  matrix_timeline_send_edit_async (timeline, matrix_timeline_item_get_event (find_row (timeline, mine)),
                                   "Lunch at noon", "Lunch at <b>noon</b>", NULL, NULL, store_result,
                                   &result);
  edit = sent (timeline, &result);
  seen = peer_sees (peer, ours, room_id, "m.room.message", "* Lunch at noon");
  g_free (expected);
  expected = g_strdup_printf ("{\"msgtype\": \"m.text\", \"body\": \"* Lunch at noon\","
                              " \"format\": \"org.matrix.custom.html\", \"formatted_body\": \"* Lunch at <b>noon</b>\","
                              " \"m.new_content\": {\"msgtype\": \"m.text\", \"body\": \"Lunch at noon\","
                              "   \"format\": \"org.matrix.custom.html\", \"formatted_body\": \"Lunch at <b>noon</b>\","
                              "   \"m.mentions\": {}},"
                              " \"m.mentions\": {},"
                              " \"m.relates_to\": {\"rel_type\": \"m.replace\", \"event_id\": \"%s\"}}", mine);
  assert_content (seen, expected);
  g_clear_pointer (&seen, json_object_unref);

  /* A reaction, then taken back. */
  matrix_timeline_send_reaction_async (timeline, question, "👍", NULL, store_result, &result);
  reaction = sent (timeline, &result);
  seen = peer_sees (peer, ours, room_id, "m.reaction", NULL);
  g_free (expected);
  expected = g_strdup_printf ("{\"m.relates_to\": {\"rel_type\": \"m.annotation\", \"event_id\": \"%s\","
                              " \"key\": \"👍\"}}", question);
  assert_content (seen, expected);
  g_clear_pointer (&seen, json_object_unref);
  check = (ShownCheck) { timeline, question, "Anyone?", "👍:1+own" };
  g_assert_true (test_iterate_until (shown_as, &check, INTEGRATION_TIMEOUT_MS));

  matrix_timeline_redact_async (timeline, reaction, "changed my mind", NULL, store_result, &result);
  redaction = sent (timeline, &result);
  seen = peer_sees (peer, ours, room_id, "m.room.redaction", NULL);
  g_assert_cmpstr (json_object_get_string_member (seen, "event_id"), ==, redaction);
  /* Room version 10 names the event at the top level; 11 in the content. */
  if (json_object_has_member (seen, "redacts"))
    g_assert_cmpstr (json_object_get_string_member (seen, "redacts"), ==, reaction);
  else
    g_assert_cmpstr (json_object_get_string_member (json_object_get_object_member (seen, "content"),
                                                    "redacts"), ==, reaction);
  g_assert_cmpstr (json_object_get_string_member (json_object_get_object_member (seen, "content"),
                                                  "reason"), ==, "changed my mind");

  /* Our own model: the edit in place, the reaction gone. */
  check = (ShownCheck) { timeline, question, "Anyone?", "" };
  g_assert_true (test_iterate_until (shown_as, &check, INTEGRATION_TIMEOUT_MS));
  check = (ShownCheck) { timeline, mine, "Lunch at noon", "" };
  g_assert_true (test_iterate_until (shown_as, &check, INTEGRATION_TIMEOUT_MS));
  g_assert_null (find_row (timeline, edit));
}


/* --- typing and receipts ------------------------------------------------------- */

typedef struct {
  MatrixRoom *room;
  const char *user_id;
  const char *event_id;
} RoomCheck;

static gboolean
is_typing (gpointer data)
{
  RoomCheck *check = data;

  return g_strv_contains (matrix_room_get_typing_users (check->room), check->user_id);
}

static gboolean
has_read (gpointer data)
{
  RoomCheck *check = data;

  return g_strcmp0 (matrix_room_get_read_receipt (check->room, check->user_id), check->event_id) == 0;
}

static gboolean
fully_read_at (gpointer data)
{
  RoomCheck *check = data;

  return g_strcmp0 (matrix_room_get_fully_read (check->room), check->event_id) == 0;
}

static gboolean
typing_includes (JsonObject *content,
                 gpointer    user_id)
{
  JsonArray *ids = json_object_get_array_member (content, "user_ids");

  for (guint i = 0; ids != NULL && i < json_array_get_length (ids); i++)
    if (g_strcmp0 (json_array_get_string_element (ids, i), user_id) == 0)
      return TRUE;
  return FALSE;
}

static gboolean
typing_excludes (JsonObject *content,
                 gpointer    user_id)
{
  return !typing_includes (content, user_id);
}

static void
test_typing_and_receipts (void)
{
  g_autoptr(Ours) ours = ours_new ("typist");
  g_autoptr(Peer) peer = peer_new_nio ("reader");
  g_autofree char *room_id = joined_room (ours, peer, "Typing room");
  g_autofree char *user_id = g_strdup (matrix_client_get_user_id (ours->client));
  g_autofree char *message = NULL, *path = NULL, *escaped_room = NULL, *escaped_peer = NULL;
  g_autofree char *mine = NULL;
  g_autoptr(JsonObject) reply = NULL;
  g_autoptr(JsonObject) content = NULL;
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  GAsyncResult *sent_result = NULL;
  RoomCheck check;
  MatrixRoom *room;

  matrix_client_start_sync (ours->client);
  message = peer_send_text (peer, room_id, "Are you there?");
  wait_for_row (ours, room_id, message);
  room = matrix_room_state_tracker_get_room (ours->tracker, room_id);

  /* The peer types, and reads. */
  escaped_room = g_uri_escape_string (room_id, NULL, FALSE);
  escaped_peer = g_uri_escape_string (peer_get_user_id (peer), NULL, FALSE);
  path = g_strdup_printf ("v3/rooms/%s/typing/%s", escaped_room, escaped_peer);
  reply = peer_request (peer, "PUT", path, "{\"typing\": true, \"timeout\": 30000}", &error);
  g_assert_no_error (error);
  check = (RoomCheck) { room, peer_get_user_id (peer), message };
  g_assert_true (test_iterate_until (is_typing, &check, INTEGRATION_TIMEOUT_MS));
  g_free (path);
  g_clear_pointer (&reply, json_object_unref);
  path = g_strdup_printf ("v3/rooms/%s/receipt/m.read/%s", escaped_room, message);
  reply = peer_request (peer, "POST", path, "{}", &error);
  g_assert_no_error (error);
  g_assert_true (test_iterate_until (has_read, &check, INTEGRATION_TIMEOUT_MS));

  /* We type; the message we send says we stopped. */
  peer_mark_sync_position (peer);
  matrix_client_set_typing_async (ours->client, room_id, TRUE, 20000, NULL, store_result, &result);
  wait_for_pointer ((gpointer *) &result, INTEGRATION_TIMEOUT_MS);
  g_assert_true (matrix_client_set_typing_finish (ours->client, result, NULL));
  content = peer_wait_for_ephemeral (peer, room_id, "m.typing", typing_includes, user_id,
                                     INTEGRATION_TIMEOUT_MS);
  g_clear_pointer (&content, json_object_unref);
  matrix_timeline_send_message_async (matrix_room_get_timeline (room), MATRIX_MESSAGE_TEXT, "Yes!", NULL,
                                      NULL, NULL, store_result, &sent_result);
  mine = sent (matrix_room_get_timeline (room), &sent_result);
  content = peer_wait_for_ephemeral (peer, room_id, "m.typing", typing_excludes, user_id,
                                     INTEGRATION_TIMEOUT_MS);

  /* Our fully-read marker comes back from the server as account data. */
  wait_for_row (ours, room_id, mine);
  g_clear_object (&result);
  matrix_room_mark_read_async (room, NULL, store_result, &result);
  wait_for_pointer ((gpointer *) &result, INTEGRATION_TIMEOUT_MS);
  g_assert_true (matrix_room_mark_read_finish (room, result, NULL));
  check = (RoomCheck) { room, user_id, mine };
  g_assert_true (test_iterate_until (fully_read_at, &check, INTEGRATION_TIMEOUT_MS));
  g_assert_true (test_iterate_until (has_read, &check, INTEGRATION_TIMEOUT_MS));

  /* After a restart: the receipts and the marker, not who was typing. */
  ours_close (ours);
  ours_reopen (ours, user_id);
  room = matrix_room_state_tracker_get_room (ours->tracker, room_id);
  g_assert_cmpstr (matrix_room_get_fully_read (room), ==, mine);
  g_assert_cmpstr (matrix_room_get_read_receipt (room, peer_get_user_id (peer)), ==, message);
  g_assert_null (matrix_room_get_typing_users (room)[0]);
}

typedef struct {
  MatrixStore *store;
  const char  *room_id;
} PendingCheck;

static gboolean
nothing_pending (gpointer data)
{
  PendingCheck *check = data;
  g_autoptr(GPtrArray) sends = matrix_store_get_pending_sends (check->store, check->room_id);

  return sends->len == 0;
}

static guint
count_bodies (JsonArray  *chunk,
              const char *body)
{
  guint n = 0;

  for (guint i = 0; i < json_array_get_length (chunk); i++)
    {
      JsonObject *event = json_array_get_object_element (chunk, i);
      JsonObject *content = json_object_get_object_member (event, "content");

      n += content != NULL &&
           g_strcmp0 (json_object_get_string_member_with_default (content, "body", NULL), body) == 0;
    }
  return n;
}

static gboolean
echo_sent (gpointer data)
{
  return matrix_timeline_item_get_send_state (data) == MATRIX_SEND_STATE_SENT;
}

/* A message typed while the server is frozen is kept in the store; the app
 * quits; the server comes back; the next start shows the message and sends
 * it with the same transaction id. The first request may still reach the
 * server once it thaws: the room holds the message once all the same. */
static void
test_unsent_message_survives_restart (void)
{
  g_autoptr(Ours) ours = ours_new ("unsent");
  g_autoptr(Peer) peer = peer_new ("unsent-peer");
  g_autofree char *room_id = joined_room (ours, peer, "Unsent room");
  g_autofree char *user_id = g_strdup (matrix_client_get_user_id (ours->client));
  g_autoptr(GCancellable) quit = g_cancellable_new ();
  g_autoptr(MatrixTimelineItem) echo = NULL;
  g_autoptr(JsonObject) seen = NULL;
  g_autoptr(JsonArray) chunk = NULL;
  g_autofree char *first = NULL, *txn_id = NULL;
  const char *body = "Typed while the server was frozen";
  PendingCheck pending;
  GPid pid = synapse_get_pid ();
  MatrixTimeline *timeline;
  guint n;

  matrix_client_start_sync (ours->client);
  first = peer_send_text (peer, room_id, "Still there?");
  wait_for_row (ours, room_id, first);
  timeline = room_timeline (ours, room_id);
  peer_mark_sync_position (peer);

  g_assert_cmpint (kill (pid, SIGSTOP), ==, 0);
  matrix_timeline_send_message_async (timeline, MATRIX_MESSAGE_TEXT, body, NULL, NULL, quit, NULL, NULL);
  n = g_list_model_get_n_items (G_LIST_MODEL (timeline));
  echo = g_list_model_get_item (G_LIST_MODEL (timeline), n - 1);
  txn_id = g_strdup (matrix_timeline_item_get_transaction_id (echo));
  g_clear_object (&echo);
  /* Quit while the request hangs. */
  g_cancellable_cancel (quit);
  ours_close (ours);
  g_assert_cmpint (kill (pid, SIGCONT), ==, 0);

  ours_reopen (ours, user_id);
  timeline = room_timeline (ours, room_id);
  g_assert_nonnull (timeline);
  n = g_list_model_get_n_items (G_LIST_MODEL (timeline));
  g_assert_cmpuint (n, >, 0);
  echo = g_list_model_get_item (G_LIST_MODEL (timeline), n - 1);
  g_assert_cmpint (matrix_timeline_item_get_kind (echo), ==, MATRIX_TIMELINE_ITEM_LOCAL_ECHO);
  g_assert_cmpstr (matrix_timeline_item_get_transaction_id (echo), ==, txn_id);
  g_assert_true (test_iterate_until (echo_sent, echo, INTEGRATION_TIMEOUT_MS));

  seen = peer_sees (peer, ours, room_id, "m.room.message", body);
  g_assert_nonnull (seen);
  /* Our sync brings the server's copy: the store lets go of the send. */
  matrix_client_start_sync (ours->client);
  pending = (PendingCheck) { ours->store, room_id };
  g_assert_true (test_iterate_until (nothing_pending, &pending, INTEGRATION_TIMEOUT_MS));

  chunk = peer_get_messages (peer, room_id, 50);
  g_assert_cmpuint (count_bodies (chunk, body), ==, 1);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/integration/relations/peer-relations-shown-live-and-after-restart",
                   test_peer_relations_shown);
  g_test_add_func ("/integration/relations/sent-as-the-spec-has-them", test_sent_as_the_spec_has_them);
  g_test_add_func ("/integration/room/typing-and-receipts", test_typing_and_receipts);
  g_test_add_func ("/integration/room/unsent-message-survives-restart",
                   test_unsent_message_survives_restart);

  return g_test_run ();
}
