/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "confab-window"

#include "config.h"

#include <glib/gi18n.h>

#include "confab-avatar-loader.h"
#include "confab-window-private.h"

G_DEFINE_FINAL_TYPE (ConfabWindow, confab_window, ADW_TYPE_APPLICATION_WINDOW)

/* How long a room must stay in view before it is marked read: skimming
 * through rooms, or a burst of messages, sends one set of read markers. */
#define MARK_READ_DELAY_MS 500

ConfabWindow *
confab_window_new (GtkApplication *application)
{
  return g_object_new (CONFAB_TYPE_WINDOW, "application", application, NULL);
}

void
confab_window_show_toast (ConfabWindow *self,
                          const char   *text)
{
  g_autofree char *escaped = NULL;

  g_return_if_fail (CONFAB_IS_WINDOW (self));

  /* A toast's title is Pango markup, and the text may come from a server. */
  escaped = g_markup_escape_text (text, -1);
  adw_toast_overlay_add_toast (self->toast_overlay, adw_toast_new (escaped));
}

void
_confab_window_show_error (ConfabWindow *self,
                           const char   *what,
                           const GError *error)
{
  g_autofree char *text = g_strdup_printf ("%s: %s", what, error->message);

  confab_window_show_toast (self, text);
}

/* Sync status banner */

static const char *
sync_failure_reason (MatrixSyncFailure failure)
{
  switch (failure)
    {
    case MATRIX_SYNC_FAILURE_RATE_LIMITED:
      return _("Rate limited by the server");
    case MATRIX_SYNC_FAILURE_SERVER:
      return _("The server is having problems");
    case MATRIX_SYNC_FAILURE_INVALID_RESPONSE:
      return _("The server sent an answer Confab cannot use");
    case MATRIX_SYNC_FAILURE_OTHER:
      return _("Could not sync");
    case MATRIX_SYNC_FAILURE_NONE:
    case MATRIX_SYNC_FAILURE_CONNECTION:
    default:
      return _("Connection lost");
    }
}

static void
update_banner (ConfabWindow *self)
{
  const char *reason = sync_failure_reason (self->sync_failure);
  g_autofree char *text = NULL;

  /* A server asking for minutes of quiet gets them counted in minutes. */
  if (self->retry_seconds >= 120)
    /* Translators: the reason the sync failed, then minutes */
    text = g_strdup_printf (_("%s — retrying in %u min"), reason, (self->retry_seconds + 59) / 60);
  else if (self->retry_seconds > 0)
    /* Translators: the reason the sync failed, then seconds */
    text = g_strdup_printf (_("%s — retrying in %u s"), reason, self->retry_seconds);
  else
    /* Translators: the reason the sync failed */
    text = g_strdup_printf (_("%s — retrying now…"), reason);

  gtk_label_set_text (self->banner_label, text);
}

static gboolean
countdown_tick (gpointer user_data)
{
  ConfabWindow *self = user_data;

  if (self->retry_seconds > 0)
    self->retry_seconds--;
  update_banner (self);

  if (self->retry_seconds == 0)
    {
      self->countdown_source = 0;
      return G_SOURCE_REMOVE;
    }

  return G_SOURCE_CONTINUE;
}

static void
hide_banner (ConfabWindow *self)
{
  g_clear_handle_id (&self->countdown_source, g_source_remove);
  gtk_revealer_set_reveal_child (self->banner, FALSE);
}

static void
on_sync_failed (MatrixClient *client,
                guint         delay_s,
                ConfabWindow *self)
{
  self->retry_seconds = delay_s;
  self->sync_failure = matrix_client_get_sync_failure (client);
  update_banner (self);
  gtk_revealer_set_reveal_child (self->banner, TRUE);

  g_clear_handle_id (&self->countdown_source, g_source_remove);
  if (delay_s > 0)
    self->countdown_source = g_timeout_add_seconds (1, countdown_tick, self);
}

static void
on_sync_resumed (MatrixClient *client,
                 ConfabWindow *self)
{
  hide_banner (self);
}

/* Read markers */

