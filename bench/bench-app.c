/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "bench-app"

/* The GTK app itself, driven through its own window (the static library the
 * `confab` binary is made of), against a local server that answers the
 * initial /sync with FILE. Run under Xvfb and a private D-Bus (tools/bench
 * does).
 *
 *   bench-app --cold-start [--runs N] [--app PATH] [--keep] FILE
 *     Fills an SQLite store with the initial /sync FILE (through MatrixClient,
 *     the tracker and MatrixSqliteStore, as the app would have saved it),
 *     puts a session for the local server in place, then execs the real
 *     `confab` binary N times (default 1) with CONFAB_REPORT_STARTUP set to
 *     the CLOCK_MONOTONIC time taken just before exec. The server holds every
 *     /sync with a `since`, so the app starts from the store alone. Prints
 *     the app's own report of each start (time from exec to the first frame
 *     painted with the room list, RSS and CPU then; RSS and CPU 3 s later,
 *     and the peak), each field's median, and the store alone in a process
 *     of its own (bench-app --store-load DIR): its lazy open, and what
 *     loading every room would take, which the app never does.
 *
 *   bench-app --big-timeline [--steps N] [--wheel-frames N] [--page-frames N]
 *             [--timeline-limit N] [--max-seconds S] [--keep] FILE
 *     FILE has one room with a long timeline. A process of its own saves it
 *     in an SQLite store (through MatrixClient, the tracker and the store,
 *     kept with --timeline-limit, default 100,000, events per room); this one
 *     then opens that store lazily, as the app does, with the same limit,
 *     and gives a client on it to the app's window (the server holds every
 *     /sync with a `since`, so nothing comes from the network). It opens the
 *     room, which the window asks the store to read, and times it to the
 *     first frame painted with its timeline: the GTK thread's CPU and all
 *     threads' then, the longest time between two frames meanwhile (the main
 *     loop held up), RSS before and after. Then it lets the room settle at
 *     the bottom and scrolls it in three passes, one step per frame, each
 *     pass going up and coming back down to the bottom:
 *       wheel — one mouse-wheel detent per frame (GtkScrolledWindow's step,
 *               page size^(2/3) pixels), --wheel-frames frames each way;
 *       page  — one page per frame, --page-frames frames each way;
 *       jump  — bottom → top → bottom of the whole timeline in --steps steps
 *               each way (dragging the scrollbar: every frame lands on rows
 *               never seen).
 *     For each pass: the work of each frame (frame clock update → after-paint),
 *     the main thread's CPU time, how many rows were bound; RSS before and
 *     after every pass. Stops at --max-seconds and reports what it has
 *     (`"complete": false`).
 *
 * The store (and, for --cold-start, the session) is kept in $XDG_DATA_HOME,
 * which this points at a temporary directory.
 */

#include <glib/gstdio.h>
#include <math.h>
#include <signal.h>
#include <time.h>
#include <unistd.h>

#include "bench-common.h"
#include "bench-server.h"
#include "confab-application.h"
#include "confab-session.h"
#include "confab-timeline-view.h"
#include "confab-window.h"
#include "matrix-sqlite-store.h"

typedef enum {
  PASS_WHEEL,
  PASS_PAGE,
  PASS_JUMP,
  N_PASSES
} PassKind;

static const char *pass_names[N_PASSES] = { "wheel", "page", "jump" };

typedef struct {
  int            steps;          /* each way; the pass is 2 * steps + 1 frames */
  GArray        *frame_ms;       /* double: work of each frame */
  GArray        *binds;          /* guint: rows bound in each frame */
  GArray        *setups;         /* guint: rows made in each frame */
  double         cpu_ms;         /* main thread, whole pass */
  glong          rss_after_kib;
} Pass;

typedef struct {
  GApplication  *app;
  ConfabWindow  *window;
  MatrixStore   *store;
  MatrixClient  *client;

  /* opening the room: from selecting it to the first frame showing its
   * timeline */
  char          *room_id;
  gint64         open_start;
  double         open_cpu_start;     /* GTK thread */
  double         open_all_cpu_start; /* all threads */
  gint64         last_frame;
  double         last_frame_cpu;
  double         open_max_gap_ms;
  double         open_max_gap_cpu_ms; /* GTK thread, within that gap */
  gint64         loaded_time;        /* the store's room-loaded, handled */
  double         loaded_cpu_ms;      /* GTK thread, from the selection */
  guint          open_binds;         /* rows bound since the selection */
  guint          open_binds_shown;   /* … until the timeline was shown */
  gint64         shown_time;
  double         open_cpu_ms;
  double         open_all_cpu_ms;
  glong          rss_before_open_kib;
  glong          rss_loaded_kib;

  /* scrolling */
  guint          settle_frames;
  GtkAdjustment *vadjustment;
  guint          timeline_items;
  Pass           passes[N_PASSES];
  PassKind       pass;           /* N_PASSES once all are done */
  int            step;           /* 0..2*steps within the pass */
  double         pass_cpu_start;
  gint64         update_start;
  guint          frame_binds;
  guint          frame_setups;
  glong          rss_before_kib;
  glong          rss_after_kib;
  gint64         scroll_start;
  gint64         scroll_end;
  gboolean       done;
  gboolean       timed_out;
} Bench;

/* Resident set now, in KiB (not the peak). */
static glong
current_rss_kib (void)
{
  g_autofree char *status = NULL;
  const char *line;

  if (!g_file_get_contents ("/proc/self/status", &status, NULL, NULL))
    return -1;
  line = strstr (status, "\nVmRSS:");
  return line != NULL ? (glong) g_ascii_strtoll (line + strlen ("\nVmRSS:"), NULL, 10) : -1;
}

