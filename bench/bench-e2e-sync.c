/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "bench-e2e-sync"

/* Decrypting an initial sync, beside the same sync unencrypted.
 *
 *   bench-e2e-sync --make-device DIR     # a device's crypto store in DIR;
 *                                        # prints its keys upload body
 *   bench-e2e-sync [--store memory|sqlite] [--crypto-dir DIR] FILE
 *
 * The second form is bench-sync's path (MatrixClient's GET /sync to a local
 * server in a forked child, parse, signals, MatrixRoomStateTracker, store
 * commit) with, when --crypto-dir is given, the crypto machine of the device
 * DIR holds attached to the client: a copy of DIR, so each run starts from
 * the device as --make-device left it. The sync's to-device room keys then
 * go through the machine (Olm decryption, key import into its store) before
 * the rooms, and once ::synced every m.room.encrypted timeline event is
 * decrypted through the client (the machine's worker thread, Megolm). FILE
 * comes from bench/gen-e2e-sync.py (encrypted for that device) or
 * bench/gen-sync.py (plain).
 *
 * Prints one JSON object: "ms" from matrix_client_start_sync() to the last
 * event decrypted (to ::synced without crypto), "synced_ms", "cpu_ms", the
 * peak RSS of the process ("max_rss_kib": the server is another process),
 * "open_ms" (opening the machine, before the clock starts), and the counts. */

#include <errno.h>
#include <string.h>
#include <glib/gstdio.h>
#include <unistd.h>

#include "bench-common.h"
#include "bench-server.h"
#include "matrix.h"
#include "matrix-client-crypto-private.h"
#include "matrix-crypto-private.h"
#include "matrix-json-private.h"

#define USER_ID "@me:example.org"
#define DEVICE_ID "BENCHDEVICE"
#define PASSPHRASE "bench-e2e-sync passphrase"

typedef struct {
  GMainLoop    *loop;
  MatrixClient *client;
  MatrixStore  *store;
  MatrixCrypto *crypto;
  GError       *error;
  GPtrArray    *encrypted;  /* MatrixEvent* of the timelines */
  gint64        synced;
  gint64        end;
  guint         rooms;
  guint         timeline_events;
  guint         in_flight;
  guint         decrypted;
  guint         failed;
  gboolean      done;
} Bench;

static void
on_result (GObject      *source,
           GAsyncResult *result,
           gpointer      user_data)
{
  GAsyncResult **out = user_data;

  *out = g_object_ref (result);
}

static GAsyncResult *
wait_result (GAsyncResult **result)
{
  while (*result == NULL)
    g_main_context_iteration (NULL, TRUE);
  return *result;
}

static MatrixCrypto *
open_crypto (const char  *dir,
             GError     **error)
{
  g_autoptr(GAsyncResult) result = NULL;

  _matrix_crypto_open_async (USER_ID, DEVICE_ID, dir, PASSPHRASE, NULL, on_result, &result);
  return _matrix_crypto_open_finish (wait_result (&result), error);
}

static JsonObject *
keys_upload_request (MatrixCrypto  *crypto,
                     GError       **error)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(JsonArray) requests = NULL;

  _matrix_crypto_outgoing_requests_async (crypto, NULL, on_result, &result);
  requests = _matrix_crypto_outgoing_requests_finish (crypto, wait_result (&result), error);
  if (requests == NULL)
    return NULL;
  for (guint i = 0; i < json_array_get_length (requests); i++)
    {
      JsonObject *request = json_array_get_object_element (requests, i);

      if (request != NULL &&
          g_strcmp0 (json_object_get_string_member_with_default (request, "type", NULL),
                     "keys_upload") == 0 &&
          json_object_get_object_member (request, "body") != NULL)
        return json_object_ref (request);
    }
  g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_FAILED,
                       "The machine asked for no keys upload");
  return NULL;
}

/* --make-device: the device's store, and on stdout what its keys uploads
 * would have put on the server: identity keys, its 50 one-time keys, and
 * the fallback key the machine makes once the server says it has none (as
 * a sync's device_unused_fallback_key_types does). Senders beyond the
 * one-time keys make their Olm sessions on the fallback key, as they do on
 * a real server once the one-time keys run out. */
