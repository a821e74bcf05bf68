/* SPDX-License-Identifier: GPL-3.0-or-later */
#define _GNU_SOURCE   /* memmem */
#define G_LOG_DOMAIN "test-confab-session"

#include <glib/gstdio.h>
#include <string.h>

#include "confab-event-row.h"
#include "confab-login-page.h"
#include "confab-room-row.h"
#include "confab-session.h"
#include "confab-window.h"
#include "ui-test-utils.h"

/* The app's session across restarts: session.ini, the account's SQLite
 * store and its access token (in the store's 0600 file: no Secret Service
 * runs on the test bus). Every test starts from an empty data folder. */

#define VERSIONS "/_matrix/client/versions"
#define LOGIN "/_matrix/client/v3/login"
#define LOGOUT "/_matrix/client/v3/logout"
#define SYNC "/_matrix/client/v3/sync"
#define USER "@alice:example.org"

#define STATE(type, key, id, content) \
  "{\"type\":\"" type "\",\"state_key\":\"" key "\",\"sender\":\"" USER "\"," \
  "\"event_id\":\"" id "\",\"origin_server_ts\":1700000000000,\"content\":" content "}"
#define MESSAGE(id, ts, body) \
  "{\"type\":\"m.room.message\",\"sender\":\"@bob:example.org\",\"event_id\":\"" id "\"," \
  "\"origin_server_ts\":" ts ",\"content\":{\"msgtype\":\"m.text\",\"body\":\"" body "\"}}"
#define ROOM(id, name, timeline) \
  "\"" id "\":{\"state\":{\"events\":[" \
  STATE ("m.room.create", "", "$c" id, "{}") "," \
  STATE ("m.room.member", USER, "$m" id, "{\"membership\":\"join\",\"displayname\":\"Alice\"}") "," \
  STATE ("m.room.name", "", "$n" id, "{\"name\":\"" name "\"}") "]}," \
  "\"timeline\":{\"limited\":false,\"events\":[" timeline "]}}"

static const char *two_rooms_sync =
  "{\"next_batch\":\"s1\",\"rooms\":{\"join\":{"
  ROOM ("!named:example.org", "Named Room",
        MESSAGE ("$e1", "1700000100000", "Hello there") ","
        MESSAGE ("$e2", "1700000160000", "Second line")) ","
  ROOM ("!other:example.org", "Other Room",
        MESSAGE ("$o1", "1700000050000", "Anyone here?"))
  "}}}";

typedef struct {
  FakeHomeserver *server;
  ConfabWindow   *window;
  MatrixStore    *store;   /* weak: the window's store */
} Fixture;

static void
new_window (Fixture *f)
{
  f->window = confab_window_new (NULL);
  gtk_window_set_default_size (GTK_WINDOW (f->window), 1000, 700);
  gtk_window_present (GTK_WINDOW (f->window));
}

static void
fixture_setup (Fixture       *f,
               gconstpointer  data)
{
  ui_test_clear_data_home ();
  f->server = fake_homeserver_new ();
  /* An open room in the focused window is marked read. */
  fake_homeserver_queue_json (f->server, "POST", "/_matrix/client/v3/rooms/%21named%3Aexample.org/read_markers",
                              200, "{}", TRUE);
  new_window (f);
}

static gboolean
store_gone (gpointer data)
{
  Fixture *f = data;

  return f->store == NULL;
}

/* Destroys the window; its store is flushed and closed. */
static void
close_window (Fixture *f)
{
  if (f->window == NULL)
    return;

  if (confab_window_get_client (f->window) != NULL)
    {
      f->store = matrix_client_get_store (confab_window_get_client (f->window));
      g_object_add_weak_pointer (G_OBJECT (f->store), (gpointer *) &f->store);
    }
  gtk_window_destroy (GTK_WINDOW (f->window));
  f->window = NULL;
  ui_wait_until (store_gone, f, 5000, "the store closed");
}

