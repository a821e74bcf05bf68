/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "confab-e2e-sync-log"

/* The encrypted kill test's child (test-e2e-kill-restart.py): a client with
 * end-to-end encryption syncing into the SQLite store, the crypto machine's
 * store beside it. It prints one JSON line per stored m.room.encrypted event
 * once the commit that covers it is durable and the event decrypted:
 * {"event_id", "body"}, or {"event_id", "error"} when its key never came in
 * this run. Kill it at any moment and start it again.
 *
 *   e2e-sync-log --dir DIR --homeserver URL --user NAME --password-file -
 *   e2e-sync-log --dir DIR --dump    # decrypt every stored event, and exit
 *
 * DIR holds the SQLite store (DIR/store) and the crypto store (DIR/crypto,
 * its passphrase in a file there). The first line it prints is
 * {"ready": true, "device_id"} once encryption is on and a sync committed;
 * {"start": TOKEN} gives the sync token it starts from, and {"keys": TOKEN}
 * says the machine has just taken room keys from the sync that follows
 * TOKEN, which is not committed yet. */

#include <glib-unix.h>
#include <stdio.h>
#include <string.h>

#include "matrix.h"
#include "matrix-client-crypto-private.h"
#include "matrix-crypto-private.h"
#include "matrix-json-private.h"

static char *dir;
static char *homeserver;
static char *user;
static char *password_file;
static char *password;
static int timeline_limit;
static int sync_timeline_limit;
static gboolean dump;
static int pause_after_keys_ms;

static const GOptionEntry entries[] = {
  { "dir", 'd', 0, G_OPTION_ARG_FILENAME, &dir, "The stores' directory", "DIR" },
  { "homeserver", 'h', 0, G_OPTION_ARG_STRING, &homeserver, "Homeserver to log in to", "URL" },
  { "user", 'u', 0, G_OPTION_ARG_STRING, &user, "User to log in as", "NAME" },
  { "password-file", 'p', 0, G_OPTION_ARG_FILENAME, &password_file,
    "Read the password from FILE (- for standard input)", "FILE" },
  { "timeline-limit", 0, 0, G_OPTION_ARG_INT, &timeline_limit,
    "Timeline events the store keeps per room", "N" },
  { "sync-timeline-limit", 0, 0, G_OPTION_ARG_INT, &sync_timeline_limit,
    "Timeline events per room and sync", "N" },
  { "dump", 0, 0, G_OPTION_ARG_NONE, &dump, "Decrypt the stored events, print, exit", NULL },
  { "pause-after-keys", 0, 0, G_OPTION_ARG_INT, &pause_after_keys_ms,
    "Hold the main thread this long once room keys came (before the commit)", "MS" },
  { NULL },
};

typedef struct {
  GMainLoop    *loop;
  MatrixStore  *store;
  MatrixClient *client;
  MatrixRoomStateTracker *tracker;  /* keeps the timelines in the store */
  GHashTable   *known;      /* event ids the store holds */
  GPtrArray    *pending;    /* MatrixEvent*: stored, not yet committed */
  GPtrArray    *waiting;    /* MatrixEvent*: committed, its key not here yet */
  guint         in_flight;  /* decryptions (dump: exit when none is left) */
  gboolean      ready;
  int           status;
} Log;

static void
print_line (const char *event_id,
            const char *member,
            const char *value)
{
  g_autoptr(GString) line = g_string_new ("{\"event_id\":");

  _matrix_json_append_string (line, event_id);
  g_string_append_printf (line, ",\"%s\":", member);
  _matrix_json_append_string (line, value != NULL ? value : "");
  g_print ("%s}\n", line->str);
  fflush (stdout);
}

/* {"NAME": "TOKEN"}: @token is the committed sync token, or NULL. */
static void
print_token (const char *name,
             const char *token)
{
  g_autoptr(GString) line = g_string_new (NULL);

  g_string_append_printf (line, "{\"%s\":", name);
  _matrix_json_append_string (line, token != NULL ? token : "");
  g_print ("%s}\n", line->str);
  fflush (stdout);
}

static void decrypt (Log *log, MatrixEvent *event);

