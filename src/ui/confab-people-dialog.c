/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "confab-people-dialog"

#include "config.h"

#include <glib/gi18n.h>

#include "confab-people-dialog.h"

/* One dialog for finding people: "Start a Chat" and "Invite People". The
 * entry searches the server's user directory a moment after the last key
 * (a search in flight is cancelled by the next); a full Matrix id typed in
 * is offered as it is, even when the directory does not list it. */

#define SEARCH_DELAY_MS 250
#define SEARCH_LIMIT 20

struct _ConfabPeopleDialog
{
  AdwWindow               parent_instance;

  MatrixRoomStateTracker *tracker;   /* start a chat */
  MatrixRoom             *room;      /* invite */
  MatrixClient           *client;

  GtkSearchEntry         *entry;
  GtkListBox             *list;
  GtkLabel               *status;
  GtkStack               *stack;

  GCancellable           *search_cancellable;
  GCancellable           *cancellable;
  guint                   search_source;
  char                   *searched;
  gboolean                busy;
};

G_DEFINE_FINAL_TYPE (ConfabPeopleDialog, confab_people_dialog, ADW_TYPE_WINDOW)

static void
show_status (ConfabPeopleDialog *self,
             const char         *text,
             gboolean            error)
{
  gtk_label_set_text (self->status, text != NULL ? text : "");
  gtk_widget_set_visible (GTK_WIDGET (self->status), text != NULL);
  if (error)
    gtk_widget_add_css_class (GTK_WIDGET (self->status), "error");
  else
    gtk_widget_remove_css_class (GTK_WIDGET (self->status), "error");
}

static GtkWidget *
person_row (const char *user_id,
            const char *display_name)
{
  GtkWidget *row = adw_action_row_new ();
  GtkWidget *avatar = adw_avatar_new (32, display_name, TRUE);

  /* Names come from anyone: never markup. */
  adw_preferences_row_set_use_markup (ADW_PREFERENCES_ROW (row), FALSE);
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), display_name);
  if (!g_str_equal (display_name, user_id))
    adw_action_row_set_subtitle (ADW_ACTION_ROW (row), user_id);
  adw_action_row_add_prefix (ADW_ACTION_ROW (row), avatar);
  gtk_list_box_row_set_activatable (GTK_LIST_BOX_ROW (row), TRUE);
  g_object_set_data_full (G_OBJECT (row), "user-id", g_strdup (user_id), g_free);
  return row;
}

static void
clear_list (ConfabPeopleDialog *self)
{
  GtkWidget *child;

  while ((child = gtk_widget_get_first_child (GTK_WIDGET (self->list))) != NULL)
    gtk_list_box_remove (self->list, child);
}

/* The directory's answer, with the typed id first when it is a full one
 * the directory does not list. */
static void
show_results (ConfabPeopleDialog *self,
              GPtrArray          *profiles)
{
  g_autofree char *typed = g_strstrip (g_strdup (gtk_editable_get_text (GTK_EDITABLE (self->entry))));
  gboolean typed_listed = FALSE;

  clear_list (self);
  for (guint i = 0; profiles != NULL && i < profiles->len; i++)
    {
      MatrixUserProfile *profile = g_ptr_array_index (profiles, i);
      const char *user_id = matrix_user_profile_get_user_id (profile);

      if (g_strcmp0 (user_id, matrix_client_get_user_id (self->client)) == 0)
        continue;
      typed_listed |= g_str_equal (user_id, typed);
      gtk_list_box_append (self->list, person_row (user_id, matrix_user_profile_get_display_name (profile)));
    }
  if (!typed_listed && matrix_user_id_is_valid (typed))
    gtk_list_box_prepend (self->list, person_row (typed, typed));

  gtk_stack_set_visible_child_name (self->stack,
                                    gtk_widget_get_first_child (GTK_WIDGET (self->list)) != NULL
                                    ? "list" : "empty");
}

