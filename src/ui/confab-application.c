/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "confab-application"

#include "config.h"

#include <glib/gi18n.h>
#include <glib-unix.h>

#include "confab-application.h"
#include "confab-key-backup.h"
#include "confab-sessions-page.h"
#include "confab-preferences.h"
#include "confab-session.h"
#include "confab-startup-report.h"
#include "confab-ui.h"
#include "confab-window.h"

/**
 * ConfabApplication:
 *
 * The single-instance application. It opens one #ConfabWindow, which
 * either restores the saved session or asks to sign in; with
 * `--homeserver`, `--user` and `--password-file` it signs in straight away
 * (tools/run-demo uses that).
 */
struct _ConfabApplication
{
  AdwApplication  parent_instance;

  char           *homeserver;
  char           *user;
  char           *password;
  guint           terminate_source;
};

G_DEFINE_FINAL_TYPE (ConfabApplication, confab_application, ADW_TYPE_APPLICATION)

static const GOptionEntry options[] = {
  { "homeserver", 0, 0, G_OPTION_ARG_STRING, NULL,
    N_("Sign in to this server (a name or a URL)"), N_("SERVER") },
  { "user", 0, 0, G_OPTION_ARG_STRING, NULL,
    N_("Sign in as this user"), N_("USER") },
  { "password-file", 0, 0, G_OPTION_ARG_FILENAME, NULL,
    N_("Read the password from this file"), N_("FILE") },
  { NULL }
};

ConfabApplication *
confab_application_new (void)
{
  return g_object_new (CONFAB_TYPE_APPLICATION,
                       "application-id", APP_ID,
                       "flags", G_APPLICATION_HANDLES_OPEN,
                       "resource-base-path", RESOURCE_BASE_PATH,
                       NULL);
}

static int
confab_application_handle_local_options (GApplication *app,
                                         GVariantDict *dict)
{
  ConfabApplication *self = CONFAB_APPLICATION (app);
  g_autofree char *password_file = NULL;

  g_variant_dict_lookup (dict, "homeserver", "s", &self->homeserver);
  g_variant_dict_lookup (dict, "user", "s", &self->user);
  g_variant_dict_lookup (dict, "password-file", "^ay", &password_file);

  if (password_file != NULL)
    {
      g_autoptr(GError) error = NULL;
      char *text = NULL;

      /* Read before the main loop runs: a small local file, once. */
      if (!g_file_get_contents (password_file, &text, NULL, &error))
        {
          g_printerr (_("Could not read the password: %s\n"), error->message);
          return 1;
        }
      g_strchomp (text);
      self->password = text;
    }

  if ((self->homeserver != NULL) != (self->user != NULL) ||
      (self->password != NULL && self->user == NULL))
    {
      g_printerr (_("--homeserver, --user and --password-file go together\n"));
      return 1;
    }

  return -1;
}

static void
quit_activated (GSimpleAction *action,
                GVariant      *parameter,
                gpointer       user_data)
{
  GList *windows = gtk_application_get_windows (GTK_APPLICATION (user_data));

  /* Not g_application_quit(), which would stop at once: closing the windows
   * lets each flush its store, holding the application until that is done
   * (for a few seconds at most), and then the application exits by itself. */
  while (windows != NULL)
    {
      gtk_window_destroy (GTK_WINDOW (windows->data));
      windows = gtk_application_get_windows (GTK_APPLICATION (user_data));
    }
}

static void
about_activated (GSimpleAction *action,
                 GVariant      *parameter,
                 gpointer       user_data)
{
  GtkApplication *app = GTK_APPLICATION (user_data);
  static const char *developers[] = { "The Confab developers", NULL };

  adw_show_about_window (gtk_application_get_active_window (app),
                         "application-name", _("Confab"),
                         "application-icon", APP_ID,
                         "version", PACKAGE_VERSION,
                         "comments", _("Chat on Matrix"),
                         "developer-name", _("The Confab developers"),
                         "developers", developers,
                         "website", "https://github.com/confab/confab",
                         "issue-url", "https://github.com/confab/confab/issues",
                         "copyright", "© 2026 The Confab developers",
                         /* Translators: your names, one per line */
                         "translator-credits", _("translator-credits"),
                         "license-type", GTK_LICENSE_GPL_3_0,
                         NULL);
}

/* A notification was clicked: show its room. */
static void
open_room_activated (GSimpleAction *action,
                     GVariant      *parameter,
                     gpointer       user_data)
{
  GtkApplication *app = GTK_APPLICATION (user_data);
  GtkWindow *window = gtk_application_get_active_window (app);

  if (window == NULL)
    {
      g_application_activate (G_APPLICATION (app));
      window = gtk_application_get_active_window (app);
    }
  if (CONFAB_IS_WINDOW (window))
    {
      confab_window_select_room (CONFAB_WINDOW (window), g_variant_get_string (parameter, NULL));
      gtk_window_present (window);
    }
}

