/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "test-integration-faults"

/* The sync loop when the real server goes away during a long-poll: frozen
 * with SIGSTOP, or killed with SIGKILL and restarted with its data. The client
 * backs off 2, 4, 8, ... s (recorded, and waited for 1/100th as long; a
 * request that hung until its deadline counts its own wait), resumes once
 * the server is back, and every message sent meanwhile arrives exactly once.
 * A frozen server that wakes up is noticed within one request: the retries
 * ask for an answer at once rather than long-polling. */

#include <signal.h>

#include "integration-utils.h"
#include "matrix-client-private.h"

/* Real waits are the backoff delays divided by this. */
#define TIME_SPEEDUP        100
/* How long a /sync may hang before the client gives up on it, while the
 * server is frozen: long enough for a busy server's real answers. */
#define FROZEN_WATCHDOG_MS  1500
#define DEFAULT_WATCHDOG_MS 35000
#define DEFAULT_FIRST_BYTE_MS 10000

/* The client's retry waits: each delay is recorded; once @hold_after delays
 * were asked for, the retry is held until fault_clock_release(), so the test
 * decides when the client may try again. */
typedef struct {
  GArray  *delays_ms;
  guint    hold_after;
  GSource *held;
} FaultClock;

static gboolean
ready_time_dispatch (GSource     *source,
                     GSourceFunc  callback,
                     gpointer     user_data)
{
  return callback (user_data);
}

static GSourceFuncs ready_time_funcs = { NULL, NULL, ready_time_dispatch, NULL, NULL, NULL };

static GSource *
fault_clock_source (guint    delay_ms,
                    gpointer user_data)
{
  FaultClock *clock = user_data;
  GSource *source = g_source_new (&ready_time_funcs, sizeof (GSource));

  g_array_append_val (clock->delays_ms, delay_ms);
  if (clock->delays_ms->len >= clock->hold_after)
    {
      g_assert_null (clock->held);
      clock->held = g_source_ref (source);
      g_source_set_ready_time (source, -1);
    }
  else
    {
      g_source_set_ready_time (source, g_get_monotonic_time () + (gint64) delay_ms * 1000 / TIME_SPEEDUP);
    }

  return source;
}

static void
fault_clock_release (FaultClock *clock)
{
  g_assert_nonnull (clock->held);
  clock->hold_after = G_MAXUINT;
  g_source_set_ready_time (clock->held, 0);
  g_clear_pointer (&clock->held, g_source_unref);
}

typedef struct {
  TestClient *ours;
  Peer       *peer;
  char       *room_id;
  FaultClock  clock;
  GPtrArray  *sent;
} Fixture;

static void
fixture_set_up (Fixture       *fixture,
                gconstpointer  data)
{
  fixture->ours = test_client_new_logged_in ("survivor");
  fixture->peer = peer_new ("talker");
  fixture->room_id = peer_create_room (fixture->peer, "Fault room");
  peer_invite (fixture->peer, fixture->room_id, matrix_client_get_user_id (fixture->ours->client));
  test_client_join (fixture->ours, fixture->room_id);
  fixture->sent = g_ptr_array_new_with_free_func (g_free);

  fixture->clock.delays_ms = g_array_new (FALSE, FALSE, sizeof (guint));
  fixture->clock.hold_after = G_MAXUINT;
  _matrix_client_set_timeout_source_func (fixture->ours->client, fault_clock_source, &fixture->clock);
}

static void
fixture_tear_down (Fixture       *fixture,
                   gconstpointer  data)
{
  g_clear_pointer (&fixture->ours, test_client_free);
  g_clear_pointer (&fixture->peer, peer_free);
  g_free (fixture->room_id);
  g_ptr_array_unref (fixture->sent);
  g_clear_pointer (&fixture->clock.held, g_source_unref);
  g_array_unref (fixture->clock.delays_ms);
}

static void
send_and_remember (Fixture    *fixture,
                   const char *body)
{
  g_ptr_array_add (fixture->sent, peer_send_text (fixture->peer, fixture->room_id, body));
}

/* sync-failed came @n times, and the retries asked the clock for the
 * doubling backoff less what each failed request waited for its answer
 * (@waited_ms, or NULL when each failed at once). */