static void
on_search_done (GObject      *source,
                GAsyncResult *result,
                gpointer      user_data)
{
  g_autoptr(ConfabPeopleDialog) self = user_data;
  g_autoptr(GPtrArray) profiles = NULL;
  g_autoptr(GError) error = NULL;

  profiles = matrix_client_search_users_finish (MATRIX_CLIENT (source), result, NULL, &error);
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  if (error != NULL)
    show_status (self, _("The user directory cannot be searched right now."), TRUE);
  else if (!self->busy)
    show_status (self, NULL, FALSE);
  show_results (self, profiles);
}

static void
search_now (ConfabPeopleDialog *self)
{
  g_autofree char *text = g_strstrip (g_strdup (gtk_editable_get_text (GTK_EDITABLE (self->entry))));

  g_clear_handle_id (&self->search_source, g_source_remove);
  if (g_strcmp0 (text, self->searched) == 0)
    return;
  g_free (self->searched);
  self->searched = g_strdup (text);

  g_cancellable_cancel (self->search_cancellable);
  g_clear_object (&self->search_cancellable);
  if (*text == '\0')
    {
      clear_list (self);
      gtk_stack_set_visible_child_name (self->stack, "hint");
      return;
    }

  self->search_cancellable = g_cancellable_new ();
  matrix_client_search_users_async (self->client, text, SEARCH_LIMIT, self->search_cancellable,
                                    on_search_done, g_object_ref (self));
}

static gboolean
on_search_timeout (gpointer user_data)
{
  ConfabPeopleDialog *self = user_data;

  self->search_source = 0;
  search_now (self);
  return G_SOURCE_REMOVE;
}

static void
on_search_changed (ConfabPeopleDialog *self)
{
  g_clear_handle_id (&self->search_source, g_source_remove);
  self->search_source = g_timeout_add (SEARCH_DELAY_MS, on_search_timeout, self);
}

/* What went wrong, in words a person reads. */
static char *
describe_error (ConfabPeopleDialog *self,
                const char         *user_id,
                const GError       *error)
{
  if (error->domain == MATRIX_ERROR)
    switch ((MatrixError) error->code)
      {
      case MATRIX_ERROR_INVALID_USER_ID:
        return g_strdup_printf (_("“%s” is not a Matrix ID. Matrix IDs look like @name:example.org."), user_id);
      case MATRIX_ERROR_ALREADY_MEMBER:
        return g_strdup_printf (_("%s is already in this room, or invited."), user_id);
      case MATRIX_ERROR_UNKNOWN_USER:
        return g_strdup_printf (_("There is no user %s."), user_id);
      case MATRIX_ERROR_FORBIDDEN:
        return g_strdup (self->room != NULL ? _("You are not allowed to invite people to this room.")
                                            : _("The server did not allow this chat."));
      default:
        break;
      }
  return g_strdup_printf (self->room != NULL ? _("Could not invite %s: %s") : _("Could not start a chat with %s: %s"),
                          user_id, error->message);
}

static void
set_busy (ConfabPeopleDialog *self,
          gboolean            busy)
{
  /* The entry keeps its sensitivity: GTK 4.8 warns when a focused entry
   * loses it ("did not receive a focus-out event"). */
  self->busy = busy;
  gtk_widget_set_sensitive (GTK_WIDGET (self->list), !busy);
}

static void
on_chat_started (GObject      *source,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  g_autoptr(ConfabPeopleDialog) self = user_data;
  g_autoptr(GError) error = NULL;
  g_autofree char *room_id = NULL;
  const char *user_id = g_object_get_data (G_OBJECT (self), "choosing");
  GtkWindow *parent;

  room_id = matrix_room_state_tracker_start_direct_chat_finish (MATRIX_ROOM_STATE_TRACKER (source), result,
                                                               NULL, &error);
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  set_busy (self, FALSE);
  if (room_id == NULL)
    {
      g_autofree char *text = describe_error (self, user_id, error);
      show_status (self, text, TRUE);
      return;
    }

  parent = gtk_window_get_transient_for (GTK_WINDOW (self));
  if (parent != NULL)
    gtk_widget_activate_action (GTK_WIDGET (parent), "win.open-room", "s", room_id);
  gtk_window_close (GTK_WINDOW (self));
}

