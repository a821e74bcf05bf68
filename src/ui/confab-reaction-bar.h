/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <adwaita.h>

#include "matrix.h"

G_BEGIN_DECLS

#define CONFAB_TYPE_REACTION_BAR (confab_reaction_bar_get_type ())
G_DECLARE_FINAL_TYPE (ConfabReactionBar, confab_reaction_bar, CONFAB, REACTION_BAR, GtkWidget)

GtkWidget *confab_reaction_bar_new      (void);
/* Shows the reactions to @item (hidden while there are none). */
void       confab_reaction_bar_set_item (ConfabReactionBar  *self,
                                         MatrixRoom         *room,
                                         MatrixTimelineItem *item);

/* Adds the user's @key reaction to @item, or takes it back if they have
 * already reacted with it. */
void       confab_toggle_reaction       (MatrixRoom         *room,
                                         MatrixTimelineItem *item,
                                         const char         *key);

G_END_DECLS
