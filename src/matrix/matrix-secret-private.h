/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

/* Where MatrixSqliteStore keeps the access token: the Secret Service (the
 * GNOME keyring) under the schema the application names (its
 * secret-schema property), keyed by user id and homeserver. Where no Secret
 * Service answers, or the application names no schema, the store keeps it in
 * a file only the user can read, with the blocking helpers below, run on its
 * writer thread. */

void     _matrix_secret_lookup_async  (const char           *schema_name,
                                       const char           *user_id,
                                       const char           *homeserver,
                                       GCancellable         *cancellable,
                                       GAsyncReadyCallback   callback,
                                       gpointer              user_data);
/* Returns NULL without an error when the Secret Service holds no token. */
char    *_matrix_secret_lookup_finish (GAsyncResult         *result,
                                       GError              **error);
/* With a NULL token, removes the stored one. */
void     _matrix_secret_store_async   (const char           *schema_name,
                                       const char           *user_id,
                                       const char           *homeserver,
                                       const char           *token,
                                       GCancellable         *cancellable,
                                       GAsyncReadyCallback   callback,
                                       gpointer              user_data);
gboolean _matrix_secret_store_finish  (GAsyncResult         *result,
                                       GError              **error);

/* Blocking, for a worker thread. A NULL token removes the file. */
gboolean _matrix_secret_file_write    (const char           *path,
                                       const char           *token,
                                       GError              **error);
/* Returns NULL (and no error) when there is no file. */
char    *_matrix_secret_file_read     (const char           *path,
                                       GError              **error);

G_END_DECLS
