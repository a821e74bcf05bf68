/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "test-matrix-sliding-sync"

#include "matrix-client-private.h"
#include "matrix-json-private.h"
#include "test-utils.h"

#define VERSIONS "/_matrix/client/versions"
#define SSS "/_matrix/client/unstable/org.matrix.simplified_msc3575/sync"
#define V3 "/_matrix/client/v3/sync"

static const char sliding_versions[] =
  "{\"versions\":[\"v1.11\"],\"unstable_features\":{\"org.matrix.simplified_msc3575\":true}}";

typedef struct {
  FakeHomeserver *server;
  MatrixStore    *store;
  MatrixClient   *client;
  FakeClock      *clock;
  GString        *log;     /* the signals, "name:room" separated by spaces */
  guint           n_synced;
  guint           stop_after;
  guint           n_failed;
} Fixture;

static void
log_signal (Fixture    *f,
            const char *name,
            const char *room_id)
{
  g_string_append_printf (f->log, "%s%s%s%s", f->log->len > 0 ? " " : "", name,
                          room_id != NULL ? ":" : "", room_id != NULL ? room_id : "");
}

static void
on_state (MatrixClient *c, const char *room_id, GPtrArray *events, Fixture *f)
{
  log_signal (f, "state", room_id);
}

static void
on_timeline (MatrixClient *c, const char *room_id, GPtrArray *events, gboolean limited,
             const char *prev_batch, Fixture *f)
{
  g_autofree char *what = g_strdup_printf ("timeline%u%s", events->len, limited ? "L" : "");

  log_signal (f, what, room_id);
}

static void
on_summary (MatrixClient *c, const char *room_id, JsonObject *summary, JsonObject *unread, Fixture *f)
{
  gint64 joined = -1, notifications = -1;

  if (summary != NULL)
    _matrix_json_get_int (summary, NULL, "m.joined_member_count", FALSE, &joined, NULL);
  if (unread != NULL)
    _matrix_json_get_int (unread, NULL, "notification_count", FALSE, &notifications, NULL);
  {
    g_autofree char *what = g_strdup_printf ("summary(j%" G_GINT64_FORMAT ",n%" G_GINT64_FORMAT ")",
                                             joined, notifications);
    log_signal (f, what, room_id);
  }
}

static void
on_ephemeral (MatrixClient *c, const char *room_id, GPtrArray *events, Fixture *f)
{
  g_autofree char *what = g_strdup_printf ("ephemeral%u", events->len);

  log_signal (f, what, room_id);
}

static void
on_account_data (MatrixClient *c, const char *room_id, GPtrArray *events, Fixture *f)
{
  log_signal (f, "account-data", room_id);
}

static void
on_left (MatrixClient *c, const char *room_id, Fixture *f)
{
  log_signal (f, "left", room_id);
}

static void
on_invite (MatrixClient *c, const char *room_id, GPtrArray *state, Fixture *f)
{
  log_signal (f, "invite", room_id);
}

static void
on_synced (MatrixClient *c, const char *token, Fixture *f)
{
  log_signal (f, "synced", token);
  if (++f->n_synced >= f->stop_after)
    matrix_client_stop_sync (c);
}

static void
on_failed (MatrixClient *c, guint delay, Fixture *f)
{
  log_signal (f, "failed", NULL);
  f->n_failed++;
  matrix_client_stop_sync (c);
}

