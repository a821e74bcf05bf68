/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "test-matrix-sqlite-store-lazy"

#include <glib/gstdio.h>
#include <libsecret/secret.h>
#include <sqlite3.h>

#include "test-utils.h"

#define SYNC "/_matrix/client/v3/sync"
#define OWN  "@me:x"

/* MatrixSqliteStore opened lazily: what a room list needs first, the rest of
 * a room when asked for, and writes made meanwhile never lost. Each test
 * fills a store in a fresh temporary directory (opened whole), then opens it
 * again lazily. */

typedef struct {
  char *dir;
} Fixture;

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

static MatrixStore *
open_whole (const char *dir)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  MatrixStore *store;

  matrix_sqlite_store_new_async (dir, 0, NULL, store_result, &result);
  wait_for_pointer ((gpointer *) &result, 10000);
  store = matrix_sqlite_store_new_finish (result, &error);
  g_assert_no_error (error);
  return store;
}

static MatrixStore *
open_lazy (const char *dir)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  MatrixStore *store;

  matrix_sqlite_store_new_lazy_async (dir, OWN, "http://127.0.0.1:1", 0, NULL, store_result,
                                      &result);
  wait_for_pointer ((gpointer *) &result, 10000);
  store = matrix_sqlite_store_new_finish (result, &error);
  g_assert_no_error (error);
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

  matrix_sqlite_store_flush_async (MATRIX_SQLITE_STORE (store), NULL, store_result, &result);
  wait_for_pointer ((gpointer *) &result, 10000);
  g_assert_true (matrix_sqlite_store_flush_finish (MATRIX_SQLITE_STORE (store), result, NULL));
}

/* Flushed, and finalized: nothing else kept it, so its writer closed the file. */
static void
close_store (MatrixStore **store)
{
  flush (*store);
  g_assert_finalize_object (g_steal_pointer (store));
}

static char *
member_json (const char *user_id,
             const char *name,
             guint       n)
{
  return g_strdup_printf ("{\"type\": \"m.room.member\", \"state_key\": \"%s\", \"sender\": \"%s\","
                          " \"content\": {\"membership\": \"join\", \"displayname\": \"%s\"},"
                          " \"event_id\": \"$member%u\", \"origin_server_ts\": %u}",
                          user_id, user_id, name, n, n);
}

static char *
message_json (const char *sender,
              guint       n)
{
  return g_strdup_printf ("{\"type\": \"m.room.message\", \"sender\": \"%s\","
                          " \"content\": {\"msgtype\": \"m.text\", \"body\": \"message %u\"},"
                          " \"event_id\": \"$t%u\", \"origin_server_ts\": %u}",
                          sender, n, n, 1000 + n);
}

static MatrixEvent *
event_new (const char *room_id,
           const char *json)
{
  g_autofree char *array = g_strdup_printf ("[%s]", json);
  g_autoptr(GPtrArray) events = events_from_json (room_id, array);

  return g_object_ref (g_ptr_array_index (events, 0));
}

static void
set_state (MatrixStore *store,
           const char  *room_id,
           const char  *json)
{
  g_autoptr(MatrixEvent) event = event_new (room_id, json);

  matrix_store_set_state_event (store, MATRIX_STATE_EVENT (event));
}

static void
add_event (MatrixStore *store,
           const char  *room_id,
           const char  *json)
{
  g_autoptr(GPtrArray) events = g_ptr_array_new_with_free_func (g_object_unref);

  g_ptr_array_add (events, event_new (room_id, json));
  matrix_store_add_timeline_events (store, room_id, events);
}

static void
set_data (MatrixStore *store,
          const char  *room_id,
          const char  *json)
{
  g_autoptr(JsonParser) parser = json_parser_new ();

  g_assert_true (json_parser_load_from_data (parser, json, -1, NULL));
  matrix_store_set_room_data (store, room_id, json_node_get_object (json_parser_get_root (parser)));
}

/* Three rooms:
 * - !named:x, "Lunch": members me, Bob, Carol, Dave; messages $t1..$t5 (the
 *   last by Carol), then Dave's join $t6 in the timeline;
 * - !heroes:x, no name: heroes Bob; members me, Bob, Erin; messages by Erin;
 * - !bare:x, no name and no summary: its name may need every member. */
static void
fixture_set_up (Fixture       *fixture,
                gconstpointer  data)
{
  g_autoptr(MatrixStore) store = NULL;
  const char *senders[] = { "@bob:x", "@carol:x", "@bob:x", "@bob:x", "@carol:x" };
  struct { const char *room, *user, *name; } members[] = {
    { "!named:x", OWN, "Me" }, { "!named:x", "@bob:x", "Bob" }, { "!named:x", "@carol:x", "Carol" },
    { "!heroes:x", OWN, "Me" }, { "!heroes:x", "@bob:x", "Bob" }, { "!heroes:x", "@erin:x", "Erin" },
    { "!bare:x", OWN, "Me" }, { "!bare:x", "@fred:x", "Fred" },
  };
  g_autofree char *dave = member_json ("@dave:x", "Dave", 6);

  fixture->dir = g_dir_make_tmp ("confab-lazy-XXXXXX", NULL);
  store = open_whole (fixture->dir);
  matrix_store_set_value (store, MATRIX_STORE_KEY_USER_ID, OWN);
  matrix_store_set_value (store, MATRIX_STORE_KEY_HOMESERVER, "http://127.0.0.1:1");

  for (guint i = 0; i < G_N_ELEMENTS (members); i++)
    {
      g_autofree char *json = member_json (members[i].user, members[i].name, 100 + i);

      set_state (store, members[i].room, json);
    }
  set_state (store, "!named:x",
             "{\"type\": \"m.room.name\", \"state_key\": \"\", \"sender\": \"@bob:x\","
             " \"content\": {\"name\": \"Lunch\"}, \"event_id\": \"$name\", \"origin_server_ts\": 1}");
  set_state (store, "!named:x",
             "{\"type\": \"m.room.power_levels\", \"state_key\": \"\", \"sender\": \"@bob:x\","
             " \"content\": {}, \"event_id\": \"$pl\", \"origin_server_ts\": 1}");
  for (guint n = 1; n <= 5; n++)
    {
      g_autofree char *json = message_json (senders[n - 1], n);

      add_event (store, "!named:x", json);
    }
  set_state (store, "!named:x", dave);
  add_event (store, "!named:x", dave);
  set_data (store, "!named:x", "{\"membership\": \"join\", \"summary\": {\"m.heroes\": "
            "[\"@bob:x\", \"@carol:x\"], \"m.joined_member_count\": 4, "
            "\"m.invited_member_count\": 0}}");

  for (guint n = 11; n <= 12; n++)
    {
      g_autofree char *json = message_json ("@erin:x", n);

      add_event (store, "!heroes:x", json);
    }
  set_data (store, "!heroes:x", "{\"membership\": \"join\", \"summary\": {\"m.heroes\": "
            "[\"@bob:x\"], \"m.joined_member_count\": 3, \"m.invited_member_count\": 0}}");

  {
    g_autofree char *json = message_json ("@fred:x", 21);

    add_event (store, "!bare:x", json);
  }
  set_data (store, "!bare:x", "{\"membership\": \"join\"}");

  commit (store, "s1");
  close_store (&store);
}

static void
fixture_tear_down (Fixture       *fixture,
                   gconstpointer  data)
{
  remove_tree (fixture->dir);
  g_free (fixture->dir);
}

static gboolean
has_member (MatrixStore *store,
            const char  *room_id,
            const char  *user_id)
{
  g_autoptr(MatrixStateEvent) event = matrix_store_get_state_event (store, room_id,
                                                                    "m.room.member", user_id);
  return event != NULL;
}

/* The event ids of the room's cached timeline, space-separated. */
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

static void
count_loaded (MatrixStore *store,
              const char  *room_id,
              GString     *loaded)
{
  g_string_append_printf (loaded, "%s ", room_id);
}

static void
load_rooms (MatrixStore  *store,
            const char  **room_ids,
            GError      **error)
{
  g_autoptr(GAsyncResult) result = NULL;

  matrix_store_load_rooms_async (store, room_ids, NULL, store_result, &result);
  wait_for_pointer ((gpointer *) &result, 10000);
  matrix_store_load_rooms_finish (store, result, error);
}

