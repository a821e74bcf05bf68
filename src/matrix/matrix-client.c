/* SPDX-License-Identifier: LGPL-2.1-or-later */
#define G_LOG_DOMAIN "matrix-client"

#include <libsoup/soup.h>

#include "matrix-client-private.h"
#include "matrix-client-crypto-private.h"
#include "matrix-error.h"
#include "matrix-json-private.h"
#include "matrix-sliding-sync-private.h"
#include "matrix-room-create.h"
#include "matrix-sync-private.h"
#include "matrix-verification-private.h"
#include "matrix-version.h"

/**
 * MatrixClient:
 *
 * The HTTP session with one homeserver: login, requests, sending events and
 * the `/sync` long-poll loop, whose responses go out as signals. Rooms,
 * timelines and state are other types' business; they listen to the signals.
 *
 * Everything runs on the thread-default #GMainContext of the thread that
 * calls matrix_client_start_sync(); only the parsing of large sync bodies runs
 * on a worker thread. Pending callbacks hold a reference to the client, so
 * call matrix_client_stop_sync() before dropping the last one.
 */

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

G_DEFINE_FINAL_TYPE (MatrixClient, matrix_client, G_TYPE_OBJECT)

G_DEFINE_ENUM_TYPE (MatrixSyncFailure, matrix_sync_failure,
  G_DEFINE_ENUM_VALUE (MATRIX_SYNC_FAILURE_NONE, "none"),
  G_DEFINE_ENUM_VALUE (MATRIX_SYNC_FAILURE_CONNECTION, "connection"),
  G_DEFINE_ENUM_VALUE (MATRIX_SYNC_FAILURE_RATE_LIMITED, "rate-limited"),
  G_DEFINE_ENUM_VALUE (MATRIX_SYNC_FAILURE_SERVER, "server"),
  G_DEFINE_ENUM_VALUE (MATRIX_SYNC_FAILURE_INVALID_RESPONSE, "invalid-response"),
  G_DEFINE_ENUM_VALUE (MATRIX_SYNC_FAILURE_OTHER, "other"))

G_DEFINE_ENUM_TYPE (MatrixSyncMode, matrix_sync_mode,
  G_DEFINE_ENUM_VALUE (MATRIX_SYNC_MODE_AUTO, "auto"),
  G_DEFINE_ENUM_VALUE (MATRIX_SYNC_MODE_CLASSIC, "classic"),
  G_DEFINE_ENUM_VALUE (MATRIX_SYNC_MODE_SLIDING, "sliding"))

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

static GParamSpec *properties[N_PROPS];
static guint signals[N_SIGNALS];

static void sync_request (MatrixClient *self);

/* --- HTTP ---------------------------------------------------------------- */

typedef struct {
  SoupMessage  *message;
  GInputStream *stream;
  GByteArray   *buffer;
  gsize         max_size;
} SendData;

typedef struct {
  guint               status;
  SoupMessageHeaders *headers;
  GBytes             *body;
} Response;

static void
send_data_free (SendData *data)
{
  g_clear_object (&data->message);
  g_clear_object (&data->stream);
  g_clear_pointer (&data->buffer, g_byte_array_unref);
  g_free (data);
}

static void
response_free (Response *response)
{
  g_clear_pointer (&response->headers, soup_message_headers_unref);
  g_clear_pointer (&response->body, g_bytes_unref);
  g_free (response);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Response, response_free)

static void
read_next_chunk (GTask *task);

static void
on_chunk_read (GObject      *source,
               GAsyncResult *result,
               gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  SendData *data = g_task_get_task_data (task);
  g_autoptr(GBytes) chunk = NULL;
  GError *error = NULL;
  Response *response;

  chunk = g_input_stream_read_bytes_finish (G_INPUT_STREAM (source), result, &error);
  if (chunk == NULL)
    {
      g_task_return_error (task, error);
      return;
    }

  if (g_bytes_get_size (chunk) > 0)
    {
      if (data->buffer->len + g_bytes_get_size (chunk) > data->max_size)
        {
          g_task_return_new_error (task, MATRIX_ERROR, MATRIX_ERROR_INVALID_RESPONSE,
                                   "The response is larger than %" G_GSIZE_FORMAT " bytes",
                                   data->max_size);
          return;
        }

      g_byte_array_append (data->buffer, g_bytes_get_data (chunk, NULL), g_bytes_get_size (chunk));
      read_next_chunk (g_steal_pointer (&task));
      return;
    }

  response = g_new0 (Response, 1);
  response->status = soup_message_get_status (data->message);
  response->headers = soup_message_headers_ref (soup_message_get_response_headers (data->message));
  response->body = g_byte_array_free_to_bytes (g_steal_pointer (&data->buffer));
  g_task_return_pointer (task, response, (GDestroyNotify) response_free);
}

static void
read_next_chunk (GTask *task)
{
  SendData *data = g_task_get_task_data (task);

  g_input_stream_read_bytes_async (data->stream, READ_CHUNK_SIZE, G_PRIORITY_DEFAULT,
                                   g_task_get_cancellable (task), on_chunk_read, task);
}

static void
on_message_sent (GObject      *source,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  SendData *data = g_task_get_task_data (task);
  SoupMessageHeaders *headers;
  GError *error = NULL;

  data->stream = soup_session_send_finish (SOUP_SESSION (source), result, &error);
  if (data->stream == NULL)
    {
      g_task_return_error (task, error);
      return;
    }

  headers = soup_message_get_response_headers (data->message);
  if (soup_message_headers_get_encoding (headers) == SOUP_ENCODING_CONTENT_LENGTH &&
      (guint64) soup_message_headers_get_content_length (headers) > data->max_size)
    {
      g_task_return_new_error (task, MATRIX_ERROR, MATRIX_ERROR_INVALID_RESPONSE,
                               "The response is larger than %" G_GSIZE_FORMAT " bytes",
                               data->max_size);
      return;
    }

  data->buffer = g_byte_array_new ();
  read_next_chunk (g_steal_pointer (&task));
}

/* Sends @message and reads the whole body, refusing bodies over @max_size
 * without buffering them. */
static void
send_message_limited_async (MatrixClient        *self,
                            SoupMessage         *message,
                            gsize                max_size,
                            GCancellable        *cancellable,
                            GAsyncReadyCallback  callback,
                            gpointer             user_data)
{
  GTask *task = g_task_new (self, cancellable, callback, user_data);
  SendData *data = g_new0 (SendData, 1);

  g_task_set_source_tag (task, send_message_limited_async);
  data->message = g_object_ref (message);
  data->max_size = max_size;
  g_task_set_task_data (task, data, (GDestroyNotify) send_data_free);

  soup_session_send_async (self->session, message, G_PRIORITY_DEFAULT, cancellable,
                           on_message_sent, task);
}

static void
send_message_async (MatrixClient        *self,
                    SoupMessage         *message,
                    GCancellable        *cancellable,
                    GAsyncReadyCallback  callback,
                    gpointer             user_data)
{
  send_message_limited_async (self, message, self->max_body_size, cancellable, callback, user_data);
}

static Response *
send_message_finish (MatrixClient  *self,
                     GAsyncResult  *result,
                     GError       **error)
{
  return g_task_propagate_pointer (G_TASK (result), error);
}

static gboolean
is_json (Response *response)
{
  const char *content_type = soup_message_headers_get_content_type (response->headers, NULL);

  return content_type != NULL && g_ascii_strcasecmp (content_type, "application/json") == 0;
}

/* Reads the retry hint of a 429: the Retry-After header (seconds, current
 * spec) wins over the body's retry_after_ms (older servers). A number of
 * seconds too big to hold saturates; an HTTP date is not used. */
static gint64
get_retry_after_ms (Response   *response,
                    JsonObject *body)
{
  const guint64 max_seconds = G_MAXINT64 / 1000;
  const char *header = soup_message_headers_get_one (response->headers, "Retry-After");
  g_autoptr(GError) error = NULL;
  gint64 retry_after_ms = -1;
  guint64 seconds;

  if (header != NULL)
    {
      if (g_ascii_string_to_unsigned (header, 10, 0, max_seconds, &seconds, &error))
        return (gint64) seconds * 1000;
      if (g_error_matches (error, G_NUMBER_PARSER_ERROR, G_NUMBER_PARSER_ERROR_OUT_OF_BOUNDS))
        return (gint64) max_seconds * 1000;
    }

  if (body != NULL &&
      _matrix_json_get_int (body, NULL, "retry_after_ms", FALSE, &retry_after_ms, NULL) &&
      retry_after_ms >= 0)
    return retry_after_ms;

  return -1;
}

/* Turns a non-2xx response into a GError, keeping errcode and hints. */
static GError *
error_from_response (Response *response)
{
  g_autoptr(JsonObject) body = NULL;
  const char *errcode = NULL, *message = NULL;
  gboolean soft_logout = FALSE;

  if (is_json (response))
    body = _matrix_json_parse_object (g_bytes_get_data (response->body, NULL),
                                      g_bytes_get_size (response->body), NULL);

  if (body != NULL)
    {
      _matrix_json_get_string (body, NULL, "errcode", FALSE, &errcode, NULL);
      _matrix_json_get_string (body, NULL, "error", FALSE, &message, NULL);
      _matrix_json_get_bool (body, NULL, "soft_logout", FALSE, &soft_logout, NULL);
    }

  return matrix_error_new_from_response (response->status, errcode,
                                         message != NULL ? message
                                                         : soup_status_get_phrase (response->status),
                                         get_retry_after_ms (response, body), soft_logout);
}

/**
 * matrix_client_build_path: (skip)
 * @first_segment: the first path segment, e.g. `v3`
 * @...: more segments, ending with %NULL
 *
 * Joins path segments with `/`, percent-encoding each one entirely, so a room
 * id such as `!abc:example.org` or a user-chosen transaction id can never
 * change the shape of the path. For matrix_client_request_async().
 *
 * Returns: (transfer full): the path, relative to `/_matrix/client/`
 */
char *
matrix_client_build_path (const char *first_segment,
                          ...)
{
  g_autoptr(GString) path = g_string_new (NULL);
  const char *segment = first_segment;
  va_list args;

  va_start (args, first_segment);
  while (segment != NULL)
    {
      if (path->len > 0)
        g_string_append_c (path, '/');
      g_string_append_uri_escaped (path, segment, NULL, FALSE);
      segment = va_arg (args, const char *);
    }
  va_end (args);

  return g_string_free (g_steal_pointer (&path), FALSE);
}

/**
 * matrix_client_build_pathv: (rename-to matrix_client_build_path)
 * @segments: (array zero-terminated=1): the path segments, e.g. `v3`,
 *   `rooms`, a room id, `state`
 *
 * Like matrix_client_build_path(), with the segments in an array: joins them
 * with `/`, percent-encoding each one entirely.
 *
 * Returns: (transfer full): the path, relative to `/_matrix/client/`
 */
char *
matrix_client_build_pathv (const char * const *segments)
{
  g_autoptr(GString) path = g_string_new (NULL);

  g_return_val_if_fail (segments != NULL && segments[0] != NULL, NULL);

  for (guint i = 0; segments[i] != NULL; i++)
    {
      if (i > 0)
        g_string_append_c (path, '/');
      g_string_append_uri_escaped (path, segments[i], NULL, FALSE);
    }

  return g_string_free (g_steal_pointer (&path), FALSE);
}

static SoupMessage *
new_message_below (MatrixClient        *self,
                   const char          *method,
                   const char          *prefix,
                   const char          *path,
                   const char * const  *query,
                   JsonNode            *body,
                   gboolean             authenticated,
                   GError             **error)
{
  g_autoptr(GString) url = g_string_new (self->homeserver);
  g_autoptr(SoupMessage) message = NULL;
  g_autoptr(GUri) uri = NULL;
  const char *access_token;

  g_string_append (url, prefix);
  g_string_append (url, path);
  for (guint i = 0; query != NULL && query[i] != NULL && query[i + 1] != NULL; i += 2)
    {
      g_string_append_c (url, i == 0 ? '?' : '&');
      g_string_append_uri_escaped (url, query[i], NULL, FALSE);
      g_string_append_c (url, '=');
      g_string_append_uri_escaped (url, query[i + 1], NULL, FALSE);
    }

  uri = g_uri_parse (url->str, SOUP_HTTP_URI_FLAGS, error);
  if (uri == NULL)
    return NULL;

  message = soup_message_new_from_uri (method, uri);

  if (authenticated)
    {
      access_token = matrix_store_get_value (self->store, MATRIX_STORE_KEY_ACCESS_TOKEN);
      if (access_token == NULL)
        {
          g_set_error_literal (error, MATRIX_ERROR, MATRIX_ERROR_NOT_LOGGED_IN, "Not logged in");
          return NULL;
        }

      g_autofree char *authorization = g_strconcat ("Bearer ", access_token, NULL);
      soup_message_headers_replace (soup_message_get_request_headers (message),
                                    "Authorization", authorization);
    }

  if (body != NULL)
    {
      g_autofree char *text = _matrix_json_to_string (body);
      g_autoptr(GBytes) bytes = g_bytes_new_take (text, strlen (text));

      text = NULL;
      soup_message_set_request_body_from_bytes (message, "application/json", bytes);
    }

  return g_steal_pointer (&message);
}

static SoupMessage *
new_message (MatrixClient        *self,
             const char          *method,
             const char          *path,
             const char * const  *query,
             JsonNode            *body,
             gboolean             authenticated,
             GError             **error)
{
  return new_message_below (self, method, "/_matrix/client/", path, query, body, authenticated,
                            error);
}

SoupMessage *
_matrix_client_new_message (MatrixClient        *self,
                            const char          *method,
                            const char          *prefix,
                            const char          *path,
                            const char * const  *query,
                            gboolean             authenticated,
                            GError             **error)
{
  return new_message_below (self, method, prefix, path, query, NULL, authenticated, error);
}

SoupSession *
_matrix_client_get_session (MatrixClient *self)
{
  return self->session;
}

GError *
_matrix_client_error_from_response (guint               status,
                                    SoupMessageHeaders *headers,
                                    GBytes             *body)
{
  Response response = { status, headers, body };

  return error_from_response (&response);
}

static void
on_request_done (GObject      *source,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  MatrixClient *self = MATRIX_CLIENT (source);
  g_autoptr(GTask) task = user_data;
  g_autoptr(Response) response = NULL;
  JsonObject *object;
  GError *error = NULL;

  response = send_message_finish (self, result, &error);
  if (response == NULL)
    {
      g_task_return_error (task, error);
      return;
    }

  if (!SOUP_STATUS_IS_SUCCESSFUL (response->status))
    {
      g_task_return_error (task, error_from_response (response));
      return;
    }

  object = _matrix_json_parse_object (g_bytes_get_data (response->body, NULL),
                                      g_bytes_get_size (response->body), &error);
  if (object == NULL)
    {
      g_task_return_error (task, error);
      return;
    }

  g_task_return_pointer (task, object, (GDestroyNotify) json_object_unref);
}

static gboolean guard_room_send (MatrixClient *self,
                                 GTask        *task,
                                 SoupMessage  *message,
                                 JsonNode     *body);

static void
request_async (MatrixClient        *self,
               const char          *method,
               const char          *path,
               const char * const  *query,
               JsonNode            *body,
               gboolean             authenticated,
               GCancellable        *cancellable,
               GAsyncReadyCallback  callback,
               gpointer             user_data)
{
  g_autoptr(GTask) task = g_task_new (self, cancellable, callback, user_data);
  g_autoptr(SoupMessage) message = NULL;
  GError *error = NULL;

  g_task_set_source_tag (task, matrix_client_request_async);

  message = new_message (self, method, path, query, body, authenticated, &error);
  if (message == NULL)
    {
      g_task_return_error (task, error);
      return;
    }

  if (guard_room_send (self, task, message, body))
    return;

  send_message_async (self, message, cancellable, on_request_done, g_steal_pointer (&task));
}

