/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "test-integration-client"

/* MatrixClient and MatrixRoomStateTracker against a real Synapse: login and
 * logout, the sync loop's signals for a room another user made, limited
 * timelines, leaving, sending, read markers and room avatars. */

#include <gdk-pixbuf/gdk-pixbuf.h>

#include "integration-utils.h"

/* --- helpers ------------------------------------------------------------- */

static GPtrArray *
signals_for_room (TestClient *self,
                  const char *name,
                  const char *room_id,
                  guint       from)
{
  GPtrArray *all = signal_recorder_get_signals (self->recorder);
  GPtrArray *found = g_ptr_array_new ();

  for (guint i = from; i < all->len; i++)
    {
      RecordedSignal *signal = g_ptr_array_index (all, i);

      if (g_str_equal (signal->name, name) && g_strcmp0 (signal->room_id, room_id) == 0)
        g_ptr_array_add (found, signal);
    }
  return found;
}

static MatrixEvent *
find_state (GPtrArray  *events,
            const char *event_type,
            const char *state_key)
{
  for (guint i = 0; i < events->len; i++)
    {
      MatrixEvent *event = g_ptr_array_index (events, i);

      if (MATRIX_IS_STATE_EVENT (event) &&
          g_str_equal (matrix_event_get_event_type (event), event_type) &&
          g_str_equal (matrix_state_event_get_state_key (MATRIX_STATE_EVENT (event)), state_key))
        return event;
    }
  return NULL;
}

static gboolean
objects_equal (JsonObject *a,
               JsonObject *b)
{
  g_autoptr(JsonNode) node_a = json_node_init_object (json_node_alloc (), a);
  g_autoptr(JsonNode) node_b = json_node_init_object (json_node_alloc (), b);

  return json_node_equal (node_a, node_b);
}

/* Every (type, state_key) of the server's GET /rooms/{roomId}/state, and no
 * other, is in the tracker with the same event id and content. */
static void
assert_tracker_agrees_with_server (TestClient *self,
                                   Peer       *peer,
                                   const char *room_id)
{
  g_autoptr(JsonArray) state = peer_get_state (peer, room_id);
  g_autoptr(GHashTable) counts = g_hash_table_new (g_str_hash, g_str_equal);
  GHashTableIter iter;
  gpointer type, count;

  g_assert_cmpuint (json_array_get_length (state), >, 0);

  for (guint i = 0; i < json_array_get_length (state); i++)
    {
      JsonObject *event = json_array_get_object_element (state, i);
      const char *event_type = json_object_get_string_member (event, "type");
      const char *state_key = json_object_get_string_member (event, "state_key");
      g_autoptr(MatrixStateEvent) ours = NULL;

      ours = matrix_room_state_tracker_get_state (self->tracker, room_id, event_type, state_key);
      if (ours == NULL)
        g_error ("The tracker lacks (%s, \"%s\") in %s", event_type, state_key, room_id);

      g_assert_cmpstr (matrix_event_get_event_id (MATRIX_EVENT (ours)), ==,
                       json_object_get_string_member (event, "event_id"));
      g_assert_cmpstr (matrix_event_get_sender (MATRIX_EVENT (ours)), ==,
                       json_object_get_string_member (event, "sender"));
      g_assert_true (objects_equal (matrix_event_get_content (MATRIX_EVENT (ours)),
                                    json_object_get_object_member (event, "content")));

      count = g_hash_table_lookup (counts, event_type);
      g_hash_table_insert (counts, (gpointer) event_type, GUINT_TO_POINTER (GPOINTER_TO_UINT (count) + 1));
    }

  g_hash_table_iter_init (&iter, counts);
  while (g_hash_table_iter_next (&iter, &type, &count))
    {
      g_autoptr(GHashTable) ours = NULL;

      ours = matrix_room_state_tracker_get_all_state_for_type (self->tracker, room_id, type);
      g_assert_nonnull (ours);
      g_assert_cmpuint (g_hash_table_size (ours), ==, GPOINTER_TO_UINT (count));
    }
}

/* A room @peer made, with @self invited and joined (through the library). */
static char *
joined_room (TestClient *self,
             Peer       *peer,
             const char *name)
{
  g_autofree char *room_id = peer_create_room (peer, name);

  peer_invite (peer, room_id, matrix_client_get_user_id (self->client));
  test_client_join (self, room_id);
  return g_steal_pointer (&room_id);
}

/* --- login and logout ---------------------------------------------------- */

