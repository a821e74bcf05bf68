/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "test-matrix-client"

#include "matrix-client-private.h"
#include "matrix-json-private.h"
#include "test-utils.h"

#define SYNC "/_matrix/client/v3/sync"

typedef struct {
  FakeHomeserver *server;
  MatrixStore    *store;
  MatrixClient   *client;
  FakeClock      *clock;
} Fixture;

static void
fixture_setup (Fixture       *f,
               gconstpointer  data)
{
  f->server = fake_homeserver_new ();
  f->store = logged_in_store_new ();
  f->client = matrix_client_new (fake_homeserver_get_url (f->server), f->store);
  /* These are /v3/sync's tests (and count its requests' deadlines):
   * test-matrix-sliding-sync has the choice between the protocols. */
  matrix_client_set_sync_mode (f->client, MATRIX_SYNC_MODE_CLASSIC);
  f->clock = fake_clock_new (f->client);
}

static void
fixture_teardown (Fixture       *f,
                  gconstpointer  data)
{
  matrix_client_stop_sync (f->client);
  /* Cancelled requests hold the client until their callbacks ran. */
  unref_and_wait_finalized (f->client, 10000);
  g_assert_finalize_object (f->store);
  fake_clock_free (f->clock);
  g_assert_cmpuint (fake_homeserver_get_n_unmatched (f->server), ==, 0);
  g_assert_finalize_object (f->server);
}

/* --- the seed's tests ---------------------------------------------------- */

static void
test_sync_retry (Fixture       *f,
                 gconstpointer  data)
{
  const char *names[] = { "sync-failed", "sync-resumed", NULL };
  const char *stop_on[] = { "sync-resumed", NULL };
  g_autoptr(SignalRecorder) recorder = NULL;

  fake_homeserver_queue (f->server, "GET", SYNC "?timeout=30000", 500, "Error", FALSE);
  /* The retry asks for an answer at once. */
  fake_homeserver_queue_json (f->server, "GET", SYNC "?timeout=0", 200,
                              "{\"next_batch\":\"token\"}", FALSE);
  fake_homeserver_queue_json (f->server, "GET", SYNC "?since=token&timeout=30000", 200,
                              "{\"next_batch\":\"token\"}", TRUE);

  recorder = signal_recorder_new (f->client, names, stop_on);
  matrix_client_start_sync (f->client);
  signal_recorder_wait_stopped (recorder, 5000);

  signal_recorder_assert_equal (recorder, (RecordedSignal *[]) {
    expect_sync_failed (2),
    expect_sync_resumed (),
  }, 2);
  /* assert sleep.call_args == mock.call(2) */
  g_assert_cmpuint (f->clock->delays_ms->len, ==, 1);
  g_assert_cmpuint (g_array_index (f->clock->delays_ms, guint, 0), ==, 2000);
}

static const char room_events_sync1[] =
  "{\"rooms\": {\"join\": {\"!roomid\": {"
  "  \"state\": {\"events\": [{"
  "    \"type\": \"m.room.name\", \"state_key\": \"\", \"sender\": \"@alice:example.org\","
  "    \"content\": {\"name\": \"Jabberwocky\"}, \"event_id\": \"$event1\","
  "    \"origin_server_ts\": 1234567890123, \"unsigned\": {\"age\": 4321}}]},"
  "  \"timeline\": {\"events\": [{"
  "    \"type\": \"m.room.message\", \"sender\": \"@alice:example.org\","
  "    \"content\": {\"body\": \"'Twas brillig, and the slithy toves\"}, \"event_id\": \"$event2\","
  "    \"origin_server_ts\": 1234567892123, \"unsigned\": {\"age\": 2321}}],"
  "   \"limited\": true, \"prev_batch\": \"prev1\"}}}},"
  " \"next_batch\": \"token1\"}";

static const char room_events_sync2[] =
  "{\"rooms\": {\"leave\": {\"!roomid\": {"
  "  \"timeline\": {\"events\": [{"
  "    \"type\": \"m.room.message\", \"sender\": \"@alice:example.org\","
  "    \"content\": {\"body\": \"Did gyre and gimble in the wabe\"}, \"event_id\": \"$event3\","
  "    \"origin_server_ts\": 1234567894123, \"unsigned\": {\"age\": 1234}}],"
  "   \"prev_batch\": \"prev2\"}}}},"
  " \"next_batch\": \"token2\"}";

static void
test_sync_room_events (Fixture       *f,
                       gconstpointer  data)
{
  const char *names[] = { "room-state-updates", "room-timeline-updates", "left-room",
                          "sync-failed", NULL };
  const char *stop_on[] = { "left-room", "sync-failed", NULL };
  g_autoptr(SignalRecorder) recorder = NULL;

  fake_homeserver_queue_json (f->server, "GET", SYNC "?timeout=30000", 200, room_events_sync1, FALSE);
  fake_homeserver_queue_json (f->server, "GET", SYNC "?since=token1&timeout=30000", 200,
                              room_events_sync2, FALSE);
  fake_homeserver_queue_json (f->server, "GET", SYNC "?since=token2&timeout=30000", 200,
                              "{\"next_batch\":\"token2\"}", TRUE);

  recorder = signal_recorder_new (f->client, names, stop_on);
  matrix_client_start_sync (f->client);
  signal_recorder_wait_stopped (recorder, 5000);

  signal_recorder_assert_equal (recorder, (RecordedSignal *[]) {
    expect_room_state_updates ("!roomid", events_from_json ("!roomid", "[{"
      "\"type\": \"m.room.name\", \"state_key\": \"\", \"sender\": \"@alice:example.org\","
      "\"content\": {\"name\": \"Jabberwocky\"}, \"event_id\": \"$event1\","
      "\"origin_server_ts\": 1234567890123, \"unsigned\": {\"age\": 4321}}]")),
    expect_room_timeline_updates ("!roomid", events_from_json ("!roomid", "[{"
      "\"type\": \"m.room.message\", \"sender\": \"@alice:example.org\","
      "\"content\": {\"body\": \"'Twas brillig, and the slithy toves\"}, \"event_id\": \"$event2\","
      "\"origin_server_ts\": 1234567892123, \"unsigned\": {\"age\": 2321}}]"), TRUE, "prev1"),
    expect_room_timeline_updates ("!roomid", events_from_json ("!roomid", "[{"
      "\"type\": \"m.room.message\", \"sender\": \"@alice:example.org\","
      "\"content\": {\"body\": \"Did gyre and gimble in the wabe\"}, \"event_id\": \"$event3\","
      "\"origin_server_ts\": 1234567894123, \"unsigned\": {\"age\": 1234}}]"), FALSE, "prev2"),
    expect_left_room ("!roomid"),
  }, 4);

  /* The seed's StateEvent and RoomEvent classes. */
  {
    RecordedSignal *state = g_ptr_array_index (signal_recorder_get_signals (recorder), 0);
    RecordedSignal *timeline = g_ptr_array_index (signal_recorder_get_signals (recorder), 1);

    g_assert_true (MATRIX_IS_STATE_EVENT (g_ptr_array_index (state->events, 0)));
    g_assert_false (MATRIX_IS_STATE_EVENT (g_ptr_array_index (timeline->events, 0)));
  }
}

/* --- login, logout, requests --------------------------------------------- */

static void
on_bool_done (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  GAsyncResult **out = user_data;

  *out = g_object_ref (result);
}

static void
test_login (Fixture       *f,
            gconstpointer  data)
{
  g_autoptr(MatrixStore) store = matrix_memory_store_new ();
  g_autoptr(MatrixClient) client = matrix_client_new (fake_homeserver_get_url (f->server), store);
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) body = NULL;
  JsonObject *object;
  FakeRequest *request;

  fake_homeserver_queue_json (f->server, "POST", "/_matrix/client/v3/login", 200,
                              "{\"user_id\": \"@bob:example.org\", \"access_token\": \"secret\","
                              " \"device_id\": \"DEV1\", \"home_server\": \"example.org\"}", FALSE);

  g_assert_false (matrix_client_is_logged_in (client));
  matrix_client_login_async (client, "bob", "hunter2", NULL, on_bool_done, &result);
  wait_for_pointer ((gpointer *) &result, 5000);
  g_assert_true (matrix_client_login_finish (client, result, &error));
  g_assert_no_error (error);

  g_assert_true (matrix_client_is_logged_in (client));
  g_assert_cmpstr (matrix_client_get_user_id (client), ==, "@bob:example.org");
  g_assert_cmpstr (matrix_client_get_device_id (client), ==, "DEV1");
  g_assert_cmpstr (matrix_store_get_value (store, MATRIX_STORE_KEY_ACCESS_TOKEN), ==, "secret");

  request = fake_homeserver_get_last_request (f->server);
  g_assert_null (soup_message_headers_get_one (request->headers, "Authorization"));
  body = fake_request_parse_json (request);
  object = json_node_get_object (body);
  g_assert_cmpstr (json_object_get_string_member (object, "type"), ==, "m.login.password");
  g_assert_cmpstr (json_object_get_string_member (json_object_get_object_member (object, "identifier"),
                                                  "user"), ==, "bob");
  g_assert_cmpstr (json_object_get_string_member (object, "password"), ==, "hunter2");
  g_assert_false (json_object_has_member (object, "device_id"));
}

static void
test_login_wrong_password (Fixture       *f,
                           gconstpointer  data)
{
  g_autoptr(MatrixStore) store = matrix_memory_store_new ();
  g_autoptr(MatrixClient) client = matrix_client_new (fake_homeserver_get_url (f->server), store);
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;

  fake_homeserver_queue_json (f->server, "POST", "/_matrix/client/v3/login", 403,
                              "{\"errcode\": \"M_FORBIDDEN\", \"error\": \"Invalid password\"}", FALSE);

  matrix_client_login_async (client, "@bob:example.org", "wrong", NULL, on_bool_done, &result);
  wait_for_pointer ((gpointer *) &result, 5000);
  g_assert_false (matrix_client_login_finish (client, result, &error));
  g_assert_error (error, MATRIX_ERROR, MATRIX_ERROR_FORBIDDEN);
  g_assert_cmpstr (matrix_error_get_errcode (error), ==, "M_FORBIDDEN");
  g_assert_cmpuint (matrix_error_get_http_status (error), ==, 403);
  g_assert_nonnull (strstr (error->message, "Invalid password"));
  g_assert_false (matrix_client_is_logged_in (client));
}

static void
test_login_keeps_device (Fixture       *f,
                         gconstpointer  data)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) body = NULL;

  fake_homeserver_queue_json (f->server, "POST", "/_matrix/client/v3/login", 200,
                              "{\"user_id\": \"@alice:example.org\", \"access_token\": \"new\","
                              " \"device_id\": \"ABCDEFG\"}", FALSE);

  matrix_client_login_async (f->client, "alice", "pw", NULL, on_bool_done, &result);
  wait_for_pointer ((gpointer *) &result, 5000);
  g_assert_true (matrix_client_login_finish (f->client, result, &error));

  body = fake_request_parse_json (fake_homeserver_get_last_request (f->server));
  g_assert_cmpstr (json_object_get_string_member (json_node_get_object (body), "device_id"), ==,
                   "ABCDEFG");
}

/* The library names no application: by default it says it is matrix-glib
 * and names a new device after the program; an app passes its own names. */
static void
test_login_names_from_app (Fixture       *f,
                           gconstpointer  data)
{
  g_autoptr(MatrixStore) store = matrix_memory_store_new ();
  g_autoptr(MatrixClient) client = matrix_client_new (fake_homeserver_get_url (f->server), store);
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(JsonNode) body = NULL;
  FakeRequest *request;
  const char *login_reply = "{\"user_id\": \"@bob:example.org\", \"access_token\": \"t\","
                            " \"device_id\": \"DEV1\"}";

  g_assert_cmpstr (matrix_client_get_user_agent (client), ==, "matrix-glib/" MATRIX_VERSION_S);
  g_assert_null (matrix_client_get_device_display_name (client));

  fake_homeserver_queue_json (f->server, "POST", "/_matrix/client/v3/login", 200, login_reply, FALSE);
  matrix_client_login_async (client, "bob", "pw", NULL, on_bool_done, &result);
  wait_for_pointer ((gpointer *) &result, 5000);
  g_assert_true (matrix_client_login_finish (client, result, NULL));
  request = fake_homeserver_get_last_request (f->server);
  g_assert_cmpstr (soup_message_headers_get_one (request->headers, "User-Agent"), ==,
                   "matrix-glib/" MATRIX_VERSION_S);
  body = fake_request_parse_json (request);
  g_assert_cmpstr (json_object_get_string_member (json_node_get_object (body),
                                                  "initial_device_display_name"), ==,
                   g_get_application_name ());
  g_clear_pointer (&body, json_node_unref);
  g_clear_object (&result);

  matrix_client_set_user_agent (client, "MyApp/1.0");
  matrix_client_set_device_display_name (client, "MyApp on a laptop");
  fake_homeserver_queue_json (f->server, "POST", "/_matrix/client/v3/login", 200, login_reply, FALSE);
  matrix_client_login_async (client, "bob", "pw", NULL, on_bool_done, &result);
  wait_for_pointer ((gpointer *) &result, 5000);
  g_assert_true (matrix_client_login_finish (client, result, NULL));
  request = fake_homeserver_get_last_request (f->server);
  g_assert_cmpstr (soup_message_headers_get_one (request->headers, "User-Agent"), ==, "MyApp/1.0");
  body = fake_request_parse_json (request);
  g_assert_cmpstr (json_object_get_string_member (json_node_get_object (body),
                                                  "initial_device_display_name"), ==,
                   "MyApp on a laptop");

  /* Back to the library's own. */
  matrix_client_set_user_agent (client, NULL);
  g_assert_cmpstr (matrix_client_get_user_agent (client), ==, "matrix-glib/" MATRIX_VERSION_S);
}

static void
test_logout (Fixture       *f,
             gconstpointer  data)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  FakeRequest *request;

  fake_homeserver_queue_json (f->server, "POST", "/_matrix/client/v3/logout", 200, "{}", FALSE);

  matrix_client_logout_async (f->client, NULL, on_bool_done, &result);
  wait_for_pointer ((gpointer *) &result, 5000);
  g_assert_true (matrix_client_logout_finish (f->client, result, &error));
  g_assert_no_error (error);

  request = fake_homeserver_get_last_request (f->server);
  g_assert_cmpstr (soup_message_headers_get_one (request->headers, "Authorization"), ==,
                   "Bearer anaccesstoken");
  g_assert_false (matrix_client_is_logged_in (f->client));
  g_assert_null (matrix_client_get_device_id (f->client));
}

static void
on_send_done (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  GPtrArray *results = user_data;
  GError *error = NULL;
  char *event_id = matrix_client_send_event_finish (MATRIX_CLIENT (source), result, &error);

  g_assert_no_error (error);
  g_ptr_array_add (results, event_id);
}

static JsonObject *
text_content (const char *body)
{
  JsonObject *content = json_object_new ();

  json_object_set_string_member (content, "msgtype", "m.text");
  json_object_set_string_member (content, "body", body);
  return content;
}

