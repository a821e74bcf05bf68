/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "test-matrix-tls"

/* A homeserver with a certificate we cannot verify is never talked to. */

#include "test-utils.h"

static void
on_done (GObject      *source,
         GAsyncResult *result,
         gpointer      user_data)
{
  *(GAsyncResult **) user_data = g_object_ref (result);
}

static void
count_request (SoupServer        *server,
               SoupServerMessage *msg,
               const char        *path,
               GHashTable        *query,
               gpointer           user_data)
{
  (*(guint *) user_data)++;
  soup_server_message_set_status (msg, 200, NULL);
}

static void
test_tls_errors_fatal (void)
{
  g_autofree char *cert_path = g_test_build_filename (G_TEST_DIST, "tls-test-cert.pem", NULL);
  g_autofree char *key_path = g_test_build_filename (G_TEST_DIST, "tls-test-key.pem", NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(GTlsCertificate) certificate = g_tls_certificate_new_from_files (cert_path, key_path, &error);
  g_autoptr(SoupServer) server = NULL;
  g_autoptr(MatrixStore) store = matrix_memory_store_new ();
  g_autoptr(MatrixClient) client = NULL;
  g_autoptr(GAsyncResult) result = NULL;
  g_autoslist(GUri) uris = NULL;
  g_autofree char *url = NULL;
  guint requests = 0;

  g_assert_no_error (error);
  server = soup_server_new ("tls-certificate", certificate, NULL);
  soup_server_add_handler (server, NULL, count_request, &requests, NULL);
  g_assert_true (soup_server_listen_local (server, 0,
                                           SOUP_SERVER_LISTEN_IPV4_ONLY | SOUP_SERVER_LISTEN_HTTPS,
                                           &error));
  g_assert_no_error (error);
  uris = soup_server_get_uris (server);
  url = g_strdup_printf ("https://127.0.0.1:%d", g_uri_get_port (uris->data));

  client = matrix_client_new (url, store);
  matrix_client_login_async (client, "a", "password", NULL, on_done, &result);
  wait_for_pointer ((gpointer *) &result, 10000);

  /* A self-signed certificate is refused: no silent accept-certificate. */
  g_assert_false (matrix_client_login_finish (client, result, &error));
  g_assert_nonnull (error);
  g_test_message ("TLS error: %s", error->message);
  g_assert_true (error->domain == G_TLS_ERROR);
  g_assert_false (matrix_client_is_logged_in (client));
  g_assert_cmpuint (requests, ==, 0);

  soup_server_disconnect (server);
}

int
main (int   argc,
      char *argv[])
{
  g_setenv ("GIO_USE_PROXY_RESOLVER", "dummy", TRUE);
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/matrix/tls/certificate-errors-fatal", test_tls_errors_fatal);

  return g_test_run ();
}
