/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "confab-uploader"

#include "config.h"

#include <glib/gi18n.h>
#include <glib/gstdio.h>
#include <gdk-pixbuf/gdk-pixbuf.h>

#include "confab-media-loader.h"
#include "confab-uploader.h"

/**
 * ConfabUploader:
 *
 * Files being sent to a room, above the composer: one line each with its
 * progress and Cancel; a failed one says why and offers Retry.
 *
 * An image larger than %THUMBNAIL_WIDTH × %THUMBNAIL_HEIGHT also gets a
 * thumbnail made here (scaled while decoding, turned upright, JPEG, or PNG
 * when it has transparency, off the main thread), uploaded after it
 * (encrypted too in an encrypted room) and named in `info`, so that other
 * clients need not fetch the whole file to show it.
 *
 * A file goes out as `m.image` (with its `w` and `h`, read from its header
 * off the main thread), `m.video`, `m.audio` or `m.file` by its type,
 * after the server's `m.upload.size` was checked: a larger file is refused
 * with that size, before anything is sent.
 */
/* The size a thumbnail fits in, as other clients make them. */
#define THUMBNAIL_WIDTH  800
#define THUMBNAIL_HEIGHT 600
/* Past this many pixels an image is not decoded for a thumbnail (it is
 * still sent): the memory of one decode stays bounded. */
#define THUMBNAIL_MAX_SOURCE_PIXELS (100 * 1000 * 1000)

struct _ConfabUploader
{
  GtkWidget   parent_instance;

  GtkWidget  *box;
  MatrixRoom *room;
  GPtrArray  *uploads;   /* Upload*, shown, oldest first */
};

G_DEFINE_FINAL_TYPE (ConfabUploader, confab_uploader, GTK_TYPE_WIDGET)

typedef struct {
  ConfabUploader *self;      /* weak: cleared when the uploader goes */
  MatrixRoom     *room;
  GFile          *file;
  GCancellable   *cancellable;
  char           *name;
  char           *content_type;
  goffset         size;
  guint           width;
  guint           height;
  /* The thumbnail made for a large image, a temporary file. */
  char           *thumbnail_path;
  const char     *thumbnail_type;
  guint           thumbnail_width;
  guint           thumbnail_height;
  goffset         thumbnail_size;
  MatrixMediaInfo *info;     /* the file's, while its thumbnail uploads */
  GtkWidget      *row;
  GtkWidget      *status;
  GtkWidget      *progress;
  GtkWidget      *cancel_button;
  GtkWidget      *retry_button;
} Upload;

static void
forget_thumbnail (Upload *upload)
{
  if (upload->thumbnail_path != NULL)
    g_unlink (upload->thumbnail_path);
  g_clear_pointer (&upload->thumbnail_path, g_free);
  g_clear_object (&upload->info);
}

static void
upload_clear (Upload *upload)
{
  forget_thumbnail (upload);
  g_clear_object (&upload->room);
  g_clear_object (&upload->file);
  g_clear_object (&upload->cancellable);
  g_free (upload->name);
  g_free (upload->content_type);
}

static void
upload_unref (gpointer data)
{
  g_rc_box_release_full (data, (GDestroyNotify) upload_clear);
}

/* The upload ended or was cancelled: its line goes. */
static void
upload_remove (Upload *upload)
{
  ConfabUploader *self = upload->self;

  if (self == NULL)
    return;
  gtk_box_remove (GTK_BOX (self->box), upload->row);
  upload->self = NULL;
  g_ptr_array_remove (self->uploads, upload);
}

static void
upload_fail (Upload     *upload,
             const char *message)
{
  if (upload->self == NULL)
    return;
  gtk_label_set_text (GTK_LABEL (upload->status), message);
  gtk_widget_set_visible (upload->progress, FALSE);
  gtk_widget_set_visible (upload->retry_button, TRUE);
}

static void
upload_fail_with (Upload       *upload,
                  const GError *error)
{
  g_autofree char *message = NULL;

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  if (g_error_matches (error, MATRIX_ERROR, MATRIX_ERROR_TOO_LARGE))
    message = g_strdup_printf (_("%s is too large for this server"), upload->name);
  else
    message = g_strdup_printf (_("%s could not be sent: %s"), upload->name, error->message);
  upload_fail (upload, message);
}