static void
test_send_event (Fixture       *f,
                 gconstpointer  data)
{
  /* Characters that would change the shape of a path if not escaped. */
  const char *room_id = "!we/ird?room#:example.org";
  const char *prefix = "/_matrix/client/v3/rooms/!we/ird?room#:example.org/send/m.room.message/";
  g_autoptr(GPtrArray) results = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(JsonObject) content = text_content ("hello / world?");
  g_autoptr(GHashTable) txn_ids = g_hash_table_new (g_str_hash, g_str_equal);
  GPtrArray *requests;

  store_add_room (f->store, room_id, FALSE);
  fake_homeserver_queue_json (f->server, "PUT",
                              "/_matrix/client/v3/rooms/%21we%2Fird%3Froom%23%3Aexample.org"
                              "/send/m.room.message/*", 200, "{\"event_id\": \"$sent1\"}", FALSE);
  fake_homeserver_queue_json (f->server, "PUT",
                              "/_matrix/client/v3/rooms/%21we%2Fird%3Froom%23%3Aexample.org"
                              "/send/m.room.message/*", 200, "{\"event_id\": \"$sent2\"}", FALSE);

  for (guint i = 0; i < 2; i++)
    matrix_client_send_event_async (f->client, room_id, "m.room.message", content, NULL, NULL,
                                    on_send_done, results);
  wait_for_count (&results->len, 2, 5000);

  g_assert_true (g_ptr_array_find_with_equal_func (results, "$sent1", g_str_equal, NULL));
  g_assert_true (g_ptr_array_find_with_equal_func (results, "$sent2", g_str_equal, NULL));

  requests = fake_homeserver_get_requests (f->server);
  g_assert_cmpuint (requests->len, ==, 2);
  for (guint i = 0; i < requests->len; i++)
    {
      FakeRequest *request = g_ptr_array_index (requests, i);
      g_autoptr(JsonNode) body = fake_request_parse_json (request);
      const char *txn_id = request->path + strlen (prefix);
      g_autoptr(JsonNode) expected = json_node_init_object (json_node_alloc (), content);

      g_assert_true (g_str_has_prefix (request->path, prefix));
      /* One segment each: the room id's '/', '?' and '#' stayed escaped. */
      g_assert_true (g_str_has_prefix (request->raw_path,
                                       "/_matrix/client/v3/rooms/%21we%2Fird%3Froom%23%3Aexample.org/send/"));
      g_assert_null (request->query);
      g_assert_cmpuint (strlen (txn_id), >, 0);
      g_assert_null (strchr (txn_id, '/'));
      g_assert_true (g_hash_table_add (txn_ids, (gpointer) txn_id));
      g_assert_cmpstr (soup_message_headers_get_one (request->headers, "Authorization"), ==,
                       "Bearer anaccesstoken");
      g_assert_true (json_node_equal (body, expected));
    }
  g_assert_cmpuint (g_hash_table_size (txn_ids), ==, 2);
}

static void
test_send_event_same_txn_id (Fixture       *f,
                             gconstpointer  data)
{
  g_autoptr(GPtrArray) results = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(JsonObject) content = text_content ("once");
  g_autofree char *txn_id = matrix_client_new_transaction_id (f->client);
  g_autofree char *other = matrix_client_new_transaction_id (f->client);
  g_autofree char *path = g_strconcat ("/_matrix/client/v3/rooms/!r:x/send/m.room.message/", txn_id, NULL);

  g_assert_cmpstr (txn_id, !=, other);
  store_add_room (f->store, "!r:x", FALSE);

  /* A retry uses the same txn id, so the server can de-duplicate it. */
  fake_homeserver_queue_json (f->server, "PUT", path, 200, "{\"event_id\": \"$once\"}", TRUE);
  for (guint i = 0; i < 2; i++)
    {
      matrix_client_send_event_async (f->client, "!r:x", "m.room.message", content, txn_id, NULL,
                                      on_send_done, results);
      fake_homeserver_wait_for_requests (f->server, i + 1, 5000);
    }
  wait_for_count (&results->len, 2, 5000);

  g_assert_cmpuint (fake_homeserver_count_requests (f->server, "PUT", path), ==, 2);
  g_assert_cmpstr (g_ptr_array_index (results, 0), ==, "$once");
  g_assert_cmpstr (g_ptr_array_index (results, 1), ==, "$once");
}

static void
on_error_done (GObject      *source,
               GAsyncResult *result,
               gpointer      user_data)
{
  GError **out = user_data;
  char *event_id = matrix_client_send_event_finish (MATRIX_CLIENT (source), result, out);

  g_assert_null (event_id);
  g_assert_nonnull (*out);
}

static GError *
send_expecting_error (Fixture            *f,
                      guint               status,
                      const char         *content_type,
                      const char         *body,
                      const char * const *headers)
{
  g_autoptr(JsonObject) content = text_content ("x");
  GError *error = NULL;

  store_add_room (f->store, "!r:x", FALSE);
  fake_homeserver_queue_full (f->server, "PUT", "/_matrix/client/v3/rooms/!r:x/send/m.room.message/t",
                              status, content_type, body, headers, 0, FALSE);
  matrix_client_send_event_async (f->client, "!r:x", "m.room.message", content, "t", NULL,
                                  on_error_done, &error);
  wait_for_pointer ((gpointer *) &error, 5000);
  return error;
}

static void
test_error_responses (Fixture       *f,
                      gconstpointer  data)
{
  GError *error;

  error = send_expecting_error (f, 502, "text/html", "<h1>Bad gateway</h1>", NULL);
  g_assert_error (error, MATRIX_ERROR, MATRIX_ERROR_HTTP);
  g_assert_cmpuint (matrix_error_get_http_status (error), ==, 502);
  g_assert_null (matrix_error_get_errcode (error));
  g_clear_error (&error);

  error = send_expecting_error (f, 404, "application/json",
                                "{\"errcode\": \"M_NOT_FOUND\", \"error\": \"No such room\"}", NULL);
  g_assert_error (error, MATRIX_ERROR, MATRIX_ERROR_NOT_FOUND);
  g_assert_cmpstr (matrix_error_get_errcode (error), ==, "M_NOT_FOUND");
  g_assert_nonnull (strstr (error->message, "No such room"));
  g_clear_error (&error);

  error = send_expecting_error (f, 400, "application/json",
                                "{\"errcode\": \"M_CUSTOM_THING\", \"error\": \"Odd\"}", NULL);
  g_assert_error (error, MATRIX_ERROR, MATRIX_ERROR_SERVER);
  g_assert_cmpstr (matrix_error_get_errcode (error), ==, "M_CUSTOM_THING");
  g_clear_error (&error);

  error = send_expecting_error (f, 429, "application/json",
                                "{\"errcode\": \"M_LIMIT_EXCEEDED\", \"retry_after_ms\": 1500}", NULL);
  g_assert_error (error, MATRIX_ERROR, MATRIX_ERROR_LIMIT_EXCEEDED);
  g_assert_cmpint (matrix_error_get_retry_after_ms (error), ==, 1500);
  g_clear_error (&error);

  error = send_expecting_error (f, 429, "application/json",
                                "{\"errcode\": \"M_LIMIT_EXCEEDED\", \"retry_after_ms\": 1500}",
                                (const char *[]) { "Retry-After", "7", NULL });
  g_assert_cmpint (matrix_error_get_retry_after_ms (error), ==, 7000);
  g_clear_error (&error);

  error = send_expecting_error (f, 200, "application/json", "{\"event_id\": ", NULL);
  g_assert_error (error, MATRIX_ERROR, MATRIX_ERROR_INVALID_JSON);
  g_clear_error (&error);

  error = send_expecting_error (f, 200, "application/json", "[\"$e\"]", NULL);
  g_assert_error (error, MATRIX_ERROR, MATRIX_ERROR_INVALID_JSON);
  g_clear_error (&error);

  error = send_expecting_error (f, 200, "application/json", "{\"event_id\": 12}", NULL);
  g_assert_error (error, MATRIX_ERROR, MATRIX_ERROR_INVALID_RESPONSE);
  g_clear_error (&error);

  /* Errors of other domains carry no Matrix details, and asking is fine. */
  error = g_error_new_literal (G_IO_ERROR, G_IO_ERROR_FAILED, "x");
  g_assert_null (matrix_error_get_errcode (error));
  g_assert_cmpint (matrix_error_get_retry_after_ms (error), ==, -1);
  g_clear_error (&error);
}

static void
test_not_logged_in (Fixture       *f,
                    gconstpointer  data)
{
  g_autoptr(MatrixStore) store = matrix_memory_store_new ();
  g_autoptr(MatrixClient) client = matrix_client_new (fake_homeserver_get_url (f->server), store);
  g_autoptr(JsonObject) content = text_content ("x");
  GError *error = NULL;

  matrix_client_send_event_async (client, "!r:x", "m.room.message", content, NULL, NULL,
                                  on_error_done, &error);
  wait_for_pointer ((gpointer *) &error, 5000);
  g_assert_error (error, MATRIX_ERROR, MATRIX_ERROR_NOT_LOGGED_IN);
  g_assert_cmpuint (fake_homeserver_get_requests (f->server)->len, ==, 0);
  g_clear_error (&error);
}

/* --- encrypted rooms ------------------------------------------------------- */

static GError *
send_expecting_refusal (MatrixClient *client,
                        const char   *room_id,
                        const char   *event_type,
                        JsonObject   *content)
{
  GError *error = NULL;

  matrix_client_send_event_async (client, room_id, event_type, content, NULL, NULL,
                                  on_error_done, &error);
  wait_for_pointer ((gpointer *) &error, 5000);
  return error;
}

static void
on_request_error_done (GObject      *source,
                       GAsyncResult *result,
                       gpointer      user_data)
{
  GError **out = user_data;
  g_autoptr(JsonObject) body = matrix_client_request_finish (MATRIX_CLIENT (source), result, out);

  g_assert_null (body);
  g_assert_nonnull (*out);
}

static void
on_request_ok (GObject      *source,
               GAsyncResult *result,
               gpointer      user_data)
{
  g_autoptr(GError) error = NULL;
  JsonObject *body = matrix_client_request_finish (MATRIX_CLIENT (source), result, &error);

  g_assert_no_error (error);
  g_clear_pointer (&body, json_object_unref);
  (*(guint *) user_data)++;
}

static void
test_encrypted_refuses_plaintext (Fixture       *f,
                                  gconstpointer  data)
{
  const char *types[] = { "m.room.message", "m.reaction", "m.sticker", "org.example.anything",
                          "m.room.encrypted" /* with readable content */ };
  /* However a path is spelled, it is the same room and endpoint to a server. */
  const char *paths[] = {
    "v3/rooms/%21enc%3Aexample.org/send/m.room.message/t1",
    "r0/rooms/!enc:example.org/send/m.room.message/t2",
    "v3/rooms/%21enc%3aexample.org/send/m.room.message/t3",
    "v3/%72ooms/%21enc%3Aexample.org/%73end/m.room.message/t4",
    "v3/rooms/x/../%21enc%3Aexample.org/send/m.room.message/t5",
    "v3/rooms/%21enc%3Aexample.org/send/m%2Ereaction/t6",
    "v3/rooms/%21enc%3Aexample.org/send",
  };
  g_autoptr(JsonObject) content = text_content ("a secret");
  g_autoptr(JsonNode) body = json_node_init_object (json_node_alloc (), content);

  store_add_room (f->store, "!enc:example.org", TRUE);
  g_assert_true (matrix_client_is_room_encrypted (f->client, "!enc:example.org"));

  for (guint i = 0; i < G_N_ELEMENTS (types); i++)
    {
      g_autoptr(GError) error = send_expecting_refusal (f->client, "!enc:example.org", types[i],
                                                        content);

      g_assert_error (error, MATRIX_ERROR, MATRIX_ERROR_ROOM_ENCRYPTED);
    }

  for (guint i = 0; i < G_N_ELEMENTS (paths); i++)
    {
      GError *error = NULL;

      matrix_client_request_async (f->client, i % 2 ? "POST" : "PUT", paths[i], NULL, body, NULL,
                                   on_request_error_done, &error);
      wait_for_pointer ((gpointer *) &error, 5000);
      g_assert_error (error, MATRIX_ERROR, MATRIX_ERROR_ROOM_ENCRYPTED);
      g_clear_error (&error);
    }

  /* Nothing ever left. */
  g_assert_cmpuint (fake_homeserver_get_requests (f->server)->len, ==, 0);
}

static void
test_encrypted_allows_state_and_redactions (Fixture       *f,
                                            gconstpointer  data)
{
  g_autoptr(JsonObject) topic = json_object_new ();
  g_autoptr(JsonObject) ciphertext = json_object_new ();
  g_autoptr(JsonObject) empty = json_object_new ();
  g_autoptr(JsonNode) topic_body = NULL;
  g_autoptr(JsonNode) empty_body = NULL;
  g_autoptr(GPtrArray) results = g_ptr_array_new_with_free_func (g_free);
  guint n_ok = 0;

  store_add_room (f->store, "!enc:x", TRUE);
  json_object_set_string_member (topic, "topic", "State is never encrypted");
  topic_body = json_node_init_object (json_node_alloc (), topic);
  empty_body = json_node_init_object (json_node_alloc (), empty);
  json_object_set_string_member (ciphertext, "algorithm", "m.megolm.v1.aes-sha2");
  json_object_set_string_member (ciphertext, "ciphertext", "AwgAEnAC");

  fake_homeserver_queue_json (f->server, "PUT", "/_matrix/client/v3/rooms/!enc:x/state/m.room.topic/",
                              200, "{\"event_id\": \"$topic\"}", FALSE);
  fake_homeserver_queue_json (f->server, "PUT", "/_matrix/client/v3/rooms/!enc:x/redact/$e/r1",
                              200, "{\"event_id\": \"$redaction\"}", FALSE);
  fake_homeserver_queue_json (f->server, "PUT",
                              "/_matrix/client/v3/rooms/!enc:x/send/m.room.redaction/*",
                              200, "{\"event_id\": \"$redaction2\"}", FALSE);
  fake_homeserver_queue_json (f->server, "PUT",
                              "/_matrix/client/v3/rooms/!enc:x/send/m.room.encrypted/*",
                              200, "{\"event_id\": \"$encrypted\"}", FALSE);

  matrix_client_request_async (f->client, "PUT", "v3/rooms/!enc:x/state/m.room.topic/", NULL,
                               topic_body, NULL, on_request_ok, &n_ok);
  matrix_client_request_async (f->client, "PUT", "v3/rooms/!enc:x/redact/$e/r1", NULL,
                               empty_body, NULL, on_request_ok, &n_ok);
  matrix_client_send_event_async (f->client, "!enc:x", "m.room.redaction", empty, NULL, NULL,
                                  on_send_done, results);
  matrix_client_send_event_async (f->client, "!enc:x", "m.room.encrypted", ciphertext, NULL, NULL,
                                  on_send_done, results);
  wait_for_count (&n_ok, 2, 5000);
  wait_for_count (&results->len, 2, 5000);

  g_assert_cmpuint (fake_homeserver_get_requests (f->server)->len, ==, 4);
}

