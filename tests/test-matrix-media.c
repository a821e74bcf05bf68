/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "test-matrix-media"

#include <glib/gstdio.h>

#include "matrix-json-private.h"
#include "test-utils.h"

#define VERSIONS "/_matrix/client/versions"
#define DOWNLOAD "/_matrix/client/v1/media/download/example.org/"
#define LEGACY_DOWNLOAD "/_matrix/media/v3/download/example.org/"

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
  f->cache_dir = g_dir_make_tmp ("test-matrix-media-XXXXXX", NULL);
  g_assert_nonnull (f->cache_dir);
  f->cache = matrix_media_cache_new (f->cache_dir, 1024 * 1024);
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

static void
queue_versions (Fixture    *f,
                const char *versions)
{
  g_autofree char *body = g_strdup_printf ("{\"versions\": %s}", versions);

  fake_homeserver_queue_json (f->server, "GET", VERSIONS, 200, body, FALSE);
}

static GBytes *
pattern_bytes (gsize size,
               guint seed)
{
  guint8 *data = g_malloc (size);

  for (gsize i = 0; i < size; i++)
    data[i] = (guint8) ((i * 31 + seed) & 0xff);
  return g_bytes_new_take (data, size);
}

typedef struct {
  goffset last;
  goffset total;
  guint   calls;
} Progress;

static void
on_progress (goffset  current,
             goffset  total,
             gpointer user_data)
{
  Progress *progress = user_data;

  g_assert_cmpint (current, >=, progress->last);
  progress->last = current;
  progress->total = total;
  progress->calls++;
}

static GFile *
download (Fixture       *f,
          const char    *mxc_uri,
          guint64        max_size,
          GCancellable  *cancellable,
          Progress      *progress,
          GError       **error)
{
  g_autoptr(GAsyncResult) result = NULL;

  matrix_media_download_async (f->media, mxc_uri, max_size, cancellable,
                               progress != NULL ? on_progress : NULL, progress,
                               store_result, &result);
  wait_for_pointer ((gpointer *) &result, 10000);
  return matrix_media_download_finish (f->media, result, error);
}

static void
assert_file_has (GFile  *file,
                 GBytes *expected)
{
  g_autofree char *contents = NULL;
  gsize length;

  g_assert_true (g_file_load_contents (file, NULL, &contents, &length, NULL, NULL));
  g_assert_cmpmem (contents, length, g_bytes_get_data (expected, NULL), g_bytes_get_size (expected));
}

