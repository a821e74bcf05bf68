/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <adwaita.h>

G_BEGIN_DECLS

/* The Preferences window (app.preferences), over @parent: the settings of
 * media (automatic image loading, the cache's size). */
GtkWindow *confab_preferences_new (GtkWindow *parent);

G_END_DECLS
