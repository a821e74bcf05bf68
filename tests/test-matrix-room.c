/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "test-matrix-room"

#include "test-utils.h"

#define ME "@me:example.org"

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

/* Runs one sync whose "rooms" member is @rooms_json. */
static void
sync_rooms (Fixture    *f,
            const char *rooms_json)
{
  g_autofree char *next = g_strdup_printf ("s%u", ++f->n_syncs);
  g_autofree char *body = g_strdup_printf ("{\"next_batch\": \"%s\", \"rooms\": %s}", next, rooms_json);

  sync_once (f->server, f->client, f->since, body);
  g_free (f->since);
  f->since = g_steal_pointer (&next);
}

static char *
state_event (const char *type,
             const char *state_key,
             const char *content)
{
  static guint counter;

  return g_strdup_printf ("{\"type\": \"%s\", \"state_key\": \"%s\", \"sender\": \"@bob:example.org\","
                          " \"event_id\": \"$state%u\", \"origin_server_ts\": 1000, \"content\": %s}",
                          type, state_key, ++counter, content);
}

/* An m.room.member event; @displayname may be NULL. */
static char *
member (const char *user_id,
        const char *membership,
        const char *displayname)
{
  g_autofree char *content = NULL;

  if (displayname != NULL)
    content = g_strdup_printf ("{\"membership\": \"%s\", \"displayname\": \"%s\"}", membership, displayname);
  else
    content = g_strdup_printf ("{\"membership\": \"%s\"}", membership);
  return state_event ("m.room.member", user_id, content);
}

/* Joins @room_id with the given state events (a JSON array's inside) and
 * summary (an object, or NULL); returns the room's display name. */
static const char *
joined_room_name (Fixture    *f,
                  const char *room_id,
                  const char *state_events,
                  const char *summary)
{
  g_autofree char *me = member (ME, "join", "Me");
  g_autofree char *rooms = g_strdup_printf (
    "{\"join\": {\"%s\": {\"state\": {\"events\": [%s%s%s]}%s%s}}}",
    room_id, me, *state_events ? "," : "", state_events,
    summary ? ", \"summary\": " : "", summary ? summary : "");
  MatrixRoom *room;

  sync_rooms (f, rooms);
  room = matrix_room_state_tracker_get_room (f->tracker, room_id);
  g_assert_nonnull (room);
  return matrix_room_get_display_name (room);
}

/* The members Bob, Carol, Dave, Eve, Frank, Gina and Hank, joined, as state. */
static char *
many_members (guint n)
{
  static const char *names[] = { "Bob", "Carol", "Dave", "Eve", "Frank", "Gina", "Hank" };
  g_autoptr(GString) out = g_string_new (NULL);

  g_assert_cmpuint (n, <=, G_N_ELEMENTS (names));
  for (guint i = 0; i < n; i++)
    {
      g_autofree char *lower = g_ascii_strdown (names[i], -1);
      g_autofree char *user_id = g_strdup_printf ("@%s:example.org", lower);
      g_autofree char *event = member (user_id, "join", names[i]);

      if (i > 0)
        g_string_append_c (out, ',');
      g_string_append (out, event);
    }

  return g_string_free (g_steal_pointer (&out), FALSE);
}

static void
test_name_and_alias (Fixture       *f,
                     gconstpointer  data)
{
  g_autofree char *name = state_event ("m.room.name", "", "{\"name\": \"Hall\"}");
  g_autofree char *empty_name = state_event ("m.room.name", "", "{\"name\": \"\"}");
  g_autofree char *alias = state_event ("m.room.canonical_alias", "", "{\"alias\": \"#hall:example.org\"}");
  g_autofree char *bob = many_members (1);
  g_autofree char *both = g_strjoin (",", name, alias, bob, NULL);
  g_autofree char *alias_only = g_strjoin (",", empty_name, alias, bob, NULL);
  const char *heroes = "{\"m.heroes\": [\"@bob:example.org\"], \"m.joined_member_count\": 2}";

  g_assert_cmpstr (joined_room_name (f, "!a:example.org", both, heroes), ==, "Hall");
  /* An empty name counts as none. */
  g_assert_cmpstr (joined_room_name (f, "!b:example.org", alias_only, heroes), ==, "#hall:example.org");
}

static void
test_heroes (Fixture       *f,
             gconstpointer  data)
{
  g_autofree char *members = many_members (7);

  g_assert_cmpstr (joined_room_name (f, "!1:example.org", members,
                     "{\"m.heroes\": [\"@bob:example.org\"], \"m.joined_member_count\": 2,"
                     " \"m.invited_member_count\": 0}"), ==, "Bob");
  g_assert_cmpstr (joined_room_name (f, "!2:example.org", members,
                     "{\"m.heroes\": [\"@bob:example.org\", \"@carol:example.org\"],"
                     " \"m.joined_member_count\": 2, \"m.invited_member_count\": 1}"), ==, "Bob and Carol");
  g_assert_cmpstr (joined_room_name (f, "!3:example.org", members,
                     "{\"m.heroes\": [\"@bob:example.org\", \"@carol:example.org\", \"@dave:example.org\"],"
                     " \"m.joined_member_count\": 4, \"m.invited_member_count\": 0}"), ==,
                   "Bob, Carol and Dave");
  g_assert_cmpstr (joined_room_name (f, "!5:example.org", members,
                     "{\"m.heroes\": [\"@bob:example.org\", \"@carol:example.org\", \"@dave:example.org\","
                     " \"@eve:example.org\", \"@frank:example.org\"],"
                     " \"m.joined_member_count\": 6, \"m.invited_member_count\": 0}"), ==,
                   "Bob, Carol, Dave, Eve and Frank");
  /* More members than heroes. */
  g_assert_cmpstr (joined_room_name (f, "!others:example.org", members,
                     "{\"m.heroes\": [\"@bob:example.org\", \"@carol:example.org\"],"
                     " \"m.joined_member_count\": 4, \"m.invited_member_count\": 1}"), ==,
                   "Bob, Carol and 2 others");
  g_assert_cmpstr (joined_room_name (f, "!other:example.org", members,
                     "{\"m.heroes\": [\"@bob:example.org\", \"@carol:example.org\"],"
                     " \"m.joined_member_count\": 4, \"m.invited_member_count\": 0}"), ==,
                   "Bob, Carol and 1 other");
  /* We are never one of our own heroes. */
  g_assert_cmpstr (joined_room_name (f, "!self:example.org", members,
                     "{\"m.heroes\": [\"" ME "\", \"@bob:example.org\"], \"m.joined_member_count\": 2,"
                     " \"m.invited_member_count\": 0}"), ==, "Bob");
  /* A hero whose member event we do not have is shown by user id. */
  g_assert_cmpstr (joined_room_name (f, "!zed:example.org", members,
                     "{\"m.heroes\": [\"@zed:example.org\"], \"m.joined_member_count\": 2,"
                     " \"m.invited_member_count\": 0}"), ==, "@zed:example.org");
}

