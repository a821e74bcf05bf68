/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "bench-relations"

/* Applying relations to a timeline (issue 16): a room of --events messages
 * (default 5,000) arrives in one sync, then --relations relations to them
 * (default 10,000) in the next: 60% reactions (8 keys, 50 senders, some
 * repeated), 20% edits by each message's sender, 10% replies and 10% thread
 * replies, to random messages (seeded). Both syncs go through
 * MatrixClient's sync path (_matrix_client_dispatch_sync_body: validation,
 * signals, the tracker, the room's MatrixTimeline) on a memory store.
 * Prints the second sync's time and CPU, the timeline's rows and
 * items-changed emissions it caused, and the peak RSS.
 *
 *   bench-relations [--events N] [--relations N] [--seed N]
 */

#include <string.h>

#include "bench-common.h"
#include "matrix-client-private.h"
#include "matrix.h"

#define ROOM "!bench:example.org"

static int n_events = 5000;
static int n_relations = 10000;
static int seed = 1;

static const GOptionEntry entries[] = {
  { "events", 0, 0, G_OPTION_ARG_INT, &n_events, "Messages in the room", "N" },
  { "relations", 0, 0, G_OPTION_ARG_INT, &n_relations, "Relations in the second sync", "N" },
  { "seed", 0, 0, G_OPTION_ARG_INT, &seed, "Random seed", "N" },
  { NULL },
};

static void
append_event (GString    *s,
              const char *type,
              const char *sender,
              const char *id,
              gint64      ts,
              const char *content)
{
  g_string_append_printf (s, "%s{\"type\":\"%s\",\"sender\":\"%s\",\"event_id\":\"%s\","
                             "\"origin_server_ts\":%" G_GINT64_FORMAT ",\"content\":%s}",
                          s->str[s->len - 1] == '[' ? "" : ",", type, sender, id, ts, content);
}

static char *
sync_body (const char *next_batch,
           GString    *events)
{
  return g_strdup_printf ("{\"next_batch\":\"%s\",\"rooms\":{\"join\":{\"" ROOM "\":"
                          "{\"timeline\":{\"limited\":false,\"events\":%s]}}}}}",
                          next_batch, events->str);
}

static void
on_items_changed (GListModel *model,
                  guint       position,
                  guint       removed,
                  guint       added,
                  guint      *count)
{
  (*count)++;
}

