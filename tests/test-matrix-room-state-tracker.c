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

/* --- the list of rooms ------------------------------------------------------ */

static char *
message_room (const char *room_id,
              const char *event_id,
              gint64      ts)
{
  return g_strdup_printf ("\"%s\": {\"timeline\": {\"events\": [{\"type\": \"m.room.message\","
                          " \"sender\": \"@bob:example.org\", \"event_id\": \"%s\","
                          " \"origin_server_ts\": %" G_GINT64_FORMAT ","
                          " \"content\": {\"msgtype\": \"m.text\", \"body\": \"%s\"}}],"
                          " \"limited\": false, \"prev_batch\": \"p-%s\"}}",
                          room_id, event_id, ts, event_id, event_id);
}

static char *
join_sync (const char *next_batch,
           const char *rooms)
{
  return g_strdup_printf ("{\"next_batch\": \"%s\", \"rooms\": {\"join\": {%s}}}", next_batch, rooms);
}

static char *
room_order (MatrixRoomStateTracker *tracker)
{
  g_autoptr(GString) out = g_string_new (NULL);

  for (guint i = 0; i < g_list_model_get_n_items (G_LIST_MODEL (tracker)); i++)
    {
      g_autoptr(MatrixRoom) room = g_list_model_get_item (G_LIST_MODEL (tracker), i);

      g_string_append_printf (out, "%s%s", i > 0 ? " " : "", matrix_room_get_room_id (room));
    }
  return g_string_free (g_steal_pointer (&out), FALSE);
}

#define assert_order(tracker, expected) G_STMT_START { \
  g_autofree char *order__ = room_order (tracker);     \
  g_assert_cmpstr (order__, ==, expected);             \
} G_STMT_END

static void
test_rooms_sorted_by_activity (void)
{
  g_autoptr(FakeHomeserver) server = fake_homeserver_new ();
  g_autoptr(MatrixStore) store = logged_in_store_new ();
  g_autoptr(MatrixClient) client = matrix_client_new (fake_homeserver_get_url (server), store);
  g_autoptr(MatrixRoomStateTracker) tracker = matrix_room_state_tracker_new (client);
  g_autoptr(ItemsChangedRecorder) changes = items_changed_recorder_new (G_LIST_MODEL (tracker));
  g_autofree char *a1 = message_room ("!a", "$a1", 1000);
  g_autofree char *b1 = message_room ("!b", "$b1", 3000);
  g_autofree char *c1 = message_room ("!c", "$c1", 2000);
  g_autofree char *rooms1 = g_strjoin (",", a1, b1, c1, NULL);
  g_autofree char *sync1 = join_sync ("t1", rooms1);
  g_autofree char *a2 = message_room ("!a", "$a2", 4000);
  g_autofree char *sync2 = join_sync ("t2", a2);
  g_autofree char *d1 = message_room ("!d", "$d1", 2500);
  g_autofree char *sync3 = join_sync ("t3", d1);
  g_autofree char *a3 = message_room ("!a", "$a3", 5000);
  g_autofree char *sync4 = join_sync ("t4", a3);
  g_autoptr(MatrixRoom) first = NULL;

  g_assert_true (g_list_model_get_item_type (G_LIST_MODEL (tracker)) == MATRIX_TYPE_ROOM);
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (tracker)), ==, 0);

  sync_once (server, client, NULL, sync1);
  assert_order (tracker, "!b !c !a");
  items_changed_recorder_check (changes, "0,0,3");
  first = g_list_model_get_item (G_LIST_MODEL (tracker), 0);
  g_assert_true (first == matrix_room_state_tracker_get_room (tracker, "!b"));
  g_assert_null (matrix_room_state_tracker_get_room (tracker, "!nowhere"));

  /* New activity moves a room to the top. */
  sync_once (server, client, "t1", sync2);
  assert_order (tracker, "!a !b !c");
  items_changed_recorder_check (changes, "0,3,3");

  /* A new room goes where its activity puts it. */
  sync_once (server, client, "t2", sync3);
  assert_order (tracker, "!a !b !d !c");
  items_changed_recorder_check (changes, "2,0,1");

  /* Activity that does not change the order changes nothing in the list. */
  sync_once (server, client, "t3", sync4);
  assert_order (tracker, "!a !b !d !c");
  items_changed_recorder_check (changes, "");
  g_assert_cmpint (matrix_room_get_last_activity (matrix_room_state_tracker_get_room (tracker, "!a")),
                   ==, 5000);

  g_clear_pointer (&changes, items_changed_recorder_free);
  g_clear_object (&first);
  g_clear_object (&tracker);
  /* The sync's parse ran on a worker thread, which lets go of the client a moment later. */
  iterate_for (20);
  g_assert_finalize_object (g_steal_pointer (&client));
}