static void
test_empty_room (Fixture       *f,
                 gconstpointer  data)
{
  g_autofree char *bob_left = member ("@bob:example.org", "leave", "Bob");
  g_autofree char *carol_left = member ("@carol:example.org", "leave", "Carol");
  g_autofree char *both_left = g_strjoin (",", bob_left, carol_left, NULL);

  g_assert_cmpstr (joined_room_name (f, "!alone:example.org", "",
                     "{\"m.heroes\": [], \"m.joined_member_count\": 1, \"m.invited_member_count\": 0}"),
                   ==, "Empty Room");
  g_assert_cmpstr (joined_room_name (f, "!was:example.org", bob_left,
                     "{\"m.heroes\": [\"@bob:example.org\"], \"m.joined_member_count\": 1,"
                     " \"m.invited_member_count\": 0}"), ==, "Empty Room (was Bob)");
  /* The same from member state alone. */
  g_assert_cmpstr (joined_room_name (f, "!was2:example.org", both_left, "{}"), ==,
                   "Empty Room (was Bob and Carol)");
  g_assert_cmpstr (joined_room_name (f, "!none:example.org", "", NULL), ==, "Empty Room");
}

static void
test_name_from_members (Fixture       *f,
                        gconstpointer  data)
{
  /* Synapse without a lazy-loading filter sends "summary": {}. */
  g_autofree char *carol = member ("@carol:example.org", "invite", "Carol");
  g_autofree char *bob = member ("@bob:example.org", "join", "Bob");
  g_autofree char *dave = member ("@dave:example.org", "leave", "Dave");
  g_autofree char *three = g_strjoin (",", carol, dave, bob, NULL);
  g_autofree char *seven = many_members (7);
  MatrixRoom *room;

  g_assert_cmpstr (joined_room_name (f, "!m:example.org", three, "{}"), ==, "Bob and Carol");
  /* Sorted by user id, five named, the rest counted. */
  g_assert_cmpstr (joined_room_name (f, "!big:example.org", seven, "{}"), ==,
                   "Bob, Carol, Dave, Eve, Frank and 2 others");

  /* A summary without heroes (only changed fields are sent) keeps the member-based name. */
  sync_rooms (f, "{\"join\": {\"!m:example.org\": {\"summary\": {\"m.joined_member_count\": 2}}}}");
  room = matrix_room_state_tracker_get_room (f->tracker, "!m:example.org");
  g_assert_cmpstr (matrix_room_get_display_name (room), ==, "Bob and Carol");

  /* Heroes arrive later, then only the counts change: the heroes stay. */
  sync_rooms (f, "{\"join\": {\"!m:example.org\": {\"summary\": {\"m.heroes\": [\"@bob:example.org\"],"
                 " \"m.joined_member_count\": 2, \"m.invited_member_count\": 0}}}}");
  g_assert_cmpstr (matrix_room_get_display_name (room), ==, "Bob");
  sync_rooms (f, "{\"join\": {\"!m:example.org\": {\"summary\": {\"m.joined_member_count\": 3}}}}");
  g_assert_cmpstr (matrix_room_get_display_name (room), ==, "Bob and 1 other");
}

static void
assert_member_name (MatrixRoom *room,
                    const char *user_id,
                    const char *expected)
{
  g_autofree char *name = matrix_room_dup_member_display_name (room, user_id);

  g_assert_cmpstr (name, ==, expected);
}

static void
test_member_disambiguation (Fixture       *f,
                            gconstpointer  data)
{
  g_autofree char *bob = member ("@bob:example.org", "join", "Bob");
  g_autofree char *bob2 = member ("@bob2:example.org", "join", "Bob");
  g_autofree char *carol = member ("@carol:example.org", "join", "Carol");
  g_autofree char *carol_left = member ("@carol2:example.org", "leave", "Carol");
  g_autofree char *dave = member ("@dave:example.org", "join", NULL);
  g_autofree char *all = g_strjoin (",", bob, bob2, carol, carol_left, dave, NULL);
  MatrixRoom *room;

  joined_room_name (f, "!d:example.org", all, "{}");
  room = matrix_room_state_tracker_get_room (f->tracker, "!d:example.org");

  assert_member_name (room, "@bob:example.org", "Bob (@bob:example.org)");
  assert_member_name (room, "@bob2:example.org", "Bob (@bob2:example.org)");
  /* Someone who left cannot be confused with a member. */
  assert_member_name (room, "@carol:example.org", "Carol");
  assert_member_name (room, "@dave:example.org", "@dave:example.org");
  assert_member_name (room, "@nobody:example.org", "@nobody:example.org");

  /* The room's own name uses the disambiguated names, by user id (":" sorts after "2"). */
  g_assert_cmpstr (matrix_room_get_display_name (room), ==,
                   "Bob (@bob2:example.org), Bob (@bob:example.org), Carol and @dave:example.org");
}

/* A name that pretends to be someone's id, one that is another member's
 * with invisible characters in it, one with an override that would turn
 * what follows it around, one of nothing visible, and one too long: each
 * is shown as what it is. */
static void
test_member_name_deceptive (Fixture       *f,
                            gconstpointer  data)
{
  g_autofree char *long_name = g_strnfill (1000, 'l');
  g_autofree char *alice = member ("@alice:example.org", "join", "Alice");
  g_autofree char *fake_alice = member ("@mallory:example.org", "join", "Al\u200bice\u2060");
  g_autofree char *fake_id = member ("@eve:example.org", "join", "@alice:example.org");
  g_autofree char *override = member ("@oscar:example.org", "join", "Oscar\u202e");
  g_autofree char *blank = member ("@blank:example.org", "join", "\u200b\u3164 ");
  g_autofree char *lengthy = member ("@long:example.org", "join", long_name);
  g_autofree char *all = g_strjoin (",", alice, fake_alice, fake_id, override, blank, lengthy, NULL);
  g_autofree char *long_shown = NULL;
  MatrixRoom *room;

  joined_room_name (f, "!deceit:example.org", all, NULL);
  room = matrix_room_state_tracker_get_room (f->tracker, "!deceit:example.org");

  assert_member_name (room, "@alice:example.org", "Alice (@alice:example.org)");
  assert_member_name (room, "@mallory:example.org", "Alice (@mallory:example.org)");
  assert_member_name (room, "@eve:example.org", "@alice:example.org (@eve:example.org)");
  assert_member_name (room, "@oscar:example.org", "Oscar");
  assert_member_name (room, "@blank:example.org", "@blank:example.org");
  long_shown = matrix_room_dup_member_display_name (room, "@long:example.org");
  g_assert_cmpuint (strlen (long_shown), ==, MATRIX_TEXT_MAX_NAME_BYTES);
}

/* A room's name cannot reverse or hide what the application writes after it. */
static void
test_room_name_cleaned (Fixture       *f,
                        gconstpointer  data)
{
  g_autofree char *name = state_event ("m.room.name", "", "{\"name\": \"\u202eYour bank\u200b\"}");

  g_assert_cmpstr (joined_room_name (f, "!rlo:example.org", name, NULL), ==, "Your bank");
}

/* The preview of a 60 KB message is its start, on one line, its
 * overrides closed. */
static void
test_preview_bounded (Fixture       *f,
                      gconstpointer  data)
{
  g_autofree char *me = member (ME, "join", "Me");
  g_autofree char *bob = member ("@bob:example.org", "join", "Bob");
  g_autofree char *big = g_strnfill (60000, 'x');
  g_autofree char *rooms = g_strdup_printf (
    "{\"join\": {\"!big:example.org\": {\"state\": {\"events\": [%s, %s]},"
    " \"timeline\": {\"limited\": false, \"events\": ["
    "{\"type\": \"m.room.message\", \"sender\": \"@bob:example.org\", \"event_id\": \"$big\","
    " \"origin_server_ts\": 5000, \"content\": {\"msgtype\": \"m.text\", \"body\": \"\u202e%s\\nz\"}}]}}}}",
    me, bob, big);
  const char *preview;

  sync_rooms (f, rooms);
  preview = matrix_room_get_last_message (matrix_room_state_tracker_get_room (f->tracker,
                                                                               "!big:example.org"));
  g_assert_true (g_str_has_prefix (preview, "Bob: \u202exxx"));
  g_assert_true (g_str_has_suffix (preview, "x…\u202c"));
  g_assert_cmpuint (g_utf8_strlen (preview, -1), <, 300);
}

