/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "test-matrix-people"

#include "matrix-json-private.h"
#include "test-utils.h"

#define ME "@me:example.org"
#define ROOM "!room:example.org"
#define ROOM_PATH "/_matrix/client/v3/rooms/%21room%3Aexample.org"
#define DIRECT_PATH "/_matrix/client/v3/user/%40me%3Aexample.org/account_data/m.direct"

typedef struct {
  FakeHomeserver         *server;
  MatrixStore            *store;
  MatrixClient           *client;
  MatrixRoomStateTracker *tracker;
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
}

static char *
state_event (const char *type,
             const char *state_key,
             const char *sender,
             const char *content)
{
  static guint counter;

  return g_strdup_printf ("{\"type\": \"%s\", \"state_key\": \"%s\", \"sender\": \"%s\","
                          " \"event_id\": \"$people%u\", \"origin_server_ts\": 1000, \"content\": %s}",
                          type, state_key, sender, ++counter, content);
}

static char *
member_event (const char *user_id,
              const char *membership)
{
  g_autofree char *content = g_strdup_printf ("{\"membership\": \"%s\"}", membership);

  return state_event ("m.room.member", user_id, user_id, content);
}

/* Syncs @room_id joined, with @extra_state (events, comma-separated, may be
 * empty) besides our own membership; the first sync's token is "s1". */
static MatrixRoom *
join_room (Fixture    *f,
           const char *room_id,
           const char *extra_state)
{
  g_autofree char *me = member_event (ME, "join");
  g_autofree char *since = f->n_syncs > 0 ? g_strdup_printf ("s%u", f->n_syncs) : NULL;
  g_autofree char *body = NULL;

  f->n_syncs++;
  body = g_strdup_printf (
    "{\"next_batch\": \"s%u\", \"rooms\": {\"join\": {\"%s\": {\"state\": {\"events\": [%s%s%s]}}}}}",
    f->n_syncs, room_id, me, *extra_state ? "," : "", extra_state);
  sync_once (f->server, f->client, since, body);
  return matrix_room_state_tracker_get_room (f->tracker, room_id);
}

static JsonObject *
parse_object (const char *json)
{
  g_autoptr(GError) error = NULL;
  /* The library's own reader, as every network text goes through. */
  JsonObject *object = _matrix_json_parse_object (json, -1, &error);

  g_assert_no_error (error);
  return object;
}

/* --- power levels --------------------------------------------------------- */

static void
test_power_levels_defaults (void)
{
  const char *creators[] = { "@creator:example.org", "@co:example.org", NULL };
  g_autoptr(MatrixPowerLevels) none = matrix_power_levels_new (NULL, "10", creators);
  g_autoptr(JsonObject) empty_content = parse_object ("{}");
  g_autoptr(MatrixPowerLevels) empty = matrix_power_levels_new (empty_content, "10", creators);
  g_autoptr(JsonObject) v12_content = parse_object ("{\"users\": {\"@creator:example.org\": 0, \"@admin:example.org\": 100}}");
  g_autoptr(MatrixPowerLevels) v12 = matrix_power_levels_new (v12_content, "12", creators);
  g_autoptr(MatrixPowerLevels) odd_version = matrix_power_levels_new (v12_content, "org.example.12", creators);

  /* No event: the creator has 100, everyone 0, state needs 0. */
  g_assert_cmpint (matrix_power_levels_get_user_level (none, "@creator:example.org"), ==, 100);
  g_assert_cmpint (matrix_power_levels_get_user_level (none, "@bob:example.org"), ==, 0);
  g_assert_true (matrix_power_levels_can_send_state (none, "@bob:example.org", "m.room.name"));
  g_assert_false (matrix_power_levels_can_kick (none, "@bob:example.org", "@carol:example.org"));
  g_assert_true (matrix_power_levels_can_kick (none, "@creator:example.org", "@bob:example.org"));

  /* An event without keys: the spec's defaults, and no creator privilege. */
  g_assert_cmpint (matrix_power_levels_get_user_level (empty, "@creator:example.org"), ==, 0);
  g_assert_cmpint (matrix_power_levels_get_action_level (empty, MATRIX_POWER_ACTION_BAN), ==, 50);
  g_assert_cmpint (matrix_power_levels_get_action_level (empty, MATRIX_POWER_ACTION_KICK), ==, 50);
  g_assert_cmpint (matrix_power_levels_get_action_level (empty, MATRIX_POWER_ACTION_REDACT), ==, 50);
  g_assert_cmpint (matrix_power_levels_get_action_level (empty, MATRIX_POWER_ACTION_INVITE), ==, 0);
  g_assert_cmpint (matrix_power_levels_get_event_level (empty, "m.room.name", TRUE), ==, 50);
  g_assert_cmpint (matrix_power_levels_get_event_level (empty, "m.room.message", FALSE), ==, 0);
  g_assert_true (matrix_power_levels_can_invite (empty, "@bob:example.org"));
  g_assert_false (matrix_power_levels_can_send_state (empty, "@bob:example.org", "m.room.name"));

  /* Room version 12: the creators outrank everyone, whatever `users` says. */
  g_assert_cmpint (matrix_power_levels_get_user_level (v12, "@creator:example.org"), ==, G_MAXINT64);
  g_assert_cmpint (matrix_power_levels_get_user_level (v12, "@co:example.org"), ==, G_MAXINT64);
  g_assert_true (matrix_power_levels_is_creator (v12, "@co:example.org"));
  g_assert_true (matrix_power_levels_can_ban (v12, "@co:example.org", "@admin:example.org"));
  g_assert_false (matrix_power_levels_can_kick (v12, "@admin:example.org", "@creator:example.org"));
  g_assert_false (matrix_power_levels_can_set_user_level (v12, "@creator:example.org", "@co:example.org", 0));
  g_assert_true (matrix_power_levels_can_set_user_level (v12, "@creator:example.org", "@admin:example.org", 0));
  g_assert_cmpint (matrix_power_role_for_level (matrix_power_levels_get_user_level (v12, "@co:example.org")),
                   ==, MATRIX_POWER_ROLE_ADMIN);
  /* A version that is no number is an older one. */
  g_assert_cmpint (matrix_power_levels_get_user_level (odd_version, "@creator:example.org"), ==, 0);
  g_assert_false (matrix_power_levels_is_creator (odd_version, "@creator:example.org"));
}