static void
test_login_password (void)
{
  g_autoptr(TestClient) ours = test_client_new_logged_in ("login");
  g_autoptr(JsonObject) whoami = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *user_id = g_strdup_printf ("@%s:localhost", ours->user);
  MatrixStore *store = matrix_client_get_store (ours->client);

  g_assert_true (matrix_client_is_logged_in (ours->client));
  g_assert_cmpstr (matrix_client_get_user_id (ours->client), ==, user_id);
  g_assert_nonnull (matrix_client_get_device_id (ours->client));
  g_assert_cmpstr (matrix_store_get_value (store, MATRIX_STORE_KEY_HOMESERVER), ==, synapse_get_url ());

  /* The token it got is one the server accepts, for this user and device. */
  whoami = test_client_request (ours, "GET", "v3/account/whoami", NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (json_object_get_string_member (whoami, "user_id"), ==, user_id);
  g_assert_cmpstr (json_object_get_string_member (whoami, "device_id"), ==,
                   matrix_client_get_device_id (ours->client));
}

static void
test_login_wrong_password (void)
{
  g_autoptr(TestClient) ours = test_client_new ("wrongpw");
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;

  matrix_client_login_async (ours->client, ours->user, "not the password", NULL, store_result, &result);
  wait_for_pointer ((gpointer *) &result, INTEGRATION_TIMEOUT_MS);

  g_assert_false (matrix_client_login_finish (ours->client, result, &error));
  g_assert_error (error, MATRIX_ERROR, MATRIX_ERROR_FORBIDDEN);
  g_assert_cmpstr (matrix_error_get_errcode (error), ==, "M_FORBIDDEN");
  g_assert_cmpuint (matrix_error_get_http_status (error), ==, 403);
  g_assert_false (matrix_client_is_logged_in (ours->client));
  g_assert_null (matrix_client_get_user_id (ours->client));
}

static void
test_logout_token_rejected (void)
{
  g_autoptr(TestClient) ours = test_client_new_logged_in ("logout");
  MatrixStore *store = matrix_client_get_store (ours->client);
  g_autofree char *token = g_strdup (matrix_store_get_value (store, MATRIX_STORE_KEY_ACCESS_TOKEN));
  g_autoptr(Peer) with_old_token = peer_new_with_token (token);
  g_autoptr(JsonObject) reply = NULL;
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;

  g_assert_nonnull (token);
  reply = peer_request (with_old_token, "GET", "v3/account/whoami", NULL, &error);
  g_assert_no_error (error);
  g_clear_pointer (&reply, json_object_unref);

  matrix_client_logout_async (ours->client, NULL, store_result, &result);
  wait_for_pointer ((gpointer *) &result, INTEGRATION_TIMEOUT_MS);
  g_assert_true (matrix_client_logout_finish (ours->client, result, &error));
  g_assert_no_error (error);
  g_assert_false (matrix_client_is_logged_in (ours->client));
  g_assert_null (matrix_store_get_value (store, MATRIX_STORE_KEY_ACCESS_TOKEN));

  reply = peer_request (with_old_token, "GET", "v3/account/whoami", NULL, &error);
  g_assert_null (reply);
  g_assert_error (error, MATRIX_ERROR, MATRIX_ERROR_UNKNOWN_TOKEN);
  g_assert_cmpuint (matrix_error_get_http_status (error), ==, 401);
}

/* --- sync ---------------------------------------------------------------- */

static void
test_sync_joined_room (void)
{
  g_autoptr(TestClient) ours = test_client_new_logged_in ("joiner");
  g_autoptr(Peer) peer = peer_new ("creator");
  g_autofree char *room_id = joined_room (ours, peer, "State room");
  const char *user_id = matrix_client_get_user_id (ours->client);
  g_autoptr(GPtrArray) state_updates = NULL;
  g_autoptr(GPtrArray) timeline_updates = NULL;
  g_autoptr(GPtrArray) seen = g_ptr_array_new ();
  g_autofree char *topic_id = NULL;
  g_autofree char *custom_id = NULL;
  g_autofree char *message_id = NULL;
  RecordedSignal *timeline;
  MatrixEvent *event;
  guint n_signals;

  test_client_sync_once (ours);

  /* The initial sync: the room's state before our join, and a timeline that
   * ends with our join. */
  state_updates = signals_for_room (ours, "room-state-updates", room_id, 0);
  timeline_updates = signals_for_room (ours, "room-timeline-updates", room_id, 0);
  g_assert_cmpuint (state_updates->len, <=, 1);
  g_assert_cmpuint (timeline_updates->len, ==, 1);
  for (guint i = 0; i < state_updates->len; i++)
    g_ptr_array_extend (seen, ((RecordedSignal *) g_ptr_array_index (state_updates, i))->events, NULL, NULL);
  timeline = g_ptr_array_index (timeline_updates, 0);
  g_ptr_array_extend (seen, timeline->events, NULL, NULL);

  event = find_state (seen, "m.room.create", "");
  g_assert_nonnull (event);
  g_assert_cmpstr (matrix_event_get_sender (event), ==, peer_get_user_id (peer));
  event = find_state (seen, "m.room.name", "");
  g_assert_nonnull (event);
  g_assert_cmpstr (matrix_event_get_content_string (event, "name"), ==, "State room");
  event = find_state (seen, "m.room.topic", "");
  g_assert_nonnull (event);
  g_assert_cmpstr (matrix_event_get_content_string (event, "topic"), ==, "Topic of State room");
  event = find_state (seen, "m.room.member", peer_get_user_id (peer));
  g_assert_nonnull (event);
  g_assert_cmpstr (matrix_event_get_content_string (event, "membership"), ==, "join");

  g_assert_cmpuint (timeline->events->len, >, 0);
  event = g_ptr_array_index (timeline->events, timeline->events->len - 1);
  g_assert_true (MATRIX_IS_STATE_EVENT (event));
  g_assert_cmpstr (matrix_event_get_event_type (event), ==, "m.room.member");
  g_assert_cmpstr (matrix_state_event_get_state_key (MATRIX_STATE_EVENT (event)), ==, user_id);
  g_assert_cmpstr (matrix_event_get_content_string (event, "membership"), ==, "join");
  for (guint i = 0; i < timeline->events->len; i++)
    g_assert_cmpstr (matrix_event_get_room_id (g_ptr_array_index (timeline->events, i)), ==, room_id);

  assert_tracker_agrees_with_server (ours, peer, room_id);

  /* State that changes while we sync comes in the timeline, in order. */
  n_signals = signal_recorder_get_signals (ours->recorder)->len;
  topic_id = peer_set_state (peer, room_id, "m.room.topic", "", "{\"topic\": \"A new topic\"}");
  custom_id = peer_set_state (peer, room_id, "org.confab.test", "some key", "{\"n\": 1}");
  message_id = peer_send_text (peer, room_id, "after the state");
  test_client_wait_for_event (ours, message_id);

  g_clear_pointer (&timeline_updates, g_ptr_array_unref);
  g_ptr_array_set_size (seen, 0);
  timeline_updates = signals_for_room (ours, "room-timeline-updates", room_id, n_signals);
  for (guint i = 0; i < timeline_updates->len; i++)
    g_ptr_array_extend (seen, ((RecordedSignal *) g_ptr_array_index (timeline_updates, i))->events,
                        NULL, NULL);
  g_assert_cmpuint (seen->len, ==, 3);
  g_assert_cmpstr (matrix_event_get_event_id (g_ptr_array_index (seen, 0)), ==, topic_id);
  g_assert_cmpstr (matrix_event_get_event_id (g_ptr_array_index (seen, 1)), ==, custom_id);
  g_assert_cmpstr (matrix_event_get_event_id (g_ptr_array_index (seen, 2)), ==, message_id);
  g_assert_false (matrix_event_is_state (g_ptr_array_index (seen, 2)));
  g_assert_cmpstr (matrix_event_get_content_string (g_ptr_array_index (seen, 2), "body"), ==,
                   "after the state");

  assert_tracker_agrees_with_server (ours, peer, room_id);
}

static void
test_sync_limited_timeline (void)
{
  g_autoptr(TestClient) ours = test_client_new_logged_in ("limited");
  g_autoptr(Peer) peer = peer_new ("chatty");
  g_autofree char *room_id = joined_room (ours, peer, "Busy room");
  g_autoptr(GPtrArray) sent = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GPtrArray) updates = NULL;
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(JsonObject) messages = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *path = NULL;
  RecordedSignal *update;
  JsonArray *chunk;
  guint n_signals;

  matrix_client_set_sync_filter (ours->client, "{\"room\":{\"timeline\":{\"limit\":5}}}");
  /* The limited sync as the server sends it; the client's filling of such
   * gaps has its own tests (test-matrix-client-gaps, test-kill-restart). */
  matrix_client_set_fill_gaps (ours->client, FALSE);
  test_client_sync_once (ours);
  matrix_client_stop_sync (ours->client);

  /* Twice the limit, while our client is not looking. */
  for (guint i = 0; i < 10; i++)
    {
      g_autofree char *body = g_strdup_printf ("message %u", i);

      g_ptr_array_add (sent, peer_send_text (peer, room_id, body));
    }

  n_signals = signal_recorder_get_signals (ours->recorder)->len;
  matrix_client_start_sync (ours->client);
  test_client_wait_for_event (ours, g_ptr_array_index (sent, 9));

  updates = signals_for_room (ours, "room-timeline-updates", room_id, n_signals);
  g_assert_cmpuint (updates->len, ==, 1);
  update = g_ptr_array_index (updates, 0);
  g_assert_true (update->limited);
  g_assert_nonnull (update->prev_batch);
  g_assert_cmpuint (update->events->len, ==, 5);
  for (guint i = 0; i < 5; i++)
    g_assert_cmpstr (matrix_event_get_event_id (g_ptr_array_index (update->events, i)), ==,
                     g_ptr_array_index (sent, 5 + i));
  for (guint i = 0; i < 5; i++)
    g_assert_cmpuint (test_client_count_event (ours, g_ptr_array_index (sent, i)), ==, 0);

  /* The gap is exactly what /messages returns from prev_batch backwards. */
  path = matrix_client_build_path ("v3", "rooms", room_id, "messages", NULL);
  {
    const char *query[] = { "from", update->prev_batch, "dir", "b", "limit", "5", NULL };

    matrix_client_request_async (ours->client, "GET", path, query, NULL, NULL, store_result, &result);
  }
  wait_for_pointer ((gpointer *) &result, INTEGRATION_TIMEOUT_MS);
  messages = matrix_client_request_finish (ours->client, result, &error);
  g_assert_no_error (error);
  chunk = json_object_get_array_member (messages, "chunk");
  g_assert_cmpuint (json_array_get_length (chunk), ==, 5);
  for (guint i = 0; i < 5; i++)
    g_assert_cmpstr (json_object_get_string_member (json_array_get_object_element (chunk, i), "event_id"),
                     ==, g_ptr_array_index (sent, 4 - i));
}