void
_matrix_client_request_message_async (MatrixClient        *self,
                                      SoupMessage         *message,
                                      GCancellable        *cancellable,
                                      GAsyncReadyCallback  callback,
                                      gpointer             user_data)
{
  GTask *task = g_task_new (self, cancellable, callback, user_data);

  g_task_set_source_tag (task, matrix_client_request_async);
  send_message_async (self, message, cancellable, on_request_done, task);
}

/**
 * matrix_client_request_async:
 * @self: a #MatrixClient
 * @method: the HTTP method
 * @path: the path below `/_matrix/client/`, built with matrix_client_build_path()
 * @query: (nullable) (array zero-terminated=1): name, value, name, value, ... %NULL
 * @body: (nullable): a JSON body
 * @cancellable: (nullable): a #GCancellable
 * @callback: called with the result
 * @user_data: data for @callback
 *
 * Makes an authenticated request to the client-server API: the supported way
 * to reach an endpoint the library does not wrap (a profile, typing
 * notices, room tags...). The typed methods are built on it.
 *
 * The request carries the access token and the client's `User-Agent`;
 * @body is sent as JSON. A response that is not a JSON object, or an error
 * response, fails with a #MatrixError that keeps the server's `errcode`,
 * HTTP status and retry hint (matrix_error_get_errcode() and friends); the
 * request is not retried, and nothing is written to the store. Build @path
 * with matrix_client_build_path() or matrix_client_build_pathv(), so that
 * ids can never change its shape:
 *
 * ```c
 * g_autofree char *path = matrix_client_build_path ("v3", "profile", user_id,
 *                                                   "displayname", NULL);
 * matrix_client_request_async (client, "GET", path, NULL, NULL, NULL,
 *                              on_display_name, self);
 * ```
 *
 * A request to `/rooms/{roomId}/send/…` is held to the same rule as
 * matrix_client_send_event_async(): nothing readable goes into an encrypted
 * room (%MATRIX_ERROR_ROOM_ENCRYPTED).
 */
void
matrix_client_request_async (MatrixClient        *self,
                             const char          *method,
                             const char          *path,
                             const char * const  *query,
                             JsonNode            *body,
                             GCancellable        *cancellable,
                             GAsyncReadyCallback  callback,
                             gpointer             user_data)
{
  g_return_if_fail (MATRIX_IS_CLIENT (self));
  g_return_if_fail (method != NULL);
  g_return_if_fail (path != NULL);

  request_async (self, method, path, query, body, TRUE, cancellable, callback, user_data);
}

/**
 * matrix_client_request_finish:
 * @self: a #MatrixClient
 * @result: the #GAsyncResult
 * @error: return location for a #GError
 *
 * Finishes matrix_client_request_async().
 *
 * Returns: (transfer full) (nullable): the response body, a JSON object
 */
JsonObject *
matrix_client_request_finish (MatrixClient  *self,
                              GAsyncResult  *result,
                              GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

/* --- encrypted rooms ------------------------------------------------------ *
 *
 * This library cannot encrypt yet, so it never sends readable content into a
 * room whose state has m.room.encryption. Every request goes through
 * request_async(), and this is checked there, on the path as it goes on the
 * wire: whatever built the request (matrix_client_send_event_async(), a
 * timeline's send or retry, matrix_client_request_async()), an event sent
 * with /rooms/{roomId}/send/{eventType} is refused with
 * MATRIX_ERROR_ROOM_ENCRYPTED before any byte leaves, unless it is a
 * redaction or already encrypted. State events (/state/) and redactions
 * (/redact/) are not encrypted in encrypted rooms either, so they go.
 *
 * What the client knows of a room, in order:
 * - m.room.encryption in the store's state (a tracker keeps it there), or in
 *   a sync the client dispatched (joined, left or invited rooms: a client
 *   without a tracker learns it there): encrypted, for good — the spec has
 *   no way to turn encryption off.
 * - a room the store has not loaded whole: loaded first, then asked again.
 * - m.room.create in the store's state: the store holds the room's whole
 *   state, which has no m.room.encryption: not encrypted.
 * - m.room.create in a sync, or a 404 from the server for the room's
 *   m.room.encryption: not encrypted while the client syncs (the sync brings
 *   a change), else for plain_ttl_ms.
 * - otherwise the client asks the server, GET /state/m.room.encryption/, and
 *   sends only on a 404; any other failure fails the send.
 */

typedef enum {
  ROOM_PLAIN,
  ROOM_ENCRYPTED,
  ROOM_NOT_LOADED,
  ROOM_UNKNOWN,
} RoomEncryption;

static void
note_plain_room (MatrixClient *self,
                 const char   *room_id)
{
  gint64 *known_at = g_new (gint64, 1);

  *known_at = g_get_monotonic_time ();
  g_hash_table_replace (self->plain_rooms, g_strdup (room_id), known_at);
}

static RoomEncryption
room_encryption (MatrixClient *self,
                 const char   *room_id)
{
  g_autoptr(MatrixStateEvent) encryption = NULL;
  g_autoptr(MatrixStateEvent) create = NULL;
  gint64 *known_at;

  if (g_hash_table_contains (self->encrypted_rooms, room_id))
    return ROOM_ENCRYPTED;
  encryption = matrix_store_get_state_event (self->store, room_id, "m.room.encryption", "");
  if (encryption != NULL)
    return ROOM_ENCRYPTED;
  if (!matrix_store_is_room_loaded (self->store, room_id))
    return ROOM_NOT_LOADED;
  create = matrix_store_get_state_event (self->store, room_id, "m.room.create", "");
  if (create != NULL)
    return ROOM_PLAIN;

  known_at = g_hash_table_lookup (self->plain_rooms, room_id);
  if (known_at != NULL &&
      (self->syncing || g_get_monotonic_time () - *known_at < (gint64) self->plain_ttl_ms * 1000))
    return ROOM_PLAIN;

  return ROOM_UNKNOWN;
}

/* What one room of a sync response says of its encryption, before anything
 * else hears of it. */
static void
note_sync_room (MatrixClient   *self,
                MatrixSyncRoom *room)
{
  GPtrArray *sections[] = { room->state, room->timeline };
  gboolean encrypted = FALSE, created = FALSE;

  for (guint s = 0; s < G_N_ELEMENTS (sections); s++)
    for (guint i = 0; sections[s] != NULL && i < sections[s]->len; i++)
      {
        MatrixEvent *event = g_ptr_array_index (sections[s], i);
        const char *type = matrix_event_get_event_type (event);

        if (!MATRIX_IS_STATE_EVENT (event) ||
            g_strcmp0 (matrix_state_event_get_state_key (MATRIX_STATE_EVENT (event)), "") != 0)
          continue;
        encrypted |= g_strcmp0 (type, "m.room.encryption") == 0;
        created |= g_strcmp0 (type, "m.room.create") == 0;
      }

  for (guint i = 0; room->invite_state != NULL && i < room->invite_state->len; i++)
    {
      JsonObject *stripped = g_ptr_array_index (room->invite_state, i);

      encrypted |= g_strcmp0 (json_object_get_string_member_with_default (stripped, "type", NULL),
                              "m.room.encryption") == 0 &&
                   g_strcmp0 (json_object_get_string_member_with_default (stripped, "state_key", NULL),
                              "") == 0;
    }

  if (encrypted)
    g_hash_table_add (self->encrypted_rooms, g_strdup (room->room_id));
  else if (created)
    note_plain_room (self, room->room_id);
}

/* The room and event type of a request to /rooms/{roomId}/send/{eventType},
 * read off the path that goes on the wire, whatever built it. */
static gboolean
parse_room_send (SoupMessage  *message,
                 char        **room_id,
                 char        **event_type)
{
  g_auto(GStrv) segments = g_strsplit (g_uri_get_path (soup_message_get_uri (message)), "/", -1);
  guint n = g_strv_length (segments);

  for (guint i = 0; i + 2 < n; i++)
    {
      g_autofree char *rooms = g_uri_unescape_string (segments[i], NULL);
      g_autofree char *send = g_uri_unescape_string (segments[i + 2], NULL);
      char *type = NULL;

      if (g_strcmp0 (rooms, "rooms") != 0 || g_strcmp0 (send, "send") != 0)
        continue;

      /* A segment that does not unescape is taken as it is: the room is then
       * unknown, which is never taken for unencrypted. */
      *room_id = g_uri_unescape_string (segments[i + 1], NULL);
      if (*room_id == NULL)
        *room_id = g_strdup (segments[i + 1]);
      if (i + 3 < n)
        type = g_uri_unescape_string (segments[i + 3], NULL);
      *event_type = type;
      return TRUE;
    }

  return FALSE;
}

/* A redaction carries no content of its own (as in encrypted rooms
 * everywhere); an m.room.encrypted event carries only ciphertext. */
gboolean
_matrix_client_may_send_unencrypted (const char *event_type,
                                     JsonObject *content)
{
  if (g_strcmp0 (event_type, "m.room.redaction") == 0)
    return TRUE;

  return g_strcmp0 (event_type, "m.room.encrypted") == 0 && content != NULL &&
         json_object_has_member (content, "algorithm") &&
         json_object_has_member (content, "ciphertext");
}

typedef struct {
  SoupMessage *message;
  char        *room_id;
  char        *event_type;
  JsonNode    *body;       /* nullable */
  gboolean     load_asked;
} GuardedSend;

static void
guarded_send_free (GuardedSend *send)
{
  g_clear_object (&send->message);
  g_free (send->room_id);
  g_free (send->event_type);
  g_clear_pointer (&send->body, json_node_unref);
  g_free (send);
}

static void
on_send_encrypted (GObject      *source,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  MatrixClient *self = MATRIX_CLIENT (source);
  GTask *task = user_data;
  GuardedSend *send = g_task_get_task_data (task);
  g_autoptr(JsonObject) encrypted = NULL;
  g_autoptr(JsonNode) node = NULL;
  g_autoptr(SoupMessage) message = NULL;
  g_autofree char *path = NULL;
  g_autofree char *txn_id = NULL;
  const char *old_path;
  GError *error = NULL;

  encrypted = _matrix_client_crypto_encrypt_finish (self, result, &error);
  if (encrypted == NULL)
    {
      g_task_return_error (task, error);
      g_object_unref (task);
      return;
    }
  /* The same transaction id, so a retried send stays one event. */
  old_path = g_uri_get_path (soup_message_get_uri (send->message));
  txn_id = g_uri_unescape_string (strrchr (old_path, '/') + 1, NULL);
  path = matrix_client_build_path ("v3", "rooms", send->room_id, "send", "m.room.encrypted",
                                   txn_id != NULL ? txn_id : "", NULL);
  node = json_node_init_object (json_node_alloc (), encrypted);
  message = new_message (self, "PUT", path, NULL, node, TRUE, &error);
  if (message == NULL)
    {
      g_task_return_error (task, error);
      g_object_unref (task);
      return;
    }
  send_message_async (self, message, g_task_get_cancellable (task), on_request_done, task);
}

/* Takes @task. In a room known to be encrypted: encrypts and sends when the
 * account has a crypto machine, refuses otherwise (never plaintext). */
static void
send_into_encrypted_room (MatrixClient *self,
                          GTask        *task)
{
  GuardedSend *send = g_task_get_task_data (task);

  if (_matrix_client_get_crypto (self) != NULL && send->event_type != NULL &&
      send->body != NULL && JSON_NODE_HOLDS_OBJECT (send->body) &&
      g_strcmp0 (soup_message_get_method (send->message), "PUT") == 0)
    {
      _matrix_client_crypto_encrypt_async (self, send->room_id, send->event_type,
                                           json_node_get_object (send->body),
                                           g_task_get_cancellable (task), on_send_encrypted, task);
      return;
    }
  g_task_return_new_error (task, MATRIX_ERROR, MATRIX_ERROR_ROOM_ENCRYPTED,
                           "Room %s is encrypted, and this client cannot encrypt: "
                           "the event was not sent", send->room_id);
  g_object_unref (task);
}

static void check_room_then_send (MatrixClient *self,
                                  GTask        *task);

static void
on_guard_room_loaded (GObject      *source,
                      GAsyncResult *result,
                      gpointer      user_data)
{
  GTask *task = user_data;
  GError *error = NULL;

  if (!matrix_store_load_rooms_finish (MATRIX_STORE (source), result, &error))
    {
      g_task_return_error (task, error);
      g_object_unref (task);
      return;
    }

  check_room_then_send (g_task_get_source_object (task), task);
}

static void
on_guard_state_answered (GObject      *source,
                         GAsyncResult *result,
                         gpointer      user_data)
{
  MatrixClient *self = MATRIX_CLIENT (source);
  g_autoptr(GTask) task = user_data;
  GuardedSend *send = g_task_get_task_data (task);
  g_autoptr(JsonObject) content = NULL;
  GCancellable *cancellable;
  GError *error = NULL;

  content = matrix_client_request_finish (self, result, &error);
  if (content != NULL)
    {
      g_hash_table_add (self->encrypted_rooms, g_strdup (send->room_id));
      send_into_encrypted_room (self, g_steal_pointer (&task));
      return;
    }
  if (!g_error_matches (error, MATRIX_ERROR, MATRIX_ERROR_NOT_FOUND))
    {
      g_task_return_error (task, error);
      return;
    }
  g_error_free (error);

  /* A sync may have told otherwise meanwhile. */
  if (g_hash_table_contains (self->encrypted_rooms, send->room_id))
    {
      send_into_encrypted_room (self, g_steal_pointer (&task));
      return;
    }

  note_plain_room (self, send->room_id);
  cancellable = g_task_get_cancellable (task);
  send_message_async (self, send->message, cancellable, on_request_done, g_steal_pointer (&task));
}

/* Takes @task, whose data is a GuardedSend. */
static void
check_room_then_send (MatrixClient *self,
                      GTask        *task)
{
  GuardedSend *send = g_task_get_task_data (task);
  GCancellable *cancellable = g_task_get_cancellable (task);
  RoomEncryption encryption = room_encryption (self, send->room_id);
  g_autofree char *path = NULL;

  if (encryption == ROOM_NOT_LOADED && !send->load_asked)
    {
      const char *room_ids[] = { send->room_id, NULL };

      send->load_asked = TRUE;
      matrix_store_load_rooms_async (self->store, room_ids, cancellable, on_guard_room_loaded, task);
      return;
    }

  switch (encryption)
    {
    case ROOM_ENCRYPTED:
      send_into_encrypted_room (self, task);
      break;
    case ROOM_PLAIN:
      send_message_async (self, send->message, cancellable, on_request_done, task);
      break;
    case ROOM_NOT_LOADED:
    case ROOM_UNKNOWN:
    default:
      path = matrix_client_build_path ("v3", "rooms", send->room_id, "state", "m.room.encryption",
                                       "", NULL);
      request_async (self, "GET", path, NULL, NULL, TRUE, cancellable, on_guard_state_answered, task);
      break;
    }
}

/* TRUE when it took @task over: a send into a room that is encrypted, or may be. */
static gboolean
guard_room_send (MatrixClient *self,
                 GTask        *task,
                 SoupMessage  *message,
                 JsonNode     *body)
{
  g_autofree char *room_id = NULL;
  g_autofree char *event_type = NULL;
  GuardedSend *send;

  if (!parse_room_send (message, &room_id, &event_type) ||
      _matrix_client_may_send_unencrypted (event_type,
                                           body != NULL && JSON_NODE_HOLDS_OBJECT (body) ?
                                           json_node_get_object (body) : NULL))
    return FALSE;

  send = g_new0 (GuardedSend, 1);
  send->message = g_object_ref (message);
  send->room_id = g_steal_pointer (&room_id);
  send->event_type = g_steal_pointer (&event_type);
  send->body = body != NULL ? json_node_ref (body) : NULL;
  g_task_set_task_data (task, send, (GDestroyNotify) guarded_send_free);
  check_room_then_send (self, g_object_ref (task));
  return TRUE;
}

/**
 * matrix_client_is_room_encrypted:
 * @self: a #MatrixClient
 * @room_id: a room id
 *
 * Whether the client knows now that @room_id is encrypted: its store's
 * state, or a sync it dispatched, has `m.room.encryption`. A send checks
 * more (it reads a room the store has not loaded, or asks the server about
 * a room it knows nothing of) and is refused with
 * %MATRIX_ERROR_ROOM_ENCRYPTED however it was built.
 *
 * Returns: %TRUE if the room is known to be encrypted
 */
gboolean
matrix_client_is_room_encrypted (MatrixClient *self,
                                 const char   *room_id)
{
  g_return_val_if_fail (MATRIX_IS_CLIENT (self), FALSE);
  g_return_val_if_fail (room_id != NULL, FALSE);

  return room_encryption (self, room_id) == ROOM_ENCRYPTED;
}

/* --- login, logout, send ------------------------------------------------- */

static void
on_login_done (GObject      *source,
               GAsyncResult *result,
               gpointer      user_data)
{
  MatrixClient *self = MATRIX_CLIENT (source);
  g_autoptr(GTask) task = user_data;
  g_autoptr(JsonObject) body = NULL;
  const char *access_token, *user_id, *device_id;
  GError *error = NULL;

  body = matrix_client_request_finish (self, result, &error);
  if (body == NULL)
    {
      g_task_return_error (task, error);
      return;
    }

  if (!_matrix_json_get_string (body, "login", "access_token", TRUE, &access_token, &error) ||
      !_matrix_json_get_string (body, "login", "user_id", TRUE, &user_id, &error) ||
      !_matrix_json_get_string (body, "login", "device_id", TRUE, &device_id, &error))
    {
      g_task_return_error (task, error);
      return;
    }

  matrix_store_set_value (self->store, MATRIX_STORE_KEY_HOMESERVER, self->homeserver);
  matrix_store_set_value (self->store, MATRIX_STORE_KEY_USER_ID, user_id);
  matrix_store_set_value (self->store, MATRIX_STORE_KEY_DEVICE_ID, device_id);
  matrix_store_set_value (self->store, MATRIX_STORE_KEY_ACCESS_TOKEN, access_token);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_USER_ID]);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_DEVICE_ID]);

  g_task_return_boolean (task, TRUE);
}

