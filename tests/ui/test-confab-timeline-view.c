/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "test-confab-timeline-view"

#include <glib/gstdio.h>

#include "confab-application.h"
#include "confab-event-row.h"
#include "confab-room-row.h"
#include "confab-session.h"
#include "confab-timeline-view.h"
#include "confab-window.h"
#include "ui-test-utils.h"
#include "ui-timeline-utils.h"

/* An emote's name and action are each isolated. */
#define FSI "\u2068"
#define PDI "\u2069"

/* Opening a room and reading back through it, as a user does: the real
 * application starts (registered, activated, restoring a saved session from
 * XDG_DATA_HOME) against the fake homeserver, and what the test checks is
 * what is drawn: which rows lie inside the scrolled window's visible area. */

#define SYNC "/_matrix/client/v3/sync"
#define USER "@alice:example.org"
#define BIG "!big:example.org"
#define PAGED "!paged:example.org"
#define SMALL "!small:example.org"
#define N_MESSAGES 150
/* What the view asks /messages for at a time. */
#define PAGE "30"

/* The application: registered (and so started up) once, as `confab` is;
 * each test activates it, which opens a window on the saved session. */
static GApplication *app;

typedef struct {
  FakeHomeserver *server;
  GApplication   *app;
  ConfabWindow   *window;
  MatrixStore    *store;   /* weak: the window's store, while it closes */
  guint           n_warnings;
} Fixture;

/* --- the room's history, in the server's words ------------------------------- */

static void
append_state (GString    *s,
              const char *type,
              const char *key,
              const char *id,
              const char *content)
{
  g_string_append_printf (s, "{\"type\":\"%s\",\"state_key\":\"%s\",\"sender\":\"@bob:example.org\","
                             "\"event_id\":\"%s\",\"origin_server_ts\":1700000000000,\"content\":%s}",
                          type, key, id, content);
}

static void
append_room_state (GString    *s,
                   const char *room,
                   const char *name)
{
  g_autofree char *create = g_strdup_printf ("$create-%s", room);
  g_autofree char *alice = g_strdup_printf ("$alice-%s", room);
  g_autofree char *bob = g_strdup_printf ("$bob-%s", room);
  g_autofree char *name_id = g_strdup_printf ("$name-%s", room);
  g_autofree char *name_content = g_strdup_printf ("{\"name\":\"%s\"}", name);

  append_state (s, "m.room.create", "", create, "{\"creator\":\"@bob:example.org\"}");
  g_string_append_c (s, ',');
  append_state (s, "m.room.member", "@bob:example.org", bob,
                "{\"membership\":\"join\",\"displayname\":\"Bob\"}");
  g_string_append_c (s, ',');
  append_state (s, "m.room.member", USER, alice, "{\"membership\":\"join\",\"displayname\":\"Alice\"}");
  g_string_append_c (s, ',');
  append_state (s, "m.room.name", "", name_id, name_content);
}

/* Message @i (1 to N_MESSAGES) of @room, from Bob, a minute after the one
 * before it. The last two are an emote and a notice. */
static void
append_message (GString    *s,
                const char *room,
                guint       i)
{
  const char *msgtype = i == N_MESSAGES - 1 ? "m.emote" : i == N_MESSAGES ? "m.notice" : "m.text";

  g_string_append_printf (s, "{\"type\":\"m.room.message\",\"sender\":\"@bob:example.org\","
                             "\"event_id\":\"$%s-%03u\",\"origin_server_ts\":%" G_GINT64_FORMAT ","
                             "\"content\":{\"msgtype\":\"%s\",\"body\":\"Message %03u\"}}",
                          room + 1, i, (gint64) 1700000000000 + i * 60000, msgtype, i);
}

static char *
message_body (guint i)
{
  return g_strdup_printf ("Message %03u", i);
}

/* The first sync: BIG with its whole history in the timeline, PAGED with its
 * newest ten messages after a gap (as Synapse answers a first sync), and
 * SMALL with one message, unread. @big_unread and @paged_unread are the
 * server's notification counts of BIG and PAGED. */
