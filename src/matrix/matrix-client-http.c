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
#include "matrix-client-impl-private.h"

/* --- HTTP ---------------------------------------------------------------- */

typedef struct {
  SoupMessage  *message;
  GInputStream *stream;
  GByteArray   *buffer;
  gsize         max_size;
} SendData;

static void
send_data_free (SendData *data)
{
  g_clear_object (&data->message);
  g_clear_object (&data->stream);
  g_clear_pointer (&data->buffer, g_byte_array_unref);
  g_free (data);
}

void
_matrix_client_response_free (Response *response)
{
  g_clear_pointer (&response->headers, soup_message_headers_unref);
  g_clear_pointer (&response->body, g_bytes_unref);
  g_free (response);
}

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
  g_task_return_pointer (task, response, (GDestroyNotify) _matrix_client_response_free);
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
void
_matrix_client_send_message_limited_async (MatrixClient        *self,
                                           SoupMessage         *message,
                                           gsize                max_size,
                                           GCancellable        *cancellable,
                                           GAsyncReadyCallback  callback,
                                           gpointer             user_data)
{
  GTask *task = g_task_new (self, cancellable, callback, user_data);
  SendData *data = g_new0 (SendData, 1);

  g_task_set_source_tag (task, _matrix_client_send_message_limited_async);
  data->message = g_object_ref (message);
  data->max_size = max_size;
  g_task_set_task_data (task, data, (GDestroyNotify) send_data_free);

  soup_session_send_async (self->session, message, G_PRIORITY_DEFAULT, cancellable,
                           on_message_sent, task);
}

void
_matrix_client_send_message_async (MatrixClient        *self,
                                   SoupMessage         *message,
                                   GCancellable        *cancellable,
                                   GAsyncReadyCallback  callback,
                                   gpointer             user_data)
{
  _matrix_client_send_message_limited_async (self, message, self->max_body_size, cancellable, callback, user_data);
}

Response *
_matrix_client_send_message_finish (MatrixClient  *self,
                                    GAsyncResult  *result,
                                    GError       **error)
{
  return g_task_propagate_pointer (G_TASK (result), error);
}

gboolean
_matrix_client_is_json (Response *response)
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
GError *
_matrix_client_response_error (Response *response)
{
  g_autoptr(JsonObject) body = NULL;
  const char *errcode = NULL, *message = NULL;
  gboolean soft_logout = FALSE;

  if (_matrix_client_is_json (response))
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

SoupMessage *
_matrix_client_new_api_message (MatrixClient        *self,
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

  return _matrix_client_response_error (&response);
}

void
_matrix_client_on_request_done (GObject      *source,
                                GAsyncResult *result,
                                gpointer      user_data)
{
  MatrixClient *self = MATRIX_CLIENT (source);
  g_autoptr(GTask) task = user_data;
  g_autoptr(Response) response = NULL;
  JsonObject *object;
  GError *error = NULL;

  response = _matrix_client_send_message_finish (self, result, &error);
  if (response == NULL)
    {
      g_task_return_error (task, error);
      return;
    }

  if (!SOUP_STATUS_IS_SUCCESSFUL (response->status))
    {
      g_task_return_error (task, _matrix_client_response_error (response));
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

void
_matrix_client_request_async (MatrixClient        *self,
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

  message = _matrix_client_new_api_message (self, method, path, query, body, authenticated, &error);
  if (message == NULL)
    {
      g_task_return_error (task, error);
      return;
    }

  if (_matrix_client_guard_room_send (self, task, message, body))
    return;

  _matrix_client_send_message_async (self, message, cancellable, _matrix_client_on_request_done, g_steal_pointer (&task));
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
  _matrix_client_send_message_async (self, message, cancellable, _matrix_client_on_request_done, task);
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

  _matrix_client_request_async (self, method, path, query, body, TRUE, cancellable, callback, user_data);
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
