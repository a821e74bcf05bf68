/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "test-utils"

#include <signal.h>
#include <sys/prctl.h>

#include "test-utils.h"
#include "matrix-client-private.h"

struct _SignalRecorder {
  MatrixClient *client;
  GPtrArray    *signals;
  GStrv         stop_on;
  GArray       *handlers;
};

void
recorded_signal_free (RecordedSignal *signal)
{
  g_free (signal->name);
  g_free (signal->room_id);
  g_clear_pointer (&signal->events, g_ptr_array_unref);
  g_free (signal->prev_batch);
  g_free (signal);
}

static RecordedSignal *
recorded_signal_new (const char *name)
{
  RecordedSignal *signal = g_new0 (RecordedSignal, 1);

  signal->name = g_strdup (name);
  return signal;
}

static GPtrArray *
copy_events (GPtrArray *events)
{
  GPtrArray *copy = g_ptr_array_new_with_free_func (g_object_unref);

  for (guint i = 0; i < events->len; i++)
    g_ptr_array_add (copy, g_object_ref (g_ptr_array_index (events, i)));
  return copy;
}

static void
record (SignalRecorder *self,
        RecordedSignal *signal)
{
  g_ptr_array_add (self->signals, signal);

  if (g_strv_contains ((const char * const *) self->stop_on, signal->name))
    matrix_client_stop_sync (self->client);
}

static void
on_sync_failed (MatrixClient *client, guint delay, SignalRecorder *self)
{
  RecordedSignal *signal = recorded_signal_new ("sync-failed");

  signal->delay = delay;
  record (self, signal);
}

static void
on_sync_resumed (MatrixClient *client, SignalRecorder *self)
{
  record (self, recorded_signal_new ("sync-resumed"));
}

static void
on_room_state_updates (MatrixClient *client, const char *room_id, GPtrArray *events,
                       SignalRecorder *self)
{
  record (self, expect_room_state_updates (room_id, copy_events (events)));
}

static void
on_room_timeline_updates (MatrixClient *client, const char *room_id, GPtrArray *events,
                          gboolean limited, const char *prev_batch, SignalRecorder *self)
{
  record (self, expect_room_timeline_updates (room_id, copy_events (events), limited, prev_batch));
}

static void
on_left_room (MatrixClient *client, const char *room_id, SignalRecorder *self)
{
  record (self, expect_left_room (room_id));
}

SignalRecorder *
signal_recorder_new (MatrixClient       *client,
                     const char * const *names,
                     const char * const *stop_on)
{
  SignalRecorder *self = g_new0 (SignalRecorder, 1);
  static const struct {
    const char *name;
    GCallback   callback;
  } handlers[] = {
    { "sync-failed", G_CALLBACK (on_sync_failed) },
    { "sync-resumed", G_CALLBACK (on_sync_resumed) },
    { "room-state-updates", G_CALLBACK (on_room_state_updates) },
    { "room-timeline-updates", G_CALLBACK (on_room_timeline_updates) },
    { "left-room", G_CALLBACK (on_left_room) },
  };

  self->client = g_object_ref (client);
  self->signals = g_ptr_array_new_with_free_func ((GDestroyNotify) recorded_signal_free);
  self->stop_on = g_strdupv ((GStrv) stop_on);
  self->handlers = g_array_new (FALSE, FALSE, sizeof (gulong));

  for (guint i = 0; names[i] != NULL; i++)
    {
      gboolean found = FALSE;

      for (guint j = 0; j < G_N_ELEMENTS (handlers); j++)
        if (g_str_equal (names[i], handlers[j].name))
          {
            gulong id = g_signal_connect (client, names[i], handlers[j].callback, self);
            g_array_append_val (self->handlers, id);
            found = TRUE;
          }
      g_assert_true (found);
    }

  return self;
}

void
signal_recorder_free (SignalRecorder *self)
{
  for (guint i = 0; i < self->handlers->len; i++)
    g_signal_handler_disconnect (self->client, g_array_index (self->handlers, gulong, i));
  g_array_unref (self->handlers);
  g_ptr_array_unref (self->signals);
  g_strfreev (self->stop_on);
  g_object_unref (self->client);
  g_free (self);
}

