/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "test-integration-app-offline"

/* The app started from a saved session while nothing answers: the
 * homeserver frozen with SIGSTOP, and the keyring that holds the access
 * token frozen too. The real ConfabApplication startup (prefetch of the
 * store and of the token, the window restoring the session) must show the
 * rooms and an opened room's stored messages at once, with the main loop
 * never held up; syncing waits for the token, and once the server answers
 * again the connection banner goes with its first answer.
 *
 * Its own program, on a private session bus (GTestDBus) with a real
 * gnome-keyring-daemon, since libsecret keeps one connection to the Secret
 * Service per process. */

#include <glib/gstdio.h>
#include <signal.h>
#include <stdlib.h>

#include "confab-application.h"
#include "confab-event-row.h"
#include "confab-ui.h"
#include "confab-window.h"
#include "integration-utils.h"
#include "matrix-client-private.h"
#include "ui-test-utils.h"

/* What "at once" means here: far below the 25 s a D-Bus call to a frozen
 * keyring takes to time out, with room for a slow CI machine. */
#define AT_ONCE_MS 5000
#define N_MESSAGES 12

/* Kept for the life of the process: libsecret holds its connection to the
 * bus until exit (see tests/test-matrix-sqlite-store-keyring.c). */
GTestDBus *confab_test_bus_keeper;

/* The longest the main loop went without running a 20 ms timeout. */
typedef struct {
  gint64 last;
  gint64 longest;
  guint  source;
} LoopWatch;

static gboolean
loop_watch_tick (gpointer user_data)
{
  LoopWatch *watch = user_data;
  gint64 now = g_get_monotonic_time ();

  watch->longest = MAX (watch->longest, now - watch->last);
  watch->last = now;
  return G_SOURCE_CONTINUE;
}

static void
loop_watch_start (LoopWatch *watch)
{
  watch->last = g_get_monotonic_time ();
  watch->longest = 0;
  watch->source = g_timeout_add (20, loop_watch_tick, watch);
}

static void
loop_watch_stop (LoopWatch *watch)
{
  loop_watch_tick (watch);
  g_clear_handle_id (&watch->source, g_source_remove);
}

static ConfabWindow *
active_window (GApplication *app)
{
  GtkWindow *window = gtk_application_get_active_window (GTK_APPLICATION (app));

  g_assert_true (CONFAB_IS_WINDOW (window));
  return CONFAB_WINDOW (window);
}

typedef struct {
  ConfabWindow *window;
  const char   *room_id;
  const char   *event_id;
  const char   *body;
} Check;

static gboolean
room_listed (gpointer data)
{
  Check *check = data;
  MatrixRoomStateTracker *tracker = confab_window_get_tracker (check->window);

  return tracker != NULL && matrix_room_state_tracker_get_room (tracker, check->room_id) != NULL &&
         confab_window_get_rooms_listed (check->window);
}

static gboolean
timeline_holds_event (MatrixTimeline *timeline,
                      const char     *event_id)
{
  guint n = g_list_model_get_n_items (G_LIST_MODEL (timeline));

  for (guint i = 0; i < n; i++)
    {
      g_autoptr(MatrixTimelineItem) item = g_list_model_get_item (G_LIST_MODEL (timeline), i);

      if (g_strcmp0 (matrix_timeline_item_get_event_id (item), event_id) == 0)
        return TRUE;
    }
  return FALSE;
}

/* The room is open, its timeline holds the newest stored message, and a row
 * on screen shows it. */
static gboolean
history_shown (gpointer data)
{
  Check *check = data;
  MatrixRoom *room = confab_window_get_room (check->window);
  GtkWidget *view = confab_window_get_timeline_view (check->window);
  g_autoptr(GPtrArray) rows = NULL;

  if (room == NULL || view == NULL || !gtk_widget_get_mapped (view) ||
      !timeline_holds_event (matrix_room_get_timeline (room), check->event_id))
    return FALSE;

  rows = ui_find_widgets (view, CONFAB_TYPE_EVENT_ROW);
  for (guint i = 0; i < rows->len; i++)
    if (g_strcmp0 (ui_child_label (g_ptr_array_index (rows, i), CONFAB_TYPE_EVENT_ROW, "body_label"),
                   check->body) == 0)
      return TRUE;
  return FALSE;
}

