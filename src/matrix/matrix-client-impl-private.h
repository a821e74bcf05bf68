/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* MatrixClient's insides, shared by the files that make it up:
 * matrix-client.c (the object, login, sending), matrix-client-http.c
 * (requests), matrix-client-guard.c (never plaintext into an encrypted
 * room), matrix-client-rooms.c (room calls, typing, receipts, media) and
 * matrix-client-sync.c (the sync loop). Nothing outside them includes it. */

#include <libsoup/soup.h>

#include "matrix-client-private.h"
#include "matrix-client-crypto-private.h"
#include "matrix-sliding-sync-private.h"

G_BEGIN_DECLS

#define SYNC_TIMEOUT_MS         30000
/* A long-poll that has not answered this long after its timeout is given up
 * on: a busy server answers well within the margin, a frozen one never. */
#define DEFAULT_WATCHDOG_MS     (SYNC_TIMEOUT_MS + 5000)
/* A request asked to answer at once (timeout=0: the retries after a
 * failure) is given up on after this, so a server that went silent shows
 * in seconds rather than after a long-poll. It doubles with each request in
 * a row given up on, up to MAX_WATCHDOG_DOUBLINGS times, so a slow server still
 * gets to answer. */
#define DEFAULT_FIRST_BYTE_MS   10000
#define MAX_WATCHDOG_DOUBLINGS  3
#define MIN_BACKOFF_S           2
#define MAX_BACKOFF_S           30
/* A 429's Retry-After is honoured between the backoff (a server asking for
 * no wait at all gets no flood of requests) and this (a server asking for
 * an hour does not silence the client for an hour). */
#define MAX_RATE_LIMIT_WAIT_S   300
#define READ_CHUNK_SIZE         (256 * 1024)
/* Initial syncs of large accounts run to tens of megabytes; anything past
 * this is a server gone wrong and is refused rather than buffered. */
#define DEFAULT_MAX_BODY_SIZE   ((gsize) 256 * 1024 * 1024)
/* How long a client that does not sync trusts a room's being unencrypted,
 * as the server said or a sync last showed it (a syncing client hears of
 * the change from its sync). */
#define DEFAULT_PLAIN_TTL_MS    60000
#define DEFAULT_USER_AGENT      "matrix-glib/" MATRIX_VERSION_S

struct _MatrixClient
{
  GObject                  parent_instance;

  char                    *homeserver;
  MatrixStore             *store;
  SoupSession             *session;
  char                    *sync_filter;
  char                    *device_display_name;
  gboolean                 fill_gaps;

  char                    *txn_prefix;
  guint                    txn_counter;
  GHashTable              *typing_rooms;  /* ids of rooms we said we are typing in */
  gsize                    max_body_size;

  /* The sync loop. */
  gboolean                 syncing;
  GCancellable            *sync_cancellable;
  GSource                 *retry_source;
  GSource                 *watchdog_source;
  gboolean                 watchdog_fired;
  guint                    request_watchdog_ms;  /* the armed watchdog's */
  guint                    n_watchdog_trips;     /* requests in a row given up on */
  gboolean                 request_in_flight;
  gboolean                 request_is_long_poll;
  /* The next request asks for an answer at once (timeout=0): after a
   * failure, the first success ends the failing state without waiting
   * for a long-poll. */
  gboolean                 catch_up;
  guint                    backoff_s;
  gboolean                 sync_failing;
  MatrixSyncFailure        sync_failure;
  GError                  *sync_error;
  guint                    watchdog_ms;
  guint                    first_byte_ms;
  MatrixTimeoutSourceFunc  timeout_func;
  gpointer                 timeout_data;

  /* What the client knows of rooms' encryption besides its store's state
   * (see "encrypted rooms" below). */
  GHashTable              *encrypted_rooms;   /* room id set */
  GHashTable              *plain_rooms;       /* room id → gint64*, monotonic µs when known */
  guint                    plain_ttl_ms;
  MatrixTimeoutSourceFunc  watchdog_func;
  gpointer                 watchdog_data;
  GNetworkMonitor         *network_monitor;
  gulong                   network_changed_id;

