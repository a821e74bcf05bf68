/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "test-confab-media"

#include <glib/gstdio.h>
#include <gdk-pixbuf/gdk-pixbuf.h>

#include "confab-composer.h"
#include "confab-image-decoder.h"
#include "confab-media-loader.h"
#include "confab-media-row.h"
#include "confab-media-viewer.h"
#include "confab-session.h"
#include "confab-window.h"
#include "ui-test-utils.h"
#include "ui-timeline-utils.h"

/* Media in the timeline as a user sees it (the real application against
 * the fake homeserver), and the image decoder against hostile files. */

#define SYNC "/_matrix/client/v3/sync"
#define USER "@alice:example.org"
#define ROOM "!media:example.org"
#define THUMBNAIL "/_matrix/client/v1/media/thumbnail/example.org/"
#define DOWNLOAD "/_matrix/client/v1/media/download/example.org/"

static GApplication *app;
static char *cache_home;

/* --- hostile files ------------------------------------------------------------ */

static guint32
crc32 (const guint8 *data,
       gsize         size,
       guint32       crc)
{
  crc = ~crc;
  for (gsize i = 0; i < size; i++)
    {
      crc ^= data[i];
      for (int k = 0; k < 8; k++)
        crc = (crc >> 1) ^ (0xedb88320u & -(crc & 1));
    }
  return ~crc;
}

static void
append_be32 (GByteArray *a,
             guint32     v)
{
  guint8 b[4] = { v >> 24, v >> 16, v >> 8, v };

  g_byte_array_append (a, b, 4);
}

static void
append_chunk (GByteArray   *png,
              const char   *type,
              const guint8 *data,
              gsize         size)
{
  g_autoptr(GByteArray) typed = g_byte_array_new ();

  append_be32 (png, size);
  g_byte_array_append (typed, (const guint8 *) type, 4);
  if (size > 0)
    g_byte_array_append (typed, data, size);
  g_byte_array_append (png, typed->data, typed->len);
  append_be32 (png, crc32 (typed->data, typed->len, 0));
}

/* A valid grey PNG of @width × @height, all black: its pixels compress to
 * almost nothing, which is what a decompression bomb is. */
static GBytes *
zero_png (guint32 width,
          guint32 height)
{
  static const guint8 signature[] = { 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n' };
  g_autoptr(GByteArray) png = g_byte_array_new ();
  g_autoptr(GByteArray) ihdr = g_byte_array_new ();
  g_autoptr(GZlibCompressor) compressor = g_zlib_compressor_new (G_ZLIB_COMPRESSOR_FORMAT_ZLIB, 9);
  g_autoptr(GByteArray) idat = g_byte_array_new ();
  g_autofree guint8 *row = g_malloc0 (width + 1);
  guint8 out[65536];
  guint64 total = (guint64) (width + 1) * height, fed = 0;

  g_byte_array_append (png, signature, sizeof signature);
  append_be32 (ihdr, width);
  append_be32 (ihdr, height);
  g_byte_array_append (ihdr, (const guint8 *) "\x08\x00\x00\x00\x00", 5);
  append_chunk (png, "IHDR", ihdr->data, ihdr->len);

  while (TRUE)
    {
      gsize in_size = (gsize) MIN ((guint64) (width + 1), total - fed);
      gsize read = 0, written = 0;
      GConverterResult result;

      result = g_converter_convert (G_CONVERTER (compressor), row, in_size, out, sizeof out,
                                    fed + in_size >= total ? G_CONVERTER_INPUT_AT_END
                                                           : G_CONVERTER_NO_FLAGS,
                                    &read, &written, NULL);
      g_assert_cmpint (result, !=, G_CONVERTER_ERROR);
      fed += read;
      g_byte_array_append (idat, out, written);
      if (result == G_CONVERTER_FINISHED)
        break;
    }

  append_chunk (png, "IDAT", idat->data, idat->len);
  append_chunk (png, "IEND", NULL, 0);
  return g_byte_array_free_to_bytes (g_steal_pointer (&png));
}

/* A real image, as a sender's client makes it. */
static GBytes *
picture_bytes (int         width,
               int         height,
               const char *type)
{
  g_autoptr(GdkPixbuf) pixbuf = gdk_pixbuf_new (GDK_COLORSPACE_RGB, FALSE, 8, width, height);
  guint8 *pixels = gdk_pixbuf_get_pixels (pixbuf);
  int stride = gdk_pixbuf_get_rowstride (pixbuf);
  g_autofree char *buffer = NULL;
  gsize size;

  for (int y = 0; y < height; y++)
    for (int x = 0; x < width; x++)
      {
        guint8 *p = pixels + y * stride + x * 3;

        p[0] = 40 + 180 * x / width;
        p[1] = 90 + 120 * y / height;
        p[2] = 200 - 100 * x / width;
      }
  g_assert_true (gdk_pixbuf_save_to_buffer (pixbuf, &buffer, &size, type, NULL, NULL));
  return g_bytes_new_take (g_steal_pointer (&buffer), size);
}

static GFile *
write_temp (const void *data,
            gsize       size)
{
  g_autofree char *path = NULL;
  int fd = g_file_open_tmp ("test-confab-media-XXXXXX", &path, NULL);

  g_assert_cmpint (fd, >=, 0);
  close (fd);
  g_assert_true (g_file_set_contents (path, data, size, NULL));
  return g_file_new_for_path (path);
}

static gsize
rss_peak_kb (void)
{
  g_autofree char *status = NULL;
  const char *line;

  g_assert_true (g_file_get_contents ("/proc/self/status", &status, NULL, NULL));
  line = strstr (status, "VmHWM:");
  g_assert_nonnull (line);
  return (gsize) g_ascii_strtoull (line + 6, NULL, 10);
}

/* Decodes @bytes as the app does, expecting @code; the process's peak
 * memory may not grow by more than 16 MB on the way. */
static void
assert_refused (GBytes     *bytes,
                int         code,
                const char *what)
{
  g_autoptr(GFile) file = write_temp (g_bytes_get_data (bytes, NULL), g_bytes_get_size (bytes));
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GdkTexture) texture = NULL;
  g_autoptr(GError) error = NULL;
  gsize before = rss_peak_kb (), after;

  confab_image_decode_async (file, 0, NULL, store_result, &result);
  wait_for_pointer ((gpointer *) &result, 10000);
  texture = confab_image_decode_finish (result, &error);
  after = rss_peak_kb ();
  g_test_message ("%s (%" G_GSIZE_FORMAT " bytes): %s; peak memory +%" G_GSIZE_FORMAT " kB",
                  what, g_bytes_get_size (bytes), error ? error->message : "decoded", after - before);
  g_assert_null (texture);
  g_assert_error (error, CONFAB_IMAGE_ERROR, code);
  g_assert_cmpuint (after - before, <, 16 * 1024);
  g_file_delete (file, NULL, NULL);
}

