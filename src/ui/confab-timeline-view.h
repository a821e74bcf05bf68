/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <adwaita.h>

#include "matrix.h"

G_BEGIN_DECLS

#define CONFAB_TYPE_TIMELINE_VIEW (confab_timeline_view_get_type ())
G_DECLARE_FINAL_TYPE (ConfabTimelineView, confab_timeline_view, CONFAB, TIMELINE_VIEW, GtkWidget)

GtkWidget  *confab_timeline_view_new      (void);
MatrixRoom *confab_timeline_view_get_room (ConfabTimelineView *self);
void        confab_timeline_view_set_room (ConfabTimelineView *self,
                                           MatrixRoom         *room);
gboolean    confab_timeline_view_get_newest_in_view (ConfabTimelineView *self);

G_END_DECLS