static char *
first_sync_unread (guint big_unread,
                   guint paged_unread)
{
  GString *s = g_string_new ("{\"next_batch\":\"s1\",\"rooms\":{\"join\":{");

  g_string_append (s, "\"" BIG "\":{\"state\":{\"events\":[]},\"timeline\":{\"limited\":false,\"events\":[");
  append_room_state (s, BIG, "Big Room");
  for (guint i = 1; i <= N_MESSAGES; i++)
    {
      g_string_append_c (s, ',');
      append_message (s, BIG, i);
    }
  g_string_append_printf (s, "]},\"unread_notifications\":{\"notification_count\":%u,"
                             "\"highlight_count\":0}},", big_unread);

  g_string_append (s, "\"" PAGED "\":{\"state\":{\"events\":[");
  append_room_state (s, PAGED, "Paged Room");
  g_string_append (s, "]},\"timeline\":{\"limited\":true,\"prev_batch\":\"t140\",\"events\":[");
  for (guint i = 141; i <= N_MESSAGES; i++)
    {
      if (i > 141)
        g_string_append_c (s, ',');
      append_message (s, PAGED, i);
    }
  g_string_append_printf (s, "]},\"unread_notifications\":{\"notification_count\":%u,"
                             "\"highlight_count\":0}},", paged_unread);

  g_string_append (s, "\"" SMALL "\":{\"state\":{\"events\":[");
  append_room_state (s, SMALL, "Small Room");
  g_string_append (s, "]},\"timeline\":{\"limited\":false,\"events\":["
                      "{\"type\":\"m.room.message\",\"sender\":\"@bob:example.org\","
                      "\"event_id\":\"$small-1\",\"origin_server_ts\":1700000030000,"
                      "\"content\":{\"msgtype\":\"m.text\",\"body\":\"Short and sweet\"}}]},"
                      "\"unread_notifications\":{\"notification_count\":2,\"highlight_count\":0}}");

  g_string_append (s, "}}}");
  return g_string_free (s, FALSE);
}

static char *
first_sync (guint big_unread)
{
  return first_sync_unread (big_unread, 0);
}

/* PAGED's history before message @from + 1, thirty at a time, newest first,
 * as /messages answers (each page @delay_ms after it is asked for): the
 * page that reaches message 1 ends with the room's state and its creation,
 * and has no `end`. */
static void
queue_paged_history_full (Fixture *f,
                          guint    delay_ms)
{
  for (guint from = 140; from > 0; from = from > 30 ? from - 30 : 0)
    {
      g_autofree char *path = g_strdup_printf ("/_matrix/client/v3/rooms/" PAGED "/messages"
                                               "?dir=b&from=t%u&limit=" PAGE, from);
      GString *s = g_string_new ("{\"start\":\"");
      guint last = from > 30 ? from - 29 : 1;

      g_string_append_printf (s, "t%u\",\"chunk\":[", from);
      for (guint i = from; i >= last; i--)
        {
          if (i != from)
            g_string_append_c (s, ',');
          append_message (s, PAGED, i);
        }
      if (last == 1)
        {
          /* Newest first: the state came before the first message. */
          GString *state = g_string_new (NULL);

          append_room_state (state, PAGED, "Paged Room");
          g_string_append_printf (s, ",%s]}", state->str);
          g_string_free (state, TRUE);
        }
      else
        g_string_append_printf (s, "],\"end\":\"t%u\"}", last - 1);

      fake_homeserver_queue_full (f->server, "GET", path, 200, "application/json", s->str, NULL,
                                  delay_ms, FALSE);
      g_string_free (s, TRUE);
    }
}

static void
queue_paged_history (Fixture *f)
{
  queue_paged_history_full (f, 0);
}

/* --- the application ---------------------------------------------------------- */

/* A saved session for alice on the fake server: session.ini and the access
 * token in the store's 0600 file (the test bus has no Secret Service). */