static void
test_decode_bomb (void)
{
  /* 6000 × 6000: each side allowed, 36 MP not; 144 MB decoded from a few kB. */
  g_autoptr(GBytes) bomb = zero_png (6000, 6000);

  g_assert_cmpuint (g_bytes_get_size (bomb), <, 200 * 1024);
  assert_refused (bomb, CONFAB_IMAGE_ERROR_TOO_LARGE, "decompression bomb");
}

static void
test_decode_huge_header (void)
{
  g_autoptr(GBytes) small = picture_bytes (16, 16, "png");
  g_autofree guint8 *data = g_memdup2 (g_bytes_get_data (small, NULL), g_bytes_get_size (small));
  g_autoptr(GBytes) huge = NULL;
  g_autoptr(GByteArray) ihdr = g_byte_array_new ();

  /* The IHDR says 50,000 × 50,000, with a correct checksum. */
  append_be32 (ihdr, 50000);
  append_be32 (ihdr, 50000);
  memcpy (data + 16, ihdr->data, 8);
  {
    guint32 crc = crc32 (data + 12, 17, 0);
    guint8 b[4] = { crc >> 24, crc >> 16, crc >> 8, crc };

    memcpy (data + 29, b, 4);
  }
  huge = g_bytes_new (data, g_bytes_get_size (small));
  assert_refused (huge, CONFAB_IMAGE_ERROR_TOO_LARGE, "50000 x 50000 PNG");
}

static void
test_decode_huge_jpeg (void)
{
  g_autoptr(GBytes) small = picture_bytes (16, 16, "jpeg");
  gsize size = g_bytes_get_size (small);
  g_autofree guint8 *data = g_memdup2 (g_bytes_get_data (small, NULL), size);
  g_autoptr(GBytes) huge = NULL;
  gboolean patched = FALSE;

  /* The start of frame says 60,000 × 60,000: this decoder reads no JPEG
   * header itself, so the loader's size-prepared has to refuse it. */
  for (gsize i = 2; i + 9 < size && !patched; i++)
    if (data[i] == 0xff && (data[i + 1] == 0xc0 || data[i + 1] == 0xc2))
      {
        data[i + 5] = 0xea;
        data[i + 6] = 0x60;
        data[i + 7] = 0xea;
        data[i + 8] = 0x60;
        patched = TRUE;
      }
  g_assert_true (patched);
  huge = g_bytes_new (data, size);
  assert_refused (huge, CONFAB_IMAGE_ERROR_TOO_LARGE, "60000 x 60000 JPEG");
}

static void
test_decode_truncated (void)
{
  g_autoptr(GBytes) whole = picture_bytes (200, 150, "png");
  g_autoptr(GBytes) half = g_bytes_new_from_bytes (whole, 0, g_bytes_get_size (whole) / 2);

  assert_refused (half, CONFAB_IMAGE_ERROR_CORRUPT, "truncated PNG");
}