GPtrArray *
signal_recorder_get_signals (SignalRecorder *self)
{
  return self->signals;
}

static gboolean
on_deadline (gpointer user_data)
{
  gboolean *expired = user_data;

  *expired = TRUE;
  return G_SOURCE_REMOVE;
}

static gboolean
on_tick (gpointer user_data)
{
  return G_SOURCE_CONTINUE;
}

gboolean
test_iterate_until (gboolean (*check) (gpointer),
               gpointer  data,
               guint     timeout_ms)
{
  GMainContext *context = g_main_context_get_thread_default ();
  gboolean expired = FALSE;
  GSource *deadline = g_timeout_source_new (timeout_ms);
  /* What another thread changes (an object whose last reference a worker
   * dropped, finalized there) wakes no main loop: look again every 10 ms. */
  GSource *tick = g_timeout_source_new (10);

  g_source_set_callback (deadline, on_deadline, &expired, NULL);
  g_source_attach (deadline, context);
  g_source_set_callback (tick, on_tick,
                         NULL, NULL);
  g_source_attach (tick, context);

  while (!check (data) && !expired)
    g_main_context_iteration (context, TRUE);

  g_source_destroy (tick);
  g_source_unref (tick);
  g_source_destroy (deadline);
  g_source_unref (deadline);

  return check (data);
}

static gboolean
client_stopped (gpointer data)
{
  return !matrix_client_is_syncing (data);
}

void
signal_recorder_wait_stopped (SignalRecorder *self,
                              guint           timeout_ms)
{
  if (!test_iterate_until (client_stopped, self->client, timeout_ms))
    g_error ("The sync loop did not stop within %u ms (%u signals recorded)",
             timeout_ms, self->signals->len);
}

static char *
describe (RecordedSignal *signal)
{
  GString *text = g_string_new (signal->name);

  if (g_str_equal (signal->name, "sync-failed"))
    g_string_append_printf (text, "(%u)", signal->delay);
  if (signal->room_id != NULL)
    g_string_append_printf (text, "(%s", signal->room_id);
  if (signal->events != NULL)
    {
      g_string_append (text, ", [");
      for (guint i = 0; i < signal->events->len; i++)
        {
          g_autofree char *json = matrix_event_to_string (g_ptr_array_index (signal->events, i));

          g_string_append_printf (text, "%s%s%s", i > 0 ? ", " : "",
                                  matrix_event_is_state (g_ptr_array_index (signal->events, i))
                                    ? "State" : "", json);
        }
      g_string_append (text, "]");
    }
  if (g_str_equal (signal->name, "room-timeline-updates"))
    g_string_append_printf (text, ", %s, %s", signal->limited ? "True" : "False",
                            signal->prev_batch != NULL ? signal->prev_batch : "None");
  if (signal->room_id != NULL)
    g_string_append (text, ")");

  return g_string_free (text, FALSE);
}

static gboolean
signals_equal (RecordedSignal *a,
               RecordedSignal *b)
{
  if (g_strcmp0 (a->name, b->name) != 0 || g_strcmp0 (a->room_id, b->room_id) != 0 ||
      a->delay != b->delay || a->limited != b->limited ||
      g_strcmp0 (a->prev_batch, b->prev_batch) != 0)
    return FALSE;

  if ((a->events == NULL) != (b->events == NULL))
    return FALSE;
  if (a->events == NULL)
    return TRUE;
  if (a->events->len != b->events->len)
    return FALSE;
  for (guint i = 0; i < a->events->len; i++)
    if (!matrix_event_equal (g_ptr_array_index (a->events, i), g_ptr_array_index (b->events, i)))
      return FALSE;

  return TRUE;
}