static void
fixture_setup (Fixture       *f,
               gconstpointer  data)
{
  f->server = fake_homeserver_new ();
  f->store = logged_in_store_new ();
  f->client = matrix_client_new (fake_homeserver_get_url (f->server), f->store);
  f->clock = fake_clock_new (f->client);
  /* Sliding sync is asked for: auto, from /versions. */
  matrix_client_set_sync_mode (f->client, MATRIX_SYNC_MODE_AUTO);
  f->log = g_string_new (NULL);
  f->stop_after = 1;
  g_signal_connect (f->client, "room-state-updates", G_CALLBACK (on_state), f);
  g_signal_connect (f->client, "room-timeline-updates", G_CALLBACK (on_timeline), f);
  g_signal_connect (f->client, "room-summary-updates", G_CALLBACK (on_summary), f);
  g_signal_connect (f->client, "room-ephemeral-updates", G_CALLBACK (on_ephemeral), f);
  g_signal_connect (f->client, "room-account-data-updates", G_CALLBACK (on_account_data), f);
  g_signal_connect (f->client, "left-room", G_CALLBACK (on_left), f);
  g_signal_connect (f->client, "room-invite", G_CALLBACK (on_invite), f);
  g_signal_connect (f->client, "synced", G_CALLBACK (on_synced), f);
  g_signal_connect (f->client, "sync-failed", G_CALLBACK (on_failed), f);
}

static void
fixture_teardown (Fixture       *f,
                  gconstpointer  data)
{
  matrix_client_stop_sync (f->client);
  g_signal_handlers_disconnect_by_data (f->client, f);
  unref_and_wait_finalized (f->client, 10000);
  g_assert_finalize_object (f->store);
  fake_clock_free (f->clock);
  g_assert_cmpuint (fake_homeserver_get_n_unmatched (f->server), ==, 0);
  g_assert_finalize_object (f->server);
  g_string_free (f->log, TRUE);
}

static void
run_until_stopped (Fixture *f)
{
  matrix_client_start_sync (f->client);
  while (matrix_client_is_syncing (f->client))
    g_main_context_iteration (NULL, TRUE);
  iterate_for (50);
}

static JsonObject *
request_body (FakeRequest *request)
{
  return _matrix_json_parse_object (g_bytes_get_data (request->body, NULL),
                                    g_bytes_get_size (request->body), NULL);
}

static void
test_detect_classic (Fixture       *f,
                     gconstpointer  data)
{
  fake_homeserver_queue_json (f->server, "GET", VERSIONS, 200,
                              "{\"versions\":[\"v1.11\"],\"unstable_features\":"
                              "{\"org.matrix.simplified_msc3575\":false}}", FALSE);
  fake_homeserver_queue_json (f->server, "GET", V3 "?timeout=30000", 200, "{\"next_batch\":\"t1\"}", FALSE);

  run_until_stopped (f);
  g_assert_cmpstr (f->log->str, ==, "synced:t1");
  g_assert_cmpuint (fake_homeserver_count_requests (f->server, "POST", SSS), ==, 0);
}

static const char first_window[] =
  "{\"pos\":\"p1\",\"lists\":{\"all\":{\"count\":1}},\"rooms\":{\"!a:example.org\":{"
  "  \"initial\":true,\"name\":\"A\",\"bump_stamp\":12,"
  "  \"required_state\":[{\"type\":\"m.room.name\",\"state_key\":\"\",\"sender\":\"@bob:example.org\","
  "    \"content\":{\"name\":\"A\"},\"event_id\":\"$n\",\"origin_server_ts\":1}],"
  "  \"timeline\":[{\"type\":\"m.room.message\",\"sender\":\"@bob:example.org\","
  "    \"content\":{\"body\":\"hi\",\"msgtype\":\"m.text\"},\"event_id\":\"$m\",\"origin_server_ts\":2},"
  "   {\"type\":\"m.room.message\",\"sender\":\"@bob:example.org\",\"event_id\":\"$bad\"}],"
  "  \"limited\":true,\"prev_batch\":\"pb1\",\"joined_count\":2,\"invited_count\":0,"
  "  \"heroes\":[{\"user_id\":\"@bob:example.org\",\"displayname\":\"Bob\"}],"
  "  \"notification_count\":3,\"highlight_count\":1}},"
  " \"extensions\":{\"to_device\":{\"next_batch\":\"td1\",\"events\":[]},"
  "  \"e2ee\":{\"device_lists\":{\"changed\":[\"@bob:example.org\"],\"left\":[]},"
  "           \"device_one_time_keys_count\":{\"signed_curve25519\":50}},"
  "  \"account_data\":{\"global\":[{\"type\":\"m.direct\",\"content\":{}}],"
  "    \"rooms\":{\"!a:example.org\":[{\"type\":\"m.tag\",\"content\":{\"tags\":{}}}]}},"
  "  \"receipts\":{\"rooms\":{\"!a:example.org\":{\"type\":\"m.receipt\",\"content\":{}}}},"
  "  \"typing\":{\"rooms\":{\"!a:example.org\":{\"type\":\"m.typing\",\"content\":{\"user_ids\":[]}}}}}}";

