/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "integration-test-rooms"

#include <glib/gstdio.h>

#include "integration-utils.h"
#include "matrix-client-crypto-private.h"

/* Creating rooms against a real Synapse (matrix_client_create_room_with_options_async):
 * a private room made by a client with encryption is encrypted from its
 * first state (m.room.encryption, Megolm), invite-only, named, with its
 * address and its invitee, whom a stranger cannot follow in; a public room
 * with an address anyone finds in the directory and joins by that address;
 * an address taken, free or malformed said as such; and "start a chat"
 * makes an encrypted direct chat. */

typedef struct {
  TestClient   *ours;
  TestClient   *bob;
  TestClient   *carol;
  char         *crypto_dir;
} Fixture;

static void
remove_tree (const char *path)
{
  g_autoptr(GDir) dir = g_dir_open (path, 0, NULL);
  const char *name;

  while (dir != NULL && (name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *child = g_build_filename (path, name, NULL);

      if (g_file_test (child, G_FILE_TEST_IS_DIR))
        remove_tree (child);
      else
        g_remove (child);
    }
  g_rmdir (path);
}

static void
fixture_set_up (Fixture       *f,
                gconstpointer  data)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(MatrixCrypto) crypto = NULL;

  f->ours = test_client_new_logged_in ("creator");
  f->bob = test_client_new_logged_in ("bob");
  f->carol = test_client_new_logged_in ("carol");
  f->crypto_dir = g_dir_make_tmp ("confab-rooms-XXXXXX", NULL);
  _matrix_crypto_open_async (matrix_client_get_user_id (f->ours->client),
                             matrix_client_get_device_id (f->ours->client), f->crypto_dir,
                             "a passphrase", NULL, store_result, &result);
  wait_for_pointer ((gpointer *) &result, INTEGRATION_TIMEOUT_MS);
  crypto = _matrix_crypto_open_finish (result, &error);
  g_assert_no_error (error);
  _matrix_client_set_crypto (f->ours->client, crypto);
  g_assert_true (matrix_client_get_encryption_enabled (f->ours->client));
}

static void
fixture_tear_down (Fixture       *f,
                   gconstpointer  data)
{
  matrix_client_stop_sync (f->ours->client);
  _matrix_client_set_crypto (f->ours->client, NULL);
  iterate_for (50);
  test_client_free (f->ours);
  test_client_free (f->bob);
  test_client_free (f->carol);
  remove_tree (f->crypto_dir);
  g_free (f->crypto_dir);
}

static char *
create (TestClient              *client,
        MatrixRoomCreateOptions *options,
        GError                 **error)
{
  g_autoptr(GAsyncResult) result = NULL;

  matrix_client_create_room_with_options_async (client->client, options, NULL, store_result, &result);
  wait_for_pointer ((gpointer *) &result, INTEGRATION_TIMEOUT_MS);
  return matrix_client_create_room_with_options_finish (client->client, result, error);
}

static char *
resolve (TestClient  *client,
         const char  *alias,
         GError     **error)
{
  g_autoptr(GAsyncResult) result = NULL;

  matrix_client_resolve_room_alias_async (client->client, alias, NULL, store_result, &result);
  wait_for_pointer ((gpointer *) &result, INTEGRATION_TIMEOUT_MS);
  return matrix_client_resolve_room_alias_finish (client->client, result, error);
}

/* The content of the room's state event @type, as @client may read it. */
static JsonObject *
state (TestClient *client,
       const char *room_id,
       const char *type)
{
  g_autofree char *path = matrix_client_build_path ("v3", "rooms", room_id, "state", type, "", NULL);
  g_autoptr(GError) error = NULL;
  JsonObject *content = test_client_request (client, "GET", path, NULL, &error);

  g_assert_no_error (error);
  return content;
}

/* A unique address localpart for this run (Synapse keeps its database
 * across the programs of one with-synapse run). */
static char *
unique_localpart (const char *prefix)
{
  return g_strdup_printf ("%s-%" G_GINT64_FORMAT, prefix, g_get_real_time ());
}

