/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "confab-media-row"

#include "config.h"

#include <glib/gi18n.h>

#include "confab-image-decoder.h"
#include "confab-media-loader.h"
#include "confab-media-row.h"
#include "confab-media-viewer.h"

/**
 * ConfabMediaRow:
 *
 * The media of a message in the timeline.
 *
 * An image or sticker is shown at its real aspect ratio, at most
 * %CONFAB_MEDIA_ROW_MAX_WIDTH × %CONFAB_MEDIA_ROW_MAX_HEIGHT; its
 * placeholder has that size from the first frame when the message says the
 * image's `w` and `h`, so rows do not move when it arrives. A click opens
 * the viewer. With `media-auto-load` off, an image waits for a click.
 * A refused or damaged image shows why, in its place.
 *
 * A file (and video or audio, for now) shows its name, size and type, with
 * Open and Save As…, each with a progress bar and Cancel.
 */
struct _ConfabMediaRow
{
  GtkWidget        parent_instance;

  GtkWidget       *stack;
  /* Images. */
  GtkWidget       *frame;
  GtkWidget       *picture;
  GtkWidget       *status_box;
  GtkWidget       *spinner;
  GtkWidget       *status_label;
  GtkWidget       *load_button;
  /* Files. */
  GtkWidget       *file_icon;
  GtkWidget       *file_name;
  GtkWidget       *file_details;
  GtkWidget       *open_button;
  GtkWidget       *save_button;
  GtkWidget       *progress;
  GtkWidget       *cancel_button;
  GtkWidget       *play_button;
  GtkWidget       *player_box;
  GtkMediaStream  *stream;

  MatrixClient    *client;
  MatrixMediaInfo *info;
  GCancellable    *cancellable;       /* the image load */
  GCancellable    *file_cancellable;  /* an Open or Save As */
  GFile           *save_target;
  gboolean         open_after;
  gboolean         play_after;
  const char      *state;
  char            *message;
  int              width;
  int              height;
};

G_DEFINE_FINAL_TYPE (ConfabMediaRow, confab_media_row, GTK_TYPE_WIDGET)

static void
set_state (ConfabMediaRow *self,
           const char     *state,
           const char     *message)
{
  self->state = state;
  g_free (self->message);
  self->message = g_strdup (message);

  gtk_widget_set_visible (self->status_box, g_strcmp0 (state, "image") != 0);
  gtk_widget_set_visible (self->spinner, g_strcmp0 (state, "loading") == 0);
  gtk_spinner_set_spinning (GTK_SPINNER (self->spinner), g_strcmp0 (state, "loading") == 0);
  gtk_widget_set_visible (self->load_button, g_strcmp0 (state, "placeholder") == 0);
  gtk_widget_set_visible (self->status_label, message != NULL);
  gtk_label_set_text (GTK_LABEL (self->status_label), message != NULL ? message : "");
}

/* The size an image is shown at: its own, scaled down to fit. */
static void
fit (guint  width,
     guint  height,
     int   *out_width,
     int   *out_height)
{
  double scale;

  if (width == 0 || height == 0)
    {
      *out_width = CONFAB_MEDIA_ROW_MAX_WIDTH * 3 / 4;
      *out_height = CONFAB_MEDIA_ROW_MAX_HEIGHT * 3 / 4;
      return;
    }
  scale = MIN (1.0, MIN ((double) CONFAB_MEDIA_ROW_MAX_WIDTH / width,
                         (double) CONFAB_MEDIA_ROW_MAX_HEIGHT / height));
  *out_width = MAX (32, (int) (width * scale + 0.5));
  *out_height = MAX (32, (int) (height * scale + 0.5));
}

static void
set_display_size (ConfabMediaRow *self,
                  guint           width,
                  guint           height)
{
  fit (width, height, &self->width, &self->height);
  gtk_widget_set_size_request (self->frame, self->width, self->height);
}

