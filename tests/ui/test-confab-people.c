/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "test-confab-people"

#include "confab-explore-dialog.h"
#include "confab-people-dialog.h"
#include "confab-room-details.h"
#include "confab-sidebar.h"
#include "confab-tombstone-bar.h"
#include "confab-window.h"
#include "ui-test-utils.h"

/* The people side of the window against the fake homeserver, as a user
 * drives it: "Start a Chat" searching the directory and reusing a direct
 * chat, "Invite People" saying why it cannot, the room details' member list
 * with roles and only the actions the user may do, and a replaced room's
 * banner in place of the composer. The user is @alice:example.org. */

#define SYNC "/_matrix/client/v3/sync"
#define ROOM "!team:example.org"
#define ROOM_PATH "/_matrix/client/v3/rooms/%21team%3Aexample.org"
#define DIRECT_PATH "/_matrix/client/v3/user/%40alice%3Aexample.org/account_data/m.direct"

#define STATE(type, key, sender, content) \
  "{\"type\":\"" type "\",\"state_key\":\"" key "\",\"sender\":\"" sender "\"," \
  "\"event_id\":\"$" type key "\",\"origin_server_ts\":1700000000000,\"content\":" content "}"
#define MEMBER(user, name, membership) \
  STATE ("m.room.member", user, user, "{\"membership\":\"" membership "\",\"displayname\":\"" name "\"}")

static const char *people_sync =
  "{\"next_batch\":\"s1\","
  "\"account_data\":{\"events\":[{\"type\":\"m.direct\",\"content\":{\"@bob:example.org\":[\"!dm:example.org\"]}},"
  "{\"type\":\"m.push_rules\",\"content\":{\"global\":{\"room\":[{\"rule_id\":\"" ROOM "\",\"enabled\":true,\"actions\":[]}]}}}]},"
  "\"rooms\":{\"join\":{"
  "\"" ROOM "\":{\"state\":{\"events\":["
  "  " STATE ("m.room.create", "", "@alice:example.org", "{\"room_version\":\"10\"}") ","
  "  " STATE ("m.room.name", "", "@alice:example.org", "{\"name\":\"Release Team\"}") ","
  "  " STATE ("m.room.topic", "", "@alice:example.org", "{\"topic\":\"Shipping Confab, one release at a time\"}") ","
  "  " STATE ("m.room.power_levels", "", "@alice:example.org",
              "{\"users\":{\"@alice:example.org\":100,\"@bob:example.org\":50}}") ","
  "  " MEMBER ("@alice:example.org", "Alice", "join") "," MEMBER ("@bob:example.org", "Bob", "join") ","
  "  " MEMBER ("@carol:example.org", "Carol", "join") "]},"
  "  \"timeline\":{\"limited\":false,\"events\":[]}},"
  "\"!dm:example.org\":{\"state\":{\"events\":["
  "  " MEMBER ("@alice:example.org", "Alice", "join") "," MEMBER ("@bob:example.org", "Bob", "join") "]},"
  "  \"summary\":{\"m.heroes\":[\"@bob:example.org\"],\"m.joined_member_count\":2},"
  "  \"timeline\":{\"limited\":false,\"events\":[]}},"
  "\"!plain:example.org\":{\"state\":{\"events\":["
  "  " STATE ("m.room.create", "", "@bob:example.org", "{\"room_version\":\"10\"}") ","
  "  " STATE ("m.room.name", "", "@bob:example.org", "{\"name\":\"Bob's Room\"}") ","
  "  " STATE ("m.room.power_levels", "", "@bob:example.org", "{\"users\":{\"@bob:example.org\":100}}") ","
  "  " MEMBER ("@alice:example.org", "Alice", "join") "," MEMBER ("@bob:example.org", "Bob", "join") ","
  "  " MEMBER ("@carol:example.org", "Carol", "join") "]},"
  "  \"timeline\":{\"limited\":false,\"events\":[]}},"
  "\"!old:example.org\":{\"state\":{\"events\":["
  "  " STATE ("m.room.name", "", "@bob:example.org", "{\"name\":\"Old Hall\"}") ","
  "  " STATE ("m.room.tombstone", "", "@bob:example.org",
              "{\"body\":\"We moved to a newer room version\",\"replacement_room\":\"!new:example.org\"}") ","
  "  " MEMBER ("@alice:example.org", "Alice", "join") "]},"
  "  \"timeline\":{\"limited\":false,\"events\":[]}}"
  "}}}";