int
main (int   argc,
      char *argv[])
{
  g_autoptr(GOptionContext) context = g_option_context_new ("");
  g_autoptr(GError) error = NULL;
  g_autoptr(MatrixStore) store = matrix_memory_store_new ();
  g_autoptr(MatrixClient) client = NULL;
  g_autoptr(MatrixRoomStateTracker) tracker = NULL;
  g_autoptr(GString) first = g_string_new ("[");
  g_autoptr(GString) second = g_string_new ("[");
  g_autofree char *body1 = NULL;
  g_autofree char *body2 = NULL;
  g_autoptr(GBytes) bytes1 = NULL;
  g_autoptr(GBytes) bytes2 = NULL;
  static const char *keys[] = { "👍", "❤️", "😂", "🎉", "👀", "🚀", "🙏", "✅" };
  GRand *rand;
  MatrixTimeline *timeline;
  guint changes = 0;
  gint64 start;
  double cpu_start, wall_ms, cpu_ms;
  guint counts[4] = { 0 };

  g_option_context_add_main_entries (context, entries, NULL);
  if (!g_option_context_parse (context, &argc, &argv, &error))
    {
      g_printerr ("%s\n", error->message);
      return 2;
    }
  rand = g_rand_new_with_seed (seed);

  append_event (first, "m.room.create", "@u0:example.org", "$create", 1000,
                "{\"creator\":\"@u0:example.org\"}");
  for (int i = 0; i < n_events; i++)
    {
      g_autofree char *id = g_strdup_printf ("$m%d", i);
      g_autofree char *sender = g_strdup_printf ("@u%d:example.org", i % 50);
      g_autofree char *content = g_strdup_printf ("{\"msgtype\":\"m.text\",\"body\":\"message %d\"}", i);

      append_event (first, "m.room.message", sender, id, 2000 + i, content);
    }

  for (int r = 0; r < n_relations; r++)
    {
      int target = g_rand_int_range (rand, 0, n_events);
      double kind = g_rand_double (rand);
      g_autofree char *id = g_strdup_printf ("$r%d", r);
      g_autofree char *content = NULL;
      g_autofree char *sender = NULL;
      const char *type = "m.room.message";

      if (kind < 0.6)
        {
          sender = g_strdup_printf ("@u%d:example.org", g_rand_int_range (rand, 0, 50));
          type = "m.reaction";
          content = g_strdup_printf ("{\"m.relates_to\":{\"rel_type\":\"m.annotation\","
                                     "\"event_id\":\"$m%d\",\"key\":\"%s\"}}",
                                     target, keys[g_rand_int_range (rand, 0, G_N_ELEMENTS (keys))]);
          counts[0]++;
        }
      else if (kind < 0.8)
        {
          sender = g_strdup_printf ("@u%d:example.org", target % 50);
          content = g_strdup_printf ("{\"msgtype\":\"m.text\",\"body\":\"* edit %d\","
                                     "\"m.new_content\":{\"msgtype\":\"m.text\",\"body\":\"edit %d\"},"
                                     "\"m.relates_to\":{\"rel_type\":\"m.replace\",\"event_id\":\"$m%d\"}}",
                                     r, r, target);
          counts[1]++;
        }
      else if (kind < 0.9)
        {
          sender = g_strdup_printf ("@u%d:example.org", g_rand_int_range (rand, 0, 50));
          content = g_strdup_printf ("{\"msgtype\":\"m.text\",\"body\":\"reply %d\","
                                     "\"m.relates_to\":{\"m.in_reply_to\":{\"event_id\":\"$m%d\"}}}",
                                     r, target);
          counts[2]++;
        }
      else
        {
          sender = g_strdup_printf ("@u%d:example.org", g_rand_int_range (rand, 0, 50));
          content = g_strdup_printf ("{\"msgtype\":\"m.text\",\"body\":\"thread %d\","
                                     "\"m.relates_to\":{\"rel_type\":\"m.thread\",\"event_id\":\"$m%d\","
                                     "\"is_falling_back\":true,\"m.in_reply_to\":{\"event_id\":\"$m%d\"}}}",
                                     r, target, target);
          counts[3]++;
        }
      append_event (second, type, sender, id, 2000 + n_events + r, content);
    }
  g_rand_free (rand);

  body1 = sync_body ("s1", first);
  body2 = sync_body ("s2", second);
  bytes1 = g_bytes_new_static (body1, strlen (body1));
  bytes2 = g_bytes_new_static (body2, strlen (body2));

  matrix_store_set_value (store, MATRIX_STORE_KEY_USER_ID, "@me:example.org");
  matrix_store_set_value (store, MATRIX_STORE_KEY_DEVICE_ID, "BENCH");
  matrix_store_set_value (store, MATRIX_STORE_KEY_ACCESS_TOKEN, "bench-token");
  client = matrix_client_new ("http://127.0.0.1:1", store);
  tracker = matrix_room_state_tracker_new (client);

  if (!_matrix_client_dispatch_sync_body (client, bytes1, &error))
    {
      g_printerr ("first sync: %s\n", error->message);
      return 1;
    }
  timeline = matrix_room_get_timeline (matrix_room_state_tracker_get_room (tracker, ROOM));
  g_signal_connect (timeline, "items-changed", G_CALLBACK (on_items_changed), &changes);

  BENCH_CALLGRIND_ZERO ();
  cpu_start = bench_cpu_ms ();
  start = g_get_monotonic_time ();
  if (!_matrix_client_dispatch_sync_body (client, bytes2, &error))
    {
      g_printerr ("second sync: %s\n", error->message);
      return 1;
    }
  wall_ms = (g_get_monotonic_time () - start) / 1e3;
  cpu_ms = bench_cpu_ms () - cpu_start;
  BENCH_CALLGRIND_DUMP ("relations");

  g_print ("{\"events\": %d, \"relations\": %d, \"reactions\": %u, \"edits\": %u, "
           "\"replies\": %u, \"thread_replies\": %u, \"sync_bytes\": %zu, "
           "\"apply_ms\": %.1f, \"apply_cpu_ms\": %.1f, \"timeline_rows\": %u, "
           "\"items_changed\": %u, \"max_rss_kib\": %ld}\n",
           n_events, n_relations, counts[0], counts[1], counts[2], counts[3], strlen (body2),
           wall_ms, cpu_ms, g_list_model_get_n_items (G_LIST_MODEL (timeline)), changes,
           bench_max_rss_kib ());
  return 0;
}