/* A client with no tracker (a bot) learns a room's encryption from the sync
 * it dispatches, for joined rooms and invites alike. */
static void
test_encrypted_learned_from_sync (Fixture       *f,
                                  gconstpointer  data)
{
  const char *body =
    "{\"next_batch\": \"n\", \"rooms\": {"
    " \"join\": {"
    "  \"!late:x\": {\"timeline\": {\"events\": ["
    "   {\"type\": \"m.room.create\", \"state_key\": \"\", \"sender\": \"@b:x\", \"content\": {},"
    "    \"event_id\": \"$c1\", \"origin_server_ts\": 1},"
    "   {\"type\": \"m.room.message\", \"sender\": \"@b:x\", \"content\": {\"body\": \"hi\"},"
    "    \"event_id\": \"$m1\", \"origin_server_ts\": 2},"
    "   {\"type\": \"m.room.encryption\", \"state_key\": \"\", \"sender\": \"@b:x\","
    "    \"content\": {\"algorithm\": \"m.megolm.v1.aes-sha2\"}, \"event_id\": \"$e1\","
    "    \"origin_server_ts\": 3}]}},"
    "  \"!plain:x\": {\"state\": {\"events\": ["
    "   {\"type\": \"m.room.create\", \"state_key\": \"\", \"sender\": \"@b:x\", \"content\": {},"
    "    \"event_id\": \"$c2\", \"origin_server_ts\": 1}]}}},"
    " \"invite\": {"
    "  \"!invited:x\": {\"invite_state\": {\"events\": ["
    "   {\"type\": \"m.room.encryption\", \"state_key\": \"\", \"sender\": \"@b:x\","
    "    \"content\": {\"algorithm\": \"m.megolm.v1.aes-sha2\"}}]}}}}}";
  g_autoptr(GBytes) bytes = g_bytes_new_static (body, strlen (body));
  g_autoptr(JsonObject) content = text_content ("hello");
  g_autoptr(GPtrArray) results = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GError) error = NULL;

  g_assert_true (_matrix_client_dispatch_sync_body (f->client, bytes, &error));
  g_assert_no_error (error);

  g_assert_true (matrix_client_is_room_encrypted (f->client, "!late:x"));
  g_assert_true (matrix_client_is_room_encrypted (f->client, "!invited:x"));
  g_assert_false (matrix_client_is_room_encrypted (f->client, "!plain:x"));

  for (guint i = 0; i < 2; i++)
    {
      const char *room_id = i == 0 ? "!late:x" : "!invited:x";
      g_autoptr(GError) refused = send_expecting_refusal (f->client, room_id, "m.room.message",
                                                          content);

      g_assert_error (refused, MATRIX_ERROR, MATRIX_ERROR_ROOM_ENCRYPTED);
    }
  g_assert_cmpuint (fake_homeserver_get_requests (f->server)->len, ==, 0);

  /* A room whose creation it saw without encryption needs no question. */
  fake_homeserver_queue_json (f->server, "PUT", "/_matrix/client/v3/rooms/!plain:x/send/m.room.message/*",
                              200, "{\"event_id\": \"$sent\"}", FALSE);
  matrix_client_send_event_async (f->client, "!plain:x", "m.room.message", content, NULL, NULL,
                                  on_send_done, results);
  wait_for_count (&results->len, 1, 5000);
  g_assert_cmpuint (fake_homeserver_get_requests (f->server)->len, ==, 1);
}

/* The methods of every request the fake received, in order. */
static void
assert_methods (FakeHomeserver *server,
                const char     *expected)
{
  GPtrArray *requests = fake_homeserver_get_requests (server);
  g_autoptr(GString) methods = g_string_new (NULL);

  for (guint i = 0; i < requests->len; i++)
    g_string_append_printf (methods, "%s%s", i > 0 ? " " : "",
                            ((FakeRequest *) g_ptr_array_index (requests, i))->method);
  g_assert_cmpstr (methods->str, ==, expected);
}

#define STATE_OF(room) "/_matrix/client/v3/rooms/" room "/state/m.room.encryption/"
#define SEND_TO(room) "/_matrix/client/v3/rooms/" room "/send/m.room.message/*"

/* A room the client knows nothing of: it asks the server before sending,
 * and sends only when the server says there is no m.room.encryption. */
static void
test_encrypted_asks_server (Fixture       *f,
                            gconstpointer  data)
{
  g_autoptr(JsonObject) content = text_content ("hello");
  g_autoptr(GPtrArray) results = g_ptr_array_new_with_free_func (g_free);
  GError *error = NULL;

  /* Encrypted: only the question is asked, once. */
  fake_homeserver_queue_json (f->server, "GET", STATE_OF ("!secret:x"), 200,
                              "{\"algorithm\": \"m.megolm.v1.aes-sha2\"}", FALSE);
  g_assert_false (matrix_client_is_room_encrypted (f->client, "!secret:x"));
  for (guint i = 0; i < 2; i++)
    {
      error = send_expecting_refusal (f->client, "!secret:x", "m.room.message", content);
      g_assert_error (error, MATRIX_ERROR, MATRIX_ERROR_ROOM_ENCRYPTED);
      g_clear_error (&error);
    }
  g_assert_true (matrix_client_is_room_encrypted (f->client, "!secret:x"));
  assert_methods (f->server, "GET");

  /* Not encrypted: the question, then the send; the answer is kept a while. */
  fake_homeserver_queue_json (f->server, "GET", STATE_OF ("!open:x"), 404,
                              "{\"errcode\": \"M_NOT_FOUND\", \"error\": \"Event not found\"}", TRUE);
  fake_homeserver_queue_json (f->server, "PUT", SEND_TO ("!open:x"), 200,
                              "{\"event_id\": \"$sent\"}", TRUE);
  for (guint i = 0; i < 2; i++)
    {
      matrix_client_send_event_async (f->client, "!open:x", "m.room.message", content, NULL, NULL,
                                      on_send_done, results);
      wait_for_count (&results->len, i + 1, 5000);
    }
  assert_methods (f->server, "GET GET PUT PUT");
  g_assert_false (matrix_client_is_room_encrypted (f->client, "!open:x"));

  /* A client that does not sync asks again once the answer is old. */
  _matrix_client_set_plain_room_ttl_ms (f->client, 0);
  matrix_client_send_event_async (f->client, "!open:x", "m.room.message", content, NULL, NULL,
                                  on_send_done, results);
  wait_for_count (&results->len, 3, 5000);
  assert_methods (f->server, "GET GET PUT PUT GET PUT");

  /* No answer, no send. */
  fake_homeserver_queue_json (f->server, "GET", STATE_OF ("!down:x"), 502,
                              "{\"errcode\": \"M_UNKNOWN\", \"error\": \"Bad gateway\"}", FALSE);
  error = send_expecting_refusal (f->client, "!down:x", "m.room.message", content);
  g_assert_error (error, MATRIX_ERROR, MATRIX_ERROR_SERVER);
  g_clear_error (&error);
  assert_methods (f->server, "GET GET PUT PUT GET PUT GET");
}

/* --- the sync loop ------------------------------------------------------- */

static void
test_sync_backoff_growth (Fixture       *f,
                          gconstpointer  data)
{
  const char *names[] = { "sync-failed", "sync-resumed", NULL };
  const char *stop_on[] = { "sync-resumed", NULL };
  g_autoptr(SignalRecorder) recorder = NULL;
  const guint expected_ms[] = { 2000, 4000, 8000, 16000, 30000, 30000, 30000 };
  gint64 started = g_get_monotonic_time ();

  fake_homeserver_queue (f->server, "GET", SYNC "?timeout=30000", 503, "down", FALSE);
  for (guint i = 1; i < G_N_ELEMENTS (expected_ms); i++)
    fake_homeserver_queue (f->server, "GET", SYNC "?timeout=0", 503, "down", FALSE);
  fake_homeserver_queue_json (f->server, "GET", SYNC "?timeout=0", 200,
                              "{\"next_batch\":\"t\"}", FALSE);

  recorder = signal_recorder_new (f->client, names, stop_on);
  matrix_client_start_sync (f->client);
  signal_recorder_wait_stopped (recorder, 5000);

  signal_recorder_assert_equal (recorder, (RecordedSignal *[]) {
    expect_sync_failed (2), expect_sync_failed (4), expect_sync_failed (8),
    expect_sync_failed (16), expect_sync_failed (30), expect_sync_failed (30),
    expect_sync_failed (30), expect_sync_resumed (),
  }, 8);
  g_assert_cmpuint (f->clock->delays_ms->len, ==, G_N_ELEMENTS (expected_ms));
  for (guint i = 0; i < G_N_ELEMENTS (expected_ms); i++)
    g_assert_cmpuint (g_array_index (f->clock->delays_ms, guint, i), ==, expected_ms[i]);
  /* 120 s of backoff, in far less than a second of real time. */
  g_assert_cmpint (g_get_monotonic_time () - started, <, G_USEC_PER_SEC);
}

static void
test_sync_backoff_resets (Fixture       *f,
                          gconstpointer  data)
{
  const char *names[] = { "sync-failed", "sync-resumed", NULL };
  const char *stop_on[] = { NULL };
  g_autoptr(SignalRecorder) recorder = NULL;

  fake_homeserver_queue (f->server, "GET", SYNC "?timeout=30000", 500, "x", FALSE);
  fake_homeserver_queue (f->server, "GET", SYNC "?timeout=0", 500, "x", FALSE);
  fake_homeserver_queue_json (f->server, "GET", SYNC "?timeout=0", 200,
                              "{\"next_batch\":\"a\"}", FALSE);
  /* Caught up: a long-poll again. */
  fake_homeserver_queue (f->server, "GET", SYNC "?since=a&timeout=30000", 500, "x", FALSE);
  fake_homeserver_queue_held (f->server, "GET", SYNC "?since=a&timeout=0", 200,
                              "application/json", "{\"next_batch\":\"a\"}");

  recorder = signal_recorder_new (f->client, names, stop_on);
  matrix_client_start_sync (f->client);
  fake_homeserver_wait_for_requests (f->server, 5, 5000);

  signal_recorder_assert_equal (recorder, (RecordedSignal *[]) {
    expect_sync_failed (2), expect_sync_failed (4), expect_sync_resumed (), expect_sync_failed (2),
  }, 4);
}

static void
test_sync_start_twice (Fixture       *f,
                       gconstpointer  data)
{
  fake_homeserver_queue_held (f->server, "GET", SYNC "?timeout=30000", 200, "application/json",
                              "{\"next_batch\":\"t\"}");

  matrix_client_start_sync (f->client);
  matrix_client_start_sync (f->client);
  fake_homeserver_wait_for_requests (f->server, 1, 5000);
  iterate_for (100);

  g_assert_cmpuint (fake_homeserver_get_requests (f->server)->len, ==, 1);
  g_assert_true (matrix_client_is_syncing (f->client));
}

/* Connected with g_signal_connect_swapped(): the counter comes first, and
 * the signal's own arguments, whatever they are, are not looked at. */
static void
on_any_signal (guint *count)
{
  (*count)++;
}

static void
test_sync_stop_during_long_poll (Fixture       *f,
                                 gconstpointer  data)
{
  const char *all[] = { "sync-failed", "sync-resumed", "room-state-updates",
                        "room-timeline-updates", "left-room", "synced", NULL };
  guint count = 0;

  fake_homeserver_queue_held (f->server, "GET", SYNC "?timeout=30000", 200, "application/json",
                              room_events_sync1);
  for (guint i = 0; all[i] != NULL; i++)
    g_signal_connect_swapped (f->client, all[i], G_CALLBACK (on_any_signal), &count);

  matrix_client_start_sync (f->client);
  fake_homeserver_wait_for_requests (f->server, 1, 5000);
  g_assert_cmpuint (fake_homeserver_get_n_held (f->server), ==, 1);

  matrix_client_stop_sync (f->client);
  g_assert_false (matrix_client_is_syncing (f->client));

  /* The request in flight was cancelled: its connection is gone, and even a
   * response sent now reaches nobody. */
  iterate_for (100);
  g_assert_cmpuint (fake_homeserver_get_n_held (f->server), ==, 0);
  fake_homeserver_release (f->server);
  iterate_for (100);

  g_assert_cmpuint (count, ==, 0);
  g_assert_null (matrix_store_get_sync_token (f->store));
  g_assert_cmpuint (fake_homeserver_get_requests (f->server)->len, ==, 1);
}

static void
stop_and_count (MatrixClient *client,
                const char   *room_id,
                GPtrArray    *events,
                guint        *count)
{
  (*count)++;
  matrix_client_stop_sync (client);
}

static void
test_sync_stop_in_handler (Fixture       *f,
                           gconstpointer  data)
{
  guint count = 0, later = 0;

  /* Stopping while a response is being emitted ends it there, uncommitted. */
  fake_homeserver_queue_json (f->server, "GET", SYNC "?timeout=30000", 200, room_events_sync1, FALSE);
  g_signal_connect (f->client, "room-state-updates", G_CALLBACK (stop_and_count), &count);
  g_signal_connect_swapped (f->client, "room-timeline-updates", G_CALLBACK (on_any_signal), &later);
  g_signal_connect_swapped (f->client, "synced", G_CALLBACK (on_any_signal), &later);

  matrix_client_start_sync (f->client);
  while (count == 0)
    wait_for_flag ((gboolean *) &count, 5000);
  iterate_for (100);

  g_assert_cmpuint (count, ==, 1);
  g_assert_cmpuint (later, ==, 0);
  g_assert_null (matrix_store_get_sync_token (f->store));
}

static void
test_sync_token_from_store (Fixture       *f,
                            gconstpointer  data)
{
  g_autoptr(MatrixStore) store = matrix_memory_store_new ();
  g_autoptr(MatrixClient) client = NULL;
  g_autoptr(GAsyncResult) result = NULL;
  const char *names[] = { "sync-failed", NULL };
  g_autoptr(SignalRecorder) recorder = NULL;

  matrix_store_set_value (store, MATRIX_STORE_KEY_ACCESS_TOKEN, "tok");
  matrix_store_commit_async (store, "stored-token", NULL, store_result, &result);
  wait_for_pointer ((gpointer *) &result, 1000);
  g_assert_true (matrix_store_commit_finish (store, result, NULL));

  client = matrix_client_new (fake_homeserver_get_url (f->server), store);
  recorder = signal_recorder_new (client, names, names);
  fake_homeserver_queue_held (f->server, "GET", SYNC "?since=stored-token&timeout=30000", 200,
                              "application/json", "{\"next_batch\":\"x\"}");
  matrix_client_start_sync (client);
  fake_homeserver_wait_for_requests (f->server, 1, 5000);
  g_assert_cmpstr (g_hash_table_lookup (fake_homeserver_get_last_request (f->server)->query_params,
                                        "since"), ==, "stored-token");
  g_assert_cmpstr (soup_message_headers_get_one (fake_homeserver_get_last_request (f->server)->headers,
                                                 "Authorization"), ==, "Bearer tok");
  matrix_client_stop_sync (client);
}