static void
on_invited (GObject      *source,
            GAsyncResult *result,
            gpointer      user_data)
{
  g_autoptr(ConfabPeopleDialog) self = user_data;
  g_autoptr(GError) error = NULL;
  const char *user_id = g_object_get_data (G_OBJECT (self), "choosing");

  if (!matrix_room_invite_finish (MATRIX_ROOM (source), result, &error))
    {
      g_autofree char *text = NULL;

      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        return;
      set_busy (self, FALSE);
      text = describe_error (self, user_id, error);
      show_status (self, text, TRUE);
      return;
    }

  set_busy (self, FALSE);
  {
    g_autofree char *text = g_strdup_printf (_("%s was invited."), user_id);
    GtkWindow *parent = gtk_window_get_transient_for (GTK_WINDOW (self));

    if (parent != NULL)
      gtk_widget_activate_action (GTK_WIDGET (parent), "win.show-toast", "s", text);
  }
  gtk_window_close (GTK_WINDOW (self));
}

/* Whom is being chosen is kept as the dialog's "choosing", for the
 * messages. */
static void
on_choose_done (GObject      *source,
                GAsyncResult *result,
                gpointer      user_data)
{
  ConfabPeopleDialog *self = user_data;

  if (self->room != NULL)
    on_invited (source, result, self);
  else
    on_chat_started (source, result, self);
}

void
confab_people_dialog_choose (ConfabPeopleDialog *self,
                             const char         *user_id)
{
  g_return_if_fail (CONFAB_IS_PEOPLE_DIALOG (self));
  g_return_if_fail (user_id != NULL);

  if (self->busy)
    return;
  set_busy (self, TRUE);
  show_status (self, self->room != NULL ? _("Inviting…") : _("Opening the chat…"), FALSE);
  g_object_set_data_full (G_OBJECT (self), "choosing", g_strdup (user_id), g_free);
  if (self->room != NULL)
    matrix_room_invite_async (self->room, user_id, self->cancellable, on_choose_done, g_object_ref (self));
  else
    matrix_room_state_tracker_start_direct_chat_async (self->tracker, user_id, self->cancellable,
                                                       on_choose_done, g_object_ref (self));
}

static void
on_row_activated (ConfabPeopleDialog *self,
                  GtkListBoxRow      *row)
{
  const char *user_id = g_object_get_data (G_OBJECT (row), "user-id");

  if (user_id != NULL)
    confab_people_dialog_choose (self, user_id);
}

/* Enter takes the first person listed, or the id as typed. */
static void
on_entry_activate (ConfabPeopleDialog *self)
{
  GtkListBoxRow *first;
  g_autofree char *typed = g_strstrip (g_strdup (gtk_editable_get_text (GTK_EDITABLE (self->entry))));

  search_now (self);
  first = gtk_list_box_get_row_at_index (self->list, 0);
  if (matrix_user_id_is_valid (typed))
    confab_people_dialog_choose (self, typed);
  else if (first != NULL)
    on_row_activated (self, first);
}

void
confab_people_dialog_search (ConfabPeopleDialog *self,
                             const char         *text)
{
  g_return_if_fail (CONFAB_IS_PEOPLE_DIALOG (self));

  gtk_editable_set_text (GTK_EDITABLE (self->entry), text);
  search_now (self);
}

GStrv
confab_people_dialog_dup_listed (ConfabPeopleDialog *self)
{
  g_autoptr(GStrvBuilder) builder = g_strv_builder_new ();

  g_return_val_if_fail (CONFAB_IS_PEOPLE_DIALOG (self), NULL);

  for (GtkWidget *row = gtk_widget_get_first_child (GTK_WIDGET (self->list)); row != NULL;
       row = gtk_widget_get_next_sibling (row))
    {
      const char *user_id = g_object_get_data (G_OBJECT (row), "user-id");
      if (user_id != NULL)
        g_strv_builder_add (builder, user_id);
    }
  return g_strv_builder_end (builder);
}

