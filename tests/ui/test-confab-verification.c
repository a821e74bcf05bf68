/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "test-confab-verification"

/* Verification as the user meets it, in the real application against the
 * fake homeserver with a real crypto machine: the "not verified" banner,
 * cross-signing set up with the sign-in password, the Sessions page of
 * Preferences (listing, signing another session out with the password for
 * the server's user-interactive auth), the emoji dialog, and a real emoji
 * verification requested by a second session (its own machine, its own
 * fake homeserver; the test carries the to-device messages across). */

#include <string.h>
#include <glib/gstdio.h>

#include "confab-session.h"
#include "confab-sessions-page.h"
#include "confab-verification-dialog.h"
#include "confab-verify-banner.h"
#include "confab-window.h"
#include "matrix-client-crypto-private.h"
#include "matrix-crypto-private.h"
#include "matrix-json-private.h"
#include "test-utils.h"
#include "ui-test-utils.h"

#define SYNC "/_matrix/client/v3/sync"
#define DEVICES "/_matrix/client/v3/devices"
#define SIGNING_UPLOAD "/_matrix/client/v3/keys/device_signing/upload"
#define SIGNATURES_UPLOAD "/_matrix/client/v3/keys/signatures/upload"
#define USER "@alice:example.org"
#define UIA_401 "{\"session\":\"S1\",\"flows\":[{\"stages\":[\"m.login.password\"]}],\"params\":{}}"
#define TIMEOUT 20000
#define KEYS_UPLOAD "/_matrix/client/v3/keys/upload"
#define KEYS_QUERY "/_matrix/client/v3/keys/query"
#define TO_DEVICE "/_matrix/client/v3/sendToDevice/"
#define OTK_COUNTS "{\"one_time_key_counts\":{\"signed_curve25519\":50}}"

static GApplication *app;

typedef struct {
  FakeHomeserver *server;
  ConfabWindow   *window;
  MatrixStore    *store;
} Fixture;

static void
queue_sync (Fixture *f)
{
  fake_homeserver_queue_json (f->server, "GET", SYNC "?timeout=30000", 200,
                              "{\"next_batch\":\"s1\"}", FALSE);
  fake_homeserver_queue_held (f->server, "GET", SYNC "?since=s1&timeout=30000", 200,
                              "application/json", "{\"next_batch\":\"s1\"}");
}

/* A saved session of alice on DEV1: the app restores it at start. */
static void
fixture_setup (Fixture       *f,
               gconstpointer  data)
{
  g_autofree char *session_path = confab_session_get_path ();
  g_autofree char *dir = confab_session_get_store_dir (USER);
  g_autofree char *token_path = g_build_filename (dir, "session-token", NULL);
  g_autofree char *contents = NULL;

  ui_test_clear_data_home ();
  f->server = fake_homeserver_new ();
  if (data != NULL)
    return;
  contents = g_strdup_printf ("[Session]\nhomeserver=%s\nuser_id=" USER "\ndevice_id=DEV1\n",
                              fake_homeserver_get_url (f->server));
  g_assert_cmpint (g_mkdir_with_parents (dir, 0700), ==, 0);
  g_assert_true (g_file_set_contents (session_path, contents, -1, NULL));
  g_assert_true (g_file_set_contents (token_path, "tok", -1, NULL));
  g_assert_cmpint (g_chmod (token_path, 0600), ==, 0);
}

static GtkWindow *
toplevel_other_than (ConfabWindow *window)
{
  GList *toplevels = gtk_window_list_toplevels ();
  GtkWindow *other = NULL;

  for (GList *l = toplevels; l != NULL && other == NULL; l = l->next)
    if (l->data != (gpointer) window)
      other = l->data;
  g_list_free (toplevels);
  return other;
}

static gboolean
store_gone (gpointer data)
{
  return ((Fixture *) data)->store == NULL;
}

static void
fixture_teardown (Fixture       *f,
                  gconstpointer  data)
{
  GtkWindow *other;

  /* Dialogs first, one at a time: destroying one may take others along. */
  while ((other = toplevel_other_than (f->window)) != NULL)
    {
      gtk_window_destroy (other);
      iterate_for (20);
    }
  if (f->window != NULL)
    {
      MatrixClient *client = confab_window_get_client (f->window);

      if (client != NULL)
        {
          f->store = matrix_client_get_store (client);
          g_object_add_weak_pointer (G_OBJECT (f->store), (gpointer *) &f->store);
        }
      gtk_window_destroy (GTK_WINDOW (f->window));
      ui_wait_until (store_gone, f, 5000, "the store closed");
    }
  iterate_for (50);
  g_assert_cmpuint (fake_homeserver_get_n_unmatched (f->server), ==, 0);
  g_object_unref (f->server);
  ui_test_clear_data_home ();
}

