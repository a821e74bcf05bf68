/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "integration-test-people"

#include <glib/gstdio.h>

#include "integration-utils.h"

/* People and rooms against a real Synapse: starting a direct chat with a
 * matrix-nio peer (tests/integration/people-peer.py) who sees the invite's
 * is_direct, joins and records the chat, so both sides' m.direct agree;
 * inviting, with the server's refusals mapped to errors a user can read;
 * kicking and banning with a reason as a moderator, and refused as a plain
 * member; a tombstoned room leading to its successor. */

/* --- the nio peer ------------------------------------------------------------ */

typedef struct {
  GSubprocess      *process;
  GDataInputStream *out;
  GPtrArray        *lines;   /* JsonObject, as the peer printed them */
  gboolean          eof;
} NioPeer;

static void read_next_line (NioPeer *self);

static void
on_line (GObject      *source,
         GAsyncResult *result,
         gpointer      user_data)
{
  NioPeer *self = user_data;
  g_autoptr(GError) error = NULL;
  g_autofree char *line = g_data_input_stream_read_line_finish_utf8 (G_DATA_INPUT_STREAM (source), result,
                                                                   NULL, &error);

  if (line == NULL)
    {
      self->eof = TRUE;
      return;
    }
  g_test_message ("nio peer: %s", line);
  {
    g_autoptr(JsonNode) node = json_from_string (line, &error);
    g_assert_no_error (error);
    g_assert_true (JSON_NODE_HOLDS_OBJECT (node));
    g_ptr_array_add (self->lines, json_object_ref (json_node_get_object (node)));
  }
  read_next_line (self);
}

static void
read_next_line (NioPeer *self)
{
  g_data_input_stream_read_line_async (self->out, G_PRIORITY_DEFAULT, NULL, on_line, self);
}

static NioPeer *
nio_peer_start (const char *user,
                const char *password,
                const char *mode)
{
  NioPeer *self = g_new0 (NioPeer, 1);
  const char *python = g_getenv ("CONFAB_PEER_PYTHON");
  g_autofree char *script = g_test_build_filename (G_TEST_DIST, "integration", "people-peer.py", NULL);
  g_autoptr(GError) error = NULL;

  g_assert_nonnull (python);
  self->lines = g_ptr_array_new_with_free_func ((GDestroyNotify) json_object_unref);
  self->process = g_subprocess_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE, &error,
                                    python, script, synapse_get_url (), user, password, mode, NULL);
  g_assert_no_error (error);
  self->out = g_data_input_stream_new (g_subprocess_get_stdout_pipe (self->process));
  read_next_line (self);
  return self;
}

typedef struct {
  NioPeer    *peer;
  const char *key;
} LineWait;

static gboolean
has_line (gpointer data)
{
  LineWait *wait = data;

  for (guint i = 0; i < wait->peer->lines->len; i++)
    if (json_object_has_member (g_ptr_array_index (wait->peer->lines, i), wait->key))
      return TRUE;
  return wait->peer->eof;
}

/* (transfer none): the peer's first line with member @key. */
static JsonObject *
nio_peer_wait_for (NioPeer    *self,
                   const char *key)
{
  LineWait wait = { self, key };

  g_assert_true (test_iterate_until (has_line, &wait, 120000));
  for (guint i = 0; i < self->lines->len; i++)
    if (json_object_has_member (g_ptr_array_index (self->lines, i), key))
      return g_ptr_array_index (self->lines, i);
  g_error ("The nio peer ended without saying “%s”", key);
}

static gboolean
process_done (gpointer data)
{
  NioPeer *self = data;
  return self->eof && g_subprocess_get_if_exited (self->process);
}

static void
nio_peer_finish (NioPeer *self)
{
  g_autoptr(GError) error = NULL;

  g_subprocess_wait (self->process, NULL, &error);
  g_assert_no_error (error);
  g_assert_true (test_iterate_until (process_done, self, 30000));
  g_assert_cmpint (g_subprocess_get_exit_status (self->process), ==, 0);
  g_object_unref (self->out);
  g_object_unref (self->process);
  g_ptr_array_unref (self->lines);
  g_free (self);
}

/* --- helpers ------------------------------------------------------------------- */

static char *
server_name (TestClient *ours)
{
  return g_strdup (strchr (matrix_client_get_user_id (ours->client), ':') + 1);
}

typedef struct {
  TestClient *ours;
  const char *room_id;
  const char *user_id;
  const char *membership;
} MemberWait;