static void
test_sync_left_room (void)
{
  g_autoptr(TestClient) ours = test_client_new_logged_in ("leaver");
  g_autoptr(Peer) peer = peer_new ("host");
  g_autofree char *room_id = joined_room (ours, peer, "Room to leave");
  g_autofree char *path = NULL;
  g_autoptr(JsonObject) reply = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) timeline_updates = NULL;
  g_autoptr(GPtrArray) left = NULL;
  GPtrArray *all = signal_recorder_get_signals (ours->recorder);
  RecordedSignal *update;
  MatrixEvent *event;
  g_autoptr(MatrixStateEvent) member = NULL;
  guint n_signals, left_index = 0, update_index = 0;

  test_client_sync_once (ours);
  g_assert_cmpuint (ours->left_rooms->len, ==, 0);
  n_signals = all->len;

  path = matrix_client_build_path ("v3", "rooms", room_id, "leave", NULL);
  reply = test_client_request (ours, "POST", path, "{}", &error);
  g_assert_no_error (error);
  test_client_wait_left (ours, room_id);

  /* Our own leave event comes first in the room's timeline, then left-room. */
  timeline_updates = signals_for_room (ours, "room-timeline-updates", room_id, n_signals);
  left = signals_for_room (ours, "left-room", room_id, n_signals);
  g_assert_cmpuint (left->len, ==, 1);
  g_assert_cmpuint (timeline_updates->len, ==, 1);
  update = g_ptr_array_index (timeline_updates, 0);
  event = g_ptr_array_index (update->events, update->events->len - 1);
  g_assert_cmpstr (matrix_event_get_event_type (event), ==, "m.room.member");
  g_assert_cmpstr (matrix_event_get_sender (event), ==, matrix_client_get_user_id (ours->client));
  g_assert_cmpstr (matrix_event_get_content_string (event, "membership"), ==, "leave");
  g_assert_true (g_ptr_array_find (all, update, &update_index));
  g_assert_true (g_ptr_array_find (all, g_ptr_array_index (left, 0), &left_index));
  g_assert_cmpuint (update_index, <, left_index);

  member = matrix_room_state_tracker_get_state (ours->tracker, room_id, "m.room.member",
                                                matrix_client_get_user_id (ours->client));
  g_assert_nonnull (member);
  g_assert_cmpstr (matrix_event_get_content_string (MATRIX_EVENT (member), "membership"), ==, "leave");
}

