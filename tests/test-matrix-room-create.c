/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "test-matrix-room-create"

#include <glib/gstdio.h>

#include "matrix-client-crypto-private.h"
#include "test-utils.h"

#define ME "@me:example.org"
#define CREATE_PATH "/_matrix/client/v3/createRoom"
#define DIRECT_PATH "/_matrix/client/v3/user/%40me%3Aexample.org/account_data/m.direct"
#define TIMEOUT 20000

typedef struct {
  FakeHomeserver *server;
  MatrixStore    *store;
  MatrixClient   *client;
  MatrixCrypto   *crypto;
  char           *crypto_dir;
} Fixture;

static void
fixture_setup (Fixture       *f,
               gconstpointer  data)
{
  f->server = fake_homeserver_new ();
  f->store = logged_in_store_new ();
  matrix_store_set_value (f->store, MATRIX_STORE_KEY_USER_ID, ME);
  matrix_store_set_value (f->store, MATRIX_STORE_KEY_DEVICE_ID, "MEDEV");
  f->client = matrix_client_new (fake_homeserver_get_url (f->server), f->store);
}

static void
fixture_teardown (Fixture       *f,
                  gconstpointer  data)
{
  matrix_client_stop_sync (f->client);
  if (f->crypto != NULL)
    _matrix_client_set_crypto (f->client, NULL);
  iterate_for (20);
  /* The machine's key uploads may still be on their way (slowly, under
   * valgrind): they hold the client until they are done. */
  unref_and_wait_finalized (f->client, TIMEOUT);
  if (f->crypto != NULL)
    unref_and_wait_finalized (f->crypto, TIMEOUT);
  g_assert_finalize_object (f->store);
  g_assert_finalize_object (f->server);
  if (f->crypto_dir != NULL)
    {
      g_autoptr(GFile) dir = g_file_new_for_path (f->crypto_dir);
      g_autoptr(GFileEnumerator) children =
        g_file_enumerate_children (dir, G_FILE_ATTRIBUTE_STANDARD_NAME, 0, NULL, NULL);
      GFileInfo *info;

      while (children != NULL && (info = g_file_enumerator_next_file (children, NULL, NULL)) != NULL)
        {
          g_autofree char *path = g_build_filename (f->crypto_dir, g_file_info_get_name (info), NULL);
          g_remove (path);
          g_object_unref (info);
        }
      g_rmdir (f->crypto_dir);
      g_free (f->crypto_dir);
    }
}

/* Gives the client an end-to-end encryption machine, as signing in does. */
static void
enable_encryption (Fixture *f)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;

  f->crypto_dir = g_dir_make_tmp ("room-create-XXXXXX", &error);
  g_assert_no_error (error);
  fake_homeserver_queue_json (f->server, "POST", "/_matrix/client/v3/keys/upload", 200,
                              "{\"one_time_key_counts\":{\"signed_curve25519\":50}}", TRUE);
  fake_homeserver_queue_json (f->server, "POST", "/_matrix/client/v3/keys/query", 200,
                              "{\"device_keys\":{},\"failures\":{}}", TRUE);
  _matrix_crypto_open_async (ME, "MEDEV", f->crypto_dir, "pass", NULL, store_result, &result);
  wait_for_pointer ((gpointer *) &result, TIMEOUT);
  f->crypto = _matrix_crypto_open_finish (result, &error);
  g_assert_no_error (error);
  _matrix_client_set_crypto (f->client, f->crypto);
  g_assert_true (matrix_client_get_encryption_enabled (f->client));
}

static char *
create (Fixture                 *f,
        MatrixRoomCreateOptions *options,
        GError                 **error)
{
  g_autoptr(GAsyncResult) result = NULL;

  matrix_client_create_room_with_options_async (f->client, options, NULL, store_result, &result);
  wait_for_pointer ((gpointer *) &result, TIMEOUT);
  return matrix_client_create_room_with_options_finish (f->client, result, error);
}

