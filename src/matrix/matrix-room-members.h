/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <gio/gio.h>

#include "matrix-power-levels.h"
#include "matrix-room.h"

G_BEGIN_DECLS

/**
 * MatrixMemberAction:
 * @MATRIX_MEMBER_ACTION_KICK: remove a member from the room (`/kick`)
 * @MATRIX_MEMBER_ACTION_BAN: remove and ban a user (`/ban`)
 * @MATRIX_MEMBER_ACTION_UNBAN: lift a ban (`/unban`)
 *
 * What a moderator does to a member: see matrix_room_moderate_async().
 */
typedef enum {
  MATRIX_MEMBER_ACTION_KICK,
  MATRIX_MEMBER_ACTION_BAN,
  MATRIX_MEMBER_ACTION_UNBAN,
} MatrixMemberAction;

#define MATRIX_TYPE_MEMBER_ACTION (matrix_member_action_get_type ())
GType matrix_member_action_get_type (void) G_GNUC_CONST;

#define MATRIX_TYPE_ROOM_MEMBER (matrix_room_member_get_type ())
G_DECLARE_FINAL_TYPE (MatrixRoomMember, matrix_room_member, MATRIX, ROOM_MEMBER, GObject)

const char      *matrix_room_member_get_user_id      (MatrixRoomMember *self);
const char      *matrix_room_member_get_display_name (MatrixRoomMember *self);
const char      *matrix_room_member_get_avatar_url   (MatrixRoomMember *self);
const char      *matrix_room_member_get_membership   (MatrixRoomMember *self);
gint64           matrix_room_member_get_power_level  (MatrixRoomMember *self);
MatrixPowerRole  matrix_room_member_get_role         (MatrixRoomMember *self);

#define MATRIX_TYPE_ROOM_MEMBERS (matrix_room_members_get_type ())
G_DECLARE_FINAL_TYPE (MatrixRoomMembers, matrix_room_members, MATRIX, ROOM_MEMBERS, GObject)

MatrixRoomMembers *matrix_room_members_new              (MatrixRoom          *room);
MatrixRoom        *matrix_room_members_get_room         (MatrixRoomMembers   *self);
gboolean           matrix_room_members_get_loaded       (MatrixRoomMembers   *self);
guint              matrix_room_members_get_n_members    (MatrixRoomMembers   *self);
const char        *matrix_room_members_get_search       (MatrixRoomMembers   *self);
void               matrix_room_members_set_search       (MatrixRoomMembers   *self,
                                                         const char          *search);
MatrixPowerLevels *matrix_room_members_get_power_levels (MatrixRoomMembers   *self);
MatrixRoomMember  *matrix_room_members_find             (MatrixRoomMembers   *self,
                                                         const char          *user_id);
void               matrix_room_members_load_async       (MatrixRoomMembers   *self,
                                                         const char          *membership,
                                                         GCancellable        *cancellable,
                                                         GAsyncReadyCallback  callback,
                                                         gpointer             user_data);
gboolean           matrix_room_members_load_finish      (MatrixRoomMembers   *self,
                                                         GAsyncResult        *result,
                                                         GError             **error);

MatrixPowerLevels *matrix_room_dup_power_levels         (MatrixRoom          *room);
char              *matrix_room_dup_member_membership    (MatrixRoom          *room,
                                                         const char          *user_id);
void               matrix_room_invite_async             (MatrixRoom          *room,
                                                         const char          *user_id,
                                                         GCancellable        *cancellable,
                                                         GAsyncReadyCallback  callback,
                                                         gpointer             user_data);
gboolean           matrix_room_invite_finish            (MatrixRoom          *room,
                                                         GAsyncResult        *result,
                                                         GError             **error);
void               matrix_room_moderate_async           (MatrixRoom          *room,
                                                         MatrixMemberAction   action,
                                                         const char          *user_id,
                                                         const char          *reason,
                                                         GCancellable        *cancellable,
                                                         GAsyncReadyCallback  callback,
                                                         gpointer             user_data);
gboolean           matrix_room_moderate_finish          (MatrixRoom          *room,
                                                         GAsyncResult        *result,
                                                         GError             **error);
void               matrix_room_set_user_power_level_async  (MatrixRoom          *room,
                                                            const char          *user_id,
                                                            gint64               level,
                                                            GCancellable        *cancellable,
                                                            GAsyncReadyCallback  callback,
                                                            gpointer             user_data);
gboolean           matrix_room_set_user_power_level_finish (MatrixRoom          *room,
                                                            GAsyncResult        *result,
                                                            GError             **error);

gboolean           matrix_user_id_is_valid              (const char          *user_id);

G_END_DECLS
