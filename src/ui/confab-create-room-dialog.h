/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <adwaita.h>

#include "matrix.h"

G_BEGIN_DECLS

#define CONFAB_TYPE_CREATE_ROOM_DIALOG (confab_create_room_dialog_get_type ())
G_DECLARE_FINAL_TYPE (ConfabCreateRoomDialog, confab_create_room_dialog, CONFAB, CREATE_ROOM_DIALOG, AdwWindow)

/* "New Room": name, topic, an optional address on the user's server
 * (checked as one types: well-formed and free), private (the default) or
 * public, end-to-end encryption (on for a private room when the client can
 * encrypt), and people to invite. "Create" makes the room and opens it
 * through win.open-room of @parent. The widgets are named for tests:
 * "name", "topic", "address", "address-status", "private", "public", "encrypted",
 * "invite", "create", "error". */
GtkWidget *confab_create_room_dialog_new (GtkWindow    *parent,
                                          MatrixClient *client);

G_END_DECLS
