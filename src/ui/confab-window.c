/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "confab-window"

#include <glib/gi18n.h>

#include "confab-avatar-loader.h"
#include "confab-composer.h"
#include "confab-login-page.h"
#include "confab-room-row.h"
#include "confab-session.h"
#include "confab-timeline-view.h"
#include "confab-window.h"

/**
 * ConfabWindow:
 *
 * The main window: the login page, or the rooms (a sidebar with invites and
 * joined rooms) beside the selected room's timeline and composer, in an
 * #AdwLeaflet that folds to one pane on narrow windows. It owns the
 * #MatrixClient of the session and its #MatrixRoomStateTracker, and shows
 * the sync loop's state in a banner.
 */
struct _ConfabWindow
{
  AdwApplicationWindow    parent_instance;

  /* template */
  AdwToastOverlay        *toast_overlay;
  GtkStack               *main_stack;
  GtkRevealer            *banner;
  GtkLabel               *banner_label;
  AdwLeaflet             *leaflet;
  GtkWidget              *sidebar;
  GtkWidget              *leaflet_separator;
  GtkWidget              *content;
  GtkWidget              *back_button;
  GtkSearchBar           *search_bar;
  GtkSearchEntry         *search_entry;
  GtkWidget              *invites_box;
  GtkListBox             *invites_list;
  GtkStack               *rooms_stack;
  GtkListView            *rooms_view;
  AdwWindowTitle         *room_title;
  GtkMenuButton          *add_menu_button;
  GtkMenuButton          *primary_menu_button;
  GtkMenuButton          *room_menu_button;
  GMenuModel             *add_menu;
  GMenuModel             *primary_menu;
  GMenuModel             *room_menu;
  GtkStack               *content_stack;

  /* The open room's page, made when a room is first opened. */
  ConfabTimelineView     *timeline_view;
  ConfabComposer         *composer;
  /* The page of rooms_stack for no rooms, or none found: made when first
   * shown. */
  AdwStatusPage          *rooms_empty_page;
  /* Made when first needed (login_page()): a start from a saved session
   * never shows it. */
  ConfabLoginPage        *login_page;
  /* Whether a page of main_stack was chosen; a window shown before that
   * shows the login page. */
  gboolean                page_chosen;

  GSettings              *settings;
  GCancellable           *cancellable;

  MatrixClient           *client;
  MatrixRoomStateTracker *tracker;
  /* The store of a session the server ended softly: signing in again as the
   * same user reuses it, rooms and device id. */
  MatrixStore            *saved_store;
  /* A sign-in waiting for the local data of an ended session to go. */
  MatrixClient           *pending_login;
  guint                   n_forgetting;
  GtkCustomFilter        *joined_filter;
  GtkCustomFilter        *invited_filter;
  GtkStringFilter        *search_filter;
  GtkFilterListModel     *joined_rooms;
  /* What the list view shows of joined_rooms: a screenful in the first
   * frame, then more each frame until all (see grow_listed_rooms). */
  GtkSliceListModel      *listed_rooms;
  guint                   grow_tick;
  guint                   grow_frames;
  GtkFilterListModel     *invited_rooms;
  GtkSingleSelection     *selection;

  MatrixRoom             *room;
  GBinding               *title_binding;
  GBinding               *subtitle_binding;
  char                   *pending_room_id;

  guint                   retry_seconds;
  MatrixSyncFailure       sync_failure;
  guint                   countdown_source;
  guint                   mark_read_source;

  /* room id → the notification count last seen (joined) or G_MAXUINT
   * (invited), to notify only of what is new; NULL before the first sync. */
  GHashTable             *seen_counts;
};

G_DEFINE_FINAL_TYPE (ConfabWindow, confab_window, ADW_TYPE_APPLICATION_WINDOW)

/* How long quitting waits for the store to be flushed. */
#define CLOSE_TIMEOUT_MS 3000
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