static void
test_list_part_first (Fixture       *fixture,
                      gconstpointer  data)
{
  g_autoptr(MatrixStore) store = open_lazy (fixture->dir);
  g_autoptr(GString) loaded = g_string_new (NULL);
  g_autoptr(MatrixStateEvent) name = NULL;
  g_autoptr(MatrixStateEvent) power = NULL;
  g_autoptr(GError) error = NULL;
  g_auto(GStrv) room_ids = matrix_store_get_room_ids (store);
  g_autofree char *named = NULL;
  g_autofree char *heroes = NULL;
  g_autofree char *whole = NULL;
  const char *both[] = { "!named:x", "!heroes:x", "!bare:x", NULL };

  g_assert_cmpuint (g_strv_length (room_ids), ==, 3);
  g_assert_cmpstr (matrix_store_get_sync_token (store), ==, "s1");

  /* A named room: its name, the newest events back to the newest message,
   * and that message's sender; not the other members, nor the power levels. */
  g_assert_false (matrix_store_is_room_loaded (store, "!named:x"));
  name = matrix_store_get_state_event (store, "!named:x", "m.room.name", "");
  g_assert_nonnull (name);
  power = matrix_store_get_state_event (store, "!named:x", "m.room.power_levels", "");
  g_assert_null (power);
  g_assert_true (has_member (store, "!named:x", "@carol:x"));
  g_assert_false (has_member (store, "!named:x", "@bob:x"));
  named = timeline_ids (store, "!named:x");
  g_assert_cmpstr (named, ==, "$t5 $member6");

  /* Named by its heroes: they are there, with the newest message's sender. */
  g_assert_false (matrix_store_is_room_loaded (store, "!heroes:x"));
  g_assert_true (has_member (store, "!heroes:x", "@bob:x"));
  g_assert_true (has_member (store, "!heroes:x", "@erin:x"));
  heroes = timeline_ids (store, "!heroes:x");
  g_assert_cmpstr (heroes, ==, "$t12");

  /* Named by all its members: read whole at once. */
  g_assert_true (matrix_store_is_room_loaded (store, "!bare:x"));
  g_assert_true (has_member (store, "!bare:x", "@fred:x"));

  g_signal_connect (store, "room-loaded", G_CALLBACK (count_loaded), loaded);
  load_rooms (store, both, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (loaded->str, ==, "!named:x !heroes:x ");
  g_assert_true (matrix_store_is_room_loaded (store, "!named:x"));
  g_assert_true (has_member (store, "!named:x", "@bob:x"));
  g_assert_true (has_member (store, "!named:x", "@dave:x"));
  g_clear_object (&power);
  power = matrix_store_get_state_event (store, "!named:x", "m.room.power_levels", "");
  g_assert_nonnull (power);
  g_free (named);
  named = timeline_ids (store, "!named:x");
  g_assert_cmpstr (named, ==, "$t1 $t2 $t3 $t4 $t5 $member6");
  whole = timeline_ids (store, "!heroes:x");
  g_assert_cmpstr (whole, ==, "$t11 $t12");

  /* Loaded rooms are not read again. */
  load_rooms (store, both, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (loaded->str, ==, "!named:x !heroes:x ");

  g_signal_handlers_disconnect_by_data (store, loaded);
  close_store (&store);
}

static void
test_writes_while_loading (Fixture       *fixture,
                           gconstpointer  data)
{
  g_autoptr(MatrixStore) store = open_lazy (fixture->dir);
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(MatrixStateEvent) bob = NULL;
  g_autofree char *renamed = member_json ("@bob:x", "Robert", 7);
  g_autofree char *message = message_json ("@bob:x", 8);
  g_autofree char *ids = NULL;
  const char *named[] = { "!named:x", NULL };

  /* The load is on the writer thread while the main thread writes. */
  matrix_store_load_rooms_async (store, named, NULL, store_result, &result);
  set_state (store, "!named:x", renamed);
  add_event (store, "!named:x", message);
  wait_for_pointer ((gpointer *) &result, 10000);
  g_assert_true (matrix_store_load_rooms_finish (store, result, &error));
  g_assert_no_error (error);

  bob = matrix_store_get_state_event (store, "!named:x", "m.room.member", "@bob:x");
  g_assert_cmpstr (matrix_event_get_content_string (MATRIX_EVENT (bob), "displayname"), ==, "Robert");
  ids = timeline_ids (store, "!named:x");
  g_assert_cmpstr (ids, ==, "$t1 $t2 $t3 $t4 $t5 $member6 $t8");
  commit (store, "s2");
  g_clear_object (&result);
  close_store (&store);

  /* And so it is on disk. */
  store = open_whole (fixture->dir);
  g_clear_object (&bob);
  bob = matrix_store_get_state_event (store, "!named:x", "m.room.member", "@bob:x");
  g_assert_cmpstr (matrix_event_get_content_string (MATRIX_EVENT (bob), "displayname"), ==, "Robert");
  g_free (ids);
  ids = timeline_ids (store, "!named:x");
  g_assert_cmpstr (ids, ==, "$t1 $t2 $t3 $t4 $t5 $member6 $t8");
  g_assert_cmpstr (matrix_store_get_sync_token (store), ==, "s2");
  close_store (&store);
}

static void
test_forgotten_while_loading (Fixture       *fixture,
                              gconstpointer  data)
{
  g_autoptr(MatrixStore) store = open_lazy (fixture->dir);
  g_autoptr(GString) loaded = g_string_new (NULL);
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) timeline = NULL;
  g_auto(GStrv) room_ids = NULL;
  const char *named[] = { "!named:x", NULL };

  g_signal_connect (store, "room-loaded", G_CALLBACK (count_loaded), loaded);
  matrix_store_load_rooms_async (store, named, NULL, store_result, &result);
  matrix_store_forget_room (store, "!named:x");
  wait_for_pointer ((gpointer *) &result, 10000);
  g_assert_true (matrix_store_load_rooms_finish (store, result, &error));
  g_assert_no_error (error);

  /* What was read from disk does not bring the room back. */
  g_assert_cmpstr (loaded->str, ==, "");
  g_assert_false (has_member (store, "!named:x", "@bob:x"));
  timeline = matrix_store_get_timeline_events (store, "!named:x");
  g_assert_cmpuint (timeline->len, ==, 0);
  room_ids = matrix_store_get_room_ids (store);
  g_assert_false (g_strv_contains ((const char * const *) room_ids, "!named:x"));
  g_assert_true (matrix_store_is_room_loaded (store, "!named:x"));
  g_signal_handlers_disconnect_by_data (store, loaded);
  commit (store, "s2");
  g_clear_object (&result);
  close_store (&store);

  store = open_whole (fixture->dir);
  g_clear_pointer (&room_ids, g_strfreev);
  room_ids = matrix_store_get_room_ids (store);
  g_assert_false (g_strv_contains ((const char * const *) room_ids, "!named:x"));
  close_store (&store);
}

static void
test_cancelled (Fixture       *fixture,
                gconstpointer  data)
{
  g_autoptr(MatrixStore) store = open_lazy (fixture->dir);
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  g_autoptr(GAsyncResult) before = NULL;
  g_autoptr(GAsyncResult) during = NULL;
  g_autoptr(GError) error = NULL;
  const char *named[] = { "!named:x", NULL };

  /* Cancelled before: nothing is read. */
  g_cancellable_cancel (cancellable);
  matrix_store_load_rooms_async (store, named, cancellable, store_result, &before);
  wait_for_pointer ((gpointer *) &before, 10000);
  g_assert_false (matrix_store_load_rooms_finish (store, before, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_assert_false (matrix_store_is_room_loaded (store, "!named:x"));
  g_clear_error (&error);

  /* Cancelled while the writer has it: the caller hears so. */
  g_clear_object (&cancellable);
  cancellable = g_cancellable_new ();
  matrix_store_load_rooms_async (store, named, cancellable, store_result, &during);
  g_cancellable_cancel (cancellable);
  wait_for_pointer ((gpointer *) &during, 10000);
  g_assert_false (matrix_store_load_rooms_finish (store, during, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_clear_error (&error);

  /* A later load still brings it all. */
  load_rooms (store, named, &error);
  g_assert_no_error (error);
  g_assert_true (matrix_store_is_room_loaded (store, "!named:x"));
  g_assert_true (has_member (store, "!named:x", "@bob:x"));
  g_clear_object (&before);
  g_clear_object (&during);
  close_store (&store);
}

static void
test_corrupt_rows (Fixture       *fixture,
                   gconstpointer  data)
{
  g_autofree char *db_path = g_build_filename (fixture->dir, "matrix.db", NULL);
  g_autoptr(MatrixStore) store = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *ids = NULL;
  const char *named[] = { "!named:x", NULL };
  sqlite3 *db = NULL;

  g_assert_cmpint (sqlite3_open (db_path, &db), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_exec (db, "UPDATE timeline_events SET event = '{\"not\" 1' "
                                 "WHERE event_id = '$t2'", NULL, NULL, NULL), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_exec (db, "UPDATE room_state SET event = '[]' "
                                 "WHERE state_key = '@bob:x' AND room_id = '!named:x'",
                                 NULL, NULL, NULL), ==, SQLITE_OK);
  sqlite3_close (db);

  store = open_lazy (fixture->dir);
  /* Each damaged row is left out with a warning; the rest of the room loads. */
  g_test_expect_message ("matrix-sqlite-store", G_LOG_LEVEL_WARNING,
                         "Left out a stored event of !named:x*");
  g_test_expect_message ("matrix-sqlite-store", G_LOG_LEVEL_WARNING,
                         "Left out a stored event of !named:x*");
  load_rooms (store, named, &error);
  g_test_assert_expected_messages ();
  g_assert_no_error (error);
  g_assert_true (matrix_store_is_room_loaded (store, "!named:x"));
  g_assert_false (has_member (store, "!named:x", "@bob:x"));
  g_assert_true (has_member (store, "!named:x", "@dave:x"));
  ids = timeline_ids (store, "!named:x");
  g_assert_cmpstr (ids, ==, "$t1 $t3 $t4 $t5 $member6");
  close_store (&store);
}

/* --- rooms and the sync on a lazy store ----------------------------------- */

static gboolean
n_items_is (gpointer data)
{
  gpointer *args = data;

  return g_list_model_get_n_items (args[0]) == GPOINTER_TO_UINT (args[1]);
}

static void
wait_for_items (GListModel *model,
                guint       n)
{
  gpointer args[] = { model, GUINT_TO_POINTER (n) };

  g_assert_true (test_iterate_until (n_items_is, args, 10000));
}

static MatrixRoom *
room_of (MatrixRoomStateTracker *tracker,
         const char             *room_id)
{
  MatrixRoom *room = matrix_room_state_tracker_get_room (tracker, room_id);

  g_assert_nonnull (room);
  return room;
}

static void
test_room_timeline_on_open (Fixture       *fixture,
                            gconstpointer  data)
{
  g_autoptr(MatrixStore) store = open_lazy (fixture->dir);
  g_autoptr(MatrixClient) client = matrix_client_new ("http://127.0.0.1:1", store);
  g_autoptr(MatrixRoomStateTracker) tracker = matrix_room_state_tracker_new (client);
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  MatrixRoom *named;
  GListModel *timeline;

  /* The list shows the room from what was read at open. */
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (tracker)), ==, 3);
  named = room_of (tracker, "!named:x");
  g_assert_cmpstr (matrix_room_get_display_name (named), ==, "Lunch");
  g_assert_cmpstr (matrix_room_get_last_message (named), ==, "Carol: message 5");
  g_assert_cmpint (matrix_room_get_last_activity (named), ==, 1005);
  g_assert_cmpstr (matrix_room_get_display_name (room_of (tracker, "!heroes:x")), ==,
                   "Bob and 1 other");
  timeline = G_LIST_MODEL (matrix_room_get_timeline (named));
  g_assert_cmpuint (g_list_model_get_n_items (timeline), ==, 0);

  /* Opened: its cached timeline fills in. */
  matrix_room_load_async (named, NULL, store_result, &result);
  wait_for_pointer ((gpointer *) &result, 10000);
  g_assert_true (matrix_room_load_finish (named, result, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (g_list_model_get_n_items (timeline), ==, 6);
  g_assert_cmpstr (matrix_room_get_last_message (named), ==, "Carol: message 5");
}

static const char sync2[] =
  "{\"next_batch\": \"s2\", \"rooms\": {\"join\": {\"!named:x\": {"
  "  \"timeline\": {\"events\": ["
  "    {\"type\": \"m.room.member\", \"state_key\": \"@bob:x\", \"sender\": \"@bob:x\","
  "     \"content\": {\"membership\": \"join\", \"displayname\": \"Robert\"},"
  "     \"event_id\": \"$rename\", \"origin_server_ts\": 2000},"
  "    {\"type\": \"m.room.message\", \"sender\": \"@bob:x\","
  "     \"content\": {\"msgtype\": \"m.text\", \"body\": \"new\"}, \"event_id\": \"$new\","
  "     \"origin_server_ts\": 2001}],"
  "   \"limited\": false}}}}}";

static void
test_sync_on_partial_room (Fixture       *fixture,
                           gconstpointer  data)
{
  g_autoptr(FakeHomeserver) server = fake_homeserver_new ();
  g_autoptr(MatrixStore) store = open_lazy (fixture->dir);
  g_autoptr(MatrixClient) client = NULL;
  g_autoptr(MatrixRoomStateTracker) tracker = NULL;
  g_autoptr(MatrixStateEvent) bob = NULL;
  g_autoptr(MatrixStateEvent) carol = NULL;
  g_autofree char *ids = NULL;
  MatrixRoom *named;
  GListModel *timeline;

  matrix_store_set_value (store, MATRIX_STORE_KEY_ACCESS_TOKEN, "token");
  client = matrix_client_new (fake_homeserver_get_url (server), store);
  tracker = matrix_room_state_tracker_new (client);
  named = room_of (tracker, "!named:x");
  timeline = G_LIST_MODEL (matrix_room_get_timeline (named));
  g_assert_false (matrix_store_is_room_loaded (store, "!named:x"));

  /* The response is applied once the room is whole: the cached timeline
   * comes first, the new events after it, and older state does not win
   * over the new. */
  sync_once (server, client, "s1", sync2);
  g_assert_true (matrix_store_is_room_loaded (store, "!named:x"));
  g_assert_cmpstr (matrix_store_get_sync_token (store), ==, "s2");
  ids = timeline_ids (store, "!named:x");
  g_assert_cmpstr (ids, ==, "$t1 $t2 $t3 $t4 $t5 $member6 $rename $new");
  g_assert_cmpuint (g_list_model_get_n_items (timeline), ==, 8);
  bob = matrix_store_get_state_event (store, "!named:x", "m.room.member", "@bob:x");
  g_assert_cmpstr (matrix_event_get_content_string (MATRIX_EVENT (bob), "displayname"), ==, "Robert");
  carol = matrix_store_get_state_event (store, "!named:x", "m.room.member", "@carol:x");
  g_assert_nonnull (carol);
  g_assert_cmpstr (matrix_room_get_last_message (named), ==, "Robert: new");
  wait_for_items (G_LIST_MODEL (tracker), 3);

  g_clear_object (&tracker);
  g_clear_object (&client);
  close_store (&store);

  store = open_whole (fixture->dir);
  g_free (ids);
  ids = timeline_ids (store, "!named:x");
  g_assert_cmpstr (ids, ==, "$t1 $t2 $t3 $t4 $t5 $member6 $rename $new");
  close_store (&store);
}

/* A room the store has not loaded may lack m.room.encryption in memory: a
 * send reads the room first, and is refused without a request. */
static void
test_encrypted_partial_room (Fixture       *fixture,
                             gconstpointer  data)
{
  g_autoptr(FakeHomeserver) server = fake_homeserver_new ();
  g_autoptr(MatrixStore) store = open_whole (fixture->dir);
  g_autoptr(MatrixClient) client = NULL;
  g_autoptr(MatrixRoomStateTracker) tracker = NULL;
  g_autoptr(JsonObject) content = json_object_new ();
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *event_id = NULL;
  MatrixRoom *named;

  set_state (store, "!named:x",
             "{\"type\": \"m.room.create\", \"state_key\": \"\", \"sender\": \"@bob:x\","
             " \"content\": {}, \"event_id\": \"$create\", \"origin_server_ts\": 1}");
  set_state (store, "!named:x",
             "{\"type\": \"m.room.encryption\", \"state_key\": \"\", \"sender\": \"@bob:x\","
             " \"content\": {\"algorithm\": \"m.megolm.v1.aes-sha2\"}, \"event_id\": \"$enc\","
             " \"origin_server_ts\": 2}");
  commit (store, "s1");
  close_store (&store);

  store = open_lazy (fixture->dir);
  matrix_store_set_value (store, MATRIX_STORE_KEY_ACCESS_TOKEN, "token");
  client = matrix_client_new (fake_homeserver_get_url (server), store);
  tracker = matrix_room_state_tracker_new (client);
  named = room_of (tracker, "!named:x");
  g_assert_false (matrix_store_is_room_loaded (store, "!named:x"));
  g_assert_false (matrix_room_get_encrypted (named));

  json_object_set_string_member (content, "msgtype", "m.text");
  json_object_set_string_member (content, "body", "a secret");
  matrix_client_send_event_async (client, "!named:x", "m.room.message", content, NULL, NULL,
                                  store_result, &result);
  wait_for_pointer ((gpointer *) &result, 10000);
  event_id = matrix_client_send_event_finish (client, result, &error);
  g_assert_null (event_id);
  g_assert_error (error, MATRIX_ERROR, MATRIX_ERROR_ROOM_ENCRYPTED);
  g_assert_cmpuint (fake_homeserver_get_requests (server)->len, ==, 0);

  /* Read whole for it, the room says so too. */
  g_assert_true (matrix_store_is_room_loaded (store, "!named:x"));
  g_assert_true (matrix_room_get_encrypted (named));

  g_clear_object (&result);
  g_clear_object (&tracker);
  g_clear_object (&client);
  close_store (&store);
}

/* --- relations ------------------------------------------------------------- */

/* An edit, reactions (one redacted), a thread reply, a reply, and an edit
 * redacted: the redacted copies are stored, and must stay out of the rows
 * after a restart as their originals were. */
static const char relations_sync[] =
  "{\"next_batch\": \"s2\", \"rooms\": {\"join\": {\"!named:x\": {"
  "  \"timeline\": {\"events\": ["
  "    {\"type\": \"m.room.message\", \"sender\": \"@bob:x\", \"event_id\": \"$edit\","
  "     \"origin_server_ts\": 2000, \"content\": {\"msgtype\": \"m.text\", \"body\": \"* edited\","
  "     \"m.new_content\": {\"msgtype\": \"m.text\", \"body\": \"message 1, edited\"},"
  "     \"m.relates_to\": {\"rel_type\": \"m.replace\", \"event_id\": \"$t1\"}}},"
  "    {\"type\": \"m.reaction\", \"sender\": \"@bob:x\", \"event_id\": \"$ra\", \"origin_server_ts\": 2001,"
  "     \"content\": {\"m.relates_to\": {\"rel_type\": \"m.annotation\", \"event_id\": \"$t2\", \"key\": \"+1\"}}},"
  "    {\"type\": \"m.reaction\", \"sender\": \"@me:x\", \"event_id\": \"$rb\", \"origin_server_ts\": 2002,"
  "     \"content\": {\"m.relates_to\": {\"rel_type\": \"m.annotation\", \"event_id\": \"$t2\", \"key\": \"+1\"}}},"
  "    {\"type\": \"m.reaction\", \"sender\": \"@carol:x\", \"event_id\": \"$rc\", \"origin_server_ts\": 2003,"
  "     \"content\": {\"m.relates_to\": {\"rel_type\": \"m.annotation\", \"event_id\": \"$t2\", \"key\": \"-1\"}}},"
  "    {\"type\": \"m.room.redaction\", \"sender\": \"@carol:x\", \"event_id\": \"$rd\", \"origin_server_ts\": 2004,"
  "     \"content\": {\"redacts\": \"$rc\"}},"
  "    {\"type\": \"m.room.message\", \"sender\": \"@bob:x\", \"event_id\": \"$edit2\","
  "     \"origin_server_ts\": 2010, \"content\": {\"msgtype\": \"m.text\", \"body\": \"* oops\","
  "     \"m.new_content\": {\"msgtype\": \"m.text\", \"body\": \"oops\"},"
  "     \"m.relates_to\": {\"rel_type\": \"m.replace\", \"event_id\": \"$t1\"}}},"
  "    {\"type\": \"m.room.redaction\", \"sender\": \"@bob:x\", \"event_id\": \"$rd2\", \"origin_server_ts\": 2011,"
  "     \"content\": {\"redacts\": \"$edit2\"}},"
  "    {\"type\": \"m.room.message\", \"sender\": \"@carol:x\", \"event_id\": \"$th\", \"origin_server_ts\": 2005,"
  "     \"content\": {\"msgtype\": \"m.text\", \"body\": \"in a thread\","
  "     \"m.relates_to\": {\"rel_type\": \"m.thread\", \"event_id\": \"$t3\"}}},"
  "    {\"type\": \"m.room.message\", \"sender\": \"@carol:x\", \"event_id\": \"$reply\", \"origin_server_ts\": 2006,"
  "     \"content\": {\"msgtype\": \"m.text\", \"body\": \"answer\","
  "     \"m.relates_to\": {\"m.in_reply_to\": {\"event_id\": \"$t4\"}}}}],"
  "   \"limited\": false}}}}}";

static MatrixTimelineItem *
item_of (GListModel *timeline,
         const char *event_id)
{
  for (guint i = 0; i < g_list_model_get_n_items (timeline); i++)
    {
      g_autoptr(MatrixTimelineItem) item = g_list_model_get_item (timeline, i);

      if (g_strcmp0 (matrix_timeline_item_get_event_id (item), event_id) == 0)
        return item;  /* the timeline keeps it */
    }
  g_assert_not_reached ();
}

/* What the relations of the sync above show, in one line. */
static char *
describe_relations (GListModel *timeline)
{
  g_autoptr(GString) out = g_string_new (NULL);
  GListModel *reactions = matrix_timeline_item_get_reactions (item_of (timeline, "$t2"));
  MatrixTimelineItem *reply = item_of (timeline, "$reply");

  for (guint i = 0; i < g_list_model_get_n_items (timeline); i++)
    {
      g_autoptr(MatrixTimelineItem) item = g_list_model_get_item (timeline, i);

      g_string_append_printf (out, "%s ", matrix_timeline_item_get_event_id (item));
    }
  g_string_append_printf (out, "| %s |", matrix_timeline_item_get_body (item_of (timeline, "$t1")));
  for (guint i = 0; i < g_list_model_get_n_items (reactions); i++)
    {
      g_autoptr(MatrixReaction) reaction = g_list_model_get_item (reactions, i);

      g_string_append_printf (out, " %s:%u:%s", matrix_reaction_get_key (reaction),
                              matrix_reaction_get_count (reaction),
                              matrix_reaction_get_own_event_id (reaction));
    }
  g_string_append_printf (out, " | thread %u | reply to %s",
                          matrix_timeline_item_get_thread_count (item_of (timeline, "$t3")),
                          matrix_timeline_item_get_reply_state (reply) == MATRIX_REPLY_STATE_LOADED
                            ? matrix_timeline_item_get_event_id (matrix_timeline_item_get_in_reply_to (reply))
                            : "?");
  return g_string_free (g_steal_pointer (&out), FALSE);
}

#define RELATIONS_SHOWN \
  "$t1 $t2 $t3 $t4 $t5 $member6 $reply | message 1, edited | +1:2:$rb | thread 1 | reply to $t4"

static void
test_relations_rebuilt (Fixture       *fixture,
                        gconstpointer  data)
{
  g_autoptr(FakeHomeserver) server = fake_homeserver_new ();
  g_autoptr(MatrixStore) store = open_lazy (fixture->dir);
  g_autoptr(MatrixClient) client = NULL;
  g_autoptr(MatrixRoomStateTracker) tracker = NULL;
  g_autoptr(GAsyncResult) result = NULL;
  g_autofree char *shown = NULL;
  MatrixRoom *named;
  GListModel *timeline;

  matrix_store_set_value (store, MATRIX_STORE_KEY_ACCESS_TOKEN, "token");
  client = matrix_client_new (fake_homeserver_get_url (server), store);
  tracker = matrix_room_state_tracker_new (client);
  sync_once (server, client, "s1", relations_sync);
  named = room_of (tracker, "!named:x");
  timeline = G_LIST_MODEL (matrix_room_get_timeline (named));
  shown = describe_relations (timeline);
  g_assert_cmpstr (shown, ==, RELATIONS_SHOWN);

  wait_for_items (G_LIST_MODEL (tracker), 3);
  g_clear_object (&tracker);
  g_clear_object (&client);
  close_store (&store);

  /* Opened lazily again: the relations are stored as the events they are,
   * and counted again when the room loads. */
  store = open_lazy (fixture->dir);
  client = matrix_client_new ("http://127.0.0.1:1", store);
  tracker = matrix_room_state_tracker_new (client);
  named = room_of (tracker, "!named:x");
  timeline = G_LIST_MODEL (matrix_room_get_timeline (named));
  g_assert_cmpuint (g_list_model_get_n_items (timeline), ==, 0);
  matrix_room_load_async (named, NULL, store_result, &result);
  wait_for_pointer ((gpointer *) &result, 10000);
  g_assert_true (matrix_room_load_finish (named, result, NULL));
  g_clear_object (&result);
  g_free (shown);
  shown = describe_relations (timeline);
  g_assert_cmpstr (shown, ==, RELATIONS_SHOWN);
  g_clear_object (&tracker);
  g_clear_object (&client);
  close_store (&store);

  /* And read whole at open. */
  store = open_whole (fixture->dir);
  client = matrix_client_new ("http://127.0.0.1:1", store);
  tracker = matrix_room_state_tracker_new (client);
  timeline = G_LIST_MODEL (matrix_room_get_timeline (room_of (tracker, "!named:x")));
  g_free (shown);
  shown = describe_relations (timeline);
  g_assert_cmpstr (shown, ==, RELATIONS_SHOWN);
  g_clear_object (&tracker);
  g_clear_object (&client);
  close_store (&store);
}

/* --- list summaries ------------------------------------------------------- */

/* What a room list shows of a room, as one line. */
static char *
list_line (MatrixRoom *room)
{
  return g_strdup_printf ("%s | %s | %s | %s | %" G_GINT64_FORMAT " | %s | %u %u | %d",
                          matrix_room_get_display_name (room),
                          matrix_room_get_topic (room),
                          matrix_room_get_avatar_url (room),
                          matrix_room_get_last_message (room),
                          matrix_room_get_last_activity (room),
                          matrix_room_get_inviter (room),
                          matrix_room_get_notification_count (room),
                          matrix_room_get_highlight_count (room),
                          matrix_room_get_membership (room));
}

static int
compare_strings (gconstpointer a,
                 gconstpointer b)
{
  return g_strcmp0 (*(const char * const *) a, *(const char * const *) b);
}

/* Every listed room's line, sorted, after opening the store @lazy or whole;
 * with @load, once every room is loaded, then committed (which writes the
 * summaries of the rooms that were not loaded before). */
static char *
list_lines (const char *dir,
            gboolean    lazy,
            gboolean    load)
{
  g_autoptr(MatrixStore) store = lazy ? open_lazy (dir) : open_whole (dir);
  g_autoptr(MatrixClient) client = matrix_client_new ("http://127.0.0.1:1", store);
  g_autoptr(MatrixRoomStateTracker) tracker = matrix_room_state_tracker_new (client);
  g_autoptr(GPtrArray) lines = g_ptr_array_new_with_free_func (g_free);
  GListModel *model = G_LIST_MODEL (tracker);
  g_autofree char *joined = NULL;

  for (guint i = 0; load && i < g_list_model_get_n_items (model); i++)
    {
      g_autoptr(MatrixRoom) room = g_list_model_get_item (model, i);
      g_autoptr(GAsyncResult) result = NULL;

      matrix_room_load_async (room, NULL, store_result, &result);
      wait_for_pointer ((gpointer *) &result, 10000);
      g_assert_true (matrix_room_load_finish (room, result, NULL));
    }

  for (guint i = 0; i < g_list_model_get_n_items (model); i++)
    {
      g_autoptr(MatrixRoom) room = g_list_model_get_item (model, i);
      g_autofree char *line = list_line (room);

      g_ptr_array_add (lines, g_strconcat (matrix_room_get_room_id (room), ": ", line, NULL));
    }
  g_ptr_array_sort (lines, compare_strings);
  g_ptr_array_add (lines, NULL);
  joined = g_strjoinv ("\n", (char **) lines->pdata);

  if (load)
    commit (store, matrix_store_get_sync_token (store));
  g_clear_object (&tracker);
  g_clear_object (&client);
  close_store (&store);
  return g_steal_pointer (&joined);
}

static guint
count_rows (const char *dir,
            const char *sql)
{
  g_autofree char *db_path = g_build_filename (dir, "matrix.db", NULL);
  sqlite3 *db = NULL;
  sqlite3_stmt *stmt = NULL;
  guint n;

  g_assert_cmpint (sqlite3_open (db_path, &db), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_prepare_v2 (db, sql, -1, &stmt, NULL), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_step (stmt), ==, SQLITE_ROW);
  n = sqlite3_column_int (stmt, 0);
  sqlite3_finalize (stmt);
  sqlite3_close (db);
  return n;
}

static void
exec_on (const char *dir,
         const char *sql)
{
  g_autofree char *db_path = g_build_filename (dir, "matrix.db", NULL);
  sqlite3 *db = NULL;

  g_assert_cmpint (sqlite3_open (db_path, &db), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_exec (db, sql, NULL, NULL, NULL), ==, SQLITE_OK);
  sqlite3_close (db);
}

/* A namesake of Bob in !heroes:x, whom the list part does not read: the
 * room's name differs once all its members are known. */
static void
add_namesake (const char *dir)
{
  g_autoptr(MatrixStore) store = open_whole (dir);
  g_autofree char *json = member_json ("@bob2:x", "Bob", 50);

  set_state (store, "!heroes:x", json);
  commit (store, "s1");
  close_store (&store);
}

static void
test_summary_written_and_read (Fixture       *fixture,
                               gconstpointer  data)
{
  g_autofree char *whole = NULL;
  g_autofree char *partial = NULL;
  g_autofree char *loaded = NULL;
  g_autofree char *from_summaries = NULL;
  g_autoptr(MatrixStore) store = NULL;
  g_autoptr(JsonObject) summary = NULL;
  g_autoptr(MatrixStateEvent) name = NULL;
  g_autoptr(GPtrArray) timeline = NULL;

  add_namesake (fixture->dir);
  /* What a full load shows; the store written by hand has no summaries. */
  whole = list_lines (fixture->dir, FALSE, FALSE);
  g_assert_cmpuint (count_rows (fixture->dir, "SELECT count(*) FROM room_summaries"), ==, 0);
  g_assert_nonnull (strstr (whole, "!heroes:x: Bob (@bob:x) and 1 other | "));
  g_assert_nonnull (strstr (whole, "!named:x: Lunch | (null) | (null) | Carol: message 5 | 1005"));

  /* A whole open, restored loaded, gives every room its summary... */
  g_assert_cmpuint (count_rows (fixture->dir, "SELECT count(*) FROM room_summaries"), ==, 0);
  g_free (whole);
  whole = list_lines (fixture->dir, FALSE, TRUE);
  g_assert_cmpuint (count_rows (fixture->dir, "SELECT count(*) FROM room_summaries"), ==, 3);

  /* ...which a lazy open reads instead of any state or event. */
  store = open_lazy (fixture->dir);
  g_assert_false (matrix_store_is_room_loaded (store, "!named:x"));
  g_assert_false (matrix_store_is_room_loaded (store, "!heroes:x"));
  g_assert_false (matrix_store_is_room_loaded (store, "!bare:x"));
  name = matrix_store_get_state_event (store, "!named:x", "m.room.name", "");
  g_assert_null (name);
  g_assert_false (has_member (store, "!heroes:x", "@bob:x"));
  timeline = matrix_store_get_timeline_events (store, "!named:x");
  g_assert_cmpuint (timeline->len, ==, 0);
  summary = matrix_store_get_list_summary (store, "!named:x");
  g_assert_nonnull (summary);
  g_assert_cmpstr (json_object_get_string_member (summary, "display_name"), ==, "Lunch");
  close_store (&store);

  /* The list shows exactly what the full load did, before and after the
   * rooms are loaded. */
  from_summaries = list_lines (fixture->dir, TRUE, FALSE);
  g_assert_cmpstr (from_summaries, ==, whole);
  loaded = list_lines (fixture->dir, TRUE, TRUE);
  g_assert_cmpstr (loaded, ==, whole);

  /* Without summaries the list part names the namesakes' room as it can. */
  exec_on (fixture->dir, "DELETE FROM room_summaries");
  partial = list_lines (fixture->dir, TRUE, FALSE);
  g_assert_nonnull (strstr (partial, "!heroes:x: Bob and 1 other | "));
}

/* A room loaded by the app gets its summary with the next commit; rooms
 * listed the long way do not, as what they show may be incomplete. */
static void
test_summary_filled_when_loaded (Fixture       *fixture,
                                 gconstpointer  data)
{
  g_autoptr(MatrixStore) store = NULL;
  g_autoptr(MatrixClient) client = NULL;
  g_autoptr(MatrixRoomStateTracker) tracker = NULL;
  g_autoptr(GAsyncResult) result = NULL;
  g_autofree char *whole = NULL;
  g_autofree char *lazy = NULL;

  add_namesake (fixture->dir);
  whole = list_lines (fixture->dir, FALSE, FALSE);

  store = open_lazy (fixture->dir);
  client = matrix_client_new ("http://127.0.0.1:1", store);
  tracker = matrix_room_state_tracker_new (client);
  commit (store, "s1");
  /* !bare:x was read whole, so it is summed up at once. */
  g_assert_cmpuint (count_rows (fixture->dir, "SELECT count(*) FROM room_summaries"), ==, 1);
  g_assert_cmpuint (count_rows (fixture->dir, "SELECT count(*) FROM room_summaries "
                                "WHERE room_id = '!bare:x'"), ==, 1);

  matrix_room_load_async (room_of (tracker, "!heroes:x"), NULL, store_result, &result);
  wait_for_pointer ((gpointer *) &result, 10000);
  g_assert_true (matrix_room_load_finish (room_of (tracker, "!heroes:x"), result, NULL));
  g_assert_cmpstr (matrix_room_get_display_name (room_of (tracker, "!heroes:x")), ==,
                   "Bob (@bob:x) and 1 other");
  commit (store, "s1");
  g_assert_cmpuint (count_rows (fixture->dir, "SELECT count(*) FROM room_summaries "
                                "WHERE room_id = '!heroes:x' AND "
                                "display_name = 'Bob (@bob:x) and 1 other'"), ==, 1);
  g_assert_cmpuint (count_rows (fixture->dir, "SELECT count(*) FROM room_summaries"), ==, 2);
  g_clear_object (&result);
  g_clear_object (&tracker);
  g_clear_object (&client);
  close_store (&store);

  /* Two rooms from their summary, one the long way: the same list. */
  lazy = list_lines (fixture->dir, TRUE, FALSE);
  g_assert_cmpstr (lazy, ==, whole);
}

/* A sync updates the summary in the transaction that moves the token. */
static void
test_summary_follows_sync (Fixture       *fixture,
                           gconstpointer  data)
{
  g_autoptr(FakeHomeserver) server = fake_homeserver_new ();
  g_autoptr(MatrixStore) store = NULL;
  g_autoptr(MatrixClient) client = NULL;
  g_autoptr(MatrixRoomStateTracker) tracker = NULL;
  g_autofree char *first = list_lines (fixture->dir, FALSE, TRUE);
  g_autofree char *whole = NULL;
  g_autofree char *lazy = NULL;
  MatrixRoom *named;

  store = open_lazy (fixture->dir);
  g_assert_false (matrix_store_is_room_loaded (store, "!named:x"));
  matrix_store_set_value (store, MATRIX_STORE_KEY_ACCESS_TOKEN, "token");
  client = matrix_client_new (fake_homeserver_get_url (server), store);
  tracker = matrix_room_state_tracker_new (client);
  named = room_of (tracker, "!named:x");
  g_assert_cmpstr (matrix_room_get_last_message (named), ==, "Carol: message 5");

  sync_once (server, client, "s1", sync2);
  g_assert_cmpstr (matrix_store_get_sync_token (store), ==, "s2");
  g_assert_cmpstr (matrix_room_get_last_message (named), ==, "Robert: new");
  g_assert_cmpuint (count_rows (fixture->dir, "SELECT count(*) FROM room_summaries "
                                "WHERE room_id = '!named:x' AND last_message = 'Robert: new' "
                                "AND last_activity = 2001"), ==, 1);
  g_clear_object (&tracker);
  g_clear_object (&client);
  close_store (&store);

  whole = list_lines (fixture->dir, FALSE, FALSE);
  g_assert_cmpstr (whole, !=, first);
  lazy = list_lines (fixture->dir, TRUE, FALSE);
  g_assert_cmpstr (lazy, ==, whole);
}

static const char sync_redaction[] =
  "{\"next_batch\": \"s2\", \"rooms\": {\"join\": {\"!named:x\": {"
  "  \"timeline\": {\"events\": ["
  "    {\"type\": \"m.room.redaction\", \"sender\": \"@carol:x\", \"redacts\": \"$t5\","
  "     \"content\": {}, \"event_id\": \"$redaction\", \"origin_server_ts\": 3000}],"
  "   \"limited\": false}}}}}";

/* A redaction of the newest message changes the preview, and the summary. */
static void
test_summary_follows_redaction (Fixture       *fixture,
                                gconstpointer  data)
{
  g_autoptr(FakeHomeserver) server = fake_homeserver_new ();
  g_autoptr(MatrixStore) store = NULL;
  g_autoptr(MatrixClient) client = NULL;
  g_autoptr(MatrixRoomStateTracker) tracker = NULL;
  g_autofree char *first = list_lines (fixture->dir, FALSE, TRUE);
  g_autofree char *whole = NULL;
  g_autofree char *lazy = NULL;

  store = open_lazy (fixture->dir);
  matrix_store_set_value (store, MATRIX_STORE_KEY_ACCESS_TOKEN, "token");
  client = matrix_client_new (fake_homeserver_get_url (server), store);
  tracker = matrix_room_state_tracker_new (client);
  sync_once (server, client, "s1", sync_redaction);
  g_assert_cmpstr (matrix_room_get_last_message (room_of (tracker, "!named:x")), ==,
                   "Bob: message 4");
  g_clear_object (&tracker);
  g_clear_object (&client);
  close_store (&store);
  g_assert_cmpuint (count_rows (fixture->dir, "SELECT count(*) FROM room_summaries "
                                "WHERE room_id = '!named:x' AND last_message = 'Bob: message 4'"),
                    ==, 1);

  whole = list_lines (fixture->dir, FALSE, FALSE);
  lazy = list_lines (fixture->dir, TRUE, FALSE);
  g_assert_cmpstr (lazy, ==, whole);
  g_assert_cmpstr (lazy, !=, first);
}

/* A summary of another format, or a damaged one, is passed over: the room
 * is listed from its state and events, as it was before summaries. */
static void
test_summary_bad_rows (Fixture       *fixture,
                       gconstpointer  data)
{
  g_autofree char *whole = list_lines (fixture->dir, FALSE, TRUE);
  g_autofree char *lazy = NULL;
  g_autoptr(MatrixStore) store = NULL;
  g_autoptr(MatrixStateEvent) name = NULL;
  g_autoptr(JsonObject) kept = NULL;

  exec_on (fixture->dir, "UPDATE room_summaries SET format = 99 WHERE room_id = '!named:x';"
           "UPDATE room_summaries SET last_activity = 'soon' WHERE room_id = '!heroes:x'");
  store = open_lazy (fixture->dir);
  g_assert_null (matrix_store_get_list_summary (store, "!named:x"));
  g_assert_null (matrix_store_get_list_summary (store, "!heroes:x"));
  kept = matrix_store_get_list_summary (store, "!bare:x");
  g_assert_nonnull (kept);
  name = matrix_store_get_state_event (store, "!named:x", "m.room.name", "");
  g_assert_nonnull (name);
  g_assert_true (has_member (store, "!heroes:x", "@erin:x"));
  close_store (&store);

  lazy = list_lines (fixture->dir, TRUE, FALSE);
  g_assert_cmpstr (lazy, ==, whole);
}

static void
test_summary_forgotten (Fixture       *fixture,
                        gconstpointer  data)
{
  g_autoptr(MatrixStore) store = open_lazy (fixture->dir);
  g_auto(GStrv) room_ids = NULL;

  matrix_store_forget_room (store, "!named:x");
  g_assert_null (matrix_store_get_list_summary (store, "!named:x"));
  commit (store, "s2");
  close_store (&store);
  g_assert_cmpuint (count_rows (fixture->dir, "SELECT count(*) FROM room_summaries "
                                "WHERE room_id = '!named:x'"), ==, 0);

  store = open_lazy (fixture->dir);
  room_ids = matrix_store_get_room_ids (store);
  g_assert_false (g_strv_contains ((const char * const *) room_ids, "!named:x"));
  g_assert_cmpuint (g_strv_length (room_ids), ==, 2);
  close_store (&store);
}

/* A store of schema version 1 gains the table, empty; its rooms are listed
 * the long way until they are loaded, then from their summary. */
static void
test_summary_after_migration (void)
{
  g_autofree char *dir = g_dir_make_tmp ("confab-lazy-XXXXXX", NULL);
  g_autofree char *fixture = g_test_build_filename (G_TEST_DIST, "sqlite-store", "content-v1.sql",
                                                    NULL);
  g_autofree char *sql = NULL;
  g_autofree char *whole = NULL;
  g_autofree char *before = NULL;
  g_autofree char *after = NULL;
  g_autoptr(MatrixStore) store = NULL;

  g_assert_true (g_file_get_contents (fixture, &sql, NULL, NULL));
  exec_on (dir, sql);
  g_assert_cmpuint (count_rows (dir, "PRAGMA user_version"), ==, 1);

  before = list_lines (dir, TRUE, FALSE);
  g_assert_cmpuint (count_rows (dir, "PRAGMA user_version"), ==, MATRIX_SQLITE_STORE_SCHEMA_VERSION);
  g_assert_cmpuint (count_rows (dir, "SELECT count(*) FROM room_summaries"), ==, 0);
  g_assert_cmpstr (before, ==, "!room:example.org: Empty Room | Stuff | (null) | "
                   "@alice:example.org: world | 1432735824800 | (null) | 1 0 | 0");

  whole = list_lines (dir, TRUE, TRUE);
  g_assert_cmpuint (count_rows (dir, "SELECT count(*) FROM room_summaries"), ==, 1);
  store = open_lazy (dir);
  g_assert_false (matrix_store_is_room_loaded (store, "!room:example.org"));
  g_assert_cmpstr (matrix_store_get_sync_token (store), ==, "s72595_4483_1934");
  close_store (&store);
  after = list_lines (dir, TRUE, FALSE);
  g_assert_cmpstr (after, ==, whole);

  remove_tree (dir);
}

/* The rooms' order after opening the store @lazy or whole. */
static char *
list_order (const char *dir,
            gboolean    lazy)
{
  g_autoptr(MatrixStore) store = lazy ? open_lazy (dir) : open_whole (dir);
  g_autoptr(MatrixClient) client = matrix_client_new ("http://127.0.0.1:1", store);
  g_autoptr(MatrixRoomStateTracker) tracker = matrix_room_state_tracker_new (client);
  g_autoptr(GString) order = g_string_new (NULL);
  GListModel *model = G_LIST_MODEL (tracker);

  for (guint i = 0; i < g_list_model_get_n_items (model); i++)
    {
      g_autoptr(MatrixRoom) room = g_list_model_get_item (model, i);

      g_string_append_printf (order, "%s%s", i > 0 ? " " : "", matrix_room_get_room_id (room));
    }

  g_clear_object (&tracker);
  g_clear_object (&client);
  close_store (&store);
  return g_string_free (g_steal_pointer (&order), FALSE);
}

static const char bump_sync1[] =
  "{\"next_batch\": \"s1\", \"rooms\": {\"join\": {"
  " \"!old:x\": {\"state\": {\"events\": ["
  "   {\"type\": \"m.room.name\", \"state_key\": \"\", \"sender\": \"@bob:x\","
  "    \"content\": {\"name\": \"Old\"}, \"event_id\": \"$oldname\", \"origin_server_ts\": 1},"
  "   {\"type\": \"m.room.member\", \"state_key\": \"@bob:x\", \"sender\": \"@bob:x\","
  "    \"content\": {\"membership\": \"join\", \"displayname\": \"Bob\"},"
  "    \"event_id\": \"$bob\", \"origin_server_ts\": 1}]},"
  "  \"timeline\": {\"events\": ["
  "   {\"type\": \"m.room.message\", \"sender\": \"@bob:x\", \"event_id\": \"$old\","
  "    \"origin_server_ts\": 1000, \"content\": {\"msgtype\": \"m.text\", \"body\": \"old\"}}],"
  "   \"limited\": false}},"
  " \"!new:x\": {\"timeline\": {\"events\": ["
  "   {\"type\": \"m.room.message\", \"sender\": \"@carol:x\", \"event_id\": \"$new\","
  "    \"origin_server_ts\": 2000, \"content\": {\"msgtype\": \"m.text\", \"body\": \"new\"}}],"
  "   \"limited\": false}}}}}";

/* In the older room Bob renames himself and edits his message later than
 * the other room's message. */
static const char bump_sync2[] =
  "{\"next_batch\": \"s2\", \"rooms\": {\"join\": {"
  " \"!old:x\": {\"timeline\": {\"events\": ["
  "   {\"type\": \"m.room.member\", \"state_key\": \"@bob:x\", \"sender\": \"@bob:x\","
  "    \"content\": {\"membership\": \"join\", \"displayname\": \"Robert\"},"
  "    \"unsigned\": {\"prev_content\": {\"membership\": \"join\", \"displayname\": \"Bob\"}},"
  "    \"event_id\": \"$rename\", \"origin_server_ts\": 3000},"
  "   {\"type\": \"m.room.message\", \"sender\": \"@bob:x\", \"event_id\": \"$edit\","
  "    \"origin_server_ts\": 3001, \"content\": {\"msgtype\": \"m.text\", \"body\": \"* older\","
  "     \"m.new_content\": {\"msgtype\": \"m.text\", \"body\": \"older\"},"
  "     \"m.relates_to\": {\"rel_type\": \"m.replace\", \"event_id\": \"$old\"}}}],"
  "   \"limited\": false}}}}}";

/* A profile change does not put a room above one with a newer message, in
 * the list of a store opened whole, from its summaries, or the long way;
 * nor does a summary of the older format, which counted it. */
static void
test_profile_change_keeps_order (void)
{
  g_autofree char *dir = g_dir_make_tmp ("confab-lazy-XXXXXX", NULL);
  g_autoptr(FakeHomeserver) server = fake_homeserver_new ();
  g_autoptr(MatrixStore) store = open_whole (dir);
  g_autoptr(MatrixClient) client = NULL;
  g_autoptr(MatrixRoomStateTracker) tracker = NULL;
  g_autofree char *whole = NULL;
  g_autofree char *summed = NULL;
  g_autofree char *old_format = NULL;
  g_autofree char *long_way = NULL;

  matrix_store_set_value (store, MATRIX_STORE_KEY_USER_ID, OWN);
  matrix_store_set_value (store, MATRIX_STORE_KEY_HOMESERVER, "http://127.0.0.1:1");
  matrix_store_set_value (store, MATRIX_STORE_KEY_ACCESS_TOKEN, "token");
  client = matrix_client_new (fake_homeserver_get_url (server), store);
  tracker = matrix_room_state_tracker_new (client);
  sync_once (server, client, NULL, bump_sync1);
  sync_once (server, client, "s1", bump_sync2);
  g_assert_cmpint (matrix_room_get_last_activity (room_of (tracker, "!old:x")), ==, 1000);
  g_clear_object (&tracker);
  g_clear_object (&client);
  close_store (&store);
  g_assert_cmpuint (count_rows (dir, "SELECT count(*) FROM room_summaries WHERE "
                                "room_id = '!old:x' AND last_activity = 1000"), ==, 1);

  whole = list_order (dir, FALSE);
  g_assert_cmpstr (whole, ==, "!new:x !old:x");
  summed = list_order (dir, TRUE);
  g_assert_cmpstr (summed, ==, "!new:x !old:x");

  /* What an older Confab wrote: the rename as the room's activity. */
  exec_on (dir, "UPDATE room_summaries SET format = 1, last_activity = 3001 WHERE room_id = '!old:x'");
  old_format = list_order (dir, TRUE);
  g_assert_cmpstr (old_format, ==, "!new:x !old:x");

  /* Without summaries, the lazy open reads back past the edit to the message. */
  exec_on (dir, "DELETE FROM room_summaries");
  store = open_lazy (dir);
  g_assert_false (matrix_store_is_room_loaded (store, "!old:x"));
  close_store (&store);
  long_way = list_order (dir, TRUE);
  g_assert_cmpstr (long_way, ==, "!new:x !old:x");

  remove_tree (dir);
}

static const char invisible_name_sync[] =
  "{\"next_batch\": \"s1\", \"rooms\": {\"join\": {"
  " \"!dm:x\": {\"summary\": {\"m.heroes\": [\"@bob:x\"], \"m.joined_member_count\": 2,"
  "   \"m.invited_member_count\": 0},"
  "  \"state\": {\"events\": ["
  "   {\"type\": \"m.room.name\", \"state_key\": \"\", \"sender\": \"@bob:x\","
  "    \"content\": {\"name\": \"\u200b\u2060\"}, \"event_id\": \"$name\", \"origin_server_ts\": 1},"
  "   {\"type\": \"m.room.member\", \"state_key\": \"@bob:x\", \"sender\": \"@bob:x\","
  "    \"content\": {\"membership\": \"join\", \"displayname\": \"Bob\"},"
  "    \"event_id\": \"$bob\", \"origin_server_ts\": 1}]},"
  "  \"timeline\": {\"events\": ["
  "   {\"type\": \"m.room.message\", \"sender\": \"@me:x\", \"event_id\": \"$hi\","
  "    \"origin_server_ts\": 1000, \"content\": {\"msgtype\": \"m.text\", \"body\": \"hi\"}}],"
  "   \"limited\": false}}}}}";

/* A room named with nothing visible is named after its heroes, by their
 * display names: the lazy loader reads the members a list name needs by
 * MatrixRoom's own rules, so the long way names it as the whole store does. */
static void
test_invisible_name_long_way (void)
{
  g_autofree char *dir = g_dir_make_tmp ("confab-lazy-XXXXXX", NULL);
  g_autoptr(FakeHomeserver) server = fake_homeserver_new ();
  g_autoptr(MatrixStore) store = open_whole (dir);
  g_autoptr(MatrixClient) client = NULL;
  g_autoptr(MatrixRoomStateTracker) tracker = NULL;
  g_autofree char *whole = NULL;
  g_autofree char *long_way = NULL;

  matrix_store_set_value (store, MATRIX_STORE_KEY_USER_ID, OWN);
  matrix_store_set_value (store, MATRIX_STORE_KEY_HOMESERVER, "http://127.0.0.1:1");
  matrix_store_set_value (store, MATRIX_STORE_KEY_ACCESS_TOKEN, "token");
  client = matrix_client_new (fake_homeserver_get_url (server), store);
  tracker = matrix_room_state_tracker_new (client);
  sync_once (server, client, NULL, invisible_name_sync);
  g_assert_cmpstr (matrix_room_get_display_name (room_of (tracker, "!dm:x")), ==, "Bob");
  g_clear_object (&tracker);
  g_clear_object (&client);
  close_store (&store);

  whole = list_lines (dir, FALSE, FALSE);
  g_assert_true (g_str_has_prefix (whole, "!dm:x: Bob |"));
  exec_on (dir, "DELETE FROM room_summaries");
  long_way = list_lines (dir, TRUE, FALSE);
  g_assert_cmpstr (long_way, ==, whole);

  remove_tree (dir);
}

/* The preview shows an edit applied, never the edit itself, in the list of
 * a store opened whole, from its summaries, or the long way. */
static void
test_preview_with_edit (void)
{
  g_autofree char *dir = g_dir_make_tmp ("confab-lazy-XXXXXX", NULL);
  g_autoptr(FakeHomeserver) server = fake_homeserver_new ();
  g_autoptr(MatrixStore) store = open_whole (dir);
  g_autoptr(MatrixClient) client = NULL;
  g_autoptr(MatrixRoomStateTracker) tracker = NULL;
  g_autofree char *whole = NULL;
  g_autofree char *summed = NULL;
  g_autofree char *long_way = NULL;

  matrix_store_set_value (store, MATRIX_STORE_KEY_USER_ID, OWN);
  matrix_store_set_value (store, MATRIX_STORE_KEY_HOMESERVER, "http://127.0.0.1:1");
  matrix_store_set_value (store, MATRIX_STORE_KEY_ACCESS_TOKEN, "token");
  client = matrix_client_new (fake_homeserver_get_url (server), store);
  tracker = matrix_room_state_tracker_new (client);
  sync_once (server, client, NULL, bump_sync1);
  sync_once (server, client, "s1", bump_sync2);
  g_assert_cmpstr (matrix_room_get_last_message (room_of (tracker, "!old:x")), ==, "Robert: older");
  g_clear_object (&tracker);
  g_clear_object (&client);
  close_store (&store);

  whole = list_lines (dir, FALSE, FALSE);
  g_assert_nonnull (strstr (whole, "!old:x: Old | (null) | (null) | Robert: older | 1000 |"));
  summed = list_lines (dir, TRUE, FALSE);
  g_assert_cmpstr (summed, ==, whole);
  exec_on (dir, "DELETE FROM room_summaries");
  long_way = list_lines (dir, TRUE, FALSE);
  g_assert_cmpstr (long_way, ==, whole);

  remove_tree (dir);
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
  g_test_dbus_up (bus);

#define ADD(path, func) \
  g_test_add (path, Fixture, NULL, fixture_set_up, func, fixture_tear_down)

  ADD ("/matrix/sqlite-store/lazy/list-part-first-then-rest", test_list_part_first);
  ADD ("/matrix/sqlite-store/lazy/writes-while-loading-win", test_writes_while_loading);
  ADD ("/matrix/sqlite-store/lazy/forgotten-while-loading-stays-gone", test_forgotten_while_loading);
  ADD ("/matrix/sqlite-store/lazy/cancelled", test_cancelled);
  ADD ("/matrix/sqlite-store/lazy/corrupt-rows-left-out", test_corrupt_rows);
  ADD ("/matrix/sqlite-store/lazy/room-timeline-fills-on-open", test_room_timeline_on_open);
  ADD ("/matrix/sqlite-store/lazy/sync-waits-for-partial-rooms", test_sync_on_partial_room);
  ADD ("/matrix/sqlite-store/lazy/encrypted-partial-room-refuses-plaintext",
       test_encrypted_partial_room);
  ADD ("/matrix/sqlite-store/lazy/summary/written-and-read-as-a-full-load", test_summary_written_and_read);
  ADD ("/matrix/sqlite-store/lazy/summary/filled-when-loaded", test_summary_filled_when_loaded);
  ADD ("/matrix/sqlite-store/lazy/summary/follows-the-sync", test_summary_follows_sync);
  ADD ("/matrix/sqlite-store/lazy/summary/follows-a-redaction", test_summary_follows_redaction);
  ADD ("/matrix/sqlite-store/lazy/summary/bad-rows-fall-back", test_summary_bad_rows);
  ADD ("/matrix/sqlite-store/lazy/summary/forgotten-with-the-room", test_summary_forgotten);
  g_test_add_func ("/matrix/sqlite-store/lazy/summary/after-migration", test_summary_after_migration);
  g_test_add_func ("/matrix/sqlite-store/lazy/profile-change-keeps-order", test_profile_change_keeps_order);
  g_test_add_func ("/matrix/sqlite-store/lazy/summary/preview-with-edit", test_preview_with_edit);
  g_test_add_func ("/matrix/sqlite-store/lazy/invisible-name-by-heroes", test_invisible_name_long_way);
  g_test_add ("/matrix/sqlite-store/lazy/relations-rebuilt-on-load", Fixture, NULL, fixture_set_up,
              test_relations_rebuilt, fixture_tear_down);

  status = g_test_run ();

  secret_service_disconnect ();
  g_test_dbus_down (bus);
  return status;
}
