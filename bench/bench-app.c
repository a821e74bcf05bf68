/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "bench-app"

/* The GTK app itself, driven through its own window (the static library the
 * `confab` binary is made of), against a local server that answers the
 * initial /sync with FILE. Run under Xvfb and a private D-Bus (tools/bench
 * does).
 *
 *   bench-app --cold-start --exec-time-us T --rooms N FILE
 *     Time from T (CLOCK_MONOTONIC in µs, taken by the caller just before
 *     exec) to the first frame of the window, and to the first frame painted
 *     once the room list holds the N rooms of FILE; RSS then.
 *
 *   bench-app --big-timeline [--steps N] [--max-seconds S] FILE
 *     FILE has one room with a long timeline. Opens it, then scrolls the
 *     timeline from the bottom to the top and back in --steps steps, one per
 *     frame, timing each frame's work (frame clock update → after-paint) and
 *     RSS before and after. Stops at --max-seconds and reports what it has
 *     (`"complete": false`).
 *
 * The app keeps its session in $XDG_DATA_HOME, which this points at a
 * temporary directory holding a session for the local server.
 */

#include <glib/gstdio.h>
#include <unistd.h>

#include "bench-common.h"
#include "bench-server.h"
#include "confab-application.h"
#include "confab-timeline-view.h"
#include "confab-window.h"

