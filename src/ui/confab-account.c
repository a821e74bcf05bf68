/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "confab-account"

#include "config.h"

#include <string.h>
#include <glib/gi18n.h>

#include "confab-account.h"
#include "confab-key-backup.h"
#include "confab-session.h"

/**
 * ConfabAccount:
 *
 * The session's lifecycle, with no widgets: restoring the saved session,
 * adopting a sign-in into the account's SQLite store, soft and hard logout
 * and forgetting the local data. It holds the #MatrixClient, its store and
 * its #MatrixRoomStateTracker; the window follows #ConfabAccount:state and
 * the signals, and shows.
 */
struct _ConfabAccount
{
  GObject                 parent_instance;

  ConfabAccountState      state;
  GApplication           *application;   /* weak */
  GCancellable           *cancellable;

  MatrixClient           *client;
  MatrixRoomStateTracker *tracker;
  /* The store of a session the server ended softly: signing in again as the
   * same user reuses it, rooms and device id. */
  MatrixStore            *saved_store;
  /* A sign-in waiting for the local data of an ended session to go, or for
   * its store to open. */
  MatrixClient           *pending_login;
  guint                   n_forgetting;
  /* The password of a sign-in, only until cross-signing is set up with it
   * (the server's user-interactive auth asks for it). */
  char                   *login_password;
};

G_DEFINE_FINAL_TYPE (ConfabAccount, confab_account, G_TYPE_OBJECT)
G_DEFINE_ENUM_TYPE (ConfabAccountState, confab_account_state,
                    G_DEFINE_ENUM_VALUE (CONFAB_ACCOUNT_STATE_SIGNED_OUT, "signed-out"),
                    G_DEFINE_ENUM_VALUE (CONFAB_ACCOUNT_STATE_LOADING, "loading"),
                    G_DEFINE_ENUM_VALUE (CONFAB_ACCOUNT_STATE_SIGNED_IN, "signed-in"))

enum {
  PROP_0,
  PROP_STATE,
  N_PROPS
};

enum {
  LOGIN_NEEDED,
  SESSION_ENDED,
  SAVED_SESSION_CHANGED,
  NOTICE,
  ENCRYPTION_CHANGED,
  N_SIGNALS
};

static GParamSpec *properties[N_PROPS];
static guint signals[N_SIGNALS];

/* How long quitting waits for the store to be flushed. */
#define CLOSE_TIMEOUT_MS 3000

ConfabAccount *
confab_account_new (void)
{
  return g_object_new (CONFAB_TYPE_ACCOUNT, NULL);
}

void
confab_account_set_application (ConfabAccount *self,
                                GApplication  *application)
{
  g_return_if_fail (CONFAB_IS_ACCOUNT (self));

  g_set_weak_pointer (&self->application, application);
}

ConfabAccountState
confab_account_get_state (ConfabAccount *self)
{
  g_return_val_if_fail (CONFAB_IS_ACCOUNT (self), CONFAB_ACCOUNT_STATE_SIGNED_OUT);

  return self->state;
}

MatrixClient *
confab_account_get_client (ConfabAccount *self)
{
  g_return_val_if_fail (CONFAB_IS_ACCOUNT (self), NULL);

  return self->client;
}

MatrixRoomStateTracker *
confab_account_get_tracker (ConfabAccount *self)
{
  g_return_val_if_fail (CONFAB_IS_ACCOUNT (self), NULL);

  return self->tracker;
}

static void
set_state (ConfabAccount      *self,
           ConfabAccountState  state)
{
  if (self->state == state)
    return;

  self->state = state;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_STATE]);
}

static void
login_needed (ConfabAccount *self,
              const char    *homeserver,
              const char    *user_id,
              const char    *message)
{
  set_state (self, CONFAB_ACCOUNT_STATE_SIGNED_OUT);
  g_signal_emit (self, signals[LOGIN_NEEDED], 0, homeserver, user_id, message);
}

