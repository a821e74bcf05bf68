/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "integration-test-e2e"

#include <glib/gstdio.h>

#include "integration-utils.h"
#include "matrix-client-crypto-private.h"
#include "matrix-json-private.h"
#include "matrix-verification.h"

/* End-to-end encryption against a real Synapse, with a real encrypting peer:
 * matrix-nio with vodozemac (tests/integration/e2e-peer.py). The peer sends
 * into an encrypted room and our client decrypts; our client sends (the
 * library encrypting on its own) and the peer decrypts; the machine closed
 * and opened again over its store decrypts old and new messages. */

typedef struct {
  GSubprocess      *process;
  GDataInputStream *out;
  GOutputStream    *in;
  char             *user;
  char             *dir;
  char             *device_id;
  char             *user_id;   /* in full, as the peer logged in */
} E2ePeer;

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

static JsonObject *
peer_read (E2ePeer *peer)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *line = NULL;
  JsonObject *answer;

  g_data_input_stream_read_line_async (peer->out, G_PRIORITY_DEFAULT, NULL, store_result,
                                       &result);
  /* The peer's own waits are 30 s; ours are longer. */
  wait_for_pointer ((gpointer *) &result, 2 * INTEGRATION_TIMEOUT_MS);
  line = g_data_input_stream_read_line_finish_utf8 (peer->out, result, NULL, &error);
  g_assert_no_error (error);
  g_assert_nonnull (line);
  answer = _matrix_json_parse_object (line, -1, &error);
  g_assert_no_error (error);
  if (!json_object_get_boolean_member_with_default (answer, "ok", FALSE))
    g_error ("The e2e peer failed: %s", line);
  return answer;
}

/* Sends @command (JSON) and waits for the answer, iterating the main loop
 * so our client keeps syncing meanwhile. */
static JsonObject *
peer_command (E2ePeer    *peer,
              const char *command)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *line = g_strconcat (command, "\n", NULL);

  g_output_stream_write_all (peer->in, line, strlen (line), NULL, NULL, &error);
  g_assert_no_error (error);
  return peer_read (peer);
}

static E2ePeer *
e2e_peer_new (void)
{
  E2ePeer *peer = g_new0 (E2ePeer, 1);
  const char *python = g_getenv ("CONFAB_PEER_PYTHON");
  g_autofree char *password = NULL;
  g_autofree char *script = g_test_build_filename (G_TEST_DIST, "integration", "e2e-peer.py",
                                                   NULL);
  g_autoptr(JsonObject) hello = NULL;
  g_autoptr(GError) error = NULL;

  g_assert_nonnull (python);
  peer->user = synapse_unique_user ("nio");
  password = g_strdup_printf ("%s-password", peer->user);
  synapse_register_user (peer->user, password);
  peer->dir = g_dir_make_tmp ("confab-e2e-peer-XXXXXX", NULL);
  peer->process = g_subprocess_new (G_SUBPROCESS_FLAGS_STDIN_PIPE | G_SUBPROCESS_FLAGS_STDOUT_PIPE,
                                    &error, python, script, synapse_get_url (), peer->user,
                                    password, peer->dir, NULL);
  g_assert_no_error (error);
  peer->in = g_subprocess_get_stdin_pipe (peer->process);
  peer->out = g_data_input_stream_new (g_subprocess_get_stdout_pipe (peer->process));
  hello = peer_read (peer);
  peer->device_id = g_strdup (json_object_get_string_member (hello, "device_id"));
  peer->user_id = g_strdup (json_object_get_string_member (hello, "user_id"));
  return peer;
}

static void
e2e_peer_free (E2ePeer *peer)
{
  g_autoptr(GAsyncResult) result = NULL;

  g_output_stream_write_all (peer->in, "{\"cmd\":\"quit\"}\n", 16, NULL, NULL, NULL);
  g_subprocess_wait_async (peer->process, NULL, store_result, &result);
  wait_for_pointer ((gpointer *) &result, INTEGRATION_TIMEOUT_MS);
  g_clear_object (&peer->out);
  g_clear_object (&peer->process);
  remove_tree (peer->dir);
  g_free (peer->dir);
  g_free (peer->user);
  g_free (peer->device_id);
  g_free (peer->user_id);
  g_free (peer);
}

typedef struct {
  TestClient   *ours;
  char         *crypto_dir;
  GHashTable   *events;   /* event id → MatrixEvent, as it came in a timeline */
} Fixture;

static void
on_timeline (MatrixClient *client,
             const char   *room_id,
             GPtrArray    *events,
             gboolean      limited,
             const char   *prev_batch,
             Fixture      *f)
{
  for (guint i = 0; i < events->len; i++)
    {
      MatrixEvent *event = g_ptr_array_index (events, i);

      if (matrix_event_get_event_id (event) != NULL)
        g_hash_table_replace (f->events, g_strdup (matrix_event_get_event_id (event)),
                              g_object_ref (event));
    }
}

static MatrixCrypto *
open_crypto (Fixture *f)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  MatrixCrypto *crypto;

  _matrix_crypto_open_async (matrix_client_get_user_id (f->ours->client),
                             matrix_client_get_device_id (f->ours->client), f->crypto_dir,
                             "a passphrase", NULL, store_result, &result);
  wait_for_pointer ((gpointer *) &result, INTEGRATION_TIMEOUT_MS);
  crypto = _matrix_crypto_open_finish (result, &error);
  g_assert_no_error (error);
  return crypto;
}

static gboolean
device_keys_uploaded (gpointer data)
{
  Fixture *f = data;
  g_autoptr(GError) error = NULL;
  g_autofree char *body = g_strdup_printf ("{\"device_keys\":{\"%s\":[]}}", matrix_client_get_user_id (f->ours->client));
  g_autoptr(JsonObject) reply = test_client_request (f->ours, "POST", "v3/keys/query", body,
                                                     &error);
  JsonObject *keys;

  g_assert_no_error (error);
  keys = json_object_get_object_member (reply, "device_keys");
  keys = keys != NULL ? json_object_get_object_member (keys, matrix_client_get_user_id (f->ours->client)) : NULL;
  return keys != NULL &&
         json_object_has_member (keys, matrix_client_get_device_id (f->ours->client));
}

