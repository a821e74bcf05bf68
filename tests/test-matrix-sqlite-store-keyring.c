/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "test-matrix-sqlite-store-keyring"

#include <glib/gstdio.h>
#include <libsecret/secret.h>
#include <signal.h>
#include <stdlib.h>

#include "test-utils.h"

/* The access token in a real GNOME keyring: a private session bus, and a
 * gnome-keyring-daemon on it whose login keyring lives in the test's own
 * temporary HOME. Its own program, since libsecret keeps one connection to
 * the Secret Service per process. */

/* The application names the schema; the store files tokens under it. */
#define SECRET_SCHEMA_NAME "org.example.Test.Session"

static const SecretSchema schema = {
  SECRET_SCHEMA_NAME, SECRET_SCHEMA_NONE,
  {
    { "user-id", SECRET_SCHEMA_ATTRIBUTE_STRING },
    { "homeserver", SECRET_SCHEMA_ATTRIBUTE_STRING },
    { NULL, 0 },
  },
};

#define USER_ID "@dave:x"
#define HOMESERVER "http://127.0.0.1:1"
#define TOKEN "syt_ZGF2ZQ_keyring_token_not_on_disk"

/* Not static: a variable nothing reads could be optimised away, and the bus
 * with it. */
GTestDBus *confab_test_bus_keeper;

static MatrixStore *
open_store (const char *dir)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  MatrixStore *store;

  g_async_initable_new_async (MATRIX_TYPE_SQLITE_STORE, G_PRIORITY_DEFAULT, NULL,
                              store_result, &result,
                              "directory", dir,
                              "secret-schema", SECRET_SCHEMA_NAME,
                              NULL);
  wait_for_pointer ((gpointer *) &result, 20000);
  store = matrix_sqlite_store_new_finish (result, &error);
  g_assert_no_error (error);
  return store;
}

/* Opened as the app opens it: not waiting for the keyring. */
static MatrixStore *
open_store_token_later (const char *dir)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  MatrixStore *store;

  g_async_initable_new_async (MATRIX_TYPE_SQLITE_STORE, G_PRIORITY_DEFAULT, NULL,
                              store_result, &result,
                              "directory", dir,
                              "secret-schema", SECRET_SCHEMA_NAME,
                              "user-id", USER_ID,
                              "homeserver", HOMESERVER,
                              "lazy", TRUE,
                              "token-later", TRUE,
                              NULL);
  /* Far less than a frozen keyring's D-Bus timeout (25 s). */
  wait_for_pointer ((gpointer *) &result, 5000);
  store = matrix_sqlite_store_new_finish (result, &error);
  g_assert_no_error (error);
  return store;
}

static void
wait_for_token (MatrixStore *store)
{
  g_autoptr(GAsyncResult) result = NULL;

  matrix_sqlite_store_wait_for_token_async (MATRIX_SQLITE_STORE (store), NULL, store_result, &result);
  wait_for_pointer ((gpointer *) &result, 30000);
  g_assert_true (matrix_sqlite_store_wait_for_token_finish (MATRIX_SQLITE_STORE (store), result, NULL));
  g_assert_false (matrix_sqlite_store_get_token_pending (MATRIX_SQLITE_STORE (store)));
}

static void
count_notify (GObject    *object,
              GParamSpec *pspec,
              guint      *count)
{
  (*count)++;
}

static void
flush (MatrixStore *store)
{
  g_autoptr(GAsyncResult) result = NULL;

  matrix_sqlite_store_flush_async (MATRIX_SQLITE_STORE (store), NULL, store_result, &result);
  wait_for_pointer ((gpointer *) &result, 20000);
  g_assert_true (matrix_sqlite_store_flush_finish (MATRIX_SQLITE_STORE (store), result, NULL));
}

