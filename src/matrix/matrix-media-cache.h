/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

#define MATRIX_TYPE_MEDIA_CACHE (matrix_media_cache_get_type ())
G_DECLARE_FINAL_TYPE (MatrixMediaCache, matrix_media_cache, MATRIX, MEDIA_CACHE, GObject)

MatrixMediaCache *matrix_media_cache_new           (const char        *directory,
                                                    guint64            max_size);
const char       *matrix_media_cache_get_directory (MatrixMediaCache  *self);
guint64           matrix_media_cache_get_max_size  (MatrixMediaCache  *self);
void              matrix_media_cache_set_max_size  (MatrixMediaCache  *self,
                                                    guint64            max_size);
guint64           matrix_media_cache_get_size      (MatrixMediaCache  *self);

void              matrix_media_cache_lookup_async  (MatrixMediaCache    *self,
                                                    const char          *key,
                                                    GCancellable        *cancellable,
                                                    GAsyncReadyCallback  callback,
                                                    gpointer             user_data);
GFile            *matrix_media_cache_lookup_finish (MatrixMediaCache    *self,
                                                    GAsyncResult        *result,
                                                    GError             **error);
void              matrix_media_cache_trim_async    (MatrixMediaCache    *self,
                                                    GCancellable        *cancellable,
                                                    GAsyncReadyCallback  callback,
                                                    gpointer             user_data);
gboolean          matrix_media_cache_trim_finish   (MatrixMediaCache    *self,
                                                    GAsyncResult        *result,
                                                    GError             **error);

G_END_DECLS
