/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "confab-verification-dialog"

#include "config.h"

#include <glib/gi18n.h>

#include "confab-verification-dialog.h"

/**
 * ConfabVerificationDialog:
 *
 * An emoji (SAS) verification, as the user goes through it: choosing one
 * of their other sessions (or accepting a request from one), comparing the
 * seven emoji, and the end — verified, or cancelled and why. It follows the
 * #MatrixVerification's state; closing it before the end cancels the
 * verification, so the other side is not left waiting.
 */
struct _ConfabVerificationDialog
{
  AdwWindow           parent_instance;

  MatrixClient       *client;
  GCancellable       *cancellable;
  MatrixVerification *verification;
  char               *other_name;   /* the other session, as the user knows it */

  GtkStack           *stack;
  GtkListBox         *device_list;
  GtkWidget          *devices_spinner;
  GtkLabel           *devices_empty;
  AdwStatusPage      *waiting_page;
  GtkFlowBox         *emoji_box;
  GtkWidget          *match_buttons;
  AdwStatusPage      *done_page;
  AdwStatusPage      *cancelled_page;
  AdwStatusPage      *error_page;
};

G_DEFINE_FINAL_TYPE (ConfabVerificationDialog, confab_verification_dialog, ADW_TYPE_WINDOW)

static void follow (ConfabVerificationDialog *self, MatrixVerification *verification);

const char *
confab_verification_dialog_get_page (ConfabVerificationDialog *self)
{
  g_return_val_if_fail (CONFAB_IS_VERIFICATION_DIALOG (self), NULL);

  return gtk_stack_get_visible_child_name (self->stack);
}

static void
show_error (ConfabVerificationDialog *self,
            const GError             *error)
{
  adw_status_page_set_description (self->error_page, error->message);
  gtk_stack_set_visible_child_name (self->stack, "error");
}

static const char *
other_name (ConfabVerificationDialog *self)
{
  if (self->other_name != NULL)
    return self->other_name;
  if (self->verification != NULL && matrix_verification_get_other_device_id (self->verification))
    return matrix_verification_get_other_device_id (self->verification);
  return _("the other session");
}

static void
show_waiting (ConfabVerificationDialog *self,
              const char               *text)
{
  adw_status_page_set_description (self->waiting_page, text);
  gtk_stack_set_visible_child_name (self->stack, "waiting");
}

/**
 * confab_verification_dialog_show_emoji:
 * @self: a #ConfabVerificationDialog
 * @emoji: the emoji, in order
 * @descriptions: their names, as the library gives them
 *
 * Shows the emoji to compare with the other session, each above its name,
 * with "They Match" and "They Don't Match".
 */
void
confab_verification_dialog_show_emoji (ConfabVerificationDialog *self,
                                       const char * const       *emoji,
                                       const char * const       *descriptions)
{
  GtkWidget *child;

  g_return_if_fail (CONFAB_IS_VERIFICATION_DIALOG (self));

  while ((child = gtk_widget_get_first_child (GTK_WIDGET (self->emoji_box))) != NULL)
    gtk_flow_box_remove (self->emoji_box, child);
  for (guint i = 0; emoji != NULL && emoji[i] != NULL; i++)
    {
      GtkWidget *box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 6);
      GtkWidget *symbol = gtk_label_new (emoji[i]);
      GtkWidget *name = gtk_label_new (descriptions != NULL ? descriptions[i] : NULL);

      gtk_widget_add_css_class (symbol, "confab-emoji");
      gtk_widget_add_css_class (name, "caption");
      gtk_label_set_wrap (GTK_LABEL (name), TRUE);
      gtk_label_set_justify (GTK_LABEL (name), GTK_JUSTIFY_CENTER);
      gtk_box_append (GTK_BOX (box), symbol);
      gtk_box_append (GTK_BOX (box), name);
      gtk_flow_box_append (self->emoji_box, box);
      if (descriptions == NULL || descriptions[i] == NULL)
        break;
    }
  gtk_widget_set_sensitive (self->match_buttons, TRUE);
  gtk_stack_set_visible_child_name (self->stack, "emoji");
}

