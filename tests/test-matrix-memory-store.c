/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "test-matrix-memory-store"

#include <glib/gstdio.h>
#include <sys/stat.h>

#include "test-utils.h"

/* MatrixMemoryStore with a session file: what a bot keeps between runs. */

typedef struct {
  char *dir;
  char *path;
} Fixture;

static void
fixture_set_up (Fixture       *fixture,
                gconstpointer  data)
{
  g_autoptr(GError) error = NULL;

  fixture->dir = g_dir_make_tmp ("matrix-memory-store-XXXXXX", &error);
  g_assert_no_error (error);
  fixture->path = g_build_filename (fixture->dir, "bot", "session.json", NULL);
}

static void
fixture_tear_down (Fixture       *fixture,
                   gconstpointer  data)
{
  g_autofree char *bot_dir = g_path_get_dirname (fixture->path);

  g_remove (fixture->path);
  g_rmdir (bot_dir);
  g_assert_cmpint (g_rmdir (fixture->dir), ==, 0);
  g_free (fixture->path);
  g_free (fixture->dir);
}

static MatrixStore *
open_file_store (const char *path)
{
  g_autoptr(GError) error = NULL;
  MatrixStore *store = matrix_memory_store_new_for_file (path, &error);

  g_assert_no_error (error);
  g_assert_true (MATRIX_IS_MEMORY_STORE (store));
  return store;
}

static gboolean
commit (MatrixStore  *store,
        const char   *next_batch,
        GError      **error)
{
  g_autoptr(GAsyncResult) result = NULL;

  matrix_store_commit_async (store, next_batch, NULL, store_result, &result);
  wait_for_pointer ((gpointer *) &result, 5000);
  return matrix_store_commit_finish (store, result, error);
}

static void
save (MatrixStore *store)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;

  matrix_memory_store_save_async (MATRIX_MEMORY_STORE (store), NULL, store_result, &result);
  wait_for_pointer ((gpointer *) &result, 5000);
  g_assert_true (matrix_memory_store_save_finish (MATRIX_MEMORY_STORE (store), result, &error));
  g_assert_no_error (error);
}

static JsonObject *
read_file (const char *path)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GError) error = NULL;

  json_parser_load_from_file (parser, path, &error);
  g_assert_no_error (error);
  g_assert_true (JSON_NODE_HOLDS_OBJECT (json_parser_get_root (parser)));
  return json_object_ref (json_node_get_object (json_parser_get_root (parser)));
}

static void
test_missing_is_empty (Fixture       *fixture,
                       gconstpointer  data)
{
  g_autoptr(MatrixStore) store = open_file_store (fixture->path);
  g_autofree char *bot_dir = g_path_get_dirname (fixture->path);
  GStatBuf st;

  g_assert_null (matrix_store_get_value (store, MATRIX_STORE_KEY_USER_ID));
  g_assert_null (matrix_store_get_sync_token (store));
  g_assert_false (g_file_test (fixture->path, G_FILE_TEST_EXISTS));
  /* Its folder is there for the first write, and only for the user. */
  g_assert_cmpint (g_stat (bot_dir, &st), ==, 0);
  g_assert_cmpint (st.st_mode & 0777, ==, 0700);
}

static void
test_save_then_commit_restored (Fixture       *fixture,
                                gconstpointer  data)
{
  g_autoptr(MatrixStore) store = open_file_store (fixture->path);
  g_autoptr(JsonObject) saved = NULL;
  g_autoptr(GError) error = NULL;
  GStatBuf st;

  /* As after a login: the session, and no sync yet. */
  matrix_store_set_value (store, MATRIX_STORE_KEY_HOMESERVER, "https://example.org");
  matrix_store_set_value (store, MATRIX_STORE_KEY_USER_ID, "@bot:example.org");
  matrix_store_set_value (store, MATRIX_STORE_KEY_DEVICE_ID, "BOTDEVICE");
  matrix_store_set_value (store, MATRIX_STORE_KEY_ACCESS_TOKEN, "syt_Ym90_secret");
  save (store);

  g_assert_cmpint (g_stat (fixture->path, &st), ==, 0);
  g_assert_cmpint (st.st_mode & 0777, ==, 0600);
  saved = read_file (fixture->path);
  g_assert_cmpstr (json_object_get_string_member (saved, MATRIX_STORE_KEY_ACCESS_TOKEN), ==,
                   "syt_Ym90_secret");
  g_assert_false (json_object_has_member (saved, MATRIX_STORE_KEY_SYNC_TOKEN));
  g_clear_pointer (&saved, json_object_unref);

  /* A sync handled: the token is in the file once the commit completes. */
  g_assert_true (commit (store, "s1", &error));
  g_assert_no_error (error);
  g_assert_cmpstr (matrix_store_get_sync_token (store), ==, "s1");
  saved = read_file (fixture->path);
  g_assert_cmpstr (json_object_get_string_member (saved, MATRIX_STORE_KEY_SYNC_TOKEN), ==, "s1");
  g_assert_finalize_object (g_steal_pointer (&store));

  /* The next run carries on from there. */
  store = open_file_store (fixture->path);
  g_assert_cmpstr (matrix_store_get_value (store, MATRIX_STORE_KEY_HOMESERVER), ==,
                   "https://example.org");
  g_assert_cmpstr (matrix_store_get_value (store, MATRIX_STORE_KEY_USER_ID), ==, "@bot:example.org");
  g_assert_cmpstr (matrix_store_get_value (store, MATRIX_STORE_KEY_DEVICE_ID), ==, "BOTDEVICE");
  g_assert_cmpstr (matrix_store_get_value (store, MATRIX_STORE_KEY_ACCESS_TOKEN), ==,
                   "syt_Ym90_secret");
  g_assert_cmpstr (matrix_store_get_sync_token (store), ==, "s1");
}

