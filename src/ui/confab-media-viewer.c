/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "confab-media-viewer"

#include "config.h"

#include <glib/gi18n.h>
#include <adwaita.h>

#include "confab-image-decoder.h"
#include "confab-media-loader.h"
#include "confab-media-viewer.h"

/**
 * ConfabMediaViewer:
 *
 * An image at full size, in a window of its own over the main one: the
 * whole file is downloaded into the cache, then decoded off the main thread
 * with the same limits as thumbnails. Escape closes it; Save copies the
 * downloaded file where the user chooses.
 */
struct _ConfabMediaViewer
{
  GtkWindow        parent_instance;

  GtkWidget       *picture;
  GtkWidget       *status;
  GtkWidget       *save_button;
  MatrixMediaInfo *info;
  GFile           *file;
  GCancellable    *cancellable;
  gboolean         loaded;
};

G_DEFINE_FINAL_TYPE (ConfabMediaViewer, confab_media_viewer, GTK_TYPE_WINDOW)

static void
show_failure (ConfabMediaViewer *self,
              const GError      *error)
{
  adw_status_page_set_title (ADW_STATUS_PAGE (self->status),
                             error->domain == CONFAB_IMAGE_ERROR ? error->message
                                                                 : _("The image could not be loaded"));
  adw_status_page_set_icon_name (ADW_STATUS_PAGE (self->status), "image-missing-symbolic");
}

static void
on_decoded (GObject      *source,
            GAsyncResult *result,
            gpointer      user_data)
{
  g_autoptr(ConfabMediaViewer) self = user_data;
  g_autoptr(GdkTexture) texture = NULL;
  g_autoptr(GError) error = NULL;

  texture = confab_image_decode_finish (result, &error);
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  if (texture == NULL)
    {
      show_failure (self, error);
      return;
    }

  gtk_picture_set_paintable (GTK_PICTURE (self->picture), GDK_PAINTABLE (texture));
  gtk_widget_set_visible (self->status, FALSE);
  gtk_widget_set_visible (self->picture, TRUE);
  gtk_widget_set_sensitive (self->save_button, TRUE);
  self->loaded = TRUE;
}

static void
on_downloaded (GObject      *source,
               GAsyncResult *result,
               gpointer      user_data)
{
  g_autoptr(ConfabMediaViewer) self = user_data;
  g_autoptr(GError) error = NULL;

  self->file = matrix_media_download_for_info_finish (MATRIX_MEDIA (source), result, &error);
  if (self->file == NULL)
    {
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        show_failure (self, error);
      return;
    }

  confab_image_decode_async (self->file, 0, self->cancellable, on_decoded, g_object_ref (self));
}

static void
on_copied (GObject      *source,
           GAsyncResult *result,
           gpointer      user_data)
{
  g_autoptr(GError) error = NULL;

  if (!g_file_copy_finish (G_FILE (source), result, &error))
    g_debug ("Could not save the image: %s", error->message);
}

static void
on_save_response (GtkNativeDialog *dialog,
                  int              response,
                  gpointer         user_data)
{
  g_autoptr(ConfabMediaViewer) self = user_data;

  if (response == GTK_RESPONSE_ACCEPT && self->file != NULL)
    {
      g_autoptr(GFile) target = gtk_file_chooser_get_file (GTK_FILE_CHOOSER (dialog));

      g_file_copy_async (self->file, target, G_FILE_COPY_OVERWRITE, G_PRIORITY_DEFAULT,
                         NULL, NULL, NULL, on_copied, NULL);
    }
  gtk_native_dialog_destroy (dialog);
  g_object_unref (dialog);
}

static void
on_save_clicked (ConfabMediaViewer *self)
{
  g_autofree char *name = confab_media_suggested_name (self->info);
  GtkFileChooserNative *dialog;

  dialog = gtk_file_chooser_native_new (_("Save Image"), GTK_WINDOW (self),
                                        GTK_FILE_CHOOSER_ACTION_SAVE, _("_Save"), _("_Cancel"));
  gtk_native_dialog_set_modal (GTK_NATIVE_DIALOG (dialog), TRUE);
  gtk_file_chooser_set_current_name (GTK_FILE_CHOOSER (dialog), name);
  g_signal_connect (dialog, "response", G_CALLBACK (on_save_response), g_object_ref (self));
  gtk_native_dialog_show (GTK_NATIVE_DIALOG (dialog));
}

