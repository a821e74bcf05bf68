/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "confab-explore-dialog"

#include "config.h"

#include <glib/gi18n.h>

#include "confab-explore-dialog.h"

#define SEARCH_DELAY_MS 300
#define PAGE_SIZE 30

struct _ConfabExploreDialog
{
  AdwWindow       parent_instance;

  MatrixClient   *client;
  GtkSearchEntry *entry;
  GtkListBox     *list;
  GtkWidget      *more_button;
  GtkLabel       *status;

  GCancellable   *cancellable;
  guint           search_source;
  char           *next_batch;
};

G_DEFINE_FINAL_TYPE (ConfabExploreDialog, confab_explore_dialog, ADW_TYPE_WINDOW)

static GtkWidget *
room_row (MatrixPublicRoom *room)
{
  GtkWidget *row = adw_action_row_new ();
  g_autofree char *members = g_strdup_printf (g_dngettext (NULL, "%u member", "%u members",
                                                           matrix_public_room_get_n_members (room)),
                                              matrix_public_room_get_n_members (room));
  g_autofree char *subtitle = matrix_public_room_get_alias (room) != NULL
                              ? g_strdup_printf ("%s · %s", matrix_public_room_get_alias (room), members)
                              : g_strdup (members);

  /* Names and topics come from anyone: never markup. */
  adw_preferences_row_set_use_markup (ADW_PREFERENCES_ROW (row), FALSE);
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), matrix_public_room_get_name (room));
  adw_action_row_set_subtitle (ADW_ACTION_ROW (row), subtitle);
  adw_action_row_add_prefix (ADW_ACTION_ROW (row), adw_avatar_new (32, matrix_public_room_get_name (room), TRUE));
  if (matrix_public_room_get_topic (room) != NULL)
    gtk_widget_set_tooltip_text (row, matrix_public_room_get_topic (room));
  gtk_list_box_row_set_activatable (GTK_LIST_BOX_ROW (row), TRUE);
  g_object_set_data_full (G_OBJECT (row), "room-id", g_strdup (matrix_public_room_get_room_id (room)), g_free);
  return row;
}

static void
on_page (GObject      *source,
         GAsyncResult *result,
         gpointer      user_data)
{
  g_autoptr(ConfabExploreDialog) self = user_data;
  g_autoptr(GPtrArray) rooms = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *next = NULL;

  rooms = matrix_client_get_public_rooms_finish (MATRIX_CLIENT (source), result, &next, &error);
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  if (rooms == NULL)
    {
      gtk_label_set_text (self->status, _("The room directory cannot be read right now."));
      gtk_widget_set_visible (GTK_WIDGET (self->status), TRUE);
      return;
    }

  for (guint i = 0; i < rooms->len; i++)
    gtk_list_box_append (self->list, room_row (g_ptr_array_index (rooms, i)));
  g_free (self->next_batch);
  self->next_batch = g_steal_pointer (&next);
  gtk_widget_set_visible (self->more_button, self->next_batch != NULL);
  gtk_widget_set_visible (GTK_WIDGET (self->status), gtk_list_box_get_row_at_index (self->list, 0) == NULL);
  gtk_label_set_text (self->status, _("No public room matches"));
}

static void
load (ConfabExploreDialog *self,
      gboolean             more)
{
  const char *text = gtk_editable_get_text (GTK_EDITABLE (self->entry));
  GtkWidget *child;

  g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  self->cancellable = g_cancellable_new ();
  if (!more)
    {
      while ((child = gtk_widget_get_first_child (GTK_WIDGET (self->list))) != NULL)
        gtk_list_box_remove (self->list, child);
      g_clear_pointer (&self->next_batch, g_free);
    }
  matrix_client_get_public_rooms_async (self->client, text, PAGE_SIZE, more ? self->next_batch : NULL,
                                        self->cancellable, on_page, g_object_ref (self));
}

static gboolean
on_search_timeout (gpointer user_data)
{
  ConfabExploreDialog *self = user_data;

  self->search_source = 0;
  load (self, FALSE);
  return G_SOURCE_REMOVE;
}

static void
on_search_changed (ConfabExploreDialog *self)
{
  g_clear_handle_id (&self->search_source, g_source_remove);
  self->search_source = g_timeout_add (SEARCH_DELAY_MS, on_search_timeout, self);
}

static void
on_more_clicked (ConfabExploreDialog *self)
{
  if (self->next_batch != NULL)
    load (self, TRUE);
}

void
confab_explore_dialog_choose (ConfabExploreDialog *self,
                              const char          *room_id)
{
  GtkWindow *parent;

  g_return_if_fail (CONFAB_IS_EXPLORE_DIALOG (self));

  parent = gtk_window_get_transient_for (GTK_WINDOW (self));
  if (parent != NULL)
    gtk_widget_activate_action (GTK_WIDGET (parent), "win.open-room", "s", room_id);
  gtk_window_close (GTK_WINDOW (self));
}

static void
on_row_activated (ConfabExploreDialog *self,
                  GtkListBoxRow       *row)
{
  const char *room_id = g_object_get_data (G_OBJECT (row), "room-id");

  if (room_id != NULL)
    confab_explore_dialog_choose (self, room_id);
}

void
confab_explore_dialog_search (ConfabExploreDialog *self,
                              const char          *text)
{
  g_return_if_fail (CONFAB_IS_EXPLORE_DIALOG (self));

  gtk_editable_set_text (GTK_EDITABLE (self->entry), text);
  g_clear_handle_id (&self->search_source, g_source_remove);
  load (self, FALSE);
}