static void
on_event_sent (GObject      *source,
               GAsyncResult *result,
               gpointer      user_data)
{
  Upload *upload = user_data;
  g_autoptr(GError) error = NULL;
  g_autofree char *event_id = matrix_timeline_send_finish (MATRIX_TIMELINE (source), result, &error);

  /* A failed send stays in the timeline with its own Retry. */
  if (event_id == NULL)
    g_debug ("Could not send %s: %s", upload->name, error->message);
  upload_remove (upload);
  upload_unref (upload);
}

static const char *
msgtype_for (const char *content_type)
{
  if (g_content_type_is_a (content_type, "image/svg+xml"))
    return "m.file";
  if (g_str_has_prefix (content_type, "image/"))
    return "m.image";
  if (g_str_has_prefix (content_type, "video/"))
    return "m.video";
  if (g_str_has_prefix (content_type, "audio/"))
    return "m.audio";
  return "m.file";
}

static void
send_media (Upload          *upload,
            MatrixMediaInfo *info)
{
  const char *msgtype = msgtype_for (upload->content_type);

  matrix_media_info_set_mimetype (info, upload->content_type);
  matrix_media_info_set_size (info, upload->size);
  if (g_str_equal (msgtype, "m.image"))
    matrix_media_info_set_dimensions (info, upload->width, upload->height);
  matrix_timeline_send_media_async (matrix_room_get_timeline (upload->room), info, NULL,
                                    on_event_sent, upload);
}

/* The thumbnail is uploaded (or not: the image goes without one). */
static void
on_thumbnail_uploaded (GObject      *source,
                       GAsyncResult *result,
                       gpointer      user_data)
{
  Upload *upload = user_data;
  g_autoptr(MatrixMediaInfo) info = g_steal_pointer (&upload->info);
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonObject) encrypted_file = NULL;
  g_autofree char *mxc = NULL;

  if (matrix_media_info_get_encrypted_file (info) != NULL)
    {
      encrypted_file = matrix_media_upload_encrypted_finish (MATRIX_MEDIA (source), result, &error);
      if (encrypted_file != NULL)
        mxc = g_strdup (json_object_get_string_member (encrypted_file, "url"));
    }
  else
    mxc = matrix_media_upload_finish (MATRIX_MEDIA (source), result, &error);

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    {
      upload_unref (upload);
      return;
    }
  if (mxc == NULL)
    g_debug ("%s goes without its thumbnail: %s", upload->name, error->message);
  else
    {
      matrix_media_info_set_thumbnail (info, mxc, upload->thumbnail_type, upload->thumbnail_size,
                                       upload->thumbnail_width, upload->thumbnail_height);
      if (encrypted_file != NULL)
        matrix_media_info_set_thumbnail_encrypted_file (info, encrypted_file);
    }
  forget_thumbnail (upload);
  send_media (upload, info);
}

static void
send_media_with_thumbnail (Upload          *upload,
                           MatrixMediaInfo *info)
{
  MatrixMedia *media;
  g_autoptr(GFile) file = NULL;

  if (upload->thumbnail_path == NULL)
    {
      send_media (upload, info);
      return;
    }

  media = confab_media_loader_get_media (confab_media_loader_for_client (matrix_room_get_client (upload->room)));
  file = g_file_new_for_path (upload->thumbnail_path);
  g_set_object (&upload->info, info);
  /* Encrypted like the file it shows. */
  if (matrix_media_info_get_encrypted_file (info) != NULL)
    matrix_media_upload_encrypted_async (media, file, upload->cancellable, NULL, NULL,
                                         on_thumbnail_uploaded, upload);
  else
    {
      const char *name = g_str_equal (upload->thumbnail_type, "image/png") ? "thumbnail.png"
                                                                            : "thumbnail.jpg";

      matrix_media_upload_async (media, file, upload->thumbnail_type, name, upload->cancellable,
                                 NULL, NULL, on_thumbnail_uploaded, upload);
    }
}

static void
on_uploaded (GObject      *source,
             GAsyncResult *result,
             gpointer      user_data)
{
  Upload *upload = user_data;
  g_autoptr(MatrixMediaInfo) info = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *mxc = NULL;

  mxc = matrix_media_upload_finish (MATRIX_MEDIA (source), result, &error);
  if (mxc == NULL)
    {
      upload_fail_with (upload, error);
      upload_unref (upload);
      return;
    }
  info = matrix_media_info_new (msgtype_for (upload->content_type), upload->name, mxc);
  send_media_with_thumbnail (upload, info);
}

