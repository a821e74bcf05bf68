/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <adwaita.h>
#include <matrix.h>

G_BEGIN_DECLS

#define CONFAB_TYPE_SESSIONS_PAGE (confab_sessions_page_get_type ())
G_DECLARE_FINAL_TYPE (ConfabSessionsPage, confab_sessions_page, CONFAB, SESSIONS_PAGE,
                      AdwPreferencesPage)

/* The Sessions page of Preferences: this session (name, id, fingerprint,
 * verified or not) and the user's other sessions, to verify or sign out. */
GtkWidget *confab_sessions_page_new        (MatrixClient       *client);
/* Lists the sessions again. */
void       confab_sessions_page_reload     (ConfabSessionsPage *self);
/* Whether the list is loaded (and no reload is under way). */
gboolean   confab_sessions_page_is_loaded  (ConfabSessionsPage *self);
/* Spaces @ed25519 into groups of four characters, as clients show it. */
char      *confab_sessions_format_fingerprint (const char      *ed25519);

G_END_DECLS