const char *
confab_people_dialog_get_error (ConfabPeopleDialog *self)
{
  g_return_val_if_fail (CONFAB_IS_PEOPLE_DIALOG (self), NULL);

  if (!gtk_widget_get_visible (GTK_WIDGET (self->status)) ||
      !gtk_widget_has_css_class (GTK_WIDGET (self->status), "error"))
    return NULL;
  return gtk_label_get_text (self->status);
}

static void
confab_people_dialog_dispose (GObject *object)
{
  ConfabPeopleDialog *self = CONFAB_PEOPLE_DIALOG (object);

  g_clear_handle_id (&self->search_source, g_source_remove);
  g_cancellable_cancel (self->search_cancellable);
  g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->search_cancellable);
  g_clear_object (&self->cancellable);
  g_clear_object (&self->tracker);
  g_clear_object (&self->room);
  g_clear_object (&self->client);

  G_OBJECT_CLASS (confab_people_dialog_parent_class)->dispose (object);
}

static void
confab_people_dialog_finalize (GObject *object)
{
  ConfabPeopleDialog *self = CONFAB_PEOPLE_DIALOG (object);

  g_free (self->searched);

  G_OBJECT_CLASS (confab_people_dialog_parent_class)->finalize (object);
}

static void
confab_people_dialog_class_init (ConfabPeopleDialogClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = confab_people_dialog_dispose;
  object_class->finalize = confab_people_dialog_finalize;
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_Escape, 0, "window.close", NULL);
}

/* GTK 4.8 warns ("GtkText - did not receive a focus-out event") when a
 * window goes with the focus still in an entry: let it go first. */
static gboolean
on_close_request (GtkWindow *window)
{
  gtk_window_set_focus (window, NULL);
  /* An answer still on its way holds the window: once closed it must not
   * point at a main window that may be gone when it is finalized. */
  gtk_window_set_transient_for (window, NULL);
  return FALSE;
}

/* Goes with the main window (not destroy-with-parent, which would keep the
 * pointer to the parent until finalized). */
static void
follow_parent (GtkWindow *self,
               GtkWindow *parent)
{
  if (parent != NULL)
    g_signal_connect_object (parent, "destroy", G_CALLBACK (gtk_window_destroy), self, G_CONNECT_SWAPPED);
}

static GtkWidget *
status_page (const char *icon,
             const char *title,
             const char *description)
{
  GtkWidget *page = adw_status_page_new ();

  adw_status_page_set_icon_name (ADW_STATUS_PAGE (page), icon);
  adw_status_page_set_title (ADW_STATUS_PAGE (page), title);
  adw_status_page_set_description (ADW_STATUS_PAGE (page), description);
  gtk_widget_add_css_class (page, "compact");
  return page;
}