static void
show_error (ConfabWindow *self,
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

/* Rooms */

static gboolean
room_is_joined (gpointer item,
                gpointer user_data)
{
  return matrix_room_get_membership (MATRIX_ROOM (item)) == MATRIX_MEMBERSHIP_JOIN;
}

static gboolean
room_is_invited (gpointer item,
                 gpointer user_data)
{
  return matrix_room_get_membership (MATRIX_ROOM (item)) == MATRIX_MEMBERSHIP_INVITE;
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

static void
show_room (ConfabWindow *self,
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
    }
}

static void
on_selected_item_changed (ConfabWindow *self)
{
  MatrixRoom *room = gtk_single_selection_get_selected_item (self->selection);

  /* The list reorders as rooms get activity; losing the selection for a
   * moment must not close the room being read, and the selection moving
   * along with the open room must not take the focus. */
  if (room == NULL)
    return;

  if (room != self->room)
    {
      show_room (self, room);
      confab_composer_grab_focus (self->composer);
    }

  if (adw_leaflet_get_folded (self->leaflet))
    adw_leaflet_navigate (self->leaflet, ADW_NAVIGATION_DIRECTION_FORWARD);
}

static void
on_room_activated (ConfabWindow *self,
                   guint         position)
{
  gtk_single_selection_set_selected (self->selection, position);
  on_selected_item_changed (self);
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
  if (self->selection != NULL && adw_leaflet_get_folded (self->leaflet) &&
      adw_leaflet_get_visible_child (self->leaflet) == self->sidebar)
    gtk_single_selection_set_selected (self->selection, GTK_INVALID_LIST_POSITION);
}

/* GtkListView (4.8) makes a row for up to 200 items whatever it shows, at
 * a millisecond or more each: made all at once, they would hold the first
 * frame of a long list back. It gets a screenful first, and more rows in
 * each following frame. */
#define FIRST_LISTED_ROOMS 40   /* when the window's height is not known */
#define MORE_LISTED_ROOMS_PER_FRAME 40
/* The height of a room row (a 40 px avatar, 6 px above and below it): the
 * least it can be, so that a screenful is never short. */
#define ROOM_ROW_MIN_HEIGHT 52

/* How many rows fill the list in its first frame. The list's own height is
 * known only once it has been shown: the window's, a little more, stands in
 * for it. Rows beyond a screenful would only hold that frame back. */
static guint
rooms_in_first_frame (ConfabWindow *self)
{
  int width, height = gtk_widget_get_height (GTK_WIDGET (self));

  if (height <= 0)
    {
      /* A maximized window not mapped yet: its size is not known. */
      if (gtk_window_is_maximized (GTK_WINDOW (self)) ||
          gtk_window_is_fullscreen (GTK_WINDOW (self)))
        return FIRST_LISTED_ROOMS;
      gtk_window_get_default_size (GTK_WINDOW (self), &width, &height);
    }
  if (height <= 0)
    return FIRST_LISTED_ROOMS;

  return (guint) height / ROOM_ROW_MIN_HEIGHT + 1;
}

static void
list_all_rooms (ConfabWindow *self)
{
  if (self->grow_tick != 0)
    gtk_widget_remove_tick_callback (GTK_WIDGET (self->rooms_view), self->grow_tick);
  self->grow_tick = 0;
  if (self->listed_rooms != NULL)
    gtk_slice_list_model_set_size (self->listed_rooms, G_MAXUINT);
}

static gboolean
grow_listed_rooms (GtkWidget     *widget,
                   GdkFrameClock *clock,
                   gpointer       user_data)
{
  ConfabWindow *self = user_data;
  guint size;

  /* The first tick comes before the first frame is painted. */
  if (self->grow_frames++ == 0)
    return G_SOURCE_CONTINUE;

  size = gtk_slice_list_model_get_size (self->listed_rooms) + MORE_LISTED_ROOMS_PER_FRAME;
  if (size < g_list_model_get_n_items (G_LIST_MODEL (self->joined_rooms)))
    {
      gtk_slice_list_model_set_size (self->listed_rooms, size);
      return G_SOURCE_CONTINUE;
    }

  self->grow_tick = 0;
  gtk_slice_list_model_set_size (self->listed_rooms, G_MAXUINT);
  return G_SOURCE_REMOVE;
}

/* GtkListView keeps the row at the top of its view in place when rows come
 * or move above it, so a room that arrives or moves to the top (a sync's
 * rooms, new activity) would push the list down, the newest room hidden
 * above it. A list that was at its top stays there. Connected after the
 * view: the adjustment still holds the value from before the change. */
static void
on_listed_rooms_changed (ConfabWindow *self,
                         guint         position,
                         guint         removed,
                         guint         added)
{
  GtkAdjustment *adjustment = gtk_scrollable_get_vadjustment (GTK_SCROLLABLE (self->rooms_view));

  if (added == 0 || g_list_model_get_n_items (G_LIST_MODEL (self->selection)) == 0 ||
      gtk_adjustment_get_value (adjustment) > gtk_adjustment_get_lower (adjustment))
    return;

  gtk_widget_activate_action (GTK_WIDGET (self->rooms_view), "list.scroll-to-item", "u", 0);
}

static void
select_position_of (ConfabWindow *self,
                    MatrixRoom   *room)
{
  guint n = g_list_model_get_n_items (G_LIST_MODEL (self->joined_rooms));

  list_all_rooms (self);

  for (guint i = 0; i < n; i++)
    {
      g_autoptr(MatrixRoom) item = g_list_model_get_item (G_LIST_MODEL (self->joined_rooms), i);

      if (item == room)
        {
          if (gtk_single_selection_get_selected (self->selection) != i)
            gtk_single_selection_set_selected (self->selection, i);
          return;
        }
    }
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

  gtk_editable_set_text (GTK_EDITABLE (self->search_entry), "");
  select_position_of (self, room);
  show_room (self, room);
  adw_leaflet_navigate (self->leaflet, ADW_NAVIGATION_DIRECTION_FORWARD);

  return TRUE;
}

static AdwStatusPage *
rooms_empty_page (ConfabWindow *self)
{
  if (self->rooms_empty_page == NULL)
    {
      self->rooms_empty_page = ADW_STATUS_PAGE (adw_status_page_new ());
      adw_status_page_set_icon_name (self->rooms_empty_page, "system-search-symbolic");
      gtk_widget_add_css_class (GTK_WIDGET (self->rooms_empty_page), "compact");
      gtk_stack_add_named (self->rooms_stack, GTK_WIDGET (self->rooms_empty_page), "empty");
    }

  return self->rooms_empty_page;
}

static void
update_rooms_visibility (ConfabWindow *self)
{
  const char *search = gtk_editable_get_text (GTK_EDITABLE (self->search_entry));
  gboolean empty = g_list_model_get_n_items (G_LIST_MODEL (self->joined_rooms)) == 0;
  gboolean invites = g_list_model_get_n_items (G_LIST_MODEL (self->invited_rooms)) > 0;

  gtk_widget_set_visible (self->invites_box, invites);

  /* An invite that matches the search is a result too. */
  if (empty && invites && *search != '\0')
    empty = FALSE;

  if (empty && *search != '\0')
    {
      adw_status_page_set_title (rooms_empty_page (self), _("No Results"));
      adw_status_page_set_description (self->rooms_empty_page, _("No room matches the search"));
    }
  else if (empty)
    {
      adw_status_page_set_title (rooms_empty_page (self), _("No Rooms"));
      adw_status_page_set_description (self->rooms_empty_page,
                                       _("Join a room or create one with the + button"));
    }
  gtk_stack_set_visible_child_name (self->rooms_stack, empty ? "empty" : "list");
}

static void
on_rooms_changed (ConfabWindow *self)
{
  /* A room's membership can change without the tracker moving it. */
  gtk_filter_changed (GTK_FILTER (self->joined_filter), GTK_FILTER_CHANGE_DIFFERENT);
  gtk_filter_changed (GTK_FILTER (self->invited_filter), GTK_FILTER_CHANGE_DIFFERENT);

  if (self->room != NULL &&
      matrix_room_get_membership (self->room) != MATRIX_MEMBERSHIP_JOIN)
    show_room (self, NULL);
  else if (self->room != NULL && !adw_leaflet_get_folded (self->leaflet))
    select_position_of (self, self->room);

  if (self->pending_room_id != NULL &&
      confab_window_select_room (self, self->pending_room_id))
    g_clear_pointer (&self->pending_room_id, g_free);

  update_rooms_visibility (self);
}

/* Desktop notifications */

static void
send_room_notification (ConfabWindow *self,
                        GApplication *app,
                        MatrixRoom   *room,
                        gboolean      invite)
{
  g_autoptr(GNotification) notification = NULL;
  g_autoptr(GIcon) icon = g_themed_icon_new (APP_ID);
  g_autofree char *id = g_strconcat ("room-", matrix_room_get_room_id (room), NULL);
  g_autofree char *body = NULL;

  notification = g_notification_new (matrix_room_get_display_name (room));
  if (invite)
    {
      const char *inviter = matrix_room_get_inviter (room);
      g_autofree char *name = inviter ? matrix_room_dup_member_display_name (room, inviter) : NULL;

      body = name != NULL ? g_strdup_printf (_("%s invited you"), name) : g_strdup (_("You are invited"));
    }
  else
    {
      body = g_strdup (matrix_room_get_last_message (room));
    }
  if (body != NULL)
    g_notification_set_body (notification, body);
  g_notification_set_icon (notification, icon);
  if (matrix_room_get_highlight_count (room) > 0)
    g_notification_set_priority (notification, G_NOTIFICATION_PRIORITY_HIGH);
  g_notification_set_default_action_and_target (notification, "app.open-room", "s",
                                                matrix_room_get_room_id (room));
  g_application_send_notification (app, id, notification);
}

static void
withdraw_room_notification (GApplication *app,
                            const char   *room_id)
{
  g_autofree char *id = g_strconcat ("room-", room_id, NULL);

  g_application_withdraw_notification (app, id);
}

/* After each sync: a notification for each room whose count went up (the
 * server's push rules decide what counts) unless the user is looking at
 * it, and for each new invite; a room read again, or gone from the list,
 * loses its notification. Nothing on the first sync after sign-in or
 * start, which only catches up. */
static void
update_notifications (ConfabWindow *self)
{
  GtkApplication *app = gtk_window_get_application (GTK_WINDOW (self));
  GListModel *rooms = G_LIST_MODEL (self->tracker);
  g_autoptr(GHashTable) seen = g_steal_pointer (&self->seen_counts);
  GHashTableIter iter;
  gpointer room_id, value;

  self->seen_counts = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);

  for (guint i = 0; i < g_list_model_get_n_items (rooms); i++)
    {
      g_autoptr(MatrixRoom) room = g_list_model_get_item (rooms, i);
      const char *id = matrix_room_get_room_id (room);
      gboolean invite = matrix_room_get_membership (room) == MATRIX_MEMBERSHIP_INVITE;
      guint count = invite ? G_MAXUINT : matrix_room_get_notification_count (room);
      gboolean known = seen != NULL && g_hash_table_lookup_extended (seen, id, NULL, &value);
      guint before = known ? GPOINTER_TO_UINT (value) : 0;

      if (known)
        g_hash_table_remove (seen, id);
      g_hash_table_insert (self->seen_counts, g_strdup (id), GUINT_TO_POINTER (count));

      if (app == NULL || seen == NULL)
        continue;
      if (count > before && !(room == self->room && room_shown (self)))
        send_room_notification (self, G_APPLICATION (app), room, invite);
      else if (count == 0 && before > 0)
        withdraw_room_notification (G_APPLICATION (app), id);
    }

  /* Rooms no longer listed (left, or an invite declined). */
  if (app != NULL && seen != NULL)
    {
      g_hash_table_iter_init (&iter, seen);
      while (g_hash_table_iter_next (&iter, &room_id, &value))
        if (GPOINTER_TO_UINT (value) > 0)
          withdraw_room_notification (G_APPLICATION (app), room_id);
    }
}

