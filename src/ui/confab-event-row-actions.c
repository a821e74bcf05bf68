/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "confab-message-menu"

#include <glib/gi18n.h>

#include "confab-event-row-actions.h"
#include "confab-reaction-bar.h"

/**
 * SECTION:confab-message-menu
 *
 * What can be done with one message, from its row: a #GtkPopoverMenu of
 * the "message" actions, with a line of quick reactions on top. Replying
 * and editing are the composer's: they activate "conversation.reply" and
 * "conversation.edit" with the event's id, which the room page provides.
 * Each row gets one menu, made the first time it opens.
 */

const char * const confab_quick_reactions[] = { "👍", "❤️", "😂", "🎉", "😮", NULL };

typedef struct {
  ConfabEventRow     *row;            /* unowned: the menu lives as long */
  GSimpleActionGroup *actions;
  GtkWidget          *popover;
  GtkWidget          *emoji_chooser;
} MessageMenu;

static GQuark
menu_quark (void)
{
  return g_quark_from_static_string ("confab-message-menu");
}

static MessageMenu *
menu_of (ConfabEventRow *row)
{
  return g_object_get_qdata (G_OBJECT (row), menu_quark ());
}

static void
message_menu_free (MessageMenu *menu)
{
  g_clear_object (&menu->actions);
  /* The row unparents its children (the popovers too) when disposed. */
  g_free (menu);
}

GActionGroup *
confab_event_row_menu_get_actions (ConfabEventRow *row)
{
  MessageMenu *menu;

  g_return_val_if_fail (CONFAB_IS_EVENT_ROW (row), NULL);

  menu = menu_of (row);
  return menu ? G_ACTION_GROUP (menu->actions) : NULL;
}

char *
confab_message_link (const char *room_id,
                     const char *event_id)
{
  g_autofree char *room = g_uri_escape_string (room_id, "!:", FALSE);
  g_autofree char *event = g_uri_escape_string (event_id, "$:", FALSE);

  return g_strdup_printf ("https://matrix.to/#/%s/%s", room, event);
}

static MatrixRoom *
room_of (MessageMenu *menu)
{
  return confab_event_row_get_room (menu->row);
}

static MatrixTimelineItem *
item_of (MessageMenu *menu)
{
  return confab_event_row_get_item (menu->row);
}

static gboolean
is_message (MatrixTimelineItem *item)
{
  MatrixEvent *event = matrix_timeline_item_get_event (item);

  if (event != NULL && (matrix_event_is_state (event) || matrix_event_is_redacted (event)))
    return FALSE;

  return g_strcmp0 (matrix_timeline_item_get_event_type (item), "m.room.message") == 0 &&
         matrix_timeline_item_get_body (item) != NULL;
}

static gboolean
is_own (MessageMenu        *menu,
        MatrixTimelineItem *item)
{
  MatrixRoom *room = room_of (menu);
  const char *own = room ? matrix_client_get_user_id (matrix_room_get_client (room)) : NULL;

  return own != NULL && g_strcmp0 (matrix_timeline_item_get_sender (item), own) == 0;
}

static void
set_enabled (MessageMenu *menu,
             const char  *name,
             gboolean     enabled)
{
  GAction *action = g_action_map_lookup_action (G_ACTION_MAP (menu->actions), name);

  g_simple_action_set_enabled (G_SIMPLE_ACTION (action), enabled);
}

/* What the menu offers depends on the item the row shows now. */
static gboolean
update_actions (MessageMenu *menu)
{
  MatrixTimelineItem *item = item_of (menu);
  gboolean event, message, sent_event;

  event = item != NULL && matrix_timeline_item_get_kind (item) == MATRIX_TIMELINE_ITEM_EVENT;
  message = item != NULL && is_message (item);
  sent_event = event && matrix_timeline_item_get_event_id (item) != NULL &&
               !matrix_timeline_item_get_redacting (item);

  set_enabled (menu, "reply", sent_event && message);
  set_enabled (menu, "edit", sent_event && message && is_own (menu, item));
  set_enabled (menu, "react", sent_event && !matrix_event_is_state (matrix_timeline_item_get_event (item)));
  set_enabled (menu, "react-more", sent_event && !matrix_event_is_state (matrix_timeline_item_get_event (item)));
  set_enabled (menu, "delete", sent_event && is_own (menu, item) &&
               !matrix_event_is_redacted (matrix_timeline_item_get_event (item)));
  set_enabled (menu, "copy-text", message);
  set_enabled (menu, "copy-link", sent_event);
  set_enabled (menu, "view-source", event);

  return event || message;
}