typedef struct {
  Log         *log;
  MatrixEvent *event;
} Decryption;

static void
on_decrypted (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  Decryption *d = user_data;
  Log *log = d->log;
  g_autoptr(MatrixEvent) event = d->event;
  g_autoptr(MatrixEvent) plain = NULL;
  g_autoptr(GError) error = NULL;

  g_free (d);
  log->in_flight--;
  plain = _matrix_client_decrypt_event_finish (MATRIX_CLIENT (source), result, &error);
  if (plain != NULL)
    print_line (matrix_event_get_event_id (event), "body",
                matrix_event_get_content_string (plain, "body"));
  else if (!dump && g_error_matches (error, MATRIX_ERROR, MATRIX_ERROR_DECRYPTION_KEY_MISSING))
    g_ptr_array_add (log->waiting, g_object_ref (event));
  else
    print_line (matrix_event_get_event_id (event), "error", error->message);

  if (dump && log->in_flight == 0)
    g_main_loop_quit (log->loop);
}

static void
decrypt (Log         *log,
         MatrixEvent *event)
{
  Decryption *d;

  if (g_strcmp0 (matrix_event_get_event_type (event), "m.room.encrypted") != 0)
    return;
  d = g_new0 (Decryption, 1);
  d->log = log;
  d->event = g_object_ref (event);
  log->in_flight++;
  _matrix_client_decrypt_event_async (log->client, event, NULL, on_decrypted, d);
}

static void
on_room_keys_received (MatrixCrypto *crypto,
                       GStrv         room_ids,
                       Log          *log)
{
  g_autoptr(GPtrArray) waiting = g_steal_pointer (&log->waiting);

  /* The machine has saved this sync's room keys; its token is not
   * committed yet. The test kills here on purpose. */
  if (!dump)
    {
      print_token ("keys", matrix_store_get_sync_token (log->store));
      /* The signal comes before the sync's rooms and its commit: holding
       * the main thread here holds the commit, so that a kill aimed at this
       * moment lands between the two stores' writes. A test probe only. */
      if (pause_after_keys_ms > 0)
        g_usleep (pause_after_keys_ms * G_TIME_SPAN_MILLISECOND);
    }
  log->waiting = g_ptr_array_new_with_free_func (g_object_unref);
  for (guint i = 0; i < waiting->len; i++)
    decrypt (log, g_ptr_array_index (waiting, i));
}

static void
on_room_timeline_updates (MatrixClient *client,
                          const char   *room_id,
                          GPtrArray    *events,
                          gboolean      limited,
                          const char   *prev_batch,
                          Log          *log)
{
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
           Log          *log)
{
  /* "synced" comes after the commit: these are durable now. */
  for (guint i = 0; i < log->pending->len; i++)
    decrypt (log, g_ptr_array_index (log->pending, i));
  g_ptr_array_set_size (log->pending, 0);
  if (!log->ready)
    {
      g_autoptr(GString) line = g_string_new ("{\"ready\":true,\"device_id\":");

      log->ready = TRUE;
      _matrix_json_append_string (line, matrix_client_get_device_id (client));
      g_print ("%s}\n", line->str);
      fflush (stdout);
    }
}

static void
on_sync_failed (MatrixClient *client,
                guint         delay_s,
                Log          *log)
{
  const GError *error = matrix_client_get_sync_error (client);

  g_printerr ("Sync failed (%s); retrying in %u s\n", error != NULL ? error->message : "?",
              delay_s);
}

static void
load_known (Log *log)
{
  g_auto(GStrv) room_ids = matrix_store_get_room_ids (log->store);

  for (guint r = 0; room_ids[r] != NULL; r++)
    {
      g_autoptr(GPtrArray) timeline = matrix_store_get_timeline_events (log->store, room_ids[r]);

      for (guint i = 0; i < timeline->len; i++)
        {
          MatrixEvent *event = g_ptr_array_index (timeline, i);

          g_hash_table_add (log->known, g_strdup (matrix_event_get_event_id (event)));
          if (dump)
            decrypt (log, event);
        }
    }
}

