/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "confab-sessions-page"

#include "config.h"

#include <string.h>
#include <glib/gi18n.h>

#include "confab-sessions-page.h"
#include "confab-verification-dialog.h"

/**
 * ConfabSessionsPage:
 *
 * Where the user sees which sessions (devices) their account is signed in
 * on: this one, with the key fingerprint another client shows for it, and
 * the others, each with when it was last seen, whether this session trusts
 * it, "Verify" and "Sign Out". Signing out another session asks for the
 * password, which the server's user-interactive auth wants; it is handed
 * to the library and not kept.
 */
struct _ConfabSessionsPage
{
  AdwPreferencesPage   parent_instance;

  MatrixClient        *client;
  GCancellable        *cancellable;   /* of the current listing */
  GCancellable        *lifetime;      /* of everything, until disposed */
  GPtrArray           *rows;          /* the rows of the current listing */
  gboolean             loaded;
  gboolean             listed;        /* once shown */

  AdwPreferencesGroup *this_group;
  AdwPreferencesGroup *others_group;
  GtkWidget           *spinner;
};

G_DEFINE_FINAL_TYPE (ConfabSessionsPage, confab_sessions_page, ADW_TYPE_PREFERENCES_PAGE)

char *
confab_sessions_format_fingerprint (const char *ed25519)
{
  GString *text = g_string_new (NULL);

  for (gsize i = 0; ed25519 != NULL && ed25519[i] != '\0'; i++)
    {
      if (i > 0 && i % 4 == 0)
        g_string_append_c (text, ' ');
      g_string_append_c (text, ed25519[i]);
    }
  return g_string_free (text, FALSE);
}

gboolean
confab_sessions_page_is_loaded (ConfabSessionsPage *self)
{
  g_return_val_if_fail (CONFAB_IS_SESSIONS_PAGE (self), FALSE);

  return self->loaded;
}

static GtkWindow *
parent_window (ConfabSessionsPage *self)
{
  GtkRoot *root = gtk_widget_get_root (GTK_WIDGET (self));

  return GTK_IS_WINDOW (root) ? GTK_WINDOW (root) : NULL;
}

static void
toast (ConfabSessionsPage *self,
       const char         *text)
{
  GtkWindow *window = parent_window (self);

  if (ADW_IS_PREFERENCES_WINDOW (window))
    adw_preferences_window_add_toast (ADW_PREFERENCES_WINDOW (window), adw_toast_new (text));
}

/* --- rows ----------------------------------------------------------------- */

static AdwActionRow *
add_row (ConfabSessionsPage  *self,
         AdwPreferencesGroup *group,
         const char          *title,
         const char          *subtitle)
{
  AdwActionRow *row = ADW_ACTION_ROW (adw_action_row_new ());

  /* Names come from the server (any session can set its own). */
  adw_preferences_row_set_use_markup (ADW_PREFERENCES_ROW (row), FALSE);
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), title);
  if (subtitle != NULL)
    adw_action_row_set_subtitle (row, subtitle);
  adw_preferences_group_add (group, GTK_WIDGET (row));
  g_ptr_array_add (self->rows, row);
  return row;
}

/* A value the user may want to copy or compare: selectable, at the end. */
static void
add_value_row (ConfabSessionsPage *self,
               const char         *title,
               const char         *value,
               gboolean            monospace)
{
  AdwActionRow *row = add_row (self, self->this_group, title, NULL);
  GtkWidget *label = gtk_label_new (value);

  gtk_label_set_selectable (GTK_LABEL (label), TRUE);
  gtk_label_set_xalign (GTK_LABEL (label), 1);
  if (monospace)
    {
      /* The fingerprint: in lines of groups, never cut. */
      gtk_widget_add_css_class (label, "monospace");
      gtk_label_set_wrap (GTK_LABEL (label), TRUE);
    }
  else
    gtk_label_set_ellipsize (GTK_LABEL (label), PANGO_ELLIPSIZE_END);
  adw_action_row_add_suffix (row, label);
}

static GtkWidget *
row_button (AdwActionRow *row,
            const char   *label,
            const char   *device_id)
{
  GtkWidget *button = gtk_button_new_with_label (label);

  gtk_widget_set_valign (button, GTK_ALIGN_CENTER);
  g_object_set_data_full (G_OBJECT (button), "device-id", g_strdup (device_id), g_free);
  adw_action_row_add_suffix (row, button);
  return button;
}

static void
clear_rows (ConfabSessionsPage *self)
{
  for (guint i = 0; i < self->rows->len; i++)
    {
      GtkWidget *row = g_ptr_array_index (self->rows, i);
      GtkWidget *group = gtk_widget_get_ancestor (row, ADW_TYPE_PREFERENCES_GROUP);

      if (group != NULL)
        adw_preferences_group_remove (ADW_PREFERENCES_GROUP (group), row);
    }
  g_ptr_array_set_size (self->rows, 0);
}

