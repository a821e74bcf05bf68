/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "confab-timeline-view"

#include "config.h"

#include <glib/gi18n.h>

#include "confab-event-row.h"
#include "confab-timeline-view-private.h"

/**
 * ConfabTimelineView:
 *
 * The selected room's #MatrixTimeline in a #GtkListView of #ConfabEventRow.
 * A room opens at its newest event, and the view stays there while new
 * events arrive until the user scrolls up. While the top of the list is in
 * view (or what it has does not fill the view) it asks the timeline for
 * older events, closing the gap at the top, until the room's start.
 *
 * GtkListView 4.8 positions its rows from an anchor item, not from the
 * adjustment: a value set on the adjustment is turned into an anchor by
 * looking up the row at that offset, which fails ("failed to scroll to given
 * position") while the list's height is still an estimate, leaving the
 * scroll bar at the bottom and the rows drawn elsewhere. So the view moves
 * by anchoring an item ("list.scroll-to-item") and checks after each frame
 * is painted that the newest row is drawn where it should be.
 *
 * A room with unread messages shows a "New messages" divider above the
 * first of them, and opens there if they do not fit in the view. That is
 * the first message from others after the user's fully-read marker
 * (#MatrixRoom:fully-read) when the timeline has it; without the marker,
 * or with it further back than the timeline goes, it is estimated from
 * the server's notification count: that many messages from others back
 * from the end, counted when the room opens.
 *
 * "timeline.jump-to" (an event id) scrolls to that event, loading older
 * events until it is found (a reply's quote activates it).
 */
G_DEFINE_FINAL_TYPE (ConfabTimelineView, confab_timeline_view, GTK_TYPE_WIDGET)

enum {
  PROP_0,
  PROP_ROOM,
  PROP_NEWEST_IN_VIEW,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

GtkWidget *
confab_timeline_view_new (void)
{
  return g_object_new (CONFAB_TYPE_TIMELINE_VIEW, NULL);
}

MatrixRoom *
confab_timeline_view_get_room (ConfabTimelineView *self)
{
  g_return_val_if_fail (CONFAB_IS_TIMELINE_VIEW (self), NULL);

  return self->room;
}

/**
 * confab_timeline_view_get_newest_in_view:
 * @self: a #ConfabTimelineView
 *
 * Whether the end of the room's newest item is drawn inside the view (as
 * of the last frame painted): what marking the room read waits for.
 *
 * Returns: %TRUE if the user can see the newest item
 */
gboolean
confab_timeline_view_get_newest_in_view (ConfabTimelineView *self)
{
  g_return_val_if_fail (CONFAB_IS_TIMELINE_VIEW (self), FALSE);

  return self->newest_in_view;
}

/* Checks the view once the next frame has been laid out and painted. */
void
_confab_timeline_view_queue_check (ConfabTimelineView *self)
{
  self->check_pending = TRUE;
  if (self->frame_clock != NULL)
    gdk_frame_clock_request_phase (self->frame_clock, GDK_FRAME_CLOCK_PHASE_AFTER_PAINT);
}

/* A row holds a "New messages" divider, shown only above the first unread
 * message, and the event row. */
static GtkWidget *
divider_of (GtkListItem *list_item)
{
  return gtk_widget_get_first_child (gtk_list_item_get_child (list_item));
}

static ConfabEventRow *
event_row_of (GtkListItem *list_item)
{
  return CONFAB_EVENT_ROW (gtk_widget_get_last_child (gtk_list_item_get_child (list_item)));
}

static void
bind_list_item (ConfabTimelineView *self,
                GtkListItem        *list_item)
{
  MatrixTimelineItem *item = gtk_list_item_get_item (list_item);
  guint position = gtk_list_item_get_position (list_item);
  g_autoptr(MatrixTimelineItem) previous = NULL;

  if (item == NULL || self->timeline == NULL)
    return;

  if (position > 0 && position != GTK_INVALID_LIST_POSITION)
    previous = g_list_model_get_item (G_LIST_MODEL (self->timeline), position - 1);

  gtk_widget_set_visible (divider_of (list_item), item == self->first_unread);
  confab_event_row_set_item (event_row_of (list_item), self->room, item, previous);
}

static GtkWidget *
new_divider (void)
{
  GtkWidget *box = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 12);
  GtkWidget *label = gtk_label_new (_("New messages"));
  GtkWidget *separator;

