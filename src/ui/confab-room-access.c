/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "confab-room-access"

#include "config.h"

#include <glib/gi18n.h>

#include "confab-media-loader.h"
#include "confab-room-access.h"

/* The room details' settings beyond name and topic: who may join, who may
 * read the history, the room's picture, and Leave. A setting the user's
 * power level does not allow is shown, insensitive; a change the server
 * refuses is said in a toast and the row goes back to what the room has.
 * The room shows a change when the sync brings the state event back. */

/* Held by the rows' box and by each request or dialog under way: the box
 * may go (the window closed) before they end. */
typedef struct {
  MatrixRoom      *room;
  AdwToastOverlay *toasts;     /* weak pointers: the details window's */
  GCancellable    *cancellable;
  GtkWidget       *join_rule;
  GtkWidget       *history;
  GtkWidget       *remove_avatar;
  gboolean         resetting;
} Access;

static void
access_clear (Access *access)
{
  g_clear_weak_pointer (&access->toasts);
  g_clear_weak_pointer (&access->join_rule);
  g_clear_weak_pointer (&access->history);
  g_clear_weak_pointer (&access->remove_avatar);
  g_clear_object (&access->cancellable);
  g_clear_object (&access->room);
}

static Access *
access_ref (Access *access)
{
  return g_rc_box_acquire (access);
}

static void
access_unref (Access *access)
{
  g_rc_box_release_full (access, (GDestroyNotify) access_clear);
}

/* The box is gone: what is under way is cancelled. */
static void
access_let_go (gpointer data)
{
  Access *access = data;

  g_cancellable_cancel (access->cancellable);
  access_unref (access);
}

static void
toast (Access     *access,
       const char *text)
{
  if (access->toasts != NULL)
    adw_toast_overlay_add_toast (access->toasts, adw_toast_new (text));
}

/* The join rules offered, in the order of the row's items. */
static const MatrixJoinRule join_rules[] = { MATRIX_JOIN_RULE_INVITE, MATRIX_JOIN_RULE_PUBLIC };
static const MatrixHistoryVisibility visibilities[] = {
  MATRIX_HISTORY_VISIBILITY_JOINED, MATRIX_HISTORY_VISIBILITY_INVITED,
  MATRIX_HISTORY_VISIBILITY_SHARED, MATRIX_HISTORY_VISIBILITY_WORLD_READABLE,
};

/* The row's item of what the room has now: the last one ("Other") when it
 * is none of those offered. */
static guint
join_rule_position (MatrixRoom *room)
{
  MatrixJoinRule rule = matrix_room_get_join_rule (room);

  for (guint i = 0; i < G_N_ELEMENTS (join_rules); i++)
    if (join_rules[i] == rule)
      return i;
  return G_N_ELEMENTS (join_rules);
}

static guint
history_position (MatrixRoom *room)
{
  MatrixHistoryVisibility visibility = matrix_room_get_history_visibility (room);

  for (guint i = 0; i < G_N_ELEMENTS (visibilities); i++)
    if (visibilities[i] == visibility)
      return i;
  return G_N_ELEMENTS (visibilities);
}

static void
reset_rows (Access *access)
{
  if (access->join_rule == NULL || access->history == NULL)
    return;
  access->resetting = TRUE;
  adw_combo_row_set_selected (ADW_COMBO_ROW (access->join_rule), join_rule_position (access->room));
  adw_combo_row_set_selected (ADW_COMBO_ROW (access->history), history_position (access->room));
  access->resetting = FALSE;
}

static void
on_state_sent (GObject      *source,
               GAsyncResult *result,
               gpointer      user_data)
{
  Access *access = user_data;
  g_autoptr(GError) error = NULL;
  g_autofree char *text = NULL;

  if (!matrix_room_set_state_finish (MATRIX_ROOM (source), result, &error) &&
      !g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    {
      text = g_error_matches (error, MATRIX_ERROR, MATRIX_ERROR_FORBIDDEN)
             ? g_strdup (_("You are not allowed to do that in this room."))
             : g_strdup_printf (_("That did not work: %s"), error->message);
      toast (access, text);
      reset_rows (access);
    }
  access_unref (access);
}

static void
on_join_rule_selected (Access *access)
{
  guint position = adw_combo_row_get_selected (ADW_COMBO_ROW (access->join_rule));

  if (access->resetting || position >= G_N_ELEMENTS (join_rules) ||
      join_rules[position] == matrix_room_get_join_rule (access->room))
    return;
  matrix_room_set_join_rule_async (access->room, join_rules[position], access->cancellable,
                                   on_state_sent, access_ref (access));
}

static void
on_history_selected (Access *access)
{
  guint position = adw_combo_row_get_selected (ADW_COMBO_ROW (access->history));

  if (access->resetting || position >= G_N_ELEMENTS (visibilities) ||
      visibilities[position] == matrix_room_get_history_visibility (access->room))
    return;
  matrix_room_set_history_visibility_async (access->room, visibilities[position], access->cancellable,
                                            on_state_sent, access_ref (access));
}

static GtkWidget *
combo_row (const char  *title,
           const char  *subtitle,
           const char **items,
           guint        selected,
           gboolean     allowed)
{
  GtkWidget *row = adw_combo_row_new ();
  g_autoptr(GtkStringList) model = gtk_string_list_new (items);

  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), title);
  adw_action_row_set_subtitle (ADW_ACTION_ROW (row), subtitle);
  adw_combo_row_set_model (ADW_COMBO_ROW (row), G_LIST_MODEL (model));
  adw_combo_row_set_selected (ADW_COMBO_ROW (row), selected);
  gtk_widget_set_sensitive (row, allowed);
  return row;
}

