/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "confab-login-page"

#include "config.h"

#include <string.h>
#include <glib/gi18n.h>

#include "confab-login-page.h"
#include "confab-session.h"

/**
 * ConfabLoginPage:
 *
 * Asks for a homeserver, a user and a password, finds the homeserver's URL
 * (`.well-known` discovery), signs in and hands the logged-in client over
 * with ::logged-in. Errors are shown in the page in plain words.
 */
struct _ConfabLoginPage
{
  AdwBin        parent_instance;

  GtkWidget    *homeserver_row;
  GtkWidget    *user_row;
  GtkWidget    *password_row;
  GtkWidget    *message_label;
  GtkWidget    *error_label;
  GtkWidget    *sign_in_button;
  GtkWidget    *spinner;
  /* The widget of the form that had the focus when it went busy (weak). */
  GtkWidget    *focus_before_busy;

  GCancellable *cancellable;
  char         *server;
  /* The account of an ended session, whose device a new sign-in keeps. */
  char         *saved_user_id;
  char         *saved_device_id;
};

G_DEFINE_FINAL_TYPE (ConfabLoginPage, confab_login_page, ADW_TYPE_BIN)

enum {
  PROP_0,
  PROP_BUSY,
  N_PROPS
};

enum {
  LOGGED_IN,
  N_SIGNALS
};

static GParamSpec *properties[N_PROPS];
static guint signals[N_SIGNALS];

GtkWidget *
confab_login_page_new (void)
{
  return g_object_new (CONFAB_TYPE_LOGIN_PAGE, NULL);
}

char *
confab_login_page_describe_error (const GError *error,
                                  const char   *server)
{
  if (error->domain == MATRIX_ERROR)
    {
      switch ((MatrixError) error->code)
        {
        case MATRIX_ERROR_FORBIDDEN:
          return g_strdup (_("Wrong user name or password."));
        case MATRIX_ERROR_LIMIT_EXCEEDED:
          return g_strdup (_("Too many attempts. Wait a moment and try again."));
        case MATRIX_ERROR_NOT_FOUND:
        case MATRIX_ERROR_HTTP:
        case MATRIX_ERROR_INVALID_JSON:
        case MATRIX_ERROR_INVALID_RESPONSE:
          return g_strdup_printf (_("“%s” does not seem to be a Matrix server."), server);
        case MATRIX_ERROR_FAILED:
        case MATRIX_ERROR_SERVER:
        case MATRIX_ERROR_UNKNOWN_TOKEN:
        case MATRIX_ERROR_MISSING_TOKEN:
        case MATRIX_ERROR_NOT_LOGGED_IN:
        default:
          break;
        }
    }
  else if (error->domain == G_RESOLVER_ERROR ||
           g_error_matches (error, G_IO_ERROR, G_IO_ERROR_HOST_NOT_FOUND))
    {
      return g_strdup_printf (_("Could not find the server “%s”."), server);
    }
  else if (error->domain == G_TLS_ERROR)
    {
      return g_strdup_printf (_("The security certificate of “%s” is not valid."), server);
    }
  else if (error->domain == G_IO_ERROR)
    {
      switch (error->code)
        {
        case G_IO_ERROR_INVALID_ARGUMENT:
        case G_IO_ERROR_INVALID_DATA:
          return g_strdup_printf (_("“%s” is not a valid server name or address."), server);
        case G_IO_ERROR_CONNECTION_REFUSED:
        case G_IO_ERROR_HOST_UNREACHABLE:
        case G_IO_ERROR_NETWORK_UNREACHABLE:
        case G_IO_ERROR_TIMED_OUT:
        case G_IO_ERROR_CONNECTION_CLOSED:
        case G_IO_ERROR_NOT_CONNECTED:
          return g_strdup (_("Could not reach the server. Check your network connection."));
        default:
          break;
        }
    }

  return g_strdup_printf (_("Could not sign in: %s"), error->message);
}

static void
set_error (ConfabLoginPage *self,
           const char      *text)
{
  gtk_label_set_text (GTK_LABEL (self->error_label), text ? text : "");
  gtk_widget_set_visible (self->error_label, text != NULL);
}

static gboolean
form_complete (ConfabLoginPage *self)
{
  const char *homeserver = gtk_editable_get_text (GTK_EDITABLE (self->homeserver_row));
  const char *user = gtk_editable_get_text (GTK_EDITABLE (self->user_row));
  const char *password = gtk_editable_get_text (GTK_EDITABLE (self->password_row));

  return (*homeserver != '\0' || strchr (user, ':') != NULL) && *user != '\0' && *password != '\0';
}

/* GTK 4.8 takes the focus from a widget made insensitive without telling
 * it: a focused entry would go on blinking its cursor, and warn that it
 * missed a focus-out event. So the focus leaves the form while its widgets
 * still hear of it, and comes back when the form is usable again. */
