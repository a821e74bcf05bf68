/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "integration-utils"

#include <glib/gstdio.h>
#include <unistd.h>

#include "integration-utils.h"

static const char * const all_signals[] = {
  "sync-failed", "sync-resumed", "room-state-updates", "room-timeline-updates", "left-room", NULL
};
static const char * const no_signals[] = { NULL };

static void
on_room_timeline_updates (MatrixClient *client,
                          const char   *room_id,
                          GPtrArray    *events,
                          gboolean      limited,
                          const char   *prev_batch,
                          TestClient   *self)
{
  gint64 now = g_get_monotonic_time ();

  for (guint i = 0; i < events->len; i++)
    {
      const char *event_id = matrix_event_get_event_id (g_ptr_array_index (events, i));
      guint count = GPOINTER_TO_UINT (g_hash_table_lookup (self->timeline_counts, event_id));

      g_hash_table_insert (self->timeline_counts, g_strdup (event_id), GUINT_TO_POINTER (count + 1));
      if (count == 0)
        {
          gint64 *time = g_new (gint64, 1);

          *time = now;
          g_hash_table_insert (self->arrival_times, g_strdup (event_id), time);
        }
    }
}

static void
on_left_room (MatrixClient *client,
              const char   *room_id,
              TestClient   *self)
{
  g_ptr_array_add (self->left_rooms, g_strdup (room_id));
}

static void
on_sync_failed (MatrixClient *client,
                guint         delay_s,
                TestClient   *self)
{
  g_array_append_val (self->failed_delays, delay_s);
}

static void
on_sync_resumed (MatrixClient *client,
                 TestClient   *self)
{
  self->n_resumed++;
}

static void
on_synced (MatrixClient *client,
           const char   *next_batch,
           TestClient   *self)
{
  self->n_synced++;
}

TestClient *
test_client_new (const char *prefix)
{
  TestClient *self = g_new0 (TestClient, 1);
  g_autoptr(MatrixStore) store = matrix_memory_store_new ();

  self->user = synapse_unique_user (prefix);
  self->password = g_strdup_printf ("%s-password", self->user);
  synapse_register_user (self->user, self->password);

  self->client = matrix_client_new (synapse_get_url (), store);
  self->tracker = matrix_room_state_tracker_new (self->client);
  self->recorder = signal_recorder_new (self->client, all_signals, no_signals);
  self->timeline_counts = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  self->arrival_times = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  self->left_rooms = g_ptr_array_new_with_free_func (g_free);
  self->failed_delays = g_array_new (FALSE, FALSE, sizeof (guint));

  g_signal_connect (self->client, "room-timeline-updates", G_CALLBACK (on_room_timeline_updates), self);
  g_signal_connect (self->client, "left-room", G_CALLBACK (on_left_room), self);
  g_signal_connect (self->client, "sync-failed", G_CALLBACK (on_sync_failed), self);
  g_signal_connect (self->client, "sync-resumed", G_CALLBACK (on_sync_resumed), self);
  g_signal_connect (self->client, "synced", G_CALLBACK (on_synced), self);

  return self;
}

TestClient *
test_client_new_logged_in (const char *prefix)
{
  TestClient *self = test_client_new (prefix);
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;

  matrix_client_login_async (self->client, self->user, self->password, NULL, store_result, &result);
  wait_for_pointer ((gpointer *) &result, INTEGRATION_TIMEOUT_MS);
  g_assert_true (matrix_client_login_finish (self->client, result, &error));
  g_assert_no_error (error);

  return self;
}

void
test_client_free (TestClient *self)
{
  matrix_client_stop_sync (self->client);
  g_signal_handlers_disconnect_by_data (self->client, self);
  g_clear_pointer (&self->recorder, signal_recorder_free);
  g_clear_object (&self->tracker);
  g_clear_object (&self->client);
  g_hash_table_unref (self->timeline_counts);
  g_hash_table_unref (self->arrival_times);
  g_ptr_array_unref (self->left_rooms);
  g_array_unref (self->failed_delays);
  g_free (self->user);
  g_free (self->password);
  g_free (self);
}