/* Whether the open room is shown in the focused window. */
static gboolean
room_shown (ConfabWindow *self)
{
  if (self->room == NULL || !gtk_window_is_active (GTK_WINDOW (self)))
    return FALSE;
  if (g_strcmp0 (gtk_stack_get_visible_child_name (self->main_stack), "rooms") != 0)
    return FALSE;
  return !adw_leaflet_get_folded (self->leaflet) ||
         adw_leaflet_get_visible_child (self->leaflet) == self->content;
}

/* Whether the user can see the open room's newest messages: shown, with
 * its newest event drawn in the timeline. */
static gboolean
room_in_view (ConfabWindow *self)
{
  return room_shown (self) && confab_timeline_view_get_newest_in_view (self->timeline_view);
}

static void
on_marked_read (GObject      *source,
                GAsyncResult *result,
                gpointer      user_data)
{
  g_autoptr(GError) error = NULL;

  /* Not worth a toast: the markers are sent again with the next message. */
  if (!matrix_room_mark_read_finish (MATRIX_ROOM (source), result, &error) &&
      !g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    g_message ("Could not mark %s read: %s", matrix_room_get_room_id (MATRIX_ROOM (source)),
               error->message);
}

static gboolean
mark_read_timeout (gpointer user_data)
{
  ConfabWindow *self = user_data;

  self->mark_read_source = 0;
  if (room_in_view (self))
    matrix_room_mark_read_async (self->room, self->cancellable, on_marked_read, NULL);
  return G_SOURCE_REMOVE;
}

static void
update_read_marker (ConfabWindow *self)
{
  if (!room_in_view (self))
    {
      g_clear_handle_id (&self->mark_read_source, g_source_remove);
      return;
    }
  if (self->mark_read_source == 0)
    self->mark_read_source = g_timeout_add (MARK_READ_DELAY_MS, mark_read_timeout, self);
}

static void
on_room_loaded (GObject      *source,
                GAsyncResult *result,
                gpointer      user_data)
{
  g_autoptr(GError) error = NULL;

  if (!matrix_room_load_finish (MATRIX_ROOM (source), result, &error) &&
      !g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    g_message ("Could not read the room from the store: %s", error->message);
}

static gboolean
on_files_dropped (ConfabWindow *self,
                  const GValue *value,
                  double        x,
                  double        y)
{
  if (!G_VALUE_HOLDS (value, GDK_TYPE_FILE_LIST))
    return FALSE;
  confab_composer_send_files (self->composer, g_value_get_boxed (value));
  return TRUE;
}

/* The page of content_stack that shows a room: its timeline above the
 * composer. */
static void
ensure_room_page (ConfabWindow *self)
{
  GtkWidget *box;

  if (self->timeline_view != NULL)
    return;

  box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 0);
  self->timeline_view = CONFAB_TIMELINE_VIEW (confab_timeline_view_new ());
  gtk_widget_set_vexpand (GTK_WIDGET (self->timeline_view), TRUE);
  g_signal_connect_swapped (self->timeline_view, "notify::newest-in-view",
                            G_CALLBACK (update_read_marker), self);
  gtk_box_append (GTK_BOX (box), GTK_WIDGET (self->timeline_view));
  self->composer = CONFAB_COMPOSER (confab_composer_new ());
  gtk_box_append (GTK_BOX (box), GTK_WIDGET (self->composer));
  self->tombstone_bar = CONFAB_TOMBSTONE_BAR (confab_tombstone_bar_new ());
  gtk_box_append (GTK_BOX (box), GTK_WIDGET (self->tombstone_bar));
  g_object_bind_property (self->tombstone_bar, "visible", self->composer, "visible",
                          G_BINDING_SYNC_CREATE | G_BINDING_INVERT_BOOLEAN);
  /* Files dropped on the room are sent to it. */
  {
    GtkDropTarget *drop = gtk_drop_target_new (GDK_TYPE_FILE_LIST, GDK_ACTION_COPY);

    g_signal_connect_swapped (drop, "drop", G_CALLBACK (on_files_dropped), self);
    gtk_widget_add_controller (GTK_WIDGET (self->timeline_view), GTK_EVENT_CONTROLLER (drop));
  }
  /* Where the timeline's message menus find "Reply" and "Edit". */
  gtk_widget_insert_action_group (box, "conversation",
                                  confab_composer_get_actions (self->composer));
  gtk_stack_add_named (self->content_stack, box, "room");
}

/* A topic can be 64 KB: the title bar shows its first line, ended there. */
static gboolean
topic_to_subtitle (GBinding     *binding,
                   const GValue *from,
                   GValue       *to,
                   gpointer      user_data)
{
  const char *topic = g_value_get_string (from);
  g_autofree char *start = NULL;

  if (topic == NULL || *topic == '\0')
    {
      g_value_set_string (to, topic);
      return TRUE;
    }
  start = matrix_text_preview (topic, 200, 1);
  g_value_take_string (to, matrix_text_isolate (start));
  return TRUE;
}

void
_confab_window_show_room (ConfabWindow *self,
                          MatrixRoom   *room)
{
  if (self->room == room)
    return;

  if (room != NULL)
    ensure_room_page (self);

  g_clear_pointer (&self->title_binding, g_binding_unbind);
  g_clear_pointer (&self->subtitle_binding, g_binding_unbind);
  if (self->room != NULL)
    g_signal_handlers_disconnect_by_func (matrix_room_get_timeline (self->room),
                                          update_read_marker, self);
  g_set_object (&self->room, room);
  g_clear_handle_id (&self->mark_read_source, g_source_remove);

  if (self->timeline_view != NULL)
    {
      confab_timeline_view_set_room (self->timeline_view, room);
      confab_composer_set_room (self->composer, room);
      confab_tombstone_bar_set_room (self->tombstone_bar, room);
      confab_room_shield_set_room (self->room_shield, room);
    }

  if (room != NULL)
    {
      /* Its cached timeline fills in as soon as the store has read it. */
      matrix_room_load_async (room, self->cancellable, on_room_loaded, NULL);
      self->title_binding = g_object_bind_property (room, "display-name",
                                                    self->room_title, "title",
                                                    G_BINDING_SYNC_CREATE);
      self->subtitle_binding = g_object_bind_property_full (room, "topic",
                                                            self->room_title, "subtitle",
                                                            G_BINDING_SYNC_CREATE,
                                                            topic_to_subtitle, NULL, NULL, NULL);
      gtk_stack_set_visible_child_name (self->content_stack, "room");
      gtk_widget_action_set_enabled (GTK_WIDGET (self), "win.leave-room", TRUE);
      gtk_widget_action_set_enabled (GTK_WIDGET (self), "win.room-details", TRUE);
      gtk_widget_action_set_enabled (GTK_WIDGET (self), "win.invite", TRUE);
      g_signal_connect_swapped (matrix_room_get_timeline (room), "items-changed",
                                G_CALLBACK (update_read_marker), self);
      update_read_marker (self);
    }
  else
    {
      adw_window_title_set_title (self->room_title, "");
      adw_window_title_set_subtitle (self->room_title, "");
      gtk_stack_set_visible_child_name (self->content_stack, "none");
      gtk_widget_action_set_enabled (GTK_WIDGET (self), "win.leave-room", FALSE);
      gtk_widget_action_set_enabled (GTK_WIDGET (self), "win.room-details", FALSE);
      gtk_widget_action_set_enabled (GTK_WIDGET (self), "win.invite", FALSE);
    }
}

static void
on_room_selected (ConfabWindow *self,
                  MatrixRoom   *room)
{
  /* The selection moving along with the open room must not take the
   * focus. */
  if (room != self->room)
    {
      _confab_window_show_room (self, room);
      confab_composer_grab_focus (self->composer);
    }

  if (adw_leaflet_get_folded (self->leaflet))
    adw_leaflet_navigate (self->leaflet, ADW_NAVIGATION_DIRECTION_FORWARD);
}

static void
on_back_clicked (ConfabWindow *self)
{
  adw_leaflet_navigate (self->leaflet, ADW_NAVIGATION_DIRECTION_BACK);
}

static void
on_folded_changed (ConfabWindow *self)
{
  update_read_marker (self);

  /* Folded, the sidebar is a plain list: nothing stays highlighted there,
   * so that choosing the room that was open opens it again. */
  if (adw_leaflet_get_folded (self->leaflet) &&
      adw_leaflet_get_visible_child (self->leaflet) == GTK_WIDGET (self->sidebar))
    confab_sidebar_unselect (self->sidebar);
}

gboolean
confab_window_select_room (ConfabWindow *self,
                           const char   *room_id)
{
  MatrixRoom *room;

  g_return_val_if_fail (CONFAB_IS_WINDOW (self), FALSE);

  if (self->tracker == NULL)
    return FALSE;

  room = matrix_room_state_tracker_get_room (self->tracker, room_id);
  if (room == NULL || matrix_room_get_membership (room) != MATRIX_MEMBERSHIP_JOIN)
    return FALSE;

  confab_sidebar_clear_search (self->sidebar);
  confab_sidebar_select_room (self->sidebar, room);
  _confab_window_show_room (self, room);
  adw_leaflet_navigate (self->leaflet, ADW_NAVIGATION_DIRECTION_FORWARD);

  return TRUE;
}

static void
on_rooms_changed (ConfabWindow *self)
{
  confab_sidebar_refilter (self->sidebar);

  if (self->room != NULL &&
      matrix_room_get_membership (self->room) != MATRIX_MEMBERSHIP_JOIN)
    _confab_window_show_room (self, NULL);
  else if (self->room != NULL && !adw_leaflet_get_folded (self->leaflet))
    confab_sidebar_select_room (self->sidebar, self->room);

  if (self->pending_room_id != NULL &&
      confab_window_select_room (self, self->pending_room_id))
    g_clear_pointer (&self->pending_room_id, g_free);
}

static void
on_synced (MatrixClient *client,
           const char   *next_batch,
           ConfabWindow *self)
{
  on_rooms_changed (self);
  confab_notifier_update (self->notifier, G_LIST_MODEL (self->tracker),
                          room_shown (self) ? self->room : NULL);
}

/* Session */

/* Shows the page @name of main_stack ("loading", "login" or "rooms"). */
static void
show_page (ConfabWindow *self,
           const char   *name)
{
  self->page_chosen = TRUE;
  gtk_stack_set_visible_child_name (self->main_stack, name);
}

static void
on_logged_in (ConfabWindow *self,
              MatrixClient *login_client,
              const char   *password)
{
  confab_account_adopt_login (self->account, login_client, password);
}

static ConfabLoginPage *
login_page (ConfabWindow *self)
{
  if (self->login_page == NULL)
    {
      self->login_page = CONFAB_LOGIN_PAGE (confab_login_page_new ());
      g_signal_connect_swapped (self->login_page, "logged-in", G_CALLBACK (on_logged_in), self);
      gtk_stack_add_named (self->main_stack, GTK_WIDGET (self->login_page), "login");
    }

  return self->login_page;
}

static void
show_login (ConfabWindow *self,
            const char   *message)
{
  confab_login_page_reset (login_page (self));
  confab_login_page_set_message (self->login_page, message);
  show_page (self, "login");
}

/* Lets go of the client and everything shown of it. */
static void
unbind_client (ConfabWindow *self)
{
  hide_banner (self);
  confab_notifier_withdraw_all (self->notifier);
  g_clear_pointer (&self->pending_room_id, g_free);
  _confab_window_show_room (self, NULL);

  confab_sidebar_set_tracker (self->sidebar, NULL);

  if (self->client != NULL)
    {
      confab_avatar_loader_cancel_for_client (self->client);
      g_signal_handlers_disconnect_by_data (self->client, self);
    }
  if (self->tracker != NULL)
    g_signal_handlers_disconnect_by_data (self->tracker, self);

  g_clear_object (&self->tracker);
  g_clear_object (&self->client);

  gtk_widget_action_set_enabled (GTK_WIDGET (self), "win.logout", FALSE);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "win.join-room", FALSE);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "win.create-room", FALSE);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "win.start-chat", FALSE);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "win.search", FALSE);
}

