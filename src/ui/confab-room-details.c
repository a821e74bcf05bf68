/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "confab-room-details"

#include "config.h"

#include <glib/gi18n.h>

#include "confab-people-dialog.h"
#include "confab-room-access.h"
#include "confab-room-details.h"

/* The room details window. The member list is a GtkListView over the
 * library's MatrixRoomMembers, so a room of 10,000 makes a screenful of
 * rows. What a row offers is decided by the room's power levels as the
 * list was loaded (matrix_power_levels_can_*): an action the user may not
 * do is not in the menu at all, and a member with nothing to offer has no
 * menu button. */

struct _ConfabRoomDetails
{
  AdwWindow          parent_instance;

  MatrixRoom        *room;
  MatrixRoomMembers *members;
  GCancellable      *cancellable;

  GtkLabel          *members_label;
  GtkStack          *members_stack;
  GtkWidget         *invite_button;
  GtkSearchEntry    *search;
  /* Settings, where the user may change them. */
  GtkEntry          *name_entry;
  GtkEntry          *topic_entry;
  GtkWidget         *save_button;
  GtkDropDown       *notify_level;
};

G_DEFINE_FINAL_TYPE (ConfabRoomDetails, confab_room_details, ADW_TYPE_WINDOW)

static const struct {
  gint64      level;
  const char *label;
} levels[] = {
  { 100, N_("Make Admin") },
  { 50, N_("Make Moderator") },
  { 0, N_("Make Regular Member") },
};

static const char *
own_id (ConfabRoomDetails *self)
{
  return matrix_client_get_user_id (matrix_room_get_client (self->room));
}

GStrv
confab_room_details_dup_offered (ConfabRoomDetails *self,
                                 const char        *user_id)
{
  g_autoptr(GStrvBuilder) builder = g_strv_builder_new ();
  MatrixPowerLevels *power;
  MatrixRoomMember *member;
  const char *me, *membership;

  g_return_val_if_fail (CONFAB_IS_ROOM_DETAILS (self), NULL);

  me = own_id (self);
  power = matrix_room_members_get_power_levels (self->members);
  member = matrix_room_members_find (self->members, user_id);
  if (me == NULL || power == NULL || member == NULL || g_str_equal (me, user_id))
    return g_strv_builder_end (builder);

  membership = matrix_room_member_get_membership (member);
  g_strv_builder_add (builder, "details.message");
  if ((g_str_equal (membership, "join") || g_str_equal (membership, "invite")) &&
      matrix_power_levels_can_kick (power, me, user_id))
    g_strv_builder_add (builder, "details.kick");
  if (!g_str_equal (membership, "ban") && matrix_power_levels_can_ban (power, me, user_id))
    g_strv_builder_add (builder, "details.ban");
  if (g_str_equal (membership, "ban") && matrix_power_levels_can_ban (power, me, user_id))
    g_strv_builder_add (builder, "details.unban");
  for (guint i = 0; i < G_N_ELEMENTS (levels); i++)
    if (levels[i].level != matrix_room_member_get_power_level (member) &&
        matrix_power_levels_can_set_user_level (power, me, user_id, levels[i].level))
      {
        g_autofree char *name = g_strdup_printf ("details.set-level:%" G_GINT64_FORMAT, levels[i].level);
        g_strv_builder_add (builder, name);
      }

  return g_strv_builder_end (builder);
}