static void
check_token_not_yet_moved (MatrixClient *client,
                           const char   *room_id,
                           GPtrArray    *events,
                           gboolean      limited,
                           const char   *prev_batch,
                           gboolean     *checked)
{
  /* The token must not cover what has not been handled yet. */
  g_assert_null (matrix_store_get_sync_token (matrix_client_get_store (client)));
  *checked = TRUE;
}

static void
on_synced (MatrixClient *client,
           const char   *next_batch,
           char        **out)
{
  g_assert_cmpstr (matrix_store_get_sync_token (matrix_client_get_store (client)), ==, next_batch);
  *out = g_strdup (next_batch);
  matrix_client_stop_sync (client);
}

static void
test_sync_token_after_handlers (Fixture       *f,
                                gconstpointer  data)
{
  gboolean checked = FALSE;
  g_autofree char *synced = NULL;

  fake_homeserver_queue_json (f->server, "GET", SYNC "?timeout=30000", 200, room_events_sync1, FALSE);
  g_signal_connect (f->client, "room-timeline-updates", G_CALLBACK (check_token_not_yet_moved), &checked);
  g_signal_connect (f->client, "synced", G_CALLBACK (on_synced), &synced);

  matrix_client_start_sync (f->client);
  wait_for_pointer ((gpointer *) &synced, 5000);
  g_assert_true (checked);
  g_assert_cmpstr (synced, ==, "token1");
  g_assert_cmpstr (matrix_store_get_sync_token (f->store), ==, "token1");
}

typedef struct {
  const char *name;
  const char *content_type;
  const char *body;
} BadSync;

static void
test_sync_malformed (Fixture       *f,
                     gconstpointer  data)
{
  static const BadSync cases[] = {
    { "not JSON", "application/json", "this is not json" },
    { "truncated JSON", "application/json", "{\"next_batch\": \"t\", \"rooms\": {" },
    { "empty body", "application/json", "" },
    { "not an object", "application/json", "[\"next_batch\"]" },
    { "wrong content type", "text/html", "{\"next_batch\": \"t\"}" },
    { "no next_batch", "application/json", "{\"rooms\": {}}" },
    { "next_batch not a string", "application/json", "{\"next_batch\": 5}" },
    { "rooms not an object", "application/json", "{\"next_batch\": \"t\", \"rooms\": []}" },
    { "join not an object", "application/json", "{\"next_batch\": \"t\", \"rooms\": {\"join\": 1}}" },
    { "room not an object", "application/json",
      "{\"next_batch\": \"t\", \"rooms\": {\"join\": {\"!r\": []}}}" },
    { "timeline without events", "application/json",
      "{\"next_batch\": \"t\", \"rooms\": {\"join\": {\"!r\": {\"timeline\": {}}}}}" },
    { "timeline events not an array", "application/json",
      "{\"next_batch\": \"t\", \"rooms\": {\"leave\": {\"!r\": {\"timeline\": {\"events\": {}}}}}}" },
    { "limited not a boolean", "application/json",
      "{\"next_batch\": \"t\", \"rooms\": {\"join\": {\"!r\": {\"timeline\": {\"events\": [], \"limited\": \"yes\"}}}}}" },
    { "prev_batch not a string", "application/json",
      "{\"next_batch\": \"t\", \"rooms\": {\"join\": {\"!r\": {\"timeline\": {\"events\": [], \"prev_batch\": 1}}}}}" },
    { "state events not an array", "application/json",
      "{\"next_batch\": \"t\", \"rooms\": {\"join\": {\"!r\": {\"state\": {\"events\": 1}}}}}" },
  };
  const char *names[] = { "sync-failed", "sync-resumed", "room-state-updates",
                          "room-timeline-updates", "left-room", NULL };
  const char *stop_on[] = { "sync-resumed", NULL };
  g_autoptr(SignalRecorder) recorder = NULL;
  GPtrArray *signals;

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    fake_homeserver_queue_full (f->server, "GET", i == 0 ? SYNC "?timeout=30000" : SYNC "?timeout=0",
                                200, cases[i].content_type, cases[i].body, NULL, 0, FALSE);
  fake_homeserver_queue_json (f->server, "GET", SYNC "?timeout=0", 200,
                              "{\"next_batch\":\"good\"}", FALSE);

  recorder = signal_recorder_new (f->client, names, stop_on);
  matrix_client_start_sync (f->client);
  signal_recorder_wait_stopped (recorder, 5000);

  /* Every bad body failed the sync and emitted nothing else; the token never
   * moved, so every retry asked from the same place; nothing was stored. */
  {
    g_auto(GStrv) rooms = matrix_store_get_room_ids (f->store);
    g_assert_cmpuint (g_strv_length (rooms), ==, 0);
  }
  signals = signal_recorder_get_signals (recorder);
  g_assert_cmpuint (signals->len, ==, G_N_ELEMENTS (cases) + 1);
  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      RecordedSignal *signal = g_ptr_array_index (signals, i);

      g_test_message ("case %u: %s", i, cases[i].name);
      g_assert_cmpstr (signal->name, ==, "sync-failed");
    }
  g_assert_cmpstr (((RecordedSignal *) g_ptr_array_index (signals, G_N_ELEMENTS (cases)))->name, ==,
                   "sync-resumed");
  /* Stopped from the sync-resumed handler: the good response is not
   * committed either, so the token is where it started. */
  g_assert_null (matrix_store_get_sync_token (f->store));
  g_assert_cmpuint (fake_homeserver_get_n_pending (f->server), ==, 0);
  for (guint i = 0; i < fake_homeserver_get_requests (f->server)->len; i++)
    g_assert_null (g_hash_table_lookup (((FakeRequest *) g_ptr_array_index (
      fake_homeserver_get_requests (f->server), i))->query_params, "since"));
}

static void
collect_sync_error (MatrixClient *client,
                    guint         delay_s,
                    GPtrArray    *messages)
{
  const GError *error = matrix_client_get_sync_error (client);

  g_assert_error (error, MATRIX_ERROR, MATRIX_ERROR_INVALID_RESPONSE);
  g_ptr_array_add (messages, g_strdup (error->message));
}

static void
test_sync_invalid_tokens_refused (Fixture       *f,
                                  gconstpointer  data)
{
  g_autoptr(GString) huge = g_string_new (NULL);
  g_autoptr(GPtrArray) bodies = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GPtrArray) messages = g_ptr_array_new_with_free_func (g_free);
  g_autofree char *long_prev_batch = NULL;
  g_autofree char *synced = NULL;
  guint n_timeline = 0;

  /* A 10 MB next_batch: stored, it would go into every later request. */
  g_string_append (huge, "{\"next_batch\": \"");
  for (guint i = 0; i < 10 * 1024 * 1024; i++)
    g_string_append_c (huge, 'x');
  g_string_append (huge, "\"}");
  g_ptr_array_add (bodies, g_string_free (g_steal_pointer (&huge), FALSE));
  /* One byte over the limit. */
  g_ptr_array_add (bodies, g_strdup_printf ("{\"next_batch\": \"%0*d\"}",
                                            MATRIX_MAX_TOKEN_LENGTH + 1, 0));
  g_ptr_array_add (bodies, g_strdup ("{\"next_batch\": \"\"}"));
  g_ptr_array_add (bodies, g_strdup ("{\"next_batch\": \"a b\"}"));
  g_ptr_array_add (bodies, g_strdup ("{\"next_batch\": \"a\\u0001b\"}"));
  g_ptr_array_add (bodies, g_strdup ("{\"next_batch\": \"a\\nb\"}"));
  g_ptr_array_add (bodies, g_strdup ("{\"next_batch\": \"t\u00f6k\"}"));
  long_prev_batch = g_strdup_printf ("%0*d", MATRIX_MAX_TOKEN_LENGTH + 1, 0);
  g_ptr_array_add (bodies, g_strdup_printf ("{\"next_batch\": \"ok\", \"rooms\": {\"join\": {\"!r\": "
                                            "{\"timeline\": {\"events\": [], \"limited\": true, "
                                            "\"prev_batch\": \"%s\"}}}}}", long_prev_batch));

  for (guint i = 0; i < bodies->len; i++)
    fake_homeserver_queue_json (f->server, "GET", i == 0 ? SYNC "?timeout=30000" : SYNC "?timeout=0",
                                200, g_ptr_array_index (bodies, i), FALSE);
  /* The longest token allowed, of every character allowed. */
  {
    g_autoptr(GString) token = g_string_new (NULL);
    g_autofree char *body = NULL;

    for (char c = '!'; c <= '~'; c++)
      if (c != '"' && c != '\\')
        g_string_append_c (token, c);
    while (token->len < MATRIX_MAX_TOKEN_LENGTH)
      g_string_append_c (token, 'z');
    body = g_strdup_printf ("{\"next_batch\": \"%s\"}", token->str);
    fake_homeserver_queue_json (f->server, "GET", SYNC "?timeout=0", 200, body, FALSE);
  }

  g_signal_connect (f->client, "sync-failed", G_CALLBACK (collect_sync_error), messages);
  g_signal_connect_swapped (f->client, "room-timeline-updates", G_CALLBACK (on_any_signal),
                            &n_timeline);
  g_signal_connect (f->client, "synced", G_CALLBACK (on_synced), &synced);
  matrix_client_start_sync (f->client);
  wait_for_pointer ((gpointer *) &synced, 20000);

  /* Each was a failed sync naming the token, and nothing of it was stored. */
  g_assert_cmpuint (messages->len, ==, bodies->len);
  for (guint i = 0; i < messages->len; i++)
    {
      const char *message = g_ptr_array_index (messages, i);

      g_test_message ("case %u: %s", i, message);
      g_assert_nonnull (strstr (message, i + 1 < messages->len ? "next_batch" : "prev_batch"));
      g_assert_nonnull (strstr (message, "not a token that can be sent back"));
    }
  g_assert_cmpuint (n_timeline, ==, 0);
  {
    g_auto(GStrv) rooms = matrix_store_get_room_ids (f->store);
    g_assert_cmpuint (g_strv_length (rooms), ==, 0);
  }
  for (guint i = 0; i < fake_homeserver_get_requests (f->server)->len; i++)
    g_assert_null (g_hash_table_lookup (((FakeRequest *) g_ptr_array_index (
      fake_homeserver_get_requests (f->server), i))->query_params, "since"));

  /* The good one is stored, and would be sent back as it came. */
  g_assert_cmpuint (strlen (synced), ==, MATRIX_MAX_TOKEN_LENGTH);
  g_assert_cmpstr (matrix_store_get_sync_token (f->store), ==, synced);
}

static void
test_sync_stored_invalid_token_not_sent (Fixture       *f,
                                         gconstpointer  data)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autofree char *synced = NULL;
  FakeRequest *request;

  /* A store written before tokens were checked. */
  matrix_store_commit_async (f->store, "bad\ttoken", NULL, store_result, &result);
  wait_for_pointer ((gpointer *) &result, 1000);
  g_assert_true (matrix_store_commit_finish (f->store, result, NULL));

  fake_homeserver_queue_json (f->server, "GET", SYNC "?timeout=30000", 200,
                              "{\"next_batch\":\"fresh\"}", FALSE);
  g_signal_connect (f->client, "synced", G_CALLBACK (on_synced), &synced);
  g_test_expect_message ("matrix-client", G_LOG_LEVEL_WARNING, "*stored sync token cannot be sent back*");
  matrix_client_start_sync (f->client);
  wait_for_pointer ((gpointer *) &synced, 5000);
  g_test_assert_expected_messages ();

  request = fake_homeserver_get_last_request (f->server);
  g_assert_false (g_hash_table_contains (request->query_params, "since"));
  g_assert_cmpstr (matrix_store_get_sync_token (f->store), ==, "fresh");
}

static void
test_sync_deep_nesting (Fixture       *f,
                        gconstpointer  data)
{
  const char *names[] = { "sync-failed", "sync-resumed", NULL };
  const char *stop_on[] = { "sync-resumed", NULL };
  g_autoptr(SignalRecorder) recorder = NULL;
  g_autoptr(GString) body = g_string_new ("{\"next_batch\": \"deep\", \"x\": ");

  /* Deep enough to overflow a recursive parser's stack. */
  for (guint i = 0; i < 100000; i++)
    g_string_append_c (body, '[');
  for (guint i = 0; i < 100000; i++)
    g_string_append_c (body, ']');
  g_string_append_c (body, '}');

  fake_homeserver_queue_json (f->server, "GET", SYNC "?timeout=30000", 200, body->str, FALSE);
  fake_homeserver_queue_json (f->server, "GET", SYNC "?timeout=0", 200,
                              "{\"next_batch\":\"t\"}", FALSE);

  recorder = signal_recorder_new (f->client, names, stop_on);
  matrix_client_start_sync (f->client);
  signal_recorder_wait_stopped (recorder, 5000);

  signal_recorder_assert_equal (recorder, (RecordedSignal *[]) {
    expect_sync_failed (2), expect_sync_resumed (),
  }, 2);
}

static void
test_sync_invalid_event_dropped (Fixture       *f,
                                 gconstpointer  data)
{
  const char *names[] = { "sync-failed", "room-state-updates", "room-timeline-updates", NULL };
  const char *stop_on[] = { "sync-failed", NULL };
  g_autoptr(SignalRecorder) recorder = NULL;
  g_autofree char *synced = NULL;

  /* One event without a sender and one that is not an object must not stall
   * the good events of the same room, nor other rooms. */
  fake_homeserver_queue_json (f->server, "GET", SYNC "?timeout=30000", 200,
    "{\"next_batch\": \"t1\", \"rooms\": {\"join\": {"
    " \"!a\": {\"timeline\": {\"events\": ["
    "   {\"type\": \"m.room.message\", \"content\": {}, \"event_id\": \"$bad\", \"origin_server_ts\": 1},"
    "   42,"
    "   {\"type\": \"m.room.message\", \"sender\": \"@x:y\", \"content\": {\"body\": \"ok\"},"
    "    \"event_id\": \"$good\", \"origin_server_ts\": 2},"
    "   {\"type\": \"m.room.message\", \"sender\": \"@x:y\", \"content\": {\"body\": \"again\"},"
    "    \"event_id\": \"$good\", \"origin_server_ts\": 3},"
    "   {\"room_id\": \"!elsewhere\", \"type\": \"m.room.message\", \"sender\": \"@x:y\","
    "    \"content\": {}, \"event_id\": \"$moved\", \"origin_server_ts\": 4}]}},"
    " \"!b\": {\"state\": {\"events\": ["
    "   {\"type\": \"m.room.join_rules\", \"sender\": \"@x:y\", \"content\": {\"join_rule\": \"knock_restricted_custom\"},"
    "    \"event_id\": \"$nokey\", \"origin_server_ts\": 3},"
    "   {\"type\": \"m.room.join_rules\", \"state_key\": \"\", \"sender\": \"@x:y\","
    "    \"content\": {\"join_rule\": \"org.example.custom\"}, \"event_id\": \"$jr\", \"origin_server_ts\": 4}]}}"
    "}}}", FALSE);
  g_signal_connect (f->client, "synced", G_CALLBACK (on_synced), &synced);

  g_test_expect_message ("matrix-client", G_LOG_LEVEL_WARNING, "*!a.timeline.events[0]*sender*");
  g_test_expect_message ("matrix-client", G_LOG_LEVEL_WARNING, "*events[1]: not an object*");
  g_test_expect_message ("matrix-client", G_LOG_LEVEL_WARNING, "*events[3]: duplicate event id $good*");
  g_test_expect_message ("matrix-client", G_LOG_LEVEL_WARNING, "*events[4]*!elsewhere disagrees*");
  g_test_expect_message ("matrix-client", G_LOG_LEVEL_WARNING, "*!b.state.events[0]*state_key*");

  recorder = signal_recorder_new (f->client, names, stop_on);
  matrix_client_start_sync (f->client);
  wait_for_pointer ((gpointer *) &synced, 5000);
  g_test_assert_expected_messages ();

  signal_recorder_assert_equal (recorder, (RecordedSignal *[]) {
    expect_room_timeline_updates ("!a", events_from_json ("!a",
      "[{\"type\": \"m.room.message\", \"sender\": \"@x:y\", \"content\": {\"body\": \"ok\"},"
      "  \"event_id\": \"$good\", \"origin_server_ts\": 2}]"), FALSE, NULL),
    expect_room_state_updates ("!b", events_from_json ("!b",
      "[{\"type\": \"m.room.join_rules\", \"state_key\": \"\", \"sender\": \"@x:y\","
      "  \"content\": {\"join_rule\": \"org.example.custom\"}, \"event_id\": \"$jr\", \"origin_server_ts\": 4}]")),
  }, 2);
  g_assert_cmpstr (synced, ==, "t1");
}