static void
fixture_set_up (Fixture       *f,
                gconstpointer  data)
{
  g_autoptr(MatrixCrypto) crypto = NULL;

  f->ours = test_client_new_logged_in ("e2e");
  f->crypto_dir = g_dir_make_tmp ("confab-e2e-XXXXXX", NULL);
  f->events = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_object_unref);
  g_signal_connect (f->ours->client, "room-timeline-updates", G_CALLBACK (on_timeline), f);
  crypto = open_crypto (f);
  _matrix_client_set_crypto (f->ours->client, crypto);
  /* The device's keys are on the server before anyone looks for them. */
  g_assert_true (test_iterate_until (device_keys_uploaded, f, INTEGRATION_TIMEOUT_MS));
  test_client_sync_once (f->ours);
}

static void
fixture_tear_down (Fixture       *f,
                   gconstpointer  data)
{
  g_signal_handlers_disconnect_by_data (f->ours->client, f);
  test_client_free (f->ours);
  g_hash_table_unref (f->events);
  remove_tree (f->crypto_dir);
  g_free (f->crypto_dir);
}

static gboolean
event_arrived (gpointer data)
{
  gpointer *check = data;

  return g_hash_table_contains (((Fixture *) check[0])->events, check[1]);
}

static MatrixEvent *
wait_event (Fixture    *f,
            const char *event_id)
{
  gpointer check[] = { f, (gpointer) event_id };

  g_assert_true (test_iterate_until (event_arrived, check, INTEGRATION_TIMEOUT_MS));
  return g_hash_table_lookup (f->events, event_id);
}

static MatrixEvent *
decrypt (Fixture      *f,
         MatrixEvent  *event,
         GError      **error)
{
  g_autoptr(GAsyncResult) result = NULL;

  _matrix_client_decrypt_event_async (f->ours->client, event, NULL, store_result, &result);
  wait_for_pointer ((gpointer *) &result, INTEGRATION_TIMEOUT_MS);
  return _matrix_client_decrypt_event_finish (f->ours->client, result, error);
}

/* A room of the peer's, encrypted, that we joined. */
static char *
shared_room (Fixture *f,
             E2ePeer *peer)
{
  g_autofree char *command = g_strdup_printf ("{\"cmd\":\"create_room\",\"invite\":[\"%s\"]}",
                                              matrix_client_get_user_id (f->ours->client));
  g_autoptr(JsonObject) created = peer_command (peer, command);
  char *room_id = g_strdup (json_object_get_string_member (created, "room_id"));
  g_autofree char *wait = NULL;
  g_autoptr(JsonObject) joined = NULL;

  test_client_join (f->ours, room_id);
  wait = g_strdup_printf ("{\"cmd\":\"wait_member\",\"room_id\":\"%s\",\"user_id\":\"%s\"}",
                          room_id, matrix_client_get_user_id (f->ours->client));
  joined = peer_command (peer, wait);
  return room_id;
}

static char *
peer_send (E2ePeer    *peer,
           const char *room_id,
           const char *body)
{
  g_autofree char *command = g_strdup_printf ("{\"cmd\":\"send\",\"room_id\":\"%s\","
                                              "\"body\":\"%s\"}", room_id, body);
  g_autoptr(JsonObject) sent = peer_command (peer, command);

  return g_strdup (json_object_get_string_member (sent, "event_id"));
}

static void
assert_decrypts_to (Fixture     *f,
                    MatrixEvent *event,
                    const char  *body)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(MatrixEvent) plain = NULL;

  g_assert_cmpstr (matrix_event_get_event_type (event), ==, "m.room.encrypted");
  plain = decrypt (f, event, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (matrix_event_get_event_type (plain), ==, "m.room.message");
  g_assert_cmpstr (matrix_event_get_content_string (plain, "body"), ==, body);
  g_assert_cmpstr (matrix_event_get_event_id (plain), ==, matrix_event_get_event_id (event));
  g_assert_cmpstr (matrix_event_get_sender (plain), ==, matrix_event_get_sender (event));
}

static void
test_peer_sends (Fixture       *f,
                 gconstpointer  data)
{
  E2ePeer *peer = e2e_peer_new ();
  g_autofree char *room_id = shared_room (f, peer);
  g_autofree char *event_id = peer_send (peer, room_id, "hello from nio");

  assert_decrypts_to (f, wait_event (f, event_id), "hello from nio");
  e2e_peer_free (peer);
}

static void
test_we_send (Fixture       *f,
              gconstpointer  data)
{
  E2ePeer *peer = e2e_peer_new ();
  g_autofree char *room_id = shared_room (f, peer);
  g_autofree char *path = NULL, *wait = NULL;
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonObject) content = json_object_new ();
  g_autoptr(JsonObject) received = NULL;
  g_autofree char *event_id = NULL;

  /* Whether the room is encrypted, the send finds out (from the sync or
   * the server); it is never sent in the clear. */
  json_object_set_string_member (content, "msgtype", "m.text");
  json_object_set_string_member (content, "body", "hello from confab");
  matrix_client_send_event_async (f->ours->client, room_id, "m.room.message", content, NULL, NULL,
                                  store_result, &result);
  wait_for_pointer ((gpointer *) &result, 2 * INTEGRATION_TIMEOUT_MS);
  event_id = matrix_client_send_event_finish (f->ours->client, result, &error);
  g_assert_no_error (error);
  g_assert_nonnull (event_id);

  /* What the server has is ciphertext only. */
  path = matrix_client_build_path ("v3", "rooms", room_id, "event", event_id, NULL);
  {
    g_autoptr(JsonObject) stored = test_client_request (f->ours, "GET", path, NULL, &error);
    g_autoptr(GString) text = g_string_new (NULL);

    g_assert_no_error (error);
    g_assert_cmpstr (json_object_get_string_member (stored, "type"), ==, "m.room.encrypted");
    _matrix_json_append_object (text, stored);
    g_assert_null (strstr (text->str, "hello from confab"));
  }

  wait = g_strdup_printf ("{\"cmd\":\"wait_message\",\"room_id\":\"%s\","
                          "\"body\":\"hello from confab\"}", room_id);
  received = peer_command (peer, wait);
  g_assert_cmpstr (json_object_get_string_member (received, "sender"), ==, matrix_client_get_user_id (f->ours->client));
  g_assert_cmpstr (json_object_get_string_member (received, "event_id"), ==, event_id);
  e2e_peer_free (peer);
}

