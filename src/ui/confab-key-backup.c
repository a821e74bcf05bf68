/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "confab-key-backup"

#include "config.h"

#include <string.h>
#include <glib/gi18n.h>

#include "confab-key-backup.h"

/* The key backup, as the user sees it: the recovery key shown once when
 * the backup is made, a prompt for it when the server has a backup this
 * session cannot read, and the Encryption group of Preferences. */

static GtkWindow *
active_window (void)
{
  GApplication *app = g_application_get_default ();

  return GTK_IS_APPLICATION (app) ?
         gtk_application_get_active_window (GTK_APPLICATION (app)) : NULL;
}

/* --- the recovery key, shown once ----------------------------------------- */

static void
on_copy_clicked (GtkButton *button,
                 GtkLabel  *label)
{
  gdk_clipboard_set_text (gtk_widget_get_clipboard (GTK_WIDGET (button)),
                          gtk_label_get_text (label));
  gtk_button_set_label (button, _("Copied"));
}

/**
 * confab_key_backup_show_recovery_key:
 * @parent: (nullable): the window it goes over
 * @recovery_key: the key to show
 *
 * Shows the recovery key of a new backup, once: monospace, with a copy
 * button; the dialog goes away with "I Have Saved It".
 *
 * Returns: (transfer none): the dialog
 */
GtkWidget *
confab_key_backup_show_recovery_key (GtkWindow  *parent,
                                     const char *recovery_key)
{
  GtkWidget *dialog = adw_message_dialog_new (parent, _("Save Your Recovery Key"),
                                              _("Your encrypted messages are backed up on your "
                                                "server. On a new device, this key is the only way "
                                                "to read them. Keep it somewhere safe: it is not "
                                                "shown again."));
  GtkWidget *box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 12);
  GtkWidget *label = gtk_label_new (recovery_key);
  GtkWidget *copy = gtk_button_new_with_label (_("Copy"));

  gtk_label_set_selectable (GTK_LABEL (label), TRUE);
  gtk_label_set_wrap (GTK_LABEL (label), TRUE);
  gtk_widget_add_css_class (label, "monospace");
  gtk_widget_set_halign (copy, GTK_ALIGN_CENTER);
  g_signal_connect (copy, "clicked", G_CALLBACK (on_copy_clicked), label);
  gtk_box_append (GTK_BOX (box), label);
  gtk_box_append (GTK_BOX (box), copy);
  adw_message_dialog_set_extra_child (ADW_MESSAGE_DIALOG (dialog), box);
  adw_message_dialog_add_response (ADW_MESSAGE_DIALOG (dialog), "saved", _("I Have Saved It"));
  adw_message_dialog_set_response_appearance (ADW_MESSAGE_DIALOG (dialog), "saved",
                                              ADW_RESPONSE_SUGGESTED);
  gtk_window_present (GTK_WINDOW (dialog));
  return dialog;
}

/* --- restoring ------------------------------------------------------------ */

static void
on_restored (GObject      *source,
             GAsyncResult *result,
             gpointer      user_data)
{
  g_autoptr(GError) error = NULL;
  guint n = 0;
  GtkWidget *dialog;

  if (!matrix_client_restore_from_recovery_key_finish (MATRIX_CLIENT (source), result, &n, &error))
    {
      const char *why;

      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        return;
      if (g_error_matches (error, MATRIX_KEY_BACKUP_ERROR, MATRIX_KEY_BACKUP_ERROR_INVALID_KEY))
        why = _("This is not a recovery key. Check it for typing mistakes.");
      else if (g_error_matches (error, MATRIX_KEY_BACKUP_ERROR, MATRIX_KEY_BACKUP_ERROR_WRONG_KEY))
        why = _("This recovery key does not open the backup on your server.");
      else if (g_error_matches (error, MATRIX_KEY_BACKUP_ERROR, MATRIX_KEY_BACKUP_ERROR_NO_BACKUP))
        why = _("Your server has no key backup.");
      else
        why = error->message;
      dialog = adw_message_dialog_new (active_window (), _("Could Not Restore Your History"), why);
    }
  else
    {
      g_autofree char *text = g_strdup_printf (ngettext ("%u key restored.",
                                                         "%u keys restored.", n), n);

      dialog = adw_message_dialog_new (active_window (), _("Encrypted History Restored"), text);
    }
  adw_message_dialog_add_response (ADW_MESSAGE_DIALOG (dialog), "close", _("Close"));
  gtk_window_present (GTK_WINDOW (dialog));
}