static void
withdraw_notifications (ConfabWindow *self)
{
  GtkApplication *app = gtk_window_get_application (GTK_WINDOW (self));
  GHashTableIter iter;
  gpointer room_id, count;

  if (self->seen_counts == NULL)
    return;

  g_hash_table_iter_init (&iter, self->seen_counts);
  while (app != NULL && g_hash_table_iter_next (&iter, &room_id, &count))
    if (GPOINTER_TO_UINT (count) > 0)
      withdraw_room_notification (G_APPLICATION (app), room_id);
  g_clear_pointer (&self->seen_counts, g_hash_table_unref);
}

static void
on_synced (MatrixClient *client,
           const char   *next_batch,
           ConfabWindow *self)
{
  on_rooms_changed (self);
  update_notifications (self);
}

static void
on_search_changed (ConfabWindow *self)
{
  gtk_string_filter_set_search (self->search_filter,
                                gtk_editable_get_text (GTK_EDITABLE (self->search_entry)));
  if (self->selection != NULL)
    update_rooms_visibility (self);
}

static void
on_search_activate (ConfabWindow *self)
{
  g_autoptr(MatrixRoom) room = NULL;

  if (self->joined_rooms == NULL)
    return;

  room = g_list_model_get_item (G_LIST_MODEL (self->joined_rooms), 0);
  if (room != NULL)
    {
      gtk_single_selection_set_selected (self->selection, 0);
      on_selected_item_changed (self);
      gtk_search_bar_set_search_mode (self->search_bar, FALSE);
    }
}