static void
count_notify (GObject    *object,
              GParamSpec *pspec,
              guint      *counter)
{
  (*counter)++;
}

static void
test_properties (Fixture       *f,
                 gconstpointer  data)
{
  g_autofree char *topic = state_event ("m.room.topic", "", "{\"topic\": \"Talk <b>here</b>\"}");
  g_autofree char *avatar = state_event ("m.room.avatar", "", "{\"url\": \"mxc://example.org/abc\"}");
  g_autofree char *bob = member ("@bob:example.org", "join", "Bob");
  g_autofree char *state = g_strjoin (",", topic, avatar, bob, NULL);
  guint n_name = 0, n_unread = 0, n_last = 0;
  g_autofree char *name = NULL;
  MatrixRoom *room;

  joined_room_name (f, "!p:example.org", state, "{}");
  room = matrix_room_state_tracker_get_room (f->tracker, "!p:example.org");
  g_signal_connect (room, "notify::display-name", G_CALLBACK (count_notify), &n_name);
  g_signal_connect (room, "notify::notification-count", G_CALLBACK (count_notify), &n_unread);
  g_signal_connect (room, "notify::last-message", G_CALLBACK (count_notify), &n_last);

  g_assert_cmpstr (matrix_room_get_room_id (room), ==, "!p:example.org");
  g_assert_cmpstr (matrix_room_get_topic (room), ==, "Talk <b>here</b>");
  g_assert_cmpstr (matrix_room_get_avatar_url (room), ==, "mxc://example.org/abc");
  g_assert_cmpint (matrix_room_get_membership (room), ==, MATRIX_MEMBERSHIP_JOIN);
  g_assert_null (matrix_room_get_last_message (room));
  g_assert_null (matrix_room_get_inviter (room));
  g_assert_true (matrix_room_get_client (room) == f->client);
  g_assert_nonnull (matrix_room_get_timeline (room));

  sync_rooms (f,
    "{\"join\": {\"!p:example.org\": {"
    " \"timeline\": {\"events\": ["
    "  {\"type\": \"m.room.message\", \"sender\": \"@bob:example.org\", \"event_id\": \"$1\","
    "   \"origin_server_ts\": 7000, \"content\": {\"msgtype\": \"m.text\", \"body\": \"hi\\nthere\"}},"
    "  {\"type\": \"m.room.name\", \"state_key\": \"\", \"sender\": \"@bob:example.org\", \"event_id\": \"$2\","
    "   \"origin_server_ts\": 7001, \"content\": {\"name\": \"Porch\"}},"
    "  {\"type\": \"m.reaction\", \"sender\": \"@bob:example.org\", \"event_id\": \"$3\","
    "   \"origin_server_ts\": 7002, \"content\": {}}],"
    "  \"limited\": false, \"prev_batch\": \"p\"},"
    " \"unread_notifications\": {\"notification_count\": 3, \"highlight_count\": 1}}}}");

  g_assert_cmpstr (matrix_room_get_display_name (room), ==, "Porch");
  g_assert_cmpuint (n_name, ==, 1);
  /* The newest message, on one line; it is the activity too (a rename or a
   * reaction is no news). */
  g_assert_cmpstr (matrix_room_get_last_message (room), ==, "Bob: hi there");
  g_assert_cmpuint (n_last, ==, 1);
  g_assert_cmpint (matrix_room_get_last_activity (room), ==, 7000);
  g_assert_cmpuint (matrix_room_get_notification_count (room), ==, 3);
  g_assert_cmpuint (matrix_room_get_highlight_count (room), ==, 1);
  g_assert_cmpuint (n_unread, ==, 1);

  g_object_get (room, "display-name", &name, NULL);
  g_assert_cmpstr (name, ==, "Porch");

  sync_rooms (f, "{\"join\": {\"!p:example.org\": {\"unread_notifications\": {\"notification_count\": 0,"
                 " \"highlight_count\": 0}}}}");
  g_assert_cmpuint (matrix_room_get_notification_count (room), ==, 0);
  g_assert_cmpuint (matrix_room_get_highlight_count (room), ==, 0);
  g_assert_cmpuint (n_unread, ==, 2);
}

/* --- invites -------------------------------------------------------------- */

static const char invite_sync[] =
  "{\"invite\": {"
  " \"!named:example.org\": {\"invite_state\": {\"events\": ["
  "  {\"type\": \"m.room.name\", \"state_key\": \"\", \"sender\": \"@bob:example.org\","
  "   \"content\": {\"name\": \"Secret Club\"}},"
  "  {\"type\": \"m.room.member\", \"state_key\": \"" ME "\", \"sender\": \"@bob:example.org\","
  "   \"content\": {\"membership\": \"invite\"}}]}},"
  " \"!dm:example.org\": {\"invite_state\": {\"events\": ["
  "  {\"type\": \"m.room.member\", \"state_key\": \"@carol:example.org\", \"sender\": \"@carol:example.org\","
  "   \"content\": {\"membership\": \"join\", \"displayname\": \"Carol\"}},"
  "  {\"type\": \"m.room.member\", \"state_key\": \"" ME "\", \"sender\": \"@carol:example.org\","
  "   \"content\": {\"membership\": \"invite\"}}]}},"
  " \"!bare:example.org\": {\"invite_state\": {\"events\": ["
  "  {\"type\": \"m.room.member\", \"state_key\": \"" ME "\", \"sender\": \"@dave:example.org\","
  "   \"content\": {\"membership\": \"invite\"}}]}}"
  "}}";

static void
test_invite_appears (Fixture       *f,
                     gconstpointer  data)
{
  MatrixRoom *named, *dm, *bare;

  sync_rooms (f, invite_sync);
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (f->tracker)), ==, 3);

  named = matrix_room_state_tracker_get_room (f->tracker, "!named:example.org");
  dm = matrix_room_state_tracker_get_room (f->tracker, "!dm:example.org");
  bare = matrix_room_state_tracker_get_room (f->tracker, "!bare:example.org");

  g_assert_cmpint (matrix_room_get_membership (named), ==, MATRIX_MEMBERSHIP_INVITE);
  g_assert_cmpstr (matrix_room_get_display_name (named), ==, "Secret Club");
  g_assert_cmpstr (matrix_room_get_inviter (named), ==, "@bob:example.org");

  g_assert_cmpint (matrix_room_get_membership (dm), ==, MATRIX_MEMBERSHIP_INVITE);
  g_assert_cmpstr (matrix_room_get_display_name (dm), ==, "Carol");
  g_assert_cmpstr (matrix_room_get_inviter (dm), ==, "@carol:example.org");

  /* Nothing but our own invite: named after who invited us. */
  g_assert_cmpstr (matrix_room_get_display_name (bare), ==, "@dave:example.org");
  g_assert_cmpstr (matrix_room_get_inviter (bare), ==, "@dave:example.org");

  /* Invites have no timeline yet. */
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (matrix_room_get_timeline (named))), ==, 0);
}