void
signal_recorder_assert_equal (SignalRecorder  *self,
                              RecordedSignal **expected,
                              guint            n_expected)
{
  gboolean equal = self->signals->len == n_expected;

  for (guint i = 0; equal && i < n_expected; i++)
    equal = signals_equal (g_ptr_array_index (self->signals, i), expected[i]);

  if (!equal)
    {
      g_autoptr(GString) text = g_string_new ("Recorded signals differ.\nExpected:\n");

      for (guint i = 0; i < n_expected; i++)
        {
          g_autofree char *line = describe (expected[i]);
          g_string_append_printf (text, "  %s\n", line);
        }
      g_string_append (text, "Recorded:\n");
      for (guint i = 0; i < self->signals->len; i++)
        {
          g_autofree char *line = describe (g_ptr_array_index (self->signals, i));
          g_string_append_printf (text, "  %s\n", line);
        }
      g_error ("%s", text->str);
    }

  for (guint i = 0; i < n_expected; i++)
    recorded_signal_free (expected[i]);
}

RecordedSignal *
expect_sync_failed (guint delay)
{
  RecordedSignal *signal = recorded_signal_new ("sync-failed");

  signal->delay = delay;
  return signal;
}

RecordedSignal *
expect_sync_resumed (void)
{
  return recorded_signal_new ("sync-resumed");
}

RecordedSignal *
expect_room_state_updates (const char *room_id,
                           GPtrArray  *events)
{
  RecordedSignal *signal = recorded_signal_new ("room-state-updates");

  signal->room_id = g_strdup (room_id);
  signal->events = events;
  return signal;
}

RecordedSignal *
expect_room_timeline_updates (const char *room_id,
                              GPtrArray  *events,
                              gboolean    limited,
                              const char *prev_batch)
{
  RecordedSignal *signal = recorded_signal_new ("room-timeline-updates");

  signal->room_id = g_strdup (room_id);
  signal->events = events;
  signal->limited = limited;
  signal->prev_batch = g_strdup (prev_batch);
  return signal;
}

RecordedSignal *
expect_left_room (const char *room_id)
{
  RecordedSignal *signal = recorded_signal_new ("left-room");

  signal->room_id = g_strdup (room_id);
  return signal;
}

GPtrArray *
events_from_json (const char *room_id,
                  const char *json_array)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GError) error = NULL;
  GPtrArray *events = g_ptr_array_new_with_free_func (g_object_unref);
  JsonArray *array;

  json_parser_load_from_data (parser, json_array, -1, &error);
  g_assert_no_error (error);
  array = json_node_get_array (json_parser_get_root (parser));

  for (guint i = 0; i < json_array_get_length (array); i++)
    {
      MatrixEvent *event = matrix_event_new_from_json (room_id, json_array_get_object_element (array, i),
                                                       &error);
      g_assert_no_error (error);
      g_ptr_array_add (events, event);
    }

  return events;
}

static GSource *
fake_clock_source (guint    delay_ms,
                   gpointer user_data)
{
  FakeClock *clock = user_data;

  g_array_append_val (clock->delays_ms, delay_ms);
  return g_timeout_source_new (0);
}

FakeClock *
fake_clock_new (MatrixClient *client)
{
  FakeClock *clock = g_new0 (FakeClock, 1);

  clock->delays_ms = g_array_new (FALSE, FALSE, sizeof (guint));
  _matrix_client_set_timeout_source_func (client, fake_clock_source, clock);
  return clock;
}

void
fake_clock_free (FakeClock *clock)
{
  g_array_unref (clock->delays_ms);
  g_free (clock);
}

static gboolean
flag_set (gpointer data)
{
  return *(gboolean *) data;
}

void
wait_for_flag (gboolean *flag,
               guint     timeout_ms)
{
  if (!test_iterate_until (flag_set, flag, timeout_ms))
    g_error ("Condition not reached within %u ms", timeout_ms);
}

static gboolean
pointer_set (gpointer data)
{
  return *(gpointer *) data != NULL;
}

static gboolean
pointer_cleared (gpointer data)
{
  return *(gpointer *) data == NULL;
}