static void
popdown (MessageMenu *menu)
{
  if (menu->popover != NULL)
    gtk_popover_popdown (GTK_POPOVER (menu->popover));
}

/* Activates @action (the composer's reply or edit, the window's thread)
 * with the event id of the menu's message. */
static void
activate_on_event (MessageMenu *menu,
                   const char  *action)
{
  MatrixTimelineItem *item = item_of (menu);

  popdown (menu);
  if (item == NULL || matrix_timeline_item_get_event_id (item) == NULL)
    return;
  gtk_widget_activate_action (GTK_WIDGET (menu->row), action, "s",
                              matrix_timeline_item_get_event_id (item));
}

static void
reply_activated (GSimpleAction *action,
                 GVariant      *parameter,
                 gpointer       user_data)
{
  activate_on_event (user_data, "conversation.reply");
}

static void
open_thread_activated (GSimpleAction *action,
                       GVariant      *parameter,
                       gpointer       user_data)
{
  activate_on_event (user_data, "win.open-thread");
}

static void
edit_activated (GSimpleAction *action,
                GVariant      *parameter,
                gpointer       user_data)
{
  activate_on_event (user_data, "conversation.edit");
}

static void
react (MessageMenu *menu,
       const char  *key)
{
  MatrixTimelineItem *item = item_of (menu);
  MatrixRoom *room = room_of (menu);

  popdown (menu);
  if (item != NULL && room != NULL && key != NULL && *key != '\0')
    confab_toggle_reaction (room, item, key);
}

static void
react_activated (GSimpleAction *action,
                 GVariant      *parameter,
                 gpointer       user_data)
{
  react (user_data, g_variant_get_string (parameter, NULL));
}

static void
on_emoji_picked (GtkEmojiChooser *chooser,
                 const char      *text,
                 MessageMenu     *menu)
{
  react (menu, text);
}

static void
react_more_activated (GSimpleAction *action,
                      GVariant      *parameter,
                      gpointer       user_data)
{
  MessageMenu *menu = user_data;

  popdown (menu);
  if (menu->emoji_chooser == NULL)
    {
      menu->emoji_chooser = gtk_emoji_chooser_new ();
      gtk_widget_set_parent (menu->emoji_chooser, GTK_WIDGET (menu->row));
      g_signal_connect (menu->emoji_chooser, "emoji-picked", G_CALLBACK (on_emoji_picked), menu);
    }
  gtk_popover_popup (GTK_POPOVER (menu->emoji_chooser));
}

static void
copy_text_activated (GSimpleAction *action,
                     GVariant      *parameter,
                     gpointer       user_data)
{
  MessageMenu *menu = user_data;
  MatrixTimelineItem *item = item_of (menu);
  const char *body = item ? matrix_timeline_item_get_body (item) : NULL;

  popdown (menu);
  if (body != NULL)
    gdk_clipboard_set_text (gtk_widget_get_clipboard (GTK_WIDGET (menu->row)), body);
}

static void
copy_link_activated (GSimpleAction *action,
                     GVariant      *parameter,
                     gpointer       user_data)
{
  MessageMenu *menu = user_data;
  MatrixTimelineItem *item = item_of (menu);
  MatrixRoom *room = room_of (menu);
  g_autofree char *link = NULL;

  popdown (menu);
  if (item == NULL || room == NULL || matrix_timeline_item_get_event_id (item) == NULL)
    return;
  link = confab_message_link (matrix_room_get_room_id (room),
                              matrix_timeline_item_get_event_id (item));
  gdk_clipboard_set_text (gtk_widget_get_clipboard (GTK_WIDGET (menu->row)), link);
}

