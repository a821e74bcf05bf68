/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>

#include "matrix.h"

G_BEGIN_DECLS

#define CONFAB_TYPE_NOTIFIER (confab_notifier_get_type ())
G_DECLARE_FINAL_TYPE (ConfabNotifier, confab_notifier, CONFAB, NOTIFIER, GObject)

ConfabNotifier *confab_notifier_new             (void);
/* The application that sends the notifications (NULL: none are sent, the
 * counts are still followed). */
void            confab_notifier_set_application (ConfabNotifier *self,
                                                 GApplication   *application);
/* After a sync: notifies of each room of @rooms whose count went up, but
 * @shown_room (the one the user is looking at, or NULL), and of each new
 * invite; withdraws what was read or left. The first call only learns the
 * counts. */
void            confab_notifier_update          (ConfabNotifier *self,
                                                 GListModel     *rooms,
                                                 MatrixRoom     *shown_room);
/* Withdraws every notification and forgets the counts (the session ends). */
void            confab_notifier_withdraw_all    (ConfabNotifier *self);

G_END_DECLS