/* CPU time of the calling thread (GTK's), user + system, in ms. */
static double
thread_cpu_ms (void)
{
  struct timespec ts;

  clock_gettime (CLOCK_THREAD_CPUTIME_ID, &ts);
  return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static GtkWidget *
find_descendant (GtkWidget *widget,
                 GType      type)
{
  if (G_TYPE_CHECK_INSTANCE_TYPE (widget, type))
    return widget;

  for (GtkWidget *child = gtk_widget_get_first_child (widget); child != NULL;
       child = gtk_widget_get_next_sibling (child))
    {
      GtkWidget *found = find_descendant (child, type);

      if (found != NULL)
        return found;
    }

  return NULL;
}

static int
compare_doubles (gconstpointer a,
                 gconstpointer b)
{
  double x = *(const double *) a, y = *(const double *) b;

  return x < y ? -1 : x > y;
}

static double
percentile (GArray *sorted,
            double  p)
{
  guint rank = (guint) MAX (1, (int) (p / 100 * sorted->len + 0.999999));

  return sorted->len == 0 ? -1 : g_array_index (sorted, double, MIN (rank, sorted->len) - 1);
}

static guint
n_rooms (Bench *bench)
{
  MatrixRoomStateTracker *tracker = confab_window_get_tracker (bench->window);

  return tracker != NULL ? g_list_model_get_n_items (G_LIST_MODEL (tracker)) : 0;
}

static gboolean
quit_app (gpointer user_data)
{
  /* As the app quits: its window flushes and closes the store first. */
  g_action_group_activate_action (G_ACTION_GROUP (user_data), "quit", NULL);
  return G_SOURCE_REMOVE;
}

static void
finish (Bench *bench)
{
  bench->done = TRUE;
  /* Not from within the frame clock's signal. */
  g_idle_add (quit_app, bench->app);
}

/* Where step @step of the current pass puts the top of the view: up from
 * the bottom for the first half of the pass, back down in the second. */
static double
step_value (Bench *bench,
            int    step)
{
  Pass *pass = &bench->passes[bench->pass];
  double upper = gtk_adjustment_get_upper (bench->vadjustment);
  double page = gtk_adjustment_get_page_size (bench->vadjustment);
  double range = MAX (0, upper - page);
  int distance = step <= pass->steps ? step : 2 * pass->steps - step;

  switch (bench->pass)
    {
    case PASS_WHEEL:
      return MAX (0, range - distance * pow (page, 2.0 / 3.0));
    case PASS_PAGE:
      return MAX (0, range - distance * page);
    case PASS_JUMP:
    case N_PASSES:
    default:
      return range * (1.0 - (double) distance / pass->steps);
    }
}

static void
on_update (GdkFrameClock *clock,
           Bench         *bench)
{
  bench->update_start = g_get_monotonic_time ();
  bench->frame_binds = 0;
  bench->frame_setups = 0;

  if (bench->vadjustment == NULL || bench->pass == N_PASSES)
    return;

  gtk_adjustment_set_value (bench->vadjustment, step_value (bench, bench->step));
}

static void
on_bind (GtkListItemFactory *factory,
         GtkListItem        *list_item,
         Bench              *bench)
{
  bench->frame_binds++;
  bench->open_binds++;
}

static void
on_setup (GtkListItemFactory *factory,
          GtkListItem        *list_item,
          Bench              *bench)
{
  bench->frame_setups++;
}

static GtkWidget *
timeline_view (Bench *bench)
{
  return find_descendant (GTK_WIDGET (bench->window), CONFAB_TYPE_TIMELINE_VIEW);
}

/* Handled after the tracker's handler, which restored the room's timeline
 * from what the store read (GTK 4.8's list view binds its rows for the new
 * items at once, within that handler). */
static void
on_room_loaded (MatrixStore *store,
                const char  *room_id,
                Bench       *bench)
{
  if (bench->loaded_time != 0 || g_strcmp0 (room_id, bench->room_id) != 0)
    return;

  bench->loaded_time = g_get_monotonic_time ();
  bench->loaded_cpu_ms = thread_cpu_ms () - bench->open_cpu_start;
}

static void
open_room (Bench *bench)
{
  GListModel *rooms = G_LIST_MODEL (confab_window_get_tracker (bench->window));
  g_autoptr(MatrixRoom) room = g_list_model_get_item (rooms, 0);
  GtkWidget *view, *list;

  if (room == NULL)
    {
      g_printerr ("bench-app: no room\n");
      finish (bench);
      return;
    }

  g_signal_connect (bench->store, "room-loaded", G_CALLBACK (on_room_loaded), bench);

  bench->room_id = g_strdup (matrix_room_get_room_id (room));
  bench->rss_before_open_kib = current_rss_kib ();
  bench->open_all_cpu_start = bench_cpu_ms ();
  bench->open_cpu_start = bench->last_frame_cpu = thread_cpu_ms ();
  bench->open_start = bench->last_frame = g_get_monotonic_time ();
  /* The window asks the store to read the room, and makes the page that
   * shows a room the first time it opens one (timed with the opening). Its
   * rows are bound in the frames that follow, once the store has read the
   * room: the list's factory is watched from here on. */
  confab_window_select_room (bench->window, bench->room_id);

  view = timeline_view (bench);
  list = view != NULL ? find_descendant (view, GTK_TYPE_LIST_VIEW) : NULL;
  if (list == NULL)
    {
      g_printerr ("bench-app: no timeline view once the room is open\n");
      finish (bench);
      return;
    }
  g_signal_connect (gtk_list_view_get_factory (GTK_LIST_VIEW (list)), "bind", G_CALLBACK (on_bind), bench);
  g_signal_connect (gtk_list_view_get_factory (GTK_LIST_VIEW (list)), "setup", G_CALLBACK (on_setup), bench);

  if (matrix_store_is_room_loaded (bench->store, bench->room_id))
    on_room_loaded (bench->store, bench->room_id, bench);
}

static void
start_scrolling (Bench *bench)
{
  GtkWidget *scroller = find_descendant (timeline_view (bench), GTK_TYPE_SCROLLED_WINDOW);
  MatrixRoom *room = confab_window_get_room (bench->window);

  if (scroller == NULL || room == NULL)
    {
      g_printerr ("bench-app: no timeline view to scroll\n");
      finish (bench);
      return;
    }

  bench->timeline_items = g_list_model_get_n_items (G_LIST_MODEL (matrix_room_get_timeline (room)));
  bench->vadjustment = gtk_scrolled_window_get_vadjustment (GTK_SCROLLED_WINDOW (scroller));
  bench->rss_before_kib = current_rss_kib ();
  bench->scroll_start = g_get_monotonic_time ();
  bench->pass = PASS_WHEEL;
  bench->step = 0;
  bench->pass_cpu_start = thread_cpu_ms ();
}

static void
on_after_paint (GdkFrameClock *clock,
                Bench         *bench)
{
  gint64 now = g_get_monotonic_time ();

  if (bench->done)
    return;

  if (bench->room_id == NULL)
    {
      /* The room list comes from the store as the window gets the client. */
      if (n_rooms (bench) > 0 && confab_window_get_rooms_listed (bench->window))
        open_room (bench);
      gdk_frame_clock_request_phase (clock, GDK_FRAME_CLOCK_PHASE_PAINT);
      return;
    }

  if (bench->shown_time == 0)
    {
      double cpu = thread_cpu_ms ();

      /* On a busy machine a gap is also time spent waiting for a core: its
       * CPU time is what the main thread did in it. */
      if ((now - bench->last_frame) / 1e3 > bench->open_max_gap_ms)
        {
          bench->open_max_gap_ms = (now - bench->last_frame) / 1e3;
          bench->open_max_gap_cpu_ms = cpu - bench->last_frame_cpu;
        }
      bench->last_frame = now;
      bench->last_frame_cpu = cpu;
      /* The first frame painted with rows of the loaded timeline (it was
       * empty before: a room the store has not read shows nothing). */
      if (bench->loaded_time != 0 && bench->open_binds > 0)
        {
          bench->shown_time = now;
          bench->open_cpu_ms = cpu - bench->open_cpu_start;
          bench->open_all_cpu_ms = bench_cpu_ms () - bench->open_all_cpu_start;
          bench->rss_loaded_kib = current_rss_kib ();
          bench->open_binds_shown = bench->open_binds;
        }
      gdk_frame_clock_request_phase (clock, GDK_FRAME_CLOCK_PHASE_PAINT);
      return;
    }

  /* Let the opened timeline lay out and settle at the bottom first. */
  if (bench->vadjustment == NULL)
    {
      if (++bench->settle_frames == 30)
        start_scrolling (bench);
      gdk_frame_clock_request_phase (clock, GDK_FRAME_CLOCK_PHASE_PAINT);
      return;
    }

  if (bench->pass < N_PASSES)
    {
      Pass *pass = &bench->passes[bench->pass];
      double ms = (now - bench->update_start) / 1e3;

      g_array_append_val (pass->frame_ms, ms);
      g_array_append_val (pass->binds, bench->frame_binds);
      g_array_append_val (pass->setups, bench->frame_setups);
      if (++bench->step > 2 * pass->steps)
        {
          double cpu = thread_cpu_ms ();

          pass->cpu_ms = cpu - bench->pass_cpu_start;
          pass->rss_after_kib = current_rss_kib ();
          bench->pass_cpu_start = cpu;
          bench->pass++;
          bench->step = 0;
        }
      if (bench->pass < N_PASSES)
        {
          gdk_frame_clock_request_phase (clock, GDK_FRAME_CLOCK_PHASE_UPDATE);
          return;
        }
    }

  bench->scroll_end = now;
  bench->rss_after_kib = current_rss_kib ();
  finish (bench);
}

static void
on_window_realized (GtkWidget *widget,
                    Bench     *bench)
{
  GdkFrameClock *clock = gtk_widget_get_frame_clock (widget);

  g_signal_connect (clock, "update", G_CALLBACK (on_update), bench);
  g_signal_connect (clock, "after-paint", G_CALLBACK (on_after_paint), bench);
}

/* Instead of the application's own activate, which would restore the
 * session of session.ini: the window gets the client on the store opened
 * here, as tests/ui give it theirs. */
static void
on_activate (GApplication *app,
             Bench        *bench)
{
  g_signal_stop_emission_by_name (app, "activate");
  if (bench->window != NULL)
    return;

  bench->window = confab_window_new (GTK_APPLICATION (app));
  g_signal_connect (bench->window, "realize", G_CALLBACK (on_window_realized), bench);
  confab_window_set_client (bench->window, bench->client);
  gtk_window_present (GTK_WINDOW (bench->window));
}

static gboolean
on_timeout (gpointer user_data)
{
  Bench *bench = user_data;

  g_printerr ("bench-app: stopped after --max-seconds\n");
  bench->timed_out = TRUE;
  if (bench->vadjustment != NULL && bench->pass < N_PASSES)
    bench->passes[bench->pass].cpu_ms = thread_cpu_ms () - bench->pass_cpu_start;
  bench->scroll_end = g_get_monotonic_time ();
  bench->rss_after_kib = current_rss_kib ();
  finish (bench);
  return G_SOURCE_REMOVE;
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

/* --- cold start: the real binary on a filled store ------------------------ */

#define COLD_USER "@me:example.org"

/* The user's store as the app names and opens it (confab-session.c). */
static char *
app_store_dir (void)
{
  return confab_session_get_store_dir (COLD_USER);
}

/* @directory: NULL for the app's own */
static void
open_app_store_async (const char          *directory,
                      const char          *homeserver,
                      guint                timeline_limit,
                      gboolean             lazy,
                      GAsyncReadyCallback  callback,
                      gpointer             user_data)
{
  g_autofree char *app_directory = directory == NULL ? app_store_dir () : NULL;

  if (directory == NULL)
    directory = app_directory;
  g_async_initable_new_async (MATRIX_TYPE_SQLITE_STORE, G_PRIORITY_DEFAULT, NULL,
                              callback, user_data,
                              "directory", directory,
                              "database-name", "confab.db",
                              "secret-schema", "io.github.confab.Confab.Session",
                              "user-id", COLD_USER,
                              "homeserver", homeserver,
                              "lazy", lazy,
                              "timeline-limit", timeline_limit > 0
                                ? timeline_limit : MATRIX_SQLITE_STORE_DEFAULT_TIMELINE_LIMIT,
                              NULL);
}
#define SETTLE_SECONDS 3

typedef struct {
  GMainLoop    *loop;
  MatrixStore  *store;
  GError       *error;
  gboolean      synced;
} Fill;

static void
on_fill_store_open (GObject      *source,
                    GAsyncResult *result,
                    gpointer      user_data)
{
  Fill *fill = user_data;

  fill->store = matrix_sqlite_store_new_finish (result, &fill->error);
  g_main_loop_quit (fill->loop);
}

static void
on_fill_synced (MatrixClient *client,
                const char   *next_batch,
                Fill         *fill)
{
  fill->synced = TRUE;
  g_main_loop_quit (fill->loop);
}

static void
on_fill_sync_failed (MatrixClient *client,
                     guint         delay_s,
                     Fill         *fill)
{
  g_set_error (&fill->error, G_IO_ERROR, G_IO_ERROR_FAILED, "The initial sync failed");
  g_main_loop_quit (fill->loop);
}

static void
on_fill_flushed (GObject      *source,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  Fill *fill = user_data;

  matrix_sqlite_store_flush_finish (MATRIX_SQLITE_STORE (source), result, &fill->error);
  g_main_loop_quit (fill->loop);
}

static gboolean
set_flag (gpointer user_data)
{
  *(gboolean *) user_data = TRUE;
  return G_SOURCE_REMOVE;
}

/* Saves the server's initial sync in the user's store the way the app does,
 * and the session beside it; @timeline_limit events per room, 0 for the
 * store's default. */
static gboolean
fill_store (const char  *homeserver,
            guint        timeline_limit,
            GError     **error)
{
  g_autoptr(MatrixClient) client = NULL;
  g_autoptr(MatrixRoomStateTracker) tracker = NULL;
  Fill fill = { g_main_loop_new (NULL, FALSE), NULL, NULL, FALSE };
  gboolean ok;

  open_app_store_async (NULL, homeserver, timeline_limit, FALSE, on_fill_store_open, &fill);
  g_main_loop_run (fill.loop);
  if (fill.store != NULL)
    {
      matrix_store_set_value (fill.store, MATRIX_STORE_KEY_DEVICE_ID, "BENCH");
      matrix_store_set_value (fill.store, MATRIX_STORE_KEY_ACCESS_TOKEN, "bench-token");
      client = matrix_client_new (homeserver, fill.store);
      matrix_client_set_sync_mode (client, MATRIX_SYNC_MODE_CLASSIC);
      tracker = matrix_room_state_tracker_new (client);
      g_signal_connect (client, "synced", G_CALLBACK (on_fill_synced), &fill);
      g_signal_connect (client, "sync-failed", G_CALLBACK (on_fill_sync_failed), &fill);
      matrix_client_start_sync (client);
      g_main_loop_run (fill.loop);
      matrix_client_stop_sync (client);
      g_signal_handlers_disconnect_by_data (client, &fill);
    }
  if (fill.store != NULL && fill.error == NULL)
    {
      matrix_sqlite_store_flush_async (MATRIX_SQLITE_STORE (fill.store), NULL, on_fill_flushed,
                                       &fill);
      g_main_loop_run (fill.loop);
    }

  ok = fill.error == NULL;
  if (!ok)
    g_propagate_error (error, fill.error);
  g_clear_object (&tracker);
  g_clear_object (&client);
  if (fill.store != NULL)
    {
      MatrixStore *store = g_steal_pointer (&fill.store);
      gboolean late = FALSE;
      guint deadline = g_timeout_add_seconds (5, set_flag, &late);

      /* Left open, the database keeps its WAL file, which the next lazy
       * open takes for a crash (and checks the whole file). Work still in
       * flight holds the store until the loop runs. */
      g_object_add_weak_pointer (G_OBJECT (store), (gpointer *) &store);
      g_object_unref (store);
      while (store != NULL && !late)
        g_main_context_iteration (NULL, TRUE);
      if (store != NULL)
        {
          g_object_remove_weak_pointer (G_OBJECT (store), (gpointer *) &store);
          g_printerr ("bench-app: the filled store is still open\n");
        }
      if (!late)
        g_source_remove (deadline);
    }
  g_main_loop_unref (fill.loop);
  return ok;
}

static gboolean
write_session_ini (const char  *data_dir,
                   const char  *homeserver,
                   GError     **error)
{
  g_autofree char *path = g_build_filename (data_dir, "confab", "session.ini", NULL);
  g_autofree char *text = g_strdup_printf ("[Session]\nhomeserver=%s\nuser_id=%s\n"
                                           "device_id=BENCH\n", homeserver, COLD_USER);

  return g_file_set_contents_full (path, text, -1, G_FILE_SET_CONTENTS_NONE, 0600, error);
}

typedef struct {
  GMainLoop        *loop;
  GDataInputStream *lines;
  JsonObject       *report;   /* the "confab-startup" line's members */
  gboolean          reported;
  gboolean          timed_out;
  gboolean          reading;
} Run;

static void
merge_report (Run        *run,
              const char *json,
              const char *prefix)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  JsonObject *object;
  g_autoptr(GList) members = NULL;

  if (!json_parser_load_from_data (parser, json, -1, NULL) ||
      !JSON_NODE_HOLDS_OBJECT (json_parser_get_root (parser)))
    return;
  object = json_node_get_object (json_parser_get_root (parser));
  members = json_object_get_members (object);
  for (GList *l = members; l != NULL; l = l->next)
    {
      g_autofree char *name = g_strconcat (prefix, l->data, NULL);

      json_object_set_member (run->report, name,
                              json_node_copy (json_object_get_member (object, l->data)));
    }
}

static void
on_line (GObject      *source,
         GAsyncResult *result,
         gpointer      user_data)
{
  Run *run = user_data;
  g_autofree char *line = g_data_input_stream_read_line_finish_utf8 (G_DATA_INPUT_STREAM (source),
                                                                     result, NULL, NULL);

  if (line == NULL)
    {
      run->reading = FALSE;
      g_main_loop_quit (run->loop);
      return;
    }

  if (g_str_has_prefix (line, "confab-startup: "))
    {
      merge_report (run, line + strlen ("confab-startup: "), "");
      run->reported = TRUE;
      g_main_loop_quit (run->loop);
    }
  else
    g_printerr ("confab: %s\n", line);

  g_data_input_stream_read_line_async (run->lines, G_PRIORITY_DEFAULT, NULL, on_line, run);
}

static gboolean
on_run_timeout (gpointer user_data)
{
  Run *run = user_data;

  run->timed_out = TRUE;
  g_main_loop_quit (run->loop);
  return G_SOURCE_REMOVE;
}

/* A field of /proc/PID/status, in KiB: VmRSS, VmHWM (the peak). */
static glong
status_kib_of (const char *pid,
               const char *field)
{
  g_autofree char *path = g_strdup_printf ("/proc/%s/status", pid);
  g_autofree char *status = NULL;
  g_autofree char *key = g_strdup_printf ("\n%s:", field);
  const char *line;

  if (!g_file_get_contents (path, &status, NULL, NULL))
    return -1;
  line = strstr (status, key);
  return line != NULL ? (glong) g_ascii_strtoll (line + strlen (key), NULL, 10) : -1;
}

/* User + system CPU time of all the process's threads, in ms. */
static double
cpu_ms_of (const char *pid)
{
  g_autofree char *path = g_strdup_printf ("/proc/%s/stat", pid);
  g_autofree char *stat = NULL;
  g_auto(GStrv) fields = NULL;
  const char *after_comm;

  if (!g_file_get_contents (path, &stat, NULL, NULL) ||
      (after_comm = strrchr (stat, ')')) == NULL)
    return -1;
  fields = g_strsplit (after_comm + 2, " ", 0);
  if (g_strv_length (fields) < 13)
    return -1;
  /* utime and stime: fields 14 and 15, the 12th and 13th after the name. */
  return (g_ascii_strtod (fields[11], NULL) + g_ascii_strtod (fields[12], NULL)) * 1e3 /
         sysconf (_SC_CLK_TCK);
}

static gboolean
quit_loop (gpointer user_data)
{
  g_main_loop_quit (user_data);
  return G_SOURCE_REMOVE;
}

/* One start of the app: exec, read its report, stop it. */
static JsonObject *
run_app (const char  *app_path,
         int          max_seconds,
         GError     **error)
{
  g_autoptr(GSubprocessLauncher) launcher =
    g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDERR_PIPE | G_SUBPROCESS_FLAGS_STDOUT_SILENCE);
  g_autoptr(GSubprocess) app = NULL;
  g_autofree char *origin = NULL;
  Run run = { g_main_loop_new (NULL, FALSE), NULL, json_object_new (), FALSE, FALSE, TRUE };

  guint timeout;

  origin = g_strdup_printf ("%" G_GINT64_FORMAT, g_get_monotonic_time ());
  g_subprocess_launcher_setenv (launcher, "CONFAB_REPORT_STARTUP", origin, TRUE);
  app = g_subprocess_launcher_spawn (launcher, error, app_path, NULL);
  if (app == NULL)
    {
      json_object_unref (run.report);
      g_main_loop_unref (run.loop);
      return NULL;
    }

  run.lines = g_data_input_stream_new (g_subprocess_get_stderr_pipe (app));
  g_data_input_stream_read_line_async (run.lines, G_PRIORITY_DEFAULT, NULL, on_line, &run);
  timeout = g_timeout_add_seconds (MAX (1, max_seconds), on_run_timeout, &run);
  g_main_loop_run (run.loop);
  if (!run.timed_out)
    g_source_remove (timeout);

  if (run.reported)
    {
      const char *pid = g_subprocess_get_identifier (app);

      /* Whatever the app does after its first frame (nothing is read in
       * the background: rooms are read when opened or synced) shows here. */
      g_timeout_add_seconds (SETTLE_SECONDS, quit_loop, run.loop);
      g_main_loop_run (run.loop);
      json_object_set_int_member (run.report, "settled_rss_kib", status_kib_of (pid, "VmRSS"));
      json_object_set_double_member (run.report, "settled_cpu_ms", cpu_ms_of (pid));
      json_object_set_int_member (run.report, "max_rss_kib", status_kib_of (pid, "VmHWM"));
    }
  g_subprocess_send_signal (app, SIGTERM);
  g_subprocess_wait (app, NULL, NULL);
  /* The pipe closes with the app: the read in flight ends. */
  while (run.reading)
    g_main_loop_run (run.loop);
  g_clear_object (&run.lines);
  g_main_loop_unref (run.loop);

  if (!run.reported)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT,
                   "The app did not report its room list within %d s", max_seconds);
      json_object_unref (run.report);
      return NULL;
    }
  return run.report;
}

