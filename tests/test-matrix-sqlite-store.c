/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "test-matrix-sqlite-store"

#include <glib/gstdio.h>
#include <libsecret/secret.h>
#include <sqlite3.h>
#include <sys/stat.h>

#include "test-utils.h"

#define SYNC "/_matrix/client/v3/sync"

/* The real SQLite store in a fresh temporary directory per test; the session
 * bus is a private one without a Secret Service, so the access token takes
 * the fallback file. */

typedef struct {
  char *dir;
} Fixture;

static void
fixture_set_up (Fixture       *fixture,
                gconstpointer  data)
{
  fixture->dir = g_dir_make_tmp ("confab-store-XXXXXX", NULL);
  g_assert_nonnull (fixture->dir);
}

static void
remove_tree (const char *path)
{
  g_autoptr(GDir) dir = g_dir_open (path, 0, NULL);
  const char *name;

  while (dir != NULL && (name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *child = g_build_filename (path, name, NULL);

      if (g_file_test (child, G_FILE_TEST_IS_DIR))
        remove_tree (child);
      else
        g_unlink (child);
    }
  g_rmdir (path);
}

static void
fixture_tear_down (Fixture       *fixture,
                   gconstpointer  data)
{
  remove_tree (fixture->dir);
  g_free (fixture->dir);
}

static MatrixStore *
open_store_full (const char  *dir,
                 guint        timeline_limit,
                 GError     **error)
{
  g_autoptr(GAsyncResult) result = NULL;

  matrix_sqlite_store_new_async (dir, timeline_limit, NULL, store_result, &result);
  wait_for_pointer ((gpointer *) &result, 10000);
  return matrix_sqlite_store_new_finish (result, error);
}

/* A store whose application names a keyring schema and a database file. */
static MatrixStore *
open_named_store (const char *dir,
                  const char *database_name,
                  const char *secret_schema)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  MatrixStore *store;

  g_async_initable_new_async (MATRIX_TYPE_SQLITE_STORE, G_PRIORITY_DEFAULT, NULL,
                              store_result, &result,
                              "directory", dir,
                              "database-name", database_name,
                              "secret-schema", secret_schema,
                              NULL);
  wait_for_pointer ((gpointer *) &result, 10000);
  store = matrix_sqlite_store_new_finish (result, &error);
  g_assert_no_error (error);
  g_assert_true (MATRIX_IS_SQLITE_STORE (store));
  return store;
}

static MatrixStore *
open_store (const char *dir)
{
  g_autoptr(GError) error = NULL;
  MatrixStore *store = open_store_full (dir, 0, &error);

  g_assert_no_error (error);
  g_assert_true (MATRIX_IS_SQLITE_STORE (store));
  return store;
}

static void
commit (MatrixStore *store,
        const char  *next_batch)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;

  matrix_store_commit_async (store, next_batch, NULL, store_result, &result);
  wait_for_pointer ((gpointer *) &result, 10000);
  g_assert_true (matrix_store_commit_finish (store, result, &error));
  g_assert_no_error (error);
}

static void
flush (MatrixStore *store)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;

  matrix_sqlite_store_flush_async (MATRIX_SQLITE_STORE (store), NULL, store_result, &result);
  wait_for_pointer ((gpointer *) &result, 10000);
  g_assert_true (matrix_sqlite_store_flush_finish (MATRIX_SQLITE_STORE (store), result, &error));
  g_assert_no_error (error);
}



/* Waits for the token to be saved and for the commits in flight, then drops
 * the store and checks that nothing else kept it alive, so its writer has
 * closed the database. */
static void
close_store (MatrixStore **store)
{
  flush (*store);
  g_assert_finalize_object (g_steal_pointer (store));
}

static MatrixEvent *
event_new (const char *room_id,
           const char *json)
{
  g_autoptr(GPtrArray) events = NULL;
  g_autofree char *array = g_strdup_printf ("[%s]", json);

  events = events_from_json (room_id, array);
  return g_object_ref (g_ptr_array_index (events, 0));
}

static MatrixEvent *
message_new (const char *room_id,
             guint       n)
{
  g_autofree char *json = g_strdup_printf (
    "{\"type\": \"m.room.message\", \"sender\": \"@alice:example.org\","
    " \"content\": {\"msgtype\": \"m.text\", \"body\": \"message %u\"},"
    " \"event_id\": \"$m%u\", \"origin_server_ts\": %u}", n, n, 1000 + n);

  return event_new (room_id, json);
}

static GPtrArray *
messages_new (const char *room_id,
              guint       first,
              guint       last)
{
  GPtrArray *events = g_ptr_array_new_with_free_func (g_object_unref);

  for (guint n = first; n <= last; n++)
    g_ptr_array_add (events, message_new (room_id, n));
  return events;
}

static guint
count_timeline (MatrixStore *store,
                const char  *room_id)
{
  g_autoptr(GPtrArray) events = matrix_store_get_timeline_events (store, room_id);

  return events->len;
}

static guint
count_rooms (MatrixStore *store)
{
  g_auto(GStrv) room_ids = matrix_store_get_room_ids (store);

  return g_strv_length (room_ids);
}

static char *
timeline_ids (MatrixStore *store,
              const char  *room_id)
{
  g_autoptr(GPtrArray) events = matrix_store_get_timeline_events (store, room_id);
  g_autoptr(GString) ids = g_string_new (NULL);

  for (guint i = 0; i < events->len; i++)
    g_string_append_printf (ids, "%s%s", i > 0 ? " " : "",
                            matrix_event_get_event_id (g_ptr_array_index (events, i)));
  return g_string_free (g_steal_pointer (&ids), FALSE);
}

/* --- reading the file itself, with a connection of the test's own -------- */

static sqlite3 *
open_db (const char *path)
{
  sqlite3 *db = NULL;

  g_assert_cmpint (sqlite3_open (path, &db), ==, SQLITE_OK);
  return db;
}

static char *
query_text (sqlite3    *db,
            const char *sql)
{
  sqlite3_stmt *stmt = NULL;
  char *text = NULL;

  g_assert_cmpint (sqlite3_prepare_v2 (db, sql, -1, &stmt, NULL), ==, SQLITE_OK);
  if (sqlite3_step (stmt) == SQLITE_ROW && sqlite3_column_type (stmt, 0) != SQLITE_NULL)
    text = g_strdup ((const char *) sqlite3_column_text (stmt, 0));
  sqlite3_finalize (stmt);
  return text;
}

/* The schema and every row, in a stable order: what a migration must produce. */
static char *
dump_db (const char *path)
{
  sqlite3 *db = open_db (path);
  g_autoptr(GString) dump = g_string_new (NULL);
  g_autoptr(GPtrArray) tables = g_ptr_array_new_with_free_func (g_free);
  g_autofree char *version = query_text (db, "PRAGMA user_version");
  sqlite3_stmt *stmt = NULL;

  g_string_append_printf (dump, "user_version %s\n", version);

  g_assert_cmpint (sqlite3_prepare_v2 (db, "SELECT type, name, sql, tbl_name FROM sqlite_master "
                                       "ORDER BY name", -1, &stmt, NULL), ==, SQLITE_OK);
  while (sqlite3_step (stmt) == SQLITE_ROW)
    {
      const char *type = (const char *) sqlite3_column_text (stmt, 0);

      g_string_append_printf (dump, "%s %s: %s\n", type, sqlite3_column_text (stmt, 1),
                              sqlite3_column_type (stmt, 2) != SQLITE_NULL
                                ? (const char *) sqlite3_column_text (stmt, 2) : "(auto)");
      if (g_str_equal (type, "table"))
        g_ptr_array_add (tables, g_strdup ((const char *) sqlite3_column_text (stmt, 1)));
    }
  sqlite3_finalize (stmt);

  for (guint t = 0; t < tables->len; t++)
    {
      g_autofree char *sql = g_strdup_printf ("SELECT * FROM \"%s\"",
                                              (char *) g_ptr_array_index (tables, t));
      g_autoptr(GString) order = g_string_new (" ORDER BY 1");

      g_assert_cmpint (sqlite3_prepare_v2 (db, sql, -1, &stmt, NULL), ==, SQLITE_OK);
      for (int c = 2; c <= sqlite3_column_count (stmt); c++)
        g_string_append_printf (order, ", %d", c);
      sqlite3_finalize (stmt);

      g_free (sql);
      sql = g_strdup_printf ("SELECT * FROM \"%s\"%s", (char *) g_ptr_array_index (tables, t),
                             order->str);
      g_assert_cmpint (sqlite3_prepare_v2 (db, sql, -1, &stmt, NULL), ==, SQLITE_OK);
      while (sqlite3_step (stmt) == SQLITE_ROW)
        {
          g_string_append_printf (dump, "%s:", (char *) g_ptr_array_index (tables, t));
          for (int c = 0; c < sqlite3_column_count (stmt); c++)
            g_string_append_printf (dump, " %s", sqlite3_column_type (stmt, c) == SQLITE_NULL
                                                   ? "NULL"
                                                   : (const char *) sqlite3_column_text (stmt, c));
          g_string_append_c (dump, '\n');
        }
      sqlite3_finalize (stmt);
    }

  sqlite3_close (db);
  return g_string_free (g_steal_pointer (&dump), FALSE);
}