static void
view_source_activated (GSimpleAction *action,
                       GVariant      *parameter,
                       gpointer       user_data)
{
  MessageMenu *menu = user_data;
  MatrixTimelineItem *item = item_of (menu);
  MatrixEvent *event = item ? matrix_timeline_item_get_event (item) : NULL;
  GtkRoot *root = gtk_widget_get_root (GTK_WIDGET (menu->row));
  g_autofree char *json = NULL;
  GtkWidget *dialog, *scroller, *label;

  popdown (menu);
  if (event == NULL)
    return;

  json = matrix_event_dup_json (event);
  dialog = adw_message_dialog_new (GTK_IS_WINDOW (root) ? GTK_WINDOW (root) : NULL,
                                   _("Message Source"), NULL);
  label = gtk_label_new (json);
  gtk_label_set_selectable (GTK_LABEL (label), TRUE);
  gtk_label_set_xalign (GTK_LABEL (label), 0);
  gtk_label_set_yalign (GTK_LABEL (label), 0);
  gtk_label_set_wrap (GTK_LABEL (label), TRUE);
  gtk_label_set_wrap_mode (GTK_LABEL (label), PANGO_WRAP_WORD_CHAR);
  gtk_widget_add_css_class (label, "monospace");
  scroller = gtk_scrolled_window_new ();
  gtk_scrolled_window_set_policy (GTK_SCROLLED_WINDOW (scroller), GTK_POLICY_NEVER,
                                  GTK_POLICY_AUTOMATIC);
  gtk_scrolled_window_set_propagate_natural_height (GTK_SCROLLED_WINDOW (scroller), TRUE);
  gtk_scrolled_window_set_max_content_height (GTK_SCROLLED_WINDOW (scroller), 400);
  gtk_scrolled_window_set_child (GTK_SCROLLED_WINDOW (scroller), label);
  adw_message_dialog_set_extra_child (ADW_MESSAGE_DIALOG (dialog), scroller);
  adw_message_dialog_add_response (ADW_MESSAGE_DIALOG (dialog), "close", _("_Close"));
  gtk_window_present (GTK_WINDOW (dialog));
}

typedef struct {
  MatrixRoom *room;
  char       *event_id;
  GtkEditable *reason;
} DeleteRequest;

static void
delete_request_free (gpointer data)
{
  DeleteRequest *request = data;

  g_clear_object (&request->room);
  g_free (request->event_id);
  g_free (request);
}

static void
on_redacted (GObject      *source,
             GAsyncResult *result,
             gpointer      user_data)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *event_id = matrix_timeline_send_finish (MATRIX_TIMELINE (source), result, &error);

  /* The library shows the message again; the user can try once more. */
  if (event_id == NULL && !g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    g_message ("Could not delete a message: %s", error->message);
}

static void
on_delete_response (AdwMessageDialog *dialog,
                    const char       *response,
                    DeleteRequest    *request)
{
  g_autofree char *reason = NULL;

  if (!g_str_equal (response, "delete"))
    return;

  reason = g_strstrip (g_strdup (gtk_editable_get_text (request->reason)));
  matrix_timeline_redact_async (matrix_room_get_timeline (request->room), request->event_id,
                                *reason != '\0' ? reason : NULL, NULL, on_redacted, NULL);
}

