/* SPDX-License-Identifier: GPL-3.0-or-later */

#define G_LOG_DOMAIN "test-fake-homeserver"

#include "fake-homeserver.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define REPLY_TIMEOUT_MS 5000

typedef struct {
  GMainContext   *context;
  FakeHomeserver *fake;
  SoupSession    *session;
} Fixture;

typedef struct {
  gboolean     done;
  SoupMessage *msg;
  GBytes      *body;
  GError      *error;
  gint64       finished_at;
} Reply;

static void
reply_clear (Reply *reply)
{
  g_clear_object (&reply->msg);
  g_clear_pointer (&reply->body, g_bytes_unref);
  g_clear_error (&reply->error);
}

/* Each test gets its own thread-default context, as the client library under
 * test will, so nothing scheduled by one test can run during the next. */
static void
fixture_setup (Fixture       *fixture,
               gconstpointer  data)
{
  fixture->context = g_main_context_new ();
  g_main_context_push_thread_default (fixture->context);
  fixture->fake = fake_homeserver_new ();
  fixture->session = soup_session_new ();
}

static void
fixture_teardown (Fixture       *fixture,
                  gconstpointer  data)
{
  soup_session_abort (fixture->session);
  g_clear_object (&fixture->session);
  g_clear_object (&fixture->fake);

  /* Let closed connections and cancelled operations drop their references. */
  while (g_main_context_iteration (fixture->context, FALSE))
    ;

  g_main_context_pop_thread_default (fixture->context);
  g_main_context_unref (fixture->context);
}

static gboolean
on_timer (gpointer user_data)
{
  gboolean *fired = user_data;

  *fired = TRUE;
  return G_SOURCE_REMOVE;
}

/* Iterates the thread-default context until `condition` holds or
 * `timeout_ms` pass; returns whether it holds.  Never sleeps: the timer
 * wakes the blocking iteration. */
static gboolean
iterate_until (gboolean (*condition) (gpointer data),
               gpointer   data,
               guint      timeout_ms)
{
  g_autoptr(GMainContext) context = g_main_context_ref_thread_default ();
  g_autoptr(GSource) timer = g_timeout_source_new (timeout_ms);
  gboolean timed_out = FALSE;

  g_source_set_callback (timer, on_timer, &timed_out, NULL);
  g_source_attach (timer, context);

  while ((condition == NULL || !condition (data)) && !timed_out)
    g_main_context_iteration (context, TRUE);

  g_source_destroy (timer);

  return condition != NULL && condition (data);
}

static void
iterate_for (guint ms)
{
  iterate_until (NULL, NULL, ms);
}

static gboolean
reply_is_done (gpointer data)
{
  Reply *reply = data;

  return reply->done;
}

static void
wait_for_reply (Reply *reply)
{
  if (!iterate_until (reply_is_done, reply, REPLY_TIMEOUT_MS))
    g_error ("no reply within %d ms", REPLY_TIMEOUT_MS);
}

static void
on_send_and_read (GObject      *source,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  Reply *reply = user_data;

  reply->body = soup_session_send_and_read_finish (SOUP_SESSION (source), result, &reply->error);
  reply->finished_at = g_get_monotonic_time ();
  reply->done = TRUE;
}

static void
start_request_full (Fixture            *fixture,
                    const char         *method,
                    const char         *path_and_query,
                    const char * const *headers,
                    const char         *content_type,
                    const char         *body,
                    GCancellable       *cancellable,
                    Reply              *reply)
{
  g_autofree char *url = g_strconcat (fake_homeserver_get_url (fixture->fake), path_and_query, NULL);

  reply->msg = soup_message_new (method, url);
  g_assert_nonnull (reply->msg);

  for (guint i = 0; headers != NULL && headers[i] != NULL; i += 2)
    soup_message_headers_append (soup_message_get_request_headers (reply->msg),
                                 headers[i], headers[i + 1]);

  if (body != NULL)
    {
      g_autoptr(GBytes) bytes = g_bytes_new (body, strlen (body));

      soup_message_set_request_body_from_bytes (reply->msg, content_type, bytes);
    }

  soup_session_send_and_read_async (fixture->session, reply->msg, G_PRIORITY_DEFAULT,
                                    cancellable, on_send_and_read, reply);
}