/* Every widget of @type under @root, shown or not. */
static void
find_all (GtkWidget *root,
          GType      type,
          GPtrArray *found)
{
  if (g_type_is_a (G_OBJECT_TYPE (root), type))
    g_ptr_array_add (found, root);
  for (GtkWidget *child = gtk_widget_get_first_child (root); child != NULL;
       child = gtk_widget_get_next_sibling (child))
    find_all (child, type, found);
}

static gpointer
find_one (GtkWidget *root,
          GType      type)
{
  g_autoptr(GPtrArray) found = g_ptr_array_new ();

  find_all (root, type, found);
  return found->len > 0 ? g_ptr_array_index (found, 0) : NULL;
}

static AdwActionRow *
row_titled (GtkWidget  *root,
            const char *title)
{
  g_autoptr(GPtrArray) rows = g_ptr_array_new ();

  find_all (root, ADW_TYPE_ACTION_ROW, rows);
  for (guint i = 0; i < rows->len; i++)
    if (g_strcmp0 (adw_preferences_row_get_title (g_ptr_array_index (rows, i)), title) == 0)
      return g_ptr_array_index (rows, i);
  return NULL;
}

static GtkWidget *
button_labelled (GtkWidget  *root,
                 const char *label)
{
  g_autoptr(GPtrArray) buttons = g_ptr_array_new ();

  find_all (root, GTK_TYPE_BUTTON, buttons);
  for (guint i = 0; i < buttons->len; i++)
    if (g_strcmp0 (gtk_button_get_label (g_ptr_array_index (buttons, i)), label) == 0)
      return g_ptr_array_index (buttons, i);
  return NULL;
}

static GtkWidget *
find_label (GtkWidget  *root,
            const char *text)
{
  g_autoptr(GPtrArray) labels = g_ptr_array_new ();

  find_all (root, GTK_TYPE_LABEL, labels);
  for (guint i = 0; i < labels->len; i++)
    if (g_strcmp0 (gtk_label_get_text (g_ptr_array_index (labels, i)), text) == 0)
      return g_ptr_array_index (labels, i);
  return NULL;
}

static GtkWindow *
toplevel_of_type (GType type)
{
  GList *toplevels = gtk_window_list_toplevels ();
  GtkWindow *window = NULL;

  for (GList *l = toplevels; l != NULL && window == NULL; l = l->next)
    if (g_type_is_a (G_OBJECT_TYPE (l->data), type) && gtk_widget_get_visible (l->data))
      window = l->data;
  g_list_free (toplevels);
  return window;
}

static gboolean
encryption_on (gpointer data)
{
  Fixture *f = data;
  MatrixClient *client = f->window ? confab_window_get_client (f->window) : NULL;

  return client != NULL && matrix_client_get_encryption_enabled (client);
}

static void
start_restored (Fixture *f)
{
  queue_sync (f);
  g_application_activate (app);
  f->window = CONFAB_WINDOW (gtk_application_get_active_window (GTK_APPLICATION (app)));
  gtk_window_set_default_size (GTK_WINDOW (f->window), 900, 700);
  ui_wait_until (encryption_on, f, TIMEOUT, "encryption enabled");
}

static const char *
banner_mode (Fixture *f)
{
  return confab_verify_banner_get_mode (find_one (GTK_WIDGET (f->window),
                                                  CONFAB_TYPE_VERIFY_BANNER));
}

static gboolean
banner_unverified (gpointer data)
{
  return g_strcmp0 (banner_mode (data), "unverified") == 0;
}

static gboolean
page_loaded (gpointer data)
{
  return confab_sessions_page_is_loaded (data);
}

static JsonObject *
request_body (FakeRequest *request)
{
  g_autoptr(JsonNode) node = fake_request_parse_json (request);

  g_assert_nonnull (node);
  g_assert_true (JSON_NODE_HOLDS_OBJECT (node));
  return json_object_ref (json_node_get_object (node));
}

static GPtrArray *
requests_to (Fixture    *f,
             const char *method,
             const char *path)
{
  GPtrArray *all = fake_homeserver_get_requests (f->server);
  GPtrArray *found = g_ptr_array_new ();

  for (guint i = 0; i < all->len; i++)
    {
      FakeRequest *request = g_ptr_array_index (all, i);

      if (g_str_equal (request->method, method) && g_str_equal (request->path, path))
        g_ptr_array_add (found, request);
    }
  return found;
}

