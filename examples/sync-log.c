/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "confab-sync-log"

/* Syncs into a MatrixSqliteStore and prints every timeline event the store
 * newly holds, one JSON object per line, once the commit that covers it is
 * durable. Kill it at any moment and start it again: it carries on from the
 * stored sync token, and nothing is lost or stored twice.
 *
 *   sync-log --store DIR [--homeserver URL --user NAME --password-file FILE]
 *   sync-log --store DIR --dump      # every stored timeline event, and exit
 *
 * Without a stored session it logs in with --homeserver, --user and the
 * password read from --password-file (its first line; `-` reads standard
 * input). The password never goes on the command line, where every user of
 * the machine could read it in /proc/PID/cmdline. */

#include <glib-unix.h>
#include <stdio.h>
#include <string.h>

#include "matrix.h"

static char *store_dir;
static char *homeserver;
static char *user;
static char *password_file;
static char *password;
static int timeline_limit;
static int sync_timeline_limit;
static gboolean dump;

static const GOptionEntry entries[] = {
  { "store", 's', 0, G_OPTION_ARG_FILENAME, &store_dir,
    "The store's directory (default: the user's)", "DIR" },
  { "homeserver", 'h', 0, G_OPTION_ARG_STRING, &homeserver, "Homeserver to log in to", "URL" },
  { "user", 'u', 0, G_OPTION_ARG_STRING, &user, "User to log in as", "NAME" },
  { "password-file", 'p', 0, G_OPTION_ARG_FILENAME, &password_file,
    "Read the password to log in with from FILE (- for standard input)", "FILE" },
  { "timeline-limit", 0, 0, G_OPTION_ARG_INT, &timeline_limit,
    "Timeline events the store keeps per room", "N" },
  { "sync-timeline-limit", 0, 0, G_OPTION_ARG_INT, &sync_timeline_limit,
    "Timeline events per room and sync", "N" },
  { "dump", 0, 0, G_OPTION_ARG_NONE, &dump, "Print the stored timelines and exit", NULL },
  { NULL },
};

typedef struct {
  GMainLoop              *loop;
  MatrixStore            *store;
  MatrixClient           *client;
  MatrixRoomStateTracker *tracker;
  GHashTable             *known;    /* event ids the store holds */
  GPtrArray              *pending;  /* MatrixEvent* stored, not yet committed */
  int                     status;
} SyncLog;

static void
print_event (MatrixEvent *event)
{
  g_autofree char *line = matrix_event_to_string (event);

  g_print ("%s\n", line);
}

static int
compare_strings (gconstpointer a,
                 gconstpointer b)
{
  return g_strcmp0 (*(const char * const *) a, *(const char * const *) b);
}

static GStrv
sorted_room_ids (MatrixStore *store)
{
  GStrv room_ids = matrix_store_get_room_ids (store);

  qsort (room_ids, g_strv_length (room_ids), sizeof (char *), compare_strings);
  return room_ids;
}

static void
on_room_timeline_updates (MatrixClient *client,
                          const char   *room_id,
                          GPtrArray    *events,
                          gboolean      limited,
                          const char   *prev_batch,
                          SyncLog      *log)
{
  if (limited && matrix_store_get_sync_token (log->store) != NULL)
    g_printerr ("%s: gap before this sync's timeline (prev_batch %s)\n", room_id, prev_batch);

  for (guint i = 0; i < events->len; i++)
    {
      MatrixEvent *event = g_ptr_array_index (events, i);

      if (g_hash_table_add (log->known, g_strdup (matrix_event_get_event_id (event))))
        g_ptr_array_add (log->pending, g_object_ref (event));
    }
}

static void
on_synced (MatrixClient *client,
           const char   *next_batch,
           SyncLog      *log)
{
  /* "synced" comes after the commit: these are durable now. */
  for (guint i = 0; i < log->pending->len; i++)
    print_event (g_ptr_array_index (log->pending, i));
  g_ptr_array_set_size (log->pending, 0);
  fflush (stdout);
}

static void
on_sync_failed (MatrixClient *client,
                guint         delay_s,
                SyncLog      *log)
{
  const GError *error = matrix_client_get_sync_error (client);

  g_printerr ("Sync failed (%s); retrying in %u s\n", error != NULL ? error->message : "?",
              delay_s);
}

static void
on_session_ended (MatrixClient *client,
                  gboolean      soft_logout,
                  SyncLog      *log)
{
  g_printerr ("The server ended the session\n");
  log->status = 1;
  g_main_loop_quit (log->loop);
}

static void
start_syncing (SyncLog *log)
{
  g_auto(GStrv) room_ids = matrix_store_get_room_ids (log->store);

  for (guint r = 0; room_ids[r] != NULL; r++)
    {
      g_autoptr(GPtrArray) timeline = matrix_store_get_timeline_events (log->store, room_ids[r]);

      for (guint i = 0; i < timeline->len; i++)
        g_hash_table_add (log->known,
                          g_strdup (matrix_event_get_event_id (g_ptr_array_index (timeline, i))));
    }

  if (sync_timeline_limit > 0)
    {
      g_autofree char *filter = g_strdup_printf ("{\"room\":{\"timeline\":{\"limit\":%d}}}",
                                                 sync_timeline_limit);
      matrix_client_set_sync_filter (log->client, filter);
    }

  log->tracker = matrix_room_state_tracker_new (log->client);
  g_signal_connect (log->client, "room-timeline-updates",
                    G_CALLBACK (on_room_timeline_updates), log);
  g_signal_connect (log->client, "synced", G_CALLBACK (on_synced), log);
  g_signal_connect (log->client, "sync-failed", G_CALLBACK (on_sync_failed), log);
  g_signal_connect (log->client, "session-ended", G_CALLBACK (on_session_ended), log);
  matrix_client_start_sync (log->client);
}

