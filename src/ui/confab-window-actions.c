/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "confab-window"

#include "config.h"

#include <glib/gi18n.h>

#include "confab-create-room-dialog.h"
#include "confab-explore-dialog.h"
#include "confab-people-dialog.h"
#include "confab-room-details.h"
#include "confab-thread-window.h"
#include "confab-window-private.h"

/* The window's actions: logging out, searching and moving between rooms,
 * joining, creating and leaving rooms, opening a thread of the open room,
 * and showing a toast for its children (win.show-toast). */

static void
logout_activated (GtkWidget  *widget,
                  const char *action_name,
                  GVariant   *parameter)
{
  confab_account_logout (CONFAB_WINDOW (widget)->account);
}

static void
search_activated (GtkWidget  *widget,
                  const char *action_name,
                  GVariant   *parameter)
{
  ConfabWindow *self = CONFAB_WINDOW (widget);

  adw_leaflet_navigate (self->leaflet, ADW_NAVIGATION_DIRECTION_BACK);
  confab_sidebar_start_search (self->sidebar);
}

/* win.previous-room / win.next-room: the room above or below the open one
 * in the list as it is shown (activity order, search applied). */
static void
move_room_activated (GtkWidget  *widget,
                     const char *action_name,
                     GVariant   *parameter)
{
  ConfabWindow *self = CONFAB_WINDOW (widget);
  int step = g_str_equal (action_name, "win.next-room") ? 1 : -1;
  GListModel *rooms;
  guint n, current = G_MAXUINT;
  g_autoptr(MatrixRoom) target = NULL;

  rooms = confab_sidebar_get_joined_rooms (self->sidebar);
  if (rooms == NULL)
    return;

  n = g_list_model_get_n_items (rooms);
  for (guint i = 0; i < n && self->room != NULL; i++)
    {
      g_autoptr(MatrixRoom) item = g_list_model_get_item (rooms, i);

      if (item == self->room)
        {
          current = i;
          break;
        }
    }

  if (current == G_MAXUINT)
    target = n > 0 ? g_list_model_get_item (rooms, step > 0 ? 0 : n - 1) : NULL;
  else if ((step < 0 && current > 0) || (step > 0 && current + 1 < n))
    target = g_list_model_get_item (rooms, current + step);

  if (target != NULL)
    {
      confab_sidebar_select_room (self->sidebar, target);
      _confab_window_show_room (self, target);
      adw_leaflet_navigate (self->leaflet, ADW_NAVIGATION_DIRECTION_FORWARD);
    }
}

static void
on_joined (GObject      *source,
           GAsyncResult *result,
           gpointer      user_data)
{
  g_autoptr(ConfabWindow) self = user_data;
  g_autoptr(GError) error = NULL;
  g_autofree char *room_id = matrix_client_join_room_finish (MATRIX_CLIENT (source), result, &error);

  if (room_id == NULL)
    {
      _confab_window_show_error (self, _("Could not join the room"), error);
      return;
    }

  if (self->client == MATRIX_CLIENT (source) && !confab_window_select_room (self, room_id))
    {
      g_free (self->pending_room_id);
      self->pending_room_id = g_steal_pointer (&room_id);
    }
}

static void
on_entry_dialog_response (AdwMessageDialog *dialog,
                          const char       *response,
                          ConfabWindow     *self)
{
  GtkEditable *entry = GTK_EDITABLE (adw_message_dialog_get_extra_child (dialog));
  g_autofree char *text = g_strstrip (g_strdup (gtk_editable_get_text (entry)));

  if (self->client == NULL || *text == '\0')
    return;

  if (g_str_equal (response, "join"))
    matrix_client_join_room_async (self->client, text, NULL, on_joined, g_object_ref (self));
}

static void
on_dialog_entry_changed (GtkEditable      *entry,
                         AdwMessageDialog *dialog)
{
  const char *text = gtk_editable_get_text (entry);
  g_autofree char *stripped = g_strstrip (g_strdup (text));

  adw_message_dialog_set_response_enabled (dialog,
                                           adw_message_dialog_get_default_response (dialog),
                                           *stripped != '\0');
}

/* Enter does what a click on the default button does: the response, once,
 * and the dialog closes (adw_message_dialog_response() alone would leave it
 * open for a second Enter). libadwaita makes that button the default widget. */