static void
save_session (Fixture *f)
{
  g_autofree char *session_path = confab_session_get_path ();
  g_autofree char *dir = confab_session_get_store_dir (USER);
  g_autofree char *token_path = g_build_filename (dir, "session-token", NULL);
  g_autofree char *contents = NULL;

  contents = g_strdup_printf ("[Session]\nhomeserver=%s\nuser_id=" USER "\ndevice_id=DEV1\n",
                              fake_homeserver_get_url (f->server));
  g_assert_cmpint (g_mkdir_with_parents (dir, 0700), ==, 0);
  g_assert_true (g_file_set_contents (session_path, contents, -1, NULL));
  g_assert_true (g_file_set_contents (token_path, "tok", -1, NULL));
  g_assert_cmpint (g_chmod (token_path, 0600), ==, 0);
}

static void
fixture_setup (Fixture       *f,
               gconstpointer  data)
{
  ui_test_clear_data_home ();
  ui_count_scroll_warnings (&f->n_warnings);

  f->server = fake_homeserver_new ();
  /* A room seen to its newest message in the focused window is marked read. */
  fake_homeserver_queue_json (f->server, "POST", "/_matrix/client/v3/rooms/" BIG "/read_markers",
                              200, "{}", TRUE);
  fake_homeserver_queue_json (f->server, "POST", "/_matrix/client/v3/rooms/" PAGED "/read_markers",
                              200, "{}", TRUE);
  fake_homeserver_queue_json (f->server, "POST", "/_matrix/client/v3/rooms/" SMALL "/read_markers",
                              200, "{}", TRUE);
  save_session (f);

  f->app = app;
}

static gboolean
store_gone (gpointer data)
{
  return ((Fixture *) data)->store == NULL;
}

static void
fixture_teardown (Fixture       *f,
                  gconstpointer  data)
{
  if (f->window != NULL)
    {
      MatrixClient *client = confab_window_get_client (f->window);

      if (client != NULL)
        {
          f->store = matrix_client_get_store (client);
          g_object_add_weak_pointer (G_OBJECT (f->store), (gpointer *) &f->store);
        }
      gtk_window_destroy (GTK_WINDOW (f->window));
      ui_wait_until (store_gone, f, 5000, "the store closed");
    }
  iterate_for (50);
  g_assert_cmpuint (fake_homeserver_get_n_unmatched (f->server), ==, 0);
  g_object_unref (f->server);
  ui_test_clear_data_home ();
  g_assert_cmpuint (f->n_warnings, ==, 0);
}

static gboolean
rooms_listed (gpointer data)
{
  Fixture *f = data;
  MatrixRoomStateTracker *tracker = confab_window_get_tracker (f->window);

  return tracker != NULL && matrix_room_state_tracker_get_room (tracker, BIG) != NULL &&
         matrix_room_state_tracker_get_room (tracker, SMALL) != NULL;
}

/* Starts the application as `confab` does: it restores the saved session,
 * whose first sync is @sync; the next one waits, to answer @next (or
 * nothing new) when released. */
static void
start_app_full (Fixture    *f,
                const char *sync,
                const char *next)
{
  fake_homeserver_queue_json (f->server, "GET", SYNC "?timeout=30000", 200, sync, FALSE);
  fake_homeserver_queue_held (f->server, "GET", SYNC "?since=s1&timeout=30000", 200,
                              "application/json", next ? next : "{\"next_batch\":\"s1\"}");

  g_application_activate (f->app);
  f->window = CONFAB_WINDOW (gtk_application_get_active_window (GTK_APPLICATION (f->app)));
  g_assert_nonnull (f->window);
  gtk_window_set_default_size (GTK_WINDOW (f->window), 1000, 700);
  ui_wait_until (rooms_listed, f, 5000, "the rooms of the first sync");
  ui_wait_frames (GTK_WIDGET (f->window), 2);
  g_assert_true (gtk_window_is_active (GTK_WINDOW (f->window)));
}

static void
start_app (Fixture    *f,
           const char *sync)
{
  start_app_full (f, sync, NULL);
}

/* --- what is on screen ------------------------------------------------------- */

static GtkWidget *
template_child (gpointer    widget,
                GType       type,
                const char *name)
{
  GObject *child = gtk_widget_get_template_child (GTK_WIDGET (widget), type, name);

  g_assert_nonnull (child);
  return GTK_WIDGET (child);
}

