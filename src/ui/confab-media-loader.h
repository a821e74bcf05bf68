/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gtk/gtk.h>

#include "matrix.h"

G_BEGIN_DECLS

#define CONFAB_TYPE_MEDIA_LOADER (confab_media_loader_get_type ())
G_DECLARE_FINAL_TYPE (ConfabMediaLoader, confab_media_loader, CONFAB, MEDIA_LOADER, GObject)

/* Largest file downloaded to be shown as an image, or opened or saved. */
#define CONFAB_MEDIA_MAX_IMAGE_DOWNLOAD  (50 * 1024 * 1024)
#define CONFAB_MEDIA_MAX_FILE_DOWNLOAD   ((guint64) 2 * 1024 * 1024 * 1024)
/* The decoded thumbnails kept in memory, in bytes of pixels. */
#define CONFAB_MEDIA_MEMORY_CACHE_BYTES  (64 * 1024 * 1024)

GSettings         *confab_media_settings                 (void);
ConfabMediaLoader *confab_media_loader_for_client        (MatrixClient         *client);
MatrixMedia       *confab_media_loader_get_media         (ConfabMediaLoader    *self);
guint64            confab_media_loader_get_memory_size   (ConfabMediaLoader    *self);
GdkTexture        *confab_media_loader_lookup_image      (ConfabMediaLoader    *self,
                                                          MatrixMediaInfo      *info,
                                                          guint                 fit_size);
void               confab_media_loader_load_image_async  (ConfabMediaLoader    *self,
                                                          MatrixMediaInfo      *info,
                                                          guint                 fit_size,
                                                          GCancellable         *cancellable,
                                                          GAsyncReadyCallback   callback,
                                                          gpointer              user_data);
GdkTexture        *confab_media_loader_load_image_finish (ConfabMediaLoader    *self,
                                                          GAsyncResult         *result,
                                                          GError              **error);

char              *confab_media_suggested_name           (MatrixMediaInfo      *info);

G_END_DECLS
