/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <gio/gio.h>

#include "matrix-client.h"
#include "matrix-timeline.h"

G_BEGIN_DECLS

/**
 * MatrixMembership:
 * @MATRIX_MEMBERSHIP_JOIN: we are in the room
 * @MATRIX_MEMBERSHIP_INVITE: we are invited (see #MatrixRoom:inviter)
 * @MATRIX_MEMBERSHIP_LEAVE: we left, were kicked, or declined
 *
 * The user's membership of a room (#MatrixRoom:membership).
 */
typedef enum {
  MATRIX_MEMBERSHIP_JOIN,
  MATRIX_MEMBERSHIP_INVITE,
  MATRIX_MEMBERSHIP_LEAVE,
} MatrixMembership;

#define MATRIX_TYPE_MEMBERSHIP (matrix_membership_get_type ())
GType matrix_membership_get_type (void) G_GNUC_CONST;

#define MATRIX_TYPE_ROOM (matrix_room_get_type ())
G_DECLARE_FINAL_TYPE (MatrixRoom, matrix_room, MATRIX, ROOM, GObject)

/*
 * One room, kept up to date by the #MatrixRoomStateTracker that owns it.
 * Properties (all read-only, each notifies when it changes):
 *   room-id (string), display-name (string, never NULL; translated),
 *   topic (string, nullable), avatar-url (mxc:// string, nullable: the room's
 *   m.room.avatar, or in an unnamed room of two the other member's avatar),
 *   membership (MatrixMembership), notification-count (uint),
 *   highlight-count (uint), last-activity (int64 ms since the epoch, of the
 *   newest timeline event that bumps the room: a message, not an edit, a
 *   rename or a reaction; see matrix_room_get_last_activity(); 0 when none), last-message (nullable plain text
 *   such as "Alice: hi", from the newest m.room.message that edits no other,
 *   as its newest edit reads; never markup-escaped),
 *   inviter (user id of who invited us, nullable, for INVITE rooms),
 *   encrypted (boolean: the state has m.room.encryption; nothing is sent
 *   into it but redactions, see matrix_room_get_encrypted()),
 *   timeline (MatrixTimeline), typing-users (GStrv: who types now, never
 *   the user), fully-read (the event of the user's m.fully_read marker),
 *   direct-user-id (whom m.direct lists the room under, nullable).
 * Signal ::receipts-changed (): members' read receipts moved.
 * Signal ::state-changed (): the room's current state changed.
 */

MatrixClient     *matrix_room_get_client               (MatrixRoom          *self);
const char       *matrix_room_get_room_id              (MatrixRoom          *self);
const char       *matrix_room_get_display_name         (MatrixRoom          *self);
const char       *matrix_room_get_topic                (MatrixRoom          *self);
const char       *matrix_room_get_avatar_url           (MatrixRoom          *self);
MatrixMembership  matrix_room_get_membership           (MatrixRoom          *self);
guint             matrix_room_get_notification_count   (MatrixRoom          *self);
guint             matrix_room_get_highlight_count      (MatrixRoom          *self);
gint64            matrix_room_get_last_activity        (MatrixRoom          *self);
const char       *matrix_room_get_last_message         (MatrixRoom          *self);
const char       *matrix_room_get_inviter              (MatrixRoom          *self);
gboolean          matrix_room_get_encrypted            (MatrixRoom          *self);
MatrixTimeline   *matrix_room_get_timeline             (MatrixRoom          *self);
char             *matrix_room_dup_member_display_name  (MatrixRoom          *self,
                                                        const char          *user_id);
GStrv             matrix_room_dup_member_ids           (MatrixRoom          *self);
const char * const *matrix_room_get_typing_users       (MatrixRoom          *self);
const char       *matrix_room_get_read_receipt         (MatrixRoom          *self,
                                                        const char          *user_id);
GStrv             matrix_room_dup_readers              (MatrixRoom          *self,
                                                        const char          *event_id);
const char       *matrix_room_get_fully_read           (MatrixRoom          *self);
char             *matrix_room_dup_replacement_room     (MatrixRoom          *self,
                                                        char               **reason);
char             *matrix_room_dup_predecessor          (MatrixRoom          *self);
const char       *matrix_room_get_direct_user_id       (MatrixRoom          *self);

void              matrix_room_join_async               (MatrixRoom          *self,
                                                        GCancellable        *cancellable,
                                                        GAsyncReadyCallback  callback,
                                                        gpointer             user_data);
gboolean          matrix_room_join_finish              (MatrixRoom          *self,
                                                        GAsyncResult        *result,
                                                        GError             **error);
void              matrix_room_leave_async              (MatrixRoom          *self,
                                                        GCancellable        *cancellable,
                                                        GAsyncReadyCallback  callback,
                                                        gpointer             user_data);
gboolean          matrix_room_leave_finish             (MatrixRoom          *self,
                                                        GAsyncResult        *result,
                                                        GError             **error);
void              matrix_room_load_async               (MatrixRoom          *self,
                                                        GCancellable        *cancellable,
                                                        GAsyncReadyCallback  callback,
                                                        gpointer             user_data);
gboolean          matrix_room_load_finish              (MatrixRoom          *self,
                                                        GAsyncResult        *result,
                                                        GError             **error);
void              matrix_room_mark_read_async          (MatrixRoom          *self,
                                                        GCancellable        *cancellable,
                                                        GAsyncReadyCallback  callback,
                                                        gpointer             user_data);
gboolean          matrix_room_mark_read_finish         (MatrixRoom          *self,
                                                        GAsyncResult        *result,
                                                        GError             **error);

G_END_DECLS