static void
update_state (ConfabVerificationDialog *self)
{
  MatrixVerification *verification = self->verification;
  g_autofree char *text = NULL;

  switch (matrix_verification_get_state (verification))
    {
    case MATRIX_VERIFICATION_STARTED:
      if (matrix_verification_get_we_started (verification))
        {
          text = g_strdup_printf (_("Accept the request on %s."), other_name (self));
          show_waiting (self, text);
        }
      else
        show_waiting (self, _("Starting the verification…"));
      break;
    case MATRIX_VERIFICATION_ACCEPTED:
      show_waiting (self, _("Exchanging keys…"));
      break;
    case MATRIX_VERIFICATION_KEYS_EXCHANGED:
      if (g_strcmp0 (gtk_stack_get_visible_child_name (self->stack), "emoji") != 0)
        confab_verification_dialog_show_emoji (self, matrix_verification_get_emoji (verification),
                                               matrix_verification_get_emoji_descriptions (verification));
      break;
    case MATRIX_VERIFICATION_CONFIRMED:
      gtk_stack_set_visible_child_name (self->stack, "confirmed");
      break;
    case MATRIX_VERIFICATION_DONE:
      text = g_strdup_printf (_("%s and this session now trust each other."), other_name (self));
      adw_status_page_set_description (self->done_page, text);
      gtk_stack_set_visible_child_name (self->stack, "done");
      break;
    case MATRIX_VERIFICATION_CANCELLED:
    default:
      if (matrix_verification_get_cancel_reason (verification) != NULL)
        text = g_strdup_printf (_("The verification was cancelled: %s"),
                                matrix_verification_get_cancel_reason (verification));
      adw_status_page_set_description (self->cancelled_page,
                                       text != NULL ? text : _("The verification was cancelled."));
      gtk_stack_set_visible_child_name (self->stack, "cancelled");
      break;
    }
}

static void
follow (ConfabVerificationDialog *self,
        MatrixVerification       *verification)
{
  if (self->verification != NULL)
    g_signal_handlers_disconnect_by_func (self->verification, update_state, self);
  g_set_object (&self->verification, verification);
  g_signal_connect_object (verification, "notify::state", G_CALLBACK (update_state), self,
                           G_CONNECT_SWAPPED);
  update_state (self);
}

/* --- starting ------------------------------------------------------------- */

static void
on_started (GObject      *source,
            GAsyncResult *result,
            gpointer      user_data)
{
  g_autoptr(ConfabVerificationDialog) self = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(MatrixVerification) verification =
    matrix_client_start_verification_finish (MATRIX_CLIENT (source), result, &error);

  if (g_cancellable_is_cancelled (self->cancellable))
    return;
  if (verification == NULL)
    show_error (self, error);
  else
    follow (self, verification);
}

void
confab_verification_dialog_start (ConfabVerificationDialog *self,
                                  const char               *user_id,
                                  const char               *device_id)
{
  g_autofree char *text = NULL;

  g_return_if_fail (CONFAB_IS_VERIFICATION_DIALOG (self));
  g_return_if_fail (device_id != NULL);

  if (self->other_name == NULL)
    self->other_name = g_strdup (device_id);
  text = g_strdup_printf (_("Accept the request on %s."), self->other_name);
  show_waiting (self, text);
  matrix_client_start_verification_async (self->client, user_id, device_id, self->cancellable,
                                          on_started, g_object_ref (self));
}

static void
on_accepted (GObject      *source,
             GAsyncResult *result,
             gpointer      user_data)
{
  g_autoptr(ConfabVerificationDialog) self = user_data;
  g_autoptr(GError) error = NULL;

  if (!matrix_verification_accept_finish (MATRIX_VERIFICATION (source), result, &error) &&
      !g_cancellable_is_cancelled (self->cancellable))
    show_error (self, error);
}