static void
setup_room_row (GtkSignalListItemFactory *factory,
                GtkListItem              *item,
                gpointer                  user_data)
{
  gtk_list_item_set_child (item, confab_room_row_new ());
}

static void
bind_room_row (GtkSignalListItemFactory *factory,
               GtkListItem              *item,
               gpointer                  user_data)
{
  confab_room_row_set_room (CONFAB_ROOM_ROW (gtk_list_item_get_child (item)),
                            gtk_list_item_get_item (item));
}

static void
unbind_room_row (GtkSignalListItemFactory *factory,
                 GtkListItem              *item,
                 gpointer                  user_data)
{
  confab_room_row_set_room (CONFAB_ROOM_ROW (gtk_list_item_get_child (item)), NULL);
}

static GtkWidget *
create_invite_row (gpointer item,
                   gpointer user_data)
{
  GtkWidget *row = confab_room_row_new ();

  confab_room_row_set_room (CONFAB_ROOM_ROW (row), item);
  return row;
}

/* Session */

static void on_logged_in (ConfabWindow *self, MatrixClient *login_client);

/* Shows the page @name of main_stack ("loading", "login" or "rooms"). */
static void
show_page (ConfabWindow *self,
           const char   *name)
{
  self->page_chosen = TRUE;
  gtk_stack_set_visible_child_name (self->main_stack, name);
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

/* Flushes the store of the window's session and lets it go; the application
 * waits (a little) for the flush before it exits. */
static void
close_store (ConfabWindow *self,
             MatrixStore  *store)
{
  GtkApplication *application = gtk_window_get_application (GTK_WINDOW (self));

  confab_session_close_store (store, application ? G_APPLICATION (application) : NULL,
                              CLOSE_TIMEOUT_MS);
}

/* Drops the client and everything on it. With @out_store, its store is
 * handed to the caller; otherwise it is flushed and closed. */
static void
clear_client_full (ConfabWindow  *self,
                   MatrixStore  **out_store)
{
  g_autoptr(MatrixStore) store = NULL;

  if (out_store != NULL)
    *out_store = NULL;
  if (self->client != NULL)
    store = g_object_ref (matrix_client_get_store (self->client));

  hide_banner (self);
  withdraw_notifications (self);
  g_clear_pointer (&self->pending_room_id, g_free);
  show_room (self, NULL);

  gtk_list_view_set_model (self->rooms_view, NULL);
  gtk_list_box_bind_model (self->invites_list, NULL, NULL, NULL, NULL);

  if (self->client != NULL)
    {
      matrix_client_stop_sync (self->client);
      confab_avatar_loader_cancel_for_client (self->client);
      g_signal_handlers_disconnect_by_data (self->client, self);
    }
  if (self->tracker != NULL)
    g_signal_handlers_disconnect_by_data (self->tracker, self);

  list_all_rooms (self);
  g_clear_object (&self->selection);
  g_clear_object (&self->listed_rooms);
  g_clear_object (&self->joined_rooms);
  g_clear_object (&self->invited_rooms);
  g_clear_object (&self->joined_filter);
  g_clear_object (&self->invited_filter);
  g_clear_object (&self->search_filter);
  g_clear_object (&self->tracker);
  g_clear_object (&self->client);

  if (store != NULL && out_store != NULL)
    *out_store = g_steal_pointer (&store);
  else if (store != NULL)
    close_store (self, g_steal_pointer (&store));

  gtk_widget_action_set_enabled (GTK_WIDGET (self), "win.logout", FALSE);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "win.join-room", FALSE);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "win.create-room", FALSE);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "win.search", FALSE);
}

static void
clear_client (ConfabWindow *self)
{
  clear_client_full (self, NULL);
}

static void
drop_saved_store (ConfabWindow *self)
{
  if (self->saved_store != NULL)
    close_store (self, g_steal_pointer (&self->saved_store));
  if (self->login_page != NULL)
    confab_login_page_set_saved_session (self->login_page, NULL, NULL);
}

/* Keeps @store (transfer full), whose session ended softly or has no token,
 * for the next sign-in of its user. */
static void
keep_saved_store (ConfabWindow *self,
                  MatrixStore  *store)
{
  drop_saved_store (self);
  self->saved_store = store;
  confab_login_page_set_saved_session (login_page (self),
                                       matrix_store_get_value (store, MATRIX_STORE_KEY_USER_ID),
                                       matrix_store_get_value (store, MATRIX_STORE_KEY_DEVICE_ID));
}

