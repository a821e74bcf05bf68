/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "bench-latency"

/* Message latency through a real homeserver: a peer sends a message, and we
 * time until the receiving MatrixClient emits ::room-timeline-updates with
 * it. One message at a time, the next sent once the last has arrived.
 *
 *   bench-latency --homeserver URL --room ROOM_ID --count N
 *                 --receiver USER_ID:TOKEN --sender USER_ID:TOKEN
 *
 * Both users must already be in the room (tools/bench sets that up).
 */

#include "bench-common.h"
#include "matrix.h"

typedef struct {
  GMainLoop    *loop;
  MatrixClient *receiver;
  MatrixClient *sender;
  char         *room_id;
  char         *sender_id;
  guint         count;
  guint         next;           /* index of the message in flight */
  gint64        sent_at;
  GArray       *latencies_ms;   /* double */
  GArray       *send_ms;        /* double: until PUT /send answered */
  gboolean      initial_synced;
  GError       *error;
  GSource      *deadline;
} Bench;

static void send_next (Bench *bench);

static void
fail (Bench      *bench,
      GError     *error)
{
  if (bench->error == NULL)
    bench->error = error;
  else
    g_error_free (error);
  g_main_loop_quit (bench->loop);
}

static void
on_sent (GObject      *source,
         GAsyncResult *result,
         gpointer      user_data)
{
  Bench *bench = user_data;
  g_autofree char *event_id = NULL;
  GError *error = NULL;
  double ms = (g_get_monotonic_time () - bench->sent_at) / 1e3;

  event_id = matrix_client_send_event_finish (MATRIX_CLIENT (source), result, &error);
  if (event_id == NULL)
    {
      fail (bench, error);
      return;
    }
  g_array_append_val (bench->send_ms, ms);
}

static gboolean
on_deadline (gpointer user_data)
{
  Bench *bench = user_data;

  bench->deadline = NULL;
  fail (bench, g_error_new (G_IO_ERROR, G_IO_ERROR_TIMED_OUT,
                            "message %u did not arrive within 60 s", bench->next));
  return G_SOURCE_REMOVE;
}

static void
send_next (Bench *bench)
{
  g_autoptr(JsonObject) content = json_object_new ();
  g_autofree char *body = g_strdup_printf ("bench-latency %u", bench->next);

  json_object_set_string_member (content, "msgtype", "m.text");
  json_object_set_string_member (content, "body", body);

  if (bench->deadline != NULL)
    g_source_destroy (bench->deadline);
  bench->deadline = g_timeout_source_new_seconds (60);
  g_source_set_callback (bench->deadline, on_deadline, bench, NULL);
  g_source_attach (bench->deadline, NULL);
  g_source_unref (bench->deadline);

  bench->sent_at = g_get_monotonic_time ();
  matrix_client_send_event_async (bench->sender, bench->room_id, "m.room.message", content, NULL,
                                  NULL, on_sent, bench);
}

static void
on_timeline (MatrixClient *client,
             const char   *room_id,
             GPtrArray    *events,
             gboolean      limited,
             const char   *prev_batch,
             Bench        *bench)
{
  g_autofree char *expected = NULL;

  if (!bench->initial_synced || !g_str_equal (room_id, bench->room_id) ||
      bench->next >= bench->count)
    return;

  expected = g_strdup_printf ("bench-latency %u", bench->next);
  for (guint i = 0; i < events->len; i++)
    {
      MatrixEvent *event = g_ptr_array_index (events, i);
      double ms;

      if (!g_str_equal (matrix_event_get_sender (event), bench->sender_id) ||
          g_strcmp0 (matrix_event_get_content_string (event, "body"), expected) != 0)
        continue;

      ms = (g_get_monotonic_time () - bench->sent_at) / 1e3;
      g_array_append_val (bench->latencies_ms, ms);
      bench->next++;
      if (bench->next == bench->count)
        g_main_loop_quit (bench->loop);
      else
        send_next (bench);
      return;
    }
}

static void
on_synced (MatrixClient *client,
           const char   *next_batch,
           Bench        *bench)
{
  if (bench->initial_synced)
    return;

  bench->initial_synced = TRUE;
  send_next (bench);
}

static void
on_sync_failed (MatrixClient *client,
                guint         delay_s,
                Bench        *bench)
{
  fail (bench, g_error_copy (matrix_client_get_sync_error (client)));
}