  gtk_widget_add_css_class (box, "confab-new-messages");
  gtk_widget_add_css_class (label, "caption-heading");
  separator = gtk_separator_new (GTK_ORIENTATION_HORIZONTAL);
  gtk_widget_set_hexpand (separator, TRUE);
  gtk_widget_set_valign (separator, GTK_ALIGN_CENTER);
  gtk_box_append (GTK_BOX (box), separator);
  gtk_box_append (GTK_BOX (box), label);
  separator = gtk_separator_new (GTK_ORIENTATION_HORIZONTAL);
  gtk_widget_set_hexpand (separator, TRUE);
  gtk_widget_set_valign (separator, GTK_ALIGN_CENTER);
  gtk_box_append (GTK_BOX (box), separator);
  gtk_widget_set_visible (box, FALSE);

  return box;
}

static void
setup_row (GtkSignalListItemFactory *factory,
           GtkListItem              *list_item,
           ConfabTimelineView       *self)
{
  GtkWidget *box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 0);

  gtk_box_append (GTK_BOX (box), new_divider ());
  gtk_box_append (GTK_BOX (box), confab_event_row_new ());
  gtk_list_item_set_activatable (list_item, FALSE);
  gtk_list_item_set_selectable (list_item, FALSE);
  gtk_list_item_set_child (list_item, box);
}

static void
bind_row (GtkSignalListItemFactory *factory,
          GtkListItem              *list_item,
          ConfabTimelineView       *self)
{
  g_hash_table_add (self->bound_items, list_item);
  bind_list_item (self, list_item);
}

static void
unbind_row (GtkSignalListItemFactory *factory,
            GtkListItem              *list_item,
            ConfabTimelineView       *self)
{
  g_hash_table_remove (self->bound_items, list_item);
  confab_event_row_set_item (event_row_of (list_item), NULL, NULL, NULL);
}

static void
teardown_row (GtkSignalListItemFactory *factory,
              GtkListItem              *list_item,
              ConfabTimelineView       *self)
{
  g_hash_table_remove (self->bound_items, list_item);
}

/* Whether a row shows its sender or a day separator depends on the item
 * above it, which changes when items are inserted or removed before it. */
static gboolean
refresh_bound_rows (gpointer user_data)
{
  ConfabTimelineView *self = user_data;
  GHashTableIter iter;
  gpointer list_item;

  self->refresh_source = 0;

  g_hash_table_iter_init (&iter, self->bound_items);
  while (g_hash_table_iter_next (&iter, &list_item, NULL))
    bind_list_item (self, list_item);

  return G_SOURCE_REMOVE;
}

