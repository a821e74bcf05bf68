/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "test-confab-login-page"

#include <glib/gstdio.h>

#include "confab-login-page.h"
#include "confab-session.h"
#include "confab-window.h"
#include "ui-test-utils.h"

#define VERSIONS "/_matrix/client/versions"
#define LOGIN "/_matrix/client/v3/login"

typedef struct {
  FakeHomeserver  *server;
  ConfabWindow    *window;
  ConfabLoginPage *page;
} Fixture;

static void
fixture_setup (Fixture       *f,
               gconstpointer  data)
{
  ui_test_clear_data_home ();
  f->server = fake_homeserver_new ();
  f->window = confab_window_new (NULL);
  f->page = confab_window_get_login_page (f->window);
  gtk_window_set_default_size (GTK_WINDOW (f->window), 800, 600);
  gtk_window_present (GTK_WINDOW (f->window));
}

static void
fixture_teardown (Fixture       *f,
                  gconstpointer  data)
{
  gtk_window_destroy (GTK_WINDOW (f->window));
  iterate_for (50);
  g_assert_cmpuint (fake_homeserver_get_n_unmatched (f->server), ==, 0);
  g_object_unref (f->server);
  ui_test_clear_data_home ();
}

static gboolean
page_idle (gpointer data)
{
  Fixture *f = data;

  return !confab_login_page_get_busy (f->page);
}

static const char *
error_text (Fixture *f)
{
  g_assert_true (ui_child_visible (GTK_WIDGET (f->page), CONFAB_TYPE_LOGIN_PAGE, "error_label"));
  return ui_child_label (GTK_WIDGET (f->page), CONFAB_TYPE_LOGIN_PAGE, "error_label");
}

static void
test_wrong_password (Fixture       *f,
                     gconstpointer  data)
{
  g_autofree char *png = NULL;
  FakeRequest *request;

  fake_homeserver_queue_json (f->server, "GET", VERSIONS, 200, "{\"versions\":[\"v1.5\"]}", FALSE);
  fake_homeserver_queue_json (f->server, "POST", LOGIN, 403,
                              "{\"errcode\":\"M_FORBIDDEN\",\"error\":\"Invalid password\"}", FALSE);

  confab_window_sign_in (f->window, fake_homeserver_get_url (f->server), "alice", "wrong");
  g_assert_true (confab_login_page_get_busy (f->page));
  ui_wait_until (page_idle, f, 5000, "login finished");

  g_assert_cmpstr (error_text (f), ==, "Wrong user name or password.");
  request = fake_homeserver_get_last_request (f->server);
  g_assert_cmpstr (request->path, ==, LOGIN);
  g_assert_null (confab_window_get_client (f->window));

  ui_wait_frames (GTK_WIDGET (f->window), 2);
  png = ui_save_png (GTK_WIDGET (f->window), "login-wrong-password.png");
}

static GtkWidget *
password_row_of (Fixture *f)
{
  return GTK_WIDGET (gtk_widget_get_template_child (GTK_WIDGET (f->page), CONFAB_TYPE_LOGIN_PAGE,
                                                    "password_row"));
}

static gboolean
password_focused (gpointer data)
{
  Fixture *f = data;
  GtkWidget *focus = gtk_root_get_focus (GTK_ROOT (f->window));

  return focus != NULL && gtk_widget_has_focus (focus) && GTK_IS_TEXT (focus) &&
         gtk_widget_is_ancestor (focus, password_row_of (f));
}

static gboolean
login_held (gpointer data)
{
  return fake_homeserver_get_n_held (data) == 1;
}

/* Enter in the password entry signs in: the form goes insensitive while it
 * works. The focused entry must hear that it lost the focus (GTK 4.8 does
 * not tell a widget made insensitive: its cursor would go on blinking, and
 * GTK warns on the next frame, fatal in tests), and get it back when the
 * form is usable again. */
static void
test_busy_form_gives_focus_back (Fixture       *f,
                                 gconstpointer  data)
{
  GtkWidget *password_row = password_row_of (f);

  fake_homeserver_queue_json (f->server, "GET", VERSIONS, 200, "{\"versions\":[\"v1.5\"]}", FALSE);
  fake_homeserver_queue_held (f->server, "POST", LOGIN, 403, "application/json",
                              "{\"errcode\":\"M_FORBIDDEN\",\"error\":\"Invalid password\"}");
  confab_login_page_fill (f->page, fake_homeserver_get_url (f->server), "alice", "wrong");
  gtk_widget_grab_focus (password_row);
  ui_wait_until (password_focused, f, 5000, "the password entry focused");

  confab_login_page_submit (f->page);
  g_assert_true (confab_login_page_get_busy (f->page));
  g_assert_false (gtk_widget_is_sensitive (password_row));
  g_assert_false (password_focused (f));
  ui_wait_until (login_held, f->server, 5000, "the login request waiting");
  ui_wait_frames (GTK_WIDGET (f->window), 3);

  fake_homeserver_release (f->server);
  ui_wait_until (page_idle, f, 5000, "login finished");
  g_assert_cmpstr (error_text (f), ==, "Wrong user name or password.");
  ui_wait_until (password_focused, f, 5000, "the password entry focused again");
}