static void
test_power_levels_absurd_values (void)
{
  g_autoptr(JsonObject) content = parse_object (
    "{\"ban\": \"75\", \"kick\": 99999999999999999999999999, \"invite\": -1e400,"
    " \"redact\": 50.5, \"state_default\": {\"nested\": [1, 2, {\"x\": 3}]},"
    " \"events_default\": true, \"users_default\": \"ten\","
    " \"events\": [\"m.room.name\", 100],"
    " \"users\": {\"@admin:example.org\": 100, \"@huge:example.org\": 1e300,"
    "             \"@neg:example.org\": -9223372036854775808, \"@str:example.org\": \"-20\","
    "             \"@obj:example.org\": {\"level\": 100}, \"@null:example.org\": null,"
    "             \"@frac:example.org\": 99.9, \"@plus:example.org\": \"+60\","
    "             \"@spaces:example.org\": \" 60\", \"@long:example.org\": \"1234567890123456789012345678901234567890\"}}");
  g_autoptr(MatrixPowerLevels) levels = matrix_power_levels_new (content, "10", NULL);
  g_autoptr(JsonObject) users_garbage = parse_object ("{\"users\": \"everyone\", \"events\": null, \"kick\": []}");
  g_autoptr(MatrixPowerLevels) garbage = matrix_power_levels_new (users_garbage, "10", NULL);
  g_autoptr(JsonObject) changed = NULL;
  g_autofree char *changed_text = NULL;

  /* A decimal string counts, as older room versions allow. */
  g_assert_cmpint (matrix_power_levels_get_action_level (levels, MATRIX_POWER_ACTION_BAN), ==, 75);
  /* Too large for int64: clamped, not wrapped. */
  g_assert_cmpint (matrix_power_levels_get_action_level (levels, MATRIX_POWER_ACTION_KICK), ==,
                   MATRIX_POWER_LEVEL_MAX);
  /* -1e400 reads as the lowest double: clamped too. */
  g_assert_cmpint (matrix_power_levels_get_action_level (levels, MATRIX_POWER_ACTION_INVITE), ==,
                   -MATRIX_POWER_LEVEL_MAX);
  /* A fraction is not a level. */
  g_assert_cmpint (matrix_power_levels_get_action_level (levels, MATRIX_POWER_ACTION_REDACT), ==, 50);
  g_assert_cmpint (matrix_power_levels_get_event_level (levels, "m.room.topic", TRUE), ==, 50);
  g_assert_cmpint (matrix_power_levels_get_event_level (levels, "m.room.message", FALSE), ==, 0);
  /* An array for `events` is no map. */
  g_assert_cmpint (matrix_power_levels_get_event_level (levels, "m.room.name", TRUE), ==, 50);

  g_assert_cmpint (matrix_power_levels_get_user_level (levels, "@admin:example.org"), ==, 100);
  g_assert_cmpint (matrix_power_levels_get_user_level (levels, "@huge:example.org"), ==, MATRIX_POWER_LEVEL_MAX);
  g_assert_cmpint (matrix_power_levels_get_user_level (levels, "@neg:example.org"), ==, -MATRIX_POWER_LEVEL_MAX);
  g_assert_cmpint (matrix_power_levels_get_user_level (levels, "@str:example.org"), ==, -20);
  g_assert_cmpint (matrix_power_levels_get_user_level (levels, "@plus:example.org"), ==, 60);
  g_assert_cmpint (matrix_power_levels_get_user_level (levels, "@long:example.org"), ==, MATRIX_POWER_LEVEL_MAX);
  g_assert_cmpint (matrix_power_levels_get_user_level (levels, "@obj:example.org"), ==, 0);
  g_assert_cmpint (matrix_power_levels_get_user_level (levels, "@null:example.org"), ==, 0);
  g_assert_cmpint (matrix_power_levels_get_user_level (levels, "@frac:example.org"), ==, 0);
  g_assert_cmpint (matrix_power_levels_get_user_level (levels, "@spaces:example.org"), ==, 0);
  g_assert_cmpint (matrix_power_role_for_level (matrix_power_levels_get_user_level (levels, "@huge:example.org")),
                   ==, MATRIX_POWER_ROLE_ADMIN);

  /* The huge one outranks the admin: the admin may not kick them. */
  g_assert_false (matrix_power_levels_can_kick (levels, "@admin:example.org", "@huge:example.org"));
  g_assert_true (matrix_power_levels_can_ban (levels, "@admin:example.org", "@str:example.org"));

  g_assert_cmpint (matrix_power_levels_get_user_level (garbage, "@anyone:example.org"), ==, 0);
  g_assert_cmpint (matrix_power_levels_get_action_level (garbage, MATRIX_POWER_ACTION_KICK), ==, 50);

  /* Changing a level keeps what the reader ignored. */
  changed = matrix_power_levels_dup_content_with_user_level (levels, "@str:example.org", 50);
  {
    g_autoptr(JsonNode) node = json_node_init_object (json_node_alloc (), changed);
    changed_text = json_to_string (node, FALSE);
  }
  g_assert_nonnull (strstr (changed_text, "\"@str:example.org\":50"));
  g_assert_nonnull (strstr (changed_text, "\"nested\""));
  g_assert_nonnull (strstr (changed_text, "\"@obj:example.org\":{\"level\":100}"));
}

static void
test_power_levels_permissions (void)
{
  g_autoptr(JsonObject) content = parse_object (
    "{\"users\": {\"@admin:example.org\": 100, \"@mod:example.org\": 50, \"@mod2:example.org\": 50},"
    " \"events\": {\"m.room.power_levels\": 100, \"m.room.topic\": 0, \"m.room.redaction\": 10},"
    " \"redact\": 50, \"invite\": 50}");
  g_autoptr(MatrixPowerLevels) levels = matrix_power_levels_new (content, "10", NULL);

  g_assert_true (matrix_power_levels_can_kick (levels, "@mod:example.org", "@user:example.org"));
  g_assert_false (matrix_power_levels_can_kick (levels, "@mod:example.org", "@mod2:example.org"));
  g_assert_false (matrix_power_levels_can_kick (levels, "@user:example.org", "@other:example.org"));
  g_assert_false (matrix_power_levels_can_ban (levels, "@mod:example.org", "@admin:example.org"));
  g_assert_false (matrix_power_levels_can_invite (levels, "@user:example.org"));
  g_assert_true (matrix_power_levels_can_invite (levels, "@mod:example.org"));
  g_assert_true (matrix_power_levels_can_send_state (levels, "@user:example.org", "m.room.topic"));
  g_assert_false (matrix_power_levels_can_send_state (levels, "@user:example.org", "m.room.name"));
  /* Own events need only the redaction event's level; others' `redact`. */
  g_assert_false (matrix_power_levels_can_redact (levels, "@user:example.org", "@user:example.org"));
  g_assert_true (matrix_power_levels_can_redact (levels, "@mod:example.org", "@mod:example.org"));
  g_assert_true (matrix_power_levels_can_redact (levels, "@mod:example.org", "@admin:example.org"));
  /* Power levels: only the admin may send them; not above their own. */
  g_assert_true (matrix_power_levels_can_set_user_level (levels, "@admin:example.org", "@mod:example.org", 0));
  g_assert_true (matrix_power_levels_can_set_user_level (levels, "@admin:example.org", "@user:example.org", 100));
  g_assert_false (matrix_power_levels_can_set_user_level (levels, "@admin:example.org", "@user:example.org", 101));
  g_assert_false (matrix_power_levels_can_set_user_level (levels, "@mod:example.org", "@user:example.org", 50));
  g_assert_cmpint (matrix_power_role_for_level (49), ==, MATRIX_POWER_ROLE_USER);
  g_assert_cmpint (matrix_power_role_for_level (50), ==, MATRIX_POWER_ROLE_MODERATOR);
  g_assert_cmpint (matrix_power_role_for_level (100), ==, MATRIX_POWER_ROLE_ADMIN);
}

/* --- m.direct --------------------------------------------------------------- */

