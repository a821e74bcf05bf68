/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "test-confab-notifications"

#include "config.h"

/* Desktop notifications, received as GNOME Shell receives them: the test
 * owns org.gtk.Notifications on the private session bus (tools/run-tests
 * gives one), so GApplication's GTK backend delivers them here, over D-Bus. */

#include "confab-application.h"
#include "confab-window.h"
#include "ui-test-utils.h"

#define SYNC "/_matrix/client/v3/sync"

#define MEMBER(user, name) \
  "{\"type\":\"m.room.member\",\"state_key\":\"" user "\",\"sender\":\"" user "\"," \
  "\"event_id\":\"$m-" name "\",\"origin_server_ts\":1700000000000," \
  "\"content\":{\"membership\":\"join\",\"displayname\":\"" name "\"}}"
#define NAMED_ROOM(id, name) \
  "\"" id "\":{\"state\":{\"events\":[" MEMBER ("@alice:example.org", "Alice") "," \
  MEMBER ("@bob:example.org", "Bob") "," \
  "{\"type\":\"m.room.name\",\"state_key\":\"\",\"sender\":\"@bob:example.org\"," \
  "\"event_id\":\"$n" id "\",\"origin_server_ts\":1700000000000,\"content\":{\"name\":\"" name "\"}}]}," \
  "\"timeline\":{\"limited\":false,\"events\":[]}," \
  "\"unread_notifications\":{\"notification_count\":0,\"highlight_count\":0}}"
#define MESSAGE_IN(id, event_id, body, count) \
  "\"" id "\":{\"timeline\":{\"limited\":false,\"events\":[" \
  "{\"type\":\"m.room.message\",\"sender\":\"@bob:example.org\",\"event_id\":\"" event_id "\"," \
  "\"origin_server_ts\":1700000100000,\"content\":{\"msgtype\":\"m.text\",\"body\":\"" body "\"}}]}," \
  "\"unread_notifications\":{\"notification_count\":" count ",\"highlight_count\":0}}"

static const char *first_sync =
  "{\"next_batch\":\"s1\",\"rooms\":{\"join\":{"
  NAMED_ROOM ("!a:example.org", "Alpha") "," NAMED_ROOM ("!b:example.org", "Beta") "}}}";
static const char *second_sync =
  "{\"next_batch\":\"s2\",\"rooms\":{\"join\":{"
  MESSAGE_IN ("!a:example.org", "$a1", "seen here", "1") ","
  MESSAGE_IN ("!b:example.org", "$b1", "ping", "1") "}}}";

static const char introspection_xml[] =
  "<node>"
  "  <interface name='org.gtk.Notifications'>"
  "    <method name='AddNotification'>"
  "      <arg type='s' direction='in'/><arg type='s' direction='in'/><arg type='a{sv}' direction='in'/>"
  "    </method>"
  "    <method name='RemoveNotification'>"
  "      <arg type='s' direction='in'/><arg type='s' direction='in'/>"
  "    </method>"
  "  </interface>"
  "</node>";

typedef struct {
  FakeHomeserver *server;
  MatrixStore    *store;
  MatrixClient   *client;
  GApplication   *app;
  ConfabWindow   *window;
  guint           owner_id;
  guint           object_id;
  gboolean        name_acquired;
  GPtrArray      *calls;      /* "add ID TITLE | BODY | ACTION TARGET" or "remove ID" */
  guint           n_synced;
} Fixture;

static const char *
lookup_string (GVariant   *dict,
               const char *key)
{
  const char *value = NULL;

  g_variant_lookup (dict, key, "&s", &value);
  return value != NULL ? value : "";
}

