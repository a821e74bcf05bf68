/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <gio/gio.h>
#include <json-glib/json-glib.h>

#include "matrix-client.h"
#include "matrix-media-cache.h"
#include "matrix-media-info.h"

G_BEGIN_DECLS

/**
 * MatrixThumbnailMethod:
 * @MATRIX_THUMBNAIL_SCALE: the whole image, scaled to fit the size asked for
 * @MATRIX_THUMBNAIL_CROP: the size asked for, filled and cropped
 *
 * How a server makes a thumbnail: see matrix_media_get_thumbnail_async().
 */
typedef enum {
  MATRIX_THUMBNAIL_SCALE,
  MATRIX_THUMBNAIL_CROP,
} MatrixThumbnailMethod;

#define MATRIX_TYPE_THUMBNAIL_METHOD (matrix_thumbnail_method_get_type ())
GType matrix_thumbnail_method_get_type (void) G_GNUC_CONST;

#define MATRIX_TYPE_MEDIA (matrix_media_get_type ())
G_DECLARE_FINAL_TYPE (MatrixMedia, matrix_media, MATRIX, MEDIA, GObject)

MatrixMedia      *matrix_media_new                   (MatrixClient          *client,
                                                      MatrixMediaCache      *cache);
MatrixClient     *matrix_media_get_client            (MatrixMedia           *self);
MatrixMediaCache *matrix_media_get_cache             (MatrixMedia           *self);

void              matrix_media_download_async        (MatrixMedia           *self,
                                                      const char            *mxc_uri,
                                                      guint64                max_size,
                                                      GCancellable          *cancellable,
                                                      GFileProgressCallback  progress_callback,
                                                      gpointer               progress_data,
                                                      GAsyncReadyCallback    callback,
                                                      gpointer               user_data);
GFile            *matrix_media_download_finish       (MatrixMedia           *self,
                                                      GAsyncResult          *result,
                                                      GError               **error);
void              matrix_media_get_thumbnail_async   (MatrixMedia           *self,
                                                      const char            *mxc_uri,
                                                      guint                  width,
                                                      guint                  height,
                                                      MatrixThumbnailMethod  method,
                                                      guint64                max_size,
                                                      GCancellable          *cancellable,
                                                      GAsyncReadyCallback    callback,
                                                      gpointer               user_data);
GFile            *matrix_media_get_thumbnail_finish  (MatrixMedia           *self,
                                                      GAsyncResult          *result,
                                                      GError               **error);

void              matrix_media_get_upload_limit_async  (MatrixMedia         *self,
                                                        GCancellable        *cancellable,
                                                        GAsyncReadyCallback  callback,
                                                        gpointer             user_data);
gboolean          matrix_media_get_upload_limit_finish (MatrixMedia         *self,
                                                        GAsyncResult        *result,
                                                        guint64             *limit,
                                                        GError             **error);
void              matrix_media_upload_async          (MatrixMedia           *self,
                                                      GFile                 *file,
                                                      const char            *content_type,
                                                      const char            *filename,
                                                      GCancellable          *cancellable,
                                                      GFileProgressCallback  progress_callback,
                                                      gpointer               progress_data,
                                                      GAsyncReadyCallback    callback,
                                                      gpointer               user_data);
char             *matrix_media_upload_finish         (MatrixMedia           *self,
                                                      GAsyncResult          *result,
                                                      GError               **error);

void              matrix_media_download_encrypted_async  (MatrixMedia           *self,
                                                          JsonObject            *encrypted_file,
                                                          guint64                max_size,
                                                          GCancellable          *cancellable,
                                                          GFileProgressCallback  progress_callback,
                                                          gpointer               progress_data,
                                                          GAsyncReadyCallback    callback,
                                                          gpointer               user_data);
GFile            *matrix_media_download_encrypted_finish (MatrixMedia           *self,
                                                          GAsyncResult          *result,
                                                          GError               **error);
void              matrix_media_upload_encrypted_async    (MatrixMedia           *self,
                                                          GFile                 *file,
                                                          GCancellable          *cancellable,
                                                          GFileProgressCallback  progress_callback,
                                                          gpointer               progress_data,
                                                          GAsyncReadyCallback    callback,
                                                          gpointer               user_data);
JsonObject       *matrix_media_upload_encrypted_finish   (MatrixMedia           *self,
                                                          GAsyncResult          *result,
                                                          GError               **error);
void              matrix_media_download_for_info_async   (MatrixMedia           *self,
                                                          MatrixMediaInfo       *info,
                                                          guint64                max_size,
                                                          GCancellable          *cancellable,
                                                          GFileProgressCallback  progress_callback,
                                                          gpointer               progress_data,
                                                          GAsyncReadyCallback    callback,
                                                          gpointer               user_data);
GFile            *matrix_media_download_for_info_finish  (MatrixMedia           *self,
                                                          GAsyncResult          *result,
                                                          GError               **error);
void              matrix_media_get_thumbnail_for_info_async  (MatrixMedia           *self,
                                                              MatrixMediaInfo       *info,
                                                              guint                  width,
                                                              guint                  height,
                                                              MatrixThumbnailMethod  method,
                                                              guint64                max_size,
                                                              GCancellable          *cancellable,
                                                              GAsyncReadyCallback    callback,
                                                              gpointer               user_data);
GFile            *matrix_media_get_thumbnail_for_info_finish (MatrixMedia           *self,
                                                              GAsyncResult          *result,
                                                              GError               **error);

G_END_DECLS