static void
delete_activated (GSimpleAction *action,
                  GVariant      *parameter,
                  gpointer       user_data)
{
  MessageMenu *menu = user_data;
  MatrixTimelineItem *item = item_of (menu);
  MatrixRoom *room = room_of (menu);
  GtkRoot *root = gtk_widget_get_root (GTK_WIDGET (menu->row));
  DeleteRequest *request;
  GtkWidget *dialog, *entry;

  popdown (menu);
  if (item == NULL || room == NULL || matrix_timeline_item_get_event_id (item) == NULL)
    return;

  dialog = adw_message_dialog_new (GTK_IS_WINDOW (root) ? GTK_WINDOW (root) : NULL,
                                   _("Delete Message?"),
                                   _("It is deleted for everyone in the room. This cannot be undone."));
  entry = gtk_entry_new ();
  gtk_entry_set_placeholder_text (GTK_ENTRY (entry), _("Reason (optional)"));
  gtk_entry_set_activates_default (GTK_ENTRY (entry), TRUE);
  adw_message_dialog_set_extra_child (ADW_MESSAGE_DIALOG (dialog), entry);
  adw_message_dialog_add_responses (ADW_MESSAGE_DIALOG (dialog),
                                    "cancel", _("_Cancel"),
                                    "delete", _("_Delete"),
                                    NULL);
  adw_message_dialog_set_response_appearance (ADW_MESSAGE_DIALOG (dialog), "delete",
                                              ADW_RESPONSE_DESTRUCTIVE);
  adw_message_dialog_set_default_response (ADW_MESSAGE_DIALOG (dialog), "cancel");
  adw_message_dialog_set_close_response (ADW_MESSAGE_DIALOG (dialog), "cancel");

  request = g_new0 (DeleteRequest, 1);
  request->room = g_object_ref (room);
  request->event_id = g_strdup (matrix_timeline_item_get_event_id (item));
  request->reason = GTK_EDITABLE (entry);
  g_signal_connect_data (dialog, "response", G_CALLBACK (on_delete_response), request,
                         (GClosureNotify) (void (*) (void)) delete_request_free, 0);
  gtk_window_present (GTK_WINDOW (dialog));
}

static GtkWidget *
new_quick_reactions (void)
{
  GtkWidget *box = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 2);

  gtk_widget_set_halign (box, GTK_ALIGN_CENTER);
  for (guint i = 0; confab_quick_reactions[i] != NULL; i++)
    {
      GtkWidget *button = gtk_button_new_with_label (confab_quick_reactions[i]);
      g_autofree char *tooltip = g_strdup_printf (_("React with %s"), confab_quick_reactions[i]);

      gtk_widget_add_css_class (button, "flat");
      gtk_widget_add_css_class (button, "confab-quick-reaction");
      gtk_widget_set_tooltip_text (button, tooltip);
      gtk_actionable_set_action_name (GTK_ACTIONABLE (button), "message.react");
      gtk_actionable_set_action_target (GTK_ACTIONABLE (button), "s", confab_quick_reactions[i]);
      gtk_box_append (GTK_BOX (box), button);
    }

  return box;
}

void
confab_event_row_menu_popup (ConfabEventRow *row,
                           double          x,
                           double          y)
{
  MessageMenu *menu;

  g_return_if_fail (CONFAB_IS_EVENT_ROW (row));

  menu = menu_of (row);
  g_return_if_fail (menu != NULL);

  if (!update_actions (menu))
    return;

  if (menu->popover == NULL)
    {
      g_autoptr(GtkBuilder) builder =
        gtk_builder_new_from_resource ("/io/github/confab/Confab/confab-message-menu.ui");
      GMenuModel *model = G_MENU_MODEL (gtk_builder_get_object (builder, "menu"));

      menu->popover = gtk_popover_menu_new_from_model (model);
      gtk_popover_menu_add_child (GTK_POPOVER_MENU (menu->popover), new_quick_reactions (),
                                  "quick-reactions");
      gtk_popover_set_has_arrow (GTK_POPOVER (menu->popover), TRUE);
      gtk_widget_set_halign (menu->popover, GTK_ALIGN_START);
      gtk_widget_set_parent (menu->popover, GTK_WIDGET (row));
    }

  if (x >= 0)
    {
      GdkRectangle at = { (int) x, (int) y, 1, 1 };

      gtk_popover_set_pointing_to (GTK_POPOVER (menu->popover), &at);
    }
  else
    {
      gtk_popover_set_pointing_to (GTK_POPOVER (menu->popover), NULL);
    }
  gtk_popover_popup (GTK_POPOVER (menu->popover));
}

