/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "matrix-client.h"
#include "matrix-event.h"

G_BEGIN_DECLS

#define MATRIX_TYPE_ROOM_STATE_TRACKER (matrix_room_state_tracker_get_type ())
G_DECLARE_FINAL_TYPE (MatrixRoomStateTracker, matrix_room_state_tracker,
                      MATRIX, ROOM_STATE_TRACKER, GObject)

MatrixRoomStateTracker *matrix_room_state_tracker_new                    (MatrixClient           *client);
MatrixClient           *matrix_room_state_tracker_get_client             (MatrixRoomStateTracker *self);
MatrixStateEvent       *matrix_room_state_tracker_get_state              (MatrixRoomStateTracker *self,
                                                                          const char             *room_id,
                                                                          const char             *event_type,
                                                                          const char             *state_key);
GHashTable             *matrix_room_state_tracker_get_all_state_for_type (MatrixRoomStateTracker *self,
                                                                          const char             *room_id,
                                                                          const char             *event_type);

G_END_DECLS
