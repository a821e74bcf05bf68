/* SPDX-License-Identifier: GPL-3.0-or-later */
/* MatrixCrypto and the mxc_* C ABI below it: two real machines (alice's and
 * bob's) in one process, the test playing the homeserver between them —
 * keys upload, query and claim, the room key sent to-device, a Megolm
 * message both ways — and what an attacker or a bug can hand the machine. */
#include <glib/gstdio.h>

#include "matrix-client-crypto-private.h"
#include "matrix-crypto-private.h"
#include "matrix-crypto-capi.h"
#include "matrix-json-private.h"
#include "test-utils.h"

#define ROOM "!room:example.org"
#define ALICE "@alice:example.org"
#define BOB "@bob:example.org"
#define TIMEOUT 30000

typedef struct {
  char         *dir;
  MatrixCrypto *alice;
  MatrixCrypto *bob;
  JsonObject   *alice_keys;   /* what alice uploaded: device_keys, one_time_keys */
  JsonObject   *bob_keys;
} Fixture;

static MatrixCrypto *
open_machine (const char  *user_id,
              const char  *device_id,
              const char  *path,
              const char  *passphrase,
              GError     **error)
{
  g_autoptr(GAsyncResult) result = NULL;

  _matrix_crypto_open_async (user_id, device_id, path, passphrase, NULL, store_result, &result);
  wait_for_pointer ((gpointer *) &result, TIMEOUT);
  return _matrix_crypto_open_finish (result, error);
}

static JsonArray *
outgoing (MatrixCrypto *crypto)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  JsonArray *requests;

  _matrix_crypto_outgoing_requests_async (crypto, NULL, store_result, &result);
  wait_for_pointer ((gpointer *) &result, TIMEOUT);
  requests = _matrix_crypto_outgoing_requests_finish (crypto, result, &error);
  g_assert_no_error (error);
  return requests;
}

static gboolean
mark_sent (MatrixCrypto  *crypto,
           JsonObject    *request,
           const char    *response,
           GError       **error)
{
  g_autoptr(GAsyncResult) result = NULL;

  _matrix_crypto_mark_request_as_sent_async (crypto,
                                             json_object_get_string_member (request, "id"),
                                             json_object_get_string_member (request, "type"),
                                             response, NULL, store_result, &result);
  wait_for_pointer ((gpointer *) &result, TIMEOUT);
  return _matrix_crypto_mark_request_as_sent_finish (crypto, result, error);
}

/* The first outgoing request of @type, or NULL. */
static JsonObject *
find_request (JsonArray  *requests,
              const char *type)
{
  for (guint i = 0; i < json_array_get_length (requests); i++)
    {
      JsonObject *r = json_array_get_object_element (requests, i);

      if (g_strcmp0 (json_object_get_string_member (r, "type"), type) == 0)
        return r;
    }
  return NULL;
}

/* Answers the machine's keys/upload; returns its body. */
static JsonObject *
upload_keys (MatrixCrypto *crypto)
{
  g_autoptr(JsonArray) requests = outgoing (crypto);
  JsonObject *upload = find_request (requests, "keys_upload");
  g_autoptr(GError) error = NULL;
  JsonObject *body;

  g_assert_nonnull (upload);
  body = json_object_get_object_member (upload, "body");
  g_assert_true (json_object_has_member (body, "device_keys"));
  g_assert_cmpuint (json_object_get_size (json_object_get_object_member (body, "one_time_keys")),
                    >, 0);
  g_assert_true (mark_sent (crypto, upload,
                            "{\"one_time_key_counts\":{\"signed_curve25519\":50}}", &error));
  g_assert_no_error (error);
  return json_object_ref (body);
}

static void
track (MatrixCrypto *crypto,
       const char   *user)
{
  const char *users[] = { user, NULL };
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;

  _matrix_crypto_update_tracked_users_async (crypto, users, NULL, store_result, &result);
  wait_for_pointer ((gpointer *) &result, TIMEOUT);
  g_assert_true (_matrix_crypto_update_tracked_users_finish (crypto, result, &error));
  g_assert_no_error (error);
}

/* Answers @crypto's keys/query with @user's device (from its upload). */
static void
answer_keys_query (MatrixCrypto *crypto,
                   const char   *user,
                   const char   *device,
                   JsonObject   *uploaded)
{
  g_autoptr(JsonArray) requests = outgoing (crypto);
  JsonObject *query = find_request (requests, "keys_query");
  g_autoptr(GString) response = g_string_new ("{\"device_keys\":{");
  g_autoptr(GError) error = NULL;

  g_assert_nonnull (query);
  _matrix_json_append_string (response, user);
  g_string_append (response, ":{");
  _matrix_json_append_string (response, device);
  g_string_append_c (response, ':');
  _matrix_json_append_object (response, json_object_get_object_member (uploaded, "device_keys"));
  g_string_append (response, "}},\"failures\":{}}");
  g_assert_true (mark_sent (crypto, query, response->str, &error));
  g_assert_no_error (error);
}

