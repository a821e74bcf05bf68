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


static void sync_request (MatrixClient *self);

/* --- the sync loop ------------------------------------------------------- */

GSource *
_matrix_client_default_timeout_source (guint    delay_ms,
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
  g_object_notify_by_pspec (G_OBJECT (self), _matrix_client_properties[PROP_SYNC_FAILURE]);
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
        _matrix_client_forget_session (self);
      g_signal_emit (self, _matrix_client_signals[SESSION_ENDED], 0, soft_logout);
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

  g_signal_emit (self, _matrix_client_signals[SYNC_FAILED], 0, delay_s);

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

  g_signal_emit (self, _matrix_client_signals[SYNCED], 0, next_batch);

  if (sync_is_current (self, cancellable))
    sync_request (self);
}

/* Emits the signals of one response. FALSE if a handler stopped the loop. */
gboolean
_matrix_client_emit_sync_signals (MatrixClient       *self,
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
      g_signal_emit (self, _matrix_client_signals[SYNC_RESUMED], 0);
      if (!sync_is_current (self, cancellable))
        return FALSE;
    }

  for (guint i = 0; i < response->rooms->len; i++)
    _matrix_client_note_sync_room (self, g_ptr_array_index (response->rooms, i));

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
          g_signal_emit (self, _matrix_client_signals[ROOM_TIMELINE_UPDATES], 0, room->room_id, room->gap_events,
                         room->gap_limited, room->gap_prev_batch);
          if (!sync_is_current (self, cancellable))
            return FALSE;
        }

      if (room->state != NULL)
        {
          g_signal_emit (self, _matrix_client_signals[ROOM_STATE_UPDATES], 0, room->room_id, room->state);
          if (!sync_is_current (self, cancellable))
            return FALSE;
        }

      if (room->timeline != NULL)
        {
          g_signal_emit (self, _matrix_client_signals[ROOM_TIMELINE_UPDATES], 0, room->room_id, room->timeline,
                         room->limited, room->prev_batch);
          if (!sync_is_current (self, cancellable))
            return FALSE;
        }

      if (room->summary != NULL || room->unread_notifications != NULL)
        {
          g_signal_emit (self, _matrix_client_signals[ROOM_SUMMARY_UPDATES], 0, room->room_id, room->summary,
                         room->unread_notifications);
          if (!sync_is_current (self, cancellable))
            return FALSE;
        }

      if (room->ephemeral != NULL)
        {
          g_signal_emit (self, _matrix_client_signals[ROOM_EPHEMERAL_UPDATES], 0, room->room_id, room->ephemeral);
          if (!sync_is_current (self, cancellable))
            return FALSE;
        }

      if (room->account_data != NULL)
        {
          g_signal_emit (self, _matrix_client_signals[ROOM_ACCOUNT_DATA_UPDATES], 0, room->room_id, room->account_data);
          if (!sync_is_current (self, cancellable))
            return FALSE;
        }

      if (room->kind == MATRIX_SYNC_ROOM_LEAVE)
        {
          g_signal_emit (self, _matrix_client_signals[LEFT_ROOM], 0, room->room_id);
          if (!sync_is_current (self, cancellable))
            return FALSE;
        }

      if (room->kind == MATRIX_SYNC_ROOM_INVITE)
        {
          g_signal_emit (self, _matrix_client_signals[ROOM_INVITE], 0, room->room_id, room->invite_state);
          if (!sync_is_current (self, cancellable))
            return FALSE;
        }
    }

  if (response->account_data != NULL)
    {
      g_signal_emit (self, _matrix_client_signals[ACCOUNT_DATA_UPDATES], 0, response->account_data);
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

  if (!_matrix_client_emit_sync_signals (self, response, cancellable))
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

  response = _matrix_client_send_message_finish (self, result, &error);

  if (self->sync_cancellable == cancellable)
    {
      clear_source (&self->watchdog_source);
      self->request_in_flight = FALSE;
    }

  if (self->watchdog_fired && self->sync_cancellable == cancellable)
    {
      /* Our own watchdog cancelled the request: a server gone silent. */
      g_clear_error (&error);
      g_clear_pointer (&response, _matrix_client_response_free);
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
    error = _matrix_client_response_error (response);
  else if (!_matrix_client_is_json (response))
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
  return _matrix_client_new_api_message (self, "POST",
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

  message = _matrix_client_new_api_message (self, "GET", "v3/sync", query, NULL, TRUE, &error);
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
  _matrix_client_send_message_async (self, message, self->sync_cancellable, on_sync_sent,
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
  g_object_notify_by_pspec (G_OBJECT (self), _matrix_client_properties[PROP_SYNC_MODE]);
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
