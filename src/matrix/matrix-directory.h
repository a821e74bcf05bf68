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

#define MATRIX_TYPE_PUBLIC_ROOM (matrix_public_room_get_type ())
G_DECLARE_FINAL_TYPE (MatrixPublicRoom, matrix_public_room, MATRIX, PUBLIC_ROOM, GObject)

const char        *matrix_public_room_get_room_id       (MatrixPublicRoom    *self);
const char        *matrix_public_room_get_name          (MatrixPublicRoom    *self);
const char        *matrix_public_room_get_topic         (MatrixPublicRoom    *self);
const char        *matrix_public_room_get_alias         (MatrixPublicRoom    *self);
const char        *matrix_public_room_get_avatar_url    (MatrixPublicRoom    *self);
guint              matrix_public_room_get_n_members     (MatrixPublicRoom    *self);

void               matrix_client_get_public_rooms_async  (MatrixClient        *self,
                                                          const char          *search_term,
                                                          guint                limit,
                                                          const char          *since,
                                                          GCancellable        *cancellable,
                                                          GAsyncReadyCallback  callback,
                                                          gpointer             user_data);
GPtrArray         *matrix_client_get_public_rooms_finish (MatrixClient        *self,
                                                          GAsyncResult        *result,
                                                          char               **next_batch,
                                                          GError             **error);

G_END_DECLS