static GtkAdjustment *
vadjustment (Fixture *f)
{
  return ui_timeline_vadjustment (f->window);
}

static GStrv
texts_in_view (Fixture *f)
{
  return ui_timeline_texts_in_view (f->window);
}

static gboolean
newest_in_view (gpointer data)
{
  return ui_timeline_newest_in_view (((Fixture *) data)->window);
}

static void
click_room (Fixture    *f,
            const char *name)
{
  ui_click_room (f->window, name);
}

static gboolean
room_is (Fixture    *f,
         const char *room_id)
{
  MatrixRoom *room = confab_window_get_room (f->window);

  return room != NULL && g_str_equal (matrix_room_get_room_id (room), room_id);
}

/* Waits for what a user who opened @room_id waits for: its newest message
 * drawn at the bottom of the view, and the scroll bar saying so. Then checks
 * that it stays so, frame after frame, and that the newest messages are the
 * ones drawn. */
static void
assert_opened_at_newest (Fixture    *f,
                         const char *room_id)
{
  g_autofree char *newest = message_body (N_MESSAGES);
  /* The one before it is an emote. */
  g_autofree char *before = g_strdup_printf ("* " FSI "Bob" PDI " " FSI "Message %03u" PDI,
                                             N_MESSAGES - 1);
  g_auto(GStrv) texts = NULL;
  guint n;

  g_assert_true (room_is (f, room_id));
  ui_wait_until (newest_in_view, f, 5000, "the newest message in view");
  for (guint i = 0; i < 5; i++)
    {
      ui_wait_frames (GTK_WIDGET (f->window), 1);
      g_assert_true (newest_in_view (f));
      g_assert_true (ui_timeline_at_bottom (f->window));
    }

  texts = texts_in_view (f);
  n = g_strv_length (texts);
  g_assert_cmpuint (n, >=, 5);
  g_assert_cmpstr (texts[n - 1], ==, newest);
  g_assert_cmpstr (texts[n - 2], ==, before);
  g_assert_false (g_strv_contains ((const char * const *) texts, "Message 001"));
}

/* --- tests -------------------------------------------------------------------- */

static void
test_click_opens_at_newest (Fixture       *f,
                            gconstpointer  data)
{
  g_autofree char *sync = first_sync (0);

  start_app (f, sync);
  click_room (f, "Big Room");
  assert_opened_at_newest (f, BIG);

  /* Another room, and back: each opens at its newest message. */
  click_room (f, "Small Room");
  g_assert_true (room_is (f, SMALL));
  ui_wait_until (newest_in_view, f, 5000, "the small room's message in view");
  click_room (f, "Big Room");
  assert_opened_at_newest (f, BIG);
}

static void
test_notification_opens_at_newest (Fixture       *f,
                                   gconstpointer  data)
{
  g_autofree char *sync = first_sync (0);

  start_app (f, sync);
  /* Another room open, as when a notification comes while reading. */
  click_room (f, "Small Room");
  ui_wait_until (newest_in_view, f, 5000, "the small room's message in view");

  g_action_group_activate_action (G_ACTION_GROUP (f->app), "open-room", g_variant_new_string (BIG));
  assert_opened_at_newest (f, BIG);
}

/* A notification clicked before any room was opened: the room page is made
 * then, for this room. */
static void
test_notification_opens_first_room_at_newest (Fixture       *f,
                                              gconstpointer  data)
{
  g_autofree char *sync = first_sync (0);

  start_app (f, sync);
  g_action_group_activate_action (G_ACTION_GROUP (f->app), "open-room", g_variant_new_string (BIG));
  assert_opened_at_newest (f, BIG);
}