/**
 * matrix_client_login_async:
 * @self: a #MatrixClient
 * @user: a user id (`@alice:example.org`) or localpart (`alice`)
 * @password: the password
 * @cancellable: (nullable): a #GCancellable
 * @callback: called when logged in, or failed
 * @user_data: data for @callback
 *
 * Logs in with `m.login.password` and keeps the access token, user id and
 * device id in the store. A device id already in the store is reused, so that
 * logging in again after a soft logout keeps the same device.
 */
void
matrix_client_login_async (MatrixClient        *self,
                           const char          *user,
                           const char          *password,
                           GCancellable        *cancellable,
                           GAsyncReadyCallback  callback,
                           gpointer             user_data)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  g_autoptr(JsonNode) body = NULL;
  const char *device_id;
  const char *device_display_name;
  GTask *task;

  g_return_if_fail (MATRIX_IS_CLIENT (self));
  g_return_if_fail (user != NULL);
  g_return_if_fail (password != NULL);

  device_id = matrix_store_get_value (self->store, MATRIX_STORE_KEY_DEVICE_ID);

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "type");
  json_builder_add_string_value (builder, "m.login.password");
  json_builder_set_member_name (builder, "identifier");
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "type");
  json_builder_add_string_value (builder, "m.id.user");
  json_builder_set_member_name (builder, "user");
  json_builder_add_string_value (builder, user);
  json_builder_end_object (builder);
  json_builder_set_member_name (builder, "password");
  json_builder_add_string_value (builder, password);
  device_display_name = self->device_display_name != NULL
                        ? self->device_display_name : g_get_application_name ();
  if (device_display_name != NULL)
    {
      json_builder_set_member_name (builder, "initial_device_display_name");
      json_builder_add_string_value (builder, device_display_name);
    }
  if (device_id != NULL)
    {
      json_builder_set_member_name (builder, "device_id");
      json_builder_add_string_value (builder, device_id);
    }
  json_builder_end_object (builder);
  body = json_builder_get_root (builder);

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, matrix_client_login_async);
  request_async (self, "POST", "v3/login", NULL, body, FALSE, cancellable, on_login_done, task);
}

/**
 * matrix_client_login_finish:
 * @self: a #MatrixClient
 * @result: the #GAsyncResult
 * @error: return location for a #GError; a wrong password is
 *   %MATRIX_ERROR_FORBIDDEN
 *
 * Finishes matrix_client_login_async().
 *
 * Returns: %TRUE when logged in
 */
gboolean
matrix_client_login_finish (MatrixClient  *self,
                            GAsyncResult  *result,
                            GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}

static void
forget_session (MatrixClient *self)
{
  _matrix_client_crypto_forget (self);
  matrix_store_set_value (self->store, MATRIX_STORE_KEY_ACCESS_TOKEN, NULL);
  matrix_store_set_value (self->store, MATRIX_STORE_KEY_DEVICE_ID, NULL);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_DEVICE_ID]);
}

static void
on_logout_done (GObject      *source,
                GAsyncResult *result,
                gpointer      user_data)
{
  MatrixClient *self = MATRIX_CLIENT (source);
  g_autoptr(GTask) task = user_data;
  g_autoptr(JsonObject) body = NULL;
  GError *error = NULL;

  body = matrix_client_request_finish (self, result, &error);

  /* A token the server no longer knows is as logged out as it gets. */
  if (body != NULL || g_error_matches (error, MATRIX_ERROR, MATRIX_ERROR_UNKNOWN_TOKEN))
    forget_session (self);

  if (body == NULL)
    g_task_return_error (task, error);
  else
    g_task_return_boolean (task, TRUE);
}

/**
 * matrix_client_logout_async:
 * @self: a #MatrixClient
 * @cancellable: (nullable): a #GCancellable
 * @callback: called when logged out, or failed
 * @user_data: data for @callback
 *
 * Stops syncing, invalidates the access token on the server and removes it
 * and the device id from the store.
 */
void
matrix_client_logout_async (MatrixClient        *self,
                            GCancellable        *cancellable,
                            GAsyncReadyCallback  callback,
                            gpointer             user_data)
{
  GTask *task;

  g_return_if_fail (MATRIX_IS_CLIENT (self));

  matrix_client_stop_sync (self);

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, matrix_client_logout_async);
  request_async (self, "POST", "v3/logout", NULL, NULL, TRUE, cancellable, on_logout_done, task);
}

/**
 * matrix_client_logout_finish:
 * @self: a #MatrixClient
 * @result: the #GAsyncResult
 * @error: return location for a #GError
 *
 * Finishes matrix_client_logout_async().
 *
 * Returns: %TRUE when logged out
 */
gboolean
matrix_client_logout_finish (MatrixClient  *self,
                             GAsyncResult  *result,
                             GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}

/**
 * matrix_client_new_transaction_id:
 * @self: a #MatrixClient
 *
 * Transaction ids make sends idempotent: retrying a send with the same id
 * never creates a second event. Ids are unique across restarts of the
 * process too, since they start with the time and a random part.
 *
 * Returns: (transfer full): a fresh transaction id
 */
char *
matrix_client_new_transaction_id (MatrixClient *self)
{
  g_return_val_if_fail (MATRIX_IS_CLIENT (self), NULL);

  return g_strdup_printf ("%s.%u", self->txn_prefix, ++self->txn_counter);
}

static void
on_send_event_done (GObject      *source,
                    GAsyncResult *result,
                    gpointer      user_data)
{
  MatrixClient *self = MATRIX_CLIENT (source);
  g_autoptr(GTask) task = user_data;
  g_autoptr(JsonObject) body = NULL;
  const char *event_id;
  GError *error = NULL;

  body = matrix_client_request_finish (self, result, &error);
  if (body == NULL ||
      !_matrix_json_get_string (body, "send", "event_id", TRUE, &event_id, &error))
    {
      g_task_return_error (task, error);
      return;
    }

  g_task_return_pointer (task, g_strdup (event_id), g_free);
}

/**
 * matrix_client_send_event_async:
 * @self: a #MatrixClient
 * @room_id: the room
 * @event_type: the event type, e.g. `m.room.message`
 * @content: the event content
 * @txn_id: (nullable): a transaction id from matrix_client_new_transaction_id()
 *   to retry an earlier send, or %NULL for a fresh one
 * @cancellable: (nullable): a #GCancellable
 * @callback: called with the event id, or an error
 * @user_data: data for @callback
 *
 * Sends a message event with `PUT /rooms/{roomId}/send/{eventType}/{txnId}`.
 *
 * Into a room whose state has `m.room.encryption`, nothing but an
 * `m.room.redaction` or an `m.room.encrypted` event (with its `ciphertext`)
 * is sent: the send fails with %MATRIX_ERROR_ROOM_ENCRYPTED and no request is
 * made. A room the client knows nothing of (no state in its store, none in a
 * sync) is asked about first with `GET /rooms/{roomId}/state/m.room.encryption/`;
 * see matrix_client_is_room_encrypted().
 */
void
matrix_client_send_event_async (MatrixClient        *self,
                                const char          *room_id,
                                const char          *event_type,
                                JsonObject          *content,
                                const char          *txn_id,
                                GCancellable        *cancellable,
                                GAsyncReadyCallback  callback,
                                gpointer             user_data)
{
  g_autofree char *fresh_txn_id = NULL;
  g_autofree char *path = NULL;
  g_autoptr(JsonNode) body = NULL;
  GTask *task;

  g_return_if_fail (MATRIX_IS_CLIENT (self));
  g_return_if_fail (room_id != NULL);
  g_return_if_fail (event_type != NULL);
  g_return_if_fail (content != NULL);

  if (txn_id == NULL)
    txn_id = fresh_txn_id = matrix_client_new_transaction_id (self);

  path = matrix_client_build_path ("v3", "rooms", room_id, "send", event_type, txn_id, NULL);
  body = json_node_init_object (json_node_alloc (), content);

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, matrix_client_send_event_async);
  request_async (self, "PUT", path, NULL, body, TRUE, cancellable, on_send_event_done, task);
}

/**
 * matrix_client_send_event_finish:
 * @self: a #MatrixClient
 * @result: the #GAsyncResult
 * @error: return location for a #GError
 *
 * Finishes matrix_client_send_event_async().
 *
 * Returns: (transfer full) (nullable): the id of the new event
 */
char *
matrix_client_send_event_finish (MatrixClient  *self,
                                 GAsyncResult  *result,
                                 GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

/**
 * matrix_client_redact_event_async:
 * @self: a #MatrixClient
 * @room_id: the room
 * @event_id: the event to redact
 * @reason: (nullable): why, shown to the room's members
 * @txn_id: (nullable): a transaction id from matrix_client_new_transaction_id()
 *   to retry an earlier redaction, or %NULL for a fresh one
 * @cancellable: (nullable): a #GCancellable
 * @callback: called with the redaction's event id, or an error
 * @user_data: data for @callback
 *
 * Redacts an event with `PUT /rooms/{roomId}/redact/{eventId}/{txnId}`.
 * Finish with matrix_client_send_event_finish().
 */
void
matrix_client_redact_event_async (MatrixClient        *self,
                                  const char          *room_id,
                                  const char          *event_id,
                                  const char          *reason,
                                  const char          *txn_id,
                                  GCancellable        *cancellable,
                                  GAsyncReadyCallback  callback,
                                  gpointer             user_data)
{
  g_autofree char *fresh_txn_id = NULL;
  g_autofree char *path = NULL;
  g_autoptr(JsonObject) content = json_object_new ();
  g_autoptr(JsonNode) body = NULL;
  GTask *task;

  g_return_if_fail (MATRIX_IS_CLIENT (self));
  g_return_if_fail (room_id != NULL);
  g_return_if_fail (event_id != NULL);

  if (txn_id == NULL)
    txn_id = fresh_txn_id = matrix_client_new_transaction_id (self);
  if (reason != NULL)
    json_object_set_string_member (content, "reason", reason);

  path = matrix_client_build_path ("v3", "rooms", room_id, "redact", event_id, txn_id, NULL);
  body = json_node_init_object (json_node_alloc (), content);

  /* The answer is the send's: the new event's id. */
  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, matrix_client_send_event_async);
  request_async (self, "PUT", path, NULL, body, TRUE, cancellable, on_send_event_done, task);
}

/* --- rooms ---------------------------------------------------------------- */

static void
on_room_id_request_done (GObject      *source,
                         GAsyncResult *result,
                         gpointer      user_data)
{
  MatrixClient *self = MATRIX_CLIENT (source);
  g_autoptr(GTask) task = user_data;
  g_autoptr(JsonObject) body = NULL;
  const char *room_id;
  GError *error = NULL;

  body = matrix_client_request_finish (self, result, &error);
  if (body == NULL ||
      !_matrix_json_get_string (body, g_task_get_name (task), "room_id", TRUE, &room_id, &error))
    {
      g_task_return_error (task, error);
      return;
    }

  g_task_return_pointer (task, g_strdup (room_id), g_free);
}

/**
 * matrix_client_join_room_async:
 * @self: a #MatrixClient
 * @room_id_or_alias: a room id (`!…`) or alias (`#…`)
 * @cancellable: (nullable): a #GCancellable
 * @callback: called with the room id, or an error
 * @user_data: data for @callback
 *
 * Joins a room, or accepts an invite to it, with `POST /join/{roomIdOrAlias}`.
 * The room then arrives in `rooms.join` of a later sync.
 */
void
matrix_client_join_room_async (MatrixClient        *self,
                               const char          *room_id_or_alias,
                               GCancellable        *cancellable,
                               GAsyncReadyCallback  callback,
                               gpointer             user_data)
{
  g_autoptr(JsonObject) empty = json_object_new ();
  g_autofree char *path = NULL;
  g_autoptr(JsonNode) body = NULL;
  GTask *task;

  g_return_if_fail (MATRIX_IS_CLIENT (self));
  g_return_if_fail (room_id_or_alias != NULL);

  path = matrix_client_build_path ("v3", "join", room_id_or_alias, NULL);
  body = json_node_init_object (json_node_alloc (), empty);

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, matrix_client_join_room_async);
  g_task_set_name (task, "join");
  request_async (self, "POST", path, NULL, body, TRUE, cancellable, on_room_id_request_done, task);
}

/**
 * matrix_client_join_room_finish:
 * @self: a #MatrixClient
 * @result: the #GAsyncResult
 * @error: return location for a #GError
 *
 * Finishes matrix_client_join_room_async().
 *
 * Returns: (transfer full) (nullable): the id of the joined room
 */
char *
matrix_client_join_room_finish (MatrixClient  *self,
                                GAsyncResult  *result,
                                GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

/* For requests whose answer is an empty object: TRUE, or the error. */
static void
on_accepted (GObject      *source,
             GAsyncResult *result,
             gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  g_autoptr(JsonObject) body = NULL;
  GError *error = NULL;

  body = matrix_client_request_finish (MATRIX_CLIENT (source), result, &error);
  if (body == NULL)
    g_task_return_error (task, error);
  else
    g_task_return_boolean (task, TRUE);
}

/**
 * matrix_client_leave_room_async:
 * @self: a #MatrixClient
 * @room_id: the room
 * @cancellable: (nullable): a #GCancellable
 * @callback: called when the server answered
 * @user_data: data for @callback
 *
 * Leaves a room, or declines an invite, with `POST /rooms/{roomId}/leave`.
 */
void
matrix_client_leave_room_async (MatrixClient        *self,
                                const char          *room_id,
                                GCancellable        *cancellable,
                                GAsyncReadyCallback  callback,
                                gpointer             user_data)
{
  g_autoptr(JsonObject) empty = json_object_new ();
  g_autofree char *path = NULL;
  g_autoptr(JsonNode) body = NULL;
  GTask *task;

  g_return_if_fail (MATRIX_IS_CLIENT (self));
  g_return_if_fail (room_id != NULL);

  path = matrix_client_build_path ("v3", "rooms", room_id, "leave", NULL);
  body = json_node_init_object (json_node_alloc (), empty);

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, matrix_client_leave_room_async);
  request_async (self, "POST", path, NULL, body, TRUE, cancellable, on_accepted, task);
}