/* The body of the last /createRoom the server received. */
static JsonObject *
last_create_body (Fixture *f)
{
  GPtrArray *requests = fake_homeserver_get_requests (f->server);

  for (guint i = requests->len; i > 0; i--)
    {
      FakeRequest *request = g_ptr_array_index (requests, i - 1);

      if (g_str_equal (request->method, "POST") && g_str_equal (request->path, CREATE_PATH))
        {
          g_autoptr(JsonNode) node = fake_request_parse_json (request);

          return json_object_ref (json_node_get_object (node));
        }
    }
  g_assert_not_reached ();
}

static void
assert_encryption_state (JsonObject *body,
                         gboolean    encrypted)
{
  JsonArray *state;
  JsonObject *event;

  if (!encrypted)
    {
      g_assert_false (json_object_has_member (body, "initial_state"));
      return;
    }
  state = json_object_get_array_member (body, "initial_state");
  g_assert_cmpuint (json_array_get_length (state), ==, 1);
  event = json_array_get_object_element (state, 0);
  g_assert_cmpstr (json_object_get_string_member (event, "type"), ==, "m.room.encryption");
  g_assert_cmpstr (json_object_get_string_member (event, "state_key"), ==, "");
  g_assert_cmpstr (json_object_get_string_member (json_object_get_object_member (event, "content"),
                                                  "algorithm"), ==, "m.megolm.v1.aes-sha2");
}

static void
test_options_defaults_and_text (void)
{
  g_autoptr(MatrixRoomCreateOptions) options = matrix_room_create_options_new ();
  g_autoptr(GError) error = NULL;

  g_assert_true (matrix_room_create_options_get_encrypted (options));
  g_assert_false (matrix_room_create_options_get_public (options));
  g_assert_null (matrix_room_create_options_get_name (options));
  g_assert_cmpuint (g_strv_length ((char **) matrix_room_create_options_get_invites (options)), ==, 0);

  matrix_room_create_options_set_name (options, "  Book club \n");
  g_assert_cmpstr (matrix_room_create_options_get_name (options), ==, "Book club");
  matrix_room_create_options_set_topic (options, "   ");
  g_assert_null (matrix_room_create_options_get_topic (options));
  matrix_room_create_options_set_alias_localpart (options, " #book-club");
  g_assert_cmpstr (matrix_room_create_options_get_alias_localpart (options), ==, "book-club");
  matrix_room_create_options_add_invite (options, "@bob:example.org");
  matrix_room_create_options_add_invite (options, "@bob:example.org");
  matrix_room_create_options_add_invite (options, "@carol:example.org");
  g_assert_cmpuint (g_strv_length ((char **) matrix_room_create_options_get_invites (options)), ==, 2);
  g_assert_true (matrix_room_create_options_validate (options, &error));
  g_assert_no_error (error);

  g_assert_true (G_TYPE_IS_BOXED (MATRIX_TYPE_ROOM_CREATE_OPTIONS));
}

static void
test_alias_validation (void)
{
  const char *good_localparts[] = { "a", "book-club", "Room_2.0=x/y+z" };
  const char *bad_localparts[] = { "", "with space", "colon:x", "#x", "ünïcode", "tab\t", NULL };
  g_autofree char *long_localpart = g_strnfill (201, 'a');
  const char *good_aliases[] = { "#a:example.org", "#b:example.org:8448", "#c:[::1]", "#ü:example.org" };
  const char *bad_aliases[] = { "a:example.org", "#:example.org", "#a", "#a:", "#a b:example.org",
                                "#a:exa mple.org", "#a:example.org/x", "!room:example.org" };
  g_autoptr(MatrixStore) store = logged_in_store_new ();
  g_autoptr(MatrixClient) client = NULL;
  g_autofree char *alias = NULL;

  for (guint i = 0; i < G_N_ELEMENTS (good_localparts); i++)
    g_assert_true (matrix_room_alias_localpart_is_valid (good_localparts[i]));
  for (guint i = 0; i < G_N_ELEMENTS (bad_localparts); i++)
    g_assert_false (matrix_room_alias_localpart_is_valid (bad_localparts[i]));
  g_assert_false (matrix_room_alias_localpart_is_valid (long_localpart));
  for (guint i = 0; i < G_N_ELEMENTS (good_aliases); i++)
    g_assert_true (matrix_room_alias_is_valid (good_aliases[i]));
  for (guint i = 0; i < G_N_ELEMENTS (bad_aliases); i++)
    g_assert_false (matrix_room_alias_is_valid (bad_aliases[i]));
  g_assert_false (matrix_room_alias_is_valid (NULL));
  g_assert_false (matrix_room_alias_is_valid ("#a:example.org\xff"));

  matrix_store_set_value (store, MATRIX_STORE_KEY_USER_ID, ME);
  client = matrix_client_new ("https://example.org", store);
  alias = matrix_client_dup_room_alias (client, "book-club");
  g_assert_cmpstr (alias, ==, "#book-club:example.org");
  g_assert_null (matrix_client_dup_room_alias (client, "bad alias"));
}

