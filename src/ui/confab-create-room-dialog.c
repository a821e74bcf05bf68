/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "confab-create-room-dialog"

#include "config.h"

#include <glib/gi18n.h>
#include <string.h>

#include "confab-create-room-dialog.h"

/* How long the address must stay unchanged before it is looked up. */
#define ALIAS_CHECK_DELAY_MS 400

typedef enum {
  ALIAS_NONE,           /* no address asked for */
  ALIAS_INVALID,        /* not a valid localpart */
  ALIAS_CHECKING,
  ALIAS_FREE,
  ALIAS_TAKEN,
  ALIAS_UNCHECKED,      /* the lookup failed: the server decides */
} AliasState;

struct _ConfabCreateRoomDialog
{
  AdwWindow       parent_instance;

  MatrixClient   *client;
  GtkEditable    *name;
  GtkEditable    *topic;
  GtkEditable    *address;
  GtkLabel       *address_status;
  GtkCheckButton *public_check;
  GtkCheckButton *private_check;
  AdwActionRow   *encrypted_row;
  GtkSwitch      *encrypted;
  GtkEditable    *invite;
  GtkWidget      *create_button;
  GtkLabel       *error;

  GCancellable   *alias_cancellable;
  GCancellable   *create_cancellable;
  guint           alias_source;
  AliasState      alias_state;
  gboolean        creating;
};

G_DEFINE_FINAL_TYPE (ConfabCreateRoomDialog, confab_create_room_dialog, ADW_TYPE_WINDOW)

static char *
stripped_text (GtkEditable *editable)
{
  return g_strstrip (g_strdup (gtk_editable_get_text (editable)));
}

/* The invitees typed, separated by commas or spaces; NULL when one of them
 * is not a user id. */
static GStrv
parse_invites (ConfabCreateRoomDialog *self)
{
  g_auto(GStrv) parts = g_strsplit_set (gtk_editable_get_text (self->invite), ", \t\n", -1);
  g_autoptr(GStrvBuilder) builder = g_strv_builder_new ();

  for (guint i = 0; parts[i] != NULL; i++)
    {
      if (*parts[i] == '\0')
        continue;
      if (!matrix_user_id_is_valid (parts[i]))
        return NULL;
      g_strv_builder_add (builder, parts[i]);
    }
  return g_strv_builder_end (builder);
}

static gboolean
is_public (ConfabCreateRoomDialog *self)
{
  return gtk_check_button_get_active (self->public_check);
}

static void
update_create_button (ConfabCreateRoomDialog *self)
{
  g_autofree char *name = stripped_text (self->name);
  g_auto(GStrv) invites = parse_invites (self);
  gboolean alias_ok = self->alias_state == ALIAS_FREE || self->alias_state == ALIAS_UNCHECKED ||
                      (self->alias_state == ALIAS_NONE && !is_public (self));

  if (invites == NULL)
    gtk_widget_add_css_class (GTK_WIDGET (self->invite), "error");
  else
    gtk_widget_remove_css_class (GTK_WIDGET (self->invite), "error");
  gtk_widget_set_sensitive (self->create_button,
                            !self->creating && *name != '\0' && invites != NULL && alias_ok);
}

static void
set_alias_state (ConfabCreateRoomDialog *self,
                 AliasState              state,
                 const char             *message)
{
  self->alias_state = state;
  gtk_label_set_text (self->address_status, message != NULL ? message : "");
  gtk_widget_set_visible (GTK_WIDGET (self->address_status), message != NULL);
  gtk_widget_remove_css_class (GTK_WIDGET (self->address_status), "error");
  gtk_widget_remove_css_class (GTK_WIDGET (self->address_status), "success");
  if (state == ALIAS_INVALID || state == ALIAS_TAKEN)
    gtk_widget_add_css_class (GTK_WIDGET (self->address_status), "error");
  else if (state == ALIAS_FREE)
    gtk_widget_add_css_class (GTK_WIDGET (self->address_status), "success");
  update_create_button (self);
}