/**
 * matrix_client_leave_room_finish:
 * @self: a #MatrixClient
 * @result: the #GAsyncResult
 * @error: return location for a #GError
 *
 * Finishes matrix_client_leave_room_async().
 *
 * Returns: %TRUE if the server accepted
 */
gboolean
matrix_client_leave_room_finish (MatrixClient  *self,
                                 GAsyncResult  *result,
                                 GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}

/**
 * matrix_client_set_read_markers_async:
 * @self: a #MatrixClient
 * @room_id: the room
 * @event_id: the newest event the user has read
 * @cancellable: (nullable): a #GCancellable
 * @callback: called when the server answered
 * @user_data: data for @callback
 *
 * Tells the server that the user has read @room_id up to @event_id, with
 * `POST /rooms/{roomId}/read_markers`: both the public read receipt
 * (`m.read`, which resets the room's notification counts) and the fully-read
 * marker (`m.fully_read`) move to @event_id.
 */
void
matrix_client_set_read_markers_async (MatrixClient        *self,
                                      const char          *room_id,
                                      const char          *event_id,
                                      GCancellable        *cancellable,
                                      GAsyncReadyCallback  callback,
                                      gpointer             user_data)
{
  g_autoptr(JsonObject) markers = json_object_new ();
  g_autofree char *path = NULL;
  g_autoptr(JsonNode) body = NULL;
  GTask *task;

  g_return_if_fail (MATRIX_IS_CLIENT (self));
  g_return_if_fail (room_id != NULL);
  g_return_if_fail (event_id != NULL);

  json_object_set_string_member (markers, "m.fully_read", event_id);
  json_object_set_string_member (markers, "m.read", event_id);
  path = matrix_client_build_path ("v3", "rooms", room_id, "read_markers", NULL);
  body = json_node_init_object (json_node_alloc (), markers);

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, matrix_client_set_read_markers_async);
  request_async (self, "POST", path, NULL, body, TRUE, cancellable, on_accepted, task);
}

/**
 * matrix_client_set_read_markers_finish:
 * @self: a #MatrixClient
 * @result: the #GAsyncResult
 * @error: return location for a #GError
 *
 * Finishes matrix_client_set_read_markers_async().
 *
 * Returns: %TRUE if the server accepted the markers
 */
gboolean
matrix_client_set_read_markers_finish (MatrixClient  *self,
                                       GAsyncResult  *result,
                                       GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}

/* --- typing and receipts ------------------------------------------------------ */

/**
 * matrix_client_set_typing_async:
 * @self: a #MatrixClient
 * @room_id: the room
 * @typing: whether the user is typing
 * @timeout_ms: how long the server shows it without a new call (ignored
 *   when @typing is %FALSE); 0 for 30 s
 * @cancellable: (nullable): a #GCancellable
 * @callback: called when the server answered
 * @user_data: data for @callback
 *
 * Tells the room whether the user is typing, with
 * `PUT /rooms/{roomId}/typing/{userId}`. Sending a message in the room
 * (through its #MatrixTimeline) says the user stopped.
 */
void
matrix_client_set_typing_async (MatrixClient        *self,
                                const char          *room_id,
                                gboolean             typing,
                                guint                timeout_ms,
                                GCancellable        *cancellable,
                                GAsyncReadyCallback  callback,
                                gpointer             user_data)
{
  g_autoptr(JsonObject) content = json_object_new ();
  g_autofree char *path = NULL;
  g_autoptr(JsonNode) body = NULL;
  GTask *task;

  g_return_if_fail (MATRIX_IS_CLIENT (self));
  g_return_if_fail (room_id != NULL);

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, matrix_client_set_typing_async);
  if (matrix_client_get_user_id (self) == NULL)
    {
      g_task_return_new_error (task, MATRIX_ERROR, MATRIX_ERROR_NOT_LOGGED_IN, "Not logged in");
      g_object_unref (task);
      return;
    }

  json_object_set_boolean_member (content, "typing", typing);
  if (typing)
    {
      json_object_set_int_member (content, "timeout", timeout_ms > 0 ? timeout_ms : 30000);
      g_hash_table_add (self->typing_rooms, g_strdup (room_id));
    }
  else
    g_hash_table_remove (self->typing_rooms, room_id);

  path = matrix_client_build_path ("v3", "rooms", room_id, "typing",
                                   matrix_client_get_user_id (self), NULL);
  body = json_node_init_object (json_node_alloc (), content);
  request_async (self, "PUT", path, NULL, body, TRUE, cancellable, on_accepted, task);
}

/**
 * matrix_client_set_typing_finish:
 * @self: a #MatrixClient
 * @result: the #GAsyncResult
 * @error: return location for a #GError
 *
 * Finishes matrix_client_set_typing_async(). A failure only means the other
 * members may go on seeing (or not see) the user typing until the server's
 * timeout: it is no reason to stop the user.
 *
 * Returns: %TRUE if the server accepted it; %FALSE with @error set otherwise
 *   (%MATRIX_ERROR_NOT_LOGGED_IN before a login)
 */
gboolean
matrix_client_set_typing_finish (MatrixClient  *self,
                                 GAsyncResult  *result,
                                 GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}

/* A message was sent in @room_id: the user no longer types there. */
void
_matrix_client_stop_typing (MatrixClient *self,
                            const char   *room_id)
{
  if (g_hash_table_contains (self->typing_rooms, room_id))
    matrix_client_set_typing_async (self, room_id, FALSE, 0, NULL, NULL, NULL);
}

/**
 * matrix_client_send_receipt_async:
 * @self: a #MatrixClient
 * @room_id: the room
 * @event_id: the newest event the user has read
 * @private_: %TRUE for a receipt only the user's own devices see
 *   (`m.read.private`), %FALSE for a public one (`m.read`)
 * @cancellable: (nullable): a #GCancellable
 * @callback: called when the server answered
 * @user_data: data for @callback
 *
 * Sends a read receipt with `POST /rooms/{roomId}/receipt/{receiptType}/{eventId}`
 * (unthreaded: it covers the room's threads too).
 */
void
matrix_client_send_receipt_async (MatrixClient        *self,
                                  const char          *room_id,
                                  const char          *event_id,
                                  gboolean             private_,
                                  GCancellable        *cancellable,
                                  GAsyncReadyCallback  callback,
                                  gpointer             user_data)
{
  g_autofree char *path = NULL;
  g_autoptr(JsonObject) empty = json_object_new ();
  g_autoptr(JsonNode) body = json_node_init_object (json_node_alloc (), empty);
  GTask *task;

  g_return_if_fail (MATRIX_IS_CLIENT (self));
  g_return_if_fail (room_id != NULL);
  g_return_if_fail (event_id != NULL);

  path = matrix_client_build_path ("v3", "rooms", room_id, "receipt",
                                   private_ ? "m.read.private" : "m.read", event_id, NULL);
  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, matrix_client_send_receipt_async);
  request_async (self, "POST", path, NULL, body, TRUE, cancellable, on_accepted, task);
}

/**
 * matrix_client_send_receipt_finish:
 * @self: a #MatrixClient
 * @result: the #GAsyncResult
 * @error: return location for a #GError
 *
 * Finishes matrix_client_send_receipt_async().
 *
 * Returns: %TRUE if the server accepted the receipt
 */
gboolean
matrix_client_send_receipt_finish (MatrixClient  *self,
                                   GAsyncResult  *result,
                                   GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}

/* --- Media ------------------------------------------------------------------ */

/* A thumbnail is small; anything bigger is not what was asked for. */
#define MAX_THUMBNAIL_SIZE (4 * 1024 * 1024)

static gboolean
is_media_id_char (char c)
{
  return g_ascii_isalnum (c) || c == '_' || c == '-';
}

static gboolean
is_server_name_char (char c)
{
  return g_ascii_isalnum (c) || c == '.' || c == '-' || c == ':' || c == '[' || c == ']';
}

/**
 * matrix_mxc_uri_parse:
 * @uri: a content URI, `mxc://<server-name>/<media-id>`
 * @server_name: (out) (optional) (transfer full): its server name
 * @media_id: (out) (optional) (transfer full): its media id
 *
 * Checks @uri against the spec's grammar: a server name of host characters
 * (and an optional port) and a media id of letters, digits, `_` and `-`,
 * nothing else: no path, query or fragment.
 *
 * Returns: %TRUE if @uri is a valid content URI
 */
gboolean
matrix_mxc_uri_parse (const char  *uri,
                      char       **server_name,
                      char       **media_id)
{
  const char *server, *slash, *id;

  if (uri == NULL || !g_str_has_prefix (uri, "mxc://"))
    return FALSE;

  server = uri + strlen ("mxc://");
  slash = strchr (server, '/');
  if (slash == NULL || slash == server || slash - server > 255)
    return FALSE;
  for (const char *c = server; c < slash; c++)
    if (!is_server_name_char (*c))
      return FALSE;

  id = slash + 1;
  if (*id == '\0' || strlen (id) > 255)
    return FALSE;
  for (const char *c = id; *c != '\0'; c++)
    if (!is_media_id_char (*c))
      return FALSE;

  if (server_name != NULL)
    *server_name = g_strndup (server, slash - server);
  if (media_id != NULL)
    *media_id = g_strdup (id);
  return TRUE;
}

static void
on_thumbnail_done (GObject      *source,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  g_autoptr(Response) response = NULL;
  const char *content_type;
  GError *error = NULL;

  response = send_message_finish (MATRIX_CLIENT (source), result, &error);
  if (response == NULL)
    {
      g_task_return_error (task, error);
      return;
    }

  if (!SOUP_STATUS_IS_SUCCESSFUL (response->status))
    {
      g_task_return_error (task, error_from_response (response));
      return;
    }

  content_type = soup_message_headers_get_content_type (response->headers, NULL);
  if (content_type == NULL || !g_str_has_prefix (content_type, "image/"))
    {
      g_task_return_new_error (task, MATRIX_ERROR, MATRIX_ERROR_INVALID_RESPONSE,
                               "The thumbnail is not an image (%s)",
                               content_type != NULL ? content_type : "no content type");
      return;
    }

  g_task_return_pointer (task, g_steal_pointer (&response->body), (GDestroyNotify) g_bytes_unref);
}

/**
 * matrix_client_get_thumbnail_async:
 * @self: a #MatrixClient
 * @mxc_uri: the content URI of an image, e.g. a room's avatar
 * @width: the width wanted, in pixels
 * @height: the height wanted, in pixels
 * @cancellable: (nullable): a #GCancellable
 * @callback: called with the image's bytes, or an error
 * @user_data: data for @callback
 *
 * Downloads a thumbnail of at least @width × @height, cropped to that shape,
 * with the authenticated media API
 * (`GET /_matrix/client/v1/media/thumbnail/{serverName}/{mediaId}`). An
 * invalid @mxc_uri fails with %MATRIX_ERROR_FAILED without a request; a
 * response that is not an image, or over 4 MiB, with
 * %MATRIX_ERROR_INVALID_RESPONSE. The bytes are the server's: decode them
 * with care.
 */
void
matrix_client_get_thumbnail_async (MatrixClient        *self,
                                   const char          *mxc_uri,
                                   guint                width,
                                   guint                height,
                                   GCancellable        *cancellable,
                                   GAsyncReadyCallback  callback,
                                   gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  g_autoptr(SoupMessage) message = NULL;
  g_autofree char *server_name = NULL, *media_id = NULL, *path = NULL;
  g_autofree char *width_text = g_strdup_printf ("%u", width);
  g_autofree char *height_text = g_strdup_printf ("%u", height);
  const char *query[] = { "width", width_text, "height", height_text, "method", "crop", NULL };
  GError *error = NULL;

  g_return_if_fail (MATRIX_IS_CLIENT (self));
  g_return_if_fail (width > 0 && height > 0);

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, matrix_client_get_thumbnail_async);

  if (!matrix_mxc_uri_parse (mxc_uri, &server_name, &media_id))
    {
      g_task_return_new_error (task, MATRIX_ERROR, MATRIX_ERROR_FAILED,
                               "Not a valid content URI: %s", mxc_uri != NULL ? mxc_uri : "(none)");
      return;
    }

  path = matrix_client_build_path ("v1", "media", "thumbnail", server_name, media_id, NULL);
  message = new_message (self, "GET", path, query, NULL, TRUE, &error);
  if (message == NULL)
    {
      g_task_return_error (task, error);
      return;
    }

  send_message_limited_async (self, message, MAX_THUMBNAIL_SIZE, cancellable, on_thumbnail_done,
                              g_steal_pointer (&task));
}

/**
 * matrix_client_get_thumbnail_finish:
 * @self: a #MatrixClient
 * @result: the #GAsyncResult
 * @error: return location for a #GError
 *
 * Finishes matrix_client_get_thumbnail_async().
 *
 * Returns: (transfer full) (nullable): the image's bytes
 */
GBytes *
matrix_client_get_thumbnail_finish (MatrixClient  *self,
                                    GAsyncResult  *result,
                                    GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

/**
 * matrix_client_create_room_async:
 * @self: a #MatrixClient
 * @name: (nullable): the room's name
 * @topic: (nullable): the room's topic
 * @cancellable: (nullable): a #GCancellable
 * @callback: called with the new room's id, or an error
 * @user_data: data for @callback
 *
 * Creates a private room with `POST /createRoom`, end-to-end encrypted when
 * the client has encryption enabled (matrix_client_get_encryption_enabled()).
 * matrix_client_create_room_with_options_async() chooses more.
 */
void
matrix_client_create_room_async (MatrixClient        *self,
                                 const char          *name,
                                 const char          *topic,
                                 GCancellable        *cancellable,
                                 GAsyncReadyCallback  callback,
                                 gpointer             user_data)
{
  g_autoptr(MatrixRoomCreateOptions) options = matrix_room_create_options_new ();

  g_return_if_fail (MATRIX_IS_CLIENT (self));

  matrix_room_create_options_set_name (options, name);
  matrix_room_create_options_set_topic (options, topic);
  matrix_room_create_options_set_encrypted (options, matrix_client_get_encryption_enabled (self));
  matrix_client_create_room_with_options_async (self, options, cancellable, callback, user_data);
}

/**
 * matrix_client_create_room_finish:
 * @self: a #MatrixClient
 * @result: the #GAsyncResult
 * @error: return location for a #GError
 *
 * Finishes matrix_client_create_room_async().
 *
 * Returns: (transfer full) (nullable): the id of the new room
 */
char *
matrix_client_create_room_finish (MatrixClient  *self,
                                  GAsyncResult  *result,
                                  GError       **error)
{
  return matrix_client_create_room_with_options_finish (self, result, error);
}

/* --- the sync loop ------------------------------------------------------- */

static GSource *
default_timeout_source (guint    delay_ms,
                        gpointer user_data)
{
  return g_timeout_source_new (delay_ms);
}

static void
clear_source (GSource **source)
{
  if (*source != NULL)
    {
      g_source_destroy (*source);
      g_clear_pointer (source, g_source_unref);
    }
}

static gboolean
on_retry_timeout (gpointer user_data)
{
  MatrixClient *self = user_data;

  g_clear_pointer (&self->retry_source, g_source_unref);
  sync_request (self);

  return G_SOURCE_REMOVE;
}

/* The loop is still wanted, and this response still belongs to it. */
static gboolean
sync_is_current (MatrixClient *self,
                 GCancellable *cancellable)
{
  return self->syncing && self->sync_cancellable == cancellable &&
         !g_cancellable_is_cancelled (cancellable);
}

/* What kind of trouble @error is, for a user: the network, the server
 * saying no, or an answer that makes no sense. */
static MatrixSyncFailure
classify_failure (const GError *error)
{
  if (error->domain == MATRIX_ERROR)
    {
      switch ((MatrixError) error->code)
        {
        case MATRIX_ERROR_LIMIT_EXCEEDED:
          return MATRIX_SYNC_FAILURE_RATE_LIMITED;
        case MATRIX_ERROR_INVALID_JSON:
        case MATRIX_ERROR_INVALID_RESPONSE:
          return MATRIX_SYNC_FAILURE_INVALID_RESPONSE;
        case MATRIX_ERROR_HTTP:
        case MATRIX_ERROR_SERVER:
        case MATRIX_ERROR_FORBIDDEN:
        case MATRIX_ERROR_UNKNOWN_TOKEN:
        case MATRIX_ERROR_MISSING_TOKEN:
        case MATRIX_ERROR_NOT_FOUND:
          return MATRIX_SYNC_FAILURE_SERVER;
        case MATRIX_ERROR_FAILED:
        case MATRIX_ERROR_NOT_LOGGED_IN:
        default:
          return MATRIX_SYNC_FAILURE_OTHER;
        }
    }

  /* Refused, reset, unreachable, unresolvable, timed out. */
  if (error->domain == G_IO_ERROR || error->domain == G_RESOLVER_ERROR)
    return MATRIX_SYNC_FAILURE_CONNECTION;
  /* libsoup could not make sense of the HTTP itself. */
  if (error->domain == SOUP_SESSION_ERROR)
    return MATRIX_SYNC_FAILURE_INVALID_RESPONSE;

  return MATRIX_SYNC_FAILURE_OTHER;
}

static void
set_sync_failure (MatrixClient      *self,
                  MatrixSyncFailure  failure)
{
  if (self->sync_failure == failure)
    return;

  self->sync_failure = failure;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_SYNC_FAILURE]);
}