static void
test_decode_wrong_type (void)
{
  static const char text[] = "%PDF-1.7 this is no image, whatever the event says";
  g_autoptr(GBytes) pdf = g_bytes_new_static (text, strlen (text));
  g_autoptr(GBytes) empty = g_bytes_new_static ("", 0);
  static const char svg_text[] =
    "<?xml version=\"1.0\"?><svg xmlns=\"http://www.w3.org/2000/svg\" width=\"10\" height=\"10\">"
    "<image href=\"https://tracker.example/pixel.png\"/></svg>";
  g_autoptr(GBytes) svg = g_bytes_new_static (svg_text, strlen (svg_text));
  g_autoptr(GBytes) png = picture_bytes (30, 20, "png");
  g_autoptr(GFile) file = write_temp (g_bytes_get_data (png, NULL), g_bytes_get_size (png));
  g_autoptr(GdkTexture) texture = NULL;
  g_autoptr(GError) error = NULL;

  assert_refused (pdf, CONFAB_IMAGE_ERROR_UNSUPPORTED, "a PDF said to be an image");
  assert_refused (empty, CONFAB_IMAGE_ERROR_EMPTY, "0 bytes");
  assert_refused (svg, CONFAB_IMAGE_ERROR_UNSUPPORTED, "SVG");

  /* A PNG is a PNG whatever it is called; and it fits the size asked for. */
  texture = confab_image_decode_file (file, 15, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpint (gdk_texture_get_width (texture), ==, 15);
  g_assert_cmpint (gdk_texture_get_height (texture), ==, 10);
  g_file_delete (file, NULL, NULL);
}

/* --- the timeline -------------------------------------------------------------- */

typedef struct {
  FakeHomeserver *server;
  ConfabWindow   *window;
  MatrixStore    *store;
} Fixture;

static void
save_session (Fixture *f)
{
  g_autofree char *session_path = confab_session_get_path ();
  g_autofree char *dir = confab_session_get_store_dir (USER);
  g_autofree char *token_path = g_build_filename (dir, "session-token", NULL);
  g_autofree char *contents = NULL;

  contents = g_strdup_printf ("[Session]\nhomeserver=%s\nuser_id=" USER "\ndevice_id=DEV1\n",
                              fake_homeserver_get_url (f->server));
  g_assert_cmpint (g_mkdir_with_parents (dir, 0700), ==, 0);
  g_assert_true (g_file_set_contents (session_path, contents, -1, NULL));
  g_assert_true (g_file_set_contents (token_path, "tok", -1, NULL));
  g_assert_cmpint (g_chmod (token_path, 0600), ==, 0);
}

static void
fixture_setup (Fixture       *f,
               gconstpointer  data)
{
  ui_test_clear_data_home ();
  f->server = fake_homeserver_new ();
  fake_homeserver_queue_json (f->server, "POST", "/_matrix/client/v3/rooms/" ROOM "/read_markers",
                              200, "{}", TRUE);
  fake_homeserver_queue_json (f->server, "GET", "/_matrix/client/versions", 200,
                              "{\"versions\": [\"v1.11\"]}", FALSE);
  save_session (f);
}

static gboolean
store_gone (gpointer data)
{
  return ((Fixture *) data)->store == NULL;
}

static void
fixture_teardown (Fixture       *f,
                  gconstpointer  data)
{
  if (f->window != NULL)
    {
      MatrixClient *client = confab_window_get_client (f->window);

      if (client != NULL)
        {
          f->store = matrix_client_get_store (client);
          g_object_add_weak_pointer (G_OBJECT (f->store), (gpointer *) &f->store);
        }
      gtk_window_destroy (GTK_WINDOW (f->window));
      ui_wait_until (store_gone, f, 5000, "the store closed");
    }
  iterate_for (50);
  g_assert_cmpuint (fake_homeserver_get_n_unmatched (f->server), ==, 0);
  g_object_unref (f->server);
  ui_test_clear_data_home ();
}

static const char media_sync[] =
  "{\"next_batch\":\"s1\",\"rooms\":{\"join\":{\"" ROOM "\":{\"state\":{\"events\":[]},"
  "\"timeline\":{\"limited\":false,\"events\":["
  "{\"type\":\"m.room.create\",\"state_key\":\"\",\"sender\":\"@bob:example.org\",\"event_id\":\"$c\","
  " \"origin_server_ts\":1700000000000,\"content\":{\"creator\":\"@bob:example.org\"}},"
  "{\"type\":\"m.room.member\",\"state_key\":\"@bob:example.org\",\"sender\":\"@bob:example.org\","
  " \"event_id\":\"$mb\",\"origin_server_ts\":1700000000000,"
  " \"content\":{\"membership\":\"join\",\"displayname\":\"Bob\"}},"
  "{\"type\":\"m.room.member\",\"state_key\":\"" USER "\",\"sender\":\"" USER "\","
  " \"event_id\":\"$ma\",\"origin_server_ts\":1700000000000,"
  " \"content\":{\"membership\":\"join\",\"displayname\":\"Alice\"}},"
  "{\"type\":\"m.room.name\",\"state_key\":\"\",\"sender\":\"@bob:example.org\",\"event_id\":\"$n\","
  " \"origin_server_ts\":1700000000000,\"content\":{\"name\":\"Holiday\"}},"
  "{\"type\":\"m.room.message\",\"sender\":\"@bob:example.org\",\"event_id\":\"$t\","
  " \"origin_server_ts\":1700000060000,\"content\":{\"msgtype\":\"m.text\",\"body\":\"Photos from the trip\"}},"
  "{\"type\":\"m.room.message\",\"sender\":\"@bob:example.org\",\"event_id\":\"$img\","
  " \"origin_server_ts\":1700000120000,\"content\":{\"msgtype\":\"m.image\",\"body\":\"lake.png\","
  "  \"url\":\"mxc://example.org/lake\",\"info\":{\"mimetype\":\"image/png\",\"size\":5000,"
  "  \"w\":640,\"h\":480,\"xyz.amorgan.blurhash\":\"LEHV6nWB2yk8pyo0adR*.7kCMdnj\"}}},"
  "{\"type\":\"m.room.message\",\"sender\":\"@bob:example.org\",\"event_id\":\"$pdf\","
  " \"origin_server_ts\":1700000180000,\"content\":{\"msgtype\":\"m.file\",\"body\":\"itinerary.pdf\","
  "  \"url\":\"mxc://example.org/pdf\",\"info\":{\"mimetype\":\"application/pdf\",\"size\":123456}}},"
  "{\"type\":\"m.room.message\",\"sender\":\"@bob:example.org\",\"event_id\":\"$iso\","
  " \"origin_server_ts\":1700000200000,\"content\":{\"msgtype\":\"m.file\",\"body\":\"disk.iso\","
  "  \"url\":\"mxc://example.org/iso\",\"info\":{\"mimetype\":\"application/x-iso9660-image\","
  "  \"size\":3000000000}}},"
  "{\"type\":\"m.room.message\",\"sender\":\"@bob:example.org\",\"event_id\":\"$bomb\","
  " \"origin_server_ts\":1700000240000,\"content\":{\"msgtype\":\"m.image\",\"body\":\"bomb.png\","
  "  \"url\":\"mxc://example.org/bomb\",\"info\":{\"mimetype\":\"image/png\",\"w\":300,\"h\":100}}},"
  "{\"type\":\"m.room.message\",\"sender\":\"@bob:example.org\",\"event_id\":\"$vid\","
  " \"origin_server_ts\":1700000300000,\"content\":{\"msgtype\":\"m.video\",\"body\":\"waves.webm\","
  "  \"url\":\"mxc://example.org/vid\",\"info\":{\"mimetype\":\"video/webm\",\"size\":4096,"
  "  \"w\":640,\"h\":360,\"duration\":3000}}},"
  "{\"type\":\"m.room.message\",\"sender\":\"@bob:example.org\",\"event_id\":\"$aud\","
  " \"origin_server_ts\":1700000360000,\"content\":{\"msgtype\":\"m.audio\",\"body\":\"gulls.ogg\","
  "  \"url\":\"mxc://example.org/aud\",\"info\":{\"mimetype\":\"audio/ogg\",\"size\":2048}}},"
  "{\"type\":\"m.sticker\",\"sender\":\"@bob:example.org\",\"event_id\":\"$stk\","
  " \"origin_server_ts\":1700000420000,\"content\":{\"body\":\"A waving hand\","
  "  \"url\":\"mxc://example.org/stk\",\"info\":{\"mimetype\":\"image/png\",\"w\":128,\"h\":128}}}"
  "]}}}}}";

static gboolean
rooms_listed (gpointer data)
{
  Fixture *f = data;
  MatrixRoomStateTracker *tracker = confab_window_get_tracker (f->window);

  return tracker != NULL && matrix_room_state_tracker_get_room (tracker, ROOM) != NULL;
}

static ConfabMediaRow *
media_row (Fixture    *f,
           const char *body)
{
  g_autoptr(GPtrArray) rows = ui_find_widgets (GTK_WIDGET (f->window), CONFAB_TYPE_MEDIA_ROW);

  /* Rows hold no body of their own; match by what they show. */
  for (guint i = 0; i < rows->len; i++)
    {
      ConfabMediaRow *row = g_ptr_array_index (rows, i);
      g_autoptr(GPtrArray) labels = ui_find_widgets (GTK_WIDGET (row), GTK_TYPE_LABEL);
      g_autoptr(GPtrArray) pictures = ui_find_widgets (GTK_WIDGET (row), GTK_TYPE_PICTURE);

      for (guint j = 0; j < labels->len; j++)
        if (g_strcmp0 (gtk_label_get_text (g_ptr_array_index (labels, j)), body) == 0)
          return row;
      for (guint j = 0; j < pictures->len; j++)
        if (g_strcmp0 (gtk_picture_get_alternative_text (g_ptr_array_index (pictures, j)), body) == 0)
          return row;
    }
  return NULL;
}

typedef struct {
  Fixture    *f;
  const char *body;
  const char *state;
} RowState;

static gboolean
row_in_state (gpointer data)
{
  RowState *want = data;
  ConfabMediaRow *row = media_row (want->f, want->body);

  return row != NULL && g_strcmp0 (confab_media_row_get_state (row), want->state) == 0;
}

static gboolean
has_video (gpointer data)
{
  g_autoptr(GPtrArray) videos = ui_find_widgets (GTK_WIDGET (data), GTK_TYPE_VIDEO);

  return videos->len == 1;
}

static gboolean
viewer_gone (gpointer data)
{
  return *(gpointer *) data == NULL;
}

static gboolean
viewer_loaded (gpointer data)
{
  return confab_media_viewer_is_loaded (data);
}

static void
test_timeline_media (Fixture       *f,
                     gconstpointer  data)
{
  g_autoptr(GBytes) lake_thumb = picture_bytes (640, 480, "png");
  g_autoptr(GBytes) lake = picture_bytes (640, 480, "png");
  g_autoptr(GBytes) bomb = zero_png (6000, 6000);
  g_autoptr(GBytes) sticker = picture_bytes (128, 128, "png");
  g_autofree char *png = NULL;
  ConfabMediaRow *row;
  ConfabMediaViewer *viewer;
  GApplication *application = app;
  int width, height;

  fake_homeserver_queue_bytes (f->server, "GET", THUMBNAIL "lake?width=640&height=640&method=scale",
                               200, "image/png", lake_thumb, FALSE);
  fake_homeserver_queue_bytes (f->server, "GET", THUMBNAIL "stk?width=640&height=640&method=scale",
                               200, "image/png", sticker, FALSE);
  /* The server has no thumbnail of the bomb: the file itself is fetched
   * and refused before decoding. */
  fake_homeserver_queue_json (f->server, "GET", THUMBNAIL "bomb?width=640&height=640&method=scale",
                              400, "{\"errcode\":\"M_UNKNOWN\",\"error\":\"Cannot thumbnail\"}", FALSE);
  fake_homeserver_queue_bytes (f->server, "GET", DOWNLOAD "bomb", 200, "image/png", bomb, FALSE);
  fake_homeserver_queue_json (f->server, "GET", SYNC "?timeout=30000", 200, media_sync, FALSE);
  fake_homeserver_queue_held (f->server, "GET", SYNC "?since=s1&timeout=30000", 200,
                              "application/json", "{\"next_batch\":\"s1\"}");

  g_application_activate (application);
  f->window = CONFAB_WINDOW (gtk_application_get_active_window (GTK_APPLICATION (application)));
  gtk_window_set_default_size (GTK_WINDOW (f->window), 900, 1000);
  ui_wait_until (rooms_listed, f, 5000, "the room of the first sync");
  ui_wait_frames (GTK_WIDGET (f->window), 2);
  ui_click_room (f->window, "Holiday");

  /* The image's place has its final size before any byte arrived. */
  ui_wait_until ((UiTestPredicate) row_in_state, &(RowState) { f, "lake.png", "image" }, 10000,
                 "the image shown");
  row = media_row (f, "lake.png");
  confab_media_row_get_display_size (row, &width, &height);
  g_assert_cmpint (width, ==, 320);
  g_assert_cmpint (height, ==, 240);

  ui_wait_until ((UiTestPredicate) row_in_state, &(RowState) { f, "bomb.png", "failed" }, 10000,
                 "the bomb refused");
  row = media_row (f, "bomb.png");
  g_assert_true (g_str_has_prefix (confab_media_row_get_message (row), "The image is too large"));
  confab_media_row_get_display_size (row, &width, &height);
  g_assert_cmpint (width, ==, 300);
  g_assert_cmpint (height, ==, 100);

  /* A sticker is its image, at its own size. */
  ui_wait_until ((UiTestPredicate) row_in_state, &(RowState) { f, "A waving hand", "image" }, 10000,
                 "the sticker shown");
  confab_media_row_get_display_size (media_row (f, "A waving hand"), &width, &height);
  g_assert_cmpint (width, ==, 128);
  g_assert_cmpint (height, ==, 128);

  row = media_row (f, "itinerary.pdf");
  g_assert_nonnull (row);
  g_assert_cmpstr (confab_media_row_get_state (row), ==, "file");

  ui_wait_frames (GTK_WIDGET (f->window), 3);
  png = ui_save_png (GTK_WIDGET (f->window), "media.png");

  /* A file claiming 3 GB is refused before any request. */
  row = media_row (f, "disk.iso");
  g_assert_nonnull (row);
  {
    g_autoptr(GPtrArray) buttons = ui_find_widgets (GTK_WIDGET (row), GTK_TYPE_BUTTON);
    g_autoptr(GPtrArray) labels = NULL;
    gboolean said = FALSE;

    for (guint i = 0; i < buttons->len; i++)
      if (g_strcmp0 (gtk_button_get_label (g_ptr_array_index (buttons, i)), "_Open") == 0)
        g_signal_emit_by_name (g_ptr_array_index (buttons, i), "clicked");
    labels = ui_find_widgets (GTK_WIDGET (row), GTK_TYPE_LABEL);
    for (guint i = 0; i < labels->len; i++)
      said |= g_strcmp0 (gtk_label_get_text (g_ptr_array_index (labels, i)), "The file is too large") == 0;
    g_assert_true (said);
    g_assert_cmpuint (fake_homeserver_count_requests (f->server, "GET", DOWNLOAD "iso"), ==, 0);
  }

  /* Video and audio play from the cache once downloaded whole. */
  row = media_row (f, "waves.webm");
  g_assert_nonnull (row);
  g_assert_cmpstr (confab_media_row_get_state (row), ==, "file");
  g_assert_nonnull (media_row (f, "gulls.ogg"));
  fake_homeserver_queue_bytes (f->server, "GET", DOWNLOAD "vid", 200, "video/webm", lake, FALSE);
  {
    g_autoptr(GPtrArray) buttons = ui_find_widgets (GTK_WIDGET (row), GTK_TYPE_BUTTON);
    GtkWidget *play = NULL;

    for (guint i = 0; i < buttons->len; i++)
      if (g_strcmp0 (gtk_widget_get_tooltip_text (g_ptr_array_index (buttons, i)), "Play") == 0)
        play = g_ptr_array_index (buttons, i);
    g_assert_nonnull (play);
    g_signal_emit_by_name (play, "clicked");
  }
  ui_wait_until (has_video, row, 10000, "the video player");


  /* A click opens the whole image in the viewer; Escape closes it. */
  fake_homeserver_queue_bytes (f->server, "GET", DOWNLOAD "lake", 200, "image/png", lake, FALSE);
  viewer = confab_media_row_activate (media_row (f, "lake.png"));
  g_assert_nonnull (viewer);
  g_object_add_weak_pointer (G_OBJECT (viewer), (gpointer *) &viewer);
  ui_wait_until (viewer_loaded, viewer, 10000, "the viewer's image");
  g_assert_cmpuint (fake_homeserver_count_requests (f->server, "GET", DOWNLOAD "lake"), ==, 1);
  ui_wait_frames (GTK_WIDGET (viewer), 2);
  g_free (ui_save_png (GTK_WIDGET (viewer), "media-viewer.png"));

  /* Zoom: from the fitted size (640 × 480 fits the 800 × 600 window at its
   * own size), in by a quarter, to its own size, out, and fitted again;
   * Ctrl+0 and Ctrl+1 too. Copy puts the image on the clipboard. */
  g_assert_cmpfloat (confab_media_viewer_get_zoom (viewer), ==, 1.0);
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (viewer), "viewer.zoom-in", NULL));
  g_assert_cmpfloat_with_epsilon (confab_media_viewer_get_zoom (viewer), 1.25, 0.001);
  ui_wait_frames (GTK_WIDGET (viewer), 2);
  {
    g_autoptr(GPtrArray) pictures = ui_find_widgets (GTK_WIDGET (viewer), GTK_TYPE_PICTURE);
    GtkWidget *picture = g_ptr_array_index (pictures, 0);

    g_assert_cmpint (gtk_widget_get_width (picture), ==, 800);
    g_assert_cmpint (gtk_widget_get_height (picture), ==, 600);
  }
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (viewer), "viewer.zoom-out", NULL));
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (viewer), "viewer.zoom-out", NULL));
  g_assert_cmpfloat_with_epsilon (confab_media_viewer_get_zoom (viewer), 0.8, 0.001);
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (viewer), "viewer.zoom-original", NULL));
  g_assert_cmpfloat (confab_media_viewer_get_zoom (viewer), ==, 1.0);
  for (guint i = 0; i < 20; i++)
    gtk_widget_activate_action (GTK_WIDGET (viewer), "viewer.zoom-in", NULL);
  g_assert_cmpfloat (confab_media_viewer_get_zoom (viewer), ==, 8.0);
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (viewer), "viewer.zoom-fit", NULL));
  ui_wait_frames (GTK_WIDGET (viewer), 2);
  g_assert_cmpfloat (confab_media_viewer_get_zoom (viewer), ==, 1.0);
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (viewer), "viewer.copy", NULL));
  {
    GdkContentFormats *formats = gdk_clipboard_get_formats (gtk_widget_get_clipboard (GTK_WIDGET (viewer)));

    g_assert_true (gdk_content_formats_contain_gtype (formats, GDK_TYPE_TEXTURE));
  }
  gtk_widget_activate_action (GTK_WIDGET (viewer), "window.close", NULL);
  ui_wait_until (viewer_gone, &viewer, 5000, "the viewer closed");
}

