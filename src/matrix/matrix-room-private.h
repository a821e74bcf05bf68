/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "matrix-room.h"

G_BEGIN_DECLS

/* The tracker owns the rooms and feeds them what a sync brings. */
MatrixRoom *_matrix_room_new              (MatrixClient *client,
                                           const char   *room_id);
/* Restores membership, summary, counts, invite and timeline from the store;
 * FALSE when the store says we left the room. */
gboolean    _matrix_room_restore          (MatrixRoom   *self);
/* The store has loaded the rest of the room: its timeline can be restored. */
void        _matrix_room_loaded           (MatrixRoom   *self);
/* The room's state changed in the store. */
void        _matrix_room_state_changed    (MatrixRoom   *self);
void        _matrix_room_append_timeline  (MatrixRoom   *self,
                                           GPtrArray    *events,
                                           gboolean      limited,
                                           const char   *prev_batch);
void        _matrix_room_update_summary   (MatrixRoom   *self,
                                           JsonObject   *summary,
                                           JsonObject   *unread_notifications);
void        _matrix_room_set_invite       (MatrixRoom   *self,
                                           GPtrArray    *stripped_state);
void        _matrix_room_set_membership   (MatrixRoom   *self,
                                           MatrixMembership membership);

G_END_DECLS