/* Only the ciphertext went to the server; the key goes in the encrypted
 * event. */
static void
on_uploaded_encrypted (GObject      *source,
                       GAsyncResult *result,
                       gpointer      user_data)
{
  Upload *upload = user_data;
  g_autoptr(MatrixMediaInfo) info = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonObject) encrypted_file = NULL;

  encrypted_file = matrix_media_upload_encrypted_finish (MATRIX_MEDIA (source), result, &error);
  if (encrypted_file == NULL)
    {
      upload_fail_with (upload, error);
      upload_unref (upload);
      return;
    }
  info = matrix_media_info_new_encrypted (msgtype_for (upload->content_type), upload->name,
                                          encrypted_file);
  send_media_with_thumbnail (upload, info);
}

static void
on_progress (goffset  current,
             goffset  total,
             gpointer user_data)
{
  Upload *upload = user_data;

  if (upload->self != NULL && total > 0)
    gtk_progress_bar_set_fraction (GTK_PROGRESS_BAR (upload->progress), (double) current / total);
}

static void
on_limit (GObject      *source,
          GAsyncResult *result,
          gpointer      user_data)
{
  Upload *upload = user_data;
  g_autoptr(GError) error = NULL;
  guint64 limit = 0;

  if (!matrix_media_get_upload_limit_finish (MATRIX_MEDIA (source), result, &limit, &error))
    g_debug ("No upload limit known: %s", error->message);

  if (g_cancellable_is_cancelled (upload->cancellable))
    {
      upload_unref (upload);
      return;
    }
  if (limit > 0 && (guint64) upload->size > limit)
    {
      g_autofree char *size = g_format_size (limit);
      g_autofree char *message =
        g_strdup_printf (_("%s is too large: this server accepts files of up to %s"),
                         upload->name, size);

      upload_fail (upload, message);
      gtk_widget_set_visible (upload->retry_button, FALSE);
      upload_unref (upload);
      return;
    }

  /* Decided as late as possible: a room that became encrypted meanwhile
   * gets no plaintext. */
  if (matrix_room_get_encrypted (upload->room))
    matrix_media_upload_encrypted_async (MATRIX_MEDIA (source), upload->file, upload->cancellable,
                                         on_progress, upload, on_uploaded_encrypted, upload);
  else
    matrix_media_upload_async (MATRIX_MEDIA (source), upload->file, upload->content_type,
                               upload->name, upload->cancellable, on_progress, upload,
                               on_uploaded, upload);
}

/* In a worker thread: the thumbnail of the image at @path, in a temporary
 * file; none when the image does not decode. */
static void
make_thumbnail (Upload     *upload,
                const char *path)
{
  g_autoptr(GdkPixbuf) scaled = NULL;
  g_autoptr(GdkPixbuf) upright = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *thumbnail_path = NULL;
  gboolean alpha;
  GStatBuf buf;
  int fd;

  scaled = gdk_pixbuf_new_from_file_at_scale (path, THUMBNAIL_WIDTH, THUMBNAIL_HEIGHT, TRUE, &error);
  if (scaled == NULL)
    {
      g_debug ("No thumbnail of %s: %s", upload->name, error->message);
      return;
    }
  upright = gdk_pixbuf_apply_embedded_orientation (scaled);
  alpha = gdk_pixbuf_get_has_alpha (upright);
  fd = g_file_open_tmp (alpha ? "confab-thumbnail-XXXXXX.png" : "confab-thumbnail-XXXXXX.jpg",
                        &thumbnail_path, &error);
  if (fd < 0)
    {
      g_debug ("No thumbnail of %s: %s", upload->name, error->message);
      return;
    }
  g_close (fd, NULL);
  if (!(alpha ? gdk_pixbuf_save (upright, thumbnail_path, "png", &error, NULL)
              : gdk_pixbuf_save (upright, thumbnail_path, "jpeg", &error, "quality", "80", NULL)) ||
      g_stat (thumbnail_path, &buf) != 0)
    {
      g_debug ("No thumbnail of %s: %s", upload->name,
               error != NULL ? error->message : "no size");
      g_unlink (thumbnail_path);
      return;
    }
  upload->thumbnail_path = g_steal_pointer (&thumbnail_path);
  upload->thumbnail_type = alpha ? "image/png" : "image/jpeg";
  upload->thumbnail_width = (guint) gdk_pixbuf_get_width (upright);
  upload->thumbnail_height = (guint) gdk_pixbuf_get_height (upright);
  upload->thumbnail_size = buf.st_size;
}

