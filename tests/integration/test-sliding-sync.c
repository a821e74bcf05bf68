/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "test-integration-sliding-sync"

/* Simplified sliding sync (MSC4186) against Synapse: asked for with
 * sync-mode auto, the library chooses it from /versions and feeds the same
 * signals as /v3/sync. */

#include "integration-utils.h"
#include "matrix-sliding-sync-private.h"
#include "peer.h"

typedef struct {
  char     *room_id;
  char     *type;      /* of account data, or NULL */
  gboolean  seen;
} Watch;

static void
on_invite (MatrixClient *client, const char *room_id, GPtrArray *state, Watch *watch)
{
  if (g_strcmp0 (room_id, watch->room_id) == 0)
    watch->seen = TRUE;
}

static void
on_account_data (MatrixClient *client, const char *room_id, GPtrArray *events, Watch *watch)
{
  for (guint i = 0; g_strcmp0 (room_id, watch->room_id) == 0 && i < events->len; i++)
    if (g_strcmp0 (json_object_get_string_member (g_ptr_array_index (events, i), "type"), watch->type) == 0)
      watch->seen = TRUE;
}

static gboolean
watch_seen (gpointer data)
{
  return ((Watch *) data)->seen;
}

static gboolean
room_listed (gpointer data)
{
  gpointer *args = data;
  GListModel *rooms = G_LIST_MODEL (((TestClient *) args[0])->tracker);

  for (guint i = 0; i < g_list_model_get_n_items (rooms); i++)
    {
      g_autoptr(MatrixRoom) room = g_list_model_get_item (rooms, i);

      if (g_strcmp0 (matrix_room_get_room_id (room), args[1]) == 0)
        return TRUE;
    }
  return FALSE;
}

/* Offered by Synapse and used: the room list, an invite, a join, new
 * messages live, room account data through the extension, and a leave. */
static void
test_sliding_sync_live (void)
{
  g_autoptr(TestClient) ours = test_client_new_logged_in ("sliding");
  g_autoptr(Peer) peer = peer_new ("sliding-peer");
  g_autofree char *listed = peer_create_room (peer, "Listed before");
  g_autofree char *room_id = NULL;
  g_autofree char *message_id = NULL;
  g_autofree char *path = NULL;
  g_autoptr(JsonObject) reply = NULL;
  g_autoptr(GError) error = NULL;
  Watch invite = { NULL, NULL, FALSE }, data = { NULL, (char *) "org.confab.sliding", FALSE };
  gpointer args[2] = { ours, listed };

  matrix_client_set_sync_mode (ours->client, MATRIX_SYNC_MODE_AUTO);
  peer_invite (peer, listed, matrix_client_get_user_id (ours->client));
  test_client_join (ours, listed);

  test_client_sync_once (ours);
  g_assert_true (g_str_has_prefix (matrix_store_get_sync_token (matrix_client_get_store (ours->client)),
                                   MATRIX_SLIDING_SYNC_TOKEN_PREFIX));
  g_assert_true (test_iterate_until (room_listed, args, INTEGRATION_TIMEOUT_MS));

  /* An invite, live. */
  room_id = peer_create_room (peer, "Sliding room");
  invite.room_id = room_id;
  data.room_id = room_id;
  g_signal_connect (ours->client, "room-invite", G_CALLBACK (on_invite), &invite);
  g_signal_connect (ours->client, "room-account-data-updates", G_CALLBACK (on_account_data), &data);
  peer_invite (peer, room_id, matrix_client_get_user_id (ours->client));
  g_assert_true (test_iterate_until (watch_seen, &invite, INTEGRATION_TIMEOUT_MS));

  /* Joined: its messages, live. */
  test_client_join (ours, room_id);
  message_id = peer_send_text (peer, room_id, "over sliding sync");
  test_client_wait_for_event (ours, message_id);
  g_assert_cmpuint (test_client_count_event (ours, message_id), ==, 1);

  /* Room account data through the extension. */
  path = matrix_client_build_path ("v3", "user", matrix_client_get_user_id (ours->client), "rooms",
                                   room_id, "account_data", "org.confab.sliding", NULL);
  reply = test_client_request (ours, "PUT", path, "{\"n\": 1}", &error);
  g_assert_no_error (error);
  g_assert_true (test_iterate_until (watch_seen, &data, INTEGRATION_TIMEOUT_MS));

  /* A leave: left-room. */
  g_clear_pointer (&path, g_free);
  g_clear_pointer (&reply, json_object_unref);
  path = matrix_client_build_path ("v3", "rooms", room_id, "leave", NULL);
  reply = test_client_request (ours, "POST", path, "{}", &error);
  g_assert_no_error (error);
  test_client_wait_left (ours, room_id);

  g_signal_handlers_disconnect_by_data (ours->client, &invite);
  g_signal_handlers_disconnect_by_data (ours->client, &data);
  g_assert_cmpuint (ours->failed_delays->len, ==, 0);
}

/* A pos the server does not know (M_UNKNOWN_POS): a new connection at
 * once, without a failure, and what is stored stays. */
static void
test_sliding_sync_unknown_pos (void)
{
  g_autoptr(TestClient) ours = test_client_new_logged_in ("slidingpos");
  g_autoptr(Peer) peer = peer_new ("slidingpos-peer");
  g_autofree char *room_id = peer_create_room (peer, "Kept");
  MatrixStore *store = matrix_client_get_store (ours->client);
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  gpointer args[2] = { ours, room_id };
  guint n_synced;

  matrix_client_set_sync_mode (ours->client, MATRIX_SYNC_MODE_SLIDING);
  peer_invite (peer, room_id, matrix_client_get_user_id (ours->client));
  test_client_join (ours, room_id);
  test_client_sync_once (ours);
  g_assert_true (test_iterate_until (room_listed, args, INTEGRATION_TIMEOUT_MS));
  matrix_client_stop_sync (ours->client);

  matrix_store_commit_async (store, MATRIX_SLIDING_SYNC_TOKEN_PREFIX "bogus", NULL, store_result, &result);
  wait_for_pointer ((gpointer *) &result, INTEGRATION_TIMEOUT_MS);
  g_assert_true (matrix_store_commit_finish (store, result, &error));
  g_assert_no_error (error);

  n_synced = ours->n_synced;
  matrix_client_start_sync (ours->client);
  test_client_wait_synced (ours, n_synced);
  g_assert_cmpstr (matrix_store_get_sync_token (store), !=, MATRIX_SLIDING_SYNC_TOKEN_PREFIX "bogus");
  g_assert_true (g_str_has_prefix (matrix_store_get_sync_token (store), MATRIX_SLIDING_SYNC_TOKEN_PREFIX));
  g_assert_cmpuint (ours->failed_delays->len, ==, 0);
  g_assert_true (room_listed (args));
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/integration/sliding-sync/live", test_sliding_sync_live);
  g_test_add_func ("/integration/sliding-sync/unknown-pos-recovers", test_sliding_sync_unknown_pos);
  return g_test_run ();
}