static void
on_dialog_entry_activate (GtkEntry         *entry,
                          AdwMessageDialog *dialog)
{
  GtkWidget *button = gtk_window_get_default_widget (GTK_WINDOW (dialog));

  if (button != NULL && gtk_widget_is_sensitive (button))
    gtk_widget_activate (button);
}

static void
ask_for_text (ConfabWindow *self,
              const char   *heading,
              const char   *body,
              const char   *placeholder,
              const char   *response,
              const char   *response_label)
{
  GtkWidget *dialog = adw_message_dialog_new (GTK_WINDOW (self), heading, body);
  GtkWidget *entry = gtk_entry_new ();

  gtk_entry_set_placeholder_text (GTK_ENTRY (entry), placeholder);
  adw_message_dialog_set_extra_child (ADW_MESSAGE_DIALOG (dialog), entry);
  adw_message_dialog_add_responses (ADW_MESSAGE_DIALOG (dialog),
                                    "cancel", _("_Cancel"),
                                    response, response_label,
                                    NULL);
  adw_message_dialog_set_response_appearance (ADW_MESSAGE_DIALOG (dialog), response,
                                              ADW_RESPONSE_SUGGESTED);
  adw_message_dialog_set_default_response (ADW_MESSAGE_DIALOG (dialog), response);
  adw_message_dialog_set_close_response (ADW_MESSAGE_DIALOG (dialog), "cancel");
  adw_message_dialog_set_response_enabled (ADW_MESSAGE_DIALOG (dialog), response, FALSE);
  g_signal_connect_object (entry, "changed", G_CALLBACK (on_dialog_entry_changed), dialog, 0);
  g_signal_connect_object (entry, "activate", G_CALLBACK (on_dialog_entry_activate), dialog, 0);
  g_signal_connect (dialog, "response", G_CALLBACK (on_entry_dialog_response), self);
  gtk_window_set_destroy_with_parent (GTK_WINDOW (dialog), TRUE);

  gtk_window_present (GTK_WINDOW (dialog));
}

static void
join_room_activated (GtkWidget  *widget,
                     const char *action_name,
                     GVariant   *parameter)
{
  ask_for_text (CONFAB_WINDOW (widget),
                _("Join a Room"),
                _("Enter the address of the room, such as #gnome:matrix.org, or its ID."),
                _("#room:server"),
                "join", _("_Join"));
}

static void
create_room_activated (GtkWidget  *widget,
                       const char *action_name,
                       GVariant   *parameter)
{
  ConfabWindow *self = CONFAB_WINDOW (widget);

  /* "New Room": name, topic, address, who can join, encryption, invitees. */
  if (self->client != NULL)
    gtk_window_present (GTK_WINDOW (confab_create_room_dialog_new (GTK_WINDOW (self), self->client)));
}

static void
on_left (GObject      *source,
         GAsyncResult *result,
         gpointer      user_data)
{
  g_autoptr(ConfabWindow) self = user_data;
  g_autoptr(GError) error = NULL;

  if (!matrix_room_leave_finish (MATRIX_ROOM (source), result, &error))
    {
      _confab_window_show_error (self, _("Could not leave the room"), error);
      return;
    }

  if (self->room == MATRIX_ROOM (source))
    {
      _confab_window_show_room (self, NULL);
      adw_leaflet_navigate (self->leaflet, ADW_NAVIGATION_DIRECTION_BACK);
    }
}

static void
on_leave_response (AdwMessageDialog *dialog,
                   const char       *response,
                   ConfabWindow     *self)
{
  MatrixRoom *room = g_object_get_data (G_OBJECT (dialog), "room");

  if (g_str_equal (response, "leave") && room != NULL)
    matrix_room_leave_async (room, NULL, on_left, g_object_ref (self));
}

static void
leave_room_activated (GtkWidget  *widget,
                      const char *action_name,
                      GVariant   *parameter)
{
  ConfabWindow *self = CONFAB_WINDOW (widget);
  GtkWidget *dialog;
  g_autofree char *heading = NULL;

  if (self->room == NULL)
    return;

  {
    /* A name from the network: isolated, so it cannot turn the question round. */
    g_autofree char *name = matrix_text_isolate (matrix_room_get_display_name (self->room));

    heading = g_strdup_printf (_("Leave “%s”?"), name);
  }
  dialog = adw_message_dialog_new (GTK_WINDOW (self), heading,
                                   _("You will no longer receive its messages."));
  adw_message_dialog_add_responses (ADW_MESSAGE_DIALOG (dialog),
                                    "cancel", _("_Cancel"),
                                    "leave", _("_Leave"),
                                    NULL);
  adw_message_dialog_set_response_appearance (ADW_MESSAGE_DIALOG (dialog), "leave",
                                              ADW_RESPONSE_DESTRUCTIVE);
  adw_message_dialog_set_close_response (ADW_MESSAGE_DIALOG (dialog), "cancel");
  g_object_set_data_full (G_OBJECT (dialog), "room", g_object_ref (self->room), g_object_unref);
  g_signal_connect (dialog, "response", G_CALLBACK (on_leave_response), self);
  gtk_window_set_destroy_with_parent (GTK_WINDOW (dialog), TRUE);

  gtk_window_present (GTK_WINDOW (dialog));
}

