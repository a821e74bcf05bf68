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
 * downloaded file where the user chooses; Copy puts the image on the
 * clipboard.
 *
 * It opens fitted to the window (a smaller image at its own size). Zoom In / Zoom Out (the header's buttons,
 * Ctrl++ / Ctrl+-, or Ctrl and the scroll wheel) go from the fitted size by
 * steps of a quarter, between a tenth and eight times the image's own
 * size; Ctrl+0 fits it again, Ctrl+1 shows it at its own size. Zoomed, the
 * window scrolls.
 */

#define ZOOM_STEP 1.25
#define ZOOM_MIN  0.1
#define ZOOM_MAX  8.0
struct _ConfabMediaViewer
{
  GtkWindow        parent_instance;

  GtkWidget       *picture;
  GtkWidget       *scrolled;
  GtkWidget       *status;
  GtkWidget       *save_button;
  GdkTexture      *texture;
  double           zoom;      /* 0: fitted to the window */
  MatrixMediaInfo *info;
  GFile           *file;
  GCancellable    *cancellable;
  gboolean         loaded;
};

G_DEFINE_FINAL_TYPE (ConfabMediaViewer, confab_media_viewer, GTK_TYPE_WINDOW)

static void
update_zoom_actions (ConfabMediaViewer *self)
{
  GtkWidget *widget = GTK_WIDGET (self);
  double zoom = confab_media_viewer_get_zoom (self);

  gtk_widget_action_set_enabled (widget, "viewer.zoom-in", self->texture != NULL && zoom < ZOOM_MAX);
  gtk_widget_action_set_enabled (widget, "viewer.zoom-out", self->texture != NULL && zoom > ZOOM_MIN);
  gtk_widget_action_set_enabled (widget, "viewer.zoom-fit", self->texture != NULL && self->zoom != 0);
  gtk_widget_action_set_enabled (widget, "viewer.zoom-original", self->texture != NULL);
  gtk_widget_action_set_enabled (widget, "viewer.copy", self->texture != NULL);
}

/* Shows the image at @zoom times its size, or fitted to the window (0). */
static void
set_zoom (ConfabMediaViewer *self,
          double             zoom)
{
  GtkPicture *picture = GTK_PICTURE (self->picture);

  if (self->texture == NULL)
    return;
  self->zoom = zoom == 0 ? 0 : CLAMP (zoom, ZOOM_MIN, ZOOM_MAX);
  gtk_picture_set_can_shrink (picture, self->zoom == 0);
  if (self->zoom == 0)
    gtk_widget_set_size_request (self->picture, -1, -1);
  else
    gtk_widget_set_size_request (self->picture,
                                 MAX (1, (int) (gdk_texture_get_width (self->texture) * self->zoom)),
                                 MAX (1, (int) (gdk_texture_get_height (self->texture) * self->zoom)));
  update_zoom_actions (self);
}

/**
 * confab_media_viewer_get_zoom:
 * @self: a #ConfabMediaViewer
 *
 * The scale the image is shown at: fitted, what fitting it to the window
 * made of it.
 *
 * Returns: the image's shown size over its own, or 0 before it is shown
 */
double
confab_media_viewer_get_zoom (ConfabMediaViewer *self)
{
  int width, height, image_width, image_height;

  if (self->texture == NULL)
    return 0;
  if (self->zoom != 0)
    return self->zoom;
  image_width = gdk_texture_get_width (self->texture);
  image_height = gdk_texture_get_height (self->texture);
  width = gtk_widget_get_width (self->scrolled);
  height = gtk_widget_get_height (self->scrolled);
  if (width <= 0 || height <= 0)
    return 1.0;
  return MIN (1.0, MIN ((double) width / image_width, (double) height / image_height));
}

static void
zoom_activated (GtkWidget  *widget,
                const char *action_name,
                GVariant   *parameter)
{
  ConfabMediaViewer *self = CONFAB_MEDIA_VIEWER (widget);

  if (g_str_equal (action_name, "viewer.zoom-in"))
    set_zoom (self, confab_media_viewer_get_zoom (self) * ZOOM_STEP);
  else if (g_str_equal (action_name, "viewer.zoom-out"))
    set_zoom (self, confab_media_viewer_get_zoom (self) / ZOOM_STEP);
  else if (g_str_equal (action_name, "viewer.zoom-original"))
    set_zoom (self, 1.0);
  else
    set_zoom (self, 0);
}

static gboolean
on_scroll (GtkEventControllerScroll *controller,
           double                    dx,
           double                    dy,
           ConfabMediaViewer        *self)
{
  GdkModifierType state = gtk_event_controller_get_current_event_state (GTK_EVENT_CONTROLLER (controller));

  if (!(state & GDK_CONTROL_MASK) || dy == 0)
    return FALSE;
  gtk_widget_activate_action (GTK_WIDGET (self), dy < 0 ? "viewer.zoom-in" : "viewer.zoom-out", NULL);
  return TRUE;
}