/* Shows the rooms of the account's client. */
static void
bind_client (ConfabWindow *self)
{
  self->client = g_object_ref (confab_account_get_client (self->account));
  self->tracker = g_object_ref (confab_account_get_tracker (self->account));

  confab_sidebar_set_tracker (self->sidebar, self->tracker);

  g_signal_connect_swapped (self->tracker, "items-changed", G_CALLBACK (on_rooms_changed), self);
  g_signal_connect (self->client, "synced", G_CALLBACK (on_synced), self);
  g_signal_connect (self->client, "sync-failed", G_CALLBACK (on_sync_failed), self);
  g_signal_connect (self->client, "sync-resumed", G_CALLBACK (on_sync_resumed), self);

  gtk_widget_action_set_enabled (GTK_WIDGET (self), "win.logout", TRUE);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "win.join-room", TRUE);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "win.create-room", TRUE);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "win.start-chat", TRUE);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "win.search", TRUE);

  show_page (self, "rooms");
  adw_leaflet_navigate (self->leaflet, ADW_NAVIGATION_DIRECTION_BACK);

  if (self->pending_link != NULL)
    {
      g_autofree char *link = g_steal_pointer (&self->pending_link);

      gtk_widget_activate_action (GTK_WIDGET (self), "win.open-link", "s", link);
    }
}