static void
test_invite_accept (Fixture       *f,
                    gconstpointer  data)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *me = member (ME, "join", "Me");
  g_autofree char *rooms = NULL;
  MatrixRoom *room;
  FakeRequest *request;
  guint n_membership = 0;

  sync_rooms (f, invite_sync);
  room = matrix_room_state_tracker_get_room (f->tracker, "!named:example.org");
  g_signal_connect (room, "notify::membership", G_CALLBACK (count_notify), &n_membership);

  fake_homeserver_queue_json (f->server, "POST", "/_matrix/client/v3/join/%21named%3Aexample.org", 200,
                              "{\"room_id\": \"!named:example.org\"}", FALSE);
  matrix_room_join_async (room, NULL, store_result, &result);
  wait_for_pointer ((gpointer *) &result, 5000);
  g_assert_true (matrix_room_join_finish (room, result, &error));
  g_assert_no_error (error);
  request = fake_homeserver_get_last_request (f->server);
  g_assert_cmpstr (request->path, ==, "/_matrix/client/v3/join/!named:example.org");

  g_assert_cmpint (matrix_room_get_membership (room), ==, MATRIX_MEMBERSHIP_JOIN);
  g_assert_cmpuint (n_membership, ==, 1);
  /* Until the sync brings the room's state, the invite's is shown. */
  g_assert_cmpstr (matrix_room_get_display_name (room), ==, "Secret Club");
  g_assert_true (matrix_room_state_tracker_get_room (f->tracker, "!named:example.org") == room);

  /* The next sync has the room in rooms.join, with its real state. */
  rooms = g_strdup_printf ("{\"join\": {\"!named:example.org\": {\"state\": {\"events\": ["
                           "{\"type\": \"m.room.name\", \"state_key\": \"\", \"sender\": \"@bob:example.org\","
                           " \"event_id\": \"$n\", \"origin_server_ts\": 1, \"content\": {\"name\": \"Club\"}}]},"
                           " \"timeline\": {\"events\": [%s], \"limited\": false, \"prev_batch\": \"p\"}}}}", me);
  sync_rooms (f, rooms);
  g_assert_cmpint (matrix_room_get_membership (room), ==, MATRIX_MEMBERSHIP_JOIN);
  g_assert_cmpstr (matrix_room_get_display_name (room), ==, "Club");
  g_assert_null (matrix_room_get_inviter (room));
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (f->tracker)), ==, 3);
}

static void
test_invite_decline (Fixture       *f,
                     gconstpointer  data)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(ItemsChangedRecorder) changes = NULL;
  g_autoptr(MatrixRoom) room = NULL;
  g_autoptr(JsonObject) data_after = NULL;
  g_autofree char *position = NULL;
  guint i;

  sync_rooms (f, invite_sync);
  room = g_object_ref (matrix_room_state_tracker_get_room (f->tracker, "!dm:example.org"));
  for (i = 0; i < 3; i++)
    {
      g_autoptr(MatrixRoom) item = g_list_model_get_item (G_LIST_MODEL (f->tracker), i);
      if (item == room)
        break;
    }
  position = g_strdup_printf ("%u,1,0", i);
  changes = items_changed_recorder_new (G_LIST_MODEL (f->tracker));

  fake_homeserver_queue_json (f->server, "POST", "/_matrix/client/v3/rooms/%21dm%3Aexample.org/leave",
                              200, "{}", FALSE);
  matrix_room_leave_async (room, NULL, store_result, &result);
  wait_for_pointer ((gpointer *) &result, 5000);
  g_assert_true (matrix_room_leave_finish (room, result, &error));
  g_assert_no_error (error);

  g_assert_cmpint (matrix_room_get_membership (room), ==, MATRIX_MEMBERSHIP_LEAVE);
  g_assert_null (matrix_room_state_tracker_get_room (f->tracker, "!dm:example.org"));
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (f->tracker)), ==, 2);
  items_changed_recorder_check (changes, position);
  /* Kept only as "left", so the next start does not list it. */
  data_after = matrix_store_get_room_data (f->store, "!dm:example.org");
  g_assert_cmpstr (json_object_get_string_member (data_after, "membership"), ==, "leave");

  /* The server then lists it under rooms.leave: it stays gone. */
  sync_rooms (f, "{\"leave\": {\"!dm:example.org\": {\"timeline\": {\"events\": ["
                 "{\"type\": \"m.room.member\", \"state_key\": \"" ME "\", \"sender\": \"" ME "\","
                 " \"event_id\": \"$l\", \"origin_server_ts\": 9, \"content\": {\"membership\": \"leave\"}}],"
                 " \"limited\": false}}}}");
  g_assert_null (matrix_room_state_tracker_get_room (f->tracker, "!dm:example.org"));
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (f->tracker)), ==, 2);
  items_changed_recorder_check (changes, "");
}

static void
test_join_failure (Fixture       *f,
                   gconstpointer  data)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  MatrixRoom *room;

  sync_rooms (f, invite_sync);
  room = matrix_room_state_tracker_get_room (f->tracker, "!bare:example.org");

  fake_homeserver_queue_json (f->server, "POST", "/_matrix/client/v3/join/%21bare%3Aexample.org", 403,
                              "{\"errcode\": \"M_FORBIDDEN\", \"error\": \"no\"}", FALSE);
  matrix_room_join_async (room, NULL, store_result, &result);
  wait_for_pointer ((gpointer *) &result, 5000);
  g_assert_false (matrix_room_join_finish (room, result, &error));
  g_assert_error (error, MATRIX_ERROR, MATRIX_ERROR_FORBIDDEN);
  g_assert_cmpint (matrix_room_get_membership (room), ==, MATRIX_MEMBERSHIP_INVITE);
}

static void
test_avatar (Fixture       *f,
             gconstpointer  data)
{
  g_autofree char *bob = state_event ("m.room.member", "@bob:example.org",
                                      "{\"membership\": \"join\", \"displayname\": \"Bob\","
                                      " \"avatar_url\": \"mxc://example.org/bob\"}");
  g_autofree char *carol = state_event ("m.room.member", "@carol:example.org",
                                        "{\"membership\": \"join\", \"avatar_url\": \"mxc://example.org/carol\"}");
  g_autofree char *avatar = state_event ("m.room.avatar", "", "{\"url\": \"mxc://example.org/room\"}");
  g_autofree char *name = state_event ("m.room.name", "", "{\"name\": \"Named\"}");
  g_autofree char *bob_and_avatar = g_strconcat (bob, ",", avatar, NULL);
  g_autofree char *bob_and_name = g_strconcat (bob, ",", name, NULL);
  g_autofree char *bob_and_carol = g_strconcat (bob, ",", carol, NULL);
  const char *two = "{\"m.heroes\": [\"@bob:example.org\"], \"m.joined_member_count\": 2,"
                    " \"m.invited_member_count\": 0}";
  const char *three = "{\"m.heroes\": [\"@bob:example.org\", \"@carol:example.org\"],"
                      " \"m.joined_member_count\": 3, \"m.invited_member_count\": 0}";

  /* The room's own image first. */
  joined_room_name (f, "!own:example.org", bob_and_avatar, two);
  g_assert_cmpstr (matrix_room_get_avatar_url (matrix_room_state_tracker_get_room (f->tracker, "!own:example.org")),
                   ==, "mxc://example.org/room");
  /* An unnamed room of two looks like the other member. */
  joined_room_name (f, "!dm:example.org", bob, two);
  g_assert_cmpstr (matrix_room_get_avatar_url (matrix_room_state_tracker_get_room (f->tracker, "!dm:example.org")),
                   ==, "mxc://example.org/bob");
  /* A named room, or one of three, has no face to borrow. */
  joined_room_name (f, "!named:example.org", bob_and_name, two);
  g_assert_null (matrix_room_get_avatar_url (matrix_room_state_tracker_get_room (f->tracker, "!named:example.org")));
  joined_room_name (f, "!group:example.org", bob_and_carol, three);
  g_assert_null (matrix_room_get_avatar_url (matrix_room_state_tracker_get_room (f->tracker, "!group:example.org")));
}