static void
on_encryption_enabled (GObject      *source,
                       GAsyncResult *result,
                       gpointer      user_data)
{
  Log *log = user_data;
  g_autoptr(GError) error = NULL;

  if (!matrix_client_enable_encryption_finish (log->client, result, &error))
    {
      g_printerr ("Could not enable encryption: %s\n", error->message);
      log->status = 1;
      g_main_loop_quit (log->loop);
      return;
    }

  g_signal_connect (_matrix_client_get_crypto (log->client), "room-keys-received",
                    G_CALLBACK (on_room_keys_received), log);
  if (!dump)
    print_token ("start", matrix_store_get_sync_token (log->store));
  load_known (log);
  if (dump)
    {
      if (log->in_flight == 0)
        g_main_loop_quit (log->loop);
      return;
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
  matrix_client_start_sync (log->client);
}

static void
enable_encryption (Log *log)
{
  g_autofree char *crypto_dir = g_build_filename (dir, "crypto", NULL);

  matrix_client_enable_encryption_async (log->client, crypto_dir, NULL, NULL,
                                         on_encryption_enabled, log);
}

static void
on_logged_in (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  Log *log = user_data;
  g_autoptr(GError) error = NULL;

  if (!matrix_client_login_finish (MATRIX_CLIENT (source), result, &error))
    {
      g_printerr ("Could not log in: %s\n", error->message);
      log->status = 1;
      g_main_loop_quit (log->loop);
      return;
    }
  enable_encryption (log);
}

static void
on_store_opened (GObject      *source,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  Log *log = user_data;
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
  /* Every message of the flood through /v3/sync, as written for it: a
   * sliding window's short timelines would leave gaps. */
  matrix_client_set_sync_mode (log->client, MATRIX_SYNC_MODE_CLASSIC);
  if (matrix_client_is_logged_in (log->client))
    {
      enable_encryption (log);
      return;
    }
  if (dump || user == NULL || password == NULL)
    {
      g_printerr ("Not logged in: give --user and --password-file\n");
      log->status = 1;
      g_main_loop_quit (log->loop);
      return;
    }
  matrix_client_login_async (log->client, user, password, NULL, on_logged_in, log);
}

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
  Log *log = user_data;

  g_main_loop_quit (log->loop);
  return G_SOURCE_REMOVE;
}

int
main (int   argc,
      char *argv[])
{
  g_autoptr(GOptionContext) context = g_option_context_new ("— the encrypted kill test's child");
  g_autoptr(GError) error = NULL;
  g_autofree char *store_dir = NULL;
  Log log = { 0, };

  g_option_context_add_main_entries (context, entries, NULL);
  if (!g_option_context_parse (context, &argc, &argv, &error))
    {
      g_printerr ("%s\n", error->message);
      return 2;
    }
  if (dir == NULL)
    {
      g_printerr ("Give --dir\n");
      return 2;
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
  log.waiting = g_ptr_array_new_with_free_func (g_object_unref);
  g_unix_signal_add (SIGINT, on_terminate, &log);
  g_unix_signal_add (SIGTERM, on_terminate, &log);

  store_dir = g_build_filename (dir, "store", NULL);
  matrix_sqlite_store_new_async (store_dir, timeline_limit > 0 ? timeline_limit : 0, NULL,
                                 on_store_opened, &log);
  g_main_loop_run (log.loop);

  /* What never decrypted in this run, said once at a clean exit. */
  if (!dump)
    for (guint i = 0; i < log.waiting->len; i++)
      print_line (matrix_event_get_event_id (g_ptr_array_index (log.waiting, i)), "error",
                  "the room key never came");

  if (log.client != NULL)
    matrix_client_stop_sync (log.client);
  g_clear_object (&log.tracker);
  g_clear_object (&log.client);
  g_clear_object (&log.store);
  g_clear_pointer (&log.known, g_hash_table_unref);
  g_clear_pointer (&log.pending, g_ptr_array_unref);
  g_clear_pointer (&log.waiting, g_ptr_array_unref);
  g_main_loop_unref (log.loop);
  g_free (dir);
  g_free (homeserver);
  g_free (user);
  g_free (password_file);
  if (password != NULL)
    memset (password, 0, strlen (password));
  g_free (password);
  return log.status;
}