/* --- the picture ------------------------------------------------------------ */

static void
on_avatar_uploaded (GObject      *source,
                    GAsyncResult *result,
                    gpointer      user_data)
{
  Access *access = user_data;
  g_autoptr(GError) error = NULL;
  g_autofree char *mxc = matrix_media_upload_finish (MATRIX_MEDIA (source), result, &error);

  if (mxc == NULL)
    {
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        {
          g_autofree char *text = g_strdup_printf (_("The picture could not be sent: %s"),
                                                   error->message);
          toast (access, text);
        }
      access_unref (access);
      return;
    }
  /* The reference goes on to the state's request. */
  matrix_room_set_avatar_async (access->room, mxc, access->cancellable, on_state_sent, access);
}

static void
on_avatar_chosen (GtkNativeDialog *dialog,
                  int              response,
                  gpointer         user_data)
{
  Access *access = user_data;
  g_autoptr(GFile) file = gtk_file_chooser_get_file (GTK_FILE_CHOOSER (dialog));

  if (response == GTK_RESPONSE_ACCEPT && file != NULL && !g_cancellable_is_cancelled (access->cancellable))
    {
      g_autofree char *name = g_file_get_basename (file);
      g_autofree char *guessed = g_content_type_guess (name, NULL, 0, NULL);
      g_autofree char *mime = g_content_type_get_mime_type (guessed);
      ConfabMediaLoader *loader = confab_media_loader_for_client (matrix_room_get_client (access->room));

      matrix_media_upload_async (confab_media_loader_get_media (loader), file,
                                 mime != NULL ? mime : "application/octet-stream", name,
                                 access->cancellable, NULL, NULL, on_avatar_uploaded,
                                 access_ref (access));
    }
  g_object_unref (dialog);
  access_unref (access);
}

static void
on_change_avatar_clicked (GtkButton *button,
                          Access    *access)
{
  GtkFileChooserNative *chooser;
  g_autoptr(GtkFileFilter) filter = gtk_file_filter_new ();
  GtkRoot *root = gtk_widget_get_root (GTK_WIDGET (button));

  chooser = gtk_file_chooser_native_new (_("Room Picture"), GTK_IS_WINDOW (root) ? GTK_WINDOW (root) : NULL,
                                         GTK_FILE_CHOOSER_ACTION_OPEN, _("_Choose"), _("_Cancel"));
  gtk_file_filter_set_name (filter, _("Images"));
  gtk_file_filter_add_mime_type (filter, "image/png");
  gtk_file_filter_add_mime_type (filter, "image/jpeg");
  gtk_file_filter_add_mime_type (filter, "image/webp");
  gtk_file_chooser_add_filter (GTK_FILE_CHOOSER (chooser), filter);
  gtk_native_dialog_set_modal (GTK_NATIVE_DIALOG (chooser), TRUE);
  g_signal_connect (chooser, "response", G_CALLBACK (on_avatar_chosen), access_ref (access));
  gtk_native_dialog_show (GTK_NATIVE_DIALOG (chooser));
}

static void
on_remove_avatar_clicked (GtkButton *button,
                          Access    *access)
{
  matrix_room_set_avatar_async (access->room, NULL, access->cancellable, on_state_sent,
                                access_ref (access));
}

static void
on_leave_clicked (GtkButton *button,
                  Access    *access)
{
  GtkRoot *root = gtk_widget_get_root (GTK_WIDGET (button));
  GtkWindow *main_window = GTK_IS_WINDOW (root) ? gtk_window_get_transient_for (GTK_WINDOW (root)) : NULL;

  /* The main window asks, for the room it shows: this one. */
  if (main_window != NULL)
    {
      gtk_widget_activate_action (GTK_WIDGET (main_window), "win.leave-room", NULL);
      gtk_window_close (GTK_WINDOW (root));
    }
}