static void
test_left_room_removed (void)
{
  g_autoptr(FakeHomeserver) server = fake_homeserver_new ();
  g_autoptr(MatrixStore) store = logged_in_store_new ();
  g_autoptr(MatrixClient) client = matrix_client_new (fake_homeserver_get_url (server), store);
  g_autoptr(MatrixRoomStateTracker) tracker = matrix_room_state_tracker_new (client);
  g_autoptr(ItemsChangedRecorder) changes = NULL;
  g_autofree char *a1 = message_room ("!a", "$a1", 1000);
  g_autofree char *b1 = message_room ("!b", "$b1", 3000);
  g_autofree char *rooms1 = g_strjoin (",", a1, b1, NULL);
  g_autofree char *sync1 = join_sync ("t1", rooms1);
  g_autoptr(MatrixRoom) left = NULL;
  g_autoptr(JsonObject) data = NULL;
  g_autoptr(GPtrArray) timeline = NULL;

  sync_once (server, client, NULL, sync1);
  assert_order (tracker, "!b !a");
  left = g_object_ref (matrix_room_state_tracker_get_room (tracker, "!a"));
  changes = items_changed_recorder_new (G_LIST_MODEL (tracker));

  sync_once (server, client, "t1",
    "{\"next_batch\": \"t2\", \"rooms\": {\"leave\": {\"!a\": {\"timeline\": {\"events\": ["
    "  {\"type\": \"m.room.member\", \"state_key\": \"@alice:example.org\", \"sender\": \"@bob:example.org\","
    "   \"event_id\": \"$kick\", \"origin_server_ts\": 9000, \"content\": {\"membership\": \"leave\"}}],"
    " \"limited\": false}}}}}");

  assert_order (tracker, "!b");
  items_changed_recorder_check (changes, "1,1,0");
  g_assert_null (matrix_room_state_tracker_get_room (tracker, "!a"));
  /* Its state stays queryable, as in the seed, and marked as left so the
   * next start does not list it again. */
  data = matrix_store_get_room_data (store, "!a");
  g_assert_cmpstr (json_object_get_string_member (data, "membership"), ==, "leave");
  {
    g_autoptr(MatrixStateEvent) member =
      matrix_room_state_tracker_get_state (tracker, "!a", "m.room.member", "@alice:example.org");
    g_assert_cmpstr (matrix_event_get_content_string (MATRIX_EVENT (member), "membership"), ==, "leave");
  }
  timeline = matrix_store_get_timeline_events (store, "!a");
  g_assert_cmpuint (timeline->len, >, 0);
  {
    g_autoptr(MatrixRoomStateTracker) restarted = matrix_room_state_tracker_new (client);
    g_assert_null (matrix_room_state_tracker_get_room (restarted, "!a"));
    g_assert_nonnull (matrix_room_state_tracker_get_room (restarted, "!b"));
  }

  g_clear_pointer (&changes, items_changed_recorder_free);
  g_clear_object (&tracker);
  iterate_for (20);
  g_assert_finalize_object (g_steal_pointer (&left));
  g_assert_finalize_object (g_steal_pointer (&client));
}

static char *
describe_timeline (MatrixTimeline *timeline)
{
  g_autoptr(GString) out = g_string_new (NULL);

  for (guint i = 0; i < g_list_model_get_n_items (G_LIST_MODEL (timeline)); i++)
    {
      g_autoptr(MatrixTimelineItem) item = g_list_model_get_item (G_LIST_MODEL (timeline), i);

      if (i > 0)
        g_string_append_c (out, ' ');
      if (matrix_timeline_item_get_kind (item) == MATRIX_TIMELINE_ITEM_GAP)
        g_string_append_printf (out, "gap:%s", matrix_timeline_item_get_gap_token (item));
      else
        g_string_append (out, matrix_timeline_item_get_event_id (item));
    }
  return g_string_free (g_steal_pointer (&out), FALSE);
}

#define assert_timeline(timeline, expected) G_STMT_START { \
  g_autofree char *timeline__ = describe_timeline (timeline); \
  g_assert_cmpstr (timeline__, ==, expected);                 \
} G_STMT_END

