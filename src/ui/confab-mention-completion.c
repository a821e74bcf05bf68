/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "confab-mention-completion"

#include <glib/gi18n.h>

#include "confab-mention-completion.h"

#define MAX_MATCHES 6

/**
 * ConfabMentionCompletion:
 *
 * "@" followed by the start of a member's name (or user id) in the
 * composer lists the members it matches, by their display names (the
 * library adds the user id where two share a name). Choosing one puts
 * the name in the text and remembers whom it means, so the message can
 * mention them (a pill, and `m.mentions`).
 */
struct _ConfabMentionCompletion
{
  GObject      parent_instance;

  GtkTextView *text_view;    /* unowned: the composer owns both */
  GtkWidget   *popover;
  GtkListBox  *list;
  MatrixRoom  *room;
  GHashTable  *mentions;     /* display name → user id */
};

G_DEFINE_FINAL_TYPE (ConfabMentionCompletion, confab_mention_completion, G_TYPE_OBJECT)

/* The "@..." word that ends at the cursor, if there is one. */
static gboolean
find_query (ConfabMentionCompletion *self,
            GtkTextIter             *start,
            GtkTextIter             *end,
            char                   **query)
{
  GtkTextBuffer *buffer = gtk_text_view_get_buffer (self->text_view);
  GtkTextIter iter;

  gtk_text_buffer_get_iter_at_mark (buffer, end, gtk_text_buffer_get_insert (buffer));
  iter = *end;
  while (gtk_text_iter_backward_char (&iter))
    {
      gunichar c = gtk_text_iter_get_char (&iter);

      if (c == '@')
        {
          GtkTextIter before = iter;

          if (gtk_text_iter_backward_char (&before) && !g_unichar_isspace (gtk_text_iter_get_char (&before)))
            return FALSE;
          *start = iter;
          gtk_text_iter_forward_char (&iter);
          *query = gtk_text_iter_get_text (&iter, end);
          return TRUE;
        }
      if (g_unichar_isspace (c))
        return FALSE;
    }

  return FALSE;
}

static void
hide (ConfabMentionCompletion *self)
{
  if (gtk_widget_get_visible (self->popover))
    gtk_popover_popdown (GTK_POPOVER (self->popover));
}

static gboolean
matches (const char *text,
         const char *folded_query)
{
  g_autofree char *folded = g_utf8_casefold (text, -1);

  return strstr (folded, folded_query) != NULL;
}

void
confab_mention_completion_update (ConfabMentionCompletion *self)
{
  GtkTextIter start, end;
  g_autofree char *query = NULL;
  g_autofree char *folded_query = NULL;
  g_auto(GStrv) members = NULL;
  const char *own;
  GtkWidget *child;
  guint n = 0;

  g_return_if_fail (CONFAB_IS_MENTION_COMPLETION (self));

  if (self->room == NULL || !find_query (self, &start, &end, &query))
    {
      hide (self);
      return;
    }

  folded_query = g_utf8_casefold (query, -1);
  members = matrix_room_dup_member_ids (self->room);
  own = matrix_client_get_user_id (matrix_room_get_client (self->room));
  while ((child = gtk_widget_get_first_child (GTK_WIDGET (self->list))) != NULL)
    gtk_list_box_remove (self->list, child);

  for (guint i = 0; members[i] != NULL && n < MAX_MATCHES; i++)
    {
      g_autofree char *name = NULL;
      GtkWidget *label;

      if (g_strcmp0 (members[i], own) == 0)
        continue;
      name = matrix_room_dup_member_display_name (self->room, members[i]);
      if (!matches (name, folded_query) && !matches (members[i], folded_query))
        continue;

      label = gtk_label_new (name);
      gtk_label_set_xalign (GTK_LABEL (label), 0);
      gtk_widget_set_tooltip_text (label, members[i]);
      g_object_set_data_full (G_OBJECT (label), "user-id", g_strdup (members[i]), g_free);
      g_object_set_data_full (G_OBJECT (label), "name", g_steal_pointer (&name), g_free);
      gtk_list_box_append (self->list, label);
      n++;
    }

  if (n == 0)
    {
      hide (self);
      return;
    }

  gtk_list_box_select_row (self->list, gtk_list_box_get_row_at_index (self->list, 0));
  {
    GdkRectangle location;
    graphene_point_t point;
    int x, y;

    gtk_text_view_get_iter_location (self->text_view, &start, &location);
    gtk_text_view_buffer_to_window_coords (self->text_view, GTK_TEXT_WINDOW_WIDGET,
                                           location.x, location.y, &x, &y);
    if (gtk_widget_compute_point (GTK_WIDGET (self->text_view), gtk_widget_get_parent (self->popover),
                                  &GRAPHENE_POINT_INIT (x, y), &point))
      gtk_popover_set_pointing_to (GTK_POPOVER (self->popover),
                                   &(GdkRectangle) { point.x, point.y, 1, location.height });
  }
  gtk_popover_popup (GTK_POPOVER (self->popover));
}

