/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "confab-event-row.h"

G_BEGIN_DECLS

/* The quick reactions the menu offers, before the emoji chooser. */
extern const char * const confab_quick_reactions[];

/* Gives @row its message menu: a right click, a long press, the Menu key
 * and Shift+F10 open it, and the "message" actions it shows (reply, edit,
 * react, delete, copy-text, copy-link, view-source) act on the row's item. */
void confab_event_row_menu_attach (ConfabEventRow *row);
/* Opens @row's menu, pointing at (@x, @y) in @row's coordinates, or at the
 * row if @x is negative. */
void confab_event_row_menu_popup  (ConfabEventRow *row,
                                 double          x,
                                 double          y);
/* The "message" actions of @row's menu. */
GActionGroup *confab_event_row_menu_get_actions (ConfabEventRow *row);
/* The link to @event_id in @room_id that any Matrix client opens. */
char *confab_message_link       (const char     *room_id,
                                 const char     *event_id);

G_END_DECLS