static void
fixture_teardown (Fixture       *f,
                  gconstpointer  data)
{
  close_window (f);
  iterate_for (50);
  g_assert_cmpuint (fake_homeserver_get_n_unmatched (f->server), ==, 0);
  g_object_unref (f->server);
  ui_test_clear_data_home ();
}

static GtkWidget *
template_child (gpointer    widget,
                GType       type,
                const char *name)
{
  GObject *child = gtk_widget_get_template_child (GTK_WIDGET (widget), type, name);

  g_assert_nonnull (child);
  return GTK_WIDGET (child);
}

static const char *
visible_page (Fixture *f)
{
  GtkStack *stack = GTK_STACK (template_child (f->window, CONFAB_TYPE_WINDOW, "main_stack"));

  return gtk_stack_get_visible_child_name (stack);
}

static gboolean
login_shown (gpointer data)
{
  return g_strcmp0 (visible_page (data), "login") == 0;
}

/* The login page is made when first needed: it is there once shown. */
static void
assert_login_page_shown (Fixture *f)
{
  GtkStack *stack = GTK_STACK (template_child (f->window, CONFAB_TYPE_WINDOW, "main_stack"));

  g_assert_cmpstr (gtk_stack_get_visible_child_name (stack), ==, "login");
  g_assert_true (gtk_stack_get_visible_child (stack) ==
                 GTK_WIDGET (confab_window_get_login_page (f->window)));
}

static guint
n_room_rows (Fixture *f)
{
  GtkWidget *view = template_child (f->window, CONFAB_TYPE_WINDOW, "rooms_view");
  g_autoptr(GPtrArray) rows = ui_find_widgets (view, CONFAB_TYPE_ROOM_ROW);

  return rows->len;
}

static gboolean
two_rooms_shown (gpointer data)
{
  Fixture *f = data;

  return g_strcmp0 (visible_page (f), "rooms") == 0 && n_room_rows (f) == 2;
}

static gboolean
committed (gpointer data)
{
  Fixture *f = data;
  MatrixClient *client = confab_window_get_client (f->window);

  return client != NULL &&
         g_strcmp0 (matrix_store_get_sync_token (matrix_client_get_store (client)), "s1") == 0;
}

/* Where every Confab so far kept the account: spelt out, so that a change
 * of the app's names for the library fails here. */
static char *
store_dir (void)
{
  return matrix_sqlite_store_default_dir ("confab", USER);
}

static char *
file_in_store (const char *name)
{
  g_autofree char *dir = store_dir ();

  return g_build_filename (dir, name, NULL);
}

/* Whether @needle is anywhere in the file at @path (a missing file holds
 * nothing). */
static gboolean
file_contains (const char *path,
               const char *needle)
{
  g_autofree char *contents = NULL;
  gsize length = 0;

  if (!g_file_get_contents (path, &contents, &length, NULL))
    return FALSE;

  return memmem (contents, length, needle, strlen (needle)) != NULL;
}

static void
queue_login (Fixture    *f,
             const char *token)
{
  g_autofree char *body =
    g_strdup_printf ("{\"user_id\":\"" USER "\",\"access_token\":\"%s\",\"device_id\":\"DEV1\"}",
                     token);

  fake_homeserver_queue_json (f->server, "GET", VERSIONS, 200, "{\"versions\":[\"v1.5\"]}", FALSE);
  fake_homeserver_queue_json (f->server, "POST", LOGIN, 200, body, FALSE);
}

/* Signs in as alice; the first sync brings two rooms, the next one waits. */
static void
sign_in_and_sync (Fixture *f)
{
  queue_login (f, "tok-first");
  fake_homeserver_queue_json (f->server, "GET", SYNC "?timeout=30000", 200, two_rooms_sync, FALSE);
  fake_homeserver_queue_held (f->server, "GET", SYNC "?since=s1&timeout=30000", 200,
                              "application/json", "{\"next_batch\":\"s1\"}");

  confab_window_sign_in (f->window, fake_homeserver_get_url (f->server), "alice", "secret");
  ui_wait_until (two_rooms_shown, f, 5000, "the rooms of the first sync");
  ui_wait_until (committed, f, 5000, "the first sync committed");
}