/* The selectable value of the row titled @title. */
static const char *
row_value (gpointer    root,
           const char *title)
{
  AdwActionRow *row = row_titled (root, title);
  g_autoptr(GPtrArray) labels = g_ptr_array_new ();

  if (row == NULL)
    return NULL;
  find_all (GTK_WIDGET (row), GTK_TYPE_LABEL, labels);
  for (guint i = 0; i < labels->len; i++)
    if (gtk_label_get_selectable (g_ptr_array_index (labels, i)))
      return gtk_label_get_text (g_ptr_array_index (labels, i));
  return NULL;
}

static gboolean
verify_offered (gpointer data)
{
  AdwActionRow *row = row_titled (data, "Verification");

  return row != NULL && button_labelled (GTK_WIDGET (row), "Verify") != NULL;
}

typedef struct {
  Fixture            *f;
  ConfabSessionsPage *page;
} SignedOut;

static gboolean
other_signed_out (gpointer data)
{
  SignedOut *s = data;

  return fake_homeserver_count_requests (s->f->server, "DELETE", DEVICES "/OTHER") == 2 &&
         confab_sessions_page_is_loaded (s->page) &&
         row_titled (GTK_WIDGET (s->page), "Phone") == NULL;
}

/* An unverified session shows the banner; Preferences lists this session
 * (id, fingerprint) and the other one (name, id, when last seen, no keys),
 * and signing the other out asks for the password: the server's 401, then
 * the same request with m.login.password auth in its body. */
static void
test_sessions_page (Fixture       *f,
                    gconstpointer  data)
{
  GtkWindow *prefs, *dialog;
  ConfabSessionsPage *page;
  AdwActionRow *row;
  const char *fingerprint;
  g_autoptr(GPtrArray) deletes = NULL;
  g_autoptr(JsonObject) first = NULL, second = NULL;
  g_autofree char *png = NULL;
  JsonObject *auth;

  fake_homeserver_queue_json (f->server, "GET", DEVICES, 200,
                              "{\"devices\":["
                              "{\"device_id\":\"DEV1\",\"display_name\":\"Confab on Laptop\"},"
                              "{\"device_id\":\"OTHER\",\"display_name\":\"Phone\","
                              "\"last_seen_ts\":1700000000000,\"last_seen_ip\":\"10.0.0.1\"}]}",
                              FALSE);
  fake_homeserver_queue_json (f->server, "GET", DEVICES, 200,
                              "{\"devices\":[{\"device_id\":\"DEV1\","
                              "\"display_name\":\"Confab on Laptop\"}]}", FALSE);
  start_restored (f);
  ui_wait_until (banner_unverified, f, TIMEOUT, "the banner offering to verify");

  g_action_group_activate_action (G_ACTION_GROUP (app), "preferences", NULL);
  prefs = toplevel_of_type (ADW_TYPE_PREFERENCES_WINDOW);
  g_assert_nonnull (prefs);
  page = find_one (GTK_WIDGET (prefs), CONFAB_TYPE_SESSIONS_PAGE);
  g_assert_nonnull (page);
  adw_preferences_window_set_visible_page (ADW_PREFERENCES_WINDOW (prefs),
                                           ADW_PREFERENCES_PAGE (page));
  gtk_window_set_default_size (prefs, 640, 720);
  ui_wait_until (page_loaded, page, TIMEOUT, "the sessions listed");

  row = row_titled (GTK_WIDGET (page), "Phone");
  g_assert_nonnull (row);
  g_assert_nonnull (strstr (adw_action_row_get_subtitle (row), "OTHER"));
  g_assert_nonnull (strstr (adw_action_row_get_subtitle (row), "last seen 14 Nov 2023, 22:13"));
  g_assert_nonnull (strstr (adw_action_row_get_subtitle (row), "No encryption keys"));
  /* No keys, nothing to verify against: only "Sign Out". */
  g_assert_null (button_labelled (GTK_WIDGET (row), "Verify"));
  g_assert_cmpstr (row_value (page, "Session ID"), ==, "DEV1");
  g_assert_cmpstr (row_value (page, "Name"), ==, "Confab on Laptop");
  /* 43 characters of unpadded base64, in groups of four. */
  fingerprint = row_value (page, "Fingerprint");
  g_assert_nonnull (fingerprint);
  g_assert_cmpuint (strlen (fingerprint), ==, 43 + 10);
  g_assert_cmpint (fingerprint[4], ==, ' ');
  ui_wait_until (verify_offered, page, TIMEOUT, "this session offered for verification");
  row = row_titled (GTK_WIDGET (page), "Verification");
  g_assert_cmpstr (adw_action_row_get_subtitle (row), ==,
                   "Not verified: verify it with another of your sessions");
  ui_wait_frames (GTK_WIDGET (prefs), 3);
  png = ui_save_png (GTK_WIDGET (prefs), "sessions-page.png");

  fake_homeserver_queue_json (f->server, "DELETE", DEVICES "/OTHER", 401, UIA_401, FALSE);
  fake_homeserver_queue_json (f->server, "DELETE", DEVICES "/OTHER", 200, "{}", FALSE);
  g_signal_emit_by_name (button_labelled (GTK_WIDGET (row_titled (GTK_WIDGET (page), "Phone")),
                                          "Sign Out"), "clicked");
  dialog = toplevel_of_type (ADW_TYPE_MESSAGE_DIALOG);
  g_assert_nonnull (dialog);
  gtk_editable_set_text (GTK_EDITABLE (adw_message_dialog_get_extra_child (ADW_MESSAGE_DIALOG (dialog))),
                         "secret-pw");
  adw_message_dialog_response (ADW_MESSAGE_DIALOG (dialog), "sign-out");
  ui_wait_until (other_signed_out, &(SignedOut) { f, page }, TIMEOUT, "the other session gone");

  deletes = requests_to (f, "DELETE", DEVICES "/OTHER");
  g_assert_cmpuint (deletes->len, ==, 2);
  first = request_body (g_ptr_array_index (deletes, 0));
  second = request_body (g_ptr_array_index (deletes, 1));
  g_assert_false (json_object_has_member (first, "auth"));
  auth = json_object_get_object_member (second, "auth");
  g_assert_nonnull (auth);
  g_assert_cmpstr (json_object_get_string_member (auth, "type"), ==, "m.login.password");
  g_assert_cmpstr (json_object_get_string_member (auth, "session"), ==, "S1");
  g_assert_cmpstr (json_object_get_string_member (auth, "password"), ==, "secret-pw");
}

