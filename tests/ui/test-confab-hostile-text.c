/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "test-confab-hostile-text"

#include <string.h>

#include <glib/gstdio.h>

#include "confab-application.h"
#include "confab-event-row.h"
#include "confab-message-body.h"
#include "confab-room-row.h"
#include "confab-session.h"
#include "confab-window.h"
#include "confab-wrap-bin.h"
#include "ui-hostile-text.h"
#include "ui-test-utils.h"
#include "ui-timeline-utils.h"

/* What anyone in a room can send, shown by the real application against the
 * fake homeserver: twenty messages of 60 KB (no spaces, stacked combining
 * marks, bidirectional overrides, emoji, ordinary words) that must neither
 * freeze the window nor slow it, and names, a room name, a topic and
 * messages that try to look like something else. The main loop is watched
 * by a high-priority timeout that notes the longest time between its beats. */

#define SYNC "/_matrix/client/v3/sync"
#define USER "@alice:example.org"
#define SMALL "!small:example.org"
#define HOSTILE "!hostile:example.org"
#define DECEIT "!deceit:example.org"
#define N_BIG UI_HOSTILE_N_BIG

#define FSI "\u2068"
#define PDI "\u2069"
#define RLO "\u202e"
#define PDF "\u202c"

#define MAX_OPEN_MS UI_HOSTILE_MAX_OPEN_MS
#define MAX_BLOCK_MS UI_HOSTILE_MAX_BLOCK_MS

static GApplication *app;

typedef struct {
  FakeHomeserver *server;
  GApplication   *app;
  ConfabWindow   *window;
  MatrixStore    *store;   /* weak: the window's store, while it closes */
  guint           n_warnings;
} Fixture;

/* --- what the server sends ---------------------------------------------------- */

static void
append_event (GString    *s,
              const char *type,
              const char *state_key,
              const char *sender,
              const char *id,
              guint       minute,
              const char *content)
{
  g_string_append_printf (s, "{\"type\":\"%s\",", type);
  if (state_key != NULL)
    g_string_append_printf (s, "\"state_key\":\"%s\",", state_key);
  g_string_append_printf (s, "\"sender\":\"%s\",\"event_id\":\"%s\","
                             "\"origin_server_ts\":%" G_GINT64_FORMAT ",\"content\":%s}",
                          sender, id, (gint64) 1700000000000 + minute * 60000, content);
}

static void
append_member (GString    *s,
               const char *user_id,
               const char *name)
{
  g_autofree char *id = g_strdup_printf ("$member-%s", user_id + 1);
  g_autofree char *content = g_strdup_printf ("{\"membership\":\"join\",\"displayname\":\"%s\"}", name);

  append_event (s, "m.room.member", user_id, user_id, id, 0, content);
  g_string_append_c (s, ',');
}

static void
append_hostile_room (GString *s)
{
  g_string_append (s, "\"" HOSTILE "\":{\"state\":{\"events\":[");
  append_member (s, "@bob:example.org", "Bob");
  append_member (s, USER, "Alice");
  append_event (s, "m.room.name", "", "@bob:example.org", "$hostile-name", 0,
                "{\"name\":\"Hostile Room\"}");
  g_string_append (s, "]},\"timeline\":{\"limited\":false,\"events\":[");
  append_event (s, "m.room.create", "", "@bob:example.org", "$hostile-create", 0,
                "{\"creator\":\"@bob:example.org\"}");
  for (guint i = 1; i <= N_BIG; i++)
    {
      g_autofree char *id = g_strdup_printf ("$big-%02u", i);
      g_autofree char *body = ui_hostile_big_body (i);
      g_autofree char *content = g_strdup_printf ("{\"msgtype\":\"m.text\",\"body\":\"%s\"}", body);

      g_string_append_c (s, ',');
      append_event (s, "m.room.message", NULL, "@bob:example.org", id, i, content);
    }
  g_string_append (s, "]}}");
}

/* A room that pretends: its name reversed and padded with nothing, a 64 KB
 * topic (as large as an event allows), members named like others or like ids, and short messages that
 * stack marks or override what follows them. */
