/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "test-confab-session-names"

#include <libsecret/secret.h>
#include <signal.h>

#include "confab-session.h"
#include "test-utils.h"

/* The library names no application: Confab passes its names in. They are
 * the names every Confab so far used, spelt out here, so that a session
 * saved by an older Confab is found: the store's folder and database file,
 * and the keyring schema of the access token (a real GNOME keyring on a
 * private bus; its own program, as libsecret keeps one connection per
 * process). */

#define USER_ID "@erin:example.org"
#define HOMESERVER "https://example.org"
#define TOKEN "syt_ZXJpbg_token_of_an_older_confab"

/* Not static: a variable nothing reads could be optimised away, and the bus
 * with it. */
GTestDBus *confab_test_bus_keeper;

static const SecretSchema older_confab_schema = {
  "io.github.confab.Confab.Session", SECRET_SCHEMA_NONE,
  {
    { "user-id", SECRET_SCHEMA_ATTRIBUTE_STRING },
    { "homeserver", SECRET_SCHEMA_ATTRIBUTE_STRING },
    { NULL, 0 },
  },
};

static MatrixStore *
open_account_store (void)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  MatrixStore *store;

  confab_session_open_store_async (USER_ID, HOMESERVER, NULL, store_result, &result);
  wait_for_pointer ((gpointer *) &result, 20000);
  store = confab_session_open_store_finish (result, &error);
  g_assert_no_error (error);
  return store;
}

static void
test_names_of_older_confab (void)
{
  g_autoptr(GTestDBus) bus = g_test_dbus_new (G_TEST_DBUS_NONE);
  g_autoptr(GSubprocess) daemon = NULL;
  g_autoptr(MatrixStore) store = NULL;
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(MatrixClient) client = NULL;
  g_autofree char *dir = g_build_filename (g_get_user_data_dir (), "confab", USER_ID, NULL);
  g_autofree char *database = g_build_filename (dir, "confab.db", NULL);
  g_autofree char *store_dir = confab_session_get_store_dir (USER_ID);

  g_test_dbus_up (bus);
  daemon = test_keyring_start ();

  /* What an older Confab left: its token in the keyring under its schema. */
  secret_password_store (&older_confab_schema, SECRET_COLLECTION_DEFAULT, "Confab session", TOKEN,
                         NULL, store_result, &result,
                         "user-id", USER_ID, "homeserver", HOMESERVER, NULL);
  wait_for_pointer ((gpointer *) &result, 20000);
  g_assert_true (secret_password_store_finish (result, &error));
  g_assert_no_error (error);

  /* This Confab opens the account's store where that one kept it, and the
   * token is found. */
  g_assert_cmpstr (store_dir, ==, dir);
  store = open_account_store ();
  g_assert_cmpstr (matrix_sqlite_store_get_database_path (MATRIX_SQLITE_STORE (store)), ==, database);
  g_assert_true (g_file_test (database, G_FILE_TEST_IS_REGULAR));
  /* The app's store is open before the keyring answers; the token follows. */
  g_clear_object (&result);
  matrix_sqlite_store_wait_for_token_async (MATRIX_SQLITE_STORE (store), NULL, store_result, &result);
  wait_for_pointer ((gpointer *) &result, 20000);
  g_assert_true (matrix_sqlite_store_wait_for_token_finish (MATRIX_SQLITE_STORE (store), result, &error));
  g_assert_no_error (error);
  g_clear_object (&result);
  g_assert_cmpstr (matrix_store_get_value (store, MATRIX_STORE_KEY_ACCESS_TOKEN), ==, TOKEN);
  g_assert_true (matrix_sqlite_store_get_secret_in_keyring (MATRIX_SQLITE_STORE (store)));

  /* Its clients say they are Confab. */
  client = confab_session_new_client (HOMESERVER, store);
  g_assert_true (g_str_has_prefix (matrix_client_get_user_agent (client), "Confab/"));
  g_assert_cmpstr (matrix_client_get_device_display_name (client), ==, "Confab");

  g_assert_finalize_object (g_steal_pointer (&client));
  g_assert_finalize_object (g_steal_pointer (&store));
  secret_service_disconnect ();
  g_subprocess_send_signal (daemon, SIGTERM);
  g_subprocess_wait (daemon, NULL, NULL);
  /* As in test-matrix-sqlite-store-keyring.c: libsecret keeps its
   * connection for the life of the process. */
  g_test_dbus_stop (bus);
  confab_test_bus_keeper = g_steal_pointer (&bus);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);

  g_test_add_func ("/confab/names/older-sessions-found", test_names_of_older_confab);

  return g_test_run ();
}
