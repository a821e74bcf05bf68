/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "test-integration-app-room-open"

/* The application against a real Synapse, started as `confab --homeserver
 * URL --user USER --password-file FILE` starts (tools/run-demo does so), with
 * what a peer posted meanwhile:
 * - "Busy Room", 150 messages, read up to the 140th: opened by a click on
 *   its row, or by a notification (app.open-room), it shows its newest
 *   message at the bottom of the view (the scroll bar agrees), the "New
 *   messages" divider above the 141st, and the room's fully-read marker on
 *   the server moves to the newest message;
 * - "Unread Room", 60 messages, none read (more than fit): it opens at the
 *   first, under the divider, and is marked read only once the user has
 *   scrolled down to the newest.
 * Runs under Xvfb with a session bus (tools/run-tests gives both). */

#include <glib/gstdio.h>

#include "confab-application.h"
#include "confab-timeline-view.h"
#include "confab-window.h"
#include "integration-utils.h"
#include "ui-test-utils.h"
#include "ui-timeline-utils.h"

#define N_BUSY 150
#define N_BUSY_READ 140
#define N_UNREAD 60

typedef struct {
  GApplication *app;
  ConfabWindow *window;
  Peer         *alice;     /* the app's user, seen from outside */
  char         *busy_id;
  char         *unread_id;
  char         *quiet_id;
  char         *busy_newest_id;
  char         *unread_newest_id;
  guint         n_warnings;
  gboolean      checked;
} Run;

static gboolean
rooms_listed (gpointer data)
{
  Run *run = data;
  MatrixRoomStateTracker *tracker = confab_window_get_tracker (run->window);
  const char *ids[] = { run->busy_id, run->unread_id, run->quiet_id };
  const char *names[] = { "Busy Room", "Unread Room", "Quiet Room" };

  if (tracker == NULL)
    return FALSE;
  for (guint i = 0; i < G_N_ELEMENTS (ids); i++)
    {
      MatrixRoom *room = matrix_room_state_tracker_get_room (tracker, ids[i]);

      if (room == NULL || matrix_room_get_membership (room) != MATRIX_MEMBERSHIP_JOIN ||
          g_strcmp0 (matrix_room_get_display_name (room), names[i]) != 0)
        return FALSE;
    }
  return TRUE;
}

static gboolean
newest_in_view (gpointer data)
{
  return ui_timeline_newest_in_view (((Run *) data)->window);
}

static gboolean
room_opened (Run        *run,
             const char *room_id)
{
  MatrixRoom *room = confab_window_get_room (run->window);

  return room != NULL && g_str_equal (matrix_room_get_room_id (room), room_id);
}

static gboolean
divider_at_top (gpointer data)
{
  return ui_timeline_divider_at_top (((Run *) data)->window);
}

/* Busy Room's newest message drawn at the bottom, and staying there. */
static void
assert_opened_at_newest (Run *run)
{
  g_auto(GStrv) texts = NULL;
  guint n;

  g_assert_true (room_opened (run, run->busy_id));
  ui_wait_until (newest_in_view, run, INTEGRATION_TIMEOUT_MS, "the newest message in view");
  for (guint i = 0; i < 5; i++)
    {
      ui_wait_frames (GTK_WIDGET (run->window), 1);
      g_assert_true (ui_timeline_newest_in_view (run->window));
      g_assert_true (ui_timeline_at_bottom (run->window));
    }

  texts = ui_timeline_texts_in_view (run->window);
  n = g_strv_length (texts);
  g_assert_cmpuint (n, >=, 5);
  g_assert_cmpstr (texts[n - 1], ==, "Message 150");
  g_assert_cmpstr (texts[n - 2], ==, "Message 149");
}

/* The event id of the fully-read marker of @room_id on the server, if any. */
static char *
fully_read_marker (Run        *run,
                   const char *room_id)
{
  g_autofree char *user = g_uri_escape_string (peer_get_user_id (run->alice), NULL, FALSE);
  g_autofree char *room = g_uri_escape_string (room_id, NULL, FALSE);
  g_autofree char *path = g_strdup_printf ("v3/user/%s/rooms/%s/account_data/m.fully_read", user, room);
  g_autoptr(JsonObject) marker = NULL;
  g_autoptr(GError) error = NULL;

  marker = peer_request (run->alice, "GET", path, NULL, &error);
  if (marker == NULL)
    {
      g_assert_error (error, MATRIX_ERROR, MATRIX_ERROR_NOT_FOUND);
      return NULL;
    }
  return g_strdup (json_object_get_string_member_with_default (marker, "event_id", NULL));
}

