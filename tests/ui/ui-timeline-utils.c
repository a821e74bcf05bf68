/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "ui-timeline-utils"

#include <string.h>

#include "confab-event-row.h"
#include "confab-room-row.h"
#include "confab-timeline-view.h"
#include "ui-test-utils.h"
#include "ui-timeline-utils.h"

static GtkWidget *
template_child (gpointer    widget,
                GType       type,
                const char *name)
{
  GObject *child = gtk_widget_get_template_child (GTK_WIDGET (widget), type, name);

  g_assert_nonnull (child);
  return GTK_WIDGET (child);
}

GtkWidget *
ui_timeline_scroller (ConfabWindow *window)
{
  return template_child (confab_window_get_timeline_view (window), CONFAB_TYPE_TIMELINE_VIEW,
                         "scroller");
}

GtkAdjustment *
ui_timeline_vadjustment (ConfabWindow *window)
{
  return gtk_scrolled_window_get_vadjustment (GTK_SCROLLED_WINDOW (ui_timeline_scroller (window)));
}

const char *
ui_event_row_text (GtkWidget *row)
{
  if (ui_child_visible (row, CONFAB_TYPE_EVENT_ROW, "body_label"))
    return ui_child_label (row, CONFAB_TYPE_EVENT_ROW, "body_label");
  if (ui_child_visible (row, CONFAB_TYPE_EVENT_ROW, "gap_box"))
    return ui_child_label (row, CONFAB_TYPE_EVENT_ROW, "gap_label");
  return ui_child_label (row, CONFAB_TYPE_EVENT_ROW, "description_label");
}

/* Where @row is drawn in @view, if it is drawn at all: bound to an item,
 * in a row the list shows, and allocated. */
static gboolean
row_bounds (GtkWidget       *row,
            GtkWidget       *view,
            graphene_rect_t *bounds)
{
  GtkWidget *list_row = row;

  if (confab_event_row_get_item (CONFAB_EVENT_ROW (row)) == NULL)
    return FALSE;
  while (list_row != NULL && !GTK_IS_LIST_VIEW (gtk_widget_get_parent (list_row)))
    list_row = gtk_widget_get_parent (list_row);
  if (list_row == NULL || !gtk_widget_get_child_visible (list_row))
    return FALSE;

  return gtk_widget_compute_bounds (row, view, bounds) && bounds->size.height > 0;
}

GStrv
ui_timeline_texts_in_view (ConfabWindow *window)
{
  GtkWidget *view = ui_timeline_scroller (window);
  g_autoptr(GPtrArray) rows = ui_find_widgets (view, CONFAB_TYPE_EVENT_ROW);
  g_autoptr(GStrvBuilder) builder = g_strv_builder_new ();
  int height = gtk_widget_get_height (view);
  double last_y = -G_MAXDOUBLE;

  for (guint i = 0; i < rows->len; i++)
    {
      GtkWidget *row = rows->pdata[i];
      graphene_rect_t bounds;

      if (!row_bounds (row, view, &bounds) ||
          bounds.origin.y + bounds.size.height <= 0 || bounds.origin.y >= height)
        continue;
      /* Widget order is not screen order by contract: check the latter. */
      g_assert_cmpfloat (bounds.origin.y, >, last_y);
      last_y = bounds.origin.y;
      g_strv_builder_add (builder, ui_event_row_text (row));
    }

  return g_strv_builder_end (builder);
}

gboolean
ui_timeline_newest_in_view (ConfabWindow *window)
{
  MatrixRoom *room = confab_window_get_room (window);
  GListModel *timeline;
  g_autoptr(MatrixTimelineItem) newest = NULL;
  g_autoptr(GPtrArray) rows = NULL;
  GtkWidget *view;

  if (room == NULL)
    return FALSE;
  timeline = G_LIST_MODEL (matrix_room_get_timeline (room));
  if (g_list_model_get_n_items (timeline) == 0)
    return FALSE;
  newest = g_list_model_get_item (timeline, g_list_model_get_n_items (timeline) - 1);
  view = ui_timeline_scroller (window);
  rows = ui_find_widgets (view, CONFAB_TYPE_EVENT_ROW);

  for (guint i = 0; i < rows->len; i++)
    {
      GtkWidget *row = rows->pdata[i];
      graphene_rect_t bounds;

      if (confab_event_row_get_item (CONFAB_EVENT_ROW (row)) != newest)
        continue;
      return row_bounds (row, view, &bounds) && bounds.origin.y >= 0 &&
             bounds.origin.y + bounds.size.height <= gtk_widget_get_height (view) + 0.5;
    }

  return FALSE;
}