/* An event larger than the spec allows is left out; the rest of the room
 * syncs. */
static void
test_sync_oversized_event_dropped (Fixture       *f,
                                   gconstpointer  data)
{
  const char *names[] = { "sync-failed", "room-timeline-updates", NULL };
  const char *stop_on[] = { "sync-failed", NULL };
  g_autoptr(SignalRecorder) recorder = NULL;
  g_autofree char *synced = NULL;
  g_autofree char *big = g_strnfill (70000, 'x');
  g_autofree char *body = g_strdup_printf (
    "{\"next_batch\": \"t1\", \"rooms\": {\"join\": {\"!a\": {\"timeline\": {\"events\": ["
    " {\"type\": \"m.room.message\", \"sender\": \"@x:y\", \"content\": {\"body\": \"%s\"},"
    "  \"event_id\": \"$big\", \"origin_server_ts\": 1},"
    " {\"type\": \"m.room.message\", \"sender\": \"@x:y\", \"content\": {\"body\": \"ok\"},"
    "  \"event_id\": \"$good\", \"origin_server_ts\": 2}]}}}}}", big);

  fake_homeserver_queue_json (f->server, "GET", SYNC "?timeout=30000", 200, body, FALSE);
  g_signal_connect (f->client, "synced", G_CALLBACK (on_synced), &synced);
  g_test_expect_message ("matrix-client", G_LOG_LEVEL_WARNING,
                         "*!a.timeline.events[0]: larger than 65536 bytes*");

  recorder = signal_recorder_new (f->client, names, stop_on);
  matrix_client_start_sync (f->client);
  wait_for_pointer ((gpointer *) &synced, 5000);
  g_test_assert_expected_messages ();

  signal_recorder_assert_equal (recorder, (RecordedSignal *[]) {
    expect_room_timeline_updates ("!a", events_from_json ("!a",
      "[{\"type\": \"m.room.message\", \"sender\": \"@x:y\", \"content\": {\"body\": \"ok\"},"
      "  \"event_id\": \"$good\", \"origin_server_ts\": 2}]"), FALSE, NULL),
  }, 1);
}

/* Sizes are what the text stands for: a server that escapes every
 * non-ASCII character (Synapse does) sends a 60 KB message as 180 KB of
 * text, and a state event with its previous content in `unsigned` twice
 * its content; both are events any client shows. What `unsigned` holds is
 * bounded apart. */
static void
test_sync_event_size_decoded (Fixture       *f,
                              gconstpointer  data)
{
  const char *names[] = { "sync-failed", "room-timeline-updates", NULL };
  const char *stop_on[] = { "sync-failed", NULL };
  g_autoptr(SignalRecorder) recorder = NULL;
  g_autofree char *synced = NULL;
  GString *escaped = g_string_new (NULL);
  g_autofree char *topic = g_strnfill (40000, 't');
  g_autofree char *huge = g_strnfill (3 * 65536 + 10, 'u');
  g_autofree char *body = NULL;
  GPtrArray *signals;
  GPtrArray *events;

  for (guint i = 0; i < 30000; i++)
    g_string_append (escaped, "\\u0301");
  body = g_strdup_printf (
    "{\"next_batch\": \"t1\", \"rooms\": {\"join\": {\"!a\": {\"timeline\": {\"events\": ["
    " {\"type\": \"m.room.message\", \"sender\": \"@x:y\", \"content\": {\"body\": \"%s\"},"
    "  \"event_id\": \"$escaped\", \"origin_server_ts\": 1},"
    " {\"type\": \"m.room.topic\", \"state_key\": \"\", \"sender\": \"@x:y\","
    "  \"content\": {\"topic\": \"%s\"}, \"unsigned\": {\"prev_content\": {\"topic\": \"%s\"}},"
    "  \"event_id\": \"$topic\", \"origin_server_ts\": 2},"
    " {\"type\": \"m.room.message\", \"sender\": \"@x:y\", \"content\": {\"body\": \"hi\"},"
    "  \"unsigned\": {\"junk\": \"%s\"}, \"event_id\": \"$junk\", \"origin_server_ts\": 3}]}}}}}",
    escaped->str, topic, topic, huge);
  g_string_free (escaped, TRUE);

  fake_homeserver_queue_json (f->server, "GET", SYNC "?timeout=30000", 200, body, FALSE);
  g_signal_connect (f->client, "synced", G_CALLBACK (on_synced), &synced);
  g_test_expect_message ("matrix-client", G_LOG_LEVEL_WARNING,
                         "*!a.timeline.events[2]: its unsigned data is larger than 196608 bytes*");

  recorder = signal_recorder_new (f->client, names, stop_on);
  matrix_client_start_sync (f->client);
  wait_for_pointer ((gpointer *) &synced, 5000);
  g_test_assert_expected_messages ();

  signals = signal_recorder_get_signals (recorder);
  g_assert_cmpuint (signals->len, ==, 1);
  events = ((RecordedSignal *) g_ptr_array_index (signals, 0))->events;
  g_assert_cmpuint (events->len, ==, 2);
  g_assert_cmpstr (matrix_event_get_event_id (g_ptr_array_index (events, 0)), ==, "$escaped");
  g_assert_cmpuint (strlen (matrix_event_get_content_string (g_ptr_array_index (events, 0), "body")),
                    ==, 60000);
  g_assert_cmpstr (matrix_event_get_event_id (g_ptr_array_index (events, 1)), ==, "$topic");
}

/* More rooms in one sync than a homeserver ever sends: the sync fails
 * with a reason, and nothing of it is shown or stored. */
static void
test_sync_too_many_rooms_fails (Fixture       *f,
                                gconstpointer  data)
{
  const char *names[] = { "sync-failed", "room-state-updates", "room-timeline-updates", NULL };
  const char *stop_on[] = { "sync-failed", NULL };
  g_autoptr(SignalRecorder) recorder = NULL;
  GString *body = g_string_new ("{\"next_batch\": \"t1\", \"rooms\": {\"join\": {");
  GPtrArray *signals;

  for (guint i = 0; i < 10001; i++)
    g_string_append_printf (body, "%s\"!r%u:x\": {}", i > 0 ? "," : "", i);
  g_string_append (body, "}}}");
  fake_homeserver_queue_json (f->server, "GET", SYNC "?timeout=30000", 200, body->str, FALSE);
  g_string_free (body, TRUE);
  g_test_expect_message ("matrix-client", G_LOG_LEVEL_MESSAGE, "*10001 rooms, more than 10000*");

  recorder = signal_recorder_new (f->client, names, stop_on);
  matrix_client_start_sync (f->client);
  signal_recorder_wait_stopped (recorder, 10000);
  g_test_assert_expected_messages ();

  signals = signal_recorder_get_signals (recorder);
  g_assert_cmpuint (signals->len, ==, 1);
  g_assert_cmpstr (((RecordedSignal *) g_ptr_array_index (signals, 0))->name, ==, "sync-failed");
  {
    g_auto(GStrv) rooms = matrix_store_get_room_ids (f->store);
    g_assert_cmpuint (g_strv_length (rooms), ==, 0);
  }
}

static void
on_session_ended (MatrixClient *client,
                  gboolean      soft_logout,
                  int          *out)
{
  *out = soft_logout ? 2 : 1;
}

static void
test_sync_unknown_token (Fixture       *f,
                         gconstpointer  data)
{
  for (guint soft = 0; soft < 2; soft++)
    {
      g_autoptr(MatrixStore) store = logged_in_store_new ();
      g_autoptr(MatrixClient) client = matrix_client_new (fake_homeserver_get_url (f->server), store);
      int ended = 0;
      guint failed = 0;

      fake_homeserver_queue_json (f->server, "GET", SYNC "?timeout=30000", 401,
                                  soft ? "{\"errcode\": \"M_UNKNOWN_TOKEN\", \"error\": \"x\", \"soft_logout\": true}"
                                       : "{\"errcode\": \"M_UNKNOWN_TOKEN\", \"error\": \"x\"}", FALSE);
      g_signal_connect (client, "session-ended", G_CALLBACK (on_session_ended), &ended);
      g_signal_connect_swapped (client, "sync-failed", G_CALLBACK (on_any_signal), &failed);

      matrix_client_start_sync (client);
      wait_for_flag (&ended, 5000);
      iterate_for (50);

      g_assert_cmpint (ended, ==, soft ? 2 : 1);
      g_assert_cmpuint (failed, ==, 0);
      g_assert_false (matrix_client_is_syncing (client));
      g_assert_false (matrix_client_is_logged_in (client));
      g_assert_error (matrix_client_get_sync_error (client), MATRIX_ERROR, MATRIX_ERROR_UNKNOWN_TOKEN);
      /* A soft logout keeps the device, so the next login resumes it. */
      if (soft)
        g_assert_cmpstr (matrix_client_get_device_id (client), ==, "ABCDEFG");
      else
        g_assert_null (matrix_client_get_device_id (client));
    }
  g_assert_cmpuint (fake_homeserver_get_requests (f->server)->len, ==, 2);
}

static void
test_sync_rate_limited (Fixture       *f,
                        gconstpointer  data)
{
  const char *names[] = { "sync-failed", "sync-resumed", NULL };
  const char *stop_on[] = { "sync-resumed", NULL };
  g_autoptr(SignalRecorder) recorder = NULL;

  fake_homeserver_queue_full (f->server, "GET", SYNC "?timeout=30000", 429, "application/json",
                              "{\"errcode\": \"M_LIMIT_EXCEEDED\", \"retry_after_ms\": 1000}",
                              (const char *[]) { "Retry-After", "5", NULL }, 0, FALSE);
  fake_homeserver_queue_json (f->server, "GET", SYNC "?timeout=0", 429,
                              "{\"errcode\": \"M_LIMIT_EXCEEDED\", \"retry_after_ms\": 1500}", FALSE);
  fake_homeserver_queue_json (f->server, "GET", SYNC "?timeout=0", 500, "{}", FALSE);
  fake_homeserver_queue_json (f->server, "GET", SYNC "?timeout=0", 200,
                              "{\"next_batch\":\"t\"}", FALSE);

  recorder = signal_recorder_new (f->client, names, stop_on);
  matrix_client_start_sync (f->client);
  signal_recorder_wait_stopped (recorder, 5000);

  /* The server's hint wins over the backoff when it is longer; the backoff
   * grows with every failure, and is the floor of the next wait. */
  signal_recorder_assert_equal (recorder, (RecordedSignal *[]) {
    expect_sync_failed (5), expect_sync_failed (4), expect_sync_failed (8), expect_sync_resumed (),
  }, 4);
  g_assert_cmpuint (g_array_index (f->clock->delays_ms, guint, 0), ==, 5000);
  g_assert_cmpuint (g_array_index (f->clock->delays_ms, guint, 1), ==, 4000);
  g_assert_cmpuint (g_array_index (f->clock->delays_ms, guint, 2), ==, 8000);
}

static void
test_sync_rate_limited_zero_wait (Fixture       *f,
                                  gconstpointer  data)
{
  const char *names[] = { "sync-failed", "sync-resumed", NULL };
  const char *stop_on[] = { "sync-resumed", NULL };
  g_autoptr(SignalRecorder) recorder = NULL;
  const guint expected_ms[] = { 2000, 4000, 8000, 16000, 30000, 30000 };

  /* A server asking for no wait at all, in either form: without a floor the
   * client would hammer it with requests. */
  for (guint i = 0; i < G_N_ELEMENTS (expected_ms); i++)
    {
      const char *path = i == 0 ? SYNC "?timeout=30000" : SYNC "?timeout=0";

      if (i % 2 == 0)
        fake_homeserver_queue_full (f->server, "GET", path, 429, "application/json",
                                    "{\"errcode\": \"M_LIMIT_EXCEEDED\"}",
                                    (const char *[]) { "Retry-After", "0", NULL }, 0, FALSE);
      else
        fake_homeserver_queue_json (f->server, "GET", path, 429,
                                    "{\"errcode\": \"M_LIMIT_EXCEEDED\", \"retry_after_ms\": 0}",
                                    FALSE);
    }
  fake_homeserver_queue_json (f->server, "GET", SYNC "?timeout=0", 200,
                              "{\"next_batch\":\"t\"}", FALSE);

  recorder = signal_recorder_new (f->client, names, stop_on);
  matrix_client_start_sync (f->client);
  signal_recorder_wait_stopped (recorder, 5000);

  g_assert_cmpuint (f->clock->delays_ms->len, ==, G_N_ELEMENTS (expected_ms));
  for (guint i = 0; i < G_N_ELEMENTS (expected_ms); i++)
    g_assert_cmpuint (g_array_index (f->clock->delays_ms, guint, i), ==, expected_ms[i]);
  g_assert_cmpuint (fake_homeserver_get_requests (f->server)->len, ==, G_N_ELEMENTS (expected_ms) + 1);
}