static void
on_logged_in (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  SyncLog *log = user_data;
  g_autoptr(GError) error = NULL;

  if (!matrix_client_login_finish (MATRIX_CLIENT (source), result, &error))
    {
      g_printerr ("Could not log in: %s\n", error->message);
      log->status = 1;
      g_main_loop_quit (log->loop);
      return;
    }

  start_syncing (log);
}

static void
on_store_opened (GObject      *source,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  SyncLog *log = user_data;
  g_autoptr(GError) error = NULL;
  const char *url;

  log->store = matrix_sqlite_store_new_finish (result, &error);
  if (log->store == NULL)
    {
      g_printerr ("Could not open the store: %s\n", error->message);
      log->status = 1;
      g_main_loop_quit (log->loop);
      return;
    }

  if (dump)
    {
      g_auto(GStrv) room_ids = sorted_room_ids (log->store);

      for (guint r = 0; room_ids[r] != NULL; r++)
        {
          g_autoptr(GPtrArray) timeline = NULL;

          timeline = matrix_store_get_timeline_events (log->store, room_ids[r]);

          for (guint i = 0; i < timeline->len; i++)
            print_event (g_ptr_array_index (timeline, i));
        }
      g_main_loop_quit (log->loop);
      return;
    }

  url = matrix_store_get_value (log->store, MATRIX_STORE_KEY_HOMESERVER);
  if (url == NULL || matrix_store_get_value (log->store, MATRIX_STORE_KEY_ACCESS_TOKEN) == NULL)
    url = homeserver;
  if (url == NULL)
    {
      g_printerr ("No session in the store: give --homeserver, --user and --password-file\n");
      log->status = 1;
      g_main_loop_quit (log->loop);
      return;
    }

  log->client = matrix_client_new (url, log->store);
  if (matrix_client_is_logged_in (log->client))
    {
      start_syncing (log);
      return;
    }

  if (user == NULL || password == NULL)
    {
      g_printerr ("Not logged in: give --user and --password-file\n");
      log->status = 1;
      g_main_loop_quit (log->loop);
      return;
    }

  matrix_client_login_async (log->client, user, password, NULL, on_logged_in, log);
}

/* The first line of @path, or of standard input for `-`. */
static char *
read_password (const char  *path,
               GError     **error)
{
  g_autofree char *text = NULL;
  char *newline;

  if (g_str_equal (path, "-"))
    {
      char buffer[1024];

      if (fgets (buffer, sizeof buffer, stdin) == NULL)
        {
          g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_FAILED,
                               "Nothing to read on standard input");
          return NULL;
        }
      text = g_strdup (buffer);
      memset (buffer, 0, sizeof buffer);
    }
  else if (!g_file_get_contents (path, &text, NULL, error))
    {
      return NULL;
    }

  newline = strpbrk (text, "\r\n");
  if (newline != NULL)
    *newline = '\0';
  return g_steal_pointer (&text);
}

static gboolean
on_terminate (gpointer user_data)
{
  SyncLog *log = user_data;

  g_main_loop_quit (log->loop);
  return G_SOURCE_REMOVE;
}

int
main (int   argc,
      char *argv[])
{
  g_autoptr(GOptionContext) context = g_option_context_new ("— log a Matrix account's timelines");
  g_autoptr(GError) error = NULL;
  SyncLog log = { 0, };

  g_option_context_add_main_entries (context, entries, NULL);
  if (!g_option_context_parse (context, &argc, &argv, &error))
    {
      g_printerr ("%s\n", error->message);
      return 2;
    }

  if (store_dir == NULL)
    {
      if (user == NULL)
        {
          g_printerr ("Give --store, or --user to use that user's default store\n");
          return 2;
        }
      store_dir = matrix_sqlite_store_default_dir ("matrix-glib-sync-log", user);
    }

  if (password_file != NULL)
    {
      password = read_password (password_file, &error);
      if (password == NULL)
        {
          g_printerr ("Could not read the password: %s\n", error->message);
          return 2;
        }
    }

  log.loop = g_main_loop_new (NULL, FALSE);
  log.known = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  log.pending = g_ptr_array_new_with_free_func (g_object_unref);
  g_unix_signal_add (SIGINT, on_terminate, &log);
  g_unix_signal_add (SIGTERM, on_terminate, &log);

  matrix_sqlite_store_new_async (store_dir, timeline_limit > 0 ? timeline_limit : 0, NULL,
                                 on_store_opened, &log);
  g_main_loop_run (log.loop);

  if (log.client != NULL)
    matrix_client_stop_sync (log.client);
  g_clear_object (&log.tracker);
  g_clear_object (&log.client);
  g_clear_object (&log.store);
  g_clear_pointer (&log.known, g_hash_table_unref);
  g_clear_pointer (&log.pending, g_ptr_array_unref);
  g_main_loop_unref (log.loop);
  g_free (store_dir);
  g_free (homeserver);
  g_free (user);
  g_free (password_file);
  if (password != NULL)
    memset (password, 0, strlen (password));
  g_free (password);
  return log.status;
}