static void
leave_form_focus (ConfabLoginPage *self)
{
  GtkRoot *root = gtk_widget_get_root (GTK_WIDGET (self));
  GtkWidget *focus = root != NULL ? gtk_root_get_focus (root) : NULL;

  if (focus == NULL || !gtk_widget_is_ancestor (focus, GTK_WIDGET (self)))
    return;

  g_set_weak_pointer (&self->focus_before_busy, focus);
  gtk_root_set_focus (root, NULL);
}

static void
restore_form_focus (ConfabLoginPage *self)
{
  GtkWidget *focus = self->focus_before_busy;

  g_clear_weak_pointer (&self->focus_before_busy);
  if (focus != NULL && gtk_widget_get_mapped (focus) &&
      gtk_widget_is_ancestor (focus, GTK_WIDGET (self)))
    gtk_widget_grab_focus (focus);
}

static void
set_busy (ConfabLoginPage *self,
          gboolean         busy)
{
  if (busy)
    leave_form_focus (self);

  gtk_widget_set_visible (self->spinner, busy);
  gtk_spinner_set_spinning (GTK_SPINNER (self->spinner), busy);
  gtk_widget_set_sensitive (self->homeserver_row, !busy);
  gtk_widget_set_sensitive (self->user_row, !busy);
  gtk_widget_set_sensitive (self->password_row, !busy);
  gtk_widget_set_sensitive (self->sign_in_button, !busy && form_complete (self));

  if (!busy)
    {
      restore_form_focus (self);
      g_clear_object (&self->cancellable);
    }

  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_BUSY]);
}

static void
fail (ConfabLoginPage *self,
      const GError    *error)
{
  g_autofree char *text = confab_login_page_describe_error (error, self->server);

  set_busy (self, FALSE);
  set_error (self, text);
}

static void
on_logged_in (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  MatrixClient *client = MATRIX_CLIENT (source);
  g_autoptr(ConfabLoginPage) self = user_data;
  g_autoptr(GError) error = NULL;
  g_autofree char *password = NULL;

  if (!matrix_client_login_finish (client, result, &error))
    {
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        fail (self, error);
      return;
    }

  /* The password goes on once, for setting up cross-signing, and is not
   * kept: neither here nor in the form. */
  password = g_strdup (gtk_editable_get_text (GTK_EDITABLE (self->password_row)));
  set_busy (self, FALSE);
  gtk_editable_set_text (GTK_EDITABLE (self->password_row), "");
  g_signal_emit (self, signals[LOGGED_IN], 0, client, password);
  memset (password, 0, strlen (password));
}

/* Whether @user (as typed: a user id or a localpart) is the saved user. */
static gboolean
is_saved_user (ConfabLoginPage *self,
               const char      *user)
{
  g_autofree char *typed = g_strstrip (g_strdup (user));
  g_autofree char *prefix = NULL;

  if (self->saved_user_id == NULL || self->saved_device_id == NULL)
    return FALSE;

  if (typed[0] == '@')
    return g_str_equal (typed, self->saved_user_id);

  prefix = g_strdup_printf ("@%s:", typed);
  return g_str_has_prefix (self->saved_user_id, prefix);
}

static void
on_discovered (GObject      *source,
               GAsyncResult *result,
               gpointer      user_data)
{
  g_autoptr(ConfabLoginPage) self = user_data;
  g_autoptr(GError) error = NULL;
  g_autofree char *url = matrix_discover_homeserver_finish (result, &error);
  g_autoptr(MatrixStore) store = NULL;
  g_autoptr(MatrixClient) client = NULL;

  if (url == NULL)
    {
      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        return;

      /* Discovery reached something that is not a homeserver. */
      if (error->domain == MATRIX_ERROR)
        {
          g_autofree char *text =
            g_strdup_printf (_("“%s” does not seem to be a Matrix server."), self->server);

          set_busy (self, FALSE);
          set_error (self, text);
          return;
        }

      fail (self, error);
      return;
    }

  store = confab_session_create_store ();
  /* Signing in again as the same user keeps the device (and with it the
   * server's view of this client). */
  if (is_saved_user (self, gtk_editable_get_text (GTK_EDITABLE (self->user_row))))
    matrix_store_set_value (store, MATRIX_STORE_KEY_DEVICE_ID, self->saved_device_id);
  client = confab_session_new_client (url, store);
  matrix_client_login_async (client,
                             gtk_editable_get_text (GTK_EDITABLE (self->user_row)),
                             gtk_editable_get_text (GTK_EDITABLE (self->password_row)),
                             self->cancellable, on_logged_in, g_object_ref (self));
}

void
confab_login_page_submit (ConfabLoginPage *self)
{
  const char *homeserver;
  const char *user;

  g_return_if_fail (CONFAB_IS_LOGIN_PAGE (self));

  if (self->cancellable != NULL || !form_complete (self))
    return;

  homeserver = gtk_editable_get_text (GTK_EDITABLE (self->homeserver_row));
  user = gtk_editable_get_text (GTK_EDITABLE (self->user_row));

  g_free (self->server);
  if (*homeserver != '\0')
    self->server = g_strstrip (g_strdup (homeserver));
  else
    self->server = g_strdup (strchr (user, ':') + 1);   /* @user:server */

  set_error (self, NULL);
  self->cancellable = g_cancellable_new ();
  set_busy (self, TRUE);

  matrix_discover_homeserver_async (self->server, self->cancellable, on_discovered,
                                    g_object_ref (self));
}