static void
append_deceit_room (GString *s)
{
  static const struct { const char *sender, *body; } messages[] = {
    { "@mallory:example.org", "I am Alice" },
    { "@eve:example.org", "I am Alice's id" },
    { "@oscar:example.org", "my name turns the header around" },
    { "@blank:example.org", "you cannot see my name" },
    { "@bob:example.org", "Z\u0301\u0301\u0301\u0301\u0301\u0301\u0301\u0301\u0301\u0301\u0301\u0301 stacked" },
    { "@bob:example.org", "Pay " RLO "0001 to me" },
  };
  g_autofree char *topic = g_strnfill (UI_HOSTILE_BIG_BYTES, 't');
  g_autofree char *topic_content = g_strdup_printf ("{\"topic\":\"Plans %s\"}", topic);

  g_string_append (s, ",\"" DECEIT "\":{\"state\":{\"events\":[");
  append_member (s, "@bob:example.org", "Bob");
  append_member (s, USER, "Alice");
  append_member (s, "@mallory:example.org", "Al\u200bice\u2060");
  append_member (s, "@eve:example.org", "@alice:example.org");
  append_member (s, "@oscar:example.org", "Oscar" RLO);
  append_member (s, "@blank:example.org", "\u200b\u3164\u2800");
  append_event (s, "m.room.topic", "", "@bob:example.org", "$deceit-topic", 0, topic_content);
  g_string_append_c (s, ',');
  append_event (s, "m.room.name", "", "@bob:example.org", "$deceit-name", 0,
                "{\"name\":\"" RLO "Deceit\u200b Room\"}");
  g_string_append (s, "]},\"timeline\":{\"limited\":false,\"events\":[");
  append_event (s, "m.room.create", "", "@bob:example.org", "$deceit-create", 0,
                "{\"creator\":\"@bob:example.org\"}");
  for (guint i = 0; i < G_N_ELEMENTS (messages); i++)
    {
      g_autofree char *id = g_strdup_printf ("$deceit-%u", i);
      g_autofree char *content = g_strdup_printf ("{\"msgtype\":\"m.text\",\"body\":\"%s\"}",
                                                  messages[i].body);

      g_string_append_c (s, ',');
      append_event (s, "m.room.message", NULL, messages[i].sender, id, 1 + i, content);
    }
  g_string_append (s, "]}}");
}

static char *
hostile_sync (void)
{
  GString *s = g_string_new ("{\"next_batch\":\"s2\",\"rooms\":{\"join\":{");

  append_hostile_room (s);
  append_deceit_room (s);
  g_string_append (s, "}}}");
  return g_string_free (s, FALSE);
}

static const char first_sync[] =
  "{\"next_batch\":\"s1\",\"rooms\":{\"join\":{\"" SMALL "\":{\"state\":{\"events\":["
  "{\"type\":\"m.room.name\",\"state_key\":\"\",\"sender\":\"@bob:example.org\",\"event_id\":\"$n\","
  "\"origin_server_ts\":1700000000000,\"content\":{\"name\":\"Small Room\"}}]},"
  "\"timeline\":{\"limited\":false,\"events\":[]}}}}}";

/* --- the application ---------------------------------------------------------- */

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
  /* A room seen to its newest message is marked read. */
  fake_homeserver_queue_json (f->server, "POST", "/_matrix/client/v3/rooms/" HOSTILE "/read_markers",
                              200, "{}", TRUE);
  fake_homeserver_queue_json (f->server, "POST", "/_matrix/client/v3/rooms/" DECEIT "/read_markers",
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
  g_object_unref (f->server);
  ui_test_clear_data_home ();
  g_assert_cmpuint (f->n_warnings, ==, 0);
}

static gboolean
small_listed (gpointer data)
{
  Fixture *f = data;
  MatrixRoomStateTracker *tracker = confab_window_get_tracker (f->window);

  return tracker != NULL && matrix_room_state_tracker_get_room (tracker, SMALL) != NULL;
}