static gboolean
bootstrapped (gpointer data)
{
  Fixture *f = data;

  return fake_homeserver_count_requests (f->server, "POST", SIGNATURES_UPLOAD) == 1;
}

/* A first sign-in with a password sets up cross-signing with it (the
 * server's 401, then the upload with m.login.password auth), and forgets
 * it; the session is then verified and no banner offers to verify it. */
static void
test_login_bootstraps (Fixture       *f,
                       gconstpointer  data)
{
  g_autoptr(GPtrArray) uploads = NULL;
  g_autoptr(JsonObject) first = NULL, second = NULL;
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  gboolean verified = FALSE;
  JsonObject *auth;

  fake_homeserver_queue_json (f->server, "POST", "/_matrix/client/v3/login", 200,
                              "{\"user_id\":\"" USER "\",\"access_token\":\"tok\","
                              "\"device_id\":\"DEV1\"}", FALSE);
  fake_homeserver_queue_json (f->server, "POST", SIGNING_UPLOAD, 401, UIA_401, FALSE);
  fake_homeserver_queue_json (f->server, "POST", SIGNING_UPLOAD, 200, "{}", FALSE);
  fake_homeserver_queue_json (f->server, "POST", SIGNATURES_UPLOAD, 200, "{\"failures\":{}}",
                              FALSE);
  queue_sync (f);

  f->window = confab_window_new (GTK_APPLICATION (app));
  gtk_window_set_default_size (GTK_WINDOW (f->window), 900, 700);
  gtk_window_present (GTK_WINDOW (f->window));
  confab_window_sign_in (f->window, fake_homeserver_get_url (f->server), "alice", "secret-pw");
  ui_wait_until (bootstrapped, f, TIMEOUT, "cross-signing set up");

  uploads = requests_to (f, "POST", SIGNING_UPLOAD);
  g_assert_cmpuint (uploads->len, ==, 2);
  first = request_body (g_ptr_array_index (uploads, 0));
  second = request_body (g_ptr_array_index (uploads, 1));
  g_assert_false (json_object_has_member (first, "auth"));
  g_assert_true (json_object_has_member (first, "master_key"));
  auth = json_object_get_object_member (second, "auth");
  g_assert_nonnull (auth);
  g_assert_cmpstr (json_object_get_string_member (auth, "password"), ==, "secret-pw");

  matrix_client_get_session_verified_async (confab_window_get_client (f->window), NULL,
                                            store_result, &result);
  wait_for_pointer ((gpointer *) &result, TIMEOUT);
  g_assert_true (matrix_client_get_session_verified_finish (confab_window_get_client (f->window),
                                                            result, &verified, &error));
  g_assert_no_error (error);
  g_assert_true (verified);
  iterate_for (200);
  g_assert_cmpstr (banner_mode (f), ==, "hidden");
}