static void
on_alias_resolved (GObject      *source,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  g_autoptr(ConfabCreateRoomDialog) self = user_data;
  g_autoptr(GError) error = NULL;
  g_autofree char *room_id = NULL;
  g_autofree char *message = NULL;

  room_id = matrix_client_resolve_room_alias_finish (MATRIX_CLIENT (source), result, &error);
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  if (room_id != NULL)
    set_alias_state (self, ALIAS_TAKEN, _("This address is taken"));
  else if (g_error_matches (error, MATRIX_ERROR, MATRIX_ERROR_NOT_FOUND))
    set_alias_state (self, ALIAS_FREE, _("This address is available"));
  else
    {
      message = g_strdup_printf (_("Could not check the address: %s"), error->message);
      set_alias_state (self, ALIAS_UNCHECKED, message);
    }
}

static gboolean
check_alias (gpointer data)
{
  ConfabCreateRoomDialog *self = data;
  g_autofree char *localpart = stripped_text (self->address);
  g_autofree char *alias = matrix_client_dup_room_alias (self->client, localpart);

  self->alias_source = 0;
  if (alias == NULL)
    {
      set_alias_state (self, ALIAS_UNCHECKED, NULL);
      return G_SOURCE_REMOVE;
    }
  self->alias_cancellable = g_cancellable_new ();
  matrix_client_resolve_room_alias_async (self->client, alias, self->alias_cancellable,
                                          on_alias_resolved, g_object_ref (self));
  return G_SOURCE_REMOVE;
}

static void
on_address_changed (ConfabCreateRoomDialog *self)
{
  g_autofree char *localpart = stripped_text (self->address);

  g_clear_handle_id (&self->alias_source, g_source_remove);
  g_cancellable_cancel (self->alias_cancellable);
  g_clear_object (&self->alias_cancellable);

  if (*localpart == '#')
    memmove (localpart, localpart + 1, strlen (localpart));
  if (*localpart == '\0')
    set_alias_state (self, ALIAS_NONE,
                     is_public (self) ? _("A public room needs an address") : NULL);
  else if (!matrix_room_alias_localpart_is_valid (localpart))
    set_alias_state (self, ALIAS_INVALID, _("Use only letters, digits and . _ = - / +"));
  else
    {
      set_alias_state (self, ALIAS_CHECKING, _("Checking…"));
      self->alias_source = g_timeout_add (ALIAS_CHECK_DELAY_MS, check_alias, self);
    }
}

/* As Element does: a private room is encrypted unless the user says no, a
 * public one is not (anyone may join and read it). */
static void
on_visibility_toggled (ConfabCreateRoomDialog *self)
{
  if (gtk_widget_get_sensitive (GTK_WIDGET (self->encrypted)))
    gtk_switch_set_active (self->encrypted, !is_public (self));
  on_address_changed (self);
}

static void
on_created (GObject      *source,
            GAsyncResult *result,
            gpointer      user_data)
{
  g_autoptr(ConfabCreateRoomDialog) self = user_data;
  g_autoptr(GError) error = NULL;
  g_autofree char *room_id = NULL;
  GtkWindow *parent;

  room_id = matrix_client_create_room_with_options_finish (MATRIX_CLIENT (source), result, &error);
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  self->creating = FALSE;
  if (room_id == NULL)
    {
      g_autofree char *message = NULL;

      if (g_error_matches (error, MATRIX_ERROR, MATRIX_ERROR_ROOM_IN_USE))
        {
          set_alias_state (self, ALIAS_TAKEN, _("This address is taken"));
          message = g_strdup (_("Someone took the address in the meantime: choose another one."));
        }
      else
        message = g_strdup_printf (_("Could not create the room: %s"), error->message);
      gtk_label_set_text (self->error, message);
      gtk_widget_set_visible (GTK_WIDGET (self->error), TRUE);
      update_create_button (self);
      return;
    }

  parent = gtk_window_get_transient_for (GTK_WINDOW (self));
  if (parent != NULL)
    gtk_widget_activate_action (GTK_WIDGET (parent), "win.open-room", "s", room_id);
  gtk_window_close (GTK_WINDOW (self));
}