/* Scrolling works at once: up from the bottom, and back down. */
static void
test_scrolls_at_once (Fixture       *f,
                      gconstpointer  data)
{
  g_autofree char *sync = first_sync (0);
  GtkAdjustment *adjustment;
  double bottom;
  g_auto(GStrv) texts = NULL;

  start_app (f, sync);
  click_room (f, "Big Room");
  assert_opened_at_newest (f, BIG);

  adjustment = vadjustment (f);
  bottom = gtk_adjustment_get_value (adjustment);
  gtk_adjustment_set_value (adjustment, bottom - gtk_adjustment_get_page_size (adjustment));
  ui_wait_frames (GTK_WIDGET (f->window), 2);
  g_assert_false (newest_in_view (f));
  g_assert_false (ui_timeline_at_bottom (f->window));

  gtk_adjustment_set_value (adjustment, gtk_adjustment_get_upper (adjustment));
  ui_wait_until (newest_in_view, f, 5000, "the newest message in view again");
  texts = texts_in_view (f);
  g_assert_cmpstr (texts[g_strv_length (texts) - 1], ==, "Message 150");
}

static void
test_paged_room_opens_at_newest (Fixture       *f,
                                 gconstpointer  data)
{
  g_autofree char *sync = first_sync (0);

  queue_paged_history (f);
  start_app (f, sync);
  click_room (f, "Paged Room");
  assert_opened_at_newest (f, PAGED);
}

static gboolean
at_room_start (gpointer data)
{
  Fixture *f = data;
  g_auto(GStrv) texts = texts_in_view (f);

  return matrix_timeline_get_at_start (matrix_room_get_timeline (confab_window_get_room (f->window))) &&
         g_strv_contains ((const char * const *) texts, "Message 001");
}

/* Taken to the top once (as the Home key does: the first row is scrolled
 * to), the view goes on loading for as long as the top stays in view, until
 * the room's start, with no more scrolling. */
static void
test_loads_older_to_room_start (Fixture       *f,
                                gconstpointer  data)
{
  g_autofree char *sync = first_sync (0);
  GtkWidget *list;
  guint n_requests;

  queue_paged_history (f);
  start_app (f, sync);
  click_room (f, "Paged Room");
  assert_opened_at_newest (f, PAGED);
  n_requests = fake_homeserver_count_requests (f->server, "GET", "/_matrix/client/v3/rooms/" PAGED "/messages");
  g_test_message ("/messages asked %u times to fill the view", n_requests);

  list = template_child (confab_window_get_timeline_view (f->window), CONFAB_TYPE_TIMELINE_VIEW, "list_view");
  g_assert_true (gtk_widget_activate_action (list, "list.scroll-to-item", "u", 0));
  ui_wait_until (at_room_start, f, 10000, "the room's first message in view");

  /* 140 messages before the first sync's ten, 30 a page: five requests,
   * each for a page not asked for before. */
  g_assert_cmpuint (fake_homeserver_count_requests (f->server, "GET",
                                                    "/_matrix/client/v3/rooms/" PAGED "/messages"), ==, 5);
}

/* The top of the divider's row and the text of the message below it. */
static double
divider_top (Fixture     *f,
             const char **below)
{
  GtkWidget *row;
  double top;

  row = ui_timeline_divider_row (f->window, &top);
  g_assert_nonnull (row);
  *below = ui_event_row_text (row);
  return top;
}

static gboolean
load_error_shown (gpointer data)
{
  Fixture *f = data;
  GtkWidget *overlay = template_child (f->window, CONFAB_TYPE_WINDOW, "toast_overlay");
  g_autoptr(GPtrArray) labels = ui_find_widgets (overlay, GTK_TYPE_LABEL);

  for (guint i = 0; i < labels->len; i++)
    if (g_str_has_prefix (gtk_label_get_text (labels->pdata[i]), "Could not load older messages"))
      return TRUE;
  return FALSE;
}

/* A failed load is said once, not asked again and again while the top
 * stays in view; opening the room again asks again. */