static gboolean
has_membership (gpointer data)
{
  MemberWait *wait = data;
  MatrixRoom *room = matrix_room_state_tracker_get_room (wait->ours->tracker, wait->room_id);
  g_autofree char *membership = NULL;

  if (room == NULL || matrix_room_get_membership (room) != MATRIX_MEMBERSHIP_JOIN)
    return FALSE;
  membership = matrix_room_dup_member_membership (room, wait->user_id);
  return g_strcmp0 (membership, wait->membership) == 0;
}

/* Waits until our client's state has @user_id's membership in @room_id. */
static MatrixRoom *
wait_for_membership (TestClient *ours,
                     const char *room_id,
                     const char *user_id,
                     const char *membership)
{
  MemberWait wait = { ours, room_id, user_id, membership };

  g_assert_true (test_iterate_until (has_membership, &wait, INTEGRATION_TIMEOUT_MS));
  return matrix_room_state_tracker_get_room (ours->tracker, room_id);
}

static char *
start_chat (TestClient *ours,
            const char *user_id,
            gboolean   *created)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  char *room_id;

  matrix_room_state_tracker_start_direct_chat_async (ours->tracker, user_id, NULL, store_result, &result);
  wait_for_pointer ((gpointer *) &result, INTEGRATION_TIMEOUT_MS);
  room_id = matrix_room_state_tracker_start_direct_chat_finish (ours->tracker, result, created, &error);
  g_assert_no_error (error);
  return room_id;
}

static gboolean
invite (MatrixRoom *room,
        const char *user_id,
        GError    **error)
{
  g_autoptr(GAsyncResult) result = NULL;

  matrix_room_invite_async (room, user_id, NULL, store_result, &result);
  wait_for_pointer ((gpointer *) &result, INTEGRATION_TIMEOUT_MS);
  return matrix_room_invite_finish (room, result, error);
}

static gboolean
moderate (MatrixRoom         *room,
          MatrixMemberAction  action,
          const char         *user_id,
          const char         *reason,
          GError            **error)
{
  g_autoptr(GAsyncResult) result = NULL;

  matrix_room_moderate_async (room, action, user_id, reason, NULL, store_result, &result);
  wait_for_pointer ((gpointer *) &result, INTEGRATION_TIMEOUT_MS);
  return matrix_room_moderate_finish (room, result, error);
}

/* The content of @user_id's m.room.member as the peer's server has it. */
static JsonObject *
peer_member_content (Peer       *peer,
                     const char *room_id,
                     const char *user_id)
{
  g_autoptr(JsonArray) state = peer_get_state (peer, room_id);

  for (guint i = 0; i < json_array_get_length (state); i++)
    {
      JsonObject *event = json_array_get_object_element (state, i);

      if (g_strcmp0 (json_object_get_string_member (event, "type"), "m.room.member") == 0 &&
          g_strcmp0 (json_object_get_string_member (event, "state_key"), user_id) == 0)
        return json_object_ref (json_object_get_object_member (event, "content"));
    }
  return NULL;
}

/* --- the tests ------------------------------------------------------------------ */