/* --- verifying ------------------------------------------------------------ */

static void
on_verify_clicked (GtkButton          *button,
                   ConfabSessionsPage *self)
{
  const char *device_id = g_object_get_data (G_OBJECT (button), "device-id");
  ConfabVerificationDialog *dialog = confab_verification_dialog_new (parent_window (self),
                                                                     self->client);

  /* The list shows the new trust when the dialog is done. */
  g_signal_connect_object (dialog, "destroy", G_CALLBACK (confab_sessions_page_reload), self,
                           G_CONNECT_SWAPPED);
  if (device_id != NULL)
    confab_verification_dialog_start (dialog, NULL, device_id);
  else
    confab_verification_dialog_list_sessions (dialog);
  gtk_window_present (GTK_WINDOW (dialog));
}

/* --- signing out ---------------------------------------------------------- */

static void
on_deleted (GObject      *source,
            GAsyncResult *result,
            gpointer      user_data)
{
  g_autoptr(ConfabSessionsPage) self = user_data;
  g_autoptr(GError) error = NULL;
  GtkWidget *dialog;
  const char *why;

  if (matrix_client_delete_device_finish (MATRIX_CLIENT (source), result, &error))
    {
      if (g_cancellable_is_cancelled (self->lifetime))
        return;
      toast (self, _("Session signed out"));
      confab_sessions_page_reload (self);
      return;
    }
  if (g_cancellable_is_cancelled (self->lifetime))
    return;
  if (g_error_matches (error, MATRIX_ERROR, MATRIX_ERROR_FORBIDDEN))
    why = _("The password is not right.");
  else
    why = error->message;
  dialog = adw_message_dialog_new (parent_window (self), _("Could Not Sign Out the Session"), why);
  adw_message_dialog_add_response (ADW_MESSAGE_DIALOG (dialog), "close", _("Close"));
  gtk_window_present (GTK_WINDOW (dialog));
}

static void
on_sign_out_response (AdwMessageDialog   *dialog,
                      const char         *response,
                      ConfabSessionsPage *self)
{
  GtkEditable *entry = GTK_EDITABLE (adw_message_dialog_get_extra_child (dialog));
  const char *device_id = g_object_get_data (G_OBJECT (dialog), "device-id");

  if (g_str_equal (response, "sign-out") && device_id != NULL)
    matrix_client_delete_device_async (self->client, device_id, gtk_editable_get_text (entry),
                                       self->lifetime, on_deleted, g_object_ref (self));
  /* The password goes with the entry. */
  gtk_editable_set_text (entry, "");
}

static void
on_sign_out_clicked (GtkButton          *button,
                     ConfabSessionsPage *self)
{
  const char *device_id = g_object_get_data (G_OBJECT (button), "device-id");
  AdwActionRow *row = ADW_ACTION_ROW (gtk_widget_get_ancestor (GTK_WIDGET (button),
                                                               ADW_TYPE_ACTION_ROW));
  g_autofree char *body = g_strdup_printf (_("“%s” will be signed out. Enter your password "
                                             "to confirm."),
                                           adw_preferences_row_get_title (ADW_PREFERENCES_ROW (row)));
  GtkWidget *dialog = adw_message_dialog_new (parent_window (self), _("Sign Out the Session?"),
                                              body);
  /* A plain entry, hidden: GTK 4.8's GtkPasswordEntry can outlive a
   * destroyed message dialog in a keyboard signal handler. */
  GtkWidget *entry = gtk_entry_new ();

  gtk_entry_set_visibility (GTK_ENTRY (entry), FALSE);
  gtk_entry_set_input_purpose (GTK_ENTRY (entry), GTK_INPUT_PURPOSE_PASSWORD);
  gtk_entry_set_placeholder_text (GTK_ENTRY (entry), _("Password"));
  gtk_entry_set_activates_default (GTK_ENTRY (entry), TRUE);
  g_object_set_data_full (G_OBJECT (dialog), "device-id", g_strdup (device_id), g_free);
  adw_message_dialog_set_extra_child (ADW_MESSAGE_DIALOG (dialog), entry);
  adw_message_dialog_add_responses (ADW_MESSAGE_DIALOG (dialog),
                                    "cancel", _("Cancel"),
                                    "sign-out", _("Sign Out"),
                                    NULL);
  adw_message_dialog_set_response_appearance (ADW_MESSAGE_DIALOG (dialog), "sign-out",
                                              ADW_RESPONSE_DESTRUCTIVE);
  adw_message_dialog_set_default_response (ADW_MESSAGE_DIALOG (dialog), "sign-out");
  g_signal_connect_object (dialog, "response", G_CALLBACK (on_sign_out_response), self, 0);
  gtk_window_present (GTK_WINDOW (dialog));
}