static char *
database_path (const char *dir)
{
  return g_build_filename (dir, "matrix.db", NULL);
}

static void
load_fixture (const char *db_path,
              const char *fixture_name)
{
  g_autofree char *fixture = g_test_build_filename (G_TEST_DIST, "sqlite-store", fixture_name,
                                                    NULL);
  g_autofree char *sql = NULL;
  g_autoptr(GError) error = NULL;
  sqlite3 *db = open_db (db_path);
  char *message = NULL;

  g_file_get_contents (fixture, &sql, NULL, &error);
  g_assert_no_error (error);
  sqlite3_exec (db, sql, NULL, NULL, &message);
  g_assert_cmpstr (message, ==, NULL);
  sqlite3_close (db);
}

static char *
read_expected (const char *name)
{
  g_autofree char *path = g_test_build_filename (G_TEST_DIST, "sqlite-store", name, NULL);
  g_autoptr(GError) error = NULL;
  char *text = NULL;

  g_file_get_contents (path, &text, NULL, &error);
  g_assert_no_error (error);
  return text;
}

/* --- tests ---------------------------------------------------------------- */

static void
test_commit_reopen (Fixture       *fixture,
                    gconstpointer  data)
{
  g_autoptr(MatrixStore) store = open_store (fixture->dir);
  g_autoptr(MatrixEvent) name = event_new ("!a:x",
    "{\"type\": \"m.room.name\", \"state_key\": \"\", \"sender\": \"@alice:example.org\","
    " \"content\": {\"name\": \"Room A\"}, \"event_id\": \"$name\", \"origin_server_ts\": 5}");
  g_autoptr(GPtrArray) messages = messages_new ("!a:x", 1, 3);
  g_autoptr(GPtrArray) uncommitted = messages_new ("!a:x", 4, 4);
  g_autoptr(JsonObject) room_data = json_object_new ();
  g_autoptr(JsonObject) loaded_data = NULL;
  g_autoptr(MatrixStateEvent) loaded_name = NULL;
  g_autoptr(GPtrArray) loaded_timeline = NULL;
  g_auto(GStrv) room_ids = NULL;

  g_assert_null (matrix_store_get_sync_token (store));
  matrix_store_set_value (store, MATRIX_STORE_KEY_USER_ID, "@alice:example.org");
  matrix_store_set_value (store, MATRIX_STORE_KEY_HOMESERVER, "http://127.0.0.1:1");
  matrix_store_set_value (store, MATRIX_STORE_KEY_DEVICE_ID, "DEVICE");
  matrix_store_set_state_event (store, MATRIX_STATE_EVENT (name));
  matrix_store_add_timeline_events (store, "!a:x", messages);
  json_object_set_string_member (room_data, "membership", "join");
  json_object_set_int_member (room_data, "highlight_count", 2);
  matrix_store_set_room_data (store, "!a:x", room_data);
  commit (store, "token1");
  g_assert_cmpstr (matrix_store_get_sync_token (store), ==, "token1");

  /* Sync data written but not committed: a crash now loses it, with its
   * token. A session value is not sync data: it is kept at once. */
  matrix_store_set_value (store, MATRIX_STORE_KEY_DEVICE_ID, "OTHER");
  matrix_store_add_timeline_events (store, "!a:x", uncommitted);
  close_store (&store);

  store = open_store (fixture->dir);
  g_assert_cmpstr (matrix_store_get_sync_token (store), ==, "token1");
  g_assert_cmpstr (matrix_store_get_value (store, MATRIX_STORE_KEY_USER_ID), ==,
                   "@alice:example.org");
  g_assert_cmpstr (matrix_store_get_value (store, MATRIX_STORE_KEY_HOMESERVER), ==,
                   "http://127.0.0.1:1");
  g_assert_cmpstr (matrix_store_get_value (store, MATRIX_STORE_KEY_DEVICE_ID), ==, "OTHER");

  loaded_name = matrix_store_get_state_event (store, "!a:x", "m.room.name", "");
  g_assert_nonnull (loaded_name);
  g_assert_true (matrix_event_equal (MATRIX_EVENT (loaded_name), name));

  loaded_timeline = matrix_store_get_timeline_events (store, "!a:x");
  g_assert_cmpuint (loaded_timeline->len, ==, 3);
  for (guint i = 0; i < 3; i++)
    g_assert_true (matrix_event_equal (g_ptr_array_index (loaded_timeline, i),
                                       g_ptr_array_index (messages, i)));

  loaded_data = matrix_store_get_room_data (store, "!a:x");
  g_assert_nonnull (loaded_data);
  g_assert_cmpstr (json_object_get_string_member (loaded_data, "membership"), ==, "join");
  g_assert_cmpint (json_object_get_int_member (loaded_data, "highlight_count"), ==, 2);

  room_ids = matrix_store_get_room_ids (store);
  g_assert_cmpstrv (room_ids, ((const char * const[]) { "!a:x", NULL }));

  close_store (&store);
}

static void
test_commit_atomic (Fixture       *fixture,
                    gconstpointer  data)
{
  g_autoptr(MatrixStore) store = open_store (fixture->dir);
  g_autoptr(GPtrArray) messages = messages_new ("!a:x", 1, 2);
  g_autofree char *path = database_path (fixture->dir);
  sqlite3 *db;
  g_autofree char *token = NULL;
  g_autofree char *count = NULL;

  commit (store, "token1");
  matrix_store_add_timeline_events (store, "!a:x", messages);

  /* Before the commit the memory has the events at once, the file neither
   * them nor the token that covers them. */
  g_assert_cmpuint (count_timeline (store, "!a:x"), ==, 2);
  db = open_db (path);
  token = query_text (db, "SELECT next_batch FROM sync_token");
  count = query_text (db, "SELECT COUNT(*) FROM timeline_events");
  g_assert_cmpstr (token, ==, "token1");
  g_assert_cmpstr (count, ==, "0");
  g_clear_pointer (&token, g_free);
  g_clear_pointer (&count, g_free);

  commit (store, "token2");
  token = query_text (db, "SELECT next_batch FROM sync_token");
  count = query_text (db, "SELECT COUNT(*) FROM timeline_events");
  g_assert_cmpstr (token, ==, "token2");
  g_assert_cmpstr (count, ==, "2");
  sqlite3_close (db);

  close_store (&store);
}