static void
on_image_loaded (GObject      *source,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  g_autoptr(ConfabMediaRow) self = user_data;
  g_autoptr(GdkTexture) texture = NULL;
  g_autoptr(GError) error = NULL;

  texture = confab_media_loader_load_image_finish (CONFAB_MEDIA_LOADER (source), result, &error);
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;

  if (texture == NULL)
    {
      g_debug ("Image not shown: %s", error->message);
      set_state (self, "failed", error->domain == CONFAB_IMAGE_ERROR ? error->message
                                                                      : _("The image could not be loaded"));
      return;
    }

  if (matrix_media_info_get_width (self->info) == 0 || matrix_media_info_get_height (self->info) == 0)
    set_display_size (self, gdk_texture_get_width (texture), gdk_texture_get_height (texture));
  gtk_picture_set_paintable (GTK_PICTURE (self->picture), GDK_PAINTABLE (texture));
  set_state (self, "image", NULL);
}

static void
load_image (ConfabMediaRow *self)
{
  ConfabMediaLoader *loader = confab_media_loader_for_client (self->client);
  GdkTexture *texture;

  texture = confab_media_loader_lookup_image (loader, self->info, CONFAB_MEDIA_ROW_MAX_WIDTH);
  if (texture != NULL)
    {
      gtk_picture_set_paintable (GTK_PICTURE (self->picture), GDK_PAINTABLE (texture));
      set_state (self, "image", NULL);
      return;
    }

  set_state (self, "loading", NULL);
  self->cancellable = g_cancellable_new ();
  confab_media_loader_load_image_async (loader, self->info, CONFAB_MEDIA_ROW_MAX_WIDTH,
                                        self->cancellable, on_image_loaded, g_object_ref (self));
}

/**
 * confab_media_row_activate:
 * @self: a #ConfabMediaRow
 *
 * What a click on an image does: loads it, when it waits for a click, or
 * opens it in the viewer.
 *
 * Returns: (transfer none) (nullable): the viewer opened
 */
ConfabMediaViewer *
confab_media_row_activate (ConfabMediaRow *self)
{
  if (self->info == NULL)
    return NULL;

  if (g_strcmp0 (self->state, "placeholder") == 0)
    load_image (self);
  else if (g_strcmp0 (self->state, "image") == 0)
    return confab_media_viewer_open (GTK_WIDGET (self), self->client, self->info);
  return NULL;
}

static void
on_frame_clicked (GtkGestureClick *gesture,
                  int              n_press,
                  double           x,
                  double           y,
                  ConfabMediaRow  *self)
{
  confab_media_row_activate (self);
}

/* --- Files ---------------------------------------------------------------- */

static void
set_file_busy (ConfabMediaRow *self,
               gboolean        busy)
{
  gtk_widget_set_visible (self->progress, busy);
  gtk_widget_set_visible (self->cancel_button, busy);
  gtk_widget_set_sensitive (self->open_button, !busy);
  gtk_widget_set_sensitive (self->save_button, !busy);
  if (busy)
    gtk_progress_bar_set_fraction (GTK_PROGRESS_BAR (self->progress), 0);
}

static void
on_file_progress (goffset  current,
                  goffset  total,
                  gpointer user_data)
{
  ConfabMediaRow *self = user_data;

  if (total > 0)
    gtk_progress_bar_set_fraction (GTK_PROGRESS_BAR (self->progress), (double) current / total);
  else
    gtk_progress_bar_pulse (GTK_PROGRESS_BAR (self->progress));
}

static void
show_file_error (ConfabMediaRow *self,
                 const GError   *error)
{
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  gtk_label_set_text (GTK_LABEL (self->file_details),
                      g_error_matches (error, MATRIX_ERROR, MATRIX_ERROR_TOO_LARGE)
                        ? _("The file is too large")
                        : _("The file could not be downloaded"));
}