static void
open_room (Fixture *f)
{
  GApplication *application = app;

  fake_homeserver_queue_json (f->server, "GET", SYNC "?timeout=30000", 200, media_sync, FALSE);
  fake_homeserver_queue_held (f->server, "GET", SYNC "?since=s1&timeout=30000", 200,
                              "application/json", "{\"next_batch\":\"s1\"}");
  g_application_activate (application);
  f->window = CONFAB_WINDOW (gtk_application_get_active_window (GTK_APPLICATION (application)));
  gtk_window_set_default_size (GTK_WINDOW (f->window), 900, 1000);
  ui_wait_until (rooms_listed, f, 5000, "the room of the first sync");
  ui_wait_frames (GTK_WIDGET (f->window), 2);
  ui_click_room (f->window, "Holiday");
}

static gboolean
no_uploads (gpointer data)
{
  return confab_uploader_get_n_uploads (data) == 0;
}

static gboolean
upload_failed (gpointer data)
{
  return confab_uploader_get_n_uploads (data) == 1 &&
         strstr (confab_uploader_get_status (data, 0), "too large") != NULL;
}

/* A file dropped on the room is uploaded and sent with its info. */
static void
test_send_dropped_image (Fixture       *f,
                         gconstpointer  data)
{
  g_autoptr(GBytes) png = picture_bytes (200, 100, "png");
  g_autofree char *dir = g_dir_make_tmp ("test-confab-media-XXXXXX", NULL);
  g_autofree char *path = g_build_filename (dir, "beach.png", NULL);
  g_autoptr(GFile) file = g_file_new_for_path (path);
  g_autoptr(JsonNode) sent = NULL;
  GSList files = { file, NULL };
  ConfabComposer *composer;
  ConfabUploader *uploader;
  FakeRequest *upload = NULL, *send = NULL;
  GPtrArray *requests;
  JsonObject *content, *info;

  g_assert_true (g_file_set_contents (path, g_bytes_get_data (png, NULL), g_bytes_get_size (png), NULL));
  fake_homeserver_queue_json (f->server, "GET", "/_matrix/client/v1/media/config", 200,
                              "{\"m.upload.size\": 1000000}", FALSE);
  fake_homeserver_queue_json (f->server, "POST", "/_matrix/media/v3/upload?filename=beach.png", 200,
                              "{\"content_uri\": \"mxc://example.org/beach\"}", FALSE);
  fake_homeserver_queue_json (f->server, "PUT",
                              "/_matrix/client/v3/rooms/" ROOM "/send/m.room.message/*", 200,
                              "{\"event_id\": \"$beach\"}", FALSE);
  /* The new row asks for its thumbnail. */
  fake_homeserver_queue_bytes (f->server, "GET", THUMBNAIL "beach?width=640&height=640&method=scale",
                               200, "image/png", png, TRUE);
  fake_homeserver_queue_bytes (f->server, "GET", THUMBNAIL "lake?width=640&height=640&method=scale",
                               200, "image/png", png, TRUE);
  fake_homeserver_queue_bytes (f->server, "GET", THUMBNAIL "stk?width=640&height=640&method=scale",
                               200, "image/png", png, TRUE);
  fake_homeserver_queue_json (f->server, "GET", THUMBNAIL "bomb?width=640&height=640&method=scale",
                              404, "{\"errcode\":\"M_NOT_FOUND\",\"error\":\"no\"}", TRUE);
  fake_homeserver_queue_json (f->server, "GET", DOWNLOAD "bomb", 404,
                              "{\"errcode\":\"M_NOT_FOUND\",\"error\":\"no\"}", TRUE);
  open_room (f);

  composer = CONFAB_COMPOSER (confab_window_get_composer (f->window));
  uploader = confab_composer_get_uploader (composer);
  confab_composer_send_files (composer, &files);
  g_assert_cmpuint (confab_uploader_get_n_uploads (uploader), ==, 1);
  ui_wait_until (no_uploads, uploader, 10000, "the upload sent");

  requests = fake_homeserver_get_requests (f->server);
  for (guint i = 0; i < requests->len; i++)
    {
      FakeRequest *request = g_ptr_array_index (requests, i);

      if (g_str_equal (request->path, "/_matrix/media/v3/upload"))
        upload = request;
      if (g_str_has_prefix (request->path, "/_matrix/client/v3/rooms/" ROOM "/send/"))
        send = request;
    }
  g_assert_nonnull (upload);
  g_assert_true (g_bytes_equal (upload->body, png));
  g_assert_cmpstr (soup_message_headers_get_content_type (upload->headers, NULL), ==, "image/png");
  g_assert_nonnull (send);
  sent = fake_request_parse_json (send);
  content = json_node_get_object (sent);
  info = json_object_get_object_member (content, "info");
  g_assert_cmpstr (json_object_get_string_member (content, "msgtype"), ==, "m.image");
  g_assert_cmpstr (json_object_get_string_member (content, "url"), ==, "mxc://example.org/beach");
  g_assert_cmpstr (json_object_get_string_member (info, "mimetype"), ==, "image/png");
  g_assert_cmpint (json_object_get_int_member (info, "size"), ==, g_bytes_get_size (png));
  g_assert_cmpint (json_object_get_int_member (info, "w"), ==, 200);
  g_assert_cmpint (json_object_get_int_member (info, "h"), ==, 100);

  g_unlink (path);
  g_rmdir (dir);
}