static const FakeRequest *
last_request_to (Fixture    *f,
                 const char *path)
{
  GPtrArray *requests = fake_homeserver_get_requests (f->server);

  for (guint i = requests->len; i > 0; i--)
    {
      const FakeRequest *request = g_ptr_array_index (requests, i - 1);

      if (g_str_equal (request->path, path))
        return request;
    }
  return NULL;
}

static GStrv
timeline_bodies (Fixture *f)
{
  GtkWidget *view = confab_window_get_timeline_view (f->window);
  g_autoptr(GPtrArray) rows = ui_find_widgets (view, CONFAB_TYPE_EVENT_ROW);
  g_autoptr(GStrvBuilder) builder = g_strv_builder_new ();

  for (guint i = 0; i < rows->len; i++)
    if (ui_child_visible (rows->pdata[i], CONFAB_TYPE_EVENT_ROW, "body_label"))
      g_strv_builder_add (builder, ui_child_label (rows->pdata[i], CONFAB_TYPE_EVENT_ROW,
                                                   "body_label"));

  return g_strv_builder_end (builder);
}

static gboolean
timeline_shows_cache (gpointer data)
{
  g_auto(GStrv) bodies = timeline_bodies (data);
  g_autofree char *joined = g_strjoinv (" | ", bodies);

  return g_str_equal (joined, "Hello there | Second line");
}

static void
test_restart_shows_cached_rooms (Fixture       *f,
                                 gconstpointer  data)
{
  g_autofree char *session_path = confab_session_get_path ();
  g_autofree char *db_path = file_in_store ("confab.db");
  g_autofree char *wal_path = file_in_store ("confab.db-wal");
  g_autofree char *token_path = file_in_store ("session-token");
  guint n_sync_before;
  const FakeRequest *request;
  gint64 start, shown;
  GStatBuf st;

  sign_in_and_sync (f);
  close_window (f);

  /* Nothing in plain text but the fallback file, which only alice reads. */
  g_assert_true (ui_test_path_exists (session_path));
  g_assert_false (file_contains (session_path, "tok-first"));
  g_assert_true (file_contains (session_path, "DEV1"));
  g_assert_true (ui_test_path_exists (db_path));
  g_assert_false (file_contains (db_path, "tok-first"));
  g_assert_false (file_contains (wal_path, "tok-first"));
  g_assert_true (file_contains (token_path, "tok-first"));
  g_assert_cmpint (g_stat (token_path, &st), ==, 0);
  g_assert_cmpint (st.st_mode & 0077, ==, 0);

  /* Restart: the sync will not answer during the test. */
  n_sync_before = fake_homeserver_count_requests (f->server, "GET", SYNC);
  fake_homeserver_queue_held (f->server, "GET", SYNC "?since=s1&timeout=30000", 200,
                              "application/json", "{\"next_batch\":\"s2\"}");
  new_window (f);
  start = g_get_monotonic_time ();
  confab_window_restore_session (f->window);
  g_assert_cmpstr (visible_page (f), ==, "loading");
  ui_wait_until (two_rooms_shown, f, 5000, "the rooms from the store");
  shown = g_get_monotonic_time ();
  g_test_message ("restore_session to 2 rooms listed: %.1f ms", (shown - start) / 1000.0);

  g_assert_true (confab_window_select_room (f->window, "!named:example.org"));
  ui_wait_until (timeline_shows_cache, f, 5000, "the cached messages");

  /* All of that before any sync answered: the one sent since is held. */
  ui_wait_until ((UiTestPredicate) fake_homeserver_get_n_held, f->server, 5000,
                 "the first sync after the restart");
  request = last_request_to (f, SYNC);
  g_assert_cmpstr (g_hash_table_lookup (request->query_params, "since"), ==, "s1");
  g_assert_cmpstr (soup_message_headers_get_one (request->headers, "Authorization"), ==,
                   "Bearer tok-first");
  g_assert_cmpuint (fake_homeserver_count_requests (f->server, "GET", SYNC), ==, n_sync_before + 1);
}

