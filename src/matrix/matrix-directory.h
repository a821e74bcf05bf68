/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <gio/gio.h>

#include "matrix-client.h"

G_BEGIN_DECLS

#define MATRIX_TYPE_USER_PROFILE (matrix_user_profile_get_type ())
G_DECLARE_FINAL_TYPE (MatrixUserProfile, matrix_user_profile, MATRIX, USER_PROFILE, GObject)

MatrixUserProfile *matrix_user_profile_new              (const char          *user_id,
                                                         const char          *display_name,
                                                         const char          *avatar_url);
const char        *matrix_user_profile_get_user_id      (MatrixUserProfile   *self);
const char        *matrix_user_profile_get_display_name (MatrixUserProfile   *self);
const char        *matrix_user_profile_get_avatar_url   (MatrixUserProfile   *self);

void               matrix_client_search_users_async     (MatrixClient        *self,
                                                         const char          *search_term,
                                                         guint                limit,
                                                         GCancellable        *cancellable,
                                                         GAsyncReadyCallback  callback,
                                                         gpointer             user_data);
GPtrArray         *matrix_client_search_users_finish    (MatrixClient        *self,
                                                         GAsyncResult        *result,
                                                         gboolean            *limited,
                                                         GError             **error);

G_END_DECLS
