/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <gio/gio.h>
#include <json-glib/json-glib.h>

#include "matrix-store.h"

G_BEGIN_DECLS

/**
 * MatrixSyncFailure:
 * @MATRIX_SYNC_FAILURE_NONE: the sync loop is not failing
 * @MATRIX_SYNC_FAILURE_CONNECTION: the server could not be reached, or did
 *   not answer in time (a #G_IO_ERROR or #G_RESOLVER_ERROR)
 * @MATRIX_SYNC_FAILURE_RATE_LIMITED: the server asked the client to slow
 *   down (HTTP 429, `M_LIMIT_EXCEEDED`)
 * @MATRIX_SYNC_FAILURE_SERVER: the server answered with an error status
 * @MATRIX_SYNC_FAILURE_INVALID_RESPONSE: the server's answer is not a sync
 *   response the client can use (not JSON, not the schema, too large, a
 *   token that cannot be sent back)
 * @MATRIX_SYNC_FAILURE_OTHER: anything else, such as the store failing to
 *   save a response
 *
 * What kind of trouble the sync loop is in: see
 * matrix_client_get_sync_failure().
 */
typedef enum {
  MATRIX_SYNC_FAILURE_NONE,
  MATRIX_SYNC_FAILURE_CONNECTION,
  MATRIX_SYNC_FAILURE_RATE_LIMITED,
  MATRIX_SYNC_FAILURE_SERVER,
  MATRIX_SYNC_FAILURE_INVALID_RESPONSE,
  MATRIX_SYNC_FAILURE_OTHER,
} MatrixSyncFailure;

#define MATRIX_TYPE_SYNC_FAILURE (matrix_sync_failure_get_type ())
GType matrix_sync_failure_get_type (void) G_GNUC_CONST;

/**
 * MatrixSyncMode:
 * @MATRIX_SYNC_MODE_AUTO: simplified sliding sync (MSC4186) when the server
 *   advertises it in `/_matrix/client/versions`, classic `/v3/sync` otherwise
 * @MATRIX_SYNC_MODE_CLASSIC: always `/v3/sync`
 * @MATRIX_SYNC_MODE_SLIDING: always simplified sliding sync, whatever the
 *   server advertises
 *
 * Which protocol the sync loop speaks: see #MatrixClient:sync-mode. Either
 * way the client emits the same signals, so nothing that listens to them
 * needs to know.
 */
typedef enum {
  MATRIX_SYNC_MODE_AUTO,
  MATRIX_SYNC_MODE_CLASSIC,
  MATRIX_SYNC_MODE_SLIDING,
} MatrixSyncMode;

#define MATRIX_TYPE_SYNC_MODE (matrix_sync_mode_get_type ())
GType matrix_sync_mode_get_type (void) G_GNUC_CONST;

#define MATRIX_TYPE_CLIENT (matrix_client_get_type ())
G_DECLARE_FINAL_TYPE (MatrixClient, matrix_client, MATRIX, CLIENT, GObject)

/* Signals, in the order one sync response emits them: sync-failed,
 * sync-resumed, then per room room-state-updates, room-timeline-updates,
 * room-summary-updates, left-room; room-invite; account-data-updates; synced;
 * and session-ended.
 * Each is documented above its g_signal_new() in matrix-client.c. */

MatrixClient *matrix_client_new                   (const char           *homeserver,
                                                   MatrixStore          *store);

const char   *matrix_client_get_homeserver        (MatrixClient         *self);
MatrixStore  *matrix_client_get_store             (MatrixClient         *self);
const char   *matrix_client_get_user_id           (MatrixClient         *self);
const char   *matrix_client_get_device_id         (MatrixClient         *self);
gboolean      matrix_client_is_logged_in          (MatrixClient         *self);
gboolean      matrix_client_is_syncing            (MatrixClient         *self);
const GError *matrix_client_get_sync_error        (MatrixClient         *self);
MatrixSyncFailure matrix_client_get_sync_failure (MatrixClient         *self);
const char   *matrix_client_get_sync_filter       (MatrixClient         *self);
void          matrix_client_set_sync_filter       (MatrixClient         *self,
                                                   const char           *filter);