JsonObject *
test_client_request (TestClient  *self,
                     const char  *method,
                     const char  *path,
                     const char  *body,
                     GError     **error)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(JsonNode) node = NULL;

  if (body != NULL)
    {
      node = json_from_string (body, error);
      g_assert_nonnull (node);
    }

  matrix_client_request_async (self->client, method, path, NULL, node, NULL, store_result, &result);
  wait_for_pointer ((gpointer *) &result, INTEGRATION_TIMEOUT_MS);
  return matrix_client_request_finish (self->client, result, error);
}

void
test_client_join (TestClient *self,
                  const char *room_id)
{
  g_autofree char *path = matrix_client_build_path ("v3", "join", room_id, NULL);
  g_autoptr(JsonObject) reply = NULL;
  g_autoptr(GError) error = NULL;

  reply = test_client_request (self, "POST", path, "{}", &error);
  g_assert_no_error (error);
  g_assert_cmpstr (json_object_get_string_member (reply, "room_id"), ==, room_id);
}

typedef struct {
  TestClient *client;
  const char *event_id;
} EventCheck;

static gboolean
event_arrived (gpointer data)
{
  EventCheck *check = data;

  return g_hash_table_contains (check->client->timeline_counts, check->event_id);
}

void
test_client_wait_for_event (TestClient *self,
                            const char *event_id)
{
  EventCheck check = { self, event_id };

  if (!test_iterate_until (event_arrived, &check, INTEGRATION_TIMEOUT_MS))
    g_error ("%s never arrived in a timeline of %s", event_id, self->user);
}

guint
test_client_count_event (TestClient *self,
                         const char *event_id)
{
  return GPOINTER_TO_UINT (g_hash_table_lookup (self->timeline_counts, event_id));
}

typedef struct {
  TestClient *client;
  const char *room_id;
} LeftCheck;

static gboolean
room_left (gpointer data)
{
  LeftCheck *check = data;

  for (guint i = 0; i < check->client->left_rooms->len; i++)
    if (g_str_equal (g_ptr_array_index (check->client->left_rooms, i), check->room_id))
      return TRUE;
  return FALSE;
}

void
test_client_wait_left (TestClient *self,
                       const char *room_id)
{
  LeftCheck check = { self, room_id };

  if (!test_iterate_until (room_left, &check, INTEGRATION_TIMEOUT_MS))
    g_error ("No left-room for %s", room_id);
}

void
test_client_wait_synced (TestClient *self,
                         guint       n_synced)
{
  wait_for_count (&self->n_synced, n_synced + 1, INTEGRATION_TIMEOUT_MS);
}

void
test_client_sync_once (TestClient *self)
{
  guint n_synced = self->n_synced;

  matrix_client_start_sync (self->client);
  test_client_wait_synced (self, n_synced);
}

int
integration_run_app_signed_in (GApplication *app,
                               Peer         *user)
{
  g_autofree char *password_path = NULL;
  g_autofree char *homeserver = g_strdup (synapse_get_url ());
  g_autoptr(GError) error = NULL;
  char *argv[8];
  int fd, status;

  fd = g_file_open_tmp ("confab-password-XXXXXX", &password_path, &error);
  g_assert_no_error (error);
  close (fd);
  g_assert_true (g_file_set_contents (password_path, "peer-password", -1, NULL));

  argv[0] = (char *) "confab";
  argv[1] = (char *) "--homeserver";
  argv[2] = homeserver;
  argv[3] = (char *) "--user";
  argv[4] = (char *) peer_get_user_id (user);
  argv[5] = (char *) "--password-file";
  argv[6] = password_path;
  argv[7] = NULL;
  status = g_application_run (app, 7, argv);
  g_unlink (password_path);
  return status;
}