static int
make_device (const char *dir)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(MatrixCrypto) crypto = NULL;
  g_autoptr(GAsyncResult) sent = NULL;
  g_autoptr(GAsyncResult) received = NULL;
  g_autoptr(JsonObject) first = NULL;
  g_autoptr(JsonObject) second = NULL;
  g_autoptr(JsonObject) changes = NULL;
  g_autoptr(JsonObject) reply = NULL;
  g_autoptr(GString) out = g_string_new (NULL);
  JsonObject *body, *fallback, *key_counts;
  char counts[128];
  guint n_keys;

  crypto = open_crypto (dir, &error);
  if (crypto == NULL)
    {
      g_printerr ("Could not open the crypto store: %s\n", error->message);
      return 1;
    }
  first = keys_upload_request (crypto, &error);
  if (first == NULL)
    {
      g_printerr ("%s\n", error->message);
      return 1;
    }
  body = json_object_get_object_member (first, "body");
  n_keys = json_object_has_member (body, "one_time_keys") ?
           json_object_get_size (json_object_get_object_member (body, "one_time_keys")) : 0;
  g_snprintf (counts, sizeof counts, "{\"one_time_key_counts\":{\"signed_curve25519\":%u}}",
              n_keys);
  _matrix_crypto_mark_request_as_sent_async (crypto,
                                             json_object_get_string_member (first, "id"),
                                             "keys_upload", counts, NULL, on_result, &sent);
  if (!_matrix_crypto_mark_request_as_sent_finish (crypto, wait_result (&sent), &error))
    {
      g_printerr ("%s\n", error->message);
      return 1;
    }

  changes = json_object_new ();
  key_counts = json_object_new ();
  json_object_set_int_member (key_counts, "signed_curve25519", n_keys);
  json_object_set_object_member (changes, "one_time_key_counts", key_counts);
  json_object_set_array_member (changes, "to_device_events", json_array_new ());
  json_object_set_array_member (changes, "unused_fallback_key_types", json_array_new ());
  _matrix_crypto_receive_sync_changes_async (crypto, changes, NULL, on_result, &received);
  reply = _matrix_crypto_receive_sync_changes_finish (crypto, wait_result (&received), &error);
  if (reply == NULL)
    {
      g_printerr ("%s\n", error->message);
      return 1;
    }
  second = keys_upload_request (crypto, &error);
  fallback = second != NULL ?
             json_object_get_object_member (json_object_get_object_member (second, "body"),
                                            "fallback_keys") : NULL;
  if (fallback == NULL || json_object_get_size (fallback) == 0)
    {
      g_printerr ("The machine made no fallback key\n");
      return 1;
    }
  json_object_set_object_member (body, "fallback_keys", json_object_ref (fallback));
  _matrix_json_append_object (out, body);
  g_print ("%s\n", out->str);
  return 0;
}

/* --- copying the device's store -------------------------------------------- */

static gboolean
copy_tree (const char  *from,
           const char  *to,
           GError     **error)
{
  g_autoptr(GDir) dir = g_dir_open (from, 0, error);
  const char *name;

  if (dir == NULL)
    return FALSE;
  if (g_mkdir_with_parents (to, 0700) != 0)
    {
      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (errno), "Could not make %s", to);
      return FALSE;
    }
  while ((name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *src = g_build_filename (from, name, NULL);
      g_autofree char *dst = g_build_filename (to, name, NULL);

      if (g_file_test (src, G_FILE_TEST_IS_DIR))
        {
          if (!copy_tree (src, dst, error))
            return FALSE;
        }
      else
        {
          g_autoptr(GFile) s = g_file_new_for_path (src);
          g_autoptr(GFile) d = g_file_new_for_path (dst);

          if (!g_file_copy (s, d, G_FILE_COPY_OVERWRITE, NULL, NULL, NULL, error))
            return FALSE;
        }
    }
  return TRUE;
}