static void
assert_backoff (Fixture     *fixture,
                guint        n,
                const guint *waited_ms)
{
  GArray *delays = fixture->ours->failed_delays;

  g_assert_cmpuint (delays->len, ==, n);
  g_assert_cmpuint (fixture->clock.delays_ms->len, ==, n);
  for (guint i = 0; i < n; i++)
    {
      guint backoff = MIN (2u << i, 30u) * 1000;
      guint waited = waited_ms != NULL ? waited_ms[i] : 0;
      guint expected = backoff > waited ? backoff - waited : 0;

      g_assert_cmpuint (g_array_index (delays, guint, i), ==, (expected + 999) / 1000);
      g_assert_cmpuint (g_array_index (fixture->clock.delays_ms, guint, i), ==, expected);
    }
}

/* After the retry is released: sync-resumed once, after the failures, then
 * every message sent arrives exactly once, and nothing arrives twice. */
static void
assert_resumed_exactly_once (Fixture     *fixture,
                             guint        n_failures,
                             const guint *waited_ms)
{
  GPtrArray *signals = signal_recorder_get_signals (fixture->ours->recorder);
  GHashTableIter iter;
  gpointer event_id, count;
  guint resumed_at = G_MAXUINT, n_failed_seen = 0;

  fault_clock_release (&fixture->clock);
  for (guint i = 0; i < fixture->sent->len; i++)
    test_client_wait_for_event (fixture->ours, g_ptr_array_index (fixture->sent, i));

  /* A last message after the recovery proves no late duplicate is on its way. */
  send_and_remember (fixture, "after the recovery");
  test_client_wait_for_event (fixture->ours, g_ptr_array_index (fixture->sent, fixture->sent->len - 1));

  g_assert_cmpuint (fixture->ours->n_resumed, ==, 1);
  assert_backoff (fixture, n_failures, waited_ms);
  for (guint i = 0; i < signals->len; i++)
    {
      RecordedSignal *signal = g_ptr_array_index (signals, i);

      if (g_str_equal (signal->name, "sync-failed"))
        {
          g_assert_cmpuint (resumed_at, ==, G_MAXUINT);
          n_failed_seen++;
        }
      else if (g_str_equal (signal->name, "sync-resumed"))
        resumed_at = i;
    }
  g_assert_cmpuint (n_failed_seen, ==, n_failures);
  g_assert_cmpuint (resumed_at, <, signals->len);

  for (guint i = 0; i < fixture->sent->len; i++)
    g_assert_cmpuint (test_client_count_event (fixture->ours, g_ptr_array_index (fixture->sent, i)), ==, 1);
  g_hash_table_iter_init (&iter, fixture->ours->timeline_counts);
  while (g_hash_table_iter_next (&iter, &event_id, &count))
    if (GPOINTER_TO_UINT (count) != 1)
      g_error ("%s arrived %u times", (char *) event_id, GPOINTER_TO_UINT (count));
}

static void
test_server_frozen (Fixture       *fixture,
                    gconstpointer  data)
{
  GPid pid = synapse_get_pid ();
  const guint n_failures = 3;
  /* The long-poll the freeze catches, then the retries: each a little
   * longer than the one before. */
  const guint waited_ms[] = { FROZEN_WATCHDOG_MS, FROZEN_WATCHDOG_MS, 2 * FROZEN_WATCHDOG_MS };

  test_client_sync_once (fixture->ours);

  /* Cycle the long-poll, so that the one the freeze catches has a short
   * watchdog. */
  _matrix_client_set_sync_watchdog_ms (fixture->ours->client, FROZEN_WATCHDOG_MS);
  _matrix_client_set_first_byte_timeout_ms (fixture->ours->client, FROZEN_WATCHDOG_MS);
  send_and_remember (fixture, "before the freeze");
  test_client_wait_for_event (fixture->ours, g_ptr_array_index (fixture->sent, 0));

  fixture->clock.hold_after = n_failures;
  g_assert_cmpint (kill (pid, SIGSTOP), ==, 0);
  wait_for_count (&fixture->ours->failed_delays->len, n_failures, INTEGRATION_TIMEOUT_MS);
  assert_backoff (fixture, n_failures, waited_ms);
  g_assert_cmpint (matrix_client_get_sync_failure (fixture->ours->client), ==,
                   MATRIX_SYNC_FAILURE_CONNECTION);
  g_assert_cmpuint (fixture->ours->n_resumed, ==, 0);
  g_assert_error (matrix_client_get_sync_error (fixture->ours->client), G_IO_ERROR, G_IO_ERROR_TIMED_OUT);
  g_assert_true (matrix_client_is_syncing (fixture->ours->client));

  g_assert_cmpint (kill (pid, SIGCONT), ==, 0);
  for (guint i = 0; i < 3; i++)
    {
      g_autofree char *body = g_strdup_printf ("while frozen %u", i);

      send_and_remember (fixture, body);
    }

  /* The server answers again: a healthy long-poll may take its full 30 s. */
  _matrix_client_set_sync_watchdog_ms (fixture->ours->client, DEFAULT_WATCHDOG_MS);
  _matrix_client_set_first_byte_timeout_ms (fixture->ours->client, DEFAULT_FIRST_BYTE_MS);
  assert_resumed_exactly_once (fixture, n_failures, waited_ms);
  g_assert_null (matrix_client_get_sync_error (fixture->ours->client));
  g_assert_cmpint (matrix_client_get_sync_failure (fixture->ours->client), ==,
                   MATRIX_SYNC_FAILURE_NONE);
}