static void
test_sync_left_room_when_kicked (void)
{
  g_autoptr(TestClient) ours = test_client_new_logged_in ("kicked");
  g_autoptr(Peer) peer = peer_new ("moderator");
  g_autofree char *room_id = joined_room (ours, peer, "Room to be kicked from");
  g_autofree char *room = g_uri_escape_string (room_id, NULL, FALSE);
  g_autofree char *path = g_strdup_printf ("v3/rooms/%s/kick", room);
  g_autofree char *body = g_strdup_printf ("{\"user_id\": \"%s\", \"reason\": \"testing\"}",
                                           matrix_client_get_user_id (ours->client));
  g_autoptr(JsonObject) reply = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(MatrixStateEvent) member = NULL;

  test_client_sync_once (ours);
  reply = peer_request (peer, "POST", path, body, &error);
  g_assert_no_error (error);
  test_client_wait_left (ours, room_id);

  member = matrix_room_state_tracker_get_state (ours->tracker, room_id, "m.room.member",
                                                matrix_client_get_user_id (ours->client));
  g_assert_nonnull (member);
  g_assert_cmpstr (matrix_event_get_sender (MATRIX_EVENT (member)), ==, peer_get_user_id (peer));
  g_assert_cmpstr (matrix_event_get_content_string (MATRIX_EVENT (member), "membership"), ==, "leave");
  g_assert_cmpstr (matrix_event_get_content_string (MATRIX_EVENT (member), "reason"), ==, "testing");
}

static void
on_session_ended (MatrixClient *client,
                  gboolean      soft_logout,
                  gpointer      user_data)
{
  int *ended = user_data;

  *ended = soft_logout ? 2 : 1;
}

static gboolean
session_ended (gpointer data)
{
  return *(int *) data != 0;
}

/* The token is logged out elsewhere (another program, or the user's other
 * client) while we sync: the loop stops with ::session-ended instead of
 * retrying forever. */
static void
test_sync_session_ended_remotely (void)
{
  g_autoptr(TestClient) ours = test_client_new_logged_in ("revoked");
  g_autoptr(Peer) peer = peer_new ("bystander");
  g_autofree char *room_id = joined_room (ours, peer, "Room of a revoked session");
  MatrixStore *store = matrix_client_get_store (ours->client);
  g_autoptr(Peer) elsewhere = peer_new_with_token (matrix_store_get_value (store, MATRIX_STORE_KEY_ACCESS_TOKEN));
  g_autoptr(JsonObject) reply = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *message_id = NULL;
  int ended = 0;

  g_signal_connect (ours->client, "session-ended", G_CALLBACK (on_session_ended), &ended);
  test_client_sync_once (ours);

  reply = peer_request (elsewhere, "POST", "v3/logout", "{}", &error);
  g_assert_no_error (error);
  /* Wakes the long-poll in flight, so the next one meets the dead token. */
  message_id = peer_send_text (peer, room_id, "wake up");

  if (!test_iterate_until (session_ended, &ended, INTEGRATION_TIMEOUT_MS))
    g_error ("No session-ended after the token was logged out");
  g_assert_cmpint (ended, ==, 1);
  g_assert_false (matrix_client_is_syncing (ours->client));
  g_assert_false (matrix_client_is_logged_in (ours->client));
  g_assert_error (matrix_client_get_sync_error (ours->client), MATRIX_ERROR, MATRIX_ERROR_UNKNOWN_TOKEN);
  g_assert_cmpuint (ours->failed_delays->len, ==, 0);
  g_signal_handlers_disconnect_by_func (ours->client, on_session_ended, &ended);
}