static void
test_sync_rate_limited_capped (Fixture       *f,
                               gconstpointer  data)
{
  const char *names[] = { "sync-failed", "sync-resumed", NULL };
  const char *stop_on[] = { "sync-resumed", NULL };
  g_autoptr(SignalRecorder) recorder = NULL;

  /* An hour, a day in milliseconds, and more seconds than 64 bits hold. */
  fake_homeserver_queue_full (f->server, "GET", SYNC "?timeout=30000", 429, "application/json",
                              "{\"errcode\": \"M_LIMIT_EXCEEDED\"}",
                              (const char *[]) { "Retry-After", "3600", NULL }, 0, FALSE);
  fake_homeserver_queue_json (f->server, "GET", SYNC "?timeout=0", 429,
                              "{\"errcode\": \"M_LIMIT_EXCEEDED\", \"retry_after_ms\": 86400000}",
                              FALSE);
  fake_homeserver_queue_full (f->server, "GET", SYNC "?timeout=0", 429, "application/json",
                              "{\"errcode\": \"M_LIMIT_EXCEEDED\"}",
                              (const char *[]) { "Retry-After", "99999999999999999999999", NULL },
                              0, FALSE);
  fake_homeserver_queue_json (f->server, "GET", SYNC "?timeout=0", 200,
                              "{\"next_batch\":\"t\"}", FALSE);

  recorder = signal_recorder_new (f->client, names, stop_on);
  matrix_client_start_sync (f->client);
  signal_recorder_wait_stopped (recorder, 5000);

  signal_recorder_assert_equal (recorder, (RecordedSignal *[]) {
    expect_sync_failed (300), expect_sync_failed (300), expect_sync_failed (300),
    expect_sync_resumed (),
  }, 4);
  for (guint i = 0; i < 3; i++)
    g_assert_cmpuint (g_array_index (f->clock->delays_ms, guint, i), ==, 300000);
}

static void
test_sync_watchdog (Fixture       *f,
                    gconstpointer  data)
{
  const char *names[] = { "sync-failed", "sync-resumed", NULL };
  const char *stop_on[] = { "sync-resumed", NULL };
  g_autoptr(SignalRecorder) recorder = NULL;

  /* A server that accepts the request and never answers. */
  _matrix_client_set_sync_watchdog_ms (f->client, 200);
  fake_homeserver_queue_held (f->server, "GET", SYNC "?timeout=30000", 200, "application/json",
                              "{\"next_batch\":\"never\"}");
  fake_homeserver_queue_json (f->server, "GET", SYNC "?timeout=0", 200,
                              "{\"next_batch\":\"t\"}", FALSE);

  recorder = signal_recorder_new (f->client, names, stop_on);
  matrix_client_start_sync (f->client);
  signal_recorder_wait_stopped (recorder, 5000);

  signal_recorder_assert_equal (recorder, (RecordedSignal *[]) {
    expect_sync_failed (2), expect_sync_resumed (),
  }, 2);
  g_assert_cmpuint (fake_homeserver_get_requests (f->server)->len, ==, 2);
}

/* The sync loop's watchdogs: each deadline asked for is recorded, and the
 * newest goes off only when the test says so, once its request has reached
 * the server. */
typedef struct {
  GArray  *deadlines_ms;
  GSource *newest;
} WatchdogClock;

static GSource *
watchdog_clock_source (guint    delay_ms,
                       gpointer user_data)
{
  WatchdogClock *clock = user_data;
  GSource *source = g_timeout_source_new (G_MAXUINT);

  g_array_append_val (clock->deadlines_ms, delay_ms);
  g_clear_pointer (&clock->newest, g_source_unref);
  clock->newest = g_source_ref (source);
  return source;
}

static void
watchdog_clock_init (WatchdogClock *clock,
                     MatrixClient  *client)
{
  clock->deadlines_ms = g_array_new (FALSE, FALSE, sizeof (guint));
  clock->newest = NULL;
  _matrix_client_set_watchdog_source_func (client, watchdog_clock_source, clock);
}

/* The server stays silent past the deadline of the request in flight. */
static void
watchdog_clock_fire (WatchdogClock *clock)
{
  g_assert_nonnull (clock->newest);
  g_assert_false (g_source_is_destroyed (clock->newest));
  g_source_set_ready_time (clock->newest, 0);
}

static void
watchdog_clock_clear (WatchdogClock *clock)
{
  g_clear_pointer (&clock->newest, g_source_unref);
  g_array_unref (clock->deadlines_ms);
}

static void
assert_deadlines (WatchdogClock *clock,
                  const guint   *expected_ms,
                  guint          n)
{
  g_assert_cmpuint (clock->deadlines_ms->len, ==, n);
  for (guint i = 0; i < n; i++)
    {
      g_test_message ("deadline %u", i);
      g_assert_cmpuint (g_array_index (clock->deadlines_ms, guint, i), ==, expected_ms[i]);
    }
}

static void
test_sync_silent_server_detected_fast (Fixture       *f,
                                       gconstpointer  data)
{
  const guint expected_ms[] = {
    35000,                                      /* the initial sync */
    35000,                                      /* a long-poll, silent */
    10000, 20000, 40000, 80000, 80000,          /* retries, silent */
    80000,                                      /* the retry that is answered */
    35000,                                      /* a long-poll again */
  };
  const char *names[] = { "sync-failed", "sync-resumed", NULL };
  const char *stop_on[] = { NULL };
  g_autoptr(SignalRecorder) recorder = NULL;
  WatchdogClock watchdogs;
  guint n_requests = 0;

  watchdog_clock_init (&watchdogs, f->client);
  fake_homeserver_queue_json (f->server, "GET", SYNC "?timeout=30000", 200,
                              "{\"next_batch\":\"s\"}", FALSE);
  fake_homeserver_queue_held (f->server, "GET", SYNC "?since=s&timeout=30000", 200,
                              "application/json", "{\"next_batch\":\"never\"}");
  for (guint i = 0; i < 5; i++)
    fake_homeserver_queue_held (f->server, "GET", SYNC "?since=s&timeout=0", 200,
                                "application/json", "{\"next_batch\":\"never\"}");
  fake_homeserver_queue_json (f->server, "GET", SYNC "?since=s&timeout=0", 200,
                              "{\"next_batch\":\"s2\"}", FALSE);
  fake_homeserver_queue_held (f->server, "GET", SYNC "?since=s2&timeout=30000", 200,
                              "application/json", "{\"next_batch\":\"s3\"}");

  recorder = signal_recorder_new (f->client, names, stop_on);
  matrix_client_start_sync (f->client);

  /* The server goes silent during a long-poll and stays so for five more
   * requests, each given up on at its deadline. */
  for (n_requests = 2; n_requests <= 7; n_requests++)
    {
      fake_homeserver_wait_for_requests (f->server, n_requests, 5000);
      watchdog_clock_fire (&watchdogs);
      wait_for_count (&signal_recorder_get_signals (recorder)->len, n_requests - 1, 5000);
      g_assert_cmpint (matrix_client_get_sync_failure (f->client), ==,
                       MATRIX_SYNC_FAILURE_CONNECTION);
      g_assert_error (matrix_client_get_sync_error (f->client), G_IO_ERROR, G_IO_ERROR_TIMED_OUT);
    }
  fake_homeserver_wait_for_requests (f->server, 9, 5000);

  /* A long-poll may take its 30 s and a margin; a retry asks for an answer
   * at once and is given up on after 10 s, then twice as long each time
   * (a slow server still gets to answer), up to 80 s. */
  assert_deadlines (&watchdogs, expected_ms, G_N_ELEMENTS (expected_ms));
  for (guint i = 2; i < 8; i++)
    {
      FakeRequest *request = g_ptr_array_index (fake_homeserver_get_requests (f->server), i);

      g_assert_cmpstr (g_hash_table_lookup (request->query_params, "timeout"), ==, "0");
    }

  /* Each of them waited longer than the backoff: the next one goes out at
   * once, to be there when the server answers again. */
  signal_recorder_assert_equal (recorder, (RecordedSignal *[]) {
    expect_sync_failed (0), expect_sync_failed (0), expect_sync_failed (0),
    expect_sync_failed (0), expect_sync_failed (0), expect_sync_failed (0),
    expect_sync_resumed (),
  }, 7);
  for (guint i = 0; i < f->clock->delays_ms->len; i++)
    g_assert_cmpuint (g_array_index (f->clock->delays_ms, guint, i), ==, 0);
  g_assert_cmpint (matrix_client_get_sync_failure (f->client), ==, MATRIX_SYNC_FAILURE_NONE);

  matrix_client_stop_sync (f->client);
  watchdog_clock_clear (&watchdogs);
}

static void
test_sync_initial_retry_keeps_long_deadline (Fixture       *f,
                                             gconstpointer  data)
{
  const guint expected_ms[] = { 35000, 70000 };
  WatchdogClock watchdogs;
  guint failed = 0;

  /* An initial sync may take a server long to put together, asked to
   * answer at once or not. */
  watchdog_clock_init (&watchdogs, f->client);
  fake_homeserver_queue_held (f->server, "GET", SYNC "?timeout=30000", 200,
                              "application/json", "{\"next_batch\":\"never\"}");
  fake_homeserver_queue_held (f->server, "GET", SYNC "?timeout=0", 200,
                              "application/json", "{\"next_batch\":\"s\"}");
  g_signal_connect_swapped (f->client, "sync-failed", G_CALLBACK (on_any_signal), &failed);

  matrix_client_start_sync (f->client);
  fake_homeserver_wait_for_requests (f->server, 1, 5000);
  watchdog_clock_fire (&watchdogs);
  wait_for_count (&failed, 1, 5000);
  fake_homeserver_wait_for_requests (f->server, 2, 5000);

  assert_deadlines (&watchdogs, expected_ms, G_N_ELEMENTS (expected_ms));
  matrix_client_stop_sync (f->client);
  watchdog_clock_clear (&watchdogs);
}

static void
record_failure_kind (MatrixClient *client,
                     guint         delay_s,
                     GArray       *kinds)
{
  MatrixSyncFailure kind = matrix_client_get_sync_failure (client);

  g_array_append_val (kinds, kind);
}

static void
check_no_failure_kind (MatrixClient *client,
                       gboolean     *resumed)
{
  g_assert_cmpint (matrix_client_get_sync_failure (client), ==, MATRIX_SYNC_FAILURE_NONE);
  *resumed = TRUE;
}

static void
test_sync_failure_kinds (Fixture       *f,
                         gconstpointer  data)
{
  const MatrixSyncFailure expected[] = {
    MATRIX_SYNC_FAILURE_SERVER,
    MATRIX_SYNC_FAILURE_RATE_LIMITED,
    MATRIX_SYNC_FAILURE_INVALID_RESPONSE,
    MATRIX_SYNC_FAILURE_INVALID_RESPONSE,
    MATRIX_SYNC_FAILURE_CONNECTION,
  };
  g_autoptr(GArray) kinds = g_array_new (FALSE, FALSE, sizeof (MatrixSyncFailure));
  g_autoptr(GSocketListener) listener = g_socket_listener_new ();
  g_autoptr(MatrixStore) store = logged_in_store_new ();
  g_autoptr(MatrixClient) refused = NULL;
  g_autofree char *url = NULL;
  gboolean resumed = FALSE;
  WatchdogClock watchdogs;
  FakeClock *clock;
  guint notified = 0;
  guint16 port;

  watchdog_clock_init (&watchdogs, f->client);
  fake_homeserver_queue_json (f->server, "GET", SYNC "?timeout=30000", 502,
                              "{\"errcode\": \"M_UNKNOWN\", \"error\": \"Bad gateway\"}", FALSE);
  fake_homeserver_queue_json (f->server, "GET", SYNC "?timeout=0", 429,
                              "{\"errcode\": \"M_LIMIT_EXCEEDED\", \"retry_after_ms\": 10}", FALSE);
  fake_homeserver_queue_json (f->server, "GET", SYNC "?timeout=0", 200, "nope", FALSE);
  fake_homeserver_queue_json (f->server, "GET", SYNC "?timeout=0", 200,
                              "{\"next_batch\": \"a b\"}", FALSE);
  fake_homeserver_queue_held (f->server, "GET", SYNC "?timeout=0", 200,
                              "application/json", "{\"next_batch\":\"never\"}");
  fake_homeserver_queue_json (f->server, "GET", SYNC "?timeout=0", 200,
                              "{\"next_batch\":\"t\"}", FALSE);

  /* The kind is there for a sync-failed handler to read, and gone for a
   * sync-resumed one. */
  g_signal_connect (f->client, "sync-failed", G_CALLBACK (record_failure_kind), kinds);
  g_signal_connect (f->client, "sync-resumed", G_CALLBACK (check_no_failure_kind), &resumed);
  g_signal_connect_swapped (f->client, "notify::sync-failure", G_CALLBACK (on_any_signal), &notified);

  matrix_client_start_sync (f->client);
  fake_homeserver_wait_for_requests (f->server, 5, 5000);
  watchdog_clock_fire (&watchdogs);
  wait_for_flag (&resumed, 5000);
  matrix_client_stop_sync (f->client);

  g_assert_cmpuint (kinds->len, ==, G_N_ELEMENTS (expected));
  for (guint i = 0; i < kinds->len; i++)
    g_assert_cmpint (g_array_index (kinds, MatrixSyncFailure, i), ==, expected[i]);
  /* One notification per change, the last back to none. */
  g_assert_cmpuint (notified, ==, 5);

  /* Nothing listens on a port that was just freed: refused at once. */
  port = g_socket_listener_add_any_inet_port (listener, NULL, NULL);
  g_assert_cmpuint (port, !=, 0);
  g_socket_listener_close (listener);
  url = g_strdup_printf ("http://127.0.0.1:%u", port);
  refused = matrix_client_new (url, store);
  clock = fake_clock_new (refused);
  g_array_set_size (kinds, 0);
  g_signal_connect (refused, "sync-failed", G_CALLBACK (record_failure_kind), kinds);
  matrix_client_start_sync (refused);
  wait_for_count (&kinds->len, 1, 5000);
  matrix_client_stop_sync (refused);
  g_assert_cmpint (g_array_index (kinds, MatrixSyncFailure, 0), ==, MATRIX_SYNC_FAILURE_CONNECTION);
  g_assert_error (matrix_client_get_sync_error (refused), G_IO_ERROR, G_IO_ERROR_CONNECTION_REFUSED);
  unref_and_wait_finalized (g_steal_pointer (&refused), 5000);
  fake_clock_free (clock);
  watchdog_clock_clear (&watchdogs);
}

/* Retry waits that go off only when released. */
typedef struct {
  GArray  *delays_ms;
  GSource *held;
} HeldClock;

static GSource *
held_clock_source (guint    delay_ms,
                   gpointer user_data)
{
  HeldClock *clock = user_data;
  GSource *source = g_timeout_source_new (G_MAXUINT);

  g_array_append_val (clock->delays_ms, delay_ms);
  g_clear_pointer (&clock->held, g_source_unref);
  clock->held = g_source_ref (source);
  return source;
}

static void
emit_network_changed (gboolean available)
{
  g_signal_emit_by_name (g_network_monitor_get_default (), "network-changed", available);
}

