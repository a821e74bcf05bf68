/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "bench-sqlite-store"

/* Times MatrixSqliteStore: one commit of N new timeline events (what a busy
 * sync writes), and opening a store of R rooms with E events each (the
 * restart the user waits for).
 *
 *   bench-sqlite-store [--events 1000] [--commits 10] [--rooms 100] [--per-room 500]
 */

#include <glib/gstdio.h>
#include <stdio.h>
#include <time.h>

#include "matrix.h"

static int n_events = 1000;
static int n_commits = 10;
static int n_rooms = 100;
static int per_room = 500;

static const GOptionEntry entries[] = {
  { "events", 0, 0, G_OPTION_ARG_INT, &n_events, "Events per commit", "N" },
  { "commits", 0, 0, G_OPTION_ARG_INT, &n_commits, "Commits to time", "N" },
  { "rooms", 0, 0, G_OPTION_ARG_INT, &n_rooms, "Rooms in the store to open", "N" },
  { "per-room", 0, 0, G_OPTION_ARG_INT, &per_room, "Timeline events per room", "N" },
  { NULL },
};

/* Wall time says what the user waits; CPU time, what the machine spends,
 * whatever else runs on it. */
static double
cpu_ms (void)
{
  struct timespec ts;

  clock_gettime (CLOCK_PROCESS_CPUTIME_ID, &ts);
  return ts.tv_sec * 1000.0 + ts.tv_nsec / 1e6;
}

static void
on_result (GObject      *source,
           GAsyncResult *result,
           gpointer      user_data)
{
  *(GAsyncResult **) user_data = g_object_ref (result);
}

static GAsyncResult *
wait_result (GAsyncResult **result)
{
  while (*result == NULL)
    g_main_context_iteration (NULL, TRUE);
  return *result;
}

static MatrixStore *
open_store (const char *dir,
            guint       limit)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  MatrixStore *store;

  matrix_sqlite_store_new_async (dir, limit, NULL, on_result, &result);
  store = matrix_sqlite_store_new_finish (wait_result (&result), &error);
  if (store == NULL)
    g_error ("%s", error->message);
  return store;
}

static void
commit (MatrixStore *store,
        const char  *token)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;

  matrix_store_commit_async (store, token, NULL, on_result, &result);
  if (!matrix_store_commit_finish (store, wait_result (&result), &error))
    g_error ("%s", error->message);
}

static GPtrArray *
make_events (const char *room_id,
             guint       first,
             guint       count)
{
  GPtrArray *events = g_ptr_array_new_with_free_func (g_object_unref);

  for (guint n = first; n < first + count; n++)
    {
      g_autoptr(JsonObject) object = json_object_new ();
      g_autoptr(JsonObject) content = json_object_new ();
      g_autofree char *event_id = g_strdup_printf ("$event%u_%s", n, room_id + 1);
      g_autofree char *body = g_strdup_printf ("Message number %u, of a typical length for a chat "
                                               "message in a busy room", n);
      g_autoptr(GError) error = NULL;
      MatrixEvent *event;

      json_object_set_string_member (content, "msgtype", "m.text");
      json_object_set_string_member (content, "body", body);
      json_object_set_string_member (object, "type", "m.room.message");
      json_object_set_string_member (object, "sender", "@alice:example.org");
      json_object_set_string_member (object, "event_id", event_id);
      json_object_set_int_member (object, "origin_server_ts", 1700000000000 + n);
      json_object_set_object_member (object, "content", g_steal_pointer (&content));
      event = matrix_event_new_from_json (room_id, object, &error);
      g_assert_no_error (error);
      g_ptr_array_add (events, event);
    }
  return events;
}

static void
remove_dir (const char *path)
{
  g_autoptr(GDir) dir = g_dir_open (path, 0, NULL);
  const char *name;

  while (dir != NULL && (name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *child = g_build_filename (path, name, NULL);
      g_unlink (child);
    }
  g_rmdir (path);
}

int
main (int   argc,
      char *argv[])
{
  g_autoptr(GOptionContext) context = g_option_context_new (NULL);
  g_autoptr(GError) error = NULL;
  g_autofree char *dir = g_dir_make_tmp ("confab-bench-XXXXXX", NULL);
  g_autoptr(MatrixStore) store = NULL;
  gint64 total = 0, worst = 0, start;
  double cpu_start;
  guint counter = 0;

  g_option_context_add_main_entries (context, entries, NULL);
  if (!g_option_context_parse (context, &argc, &argv, &error))
    {
      g_printerr ("%s\n", error->message);
      return 2;
    }

  /* Commits of n_events new events each. */
  store = open_store (dir, 0);
  for (int c = 0; c < n_commits; c++)
    {
      g_autoptr(GPtrArray) events = make_events ("!busy:example.org", counter, n_events);
      g_autofree char *token = g_strdup_printf ("token%d", c);
      gint64 elapsed;

      counter += n_events;
      start = g_get_monotonic_time ();
      matrix_store_add_timeline_events (store, "!busy:example.org", events);
      commit (store, token);
      elapsed = g_get_monotonic_time () - start;
      total += elapsed;
      worst = MAX (worst, elapsed);
    }
  g_print ("commit of %d events (add + commit): mean %.1f ms, worst %.1f ms over %d commits\n",
           n_events, total / 1000.0 / n_commits, worst / 1000.0, n_commits);
  g_clear_object (&store);
  remove_dir (dir);

  /* A store of n_rooms x per_room events, then its opening. */
  store = open_store (dir, per_room);
  for (int r = 0; r < n_rooms; r++)
    {
      g_autofree char *room_id = g_strdup_printf ("!room%d:example.org", r);
      g_autoptr(GPtrArray) events = make_events (room_id, 0, per_room);

      matrix_store_add_timeline_events (store, room_id, events);
    }
  commit (store, "full");
  g_clear_object (&store);

  start = g_get_monotonic_time ();
  cpu_start = cpu_ms ();
  store = open_store (dir, per_room);
  g_print ("open of %d rooms x %d events: %.1f ms wall, %.1f ms CPU (all threads)\n",
           n_rooms, per_room, (g_get_monotonic_time () - start) / 1000.0, cpu_ms () - cpu_start);
  g_clear_object (&store);
  remove_dir (dir);
  return 0;
}