static void
test_direct_chats_garbage (void)
{
  g_autoptr(JsonObject) content = parse_object (
    "{\"@bob:example.org\": [\"!a:example.org\", 7, null, \"!a:example.org\", \"not a room\","
    "                        {\"room\": \"!x:example.org\"}, \"!b:example.org\"],"
    " \"@carol:example.org\": \"!c:example.org\","
    " \"not a user\": [\"!d:example.org\"],"
    " \"@dave:example.org\": [],"
    " \"@eve:example.org\": {\"nested\": [[[\"!e:example.org\"]]]}}");
  g_autoptr(MatrixDirectChats) chats = matrix_direct_chats_new (content);
  g_autoptr(MatrixDirectChats) none = matrix_direct_chats_new (NULL);
  g_auto(GStrv) bob = matrix_direct_chats_dup_rooms (chats, "@bob:example.org");
  g_auto(GStrv) carol = matrix_direct_chats_dup_rooms (chats, "@carol:example.org");
  g_auto(GStrv) users = matrix_direct_chats_dup_users (chats);
  g_auto(GStrv) nobody = matrix_direct_chats_dup_users (none);
  g_autoptr(JsonObject) written = NULL;
  g_autoptr(JsonNode) node = NULL;
  g_autofree char *text = NULL;
  const char *expected_bob[] = { "!a:example.org", "!b:example.org", NULL };
  const char *expected_users[] = { "@bob:example.org", NULL };

  g_assert_cmpstrv (bob, expected_bob);
  g_assert_cmpuint (g_strv_length (carol), ==, 0);
  g_assert_cmpstrv (users, expected_users);
  g_assert_cmpuint (g_strv_length (nobody), ==, 0);
  g_assert_cmpstr (matrix_direct_chats_get_user_for_room (chats, "!b:example.org"), ==, "@bob:example.org");
  g_assert_null (matrix_direct_chats_get_user_for_room (chats, "!d:example.org"));

  g_assert_true (matrix_direct_chats_add (chats, "@carol:example.org", "!new:example.org"));
  g_assert_false (matrix_direct_chats_add (chats, "@carol:example.org", "!new:example.org"));
  written = matrix_direct_chats_dup_content (chats);
  node = json_node_init_object (json_node_alloc (), written);
  text = json_to_string (node, FALSE);
  /* Other clients' entries stay as they were; ours are cleaned. */
  g_assert_nonnull (strstr (text, "\"not a user\":[\"!d:example.org\"]"));
  g_assert_nonnull (strstr (text, "\"@carol:example.org\":[\"!new:example.org\"]"));
  g_assert_nonnull (strstr (text, "\"@bob:example.org\":[\"!a:example.org\",\"!b:example.org\"]"));
}

static MatrixDirectChats *
get_direct_chats (Fixture *f)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  MatrixDirectChats *chats;

  matrix_client_get_direct_chats_async (f->client, NULL, store_result, &result);
  wait_for_pointer ((gpointer *) &result, 5000);
  chats = matrix_client_get_direct_chats_finish (f->client, result, &error);
  g_assert_no_error (error);
  return chats;
}

static void
test_direct_chats_from_server (Fixture       *f,
                               gconstpointer  data)
{
  g_autoptr(MatrixDirectChats) missing = NULL;
  g_autoptr(MatrixDirectChats) not_object = NULL;
  g_auto(GStrv) users = NULL;

  fake_homeserver_queue_json (f->server, "GET", DIRECT_PATH, 404,
                              "{\"errcode\": \"M_NOT_FOUND\", \"error\": \"no\"}", FALSE);
  missing = get_direct_chats (f);
  users = matrix_direct_chats_dup_users (missing);
  g_assert_cmpuint (g_strv_length (users), ==, 0);

  /* A body that is not even an object is the request's failure, not a crash. */
  fake_homeserver_queue_json (f->server, "GET", DIRECT_PATH, 200, "[1, 2]", FALSE);
  {
    g_autoptr(GAsyncResult) result = NULL;
    g_autoptr(GError) error = NULL;

    matrix_client_get_direct_chats_async (f->client, NULL, store_result, &result);
    wait_for_pointer ((gpointer *) &result, 5000);
    not_object = matrix_client_get_direct_chats_finish (f->client, result, &error);
    g_assert_null (not_object);
    g_assert_nonnull (error);
  }
}

static char *
start_chat (Fixture    *f,
            const char *user_id,
            gboolean   *created,
            GError    **error)
{
  g_autoptr(GAsyncResult) result = NULL;

  matrix_room_state_tracker_start_direct_chat_async (f->tracker, user_id, NULL, store_result, &result);
  wait_for_pointer ((gpointer *) &result, 5000);
  return matrix_room_state_tracker_start_direct_chat_finish (f->tracker, result, created, error);
}

static void
test_start_chat_reuses (Fixture       *f,
                        gconstpointer  data)
{
  g_autofree char *bob = member_event ("@bob:example.org", "join");
  g_autofree char *room_id = NULL;
  g_autoptr(GError) error = NULL;
  gboolean created = TRUE;

  join_room (f, "!dm:example.org", bob);
  /* Listed first: a room we are not in; then one Bob left... only the
   * joined one with Bob in it is reused. */
  fake_homeserver_queue_json (f->server, "GET", DIRECT_PATH, 200,
                              "{\"@bob:example.org\": [\"!gone:example.org\", \"!dm:example.org\", 42]}", FALSE);
  room_id = start_chat (f, "@bob:example.org", &created, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (room_id, ==, "!dm:example.org");
  g_assert_false (created);
  g_assert_cmpuint (fake_homeserver_count_requests (f->server, "POST", "/_matrix/client/v3/createRoom"), ==, 0);
}

static void
test_start_chat_creates (Fixture       *f,
                         gconstpointer  data)
{
  g_autofree char *bob_left = member_event ("@bob:example.org", "leave");
  g_autofree char *room_id = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) create_body = NULL;
  g_autoptr(JsonNode) put_body = NULL;
  GPtrArray *requests;
  JsonObject *create, *put;
  JsonArray *rooms;
  gboolean created = FALSE;

  /* Bob left the old chat: it is no chat with him any more. */
  join_room (f, "!old:example.org", bob_left);
  fake_homeserver_queue_json (f->server, "GET", DIRECT_PATH, 200,
                              "{\"@bob:example.org\": [\"!old:example.org\"], \"garbage\": true}", TRUE);
  fake_homeserver_queue_json (f->server, "POST", "/_matrix/client/v3/createRoom", 200,
                              "{\"room_id\": \"!new:example.org\"}", FALSE);
  fake_homeserver_queue_json (f->server, "PUT", DIRECT_PATH, 200, "{}", FALSE);

  room_id = start_chat (f, "@bob:example.org", &created, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (room_id, ==, "!new:example.org");
  g_assert_true (created);

  requests = fake_homeserver_get_requests (f->server);
  for (guint i = 0; i < requests->len; i++)
    {
      FakeRequest *request = g_ptr_array_index (requests, i);
      if (g_str_equal (request->method, "POST") && g_str_has_suffix (request->path, "/createRoom"))
        create_body = fake_request_parse_json (request);
      if (g_str_equal (request->method, "PUT"))
        put_body = fake_request_parse_json (request);
    }
  create = json_node_get_object (create_body);
  g_assert_true (json_object_get_boolean_member (create, "is_direct"));
  g_assert_cmpstr (json_object_get_string_member (create, "preset"), ==, "trusted_private_chat");
  g_assert_cmpstr (json_array_get_string_element (json_object_get_array_member (create, "invite"), 0),
                   ==, "@bob:example.org");
  put = json_node_get_object (put_body);
  rooms = json_object_get_array_member (put, "@bob:example.org");
  g_assert_cmpuint (json_array_get_length (rooms), ==, 2);
  g_assert_cmpstr (json_array_get_string_element (rooms, 1), ==, "!new:example.org");
  g_assert_true (json_object_get_boolean_member (put, "garbage"));

  /* No chat with oneself, nor with something that is no user id. */
  g_clear_pointer (&room_id, g_free);
  room_id = start_chat (f, ME, NULL, &error);
  g_assert_error (error, MATRIX_ERROR, MATRIX_ERROR_INVALID_USER_ID);
  g_assert_null (room_id);
  g_clear_error (&error);
  room_id = start_chat (f, "bob", NULL, &error);
  g_assert_error (error, MATRIX_ERROR, MATRIX_ERROR_INVALID_USER_ID);
}

static void
test_accepting_direct_invite_records_it (Fixture       *f,
                                         gconstpointer  data)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) put = NULL;
  MatrixRoom *room;
  FakeRequest *request;

  sync_once (f->server, f->client, NULL,
             "{\"next_batch\": \"s1\", \"rooms\": {\"invite\": {\"!dm:example.org\": {\"invite_state\": {\"events\": ["
             "{\"type\": \"m.room.member\", \"state_key\": \"" ME "\", \"sender\": \"@bob:example.org\","
             " \"content\": {\"membership\": \"invite\", \"is_direct\": true}}]}}}}}");
  f->n_syncs = 1;
  room = matrix_room_state_tracker_get_room (f->tracker, "!dm:example.org");
  g_assert_nonnull (room);

  fake_homeserver_queue_json (f->server, "POST", "/_matrix/client/v3/join/%21dm%3Aexample.org", 200,
                              "{\"room_id\": \"!dm:example.org\"}", FALSE);
  fake_homeserver_queue_json (f->server, "GET", DIRECT_PATH, 200, "{\"@carol:example.org\": [\"!c:example.org\"]}", FALSE);
  fake_homeserver_queue_json (f->server, "PUT", DIRECT_PATH, 200, "{}", FALSE);
  matrix_room_join_async (room, NULL, store_result, &result);
  wait_for_pointer ((gpointer *) &result, 5000);
  g_assert_true (matrix_room_join_finish (room, result, &error));
  g_assert_no_error (error);

  request = fake_homeserver_get_last_request (f->server);
  g_assert_cmpstr (request->method, ==, "PUT");
  put = fake_request_parse_json (request);
  g_assert_cmpstr (json_array_get_string_element (json_object_get_array_member (json_node_get_object (put),
                                                                                "@bob:example.org"), 0),
                   ==, "!dm:example.org");
  g_assert_true (json_object_has_member (json_node_get_object (put), "@carol:example.org"));
}

