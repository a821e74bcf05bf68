/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "confab-tombstone-bar"

#include "config.h"

#include <glib/gi18n.h>

#include "confab-tombstone-bar.h"

struct _ConfabTombstoneBar
{
  AdwBin      parent_instance;

  MatrixRoom *room;
  char       *successor;
  GtkLabel   *reason;
};

G_DEFINE_FINAL_TYPE (ConfabTombstoneBar, confab_tombstone_bar, ADW_TYPE_BIN)

static void
update (ConfabTombstoneBar *self)
{
  g_autofree char *reason = NULL;

  g_clear_pointer (&self->successor, g_free);
  if (self->room != NULL)
    self->successor = matrix_room_dup_replacement_room (self->room, &reason);
  /* The reason is the upgrader's text: shown as plain text, cut short. */
  if (reason != NULL)
    {
      g_autofree char *start = matrix_text_preview (reason, 200, 2);
      gtk_label_set_text (self->reason, start);
    }
  gtk_widget_set_visible (GTK_WIDGET (self->reason), reason != NULL);
  gtk_widget_set_visible (GTK_WIDGET (self), self->successor != NULL);
}

static void
on_join_clicked (ConfabTombstoneBar *self)
{
  if (self->successor != NULL)
    gtk_widget_activate_action (GTK_WIDGET (self), "win.open-room", "s", self->successor);
}

void
confab_tombstone_bar_set_room (ConfabTombstoneBar *self,
                               MatrixRoom         *room)
{
  g_return_if_fail (CONFAB_IS_TOMBSTONE_BAR (self));

  if (self->room != NULL)
    g_signal_handlers_disconnect_by_func (self->room, update, self);
  g_set_object (&self->room, room);
  if (room != NULL)
    g_signal_connect_object (room, "state-changed", G_CALLBACK (update), self, G_CONNECT_SWAPPED);
  update (self);
}

const char *
confab_tombstone_bar_get_successor (ConfabTombstoneBar *self)
{
  g_return_val_if_fail (CONFAB_IS_TOMBSTONE_BAR (self), NULL);
  return self->successor;
}

static void
confab_tombstone_bar_dispose (GObject *object)
{
  ConfabTombstoneBar *self = CONFAB_TOMBSTONE_BAR (object);

  if (self->room != NULL)
    g_signal_handlers_disconnect_by_func (self->room, update, self);
  g_clear_object (&self->room);
  g_clear_pointer (&self->successor, g_free);

  G_OBJECT_CLASS (confab_tombstone_bar_parent_class)->dispose (object);
}

static void
confab_tombstone_bar_class_init (ConfabTombstoneBarClass *klass)
{
  G_OBJECT_CLASS (klass)->dispose = confab_tombstone_bar_dispose;
}

static void
confab_tombstone_bar_init (ConfabTombstoneBar *self)
{
  GtkWidget *box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 6);
  GtkWidget *title = gtk_label_new (_("This room has been replaced"));
  GtkWidget *button = gtk_button_new_with_mnemonic (_("_Join the New Room"));

  gtk_widget_set_margin_top (box, 12);
  gtk_widget_set_margin_bottom (box, 12);
  gtk_widget_set_margin_start (box, 12);
  gtk_widget_set_margin_end (box, 12);
  gtk_widget_add_css_class (title, "heading");
  gtk_box_append (GTK_BOX (box), title);
  self->reason = GTK_LABEL (gtk_label_new (NULL));
  gtk_label_set_wrap (self->reason, TRUE);
  gtk_label_set_justify (self->reason, GTK_JUSTIFY_CENTER);
  gtk_widget_add_css_class (GTK_WIDGET (self->reason), "dim-label");
  gtk_box_append (GTK_BOX (box), GTK_WIDGET (self->reason));
  gtk_widget_add_css_class (button, "suggested-action");
  gtk_widget_add_css_class (button, "pill");
  gtk_widget_set_halign (button, GTK_ALIGN_CENTER);
  g_signal_connect_swapped (button, "clicked", G_CALLBACK (on_join_clicked), self);
  gtk_box_append (GTK_BOX (box), button);
  adw_bin_set_child (ADW_BIN (self), box);
  gtk_widget_set_visible (GTK_WIDGET (self), FALSE);
}

GtkWidget *
confab_tombstone_bar_new (void)
{
  return g_object_new (CONFAB_TYPE_TOMBSTONE_BAR, NULL);
}