static void
test_sync_network_change_retries_now (Fixture       *f,
                                      gconstpointer  data)
{
  HeldClock clock = { g_array_new (FALSE, FALSE, sizeof (guint)), NULL };
  guint failed = 0, resumed = 0;
  FakeRequest *request;

  _matrix_client_set_timeout_source_func (f->client, held_clock_source, &clock);
  fake_homeserver_queue (f->server, "GET", SYNC "?timeout=30000", 503, "down", FALSE);
  fake_homeserver_queue (f->server, "GET", SYNC "?timeout=0", 503, "down", FALSE);
  fake_homeserver_queue_held (f->server, "GET", SYNC "?timeout=0", 200,
                              "application/json", "{\"next_batch\":\"never\"}");
  fake_homeserver_queue_json (f->server, "GET", SYNC "?timeout=0", 200,
                              "{\"next_batch\":\"t\"}", FALSE);
  fake_homeserver_queue_held (f->server, "GET", SYNC "?since=t&timeout=30000", 200,
                              "application/json", "{\"next_batch\":\"t2\"}");
  g_signal_connect_swapped (f->client, "sync-failed", G_CALLBACK (on_any_signal), &failed);
  g_signal_connect_swapped (f->client, "sync-resumed", G_CALLBACK (on_any_signal), &resumed);

  matrix_client_start_sync (f->client);
  wait_for_count (&failed, 1, 5000);
  g_assert_cmpuint (g_array_index (clock.delays_ms, guint, 0), ==, 2000);

  /* Losing the network is no news to a failing loop. */
  emit_network_changed (FALSE);
  iterate_for (50);
  g_assert_cmpuint (fake_homeserver_get_requests (f->server)->len, ==, 1);

  /* The network is back: no waiting out the backoff. */
  emit_network_changed (TRUE);
  wait_for_count (&failed, 2, 5000);
  g_assert_cmpuint (fake_homeserver_get_requests (f->server)->len, ==, 2);

  /* A retry in flight on the old network is replaced by one on the new. */
  g_source_set_ready_time (clock.held, 0);
  fake_homeserver_wait_for_requests (f->server, 3, 5000);
  g_assert_cmpuint (fake_homeserver_get_n_held (f->server), ==, 1);
  emit_network_changed (TRUE);
  wait_for_count (&resumed, 1, 5000);
  g_assert_cmpuint (failed, ==, 2);
  request = g_ptr_array_index (fake_homeserver_get_requests (f->server), 3);
  g_assert_cmpstr (g_hash_table_lookup (request->query_params, "timeout"), ==, "0");

  /* A healthy long-poll is left alone. */
  fake_homeserver_wait_for_requests (f->server, 5, 5000);
  emit_network_changed (TRUE);
  iterate_for (100);
  g_assert_cmpuint (fake_homeserver_get_requests (f->server)->len, ==, 5);
  g_assert_cmpuint (fake_homeserver_get_n_held (f->server), ==, 1);

  matrix_client_stop_sync (f->client);
  g_clear_pointer (&clock.held, g_source_unref);
  g_array_unref (clock.delays_ms);
}

static void
test_sync_body_too_large (Fixture       *f,
                          gconstpointer  data)
{
  const char *names[] = { "sync-failed", "sync-resumed", NULL };
  const char *stop_on[] = { "sync-resumed", NULL };
  g_autoptr(SignalRecorder) recorder = NULL;
  g_autoptr(GString) big = g_string_new ("{\"next_batch\": \"big\", \"padding\": \"");

  for (guint i = 0; i < 4096; i++)
    g_string_append_c (big, 'x');
  g_string_append (big, "\"}");

  _matrix_client_set_max_body_size (f->client, 1024);
  fake_homeserver_queue_json (f->server, "GET", SYNC "?timeout=30000", 200, big->str, FALSE);
  fake_homeserver_queue_json (f->server, "GET", SYNC "?timeout=0", 200,
                              "{\"next_batch\":\"small\"}", FALSE);

  recorder = signal_recorder_new (f->client, names, stop_on);
  matrix_client_start_sync (f->client);
  signal_recorder_wait_stopped (recorder, 5000);

  signal_recorder_assert_equal (recorder, (RecordedSignal *[]) {
    expect_sync_failed (2), expect_sync_resumed (),
  }, 2);
  g_assert_cmpuint (fake_homeserver_get_requests (f->server)->len, ==, 2);
}

/* A server that announces a 500 MB body and then sends it slowly, forever:
 * written on a raw socket, since the point is what the client does before
 * any such body exists. */
static gboolean
on_huge_incoming (GSocketService     *service,
                  GSocketConnection  *connection,
                  GObject            *source,
                  gpointer            user_data)
{
  static const char head[] =
    "HTTP/1.1 200 OK\r\n"
    "Content-Type: application/json\r\n"
    "Content-Length: 524288000\r\n"
    "\r\n"
    "{\"next_batch\": \"huge\", \"padding\": \"";
  GOutputStream *out = g_io_stream_get_output_stream (G_IO_STREAM (connection));
  GPtrArray *connections = user_data;

  g_output_stream_write_all (out, head, sizeof head - 1, NULL, NULL, NULL);
  g_ptr_array_add (connections, g_object_ref (connection));
  return TRUE;
}

static void
test_sync_huge_body_refused (Fixture       *f,
                             gconstpointer  data)
{
  g_autoptr(GSocketService) service = g_socket_service_new ();
  g_autoptr(GPtrArray) connections = g_ptr_array_new_with_free_func (g_object_unref);
  g_autoptr(GInetAddress) loopback = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr(GSocketAddress) address = g_inet_socket_address_new (loopback, 0);
  g_autoptr(GSocketAddress) bound = NULL;
  g_autoptr(MatrixStore) store = logged_in_store_new ();
  g_autoptr(MatrixClient) client = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *url = NULL;
  FakeClock *clock;
  guint failed = 0;
  gint64 started;

  g_socket_listener_add_address (G_SOCKET_LISTENER (service), address, G_SOCKET_TYPE_STREAM,
                                 G_SOCKET_PROTOCOL_TCP, NULL, &bound, &error);
  g_assert_no_error (error);
  g_signal_connect (service, "incoming", G_CALLBACK (on_huge_incoming), connections);
  url = g_strdup_printf ("http://127.0.0.1:%u",
                         g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (bound)));

  /* The default limit, as the app runs with it. */
  client = matrix_client_new (url, store);
  clock = fake_clock_new (client);
  g_signal_connect_swapped (client, "sync-failed", G_CALLBACK (on_any_signal), &failed);

  started = g_get_monotonic_time ();
  matrix_client_start_sync (client);
  wait_for_count (&failed, 1, 10000);
  matrix_client_stop_sync (client);

  /* Refused on its announced size, at once, without reading it. */
  g_assert_error (matrix_client_get_sync_error (client), MATRIX_ERROR, MATRIX_ERROR_INVALID_RESPONSE);
  g_assert_nonnull (strstr (matrix_client_get_sync_error (client)->message, "larger than"));
  g_assert_cmpint (g_get_monotonic_time () - started, <, 5 * G_USEC_PER_SEC);
  g_assert_null (matrix_store_get_sync_token (store));

  g_socket_service_stop (service);
  g_socket_listener_close (G_SOCKET_LISTENER (service));
  unref_and_wait_finalized (g_steal_pointer (&client), 10000);
  fake_clock_free (clock);
}

static void
test_build_path (Fixture       *f,
                 gconstpointer  data)
{
  g_autofree char *path = matrix_client_build_path ("v3", "rooms", "!a/b?c#d:e f", "state",
                                                    "m.room.member", "@u:x", NULL);

  const char * const segments[] = { "v3", "rooms", "!a/b?c#d:e f", "state", "m.room.member", "@u:x",
                                    NULL };
  g_autofree char *from_array = matrix_client_build_pathv (segments);

  g_assert_cmpstr (path, ==, "v3/rooms/%21a%2Fb%3Fc%23d%3Ae%20f/state/m.room.member/%40u%3Ax");
  /* The array form, for bindings, builds the same path. */
  g_assert_cmpstr (from_array, ==, path);
}

/* --- rooms ------------------------------------------------------------------ */

static void
test_join_room (Fixture       *f,
                gconstpointer  data)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *room_id = NULL;
  g_autoptr(JsonNode) body = NULL;
  FakeRequest *request;

  /* An alias: its '#' and ':' must stay in the path segment. */
  fake_homeserver_queue_json (f->server, "POST", "/_matrix/client/v3/join/%23hall%3Aexample.org", 200,
                              "{\"room_id\": \"!hall:example.org\"}", FALSE);
  matrix_client_join_room_async (f->client, "#hall:example.org", NULL, store_result, &result);
  wait_for_pointer ((gpointer *) &result, 5000);
  room_id = matrix_client_join_room_finish (f->client, result, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (room_id, ==, "!hall:example.org");

  request = fake_homeserver_get_last_request (f->server);
  g_assert_cmpstr (request->method, ==, "POST");
  g_assert_cmpstr (request->raw_path, ==, "/_matrix/client/v3/join/%23hall%3Aexample.org");
  g_assert_cmpstr (soup_message_headers_get_one (request->headers, "Authorization"), ==,
                   "Bearer anaccesstoken");
  body = fake_request_parse_json (request);
  g_assert_true (JSON_NODE_HOLDS_OBJECT (body));

  /* An answer without a room id is an invalid response. */
  g_clear_object (&result);
  g_clear_pointer (&room_id, g_free);
  fake_homeserver_queue_json (f->server, "POST", "/_matrix/client/v3/join/%21x%3Aexample.org", 200,
                              "{}", FALSE);
  matrix_client_join_room_async (f->client, "!x:example.org", NULL, store_result, &result);
  wait_for_pointer ((gpointer *) &result, 5000);
  room_id = matrix_client_join_room_finish (f->client, result, &error);
  g_assert_null (room_id);
  g_assert_error (error, MATRIX_ERROR, MATRIX_ERROR_INVALID_RESPONSE);
}

static void
test_create_room (Fixture       *f,
                  gconstpointer  data)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *room_id = NULL;
  g_autoptr(JsonNode) body = NULL;
  g_autoptr(JsonNode) expected = NULL;

  fake_homeserver_queue_json (f->server, "POST", "/_matrix/client/v3/createRoom", 200,
                              "{\"room_id\": \"!new:example.org\"}", FALSE);
  matrix_client_create_room_async (f->client, "Book club", "Chapter 3", NULL, store_result, &result);
  wait_for_pointer ((gpointer *) &result, 5000);
  room_id = matrix_client_create_room_finish (f->client, result, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (room_id, ==, "!new:example.org");

  body = fake_request_parse_json (fake_homeserver_get_last_request (f->server));
  expected = json_from_string ("{\"preset\": \"private_chat\", \"name\": \"Book club\","
                               " \"topic\": \"Chapter 3\"}", NULL);
  g_assert_true (json_node_equal (body, expected));

  /* Without name and topic, neither is sent. */
  g_clear_object (&result);
  g_clear_pointer (&room_id, g_free);
  g_clear_pointer (&body, json_node_unref);
  g_clear_pointer (&expected, json_node_unref);
  fake_homeserver_queue_json (f->server, "POST", "/_matrix/client/v3/createRoom", 200,
                              "{\"room_id\": \"!new2:example.org\"}", FALSE);
  matrix_client_create_room_async (f->client, NULL, "", NULL, store_result, &result);
  wait_for_pointer ((gpointer *) &result, 5000);
  room_id = matrix_client_create_room_finish (f->client, result, &error);
  g_assert_cmpstr (room_id, ==, "!new2:example.org");
  body = fake_request_parse_json (fake_homeserver_get_last_request (f->server));
  expected = json_from_string ("{\"preset\": \"private_chat\"}", NULL);
  g_assert_true (json_node_equal (body, expected));
}

static void
test_leave_room (Fixture       *f,
                 gconstpointer  data)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;

  fake_homeserver_queue_json (f->server, "POST", "/_matrix/client/v3/rooms/%21a%3Aexample.org/leave", 200,
                              "{}", FALSE);
  matrix_client_leave_room_async (f->client, "!a:example.org", NULL, store_result, &result);
  wait_for_pointer ((gpointer *) &result, 5000);
  g_assert_true (matrix_client_leave_room_finish (f->client, result, &error));
  g_assert_no_error (error);
  g_assert_cmpstr (fake_homeserver_get_last_request (f->server)->method, ==, "POST");
}

typedef struct {
  GPtrArray *order;    /* "signal room_id" */
  GPtrArray *invites;  /* the JSON text of each invite's stripped state */
} InviteRecord;

static void
on_invite (MatrixClient *client,
           const char   *room_id,
           GPtrArray    *stripped_state,
           InviteRecord *record)
{
  g_autoptr(JsonArray) array = json_array_new ();
  g_autoptr(JsonNode) node = NULL;

  for (guint i = 0; i < stripped_state->len; i++)
    json_array_add_object_element (array, json_object_ref (g_ptr_array_index (stripped_state, i)));
  node = json_node_init_array (json_node_alloc (), array);
  g_ptr_array_add (record->order, g_strconcat ("room-invite ", room_id, NULL));
  g_ptr_array_add (record->invites, json_to_string (node, FALSE));
}

static void
on_left (MatrixClient *client,
         const char   *room_id,
         InviteRecord *record)
{
  g_ptr_array_add (record->order, g_strconcat ("left-room ", room_id, NULL));
}

static void
on_timeline (MatrixClient *client,
             const char   *room_id,
             GPtrArray    *events,
             gboolean      limited,
             const char   *prev_batch,
             InviteRecord *record)
{
  g_ptr_array_add (record->order, g_strconcat ("room-timeline-updates ", room_id, NULL));
}

static void
test_sync_invites (Fixture       *f,
                   gconstpointer  data)
{
  InviteRecord record = { g_ptr_array_new_with_free_func (g_free), g_ptr_array_new_with_free_func (g_free) };
  g_autofree char *synced = NULL;

  /* Invites come in the body first, but are emitted after joined and left rooms. */
  fake_homeserver_queue_json (f->server, "GET", SYNC "?timeout=30000", 200,
    "{\"next_batch\": \"t1\", \"rooms\": {"
    " \"invite\": {\"!inv:example.org\": {\"invite_state\": {\"events\": ["
    "   {\"type\": \"m.room.name\", \"state_key\": \"\", \"sender\": \"@bob:example.org\","
    "    \"content\": {\"name\": \"Hi\"}},"
    "   {\"type\": \"m.room.member\", \"state_key\": \"@alice:example.org\", \"content\": {}},"
    "   {\"type\": \"m.room.member\", \"state_key\": \"@alice:example.org\", \"sender\": \"@bob:example.org\","
    "    \"content\": {\"membership\": \"invite\"}}]}},"
    "  \"!empty:example.org\": {}},"
    " \"join\": {\"!j:example.org\": {\"timeline\": {\"events\": []}}},"
    " \"leave\": {\"!l:example.org\": {}}"
    "}}", FALSE);
  g_signal_connect (f->client, "synced", G_CALLBACK (on_synced), &synced);
  g_signal_connect (f->client, "room-invite", G_CALLBACK (on_invite), &record);
  g_signal_connect (f->client, "left-room", G_CALLBACK (on_left), &record);
  g_signal_connect (f->client, "room-timeline-updates", G_CALLBACK (on_timeline), &record);

  /* A stripped event without a sender is left out, not the whole invite. */
  g_test_expect_message ("matrix-client", G_LOG_LEVEL_WARNING,
                         "*!inv:example.org.invite_state.events[1]*sender*");
  matrix_client_start_sync (f->client);
  wait_for_pointer ((gpointer *) &synced, 5000);
  g_test_assert_expected_messages ();

  g_assert_cmpuint (record.order->len, ==, 4);
  g_assert_cmpstr (g_ptr_array_index (record.order, 0), ==, "room-timeline-updates !j:example.org");
  g_assert_cmpstr (g_ptr_array_index (record.order, 1), ==, "left-room !l:example.org");
  g_assert_cmpstr (g_ptr_array_index (record.order, 2), ==, "room-invite !inv:example.org");
  g_assert_cmpstr (g_ptr_array_index (record.order, 3), ==, "room-invite !empty:example.org");
  g_assert_cmpstr (g_ptr_array_index (record.invites, 0), ==,
                   "[{\"type\":\"m.room.name\",\"state_key\":\"\",\"sender\":\"@bob:example.org\","
                   "\"content\":{\"name\":\"Hi\"}},"
                   "{\"type\":\"m.room.member\",\"state_key\":\"@alice:example.org\","
                   "\"sender\":\"@bob:example.org\",\"content\":{\"membership\":\"invite\"}}]");
  g_assert_cmpstr (g_ptr_array_index (record.invites, 1), ==, "[]");

  g_ptr_array_unref (record.order);
  g_ptr_array_unref (record.invites);
}