static void
test_download_authenticated (Fixture       *f,
                             gconstpointer  data)
{
  g_autoptr(GBytes) body = pattern_bytes (300 * 1024, 1);
  g_autoptr(GFile) file = NULL, again = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *path = NULL;
  Progress progress = { 0 };
  FakeRequest *request;

  queue_versions (f, "[\"r0.6.1\", \"v1.10\", \"v1.11\"]");
  fake_homeserver_queue_bytes (f->server, "GET", DOWNLOAD "abc", 200, "application/pdf", body, FALSE);

  file = download (f, "mxc://example.org/abc", 1024 * 1024, NULL, &progress, &error);
  g_assert_no_error (error);
  assert_file_has (file, body);
  path = g_file_get_path (file);
  g_assert_true (g_str_has_prefix (path, f->cache_dir));
  g_assert_cmpint (progress.last, ==, 300 * 1024);
  g_assert_cmpint (progress.total, ==, 300 * 1024);
  g_assert_cmpuint (progress.calls, >=, 2);

  request = fake_homeserver_get_last_request (f->server);
  g_assert_cmpstr (request->path, ==, DOWNLOAD "abc");
  g_assert_cmpstr (soup_message_headers_get_one (request->headers, "Authorization"), ==,
                   "Bearer anaccesstoken");

  /* The second time it comes from the cache: nothing more is queued. */
  again = download (f, "mxc://example.org/abc", 1024 * 1024, NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_true (g_file_equal (file, again));
  g_assert_cmpuint (fake_homeserver_count_requests (f->server, "GET", DOWNLOAD "abc"), ==, 1);
  g_assert_cmpuint (fake_homeserver_count_requests (f->server, "GET", VERSIONS), ==, 1);
  g_assert_cmpuint (matrix_media_cache_get_size (f->cache), ==, 300 * 1024);
}

static void
test_download_legacy (Fixture       *f,
                      gconstpointer  data)
{
  g_autoptr(GBytes) body = pattern_bytes (1000, 2);
  g_autoptr(GFile) file = NULL;
  g_autoptr(GError) error = NULL;
  FakeRequest *request;

  queue_versions (f, "[\"r0.6.1\", \"v1.1\", \"v1.10\", 11, \"v1.x\"]");
  fake_homeserver_queue_bytes (f->server, "GET", LEGACY_DOWNLOAD "old", 200, "image/png", body, FALSE);

  file = download (f, "mxc://example.org/old", 1024 * 1024, NULL, NULL, &error);
  g_assert_no_error (error);
  assert_file_has (file, body);

  request = fake_homeserver_get_last_request (f->server);
  g_assert_cmpstr (request->path, ==, LEGACY_DOWNLOAD "old");
  g_assert_null (soup_message_headers_get_one (request->headers, "Authorization"));
}

static void
test_download_versions_fail_stays_authenticated (Fixture       *f,
                                                 gconstpointer  data)
{
  g_autoptr(GBytes) body = pattern_bytes (10, 3);
  g_autoptr(GFile) file = NULL;
  g_autoptr(GError) error = NULL;

  fake_homeserver_queue (f->server, "GET", VERSIONS, 500, "no", FALSE);
  fake_homeserver_queue_bytes (f->server, "GET", DOWNLOAD "x", 200, "image/png", body, FALSE);

  file = download (f, "mxc://example.org/x", 100, NULL, NULL, &error);
  g_assert_no_error (error);
  assert_file_has (file, body);
}

static void
test_download_too_large_claimed (Fixture       *f,
                                 gconstpointer  data)
{
  g_autoptr(GBytes) body = pattern_bytes (5000, 4);
  g_autoptr(GFile) file = NULL;
  g_autoptr(GError) error = NULL;

  queue_versions (f, "[\"v1.11\"]");
  fake_homeserver_queue_bytes (f->server, "GET", DOWNLOAD "big", 200, "image/png", body, FALSE);

  file = download (f, "mxc://example.org/big", 4999, NULL, NULL, &error);
  g_assert_error (error, MATRIX_ERROR, MATRIX_ERROR_TOO_LARGE);
  g_assert_null (file);
  iterate_for (100);
  g_assert_cmpuint (count_files (f->cache_dir), ==, 0);
}

static void
test_download_too_large_streamed (Fixture       *f,
                                  gconstpointer  data)
{
  const char * const chunked[] = { "Transfer-Encoding", "chunked", NULL };
  g_autofree char *text = g_malloc (200 * 1024 + 1);
  g_autoptr(GFile) file = NULL;
  g_autoptr(GError) error = NULL;
  Progress progress = { 0 };

  /* A body of letters: the fake's text responses are C strings. */
  memset (text, 'a', 200 * 1024);
  text[200 * 1024] = '\0';
  queue_versions (f, "[\"v1.11\"]");
  fake_homeserver_queue_full (f->server, "GET", DOWNLOAD "stream", 200, "image/png", text, chunked,
                              0, FALSE);

  file = download (f, "mxc://example.org/stream", 100 * 1024, NULL, &progress, &error);
  g_assert_error (error, MATRIX_ERROR, MATRIX_ERROR_TOO_LARGE);
  g_assert_null (file);
  /* Refused as the bytes came, never past the limit. */
  g_assert_cmpint (progress.last, <=, 100 * 1024);
  g_assert_cmpint (progress.total, ==, 0);
  iterate_for (200);
  g_assert_cmpuint (count_files (f->cache_dir), ==, 0);
}

static void
test_download_error_status (Fixture       *f,
                            gconstpointer  data)
{
  g_autoptr(GFile) file = NULL;
  g_autoptr(GError) error = NULL;

  queue_versions (f, "[\"v1.11\"]");
  fake_homeserver_queue_json (f->server, "GET", DOWNLOAD "gone", 404,
                              "{\"errcode\": \"M_NOT_FOUND\", \"error\": \"Not found\"}", FALSE);

  file = download (f, "mxc://example.org/gone", 100, NULL, NULL, &error);
  g_assert_error (error, MATRIX_ERROR, MATRIX_ERROR_NOT_FOUND);
  g_assert_null (file);
}

/* A server that declares 1000 bytes, sends 10 and hangs up; in its own
 * threads, as it reads the request blocking. */
static gboolean
on_raw_run (GThreadedSocketService *service,
            GSocketConnection      *connection,
            GObject                *source,
            gpointer                user_data)
{
  static const char truncated[] =
    "HTTP/1.1 200 OK\r\nContent-Type: image/png\r\nContent-Length: 1000\r\n"
    "Connection: close\r\n\r\n0123456789";
  static const char versions[] =
    "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 24\r\n"
    "Connection: close\r\n\r\n{\"versions\": [\"v1.11\"]}\n";
  GInputStream *in = g_io_stream_get_input_stream (G_IO_STREAM (connection));
  GOutputStream *out = g_io_stream_get_output_stream (G_IO_STREAM (connection));
  g_autoptr(GString) request = g_string_new (NULL);
  char buffer[1024];
  gssize n;

  while (strstr (request->str, "\r\n\r\n") == NULL &&
         (n = g_input_stream_read (in, buffer, sizeof buffer, NULL, NULL)) > 0)
    g_string_append_len (request, buffer, n);

  if (strstr (request->str, "/versions") != NULL)
    g_output_stream_write_all (out, versions, strlen (versions), NULL, NULL, NULL);
  else
    g_output_stream_write_all (out, truncated, strlen (truncated), NULL, NULL, NULL);
  g_io_stream_close (G_IO_STREAM (connection), NULL, NULL);
  return TRUE;
}

static void
test_download_truncated (void)
{
  g_autoptr(GSocketService) service = g_threaded_socket_service_new (4);
  g_autoptr(MatrixStore) store = logged_in_store_new ();
  g_autoptr(MatrixClient) client = NULL;
  g_autoptr(MatrixMediaCache) cache = NULL;
  g_autoptr(MatrixMedia) media = NULL;
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GFile) file = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *dir = g_dir_make_tmp ("test-matrix-media-XXXXXX", NULL);
  g_autofree char *url = NULL;
  guint16 port;

  port = g_socket_listener_add_any_inet_port (G_SOCKET_LISTENER (service), NULL, &error);
  g_assert_no_error (error);
  g_signal_connect (service, "run", G_CALLBACK (on_raw_run), NULL);
  g_socket_service_start (service);

  url = g_strdup_printf ("http://127.0.0.1:%u", port);
  client = matrix_client_new (url, store);
  cache = matrix_media_cache_new (dir, 1024 * 1024);
  media = matrix_media_new (client, cache);

  matrix_media_download_async (media, "mxc://example.org/cut", 1024 * 1024, NULL, NULL, NULL,
                               store_result, &result);
  wait_for_pointer ((gpointer *) &result, 10000);
  file = matrix_media_download_finish (media, result, &error);
  g_assert_null (file);
  g_assert_nonnull (error);
  g_test_message ("Truncated: %s", error->message);
  iterate_for (200);
  g_assert_cmpuint (count_files (dir), ==, 0);

  g_socket_service_stop (service);
  g_socket_listener_close (G_SOCKET_LISTENER (service));
  g_clear_object (&result);
  unref_and_wait_finalized (g_steal_pointer (&media), 10000);
  remove_dir (dir);
}