/* Claims one of @user's uploaded one-time keys for @crypto. */
static void
claim_session (MatrixCrypto *crypto,
               const char   *user,
               const char   *device,
               JsonObject   *uploaded)
{
  const char *users[] = { user, NULL };
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonObject) claim = NULL;
  g_autoptr(GList) ids = NULL;
  JsonObject *otks = json_object_get_object_member (uploaded, "one_time_keys");
  g_autoptr(GString) response = g_string_new ("{\"one_time_keys\":{");

  _matrix_crypto_get_missing_sessions_async (crypto, users, NULL, store_result, &result);
  wait_for_pointer ((gpointer *) &result, TIMEOUT);
  claim = _matrix_crypto_get_missing_sessions_finish (crypto, result, &error);
  g_assert_no_error (error);
  g_assert_nonnull (claim);
  g_assert_cmpstr (json_object_get_string_member (claim, "type"), ==, "keys_claim");

  ids = json_object_get_members (otks);
  _matrix_json_append_string (response, user);
  g_string_append (response, ":{");
  _matrix_json_append_string (response, device);
  g_string_append (response, ":{");
  _matrix_json_append_string (response, ids->data);
  g_string_append_c (response, ':');
  _matrix_json_append (response, json_object_get_member (otks, ids->data));
  g_string_append (response, "}}},\"failures\":{}}");
  g_assert_true (mark_sent (crypto, claim, response->str, &error));
  g_assert_no_error (error);

  /* Nothing is missing any more. */
  g_clear_object (&result);
  _matrix_crypto_get_missing_sessions_async (crypto, users, NULL, store_result, &result);
  wait_for_pointer ((gpointer *) &result, TIMEOUT);
  g_assert_null (_matrix_crypto_get_missing_sessions_finish (crypto, result, &error));
  g_assert_no_error (error);
}

/* Shares alice's room key with bob; returns the to-device event bob gets. */
static JsonObject *
share_room_key (Fixture *f)
{
  const char *users[] = { BOB, NULL };
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonArray) requests = NULL;
  JsonObject *request, *messages, *content;
  JsonObject *event;

  _matrix_crypto_share_room_key_async (f->alice, ROOM, users, "shared", NULL, store_result,
                                       &result);
  wait_for_pointer ((gpointer *) &result, TIMEOUT);
  requests = _matrix_crypto_share_room_key_finish (f->alice, result, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (json_array_get_length (requests), ==, 1);
  request = json_array_get_object_element (requests, 0);
  g_assert_cmpstr (json_object_get_string_member (request, "type"), ==, "to_device");
  g_assert_cmpstr (json_object_get_string_member (request, "event_type"), ==,
                   "m.room.encrypted");
  messages = json_object_get_object_member (json_object_get_object_member (request, "body"),
                                            "messages");
  content = json_object_get_object_member (json_object_get_object_member (messages, BOB), "BOBDEV");
  g_assert_nonnull (content);

  event = json_object_new ();
  json_object_set_string_member (event, "type", "m.room.encrypted");
  json_object_set_string_member (event, "sender", ALICE);
  json_object_set_object_member (event, "content", json_object_ref (content));
  g_assert_true (mark_sent (f->alice, request, "{}", &error));
  g_assert_no_error (error);
  return event;
}

static JsonObject *
receive_to_device (MatrixCrypto *crypto,
                   JsonObject   *event,
                   GError      **error)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(JsonObject) changes = json_object_new ();
  JsonArray *events = json_array_new ();

  if (event != NULL)
    json_array_add_object_element (events, json_object_ref (event));
  json_object_set_array_member (changes, "to_device_events", events);
  _matrix_crypto_receive_sync_changes_async (crypto, changes, NULL, store_result, &result);
  wait_for_pointer ((gpointer *) &result, TIMEOUT);
  return _matrix_crypto_receive_sync_changes_finish (crypto, result, error);
}

static JsonObject *
encrypt (MatrixCrypto *crypto,
         const char   *body)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonObject) content = json_object_new ();
  JsonObject *encrypted;

  json_object_set_string_member (content, "msgtype", "m.text");
  json_object_set_string_member (content, "body", body);
  _matrix_crypto_encrypt_async (crypto, ROOM, "m.room.message", content, NULL, store_result,
                                &result);
  wait_for_pointer ((gpointer *) &result, TIMEOUT);
  encrypted = _matrix_crypto_encrypt_finish (crypto, result, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (json_object_get_string_member (encrypted, "algorithm"), ==,
                   "m.megolm.v1.aes-sha2");
  /* No plaintext in what goes to the server. */
  {
    g_autoptr(GString) text = g_string_new (NULL);

    _matrix_json_append_object (text, encrypted);
    g_assert_null (strstr (text->str, body));
  }
  return encrypted;
}

static JsonObject *
room_event (JsonObject *content,
            const char *event_id)
{
  JsonObject *event = json_object_new ();

  json_object_set_string_member (event, "type", "m.room.encrypted");
  json_object_set_string_member (event, "sender", ALICE);
  json_object_set_string_member (event, "event_id", event_id);
  json_object_set_string_member (event, "room_id", ROOM);
  json_object_set_int_member (event, "origin_server_ts", 1700000000000);
  json_object_set_object_member (event, "content", json_object_ref (content));
  return event;
}

static JsonObject *
decrypt (MatrixCrypto  *crypto,
         JsonObject    *event,
         GError       **error)
{
  g_autoptr(GAsyncResult) result = NULL;

  _matrix_crypto_decrypt_async (crypto, ROOM, event, NULL, store_result, &result);
  wait_for_pointer ((gpointer *) &result, TIMEOUT);
  return _matrix_crypto_decrypt_finish (crypto, result, error);
}

static const char *
decrypted_body (JsonObject *decrypted)
{
  JsonObject *event = json_object_get_object_member (decrypted, "event");

  g_assert_cmpstr (json_object_get_string_member (event, "type"), ==, "m.room.message");
  return json_object_get_string_member (json_object_get_object_member (event, "content"),
                                        "body");
}

static void
fixture_set_up (Fixture       *f,
                gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *alice_path = NULL, *bob_path = NULL;

  f->dir = g_dir_make_tmp ("test-matrix-crypto-XXXXXX", &error);
  g_assert_no_error (error);
  alice_path = g_build_filename (f->dir, "alice", NULL);
  bob_path = g_build_filename (f->dir, "bob", NULL);
  f->alice = open_machine (ALICE, "ALICEDEV", alice_path, "alice-pass", &error);
  g_assert_no_error (error);
  f->bob = open_machine (BOB, "BOBDEV", bob_path, "bob-pass", &error);
  g_assert_no_error (error);
  f->alice_keys = upload_keys (f->alice);
  f->bob_keys = upload_keys (f->bob);
}

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
        g_unlink (child);
    }
  g_rmdir (path);
}