static void
test_reopened_machine (Fixture       *f,
                       gconstpointer  data)
{
  E2ePeer *peer = e2e_peer_new ();
  g_autofree char *room_id = shared_room (f, peer);
  g_autofree char *old_id = peer_send (peer, room_id, "before the restart");
  g_autofree char *new_id = NULL;
  MatrixEvent *old_event = wait_event (f, old_id);
  g_autoptr(MatrixCrypto) crypto = NULL;

  assert_decrypts_to (f, old_event, "before the restart");

  /* The machine closed (its thread joined, the store closed)... */
  matrix_client_stop_sync (f->ours->client);
  _matrix_client_set_crypto (f->ours->client, NULL);
  /* ...and opened again over the same store. */
  crypto = open_crypto (f);
  _matrix_client_set_crypto (f->ours->client, crypto);
  assert_decrypts_to (f, old_event, "before the restart");

  matrix_client_start_sync (f->ours->client);
  new_id = peer_send (peer, room_id, "after the restart");
  assert_decrypts_to (f, wait_event (f, new_id), "after the restart");
  e2e_peer_free (peer);
}

/* --- Encrypted attachments ---------------------------------------------- */

static GBytes *
pattern_bytes (gsize size)
{
  guint8 *data = g_malloc (size);

  for (gsize i = 0; i < size; i++)
    data[i] = (guint8) ((i * 131 + i / 7) & 0xff);
  return g_bytes_new_take (data, size);
}

static char *
write_temp (GBytes *bytes)
{
  g_autoptr(GError) error = NULL;
  char *path = NULL;
  int fd = g_file_open_tmp ("confab-e2e-media-XXXXXX", &path, &error);

  g_assert_no_error (error);
  close (fd);
  g_assert_true (g_file_set_contents (path, g_bytes_get_data (bytes, NULL),
                                      g_bytes_get_size (bytes), NULL));
  return path;
}

static MatrixMedia *
media_new (Fixture *f)
{
  g_autofree char *dir = g_build_filename (f->crypto_dir, "media", NULL);
  g_autoptr(MatrixMediaCache) cache = matrix_media_cache_new (dir, 64 * 1024 * 1024);

  return matrix_media_new (f->ours->client, cache);
}

static void
test_peer_sends_file (Fixture       *f,
                      gconstpointer  data)
{
  E2ePeer *peer = e2e_peer_new ();
  g_autofree char *room_id = shared_room (f, peer);
  g_autoptr(GBytes) plaintext = pattern_bytes (200 * 1024 + 3);
  g_autofree char *path = write_temp (plaintext);
  g_autofree char *command = NULL;
  g_autoptr(JsonObject) sent = NULL;
  g_autoptr(MatrixEvent) plain = NULL;
  g_autoptr(MatrixMediaInfo) info = NULL;
  g_autoptr(MatrixMedia) media = media_new (f);
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GFile) file = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *contents = NULL;
  gsize length;

  command = g_strdup_printf ("{\"cmd\":\"send_file\",\"room_id\":\"%s\",\"path\":\"%s\","
                             "\"body\":\"pattern.png\",\"msgtype\":\"m.image\"}", room_id, path);
  sent = peer_command (peer, command);
  plain = decrypt (f, wait_event (f, json_object_get_string_member (sent, "event_id")), &error);
  g_assert_no_error (error);

  info = matrix_media_info_new_from_content ("m.room.message", matrix_event_get_content (plain),
                                             &error);
  g_assert_no_error (error);
  g_assert_cmpstr (matrix_media_info_get_msgtype (info), ==, "m.image");
  g_assert_nonnull (matrix_media_info_get_encrypted_file (info));
  g_assert_cmpstr (matrix_media_info_get_url (info), ==, json_object_get_string_member (sent, "url"));

  matrix_media_download_for_info_async (media, info, 16 * 1024 * 1024, NULL, NULL, NULL,
                                        store_result, &result);
  wait_for_pointer ((gpointer *) &result, INTEGRATION_TIMEOUT_MS);
  file = matrix_media_download_for_info_finish (media, result, &error);
  g_assert_no_error (error);
  g_assert_true (g_file_load_contents (file, NULL, &contents, &length, NULL, NULL));
  g_assert_cmpmem (contents, length, g_bytes_get_data (plaintext, NULL),
                   g_bytes_get_size (plaintext));

  g_unlink (path);
  e2e_peer_free (peer);
}

static void
test_we_send_file (Fixture       *f,
                   gconstpointer  data)
{
  E2ePeer *peer = e2e_peer_new ();
  g_autofree char *room_id = shared_room (f, peer);
  g_autoptr(GBytes) plaintext = pattern_bytes (150 * 1024 + 11);
  g_autofree char *path = write_temp (plaintext);
  g_autoptr(GFile) local = g_file_new_for_path (path);
  g_autoptr(MatrixMedia) media = media_new (f);
  g_autoptr(GAsyncResult) uploaded = NULL, result = NULL;
  g_autoptr(JsonObject) encrypted_file = NULL, content = NULL, received = NULL;
  g_autoptr(MatrixMediaInfo) info = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *event_id = NULL, *wait = NULL, *event_path = NULL;
  g_autofree char *sha = NULL;

  matrix_media_upload_encrypted_async (media, local, NULL, NULL, NULL, store_result, &uploaded);
  wait_for_pointer ((gpointer *) &uploaded, INTEGRATION_TIMEOUT_MS);
  encrypted_file = matrix_media_upload_encrypted_finish (media, uploaded, &error);
  g_assert_no_error (error);
  info = matrix_media_info_new_encrypted ("m.file", "secret.bin", encrypted_file);
  matrix_media_info_set_size (info, (gint64) g_bytes_get_size (plaintext));
  content = matrix_media_info_to_content (info);
  matrix_client_send_event_async (f->ours->client, room_id, "m.room.message", content, NULL, NULL,
                                  store_result, &result);
  wait_for_pointer ((gpointer *) &result, 2 * INTEGRATION_TIMEOUT_MS);
  event_id = matrix_client_send_event_finish (f->ours->client, result, &error);
  g_assert_no_error (error);

  /* The event is Megolm-encrypted: neither the name nor the key is readable. */
  event_path = matrix_client_build_path ("v3", "rooms", room_id, "event", event_id, NULL);
  {
    g_autoptr(JsonObject) event = test_client_request (f->ours, "GET", event_path, NULL, &error);
    g_autoptr(GString) text = g_string_new (NULL);
    JsonObject *key = json_object_get_object_member (encrypted_file, "key");

    g_assert_no_error (error);
    g_assert_cmpstr (json_object_get_string_member (event, "type"), ==, "m.room.encrypted");
    _matrix_json_append_object (text, event);
    g_assert_null (strstr (text->str, "secret.bin"));
    g_assert_null (strstr (text->str, json_object_get_string_member (key, "k")));
  }

  wait = g_strdup_printf ("{\"cmd\":\"wait_file\",\"room_id\":\"%s\",\"body\":\"secret.bin\"}",
                          room_id);
  received = peer_command (peer, wait);
  sha = g_compute_checksum_for_bytes (G_CHECKSUM_SHA256, plaintext);
  g_assert_cmpstr (json_object_get_string_member (received, "sender"), ==,
                   matrix_client_get_user_id (f->ours->client));
  g_assert_cmpint (json_object_get_int_member (received, "size"), ==, g_bytes_get_size (plaintext));
  g_assert_cmpstr (json_object_get_string_member (received, "sha256"), ==, sha);
  /* What the server keeps (nio downloaded it) is not the file. */
  g_assert_cmpstr (json_object_get_string_member (received, "ciphertext_sha256"), !=, sha);

  g_unlink (path);
  e2e_peer_free (peer);
}

