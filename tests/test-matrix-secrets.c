/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "test-matrix-secrets"

/* The account stays safe: the access token never reaches a log, at any
 * debug level. A program of its own: the log writer is process-wide. */

#include "matrix-client-private.h"
#include "test-utils.h"

#define SECRET "syt_c2VjcmV0_SECRETTOKEN_0123456789"

static GString *captured;

static GLogWriterOutput
capture_writer (GLogLevelFlags   level,
                const GLogField *fields,
                gsize            n_fields,
                gpointer         user_data)
{
  for (gsize i = 0; i < n_fields; i++)
    {
      if (fields[i].length < 0)
        g_string_append (captured, fields[i].value);
      else
        g_string_append_len (captured, fields[i].value, fields[i].length);
      g_string_append_c (captured, '\n');
    }

  /* Shown on stderr: stdout carries TAP, which plain log lines would break. */
  {
    g_autofree char *line = g_log_writer_format_fields (level, fields, n_fields, FALSE);
    g_printerr ("%s\n", line);
  }

  if (level & G_LOG_FLAG_FATAL)
    return G_LOG_WRITER_UNHANDLED;
  return G_LOG_WRITER_HANDLED;
}

static void
on_done (GObject      *source,
         GAsyncResult *result,
         gpointer      user_data)
{
  *(GAsyncResult **) user_data = g_object_ref (result);
}

static void
test_token_never_logged (void)
{
  g_autoptr(FakeHomeserver) server = fake_homeserver_new ();
  g_autoptr(MatrixStore) store = matrix_memory_store_new ();
  g_autoptr(MatrixClient) client = matrix_client_new (fake_homeserver_get_url (server), store);
  g_autoptr(GAsyncResult) login = NULL, sent = NULL, logout = NULL;
  g_autoptr(JsonObject) content = json_object_new ();
  g_autofree char *event_id = NULL;
  const char *names[] = { "sync-failed", "sync-resumed", NULL };
  const char *stop_on[] = { "sync-resumed", NULL };
  g_autoptr(SignalRecorder) recorder = NULL;
  FakeClock *clock = fake_clock_new (client);

  /* Every path that logs: login, sync failures and their messages, a
   * dropped event's warning, sends, logout. */
  fake_homeserver_queue_json (server, "POST", "/_matrix/client/v3/login", 200,
                              "{\"user_id\": \"@a:x\", \"access_token\": \"" SECRET "\", \"device_id\": \"D\"}",
                              FALSE);
  fake_homeserver_queue_json (server, "GET", "/_matrix/client/v3/sync?timeout=30000", 500,
                              "{\"errcode\": \"M_UNKNOWN\", \"error\": \"oops\"}", FALSE);
  fake_homeserver_queue_json (server, "GET", "/_matrix/client/v3/sync?timeout=0", 429,
                              "{\"errcode\": \"M_LIMIT_EXCEEDED\", \"retry_after_ms\": 10}", FALSE);
  fake_homeserver_queue_json (server, "GET", "/_matrix/client/v3/sync?timeout=0", 200,
                              "{\"next_batch\": \"n\", \"rooms\": {\"join\": {\"!r\": {\"timeline\": "
                              "{\"events\": [{\"type\": \"bad\"}]}}}}}", FALSE);
  fake_homeserver_queue_json (server, "PUT", "/_matrix/client/v3/rooms/!r/send/m.room.message/*", 200,
                              "{\"event_id\": \"$e\"}", FALSE);
  fake_homeserver_queue_json (server, "POST", "/_matrix/client/v3/logout", 200, "{}", FALSE);

  matrix_client_login_async (client, "a", "password", NULL, on_done, &login);
  wait_for_pointer ((gpointer *) &login, 5000);
  g_assert_true (matrix_client_login_finish (client, login, NULL));

  recorder = signal_recorder_new (client, names, stop_on);
  matrix_client_start_sync (client);
  signal_recorder_wait_stopped (recorder, 5000);
  g_assert_nonnull (strstr (captured->str, "Left out an invalid event"));

  json_object_set_string_member (content, "body", "hi");
  store_add_room (store, "!r", FALSE);
  matrix_client_send_event_async (client, "!r", "m.room.message", content, NULL, NULL, on_done, &sent);
  wait_for_pointer ((gpointer *) &sent, 5000);
  event_id = matrix_client_send_event_finish (client, sent, NULL);
  g_assert_cmpstr (event_id, ==, "$e");

  matrix_client_logout_async (client, NULL, on_done, &logout);
  wait_for_pointer ((gpointer *) &logout, 5000);
  g_assert_true (matrix_client_logout_finish (client, logout, NULL));

  /* The token was used: the server saw it. */
  g_assert_cmpstr (soup_message_headers_get_one (fake_homeserver_get_last_request (server)->headers,
                                                 "Authorization"), ==, "Bearer " SECRET);
  /* Logging happened, at every level, and never showed it. */
  g_assert_nonnull (strstr (captured->str, "Sync failed"));
  g_assert_null (strstr (captured->str, SECRET));
  g_assert_null (strstr (captured->str, "SECRETTOKEN"));

  g_clear_pointer (&recorder, signal_recorder_free);
  iterate_for (20);
  fake_clock_free (clock);
}

int
main (int   argc,
      char *argv[])
{
  g_setenv ("G_MESSAGES_DEBUG", "all", TRUE);
  g_setenv ("GIO_USE_PROXY_RESOLVER", "dummy", TRUE);
  captured = g_string_new (NULL);
  g_log_set_writer_func (capture_writer, NULL, NULL);
  g_test_init (&argc, &argv, NULL);
  g_log_set_debug_enabled (TRUE);
  /* This program provokes a warning on purpose (a dropped invalid event) to
   * check what it prints; criticals stay fatal. */
  g_log_set_always_fatal (G_LOG_FATAL_MASK | G_LOG_LEVEL_CRITICAL);

  g_test_add_func ("/matrix/secrets/token-never-logged", test_token_never_logged);

  return g_test_run ();
}