static int
compare_nodes (gconstpointer a,
               gconstpointer b)
{
  double x = json_node_get_double (*(JsonNode **) a), y = json_node_get_double (*(JsonNode **) b);

  return x < y ? -1 : x > y;
}

/* --- the store alone, opened lazily, then every room loaded --------------- */

typedef struct {
  GMainLoop   *loop;
  MatrixStore *store;
  GError      *error;
} StoreLoad;

static void
on_load_store_open (GObject      *source,
                    GAsyncResult *result,
                    gpointer      user_data)
{
  StoreLoad *load = user_data;

  load->store = matrix_sqlite_store_new_finish (result, &load->error);
  g_main_loop_quit (load->loop);
}

static void
on_all_rooms_loaded (GObject      *source,
                     GAsyncResult *result,
                     gpointer      user_data)
{
  StoreLoad *load = user_data;

  matrix_store_load_rooms_finish (MATRIX_STORE (source), result, &load->error);
  g_main_loop_quit (load->loop);
}

/* Run in a process of its own (bench-app --store-load DIR), so that its RSS
 * is the store's: the lazy open, then what loading every room would cost,
 * which the app never does (rooms are read when opened or synced). */
static int
store_load_main (const char *directory,
                 guint       timeline_limit)
{
  StoreLoad load = { g_main_loop_new (NULL, FALSE), NULL, NULL };
  g_auto(GStrv) room_ids = NULL;
  gint64 t0 = g_get_monotonic_time ();
  double cpu0 = bench_cpu_ms ();
  double open_ms, open_cpu_ms;
  glong open_rss;

  open_app_store_async (directory, NULL, timeline_limit, TRUE, on_load_store_open, &load);
  g_main_loop_run (load.loop);
  if (load.store == NULL)
    {
      g_printerr ("bench-app: %s\n", load.error->message);
      return 1;
    }
  open_ms = (g_get_monotonic_time () - t0) / 1e3;
  open_cpu_ms = bench_cpu_ms () - cpu0;
  open_rss = current_rss_kib ();

  t0 = g_get_monotonic_time ();
  cpu0 = bench_cpu_ms ();
  room_ids = matrix_store_get_room_ids (load.store);
  matrix_store_load_rooms_async (load.store, (const char * const *) room_ids, NULL,
                                 on_all_rooms_loaded, &load);
  g_main_loop_run (load.loop);
  if (load.error != NULL)
    {
      g_printerr ("bench-app: %s\n", load.error->message);
      return 1;
    }

  g_print ("{\"store_open_ms\": %.1f, \"store_open_cpu_ms\": %.1f, \"store_open_rss_kib\": %ld, "
           "\"store_all_loaded_ms\": %.1f, \"store_all_loaded_cpu_ms\": %.1f, "
           "\"store_all_loaded_rss_kib\": %ld, \"store_rooms\": %u}\n",
           open_ms, open_cpu_ms, open_rss, (g_get_monotonic_time () - t0) / 1e3,
           bench_cpu_ms () - cpu0, current_rss_kib (), g_strv_length (room_ids));
  g_object_unref (load.store);
  g_main_loop_unref (load.loop);
  return 0;
}