/* Key backup: our room keys go to the server's backup; a second login of
 * the same user, with a fresh store, reads the old history with the
 * recovery key, and a wrong key is refused. */
static MatrixEvent *
decrypt_with (MatrixClient *client,
              MatrixEvent  *event,
              GError      **error)
{
  g_autoptr(GAsyncResult) result = NULL;

  _matrix_client_decrypt_event_async (client, event, NULL, store_result, &result);
  wait_for_pointer ((gpointer *) &result, INTEGRATION_TIMEOUT_MS);
  return _matrix_client_decrypt_event_finish (client, result, error);
}

static void
test_backup_restore (Fixture       *f,
                     gconstpointer  data)
{
  enum { N_MESSAGES = 5 };
  E2ePeer *peer = e2e_peer_new ();
  g_autofree char *room_id = shared_room (f, peer);
  g_autofree char *recovery_key = NULL, *other_dir = NULL, *other_key_dir = NULL;
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonObject) version = NULL;
  g_autoptr(MatrixStore) store = matrix_memory_store_new ();
  g_autoptr(MatrixClient) second = NULL;
  g_autoptr(MatrixCrypto) crypto = NULL;
  /* g_autofree on an array would free its first string only. */
  g_auto(GStrv) ids = g_new0 (char *, N_MESSAGES + 1);
  guint n_backed_up = 0, n_imported = 0, n_decrypted = 0;

  matrix_client_setup_key_backup_async (f->ours->client, NULL, store_result, &result);
  wait_for_pointer ((gpointer *) &result, INTEGRATION_TIMEOUT_MS);
  g_assert_true (matrix_client_setup_key_backup_finish (f->ours->client, result, &recovery_key,
                                                        &error));
  g_assert_no_error (error);
  g_assert_nonnull (recovery_key);
  g_assert_cmpint (matrix_client_get_key_backup_state (f->ours->client), ==,
                   MATRIX_KEY_BACKUP_STATE_ENABLED);
  g_clear_object (&result);

  for (guint i = 0; i < N_MESSAGES; i++)
    {
      g_autofree char *body = g_strdup_printf ("backed up %u", i);

      ids[i] = peer_send (peer, room_id, body);
      assert_decrypts_to (f, wait_event (f, ids[i]), body);
    }
  matrix_client_upload_room_keys_async (f->ours->client, NULL, store_result, &result);
  wait_for_pointer ((gpointer *) &result, INTEGRATION_TIMEOUT_MS);
  g_assert_true (matrix_client_upload_room_keys_finish (f->ours->client, result, &n_backed_up,
                                                        &error));
  g_assert_no_error (error);
  g_clear_object (&result);
  /* The server's count: at least the peer's room key. */
  version = test_client_request (f->ours, "GET", "v3/room_keys/version", NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (json_object_get_string_member (version, "algorithm"), ==,
                   "m.megolm_backup.v1.curve25519-aes-sha2");
  g_assert_cmpstr (json_object_get_string_member (version, "version"), ==,
                   matrix_client_get_key_backup_version (f->ours->client));
  g_assert_cmpint (json_object_get_int_member (version, "count"), >=, 1);
  g_assert_cmpint (json_object_get_int_member (version, "count"), ==, n_backed_up);
  g_test_message ("room keys backed up: %u", n_backed_up);

  /* A second login of the same user, with a fresh crypto store. */
  second = matrix_client_new (synapse_get_url (), store);
  matrix_client_login_async (second, f->ours->user, f->ours->password, NULL, store_result,
                             &result);
  wait_for_pointer ((gpointer *) &result, INTEGRATION_TIMEOUT_MS);
  g_assert_true (matrix_client_login_finish (second, result, &error));
  g_assert_no_error (error);
  g_clear_object (&result);
  other_dir = g_dir_make_tmp ("confab-e2e-second-XXXXXX", NULL);
  _matrix_crypto_open_async (matrix_client_get_user_id (second), matrix_client_get_device_id (second),
                             other_dir, "another passphrase", NULL, store_result, &result);
  wait_for_pointer ((gpointer *) &result, INTEGRATION_TIMEOUT_MS);
  crypto = _matrix_crypto_open_finish (result, &error);
  g_assert_no_error (error);
  g_clear_object (&result);
  _matrix_client_set_crypto (second, crypto);

  /* Before: the old messages do not decrypt, and the backup is locked. */
  {
    g_autoptr(MatrixEvent) plain = decrypt_with (second, g_hash_table_lookup (f->events, ids[0]),
                                                 &error);
    g_assert_error (error, MATRIX_ERROR, MATRIX_ERROR_DECRYPTION_KEY_MISSING);
    g_clear_error (&error);
  }
  matrix_client_setup_key_backup_async (second, NULL, store_result, &result);
  wait_for_pointer ((gpointer *) &result, INTEGRATION_TIMEOUT_MS);
  {
    g_autofree char *none = NULL;

    g_assert_true (matrix_client_setup_key_backup_finish (second, result, &none, &error));
    g_assert_null (none);
  }
  g_clear_object (&result);
  g_assert_cmpint (matrix_client_get_key_backup_state (second), ==, MATRIX_KEY_BACKUP_STATE_LOCKED);

  /* A wrong key (a valid one, of no backup), then a mistyped one. */
  matrix_client_restore_from_recovery_key_async (second,
                                                 "EsTc LW2K PGiF wKEA 3As5 g5c4 BXwk qeeJ ZJV8 Q9fu gUMN UE4d",
                                                 NULL, store_result, &result);
  wait_for_pointer ((gpointer *) &result, INTEGRATION_TIMEOUT_MS);
  g_assert_false (matrix_client_restore_from_recovery_key_finish (second, result, NULL, &error));
  g_assert_error (error, MATRIX_KEY_BACKUP_ERROR, MATRIX_KEY_BACKUP_ERROR_WRONG_KEY);
  g_clear_error (&error);
  g_clear_object (&result);
  matrix_client_restore_from_recovery_key_async (second, "not a recovery key", NULL, store_result,
                                                 &result);
  wait_for_pointer ((gpointer *) &result, INTEGRATION_TIMEOUT_MS);
  g_assert_false (matrix_client_restore_from_recovery_key_finish (second, result, NULL, &error));
  g_assert_error (error, MATRIX_KEY_BACKUP_ERROR, MATRIX_KEY_BACKUP_ERROR_INVALID_KEY);
  g_clear_error (&error);
  g_clear_object (&result);

  matrix_client_restore_from_recovery_key_async (second, recovery_key, NULL, store_result,
                                                 &result);
  wait_for_pointer ((gpointer *) &result, INTEGRATION_TIMEOUT_MS);
  g_assert_true (matrix_client_restore_from_recovery_key_finish (second, result, &n_imported,
                                                                 &error));
  g_assert_no_error (error);
  g_clear_object (&result);
  g_assert_cmpuint (n_imported, >=, 1);
  g_assert_cmpint (matrix_client_get_key_backup_state (second), ==,
                   MATRIX_KEY_BACKUP_STATE_ENABLED);

  for (guint i = 0; i < N_MESSAGES; i++)
    {
      g_autofree char *body = g_strdup_printf ("backed up %u", i);
      g_autoptr(MatrixEvent) plain = decrypt_with (second, g_hash_table_lookup (f->events, ids[i]),
                                                   &error);

      g_assert_no_error (error);
      g_assert_cmpstr (matrix_event_get_content_string (plain, "body"), ==, body);
      n_decrypted++;
    }
  g_assert_cmpuint (n_decrypted, ==, N_MESSAGES);
  g_test_message ("keys imported: %u, old messages decrypted: %u of %u", n_imported, n_decrypted,
                  N_MESSAGES);

  _matrix_client_set_crypto (second, NULL);
  remove_tree (other_dir);
  (void) other_key_dir;
  e2e_peer_free (peer);
}

