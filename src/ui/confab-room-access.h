/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <adwaita.h>

#include "matrix.h"

G_BEGIN_DECLS

GtkWidget *confab_room_access_new (MatrixRoom      *room,
                                   AdwToastOverlay *toasts);

G_END_DECLS