static gboolean
synced_room (gpointer data)
{
  Check *check = data;
  MatrixClient *client = confab_window_get_client (check->window);
  MatrixRoomStateTracker *tracker = confab_window_get_tracker (check->window);
  MatrixRoom *room;

  if (client == NULL || tracker == NULL ||
      matrix_store_get_sync_token (matrix_client_get_store (client)) == NULL)
    return FALSE;
  room = matrix_room_state_tracker_get_room (tracker, check->room_id);
  return room != NULL && timeline_holds_event (matrix_room_get_timeline (room), check->event_id);
}

static gboolean
token_in_keyring (gpointer data)
{
  MatrixClient *client = confab_window_get_client (data);
  MatrixStore *store = client != NULL ? matrix_client_get_store (client) : NULL;

  return store != NULL && MATRIX_IS_SQLITE_STORE (store) &&
         matrix_sqlite_store_get_secret_in_keyring (MATRIX_SQLITE_STORE (store));
}

static gboolean
store_gone (gpointer data)
{
  return *(gpointer *) data == NULL;
}

static gboolean
syncing (gpointer data)
{
  MatrixClient *client = confab_window_get_client (data);

  return client != NULL && matrix_client_is_syncing (client);
}

static GtkWidget *
banner (ConfabWindow *window)
{
  return GTK_WIDGET (gtk_widget_get_template_child (GTK_WIDGET (window), CONFAB_TYPE_WINDOW,
                                                    "banner"));
}

static gboolean
banner_shown (gpointer data)
{
  return gtk_revealer_get_reveal_child (GTK_REVEALER (banner (data)));
}

static gboolean
banner_hidden (gpointer data)
{
  return !banner_shown (data);
}

/* Signs in with the app's own login page and syncs, so that session.ini,
 * the store and the token in the keyring are what a real first run leaves;
 * then closes the window, which flushes and closes the store. */
static void
first_run (TestClient *reader,
           Check      *check)
{
  ConfabWindow *window;
  MatrixStore *store;

  /* An earlier run of the app, whose start-up this process must not run
   * yet (it is what the test watches, with the keyring frozen): only the
   * window's resources and types, as that start-up registers them. */
  confab_ui_init ();
  window = confab_window_new (NULL);

  gtk_window_set_default_size (GTK_WINDOW (window), 1000, 700);
  gtk_window_present (GTK_WINDOW (window));
  confab_window_sign_in (window, synapse_get_url (), reader->user, reader->password);

  check->window = window;
  ui_wait_until (synced_room, check, INTEGRATION_TIMEOUT_MS, "the first run synced the room");
  ui_wait_until (token_in_keyring, window, INTEGRATION_TIMEOUT_MS, "the token in the keyring");

  store = matrix_client_get_store (confab_window_get_client (window));
  g_object_add_weak_pointer (G_OBJECT (store), (gpointer *) &store);
  gtk_window_destroy (GTK_WINDOW (window));
  ui_wait_until (store_gone, &store, INTEGRATION_TIMEOUT_MS, "the first run's store closed");
  check->window = NULL;
}

