/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <adwaita.h>

#include "confab-login-page.h"
#include "matrix.h"

G_BEGIN_DECLS

#define CONFAB_TYPE_WINDOW (confab_window_get_type ())
G_DECLARE_FINAL_TYPE (ConfabWindow, confab_window, CONFAB, WINDOW, AdwApplicationWindow)

ConfabWindow           *confab_window_new             (GtkApplication *application);
/* Loads the saved session and shows the rooms, or the login page. */
void                    confab_window_restore_session (ConfabWindow   *self);
/* Fills the login page and signs in (password may be NULL to ask for it). */
void                    confab_window_sign_in         (ConfabWindow   *self,
                                                       const char     *homeserver,
                                                       const char     *user,
                                                       const char     *password);
/* Shows the rooms of a logged-in @client and starts its sync loop. */
void                    confab_window_set_client      (ConfabWindow   *self,
                                                       MatrixClient   *client);
MatrixClient           *confab_window_get_client      (ConfabWindow   *self);
MatrixRoomStateTracker *confab_window_get_tracker     (ConfabWindow   *self);
/* Whether the room list view holds every joined room: it gets a screenful
 * for its first frame, and the rest over the next frames. */
gboolean                confab_window_get_rooms_listed (ConfabWindow  *self);
MatrixRoom             *confab_window_get_room        (ConfabWindow   *self);
/* The login page; it is made when first needed (a start from a saved
 * session never shows it). */
ConfabLoginPage        *confab_window_get_login_page  (ConfabWindow   *self);
/* The open room's timeline view and composer: NULL until a room is first
 * opened. */
GtkWidget              *confab_window_get_timeline_view (ConfabWindow *self);
GtkWidget              *confab_window_get_composer    (ConfabWindow   *self);
gboolean                confab_window_select_room     (ConfabWindow   *self,
                                                       const char     *room_id);
/* Shows @text (plain text) in a toast. */
void                    confab_window_show_toast      (ConfabWindow   *self,
                                                       const char     *text);

G_END_DECLS