/* @waited_ms: how long the failed request itself took to fail, when that
 * was the watchdog's doing: it counts towards the wait. */
static void
sync_failed (MatrixClient *self,
             GError       *error,
             guint         waited_ms)
{
  gint64 retry_after_ms = matrix_error_get_retry_after_ms (error);
  guint delay_ms, delay_s;

  if (g_error_matches (error, MATRIX_ERROR, MATRIX_ERROR_UNKNOWN_TOKEN))
    {
      gboolean soft_logout = matrix_error_get_soft_logout (error);

      g_message ("The server ended the session (%s)", soft_logout ? "soft logout" : "logged out");
      g_clear_error (&self->sync_error);
      self->sync_error = error;
      matrix_client_stop_sync (self);
      /* The token is dead either way. A soft logout keeps the device (and so
       * the local data) for the next login; a hard one ends the session. */
      if (soft_logout)
        matrix_store_set_value (self->store, MATRIX_STORE_KEY_ACCESS_TOKEN, NULL);
      else
        forget_session (self);
      g_signal_emit (self, signals[SESSION_ENDED], 0, soft_logout);
      return;
    }

  delay_ms = self->backoff_s * 1000;
  self->backoff_s = MIN (self->backoff_s * 2, MAX_BACKOFF_S);

  if (g_error_matches (error, MATRIX_ERROR, MATRIX_ERROR_LIMIT_EXCEEDED) &&
      retry_after_ms > (gint64) delay_ms)
    {
      /* The server said how long to wait: do that rather than guess, within
       * reason. */
      if (retry_after_ms > (gint64) MAX_RATE_LIMIT_WAIT_S * 1000)
        {
          g_message ("The server asked to wait %" G_GINT64_FORMAT " s; waiting %u s",
                     retry_after_ms / 1000, MAX_RATE_LIMIT_WAIT_S);
          retry_after_ms = (gint64) MAX_RATE_LIMIT_WAIT_S * 1000;
        }
      delay_ms = (guint) retry_after_ms;
    }

  /* A request that hung until the watchdog gave up on it has waited its
   * share already; a new one asked to answer at once is better sent now,
   * to be there the moment the server answers again. */
  delay_ms = delay_ms > waited_ms ? delay_ms - waited_ms : 0;
  delay_s = (delay_ms + 999) / 1000;

  g_message ("Sync failed (%s); retrying in %u s", error->message, delay_s);
  g_clear_error (&self->sync_error);
  self->sync_error = error;
  self->sync_failing = TRUE;
  self->catch_up = TRUE;
  set_sync_failure (self, classify_failure (error));

  g_signal_emit (self, signals[SYNC_FAILED], 0, delay_s);

  /* A handler may have stopped the loop. */
  if (!self->syncing)
    return;

  self->retry_source = self->timeout_func (delay_ms, self->timeout_data);
  g_source_set_callback (self->retry_source, on_retry_timeout, g_object_ref (self), g_object_unref);
  g_source_set_name (self->retry_source, "[matrix-client] sync retry");
  g_source_attach (self->retry_source, g_main_context_get_thread_default ());
}

static void
on_sync_committed (GObject      *source,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  MatrixClient *self = g_task_get_source_object (task);
  GCancellable *cancellable = g_task_get_cancellable (task);
  const char *next_batch = g_task_get_task_data (task);
  GError *error = NULL;

  if (!matrix_store_commit_finish (MATRIX_STORE (source), result, &error))
    {
      if (sync_is_current (self, cancellable))
        sync_failed (self, error, 0);
      else
        g_error_free (error);
      return;
    }

  if (!sync_is_current (self, cancellable))
    return;

  g_signal_emit (self, signals[SYNCED], 0, next_batch);

  if (sync_is_current (self, cancellable))
    sync_request (self);
}

/* Emits the signals of one response. FALSE if a handler stopped the loop. */
static gboolean
emit_sync_signals (MatrixClient       *self,
                   MatrixSyncResponse *response,
                   GCancellable       *cancellable)
{
  for (guint i = 0; i < response->dropped->len; i++)
    g_warning ("Left out an invalid event: %s", (char *) g_ptr_array_index (response->dropped, i));

  /* Caught up: back to long-polls. */
  self->catch_up = FALSE;
  self->n_watchdog_trips = 0;

  if (self->sync_failing)
    {
      self->sync_failing = FALSE;
      self->backoff_s = MIN_BACKOFF_S;
      g_clear_error (&self->sync_error);
      set_sync_failure (self, MATRIX_SYNC_FAILURE_NONE);
      g_signal_emit (self, signals[SYNC_RESUMED], 0);
      if (!sync_is_current (self, cancellable))
        return FALSE;
    }

  for (guint i = 0; i < response->rooms->len; i++)
    note_sync_room (self, g_ptr_array_index (response->rooms, i));

  /* Stopping from a handler means no further signal for this response, and
   * no commit: the response will be fetched again, so nothing is lost. */
  for (guint i = 0; i < response->rooms->len; i++)
    {
      MatrixSyncRoom *room = g_ptr_array_index (response->rooms, i);

      /* What the limited timeline left out goes first, before the state
       * block: that state is as of the timeline's start, so what the
       * missed events changed ends as the server says it is. */
      if (room->gap_events != NULL)
        {
          g_signal_emit (self, signals[ROOM_TIMELINE_UPDATES], 0, room->room_id, room->gap_events,
                         room->gap_limited, room->gap_prev_batch);
          if (!sync_is_current (self, cancellable))
            return FALSE;
        }

      if (room->state != NULL)
        {
          g_signal_emit (self, signals[ROOM_STATE_UPDATES], 0, room->room_id, room->state);
          if (!sync_is_current (self, cancellable))
            return FALSE;
        }

      if (room->timeline != NULL)
        {
          g_signal_emit (self, signals[ROOM_TIMELINE_UPDATES], 0, room->room_id, room->timeline,
                         room->limited, room->prev_batch);
          if (!sync_is_current (self, cancellable))
            return FALSE;
        }

      if (room->summary != NULL || room->unread_notifications != NULL)
        {
          g_signal_emit (self, signals[ROOM_SUMMARY_UPDATES], 0, room->room_id, room->summary,
                         room->unread_notifications);
          if (!sync_is_current (self, cancellable))
            return FALSE;
        }

      if (room->ephemeral != NULL)
        {
          g_signal_emit (self, signals[ROOM_EPHEMERAL_UPDATES], 0, room->room_id, room->ephemeral);
          if (!sync_is_current (self, cancellable))
            return FALSE;
        }

      if (room->account_data != NULL)
        {
          g_signal_emit (self, signals[ROOM_ACCOUNT_DATA_UPDATES], 0, room->room_id, room->account_data);
          if (!sync_is_current (self, cancellable))
            return FALSE;
        }

      if (room->kind == MATRIX_SYNC_ROOM_LEAVE)
        {
          g_signal_emit (self, signals[LEFT_ROOM], 0, room->room_id);
          if (!sync_is_current (self, cancellable))
            return FALSE;
        }

      if (room->kind == MATRIX_SYNC_ROOM_INVITE)
        {
          g_signal_emit (self, signals[ROOM_INVITE], 0, room->room_id, room->invite_state);
          if (!sync_is_current (self, cancellable))
            return FALSE;
        }
    }

  if (response->account_data != NULL)
    {
      g_signal_emit (self, signals[ACCOUNT_DATA_UPDATES], 0, response->account_data);
      if (!sync_is_current (self, cancellable))
        return FALSE;
    }

  return TRUE;
}

/* What a sliding response changes of the next request: the to-device
 * position goes with the pos into the store's commit, and an automatic
 * window grows until it holds every room, asking at once while it does. */
static void
sliding_response_done (MatrixClient       *self,
                       MatrixSyncResponse *response)
{
  gint64 count = response->sliding->list_count;

  self->sliding_drop_pos = FALSE;
  if (response->sliding->to_device_since != NULL)
    matrix_store_set_value (self->store, MATRIX_SLIDING_SYNC_KEY_TO_DEVICE,
                            response->sliding->to_device_since);
  self->sliding_more = FALSE;
  if (self->room_list_range == 0 && count > self->range_end + 1)
    {
      self->range_end = MIN (count - 1, (self->range_end + 1) * 5 - 1);
      self->sliding_more = TRUE;
    }
}

static void
emit_sync_response (MatrixClient       *self,
                    MatrixSyncResponse *response,
                    GCancellable       *cancellable)
{
  GTask *task;

  if (!emit_sync_signals (self, response, cancellable))
    return;

  if (response->sliding != NULL)
    sliding_response_done (self, response);

  task = g_task_new (self, cancellable, NULL, NULL);
  g_task_set_source_tag (task, emit_sync_response);
  g_task_set_task_data (task, g_strdup (response->next_batch), g_free);
  matrix_store_commit_async (self->store, response->next_batch, cancellable,
                             on_sync_committed, task);
}

typedef struct {
  MatrixClient       *client;
  MatrixSyncResponse *response;
} RoomsLoad;

static void
on_gaps_filled (GObject      *source,
                GAsyncResult *result,
                gpointer      user_data)
{
  RoomsLoad *load = user_data;
  g_autoptr(MatrixClient) self = load->client;
  g_autoptr(MatrixSyncResponse) response = load->response;
  GCancellable *cancellable = g_task_get_cancellable (G_TASK (result));

  g_free (load);

  /* Only a cancelled fill fails: the sync was stopped, nothing to apply. */
  if (!_matrix_client_fill_gaps_finish (self, result, NULL) ||
      !sync_is_current (self, cancellable))
    return;

  emit_sync_response (self, response, cancellable);
}

/* Emits @response (transfer full) once what its limited timelines left
 * out after stored events is fetched (matrix-client-gaps.c). */
static void
fill_gaps_then_emit (MatrixClient       *self,
                     MatrixSyncResponse *response,
                     GCancellable       *cancellable)
{
  RoomsLoad *load = g_new0 (RoomsLoad, 1);

  load->client = g_object_ref (self);
  load->response = response;
  _matrix_client_fill_gaps_async (self, response, cancellable, on_gaps_filled, load);
}

static void
on_sync_rooms_loaded (GObject      *source,
                      GAsyncResult *result,
                      gpointer      user_data)
{
  RoomsLoad *load = user_data;
  g_autoptr(MatrixClient) self = load->client;
  g_autoptr(MatrixSyncResponse) response = load->response;
  GCancellable *cancellable = g_task_get_cancellable (G_TASK (result));
  GError *error = NULL;

  g_free (load);

  if (!matrix_store_load_rooms_finish (MATRIX_STORE (source), result, &error) ||
      !sync_is_current (self, cancellable))
    {
      if (error != NULL && sync_is_current (self, cancellable))
        sync_failed (self, error, 0);
      else
        g_clear_error (&error);
      return;
    }

  fill_gaps_then_emit (self, g_steal_pointer (&response), cancellable);
}

/* A store may have opened with only part of some rooms in memory: a
 * response touching them is applied once they are whole, so that nothing
 * read later from disk lands on top of it. */
static void
emit_when_rooms_loaded (MatrixClient       *self,
                        MatrixSyncResponse *response,
                        GCancellable       *cancellable)
{
  g_autoptr(GPtrArray) partial = g_ptr_array_new ();
  RoomsLoad *load;

  for (guint i = 0; i < response->rooms->len; i++)
    {
      MatrixSyncRoom *room = g_ptr_array_index (response->rooms, i);

      if (!matrix_store_is_room_loaded (self->store, room->room_id))
        g_ptr_array_add (partial, room->room_id);
    }

  if (partial->len == 0)
    {
      fill_gaps_then_emit (self, response, cancellable);
      return;
    }

  g_ptr_array_add (partial, NULL);
  load = g_new0 (RoomsLoad, 1);
  load->client = g_object_ref (self);
  load->response = response;
  matrix_store_load_rooms_async (self->store, (const char * const *) partial->pdata, cancellable,
                                 on_sync_rooms_loaded, load);
}

typedef struct {
  GBytes *body;
  char   *user_id;   /* a sliding body's; NULL for a /v3 one */
} ParseData;

static void
parse_data_free (ParseData *data)
{
  g_bytes_unref (data->body);
  g_free (data->user_id);
  g_free (data);
}

static void
parse_sync_in_thread (GTask        *task,
                      gpointer      source_object,
                      gpointer      task_data,
                      GCancellable *cancellable)
{
  ParseData *data = task_data;
  MatrixSyncResponse *response;
  GError *error = NULL;

  if (data->user_id != NULL)
    response = _matrix_sliding_sync_parse (data->body, data->user_id, &error);
  else
    response = _matrix_sync_response_parse (data->body, &error);
  if (response == NULL)
    g_task_return_error (task, error);
  else
    g_task_return_pointer (task, response, (GDestroyNotify) _matrix_sync_response_free);
}

typedef struct {
  MatrixClient       *client;
  MatrixSyncResponse *response;
} SyncCrypto;

static void
on_sync_crypto_received (GObject      *source,
                         GAsyncResult *result,
                         gpointer      user_data)
{
  SyncCrypto *pending = user_data;
  g_autoptr(MatrixClient) self = pending->client;
  g_autoptr(MatrixSyncResponse) response = pending->response;
  GCancellable *cancellable = g_task_get_cancellable (G_TASK (result));
  g_auto(GStrv) rooms = NULL;
  GError *error = NULL;

  g_free (pending);
  rooms = _matrix_client_crypto_receive_sync_finish (self, result, &error);
  if (!sync_is_current (self, cancellable))
    {
      g_clear_error (&error);
      return;
    }
  if (rooms == NULL)
    {
      /* Not committed: the same to-device events come again. */
      sync_failed (self, error, 0);
      return;
    }
  if (rooms[0] != NULL && self->crypto != NULL)
    g_signal_emit_by_name (_matrix_client_crypto_get_machine (self->crypto),
                           "room-keys-received", rooms);
  _matrix_client_crypto_send_requests (self);
  if (!sync_is_current (self, cancellable))
    return;
  emit_when_rooms_loaded (self, g_steal_pointer (&response), cancellable);
}

static void
on_sync_parsed (GObject      *source,
                GAsyncResult *result,
                gpointer      user_data)
{
  g_autoptr(MatrixClient) self = user_data;
  GCancellable *cancellable = g_task_get_cancellable (G_TASK (result));
  g_autoptr(MatrixSyncResponse) response = NULL;
  GError *error = NULL;

  response = g_task_propagate_pointer (G_TASK (result), &error);

  if (!sync_is_current (self, cancellable))
    {
      g_clear_error (&error);
      return;
    }

  if (response == NULL)
    {
      sync_failed (self, error, 0);
      return;
    }

  if (self->crypto != NULL && response->crypto_changes != NULL)
    {
      /* The machine first: see matrix-client-crypto.c on the order. */
      SyncCrypto *pending = g_new0 (SyncCrypto, 1);

      pending->client = g_object_ref (self);
      pending->response = g_steal_pointer (&response);
      _matrix_client_crypto_receive_sync_async (self, pending->response->crypto_changes,
                                                cancellable, on_sync_crypto_received, pending);
      return;
    }

  emit_when_rooms_loaded (self, g_steal_pointer (&response), cancellable);
}