static void
show_login (ConfabWindow *self,
            const char   *message)
{
  confab_login_page_reset (login_page (self));
  confab_login_page_set_message (self->login_page, message);
  show_page (self, "login");
}

static gboolean
token_pending (MatrixStore *store)
{
  return MATRIX_IS_SQLITE_STORE (store) &&
         matrix_sqlite_store_get_token_pending (MATRIX_SQLITE_STORE (store));
}

/* A saved session without a token: signed out. Its store is kept for the
 * next sign-in of the same user, and the login page filled in. */
static void
show_signed_out (ConfabWindow *self,
                 MatrixStore  *store)
{
  g_autofree char *user_id = g_strdup (matrix_store_get_value (store, MATRIX_STORE_KEY_USER_ID));
  g_autofree char *server = g_strdup (matrix_store_get_value (store, MATRIX_STORE_KEY_HOMESERVER));

  keep_saved_store (self, store);
  show_login (self, NULL);
  confab_login_page_fill (login_page (self), server, user_id, NULL);
}

static void continue_login (ConfabWindow *self, MatrixClient *login_client);

static void
on_session_forgotten (GObject      *source,
                      GAsyncResult *result,
                      gpointer      user_data)
{
  g_autoptr(ConfabWindow) self = user_data;
  g_autoptr(GError) error = NULL;

  if (!confab_session_forget_finish (result, &error))
    g_message ("Could not remove the saved session: %s", error->message);

  self->n_forgetting--;
  if (self->n_forgetting == 0 && self->pending_login != NULL)
    {
      g_autoptr(MatrixClient) login_client = g_steal_pointer (&self->pending_login);

      continue_login (self, login_client);
    }
}

/* Removes the session: session.ini, the access token and, with @store, the
 * account's local data (@store is taken). */
static void
forget_session (ConfabWindow *self,
                MatrixStore  *store)
{
  self->n_forgetting++;
  confab_session_forget_async (store, NULL, on_session_forgotten, g_object_ref (self));
  g_clear_object (&store);
}

static void
on_session_ended (MatrixClient *client,
                  gboolean      soft_logout,
                  ConfabWindow *self)
{
  g_autofree char *user_id = g_strdup (matrix_client_get_user_id (client));
  g_autofree char *homeserver = g_strdup (matrix_client_get_homeserver (client));
  MatrixStore *store = NULL;

  clear_client_full (self, &store);
  if (soft_logout)
    {
      /* The token is gone from the store already; the rooms and the device
       * stay for the next sign-in. */
      keep_saved_store (self, store);
    }
  else
    forget_session (self, store);

  confab_login_page_fill (login_page (self), homeserver, user_id, NULL);
  show_login (self, _("Your session has ended. Sign in again to continue."));
}

static void
on_token_known (GObject      *source,
                GAsyncResult *result,
                gpointer      user_data)
{
  g_autoptr(ConfabWindow) self = user_data;
  MatrixStore *store = MATRIX_STORE (source);
  g_autoptr(MatrixStore) kept = NULL;

  if (!matrix_sqlite_store_wait_for_token_finish (MATRIX_SQLITE_STORE (store), result, NULL) ||
      self->client == NULL || matrix_client_get_store (self->client) != store)
    return;

  if (matrix_client_is_logged_in (self->client))
    {
      matrix_client_start_sync (self->client);
      return;
    }

  /* The keyring had no token for this session after all. */
  clear_client_full (self, &kept);
  show_signed_out (self, g_steal_pointer (&kept));
}

/* Syncing needs the access token: a store still waiting for the keyring
 * shows its rooms meanwhile, and the loop starts once the token is known. */
static void
start_sync (ConfabWindow *self)
{
  MatrixStore *store = matrix_client_get_store (self->client);

  if (!token_pending (store))
    {
      matrix_client_start_sync (self->client);
      return;
    }

  g_debug ("Waiting for the keyring before syncing");
  matrix_sqlite_store_wait_for_token_async (MATRIX_SQLITE_STORE (store), self->cancellable,
                                            on_token_known, g_object_ref (self));
}