static void
on_create_clicked (ConfabCreateRoomDialog *self)
{
  g_autoptr(MatrixRoomCreateOptions) options = matrix_room_create_options_new ();
  g_auto(GStrv) invites = parse_invites (self);
  g_autofree char *name = stripped_text (self->name);
  g_autofree char *topic = stripped_text (self->topic);
  g_autofree char *address = stripped_text (self->address);

  if (!gtk_widget_get_sensitive (self->create_button) || invites == NULL)
    return;

  matrix_room_create_options_set_name (options, name);
  matrix_room_create_options_set_topic (options, topic);
  matrix_room_create_options_set_alias_localpart (options, address);
  matrix_room_create_options_set_public (options, is_public (self));
  matrix_room_create_options_set_encrypted (options, gtk_switch_get_active (self->encrypted));
  for (guint i = 0; invites[i] != NULL; i++)
    matrix_room_create_options_add_invite (options, invites[i]);

  self->creating = TRUE;
  gtk_widget_set_visible (GTK_WIDGET (self->error), FALSE);
  update_create_button (self);
  g_clear_object (&self->create_cancellable);
  self->create_cancellable = g_cancellable_new ();
  matrix_client_create_room_with_options_async (self->client, options, self->create_cancellable,
                                                on_created, g_object_ref (self));
}

static gboolean
on_close_request (GtkWindow *window)
{
  /* GTK 4.8 warns when a window goes with the focus in an entry. */
  gtk_window_set_focus (window, NULL);
  return FALSE;
}

static void
confab_create_room_dialog_dispose (GObject *object)
{
  ConfabCreateRoomDialog *self = CONFAB_CREATE_ROOM_DIALOG (object);

  g_clear_handle_id (&self->alias_source, g_source_remove);
  g_cancellable_cancel (self->alias_cancellable);
  g_clear_object (&self->alias_cancellable);
  g_cancellable_cancel (self->create_cancellable);
  g_clear_object (&self->create_cancellable);
  g_clear_object (&self->client);

  G_OBJECT_CLASS (confab_create_room_dialog_parent_class)->dispose (object);
}

static void
confab_create_room_dialog_class_init (ConfabCreateRoomDialogClass *klass)
{
  G_OBJECT_CLASS (klass)->dispose = confab_create_room_dialog_dispose;
  gtk_widget_class_add_binding_action (GTK_WIDGET_CLASS (klass), GDK_KEY_Escape, 0, "window.close", NULL);
}

static GtkEditable *
add_entry_row (AdwPreferencesGroup *group,
               const char          *title,
               const char          *name)
{
  GtkWidget *row = adw_entry_row_new ();

  adw_preferences_row_set_use_markup (ADW_PREFERENCES_ROW (row), FALSE);
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), title);
  gtk_widget_set_name (row, name);
  adw_preferences_group_add (group, row);
  return GTK_EDITABLE (row);
}

static GtkCheckButton *
add_choice_row (AdwPreferencesGroup *group,
                const char          *title,
                const char          *subtitle,
                GtkCheckButton      *group_with)
{
  GtkWidget *row = adw_action_row_new ();
  GtkWidget *check = gtk_check_button_new ();

  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), title);
  adw_action_row_set_subtitle (ADW_ACTION_ROW (row), subtitle);
  gtk_widget_set_valign (check, GTK_ALIGN_CENTER);
  if (group_with != NULL)
    gtk_check_button_set_group (GTK_CHECK_BUTTON (check), group_with);
  adw_action_row_add_prefix (ADW_ACTION_ROW (row), check);
  adw_action_row_set_activatable_widget (ADW_ACTION_ROW (row), check);
  adw_preferences_group_add (group, row);
  return GTK_CHECK_BUTTON (check);
}