static void
on_account_state (ConfabWindow *self)
{
  switch (confab_account_get_state (self->account))
    {
    case CONFAB_ACCOUNT_STATE_SIGNED_OUT:
      unbind_client (self);
      break;
    case CONFAB_ACCOUNT_STATE_LOADING:
      unbind_client (self);
      show_page (self, "loading");
      break;
    case CONFAB_ACCOUNT_STATE_SIGNED_IN:
      unbind_client (self);
      bind_client (self);
      break;
    default:
      g_assert_not_reached ();
    }
}

static void
on_login_needed (ConfabWindow *self,
                 const char   *homeserver,
                 const char   *user_id,
                 const char   *message)
{
  show_login (self, message);
  confab_login_page_fill (self->login_page, homeserver, user_id, NULL);
}

static void
on_session_ended (ConfabWindow *self,
                  const char   *homeserver,
                  const char   *user_id)
{
  confab_login_page_fill (login_page (self), homeserver, user_id, NULL);
  show_login (self, _("Your session has ended. Sign in again to continue."));
}

static void
on_saved_session_changed (ConfabWindow *self,
                          const char   *user_id,
                          const char   *device_id)
{
  if (user_id != NULL || self->login_page != NULL)
    confab_login_page_set_saved_session (login_page (self), user_id, device_id);
}