/* --- the listing ---------------------------------------------------------- */

static char *
describe_other (const MatrixDevice *device)
{
  GString *text = g_string_new (device->device_id);

  if (device->last_seen_ts > 0)
    {
      g_autoptr(GDateTime) seen = g_date_time_new_from_unix_local (device->last_seen_ts / 1000);
      /* Translators: a date and time for g_date_time_format(), as in
       * "last seen 14 Nov 2023, 22:13". */
      g_autofree char *when = seen != NULL ? g_date_time_format (seen, _("%e %b %Y, %H:%M")) : NULL;

      if (when != NULL)
        {
          g_strstrip (when);
          g_string_append (text, " · ");
          /* Translators: when the server last saw a session. */
          g_string_append_printf (text, _("last seen %s"), when);
        }
    }
  g_string_append_printf (text, " · %s",
                          device->verified ? _("Verified") :
                          device->ed25519 == NULL ? _("No encryption keys") : _("Not verified"));
  return g_string_free (text, FALSE);
}

static void
on_session_verified (GObject      *source,
                     GAsyncResult *result,
                     gpointer      user_data)
{
  g_autoptr(AdwActionRow) row = user_data;
  g_autoptr(GError) error = NULL;
  gboolean verified = FALSE;
  GtkWidget *page;

  if (!matrix_client_get_session_verified_finish (MATRIX_CLIENT (source), result, &verified,
                                                  &error))
    {
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        adw_action_row_set_subtitle (row, error->message);
      return;
    }
  page = gtk_widget_get_ancestor (GTK_WIDGET (row), CONFAB_TYPE_SESSIONS_PAGE);
  if (page == NULL)
    return;
  adw_action_row_set_subtitle (row, verified ?
                               _("Verified: your other sessions trust this one") :
                               _("Not verified: verify it with another of your sessions"));
  if (!verified)
    g_signal_connect_object (row_button (row, _("Verify"), NULL), "clicked",
                             G_CALLBACK (on_verify_clicked), page, 0);
}

static void
show_this (ConfabSessionsPage *self,
           const MatrixDevice *device)
{
  g_autofree char *fingerprint = confab_sessions_format_fingerprint (device->ed25519);
  AdwActionRow *row;

  add_value_row (self, _("Name"),
                 device->display_name ? device->display_name : device->device_id, FALSE);
  add_value_row (self, _("Session ID"), device->device_id, TRUE);
  add_value_row (self, _("Fingerprint"), *fingerprint ? fingerprint : _("Unknown"), TRUE);
  /* The machine trusts its own device: whether the account's identity
   * vouches for it is another question. */
  row = add_row (self, self->this_group, _("Verification"), _("Checking…"));
  matrix_client_get_session_verified_async (self->client, self->cancellable, on_session_verified,
                                            g_object_ref (row));
}

static void
show_other (ConfabSessionsPage *self,
            const MatrixDevice *device)
{
  g_autofree char *subtitle = describe_other (device);
  AdwActionRow *row = add_row (self, self->others_group,
                               device->display_name ? device->display_name : device->device_id,
                               subtitle);
  GtkWidget *sign_out;

  gtk_widget_set_name (GTK_WIDGET (row), device->device_id);
  if (!device->verified && device->ed25519 != NULL)
    g_signal_connect_object (row_button (row, _("Verify"), device->device_id), "clicked",
                             G_CALLBACK (on_verify_clicked), self, 0);
  sign_out = row_button (row, _("Sign Out"), device->device_id);
  gtk_widget_add_css_class (sign_out, "destructive-action");
  g_signal_connect_object (sign_out, "clicked", G_CALLBACK (on_sign_out_clicked), self, 0);
}

static void
on_devices (GObject      *source,
            GAsyncResult *result,
            gpointer      user_data)
{
  g_autoptr(ConfabSessionsPage) self = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) devices = matrix_client_get_devices_finish (MATRIX_CLIENT (source),
                                                                   result, &error);
  guint n_others = 0;

  if (g_cancellable_is_cancelled (self->lifetime) ||
      g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  g_clear_object (&self->cancellable);
  gtk_widget_set_visible (self->spinner, FALSE);
  clear_rows (self);
  if (devices == NULL)
    {
      g_autofree char *text = g_strdup_printf (_("Could not list the sessions: %s"),
                                               error->message);

      adw_preferences_group_set_description (self->others_group, text);
      self->loaded = TRUE;
      return;
    }
  for (guint i = 0; i < devices->len; i++)
    {
      MatrixDevice *device = g_ptr_array_index (devices, i);

      if (device->is_this_device)
        show_this (self, device);
      else
        {
          show_other (self, device);
          n_others++;
        }
    }
  adw_preferences_group_set_description (self->others_group,
                                         n_others > 0 ?
                                         _("Sign out the sessions you do not recognise") :
                                         _("You are signed in nowhere else"));
  self->loaded = TRUE;
}