static gboolean
devices_listed (gpointer data)
{
  return row_titled (data, "Phone") != NULL;
}

/* The dialog lists the other sessions to verify with (one without keys
 * cannot be chosen), then shows the seven emoji with their names and the
 * two answers. */
static void
test_emoji_dialog (Fixture       *f,
                   gconstpointer  data)
{
  static const char * const emoji[] = { "🐶", "🔑", "🎅", "🚀", "🌈", "🎸", "⚓", NULL };
  static const char * const names[] = { "Dog", "Key", "Santa", "Rocket", "Rainbow", "Guitar",
                                        "Anchor", NULL };
  ConfabVerificationDialog *dialog;
  g_autoptr(GPtrArray) children = g_ptr_array_new ();
  g_autoptr(GPtrArray) labels = g_ptr_array_new ();
  g_autofree char *png = NULL;
  AdwActionRow *row;

  fake_homeserver_queue_json (f->server, "GET", DEVICES, 200,
                              "{\"devices\":[{\"device_id\":\"DEV1\"},"
                              "{\"device_id\":\"OTHER\",\"display_name\":\"Phone\"}]}", FALSE);
  start_restored (f);
  dialog = confab_verification_dialog_new (GTK_WINDOW (f->window),
                                           confab_window_get_client (f->window));
  confab_verification_dialog_list_sessions (dialog);
  gtk_window_present (GTK_WINDOW (dialog));
  g_assert_cmpstr (confab_verification_dialog_get_page (dialog), ==, "choose");
  ui_wait_until (devices_listed, dialog, TIMEOUT, "the other session listed");
  row = row_titled (GTK_WIDGET (dialog), "Phone");
  g_assert_false (gtk_widget_get_sensitive (GTK_WIDGET (row)));
  g_assert_null (row_titled (GTK_WIDGET (dialog), "DEV1"));

  confab_verification_dialog_show_emoji (dialog, emoji, names);
  g_assert_cmpstr (confab_verification_dialog_get_page (dialog), ==, "emoji");
  find_all (GTK_WIDGET (dialog), GTK_TYPE_FLOW_BOX_CHILD, children);
  g_assert_cmpuint (children->len, ==, 7);
  find_all (g_ptr_array_index (children, 3), GTK_TYPE_LABEL, labels);
  g_assert_cmpuint (labels->len, ==, 2);
  g_assert_cmpstr (gtk_label_get_text (g_ptr_array_index (labels, 0)), ==, "🚀");
  g_assert_cmpstr (gtk_label_get_text (g_ptr_array_index (labels, 1)), ==, "Rocket");
  g_assert_nonnull (button_labelled (GTK_WIDGET (dialog), "They Match"));
  g_assert_nonnull (button_labelled (GTK_WIDGET (dialog), "They Don't Match"));
  ui_wait_frames (GTK_WIDGET (dialog), 3);
  png = ui_save_png (GTK_WIDGET (dialog), "verification-emoji.png");
  gtk_window_destroy (GTK_WINDOW (dialog));
}


/* --- a real emoji verification, with a second session ---------------------- */