static void
test_no_server (Fixture       *f,
                gconstpointer  data)
{
  g_autoptr(GSocketListener) listener = g_socket_listener_new ();
  g_autoptr(GError) error = NULL;
  g_autofree char *url = NULL;
  guint16 port;

  /* A port that was free a moment ago: nothing answers there. */
  port = g_socket_listener_add_any_inet_port (listener, NULL, &error);
  g_assert_no_error (error);
  g_socket_listener_close (listener);
  url = g_strdup_printf ("http://127.0.0.1:%u", port);

  confab_window_sign_in (f->window, url, "alice", "secret");
  ui_wait_until (page_idle, f, 5000, "login finished");

  g_assert_cmpstr (error_text (f), ==, "Could not reach the server. Check your network connection.");
}

static void
test_not_a_homeserver (Fixture       *f,
                       gconstpointer  data)
{
  g_autofree char *expected = NULL;

  fake_homeserver_queue (f->server, "GET", VERSIONS, 404, "Not here", FALSE);

  confab_window_sign_in (f->window, fake_homeserver_get_url (f->server), "alice", "secret");
  ui_wait_until (page_idle, f, 5000, "login finished");

  expected = g_strdup_printf ("“%s” does not seem to be a Matrix server.",
                              fake_homeserver_get_url (f->server));
  g_assert_cmpstr (error_text (f), ==, expected);
}

static gboolean
has_client (gpointer data)
{
  Fixture *f = data;

  return confab_window_get_client (f->window) != NULL;
}

/* Written in one go, but a new file exists (empty) before it is written. */
static gboolean
session_saved (gpointer data)
{
  g_autofree char *contents = NULL;

  return g_file_get_contents (data, &contents, NULL, NULL) && strstr (contents, "DEV") != NULL;
}

static void
test_success_keeps_session (Fixture       *f,
                            gconstpointer  data)
{
  g_autofree char *path = confab_session_get_path ();
  g_autofree char *contents = NULL;
  GtkStack *stack;
  GStatBuf st;

  g_remove (path);
  fake_homeserver_queue_json (f->server, "GET", VERSIONS, 200, "{\"versions\":[\"v1.5\"]}", FALSE);
  fake_homeserver_queue_json (f->server, "POST", LOGIN, 200,
                              "{\"user_id\":\"@alice:example.org\",\"access_token\":\"sekrit\","
                              "\"device_id\":\"DEV\"}", FALSE);
  fake_homeserver_queue_held (f->server, "GET", "/_matrix/client/v3/sync?timeout=30000", 200,
                              "application/json", "{\"next_batch\":\"s1\"}");

  confab_window_sign_in (f->window, fake_homeserver_get_url (f->server), "alice", "right");
  ui_wait_until (has_client, f, 5000, "signed in");
  ui_wait_until (session_saved, path, 5000, "session saved");

  stack = GTK_STACK (gtk_widget_get_template_child (GTK_WIDGET (f->window), CONFAB_TYPE_WINDOW,
                                                    "main_stack"));
  g_assert_cmpstr (gtk_stack_get_visible_child_name (stack), ==, "rooms");
  g_assert_cmpstr (matrix_client_get_user_id (confab_window_get_client (f->window)), ==,
                   "@alice:example.org");

  /* Only its owner may read the file, and the access token is not in it:
   * it went to the account's store (the keyring, here its 0600 file). */
  g_assert_cmpint (g_stat (path, &st), ==, 0);
  g_assert_cmpint (st.st_mode & 0077, ==, 0);
  g_assert_true (g_file_get_contents (path, &contents, NULL, NULL));
  g_assert_null (strstr (contents, "sekrit"));
  g_assert_nonnull (strstr (contents, "@alice:example.org"));
  g_assert_nonnull (strstr (contents, fake_homeserver_get_url (f->server)));
  g_remove (path);
}