#define MEMBERS_CHUNK \
  "{\"chunk\":[" MEMBER ("@alice:example.org", "Alice", "join") "," MEMBER ("@bob:example.org", "Bob", "join") "," \
  MEMBER ("@carol:example.org", "Carol", "join") "," MEMBER ("@dave:example.org", "Dave", "invite") "," \
  MEMBER ("@mallory:example.org", "Mallory", "ban") "]}"

typedef struct {
  FakeHomeserver *server;
  MatrixStore    *store;
  MatrixClient   *client;
  FakeClock      *clock;
  ConfabWindow   *window;
  guint           n_synced;
} Fixture;

static void
on_synced (MatrixClient *client,
           const char   *next_batch,
           Fixture      *f)
{
  f->n_synced++;
}

static gboolean
synced_once (gpointer data)
{
  return ((Fixture *) data)->n_synced >= 1;
}

static void
fixture_setup (Fixture       *f,
               gconstpointer  data)
{
  f->server = fake_homeserver_new ();
  f->store = logged_in_store_new ();
  matrix_store_set_value (f->store, MATRIX_STORE_KEY_USER_ID, "@alice:example.org");
  f->client = matrix_client_new (fake_homeserver_get_url (f->server), f->store);
  f->clock = fake_clock_new (f->client);
  g_signal_connect (f->client, "synced", G_CALLBACK (on_synced), f);
  fake_homeserver_queue_json (f->server, "POST", "/_matrix/client/v3/rooms/*", 200, "{}", TRUE);

  f->window = confab_window_new (NULL);
  gtk_window_set_default_size (GTK_WINDOW (f->window), 900, 700);
  gtk_window_present (GTK_WINDOW (f->window));

  fake_homeserver_queue_json (f->server, "GET", SYNC "?timeout=30000", 200, people_sync, FALSE);
  fake_homeserver_queue_held (f->server, "GET", SYNC "?since=s1&timeout=30000", 200,
                              "application/json", "{\"next_batch\":\"s1\"}");
  confab_window_set_client (f->window, f->client);
  ui_wait_until (synced_once, f, 5000, "first sync");
}

static void
fixture_teardown (Fixture       *f,
                  gconstpointer  data)
{
  gtk_window_destroy (GTK_WINDOW (f->window));
  matrix_client_stop_sync (f->client);
  iterate_for (50);
  g_signal_handlers_disconnect_by_data (f->client, f);
  g_object_unref (f->client);
  g_object_unref (f->store);
  fake_clock_free (f->clock);
  g_assert_cmpuint (fake_homeserver_get_n_unmatched (f->server), ==, 0);
  g_object_unref (f->server);
}

/* The visible toplevel of @type. */
static GtkWidget *
find_toplevel (GType type)
{
  GListModel *toplevels = gtk_window_get_toplevels ();

  for (guint i = 0; i < g_list_model_get_n_items (toplevels); i++)
    {
      g_autoptr(GtkWidget) window = g_list_model_get_item (toplevels, i);

      if (G_TYPE_CHECK_INSTANCE_TYPE (window, type) && gtk_widget_get_visible (window))
        return window;
    }
  return NULL;
}

typedef struct {
  GtkWidget  *dialog;
  const char *user_id;
} ListedWait;