/* Offered: the room list through sliding sync, read into the same signals
 * as /v3/sync, the pos committed behind its prefix and sent back. */
static void
test_sliding_room_list (Fixture       *f,
                        gconstpointer  data)
{
  GPtrArray *requests;
  g_autoptr(JsonObject) body = NULL;
  g_autoptr(GError) error = NULL;
  JsonObject *lists, *extensions, *to_device;
  JsonArray *ranges;

  g_test_expect_message ("matrix-client", G_LOG_LEVEL_WARNING, "Left out an invalid event: rooms.!a:example.org.timeline[1]*");
  fake_homeserver_queue_json (f->server, "GET", VERSIONS, 200, sliding_versions, FALSE);
  fake_homeserver_queue_json (f->server, "POST", SSS "?timeout=0", 200, first_window, FALSE);
  fake_homeserver_queue_json (f->server, "POST", SSS "?pos=p1&timeout=30000", 200,
                              "{\"pos\":\"p2\",\"lists\":{\"all\":{\"count\":1}}}", FALSE);
  f->stop_after = 2;

  run_until_stopped (f);
  g_test_assert_expected_messages ();
  g_assert_cmpstr (f->log->str, ==,
                   "state:!a:example.org timeline1L:!a:example.org summary(j2,n3):!a:example.org "
                   "ephemeral2:!a:example.org account-data:!a:example.org synced:msc4186~p1 synced:msc4186~p2");
  g_assert_cmpstr (matrix_store_get_sync_token (f->store), ==, "msc4186~p2");
  g_assert_cmpstr (matrix_store_get_value (f->store, "sliding_sync_to_device_since"), ==, "td1");

  /* The second request: the window, the extensions, to_device's since. */
  requests = fake_homeserver_get_requests (f->server);
  g_assert_cmpuint (requests->len, ==, 3);
  body = request_body (g_ptr_array_index (requests, 2));
  g_assert_nonnull (body);
  g_assert_true (_matrix_json_get_object (body, NULL, "lists", TRUE, &lists, &error));
  ranges = json_object_get_array_member (json_object_get_object_member (lists, "all"), "ranges");
  g_assert_cmpint (json_array_get_int_element (json_array_get_array_element (ranges, 0), 0), ==, 0);
  g_assert_cmpint (json_array_get_int_element (json_array_get_array_element (ranges, 0), 1), ==, 19);
  g_assert_true (_matrix_json_get_object (body, NULL, "extensions", TRUE, &extensions, &error));
  to_device = json_object_get_object_member (extensions, "to_device");
  g_assert_cmpstr (json_object_get_string_member (to_device, "since"), ==, "td1");
  g_assert_true (json_object_has_member (extensions, "e2ee"));
  g_assert_true (json_object_has_member (extensions, "receipts"));
  g_assert_true (json_object_has_member (extensions, "typing"));
  g_assert_true (json_object_has_member (extensions, "account_data"));
  g_assert_false (json_object_has_member (body, "room_subscriptions"));
}

