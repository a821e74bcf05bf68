/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "test-matrix-media-encrypted"

#include <glib/gstdio.h>
#include <sys/stat.h>

#include "matrix-json-private.h"
#include "test-utils.h"

#define VERSIONS "/_matrix/client/versions"
#define DOWNLOAD "/_matrix/client/v1/media/download/example.org/"
#define UPLOAD "/_matrix/media/v3/upload"

typedef struct {
  FakeHomeserver   *server;
  MatrixStore      *store;
  MatrixClient     *client;
  char             *cache_dir;
  MatrixMediaCache *cache;
  MatrixMedia      *media;
} Fixture;

static void
fixture_setup (Fixture       *f,
               gconstpointer  data)
{
  f->server = fake_homeserver_new ();
  f->store = logged_in_store_new ();
  f->client = matrix_client_new (fake_homeserver_get_url (f->server), f->store);
  f->cache_dir = g_dir_make_tmp ("test-matrix-media-encrypted-XXXXXX", NULL);
  g_assert_nonnull (f->cache_dir);
  f->cache = matrix_media_cache_new (f->cache_dir, 4 * 1024 * 1024);
  f->media = matrix_media_new (f->client, f->cache);
}

static void
remove_dir (const char *path)
{
  g_autoptr(GDir) dir = g_dir_open (path, 0, NULL);
  const char *name;

  while (dir != NULL && (name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *child = g_build_filename (path, name, NULL);

      g_unlink (child);
    }
  g_rmdir (path);
}

static void
fixture_teardown (Fixture       *f,
                  gconstpointer  data)
{
  unref_and_wait_finalized (f->media, 10000);
  unref_and_wait_finalized (f->cache, 10000);
  unref_and_wait_finalized (f->client, 10000);
  g_assert_finalize_object (f->store);
  g_assert_cmpuint (fake_homeserver_get_n_unmatched (f->server), ==, 0);
  g_assert_finalize_object (f->server);
  remove_dir (f->cache_dir);
  g_free (f->cache_dir);
}

static guint
count_files (const char *path)
{
  g_autoptr(GDir) dir = g_dir_open (path, 0, NULL);
  guint n = 0;

  while (dir != NULL && g_dir_read_name (dir) != NULL)
    n++;
  return n;
}

static GBytes *
pattern_bytes (gsize size,
               guint seed)
{
  guint8 *data = g_malloc (size);

  for (gsize i = 0; i < size; i++)
    data[i] = (guint8) ((i * 37 + seed) & 0xff);
  return g_bytes_new_take (data, size);
}

static GFile *
temp_file_with (GBytes *bytes)
{
  g_autofree char *path = NULL;
  int fd;

  fd = g_file_open_tmp ("test-matrix-media-encrypted-XXXXXX", &path, NULL);
  g_assert_cmpint (fd, >=, 0);
  close (fd);
  g_assert_true (g_file_set_contents (path, g_bytes_get_data (bytes, NULL),
                                      g_bytes_get_size (bytes), NULL));
  return g_file_new_for_path (path);
}

static JsonObject *
upload_encrypted (Fixture  *f,
                  GFile    *file,
                  GError  **error)
{
  g_autoptr(GAsyncResult) result = NULL;

  matrix_media_upload_encrypted_async (f->media, file, NULL, NULL, NULL, store_result, &result);
  wait_for_pointer ((gpointer *) &result, 10000);
  return matrix_media_upload_encrypted_finish (f->media, result, error);
}

static GFile *
download_encrypted (Fixture     *f,
                    JsonObject  *encrypted_file,
                    GError     **error)
{
  g_autoptr(GAsyncResult) result = NULL;

  matrix_media_download_encrypted_async (f->media, encrypted_file, 4 * 1024 * 1024, NULL, NULL,
                                         NULL, store_result, &result);
  wait_for_pointer ((gpointer *) &result, 10000);
  return matrix_media_download_encrypted_finish (f->media, result, error);
}

/* Uploads @plaintext encrypted; returns the EncryptedFile, the ciphertext
 * the server received in @ciphertext. */
static JsonObject *
upload_and_capture (Fixture  *f,
                    GBytes   *plaintext,
                    GBytes  **ciphertext)
{
  g_autoptr(GFile) file = temp_file_with (plaintext);
  g_autoptr(GError) error = NULL;
  JsonObject *encrypted_file;
  FakeRequest *request;

  fake_homeserver_queue_json (f->server, "POST", UPLOAD, 200,
                              "{\"content_uri\": \"mxc://example.org/secret\"}", FALSE);
  encrypted_file = upload_encrypted (f, file, &error);
  g_assert_no_error (error);
  g_assert_nonnull (encrypted_file);
  request = fake_homeserver_get_last_request (f->server);
  g_assert_cmpstr (request->path, ==, UPLOAD);
  *ciphertext = g_bytes_ref (request->body);
  g_file_delete (file, NULL, NULL);
  return encrypted_file;
}

static void
test_upload_sends_only_ciphertext (Fixture       *f,
                                   gconstpointer  data)
{
  g_autoptr(GBytes) plaintext = pattern_bytes (150 * 1024, 3);
  g_autoptr(GBytes) ciphertext = NULL;
  g_autoptr(JsonObject) encrypted_file = NULL;
  FakeRequest *request;
  JsonObject *key;
  gsize same = 0;

  encrypted_file = upload_and_capture (f, plaintext, &ciphertext);
  request = fake_homeserver_get_last_request (f->server);
  /* No name, no type, no plaintext: only bytes of the same length. */
  g_assert_null (request->query);
  g_assert_cmpstr (soup_message_headers_get_content_type (request->headers, NULL), ==,
                   "application/octet-stream");
  g_assert_cmpuint (g_bytes_get_size (ciphertext), ==, g_bytes_get_size (plaintext));
  g_assert_false (g_bytes_equal (ciphertext, plaintext));
  for (gsize i = 0; i < g_bytes_get_size (plaintext); i++)
    if (((const guint8 *) g_bytes_get_data (ciphertext, NULL))[i] ==
        ((const guint8 *) g_bytes_get_data (plaintext, NULL))[i])
      same++;
  /* Random bytes agree with a pattern about once in 256. */
  g_assert_cmpuint (same, <, g_bytes_get_size (plaintext) / 64);

  g_assert_cmpstr (json_object_get_string_member (encrypted_file, "url"), ==,
                   "mxc://example.org/secret");
  g_assert_cmpstr (json_object_get_string_member (encrypted_file, "v"), ==, "v2");
  g_assert_nonnull (json_object_get_string_member (encrypted_file, "iv"));
  g_assert_nonnull (json_object_get_string_member (json_object_get_object_member (encrypted_file,
                                                                                  "hashes"),
                                                   "sha256"));
  key = json_object_get_object_member (encrypted_file, "key");
  g_assert_cmpstr (json_object_get_string_member (key, "alg"), ==, "A256CTR");
  g_assert_cmpstr (json_object_get_string_member (key, "kty"), ==, "oct");
  g_assert_true (json_object_get_boolean_member (key, "ext"));
  /* The temporary ciphertext is gone. */
  g_assert_cmpuint (count_files (f->cache_dir), ==, 0);
}

static void
test_round_trip_private_and_cached (Fixture       *f,
                                    gconstpointer  data)
{
  g_autoptr(GBytes) plaintext = pattern_bytes (300 * 1024 + 7, 9);
  g_autoptr(GBytes) ciphertext = NULL;
  g_autoptr(JsonObject) encrypted_file = NULL;
  g_autoptr(GFile) file = NULL, again = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *contents = NULL;
  g_autofree char *path = NULL;
  GStatBuf st;
  gsize length;

  encrypted_file = upload_and_capture (f, plaintext, &ciphertext);
  fake_homeserver_queue_json (f->server, "GET", VERSIONS, 200, "{\"versions\": [\"v1.11\"]}",
                              FALSE);
  fake_homeserver_queue_bytes (f->server, "GET", DOWNLOAD "secret", 200,
                               "application/octet-stream", ciphertext, FALSE);

  file = download_encrypted (f, encrypted_file, &error);
  g_assert_no_error (error);
  g_assert_true (g_file_load_contents (file, NULL, &contents, &length, NULL, NULL));
  g_assert_cmpmem (contents, length, g_bytes_get_data (plaintext, NULL),
                   g_bytes_get_size (plaintext));
  path = g_file_get_path (file);
  g_assert_true (g_str_has_prefix (path, f->cache_dir));
  g_assert_cmpint (g_stat (path, &st), ==, 0);
  g_assert_cmpint (st.st_mode & 0777, ==, 0600);

  /* The plaintext is cached: no second request. */
  again = download_encrypted (f, encrypted_file, &error);
  g_assert_no_error (error);
  g_assert_true (g_file_equal (file, again));
  g_assert_cmpuint (fake_homeserver_count_requests (f->server, "GET", DOWNLOAD "secret"), ==, 1);
}

static void
test_hash_mismatch_shows_nothing (Fixture       *f,
                                  gconstpointer  data)
{
  g_autoptr(GBytes) plaintext = pattern_bytes (4096, 1);
  g_autoptr(GBytes) ciphertext = NULL, tampered = NULL;
  g_autoptr(JsonObject) encrypted_file = NULL;
  g_autoptr(GFile) file = NULL;
  g_autoptr(GError) error = NULL;
  guint8 *bytes;
  gsize size;

  encrypted_file = upload_and_capture (f, plaintext, &ciphertext);
  bytes = g_bytes_unref_to_data (g_steal_pointer (&ciphertext), &size);
  bytes[size / 2] ^= 0x01;
  tampered = g_bytes_new_take (bytes, size);
  fake_homeserver_queue_json (f->server, "GET", VERSIONS, 200, "{\"versions\": [\"v1.11\"]}",
                              FALSE);
  fake_homeserver_queue_bytes (f->server, "GET", DOWNLOAD "secret", 200,
                               "application/octet-stream", tampered, FALSE);

  file = download_encrypted (f, encrypted_file, &error);
  g_assert_error (error, MATRIX_ERROR, MATRIX_ERROR_DECRYPTION_FAILED);
  g_assert_null (file);
  /* Only the (harmless) ciphertext is cached: no plaintext, no leftover. */
  g_assert_cmpuint (count_files (f->cache_dir), ==, 1);
}

static void
test_invalid_file_makes_no_request (Fixture       *f,
                                    gconstpointer  data)
{
  const char *bad[] = {
    "{\"url\": \"mxc://example.org/x\"}",
    "{\"url\": \"mxc://example.org/x\", \"v\": \"v1\", \"iv\": \"AAAAAAAAAAAAAAAAAAAAAA\","
    " \"hashes\": {\"sha256\": \"x\"}, \"key\": {\"kty\": \"oct\", \"alg\": \"A256CTR\", \"k\": \"x\"}}",
    "{\"url\": \"https://evil.example/x\", \"v\": \"v2\", \"iv\": \"AAAAAAAAAAAAAAAAAAAAAA\","
    " \"hashes\": {\"sha256\": \"x\"}, \"key\": {\"kty\": \"oct\", \"alg\": \"A256CTR\", \"k\": \"x\"}}",
    "{\"url\": \"mxc://example.org/x\", \"v\": \"v2\", \"iv\": \"AAAAAAAAAAAAAAAAAAAAAA\","
    " \"hashes\": {}, \"key\": {\"kty\": \"oct\", \"alg\": \"A256CTR\", \"k\": \"x\"}}",
    "{\"url\": \"mxc://example.org/x\", \"v\": \"v2\", \"iv\": 5,"
    " \"hashes\": {\"sha256\": \"x\"}, \"key\": {\"kty\": \"oct\", \"alg\": \"A128CTR\", \"k\": \"x\"}}",
  };

  for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_autoptr(JsonObject) encrypted_file = _matrix_json_parse_object (bad[i], -1, NULL);
      g_autoptr(GFile) file = NULL;
      g_autoptr(GError) error = NULL;

      g_assert_nonnull (encrypted_file);
      file = download_encrypted (f, encrypted_file, &error);
      g_assert_error (error, MATRIX_ERROR, MATRIX_ERROR_INVALID_RESPONSE);
      g_assert_null (file);
    }
  g_assert_cmpuint (fake_homeserver_get_requests (f->server)->len, ==, 0);
}