/* A private room: name, topic, address, invitees and m.room.encryption in the
 * initial state, all in one /createRoom. */
static void
test_create_private_encrypted (Fixture       *f,
                               gconstpointer  data)
{
  g_autoptr(MatrixRoomCreateOptions) options = matrix_room_create_options_new ();
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonObject) body = NULL;
  g_autofree char *room_id = NULL;
  JsonArray *invite;

  enable_encryption (f);
  fake_homeserver_queue_json (f->server, "POST", CREATE_PATH, 200,
                              "{\"room_id\": \"!new:example.org\"}", FALSE);
  matrix_room_create_options_set_name (options, "Book club");
  matrix_room_create_options_set_topic (options, "Chapter 3 on Friday");
  matrix_room_create_options_set_alias_localpart (options, "book-club");
  matrix_room_create_options_add_invite (options, "@bob:example.org");
  matrix_room_create_options_add_invite (options, "@carol:example.org");

  room_id = create (f, options, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (room_id, ==, "!new:example.org");

  body = last_create_body (f);
  g_assert_cmpstr (json_object_get_string_member (body, "preset"), ==, "private_chat");
  g_assert_false (json_object_has_member (body, "visibility"));
  g_assert_cmpstr (json_object_get_string_member (body, "name"), ==, "Book club");
  g_assert_cmpstr (json_object_get_string_member (body, "topic"), ==, "Chapter 3 on Friday");
  g_assert_cmpstr (json_object_get_string_member (body, "room_alias_name"), ==, "book-club");
  invite = json_object_get_array_member (body, "invite");
  g_assert_cmpuint (json_array_get_length (invite), ==, 2);
  g_assert_cmpstr (json_array_get_string_element (invite, 0), ==, "@bob:example.org");
  g_assert_cmpstr (json_array_get_string_element (invite, 1), ==, "@carol:example.org");
  assert_encryption_state (body, TRUE);
}

/* A public room, unencrypted, listed in the directory; nothing optional
 * is sent when it is not set. */
static void
test_create_public (Fixture       *f,
                    gconstpointer  data)
{
  g_autoptr(MatrixRoomCreateOptions) options = matrix_room_create_options_new ();
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonObject) body = NULL;
  g_autofree char *room_id = NULL;

  fake_homeserver_queue_json (f->server, "POST", CREATE_PATH, 200,
                              "{\"room_id\": \"!pub:example.org\"}", FALSE);
  matrix_room_create_options_set_public (options, TRUE);
  matrix_room_create_options_set_encrypted (options, FALSE);

  room_id = create (f, options, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (room_id, ==, "!pub:example.org");
  body = last_create_body (f);
  g_assert_cmpstr (json_object_get_string_member (body, "preset"), ==, "public_chat");
  g_assert_cmpstr (json_object_get_string_member (body, "visibility"), ==, "public");
  g_assert_false (json_object_has_member (body, "name"));
  g_assert_false (json_object_has_member (body, "topic"));
  g_assert_false (json_object_has_member (body, "room_alias_name"));
  g_assert_false (json_object_has_member (body, "invite"));
  assert_encryption_state (body, FALSE);
}