/* An image larger than 800 × 600 goes with a thumbnail made here: scaled
 * to fit, JPEG, uploaded after the file and named in `info`. */
static void
test_send_large_image_thumbnail (Fixture       *f,
                                 gconstpointer  data)
{
  g_autoptr(GBytes) png = picture_bytes (1600, 1000, "png");
  g_autoptr(GBytes) small = picture_bytes (64, 40, "png");
  g_autofree char *dir = g_dir_make_tmp ("test-confab-media-XXXXXX", NULL);
  g_autofree char *path = g_build_filename (dir, "dunes.png", NULL);
  g_autoptr(GFile) file = g_file_new_for_path (path);
  g_autoptr(JsonNode) sent = NULL;
  g_autoptr(GdkPixbuf) thumbnail = NULL;
  g_autoptr(GInputStream) stream = NULL;
  GSList files = { file, NULL };
  ConfabComposer *composer;
  ConfabUploader *uploader;
  FakeRequest *upload = NULL, *thumbnail_upload = NULL, *send = NULL;
  GPtrArray *requests;
  JsonObject *content, *info, *thumbnail_info;

  g_assert_true (g_file_set_contents (path, g_bytes_get_data (png, NULL), g_bytes_get_size (png), NULL));
  fake_homeserver_queue_json (f->server, "GET", "/_matrix/client/v1/media/config", 200,
                              "{\"m.upload.size\": 100000000}", FALSE);
  fake_homeserver_queue_json (f->server, "POST", "/_matrix/media/v3/upload?filename=dunes.png", 200,
                              "{\"content_uri\": \"mxc://example.org/dunes\"}", FALSE);
  fake_homeserver_queue_json (f->server, "POST",
                              "/_matrix/media/v3/upload?filename=thumbnail.jpg", 200,
                              "{\"content_uri\": \"mxc://example.org/dunes-thumb\"}", FALSE);
  fake_homeserver_queue_json (f->server, "PUT",
                              "/_matrix/client/v3/rooms/" ROOM "/send/m.room.message/*", 200,
                              "{\"event_id\": \"$dunes\"}", FALSE);
  fake_homeserver_queue_bytes (f->server, "GET", THUMBNAIL "*", 200, "image/png", small, TRUE);
  fake_homeserver_queue_json (f->server, "GET", DOWNLOAD "bomb", 404,
                              "{\"errcode\":\"M_NOT_FOUND\",\"error\":\"no\"}", TRUE);
  open_room (f);

  composer = CONFAB_COMPOSER (confab_window_get_composer (f->window));
  uploader = confab_composer_get_uploader (composer);
  confab_composer_send_files (composer, &files);
  ui_wait_until (no_uploads, uploader, 20000, "the upload sent");

  requests = fake_homeserver_get_requests (f->server);
  for (guint i = 0; i < requests->len; i++)
    {
      FakeRequest *request = g_ptr_array_index (requests, i);
      const char *name = g_hash_table_lookup (request->query_params, "filename");

      if (g_str_equal (request->path, "/_matrix/media/v3/upload") && g_strcmp0 (name, "dunes.png") == 0)
        upload = request;
      else if (g_str_equal (request->path, "/_matrix/media/v3/upload"))
        thumbnail_upload = request;
      if (g_str_has_prefix (request->path, "/_matrix/client/v3/rooms/" ROOM "/send/"))
        send = request;
    }
  g_assert_nonnull (upload);
  g_assert_true (g_bytes_equal (upload->body, png));
  g_assert_nonnull (thumbnail_upload);
  g_assert_cmpstr (soup_message_headers_get_content_type (thumbnail_upload->headers, NULL), ==,
                   "image/jpeg");
  stream = g_memory_input_stream_new_from_bytes (thumbnail_upload->body);
  thumbnail = gdk_pixbuf_new_from_stream (stream, NULL, NULL);
  g_assert_nonnull (thumbnail);
  g_assert_cmpint (gdk_pixbuf_get_width (thumbnail), ==, 800);
  g_assert_cmpint (gdk_pixbuf_get_height (thumbnail), ==, 500);

  g_assert_nonnull (send);
  sent = fake_request_parse_json (send);
  content = json_node_get_object (sent);
  info = json_object_get_object_member (content, "info");
  g_assert_cmpint (json_object_get_int_member (info, "w"), ==, 1600);
  g_assert_cmpint (json_object_get_int_member (info, "h"), ==, 1000);
  g_assert_cmpstr (json_object_get_string_member (info, "thumbnail_url"), ==,
                   "mxc://example.org/dunes-thumb");
  thumbnail_info = json_object_get_object_member (info, "thumbnail_info");
  g_assert_cmpstr (json_object_get_string_member (thumbnail_info, "mimetype"), ==, "image/jpeg");
  g_assert_cmpint (json_object_get_int_member (thumbnail_info, "w"), ==, 800);
  g_assert_cmpint (json_object_get_int_member (thumbnail_info, "h"), ==, 500);
  g_assert_cmpint (json_object_get_int_member (thumbnail_info, "size"), ==,
                   g_bytes_get_size (thumbnail_upload->body));

  g_unlink (path);
  g_rmdir (dir);
}