void
confab_verification_dialog_accept (ConfabVerificationDialog *self,
                                   MatrixVerification       *verification)
{
  g_return_if_fail (CONFAB_IS_VERIFICATION_DIALOG (self));
  g_return_if_fail (MATRIX_IS_VERIFICATION (verification));

  follow (self, verification);
  show_waiting (self, _("Starting the verification…"));
  matrix_verification_accept_async (verification, self->cancellable, on_accepted,
                                    g_object_ref (self));
}

/* --- the other sessions --------------------------------------------------- */

static void
on_device_activated (ConfabVerificationDialog *self,
                     GtkListBoxRow            *row)
{
  const char *device_id = g_object_get_data (G_OBJECT (row), "device-id");

  g_free (self->other_name);
  self->other_name = g_strdup (adw_preferences_row_get_title (ADW_PREFERENCES_ROW (row)));
  confab_verification_dialog_start (self, NULL, device_id);
}

static void
on_devices (GObject      *source,
            GAsyncResult *result,
            gpointer      user_data)
{
  g_autoptr(ConfabVerificationDialog) self = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) devices = matrix_client_get_devices_finish (MATRIX_CLIENT (source),
                                                                   result, &error);
  guint n = 0;

  if (g_cancellable_is_cancelled (self->cancellable))
    return;
  gtk_widget_set_visible (self->devices_spinner, FALSE);
  if (devices == NULL)
    {
      show_error (self, error);
      return;
    }
  for (guint i = 0; i < devices->len; i++)
    {
      MatrixDevice *device = g_ptr_array_index (devices, i);
      GtkWidget *row;

      if (device->is_this_device)
        continue;
      row = adw_action_row_new ();
      adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row),
                                     device->display_name ? device->display_name : device->device_id);
      adw_preferences_row_set_use_markup (ADW_PREFERENCES_ROW (row), FALSE);
      adw_action_row_set_subtitle (ADW_ACTION_ROW (row), device->device_id);
      adw_action_row_add_suffix (ADW_ACTION_ROW (row), gtk_image_new_from_icon_name ("go-next-symbolic"));
      g_object_set_data_full (G_OBJECT (row), "device-id", g_strdup (device->device_id), g_free);
      /* Without published keys there is nothing to verify against. */
      gtk_list_box_row_set_activatable (GTK_LIST_BOX_ROW (row), device->ed25519 != NULL);
      gtk_widget_set_sensitive (row, device->ed25519 != NULL);
      gtk_list_box_append (self->device_list, row);
      n++;
    }
  gtk_widget_set_visible (GTK_WIDGET (self->device_list), n > 0);
  gtk_widget_set_visible (GTK_WIDGET (self->devices_empty), n == 0);
}

/* --- the user's answers --------------------------------------------------- */

static void
on_answered (GObject      *source,
             GAsyncResult *result,
             gpointer      user_data)
{
  g_autoptr(ConfabVerificationDialog) self = user_data;
  g_autoptr(GError) error = NULL;
  gboolean ok = g_object_get_data (G_OBJECT (self), "answer-match") != NULL ?
                matrix_verification_confirm_finish (MATRIX_VERIFICATION (source), result, &error) :
                matrix_verification_cancel_finish (MATRIX_VERIFICATION (source), result, &error);

  if (!ok && !g_cancellable_is_cancelled (self->cancellable))
    show_error (self, error);
}

static void
on_match_clicked (ConfabVerificationDialog *self)
{
  if (self->verification == NULL)
    return;
  gtk_widget_set_sensitive (self->match_buttons, FALSE);
  g_object_set_data (G_OBJECT (self), "answer-match", GINT_TO_POINTER (TRUE));
  matrix_verification_confirm_async (self->verification, self->cancellable, on_answered,
                                     g_object_ref (self));
}

