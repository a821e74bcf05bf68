/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "confab-thread-window"

#include <glib/gi18n.h>

#include "confab-thread-window.h"

/* A thread beside the room: the message it hangs from, its replies as a
 * list (MatrixThread, read from the server when the window opens), and an
 * entry to answer in the thread. Text from the network is set as plain
 * text, bounded (matrix_text_bound()), never as markup. */

/* What a row shows of a long message. */
#define MAX_CHARS 2000
#define MAX_LINES 40

struct _ConfabThreadWindow
{
  AdwWindow     parent_instance;

  MatrixRoom   *room;
  MatrixThread *thread;
  GCancellable *cancellable;
  GtkListBox   *list;
  GtkEntry     *entry;
  GtkWidget    *send_button;
};

G_DEFINE_FINAL_TYPE (ConfabThreadWindow, confab_thread_window, ADW_TYPE_WINDOW)

static GtkWidget *
create_row (gpointer item,
            gpointer user_data)
{
  ConfabThreadWindow *self = user_data;
  MatrixEvent *event = item;
  const char *body = matrix_event_get_content_string (event, "body");
  g_autofree char *name = matrix_room_dup_member_display_name (self->room,
                                                               matrix_event_get_sender (event));
  g_autofree char *shown = matrix_text_preview (body != NULL ? body : "", MAX_CHARS, MAX_LINES);
  g_autofree char *bounded = matrix_text_bound (shown, -1);
  GtkWidget *box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 2);
  GtkWidget *sender = gtk_label_new (name);
  GtkWidget *text = gtk_label_new (bounded);
  gboolean root = g_strcmp0 (matrix_event_get_event_id (event),
                             matrix_thread_get_root_event_id (self->thread)) == 0;

  gtk_widget_set_margin_start (box, 12);
  gtk_widget_set_margin_end (box, 12);
  gtk_widget_set_margin_top (box, 8);
  gtk_widget_set_margin_bottom (box, 8);
  gtk_label_set_xalign (GTK_LABEL (sender), 0);
  gtk_label_set_ellipsize (GTK_LABEL (sender), PANGO_ELLIPSIZE_END);
  gtk_widget_add_css_class (sender, "heading");
  gtk_label_set_xalign (GTK_LABEL (text), 0);
  gtk_label_set_wrap (GTK_LABEL (text), TRUE);
  gtk_label_set_wrap_mode (GTK_LABEL (text), PANGO_WRAP_WORD_CHAR);
  gtk_label_set_selectable (GTK_LABEL (text), TRUE);
  gtk_widget_set_name (text, "body_label");
  gtk_box_append (GTK_BOX (box), sender);
  gtk_box_append (GTK_BOX (box), text);
  if (root)
    gtk_widget_add_css_class (box, "confab-thread-root");
  /* A reply of ours not sent yet. */
  if (g_str_has_prefix (matrix_event_get_event_id (event), "~"))
    gtk_widget_add_css_class (text, "dim-label");
  return box;
}

static void
update_send (ConfabThreadWindow *self)
{
  g_autofree char *text = g_strstrip (g_strdup (gtk_editable_get_text (GTK_EDITABLE (self->entry))));

  gtk_widget_set_sensitive (self->send_button, *text != '\0');
}