/* A file over the server's m.upload.size is refused before any upload,
 * with the reason shown. */
static void
test_send_too_large (Fixture       *f,
                     gconstpointer  data)
{
  g_autoptr(GBytes) png = picture_bytes (200, 100, "png");
  g_autofree char *dir = g_dir_make_tmp ("test-confab-media-XXXXXX", NULL);
  g_autofree char *path = g_build_filename (dir, "huge.png", NULL);
  g_autoptr(GFile) file = g_file_new_for_path (path);
  GSList files = { file, NULL };
  ConfabComposer *composer;
  ConfabUploader *uploader;

  g_assert_true (g_file_set_contents (path, g_bytes_get_data (png, NULL), g_bytes_get_size (png), NULL));
  fake_homeserver_queue_json (f->server, "GET", "/_matrix/client/v1/media/config", 200,
                              "{\"m.upload.size\": 100}", FALSE);
  fake_homeserver_queue_bytes (f->server, "GET", THUMBNAIL "lake?width=640&height=640&method=scale",
                               200, "image/png", png, TRUE);
  fake_homeserver_queue_bytes (f->server, "GET", THUMBNAIL "stk?width=640&height=640&method=scale",
                               200, "image/png", png, TRUE);
  fake_homeserver_queue_json (f->server, "GET", THUMBNAIL "bomb?width=640&height=640&method=scale",
                              404, "{\"errcode\":\"M_NOT_FOUND\",\"error\":\"no\"}", TRUE);
  fake_homeserver_queue_json (f->server, "GET", DOWNLOAD "bomb", 404,
                              "{\"errcode\":\"M_NOT_FOUND\",\"error\":\"no\"}", TRUE);
  open_room (f);

  composer = CONFAB_COMPOSER (confab_window_get_composer (f->window));
  uploader = confab_composer_get_uploader (composer);
  confab_composer_send_files (composer, &files);
  ui_wait_until (upload_failed, uploader, 10000, "the upload refused");
  g_test_message ("%s", confab_uploader_get_status (uploader, 0));
  g_assert_nonnull (strstr (confab_uploader_get_status (uploader, 0), "100 bytes"));
  g_assert_cmpuint (fake_homeserver_count_requests (f->server, "POST", "/_matrix/media/v3/upload"), ==, 0);

  g_unlink (path);
  g_rmdir (dir);
}