static gboolean
is_listed (gpointer data)
{
  ListedWait *wait = data;
  g_auto(GStrv) listed = confab_people_dialog_dup_listed (CONFAB_PEOPLE_DIALOG (wait->dialog));

  return g_strv_contains ((const char * const *) listed, wait->user_id);
}

static gboolean
dialog_closed (gpointer data)
{
  return find_toplevel (CONFAB_TYPE_PEOPLE_DIALOG) == NULL && find_toplevel (CONFAB_TYPE_EXPLORE_DIALOG) == NULL;
}

static gboolean
dm_open (gpointer data)
{
  MatrixRoom *room = confab_window_get_room (data);
  return room != NULL && g_str_equal (matrix_room_get_room_id (room), "!dm:example.org");
}

static void
test_start_chat_dialog (Fixture       *f,
                        gconstpointer  data)
{
  GtkWidget *dialog;
  ListedWait wait;
  g_autofree char *png = NULL;
  g_autofree char *docs = NULL;
  FakeRequest *search;
  g_autoptr(JsonNode) body = NULL;

  fake_homeserver_queue_json (f->server, "POST", "/_matrix/client/v3/user_directory/search", 200,
    "{\"limited\":false,\"results\":["
    "{\"user_id\":\"@bob:example.org\",\"display_name\":\"Bob Builder\"},"
    "{\"user_id\":\"@bea:example.org\",\"display_name\":\"Bea \\u202eevil\"},"
    "{\"user_id\":\"not an id\",\"display_name\":\"Nobody\"},"
    "{\"user_id\":\"@alice:example.org\",\"display_name\":\"Alice\"}]}", FALSE);

  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (f->window), "win.start-chat", NULL));
  dialog = find_toplevel (CONFAB_TYPE_PEOPLE_DIALOG);
  g_assert_nonnull (dialog);
  confab_people_dialog_search (CONFAB_PEOPLE_DIALOG (dialog), "b");
  wait = (ListedWait) { dialog, "@bob:example.org" };
  ui_wait_until (is_listed, &wait, 5000, "the directory's answer");
  {
    g_auto(GStrv) listed = confab_people_dialog_dup_listed (CONFAB_PEOPLE_DIALOG (dialog));
    const char *expected[] = { "@bob:example.org", "@bea:example.org", NULL };
    /* Neither the bad id nor ourselves. */
    g_assert_cmpstrv (listed, expected);
  }
  search = fake_homeserver_get_last_request (f->server);
  body = fake_request_parse_json (search);
  g_assert_cmpstr (json_object_get_string_member (json_node_get_object (body), "search_term"), ==, "b");
  ui_wait_frames (dialog, 4);
  png = ui_save_png (dialog, "start-chat.png");

  /* A full id the directory does not know is offered as typed. */
  fake_homeserver_queue_json (f->server, "POST", "/_matrix/client/v3/user_directory/search", 200,
                              "{\"limited\":false,\"results\":[]}", FALSE);
  confab_people_dialog_search (CONFAB_PEOPLE_DIALOG (dialog), "@zed:elsewhere.org");
  wait = (ListedWait) { dialog, "@zed:elsewhere.org" };
  ui_wait_until (is_listed, &wait, 5000, "the typed id");

  /* Choosing Bob reuses the direct chat m.direct lists, and opens it. */
  fake_homeserver_queue_json (f->server, "GET", DIRECT_PATH, 200,
                              "{\"@bob:example.org\":[\"!dm:example.org\"],\"junk\":7}", FALSE);
  confab_people_dialog_choose (CONFAB_PEOPLE_DIALOG (dialog), "@bob:example.org");
  ui_wait_until (dialog_closed, NULL, 5000, "the dialog to close");
  ui_wait_until (dm_open, f->window, 5000, "the direct chat to open");
  g_assert_cmpuint (fake_homeserver_count_requests (f->server, "POST", "/_matrix/client/v3/createRoom"), ==, 0);
  /* Shown under the other person's name. */
  g_assert_cmpstr (matrix_room_get_display_name (confab_window_get_room (f->window)), ==, "Bob");
  (void) docs;
}

