/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <adwaita.h>

#include "matrix.h"

G_BEGIN_DECLS

/* At most this many readers get a circle of their own; the others are
 * counted ("+2"). */
#define CONFAB_MAX_RECEIPT_AVATARS 3

/* Fills @box with a small circle of initials for each member of @room
 * whose read receipt is at @event_id (the user left out), and hides it if
 * there are none. */
void confab_read_receipts_fill (GtkBox     *box,
                                MatrixRoom *room,
                                const char *event_id);

G_END_DECLS
