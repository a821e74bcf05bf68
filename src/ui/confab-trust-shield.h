/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <adwaita.h>

#include "matrix.h"

G_BEGIN_DECLS

#define CONFAB_TYPE_ROOM_SHIELD (confab_room_shield_get_type ())
G_DECLARE_FINAL_TYPE (ConfabRoomShield, confab_room_shield, CONFAB, ROOM_SHIELD, AdwBin)

/* In the room's header: a warning icon, shown while the encrypted room has
 * members with devices that are not verified (its tooltip says so). */
GtkWidget  *confab_room_shield_new      (void);
void        confab_room_shield_set_room (ConfabRoomShield *self,
                                         MatrixRoom       *room);

/* A message row's shield: @image shows a warning, with its tooltip, when
 * @item is a decrypted event from a device that is not verified (or not
 * known), and is hidden otherwise. */
void        confab_trust_shield_update  (GtkWidget          *image,
                                         MatrixTimelineItem *item);

G_END_DECLS