/**
 * confab_media_viewer_open:
 * @parent: a widget of the window the viewer goes over
 * @client: the client the image is downloaded with
 * @info: an image message's media
 *
 * Returns: (transfer none): the viewer, shown
 */
ConfabMediaViewer *
confab_media_viewer_open (GtkWidget       *parent,
                          MatrixClient    *client,
                          MatrixMediaInfo *info)
{
  GtkRoot *root = gtk_widget_get_root (parent);
  ConfabMediaViewer *self;
  MatrixMedia *media;

  self = g_object_new (CONFAB_TYPE_MEDIA_VIEWER, NULL);
  self->info = g_object_ref (info);
  if (GTK_IS_WINDOW (root))
    {
      gtk_window_set_transient_for (GTK_WINDOW (self), GTK_WINDOW (root));
      gtk_window_set_modal (GTK_WINDOW (self), TRUE);
    }
  gtk_window_set_title (GTK_WINDOW (self), matrix_media_info_get_body (info));
  gtk_picture_set_alternative_text (GTK_PICTURE (self->picture), matrix_media_info_get_body (info));

  media = confab_media_loader_get_media (confab_media_loader_for_client (client));
  if (matrix_media_info_get_size (info) > CONFAB_MEDIA_MAX_IMAGE_DOWNLOAD)
    {
      g_autoptr(GError) error = g_error_new_literal (CONFAB_IMAGE_ERROR, CONFAB_IMAGE_ERROR_TOO_LARGE,
                                                     _("The image file is too large to show"));

      show_failure (self, error);
    }
  else
    matrix_media_download_for_info_async (media, info,
                                          CONFAB_MEDIA_MAX_IMAGE_DOWNLOAD, self->cancellable,
                                          NULL, NULL, on_downloaded, g_object_ref (self));

  gtk_window_present (GTK_WINDOW (self));
  return self;
}

gboolean
confab_media_viewer_is_loaded (ConfabMediaViewer *self)
{
  return self->loaded;
}

static void
confab_media_viewer_dispose (GObject *object)
{
  ConfabMediaViewer *self = CONFAB_MEDIA_VIEWER (object);

  g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  g_clear_object (&self->info);
  g_clear_object (&self->file);

  G_OBJECT_CLASS (confab_media_viewer_parent_class)->dispose (object);
}

static void
confab_media_viewer_class_init (ConfabMediaViewerClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = confab_media_viewer_dispose;
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_Escape, 0, "window.close", NULL);
}

static void
confab_media_viewer_init (ConfabMediaViewer *self)
{
  GtkWidget *header = gtk_header_bar_new ();
  GtkWidget *overlay = gtk_overlay_new ();
  GtkWidget *scrolled = gtk_scrolled_window_new ();

  self->cancellable = g_cancellable_new ();
  gtk_window_set_default_size (GTK_WINDOW (self), 800, 600);

  self->save_button = gtk_button_new_with_mnemonic (_("_Save As…"));
  gtk_widget_set_sensitive (self->save_button, FALSE);
  g_signal_connect_swapped (self->save_button, "clicked", G_CALLBACK (on_save_clicked), self);
  gtk_header_bar_pack_start (GTK_HEADER_BAR (header), self->save_button);
  gtk_window_set_titlebar (GTK_WINDOW (self), header);

  self->picture = gtk_picture_new ();
  gtk_picture_set_can_shrink (GTK_PICTURE (self->picture), TRUE);
  gtk_picture_set_content_fit (GTK_PICTURE (self->picture), GTK_CONTENT_FIT_CONTAIN);
  gtk_widget_set_visible (self->picture, FALSE);
  gtk_scrolled_window_set_child (GTK_SCROLLED_WINDOW (scrolled), self->picture);
  gtk_overlay_set_child (GTK_OVERLAY (overlay), scrolled);

  self->status = adw_status_page_new ();
  adw_status_page_set_title (ADW_STATUS_PAGE (self->status), _("Loading…"));
  gtk_overlay_add_overlay (GTK_OVERLAY (overlay), self->status);
  gtk_window_set_child (GTK_WINDOW (self), overlay);
}
