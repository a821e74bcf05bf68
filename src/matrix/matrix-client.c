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

GParamSpec *_matrix_client_properties[N_PROPS];
guint _matrix_client_signals[N_SIGNALS];

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
  g_object_notify_by_pspec (G_OBJECT (self), _matrix_client_properties[PROP_USER_ID]);
  g_object_notify_by_pspec (G_OBJECT (self), _matrix_client_properties[PROP_DEVICE_ID]);

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
  _matrix_client_request_async (self, "POST", "v3/login", NULL, body, FALSE, cancellable, on_login_done, task);
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

void
_matrix_client_forget_session (MatrixClient *self)
{
  _matrix_client_crypto_forget (self);
  matrix_store_set_value (self->store, MATRIX_STORE_KEY_ACCESS_TOKEN, NULL);
  matrix_store_set_value (self->store, MATRIX_STORE_KEY_DEVICE_ID, NULL);
  g_object_notify_by_pspec (G_OBJECT (self), _matrix_client_properties[PROP_DEVICE_ID]);
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
    _matrix_client_forget_session (self);

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
  _matrix_client_request_async (self, "POST", "v3/logout", NULL, NULL, TRUE, cancellable, on_logout_done, task);
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
  _matrix_client_request_async (self, "PUT", path, NULL, body, TRUE, cancellable, on_send_event_done, task);
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
  _matrix_client_request_async (self, "PUT", path, NULL, body, TRUE, cancellable, on_send_event_done, task);
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
  g_object_notify_by_pspec (G_OBJECT (self), _matrix_client_properties[PROP_SYNC_FILTER]);
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
  g_object_notify_by_pspec (G_OBJECT (self), _matrix_client_properties[PROP_FILL_GAPS]);
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
  _matrix_client_emit_sync_signals (self, response, cancellable);
  self->syncing = FALSE;
  self->sync_cancellable = saved;

  return TRUE;
}

void
_matrix_client_set_timeout_source_func (MatrixClient            *self,
                                        MatrixTimeoutSourceFunc  func,
                                        gpointer                 user_data)
{
  self->timeout_func = func != NULL ? func : _matrix_client_default_timeout_source;
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
  self->watchdog_func = func != NULL ? func : _matrix_client_default_timeout_source;
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
  _matrix_client_properties[PROP_SYNC_MODE] =
    g_param_spec_enum ("sync-mode", NULL, NULL, MATRIX_TYPE_SYNC_MODE, MATRIX_SYNC_MODE_AUTO,
                       G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  /**
   * MatrixClient:homeserver:
   *
   * The base URL of the homeserver, such as `https://matrix.example.org`,
   * without a trailing slash.
   */
  _matrix_client_properties[PROP_HOMESERVER] =
    g_param_spec_string ("homeserver", NULL, NULL, NULL,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  /**
   * MatrixClient:store:
   *
   * Where the session and everything synced are kept. Required.
   */
  _matrix_client_properties[PROP_STORE] =
    g_param_spec_object ("store", NULL, NULL, MATRIX_TYPE_STORE,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  /**
   * MatrixClient:user-id:
   *
   * The user logged in, as the store holds it, or %NULL.
   */
  _matrix_client_properties[PROP_USER_ID] =
    g_param_spec_string ("user-id", NULL, NULL, NULL,
                         G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  /**
   * MatrixClient:device-id:
   *
   * The device of the session, as the store holds it, or %NULL.
   */
  _matrix_client_properties[PROP_DEVICE_ID] =
    g_param_spec_string ("device-id", NULL, NULL, NULL,
                         G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  /**
   * MatrixClient:sync-filter:
   *
   * The `filter` parameter of every `/sync` request (a filter id or a JSON
   * filter), or %NULL for none.
   */
  _matrix_client_properties[PROP_SYNC_FILTER] =
    g_param_spec_string ("sync-filter", NULL, NULL, NULL,
                         G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  /**
   * MatrixClient:sync-failure:
   *
   * See matrix_client_get_sync_failure().
   */
  _matrix_client_properties[PROP_SYNC_FAILURE] =
    g_param_spec_enum ("sync-failure", NULL, NULL, MATRIX_TYPE_SYNC_FAILURE,
                       MATRIX_SYNC_FAILURE_NONE,
                       G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  /**
   * MatrixClient:user-agent:
   *
   * The `User-Agent` of every request, such as `MyApp/1.0`. %NULL (the
   * default) sends `matrix-glib/` and the library's version.
   */
  _matrix_client_properties[PROP_USER_AGENT] =
    g_param_spec_string ("user-agent", NULL, NULL, NULL,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT | G_PARAM_STATIC_STRINGS);
  /**
   * MatrixClient:device-display-name:
   *
   * The name a new device gets when matrix_client_login_async() creates it
   * (`initial_device_display_name`), shown in the user's list of sessions.
   * %NULL (the default) uses g_get_application_name().
   */
  _matrix_client_properties[PROP_DEVICE_DISPLAY_NAME] =
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
  _matrix_client_properties[PROP_FILL_GAPS] =
    g_param_spec_boolean ("fill-gaps", NULL, NULL, TRUE,
                          G_PARAM_READWRITE | G_PARAM_CONSTRUCT | G_PARAM_EXPLICIT_NOTIFY |
                          G_PARAM_STATIC_STRINGS);

  g_object_class_install_properties (object_class, N_PROPS, _matrix_client_properties);

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
  _matrix_client_signals[SYNC_FAILED] =
    g_signal_new ("sync-failed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_UINT);
  /**
   * MatrixClient::sync-resumed:
   * @self: the client
   *
   * The first successful sync after one or more failures; the failure kind
   * is back to %MATRIX_SYNC_FAILURE_NONE.
   */
  _matrix_client_signals[SYNC_RESUMED] =
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
  _matrix_client_signals[ROOM_STATE_UPDATES] =
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
  _matrix_client_signals[ROOM_TIMELINE_UPDATES] =
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
  _matrix_client_signals[ROOM_SUMMARY_UPDATES] =
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
  _matrix_client_signals[ROOM_EPHEMERAL_UPDATES] =
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
  _matrix_client_signals[ROOM_ACCOUNT_DATA_UPDATES] =
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
  _matrix_client_signals[ACCOUNT_DATA_UPDATES] =
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
  _matrix_client_signals[LEFT_ROOM] =
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
  _matrix_client_signals[ROOM_INVITE] =
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
  _matrix_client_signals[SYNCED] =
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
  _matrix_client_signals[SESSION_ENDED] =
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
  self->timeout_func = _matrix_client_default_timeout_source;
  self->encrypted_rooms = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  self->plain_rooms = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  self->plain_ttl_ms = DEFAULT_PLAIN_TTL_MS;
  self->watchdog_func = _matrix_client_default_timeout_source;
  self->range_end = MATRIX_SLIDING_SYNC_FIRST_WINDOW - 1;
  self->sync_mode = MATRIX_SYNC_MODE_AUTO;
  self->txn_prefix = g_strdup_printf ("m%" G_GINT64_FORMAT ".%.8s", g_get_real_time (), random);

  /* The I/O timeout only catches a dead connection; the long-poll itself is
   * bounded by the sync watchdog. */
  /* The sync long-poll holds a connection all the time: with libsoup's
   * two per host, one slow request (a key upload to a server that froze)
   * would queue the next /sync behind it, where no sync deadline sees it. */
  self->session = soup_session_new_with_options ("timeout", 60,
                                                 "user-agent", DEFAULT_USER_AGENT,
                                                 "max-conns-per-host", 8,
                                                 "max-conns", 16,
                                                 NULL);
}