static void
start_request (Fixture    *fixture,
               const char *method,
               const char *path_and_query,
               Reply      *reply)
{
  start_request_full (fixture, method, path_and_query, NULL, NULL, NULL, NULL, reply);
}

/* Sends a request and returns the response body, asserting the status. */
static char *
fetch (Fixture    *fixture,
       const char *method,
       const char *path_and_query,
       guint       expected_status)
{
  Reply reply = { 0 };
  char *body;

  start_request (fixture, method, path_and_query, &reply);
  wait_for_reply (&reply);
  g_assert_no_error (reply.error);
  g_assert_cmpuint (soup_message_get_status (reply.msg), ==, expected_status);
  body = g_strndup (g_bytes_get_data (reply.body, NULL), g_bytes_get_size (reply.body));
  reply_clear (&reply);

  return body;
}

#define assert_fetch(fixture, method, path_and_query, status, expected_body) \
  G_STMT_START { \
    g_autofree char *_body = fetch ((fixture), (method), (path_and_query), (status)); \
    g_assert_cmpstr (_body, ==, (expected_body)); \
  } G_STMT_END

static void
test_url (Fixture       *fixture,
          gconstpointer  data)
{
  const char *url = fake_homeserver_get_url (fixture->fake);

  g_assert_true (g_str_has_prefix (url, "http://127.0.0.1:"));
  g_assert_false (g_str_has_suffix (url, "/"));
  g_assert_cmpint (atoi (url + strlen ("http://127.0.0.1:")), >, 0);
}

static void
test_queue_fifo (Fixture       *fixture,
                 gconstpointer  data)
{
  fake_homeserver_queue (fixture->fake, "GET", "/_matrix/client/versions", 200, "first", FALSE);
  fake_homeserver_queue (fixture->fake, "GET", "/_matrix/client/versions", 200, "second", FALSE);
  fake_homeserver_queue (fixture->fake, "GET", "/_matrix/client/v3/sync", 200, "other", FALSE);
  g_assert_cmpuint (fake_homeserver_get_n_pending (fixture->fake), ==, 3);

  assert_fetch (fixture, "GET", "/_matrix/client/versions", 200, "first");
  g_assert_cmpuint (fake_homeserver_get_n_pending (fixture->fake), ==, 2);
  assert_fetch (fixture, "GET", "/_matrix/client/versions", 200, "second");
  assert_fetch (fixture, "GET", "/_matrix/client/v3/sync", 200, "other");

  g_assert_cmpuint (fake_homeserver_get_n_pending (fixture->fake), ==, 0);
  g_assert_cmpuint (fake_homeserver_get_requests (fixture->fake)->len, ==, 3);
  g_assert_cmpuint (fake_homeserver_get_n_unmatched (fixture->fake), ==, 0);
}

static void
test_queue_repeat (Fixture       *fixture,
                   gconstpointer  data)
{
  fake_homeserver_queue (fixture->fake, "GET", "/_matrix/client/versions", 200, "once", FALSE);
  fake_homeserver_queue (fixture->fake, "GET", "/_matrix/client/versions", 200, "always", TRUE);
  fake_homeserver_queue (fixture->fake, "GET", "/_matrix/client/versions", 200, "never", FALSE);
  g_assert_cmpuint (fake_homeserver_get_n_pending (fixture->fake), ==, 2);

  assert_fetch (fixture, "GET", "/_matrix/client/versions", 200, "once");
  for (guint i = 0; i < 3; i++)
    assert_fetch (fixture, "GET", "/_matrix/client/versions", 200, "always");

  /* The repeating response shadows the one-shot queued behind it. */
  g_assert_cmpuint (fake_homeserver_get_n_pending (fixture->fake), ==, 1);
  g_assert_cmpuint (fake_homeserver_count_requests (fixture->fake, "GET", "/_matrix/client/versions"),
                    ==, 4);
}

static void
test_queue_method (Fixture       *fixture,
                   gconstpointer  data)
{
  fake_homeserver_queue (fixture->fake, "PUT", "/_matrix/client/v3/profile/%40u%3Ab/displayname",
                         200, "put", FALSE);
  fake_homeserver_queue (fixture->fake, "GET", "/_matrix/client/v3/profile/%40u%3Ab/displayname",
                         200, "get", FALSE);

  assert_fetch (fixture, "GET", "/_matrix/client/v3/profile/%40u%3Ab/displayname", 200, "get");
  assert_fetch (fixture, "PUT", "/_matrix/client/v3/profile/%40u%3Ab/displayname", 200, "put");
}