/* With automatic loading off, nothing is fetched until the image is
 * clicked; the Preferences window (app.preferences) shows the setting. */
static void
test_click_to_load (Fixture       *f,
                    gconstpointer  data)
{
  GSettings *settings = confab_media_settings ();
  g_autoptr(GBytes) png = picture_bytes (64, 48, "png");
  g_autoptr(GPtrArray) switches = NULL;
  GtkWindow *preferences;
  ConfabMediaRow *row;
  GList *windows;

  g_assert_nonnull (settings);
  g_settings_set_boolean (settings, "media-auto-load", FALSE);
  open_room (f);
  ui_wait_until ((UiTestPredicate) row_in_state, &(RowState) { f, "lake.png", "placeholder" }, 10000,
                 "the image waiting for a click");
  iterate_for (200);
  g_assert_cmpuint (fake_homeserver_count_requests (f->server, "GET", THUMBNAIL "lake"), ==, 0);
  /* Waiting, it shows its blurhash: 32 × 24 pixels of the image's colours
   * (the hash's average is (151, 150, 149)), scaled up to 320 × 240. */
  {
    g_autoptr(GPtrArray) pictures = ui_find_widgets (GTK_WIDGET (media_row (f, "lake.png")),
                                                     GTK_TYPE_PICTURE);
    GdkPaintable *blur;

    g_assert_cmpuint (pictures->len, ==, 1);
    blur = gtk_picture_get_paintable (g_ptr_array_index (pictures, 0));
    g_assert_true (GDK_IS_TEXTURE (blur));
    g_assert_cmpint (gdk_texture_get_width (GDK_TEXTURE (blur)), ==, 32);
    g_assert_cmpint (gdk_texture_get_height (GDK_TEXTURE (blur)), ==, 24);
    g_assert_cmpint (gtk_widget_get_width (g_ptr_array_index (pictures, 0)), ==, 320);
    ui_wait_frames (GTK_WIDGET (f->window), 2);
    g_free (ui_save_png (GTK_WIDGET (f->window), "media-blurhash.png"));
  }

  fake_homeserver_queue_bytes (f->server, "GET", THUMBNAIL "lake?width=640&height=640&method=scale",
                               200, "image/png", png, FALSE);
  row = media_row (f, "lake.png");
  g_assert_null (confab_media_row_activate (row));
  ui_wait_until ((UiTestPredicate) row_in_state, &(RowState) { f, "lake.png", "image" }, 10000,
                 "the image loaded on click");

  g_action_group_activate_action (G_ACTION_GROUP (app), "preferences", NULL);
  windows = gtk_window_list_toplevels ();
  preferences = NULL;
  for (GList *l = windows; l != NULL; l = l->next)
    if (ADW_IS_PREFERENCES_WINDOW (l->data))
      preferences = l->data;
  g_list_free (windows);
  g_assert_nonnull (preferences);
  switches = ui_find_widgets (GTK_WIDGET (preferences), GTK_TYPE_SWITCH);
  g_assert_cmpuint (switches->len, ==, 1);
  g_assert_false (gtk_switch_get_active (g_ptr_array_index (switches, 0)));
  gtk_switch_set_active (g_ptr_array_index (switches, 0), TRUE);
  g_assert_true (g_settings_get_boolean (settings, "media-auto-load"));
  gtk_window_destroy (preferences);
}