static void
test_commit_failure_kept (Fixture       *fixture,
                          gconstpointer  data)
{
  g_autoptr(MatrixStore) store = open_store (fixture->dir);
  g_autoptr(GPtrArray) first = messages_new ("!a:x", 1, 2);
  g_autoptr(GPtrArray) retried = messages_new ("!a:x", 1, 3);
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *path = database_path (fixture->dir);
  g_autofree char *ids = NULL;
  sqlite3 *db;

  commit (store, "token1");

  /* Another writer holds the database: the commit fails after the busy
   * timeout, and the sync token stays where it was. */
  db = open_db (path);
  g_assert_cmpint (sqlite3_exec (db, "BEGIN IMMEDIATE", NULL, NULL, NULL), ==, SQLITE_OK);
  matrix_store_add_timeline_events (store, "!a:x", first);
  matrix_store_commit_async (store, "token2", NULL, store_result, &result);
  wait_for_pointer ((gpointer *) &result, 20000);
  g_assert_false (matrix_store_commit_finish (store, result, &error));
  g_assert_error (error, MATRIX_SQLITE_STORE_ERROR, MATRIX_SQLITE_STORE_ERROR_FAILED);
  g_assert_cmpstr (matrix_store_get_sync_token (store), ==, "token1");
  g_clear_object (&result);
  g_assert_cmpint (sqlite3_exec (db, "ROLLBACK", NULL, NULL, NULL), ==, SQLITE_OK);
  sqlite3_close (db);

  /* The client fetches the same response again: the memory already has its
   * events, and the failed commit's writes go with the next one. */
  matrix_store_add_timeline_events (store, "!a:x", retried);
  commit (store, "token2");
  close_store (&store);

  store = open_store (fixture->dir);
  g_assert_cmpstr (matrix_store_get_sync_token (store), ==, "token2");
  ids = timeline_ids (store, "!a:x");
  g_assert_cmpstr (ids, ==, "$m1 $m2 $m3");
  close_store (&store);
}

static void
test_timeline_dedup (Fixture       *fixture,
                     gconstpointer  data)
{
  g_autoptr(MatrixStore) store = open_store (fixture->dir);
  g_autoptr(GPtrArray) first = messages_new ("!a:x", 1, 3);
  g_autoptr(GPtrArray) overlap = messages_new ("!a:x", 2, 5);
  g_autofree char *ids = NULL;
  g_autofree char *path = database_path (fixture->dir);
  g_autofree char *count = NULL;
  sqlite3 *db;

  /* A retried sync and an overlapping batch: in one commit and across two. */
  matrix_store_add_timeline_events (store, "!a:x", first);
  matrix_store_add_timeline_events (store, "!a:x", first);
  commit (store, "token1");
  matrix_store_add_timeline_events (store, "!a:x", overlap);
  commit (store, "token2");

  ids = timeline_ids (store, "!a:x");
  g_assert_cmpstr (ids, ==, "$m1 $m2 $m3 $m4 $m5");
  close_store (&store);

  store = open_store (fixture->dir);
  g_clear_pointer (&ids, g_free);
  ids = timeline_ids (store, "!a:x");
  g_assert_cmpstr (ids, ==, "$m1 $m2 $m3 $m4 $m5");

  /* Even an event the memory no longer dedups is stored once in the file. */
  db = open_db (path);
  count = query_text (db, "SELECT COUNT(DISTINCT event_id) = COUNT(*) FROM timeline_events");
  g_assert_cmpstr (count, ==, "1");
  sqlite3_close (db);
  close_store (&store);
}

static MatrixStore *
open_lazy_store (const char *dir)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  MatrixStore *store;

  matrix_sqlite_store_new_lazy_async (dir, "@alice:x", "https://x", 0, NULL, store_result, &result);
  wait_for_pointer ((gpointer *) &result, 10000);
  store = matrix_sqlite_store_new_finish (result, &error);
  g_assert_no_error (error);
  return store;
}

static const char *
cached_body (MatrixStore *store,
             const char  *room_id,
             const char  *event_id)
{
  g_autoptr(GPtrArray) events = matrix_store_get_timeline_events (store, room_id);

  for (guint i = 0; i < events->len; i++)
    if (g_str_equal (matrix_event_get_event_id (g_ptr_array_index (events, i)), event_id))
      {
        const char *body = matrix_event_get_content_string (g_ptr_array_index (events, i), "body");

        return body != NULL ? g_intern_string (body) : "(none)";
      }
  return NULL;
}

static void
test_timeline_replace (Fixture       *fixture,
                       gconstpointer  data)
{
  g_autoptr(MatrixStore) store = open_store (fixture->dir);
  g_autoptr(GPtrArray) a = messages_new ("!a:x", 1, 3);
  g_autoptr(GPtrArray) b = messages_new ("!b:x", 4, 5);
  g_autoptr(MatrixEvent) m2 = NULL;
  g_autoptr(MatrixEvent) m5 = NULL;
  g_autoptr(GPtrArray) reopened = NULL;
  g_autofree char *ids = NULL;
#define REDACTED(id) \
  "{\"type\": \"m.room.message\", \"sender\": \"@alice:example.org\", \"content\": {}," \
  " \"event_id\": \"" id "\", \"origin_server_ts\": 1002," \
  " \"unsigned\": {\"redacted_because\": {\"type\": \"m.room.redaction\"}}}"
  const char *m2_json = REDACTED ("$m2");
  const char *m5_json = REDACTED ("$m5");

  matrix_store_add_timeline_events (store, "!a:x", a);
  matrix_store_add_timeline_events (store, "!b:x", b);
  commit (store, "token1");

  /* Replaced in place, in memory at once and on disk with the next commit;
   * an event the room does not have is no one's business. */
  m2 = event_new ("!a:x", m2_json);
  matrix_store_replace_timeline_event (store, "!a:x", m2);
  matrix_store_replace_timeline_event (store, "!b:x", m2);
  g_assert_cmpstr (cached_body (store, "!a:x", "$m2"), ==, "(none)");
  commit (store, "token2");
  ids = timeline_ids (store, "!a:x");
  g_assert_cmpstr (ids, ==, "$m1 $m2 $m3");
  close_store (&store);

  store = open_store (fixture->dir);
  g_assert_cmpstr (cached_body (store, "!a:x", "$m1"), ==, "message 1");
  g_assert_cmpstr (cached_body (store, "!a:x", "$m2"), ==, "(none)");
  reopened = matrix_store_get_timeline_events (store, "!a:x");
  g_assert_true (matrix_event_is_redacted (g_ptr_array_index (reopened, 1)));
  g_assert_null (cached_body (store, "!b:x", "$m2"));
  close_store (&store);

  /* A lazy store replaces the row of a room it has not read yet. */
  store = open_lazy_store (fixture->dir);
  m5 = event_new ("!b:x", m5_json);
  matrix_store_replace_timeline_event (store, "!b:x", m5);
  commit (store, "token3");
  close_store (&store);
  store = open_store (fixture->dir);
  g_assert_cmpstr (cached_body (store, "!b:x", "$m4"), ==, "message 4");
  g_assert_cmpstr (cached_body (store, "!b:x", "$m5"), ==, "(none)");
  close_store (&store);
}

/* An event the memory has dropped (past the limit) comes again in the
 * same commit: the file stores it once, and counts positions without a
 * gap, which trimming relies on. */
static void
test_timeline_dedup_one_commit (Fixture       *fixture,
                                gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(MatrixStore) store = open_store_full (fixture->dir, 2, &error);
  g_autoptr(GPtrArray) first = messages_new ("!a:x", 1, 3);
  g_autoptr(GPtrArray) again = messages_new ("!a:x", 1, 1);
  g_autoptr(GPtrArray) next = messages_new ("!a:x", 4, 4);
  g_autoptr(GPtrArray) last = messages_new ("!a:x", 5, 5);
  g_autofree char *path = database_path (fixture->dir);
  g_autofree char *ids = NULL;
  sqlite3 *db;

  g_assert_no_error (error);
  matrix_store_add_timeline_events (store, "!a:x", first);
  matrix_store_add_timeline_events (store, "!a:x", again);
  matrix_store_add_timeline_events (store, "!a:x", next);
  commit (store, "token1");
  db = open_db (path);
  ids = query_text (db, "SELECT group_concat(event_id, ' ') FROM "
                    "(SELECT event_id FROM timeline_events ORDER BY position)");
  g_assert_cmpstr (ids, ==, "$m3 $m4");
  g_clear_pointer (&ids, g_free);

  matrix_store_add_timeline_events (store, "!a:x", last);
  commit (store, "token2");
  ids = query_text (db, "SELECT group_concat(event_id, ' ') FROM "
                    "(SELECT event_id FROM timeline_events ORDER BY position)");
  g_assert_cmpstr (ids, ==, "$m4 $m5");
  sqlite3_close (db);
  close_store (&store);
}