static void
notice (ConfabAccount *self,
        const char    *what,
        const GError  *error)
{
  g_autofree char *text = error ? g_strdup_printf ("%s: %s", what, error->message) : NULL;

  g_signal_emit (self, signals[NOTICE], 0, text ? text : what);
}

/* Flushes @store and lets it go; the application waits (a little) for the
 * flush before it exits. */
static void
close_store (ConfabAccount *self,
             MatrixStore   *store)
{
  confab_session_close_store (store, self->application, CLOSE_TIMEOUT_MS);
}

static void on_session_ended (MatrixClient *client, gboolean soft_logout, ConfabAccount *self);

/* Drops the client and everything on it. With @out_store, its store is
 * handed to the caller; otherwise it is flushed and closed. */
static void
clear_client_full (ConfabAccount  *self,
                   MatrixStore   **out_store)
{
  g_autoptr(MatrixClient) client = g_steal_pointer (&self->client);
  g_autoptr(MatrixRoomStateTracker) tracker = g_steal_pointer (&self->tracker);
  g_autoptr(MatrixStore) store = NULL;

  if (out_store != NULL)
    *out_store = NULL;
  if (client == NULL)
    {
      set_state (self, CONFAB_ACCOUNT_STATE_SIGNED_OUT);
      return;
    }

  store = g_object_ref (matrix_client_get_store (client));
  /* The window lets go of the rooms while the client is still whole. */
  set_state (self, CONFAB_ACCOUNT_STATE_SIGNED_OUT);

  matrix_client_stop_sync (client);
  g_signal_handlers_disconnect_by_func (client, on_session_ended, self);
  g_clear_object (&tracker);
  g_clear_object (&client);

  if (out_store != NULL)
    *out_store = g_steal_pointer (&store);
  else
    close_store (self, g_steal_pointer (&store));
}

static void
clear_client (ConfabAccount *self)
{
  clear_client_full (self, NULL);
}

static void
drop_saved_store (ConfabAccount *self)
{
  if (self->saved_store != NULL)
    close_store (self, g_steal_pointer (&self->saved_store));
  g_signal_emit (self, signals[SAVED_SESSION_CHANGED], 0, NULL, NULL);
}

/* Keeps @store (transfer full), whose session ended softly or has no token,
 * for the next sign-in of its user. */
static void
keep_saved_store (ConfabAccount *self,
                  MatrixStore   *store)
{
  if (self->saved_store != NULL)
    close_store (self, g_steal_pointer (&self->saved_store));
  self->saved_store = store;
  g_signal_emit (self, signals[SAVED_SESSION_CHANGED], 0,
                 matrix_store_get_value (store, MATRIX_STORE_KEY_USER_ID),
                 matrix_store_get_value (store, MATRIX_STORE_KEY_DEVICE_ID));
}

static void continue_login (ConfabAccount *self, MatrixClient *login_client);