static void
measure_in_thread (GTask        *task,
                   gpointer      source,
                   gpointer      task_data,
                   GCancellable *cancellable)
{
  Upload *upload = task_data;
  g_autofree char *path = g_file_get_path (upload->file);
  int width = 0, height = 0;

  if (path != NULL && gdk_pixbuf_get_file_info (path, &width, &height) != NULL)
    {
      upload->width = (guint) MAX (width, 0);
      upload->height = (guint) MAX (height, 0);
    }
  if (path != NULL &&
      (upload->width > THUMBNAIL_WIDTH || upload->height > THUMBNAIL_HEIGHT) &&
      (guint64) upload->width * upload->height <= THUMBNAIL_MAX_SOURCE_PIXELS &&
      !g_cancellable_is_cancelled (cancellable))
    make_thumbnail (upload, path);
  g_task_return_boolean (task, TRUE);
}

static void
on_measured (GObject      *source,
             GAsyncResult *result,
             gpointer      user_data)
{
  Upload *upload = user_data;
  MatrixMedia *media;

  if (g_cancellable_is_cancelled (upload->cancellable))
    {
      upload_unref (upload);
      return;
    }
  media = confab_media_loader_get_media (confab_media_loader_for_client (matrix_room_get_client (upload->room)));
  matrix_media_get_upload_limit_async (media, upload->cancellable, on_limit, upload);
}

static void
on_info (GObject      *source,
         GAsyncResult *result,
         gpointer      user_data)
{
  Upload *upload = user_data;
  g_autoptr(GFileInfo) info = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GTask) task = NULL;
  const char *content_type;

  info = g_file_query_info_finish (G_FILE (source), result, &error);
  if (info == NULL)
    {
      upload_fail_with (upload, error);
      upload_unref (upload);
      return;
    }

  content_type = g_file_info_get_content_type (info);
  g_free (upload->content_type);
  upload->content_type = g_content_type_get_mime_type (content_type ? content_type
                                                                    : "application/octet-stream");
  if (upload->content_type == NULL)
    upload->content_type = g_strdup ("application/octet-stream");
  upload->size = g_file_info_get_size (info);

  task = g_task_new (NULL, upload->cancellable, on_measured, upload);
  g_task_set_task_data (task, upload, NULL);
  if (g_str_equal (msgtype_for (upload->content_type), "m.image"))
    g_task_run_in_thread (task, measure_in_thread);
  else
    g_task_return_boolean (task, TRUE);
}

static void
upload_start (Upload *upload)
{
  if (matrix_room_get_encrypted (upload->room) &&
      !matrix_client_get_encryption_enabled (matrix_room_get_client (upload->room)))
    {
      upload_fail (upload, _("This room is encrypted, and this session has no encryption keys"));
      gtk_widget_set_visible (upload->retry_button, FALSE);
      return;
    }

  forget_thumbnail (upload);
  g_clear_object (&upload->cancellable);
  upload->cancellable = g_cancellable_new ();
  gtk_label_set_text (GTK_LABEL (upload->status), upload->name);
  gtk_progress_bar_set_fraction (GTK_PROGRESS_BAR (upload->progress), 0);
  gtk_widget_set_visible (upload->progress, TRUE);
  gtk_widget_set_visible (upload->retry_button, FALSE);
  g_file_query_info_async (upload->file,
                           G_FILE_ATTRIBUTE_STANDARD_CONTENT_TYPE "," G_FILE_ATTRIBUTE_STANDARD_SIZE,
                           G_FILE_QUERY_INFO_NONE, G_PRIORITY_DEFAULT, upload->cancellable, on_info,
                           g_rc_box_acquire (upload));
}

static void
on_cancel_clicked (GtkButton *button,
                   Upload    *upload)
{
  g_cancellable_cancel (upload->cancellable);
  upload_remove (upload);
}