static void
commit (MatrixStore *store,
        const char  *next_batch)
{
  g_autoptr(GAsyncResult) result = NULL;

  matrix_store_commit_async (store, next_batch, NULL, store_result, &result);
  wait_for_pointer ((gpointer *) &result, 20000);
  g_assert_true (matrix_store_commit_finish (store, result, NULL));
}

static char *
keyring_lookup (void)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  char *secret;
  char *copy;

  secret_password_lookup (&schema, NULL, store_result, &result,
                          "user-id", USER_ID, "homeserver", HOMESERVER, NULL);
  wait_for_pointer ((gpointer *) &result, 20000);
  secret = secret_password_lookup_finish (result, &error);
  g_assert_no_error (error);
  copy = g_strdup (secret);
  secret_password_free (secret);
  return copy;
}

static gboolean
file_contains (const char *path,
               const char *needle)
{
  g_autofree char *contents = NULL;
  gsize length = 0;
  gsize needle_length = strlen (needle);

  if (!g_file_get_contents (path, &contents, &length, NULL))
    return FALSE;
  for (gsize i = 0; i + needle_length <= length; i++)
    if (memcmp (contents + i, needle, needle_length) == 0)
      return TRUE;
  return FALSE;
}

static void
test_keyring (void)
{
  g_autoptr(GTestDBus) bus = g_test_dbus_new (G_TEST_DBUS_NONE);
  g_autoptr(GSubprocess) daemon = NULL;
  g_autofree char *dir = g_build_filename (g_get_user_data_dir (), "app", "store", NULL);
  g_autofree char *secret_path = g_build_filename (dir, "session-token", NULL);
  g_autofree char *db_path = g_build_filename (dir, "matrix.db", NULL);
  g_autofree char *wal_path = g_build_filename (dir, "matrix.db-wal", NULL);
  g_autofree char *stored = NULL;
  g_autoptr(MatrixStore) store = NULL;

  g_test_dbus_up (bus);
  daemon = test_keyring_start ();

  /* A session saved while there was no keyring: its token in the file. */
  store = open_store (dir);
  matrix_store_set_value (store, MATRIX_STORE_KEY_HOMESERVER, HOMESERVER);
  matrix_store_set_value (store, MATRIX_STORE_KEY_USER_ID, USER_ID);
  commit (store, "token0");
  flush (store);
  g_assert_finalize_object (g_steal_pointer (&store));
  g_assert_true (g_file_set_contents (secret_path, "an-old-token", -1, NULL));

  /* With a keyring the token moves there, and the file goes. */
  store = open_store (dir);
  g_assert_cmpstr (matrix_store_get_value (store, MATRIX_STORE_KEY_ACCESS_TOKEN), ==,
                   "an-old-token");
  flush (store);
  stored = keyring_lookup ();
  g_assert_cmpstr (stored, ==, "an-old-token");
  g_clear_pointer (&stored, g_free);
  g_assert_false (g_file_test (secret_path, G_FILE_TEST_EXISTS));

  /* A new token, as a login sets it. */
  matrix_store_set_value (store, MATRIX_STORE_KEY_ACCESS_TOKEN, TOKEN);
  commit (store, "token1");
  flush (store);
  g_assert_true (matrix_sqlite_store_get_secret_in_keyring (MATRIX_SQLITE_STORE (store)));

  stored = keyring_lookup ();
  g_assert_cmpstr (stored, ==, TOKEN);
  g_assert_false (g_file_test (secret_path, G_FILE_TEST_EXISTS));
  g_assert_false (file_contains (db_path, TOKEN));
  g_assert_false (file_contains (wal_path, TOKEN));
  g_assert_finalize_object (g_steal_pointer (&store));

  /* A restart that does not wait for the keyring opens while the keyring
   * does not answer; the token follows once it does. */
  {
    pid_t pid = atoi (g_subprocess_get_identifier (daemon));
    g_autoptr(GCancellable) cancellable = g_cancellable_new ();
    g_autoptr(GAsyncResult) cancelled = NULL;
    g_autoptr(GError) error = NULL;
    guint notified = 0;

    g_assert_cmpint (kill (pid, SIGSTOP), ==, 0);
    store = open_store_token_later (dir);
    g_assert_true (matrix_sqlite_store_get_token_pending (MATRIX_SQLITE_STORE (store)));
    g_assert_null (matrix_store_get_value (store, MATRIX_STORE_KEY_ACCESS_TOKEN));
    g_assert_cmpstr (matrix_store_get_sync_token (store), ==, "token1");
    g_signal_connect (store, "notify::token-pending", G_CALLBACK (count_notify), &notified);

    /* A waiter that gives up. */
    matrix_sqlite_store_wait_for_token_async (MATRIX_SQLITE_STORE (store), cancellable, store_result,
                                              &cancelled);
    g_cancellable_cancel (cancellable);
    wait_for_pointer ((gpointer *) &cancelled, 5000);
    g_assert_false (matrix_sqlite_store_wait_for_token_finish (MATRIX_SQLITE_STORE (store), cancelled,
                                                               &error));
    g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
    g_clear_object (&cancelled);

    g_assert_cmpint (kill (pid, SIGCONT), ==, 0);
    wait_for_token (store);
    g_assert_cmpuint (notified, ==, 1);
    g_assert_cmpstr (matrix_store_get_value (store, MATRIX_STORE_KEY_ACCESS_TOKEN), ==, TOKEN);
    g_assert_true (matrix_sqlite_store_get_secret_in_keyring (MATRIX_SQLITE_STORE (store)));
    g_assert_finalize_object (g_steal_pointer (&store));

    /* A token set meanwhile (a new sign-in) is the one that holds. */
    g_assert_cmpint (kill (pid, SIGSTOP), ==, 0);
    store = open_store_token_later (dir);
    matrix_store_set_value (store, MATRIX_STORE_KEY_ACCESS_TOKEN, "newer");
    g_assert_cmpint (kill (pid, SIGCONT), ==, 0);
    wait_for_token (store);
    g_assert_cmpstr (matrix_store_get_value (store, MATRIX_STORE_KEY_ACCESS_TOKEN), ==, "newer");
    matrix_store_set_value (store, MATRIX_STORE_KEY_ACCESS_TOKEN, TOKEN);
    flush (store);
    g_assert_finalize_object (g_steal_pointer (&store));

    /* A store closed before the keyring answers is not kept open for it. */
    g_assert_cmpint (kill (pid, SIGSTOP), ==, 0);
    store = open_store_token_later (dir);
    g_assert_finalize_object (g_steal_pointer (&store));
    g_assert_cmpint (kill (pid, SIGCONT), ==, 0);
  }

  /* A restart finds it again. */
  store = open_store (dir);
  g_assert_cmpstr (matrix_store_get_value (store, MATRIX_STORE_KEY_ACCESS_TOKEN), ==, TOKEN);
  g_assert_true (matrix_sqlite_store_get_secret_in_keyring (MATRIX_SQLITE_STORE (store)));

  /* Logging out takes it out of the keyring. */
  matrix_store_set_value (store, MATRIX_STORE_KEY_ACCESS_TOKEN, NULL);
  flush (store);
  g_clear_pointer (&stored, g_free);
  stored = keyring_lookup ();
  g_assert_null (stored);
  g_assert_finalize_object (g_steal_pointer (&store));

  secret_service_disconnect ();
  g_subprocess_send_signal (daemon, SIGTERM);
  g_subprocess_wait (daemon, NULL, NULL);
  /* libsecret 0.20 keeps its default backend, and with it the connection,
   * for the life of the process: stop the bus without waiting for the
   * connection to go, and keep the GTestDBus, whose finalize would wait. */
  g_test_dbus_stop (bus);
  confab_test_bus_keeper = g_steal_pointer (&bus);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);

  g_test_add_func ("/matrix/sqlite-store/secret/keyring", test_keyring);

  return g_test_run ();
}