static void
fixture_tear_down (Fixture       *f,
                   gconstpointer  data)
{
  g_clear_object (&f->alice);
  g_clear_object (&f->bob);
  g_clear_pointer (&f->alice_keys, json_object_unref);
  g_clear_pointer (&f->bob_keys, json_object_unref);
  remove_tree (f->dir);
  g_free (f->dir);
}

/* Alice gets bob's device and an Olm session with it. */
static void
alice_meets_bob (Fixture *f)
{
  track (f->alice, BOB);
  answer_keys_query (f->alice, BOB, "BOBDEV", f->bob_keys);
  claim_session (f->alice, BOB, "BOBDEV", f->bob_keys);
}

static void
test_identity_keys (Fixture       *f,
                    gconstpointer  data)
{
  JsonObject *device = json_object_get_object_member (f->alice_keys, "device_keys");
  JsonObject *keys = json_object_get_object_member (device, "keys");

  g_assert_cmpstr (_matrix_crypto_get_user_id (f->alice), ==, ALICE);
  g_assert_cmpstr (_matrix_crypto_get_device_id (f->alice), ==, "ALICEDEV");
  g_assert_cmpuint (strlen (_matrix_crypto_get_ed25519_key (f->alice)), ==, 43);
  g_assert_cmpstr (json_object_get_string_member (keys, "ed25519:ALICEDEV"), ==,
                   _matrix_crypto_get_ed25519_key (f->alice));
  g_assert_cmpstr (json_object_get_string_member (keys, "curve25519:ALICEDEV"), ==,
                   _matrix_crypto_get_curve25519_key (f->alice));
  g_assert_cmpstr (_matrix_crypto_get_ed25519_key (f->alice), !=,
                   _matrix_crypto_get_ed25519_key (f->bob));
}