/* What a persistent store does to room data: JSON text and back. */
static void
round_trip_room_data (MatrixStore *store)
{
  g_auto(GStrv) room_ids = matrix_store_get_room_ids (store);

  for (guint i = 0; room_ids[i] != NULL; i++)
    {
      g_autoptr(JsonObject) data = matrix_store_get_room_data (store, room_ids[i]);
      g_autoptr(JsonNode) node = NULL;
      g_autoptr(JsonNode) parsed = NULL;
      g_autofree char *text = NULL;

      if (data == NULL)
        continue;
      node = json_node_init_object (json_node_alloc (), data);
      text = json_to_string (node, FALSE);
      parsed = json_from_string (text, NULL);
      g_assert_nonnull (parsed);
      matrix_store_set_room_data (store, room_ids[i], json_node_get_object (parsed));
    }
}

static const char restore_sync[] =
  "{\"next_batch\": \"t1\", \"rooms\": {"
  " \"join\": {"
  "  \"!hall\": {"
  "   \"state\": {\"events\": [{\"type\": \"m.room.name\", \"state_key\": \"\", \"sender\": \"@bob:example.org\","
  "     \"event_id\": \"$name\", \"origin_server_ts\": 10, \"content\": {\"name\": \"Hall\"}},"
  "    {\"type\": \"m.room.member\", \"state_key\": \"@bob:example.org\", \"sender\": \"@bob:example.org\","
  "     \"event_id\": \"$bob\", \"origin_server_ts\": 11, \"content\": {\"membership\": \"join\", \"displayname\": \"Bob\"}}]},"
  "   \"timeline\": {\"events\": ["
  "    {\"type\": \"m.room.message\", \"sender\": \"@bob:example.org\", \"event_id\": \"$m1\","
  "     \"origin_server_ts\": 2000, \"content\": {\"msgtype\": \"m.text\", \"body\": \"hello\"}},"
  "    {\"type\": \"m.room.message\", \"sender\": \"@bob:example.org\", \"event_id\": \"$m2\","
  "     \"origin_server_ts\": 2001, \"content\": {\"msgtype\": \"m.text\", \"body\": \"again\"}}],"
  "    \"limited\": true, \"prev_batch\": \"p1\"},"
  "   \"summary\": {},"
  "   \"unread_notifications\": {\"notification_count\": 2, \"highlight_count\": 1}},"
  "  \"!quiet\": {\"timeline\": {\"events\": [{\"type\": \"m.room.create\", \"state_key\": \"\","
  "   \"sender\": \"@alice:example.org\", \"event_id\": \"$create\", \"origin_server_ts\": 1000,"
  "   \"content\": {}}], \"limited\": false}}},"
  " \"invite\": {\"!inv\": {\"invite_state\": {\"events\": ["
  "   {\"type\": \"m.room.name\", \"state_key\": \"\", \"sender\": \"@carol:example.org\","
  "    \"content\": {\"name\": \"Party\"}},"
  "   {\"type\": \"m.room.member\", \"state_key\": \"@alice:example.org\", \"sender\": \"@carol:example.org\","
  "    \"content\": {\"membership\": \"invite\"}}]}}}"
  "}}";

/* One event of @type in @room_id's timeline; @extra goes before "content". */
static char *
event_room (const char *room_id,
            const char *type,
            const char *sender,
            const char *extra,
            const char *content,
            gint64      ts)
{
  static guint counter;

  return g_strdup_printf ("\"%s\": {\"timeline\": {\"events\": [{\"type\": \"%s\", \"sender\": \"%s\","
                          " \"event_id\": \"$ev%u\", \"origin_server_ts\": %" G_GINT64_FORMAT ", %s"
                          " \"content\": %s}], \"limited\": false}}",
                          room_id, type, sender, ++counter, ts, extra, content);
}

/* Rooms are ordered by what people care about (messages, a room's creation,
 * our own membership), as Element's bump events: a member renaming
 * themselves, another joining, a reaction or an edit leaves a room where it is. */