/* win.open-room (s): opens the room with that id, joining it first when the
 * user is not in it (a direct chat just made, a replaced room's
 * successor); a room the sync has not brought yet opens when it comes. */
static void
open_room_activated (GtkWidget  *widget,
                     const char *action_name,
                     GVariant   *parameter)
{
  ConfabWindow *self = CONFAB_WINDOW (widget);
  const char *room_id = g_variant_get_string (parameter, NULL);
  MatrixRoom *room;

  if (self->client == NULL || confab_window_select_room (self, room_id))
    return;

  room = self->tracker != NULL ? matrix_room_state_tracker_get_room (self->tracker, room_id) : NULL;
  if (room == NULL || matrix_room_get_membership (room) != MATRIX_MEMBERSHIP_JOIN)
    {
      /* Joining a room we are in (a chat just created, not synced yet) is
       * harmless: the server answers with its id. */
      matrix_client_join_room_async (self->client, room_id, NULL, on_joined, g_object_ref (self));
      return;
    }
  g_free (self->pending_room_id);
  self->pending_room_id = g_strdup (room_id);
}

static void
on_link_alias_resolved (GObject      *source,
                        GAsyncResult *result,
                        gpointer      user_data)
{
  g_autoptr(ConfabWindow) self = user_data;
  g_autoptr(GError) error = NULL;
  g_autofree char *room_id = matrix_client_resolve_room_alias_finish (MATRIX_CLIENT (source), result, &error);

  if (room_id == NULL)
    {
      _confab_window_show_error (self, _("Could not open the room"), error);
      return;
    }
  if (self->client == MATRIX_CLIENT (source))
    gtk_widget_activate_action (GTK_WIDGET (self), "win.open-room", "s", room_id);
}

/* win.open-link (s): a matrix: URI or matrix.to link, from a message or the
 * command line: a room opens (joined first when need be; an alias is looked
 * up), a user gets "start a chat". */
static void
open_link_activated (GtkWidget  *widget,
                     const char *action_name,
                     GVariant   *parameter)
{
  ConfabWindow *self = CONFAB_WINDOW (widget);
  g_autoptr(GError) error = NULL;
  g_autoptr(MatrixLink) link = matrix_link_parse (g_variant_get_string (parameter, NULL), &error);

  if (link == NULL)
    {
      _confab_window_show_error (self, _("Could not open the link"), error);
      return;
    }
  if (self->client == NULL)
    {
      g_free (self->pending_link);
      self->pending_link = g_variant_dup_string (parameter, NULL);
      return;
    }
  switch (matrix_link_get_kind (link))
    {
    case MATRIX_LINK_ROOM_ID:
      gtk_widget_activate_action (widget, "win.open-room", "s", matrix_link_get_target (link));
      break;
    case MATRIX_LINK_ROOM_ALIAS:
      matrix_client_resolve_room_alias_async (self->client, matrix_link_get_target (link), NULL,
                                              on_link_alias_resolved, g_object_ref (self));
      break;
    case MATRIX_LINK_USER:
    default:
      gtk_widget_activate_action (widget, "win.start-chat-with", "s", matrix_link_get_target (link));
      break;
    }
}

static void
start_chat_activated (GtkWidget  *widget,
                      const char *action_name,
                      GVariant   *parameter)
{
  ConfabWindow *self = CONFAB_WINDOW (widget);

  if (self->tracker != NULL)
    gtk_window_present (GTK_WINDOW (confab_people_dialog_new_start_chat (GTK_WINDOW (self), self->tracker)));
}

