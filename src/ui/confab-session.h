/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>

#include "matrix.h"

G_BEGIN_DECLS

/* Where the app keeps its session between runs: for now a key file in
 * $XDG_DATA_HOME/confab/session.ini (mode 0600) holding the homeserver, user
 * id, device id and access token. The store the client works with is made in
 * one place, confab_session_create_store(), so a persistent store and the
 * keyring can replace both without touching the widgets. */

MatrixStore  *confab_session_create_store (void);
char         *confab_session_get_path     (void);

/* Finishes with a client holding the saved session, or with NULL (and no
 * error) when there is none. */
void          confab_session_load_async   (GCancellable         *cancellable,
                                           GAsyncReadyCallback   callback,
                                           gpointer              user_data);
MatrixClient *confab_session_load_finish  (GAsyncResult         *result,
                                           GError              **error);
void          confab_session_save_async   (MatrixClient         *client,
                                           GCancellable         *cancellable,
                                           GAsyncReadyCallback   callback,
                                           gpointer              user_data);
gboolean      confab_session_save_finish  (GAsyncResult         *result,
                                           GError              **error);
void          confab_session_forget_async (GCancellable         *cancellable,
                                           GAsyncReadyCallback   callback,
                                           gpointer              user_data);
gboolean      confab_session_forget_finish (GAsyncResult        *result,
                                            GError             **error);

G_END_DECLS
