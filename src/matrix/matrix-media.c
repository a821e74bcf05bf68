/* SPDX-License-Identifier: LGPL-2.1-or-later */
#define G_LOG_DOMAIN "matrix-media"


#include <libsoup/soup.h>

#include "matrix-client-private.h"
#include "matrix-error.h"
#include "matrix-json-private.h"
#include "matrix-media.h"
#include "matrix-media-cache-private.h"

/**
 * MatrixMedia:
 *
 * Downloads and uploads of a #MatrixClient's media, through a
 * #MatrixMediaCache.
 *
 * Media is fetched with the authenticated media API of Matrix 1.11
 * (`/_matrix/client/v1/media/download|thumbnail`, with the access token);
 * only a server whose `/versions` lists no version from v1.11 on (and not
 * the stable MSC3916 feature) is asked on the legacy unauthenticated
 * endpoints (`/_matrix/media/v3/`). The choice is made once, on the first
 * request.
 *
 * A #MatrixMedia does not keep its client alive (an application may keep
 * it as the client's data); once the client is gone, requests fail with
 * %MATRIX_ERROR_NOT_LOGGED_IN.
 *
 * Downloads are streamed into a temporary file of the cache and enter it
 * whole, by a rename, once every byte arrived: a body larger than the limit
 * the caller gives is refused as soon as its `Content-Length` says so, and
 * otherwise as soon as that many bytes arrived (%MATRIX_ERROR_TOO_LARGE); a
 * body shorter than its `Content-Length` fails, and nothing is cached. The
 * bytes are the server's (anyone's): callers decode them with care.
 */

#define CHUNK_SIZE        (64 * 1024)
#define MAX_ERROR_BODY    (64 * 1024)

typedef enum {
  API_UNKNOWN,
  API_CHECKING,
  API_AUTHENTICATED,
  API_LEGACY,
} Api;

struct _MatrixMedia
{
  GObject           parent_instance;

  MatrixClient     *client;   /* weak: a client may own its media */
  MatrixMediaCache *cache;
  Api               api;
  GPtrArray        *waiting;        /* GTask*, waiting for /versions */
  guint64           upload_limit;   /* 0: not known */
};

G_DEFINE_FINAL_TYPE (MatrixMedia, matrix_media, G_TYPE_OBJECT)

G_DEFINE_ENUM_TYPE (MatrixThumbnailMethod, matrix_thumbnail_method,
  G_DEFINE_ENUM_VALUE (MATRIX_THUMBNAIL_SCALE, "scale"),
  G_DEFINE_ENUM_VALUE (MATRIX_THUMBNAIL_CROP, "crop"))