void
confab_window_set_client (ConfabWindow *self,
                          MatrixClient *client)
{
  GtkListItemFactory *factory;
  GtkEveryFilter *every, *invited_every;
  GtkExpression *expression;

  g_return_if_fail (CONFAB_IS_WINDOW (self));
  g_return_if_fail (MATRIX_IS_CLIENT (client));

  clear_client (self);

  self->client = g_object_ref (client);
  self->tracker = matrix_room_state_tracker_new (client);

  self->joined_filter = gtk_custom_filter_new (room_is_joined, NULL, NULL);
  self->invited_filter = gtk_custom_filter_new (room_is_invited, NULL, NULL);
  expression = gtk_property_expression_new (MATRIX_TYPE_ROOM, NULL, "display-name");
  self->search_filter = gtk_string_filter_new (expression);
  gtk_string_filter_set_match_mode (self->search_filter, GTK_STRING_FILTER_MATCH_MODE_SUBSTRING);
  gtk_string_filter_set_ignore_case (self->search_filter, TRUE);
  gtk_string_filter_set_search (self->search_filter,
                                gtk_editable_get_text (GTK_EDITABLE (self->search_entry)));

  every = gtk_every_filter_new ();
  gtk_multi_filter_append (GTK_MULTI_FILTER (every), g_object_ref (GTK_FILTER (self->joined_filter)));
  gtk_multi_filter_append (GTK_MULTI_FILTER (every), g_object_ref (GTK_FILTER (self->search_filter)));

  self->joined_rooms = gtk_filter_list_model_new (g_object_ref (G_LIST_MODEL (self->tracker)),
                                                  GTK_FILTER (every));
  /* The search filters invites as it filters the rooms. */
  invited_every = gtk_every_filter_new ();
  gtk_multi_filter_append (GTK_MULTI_FILTER (invited_every),
                           g_object_ref (GTK_FILTER (self->invited_filter)));
  gtk_multi_filter_append (GTK_MULTI_FILTER (invited_every),
                           g_object_ref (GTK_FILTER (self->search_filter)));
  self->invited_rooms = gtk_filter_list_model_new (g_object_ref (G_LIST_MODEL (self->tracker)),
                                                   GTK_FILTER (invited_every));
  self->listed_rooms = gtk_slice_list_model_new (g_object_ref (G_LIST_MODEL (self->joined_rooms)),
                                                 0, rooms_in_first_frame (self));
  self->grow_frames = 0;
  self->grow_tick = gtk_widget_add_tick_callback (GTK_WIDGET (self->rooms_view), grow_listed_rooms,
                                                  self, NULL);
  self->selection = gtk_single_selection_new (g_object_ref (G_LIST_MODEL (self->listed_rooms)));
  gtk_single_selection_set_autoselect (self->selection, FALSE);
  gtk_single_selection_set_can_unselect (self->selection, TRUE);
  gtk_single_selection_set_selected (self->selection, GTK_INVALID_LIST_POSITION);
  g_signal_connect_swapped (self->selection, "notify::selected-item",
                            G_CALLBACK (on_selected_item_changed), self);

  factory = gtk_signal_list_item_factory_new ();
  g_signal_connect (factory, "setup", G_CALLBACK (setup_room_row), self);
  g_signal_connect (factory, "bind", G_CALLBACK (bind_room_row), self);
  g_signal_connect (factory, "unbind", G_CALLBACK (unbind_room_row), self);
  gtk_list_view_set_factory (self->rooms_view, factory);
  g_object_unref (factory);
  gtk_list_view_set_model (self->rooms_view, GTK_SELECTION_MODEL (self->selection));
  g_signal_connect_object (self->selection, "items-changed", G_CALLBACK (on_listed_rooms_changed),
                           self, G_CONNECT_SWAPPED);

  gtk_list_box_bind_model (self->invites_list, G_LIST_MODEL (self->invited_rooms),
                           create_invite_row, self, NULL);

  g_signal_connect_swapped (self->tracker, "items-changed", G_CALLBACK (on_rooms_changed), self);
  g_signal_connect (client, "synced", G_CALLBACK (on_synced), self);
  g_signal_connect (client, "sync-failed", G_CALLBACK (on_sync_failed), self);
  g_signal_connect (client, "sync-resumed", G_CALLBACK (on_sync_resumed), self);
  g_signal_connect (client, "session-ended", G_CALLBACK (on_session_ended), self);

  gtk_widget_action_set_enabled (GTK_WIDGET (self), "win.logout", TRUE);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "win.join-room", TRUE);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "win.create-room", TRUE);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "win.search", TRUE);

  update_rooms_visibility (self);
  show_page (self, "rooms");
  adw_leaflet_navigate (self->leaflet, ADW_NAVIGATION_DIRECTION_BACK);

  start_sync (self);
}

gboolean
confab_window_get_rooms_listed (ConfabWindow *self)
{
  g_return_val_if_fail (CONFAB_IS_WINDOW (self), FALSE);

  return self->tracker != NULL && self->grow_tick == 0;
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

static void
on_session_saved (GObject      *source,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  g_autoptr(GError) error = NULL;

  if (!confab_session_save_finish (result, &error))
    g_message ("Could not save the session: %s", error->message);
}

static void
report_damage (ConfabWindow *self,
               MatrixStore  *store)
{
  if (!MATRIX_IS_SQLITE_STORE (store) ||
      matrix_sqlite_store_get_corrupt_file (MATRIX_SQLITE_STORE (store)) == NULL)
    return;

  g_message ("The database was damaged and moved to %s",
             matrix_sqlite_store_get_corrupt_file (MATRIX_SQLITE_STORE (store)));
  confab_window_show_toast (self, _("The local copy of your rooms was damaged and has been set "
                                    "aside. Confab is loading them again from the server."));
}

/* Moves the session of @login_client (signed in on a memory store) into
 * @store and shows it. */
static void
adopt_login (ConfabWindow *self,
             MatrixClient *login_client,
             MatrixStore  *store)
{
  static const char *keys[] = {
    /* The keyring entry is filed under the user id and homeserver. */
    MATRIX_STORE_KEY_HOMESERVER,
    MATRIX_STORE_KEY_USER_ID,
    MATRIX_STORE_KEY_DEVICE_ID,
    MATRIX_STORE_KEY_ACCESS_TOKEN,
  };
  MatrixStore *login_store = matrix_client_get_store (login_client);
  g_autoptr(MatrixClient) client = NULL;

  for (guint i = 0; i < G_N_ELEMENTS (keys); i++)
    matrix_store_set_value (store, keys[i], matrix_store_get_value (login_store, keys[i]));

  client = confab_session_new_client (matrix_client_get_homeserver (login_client), store);
  confab_session_save_async (client, NULL, on_session_saved, NULL);
  confab_window_set_client (self, client);
}

static void
on_login_store_opened (GObject      *source,
                       GAsyncResult *result,
                       gpointer      user_data)
{
  g_autoptr(ConfabWindow) self = user_data;
  g_autoptr(MatrixClient) login_client = g_steal_pointer (&self->pending_login);
  g_autoptr(GError) error = NULL;
  g_autoptr(MatrixStore) store = confab_session_open_store_finish (result, &error);

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED) || login_client == NULL)
    return;

  if (store == NULL)
    {
      g_message ("Could not open the local data: %s", error->message);
      show_login (self, NULL);
      show_error (self, _("Could not open the local copy of your rooms"), error);
      return;
    }

  report_damage (self, store);
  adopt_login (self, login_client, store);
}