static GMenuModel *
member_menu (ConfabRoomDetails *self,
             const char        *user_id)
{
  g_auto(GStrv) offered = confab_room_details_dup_offered (self, user_id);
  GMenu *menu = g_menu_new ();
  GMenu *moderation = g_menu_new ();

  for (guint i = 0; offered[i] != NULL; i++)
    {
      g_autoptr(GMenuItem) item = NULL;

      if (g_str_equal (offered[i], "details.message"))
        item = g_menu_item_new (_("Message"), NULL);
      else if (g_str_equal (offered[i], "details.kick"))
        item = g_menu_item_new (_("Remove from Room…"), NULL);
      else if (g_str_equal (offered[i], "details.ban"))
        item = g_menu_item_new (_("Ban…"), NULL);
      else if (g_str_equal (offered[i], "details.unban"))
        item = g_menu_item_new (_("Lift Ban"), NULL);

      if (item != NULL)
        {
          g_menu_item_set_action_and_target (item, offered[i], "s", user_id);
          g_menu_append_item (g_str_equal (offered[i], "details.message") ? menu : moderation, item);
          continue;
        }

      for (guint j = 0; j < G_N_ELEMENTS (levels); j++)
        {
          g_autofree char *name = g_strdup_printf ("details.set-level:%" G_GINT64_FORMAT, levels[j].level);

          if (!g_str_equal (name, offered[i]))
            continue;
          item = g_menu_item_new (_(levels[j].label), NULL);
          g_menu_item_set_action_and_target (item, "details.set-level", "(sx)", user_id, levels[j].level);
          g_menu_append_item (moderation, item);
        }
    }
  if (g_menu_model_get_n_items (G_MENU_MODEL (moderation)) > 0)
    g_menu_append_section (menu, NULL, G_MENU_MODEL (moderation));
  g_object_unref (moderation);
  return G_MENU_MODEL (menu);
}

/* --- the rows ----------------------------------------------------------------- */

static void
setup_row (GtkSignalListItemFactory *factory,
           GtkListItem              *item,
           ConfabRoomDetails        *self)
{
  GtkWidget *box = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 12);
  GtkWidget *texts = gtk_box_new (GTK_ORIENTATION_VERTICAL, 2);
  GtkWidget *name = gtk_label_new (NULL);
  GtkWidget *user_id = gtk_label_new (NULL);
  GtkWidget *badge = gtk_label_new (NULL);
  GtkWidget *menu = gtk_menu_button_new ();

  gtk_widget_set_margin_top (box, 6);
  gtk_widget_set_margin_bottom (box, 6);
  gtk_widget_set_margin_start (box, 6);
  gtk_widget_set_margin_end (box, 6);
  gtk_box_append (GTK_BOX (box), adw_avatar_new (32, NULL, TRUE));
  gtk_label_set_xalign (GTK_LABEL (name), 0);
  gtk_label_set_ellipsize (GTK_LABEL (name), PANGO_ELLIPSIZE_END);
  gtk_label_set_xalign (GTK_LABEL (user_id), 0);
  gtk_label_set_ellipsize (GTK_LABEL (user_id), PANGO_ELLIPSIZE_END);
  gtk_widget_add_css_class (user_id, "dim-label");
  gtk_widget_add_css_class (user_id, "caption");
  gtk_box_append (GTK_BOX (texts), name);
  gtk_box_append (GTK_BOX (texts), user_id);
  gtk_widget_set_hexpand (texts, TRUE);
  gtk_widget_set_valign (texts, GTK_ALIGN_CENTER);
  gtk_box_append (GTK_BOX (box), texts);
  gtk_widget_add_css_class (badge, "caption-heading");
  gtk_widget_add_css_class (badge, "accent");
  gtk_widget_set_valign (badge, GTK_ALIGN_CENTER);
  gtk_box_append (GTK_BOX (box), badge);
  gtk_menu_button_set_icon_name (GTK_MENU_BUTTON (menu), "view-more-symbolic");
  gtk_widget_add_css_class (menu, "flat");
  gtk_widget_set_valign (menu, GTK_ALIGN_CENTER);
  gtk_widget_set_tooltip_text (menu, _("Member Actions"));
  gtk_box_append (GTK_BOX (box), menu);
  gtk_list_item_set_child (item, box);
  gtk_list_item_set_activatable (item, FALSE);
}