static void
test_failed_load_not_repeated (Fixture       *f,
                               gconstpointer  data)
{
  g_autofree char *sync = first_sync (0);
  const char *path = "/_matrix/client/v3/rooms/" PAGED "/messages";

  fake_homeserver_queue_json (f->server, "GET", "/_matrix/client/v3/rooms/" PAGED "/messages"
                              "?dir=b&from=t140&limit=" PAGE, 500,
                              "{\"errcode\":\"M_UNKNOWN\",\"error\":\"Oops\"}", FALSE);
  queue_paged_history (f);
  start_app (f, sync);
  click_room (f, "Paged Room");
  ui_wait_until (load_error_shown, f, 5000, "the error said");
  iterate_for (1000);
  g_assert_cmpuint (fake_homeserver_count_requests (f->server, "GET", path), ==, 1);

  click_room (f, "Small Room");
  click_room (f, "Paged Room");
  assert_opened_at_newest (f, PAGED);
  g_assert_cmpuint (fake_homeserver_count_requests (f->server, "GET", path), >=, 2);
}

static guint
count_read_markers (Fixture    *f,
                    const char *room_id)
{
  g_autofree char *path = g_strdup_printf ("/_matrix/client/v3/rooms/%s/read_markers", room_id);

  return fake_homeserver_count_requests (f->server, "POST", path);
}

typedef struct {
  Fixture    *f;
  const char *room_id;
  guint       n;
} ReadCheck;

static gboolean
read_markers_sent (gpointer data)
{
  ReadCheck *check = data;

  return count_read_markers (check->f, check->room_id) >= check->n;
}

/* The m.read of the last read markers sent. */
static char *
last_read_event (Fixture *f)
{
  FakeRequest *request = NULL;
  GPtrArray *requests = fake_homeserver_get_requests (f->server);
  g_autoptr(JsonNode) body = NULL;

  for (guint i = 0; i < requests->len; i++)
    if (g_str_has_suffix (((FakeRequest *) requests->pdata[i])->path, "/read_markers"))
      request = requests->pdata[i];
  g_assert_nonnull (request);
  body = fake_request_parse_json (request);
  g_assert_nonnull (body);
  return g_strdup (json_object_get_string_member (json_node_get_object (body), "m.read"));
}

static gboolean
has_n_items (gpointer data)
{
  gpointer *args = data;

  return g_list_model_get_n_items (args[0]) >= GPOINTER_TO_UINT (args[1]);
}

static gboolean
room_read (gpointer data)
{
  return matrix_room_get_notification_count (data) == 0;
}

static gboolean
divider_at_top (gpointer data)
{
  return ui_timeline_divider_at_top (((Fixture *) data)->window);
}

/* A room is marked read when its newest message has been seen: not while
 * the user reads further up, however long the room is open. */
static void
test_marked_read_when_newest_seen (Fixture       *f,
                                   gconstpointer  data)
{
  g_autofree char *sync = first_sync (0);
  GString *next = g_string_new ("{\"next_batch\":\"s2\",\"rooms\":{\"join\":{\"" BIG "\":{"
                                "\"timeline\":{\"events\":[");
  ReadCheck opened = { f, BIG, 1 }, seen = { f, BIG, 2 };
  GtkAdjustment *adjustment;
  GListModel *timeline;
  g_autofree char *event_id = NULL;
  guint n;

  append_message (next, BIG, N_MESSAGES + 1);
  g_string_append (next, "]},\"unread_notifications\":{\"notification_count\":1,\"highlight_count\":0}}}}}");
  start_app_full (f, sync, next->str);
  g_string_free (next, TRUE);

  /* Opened at the newest message: read. */
  click_room (f, "Big Room");
  assert_opened_at_newest (f, BIG);
  ui_wait_until (read_markers_sent, &opened, 5000, "the room marked read");
  event_id = last_read_event (f);
  g_assert_cmpstr (event_id, ==, "$big:example.org-150");

  /* Scrolled up, a new message comes: it is not seen, so not read. */
  adjustment = vadjustment (f);
  gtk_adjustment_set_value (adjustment, gtk_adjustment_get_value (adjustment) -
                                        gtk_adjustment_get_page_size (adjustment));
  ui_wait_frames (GTK_WIDGET (f->window), 2);
  g_assert_false (newest_in_view (f));
  timeline = G_LIST_MODEL (matrix_room_get_timeline (confab_window_get_room (f->window)));
  n = g_list_model_get_n_items (timeline);
  fake_homeserver_queue_held (f->server, "GET", SYNC "?since=s2&timeout=30000", 200,
                              "application/json", "{\"next_batch\":\"s2\"}");
  g_assert_cmpuint (fake_homeserver_release (f->server), ==, 1);
  ui_wait_until (has_n_items, (gpointer[]) { timeline, GUINT_TO_POINTER (n + 1) }, 5000, "the new message");
  iterate_for (1000);
  g_assert_false (newest_in_view (f));
  g_assert_cmpuint (count_read_markers (f, BIG), ==, 1);
  g_assert_cmpuint (matrix_room_get_notification_count (confab_window_get_room (f->window)), ==, 1);

  /* Back down to it: read. */
  gtk_adjustment_set_value (adjustment, gtk_adjustment_get_upper (adjustment));
  ui_wait_until (newest_in_view, f, 5000, "the new message in view");
  ui_wait_until (read_markers_sent, &seen, 5000, "the new message marked read");
  g_clear_pointer (&event_id, g_free);
  event_id = last_read_event (f);
  g_assert_cmpstr (event_id, ==, "$big:example.org-151");
}