static gboolean
has_error (gpointer data)
{
  return confab_people_dialog_get_error (data) != NULL;
}

static void
test_invite_errors (Fixture       *f,
                    gconstpointer  data)
{
  GtkWidget *dialog;

  g_assert_true (confab_window_select_room (f->window, ROOM));
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (f->window), "win.invite", NULL));
  dialog = find_toplevel (CONFAB_TYPE_PEOPLE_DIALOG);
  g_assert_nonnull (dialog);

  confab_people_dialog_choose (CONFAB_PEOPLE_DIALOG (dialog), "@carol:example.org");
  ui_wait_until (has_error, dialog, 5000, "an error");
  g_assert_cmpstr (confab_people_dialog_get_error (CONFAB_PEOPLE_DIALOG (dialog)), ==,
                   "@carol:example.org is already in this room, or invited.");

  fake_homeserver_queue_json (f->server, "GET", "/_matrix/client/v3/profile/%40ghost%3Aexample.org", 404,
                              "{\"errcode\":\"M_UNKNOWN\",\"error\":\"No row found (profiles)\"}", FALSE);
  confab_people_dialog_choose (CONFAB_PEOPLE_DIALOG (dialog), "@ghost:example.org");
  ui_wait_until (has_error, dialog, 5000, "an error");
  iterate_for (50);
  g_assert_cmpstr (confab_people_dialog_get_error (CONFAB_PEOPLE_DIALOG (dialog)), ==,
                   "There is no user @ghost:example.org.");
  gtk_window_close (GTK_WINDOW (dialog));
}

static gboolean
members_loaded (gpointer data)
{
  return matrix_room_members_get_loaded (confab_room_details_get_members (data));
}

static char *
offered (GtkWidget  *details,
         const char *user_id)
{
  g_auto(GStrv) actions = confab_room_details_dup_offered (CONFAB_ROOM_DETAILS (details), user_id);
  return g_strjoinv (" ", actions);
}

static GtkWidget *
open_details (Fixture    *f,
              const char *room_id,
              const char *members_path)
{
  GtkWidget *details;

  fake_homeserver_queue_json (f->server, "GET", members_path, 200, MEMBERS_CHUNK, FALSE);
  g_assert_true (confab_window_select_room (f->window, room_id));
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (f->window), "win.room-details", NULL));
  details = find_toplevel (CONFAB_TYPE_ROOM_DETAILS);
  g_assert_nonnull (details);
  ui_wait_until (members_loaded, details, 5000, "the member list");
  return details;
}

static AdwComboRow *
combo_row (GtkWidget  *details,
           const char *title)
{
  g_autoptr(GPtrArray) rows = ui_find_widgets (details, ADW_TYPE_COMBO_ROW);

  for (guint i = 0; i < rows->len; i++)
    if (g_strcmp0 (adw_preferences_row_get_title (g_ptr_array_index (rows, i)), title) == 0)
      return g_ptr_array_index (rows, i);
  g_error ("No row %s", title);
}

/* Set to "since they joined", refused: back to the room's "all of it". */
static gboolean
history_reset (gpointer data)
{
  return adw_combo_row_get_selected (data) == 2;
}