static void
test_queue_json (Fixture       *fixture,
                 gconstpointer  data)
{
  Reply reply = { 0 };
  SoupMessageHeaders *headers;
  g_autoptr(JsonNode) node = NULL;

  fake_homeserver_queue_json (fixture->fake, "GET", "/_matrix/client/versions", 200,
                              "{\"versions\":[\"v1.1\"]}", FALSE);

  start_request (fixture, "GET", "/_matrix/client/versions", &reply);
  wait_for_reply (&reply);
  g_assert_no_error (reply.error);

  headers = soup_message_get_response_headers (reply.msg);
  g_assert_cmpstr (soup_message_headers_get_content_type (headers, NULL), ==, "application/json");
  node = json_from_string (g_bytes_get_data (reply.body, NULL), NULL);
  g_assert_nonnull (node);
  g_assert_cmpstr (json_array_get_string_element (
                     json_object_get_array_member (json_node_get_object (node), "versions"), 0),
                   ==, "v1.1");

  reply_clear (&reply);
}

static void
test_query_order_insensitive (Fixture       *fixture,
                              gconstpointer  data)
{
  fake_homeserver_queue (fixture->fake, "GET",
                         "/_matrix/client/v3/sync?since=s72594_4483_1934&timeout=30000",
                         200, "sync", FALSE);
  /* Encoded differently but equal once decoded. */
  fake_homeserver_queue (fixture->fake, "GET",
                         "/_matrix/client/v3/sync?filter=%7B%22room%22%3A%7B%7D%7D",
                         200, "filtered", FALSE);

  assert_fetch (fixture, "GET", "/_matrix/client/v3/sync?timeout=30000&since=s72594_4483_1934",
                200, "sync");
  assert_fetch (fixture, "GET", "/_matrix/client/v3/sync?filter=%7b%22room%22:%7b%7d%7d",
                200, "filtered");
  g_assert_cmpuint (fake_homeserver_get_n_pending (fixture->fake), ==, 0);
}

static void
test_query_exact_set (Fixture       *fixture,
                      gconstpointer  data)
{
  fake_homeserver_queue (fixture->fake, "GET", "/_matrix/client/v3/x", 200, "bare", TRUE);
  fake_homeserver_queue (fixture->fake, "GET", "/_matrix/client/v3/x?a=1", 200, "one", TRUE);
  fake_homeserver_queue (fixture->fake, "GET", "/_matrix/client/v3/x?a=1&b=2", 200, "two", TRUE);
  fake_homeserver_queue (fixture->fake, "GET", "/_matrix/client/v3/x?a=1&a=2", 200, "dup", TRUE);

  assert_fetch (fixture, "GET", "/_matrix/client/v3/x?b=2&a=1", 200, "two");
  assert_fetch (fixture, "GET", "/_matrix/client/v3/x?a=1", 200, "one");
  assert_fetch (fixture, "GET", "/_matrix/client/v3/x", 200, "bare");
  assert_fetch (fixture, "GET", "/_matrix/client/v3/x?a=2&a=1", 200, "dup");
}

static void
test_query_plus_is_literal (Fixture       *fixture,
                            gconstpointer  data)
{
  FakeRequest *request;

  fake_homeserver_queue (fixture->fake, "GET", "/_matrix/client/v3/search?q=a+b", 200, "plus", FALSE);
  fake_homeserver_queue (fixture->fake, "GET", "/_matrix/client/v3/search?q=a%20b", 200, "space", FALSE);

  assert_fetch (fixture, "GET", "/_matrix/client/v3/search?q=a%20b", 200, "space");
  assert_fetch (fixture, "GET", "/_matrix/client/v3/search?q=a%2Bb", 200, "plus");

  request = fake_homeserver_get_last_request (fixture->fake);
  g_assert_cmpstr (request->query, ==, "q=a%2Bb");
  g_assert_cmpstr (g_hash_table_lookup (request->query_params, "q"), ==, "a+b");
}