static void
on_mismatch_clicked (ConfabVerificationDialog *self)
{
  if (self->verification == NULL)
    return;
  gtk_widget_set_sensitive (self->match_buttons, FALSE);
  g_object_set_data (G_OBJECT (self), "answer-match", NULL);
  matrix_verification_cancel_async (self->verification, self->cancellable, on_answered,
                                    g_object_ref (self));
}

/* --- construction --------------------------------------------------------- */

static AdwStatusPage *
add_status_page (ConfabVerificationDialog *self,
                 const char               *name,
                 const char               *icon,
                 const char               *title,
                 gboolean                  busy)
{
  AdwStatusPage *page = ADW_STATUS_PAGE (adw_status_page_new ());

  adw_status_page_set_title (page, title);
  if (icon != NULL)
    adw_status_page_set_icon_name (page, icon);
  if (busy)
    {
      GtkWidget *spinner = gtk_spinner_new ();

      gtk_spinner_set_spinning (GTK_SPINNER (spinner), TRUE);
      gtk_widget_set_size_request (spinner, 32, 32);
      adw_status_page_set_child (page, spinner);
    }
  else
    {
      GtkWidget *close = gtk_button_new_with_label (_("Close"));

      gtk_widget_set_halign (close, GTK_ALIGN_CENTER);
      gtk_widget_add_css_class (close, "pill");
      g_signal_connect_swapped (close, "clicked", G_CALLBACK (gtk_window_close), self);
      adw_status_page_set_child (page, close);
    }
  gtk_stack_add_named (self->stack, GTK_WIDGET (page), name);
  return page;
}

static GtkWidget *
heading (const char *title,
         const char *text)
{
  GtkWidget *box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 6);
  GtkWidget *label = gtk_label_new (title);
  GtkWidget *body = gtk_label_new (text);

  gtk_widget_add_css_class (label, "title-2");
  gtk_label_set_wrap (GTK_LABEL (label), TRUE);
  gtk_label_set_wrap (GTK_LABEL (body), TRUE);
  gtk_label_set_justify (GTK_LABEL (body), GTK_JUSTIFY_CENTER);
  gtk_box_append (GTK_BOX (box), label);
  gtk_box_append (GTK_BOX (box), body);
  return box;
}

static GtkWidget *
clamped (GtkWidget *child)
{
  GtkWidget *clamp = adw_clamp_new ();
  GtkWidget *scrolled = gtk_scrolled_window_new ();

  gtk_widget_set_margin_top (child, 24);
  gtk_widget_set_margin_bottom (child, 24);
  gtk_widget_set_margin_start (child, 12);
  gtk_widget_set_margin_end (child, 12);
  adw_clamp_set_child (ADW_CLAMP (clamp), child);
  gtk_scrolled_window_set_policy (GTK_SCROLLED_WINDOW (scrolled), GTK_POLICY_NEVER,
                                  GTK_POLICY_AUTOMATIC);
  gtk_scrolled_window_set_child (GTK_SCROLLED_WINDOW (scrolled), clamp);
  return scrolled;
}