/* Cross-signing bootstrapped with the password (the server's
 * user-interactive auth): the account's master and self-signing keys are
 * on the server, this device is signed by the self-signing key, and the
 * session says it is verified. */
static void
test_cross_signing_bootstrap (Fixture       *f,
                              gconstpointer  data)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  const char *me = matrix_client_get_user_id (f->ours->client);
  g_autofree char *body = g_strdup_printf ("{\"device_keys\":{\"%s\":[]}}", me);
  g_autoptr(JsonObject) reply = NULL;
  JsonObject *master, *self_signing, *device, *signatures;
  gboolean verified = TRUE;

  matrix_client_get_session_verified_async (f->ours->client, NULL, store_result, &result);
  wait_for_pointer ((gpointer *) &result, INTEGRATION_TIMEOUT_MS);
  g_assert_true (matrix_client_get_session_verified_finish (f->ours->client, result, &verified,
                                                            &error));
  g_assert_false (verified);
  g_clear_object (&result);

  matrix_client_bootstrap_cross_signing_async (f->ours->client, f->ours->password, NULL,
                                               store_result, &result);
  wait_for_pointer ((gpointer *) &result, 2 * INTEGRATION_TIMEOUT_MS);
  g_assert_true (matrix_client_bootstrap_cross_signing_finish (f->ours->client, result, &error));
  g_assert_no_error (error);
  g_clear_object (&result);

  reply = test_client_request (f->ours, "POST", "v3/keys/query", body, &error);
  g_assert_no_error (error);
  master = json_object_get_object_member (json_object_get_object_member (reply, "master_keys"),
                                          me);
  self_signing = json_object_get_object_member (
    json_object_get_object_member (reply, "self_signing_keys"), me);
  g_assert_nonnull (master);
  g_assert_nonnull (self_signing);
  device = json_object_get_object_member (
    json_object_get_object_member (json_object_get_object_member (reply, "device_keys"), me),
    matrix_client_get_device_id (f->ours->client));
  signatures = json_object_get_object_member (json_object_get_object_member (device, "signatures"),
                                              me);
  /* Its own key's signature and the self-signing key's. */
  g_assert_cmpuint (json_object_get_size (signatures), ==, 2);

  matrix_client_get_session_verified_async (f->ours->client, NULL, store_result, &result);
  wait_for_pointer ((gpointer *) &result, INTEGRATION_TIMEOUT_MS);
  g_assert_true (matrix_client_get_session_verified_finish (f->ours->client, result, &verified,
                                                            &error));
  g_assert_true (verified);
}

static GPtrArray *
get_devices (Fixture    *f,
             const char *user_id)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  GPtrArray *devices;

  matrix_client_get_devices_async (f->ours->client, user_id, NULL, store_result, &result);
  wait_for_pointer ((gpointer *) &result, INTEGRATION_TIMEOUT_MS);
  devices = matrix_client_get_devices_finish (f->ours->client, result, &error);
  g_assert_no_error (error);
  return devices;
}

static MatrixDevice *
find_device (GPtrArray  *devices,
             const char *device_id)
{
  for (guint i = 0; i < devices->len; i++)
    if (g_strcmp0 (((MatrixDevice *) g_ptr_array_index (devices, i))->device_id, device_id) == 0)
      return g_ptr_array_index (devices, i);
  return NULL;
}

/* The peer's device is in its user's list, with a fingerprint and not
 * verified; our own list has this session with its fingerprint. */
static void
test_device_lists (Fixture       *f,
                   gconstpointer  data)
{
  E2ePeer *peer = e2e_peer_new ();
  g_autoptr(GPtrArray) theirs = get_devices (f, peer->user_id);
  g_autoptr(GPtrArray) ours = get_devices (f, NULL);
  MatrixDevice *device = find_device (theirs, peer->device_id);

  g_assert_nonnull (device);
  g_assert_nonnull (device->ed25519);
  g_assert_false (device->verified);
  device = find_device (ours, matrix_client_get_device_id (f->ours->client));
  g_assert_nonnull (device);
  g_assert_true (device->is_this_device);
  g_assert_cmpstr (device->ed25519, ==,
                   _matrix_crypto_get_ed25519_key (_matrix_client_get_crypto (f->ours->client)));
  e2e_peer_free (peer);
}

static void
on_verification_request (MatrixClient        *client,
                         MatrixVerification  *verification,
                         MatrixVerification **out)
{
  g_set_object (out, verification);
}