static void
on_copied (GObject      *source,
           GAsyncResult *result,
           gpointer      user_data)
{
  g_autoptr(ConfabMediaRow) self = user_data;
  g_autoptr(GError) error = NULL;

  if (!g_file_copy_finish (G_FILE (source), result, &error) &&
      !g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    gtk_label_set_text (GTK_LABEL (self->file_details), _("The file could not be saved"));
  set_file_busy (self, FALSE);
}

static void
on_launched (GObject      *source,
             GAsyncResult *result,
             gpointer      user_data)
{
  g_autoptr(GError) error = NULL;

  if (!g_app_info_launch_default_for_uri_finish (result, &error))
    g_debug ("Could not open the file: %s", error->message);
}

static void
on_stream_error (GtkMediaStream *stream,
                 GParamSpec     *pspec,
                 ConfabMediaRow *self)
{
  const GError *error = gtk_media_stream_get_error (stream);

  if (error != NULL)
    gtk_label_set_text (GTK_LABEL (self->file_details), _("This file cannot be played here"));
}

/* A video or audio file, played from the cache once it is whole there:
 * nothing from the network is streamed into a parser. */
static void
show_player (ConfabMediaRow *self,
             GFile          *file)
{
  GtkWidget *child;

  while ((child = gtk_widget_get_first_child (self->player_box)) != NULL)
    gtk_box_remove (GTK_BOX (self->player_box), child);
  if (self->stream != NULL)
    g_signal_handlers_disconnect_by_data (self->stream, self);
  g_clear_object (&self->stream);

  self->stream = gtk_media_file_new_for_file (file);
  g_signal_connect (self->stream, "notify::error", G_CALLBACK (on_stream_error), self);
  if (g_strcmp0 (matrix_media_info_get_msgtype (self->info), "m.video") == 0)
    {
      GtkWidget *video = gtk_video_new ();
      int width, height;

      fit (matrix_media_info_get_width (self->info), matrix_media_info_get_height (self->info),
           &width, &height);
      gtk_widget_set_size_request (video, width, height);
      gtk_video_set_media_stream (GTK_VIDEO (video), self->stream);
      gtk_box_append (GTK_BOX (self->player_box), video);
    }
  else
    gtk_box_append (GTK_BOX (self->player_box), gtk_media_controls_new (self->stream));
  gtk_widget_set_visible (self->player_box, TRUE);
  gtk_widget_set_visible (self->play_button, FALSE);
  on_stream_error (self->stream, NULL, self);
}

static void
on_file_downloaded (GObject      *source,
                    GAsyncResult *result,
                    gpointer      user_data)
{
  g_autoptr(ConfabMediaRow) self = user_data;
  g_autoptr(GFile) file = NULL;
  g_autoptr(GError) error = NULL;

  file = matrix_media_download_for_info_finish (MATRIX_MEDIA (source), result, &error);
  if (file == NULL)
    {
      show_file_error (self, error);
      set_file_busy (self, FALSE);
      return;
    }

  if (self->save_target != NULL)
    {
      g_autoptr(GFile) target = g_steal_pointer (&self->save_target);

      g_file_copy_async (file, target, G_FILE_COPY_OVERWRITE, G_PRIORITY_DEFAULT,
                         self->file_cancellable, NULL, NULL, on_copied, g_object_ref (self));
      return;
    }

  set_file_busy (self, FALSE);
  if (self->play_after)
    {
      show_player (self, file);
      return;
    }
  if (self->open_after)
    {
      g_autofree char *uri = g_file_get_uri (file);

      g_app_info_launch_default_for_uri_async (uri, NULL, NULL, on_launched, NULL);
    }
}

static void
download_file (ConfabMediaRow *self)
{
  MatrixMedia *media = confab_media_loader_get_media (confab_media_loader_for_client (self->client));

  /* What the sender claims is checked first; the server's Content-Length
   * and the bytes themselves then by the library. */
  if (matrix_media_info_get_size (self->info) > (gint64) CONFAB_MEDIA_MAX_FILE_DOWNLOAD)
    {
      g_autoptr(GError) error = g_error_new_literal (MATRIX_ERROR, MATRIX_ERROR_TOO_LARGE, "");

      show_file_error (self, error);
      return;
    }

  g_clear_object (&self->file_cancellable);
  self->file_cancellable = g_cancellable_new ();
  set_file_busy (self, TRUE);
  matrix_media_download_for_info_async (media, self->info,
                                        CONFAB_MEDIA_MAX_FILE_DOWNLOAD, self->file_cancellable,
                                        on_file_progress, self, on_file_downloaded,
                                        g_object_ref (self));
}

static void
on_play_clicked (ConfabMediaRow *self)
{
  self->play_after = TRUE;
  self->open_after = FALSE;
  g_clear_object (&self->save_target);
  download_file (self);
}

static void
on_open_clicked (ConfabMediaRow *self)
{
  self->play_after = FALSE;
  self->open_after = TRUE;
  g_clear_object (&self->save_target);
  download_file (self);
}

static void
on_save_response (GtkNativeDialog *dialog,
                  int              response,
                  gpointer         user_data)
{
  g_autoptr(ConfabMediaRow) self = user_data;

  if (response == GTK_RESPONSE_ACCEPT && self->info != NULL)
    {
      g_clear_object (&self->save_target);
      self->save_target = gtk_file_chooser_get_file (GTK_FILE_CHOOSER (dialog));
      self->open_after = FALSE;
      self->play_after = FALSE;
      download_file (self);
    }
  gtk_native_dialog_destroy (dialog);
  g_object_unref (dialog);
}

static void
on_save_clicked (ConfabMediaRow *self)
{
  GtkRoot *root = gtk_widget_get_root (GTK_WIDGET (self));
  g_autofree char *name = confab_media_suggested_name (self->info);
  GtkFileChooserNative *dialog;

  dialog = gtk_file_chooser_native_new (_("Save File"), GTK_IS_WINDOW (root) ? GTK_WINDOW (root) : NULL,
                                        GTK_FILE_CHOOSER_ACTION_SAVE, _("_Save"), _("_Cancel"));
  gtk_native_dialog_set_modal (GTK_NATIVE_DIALOG (dialog), TRUE);
  gtk_file_chooser_set_current_name (GTK_FILE_CHOOSER (dialog), name);
  g_signal_connect (dialog, "response", G_CALLBACK (on_save_response), g_object_ref (self));
  gtk_native_dialog_show (GTK_NATIVE_DIALOG (dialog));
}

static void
on_cancel_clicked (ConfabMediaRow *self)
{
  g_cancellable_cancel (self->file_cancellable);
  set_file_busy (self, FALSE);
}

static void
show_file (ConfabMediaRow *self)
{
  const char *mimetype = matrix_media_info_get_mimetype (self->info);
  gint64 size = matrix_media_info_get_size (self->info);
  g_autofree char *name = confab_media_suggested_name (self->info);
  g_autofree char *content_type = NULL;
  g_autofree char *description = NULL;
  g_autofree char *size_text = NULL;
  g_autofree char *details = NULL;
  g_autoptr(GIcon) icon = NULL;

  /* The claimed type only chooses an icon and a description. */
  content_type = g_content_type_from_mime_type (mimetype != NULL ? mimetype : "application/octet-stream");
  if (content_type == NULL)
    content_type = g_strdup ("application/octet-stream");
  icon = g_content_type_get_symbolic_icon (content_type);
  description = g_content_type_get_description (content_type);
  gtk_image_set_from_gicon (GTK_IMAGE (self->file_icon), icon);

  gtk_label_set_text (GTK_LABEL (self->file_name), name);
  size_text = size >= 0 ? g_format_size ((guint64) size) : NULL;
  details = size_text != NULL ? g_strdup_printf ("%s — %s", size_text, description)
                              : g_strdup (description);
  gtk_label_set_text (GTK_LABEL (self->file_details), details);
  set_file_busy (self, FALSE);
  gtk_widget_set_visible (self->play_button,
                          g_strcmp0 (matrix_media_info_get_msgtype (self->info), "m.video") == 0 ||
                          g_strcmp0 (matrix_media_info_get_msgtype (self->info), "m.audio") == 0);
  gtk_widget_set_visible (self->player_box, FALSE);
  gtk_stack_set_visible_child_name (GTK_STACK (self->stack), "file");
  self->state = "file";
}

/* The message's blurhash, painted small (GtkPicture scales it up to the
 * placeholder's size, which blurs it further): the image's colours before
 * it loads, or instead of it when it waits for a click. */
static GdkTexture *
blurhash_texture (MatrixMediaInfo *info,
                  int              width,
                  int              height)
{
  const char *blurhash = matrix_media_info_get_blurhash (info);
  g_autoptr(GBytes) pixels = NULL;
  guint w, h;

  if (blurhash == NULL || width <= 0 || height <= 0)
    return NULL;
  if (width >= height)
    {
      w = CONFAB_MEDIA_ROW_BLURHASH_SIZE;
      h = CLAMP (CONFAB_MEDIA_ROW_BLURHASH_SIZE * height / width, 1, CONFAB_MEDIA_ROW_BLURHASH_SIZE);
    }
  else
    {
      h = CONFAB_MEDIA_ROW_BLURHASH_SIZE;
      w = CLAMP (CONFAB_MEDIA_ROW_BLURHASH_SIZE * width / height, 1, CONFAB_MEDIA_ROW_BLURHASH_SIZE);
    }
  pixels = matrix_blurhash_decode (blurhash, w, h, NULL);
  if (pixels == NULL)
    return NULL;
  return gdk_memory_texture_new ((int) w, (int) h, GDK_MEMORY_R8G8B8, pixels, w * 3);
}

static void
show_image (ConfabMediaRow *self)
{
  GSettings *settings = confab_media_settings ();
  guint width = matrix_media_info_get_width (self->info);
  guint height = matrix_media_info_get_height (self->info);

  g_autoptr(GdkTexture) placeholder = NULL;

  gtk_picture_set_alternative_text (GTK_PICTURE (self->picture), matrix_media_info_get_body (self->info));
  set_display_size (self, width, height);
  placeholder = blurhash_texture (self->info, self->width, self->height);
  gtk_picture_set_paintable (GTK_PICTURE (self->picture), GDK_PAINTABLE (placeholder));
  gtk_stack_set_visible_child_name (GTK_STACK (self->stack), "image");

  if (settings != NULL && !g_settings_get_boolean (settings, "media-auto-load"))
    set_state (self, "placeholder", NULL);
  else
    load_image (self);
}

static void
clear (ConfabMediaRow *self)
{
  g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  g_cancellable_cancel (self->file_cancellable);
  g_clear_object (&self->file_cancellable);
  g_clear_object (&self->save_target);
  g_clear_object (&self->info);
  if (self->stream != NULL)
    {
      g_signal_handlers_disconnect_by_data (self->stream, self);
      gtk_media_stream_pause (self->stream);
    }
  g_clear_object (&self->stream);
  g_clear_object (&self->client);
  if (self->picture != NULL)
    gtk_picture_set_paintable (GTK_PICTURE (self->picture), NULL);
}

static void ensure_built (ConfabMediaRow *self);

static gboolean
is_media_item (MatrixTimelineItem *item)
{
  const char *type = matrix_timeline_item_get_event_type (item);
  const char *msgtype;

  if (g_strcmp0 (type, "m.sticker") == 0)
    return TRUE;
  if (g_strcmp0 (type, "m.room.message") != 0)
    return FALSE;
  msgtype = matrix_timeline_item_get_msgtype (item);
  return g_strcmp0 (msgtype, "m.image") == 0 || g_strcmp0 (msgtype, "m.file") == 0 ||
         g_strcmp0 (msgtype, "m.video") == 0 || g_strcmp0 (msgtype, "m.audio") == 0;
}

/**
 * confab_media_row_set_item:
 * @self: a #ConfabMediaRow
 * @room: (nullable): the item's room
 * @item: (nullable): a timeline item
 *
 * Shows the media of @item, if it is a media message, and hides itself
 * otherwise.
 *
 * Returns: whether @item is media the row shows
 */
gboolean
confab_media_row_set_item (ConfabMediaRow     *self,
                           MatrixRoom         *room,
                           MatrixTimelineItem *item)
{
  g_autoptr(MatrixMediaInfo) info = NULL;

  g_return_val_if_fail (CONFAB_IS_MEDIA_ROW (self), FALSE);

  /* Most messages are text: no media parsing, no error made for them. */
  if (item != NULL && room != NULL && is_media_item (item))
    info = matrix_media_info_new_for_item (item, NULL);

  if (info != NULL && self->info != NULL &&
      g_strcmp0 (matrix_media_info_get_url (info), matrix_media_info_get_url (self->info)) == 0)
    return TRUE;

  clear (self);
  gtk_widget_set_visible (GTK_WIDGET (self), info != NULL);
  if (info == NULL)
    return FALSE;

  ensure_built (self);
  self->info = g_steal_pointer (&info);
  self->client = g_object_ref (matrix_room_get_client (room));
  if (g_strcmp0 (matrix_media_info_get_msgtype (self->info), "m.image") == 0)
    show_image (self);
  else
    show_file (self);
  return TRUE;
}

/**
 * confab_media_row_has_caption:
 * @self: a #ConfabMediaRow
 *
 * Returns: whether the message's body is a caption, to show beside the
 *   media, rather than the file's name
 */
gboolean
confab_media_row_has_caption (ConfabMediaRow *self)
{
  const char *filename;

  if (self->info == NULL)
    return FALSE;
  filename = matrix_media_info_get_filename (self->info);
  return filename != NULL && g_strcmp0 (filename, matrix_media_info_get_body (self->info)) != 0;
}

const char *
confab_media_row_get_state (ConfabMediaRow *self)
{
  return self->state;
}

const char *
confab_media_row_get_message (ConfabMediaRow *self)
{
  return self->message;
}

void
confab_media_row_get_display_size (ConfabMediaRow *self,
                                   int            *width,
                                   int            *height)
{
  *width = self->width;
  *height = self->height;
}

GtkWidget *
confab_media_row_new (void)
{
  return g_object_new (CONFAB_TYPE_MEDIA_ROW, NULL);
}

static GtkWidget *
build_image_page (ConfabMediaRow *self)
{
  GtkWidget *overlay = gtk_overlay_new ();
  GtkGesture *click = gtk_gesture_click_new ();

  self->frame = overlay;
  gtk_widget_set_halign (overlay, GTK_ALIGN_START);
  gtk_widget_set_overflow (overlay, GTK_OVERFLOW_HIDDEN);
  gtk_widget_add_css_class (overlay, "confab-media-frame");
  gtk_widget_set_cursor_from_name (overlay, "pointer");

  self->picture = gtk_picture_new ();
  gtk_picture_set_can_shrink (GTK_PICTURE (self->picture), TRUE);
  gtk_picture_set_content_fit (GTK_PICTURE (self->picture), GTK_CONTENT_FIT_CONTAIN);
  gtk_overlay_set_child (GTK_OVERLAY (overlay), self->picture);

  self->status_box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 6);
  gtk_widget_set_halign (self->status_box, GTK_ALIGN_CENTER);
  gtk_widget_set_valign (self->status_box, GTK_ALIGN_CENTER);
  self->spinner = gtk_spinner_new ();
  gtk_box_append (GTK_BOX (self->status_box), self->spinner);
  self->status_label = gtk_label_new (NULL);
  gtk_label_set_wrap (GTK_LABEL (self->status_label), TRUE);
  gtk_label_set_justify (GTK_LABEL (self->status_label), GTK_JUSTIFY_CENTER);
  gtk_widget_add_css_class (self->status_label, "dim-label");
  gtk_box_append (GTK_BOX (self->status_box), self->status_label);
  self->load_button = gtk_button_new_with_mnemonic (_("_Show Image"));
  gtk_widget_add_css_class (self->load_button, "pill");
  g_signal_connect_swapped (self->load_button, "clicked", G_CALLBACK (load_image), self);
  gtk_box_append (GTK_BOX (self->status_box), self->load_button);
  gtk_overlay_add_overlay (GTK_OVERLAY (overlay), self->status_box);

  g_signal_connect (click, "released", G_CALLBACK (on_frame_clicked), self);
  gtk_widget_add_controller (overlay, GTK_EVENT_CONTROLLER (click));
  return overlay;
}

