/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <adwaita.h>

#include "matrix.h"

G_BEGIN_DECLS

#define CONFAB_TYPE_ROOM_DETAILS (confab_room_details_get_type ())
G_DECLARE_FINAL_TYPE (ConfabRoomDetails, confab_room_details, CONFAB, ROOM_DETAILS, AdwWindow)

/* A room's details: name, topic (editable where the power levels allow),
 * "Invite People" when the user may invite,
 * and the member list (loaded when the window opens: avatars, names,
 * Admin/Moderator badges, a search), each member with what the user may do
 * to them: message them; for moderators kick, ban or unban with a reason,
 * and change their power level. */
GtkWidget         *confab_room_details_new                (GtkWindow          *parent,
                                                           MatrixRoom         *room,
                                                           MatrixRoomStateTracker *tracker);
/* The room's notification level as shown (from @tracker's push rules);
 * setting it changes the push rules, as choosing in the dropdown does. */
MatrixNotifyLevel  confab_room_details_get_notify_level   (ConfabRoomDetails  *self);
void               confab_room_details_set_notify_level   (ConfabRoomDetails  *self,
                                                           MatrixNotifyLevel   level);
MatrixRoomMembers *confab_room_details_get_members        (ConfabRoomDetails  *self);
/* The actions the member list offers for @user_id ("details.message",
 * "details.kick", ...; "details.set-level" once per level offered, as
 * "details.set-level:N"), in menu order. */
GStrv              confab_room_details_dup_offered        (ConfabRoomDetails  *self,
                                                           const char         *user_id);
/* Whether the name or topic can be changed here (the power levels allow). */
gboolean           confab_room_details_get_editable       (ConfabRoomDetails  *self);
/* Types @name and @topic (either may be NULL) and saves, as Save does. */
void               confab_room_details_edit               (ConfabRoomDetails  *self,
                                                           const char         *name,
                                                           const char         *topic);
/* Sets the member search, as typing in its entry does. */
void               confab_room_details_search             (ConfabRoomDetails  *self,
                                                           const char         *text);

G_END_DECLS