/* --- the preview ------------------------------------------------------------ */

/* A room with Bob (as "Bob") and his message "hi". */
static MatrixRoom *
room_with_message (Fixture    *f,
                   const char *room_id)
{
  g_autofree char *me = member (ME, "join", "Me");
  g_autofree char *bob = member ("@bob:example.org", "join", "Bob");
  g_autofree char *rooms = g_strdup_printf (
    "{\"join\": {\"%s\": {\"state\": {\"events\": [%s, %s]},"
    " \"timeline\": {\"limited\": false, \"events\": ["
    "{\"type\": \"m.room.message\", \"sender\": \"@bob:example.org\", \"event_id\": \"$hi\","
    " \"origin_server_ts\": 5000, \"content\": {\"msgtype\": \"m.text\", \"body\": \"hi\"}}]}}}}",
    room_id, me, bob);

  sync_rooms (f, rooms);
  return matrix_room_state_tracker_get_room (f->tracker, room_id);
}

/* A rename in the timeline (as a server sends it) renames the preview's
 * sender at once, as it does the room's name, not only after a restart. */
static void
test_preview_follows_rename (Fixture       *f,
                             gconstpointer  data)
{
  MatrixRoom *room = room_with_message (f, "!rename:example.org");
  guint n_last = 0;

  g_assert_cmpstr (matrix_room_get_last_message (room), ==, "Bob: hi");
  g_signal_connect (room, "notify::last-message", G_CALLBACK (count_notify), &n_last);

  sync_rooms (f, "{\"join\": {\"!rename:example.org\": {\"timeline\": {\"limited\": false, \"events\": ["
                 "{\"type\": \"m.room.member\", \"state_key\": \"@bob:example.org\","
                 " \"sender\": \"@bob:example.org\", \"event_id\": \"$rename\", \"origin_server_ts\": 6000,"
                 " \"content\": {\"membership\": \"join\", \"displayname\": \"Robert\"},"
                 " \"unsigned\": {\"prev_content\": {\"membership\": \"join\", \"displayname\": \"Bob\"}}}]}}}}");
  g_assert_cmpstr (matrix_room_get_last_message (room), ==, "Robert: hi");
  g_assert_cmpuint (n_last, ==, 1);

  /* The same from the state section of a limited sync. */
  sync_rooms (f, "{\"join\": {\"!rename:example.org\": {\"state\": {\"events\": ["
                 "{\"type\": \"m.room.member\", \"state_key\": \"@bob:example.org\","
                 " \"sender\": \"@bob:example.org\", \"event_id\": \"$rename2\", \"origin_server_ts\": 7000,"
                 " \"content\": {\"membership\": \"join\", \"displayname\": \"Rob\"}}]}}}}");
  g_assert_cmpstr (matrix_room_get_last_message (room), ==, "Rob: hi");
  g_assert_cmpuint (n_last, ==, 2);
}

/* Someone who left is still called by the name they had: a leave carries
 * none, but the server sends what it replaced. */
static void
test_departed_member_name (Fixture       *f,
                           gconstpointer  data)
{
  MatrixRoom *room = room_with_message (f, "!gone:example.org");

  g_assert_cmpstr (matrix_room_get_display_name (room), ==, "Bob");
  sync_rooms (f, "{\"join\": {\"!gone:example.org\": {\"timeline\": {\"limited\": false, \"events\": ["
                 "{\"type\": \"m.room.member\", \"state_key\": \"@bob:example.org\","
                 " \"sender\": \"@carol:example.org\", \"event_id\": \"$kick\", \"origin_server_ts\": 6000,"
                 " \"content\": {\"membership\": \"leave\", \"reason\": \"spam\"},"
                 " \"unsigned\": {\"prev_content\": {\"membership\": \"join\", \"displayname\": \"Bob\"}}}]}}}}");

  assert_member_name (room, "@bob:example.org", "Bob");
  g_assert_cmpstr (matrix_room_get_last_message (room), ==, "Bob: hi");
  g_assert_cmpstr (matrix_room_get_display_name (room), ==, "Empty Room (was Bob)");
}

/* An edit of @target by @sender, saying @body (its fallback "* body"). */
static char *
edit_event (const char *event_id,
            const char *sender,
            const char *target,
            const char *body,
            gint64      ts)
{
  return g_strdup_printf ("{\"type\": \"m.room.message\", \"sender\": \"%s\", \"event_id\": \"%s\","
                          " \"origin_server_ts\": %" G_GINT64_FORMAT ", \"content\": {\"msgtype\": \"m.text\","
                          " \"body\": \"* %s\", \"m.new_content\": {\"msgtype\": \"m.text\", \"body\": \"%s\"},"
                          " \"m.relates_to\": {\"rel_type\": \"m.replace\", \"event_id\": \"%s\"}}}",
                          sender, event_id, ts, body, body, target);
}

static void
sync_timeline (Fixture    *f,
               const char *room_id,
               const char *events)
{
  g_autofree char *rooms = g_strdup_printf ("{\"join\": {\"%s\": {\"timeline\": {\"limited\": false,"
                                            " \"events\": [%s]}}}}", room_id, events);

  sync_rooms (f, rooms);
}

/* The preview is the newest message as it now reads: an edit changes it
 * when it edits that message, and is never itself the preview; nor is a
 * reaction. */