static MatrixEvent *
member_new (const char *room_id,
            guint       n,
            const char *membership)
{
  g_autofree char *json = g_strdup_printf (
    "{\"type\": \"m.room.member\", \"state_key\": \"@user%u:x\", \"sender\": \"@user%u:x\","
    " \"content\": {\"membership\": \"%s\"}, \"event_id\": \"$member%u-%s\","
    " \"origin_server_ts\": %u}", n, n, membership, n, membership, n);

  return event_new (room_id, json);
}

/* A commit with more rows than one statement takes, given in no order:
 * every row comes back, the last of a key wins, and each room's timeline
 * keeps the order it was given in. */
static void
test_commit_many_rows (Fixture       *fixture,
                       gconstpointer  data)
{
  g_autoptr(MatrixStore) store = open_store (fixture->dir);
  const char *rooms[] = { "!c:x", "!a:x", "!b:x" };
  GPtrArray *expected[G_N_ELEMENTS (rooms)] = { NULL, };

  for (guint r = 0; r < G_N_ELEMENTS (rooms); r++)
    expected[r] = g_ptr_array_new_with_free_func (g_object_unref);

  /* 3 rooms × 150 members, and 3 × 75 messages, the rooms taking turns. */
  for (guint n = 150; n > 0; n--)
    for (guint r = 0; r < G_N_ELEMENTS (rooms); r++)
      {
        g_autoptr(MatrixEvent) member = member_new (rooms[r], n, "invite");

        matrix_store_set_state_event (store, MATRIX_STATE_EVENT (member));
      }
  for (guint n = 1; n <= 75; n += 5)
    for (guint r = 0; r < G_N_ELEMENTS (rooms); r++)
      {
        g_autoptr(GPtrArray) batch = messages_new (rooms[r], r * 1000 + n, r * 1000 + n + 4);

        matrix_store_add_timeline_events (store, rooms[r], batch);
        for (guint i = 0; i < batch->len; i++)
          g_ptr_array_add (expected[r], g_object_ref (g_ptr_array_index (batch, i)));
      }
  /* Every third member joins later in the same commit. */
  for (guint n = 3; n <= 150; n += 3)
    {
      g_autoptr(MatrixEvent) member = member_new ("!b:x", n, "join");

      matrix_store_set_state_event (store, MATRIX_STATE_EVENT (member));
    }
  commit (store, "token1");
  close_store (&store);

  store = open_store (fixture->dir);
  for (guint r = 0; r < G_N_ELEMENTS (rooms); r++)
    {
      g_autoptr(GPtrArray) timeline = matrix_store_get_timeline_events (store, rooms[r]);
      g_autoptr(GPtrArray) members = matrix_store_get_state_events (store, rooms[r],
                                                                     "m.room.member");

      g_assert_cmpuint (timeline->len, ==, expected[r]->len);
      for (guint i = 0; i < timeline->len; i++)
        g_assert_true (matrix_event_equal (g_ptr_array_index (timeline, i),
                                           g_ptr_array_index (expected[r], i)));

      g_assert_cmpuint (members->len, ==, 150);
      for (guint n = 1; n <= 150; n++)
        {
          g_autofree char *user = g_strdup_printf ("@user%u:x", n);
          g_autoptr(MatrixStateEvent) member = matrix_store_get_state_event (store, rooms[r],
                                                                             "m.room.member",
                                                                             user);
          gboolean joined = g_str_equal (rooms[r], "!b:x") && n % 3 == 0;

          g_assert_nonnull (member);
          g_assert_cmpstr (matrix_event_get_content_string (MATRIX_EVENT (member), "membership"),
                           ==, joined ? "join" : "invite");
        }
      g_ptr_array_unref (expected[r]);
    }
  close_store (&store);
}

/* Rows written before an op of the same commit that must see them: a
 * replacement, and a room forgotten then joined again. */
static void
test_commit_ops_in_order (Fixture       *fixture,
                          gconstpointer  data)
{
  g_autoptr(MatrixStore) store = open_store (fixture->dir);
  g_autoptr(GPtrArray) a = messages_new ("!a:x", 1, 3);
  g_autoptr(GPtrArray) b = messages_new ("!b:x", 4, 5);
  g_autoptr(MatrixEvent) member = member_new ("!b:x", 1, "join");
  g_autoptr(MatrixEvent) m2 = event_new ("!a:x",
    "{\"type\": \"m.room.message\", \"sender\": \"@alice:example.org\", \"content\": {},"
    " \"event_id\": \"$m2\", \"origin_server_ts\": 1002,"
    " \"unsigned\": {\"redacted_because\": {\"type\": \"m.room.redaction\"}}}");
  g_autoptr(MatrixStateEvent) loaded_member = NULL;
  g_autofree char *ids = NULL;

  matrix_store_add_timeline_events (store, "!a:x", a);
  matrix_store_replace_timeline_event (store, "!a:x", m2);
  matrix_store_add_timeline_events (store, "!b:x", b);
  matrix_store_set_state_event (store, MATRIX_STATE_EVENT (member));
  matrix_store_forget_room (store, "!b:x");
  matrix_store_add_timeline_events (store, "!b:x", b);
  matrix_store_set_state_event (store, MATRIX_STATE_EVENT (member));
  commit (store, "token1");
  close_store (&store);

  store = open_store (fixture->dir);
  g_assert_cmpstr (cached_body (store, "!a:x", "$m1"), ==, "message 1");
  g_assert_cmpstr (cached_body (store, "!a:x", "$m2"), ==, "(none)");
  ids = timeline_ids (store, "!b:x");
  g_assert_cmpstr (ids, ==, "$m4 $m5");
  loaded_member = matrix_store_get_state_event (store, "!b:x", "m.room.member", "@user1:x");
  g_assert_nonnull (loaded_member);
  close_store (&store);
}

static void
test_timeline_limit (Fixture       *fixture,
                     gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(MatrixStore) store = open_store_full (fixture->dir, 5, &error);
  g_autoptr(GPtrArray) batch1 = messages_new ("!a:x", 1, 4);
  g_autoptr(GPtrArray) batch2 = messages_new ("!a:x", 5, 8);
  g_autofree char *ids = NULL;

  g_assert_no_error (error);
  matrix_store_add_timeline_events (store, "!a:x", batch1);
  commit (store, "token1");
  matrix_store_add_timeline_events (store, "!a:x", batch2);
  ids = timeline_ids (store, "!a:x");
  g_assert_cmpstr (ids, ==, "$m4 $m5 $m6 $m7 $m8");
  commit (store, "token2");
  close_store (&store);

  store = open_store_full (fixture->dir, 5, &error);
  g_assert_no_error (error);
  g_clear_pointer (&ids, g_free);
  ids = timeline_ids (store, "!a:x");
  g_assert_cmpstr (ids, ==, "$m4 $m5 $m6 $m7 $m8");
  close_store (&store);
}

static void
test_reopen_many (Fixture       *fixture,
                  gconstpointer  data)
{
  /* Enough rows that the opening parses them on several threads; the order
   * must come out the same. */
  g_autoptr(GError) error = NULL;
  g_autoptr(MatrixStore) store = open_store_full (fixture->dir, 2000, &error);
  const char *rooms[] = { "!a:x", "!b:x", "!c:x" };
  GPtrArray *expected[G_N_ELEMENTS (rooms)] = { NULL, };

  g_assert_no_error (error);
  for (guint r = 0; r < G_N_ELEMENTS (rooms); r++)
    {
      expected[r] = messages_new (rooms[r], 1 + r * 1000, 1200 + r * 1000);
      matrix_store_add_timeline_events (store, rooms[r], expected[r]);
    }
  commit (store, "token1");
  close_store (&store);

  store = open_store_full (fixture->dir, 2000, &error);
  g_assert_no_error (error);
  for (guint r = 0; r < G_N_ELEMENTS (rooms); r++)
    {
      g_autoptr(GPtrArray) loaded = matrix_store_get_timeline_events (store, rooms[r]);

      g_assert_cmpuint (loaded->len, ==, expected[r]->len);
      for (guint i = 0; i < loaded->len; i++)
        g_assert_true (matrix_event_equal (g_ptr_array_index (loaded, i),
                                           g_ptr_array_index (expected[r], i)));
      g_ptr_array_unref (expected[r]);
    }
  close_store (&store);
}