static void
remove_tree (const char *path)
{
  g_autoptr(GDir) dir = g_dir_open (path, 0, NULL);
  const char *name;

  while (dir != NULL && (name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *child = g_build_filename (path, name, NULL);

      if (g_file_test (child, G_FILE_TEST_IS_DIR) && !g_file_test (child, G_FILE_TEST_IS_SYMLINK))
        remove_tree (child);
      else
        g_unlink (child);
    }
  g_rmdir (path);
}

/* Alice's other session, PHONE: a client with its own crypto machine on its
 * own fake homeserver. The test carries the to-device messages each side
 * sends into the other's next sync, as a homeserver would. */
typedef struct {
  FakeHomeserver *server;
  guint           next_batch;   /* of the held sync */
  guint           relayed;      /* to-device requests already carried over */
} Side;

static void
side_hold_sync (Side *side)
{
  g_autofree char *path = g_strdup_printf (SYNC "?since=b%u&timeout=30000", side->next_batch);

  fake_homeserver_queue_held (side->server, "GET", path, 200, "application/json", "{}");
}

/* Answers @to's held sync with @extra (members of the sync body, may be
 * empty) and holds the next one. */
static void
side_answer_sync (Side       *to,
                  const char *extra)
{
  g_autofree char *body = NULL;

  to->next_batch++;
  side_hold_sync (to);
  body = g_strdup_printf ("{\"next_batch\":\"b%u\"%s%s}", to->next_batch,
                          *extra ? "," : "", extra);
  g_assert_cmpuint (fake_homeserver_release_with (to->server, body), ==, 1);
}

static gboolean
side_held (gpointer data)
{
  return fake_homeserver_get_n_held (((Side *) data)->server) == 1;
}

/* Carries what @from sent to devices since the last time into @to's sync;
 * returns how many messages. */
static guint
relay (Side *from,
       Side *to)
{
  GPtrArray *requests = fake_homeserver_get_requests (from->server);
  g_autoptr(GString) events = g_string_new (NULL);
  guint n = 0, seen = 0;

  for (guint i = 0; i < requests->len; i++)
    {
      FakeRequest *request = g_ptr_array_index (requests, i);
      g_autoptr(JsonObject) body = NULL;
      g_auto(GStrv) parts = NULL;
      JsonObject *messages, *devices;
      GList *ids;

      if (!g_str_equal (request->method, "PUT") || !g_str_has_prefix (request->path, TO_DEVICE))
        continue;
      if (seen++ < from->relayed)
        continue;
      parts = g_strsplit (request->path + strlen (TO_DEVICE), "/", 2);
      body = request_body (request);
      messages = json_object_get_object_member (body, "messages");
      devices = json_object_get_object_member (messages, USER);
      ids = json_object_get_members (devices);
      for (GList *l = ids; l != NULL; l = l->next)
        {
          g_autoptr(GString) content = g_string_new (NULL);

          _matrix_json_append_object (content, json_object_get_object_member (devices, l->data));
          g_string_append_printf (events, "%s{\"type\":\"%s\",\"sender\":\"" USER "\","
                                  "\"content\":%s}", n > 0 ? "," : "", parts[0], content->str);
          n++;
        }
      g_list_free (ids);
    }
  from->relayed = seen;
  if (n > 0)
    {
      g_autofree char *extra = g_strdup_printf ("\"to_device\":{\"events\":[%s]}", events->str);

      ui_wait_until (side_held, to, TIMEOUT, "the other side's sync waiting");
      side_answer_sync (to, extra);
    }
  return n;
}

static guint
n_sent (Side *side)
{
  GPtrArray *requests = fake_homeserver_get_requests (side->server);
  guint n = 0;

  for (guint i = 0; i < requests->len; i++)
    {
      FakeRequest *request = g_ptr_array_index (requests, i);

      n += g_str_equal (request->method, "PUT") && g_str_has_prefix (request->path, TO_DEVICE);
    }
  return n;
}

typedef struct {
  Side  *side;
  guint  n;
} SentCount;

static gboolean
sent_more (gpointer data)
{
  SentCount *count = data;

  return n_sent (count->side) > count->n;
}

/* Relays from @from to @to once @from has sent something new. */
static void
relay_when_sent (Side       *from,
                 Side       *to,
                 const char *what)
{
  SentCount count = { from, from->relayed };

  ui_wait_until (sent_more, &count, TIMEOUT, what);
  g_assert_cmpuint (relay (from, to), >, 0);
}

static char *
device_keys_of (FakeHomeserver *server)
{
  g_autoptr(GPtrArray) uploads = g_ptr_array_new ();
  GPtrArray *all = fake_homeserver_get_requests (server);
  g_autoptr(GString) text = g_string_new (NULL);

  for (guint i = 0; i < all->len; i++)
    {
      FakeRequest *request = g_ptr_array_index (all, i);
      g_autoptr(JsonObject) body = NULL;

      if (!g_str_equal (request->path, KEYS_UPLOAD))
        continue;
      body = request_body (request);
      if (json_object_has_member (body, "device_keys"))
        {
          _matrix_json_append_object (text, json_object_get_object_member (body, "device_keys"));
          return g_strdup (text->str);
        }
    }
  return NULL;
}

static gboolean
keys_uploaded (gpointer data)
{
  char *keys = device_keys_of (data);
  gboolean done = keys != NULL;

  g_free (keys);
  return done;
}

static gboolean
queried (gpointer data)
{
  return fake_homeserver_count_requests (data, "POST", KEYS_QUERY) > 0;
}

typedef struct {
  MatrixVerification      *verification;
  MatrixVerificationState  state;
} WantState;

static gboolean
in_state (gpointer data)
{
  WantState *want = data;

  return matrix_verification_get_state (want->verification) == want->state;
}

static gboolean
banner_request (gpointer data)
{
  return g_strcmp0 (banner_mode (data), "request") == 0;
}

typedef struct {
  ConfabVerificationDialog *dialog;
  const char               *page;
} WantPage;

static gboolean
on_page (gpointer data)
{
  WantPage *want = data;

  return g_strcmp0 (confab_verification_dialog_get_page (want->dialog), want->page) == 0;
}

/* PHONE asks to verify this session: the banner says so, "Verify" opens the
 * dialog, which accepts; once the keys are exchanged it shows the same
 * seven emoji as PHONE's machine, and "They Match" confirms. */
static void
test_incoming_sas (Fixture       *f,
                   gconstpointer  data)
{
  g_autofree char *dir = g_dir_make_tmp ("test-confab-verification-XXXXXX", NULL);
  g_autofree char *crypto_path = g_build_filename (dir, "crypto", NULL);
  g_autofree char *phone_keys = NULL, *our_keys = NULL, *query = NULL;
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(MatrixCrypto) crypto = NULL;
  g_autoptr(MatrixStore) store = matrix_memory_store_new ();
  g_autoptr(MatrixClient) phone = NULL;
  g_autoptr(MatrixVerification) theirs = NULL;
  g_autoptr(GPtrArray) flow_children = g_ptr_array_new ();
  g_autofree char *png = NULL;
  ConfabVerificationDialog *dialog;
  GtkWidget *banner;
  const char * const *emoji;
  Side ours = { f->server, 1, 0 };
  Side other = { fake_homeserver_new (), 1, 0 };

  /* PHONE first: its keys must be on the server when this session asks. */
  fake_homeserver_queue_json (other.server, "POST", KEYS_UPLOAD, 200, OTK_COUNTS, TRUE);
  fake_homeserver_queue_json (other.server, "PUT", TO_DEVICE "*", 200, "{}", TRUE);
  fake_homeserver_queue_json (other.server, "GET", SYNC "?timeout=30000", 200,
                              "{\"next_batch\":\"b1\"}", FALSE);
  side_hold_sync (&other);
  _matrix_crypto_open_async (USER, "PHONE", crypto_path, "pass", NULL, store_result, &result);
  wait_for_pointer ((gpointer *) &result, TIMEOUT);
  crypto = _matrix_crypto_open_finish (result, &error);
  g_assert_no_error (error);
  matrix_store_set_value (store, MATRIX_STORE_KEY_ACCESS_TOKEN, "phonetoken");
  matrix_store_set_value (store, MATRIX_STORE_KEY_USER_ID, USER);
  matrix_store_set_value (store, MATRIX_STORE_KEY_DEVICE_ID, "PHONE");
  phone = matrix_client_new (fake_homeserver_get_url (other.server), store);
  _matrix_client_set_crypto (phone, crypto);
  matrix_client_start_sync (phone);
  ui_wait_until (keys_uploaded, other.server, TIMEOUT, "PHONE's keys uploaded");
  phone_keys = device_keys_of (other.server);

  /* This session: the server lists PHONE's keys. */
  query = g_strdup_printf ("{\"device_keys\":{\"" USER "\":{\"PHONE\":%s}},\"failures\":{}}",
                           phone_keys);
  fake_homeserver_queue_json (f->server, "POST", KEYS_UPLOAD, 200, OTK_COUNTS, TRUE);
  fake_homeserver_queue_json (f->server, "POST", KEYS_QUERY, 200, query, TRUE);
  fake_homeserver_queue_json (f->server, "PUT", TO_DEVICE "*", 200, "{}", TRUE);
  fake_homeserver_queue_json (f->server, "GET", SYNC "?timeout=30000", 200,
                              "{\"next_batch\":\"b1\"}", FALSE);
  side_hold_sync (&ours);
  g_application_activate (app);
  f->window = CONFAB_WINDOW (gtk_application_get_active_window (GTK_APPLICATION (app)));
  gtk_window_set_default_size (GTK_WINDOW (f->window), 900, 700);
  ui_wait_until (encryption_on, f, TIMEOUT, "encryption enabled");
  ui_wait_until (keys_uploaded, f->server, TIMEOUT, "this session's keys uploaded");
  ui_wait_until (queried, f->server, TIMEOUT, "PHONE's keys fetched");
  our_keys = device_keys_of (f->server);

  /* PHONE learns of this session's keys (its device list changed). */
  g_free (query);
  query = g_strdup_printf ("{\"device_keys\":{\"" USER "\":{\"DEV1\":%s}},\"failures\":{}}",
                           our_keys);
  fake_homeserver_queue_json (other.server, "POST", KEYS_QUERY, 200, query, TRUE);
  ui_wait_until (side_held, &other, TIMEOUT, "PHONE syncing");
  side_answer_sync (&other, "\"device_lists\":{\"changed\":[\"" USER "\"]}");
  ui_wait_until (queried, other.server, TIMEOUT, "this session's keys fetched by PHONE");

  /* The query's answer reaches PHONE's machine a moment after the request. */
  for (guint attempt = 0; theirs == NULL && attempt < 100; attempt++)
    {
      g_clear_object (&result);
      g_clear_error (&error);
      matrix_client_start_verification_async (phone, USER, "DEV1", NULL, store_result, &result);
      wait_for_pointer ((gpointer *) &result, TIMEOUT);
      theirs = matrix_client_start_verification_finish (phone, result, &error);
      if (theirs == NULL)
        iterate_for (100);
    }
  g_assert_no_error (error);
  relay_when_sent (&other, &ours, "PHONE's start");

  ui_wait_until (banner_request, f, TIMEOUT, "the banner announcing the request");
  banner = find_one (GTK_WIDGET (f->window), CONFAB_TYPE_VERIFY_BANNER);
  g_assert_nonnull (find_label (banner, "Your session PHONE wants to verify this session"));
  g_signal_emit_by_name (button_labelled (banner, "Verify"), "clicked");
  dialog = CONFAB_VERIFICATION_DIALOG (toplevel_of_type (CONFAB_TYPE_VERIFICATION_DIALOG));
  g_assert_nonnull (dialog);
  g_assert_cmpstr (banner_mode (f), !=, "request");

  relay_when_sent (&ours, &other, "the accept");
  relay_when_sent (&other, &ours, "PHONE's key");
  relay_when_sent (&ours, &other, "this session's key");
  ui_wait_until (on_page, &(WantPage) { dialog, "emoji" }, TIMEOUT, "the emoji shown");
  ui_wait_until (in_state, &(WantState) { theirs, MATRIX_VERIFICATION_KEYS_EXCHANGED }, TIMEOUT,
                 "PHONE showing its emoji");

  emoji = matrix_verification_get_emoji (theirs);
  g_assert_nonnull (emoji);
  g_assert_cmpuint (g_strv_length ((GStrv) emoji), ==, 7);
  find_all (GTK_WIDGET (dialog), GTK_TYPE_FLOW_BOX_CHILD, flow_children);
  g_assert_cmpuint (flow_children->len, ==, 7);
  for (guint i = 0; i < 7; i++)
    {
      g_autoptr(GPtrArray) labels = g_ptr_array_new ();

      find_all (g_ptr_array_index (flow_children, i), GTK_TYPE_LABEL, labels);
      g_assert_cmpstr (gtk_label_get_text (g_ptr_array_index (labels, 0)), ==, emoji[i]);
      g_assert_cmpstr (gtk_label_get_text (g_ptr_array_index (labels, 1)), ==,
                       matrix_verification_get_emoji_descriptions (theirs)[i]);
    }

  ui_wait_frames (GTK_WIDGET (dialog), 3);
  png = ui_save_png (GTK_WIDGET (dialog), "verification-sas.png");

  g_signal_emit_by_name (button_labelled (GTK_WIDGET (dialog), "They Match"), "clicked");
  relay_when_sent (&ours, &other, "this session's MAC");
  g_clear_object (&result);
  matrix_verification_confirm_async (theirs, NULL, store_result, &result);
  wait_for_pointer ((gpointer *) &result, TIMEOUT);
  g_assert_true (matrix_verification_confirm_finish (theirs, result, &error));
  g_assert_no_error (error);
  ui_wait_until (in_state, &(WantState) { theirs, MATRIX_VERIFICATION_DONE }, TIMEOUT,
                 "PHONE done");
  g_assert_cmpstr (confab_verification_dialog_get_page (dialog), !=, "cancelled");

  matrix_client_stop_sync (phone);
  g_clear_object (&phone);
  iterate_for (50);
  g_assert_cmpuint (fake_homeserver_get_n_unmatched (other.server), ==, 0);
  g_object_unref (other.server);
  g_clear_object (&crypto);
  iterate_for (50);
  remove_tree (dir);
}

int
main (int   argc,
      char *argv[])
{
  ui_test_init (&argc, &argv);
  app = G_APPLICATION (ui_test_get_application ());

  g_test_add ("/confab/verification/banner-and-sessions-page-sign-out", Fixture, NULL,
              fixture_setup, test_sessions_page, fixture_teardown);
  g_test_add ("/confab/verification/login-bootstraps-cross-signing", Fixture, "no session",
              fixture_setup, test_login_bootstraps, fixture_teardown);
  g_test_add ("/confab/verification/emoji-dialog", Fixture, NULL,
              fixture_setup, test_emoji_dialog, fixture_teardown);
  g_test_add ("/confab/verification/incoming-request-emoji-match", Fixture, NULL,
              fixture_setup, test_incoming_sas, fixture_teardown);

  return g_test_run ();
}