static void
bind_row (GtkSignalListItemFactory *factory,
          GtkListItem              *item,
          ConfabRoomDetails        *self)
{
  MatrixRoomMember *member = gtk_list_item_get_item (item);
  GtkWidget *box = gtk_list_item_get_child (item);
  GtkWidget *avatar = gtk_widget_get_first_child (box);
  GtkWidget *texts = gtk_widget_get_next_sibling (avatar);
  GtkWidget *badge = gtk_widget_get_next_sibling (texts);
  GtkWidget *menu_button = gtk_widget_get_next_sibling (badge);
  const char *user_id = matrix_room_member_get_user_id (member);
  const char *membership = matrix_room_member_get_membership (member);
  g_autoptr(GMenuModel) menu = member_menu (self, user_id);
  const char *badge_text = NULL;

  adw_avatar_set_text (ADW_AVATAR (avatar), matrix_room_member_get_display_name (member));
  gtk_label_set_text (GTK_LABEL (gtk_widget_get_first_child (texts)), matrix_room_member_get_display_name (member));
  gtk_label_set_text (GTK_LABEL (gtk_widget_get_last_child (texts)), user_id);
  if (g_str_equal (membership, "invite"))
    badge_text = _("Invited");
  else if (g_str_equal (membership, "ban"))
    badge_text = _("Banned");
  else if (matrix_room_member_get_role (member) == MATRIX_POWER_ROLE_ADMIN)
    badge_text = _("Admin");
  else if (matrix_room_member_get_role (member) == MATRIX_POWER_ROLE_MODERATOR)
    badge_text = _("Moderator");
  gtk_label_set_text (GTK_LABEL (badge), badge_text);
  gtk_widget_set_visible (badge, badge_text != NULL);
  gtk_menu_button_set_menu_model (GTK_MENU_BUTTON (menu_button), menu);
  gtk_widget_set_visible (menu_button, g_menu_model_get_n_items (menu) > 0);
}

/* --- loading --------------------------------------------------------------------- */

static void
on_members_loaded (GObject      *source,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  g_autoptr(ConfabRoomDetails) self = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(MatrixPowerLevels) power = NULL;
  g_autofree char *count = NULL;
  guint n;

  if (!matrix_room_members_load_finish (MATRIX_ROOM_MEMBERS (source), result, &error))
    {
      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        return;
      gtk_label_set_text (self->members_label, _("The members could not be loaded"));
      gtk_stack_set_visible_child_name (self->members_stack, "error");
      return;
    }

  n = matrix_room_members_get_n_members (self->members);
  count = g_strdup_printf (g_dngettext (NULL, "%u Member", "%u Members", n), n);
  gtk_label_set_text (self->members_label, count);
  gtk_stack_set_visible_child_name (self->members_stack, "list");
  power = matrix_room_dup_power_levels (self->room);
  gtk_widget_set_visible (self->invite_button, own_id (self) != NULL &&
                          matrix_power_levels_can_invite (power, own_id (self)));
}

static void
reload (ConfabRoomDetails *self)
{
  matrix_room_members_load_async (self->members, NULL, self->cancellable, on_members_loaded,
                                  g_object_ref (self));
}

/* --- actions ---------------------------------------------------------------------- */

static void
on_moderated (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  g_autoptr(ConfabRoomDetails) self = user_data;
  g_autoptr(GError) error = NULL;
  gboolean done;

  if (g_async_result_is_tagged (result, matrix_room_set_user_power_level_async))
    done = matrix_room_set_user_power_level_finish (MATRIX_ROOM (source), result, &error);
  else
    done = matrix_room_moderate_finish (MATRIX_ROOM (source), result, &error);

  if (!done)
    {
      g_autofree char *text = NULL;

      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        return;
      text = g_error_matches (error, MATRIX_ERROR, MATRIX_ERROR_FORBIDDEN)
             ? g_strdup (_("You are not allowed to do that in this room."))
             : g_strdup_printf (_("That did not work: %s"), error->message);
      adw_toast_overlay_add_toast (g_object_get_data (G_OBJECT (self), "toasts"), adw_toast_new (text));
      return;
    }
  reload (self);
}

static void
on_reason_response (AdwMessageDialog  *dialog,
                    const char        *response,
                    ConfabRoomDetails *self)
{
  GtkEditable *entry = GTK_EDITABLE (adw_message_dialog_get_extra_child (dialog));
  const char *user_id = g_object_get_data (G_OBJECT (dialog), "user-id");
  g_autofree char *reason = g_strstrip (g_strdup (gtk_editable_get_text (entry)));
  MatrixMemberAction action;

  if (g_str_equal (response, "kick"))
    action = MATRIX_MEMBER_ACTION_KICK;
  else if (g_str_equal (response, "ban"))
    action = MATRIX_MEMBER_ACTION_BAN;
  else
    return;
  matrix_room_moderate_async (self->room, action, user_id, *reason != '\0' ? reason : NULL,
                              self->cancellable, on_moderated, g_object_ref (self));
}