static void
test_download_cancelled (Fixture       *f,
                         gconstpointer  data)
{
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GFile) file = NULL;
  g_autoptr(GError) error = NULL;

  queue_versions (f, "[\"v1.11\"]");
  fake_homeserver_queue_full (f->server, "GET", DOWNLOAD "slow", 200, "image/png", "data", NULL,
                              2000, FALSE);

  matrix_media_download_async (f->media, "mxc://example.org/slow", 100, cancellable, NULL, NULL,
                               store_result, &result);
  fake_homeserver_wait_for_requests (f->server, 2, 5000);
  g_cancellable_cancel (cancellable);
  wait_for_pointer ((gpointer *) &result, 5000);
  file = matrix_media_download_finish (f->media, result, &error);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_assert_null (file);
  iterate_for (100);
  g_assert_cmpuint (count_files (f->cache_dir), ==, 0);
}

static void
test_thumbnail (Fixture       *f,
                gconstpointer  data)
{
  g_autoptr(GBytes) body = pattern_bytes (500, 6);
  g_autoptr(GBytes) full = pattern_bytes (800, 7);
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GFile) thumbnail = NULL, file = NULL;
  g_autoptr(GError) error = NULL;
  FakeRequest *request;

  queue_versions (f, "[\"v1.11\"]");
  fake_homeserver_queue_bytes (f->server, "GET",
                               "/_matrix/client/v1/media/thumbnail/example.org/pic"
                               "?width=320&height=240&method=scale",
                               200, "image/jpeg", body, FALSE);
  fake_homeserver_queue_bytes (f->server, "GET", DOWNLOAD "pic", 200, "image/png", full, FALSE);

  matrix_media_get_thumbnail_async (f->media, "mxc://example.org/pic", 320, 240,
                                    MATRIX_THUMBNAIL_SCALE, 4096, NULL, store_result, &result);
  wait_for_pointer ((gpointer *) &result, 10000);
  thumbnail = matrix_media_get_thumbnail_finish (f->media, result, &error);
  g_assert_no_error (error);
  assert_file_has (thumbnail, body);
  request = fake_homeserver_get_last_request (f->server);
  g_assert_cmpstr (soup_message_headers_get_one (request->headers, "Authorization"), ==,
                   "Bearer anaccesstoken");

  /* The full file is cached apart from its thumbnail. */
  file = download (f, "mxc://example.org/pic", 4096, NULL, NULL, &error);
  g_assert_no_error (error);
  assert_file_has (file, full);
  g_assert_false (g_file_equal (file, thumbnail));
}

