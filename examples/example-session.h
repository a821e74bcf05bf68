/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "matrix.h"

G_BEGIN_DECLS

/* The examples' session file: the seed's JsonFileStorage. A JSON object of
 * the store's named values (homeserver, user id, device id, access token,
 * sync token), written with mode 0600. */

char        *example_session_default_path (void);
MatrixStore *example_session_load         (const char           *path,
                                           GError              **error);
void         example_session_save_async   (MatrixStore          *store,
                                           const char           *path,
                                           GCancellable         *cancellable,
                                           GAsyncReadyCallback   callback,
                                           gpointer              user_data);
gboolean     example_session_save_finish  (GAsyncResult         *result,
                                           GError              **error);

G_END_DECLS