static void
test_start_chat_with_peer (void)
{
  g_autoptr(TestClient) ours = test_client_new_logged_in ("dm-starter");
  g_autofree char *peer_user = synapse_unique_user ("dm-nio");
  g_autofree char *server = server_name (ours);
  g_autofree char *peer_id = g_strdup_printf ("@%s:%s", peer_user, server);
  g_autofree char *room_id = NULL;
  g_autofree char *again = NULL;
  g_autoptr(MatrixDirectChats) ours_direct = NULL;
  g_auto(GStrv) our_rooms = NULL;
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GPtrArray) found = NULL;
  g_autoptr(GError) error = NULL;
  const char *me = matrix_client_get_user_id (ours->client);
  g_autoptr(JsonObject) joined = NULL;
  JsonObject *line, *their_direct;
  JsonArray *their_rooms;
  NioPeer *peer;
  gboolean created = FALSE;

  synapse_register_user (peer_user, "nio-password");
  peer = nio_peer_start (peer_user, "nio-password", "accept-dm");
  nio_peer_wait_for (peer, "ready");
  test_client_sync_once (ours);

  room_id = start_chat (ours, peer_id, &created);
  g_assert_true (created);

  /* The peer sees an invite marked as direct, from us, and joins. */
  line = nio_peer_wait_for (peer, "invite");
  g_assert_cmpstr (json_object_get_string_member (line, "invite"), ==, room_id);
  g_assert_cmpstr (json_object_get_string_member (line, "sender"), ==, me);
  g_assert_true (json_object_get_boolean_member (line, "is_direct"));
  joined = json_object_ref (nio_peer_wait_for (peer, "joined"));
  nio_peer_finish (peer);

  /* Both sides' m.direct name the same room, each with the other. */
  their_direct = json_object_get_object_member (joined, "direct");
  their_rooms = json_object_get_array_member (their_direct, me);
  g_assert_nonnull (their_rooms);
  g_assert_cmpuint (json_array_get_length (their_rooms), ==, 1);
  g_assert_cmpstr (json_array_get_string_element (their_rooms, 0), ==, room_id);
  matrix_client_get_direct_chats_async (ours->client, NULL, store_result, &result);
  wait_for_pointer ((gpointer *) &result, INTEGRATION_TIMEOUT_MS);
  ours_direct = matrix_client_get_direct_chats_finish (ours->client, result, &error);
  g_assert_no_error (error);
  our_rooms = matrix_direct_chats_dup_rooms (ours_direct, peer_id);
  g_assert_cmpuint (g_strv_length (our_rooms), ==, 1);
  g_assert_cmpstr (our_rooms[0], ==, room_id);
  g_assert_cmpstr (matrix_direct_chats_get_user_for_room (ours_direct, room_id), ==, peer_id);

  /* Once our sync has them joined, a second "start a chat" reuses it. */
  wait_for_membership (ours, room_id, peer_id, "join");
  again = start_chat (ours, peer_id, &created);
  g_assert_false (created);
  g_assert_cmpstr (again, ==, room_id);

  /* The directory finds them by name now that a room is shared. */
  g_clear_object (&result);
  matrix_client_search_users_async (ours->client, peer_user, 10, NULL, store_result, &result);
  wait_for_pointer ((gpointer *) &result, INTEGRATION_TIMEOUT_MS);
  found = matrix_client_search_users_finish (ours->client, result, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (found->len, >=, 1);
  g_assert_cmpstr (matrix_user_profile_get_user_id (g_ptr_array_index (found, 0)), ==, peer_id);
}

static char *
create_room (TestClient *ours)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  char *room_id;

  matrix_client_create_room_async (ours->client, "Invites", NULL, NULL, store_result, &result);
  wait_for_pointer ((gpointer *) &result, INTEGRATION_TIMEOUT_MS);
  room_id = matrix_client_create_room_finish (ours->client, result, &error);
  g_assert_no_error (error);
  return room_id;
}

static void
test_invite_errors (void)
{
  g_autoptr(TestClient) ours = test_client_new_logged_in ("inviter");
  g_autoptr(Peer) bob = peer_new ("invitee");
  g_autoptr(Peer) owner = peer_new ("strict-owner");
  g_autofree char *server = server_name (ours);
  g_autofree char *nobody_user = synapse_unique_user ("nobody");
  g_autofree char *nobody = g_strdup_printf ("@%s:%s", nobody_user, server);
  g_autofree char *room_id = create_room (ours);
  g_autofree char *strict_id = NULL;
  g_autofree char *strict_body = NULL;
  g_autoptr(JsonObject) reply = NULL;
  g_autoptr(GError) error = NULL;
  const char *me = matrix_client_get_user_id (ours->client);
  MatrixRoom *room;

  matrix_client_start_sync (ours->client);
  room = wait_for_membership (ours, room_id, me, "join");

  g_assert_false (invite (room, nobody, &error));
  g_assert_error (error, MATRIX_ERROR, MATRIX_ERROR_UNKNOWN_USER);
  g_clear_error (&error);
  g_assert_false (invite (room, "not-a-user-id", &error));
  g_assert_error (error, MATRIX_ERROR, MATRIX_ERROR_INVALID_USER_ID);
  g_clear_error (&error);

  g_assert_true (invite (room, peer_get_user_id (bob), &error));
  g_assert_no_error (error);
  wait_for_membership (ours, room_id, peer_get_user_id (bob), "invite");
  g_assert_false (invite (room, peer_get_user_id (bob), &error));
  g_assert_error (error, MATRIX_ERROR, MATRIX_ERROR_ALREADY_MEMBER);
  g_clear_error (&error);

  /* In a room where inviting needs a moderator, the server says no. */
  strict_body = g_strdup_printf ("{\"preset\": \"private_chat\", \"invite\": [\"%s\"],"
                                 " \"power_level_content_override\": {\"invite\": 50}}", me);
  reply = peer_request (owner, "POST", "v3/createRoom", strict_body, &error);
  g_assert_no_error (error);
  strict_id = g_strdup (json_object_get_string_member (reply, "room_id"));
  test_client_join (ours, strict_id);
  room = wait_for_membership (ours, strict_id, me, "join");
  {
    g_autoptr(MatrixPowerLevels) levels = matrix_room_dup_power_levels (room);
    g_assert_false (matrix_power_levels_can_invite (levels, me));
  }
  g_assert_false (invite (room, peer_get_user_id (bob), &error));
  g_assert_error (error, MATRIX_ERROR, MATRIX_ERROR_FORBIDDEN);
  g_assert_cmpstr (matrix_error_get_errcode (error), ==, "M_FORBIDDEN");
}