static void
test_room_details_members (Fixture       *f,
                           gconstpointer  data)
{
  GtkWidget *details = open_details (f, ROOM, ROOM_PATH "/members?not_membership=leave&at=s1");
  g_autofree char *png = NULL;
  g_autofree char *bob = offered (details, "@bob:example.org");
  g_autofree char *carol = offered (details, "@carol:example.org");
  g_autofree char *mallory = offered (details, "@mallory:example.org");
  g_autofree char *alice = offered (details, "@alice:example.org");
  g_autoptr(GPtrArray) labels = NULL;
  GListModel *members = G_LIST_MODEL (confab_room_details_get_members (CONFAB_ROOM_DETAILS (details)));
  gboolean admin_badge = FALSE, moderator_badge = FALSE;

  g_assert_cmpuint (g_list_model_get_n_items (members), ==, 5);
  /* We are the admin: everything, but nothing on ourselves. */
  g_assert_cmpstr (bob, ==, "details.message details.kick details.ban details.set-level:100 details.set-level:0");
  g_assert_cmpstr (carol, ==, "details.message details.kick details.ban details.set-level:100 details.set-level:50");
  g_assert_cmpstr (mallory, ==, "details.message details.unban details.set-level:100 details.set-level:50");
  g_assert_cmpstr (alice, ==, "");

  ui_wait_frames (details, 4);
  labels = ui_find_widgets (details, GTK_TYPE_LABEL);
  for (guint i = 0; i < labels->len; i++)
    {
      const char *text = gtk_label_get_text (g_ptr_array_index (labels, i));
      admin_badge |= g_str_equal (text, "Admin");
      moderator_badge |= g_str_equal (text, "Moderator");
    }
  g_assert_true (admin_badge);
  g_assert_true (moderator_badge);
  png = ui_save_png (details, "members.png");

  confab_room_details_search (CONFAB_ROOM_DETAILS (details), "car");
  g_assert_cmpuint (g_list_model_get_n_items (members), ==, 1);

  /* The push rules make it a mentions-only room; muting it changes them. */
  g_assert_cmpint (confab_room_details_get_notify_level (CONFAB_ROOM_DETAILS (details)), ==,
                   MATRIX_NOTIFY_LEVEL_MENTIONS);
  fake_homeserver_queue_json (f->server, "PUT", "/_matrix/client/v3/pushrules/global/override/%21team%3Aexample.org",
                              200, "{}", FALSE);
  fake_homeserver_queue_json (f->server, "DELETE", "/_matrix/client/v3/pushrules/global/room/%21team%3Aexample.org",
                              200, "{}", FALSE);
  confab_room_details_set_notify_level (CONFAB_ROOM_DETAILS (details), MATRIX_NOTIFY_LEVEL_MUTE);
  fake_homeserver_wait_for_requests (f->server, fake_homeserver_get_requests (f->server)->len + 2, 5000);
  g_assert_cmpuint (fake_homeserver_count_requests (f->server, "DELETE",
                                                    "/_matrix/client/v3/pushrules/global/room/!team:example.org"), ==, 1);

  /* An admin may rename the room: only the name changed is sent. */
  g_assert_true (confab_room_details_get_editable (CONFAB_ROOM_DETAILS (details)));
  fake_homeserver_queue_json (f->server, "PUT", ROOM_PATH "/state/m.room.name/", 200, "{\"event_id\":\"$n\"}", FALSE);
  confab_room_details_edit (CONFAB_ROOM_DETAILS (details), "Release Crew", NULL);
  fake_homeserver_wait_for_requests (f->server, fake_homeserver_get_requests (f->server)->len + 1, 5000);
  {
    g_autoptr(JsonNode) body = fake_request_parse_json (fake_homeserver_get_last_request (f->server));
    g_assert_cmpstr (json_object_get_string_member (json_node_get_object (body), "name"), ==, "Release Crew");
  }
  g_assert_cmpuint (fake_homeserver_count_requests (f->server, "PUT", "/_matrix/client/v3/rooms/!team:example.org/state/m.room.topic/"),
                    ==, 0);

  /* Who may join and who may read the history: the admin changes both;
   * a refusal is said and the row goes back. */
  {
    g_autoptr(GPtrArray) expanders = ui_find_widgets (details, ADW_TYPE_EXPANDER_ROW);
    AdwComboRow *join, *history;

    g_assert_cmpuint (expanders->len, ==, 1);
    adw_expander_row_set_expanded (g_ptr_array_index (expanders, 0), TRUE);
    ui_wait_frames (details, 2);
    join = combo_row (details, "Who Can Join");
    history = combo_row (details, "Who Can Read the History");

    g_assert_true (gtk_widget_get_sensitive (GTK_WIDGET (join)));
    g_assert_cmpuint (adw_combo_row_get_selected (join), ==, 0);
    g_assert_cmpuint (adw_combo_row_get_selected (history), ==, 2);
    fake_homeserver_queue_json (f->server, "PUT", ROOM_PATH "/state/m.room.join_rules/", 200,
                                "{\"event_id\":\"$j\"}", FALSE);
    adw_combo_row_set_selected (join, 1);
    fake_homeserver_wait_for_requests (f->server, fake_homeserver_get_requests (f->server)->len + 1, 5000);
    {
      g_autoptr(JsonNode) body = fake_request_parse_json (fake_homeserver_get_last_request (f->server));
      g_assert_cmpstr (json_object_get_string_member (json_node_get_object (body), "join_rule"), ==, "public");
    }
    fake_homeserver_queue_json (f->server, "PUT", ROOM_PATH "/state/m.room.history_visibility/", 403,
                                "{\"errcode\":\"M_FORBIDDEN\",\"error\":\"no\"}", FALSE);
    adw_combo_row_set_selected (history, 0);
    ui_wait_until (history_reset, history, 5000, "the history row back to the room's");
    {
      g_autoptr(JsonNode) body = fake_request_parse_json (fake_homeserver_get_last_request (f->server));
      g_assert_cmpstr (json_object_get_string_member (json_node_get_object (body), "history_visibility"),
                       ==, "joined");
    }
    ui_wait_frames (details, 6);
    g_free (ui_save_png (details, "room-settings.png"));
  }
  gtk_window_close (GTK_WINDOW (details));
}