#define MANY_ROOMS 300
#define MESSAGES_PER_ROOM 20

static char *
many_rooms_sync (void)
{
  g_autoptr(GString) json = g_string_new ("{\"next_batch\":\"s1\",\"rooms\":{\"join\":{");

  for (guint r = 0; r < MANY_ROOMS; r++)
    {
      g_string_append_printf (json,
        "%s\"!r%u:example.org\":{\"state\":{\"events\":["
        "{\"type\":\"m.room.create\",\"state_key\":\"\",\"sender\":\"" USER "\","
        "\"event_id\":\"$c%u\",\"origin_server_ts\":1700000000000,\"content\":{}},"
        "{\"type\":\"m.room.member\",\"state_key\":\"" USER "\",\"sender\":\"" USER "\","
        "\"event_id\":\"$m%u\",\"origin_server_ts\":1700000000000,"
        "\"content\":{\"membership\":\"join\"}},"
        "{\"type\":\"m.room.name\",\"state_key\":\"\",\"sender\":\"" USER "\","
        "\"event_id\":\"$n%u\",\"origin_server_ts\":1700000000000,"
        "\"content\":{\"name\":\"Room %u\"}}]},\"timeline\":{\"events\":[",
        r == 0 ? "" : ",", r, r, r, r, r);
      for (guint m = 0; m < MESSAGES_PER_ROOM; m++)
        g_string_append_printf (json,
          "%s{\"type\":\"m.room.message\",\"sender\":\"@bob:example.org\","
          "\"event_id\":\"$e%u-%u\",\"origin_server_ts\":%" G_GUINT64_FORMAT ","
          "\"content\":{\"msgtype\":\"m.text\",\"body\":\"Message %u in room %u\"}}",
          m == 0 ? "" : ",", r, m, (guint64) 1700000100000 + r * 1000 + m, m, r);
      g_string_append (json, "]}}");
    }
  g_string_append (json, "}}}");

  return g_string_free (g_steal_pointer (&json), FALSE);
}

static gboolean
many_rooms_tracked (gpointer data)
{
  Fixture *f = data;
  MatrixRoomStateTracker *tracker = confab_window_get_tracker (f->window);

  return tracker != NULL && g_list_model_get_n_items (G_LIST_MODEL (tracker)) == MANY_ROOMS &&
         g_strcmp0 (visible_page (f), "rooms") == 0 && n_room_rows (f) > 0;
}

static void
test_restart_many_rooms (Fixture       *f,
                         gconstpointer  data)
{
  g_autofree char *body = many_rooms_sync ();
  gint64 start;

  queue_login (f, "tok-first");
  fake_homeserver_queue_json (f->server, "GET", SYNC "?timeout=30000", 200, body, FALSE);
  fake_homeserver_queue_held (f->server, "GET", SYNC "?since=s1&timeout=30000", 200,
                              "application/json", "{\"next_batch\":\"s1\"}");
  confab_window_sign_in (f->window, fake_homeserver_get_url (f->server), "alice", "secret");
  ui_wait_until (many_rooms_tracked, f, 20000, "the rooms of the first sync");
  ui_wait_until (committed, f, 20000, "the first sync committed");
  close_window (f);

  fake_homeserver_queue_held (f->server, "GET", SYNC "?since=s1&timeout=30000", 200,
                              "application/json", "{\"next_batch\":\"s2\"}");
  new_window (f);
  start = g_get_monotonic_time ();
  confab_window_restore_session (f->window);
  ui_wait_until (many_rooms_tracked, f, 20000, "the rooms from the store");
  g_test_message ("restore_session to %u rooms (%u events each) listed: %.1f ms", MANY_ROOMS,
                  MESSAGES_PER_ROOM, (g_get_monotonic_time () - start) / 1000.0);
  /* Before the sync: the one sent is still held. */
  ui_wait_until ((UiTestPredicate) fake_homeserver_get_n_held, f->server, 5000,
                 "the first sync after the restart");
  g_assert_cmpstr (g_hash_table_lookup (last_request_to (f, SYNC)->query_params, "since"), ==, "s1");
}