static void
accept (ConfabMentionCompletion *self,
        GtkListBoxRow           *row)
{
  GtkTextBuffer *buffer = gtk_text_view_get_buffer (self->text_view);
  GtkWidget *label = row ? gtk_list_box_row_get_child (row) : NULL;
  const char *name, *user_id;
  GtkTextIter start, end;
  g_autofree char *query = NULL;
  g_autofree char *text = NULL;

  if (label == NULL || !find_query (self, &start, &end, &query))
    {
      hide (self);
      return;
    }
  name = g_object_get_data (G_OBJECT (label), "name");
  user_id = g_object_get_data (G_OBJECT (label), "user-id");

  g_hash_table_replace (self->mentions, g_strdup (name), g_strdup (user_id));
  text = g_strconcat (name, " ", NULL);
  gtk_text_buffer_begin_user_action (buffer);
  gtk_text_buffer_delete (buffer, &start, &end);
  gtk_text_buffer_insert (buffer, &start, text, -1);
  gtk_text_buffer_end_user_action (buffer);
  hide (self);
}

static void
on_row_activated (GtkListBox              *list,
                  GtkListBoxRow           *row,
                  ConfabMentionCompletion *self)
{
  accept (self, row);
}

gboolean
confab_mention_completion_key (ConfabMentionCompletion *self,
                               guint                    keyval)
{
  GtkListBoxRow *selected;
  int index;

  g_return_val_if_fail (CONFAB_IS_MENTION_COMPLETION (self), FALSE);

  if (!gtk_widget_get_visible (self->popover))
    return FALSE;

  selected = gtk_list_box_get_selected_row (self->list);
  index = selected ? gtk_list_box_row_get_index (selected) : -1;
  switch (keyval)
    {
    case GDK_KEY_Up:
    case GDK_KEY_Down:
      {
        GtkListBoxRow *next = gtk_list_box_get_row_at_index (self->list,
                                                             index + (keyval == GDK_KEY_Up ? -1 : 1));

        if (next != NULL)
          gtk_list_box_select_row (self->list, next);
        return TRUE;
      }

    case GDK_KEY_Tab:
    case GDK_KEY_Return:
    case GDK_KEY_KP_Enter:
    case GDK_KEY_ISO_Enter:
      accept (self, selected);
      return TRUE;

    case GDK_KEY_Escape:
      hide (self);
      return TRUE;

    default:
      return FALSE;
    }
}

gboolean
confab_mention_completion_get_shown (ConfabMentionCompletion *self)
{
  g_return_val_if_fail (CONFAB_IS_MENTION_COMPLETION (self), FALSE);

  return gtk_widget_get_visible (self->popover);
}

GHashTable *
confab_mention_completion_get_mentions (ConfabMentionCompletion *self)
{
  g_return_val_if_fail (CONFAB_IS_MENTION_COMPLETION (self), NULL);

  return self->mentions;
}

void
confab_mention_completion_clear (ConfabMentionCompletion *self)
{
  g_return_if_fail (CONFAB_IS_MENTION_COMPLETION (self));

  g_hash_table_remove_all (self->mentions);
  hide (self);
}

void
confab_mention_completion_set_room (ConfabMentionCompletion *self,
                                    MatrixRoom              *room)
{
  g_return_if_fail (CONFAB_IS_MENTION_COMPLETION (self));

  g_set_object (&self->room, room);
  confab_mention_completion_clear (self);
}

static void
confab_mention_completion_dispose (GObject *object)
{
  ConfabMentionCompletion *self = CONFAB_MENTION_COMPLETION (object);

  g_clear_object (&self->room);
  g_clear_object (&self->popover);

  G_OBJECT_CLASS (confab_mention_completion_parent_class)->dispose (object);
}

static void
confab_mention_completion_finalize (GObject *object)
{
  ConfabMentionCompletion *self = CONFAB_MENTION_COMPLETION (object);

  g_clear_pointer (&self->mentions, g_hash_table_unref);

  G_OBJECT_CLASS (confab_mention_completion_parent_class)->finalize (object);
}

static void
confab_mention_completion_class_init (ConfabMentionCompletionClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = confab_mention_completion_dispose;
  object_class->finalize = confab_mention_completion_finalize;
}

static void
confab_mention_completion_init (ConfabMentionCompletion *self)
{
  self->mentions = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
}

ConfabMentionCompletion *
confab_mention_completion_new (GtkTextView *text_view,
                               GtkWidget   *parent)
{
  ConfabMentionCompletion *self = g_object_new (CONFAB_TYPE_MENTION_COMPLETION, NULL);

  self->text_view = text_view;
  self->list = GTK_LIST_BOX (gtk_list_box_new ());
  gtk_list_box_set_selection_mode (self->list, GTK_SELECTION_BROWSE);
  gtk_widget_add_css_class (GTK_WIDGET (self->list), "navigation-sidebar");
  gtk_accessible_update_property (GTK_ACCESSIBLE (self->list), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                  _("Members to mention"), -1);
  g_signal_connect (self->list, "row-activated", G_CALLBACK (on_row_activated), self);

  self->popover = g_object_ref (gtk_popover_new ());
  gtk_popover_set_autohide (GTK_POPOVER (self->popover), FALSE);
  gtk_popover_set_position (GTK_POPOVER (self->popover), GTK_POS_TOP);
  gtk_popover_set_child (GTK_POPOVER (self->popover), GTK_WIDGET (self->list));
  gtk_widget_set_parent (self->popover, parent);

  return self;
}