void
confab_login_page_fill (ConfabLoginPage *self,
                        const char      *homeserver,
                        const char      *user,
                        const char      *password)
{
  g_return_if_fail (CONFAB_IS_LOGIN_PAGE (self));

  if (homeserver != NULL)
    gtk_editable_set_text (GTK_EDITABLE (self->homeserver_row), homeserver);
  if (user != NULL)
    gtk_editable_set_text (GTK_EDITABLE (self->user_row), user);
  if (password != NULL)
    gtk_editable_set_text (GTK_EDITABLE (self->password_row), password);
}

void
confab_login_page_set_saved_session (ConfabLoginPage *self,
                                     const char      *user_id,
                                     const char      *device_id)
{
  g_return_if_fail (CONFAB_IS_LOGIN_PAGE (self));

  g_free (self->saved_user_id);
  self->saved_user_id = g_strdup (user_id);
  g_free (self->saved_device_id);
  self->saved_device_id = g_strdup (device_id);
}

void
confab_login_page_set_message (ConfabLoginPage *self,
                               const char      *message)
{
  g_return_if_fail (CONFAB_IS_LOGIN_PAGE (self));

  gtk_label_set_text (GTK_LABEL (self->message_label), message ? message : "");
  gtk_widget_set_visible (self->message_label, message != NULL);
}

gboolean
confab_login_page_get_busy (ConfabLoginPage *self)
{
  g_return_val_if_fail (CONFAB_IS_LOGIN_PAGE (self), FALSE);

  return self->cancellable != NULL;
}

void
confab_login_page_reset (ConfabLoginPage *self)
{
  g_return_if_fail (CONFAB_IS_LOGIN_PAGE (self));

  if (self->cancellable != NULL)
    {
      g_cancellable_cancel (self->cancellable);
      set_busy (self, FALSE);
    }
  gtk_editable_set_text (GTK_EDITABLE (self->password_row), "");
  set_error (self, NULL);
}

static void
on_changed (ConfabLoginPage *self)
{
  gtk_widget_set_sensitive (self->sign_in_button,
                            self->cancellable == NULL && form_complete (self));
}

static void
on_entry_activated (ConfabLoginPage *self)
{
  confab_login_page_submit (self);
}

static void
on_sign_in_clicked (ConfabLoginPage *self)
{
  confab_login_page_submit (self);
}

static void
confab_login_page_dispose (GObject *object)
{
  ConfabLoginPage *self = CONFAB_LOGIN_PAGE (object);

  if (self->cancellable != NULL)
    g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  g_clear_weak_pointer (&self->focus_before_busy);
  g_clear_pointer (&self->server, g_free);
  g_clear_pointer (&self->saved_user_id, g_free);
  g_clear_pointer (&self->saved_device_id, g_free);

  gtk_widget_dispose_template (GTK_WIDGET (self), CONFAB_TYPE_LOGIN_PAGE);

  G_OBJECT_CLASS (confab_login_page_parent_class)->dispose (object);
}

static void
confab_login_page_get_property (GObject    *object,
                                guint       prop_id,
                                GValue     *value,
                                GParamSpec *pspec)
{
  ConfabLoginPage *self = CONFAB_LOGIN_PAGE (object);

  switch (prop_id)
    {
    case PROP_BUSY:
      g_value_set_boolean (value, confab_login_page_get_busy (self));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
confab_login_page_class_init (ConfabLoginPageClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = confab_login_page_dispose;
  object_class->get_property = confab_login_page_get_property;

  properties[PROP_BUSY] =
    g_param_spec_boolean ("busy", NULL, NULL, FALSE,
                          G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  signals[LOGGED_IN] =
    g_signal_new ("logged-in", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 2, MATRIX_TYPE_CLIENT,
                  G_TYPE_STRING | G_SIGNAL_TYPE_STATIC_SCOPE);

  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/io/github/confab/Confab/confab-login-page.ui");
  gtk_widget_class_bind_template_child (widget_class, ConfabLoginPage, homeserver_row);
  gtk_widget_class_bind_template_child (widget_class, ConfabLoginPage, user_row);
  gtk_widget_class_bind_template_child (widget_class, ConfabLoginPage, password_row);
  gtk_widget_class_bind_template_child (widget_class, ConfabLoginPage, message_label);
  gtk_widget_class_bind_template_child (widget_class, ConfabLoginPage, error_label);
  gtk_widget_class_bind_template_child (widget_class, ConfabLoginPage, sign_in_button);
  gtk_widget_class_bind_template_child (widget_class, ConfabLoginPage, spinner);
  gtk_widget_class_bind_template_callback (widget_class, on_changed);
  gtk_widget_class_bind_template_callback (widget_class, on_entry_activated);
  gtk_widget_class_bind_template_callback (widget_class, on_sign_in_clicked);
}

static void
confab_login_page_init (ConfabLoginPage *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
}
