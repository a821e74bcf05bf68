/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>

#include "matrix.h"

/* The libsecret schema of the access token (and, with ".CryptoStore", of the
 * crypto store's passphrase). Needs config.h. */
#define CONFAB_SESSION_SECRET_SCHEMA APP_ID ".Session"

G_BEGIN_DECLS

/* Where the app keeps its session between runs:
 * - $XDG_DATA_HOME/confab/session.ini (mode 0600): the homeserver, user id and
 *   device id of the account, never the access token;
 * - the account's MatrixSqliteStore in confab_session_get_store_dir()
 *   (rooms, state, timelines, sync token), with the access token in the
 *   keyring (or, without a Secret Service, a 0600 file in that directory). */

/* A memory store for a sign-in attempt; the session moves to the SQLite
 * store once it succeeds. */
MatrixStore  *confab_session_create_store (void);
char         *confab_session_get_path     (void);
/* The account's store directory: $XDG_DATA_HOME/confab/<user id>. */
char         *confab_session_get_store_dir (const char          *user_id);

/* A client that names itself Confab (user agent, a new device's name). */
MatrixClient *confab_session_new_client   (const char           *homeserver,
                                           MatrixStore          *store);

/* Reads session.ini and opens the account's SQLite store, filled with the
 * saved homeserver, user id and device id (an access token found in an old
 * session.ini moves into the store, and the file is rewritten without it).
 * Finishes with the store, or NULL (and no error) when there is no saved
 * session. The store holds an access token only if the session is alive. */
void          confab_session_load_async   (GCancellable         *cancellable,
                                           GAsyncReadyCallback   callback,
                                           gpointer              user_data);
MatrixStore  *confab_session_load_finish  (GAsyncResult         *result,
                                           GError              **error);

void          confab_session_prefetch     (void);

/* Opens (creating it if needed) the SQLite store of @user_id. */
void          confab_session_open_store_async  (const char           *user_id,
                                                const char           *homeserver,
                                                GCancellable         *cancellable,
                                                GAsyncReadyCallback   callback,
                                                gpointer              user_data);
MatrixStore  *confab_session_open_store_finish (GAsyncResult         *result,
                                                GError              **error);

/* Writes session.ini from @client: homeserver, user id, device id. */
void          confab_session_save_async   (MatrixClient         *client,
                                           GCancellable         *cancellable,
                                           GAsyncReadyCallback   callback,
                                           gpointer              user_data);
gboolean      confab_session_save_finish  (GAsyncResult         *result,
                                           GError              **error);

/* Deletes session.ini. With a @store, also removes its access token (from
 * the keyring) and, once the store is flushed and finalized, its directory.
 * The caller gives up its references to @store (and to clients on it). */
void          confab_session_forget_async (MatrixStore          *store,
                                           GCancellable         *cancellable,
                                           GAsyncReadyCallback   callback,
                                           gpointer              user_data);
gboolean      confab_session_forget_finish (GAsyncResult        *result,
                                            GError             **error);

/* Drops a reference to @store after flushing it. With an @application, the
 * application is held until the flush completes, or for at most
 * @timeout_ms, so that quitting does not lose what was committed. */
void          confab_session_close_store  (MatrixStore          *store,
                                           GApplication         *application,
                                           guint                 timeout_ms);

G_END_DECLS