typedef struct {
  Run        *run;
  const char *room_id;
  const char *event_id;
} MarkerCheck;

static gboolean
fully_read_at (gpointer data)
{
  MarkerCheck *check = data;
  g_autofree char *event_id = fully_read_marker (check->run, check->room_id);

  return g_strcmp0 (event_id, check->event_id) == 0;
}

/* The recovery key of the new account's key backup, shown once after the
 * first sign-in: the user saves it, and the window is active again. */
static gboolean
recovery_key_shown (gpointer data)
{
  GListModel *toplevels = gtk_window_get_toplevels ();

  for (guint i = 0; i < g_list_model_get_n_items (toplevels); i++)
    {
      g_autoptr(GtkWindow) window = g_list_model_get_item (toplevels, i);

      if (ADW_IS_MESSAGE_DIALOG (window) && gtk_widget_get_visible (GTK_WIDGET (window)) &&
          adw_message_dialog_has_response (ADW_MESSAGE_DIALOG (window), "saved"))
        {
          *(GtkWindow **) data = window;
          return TRUE;
        }
    }
  return FALSE;
}

static gboolean
window_active (gpointer data)
{
  return gtk_window_is_active (GTK_WINDOW (data));
}

static void
save_recovery_key (void)
{
  GtkWindow *dialog = NULL;

  ui_wait_until (recovery_key_shown, &dialog, INTEGRATION_TIMEOUT_MS,
                 "the recovery key after the first sign-in");
  adw_message_dialog_response (ADW_MESSAGE_DIALOG (dialog), "saved");
  gtk_window_close (dialog);
}

static gboolean
run_checks (gpointer data)
{
  Run *run = data;
  MarkerCheck busy_read = { run, run->busy_id, run->busy_newest_id };
  MarkerCheck unread_read = { run, run->unread_id, run->unread_newest_id };
  g_autofree char *marker = NULL;
  GtkAdjustment *adjustment;
  GtkWidget *row;
  double top;

  save_recovery_key ();
  for (GList *l = gtk_application_get_windows (GTK_APPLICATION (run->app)); l != NULL; l = l->next)
    if (CONFAB_IS_WINDOW (l->data))
      run->window = CONFAB_WINDOW (l->data);
  g_assert_nonnull (run->window);
  /* Back to the window, as after any dialog. */
  gtk_window_present (GTK_WINDOW (run->window));
  ui_wait_until (window_active, run->window, INTEGRATION_TIMEOUT_MS, "the window active again");
  ui_wait_until (rooms_listed, run, INTEGRATION_TIMEOUT_MS, "the rooms after signing in");
  ui_wait_frames (GTK_WIDGET (run->window), 2);

  /* A click on its row: at the newest message, the divider above the
   * first unread one, and read. */
  ui_click_room (run->window, "Busy Room");
  assert_opened_at_newest (run);
  row = ui_timeline_divider_row (run->window, &top);
  g_assert_nonnull (row);
  g_assert_cmpstr (ui_event_row_text (row), ==, "Message 141");
  g_assert_cmpfloat (top, >, 0);
  ui_wait_until (fully_read_at, &busy_read, INTEGRATION_TIMEOUT_MS, "Busy Room's fully-read marker on the newest");

  /* A notification's action, while another room is open. */
  ui_click_room (run->window, "Quiet Room");
  g_assert_true (room_opened (run, run->quiet_id));
  ui_wait_until (newest_in_view, run, INTEGRATION_TIMEOUT_MS, "the quiet room's message in view");
  g_action_group_activate_action (G_ACTION_GROUP (run->app), "open-room",
                                  g_variant_new_string (run->busy_id));
  assert_opened_at_newest (run);

  /* More unread than fits: at the first of them, read only once the newest
   * was seen. */
  ui_click_room (run->window, "Unread Room");
  g_assert_true (room_opened (run, run->unread_id));
  ui_wait_until (divider_at_top, run, INTEGRATION_TIMEOUT_MS, "the divider at the top");
  ui_wait_frames (GTK_WIDGET (run->window), 5);
  row = ui_timeline_divider_row (run->window, &top);
  g_assert_cmpstr (ui_event_row_text (row), ==, "Message 001");
  g_assert_false (ui_timeline_newest_in_view (run->window));
  iterate_for (1500);
  marker = fully_read_marker (run, run->unread_id);
  g_assert_null (marker);

  adjustment = ui_timeline_vadjustment (run->window);
  gtk_adjustment_set_value (adjustment, gtk_adjustment_get_upper (adjustment));
  ui_wait_until (newest_in_view, run, INTEGRATION_TIMEOUT_MS, "Unread Room's newest message in view");
  ui_wait_until (fully_read_at, &unread_read, INTEGRATION_TIMEOUT_MS, "Unread Room's fully-read marker on the newest");

  g_assert_cmpuint (run->n_warnings, ==, 0);
  run->checked = TRUE;
  g_action_group_activate_action (G_ACTION_GROUP (run->app), "quit", NULL);

  return G_SOURCE_REMOVE;
}

