/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "test-matrix-secret-prefetch"

#include <libsecret/secret.h>
#include <signal.h>

#include "test-utils.h"

/* matrix_secret_prefetch(): the access token looked up at startup, ahead of
 * the store, against a real GNOME keyring on a private session bus. Its own
 * program, since libsecret keeps one connection to the Secret Service per
 * process. */

#define USER_ID "@erin:x"
#define OTHER_USER_ID "@frank:x"
#define HOMESERVER "http://127.0.0.1:1"
#define TOKEN "syt_ZXJpbg_first_token"
#define NEW_TOKEN "syt_ZXJpbg_second_token"
#define SCHEMA "org.example.Test.Session"
#define OTHER_SCHEMA "org.example.Other.Session"

/* Not static: a variable nothing reads could be optimised away, and the bus
 * with it. */
GTestDBus *confab_test_bus_keeper;

static MatrixStore *
open_store (const char *dir,
            const char *user_id)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  MatrixStore *store;

  g_async_initable_new_async (MATRIX_TYPE_SQLITE_STORE, G_PRIORITY_DEFAULT, NULL,
                              store_result, &result,
                              "directory", dir,
                              "user-id", user_id,
                              "homeserver", HOMESERVER,
                              "secret-schema", SCHEMA,
                              "lazy", TRUE,
                              NULL);
  wait_for_pointer ((gpointer *) &result, 20000);
  store = matrix_sqlite_store_new_finish (result, &error);
  g_assert_no_error (error);
  return store;
}

/* Sets the token as a sign-in does, and waits until it is in the keyring. */
static void
save_token (MatrixStore *store,
            const char  *token)
{
  g_autoptr(GAsyncResult) result = NULL;

  matrix_store_set_value (store, MATRIX_STORE_KEY_ACCESS_TOKEN, token);
  matrix_sqlite_store_flush_async (MATRIX_SQLITE_STORE (store), NULL, store_result, &result);
  wait_for_pointer ((gpointer *) &result, 20000);
  g_assert_true (matrix_sqlite_store_flush_finish (MATRIX_SQLITE_STORE (store), result, NULL));
  g_assert_true (matrix_sqlite_store_get_secret_in_keyring (MATRIX_SQLITE_STORE (store)));
}

static void
test_prefetch (void)
{
  g_autoptr(GTestDBus) bus = g_test_dbus_new (G_TEST_DBUS_NONE);
  g_autoptr(GSubprocess) daemon = NULL;
  g_autofree char *dir = g_build_filename (g_get_user_data_dir (), "app", "store", NULL);
  g_autofree char *other_dir = g_build_filename (g_get_user_data_dir (), "app", "other", NULL);
  g_autoptr(MatrixStore) store = NULL;

  g_test_dbus_up (bus);
  daemon = test_keyring_start ();

  /* A saved session, its token in the keyring. */
  store = open_store (dir, USER_ID);
  save_token (store, TOKEN);
  g_assert_finalize_object (g_steal_pointer (&store));

  /* Looked up ahead, or while the store reads its database: the store gets
   * the token either way. */
  matrix_secret_prefetch (SCHEMA, USER_ID, HOMESERVER);
  store = open_store (dir, USER_ID);
  g_assert_cmpstr (matrix_store_get_value (store, MATRIX_STORE_KEY_ACCESS_TOKEN), ==, TOKEN);

  /* A token saved after the lookup started wins over what it found. */
  matrix_secret_prefetch (SCHEMA, USER_ID, HOMESERVER);
  save_token (store, NEW_TOKEN);
  g_assert_finalize_object (g_steal_pointer (&store));
  store = open_store (dir, USER_ID);
  g_assert_cmpstr (matrix_store_get_value (store, MATRIX_STORE_KEY_ACCESS_TOKEN), ==, NEW_TOKEN);
  g_assert_finalize_object (g_steal_pointer (&store));

  /* Another session's store is not given this one's token. */
  matrix_secret_prefetch (SCHEMA, USER_ID, HOMESERVER);
  store = open_store (other_dir, OTHER_USER_ID);
  g_assert_null (matrix_store_get_value (store, MATRIX_STORE_KEY_ACCESS_TOKEN));
  g_assert_finalize_object (g_steal_pointer (&store));

  /* Still there for the store it was for. */
  store = open_store (dir, USER_ID);
  g_assert_cmpstr (matrix_store_get_value (store, MATRIX_STORE_KEY_ACCESS_TOKEN), ==, NEW_TOKEN);
  g_assert_finalize_object (g_steal_pointer (&store));

  /* A lookup for another application (another schema) is not given to
   * this one's store, though user and homeserver match. */
  matrix_secret_prefetch (OTHER_SCHEMA, USER_ID, HOMESERVER);
  store = open_store (dir, USER_ID);
  g_assert_cmpstr (matrix_store_get_value (store, MATRIX_STORE_KEY_ACCESS_TOKEN), ==, NEW_TOKEN);
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

  g_test_add_func ("/matrix/secret/prefetch", test_prefetch);

  return g_test_run ();
}