static void
confirm (MatrixVerification *verification)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;

  matrix_verification_confirm_async (verification, NULL, store_result, &result);
  wait_for_pointer ((gpointer *) &result, INTEGRATION_TIMEOUT_MS);
  g_assert_true (matrix_verification_confirm_finish (verification, result, &error));
  g_assert_no_error (error);
}

/* A second Confab client with its own crypto machine, for verification
 * between two spec-following clients. */
typedef struct {
  TestClient *client;
  char       *dir;
} Other;

static Other *
other_new (void)
{
  Other *other = g_new0 (Other, 1);
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(MatrixCrypto) crypto = NULL;

  other->client = test_client_new_logged_in ("e2eb");
  other->dir = g_dir_make_tmp ("confab-e2e-b-XXXXXX", NULL);
  _matrix_crypto_open_async (matrix_client_get_user_id (other->client->client),
                             matrix_client_get_device_id (other->client->client), other->dir,
                             "b passphrase", NULL, store_result, &result);
  wait_for_pointer ((gpointer *) &result, INTEGRATION_TIMEOUT_MS);
  crypto = _matrix_crypto_open_finish (result, &error);
  g_assert_no_error (error);
  _matrix_client_set_crypto (other->client->client, crypto);
  test_client_sync_once (other->client);
  return other;
}

static void
other_free (Other *other)
{
  test_client_free (other->client);
  remove_tree (other->dir);
  g_free (other->dir);
  g_free (other);
}

static gboolean
has_device (gpointer data)
{
  gpointer *check = data;
  g_autoptr(GPtrArray) devices = get_devices (check[0], matrix_client_get_user_id (check[1]));

  return find_device (devices, matrix_client_get_device_id (check[1])) != NULL;
}

static gboolean
both_in_state (gpointer data)
{
  gpointer *check = data;

  return (int) matrix_verification_get_state (check[0]) == GPOINTER_TO_INT (check[2]) &&
         (int) matrix_verification_get_state (check[1]) == GPOINTER_TO_INT (check[2]);
}

/* Emoji verification between two Confab clients of two users: one starts,
 * the other is told (MatrixClient::verification-request) and accepts, both
 * show the same seven emoji, both confirm, both end done and the starter
 * lists the other's device as verified. */
static void
test_sas_between_clients (Fixture       *f,
                          gconstpointer  data)
{
  Other *other = other_new ();
  MatrixClient *b = other->client->client;
  gpointer known[] = { f, b };
  g_autoptr(MatrixVerification) ours = NULL, theirs = NULL;
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) devices = NULL;
  gpointer check[3];
  const char * const *a_emoji, * const *b_emoji;
  gulong handler;

  g_assert_true (test_iterate_until (has_device, known, 2 * INTEGRATION_TIMEOUT_MS));
  /* b knows our device before the start arrives (else it drops it). */
  {
    g_autoptr(GPtrArray) a_devices = NULL;
    g_autoptr(GAsyncResult) got = NULL;

    matrix_client_get_devices_async (b, matrix_client_get_user_id (f->ours->client), NULL,
                                     store_result, &got);
    wait_for_pointer ((gpointer *) &got, INTEGRATION_TIMEOUT_MS);
    a_devices = matrix_client_get_devices_finish (b, got, &error);
    g_assert_no_error (error);
  }
  handler = g_signal_connect (b, "verification-request", G_CALLBACK (on_verification_request),
                              &theirs);
  matrix_client_start_verification_async (f->ours->client, matrix_client_get_user_id (b),
                                          matrix_client_get_device_id (b), NULL, store_result,
                                          &result);
  wait_for_pointer ((gpointer *) &result, INTEGRATION_TIMEOUT_MS);
  ours = matrix_client_start_verification_finish (f->ours->client, result, &error);
  g_assert_no_error (error);
  g_assert_true (matrix_verification_get_we_started (ours));
  g_clear_object (&result);

  wait_for_pointer ((gpointer *) &theirs, 2 * INTEGRATION_TIMEOUT_MS);
  g_signal_handler_disconnect (b, handler);
  g_assert_cmpstr (matrix_verification_get_flow_id (theirs), ==,
                   matrix_verification_get_flow_id (ours));
  g_assert_false (matrix_verification_get_we_started (theirs));

  matrix_verification_accept_async (theirs, NULL, store_result, &result);
  wait_for_pointer ((gpointer *) &result, INTEGRATION_TIMEOUT_MS);
  g_assert_true (matrix_verification_accept_finish (theirs, result, &error));
  g_assert_no_error (error);
  g_clear_object (&result);

  check[0] = ours;
  check[1] = theirs;
  check[2] = GINT_TO_POINTER (MATRIX_VERIFICATION_KEYS_EXCHANGED);
  g_assert_true (test_iterate_until (both_in_state, check, 2 * INTEGRATION_TIMEOUT_MS));
  a_emoji = matrix_verification_get_emoji (ours);
  b_emoji = matrix_verification_get_emoji (theirs);
  g_assert_nonnull (a_emoji);
  g_assert_cmpuint (g_strv_length ((char **) a_emoji), ==, 7);
  g_assert_true (g_strv_equal (a_emoji, b_emoji));
  g_assert_true (g_strv_equal (matrix_verification_get_emoji_descriptions (ours),
                               matrix_verification_get_emoji_descriptions (theirs)));

  confirm (ours);
  confirm (theirs);
  /* Both sides end done: each with the other's MAC. */
  check[0] = ours;
  check[1] = theirs;
  check[2] = GINT_TO_POINTER (MATRIX_VERIFICATION_DONE);
  g_assert_true (test_iterate_until (both_in_state, check, 2 * INTEGRATION_TIMEOUT_MS));

  devices = get_devices (f, matrix_client_get_user_id (b));
  g_assert_true (find_device (devices, matrix_client_get_device_id (b))->verified);
  other_free (other);
}

static gboolean
in_state (gpointer data)
{
  gpointer *check = data;

  return (int) matrix_verification_get_state (check[0]) == GPOINTER_TO_INT (check[1]);
}

static void
wait_state (MatrixVerification      *verification,
            MatrixVerificationState  state)
{
  gpointer check[] = { verification, GINT_TO_POINTER (state) };

  g_assert_true (test_iterate_until (in_state, check, 2 * INTEGRATION_TIMEOUT_MS));
}

/* The seven emoji nio shows ({"symbol", "description", "index"}) are ours,
 * in order. (The symbols: nio's English names differ from the spec's in
 * places, "Airplane" for its "Aeroplane".) */