static void
ask_reason (ConfabRoomDetails *self,
            const char        *user_id,
            gboolean           ban)
{
  MatrixRoomMember *member = matrix_room_members_find (self->members, user_id);
  g_autofree char *name = matrix_text_isolate (member != NULL ? matrix_room_member_get_display_name (member)
                                                              : user_id);
  g_autofree char *heading = g_strdup_printf (ban ? _("Ban %s?") : _("Remove %s from the Room?"), name);
  GtkWidget *dialog = adw_message_dialog_new (GTK_WINDOW (self), heading,
                                              ban ? _("They will not be able to join again until the ban is lifted.")
                                                  : _("They can join again if the room lets them."));
  GtkWidget *entry = gtk_entry_new ();

  gtk_entry_set_placeholder_text (GTK_ENTRY (entry), _("Reason (optional)"));
  adw_message_dialog_set_extra_child (ADW_MESSAGE_DIALOG (dialog), entry);
  adw_message_dialog_add_responses (ADW_MESSAGE_DIALOG (dialog), "cancel", _("_Cancel"),
                                    ban ? "ban" : "kick", ban ? _("_Ban") : _("_Remove"), NULL);
  adw_message_dialog_set_response_appearance (ADW_MESSAGE_DIALOG (dialog), ban ? "ban" : "kick",
                                              ADW_RESPONSE_DESTRUCTIVE);
  adw_message_dialog_set_close_response (ADW_MESSAGE_DIALOG (dialog), "cancel");
  g_object_set_data_full (G_OBJECT (dialog), "user-id", g_strdup (user_id), g_free);
  g_signal_connect_object (dialog, "response", G_CALLBACK (on_reason_response), self, 0);
  gtk_window_present (GTK_WINDOW (dialog));
}

static void
member_action_activated (GtkWidget  *widget,
                         const char *action_name,
                         GVariant   *parameter)
{
  ConfabRoomDetails *self = CONFAB_ROOM_DETAILS (widget);
  const char *user_id = NULL;

  if (g_str_equal (action_name, "details.set-level"))
    {
      gint64 level;

      g_variant_get (parameter, "(&sx)", &user_id, &level);
      matrix_room_set_user_power_level_async (self->room, user_id, level, self->cancellable,
                                              on_moderated, g_object_ref (self));
      return;
    }

  user_id = g_variant_get_string (parameter, NULL);
  if (g_str_equal (action_name, "details.message"))
    {
      GtkWindow *parent = gtk_window_get_transient_for (GTK_WINDOW (self));

      if (parent != NULL)
        gtk_widget_activate_action (GTK_WIDGET (parent), "win.start-chat-with", "s", user_id);
      gtk_window_close (GTK_WINDOW (self));
    }
  else if (g_str_equal (action_name, "details.kick"))
    ask_reason (self, user_id, FALSE);
  else if (g_str_equal (action_name, "details.ban"))
    ask_reason (self, user_id, TRUE);
  else if (g_str_equal (action_name, "details.unban"))
    matrix_room_moderate_async (self->room, MATRIX_MEMBER_ACTION_UNBAN, user_id, NULL,
                                self->cancellable, on_moderated, g_object_ref (self));
}

static void
on_invite_clicked (ConfabRoomDetails *self)
{
  gtk_window_present (GTK_WINDOW (confab_people_dialog_new_invite (GTK_WINDOW (self), self->room)));
}

static void
on_search_changed (ConfabRoomDetails *self)
{
  matrix_room_members_set_search (self->members, gtk_editable_get_text (GTK_EDITABLE (self->search)));
}

void
confab_room_details_search (ConfabRoomDetails *self,
                            const char        *text)
{
  g_return_if_fail (CONFAB_IS_ROOM_DETAILS (self));

  gtk_editable_set_text (GTK_EDITABLE (self->search), text);
  matrix_room_members_set_search (self->members, text);
}

MatrixRoomMembers *
confab_room_details_get_members (ConfabRoomDetails *self)
{
  g_return_val_if_fail (CONFAB_IS_ROOM_DETAILS (self), NULL);
  return self->members;
}

