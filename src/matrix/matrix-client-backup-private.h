/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "matrix-client.h"

G_BEGIN_DECLS

/* matrix-client-backup.c: uploads the room keys not backed up yet, when the
 * key backup is enabled (after a send made a new room key). */
void _matrix_client_backup_kick (MatrixClient *client);

G_END_DECLS