static void
test_sync_invite_malformed (Fixture       *f,
                            gconstpointer  data)
{
  const char *names[] = { "sync-failed", NULL };
  g_autoptr(SignalRecorder) recorder = NULL;

  /* invite_state.events must be an array: the response cannot be trusted. */
  fake_homeserver_queue_json (f->server, "GET", SYNC "?timeout=30000", 200,
    "{\"next_batch\": \"t1\", \"rooms\": {\"invite\": {\"!inv:example.org\":"
    " {\"invite_state\": {\"events\": {}}}}}}", FALSE);
  recorder = signal_recorder_new (f->client, names, names);
  matrix_client_start_sync (f->client);
  signal_recorder_wait_stopped (recorder, 5000);

  g_assert_error (matrix_client_get_sync_error (f->client), MATRIX_ERROR, MATRIX_ERROR_INVALID_RESPONSE);
  g_assert_nonnull (strstr (matrix_client_get_sync_error (f->client)->message,
                            "rooms.invite.!inv:example.org.invite_state"));
}

static void
test_mxc_uri_parse (void)
{
  static const char *valid[][3] = {
    { "mxc://example.org/abcDEF123_-", "example.org", "abcDEF123_-" },
    { "mxc://localhost:8448/x", "localhost:8448", "x" },
    { "mxc://[::1]:8448/x", "[::1]:8448", "x" },
  };
  static const char *invalid[] = {
    NULL, "", "mxc://", "mxc:///id", "mxc://example.org", "mxc://example.org/",
    "https://example.org/id", "mxc://example.org/a/b", "mxc://example.org/../x",
    "mxc://example.org/id?x=1", "mxc://example.org/id#f", "mxc://exa mple.org/id",
    "mxc://example.org/id%20", "MXC://example.org/id", "mxc://ex/ample.org/id/",
  };

  for (guint i = 0; i < G_N_ELEMENTS (valid); i++)
    {
      g_autofree char *server = NULL, *media = NULL;

      g_assert_true (matrix_mxc_uri_parse (valid[i][0], &server, &media));
      g_assert_cmpstr (server, ==, valid[i][1]);
      g_assert_cmpstr (media, ==, valid[i][2]);
    }
  for (guint i = 0; i < G_N_ELEMENTS (invalid); i++)
    {
      g_test_message ("invalid: %s", invalid[i] ? invalid[i] : "(null)");
      g_assert_false (matrix_mxc_uri_parse (invalid[i], NULL, NULL));
    }
}

static GBytes *
get_thumbnail (Fixture     *f,
               const char  *mxc_uri,
               GError     **error)
{
  g_autoptr(GAsyncResult) result = NULL;

  matrix_client_get_thumbnail_async (f->client, mxc_uri, 80, 80, NULL, store_result, &result);
  wait_for_pointer ((gpointer *) &result, 5000);
  return matrix_client_get_thumbnail_finish (f->client, result, error);
}

#define THUMBNAIL "/_matrix/client/v1/media/thumbnail/example.org/pic?width=80&height=80&method=crop"

static void
test_thumbnail (Fixture       *f,
                gconstpointer  data)
{
  static const char png_magic[] = "\x89PNG\r\n\x1a\n";
  g_autoptr(GBytes) bytes = NULL;
  g_autoptr(GError) error = NULL;
  FakeRequest *request;

  fake_homeserver_queue_full (f->server, "GET", THUMBNAIL, 200, "image/png", png_magic, NULL, 0, FALSE);
  bytes = get_thumbnail (f, "mxc://example.org/pic", &error);
  g_assert_no_error (error);
  g_assert_cmpmem (g_bytes_get_data (bytes, NULL), g_bytes_get_size (bytes), png_magic, strlen (png_magic));

  /* Authenticated media: the token goes with it. */
  request = fake_homeserver_get_last_request (f->server);
  g_assert_cmpstr (request->path, ==, "/_matrix/client/v1/media/thumbnail/example.org/pic");
  g_assert_cmpstr (soup_message_headers_get_one (request->headers, "Authorization"), ==, "Bearer anaccesstoken");
}

static void
test_thumbnail_refused (Fixture       *f,
                        gconstpointer  data)
{
  g_autofree char *big = g_malloc0 (4 * 1024 * 1024 + 2);
  g_autoptr(GBytes) bytes = NULL;
  g_autoptr(GError) error = NULL;

  /* Not a content URI: no request at all (an unmatched one fails the test). */
  bytes = get_thumbnail (f, "https://example.org/pic", &error);
  g_assert_null (bytes);
  g_assert_error (error, MATRIX_ERROR, MATRIX_ERROR_FAILED);
  g_clear_error (&error);

  /* Not an image. */
  fake_homeserver_queue_full (f->server, "GET", THUMBNAIL, 200, "text/html", "<html>", NULL, 0, FALSE);
  bytes = get_thumbnail (f, "mxc://example.org/pic", &error);
  g_assert_null (bytes);
  g_assert_error (error, MATRIX_ERROR, MATRIX_ERROR_INVALID_RESPONSE);
  g_clear_error (&error);

  /* Over 4 MiB. */
  memset (big, 'x', 4 * 1024 * 1024 + 1);
  fake_homeserver_queue_full (f->server, "GET", THUMBNAIL, 200, "image/png", big, NULL, 0, FALSE);
  bytes = get_thumbnail (f, "mxc://example.org/pic", &error);
  g_assert_null (bytes);
  g_assert_error (error, MATRIX_ERROR, MATRIX_ERROR_INVALID_RESPONSE);
  g_clear_error (&error);

  /* The server's error, as a MatrixError. */
  fake_homeserver_queue_json (f->server, "GET", THUMBNAIL, 404,
                              "{\"errcode\": \"M_NOT_FOUND\", \"error\": \"gone\"}", FALSE);
  bytes = get_thumbnail (f, "mxc://example.org/pic", &error);
  g_assert_null (bytes);
  g_assert_error (error, MATRIX_ERROR, MATRIX_ERROR_NOT_FOUND);
  g_assert_cmpuint (fake_homeserver_count_requests (f->server, "GET",
                                                    "/_matrix/client/v1/media/thumbnail/example.org/pic"), ==, 3);
}

static void
add_tests (void)
{
  g_test_add ("/matrix/client/sync/retry", Fixture, NULL, fixture_setup, test_sync_retry,
              fixture_teardown);
  g_test_add ("/matrix/client/sync/room-events", Fixture, NULL, fixture_setup,
              test_sync_room_events, fixture_teardown);
  g_test_add ("/matrix/client/login/password", Fixture, NULL, fixture_setup, test_login,
              fixture_teardown);
  g_test_add ("/matrix/client/login/wrong-password", Fixture, NULL, fixture_setup,
              test_login_wrong_password, fixture_teardown);
  g_test_add ("/matrix/client/login/keeps-device", Fixture, NULL, fixture_setup,
              test_login_keeps_device, fixture_teardown);
  g_test_add ("/matrix/client/login/names-from-app", Fixture, NULL, fixture_setup,
              test_login_names_from_app, fixture_teardown);
  g_test_add ("/matrix/client/logout", Fixture, NULL, fixture_setup, test_logout,
              fixture_teardown);
  g_test_add ("/matrix/client/login/not-logged-in", Fixture, NULL, fixture_setup,
              test_not_logged_in, fixture_teardown);
  g_test_add ("/matrix/client/send-event/unique-escaped-txn", Fixture, NULL, fixture_setup,
              test_send_event, fixture_teardown);
  g_test_add ("/matrix/client/send-event/retry-same-txn", Fixture, NULL, fixture_setup,
              test_send_event_same_txn_id, fixture_teardown);
  g_test_add ("/matrix/client/encrypted/refuses-plaintext", Fixture, NULL, fixture_setup,
              test_encrypted_refuses_plaintext, fixture_teardown);
  g_test_add ("/matrix/client/encrypted/allows-state-and-redactions", Fixture, NULL, fixture_setup,
              test_encrypted_allows_state_and_redactions, fixture_teardown);
  g_test_add ("/matrix/client/encrypted/learned-from-sync", Fixture, NULL, fixture_setup,
              test_encrypted_learned_from_sync, fixture_teardown);
  g_test_add ("/matrix/client/encrypted/unknown-room-asks-server", Fixture, NULL, fixture_setup,
              test_encrypted_asks_server, fixture_teardown);
  g_test_add ("/matrix/client/errors", Fixture, NULL, fixture_setup, test_error_responses,
              fixture_teardown);
  g_test_add ("/matrix/client/rooms/join", Fixture, NULL, fixture_setup, test_join_room,
              fixture_teardown);
  g_test_add ("/matrix/client/rooms/create", Fixture, NULL, fixture_setup, test_create_room,
              fixture_teardown);
  g_test_add ("/matrix/client/rooms/leave", Fixture, NULL, fixture_setup, test_leave_room,
              fixture_teardown);
  g_test_add_func ("/matrix/client/media/mxc-uri-parse", test_mxc_uri_parse);
  g_test_add ("/matrix/client/media/thumbnail", Fixture, NULL, fixture_setup, test_thumbnail,
              fixture_teardown);
  g_test_add ("/matrix/client/media/thumbnail-refused", Fixture, NULL, fixture_setup,
              test_thumbnail_refused, fixture_teardown);
  g_test_add ("/matrix/client/sync/invites-after-other-rooms", Fixture, NULL, fixture_setup,
              test_sync_invites, fixture_teardown);
  g_test_add ("/matrix/client/sync/invite-malformed", Fixture, NULL, fixture_setup,
              test_sync_invite_malformed, fixture_teardown);
  g_test_add ("/matrix/client/build-path", Fixture, NULL, fixture_setup, test_build_path,
              fixture_teardown);
  g_test_add ("/matrix/client/sync/backoff-growth", Fixture, NULL, fixture_setup,
              test_sync_backoff_growth, fixture_teardown);
  g_test_add ("/matrix/client/sync/backoff-resets", Fixture, NULL, fixture_setup,
              test_sync_backoff_resets, fixture_teardown);
  g_test_add ("/matrix/client/sync/start-twice", Fixture, NULL, fixture_setup,
              test_sync_start_twice, fixture_teardown);
  g_test_add ("/matrix/client/sync/stop-during-long-poll", Fixture, NULL, fixture_setup,
              test_sync_stop_during_long_poll, fixture_teardown);
  g_test_add ("/matrix/client/sync/stop-in-handler", Fixture, NULL, fixture_setup,
              test_sync_stop_in_handler, fixture_teardown);
  g_test_add ("/matrix/client/sync/token-from-store", Fixture, NULL, fixture_setup,
              test_sync_token_from_store, fixture_teardown);
  g_test_add ("/matrix/client/sync/token-after-handlers", Fixture, NULL, fixture_setup,
              test_sync_token_after_handlers, fixture_teardown);
  g_test_add ("/matrix/client/sync/malformed", Fixture, NULL, fixture_setup,
              test_sync_malformed, fixture_teardown);
  g_test_add ("/matrix/client/sync/token/invalid-refused-and-not-stored", Fixture, NULL,
              fixture_setup, test_sync_invalid_tokens_refused, fixture_teardown);
  g_test_add ("/matrix/client/sync/token/stored-invalid-not-sent", Fixture, NULL, fixture_setup,
              test_sync_stored_invalid_token_not_sent, fixture_teardown);
  g_test_add ("/matrix/client/sync/deep-nesting", Fixture, NULL, fixture_setup,
              test_sync_deep_nesting, fixture_teardown);
  g_test_add ("/matrix/client/sync/oversized-event-dropped", Fixture, NULL, fixture_setup,
              test_sync_oversized_event_dropped, fixture_teardown);
  g_test_add ("/matrix/client/sync/event-size-is-decoded-bytes", Fixture, NULL, fixture_setup,
              test_sync_event_size_decoded, fixture_teardown);
  g_test_add ("/matrix/client/sync/too-many-rooms-fails", Fixture, NULL, fixture_setup,
              test_sync_too_many_rooms_fails, fixture_teardown);
  g_test_add ("/matrix/client/sync/invalid-event-dropped", Fixture, NULL, fixture_setup,
              test_sync_invalid_event_dropped, fixture_teardown);
  g_test_add ("/matrix/client/sync/unknown-token", Fixture, NULL, fixture_setup,
              test_sync_unknown_token, fixture_teardown);
  g_test_add ("/matrix/client/sync/rate-limited", Fixture, NULL, fixture_setup,
              test_sync_rate_limited, fixture_teardown);
  g_test_add ("/matrix/client/sync/rate-limited/zero-wait-gets-the-backoff", Fixture, NULL,
              fixture_setup, test_sync_rate_limited_zero_wait, fixture_teardown);
  g_test_add ("/matrix/client/sync/rate-limited/long-wait-capped", Fixture, NULL, fixture_setup,
              test_sync_rate_limited_capped, fixture_teardown);
  g_test_add ("/matrix/client/sync/watchdog", Fixture, NULL, fixture_setup,
              test_sync_watchdog, fixture_teardown);
  g_test_add ("/matrix/client/sync/watchdog/silent-server-detected-fast", Fixture, NULL,
              fixture_setup, test_sync_silent_server_detected_fast, fixture_teardown);
  g_test_add ("/matrix/client/sync/watchdog/initial-retry-keeps-long-deadline", Fixture, NULL,
              fixture_setup, test_sync_initial_retry_keeps_long_deadline, fixture_teardown);
  g_test_add ("/matrix/client/sync/failure-kinds", Fixture, NULL, fixture_setup,
              test_sync_failure_kinds, fixture_teardown);
  g_test_add ("/matrix/client/sync/network-change-retries-now", Fixture, NULL, fixture_setup,
              test_sync_network_change_retries_now, fixture_teardown);
  g_test_add ("/matrix/client/sync/body-too-large", Fixture, NULL, fixture_setup,
              test_sync_body_too_large, fixture_teardown);
  g_test_add ("/matrix/client/sync/huge-body-refused", Fixture, NULL, fixture_setup,
              test_sync_huge_body_refused, fixture_teardown);
}

int
main (int   argc,
      char *argv[])
{
  g_setenv ("GIO_USE_PROXY_RESOLVER", "dummy", TRUE);
  g_test_init (&argc, &argv, NULL);
  add_tests ();
  return g_test_run ();
}