static void
assert_same_emoji (MatrixVerification *verification,
                   JsonObject         *peer_answer)
{
  const char * const *symbols = matrix_verification_get_emoji (verification);
  JsonArray *emoji = json_object_get_array_member (peer_answer, "emoji");

  g_assert_nonnull (symbols);
  g_assert_nonnull (emoji);
  g_assert_cmpuint (g_strv_length ((char **) symbols), ==, 7);
  g_assert_cmpuint (json_array_get_length (emoji), ==, 7);
  for (guint i = 0; i < 7; i++)
    {
      JsonObject *theirs = json_array_get_object_element (emoji, i);

      g_assert_cmpstr (symbols[i], ==, json_object_get_string_member (theirs, "symbol"));
    }
}

static void
assert_peer_device_verified (Fixture *f,
                             E2ePeer *peer)
{
  g_autoptr(GPtrArray) devices = get_devices (f, peer->user_id);
  MatrixDevice *device = find_device (devices, peer->device_id);

  g_assert_nonnull (device);
  g_assert_true (device->verified);
}

/* Each side knows the other's device keys (an unknown device's start is
 * dropped, by nio as by the crate). */
static void
know_each_other (Fixture *f,
                 E2ePeer *peer)
{
  g_autoptr(GPtrArray) devices = get_devices (f, peer->user_id);
  g_autofree char *command = NULL;
  g_autoptr(JsonObject) answer = NULL;

  g_assert_nonnull (find_device (devices, peer->device_id));
  g_assert_false (find_device (devices, peer->device_id)->verified);
  command = g_strdup_printf ("{\"cmd\":\"know_device\",\"user_id\":\"%s\",\"device_id\":\"%s\"}",
                             matrix_client_get_user_id (f->ours->client),
                             matrix_client_get_device_id (f->ours->client));
  answer = peer_command (peer, command);
}

/* Emoji verification with matrix-nio, Confab starting: nio accepts, both
 * show the same seven emoji, both confirm; we end done with nio's device
 * verified, nio checked our MAC and verified ours. */
static void
verify_nio (Fixture *f,
            E2ePeer *peer)
{
  g_autoptr(MatrixVerification) ours = NULL;
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonObject) accepted = NULL, confirmed = NULL;
  g_autofree char *command = NULL;

  know_each_other (f, peer);
  matrix_client_start_verification_async (f->ours->client, peer->user_id, peer->device_id,
                                          NULL, store_result, &result);
  wait_for_pointer ((gpointer *) &result, INTEGRATION_TIMEOUT_MS);
  ours = matrix_client_start_verification_finish (f->ours->client, result, &error);
  g_assert_no_error (error);
  g_assert_true (matrix_verification_get_we_started (ours));

  accepted = peer_command (peer, "{\"cmd\":\"sas_accept\"}");
  g_assert_cmpstr (json_object_get_string_member (accepted, "transaction_id"), ==,
                   matrix_verification_get_flow_id (ours));
  wait_state (ours, MATRIX_VERIFICATION_KEYS_EXCHANGED);
  assert_same_emoji (ours, accepted);

  confirm (ours);
  command = g_strdup_printf ("{\"cmd\":\"sas_confirm\",\"transaction_id\":\"%s\"}",
                             matrix_verification_get_flow_id (ours));
  confirmed = peer_command (peer, command);
  g_assert_true (json_object_get_boolean_member (confirmed, "verified"));
  wait_state (ours, MATRIX_VERIFICATION_DONE);
  assert_peer_device_verified (f, peer);
}

static void
test_sas_we_start_with_nio (Fixture       *f,
                            gconstpointer  data)
{
  E2ePeer *peer = e2e_peer_new ();

  verify_nio (f, peer);
  e2e_peer_free (peer);
}

static MatrixSenderTrust
sender_trust_of (Fixture    *f,
                 const char *event_id)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(MatrixEvent) plain = decrypt (f, wait_event (f, event_id), &error);

  g_assert_no_error (error);
  return _matrix_decrypted_event_get_sender_trust (plain);
}

static GStrv
unverified_members (Fixture    *f,
                    const char *room_id)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  GStrv users;

  matrix_client_get_unverified_members_async (f->ours->client, room_id, NULL, store_result,
                                              &result);
  wait_for_pointer ((gpointer *) &result, INTEGRATION_TIMEOUT_MS);
  users = matrix_client_get_unverified_members_finish (f->ours->client, result, &error);
  g_assert_no_error (error);
  g_assert_nonnull (users);
  return users;
}

/* Shields: a message from nio's device decrypts as from an unknown device
 * until we have nio's device list, then as "unverified"; and the room lists nio as a member with unverified devices; once we
 * verified that device with emoji, its next message is "verified" and the
 * room has no unverified members. */
static void
test_sender_trust_follows_verification (Fixture       *f,
                                        gconstpointer  data)
{
  E2ePeer *peer = e2e_peer_new ();
  g_autofree char *room_id = shared_room (f, peer);
  g_autofree char *before = peer_send (peer, room_id, "before verification");
  g_autofree char *after = NULL;
  g_auto(GStrv) unverified = NULL, none = NULL;

  /* Before we have nio's device list, the session's device is unknown. */
  g_assert_cmpint (sender_trust_of (f, before), ==, MATRIX_SENDER_TRUST_UNKNOWN_DEVICE);
  g_ptr_array_unref (get_devices (f, peer->user_id));
  g_assert_cmpint (sender_trust_of (f, before), ==, MATRIX_SENDER_TRUST_UNVERIFIED);
  unverified = unverified_members (f, room_id);
  g_assert_true (g_strv_contains ((const char * const *) unverified, peer->user_id));
  g_assert_false (g_strv_contains ((const char * const *) unverified,
                                   matrix_client_get_user_id (f->ours->client)));

  verify_nio (f, peer);
  after = peer_send (peer, room_id, "after verification");
  g_assert_cmpint (sender_trust_of (f, after), ==, MATRIX_SENDER_TRUST_VERIFIED);
  /* The same device sent the first: it is verified now too. */
  g_assert_cmpint (sender_trust_of (f, before), ==, MATRIX_SENDER_TRUST_VERIFIED);
  none = unverified_members (f, room_id);
  g_assert_cmpuint (g_strv_length (none), ==, 0);
  e2e_peer_free (peer);
}

/* The same with nio starting: we are told (MatrixClient::verification-request)
 * and accept. */
