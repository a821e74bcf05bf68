/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <adwaita.h>

#include "matrix.h"

G_BEGIN_DECLS

#define CONFAB_TYPE_ROOM_ROW (confab_room_row_get_type ())
G_DECLARE_FINAL_TYPE (ConfabRoomRow, confab_room_row, CONFAB, ROOM_ROW, GtkWidget)

GtkWidget  *confab_room_row_new      (void);
MatrixRoom *confab_room_row_get_room (ConfabRoomRow *self);
void        confab_room_row_set_room (ConfabRoomRow *self,
                                      MatrixRoom    *room);

G_END_DECLS