static void
on_retry_clicked (GtkButton *button,
                  Upload    *upload)
{
  upload_start (upload);
}

/**
 * confab_uploader_send_file:
 * @self: a #ConfabUploader
 * @file: a file the user chose, dropped or pasted
 *
 * Uploads @file and sends it to the uploader's room.
 */
void
confab_uploader_send_file (ConfabUploader *self,
                           GFile          *file)
{
  Upload *upload;
  GtkWidget *texts;

  g_return_if_fail (CONFAB_IS_UPLOADER (self));
  g_return_if_fail (G_IS_FILE (file));

  /* In an encrypted room only ciphertext is uploaded (see on_limit). */
  if (self->room == NULL)
    return;

  upload = g_rc_box_new0 (Upload);
  upload->self = self;
  upload->room = g_object_ref (self->room);
  upload->file = g_object_ref (file);
  upload->name = g_file_get_basename (file);
  if (upload->name == NULL)
    upload->name = g_strdup (_("file"));

  upload->row = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 6);
  texts = gtk_box_new (GTK_ORIENTATION_VERTICAL, 4);
  gtk_widget_set_hexpand (texts, TRUE);
  gtk_widget_set_valign (texts, GTK_ALIGN_CENTER);
  upload->status = gtk_label_new (NULL);
  gtk_label_set_xalign (GTK_LABEL (upload->status), 0);
  gtk_label_set_wrap (GTK_LABEL (upload->status), TRUE);
  gtk_widget_add_css_class (upload->status, "caption");
  upload->progress = gtk_progress_bar_new ();
  gtk_box_append (GTK_BOX (texts), upload->status);
  gtk_box_append (GTK_BOX (texts), upload->progress);
  gtk_box_append (GTK_BOX (upload->row), texts);
  upload->retry_button = gtk_button_new_with_mnemonic (_("_Retry"));
  gtk_widget_set_valign (upload->retry_button, GTK_ALIGN_CENTER);
  g_signal_connect (upload->retry_button, "clicked", G_CALLBACK (on_retry_clicked), upload);
  gtk_box_append (GTK_BOX (upload->row), upload->retry_button);
  upload->cancel_button = gtk_button_new_from_icon_name ("window-close-symbolic");
  gtk_widget_set_tooltip_text (upload->cancel_button, _("Cancel"));
  gtk_widget_add_css_class (upload->cancel_button, "flat");
  gtk_widget_set_valign (upload->cancel_button, GTK_ALIGN_CENTER);
  g_signal_connect (upload->cancel_button, "clicked", G_CALLBACK (on_cancel_clicked), upload);
  gtk_box_append (GTK_BOX (upload->row), upload->cancel_button);
  gtk_box_append (GTK_BOX (self->box), upload->row);

  g_ptr_array_add (self->uploads, upload);
  upload_start (upload);
}

static void
on_texture_saved (GObject      *source,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  g_autoptr(ConfabUploader) self = user_data;
  g_autoptr(GFile) file = NULL;
  g_autoptr(GError) error = NULL;

  file = g_task_propagate_pointer (G_TASK (result), &error);
  if (file == NULL)
    g_debug ("Could not keep the pasted image: %s", error->message);
  else
    confab_uploader_send_file (self, file);
}

static void
save_texture_in_thread (GTask        *task,
                        gpointer      source,
                        gpointer      task_data,
                        GCancellable *cancellable)
{
  g_autoptr(GBytes) png = gdk_texture_save_to_png_bytes (task_data);
  g_autofree char *dir = g_dir_make_tmp ("confab-paste-XXXXXX", NULL);
  g_autofree char *name = g_strdup_printf ("%s.png", _("Pasted image"));
  g_autofree char *path = NULL;
  GError *error = NULL;

  if (dir == NULL)
    {
      g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_FAILED, "No temporary folder");
      return;
    }
  path = g_build_filename (dir, name, NULL);
  if (!g_file_set_contents (path, g_bytes_get_data (png, NULL), g_bytes_get_size (png), &error))
    {
      g_task_return_error (task, error);
      return;
    }
  g_task_return_pointer (task, g_file_new_for_path (path), g_object_unref);
}

/**
 * confab_uploader_send_texture:
 * @self: a #ConfabUploader
 * @texture: an image pasted from the clipboard
 *
 * Sends @texture as a PNG image.
 */