static void
on_sync_sent (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  MatrixClient *self = MATRIX_CLIENT (source);
  GCancellable *cancellable = user_data;
  g_autoptr(Response) response = NULL;
  GError *error = NULL;
  ParseData *parse;
  GTask *task;

  response = send_message_finish (self, result, &error);

  if (self->sync_cancellable == cancellable)
    {
      clear_source (&self->watchdog_source);
      self->request_in_flight = FALSE;
    }

  if (self->watchdog_fired && self->sync_cancellable == cancellable)
    {
      /* Our own watchdog cancelled the request: a server gone silent. */
      g_clear_error (&error);
      g_clear_pointer (&response, response_free);
      self->watchdog_fired = FALSE;
      g_clear_object (&self->sync_cancellable);
      self->sync_cancellable = g_cancellable_new ();
      error = g_error_new (G_IO_ERROR, G_IO_ERROR_TIMED_OUT,
                           "The server did not answer /sync within %u s",
                           (self->request_watchdog_ms + 999) / 1000);
      /* A silent long-poll tells nothing of how long an answer takes. */
      if (!self->request_is_long_poll)
        self->n_watchdog_trips++;
      sync_failed (self, error, self->request_watchdog_ms);
      g_object_unref (cancellable);
      return;
    }

  if (error != NULL || (response != NULL && !SOUP_STATUS_IS_SUCCESSFUL (response->status)))
    self->n_watchdog_trips = 0;

  if (!sync_is_current (self, cancellable))
    {
      g_clear_error (&error);
      g_object_unref (cancellable);
      return;
    }

  if (response == NULL)
    ;
  else if (!SOUP_STATUS_IS_SUCCESSFUL (response->status))
    error = error_from_response (response);
  else if (!is_json (response))
    error = g_error_new (MATRIX_ERROR, MATRIX_ERROR_INVALID_JSON,
                         "The sync response is not JSON (Content-Type: %s)",
                         soup_message_headers_get_content_type (response->headers, NULL)
                           ?: "none");

  /* M_UNKNOWN_POS, or a 400 to a request with a pos (Synapse answers one
   * it cannot read with M_UNKNOWN "Invalid stream token"): once. */
  if (error != NULL && self->sliding != MATRIX_SLIDING_SYNC_NONE && !self->sliding_drop_pos &&
      (g_strcmp0 (matrix_error_get_errcode (error), "M_UNKNOWN_POS") == 0 ||
       (matrix_error_get_http_status (error) == 400 &&
        _matrix_sliding_sync_pos_of_token (matrix_store_get_sync_token (self->store)) != NULL)))
    {
      /* The server forgot the connection: a new one, from no pos. What
       * the store holds stays; the new connection's first answer brings
       * each room again, and its pos is committed after it. */
      g_message ("The server does not know the sliding sync position; starting a new connection");
      g_clear_error (&error);
      self->sliding_drop_pos = TRUE;
      self->range_end = MIN (self->range_end, MATRIX_SLIDING_SYNC_FIRST_WINDOW - 1);
      if (self->room_list_range > 0)
        self->range_end = self->room_list_range - 1;
      sync_request (self);
      g_object_unref (cancellable);
      return;
    }

  if (error != NULL)
    {
      sync_failed (self, error, 0);
      g_object_unref (cancellable);
      return;
    }

  /* The worker thread drops its reference to the task last, and may do so
   * after on_sync_parsed() ran: the task must not be what keeps the client
   * alive, or the client could be finalized on that thread. */
  task = g_task_new (NULL, cancellable, on_sync_parsed, g_object_ref (self));
  g_task_set_source_tag (task, on_sync_sent);
  parse = g_new0 (ParseData, 1);
  parse->body = g_bytes_ref (response->body);
  if (self->sliding != MATRIX_SLIDING_SYNC_NONE)
    parse->user_id = g_strdup (matrix_client_get_user_id (self) ?: "");
  g_task_set_task_data (task, parse, (GDestroyNotify) parse_data_free);
  g_task_run_in_thread (task, parse_sync_in_thread);
  g_object_unref (task);
  g_object_unref (cancellable);
}

static gboolean
on_sync_watchdog (gpointer user_data)
{
  MatrixClient *self = user_data;

  g_debug ("No /sync answer after %u ms, giving up on this request", self->request_watchdog_ms);
  g_clear_pointer (&self->watchdog_source, g_source_unref);
  self->watchdog_fired = TRUE;
  g_cancellable_cancel (self->sync_cancellable);

  return G_SOURCE_REMOVE;
}

static void
on_versions_answered (GObject      *source,
                      GAsyncResult *result,
                      gpointer      user_data)
{
  MatrixClient *self = MATRIX_CLIENT (source);
  g_autoptr(GCancellable) cancellable = user_data;
  g_autoptr(JsonObject) versions = NULL;
  GError *error = NULL;

  versions = matrix_client_request_finish (self, result, &error);
  if (self->sync_cancellable == cancellable)
    {
      clear_source (&self->watchdog_source);
      self->request_in_flight = FALSE;
    }
  if (self->watchdog_fired && self->sync_cancellable == cancellable)
    {
      /* A server gone silent: retried as a sync that was given up on. */
      g_clear_error (&error);
      self->watchdog_fired = FALSE;
      g_clear_object (&self->sync_cancellable);
      self->sync_cancellable = g_cancellable_new ();
      self->n_watchdog_trips++;
      sync_failed (self, g_error_new (G_IO_ERROR, G_IO_ERROR_TIMED_OUT,
                                      "The server did not answer /versions within %u s",
                                      (self->request_watchdog_ms + 999) / 1000),
                   self->request_watchdog_ms);
      return;
    }
  if (!sync_is_current (self, cancellable))
    {
      g_clear_error (&error);
      return;
    }
  /* A connection that fails is retried like a failed sync; a server that
   * answers anything else has no sliding sync to offer. */
  if (error != NULL && (error->domain == G_IO_ERROR || error->domain == G_RESOLVER_ERROR ||
                        g_error_matches (error, MATRIX_ERROR, MATRIX_ERROR_LIMIT_EXCEEDED)))
    {
      sync_failed (self, error, 0);
      return;
    }
  if (error != NULL)
    g_debug ("No /versions (%s): classic sync", error->message);
  g_clear_error (&error);

  self->sliding = _matrix_sliding_sync_support (versions);
  self->sync_protocol_known = TRUE;
  g_debug ("Syncing with %s", self->sliding != MATRIX_SLIDING_SYNC_NONE ? "sliding sync" : "/v3/sync");
  sync_request (self);
}

/* Which protocol to speak: TRUE when known, else the question is asked
 * and sync_request() called again with the answer. */
static gboolean
sync_protocol_known (MatrixClient *self)
{
  if (self->sync_protocol_known)
    return TRUE;

  switch (self->sync_mode)
    {
    case MATRIX_SYNC_MODE_CLASSIC:
      self->sliding = MATRIX_SLIDING_SYNC_NONE;
      break;
    case MATRIX_SYNC_MODE_SLIDING:
      self->sliding = MATRIX_SLIDING_SYNC_UNSTABLE;
      break;
    case MATRIX_SYNC_MODE_AUTO:
    default:
      /* A filter is a /v3/sync thing: a client that set one wants it. */
      if (self->sync_filter != NULL)
        {
          self->sliding = MATRIX_SLIDING_SYNC_NONE;
          break;
        }
      self->request_in_flight = TRUE;
      /* Watched as a request for an answer at once. */
      self->request_is_long_poll = FALSE;
      self->request_watchdog_ms = MIN (self->first_byte_ms, self->watchdog_ms)
                                  << MIN (self->n_watchdog_trips, MAX_WATCHDOG_DOUBLINGS);
      self->watchdog_fired = FALSE;
      self->watchdog_source = self->watchdog_func (self->request_watchdog_ms, self->watchdog_data);
      g_source_set_callback (self->watchdog_source, on_sync_watchdog, self, NULL);
      g_source_set_name (self->watchdog_source, "[matrix-client] versions watchdog");
      g_source_attach (self->watchdog_source, g_main_context_get_thread_default ());
      matrix_client_request_async (self, "GET", "versions", NULL, NULL, self->sync_cancellable,
                                   on_versions_answered, g_object_ref (self->sync_cancellable));
      return FALSE;
    }
  self->sync_protocol_known = TRUE;
  return TRUE;
}

/* A sliding sync request, from the stored pos (a /v3 token is no pos). */
static SoupMessage *
new_sliding_message (MatrixClient  *self,
                     const char   **pos,
                     GError       **error)
{
  MatrixSlidingSyncRequest request = { 0, };
  g_autoptr(JsonNode) body = NULL;
  const char *query[5] = { NULL, };
  guint n = 0;

  *pos = self->sliding_drop_pos ? NULL
                                : _matrix_sliding_sync_pos_of_token (matrix_store_get_sync_token (self->store));
  if (*pos != NULL && !_matrix_token_is_valid (*pos))
    *pos = NULL;

  request.range_end = self->room_list_range > 0 ? (gint64) self->room_list_range - 1 : self->range_end;
  request.open_room = self->open_room;
  request.to_device_since = matrix_store_get_value (self->store, MATRIX_SLIDING_SYNC_KEY_TO_DEVICE);
  body = _matrix_sliding_sync_request_body (&request);

  query[n++] = "timeout";
  query[n++] = self->catch_up || self->sliding_more || *pos == NULL ? "0" : G_STRINGIFY (SYNC_TIMEOUT_MS);
  if (*pos != NULL)
    {
      query[n++] = "pos";
      query[n++] = *pos;
    }
  return new_message (self, "POST",
                      self->sliding == MATRIX_SLIDING_SYNC_STABLE ? MATRIX_SLIDING_SYNC_STABLE_PATH
                                                                  : MATRIX_SLIDING_SYNC_UNSTABLE_PATH,
                      query, body, TRUE, error);
}

static void
sync_request (MatrixClient *self)
{
  g_autoptr(SoupMessage) message = NULL;
  const char *query[7] = { NULL, };
  const char *since;
  GError *error = NULL;
  guint n = 0, base_ms;

  if (!sync_protocol_known (self))
    return;

  if (self->sliding != MATRIX_SLIDING_SYNC_NONE)
    {
      message = new_sliding_message (self, &since, &error);
      if (message == NULL)
        {
          sync_failed (self, error, 0);
          return;
        }
      self->request_is_long_poll = !self->catch_up && !self->sliding_more && since != NULL;
      goto send;
    }

  /* Read from the store every time: the token moves only with a commit. A
   * sliding sync pos is not a /v3 token. */
  since = matrix_store_get_sync_token (self->store);
  if (_matrix_sliding_sync_is_token (since))
    since = NULL;
  if (since != NULL && !_matrix_token_is_valid (since))
    {
      /* Stored before tokens were checked; sending it would fail every
       * request, so start over as a new client would. */
      g_warning ("The stored sync token cannot be sent back; syncing from the start");
      since = NULL;
    }

  query[n++] = "timeout";
  query[n++] = self->catch_up ? "0" : G_STRINGIFY (SYNC_TIMEOUT_MS);
  if (since != NULL)
    {
      query[n++] = "since";
      query[n++] = since;
    }
  if (self->sync_filter != NULL)
    {
      query[n++] = "filter";
      query[n++] = self->sync_filter;
    }

  message = new_message (self, "GET", "v3/sync", query, NULL, TRUE, &error);
  if (message == NULL)
    {
      sync_failed (self, error, 0);
      return;
    }

  /* A long-poll may take its timeout; a request for an answer at once has
   * no reason to take long, unless it is an initial sync, which a server
   * may take a while to put together. */
  self->request_is_long_poll = !self->catch_up && since != NULL;
send:
  base_ms = self->catch_up && since != NULL ? MIN (self->first_byte_ms, self->watchdog_ms)
                                            : self->watchdog_ms;
  self->request_watchdog_ms = base_ms << MIN (self->n_watchdog_trips, MAX_WATCHDOG_DOUBLINGS);
  /* A request replaced after its watchdog went off is not this one's. */
  self->watchdog_fired = FALSE;
  self->watchdog_source = self->watchdog_func (self->request_watchdog_ms, self->watchdog_data);
  g_source_set_callback (self->watchdog_source, on_sync_watchdog, self, NULL);
  g_source_set_name (self->watchdog_source, "[matrix-client] sync watchdog");
  g_source_attach (self->watchdog_source, g_main_context_get_thread_default ());

  self->request_in_flight = TRUE;
  send_message_async (self, message, self->sync_cancellable, on_sync_sent,
                      g_object_ref (self->sync_cancellable));
}

/* The network came back, or changed: a failing loop tries again now, on a
 * new connection, rather than after its backoff or its watchdog. A healthy
 * one is left alone (monitors report changes of routes that are not ours). */
static void
on_network_changed (GNetworkMonitor *monitor,
                    gboolean         available,
                    gpointer         user_data)
{
  MatrixClient *self = user_data;

  if (!available || !self->syncing || !self->sync_failing)
    return;

  g_debug ("The network changed: retrying /sync now");
  self->n_watchdog_trips = 0;

  if (self->retry_source != NULL)
    {
      clear_source (&self->retry_source);
      sync_request (self);
    }
  else if (self->request_in_flight)
    {
      clear_source (&self->watchdog_source);
      self->request_in_flight = FALSE;
      g_cancellable_cancel (self->sync_cancellable);
      g_clear_object (&self->sync_cancellable);
      self->sync_cancellable = g_cancellable_new ();
      sync_request (self);
    }
}

/**
 * matrix_client_start_sync:
 * @self: a #MatrixClient
 *
 * Starts the sync loop: `GET /sync` with a 30 s long-poll, from the token in
 * the store, again and again until matrix_client_stop_sync(); or, as
 * #MatrixClient:sync-mode chooses, simplified sliding sync (`POST` with a
 * 30 s long-poll from the stored position), with the same signals. Failures are
 * retried with a backoff of 2 s doubling up to 30 s. Starting a running loop
 * does nothing.
 */
void
matrix_client_start_sync (MatrixClient *self)
{
  g_return_if_fail (MATRIX_IS_CLIENT (self));

  if (self->syncing)
    return;

  self->syncing = TRUE;
  /* A filter set since the protocol was chosen means /v3/sync. */
  if (self->sync_mode != MATRIX_SYNC_MODE_AUTO || self->sync_filter != NULL)
    self->sync_protocol_known = FALSE;
  self->sync_cancellable = g_cancellable_new ();
  self->watchdog_fired = FALSE;
  self->network_monitor = g_object_ref (g_network_monitor_get_default ());
  self->network_changed_id = g_signal_connect (self->network_monitor, "network-changed",
                                               G_CALLBACK (on_network_changed), self);
  sync_request (self);
}

/**
 * matrix_client_stop_sync:
 * @self: a #MatrixClient
 *
 * Stops the sync loop: cancels the request in flight and any wait. No signal
 * is emitted for a response that arrives after this, and a response being
 * emitted stops there, uncommitted, to be fetched again on the next start.
 */
void
matrix_client_stop_sync (MatrixClient *self)
{
  g_return_if_fail (MATRIX_IS_CLIENT (self));

  if (!self->syncing)
    return;

  self->syncing = FALSE;
  self->request_in_flight = FALSE;
  clear_source (&self->retry_source);
  clear_source (&self->watchdog_source);
  g_clear_signal_handler (&self->network_changed_id, self->network_monitor);
  g_clear_object (&self->network_monitor);
  g_cancellable_cancel (self->sync_cancellable);
  g_clear_object (&self->sync_cancellable);
}

/* --- sliding sync: what the app asks for ----------------------------------- */