static MatrixClient *
client_for (const char  *homeserver,
            const char  *credentials,
            char       **user_id)
{
  g_autoptr(MatrixStore) store = matrix_memory_store_new ();
  const char *colon = strrchr (credentials, ':');
  MatrixClient *client;

  /* USER_ID:TOKEN, and user ids have a colon of their own. */
  g_assert (colon != NULL);
  *user_id = g_strndup (credentials, colon - credentials);
  matrix_store_set_value (store, MATRIX_STORE_KEY_USER_ID, *user_id);
  matrix_store_set_value (store, MATRIX_STORE_KEY_ACCESS_TOKEN, colon + 1);

  client = matrix_client_new (homeserver, store);
  /* Measured on /v3/sync, as the app syncs. */
  matrix_client_set_sync_mode (client, MATRIX_SYNC_MODE_CLASSIC);
  return client;
}

static int
compare_doubles (gconstpointer a,
                 gconstpointer b)
{
  double x = *(const double *) a, y = *(const double *) b;

  return x < y ? -1 : x > y;
}

/* The nearest-rank percentile of sorted samples. */
static double
percentile (GArray *sorted,
            double  p)
{
  guint rank = (guint) MAX (1, (int) (p / 100 * sorted->len + 0.999999));

  return g_array_index (sorted, double, MIN (rank, sorted->len) - 1);
}

int
main (int   argc,
      char *argv[])
{
  g_autofree char *homeserver = NULL, *receiver = NULL, *sender = NULL, *room = NULL;
  g_autofree char *receiver_id = NULL;
  g_autoptr(GOptionContext) context = g_option_context_new (NULL);
  g_autoptr(GError) error = NULL;
  int count = 200;
  GOptionEntry entries[] = {
    { "homeserver", 0, 0, G_OPTION_ARG_STRING, &homeserver, "homeserver URL", "URL" },
    { "room", 0, 0, G_OPTION_ARG_STRING, &room, "room id", "ROOM_ID" },
    { "count", 0, 0, G_OPTION_ARG_INT, &count, "messages (200)", "N" },
    { "receiver", 0, 0, G_OPTION_ARG_STRING, &receiver, "receiving user", "USER_ID:TOKEN" },
    { "sender", 0, 0, G_OPTION_ARG_STRING, &sender, "sending user", "USER_ID:TOKEN" },
    { NULL }
  };
  Bench bench = { 0, };
  double sum = 0;

  g_option_context_add_main_entries (context, entries, NULL);
  if (!g_option_context_parse (context, &argc, &argv, &error) || homeserver == NULL ||
      room == NULL || receiver == NULL || sender == NULL || count < 1)
    {
      g_printerr ("usage: %s --homeserver URL --room ROOM_ID --receiver USER_ID:TOKEN "
                  "--sender USER_ID:TOKEN [--count N]\n", g_get_prgname ());
      return 2;
    }

  bench.loop = g_main_loop_new (NULL, FALSE);
  bench.room_id = room;
  bench.count = count;
  bench.latencies_ms = g_array_new (FALSE, FALSE, sizeof (double));
  bench.send_ms = g_array_new (FALSE, FALSE, sizeof (double));
  bench.receiver = client_for (homeserver, receiver, &receiver_id);
  bench.sender = client_for (homeserver, sender, &bench.sender_id);

  g_signal_connect (bench.receiver, "room-timeline-updates", G_CALLBACK (on_timeline), &bench);
  g_signal_connect (bench.receiver, "synced", G_CALLBACK (on_synced), &bench);
  g_signal_connect (bench.receiver, "sync-failed", G_CALLBACK (on_sync_failed), &bench);
  matrix_client_start_sync (bench.receiver);
  g_main_loop_run (bench.loop);
  matrix_client_stop_sync (bench.receiver);

  if (bench.error != NULL)
    {
      g_printerr ("bench-latency: %s\n", bench.error->message);
      return 1;
    }

  g_array_sort (bench.latencies_ms, compare_doubles);
  g_array_sort (bench.send_ms, compare_doubles);
  for (guint i = 0; i < bench.latencies_ms->len; i++)
    sum += g_array_index (bench.latencies_ms, double, i);

  g_print ("{\"count\": %u, \"median_ms\": %.3f, \"p99_ms\": %.3f, \"mean_ms\": %.3f, "
           "\"min_ms\": %.3f, \"max_ms\": %.3f, \"send_median_ms\": %.3f}\n",
           bench.latencies_ms->len, percentile (bench.latencies_ms, 50),
           percentile (bench.latencies_ms, 99), sum / bench.latencies_ms->len,
           g_array_index (bench.latencies_ms, double, 0),
           g_array_index (bench.latencies_ms, double, bench.latencies_ms->len - 1),
           bench.send_ms->len > 0 ? percentile (bench.send_ms, 50) : -1.0);

  g_clear_object (&bench.receiver);
  g_clear_object (&bench.sender);
  g_array_unref (bench.latencies_ms);
  g_array_unref (bench.send_ms);
  g_free (bench.sender_id);
  g_main_loop_unref (bench.loop);

  return 0;
}