static void
confab_create_room_dialog_init (ConfabCreateRoomDialog *self)
{
  GtkWidget *box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 0);
  GtkWidget *header = adw_header_bar_new ();
  GtkWidget *cancel = gtk_button_new_with_mnemonic (_("_Cancel"));
  GtkWidget *page = adw_preferences_page_new ();
  AdwPreferencesGroup *about = ADW_PREFERENCES_GROUP (adw_preferences_group_new ());
  AdwPreferencesGroup *access = ADW_PREFERENCES_GROUP (adw_preferences_group_new ());
  AdwPreferencesGroup *address = ADW_PREFERENCES_GROUP (adw_preferences_group_new ());
  AdwPreferencesGroup *people = ADW_PREFERENCES_GROUP (adw_preferences_group_new ());

  gtk_window_set_modal (GTK_WINDOW (self), TRUE);
  gtk_window_set_default_size (GTK_WINDOW (self), 480, 760);
  gtk_window_set_title (GTK_WINDOW (self), _("New Room"));
  g_signal_connect (self, "close-request", G_CALLBACK (on_close_request), NULL);

  adw_header_bar_set_show_end_title_buttons (ADW_HEADER_BAR (header), FALSE);
  adw_header_bar_set_show_start_title_buttons (ADW_HEADER_BAR (header), FALSE);
  gtk_actionable_set_action_name (GTK_ACTIONABLE (cancel), "window.close");
  adw_header_bar_pack_start (ADW_HEADER_BAR (header), cancel);
  self->create_button = gtk_button_new_with_mnemonic (_("C_reate"));
  gtk_widget_set_name (self->create_button, "create");
  gtk_widget_add_css_class (self->create_button, "suggested-action");
  gtk_widget_set_sensitive (self->create_button, FALSE);
  g_signal_connect_swapped (self->create_button, "clicked", G_CALLBACK (on_create_clicked), self);
  adw_header_bar_pack_end (ADW_HEADER_BAR (header), self->create_button);
  gtk_box_append (GTK_BOX (box), header);

  self->error = GTK_LABEL (gtk_label_new (NULL));
  gtk_widget_set_name (GTK_WIDGET (self->error), "error");
  gtk_label_set_wrap (self->error, TRUE);
  gtk_widget_add_css_class (GTK_WIDGET (self->error), "error");
  gtk_widget_set_margin_top (GTK_WIDGET (self->error), 12);
  gtk_widget_set_visible (GTK_WIDGET (self->error), FALSE);
  gtk_box_append (GTK_BOX (box), GTK_WIDGET (self->error));

  self->name = add_entry_row (about, _("Name"), "name");
  self->topic = add_entry_row (about, _("Topic (optional)"), "topic");
  g_signal_connect_swapped (self->name, "changed", G_CALLBACK (update_create_button), self);
  g_signal_connect_swapped (self->name, "entry-activated", G_CALLBACK (on_create_clicked), self);
  adw_preferences_page_add (ADW_PREFERENCES_PAGE (page), about);

  adw_preferences_group_set_title (access, _("Who Can Join"));
  self->private_check = add_choice_row (access, _("Private"),
                                        _("Only people you invite can join"), NULL);
  self->public_check = add_choice_row (access, _("Public"),
                                       _("Anyone can find the room in the directory and join"),
                                       self->private_check);
  gtk_widget_set_name (GTK_WIDGET (self->public_check), "public");
  gtk_widget_set_name (GTK_WIDGET (self->private_check), "private");
  gtk_check_button_set_active (self->private_check, TRUE);
  g_signal_connect_swapped (self->public_check, "toggled", G_CALLBACK (on_visibility_toggled), self);

  self->encrypted_row = ADW_ACTION_ROW (adw_action_row_new ());
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (self->encrypted_row), _("End-to-End Encryption"));
  self->encrypted = GTK_SWITCH (gtk_switch_new ());
  gtk_widget_set_name (GTK_WIDGET (self->encrypted), "encrypted");
  gtk_widget_set_valign (GTK_WIDGET (self->encrypted), GTK_ALIGN_CENTER);
  adw_action_row_add_suffix (self->encrypted_row, GTK_WIDGET (self->encrypted));
  adw_action_row_set_activatable_widget (self->encrypted_row, GTK_WIDGET (self->encrypted));
  adw_preferences_group_add (access, GTK_WIDGET (self->encrypted_row));
  adw_preferences_page_add (ADW_PREFERENCES_PAGE (page), access);

  adw_preferences_group_set_title (address, _("Address"));
  self->address = add_entry_row (address, _("Address (optional for a private room)"), "address");
  g_signal_connect_swapped (self->address, "changed", G_CALLBACK (on_address_changed), self);
  self->address_status = GTK_LABEL (gtk_label_new (NULL));
  gtk_widget_set_name (GTK_WIDGET (self->address_status), "address-status");
  gtk_label_set_xalign (self->address_status, 0);
  gtk_label_set_wrap (self->address_status, TRUE);
  gtk_widget_set_margin_top (GTK_WIDGET (self->address_status), 6);
  gtk_widget_set_visible (GTK_WIDGET (self->address_status), FALSE);
  adw_preferences_group_add (address, GTK_WIDGET (self->address_status));
  adw_preferences_page_add (ADW_PREFERENCES_PAGE (page), address);

  adw_preferences_group_set_title (people, _("Invite"));
  adw_preferences_group_set_description (people, _("Matrix IDs such as @name:example.org, "
                                                   "separated by commas"));
  self->invite = add_entry_row (people, _("People to invite"), "invite");
  g_signal_connect_swapped (self->invite, "changed", G_CALLBACK (update_create_button), self);
  adw_preferences_page_add (ADW_PREFERENCES_PAGE (page), people);

  gtk_widget_set_vexpand (page, TRUE);
  gtk_box_append (GTK_BOX (box), page);
  adw_window_set_content (ADW_WINDOW (self), box);
}

