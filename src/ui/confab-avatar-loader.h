/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gtk/gtk.h>

#include "matrix.h"

G_BEGIN_DECLS

#define CONFAB_TYPE_AVATAR_LOADER (confab_avatar_loader_get_type ())
G_DECLARE_FINAL_TYPE (ConfabAvatarLoader, confab_avatar_loader, CONFAB, AVATAR_LOADER, GObject)

/* Largest width or height of an image the loader decodes at all. */
#define CONFAB_AVATAR_MAX_IMAGE_SIDE 4096

ConfabAvatarLoader *confab_avatar_loader_for_client  (MatrixClient         *client);
void                confab_avatar_loader_cancel_for_client (MatrixClient   *client);
GdkPaintable       *confab_avatar_loader_lookup      (ConfabAvatarLoader   *self,
                                                      const char           *mxc_uri,
                                                      guint                 size);
void                confab_avatar_loader_load_async  (ConfabAvatarLoader   *self,
                                                      const char           *mxc_uri,
                                                      guint                 size,
                                                      GCancellable         *cancellable,
                                                      GAsyncReadyCallback   callback,
                                                      gpointer              user_data);
GdkPaintable       *confab_avatar_loader_load_finish (ConfabAvatarLoader   *self,
                                                      GAsyncResult         *result,
                                                      GError              **error);

G_END_DECLS