static gboolean
room_150_shows_cache (gpointer data)
{
  Fixture *f = data;
  MatrixRoom *room = confab_window_get_room (f->window);
  g_auto(GStrv) bodies = timeline_bodies (f);

  return room != NULL &&
         g_str_equal (matrix_room_get_room_id (room), "!r150:example.org") &&
         g_list_model_get_n_items (G_LIST_MODEL (matrix_room_get_timeline (room))) ==
           MESSAGES_PER_ROOM &&
         g_strv_contains ((const char * const *) bodies, "Message 19 in room 150");
}

static gboolean
all_rooms_listed (gpointer data)
{
  Fixture *f = data;
  GtkListView *view = GTK_LIST_VIEW (template_child (f->window, CONFAB_TYPE_WINDOW, "rooms_view"));

  return g_list_model_get_n_items (G_LIST_MODEL (gtk_list_view_get_model (view))) == MANY_ROOMS;
}

/* The store opens with what the list needs; a room's messages are read when
 * it is opened, still before any sync. The list view gets a screenful
 * first and the rest over the next frames. */
static void
test_restart_many_rooms_open_one (Fixture       *f,
                                  gconstpointer  data)
{
  g_autofree char *body = many_rooms_sync ();
  MatrixStore *store;
  MatrixRoom *room;

  queue_login (f, "tok-first");
  fake_homeserver_queue_json (f->server, "GET", SYNC "?timeout=30000", 200, body, FALSE);
  fake_homeserver_queue_held (f->server, "GET", SYNC "?since=s1&timeout=30000", 200,
                              "application/json", "{\"next_batch\":\"s1\"}");
  confab_window_sign_in (f->window, fake_homeserver_get_url (f->server), "alice", "secret");
  ui_wait_until (many_rooms_tracked, f, 20000, "the rooms of the first sync");
  ui_wait_until (committed, f, 20000, "the first sync committed");
  close_window (f);

  fake_homeserver_queue_held (f->server, "GET", SYNC "?since=s1&timeout=30000", 200,
                              "application/json", "{\"next_batch\":\"s2\"}");
  new_window (f);
  confab_window_restore_session (f->window);
  ui_wait_until (many_rooms_tracked, f, 20000, "the rooms from the store");
  /* Generous: 40 rooms a frame, and frames are slow under ASan and valgrind. */
  ui_wait_until (all_rooms_listed, f, 30000, "every room in the list view");

  store = matrix_client_get_store (confab_window_get_client (f->window));
  room = matrix_room_state_tracker_get_room (confab_window_get_tracker (f->window),
                                             "!r150:example.org");
  g_assert_nonnull (room);
  g_assert_cmpstr (matrix_room_get_display_name (room), ==, "Room 150");
  g_assert_cmpstr (matrix_room_get_last_message (room), ==, "@bob:example.org: Message 19 in room 150");
  g_assert_false (matrix_store_is_room_loaded (store, "!r150:example.org"));
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (matrix_room_get_timeline (room))), ==, 0);

  g_assert_true (confab_window_select_room (f->window, "!r150:example.org"));
  ui_wait_until (room_150_shows_cache, f, 30000, "the cached messages of the opened room");
  g_assert_true (matrix_store_is_room_loaded (store, "!r150:example.org"));

  ui_wait_until ((UiTestPredicate) fake_homeserver_get_n_held, f->server, 30000,
                 "the first sync after the restart");
  g_assert_cmpstr (g_hash_table_lookup (last_request_to (f, SYNC)->query_params, "since"), ==, "s1");
}

static gboolean
forgotten (gpointer data)
{
  g_autofree char *session_path = confab_session_get_path ();
  g_autofree char *dir = store_dir ();

  return !ui_test_path_exists (session_path) && !ui_test_path_exists (dir);
}

