/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "test-matrix-discovery"

#include "matrix-discovery-private.h"
#include "test-utils.h"

#define VERSIONS "{\"versions\": [\"v1.1\", \"v1.2\"]}"

typedef struct {
  FakeHomeserver *server;
  char           *server_name;  /* 127.0.0.1:port */
} Fixture;

static void
fixture_setup (Fixture       *f,
               gconstpointer  data)
{
  f->server = fake_homeserver_new ();
  f->server_name = g_strdup (fake_homeserver_get_url (f->server) + strlen ("http://"));
  /* The fake speaks plain HTTP. */
  _matrix_discovery_set_scheme ("http");
}

static void
fixture_teardown (Fixture       *f,
                  gconstpointer  data)
{
  iterate_for (20);
  _matrix_discovery_set_scheme (NULL);
  g_assert_cmpuint (fake_homeserver_get_n_unmatched (f->server), ==, 0);
  g_assert_finalize_object (f->server);
  g_free (f->server_name);
}

static char *
discover (const char  *input,
          GError     **error)
{
  g_autoptr(GAsyncResult) result = NULL;

  matrix_discover_homeserver_async (input, NULL, store_result, &result);
  wait_for_pointer ((gpointer *) &result, 5000);
  return matrix_discover_homeserver_finish (result, error);
}

static void
test_url (Fixture       *f,
          gconstpointer  data)
{
  g_autofree char *input = g_strconcat (fake_homeserver_get_url (f->server), "/", NULL);
  g_autofree char *url = NULL;
  g_autoptr(GError) error = NULL;

  fake_homeserver_queue_json (f->server, "GET", "/_matrix/client/versions", 200, VERSIONS, FALSE);
  url = discover (input, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (url, ==, fake_homeserver_get_url (f->server));
  /* A URL is not looked up in .well-known. */
  g_assert_cmpuint (fake_homeserver_get_requests (f->server)->len, ==, 1);
}

static void
test_well_known (Fixture       *f,
                 gconstpointer  data)
{
  g_autofree char *base = g_strconcat (fake_homeserver_get_url (f->server), "/hs/", NULL);
  g_autofree char *well_known = g_strdup_printf ("{\"m.homeserver\": {\"base_url\": \"%s\"}}", base);
  g_autofree char *expected = g_strconcat (fake_homeserver_get_url (f->server), "/hs", NULL);
  g_autofree char *url = NULL;
  g_autoptr(GError) error = NULL;
  GPtrArray *requests;

  fake_homeserver_queue_json (f->server, "GET", "/.well-known/matrix/client", 200, well_known, FALSE);
  fake_homeserver_queue_json (f->server, "GET", "/hs/_matrix/client/versions", 200, VERSIONS, FALSE);
  url = discover (f->server_name, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (url, ==, expected);

  requests = fake_homeserver_get_requests (f->server);
  g_assert_cmpuint (requests->len, ==, 2);
  g_assert_cmpstr (((FakeRequest *) g_ptr_array_index (requests, 0))->path, ==, "/.well-known/matrix/client");
}

static void
test_fallback (Fixture       *f,
               gconstpointer  data)
{
  g_autofree char *user_id = g_strconcat ("@alice:", f->server_name, NULL);
  g_autofree char *url = NULL;
  g_autoptr(GError) error = NULL;

  /* No .well-known: the server name itself. */
  fake_homeserver_queue_json (f->server, "GET", "/.well-known/matrix/client", 404,
                              "{\"errcode\": \"M_NOT_FOUND\", \"error\": \"none\"}", FALSE);
  fake_homeserver_queue_json (f->server, "GET", "/_matrix/client/versions", 200, VERSIONS, FALSE);
  url = discover (f->server_name, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (url, ==, fake_homeserver_get_url (f->server));
  g_clear_pointer (&url, g_free);

  /* A .well-known that is not JSON, asked for with a user id. */
  fake_homeserver_queue (f->server, "GET", "/.well-known/matrix/client", 200, "<html>", FALSE);
  fake_homeserver_queue_json (f->server, "GET", "/_matrix/client/versions", 200, VERSIONS, FALSE);
  url = discover (user_id, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (url, ==, fake_homeserver_get_url (f->server));
  g_assert_cmpuint (fake_homeserver_get_requests (f->server)->len, ==, 4);
}

static void
test_not_a_homeserver (Fixture       *f,
                       gconstpointer  data)
{
  g_autofree char *url = NULL;
  g_autoptr(GError) error = NULL;

  fake_homeserver_queue_json (f->server, "GET", "/.well-known/matrix/client", 404, "{}", FALSE);
  fake_homeserver_queue (f->server, "GET", "/_matrix/client/versions", 404, "Not here", FALSE);
  url = discover (f->server_name, &error);
  g_assert_null (url);
  g_assert_error (error, MATRIX_ERROR, MATRIX_ERROR_INVALID_RESPONSE);

  g_clear_error (&error);
  url = discover ("not a server/", &error);
  g_assert_null (url);
  g_assert_error (error, MATRIX_ERROR, MATRIX_ERROR_FAILED);
}

static void
test_unreachable (Fixture       *f,
                  gconstpointer  data)
{
  g_autoptr(GSocketListener) listener = g_socket_listener_new ();
  g_autofree char *url = NULL;
  g_autofree char *dead = NULL;
  g_autoptr(GError) error = NULL;
  guint16 port;

  /* A port that was free a moment ago: nothing answers there. The transport
   * error comes through as it is, not as "not a homeserver". */
  port = g_socket_listener_add_any_inet_port (listener, NULL, &error);
  g_assert_no_error (error);
  g_socket_listener_close (listener);
  dead = g_strdup_printf ("http://127.0.0.1:%u", port);

  url = discover (dead, &error);
  g_assert_null (url);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CONNECTION_REFUSED);
}

static void
test_cancelled (Fixture       *f,
                gconstpointer  data)
{
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *url = NULL;

  /* Cancelled during the check of the server itself: no fallback, no other result. */
  fake_homeserver_queue_json (f->server, "GET", "/.well-known/matrix/client", 404, "{}", FALSE);
  fake_homeserver_queue_held (f->server, "GET", "/_matrix/client/versions", 200,
                              "application/json", VERSIONS);
  matrix_discover_homeserver_async (f->server_name, cancellable, store_result, &result);
  fake_homeserver_wait_for_requests (f->server, 2, 5000);
  g_cancellable_cancel (cancellable);
  wait_for_pointer ((gpointer *) &result, 5000);
  url = matrix_discover_homeserver_finish (result, &error);
  g_assert_null (url);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add ("/matrix/discovery/url-used-as-is", Fixture, NULL, fixture_setup,
              test_url, fixture_teardown);
  g_test_add ("/matrix/discovery/well-known", Fixture, NULL, fixture_setup,
              test_well_known, fixture_teardown);
  g_test_add ("/matrix/discovery/fallback-to-server-name", Fixture, NULL, fixture_setup,
              test_fallback, fixture_teardown);
  g_test_add ("/matrix/discovery/not-a-homeserver", Fixture, NULL, fixture_setup,
              test_not_a_homeserver, fixture_teardown);
  g_test_add ("/matrix/discovery/unreachable", Fixture, NULL, fixture_setup, test_unreachable,
              fixture_teardown);
  g_test_add ("/matrix/discovery/cancelled", Fixture, NULL, fixture_setup,
              test_cancelled, fixture_teardown);

  return g_test_run ();
}