void
confab_sessions_page_reload (ConfabSessionsPage *self)
{
  g_return_if_fail (CONFAB_IS_SESSIONS_PAGE (self));

  if (g_cancellable_is_cancelled (self->lifetime))
    return;
  g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  self->cancellable = g_cancellable_new ();
  self->loaded = FALSE;
  gtk_widget_set_visible (self->spinner, TRUE);
  if (!matrix_client_get_encryption_enabled (self->client))
    {
      adw_preferences_group_set_description (self->others_group,
                                             _("This session has no encryption keys"));
      gtk_widget_set_visible (self->spinner, FALSE);
      self->loaded = TRUE;
      return;
    }
  matrix_client_get_devices_async (self->client, NULL, self->cancellable, on_devices,
                                   g_object_ref (self));
}

/* The server is asked when the user looks, not whenever Preferences opens. */
static void
confab_sessions_page_map (GtkWidget *widget)
{
  ConfabSessionsPage *self = CONFAB_SESSIONS_PAGE (widget);

  GTK_WIDGET_CLASS (confab_sessions_page_parent_class)->map (widget);
  if (!self->listed)
    {
      self->listed = TRUE;
      confab_sessions_page_reload (self);
    }
}

static void
confab_sessions_page_dispose (GObject *object)
{
  ConfabSessionsPage *self = CONFAB_SESSIONS_PAGE (object);

  g_cancellable_cancel (self->cancellable);
  g_cancellable_cancel (self->lifetime);

  G_OBJECT_CLASS (confab_sessions_page_parent_class)->dispose (object);
}

static void
confab_sessions_page_finalize (GObject *object)
{
  ConfabSessionsPage *self = CONFAB_SESSIONS_PAGE (object);

  g_clear_object (&self->cancellable);
  g_clear_object (&self->lifetime);
  g_clear_object (&self->client);
  g_ptr_array_unref (self->rows);

  G_OBJECT_CLASS (confab_sessions_page_parent_class)->finalize (object);
}

static void
confab_sessions_page_class_init (ConfabSessionsPageClass *klass)
{
  G_OBJECT_CLASS (klass)->dispose = confab_sessions_page_dispose;
  G_OBJECT_CLASS (klass)->finalize = confab_sessions_page_finalize;
  GTK_WIDGET_CLASS (klass)->map = confab_sessions_page_map;
}

static void
confab_sessions_page_init (ConfabSessionsPage *self)
{
  self->lifetime = g_cancellable_new ();
  self->rows = g_ptr_array_new ();
  adw_preferences_page_set_title (ADW_PREFERENCES_PAGE (self), _("Sessions"));
  adw_preferences_page_set_icon_name (ADW_PREFERENCES_PAGE (self), "computer-symbolic");

  self->this_group = ADW_PREFERENCES_GROUP (adw_preferences_group_new ());
  adw_preferences_group_set_title (self->this_group, _("This Session"));
  adw_preferences_group_set_description (self->this_group,
                                         _("Compare the fingerprint with what another client "
                                           "shows for this session"));
  adw_preferences_page_add (ADW_PREFERENCES_PAGE (self), self->this_group);

  self->others_group = ADW_PREFERENCES_GROUP (adw_preferences_group_new ());
  adw_preferences_group_set_title (self->others_group, _("Other Sessions"));
  self->spinner = gtk_spinner_new ();
  gtk_spinner_set_spinning (GTK_SPINNER (self->spinner), TRUE);
  adw_preferences_group_set_header_suffix (self->others_group, self->spinner);
  adw_preferences_page_add (ADW_PREFERENCES_PAGE (self), self->others_group);
}

/**
 * confab_sessions_page_new:
 * @client: the signed-in client
 *
 * Returns: (transfer floating): the page; it lists the sessions when
 *   first shown
 */
GtkWidget *
confab_sessions_page_new (MatrixClient *client)
{
  ConfabSessionsPage *self;

  g_return_val_if_fail (MATRIX_IS_CLIENT (client), NULL);

  self = g_object_new (CONFAB_TYPE_SESSIONS_PAGE, NULL);
  self->client = g_object_ref (client);
  return GTK_WIDGET (self);
}
