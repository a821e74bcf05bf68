/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "test-matrix-room-unread"

/* The unread counts a room makes itself, by the user's push rules, where
 * the server's are wrong (an encrypted room: the server cannot read the
 * messages) or missing (sliding sync): only after the user's read receipt,
 * never the user's own messages, kept for the next start. */

#include "test-utils.h"

#define ME "@me:example.org"
#define ROOM "!secret:example.org"

typedef struct {
  FakeHomeserver         *server;
  MatrixStore            *store;
  MatrixClient           *client;
  MatrixRoomStateTracker *tracker;
  char                   *since;
  guint                   n_syncs;
} Fixture;

static void
fixture_setup (Fixture       *f,
               gconstpointer  data)
{
  f->server = fake_homeserver_new ();
  f->store = logged_in_store_new ();
  matrix_store_set_value (f->store, MATRIX_STORE_KEY_USER_ID, ME);
  f->client = matrix_client_new (fake_homeserver_get_url (f->server), f->store);
  f->tracker = matrix_room_state_tracker_new (f->client);
}

static void
fixture_teardown (Fixture       *f,
                  gconstpointer  data)
{
  matrix_client_stop_sync (f->client);
  iterate_for (20);
  g_assert_finalize_object (f->tracker);
  g_assert_finalize_object (f->client);
  g_assert_finalize_object (f->store);
  g_assert_cmpuint (fake_homeserver_get_n_unmatched (f->server), ==, 0);
  g_assert_finalize_object (f->server);
  g_free (f->since);
}

static void
sync_body (Fixture    *f,
           const char *rest)
{
  g_autofree char *next = g_strdup_printf ("s%u", ++f->n_syncs);
  g_autofree char *body = g_strdup_printf ("{\"next_batch\": \"%s\", %s}", next, rest);

  sync_once (f->server, f->client, f->since, body);
  g_free (f->since);
  f->since = g_steal_pointer (&next);
}

/* One sync of the room: @timeline and @ephemeral are a JSON array's inside. */
static void
sync_room (Fixture    *f,
           const char *timeline,
           const char *ephemeral)
{
  g_autofree char *rest = g_strdup_printf (
    "\"rooms\": {\"join\": {\"" ROOM "\": {"
    " \"timeline\": {\"limited\": false, \"events\": [%s]},"
    " \"ephemeral\": {\"events\": [%s]},"
    /* What Synapse says of an encrypted room: every event counts. */
    " \"unread_notifications\": {\"notification_count\": 9, \"highlight_count\": 0}}}}",
    timeline, ephemeral);

  sync_body (f, rest);
}

#define MSG(id, sender, body) \
  "{\"type\": \"m.room.message\", \"sender\": \"" sender "\", \"event_id\": \"" id "\"," \
  " \"origin_server_ts\": 1, \"content\": {\"msgtype\": \"m.text\", \"body\": \"" body "\"}}"

#define NOTICE(id) \
  "{\"type\": \"m.room.message\", \"sender\": \"@bot:example.org\", \"event_id\": \"" id "\"," \
  " \"origin_server_ts\": 1, \"content\": {\"msgtype\": \"m.notice\", \"body\": \"beep\"}}"

#define MENTION(id) \
  "{\"type\": \"m.room.message\", \"sender\": \"@bob:example.org\", \"event_id\": \"" id "\"," \
  " \"origin_server_ts\": 1, \"content\": {\"msgtype\": \"m.text\", \"body\": \"you there\"," \
  " \"m.mentions\": {\"user_ids\": [\"" ME "\"]}}}"

#define RECEIPT(id) \
  "{\"type\": \"m.receipt\", \"content\": {\"" id "\": {\"m.read\": {\"" ME "\": {\"ts\": 5}}}}}"

static void
join_encrypted_room (Fixture *f)
{
  g_autofree char *rest = g_strdup_printf (
    "\"rooms\": {\"join\": {\"" ROOM "\": {\"state\": {\"events\": ["
    "{\"type\": \"m.room.member\", \"state_key\": \"" ME "\", \"sender\": \"" ME "\", \"event_id\": \"$m\","
    " \"origin_server_ts\": 1, \"content\": {\"membership\": \"join\", \"displayname\": \"Me\"}},"
    "{\"type\": \"m.room.encryption\", \"state_key\": \"\", \"sender\": \"@bob:example.org\","
    " \"event_id\": \"$e\", \"origin_server_ts\": 1, \"content\": {\"algorithm\": \"m.megolm.v1.aes-sha2\"}}]}}}}");

  sync_body (f, rest);
}

typedef struct {
  MatrixRoom *room;
  guint       notifications;
  guint       highlights;
} Counts;

static gboolean
counts_are (gpointer data)
{
  Counts *c = data;

  return matrix_room_get_notification_count (c->room) == c->notifications &&
         matrix_room_get_highlight_count (c->room) == c->highlights;
}

static void
assert_counts (MatrixRoom *room,
               guint       notifications,
               guint       highlights)
{
  Counts c = { room, notifications, highlights };

  test_iterate_until (counts_are, &c, 2000);
  g_assert_cmpuint (matrix_room_get_notification_count (room), ==, notifications);
  g_assert_cmpuint (matrix_room_get_highlight_count (room), ==, highlights);
}

