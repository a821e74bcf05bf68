/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <json-glib/json-glib.h>

G_BEGIN_DECLS

/* The initial-state event that makes a new room end-to-end encrypted
 * (m.room.encryption with m.megolm.v1.aes-sha2), for /createRoom. */
JsonObject *_matrix_room_create_encryption_state (void);

G_END_DECLS