static void
test_direct_chats_from_sync (Fixture       *f,
                             gconstpointer  data)
{
  g_autofree char *bob = member_event ("@bob:example.org", "join");
  g_autofree char *me = member_event (ME, "join");
  g_autofree char *body = NULL;
  g_autoptr(MatrixRoomStateTracker) restarted = NULL;
  MatrixRoom *dm, *group;

  body = g_strdup_printf (
    "{\"next_batch\": \"s1\", \"account_data\": {\"events\": ["
    "  {\"type\": \"m.direct\", \"content\": {\"@bob:example.org\": [\"!dm:example.org\", 5],"
    "                                         \"bad\": {\"x\": 1}}},"
    "  {\"type\": \"m.direct\"}, 7, {\"type\": \"org.example.other\", \"content\": []}]},"
    " \"rooms\": {\"join\": {\"!dm:example.org\": {\"state\": {\"events\": [%s, %s]}},"
    "                        \"!group:example.org\": {\"state\": {\"events\": [%s]}}}}}", me, bob, me);
  sync_once (f->server, f->client, NULL, body);
  f->n_syncs = 1;

  dm = matrix_room_state_tracker_get_room (f->tracker, "!dm:example.org");
  group = matrix_room_state_tracker_get_room (f->tracker, "!group:example.org");
  g_assert_cmpstr (matrix_room_get_direct_user_id (dm), ==, "@bob:example.org");
  g_assert_null (matrix_room_get_direct_user_id (group));
  g_assert_nonnull (matrix_room_state_tracker_get_direct_chats (f->tracker));

  /* A restart knows it before any sync. */
  restarted = matrix_room_state_tracker_new (f->client);
  g_assert_cmpstr (matrix_room_get_direct_user_id (matrix_room_state_tracker_get_room (restarted, "!dm:example.org")),
                   ==, "@bob:example.org");

  /* The next m.direct replaces it. */
  sync_once (f->server, f->client, "s1",
             "{\"next_batch\": \"s2\", \"account_data\": {\"events\": ["
             "{\"type\": \"m.direct\", \"content\": {\"@carol:example.org\": [\"!group:example.org\"]}}]}}");
  g_assert_null (matrix_room_get_direct_user_id (dm));
  g_assert_cmpstr (matrix_room_get_direct_user_id (group), ==, "@carol:example.org");
}

/* --- invite ---------------------------------------------------------------- */

static gboolean
invite (MatrixRoom *room,
        const char *user_id,
        GError    **error)
{
  g_autoptr(GAsyncResult) result = NULL;

  matrix_room_invite_async (room, user_id, NULL, store_result, &result);
  wait_for_pointer ((gpointer *) &result, 5000);
  return matrix_room_invite_finish (room, result, error);
}

static void
test_invite_errors (Fixture       *f,
                    gconstpointer  data)
{
  g_autofree char *bob = member_event ("@bob:example.org", "join");
  g_autofree char *carol = member_event ("@carol:example.org", "invite");
  g_autofree char *state = g_strjoin (",", bob, carol, NULL);
  MatrixRoom *room = join_room (f, ROOM, state);
  g_autoptr(GError) error = NULL;
  guint n_requests;

  n_requests = fake_homeserver_get_requests (f->server)->len;
  g_assert_false (invite (room, "dave", &error));
  g_assert_error (error, MATRIX_ERROR, MATRIX_ERROR_INVALID_USER_ID);
  g_clear_error (&error);
  g_assert_false (invite (room, "@bob:example.org", &error));
  g_assert_error (error, MATRIX_ERROR, MATRIX_ERROR_ALREADY_MEMBER);
  g_clear_error (&error);
  g_assert_false (invite (room, "@carol:example.org", &error));
  g_assert_error (error, MATRIX_ERROR, MATRIX_ERROR_ALREADY_MEMBER);
  g_clear_error (&error);
  /* None of these asked the server. */
  g_assert_cmpuint (fake_homeserver_get_requests (f->server)->len, ==, n_requests);

  /* A user the server has no profile for. */
  fake_homeserver_queue_json (f->server, "GET", "/_matrix/client/v3/profile/%40nobody%3Aexample.org", 404,
                              "{\"errcode\": \"M_NOT_FOUND\", \"error\": \"Profile was not found\"}", FALSE);
  g_assert_false (invite (room, "@nobody:example.org", &error));
  g_assert_error (error, MATRIX_ERROR, MATRIX_ERROR_UNKNOWN_USER);
  g_assert_cmpstr (matrix_error_get_errcode (error), ==, "M_NOT_FOUND");
  g_clear_error (&error);
  /* Synapse's words for it. */
  fake_homeserver_queue_json (f->server, "GET", "/_matrix/client/v3/profile/%40nobody%3Aexample.org", 404,
                              "{\"errcode\": \"M_UNKNOWN\", \"error\": \"No row found (profiles)\"}", FALSE);
  g_assert_false (invite (room, "@nobody:example.org", &error));
  g_assert_error (error, MATRIX_ERROR, MATRIX_ERROR_UNKNOWN_USER);
  g_clear_error (&error);

  /* Not allowed: the server's M_FORBIDDEN; a private profile does not stop the invite. */
  fake_homeserver_queue_json (f->server, "GET", "/_matrix/client/v3/profile/%40dave%3Aexample.org", 403,
                              "{\"errcode\": \"M_FORBIDDEN\", \"error\": \"private\"}", TRUE);
  fake_homeserver_queue_json (f->server, "POST", ROOM_PATH "/invite", 403,
                              "{\"errcode\": \"M_FORBIDDEN\", \"error\": \"You don't have permission to invite users\"}",
                              FALSE);
  g_assert_false (invite (room, "@dave:example.org", &error));
  g_assert_error (error, MATRIX_ERROR, MATRIX_ERROR_FORBIDDEN);
  g_clear_error (&error);

  /* The invite's own M_NOT_FOUND is an unknown user too. */
  fake_homeserver_queue_json (f->server, "POST", ROOM_PATH "/invite", 404,
                              "{\"errcode\": \"M_NOT_FOUND\", \"error\": \"Unknown user\"}", FALSE);
  g_assert_false (invite (room, "@dave:example.org", &error));
  g_assert_error (error, MATRIX_ERROR, MATRIX_ERROR_UNKNOWN_USER);
  g_clear_error (&error);

  fake_homeserver_queue_json (f->server, "POST", ROOM_PATH "/invite", 200, "{}", FALSE);
  g_assert_true (invite (room, "@dave:example.org", &error));
  g_assert_no_error (error);
  {
    g_autoptr(JsonNode) body = fake_request_parse_json (fake_homeserver_get_last_request (f->server));
    g_assert_cmpstr (json_object_get_string_member (json_node_get_object (body), "user_id"), ==, "@dave:example.org");
  }
}