static void
test_query_params (Fixture       *fixture,
                   gconstpointer  data)
{
  FakeRequest *request;

  fake_homeserver_queue (fixture->fake, "GET",
                         "/_matrix/client/v3/sync?full_state&since=s%2B1&timeout=0", 200, "", FALSE);
  fake_homeserver_queue (fixture->fake, "GET", "/_matrix/client/versions", 200, "", FALSE);

  g_free (fetch (fixture, "GET", "/_matrix/client/v3/sync?since=s%2B1&timeout=0&full_state", 200));
  request = fake_homeserver_get_last_request (fixture->fake);
  g_assert_cmpstr (request->query, ==, "since=s%2B1&timeout=0&full_state");
  g_assert_cmpuint (g_hash_table_size (request->query_params), ==, 3);
  g_assert_cmpstr (g_hash_table_lookup (request->query_params, "since"), ==, "s+1");
  g_assert_cmpstr (g_hash_table_lookup (request->query_params, "timeout"), ==, "0");
  g_assert_cmpstr (g_hash_table_lookup (request->query_params, "full_state"), ==, "");

  g_free (fetch (fixture, "GET", "/_matrix/client/versions", 200));
  request = fake_homeserver_get_last_request (fixture->fake);
  g_assert_null (request->query);
  g_assert_nonnull (request->query_params);
  g_assert_cmpuint (g_hash_table_size (request->query_params), ==, 0);
}

static void
test_records_headers_and_body (Fixture       *fixture,
                               gconstpointer  data)
{
  const char *headers[] = { "Authorization", "Bearer syt_token", NULL };
  const char *path = "/_matrix/client/v3/rooms/!a:b/send/m.room.message/txn1";
  Reply reply = { 0 };
  FakeRequest *request;
  g_autoptr(JsonNode) node = NULL;
  JsonObject *object;

  g_assert_null (fake_homeserver_get_last_request (fixture->fake));

  fake_homeserver_queue_json (fixture->fake, "PUT",
                              "/_matrix/client/v3/rooms/%21a%3Ab/send/m.room.message/txn1?ts=1",
                              200, "{\"event_id\":\"$ev\"}", FALSE);

  start_request_full (fixture, "PUT",
                      "/_matrix/client/v3/rooms/%21a%3Ab/send/m.room.message/txn1?ts=1",
                      headers, "application/json", "{\"msgtype\":\"m.text\",\"body\":\"hi\"}",
                      NULL, &reply);
  fake_homeserver_wait_for_requests (fixture->fake, 1, REPLY_TIMEOUT_MS);

  request = fake_homeserver_get_last_request (fixture->fake);
  g_assert_nonnull (request);
  g_assert_true (request == g_ptr_array_index (fake_homeserver_get_requests (fixture->fake), 0));
  g_assert_cmpstr (request->method, ==, "PUT");
  g_assert_cmpstr (request->path, ==, path);
  g_assert_cmpstr (request->raw_path, ==,
                   "/_matrix/client/v3/rooms/%21a%3Ab/send/m.room.message/txn1");
  g_assert_cmpstr (request->query, ==, "ts=1");
  g_assert_cmpstr (g_hash_table_lookup (request->query_params, "ts"), ==, "1");
  g_assert_cmpstr (soup_message_headers_get_one (request->headers, "Authorization"),
                   ==, "Bearer syt_token");
  g_assert_cmpstr (soup_message_headers_get_content_type (request->headers, NULL),
                   ==, "application/json");

  node = fake_request_parse_json (request);
  g_assert_nonnull (node);
  object = json_node_get_object (node);
  g_assert_cmpstr (json_object_get_string_member (object, "msgtype"), ==, "m.text");
  g_assert_cmpstr (json_object_get_string_member (object, "body"), ==, "hi");

  wait_for_reply (&reply);
  g_assert_no_error (reply.error);
  g_assert_cmpuint (soup_message_get_status (reply.msg), ==, 200);
  g_assert_cmpuint (fake_homeserver_get_n_unmatched (fixture->fake), ==, 0);
  reply_clear (&reply);
}