gboolean      matrix_client_get_fill_gaps         (MatrixClient         *self);
void          matrix_client_set_fill_gaps         (MatrixClient         *self,
                                                   gboolean              fill_gaps);
MatrixSyncMode matrix_client_get_sync_mode       (MatrixClient         *self);
void          matrix_client_set_sync_mode         (MatrixClient         *self,
                                                   MatrixSyncMode        mode);
void          matrix_client_set_room_list_range   (MatrixClient         *self,
                                                   guint                 n_rooms);
void          matrix_client_set_open_room         (MatrixClient         *self,
                                                   const char           *room_id);
const char   *matrix_client_get_user_agent        (MatrixClient         *self);
void          matrix_client_set_user_agent        (MatrixClient         *self,
                                                   const char           *user_agent);
const char   *matrix_client_get_device_display_name (MatrixClient       *self);
void          matrix_client_set_device_display_name (MatrixClient       *self,
                                                     const char         *name);

void          matrix_client_login_async           (MatrixClient         *self,
                                                   const char           *user,
                                                   const char           *password,
                                                   GCancellable         *cancellable,
                                                   GAsyncReadyCallback   callback,
                                                   gpointer              user_data);
gboolean      matrix_client_login_finish          (MatrixClient         *self,
                                                   GAsyncResult         *result,
                                                   GError              **error);
void          matrix_client_logout_async          (MatrixClient         *self,
                                                   GCancellable         *cancellable,
                                                   GAsyncReadyCallback   callback,
                                                   gpointer              user_data);
gboolean      matrix_client_logout_finish         (MatrixClient         *self,
                                                   GAsyncResult         *result,
                                                   GError              **error);

char         *matrix_client_new_transaction_id    (MatrixClient         *self);
void          matrix_client_send_event_async      (MatrixClient         *self,
                                                   const char           *room_id,
                                                   const char           *event_type,
                                                   JsonObject           *content,
                                                   const char           *txn_id,
                                                   GCancellable         *cancellable,
                                                   GAsyncReadyCallback   callback,
                                                   gpointer              user_data);
char         *matrix_client_send_event_finish     (MatrixClient         *self,
                                                   GAsyncResult         *result,
                                                   GError              **error);
gboolean      matrix_client_is_room_encrypted     (MatrixClient         *self,
                                                   const char           *room_id);
void          matrix_client_enable_encryption_async  (MatrixClient         *self,
                                                      const char           *store_path,
                                                      const char           *secret_schema,
                                                      GCancellable         *cancellable,
                                                      GAsyncReadyCallback   callback,
                                                      gpointer              user_data);
gboolean      matrix_client_enable_encryption_finish (MatrixClient         *self,
                                                      GAsyncResult         *result,
                                                      GError              **error);
gboolean      matrix_client_get_encryption_enabled   (MatrixClient         *self);

void          matrix_client_redact_event_async    (MatrixClient         *self,
                                                   const char           *room_id,
                                                   const char           *event_id,
                                                   const char           *reason,
                                                   const char           *txn_id,
                                                   GCancellable         *cancellable,
                                                   GAsyncReadyCallback   callback,
                                                   gpointer              user_data);
/* POST /join/{roomIdOrAlias}: joins (or accepts an invite to) a room; the
 * finish function returns the room id (transfer full). */
void          matrix_client_join_room_async       (MatrixClient         *self,
                                                   const char           *room_id_or_alias,
                                                   GCancellable         *cancellable,
                                                   GAsyncReadyCallback   callback,
                                                   gpointer              user_data);
char         *matrix_client_join_room_finish      (MatrixClient         *self,
                                                   GAsyncResult         *result,
                                                   GError              **error);