static void
test_logout_removes_local_data (Fixture       *f,
                                gconstpointer  data)
{
  g_autofree char *session_path = confab_session_get_path ();
  g_autofree char *dir = store_dir ();

  sign_in_and_sync (f);
  g_assert_true (ui_test_path_exists (session_path));
  g_assert_true (ui_test_path_exists (dir));

  fake_homeserver_queue_json (f->server, "POST", LOGOUT, 200, "{}", FALSE);
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (f->window), "win.logout", NULL));
  assert_login_page_shown (f);

  /* session.ini, the store and, inside it, the token's file all go. */
  ui_wait_until (forgotten, f, 5000, "the local data removed");
  g_assert_cmpuint (fake_homeserver_count_requests (f->server, "POST", LOGOUT), ==, 1);

  /* A new window finds nothing to restore. */
  close_window (f);
  new_window (f);
  confab_window_restore_session (f->window);
  ui_wait_until (login_shown, f, 5000, "the login page");
  assert_login_page_shown (f);
  g_assert_null (confab_window_get_client (f->window));
}

static void
test_hard_session_end_removes_local_data (Fixture       *f,
                                          gconstpointer  data)
{
  queue_login (f, "tok-first");
  fake_homeserver_queue_json (f->server, "GET", SYNC "?timeout=30000", 200, two_rooms_sync, FALSE);
  fake_homeserver_queue_json (f->server, "GET", SYNC "?since=s1&timeout=30000", 401,
                              "{\"errcode\":\"M_UNKNOWN_TOKEN\",\"error\":\"Gone\","
                              "\"soft_logout\":false}", FALSE);
  confab_window_sign_in (f->window, fake_homeserver_get_url (f->server), "alice", "secret");
  ui_wait_until (two_rooms_shown, f, 5000, "the rooms of the first sync");
  ui_wait_until (login_shown, f, 5000, "the login page after the session ended");

  ui_wait_until (forgotten, f, 5000, "the local data removed");
}

static gboolean
token_file_gone (gpointer data)
{
  return !file_contains (data, "tok-first");
}

static gboolean
token_file_has_second (gpointer data)
{
  return file_contains (data, "tok-second");
}

static gboolean
session_has_device (gpointer data)
{
  return file_contains (data, "DEV1");
}

static void
test_soft_logout_keeps_store (Fixture       *f,
                              gconstpointer  data)
{
  g_autofree char *session_path = confab_session_get_path ();
  g_autofree char *token_path = file_in_store ("session-token");
  g_autoptr(JsonNode) body = NULL;
  const FakeRequest *request;
  GtkWidget *page;

  queue_login (f, "tok-first");
  fake_homeserver_queue_json (f->server, "GET", SYNC "?timeout=30000", 200, two_rooms_sync, FALSE);
  fake_homeserver_queue_json (f->server, "GET", SYNC "?since=s1&timeout=30000", 401,
                              "{\"errcode\":\"M_UNKNOWN_TOKEN\",\"error\":\"Soft\","
                              "\"soft_logout\":true}", FALSE);
  confab_window_sign_in (f->window, fake_homeserver_get_url (f->server), "alice", "secret");
  ui_wait_until (two_rooms_shown, f, 5000, "the rooms of the first sync");
  ui_wait_until (login_shown, f, 5000, "the login page after the soft logout");

  page = GTK_WIDGET (confab_window_get_login_page (f->window));
  g_assert_cmpstr (ui_child_label (page, CONFAB_TYPE_LOGIN_PAGE, "message_label"), ==,
                   "Your session has ended. Sign in again to continue.");
  g_assert_cmpstr (gtk_editable_get_text (GTK_EDITABLE (template_child (page, CONFAB_TYPE_LOGIN_PAGE,
                                                                        "user_row"))), ==, USER);
  /* The session file and the store stay; the dead token does not. The file
   * is written while the first sync runs: it may land after the 401. */
  ui_wait_until (session_has_device, session_path, 5000, "the session file written");
  ui_wait_until (token_file_gone, token_path, 5000, "the dead token removed");

  /* Signing in again: the same device, and the rooms at once from the
   * store, while the sync (from the stored token) is held. */
  queue_login (f, "tok-second");
  fake_homeserver_queue_held (f->server, "GET", SYNC "?since=s1&timeout=30000", 200,
                              "application/json", "{\"next_batch\":\"s2\"}");
  confab_window_sign_in (f->window, fake_homeserver_get_url (f->server), "alice", "secret");
  ui_wait_until (two_rooms_shown, f, 5000, "the rooms from the store");
  g_assert_cmpuint (fake_homeserver_count_requests (f->server, "GET", SYNC), <=, 3);

  request = last_request_to (f, LOGIN);
  body = fake_request_parse_json (request);
  g_assert_nonnull (body);
  g_assert_cmpstr (json_object_get_string_member (json_node_get_object (body), "device_id"), ==,
                   "DEV1");

  ui_wait_until ((UiTestPredicate) fake_homeserver_get_n_held, f->server, 5000,
                 "the sync after signing in again");
  request = last_request_to (f, SYNC);
  g_assert_cmpstr (g_hash_table_lookup (request->query_params, "since"), ==, "s1");
  g_assert_cmpstr (soup_message_headers_get_one (request->headers, "Authorization"), ==,
                   "Bearer tok-second");
  ui_wait_until (token_file_has_second, token_path, 5000, "the new token saved");
}

