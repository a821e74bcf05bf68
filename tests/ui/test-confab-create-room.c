/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "test-confab-create-room"

#include <glib/gstdio.h>

#include "confab-create-room-dialog.h"
#include "confab-window.h"
#include "matrix-client-crypto-private.h"
#include "ui-test-utils.h"

/* "New Room" as a user drives it against the fake homeserver: the address
 * checked as it is typed (malformed, taken, free), encryption on for a
 * private room and off for a public one, invitees checked, one /createRoom
 * with everything for one click (or two Enters), and the server's refusal
 * of a taken address in plain words. The user is @alice:example.org. */

#define SYNC "/_matrix/client/v3/sync"
#define CREATE "/_matrix/client/v3/createRoom"
#define ALIAS_PATH(local) "/_matrix/client/v3/directory/room/%23" local "%3Aexample.org"
#define TIMEOUT 20000

/* fixture_setup's data: TRUE (with encryption keys), FALSE, or this. */
#define LINK_BEFORE_SIGN_IN 2

typedef struct {
  FakeHomeserver *server;
  MatrixStore    *store;
  MatrixClient   *client;
  MatrixCrypto   *crypto;
  char           *crypto_dir;
  ConfabWindow   *window;
  guint           n_synced;
} Fixture;

static void
on_synced (MatrixClient *client,
           const char   *next_batch,
           Fixture      *f)
{
  f->n_synced++;
}

static gboolean
synced_once (gpointer data)
{
  return ((Fixture *) data)->n_synced >= 1;
}

static void
fixture_setup (Fixture       *f,
               gconstpointer  data)
{
  gboolean encrypting = GPOINTER_TO_INT (data) == TRUE;

  f->server = fake_homeserver_new ();
  f->store = logged_in_store_new ();
  matrix_store_set_value (f->store, MATRIX_STORE_KEY_USER_ID, "@alice:example.org");
  matrix_store_set_value (f->store, MATRIX_STORE_KEY_DEVICE_ID, "ALICEDEV");
  f->client = matrix_client_new (fake_homeserver_get_url (f->server), f->store);
  g_signal_connect (f->client, "synced", G_CALLBACK (on_synced), f);
  fake_homeserver_queue_json (f->server, "POST", "/_matrix/client/v3/join/*", 200,
                              "{\"room_id\":\"!book:example.org\"}", TRUE);
  if (encrypting)
    {
      g_autoptr(GAsyncResult) result = NULL;
      g_autoptr(GError) error = NULL;

      fake_homeserver_queue_json (f->server, "POST", "/_matrix/client/v3/keys/upload", 200,
                                  "{\"one_time_key_counts\":{\"signed_curve25519\":50}}", TRUE);
      fake_homeserver_queue_json (f->server, "POST", "/_matrix/client/v3/keys/query", 200,
                                  "{\"device_keys\":{},\"failures\":{}}", TRUE);
      f->crypto_dir = g_dir_make_tmp ("create-room-XXXXXX", &error);
      g_assert_no_error (error);
      _matrix_crypto_open_async ("@alice:example.org", "ALICEDEV", f->crypto_dir, "pass", NULL,
                                 store_result, &result);
      wait_for_pointer ((gpointer *) &result, TIMEOUT);
      f->crypto = _matrix_crypto_open_finish (result, &error);
      g_assert_no_error (error);
      _matrix_client_set_crypto (f->client, f->crypto);
    }

  f->window = confab_window_new (NULL);
  gtk_window_set_default_size (GTK_WINDOW (f->window), 900, 700);
  gtk_window_present (GTK_WINDOW (f->window));
  fake_homeserver_queue_json (f->server, "GET", SYNC "?timeout=30000", 200,
                              "{\"next_batch\":\"s1\"}", FALSE);
  fake_homeserver_queue_held (f->server, "GET", SYNC "?since=s1&timeout=30000", 200,
                              "application/json", "{\"next_batch\":\"s1\"}");
  if (GPOINTER_TO_INT (data) == LINK_BEFORE_SIGN_IN)
    {
      /* As `confab matrix:…` or the desktop's matrix: handler gives it,
       * before the session is restored: nothing asked yet, opened once
       * signed in. */
      g_assert_true (gtk_widget_activate_action (GTK_WIDGET (f->window), "win.open-link", "s",
                                                 "matrix:roomid/early:example.org?action=join"));
      iterate_for (100);
      g_assert_cmpuint (fake_homeserver_get_requests (f->server)->len, ==, 0);
    }
  confab_window_set_client (f->window, f->client);
  ui_wait_until (synced_once, f, 5000, "first sync");
}