/* --- moderation ---------------------------------------------------------------- */

static void
test_moderate_and_power_level (Fixture       *f,
                               gconstpointer  data)
{
  g_autofree char *levels = state_event ("m.room.power_levels", "", "@me:example.org",
                                         "{\"users\": {\"@me:example.org\": 100, \"@bob:example.org\": \"50\"},"
                                         " \"custom\": {\"kept\": true}}");
  MatrixRoom *room = join_room (f, ROOM, levels);
  g_autoptr(MatrixPowerLevels) room_levels = matrix_room_dup_power_levels (room);
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) body = NULL;
  JsonObject *object;

  g_assert_cmpint (matrix_power_levels_get_user_level (room_levels, "@bob:example.org"), ==, 50);

  fake_homeserver_queue_json (f->server, "POST", ROOM_PATH "/ban", 200, "{}", FALSE);
  matrix_room_moderate_async (room, MATRIX_MEMBER_ACTION_BAN, "@spam:example.org", "Spam", NULL,
                              store_result, &result);
  wait_for_pointer ((gpointer *) &result, 5000);
  g_assert_true (matrix_room_moderate_finish (room, result, &error));
  g_assert_no_error (error);
  body = fake_request_parse_json (fake_homeserver_get_last_request (f->server));
  object = json_node_get_object (body);
  g_assert_cmpstr (json_object_get_string_member (object, "user_id"), ==, "@spam:example.org");
  g_assert_cmpstr (json_object_get_string_member (object, "reason"), ==, "Spam");
  g_clear_object (&result);
  g_clear_pointer (&body, json_node_unref);

  fake_homeserver_queue_json (f->server, "POST", ROOM_PATH "/kick", 403,
                              "{\"errcode\": \"M_FORBIDDEN\", \"error\": \"no\"}", FALSE);
  matrix_room_moderate_async (room, MATRIX_MEMBER_ACTION_KICK, "@bob:example.org", NULL, NULL,
                              store_result, &result);
  wait_for_pointer ((gpointer *) &result, 5000);
  g_assert_false (matrix_room_moderate_finish (room, result, &error));
  g_assert_error (error, MATRIX_ERROR, MATRIX_ERROR_FORBIDDEN);
  g_clear_error (&error);
  g_clear_object (&result);

  fake_homeserver_queue_json (f->server, "PUT", ROOM_PATH "/state/m.room.power_levels/", 200,
                              "{\"event_id\": \"$pl\"}", FALSE);
  matrix_room_set_user_power_level_async (room, "@bob:example.org", 100, NULL, store_result, &result);
  wait_for_pointer ((gpointer *) &result, 5000);
  g_assert_true (matrix_room_set_user_power_level_finish (room, result, &error));
  g_assert_no_error (error);
  body = fake_request_parse_json (fake_homeserver_get_last_request (f->server));
  object = json_node_get_object (body);
  g_assert_cmpint (json_object_get_int_member (json_object_get_object_member (object, "users"),
                                               "@bob:example.org"), ==, 100);
  g_assert_true (json_object_has_member (object, "custom"));
  g_clear_object (&result);

  /* Above our own level: refused without asking. */
  matrix_room_set_user_power_level_async (room, "@bob:example.org", 101, NULL, store_result, &result);
  wait_for_pointer ((gpointer *) &result, 5000);
  g_assert_false (matrix_room_set_user_power_level_finish (room, result, &error));
  g_assert_error (error, MATRIX_ERROR, MATRIX_ERROR_FORBIDDEN);
}

/* --- the public room directory ------------------------------------------------- */

static void
test_public_rooms (Fixture       *f,
                   gconstpointer  data)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) rooms = NULL;
  g_autoptr(JsonNode) body = NULL;
  g_autofree char *next = NULL;
  MatrixPublicRoom *room;

  fake_homeserver_queue_json (f->server, "POST", "/_matrix/client/v3/publicRooms", 200,
    "{\"next_batch\": \"p2\", \"chunk\": ["
    "{\"room_id\": \"!a:example.org\", \"name\": \"GNOME\\u202e\", \"topic\": \"Desktop\","
    " \"canonical_alias\": \"#gnome:example.org\", \"num_joined_members\": 1200, \"avatar_url\": \"http://x\"},"
    "{\"room_id\": \"!b:example.org\", \"canonical_alias\": \"not an alias\", \"num_joined_members\": -5},"
    "{\"name\": \"no id\"}, 42, {\"room_id\": 7},"
    "{\"room_id\": \"!c:example.org\", \"canonical_alias\": \"#c:example.org\"}]}", FALSE);
  matrix_client_get_public_rooms_async (f->client, "gno", 20, "p1", NULL, store_result, &result);
  wait_for_pointer ((gpointer *) &result, 5000);
  rooms = matrix_client_get_public_rooms_finish (f->client, result, &next, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (next, ==, "p2");
  g_assert_cmpuint (rooms->len, ==, 3);
  room = g_ptr_array_index (rooms, 0);
  g_assert_cmpstr (matrix_public_room_get_name (room), ==, "GNOME");
  g_assert_cmpstr (matrix_public_room_get_alias (room), ==, "#gnome:example.org");
  g_assert_cmpuint (matrix_public_room_get_n_members (room), ==, 1200);
  g_assert_null (matrix_public_room_get_avatar_url (room));
  room = g_ptr_array_index (rooms, 1);
  g_assert_null (matrix_public_room_get_alias (room));
  g_assert_cmpstr (matrix_public_room_get_name (room), ==, "!b:example.org");
  g_assert_cmpuint (matrix_public_room_get_n_members (room), ==, 0);
  g_assert_cmpstr (matrix_public_room_get_name (g_ptr_array_index (rooms, 2)), ==, "#c:example.org");

  body = fake_request_parse_json (fake_homeserver_get_last_request (f->server));
  g_assert_cmpstr (json_object_get_string_member (json_node_get_object (body), "since"), ==, "p1");
  g_assert_cmpstr (json_object_get_string_member (json_object_get_object_member (json_node_get_object (body), "filter"),
                                                  "generic_search_term"), ==, "gno");
}