static void
on_load_older_done (GObject      *source,
                    GAsyncResult *result,
                    gpointer      user_data)
{
  g_autoptr(ConfabTimelineView) self = user_data;
  g_autoptr(GError) error = NULL;

  if (!matrix_timeline_load_older_finish (MATRIX_TIMELINE (source), result, &error) &&
      !g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    {
      g_autofree char *text = g_strdup_printf (_("Could not load older messages: %s"),
                                               error->message);

      /* Asking again at once would fail again: the user asks by scrolling. */
      if (source == (GObject *) self->timeline)
        {
          self->load_failed = TRUE;
          self->placing_unread = FALSE;
          _confab_timeline_view_queue_check (self);
        }
      gtk_widget_activate_action (GTK_WIDGET (self), "win.show-toast", "s", text);
    }
}

static void
update_first_unread (ConfabTimelineView *self)
{
  g_autoptr(MatrixTimelineItem) first = NULL;

  if (!self->placing_unread || self->first_unread != NULL)
    return;

  if (!_confab_timeline_view_find_first_unread (self, &first))
    return;

  if (first == NULL)
    {
      self->placing_unread = FALSE;
      return;
    }

  self->first_unread = g_steal_pointer (&first);
  if (self->refresh_source == 0)
    self->refresh_source = g_idle_add_full (G_PRIORITY_HIGH_IDLE, refresh_bound_rows, self, NULL);
}

/* Whether the view goes on loading older events to find the first unread
 * message of the room it opened. */
static gboolean
seeking_first_unread (ConfabTimelineView *self)
{
  return self->placing_unread && self->first_unread == NULL;
}

static void
maybe_load_older (ConfabTimelineView *self)
{
  double value, page_size, upper;

  if (self->timeline == NULL || self->load_failed ||
      matrix_timeline_get_loading (self->timeline) ||
      matrix_timeline_get_at_start (self->timeline))
    return;

  value = gtk_adjustment_get_value (self->vadjustment);
  page_size = gtk_adjustment_get_page_size (self->vadjustment);
  upper = gtk_adjustment_get_upper (self->vadjustment);

  /* Not laid out yet: there is no "top" to be at. */
  if (page_size <= 0)
    return;

  /* At the top, or too little to scroll (nobody could scroll to the top). */
  if (value <= EDGE_PX || upper <= page_size || seeking_first_unread (self))
    matrix_timeline_load_older_async (self->timeline, LOAD_OLDER_LIMIT, self->cancellable,
                                      on_load_older_done, g_object_ref (self));
}

static guint
position_of (ConfabTimelineView *self,
             MatrixTimelineItem *wanted)
{
  GListModel *model = G_LIST_MODEL (self->timeline);

  for (guint i = g_list_model_get_n_items (model); i > 0; i--)
    {
      g_autoptr(MatrixTimelineItem) item = g_list_model_get_item (model, i - 1);

      if (item == wanted)
        return i - 1;
    }

  return GTK_INVALID_LIST_POSITION;
}

/* The widget bound to the item at @position, if the list has made one. */
static GtkWidget *
row_at (ConfabTimelineView *self,
        guint               position)
{
  GHashTableIter iter;
  gpointer list_item;

  g_hash_table_iter_init (&iter, self->bound_items);
  while (g_hash_table_iter_next (&iter, &list_item, NULL))
    if (gtk_list_item_get_position (list_item) == position)
      return gtk_list_item_get_child (list_item);

  return NULL;
}

/* Whether the bottom edge of the newest item's row is drawn inside the
 * visible part of the view. */
static gboolean
compute_newest_in_view (ConfabTimelineView *self)
{
  guint n_items = self->timeline ? g_list_model_get_n_items (G_LIST_MODEL (self->timeline)) : 0;
  GtkWidget *row = n_items > 0 ? row_at (self, n_items - 1) : NULL;
  graphene_rect_t bounds;
  double bottom;

  if (row == NULL || !gtk_widget_get_mapped (row) ||
      !gtk_widget_compute_bounds (row, self->scroller, &bounds))
    return FALSE;

  bottom = bounds.origin.y + bounds.size.height;
  return bottom > 0 && bottom <= gtk_widget_get_height (self->scroller) + 0.5;
}

static gboolean
adjustment_at_bottom (ConfabTimelineView *self)
{
  double value = gtk_adjustment_get_value (self->vadjustment);
  double page_size = gtk_adjustment_get_page_size (self->vadjustment);
  double upper = gtk_adjustment_get_upper (self->vadjustment);

  return value + page_size >= upper - 1;
}

/* Anchors the list at its newest item, which it then lays out at the
 * bottom of the view. */
static void
scroll_to_newest (ConfabTimelineView *self)
{
  guint n_items = self->timeline ? g_list_model_get_n_items (G_LIST_MODEL (self->timeline)) : 0;

  if (n_items > 0)
    gtk_widget_activate_action (GTK_WIDGET (self->list_view), "list.scroll-to-item", "u",
                                n_items - 1);
}

static void
set_newest_in_view (ConfabTimelineView *self,
                    gboolean            newest_in_view)
{
  if (self->newest_in_view == newest_in_view)
    return;

  self->newest_in_view = newest_in_view;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_NEWEST_IN_VIEW]);
}

/* At the bottom of a room just opened: if its first unread message is
 * above the view, the view goes there instead, with the divider at its
 * top, and stays there. */
static void
place_first_unread (ConfabTimelineView *self)
{
  guint position = position_of (self, self->first_unread);
  GtkWidget *row = position != GTK_INVALID_LIST_POSITION ? row_at (self, position) : NULL;
  graphene_rect_t bounds;

  self->placing_unread = FALSE;
  if (position == GTK_INVALID_LIST_POSITION)
    return;
  if (row != NULL && gtk_widget_compute_bounds (row, self->scroller, &bounds) &&
      bounds.size.height > 0 && bounds.origin.y >= 0)
    return;

  self->stick_to_bottom = FALSE;
  gtk_widget_activate_action (GTK_WIDGET (self->list_view), "list.scroll-to-item", "u", position);
}

