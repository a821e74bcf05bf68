/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

void  matrix_discover_homeserver_async  (const char           *server_name_or_url,
                                         GCancellable         *cancellable,
                                         GAsyncReadyCallback   callback,
                                         gpointer              user_data);
char *matrix_discover_homeserver_finish (GAsyncResult         *result,
                                         GError              **error);

G_END_DECLS