/* A long-poll in flight is sent again with what changed of the request;
 * a response being applied is left alone (the next request has it). */
static void
sliding_request_changed (MatrixClient *self)
{
  if (!self->syncing || self->sliding == MATRIX_SLIDING_SYNC_NONE || !self->request_in_flight ||
      !self->sync_protocol_known)
    return;

  clear_source (&self->watchdog_source);
  self->request_in_flight = FALSE;
  g_cancellable_cancel (self->sync_cancellable);
  g_clear_object (&self->sync_cancellable);
  self->sync_cancellable = g_cancellable_new ();
  sync_request (self);
}

gboolean
_matrix_client_syncs_sliding (MatrixClient *self)
{
  g_return_val_if_fail (MATRIX_IS_CLIENT (self), FALSE);

  if (self->sync_protocol_known)
    return self->sliding != MATRIX_SLIDING_SYNC_NONE;
  switch (self->sync_mode)
    {
    case MATRIX_SYNC_MODE_CLASSIC:
      return FALSE;
    case MATRIX_SYNC_MODE_SLIDING:
      return TRUE;
    case MATRIX_SYNC_MODE_AUTO:
    default:
      return self->sync_filter == NULL && self->store != NULL &&
             _matrix_sliding_sync_pos_of_token (matrix_store_get_sync_token (self->store)) != NULL;
    }
}

/**
 * matrix_client_get_sync_mode:
 * @self: a #MatrixClient
 *
 * See #MatrixClient:sync-mode.
 *
 * Returns: which protocol the sync loop is asked to speak
 */
MatrixSyncMode
matrix_client_get_sync_mode (MatrixClient *self)
{
  g_return_val_if_fail (MATRIX_IS_CLIENT (self), MATRIX_SYNC_MODE_AUTO);

  return self->sync_mode;
}

/**
 * matrix_client_set_sync_mode:
 * @self: a #MatrixClient
 * @mode: the protocol
 *
 * Sets #MatrixClient:sync-mode.
 */
void
matrix_client_set_sync_mode (MatrixClient   *self,
                             MatrixSyncMode  mode)
{
  g_return_if_fail (MATRIX_IS_CLIENT (self));

  if (self->sync_mode == mode)
    return;
  self->sync_mode = mode;
  if (!self->syncing)
    self->sync_protocol_known = FALSE;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_SYNC_MODE]);
}

/**
 * matrix_client_set_room_list_range:
 * @self: a #MatrixClient
 * @n_rooms: how many rooms of the list, most recently active first, the
 *   sliding sync keeps up to date; 0 for all of them
 *
 * With sliding sync, the server sends the rooms of a window of the room
 * list sorted by activity. By default (0) the window starts with the first
 * 20 rooms, so that the first screen comes at once, and grows in the next
 * requests until it holds every room. An app that shows only part of the
 * list can keep the window to what it shows, growing it as the user
 * scrolls: a request in flight is sent again with the new window. Classic
 * sync ignores it.
 */
void
matrix_client_set_room_list_range (MatrixClient *self,
                                   guint         n_rooms)
{
  g_return_if_fail (MATRIX_IS_CLIENT (self));

  if (self->room_list_range == n_rooms)
    return;
  self->room_list_range = n_rooms;
  sliding_request_changed (self);
}

/**
 * matrix_client_set_open_room:
 * @self: a #MatrixClient
 * @room_id: (nullable): the room the user has open, or %NULL
 *
 * With sliding sync, the open room is subscribed to whatever its place in
 * the list, with a longer timeline than the list's rooms (50 events rather
 * than 10). A request in flight is sent again with the subscription.
 * Classic sync ignores it.
 */
void
matrix_client_set_open_room (MatrixClient *self,
                             const char   *room_id)
{
  g_return_if_fail (MATRIX_IS_CLIENT (self));

  if (g_strcmp0 (self->open_room, room_id) == 0)
    return;
  g_free (self->open_room);
  self->open_room = g_strdup (room_id);
  sliding_request_changed (self);
}

/* --- GObject ------------------------------------------------------------- */

/**
 * matrix_client_new:
 * @homeserver: the homeserver's base URL, e.g. `https://matrix.example.org`
 * @store: where the session, the sync token and room data are kept
 *
 * A client of @homeserver that keeps its session and what it syncs in @store.
 * It makes no request until asked: log in with matrix_client_login_async(),
 * or, when @store holds a session, start syncing with
 * matrix_client_start_sync().
 *
 * Returns: (transfer full): a new #MatrixClient
 */
MatrixClient *
matrix_client_new (const char  *homeserver,
                   MatrixStore *store)
{
  g_return_val_if_fail (homeserver != NULL, NULL);
  g_return_val_if_fail (MATRIX_IS_STORE (store), NULL);

  return g_object_new (MATRIX_TYPE_CLIENT, "homeserver", homeserver, "store", store, NULL);
}

/**
 * matrix_client_get_user_agent:
 * @self: a #MatrixClient
 *
 * The `User-Agent` of the client's requests.
 *
 * Returns: (transfer none): the `User-Agent` the client sends; see
 *   #MatrixClient:user-agent
 */
const char *
matrix_client_get_user_agent (MatrixClient *self)
{
  g_return_val_if_fail (MATRIX_IS_CLIENT (self), NULL);

  return soup_session_get_user_agent (self->session);
}

/**
 * matrix_client_set_user_agent:
 * @self: a #MatrixClient
 * @user_agent: (nullable): the `User-Agent` to send, such as `MyApp/1.0`,
 *   or %NULL for the library's own
 *
 * Sets #MatrixClient:user-agent.
 */
void
matrix_client_set_user_agent (MatrixClient *self,
                              const char   *user_agent)
{
  g_return_if_fail (MATRIX_IS_CLIENT (self));

  g_object_set (self, "user-agent", user_agent, NULL);
}

/**
 * matrix_client_get_device_display_name:
 * @self: a #MatrixClient
 *
 * The name a new device gets at login; see #MatrixClient:device-display-name.
 *
 * Returns: (transfer none) (nullable): the name given to a new device at
 *   login, or %NULL for g_get_application_name()
 */
const char *
matrix_client_get_device_display_name (MatrixClient *self)
{
  g_return_val_if_fail (MATRIX_IS_CLIENT (self), NULL);

  return self->device_display_name;
}

/**
 * matrix_client_set_device_display_name:
 * @self: a #MatrixClient
 * @name: (nullable): the name a new device gets at login, such as the
 *   application's name, or %NULL for g_get_application_name()
 *
 * Sets #MatrixClient:device-display-name.
 */
void
matrix_client_set_device_display_name (MatrixClient *self,
                                       const char   *name)
{
  g_return_if_fail (MATRIX_IS_CLIENT (self));

  g_object_set (self, "device-display-name", name, NULL);
}

/**
 * matrix_client_get_homeserver:
 * @self: a #MatrixClient
 *
 * The base URL of the homeserver the client talks to.
 *
 * Returns: (transfer none): the homeserver's base URL, without trailing slash
 */
const char *
matrix_client_get_homeserver (MatrixClient *self)
{
  g_return_val_if_fail (MATRIX_IS_CLIENT (self), NULL);

  return self->homeserver;
}

/**
 * matrix_client_get_store:
 * @self: a #MatrixClient
 *
 * The store the client keeps the session and synced data in.
 *
 * Returns: (transfer none): the store
 */
MatrixStore *
matrix_client_get_store (MatrixClient *self)
{
  g_return_val_if_fail (MATRIX_IS_CLIENT (self), NULL);

  return self->store;
}

/**
 * matrix_client_get_user_id:
 * @self: a #MatrixClient
 *
 * The user of the session, as the store holds it.
 *
 * Returns: (transfer none) (nullable): our user id, once logged in
 */
const char *
matrix_client_get_user_id (MatrixClient *self)
{
  g_return_val_if_fail (MATRIX_IS_CLIENT (self), NULL);

  return matrix_store_get_value (self->store, MATRIX_STORE_KEY_USER_ID);
}

/**
 * matrix_client_get_device_id:
 * @self: a #MatrixClient
 *
 * The device of the session, as the store holds it.
 *
 * Returns: (transfer none) (nullable): our device id, once logged in
 */
const char *
matrix_client_get_device_id (MatrixClient *self)
{
  g_return_val_if_fail (MATRIX_IS_CLIENT (self), NULL);

  return matrix_store_get_value (self->store, MATRIX_STORE_KEY_DEVICE_ID);
}

/**
 * matrix_client_is_logged_in:
 * @self: a #MatrixClient
 *
 * Whether the client has a session to make requests with.
 *
 * Returns: whether the store holds an access token
 */
gboolean
matrix_client_is_logged_in (MatrixClient *self)
{
  g_return_val_if_fail (MATRIX_IS_CLIENT (self), FALSE);

  return matrix_store_get_value (self->store, MATRIX_STORE_KEY_ACCESS_TOKEN) != NULL;
}

/**
 * matrix_client_is_syncing:
 * @self: a #MatrixClient
 *
 * Whether matrix_client_start_sync() was called and the loop has not stopped
 * since.
 *
 * Returns: whether the sync loop is running
 */
gboolean
matrix_client_is_syncing (MatrixClient *self)
{
  g_return_val_if_fail (MATRIX_IS_CLIENT (self), FALSE);

  return self->syncing;
}

/**
 * matrix_client_get_sync_error:
 * @self: a #MatrixClient
 *
 * Why the sync loop is failing, while it is: set before each
 * #MatrixClient::sync-failed and cleared by the next successful sync.
 *
 * Returns: (transfer none) (nullable): why the last sync failed, while the
 *   loop is failing
 */
const GError *
matrix_client_get_sync_error (MatrixClient *self)
{
  g_return_val_if_fail (MATRIX_IS_CLIENT (self), NULL);

  return self->sync_error;
}

/**
 * matrix_client_get_sync_failure:
 * @self: a #MatrixClient
 *
 * What kind of trouble the sync loop is in, for telling a user ("Connection
 * lost", "Rate limited by the server", ...); matrix_client_get_sync_error()
 * has the details. Set before #MatrixClient::sync-failed is emitted, and
 * back to %MATRIX_SYNC_FAILURE_NONE before #MatrixClient::sync-resumed;
 * #MatrixClient:sync-failure notifies each change.
 *
 * Returns: the kind of the last failure, while the loop is failing
 */
MatrixSyncFailure
matrix_client_get_sync_failure (MatrixClient *self)
{
  g_return_val_if_fail (MATRIX_IS_CLIENT (self), MATRIX_SYNC_FAILURE_NONE);

  return self->sync_failure;
}

/**
 * matrix_client_get_sync_filter:
 * @self: a #MatrixClient
 *
 * The filter of every `/sync` request; see #MatrixClient:sync-filter.
 *
 * Returns: (transfer none) (nullable): the `filter` sent with /sync
 */
const char *
matrix_client_get_sync_filter (MatrixClient *self)
{
  g_return_val_if_fail (MATRIX_IS_CLIENT (self), NULL);

  return self->sync_filter;
}

/**
 * matrix_client_set_sync_filter:
 * @self: a #MatrixClient
 * @filter: (nullable): a filter id or inline JSON filter, or %NULL for none
 *
 * Sets the `filter` parameter of the next /sync requests.
 */
void
matrix_client_set_sync_filter (MatrixClient *self,
                               const char   *filter)
{
  g_return_if_fail (MATRIX_IS_CLIENT (self));

  if (g_strcmp0 (self->sync_filter, filter) == 0)
    return;

  g_free (self->sync_filter);
  self->sync_filter = g_strdup (filter);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_SYNC_FILTER]);
}

/**
 * matrix_client_get_fill_gaps:
 * @self: a #MatrixClient
 *
 * See #MatrixClient:fill-gaps.
 *
 * Returns: whether limited syncs are completed back to the stored events
 */
gboolean
matrix_client_get_fill_gaps (MatrixClient *self)
{
  g_return_val_if_fail (MATRIX_IS_CLIENT (self), FALSE);

  return self->fill_gaps;
}

/**
 * matrix_client_set_fill_gaps:
 * @self: a #MatrixClient
 * @fill_gaps: whether to complete limited syncs back to the stored events
 *
 * Sets #MatrixClient:fill-gaps.
 */
void
matrix_client_set_fill_gaps (MatrixClient *self,
                             gboolean      fill_gaps)
{
  g_return_if_fail (MATRIX_IS_CLIENT (self));

  fill_gaps = !!fill_gaps;
  if (self->fill_gaps == fill_gaps)
    return;
  self->fill_gaps = fill_gaps;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_FILL_GAPS]);
}

/* Validates a /sync body and emits its signals at once, on the calling
 * thread, as if it had come from the server; nothing is committed. For the
 * fuzzer and benchmarks, which drive everything above HTTP. */
gboolean
_matrix_client_dispatch_sync_body (MatrixClient  *self,
                                   GBytes        *body,
                                   GError       **error)
{
  g_autoptr(MatrixSyncResponse) response = NULL;
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  gboolean was_syncing = self->syncing;
  GCancellable *saved = self->sync_cancellable;

  g_return_val_if_fail (MATRIX_IS_CLIENT (self), FALSE);
  g_return_val_if_fail (!was_syncing, FALSE);

  response = _matrix_sync_response_parse (body, error);
  if (response == NULL)
    return FALSE;

  self->syncing = TRUE;
  self->sync_cancellable = cancellable;
  emit_sync_signals (self, response, cancellable);
  self->syncing = FALSE;
  self->sync_cancellable = saved;

  return TRUE;
}

void
_matrix_client_set_timeout_source_func (MatrixClient            *self,
                                        MatrixTimeoutSourceFunc  func,
                                        gpointer                 user_data)
{
  self->timeout_func = func != NULL ? func : default_timeout_source;
  self->timeout_data = user_data;
}

void
_matrix_client_set_sync_watchdog_ms (MatrixClient *self,
                                     guint         watchdog_ms)
{
  self->watchdog_ms = watchdog_ms;
}

void
_matrix_client_set_first_byte_timeout_ms (MatrixClient *self,
                                          guint         timeout_ms)
{
  self->first_byte_ms = timeout_ms;
}

void
_matrix_client_set_watchdog_source_func (MatrixClient            *self,
                                         MatrixTimeoutSourceFunc  func,
                                         gpointer                 user_data)
{
  self->watchdog_func = func != NULL ? func : default_timeout_source;
  self->watchdog_data = user_data;
}

void
_matrix_client_set_max_body_size (MatrixClient *self,
                                  gsize         max_size)
{
  self->max_body_size = max_size;
}

void
_matrix_client_set_plain_room_ttl_ms (MatrixClient *self,
                                      guint         ttl_ms)
{
  self->plain_ttl_ms = ttl_ms;
}

MatrixClientCrypto *
_matrix_client_get_crypto_state (MatrixClient *self)
{
  return self->crypto;
}

MatrixCrypto *
_matrix_client_get_crypto (MatrixClient *self)
{
  return _matrix_client_crypto_get_machine (self->crypto);
}

void
_matrix_client_set_crypto (MatrixClient *self,
                           MatrixCrypto *crypto)
{
  g_clear_pointer (&self->crypto, _matrix_client_crypto_free);
  if (crypto == NULL)
    return;
  self->crypto = _matrix_client_crypto_new (crypto);
  /* A new device uploads its keys before anything else. */
  _matrix_client_crypto_send_requests (self);
}

static void
matrix_client_dispose (GObject *object)
{
  MatrixClient *self = MATRIX_CLIENT (object);

  matrix_client_stop_sync (self);
  if (self->session != NULL)
    soup_session_abort (self->session);
  g_clear_object (&self->session);
  g_clear_object (&self->store);
  g_clear_pointer (&self->crypto, _matrix_client_crypto_free);

  G_OBJECT_CLASS (matrix_client_parent_class)->dispose (object);
}

static void
matrix_client_finalize (GObject *object)
{
  MatrixClient *self = MATRIX_CLIENT (object);

  g_free (self->homeserver);
  g_free (self->sync_filter);
  g_free (self->device_display_name);
  g_free (self->txn_prefix);
  g_hash_table_unref (self->typing_rooms);
  g_clear_error (&self->sync_error);
  g_hash_table_unref (self->encrypted_rooms);
  g_hash_table_unref (self->plain_rooms);
  g_free (self->open_room);

  G_OBJECT_CLASS (matrix_client_parent_class)->finalize (object);
}