  /* End-to-end encryption, when the account has a machine
   * (matrix-client-crypto.c). */
  MatrixClientCrypto      *crypto;
  /* Simplified sliding sync (matrix-sliding-sync.c). */
  MatrixSyncMode           sync_mode;
  gboolean                 sync_protocol_known;  /* the server's /versions read */
  MatrixSlidingSyncSupport sliding;              /* the protocol in use: NONE for /v3 */
  gboolean                 sliding_drop_pos;     /* after M_UNKNOWN_POS */
  gboolean                 sliding_more;         /* the window grew: ask again at once */
  guint                    room_list_range;      /* 0: grown to every room */
  gint64                   range_end;
  char                    *open_room;
};

enum {
  PROP_0,
  PROP_HOMESERVER,
  PROP_STORE,
  PROP_USER_ID,
  PROP_DEVICE_ID,
  PROP_SYNC_FILTER,
  PROP_SYNC_FAILURE,
  PROP_USER_AGENT,
  PROP_DEVICE_DISPLAY_NAME,
  PROP_FILL_GAPS,
  PROP_SYNC_MODE,
  N_PROPS
};

enum {
  SYNC_FAILED,
  SYNC_RESUMED,
  ROOM_STATE_UPDATES,
  ROOM_TIMELINE_UPDATES,
  ROOM_SUMMARY_UPDATES,
  ROOM_EPHEMERAL_UPDATES,
  ROOM_ACCOUNT_DATA_UPDATES,
  LEFT_ROOM,
  ROOM_INVITE,
  ACCOUNT_DATA_UPDATES,
  SYNCED,
  SESSION_ENDED,
  N_SIGNALS
};

extern GParamSpec *_matrix_client_properties[N_PROPS];
extern guint _matrix_client_signals[N_SIGNALS];

/* matrix-client-http.c: one HTTP exchange, read whole (bounded). */
typedef struct {
  guint               status;
  SoupMessageHeaders *headers;
  GBytes             *body;
} Response;

void _matrix_client_response_free (Response *response);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (Response, _matrix_client_response_free)

/* matrix-client.c: the session is over (logout, soft logout). */
void _matrix_client_forget_session (MatrixClient *self);

/* matrix-client-http.c: sending, and reading answers into GErrors. */
void _matrix_client_send_message_limited_async (MatrixClient *self,
                                                SoupMessage *message,
                                                gsize max_size,
                                                GCancellable *cancellable,
                                                GAsyncReadyCallback callback,
                                                gpointer user_data);
void _matrix_client_send_message_async (MatrixClient *self,
                                        SoupMessage *message,
                                        GCancellable *cancellable,
                                        GAsyncReadyCallback callback,
                                        gpointer user_data);
Response *_matrix_client_send_message_finish (MatrixClient *self,
                                              GAsyncResult *result,
                                              GError **error);
gboolean _matrix_client_is_json (Response *response);
GError *_matrix_client_response_error (Response *response);
SoupMessage *_matrix_client_new_api_message (MatrixClient *self,
                                             const char *method,
                                             const char *path,
                                             const char * const *query,
                                             JsonNode *body,
                                             gboolean authenticated,
                                             GError **error);
void _matrix_client_on_request_done (GObject *source,
                                     GAsyncResult *result,
                                     gpointer user_data);
void _matrix_client_request_async (MatrixClient *self,
                                   const char *method,
                                   const char *path,
                                   const char * const *query,
                                   JsonNode *body,
                                   gboolean authenticated,
                                   GCancellable *cancellable,
                                   GAsyncReadyCallback callback,
                                   gpointer user_data);

/* matrix-client-guard.c: a send into an encrypted room is never plaintext;
 * TRUE when the guard took the request over. */
gboolean _matrix_client_guard_room_send (MatrixClient *self,
                                         GTask *task,
                                         SoupMessage *message,
                                         JsonNode *body);
void _matrix_client_note_sync_room (MatrixClient *self,
                                    MatrixSyncRoom *room);

/* matrix-client-sync.c: the sync loop. */
GSource *_matrix_client_default_timeout_source (guint delay_ms,
                                                gpointer user_data);
gboolean _matrix_client_emit_sync_signals (MatrixClient *self,
                                           MatrixSyncResponse *response,
                                           GCancellable *cancellable);

G_END_DECLS