static gboolean
cached (MatrixMediaCache *cache,
        const char       *key)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GFile) file = NULL;
  g_autoptr(GError) error = NULL;

  matrix_media_cache_lookup_async (cache, key, NULL, store_result, &result);
  wait_for_pointer ((gpointer *) &result, 5000);
  file = matrix_media_cache_lookup_finish (cache, result, &error);
  g_assert_no_error (error);
  return file != NULL;
}

static void
test_cache_lru (Fixture       *f,
                gconstpointer  data)
{
  g_autoptr(GBytes) a = pattern_bytes (100, 8), b = pattern_bytes (100, 9), c = pattern_bytes (100, 10);
  g_autoptr(MatrixMediaCache) reopened = NULL;
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  GFile *file;

  matrix_media_cache_set_max_size (f->cache, 250);
  queue_versions (f, "[\"v1.11\"]");
  fake_homeserver_queue_bytes (f->server, "GET", DOWNLOAD "a", 200, "image/png", a, FALSE);
  fake_homeserver_queue_bytes (f->server, "GET", DOWNLOAD "b", 200, "image/png", b, FALSE);
  fake_homeserver_queue_bytes (f->server, "GET", DOWNLOAD "c", 200, "image/png", c, FALSE);

  file = download (f, "mxc://example.org/a", 1000, NULL, NULL, &error);
  g_assert_no_error (error);
  g_clear_object (&file);
  file = download (f, "mxc://example.org/b", 1000, NULL, NULL, &error);
  g_assert_no_error (error);
  g_clear_object (&file);
  g_assert_cmpuint (matrix_media_cache_get_size (f->cache), ==, 200);

  /* a is used again, so b is the least recently used when c comes. */
  g_assert_true (cached (f->cache, "download example.org/a"));
  file = download (f, "mxc://example.org/c", 1000, NULL, NULL, &error);
  g_assert_no_error (error);
  g_clear_object (&file);

  g_assert_cmpuint (matrix_media_cache_get_size (f->cache), ==, 200);
  g_assert_true (cached (f->cache, "download example.org/a"));
  g_assert_false (cached (f->cache, "download example.org/b"));
  g_assert_true (cached (f->cache, "download example.org/c"));
  g_assert_cmpuint (count_files (f->cache_dir), ==, 2);

  /* Another cache over the directory finds the same, and trims to a lower
   * limit. */
  reopened = matrix_media_cache_new (f->cache_dir, 150);
  matrix_media_cache_trim_async (reopened, NULL, store_result, &result);
  wait_for_pointer ((gpointer *) &result, 5000);
  g_assert_true (matrix_media_cache_trim_finish (reopened, result, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (matrix_media_cache_get_size (reopened), ==, 100);
  g_assert_cmpuint (count_files (f->cache_dir), ==, 1);
}

static char *
upload (Fixture      *f,
        GFile        *file,
        Progress     *progress,
        GError      **error)
{
  g_autoptr(GAsyncResult) result = NULL;

  matrix_media_upload_async (f->media, file, "image/png", "cat pic.png", NULL,
                             progress != NULL ? on_progress : NULL, progress, store_result, &result);
  wait_for_pointer ((gpointer *) &result, 10000);
  return matrix_media_upload_finish (f->media, result, error);
}

static GFile *
temp_file_with (GBytes *bytes)
{
  g_autofree char *path = NULL;
  int fd;

  fd = g_file_open_tmp ("test-matrix-media-upload-XXXXXX", &path, NULL);
  g_assert_cmpint (fd, >=, 0);
  close (fd);
  g_assert_true (g_file_set_contents (path, g_bytes_get_data (bytes, NULL),
                                      g_bytes_get_size (bytes), NULL));
  return g_file_new_for_path (path);
}

static void
test_upload (Fixture       *f,
             gconstpointer  data)
{
  g_autoptr(GBytes) bytes = pattern_bytes (200 * 1024, 11);
  g_autoptr(GFile) file = temp_file_with (bytes);
  g_autoptr(GError) error = NULL;
  g_autofree char *uri = NULL;
  Progress progress = { 0 };
  FakeRequest *request;

  fake_homeserver_queue_json (f->server, "POST", "/_matrix/media/v3/upload?filename=cat%20pic.png",
                              200, "{\"content_uri\": \"mxc://example.org/up1\"}", FALSE);
  uri = upload (f, file, &progress, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (uri, ==, "mxc://example.org/up1");

  request = fake_homeserver_get_last_request (f->server);
  g_assert_cmpstr (request->method, ==, "POST");
  g_assert_cmpstr (soup_message_headers_get_one (request->headers, "Authorization"), ==,
                   "Bearer anaccesstoken");
  g_assert_cmpstr (soup_message_headers_get_content_type (request->headers, NULL), ==, "image/png");
  g_assert_true (g_bytes_equal (request->body, bytes));
  g_assert_cmpint (progress.last, ==, 200 * 1024);
  g_assert_cmpint (progress.total, ==, 200 * 1024);

  g_file_delete (file, NULL, NULL);
}

static void
test_upload_bad_answer (Fixture       *f,
                        gconstpointer  data)
{
  g_autoptr(GBytes) bytes = pattern_bytes (10, 12);
  g_autoptr(GFile) file = temp_file_with (bytes);
  g_autoptr(GError) error = NULL;
  g_autofree char *uri = NULL;

  fake_homeserver_queue_json (f->server, "POST", "/_matrix/media/v3/upload?filename=cat%20pic.png",
                              200, "{\"content_uri\": \"https://evil.example/x\"}", FALSE);
  uri = upload (f, file, NULL, &error);
  g_assert_error (error, MATRIX_ERROR, MATRIX_ERROR_INVALID_RESPONSE);
  g_assert_null (uri);
  g_file_delete (file, NULL, NULL);
}

static void
test_upload_limit (Fixture       *f,
                   gconstpointer  data)
{
  g_autoptr(GBytes) bytes = pattern_bytes (20, 13);
  g_autoptr(GFile) file = temp_file_with (bytes);
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *uri = NULL;
  guint64 limit = 0;

  queue_versions (f, "[\"v1.11\"]");
  fake_homeserver_queue_json (f->server, "GET", "/_matrix/client/v1/media/config", 200,
                              "{\"m.upload.size\": 10}", FALSE);
  matrix_media_get_upload_limit_async (f->media, NULL, store_result, &result);
  wait_for_pointer ((gpointer *) &result, 5000);
  g_assert_true (matrix_media_get_upload_limit_finish (f->media, result, &limit, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (limit, ==, 10);

  /* Refused before any request: nothing is queued for it. */
  uri = upload (f, file, NULL, &error);
  g_assert_error (error, MATRIX_ERROR, MATRIX_ERROR_TOO_LARGE);
  g_assert_null (uri);
  g_assert_cmpuint (fake_homeserver_count_requests (f->server, "POST", "/_matrix/media/v3/upload"), ==, 0);
  g_file_delete (file, NULL, NULL);
}

static void
test_upload_limit_invalid (Fixture       *f,
                           gconstpointer  data)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  guint64 limit = 7;

  queue_versions (f, "[\"v1.11\"]");
  fake_homeserver_queue_json (f->server, "GET", "/_matrix/client/v1/media/config", 200,
                              "{\"m.upload.size\": \"huge\"}", FALSE);
  matrix_media_get_upload_limit_async (f->media, NULL, store_result, &result);
  wait_for_pointer ((gpointer *) &result, 5000);
  g_assert_false (matrix_media_get_upload_limit_finish (f->media, result, &limit, &error));
  g_assert_nonnull (error);
  g_assert_cmpuint (limit, ==, 7);
}

static void
test_mxc_hostile (void)
{
  const char *bad[] = {
    "", "mxc://", "mxc:///id", "mxc://server", "mxc://server/", "mxc://server/id/more",
    "mxc://server/../../etc/passwd", "mxc://server/id?x=1", "mxc://server/id#f",
    "mxc://ser ver/id", "mxc://server/i d", "mxc://server/id%2F", "MXC://server/id",
    "https://server/id", "mxc://server/\xc3\xa9", "mxc://user@server/id", "mxc://server/id\n",
    "mxc://server/.", "mxc://server/..",
  };
  g_autofree char *long_id = NULL;
  g_autofree char *server = NULL, *id = NULL;

  for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_test_message ("%s", bad[i]);
      g_assert_false (matrix_mxc_uri_parse (bad[i], NULL, NULL));
    }
  g_assert_false (matrix_mxc_uri_parse (NULL, NULL, NULL));
  long_id = g_strnfill (300, 'a');
  {
    g_autofree char *uri = g_strconcat ("mxc://example.org/", long_id, NULL);

    g_assert_false (matrix_mxc_uri_parse (uri, NULL, NULL));
  }

  g_assert_true (matrix_mxc_uri_parse ("mxc://example.org:8448/AbC_-1", &server, &id));
  g_assert_cmpstr (server, ==, "example.org:8448");
  g_assert_cmpstr (id, ==, "AbC_-1");
}

static void
test_info_from_content (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonObject) good = _matrix_json_parse_object (
    "{\"msgtype\": \"m.image\", \"body\": \"cat.png\", \"url\": \"mxc://example.org/cat\","
    " \"info\": {\"mimetype\": \"image/png\", \"size\": 1234, \"w\": 640, \"h\": 480,"
    "  \"thumbnail_url\": \"mxc://example.org/thumb\","
    "  \"thumbnail_info\": {\"w\": 320, \"h\": 240, \"mimetype\": \"image/jpeg\"}}}", -1, NULL);
  g_autoptr(JsonObject) hostile = _matrix_json_parse_object (
    "{\"msgtype\": \"m.file\", \"body\": \"x\", \"url\": \"mxc://example.org/f\","
    " \"info\": {\"mimetype\": 5, \"size\": -3, \"w\": 1e12, \"h\": \"480\","
    "  \"thumbnail_url\": \"https://evil.example/t.png\"}}", -1, NULL);
  g_autoptr(JsonObject) bad_url = _matrix_json_parse_object (
    "{\"msgtype\": \"m.image\", \"body\": \"x\", \"url\": \"https://evil.example/x.png\"}", -1, NULL);
  g_autoptr(JsonObject) encrypted = _matrix_json_parse_object (
    "{\"msgtype\": \"m.image\", \"body\": \"x\", \"file\": {\"url\": \"mxc://a/b\"}}", -1, NULL);
  g_autoptr(JsonObject) text = _matrix_json_parse_object (
    "{\"msgtype\": \"m.text\", \"body\": \"hi\", \"url\": \"mxc://a/b\"}", -1, NULL);
  g_autoptr(MatrixMediaInfo) info = NULL, sticker = NULL, round_trip = NULL;
  g_autoptr(JsonObject) content = NULL;

  info = matrix_media_info_new_from_content ("m.room.message", good, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (matrix_media_info_get_msgtype (info), ==, "m.image");
  g_assert_cmpstr (matrix_media_info_get_mimetype (info), ==, "image/png");
  g_assert_cmpint (matrix_media_info_get_size (info), ==, 1234);
  g_assert_cmpuint (matrix_media_info_get_width (info), ==, 640);
  g_assert_cmpuint (matrix_media_info_get_height (info), ==, 480);
  g_assert_cmpstr (matrix_media_info_get_thumbnail_url (info), ==, "mxc://example.org/thumb");
  g_assert_cmpuint (matrix_media_info_get_thumbnail_width (info), ==, 320);

  /* What is sent reads back the same. */
  content = matrix_media_info_to_content (info);
  round_trip = matrix_media_info_new_from_content ("m.room.message", content, &error);
  g_assert_no_error (error);
  g_assert_cmpint (matrix_media_info_get_size (round_trip), ==, 1234);
  g_assert_cmpuint (matrix_media_info_get_height (round_trip), ==, 480);
  g_assert_cmpstr (matrix_media_info_get_thumbnail_url (round_trip), ==, "mxc://example.org/thumb");

  g_clear_object (&info);
  info = matrix_media_info_new_from_content ("m.room.message", hostile, &error);
  g_assert_no_error (error);
  g_assert_null (matrix_media_info_get_mimetype (info));
  g_assert_cmpint (matrix_media_info_get_size (info), ==, -1);
  g_assert_cmpuint (matrix_media_info_get_width (info), ==, 0);
  g_assert_cmpuint (matrix_media_info_get_height (info), ==, 0);
  g_assert_null (matrix_media_info_get_thumbnail_url (info));

  sticker = matrix_media_info_new_from_content ("m.sticker", bad_url, &error);
  g_assert_error (error, MATRIX_ERROR, MATRIX_ERROR_INVALID_RESPONSE);
  g_assert_null (sticker);
  g_clear_error (&error);

  /* An EncryptedFile without its key, iv and hash cannot be decrypted. */
  g_assert_null (matrix_media_info_new_from_content ("m.room.message", encrypted, &error));
  g_assert_error (error, MATRIX_ERROR, MATRIX_ERROR_INVALID_RESPONSE);
  g_clear_error (&error);
  g_assert_null (matrix_media_info_new_from_content ("m.room.message", text, &error));
  g_assert_error (error, MATRIX_ERROR, MATRIX_ERROR_INVALID_RESPONSE);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

#define ADD(path, func) \
  g_test_add (path, Fixture, NULL, fixture_setup, func, fixture_teardown)

  ADD ("/matrix/media/download/authenticated-bearer", test_download_authenticated);
  ADD ("/matrix/media/download/legacy-by-versions", test_download_legacy);
  ADD ("/matrix/media/download/versions-failing-stays-authenticated",
       test_download_versions_fail_stays_authenticated);
  ADD ("/matrix/media/download/claimed-size-over-limit", test_download_too_large_claimed);
  ADD ("/matrix/media/download/streamed-size-over-limit", test_download_too_large_streamed);
  ADD ("/matrix/media/download/error-status", test_download_error_status);
  g_test_add_func ("/matrix/media/download/truncated-body", test_download_truncated);
  ADD ("/matrix/media/download/cancelled", test_download_cancelled);
  ADD ("/matrix/media/thumbnail/authenticated-cached-apart", test_thumbnail);
  ADD ("/matrix/media/cache/lru-eviction-under-limit", test_cache_lru);
  ADD ("/matrix/media/upload/body-and-progress", test_upload);
  ADD ("/matrix/media/upload/invalid-content-uri", test_upload_bad_answer);
  ADD ("/matrix/media/upload/over-server-limit", test_upload_limit);
  ADD ("/matrix/media/upload/invalid-config", test_upload_limit_invalid);
  g_test_add_func ("/matrix/media/mxc/hostile-strings", test_mxc_hostile);
  g_test_add_func ("/matrix/media/info/validated", test_info_from_content);

  return g_test_run ();
}