enum {
  PROP_0,
  PROP_CLIENT,
  PROP_CACHE,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

/* The client, or why there is none. */
static gboolean
has_client (MatrixMedia  *self,
            GError      **error)
{
  if (self->client != NULL)
    return TRUE;
  g_set_error_literal (error, MATRIX_ERROR, MATRIX_ERROR_NOT_LOGGED_IN, "The client is gone");
  return FALSE;
}

/* --- Which API --------------------------------------------------------- */

/* Whether a `/versions` answer promises the authenticated media API. */
static gboolean
versions_have_authenticated_media (JsonObject *versions)
{
  JsonArray *array = NULL;
  JsonObject *features = NULL;
  gboolean stable = FALSE;

  if (_matrix_json_get_object (versions, "versions", "unstable_features", FALSE, &features, NULL) &&
      features != NULL &&
      _matrix_json_get_bool (features, "unstable_features", "org.matrix.msc3916.stable", FALSE,
                             &stable, NULL) &&
      stable)
    return TRUE;

  if (!_matrix_json_get_array (versions, "versions", "versions", TRUE, &array, NULL))
    return FALSE;

  for (guint i = 0; i < json_array_get_length (array); i++)
    {
      JsonNode *node = json_array_get_element (array, i);
      const char *text;
      guint64 major, minor;
      g_auto(GStrv) parts = NULL;

      if (!JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != G_TYPE_STRING)
        continue;
      text = json_node_get_string (node);
      if (text[0] != 'v')
        continue;
      parts = g_strsplit (text + 1, ".", 3);
      if (g_strv_length (parts) != 2 ||
          !g_ascii_string_to_unsigned (parts[0], 10, 0, 1000, &major, NULL) ||
          !g_ascii_string_to_unsigned (parts[1], 10, 0, 1000, &minor, NULL))
        continue;
      if (major > 1 || (major == 1 && minor >= 11))
        return TRUE;
    }

  return FALSE;
}

static void
on_versions_done (MatrixMedia *self)
{
  g_autoptr(GPtrArray) waiting = g_steal_pointer (&self->waiting);

  self->waiting = g_ptr_array_new_with_free_func (g_object_unref);
  for (guint i = 0; i < waiting->len; i++)
    g_task_return_boolean (g_ptr_array_index (waiting, i), TRUE);
}

static void
on_versions (GObject      *source,
             GAsyncResult *result,
             gpointer      user_data)
{
  g_autoptr(MatrixMedia) self = user_data;
  g_autoptr(JsonObject) versions = NULL;
  g_autoptr(GError) error = NULL;

  versions = matrix_client_request_finish (MATRIX_CLIENT (source), result, &error);
  if (versions == NULL)
    {
      /* The current API: a server that has not it fails the request
       * clearly, and no media goes over an unauthenticated request by a
       * mere failure. */
      g_debug ("No /versions (%s): the authenticated media API is used", error->message);
      self->api = API_AUTHENTICATED;
    }
  else
    self->api = versions_have_authenticated_media (versions) ? API_AUTHENTICATED : API_LEGACY;

  on_versions_done (self);
}

/* Finds out which API the server has; the task returns when it is known. */
static void
ensure_api (MatrixMedia *self,
            GTask       *task)
{
  g_autoptr(SoupMessage) message = NULL;
  g_autoptr(GError) error = NULL;

  if (self->api == API_AUTHENTICATED || self->api == API_LEGACY)
    {
      g_task_return_boolean (task, TRUE);
      g_object_unref (task);
      return;
    }

  g_ptr_array_add (self->waiting, task);
  if (self->api == API_CHECKING)
    return;

  if (!has_client (self, &error))
    {
      self->api = API_AUTHENTICATED;
      on_versions_done (self);
      return;
    }

  self->api = API_CHECKING;
  message = _matrix_client_new_message (self->client, "GET", "/_matrix/client/", "versions", NULL,
                                        FALSE, &error);
  g_assert (message != NULL);
  _matrix_client_request_message_async (self->client, message, NULL, on_versions,
                                        g_object_ref (self));
}

/* --- Downloads --------------------------------------------------------- */

typedef struct {
  char                  *key;
  char                  *server_name;
  char                  *media_id;
  gboolean               thumbnail;
  guint                  width;
  guint                  height;
  MatrixThumbnailMethod  method;
  guint64                max_size;
  GFileProgressCallback  progress_callback;
  gpointer               progress_data;

  MatrixClient          *client;       /* held while its session is used */
  SoupMessage           *message;
  GInputStream          *input;
  GFile                 *temp;
  GOutputStream         *output;
  guint64                received;
  gint64                 expected;     /* Content-Length, or -1 */
  GBytes                *chunk;        /* being written */
  GByteArray            *error_body;
} Download;

static void
on_abandoned_closed (GObject      *source,
                     GAsyncResult *result,
                     gpointer      user_data)
{
  g_autoptr(GFile) temp = user_data;

  g_output_stream_close_finish (G_OUTPUT_STREAM (source), result, NULL);
  g_file_delete_async (temp, G_PRIORITY_LOW, NULL, NULL, NULL);
}

/* A download that did not reach the cache leaves no file behind. */
static void
abandon_temp (Download *download)
{
  if (download->output != NULL)
    g_output_stream_close_async (download->output, G_PRIORITY_LOW, NULL, on_abandoned_closed,
                                 g_object_ref (download->temp));
  g_clear_object (&download->output);
}

static void
download_return_error (GTask  *task,
                       GError *error)
{
  abandon_temp (g_task_get_task_data (task));
  g_task_return_error (task, error);
}

static void
download_free (Download *download)
{
  abandon_temp (download);
  g_free (download->key);
  g_free (download->server_name);
  g_free (download->media_id);
  g_clear_object (&download->message);
  g_clear_object (&download->client);
  g_clear_object (&download->input);
  g_clear_object (&download->temp);
  g_clear_object (&download->output);
  g_clear_pointer (&download->chunk, g_bytes_unref);
  g_clear_pointer (&download->error_body, g_byte_array_unref);
  g_free (download);
}

static GError *
too_large (guint64 max_size)
{
  return g_error_new (MATRIX_ERROR, MATRIX_ERROR_TOO_LARGE,
                      "The media is larger than %" G_GUINT64_FORMAT " bytes", max_size);
}

static void read_next (GTask *task);

static void
on_committed (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  GError *error = NULL;
  GFile *file;

  file = _matrix_media_cache_commit_finish (MATRIX_MEDIA_CACHE (source), result, &error);
  if (file == NULL)
    download_return_error (task, error);
  else
    g_task_return_pointer (task, file, g_object_unref);
}

static void
on_output_closed (GObject      *source,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  MatrixMedia *self = g_task_get_source_object (task);
  Download *download = g_task_get_task_data (task);
  g_autoptr(GOutputStream) output = g_steal_pointer (&download->output);
  GError *error = NULL;

  if (!g_output_stream_close_finish (output, result, &error))
    {
      g_file_delete_async (download->temp, G_PRIORITY_LOW, NULL, NULL, NULL);
      download_return_error (task, error);
      return;
    }

  if (g_task_return_error_if_cancelled (task))
    {
      g_file_delete_async (download->temp, G_PRIORITY_LOW, NULL, NULL, NULL);
      return;
    }

  _matrix_media_cache_commit_async (self->cache, download->key, download->temp, on_committed,
                                    g_steal_pointer (&task));
}

static void
on_chunk_written (GObject      *source,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  Download *download = g_task_get_task_data (task);
  GError *error = NULL;

  if (!g_output_stream_write_all_finish (G_OUTPUT_STREAM (source), result, NULL, &error))
    {
      download_return_error (task, error);
      return;
    }
  g_clear_pointer (&download->chunk, g_bytes_unref);

  if (download->progress_callback != NULL)
    download->progress_callback ((goffset) download->received,
                                 download->expected >= 0 ? download->expected : 0,
                                 download->progress_data);
  read_next (g_steal_pointer (&task));
}

static void
on_chunk_read (GObject      *source,
               GAsyncResult *result,
               gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  GCancellable *cancellable = g_task_get_cancellable (task);
  Download *download = g_task_get_task_data (task);
  GError *error = NULL;
  gsize size;

  download->chunk = g_input_stream_read_bytes_finish (G_INPUT_STREAM (source), result, &error);
  if (download->chunk == NULL)
    {
      download_return_error (task, error);
      return;
    }

  size = g_bytes_get_size (download->chunk);
  if (size == 0)
    {
      if (download->expected >= 0 && download->received != (guint64) download->expected)
        {
          download_return_error (task, g_error_new (MATRIX_ERROR, MATRIX_ERROR_INVALID_RESPONSE,
                                                    "The media ended after %" G_GUINT64_FORMAT
                                                    " of %" G_GINT64_FORMAT " bytes",
                                                    download->received, download->expected));
          return;
        }
      g_output_stream_close_async (download->output, G_PRIORITY_DEFAULT,
                                   cancellable, on_output_closed,
                                   g_steal_pointer (&task));
      return;
    }

  download->received += size;
  if (download->received > download->max_size)
    {
      download_return_error (task, too_large (download->max_size));
      return;
    }

  g_output_stream_write_all_async (download->output, g_bytes_get_data (download->chunk, NULL), size,
                                   G_PRIORITY_DEFAULT, cancellable,
                                   on_chunk_written, g_steal_pointer (&task));
}

static void
read_next (GTask *task)
{
  GCancellable *cancellable = g_task_get_cancellable (task);
  Download *download = g_task_get_task_data (task);
  guint64 left = download->max_size - download->received;

  /* One byte past the limit is enough to know it is over. */
  g_input_stream_read_bytes_async (download->input, (gsize) MIN ((guint64) CHUNK_SIZE, left + 1),
                                   G_PRIORITY_DEFAULT, cancellable,
                                   on_chunk_read, task);
}

static void
on_temp_created (GObject      *source,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  Download *download = g_task_get_task_data (task);
  GError *error = NULL;

  download->output = G_OUTPUT_STREAM (g_file_create_finish (G_FILE (source), result, &error));
  if (download->output == NULL)
    {
      download_return_error (task, error);
      return;
    }

  read_next (g_steal_pointer (&task));
}

static void
on_error_body_read (GObject      *source,
                    GAsyncResult *result,
                    gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  GCancellable *cancellable = g_task_get_cancellable (task);
  Download *download = g_task_get_task_data (task);
  g_autoptr(GBytes) chunk = NULL;
  g_autoptr(GBytes) body = NULL;

  chunk = g_input_stream_read_bytes_finish (G_INPUT_STREAM (source), result, NULL);
  if (chunk != NULL && g_bytes_get_size (chunk) > 0 &&
      download->error_body->len + g_bytes_get_size (chunk) <= MAX_ERROR_BODY)
    {
      g_byte_array_append (download->error_body, g_bytes_get_data (chunk, NULL),
                           g_bytes_get_size (chunk));
      g_input_stream_read_bytes_async (download->input, CHUNK_SIZE, G_PRIORITY_DEFAULT,
                                       cancellable, on_error_body_read,
                                       g_steal_pointer (&task));
      return;
    }

  body = g_bytes_new (download->error_body->data, download->error_body->len);
  download_return_error (task, _matrix_client_error_from_response (
                               soup_message_get_status (download->message),
                               soup_message_get_response_headers (download->message), body));
}

static void
on_sent (GObject      *source,
         GAsyncResult *result,
         gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  GCancellable *cancellable = g_task_get_cancellable (task);
  MatrixMedia *self = g_task_get_source_object (task);
  Download *download = g_task_get_task_data (task);
  SoupMessageHeaders *headers;
  GError *error = NULL;

  download->input = soup_session_send_finish (SOUP_SESSION (source), result, &error);
  if (download->input == NULL)
    {
      download_return_error (task, error);
      return;
    }

  if (!SOUP_STATUS_IS_SUCCESSFUL (soup_message_get_status (download->message)))
    {
      download->error_body = g_byte_array_new ();
      g_input_stream_read_bytes_async (download->input, CHUNK_SIZE, G_PRIORITY_DEFAULT,
                                       cancellable, on_error_body_read,
                                       g_steal_pointer (&task));
      return;
    }

  headers = soup_message_get_response_headers (download->message);
  if (soup_message_headers_get_encoding (headers) == SOUP_ENCODING_CONTENT_LENGTH)
    {
      download->expected = soup_message_headers_get_content_length (headers);
      if (download->expected < 0 || (guint64) download->expected > download->max_size)
        {
          download_return_error (task, too_large (download->max_size));
          return;
        }
    }

  download->temp = _matrix_media_cache_new_temp_file (self->cache);
  g_file_create_async (download->temp, G_FILE_CREATE_PRIVATE, G_PRIORITY_DEFAULT,
                       cancellable, on_temp_created, g_steal_pointer (&task));
}

static void
send_download (GTask *task)
{
  GCancellable *cancellable = g_task_get_cancellable (task);
  MatrixMedia *self = g_task_get_source_object (task);
  Download *download = g_task_get_task_data (task);
  g_autofree char *path = NULL;
  g_autofree char *width = g_strdup_printf ("%u", download->width);
  g_autofree char *height = g_strdup_printf ("%u", download->height);
  const char *query[] = {
    "width", width, "height", height,
    "method", download->method == MATRIX_THUMBNAIL_CROP ? "crop" : "scale",
    NULL
  };
  const char *what = download->thumbnail ? "thumbnail" : "download";
  gboolean authenticated = self->api != API_LEGACY;
  GError *error = NULL;

  if (!has_client (self, &error))
    {
      download_return_error (task, error);
      g_object_unref (task);
      return;
    }
  download->client = g_object_ref (self->client);

  if (authenticated)
    path = matrix_client_build_path ("v1", "media", what, download->server_name,
                                     download->media_id, NULL);
  else
    path = matrix_client_build_path ("v3", what, download->server_name, download->media_id, NULL);

  download->message = _matrix_client_new_message (self->client, "GET",
                                                  authenticated ? "/_matrix/client/" : "/_matrix/media/",
                                                  path, download->thumbnail ? query : NULL,
                                                  authenticated, &error);
  if (download->message == NULL)
    {
      download_return_error (task, error);
      g_object_unref (task);
      return;
    }

  soup_session_send_async (_matrix_client_get_session (self->client), download->message,
                           G_PRIORITY_DEFAULT, cancellable, on_sent, task);
}

static void
on_api_known (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;

  if (g_task_return_error_if_cancelled (task))
    return;

  send_download (g_steal_pointer (&task));
}

static void
on_looked_up (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  MatrixMedia *self = g_task_get_source_object (task);
  GError *error = NULL;
  GFile *file;

  file = matrix_media_cache_lookup_finish (MATRIX_MEDIA_CACHE (source), result, &error);
  if (file != NULL)
    {
      g_task_return_pointer (task, file, g_object_unref);
      return;
    }
  if (error != NULL)
    {
      download_return_error (task, error);
      return;
    }

  if (g_task_return_error_if_cancelled (task))
    return;

  {
    GTask *check = g_task_new (self, NULL, on_api_known, g_steal_pointer (&task));

    ensure_api (self, check);
  }
}

static void
start_download (MatrixMedia *self,
                Download    *download,
                gpointer     source_tag,
                const char  *mxc_uri,
                GCancellable *cancellable,
                GAsyncReadyCallback callback,
                gpointer     user_data)
{
  g_autoptr(GTask) task = g_task_new (self, cancellable, callback, user_data);

  g_task_set_source_tag (task, source_tag);
  g_task_set_task_data (task, download, (GDestroyNotify) download_free);
  download->expected = -1;

  if (!matrix_mxc_uri_parse (mxc_uri, &download->server_name, &download->media_id))
    {
      g_task_return_new_error (task, MATRIX_ERROR, MATRIX_ERROR_FAILED,
                               "Not a valid content URI");
      return;
    }

  if (download->thumbnail)
    download->key = g_strdup_printf ("thumbnail %ux%u %s %s/%s", download->width, download->height,
                                     download->method == MATRIX_THUMBNAIL_CROP ? "crop" : "scale",
                                     download->server_name, download->media_id);
  else
    download->key = g_strdup_printf ("download %s/%s", download->server_name, download->media_id);

  matrix_media_cache_lookup_async (self->cache, download->key, cancellable, on_looked_up,
                                   g_steal_pointer (&task));
}

/**
 * matrix_media_download_async:
 * @self: a #MatrixMedia
 * @mxc_uri: the content URI, `mxc://<server-name>/<media-id>`
 * @max_size: the most bytes to accept
 * @cancellable: (nullable): a #GCancellable
 * @progress_callback: (nullable) (scope call) (closure progress_data): called
 *   after each chunk written, with the bytes so far and the total (0 when
 *   the server did not say)
 * @progress_data: data for @progress_callback
 * @callback: called with the cached file, or an error
 * @user_data: data for @callback
 *
 * Downloads the media @mxc_uri names into the cache, unless it is there
 * already. An invalid @mxc_uri fails with %MATRIX_ERROR_FAILED and makes no
 * request; media over @max_size fails with %MATRIX_ERROR_TOO_LARGE; a
 * truncated body with %MATRIX_ERROR_INVALID_RESPONSE.
 */
void
matrix_media_download_async (MatrixMedia           *self,
                             const char            *mxc_uri,
                             guint64                max_size,
                             GCancellable          *cancellable,
                             GFileProgressCallback  progress_callback,
                             gpointer               progress_data,
                             GAsyncReadyCallback    callback,
                             gpointer               user_data)
{
  Download *download;

  g_return_if_fail (MATRIX_IS_MEDIA (self));

  download = g_new0 (Download, 1);
  download->max_size = max_size;
  download->progress_callback = progress_callback;
  download->progress_data = progress_data;
  start_download (self, download, matrix_media_download_async, mxc_uri, cancellable, callback,
                  user_data);
}

/**
 * matrix_media_download_finish:
 * @self: a #MatrixMedia
 * @result: the #GAsyncResult
 * @error: return location for a #GError
 *
 * Finishes matrix_media_download_async().
 *
 * Returns: (transfer full) (nullable): the file in the cache
 */
GFile *
matrix_media_download_finish (MatrixMedia   *self,
                              GAsyncResult  *result,
                              GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

/**
 * matrix_media_get_thumbnail_async:
 * @self: a #MatrixMedia
 * @mxc_uri: the content URI of an image or video
 * @width: the width wanted, in pixels
 * @height: the height wanted, in pixels
 * @method: how the server fits the image to @width × @height
 * @max_size: the most bytes to accept
 * @cancellable: (nullable): a #GCancellable
 * @callback: called with the cached thumbnail, or an error
 * @user_data: data for @callback
 *
 * Like matrix_media_download_async(), for a thumbnail the server makes of
 * the media (`/thumbnail/`). The file holds whatever the server sent:
 * sniff and decode it with care.
 */
void
matrix_media_get_thumbnail_async (MatrixMedia           *self,
                                  const char            *mxc_uri,
                                  guint                  width,
                                  guint                  height,
                                  MatrixThumbnailMethod  method,
                                  guint64                max_size,
                                  GCancellable          *cancellable,
                                  GAsyncReadyCallback    callback,
                                  gpointer               user_data)
{
  Download *download;

  g_return_if_fail (MATRIX_IS_MEDIA (self));
  g_return_if_fail (width > 0 && height > 0);

  download = g_new0 (Download, 1);
  download->thumbnail = TRUE;
  download->width = width;
  download->height = height;
  download->method = method;
  download->max_size = max_size;
  start_download (self, download, matrix_media_get_thumbnail_async, mxc_uri, cancellable, callback,
                  user_data);
}

/**
 * matrix_media_get_thumbnail_finish:
 * @self: a #MatrixMedia
 * @result: the #GAsyncResult
 * @error: return location for a #GError
 *
 * Finishes matrix_media_get_thumbnail_async().
 *
 * Returns: (transfer full) (nullable): the thumbnail's file in the cache
 */
GFile *
matrix_media_get_thumbnail_finish (MatrixMedia   *self,
                                   GAsyncResult  *result,
                                   GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

/* --- The upload limit ------------------------------------------------- */

static void
on_config (GObject      *source,
           GAsyncResult *result,
           gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  MatrixMedia *self = g_task_get_source_object (task);
  g_autoptr(JsonObject) config = NULL;
  GError *error = NULL;
  gint64 limit = 0;

  config = matrix_client_request_finish (MATRIX_CLIENT (source), result, &error);
  if (config == NULL ||
      !_matrix_json_get_int (config, "config", "m.upload.size", FALSE, &limit, &error))
    {
      g_task_return_error (task, error);
      return;
    }
  if (limit < 0)
    {
      g_task_return_new_error (task, MATRIX_ERROR, MATRIX_ERROR_INVALID_RESPONSE,
                               "config: m.upload.size is negative");
      return;
    }

  self->upload_limit = (guint64) limit;
  g_task_return_boolean (task, TRUE);
}

static void
on_api_known_for_config (GObject      *source,
                         GAsyncResult *result,
                         gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  GCancellable *cancellable = g_task_get_cancellable (task);
  MatrixMedia *self = g_task_get_source_object (task);
  g_autoptr(SoupMessage) message = NULL;
  GError *error = NULL;

  if (!has_client (self, &error))
    {
      g_task_return_error (task, error);
      return;
    }
  if (self->api == API_LEGACY)
    message = _matrix_client_new_message (self->client, "GET", "/_matrix/media/", "v3/config",
                                          NULL, TRUE, &error);
  else
    message = _matrix_client_new_message (self->client, "GET", "/_matrix/client/",
                                          "v1/media/config", NULL, TRUE, &error);
  if (message == NULL)
    {
      g_task_return_error (task, error);
      return;
    }

  _matrix_client_request_message_async (self->client, message, cancellable,
                                        on_config, g_steal_pointer (&task));
}

/**
 * matrix_media_get_upload_limit_async:
 * @self: a #MatrixMedia
 * @cancellable: (nullable): a #GCancellable
 * @callback: called with the limit, or an error
 * @user_data: data for @callback
 *
 * Asks the server for the largest upload it accepts (`m.upload.size` of
 * `GET /_matrix/client/v1/media/config`). Once known, matrix_media_upload_async()
 * refuses larger files before sending a byte.
 */
void
matrix_media_get_upload_limit_async (MatrixMedia         *self,
                                     GCancellable        *cancellable,
                                     GAsyncReadyCallback  callback,
                                     gpointer             user_data)
{
  GTask *task;

  g_return_if_fail (MATRIX_IS_MEDIA (self));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, matrix_media_get_upload_limit_async);
  ensure_api (self, g_task_new (self, NULL, on_api_known_for_config, task));
}

/**
 * matrix_media_get_upload_limit_finish:
 * @self: a #MatrixMedia
 * @result: the #GAsyncResult
 * @limit: (out): the largest upload in bytes, or 0 when the server sets none
 * @error: return location for a #GError
 *
 * Finishes matrix_media_get_upload_limit_async().
 *
 * Returns: %TRUE if the server answered
 */
gboolean
matrix_media_get_upload_limit_finish (MatrixMedia   *self,
                                      GAsyncResult  *result,
                                      guint64       *limit,
                                      GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);

  if (!g_task_propagate_boolean (G_TASK (result), error))
    return FALSE;
  if (limit != NULL)
    *limit = self->upload_limit;
  return TRUE;
}

/* --- Uploads ----------------------------------------------------------- */

typedef struct {
  GFile                 *file;
  char                  *content_type;
  char                  *filename;
  GFileProgressCallback  progress_callback;
  gpointer               progress_data;
  goffset                size;
  goffset                sent;
  SoupMessage           *message;
  gulong                 wrote_id;
} Upload;

static void
upload_free (Upload *upload)
{
  g_clear_signal_handler (&upload->wrote_id, upload->message);
  g_clear_object (&upload->file);
  g_free (upload->content_type);
  g_free (upload->filename);
  g_clear_object (&upload->message);
  g_free (upload);
}

static void
on_wrote_body_data (SoupMessage *message,
                    guint        chunk_size,
                    gpointer     user_data)
{
  Upload *upload = user_data;

  upload->sent += chunk_size;
  if (upload->progress_callback != NULL)
    upload->progress_callback (upload->sent, upload->size, upload->progress_data);
}

static void
on_uploaded (GObject      *source,
             GAsyncResult *result,
             gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  g_autoptr(JsonObject) answer = NULL;
  const char *content_uri = NULL;
  GError *error = NULL;

  answer = matrix_client_request_finish (MATRIX_CLIENT (source), result, &error);
  if (answer == NULL ||
      !_matrix_json_get_string (answer, "upload", "content_uri", TRUE, &content_uri, &error))
    {
      g_task_return_error (task, error);
      return;
    }
  if (!matrix_mxc_uri_parse (content_uri, NULL, NULL))
    {
      g_task_return_new_error (task, MATRIX_ERROR, MATRIX_ERROR_INVALID_RESPONSE,
                               "upload: content_uri is not a content URI");
      return;
    }

  g_task_return_pointer (task, g_strdup (content_uri), g_free);
}

static void
on_upload_opened (GObject      *source,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  GCancellable *cancellable = g_task_get_cancellable (task);
  MatrixMedia *self = g_task_get_source_object (task);
  Upload *upload = g_task_get_task_data (task);
  g_autoptr(GFileInputStream) input = NULL;
  const char *query[] = { "filename", upload->filename, NULL };
  GError *error = NULL;

  input = g_file_read_finish (G_FILE (source), result, &error);
  if (input == NULL)
    {
      g_task_return_error (task, error);
      return;
    }

  if (!has_client (self, &error))
    {
      g_task_return_error (task, error);
      return;
    }
  upload->message = _matrix_client_new_message (self->client, "POST", "/_matrix/media/",
                                                "v3/upload",
                                                upload->filename != NULL ? query : NULL,
                                                TRUE, &error);
  if (upload->message == NULL)
    {
      g_task_return_error (task, error);
      return;
    }

  soup_message_set_request_body (upload->message, upload->content_type, G_INPUT_STREAM (input),
                                 upload->size);
  upload->wrote_id = g_signal_connect (upload->message, "wrote-body-data",
                                       G_CALLBACK (on_wrote_body_data), upload);
  _matrix_client_request_message_async (self->client, upload->message,
                                        cancellable, on_uploaded,
                                        g_steal_pointer (&task));
}

static void
on_upload_info (GObject      *source,
                GAsyncResult *result,
                gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  GCancellable *cancellable = g_task_get_cancellable (task);
  MatrixMedia *self = g_task_get_source_object (task);
  Upload *upload = g_task_get_task_data (task);
  g_autoptr(GFileInfo) info = NULL;
  GError *error = NULL;

  info = g_file_query_info_finish (G_FILE (source), result, &error);
  if (info == NULL)
    {
      g_task_return_error (task, error);
      return;
    }

  upload->size = g_file_info_get_size (info);
  if (self->upload_limit > 0 && (guint64) upload->size > self->upload_limit)
    {
      g_task_return_new_error (task, MATRIX_ERROR, MATRIX_ERROR_TOO_LARGE,
                               "The file is larger than the server accepts (%" G_GUINT64_FORMAT
                               " bytes)", self->upload_limit);
      return;
    }

  g_file_read_async (upload->file, G_PRIORITY_DEFAULT, cancellable,
                     on_upload_opened, g_steal_pointer (&task));
}

/**
 * matrix_media_upload_async:
 * @self: a #MatrixMedia
 * @file: the file to upload
 * @content_type: its MIME type, e.g. `image/png`
 * @filename: (nullable): the name the server keeps with it
 * @cancellable: (nullable): a #GCancellable
 * @progress_callback: (nullable) (scope call) (closure progress_data): called
 *   as the body is sent, with the bytes so far and the file's size
 * @progress_data: data for @progress_callback
 * @callback: called with the new content URI, or an error
 * @user_data: data for @callback
 *
 * Uploads @file, streamed from the disk, with `POST /_matrix/media/v3/upload`.
 * A file larger than the server's limit (once
 * matrix_media_get_upload_limit_async() learnt it) fails with
 * %MATRIX_ERROR_TOO_LARGE before any request.
 */
void
matrix_media_upload_async (MatrixMedia           *self,
                           GFile                 *file,
                           const char            *content_type,
                           const char            *filename,
                           GCancellable          *cancellable,
                           GFileProgressCallback  progress_callback,
                           gpointer               progress_data,
                           GAsyncReadyCallback    callback,
                           gpointer               user_data)
{
  g_autoptr(GTask) task = NULL;
  Upload *upload;

  g_return_if_fail (MATRIX_IS_MEDIA (self));
  g_return_if_fail (G_IS_FILE (file));
  g_return_if_fail (content_type != NULL);

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, matrix_media_upload_async);
  upload = g_new0 (Upload, 1);
  upload->file = g_object_ref (file);
  upload->content_type = g_strdup (content_type);
  upload->filename = g_strdup (filename);
  upload->progress_callback = progress_callback;
  upload->progress_data = progress_data;
  g_task_set_task_data (task, upload, (GDestroyNotify) upload_free);

