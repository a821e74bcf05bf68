/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "test-confab-media-encrypted"

/* Encrypted media (`file`: an EncryptedFile) in the timeline as a user sees
 * it: the real application against the fake homeserver, which serves only
 * ciphertext. An image is decrypted and shown like any other; one whose
 * ciphertext does not match its hash shows nothing but the failure. */

#include <glib/gstdio.h>
#include <gdk-pixbuf/gdk-pixbuf.h>

#include "confab-media-row.h"
#include "confab-session.h"
#include "confab-window.h"
#include "matrix-crypto-capi.h"
#include "matrix-json-private.h"
#include "test-utils.h"
#include "ui-test-utils.h"
#include "ui-timeline-utils.h"

#define SYNC "/_matrix/client/v3/sync"
#define USER "@alice:example.org"
#define ROOM "!secret:example.org"
#define DOWNLOAD "/_matrix/client/v1/media/download/example.org/"

static GApplication *app;
static char *cache_home;

typedef struct {
  FakeHomeserver *server;
  ConfabWindow   *window;
  MatrixStore    *store;
} Fixture;

static void
fixture_setup (Fixture       *f,
               gconstpointer  data)
{
  g_autofree char *session_path = confab_session_get_path ();
  g_autofree char *dir = confab_session_get_store_dir (USER);
  g_autofree char *token_path = g_build_filename (dir, "session-token", NULL);
  g_autofree char *contents = NULL;

  ui_test_clear_data_home ();
  f->server = fake_homeserver_new ();
  fake_homeserver_queue_json (f->server, "POST", "/_matrix/client/v3/rooms/" ROOM "/read_markers",
                              200, "{}", TRUE);
  fake_homeserver_queue_json (f->server, "GET", "/_matrix/client/versions", 200,
                              "{\"versions\": [\"v1.11\"]}", FALSE);
  contents = g_strdup_printf ("[Session]\nhomeserver=%s\nuser_id=" USER "\ndevice_id=DEV1\n",
                              fake_homeserver_get_url (f->server));
  g_assert_cmpint (g_mkdir_with_parents (dir, 0700), ==, 0);
  g_assert_true (g_file_set_contents (session_path, contents, -1, NULL));
  g_assert_true (g_file_set_contents (token_path, "tok", -1, NULL));
  g_assert_cmpint (g_chmod (token_path, 0600), ==, 0);
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

static GBytes *
png_bytes (int width,
           int height)
{
  g_autoptr(GdkPixbuf) pixbuf = gdk_pixbuf_new (GDK_COLORSPACE_RGB, FALSE, 8, width, height);
  gchar *buffer = NULL;
  gsize size;

  gdk_pixbuf_fill (pixbuf, 0x3366aaff);
  g_assert_true (gdk_pixbuf_save_to_buffer (pixbuf, &buffer, &size, "png", NULL, NULL));
  return g_bytes_new_take (buffer, size);
}

/* Encrypts @plaintext as a sender would: the ciphertext in @ciphertext, the
 * EncryptedFile (with @url) returned as JSON. */
static char *
encrypt (GBytes     *plaintext,
         const char *url,
         GBytes    **ciphertext)
{
  g_autofree char *dir = g_dir_make_tmp ("test-confab-media-encrypted-XXXXXX", NULL);
  g_autofree char *in = g_build_filename (dir, "in", NULL);
  g_autofree char *out = g_build_filename (dir, "out", NULL);
  g_autoptr(JsonObject) file = NULL;
  g_autoptr(GString) text = g_string_new (NULL);
  char *json = NULL, *message = NULL, *contents = NULL;
  gsize length;

  g_assert_true (g_file_set_contents (in, g_bytes_get_data (plaintext, NULL),
                                      g_bytes_get_size (plaintext), NULL));
  g_assert_cmpint (mxc_attachment_encrypt_file (in, out, &json, &message), ==, MXC_OK);
  g_assert_true (g_file_get_contents (out, &contents, &length, NULL));
  *ciphertext = g_bytes_new_take (contents, length);
  file = _matrix_json_parse_object (json, -1, NULL);
  json_object_set_string_member (file, "url", url);
  _matrix_json_append_object (text, file);
  mxc_string_free (json);
  g_unlink (in);
  g_unlink (out);
  g_rmdir (dir);
  return g_strdup (text->str);
}

static ConfabMediaRow *
media_row (Fixture    *f,
           const char *body)
{
  g_autoptr(GPtrArray) rows = ui_find_widgets (GTK_WIDGET (f->window), CONFAB_TYPE_MEDIA_ROW);

  for (guint i = 0; i < rows->len; i++)
    {
      ConfabMediaRow *row = g_ptr_array_index (rows, i);
      g_autoptr(GPtrArray) pictures = ui_find_widgets (GTK_WIDGET (row), GTK_TYPE_PICTURE);

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
room_listed (gpointer data)
{
  MatrixRoomStateTracker *tracker = confab_window_get_tracker (((Fixture *) data)->window);

  return tracker != NULL && matrix_room_state_tracker_get_room (tracker, ROOM) != NULL;
}

static void
test_encrypted_image (Fixture       *f,
                      gconstpointer  data)
{
  g_autoptr(GBytes) image = png_bytes (400, 300);
  g_autoptr(GBytes) ciphertext = NULL, forged_ciphertext = NULL, tampered = NULL;
  g_autofree char *file = encrypt (image, "mxc://example.org/elake", &ciphertext);
  g_autofree char *forged = encrypt (image, "mxc://example.org/forged", &forged_ciphertext);
  g_autofree char *sync = NULL;
  guint8 *bytes;
  gsize size;
  int width, height;

  bytes = g_bytes_unref_to_data (g_steal_pointer (&forged_ciphertext), &size);
  bytes[size - 1] ^= 0x80;
  tampered = g_bytes_new_take (bytes, size);

  sync = g_strdup_printf (
    "{\"next_batch\":\"s1\",\"rooms\":{\"join\":{\"" ROOM "\":{\"state\":{\"events\":[]},"
    "\"timeline\":{\"limited\":false,\"events\":["
    "{\"type\":\"m.room.create\",\"state_key\":\"\",\"sender\":\"@bob:example.org\",\"event_id\":\"$c\","
    " \"origin_server_ts\":1700000000000,\"content\":{\"creator\":\"@bob:example.org\"}},"
    "{\"type\":\"m.room.member\",\"state_key\":\"" USER "\",\"sender\":\"" USER "\","
    " \"event_id\":\"$ma\",\"origin_server_ts\":1700000000000,\"content\":{\"membership\":\"join\"}},"
    "{\"type\":\"m.room.name\",\"state_key\":\"\",\"sender\":\"@bob:example.org\",\"event_id\":\"$n\","
    " \"origin_server_ts\":1700000000000,\"content\":{\"name\":\"Secret\"}},"
    "{\"type\":\"m.room.message\",\"sender\":\"@bob:example.org\",\"event_id\":\"$img\","
    " \"origin_server_ts\":1700000120000,\"content\":{\"msgtype\":\"m.image\",\"body\":\"elake.png\","
    "  \"file\":%s,\"info\":{\"mimetype\":\"image/png\",\"w\":400,\"h\":300}}},"
    "{\"type\":\"m.room.message\",\"sender\":\"@bob:example.org\",\"event_id\":\"$forged\","
    " \"origin_server_ts\":1700000180000,\"content\":{\"msgtype\":\"m.image\",\"body\":\"forged.png\","
    "  \"file\":%s,\"info\":{\"mimetype\":\"image/png\",\"w\":400,\"h\":300}}}"
    "]}}}}}", file, forged);

  /* No thumbnail is asked for (the server cannot see the image): the
   * ciphertext of the file itself is fetched, and nothing else. */
  fake_homeserver_queue_bytes (f->server, "GET", DOWNLOAD "elake", 200, "application/octet-stream",
                               ciphertext, FALSE);
  fake_homeserver_queue_bytes (f->server, "GET", DOWNLOAD "forged", 200,
                               "application/octet-stream", tampered, FALSE);
  fake_homeserver_queue_json (f->server, "GET", SYNC "?timeout=30000", 200, sync, FALSE);
  fake_homeserver_queue_held (f->server, "GET", SYNC "?since=s1&timeout=30000", 200,
                              "application/json", "{\"next_batch\":\"s1\"}");

  g_application_activate (app);
  f->window = CONFAB_WINDOW (gtk_application_get_active_window (GTK_APPLICATION (app)));
  gtk_window_set_default_size (GTK_WINDOW (f->window), 900, 1000);
  ui_wait_until (room_listed, f, 5000, "the room of the first sync");
  ui_wait_frames (GTK_WIDGET (f->window), 2);
  ui_click_room (f->window, "Secret");

  ui_wait_until ((UiTestPredicate) row_in_state, &(RowState) { f, "elake.png", "image" }, 10000,
                 "the decrypted image shown");
  confab_media_row_get_display_size (media_row (f, "elake.png"), &width, &height);
  g_assert_cmpint (width, ==, 320);
  g_assert_cmpint (height, ==, 240);

  ui_wait_until ((UiTestPredicate) row_in_state, &(RowState) { f, "forged.png", "failed" }, 10000,
                 "the forged image refused");
  g_assert_cmpuint (fake_homeserver_count_requests (f->server, "GET", DOWNLOAD "elake"), ==, 1);
  g_assert_cmpuint (fake_homeserver_count_requests (f->server, "GET", DOWNLOAD "forged"), ==, 1);
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

  cache_home = g_dir_make_tmp ("test-confab-media-encrypted-cache-XXXXXX", NULL);
  g_setenv ("XDG_CACHE_HOME", cache_home, TRUE);

  ui_test_init (&argc, &argv);
  app = G_APPLICATION (ui_test_get_application ());

  g_test_add ("/confab/media/encrypted/image-decrypted-forged-refused", Fixture, NULL,
              fixture_setup, test_encrypted_image, fixture_teardown);

  status = g_test_run ();
  remove_tree (cache_home);
  g_free (cache_home);
  return status;
}
