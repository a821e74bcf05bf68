/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "matrix-client.h"
#include "matrix-event.h"
#include "matrix-room.h"

G_BEGIN_DECLS

#define MATRIX_TYPE_ROOM_STATE_TRACKER (matrix_room_state_tracker_get_type ())
G_DECLARE_FINAL_TYPE (MatrixRoomStateTracker, matrix_room_state_tracker,
                      MATRIX, ROOM_STATE_TRACKER, GObject)

/*
 * The tracker is also a #GListModel of #MatrixRoom: joined and invited rooms,
 * newest activity first (invites by the time they arrived), updated live.
 * Left rooms are removed. On construction it restores the rooms the client's
 * store knows, so they show before the first sync answers.
 */

MatrixRoomStateTracker *matrix_room_state_tracker_new                    (MatrixClient           *client);
MatrixClient           *matrix_room_state_tracker_get_client             (MatrixRoomStateTracker *self);
MatrixStateEvent       *matrix_room_state_tracker_get_state              (MatrixRoomStateTracker *self,
                                                                          const char             *room_id,
                                                                          const char             *event_type,
                                                                          const char             *state_key);
GHashTable             *matrix_room_state_tracker_get_all_state_for_type (MatrixRoomStateTracker *self,
                                                                          const char             *room_id,
                                                                          const char             *event_type);
MatrixRoom             *matrix_room_state_tracker_get_room               (MatrixRoomStateTracker *self,
                                                                          const char             *room_id);

JsonObject             *matrix_room_state_tracker_get_push_rules         (MatrixRoomStateTracker *self);

G_END_DECLS