/* An automatic window grows until it holds every room, asking at once. */
static void
test_sliding_window_grows (Fixture       *f,
                           gconstpointer  data)
{
  g_autoptr(JsonObject) body = NULL;
  JsonArray *range;

  matrix_client_set_sync_mode (f->client, MATRIX_SYNC_MODE_SLIDING);
  matrix_client_set_open_room (f->client, "!open:example.org");
  fake_homeserver_queue_json (f->server, "POST", SSS "?timeout=0", 200,
                              "{\"pos\":\"p1\",\"lists\":{\"all\":{\"count\":250}}}", FALSE);
  fake_homeserver_queue_json (f->server, "POST", SSS "?pos=p1&timeout=0", 200,
                              "{\"pos\":\"p2\",\"lists\":{\"all\":{\"count\":250}}}", FALSE);
  f->stop_after = 2;

  run_until_stopped (f);
  g_assert_cmpuint (fake_homeserver_count_requests (f->server, "GET", VERSIONS), ==, 0);
  body = request_body (fake_homeserver_get_last_request (f->server));
  range = json_array_get_array_element (
    json_object_get_array_member (json_object_get_object_member (
      json_object_get_object_member (body, "lists"), "all"), "ranges"), 0);
  g_assert_cmpint (json_array_get_int_element (range, 1), ==, 99);
  g_assert_true (json_object_has_member (json_object_get_object_member (body, "room_subscriptions"),
                                         "!open:example.org"));
}

/* Invites and leaves, as /v3/sync's invite and leave sections give them. */
static void
test_sliding_invite_and_leave (Fixture       *f,
                               gconstpointer  data)
{
  matrix_client_set_sync_mode (f->client, MATRIX_SYNC_MODE_SLIDING);
  fake_homeserver_queue_json (f->server, "POST", SSS "?timeout=0", 200,
    "{\"pos\":\"p1\",\"rooms\":{"
    " \"!inv:example.org\":{\"invite_state\":[{\"type\":\"m.room.member\",\"state_key\":\"@alice:example.org\","
    "   \"sender\":\"@bob:example.org\",\"content\":{\"membership\":\"invite\"}}]},"
    " \"!gone:example.org\":{\"timeline\":[{\"type\":\"m.room.member\",\"state_key\":\"@alice:example.org\","
    "   \"sender\":\"@alice:example.org\",\"content\":{\"membership\":\"leave\"},\"event_id\":\"$l\","
    "   \"origin_server_ts\":5}]}}}", FALSE);

  run_until_stopped (f);
  g_assert_cmpstr (f->log->str, ==,
                   "timeline1:!gone:example.org left:!gone:example.org invite:!inv:example.org "
                   "synced:msc4186~p1");
}

/* Bad answers fail the sync (sync-failed), never crash. */
static void
test_sliding_malformed (Fixture       *f,
                        gconstpointer  data)
{
  const char *bodies[] = {
    "not json",
    "[]",
    "{}",
    "{\"pos\":5}",
    "{\"pos\":\"p\",\"rooms\":[]}",
    "{\"pos\":\"p\",\"rooms\":{\"!a:b\":[]}}",
    "{\"pos\":\"p\",\"rooms\":{\"!a:b\":{\"timeline\":{}}}}",
    "{\"pos\":\"p\",\"rooms\":{\"!a:b\":{\"limited\":\"yes\"}}}",
    "{\"pos\":\"p\",\"rooms\":{\"!a:b\":{\"joined_count\":-1}}}",
    "{\"pos\":\"p\",\"rooms\":{\"!a:b\":{\"heroes\":[5]}}}",
    "{\"pos\":\"p\",\"rooms\":{\"!a:b\":{\"prev_batch\":\"a b\"}}}",
    "{\"pos\":\"p\",\"lists\":{\"all\":{\"count\":\"many\"}}}",
    "{\"pos\":\"p\",\"extensions\":{\"to_device\":[]}}",
    "{\"pos\":\"p\",\"extensions\":{\"typing\":{\"rooms\":{\"!a:b\":[]}}}}",
    "{\"pos\":\"p\",\"extensions\":{\"account_data\":{\"rooms\":{\"!a:b\":{}}}}}",
    "{\"pos\":\"p q\"}",
  };

  for (guint i = 0; i < G_N_ELEMENTS (bodies); i++)
    {
      g_autoptr(MatrixStore) store = logged_in_store_new ();
      g_autoptr(MatrixClient) client = matrix_client_new (fake_homeserver_get_url (f->server), store);
      guint before = f->n_failed;

      g_test_message ("body %u: %s", i, bodies[i]);
      matrix_client_set_sync_mode (client, MATRIX_SYNC_MODE_SLIDING);
      g_signal_connect (client, "sync-failed", G_CALLBACK (on_failed), f);
      g_signal_connect (client, "synced", G_CALLBACK (on_synced), f);
      fake_homeserver_queue_full (f->server, "POST", SSS "?timeout=0", 200, "application/json",
                                  bodies[i], NULL, 0, FALSE);
      matrix_client_start_sync (client);
      while (matrix_client_is_syncing (client))
        g_main_context_iteration (NULL, TRUE);
      g_assert_cmpuint (f->n_failed, ==, before + 1);
      g_assert_null (matrix_store_get_sync_token (store));
      g_signal_handlers_disconnect_by_data (client, f);
      matrix_client_stop_sync (client);
      iterate_for (20);
    }
  g_assert_cmpuint (f->n_synced, ==, 0);
}