/* Commits queued back to back reach the file in order: the last one wins. */
static void
test_commits_in_order (Fixture       *fixture,
                       gconstpointer  data)
{
  g_autoptr(MatrixStore) store = open_file_store (fixture->path);
  g_autoptr(GAsyncResult) first = NULL;
  g_autoptr(GAsyncResult) second = NULL;
  g_autoptr(JsonObject) saved = NULL;

  matrix_store_commit_async (store, "s1", NULL, store_result, &first);
  matrix_store_commit_async (store, "s2", NULL, store_result, &second);
  g_assert_null (matrix_store_get_sync_token (store));
  wait_for_pointer ((gpointer *) &first, 5000);
  g_assert_true (matrix_store_commit_finish (store, first, NULL));
  g_assert_cmpstr (matrix_store_get_sync_token (store), ==, "s1");
  wait_for_pointer ((gpointer *) &second, 5000);
  g_assert_true (matrix_store_commit_finish (store, second, NULL));
  g_assert_cmpstr (matrix_store_get_sync_token (store), ==, "s2");

  saved = read_file (fixture->path);
  g_assert_cmpstr (json_object_get_string_member (saved, MATRIX_STORE_KEY_SYNC_TOKEN), ==, "s2");
}

/* A commit the file could not take does not move the token: the response
 * is fetched again rather than lost. */
static void
test_failed_write_keeps_token (Fixture       *fixture,
                               gconstpointer  data)
{
  g_autoptr(MatrixStore) store = open_file_store (fixture->path);
  g_autoptr(GError) error = NULL;

  g_assert_true (commit (store, "s1", NULL));
  /* Where the file was, a folder now: it cannot be replaced. */
  g_assert_cmpint (g_remove (fixture->path), ==, 0);
  g_assert_cmpint (g_mkdir (fixture->path, 0700), ==, 0);

  g_assert_false (commit (store, "s2", &error));
  g_assert_nonnull (error);
  g_assert_cmpstr (matrix_store_get_sync_token (store), ==, "s1");
  g_assert_cmpint (g_rmdir (fixture->path), ==, 0);
}

static void
test_not_a_session_refused (Fixture       *fixture,
                            gconstpointer  data)
{
  g_autofree char *bot_dir = g_path_get_dirname (fixture->path);
  g_autoptr(GError) error = NULL;
  MatrixStore *store;

  g_assert_cmpint (g_mkdir (bot_dir, 0700), ==, 0);
  g_assert_true (g_file_set_contents (fixture->path, "[\"not\", \"a\", \"session\"]", -1, NULL));
  store = matrix_memory_store_new_for_file (fixture->path, &error);
  g_assert_null (store);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA);
  g_clear_error (&error);

  g_assert_true (g_file_set_contents (fixture->path, "{ broken", -1, NULL));
  store = matrix_memory_store_new_for_file (fixture->path, &error);
  g_assert_null (store);
  g_assert_nonnull (error);
}

/* Without a file, a commit moves the token and writes nothing. */
static void
test_no_file (void)
{
  g_autoptr(MatrixStore) store = matrix_memory_store_new ();

  g_assert_null (matrix_memory_store_get_file (MATRIX_MEMORY_STORE (store)));
  g_assert_true (commit (store, "s1", NULL));
  g_assert_cmpstr (matrix_store_get_sync_token (store), ==, "s1");
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

#define ADD(path, func) \
  g_test_add (path, Fixture, NULL, fixture_set_up, func, fixture_tear_down)

  ADD ("/matrix/memory-store/file/missing-is-empty", test_missing_is_empty);
  ADD ("/matrix/memory-store/file/save-then-commit-restored", test_save_then_commit_restored);
  ADD ("/matrix/memory-store/file/commits-in-order", test_commits_in_order);
  ADD ("/matrix/memory-store/file/failed-write-keeps-token", test_failed_write_keeps_token);
  ADD ("/matrix/memory-store/file/not-a-session-refused", test_not_a_session_refused);
  g_test_add_func ("/matrix/memory-store/no-file/commit-moves-token", test_no_file);

  return g_test_run ();
}
