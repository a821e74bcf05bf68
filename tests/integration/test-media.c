/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "integration-media"

#include <glib/gstdio.h>
#include <gdk-pixbuf/gdk-pixbuf.h>
#include <libsoup/soup.h>

#include "integration-utils.h"

/* Media between Confab's library and a matrix-nio peer (media-peer.py) on a
 * real Synapse: what one uploads the other downloads byte for byte, with
 * the info it was sent with, over the authenticated media API. */

static char *
sha256_of_file (GFile *file)
{
  g_autofree char *contents = NULL;
  gsize size;

  g_assert_true (g_file_load_contents (file, NULL, &contents, &size, NULL, NULL));
  return g_compute_checksum_for_data (G_CHECKSUM_SHA256, (const guchar *) contents, size);
}

static char *
write_temp (const char *name,
            const void *data,
            gsize       size)
{
  g_autofree char *dir = g_dir_make_tmp ("integration-media-XXXXXX", NULL);
  char *path = g_build_filename (dir, name, NULL);

  g_assert_true (g_file_set_contents (path, data, size, NULL));
  return path;
}

static GBytes *
make_png (int width,
          int height)
{
  g_autoptr(GdkPixbuf) pixbuf = gdk_pixbuf_new (GDK_COLORSPACE_RGB, TRUE, 8, width, height);
  g_autofree char *buffer = NULL;
  gsize size;

  gdk_pixbuf_fill (pixbuf, 0x3584e4ff);
  g_assert_true (gdk_pixbuf_save_to_buffer (pixbuf, &buffer, &size, "png", NULL, NULL));
  return g_bytes_new_take (g_steal_pointer (&buffer), size);
}

/* Runs media-peer.py with @args and returns what it printed, parsed. */
static JsonObject *
run_peer (const char * const *args)
{
  const char *python = g_getenv ("CONFAB_PEER_PYTHON");
  const char *script = g_getenv ("CONFAB_MEDIA_PEER");
  g_autoptr(GPtrArray) argv = g_ptr_array_new ();
  g_autoptr(GSubprocess) process = NULL;
  g_autofree char *out = NULL, *err = NULL;
  g_autoptr(GError) error = NULL;
  JsonObject *object;

  g_assert_nonnull (python);
  g_assert_nonnull (script);
  g_ptr_array_add (argv, (gpointer) python);
  g_ptr_array_add (argv, (gpointer) script);
  for (guint i = 0; args[i] != NULL; i++)
    g_ptr_array_add (argv, (gpointer) args[i]);
  g_ptr_array_add (argv, NULL);

  process = g_subprocess_newv ((const char * const *) argv->pdata,
                               G_SUBPROCESS_FLAGS_STDOUT_PIPE | G_SUBPROCESS_FLAGS_STDERR_PIPE,
                               &error);
  g_assert_no_error (error);
  g_subprocess_communicate_utf8 (process, NULL, NULL, &out, &err, &error);
  g_assert_no_error (error);
  if (!g_subprocess_get_successful (process))
    g_error ("media-peer.py %s failed: %s", args[0], err);

  object = json_node_dup_object (json_from_string (out, &error));
  g_assert_no_error (error);
  return object;
}

static GFile *
download (MatrixMedia *media,
          const char  *mxc_uri)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  GFile *file;

  matrix_media_download_async (media, mxc_uri, 10 * 1024 * 1024, NULL, NULL, NULL,
                               store_result, &result);
  wait_for_pointer ((gpointer *) &result, INTEGRATION_TIMEOUT_MS);
  file = matrix_media_download_finish (media, result, &error);
  g_assert_no_error (error);
  return file;
}

/* The status of a GET of @path without any token. */
static guint
status_without_token (const char *path)
{
  g_autoptr(SoupSession) session = soup_session_new ();
  g_autofree char *url = g_strconcat (synapse_get_url (), path, NULL);
  g_autoptr(SoupMessage) message = soup_message_new ("GET", url);
  g_autoptr(GBytes) body = NULL;

  body = soup_session_send_and_read (session, message, NULL, NULL);
  g_test_message ("GET %s without a token: %u", path, soup_message_get_status (message));
  return soup_message_get_status (message);
}