static GtkWidget *
build_file_page (ConfabMediaRow *self)
{
  GtkWidget *box = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 12);
  GtkWidget *texts = gtk_box_new (GTK_ORIENTATION_VERTICAL, 2);
  GtkWidget *outer = gtk_box_new (GTK_ORIENTATION_VERTICAL, 6);

  gtk_widget_add_css_class (outer, "card");
  gtk_widget_add_css_class (outer, "confab-media-file");
  gtk_widget_set_halign (outer, GTK_ALIGN_START);

  self->file_icon = gtk_image_new ();
  gtk_image_set_icon_size (GTK_IMAGE (self->file_icon), GTK_ICON_SIZE_LARGE);
  gtk_box_append (GTK_BOX (box), self->file_icon);

  self->file_name = gtk_label_new (NULL);
  gtk_label_set_xalign (GTK_LABEL (self->file_name), 0);
  gtk_label_set_ellipsize (GTK_LABEL (self->file_name), PANGO_ELLIPSIZE_MIDDLE);
  gtk_label_set_max_width_chars (GTK_LABEL (self->file_name), 32);
  gtk_widget_add_css_class (self->file_name, "heading");
  self->file_details = gtk_label_new (NULL);
  gtk_label_set_xalign (GTK_LABEL (self->file_details), 0);
  gtk_widget_add_css_class (self->file_details, "dim-label");
  gtk_widget_add_css_class (self->file_details, "caption");
  gtk_box_append (GTK_BOX (texts), self->file_name);
  gtk_box_append (GTK_BOX (texts), self->file_details);
  gtk_widget_set_valign (texts, GTK_ALIGN_CENTER);
  gtk_widget_set_hexpand (texts, TRUE);
  gtk_box_append (GTK_BOX (box), texts);

  self->play_button = gtk_button_new_from_icon_name ("media-playback-start-symbolic");
  gtk_widget_set_tooltip_text (self->play_button, _("Play"));
  gtk_widget_set_valign (self->play_button, GTK_ALIGN_CENTER);
  g_signal_connect_swapped (self->play_button, "clicked", G_CALLBACK (on_play_clicked), self);
  gtk_box_append (GTK_BOX (box), self->play_button);
  self->open_button = gtk_button_new_with_mnemonic (_("_Open"));
  gtk_widget_set_valign (self->open_button, GTK_ALIGN_CENTER);
  g_signal_connect_swapped (self->open_button, "clicked", G_CALLBACK (on_open_clicked), self);
  gtk_box_append (GTK_BOX (box), self->open_button);
  self->save_button = gtk_button_new_from_icon_name ("document-save-symbolic");
  gtk_widget_set_tooltip_text (self->save_button, _("Save As…"));
  gtk_widget_set_valign (self->save_button, GTK_ALIGN_CENTER);
  g_signal_connect_swapped (self->save_button, "clicked", G_CALLBACK (on_save_clicked), self);
  gtk_box_append (GTK_BOX (box), self->save_button);
  self->cancel_button = gtk_button_new_from_icon_name ("process-stop-symbolic");
  gtk_widget_set_tooltip_text (self->cancel_button, _("Cancel"));
  gtk_widget_set_valign (self->cancel_button, GTK_ALIGN_CENTER);
  g_signal_connect_swapped (self->cancel_button, "clicked", G_CALLBACK (on_cancel_clicked), self);
  gtk_box_append (GTK_BOX (box), self->cancel_button);

  gtk_box_append (GTK_BOX (outer), box);
  self->progress = gtk_progress_bar_new ();
  gtk_box_append (GTK_BOX (outer), self->progress);
  self->player_box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 0);
  gtk_box_append (GTK_BOX (outer), self->player_box);
  return outer;
}