static void
test_room_message (Fixture       *f,
                   gconstpointer  data)
{
  g_autoptr(JsonObject) key_event = NULL, received = NULL, encrypted = NULL, event = NULL;
  g_autoptr(JsonObject) decrypted = NULL;
  g_autoptr(GError) error = NULL;
  JsonArray *room_keys;

  alice_meets_bob (f);
  key_event = share_room_key (f);
  received = receive_to_device (f->bob, key_event, &error);
  g_assert_no_error (error);
  room_keys = json_object_get_array_member (received, "room_keys");
  g_assert_cmpuint (json_array_get_length (room_keys), ==, 1);
  g_assert_cmpstr (json_object_get_string_member (json_array_get_object_element (room_keys, 0),
                                                  "room_id"), ==, ROOM);

  encrypted = encrypt (f->alice, "hello bob");
  event = room_event (encrypted, "$1");
  decrypted = decrypt (f->bob, event, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (decrypted_body (decrypted), ==, "hello bob");
  g_assert_cmpstr (json_object_get_string_member (decrypted, "sender"), ==, ALICE);
  g_assert_cmpstr (json_object_get_string_member (decrypted, "sender_device"), ==, "ALICEDEV");
}

static void
test_late_key (Fixture       *f,
               gconstpointer  data)
{
  g_autoptr(JsonObject) key_event = NULL, received = NULL, encrypted = NULL, event = NULL;
  g_autoptr(JsonObject) decrypted = NULL;
  g_autoptr(GError) error = NULL;

  alice_meets_bob (f);
  key_event = share_room_key (f);
  encrypted = encrypt (f->alice, "before the key");
  event = room_event (encrypted, "$early");

  /* The message comes first: missing key, which may still come. */
  g_assert_null (decrypt (f->bob, event, &error));
  g_assert_error (error, MATRIX_CRYPTO_ERROR, MATRIX_CRYPTO_ERROR_MISSING_KEY);
  g_clear_error (&error);

  received = receive_to_device (f->bob, key_event, &error);
  g_assert_no_error (error);
  decrypted = decrypt (f->bob, event, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (decrypted_body (decrypted), ==, "before the key");
}

static void
test_restart (Fixture       *f,
              gconstpointer  data)
{
  g_autoptr(JsonObject) key_event = NULL, received = NULL, encrypted = NULL, event = NULL;
  g_autoptr(JsonObject) decrypted = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *bob_path = g_build_filename (f->dir, "bob", NULL);
  g_autofree char *ed25519 = g_strdup (_matrix_crypto_get_ed25519_key (f->bob));
  MatrixCrypto *wrong;

  alice_meets_bob (f);
  key_event = share_room_key (f);
  received = receive_to_device (f->bob, key_event, &error);
  g_assert_no_error (error);
  encrypted = encrypt (f->alice, "still readable");
  event = room_event (encrypted, "$2");

  /* Closed (the thread joined, the store closed) and opened again. */
  g_clear_object (&f->bob);
  wrong = open_machine (BOB, "BOBDEV", bob_path, "not-the-passphrase", &error);
  g_assert_null (wrong);
  g_assert_error (error, MATRIX_CRYPTO_ERROR, MATRIX_CRYPTO_ERROR_STORE);
  g_clear_error (&error);
  wrong = open_machine ("@mallory:example.org", "BOBDEV", bob_path, "bob-pass", &error);
  g_assert_null (wrong);
  g_assert_error (error, MATRIX_CRYPTO_ERROR, MATRIX_CRYPTO_ERROR_STORE);
  g_clear_error (&error);

  f->bob = open_machine (BOB, "BOBDEV", bob_path, "bob-pass", &error);
  g_assert_no_error (error);
  g_assert_cmpstr (_matrix_crypto_get_ed25519_key (f->bob), ==, ed25519);
  decrypted = decrypt (f->bob, event, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (decrypted_body (decrypted), ==, "still readable");
}

static void
test_forged_events (Fixture       *f,
                    gconstpointer  data)
{
  static const char *const contents[] = {
    "{}",
    "{\"algorithm\":\"m.megolm.v1.aes-sha2\"}",
    "{\"algorithm\":\"m.megolm.v1.aes-sha2\",\"ciphertext\":\"AAAA\",\"session_id\":\"x\","
      "\"sender_key\":\"y\",\"device_id\":\"D\"}",
    "{\"algorithm\":\"m.megolm.v1.aes-sha2\",\"ciphertext\":42,\"session_id\":[],"
      "\"sender_key\":null,\"device_id\":{}}",
    "{\"algorithm\":\"m.olm.v1.curve25519-aes-sha2\",\"ciphertext\":{},\"sender_key\":\"k\"}",
    "{\"algorithm\":\"org.example.unknown\",\"ciphertext\":\"\\u0000\"}",
  };
  g_autoptr(JsonObject) key_event = NULL, received = NULL, encrypted = NULL;
  g_autoptr(GError) error = NULL;

  alice_meets_bob (f);
  key_event = share_room_key (f);
  received = receive_to_device (f->bob, key_event, &error);
  g_assert_no_error (error);

  for (guint i = 0; i < G_N_ELEMENTS (contents); i++)
    {
      g_autoptr(JsonObject) content = _matrix_json_parse_object (contents[i], -1, NULL);
      g_autoptr(JsonObject) event = room_event (content, "$forged");

      g_test_message ("content %s", contents[i]);
      g_assert_null (decrypt (f->bob, event, &error));
      g_assert_true (error->domain == MATRIX_CRYPTO_ERROR);
      g_assert_true (error->code == MATRIX_CRYPTO_ERROR_UNDECRYPTABLE ||
                     error->code == MATRIX_CRYPTO_ERROR_MISSING_KEY);
      g_clear_error (&error);
    }

  /* A real session id with a ciphertext tampered with: never accepted. */
  encrypted = encrypt (f->alice, "tamper with me");
  {
    g_autoptr(JsonObject) event = NULL;
    g_autofree char *ciphertext = g_strdup (json_object_get_string_member (encrypted,
                                                                         "ciphertext"));

    ciphertext[10] = ciphertext[10] == 'A' ? 'B' : 'A';
    json_object_set_string_member (encrypted, "ciphertext", ciphertext);
    event = room_event (encrypted, "$tampered");
    g_assert_null (decrypt (f->bob, event, &error));
    g_assert_error (error, MATRIX_CRYPTO_ERROR, MATRIX_CRYPTO_ERROR_UNDECRYPTABLE);
    g_clear_error (&error);
  }

  /* An event that is no event at all. */
  {
    g_autoptr(JsonObject) event = json_object_new ();

    g_assert_null (decrypt (f->bob, event, &error));
    g_assert_nonnull (error);
    g_clear_error (&error);
  }
}

static void
test_to_device_unknown_device (Fixture       *f,
                               gconstpointer  data)
{
  static const char *const events[] = {
    /* Olm from a device nobody knows, to a key that is not ours. */
    "{\"type\":\"m.room.encrypted\",\"sender\":\"@eve:example.org\",\"content\":"
      "{\"algorithm\":\"m.olm.v1.curve25519-aes-sha2\",\"sender_key\":"
      "\"Hqe1rXSu2twH7yX9qMzUmzaiAMcU3BCYEzT0U3rT+Q4\",\"ciphertext\":{\"nokey\":"
      "{\"type\":0,\"body\":\"AwoghAEuxPZ+w7M3pgUae4tDNiggUpOsQ/zci457VAti\"}}}}",
    /* A room key sent in the clear: never taken. */
    "{\"type\":\"m.room_key\",\"sender\":\"@eve:example.org\",\"content\":"
      "{\"algorithm\":\"m.megolm.v1.aes-sha2\",\"room_id\":\"" ROOM "\","
      "\"session_id\":\"s\",\"session_key\":\"AgAAAAAAAAA\"}}",
    "{\"type\":42}",
    "{}",
  };
  g_autoptr(GError) error = NULL;

  for (guint i = 0; i < G_N_ELEMENTS (events); i++)
    {
      g_autoptr(JsonObject) event = _matrix_json_parse_object (events[i], -1, NULL);
      g_autoptr(JsonObject) received = receive_to_device (f->bob, event, &error);

      g_test_message ("to-device %s", events[i]);
      g_assert_no_error (error);
      g_assert_cmpuint (json_array_get_length (json_object_get_array_member (received,
                                                                             "room_keys")),
                        ==, 0);
    }
}

static void
test_encrypt_without_key (Fixture       *f,
                          gconstpointer  data)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonObject) content = json_object_new ();

  /* The machine would panic; the boundary answers with an error. */
  _matrix_crypto_encrypt_async (f->alice, ROOM, "m.room.message", content, NULL, store_result,
                                &result);
  wait_for_pointer ((gpointer *) &result, TIMEOUT);
  g_assert_null (_matrix_crypto_encrypt_finish (f->alice, result, &error));
  g_assert_error (error, MATRIX_CRYPTO_ERROR, MATRIX_CRYPTO_ERROR_MACHINE);
}

static void
test_bad_responses (Fixture       *f,
                    gconstpointer  data)
{
  g_autoptr(JsonArray) requests = NULL;
  JsonObject *query;
  g_autoptr(GError) error = NULL;

  track (f->alice, BOB);
  requests = outgoing (f->alice);
  query = find_request (requests, "keys_query");
  g_assert_nonnull (query);
  g_assert_false (mark_sent (f->alice, query, "not json", &error));
  g_assert_error (error, MATRIX_CRYPTO_ERROR, MATRIX_CRYPTO_ERROR_INVALID);
  g_clear_error (&error);
  g_assert_false (mark_sent (f->alice, query, "{\"device_keys\":[1,2,3]}", &error));
  g_assert_error (error, MATRIX_CRYPTO_ERROR, MATRIX_CRYPTO_ERROR_INVALID);
  g_clear_error (&error);

  /* An attacker's device list: a device whose keys are not signed by it, and
   * one filed under another id. Taken without error, and not trusted. */
  {
    g_autoptr(GString) response = g_string_new (NULL);
    JsonObject *device = json_object_get_object_member (f->bob_keys, "device_keys");

    g_string_append (response, "{\"device_keys\":{\"" BOB "\":{\"OTHERDEV\":");
    _matrix_json_append_object (response, device);
    g_string_append (response, ",\"FORGED\":{\"user_id\":\"" BOB "\",\"device_id\":\"FORGED\","
                     "\"algorithms\":[],\"keys\":{},\"signatures\":{}}}},\"failures\":{}}");
    g_assert_true (mark_sent (f->alice, query, response->str, &error));
    g_assert_no_error (error);
  }

  /* So there is no device of bob's to open a session with. */
  {
    const char *users[] = { BOB, NULL };
    g_autoptr(GAsyncResult) result = NULL;

    _matrix_crypto_get_missing_sessions_async (f->alice, users, NULL, store_result, &result);
    wait_for_pointer ((gpointer *) &result, TIMEOUT);
    g_assert_null (_matrix_crypto_get_missing_sessions_finish (f->alice, result, &error));
    g_assert_no_error (error);
  }
}

typedef struct {
  MatrixTimeline *timeline;
  const char     *event_id;
  const char     *event_type;
  gint            error_code;   /* -1: no error */
} RowCheck;

static gboolean
row_is (gpointer data)
{
  RowCheck *check = data;
  guint n = g_list_model_get_n_items (G_LIST_MODEL (check->timeline));

  for (guint i = 0; i < n; i++)
    {
      g_autoptr(MatrixTimelineItem) item = g_list_model_get_item (G_LIST_MODEL (check->timeline), i);
      const GError *error = matrix_timeline_item_get_decryption_error (item);

      if (g_strcmp0 (matrix_timeline_item_get_event_id (item), check->event_id) != 0)
        continue;
      return g_strcmp0 (matrix_timeline_item_get_event_type (item), check->event_type) == 0 &&
             (check->error_code < 0 ? error == NULL
                                    : g_error_matches (error, MATRIX_ERROR, check->error_code));
    }
  return FALSE;
}

/* A client syncing from the fake homeserver with bob's machine: an encrypted
 * message whose room key is not there yet shows "key missing", and is
 * decrypted in place when a later sync brings the key to-device; the row
 * keeps the encrypted original as its event. */
static void
test_timeline_late_key (Fixture       *f,
                        gconstpointer  data)
{
  g_autoptr(FakeHomeserver) server = fake_homeserver_new ();
  g_autoptr(MatrixStore) store = logged_in_store_new ();
  g_autoptr(MatrixClient) client = NULL;
  g_autoptr(MatrixRoomStateTracker) tracker = NULL;
  g_autoptr(JsonObject) key_event = NULL, encrypted = NULL, event = NULL;
  g_autoptr(GString) first = g_string_new (NULL), second = g_string_new (NULL);
  RowCheck check = { NULL, "$e1", "m.room.encrypted", MATRIX_ERROR_DECRYPTION_KEY_MISSING };
  MatrixRoom *room;
  guint n;

  alice_meets_bob (f);
  key_event = share_room_key (f);
  encrypted = encrypt (f->alice, "late hello");
  event = room_event (encrypted, "$e1");

  matrix_store_set_value (store, MATRIX_STORE_KEY_USER_ID, BOB);
  matrix_store_set_value (store, MATRIX_STORE_KEY_DEVICE_ID, "BOBDEV");
  fake_homeserver_queue_json (server, "POST", "/_matrix/client/v3/keys/upload", 200,
                              "{\"one_time_key_counts\":{\"signed_curve25519\":50}}", TRUE);
  fake_homeserver_queue_json (server, "POST", "/_matrix/client/v3/keys/query", 200,
                              "{\"device_keys\":{},\"failures\":{}}", TRUE);
  client = matrix_client_new (fake_homeserver_get_url (server), store);
  tracker = matrix_room_state_tracker_new (client);
  _matrix_client_set_crypto (client, f->bob);

  g_string_append (first, "{\"next_batch\":\"t1\",\"rooms\":{\"join\":{\"" ROOM "\":{"
                   "\"state\":{\"events\":[{\"type\":\"m.room.create\",\"state_key\":\"\","
                   "\"sender\":\"" ALICE "\",\"event_id\":\"$c\",\"origin_server_ts\":1,"
                   "\"content\":{}},{\"type\":\"m.room.encryption\",\"state_key\":\"\","
                   "\"sender\":\"" ALICE "\",\"event_id\":\"$enc\",\"origin_server_ts\":2,"
                   "\"content\":{\"algorithm\":\"m.megolm.v1.aes-sha2\"}}]},"
                   "\"timeline\":{\"events\":[");
  _matrix_json_append_object (first, event);
  g_string_append (first, "],\"limited\":false,\"prev_batch\":\"p0\"}}}}}");
  sync_once (server, client, NULL, first->str);

  room = matrix_room_state_tracker_get_room (tracker, ROOM);
  g_assert_nonnull (room);
  check.timeline = matrix_room_get_timeline (room);
  g_assert_true (test_iterate_until (row_is, &check, TIMEOUT));

  /* The key comes to-device with the next sync. */
  g_string_append (second, "{\"next_batch\":\"t2\",\"to_device\":{\"events\":[");
  _matrix_json_append_object (second, key_event);
  g_string_append (second, "]},\"device_one_time_keys_count\":{\"signed_curve25519\":50}}");
  sync_once (server, client, "t1", second->str);

  check.event_type = "m.room.message";
  check.error_code = -1;
  g_assert_true (test_iterate_until (row_is, &check, TIMEOUT));
  n = g_list_model_get_n_items (G_LIST_MODEL (check.timeline));
  for (guint i = 0; i < n; i++)
    {
      g_autoptr(MatrixTimelineItem) item = g_list_model_get_item (G_LIST_MODEL (check.timeline), i);

      if (g_strcmp0 (matrix_timeline_item_get_event_id (item), "$e1") != 0)
        continue;
      g_assert_cmpstr (matrix_timeline_item_get_body (item), ==, "late hello");
      g_assert_cmpstr (matrix_event_get_event_type (matrix_timeline_item_get_event (item)), ==,
                       "m.room.encrypted");
    }

  matrix_client_stop_sync (client);
  _matrix_client_set_crypto (client, NULL);
  iterate_for (20);
}

/* Key backup against the fake homeserver, with bob's machine: the backup
 * version is made with a new key, bob's room key is uploaded to it, and a
 * restore refuses wrong keys and malformed answers with an error. */
static gboolean
backup_setup (MatrixClient  *client,
              char         **recovery_key,
              GError       **error)
{
  g_autoptr(GAsyncResult) result = NULL;

  matrix_client_setup_key_backup_async (client, NULL, store_result, &result);
  wait_for_pointer ((gpointer *) &result, TIMEOUT);
  return matrix_client_setup_key_backup_finish (client, result, recovery_key, error);
}

static gboolean
backup_restore (MatrixClient  *client,
                const char    *recovery_key,
                guint         *n_imported,
                GError       **error)
{
  g_autoptr(GAsyncResult) result = NULL;

  matrix_client_restore_from_recovery_key_async (client, recovery_key, NULL, store_result,
                                                 &result);
  wait_for_pointer ((gpointer *) &result, TIMEOUT);
  return matrix_client_restore_from_recovery_key_finish (client, result, n_imported, error);
}

static void
test_key_backup (Fixture       *f,
                 gconstpointer  data)
{
  g_autoptr(FakeHomeserver) server = fake_homeserver_new ();
  g_autoptr(MatrixStore) store = logged_in_store_new ();
  g_autoptr(MatrixClient) client = NULL;
  g_autoptr(JsonObject) key_event = NULL, received = NULL;
  g_autoptr(JsonNode) posted = NULL, uploaded = NULL;
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *recovery_key = NULL, *version_body = NULL, *public_key = NULL;
  JsonObject *auth_data, *rooms;
  guint n = 0;

  alice_meets_bob (f);
  key_event = share_room_key (f);
  received = receive_to_device (f->bob, key_event, &error);
  g_assert_no_error (error);

  matrix_store_set_value (store, MATRIX_STORE_KEY_USER_ID, BOB);
  matrix_store_set_value (store, MATRIX_STORE_KEY_DEVICE_ID, "BOBDEV");
  client = matrix_client_new (fake_homeserver_get_url (server), store);
  /* Before the machine: no backup to speak of. */
  g_assert_false (backup_setup (client, NULL, &error));
  g_assert_error (error, MATRIX_KEY_BACKUP_ERROR, MATRIX_KEY_BACKUP_ERROR_NO_ENCRYPTION);
  g_clear_error (&error);

  fake_homeserver_queue_json (server, "POST", "/_matrix/client/v3/keys/upload", 200,
                              "{\"one_time_key_counts\":{\"signed_curve25519\":50}}", TRUE);
  fake_homeserver_queue_json (server, "POST", "/_matrix/client/v3/keys/query", 200,
                              "{\"device_keys\":{},\"failures\":{}}", TRUE);
  _matrix_client_set_crypto (client, f->bob);

  /* No backup on the server: one is made. */
  fake_homeserver_queue_json (server, "GET", "/_matrix/client/v3/room_keys/version", 404,
                              "{\"errcode\":\"M_NOT_FOUND\",\"error\":\"No backup\"}", FALSE);
  fake_homeserver_queue_json (server, "POST", "/_matrix/client/v3/room_keys/version", 200,
                              "{\"version\":\"7\"}", FALSE);
  fake_homeserver_queue_json (server, "PUT", "/_matrix/client/v3/room_keys/keys?version=7", 200,
                              "{\"etag\":\"e1\",\"count\":1}", TRUE);
  g_assert_true (backup_setup (client, &recovery_key, &error));
  g_assert_no_error (error);
  /* 48 base58 characters in twelve groups of four. */
  g_assert_cmpuint (strlen (recovery_key), ==, 48 + 11);
  g_assert_cmpint (matrix_client_get_key_backup_state (client), ==, MATRIX_KEY_BACKUP_STATE_ENABLED);
  g_assert_cmpstr (matrix_client_get_key_backup_version (client), ==, "7");
  for (guint i = 0; i < fake_homeserver_get_requests (server)->len; i++)
    {
      FakeRequest *request = g_ptr_array_index (fake_homeserver_get_requests (server), i);

      if (g_str_equal (request->method, "POST") &&
          g_str_equal (request->path, "/_matrix/client/v3/room_keys/version"))
        posted = fake_request_parse_json (request);
    }
  g_assert_nonnull (posted);
  g_assert_cmpstr (json_object_get_string_member (json_node_get_object (posted), "algorithm"), ==,
                   "m.megolm_backup.v1.curve25519-aes-sha2");
  auth_data = json_object_get_object_member (json_node_get_object (posted), "auth_data");
  g_assert_nonnull (auth_data);
  public_key = g_strdup (json_object_get_string_member (auth_data, "public_key"));
  g_assert_nonnull (public_key);
  /* The recovery key is not in what the server got. */
  {
    g_autofree char *text = json_to_string (posted, FALSE);
    g_autofree char *compact = g_strdup (recovery_key);

    g_assert_null (strstr (text, g_strdelimit (compact, " ", '\0')));
  }

  /* Bob's room key goes up. */
  matrix_client_upload_room_keys_async (client, NULL, store_result, &result);
  wait_for_pointer ((gpointer *) &result, TIMEOUT);
  g_assert_true (matrix_client_upload_room_keys_finish (client, result, &n, &error));
  g_assert_no_error (error);
  g_clear_object (&result);
  g_assert_cmpuint (n, ==, 1);
  g_assert_cmpuint (fake_homeserver_count_requests (server, "PUT",
                                                    "/_matrix/client/v3/room_keys/keys"), ==, 1);
  for (guint i = 0; i < fake_homeserver_get_requests (server)->len; i++)
    {
      FakeRequest *request = g_ptr_array_index (fake_homeserver_get_requests (server), i);

      if (g_str_equal (request->method, "PUT"))
        {
          g_clear_pointer (&uploaded, json_node_unref);
          uploaded = fake_request_parse_json (request);
        }
    }
  rooms = json_object_get_object_member (json_node_get_object (uploaded), "rooms");
  g_assert_nonnull (rooms);
  g_assert_true (json_object_has_member (rooms, ROOM));

  /* Restoring: malformed answers, then wrong keys, each a clear error. */
  version_body = g_strdup_printf ("{\"version\":\"7\",\"algorithm\":"
                                  "\"m.megolm_backup.v1.curve25519-aes-sha2\",\"auth_data\":"
                                  "{\"public_key\":\"%s\"},\"count\":1,\"etag\":\"e1\"}",
                                  public_key);
  fake_homeserver_queue_json (server, "GET", "/_matrix/client/v3/room_keys/version", 200,
                              "{\"version\":7,\"algorithm\":[]}", FALSE);
  g_assert_false (backup_restore (client, recovery_key, NULL, &error));
  g_assert_error (error, MATRIX_ERROR, MATRIX_ERROR_INVALID_RESPONSE);
  g_clear_error (&error);
  fake_homeserver_queue_json (server, "GET", "/_matrix/client/v3/room_keys/version", 200,
                              "{\"version\":\"7\",\"algorithm\":\"m.megolm_backup.v1.curve25519-aes-sha2\","
                              "\"auth_data\":{\"public_key\":\"not a key!\"}}", FALSE);
  g_assert_false (backup_restore (client, recovery_key, NULL, &error));
  g_assert_error (error, MATRIX_ERROR, MATRIX_ERROR_INVALID_RESPONSE);
  g_clear_error (&error);
  fake_homeserver_queue_json (server, "GET", "/_matrix/client/v3/room_keys/version", 200,
                              "{\"version\":\"7\",\"algorithm\":\"org.example.other\","
                              "\"auth_data\":{}}", FALSE);
  g_assert_false (backup_restore (client, recovery_key, NULL, &error));
  g_assert_error (error, MATRIX_KEY_BACKUP_ERROR, MATRIX_KEY_BACKUP_ERROR_UNSUPPORTED);
  g_clear_error (&error);
  fake_homeserver_queue_json (server, "GET", "/_matrix/client/v3/room_keys/version", 200,
                              version_body, FALSE);
  g_assert_false (backup_restore (client, "EsTc LW2K PGiF wKEA 3As5 g5c4 BXwk qeeJ ZJV8 Q9fu gUMN UE4d",
                                  NULL, &error));
  g_assert_error (error, MATRIX_KEY_BACKUP_ERROR, MATRIX_KEY_BACKUP_ERROR_WRONG_KEY);
  g_clear_error (&error);
  fake_homeserver_queue_json (server, "GET", "/_matrix/client/v3/room_keys/version", 200,
                              version_body, FALSE);
  g_assert_false (backup_restore (client, "EsTc LW2K PGiF wKEA 3As5 g5c4 BXwk qeeJ ZJV8 Q9fu gUMN UE4e",
                                  NULL, &error));
  g_assert_error (error, MATRIX_KEY_BACKUP_ERROR, MATRIX_KEY_BACKUP_ERROR_INVALID_KEY);
  g_clear_error (&error);
  /* The right key, and keys that are not objects or do not decrypt. */
  fake_homeserver_queue_json (server, "GET", "/_matrix/client/v3/room_keys/version", 200,
                              version_body, FALSE);
  fake_homeserver_queue_json (server, "GET", "/_matrix/client/v3/room_keys/keys?version=7", 200,
                              "{\"rooms\":\"nothing\"}", FALSE);
  g_assert_false (backup_restore (client, recovery_key, NULL, &error));
  g_assert_error (error, MATRIX_ERROR, MATRIX_ERROR_INVALID_RESPONSE);
  g_clear_error (&error);
  fake_homeserver_queue_json (server, "GET", "/_matrix/client/v3/room_keys/version", 200,
                              version_body, FALSE);
  fake_homeserver_queue_json (server, "GET", "/_matrix/client/v3/room_keys/keys?version=7", 200,
                              "{\"rooms\":{\"" ROOM "\":{\"sessions\":{\"s1\":{\"first_message_index\":0,"
                              "\"forwarded_count\":0,\"is_verified\":false,\"session_data\":"
                              "{\"ephemeral\":\"AAAA\",\"ciphertext\":\"AAAA\",\"mac\":\"AAAA\"}},"
                              "\"s2\":42}},\"not a room\":{\"sessions\":[]}}}", FALSE);
  g_assert_true (backup_restore (client, recovery_key, &n, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (n, ==, 0);
  g_assert_cmpuint (fake_homeserver_get_n_unmatched (server), ==, 0);

  matrix_client_stop_sync (client);
  _matrix_client_set_crypto (client, NULL);
  iterate_for (20);
}

/* The C ABI itself, without the GObject: NULLs, non-UTF-8, wrong shapes. */
static void
test_capi_arguments (void)
{
  g_autofree char *dir = g_dir_make_tmp ("test-matrix-crypto-capi-XXXXXX", NULL);
  MxcMachine *m = NULL;
  char *out = (char *) 0x1, *error = NULL;

  g_assert_cmpint (mxc_machine_open (NULL, "D", dir, NULL, &m, &error), ==,
                   MXC_INVALID_ARGUMENT);
  g_assert_null (m);
  g_assert_nonnull (error);
  mxc_string_free (error);
  g_assert_cmpint (mxc_machine_open ("not a user id", "D", dir, NULL, &m, &error), ==,
                   MXC_INVALID_ARGUMENT);
  mxc_string_free (error);
  g_assert_cmpint (mxc_machine_open ("@a:b\xff", "D", dir, NULL, &m, &error), ==,
                   MXC_INVALID_ARGUMENT);
  mxc_string_free (error);
  g_assert_cmpint (mxc_machine_open ("@a:b", "", dir, NULL, &m, &error), ==,
                   MXC_INVALID_ARGUMENT);
  mxc_string_free (error);
  g_assert_cmpint (mxc_machine_open ("@a:b", "D", dir, NULL, NULL, NULL), ==,
                   MXC_INVALID_ARGUMENT);

  g_assert_cmpint (mxc_machine_open ("@a:b", "D", dir, NULL, &m, &error), ==, MXC_OK);
  g_assert_null (error);
  g_assert_nonnull (m);

  g_assert_cmpint (mxc_machine_outgoing_requests (NULL, &out, &error), ==, MXC_INVALID_ARGUMENT);
  g_assert_null (out);
  mxc_string_free (error);
  g_assert_cmpint (mxc_machine_receive_sync_changes (m, "[]", &out, &error), ==,
                   MXC_INVALID_ARGUMENT);
  mxc_string_free (error);
  g_assert_cmpint (mxc_machine_receive_sync_changes (m, "{\"changed\":[\"x\"]}", &out, &error),
                   ==, MXC_INVALID_ARGUMENT);
  mxc_string_free (error);
  g_assert_cmpint (mxc_machine_receive_sync_changes (m, "{\"one_time_key_counts\":"
                                                        "{\"signed_curve25519\":-1}}",
                                                     &out, &error), ==, MXC_INVALID_ARGUMENT);
  mxc_string_free (error);
  g_assert_cmpint (mxc_machine_update_tracked_users (m, "{\"a\":1}", &error), ==,
                   MXC_INVALID_ARGUMENT);
  mxc_string_free (error);
  g_assert_cmpint (mxc_machine_update_tracked_users (m, "[1]", &error), ==,
                   MXC_INVALID_ARGUMENT);
  mxc_string_free (error);
  g_assert_cmpint (mxc_machine_mark_request_as_sent (m, "id", "teapot", "{}", &error), ==,
                   MXC_INVALID_ARGUMENT);
  mxc_string_free (error);
  g_assert_cmpint (mxc_machine_decrypt_room_event (m, "not a room", "{}", &out, &error), ==,
                   MXC_INVALID_ARGUMENT);
  mxc_string_free (error);
  g_assert_cmpint (mxc_machine_decrypt_room_event (m, ROOM, "{\"type\":", &out, &error), ==,
                   MXC_INVALID_ARGUMENT);
  mxc_string_free (error);
  g_assert_cmpint (mxc_machine_encrypt (m, ROOM, "m.room.message", "[]", &out, &error), ==,
                   MXC_INVALID_ARGUMENT);
  mxc_string_free (error);
  g_assert_cmpint (mxc_machine_share_room_key (m, ROOM, "[\"@b:c\"]", "{\"rotation_period_ms\":"
                                                                      "\"x\"}", &out, &error),
                   ==, MXC_INVALID_ARGUMENT);
  mxc_string_free (error);

  /* A well-formed sync with nothing in it, and the empty request list. */
  g_assert_cmpint (mxc_machine_receive_sync_changes (m, "{}", &out, &error), ==, MXC_OK);
  g_assert_cmpstr (out, ==, "{\"room_keys\":[],\"to_device_events\":[]}");
  mxc_string_free (out);
  mxc_string_free (NULL);
  mxc_machine_free (m);
  mxc_machine_free (NULL);

  {
    g_autofree char *store = g_build_filename (dir, "matrix-sdk-crypto.sqlite3", NULL);

    g_unlink (store);
    g_autofree char *shm = g_strconcat (store, "-shm", NULL);
    g_autofree char *wal = g_strconcat (store, "-wal", NULL);
    g_unlink (shm);
    g_unlink (wal);
    g_rmdir (dir);
  }
}

static void
test_passphrase (void)
{
  g_autofree char *a = _matrix_crypto_new_passphrase ();
  g_autofree char *b = _matrix_crypto_new_passphrase ();

  g_assert_cmpuint (strlen (a), ==, 44);
  g_assert_cmpstr (a, !=, b);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/matrix/crypto/capi/bad-arguments", test_capi_arguments);
  g_test_add_func ("/matrix/crypto/passphrase-random", test_passphrase);
#define ADD(path, func) \
  g_test_add ("/matrix/crypto/" path, Fixture, NULL, fixture_set_up, func, fixture_tear_down)
  ADD ("key-backup/create-upload-restore-errors", test_key_backup);
  ADD ("identity-keys", test_identity_keys);
  ADD ("room-message-both-machines", test_room_message);
  ADD ("late-room-key-decrypts", test_late_key);
  ADD ("restart-decrypts-stored", test_restart);
  ADD ("forged-room-events-rejected", test_forged_events);
  ADD ("to-device-unknown-device", test_to_device_unknown_device);
  ADD ("encrypt-without-room-key", test_encrypt_without_key);
  ADD ("bad-and-hostile-key-responses", test_bad_responses);
  ADD ("timeline-row-decrypts-when-key-arrives", test_timeline_late_key);
#undef ADD

  return g_test_run ();
}
