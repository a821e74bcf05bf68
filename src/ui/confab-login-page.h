/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <adwaita.h>

#include "matrix.h"

G_BEGIN_DECLS

#define CONFAB_TYPE_LOGIN_PAGE (confab_login_page_get_type ())
G_DECLARE_FINAL_TYPE (ConfabLoginPage, confab_login_page, CONFAB, LOGIN_PAGE, AdwBin)

/*
 * ::logged-in (MatrixClient *client, const char *password)
 *   Signing in succeeded; @client holds the new session, in a memory store made by
 *   confab_session_create_store(); the window moves it into the account's
 *   SQLite store. @password, valid during the emission only (and zeroed
 *   after it), is for setting up cross-signing.
 */

GtkWidget *confab_login_page_new         (void);
/* Fills the form; any argument may be NULL to leave its field alone. */
void       confab_login_page_fill        (ConfabLoginPage *self,
                                          const char      *homeserver,
                                          const char      *user,
                                          const char      *password);
void       confab_login_page_submit      (ConfabLoginPage *self);
/* The user id and device id of the session that ended (or NULL): signing in
 * again as that user asks the server for the same device. */
void       confab_login_page_set_saved_session (ConfabLoginPage *self,
                                                const char      *user_id,
                                                const char      *device_id);
/* A plain-text notice above the form, e.g. why the last session ended. */
void       confab_login_page_set_message (ConfabLoginPage *self,
                                          const char      *message);
gboolean   confab_login_page_get_busy    (ConfabLoginPage *self);
void       confab_login_page_reset       (ConfabLoginPage *self);

/* The words shown for a sign-in error (translated, plain text). */
char      *confab_login_page_describe_error (const GError *error,
                                             const char   *server);

G_END_DECLS