static char *
media_path (const char *prefix,
            const char *mxc_uri)
{
  return g_strconcat (prefix, mxc_uri + strlen ("mxc://"), NULL);
}

static JsonObject *
get_event (TestClient *ours,
           const char *room_id,
           const char *event_id)
{
  g_autofree char *path = matrix_client_build_path ("v3", "rooms", room_id, "event", event_id, NULL);
  g_autoptr(GError) error = NULL;
  JsonObject *event = test_client_request (ours, "GET", path, NULL, &error);

  g_assert_no_error (error);
  return event;
}

static void
test_media_both_ways (void)
{
  g_autoptr(TestClient) ours = test_client_new_logged_in ("media");
  g_autofree char *peer_user = synapse_unique_user ("mediapeer");
  g_autofree char *cache_dir = g_dir_make_tmp ("integration-media-cache-XXXXXX", NULL);
  g_autoptr(MatrixMediaCache) cache = matrix_media_cache_new (cache_dir, 100 * 1024 * 1024);
  g_autoptr(MatrixMedia) media = matrix_media_new (ours->client, cache);
  g_autoptr(GBytes) peer_png = make_png (120, 80);
  static const char pdf_text[] = "%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << >>\n%%EOF\n";
  g_autofree char *png_path = write_temp ("sunset.png", g_bytes_get_data (peer_png, NULL),
                                          g_bytes_get_size (peer_png));
  g_autofree char *pdf_path = write_temp ("plan.pdf", pdf_text, strlen (pdf_text));
  g_autoptr(JsonObject) created = NULL, sent = NULL, event = NULL, fetched = NULL;
  g_autoptr(MatrixMediaInfo) info = NULL, ours_info = NULL;
  g_autoptr(GFile) image = NULL, pdf = NULL, upload_file = NULL;
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GBytes) our_png = make_png (64, 48);
  g_autoptr(JsonObject) content = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *room_id = NULL, *image_sum = NULL, *pdf_sum = NULL, *mxc = NULL;
  g_autofree char *our_png_path = NULL, *our_sum = NULL, *event_id = NULL, *txn = NULL;
  g_autofree char *authenticated = NULL, *legacy = NULL;
  const char *password = "media-peer-password";
  guint64 limit = 0;
  guint status;

  synapse_register_user (peer_user, password);

  created = test_client_request (ours, "POST", "v3/createRoom",
                                 "{\"preset\": \"public_chat\", \"name\": \"Media\"}", &error);
  g_assert_no_error (error);
  room_id = g_strdup (json_object_get_string_member (created, "room_id"));

  /* The peer uploads an image and a PDF and sends them. */
  sent = run_peer ((const char *[]) { "send", synapse_get_url (), peer_user, password, room_id,
                                      png_path, pdf_path, NULL });

  /* Confab reads the image's event and downloads the exact bytes, with its
   * token, over the authenticated API. */
  event = get_event (ours, room_id, json_object_get_string_member (sent, "image_event"));
  info = matrix_media_info_new_from_content ("m.room.message",
                                             json_object_get_object_member (event, "content"), &error);
  g_assert_no_error (error);
  g_assert_cmpstr (matrix_media_info_get_mimetype (info), ==, "image/png");
  g_assert_cmpuint (matrix_media_info_get_width (info), ==, 120);
  g_assert_cmpuint (matrix_media_info_get_height (info), ==, 80);
  g_assert_cmpint (matrix_media_info_get_size (info), ==, g_bytes_get_size (peer_png));

  image = download (media, matrix_media_info_get_url (info));
  image_sum = sha256_of_file (image);
  g_assert_cmpstr (image_sum, ==, json_object_get_string_member (sent, "image_sha256"));
  pdf = download (media, json_object_get_string_member (sent, "pdf_uri"));
  pdf_sum = sha256_of_file (pdf);
  g_assert_cmpstr (pdf_sum, ==, json_object_get_string_member (sent, "pdf_sha256"));

  /* This Synapse gives nothing without the token, on either API. */
  authenticated = media_path ("/_matrix/client/v1/media/download/",
                              json_object_get_string_member (sent, "pdf_uri"));
  legacy = media_path ("/_matrix/media/v3/download/", json_object_get_string_member (sent, "pdf_uri"));
  g_assert_cmpuint (status_without_token (authenticated), ==, 401);
  status = status_without_token (legacy);
  g_assert_false (SOUP_STATUS_IS_SUCCESSFUL (status));

  /* The server's upload limit, as Confab reads it. */
  matrix_media_get_upload_limit_async (media, NULL, store_result, &result);
  wait_for_pointer ((gpointer *) &result, INTEGRATION_TIMEOUT_MS);
  g_assert_true (matrix_media_get_upload_limit_finish (media, result, &limit, &error));
  g_assert_no_error (error);
  g_test_message ("m.upload.size: %" G_GUINT64_FORMAT, limit);
  g_assert_cmpuint (limit, >, 1024 * 1024);
  g_clear_object (&result);

  /* Confab uploads an image and sends it with its info; the peer sees the
   * same info and downloads the same bytes. */
  our_png_path = write_temp ("confab.png", g_bytes_get_data (our_png, NULL), g_bytes_get_size (our_png));
  upload_file = g_file_new_for_path (our_png_path);
  matrix_media_upload_async (media, upload_file, "image/png", "confab.png", NULL, NULL, NULL,
                             store_result, &result);
  wait_for_pointer ((gpointer *) &result, INTEGRATION_TIMEOUT_MS);
  mxc = matrix_media_upload_finish (media, result, &error);
  g_assert_no_error (error);
  g_clear_object (&result);

  ours_info = matrix_media_info_new ("m.image", "confab.png", mxc);
  matrix_media_info_set_mimetype (ours_info, "image/png");
  matrix_media_info_set_size (ours_info, g_bytes_get_size (our_png));
  matrix_media_info_set_dimensions (ours_info, 64, 48);
  content = matrix_media_info_to_content (ours_info);
  txn = matrix_client_new_transaction_id (ours->client);
  matrix_client_send_event_async (ours->client, room_id, "m.room.message", content, txn, NULL,
                                  store_result, &result);
  wait_for_pointer ((gpointer *) &result, INTEGRATION_TIMEOUT_MS);
  event_id = matrix_client_send_event_finish (ours->client, result, &error);
  g_assert_no_error (error);

  fetched = run_peer ((const char *[]) { "fetch", synapse_get_url (), peer_user, password, room_id,
                                         event_id, NULL });
  {
    JsonObject *fetched_content = json_object_get_object_member (fetched, "content");
    JsonObject *fetched_info = json_object_get_object_member (fetched_content, "info");

    our_sum = g_compute_checksum_for_bytes (G_CHECKSUM_SHA256, our_png);
    g_assert_cmpstr (json_object_get_string_member (fetched_content, "msgtype"), ==, "m.image");
    g_assert_cmpstr (json_object_get_string_member (fetched_content, "url"), ==, mxc);
    g_assert_cmpstr (json_object_get_string_member (fetched_info, "mimetype"), ==, "image/png");
    g_assert_cmpint (json_object_get_int_member (fetched_info, "w"), ==, 64);
    g_assert_cmpint (json_object_get_int_member (fetched_info, "h"), ==, 48);
    g_assert_cmpint (json_object_get_int_member (fetched_info, "size"), ==, g_bytes_get_size (our_png));
    g_assert_cmpstr (json_object_get_string_member (fetched, "sha256"), ==, our_sum);
  }

  g_clear_object (&media);
  g_clear_object (&cache);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/integration/media/peer-and-confab-exchange-exact-bytes-authenticated",
                   test_media_both_ways);

  return g_test_run ();
}
