/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "confab-verify-banner"

#include "config.h"

#include <glib/gi18n.h>

#include "confab-verification-dialog.h"
#include "confab-verify-banner.h"

/**
 * ConfabVerifyBanner:
 *
 * The bar under the window's header that says this session is not
 * verified yet, with "Verify", and that announces another session's
 * request to verify ("Verify" / "Ignore"). libadwaita 1.2 has no
 * AdwBanner: a revealer with a styled box stands in for it. It hides once
 * the session is verified; it asks again after encryption is enabled,
 * after cross-signing is set up and after each verification dialog.
 */
struct _ConfabVerifyBanner
{
  GtkWidget           parent_instance;

  ConfabAccount      *account;
  MatrixClient       *client;        /* the account's, while signed in */
  GCancellable       *cancellable;   /* of the current question */
  MatrixVerification *request;       /* an incoming request, unanswered */
  gboolean            unverified;

  GtkRevealer        *revealer;
  GtkLabel           *label;
  GtkWidget          *verify_button;
  GtkWidget          *ignore_button;
};

G_DEFINE_FINAL_TYPE (ConfabVerifyBanner, confab_verify_banner, GTK_TYPE_WIDGET)

const char *
confab_verify_banner_get_mode (ConfabVerifyBanner *self)
{
  g_return_val_if_fail (CONFAB_IS_VERIFY_BANNER (self), NULL);

  if (!gtk_revealer_get_reveal_child (self->revealer))
    return "hidden";
  return self->request != NULL ? "request" : "unverified";
}

static void
update (ConfabVerifyBanner *self)
{
  if (self->request != NULL)
    {
      const char *user = matrix_verification_get_other_user_id (self->request);
      const char *device = matrix_verification_get_other_device_id (self->request);
      g_autofree char *text = NULL;

      if (self->client != NULL && g_strcmp0 (user, matrix_client_get_user_id (self->client)) == 0)
        text = g_strdup_printf (_("Your session %s wants to verify this session"),
                                device != NULL ? device : "");
      else
        text = g_strdup_printf (_("%s wants to verify you"), user != NULL ? user : "");
      gtk_label_set_text (self->label, text);
      gtk_widget_set_visible (self->ignore_button, TRUE);
      gtk_revealer_set_reveal_child (self->revealer, TRUE);
      return;
    }

  gtk_label_set_text (self->label, _("This session is not verified yet: verify it with another "
                                     "of your sessions so they trust each other"));
  gtk_widget_set_visible (self->ignore_button, FALSE);
  gtk_revealer_set_reveal_child (self->revealer, self->unverified);
}

static void
drop_request (ConfabVerifyBanner *self)
{
  if (self->request != NULL)
    g_signal_handlers_disconnect_by_data (self->request, self);
  g_clear_object (&self->request);
}

/* --- whether this session is verified ------------------------------------- */

static void
on_verified (GObject      *source,
             GAsyncResult *result,
             gpointer      user_data)
{
  g_autoptr(ConfabVerifyBanner) self = user_data;
  g_autoptr(GError) error = NULL;
  gboolean verified = FALSE;

  if (!matrix_client_get_session_verified_finish (MATRIX_CLIENT (source), result, &verified,
                                                  &error))
    {
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        g_debug ("Cannot tell whether this session is verified: %s", error->message);
      return;
    }
  if (MATRIX_CLIENT (source) != self->client)
    return;
  self->unverified = !verified;
  update (self);
}

void
confab_verify_banner_refresh (ConfabVerifyBanner *self)
{
  g_return_if_fail (CONFAB_IS_VERIFY_BANNER (self));

  g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  if (self->client == NULL || !matrix_client_get_encryption_enabled (self->client))
    {
      self->unverified = FALSE;
      update (self);
      return;
    }
  self->cancellable = g_cancellable_new ();
  matrix_client_get_session_verified_async (self->client, self->cancellable, on_verified,
                                            g_object_ref (self));
}

/* --- the dialog ----------------------------------------------------------- */

static void
on_verify_clicked (ConfabVerifyBanner *self)
{
  GtkRoot *root = gtk_widget_get_root (GTK_WIDGET (self));
  ConfabVerificationDialog *dialog;

  if (self->client == NULL)
    return;
  dialog = confab_verification_dialog_new (GTK_IS_WINDOW (root) ? GTK_WINDOW (root) : NULL,
                                           self->client);
  g_signal_connect_object (dialog, "destroy", G_CALLBACK (confab_verify_banner_refresh), self,
                           G_CONNECT_SWAPPED);
  if (self->request != NULL)
    {
      g_autoptr(MatrixVerification) request = g_object_ref (self->request);

      drop_request (self);
      confab_verification_dialog_accept (dialog, request);
    }
  else
    confab_verification_dialog_list_sessions (dialog);
  update (self);
  gtk_window_present (GTK_WINDOW (dialog));
}