static void
on_session_forgotten (GObject      *source,
                      GAsyncResult *result,
                      gpointer      user_data)
{
  g_autoptr(ConfabAccount) self = user_data;
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
forget_session (ConfabAccount *self,
                MatrixStore   *store)
{
  self->n_forgetting++;
  confab_session_forget_async (store, NULL, on_session_forgotten, g_object_ref (self));
  g_clear_object (&store);
}

static void
on_session_ended (MatrixClient  *client,
                  gboolean       soft_logout,
                  ConfabAccount *self)
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

  g_signal_emit (self, signals[SESSION_ENDED], 0, homeserver, user_id, soft_logout);
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
sign_out_keeping (ConfabAccount *self,
                  MatrixStore   *store)
{
  g_autofree char *user_id = g_strdup (matrix_store_get_value (store, MATRIX_STORE_KEY_USER_ID));
  g_autofree char *server = g_strdup (matrix_store_get_value (store, MATRIX_STORE_KEY_HOMESERVER));

  keep_saved_store (self, store);
  login_needed (self, server, user_id, NULL);
}

static void
on_token_known (GObject      *source,
                GAsyncResult *result,
                gpointer      user_data)
{
  g_autoptr(ConfabAccount) self = user_data;
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
  sign_out_keeping (self, g_steal_pointer (&kept));
}

/* Syncing needs the access token: a store still waiting for the keyring
 * shows its rooms meanwhile, and the loop starts once the token is known. */
static void
start_sync (ConfabAccount *self)
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

static void
forget_password (ConfabAccount *self)
{
  if (self->login_password != NULL)
    memset (self->login_password, 0, strlen (self->login_password));
  g_clear_pointer (&self->login_password, g_free);
}

static void
on_bootstrapped (GObject      *source,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  g_autoptr(ConfabAccount) self = user_data;
  g_autoptr(GError) error = NULL;

  if (!matrix_client_bootstrap_cross_signing_finish (MATRIX_CLIENT (source), result, &error))
    {
      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        return;
      /* The session still works; it stays unverified, and says so. */
      g_message ("Could not set up cross-signing: %s", error->message);
    }
  if (self->client == MATRIX_CLIENT (source))
    g_signal_emit (self, signals[ENCRYPTION_CHANGED], 0);
}

static void
on_encryption_enabled (GObject      *source,
                       GAsyncResult *result,
                       gpointer      user_data)
{
  g_autoptr(ConfabAccount) self = user_data;
  g_autoptr(GError) error = NULL;

  if (!matrix_client_enable_encryption_finish (MATRIX_CLIENT (source), result, &error))
    {
      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        return;
      /* Encrypted rooms stay unreadable (and the composer off in them), as
       * without keys; the rest of the account works. */
      notice (self, _("Encrypted rooms cannot be read"), error);
    }
  else if (self->client == MATRIX_CLIENT (source))
    {
      /* Key backup is on by default. */
      confab_key_backup_start (self->client, self->cancellable);
      /* A first sign-in makes the account's cross-signing keys (a later
       * one finds them made and leaves them). */
      if (self->login_password != NULL)
        matrix_client_bootstrap_cross_signing_async (self->client, self->login_password,
                                                     self->cancellable, on_bootstrapped,
                                                     g_object_ref (self));
      else
        g_signal_emit (self, signals[ENCRYPTION_CHANGED], 0);
    }
  forget_password (self);
  if (self->client == MATRIX_CLIENT (source))
    start_sync (self);
}

/* The device's encryption keys, in the account's folder, before the first
 * sync: a sync's room keys must reach them before its token is saved. */
static void
enable_encryption (ConfabAccount *self)
{
  MatrixStore *store = matrix_client_get_store (self->client);
  g_autofree char *path = NULL;

  if (!MATRIX_IS_SQLITE_STORE (store) || matrix_client_get_device_id (self->client) == NULL)
    {
      forget_password (self);
      start_sync (self);
      return;
    }
  path = g_build_filename (matrix_sqlite_store_get_directory (MATRIX_SQLITE_STORE (store)),
                           "crypto", NULL);
  matrix_client_enable_encryption_async (self->client, path, CONFAB_SESSION_SECRET_SCHEMA,
                                         self->cancellable, on_encryption_enabled,
                                         g_object_ref (self));
}

void
confab_account_set_client (ConfabAccount *self,
                           MatrixClient  *client)
{
  g_return_if_fail (CONFAB_IS_ACCOUNT (self));
  g_return_if_fail (MATRIX_IS_CLIENT (client));

  clear_client (self);

  self->client = g_object_ref (client);
  self->tracker = matrix_room_state_tracker_new (client);
  g_signal_connect (client, "session-ended", G_CALLBACK (on_session_ended), self);
  set_state (self, CONFAB_ACCOUNT_STATE_SIGNED_IN);

  enable_encryption (self);
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
report_damage (ConfabAccount *self,
               MatrixStore   *store)
{
  if (!MATRIX_IS_SQLITE_STORE (store) ||
      matrix_sqlite_store_get_corrupt_file (MATRIX_SQLITE_STORE (store)) == NULL)
    return;

  g_message ("The database was damaged and moved to %s",
             matrix_sqlite_store_get_corrupt_file (MATRIX_SQLITE_STORE (store)));
  notice (self, _("The local copy of your rooms was damaged and has been set "
                  "aside. Confab is loading them again from the server."), NULL);
}

/* Moves the session of @login_client (signed in on a memory store) into
 * @store and shows it. */
static void
adopt_into (ConfabAccount *self,
            MatrixClient  *login_client,
            MatrixStore   *store)
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
  confab_account_set_client (self, client);
}

static void
on_login_store_opened (GObject      *source,
                       GAsyncResult *result,
                       gpointer      user_data)
{
  g_autoptr(ConfabAccount) self = user_data;
  g_autoptr(MatrixClient) login_client = g_steal_pointer (&self->pending_login);
  g_autoptr(GError) error = NULL;
  g_autoptr(MatrixStore) store = confab_session_open_store_finish (result, &error);

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED) || login_client == NULL)
    return;

  if (store == NULL)
    {
      forget_password (self);
      g_message ("Could not open the local data: %s", error->message);
      login_needed (self, NULL, NULL, NULL);
      notice (self, _("Could not open the local copy of your rooms"), error);
      return;
    }

  report_damage (self, store);
  adopt_into (self, login_client, store);
}

