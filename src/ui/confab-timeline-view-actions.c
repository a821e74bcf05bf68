/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "confab-timeline-view"

/* What the timeline view seeks in its timeline: the first unread message,
 * where a room opens, and an event to jump to ("timeline.jump-to", which a
 * reply's quote activates), loading older events until it is found. */

#include "config.h"

#include <glib/gi18n.h>

#include "confab-timeline-view-private.h"

static gboolean
is_unread_candidate (MatrixTimelineItem *item,
                     const char         *own)
{
  MatrixEvent *event = matrix_timeline_item_get_event (item);
  const char *type;

  if (matrix_timeline_item_get_kind (item) != MATRIX_TIMELINE_ITEM_EVENT ||
      matrix_event_is_state (event) || g_strcmp0 (matrix_event_get_sender (event), own) == 0)
    return FALSE;
  type = matrix_event_get_event_type (event);

  return g_strcmp0 (type, "m.room.message") == 0 || g_strcmp0 (type, "m.room.encrypted") == 0 ||
         g_strcmp0 (type, "m.sticker") == 0;
}

/* The first message from others after the fully-read marker. Returns
 * FALSE if the timeline does not have the marker's event (or runs into a
 * gap before it). */
static gboolean
find_after_fully_read (ConfabTimelineView  *self,
                       MatrixTimelineItem **first_unread)
{
  GListModel *model = G_LIST_MODEL (self->timeline);
  const char *fully_read = matrix_room_get_fully_read (self->room);
  const char *own = matrix_client_get_user_id (matrix_room_get_client (self->room));
  g_autoptr(MatrixTimelineItem) candidate = NULL;

  *first_unread = NULL;
  if (fully_read == NULL)
    return FALSE;

  for (guint i = g_list_model_get_n_items (model); i > 0; i--)
    {
      g_autoptr(MatrixTimelineItem) item = g_list_model_get_item (model, i - 1);

      if (matrix_timeline_item_get_kind (item) == MATRIX_TIMELINE_ITEM_GAP)
        return FALSE;
      if (g_strcmp0 (matrix_timeline_item_get_event_id (item), fully_read) == 0)
        {
          *first_unread = g_steal_pointer (&candidate);
          return TRUE;
        }
      if (is_unread_candidate (item, own))
        g_set_object (&candidate, item);
    }

  return FALSE;
}

/* The first of the last @unread_at_open messages from others. Own
 * messages end the count (the server counts only what came after the
 * user's last message), and so does the room's start. Returns FALSE if
 * the count runs into a gap: older events must be loaded first. */
gboolean
_confab_timeline_view_find_first_unread (ConfabTimelineView  *self,
                   MatrixTimelineItem **first_unread)
{
  GListModel *model = G_LIST_MODEL (self->timeline);
  const char *own = matrix_client_get_user_id (matrix_room_get_client (self->room));
  guint remaining = self->unread_at_open;

  if (find_after_fully_read (self, first_unread))
    return TRUE;

  *first_unread = NULL;
  for (guint i = g_list_model_get_n_items (model); i > 0 && remaining > 0; i--)
    {
      g_autoptr(MatrixTimelineItem) item = g_list_model_get_item (model, i - 1);
      MatrixEvent *event = matrix_timeline_item_get_event (item);
      const char *type;

      if (matrix_timeline_item_get_kind (item) == MATRIX_TIMELINE_ITEM_GAP)
        {
          g_clear_object (first_unread);
          return FALSE;
        }
      if (matrix_timeline_item_get_kind (item) != MATRIX_TIMELINE_ITEM_EVENT ||
          matrix_event_is_state (event))
        continue;
      if (g_strcmp0 (matrix_event_get_sender (event), own) == 0)
        break;
      type = matrix_event_get_event_type (event);
      if (g_strcmp0 (type, "m.room.message") != 0 && g_strcmp0 (type, "m.room.encrypted") != 0 &&
          g_strcmp0 (type, "m.sticker") != 0)
        continue;
      g_set_object (first_unread, item);
      remaining--;
    }

  /* Nothing loaded yet: the cache or the first sync is still to come. */
  if (g_list_model_get_n_items (model) == 0)
    return FALSE;

  return TRUE;
}

static guint
position_of_id (ConfabTimelineView *self,
                const char         *event_id)
{
  GListModel *model = G_LIST_MODEL (self->timeline);

  for (guint i = g_list_model_get_n_items (model); i > 0; i--)
    {
      g_autoptr(MatrixTimelineItem) item = g_list_model_get_item (model, i - 1);

      if (g_strcmp0 (matrix_timeline_item_get_event_id (item), event_id) == 0)
        return i - 1;
    }

  return GTK_INVALID_LIST_POSITION;
}

static void continue_jump (ConfabTimelineView *self);

static void
on_jump_loaded (GObject      *source,
                GAsyncResult *result,
                gpointer      user_data)
{
  g_autoptr(ConfabTimelineView) self = user_data;
  g_autoptr(GError) error = NULL;

  if (!matrix_timeline_load_older_finish (MATRIX_TIMELINE (source), result, &error))
    {
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        g_clear_pointer (&self->jump_target, g_free);
      return;
    }
  if (source == (GObject *) self->timeline)
    continue_jump (self);
}

static void
continue_jump (ConfabTimelineView *self)
{
  guint position;

  if (self->jump_target == NULL || self->timeline == NULL)
    return;

  position = position_of_id (self, self->jump_target);
  if (position != GTK_INVALID_LIST_POSITION)
    {
      g_clear_pointer (&self->jump_target, g_free);
      self->stick_to_bottom = FALSE;
      self->placing_unread = FALSE;
      gtk_widget_activate_action (GTK_WIDGET (self->list_view), "list.scroll-to-item", "u",
                                  position);
      _confab_timeline_view_queue_check (self);
      return;
    }

  if (matrix_timeline_get_at_start (self->timeline) || self->n_jump_loads >= MAX_JUMP_LOADS)
    {
      g_clear_pointer (&self->jump_target, g_free);
      gtk_widget_activate_action (GTK_WIDGET (self), "win.show-toast", "s",
                                  _("The message is not in the loaded history"));
      return;
    }

  if (!matrix_timeline_get_loading (self->timeline))
    {
      self->n_jump_loads++;
      matrix_timeline_load_older_async (self->timeline, LOAD_OLDER_LIMIT, self->cancellable,
                                        on_jump_loaded, g_object_ref (self));
    }
}

void
_confab_timeline_view_jump_to_activated (GtkWidget  *widget,
                   const char *action_name,
                   GVariant   *parameter)
{
  ConfabTimelineView *self = CONFAB_TIMELINE_VIEW (widget);

  g_free (self->jump_target);
  self->jump_target = g_variant_dup_string (parameter, NULL);
  self->n_jump_loads = 0;
  continue_jump (self);
}