GtkWidget *
confab_create_room_dialog_new (GtkWindow    *parent,
                               MatrixClient *client)
{
  ConfabCreateRoomDialog *self;
  const char *user_id;
  const char *server;

  g_return_val_if_fail (MATRIX_IS_CLIENT (client), NULL);

  self = g_object_new (CONFAB_TYPE_CREATE_ROOM_DIALOG, "transient-for", parent, NULL);
  self->client = g_object_ref (client);
  if (parent != NULL)
    g_signal_connect_object (parent, "destroy", G_CALLBACK (gtk_window_destroy), self, G_CONNECT_SWAPPED);

  /* Where the address lives: the user's own server. */
  user_id = matrix_client_get_user_id (client);
  server = user_id != NULL ? strchr (user_id, ':') : NULL;
  if (server != NULL)
    {
      GtkWidget *suffix = gtk_label_new (server);

      gtk_widget_add_css_class (suffix, "dim-label");
      adw_entry_row_add_suffix (ADW_ENTRY_ROW (self->address), suffix);
    }

  if (matrix_client_get_encryption_enabled (client))
    {
      gtk_switch_set_active (self->encrypted, TRUE);
      adw_action_row_set_subtitle (self->encrypted_row,
                                   _("Only the people in the room can read its messages. "
                                     "It cannot be turned off later."));
    }
  else
    {
      gtk_switch_set_active (self->encrypted, FALSE);
      gtk_widget_set_sensitive (GTK_WIDGET (self->encrypted), FALSE);
      adw_action_row_set_subtitle (self->encrypted_row,
                                   _("This session cannot encrypt messages"));
    }
  return GTK_WIDGET (self);
}