/* --- notification levels ------------------------------------------------------ */

static void
test_notify_levels (Fixture       *f,
                    gconstpointer  data)
{
  g_autoptr(JsonObject) rules = parse_object (
    "{\"global\": {"
    " \"override\": [{\"rule_id\": \"!muted:example.org\", \"enabled\": true, \"actions\": []},"
    "                {\"rule_id\": \"!off:example.org\", \"enabled\": false, \"actions\": []},"
    "                {\"rule_id\": \"!loud:example.org\", \"enabled\": true, \"actions\": [\"notify\"]},"
    "                7, {\"rule_id\": 5}],"
    " \"room\": [{\"rule_id\": \"!quiet:example.org\", \"enabled\": true, \"actions\": [\"dont_notify\"]},"
    "            {\"rule_id\": \"!muted:example.org\", \"enabled\": true, \"actions\": [\"notify\"]}]}}");
  g_autoptr(JsonObject) garbage = parse_object ("{\"global\": {\"override\": {\"rule_id\": \"!muted:example.org\"}, \"room\": 3}}");
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  GPtrArray *requests;
  guint first;
  FakeRequest *request;
  g_autoptr(JsonNode) body = NULL;

  g_assert_cmpint (matrix_push_rules_get_room_level (rules, "!muted:example.org"), ==, MATRIX_NOTIFY_LEVEL_MUTE);
  g_assert_cmpint (matrix_push_rules_get_room_level (rules, "!off:example.org"), ==, MATRIX_NOTIFY_LEVEL_ALL);
  g_assert_cmpint (matrix_push_rules_get_room_level (rules, "!loud:example.org"), ==, MATRIX_NOTIFY_LEVEL_ALL);
  g_assert_cmpint (matrix_push_rules_get_room_level (rules, "!quiet:example.org"), ==, MATRIX_NOTIFY_LEVEL_MENTIONS);
  g_assert_cmpint (matrix_push_rules_get_room_level (garbage, "!muted:example.org"), ==, MATRIX_NOTIFY_LEVEL_ALL);
  g_assert_cmpint (matrix_push_rules_get_room_level (NULL, "!muted:example.org"), ==, MATRIX_NOTIFY_LEVEL_ALL);

  /* Muting: the override rule, and the room rule gone (none there: fine). */
  fake_homeserver_queue_json (f->server, "PUT", "/_matrix/client/v3/pushrules/global/override/%21r%3Aexample.org",
                              200, "{}", FALSE);
  fake_homeserver_queue_json (f->server, "DELETE", "/_matrix/client/v3/pushrules/global/room/%21r%3Aexample.org",
                              404, "{\"errcode\": \"M_NOT_FOUND\", \"error\": \"no\"}", FALSE);
  first = fake_homeserver_get_requests (f->server)->len;
  matrix_client_set_room_notify_level_async (f->client, "!r:example.org", MATRIX_NOTIFY_LEVEL_MUTE, NULL,
                                             store_result, &result);
  wait_for_pointer ((gpointer *) &result, 5000);
  g_assert_true (matrix_client_set_room_notify_level_finish (f->client, result, &error));
  g_assert_no_error (error);
  requests = fake_homeserver_get_requests (f->server);
  g_assert_cmpuint (requests->len, ==, first + 2);
  request = g_ptr_array_index (requests, first);
  body = fake_request_parse_json (request);
  g_assert_cmpuint (json_array_get_length (json_object_get_array_member (json_node_get_object (body), "actions")), ==, 0);
  g_assert_cmpstr (json_object_get_string_member (json_array_get_object_element (
                     json_object_get_array_member (json_node_get_object (body), "conditions"), 0), "pattern"),
                   ==, "!r:example.org");
  g_clear_object (&result);

  /* A refusal stops it. */
  fake_homeserver_queue_json (f->server, "DELETE", "/_matrix/client/v3/pushrules/global/override/%21r%3Aexample.org",
                              403, "{\"errcode\": \"M_FORBIDDEN\", \"error\": \"no\"}", FALSE);
  matrix_client_set_room_notify_level_async (f->client, "!r:example.org", MATRIX_NOTIFY_LEVEL_ALL, NULL,
                                             store_result, &result);
  wait_for_pointer ((gpointer *) &result, 5000);
  g_assert_false (matrix_client_set_room_notify_level_finish (f->client, result, &error));
  g_assert_error (error, MATRIX_ERROR, MATRIX_ERROR_FORBIDDEN);
}

/* --- settings --------------------------------------------------------------- */

static gboolean
set_state (MatrixRoom *room,
           int         what,
           const char *text,
           GError    **error)
{
  g_autoptr(GAsyncResult) result = NULL;

  if (what == 0)
    matrix_room_set_name_async (room, text, NULL, store_result, &result);
  else if (what == 1)
    matrix_room_set_topic_async (room, text, NULL, store_result, &result);
  else if (what == 2)
    matrix_room_set_join_rule_async (room, MATRIX_JOIN_RULE_PUBLIC, NULL, store_result, &result);
  else if (what == 3)
    matrix_room_set_history_visibility_async (room, MATRIX_HISTORY_VISIBILITY_JOINED, NULL,
                                              store_result, &result);
  else
    matrix_room_set_avatar_async (room, text, NULL, store_result, &result);
  wait_for_pointer ((gpointer *) &result, 5000);
  return matrix_room_set_state_finish (room, result, error);
}