/* Runs bench-app --store-load on the filled store; its JSON goes into @report. */
static gboolean
measure_store_load (const char  *self_path,
                    JsonObject  *report,
                    GError     **error)
{
  g_autofree char *directory = app_store_dir ();
  g_autofree char *out = NULL;
  g_autoptr(JsonParser) parser = json_parser_new ();
  const char *argv[] = { self_path, "--store-load", directory, NULL };
  g_autoptr(GList) members = NULL;
  JsonObject *object;
  int status;

  if (!g_spawn_sync (NULL, (char **) argv, NULL, G_SPAWN_DEFAULT, NULL, NULL, &out, NULL,
                     &status, error) ||
      !g_spawn_check_wait_status (status, error) ||
      !json_parser_load_from_data (parser, out, -1, error))
    return FALSE;

  object = json_node_get_object (json_parser_get_root (parser));
  members = json_object_get_members (object);
  for (GList *l = members; l != NULL; l = l->next)
    json_object_set_member (report, l->data,
                            json_node_copy (json_object_get_member (object, l->data)));
  return TRUE;
}

static int
cold_start_main (const char *self_path,
                 const char *file,
                 const char *app_path,
                 int         runs,
                 int         max_seconds,
                 gboolean    keep)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *data_dir = NULL;
  g_autofree char *homeserver = NULL;
  g_autofree char *confab_dir = NULL;
  g_autoptr(JsonArray) reports = json_array_new ();
  g_autoptr(JsonObject) medians = json_object_new ();
  g_autoptr(JsonNode) root = NULL;
  g_autoptr(GList) keys = NULL;
  g_autofree char *text = NULL;
  int lifeline, port;
  pid_t child;

  port = bench_server_fork (file, &child, &lifeline);
  if (port == 0)
    {
      g_printerr ("The server did not start\n");
      return 1;
    }
  homeserver = g_strdup_printf ("http://127.0.0.1:%d", port);

  data_dir = g_dir_make_tmp ("bench-app-XXXXXX", &error);
  if (data_dir == NULL)
    goto failed;
  g_setenv ("XDG_DATA_HOME", data_dir, TRUE);
  g_setenv ("GIO_USE_PROXY_RESOLVER", "dummy", TRUE);
  confab_dir = g_build_filename (data_dir, "confab", NULL);
  g_mkdir_with_parents (confab_dir, 0700);

  if (!fill_store (homeserver, 0, &error) || !write_session_ini (data_dir, homeserver, &error))
    goto failed;

  for (int i = 0; i < runs; i++)
    {
      JsonObject *report = run_app (app_path, max_seconds, &error);

      if (report == NULL)
        goto failed;
      json_array_add_object_element (reports, report);
    }

  keys = json_object_get_members (json_array_get_object_element (reports, 0));
  for (GList *l = keys; l != NULL; l = l->next)
    {
      g_autoptr(GPtrArray) values = g_ptr_array_new ();

      for (guint i = 0; i < json_array_get_length (reports); i++)
        {
          JsonNode *node = json_object_get_member (json_array_get_object_element (reports, i),
                                                   l->data);

          if (node != NULL && JSON_NODE_HOLDS_VALUE (node))
            g_ptr_array_add (values, node);
        }
      if (values->len == 0)
        continue;
      g_ptr_array_sort (values, compare_nodes);
      json_object_set_double_member (medians, l->data,
                                     json_node_get_double (g_ptr_array_index (values,
                                                                              values->len / 2)));
    }
  json_object_set_array_member (medians, "runs", json_array_ref (reports));
  if (!measure_store_load (self_path, medians, &error))
    goto failed;

  root = json_node_init_object (json_node_alloc (), medians);
  text = json_to_string (root, FALSE);
  g_print ("%s\n", text);

  bench_server_stop (child, lifeline);
  if (keep)
    g_printerr ("bench-app: kept the store in %s\n", data_dir);
  else
    remove_tree (data_dir);
  return 0;