static gboolean
kick_sent (gpointer data)
{
  Fixture *f = data;
  return fake_homeserver_count_requests (f->server, "POST", "/_matrix/client/v3/rooms/!team:example.org/kick") == 1;
}

static gboolean
members_reloaded (gpointer data)
{
  Fixture *f = data;
  return fake_homeserver_count_requests (f->server, "GET", "/_matrix/client/v3/rooms/!team:example.org/members") == 2;
}

static void
test_kick_with_reason (Fixture       *f,
                       gconstpointer  data)
{
  GtkWidget *details = open_details (f, ROOM, ROOM_PATH "/members?not_membership=leave&at=s1");
  GtkWidget *dialog;
  GtkEditable *entry;
  g_autoptr(JsonNode) body = NULL;
  GPtrArray *requests;

  g_assert_true (gtk_widget_activate_action (details, "details.kick", "s", "@carol:example.org"));
  dialog = find_toplevel (ADW_TYPE_MESSAGE_DIALOG);
  g_assert_nonnull (dialog);
  g_assert_cmpstr (adw_message_dialog_get_heading (ADW_MESSAGE_DIALOG (dialog)), ==,
                   "Remove \u2068Carol\u2069 from the Room?");
  entry = GTK_EDITABLE (adw_message_dialog_get_extra_child (ADW_MESSAGE_DIALOG (dialog)));
  gtk_editable_set_text (entry, "Off topic");

  fake_homeserver_queue_json (f->server, "GET", ROOM_PATH "/members?not_membership=leave&at=s1", 200,
                              MEMBERS_CHUNK, FALSE);
  adw_message_dialog_response (ADW_MESSAGE_DIALOG (dialog), "kick");
  ui_wait_until (kick_sent, f, 5000, "the kick");
  requests = fake_homeserver_get_requests (f->server);
  for (guint i = 0; i < requests->len; i++)
    {
      FakeRequest *request = g_ptr_array_index (requests, i);
      if (g_str_has_suffix (request->path, "/kick"))
        body = fake_request_parse_json (request);
    }
  g_assert_cmpstr (json_object_get_string_member (json_node_get_object (body), "user_id"), ==, "@carol:example.org");
  g_assert_cmpstr (json_object_get_string_member (json_node_get_object (body), "reason"), ==, "Off topic");
  /* The list is loaded again to show the change. */
  ui_wait_until (members_reloaded, f, 5000, "the member list again");
  gtk_window_close (GTK_WINDOW (details));
}