static void
test_settings (Fixture       *f,
               gconstpointer  data)
{
  g_autofree char *rules = state_event ("m.room.join_rules", "", "@bob:example.org", "{\"join_rule\": 42}");
  MatrixRoom *room = join_room (f, ROOM, rules);
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) body = NULL;
  g_autofree char *huge = g_strnfill (20000, 'x');

  g_assert_cmpint (matrix_room_get_join_rule (room), ==, MATRIX_JOIN_RULE_OTHER);

  fake_homeserver_queue_json (f->server, "PUT", ROOM_PATH "/state/m.room.name/", 200, "{\"event_id\": \"$n\"}", FALSE);
  g_assert_true (set_state (room, 0, "Kitchen", &error));
  g_assert_no_error (error);
  body = fake_request_parse_json (fake_homeserver_get_last_request (f->server));
  g_assert_cmpstr (json_object_get_string_member (json_node_get_object (body), "name"), ==, "Kitchen");
  g_clear_pointer (&body, json_node_unref);

  fake_homeserver_queue_json (f->server, "PUT", ROOM_PATH "/state/m.room.topic/", 403,
                              "{\"errcode\": \"M_FORBIDDEN\", \"error\": \"no\"}", FALSE);
  g_assert_false (set_state (room, 1, "Cooking", &error));
  g_assert_error (error, MATRIX_ERROR, MATRIX_ERROR_FORBIDDEN);
  g_clear_error (&error);

  /* Too long: refused before any request. */
  g_assert_false (set_state (room, 1, huge, &error));
  g_assert_error (error, MATRIX_ERROR, MATRIX_ERROR_FAILED);
  g_clear_error (&error);

  fake_homeserver_queue_json (f->server, "PUT", ROOM_PATH "/state/m.room.join_rules/", 200, "{\"event_id\": \"$j\"}", FALSE);
  g_assert_true (set_state (room, 2, NULL, &error));
  body = fake_request_parse_json (fake_homeserver_get_last_request (f->server));
  g_assert_cmpstr (json_object_get_string_member (json_node_get_object (body), "join_rule"), ==, "public");
  g_clear_pointer (&body, json_node_unref);

  /* History visibility: none is `shared`; set, the server is told. */
  g_assert_cmpint (matrix_room_get_history_visibility (room), ==, MATRIX_HISTORY_VISIBILITY_SHARED);
  fake_homeserver_queue_json (f->server, "PUT", ROOM_PATH "/state/m.room.history_visibility/", 200,
                              "{\"event_id\": \"$h\"}", FALSE);
  g_assert_true (set_state (room, 3, NULL, &error));
  g_assert_no_error (error);
  body = fake_request_parse_json (fake_homeserver_get_last_request (f->server));
  g_assert_cmpstr (json_object_get_string_member (json_node_get_object (body), "history_visibility"),
                   ==, "joined");
  g_clear_pointer (&body, json_node_unref);

  /* The avatar: an mxc URI, or none; anything else asks nothing. */
  fake_homeserver_queue_json (f->server, "PUT", ROOM_PATH "/state/m.room.avatar/", 200,
                              "{\"event_id\": \"$a\"}", FALSE);
  g_assert_true (set_state (room, 4, "mxc://example.org/kitchen", &error));
  body = fake_request_parse_json (fake_homeserver_get_last_request (f->server));
  g_assert_cmpstr (json_object_get_string_member (json_node_get_object (body), "url"), ==,
                   "mxc://example.org/kitchen");
  g_clear_pointer (&body, json_node_unref);
  fake_homeserver_queue_json (f->server, "PUT", ROOM_PATH "/state/m.room.avatar/", 200,
                              "{\"event_id\": \"$a2\"}", FALSE);
  g_assert_true (set_state (room, 4, NULL, &error));
  body = fake_request_parse_json (fake_homeserver_get_last_request (f->server));
  g_assert_false (json_object_has_member (json_node_get_object (body), "url"));
  g_assert_false (set_state (room, 4, "https://example.org/kitchen.png", &error));
  g_assert_error (error, MATRIX_ERROR, MATRIX_ERROR_FAILED);
}

/* A room's history visibility as its state says, a value it cannot read
 * being OTHER. */
static void
test_history_visibility_read (Fixture       *f,
                              gconstpointer  data)
{
  g_autofree char *world = state_event ("m.room.history_visibility", "", "@bob:example.org",
                                        "{\"history_visibility\": \"world_readable\"}");
  g_autofree char *odd = state_event ("m.room.history_visibility", "", "@bob:example.org",
                                      "{\"history_visibility\": [1]}");
  MatrixRoom *open = join_room (f, ROOM, world);
  MatrixRoom *strange = join_room (f, "!other:example.org", odd);

  g_assert_cmpint (matrix_room_get_history_visibility (open), ==, MATRIX_HISTORY_VISIBILITY_WORLD_READABLE);
  g_assert_cmpint (matrix_room_get_history_visibility (strange), ==, MATRIX_HISTORY_VISIBILITY_OTHER);
}

/* --- members --------------------------------------------------------------- */

typedef struct {
  gint64 last;
  gint64 max_gap;
} Heartbeat;

static gboolean
on_heartbeat (gpointer user_data)
{
  Heartbeat *beat = user_data;
  gint64 now = g_get_monotonic_time ();

  beat->max_gap = MAX (beat->max_gap, now - beat->last);
  beat->last = now;
  return G_SOURCE_CONTINUE;
}

static void
test_members_ten_thousand (Fixture       *f,
                           gconstpointer  data)
{
  g_autofree char *levels = state_event ("m.room.power_levels", "", ME,
                                         "{\"users\": {\"@me:example.org\": 100, \"@u9999:example.org\": 50,"
                                         " \"@u5000:example.org\": [\"garbage\"]}}");
  MatrixRoom *room = join_room (f, ROOM, levels);
  g_autoptr(MatrixRoomMembers) members = matrix_room_members_new (room);
  g_autoptr(GString) body = g_string_new ("{\"chunk\": [");
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(MatrixRoomMember) first = NULL;
  g_autoptr(MatrixRoomMember) second = NULL;
  Heartbeat beat = { 0 };
  gint64 start, elapsed;
  guint heartbeat;

  for (guint i = 0; i < 10000; i++)
    g_string_append_printf (body,
                            "{\"type\": \"m.room.member\", \"state_key\": \"@u%u:example.org\","
                            " \"sender\": \"@u%u:example.org\", \"event_id\": \"$m%u\", \"origin_server_ts\": 1,"
                            " \"content\": {\"membership\": \"join\", \"displayname\": \"User %u\"}},",
                            i, i, i, i);
  /* Garbage among them: skipped. */
  g_string_append (body, "7, {\"type\": \"m.room.member\", \"state_key\": \"no id\", \"content\": {\"membership\": \"join\"}},"
                         "{\"type\": \"m.room.member\", \"state_key\": \"@x:example.org\", \"content\": []},"
                         "{\"type\": \"m.room.member\", \"state_key\": \"@me:example.org\", \"sender\": \"@me:example.org\","
                         " \"content\": {\"membership\": \"join\", \"displayname\": \"Me\"}}]}");

  fake_homeserver_queue_json (f->server, "GET", ROOM_PATH "/members?not_membership=leave&at=s1", 200,
                              body->str, FALSE);
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (members)), ==, 0);

  beat.last = g_get_monotonic_time ();
  heartbeat = g_timeout_add (5, on_heartbeat, &beat);
  start = g_get_monotonic_time ();
  matrix_room_members_load_async (members, NULL, NULL, store_result, &result);
  wait_for_pointer ((gpointer *) &result, 20000);
  elapsed = g_get_monotonic_time () - start;
  g_source_remove (heartbeat);
  g_assert_true (matrix_room_members_load_finish (members, result, &error));
  g_assert_no_error (error);
  g_test_message ("10,000 members loaded in %" G_GINT64_FORMAT " ms; the main loop blocked at most %"
                  G_GINT64_FORMAT " ms", elapsed / 1000, beat.max_gap / 1000);
  /* Generous for a shared machine (here about 0.1 s); on the real build
   * only, as every time budget (the sanitisers run several times slower). */
  if (TEST_TIME_BUDGETS_APPLY)
    g_assert_cmpint (beat.max_gap, <, G_TIME_SPAN_SECOND);

  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (members)), ==, 10001);
  g_assert_true (matrix_room_members_get_loaded (members));
  first = g_list_model_get_item (G_LIST_MODEL (members), 0);
  second = g_list_model_get_item (G_LIST_MODEL (members), 1);
  g_assert_cmpstr (matrix_room_member_get_user_id (first), ==, ME);
  g_assert_cmpint (matrix_room_member_get_role (first), ==, MATRIX_POWER_ROLE_ADMIN);
  g_assert_cmpstr (matrix_room_member_get_user_id (second), ==, "@u9999:example.org");
  g_assert_cmpint (matrix_room_member_get_role (second), ==, MATRIX_POWER_ROLE_MODERATOR);
  g_assert_cmpint (matrix_room_member_get_power_level (matrix_room_members_find (members, "@u5000:example.org")),
                   ==, 0);

  /* Search narrows, any case, by name or id. */
  matrix_room_members_set_search (members, "USER 123");
  /* User 123, 1230-1239 */
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (members)), ==, 11);
  matrix_room_members_set_search (members, "u42:");
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (members)), ==, 1);
  matrix_room_members_set_search (members, NULL);
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (members)), ==, 10001);
}

