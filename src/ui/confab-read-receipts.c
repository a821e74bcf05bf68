/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "confab-read-receipts"

#include <glib/gi18n.h>

#include "confab-event-description.h"
#include "confab-read-receipts.h"

static GtkWidget *
new_reader (const char *name)
{
  GtkWidget *avatar = adw_avatar_new (16, name, TRUE);

  gtk_widget_set_tooltip_text (avatar, name);
  return avatar;
}

void
confab_read_receipts_fill (GtkBox     *box,
                           MatrixRoom *room,
                           const char *event_id)
{
  g_auto(GStrv) readers = NULL;
  g_autoptr(GString) names = g_string_new (NULL);
  const char *own = NULL;
  GtkWidget *child;
  guint n_shown = 0, n_readers = 0;

  g_return_if_fail (GTK_IS_BOX (box));

  while ((child = gtk_widget_get_first_child (GTK_WIDGET (box))) != NULL)
    gtk_box_remove (box, child);

  if (room != NULL && event_id != NULL)
    {
      readers = matrix_room_dup_readers (room, event_id);
      own = matrix_client_get_user_id (matrix_room_get_client (room));
    }

  for (guint i = 0; readers != NULL && readers[i] != NULL; i++)
    {
      g_autofree char *name = NULL;

      if (g_strcmp0 (readers[i], own) == 0)
        continue;
      n_readers++;
      name = confab_event_dup_name (room, readers[i]);
      if (names->len > 0)
        g_string_append (names, ", ");
      g_string_append (names, name);
      if (n_shown < CONFAB_MAX_RECEIPT_AVATARS)
        {
          gtk_box_append (box, new_reader (name));
          n_shown++;
        }
    }

  if (n_readers > n_shown)
    {
      g_autofree char *more = g_strdup_printf ("+%u", n_readers - n_shown);
      GtkWidget *label = gtk_label_new (more);

      gtk_widget_add_css_class (label, "caption");
      gtk_widget_add_css_class (label, "dim-label");
      gtk_box_append (box, label);
    }

  if (n_readers > 0)
    {
      /* Translators: the names of the members who have read up to a message */
      g_autofree char *tooltip = g_strdup_printf (_("Read by %s"), names->str);

      gtk_widget_set_tooltip_text (GTK_WIDGET (box), tooltip);
    }
  gtk_widget_set_visible (GTK_WIDGET (box), n_readers > 0);
}
