/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "test-integration-latency"

/* How long a peer's message takes from its PUT /send returning to our
 * ::room-timeline-updates, over 100 messages. The figures go to the TAP log;
 * wall time is not asserted, since CI machines vary. What is asserted is that
 * the long-poll wakes on the event rather than polling: about one /sync per
 * message, not a stream of empty ones. */

#include "integration-utils.h"

#define N_MESSAGES 100
#define N_WARM_UP  5

static int
compare_gint64 (gconstpointer a,
                gconstpointer b)
{
  gint64 x = *(const gint64 *) a, y = *(const gint64 *) b;

  return (x > y) - (x < y);
}

static void
test_latency_peer_message (void)
{
  g_autoptr(TestClient) ours = test_client_new_logged_in ("listener");
  g_autoptr(Peer) peer = peer_new ("speaker");
  g_autofree char *room_id = peer_create_room (peer, "Latency room");
  gint64 latencies[N_MESSAGES];
  guint n_synced_before = 0, n_syncs, early = 0;
  gint64 total = 0;

  peer_invite (peer, room_id, matrix_client_get_user_id (ours->client));
  test_client_join (ours, room_id);
  test_client_sync_once (ours);

  for (guint i = 0; i < N_WARM_UP + N_MESSAGES; i++)
    {
      g_autofree char *body = g_strdup_printf ("message %u", i);
      g_autofree char *event_id = NULL;
      gint64 sent, *arrived;

      if (i == N_WARM_UP)
        n_synced_before = ours->n_synced;

      /* The peer's call blocks without iterating our main context, so our
       * client sees the event only after the PUT returned. */
      event_id = peer_send_text (peer, room_id, body);
      sent = g_get_monotonic_time ();
      test_client_wait_for_event (ours, event_id);

      arrived = g_hash_table_lookup (ours->arrival_times, event_id);
      g_assert_nonnull (arrived);
      if (i < N_WARM_UP)
        continue;
      if (*arrived < sent)
        early++;
      latencies[i - N_WARM_UP] = MAX (*arrived - sent, 0);
      total += latencies[i - N_WARM_UP];
    }
  n_syncs = ours->n_synced - n_synced_before;

  qsort (latencies, N_MESSAGES, sizeof (gint64), compare_gint64);
  g_test_message ("latency over %u messages (PUT /send returned -> room-timeline-updates): "
                  "median %.2f ms, p99 %.2f ms, mean %.2f ms, max %.2f ms; %u syncs",
                  N_MESSAGES,
                  (latencies[N_MESSAGES / 2 - 1] + latencies[N_MESSAGES / 2]) / 2000.0,
                  latencies[(N_MESSAGES * 99 + 99) / 100 - 1] / 1000.0,
                  total / (1000.0 * N_MESSAGES),
                  latencies[N_MESSAGES - 1] / 1000.0,
                  n_syncs);
  g_assert_cmpuint (early, ==, 0);

  /* One sync per message, give or take an extra wake-up (receipts, presence):
   * a client that polled instead of long-polling would make far more. */
  g_assert_cmpuint (n_syncs, >=, N_MESSAGES / 2);
  g_assert_cmpuint (n_syncs, <=, N_MESSAGES * 2);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/integration/latency/peer-message-to-timeline", test_latency_peer_message);

  return g_test_run ();
}