typedef struct {
  GApplication  *app;
  ConfabWindow  *window;
  gboolean       big_timeline;
  gint64         exec_time;
  guint          rooms_expected;
  int            steps;

  gint64         first_frame;
  gint64         rooms_frame;
  glong          rooms_rss_kib;

  /* big timeline */
  gboolean       room_selected;
  guint          settle_frames;
  GtkAdjustment *vadjustment;
  guint          timeline_items;
  int            step;           /* 0..2*steps while scrolling */
  gint64         update_start;
  GArray        *frame_ms;       /* double: work of each frame while scrolling */
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

static void
finish (Bench *bench)
{
  bench->done = TRUE;
  g_application_quit (bench->app);
}

static void
on_update (GdkFrameClock *clock,
           Bench         *bench)
{
  bench->update_start = g_get_monotonic_time ();

  if (bench->vadjustment == NULL || bench->step > 2 * bench->steps)
    return;

  /* One step per frame: bottom → top in `steps` steps, then back. */
  {
    double upper = gtk_adjustment_get_upper (bench->vadjustment);
    double page = gtk_adjustment_get_page_size (bench->vadjustment);
    double range = MAX (0, upper - page);
    double fraction = bench->step <= bench->steps
                      ? 1.0 - (double) bench->step / bench->steps
                      : (double) (bench->step - bench->steps) / bench->steps;

    gtk_adjustment_set_value (bench->vadjustment, range * fraction);
  }
}

static void
start_scrolling (Bench *bench)
{
  GtkWidget *view = find_descendant (GTK_WIDGET (bench->window), CONFAB_TYPE_TIMELINE_VIEW);
  GtkWidget *scroller = view != NULL ? find_descendant (view, GTK_TYPE_SCROLLED_WINDOW) : NULL;
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
  bench->step = 0;
}

static void
on_after_paint (GdkFrameClock *clock,
                Bench         *bench)
{
  gint64 now = g_get_monotonic_time ();

  if (bench->done)
    return;

  if (bench->first_frame == 0)
    bench->first_frame = now;

  if (bench->rooms_frame == 0)
    {
      if (n_rooms (bench) < bench->rooms_expected)
        {
          gdk_frame_clock_request_phase (clock, GDK_FRAME_CLOCK_PHASE_PAINT);
          return;
        }
      bench->rooms_frame = now;
      bench->rooms_rss_kib = current_rss_kib ();
      if (!bench->big_timeline)
        {
          finish (bench);
          return;
        }
    }

  if (!bench->room_selected)
    {
      MatrixRoom *room = g_list_model_get_item (G_LIST_MODEL (confab_window_get_tracker (bench->window)), 0);

      bench->room_selected = TRUE;
      confab_window_select_room (bench->window, matrix_room_get_room_id (room));
      g_object_unref (room);
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

  if (bench->step <= 2 * bench->steps)
    {
      double ms = (now - bench->update_start) / 1e3;

      g_array_append_val (bench->frame_ms, ms);
      bench->step++;
      gdk_frame_clock_request_phase (clock, GDK_FRAME_CLOCK_PHASE_UPDATE);
      return;
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

static void
on_window_added (GtkApplication *app,
                 GtkWindow      *window,
                 Bench          *bench)
{
  if (!CONFAB_IS_WINDOW (window) || bench->window != NULL)
    return;

  bench->window = CONFAB_WINDOW (window);
  g_signal_connect (window, "realize", G_CALLBACK (on_window_realized), bench);
}

static gboolean
on_timeout (gpointer user_data)
{
  Bench *bench = user_data;

  g_printerr ("bench-app: stopped after --max-seconds\n");
  bench->timed_out = TRUE;
  bench->scroll_end = g_get_monotonic_time ();
  bench->rss_after_kib = current_rss_kib ();
  finish (bench);
  return G_SOURCE_REMOVE;
}

static gboolean
write_session (const char  *data_dir,
               int          port,
               GError     **error)
{
  g_autofree char *dir = g_build_filename (data_dir, "confab", NULL);
  g_autofree char *path = g_build_filename (dir, "session.ini", NULL);
  g_autofree char *text = g_strdup_printf ("[Session]\n"
                                           "homeserver=http://127.0.0.1:%d\n"
                                           "user_id=@me:example.org\n"
                                           "device_id=BENCH\n"
                                           "access_token=bench-token\n", port);

  g_mkdir_with_parents (dir, 0700);
  return g_file_set_contents_full (path, text, -1, G_FILE_SET_CONTENTS_NONE, 0600, error);
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

int
main (int   argc,
      char *argv[])
{
  g_autoptr(GOptionContext) context = g_option_context_new ("FILE");
  g_autoptr(GError) error = NULL;
  g_autofree char *data_dir = NULL;
  gboolean cold_start = FALSE, big_timeline = FALSE;
  gint64 exec_time = 0;
  int rooms = 1, steps = 100, max_seconds = 120;
  GOptionEntry entries[] = {
    { "cold-start", 0, 0, G_OPTION_ARG_NONE, &cold_start, "time to the room list", NULL },
    { "big-timeline", 0, 0, G_OPTION_ARG_NONE, &big_timeline, "scroll a long timeline", NULL },
    { "exec-time-us", 0, 0, G_OPTION_ARG_INT64, &exec_time, "CLOCK_MONOTONIC before exec", "T" },
    { "rooms", 0, 0, G_OPTION_ARG_INT, &rooms, "rooms in FILE", "N" },
    { "steps", 0, 0, G_OPTION_ARG_INT, &steps, "scroll steps each way (100)", "N" },
    { "max-seconds", 0, 0, G_OPTION_ARG_INT, &max_seconds, "stop and report after (120)", "S" },
    { NULL }
  };
  Bench bench = { 0, };
  char *app_argv[] = { argv[0], NULL };
  int port, lifeline;
  pid_t child;

  g_option_context_add_main_entries (context, entries, NULL);
  if (!g_option_context_parse (context, &argc, &argv, &error) || argc != 2 ||
      cold_start == big_timeline || rooms < 1 || steps < 1)
    {
      g_printerr ("usage: %s --cold-start|--big-timeline [--exec-time-us T] [--rooms N] FILE\n",
                  g_get_prgname ());
      return 2;
    }

  port = bench_server_fork (argv[1], &child, &lifeline);
  if (port == 0)
    {
      g_printerr ("The server did not start\n");
      return 1;
    }

  data_dir = g_dir_make_tmp ("bench-app-XXXXXX", &error);
  if (data_dir == NULL || !write_session (data_dir, port, &error))
    {
      g_printerr ("%s\n", error->message);
      return 1;
    }
  g_setenv ("XDG_DATA_HOME", data_dir, TRUE);
  g_setenv ("GIO_USE_PROXY_RESOLVER", "dummy", TRUE);

  bench.big_timeline = big_timeline;
  bench.exec_time = exec_time != 0 ? exec_time : g_get_monotonic_time ();
  bench.rooms_expected = rooms;
  bench.steps = steps;
  bench.frame_ms = g_array_new (FALSE, FALSE, sizeof (double));
  bench.app = G_APPLICATION (confab_application_new ());
  g_signal_connect (bench.app, "window-added", G_CALLBACK (on_window_added), &bench);
  g_timeout_add_seconds (MAX (1, max_seconds), on_timeout, &bench);
  g_application_run (bench.app, 1, app_argv);

  if (bench.rooms_frame == 0)
    {
      g_printerr ("bench-app: the room list never filled\n");
      return 1;
    }

  if (!big_timeline)
    {
      g_print ("{\"first_frame_ms\": %.1f, \"rooms_frame_ms\": %.1f, \"rooms\": %u, "
               "\"rss_kib\": %ld, \"max_rss_kib\": %ld}\n",
               (bench.first_frame - bench.exec_time) / 1e3,
               (bench.rooms_frame - bench.exec_time) / 1e3, n_rooms (&bench),
               bench.rooms_rss_kib, bench_max_rss_kib ());
    }
  else
    {
      g_array_sort (bench.frame_ms, compare_doubles);
      g_print ("{\"timeline_items\": %u, \"frames\": %u, \"frame_median_ms\": %.2f, "
               "\"frame_p95_ms\": %.2f, \"frame_max_ms\": %.2f, \"scroll_ms\": %.1f, "
               "\"rss_before_kib\": %ld, \"rss_after_kib\": %ld, \"max_rss_kib\": %ld, "
               "\"steps\": %d, \"complete\": %s}\n",
               bench.timeline_items, bench.frame_ms->len, percentile (bench.frame_ms, 50),
               percentile (bench.frame_ms, 95), percentile (bench.frame_ms, 100),
               (bench.scroll_end - bench.scroll_start) / 1e3, bench.rss_before_kib,
               bench.rss_after_kib, bench_max_rss_kib (), 2 * steps + 1,
               bench.timed_out ? "false" : "true");
    }

  g_array_unref (bench.frame_ms);
  g_clear_object (&bench.app);
  bench_server_stop (child, lifeline);
  remove_tree (data_dir);

  return 0;
}