static void
copy_activated (GtkWidget  *widget,
                const char *action_name,
                GVariant   *parameter)
{
  ConfabMediaViewer *self = CONFAB_MEDIA_VIEWER (widget);

  if (self->texture != NULL)
    gdk_clipboard_set_texture (gtk_widget_get_clipboard (widget), self->texture);
}

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
  g_set_object (&self->texture, texture);
  gtk_widget_set_visible (self->status, FALSE);
  gtk_widget_set_visible (self->picture, TRUE);
  gtk_widget_set_sensitive (self->save_button, TRUE);
  self->loaded = TRUE;
  update_zoom_actions (self);
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
  g_clear_object (&self->texture);

  G_OBJECT_CLASS (confab_media_viewer_parent_class)->dispose (object);
}

static void
confab_media_viewer_class_init (ConfabMediaViewerClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = confab_media_viewer_dispose;
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_Escape, 0, "window.close", NULL);

  gtk_widget_class_install_action (widget_class, "viewer.zoom-in", NULL, zoom_activated);
  gtk_widget_class_install_action (widget_class, "viewer.zoom-out", NULL, zoom_activated);
  gtk_widget_class_install_action (widget_class, "viewer.zoom-fit", NULL, zoom_activated);
  gtk_widget_class_install_action (widget_class, "viewer.zoom-original", NULL, zoom_activated);
  gtk_widget_class_install_action (widget_class, "viewer.copy", NULL, copy_activated);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_plus, GDK_CONTROL_MASK, "viewer.zoom-in", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_equal, GDK_CONTROL_MASK, "viewer.zoom-in", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_KP_Add, GDK_CONTROL_MASK, "viewer.zoom-in", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_minus, GDK_CONTROL_MASK, "viewer.zoom-out", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_KP_Subtract, GDK_CONTROL_MASK, "viewer.zoom-out", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_0, GDK_CONTROL_MASK, "viewer.zoom-fit", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_1, GDK_CONTROL_MASK, "viewer.zoom-original", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_c, GDK_CONTROL_MASK, "viewer.copy", NULL);
}

static GtkWidget *
icon_button (const char *icon_name,
             const char *tooltip,
             const char *action_name)
{
  GtkWidget *button = gtk_button_new_from_icon_name (icon_name);

  gtk_widget_set_tooltip_text (button, tooltip);
  gtk_accessible_update_property (GTK_ACCESSIBLE (button), GTK_ACCESSIBLE_PROPERTY_LABEL, tooltip, -1);
  gtk_actionable_set_action_name (GTK_ACTIONABLE (button), action_name);
  return button;
}

static void
confab_media_viewer_init (ConfabMediaViewer *self)
{
  GtkWidget *header = gtk_header_bar_new ();
  GtkWidget *overlay = gtk_overlay_new ();
  GtkWidget *scrolled = gtk_scrolled_window_new ();
  GtkWidget *zoom_box = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 0);
  GtkEventController *scroll = gtk_event_controller_scroll_new (GTK_EVENT_CONTROLLER_SCROLL_VERTICAL);

  self->cancellable = g_cancellable_new ();
  gtk_window_set_default_size (GTK_WINDOW (self), 800, 600);

  self->save_button = gtk_button_new_with_mnemonic (_("_Save As…"));
  gtk_widget_set_sensitive (self->save_button, FALSE);
  g_signal_connect_swapped (self->save_button, "clicked", G_CALLBACK (on_save_clicked), self);
  gtk_header_bar_pack_start (GTK_HEADER_BAR (header), self->save_button);
  gtk_header_bar_pack_start (GTK_HEADER_BAR (header),
                             icon_button ("edit-copy-symbolic", _("Copy Image"), "viewer.copy"));
  gtk_widget_add_css_class (zoom_box, "linked");
  gtk_box_append (GTK_BOX (zoom_box), icon_button ("zoom-out-symbolic", _("Zoom Out"), "viewer.zoom-out"));
  gtk_box_append (GTK_BOX (zoom_box), icon_button ("zoom-fit-best-symbolic", _("Fit to Window"),
                                                   "viewer.zoom-fit"));
  gtk_box_append (GTK_BOX (zoom_box), icon_button ("zoom-in-symbolic", _("Zoom In"), "viewer.zoom-in"));
  gtk_header_bar_pack_end (GTK_HEADER_BAR (header), zoom_box);
  gtk_window_set_titlebar (GTK_WINDOW (self), header);

  self->picture = gtk_picture_new ();
  gtk_picture_set_can_shrink (GTK_PICTURE (self->picture), TRUE);
  /* Fitted, a small image stays at its own size. */
  gtk_picture_set_content_fit (GTK_PICTURE (self->picture), GTK_CONTENT_FIT_SCALE_DOWN);
  gtk_widget_set_visible (self->picture, FALSE);
  gtk_scrolled_window_set_child (GTK_SCROLLED_WINDOW (scrolled), self->picture);
  gtk_overlay_set_child (GTK_OVERLAY (overlay), scrolled);
  self->scrolled = scrolled;
  /* Before the scrolled window's own scrolling: Ctrl and the wheel zoom. */
  gtk_event_controller_set_propagation_phase (scroll, GTK_PHASE_CAPTURE);
  g_signal_connect (scroll, "scroll", G_CALLBACK (on_scroll), self);
  gtk_widget_add_controller (scrolled, scroll);

  self->status = adw_status_page_new ();
  adw_status_page_set_title (ADW_STATUS_PAGE (self->status), _("Loading…"));
  gtk_overlay_add_overlay (GTK_OVERLAY (overlay), self->status);
  gtk_window_set_child (GTK_WINDOW (self), overlay);
  update_zoom_actions (self);
}
