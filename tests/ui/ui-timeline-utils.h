/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "confab-window.h"

G_BEGIN_DECLS

/* The open room's timeline as it is drawn: what lies inside the visible
 * area of the timeline's scrolled window, not what the model holds. */

GtkWidget     *ui_timeline_scroller       (ConfabWindow *window);
GtkAdjustment *ui_timeline_vadjustment    (ConfabWindow *window);
/* The text a ConfabEventRow shows: a message's body, a gap's label or an
 * event's one-line description. */
const char    *ui_event_row_text          (GtkWidget    *row);
/* The texts of the rows drawn wholly or partly in view, top to bottom. */
GStrv          ui_timeline_texts_in_view  (ConfabWindow *window);
/* Whether the row of the timeline's newest item is drawn wholly in view. */
gboolean       ui_timeline_newest_in_view (ConfabWindow *window);
/* Whether the scroll bar is at the bottom (and there is something to
 * scroll). */
gboolean       ui_timeline_at_bottom      (ConfabWindow *window);

/* The event row drawn below the "New messages" divider, if one is shown
 * (at most one is), with the top of the divider's row (the divider and the
 * message under it) in the scrolled window's coordinates. */
GtkWidget     *ui_timeline_divider_row    (ConfabWindow *window,
                                           double       *top);
/* Whether the divider's row is drawn at the top of the view. */
gboolean       ui_timeline_divider_at_top (ConfabWindow *window);

/* Opens the room named @name as a click on its row does (the row's click
 * gesture activates "list.select-item"); fails if no row has that name. */
void           ui_click_room              (ConfabWindow *window,
                                           const char   *name);

/* Makes GTK's "GtkListView failed to scroll to given position" warning
 * non-fatal and counts it in @counter, so a test can assert there was none;
 * other warnings stay fatal. */
void           ui_count_scroll_warnings   (guint        *counter);

G_END_DECLS
