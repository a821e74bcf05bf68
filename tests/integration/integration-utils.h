/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

/* Our side of an integration test: a MatrixClient logged in as a fresh user of
 * the test's Synapse, with everything its sync loop emits recorded. */

#include "matrix.h"
#include "peer.h"
#include "test-utils.h"

G_BEGIN_DECLS

/* Generous: Synapse on a loaded 2-core CI machine can be slow. */
#define INTEGRATION_TIMEOUT_MS 30000

typedef struct {
  MatrixClient           *client;
  MatrixRoomStateTracker *tracker;
  SignalRecorder         *recorder;
  char                   *user;
  char                   *password;
  /* event id -> number of times it arrived in a timeline */
  GHashTable             *timeline_counts;
  /* monotonic time (µs) each event id first arrived in a timeline */
  GHashTable             *arrival_times;
  GPtrArray              *left_rooms;
  GArray                 *failed_delays;
  guint                   n_resumed;
  guint                   n_synced;
} TestClient;

/* Registers a user named after @prefix; the client is not logged in yet. */
TestClient *test_client_new              (const char   *prefix);
/* Registers a user and logs in with matrix_client_login_async(). */
TestClient *test_client_new_logged_in    (const char   *prefix);
void        test_client_free             (TestClient   *self);

/* Runs an authenticated request through the library and waits for it. */
JsonObject *test_client_request          (TestClient   *self,
                                          const char   *method,
                                          const char   *path,
                                          const char   *body,
                                          GError      **error);
void        test_client_join             (TestClient   *self,
                                          const char   *room_id);
/* Starts the sync loop and waits for the next sync to be committed. */
void        test_client_sync_once        (TestClient   *self);
/* Waits until @event_id arrived in a timeline. */
void        test_client_wait_for_event   (TestClient   *self,
                                          const char   *event_id);
guint       test_client_count_event      (TestClient   *self,
                                          const char   *event_id);
/* Waits until the client left @room_id (::left-room). */
void        test_client_wait_left        (TestClient   *self,
                                          const char   *room_id);
/* Waits until one more sync than @n_synced was committed. */
void        test_client_wait_synced      (TestClient   *self,
                                          guint         n_synced);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (TestClient, test_client_free)

/* Runs @app as `confab --homeserver URL --user USER --password-file FILE`
 * starts (tools/run-demo does so), signed in as @user (a peer_new() user,
 * whose password is "peer-password", read from a file that is removed
 * afterwards); returns the app's exit status. */
int         integration_run_app_signed_in (GApplication *app,
                                           Peer         *user);

G_END_DECLS
