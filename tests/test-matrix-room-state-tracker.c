/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "test-matrix-room-state-tracker"

#include "test-utils.h"

#define SYNC "/_matrix/client/v3/sync"

static const char state_sync[] =
  "{\"rooms\": {\"join\": {\"!roomid\": {"
  "  \"state\": {\"events\": ["
  "    {\"type\": \"m.room.name\", \"state_key\": \"\", \"sender\": \"@alice:example.org\","
  "     \"content\": {\"name\": \"Room name\"}, \"event_id\": \"$event1\","
  "     \"origin_server_ts\": 1234567890123, \"unsigned\": {\"age\": 4321}},"
  "    {\"type\": \"m.room.topic\", \"state_key\": \"\", \"sender\": \"@alice:example.org\","
  "     \"content\": {\"topic\": \"Room about stuff\"}, \"event_id\": \"$event2\","
  "     \"origin_server_ts\": 1234567890123, \"unsigned\": {\"age\": 4321}}]},"
  "  \"timeline\": {\"events\": ["
  "    {\"type\": \"m.room.member\", \"state_key\": \"@bob:example.org\", \"sender\": \"@bob:example.org\","
  "     \"content\": {\"membership\": \"join\"}, \"event_id\": \"$event3\","
  "     \"origin_server_ts\": 1234567892123, \"unsigned\": {\"age\": 2321}},"
  "    {\"type\": \"m.room.name\", \"state_key\": \"\", \"sender\": \"@alice:example.org\","
  "     \"content\": {\"name\": \"New room name\"}, \"event_id\": \"$event4\","
  "     \"origin_server_ts\": 1234567893123, \"unsigned\": {\"age\": 1321}}],"
  "   \"limited\": true, \"prev_batch\": \"prev1\"}}}},"
  " \"next_batch\": \"token1\"}";

static MatrixStateEvent *
state_event (const char *json)
{
  g_autoptr(GPtrArray) events = events_from_json (NULL, json);

  g_assert_true (MATRIX_IS_STATE_EVENT (g_ptr_array_index (events, 0)));
  return g_object_ref (g_ptr_array_index (events, 0));
}

static void
assert_state_equal (MatrixStateEvent *actual,
                    const char       *expected_json)
{
  g_autoptr(MatrixStateEvent) expected = state_event (expected_json);

  g_assert_nonnull (actual);
  if (!matrix_event_equal (MATRIX_EVENT (actual), MATRIX_EVENT (expected)))
    {
      g_autofree char *a = matrix_event_to_string (MATRIX_EVENT (actual));
      g_error ("State differs:\n  got      %s\n  expected %s", a, expected_json);
    }
  g_object_unref (actual);
}

