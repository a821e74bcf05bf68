/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <gio/gio.h>
#include <json-glib/json-glib.h>

#include "matrix-client.h"
#include "matrix-room-state-tracker.h"

G_BEGIN_DECLS

/**
 * MatrixDirectChats:
 *
 * The user's `m.direct` account data, validated: which rooms are direct
 * chats with whom.
 */
typedef struct _MatrixDirectChats MatrixDirectChats;

#define MATRIX_TYPE_DIRECT_CHATS (matrix_direct_chats_get_type ())
GType              matrix_direct_chats_get_type         (void) G_GNUC_CONST;

MatrixDirectChats *matrix_direct_chats_new              (JsonObject          *content);
MatrixDirectChats *matrix_direct_chats_ref              (MatrixDirectChats   *self);
void               matrix_direct_chats_unref            (MatrixDirectChats   *self);
GStrv              matrix_direct_chats_dup_users        (MatrixDirectChats   *self);
GStrv              matrix_direct_chats_dup_rooms        (MatrixDirectChats   *self,
                                                         const char          *user_id);
const char        *matrix_direct_chats_get_user_for_room (MatrixDirectChats  *self,
                                                          const char         *room_id);
gboolean           matrix_direct_chats_add              (MatrixDirectChats   *self,
                                                         const char          *user_id,
                                                         const char          *room_id);
JsonObject        *matrix_direct_chats_dup_content      (MatrixDirectChats   *self);

void               matrix_client_get_direct_chats_async  (MatrixClient        *self,
                                                          GCancellable        *cancellable,
                                                          GAsyncReadyCallback  callback,
                                                          gpointer             user_data);
MatrixDirectChats *matrix_client_get_direct_chats_finish (MatrixClient        *self,
                                                          GAsyncResult        *result,
                                                          GError             **error);
void               matrix_client_add_direct_chat_async   (MatrixClient        *self,
                                                          const char          *user_id,
                                                          const char          *room_id,
                                                          GCancellable        *cancellable,
                                                          GAsyncReadyCallback  callback,
                                                          gpointer             user_data);
gboolean           matrix_client_add_direct_chat_finish  (MatrixClient        *self,
                                                          GAsyncResult        *result,
                                                          GError             **error);
MatrixDirectChats *matrix_room_state_tracker_get_direct_chats (MatrixRoomStateTracker *self);
void               matrix_room_state_tracker_start_direct_chat_async  (MatrixRoomStateTracker *self,
                                                                       const char             *user_id,
                                                                       GCancellable           *cancellable,
                                                                       GAsyncReadyCallback     callback,
                                                                       gpointer                user_data);
char              *matrix_room_state_tracker_start_direct_chat_finish (MatrixRoomStateTracker *self,
                                                                       GAsyncResult           *result,
                                                                       gboolean               *created,
                                                                       GError                **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (MatrixDirectChats, matrix_direct_chats_unref)

G_END_DECLS
