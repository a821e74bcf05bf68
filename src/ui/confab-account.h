/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>

#include "matrix.h"

G_BEGIN_DECLS

typedef enum {
  CONFAB_ACCOUNT_STATE_SIGNED_OUT,
  CONFAB_ACCOUNT_STATE_LOADING,
  CONFAB_ACCOUNT_STATE_SIGNED_IN,
} ConfabAccountState;

#define CONFAB_TYPE_ACCOUNT_STATE (confab_account_state_get_type ())
GType confab_account_state_get_type (void);

#define CONFAB_TYPE_ACCOUNT (confab_account_get_type ())
G_DECLARE_FINAL_TYPE (ConfabAccount, confab_account, CONFAB, ACCOUNT, GObject)

/*
 * ::login-needed (const char *homeserver, const char *user_id, const char *message)
 *   There is no session to show: the user signs in, with the form filled
 *   with @homeserver and @user_id and showing @message (each may be NULL).
 * ::session-ended (const char *homeserver, const char *user_id, gboolean soft)
 *   The server ended the session.
 * ::saved-session-changed (const char *user_id, const char *device_id)
 *   The session whose rooms are kept for the next sign-in of its user
 *   (both NULL when none is).
 * ::notice (const char *text)
 *   Plain text for the user (a toast), e.g. why the local data was set aside.
 * ::encryption-changed ()
 *   The session's encryption keys are ready, or cross-signing was set up:
 *   whether this session is verified may have changed.
 */

ConfabAccount          *confab_account_new             (void);
/* The application held while a store is flushed on the way out. */
void                    confab_account_set_application (ConfabAccount *self,
                                                        GApplication  *application);
ConfabAccountState      confab_account_get_state       (ConfabAccount *self);
/* The signed-in session's client and its rooms: NULL unless signed in. */
MatrixClient           *confab_account_get_client      (ConfabAccount *self);
MatrixRoomStateTracker *confab_account_get_tracker     (ConfabAccount *self);

/* Loads the saved session: signed in from it, or ::login-needed. */
void                    confab_account_restore         (ConfabAccount *self);
/* Makes @client (logged in, on its final store) the session and starts its
 * sync loop. */
void                    confab_account_set_client      (ConfabAccount *self,
                                                        MatrixClient  *client);
/* Moves the session of @login_client (signed in on a memory store) into
 * the account's SQLite store and signs in with it. @password (nullable),
 * the one it signed in with, sets up cross-signing once encryption is on,
 * and is forgotten then. */
void                    confab_account_adopt_login     (ConfabAccount *self,
                                                        MatrixClient  *login_client,
                                                        const char    *password);
/* Lets the current session go (its store flushed and kept on disk). */
void                    confab_account_sign_out        (ConfabAccount *self);
/* Logs out on the server and forgets the session's local data. */
void                    confab_account_logout          (ConfabAccount *self);
/* Cancels what is under way and closes the stores (the window is going). */
void                    confab_account_shut_down       (ConfabAccount *self);

G_END_DECLS