static void
on_restore_response (AdwMessageDialog *dialog,
                     const char       *response,
                     gpointer          user_data)
{
  MatrixClient *client = g_object_get_data (G_OBJECT (dialog), "client");
  /* Asked from the dialog, not kept: a dialog closed as the window goes
   * answers after its entry is gone. */
  GtkWidget *entry = adw_message_dialog_get_extra_child (dialog);
  const char *text;

  if (!GTK_IS_EDITABLE (entry))
    return;
  text = gtk_editable_get_text (GTK_EDITABLE (entry));
  if (g_str_equal (response, "restore") && client != NULL && *text != '\0')
    matrix_client_restore_from_recovery_key_async (client, text, NULL, on_restored, NULL);
  /* The typed key goes with the entry. */
  gtk_editable_set_text (GTK_EDITABLE (entry), "");
}

static void
on_peek (GtkEntry             *entry,
         GtkEntryIconPosition  position,
         gpointer              user_data)
{
  gboolean shown = !gtk_entry_get_visibility (entry);

  gtk_entry_set_visibility (entry, shown);
  gtk_entry_set_icon_from_icon_name (entry, GTK_ENTRY_ICON_SECONDARY,
                                     shown ? "view-conceal-symbolic" : "view-reveal-symbolic");
  gtk_entry_set_icon_tooltip_text (entry, GTK_ENTRY_ICON_SECONDARY,
                                   shown ? _("Hide Text") : _("Show Text"));
}

/**
 * confab_key_backup_ask_recovery_key:
 * @parent: (nullable): the window it goes over
 * @client: the signed-in client
 *
 * Asks for the recovery key, typed or pasted, and restores the encrypted
 * history with it.
 *
 * Returns: (transfer none): the dialog
 */
GtkWidget *
confab_key_backup_ask_recovery_key (GtkWindow    *parent,
                                    MatrixClient *client)
{
  GtkWidget *dialog = adw_message_dialog_new (parent, _("Enter Your Recovery Key"),
                                              _("Enter your recovery key to read your encrypted "
                                                "history"));
  /* A plain entry, hidden, with its own peek icon: GTK 4.8's
   * GtkPasswordEntry keeps a handler on the keyboard's caps-lock state
   * that can outlive it when its dialog goes with the window. */
  GtkWidget *entry = gtk_entry_new ();

  gtk_entry_set_visibility (GTK_ENTRY (entry), FALSE);
  gtk_entry_set_input_purpose (GTK_ENTRY (entry), GTK_INPUT_PURPOSE_PASSWORD);
  gtk_entry_set_icon_from_icon_name (GTK_ENTRY (entry), GTK_ENTRY_ICON_SECONDARY, "view-reveal-symbolic");
  gtk_entry_set_icon_tooltip_text (GTK_ENTRY (entry), GTK_ENTRY_ICON_SECONDARY, _("Show Text"));
  g_signal_connect (entry, "icon-press", G_CALLBACK (on_peek), NULL);
  gtk_widget_add_css_class (entry, "monospace");
  g_object_set_data_full (G_OBJECT (dialog), "client", g_object_ref (client), g_object_unref);
  adw_message_dialog_set_extra_child (ADW_MESSAGE_DIALOG (dialog), entry);
  adw_message_dialog_add_responses (ADW_MESSAGE_DIALOG (dialog),
                                    "cancel", _("Later"),
                                    "restore", _("Restore"),
                                    NULL);
  adw_message_dialog_set_response_appearance (ADW_MESSAGE_DIALOG (dialog), "restore",
                                              ADW_RESPONSE_SUGGESTED);
  adw_message_dialog_set_default_response (ADW_MESSAGE_DIALOG (dialog), "restore");
  g_signal_connect (dialog, "response", G_CALLBACK (on_restore_response), NULL);
  gtk_window_present (GTK_WINDOW (dialog));
  return dialog;
}

/* --- after encryption is enabled ------------------------------------------ */