static void
remove_tree (const char *path)
{
  g_autoptr(GDir) dir = g_dir_open (path, 0, NULL);
  const char *name;

  while (dir != NULL && (name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *child = g_build_filename (path, name, NULL);

      if (g_file_test (child, G_FILE_TEST_IS_DIR))
        remove_tree (child);
      else
        g_remove (child);
    }
  g_rmdir (path);
}

static void
fixture_teardown (Fixture       *f,
                  gconstpointer  data)
{
  gtk_window_destroy (GTK_WINDOW (f->window));
  matrix_client_stop_sync (f->client);
  if (f->crypto != NULL)
    _matrix_client_set_crypto (f->client, NULL);
  iterate_for (50);
  g_signal_handlers_disconnect_by_data (f->client, f);
  g_object_unref (f->client);
  g_clear_object (&f->crypto);
  g_object_unref (f->store);
  g_assert_cmpuint (fake_homeserver_get_n_unmatched (f->server), ==, 0);
  g_object_unref (f->server);
  if (f->crypto_dir != NULL)
    remove_tree (f->crypto_dir);
  g_free (f->crypto_dir);
}

static GtkWidget *
find_dialog (void)
{
  GListModel *toplevels = gtk_window_get_toplevels ();

  for (guint i = 0; i < g_list_model_get_n_items (toplevels); i++)
    {
      g_autoptr(GtkWidget) window = g_list_model_get_item (toplevels, i);

      if (CONFAB_IS_CREATE_ROOM_DIALOG (window) && gtk_widget_get_visible (window))
        return window;
    }
  return NULL;
}

static gboolean
dialog_closed (gpointer data)
{
  return find_dialog () == NULL;
}

/* The descendant of @root named @name. */
static GtkWidget *
named (GtkWidget  *root,
       const char *name)
{
  if (g_strcmp0 (gtk_widget_get_name (root), name) == 0)
    return root;
  for (GtkWidget *child = gtk_widget_get_first_child (root); child != NULL;
       child = gtk_widget_get_next_sibling (child))
    {
      GtkWidget *found = named (child, name);

      if (found != NULL)
        return found;
    }
  return NULL;
}

typedef struct {
  GtkWidget  *dialog;
  const char *status;
} StatusWait;

static gboolean
status_is (gpointer data)
{
  StatusWait *wait = data;

  return g_strcmp0 (gtk_label_get_text (GTK_LABEL (named (wait->dialog, "address-status"))),
                    wait->status) == 0;
}

static void
type_address (GtkWidget  *dialog,
              const char *text,
              const char *status)
{
  StatusWait wait = { dialog, status };

  gtk_editable_set_text (GTK_EDITABLE (named (dialog, "address")), text);
  ui_wait_until (status_is, &wait, 5000, status);
}

static gboolean
can_create (GtkWidget *dialog)
{
  return gtk_widget_get_sensitive (named (dialog, "create"));
}

static JsonObject *
create_body (Fixture *f)
{
  GPtrArray *requests = fake_homeserver_get_requests (f->server);

  for (guint i = requests->len; i > 0; i--)
    {
      FakeRequest *request = g_ptr_array_index (requests, i - 1);

      if (g_str_equal (request->method, "POST") && g_str_equal (request->path, CREATE))
        {
          g_autoptr(JsonNode) node = fake_request_parse_json (request);
          return json_object_ref (json_node_get_object (node));
        }
    }
  return NULL;
}

static gboolean
joined_once (gpointer data)
{
  Fixture *f = data;
  return fake_homeserver_count_requests (f->server, "POST",
                                         "/_matrix/client/v3/join/!book:example.org") >= 1;
}

static void
test_private_encrypted_room (Fixture       *f,
                             gconstpointer  data)
{
  GtkWidget *dialog;
  GtkSwitch *encrypted;
  GtkWidget *name;
  g_autofree char *png = NULL;
  g_autoptr(JsonObject) body = NULL;
  JsonArray *invite, *state;

  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (f->window), "win.create-room", NULL));
  dialog = find_dialog ();
  g_assert_nonnull (dialog);
  encrypted = GTK_SWITCH (named (dialog, "encrypted"));
  name = named (dialog, "name");

  /* Private and encrypted from the start; nothing to create without a name. */
  g_assert_true (gtk_switch_get_active (encrypted));
  g_assert_true (gtk_widget_get_sensitive (GTK_WIDGET (encrypted)));
  g_assert_false (gtk_check_button_get_active (GTK_CHECK_BUTTON (named (dialog, "public"))));
  g_assert_true (gtk_check_button_get_active (GTK_CHECK_BUTTON (named (dialog, "private"))));
  g_assert_false (can_create (dialog));

  gtk_editable_set_text (GTK_EDITABLE (name), "Book Club");
  gtk_editable_set_text (GTK_EDITABLE (named (dialog, "topic")), "Chapter 3 on Friday");
  g_assert_true (can_create (dialog));

  /* The address: malformed is said at once, taken and free after a look. */
  type_address (dialog, "book club", "Use only letters, digits and . _ = - / +");
  g_assert_false (can_create (dialog));
  fake_homeserver_queue_json (f->server, "GET", ALIAS_PATH ("taken"), 200,
                              "{\"room_id\":\"!other:example.org\",\"servers\":[]}", FALSE);
  type_address (dialog, "taken", "This address is taken");
  g_assert_false (can_create (dialog));
  fake_homeserver_queue_json (f->server, "GET", ALIAS_PATH ("book-club"), 404,
                              "{\"errcode\":\"M_NOT_FOUND\",\"error\":\"Room alias not found\"}", FALSE);
  type_address (dialog, "book-club", "This address is available");
  g_assert_true (can_create (dialog));

  /* Invitees must be Matrix ids. */
  gtk_editable_set_text (GTK_EDITABLE (named (dialog, "invite")), "@bob:example.org, carol");
  g_assert_false (can_create (dialog));
  gtk_editable_set_text (GTK_EDITABLE (named (dialog, "invite")), "@bob:example.org, @carol:example.org");
  g_assert_true (can_create (dialog));

  /* Public turns encryption off (as Element does), private on again. */
  gtk_check_button_set_active (GTK_CHECK_BUTTON (named (dialog, "public")), TRUE);
  g_assert_false (gtk_switch_get_active (encrypted));
  gtk_check_button_set_active (GTK_CHECK_BUTTON (named (dialog, "private")), TRUE);
  g_assert_false (gtk_check_button_get_active (GTK_CHECK_BUTTON (named (dialog, "public"))));
  g_assert_true (gtk_switch_get_active (encrypted));
  {
    StatusWait wait = { dialog, "This address is available" };
    fake_homeserver_queue_json (f->server, "GET", ALIAS_PATH ("book-club"), 404,
                                "{\"errcode\":\"M_NOT_FOUND\",\"error\":\"Room alias not found\"}", FALSE);
    ui_wait_until (status_is, &wait, 5000, "the address checked again");
  }

  ui_wait_frames (dialog, 4);
  png = ui_save_png (dialog, "create-room.png");

  /* Enter twice in the name: one room. */
  fake_homeserver_queue_json (f->server, "POST", CREATE, 200, "{\"room_id\":\"!book:example.org\"}", FALSE);
  g_signal_emit_by_name (name, "entry-activated");
  g_signal_emit_by_name (name, "entry-activated");
  ui_wait_until (dialog_closed, NULL, 5000, "the dialog to close");
  ui_wait_until (joined_once, f, 5000, "the new room opened");
  iterate_for (200);
  g_assert_cmpuint (fake_homeserver_count_requests (f->server, "POST", CREATE), ==, 1);

  body = create_body (f);
  g_assert_nonnull (body);
  g_assert_cmpstr (json_object_get_string_member (body, "name"), ==, "Book Club");
  g_assert_cmpstr (json_object_get_string_member (body, "topic"), ==, "Chapter 3 on Friday");
  g_assert_cmpstr (json_object_get_string_member (body, "room_alias_name"), ==, "book-club");
  g_assert_cmpstr (json_object_get_string_member (body, "preset"), ==, "private_chat");
  invite = json_object_get_array_member (body, "invite");
  g_assert_cmpuint (json_array_get_length (invite), ==, 2);
  g_assert_cmpstr (json_array_get_string_element (invite, 1), ==, "@carol:example.org");
  state = json_object_get_array_member (body, "initial_state");
  g_assert_cmpstr (json_object_get_string_member (json_array_get_object_element (state, 0), "type"),
                   ==, "m.room.encryption");
}

