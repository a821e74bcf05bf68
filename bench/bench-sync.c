/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "bench-sync"

/* Confab's whole path for one initial sync: MatrixClient sends GET /sync to
 * a local HTTP server, reads the body, parses and validates it on its worker
 * thread, emits the room signals (a MatrixRoomStateTracker applies state and
 * caches timelines in the store) and commits the store with the token. The
 * time is from matrix_client_start_sync() to ::synced.
 *
 *   bench-sync [--store memory|sqlite] FILE
 *
 * The server runs in a forked child process, so that the peak RSS printed is
 * the client's alone (the child never touches GLib before the fork). Under
 * `valgrind --tool=callgrind`, the stats are zeroed at the start and dumped
 * at ::synced, so instruction counts cover exactly the measured span.
 */

#include <glib/gstdio.h>
#include <libsoup/soup.h>
#include <unistd.h>

#include "bench-common.h"
#include "bench-server.h"
#include "matrix.h"
#ifdef HAVE_SQLITE_STORE
#include "matrix-sqlite-store.h"
#endif

/* --- the client ----------------------------------------------------------- */

typedef struct {
  GMainLoop    *loop;
  MatrixStore  *store;
  GError       *error;
  gint64        end;
  guint         rooms;
  guint         state_events;
  guint         timeline_events;
  gboolean      done;
} Bench;

static void
on_state (MatrixClient *client,
          const char   *room_id,
          GPtrArray    *events,
          Bench        *bench)
{
  bench->state_events += events->len;
}

static void
on_timeline (MatrixClient *client,
             const char   *room_id,
             GPtrArray    *events,
             gboolean      limited,
             const char   *prev_batch,
             Bench        *bench)
{
  bench->rooms++;
  bench->timeline_events += events->len;
}

static void
on_synced (MatrixClient *client,
           const char   *next_batch,
           Bench        *bench)
{
  bench->end = g_get_monotonic_time ();
  BENCH_CALLGRIND_DUMP ("synced");
  bench->done = TRUE;
  matrix_client_stop_sync (client);
  g_main_loop_quit (bench->loop);
}

static void
on_sync_failed (MatrixClient *client,
                guint         delay_s,
                Bench        *bench)
{
  bench->error = g_error_copy (matrix_client_get_sync_error (client));
  matrix_client_stop_sync (client);
  g_main_loop_quit (bench->loop);
}

#ifdef HAVE_SQLITE_STORE
static void
on_sqlite_store_ready (GObject      *source,
                       GAsyncResult *result,
                       gpointer      user_data)
{
  Bench *bench = user_data;

  bench->store = matrix_sqlite_store_new_finish (result, &bench->error);
  g_main_loop_quit (bench->loop);
}
#endif

static MatrixStore *
open_store (Bench       *bench,
            const char  *kind,
            const char  *directory,
            GError     **error)
{
  if (g_str_equal (kind, "memory"))
    return matrix_memory_store_new ();

#ifdef HAVE_SQLITE_STORE
  if (g_str_equal (kind, "sqlite"))
    {
      matrix_sqlite_store_new_async (directory, MATRIX_SQLITE_STORE_DEFAULT_TIMELINE_LIMIT, NULL,
                                     on_sqlite_store_ready, bench);
      g_main_loop_run (bench->loop);
      if (bench->store == NULL)
        {
          g_propagate_error (error, g_steal_pointer (&bench->error));
          return NULL;
        }
      return g_steal_pointer (&bench->store);
    }
#endif

  g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED, "Store '%s' is not built in", kind);
  return NULL;
}