/* M_UNKNOWN_POS: a new connection, from no pos, without a failure; the
 * to-device position is kept. */
static void
test_sliding_unknown_pos (Fixture       *f,
                          gconstpointer  data)
{
  FakeRequest *last;
  g_autoptr(JsonObject) body = NULL;

  matrix_client_set_sync_mode (f->client, MATRIX_SYNC_MODE_SLIDING);
  fake_homeserver_queue_json (f->server, "POST", SSS "?timeout=0", 200,
    "{\"pos\":\"p1\",\"extensions\":{\"to_device\":{\"next_batch\":\"td1\"}}}", FALSE);
  fake_homeserver_queue_json (f->server, "POST", SSS "?pos=p1&timeout=30000", 400,
                              "{\"errcode\":\"M_UNKNOWN_POS\",\"error\":\"Unknown position\"}", FALSE);
  fake_homeserver_queue_json (f->server, "POST", SSS "?timeout=0", 200, "{\"pos\":\"q1\"}", FALSE);
  f->stop_after = 2;

  run_until_stopped (f);
  g_assert_cmpstr (f->log->str, ==, "synced:msc4186~p1 synced:msc4186~q1");
  g_assert_cmpuint (f->n_failed, ==, 0);
  last = fake_homeserver_get_last_request (f->server);
  g_assert_null (g_hash_table_lookup (last->query_params, "pos"));
  body = request_body (last);
  g_assert_cmpstr (json_object_get_string_member (json_object_get_object_member (
                     json_object_get_object_member (body, "extensions"), "to_device"), "since"), ==, "td1");
}

/* A pos is never sent to /v3/sync as a since. */
static void
test_pos_not_sent_as_since (Fixture       *f,
                            gconstpointer  data)
{
  matrix_client_set_sync_mode (f->client, MATRIX_SYNC_MODE_SLIDING);
  fake_homeserver_queue_json (f->server, "POST", SSS "?timeout=0", 200, "{\"pos\":\"p1\"}", FALSE);
  run_until_stopped (f);
  g_assert_cmpstr (matrix_store_get_sync_token (f->store), ==, "msc4186~p1");

  /* Back to classic on the same store: an initial /v3 sync. */
  f->n_synced = 0;
  matrix_client_set_sync_mode (f->client, MATRIX_SYNC_MODE_CLASSIC);
  fake_homeserver_queue_json (f->server, "GET", V3 "?timeout=30000", 200, "{\"next_batch\":\"t1\"}", FALSE);
  run_until_stopped (f);
  g_assert_cmpstr (matrix_store_get_sync_token (f->store), ==, "t1");
}