/* Without encryption keys there is no encryption to offer; a public room
 * needs an address, and one taken in the meantime is said in plain words. */
static void
test_public_room_address_taken (Fixture       *f,
                                gconstpointer  data)
{
  GtkWidget *dialog;
  g_autoptr(JsonObject) body = NULL;

  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (f->window), "win.create-room", NULL));
  dialog = find_dialog ();
  g_assert_false (gtk_switch_get_active (GTK_SWITCH (named (dialog, "encrypted"))));
  g_assert_false (gtk_widget_get_sensitive (named (dialog, "encrypted")));

  gtk_editable_set_text (GTK_EDITABLE (named (dialog, "name")), "Town Hall");
  gtk_check_button_set_active (GTK_CHECK_BUTTON (named (dialog, "public")), TRUE);
  g_assert_false (gtk_switch_get_active (GTK_SWITCH (named (dialog, "encrypted"))));
  g_assert_cmpstr (gtk_label_get_text (GTK_LABEL (named (dialog, "address-status"))), ==,
                   "A public room needs an address");
  g_assert_false (can_create (dialog));
  fake_homeserver_queue_json (f->server, "GET", ALIAS_PATH ("town-hall"), 404,
                              "{\"errcode\":\"M_NOT_FOUND\",\"error\":\"Room alias not found\"}", FALSE);
  type_address (dialog, "town-hall", "This address is available");
  g_assert_true (can_create (dialog));

  fake_homeserver_queue_json (f->server, "POST", CREATE, 400,
                              "{\"errcode\":\"M_ROOM_IN_USE\",\"error\":\"Room alias already taken\"}", FALSE);
  gtk_widget_activate (named (dialog, "create"));
  {
    StatusWait wait = { dialog, "This address is taken" };
    ui_wait_until (status_is, &wait, 5000, "the server's refusal");
  }
  g_assert_true (gtk_widget_get_visible (named (dialog, "error")));
  g_assert_cmpstr (gtk_label_get_text (GTK_LABEL (named (dialog, "error"))), ==, "Someone took the address in the meantime: choose another one.");
  g_assert_false (can_create (dialog));
  g_assert_nonnull (find_dialog ());

  body = create_body (f);
  g_assert_cmpstr (json_object_get_string_member (body, "preset"), ==, "public_chat");
  g_assert_cmpstr (json_object_get_string_member (body, "visibility"), ==, "public");
  g_assert_false (json_object_has_member (body, "initial_state"));
  gtk_window_close (GTK_WINDOW (dialog));
  ui_wait_until (dialog_closed, NULL, 5000, "the dialog to close");
}