/* A few unread messages: the room opens at its newest message, with the
 * divider above the first unread one, in view; and it is read. */
static void
test_divider_above_few_unread (Fixture       *f,
                               gconstpointer  data)
{
  g_autofree char *sync = first_sync (3);
  ReadCheck read = { f, BIG, 1 };
  const char *below;
  double top;

  start_app (f, sync);
  click_room (f, "Big Room");
  assert_opened_at_newest (f, BIG);
  top = divider_top (f, &below);
  g_assert_cmpstr (below, ==, "Message 148");
  g_assert_cmpfloat (top, >, 0);
  ui_wait_until (read_markers_sent, &read, 5000, "the room marked read");

  /* Read, the divider stays where it was while the room is open. */
  ui_wait_until ((UiTestPredicate) room_read, confab_window_get_room (f->window), 5000, "counts cleared");
  ui_wait_frames (GTK_WIDGET (f->window), 2);
  divider_top (f, &below);
  g_assert_cmpstr (below, ==, "Message 148");
}

/* More unread messages than fit: the room opens at the first of them, the
 * divider at the top of the view, and is not read until the user has
 * scrolled down to the newest. */
static void
test_opens_at_first_unread (Fixture       *f,
                            gconstpointer  data)
{
  g_autofree char *sync = first_sync (60);
  ReadCheck read = { f, BIG, 1 };
  GtkAdjustment *adjustment;
  g_auto(GStrv) texts = NULL;
  const char *below;
  double top;

  start_app (f, sync);
  click_room (f, "Big Room");
  ui_wait_until (divider_at_top, f, 5000, "the divider at the top of the view");
  ui_wait_frames (GTK_WIDGET (f->window), 5);
  top = divider_top (f, &below);
  g_assert_cmpstr (below, ==, "Message 091");
  g_assert_cmpfloat (top, >=, 0);
  g_assert_cmpfloat (top, <, 1);
  g_assert_false (newest_in_view (f));
  texts = texts_in_view (f);
  g_assert_cmpstr (texts[0], ==, "Message 091");

  /* Not read while the newest message is out of view. */
  iterate_for (1000);
  g_assert_cmpuint (count_read_markers (f, BIG), ==, 0);
  g_assert_cmpuint (matrix_room_get_notification_count (confab_window_get_room (f->window)), ==, 60);

  adjustment = vadjustment (f);
  gtk_adjustment_set_value (adjustment, gtk_adjustment_get_upper (adjustment));
  ui_wait_until (newest_in_view, f, 5000, "the newest message in view");
  ui_wait_until (read_markers_sent, &read, 5000, "the room marked read");
}

/* The first unread message is older than what the first sync brought: the
 * room loads older messages until it has it, and opens there. The newest
 * message shown meanwhile, at the bottom, does not make the room read. */