/* How many toasts (their mapped labels) say that the data was damaged. */
static guint
n_damage_toasts (Fixture *f)
{
  GtkWidget *overlay = template_child (f->window, CONFAB_TYPE_WINDOW, "toast_overlay");
  g_autoptr(GPtrArray) labels = ui_find_widgets (overlay, GTK_TYPE_LABEL);
  guint n = 0;

  for (guint i = 0; i < labels->len; i++)
    if (g_str_equal (gtk_label_get_text (labels->pdata[i]),
                     "The local copy of your rooms was damaged and has been set aside. "
                     "Confab is loading them again from the server."))
      n++;
  return n;
}

static gboolean
toast_shown (gpointer data)
{
  return n_damage_toasts (data) > 0;
}

static void
test_corrupt_store_reported (Fixture       *f,
                             gconstpointer  data)
{
  g_autofree char *session_path = confab_session_get_path ();
  g_autofree char *dir = store_dir ();
  g_autofree char *db_path = file_in_store ("confab.db");
  g_autofree char *token_path = file_in_store ("session-token");
  g_autofree char *contents = NULL;
  g_autofree char *garbage = NULL;
  g_autoptr(GDir) listing = NULL;
  const FakeRequest *request;
  const char *name;
  gboolean set_aside = FALSE;

  /* A session whose database is not one any more; its token is safe (here
   * in the store's 0600 file, as there is no keyring on the test bus). */
  contents = g_strdup_printf ("[Session]\nhomeserver=%s\nuser_id=" USER "\ndevice_id=DEV1\n",
                              fake_homeserver_get_url (f->server));
  g_assert_cmpint (g_mkdir_with_parents (dir, 0700), ==, 0);
  g_assert_true (g_file_set_contents (session_path, contents, -1, NULL));
  garbage = g_strnfill (8192, 'x');
  g_assert_true (g_file_set_contents (db_path, garbage, -1, NULL));
  g_assert_true (g_file_set_contents (token_path, "tok-kept", -1, NULL));
  g_assert_cmpint (g_chmod (token_path, 0600), ==, 0);

  fake_homeserver_queue_json (f->server, "GET", SYNC "?timeout=30000", 200, two_rooms_sync, FALSE);
  fake_homeserver_queue_held (f->server, "GET", SYNC "?since=s1&timeout=30000", 200,
                              "application/json", "{\"next_batch\":\"s1\"}");

  confab_window_restore_session (f->window);
  ui_wait_until (toast_shown, f, 5000, "the toast about the damaged data");

  listing = g_dir_open (dir, 0, NULL);
  g_assert_nonnull (listing);
  while ((name = g_dir_read_name (listing)) != NULL)
    set_aside |= g_str_has_prefix (name, "confab.db.corrupt-");
  g_assert_true (set_aside);

  /* No sign-in needed: the session goes on, with a full sync from scratch. */
  ui_wait_until (two_rooms_shown, f, 5000, "the rooms of a fresh sync");
  request = g_ptr_array_index (fake_homeserver_get_requests (f->server), 0);
  g_assert_cmpstr (request->path, ==, SYNC);
  g_assert_null (g_hash_table_lookup (request->query_params, "since"));
  g_assert_cmpstr (soup_message_headers_get_one (request->headers, "Authorization"), ==,
                   "Bearer tok-kept");
  ui_wait_frames (GTK_WIDGET (f->window), 2);
  g_assert_cmpuint (n_damage_toasts (f), ==, 1);
}