static gboolean
resumed (gpointer data)
{
  return ((TestClient *) data)->n_resumed > 0;
}

/* The banner's promise: when a frozen server answers again, the failing
 * state ends with the next answer, not after a long-poll's 30 s, even when
 * nothing happens in the rooms (no event would end a long-poll early). */
static void
test_server_thawed_resumes_at_once (Fixture       *fixture,
                                    gconstpointer  data)
{
  GPid pid = synapse_get_pid ();
  gint64 thawed;
  double seconds;

  test_client_sync_once (fixture->ours);

  /* Cycle the long-poll, so that the one the freeze catches has a short
   * watchdog. */
  _matrix_client_set_sync_watchdog_ms (fixture->ours->client, FROZEN_WATCHDOG_MS);
  send_and_remember (fixture, "before the freeze");
  test_client_wait_for_event (fixture->ours, g_ptr_array_index (fixture->sent, 0));

  g_assert_cmpint (kill (pid, SIGSTOP), ==, 0);
  wait_for_count (&fixture->ours->failed_delays->len, 1, INTEGRATION_TIMEOUT_MS);
  /* From now on, a healthy long-poll may take its full 30 s again. */
  _matrix_client_set_sync_watchdog_ms (fixture->ours->client, DEFAULT_WATCHDOG_MS);
  iterate_for (500);

  thawed = g_get_monotonic_time ();
  g_assert_cmpint (kill (pid, SIGCONT), ==, 0);
  g_assert_true (test_iterate_until (resumed, fixture->ours, INTEGRATION_TIMEOUT_MS + 30000));
  seconds = (g_get_monotonic_time () - thawed) / (double) G_USEC_PER_SEC;
  g_test_message ("sync-resumed %.2f s after the server woke up", seconds);

  g_assert_cmpfloat (seconds, <, 5.0);
  g_assert_cmpuint (fixture->ours->n_resumed, ==, 1);
}

static void
test_server_killed (Fixture       *fixture,
                    gconstpointer  data)
{
  GPid pid = synapse_get_pid ();
  const guint n_failures = 4;

  test_client_sync_once (fixture->ours);
  send_and_remember (fixture, "before the crash");
  test_client_wait_for_event (fixture->ours, g_ptr_array_index (fixture->sent, 0));

  fixture->clock.hold_after = n_failures;
  g_assert_cmpint (kill (pid, SIGKILL), ==, 0);
  wait_for_count (&fixture->ours->failed_delays->len, n_failures, INTEGRATION_TIMEOUT_MS);
  assert_backoff (fixture, n_failures, NULL);
  g_assert_cmpuint (fixture->ours->n_resumed, ==, 0);
  g_assert_cmpint (matrix_client_get_sync_failure (fixture->ours->client), ==,
                   MATRIX_SYNC_FAILURE_CONNECTION);

  /* Same port, same data; the peer's pooled connection died with the server. */
  synapse_restart (120000);
  g_assert_cmpint (synapse_get_pid (), !=, pid);
  peer_reset_connections (fixture->peer);
  for (guint i = 0; i < 3; i++)
    {
      g_autofree char *body = g_strdup_printf ("after the restart %u", i);

      send_and_remember (fixture, body);
    }

  assert_resumed_exactly_once (fixture, n_failures, NULL);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add ("/integration/faults/sync/server-frozen", Fixture, NULL,
              fixture_set_up, test_server_frozen, fixture_tear_down);
  g_test_add ("/integration/faults/sync/server-killed-and-restarted", Fixture, NULL,
              fixture_set_up, test_server_killed, fixture_tear_down);
  g_test_add ("/integration/faults/sync/server-thawed-resumes-within-one-request", Fixture, NULL,
              fixture_set_up, test_server_thawed_resumes_at_once, fixture_tear_down);

  return g_test_run ();
}