static gboolean
hostile_listed (gpointer data)
{
  Fixture *f = data;
  MatrixRoomStateTracker *tracker = confab_window_get_tracker (f->window);

  return tracker != NULL && matrix_room_state_tracker_get_room (tracker, HOSTILE) != NULL &&
         matrix_room_state_tracker_get_room (tracker, DECEIT) != NULL;
}

static gboolean
sync_held (gpointer data)
{
  return fake_homeserver_get_n_held (((Fixture *) data)->server) > 0;
}

/* Starts the application on a small first sync; the hostile one is the
 * second, sent once the window is up (with @dog watching from then on). */
static void
start_app (Fixture  *f,
           UiWatchdog *dog)
{
  g_autofree char *hostile = hostile_sync ();

  fake_homeserver_queue_json (f->server, "GET", SYNC "?timeout=30000", 200, first_sync, FALSE);
  fake_homeserver_queue_held (f->server, "GET", SYNC "?since=s1&timeout=30000", 200,
                              "application/json", hostile);
  g_application_activate (f->app);
  f->window = CONFAB_WINDOW (gtk_application_get_active_window (GTK_APPLICATION (f->app)));
  g_assert_nonnull (f->window);
  gtk_window_set_default_size (GTK_WINDOW (f->window), 1000, 700);
  ui_wait_until (small_listed, f, 5000, "the first sync");
  ui_wait_until (sync_held, f, 5000, "the second sync asked for");
  ui_wait_frames (GTK_WIDGET (f->window), 3);

  /* The next sync waits for good: nothing more comes. */
  fake_homeserver_queue_held (f->server, "GET", SYNC "?since=s2&timeout=30000", 200,
                              "application/json", "{\"next_batch\":\"s2\"}");
  if (dog != NULL)
    ui_watchdog_start (dog);
  g_assert_cmpuint (fake_homeserver_release (f->server), ==, 1);
  ui_wait_until (hostile_listed, f, 10000, "the hostile rooms");
  ui_wait_frames (GTK_WIDGET (f->window), 2);
}

static gboolean
newest_in_view (gpointer data)
{
  return ui_timeline_newest_in_view (((Fixture *) data)->window);
}

static void
open_room (Fixture    *f,
           const char *name)
{
  ui_click_room (f->window, name);
  ui_wait_until (newest_in_view, f, 5000, "the newest message in view");
}

/* The event rows drawn in the timeline. */
static GPtrArray *
event_rows (Fixture *f)
{
  return ui_find_widgets (ui_timeline_scroller (f->window), CONFAB_TYPE_EVENT_ROW);
}

/* The row drawn for the message whose event id is @event_id. */
static GtkWidget *
row_of (Fixture    *f,
        const char *event_id)
{
  g_autoptr(GPtrArray) rows = event_rows (f);

  for (guint i = 0; i < rows->len; i++)
    {
      MatrixTimelineItem *item = confab_event_row_get_item (rows->pdata[i]);

      if (item != NULL && g_strcmp0 (matrix_timeline_item_get_event_id (item), event_id) == 0)
        return rows->pdata[i];
    }
  g_error ("No row drawn for %s", event_id);
}

static const char *
sender_of (Fixture    *f,
           const char *event_id)
{
  GtkWidget *row = row_of (f, event_id);

  g_assert_true (ui_child_visible (row, CONFAB_TYPE_EVENT_ROW, "header_box"));
  return ui_child_label (row, CONFAB_TYPE_EVENT_ROW, "sender_label");
}

static const char *
body_of (Fixture    *f,
         const char *event_id)
{
  return ui_child_label (row_of (f, event_id), CONFAB_TYPE_EVENT_ROW, "body_label");
}

/* --- tests -------------------------------------------------------------------- */

/* Twenty 60 KB messages arrive: the window keeps drawing while they do, the
 * room opens at its newest message at once, scrolls through all of them
 * without a stall, and each long message shows its start until asked. */