static void
build_choose_page (ConfabVerificationDialog *self)
{
  GtkWidget *box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 18);

  gtk_box_append (GTK_BOX (box),
                  heading (_("Verify This Session"),
                           _("Choose another of your sessions. Both will show the same emoji "
                             "if nobody is listening in.")));
  self->devices_spinner = gtk_spinner_new ();
  gtk_spinner_set_spinning (GTK_SPINNER (self->devices_spinner), TRUE);
  gtk_box_append (GTK_BOX (box), self->devices_spinner);
  self->device_list = GTK_LIST_BOX (gtk_list_box_new ());
  gtk_widget_add_css_class (GTK_WIDGET (self->device_list), "boxed-list");
  gtk_list_box_set_selection_mode (self->device_list, GTK_SELECTION_NONE);
  gtk_widget_set_visible (GTK_WIDGET (self->device_list), FALSE);
  g_signal_connect_swapped (self->device_list, "row-activated",
                            G_CALLBACK (on_device_activated), self);
  gtk_box_append (GTK_BOX (box), GTK_WIDGET (self->device_list));
  self->devices_empty = GTK_LABEL (gtk_label_new (_("You have no other sessions. Sign in on "
                                                    "another device, then verify this one from "
                                                    "there.")));
  gtk_label_set_wrap (self->devices_empty, TRUE);
  gtk_widget_add_css_class (GTK_WIDGET (self->devices_empty), "dim-label");
  gtk_widget_set_visible (GTK_WIDGET (self->devices_empty), FALSE);
  gtk_box_append (GTK_BOX (box), GTK_WIDGET (self->devices_empty));
  gtk_stack_add_named (self->stack, clamped (box), "choose");
}

static void
build_emoji_page (ConfabVerificationDialog *self)
{
  GtkWidget *box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 24);
  GtkWidget *match = gtk_button_new_with_label (_("They Match"));
  GtkWidget *mismatch = gtk_button_new_with_label (_("They Don't Match"));

  gtk_box_append (GTK_BOX (box),
                  heading (_("Compare Emoji"),
                           _("Check that the other session shows the same emoji, in the same "
                             "order.")));
  self->emoji_box = GTK_FLOW_BOX (gtk_flow_box_new ());
  gtk_flow_box_set_selection_mode (self->emoji_box, GTK_SELECTION_NONE);
  gtk_flow_box_set_homogeneous (self->emoji_box, TRUE);
  gtk_flow_box_set_min_children_per_line (self->emoji_box, 4);
  gtk_flow_box_set_max_children_per_line (self->emoji_box, 7);
  gtk_flow_box_set_row_spacing (self->emoji_box, 12);
  gtk_flow_box_set_column_spacing (self->emoji_box, 6);
  gtk_box_append (GTK_BOX (box), GTK_WIDGET (self->emoji_box));

  self->match_buttons = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 12);
  gtk_widget_set_halign (self->match_buttons, GTK_ALIGN_CENTER);
  gtk_box_set_homogeneous (GTK_BOX (self->match_buttons), TRUE);
  gtk_widget_add_css_class (mismatch, "destructive-action");
  gtk_widget_add_css_class (mismatch, "pill");
  gtk_widget_add_css_class (match, "suggested-action");
  gtk_widget_add_css_class (match, "pill");
  g_signal_connect_swapped (mismatch, "clicked", G_CALLBACK (on_mismatch_clicked), self);
  g_signal_connect_swapped (match, "clicked", G_CALLBACK (on_match_clicked), self);
  gtk_box_append (GTK_BOX (self->match_buttons), mismatch);
  gtk_box_append (GTK_BOX (self->match_buttons), match);
  gtk_box_append (GTK_BOX (box), self->match_buttons);
  gtk_stack_add_named (self->stack, clamped (box), "emoji");
}

static void
confab_verification_dialog_dispose (GObject *object)
{
  ConfabVerificationDialog *self = CONFAB_VERIFICATION_DIALOG (object);
  MatrixVerificationState state;

  g_cancellable_cancel (self->cancellable);
  if (self->verification != NULL)
    {
      state = matrix_verification_get_state (self->verification);
      /* Closed half way: the other side learns it is over. */
      if (state != MATRIX_VERIFICATION_DONE && state != MATRIX_VERIFICATION_CANCELLED)
        matrix_verification_cancel_async (self->verification, NULL, NULL, NULL);
      g_signal_handlers_disconnect_by_func (self->verification, update_state, self);
      g_clear_object (&self->verification);
    }

  G_OBJECT_CLASS (confab_verification_dialog_parent_class)->dispose (object);
}