static void
confab_room_details_dispose (GObject *object)
{
  ConfabRoomDetails *self = CONFAB_ROOM_DETAILS (object);

  g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  g_clear_object (&self->members);
  g_clear_object (&self->room);

  G_OBJECT_CLASS (confab_room_details_parent_class)->dispose (object);
}

static void
confab_room_details_class_init (ConfabRoomDetailsClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = confab_room_details_dispose;
  gtk_widget_class_install_action (widget_class, "details.message", "s", member_action_activated);
  gtk_widget_class_install_action (widget_class, "details.kick", "s", member_action_activated);
  gtk_widget_class_install_action (widget_class, "details.ban", "s", member_action_activated);
  gtk_widget_class_install_action (widget_class, "details.unban", "s", member_action_activated);
  gtk_widget_class_install_action (widget_class, "details.set-level", "(sx)", member_action_activated);
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

static void
confab_room_details_init (ConfabRoomDetails *self)
{
  self->cancellable = g_cancellable_new ();
  gtk_window_set_modal (GTK_WINDOW (self), TRUE);
  gtk_window_set_default_size (GTK_WINDOW (self), 440, 640);
  g_signal_connect (self, "close-request", G_CALLBACK (on_close_request), NULL);
  gtk_window_set_title (GTK_WINDOW (self), _("Room Details"));
}

/* --- settings ------------------------------------------------------------------ */

static void
on_notify_level_set (GObject      *source,
                     GAsyncResult *result,
                     gpointer      user_data)
{
  g_autoptr(ConfabRoomDetails) self = user_data;
  g_autoptr(GError) error = NULL;

  if (!matrix_client_set_room_notify_level_finish (MATRIX_CLIENT (source), result, &error) &&
      !g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    {
      g_autofree char *text = g_strdup_printf (_("The notification setting could not be changed: %s"),
                                               error->message);
      adw_toast_overlay_add_toast (g_object_get_data (G_OBJECT (self), "toasts"), adw_toast_new (text));
    }
}

static void
on_notify_level_changed (ConfabRoomDetails *self)
{
  MatrixNotifyLevel level = gtk_drop_down_get_selected (self->notify_level);

  matrix_client_set_room_notify_level_async (matrix_room_get_client (self->room),
                                             matrix_room_get_room_id (self->room), level,
                                             self->cancellable, on_notify_level_set, g_object_ref (self));
}

/* "Notifications: All Messages / Mentions Only / Muted", the dropdown's
 * positions being MatrixNotifyLevel's values. */
static GtkWidget *
build_notify_level (ConfabRoomDetails      *self,
                    MatrixRoomStateTracker *tracker)
{
  static const char *notify_levels[] = { N_("All Messages"), N_("Mentions Only"), N_("Muted"), NULL };
  const char *translated[G_N_ELEMENTS (notify_levels)];
  GtkWidget *box = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 12);
  GtkWidget *label = gtk_label_new (_("Notifications"));
  MatrixNotifyLevel level = MATRIX_NOTIFY_LEVEL_ALL;

  for (guint i = 0; i < G_N_ELEMENTS (notify_levels); i++)
    translated[i] = notify_levels[i] != NULL ? _(notify_levels[i]) : NULL;
  if (tracker != NULL)
    level = matrix_push_rules_get_room_level (matrix_room_state_tracker_get_push_rules (tracker),
                                              matrix_room_get_room_id (self->room));
  gtk_label_set_xalign (GTK_LABEL (label), 0);
  gtk_widget_set_hexpand (label, TRUE);
  gtk_box_append (GTK_BOX (box), label);
  self->notify_level = GTK_DROP_DOWN (gtk_drop_down_new_from_strings (translated));
  gtk_drop_down_set_selected (self->notify_level, level);
  g_signal_connect_swapped (self->notify_level, "notify::selected", G_CALLBACK (on_notify_level_changed), self);
  gtk_box_append (GTK_BOX (box), GTK_WIDGET (self->notify_level));
  return box;
}

MatrixNotifyLevel
confab_room_details_get_notify_level (ConfabRoomDetails *self)
{
  g_return_val_if_fail (CONFAB_IS_ROOM_DETAILS (self), MATRIX_NOTIFY_LEVEL_ALL);
  return gtk_drop_down_get_selected (self->notify_level);
}

void
confab_room_details_set_notify_level (ConfabRoomDetails *self,
                                      MatrixNotifyLevel  level)
{
  g_return_if_fail (CONFAB_IS_ROOM_DETAILS (self));
  gtk_drop_down_set_selected (self->notify_level, level);
}

static void
on_setting_saved (GObject      *source,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  g_autoptr(ConfabRoomDetails) self = user_data;
  g_autoptr(GError) error = NULL;

  if (!matrix_room_set_state_finish (MATRIX_ROOM (source), result, &error) &&
      !g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    {
      g_autofree char *text = g_error_matches (error, MATRIX_ERROR, MATRIX_ERROR_FORBIDDEN)
                              ? g_strdup (_("You are not allowed to do that in this room."))
                              : g_strdup_printf (_("That did not work: %s"), error->message);
      adw_toast_overlay_add_toast (g_object_get_data (G_OBJECT (self), "toasts"), adw_toast_new (text));
    }
}

static void
on_save_clicked (ConfabRoomDetails *self)
{
  const char *name = gtk_editable_get_text (GTK_EDITABLE (self->name_entry));
  const char *topic = gtk_editable_get_text (GTK_EDITABLE (self->topic_entry));

  if (gtk_widget_get_sensitive (GTK_WIDGET (self->name_entry)) &&
      g_strcmp0 (name, g_object_get_data (G_OBJECT (self->name_entry), "was")) != 0)
    matrix_room_set_name_async (self->room, name, self->cancellable, on_setting_saved, g_object_ref (self));
  if (gtk_widget_get_sensitive (GTK_WIDGET (self->topic_entry)) &&
      g_strcmp0 (topic, g_object_get_data (G_OBJECT (self->topic_entry), "was")) != 0)
    matrix_room_set_topic_async (self->room, topic, self->cancellable, on_setting_saved, g_object_ref (self));
  g_object_set_data_full (G_OBJECT (self->name_entry), "was", g_strdup (name), g_free);
  g_object_set_data_full (G_OBJECT (self->topic_entry), "was", g_strdup (topic), g_free);
  gtk_widget_set_sensitive (self->save_button, FALSE);
}

static void
on_setting_changed (ConfabRoomDetails *self)
{
  gboolean changed =
    g_strcmp0 (gtk_editable_get_text (GTK_EDITABLE (self->name_entry)),
               g_object_get_data (G_OBJECT (self->name_entry), "was")) != 0 ||
    g_strcmp0 (gtk_editable_get_text (GTK_EDITABLE (self->topic_entry)),
               g_object_get_data (G_OBJECT (self->topic_entry), "was")) != 0;

  gtk_widget_set_sensitive (self->save_button, changed);
}

static GtkEntry *
setting_entry (ConfabRoomDetails *self,
               const char        *placeholder,
               const char        *value,
               gboolean           allowed)
{
  GtkEntry *entry = GTK_ENTRY (gtk_entry_new ());

  gtk_entry_set_placeholder_text (entry, placeholder);
  gtk_editable_set_text (GTK_EDITABLE (entry), value != NULL ? value : "");
  g_object_set_data_full (G_OBJECT (entry), "was", g_strdup (value != NULL ? value : ""), g_free);
  gtk_widget_set_sensitive (GTK_WIDGET (entry), allowed);
  g_signal_connect_swapped (entry, "changed", G_CALLBACK (on_setting_changed), self);
  return entry;
}

/* Name and topic, editable where the power levels allow, with one Save;
 * NULL when the user may change neither. */
static GtkWidget *
build_settings (ConfabRoomDetails *self)
{
  g_autoptr(MatrixPowerLevels) power = matrix_room_dup_power_levels (self->room);
  const char *me = own_id (self);
  gboolean name_allowed, topic_allowed;
  GtkWidget *box;
  g_autofree char *topic = NULL;

  name_allowed = me != NULL && matrix_power_levels_can_send_state (power, me, "m.room.name");
  topic_allowed = me != NULL && matrix_power_levels_can_send_state (power, me, "m.room.topic");
  if (!name_allowed && !topic_allowed)
    return NULL;

  box = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 6);
  {
    GtkWidget *fields = gtk_box_new (GTK_ORIENTATION_VERTICAL, 6);

    gtk_widget_set_hexpand (fields, TRUE);
    /* The topic's first 400 characters: editing a 64 KB topic is no job
     * for an entry. */
    topic = matrix_room_get_topic (self->room) != NULL
            ? matrix_text_preview (matrix_room_get_topic (self->room), 400, 1) : NULL;
    self->name_entry = setting_entry (self, _("Room name"), matrix_room_get_display_name (self->room),
                                      name_allowed);
    self->topic_entry = setting_entry (self, _("Topic"), topic, topic_allowed);
    gtk_box_append (GTK_BOX (fields), GTK_WIDGET (self->name_entry));
    gtk_box_append (GTK_BOX (fields), GTK_WIDGET (self->topic_entry));
    gtk_box_append (GTK_BOX (box), fields);
  }
  self->save_button = gtk_button_new_with_mnemonic (_("_Save"));
  gtk_widget_add_css_class (self->save_button, "suggested-action");
  gtk_widget_set_valign (self->save_button, GTK_ALIGN_CENTER);
  gtk_widget_set_sensitive (self->save_button, FALSE);
  g_signal_connect_swapped (self->save_button, "clicked", G_CALLBACK (on_save_clicked), self);
  gtk_box_append (GTK_BOX (box), self->save_button);
  return box;
}

void
confab_room_details_edit (ConfabRoomDetails *self,
                          const char        *name,
                          const char        *topic)
{
  g_return_if_fail (CONFAB_IS_ROOM_DETAILS (self));
  g_return_if_fail (self->save_button != NULL);

  if (name != NULL)
    gtk_editable_set_text (GTK_EDITABLE (self->name_entry), name);
  if (topic != NULL)
    gtk_editable_set_text (GTK_EDITABLE (self->topic_entry), topic);
  if (gtk_widget_get_sensitive (self->save_button))
    on_save_clicked (self);
}

gboolean
confab_room_details_get_editable (ConfabRoomDetails *self)
{
  g_return_val_if_fail (CONFAB_IS_ROOM_DETAILS (self), FALSE);
  return self->save_button != NULL;
}

/* The avatar, and the name and topic as text where they cannot be edited
 * (@settings NULL); else the settings' entries show them. */
static GtkWidget *
build_header (ConfabRoomDetails *self,
              GtkWidget         *settings)
{
  GtkWidget *box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 6);
  const char *topic = matrix_room_get_topic (self->room);
  GtkWidget *name;

  gtk_box_append (GTK_BOX (box), adw_avatar_new (72, matrix_room_get_display_name (self->room), TRUE));
  if (settings != NULL)
    {
      gtk_box_append (GTK_BOX (box), settings);
      return box;
    }

  name = gtk_label_new (matrix_room_get_display_name (self->room));
  gtk_widget_add_css_class (name, "title-2");
  gtk_label_set_wrap (GTK_LABEL (name), TRUE);
  gtk_label_set_justify (GTK_LABEL (name), GTK_JUSTIFY_CENTER);
  gtk_box_append (GTK_BOX (box), name);
  if (topic != NULL && *topic != '\0')
    {
      g_autofree char *start = matrix_text_preview (topic, 400, 4);
      GtkWidget *label = gtk_label_new (start);

      gtk_label_set_wrap (GTK_LABEL (label), TRUE);
      gtk_label_set_justify (GTK_LABEL (label), GTK_JUSTIFY_CENTER);
      gtk_widget_add_css_class (label, "dim-label");
      gtk_box_append (GTK_BOX (box), label);
    }
  return box;
}