static void
confab_people_dialog_init (ConfabPeopleDialog *self)
{
  GtkWidget *box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 0);
  GtkWidget *header = adw_header_bar_new ();
  GtkWidget *inner = gtk_box_new (GTK_ORIENTATION_VERTICAL, 12);
  GtkWidget *scroller = gtk_scrolled_window_new ();

  self->cancellable = g_cancellable_new ();
  gtk_window_set_modal (GTK_WINDOW (self), TRUE);
  gtk_window_set_default_size (GTK_WINDOW (self), 420, 520);
  g_signal_connect (self, "close-request", G_CALLBACK (on_close_request), NULL);

  gtk_box_append (GTK_BOX (box), header);
  gtk_widget_set_margin_start (inner, 12);
  gtk_widget_set_margin_end (inner, 12);
  gtk_widget_set_margin_top (inner, 6);
  gtk_widget_set_margin_bottom (inner, 12);
  gtk_widget_set_vexpand (inner, TRUE);
  gtk_box_append (GTK_BOX (box), inner);

  self->entry = GTK_SEARCH_ENTRY (gtk_search_entry_new ());
  g_object_set (self->entry, "placeholder-text", _("Name or Matrix ID (@name:example.org)"), NULL);
  g_signal_connect_swapped (self->entry, "search-changed", G_CALLBACK (on_search_changed), self);
  g_signal_connect_swapped (self->entry, "activate", G_CALLBACK (on_entry_activate), self);
  gtk_box_append (GTK_BOX (inner), GTK_WIDGET (self->entry));

  self->status = GTK_LABEL (gtk_label_new (NULL));
  gtk_label_set_wrap (self->status, TRUE);
  gtk_label_set_xalign (self->status, 0);
  gtk_widget_set_visible (GTK_WIDGET (self->status), FALSE);
  gtk_box_append (GTK_BOX (inner), GTK_WIDGET (self->status));

  self->list = GTK_LIST_BOX (gtk_list_box_new ());
  gtk_list_box_set_selection_mode (self->list, GTK_SELECTION_NONE);
  gtk_widget_add_css_class (GTK_WIDGET (self->list), "boxed-list");
  gtk_widget_set_valign (GTK_WIDGET (self->list), GTK_ALIGN_START);
  g_signal_connect_swapped (self->list, "row-activated", G_CALLBACK (on_row_activated), self);
  gtk_scrolled_window_set_child (GTK_SCROLLED_WINDOW (scroller), GTK_WIDGET (self->list));
  gtk_scrolled_window_set_policy (GTK_SCROLLED_WINDOW (scroller), GTK_POLICY_NEVER, GTK_POLICY_AUTOMATIC);

  self->stack = GTK_STACK (gtk_stack_new ());
  gtk_widget_set_vexpand (GTK_WIDGET (self->stack), TRUE);
  gtk_stack_add_named (self->stack, status_page ("system-search-symbolic", _("Find People"),
                                                 _("Search by name, or enter a full Matrix ID")), "hint");
  gtk_stack_add_named (self->stack, status_page ("edit-find-symbolic", _("No One Found"),
                                                 _("Try another name, or a full Matrix ID such as @name:example.org")),
                       "empty");
  gtk_stack_add_named (self->stack, scroller, "list");
  gtk_stack_set_visible_child_name (self->stack, "hint");
  gtk_box_append (GTK_BOX (inner), GTK_WIDGET (self->stack));

  adw_window_set_content (ADW_WINDOW (self), box);
  gtk_widget_grab_focus (GTK_WIDGET (self->entry));
}

GtkWidget *
confab_people_dialog_new_start_chat (GtkWindow              *parent,
                                     MatrixRoomStateTracker *tracker)
{
  ConfabPeopleDialog *self;

  g_return_val_if_fail (MATRIX_IS_ROOM_STATE_TRACKER (tracker), NULL);

  self = g_object_new (CONFAB_TYPE_PEOPLE_DIALOG, "transient-for", parent,
                       "title", _("Start a Chat"), NULL);
  self->tracker = g_object_ref (tracker);
  self->client = g_object_ref (matrix_room_state_tracker_get_client (tracker));
  follow_parent (GTK_WINDOW (self), parent);
  return GTK_WIDGET (self);
}

GtkWidget *
confab_people_dialog_new_invite (GtkWindow  *parent,
                                 MatrixRoom *room)
{
  ConfabPeopleDialog *self;

  g_return_val_if_fail (MATRIX_IS_ROOM (room), NULL);

  self = g_object_new (CONFAB_TYPE_PEOPLE_DIALOG, "transient-for", parent,
                       "title", _("Invite People"), NULL);
  self->room = g_object_ref (room);
  self->client = g_object_ref (matrix_room_get_client (room));
  follow_parent (GTK_WINDOW (self), parent);
  return GTK_WIDGET (self);
}