failed:
  g_printerr ("bench-app: %s\n", error != NULL ? error->message : "failed");
  bench_server_stop (child, lifeline);
  if (data_dir != NULL)
    remove_tree (data_dir);
  return 1;
}

/* --- a big timeline, from the store --------------------------------------- */

#define BIG_TIMELINE_LIMIT 100000

/* Run in a process of its own (bench-app --fill-store URL), so that the
 * initial sync's parse and commit never count in the measured process. */
static int
fill_store_main (const char *homeserver,
                 guint       timeline_limit)
{
  g_autoptr(GError) error = NULL;

  if (!fill_store (homeserver, timeline_limit, &error))
    {
      g_printerr ("bench-app: %s\n", error->message);
      return 1;
    }
  return 0;
}

static void
print_big_timeline (Bench  *bench,
                    double  store_open_ms,
                    double  store_open_cpu_ms,
                    goffset store_bytes)
{
  g_autoptr(GString) json = g_string_new (NULL);
  gboolean loaded = bench->loaded_time != 0, shown = bench->shown_time != 0;

  g_string_append_printf (json, "{\"timeline_items\": %u, \"store_bytes\": %" G_GOFFSET_FORMAT ", "
                          "\"store_open_ms\": %.1f, \"store_open_cpu_ms\": %.1f, "
                          "\"open_loaded_ms\": %.1f, \"open_loaded_cpu_ms\": %.1f, "
                          "\"open_ms\": %.1f, \"open_cpu_ms\": %.1f, \"open_all_cpu_ms\": %.1f, "
                          "\"open_binds\": %u, "
                          "\"open_max_frame_gap_ms\": %.1f, \"open_max_frame_gap_cpu_ms\": %.1f, "
                          "\"rss_before_open_kib\": %ld, \"rss_loaded_kib\": %ld, ",
                          bench->timeline_items, store_bytes, store_open_ms, store_open_cpu_ms,
                          loaded ? (bench->loaded_time - bench->open_start) / 1e3 : -1,
                          loaded ? bench->loaded_cpu_ms : -1,
                          shown ? (bench->shown_time - bench->open_start) / 1e3 : -1,
                          shown ? bench->open_cpu_ms : -1,
                          shown ? bench->open_all_cpu_ms : -1, bench->open_binds_shown,
                          bench->open_max_gap_ms, bench->open_max_gap_cpu_ms,
                          bench->rss_before_open_kib,
                          bench->rss_loaded_kib);
  g_string_append_printf (json, "\"scroll_ms\": %.1f, "
                          "\"rss_before_kib\": %ld, \"rss_after_kib\": %ld, "
                          "\"max_rss_kib\": %ld, \"complete\": %s, \"passes\": {",
                          (bench->scroll_end - bench->scroll_start) / 1e3,
                          bench->rss_before_kib, bench->rss_after_kib, bench_max_rss_kib (),
                          bench->timed_out ? "false" : "true");
  for (int i = 0; i < N_PASSES; i++)
    {
      Pass *pass = &bench->passes[i];
      guint frames = pass->frame_ms->len;
      guint binds = 0, setups = 0;

      for (guint j = 0; j < frames; j++)
        {
          binds += g_array_index (pass->binds, guint, j);
          setups += g_array_index (pass->setups, guint, j);
        }
      g_array_sort (pass->frame_ms, compare_doubles);
      g_string_append_printf (json, "%s\"%s\": {\"frames\": %u, \"of\": %d, "
                              "\"frame_median_ms\": %.2f, \"frame_p95_ms\": %.2f, "
                              "\"frame_max_ms\": %.2f, \"cpu_per_frame_ms\": %.2f, "
                              "\"binds_per_frame\": %.1f, \"setups_per_frame\": %.1f, "
                              "\"rss_after_kib\": %ld}",
                              i > 0 ? ", " : "", pass_names[i], frames, 2 * pass->steps + 1,
                              percentile (pass->frame_ms, 50), percentile (pass->frame_ms, 95),
                              percentile (pass->frame_ms, 100),
                              frames > 0 && pass->cpu_ms > 0 ? pass->cpu_ms / frames : -1,
                              frames > 0 ? (double) binds / frames : 0,
                              frames > 0 ? (double) setups / frames : 0,
                              pass->rss_after_kib);
    }
  g_string_append (json, "}}\n");
  g_print ("%s", json->str);
}