static void
test_preview_applies_edits (Fixture       *f,
                            gconstpointer  data)
{
  MatrixRoom *room = room_with_message (f, "!edit:example.org");
  g_autofree char *edit1 = edit_event ("$e1", "@bob:example.org", "$hi", "hello", 5001);
  g_autofree char *old_edit = edit_event ("$e2", "@bob:example.org", "$older", "what", 5002);
  g_autofree char *forged = edit_event ("$e3", "@carol:example.org", "$hi", "forged", 5003);
  g_autofree char *next = g_strdup (
    "{\"type\": \"m.room.message\", \"sender\": \"@bob:example.org\", \"event_id\": \"$next\","
    " \"origin_server_ts\": 6000, \"content\": {\"msgtype\": \"m.emote\", \"body\": \"waves\"}}");
  g_autofree char *edit2 = g_strdup (
    "{\"type\": \"m.room.message\", \"sender\": \"@bob:example.org\", \"event_id\": \"$e4\","
    " \"origin_server_ts\": 6001, \"content\": {\"msgtype\": \"m.emote\", \"body\": \"* waves (EDITED)\","
    " \"m.new_content\": {\"msgtype\": \"m.emote\", \"body\": \"waves back\"},"
    " \"m.relates_to\": {\"rel_type\": \"m.replace\", \"event_id\": \"$next\"}}}");
  g_autofree char *next_and_edit = g_strjoin (",", next, edit2, NULL);
  g_autofree char *edit3 = edit_event ("$e5", "@bob:example.org", "$next", "last word", 6002);

  g_assert_cmpstr (matrix_room_get_last_message (room), ==, "Bob: hi");

  sync_timeline (f, "!edit:example.org", edit1);
  g_assert_cmpstr (matrix_room_get_last_message (room), ==, "Bob: hello");

  /* An edit of an older message, a reaction, an edit by someone else. */
  sync_timeline (f, "!edit:example.org", old_edit);
  g_assert_cmpstr (matrix_room_get_last_message (room), ==, "Bob: hello");
  sync_timeline (f, "!edit:example.org",
                 "{\"type\": \"m.reaction\", \"sender\": \"@bob:example.org\", \"event_id\": \"$like\","
                 " \"origin_server_ts\": 5005, \"content\": {\"m.relates_to\": {\"rel_type\": \"m.annotation\","
                 " \"event_id\": \"$hi\", \"key\": \"x\"}}}");
  g_assert_cmpstr (matrix_room_get_last_message (room), ==, "Bob: hello");
  sync_timeline (f, "!edit:example.org", forged);
  g_assert_cmpstr (matrix_room_get_last_message (room), ==, "Bob: hello");

  /* A message and its edit in one sync; then a later edit. */
  sync_timeline (f, "!edit:example.org", next_and_edit);
  g_assert_cmpstr (matrix_room_get_last_message (room), ==, "* Bob waves back");
  sync_timeline (f, "!edit:example.org", edit3);
  g_assert_cmpstr (matrix_room_get_last_message (room), ==, "Bob: last word");

  /* The last edit deleted: the one before it shows again. */
  sync_timeline (f, "!edit:example.org",
                 "{\"type\": \"m.room.redaction\", \"sender\": \"@bob:example.org\", \"redacts\": \"$e5\","
                 " \"event_id\": \"$r\", \"origin_server_ts\": 7000, \"content\": {}}");
  g_assert_cmpstr (matrix_room_get_last_message (room), ==, "* Bob waves back");

  /* A message deleted in the very sync that brings it never shows. */
  sync_timeline (f, "!edit:example.org",
                 "{\"type\": \"m.room.message\", \"sender\": \"@bob:example.org\", \"event_id\": \"$oops\","
                 " \"origin_server_ts\": 8000, \"content\": {\"msgtype\": \"m.text\", \"body\": \"oops\"}},"
                 "{\"type\": \"m.room.redaction\", \"sender\": \"@bob:example.org\", \"redacts\": \"$oops\","
                 " \"event_id\": \"$r2\", \"origin_server_ts\": 8001, \"content\": {}}");
  g_assert_cmpstr (matrix_room_get_last_message (room), ==, "* Bob waves back");
}

#define READ_MARKERS "/_matrix/client/v3/rooms/%21read%3Aexample.org/read_markers"

static MatrixRoom *
room_with_unread (Fixture *f)
{
  g_autofree char *me = member (ME, "join", "Me");
  g_autofree char *rooms = g_strdup_printf (
    "{\"join\": {\"!read:example.org\": {\"state\": {\"events\": [%s]},"
    " \"timeline\": {\"limited\": false, \"events\": ["
    "{\"type\": \"m.room.message\", \"sender\": \"@bob:example.org\", \"event_id\": \"$r1\","
    " \"origin_server_ts\": 1, \"content\": {\"msgtype\": \"m.text\", \"body\": \"one\"}},"
    "{\"type\": \"m.room.message\", \"sender\": \"@bob:example.org\", \"event_id\": \"$r2\","
    " \"origin_server_ts\": 2, \"content\": {\"msgtype\": \"m.text\", \"body\": \"two\"}}]},"
    " \"unread_notifications\": {\"notification_count\": 2, \"highlight_count\": 1}}}}", me);

  sync_rooms (f, rooms);
  return matrix_room_state_tracker_get_room (f->tracker, "!read:example.org");
}

static gboolean
mark_read (MatrixRoom  *room,
           GError     **error)
{
  g_autoptr(GAsyncResult) result = NULL;

  matrix_room_mark_read_async (room, NULL, store_result, &result);
  wait_for_pointer ((gpointer *) &result, 5000);
  return matrix_room_mark_read_finish (room, result, error);
}

