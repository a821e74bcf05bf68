/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <adwaita.h>

#include "confab-uploader.h"
#include "matrix.h"

G_BEGIN_DECLS

#define CONFAB_TYPE_COMPOSER (confab_composer_get_type ())
G_DECLARE_FINAL_TYPE (ConfabComposer, confab_composer, CONFAB, COMPOSER, GtkWidget)

GtkWidget  *confab_composer_new        (void);
MatrixRoom *confab_composer_get_room   (ConfabComposer *self);
void        confab_composer_set_room   (ConfabComposer *self,
                                        MatrixRoom     *room);
void        confab_composer_grab_focus (ConfabComposer *self);
/* "reply" and "edit", each taking an event id: for the room page to insert
 * as "conversation", where the timeline's message menus find them. */
GActionGroup *confab_composer_get_actions (ConfabComposer *self);
void        confab_composer_send_files (ConfabComposer *self,
                                        GSList         *files);
ConfabUploader *confab_composer_get_uploader (ConfabComposer *self);

G_END_DECLS