static void
test_long_messages_bounded (Fixture       *f,
                            gconstpointer  data)
{
  UiWatchdog dog = { 0 };
  GtkAdjustment *adjustment;
  gint64 start;
  double open_ms, load_block_ms, open_block_ms, scroll_block_ms, expand_ms;
  double load_wall_ms, open_wall_ms, scroll_wall_ms;
  GtkWidget *newest;
  ConfabMessageBody *body;
  ConfabWrapBin *bin;
  guint measured;

  start_app (f, &dog);
  load_block_ms = ui_watchdog_stop (&dog);
  load_wall_ms = ui_watchdog_wall_ms (&dog);

  ui_watchdog_start (&dog);
  start = g_get_monotonic_time ();
  open_room (f, "Hostile Room");
  open_ms = (g_get_monotonic_time () - start) / 1000.0;
  open_block_ms = ui_watchdog_stop (&dog);
  open_wall_ms = ui_watchdog_wall_ms (&dog);
  ui_watchdog_start (&dog);

  /* Up through every message to the room's start, and down again. */
  adjustment = ui_timeline_vadjustment (f->window);
  for (guint pass = 0; pass < 2; pass++)
    for (guint step = 0; step < 200; step++)
      {
        double value = gtk_adjustment_get_value (adjustment);
        double page = gtk_adjustment_get_page_size (adjustment);
        double bottom = gtk_adjustment_get_upper (adjustment) - page;

        if (pass == 0 ? value <= 0 : value >= bottom)
          break;
        gtk_adjustment_set_value (adjustment, pass == 0 ? value - page / 2 : value + page / 2);
        ui_wait_frames (GTK_WIDGET (f->window), 1);
      }
  ui_wait_frames (GTK_WIDGET (f->window), 3);
  scroll_block_ms = ui_watchdog_stop (&dog);
  scroll_wall_ms = ui_watchdog_wall_ms (&dog);

  g_printerr ("# open %.1f ms; longest block of the main loop (CPU / clock) while loading "
              "%.1f / %.1f ms, opening %.1f / %.1f ms, scrolling %.1f / %.1f ms\n",
              open_ms, load_block_ms, load_wall_ms, open_block_ms, open_wall_ms,
              scroll_block_ms, scroll_wall_ms);
  if (TEST_TIME_BUDGETS_APPLY)
    {
      g_assert_cmpfloat (open_ms, <, MAX_OPEN_MS);
      g_assert_cmpfloat (load_block_ms, <, MAX_BLOCK_MS);
      g_assert_cmpfloat (open_block_ms, <, MAX_BLOCK_MS);
      g_assert_cmpfloat (scroll_block_ms, <, MAX_BLOCK_MS);
      g_assert_cmpfloat (load_wall_ms, <, UI_HOSTILE_MAX_WALL_BLOCK_MS);
      g_assert_cmpfloat (open_wall_ms, <, UI_HOSTILE_MAX_WALL_BLOCK_MS);
      g_assert_cmpfloat (scroll_wall_ms, <, UI_HOSTILE_MAX_WALL_BLOCK_MS);
    }

  /* The newest message shows its start and "Show more". */
  ui_wait_until (newest_in_view, f, 5000, "the newest message in view again");
  newest = row_of (f, "$big-20");
  body = CONFAB_MESSAGE_BODY (gtk_widget_get_template_child (newest, CONFAB_TYPE_EVENT_ROW,
                                                             "message_body"));
  g_assert_true (confab_message_body_get_collapsed (body));
  g_assert_cmpuint (g_utf8_strlen (body_of (f, "$big-20"), -1), <=,
                    CONFAB_MESSAGE_BODY_MAX_CHARS + 1);

  /* Shown whole, it is laid out for its width once, not once a frame. */
  start = g_get_monotonic_time ();
  confab_message_body_set_expanded (body, TRUE);
  ui_wait_frames (GTK_WIDGET (f->window), 2);
  expand_ms = (g_get_monotonic_time () - start) / 1000.0;
  g_printerr ("# shown whole in %.1f ms\n", expand_ms);
  g_assert_false (confab_message_body_get_collapsed (body));
  g_assert_cmpuint (strlen (body_of (f, "$big-20")), >, UI_HOSTILE_BIG_BYTES - 100);
  bin = CONFAB_WRAP_BIN (gtk_widget_get_parent (GTK_WIDGET (confab_message_body_get_label (body))));
  measured = confab_wrap_bin_get_n_measured (bin);
  for (guint i = 0; i < 10; i++)
    {
      gtk_widget_queue_resize (GTK_WIDGET (newest));
      ui_wait_frames (GTK_WIDGET (f->window), 1);
    }
  g_assert_cmpuint (confab_wrap_bin_get_n_measured (bin), ==, measured);

  confab_message_body_set_expanded (body, FALSE);
  ui_wait_frames (GTK_WIDGET (f->window), 2);
  g_assert_true (confab_message_body_get_collapsed (body));
}