static gboolean
joined_by_link (gpointer data)
{
  Fixture *f = data;
  return fake_homeserver_count_requests (f->server, "POST",
                                         "/_matrix/client/v3/join/!linked:example.org") >= 1;
}

/* A matrix.to link to a room alias (as a message's link activates it): the
 * alias is looked up and the room joined and opened; a link that is no
 * Matrix link asks the server nothing. */
static void
test_open_link (Fixture       *f,
                gconstpointer  data)
{
  guint before;

  fake_homeserver_queue_json (f->server, "GET", ALIAS_PATH ("linked"), 200,
                              "{\"room_id\":\"!linked:example.org\",\"servers\":[\"example.org\"]}", FALSE);
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (f->window), "win.open-link", "s",
                                             "https://matrix.to/#/%23linked%3Aexample.org"));
  ui_wait_until (joined_by_link, f, 5000, "the linked room joined");
  g_assert_cmpuint (fake_homeserver_count_requests (f->server, "GET",
                                                    "/_matrix/client/v3/directory/room/#linked:example.org"),
                    ==, 1);

  before = fake_homeserver_get_requests (f->server)->len;
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (f->window), "win.open-link", "s",
                                             "matrix:r/no%20spaces:example.org"));
  iterate_for (200);
  g_assert_cmpuint (fake_homeserver_get_requests (f->server)->len, ==, before);
}

static gboolean
joined_early (gpointer data)
{
  Fixture *f = data;
  return fake_homeserver_count_requests (f->server, "POST",
                                         "/_matrix/client/v3/join/!early:example.org") >= 1;
}

/* A link given before sign-in is kept, and opened once signed in. */
static void
test_open_link_before_sign_in (Fixture       *f,
                               gconstpointer  data)
{
  ui_wait_until (joined_early, f, 5000, "the room of the early link joined");
}

int
main (int   argc,
      char *argv[])
{
  ui_test_init (&argc, &argv);

  g_test_add ("/confab/create-room/private-encrypted-with-address-and-invites", Fixture,
              GINT_TO_POINTER (TRUE), fixture_setup, test_private_encrypted_room, fixture_teardown);
  g_test_add ("/confab/create-room/public-needs-free-address", Fixture,
              GINT_TO_POINTER (FALSE), fixture_setup, test_public_room_address_taken, fixture_teardown);

  g_test_add ("/confab/links/matrix-to-alias-joins-and-opens", Fixture,
              GINT_TO_POINTER (FALSE), fixture_setup, test_open_link, fixture_teardown);
  g_test_add ("/confab/links/given-before-sign-in-opened-after", Fixture,
              GINT_TO_POINTER (LINK_BEFORE_SIGN_IN), fixture_setup, test_open_link_before_sign_in,
              fixture_teardown);

  return g_test_run ();
}