GtkWidget *
confab_room_details_new (GtkWindow              *parent,
                         MatrixRoom             *room,
                         MatrixRoomStateTracker *tracker)
{
  ConfabRoomDetails *self;
  GtkWidget *toasts, *outer, *box, *header_row, *scroller, *list;
  GtkListItemFactory *factory;
  GtkNoSelection *selection;

  g_return_val_if_fail (MATRIX_IS_ROOM (room), NULL);

  self = g_object_new (CONFAB_TYPE_ROOM_DETAILS, "transient-for", parent, NULL);
  self->room = g_object_ref (room);
  self->members = matrix_room_members_new (room);
  follow_parent (GTK_WINDOW (self), parent);

  toasts = adw_toast_overlay_new ();
  g_object_set_data (G_OBJECT (self), "toasts", toasts);
  outer = gtk_box_new (GTK_ORIENTATION_VERTICAL, 0);
  gtk_box_append (GTK_BOX (outer), adw_header_bar_new ());
  box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 12);
  gtk_widget_set_margin_start (box, 12);
  gtk_widget_set_margin_end (box, 12);
  gtk_widget_set_margin_bottom (box, 12);
  gtk_widget_set_vexpand (box, TRUE);
  gtk_box_append (GTK_BOX (box), build_header (self, build_settings (self)));
  gtk_box_append (GTK_BOX (box), build_notify_level (self, tracker));
  gtk_box_append (GTK_BOX (box), confab_room_access_new (room, ADW_TOAST_OVERLAY (toasts)));

  header_row = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 6);
  self->members_label = GTK_LABEL (gtk_label_new (_("Members")));
  gtk_widget_add_css_class (GTK_WIDGET (self->members_label), "heading");
  gtk_label_set_xalign (self->members_label, 0);
  gtk_widget_set_hexpand (GTK_WIDGET (self->members_label), TRUE);
  gtk_box_append (GTK_BOX (header_row), GTK_WIDGET (self->members_label));
  self->invite_button = gtk_button_new_with_mnemonic (_("_Invite People…"));
  gtk_widget_set_visible (self->invite_button, FALSE);
  g_signal_connect_swapped (self->invite_button, "clicked", G_CALLBACK (on_invite_clicked), self);
  gtk_box_append (GTK_BOX (header_row), self->invite_button);
  gtk_box_append (GTK_BOX (box), header_row);

  self->search = GTK_SEARCH_ENTRY (gtk_search_entry_new ());
  g_object_set (self->search, "placeholder-text", _("Search members"), NULL);
  g_signal_connect_swapped (self->search, "search-changed", G_CALLBACK (on_search_changed), self);
  gtk_box_append (GTK_BOX (box), GTK_WIDGET (self->search));

  factory = gtk_signal_list_item_factory_new ();
  g_signal_connect (factory, "setup", G_CALLBACK (setup_row), self);
  g_signal_connect (factory, "bind", G_CALLBACK (bind_row), self);
  selection = gtk_no_selection_new (G_LIST_MODEL (g_object_ref (self->members)));
  list = gtk_list_view_new (GTK_SELECTION_MODEL (selection), factory);
  gtk_widget_add_css_class (list, "navigation-sidebar");
  scroller = gtk_scrolled_window_new ();
  gtk_scrolled_window_set_policy (GTK_SCROLLED_WINDOW (scroller), GTK_POLICY_NEVER, GTK_POLICY_AUTOMATIC);
  gtk_scrolled_window_set_child (GTK_SCROLLED_WINDOW (scroller), list);
  gtk_widget_add_css_class (scroller, "card");

  self->members_stack = GTK_STACK (gtk_stack_new ());
  gtk_widget_set_vexpand (GTK_WIDGET (self->members_stack), TRUE);
  {
    GtkWidget *spinner = gtk_spinner_new ();
    gtk_spinner_set_spinning (GTK_SPINNER (spinner), TRUE);
    gtk_widget_set_halign (spinner, GTK_ALIGN_CENTER);
    gtk_widget_set_valign (spinner, GTK_ALIGN_CENTER);
    gtk_stack_add_named (self->members_stack, spinner, "loading");
  }
  gtk_stack_add_named (self->members_stack, gtk_label_new (NULL), "error");
  gtk_stack_add_named (self->members_stack, scroller, "list");
  gtk_stack_set_visible_child_name (self->members_stack, "loading");
  gtk_box_append (GTK_BOX (box), GTK_WIDGET (self->members_stack));

  gtk_box_append (GTK_BOX (outer), box);
  adw_toast_overlay_set_child (ADW_TOAST_OVERLAY (toasts), outer);
  adw_window_set_content (ADW_WINDOW (self), toasts);
  gtk_window_set_focus (GTK_WINDOW (self), GTK_WIDGET (self->search));

  reload (self);
  return GTK_WIDGET (self);
}
