/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <adwaita.h>

G_BEGIN_DECLS

/* Registers the app's resources and types. ConfabApplication calls it in
 * its start-up before chaining up, so that GTK and libadwaita find the help
 * overlay and the style sheet; calling it again does nothing. */
void confab_ui_init (void);

G_END_DECLS