static void
preferences_activated (GSimpleAction *action,
                       GVariant      *parameter,
                       gpointer       user_data)
{
  GtkWindow *active = gtk_application_get_active_window (GTK_APPLICATION (user_data));
  GtkWindow *window = confab_preferences_new (active);
  MatrixClient *client = CONFAB_IS_WINDOW (active) ?
                         confab_window_get_client (CONFAB_WINDOW (active)) : NULL;

  if (client != NULL)
    {
      confab_key_backup_add_preferences (ADW_PREFERENCES_WINDOW (window), client);
      adw_preferences_window_add (ADW_PREFERENCES_WINDOW (window),
                                  ADW_PREFERENCES_PAGE (confab_sessions_page_new (client)));
    }

  gtk_window_present (window);
}

static const GActionEntry app_actions[] = {
  { "quit", quit_activated },
  { "preferences", preferences_activated },
  { "about", about_activated },
  { "open-room", open_room_activated, "s" },
};

/* A session logging out sends SIGTERM: quit as app.quit does, so that
 * the stores are flushed and closed. */
static gboolean
on_terminate (gpointer user_data)
{
  g_action_group_activate_action (G_ACTION_GROUP (user_data), "quit", NULL);
  return G_SOURCE_CONTINUE;
}

static void
confab_application_startup (GApplication *app)
{
  static const char *quit_accels[] = { "<Control>q", NULL };
  static const char *search_accels[] = { "<Control>k", NULL };
  static const char *close_accels[] = { "<Control>w", NULL };
  static const char *previous_accels[] = { "<Alt>Up", "<Control>Page_Up", NULL };
  static const char *next_accels[] = { "<Alt>Down", "<Control>Page_Down", NULL };

  /* The store of the saved session opens on its own thread while GTK starts. */
  if (CONFAB_APPLICATION (app)->homeserver == NULL)
    confab_session_prefetch ();

  /* Before chaining up: GtkApplication's start-up looks for gtk/help-overlay.ui
   * and AdwApplication's for style.css under the resource base path, and
   * quietly does without them if the bundle is not registered yet. */
  confab_ui_init ();

  G_APPLICATION_CLASS (confab_application_parent_class)->startup (app);
  g_action_map_add_action_entries (G_ACTION_MAP (app), app_actions, G_N_ELEMENTS (app_actions), app);
  gtk_application_set_accels_for_action (GTK_APPLICATION (app), "app.quit", quit_accels);
  gtk_application_set_accels_for_action (GTK_APPLICATION (app), "app.preferences",
                                         (const char *[]) { "<Control>comma", NULL });
  gtk_application_set_accels_for_action (GTK_APPLICATION (app), "win.search", search_accels);
  gtk_application_set_accels_for_action (GTK_APPLICATION (app), "window.close", close_accels);
  gtk_application_set_accels_for_action (GTK_APPLICATION (app), "win.previous-room", previous_accels);
  gtk_application_set_accels_for_action (GTK_APPLICATION (app), "win.next-room", next_accels);
  CONFAB_APPLICATION (app)->terminate_source = g_unix_signal_add (SIGTERM, on_terminate, app);
}

static void
confab_application_shutdown (GApplication *app)
{
  g_clear_handle_id (&CONFAB_APPLICATION (app)->terminate_source, g_source_remove);

  G_APPLICATION_CLASS (confab_application_parent_class)->shutdown (app);
}

static void
confab_application_activate (GApplication *app)
{
  ConfabApplication *self = CONFAB_APPLICATION (app);
  GtkWindow *window = gtk_application_get_active_window (GTK_APPLICATION (app));

  if (window == NULL)
    {
      window = GTK_WINDOW (confab_window_new (GTK_APPLICATION (app)));
      confab_startup_report_watch (window);

      if (self->homeserver != NULL)
        confab_window_sign_in (CONFAB_WINDOW (window), self->homeserver, self->user,
                               self->password);
      else
        confab_window_restore_session (CONFAB_WINDOW (window));
    }

  gtk_window_present (window);
}

/* `confab matrix:r/room:example.org`, or a matrix: link opened on the
 * desktop (the desktop file handles x-scheme-handler/matrix): the window
 * opens it, once signed in. */
static void
confab_application_open (GApplication  *app,
                         GFile        **files,
                         int            n_files,
                         const char    *hint)
{
  GtkWindow *window;

  g_application_activate (app);
  window = gtk_application_get_active_window (GTK_APPLICATION (app));
  for (int i = 0; i < n_files; i++)
    {
      g_autofree char *uri = g_file_get_uri (files[i]);

      gtk_widget_activate_action (GTK_WIDGET (window), "win.open-link", "s", uri);
    }
}

static void
confab_application_finalize (GObject *object)
{
  ConfabApplication *self = CONFAB_APPLICATION (object);

  g_clear_pointer (&self->homeserver, g_free);
  g_clear_pointer (&self->user, g_free);
  if (self->password != NULL)
    memset (self->password, 0, strlen (self->password));
  g_clear_pointer (&self->password, g_free);

  G_OBJECT_CLASS (confab_application_parent_class)->finalize (object);
}

static void
confab_application_class_init (ConfabApplicationClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GApplicationClass *app_class = G_APPLICATION_CLASS (klass);

  object_class->finalize = confab_application_finalize;
  app_class->handle_local_options = confab_application_handle_local_options;
  app_class->startup = confab_application_startup;
  app_class->shutdown = confab_application_shutdown;
  app_class->activate = confab_application_activate;
  app_class->open = confab_application_open;
}

static void
confab_application_init (ConfabApplication *self)
{
  g_application_add_main_option_entries (G_APPLICATION (self), options);
}