static void
confab_media_row_dispose (GObject *object)
{
  ConfabMediaRow *self = CONFAB_MEDIA_ROW (object);

  clear (self);
  g_clear_pointer (&self->stack, gtk_widget_unparent);
  self->picture = NULL;

  G_OBJECT_CLASS (confab_media_row_parent_class)->dispose (object);
}

static void
confab_media_row_finalize (GObject *object)
{
  ConfabMediaRow *self = CONFAB_MEDIA_ROW (object);

  g_free (self->message);

  G_OBJECT_CLASS (confab_media_row_parent_class)->finalize (object);
}

static void
confab_media_row_class_init (ConfabMediaRowClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = confab_media_row_dispose;
  object_class->finalize = confab_media_row_finalize;
  gtk_widget_class_set_layout_manager_type (widget_class, GTK_TYPE_BIN_LAYOUT);
  gtk_widget_class_set_css_name (widget_class, "confab-media-row");
}

/* Built at the first media item: every message row has a media row, and
 * most never show one. */
static void
ensure_built (ConfabMediaRow *self)
{
  if (self->stack != NULL)
    return;

  self->stack = gtk_stack_new ();
  gtk_stack_set_vhomogeneous (GTK_STACK (self->stack), FALSE);
  gtk_stack_set_hhomogeneous (GTK_STACK (self->stack), FALSE);
  gtk_stack_add_named (GTK_STACK (self->stack), build_image_page (self), "image");
  gtk_stack_add_named (GTK_STACK (self->stack), build_file_page (self), "file");
  gtk_widget_set_parent (self->stack, GTK_WIDGET (self));
  gtk_widget_set_margin_top (self->stack, 4);
}

static void
confab_media_row_init (ConfabMediaRow *self)
{
  gtk_widget_set_visible (GTK_WIDGET (self), FALSE);
  self->state = "none";
}
