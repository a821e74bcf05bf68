/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <adwaita.h>

#include "matrix.h"

G_BEGIN_DECLS

#define CONFAB_TYPE_EXPLORE_DIALOG (confab_explore_dialog_get_type ())
G_DECLARE_FINAL_TYPE (ConfabExploreDialog, confab_explore_dialog, CONFAB, EXPLORE_DIALOG, AdwWindow)

/* "Explore Public Rooms": the server's public room directory, searched as
 * one types, a page at a time ("Load More"); choosing a room joins and
 * opens it through win.open-room of @parent. */
GtkWidget *confab_explore_dialog_new    (GtkWindow           *parent,
                                         MatrixClient        *client);
void       confab_explore_dialog_search (ConfabExploreDialog *self,
                                         const char          *text);
/* The room ids listed, top to bottom. */
GStrv      confab_explore_dialog_dup_listed (ConfabExploreDialog *self);
/* Joins and opens @room_id, as activating its row does. */
void       confab_explore_dialog_choose (ConfabExploreDialog *self,
                                         const char          *room_id);

G_END_DECLS