/* POST /rooms/{roomId}/leave: leaves a room or declines an invite. */
void          matrix_client_leave_room_async      (MatrixClient         *self,
                                                   const char           *room_id,
                                                   GCancellable         *cancellable,
                                                   GAsyncReadyCallback   callback,
                                                   gpointer              user_data);
gboolean      matrix_client_leave_room_finish     (MatrixClient         *self,
                                                   GAsyncResult         *result,
                                                   GError              **error);
/* POST /rooms/{roomId}/read_markers: the read receipt and the fully-read
 * marker both move to @event_id. */
void          matrix_client_set_read_markers_async  (MatrixClient         *self,
                                                     const char           *room_id,
                                                     const char           *event_id,
                                                     GCancellable         *cancellable,
                                                     GAsyncReadyCallback   callback,
                                                     gpointer              user_data);
gboolean      matrix_client_set_read_markers_finish (MatrixClient         *self,
                                                     GAsyncResult         *result,
                                                     GError              **error);
void          matrix_client_set_typing_async      (MatrixClient         *self,
                                                   const char           *room_id,
                                                   gboolean              typing,
                                                   guint                 timeout_ms,
                                                   GCancellable         *cancellable,
                                                   GAsyncReadyCallback   callback,
                                                   gpointer              user_data);
gboolean      matrix_client_set_typing_finish     (MatrixClient         *self,
                                                   GAsyncResult         *result,
                                                   GError              **error);
void          matrix_client_send_receipt_async    (MatrixClient         *self,
                                                   const char           *room_id,
                                                   const char           *event_id,
                                                   gboolean              private_,
                                                   GCancellable         *cancellable,
                                                   GAsyncReadyCallback   callback,
                                                   gpointer              user_data);
gboolean      matrix_client_send_receipt_finish   (MatrixClient         *self,
                                                   GAsyncResult         *result,
                                                   GError              **error);
/* Content URIs (mxc://server/media-id) and thumbnails of them, with the
 * authenticated media API (Matrix 1.11). */
gboolean      matrix_mxc_uri_parse                (const char           *uri,
                                                   char                **server_name,
                                                   char                **media_id);
void          matrix_client_get_thumbnail_async   (MatrixClient         *self,
                                                   const char           *mxc_uri,
                                                   guint                 width,
                                                   guint                 height,
                                                   GCancellable         *cancellable,
                                                   GAsyncReadyCallback   callback,
                                                   gpointer              user_data);
GBytes       *matrix_client_get_thumbnail_finish  (MatrixClient         *self,
                                                   GAsyncResult         *result,
                                                   GError              **error);
/* POST /createRoom (a private chat, encrypted when the client has
 * encryption); @name and @topic may be NULL. The finish function returns the
 * new room id (transfer full). More choices: matrix-room-create.h. */
void          matrix_client_create_room_async     (MatrixClient         *self,
                                                   const char           *name,
                                                   const char           *topic,
                                                   GCancellable         *cancellable,
                                                   GAsyncReadyCallback   callback,
                                                   gpointer              user_data);
char         *matrix_client_create_room_finish    (MatrixClient         *self,
                                                   GAsyncResult         *result,
                                                   GError              **error);

void          matrix_client_request_async         (MatrixClient         *self,
                                                   const char           *method,
                                                   const char           *path,
                                                   const char * const   *query,
                                                   JsonNode             *body,
                                                   GCancellable         *cancellable,
                                                   GAsyncReadyCallback   callback,
                                                   gpointer              user_data);
JsonObject   *matrix_client_request_finish        (MatrixClient         *self,
                                                   GAsyncResult         *result,
                                                   GError              **error);
char         *matrix_client_build_path            (const char           *first_segment,
                                                   ...) G_GNUC_NULL_TERMINATED;
char         *matrix_client_build_pathv           (const char * const   *segments);

void          matrix_client_start_sync            (MatrixClient         *self);
void          matrix_client_stop_sync             (MatrixClient         *self);

G_END_DECLS