/* A key of the wrong length, a hash that is not base64: the crate refuses
 * them (after the download), and nothing is shown. */
static void
test_forged_key_refused (Fixture       *f,
                         gconstpointer  data)
{
  g_autoptr(GBytes) ciphertext = pattern_bytes (64, 5);
  g_autoptr(JsonObject) encrypted_file = _matrix_json_parse_object (
    "{\"url\": \"mxc://example.org/forged\", \"v\": \"v2\", \"iv\": \"AAAAAAAAAAAAAAAAAAAAAA\","
    " \"hashes\": {\"sha256\": \"!!not base64!!\"},"
    " \"key\": {\"kty\": \"oct\", \"alg\": \"A256CTR\", \"k\": \"c2hvcnQ\", \"ext\": true,"
    "  \"key_ops\": [\"encrypt\", \"decrypt\"]}}", -1, NULL);
  g_autoptr(GFile) file = NULL;
  g_autoptr(GError) error = NULL;

  fake_homeserver_queue_json (f->server, "GET", VERSIONS, 200, "{\"versions\": [\"v1.11\"]}",
                              FALSE);
  fake_homeserver_queue_bytes (f->server, "GET", DOWNLOAD "forged", 200,
                               "application/octet-stream", ciphertext, FALSE);
  file = download_encrypted (f, encrypted_file, &error);
  g_assert_error (error, MATRIX_ERROR, MATRIX_ERROR_INVALID_RESPONSE);
  g_assert_null (file);
  g_assert_cmpuint (count_files (f->cache_dir), ==, 1);
}