void
confab_window_set_client (ConfabWindow *self,
                          MatrixClient *client)
{
  g_return_if_fail (CONFAB_IS_WINDOW (self));
  g_return_if_fail (MATRIX_IS_CLIENT (client));

  confab_account_set_client (self->account, client);
}

gboolean
confab_window_get_rooms_listed (ConfabWindow *self)
{
  g_return_val_if_fail (CONFAB_IS_WINDOW (self), FALSE);

  return confab_sidebar_get_rooms_listed (self->sidebar);
}

MatrixClient *
confab_window_get_client (ConfabWindow *self)
{
  g_return_val_if_fail (CONFAB_IS_WINDOW (self), NULL);

  return self->client;
}

MatrixRoomStateTracker *
confab_window_get_tracker (ConfabWindow *self)
{
  g_return_val_if_fail (CONFAB_IS_WINDOW (self), NULL);

  return self->tracker;
}

GtkWidget *
confab_window_get_timeline_view (ConfabWindow *self)
{
  g_return_val_if_fail (CONFAB_IS_WINDOW (self), NULL);

  return GTK_WIDGET (self->timeline_view);
}

GtkWidget *
confab_window_get_composer (ConfabWindow *self)
{
  g_return_val_if_fail (CONFAB_IS_WINDOW (self), NULL);

  return GTK_WIDGET (self->composer);
}