static void
test_forget_room (Fixture       *fixture,
                  gconstpointer  data)
{
  g_autoptr(MatrixStore) store = open_store (fixture->dir);
  g_autoptr(GPtrArray) messages = messages_new ("!a:x", 1, 2);
  g_autoptr(GPtrArray) others = messages_new ("!b:x", 3, 3);
  g_autoptr(JsonObject) room_data = json_object_new ();
  g_auto(GStrv) room_ids = NULL;

  matrix_store_add_timeline_events (store, "!a:x", messages);
  matrix_store_add_timeline_events (store, "!b:x", others);
  matrix_store_set_room_data (store, "!a:x", room_data);
  commit (store, "token1");
  matrix_store_forget_room (store, "!a:x");
  g_assert_null (matrix_store_get_room_data (store, "!a:x"));
  commit (store, "token2");
  close_store (&store);

  store = open_store (fixture->dir);
  room_ids = matrix_store_get_room_ids (store);
  g_assert_cmpstrv (room_ids, ((const char * const[]) { "!b:x", NULL }));
  g_assert_cmpuint (count_timeline (store, "!a:x"), ==, 0);
  close_store (&store);
}

/* --- restart -------------------------------------------------------------- */

static const char sync1[] =
  "{\"next_batch\": \"token1\", \"rooms\": {\"join\": {\"!room:x\": {"
  "  \"summary\": {\"m.joined_member_count\": 2},"
  "  \"unread_notifications\": {\"notification_count\": 1, \"highlight_count\": 0},"
  "  \"state\": {\"events\": ["
  "    {\"type\": \"m.room.create\", \"state_key\": \"\", \"sender\": \"@alice:x\","
  "     \"content\": {\"creator\": \"@alice:x\"}, \"event_id\": \"$c\", \"origin_server_ts\": 1},"
  "    {\"type\": \"m.room.member\", \"state_key\": \"@alice:x\", \"sender\": \"@alice:x\","
  "     \"content\": {\"membership\": \"join\"}, \"event_id\": \"$ma\", \"origin_server_ts\": 2}]},"
  "  \"timeline\": {\"events\": ["
  "    {\"type\": \"m.room.member\", \"state_key\": \"@bob:x\", \"sender\": \"@bob:x\","
  "     \"content\": {\"membership\": \"join\"}, \"event_id\": \"$mb\", \"origin_server_ts\": 3},"
  "    {\"type\": \"m.room.name\", \"state_key\": \"\", \"sender\": \"@alice:x\","
  "     \"content\": {\"name\": \"Lunch\"}, \"event_id\": \"$n\", \"origin_server_ts\": 4},"
  "    {\"type\": \"m.room.message\", \"sender\": \"@bob:x\","
  "     \"content\": {\"msgtype\": \"m.text\", \"body\": \"hi\"}, \"event_id\": \"$1\","
  "     \"origin_server_ts\": 5}],"
  "   \"limited\": false}}}}}";

static const char sync2[] =
  "{\"next_batch\": \"token2\", \"rooms\": {\"join\": {\"!room:x\": {"
  "  \"unread_notifications\": {\"notification_count\": 2, \"highlight_count\": 1},"
  "  \"timeline\": {\"events\": ["
  "    {\"type\": \"m.room.message\", \"sender\": \"@bob:x\","
  "     \"content\": {\"msgtype\": \"m.text\", \"body\": \"hi\"}, \"event_id\": \"$1\","
  "     \"origin_server_ts\": 5},"
  "    {\"type\": \"m.room.message\", \"sender\": \"@alice:x\","
  "     \"content\": {\"msgtype\": \"m.text\", \"body\": \"@bob lunch?\"}, \"event_id\": \"$2\","
  "     \"origin_server_ts\": 6}],"
  "   \"limited\": false}}}}}";

/* What the room type does with a summary: keep it as the room's metadata. */
static void
on_summary (MatrixClient *client,
            const char   *room_id,
            JsonObject   *summary,
            JsonObject   *unread,
            gpointer      user_data)
{
  g_autoptr(JsonObject) data = json_object_new ();

  json_object_set_string_member (data, "membership", "join");
  if (summary != NULL)
    json_object_set_object_member (data, "summary", json_object_ref (summary));
  if (unread != NULL)
    json_object_set_object_member (data, "unread_notifications", json_object_ref (unread));
  matrix_store_set_room_data (matrix_client_get_store (client), room_id, data);
}

static void
count_signal (MatrixClient *client,
              const char   *next_batch,
              guint        *count)
{
  (*count)++;
}

/* Everything a restart must bring back, as text to compare. */
static char *
snapshot (MatrixRoomStateTracker *tracker)
{
  MatrixStore *store = matrix_client_get_store (matrix_room_state_tracker_get_client (tracker));
  g_autoptr(GString) text = g_string_new (NULL);
  g_auto(GStrv) room_ids = matrix_store_get_room_ids (store);
  const char *types[] = { "m.room.create", "m.room.name", "m.room.member" };

  for (guint r = 0; room_ids[r] != NULL; r++)
    {
      g_autoptr(JsonObject) data = matrix_store_get_room_data (store, room_ids[r]);
      g_autoptr(GPtrArray) timeline = matrix_store_get_timeline_events (store, room_ids[r]);
      g_autoptr(JsonNode) node = json_node_init_object (json_node_alloc (), data);
      g_autofree char *data_text = json_to_string (node, FALSE);

      g_string_append_printf (text, "room %s\ndata %s\n", room_ids[r], data_text);

      for (guint t = 0; t < G_N_ELEMENTS (types); t++)
        {
          g_autoptr(GHashTable) all = matrix_room_state_tracker_get_all_state_for_type (
            tracker, room_ids[r], types[t]);
          g_autoptr(GList) keys = g_list_sort (g_hash_table_get_keys (all), (GCompareFunc) strcmp);
          g_autoptr(MatrixStateEvent) single = matrix_room_state_tracker_get_state (
            tracker, room_ids[r], types[t], NULL);

          if (single != NULL)
            {
              g_autofree char *s = matrix_event_to_string (MATRIX_EVENT (single));
              g_string_append_printf (text, "state %s\n", s);
            }
          for (GList *k = keys; k != NULL; k = k->next)
            {
              g_autofree char *s = matrix_event_to_string (g_hash_table_lookup (all, k->data));
              g_string_append_printf (text, "all %s\n", s);
            }
        }

      for (guint i = 0; i < timeline->len; i++)
        {
          g_autofree char *s = matrix_event_to_string (g_ptr_array_index (timeline, i));
          g_string_append_printf (text, "timeline %s\n", s);
        }
    }

  return g_string_free (g_steal_pointer (&text), FALSE);
}

