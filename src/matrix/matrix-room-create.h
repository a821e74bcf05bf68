/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <gio/gio.h>

#include "matrix-client.h"

G_BEGIN_DECLS

typedef struct _MatrixRoomCreateOptions MatrixRoomCreateOptions;

#define MATRIX_TYPE_ROOM_CREATE_OPTIONS (matrix_room_create_options_get_type ())
GType                    matrix_room_create_options_get_type      (void) G_GNUC_CONST;

MatrixRoomCreateOptions *matrix_room_create_options_new           (void);
MatrixRoomCreateOptions *matrix_room_create_options_ref           (MatrixRoomCreateOptions *self);
void                     matrix_room_create_options_unref         (MatrixRoomCreateOptions *self);

void                     matrix_room_create_options_set_name      (MatrixRoomCreateOptions *self,
                                                                   const char              *name);
const char              *matrix_room_create_options_get_name      (MatrixRoomCreateOptions *self);
void                     matrix_room_create_options_set_topic     (MatrixRoomCreateOptions *self,
                                                                   const char              *topic);
const char              *matrix_room_create_options_get_topic     (MatrixRoomCreateOptions *self);
void                     matrix_room_create_options_set_alias_localpart (MatrixRoomCreateOptions *self,
                                                                         const char              *localpart);
const char              *matrix_room_create_options_get_alias_localpart (MatrixRoomCreateOptions *self);
void                     matrix_room_create_options_set_public    (MatrixRoomCreateOptions *self,
                                                                   gboolean                 public_);
gboolean                 matrix_room_create_options_get_public    (MatrixRoomCreateOptions *self);
void                     matrix_room_create_options_set_encrypted (MatrixRoomCreateOptions *self,
                                                                   gboolean                 encrypted);
gboolean                 matrix_room_create_options_get_encrypted (MatrixRoomCreateOptions *self);
void                     matrix_room_create_options_add_invite    (MatrixRoomCreateOptions *self,
                                                                   const char              *user_id);
const char * const      *matrix_room_create_options_get_invites   (MatrixRoomCreateOptions *self);
gboolean                 matrix_room_create_options_validate      (MatrixRoomCreateOptions *self,
                                                                   GError                 **error);

gboolean                 matrix_room_alias_localpart_is_valid     (const char              *localpart);
gboolean                 matrix_room_alias_is_valid               (const char              *alias);
char                    *matrix_client_dup_room_alias             (MatrixClient            *self,
                                                                   const char              *localpart);

void                     matrix_client_create_room_with_options_async  (MatrixClient            *self,
                                                                        MatrixRoomCreateOptions *options,
                                                                        GCancellable            *cancellable,
                                                                        GAsyncReadyCallback      callback,
                                                                        gpointer                 user_data);
char                    *matrix_client_create_room_with_options_finish (MatrixClient            *self,
                                                                        GAsyncResult            *result,
                                                                        GError                 **error);
void                     matrix_client_resolve_room_alias_async   (MatrixClient            *self,
                                                                   const char              *alias,
                                                                   GCancellable            *cancellable,
                                                                   GAsyncReadyCallback      callback,
                                                                   gpointer                 user_data);
char                    *matrix_client_resolve_room_alias_finish  (MatrixClient            *self,
                                                                   GAsyncResult            *result,
                                                                   GError                 **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (MatrixRoomCreateOptions, matrix_room_create_options_unref)

G_END_DECLS