static void
on_quit_test_activate (GApplication *application,
                       MatrixStore **store)
{
  /* As a window does when it goes: the token is still on its way to the
   * keyring (or its file) when the store is handed over. */
  matrix_store_set_value (*store, MATRIX_STORE_KEY_ACCESS_TOKEN, "tok-quit");
  confab_session_close_store (g_object_ref (*store), application, 5000);
  g_clear_object (store);
}

static void
test_quit_waits_for_flush (void)
{
  g_autoptr(GApplication) application = g_application_new (NULL, G_APPLICATION_NON_UNIQUE);
  g_autofree char *token_path = file_in_store ("session-token");
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  MatrixStore *store;
  MatrixStore *weak;

  ui_test_clear_data_home ();
  confab_session_open_store_async (USER, NULL, NULL, store_result, &result);
  while (result == NULL)
    g_main_context_iteration (NULL, TRUE);
  store = confab_session_open_store_finish (result, &error);
  g_assert_no_error (error);
  matrix_store_set_value (store, MATRIX_STORE_KEY_HOMESERVER, "https://example.org");
  matrix_store_set_value (store, MATRIX_STORE_KEY_USER_ID, USER);
  weak = store;
  g_object_add_weak_pointer (G_OBJECT (store), (gpointer *) &weak);

  g_signal_connect (application, "activate", G_CALLBACK (on_quit_test_activate), &store);
  /* Without anything holding it, the application would return at once. */
  g_assert_cmpint (g_application_run (application, 0, NULL), ==, 0);

  g_assert_null (store);
  g_assert_null (weak);
  g_assert_true (file_contains (token_path, "tok-quit"));
  ui_test_clear_data_home ();
}

int
main (int   argc,
      char *argv[])
{
  ui_test_init (&argc, &argv);

  g_test_add ("/confab/session/restart-shows-cached-rooms-before-sync", Fixture, NULL,
              fixture_setup, test_restart_shows_cached_rooms, fixture_teardown);
  g_test_add ("/confab/session/restart-many-rooms-before-sync", Fixture, NULL,
              fixture_setup, test_restart_many_rooms, fixture_teardown);
  g_test_add ("/confab/session/restart-many-rooms-opens-one-from-store", Fixture, NULL,
              fixture_setup, test_restart_many_rooms_open_one, fixture_teardown);
  g_test_add ("/confab/session/logout-removes-local-data", Fixture, NULL,
              fixture_setup, test_logout_removes_local_data, fixture_teardown);
  g_test_add ("/confab/session/hard-session-end-removes-local-data", Fixture, NULL,
              fixture_setup, test_hard_session_end_removes_local_data, fixture_teardown);
  g_test_add ("/confab/session/soft-logout-keeps-store-and-device", Fixture, NULL,
              fixture_setup, test_soft_logout_keeps_store, fixture_teardown);
  g_test_add ("/confab/session/corrupt-store-reported-and-synced-afresh", Fixture, NULL,
              fixture_setup, test_corrupt_store_reported, fixture_teardown);

  g_test_add_func ("/confab/session/quit-waits-for-flush", test_quit_waits_for_flush);

  return g_test_run ();
}