  g_file_query_info_async (file, G_FILE_ATTRIBUTE_STANDARD_SIZE, G_FILE_QUERY_INFO_NONE,
                           G_PRIORITY_DEFAULT, cancellable, on_upload_info, g_steal_pointer (&task));
}

/**
 * matrix_media_upload_finish:
 * @self: a #MatrixMedia
 * @result: the #GAsyncResult
 * @error: return location for a #GError
 *
 * Finishes matrix_media_upload_async().
 *
 * Returns: (transfer full) (nullable): the uploaded media's `mxc://` URI
 */
char *
matrix_media_upload_finish (MatrixMedia   *self,
                            GAsyncResult  *result,
                            GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

/* --- The object -------------------------------------------------------- */

/**
 * matrix_media_new:
 * @client: the client whose server and token are used
 * @cache: where downloads are kept
 *
 * Media of @client's homeserver, downloaded into @cache.
 *
 * Returns: (transfer full): a new #MatrixMedia
 */
MatrixMedia *
matrix_media_new (MatrixClient     *client,
                  MatrixMediaCache *cache)
{
  g_return_val_if_fail (MATRIX_IS_CLIENT (client), NULL);
  g_return_val_if_fail (MATRIX_IS_MEDIA_CACHE (cache), NULL);

  return g_object_new (MATRIX_TYPE_MEDIA, "client", client, "cache", cache, NULL);
}

/**
 * matrix_media_get_client:
 * @self: a #MatrixMedia
 *
 * The client whose homeserver and token are used.
 *
 * Returns: (transfer none): the client
 */
MatrixClient *
matrix_media_get_client (MatrixMedia *self)
{
  g_return_val_if_fail (MATRIX_IS_MEDIA (self), NULL);

  return self->client;
}

/**
 * matrix_media_get_cache:
 * @self: a #MatrixMedia
 *
 * Where downloads are kept.
 *
 * Returns: (transfer none): the cache
 */
MatrixMediaCache *
matrix_media_get_cache (MatrixMedia *self)
{
  g_return_val_if_fail (MATRIX_IS_MEDIA (self), NULL);

  return self->cache;
}

static void
matrix_media_dispose (GObject *object)
{
  MatrixMedia *self = MATRIX_MEDIA (object);

  g_clear_weak_pointer (&self->client);
  g_clear_object (&self->cache);

  G_OBJECT_CLASS (matrix_media_parent_class)->dispose (object);
}

static void
matrix_media_finalize (GObject *object)
{
  MatrixMedia *self = MATRIX_MEDIA (object);

  g_ptr_array_unref (self->waiting);

  G_OBJECT_CLASS (matrix_media_parent_class)->finalize (object);
}

static void
matrix_media_get_property (GObject    *object,
                           guint       prop_id,
                           GValue     *value,
                           GParamSpec *pspec)
{
  MatrixMedia *self = MATRIX_MEDIA (object);

  switch (prop_id)
    {
    case PROP_CLIENT:
      g_value_set_object (value, self->client);
      break;
    case PROP_CACHE:
      g_value_set_object (value, self->cache);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
matrix_media_set_property (GObject      *object,
                           guint         prop_id,
                           const GValue *value,
                           GParamSpec   *pspec)
{
  MatrixMedia *self = MATRIX_MEDIA (object);

  switch (prop_id)
    {
    case PROP_CLIENT:
      g_set_weak_pointer (&self->client, g_value_get_object (value));
      break;
    case PROP_CACHE:
      self->cache = g_value_dup_object (value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
matrix_media_class_init (MatrixMediaClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = matrix_media_dispose;
  object_class->finalize = matrix_media_finalize;
  object_class->get_property = matrix_media_get_property;
  object_class->set_property = matrix_media_set_property;

  /**
   * MatrixMedia:client:
   *
   * The client whose homeserver and access token are used; not kept alive
   * by the media.
   */
  properties[PROP_CLIENT] =
    g_param_spec_object ("client", NULL, NULL, MATRIX_TYPE_CLIENT,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);

  /**
   * MatrixMedia:cache:
   *
   * Where downloads are kept.
   */
  properties[PROP_CACHE] =
    g_param_spec_object ("cache", NULL, NULL, MATRIX_TYPE_MEDIA_CACHE,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);

  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
matrix_media_init (MatrixMedia *self)
{
  self->waiting = g_ptr_array_new_with_free_func (g_object_unref);
}