static void
test_room_state_tracking (void)
{
  g_autoptr(FakeHomeserver) server = fake_homeserver_new ();
  g_autoptr(MatrixStore) store = logged_in_store_new ();
  g_autoptr(MatrixClient) client = matrix_client_new (fake_homeserver_get_url (server), store);
  g_autoptr(MatrixRoomStateTracker) tracker = matrix_room_state_tracker_new (client);
  const char *names[] = { "room-timeline-updates", "sync-failed", NULL };
  g_autoptr(SignalRecorder) recorder = signal_recorder_new (client, names, names);
  g_autoptr(GHashTable) members = NULL;

  fake_homeserver_queue_json (server, "GET", SYNC "?timeout=30000", 200, state_sync, FALSE);
  fake_homeserver_queue_json (server, "GET", SYNC "?since=token1&timeout=30000", 200,
                              "{\"next_batch\":\"token1\"}", TRUE);

  matrix_client_start_sync (client);
  signal_recorder_wait_stopped (recorder, 5000);

  assert_state_equal (matrix_room_state_tracker_get_state (tracker, "!roomid", "m.room.name", NULL),
    "[{\"room_id\": \"!roomid\", \"type\": \"m.room.name\", \"state_key\": \"\","
    "  \"sender\": \"@alice:example.org\", \"content\": {\"name\": \"New room name\"},"
    "  \"event_id\": \"$event4\", \"origin_server_ts\": 1234567893123, \"unsigned\": {\"age\": 1321}}]");
  assert_state_equal (matrix_room_state_tracker_get_state (tracker, "!roomid", "m.room.topic", ""),
    "[{\"room_id\": \"!roomid\", \"type\": \"m.room.topic\", \"state_key\": \"\","
    "  \"sender\": \"@alice:example.org\", \"content\": {\"topic\": \"Room about stuff\"},"
    "  \"event_id\": \"$event2\", \"origin_server_ts\": 1234567890123, \"unsigned\": {\"age\": 4321}}]");
  g_assert_null (matrix_room_state_tracker_get_state (tracker, "!roomid", "m.room.member",
                                                      "@carol:example.org"));
  g_assert_null (matrix_room_state_tracker_get_state (tracker, "!another_room", "m.room.name", NULL));

  members = matrix_room_state_tracker_get_all_state_for_type (tracker, "!roomid", "m.room.member");
  g_assert_cmpuint (g_hash_table_size (members), ==, 1);
  assert_state_equal (g_object_ref (g_hash_table_lookup (members, "@bob:example.org")),
    "[{\"room_id\": \"!roomid\", \"type\": \"m.room.member\", \"state_key\": \"@bob:example.org\","
    "  \"sender\": \"@bob:example.org\", \"content\": {\"membership\": \"join\"},"
    "  \"event_id\": \"$event3\", \"origin_server_ts\": 1234567892123, \"unsigned\": {\"age\": 2321}}]");

  g_clear_pointer (&recorder, signal_recorder_free);
  g_clear_object (&tracker);
  unref_and_wait_finalized (g_steal_pointer (&client), 10000);
}

static void
test_state_before_timeline (void)
{
  /* A state section's event must never override the same key set later in
   * the timeline, whatever the section order in the JSON text. */
  g_autoptr(FakeHomeserver) server = fake_homeserver_new ();
  g_autoptr(MatrixStore) store = logged_in_store_new ();
  g_autoptr(MatrixClient) client = matrix_client_new (fake_homeserver_get_url (server), store);
  g_autoptr(MatrixRoomStateTracker) tracker = matrix_room_state_tracker_new (client);
  const char *names[] = { "room-timeline-updates", "sync-failed", NULL };
  g_autoptr(SignalRecorder) recorder = signal_recorder_new (client, names, names);
  g_autoptr(MatrixStateEvent) avatar = NULL;

  fake_homeserver_queue_json (server, "GET", SYNC "?timeout=30000", 200,
    "{\"next_batch\": \"t\", \"rooms\": {\"join\": {\"!r\": {"
    "  \"timeline\": {\"events\": [{\"type\": \"m.room.avatar\", \"state_key\": \"\","
    "    \"sender\": \"@a:x\", \"content\": {\"url\": \"mxc://x/new\"}, \"event_id\": \"$2\","
    "    \"origin_server_ts\": 2}]},"
    "  \"state\": {\"events\": [{\"type\": \"m.room.avatar\", \"state_key\": \"\","
    "    \"sender\": \"@a:x\", \"content\": {\"url\": \"mxc://x/old\"}, \"event_id\": \"$1\","
    "    \"origin_server_ts\": 1}]}}}}}", FALSE);

  matrix_client_start_sync (client);
  signal_recorder_wait_stopped (recorder, 5000);

  avatar = matrix_room_state_tracker_get_state (tracker, "!r", "m.room.avatar", "");
  g_assert_cmpstr (matrix_event_get_event_id (MATRIX_EVENT (avatar)), ==, "$2");

  g_clear_pointer (&recorder, signal_recorder_free);
  g_clear_object (&tracker);
  unref_and_wait_finalized (g_steal_pointer (&client), 10000);
}

int
main (int   argc,
      char *argv[])
{
  g_setenv ("GIO_USE_PROXY_RESOLVER", "dummy", TRUE);
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/matrix/room-state-tracker/seed-state-tracking", test_room_state_tracking);
  g_test_add_func ("/matrix/room-state-tracker/state-before-timeline", test_state_before_timeline);

  return g_test_run ();
}