static void
on_setup (GObject      *source,
          GAsyncResult *result,
          gpointer      user_data)
{
  MatrixClient *client = MATRIX_CLIENT (source);
  g_autoptr(GError) error = NULL;
  g_autofree char *recovery_key = NULL;

  if (!matrix_client_setup_key_backup_finish (client, result, &recovery_key, &error))
    {
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        g_debug ("No key backup: %s", error->message);
      return;
    }
  if (recovery_key != NULL)
    {
      confab_key_backup_show_recovery_key (active_window (), recovery_key);
      memset (recovery_key, 0, strlen (recovery_key));
    }
  else if (matrix_client_get_key_backup_state (client) == MATRIX_KEY_BACKUP_STATE_LOCKED)
    confab_key_backup_ask_recovery_key (active_window (), client);
}

/**
 * confab_key_backup_start:
 * @client: a client whose encryption was just enabled
 * @cancellable: (nullable): a #GCancellable
 *
 * Turns the key backup on (it is on by default): a new backup shows its
 * recovery key once; a backup this session cannot read asks for it.
 */
void
confab_key_backup_start (MatrixClient *client,
                         GCancellable *cancellable)
{
  g_return_if_fail (MATRIX_IS_CLIENT (client));

  matrix_client_setup_key_backup_async (client, cancellable, on_setup, NULL);
}

/* --- Preferences ---------------------------------------------------------- */

static const char *
state_text (MatrixKeyBackupState state)
{
  switch (state)
    {
    case MATRIX_KEY_BACKUP_STATE_ENABLED:
      return _("On: your message keys are backed up on your server");
    case MATRIX_KEY_BACKUP_STATE_LOCKED:
      return _("Off: enter your recovery key to read your encrypted history");
    case MATRIX_KEY_BACKUP_STATE_NONE:
      return _("Off: your server has no key backup");
    case MATRIX_KEY_BACKUP_STATE_UNKNOWN:
    default:
      return _("Off");
    }
}

static void
on_restore_clicked (GtkButton    *button,
                    MatrixClient *client)
{
  confab_key_backup_ask_recovery_key (GTK_WINDOW (gtk_widget_get_root (GTK_WIDGET (button))),
                                      client);
}

/**
 * confab_key_backup_add_preferences:
 * @window: the preferences window
 * @client: the signed-in client
 *
 * Adds the Encryption page: the key backup's state, and "Restore from
 * Recovery Key".
 */
void
confab_key_backup_add_preferences (AdwPreferencesWindow *window,
                                   MatrixClient         *client)
{
  AdwPreferencesPage *page = ADW_PREFERENCES_PAGE (adw_preferences_page_new ());
  AdwPreferencesGroup *group = ADW_PREFERENCES_GROUP (adw_preferences_group_new ());
  AdwActionRow *state_row = ADW_ACTION_ROW (adw_action_row_new ());
  AdwActionRow *restore_row = ADW_ACTION_ROW (adw_action_row_new ());
  GtkWidget *button = gtk_button_new_with_label (_("Restore"));

  g_return_if_fail (MATRIX_IS_CLIENT (client));

  adw_preferences_page_set_title (page, _("Encryption"));
  adw_preferences_page_set_icon_name (page, "channel-secure-symbolic");
  adw_preferences_group_set_title (group, _("Encryption"));
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (state_row), _("Key Backup"));
  adw_action_row_set_subtitle (state_row,
                               state_text (matrix_client_get_key_backup_state (client)));
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (restore_row),
                                 _("Restore from Recovery Key"));
  adw_action_row_set_subtitle (restore_row,
                               _("Read the encrypted history of your other sessions"));
  gtk_widget_set_valign (button, GTK_ALIGN_CENTER);
  g_signal_connect_object (button, "clicked", G_CALLBACK (on_restore_clicked), client, 0);
  adw_action_row_add_suffix (restore_row, button);
  gtk_widget_set_sensitive (GTK_WIDGET (restore_row),
                            matrix_client_get_encryption_enabled (client));
  adw_preferences_group_add (group, GTK_WIDGET (state_row));
  adw_preferences_group_add (group, GTK_WIDGET (restore_row));
  adw_preferences_page_add (page, group);
  adw_preferences_window_add (window, page);
}
