/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gtk/gtk.h>

#include "matrix.h"

G_BEGIN_DECLS

#define CONFAB_TYPE_MEDIA_VIEWER (confab_media_viewer_get_type ())
G_DECLARE_FINAL_TYPE (ConfabMediaViewer, confab_media_viewer, CONFAB, MEDIA_VIEWER, GtkWindow)

ConfabMediaViewer *confab_media_viewer_open      (GtkWidget         *parent,
                                                  MatrixClient      *client,
                                                  MatrixMediaInfo   *info);
/* For tests: whether the image is shown. */
gboolean           confab_media_viewer_is_loaded (ConfabMediaViewer *self);
double             confab_media_viewer_get_zoom  (ConfabMediaViewer *self);

G_END_DECLS