gboolean
ui_timeline_at_bottom (ConfabWindow *window)
{
  GtkAdjustment *adjustment = ui_timeline_vadjustment (window);
  double value = gtk_adjustment_get_value (adjustment);
  double page = gtk_adjustment_get_page_size (adjustment);
  double upper = gtk_adjustment_get_upper (adjustment);

  return page > 0 && value + page >= upper - 1;
}

GtkWidget *
ui_timeline_divider_row (ConfabWindow *window,
                         double       *top)
{
  GtkWidget *view = ui_timeline_scroller (window);
  g_autoptr(GPtrArray) rows = ui_find_widgets (view, CONFAB_TYPE_EVENT_ROW);
  GtkWidget *found = NULL;

  for (guint i = 0; i < rows->len; i++)
    {
      GtkWidget *divider = gtk_widget_get_prev_sibling (rows->pdata[i]);
      g_autoptr(GPtrArray) labels = NULL;
      graphene_rect_t bounds;

      if (divider == NULL || !gtk_widget_get_visible (divider) ||
          !row_bounds (rows->pdata[i], view, &bounds))
        continue;
      g_assert_null (found);
      found = rows->pdata[i];
      labels = ui_find_widgets (divider, GTK_TYPE_LABEL);
      g_assert_cmpuint (labels->len, ==, 1);
      g_assert_cmpstr (gtk_label_get_text (labels->pdata[0]), ==, "New messages");
      g_assert_true (gtk_widget_compute_bounds (gtk_widget_get_parent (divider), view, &bounds));
      if (top != NULL)
        *top = bounds.origin.y;
    }

  return found;
}

gboolean
ui_timeline_divider_at_top (ConfabWindow *window)
{
  double top;

  return ui_timeline_divider_row (window, &top) != NULL && top >= 0 && top < 1;
}

void
ui_click_room (ConfabWindow *window,
               const char   *name)
{
  GtkWidget *view = ui_sidebar_child (GTK_WIDGET (window), "rooms_view");
  GListModel *model = G_LIST_MODEL (gtk_list_view_get_model (GTK_LIST_VIEW (view)));
  g_autoptr(GPtrArray) rows = ui_find_widgets (view, CONFAB_TYPE_ROOM_ROW);

  for (guint i = 0; i < rows->len; i++)
    {
      GtkWidget *row = rows->pdata[i];

      if (g_strcmp0 (ui_child_label (row, CONFAB_TYPE_ROOM_ROW, "name_label"), name) != 0)
        continue;
      for (guint position = 0; position < g_list_model_get_n_items (model); position++)
        {
          g_autoptr(MatrixRoom) room = g_list_model_get_item (model, position);

          if (g_str_equal (matrix_room_get_display_name (room), name))
            {
              g_assert_true (gtk_widget_activate_action (gtk_widget_get_parent (row),
                                                         "list.select-item", "(ubb)",
                                                         position, FALSE, FALSE));
              return;
            }
        }
    }
  g_error ("No room named %s listed", name);
}

static gboolean
count_scroll_warning (const char     *log_domain,
                      GLogLevelFlags  log_level,
                      const char     *message,
                      gpointer        user_data)
{
  guint *counter = user_data;

  if (g_strcmp0 (log_domain, "Gtk") == 0 && strstr (message, "failed to scroll") != NULL)
    {
      (*counter)++;
      return FALSE;
    }
  return TRUE;
}

void
ui_count_scroll_warnings (guint *counter)
{
  g_test_log_set_fatal_handler (count_scroll_warning, counter);
}