static int
big_timeline_main (const char *self_path,
                   const char *file,
                   int         wheel_frames,
                   int         page_frames,
                   int         steps,
                   guint       timeline_limit,
                   int         max_seconds,
                   gboolean    keep)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *data_dir = NULL;
  g_autofree char *homeserver = NULL;
  g_autofree char *directory = NULL;
  g_autofree char *limit = g_strdup_printf ("%u", timeline_limit);
  g_autoptr(GFile) database = NULL;
  g_autoptr(GFileInfo) info = NULL;
  StoreLoad open = { NULL, NULL, NULL };
  Bench bench = { 0, };
  char *app_argv[] = { (char *) self_path, NULL };
  double store_open_ms, store_open_cpu_ms, cpu0;
  gint64 t0;
  gboolean opened;
  int port, lifeline, status;
  pid_t child;

  port = bench_server_fork (file, &child, &lifeline);
  if (port == 0)
    {
      g_printerr ("The server did not start\n");
      return 1;
    }
  homeserver = g_strdup_printf ("http://127.0.0.1:%d", port);

  data_dir = g_dir_make_tmp ("bench-app-XXXXXX", &error);
  if (data_dir == NULL)
    goto failed;
  g_setenv ("XDG_DATA_HOME", data_dir, TRUE);
  g_setenv ("GIO_USE_PROXY_RESOLVER", "dummy", TRUE);

  {
    const char *argv[] = { self_path, "--fill-store", homeserver, "--timeline-limit", limit, NULL };

    if (!g_spawn_sync (NULL, (char **) argv, NULL, G_SPAWN_DEFAULT, NULL, NULL, NULL, NULL,
                       &status, &error) ||
        !g_spawn_check_wait_status (status, &error))
      goto failed;
  }

  /* Opened as the app opens it (confab-session.c), with the larger limit. */
  directory = app_store_dir ();
  database = g_file_new_build_filename (directory, "confab.db", NULL);
  info = g_file_query_info (database, G_FILE_ATTRIBUTE_STANDARD_SIZE, G_FILE_QUERY_INFO_NONE,
                            NULL, &error);
  if (info == NULL)
    goto failed;
  open.loop = g_main_loop_new (NULL, FALSE);
  t0 = g_get_monotonic_time ();
  cpu0 = bench_cpu_ms ();
  open_app_store_async (NULL, homeserver, timeline_limit, TRUE, on_load_store_open, &open);
  g_main_loop_run (open.loop);
  g_main_loop_unref (open.loop);
  if (open.store == NULL)
    {
      g_propagate_error (&error, open.error);
      goto failed;
    }
  store_open_ms = (g_get_monotonic_time () - t0) / 1e3;
  store_open_cpu_ms = bench_cpu_ms () - cpu0;

  bench.store = open.store;
  bench.client = matrix_client_new (homeserver, bench.store);
  bench.passes[PASS_WHEEL].steps = wheel_frames;
  bench.passes[PASS_PAGE].steps = page_frames;
  bench.passes[PASS_JUMP].steps = steps;
  for (int i = 0; i < N_PASSES; i++)
    {
      bench.passes[i].frame_ms = g_array_new (FALSE, FALSE, sizeof (double));
      bench.passes[i].binds = g_array_new (FALSE, FALSE, sizeof (guint));
      bench.passes[i].setups = g_array_new (FALSE, FALSE, sizeof (guint));
    }
  bench.app = G_APPLICATION (confab_application_new ());
  g_signal_connect (bench.app, "activate", G_CALLBACK (on_activate), &bench);
  g_timeout_add_seconds (MAX (1, max_seconds), on_timeout, &bench);
  g_application_run (bench.app, 1, app_argv);

  opened = bench.room_id != NULL;
  if (!opened)
    g_printerr ("bench-app: the room list never filled\n");
  else
    print_big_timeline (&bench, store_open_ms, store_open_cpu_ms, g_file_info_get_size (info));

  for (int i = 0; i < N_PASSES; i++)
    {
      g_array_unref (bench.passes[i].frame_ms);
      g_array_unref (bench.passes[i].binds);
      g_array_unref (bench.passes[i].setups);
    }
  g_signal_handlers_disconnect_by_data (bench.store, &bench);
  g_clear_object (&bench.app);
  g_clear_object (&bench.client);
  g_clear_object (&bench.store);
  g_free (bench.room_id);
  bench_server_stop (child, lifeline);
  if (keep)
    g_printerr ("bench-app: kept the store in %s\n", directory);
  else
    remove_tree (data_dir);
  return opened ? 0 : 1;

