/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <adwaita.h>

#include "matrix.h"

G_BEGIN_DECLS

#define CONFAB_TYPE_PEOPLE_DIALOG (confab_people_dialog_get_type ())
G_DECLARE_FINAL_TYPE (ConfabPeopleDialog, confab_people_dialog, CONFAB, PEOPLE_DIALOG, AdwWindow)

/* "Start a Chat": search the user directory as one types (or take a full
 * Matrix id); choosing someone opens the direct chat with them, reused or
 * created, through win.open-room of @parent. */
GtkWidget *confab_people_dialog_new_start_chat (GtkWindow              *parent,
                                                MatrixRoomStateTracker *tracker);
/* "Invite People" into @room: the same search; errors said in plain words. */
GtkWidget *confab_people_dialog_new_invite     (GtkWindow              *parent,
                                                MatrixRoom             *room);
/* Searches for @text at once, as typing it does after a pause. */
void       confab_people_dialog_search         (ConfabPeopleDialog     *self,
                                                const char             *text);
/* The user ids the list shows, top to bottom. */
GStrv      confab_people_dialog_dup_listed     (ConfabPeopleDialog     *self);
/* Chooses @user_id, as activating their row does. */
void       confab_people_dialog_choose         (ConfabPeopleDialog     *self,
                                                const char             *user_id);
/* The error shown, or NULL. */
const char *confab_people_dialog_get_error     (ConfabPeopleDialog     *self);

G_END_DECLS