static GtkWidget *
button (const char *label,
        GCallback   callback,
        Access     *access)
{
  GtkWidget *widget = gtk_button_new_with_mnemonic (label);

  gtk_widget_set_valign (widget, GTK_ALIGN_CENTER);
  g_signal_connect (widget, "clicked", callback, access);
  return widget;
}

/**
 * confab_room_access_new:
 * @room: the room of the details window
 * @toasts: where failures are said
 *
 * Returns: (transfer floating): the rows and the Leave button
 */
GtkWidget *
confab_room_access_new (MatrixRoom      *room,
                        AdwToastOverlay *toasts)
{
  const char *join_items[] = { _("Invited people only"), _("Anyone"), _("Other (set elsewhere)"), NULL };
  const char *history_items[] = {
    _("Members, since they joined"), _("Members, since they were invited"),
    _("Members, all of it"), _("Anyone"), _("Other (set elsewhere)"), NULL,
  };
  g_autoptr(MatrixPowerLevels) power = matrix_room_dup_power_levels (room);
  const char *me = matrix_client_get_user_id (matrix_room_get_client (room));
  Access *access = g_rc_box_new0 (Access);
  GtkWidget *box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 12);
  GtkWidget *list = gtk_list_box_new ();
  GtkWidget *expander = adw_expander_row_new ();
  GtkWidget *avatar_row = adw_action_row_new ();
  GtkWidget *leave_row = adw_action_row_new ();
  GtkWidget *leave;
  gboolean avatar_allowed;

  access->room = g_object_ref (room);
  g_set_weak_pointer (&access->toasts, toasts);
  access->cancellable = g_cancellable_new ();
  g_object_set_data_full (G_OBJECT (box), "confab-room-access", access, access_let_go);

  gtk_list_box_set_selection_mode (GTK_LIST_BOX (list), GTK_SELECTION_NONE);
  gtk_widget_add_css_class (list, "boxed-list");
  access->join_rule = combo_row (_("Who Can Join"), NULL, join_items, join_rule_position (room),
                                 me != NULL && matrix_power_levels_can_send_state (power, me, "m.room.join_rules"));
  access->history = combo_row (_("Who Can Read the History"),
                               _("For messages sent from now on"), history_items, history_position (room),
                               me != NULL && matrix_power_levels_can_send_state (power, me, "m.room.history_visibility"));
  g_object_add_weak_pointer (G_OBJECT (access->join_rule), (gpointer *) &access->join_rule);
  g_object_add_weak_pointer (G_OBJECT (access->history), (gpointer *) &access->history);
  g_signal_connect_swapped (access->join_rule, "notify::selected", G_CALLBACK (on_join_rule_selected), access);
  g_signal_connect_swapped (access->history, "notify::selected", G_CALLBACK (on_history_selected), access);
  /* Folded: the member list keeps the window's height. */
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (expander), _("Room Settings"));
  adw_expander_row_set_subtitle (ADW_EXPANDER_ROW (expander),
                                 _("Who can join, who can read, picture, leaving"));
  gtk_list_box_append (GTK_LIST_BOX (list), expander);
  adw_expander_row_add_row (ADW_EXPANDER_ROW (expander), access->join_rule);
  adw_expander_row_add_row (ADW_EXPANDER_ROW (expander), access->history);

  avatar_allowed = me != NULL && matrix_power_levels_can_send_state (power, me, "m.room.avatar");
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (avatar_row), _("Room Picture"));
  adw_action_row_add_suffix (ADW_ACTION_ROW (avatar_row),
                             button (_("C_hange…"), G_CALLBACK (on_change_avatar_clicked), access));
  access->remove_avatar = button (_("_Remove"), G_CALLBACK (on_remove_avatar_clicked), access);
  g_object_add_weak_pointer (G_OBJECT (access->remove_avatar), (gpointer *) &access->remove_avatar);
  gtk_widget_set_visible (access->remove_avatar, matrix_room_get_avatar_url (room) != NULL);
  adw_action_row_add_suffix (ADW_ACTION_ROW (avatar_row), access->remove_avatar);
  gtk_widget_set_sensitive (avatar_row, avatar_allowed);
  adw_expander_row_add_row (ADW_EXPANDER_ROW (expander), avatar_row);

  leave = button (_("_Leave Room…"), G_CALLBACK (on_leave_clicked), access);
  gtk_widget_add_css_class (leave, "destructive-action");
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (leave_row), _("Leave the Room"));
  adw_action_row_add_suffix (ADW_ACTION_ROW (leave_row), leave);
  adw_expander_row_add_row (ADW_EXPANDER_ROW (expander), leave_row);
  gtk_box_append (GTK_BOX (box), list);
  return box;
}