/* Answers still on their way look at the cancellable: it goes last. */
static void
confab_verification_dialog_finalize (GObject *object)
{
  ConfabVerificationDialog *self = CONFAB_VERIFICATION_DIALOG (object);

  g_clear_object (&self->cancellable);
  g_clear_object (&self->client);
  g_free (self->other_name);

  G_OBJECT_CLASS (confab_verification_dialog_parent_class)->finalize (object);
}

static void
confab_verification_dialog_class_init (ConfabVerificationDialogClass *klass)
{
  G_OBJECT_CLASS (klass)->dispose = confab_verification_dialog_dispose;
  G_OBJECT_CLASS (klass)->finalize = confab_verification_dialog_finalize;
}

static void
confab_verification_dialog_init (ConfabVerificationDialog *self)
{
  GtkWidget *box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 0);
  GtkWidget *header = adw_header_bar_new ();

  self->cancellable = g_cancellable_new ();
  gtk_window_set_title (GTK_WINDOW (self), _("Verification"));
  gtk_window_set_default_size (GTK_WINDOW (self), 480, 560);
  gtk_widget_add_css_class (header, "flat");
  gtk_box_append (GTK_BOX (box), header);
  self->stack = GTK_STACK (gtk_stack_new ());
  gtk_stack_set_transition_type (self->stack, GTK_STACK_TRANSITION_TYPE_CROSSFADE);
  gtk_widget_set_vexpand (GTK_WIDGET (self->stack), TRUE);
  gtk_box_append (GTK_BOX (box), GTK_WIDGET (self->stack));
  adw_window_set_content (ADW_WINDOW (self), box);

  build_choose_page (self);
  self->waiting_page = add_status_page (self, "waiting", NULL, _("Waiting for the Other Session"),
                                        TRUE);
  build_emoji_page (self);
  adw_status_page_set_description (add_status_page (self, "confirmed", NULL,
                                                    _("Waiting for the Other Session"), TRUE),
                                   _("Confirm on the other session that the emoji match."));
  self->done_page = add_status_page (self, "done", "emblem-ok-symbolic", _("Verified"), FALSE);
  self->cancelled_page = add_status_page (self, "cancelled", "dialog-warning-symbolic",
                                          _("Verification Cancelled"), FALSE);
  self->error_page = add_status_page (self, "error", "dialog-error-symbolic",
                                      _("Could Not Verify"), FALSE);
  gtk_stack_set_visible_child_name (self->stack, "choose");
}

/**
 * confab_verification_dialog_list_sessions:
 * @self: a #ConfabVerificationDialog
 *
 * Lists the user's other sessions to choose the one to verify with.
 */
void
confab_verification_dialog_list_sessions (ConfabVerificationDialog *self)
{
  g_return_if_fail (CONFAB_IS_VERIFICATION_DIALOG (self));

  gtk_stack_set_visible_child_name (self->stack, "choose");
  matrix_client_get_devices_async (self->client, NULL, self->cancellable, on_devices,
                                   g_object_ref (self));
}

/**
 * confab_verification_dialog_new:
 * @parent: (nullable): the window it goes over
 * @client: the signed-in client, with encryption
 *
 * Returns: (transfer none): a new dialog, shown by the caller once told
 *   what to verify; it lives until closed
 */
ConfabVerificationDialog *
confab_verification_dialog_new (GtkWindow    *parent,
                                MatrixClient *client)
{
  ConfabVerificationDialog *self;

  g_return_val_if_fail (MATRIX_IS_CLIENT (client), NULL);

  self = g_object_new (CONFAB_TYPE_VERIFICATION_DIALOG, NULL);
  self->client = g_object_ref (client);
  if (parent != NULL)
    {
      gtk_window_set_transient_for (GTK_WINDOW (self), parent);
      gtk_window_set_modal (GTK_WINDOW (self), TRUE);
    }
  return self;
}