static void
test_restart_instant (Fixture       *fixture,
                      gconstpointer  data)
{
  g_autoptr(FakeHomeserver) server = fake_homeserver_new ();
  g_autoptr(MatrixStore) store = open_store (fixture->dir);
  g_autoptr(MatrixClient) client = NULL;
  g_autoptr(MatrixRoomStateTracker) tracker = NULL;
  g_autofree char *before = NULL;
  g_autofree char *after = NULL;
  FakeRequest *request;
  guint synced = 0;

  matrix_store_set_value (store, MATRIX_STORE_KEY_HOMESERVER, fake_homeserver_get_url (server));
  matrix_store_set_value (store, MATRIX_STORE_KEY_USER_ID, "@bob:x");
  matrix_store_set_value (store, MATRIX_STORE_KEY_DEVICE_ID, "BOBDEVICE");
  matrix_store_set_value (store, MATRIX_STORE_KEY_ACCESS_TOKEN, "bobs-token");

  client = matrix_client_new (fake_homeserver_get_url (server), store);
  tracker = matrix_room_state_tracker_new (client);
  g_signal_connect (client, "room-summary-updates", G_CALLBACK (on_summary), NULL);
  g_signal_connect (client, "synced", G_CALLBACK (count_signal), &synced);

  fake_homeserver_queue_json (server, "GET", SYNC "?timeout=30000", 200, sync1, FALSE);
  fake_homeserver_queue_json (server, "GET", SYNC "?since=token1&timeout=30000", 200, sync2, FALSE);
  fake_homeserver_queue_held (server, "GET", SYNC "?since=token2&timeout=30000", 200,
                              "application/json", "{\"next_batch\": \"token3\"}");

  matrix_client_start_sync (client);
  wait_for_count (&synced, 2, 10000);
  matrix_client_stop_sync (client);
  g_assert_cmpstr (matrix_store_get_sync_token (store), ==, "token2");
  before = snapshot (tracker);
  g_assert_nonnull (strstr (before, "\"Lunch\""));
  g_assert_nonnull (strstr (before, "\"highlight_count\":1"));

  /* Stop, and drop everything. */
  g_clear_object (&tracker);
  g_clear_object (&client);
  iterate_for (20);
  close_store (&store);
  g_clear_object (&server);

  /* A server that answers nothing: what the app shows comes from disk. */
  server = fake_homeserver_new ();
  store = open_store (fixture->dir);
  g_assert_cmpstr (matrix_store_get_value (store, MATRIX_STORE_KEY_ACCESS_TOKEN), ==, "bobs-token");
  client = matrix_client_new (fake_homeserver_get_url (server), store);
  tracker = matrix_room_state_tracker_new (client);
  after = snapshot (tracker);
  g_assert_cmpstr (after, ==, before);

  fake_homeserver_queue_held (server, "GET", SYNC "?since=token2&timeout=30000", 200,
                              "application/json", "{\"next_batch\": \"token3\"}");
  matrix_client_start_sync (client);
  fake_homeserver_wait_for_requests (server, 1, 10000);
  request = fake_homeserver_get_last_request (server);
  g_assert_cmpstr (request->path, ==, SYNC);
  g_assert_cmpstr (g_hash_table_lookup (request->query_params, "since"), ==, "token2");
  g_assert_cmpuint (fake_homeserver_get_n_unmatched (server), ==, 0);
  matrix_client_stop_sync (client);

  g_clear_object (&tracker);
  g_clear_object (&client);
  iterate_for (20);
  close_store (&store);
}

/* --- the access token without a Secret Service --------------------------- */

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

#define TEST_SECRET_SCHEMA "org.example.Test.Session"

static guint n_no_keyring_messages;

static void
count_no_keyring (const char     *domain,
                  GLogLevelFlags  level,
                  const char     *message,
                  gpointer        user_data)
{
  if (g_str_has_prefix (message, "No Secret Service"))
    n_no_keyring_messages++;
  g_log_default_handler (domain, level, message, user_data);
}

static void
test_secret_file_fallback (Fixture       *fixture,
                           gconstpointer  data)
{
  const char *token = "syt_c2VjcmV0_token_that_must_not_leak";
  g_autoptr(MatrixStore) store = open_named_store (fixture->dir, NULL, TEST_SECRET_SCHEMA);
  g_autofree char *secret_path = g_build_filename (fixture->dir, "session-token", NULL);
  g_autofree char *db_path = database_path (fixture->dir);
  g_autofree char *wal_path = g_strconcat (db_path, "-wal", NULL);
  GStatBuf st;

  matrix_store_set_value (store, MATRIX_STORE_KEY_HOMESERVER, "http://127.0.0.1:1");
  matrix_store_set_value (store, MATRIX_STORE_KEY_USER_ID, "@carol:x");
  matrix_store_set_value (store, MATRIX_STORE_KEY_ACCESS_TOKEN, token);
  commit (store, "token1");
  flush (store);
  g_assert_false (matrix_sqlite_store_get_secret_in_keyring (MATRIX_SQLITE_STORE (store)));

  g_assert_cmpint (g_stat (secret_path, &st), ==, 0);
  g_assert_cmpint (st.st_mode & 0777, ==, 0600);
  g_assert_true (file_contains (secret_path, token));
  g_assert_false (file_contains (db_path, token));
  g_assert_false (file_contains (wal_path, token));
  close_store (&store);
  g_assert_false (file_contains (db_path, token));

  /* The message is said once per process, not once per store. */
  store = open_named_store (fixture->dir, NULL, TEST_SECRET_SCHEMA);
  g_assert_cmpstr (matrix_store_get_value (store, MATRIX_STORE_KEY_ACCESS_TOKEN), ==, token);

  /* Logging out removes it. */
  matrix_store_set_value (store, MATRIX_STORE_KEY_ACCESS_TOKEN, NULL);
  flush (store);
  g_assert_false (g_file_test (secret_path, G_FILE_TEST_EXISTS));
  close_store (&store);

  /* However many stores fell back, the log said so once. */
  g_assert_cmpuint (n_no_keyring_messages, ==, 1);
}

/* An application that names no keyring schema (a bot on a server) keeps
 * the token in the 0600 file and never asks for a Secret Service. */
static void
test_secret_no_schema_file_only (Fixture       *fixture,
                                 gconstpointer  data)
{
  const char *token = "syt_Ym90_token_of_a_bot";
  g_autoptr(MatrixStore) store = open_store (fixture->dir);
  g_autofree char *secret_path = g_build_filename (fixture->dir, "session-token", NULL);
  guint messages_before = n_no_keyring_messages;
  GStatBuf st;

  matrix_store_set_value (store, MATRIX_STORE_KEY_HOMESERVER, "http://127.0.0.1:1");
  matrix_store_set_value (store, MATRIX_STORE_KEY_USER_ID, "@bot:x");
  matrix_store_set_value (store, MATRIX_STORE_KEY_ACCESS_TOKEN, token);
  commit (store, "token1");
  flush (store);
  g_assert_false (matrix_sqlite_store_get_secret_in_keyring (MATRIX_SQLITE_STORE (store)));
  g_assert_cmpint (g_stat (secret_path, &st), ==, 0);
  g_assert_cmpint (st.st_mode & 0777, ==, 0600);
  g_assert_true (file_contains (secret_path, token));
  close_store (&store);

  store = open_store (fixture->dir);
  g_assert_cmpstr (matrix_store_get_value (store, MATRIX_STORE_KEY_ACCESS_TOKEN), ==, token);
  close_store (&store);

  /* No lookup failed, since none was made. */
  g_assert_cmpuint (n_no_keyring_messages, ==, messages_before);
}

/* The application names the database file; a damaged one is set aside
 * under that name too. */
static void
test_database_name (Fixture       *fixture,
                    gconstpointer  data)
{
  g_autoptr(MatrixStore) store = open_named_store (fixture->dir, "app.db", NULL);
  g_autofree char *db_path = g_build_filename (fixture->dir, "app.db", NULL);
  g_autofree char *default_path = database_path (fixture->dir);
  g_autofree char *garbage = g_strnfill (8192, 'x');
  const char *corrupt;

  g_assert_cmpstr (matrix_sqlite_store_get_database_path (MATRIX_SQLITE_STORE (store)), ==, db_path);
  matrix_store_set_value (store, MATRIX_STORE_KEY_USER_ID, "@alice:x");
  commit (store, "token1");
  close_store (&store);
  g_assert_true (g_file_test (db_path, G_FILE_TEST_IS_REGULAR));
  g_assert_false (g_file_test (default_path, G_FILE_TEST_EXISTS));

  store = open_named_store (fixture->dir, "app.db", NULL);
  g_assert_cmpstr (matrix_store_get_sync_token (store), ==, "token1");
  close_store (&store);

  g_assert_true (g_file_set_contents (db_path, garbage, -1, NULL));
  g_test_expect_message ("matrix-sqlite-store", G_LOG_LEVEL_MESSAGE, "*");
  store = open_named_store (fixture->dir, "app.db", NULL);
  g_test_assert_expected_messages ();
  corrupt = matrix_sqlite_store_get_corrupt_file (MATRIX_SQLITE_STORE (store));
  g_assert_nonnull (corrupt);
  g_assert_true (g_str_has_prefix (corrupt, db_path));
  g_assert_true (g_str_has_prefix (corrupt + strlen (db_path), ".corrupt-"));
  close_store (&store);
}