static void
test_records_body_without_query (Fixture       *fixture,
                                 gconstpointer  data)
{
  const char *headers[] = { "Authorization", "Bearer syt_token", NULL };
  Reply reply = { 0 };
  FakeRequest *request;

  fake_homeserver_queue_json (fixture->fake, "PUT",
                              "/_matrix/client/v3/rooms/%21a%3Ab/send/m.room.message/txn1",
                              200, "{\"event_id\":\"$ev\"}", FALSE);
  fake_homeserver_queue_json (fixture->fake, "GET", "/_matrix/client/versions", 200, "{}", FALSE);

  start_request_full (fixture, "PUT", "/_matrix/client/v3/rooms/%21a%3Ab/send/m.room.message/txn1",
                      headers, "application/json", "{\"body\":\"hi\"}", NULL, &reply);
  wait_for_reply (&reply);
  g_assert_no_error (reply.error);
  g_assert_cmpuint (soup_message_get_status (reply.msg), ==, 200);
  g_assert_cmpmem (g_bytes_get_data (reply.body, NULL), g_bytes_get_size (reply.body),
                   "{\"event_id\":\"$ev\"}", strlen ("{\"event_id\":\"$ev\"}"));
  reply_clear (&reply);

  g_free (fetch (fixture, "GET", "/_matrix/client/versions", 200));
  request = fake_homeserver_get_last_request (fixture->fake);
  g_assert_nonnull (request->body);
  g_assert_cmpuint (g_bytes_get_size (request->body), ==, 0);
  g_assert_null (fake_request_parse_json (request));

  g_assert_cmpuint (fake_homeserver_count_requests (fixture->fake, "PUT",
                      "/_matrix/client/v3/rooms/!a:b/send/m.room.message/txn1"), ==, 1);
  g_assert_cmpuint (fake_homeserver_count_requests (fixture->fake, NULL,
                      "/_matrix/client/v3/rooms/!a:b/send/m.room.message/txn1"), ==, 1);
  g_assert_cmpuint (fake_homeserver_count_requests (fixture->fake, "GET",
                      "/_matrix/client/v3/rooms/!a:b/send/m.room.message/txn1"), ==, 0);
  g_assert_cmpuint (fake_homeserver_count_requests (fixture->fake, NULL,
                      "/_matrix/client/v3/rooms/%21a%3Ab/send/m.room.message/txn1"), ==, 0);
  g_assert_cmpuint (fake_homeserver_get_n_pending (fixture->fake), ==, 0);
}

static void
test_records_encoded_path (Fixture       *fixture,
                           gconstpointer  data)
{
  FakeRequest *request;

  /* Queued in decoded form: matching compares decoded paths.  The state key
   * holds an encoded '/', which must not split the path before matching. */
  fake_homeserver_queue (fixture->fake, "GET",
                         "/_matrix/client/v3/rooms/!a:b/state/m.room.member/@u:b/x", 200, "ok", FALSE);

  assert_fetch (fixture, "GET", "/_matrix/client/v3/rooms/%21a%3Ab/state/m.room.member/%40u%3Ab%2Fx",
                200, "ok");

  request = fake_homeserver_get_last_request (fixture->fake);
  g_assert_cmpstr (request->path, ==, "/_matrix/client/v3/rooms/!a:b/state/m.room.member/@u:b/x");
  g_assert_cmpstr (request->raw_path, ==,
                   "/_matrix/client/v3/rooms/%21a%3Ab/state/m.room.member/%40u%3Ab%2Fx");
}

/* Goes around SoupSession, which normalises URIs before sending, to show
 * what raw_path holds for bytes that really were on the wire. */
static void
test_records_raw_path_normalised (Fixture       *fixture,
                                  gconstpointer  data)
{
  const char *request_text =
    "GET /_matrix/client/v3/rooms/%21a%3ab/state/m.room.name/%7ekey HTTP/1.1\r\n"
    "Host: 127.0.0.1\r\n"
    "Connection: close\r\n"
    "\r\n";
  g_autoptr(GSocketClient) client = g_socket_client_new ();
  g_autoptr(GSocketConnection) connection = NULL;
  g_autoptr(GUri) uri = NULL;
  g_autoptr(GError) error = NULL;
  FakeRequest *request;

  fake_homeserver_queue (fixture->fake, "GET",
                         "/_matrix/client/v3/rooms/%21a%3Ab/state/m.room.name/~key", 200, "", FALSE);

  uri = g_uri_parse (fake_homeserver_get_url (fixture->fake), G_URI_FLAGS_NONE, &error);
  g_assert_no_error (error);
  connection = g_socket_client_connect_to_host (client, "127.0.0.1", g_uri_get_port (uri),
                                                NULL, &error);
  g_assert_no_error (error);
  g_output_stream_write_all (g_io_stream_get_output_stream (G_IO_STREAM (connection)),
                             request_text, strlen (request_text), NULL, NULL, &error);
  g_assert_no_error (error);

  fake_homeserver_wait_for_requests (fixture->fake, 1, REPLY_TIMEOUT_MS);
  request = fake_homeserver_get_last_request (fixture->fake);
  g_assert_cmpstr (request->path, ==, "/_matrix/client/v3/rooms/!a:b/state/m.room.name/~key");
  g_assert_cmpstr (request->raw_path, ==, "/_matrix/client/v3/rooms/%21a%3Ab/state/m.room.name/~key");
  g_assert_cmpuint (fake_homeserver_get_n_unmatched (fixture->fake), ==, 0);

  g_io_stream_close (G_IO_STREAM (connection), NULL, NULL);
}