static void
remove_tree (const char *path)
{
  g_autoptr(GDir) dir = g_dir_open (path, 0, NULL);
  const char *name;

  while (dir != NULL && (name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *child = g_build_filename (path, name, NULL);

      if (g_file_test (child, G_FILE_TEST_IS_DIR) && !g_file_test (child, G_FILE_TEST_IS_SYMLINK))
        remove_tree (child);
      else
        g_unlink (child);
    }
  g_rmdir (path);
}

int
main (int   argc,
      char *argv[])
{
  int status;

  cache_home = g_dir_make_tmp ("test-confab-media-cache-XXXXXX", NULL);
  g_setenv ("XDG_CACHE_HOME", cache_home, TRUE);

  ui_test_init (&argc, &argv);
  app = G_APPLICATION (ui_test_get_application ());

  g_test_add_func ("/confab/media/decode/decompression-bomb-refused", test_decode_bomb);
  g_test_add_func ("/confab/media/decode/huge-png-header-refused", test_decode_huge_header);
  g_test_add_func ("/confab/media/decode/huge-jpeg-refused-by-loader", test_decode_huge_jpeg);
  g_test_add_func ("/confab/media/decode/truncated-refused", test_decode_truncated);
  g_test_add_func ("/confab/media/decode/sniffed-not-trusted", test_decode_wrong_type);
  g_test_add ("/confab/media/timeline/image-file-and-refused-bomb", Fixture, NULL,
              fixture_setup, test_timeline_media, fixture_teardown);

  g_test_add ("/confab/media/timeline/click-to-load-setting", Fixture, NULL,
              fixture_setup, test_click_to_load, fixture_teardown);
  g_test_add ("/confab/media/send/large-image-with-made-thumbnail", Fixture, NULL,
              fixture_setup, test_send_large_image_thumbnail, fixture_teardown);
  g_test_add ("/confab/media/send/dropped-image-with-info", Fixture, NULL,
              fixture_setup, test_send_dropped_image, fixture_teardown);
  g_test_add ("/confab/media/send/over-server-limit-refused", Fixture, NULL,
              fixture_setup, test_send_too_large, fixture_teardown);

  status = g_test_run ();
  remove_tree (cache_home);
  g_free (cache_home);
  return status;
}