static int
run_client (const char *store_kind,
            int         port)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(MatrixStore) store = NULL;
  g_autoptr(MatrixClient) client = NULL;
  g_autoptr(MatrixRoomStateTracker) tracker = NULL;
  g_autofree char *url = g_strdup_printf ("http://127.0.0.1:%d", port);
  g_autofree char *directory = NULL;
  Bench bench = { 0, };
  double cpu_start, cpu_ms;
  glong max_rss_kib;
  guint64 store_bytes = 0;
  gint64 start;

  bench.loop = g_main_loop_new (NULL, FALSE);

  directory = g_dir_make_tmp ("bench-sync-XXXXXX", &error);
  if (directory == NULL)
    {
      g_printerr ("%s\n", error->message);
      return 1;
    }

  store = open_store (&bench, store_kind, directory, &error);
  if (store == NULL)
    {
      g_printerr ("%s\n", error->message);
      return 1;
    }
  matrix_store_set_value (store, MATRIX_STORE_KEY_USER_ID, "@me:example.org");
  matrix_store_set_value (store, MATRIX_STORE_KEY_DEVICE_ID, "BENCH");
  matrix_store_set_value (store, MATRIX_STORE_KEY_ACCESS_TOKEN, "bench-token");

  client = matrix_client_new (url, store);
  /* The /v3/sync path is what this measures (the library default asks /versions first). */
  matrix_client_set_sync_mode (client, MATRIX_SYNC_MODE_CLASSIC);
  tracker = matrix_room_state_tracker_new (client);
  g_signal_connect (client, "room-state-updates", G_CALLBACK (on_state), &bench);
  g_signal_connect (client, "room-timeline-updates", G_CALLBACK (on_timeline), &bench);
  g_signal_connect (client, "synced", G_CALLBACK (on_synced), &bench);
  g_signal_connect (client, "sync-failed", G_CALLBACK (on_sync_failed), &bench);

  BENCH_CALLGRIND_ZERO ();
  cpu_start = bench_cpu_ms ();
  start = g_get_monotonic_time ();
  matrix_client_start_sync (client);
  g_main_loop_run (bench.loop);

  if (!bench.done)
    {
      g_printerr ("sync failed: %s\n", bench.error != NULL ? bench.error->message : "?");
      return 1;
    }

  cpu_ms = bench_cpu_ms () - cpu_start;
  max_rss_kib = bench_max_rss_kib ();

  g_clear_object (&tracker);
  g_clear_object (&client);
  g_clear_object (&store);
  g_main_loop_unref (bench.loop);
  g_clear_error (&bench.error);

  /* The store's files: the directory holds nothing worth keeping. */
  {
    g_autoptr(GDir) dir = g_dir_open (directory, 0, NULL);
    const char *name;

    while (dir != NULL && (name = g_dir_read_name (dir)) != NULL)
      {
        g_autofree char *path = g_build_filename (directory, name, NULL);
        GStatBuf st;

        if (g_stat (path, &st) == 0)
          store_bytes += st.st_size;
        g_unlink (path);
      }
    g_rmdir (directory);
  }

  /* store_kib: what the store left on disk once closed (0 for memory). */
  g_print ("{\"store\": \"%s\", \"ms\": %.3f, \"cpu_ms\": %.3f, \"max_rss_kib\": %ld, "
           "\"rooms\": %u, \"state_events\": %u, \"timeline_events\": %u, "
           "\"store_kib\": %" G_GUINT64_FORMAT ", \"pid\": %d}\n",
           store_kind, (bench.end - start) / 1e3, cpu_ms, max_rss_kib, bench.rooms,
           bench.state_events, bench.timeline_events, store_bytes / 1024, (int) getpid ());

  return 0;
}

int
main (int   argc,
      char *argv[])
{
  g_autofree char *store_kind = g_strdup ("memory");
  g_autoptr(GOptionContext) context = g_option_context_new ("FILE");
  g_autoptr(GError) error = NULL;
  GOptionEntry entries[] = {
    { "store", 0, 0, G_OPTION_ARG_STRING, &store_kind, "memory or sqlite", "KIND" },
    { NULL }
  };
  int port, lifeline;
  pid_t child;
  int status;

  g_option_context_add_main_entries (context, entries, NULL);
  if (!g_option_context_parse (context, &argc, &argv, &error) || argc != 2)
    {
      g_printerr ("usage: %s [--store memory|sqlite] FILE\n", g_get_prgname ());
      return 2;
    }

  /* Before any thread exists: the child then serves with a GLib of its own. */
  port = bench_server_fork (argv[1], &child, &lifeline);
  if (port == 0)
    {
      g_printerr ("The server did not start\n");
      return 1;
    }

  g_setenv ("GIO_USE_PROXY_RESOLVER", "dummy", TRUE);
  status = run_client (store_kind, port);
  bench_server_stop (child, lifeline);

  return status;
}
