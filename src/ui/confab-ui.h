/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <adwaita.h>

G_BEGIN_DECLS

/* Registers the app's resources and types. The app and the UI tests call it
 * once, after adw_init(); calling it again does nothing. */
void confab_ui_init (void);

G_END_DECLS