static void
on_method_call (GDBusConnection       *connection,
                const char            *sender,
                const char            *object_path,
                const char            *interface_name,
                const char            *method_name,
                GVariant              *parameters,
                GDBusMethodInvocation *invocation,
                gpointer               user_data)
{
  Fixture *f = user_data;
  const char *app_id, *id;

  if (g_str_equal (method_name, "AddNotification"))
    {
      g_autoptr(GVariant) notification = NULL;
      g_autoptr(GVariant) target = NULL;
      g_autofree char *target_text = NULL;

      g_variant_get (parameters, "(&s&s@a{sv})", &app_id, &id, &notification);
      g_assert_cmpstr (app_id, ==, APP_ID);
      target = g_variant_lookup_value (notification, "default-action-target", NULL);
      target_text = target ? g_variant_print (target, FALSE) : g_strdup ("");
      g_ptr_array_add (f->calls, g_strdup_printf ("add %s %s | %s | %s %s", id,
                                                  lookup_string (notification, "title"),
                                                  lookup_string (notification, "body"),
                                                  lookup_string (notification, "default-action"),
                                                  target_text));
    }
  else
    {
      g_variant_get (parameters, "(&s&s)", &app_id, &id);
      g_ptr_array_add (f->calls, g_strdup_printf ("remove %s", id));
    }
  g_dbus_method_invocation_return_value (invocation, NULL);
}

static void
on_name_acquired (GDBusConnection *connection,
                  const char      *name,
                  gpointer         user_data)
{
  Fixture *f = user_data;

  f->name_acquired = TRUE;
}

static gboolean
name_acquired (gpointer data)
{
  return ((Fixture *) data)->name_acquired;
}

static void
on_synced (MatrixClient *client,
           const char   *next_batch,
           Fixture      *f)
{
  f->n_synced++;
}

static void
fixture_setup (Fixture       *f,
               gconstpointer  data)
{
  static const GDBusInterfaceVTable vtable = { on_method_call, NULL, NULL, { 0 } };
  g_autoptr(GDBusConnection) bus = NULL;
  g_autoptr(GDBusNodeInfo) info = NULL;
  g_autoptr(GError) error = NULL;

  ui_test_clear_data_home ();
  f->calls = g_ptr_array_new_with_free_func (g_free);

  /* The notification server first: the application picks its backend by
   * whether someone owns the name. */
  bus = g_bus_get_sync (G_BUS_TYPE_SESSION, NULL, &error);
  g_assert_no_error (error);
  info = g_dbus_node_info_new_for_xml (introspection_xml, &error);
  g_assert_no_error (error);
  f->object_id = g_dbus_connection_register_object (bus, "/org/gtk/Notifications", info->interfaces[0],
                                                    &vtable, f, NULL, &error);
  g_assert_no_error (error);
  f->owner_id = g_bus_own_name_on_connection (bus, "org.gtk.Notifications", G_BUS_NAME_OWNER_FLAGS_NONE,
                                              on_name_acquired, NULL, f, NULL);
  ui_wait_until (name_acquired, f, 5000, "org.gtk.Notifications");

  /* Registered by ui_test_init(), as the app is; its notification backend
   * is picked at its first notification, once the server above is there. */
  f->app = G_APPLICATION (ui_test_get_application ());

  f->server = fake_homeserver_new ();
  f->store = logged_in_store_new ();
  f->client = matrix_client_new (fake_homeserver_get_url (f->server), f->store);
  g_signal_connect (f->client, "synced", G_CALLBACK (on_synced), f);
  fake_homeserver_queue_json (f->server, "POST", "/_matrix/client/v3/rooms/%21a%3Aexample.org/read_markers",
                              200, "{}", TRUE);
  fake_homeserver_queue_json (f->server, "POST", "/_matrix/client/v3/rooms/%21b%3Aexample.org/read_markers",
                              200, "{}", TRUE);

  f->window = confab_window_new (GTK_APPLICATION (f->app));
  gtk_window_set_default_size (GTK_WINDOW (f->window), 1000, 700);
  gtk_window_present (GTK_WINDOW (f->window));
}

static void
fixture_teardown (Fixture       *f,
                  gconstpointer  data)
{
  g_autoptr(GDBusConnection) bus = g_bus_get_sync (G_BUS_TYPE_SESSION, NULL, NULL);

  gtk_window_destroy (GTK_WINDOW (f->window));
  matrix_client_stop_sync (f->client);
  iterate_for (50);
  g_signal_handlers_disconnect_by_data (f->client, f);
  g_object_unref (f->client);
  g_object_unref (f->store);
  g_assert_cmpuint (fake_homeserver_get_n_unmatched (f->server), ==, 0);
  g_object_unref (f->server);
  g_bus_unown_name (f->owner_id);
  g_dbus_connection_unregister_object (bus, f->object_id);
  g_ptr_array_unref (f->calls);
}