static void
test_encrypted_room_counts_by_rules (Fixture       *f,
                                     gconstpointer  data)
{
  MatrixRoom *room;

  join_encrypted_room (f);
  room = matrix_room_state_tracker_get_room (f->tracker, ROOM);
  g_assert_true (matrix_room_get_encrypted (room));

  /* A message notifies, a notice does not, a mention highlights: not the
   * server's 9. */
  sync_room (f, MSG ("$1", "@bob:example.org", "hi") "," NOTICE ("$2") "," MENTION ("$3"), "");
  assert_counts (room, 2, 1);
}

static void
test_receipt_and_own_messages (Fixture       *f,
                               gconstpointer  data)
{
  MatrixRoom *room;

  join_encrypted_room (f);
  room = matrix_room_state_tracker_get_room (f->tracker, ROOM);
  sync_room (f, MSG ("$1", "@bob:example.org", "one") "," MENTION ("$2") ","
                MSG ("$3", "@bob:example.org", "three"), "");
  assert_counts (room, 3, 1);

  /* Read up to the mention (another client of ours said so). */
  sync_room (f, "", RECEIPT ("$2"));
  assert_counts (room, 1, 0);

  /* Writing says we read what came before. */
  sync_room (f, MSG ("$4", ME, "mine"), "");
  assert_counts (room, 0, 0);
  sync_room (f, MSG ("$5", "@bob:example.org", "five"), "");
  assert_counts (room, 1, 0);
}

static void
test_push_rules_change_recounts (Fixture       *f,
                                 gconstpointer  data)
{
  MatrixRoom *room;

  join_encrypted_room (f);
  room = matrix_room_state_tracker_get_room (f->tracker, ROOM);
  sync_room (f, MSG ("$1", "@bob:example.org", "one") "," MENTION ("$2"), "");
  assert_counts (room, 2, 1);

  /* Muted (what other clients write): nothing counts, not even a mention. */
  sync_body (f, "\"account_data\": {\"events\": [{\"type\": \"m.push_rules\", \"content\": {\"global\": {"
                "\"override\": [{\"rule_id\": \"" ROOM "\", \"default\": false, \"enabled\": true,"
                " \"conditions\": [{\"kind\": \"event_match\", \"key\": \"room_id\", \"pattern\": \"" ROOM "\"}],"
                " \"actions\": [\"dont_notify\"]}]}}}]}");
  assert_counts (room, 0, 0);

  /* Garbage rules: each skipped, no usable rule notifies. */
  sync_body (f, "\"account_data\": {\"events\": [{\"type\": \"m.push_rules\", \"content\": {\"global\": {"
                "\"override\": [1, {\"rule_id\": []}, {\"rule_id\": \"x\", \"enabled\": true, \"actions\": 5}],"
                " \"underride\": {}}}}]}");
  assert_counts (room, 0, 0);

  /* No ruleset at all: the spec's defaults. */
  sync_body (f, "\"account_data\": {\"events\": [{\"type\": \"m.push_rules\", \"content\": {}}]}");
  assert_counts (room, 2, 1);
}

static void
test_counts_survive_restart (Fixture       *f,
                             gconstpointer  data)
{
  MatrixRoom *room;

  join_encrypted_room (f);
  room = matrix_room_state_tracker_get_room (f->tracker, ROOM);
  sync_room (f, MSG ("$1", "@bob:example.org", "one") "," MENTION ("$2"), "");
  assert_counts (room, 2, 1);

  /* A new start on the same store: the counts are there before any sync. */
  matrix_client_stop_sync (f->client);
  iterate_for (20);
  g_assert_finalize_object (f->tracker);
  g_assert_finalize_object (f->client);
  f->client = matrix_client_new (fake_homeserver_get_url (f->server), f->store);
  f->tracker = matrix_room_state_tracker_new (f->client);
  room = matrix_room_state_tracker_get_room (f->tracker, ROOM);
  g_assert_nonnull (room);
  g_assert_cmpuint (matrix_room_get_notification_count (room), ==, 2);
  g_assert_cmpuint (matrix_room_get_highlight_count (room), ==, 1);
  iterate_for (50);
  g_assert_cmpuint (matrix_room_get_notification_count (room), ==, 2);
  g_assert_cmpuint (matrix_room_get_highlight_count (room), ==, 1);
}

/* A room without encryption under /v3/sync keeps the server's counts: they
 * also cover what a limited sync left out. */
static void
test_plain_room_keeps_server_counts (Fixture       *f,
                                     gconstpointer  data)
{
  MatrixRoom *room;

  sync_body (f, "\"rooms\": {\"join\": {\"!plain:example.org\": {"
                " \"timeline\": {\"limited\": false, \"events\": [" MSG ("$1", "@bob:example.org", "hi") "]},"
                " \"unread_notifications\": {\"notification_count\": 4, \"highlight_count\": 2}}}}");
  room = matrix_room_state_tracker_get_room (f->tracker, "!plain:example.org");
  iterate_for (50);
  g_assert_cmpuint (matrix_room_get_notification_count (room), ==, 4);
  g_assert_cmpuint (matrix_room_get_highlight_count (room), ==, 2);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

#define ADD(path, func) \
  g_test_add ("/matrix/room/unread/" path, Fixture, NULL, fixture_setup, func, fixture_teardown)
  ADD ("encrypted-room-counts-by-push-rules", test_encrypted_room_counts_by_rules);
  ADD ("after-own-receipt-and-own-messages", test_receipt_and_own_messages);
  ADD ("push-rules-change-recounts", test_push_rules_change_recounts);
  ADD ("counts-survive-restart", test_counts_survive_restart);
  ADD ("plain-room-keeps-server-counts-on-v3", test_plain_room_keeps_server_counts);
#undef ADD

  return g_test_run ();
}
