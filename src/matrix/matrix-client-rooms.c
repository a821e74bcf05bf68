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
  _matrix_client_request_async (self, "POST", path, NULL, body, TRUE, cancellable, on_room_id_request_done, task);
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
  _matrix_client_request_async (self, "POST", path, NULL, body, TRUE, cancellable, on_accepted, task);
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
  _matrix_client_request_async (self, "POST", path, NULL, body, TRUE, cancellable, on_accepted, task);
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
  _matrix_client_request_async (self, "PUT", path, NULL, body, TRUE, cancellable, on_accepted, task);
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
  _matrix_client_request_async (self, "POST", path, NULL, body, TRUE, cancellable, on_accepted, task);
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

  response = _matrix_client_send_message_finish (MATRIX_CLIENT (source), result, &error);
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
  message = _matrix_client_new_api_message (self, "GET", path, query, NULL, TRUE, &error);
  if (message == NULL)
    {
      g_task_return_error (task, error);
      return;
    }

  _matrix_client_send_message_limited_async (self, message, MAX_THUMBNAIL_SIZE, cancellable, on_thumbnail_done,
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