ConfabLoginPage *
confab_window_get_login_page (ConfabWindow *self)
{
  g_return_val_if_fail (CONFAB_IS_WINDOW (self), NULL);

  return login_page (self);
}

MatrixRoom *
confab_window_get_room (ConfabWindow *self)
{
  g_return_val_if_fail (CONFAB_IS_WINDOW (self), NULL);

  return self->room;
}

void
confab_window_restore_session (ConfabWindow *self)
{
  g_return_if_fail (CONFAB_IS_WINDOW (self));

  show_page (self, "loading");
  confab_account_restore (self->account);
}

void
confab_window_sign_in (ConfabWindow *self,
                       const char   *homeserver,
                       const char   *user,
                       const char   *password)
{
  g_return_if_fail (CONFAB_IS_WINDOW (self));

  confab_account_sign_out (self->account);
  show_login (self, NULL);
  confab_login_page_fill (login_page (self), homeserver, user, password);
  if (password != NULL)
    confab_login_page_submit (self->login_page);
}

/* Menus */

/* A menu button's popover is made when it is first opened (by a click or,
 * for the primary menu, F10), not with the window. */
static void
create_menu_popup (GtkMenuButton *button,
                   gpointer       user_data)
{
  if (gtk_menu_button_get_popover (button) == NULL)
    gtk_menu_button_set_menu_model (button, G_MENU_MODEL (user_data));
}

static void
set_menu_when_opened (GtkMenuButton *button,
                      GMenuModel    *menu)
{
  gtk_menu_button_set_create_popup_func (button, create_menu_popup, g_object_ref (menu),
                                         g_object_unref);
}

/* GObject */

static void
on_application_changed (ConfabWindow *self)
{
  GtkApplication *application = gtk_window_get_application (GTK_WINDOW (self));

  if (self->account != NULL)
    confab_account_set_application (self->account, application ? G_APPLICATION (application) : NULL);
  if (self->notifier != NULL)
    confab_notifier_set_application (self->notifier, application ? G_APPLICATION (application) : NULL);
}

static void
confab_window_show (GtkWidget *widget)
{
  ConfabWindow *self = CONFAB_WINDOW (widget);

  /* Shown with no session being restored or signed in to: it asks to sign
   * in. */
  if (!self->page_chosen)
    {
      login_page (self);
      show_page (self, "login");
    }

  GTK_WIDGET_CLASS (confab_window_parent_class)->show (widget);
}

static void
confab_window_dispose (GObject *object)
{
  ConfabWindow *self = CONFAB_WINDOW (object);

  g_cancellable_cancel (self->cancellable);
  g_clear_handle_id (&self->mark_read_source, g_source_remove);
  if (self->account != NULL)
    {
      g_signal_handlers_disconnect_by_data (self->account, self);
      confab_account_shut_down (self->account);
      unbind_client (self);
    }
  g_clear_object (&self->account);
  g_clear_pointer (&self->pending_link, g_free);
  g_clear_object (&self->notifier);
  g_clear_object (&self->cancellable);
  g_clear_object (&self->settings);

  gtk_widget_dispose_template (GTK_WIDGET (self), CONFAB_TYPE_WINDOW);

  G_OBJECT_CLASS (confab_window_parent_class)->dispose (object);
}