static void
test_info_reads_and_writes_file (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonObject) content = _matrix_json_parse_object (
    "{\"msgtype\": \"m.image\", \"body\": \"cat.png\","
    " \"file\": {\"url\": \"mxc://example.org/cat\", \"v\": \"v2\", \"iv\": \"AAAAAAAAAAAAAAAAAAAAAA\","
    "  \"hashes\": {\"sha256\": \"abc\"}, \"key\": {\"kty\": \"oct\", \"alg\": \"A256CTR\","
    "  \"k\": \"key\", \"ext\": true, \"key_ops\": [\"encrypt\", \"decrypt\"]}},"
    " \"info\": {\"mimetype\": \"image/png\", \"w\": 64, \"h\": 48,"
    "  \"thumbnail_file\": {\"url\": \"mxc://example.org/thumb\", \"v\": \"v2\","
    "   \"iv\": \"AAAAAAAAAAAAAAAAAAAAAA\", \"hashes\": {\"sha256\": \"def\"},"
    "   \"key\": {\"kty\": \"oct\", \"alg\": \"A256CTR\", \"k\": \"key2\"}},"
    "  \"thumbnail_info\": {\"w\": 32, \"h\": 24}}}", -1, NULL);
  g_autoptr(JsonObject) damaged_thumbnail = _matrix_json_parse_object (
    "{\"msgtype\": \"m.file\", \"body\": \"a.pdf\","
    " \"file\": {\"url\": \"mxc://example.org/a\", \"v\": \"v2\", \"iv\": \"AAAAAAAAAAAAAAAAAAAAAA\","
    "  \"hashes\": {\"sha256\": \"abc\"}, \"key\": {\"kty\": \"oct\", \"alg\": \"A256CTR\","
    "  \"k\": \"key\"}}, \"info\": {\"thumbnail_file\": {\"url\": 3}}}", -1, NULL);
  g_autoptr(MatrixMediaInfo) info = NULL, round_trip = NULL, file_only = NULL;
  g_autoptr(JsonObject) sent = NULL;
  JsonObject *sent_info;

  info = matrix_media_info_new_from_content ("m.room.message", content, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (matrix_media_info_get_url (info), ==, "mxc://example.org/cat");
  g_assert_nonnull (matrix_media_info_get_encrypted_file (info));
  g_assert_cmpstr (matrix_media_info_get_thumbnail_url (info), ==, "mxc://example.org/thumb");
  g_assert_nonnull (matrix_media_info_get_thumbnail_encrypted_file (info));
  g_assert_cmpuint (matrix_media_info_get_thumbnail_width (info), ==, 32);

  /* What is sent has `file` and `thumbnail_file`, never a `url`. */
  sent = matrix_media_info_to_content (info);
  g_assert_false (json_object_has_member (sent, "url"));
  g_assert_true (json_object_has_member (sent, "file"));
  sent_info = json_object_get_object_member (sent, "info");
  g_assert_false (json_object_has_member (sent_info, "thumbnail_url"));
  g_assert_true (json_object_has_member (sent_info, "thumbnail_file"));
  round_trip = matrix_media_info_new_from_content ("m.room.message", sent, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (matrix_media_info_get_url (round_trip), ==, "mxc://example.org/cat");
  g_assert_nonnull (matrix_media_info_get_thumbnail_encrypted_file (round_trip));

  /* A damaged thumbnail is only absent. */
  file_only = matrix_media_info_new_from_content ("m.room.message", damaged_thumbnail, &error);
  g_assert_no_error (error);
  g_assert_nonnull (matrix_media_info_get_encrypted_file (file_only));
  g_assert_null (matrix_media_info_get_thumbnail_url (file_only));
  g_assert_null (matrix_media_info_get_thumbnail_encrypted_file (file_only));
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

#define ADD(path, func) \
  g_test_add (path, Fixture, NULL, fixture_setup, func, fixture_teardown)

  ADD ("/matrix/media/encrypted/upload-sends-only-ciphertext", test_upload_sends_only_ciphertext);
  ADD ("/matrix/media/encrypted/round-trip-private-and-cached", test_round_trip_private_and_cached);
  ADD ("/matrix/media/encrypted/hash-mismatch-shows-nothing", test_hash_mismatch_shows_nothing);
  ADD ("/matrix/media/encrypted/invalid-file-makes-no-request", test_invalid_file_makes_no_request);
  ADD ("/matrix/media/encrypted/forged-key-refused", test_forged_key_refused);
  g_test_add_func ("/matrix/media/encrypted/info-reads-and-writes-file",
                   test_info_reads_and_writes_file);

  return g_test_run ();
}