/* Each name is shown isolated, so that nothing it holds turns around what
 * follows it in the header. A name used by another member, or that looks
 * like a user id, is followed by the member's id; a name with an override
 * loses it; a name of nothing visible is the user id. */
static void
test_deceptive_names (Fixture       *f,
                      gconstpointer  data)
{
  start_app (f, NULL);
  open_room (f, "Deceit Room");

  g_assert_cmpstr (sender_of (f, "$deceit-0"), ==, FSI "Alice (@mallory:example.org)" PDI);
  g_assert_cmpstr (sender_of (f, "$deceit-1"), ==, FSI "@alice:example.org (@eve:example.org)" PDI);
  g_assert_cmpstr (sender_of (f, "$deceit-2"), ==, FSI "Oscar" PDI);
  g_assert_cmpstr (sender_of (f, "$deceit-3"), ==, FSI "@blank:example.org" PDI);
}

/* Stacked marks are capped; an override in a message ends with it. */
static void
test_deceptive_bodies (Fixture       *f,
                       gconstpointer  data)
{
  const char *stacked, *override;
  guint marks = 0;

  start_app (f, NULL);
  open_room (f, "Deceit Room");

  stacked = body_of (f, "$deceit-4");
  for (const char *p = stacked; *p != '\0'; p = g_utf8_next_char (p))
    if (g_unichar_ismark (g_utf8_get_char (p)))
      marks++;
  g_assert_cmpuint (marks, ==, MATRIX_TEXT_MAX_MARKS);
  g_assert_true (g_str_has_suffix (stacked, " stacked"));

  override = body_of (f, "$deceit-5");
  g_assert_cmpstr (override, ==, "Pay " RLO "0001 to me" PDF);
}

/* The room's name loses its override and zero-width space in the list and
 * the title; its 64 KB topic shows its start, isolated. */
static void
test_deceptive_room (Fixture       *f,
                     gconstpointer  data)
{
  GtkWidget *title;
  const char *subtitle;

  start_app (f, NULL);
  open_room (f, "Deceit Room");

  title = GTK_WIDGET (gtk_widget_get_template_child (GTK_WIDGET (f->window), CONFAB_TYPE_WINDOW,
                                                     "room_title"));
  g_assert_cmpstr (adw_window_title_get_title (ADW_WINDOW_TITLE (title)), ==, "Deceit Room");
  subtitle = adw_window_title_get_subtitle (ADW_WINDOW_TITLE (title));
  g_assert_true (g_str_has_prefix (subtitle, FSI "Plans ttt"));
  g_assert_true (g_str_has_suffix (subtitle, "t…" PDI));
  g_assert_cmpuint (g_utf8_strlen (subtitle, -1), <=, 203);
}

int
main (int   argc,
      char *argv[])
{
  ui_test_init (&argc, &argv);
  app = G_APPLICATION (ui_test_get_application ());

  g_test_add ("/confab/hostile-text/long-messages/open-and-scroll-bounded", Fixture, NULL,
              fixture_setup, test_long_messages_bounded, fixture_teardown);
  g_test_add ("/confab/hostile-text/names/isolated-and-disambiguated", Fixture, NULL,
              fixture_setup, test_deceptive_names, fixture_teardown);
  g_test_add ("/confab/hostile-text/bodies/marks-capped-overrides-closed", Fixture, NULL,
              fixture_setup, test_deceptive_bodies, fixture_teardown);
  g_test_add ("/confab/hostile-text/room/name-cleaned-topic-cut", Fixture, NULL,
              fixture_setup, test_deceptive_room, fixture_teardown);

  return g_test_run ();
}