static void
test_room_details_as_plain_member (Fixture       *f,
                                   gconstpointer  data)
{
  GtkWidget *details = open_details (f, "!plain:example.org",
                                     "/_matrix/client/v3/rooms/%21plain%3Aexample.org/members?not_membership=leave&at=s1");
  g_autofree char *bob = offered (details, "@bob:example.org");
  g_autofree char *carol = offered (details, "@carol:example.org");
  g_autofree char *mallory = offered (details, "@mallory:example.org");

  /* A plain member may only message people, and change nothing. */
  g_assert_false (confab_room_details_get_editable (CONFAB_ROOM_DETAILS (details)));
  g_assert_cmpstr (bob, ==, "details.message");
  g_assert_cmpstr (carol, ==, "details.message");
  g_assert_cmpstr (mallory, ==, "details.message");
  gtk_window_close (GTK_WINDOW (details));
}

static void
test_tombstone_banner (Fixture       *f,
                       gconstpointer  data)
{
  GtkWidget *composer;
  GPtrArray *bars;
  g_autofree char *png = NULL;

  g_assert_true (confab_window_select_room (f->window, "!old:example.org"));
  ui_wait_frames (GTK_WIDGET (f->window), 4);
  composer = confab_window_get_composer (f->window);
  g_assert_false (gtk_widget_get_visible (composer));
  bars = ui_find_widgets (GTK_WIDGET (f->window), CONFAB_TYPE_TOMBSTONE_BAR);
  g_assert_cmpuint (bars->len, ==, 1);
  g_assert_cmpstr (confab_tombstone_bar_get_successor (g_ptr_array_index (bars, 0)), ==, "!new:example.org");
  png = ui_save_png (GTK_WIDGET (f->window), "room-replaced.png");

  /* Its button joins the successor. */
  fake_homeserver_queue_json (f->server, "POST", "/_matrix/client/v3/join/%21new%3Aexample.org", 200,
                              "{\"room_id\":\"!new:example.org\"}", FALSE);
  gtk_widget_activate_action (g_ptr_array_index (bars, 0), "win.open-room", "s", "!new:example.org");
  fake_homeserver_wait_for_requests (f->server, fake_homeserver_get_requests (f->server)->len + 1, 5000);
  g_assert_cmpuint (fake_homeserver_count_requests (f->server, "POST", "/_matrix/client/v3/join/!new:example.org"),
                    ==, 1);
  g_ptr_array_unref (bars);

  /* Another room has its composer back. */
  g_assert_true (confab_window_select_room (f->window, ROOM));
  g_assert_true (gtk_widget_get_visible (composer));
}

static void
test_direct_chats_filter (Fixture       *f,
                          gconstpointer  data)
{
  g_autoptr(GPtrArray) sidebars = ui_find_widgets (GTK_WIDGET (f->window), CONFAB_TYPE_SIDEBAR);
  ConfabSidebar *sidebar;
  GListModel *joined;
  g_autoptr(MatrixRoom) only = NULL;

  g_assert_cmpuint (sidebars->len, ==, 1);
  sidebar = g_ptr_array_index (sidebars, 0);
  joined = confab_sidebar_get_joined_rooms (sidebar);
  g_assert_cmpuint (g_list_model_get_n_items (joined), ==, 4);

  confab_sidebar_set_direct_only (sidebar, TRUE);
  g_assert_cmpuint (g_list_model_get_n_items (joined), ==, 1);
  only = g_list_model_get_item (joined, 0);
  g_assert_cmpstr (matrix_room_get_room_id (only), ==, "!dm:example.org");
  g_assert_cmpstr (matrix_room_get_direct_user_id (only), ==, "@bob:example.org");
  /* Under the other person's name. */
  g_assert_cmpstr (matrix_room_get_display_name (only), ==, "Bob");

  confab_sidebar_set_direct_only (sidebar, FALSE);
  g_assert_cmpuint (g_list_model_get_n_items (joined), ==, 4);
}