/* What can be known wrong before asking is refused before asking. */
static void
test_create_refused_before_request (Fixture       *f,
                                    gconstpointer  data)
{
  g_autoptr(MatrixRoomCreateOptions) bad_alias = matrix_room_create_options_new ();
  g_autoptr(MatrixRoomCreateOptions) bad_invite = matrix_room_create_options_new ();
  g_autoptr(MatrixRoomCreateOptions) encrypted = matrix_room_create_options_new ();
  g_autoptr(GError) error = NULL;
  g_autofree char *room_id = NULL;

  matrix_room_create_options_set_encrypted (bad_alias, FALSE);
  matrix_room_create_options_set_alias_localpart (bad_alias, "book club");
  room_id = create (f, bad_alias, &error);
  g_assert_error (error, MATRIX_ERROR, MATRIX_ERROR_INVALID_ALIAS);
  g_assert_null (room_id);
  g_clear_error (&error);

  matrix_room_create_options_set_encrypted (bad_invite, FALSE);
  matrix_room_create_options_add_invite (bad_invite, "bob");
  room_id = create (f, bad_invite, &error);
  g_assert_error (error, MATRIX_ERROR, MATRIX_ERROR_INVALID_USER_ID);
  g_clear_error (&error);

  /* Without encryption keys, an encrypted room would be one the client
   * could send nothing into. */
  g_assert_false (matrix_client_get_encryption_enabled (f->client));
  room_id = create (f, encrypted, &error);
  g_assert_error (error, MATRIX_ERROR, MATRIX_ERROR_ROOM_ENCRYPTED);

  g_assert_cmpuint (fake_homeserver_count_requests (f->server, "POST", CREATE_PATH), ==, 0);
}

/* The server's refusals and broken answers become errors. */
static void
test_create_server_errors (Fixture       *f,
                           gconstpointer  data)
{
  g_autoptr(MatrixRoomCreateOptions) options = matrix_room_create_options_new ();
  g_autoptr(GError) error = NULL;
  g_autofree char *room_id = NULL;

  matrix_room_create_options_set_encrypted (options, FALSE);
  matrix_room_create_options_set_alias_localpart (options, "taken");
  fake_homeserver_queue_json (f->server, "POST", CREATE_PATH, 400,
                              "{\"errcode\": \"M_ROOM_IN_USE\", \"error\": \"Room alias already taken\"}",
                              FALSE);
  room_id = create (f, options, &error);
  g_assert_error (error, MATRIX_ERROR, MATRIX_ERROR_ROOM_IN_USE);
  g_assert_null (room_id);
  g_clear_error (&error);

  fake_homeserver_queue_json (f->server, "POST", CREATE_PATH, 200, "{\"room_id\": 42}", FALSE);
  room_id = create (f, options, &error);
  g_assert_error (error, MATRIX_ERROR, MATRIX_ERROR_INVALID_RESPONSE);
  g_clear_error (&error);

  fake_homeserver_queue_json (f->server, "POST", CREATE_PATH, 200,
                              "{\"room_id\": \"not a room\"}", FALSE);
  room_id = create (f, options, &error);
  g_assert_error (error, MATRIX_ERROR, MATRIX_ERROR_INVALID_RESPONSE);
}

/* matrix_client_create_room_async() (the older, simpler call) encrypts
 * exactly when the client can. */
static void
test_create_simple_follows_encryption (Fixture       *f,
                                       gconstpointer  data)
{
  g_autoptr(JsonObject) plain = NULL;
  g_autoptr(JsonObject) encrypted = NULL;
  g_autoptr(GError) error = NULL;

  for (guint round = 0; round < 2; round++)
    {
      g_autoptr(GAsyncResult) result = NULL;
      g_autofree char *room_id = NULL;

      if (round == 1)
        enable_encryption (f);
      fake_homeserver_queue_json (f->server, "POST", CREATE_PATH, 200,
                                  "{\"room_id\": \"!simple:example.org\"}", FALSE);
      matrix_client_create_room_async (f->client, "Simple", NULL, NULL, store_result, &result);
      wait_for_pointer ((gpointer *) &result, TIMEOUT);
      room_id = matrix_client_create_room_finish (f->client, result, &error);
      g_assert_no_error (error);
      g_assert_cmpstr (room_id, ==, "!simple:example.org");
      if (round == 0)
        plain = last_create_body (f);
      else
        encrypted = last_create_body (f);
    }
  g_assert_cmpstr (json_object_get_string_member (plain, "preset"), ==, "private_chat");
  assert_encryption_state (plain, FALSE);
  assert_encryption_state (encrypted, TRUE);
}