GStrv
confab_explore_dialog_dup_listed (ConfabExploreDialog *self)
{
  g_autoptr(GStrvBuilder) builder = g_strv_builder_new ();

  g_return_val_if_fail (CONFAB_IS_EXPLORE_DIALOG (self), NULL);

  for (GtkWidget *row = gtk_widget_get_first_child (GTK_WIDGET (self->list)); row != NULL;
       row = gtk_widget_get_next_sibling (row))
    if (g_object_get_data (G_OBJECT (row), "room-id") != NULL)
      g_strv_builder_add (builder, g_object_get_data (G_OBJECT (row), "room-id"));
  return g_strv_builder_end (builder);
}

static gboolean
on_close_request (GtkWindow *window)
{
  /* GTK 4.8 warns when a window goes with the focus in an entry; and a
   * page on its way holds the window, which must not point at a main
   * window gone by then. */
  gtk_window_set_focus (window, NULL);
  gtk_window_set_transient_for (window, NULL);
  return FALSE;
}

static void
confab_explore_dialog_dispose (GObject *object)
{
  ConfabExploreDialog *self = CONFAB_EXPLORE_DIALOG (object);

  g_clear_handle_id (&self->search_source, g_source_remove);
  g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  g_clear_object (&self->client);
  g_clear_pointer (&self->next_batch, g_free);

  G_OBJECT_CLASS (confab_explore_dialog_parent_class)->dispose (object);
}

static void
confab_explore_dialog_class_init (ConfabExploreDialogClass *klass)
{
  G_OBJECT_CLASS (klass)->dispose = confab_explore_dialog_dispose;
  gtk_widget_class_add_binding_action (GTK_WIDGET_CLASS (klass), GDK_KEY_Escape, 0, "window.close", NULL);
}

static void
confab_explore_dialog_init (ConfabExploreDialog *self)
{
  GtkWidget *box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 0);
  GtkWidget *inner = gtk_box_new (GTK_ORIENTATION_VERTICAL, 12);
  GtkWidget *scroller = gtk_scrolled_window_new ();
  GtkWidget *content = gtk_box_new (GTK_ORIENTATION_VERTICAL, 12);

  gtk_window_set_modal (GTK_WINDOW (self), TRUE);
  gtk_window_set_default_size (GTK_WINDOW (self), 460, 560);
  gtk_window_set_title (GTK_WINDOW (self), _("Explore Public Rooms"));
  g_signal_connect (self, "close-request", G_CALLBACK (on_close_request), NULL);

  gtk_box_append (GTK_BOX (box), adw_header_bar_new ());
  gtk_widget_set_margin_start (inner, 12);
  gtk_widget_set_margin_end (inner, 12);
  gtk_widget_set_margin_bottom (inner, 12);
  gtk_widget_set_vexpand (inner, TRUE);
  gtk_box_append (GTK_BOX (box), inner);

  self->entry = GTK_SEARCH_ENTRY (gtk_search_entry_new ());
  g_object_set (self->entry, "placeholder-text", _("Search public rooms"), NULL);
  g_signal_connect_swapped (self->entry, "search-changed", G_CALLBACK (on_search_changed), self);
  gtk_box_append (GTK_BOX (inner), GTK_WIDGET (self->entry));

  self->status = GTK_LABEL (gtk_label_new (NULL));
  gtk_widget_add_css_class (GTK_WIDGET (self->status), "dim-label");
  gtk_widget_set_visible (GTK_WIDGET (self->status), FALSE);
  gtk_box_append (GTK_BOX (inner), GTK_WIDGET (self->status));

  self->list = GTK_LIST_BOX (gtk_list_box_new ());
  gtk_list_box_set_selection_mode (self->list, GTK_SELECTION_NONE);
  gtk_widget_add_css_class (GTK_WIDGET (self->list), "boxed-list");
  gtk_widget_set_valign (GTK_WIDGET (self->list), GTK_ALIGN_START);
  g_signal_connect_swapped (self->list, "row-activated", G_CALLBACK (on_row_activated), self);
  gtk_box_append (GTK_BOX (content), GTK_WIDGET (self->list));
  self->more_button = gtk_button_new_with_mnemonic (_("_Load More"));
  gtk_widget_set_halign (self->more_button, GTK_ALIGN_CENTER);
  gtk_widget_set_visible (self->more_button, FALSE);
  g_signal_connect_swapped (self->more_button, "clicked", G_CALLBACK (on_more_clicked), self);
  gtk_box_append (GTK_BOX (content), self->more_button);
  gtk_scrolled_window_set_child (GTK_SCROLLED_WINDOW (scroller), content);
  gtk_scrolled_window_set_policy (GTK_SCROLLED_WINDOW (scroller), GTK_POLICY_NEVER, GTK_POLICY_AUTOMATIC);
  gtk_widget_set_vexpand (scroller, TRUE);
  gtk_box_append (GTK_BOX (inner), scroller);

  adw_window_set_content (ADW_WINDOW (self), box);
}

GtkWidget *
confab_explore_dialog_new (GtkWindow    *parent,
                           MatrixClient *client)
{
  ConfabExploreDialog *self;

  g_return_val_if_fail (MATRIX_IS_CLIENT (client), NULL);

  self = g_object_new (CONFAB_TYPE_EXPLORE_DIALOG, "transient-for", parent, NULL);
  self->client = g_object_ref (client);
  if (parent != NULL)
    g_signal_connect_object (parent, "destroy", G_CALLBACK (gtk_window_destroy), self, G_CONNECT_SWAPPED);
  load (self, FALSE);
  return GTK_WIDGET (self);
}
