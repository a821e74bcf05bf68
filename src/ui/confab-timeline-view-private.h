/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "confab-timeline-view.h"

G_BEGIN_DECLS

/* How close to an edge (in pixels) counts as being at it. */
#define EDGE_PX 24
/* How many frames in a row the view may take to settle at the bottom: a
 * second's worth, then it waits for the next change. */
#define MAX_RESCROLLS 60
#define LOAD_OLDER_LIMIT 30
/* How many unread messages the view loads older events to find the first
 * of, when a room opens: beyond that, it opens at the newest message, with
 * no divider. */
#define MAX_UNREAD_SOUGHT 150
/* How many pages of older events a jump to a replied-to message loads
 * before it gives up. */
#define MAX_JUMP_LOADS 10

struct _ConfabTimelineView
{
  GtkWidget       parent_instance;

  GtkWidget      *scroller;
  GtkListView    *list_view;

  MatrixRoom     *room;
  MatrixTimeline *timeline;
  GtkNoSelection *selection;
  GCancellable   *cancellable;
  GHashTable     *bound_items;
  GtkAdjustment  *vadjustment;
  GdkFrameClock  *frame_clock;
  MatrixTimelineItem *first_unread;
  char           *jump_target;
  guint           n_jump_loads;

  guint           refresh_source;
  gulong          after_paint_handler;
  double          last_value;
  guint           n_rescrolls;
  guint           unread_at_open;
  gboolean        check_pending;
  gboolean        stick_to_bottom;
  gboolean        newest_in_view;
  gboolean        placing_unread;  /* the room just opened: go to its first unread */
  gboolean        load_failed;     /* no more loading by itself until the user scrolls */
};


void     _confab_timeline_view_queue_check       (ConfabTimelineView  *self);
gboolean _confab_timeline_view_find_first_unread (ConfabTimelineView  *self,
                                                  MatrixTimelineItem **first_unread);
void     _confab_timeline_view_jump_to_activated (GtkWidget           *widget,
                                                  const char          *action_name,
                                                  GVariant            *parameter);

G_END_DECLS
