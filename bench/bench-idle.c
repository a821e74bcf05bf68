/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "bench-idle"

/* A syncing client with nothing to do, for tools/bench to watch with
 * `strace -c -f -p`. After the initial sync it prints a line
 * `{"ready": true, "pid": N}`, idles for --seconds, then prints how many
 * /sync requests it made and what its threads did meanwhile.
 *
 *   bench-idle --homeserver URL --user USER_ID:TOKEN [--seconds 60]
 */

#include <stdio.h>
#include <unistd.h>

#include "bench-common.h"
#include "matrix.h"

typedef struct {
  GMainLoop *loop;
  gboolean   ready;
  guint      syncs;       /* /sync responses handled while idle */
  guint      failures;
  guint      events;
  gint64     ready_at;
  GString   *sync_times;  /* seconds after ready at which each /sync returned */
} Bench;

static void
on_timeline (MatrixClient *client,
             const char   *room_id,
             GPtrArray    *events,
             gboolean      limited,
             const char   *prev_batch,
             Bench        *bench)
{
  if (bench->ready)
    bench->events += events->len;
}

static void
on_synced (MatrixClient *client,
           const char   *next_batch,
           Bench        *bench)
{
  if (bench->ready)
    {
      bench->syncs++;
      g_string_append_printf (bench->sync_times, "%s%.1f", bench->syncs > 1 ? ", " : "",
                              (g_get_monotonic_time () - bench->ready_at) / 1e6);
      return;
    }

  bench->ready = TRUE;
  bench->ready_at = g_get_monotonic_time ();
  g_print ("{\"ready\": true, \"pid\": %d}\n", (int) getpid ());
  fflush (stdout);
}

static void
on_sync_failed (MatrixClient *client,
                guint         delay_s,
                Bench        *bench)
{
  bench->failures++;
}

static gboolean
on_done (gpointer user_data)
{
  g_main_loop_quit (user_data);
  return G_SOURCE_REMOVE;
}

/* Threads of this process, and their voluntary context switches (each one a
 * thread that went to sleep, so a wake-up follows). */
static guint
count_threads (guint64 *switches)
{
  g_autoptr(GDir) dir = g_dir_open ("/proc/self/task", 0, NULL);
  const char *name;
  guint threads = 0;

  *switches = 0;
  while (dir != NULL && (name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *path = g_build_filename ("/proc/self/task", name, "status", NULL);
      g_autofree char *status = NULL;
      const char *line;

      threads++;
      if (!g_file_get_contents (path, &status, NULL, NULL))
        continue;
      line = strstr (status, "\nvoluntary_ctxt_switches:");
      if (line != NULL)
        *switches += g_ascii_strtoull (line + strlen ("\nvoluntary_ctxt_switches:"), NULL, 10);
    }

  return threads;
}

int
main (int   argc,
      char *argv[])
{
  g_autofree char *homeserver = NULL, *user = NULL;
  g_autoptr(GOptionContext) context = g_option_context_new (NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(MatrixStore) store = matrix_memory_store_new ();
  g_autoptr(MatrixClient) client = NULL;
  g_autoptr(MatrixRoomStateTracker) tracker = NULL;
  g_autofree char *user_id = NULL;
  int seconds = 60;
  GOptionEntry entries[] = {
    { "homeserver", 0, 0, G_OPTION_ARG_STRING, &homeserver, "homeserver URL", "URL" },
    { "user", 0, 0, G_OPTION_ARG_STRING, &user, "the user", "USER_ID:TOKEN" },
    { "seconds", 0, 0, G_OPTION_ARG_INT, &seconds, "how long to idle (60)", "S" },
    { NULL }
  };
  Bench bench = { 0, };
  const char *colon;
  guint64 switches_start, switches_end;
  guint threads;

  g_option_context_add_main_entries (context, entries, NULL);
  if (!g_option_context_parse (context, &argc, &argv, &error) || homeserver == NULL ||
      user == NULL || (colon = strrchr (user, ':')) == NULL || seconds < 1)
    {
      g_printerr ("usage: %s --homeserver URL --user USER_ID:TOKEN [--seconds S]\n",
                  g_get_prgname ());
      return 2;
    }

  user_id = g_strndup (user, colon - user);
  matrix_store_set_value (store, MATRIX_STORE_KEY_USER_ID, user_id);
  matrix_store_set_value (store, MATRIX_STORE_KEY_ACCESS_TOKEN, colon + 1);

  bench.loop = g_main_loop_new (NULL, FALSE);
  bench.sync_times = g_string_new (NULL);
  client = matrix_client_new (homeserver, store);
  matrix_client_set_sync_mode (client, MATRIX_SYNC_MODE_CLASSIC);
  tracker = matrix_room_state_tracker_new (client);
  g_signal_connect (client, "room-timeline-updates", G_CALLBACK (on_timeline), &bench);
  g_signal_connect (client, "synced", G_CALLBACK (on_synced), &bench);
  g_signal_connect (client, "sync-failed", G_CALLBACK (on_sync_failed), &bench);
  matrix_client_start_sync (client);

  while (!bench.ready)
    g_main_context_iteration (NULL, TRUE);

  count_threads (&switches_start);
  g_timeout_add_seconds (seconds, on_done, bench.loop);
  g_main_loop_run (bench.loop);
  threads = count_threads (&switches_end);

  g_print ("{\"seconds\": %d, \"syncs\": %u, \"sync_times_s\": [%s], \"failures\": %u, "
           "\"events\": %u, \"threads\": %u, \"voluntary_switches\": %" G_GUINT64_FORMAT ", "
           "\"max_rss_kib\": %ld}\n",
           seconds, bench.syncs, bench.sync_times->str, bench.failures, bench.events, threads,
           switches_end - switches_start, bench_max_rss_kib ());
  g_string_free (bench.sync_times, TRUE);

  matrix_client_stop_sync (client);
  g_main_loop_unref (bench.loop);

  return 0;
}
