/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "test-confab-event-description"

#include "confab-event-description.h"
#include "ui-test-utils.h"

/* Without a room, people are named by their user ids. */
static char *
describe (const char *json)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GError) error = NULL;
  g_autoptr(MatrixEvent) event = NULL;
  JsonObject *object;

  g_assert_true (json_parser_load_from_data (parser, json, -1, &error));
  object = json_node_get_object (json_parser_get_root (parser));
  if (json_object_has_member (object, "state_key"))
    event = MATRIX_EVENT (matrix_state_event_new_from_json ("!r:x", object, &error));
  else
    event = matrix_event_new_from_json ("!r:x", object, &error);
  g_assert_no_error (error);

  return confab_event_describe (NULL, event);
}

#define EVENT(type, extra, content) \
  "{\"type\":\"" type "\",\"sender\":\"@a:x\",\"event_id\":\"$1\",\"origin_server_ts\":1," \
  extra "\"content\":" content "}"

static void
test_messages_are_not_described (void)
{
  g_autofree char *text = describe (EVENT ("m.room.message", "", "{\"msgtype\":\"m.text\",\"body\":\"hi\"}"));

  g_assert_null (text);
}

static void
test_state_changes (void)
{
  struct {
    const char *json;
    const char *expected;
  } cases[] = {
    { EVENT ("m.room.name", "\"state_key\":\"\",", "{\"name\":\"Lobby\"}"),
      "@a:x changed the room name to Lobby" },
    { EVENT ("m.room.name", "\"state_key\":\"\",", "{}"),
      "@a:x removed the room name" },
    { EVENT ("m.room.topic", "\"state_key\":\"\",", "{\"topic\":\"Cats\"}"),
      "@a:x changed the topic to Cats" },
    { EVENT ("m.room.member", "\"state_key\":\"@a:x\",", "{\"membership\":\"join\",\"displayname\":\"Alice\"}"),
      "Alice joined" },
    { EVENT ("m.room.member", "\"state_key\":\"@c:x\",", "{\"membership\":\"invite\",\"displayname\":\"Carol\"}"),
      "@a:x invited Carol" },
    { EVENT ("m.room.member", "\"state_key\":\"@a:x\",", "{\"membership\":\"leave\"}"),
      "@a:x left" },
    { EVENT ("m.room.member", "\"state_key\":\"@b:x\",", "{\"membership\":\"leave\"}"),
      "@a:x removed @b:x" },
    { EVENT ("m.room.member", "\"state_key\":\"@b:x\",", "{\"membership\":\"ban\"}"),
      "@a:x banned @b:x" },
    { EVENT ("m.room.create", "\"state_key\":\"\",", "{}"),
      "@a:x created the room" },
    /* Redacted: a member event keeps its membership, a topic says nothing. */
    { EVENT ("m.room.member", "\"state_key\":\"@a:x\",\"unsigned\":{\"redacted_because\":{}},",
             "{\"membership\":\"join\"}"),
      "@a:x joined" },
    { EVENT ("m.room.topic", "\"state_key\":\"\",\"unsigned\":{\"redacted_because\":{}},", "{}"),
      "An event by @a:x was deleted" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *text = describe (cases[i].json);

      g_assert_cmpstr (text, ==, cases[i].expected);
    }
}

/* A member event whose previous content (unsigned.prev_content) is @prev. */
#define MEMBER(key, prev, content) \
  EVENT ("m.room.member", "\"state_key\":\"" key "\",\"unsigned\":{\"prev_content\":" prev "},", content)

/* Join to join is a profile change, never "joined" again. */
static void
test_profile_changes (void)
{
  struct {
    const char *json;
    const char *expected;
  } cases[] = {
    { MEMBER ("@a:x", "{\"membership\":\"join\",\"displayname\":\"Alice\"}",
              "{\"membership\":\"join\",\"displayname\":\"Ally\"}"),
      "Alice changed their name to Ally" },
    { MEMBER ("@a:x", "{\"membership\":\"join\"}",
              "{\"membership\":\"join\",\"displayname\":\"Alice\"}"),
      "@a:x set their name to Alice" },
    { MEMBER ("@a:x", "{\"membership\":\"join\",\"displayname\":\"Alice\"}",
              "{\"membership\":\"join\",\"displayname\":\"\"}"),
      "Alice removed their name" },
    { MEMBER ("@a:x", "{\"membership\":\"join\",\"displayname\":\"Alice\"}",
              "{\"membership\":\"join\",\"displayname\":\"Alice\",\"avatar_url\":\"mxc://x/1\"}"),
      "Alice changed their avatar" },
    { MEMBER ("@a:x", "{\"membership\":\"join\",\"displayname\":\"Alice\",\"avatar_url\":\"mxc://x/1\"}",
              "{\"membership\":\"join\",\"displayname\":\"Alice\",\"avatar_url\":\"mxc://x/2\"}"),
      "Alice changed their avatar" },
    { MEMBER ("@a:x", "{\"membership\":\"join\",\"avatar_url\":\"mxc://x/1\"}",
              "{\"membership\":\"join\"}"),
      "@a:x removed their avatar" },
    { MEMBER ("@a:x", "{\"membership\":\"join\",\"displayname\":\"Alice\",\"avatar_url\":\"mxc://x/1\"}",
              "{\"membership\":\"join\",\"displayname\":\"Ally\",\"avatar_url\":\"mxc://x/2\"}"),
      "Alice changed their name to Ally and changed their avatar" },
    { MEMBER ("@a:x", "{\"membership\":\"join\",\"avatar_url\":\"mxc://x/1\"}",
              "{\"membership\":\"join\",\"displayname\":\"Alice\"}"),
      "@a:x set their name to Alice and changed their avatar" },
    { MEMBER ("@a:x", "{\"membership\":\"join\",\"displayname\":\"Alice\"}",
              "{\"membership\":\"join\",\"avatar_url\":\"mxc://x/1\"}"),
      "Alice removed their name and changed their avatar" },
    { MEMBER ("@a:x", "{\"membership\":\"join\",\"displayname\":\"Alice\"}",
              "{\"membership\":\"join\",\"displayname\":\"Alice\",\"x\":1}"),
      "Alice updated their profile" },
    /* From an invite, or after leaving, it is a join. */
    { MEMBER ("@a:x", "{\"membership\":\"invite\",\"displayname\":\"Alice\"}",
              "{\"membership\":\"join\",\"displayname\":\"Alice\"}"),
      "Alice joined" },
    { MEMBER ("@a:x", "{\"membership\":\"leave\"}",
              "{\"membership\":\"join\",\"displayname\":\"Alice\"}"),
      "Alice joined" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *text = describe (cases[i].json);

      g_assert_cmpstr (text, ==, cases[i].expected);
    }
}

/* Who left or was removed is named as they were called, and why it
 * happened is said. */
static void
test_departures (void)
{
  struct {
    const char *json;
    const char *expected;
  } cases[] = {
    { MEMBER ("@a:x", "{\"membership\":\"join\",\"displayname\":\"Alice\"}", "{\"membership\":\"leave\"}"),
      "Alice left" },
    { MEMBER ("@a:x", "{\"membership\":\"join\",\"displayname\":\"Alice\"}",
              "{\"membership\":\"leave\",\"reason\":\"bye\"}"),
      "Alice left: bye" },
    { MEMBER ("@b:x", "{\"membership\":\"join\",\"displayname\":\"Bob\"}",
              "{\"membership\":\"leave\",\"reason\":\"spamming\"}"),
      "@a:x removed Bob: spamming" },
    { MEMBER ("@b:x", "{\"membership\":\"join\",\"displayname\":\"Bob\"}", "{\"membership\":\"leave\",\"reason\":\"\"}"),
      "@a:x removed Bob" },
    { MEMBER ("@b:x", "{\"membership\":\"join\",\"displayname\":\"Bob\"}",
              "{\"membership\":\"ban\",\"reason\":\"spamming\"}"),
      "@a:x banned Bob: spamming" },
    { MEMBER ("@b:x", "{\"membership\":\"ban\"}", "{\"membership\":\"leave\"}"),
      "@a:x unbanned @b:x" },
    { MEMBER ("@b:x", "{\"membership\":\"ban\",\"displayname\":\"Bob\"}",
              "{\"membership\":\"leave\",\"reason\":\"forgiven\"}"),
      "@a:x unbanned Bob: forgiven" },
    { MEMBER ("@b:x", "{\"membership\":\"invite\",\"displayname\":\"Bob\"}", "{\"membership\":\"leave\"}"),
      "@a:x withdrew the invitation of Bob" },
    { MEMBER ("@a:x", "{\"membership\":\"invite\",\"displayname\":\"Alice\"}", "{\"membership\":\"leave\"}"),
      "Alice rejected the invitation" },
    { MEMBER ("@a:x", "{\"membership\":\"invite\"}", "{\"membership\":\"leave\",\"reason\":\"busy\"}"),
      "@a:x rejected the invitation: busy" },
    { MEMBER ("@b:x", "{\"membership\":\"knock\",\"displayname\":\"Bob\"}", "{\"membership\":\"leave\"}"),
      "@a:x declined the request of Bob to join" },
    { MEMBER ("@a:x", "{\"membership\":\"knock\"}", "{\"membership\":\"leave\"}"),
      "@a:x no longer asks to join" },
    { MEMBER ("@c:x", "{\"membership\":\"leave\"}",
              "{\"membership\":\"invite\",\"displayname\":\"Carol\",\"reason\":\"come\"}"),
      "@a:x invited Carol: come" },
    { EVENT ("m.room.member", "\"state_key\":\"@a:x\",", "{\"membership\":\"knock\",\"reason\":\"let me in\"}"),
      "@a:x asked to join: let me in" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *text = describe (cases[i].json);

      g_assert_cmpstr (text, ==, cases[i].expected);
    }
}

/* With a room, a departed member's name comes from its member state when
 * the event itself has none to give. */
static void
test_departed_named_by_room (void)
{
  g_autoptr(FakeHomeserver) server = fake_homeserver_new ();
  g_autoptr(MatrixStore) store = logged_in_store_new ();
  g_autoptr(MatrixClient) client = matrix_client_new (fake_homeserver_get_url (server), store);
  g_autoptr(MatrixRoomStateTracker) tracker = matrix_room_state_tracker_new (client);
  g_autoptr(GPtrArray) kick = NULL;
  g_autofree char *text = NULL;

  sync_once (server, client, NULL,
    "{\"next_batch\": \"s1\", \"rooms\": {\"join\": {\"!r:x\": {\"state\": {\"events\": ["
    " {\"type\": \"m.room.member\", \"state_key\": \"@a:x\", \"sender\": \"@a:x\", \"event_id\": \"$a\","
    "  \"origin_server_ts\": 1, \"content\": {\"membership\": \"join\", \"displayname\": \"Alice\"}},"
    " {\"type\": \"m.room.member\", \"state_key\": \"@b:x\", \"sender\": \"@a:x\", \"event_id\": \"$b\","
    "  \"origin_server_ts\": 2, \"content\": {\"membership\": \"leave\"},"
    "  \"unsigned\": {\"prev_content\": {\"membership\": \"join\", \"displayname\": \"Bob\"}}}]}}}}}");

  /* The same removal, as a server that sends no prev_content shows it. */
  kick = events_from_json ("!r:x",
    "[{\"type\": \"m.room.member\", \"state_key\": \"@b:x\", \"sender\": \"@a:x\", \"event_id\": \"$b\","
    "  \"origin_server_ts\": 2, \"content\": {\"membership\": \"leave\", \"reason\": \"spamming\"}}]");
  text = confab_event_describe (matrix_room_state_tracker_get_room (tracker, "!r:x"),
                                g_ptr_array_index (kick, 0));
  g_assert_cmpstr (text, ==, "Alice removed Bob: spamming");

  g_clear_object (&tracker);
  iterate_for (20);
  g_assert_finalize_object (g_steal_pointer (&client));
}

static void
test_unknown_types_are_named (void)
{
  g_autofree char *event = describe (EVENT ("x.y", "", "{}"));
  g_autofree char *state = describe (EVENT ("org.example.state", "\"state_key\":\"k\",", "{\"a\":1}"));
  /* Known type, unexpected content: still a line, never a crash. */
  g_autofree char *member = describe (EVENT ("m.room.member", "\"state_key\":\"@b:x\",", "{\"membership\":42}"));
  g_autofree char *redacted = describe (EVENT ("m.room.message", "", "{}"));

  g_assert_cmpstr (event, ==, "@a:x sent an event of type x.y");
  g_assert_cmpstr (state, ==, "@a:x sent an event of type org.example.state");
  g_assert_cmpstr (member, ==, "@a:x changed the membership of @b:x");
  g_assert_cmpstr (redacted, ==, "@a:x deleted a message");
}

int
main (int   argc,
      char *argv[])
{
  ui_test_init (&argc, &argv);

  g_test_add_func ("/confab/event-description/message-is-not-described", test_messages_are_not_described);
  g_test_add_func ("/confab/event-description/state-changes", test_state_changes);
  g_test_add_func ("/confab/event-description/profile-changes", test_profile_changes);
  g_test_add_func ("/confab/event-description/departures-name-and-reason", test_departures);
  g_test_add_func ("/confab/event-description/departed-named-by-room", test_departed_named_by_room);
  g_test_add_func ("/confab/event-description/unknown-types-are-named", test_unknown_types_are_named);

  return g_test_run ();
}