static gboolean
public_listed (gpointer data)
{
  g_auto(GStrv) listed = confab_explore_dialog_dup_listed (data);
  return g_strv_length (listed) == 2;
}

static void
test_explore_and_join (Fixture       *f,
                       gconstpointer  data)
{
  GtkWidget *dialog;
  g_autofree char *png = NULL;

  fake_homeserver_queue_json (f->server, "POST", "/_matrix/client/v3/publicRooms", 200,
    "{\"next_batch\":\"p2\",\"chunk\":["
    "{\"room_id\":\"!pub:example.org\",\"name\":\"GNOME Design\",\"canonical_alias\":\"#design:example.org\","
    "\"topic\":\"Icons and mockups\",\"num_joined_members\":312},"
    "{\"room_id\":\"!hall:example.org\",\"name\":\"<b>Town</b> Hall\",\"num_joined_members\":1}]}", FALSE);
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (f->window), "win.explore", NULL));
  dialog = find_toplevel (CONFAB_TYPE_EXPLORE_DIALOG);
  g_assert_nonnull (dialog);
  ui_wait_until (public_listed, dialog, 5000, "the public rooms");
  ui_wait_frames (dialog, 4);
  png = ui_save_png (dialog, "explore.png");

  fake_homeserver_queue_json (f->server, "POST", "/_matrix/client/v3/join/%21pub%3Aexample.org", 200,
                              "{\"room_id\":\"!pub:example.org\"}", FALSE);
  confab_explore_dialog_choose (CONFAB_EXPLORE_DIALOG (dialog), "!pub:example.org");
  fake_homeserver_wait_for_requests (f->server, fake_homeserver_get_requests (f->server)->len + 1, 5000);
  g_assert_cmpuint (fake_homeserver_count_requests (f->server, "POST", "/_matrix/client/v3/join/!pub:example.org"),
                    ==, 1);
  ui_wait_until (dialog_closed, NULL, 5000, "the dialog to close");
}

int
main (int   argc,
      char *argv[])
{
  ui_test_init (&argc, &argv);

  g_test_add ("/confab/people/start-chat-searches-and-reuses", Fixture, NULL, fixture_setup,
              test_start_chat_dialog, fixture_teardown);
  g_test_add ("/confab/people/invite-errors-in-plain-words", Fixture, NULL, fixture_setup,
              test_invite_errors, fixture_teardown);
  g_test_add ("/confab/room-details/members-roles-and-moderation", Fixture, NULL, fixture_setup,
              test_room_details_members, fixture_teardown);
  g_test_add ("/confab/room-details/kick-asks-for-a-reason", Fixture, NULL, fixture_setup,
              test_kick_with_reason, fixture_teardown);
  g_test_add ("/confab/room-details/plain-member-offered-nothing-more", Fixture, NULL, fixture_setup,
              test_room_details_as_plain_member, fixture_teardown);
  g_test_add ("/confab/people/direct-chats-filter", Fixture, NULL, fixture_setup,
              test_direct_chats_filter, fixture_teardown);
  g_test_add ("/confab/people/explore-public-rooms-and-join", Fixture, NULL, fixture_setup,
              test_explore_and_join, fixture_teardown);
  g_test_add ("/confab/room/replaced-shows-banner-not-composer", Fixture, NULL, fixture_setup,
              test_tombstone_banner, fixture_teardown);

  return g_test_run ();
}