/* After a frame is painted, with its layout done: is it what it should be? */
static void
on_after_paint (GdkFrameClock      *frame_clock,
                ConfabTimelineView *self)
{
  gboolean newest_in_view;

  /* Hidden (a folded window shows the room list), it has no rows to check;
   * it is checked again when shown. */
  if (!self->check_pending || !gtk_widget_get_mapped (GTK_WIDGET (self)))
    return;
  self->check_pending = FALSE;

  newest_in_view = compute_newest_in_view (self);
  /* Until the view has gone to the first unread message (loading older
   * events for it, maybe), the bottom it shows meanwhile is not read. */
  set_newest_in_view (self, newest_in_view && !self->placing_unread);

  if (self->stick_to_bottom && self->timeline != NULL &&
      (!newest_in_view || !adjustment_at_bottom (self)) &&
      self->n_rescrolls++ < MAX_RESCROLLS)
    {
      /* Not there yet (the list lays out from its first row at first), or
       * rows measured since are taller or shorter than the list guessed:
       * the top shown meanwhile is not the user's wish to read further. */
      scroll_to_newest (self);
      _confab_timeline_view_queue_check (self);
      return;
    }

  self->n_rescrolls = 0;
  if (self->placing_unread && self->first_unread != NULL)
    {
      place_first_unread (self);
      _confab_timeline_view_queue_check (self);
    }
  maybe_load_older (self);
}

static void
on_value_changed (ConfabTimelineView *self)
{
  double value = gtk_adjustment_get_value (self->vadjustment);
  double page_size = gtk_adjustment_get_page_size (self->vadjustment);
  double upper = gtk_adjustment_get_upper (self->vadjustment);

  if (page_size <= 0)
    return;

  /* Back at the bottom, the view follows new events again; it stops when
   * the user scrolls up. The list moving its rows down as it measures them
   * (or as older ones come in above) is not the user leaving the bottom. */
  if (value + page_size >= upper - EDGE_PX)
    self->stick_to_bottom = TRUE;
  else if (value < self->last_value)
    {
      self->stick_to_bottom = FALSE;
      self->placing_unread = FALSE;
    }
  self->last_value = value;
  self->load_failed = FALSE;

  _confab_timeline_view_queue_check (self);
}

static void
on_size_changed (ConfabTimelineView *self)
{
  _confab_timeline_view_queue_check (self);
}

static void
on_items_changed (ConfabTimelineView *self,
                  guint               position,
                  guint               removed,
                  guint               added)
{
  if (self->refresh_source == 0)
    self->refresh_source = g_idle_add_full (G_PRIORITY_HIGH_IDLE, refresh_bound_rows, self, NULL);

  /* A newer item: not seen until a frame shows it. */
  if (added > 0 && position + added == g_list_model_get_n_items (G_LIST_MODEL (self->selection)))
    set_newest_in_view (self, FALSE);

  update_first_unread (self);
  if (self->stick_to_bottom)
    scroll_to_newest (self);
  self->n_rescrolls = 0;
  _confab_timeline_view_queue_check (self);
}

static void
on_loading_changed (ConfabTimelineView *self)
{
  _confab_timeline_view_queue_check (self);
}