static void
matrix_client_get_property (GObject    *object,
                            guint       prop_id,
                            GValue     *value,
                            GParamSpec *pspec)
{
  MatrixClient *self = MATRIX_CLIENT (object);

  switch (prop_id)
    {
    case PROP_HOMESERVER:
      g_value_set_string (value, self->homeserver);
      break;
    case PROP_STORE:
      g_value_set_object (value, self->store);
      break;
    case PROP_USER_ID:
      g_value_set_string (value, matrix_client_get_user_id (self));
      break;
    case PROP_DEVICE_ID:
      g_value_set_string (value, matrix_client_get_device_id (self));
      break;
    case PROP_SYNC_FILTER:
      g_value_set_string (value, self->sync_filter);
      break;
    case PROP_SYNC_FAILURE:
      g_value_set_enum (value, self->sync_failure);
      break;
    case PROP_USER_AGENT:
      g_value_set_string (value, soup_session_get_user_agent (self->session));
      break;
    case PROP_DEVICE_DISPLAY_NAME:
      g_value_set_string (value, self->device_display_name);
      break;
    case PROP_FILL_GAPS:
      g_value_set_boolean (value, self->fill_gaps);
      break;
    case PROP_SYNC_MODE:
      g_value_set_enum (value, self->sync_mode);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
matrix_client_set_property (GObject      *object,
                            guint         prop_id,
                            const GValue *value,
                            GParamSpec   *pspec)
{
  MatrixClient *self = MATRIX_CLIENT (object);
  const char *homeserver;

  switch (prop_id)
    {
    case PROP_HOMESERVER:
      homeserver = g_value_get_string (value);
      self->homeserver = g_strdup (homeserver != NULL ? homeserver : "");
      /* Paths are appended with their own slash. */
      while (g_str_has_suffix (self->homeserver, "/"))
        self->homeserver[strlen (self->homeserver) - 1] = '\0';
      break;
    case PROP_STORE:
      self->store = g_value_dup_object (value);
      break;
    case PROP_SYNC_FILTER:
      matrix_client_set_sync_filter (self, g_value_get_string (value));
      break;
    case PROP_USER_AGENT:
      soup_session_set_user_agent (self->session,
                                   g_value_get_string (value) != NULL
                                     ? g_value_get_string (value) : DEFAULT_USER_AGENT);
      break;
    case PROP_DEVICE_DISPLAY_NAME:
      if (g_strcmp0 (self->device_display_name, g_value_get_string (value)) != 0)
        {
          g_free (self->device_display_name);
          self->device_display_name = g_value_dup_string (value);
          g_object_notify_by_pspec (object, pspec);
        }
      break;
    case PROP_FILL_GAPS:
      matrix_client_set_fill_gaps (self, g_value_get_boolean (value));
      break;
    case PROP_SYNC_MODE:
      matrix_client_set_sync_mode (self, g_value_get_enum (value));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
matrix_client_constructed (GObject *object)
{
  MatrixClient *self = MATRIX_CLIENT (object);

  G_OBJECT_CLASS (matrix_client_parent_class)->constructed (object);

  if (self->store == NULL)
    g_critical ("MatrixClient needs a store");
}

static void
matrix_client_class_init (MatrixClientClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->constructed = matrix_client_constructed;
  object_class->dispose = matrix_client_dispose;
  object_class->finalize = matrix_client_finalize;
  _matrix_client_verification_add_signals (object_class);
  object_class->get_property = matrix_client_get_property;
  object_class->set_property = matrix_client_set_property;

  /**
   * MatrixClient:sync-mode:
   *
   * Which protocol the sync loop speaks (see #MatrixSyncMode). The default
   * is auto: simplified sliding sync where the server offers it, whose
   * missing unread counts the rooms make themselves from the user's push
   * rules (#MatrixRoom:notification-count); a client with a
   * #MatrixClient:sync-filter (a `/v3/sync` notion) syncs with `/v3/sync`.
   * Read when the loop starts; a change while it runs takes effect at the
   * next matrix_client_start_sync().
   */
  properties[PROP_SYNC_MODE] =
    g_param_spec_enum ("sync-mode", NULL, NULL, MATRIX_TYPE_SYNC_MODE, MATRIX_SYNC_MODE_AUTO,
                       G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  /**
   * MatrixClient:homeserver:
   *
   * The base URL of the homeserver, such as `https://matrix.example.org`,
   * without a trailing slash.
   */
  properties[PROP_HOMESERVER] =
    g_param_spec_string ("homeserver", NULL, NULL, NULL,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  /**
   * MatrixClient:store:
   *
   * Where the session and everything synced are kept. Required.
   */
  properties[PROP_STORE] =
    g_param_spec_object ("store", NULL, NULL, MATRIX_TYPE_STORE,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  /**
   * MatrixClient:user-id:
   *
   * The user logged in, as the store holds it, or %NULL.
   */
  properties[PROP_USER_ID] =
    g_param_spec_string ("user-id", NULL, NULL, NULL,
                         G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  /**
   * MatrixClient:device-id:
   *
   * The device of the session, as the store holds it, or %NULL.
   */
  properties[PROP_DEVICE_ID] =
    g_param_spec_string ("device-id", NULL, NULL, NULL,
                         G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  /**
   * MatrixClient:sync-filter:
   *
   * The `filter` parameter of every `/sync` request (a filter id or a JSON
   * filter), or %NULL for none.
   */
  properties[PROP_SYNC_FILTER] =
    g_param_spec_string ("sync-filter", NULL, NULL, NULL,
                         G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  /**
   * MatrixClient:sync-failure:
   *
   * See matrix_client_get_sync_failure().
   */
  properties[PROP_SYNC_FAILURE] =
    g_param_spec_enum ("sync-failure", NULL, NULL, MATRIX_TYPE_SYNC_FAILURE,
                       MATRIX_SYNC_FAILURE_NONE,
                       G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  /**
   * MatrixClient:user-agent:
   *
   * The `User-Agent` of every request, such as `MyApp/1.0`. %NULL (the
   * default) sends `matrix-glib/` and the library's version.
   */
  properties[PROP_USER_AGENT] =
    g_param_spec_string ("user-agent", NULL, NULL, NULL,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT | G_PARAM_STATIC_STRINGS);
  /**
   * MatrixClient:device-display-name:
   *
   * The name a new device gets when matrix_client_login_async() creates it
   * (`initial_device_display_name`), shown in the user's list of sessions.
   * %NULL (the default) uses g_get_application_name().
   */
  properties[PROP_DEVICE_DISPLAY_NAME] =
    g_param_spec_string ("device-display-name", NULL, NULL, NULL,
                         G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  /**
   * MatrixClient:fill-gaps:
   *
   * Whether a limited sync's timeline (the server left events out after
   * downtime) is completed before its signals: the events between the
   * room's stored timeline and the sync's are fetched with `/messages`, a
   * few pages at most, and emitted first in #MatrixClient::room-timeline-updates.
   * %TRUE by default.
   */
  properties[PROP_FILL_GAPS] =
    g_param_spec_boolean ("fill-gaps", NULL, NULL, TRUE,
                          G_PARAM_READWRITE | G_PARAM_CONSTRUCT | G_PARAM_EXPLICIT_NOTIFY |
                          G_PARAM_STATIC_STRINGS);

  g_object_class_install_properties (object_class, N_PROPS, properties);

  /**
   * MatrixClient::sync-failed:
   * @self: the client
   * @delay_s: how many seconds the loop waits before it retries
   *
   * A sync request failed; matrix_client_get_sync_failure() tells what kind
   * of failure it was and matrix_client_get_sync_error() the details, both
   * set before the signal. The loop retries after @delay_s seconds (0: at
   * once): 2, doubling to 30, or what a rate-limited server asked for (at
   * least the backoff, at most 5 minutes); sooner when the network changes.
   * A retry asks for an answer at once (`timeout=0`), so the first success
   * comes without a long-poll's wait.
   */
  signals[SYNC_FAILED] =
    g_signal_new ("sync-failed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_UINT);
  /**
   * MatrixClient::sync-resumed:
   * @self: the client
   *
   * The first successful sync after one or more failures; the failure kind
   * is back to %MATRIX_SYNC_FAILURE_NONE.
   */
  signals[SYNC_RESUMED] =
    g_signal_new ("sync-resumed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 0);
  /**
   * MatrixClient::room-state-updates:
   * @self: the client
   * @room_id: the room
   * @events: (element-type MatrixStateEvent): the `state` section of the
   *   room in the response, in its order
   *
   * A room's state from a sync response, to apply before its timeline
   * (#MatrixClient::room-timeline-updates). These events are never to be
   * shown in a timeline. Emitted for every joined and left room of a
   * response, in the order state, timeline, summary (then
   * #MatrixClient::left-room for a left room).
   */
  signals[ROOM_STATE_UPDATES] =
    g_signal_new ("room-state-updates", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 2,
                  G_TYPE_STRING | G_SIGNAL_TYPE_STATIC_SCOPE,
                  G_TYPE_PTR_ARRAY | G_SIGNAL_TYPE_STATIC_SCOPE);
  /**
   * MatrixClient::room-timeline-updates:
   * @self: the client
   * @room_id: the room
   * @events: (element-type MatrixEvent): the `timeline` section of the room,
   *   oldest first; events with a state key are #MatrixStateEvent
   * @limited: whether the server left events out before these (a gap)
   * @prev_batch: (nullable): the token to fetch what came before these with
   *   `/messages`
   *
   * A room's new timeline events from a sync response.
   */
  signals[ROOM_TIMELINE_UPDATES] =
    g_signal_new ("room-timeline-updates", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 4,
                  G_TYPE_STRING | G_SIGNAL_TYPE_STATIC_SCOPE,
                  G_TYPE_PTR_ARRAY | G_SIGNAL_TYPE_STATIC_SCOPE,
                  G_TYPE_BOOLEAN,
                  G_TYPE_STRING | G_SIGNAL_TYPE_STATIC_SCOPE);
  /**
   * MatrixClient::room-summary-updates:
   * @self: the client
   * @room_id: the room
   * @summary: (nullable): the room's `summary` (heroes, member counts), if
   *   the response has one
   * @unread_notifications: (nullable): the room's `unread_notifications`
   *   (`notification_count`, `highlight_count`), if the response has them
   *
   * A joined room's summary and unread counts from a sync response, after
   * its timeline.
   */
  signals[ROOM_SUMMARY_UPDATES] =
    g_signal_new ("room-summary-updates", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 3,
                  G_TYPE_STRING | G_SIGNAL_TYPE_STATIC_SCOPE,
                  JSON_TYPE_OBJECT | G_SIGNAL_TYPE_STATIC_SCOPE,
                  JSON_TYPE_OBJECT | G_SIGNAL_TYPE_STATIC_SCOPE);
  /**
   * MatrixClient::room-ephemeral-updates:
   * @self: the client
   * @room_id: the joined room
   * @events: (element-type JsonObject): the room's `ephemeral` events
   *   (`m.typing`, `m.receipt`), each with a string `type` and an object
   *   `content`, to be validated further by whoever reads them
   *
   * After the room's timeline and summary; only when there are some.
   */
  signals[ROOM_EPHEMERAL_UPDATES] =
    g_signal_new ("room-ephemeral-updates", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 2,
                  G_TYPE_STRING | G_SIGNAL_TYPE_STATIC_SCOPE,
                  G_TYPE_PTR_ARRAY | G_SIGNAL_TYPE_STATIC_SCOPE);
  /**
   * MatrixClient::room-account-data-updates:
   * @self: the client
   * @room_id: the joined room
   * @events: (element-type JsonObject): the room's `account_data` events
   *   (`m.fully_read`...), as for #MatrixClient::room-ephemeral-updates
   *
   * After the room's ephemeral events; only when there are some.
   */
  signals[ROOM_ACCOUNT_DATA_UPDATES] =
    g_signal_new ("room-account-data-updates", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 2,
                  G_TYPE_STRING | G_SIGNAL_TYPE_STATIC_SCOPE,
                  G_TYPE_PTR_ARRAY | G_SIGNAL_TYPE_STATIC_SCOPE);
  /**
   * MatrixClient::account-data-updates:
   * @self: the client
   * @events: (element-type JsonObject): the user's global `account_data`
   *   events (`m.direct`, `m.push_rules`...): objects with a string `type`
   *   and an object `content`, others left out
   *
   * After every room of the response; only when there are some.
   */
  signals[ACCOUNT_DATA_UPDATES] =
    g_signal_new ("account-data-updates", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 1,
                  G_TYPE_PTR_ARRAY | G_SIGNAL_TYPE_STATIC_SCOPE);
  /**
   * MatrixClient::left-room:
   * @self: the client
   * @room_id: the room
   *
   * The user left the room (or was kicked, or banned, or declined its
   * invite): emitted after the room's state and timeline of `rooms.leave`.
   */
  signals[LEFT_ROOM] =
    g_signal_new ("left-room", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 1,
                  G_TYPE_STRING | G_SIGNAL_TYPE_STATIC_SCOPE);
  /**
   * MatrixClient::room-invite:
   * @self: the client
   * @room_id: the room the user is invited to
   * @stripped_state: (element-type Json.Object): the invite's stripped state
   *   events, each checked to have the strings `type`, `state_key` and
   *   `sender` and the object `content` (invalid ones are left out)
   *
   * A room in `rooms.invite`, emitted after every joined and left room of
   * the response. The user's own `m.room.member` event among
   * @stripped_state names who invited them as its sender.
   */
  signals[ROOM_INVITE] =
    g_signal_new ("room-invite", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 2,
                  G_TYPE_STRING | G_SIGNAL_TYPE_STATIC_SCOPE,
                  G_TYPE_PTR_ARRAY | G_SIGNAL_TYPE_STATIC_SCOPE);
  /**
   * MatrixClient::synced:
   * @self: the client
   * @next_batch: the response's sync token
   *
   * Everything a sync response carried has been handled and committed to
   * the store together with @next_batch, now the store's sync token.
   */
  signals[SYNCED] =
    g_signal_new ("synced", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 1,
                  G_TYPE_STRING | G_SIGNAL_TYPE_STATIC_SCOPE);
  /**
   * MatrixClient::session-ended:
   * @self: the client
   * @soft_logout: whether the server keeps the device: the user may log
   *   in again with the same device and keep the local data
   *
   * The server no longer accepts the access token (`M_UNKNOWN_TOKEN`); the
   * sync loop has stopped. Without @soft_logout the access token and device
   * id are gone from the store.
   */
  signals[SESSION_ENDED] =
    g_signal_new ("session-ended", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_BOOLEAN);
}

static void
matrix_client_init (MatrixClient *self)
{
  g_autofree char *random = g_uuid_string_random ();

  self->backoff_s = MIN_BACKOFF_S;
  self->typing_rooms = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  self->watchdog_ms = DEFAULT_WATCHDOG_MS;
  self->first_byte_ms = DEFAULT_FIRST_BYTE_MS;
  self->max_body_size = DEFAULT_MAX_BODY_SIZE;
  self->timeout_func = default_timeout_source;
  self->encrypted_rooms = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  self->plain_rooms = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  self->plain_ttl_ms = DEFAULT_PLAIN_TTL_MS;
  self->watchdog_func = default_timeout_source;
  self->range_end = MATRIX_SLIDING_SYNC_FIRST_WINDOW - 1;
  self->sync_mode = MATRIX_SYNC_MODE_AUTO;
  self->txn_prefix = g_strdup_printf ("m%" G_GINT64_FORMAT ".%.8s", g_get_real_time (), random);

  /* The I/O timeout only catches a dead connection; the long-poll itself is
   * bounded by the sync watchdog. */
  self->session = soup_session_new_with_options ("timeout", 60,
                                                 "user-agent", DEFAULT_USER_AGENT,
                                                 NULL);
}