/* --- sending ------------------------------------------------------------- */

static char *
send_text (TestClient *self,
           const char *room_id,
           const char *body,
           const char *txn_id)
{
  g_autoptr(JsonObject) content = json_object_new ();
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  char *event_id;

  json_object_set_string_member (content, "msgtype", "m.text");
  json_object_set_string_member (content, "body", body);
  matrix_client_send_event_async (self->client, room_id, "m.room.message", content, txn_id, NULL,
                                  store_result, &result);
  wait_for_pointer ((gpointer *) &result, INTEGRATION_TIMEOUT_MS);
  event_id = matrix_client_send_event_finish (self->client, result, &error);
  g_assert_no_error (error);
  g_assert_nonnull (event_id);
  return event_id;
}

/* How many events of @chunk have @body; the last one's id in *event_id. */
static guint
count_body (JsonArray   *chunk,
            const char  *body,
            const char **event_id)
{
  guint n = 0;

  for (guint i = 0; i < json_array_get_length (chunk); i++)
    {
      JsonObject *event = json_array_get_object_element (chunk, i);
      JsonObject *content = json_object_get_object_member (event, "content");

      if (json_object_has_member (content, "body") &&
          g_strcmp0 (json_object_get_string_member (content, "body"), body) == 0)
        {
          n++;
          *event_id = json_object_get_string_member (event, "event_id");
        }
    }
  return n;
}

static void
test_send_event_arrives (void)
{
  g_autoptr(TestClient) ours = test_client_new_logged_in ("sender");
  g_autoptr(Peer) peer = peer_new ("receiver");
  g_autofree char *room_id = joined_room (ours, peer, "Send room");
  g_autofree char *txn_id = matrix_client_new_transaction_id (ours->client);
  g_autofree char *event_id = NULL;
  g_autoptr(JsonArray) chunk = NULL;
  g_autoptr(JsonObject) seen = NULL;
  const char *found_id = NULL;
  GPtrArray *all = signal_recorder_get_signals (ours->recorder);

  test_client_sync_once (ours);
  peer_mark_sync_position (peer);

  event_id = send_text (ours, room_id, "Hello from Confab", txn_id);

  chunk = peer_get_messages (peer, room_id, 20);
  g_assert_cmpuint (count_body (chunk, "Hello from Confab", &found_id), ==, 1);
  g_assert_cmpstr (found_id, ==, event_id);

  seen = peer_wait_for_event (peer, room_id, "m.room.message", "m.text", "Hello from Confab",
                              matrix_client_get_user_id (ours->client), INTEGRATION_TIMEOUT_MS);
  g_assert_cmpstr (json_object_get_string_member (seen, "event_id"), ==, event_id);

  /* Our own sync brings it back, marked with our transaction id. */
  test_client_wait_for_event (ours, event_id);
  for (guint i = 0; i < all->len; i++)
    {
      RecordedSignal *signal = g_ptr_array_index (all, i);

      for (guint j = 0; signal->events != NULL && j < signal->events->len; j++)
        {
          MatrixEvent *event = g_ptr_array_index (signal->events, j);

          if (g_str_equal (matrix_event_get_event_id (event), event_id))
            g_assert_cmpstr (matrix_event_get_transaction_id (event), ==, txn_id);
        }
    }
}

/* The room's notification count as the server computes it now, from a
 * fresh initial sync of our account. Synapse answers a repeated identical
 * /sync from a cache for a while, so each call asks with its own filter. */
static gint64
server_notification_count (TestClient *self,
                           const char *room_id)
{
  static guint n_calls;
  g_autofree char *filter = g_strdup_printf ("{\"room\": {\"timeline\": {\"limit\": %u}}}", ++n_calls);
  const char *query[] = { "timeout", "0", "filter", filter, NULL };
  g_autofree char *path = matrix_client_build_path ("v3", "sync", NULL);
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(JsonObject) body = NULL;
  g_autoptr(GError) error = NULL;
  JsonObject *room;

  matrix_client_request_async (self->client, "GET", path, query, NULL, NULL, store_result, &result);
  wait_for_pointer ((gpointer *) &result, INTEGRATION_TIMEOUT_MS);
  body = matrix_client_request_finish (self->client, result, &error);
  g_assert_no_error (error);
  room = json_object_get_object_member (json_object_get_object_member (
           json_object_get_object_member (body, "rooms"), "join"), room_id);
  g_assert_nonnull (room);
  return json_object_get_int_member (json_object_get_object_member (room, "unread_notifications"),
                                     "notification_count");
}

static gboolean
has_notifications (gpointer data)
{
  return matrix_room_get_notification_count (data) == 3;
}