static void
test_members_names_and_filter (Fixture       *f,
                               gconstpointer  data)
{
  MatrixRoom *room = join_room (f, ROOM, "");
  g_autoptr(MatrixRoomMembers) members = matrix_room_members_new (room);
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  MatrixRoomMember *a, *b;

  fake_homeserver_queue_json (f->server, "GET", ROOM_PATH "/members?membership=ban&at=s1", 200,
    "{\"chunk\": ["
    "{\"type\": \"m.room.member\", \"state_key\": \"@a:example.org\", \"content\": {\"membership\": \"ban\", \"displayname\": \"Twin\\u202e\"}},"
    "{\"type\": \"m.room.member\", \"state_key\": \"@b:example.org\", \"content\": {\"membership\": \"ban\", \"displayname\": \"Twin\","
    " \"avatar_url\": \"https://evil.example.org/a.png\"}}]}", FALSE);
  matrix_room_members_load_async (members, "ban", NULL, store_result, &result);
  wait_for_pointer ((gpointer *) &result, 5000);
  g_assert_true (matrix_room_members_load_finish (members, result, &error));

  a = matrix_room_members_find (members, "@a:example.org");
  b = matrix_room_members_find (members, "@b:example.org");
  /* Cleaned of the override, the same name: told apart by id. */
  g_assert_cmpstr (matrix_room_member_get_display_name (a), ==, "Twin (@a:example.org)");
  g_assert_cmpstr (matrix_room_member_get_display_name (b), ==, "Twin (@b:example.org)");
  g_assert_null (matrix_room_member_get_avatar_url (b));
  g_assert_cmpstr (matrix_room_member_get_membership (a), ==, "ban");
}

static void
test_members_failure (Fixture       *f,
                      gconstpointer  data)
{
  MatrixRoom *room = join_room (f, ROOM, "");
  g_autoptr(MatrixRoomMembers) members = matrix_room_members_new (room);
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;

  fake_homeserver_queue_json (f->server, "GET", ROOM_PATH "/members?not_membership=leave&at=s1", 200,
                              "{\"chunk\": {\"not\": \"an array\"}}", FALSE);
  matrix_room_members_load_async (members, NULL, NULL, store_result, &result);
  wait_for_pointer ((gpointer *) &result, 5000);
  g_assert_false (matrix_room_members_load_finish (members, result, &error));
  g_assert_error (error, MATRIX_ERROR, MATRIX_ERROR_INVALID_RESPONSE);
  g_assert_false (matrix_room_members_get_loaded (members));
}

/* --- upgrades --------------------------------------------------------------- */

static void
test_tombstone (Fixture       *f,
                gconstpointer  data)
{
  g_autofree char *tombstone = state_event ("m.room.tombstone", "", "@bob:example.org",
                                            "{\"body\": \"Moved\\u202e on\", \"replacement_room\": \"!next:example.org\"}");
  g_autofree char *bad = state_event ("m.room.tombstone", "", "@bob:example.org",
                                      "{\"body\": \"x\", \"replacement_room\": {\"id\": 1}}");
  g_autofree char *create = state_event ("m.room.create", "", "@bob:example.org",
                                         "{\"predecessor\": {\"room_id\": \"!old:example.org\", \"event_id\": \"$t\"}}");
  MatrixRoom *room = join_room (f, ROOM, tombstone);
  g_autofree char *reason = NULL;
  g_autofree char *next = matrix_room_dup_replacement_room (room, &reason);
  MatrixRoom *other;
  g_autofree char *none = NULL;
  g_autofree char *predecessor = NULL;

  g_assert_cmpstr (next, ==, "!next:example.org");
  g_assert_cmpstr (reason, ==, "Moved on");
  g_assert_null (matrix_room_dup_predecessor (room));

  other = join_room (f, "!next:example.org", create);
  predecessor = matrix_room_dup_predecessor (other);
  g_assert_cmpstr (predecessor, ==, "!old:example.org");
  g_assert_null (matrix_room_dup_replacement_room (other, NULL));

  {
    g_autofree char *body = g_strdup_printf ("{\"next_batch\": \"s3\", \"rooms\": {\"join\": {\"%s\": {\"state\": {\"events\": [%s]}}}}}",
                                             ROOM, bad);
    sync_once (f->server, f->client, "s2", body);
  }
  none = matrix_room_dup_replacement_room (room, NULL);
  g_assert_null (none);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/matrix/power-levels/defaults-per-spec", test_power_levels_defaults);
  g_test_add_func ("/matrix/power-levels/absurd-values-clamped-or-ignored", test_power_levels_absurd_values);
  g_test_add_func ("/matrix/power-levels/who-may-do-what", test_power_levels_permissions);
  g_test_add_func ("/matrix/direct-chats/garbage-ignored-and-kept", test_direct_chats_garbage);
  g_test_add ("/matrix/direct-chats/server-none-or-not-an-object", Fixture, NULL, fixture_setup,
              test_direct_chats_from_server, fixture_teardown);
  g_test_add ("/matrix/direct-chats/start-reuses-a-joined-chat", Fixture, NULL, fixture_setup,
              test_start_chat_reuses, fixture_teardown);
  g_test_add ("/matrix/direct-chats/start-creates-and-records", Fixture, NULL, fixture_setup,
              test_start_chat_creates, fixture_teardown);
  g_test_add ("/matrix/direct-chats/accepted-direct-invite-recorded", Fixture, NULL, fixture_setup,
              test_accepting_direct_invite_records_it, fixture_teardown);
  g_test_add ("/matrix/direct-chats/from-the-sync-kept-and-garbage-ignored", Fixture, NULL, fixture_setup,
              test_direct_chats_from_sync, fixture_teardown);
  g_test_add ("/matrix/room/invite/errors-mapped", Fixture, NULL, fixture_setup,
              test_invite_errors, fixture_teardown);
  g_test_add ("/matrix/room/moderate/ban-kick-power-level", Fixture, NULL, fixture_setup,
              test_moderate_and_power_level, fixture_teardown);
  g_test_add ("/matrix/directory/public-rooms-page-validated", Fixture, NULL, fixture_setup,
              test_public_rooms, fixture_teardown);
  g_test_add ("/matrix/room/settings/notify-level-from-push-rules", Fixture, NULL, fixture_setup,
              test_notify_levels, fixture_teardown);
  g_test_add ("/matrix/room/settings/name-topic-join-rule-history-avatar", Fixture, NULL, fixture_setup,
              test_settings, fixture_teardown);
  g_test_add ("/matrix/room/settings/history-visibility-read", Fixture, NULL, fixture_setup,
              test_history_visibility_read, fixture_teardown);
  g_test_add ("/matrix/room/members/ten-thousand-without-freezing", Fixture, NULL, fixture_setup,
              test_members_ten_thousand, fixture_teardown);
  g_test_add ("/matrix/room/members/names-cleaned-and-membership-filter", Fixture, NULL, fixture_setup,
              test_members_names_and_filter, fixture_teardown);
  g_test_add ("/matrix/room/members/invalid-response", Fixture, NULL, fixture_setup,
              test_members_failure, fixture_teardown);
  g_test_add ("/matrix/room/upgrade/tombstone-and-predecessor", Fixture, NULL, fixture_setup,
              test_tombstone, fixture_teardown);

  return g_test_run ();
}
