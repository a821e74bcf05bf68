/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <adwaita.h>

#include "matrix.h"

G_BEGIN_DECLS

#define CONFAB_TYPE_TOMBSTONE_BAR (confab_tombstone_bar_get_type ())
G_DECLARE_FINAL_TYPE (ConfabTombstoneBar, confab_tombstone_bar, CONFAB, TOMBSTONE_BAR, AdwBin)

/* Where the composer was, in a room that was upgraded: "This room has been
 * replaced" and a button that opens (joining if need be) its successor
 * through win.open-room. Visible only while the room has a tombstone. */
GtkWidget  *confab_tombstone_bar_new          (void);
void        confab_tombstone_bar_set_room     (ConfabTombstoneBar *self,
                                               MatrixRoom         *room);
/* The successor's id while shown, else NULL. */
const char *confab_tombstone_bar_get_successor (ConfabTombstoneBar *self);

G_END_DECLS