/* "Start a chat" makes an encrypted direct chat when the client can encrypt. */
static void
test_direct_chat_encrypted (Fixture       *f,
                            gconstpointer  data)
{
  g_autoptr(MatrixRoomStateTracker) tracker = matrix_room_state_tracker_new (f->client);
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonObject) body = NULL;
  g_autofree char *room_id = NULL;

  enable_encryption (f);
  fake_homeserver_queue_json (f->server, "GET", DIRECT_PATH, 404,
                              "{\"errcode\": \"M_NOT_FOUND\", \"error\": \"none\"}", TRUE);
  fake_homeserver_queue_json (f->server, "POST", CREATE_PATH, 200,
                              "{\"room_id\": \"!dm:example.org\"}", FALSE);
  fake_homeserver_queue_json (f->server, "PUT", DIRECT_PATH, 200, "{}", FALSE);
  matrix_room_state_tracker_start_direct_chat_async (tracker, "@bob:example.org", NULL,
                                                     store_result, &result);
  wait_for_pointer ((gpointer *) &result, TIMEOUT);
  room_id = matrix_room_state_tracker_start_direct_chat_finish (tracker, result, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (room_id, ==, "!dm:example.org");

  body = last_create_body (f);
  g_assert_cmpstr (json_object_get_string_member (body, "preset"), ==, "trusted_private_chat");
  g_assert_true (json_object_get_boolean_member (body, "is_direct"));
  assert_encryption_state (body, TRUE);
}

/* An alias resolves to its room; a free one is "not found". */
static void
test_resolve_alias (Fixture       *f,
                    gconstpointer  data)
{
  const char *path = "/_matrix/client/v3/directory/room/%23book-club%3Aexample.org";
  g_autoptr(GError) error = NULL;

  fake_homeserver_queue_json (f->server, "GET", path, 200,
                              "{\"room_id\": \"!club:example.org\", \"servers\": [\"example.org\"]}",
                              FALSE);
  fake_homeserver_queue_json (f->server, "GET", path, 404,
                              "{\"errcode\": \"M_NOT_FOUND\", \"error\": \"Room alias not found\"}",
                              FALSE);
  fake_homeserver_queue_json (f->server, "GET", path, 200, "{\"servers\": []}", FALSE);
  for (guint round = 0; round < 4; round++)
    {
      g_autoptr(GAsyncResult) result = NULL;
      g_autofree char *room_id = NULL;

      matrix_client_resolve_room_alias_async (f->client,
                                              round < 3 ? "#book-club:example.org" : "book-club",
                                              NULL, store_result, &result);
      wait_for_pointer ((gpointer *) &result, TIMEOUT);
      room_id = matrix_client_resolve_room_alias_finish (f->client, result, &error);
      if (round == 0)
        {
          g_assert_no_error (error);
          g_assert_cmpstr (room_id, ==, "!club:example.org");
          continue;
        }
      g_assert_null (room_id);
      {
        int expected = round == 1 ? MATRIX_ERROR_NOT_FOUND
                     : round == 2 ? MATRIX_ERROR_INVALID_RESPONSE
                                  : MATRIX_ERROR_INVALID_ALIAS;
        g_assert_error (error, MATRIX_ERROR, expected);
      }
      g_clear_error (&error);
    }
  g_assert_cmpuint (fake_homeserver_count_requests (f->server, "GET",
                                                    "/_matrix/client/v3/directory/room/#book-club:example.org"),
                    ==, 3);
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/matrix/room-create/options-defaults-and-text", test_options_defaults_and_text);
  g_test_add_func ("/matrix/room-create/alias-validation", test_alias_validation);
#define ADD(path, func) g_test_add (path, Fixture, NULL, fixture_setup, func, fixture_teardown)
  ADD ("/matrix/room-create/private-encrypted-body", test_create_private_encrypted);
  ADD ("/matrix/room-create/public-body", test_create_public);
  ADD ("/matrix/room-create/refused-before-request", test_create_refused_before_request);
  ADD ("/matrix/room-create/server-errors", test_create_server_errors);
  ADD ("/matrix/room-create/simple-call-follows-encryption", test_create_simple_follows_encryption);
  ADD ("/matrix/room-create/direct-chat-encrypted", test_direct_chat_encrypted);
  ADD ("/matrix/room-create/resolve-alias", test_resolve_alias);
#undef ADD

  return g_test_run ();
}