void
confab_timeline_view_set_room (ConfabTimelineView *self,
                               MatrixRoom         *room)
{
  g_return_if_fail (CONFAB_IS_TIMELINE_VIEW (self));
  g_return_if_fail (room == NULL || MATRIX_IS_ROOM (room));

  if (self->room == room)
    return;

  if (self->cancellable != NULL)
    g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  g_clear_handle_id (&self->refresh_source, g_source_remove);

  if (self->timeline != NULL)
    g_signal_handlers_disconnect_by_data (self->timeline, self);
  if (self->selection != NULL)
    g_signal_handlers_disconnect_by_data (self->selection, self);

  gtk_list_view_set_model (self->list_view, NULL);
  g_clear_object (&self->selection);
  g_clear_object (&self->timeline);
  g_clear_object (&self->first_unread);
  g_clear_pointer (&self->jump_target, g_free);
  g_set_object (&self->room, room);

  self->stick_to_bottom = TRUE;
  self->last_value = 0;
  self->n_rescrolls = 0;
  self->load_failed = FALSE;
  self->unread_at_open = room != NULL ? matrix_room_get_notification_count (room) : 0;
  self->placing_unread = self->unread_at_open > 0 && self->unread_at_open <= MAX_UNREAD_SOUGHT;
  set_newest_in_view (self, FALSE);

  if (room != NULL)
    {
      self->cancellable = g_cancellable_new ();
      self->timeline = g_object_ref (matrix_room_get_timeline (room));
      self->selection = gtk_no_selection_new (g_object_ref (G_LIST_MODEL (self->timeline)));
      gtk_list_view_set_model (self->list_view, GTK_SELECTION_MODEL (self->selection));
      g_signal_connect_swapped (self->selection, "items-changed",
                                G_CALLBACK (on_items_changed), self);
      g_signal_connect_swapped (self->timeline, "notify::loading",
                                G_CALLBACK (on_loading_changed), self);
      g_signal_connect_swapped (self->timeline, "notify::at-start",
                                G_CALLBACK (on_loading_changed), self);
      update_first_unread (self);
      scroll_to_newest (self);
      _confab_timeline_view_queue_check (self);
    }

  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_ROOM]);
}

/* A scrolling view's height does not depend on its width. Asked for its
 * height at some width, GtkScrolledWindow would measure every live row at
 * that width: up to 200 wrapped paragraphs laid out at a width no row may
 * be shown at. Without a width, rows answer from the width they have. */
static void
confab_timeline_view_measure (GtkWidget      *widget,
                              GtkOrientation  orientation,
                              int             for_size,
                              int            *minimum,
                              int            *natural,
                              int            *minimum_baseline,
                              int            *natural_baseline)
{
  ConfabTimelineView *self = CONFAB_TIMELINE_VIEW (widget);

  gtk_widget_measure (self->scroller, orientation,
                      orientation == GTK_ORIENTATION_VERTICAL ? -1 : for_size,
                      minimum, natural, NULL, NULL);
}

static void
confab_timeline_view_size_allocate (GtkWidget *widget,
                                    int        width,
                                    int        height,
                                    int        baseline)
{
  ConfabTimelineView *self = CONFAB_TIMELINE_VIEW (widget);

  gtk_widget_allocate (self->scroller, width, height, -1, NULL);
}

static void
confab_timeline_view_realize (GtkWidget *widget)
{
  ConfabTimelineView *self = CONFAB_TIMELINE_VIEW (widget);

  GTK_WIDGET_CLASS (confab_timeline_view_parent_class)->realize (widget);

  self->frame_clock = g_object_ref (gtk_widget_get_frame_clock (widget));
  self->after_paint_handler = g_signal_connect (self->frame_clock, "after-paint",
                                                G_CALLBACK (on_after_paint), self);
  _confab_timeline_view_queue_check (self);
}

static void
confab_timeline_view_map (GtkWidget *widget)
{
  GTK_WIDGET_CLASS (confab_timeline_view_parent_class)->map (widget);

  _confab_timeline_view_queue_check (CONFAB_TIMELINE_VIEW (widget));
}

static void
confab_timeline_view_unmap (GtkWidget *widget)
{
  set_newest_in_view (CONFAB_TIMELINE_VIEW (widget), FALSE);

  GTK_WIDGET_CLASS (confab_timeline_view_parent_class)->unmap (widget);
}

static void
confab_timeline_view_unrealize (GtkWidget *widget)
{
  ConfabTimelineView *self = CONFAB_TIMELINE_VIEW (widget);

  g_clear_signal_handler (&self->after_paint_handler, self->frame_clock);
  g_clear_object (&self->frame_clock);

  GTK_WIDGET_CLASS (confab_timeline_view_parent_class)->unrealize (widget);
}

static GtkSizeRequestMode
confab_timeline_view_get_request_mode (GtkWidget *widget)
{
  return GTK_SIZE_REQUEST_CONSTANT_SIZE;
}