static void
test_held_release (Fixture       *fixture,
                   gconstpointer  data)
{
  Reply first = { 0 };
  Reply second = { 0 };

  fake_homeserver_queue_held (fixture->fake, "GET", "/_matrix/client/v3/sync?timeout=30000",
                              200, "application/json", "{\"next_batch\":\"s1\"}");
  fake_homeserver_queue_held (fixture->fake, "GET", "/_matrix/client/v3/sync?timeout=30000",
                              200, "application/json", "{\"next_batch\":\"s2\"}");
  g_assert_cmpuint (fake_homeserver_get_n_held (fixture->fake), ==, 0);
  g_assert_cmpuint (fake_homeserver_get_n_pending (fixture->fake), ==, 2);

  start_request (fixture, "GET", "/_matrix/client/v3/sync?timeout=30000", &first);
  start_request (fixture, "GET", "/_matrix/client/v3/sync?timeout=30000", &second);
  fake_homeserver_wait_for_requests (fixture->fake, 2, REPLY_TIMEOUT_MS);

  iterate_for (50);
  g_assert_false (first.done);
  g_assert_false (second.done);
  g_assert_cmpuint (fake_homeserver_get_n_held (fixture->fake), ==, 2);
  g_assert_cmpuint (fake_homeserver_get_n_pending (fixture->fake), ==, 0);

  g_assert_cmpuint (fake_homeserver_release (fixture->fake), ==, 2);
  g_assert_cmpuint (fake_homeserver_get_n_held (fixture->fake), ==, 0);
  wait_for_reply (&first);
  wait_for_reply (&second);

  g_assert_no_error (first.error);
  g_assert_no_error (second.error);
  g_assert_cmpuint (soup_message_get_status (first.msg), ==, 200);
  g_assert_cmpstr (soup_message_headers_get_content_type (soup_message_get_response_headers (first.msg), NULL),
                   ==, "application/json");
  /* Which connection got which response depends on arrival order. */
  g_assert_false (g_bytes_equal (first.body, second.body));

  g_assert_cmpuint (fake_homeserver_release (fixture->fake), ==, 0);

  reply_clear (&first);
  reply_clear (&second);
}

static gboolean
nothing_held (gpointer data)
{
  return fake_homeserver_get_n_held (data) == 0;
}