static guint64
remove_tree (const char *path)
{
  g_autoptr(GDir) dir = g_dir_open (path, 0, NULL);
  const char *name;
  guint64 bytes = 0;

  while (dir != NULL && (name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *child = g_build_filename (path, name, NULL);
      GStatBuf st;

      if (g_file_test (child, G_FILE_TEST_IS_DIR))
        bytes += remove_tree (child);
      else
        {
          if (g_stat (child, &st) == 0)
            bytes += st.st_size;
          g_unlink (child);
        }
    }
  g_rmdir (path);
  return bytes;
}

/* --- the client ----------------------------------------------------------- */

static void
finish (Bench *bench)
{
  bench->end = g_get_monotonic_time ();
  BENCH_CALLGRIND_DUMP ("decrypted");
  bench->done = TRUE;
  matrix_client_stop_sync (bench->client);
  g_main_loop_quit (bench->loop);
}

static void
on_decrypted (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  Bench *bench = user_data;
  g_autoptr(MatrixEvent) plain = NULL;
  g_autoptr(GError) error = NULL;

  plain = _matrix_client_decrypt_event_finish (MATRIX_CLIENT (source), result, &error);
  if (plain != NULL)
    bench->decrypted++;
  else
    {
      if (bench->failed++ == 0)
        g_printerr ("Could not decrypt: %s\n", error->message);
    }
  if (--bench->in_flight == 0)
    finish (bench);
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
  for (guint i = 0; i < events->len; i++)
    {
      MatrixEvent *event = g_ptr_array_index (events, i);

      if (g_strcmp0 (matrix_event_get_event_type (event), "m.room.encrypted") == 0)
        g_ptr_array_add (bench->encrypted, g_object_ref (event));
    }
}

static void
on_synced (MatrixClient *client,
           const char   *next_batch,
           Bench        *bench)
{
  bench->synced = g_get_monotonic_time ();
  if (bench->crypto == NULL || bench->encrypted->len == 0)
    {
      finish (bench);
      return;
    }
  /* What a window showing every timeline asks for. */
  bench->in_flight = bench->encrypted->len;
  for (guint i = 0; i < bench->encrypted->len; i++)
    _matrix_client_decrypt_event_async (client, g_ptr_array_index (bench->encrypted, i), NULL,
                                        on_decrypted, bench);
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

static void
on_sqlite_store_ready (GObject      *source,
                       GAsyncResult *result,
                       gpointer      user_data)
{
  Bench *bench = user_data;

  bench->store = matrix_sqlite_store_new_finish (result, &bench->error);
  g_main_loop_quit (bench->loop);
}

static int
run_client (const char *store_kind,
            const char *device_dir,
            int         port)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(MatrixRoomStateTracker) tracker = NULL;
  g_autofree char *url = g_strdup_printf ("http://127.0.0.1:%d", port);
  g_autofree char *directory = NULL;
  g_autofree char *crypto_dir = NULL;
  Bench bench = { 0, };
  double cpu_start, cpu_ms, open_ms = 0;
  glong max_rss_kib;
  guint64 store_bytes;
  gint64 start;

  bench.loop = g_main_loop_new (NULL, FALSE);
  bench.encrypted = g_ptr_array_new_with_free_func (g_object_unref);
  directory = g_dir_make_tmp ("bench-e2e-sync-XXXXXX", &error);
  if (directory == NULL)
    {
      g_printerr ("%s\n", error->message);
      return 1;
    }

  if (g_str_equal (store_kind, "sqlite"))
    {
      g_autofree char *store_dir = g_build_filename (directory, "store", NULL);

      matrix_sqlite_store_new_async (store_dir, MATRIX_SQLITE_STORE_DEFAULT_TIMELINE_LIMIT, NULL,
                                     on_sqlite_store_ready, &bench);
      g_main_loop_run (bench.loop);
      if (bench.store == NULL)
        {
          g_printerr ("%s\n", bench.error->message);
          return 1;
        }
    }
  else
    bench.store = matrix_memory_store_new ();
  matrix_store_set_value (bench.store, MATRIX_STORE_KEY_USER_ID, USER_ID);
  matrix_store_set_value (bench.store, MATRIX_STORE_KEY_DEVICE_ID, DEVICE_ID);
  matrix_store_set_value (bench.store, MATRIX_STORE_KEY_ACCESS_TOKEN, "bench-token");
  bench.client = matrix_client_new (url, bench.store);
  /* The /v3/sync body is what this measures. */
  matrix_client_set_sync_mode (bench.client, MATRIX_SYNC_MODE_CLASSIC);

  if (device_dir != NULL)
    {
      gint64 opened;

      crypto_dir = g_build_filename (directory, MATRIX_CRYPTO_STORE_DIR, NULL);
      if (!copy_tree (device_dir, crypto_dir, &error))
        {
          g_printerr ("Could not copy the device's store: %s\n", error->message);
          return 1;
        }
      opened = g_get_monotonic_time ();
      bench.crypto = open_crypto (crypto_dir, &error);
      if (bench.crypto == NULL)
        {
          g_printerr ("Could not open the crypto store: %s\n", error->message);
          return 1;
        }
      open_ms = (g_get_monotonic_time () - opened) / 1e3;
      _matrix_client_set_crypto (bench.client, bench.crypto);
    }

  tracker = matrix_room_state_tracker_new (bench.client);
  g_signal_connect (bench.client, "room-timeline-updates", G_CALLBACK (on_timeline), &bench);
  g_signal_connect (bench.client, "synced", G_CALLBACK (on_synced), &bench);
  g_signal_connect (bench.client, "sync-failed", G_CALLBACK (on_sync_failed), &bench);

  BENCH_CALLGRIND_ZERO ();
  cpu_start = bench_cpu_ms ();
  start = g_get_monotonic_time ();
  matrix_client_start_sync (bench.client);
  g_main_loop_run (bench.loop);

  if (!bench.done)
    {
      g_printerr ("sync failed: %s\n", bench.error != NULL ? bench.error->message : "?");
      return 1;
    }
  cpu_ms = bench_cpu_ms () - cpu_start;
  max_rss_kib = bench_max_rss_kib ();

  g_clear_object (&tracker);
  g_clear_object (&bench.client);
  g_clear_object (&bench.crypto);
  g_clear_object (&bench.store);
  g_clear_pointer (&bench.encrypted, g_ptr_array_unref);
  g_main_loop_unref (bench.loop);
  g_clear_error (&bench.error);
  store_bytes = remove_tree (directory);

  g_print ("{\"encrypted\": %s, \"store\": \"%s\", \"ms\": %.3f, \"synced_ms\": %.3f, "
           "\"cpu_ms\": %.3f, \"max_rss_kib\": %ld, \"open_ms\": %.3f, \"rooms\": %u, "
           "\"timeline_events\": %u, \"decrypted\": %u, \"failed\": %u, "
           "\"stores_kib\": %" G_GUINT64_FORMAT ", \"pid\": %d}\n",
           device_dir != NULL ? "true" : "false", store_kind, (bench.end - start) / 1e3,
           (bench.synced - start) / 1e3, cpu_ms, max_rss_kib, open_ms, bench.rooms,
           bench.timeline_events, bench.decrypted, bench.failed, store_bytes / 1024,
           (int) getpid ());
  return bench.failed == 0 ? 0 : 1;
}

int
main (int   argc,
      char *argv[])
{
  g_autofree char *store_kind = g_strdup ("sqlite");
  g_autofree char *device_dir = NULL;
  g_autofree char *make = NULL;
  g_autoptr(GOptionContext) context = g_option_context_new ("FILE");
  g_autoptr(GError) error = NULL;
  GOptionEntry entries[] = {
    { "store", 0, 0, G_OPTION_ARG_STRING, &store_kind, "memory or sqlite (default)", "KIND" },
    { "crypto-dir", 0, 0, G_OPTION_ARG_FILENAME, &device_dir,
      "The receiving device's crypto store (copied)", "DIR" },
    { "make-device", 0, 0, G_OPTION_ARG_FILENAME, &make,
      "Make the device's crypto store in DIR, print its keys upload body", "DIR" },
    { NULL }
  };
  int port, lifeline;
  pid_t child;
  int status;

  g_option_context_add_main_entries (context, entries, NULL);
  if (!g_option_context_parse (context, &argc, &argv, &error) ||
      (make == NULL && argc != 2) ||
      (!g_str_equal (store_kind, "memory") && !g_str_equal (store_kind, "sqlite")))
    {
      g_printerr ("usage: %s --make-device DIR | [--store memory|sqlite] [--crypto-dir DIR] "
                  "FILE\n", g_get_prgname ());
      return 2;
    }
  g_setenv ("GIO_USE_PROXY_RESOLVER", "dummy", TRUE);
  if (make != NULL)
    return make_device (make);

  /* Before any thread exists: the child then serves with a GLib of its own. */
  port = bench_server_fork (argv[1], &child, &lifeline);
  if (port == 0)
    {
      g_printerr ("The server did not start\n");
      return 1;
    }
  status = run_client (store_kind, device_dir, port);
  bench_server_stop (child, lifeline);
  return status;
}