static void
on_ignore_clicked (ConfabVerifyBanner *self)
{
  if (self->request == NULL)
    return;
  matrix_verification_cancel_async (self->request, NULL, NULL, NULL);
  drop_request (self);
  update (self);
}

/* --- the account ---------------------------------------------------------- */

static void
on_request_state (ConfabVerifyBanner *self)
{
  /* Cancelled (or timed out) before the user answered. */
  if (self->request != NULL &&
      matrix_verification_get_state (self->request) == MATRIX_VERIFICATION_CANCELLED)
    {
      drop_request (self);
      update (self);
    }
}

static void
on_verification_request (ConfabVerifyBanner *self,
                         MatrixVerification *verification)
{
  drop_request (self);
  self->request = g_object_ref (verification);
  g_signal_connect_swapped (verification, "notify::state", G_CALLBACK (on_request_state), self);
  update (self);
}

static void
set_client (ConfabVerifyBanner *self,
            MatrixClient       *client)
{
  if (self->client == client)
    return;
  drop_request (self);
  if (self->client != NULL)
    g_signal_handlers_disconnect_by_data (self->client, self);
  g_set_object (&self->client, client);
  if (client != NULL)
    g_signal_connect_swapped (client, "verification-request",
                              G_CALLBACK (on_verification_request), self);
  confab_verify_banner_refresh (self);
}

static void
on_account_state (ConfabVerifyBanner *self)
{
  set_client (self, confab_account_get_client (self->account));
}

void
confab_verify_banner_set_account (ConfabVerifyBanner *self,
                                  ConfabAccount      *account)
{
  g_return_if_fail (CONFAB_IS_VERIFY_BANNER (self));
  g_return_if_fail (CONFAB_IS_ACCOUNT (account));

  if (self->account != NULL)
    g_signal_handlers_disconnect_by_data (self->account, self);
  g_set_object (&self->account, account);
  g_signal_connect_swapped (account, "notify::state", G_CALLBACK (on_account_state), self);
  g_signal_connect_swapped (account, "encryption-changed",
                            G_CALLBACK (confab_verify_banner_refresh), self);
  on_account_state (self);
}

static void
confab_verify_banner_dispose (GObject *object)
{
  ConfabVerifyBanner *self = CONFAB_VERIFY_BANNER (object);

  g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  set_client (self, NULL);
  if (self->account != NULL)
    g_signal_handlers_disconnect_by_data (self->account, self);
  g_clear_object (&self->account);
  if (self->revealer != NULL)
    {
      gtk_widget_unparent (GTK_WIDGET (self->revealer));
      self->revealer = NULL;
    }

  G_OBJECT_CLASS (confab_verify_banner_parent_class)->dispose (object);
}

static void
confab_verify_banner_class_init (ConfabVerifyBannerClass *klass)
{
  G_OBJECT_CLASS (klass)->dispose = confab_verify_banner_dispose;
  gtk_widget_class_set_layout_manager_type (GTK_WIDGET_CLASS (klass), GTK_TYPE_BIN_LAYOUT);
  gtk_widget_class_set_css_name (GTK_WIDGET_CLASS (klass), "confab-verify-banner");
}

static void
confab_verify_banner_init (ConfabVerifyBanner *self)
{
  GtkWidget *box = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 12);

  self->revealer = GTK_REVEALER (gtk_revealer_new ());
  gtk_revealer_set_transition_type (self->revealer, GTK_REVEALER_TRANSITION_TYPE_SLIDE_DOWN);
  gtk_widget_add_css_class (box, "confab-verify-banner");
  self->label = GTK_LABEL (gtk_label_new (NULL));
  gtk_label_set_wrap (self->label, TRUE);
  gtk_label_set_xalign (self->label, 0);
  gtk_widget_set_hexpand (GTK_WIDGET (self->label), TRUE);
  self->ignore_button = gtk_button_new_with_label (_("Ignore"));
  self->verify_button = gtk_button_new_with_label (_("Verify"));
  gtk_widget_add_css_class (self->verify_button, "suggested-action");
  gtk_widget_set_valign (self->ignore_button, GTK_ALIGN_CENTER);
  gtk_widget_set_valign (self->verify_button, GTK_ALIGN_CENTER);
  g_signal_connect_swapped (self->ignore_button, "clicked", G_CALLBACK (on_ignore_clicked), self);
  g_signal_connect_swapped (self->verify_button, "clicked", G_CALLBACK (on_verify_clicked), self);
  gtk_box_append (GTK_BOX (box), GTK_WIDGET (self->label));
  gtk_box_append (GTK_BOX (box), self->ignore_button);
  gtk_box_append (GTK_BOX (box), self->verify_button);
  gtk_revealer_set_child (self->revealer, box);
  gtk_widget_set_parent (GTK_WIDGET (self->revealer), GTK_WIDGET (self));
  update (self);
}