void
wait_for_pointer (gpointer *location,
                  guint     timeout_ms)
{
  if (!test_iterate_until (pointer_set, location, timeout_ms))
    g_error ("Result not reached within %u ms", timeout_ms);
}

typedef struct {
  const guint *counter;
  guint        n;
} CountCheck;

static gboolean
count_reached (gpointer data)
{
  CountCheck *check = data;

  return *check->counter >= check->n;
}

void
wait_for_count (const guint *counter,
                guint        n,
                guint        timeout_ms)
{
  CountCheck check = { counter, n };

  if (!test_iterate_until (count_reached, &check, timeout_ms))
    g_error ("Count stayed at %u, below %u, for %u ms", *counter, n, timeout_ms);
}

void
unref_and_wait_finalized (gpointer object,
                          guint    timeout_ms)
{
  gpointer weak = object;

  g_object_add_weak_pointer (object, &weak);
  g_object_unref (object);
  if (weak != NULL && !test_iterate_until (pointer_cleared, &weak, timeout_ms))
    g_error ("%s still alive %u ms after its last reference was dropped",
             G_OBJECT_TYPE_NAME (weak), timeout_ms);
}

static gboolean
never (gpointer data)
{
  return FALSE;
}

void
iterate_for (guint ms)
{
  test_iterate_until (never, NULL, ms);
}

MatrixStore *
logged_in_store_new (void)
{
  MatrixStore *store = matrix_memory_store_new ();

  matrix_store_set_value (store, MATRIX_STORE_KEY_ACCESS_TOKEN, "anaccesstoken");
  matrix_store_set_value (store, MATRIX_STORE_KEY_USER_ID, "@alice:example.org");
  matrix_store_set_value (store, MATRIX_STORE_KEY_DEVICE_ID, "ABCDEFG");
  return store;
}

void
store_add_room (MatrixStore *store,
                const char  *room_id,
                gboolean     encrypted)
{
  g_autoptr(GPtrArray) events = NULL;
  g_autofree char *json = NULL;

  json = g_strdup_printf (
    "[{\"type\": \"m.room.create\", \"state_key\": \"\", \"sender\": \"@alice:example.org\","
    "  \"content\": {\"room_version\": \"10\"}, \"event_id\": \"$create-%s\","
    "  \"origin_server_ts\": 1}%s]",
    room_id,
    encrypted ? ", {\"type\": \"m.room.encryption\", \"state_key\": \"\","
                "  \"sender\": \"@alice:example.org\","
                "  \"content\": {\"algorithm\": \"m.megolm.v1.aes-sha2\"},"
                "  \"event_id\": \"$encryption\", \"origin_server_ts\": 2}" : "");
  events = events_from_json (room_id, json);
  for (guint i = 0; i < events->len; i++)
    matrix_store_set_state_event (store, g_ptr_array_index (events, i));
}

void
store_result (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  GAsyncResult **out = user_data;

  *out = g_object_ref (result);
}

static void
on_synced_stop (MatrixClient *client,
                const char   *next_batch,
                gpointer      user_data)
{
  gboolean *done = user_data;

  matrix_client_stop_sync (client);
  *done = TRUE;
}

void
sync_once (FakeHomeserver *server,
           MatrixClient   *client,
           const char     *since,
           const char     *body)
{
  g_autofree char *path = NULL;
  gboolean done = FALSE;
  gulong handler;

  if (since != NULL)
    path = g_strdup_printf ("/_matrix/client/v3/sync?since=%s&timeout=30000", since);
  else
    path = g_strdup ("/_matrix/client/v3/sync?timeout=30000");

  fake_homeserver_queue_json (server, "GET", path, 200, body, FALSE);
  handler = g_signal_connect (client, "synced", G_CALLBACK (on_synced_stop), &done);
  matrix_client_start_sync (client);
  wait_for_flag (&done, 5000);
  g_signal_handler_disconnect (client, handler);
}

static void
on_items_changed (GListModel           *model,
                  guint                 position,
                  guint                 removed,
                  guint                 added,
                  ItemsChangedRecorder *self)
{
  g_ptr_array_add (self->changes, g_strdup_printf ("%u,%u,%u", position, removed, added));
}