static void
test_offline_start_shows_stored_history (void)
{
  g_autoptr(Peer) talker = peer_new ("talker");
  g_autoptr(TestClient) reader = test_client_new_logged_in ("reader");
  g_autoptr(GSubprocess) keyring = NULL;
  GApplication *app;
  g_autofree char *room_id = NULL;
  g_autofree char *last_id = NULL;
  g_autofree char *last_body = NULL;
  GPid server = synapse_get_pid ();
  const char *keyring_pid;
  ConfabWindow *window;
  LoopWatch watch = { 0, };
  Check check = { NULL, };
  gint64 started, thawed;

  room_id = peer_create_room (talker, "Read offline");
  peer_invite (talker, room_id, matrix_client_get_user_id (reader->client));
  test_client_join (reader, room_id);
  for (guint i = 0; i < N_MESSAGES; i++)
    {
      g_free (last_body);
      g_free (last_id);
      last_body = g_strdup_printf ("message %02u", i);
      last_id = peer_send_text (talker, room_id, last_body);
    }
  check.room_id = room_id;
  check.event_id = last_id;
  check.body = last_body;

  keyring = test_keyring_start ();
  first_run (reader, &check);

  /* Nothing answers any more: neither the homeserver nor the keyring. */
  keyring_pid = g_subprocess_get_identifier (keyring);
  g_assert_cmpint (kill (server, SIGSTOP), ==, 0);
  g_assert_cmpint (kill (atoi (keyring_pid), SIGSTOP), ==, 0);

  /* The app as `confab` starts it: the store and the token are looked up
   * ahead in startup, the window restores the session in activate. */
  loop_watch_start (&watch);
  started = g_get_monotonic_time ();
  app = G_APPLICATION (ui_test_get_application ());
  g_application_activate (app);
  window = check.window = active_window (app);

  ui_wait_until (room_listed, &check, AT_ONCE_MS, "the rooms from the store");
  g_assert_true (confab_window_select_room (window, room_id));
  ui_wait_until (history_shown, &check, AT_ONCE_MS, "the opened room's stored messages");
  g_test_message ("stored history shown %.2f s after start",
                  (g_get_monotonic_time () - started) / (double) G_USEC_PER_SEC);
  /* Nothing to sync with until the keyring answers. */
  g_assert_false (matrix_client_is_syncing (confab_window_get_client (window)));

  /* The keyring answers: syncing starts, the frozen server is noticed
   * (deadlines shortened, so the test need not wait 35 s). */
  _matrix_client_set_sync_watchdog_ms (confab_window_get_client (window), 1500);
  _matrix_client_set_first_byte_timeout_ms (confab_window_get_client (window), 1500);
  g_assert_cmpint (kill (atoi (keyring_pid), SIGCONT), ==, 0);
  ui_wait_until (syncing, window, INTEGRATION_TIMEOUT_MS, "syncing once the token is known");
  ui_wait_until (banner_shown, window, INTEGRATION_TIMEOUT_MS, "the banner for the frozen server");
  g_assert_cmpint (matrix_client_get_sync_failure (confab_window_get_client (window)), ==,
                   MATRIX_SYNC_FAILURE_CONNECTION);

  /* The server answers again: the banner goes with its first answer, not
   * after a long-poll, though nothing new happened in the room. */
  _matrix_client_set_sync_watchdog_ms (confab_window_get_client (window), 35000);
  _matrix_client_set_first_byte_timeout_ms (confab_window_get_client (window), 10000);
  iterate_for (500);
  thawed = g_get_monotonic_time ();
  g_assert_cmpint (kill (server, SIGCONT), ==, 0);
  ui_wait_until (banner_hidden, window, AT_ONCE_MS, "the banner gone after the server answered");
  g_test_message ("banner hidden %.2f s after the server woke up",
                  (g_get_monotonic_time () - thawed) / (double) G_USEC_PER_SEC);

  loop_watch_stop (&watch);
  g_test_message ("the main loop was held up %.0f ms at most", watch.longest / 1000.0);
  if (TEST_TIME_BUDGETS_APPLY)
    g_assert_cmpint (watch.longest, <, 1000 * 1000);

  gtk_window_destroy (GTK_WINDOW (window));
  iterate_for (200);
  g_subprocess_send_signal (keyring, SIGTERM);
  g_subprocess_wait (keyring, NULL, NULL);
}

int
main (int   argc,
      char *argv[])
{
  g_autofree char *home = g_dir_make_tmp ("confab-app-offline-XXXXXX", NULL);
  g_autofree char *display = NULL;
  GTestDBus *bus;
  int status;

  /* The keyring writes to HOME; the app to XDG_DATA_HOME (ui_test_init). */
  g_assert_nonnull (home);
  g_setenv ("HOME", home, TRUE);
  g_setenv ("XDG_CONFIG_HOME", home, TRUE);
  /* GTestDBus unsets DISPLAY (against X11 autolaunch): the app needs it. */
  display = g_strdup (g_getenv ("DISPLAY"));
  bus = g_test_dbus_new (G_TEST_DBUS_NONE);
  g_test_dbus_up (bus);
  if (display != NULL)
    g_setenv ("DISPLAY", display, TRUE);

  ui_test_init_before_app (&argc, &argv);
  g_test_add_func ("/integration/app/offline-start-shows-stored-history-at-once",
                   test_offline_start_shows_stored_history);
  status = g_test_run ();

  g_test_dbus_stop (bus);
  confab_test_bus_keeper = bus;
  return status;
}