static void
test_loads_to_first_unread (Fixture       *f,
                            gconstpointer  data)
{
  g_autofree char *sync = first_sync_unread (0, 40);
  const char *below;

  queue_paged_history_full (f, 1500);
  start_app (f, sync);
  click_room (f, "Paged Room");
  ui_wait_until (divider_at_top, f, 5000, "the divider at the top of the view");
  divider_top (f, &below);
  g_assert_cmpstr (below, ==, "Message 111");
  g_assert_false (newest_in_view (f));
  iterate_for (1000);
  g_assert_cmpuint (count_read_markers (f, PAGED), ==, 0);
  /* Ten in the sync, thirty more found the first unread. */
  g_assert_cmpuint (fake_homeserver_count_requests (f->server, "GET",
                                                    "/_matrix/client/v3/rooms/" PAGED "/messages"), ==, 1);
}

/* The screenshot of the README: a room opened at its newest messages, with
 * the app's style sheet (the unread badge, the emote, the notice, the
 * divider) while the connection is lost (the banner). */
static void
test_screenshot (Fixture       *f,
                 gconstpointer  data)
{
  g_autofree char *sync = first_sync (3);
  g_autofree char *png = NULL;
  GtkWidget *banner;

  /* The sync after the first fails; its retry waits. */
  fake_homeserver_queue (f->server, "GET", SYNC "?since=s1&timeout=30000", 500, "Oops", FALSE);
  start_app (f, sync);
  click_room (f, "Big Room");
  assert_opened_at_newest (f, BIG);

  banner = template_child (f->window, CONFAB_TYPE_WINDOW, "banner");
  ui_wait_until ((UiTestPredicate) gtk_revealer_get_child_revealed, banner, 5000, "the banner shown");
  ui_wait_frames (GTK_WIDGET (f->window), 3);
  g_assert_true (newest_in_view (f));
  png = ui_save_png (GTK_WIDGET (f->window), "room-open-newest.png");
}

int
main (int   argc,
      char *argv[])
{
  int status;

  ui_test_init (&argc, &argv);
  app = G_APPLICATION (ui_test_get_application ());

  g_test_add ("/confab/timeline-view/open/click-shows-newest", Fixture, NULL,
              fixture_setup, test_click_opens_at_newest, fixture_teardown);
  g_test_add ("/confab/timeline-view/open/notification-shows-newest", Fixture, NULL,
              fixture_setup, test_notification_opens_at_newest, fixture_teardown);
  g_test_add ("/confab/timeline-view/open/notification-first-room-shows-newest", Fixture, NULL,
              fixture_setup, test_notification_opens_first_room_at_newest, fixture_teardown);
  g_test_add ("/confab/timeline-view/open/paged-room-shows-newest", Fixture, NULL,
              fixture_setup, test_paged_room_opens_at_newest, fixture_teardown);
  g_test_add ("/confab/timeline-view/open/scrolls-at-once", Fixture, NULL,
              fixture_setup, test_scrolls_at_once, fixture_teardown);
  g_test_add ("/confab/timeline-view/older/loads-to-room-start-while-top-in-view", Fixture, NULL,
              fixture_setup, test_loads_older_to_room_start, fixture_teardown);
  g_test_add ("/confab/timeline-view/older/failed-load-not-repeated", Fixture, NULL,
              fixture_setup, test_failed_load_not_repeated, fixture_teardown);
  g_test_add ("/confab/timeline-view/read/marked-when-newest-seen", Fixture, NULL,
              fixture_setup, test_marked_read_when_newest_seen, fixture_teardown);
  g_test_add ("/confab/timeline-view/unread/divider-above-few-unread", Fixture, NULL,
              fixture_setup, test_divider_above_few_unread, fixture_teardown);
  g_test_add ("/confab/timeline-view/unread/opens-at-first-unread", Fixture, NULL,
              fixture_setup, test_opens_at_first_unread, fixture_teardown);
  g_test_add ("/confab/timeline-view/unread/loads-older-to-first-unread", Fixture, NULL,
              fixture_setup, test_loads_to_first_unread, fixture_teardown);
  g_test_add ("/confab/timeline-view/screenshot", Fixture, NULL,
              fixture_setup, test_screenshot, fixture_teardown);

  status = g_test_run ();
  return status;
}