static void
test_rooms_sorted_by_bump_events (void)
{
  g_autoptr(FakeHomeserver) server = fake_homeserver_new ();
  g_autoptr(MatrixStore) store = logged_in_store_new ();
  g_autoptr(MatrixClient) client = matrix_client_new (fake_homeserver_get_url (server), store);
  g_autoptr(MatrixRoomStateTracker) tracker = matrix_room_state_tracker_new (client);
  g_autofree char *a1 = message_room ("!a", "$a1", 1000);
  g_autofree char *b1 = message_room ("!b", "$b1", 2000);
  g_autofree char *rooms1 = g_strjoin (",", a1, b1, NULL);
  g_autofree char *sync1 = join_sync ("t1", rooms1);
  struct {
    const char *type, *sender, *extra, *content;
  } noise[] = {
    /* Bob renames himself, then changes his avatar. */
    { "m.room.member", "@bob:example.org",
      "\"state_key\": \"@bob:example.org\", \"unsigned\": {\"prev_content\":"
      " {\"membership\": \"join\", \"displayname\": \"Bob\"}},",
      "{\"membership\": \"join\", \"displayname\": \"Robert\"}" },
    { "m.room.member", "@bob:example.org",
      "\"state_key\": \"@bob:example.org\", \"unsigned\": {\"prev_content\":"
      " {\"membership\": \"join\", \"displayname\": \"Robert\"}},",
      "{\"membership\": \"join\", \"displayname\": \"Robert\", \"avatar_url\": \"mxc://x/y\"}" },
    /* Someone else joins; we change our own name. */
    { "m.room.member", "@carol:example.org", "\"state_key\": \"@carol:example.org\",",
      "{\"membership\": \"join\"}" },
    { "m.room.member", "@alice:example.org",
      "\"state_key\": \"@alice:example.org\", \"unsigned\": {\"prev_content\":"
      " {\"membership\": \"join\"}},",
      "{\"membership\": \"join\", \"displayname\": \"Alice\"}" },
    { "m.reaction", "@bob:example.org", "",
      "{\"m.relates_to\": {\"rel_type\": \"m.annotation\", \"event_id\": \"$a1\", \"key\": \"+1\"}}" },
    { "m.room.message", "@bob:example.org", "",
      "{\"msgtype\": \"m.text\", \"body\": \"* fixed\", \"m.new_content\": {\"msgtype\": \"m.text\","
      " \"body\": \"fixed\"}, \"m.relates_to\": {\"rel_type\": \"m.replace\", \"event_id\": \"$a1\"}}" },
    { "m.room.topic", "@bob:example.org", "\"state_key\": \"\",", "{\"topic\": \"t\"}" },
  };
  g_autofree char *encrypted = NULL;
  g_autofree char *created = NULL;
  g_autofree char *unknown = NULL;
  g_autofree char *sync = NULL;
  g_autofree char *order_before = NULL;

  sync_once (server, client, NULL, sync1);
  assert_order (tracker, "!b !a");

  for (guint i = 0; i < G_N_ELEMENTS (noise); i++)
    {
      g_autofree char *since = g_strdup_printf ("n%u", i);
      g_autofree char *next = g_strdup_printf ("n%u", i + 1);
      g_autofree char *room = event_room ("!a", noise[i].type, noise[i].sender, noise[i].extra,
                                          noise[i].content, 3000 + i);
      g_autofree char *body = join_sync (next, room);

      sync_once (server, client, i == 0 ? "t1" : since, body);
      assert_order (tracker, "!b !a");
      g_assert_cmpint (matrix_room_get_last_activity (matrix_room_state_tracker_get_room (tracker, "!a")),
                       ==, 1000);
    }

  /* An encrypted message counts, though we cannot read it. */
  encrypted = event_room ("!a", "m.room.encrypted", "@bob:example.org", "",
                          "{\"algorithm\": \"m.megolm.v1.aes-sha2\"}", 4000);
  g_free (sync);
  sync = join_sync ("e1", encrypted);
  sync_once (server, client, "n7", sync);
  assert_order (tracker, "!a !b");

  /* A room just made, and one whose timeline holds nothing that counts:
   * its newest event places it until something does. */
  created = event_room ("!c", "m.room.create", "@bob:example.org", "\"state_key\": \"\",", "{}", 5000);
  unknown = event_room ("!d", "m.room.topic", "@bob:example.org", "\"state_key\": \"\",",
                        "{\"topic\": \"t\"}", 3500);
  g_free (sync);
  sync = g_strdup_printf ("{\"next_batch\": \"e2\", \"rooms\": {\"join\": {%s, %s}}}", created, unknown);
  sync_once (server, client, "e1", sync);
  assert_order (tracker, "!c !a !d !b");

  /* A new start orders the rooms alike. */
  order_before = room_order (tracker);
  g_clear_object (&tracker);
  iterate_for (20);
  g_assert_finalize_object (g_steal_pointer (&client));
  round_trip_room_data (store);
  client = matrix_client_new (fake_homeserver_get_url (server), store);
  tracker = matrix_room_state_tracker_new (client);
  assert_order (tracker, order_before);

  g_clear_object (&tracker);
  iterate_for (20);
  g_assert_finalize_object (g_steal_pointer (&client));
}

