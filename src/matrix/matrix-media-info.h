/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <gio/gio.h>
#include <json-glib/json-glib.h>

#include "matrix-timeline-item.h"

G_BEGIN_DECLS

#define MATRIX_TYPE_MEDIA_INFO (matrix_media_info_get_type ())
G_DECLARE_FINAL_TYPE (MatrixMediaInfo, matrix_media_info, MATRIX, MEDIA_INFO, GObject)

MatrixMediaInfo *matrix_media_info_new                  (const char       *msgtype,
                                                         const char       *body,
                                                         const char       *mxc_uri);
MatrixMediaInfo *matrix_media_info_new_encrypted        (const char       *msgtype,
                                                         const char       *body,
                                                         JsonObject       *encrypted_file);
MatrixMediaInfo *matrix_media_info_new_from_content     (const char       *event_type,
                                                         JsonObject       *content,
                                                         GError          **error);
MatrixMediaInfo *matrix_media_info_new_for_item         (MatrixTimelineItem *item,
                                                         GError          **error);
JsonObject      *matrix_media_info_to_content           (MatrixMediaInfo  *self);

const char      *matrix_media_info_get_msgtype          (MatrixMediaInfo  *self);
const char      *matrix_media_info_get_body             (MatrixMediaInfo  *self);
const char      *matrix_media_info_get_url              (MatrixMediaInfo  *self);
const char      *matrix_media_info_get_filename         (MatrixMediaInfo  *self);
void             matrix_media_info_set_filename         (MatrixMediaInfo  *self,
                                                         const char       *filename);
const char      *matrix_media_info_get_mimetype         (MatrixMediaInfo  *self);
void             matrix_media_info_set_mimetype         (MatrixMediaInfo  *self,
                                                         const char       *mimetype);
gint64           matrix_media_info_get_size             (MatrixMediaInfo  *self);
void             matrix_media_info_set_size             (MatrixMediaInfo  *self,
                                                         gint64            size);
guint            matrix_media_info_get_width            (MatrixMediaInfo  *self);
guint            matrix_media_info_get_height           (MatrixMediaInfo  *self);
void             matrix_media_info_set_dimensions       (MatrixMediaInfo  *self,
                                                         guint             width,
                                                         guint             height);
gint64           matrix_media_info_get_duration_ms      (MatrixMediaInfo  *self);
void             matrix_media_info_set_duration_ms      (MatrixMediaInfo  *self,
                                                         gint64            duration_ms);
const char      *matrix_media_info_get_thumbnail_url    (MatrixMediaInfo  *self);
guint            matrix_media_info_get_thumbnail_width  (MatrixMediaInfo  *self);
guint            matrix_media_info_get_thumbnail_height (MatrixMediaInfo  *self);
void             matrix_media_info_set_thumbnail        (MatrixMediaInfo  *self,
                                                         const char       *mxc_uri,
                                                         const char       *mimetype,
                                                         gint64            size,
                                                         guint             width,
                                                         guint             height);
JsonObject      *matrix_media_info_get_encrypted_file   (MatrixMediaInfo  *self);
void             matrix_media_info_set_encrypted_file   (MatrixMediaInfo  *self,
                                                         JsonObject       *encrypted_file);
JsonObject      *matrix_media_info_get_thumbnail_encrypted_file (MatrixMediaInfo *self);
void             matrix_media_info_set_thumbnail_encrypted_file (MatrixMediaInfo *self,
                                                                 JsonObject      *encrypted_file);

const char      *matrix_media_info_get_blurhash         (MatrixMediaInfo  *self);
void             matrix_media_info_set_blurhash         (MatrixMediaInfo  *self,
                                                         const char       *blurhash);

G_END_DECLS
