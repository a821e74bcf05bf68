/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <adwaita.h>

#include "matrix.h"

G_BEGIN_DECLS

#define CONFAB_TYPE_EVENT_ROW (confab_event_row_get_type ())
G_DECLARE_FINAL_TYPE (ConfabEventRow, confab_event_row, CONFAB, EVENT_ROW, GtkWidget)

GtkWidget          *confab_event_row_new      (void);
/* Shows @item of @room. @previous, the item above it (or NULL), decides
 * whether a day separator and the sender's name are shown. */
void                confab_event_row_set_item (ConfabEventRow     *self,
                                               MatrixRoom         *room,
                                               MatrixTimelineItem *item,
                                               MatrixTimelineItem *previous);
MatrixTimelineItem *confab_event_row_get_item (ConfabEventRow     *self);
MatrixRoom         *confab_event_row_get_room (ConfabEventRow     *self);

G_END_DECLS