static void
test_restore_from_store (void)
{
  g_autoptr(FakeHomeserver) server = fake_homeserver_new ();
  g_autoptr(MatrixStore) store = logged_in_store_new ();
  g_autoptr(MatrixClient) client = matrix_client_new (fake_homeserver_get_url (server), store);
  g_autoptr(MatrixRoomStateTracker) tracker = matrix_room_state_tracker_new (client);
  g_autofree char *order_before = NULL;
  MatrixRoom *hall, *invite, *quiet;
  MatrixTimeline *timeline;

  /* Left as a gap rather than filled (see test-matrix-client-gaps). */
  matrix_client_set_fill_gaps (client, FALSE);
  sync_once (server, client, NULL, restore_sync);
  /* A second limited sync leaves a gap in the middle of the cached timeline. */
  sync_once (server, client, "t1",
    "{\"next_batch\": \"t2\", \"rooms\": {\"join\": {\"!hall\": {\"timeline\": {\"events\": ["
    "  {\"type\": \"m.room.message\", \"sender\": \"@bob:example.org\", \"event_id\": \"$m9\","
    "   \"origin_server_ts\": 2009, \"content\": {\"msgtype\": \"m.text\", \"body\": \"later\"}}],"
    " \"limited\": true, \"prev_batch\": \"p9\"}}}}}");
  order_before = room_order (tracker);
  g_clear_object (&tracker);
  /* The sync's parse ran on a worker thread, which lets go of the client a moment later. */
  iterate_for (20);
  g_assert_finalize_object (g_steal_pointer (&client));
  round_trip_room_data (store);

  /* A new start: everything is there before any request. */
  client = matrix_client_new (fake_homeserver_get_url (server), store);
  tracker = matrix_room_state_tracker_new (client);
  assert_order (tracker, order_before);
  /* The invite arrived last (its activity is its arrival). */
  assert_order (tracker, "!inv !hall !quiet");
  g_assert_cmpuint (fake_homeserver_get_requests (server)->len, ==, 2);

  hall = matrix_room_state_tracker_get_room (tracker, "!hall");
  g_assert_cmpstr (matrix_room_get_display_name (hall), ==, "Hall");
  g_assert_cmpint (matrix_room_get_membership (hall), ==, MATRIX_MEMBERSHIP_JOIN);
  g_assert_cmpuint (matrix_room_get_notification_count (hall), ==, 2);
  g_assert_cmpuint (matrix_room_get_highlight_count (hall), ==, 1);
  g_assert_cmpstr (matrix_room_get_last_message (hall), ==, "Bob: later");
  g_assert_cmpint (matrix_room_get_last_activity (hall), ==, 2009);
  timeline = matrix_room_get_timeline (hall);
  assert_timeline (timeline, "gap:p1 $m1 $m2 gap:p9 $m9");
  g_assert_false (matrix_timeline_get_at_start (timeline));

  quiet = matrix_room_state_tracker_get_room (tracker, "!quiet");
  assert_timeline (matrix_room_get_timeline (quiet), "$create");
  g_assert_true (matrix_timeline_get_at_start (matrix_room_get_timeline (quiet)));

  invite = matrix_room_state_tracker_get_room (tracker, "!inv");
  g_assert_cmpint (matrix_room_get_membership (invite), ==, MATRIX_MEMBERSHIP_INVITE);
  g_assert_cmpstr (matrix_room_get_display_name (invite), ==, "Party");
  g_assert_cmpstr (matrix_room_get_inviter (invite), ==, "@carol:example.org");

  /* The sync goes on from the stored token, onto the restored timeline. */
  sync_once (server, client, "t2",
    "{\"next_batch\": \"t3\", \"rooms\": {\"join\": {\"!hall\": {\"timeline\": {\"events\": ["
    "  {\"type\": \"m.room.message\", \"sender\": \"@bob:example.org\", \"event_id\": \"$m9\","
    "   \"origin_server_ts\": 2009, \"content\": {\"msgtype\": \"m.text\", \"body\": \"later\"}},"
    "  {\"type\": \"m.room.message\", \"sender\": \"@bob:example.org\", \"event_id\": \"$m10\","
    "   \"origin_server_ts\": 2010, \"content\": {\"msgtype\": \"m.text\", \"body\": \"more\"}}],"
    " \"limited\": false, \"prev_batch\": \"p10\"}}}}}");
  assert_timeline (timeline, "gap:p1 $m1 $m2 gap:p9 $m9 $m10");
  g_assert_cmpstr (matrix_room_get_last_message (hall), ==, "Bob: more");

  g_clear_object (&tracker);
  /* The sync's parse ran on a worker thread, which lets go of the client a moment later. */
  iterate_for (20);
  g_assert_finalize_object (g_steal_pointer (&client));
}