/* --- corruption ----------------------------------------------------------- */

static GStrv
corrupt_files (const char *dir)
{
  g_autoptr(GDir) d = g_dir_open (dir, 0, NULL);
  g_autoptr(GStrvBuilder) builder = g_strv_builder_new ();
  const char *name;

  while ((name = g_dir_read_name (d)) != NULL)
    if (g_str_has_prefix (name, "matrix.db.corrupt-") && !g_str_has_suffix (name, "-wal") &&
        !g_str_has_suffix (name, "-shm"))
      g_strv_builder_add (builder, name);
  return g_strv_builder_end (builder);
}

static void
assert_recovers (Fixture    *fixture,
                 const char *damaged,
                 gsize       length)
{
  g_autofree char *db_path = database_path (fixture->dir);
  g_autoptr(MatrixStore) store = NULL;
  g_autoptr(GError) error = NULL;
  g_auto(GStrv) moved = NULL;
  g_autofree char *moved_path = NULL;
  g_autofree char *moved_contents = NULL;
  gsize moved_length = 0;

  g_assert_true (g_file_set_contents (db_path, damaged, length, NULL));

  g_test_expect_message ("matrix-sqlite-store", G_LOG_LEVEL_MESSAGE, "*moved it to*");
  store = open_store_full (fixture->dir, 0, &error);
  g_test_assert_expected_messages ();
  g_assert_no_error (error);

  /* A fresh store: the client starts with an initial sync. */
  g_assert_null (matrix_store_get_sync_token (store));
  g_assert_cmpuint (count_rooms (store), ==, 0);

  moved = corrupt_files (fixture->dir);
  g_assert_cmpuint (g_strv_length (moved), ==, 1);
  moved_path = g_build_filename (fixture->dir, moved[0], NULL);
  g_assert_cmpstr (matrix_sqlite_store_get_corrupt_file (MATRIX_SQLITE_STORE (store)), ==,
                   moved_path);
  g_assert_true (g_file_get_contents (moved_path, &moved_contents, &moved_length, NULL));
  g_assert_cmpmem (moved_contents, moved_length, damaged, length);

  /* And it works. */
  commit (store, "fresh");
  close_store (&store);
  store = open_store (fixture->dir);
  g_assert_cmpstr (matrix_store_get_sync_token (store), ==, "fresh");
  g_assert_null (matrix_sqlite_store_get_corrupt_file (MATRIX_SQLITE_STORE (store)));
  close_store (&store);
}

static void
test_corrupt_garbage (Fixture       *fixture,
                      gconstpointer  data)
{
  char garbage[8192];

  for (gsize i = 0; i < sizeof garbage; i++)
    garbage[i] = (char) (i * 7 + 13);
  assert_recovers (fixture, garbage, sizeof garbage);
}

static void
test_corrupt_truncated (Fixture       *fixture,
                        gconstpointer  data)
{
  g_autoptr(MatrixStore) store = open_store (fixture->dir);
  g_autoptr(GPtrArray) messages = messages_new ("!a:x", 1, 300);
  g_autofree char *db_path = database_path (fixture->dir);
  g_autofree char *contents = NULL;
  gsize length = 0;
  sqlite3 *db;

  matrix_store_add_timeline_events (store, "!a:x", messages);
  commit (store, "token1");
  close_store (&store);

  /* Fold the WAL into the file, so that the file alone holds the data. */
  db = open_db (db_path);
  g_assert_cmpint (sqlite3_exec (db, "PRAGMA wal_checkpoint(TRUNCATE)", NULL, NULL, NULL), ==,
                   SQLITE_OK);
  g_assert_cmpint (sqlite3_exec (db, "PRAGMA journal_mode = DELETE", NULL, NULL, NULL), ==,
                   SQLITE_OK);
  sqlite3_close (db);

  g_assert_true (g_file_get_contents (db_path, &contents, &length, NULL));
  g_assert_cmpuint (length, >, 4 * 4096);
  assert_recovers (fixture, contents, length / 2);
}

static MatrixStore *
open_for_session (const char *dir,
                  const char *user_id,
                  const char *homeserver)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  MatrixStore *store;

  matrix_sqlite_store_new_for_session_async (dir, user_id, homeserver, 0, NULL, store_result, &result);
  wait_for_pointer ((gpointer *) &result, 10000);
  store = matrix_sqlite_store_new_finish (result, &error);
  g_assert_no_error (error);
  return store;
}

static void
test_session_kept_before_first_sync (Fixture       *fixture,
                                     gconstpointer  data)
{
  g_autoptr(MatrixStore) store = open_store (fixture->dir);

  /* Just logged in: no sync committed yet when the app quits. */
  matrix_store_set_value (store, MATRIX_STORE_KEY_HOMESERVER, "http://127.0.0.1:1");
  matrix_store_set_value (store, MATRIX_STORE_KEY_USER_ID, "@alice:example.org");
  matrix_store_set_value (store, MATRIX_STORE_KEY_DEVICE_ID, "DEV");
  matrix_store_set_value (store, MATRIX_STORE_KEY_ACCESS_TOKEN, "tok-new");
  close_store (&store);

  store = open_store (fixture->dir);
  g_assert_cmpstr (matrix_store_get_value (store, MATRIX_STORE_KEY_USER_ID), ==, "@alice:example.org");
  g_assert_cmpstr (matrix_store_get_value (store, MATRIX_STORE_KEY_DEVICE_ID), ==, "DEV");
  g_assert_cmpstr (matrix_store_get_value (store, MATRIX_STORE_KEY_ACCESS_TOKEN), ==, "tok-new");
  g_assert_null (matrix_store_get_sync_token (store));
}

static void
test_session_found_after_reset (Fixture       *fixture,
                                gconstpointer  data)
{
  g_autoptr(MatrixStore) store = open_store (fixture->dir);
  g_autofree char *db_path = database_path (fixture->dir);
  g_autofree char *garbage = g_strnfill (8192, 'x');

  matrix_store_set_value (store, MATRIX_STORE_KEY_HOMESERVER, "http://127.0.0.1:1");
  matrix_store_set_value (store, MATRIX_STORE_KEY_USER_ID, "@alice:example.org");
  matrix_store_set_value (store, MATRIX_STORE_KEY_ACCESS_TOKEN, "tok-kept");
  commit (store, "token1");
  close_store (&store);
  g_assert_true (g_file_set_contents (db_path, garbage, -1, NULL));

  /* The database is set aside; the caller knows the session, so the token,
   * kept apart from the database, is found and the session goes on. */
  g_test_expect_message ("matrix-sqlite-store", G_LOG_LEVEL_MESSAGE, "*");
  store = open_for_session (fixture->dir, "@alice:example.org", "http://127.0.0.1:1");
  g_assert_nonnull (matrix_sqlite_store_get_corrupt_file (MATRIX_SQLITE_STORE (store)));
  g_assert_cmpstr (matrix_store_get_value (store, MATRIX_STORE_KEY_ACCESS_TOKEN), ==, "tok-kept");
  g_assert_cmpstr (matrix_store_get_value (store, MATRIX_STORE_KEY_USER_ID), ==, "@alice:example.org");
  g_assert_null (matrix_store_get_sync_token (store));
  close_store (&store);
}

/* --- schema versions ------------------------------------------------------ */

static void
test_schema_new (Fixture       *fixture,
                 gconstpointer  data)
{
  g_autoptr(MatrixStore) store = open_store (fixture->dir);
  g_autofree char *db_path = database_path (fixture->dir);
  g_autofree char *dump = NULL;
  g_autofree char *expected = read_expected ("schema-v2.dump");

  close_store (&store);
  dump = dump_db (db_path);
  g_assert_cmpstr (dump, ==, expected);
}