failed:
  g_printerr ("bench-app: %s\n", error != NULL ? error->message : "failed");
  bench_server_stop (child, lifeline);
  if (data_dir != NULL)
    remove_tree (data_dir);
  return 1;
}

int
main (int   argc,
      char *argv[])
{
  g_autoptr(GOptionContext) context = g_option_context_new ("FILE");
  g_autoptr(GError) error = NULL;
  gboolean cold_start = FALSE, big_timeline = FALSE, keep = FALSE;
  g_autofree char *store_load = NULL;
  g_autofree char *fill = NULL;
  g_autofree char *self_path = g_file_read_link ("/proc/self/exe", NULL);
  int steps = 100, wheel_frames = 150, page_frames = 50, max_seconds = 120, runs = 1;
  int timeline_limit = 0;
  g_autofree char *app_path = NULL;
  GOptionEntry entries[] = {
    { "cold-start", 0, 0, G_OPTION_ARG_NONE, &cold_start, "time to the room list", NULL },
    { "big-timeline", 0, 0, G_OPTION_ARG_NONE, &big_timeline, "scroll a long timeline", NULL },
    { "steps", 0, 0, G_OPTION_ARG_INT, &steps, "jumps each way, whole timeline (100)", "N" },
    { "wheel-frames", 0, 0, G_OPTION_ARG_INT, &wheel_frames, "wheel steps each way (150)", "N" },
    { "page-frames", 0, 0, G_OPTION_ARG_INT, &page_frames, "page steps each way (50)", "N" },
    { "timeline-limit", 0, 0, G_OPTION_ARG_INT, &timeline_limit,
      "events kept per room in the big timeline's store (100000)", "N" },
    { "max-seconds", 0, 0, G_OPTION_ARG_INT, &max_seconds, "stop and report after (120)", "S" },
    { "runs", 0, 0, G_OPTION_ARG_INT, &runs, "cold starts to time (1)", "N" },
    { "app", 0, 0, G_OPTION_ARG_FILENAME, &app_path, "the confab binary", "PATH" },
    { "keep", 0, 0, G_OPTION_ARG_NONE, &keep, "keep the filled store (to profile)", NULL },
    { "store-load", 0, G_OPTION_FLAG_HIDDEN, G_OPTION_ARG_FILENAME, &store_load,
      "time the store alone: open lazily, then load every room", "DIR" },
    { "fill-store", 0, G_OPTION_FLAG_HIDDEN, G_OPTION_ARG_STRING, &fill,
      "save the server's initial sync in a store", "URL" },
    { NULL }
  };

  g_option_context_add_main_entries (context, entries, NULL);
  if (g_option_context_parse (context, &argc, &argv, &error) && timeline_limit >= 0)
    {
      /* 0: the store's default. */
      if (store_load != NULL)
        return store_load_main (store_load, timeline_limit);
      if (fill != NULL)
        return fill_store_main (fill, timeline_limit);
    }
  if (error != NULL || argc != 2 ||
      cold_start == big_timeline || steps < 1 || runs < 1 || wheel_frames < 1 ||
      page_frames < 1 || timeline_limit < 0)
    {
      g_printerr ("usage: %s --cold-start [--runs N] [--app PATH] FILE\n"
                  "       %s --big-timeline [--steps N] [--timeline-limit N] [--max-seconds S]"
                  " FILE\n",
                  g_get_prgname (), g_get_prgname ());
      return 2;
    }

  if (cold_start)
    return cold_start_main (self_path, argv[1], app_path != NULL ? app_path : CONFAB_BINARY, runs,
                            max_seconds, keep);

  return big_timeline_main (self_path, argv[1], wheel_frames, page_frames, steps,
                            timeline_limit > 0 ? timeline_limit : BIG_TIMELINE_LIMIT, max_seconds,
                            keep);
}
