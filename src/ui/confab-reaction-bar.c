/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "confab-reaction-bar"

#include <glib/gi18n.h>

#include "confab-event-description.h"
#include "confab-reaction-bar.h"

/* A message with thousands of different reactions shows this many chips
 * and a count of the others: a chip is a widget, and thousands would
 * freeze the timeline. */
#define MAX_CHIPS 20
/* Names in a chip's tooltip, then "and N others". */
#define MAX_TOOLTIP_NAMES 10

/**
 * ConfabReactionBar:
 *
 * The reactions to a message as chips under it: the key and how many
 * reacted with it, the user's own highlighted. A click adds the user's
 * reaction or takes it back; the tooltip says who reacted.
 */
struct _ConfabReactionBar
{
  GtkWidget           parent_instance;

  GtkWidget          *flow_box;

  MatrixRoom         *room;
  MatrixTimelineItem *item;
  GListModel         *reactions;
};

G_DEFINE_FINAL_TYPE (ConfabReactionBar, confab_reaction_bar, GTK_TYPE_WIDGET)

GtkWidget *
confab_reaction_bar_new (void)
{
  return g_object_new (CONFAB_TYPE_REACTION_BAR, NULL);
}

static void
on_reaction_sent (GObject      *source,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *event_id = matrix_timeline_send_finish (MATRIX_TIMELINE (source), result, &error);

  /* The library takes the change back from the message. */
  if (event_id == NULL && !g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    g_message ("Could not change a reaction: %s", error->message);
}

static MatrixReaction *
find_reaction (MatrixTimelineItem *item,
               const char         *key)
{
  GListModel *reactions = matrix_timeline_item_get_reactions (item);
  guint n = reactions ? g_list_model_get_n_items (reactions) : 0;

  for (guint i = 0; i < n; i++)
    {
      g_autoptr(MatrixReaction) reaction = g_list_model_get_item (reactions, i);

      if (g_strcmp0 (matrix_reaction_get_key (reaction), key) == 0)
        return g_steal_pointer (&reaction);
    }

  return NULL;
}

void
confab_toggle_reaction (MatrixRoom         *room,
                        MatrixTimelineItem *item,
                        const char         *key)
{
  MatrixTimeline *timeline;
  const char *event_id;
  g_autoptr(MatrixReaction) reaction = NULL;

  g_return_if_fail (MATRIX_IS_ROOM (room));
  g_return_if_fail (MATRIX_IS_TIMELINE_ITEM (item));
  g_return_if_fail (key != NULL);

  event_id = matrix_timeline_item_get_event_id (item);
  if (event_id == NULL)
    return;

  timeline = matrix_room_get_timeline (room);
  reaction = find_reaction (item, key);
  if (reaction != NULL && matrix_reaction_get_own (reaction))
    {
      const char *own_id = matrix_reaction_get_own_event_id (reaction);

      /* Our reaction is still being sent: it has nothing to redact yet. */
      if (own_id != NULL)
        matrix_timeline_redact_async (timeline, own_id, NULL, NULL, on_reaction_sent, NULL);
      return;
    }

  matrix_timeline_send_reaction_async (timeline, event_id, key, NULL, on_reaction_sent, NULL);
}

static char *
dup_tooltip (ConfabReactionBar *self,
             MatrixReaction    *reaction)
{
  g_auto(GStrv) senders = matrix_reaction_dup_senders (reaction);
  guint n = senders ? g_strv_length (senders) : 0;
  g_autoptr(GString) names = g_string_new (NULL);

  for (guint i = 0; i < n && i < MAX_TOOLTIP_NAMES; i++)
    {
      g_autofree char *name = confab_event_dup_name (self->room, senders[i]);

      if (i > 0)
        g_string_append (names, ", ");
      g_string_append (names, name);
    }
  if (n > MAX_TOOLTIP_NAMES)
    {
      g_autofree char *more = g_strdup_printf (ngettext ("and %u other", "and %u others",
                                                         n - MAX_TOOLTIP_NAMES),
                                               n - MAX_TOOLTIP_NAMES);

      g_string_append_printf (names, " %s", more);
    }

  /* Translators: who reacted (a list of names) with which emoji */
  return g_strdup_printf (_("%s reacted with %s"), names->str, matrix_reaction_get_key (reaction));
}

static void
update_chip (GtkWidget *button)
{
  ConfabReactionBar *self = g_object_get_data (G_OBJECT (button), "bar");
  MatrixReaction *reaction = g_object_get_data (G_OBJECT (button), "reaction");
  g_autofree char *label = g_strdup_printf ("%s %u", matrix_reaction_get_key (reaction),
                                            matrix_reaction_get_count (reaction));
  g_autofree char *tooltip = dup_tooltip (self, reaction);

  gtk_button_set_label (GTK_BUTTON (button), label);
  gtk_widget_set_tooltip_text (button, tooltip);
  if (matrix_reaction_get_own (reaction))
    gtk_widget_add_css_class (button, "own");
  else
    gtk_widget_remove_css_class (button, "own");
}

static void
on_chip_clicked (GtkWidget *button)
{
  ConfabReactionBar *self = g_object_get_data (G_OBJECT (button), "bar");
  MatrixReaction *reaction = g_object_get_data (G_OBJECT (button), "reaction");

  if (self->room != NULL && self->item != NULL)
    confab_toggle_reaction (self->room, self->item, matrix_reaction_get_key (reaction));
}

static GtkWidget *
new_chip (ConfabReactionBar *self,
          MatrixReaction    *reaction)
{
  GtkWidget *button = gtk_button_new ();

  gtk_widget_add_css_class (button, "confab-reaction");
  g_object_set_data (G_OBJECT (button), "bar", self);
  g_object_set_data_full (G_OBJECT (button), "reaction", g_object_ref (reaction), g_object_unref);
  g_signal_connect (button, "clicked", G_CALLBACK (on_chip_clicked), NULL);
  g_signal_connect_object (reaction, "notify", G_CALLBACK (update_chip), button,
                           G_CONNECT_SWAPPED);
  update_chip (button);

  return button;
}

static void
rebuild (ConfabReactionBar *self)
{
  GtkWidget *child;
  guint n = self->reactions ? g_list_model_get_n_items (self->reactions) : 0;

  while ((child = gtk_widget_get_first_child (self->flow_box)) != NULL)
    gtk_flow_box_remove (GTK_FLOW_BOX (self->flow_box), child);

  for (guint i = 0; i < n && i < MAX_CHIPS; i++)
    {
      g_autoptr(MatrixReaction) reaction = g_list_model_get_item (self->reactions, i);

      gtk_flow_box_append (GTK_FLOW_BOX (self->flow_box), new_chip (self, reaction));
    }
  if (n > MAX_CHIPS)
    {
      g_autofree char *text = g_strdup_printf ("+%u", n - MAX_CHIPS);
      GtkWidget *more = gtk_label_new (text);

      gtk_widget_add_css_class (more, "dim-label");
      gtk_flow_box_append (GTK_FLOW_BOX (self->flow_box), more);
    }

  gtk_widget_set_visible (GTK_WIDGET (self), n > 0);
}

void
confab_reaction_bar_set_item (ConfabReactionBar  *self,
                              MatrixRoom         *room,
                              MatrixTimelineItem *item)
{
  GListModel *reactions;

  g_return_if_fail (CONFAB_IS_REACTION_BAR (self));

  g_set_object (&self->room, room);
  g_set_object (&self->item, item);
  reactions = item ? matrix_timeline_item_get_reactions (item) : NULL;
  if (self->reactions != reactions)
    {
      if (self->reactions != NULL)
        g_signal_handlers_disconnect_by_func (self->reactions, rebuild, self);
      g_set_object (&self->reactions, reactions);
      if (reactions != NULL)
        g_signal_connect_swapped (reactions, "items-changed", G_CALLBACK (rebuild), self);
      rebuild (self);
    }
}

static void
confab_reaction_bar_dispose (GObject *object)
{
  ConfabReactionBar *self = CONFAB_REACTION_BAR (object);

  confab_reaction_bar_set_item (self, NULL, NULL);
  g_clear_pointer (&self->flow_box, gtk_widget_unparent);

  G_OBJECT_CLASS (confab_reaction_bar_parent_class)->dispose (object);
}

static void
confab_reaction_bar_class_init (ConfabReactionBarClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = confab_reaction_bar_dispose;

  gtk_widget_class_set_layout_manager_type (widget_class, GTK_TYPE_BIN_LAYOUT);
  gtk_widget_class_set_css_name (widget_class, "confab-reaction-bar");
}

static void
confab_reaction_bar_init (ConfabReactionBar *self)
{
  self->flow_box = gtk_flow_box_new ();
  gtk_flow_box_set_selection_mode (GTK_FLOW_BOX (self->flow_box), GTK_SELECTION_NONE);
  gtk_flow_box_set_homogeneous (GTK_FLOW_BOX (self->flow_box), FALSE);
  gtk_flow_box_set_max_children_per_line (GTK_FLOW_BOX (self->flow_box), MAX_CHIPS + 1);
  gtk_flow_box_set_column_spacing (GTK_FLOW_BOX (self->flow_box), 4);
  gtk_flow_box_set_row_spacing (GTK_FLOW_BOX (self->flow_box), 4);
  gtk_widget_set_halign (self->flow_box, GTK_ALIGN_START);
  gtk_widget_set_parent (self->flow_box, GTK_WIDGET (self));
  gtk_widget_set_visible (GTK_WIDGET (self), FALSE);
}