typedef struct {
  Fixture    *f;
  const char *call;
} CallCheck;

static gboolean
has_call (gpointer data)
{
  CallCheck *check = data;

  for (guint i = 0; i < check->f->calls->len; i++)
    if (g_str_equal (g_ptr_array_index (check->f->calls, i), check->call))
      return TRUE;
  return FALSE;
}

static guint
count_adds (Fixture *f)
{
  guint n = 0;

  for (guint i = 0; i < f->calls->len; i++)
    n += g_str_has_prefix (g_ptr_array_index (f->calls, i), "add ");
  return n;
}

static gboolean
synced_twice (gpointer data)
{
  return ((Fixture *) data)->n_synced >= 2;
}

static gboolean
synced_once (gpointer data)
{
  return ((Fixture *) data)->n_synced >= 1;
}

static gboolean
room_read (gpointer data)
{
  return matrix_room_get_notification_count (data) == 0;
}

static void
test_new_message_notifies (Fixture       *f,
                           gconstpointer  data)
{
  CallCheck beta = { f, "add room-!b:example.org Beta | Bob: ping | app.open-room '!b:example.org'" };
  CallCheck beta_gone = { f, "remove room-!b:example.org" };
  MatrixRoom *room;

  /* The first sync only catches up: nothing is announced. */
  fake_homeserver_queue_json (f->server, "GET", SYNC "?timeout=30000", 200, first_sync, FALSE);
  fake_homeserver_queue_held (f->server, "GET", SYNC "?since=s1&timeout=30000", 200,
                              "application/json", second_sync);
  confab_window_set_client (f->window, f->client);
  ui_wait_until (synced_once, f, 5000, "the first sync");
  g_assert_true (confab_window_select_room (f->window, "!a:example.org"));
  ui_wait_frames (GTK_WIDGET (f->window), 2);
  g_assert_true (gtk_window_is_active (GTK_WINDOW (f->window)));
  g_assert_cmpuint (f->calls->len, ==, 0);

  /* A message in each room: the open one, in the focused window, is being
   * read; the other one is announced, with its newest message. */
  fake_homeserver_queue_held (f->server, "GET", SYNC "?since=s2&timeout=30000", 200,
                              "application/json", "{\"next_batch\":\"s3\"}");
  g_assert_cmpuint (fake_homeserver_release (f->server), ==, 1);
  ui_wait_until (synced_twice, f, 5000, "the second sync");
  ui_wait_until (has_call, &beta, 5000, "the notification of Beta");
  g_assert_cmpuint (count_adds (f), ==, 1);

  /* Clicking it opens the room… */
  g_action_group_activate_action (G_ACTION_GROUP (f->app), "open-room",
                                  g_variant_new_string ("!b:example.org"));
  room = confab_window_get_room (f->window);
  g_assert_nonnull (room);
  g_assert_cmpstr (matrix_room_get_room_id (room), ==, "!b:example.org");

  /* …which is then read, and its notification goes with the next sync. */
  ui_wait_until (room_read, room, 5000, "Beta marked read");
  fake_homeserver_queue_held (f->server, "GET", SYNC "?since=s3&timeout=30000", 200,
                              "application/json", "{\"next_batch\":\"s4\"}");
  g_assert_cmpuint (fake_homeserver_release (f->server), ==, 1);
  ui_wait_until (has_call, &beta_gone, 5000, "the notification of Beta withdrawn");
  g_assert_cmpuint (count_adds (f), ==, 1);
}

int
main (int   argc,
      char *argv[])
{
  ui_test_init (&argc, &argv);

  g_test_add ("/confab/notifications/new-message-notifies", Fixture, NULL,
              fixture_setup, test_new_message_notifies, fixture_teardown);

  return g_test_run ();
}