static void
test_error_words (void)
{
  struct {
    GError     *error;
    const char *expected;
  } cases[] = {
    { g_error_new_literal (MATRIX_ERROR, MATRIX_ERROR_FORBIDDEN, "Invalid password"),
      "Wrong user name or password." },
    { g_error_new_literal (MATRIX_ERROR, MATRIX_ERROR_LIMIT_EXCEEDED, "Slow down"),
      "Too many attempts. Wait a moment and try again." },
    { g_error_new_literal (G_RESOLVER_ERROR, G_RESOLVER_ERROR_NOT_FOUND, "No such host"),
      "Could not find the server “example.invalid”." },
    { g_error_new_literal (G_IO_ERROR, G_IO_ERROR_CONNECTION_REFUSED, "Refused"),
      "Could not reach the server. Check your network connection." },
    { g_error_new_literal (G_IO_ERROR, G_IO_ERROR_NETWORK_UNREACHABLE, "No route"),
      "Could not reach the server. Check your network connection." },
    { g_error_new_literal (G_TLS_ERROR, G_TLS_ERROR_BAD_CERTIFICATE, "Bad"),
      "The security certificate of “example.invalid” is not valid." },
    { g_error_new_literal (MATRIX_ERROR, MATRIX_ERROR_INVALID_JSON, "Not JSON"),
      "“example.invalid” does not seem to be a Matrix server." },
    /* What the server said, as plain text in a plain label. */
    { g_error_new_literal (MATRIX_ERROR, MATRIX_ERROR_SERVER, "<b>Registration closed</b>"),
      "Could not sign in: <b>Registration closed</b>" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *text = confab_login_page_describe_error (cases[i].error, "example.invalid");

      g_assert_cmpstr (text, ==, cases[i].expected);
      g_error_free (cases[i].error);
    }
}

static gboolean
session_without_token (gpointer data)
{
  g_autofree char *contents = NULL;

  return g_file_get_contents (data, &contents, NULL, NULL) &&
         strstr (contents, "user_id") != NULL && strstr (contents, "restored-token") == NULL;
}

static void
test_old_session_file_migrated (Fixture       *f,
                             gconstpointer  data)
{
  g_autofree char *path = confab_session_get_path ();
  g_autofree char *dir = g_path_get_dirname (path);
  g_autofree char *contents = NULL;
  g_autofree char *contents2 = NULL;
  FakeRequest *request;

  contents = g_strdup_printf ("[Session]\nhomeserver=%s\nuser_id=@bob:example.org\n"
                              "device_id=DEV\naccess_token=restored-token\n",
                              fake_homeserver_get_url (f->server));
  g_assert_cmpint (g_mkdir_with_parents (dir, 0700), ==, 0);
  g_assert_true (g_file_set_contents (path, contents, -1, NULL));
  fake_homeserver_queue_held (f->server, "GET", "/_matrix/client/v3/sync?timeout=30000", 200,
                              "application/json", "{\"next_batch\":\"s1\"}");

  confab_window_restore_session (f->window);
  ui_wait_until (has_client, f, 5000, "session restored");
  g_assert_cmpstr (matrix_client_get_user_id (confab_window_get_client (f->window)), ==, "@bob:example.org");

  /* Straight to the rooms: the first sync goes out with the saved token. */
  fake_homeserver_wait_for_requests (f->server, 1, 5000);
  request = fake_homeserver_get_last_request (f->server);
  g_assert_cmpstr (request->path, ==, "/_matrix/client/v3/sync");
  g_assert_cmpstr (soup_message_headers_get_one (request->headers, "Authorization"), ==,
                   "Bearer restored-token");

  /* An older Confab kept the token in session.ini: it moves to the store,
   * and the file is rewritten without it. */
  ui_wait_until (session_without_token, path, 5000, "session.ini rewritten without the token");
  g_assert_true (g_file_get_contents (path, &contents2, NULL, NULL));
  g_assert_nonnull (strstr (contents2, "device_id=DEV"));
  g_assert_nonnull (strstr (contents2, "user_id=@bob:example.org"));
  g_remove (path);
}

int
main (int   argc,
      char *argv[])
{
  ui_test_init (&argc, &argv);

  g_test_add_func ("/confab/login-page/error-words", test_error_words);
  g_test_add ("/confab/login-page/old-session-file-migrated", Fixture, NULL,
              fixture_setup, test_old_session_file_migrated, fixture_teardown);
  g_test_add ("/confab/login-page/wrong-password", Fixture, NULL,
              fixture_setup, test_wrong_password, fixture_teardown);
  g_test_add ("/confab/login-page/busy-form-gives-focus-back", Fixture, NULL,
              fixture_setup, test_busy_form_gives_focus_back, fixture_teardown);
  g_test_add ("/confab/login-page/no-server", Fixture, NULL,
              fixture_setup, test_no_server, fixture_teardown);
  g_test_add ("/confab/login-page/not-a-homeserver", Fixture, NULL,
              fixture_setup, test_not_a_homeserver, fixture_teardown);
  g_test_add ("/confab/login-page/success-keeps-session", Fixture, NULL,
              fixture_setup, test_success_keeps_session, fixture_teardown);

  return g_test_run ();
}