static void
test_schema_v1_unchanged (Fixture       *fixture,
                          gconstpointer  data)
{
  g_autofree char *db_path = database_path (fixture->dir);
  g_autofree char *dump = NULL;
  g_autofree char *expected = read_expected ("content-v1-migrated.dump");
  g_autoptr(MatrixStore) store = NULL;
  g_autoptr(MatrixStateEvent) topic = NULL;
  g_autofree char *ids = NULL;

  g_assert_true (g_mkdir_with_parents (fixture->dir, 0700) == 0);
  load_fixture (db_path, "content-v1.sql");

  store = open_store (fixture->dir);
  g_assert_cmpstr (matrix_store_get_sync_token (store), ==, "s72595_4483_1934");
  g_assert_cmpstr (matrix_store_get_value (store, MATRIX_STORE_KEY_USER_ID), ==,
                   "@alice:example.org");
  topic = matrix_store_get_state_event (store, "!room:example.org", "m.room.topic", "");
  g_assert_nonnull (topic);
  g_assert_cmpstr (matrix_event_get_content_string (MATRIX_EVENT (topic), "topic"), ==, "Stuff");
  ids = timeline_ids (store, "!room:example.org");
  g_assert_cmpstr (ids, ==, "$topic $hello $world");
  close_store (&store);

  dump = dump_db (db_path);
  g_assert_cmpstr (dump, ==, expected);
}

/* Version 2's content opens as it is, its summary kept. */
static void
test_schema_v2_unchanged (Fixture       *fixture,
                          gconstpointer  data)
{
  g_autofree char *db_path = database_path (fixture->dir);
  g_autofree char *dump = NULL;
  g_autofree char *expected = read_expected ("content-v2.dump");
  g_autoptr(MatrixStore) store = NULL;
  g_autoptr(JsonObject) summary = NULL;

  g_assert_true (g_mkdir_with_parents (fixture->dir, 0700) == 0);
  load_fixture (db_path, "content-v2.sql");

  store = open_store (fixture->dir);
  g_assert_cmpstr (matrix_store_get_sync_token (store), ==, "s72595_4483_1934");
  /* Opened whole: the room is loaded, and shows what it computes. */
  summary = matrix_store_get_list_summary (store, "!room:example.org");
  g_assert_null (summary);
  close_store (&store);

  dump = dump_db (db_path);
  g_assert_cmpstr (dump, ==, expected);
}

static void
test_schema_future_refused (Fixture       *fixture,
                            gconstpointer  data)
{
  g_autofree char *db_path = database_path (fixture->dir);
  g_autofree char *before = NULL;
  g_autofree char *after = NULL;
  gsize before_length = 0, after_length = 0;
  g_autoptr(MatrixStore) store = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GDir) dir = NULL;
  const char *name;

  load_fixture (db_path, "content-v1.sql");
  {
    sqlite3 *db = open_db (db_path);
    g_assert_cmpint (sqlite3_exec (db, "PRAGMA user_version = 3; CREATE TABLE from_the_future (x)",
                                   NULL, NULL, NULL), ==, SQLITE_OK);
    sqlite3_close (db);
  }
  g_assert_true (g_file_get_contents (db_path, &before, &before_length, NULL));

  store = open_store_full (fixture->dir, 0, &error);
  g_assert_null (store);
  g_assert_error (error, MATRIX_SQLITE_STORE_ERROR, MATRIX_SQLITE_STORE_ERROR_FUTURE_VERSION);
  g_assert_nonnull (strstr (error->message, "newer"));

  g_assert_true (g_file_get_contents (db_path, &after, &after_length, NULL));
  g_assert_cmpmem (after, after_length, before, before_length);
  dir = g_dir_open (fixture->dir, 0, NULL);
  while ((name = g_dir_read_name (dir)) != NULL)
    g_assert_cmpstr (name, ==, "matrix.db");
}

static void
test_default_dir (void)
{
  g_autofree char *dir = matrix_sqlite_store_default_dir ("myapp", "@alice:example.org");
  g_autofree char *odd = matrix_sqlite_store_default_dir ("myapp", "@../x/y:ex ample.org");
  g_autofree char *expected = g_build_filename (g_get_user_data_dir (), "myapp",
                                                "@alice:example.org", NULL);
  g_autofree char *expected_odd = g_build_filename (g_get_user_data_dir (), "myapp",
                                                    "@..%2Fx%2Fy:ex%20ample.org", NULL);
  g_autofree char *dots = matrix_sqlite_store_default_dir ("myapp", "..");
  g_autofree char *dots_name = g_path_get_basename (dots);

  g_assert_cmpstr (dir, ==, expected);
  g_assert_cmpstr (odd, ==, expected_odd);
  g_assert_cmpstr (dots_name, ==, "%2E.");
}

int
main (int   argc,
      char *argv[])
{
  g_autoptr(GTestDBus) bus = NULL;
  int status;

  g_setenv ("GIO_USE_PROXY_RESOLVER", "dummy", TRUE);
  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);

  /* A private session bus with no services: no Secret Service. */
  bus = g_test_dbus_new (G_TEST_DBUS_NONE);
  g_log_set_handler ("matrix-sqlite-store", G_LOG_LEVEL_MESSAGE, count_no_keyring, NULL);
  g_test_dbus_up (bus);

#define ADD(path, func) \
  g_test_add (path, Fixture, NULL, fixture_set_up, func, fixture_tear_down)

  ADD ("/matrix/sqlite-store/commit/reopen-equal", test_commit_reopen);
  ADD ("/matrix/sqlite-store/commit/token-with-changes-only", test_commit_atomic);
  ADD ("/matrix/sqlite-store/commit/failed-writes-kept", test_commit_failure_kept);
  ADD ("/matrix/sqlite-store/commit/many-rows", test_commit_many_rows);
  ADD ("/matrix/sqlite-store/commit/ops-in-order", test_commit_ops_in_order);
  ADD ("/matrix/sqlite-store/timeline/dedup-by-event-id", test_timeline_dedup);
  ADD ("/matrix/sqlite-store/timeline/dedup-in-one-commit", test_timeline_dedup_one_commit);
  ADD ("/matrix/sqlite-store/timeline/keeps-newest", test_timeline_limit);
  ADD ("/matrix/sqlite-store/timeline/replace-in-place", test_timeline_replace);
  ADD ("/matrix/sqlite-store/forget-room", test_forget_room);
  ADD ("/matrix/sqlite-store/commit/reopen-many-in-order", test_reopen_many);
  ADD ("/matrix/sqlite-store/restart/instant-from-disk", test_restart_instant);
  ADD ("/matrix/sqlite-store/secret/file-fallback", test_secret_file_fallback);
  ADD ("/matrix/sqlite-store/secret/no-schema-file-only", test_secret_no_schema_file_only);
  ADD ("/matrix/sqlite-store/database-name/chosen-by-app", test_database_name);
  ADD ("/matrix/sqlite-store/corrupt/garbage-moved-aside", test_corrupt_garbage);
  ADD ("/matrix/sqlite-store/corrupt/truncated-moved-aside", test_corrupt_truncated);
  ADD ("/matrix/sqlite-store/session/kept-before-first-sync", test_session_kept_before_first_sync);
  ADD ("/matrix/sqlite-store/session/found-after-reset", test_session_found_after_reset);
  ADD ("/matrix/sqlite-store/schema/new-gets-current", test_schema_new);
  ADD ("/matrix/sqlite-store/schema/v1-unchanged", test_schema_v1_unchanged);
  ADD ("/matrix/sqlite-store/schema/v2-unchanged", test_schema_v2_unchanged);
  ADD ("/matrix/sqlite-store/schema/future-refused-untouched", test_schema_future_refused);
  g_test_add_func ("/matrix/sqlite-store/default-dir-escaped", test_default_dir);

  status = g_test_run ();

  secret_service_disconnect ();
  g_test_dbus_down (bus);
  return status;
}