ItemsChangedRecorder *
items_changed_recorder_new (GListModel *model)
{
  ItemsChangedRecorder *self = g_new0 (ItemsChangedRecorder, 1);

  self->model = g_object_ref (model);
  self->changes = g_ptr_array_new_with_free_func (g_free);
  self->handler = g_signal_connect (model, "items-changed", G_CALLBACK (on_items_changed), self);
  return self;
}

void
items_changed_recorder_free (ItemsChangedRecorder *self)
{
  g_signal_handler_disconnect (self->model, self->handler);
  g_object_unref (self->model);
  g_ptr_array_unref (self->changes);
  g_free (self);
}

void
items_changed_recorder_check (ItemsChangedRecorder *self,
                              const char           *expected)
{
  g_autofree char *actual = NULL;

  g_ptr_array_add (self->changes, NULL);
  actual = g_strjoinv (" ", (char **) self->changes->pdata);
  g_ptr_array_set_size (self->changes, 0);
  g_assert_cmpstr (actual, ==, expected);
}

static void
die_with_parent (gpointer user_data)
{
  prctl (PR_SET_PDEATHSIG, SIGKILL);
}

GSubprocess *
test_keyring_start (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) password = g_bytes_new_static ("pass", 4);
  g_autoptr(GSubprocessLauncher) launcher = NULL;
  g_autofree char *runtime_dir = g_build_filename (g_get_home_dir (), "runtime", NULL);
  GSubprocess *daemon;
  g_autoptr(GDBusConnection) connection = NULL;
  gboolean appeared = FALSE;

  /* Everything the keyring writes stays in the test's temporary HOME. */
  g_assert_cmpint (g_mkdir_with_parents (runtime_dir, 0700), ==, 0);
  launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDIN_PIPE |
                                        G_SUBPROCESS_FLAGS_STDOUT_SILENCE);
  /* A test that fails (or freezes the keyring with SIGSTOP) must not leave
   * it running, holding the test's stderr open. */
  g_subprocess_launcher_set_child_setup (launcher, die_with_parent, NULL, NULL);
  g_subprocess_launcher_setenv (launcher, "HOME", g_get_home_dir (), TRUE);
  g_subprocess_launcher_setenv (launcher, "XDG_DATA_HOME", g_get_user_data_dir (), TRUE);
  g_subprocess_launcher_setenv (launcher, "XDG_RUNTIME_DIR", runtime_dir, TRUE);
  daemon = g_subprocess_launcher_spawn (launcher, &error, "gnome-keyring-daemon", "--foreground",
                                        "--unlock", "--components=secrets", NULL);
  g_assert_no_error (error);
  g_output_stream_write_bytes (g_subprocess_get_stdin_pipe (daemon), password, NULL, &error);
  g_assert_no_error (error);
  g_output_stream_close (g_subprocess_get_stdin_pipe (daemon), NULL, &error);
  g_assert_no_error (error);

  /* Asks the bus until the keyring has taken its name. */
  connection = g_bus_get_sync (G_BUS_TYPE_SESSION, NULL, &error);
  g_assert_no_error (error);
  for (guint attempt = 0; !appeared; attempt++)
    {
      g_autoptr(GAsyncResult) result = NULL;
      g_autoptr(GVariant) reply = NULL;

      g_assert_cmpuint (attempt, <, 2000);
      g_dbus_connection_call (connection, "org.freedesktop.DBus", "/org/freedesktop/DBus",
                              "org.freedesktop.DBus", "NameHasOwner",
                              g_variant_new ("(s)", "org.freedesktop.secrets"),
                              G_VARIANT_TYPE ("(b)"), G_DBUS_CALL_FLAGS_NONE, -1, NULL,
                              store_result, &result);
      wait_for_pointer ((gpointer *) &result, 5000);
      reply = g_dbus_connection_call_finish (connection, result, &error);
      g_assert_no_error (error);
      g_variant_get (reply, "(b)", &appeared);
    }
  return daemon;
}
