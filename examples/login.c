/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "example-login"

/* The seed's login script: logs in with a password and keeps the session in
 * the examples' session file, for echo-bot to use.
 *
 *   login HOMESERVER USER [--password-stdin]
 *
 * Without --password-stdin the password is read from CONFAB_PASSWORD, or
 * asked for on the terminal. */

#include <errno.h>
#include <glib/gstdio.h>
#include <stdio.h>

#include "example-session.h"

static const char * const session_keys[] = {
  MATRIX_STORE_KEY_HOMESERVER,
  MATRIX_STORE_KEY_USER_ID,
  MATRIX_STORE_KEY_DEVICE_ID,
  MATRIX_STORE_KEY_ACCESS_TOKEN,
};

typedef struct {
  GMainLoop   *loop;
  char        *path;
  MatrixStore *saved;
  int          status;
} Login;

static void
on_saved (GObject      *source,
          GAsyncResult *result,
          gpointer      user_data)
{
  Login *login = user_data;
  g_autoptr(GError) error = NULL;

  if (!matrix_memory_store_save_finish (MATRIX_MEMORY_STORE (source), result, &error))
    {
      g_printerr ("Could not save the session to %s: %s\n", login->path, error->message);
      login->status = 1;
    }

  g_main_loop_quit (login->loop);
}

static void
on_logged_in (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  MatrixClient *client = MATRIX_CLIENT (source);
  Login *login = user_data;
  g_autoptr(GError) error = NULL;

  if (!matrix_client_login_finish (client, result, &error))
    {
      g_printerr ("Login failed: %s\n", error->message);
      login->status = 1;
      g_main_loop_quit (login->loop);
      return;
    }

  /* The new session replaces any saved one, sync token and all; only now,
   * so a failed login keeps it. */
  if (g_unlink (login->path) != 0 && errno != ENOENT)
    g_printerr ("Could not remove the old session %s: %s\n", login->path, g_strerror (errno));
  login->saved = matrix_memory_store_new_for_file (login->path, &error);
  if (login->saved == NULL)
    {
      g_printerr ("Could not save the session to %s: %s\n", login->path, error->message);
      login->status = 1;
      g_main_loop_quit (login->loop);
      return;
    }
  for (guint i = 0; i < G_N_ELEMENTS (session_keys); i++)
    matrix_store_set_value (login->saved, session_keys[i],
                            matrix_store_get_value (matrix_client_get_store (client),
                                                    session_keys[i]));

  g_print ("Logged in as %s (device %s); session saved to %s\n",
           matrix_client_get_user_id (client), matrix_client_get_device_id (client), login->path);
  matrix_memory_store_save_async (MATRIX_MEMORY_STORE (login->saved), NULL, on_saved, login);
}

static char *
read_password (gboolean from_stdin)
{
  char buffer[1024];

  if (!from_stdin && g_getenv ("CONFAB_PASSWORD") != NULL)
    return g_strdup (g_getenv ("CONFAB_PASSWORD"));

  if (!from_stdin)
    g_printerr ("Password: ");
  if (fgets (buffer, sizeof buffer, stdin) == NULL)
    return NULL;

  return g_strchomp (g_strdup (buffer));
}

int
main (int   argc,
      char *argv[])
{
  gboolean password_stdin = FALSE;
  GOptionEntry entries[] = {
    { "password-stdin", 0, 0, G_OPTION_ARG_NONE, &password_stdin, "Read the password from standard input", NULL },
    { NULL }
  };
  g_autoptr(GOptionContext) context = g_option_context_new ("HOMESERVER USER");
  g_autoptr(GError) error = NULL;
  g_autoptr(MatrixStore) store = NULL;
  g_autoptr(MatrixClient) client = NULL;
  g_autofree char *password = NULL;
  Login login = { 0, };

  g_option_context_add_main_entries (context, entries, NULL);
  g_option_context_set_summary (context, "Logs in to a Matrix homeserver and saves the session "
                                         "for the other examples.");
  if (!g_option_context_parse (context, &argc, &argv, &error) || argc != 3)
    {
      g_printerr ("%s\n", error != NULL ? error->message
                                        : "Usage: login HOMESERVER USER [--password-stdin]");
      return 2;
    }

  password = read_password (password_stdin);
  if (password == NULL)
    {
      g_printerr ("No password given\n");
      return 2;
    }

  login.loop = g_main_loop_new (NULL, FALSE);
  login.path = example_session_default_path ();
  store = matrix_memory_store_new ();
  client = matrix_client_new (argv[1], store);
  /* What the user's list of sessions shows for the device this creates. */
  matrix_client_set_device_display_name (client, "matrix-glib example bot");

  matrix_client_login_async (client, argv[2], password, NULL, on_logged_in, &login);
  g_main_loop_run (login.loop);

  g_main_loop_unref (login.loop);
  g_clear_object (&login.saved);
  g_free (login.path);
  return login.status;
}