static void
test_held_client_disconnect (Fixture       *fixture,
                             gconstpointer  data)
{
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  Reply reply = { 0 };

  fake_homeserver_queue_held (fixture->fake, "GET", "/_matrix/client/v3/sync", 200, NULL, "late");
  fake_homeserver_queue (fixture->fake, "GET", "/_matrix/client/versions", 200, "after", FALSE);

  start_request_full (fixture, "GET", "/_matrix/client/v3/sync", NULL, NULL, NULL, cancellable, &reply);
  fake_homeserver_wait_for_requests (fixture->fake, 1, REPLY_TIMEOUT_MS);
  g_assert_cmpuint (fake_homeserver_get_n_held (fixture->fake), ==, 1);

  g_cancellable_cancel (cancellable);
  wait_for_reply (&reply);
  g_assert_error (reply.error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  reply_clear (&reply);

  g_assert_true (iterate_until (nothing_held, fixture->fake, REPLY_TIMEOUT_MS));
  g_assert_cmpuint (fake_homeserver_release (fixture->fake), ==, 0);

  /* The session must not be stuck on the dropped connection. */
  assert_fetch (fixture, "GET", "/_matrix/client/versions", 200, "after");
}

static void
test_held_dispose (Fixture       *fixture,
                   gconstpointer  data)
{
  Reply reply = { 0 };

  fake_homeserver_queue_held (fixture->fake, "GET", "/_matrix/client/v3/sync", 200, NULL, "never");
  start_request (fixture, "GET", "/_matrix/client/v3/sync", &reply);
  fake_homeserver_wait_for_requests (fixture->fake, 1, REPLY_TIMEOUT_MS);
  g_assert_cmpuint (fake_homeserver_get_n_held (fixture->fake), ==, 1);

  g_clear_object (&fixture->fake);

  wait_for_reply (&reply);
  g_assert_nonnull (reply.error);
  reply_clear (&reply);
}

static void
test_delay (Fixture       *fixture,
            gconstpointer  data)
{
  const char *headers[] = { "Retry-After", "3", "X-Fake", "yes", NULL };
  Reply reply = { 0 };
  SoupMessageHeaders *response_headers;
  gint64 started;

  fake_homeserver_queue_full (fixture->fake, "GET", "/_matrix/client/versions", 429,
                              "text/plain", "slow down", headers, 200, FALSE);

  started = g_get_monotonic_time ();
  start_request (fixture, "GET", "/_matrix/client/versions", &reply);
  fake_homeserver_wait_for_requests (fixture->fake, 1, REPLY_TIMEOUT_MS);
  g_assert_false (reply.done);
  g_assert_cmpuint (fake_homeserver_get_n_held (fixture->fake), ==, 0);

  wait_for_reply (&reply);
  g_assert_no_error (reply.error);
  g_assert_cmpint (reply.finished_at - started, >=, 200 * G_TIME_SPAN_MILLISECOND);
  g_assert_cmpuint (soup_message_get_status (reply.msg), ==, 429);

  response_headers = soup_message_get_response_headers (reply.msg);
  g_assert_cmpstr (soup_message_headers_get_content_type (response_headers, NULL), ==, "text/plain");
  g_assert_cmpstr (soup_message_headers_get_one (response_headers, "Retry-After"), ==, "3");
  g_assert_cmpstr (soup_message_headers_get_one (response_headers, "X-Fake"), ==, "yes");
  g_assert_cmpmem (g_bytes_get_data (reply.body, NULL), g_bytes_get_size (reply.body),
                   "slow down", strlen ("slow down"));

  reply_clear (&reply);
}

static void
test_delay_client_disconnect (Fixture       *fixture,
                              gconstpointer  data)
{
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  Reply reply = { 0 };

  fake_homeserver_queue_full (fixture->fake, "GET", "/_matrix/client/v3/sync", 200,
                              NULL, "late", NULL, 100, FALSE);
  fake_homeserver_queue (fixture->fake, "GET", "/_matrix/client/versions", 200, "after", FALSE);

  start_request_full (fixture, "GET", "/_matrix/client/v3/sync", NULL, NULL, NULL, cancellable, &reply);
  fake_homeserver_wait_for_requests (fixture->fake, 1, REPLY_TIMEOUT_MS);
  g_cancellable_cancel (cancellable);
  wait_for_reply (&reply);
  g_assert_error (reply.error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  reply_clear (&reply);

  /* Outlive the delay: the timer of the dropped message must not fire into
   * freed state. */
  iterate_for (200);
  assert_fetch (fixture, "GET", "/_matrix/client/versions", 200, "after");
}

static void
test_unmatched_fails (Fixture       *fixture,
                      gconstpointer  data)
{
  if (g_test_subprocess ())
    {
      Reply reply = { 0 };
      g_autoptr(JsonNode) node = NULL;
      JsonObject *object;

      fake_homeserver_queue_json (fixture->fake, "GET", "/_matrix/client/v3/sync?timeout=0",
                                  200, "{}", TRUE);

      start_request (fixture, "GET", "/_matrix/client/v3/rooms/%21a%3Ab/state?x=1", &reply);
      wait_for_reply (&reply);
      g_assert_no_error (reply.error);
      g_assert_cmpuint (soup_message_get_status (reply.msg), ==, 404);

      node = json_from_string (g_bytes_get_data (reply.body, NULL), NULL);
      g_assert_nonnull (node);
      object = json_node_get_object (node);
      g_assert_cmpstr (json_object_get_string_member (object, "errcode"), ==, "M_UNRECOGNIZED");
      g_assert_cmpstr (json_object_get_string_member (object, "error"), ==,
                       "fake-homeserver: no response queued for GET "
                       "/_matrix/client/v3/rooms/%21a%3Ab/state?x=1");
      g_assert_cmpuint (fake_homeserver_get_n_unmatched (fixture->fake), ==, 1);
      g_assert_cmpuint (fake_homeserver_get_requests (fixture->fake)->len, ==, 1);
      reply_clear (&reply);

      /* GTest prints test messages and the failure reason only in verbose or
       * TAP mode, which a trapped subprocess is not in; and an assertion
       * failing above would abort before reaching this. */
      g_print ("client saw 404 M_UNRECOGNIZED; test failed: %s\n",
               g_test_failed () ? "yes" : "no");
      fflush (stdout);
      return;
    }

  g_test_trap_subprocess (NULL, 0, 0);
  g_test_trap_assert_failed ();
  g_test_trap_assert_stdout ("*client saw 404 M_UNRECOGNIZED; test failed: yes*");
}

static void
test_wait_timeout_fails (Fixture       *fixture,
                         gconstpointer  data)
{
  if (g_test_subprocess ())
    {
      Reply reply = { 0 };

      fake_homeserver_queue (fixture->fake, "GET", "/_matrix/client/versions", 200, "", FALSE);
      start_request (fixture, "GET", "/_matrix/client/versions", &reply);
      fake_homeserver_wait_for_requests (fixture->fake, 2, 100);

      g_test_message ("still running after the wait");
      wait_for_reply (&reply);
      reply_clear (&reply);
      return;
    }

  g_test_trap_subprocess (NULL, 0, 0);
  g_test_trap_assert_failed ();
  g_test_trap_assert_stderr ("*waited 100 ms for 2 requests, got 1; GET /_matrix/client/versions*");
  g_test_trap_assert_stdout_unmatched ("*still running after the wait*");
}

int
main (int   argc,
      char *argv[])
{
  /* A system proxy would take requests for 127.0.0.1 off to somewhere else. */
  g_setenv ("GIO_USE_PROXY_RESOLVER", "dummy", TRUE);

  g_test_init (&argc, &argv, NULL);

#define ADD_TEST(path, func) \
  g_test_add (path, Fixture, NULL, fixture_setup, func, fixture_teardown)

  ADD_TEST ("/fake-homeserver/url", test_url);
  ADD_TEST ("/fake-homeserver/queue/fifo", test_queue_fifo);
  ADD_TEST ("/fake-homeserver/queue/repeat", test_queue_repeat);
  ADD_TEST ("/fake-homeserver/queue/method", test_queue_method);
  ADD_TEST ("/fake-homeserver/queue/json", test_queue_json);
  ADD_TEST ("/fake-homeserver/query/order-insensitive", test_query_order_insensitive);
  ADD_TEST ("/fake-homeserver/query/exact-set", test_query_exact_set);
  ADD_TEST ("/fake-homeserver/query/plus-is-literal", test_query_plus_is_literal);
  ADD_TEST ("/fake-homeserver/query/params", test_query_params);
  ADD_TEST ("/fake-homeserver/records/headers-and-body", test_records_headers_and_body);
  ADD_TEST ("/fake-homeserver/records/body-and-counts", test_records_body_without_query);
  ADD_TEST ("/fake-homeserver/records/encoded-path", test_records_encoded_path);
  ADD_TEST ("/fake-homeserver/records/raw-path-normalised", test_records_raw_path_normalised);
  ADD_TEST ("/fake-homeserver/held/release", test_held_release);
  ADD_TEST ("/fake-homeserver/held/client-disconnect", test_held_client_disconnect);
  ADD_TEST ("/fake-homeserver/held/dispose", test_held_dispose);
  ADD_TEST ("/fake-homeserver/delay", test_delay);
  ADD_TEST ("/fake-homeserver/delay/client-disconnect", test_delay_client_disconnect);
  ADD_TEST ("/fake-homeserver/unmatched/fails", test_unmatched_fails);
  ADD_TEST ("/fake-homeserver/wait/timeout-fails", test_wait_timeout_fails);

#undef ADD_TEST

  return g_test_run ();
}