static void
test_private_encrypted_room (Fixture       *f,
                             gconstpointer  data)
{
  g_autoptr(MatrixRoomCreateOptions) options = matrix_room_create_options_new ();
  g_autofree char *localpart = unique_localpart ("book-club");
  g_autofree char *alias = matrix_client_dup_room_alias (f->ours->client, localpart);
  g_autofree char *room_id = NULL;
  g_autofree char *resolved = NULL;
  g_autofree char *again = NULL;
  g_autofree char *carol_path = NULL;
  g_autoptr(JsonObject) encryption = NULL, join_rules = NULL, name = NULL, topic = NULL;
  g_autoptr(JsonObject) carol_reply = NULL;
  g_autoptr(GError) error = NULL;

  /* Free before, then taken. */
  resolved = resolve (f->bob, alias, &error);
  g_assert_error (error, MATRIX_ERROR, MATRIX_ERROR_NOT_FOUND);
  g_clear_error (&error);

  matrix_room_create_options_set_name (options, "Book Club");
  matrix_room_create_options_set_topic (options, "Chapter 3 on Friday");
  matrix_room_create_options_set_alias_localpart (options, localpart);
  matrix_room_create_options_add_invite (options, matrix_client_get_user_id (f->bob->client));
  room_id = create (f->ours, options, &error);
  g_assert_no_error (error);
  g_assert_nonnull (room_id);

  encryption = state (f->ours, room_id, "m.room.encryption");
  g_assert_cmpstr (json_object_get_string_member (encryption, "algorithm"), ==, "m.megolm.v1.aes-sha2");
  join_rules = state (f->ours, room_id, "m.room.join_rules");
  g_assert_cmpstr (json_object_get_string_member (join_rules, "join_rule"), ==, "invite");
  name = state (f->ours, room_id, "m.room.name");
  g_assert_cmpstr (json_object_get_string_member (name, "name"), ==, "Book Club");
  topic = state (f->ours, room_id, "m.room.topic");
  g_assert_cmpstr (json_object_get_string_member (topic, "topic"), ==, "Chapter 3 on Friday");

  g_clear_pointer (&resolved, g_free);
  resolved = resolve (f->bob, alias, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (resolved, ==, room_id);

  /* Bob was invited, so he may join; Carol was not. */
  test_client_join (f->bob, room_id);
  carol_path = matrix_client_build_path ("v3", "join", room_id, NULL);
  carol_reply = test_client_request (f->carol, "POST", carol_path, "{}", &error);
  g_assert_error (error, MATRIX_ERROR, MATRIX_ERROR_FORBIDDEN);
  g_assert_null (carol_reply);
  g_clear_error (&error);

  /* The same address again: taken, and nothing is made. */
  matrix_room_create_options_add_invite (options, matrix_client_get_user_id (f->carol->client));
  again = create (f->ours, options, &error);
  g_assert_error (error, MATRIX_ERROR, MATRIX_ERROR_ROOM_IN_USE);
  g_assert_null (again);
}

static gboolean
listed_in_directory (TestClient *client,
                     const char *room_id)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonObject) reply = test_client_request (client, "POST", "v3/publicRooms",
                                                     "{\"limit\": 500}", &error);
  JsonArray *chunk;

  g_assert_no_error (error);
  chunk = json_object_get_array_member (reply, "chunk");
  for (guint i = 0; i < json_array_get_length (chunk); i++)
    if (g_strcmp0 (json_object_get_string_member (json_array_get_object_element (chunk, i), "room_id"),
                   room_id) == 0)
      return TRUE;
  return FALSE;
}

static void
test_public_room_with_address (Fixture       *f,
                               gconstpointer  data)
{
  g_autoptr(MatrixRoomCreateOptions) options = matrix_room_create_options_new ();
  g_autofree char *localpart = unique_localpart ("town-hall");
  g_autofree char *alias = matrix_client_dup_room_alias (f->ours->client, localpart);
  g_autofree char *room_id = NULL;
  g_autofree char *resolved = NULL;
  g_autofree char *join_path = NULL;
  g_autoptr(JsonObject) join_rules = NULL, canonical = NULL, joined = NULL;
  g_autoptr(JsonObject) encryption_reply = NULL;
  g_autofree char *encryption_path = NULL;
  g_autoptr(GError) error = NULL;

  matrix_room_create_options_set_name (options, "Town Hall");
  matrix_room_create_options_set_alias_localpart (options, localpart);
  matrix_room_create_options_set_public (options, TRUE);
  matrix_room_create_options_set_encrypted (options, FALSE);
  room_id = create (f->ours, options, &error);
  g_assert_no_error (error);

  join_rules = state (f->ours, room_id, "m.room.join_rules");
  g_assert_cmpstr (json_object_get_string_member (join_rules, "join_rule"), ==, "public");
  canonical = state (f->ours, room_id, "m.room.canonical_alias");
  g_assert_cmpstr (json_object_get_string_member (canonical, "alias"), ==, alias);
  /* Not encrypted: there is no m.room.encryption. */
  encryption_path = matrix_client_build_path ("v3", "rooms", room_id, "state", "m.room.encryption", "", NULL);
  encryption_reply = test_client_request (f->ours, "GET", encryption_path, NULL, &error);
  g_assert_error (error, MATRIX_ERROR, MATRIX_ERROR_NOT_FOUND);
  g_clear_error (&error);

  /* A stranger finds it by its address and in the directory, and joins by
   * the address. */
  resolved = resolve (f->carol, alias, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (resolved, ==, room_id);
  g_assert_true (listed_in_directory (f->carol, room_id));
  join_path = matrix_client_build_path ("v3", "join", alias, NULL);
  joined = test_client_request (f->carol, "POST", join_path, "{}", &error);
  g_assert_no_error (error);
  g_assert_cmpstr (json_object_get_string_member (joined, "room_id"), ==, room_id);
}

/* "Start a chat" by a client with encryption: the direct chat is encrypted
 * from its first state. */
static void
test_direct_chat_encrypted (Fixture       *f,
                            gconstpointer  data)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonObject) encryption = NULL;
  g_autofree char *room_id = NULL;
  gboolean created = FALSE;

  test_client_sync_once (f->ours);
  matrix_room_state_tracker_start_direct_chat_async (f->ours->tracker,
                                                     matrix_client_get_user_id (f->bob->client),
                                                     NULL, store_result, &result);
  wait_for_pointer ((gpointer *) &result, INTEGRATION_TIMEOUT_MS);
  room_id = matrix_room_state_tracker_start_direct_chat_finish (f->ours->tracker, result, &created, &error);
  g_assert_no_error (error);
  g_assert_true (created);
  encryption = state (f->ours, room_id, "m.room.encryption");
  g_assert_cmpstr (json_object_get_string_member (encryption, "algorithm"), ==, "m.megolm.v1.aes-sha2");
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add ("/integration/rooms/create-private-encrypted-with-address-and-invite", Fixture, NULL,
              fixture_set_up, test_private_encrypted_room, fixture_tear_down);
  g_test_add ("/integration/rooms/create-public-with-address-joined-by-stranger", Fixture, NULL,
              fixture_set_up, test_public_room_with_address, fixture_tear_down);
  g_test_add ("/integration/rooms/start-chat-encrypted", Fixture, NULL,
              fixture_set_up, test_direct_chat_encrypted, fixture_tear_down);

  return g_test_run ();
}