static void
test_mark_read_resets_counts (void)
{
  g_autoptr(TestClient) ours = test_client_new_logged_in ("reader");
  g_autoptr(Peer) peer = peer_new ("writer");
  g_autofree char *room_id = joined_room (ours, peer, "Unread room");
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *last = NULL;
  MatrixRoom *room;
  guint n_synced;

  /* The server's unread counts are /v3/sync's: Synapse's sliding sync
   * sends none yet, and the client does not count them itself. */
  matrix_client_set_sync_mode (ours->client, MATRIX_SYNC_MODE_CLASSIC);
  test_client_sync_once (ours);
  for (guint i = 0; i < 3; i++)
    {
      g_autofree char *text = g_strdup_printf ("Unread %u", i);

      g_free (last);
      last = peer_send_text (peer, room_id, text);
    }
  test_client_wait_for_event (ours, last);
  room = matrix_room_state_tracker_get_room (ours->tracker, room_id);
  g_assert_nonnull (room);
  g_assert_true (test_iterate_until (has_notifications, room, INTEGRATION_TIMEOUT_MS));
  g_assert_cmpint (server_notification_count (ours, room_id), ==, 3);

  /* Counted before the markers go: the sync they wake may come at once. */
  n_synced = ours->n_synced;
  matrix_room_mark_read_async (room, NULL, store_result, &result);
  wait_for_pointer ((gpointer *) &result, INTEGRATION_TIMEOUT_MS);
  g_assert_true (matrix_room_mark_read_finish (room, result, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (matrix_room_get_notification_count (room), ==, 0);

  /* The server agrees, and the sync its receipt wakes keeps the count at 0. */
  g_assert_cmpint (server_notification_count (ours, room_id), ==, 0);
  test_client_wait_synced (ours, n_synced);
  g_assert_cmpuint (matrix_room_get_notification_count (room), ==, 0);
}

static void
test_room_avatar_thumbnail (void)
{
  g_autoptr(TestClient) ours = test_client_new_logged_in ("viewer");
  g_autoptr(Peer) peer = peer_new ("painter");
  g_autofree char *room_id = joined_room (ours, peer, "Avatar room");
  g_autoptr(GdkPixbuf) image = gdk_pixbuf_new (GDK_COLORSPACE_RGB, FALSE, 8, 200, 100);
  g_autoptr(GdkPixbufLoader) loader = gdk_pixbuf_loader_new ();
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GBytes) upload = NULL;
  g_autoptr(GBytes) thumbnail = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *content_uri = NULL;
  g_autofree char *avatar = NULL;
  g_autofree char *state_id = NULL;
  GdkPixbuf *decoded;
  MatrixRoom *room;
  char *png;
  gsize size;

  gdk_pixbuf_fill (image, 0x26a269ff);
  g_assert_true (gdk_pixbuf_save_to_buffer (image, &png, &size, "png", &error, NULL));
  upload = g_bytes_new_take (png, size);
  content_uri = peer_upload (peer, "image/png", upload);
  g_assert_true (matrix_mxc_uri_parse (content_uri, NULL, NULL));

  test_client_sync_once (ours);
  avatar = g_strdup_printf ("{\"url\": \"%s\"}", content_uri);
  state_id = peer_set_state (peer, room_id, "m.room.avatar", "", avatar);
  test_client_wait_for_event (ours, state_id);
  room = matrix_room_state_tracker_get_room (ours->tracker, room_id);
  g_assert_cmpstr (matrix_room_get_avatar_url (room), ==, content_uri);

  /* Synapse makes the thumbnail: a real image, cropped to the shape asked. */
  matrix_client_get_thumbnail_async (ours->client, content_uri, 64, 64, NULL, store_result, &result);
  wait_for_pointer ((gpointer *) &result, INTEGRATION_TIMEOUT_MS);
  thumbnail = matrix_client_get_thumbnail_finish (ours->client, result, &error);
  g_assert_no_error (error);
  g_assert_true (gdk_pixbuf_loader_write_bytes (loader, thumbnail, &error));
  g_assert_true (gdk_pixbuf_loader_close (loader, &error));
  g_assert_no_error (error);
  decoded = gdk_pixbuf_loader_get_pixbuf (loader);
  g_assert_cmpint (gdk_pixbuf_get_width (decoded), ==, gdk_pixbuf_get_height (decoded));
  g_assert_cmpint (gdk_pixbuf_get_width (decoded), >=, 64);
}

typedef struct {
  MatrixRoom *room;
  const char *event_id;
} RedactionCheck;

/* Whether the room's timeline shows @event_id redacted (and no redaction row). */
static gboolean
shown_redacted (gpointer data)
{
  RedactionCheck *check = data;
  GListModel *timeline = G_LIST_MODEL (matrix_room_get_timeline (check->room));
  gboolean redacted = FALSE;

  for (guint i = 0; i < g_list_model_get_n_items (timeline); i++)
    {
      g_autoptr(MatrixTimelineItem) item = g_list_model_get_item (timeline, i);
      MatrixEvent *event = matrix_timeline_item_get_event (item);

      if (event == NULL)
        continue;
      g_assert_cmpstr (matrix_event_get_event_type (event), !=, "m.room.redaction");
      if (g_strcmp0 (matrix_event_get_event_id (event), check->event_id) == 0)
        redacted = matrix_event_is_redacted (event) &&
                   matrix_event_get_content_string (event, "body") == NULL;
    }
  return redacted;
}

static void
test_redaction_removes_message (void)
{
  g_autoptr(TestClient) ours = test_client_new_logged_in ("reader");
  g_autoptr(Peer) peer = peer_new ("regretful");
  g_autofree char *room_id = joined_room (ours, peer, "Oops room");
  g_autofree char *oops = NULL;
  g_autofree char *kept = NULL;
  g_autofree char *room = NULL;
  g_autofree char *path = NULL;
  g_autoptr(JsonObject) reply = NULL;
  g_autoptr(GError) error = NULL;
  RedactionCheck check;

  test_client_sync_once (ours);
  kept = peer_send_text (peer, room_id, "Hello");
  oops = peer_send_text (peer, room_id, "my password is hunter2");
  test_client_wait_for_event (ours, oops);
  check.room = matrix_room_state_tracker_get_room (ours->tracker, room_id);
  check.event_id = oops;
  g_assert_nonnull (strstr (matrix_room_get_last_message (check.room), "hunter2"));

  room = g_uri_escape_string (room_id, NULL, FALSE);
  path = g_strdup_printf ("v3/rooms/%s/redact/%s/txn-redact", room, oops);
  reply = peer_request (peer, "PUT", path, "{\"reason\": \"oops\"}", &error);
  g_assert_no_error (error);

  /* Synapse's room version 10 puts `redacts` outside the content. */
  g_assert_true (test_iterate_until (shown_redacted, &check, INTEGRATION_TIMEOUT_MS));
  g_assert_null (strstr (matrix_room_get_last_message (check.room), "hunter2"));
  g_assert_nonnull (strstr (matrix_room_get_last_message (check.room), "Hello"));
}

static void
test_send_event_same_txn_once (void)
{
  g_autoptr(TestClient) ours = test_client_new_logged_in ("retrier");
  g_autoptr(Peer) peer = peer_new ("witness");
  g_autofree char *room_id = joined_room (ours, peer, "Retry room");
  g_autofree char *txn_id = matrix_client_new_transaction_id (ours->client);
  g_autofree char *first = NULL;
  g_autofree char *again = NULL;
  g_autofree char *other = NULL;
  g_autoptr(JsonArray) chunk = NULL;
  const char *found_id = NULL;

  first = send_text (ours, room_id, "Only once", txn_id);
  again = send_text (ours, room_id, "Only once", txn_id);
  g_assert_cmpstr (again, ==, first);

  /* A fresh transaction id is a new event, even with the same content. */
  other = send_text (ours, room_id, "Only once", NULL);
  g_assert_cmpstr (other, !=, first);

  chunk = peer_get_messages (peer, room_id, 50);
  g_assert_cmpuint (count_body (chunk, "Only once", &found_id), ==, 2);
}

/* --- encrypted rooms ------------------------------------------------------- */

static char *
encrypted_room (Peer       *peer,
                const char *name)
{
  g_autoptr(JsonObject) reply = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *body = g_strdup_printf (
    "{\"name\": \"%s\", \"preset\": \"private_chat\", \"initial_state\": [{"
    "  \"type\": \"m.room.encryption\", \"state_key\": \"\","
    "  \"content\": {\"algorithm\": \"m.megolm.v1.aes-sha2\"}}]}", name);

  reply = peer_request (peer, "POST", "v3/createRoom", body, &error);
  g_assert_no_error (error);
  return g_strdup (json_object_get_string_member (reply, "room_id"));
}

static GError *
send_refused (MatrixClient *client,
              const char   *room_id,
              const char   *event_type,
              JsonObject   *content)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autofree char *event_id = NULL;
  GError *error = NULL;

  matrix_client_send_event_async (client, room_id, event_type, content, NULL, NULL,
                                  store_result, &result);
  wait_for_pointer ((gpointer *) &result, INTEGRATION_TIMEOUT_MS);
  event_id = matrix_client_send_event_finish (client, result, &error);
  g_assert_null (event_id);
  return error;
}