static void
continue_login (ConfabWindow *self,
                MatrixClient *login_client)
{
  const char *user_id = matrix_client_get_user_id (login_client);
  MatrixStore *saved = self->saved_store;

  if (saved != NULL &&
      g_strcmp0 (matrix_store_get_value (saved, MATRIX_STORE_KEY_USER_ID), user_id) == 0)
    {
      g_autoptr(MatrixStore) store = g_steal_pointer (&self->saved_store);

      confab_login_page_set_saved_session (login_page (self), NULL, NULL);
      adopt_login (self, login_client, store);
      return;
    }

  drop_saved_store (self);
  show_page (self, "loading");
  /* Waiting for the store; a new sign-in or the window going replaces it. */
  g_set_object (&self->pending_login, login_client);
  confab_session_open_store_async (user_id, matrix_client_get_homeserver (login_client),
                                   self->cancellable, on_login_store_opened,
                                   g_object_ref (self));
}

static void
on_logged_in (ConfabWindow *self,
              MatrixClient *login_client)
{
  clear_client (self);

  /* The local data of an ended session may still be on its way out. */
  if (self->n_forgetting > 0)
    {
      show_page (self, "loading");
      g_set_object (&self->pending_login, login_client);
      return;
    }

  continue_login (self, login_client);
}

static void
on_session_loaded (GObject      *source,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  g_autoptr(ConfabWindow) self = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(MatrixStore) store = confab_session_load_finish (result, &error);
  g_autoptr(MatrixClient) client = NULL;
  const char *homeserver;

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;

  if (store == NULL)
    {
      if (error != NULL)
        g_message ("Could not restore the session: %s", error->message);
      show_login (self, error != NULL ? _("The saved session could not be read. Sign in again.")
                                      : NULL);
      return;
    }

  report_damage (self, store);
  homeserver = matrix_store_get_value (store, MATRIX_STORE_KEY_HOMESERVER);

  if (matrix_store_get_value (store, MATRIX_STORE_KEY_ACCESS_TOKEN) == NULL && !token_pending (store))
    {
      show_signed_out (self, g_steal_pointer (&store));
      return;
    }

  /* The rooms come from the store at once; the sync goes on from there,
   * once the keyring has handed over the token (see start_sync()). */
  client = confab_session_new_client (homeserver, store);
  confab_window_set_client (self, client);
}

void
confab_window_restore_session (ConfabWindow *self)
{
  g_return_if_fail (CONFAB_IS_WINDOW (self));

  show_page (self, "loading");
  confab_session_load_async (self->cancellable, on_session_loaded, g_object_ref (self));
}

void
confab_window_sign_in (ConfabWindow *self,
                       const char   *homeserver,
                       const char   *user,
                       const char   *password)
{
  g_return_if_fail (CONFAB_IS_WINDOW (self));

  clear_client (self);
  show_login (self, NULL);
  confab_login_page_fill (login_page (self), homeserver, user, password);
  if (password != NULL)
    confab_login_page_submit (self->login_page);
}

/* Actions */

static void
on_logged_out (GObject      *source,
               GAsyncResult *result,
               gpointer      user_data)
{
  g_autoptr(ConfabWindow) self = user_data;
  g_autoptr(GError) error = NULL;

  /* Whatever the server said, the local session is over, and its data goes
   * (once this client lets go of its store). */
  if (!matrix_client_logout_finish (MATRIX_CLIENT (source), result, &error))
    g_message ("Logging out failed: %s", error->message);

  forget_session (self, g_object_ref (matrix_client_get_store (MATRIX_CLIENT (source))));
  /* The count taken in logout_activated(). */
  self->n_forgetting--;
}

static void
logout_activated (GtkWidget  *widget,
                  const char *action_name,
                  GVariant   *parameter)
{
  ConfabWindow *self = CONFAB_WINDOW (widget);
  g_autoptr(MatrixClient) client = NULL;
  g_autoptr(MatrixStore) store = NULL;

  if (self->client == NULL)
    return;

  client = g_object_ref (self->client);
  clear_client_full (self, &store);
  /* Counted from now, so that signing in again waits for the data to go. */
  self->n_forgetting++;
  matrix_client_logout_async (client, NULL, on_logged_out, g_object_ref (self));
  show_login (self, NULL);
}

static void
search_activated (GtkWidget  *widget,
                  const char *action_name,
                  GVariant   *parameter)
{
  ConfabWindow *self = CONFAB_WINDOW (widget);

  adw_leaflet_navigate (self->leaflet, ADW_NAVIGATION_DIRECTION_BACK);
  gtk_search_bar_set_search_mode (self->search_bar, TRUE);
  gtk_widget_grab_focus (GTK_WIDGET (self->search_entry));
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

  if (self->joined_rooms == NULL)
    return;

  rooms = G_LIST_MODEL (self->joined_rooms);
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
      select_position_of (self, target);
      show_room (self, target);
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
      show_error (self, _("Could not join the room"), error);
      return;
    }

  if (self->client == MATRIX_CLIENT (source) && !confab_window_select_room (self, room_id))
    {
      g_free (self->pending_room_id);
      self->pending_room_id = g_steal_pointer (&room_id);
    }
}