static void
continue_login (ConfabAccount *self,
                MatrixClient  *login_client)
{
  const char *user_id = matrix_client_get_user_id (login_client);
  MatrixStore *saved = self->saved_store;

  if (saved != NULL &&
      g_strcmp0 (matrix_store_get_value (saved, MATRIX_STORE_KEY_USER_ID), user_id) == 0)
    {
      g_autoptr(MatrixStore) store = g_steal_pointer (&self->saved_store);

      g_signal_emit (self, signals[SAVED_SESSION_CHANGED], 0, NULL, NULL);
      adopt_into (self, login_client, store);
      return;
    }

  drop_saved_store (self);
  set_state (self, CONFAB_ACCOUNT_STATE_LOADING);
  /* Waiting for the store; a new sign-in or the window going replaces it. */
  g_set_object (&self->pending_login, login_client);
  confab_session_open_store_async (user_id, matrix_client_get_homeserver (login_client),
                                   self->cancellable, on_login_store_opened,
                                   g_object_ref (self));
}

void
confab_account_adopt_login (ConfabAccount *self,
                            MatrixClient  *login_client,
                            const char    *password)
{
  g_return_if_fail (CONFAB_IS_ACCOUNT (self));
  g_return_if_fail (MATRIX_IS_CLIENT (login_client));

  clear_client (self);
  forget_password (self);
  self->login_password = g_strdup (password);

  /* The local data of an ended session may still be on its way out. */
  if (self->n_forgetting > 0)
    {
      set_state (self, CONFAB_ACCOUNT_STATE_LOADING);
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
  g_autoptr(ConfabAccount) self = user_data;
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
      login_needed (self, NULL, NULL,
                    error != NULL ? _("The saved session could not be read. Sign in again.") : NULL);
      return;
    }

  report_damage (self, store);
  homeserver = matrix_store_get_value (store, MATRIX_STORE_KEY_HOMESERVER);

  if (matrix_store_get_value (store, MATRIX_STORE_KEY_ACCESS_TOKEN) == NULL && !token_pending (store))
    {
      sign_out_keeping (self, g_steal_pointer (&store));
      return;
    }

  /* The rooms come from the store at once; the sync goes on from there,
   * once the keyring has handed over the token (see start_sync()). */
  client = confab_session_new_client (homeserver, store);
  confab_account_set_client (self, client);
}

void
confab_account_restore (ConfabAccount *self)
{
  g_return_if_fail (CONFAB_IS_ACCOUNT (self));

  forget_password (self);
  set_state (self, CONFAB_ACCOUNT_STATE_LOADING);
  confab_session_load_async (self->cancellable, on_session_loaded, g_object_ref (self));
}