/* Every event of @user in the room, as the server has it: only state. */
static void
assert_only_state_from (Peer       *peer,
                        const char *room_id,
                        const char *user_id)
{
  g_autoptr(JsonArray) chunk = peer_get_messages (peer, room_id, 100);
  guint n_ours = 0;

  for (guint i = 0; i < json_array_get_length (chunk); i++)
    {
      JsonObject *event = json_array_get_object_element (chunk, i);

      if (g_strcmp0 (json_object_get_string_member (event, "sender"), user_id) != 0)
        continue;
      n_ours++;
      if (!json_object_has_member (event, "state_key"))
        g_error ("The server has a %s from us in an encrypted room",
                 json_object_get_string_member (event, "type"));
    }
  /* Our join, at least: the check saw our events. */
  g_assert_cmpuint (n_ours, >=, 1);
}

/* A room created encrypted: whatever path a message takes through the
 * library, it is refused, and the server never receives it. */
static void
test_encrypted_room_refused (void)
{
  g_autoptr(TestClient) ours = test_client_new_logged_in ("careful");
  g_autoptr(TestClient) bot = test_client_new_logged_in ("nosync");
  g_autoptr(Peer) peer = peer_new ("private");
  g_autofree char *room_id = encrypted_room (peer, "Encrypted room");
  g_autofree char *plain_id = peer_create_room (peer, "Plain room");
  g_autofree char *room = g_uri_escape_string (room_id, NULL, FALSE);
  g_autofree char *path = g_strdup_printf ("v3/rooms/%s/send/m.room.message/by-hand", room);
  g_autoptr(JsonObject) content = json_object_new ();
  g_autoptr(JsonObject) reaction = NULL;
  g_autoptr(GAsyncResult) result = NULL;
  g_autofree char *event_id = NULL;
  g_autofree char *plain_event = NULL;
  GError *error = NULL;
  MatrixRoom *matrix_room;

  json_object_set_string_member (content, "msgtype", "m.text");
  json_object_set_string_member (content, "body", "my password is hunter2");

  peer_invite (peer, room_id, matrix_client_get_user_id (ours->client));
  test_client_join (ours, room_id);
  test_client_sync_once (ours);
  matrix_room = matrix_room_state_tracker_get_room (ours->tracker, room_id);
  g_assert_nonnull (matrix_room);
  g_assert_true (matrix_room_get_encrypted (matrix_room));
  g_assert_true (matrix_client_is_room_encrypted (ours->client, room_id));

  /* The client's send, a timeline's, a reaction, and a request by hand. */
  error = send_refused (ours->client, room_id, "m.room.message", content);
  g_assert_error (error, MATRIX_ERROR, MATRIX_ERROR_ROOM_ENCRYPTED);
  g_clear_error (&error);

  matrix_timeline_send_async (matrix_room_get_timeline (matrix_room), "m.room.message", content,
                              NULL, store_result, &result);
  wait_for_pointer ((gpointer *) &result, INTEGRATION_TIMEOUT_MS);
  event_id = matrix_timeline_send_finish (matrix_room_get_timeline (matrix_room), result, &error);
  g_assert_null (event_id);
  g_assert_error (error, MATRIX_ERROR, MATRIX_ERROR_ROOM_ENCRYPTED);
  g_clear_error (&error);

  reaction = json_object_new ();
  json_object_set_string_member (reaction, "key", "hunter2");
  error = send_refused (ours->client, room_id, "m.reaction", reaction);
  g_assert_error (error, MATRIX_ERROR, MATRIX_ERROR_ROOM_ENCRYPTED);
  g_clear_error (&error);

  g_assert_null (test_client_request (ours, "PUT", path, "{\"body\": \"hunter2\"}", &error));
  g_assert_error (error, MATRIX_ERROR, MATRIX_ERROR_ROOM_ENCRYPTED);
  g_clear_error (&error);

  /* A client that never synced asks the server first, and is refused too. */
  peer_invite (peer, room_id, matrix_client_get_user_id (bot->client));
  test_client_join (bot, room_id);
  g_assert_false (matrix_client_is_room_encrypted (bot->client, room_id));
  error = send_refused (bot->client, room_id, "m.room.message", content);
  g_assert_error (error, MATRIX_ERROR, MATRIX_ERROR_ROOM_ENCRYPTED);
  g_clear_error (&error);
  g_assert_true (matrix_client_is_room_encrypted (bot->client, room_id));

  /* The server has nothing from either but their joins. */
  assert_only_state_from (peer, room_id, matrix_client_get_user_id (ours->client));
  assert_only_state_from (peer, room_id, matrix_client_get_user_id (bot->client));

  /* The same question about a plain room is answered "none", and it sends. */
  peer_invite (peer, plain_id, matrix_client_get_user_id (bot->client));
  test_client_join (bot, plain_id);
  plain_event = send_text (bot, plain_id, "Not a secret", NULL);
  g_assert_nonnull (plain_event);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/integration/client/login/password", test_login_password);
  g_test_add_func ("/integration/client/login/wrong-password", test_login_wrong_password);
  g_test_add_func ("/integration/client/logout/token-rejected", test_logout_token_rejected);
  g_test_add_func ("/integration/client/sync/joined-room-state", test_sync_joined_room);
  g_test_add_func ("/integration/client/sync/limited-timeline", test_sync_limited_timeline);
  g_test_add_func ("/integration/client/sync/left-room", test_sync_left_room);
  g_test_add_func ("/integration/client/sync/left-room-when-kicked", test_sync_left_room_when_kicked);
  g_test_add_func ("/integration/client/sync/session-ended-on-remote-logout",
                   test_sync_session_ended_remotely);
  g_test_add_func ("/integration/client/send-event/arrives", test_send_event_arrives);
  g_test_add_func ("/integration/client/send-event/same-txn-id-once", test_send_event_same_txn_once);
  g_test_add_func ("/integration/client/send-event/encrypted-room-refused", test_encrypted_room_refused);
  g_test_add_func ("/integration/client/room/mark-read-resets-counts", test_mark_read_resets_counts);
  g_test_add_func ("/integration/client/media/room-avatar-thumbnail", test_room_avatar_thumbnail);
  g_test_add_func ("/integration/client/room/redaction-removes-message", test_redaction_removes_message);

  return g_test_run ();
}