static void
test_mark_read (Fixture       *f,
                gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) body = NULL;
  g_autoptr(JsonObject) saved = NULL;
  MatrixRoom *room = room_with_unread (f);
  FakeRequest *request;
  JsonObject *unread;
  guint n_notify = 0;

  g_assert_cmpuint (matrix_room_get_notification_count (room), ==, 2);
  g_assert_cmpuint (matrix_room_get_highlight_count (room), ==, 1);
  g_signal_connect (room, "notify::notification-count", G_CALLBACK (count_notify), &n_notify);

  fake_homeserver_queue_json (f->server, "POST", READ_MARKERS, 200, "{}", FALSE);
  g_assert_true (mark_read (room, &error));
  g_assert_no_error (error);

  /* Both markers on the newest event. */
  request = fake_homeserver_get_last_request (f->server);
  g_assert_cmpstr (request->path, ==, "/_matrix/client/v3/rooms/!read:example.org/read_markers");
  body = json_from_string (g_bytes_get_data (request->body, NULL), &error);
  g_assert_no_error (error);
  g_assert_cmpstr (json_object_get_string_member (json_node_get_object (body), "m.read"), ==, "$r2");
  g_assert_cmpstr (json_object_get_string_member (json_node_get_object (body), "m.fully_read"), ==, "$r2");

  /* The counts are zero, said once, and saved for the next start. */
  g_assert_cmpuint (matrix_room_get_notification_count (room), ==, 0);
  g_assert_cmpuint (matrix_room_get_highlight_count (room), ==, 0);
  g_assert_cmpuint (n_notify, ==, 1);
  saved = matrix_store_get_room_data (f->store, "!read:example.org");
  unread = json_object_get_object_member (saved, "unread_notifications");
  g_assert_cmpint (json_object_get_int_member (unread, "notification_count"), ==, 0);

  /* Nothing newer: nothing is sent (an unmatched request would fail). */
  g_assert_true (mark_read (room, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (fake_homeserver_count_requests (f->server, "POST", request->path), ==, 1);
}

static void
test_mark_read_failure (Fixture       *f,
                        gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  MatrixRoom *room = room_with_unread (f);
  const char *path = "/_matrix/client/v3/rooms/!read:example.org/read_markers";

  fake_homeserver_queue_json (f->server, "POST", READ_MARKERS, 500,
                              "{\"errcode\": \"M_UNKNOWN\", \"error\": \"busy\"}", FALSE);
  g_assert_false (mark_read (room, &error));
  g_assert_error (error, MATRIX_ERROR, MATRIX_ERROR_SERVER);
  g_clear_error (&error);
  g_assert_cmpuint (matrix_room_get_notification_count (room), ==, 2);

  /* The same event is tried again on the next call. */
  fake_homeserver_queue_json (f->server, "POST", READ_MARKERS, 200, "{}", FALSE);
  g_assert_true (mark_read (room, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (fake_homeserver_count_requests (f->server, "POST", path), ==, 2);
  g_assert_cmpuint (matrix_room_get_notification_count (room), ==, 0);
}

static void
test_mark_read_newer_event_keeps_counts (Fixture       *f,
                                         gconstpointer  data)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  MatrixRoom *room = room_with_unread (f);
  const char *path = "/_matrix/client/v3/rooms/!read:example.org/read_markers";

  /* A message arrives while the markers are on their way: its count is the
   * server's to say, so the room does not claim to be read. */
  fake_homeserver_queue_held (f->server, "POST", READ_MARKERS, 200, "application/json", "{}");
  matrix_room_mark_read_async (room, NULL, store_result, &result);
  g_assert_true (test_iterate_until ((gboolean (*) (gpointer)) fake_homeserver_get_n_held, f->server, 5000));
  sync_rooms (f, "{\"join\": {\"!read:example.org\": {\"timeline\": {\"limited\": false, \"events\": ["
                 "{\"type\": \"m.room.message\", \"sender\": \"@bob:example.org\", \"event_id\": \"$r3\","
                 " \"origin_server_ts\": 3, \"content\": {\"msgtype\": \"m.text\", \"body\": \"three\"}}]},"
                 " \"unread_notifications\": {\"notification_count\": 3, \"highlight_count\": 1}}}}");
  g_assert_cmpuint (fake_homeserver_release (f->server), ==, 1);
  wait_for_pointer ((gpointer *) &result, 5000);
  g_assert_true (matrix_room_mark_read_finish (room, result, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (matrix_room_get_notification_count (room), ==, 3);

  /* Marking again moves the markers to the new event. */
  fake_homeserver_queue_json (f->server, "POST", READ_MARKERS, 200, "{}", FALSE);
  g_assert_true (mark_read (room, &error));
  g_assert_cmpuint (fake_homeserver_count_requests (f->server, "POST", path), ==, 2);
  g_assert_cmpuint (matrix_room_get_notification_count (room), ==, 0);
}


/* --- typing and receipts ------------------------------------------------------ */

#define EPHEMERAL_ROOM "!chat:example.org"

static void
sync_ephemeral (Fixture    *f,
                const char *ephemeral,
                const char *account_data)
{
  g_autofree char *rooms =
    g_strdup_printf ("{\"join\": {\"" EPHEMERAL_ROOM "\": {"
                     "\"timeline\": {\"events\": [{\"type\": \"m.room.message\", \"sender\": \"@bob:example.org\","
                     " \"event_id\": \"$m%u\", \"origin_server_ts\": %u, \"content\": {\"msgtype\": \"m.text\","
                     " \"body\": \"hi\"}}]},"
                     "\"ephemeral\": {\"events\": [%s]}, \"account_data\": {\"events\": [%s]}}}}",
                     f->n_syncs + 1, 1000 + f->n_syncs, ephemeral, account_data);

  sync_rooms (f, rooms);
}

static void
count_emission (guint *counter)
{
  (*counter)++;
}

static char *
joined_strv (const char * const *strv)
{
  return g_strjoinv (" ", (GStrv) strv);
}

static void
test_typing_users (Fixture       *f,
                   gconstpointer  data)
{
  MatrixRoom *room;
  g_autofree char *typing = NULL;
  guint n_notify = 0;

  /* We are never among those typing; an odd entry is left out. */
  sync_ephemeral (f, "{\"type\": \"m.typing\", \"content\": {\"user_ids\": [\"@bob:example.org\","
                     " \"" ME "\", 7, \"@carol:example.org\"]}}", "");
  room = matrix_room_state_tracker_get_room (f->tracker, EPHEMERAL_ROOM);
  typing = joined_strv (matrix_room_get_typing_users (room));
  g_assert_cmpstr (typing, ==, "@bob:example.org @carol:example.org");
  g_signal_connect_swapped (room, "notify::typing-users", G_CALLBACK (count_emission), &n_notify);

  /* The same list again changes nothing; an empty one clears it. */
  sync_ephemeral (f, "{\"type\": \"m.typing\", \"content\": {\"user_ids\": [\"@bob:example.org\","
                     " \"@carol:example.org\"]}}", "");
  g_assert_cmpuint (n_notify, ==, 0);
  sync_ephemeral (f, "{\"type\": \"m.typing\", \"content\": {\"user_ids\": []}}, {\"type\": 5}", "");
  g_assert_cmpuint (n_notify, ==, 1);
  g_assert_null (matrix_room_get_typing_users (room)[0]);
}

static void
test_receipts_and_fully_read (Fixture       *f,
                              gconstpointer  data)
{
  MatrixRoom *room;
  guint n_changed = 0;
  g_auto(GStrv) readers = NULL;
  g_autoptr(MatrixRoomStateTracker) restarted = NULL;

  sync_ephemeral (f,
                  "{\"type\": \"m.receipt\", \"content\": {"
                  "  \"$m1\": {\"m.read\": {\"@bob:example.org\": {\"ts\": 10}, \"@carol:example.org\": {\"ts\": 11}}},"
                  "  \"$x\": {\"m.read\": {\"@dave:example.org\": {\"ts\": 12, \"thread_id\": \"$root\"}}}}}",
                  "{\"type\": \"m.fully_read\", \"content\": {\"event_id\": \"$m1\"}}");
  room = matrix_room_state_tracker_get_room (f->tracker, EPHEMERAL_ROOM);
  g_signal_connect_swapped (room, "receipts-changed", G_CALLBACK (count_emission), &n_changed);
  g_assert_cmpstr (matrix_room_get_read_receipt (room, "@bob:example.org"), ==, "$m1");
  /* A receipt in another thread says nothing of the main timeline. */
  g_assert_null (matrix_room_get_read_receipt (room, "@dave:example.org"));
  readers = matrix_room_dup_readers (room, "$m1");
  g_assert_cmpuint (g_strv_length (readers), ==, 2);
  g_assert_cmpstr (readers[0], ==, "@bob:example.org");
  g_assert_cmpstr (matrix_room_get_fully_read (room), ==, "$m1");

  /* Bob reads on; an older receipt coming late does not move Carol back;
   * our private receipt is newer than our public one. */
  sync_ephemeral (f,
                  "{\"type\": \"m.receipt\", \"content\": {"
                  "  \"$m2\": {\"m.read\": {\"@bob:example.org\": {\"ts\": 20}, \"" ME "\": {\"ts\": 21}}},"
                  "  \"$m0\": {\"m.read\": {\"@carol:example.org\": {\"ts\": 5}}},"
                  "  \"$m3\": {\"m.read.private\": {\"" ME "\": {\"ts\": 30}}}}}",
                  "{\"type\": \"m.fully_read\", \"content\": {\"event_id\": \"$m2\"}}");
  g_assert_cmpuint (n_changed, ==, 1);
  g_assert_cmpstr (matrix_room_get_read_receipt (room, "@bob:example.org"), ==, "$m2");
  g_assert_cmpstr (matrix_room_get_read_receipt (room, "@carol:example.org"), ==, "$m1");
  g_assert_cmpstr (matrix_room_get_read_receipt (room, ME), ==, "$m3");
  g_assert_cmpstr (matrix_room_get_fully_read (room), ==, "$m2");

  /* Kept with the room: a restart still knows them. */
  restarted = matrix_room_state_tracker_new (f->client);
  room = matrix_room_state_tracker_get_room (restarted, EPHEMERAL_ROOM);
  g_assert_cmpstr (matrix_room_get_read_receipt (room, "@bob:example.org"), ==, "$m2");
  g_assert_cmpstr (matrix_room_get_read_receipt (room, ME), ==, "$m3");
  g_assert_cmpstr (matrix_room_get_fully_read (room), ==, "$m2");
  g_assert_null (matrix_room_get_typing_users (room)[0]);
}

static void
test_typing_sent_and_stopped (Fixture       *f,
                              gconstpointer  data)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(JsonNode) body = NULL;
  MatrixTimeline *timeline;
  FakeRequest *request;
  GPtrArray *requests;
  guint n;

  /* A room the client knows to be unencrypted: it may send there. */
  store_add_room (f->store, EPHEMERAL_ROOM, FALSE);
  sync_ephemeral (f, "", "");
  timeline = matrix_room_get_timeline (matrix_room_state_tracker_get_room (f->tracker, EPHEMERAL_ROOM));

  fake_homeserver_queue_json (f->server, "PUT",
                              "/_matrix/client/v3/rooms/%21chat%3Aexample.org/typing/%40me%3Aexample.org",
                              200, "{}", TRUE);
  fake_homeserver_queue_json (f->server, "PUT",
                              "/_matrix/client/v3/rooms/%21chat%3Aexample.org/send/m.room.message/*",
                              200, "{\"event_id\": \"$sent\"}", FALSE);
  matrix_client_set_typing_async (f->client, EPHEMERAL_ROOM, TRUE, 0, NULL, store_result, &result);
  wait_for_pointer ((gpointer *) &result, 5000);
  g_assert_true (matrix_client_set_typing_finish (f->client, result, NULL));
  request = fake_homeserver_get_last_request (f->server);
  body = fake_request_parse_json (request);
  g_assert_cmpstr (request->path, ==, "/_matrix/client/v3/rooms/" EPHEMERAL_ROOM "/typing/" ME);
  g_assert_true (json_object_get_boolean_member (json_node_get_object (body), "typing"));
  g_assert_cmpint (json_object_get_int_member (json_node_get_object (body), "timeout"), ==, 30000);
  g_clear_pointer (&body, json_node_unref);

  /* Sending the message says we stopped. */
  n = fake_homeserver_get_requests (f->server)->len;
  matrix_timeline_send_message_async (timeline, MATRIX_MESSAGE_TEXT, "done typing", NULL, NULL, NULL,
                                      NULL, NULL);
  fake_homeserver_wait_for_requests (f->server, n + 2, 5000);
  requests = fake_homeserver_get_requests (f->server);
  for (guint i = n; i < requests->len; i++)
    {
      request = requests->pdata[i];
      if (g_str_has_suffix (request->path, "/typing/" ME))
        body = fake_request_parse_json (request);
    }
  g_assert_nonnull (body);
  g_assert_false (json_object_get_boolean_member (json_node_get_object (body), "typing"));
  g_assert_false (json_object_has_member (json_node_get_object (body), "timeout"));

  /* Once: the next message sends no typing at all. */
  n = requests->len;
  fake_homeserver_queue_json (f->server, "PUT",
                              "/_matrix/client/v3/rooms/%21chat%3Aexample.org/send/m.room.message/*",
                              200, "{\"event_id\": \"$sent2\"}", FALSE);
  matrix_timeline_send_message_async (timeline, MATRIX_MESSAGE_TEXT, "again", NULL, NULL, NULL,
                                      NULL, NULL);
  fake_homeserver_wait_for_requests (f->server, n + 1, 5000);
  iterate_for (50);
  g_assert_cmpuint (fake_homeserver_get_requests (f->server)->len, ==, n + 1);
}

static void
test_receipt_sent (Fixture       *f,
                   gconstpointer  data)
{
  g_autoptr(GAsyncResult) result = NULL;

  fake_homeserver_queue_json (f->server, "POST",
                              "/_matrix/client/v3/rooms/%21chat%3Aexample.org/receipt/m.read.private/%24m1",
                              200, "{}", FALSE);
  matrix_client_send_receipt_async (f->client, EPHEMERAL_ROOM, "$m1", TRUE, NULL, store_result, &result);
  wait_for_pointer ((gpointer *) &result, 5000);
  g_assert_true (matrix_client_send_receipt_finish (f->client, result, NULL));
  g_assert_cmpstr (fake_homeserver_get_last_request (f->server)->path, ==,
                   "/_matrix/client/v3/rooms/" EPHEMERAL_ROOM "/receipt/m.read.private/$m1");
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add ("/matrix/room/display-name/name-then-alias", Fixture, NULL, fixture_setup,
              test_name_and_alias, fixture_teardown);
  g_test_add ("/matrix/room/display-name/heroes", Fixture, NULL, fixture_setup,
              test_heroes, fixture_teardown);
  g_test_add ("/matrix/room/display-name/empty", Fixture, NULL, fixture_setup,
              test_empty_room, fixture_teardown);
  g_test_add ("/matrix/room/display-name/from-members-without-heroes", Fixture, NULL, fixture_setup,
              test_name_from_members, fixture_teardown);
  g_test_add ("/matrix/room/member-name/disambiguation", Fixture, NULL, fixture_setup,
              test_member_disambiguation, fixture_teardown);
  g_test_add ("/matrix/room/member-name/deceptive-names-shown-as-they-are", Fixture, NULL,
              fixture_setup, test_member_name_deceptive, fixture_teardown);
  g_test_add ("/matrix/room/display-name/invisible-and-bidi-removed", Fixture, NULL, fixture_setup,
              test_room_name_cleaned, fixture_teardown);
  g_test_add ("/matrix/room/last-message/long-body-bounded", Fixture, NULL, fixture_setup,
              test_preview_bounded, fixture_teardown);
  g_test_add ("/matrix/room/properties", Fixture, NULL, fixture_setup,
              test_properties, fixture_teardown);
  g_test_add ("/matrix/room/invite/appears", Fixture, NULL, fixture_setup,
              test_invite_appears, fixture_teardown);
  g_test_add ("/matrix/room/invite/accept", Fixture, NULL, fixture_setup,
              test_invite_accept, fixture_teardown);
  g_test_add ("/matrix/room/invite/decline", Fixture, NULL, fixture_setup,
              test_invite_decline, fixture_teardown);
  g_test_add ("/matrix/room/invite/join-fails", Fixture, NULL, fixture_setup,
              test_join_failure, fixture_teardown);
  g_test_add ("/matrix/room/avatar", Fixture, NULL, fixture_setup, test_avatar, fixture_teardown);
  g_test_add ("/matrix/room/last-message/follows-a-rename", Fixture, NULL, fixture_setup,
              test_preview_follows_rename, fixture_teardown);
  g_test_add ("/matrix/room/member-name/departed-keeps-last-name", Fixture, NULL, fixture_setup,
              test_departed_member_name, fixture_teardown);
  g_test_add ("/matrix/room/last-message/edits-applied", Fixture, NULL, fixture_setup,
              test_preview_applies_edits, fixture_teardown);
  g_test_add ("/matrix/room/typing/users", Fixture, NULL, fixture_setup, test_typing_users,
              fixture_teardown);
  g_test_add ("/matrix/room/typing/sent-and-stopped-by-a-message", Fixture, NULL, fixture_setup,
              test_typing_sent_and_stopped, fixture_teardown);
  g_test_add ("/matrix/room/receipts/latest-and-fully-read-kept", Fixture, NULL, fixture_setup,
              test_receipts_and_fully_read, fixture_teardown);
  g_test_add ("/matrix/room/receipts/sent", Fixture, NULL, fixture_setup, test_receipt_sent,
              fixture_teardown);
  g_test_add ("/matrix/room/mark-read/newest-event", Fixture, NULL, fixture_setup,
              test_mark_read, fixture_teardown);
  g_test_add ("/matrix/room/mark-read/failure-retried", Fixture, NULL, fixture_setup,
              test_mark_read_failure, fixture_teardown);
  g_test_add ("/matrix/room/mark-read/newer-event-keeps-counts", Fixture, NULL, fixture_setup,
              test_mark_read_newer_event_keeps_counts, fixture_teardown);

  return g_test_run ();
}
