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

typedef struct {
  MatrixRoom *room;
  guint       notifications;
  guint       highlights;
} CountsWait;

static gboolean
counts_are (gpointer data)
{
  CountsWait *wait = data;

  return matrix_room_get_notification_count (wait->room) == wait->notifications &&
         matrix_room_get_highlight_count (wait->room) == wait->highlights;
}

static void
assert_counts (MatrixRoom *room,
               guint       notifications,
               guint       highlights)
{
  CountsWait wait = { room, notifications, highlights };

  if (!test_iterate_until (counts_are, &wait, INTEGRATION_TIMEOUT_MS))
    g_error ("%s: %u notifications, %u highlights; expected %u and %u", matrix_room_get_room_id (room),
             matrix_room_get_notification_count (room), matrix_room_get_highlight_count (room),
             notifications, highlights);
}

typedef struct {
  TestClient        *ours;
  const char        *room_id;
  MatrixNotifyLevel  level;
} RulesWait;

static gboolean
rules_say (gpointer data)
{
  RulesWait *wait = data;

  return matrix_push_rules_get_room_level (matrix_room_state_tracker_get_push_rules (wait->ours->tracker),
                                           wait->room_id) == wait->level;
}

static MatrixRoom *
joined_room (TestClient *ours,
             Peer       *peer,
             const char *room_id)
{
  gpointer args[2] = { ours, (gpointer) room_id };

  peer_invite (peer, room_id, matrix_client_get_user_id (ours->client));
  test_client_join (ours, room_id);
  g_assert_true (test_iterate_until (room_listed, args, INTEGRATION_TIMEOUT_MS));
  return matrix_room_state_tracker_get_room (ours->tracker, room_id);
}

/* Synapse's sliding sync counts nothing (notification_count is always 0):
 * the client counts by the user's push rules. A message notifies, a
 * mention highlights, a notice does not count, a muted room stays at 0,
 * and reading clears the counts. */
static void
test_sliding_sync_unread_counts (void)
{
  g_autoptr(TestClient) ours = test_client_new_logged_in ("slidingunread");
  g_autoptr(Peer) peer = peer_new ("slidingunread-peer");
  const char *me = matrix_client_get_user_id (ours->client);
  g_autofree char *room_id = peer_create_room (peer, "Counted");
  g_autofree char *muted_id = peer_create_room (peer, "Muted");
  g_autofree char *mention = g_strdup_printf ("{\"msgtype\": \"m.text\", \"body\": \"look\","
                                              " \"m.mentions\": {\"user_ids\": [\"%s\"]}}", me);
  g_autofree char *hello = NULL, *notice = NULL, *mentioned = NULL, *quiet = NULL;
  g_autofree char *quiet_mention = NULL;
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GAsyncResult) level_result = NULL;
  RulesWait rules = { ours, muted_id, MATRIX_NOTIFY_LEVEL_MUTE };
  MatrixRoom *room, *muted;

  matrix_client_set_sync_mode (ours->client, MATRIX_SYNC_MODE_AUTO);
  test_client_sync_once (ours);
  g_assert_true (g_str_has_prefix (matrix_store_get_sync_token (matrix_client_get_store (ours->client)),
                                   MATRIX_SLIDING_SYNC_TOKEN_PREFIX));
  room = joined_room (ours, peer, room_id);
  muted = joined_room (ours, peer, muted_id);

  matrix_client_set_room_notify_level_async (ours->client, muted_id, MATRIX_NOTIFY_LEVEL_MUTE, NULL,
                                             store_result, &level_result);
  wait_for_pointer ((gpointer *) &level_result, INTEGRATION_TIMEOUT_MS);
  g_assert_true (matrix_client_set_room_notify_level_finish (ours->client, level_result, &error));
  g_assert_no_error (error);
  g_assert_true (test_iterate_until (rules_say, &rules, INTEGRATION_TIMEOUT_MS));

  hello = peer_send_text (peer, room_id, "hello");
  test_client_wait_for_event (ours, hello);
  assert_counts (room, 1, 0);

  notice = peer_send_event (peer, room_id, "m.room.message", "{\"msgtype\": \"m.notice\", \"body\": \"bot\"}");
  mentioned = peer_send_event (peer, room_id, "m.room.message", mention);
  test_client_wait_for_event (ours, mentioned);
  assert_counts (room, 2, 1);

  quiet = peer_send_text (peer, muted_id, "nobody hears this");
  quiet_mention = peer_send_event (peer, muted_id, "m.room.message", mention);
  test_client_wait_for_event (ours, quiet_mention);
  iterate_for (500);
  assert_counts (muted, 0, 0);

  matrix_room_mark_read_async (room, NULL, store_result, &result);
  wait_for_pointer ((gpointer *) &result, INTEGRATION_TIMEOUT_MS);
  g_assert_true (matrix_room_mark_read_finish (room, result, &error));
  g_assert_no_error (error);
  assert_counts (room, 0, 0);

  /* After the receipt, only what came since counts. */
  g_clear_pointer (&hello, g_free);
  hello = peer_send_text (peer, room_id, "again");
  test_client_wait_for_event (ours, hello);
  assert_counts (room, 1, 0);
  g_assert_cmpuint (ours->failed_delays->len, ==, 0);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/integration/sliding-sync/live", test_sliding_sync_live);
  g_test_add_func ("/integration/sliding-sync/unknown-pos-recovers", test_sliding_sync_unknown_pos);
  g_test_add_func ("/integration/sliding-sync/client-side-unread-counts", test_sliding_sync_unread_counts);
  return g_test_run ();
}
