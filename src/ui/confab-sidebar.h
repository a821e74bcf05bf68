/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <adwaita.h>

#include "matrix.h"

G_BEGIN_DECLS

#define CONFAB_TYPE_SIDEBAR (confab_sidebar_get_type ())
G_DECLARE_FINAL_TYPE (ConfabSidebar, confab_sidebar, CONFAB, SIDEBAR, AdwBin)

/*
 * ::room-selected (MatrixRoom *room)
 *   The list's selection moved to @room: the user chose it, or it follows
 *   the room the window opened.
 */

GtkWidget  *confab_sidebar_new              (void);
/* Lists the rooms of @tracker (NULL: none). */
void        confab_sidebar_set_tracker      (ConfabSidebar          *self,
                                             MatrixRoomStateTracker *tracker);
/* The joined rooms as shown: activity order, search applied. */
GListModel *confab_sidebar_get_joined_rooms (ConfabSidebar          *self);
/* Whether the list view holds every joined room: it gets a screenful for
 * its first frame, and the rest over the next frames. */
gboolean    confab_sidebar_get_rooms_listed (ConfabSidebar          *self);
/* Moves the selection to @room, if it is listed. */
void        confab_sidebar_select_room      (ConfabSidebar          *self,
                                             MatrixRoom             *room);
void        confab_sidebar_unselect         (ConfabSidebar          *self);
void        confab_sidebar_clear_search     (ConfabSidebar          *self);
/* Opens the search bar and focuses its entry. */
void        confab_sidebar_start_search     (ConfabSidebar          *self);
/* Lists only direct chats (the "Direct Chats" toggle), or every room. */
void        confab_sidebar_set_direct_only  (ConfabSidebar          *self,
                                             gboolean                direct_only);
/* Sorts rooms into joined and invited again: memberships may have changed. */
void        confab_sidebar_refilter         (ConfabSidebar          *self);

G_END_DECLS