static void
on_activate (GApplication *app,
             Run          *run)
{
  g_idle_add (run_checks, run);
}

/* @n messages "Message 001"… from @peer in @room_id; returns the last
 * one's event id, and the @nth's in @nth_id. */
static char *
post_messages (Peer        *peer,
               const char  *room_id,
               guint        n,
               guint        nth,
               char       **nth_id)
{
  char *last = NULL;

  for (guint i = 1; i <= n; i++)
    {
      g_autofree char *body = g_strdup_printf ("Message %03u", i);

      g_free (last);
      last = peer_send_text (peer, room_id, body);
      if (i == nth && nth_id != NULL)
        *nth_id = g_strdup (last);
    }
  return last;
}

static void
test_room_opens_at_newest (void)
{
  g_autoptr(Peer) bob = peer_new ("bob");
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonObject) reply = NULL;
  g_autofree char *read_id = NULL;
  g_autofree char *path = NULL;
  g_autofree char *markers = NULL;
  Run run = { 0 };

  run.alice = peer_new ("alice");
  run.busy_id = peer_create_room (bob, "Busy Room");
  run.unread_id = peer_create_room (bob, "Unread Room");
  peer_invite (bob, run.busy_id, peer_get_user_id (run.alice));
  peer_invite (bob, run.unread_id, peer_get_user_id (run.alice));
  peer_join (run.alice, run.busy_id);
  peer_join (run.alice, run.unread_id);
  run.quiet_id = peer_create_room (run.alice, "Quiet Room");
  g_free (peer_send_text (run.alice, run.quiet_id, "Nothing new here"));
  run.busy_newest_id = post_messages (bob, run.busy_id, N_BUSY, N_BUSY_READ, &read_id);
  run.unread_newest_id = post_messages (bob, run.unread_id, N_UNREAD, 0, NULL);

  /* Alice read Busy Room up to its 140th message elsewhere. */
  path = g_strdup_printf ("v3/rooms/%s/read_markers", run.busy_id);
  markers = g_strdup_printf ("{\"m.fully_read\":\"%s\",\"m.read\":\"%s\"}", read_id, read_id);
  reply = peer_request (run.alice, "POST", path, markers, &error);
  g_assert_no_error (error);

  ui_count_scroll_warnings (&run.n_warnings);
  run.app = G_APPLICATION (ui_test_get_application ());
  g_signal_connect (run.app, "activate", G_CALLBACK (on_activate), &run);
  g_assert_cmpint (integration_run_app_signed_in (run.app, run.alice), ==, 0);
  g_assert_true (run.checked);

  peer_free (run.alice);
  g_free (run.busy_id);
  g_free (run.unread_id);
  g_free (run.quiet_id);
  g_free (run.busy_newest_id);
  g_free (run.unread_newest_id);
}

int
main (int   argc,
      char *argv[])
{
  ui_test_init (&argc, &argv);

  g_test_add_func ("/integration/app/room/opens-at-newest", test_room_opens_at_newest);

  return g_test_run ();
}