static void
on_chat_started (GObject      *source,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  g_autoptr(ConfabWindow) self = user_data;
  g_autoptr(GError) error = NULL;
  g_autofree char *room_id = NULL;

  room_id = matrix_room_state_tracker_start_direct_chat_finish (MATRIX_ROOM_STATE_TRACKER (source), result,
                                                               NULL, &error);
  if (room_id == NULL)
    {
      _confab_window_show_error (self, _("Could not start the chat"), error);
      return;
    }
  gtk_widget_activate_action (GTK_WIDGET (self), "win.open-room", "s", room_id);
}

/* win.start-chat-with (s): a member list's "Message". */
static void
start_chat_with_activated (GtkWidget  *widget,
                           const char *action_name,
                           GVariant   *parameter)
{
  ConfabWindow *self = CONFAB_WINDOW (widget);

  if (self->tracker != NULL)
    matrix_room_state_tracker_start_direct_chat_async (self->tracker, g_variant_get_string (parameter, NULL),
                                                       NULL, on_chat_started, g_object_ref (self));
}

static void
explore_activated (GtkWidget  *widget,
                   const char *action_name,
                   GVariant   *parameter)
{
  ConfabWindow *self = CONFAB_WINDOW (widget);

  if (self->client != NULL)
    gtk_window_present (GTK_WINDOW (confab_explore_dialog_new (GTK_WINDOW (self), self->client)));
}

static void
invite_activated (GtkWidget  *widget,
                  const char *action_name,
                  GVariant   *parameter)
{
  ConfabWindow *self = CONFAB_WINDOW (widget);

  if (self->room != NULL)
    gtk_window_present (GTK_WINDOW (confab_people_dialog_new_invite (GTK_WINDOW (self), self->room)));
}

static void
room_details_activated (GtkWidget  *widget,
                        const char *action_name,
                        GVariant   *parameter)
{
  ConfabWindow *self = CONFAB_WINDOW (widget);

  if (self->room != NULL)
    gtk_window_present (GTK_WINDOW (confab_room_details_new (GTK_WINDOW (self), self->room, self->tracker)));
}

/* win.show-toast (s): what a child widget has to tell the user (plain
 * text). */
static void
show_toast_activated (GtkWidget  *widget,
                      const char *action_name,
                      GVariant   *parameter)
{
  confab_window_show_toast (CONFAB_WINDOW (widget), g_variant_get_string (parameter, NULL));
}

/* win.open-thread (s): the thread of that event of the open room, in a
 * window of its own. */
static void
open_thread_activated (GtkWidget  *widget,
                       const char *action_name,
                       GVariant   *parameter)
{
  ConfabWindow *self = CONFAB_WINDOW (widget);
  GtkWidget *window;

  if (self->room == NULL)
    return;
  window = confab_thread_window_new (GTK_WINDOW (self), self->room,
                                     g_variant_get_string (parameter, NULL));
  gtk_window_set_destroy_with_parent (GTK_WINDOW (window), TRUE);
  gtk_window_present (GTK_WINDOW (window));
}

void
_confab_window_class_install_actions (GtkWidgetClass *widget_class)
{
  gtk_widget_class_install_action (widget_class, "win.logout", NULL, logout_activated);
  gtk_widget_class_install_action (widget_class, "win.search", NULL, search_activated);
  gtk_widget_class_install_action (widget_class, "win.previous-room", NULL, move_room_activated);
  gtk_widget_class_install_action (widget_class, "win.next-room", NULL, move_room_activated);
  gtk_widget_class_install_action (widget_class, "win.join-room", NULL, join_room_activated);
  gtk_widget_class_install_action (widget_class, "win.create-room", NULL, create_room_activated);
  gtk_widget_class_install_action (widget_class, "win.leave-room", NULL, leave_room_activated);
  gtk_widget_class_install_action (widget_class, "win.show-toast", "s", show_toast_activated);
  gtk_widget_class_install_action (widget_class, "win.open-room", "s", open_room_activated);
  gtk_widget_class_install_action (widget_class, "win.open-link", "s", open_link_activated);
  gtk_widget_class_install_action (widget_class, "win.start-chat", NULL, start_chat_activated);
  gtk_widget_class_install_action (widget_class, "win.start-chat-with", "s", start_chat_with_activated);
  gtk_widget_class_install_action (widget_class, "win.invite", NULL, invite_activated);
  gtk_widget_class_install_action (widget_class, "win.explore", NULL, explore_activated);
  gtk_widget_class_install_action (widget_class, "win.room-details", NULL, room_details_activated);
  gtk_widget_class_install_action (widget_class, "win.open-thread", "s", open_thread_activated);
}