/* The server's counts under sliding sync are Synapse's 0: a room without
 * encryption counts too, by the user's push rules (here the spec's
 * defaults: no m.push_rules has come). */
static void
test_sliding_counts_are_the_clients (Fixture       *f,
                                     gconstpointer  data)
{
  g_autoptr(MatrixRoomStateTracker) tracker = matrix_room_state_tracker_new (f->client);
  MatrixRoom *room;

  fake_homeserver_queue_json (f->server, "GET", VERSIONS, 200, sliding_versions, FALSE);
  fake_homeserver_queue_json (f->server, "POST", SSS "?timeout=0", 200,
    "{\"pos\":\"p1\",\"lists\":{\"all\":{\"count\":1}},\"rooms\":{\"!a:example.org\":{"
    "  \"initial\":true,\"name\":\"A\",\"joined_count\":3,\"invited_count\":0,"
    "  \"timeline\":[{\"type\":\"m.room.message\",\"sender\":\"@bob:example.org\","
    "    \"content\":{\"body\":\"hi\",\"msgtype\":\"m.text\"},\"event_id\":\"$1\",\"origin_server_ts\":1},"
    "   {\"type\":\"m.room.message\",\"sender\":\"@bob:example.org\","
    "    \"content\":{\"body\":\"beep\",\"msgtype\":\"m.notice\"},\"event_id\":\"$2\",\"origin_server_ts\":2},"
    "   {\"type\":\"m.room.message\",\"sender\":\"@bob:example.org\","
    "    \"content\":{\"body\":\"you\",\"msgtype\":\"m.text\","
    "     \"m.mentions\":{\"user_ids\":[\"@alice:example.org\"]}},\"event_id\":\"$3\",\"origin_server_ts\":3}],"
    "  \"limited\":false,\"notification_count\":0,\"highlight_count\":0}}}", FALSE);

  run_until_stopped (f);
  room = matrix_room_state_tracker_get_room (tracker, "!a:example.org");
  g_assert_nonnull (room);
  g_assert_false (matrix_room_get_encrypted (room));
  g_assert_cmpuint (matrix_room_get_notification_count (room), ==, 2);
  g_assert_cmpuint (matrix_room_get_highlight_count (room), ==, 1);
}

int
main (int   argc,
      char *argv[])
{
  g_setenv ("GIO_USE_PROXY_RESOLVER", "dummy", TRUE);
  g_test_init (&argc, &argv, NULL);
  g_test_add ("/matrix/sliding-sync/detect/classic-when-not-offered", Fixture, NULL, fixture_setup,
              test_detect_classic, fixture_teardown);
  g_test_add ("/matrix/sliding-sync/room-list-as-v3-signals", Fixture, NULL, fixture_setup,
              test_sliding_room_list, fixture_teardown);
  g_test_add ("/matrix/sliding-sync/window-grows-and-open-room-subscribed", Fixture, NULL, fixture_setup,
              test_sliding_window_grows, fixture_teardown);
  g_test_add ("/matrix/sliding-sync/invite-and-leave", Fixture, NULL, fixture_setup,
              test_sliding_invite_and_leave, fixture_teardown);
  g_test_add ("/matrix/sliding-sync/malformed-fails", Fixture, NULL, fixture_setup,
              test_sliding_malformed, fixture_teardown);
  g_test_add ("/matrix/sliding-sync/unknown-pos-restarts", Fixture, NULL, fixture_setup,
              test_sliding_unknown_pos, fixture_teardown);
  g_test_add ("/matrix/sliding-sync/plain-room-counts-are-the-clients", Fixture, NULL, fixture_setup,
              test_sliding_counts_are_the_clients, fixture_teardown);
  g_test_add ("/matrix/sliding-sync/pos-not-sent-as-since", Fixture, NULL, fixture_setup,
              test_pos_not_sent_as_since, fixture_teardown);
  return g_test_run ();
}