void
confab_uploader_send_texture (ConfabUploader *self,
                              GdkTexture     *texture)
{
  g_autoptr(GTask) task = g_task_new (NULL, NULL, on_texture_saved, g_object_ref (self));

  g_task_set_task_data (task, g_object_ref (texture), g_object_unref);
  g_task_run_in_thread (task, save_texture_in_thread);
}

static void
on_files_chosen (GtkNativeDialog *dialog,
                 int              response,
                 gpointer         user_data)
{
  g_autoptr(ConfabUploader) self = user_data;

  if (response == GTK_RESPONSE_ACCEPT)
    {
      g_autoptr(GListModel) files = gtk_file_chooser_get_files (GTK_FILE_CHOOSER (dialog));

      for (guint i = 0; i < g_list_model_get_n_items (files); i++)
        {
          g_autoptr(GFile) file = g_list_model_get_item (files, i);

          confab_uploader_send_file (self, file);
        }
    }
  gtk_native_dialog_destroy (dialog);
  g_object_unref (dialog);
}

/**
 * confab_uploader_choose_files:
 * @self: a #ConfabUploader
 *
 * Asks the user for files to send (through the portal where there is one).
 */
void
confab_uploader_choose_files (ConfabUploader *self)
{
  GtkRoot *root = gtk_widget_get_root (GTK_WIDGET (self));
  GtkFileChooserNative *dialog;

  dialog = gtk_file_chooser_native_new (_("Send Files"), GTK_IS_WINDOW (root) ? GTK_WINDOW (root) : NULL,
                                        GTK_FILE_CHOOSER_ACTION_OPEN, _("_Send"), _("_Cancel"));
  gtk_native_dialog_set_modal (GTK_NATIVE_DIALOG (dialog), TRUE);
  gtk_file_chooser_set_select_multiple (GTK_FILE_CHOOSER (dialog), TRUE);
  g_signal_connect (dialog, "response", G_CALLBACK (on_files_chosen), g_object_ref (self));
  gtk_native_dialog_show (GTK_NATIVE_DIALOG (dialog));
}

void
confab_uploader_set_room (ConfabUploader *self,
                          MatrixRoom     *room)
{
  g_return_if_fail (CONFAB_IS_UPLOADER (self));

  /* Uploads already started go on to their room. */
  g_set_object (&self->room, room);
}

guint
confab_uploader_get_n_uploads (ConfabUploader *self)
{
  return self->uploads->len;
}

const char *
confab_uploader_get_status (ConfabUploader *self,
                            guint           index)
{
  Upload *upload = g_ptr_array_index (self->uploads, index);

  return gtk_label_get_text (GTK_LABEL (upload->status));
}

GtkWidget *
confab_uploader_new (void)
{
  return g_object_new (CONFAB_TYPE_UPLOADER, NULL);
}

static void
confab_uploader_dispose (GObject *object)
{
  ConfabUploader *self = CONFAB_UPLOADER (object);

  while (self->uploads != NULL && self->uploads->len > 0)
    {
      Upload *upload = g_ptr_array_index (self->uploads, 0);

      g_cancellable_cancel (upload->cancellable);
      upload_remove (upload);
    }
  g_clear_pointer (&self->box, gtk_widget_unparent);
  g_clear_object (&self->room);

  G_OBJECT_CLASS (confab_uploader_parent_class)->dispose (object);
}

static void
confab_uploader_finalize (GObject *object)
{
  ConfabUploader *self = CONFAB_UPLOADER (object);

  g_ptr_array_unref (self->uploads);

  G_OBJECT_CLASS (confab_uploader_parent_class)->finalize (object);
}

static void
confab_uploader_class_init (ConfabUploaderClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = confab_uploader_dispose;
  object_class->finalize = confab_uploader_finalize;
  gtk_widget_class_set_layout_manager_type (GTK_WIDGET_CLASS (klass), GTK_TYPE_BIN_LAYOUT);
}

static void
confab_uploader_init (ConfabUploader *self)
{
  self->box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 6);
  gtk_widget_set_margin_start (self->box, 12);
  gtk_widget_set_margin_end (self->box, 12);
  gtk_widget_set_parent (self->box, GTK_WIDGET (self));
  /* Each upload holds one reference while its line is shown. */
  self->uploads = g_ptr_array_new_with_free_func (upload_unref);
}