void
confab_account_sign_out (ConfabAccount *self)
{
  g_return_if_fail (CONFAB_IS_ACCOUNT (self));

  clear_client (self);
}

static void
on_logged_out (GObject      *source,
               GAsyncResult *result,
               gpointer      user_data)
{
  g_autoptr(ConfabAccount) self = user_data;
  g_autoptr(GError) error = NULL;

  /* Whatever the server said, the local session is over, and its data goes
   * (once this client lets go of its store). */
  if (!matrix_client_logout_finish (MATRIX_CLIENT (source), result, &error))
    g_message ("Logging out failed: %s", error->message);

  forget_session (self, g_object_ref (matrix_client_get_store (MATRIX_CLIENT (source))));
  /* The count taken in confab_account_logout(). */
  self->n_forgetting--;
}

void
confab_account_logout (ConfabAccount *self)
{
  g_autoptr(MatrixClient) client = NULL;
  g_autoptr(MatrixStore) store = NULL;

  g_return_if_fail (CONFAB_IS_ACCOUNT (self));

  if (self->client == NULL)
    return;

  client = g_object_ref (self->client);
  clear_client_full (self, &store);
  /* Counted from now, so that signing in again waits for the data to go. */
  self->n_forgetting++;
  matrix_client_logout_async (client, NULL, on_logged_out, g_object_ref (self));
  login_needed (self, NULL, NULL, NULL);
}

void
confab_account_shut_down (ConfabAccount *self)
{
  g_return_if_fail (CONFAB_IS_ACCOUNT (self));

  g_cancellable_cancel (self->cancellable);
  forget_password (self);
  clear_client (self);
  if (self->saved_store != NULL)
    close_store (self, g_steal_pointer (&self->saved_store));
  g_clear_object (&self->pending_login);
}

static void
confab_account_get_property (GObject    *object,
                             guint       prop_id,
                             GValue     *value,
                             GParamSpec *pspec)
{
  ConfabAccount *self = CONFAB_ACCOUNT (object);

  switch (prop_id)
    {
    case PROP_STATE:
      g_value_set_enum (value, self->state);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
confab_account_dispose (GObject *object)
{
  ConfabAccount *self = CONFAB_ACCOUNT (object);

  confab_account_shut_down (self);
  g_clear_weak_pointer (&self->application);

  G_OBJECT_CLASS (confab_account_parent_class)->dispose (object);
}

static void
confab_account_finalize (GObject *object)
{
  ConfabAccount *self = CONFAB_ACCOUNT (object);

  g_clear_object (&self->cancellable);

  G_OBJECT_CLASS (confab_account_parent_class)->finalize (object);
}

static void
confab_account_class_init (ConfabAccountClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->get_property = confab_account_get_property;
  object_class->dispose = confab_account_dispose;
  object_class->finalize = confab_account_finalize;

  properties[PROP_STATE] =
    g_param_spec_enum ("state", NULL, NULL,
                       CONFAB_TYPE_ACCOUNT_STATE, CONFAB_ACCOUNT_STATE_SIGNED_OUT,
                       G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  signals[LOGIN_NEEDED] =
    g_signal_new ("login-needed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 3,
                  G_TYPE_STRING, G_TYPE_STRING, G_TYPE_STRING);
  signals[SESSION_ENDED] =
    g_signal_new ("session-ended", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 3,
                  G_TYPE_STRING, G_TYPE_STRING, G_TYPE_BOOLEAN);
  signals[SAVED_SESSION_CHANGED] =
    g_signal_new ("saved-session-changed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 2,
                  G_TYPE_STRING, G_TYPE_STRING);
  signals[NOTICE] =
    g_signal_new ("notice", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_STRING);
  signals[ENCRYPTION_CHANGED] =
    g_signal_new ("encryption-changed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 0);
}

static void
confab_account_init (ConfabAccount *self)
{
  self->cancellable = g_cancellable_new ();
}