static void
confab_timeline_view_dispose (GObject *object)
{
  ConfabTimelineView *self = CONFAB_TIMELINE_VIEW (object);
  GtkWidget *child;

  confab_timeline_view_set_room (self, NULL);

  if (self->vadjustment != NULL)
    g_signal_handlers_disconnect_by_data (self->vadjustment, self);
  g_clear_object (&self->vadjustment);

  while ((child = gtk_widget_get_first_child (GTK_WIDGET (self))) != NULL)
    gtk_widget_unparent (child);
  gtk_widget_dispose_template (GTK_WIDGET (self), CONFAB_TYPE_TIMELINE_VIEW);

  G_OBJECT_CLASS (confab_timeline_view_parent_class)->dispose (object);
}

static void
confab_timeline_view_finalize (GObject *object)
{
  ConfabTimelineView *self = CONFAB_TIMELINE_VIEW (object);

  g_clear_pointer (&self->bound_items, g_hash_table_unref);

  G_OBJECT_CLASS (confab_timeline_view_parent_class)->finalize (object);
}

static void
confab_timeline_view_get_property (GObject    *object,
                                   guint       prop_id,
                                   GValue     *value,
                                   GParamSpec *pspec)
{
  ConfabTimelineView *self = CONFAB_TIMELINE_VIEW (object);

  switch (prop_id)
    {
    case PROP_ROOM:
      g_value_set_object (value, self->room);
      break;
    case PROP_NEWEST_IN_VIEW:
      g_value_set_boolean (value, self->newest_in_view);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
confab_timeline_view_set_property (GObject      *object,
                                   guint         prop_id,
                                   const GValue *value,
                                   GParamSpec   *pspec)
{
  ConfabTimelineView *self = CONFAB_TIMELINE_VIEW (object);

  switch (prop_id)
    {
    case PROP_ROOM:
      confab_timeline_view_set_room (self, g_value_get_object (value));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
confab_timeline_view_class_init (ConfabTimelineViewClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = confab_timeline_view_dispose;
  object_class->finalize = confab_timeline_view_finalize;
  object_class->get_property = confab_timeline_view_get_property;
  object_class->set_property = confab_timeline_view_set_property;

  properties[PROP_ROOM] =
    g_param_spec_object ("room", NULL, NULL, MATRIX_TYPE_ROOM,
                         G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_NEWEST_IN_VIEW] =
    g_param_spec_boolean ("newest-in-view", NULL, NULL, FALSE,
                          G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  widget_class->measure = confab_timeline_view_measure;
  widget_class->size_allocate = confab_timeline_view_size_allocate;
  widget_class->realize = confab_timeline_view_realize;
  widget_class->unrealize = confab_timeline_view_unrealize;
  widget_class->map = confab_timeline_view_map;
  widget_class->unmap = confab_timeline_view_unmap;
  widget_class->get_request_mode = confab_timeline_view_get_request_mode;

  gtk_widget_class_set_css_name (widget_class, "confab-timeline-view");
  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/io/github/confab/Confab/confab-timeline-view.ui");
  gtk_widget_class_bind_template_child (widget_class, ConfabTimelineView, scroller);
  gtk_widget_class_bind_template_child (widget_class, ConfabTimelineView, list_view);

  gtk_widget_class_install_action (widget_class, "timeline.jump-to", "s", _confab_timeline_view_jump_to_activated);
}

static void
confab_timeline_view_init (ConfabTimelineView *self)
{
  GtkListItemFactory *factory;

  gtk_widget_init_template (GTK_WIDGET (self));

  self->bound_items = g_hash_table_new (NULL, NULL);
  self->stick_to_bottom = TRUE;

  factory = gtk_signal_list_item_factory_new ();
  g_signal_connect (factory, "setup", G_CALLBACK (setup_row), self);
  g_signal_connect (factory, "bind", G_CALLBACK (bind_row), self);
  g_signal_connect (factory, "unbind", G_CALLBACK (unbind_row), self);
  g_signal_connect (factory, "teardown", G_CALLBACK (teardown_row), self);
  gtk_list_view_set_factory (self->list_view, factory);
  g_object_unref (factory);

  self->vadjustment = g_object_ref (gtk_scrolled_window_get_vadjustment (GTK_SCROLLED_WINDOW (self->scroller)));
  g_signal_connect_swapped (self->vadjustment, "value-changed", G_CALLBACK (on_value_changed), self);
  g_signal_connect_swapped (self->vadjustment, "notify::upper", G_CALLBACK (on_size_changed), self);
  g_signal_connect_swapped (self->vadjustment, "notify::page-size", G_CALLBACK (on_size_changed), self);
}