static void
on_sent (GObject      *source,
         GAsyncResult *result,
         gpointer      user_data)
{
  g_autofree char *event_id = NULL;
  g_autoptr(GError) error = NULL;

  event_id = matrix_thread_send_finish (MATRIX_THREAD (source), result, &error);
  if (event_id == NULL && !g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    g_message ("Could not send into the thread: %s", error->message);
}

static void
send_reply (ConfabThreadWindow *self)
{
  g_autofree char *text = g_strstrip (g_strdup (gtk_editable_get_text (GTK_EDITABLE (self->entry))));

  if (*text == '\0')
    return;
  matrix_thread_send_async (self->thread, text, NULL, on_sent, NULL);
  gtk_editable_set_text (GTK_EDITABLE (self->entry), "");
}

static void
on_loaded (GObject      *source,
           GAsyncResult *result,
           gpointer      user_data)
{
  g_autoptr(GError) error = NULL;

  if (!matrix_thread_load_finish (MATRIX_THREAD (source), result, &error) &&
      !g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    g_message ("Could not read the thread: %s", error->message);
}

static void
confab_thread_window_dispose (GObject *object)
{
  ConfabThreadWindow *self = CONFAB_THREAD_WINDOW (object);

  g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  g_clear_object (&self->thread);
  g_clear_object (&self->room);
  G_OBJECT_CLASS (confab_thread_window_parent_class)->dispose (object);
}

static void
confab_thread_window_class_init (ConfabThreadWindowClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = confab_thread_window_dispose;
}

static void
confab_thread_window_init (ConfabThreadWindow *self)
{
  GtkWidget *box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 0);
  GtkWidget *header = adw_header_bar_new ();
  GtkWidget *scroller = gtk_scrolled_window_new ();
  GtkWidget *bar = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 6);
  GtkEventController *keys;

  self->cancellable = g_cancellable_new ();
  gtk_window_set_title (GTK_WINDOW (self), _("Thread"));
  gtk_window_set_default_size (GTK_WINDOW (self), 420, 560);
  /* Escape closes it, as GNOME's secondary windows do. */
  keys = gtk_shortcut_controller_new ();
  gtk_shortcut_controller_add_shortcut (GTK_SHORTCUT_CONTROLLER (keys),
                                        gtk_shortcut_new (gtk_shortcut_trigger_parse_string ("Escape"),
                                                          gtk_named_action_new ("window.close")));
  gtk_widget_add_controller (GTK_WIDGET (self), keys);

  gtk_box_append (GTK_BOX (box), header);

  self->list = GTK_LIST_BOX (gtk_list_box_new ());
  gtk_list_box_set_selection_mode (self->list, GTK_SELECTION_NONE);
  gtk_list_box_set_show_separators (self->list, TRUE);
  gtk_widget_add_css_class (GTK_WIDGET (self->list), "confab-thread");
  gtk_scrolled_window_set_child (GTK_SCROLLED_WINDOW (scroller), GTK_WIDGET (self->list));
  gtk_scrolled_window_set_policy (GTK_SCROLLED_WINDOW (scroller), GTK_POLICY_NEVER,
                                  GTK_POLICY_AUTOMATIC);
  gtk_widget_set_vexpand (scroller, TRUE);
  gtk_box_append (GTK_BOX (box), scroller);

  gtk_widget_set_margin_start (bar, 12);
  gtk_widget_set_margin_end (bar, 12);
  gtk_widget_set_margin_top (bar, 6);
  gtk_widget_set_margin_bottom (bar, 12);
  self->entry = GTK_ENTRY (gtk_entry_new ());
  gtk_entry_set_placeholder_text (self->entry, _("Reply in thread…"));
  gtk_widget_set_hexpand (GTK_WIDGET (self->entry), TRUE);
  g_signal_connect_swapped (self->entry, "activate", G_CALLBACK (send_reply), self);
  g_signal_connect_swapped (self->entry, "changed", G_CALLBACK (update_send), self);
  self->send_button = gtk_button_new_from_icon_name ("mail-send-symbolic");
  gtk_widget_set_tooltip_text (self->send_button, _("Send"));
  gtk_accessible_update_property (GTK_ACCESSIBLE (self->send_button),
                                  GTK_ACCESSIBLE_PROPERTY_LABEL, _("Send"), -1);
  gtk_widget_add_css_class (self->send_button, "suggested-action");
  gtk_widget_set_sensitive (self->send_button, FALSE);
  g_signal_connect_swapped (self->send_button, "clicked", G_CALLBACK (send_reply), self);
  gtk_box_append (GTK_BOX (bar), GTK_WIDGET (self->entry));
  gtk_box_append (GTK_BOX (bar), self->send_button);
  gtk_box_append (GTK_BOX (box), bar);

  adw_window_set_content (ADW_WINDOW (self), box);
}

GtkWidget *
confab_thread_window_new (GtkWindow   *parent,
                          MatrixRoom  *room,
                          const char  *root_event_id)
{
  ConfabThreadWindow *self;

  g_return_val_if_fail (MATRIX_IS_ROOM (room), NULL);
  g_return_val_if_fail (root_event_id != NULL, NULL);

  self = g_object_new (CONFAB_TYPE_THREAD_WINDOW, "transient-for", parent, NULL);
  self->room = g_object_ref (room);
  self->thread = matrix_timeline_dup_thread (matrix_room_get_timeline (room), root_event_id);
  gtk_list_box_bind_model (self->list, G_LIST_MODEL (self->thread), create_row, self, NULL);
  matrix_thread_load_async (self->thread, self->cancellable, on_loaded, NULL);
  return GTK_WIDGET (self);
}

MatrixThread *
confab_thread_window_get_thread (ConfabThreadWindow *self)
{
  g_return_val_if_fail (CONFAB_IS_THREAD_WINDOW (self), NULL);

  return self->thread;
}