static void
confab_window_class_init (ConfabWindowClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = confab_window_dispose;
  widget_class->show = confab_window_show;

  g_type_ensure (CONFAB_TYPE_LOGIN_PAGE);
  g_type_ensure (CONFAB_TYPE_TIMELINE_VIEW);
  g_type_ensure (CONFAB_TYPE_COMPOSER);
  g_type_ensure (CONFAB_TYPE_ROOM_SHIELD);
  g_type_ensure (CONFAB_TYPE_SIDEBAR);

  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/io/github/confab/Confab/confab-window.ui");
  gtk_widget_class_bind_template_child (widget_class, ConfabWindow, toast_overlay);
  gtk_widget_class_bind_template_child (widget_class, ConfabWindow, main_stack);
  gtk_widget_class_bind_template_child (widget_class, ConfabWindow, banner);
  gtk_widget_class_bind_template_child (widget_class, ConfabWindow, banner_label);
  gtk_widget_class_bind_template_child (widget_class, ConfabWindow, verify_banner);
  gtk_widget_class_bind_template_child (widget_class, ConfabWindow, leaflet);
  gtk_widget_class_bind_template_child (widget_class, ConfabWindow, sidebar);
  gtk_widget_class_bind_template_child (widget_class, ConfabWindow, leaflet_separator);
  gtk_widget_class_bind_template_child (widget_class, ConfabWindow, content);
  gtk_widget_class_bind_template_child (widget_class, ConfabWindow, back_button);
  gtk_widget_class_bind_template_child (widget_class, ConfabWindow, room_title);
  gtk_widget_class_bind_template_child (widget_class, ConfabWindow, room_shield);
  gtk_widget_class_bind_template_child (widget_class, ConfabWindow, room_menu_button);
  gtk_widget_class_bind_template_child (widget_class, ConfabWindow, room_menu);
  gtk_widget_class_bind_template_child (widget_class, ConfabWindow, content_stack);
  gtk_widget_class_bind_template_callback (widget_class, on_room_selected);
  gtk_widget_class_bind_template_callback (widget_class, on_back_clicked);
  gtk_widget_class_bind_template_callback (widget_class, on_folded_changed);

  _confab_window_class_install_actions (widget_class);
}

static void
confab_window_init (ConfabWindow *self)
{
  GSettingsSchemaSource *source;
  GSettingsSchema *schema;
  AdwLeafletPage *page;

  gtk_widget_init_template (GTK_WIDGET (self));

  self->cancellable = g_cancellable_new ();
  self->account = confab_account_new ();
  self->notifier = confab_notifier_new ();
  g_signal_connect_swapped (self->account, "notify::state", G_CALLBACK (on_account_state), self);
  g_signal_connect_swapped (self->account, "login-needed", G_CALLBACK (on_login_needed), self);
  g_signal_connect_swapped (self->account, "session-ended", G_CALLBACK (on_session_ended), self);
  g_signal_connect_swapped (self->account, "saved-session-changed",
                            G_CALLBACK (on_saved_session_changed), self);
  g_signal_connect_swapped (self->account, "notice", G_CALLBACK (confab_window_show_toast), self);
  confab_verify_banner_set_account (self->verify_banner, self->account);
  g_signal_connect (self, "notify::application", G_CALLBACK (on_application_changed), NULL);
  set_menu_when_opened (self->room_menu_button, self->room_menu);

  page = adw_leaflet_get_page (self->leaflet, self->leaflet_separator);
  adw_leaflet_page_set_navigatable (page, FALSE);

  /* Run from a build folder without GSETTINGS_SCHEMA_DIR, the schema is
   * missing: the window then simply does not remember its size. */
  source = g_settings_schema_source_get_default ();
  schema = source ? g_settings_schema_source_lookup (source, APP_ID, TRUE) : NULL;
  if (schema != NULL)
    {
      self->settings = g_settings_new_full (schema, NULL, NULL);
      g_settings_bind (self->settings, "window-width", self, "default-width", G_SETTINGS_BIND_DEFAULT);
      g_settings_bind (self->settings, "window-height", self, "default-height", G_SETTINGS_BIND_DEFAULT);
      g_settings_bind (self->settings, "window-maximized", self, "maximized", G_SETTINGS_BIND_DEFAULT);
      g_settings_schema_unref (schema);
    }

  gtk_widget_action_set_enabled (GTK_WIDGET (self), "win.logout", FALSE);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "win.join-room", FALSE);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "win.create-room", FALSE);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "win.start-chat", FALSE);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "win.search", FALSE);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "win.leave-room", FALSE);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "win.room-details", FALSE);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "win.invite", FALSE);

  g_signal_connect (self, "notify::is-active", G_CALLBACK (update_read_marker), NULL);
  g_signal_connect_swapped (self->main_stack, "notify::visible-child", G_CALLBACK (update_read_marker), self);
}