/* A first sync of 10,000 rooms changes the list once, and so does a later
 * sync moving many of them: whoever filters or sorts the list (the app's
 * room list) does it once per sync, not once per room. */
static void
test_one_change_per_sync (void)
{
  g_autoptr(FakeHomeserver) server = fake_homeserver_new ();
  g_autoptr(MatrixStore) store = logged_in_store_new ();
  g_autoptr(MatrixClient) client = matrix_client_new (fake_homeserver_get_url (server), store);
  g_autoptr(MatrixRoomStateTracker) tracker = matrix_room_state_tracker_new (client);
  g_autoptr(ItemsChangedRecorder) changes = items_changed_recorder_new (G_LIST_MODEL (tracker));
  g_autoptr(GString) rooms1 = g_string_new (NULL);
  g_autoptr(GString) rooms2 = g_string_new (NULL);
  g_autofree char *sync1 = NULL, *sync2 = NULL;
  g_autoptr(MatrixRoom) first = NULL, last = NULL;

  for (guint i = 0; i < 10000; i++)
    {
      g_autofree char *room_id = g_strdup_printf ("!r%05u", i);
      g_autofree char *event_id = g_strdup_printf ("$e%05u", i);
      g_autofree char *room = message_room (room_id, event_id, 1000 + i);

      g_string_append_printf (rooms1, "%s%s", i > 0 ? "," : "", room);
    }
  /* Every tenth room has news, the oldest first. */
  for (guint i = 0; i < 10000; i += 10)
    {
      g_autofree char *room_id = g_strdup_printf ("!r%05u", i);
      g_autofree char *event_id = g_strdup_printf ("$n%05u", i);
      g_autofree char *room = message_room (room_id, event_id, 100000 + i);

      g_string_append_printf (rooms2, "%s%s", i > 0 ? "," : "", room);
    }
  sync1 = join_sync ("t1", rooms1->str);
  sync2 = join_sync ("t2", rooms2->str);

  sync_once (server, client, NULL, sync1);
  items_changed_recorder_check (changes, "0,0,10000");
  first = g_list_model_get_item (G_LIST_MODEL (tracker), 0);
  last = g_list_model_get_item (G_LIST_MODEL (tracker), 9999);
  g_assert_cmpstr (matrix_room_get_room_id (first), ==, "!r09999");
  g_assert_cmpstr (matrix_room_get_room_id (last), ==, "!r00000");
  g_clear_object (&first);
  g_clear_object (&last);

  sync_once (server, client, "t1", sync2);
  /* !r00000 was last and is now the 1000th; !r09999 stays in the list's middle. */
  items_changed_recorder_check (changes, "0,10000,10000");
  first = g_list_model_get_item (G_LIST_MODEL (tracker), 0);
  g_assert_cmpstr (matrix_room_get_room_id (first), ==, "!r09990");
  g_clear_object (&first);

  g_clear_pointer (&changes, items_changed_recorder_free);
  g_clear_object (&tracker);
  iterate_for (20);
  g_assert_finalize_object (g_steal_pointer (&client));
}

int
main (int   argc,
      char *argv[])
{
  g_setenv ("GIO_USE_PROXY_RESOLVER", "dummy", TRUE);
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/matrix/room-state-tracker/seed-state-tracking", test_room_state_tracking);
  g_test_add_func ("/matrix/room-state-tracker/state-before-timeline", test_state_before_timeline);
  g_test_add_func ("/matrix/room-state-tracker/rooms/sorted-by-activity", test_rooms_sorted_by_activity);
  g_test_add_func ("/matrix/room-state-tracker/rooms/left-room-removed", test_left_room_removed);
  g_test_add_func ("/matrix/room-state-tracker/rooms/restore-from-store", test_restore_from_store);
  g_test_add_func ("/matrix/room-state-tracker/rooms/sorted-by-bump-events", test_rooms_sorted_by_bump_events);
  g_test_add_func ("/matrix/room-state-tracker/rooms/one-change-per-sync", test_one_change_per_sync);

  return g_test_run ();
}