typedef struct {
  MatrixRoom *room;
  const char *user_id;
  gint64      level;
} LevelWait;

static gboolean
has_level (gpointer data)
{
  LevelWait *wait = data;
  g_autoptr(MatrixPowerLevels) levels = matrix_room_dup_power_levels (wait->room);

  return matrix_power_levels_get_user_level (levels, wait->user_id) == wait->level;
}

static void
test_kick_ban_as_moderator (void)
{
  g_autoptr(TestClient) ours = test_client_new_logged_in ("moderator");
  g_autoptr(Peer) owner = peer_new ("room-owner");
  g_autoptr(Peer) carol = peer_new ("troublemaker");
  const char *me = matrix_client_get_user_id (ours->client);
  const char *carol_id = peer_get_user_id (carol);
  g_autofree char *room_id = peer_create_room (owner, "Moderated");
  g_autofree char *levels_content = NULL;
  g_autoptr(MatrixPowerLevels) plain = NULL;
  g_autoptr(MatrixPowerLevels) promoted = NULL;
  g_autoptr(JsonObject) content = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(MatrixRoomMembers) members = NULL;
  g_autoptr(GAsyncResult) result = NULL;
  MatrixRoom *room;
  LevelWait wait;

  peer_invite (owner, room_id, me);
  peer_invite (owner, room_id, carol_id);
  peer_join (carol, room_id);
  test_client_join (ours, room_id);
  matrix_client_start_sync (ours->client);
  room = wait_for_membership (ours, room_id, carol_id, "join");

  /* A plain member: the levels say no, and so does the server. */
  plain = matrix_room_dup_power_levels (room);
  g_assert_false (matrix_power_levels_can_kick (plain, me, carol_id));
  g_assert_false (matrix_power_levels_can_ban (plain, me, carol_id));
  g_assert_false (moderate (room, MATRIX_MEMBER_ACTION_KICK, carol_id, "No", &error));
  g_assert_error (error, MATRIX_ERROR, MATRIX_ERROR_FORBIDDEN);
  g_clear_error (&error);

  /* Made a moderator. */
  {
    /* The room's levels as they are (a creator of a version 12 room is in
     * no `users`), with us at 50. */
    g_autofree char *path = matrix_client_build_path ("v3", "rooms", room_id, "state",
                                                      "m.room.power_levels", "", NULL);
    g_autoptr(JsonObject) current = peer_request (owner, "GET", path, NULL, &error);
    g_autoptr(JsonNode) node = NULL;

    g_assert_no_error (error);
    json_object_set_int_member (json_object_get_object_member (current, "users"), me, 50);
    node = json_node_init_object (json_node_alloc (), current);
    levels_content = json_to_string (node, FALSE);
  }
  g_free (peer_set_state (owner, room_id, "m.room.power_levels", "", levels_content));
  wait = (LevelWait) { room, me, 50 };
  g_assert_true (test_iterate_until (has_level, &wait, INTEGRATION_TIMEOUT_MS));
  promoted = matrix_room_dup_power_levels (room);
  g_assert_true (matrix_power_levels_can_kick (promoted, me, carol_id));
  g_assert_false (matrix_power_levels_can_kick (promoted, me, peer_get_user_id (owner)));

  /* The member list shows the roles. */
  members = matrix_room_members_new (room);
  matrix_room_members_load_async (members, NULL, NULL, store_result, &result);
  wait_for_pointer ((gpointer *) &result, INTEGRATION_TIMEOUT_MS);
  g_assert_true (matrix_room_members_load_finish (members, result, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (matrix_room_members_get_n_members (members), ==, 3);
  g_assert_cmpint (matrix_room_member_get_role (matrix_room_members_find (members, peer_get_user_id (owner))),
                   ==, MATRIX_POWER_ROLE_ADMIN);
  g_assert_cmpint (matrix_room_member_get_role (matrix_room_members_find (members, me)),
                   ==, MATRIX_POWER_ROLE_MODERATOR);

  g_assert_true (moderate (room, MATRIX_MEMBER_ACTION_KICK, carol_id, "Be nice", &error));
  g_assert_no_error (error);
  content = peer_member_content (owner, room_id, carol_id);
  g_assert_cmpstr (json_object_get_string_member (content, "membership"), ==, "leave");
  g_assert_cmpstr (json_object_get_string_member (content, "reason"), ==, "Be nice");
  g_clear_pointer (&content, json_object_unref);

  g_assert_true (moderate (room, MATRIX_MEMBER_ACTION_BAN, carol_id, "Spam", &error));
  g_assert_no_error (error);
  content = peer_member_content (owner, room_id, carol_id);
  g_assert_cmpstr (json_object_get_string_member (content, "membership"), ==, "ban");
  g_assert_cmpstr (json_object_get_string_member (content, "reason"), ==, "Spam");
  g_clear_pointer (&content, json_object_unref);

  /* A moderator cannot ban the admin. */
  g_assert_false (moderate (room, MATRIX_MEMBER_ACTION_BAN, peer_get_user_id (owner), NULL, &error));
  g_assert_error (error, MATRIX_ERROR, MATRIX_ERROR_FORBIDDEN);
  g_clear_error (&error);

  g_assert_true (moderate (room, MATRIX_MEMBER_ACTION_UNBAN, carol_id, NULL, &error));
  g_assert_no_error (error);
  content = peer_member_content (owner, room_id, carol_id);
  g_assert_cmpstr (json_object_get_string_member (content, "membership"), ==, "leave");

  /* A moderator may rename the room (state_default 50); the peer sees it. */
  g_assert_true (matrix_power_levels_can_send_state (promoted, me, "m.room.name"));
  g_clear_object (&result);
  matrix_room_set_name_async (room, "Renamed by a moderator", NULL, store_result, &result);
  wait_for_pointer ((gpointer *) &result, INTEGRATION_TIMEOUT_MS);
  g_assert_true (matrix_room_set_state_finish (room, result, &error));
  g_assert_no_error (error);
  {
    g_autofree char *path = matrix_client_build_path ("v3", "rooms", room_id, "state", "m.room.name", "", NULL);
    g_autoptr(JsonObject) name = peer_request (owner, "GET", path, NULL, &error);

    g_assert_no_error (error);
    g_assert_cmpstr (json_object_get_string_member (name, "name"), ==, "Renamed by a moderator");
  }
}

typedef struct {
  MatrixRoom *room;
} TombstoneWait;

static gboolean
is_tombstoned (gpointer data)
{
  g_autofree char *next = matrix_room_dup_replacement_room (data, NULL);
  return next != NULL;
}

static void
test_tombstone_leads_to_successor (void)
{
  g_autoptr(TestClient) ours = test_client_new_logged_in ("upgrade-follower");
  g_autoptr(Peer) owner = peer_new ("upgrader");
  const char *me = matrix_client_get_user_id (ours->client);
  g_autoptr(JsonObject) created = NULL;
  g_autoptr(JsonObject) upgraded = NULL;
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *upgrade_path = NULL;
  g_autofree char *next = NULL;
  g_autofree char *joined = NULL;
  g_autofree char *predecessor = NULL;
  const char *room_id, *successor;
  MatrixRoom *room, *new_room;

  created = peer_request (owner, "POST", "v3/createRoom", "{\"preset\": \"public_chat\", \"name\": \"Old\"}", &error);
  g_assert_no_error (error);
  room_id = json_object_get_string_member (created, "room_id");
  test_client_join (ours, room_id);
  matrix_client_start_sync (ours->client);
  room = wait_for_membership (ours, room_id, me, "join");
  g_assert_null (matrix_room_dup_replacement_room (room, NULL));

  upgrade_path = matrix_client_build_path ("v3", "rooms", room_id, "upgrade", NULL);
  upgraded = peer_request (owner, "POST", upgrade_path, "{\"new_version\": \"10\"}", &error);
  g_assert_no_error (error);
  successor = json_object_get_string_member (upgraded, "replacement_room");

  g_assert_true (test_iterate_until (is_tombstoned, room, INTEGRATION_TIMEOUT_MS));
  next = matrix_room_dup_replacement_room (room, NULL);
  g_assert_cmpstr (next, ==, successor);

  matrix_client_join_room_async (ours->client, next, NULL, store_result, &result);
  wait_for_pointer ((gpointer *) &result, INTEGRATION_TIMEOUT_MS);
  joined = matrix_client_join_room_finish (ours->client, result, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (joined, ==, successor);
  new_room = wait_for_membership (ours, successor, me, "join");
  predecessor = matrix_room_dup_predecessor (new_room);
  g_assert_cmpstr (predecessor, ==, room_id);
  g_assert_null (matrix_room_dup_replacement_room (new_room, NULL));
}

/* Searches the public room directory for @term until @room_id is listed
 * (the server fills it in the background). */
static MatrixPublicRoom *
find_public_room (TestClient *ours,
                  const char *term,
                  const char *room_id)
{
  gint64 deadline = g_get_monotonic_time () + INTEGRATION_TIMEOUT_MS * G_TIME_SPAN_MILLISECOND;

  while (g_get_monotonic_time () < deadline)
    {
      g_autoptr(GAsyncResult) result = NULL;
      g_autoptr(GError) error = NULL;
      g_autoptr(GPtrArray) rooms = NULL;

      matrix_client_get_public_rooms_async (ours->client, term, 10, NULL, NULL, store_result, &result);
      wait_for_pointer ((gpointer *) &result, INTEGRATION_TIMEOUT_MS);
      rooms = matrix_client_get_public_rooms_finish (ours->client, result, NULL, &error);
      g_assert_no_error (error);
      for (guint i = 0; i < rooms->len; i++)
        if (g_str_equal (matrix_public_room_get_room_id (g_ptr_array_index (rooms, i)), room_id))
          return g_object_ref (g_ptr_array_index (rooms, i));
      iterate_for (200);
    }
  g_error ("%s never appeared in the public room directory", room_id);
}

static void
test_join_from_directory (void)
{
  g_autoptr(TestClient) ours = test_client_new_logged_in ("explorer");
  g_autoptr(Peer) owner = peer_new ("directory-owner");
  g_autofree char *term = synapse_unique_user ("plaza");
  g_autofree char *body = g_strdup_printf ("{\"preset\": \"public_chat\", \"visibility\": \"public\","
                                           " \"name\": \"%s\", \"topic\": \"Everyone welcome\"}", term);
  g_autoptr(JsonObject) created = NULL;
  g_autoptr(MatrixPublicRoom) listed = NULL;
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *joined = NULL;
  const char *room_id;

  created = peer_request (owner, "POST", "v3/createRoom", body, &error);
  g_assert_no_error (error);
  room_id = json_object_get_string_member (created, "room_id");

  listed = find_public_room (ours, term, room_id);
  g_assert_cmpstr (matrix_public_room_get_name (listed), ==, term);
  g_assert_cmpstr (matrix_public_room_get_topic (listed), ==, "Everyone welcome");
  g_assert_cmpuint (matrix_public_room_get_n_members (listed), ==, 1);

  matrix_client_join_room_async (ours->client, matrix_public_room_get_room_id (listed), NULL, store_result, &result);
  wait_for_pointer ((gpointer *) &result, INTEGRATION_TIMEOUT_MS);
  joined = matrix_client_join_room_finish (ours->client, result, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (joined, ==, room_id);
  matrix_client_start_sync (ours->client);
  wait_for_membership (ours, room_id, matrix_client_get_user_id (ours->client), "join");
}

static gboolean
set_level (TestClient        *ours,
           const char        *room_id,
           MatrixNotifyLevel  level)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  gboolean done;

  matrix_client_set_room_notify_level_async (ours->client, room_id, level, NULL, store_result, &result);
  wait_for_pointer ((gpointer *) &result, INTEGRATION_TIMEOUT_MS);
  done = matrix_client_set_room_notify_level_finish (ours->client, result, &error);
  g_assert_no_error (error);
  return done;
}

typedef struct {
  TestClient        *ours;
  const char        *room_id;
  MatrixNotifyLevel  level;
} RulesWait;

static gboolean
rules_say (gpointer data)
{
  RulesWait *wait = data;
  return matrix_push_rules_get_room_level (matrix_room_state_tracker_get_push_rules (wait->ours->tracker),
                                           wait->room_id) == wait->level;
}

static gboolean
notified (gpointer data)
{
  return matrix_room_get_notification_count (data) > 0;
}

static void
test_muted_room_does_not_notify (void)
{
  g_autoptr(TestClient) ours = test_client_new_logged_in ("muter");
  g_autoptr(Peer) talker = peer_new ("talker");
  const char *me = matrix_client_get_user_id (ours->client);
  g_autofree char *room_id = peer_create_room (talker, "Chatty");
  g_autofree char *quiet = NULL;
  g_autofree char *loud = NULL;
  MatrixRoom *room;
  RulesWait wait;

  peer_invite (talker, room_id, me);
  test_client_join (ours, room_id);
  matrix_client_start_sync (ours->client);
  room = wait_for_membership (ours, room_id, me, "join");

  g_assert_true (set_level (ours, room_id, MATRIX_NOTIFY_LEVEL_MUTE));
  wait = (RulesWait) { ours, room_id, MATRIX_NOTIFY_LEVEL_MUTE };
  g_assert_true (test_iterate_until (rules_say, &wait, INTEGRATION_TIMEOUT_MS));
  quiet = peer_send_text (talker, room_id, "Nobody hears this");
  test_client_wait_for_event (ours, quiet);
  iterate_for (500);
  g_assert_cmpuint (matrix_room_get_notification_count (room), ==, 0);

  g_assert_true (set_level (ours, room_id, MATRIX_NOTIFY_LEVEL_ALL));
  wait.level = MATRIX_NOTIFY_LEVEL_ALL;
  g_assert_true (test_iterate_until (rules_say, &wait, INTEGRATION_TIMEOUT_MS));
  loud = peer_send_text (talker, room_id, "Everybody hears this");
  test_client_wait_for_event (ours, loud);
  g_assert_true (test_iterate_until (notified, room, INTEGRATION_TIMEOUT_MS));
  g_assert_cmpuint (matrix_room_get_notification_count (room), ==, 1);
}

static gboolean
set_setting (MatrixRoom *room,
             guint       what,
             const char *text,
             GError    **error)
{
  g_autoptr(GAsyncResult) result = NULL;

  switch (what)
    {
    case 0: matrix_room_set_name_async (room, text, NULL, store_result, &result); break;
    case 1: matrix_room_set_topic_async (room, text, NULL, store_result, &result); break;
    case 2: matrix_room_set_join_rule_async (room, MATRIX_JOIN_RULE_PUBLIC, NULL, store_result, &result); break;
    case 3:
      matrix_room_set_history_visibility_async (room, MATRIX_HISTORY_VISIBILITY_JOINED, NULL,
                                                store_result, &result);
      break;
    default: matrix_room_set_avatar_async (room, text, NULL, store_result, &result); break;
    }
  wait_for_pointer ((gpointer *) &result, INTEGRATION_TIMEOUT_MS);
  return matrix_room_set_state_finish (room, result, error);
}

/* The state event @type of @room_id as the peer reads it. */
static JsonObject *
peer_state_content (Peer       *peer,
                    const char *room_id,
                    const char *type)
{
  g_autoptr(JsonArray) state = peer_get_state (peer, room_id);

  for (guint i = 0; i < json_array_get_length (state); i++)
    {
      JsonObject *event = json_array_get_object_element (state, i);

      if (g_str_equal (json_object_get_string_member (event, "type"), type))
        return json_object_ref (json_object_get_object_member (event, "content"));
    }
  return NULL;
}

static gboolean
name_shown (gpointer data)
{
  return g_strcmp0 (matrix_room_get_display_name (data), "Allotment") == 0;
}

/* An admin changes the room's name, topic, picture, join rule and history
 * visibility; the other member reads each in the room's state, and our
 * room shows the name once the sync brings it back. */
static void
test_room_settings_seen_by_peer (void)
{
  g_autoptr(TestClient) ours = test_client_new_logged_in ("gardener");
  g_autoptr(Peer) owner = peer_new ("allotment-owner");
  const char *me = matrix_client_get_user_id (ours->client);
  g_autofree char *room_id = peer_create_room (owner, "Plot 7");
  g_autofree char *levels_content = NULL;
  g_autofree char *cache_dir = g_dir_make_tmp ("confab-settings-XXXXXX", NULL);
  g_autofree char *png_path = g_build_filename (cache_dir, "leaf.png", NULL);
  g_autoptr(MatrixMediaCache) cache = NULL;
  g_autoptr(MatrixMedia) media = NULL;
  g_autoptr(GFile) png = g_file_new_for_path (png_path);
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *mxc = NULL;
  g_autoptr(JsonObject) name = NULL, topic = NULL, avatar = NULL, rules = NULL, history = NULL;
  /* A 1×1 PNG. */
  static const guint8 leaf[] = {
    0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0x00, 0x00, 0x0d, 0x49, 0x48, 0x44, 0x52,
    0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x08, 0x06, 0x00, 0x00, 0x00, 0x1f, 0x15, 0xc4,
    0x89, 0x00, 0x00, 0x00, 0x0d, 0x49, 0x44, 0x41, 0x54, 0x78, 0x9c, 0x63, 0x60, 0xf8, 0xcf, 0x50,
    0x0f, 0x00, 0x03, 0x86, 0x01, 0x80, 0x5a, 0x34, 0x7d, 0x6b, 0x00, 0x00, 0x00, 0x00, 0x49, 0x45,
    0x4e, 0x44, 0xae, 0x42, 0x60, 0x82,
  };
  MatrixRoom *room;
  LevelWait wait;

  peer_invite (owner, room_id, me);
  test_client_join (ours, room_id);
  matrix_client_start_sync (ours->client);
  room = wait_for_membership (ours, room_id, me, "join");

  /* A plain member may not. */
  g_assert_false (set_setting (room, 0, "Mine now", &error));
  g_assert_error (error, MATRIX_ERROR, MATRIX_ERROR_FORBIDDEN);
  g_clear_error (&error);

  /* Made an admin. */
  {
    g_autofree char *path = matrix_client_build_path ("v3", "rooms", room_id, "state",
                                                      "m.room.power_levels", "", NULL);
    g_autoptr(JsonObject) current = peer_request (owner, "GET", path, NULL, &error);
    g_autoptr(JsonNode) node = NULL;

    g_assert_no_error (error);
    json_object_set_int_member (json_object_get_object_member (current, "users"), me, 100);
    node = json_node_init_object (json_node_alloc (), current);
    levels_content = json_to_string (node, FALSE);
  }
  g_free (peer_set_state (owner, room_id, "m.room.power_levels", "", levels_content));
  wait = (LevelWait) { room, me, 100 };
  g_assert_true (test_iterate_until (has_level, &wait, INTEGRATION_TIMEOUT_MS));

  g_assert_true (set_setting (room, 0, "Allotment", &error));
  g_assert_no_error (error);
  g_assert_true (set_setting (room, 1, "Beans by the fence", &error));
  g_assert_true (set_setting (room, 2, NULL, &error));
  g_assert_true (set_setting (room, 3, NULL, &error));
  g_assert_no_error (error);

  g_assert_true (g_file_set_contents (png_path, (const char *) leaf, sizeof leaf, NULL));
  cache = matrix_media_cache_new (cache_dir, 1024 * 1024);
  media = matrix_media_new (ours->client, cache);
  matrix_media_upload_async (media, png, "image/png", "leaf.png", NULL, NULL, NULL, store_result, &result);
  wait_for_pointer ((gpointer *) &result, INTEGRATION_TIMEOUT_MS);
  mxc = matrix_media_upload_finish (media, result, &error);
  g_assert_no_error (error);
  g_assert_true (set_setting (room, 4, mxc, &error));
  g_assert_no_error (error);

  name = peer_state_content (owner, room_id, "m.room.name");
  g_assert_cmpstr (json_object_get_string_member (name, "name"), ==, "Allotment");
  topic = peer_state_content (owner, room_id, "m.room.topic");
  g_assert_cmpstr (json_object_get_string_member (topic, "topic"), ==, "Beans by the fence");
  rules = peer_state_content (owner, room_id, "m.room.join_rules");
  g_assert_cmpstr (json_object_get_string_member (rules, "join_rule"), ==, "public");
  history = peer_state_content (owner, room_id, "m.room.history_visibility");
  g_assert_cmpstr (json_object_get_string_member (history, "history_visibility"), ==, "joined");
  avatar = peer_state_content (owner, room_id, "m.room.avatar");
  g_assert_cmpstr (json_object_get_string_member (avatar, "url"), ==, mxc);

  g_assert_true (test_iterate_until (name_shown, room, INTEGRATION_TIMEOUT_MS));
  g_assert_cmpint (matrix_room_get_join_rule (room), ==, MATRIX_JOIN_RULE_PUBLIC);
  g_assert_cmpint (matrix_room_get_history_visibility (room), ==, MATRIX_HISTORY_VISIBILITY_JOINED);

  g_clear_object (&media);
  g_clear_object (&cache);
  /* The upload put nothing in the cache: the file is all there is. */
  g_assert_cmpint (g_unlink (png_path), ==, 0);
  g_assert_cmpint (g_rmdir (cache_dir), ==, 0);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/integration/people/start-chat-with-nio-peer-and-reuse", test_start_chat_with_peer);
  g_test_add_func ("/integration/people/invite-errors", test_invite_errors);
  g_test_add_func ("/integration/people/kick-ban-as-moderator-refused-as-member", test_kick_ban_as_moderator);
  g_test_add_func ("/integration/people/tombstone-leads-to-successor", test_tombstone_leads_to_successor);
  g_test_add_func ("/integration/people/join-from-the-public-directory", test_join_from_directory);
  g_test_add_func ("/integration/people/muted-room-does-not-notify", test_muted_room_does_not_notify);
  g_test_add_func ("/integration/people/room-settings-seen-by-peer", test_room_settings_seen_by_peer);

  return g_test_run ();
}
