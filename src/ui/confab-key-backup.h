/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <adwaita.h>
#include <matrix.h>

G_BEGIN_DECLS

void       confab_key_backup_start              (MatrixClient         *client,
                                                 GCancellable         *cancellable);
GtkWidget *confab_key_backup_show_recovery_key  (GtkWindow            *parent,
                                                 const char           *recovery_key);
GtkWidget *confab_key_backup_ask_recovery_key   (GtkWindow            *parent,
                                                 MatrixClient         *client);
void       confab_key_backup_add_preferences    (AdwPreferencesWindow *window,
                                                 MatrixClient         *client);

G_END_DECLS