static void
test_sas_nio_starts (Fixture       *f,
                     gconstpointer  data)
{
  E2ePeer *peer = e2e_peer_new ();
  g_autoptr(MatrixVerification) ours = NULL;
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonObject) started = NULL, shown = NULL, confirmed = NULL;
  g_autofree char *command = NULL;
  const char *flow_id;
  gulong handler;

  know_each_other (f, peer);
  handler = g_signal_connect (f->ours->client, "verification-request",
                              G_CALLBACK (on_verification_request), &ours);
  command = g_strdup_printf ("{\"cmd\":\"sas_start\",\"user_id\":\"%s\",\"device_id\":\"%s\"}",
                             matrix_client_get_user_id (f->ours->client),
                             matrix_client_get_device_id (f->ours->client));
  started = peer_command (peer, command);
  flow_id = json_object_get_string_member (started, "transaction_id");
  wait_for_pointer ((gpointer *) &ours, 2 * INTEGRATION_TIMEOUT_MS);
  g_signal_handler_disconnect (f->ours->client, handler);
  g_assert_cmpstr (matrix_verification_get_flow_id (ours), ==, flow_id);
  g_assert_false (matrix_verification_get_we_started (ours));
  g_assert_cmpstr (matrix_verification_get_other_device_id (ours), ==, peer->device_id);

  matrix_verification_accept_async (ours, NULL, store_result, &result);
  wait_for_pointer ((gpointer *) &result, INTEGRATION_TIMEOUT_MS);
  g_assert_true (matrix_verification_accept_finish (ours, result, &error));
  g_assert_no_error (error);
  g_free (command);
  command = g_strdup_printf ("{\"cmd\":\"sas_emoji\",\"transaction_id\":\"%s\"}", flow_id);
  shown = peer_command (peer, command);
  wait_state (ours, MATRIX_VERIFICATION_KEYS_EXCHANGED);
  assert_same_emoji (ours, shown);

  confirm (ours);
  g_free (command);
  command = g_strdup_printf ("{\"cmd\":\"sas_confirm\",\"transaction_id\":\"%s\"}", flow_id);
  confirmed = peer_command (peer, command);
  g_assert_true (json_object_get_boolean_member (confirmed, "verified"));
  wait_state (ours, MATRIX_VERIFICATION_DONE);
  assert_peer_device_verified (f, peer);
  e2e_peer_free (peer);
}

typedef struct {
  MatrixRoom *room;
  guint       notifications;
  guint       highlights;
} CountsWait;

static gboolean
counts_are (gpointer data)
{
  CountsWait *wait = data;

  return wait->room != NULL &&
         matrix_room_get_notification_count (wait->room) == wait->notifications &&
         matrix_room_get_highlight_count (wait->room) == wait->highlights;
}

static void
assert_counts (MatrixRoom *room,
               guint       notifications,
               guint       highlights)
{
  CountsWait wait = { room, notifications, highlights };

  if (!test_iterate_until (counts_are, &wait, INTEGRATION_TIMEOUT_MS))
    g_error ("%u notifications, %u highlights; expected %u and %u",
             matrix_room_get_notification_count (room), matrix_room_get_highlight_count (room),
             notifications, highlights);
}

/* Under sliding sync, in an encrypted room: the server can count neither
 * (Synapse's sliding sync sends 0; /v3/sync would count every ciphertext
 * and highlight none). The client counts the decrypted messages by the
 * push rules: a message notifies, a notice does not, a message with the
 * user's name highlights. */
static void
test_unread_counts_decrypted (Fixture       *f,
                              gconstpointer  data)
{
  E2ePeer *peer;
  g_autofree char *room_id = NULL, *hello = NULL, *notice = NULL, *mention = NULL;
  g_autofree char *localpart = NULL, *body = NULL, *command = NULL;
  g_autoptr(JsonObject) sent = NULL;
  const char *me = matrix_client_get_user_id (f->ours->client);
  guint n_synced = f->ours->n_synced;
  MatrixRoom *room;

  /* Sliding sync whatever the default: a /v3/sync loop starts afresh. */
  matrix_client_stop_sync (f->ours->client);
  matrix_client_set_sync_mode (f->ours->client, MATRIX_SYNC_MODE_SLIDING);
  matrix_client_start_sync (f->ours->client);

  peer = e2e_peer_new ();
  room_id = shared_room (f, peer);
  hello = peer_send (peer, room_id, "hello");
  wait_event (f, hello);
  g_assert_cmpuint (f->ours->n_synced, >, n_synced);
  g_assert_true (g_str_has_prefix (matrix_store_get_sync_token (matrix_client_get_store (f->ours->client)),
                                   "msc4186~"));
  room = matrix_room_state_tracker_get_room (f->ours->tracker, room_id);
  g_assert_nonnull (room);
  assert_counts (room, 1, 0);
  g_assert_true (matrix_room_get_encrypted (room));

  command = g_strdup_printf ("{\"cmd\":\"send\",\"room_id\":\"%s\",\"body\":\"bot\","
                             "\"msgtype\":\"m.notice\"}", room_id);
  sent = peer_command (peer, command);
  notice = g_strdup (json_object_get_string_member (sent, "event_id"));
  localpart = g_strndup (me + 1, strchr (me, ':') - me - 1);
  body = g_strdup_printf ("hey %s, look", localpart);
  mention = peer_send (peer, room_id, body);
  wait_event (f, mention);
  assert_counts (room, 2, 1);

  e2e_peer_free (peer);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);

#define ADD(path, func) \
  g_test_add ("/integration/e2e/" path, Fixture, NULL, fixture_set_up, func, fixture_tear_down)
  ADD ("peer-sends-we-decrypt", test_peer_sends);
  ADD ("we-send-peer-decrypts", test_we_send);
  ADD ("reopened-machine-decrypts-old-and-new", test_reopened_machine);
  ADD ("peer-sends-encrypted-file-we-decrypt-byte-exact", test_peer_sends_file);
  ADD ("we-send-encrypted-file-peer-decrypts-byte-exact", test_we_send_file);
  ADD ("key-backup-restored-by-second-login", test_backup_restore);
  ADD ("cross-signing-bootstrap-uploads-keys", test_cross_signing_bootstrap);
  ADD ("device-list-shows-peer", test_device_lists);
  ADD ("sas-between-two-clients-emoji-match", test_sas_between_clients);
  ADD ("sas-we-start-with-nio-emoji-match", test_sas_we_start_with_nio);
  ADD ("sas-nio-starts-emoji-match", test_sas_nio_starts);
  ADD ("sender-trust-unverified-then-verified-by-sas", test_sender_trust_follows_verification);
  ADD ("unread-counts-from-decrypted-content-under-sliding-sync", test_unread_counts_decrypted);
#undef ADD

  return g_test_run ();
}