static void
on_created (GObject      *source,
            GAsyncResult *result,
            gpointer      user_data)
{
  g_autoptr(ConfabWindow) self = user_data;
  g_autoptr(GError) error = NULL;
  g_autofree char *room_id = matrix_client_create_room_finish (MATRIX_CLIENT (source), result, &error);

  if (room_id == NULL)
    {
      show_error (self, _("Could not create the room"), error);
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
  else if (g_str_equal (response, "create"))
    matrix_client_create_room_async (self->client, text, NULL, NULL, on_created,
                                     g_object_ref (self));
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
  ask_for_text (CONFAB_WINDOW (widget),
                _("Create a Room"),
                _("The new room is private: people join it when you invite them."),
                _("Room name"),
                "create", _("C_reate"));
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
      show_error (self, _("Could not leave the room"), error);
      return;
    }

  if (self->room == MATRIX_ROOM (source))
    {
      show_room (self, NULL);
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
  clear_client (self);
  if (self->saved_store != NULL)
    close_store (self, g_steal_pointer (&self->saved_store));
  g_clear_object (&self->pending_login);
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

  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/io/github/confab/Confab/confab-window.ui");
  gtk_widget_class_bind_template_child (widget_class, ConfabWindow, toast_overlay);
  gtk_widget_class_bind_template_child (widget_class, ConfabWindow, main_stack);
  gtk_widget_class_bind_template_child (widget_class, ConfabWindow, banner);
  gtk_widget_class_bind_template_child (widget_class, ConfabWindow, banner_label);
  gtk_widget_class_bind_template_child (widget_class, ConfabWindow, leaflet);
  gtk_widget_class_bind_template_child (widget_class, ConfabWindow, sidebar);
  gtk_widget_class_bind_template_child (widget_class, ConfabWindow, leaflet_separator);
  gtk_widget_class_bind_template_child (widget_class, ConfabWindow, content);
  gtk_widget_class_bind_template_child (widget_class, ConfabWindow, back_button);
  gtk_widget_class_bind_template_child (widget_class, ConfabWindow, search_bar);
  gtk_widget_class_bind_template_child (widget_class, ConfabWindow, search_entry);
  gtk_widget_class_bind_template_child (widget_class, ConfabWindow, invites_box);
  gtk_widget_class_bind_template_child (widget_class, ConfabWindow, invites_list);
  gtk_widget_class_bind_template_child (widget_class, ConfabWindow, rooms_stack);
  gtk_widget_class_bind_template_child (widget_class, ConfabWindow, rooms_view);
  gtk_widget_class_bind_template_child (widget_class, ConfabWindow, room_title);
  gtk_widget_class_bind_template_child (widget_class, ConfabWindow, add_menu_button);
  gtk_widget_class_bind_template_child (widget_class, ConfabWindow, primary_menu_button);
  gtk_widget_class_bind_template_child (widget_class, ConfabWindow, room_menu_button);
  gtk_widget_class_bind_template_child (widget_class, ConfabWindow, add_menu);
  gtk_widget_class_bind_template_child (widget_class, ConfabWindow, primary_menu);
  gtk_widget_class_bind_template_child (widget_class, ConfabWindow, room_menu);
  gtk_widget_class_bind_template_child (widget_class, ConfabWindow, content_stack);
  gtk_widget_class_bind_template_callback (widget_class, on_search_changed);
  gtk_widget_class_bind_template_callback (widget_class, on_search_activate);
  gtk_widget_class_bind_template_callback (widget_class, on_room_activated);
  gtk_widget_class_bind_template_callback (widget_class, on_back_clicked);
  gtk_widget_class_bind_template_callback (widget_class, on_folded_changed);

  gtk_widget_class_install_action (widget_class, "win.logout", NULL, logout_activated);
  gtk_widget_class_install_action (widget_class, "win.search", NULL, search_activated);
  gtk_widget_class_install_action (widget_class, "win.previous-room", NULL, move_room_activated);
  gtk_widget_class_install_action (widget_class, "win.next-room", NULL, move_room_activated);
  gtk_widget_class_install_action (widget_class, "win.join-room", NULL, join_room_activated);
  gtk_widget_class_install_action (widget_class, "win.create-room", NULL, create_room_activated);
  gtk_widget_class_install_action (widget_class, "win.leave-room", NULL, leave_room_activated);
}

static void
confab_window_init (ConfabWindow *self)
{
  GSettingsSchemaSource *source;
  GSettingsSchema *schema;
  AdwLeafletPage *page;

  gtk_widget_init_template (GTK_WIDGET (self));

  self->cancellable = g_cancellable_new ();
  gtk_search_bar_connect_entry (self->search_bar, GTK_EDITABLE (self->search_entry));
  set_menu_when_opened (self->add_menu_button, self->add_menu);
  set_menu_when_opened (self->primary_menu_button, self->primary_menu);
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
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "win.search", FALSE);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "win.leave-room", FALSE);

  g_signal_connect (self, "notify::is-active", G_CALLBACK (update_read_marker), NULL);
  g_signal_connect_swapped (self->main_stack, "notify::visible-child", G_CALLBACK (update_read_marker), self);
}
