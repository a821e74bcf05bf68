/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "confab-typing-indicator"

#include <glib/gi18n.h>

#include "confab-event-description.h"
#include "confab-typing-indicator.h"

/**
 * ConfabTypingIndicator:
 *
 * One line under the timeline saying who is typing in the room
 * (#MatrixRoom:typing-users, which never holds the user), hidden while
 * nobody is.
 */
struct _ConfabTypingIndicator
{
  GtkWidget   parent_instance;

  GtkWidget  *label;
  MatrixRoom *room;
};

G_DEFINE_FINAL_TYPE (ConfabTypingIndicator, confab_typing_indicator, GTK_TYPE_WIDGET)

GtkWidget *
confab_typing_indicator_new (void)
{
  return g_object_new (CONFAB_TYPE_TYPING_INDICATOR, NULL);
}

char *
confab_typing_text (MatrixRoom         *room,
                    const char * const *user_ids)
{
  guint n = user_ids ? g_strv_length ((GStrv) user_ids) : 0;
  g_autofree char *first = NULL;
  g_autofree char *second = NULL;

  if (n == 0)
    return NULL;

  first = confab_event_dup_name (room, user_ids[0]);
  if (n == 1)
    return g_strdup_printf (_("%s is typing…"), first);

  second = confab_event_dup_name (room, user_ids[1]);
  if (n == 2)
    return g_strdup_printf (_("%s and %s are typing…"), first, second);

  return g_strdup_printf (ngettext ("%s, %s and %u other are typing…",
                                    "%s, %s and %u others are typing…", n - 2),
                          first, second, n - 2);
}

static void
update (ConfabTypingIndicator *self)
{
  g_autofree char *text = NULL;

  if (self->room != NULL)
    text = confab_typing_text (self->room, matrix_room_get_typing_users (self->room));

  gtk_label_set_text (GTK_LABEL (self->label), text ? text : "");
  gtk_widget_set_visible (GTK_WIDGET (self), text != NULL);
}

void
confab_typing_indicator_set_room (ConfabTypingIndicator *self,
                                  MatrixRoom            *room)
{
  g_return_if_fail (CONFAB_IS_TYPING_INDICATOR (self));

  if (self->room != NULL)
    g_signal_handlers_disconnect_by_func (self->room, update, self);
  g_set_object (&self->room, room);
  if (room != NULL)
    g_signal_connect_swapped (room, "notify::typing-users", G_CALLBACK (update), self);
  update (self);
}

static void
confab_typing_indicator_dispose (GObject *object)
{
  ConfabTypingIndicator *self = CONFAB_TYPING_INDICATOR (object);

  confab_typing_indicator_set_room (self, NULL);
  g_clear_pointer (&self->label, gtk_widget_unparent);

  G_OBJECT_CLASS (confab_typing_indicator_parent_class)->dispose (object);
}

static void
confab_typing_indicator_class_init (ConfabTypingIndicatorClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = confab_typing_indicator_dispose;

  gtk_widget_class_set_layout_manager_type (widget_class, GTK_TYPE_BIN_LAYOUT);
  gtk_widget_class_set_css_name (widget_class, "confab-typing-indicator");
  gtk_widget_class_set_accessible_role (widget_class, GTK_ACCESSIBLE_ROLE_STATUS);
}

static void
confab_typing_indicator_init (ConfabTypingIndicator *self)
{
  self->label = gtk_label_new (NULL);
  gtk_label_set_xalign (GTK_LABEL (self->label), 0);
  gtk_label_set_ellipsize (GTK_LABEL (self->label), PANGO_ELLIPSIZE_END);
  gtk_widget_add_css_class (self->label, "dim-label");
  gtk_widget_add_css_class (self->label, "confab-typing");
  gtk_widget_set_parent (self->label, GTK_WIDGET (self));
  gtk_widget_set_visible (GTK_WIDGET (self), FALSE);
}