static void
on_secondary_pressed (GtkGestureClick *gesture,
                      int              n_press,
                      double           x,
                      double           y,
                      ConfabEventRow  *row)
{
  gtk_gesture_set_state (GTK_GESTURE (gesture), GTK_EVENT_SEQUENCE_CLAIMED);
  confab_event_row_menu_popup (row, x, y);
}

static void
on_long_pressed (GtkGestureLongPress *gesture,
                 double               x,
                 double               y,
                 ConfabEventRow      *row)
{
  gtk_gesture_set_state (GTK_GESTURE (gesture), GTK_EVENT_SEQUENCE_CLAIMED);
  confab_event_row_menu_popup (row, x, y);
}

static gboolean
on_menu_shortcut (GtkWidget *widget,
                  GVariant  *args,
                  gpointer   user_data)
{
  confab_event_row_menu_popup (CONFAB_EVENT_ROW (widget), -1, -1);
  return TRUE;
}

void
confab_event_row_menu_attach (ConfabEventRow *row)
{
  const GActionEntry entries[] = {
    { "reply", reply_activated, NULL, NULL, NULL, { 0 } },
    { "edit", edit_activated, NULL, NULL, NULL, { 0 } },
    { "open-thread", open_thread_activated, NULL, NULL, NULL, { 0 } },
    { "react", react_activated, "s", NULL, NULL, { 0 } },
    { "react-more", react_more_activated, NULL, NULL, NULL, { 0 } },
    { "delete", delete_activated, NULL, NULL, NULL, { 0 } },
    { "copy-text", copy_text_activated, NULL, NULL, NULL, { 0 } },
    { "copy-link", copy_link_activated, NULL, NULL, NULL, { 0 } },
    { "view-source", view_source_activated, NULL, NULL, NULL, { 0 } },
  };
  MessageMenu *menu;
  GtkGesture *gesture;
  GtkEventController *shortcuts;

  g_return_if_fail (CONFAB_IS_EVENT_ROW (row));
  g_return_if_fail (menu_of (row) == NULL);

  menu = g_new0 (MessageMenu, 1);
  menu->row = row;
  menu->actions = g_simple_action_group_new ();
  g_action_map_add_action_entries (G_ACTION_MAP (menu->actions), entries, G_N_ELEMENTS (entries),
                                   menu);
  gtk_widget_insert_action_group (GTK_WIDGET (row), "message", G_ACTION_GROUP (menu->actions));
  g_object_set_qdata_full (G_OBJECT (row), menu_quark (), menu, (GDestroyNotify) message_menu_free);

  gesture = gtk_gesture_click_new ();
  gtk_gesture_single_set_button (GTK_GESTURE_SINGLE (gesture), GDK_BUTTON_SECONDARY);
  g_signal_connect (gesture, "pressed", G_CALLBACK (on_secondary_pressed), row);
  gtk_widget_add_controller (GTK_WIDGET (row), GTK_EVENT_CONTROLLER (gesture));

  gesture = gtk_gesture_long_press_new ();
  gtk_gesture_single_set_touch_only (GTK_GESTURE_SINGLE (gesture), TRUE);
  g_signal_connect (gesture, "pressed", G_CALLBACK (on_long_pressed), row);
  gtk_widget_add_controller (GTK_WIDGET (row), GTK_EVENT_CONTROLLER (gesture));

  /* From the keyboard: the row's text (or its menu button) has the focus. */
  shortcuts = gtk_shortcut_controller_new ();
  gtk_shortcut_controller_add_shortcut (GTK_SHORTCUT_CONTROLLER (shortcuts),
    gtk_shortcut_new (gtk_alternative_trigger_new (gtk_keyval_trigger_new (GDK_KEY_Menu, 0),
                                                   gtk_keyval_trigger_new (GDK_KEY_F10, GDK_SHIFT_MASK)),
                      gtk_callback_action_new (on_menu_shortcut, NULL, NULL)));
  gtk_widget_add_controller (GTK_WIDGET (row), shortcuts);
}
