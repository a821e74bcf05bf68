/* SPDX-License-Identifier: LGPL-2.1-or-later */
#define G_LOG_DOMAIN "matrix-client"

#include <errno.h>
#include <string.h>
#include <glib/gstdio.h>

#include "matrix-client.h"
#include "matrix-client-crypto-private.h"
#include "matrix-client-backup-private.h"
#include "matrix-secret-private.h"
#include "matrix-error.h"
#include "matrix-event-private.h"
#include "matrix-json-private.h"
#include "matrix-verification-private.h"

/* MatrixClient's side of end-to-end encryption: the I/O the crypto machine
 * (MatrixCrypto) does not do.
 *
 * Ordering. A sync's crypto parts (to-device events, device list changes,
 * key counts) go into the machine before the sync's rooms are handled, and
 * the sync token is committed only after the machine has saved them: a kill
 * between the two replays the to-device events (the machine takes a replayed
 * Olm message as a duplicate), never loses a room key. Decryptions asked
 * for later queue behind it on the machine's one thread.
 *
 * Requests. After each sync (and when the machine is attached) the client
 * sends what the machine asks for — keys upload, query and claim,
 * to-device messages, signatures — with the access token, and hands each
 * response back. One round at a time; a round asked for during one runs
 * after it. A failed request stays in the machine and goes again with the
 * next round. */

/* Rounds in a row after one trigger: a keys upload may call for another,
 * a query for a claim; a server that fails every time must not spin. */
#define MAX_ROUNDS 4

struct _MatrixClientCrypto
{
  MatrixCrypto *crypto;
  gboolean      busy;
  gboolean      again;
  guint         rounds;
  GPtrArray    *idle_waiters;   /* GTask*: waiting for the rounds to end */
  /* Where the store's passphrase is, to forget it at logout */
  char         *secret_schema;  /* nullable: in a file */
  char         *user_id;
  char         *homeserver;
};

MatrixClientCrypto *
_matrix_client_crypto_new (MatrixCrypto *crypto)
{
  MatrixClientCrypto *state = g_new0 (MatrixClientCrypto, 1);

  state->crypto = g_object_ref (crypto);
  state->idle_waiters = g_ptr_array_new ();
  return state;
}

void
_matrix_client_crypto_free (MatrixClientCrypto *state)
{
  if (state == NULL)
    return;
  g_clear_object (&state->crypto);
  for (guint i = 0; i < state->idle_waiters->len; i++)
    {
      GTask *task = g_ptr_array_index (state->idle_waiters, i);

      g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_CANCELLED,
                               "The client let go of its crypto machine");
      g_object_unref (task);
    }
  g_ptr_array_unref (state->idle_waiters);
  g_free (state->secret_schema);
  g_free (state->user_id);
  g_free (state->homeserver);
  g_free (state);
}

MatrixCrypto *
_matrix_client_crypto_get_machine (MatrixClientCrypto *state)
{
  return state != NULL ? state->crypto : NULL;
}

/* --- outgoing requests ---------------------------------------------------- */

typedef struct {
  MatrixClient *client;
  MatrixCrypto *crypto;
  guint         pending;
  guint         sent;
  guint         failed;
} Round;

static void round_next (MatrixClient *client);

static void
round_done (Round *round)
{
  MatrixClientCrypto *state = _matrix_client_get_crypto_state (round->client);
  gboolean more;

  if (state != NULL && state->crypto == round->crypto)
    {
      if (round->sent > 0)
        _matrix_client_verification_refresh (round->client);
      state->busy = FALSE;
      /* Sent requests can bring new ones (an upload more keys, a query a
       * claim); a failure waits for the next trigger. */
      more = state->again || (round->sent > 0 && round->failed == 0);
      state->again = FALSE;
      if (more && ++state->rounds < MAX_ROUNDS)
        round_next (round->client);
      else
        {
          g_autoptr(GPtrArray) waiters = state->idle_waiters;

          state->rounds = 0;
          state->idle_waiters = g_ptr_array_new ();
          for (guint i = 0; i < waiters->len; i++)
            {
              GTask *task = g_ptr_array_index (waiters, i);

              g_task_return_boolean (task, TRUE);
              g_object_unref (task);
            }
        }
    }
  g_object_unref (round->client);
  g_object_unref (round->crypto);
  g_free (round);
}

typedef struct {
  Round *round;
  char  *id;
  char  *type;
} Sent;

static void
on_marked (GObject      *source,
           GAsyncResult *result,
           gpointer      user_data)
{
  Sent *sent = user_data;
  Round *round = sent->round;
  g_autoptr(GError) error = NULL;

  if (!_matrix_crypto_mark_request_as_sent_finish (MATRIX_CRYPTO (source), result, &error))
    {
      g_debug ("The crypto machine refused the response to %s %s: %s", sent->type, sent->id,
               error->message);
      round->failed++;
    }
  else
    round->sent++;
  g_free (sent->id);
  g_free (sent->type);
  g_free (sent);
  if (--round->pending == 0)
    round_done (round);
}

static void
on_request_sent (GObject      *source,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  Sent *sent = user_data;
  Round *round = sent->round;
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonObject) response = matrix_client_request_finish (MATRIX_CLIENT (source), result,
                                                                 &error);
  g_autoptr(GString) body = NULL;

  if (response == NULL)
    {
      g_debug ("Crypto request %s failed: %s", sent->type, error->message);
      round->failed++;
      g_free (sent->id);
      g_free (sent->type);
      g_free (sent);
      if (--round->pending == 0)
        round_done (round);
      return;
    }
  body = g_string_new (NULL);
  _matrix_json_append_object (body, response);
  _matrix_crypto_mark_request_as_sent_async (round->crypto, sent->id, sent->type, body->str,
                                             NULL, on_marked, sent);
}

/* The method and path of a request of the machine's, or FALSE when the
 * client does not send that type (in-room verification messages). */
static gboolean
request_route (JsonObject  *request,
               const char  *type,
               const char **method,
               char       **path)
{
  const char *event_type = NULL, *txn_id = NULL;

  *method = "POST";
  if (g_str_equal (type, "keys_upload"))
    *path = g_strdup ("v3/keys/upload");
  else if (g_str_equal (type, "keys_query"))
    *path = g_strdup ("v3/keys/query");
  else if (g_str_equal (type, "keys_claim"))
    *path = g_strdup ("v3/keys/claim");
  else if (g_str_equal (type, "signature_upload"))
    *path = g_strdup ("v3/keys/signatures/upload");
  else if (g_str_equal (type, "to_device") &&
           _matrix_json_get_string (request, NULL, "event_type", TRUE, &event_type, NULL) &&
           _matrix_json_get_string (request, NULL, "txn_id", TRUE, &txn_id, NULL))
    {
      *method = "PUT";
      *path = matrix_client_build_path ("v3", "sendToDevice", event_type, txn_id, NULL);
    }
  else
    return FALSE;
  return TRUE;
}

/* Sends @requests (the machine's JSON) and marks each as sent; calls
 * round_done() when all are answered. Takes @round. */
static void
send_requests (Round     *round,
               JsonArray *requests)
{
  /* One extra count, dropped at the end, so a request answered at once
   * cannot finish the round while others are still being sent. */
  round->pending = 1;
  for (guint i = 0; i < json_array_get_length (requests); i++)
    {
      JsonNode *node = json_array_get_element (requests, i);
      JsonObject *request;
      const char *id, *type, *method;
      g_autofree char *path = NULL;
      JsonNode *body;
      Sent *sent;

      if (!JSON_NODE_HOLDS_OBJECT (node) ||
          !_matrix_json_get_string (request = json_node_get_object (node), NULL, "id", TRUE, &id,
                                    NULL) ||
          !_matrix_json_get_string (request, NULL, "type", TRUE, &type, NULL) ||
          (body = json_object_get_member (request, "body")) == NULL ||
          !JSON_NODE_HOLDS_OBJECT (body) ||
          !request_route (request, type, &method, &path))
        continue;

      sent = g_new0 (Sent, 1);
      sent->round = round;
      sent->id = g_strdup (id);
      sent->type = g_strdup (type);
      round->pending++;
      matrix_client_request_async (round->client, method, path, NULL, body, NULL,
                                   on_request_sent, sent);
    }
  if (--round->pending == 0)
    round_done (round);
}

static void
on_outgoing (GObject      *source,
             GAsyncResult *result,
             gpointer      user_data)
{
  Round *round = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonArray) requests = _matrix_crypto_outgoing_requests_finish (MATRIX_CRYPTO (source),
                                                                           result, &error);

  if (requests == NULL)
    {
      g_debug ("The crypto machine has no requests: %s", error->message);
      round->failed++;
      round_done (round);
      return;
    }
  send_requests (round, requests);
}

static void
round_next (MatrixClient *client)
{
  MatrixClientCrypto *state = _matrix_client_get_crypto_state (client);
  Round *round;

  if (state == NULL)
    return;
  if (state->busy)
    {
      state->again = TRUE;
      return;
    }
  state->busy = TRUE;
  round = g_new0 (Round, 1);
  round->client = g_object_ref (client);
  round->crypto = g_object_ref (state->crypto);
  _matrix_crypto_outgoing_requests_async (state->crypto, NULL, on_outgoing, round);
}

void
_matrix_client_crypto_send_requests (MatrixClient *client)
{
  MatrixClientCrypto *state = _matrix_client_get_crypto_state (client);

  if (state != NULL)
    state->rounds = 0;
  round_next (client);
}

/* --- the sync ------------------------------------------------------------- */

static void
on_sync_changes (GObject      *source,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  GError *error = NULL;
  g_autoptr(JsonObject) received = _matrix_crypto_receive_sync_changes_finish (MATRIX_CRYPTO (source),
                                                                               result, &error);
  JsonArray *keys = NULL;
  g_autoptr(GPtrArray) rooms = g_ptr_array_new_with_free_func (g_free);

  if (received == NULL)
    {
      g_task_return_error (task, error);
      return;
    }

  {
    JsonArray *events = NULL;

    if (_matrix_json_get_array (received, NULL, "to_device_events", FALSE, &events, NULL))
      _matrix_client_verification_handle_events (g_task_get_source_object (task), events);
  }

  if (_matrix_json_get_array (received, NULL, "room_keys", FALSE, &keys, NULL) && keys != NULL)
    for (guint i = 0; i < json_array_get_length (keys); i++)
      {
        JsonNode *node = json_array_get_element (keys, i);
        const char *room_id;

        if (JSON_NODE_HOLDS_OBJECT (node) &&
            _matrix_json_get_string (json_node_get_object (node), NULL, "room_id", TRUE, &room_id,
                                     NULL) &&
            !g_ptr_array_find_with_equal_func (rooms, room_id, g_str_equal, NULL))
          g_ptr_array_add (rooms, g_strdup (room_id));
      }
  g_ptr_array_add (rooms, NULL);
  g_task_return_pointer (task, g_ptr_array_free (g_steal_pointer (&rooms), FALSE),
                         (GDestroyNotify) g_strfreev);
}

void
_matrix_client_crypto_receive_sync_async (MatrixClient        *client,
                                          JsonObject          *changes,
                                          GCancellable        *cancellable,
                                          GAsyncReadyCallback  callback,
                                          gpointer             user_data)
{
  MatrixClientCrypto *state = _matrix_client_get_crypto_state (client);
  GTask *task = g_task_new (client, cancellable, callback, user_data);

  g_task_set_source_tag (task, _matrix_client_crypto_receive_sync_async);
  if (state == NULL || changes == NULL)
    {
      g_task_return_pointer (task, g_new0 (char *, 1), (GDestroyNotify) g_strfreev);
      g_object_unref (task);
      return;
    }
  _matrix_crypto_receive_sync_changes_async (state->crypto, changes, cancellable,
                                             on_sync_changes, task);
}

char **
_matrix_client_crypto_receive_sync_finish (MatrixClient  *client,
                                           GAsyncResult  *result,
                                           GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, client), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}

/* --- decryption ----------------------------------------------------------- */

/* The sender's trust rides on the plaintext event (1 + the enum value, as
 * qdata, so that a plain event reads as NONE). */
static GQuark
sender_trust_quark (void)
{
  return g_quark_from_static_string ("matrix-sender-trust");
}

MatrixSenderTrust
_matrix_decrypted_event_get_sender_trust (MatrixEvent *plain)
{
  guint value = GPOINTER_TO_UINT (g_object_get_qdata (G_OBJECT (plain), sender_trust_quark ()));

  return value == 0 ? MATRIX_SENDER_TRUST_NONE : (MatrixSenderTrust) (value - 1);
}

void
_matrix_decrypted_event_set_sender_trust (MatrixEvent       *plain,
                                          MatrixSenderTrust  trust)
{
  g_object_set_qdata (G_OBJECT (plain), sender_trust_quark (), GUINT_TO_POINTER (1 + trust));
}

static MatrixSenderTrust
sender_trust_from_answer (JsonObject *decrypted)
{
  const char *trust = NULL;

  if (!_matrix_json_get_string (decrypted, NULL, "sender_trust", FALSE, &trust, NULL) ||
      trust == NULL)
    return MATRIX_SENDER_TRUST_UNVERIFIED;
  if (g_str_equal (trust, "verified"))
    return MATRIX_SENDER_TRUST_VERIFIED;
  if (g_str_equal (trust, "unknown"))
    return MATRIX_SENDER_TRUST_UNKNOWN_DEVICE;
  return MATRIX_SENDER_TRUST_UNVERIFIED;
}

static void
on_decrypted (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  const char *room_id = g_task_get_task_data (task);
  GError *error = NULL;
  g_autoptr(JsonObject) decrypted = _matrix_crypto_decrypt_finish (MATRIX_CRYPTO (source), result,
                                                                   &error);
  g_autoptr(GString) text = NULL;
  JsonObject *event;
  MatrixEvent *plain;

  if (decrypted == NULL)
    {
      /* The library's public codes: wait for the key, or give up. */
      /* (A new error: MATRIX_ERROR's carry private data of their own.) */
      g_task_return_new_error (task, MATRIX_ERROR,
                               g_error_matches (error, MATRIX_CRYPTO_ERROR,
                                                MATRIX_CRYPTO_ERROR_MISSING_KEY) ?
                               MATRIX_ERROR_DECRYPTION_KEY_MISSING :
                               MATRIX_ERROR_DECRYPTION_FAILED,
                               "%s", error->message);
      g_error_free (error);
      return;
    }
  event = json_object_get_object_member (decrypted, "event");
  /* The plaintext's room must be the room it came in, or a message from
   * one room could be replayed into another. */
  if (g_strcmp0 (json_object_get_string_member_with_default (event, "room_id", NULL),
                 room_id) != 0)
    {
      g_task_return_new_error (task, MATRIX_ERROR, MATRIX_ERROR_DECRYPTION_FAILED,
                               "The decrypted event belongs to another room");
      return;
    }
  text = g_string_new (NULL);
  _matrix_json_append_object (text, event);
  plain = _matrix_event_new_from_text (text->str, text->len, room_id, &error);
  if (plain == NULL)
    {
      g_task_return_new_error (task, MATRIX_ERROR, MATRIX_ERROR_DECRYPTION_FAILED, "%s",
                               error->message);
      g_error_free (error);
    }
  else
    {
      _matrix_decrypted_event_set_sender_trust (plain, sender_trust_from_answer (decrypted));
      g_task_return_pointer (task, plain, g_object_unref);
    }
}

void
_matrix_client_decrypt_event_async (MatrixClient        *client,
                                    MatrixEvent         *event,
                                    GCancellable        *cancellable,
                                    GAsyncReadyCallback  callback,
                                    gpointer             user_data)
{
  MatrixClientCrypto *state = _matrix_client_get_crypto_state (client);
  GTask *task = g_task_new (client, cancellable, callback, user_data);
  g_autofree char *json = NULL;
  g_autoptr(JsonObject) object = NULL;
  GError *error = NULL;

  g_task_set_source_tag (task, _matrix_client_decrypt_event_async);
  g_task_set_task_data (task, g_strdup (matrix_event_get_room_id (event)), g_free);
  if (state == NULL)
    {
      g_task_return_new_error (task, MATRIX_ERROR, MATRIX_ERROR_ROOM_ENCRYPTED,
                               "This client has no encryption keys");
      g_object_unref (task);
      return;
    }
  if (g_strcmp0 (matrix_event_get_event_type (event), "m.room.encrypted") != 0)
    {
      g_task_return_new_error (task, MATRIX_ERROR, MATRIX_ERROR_DECRYPTION_FAILED,
                               "Not an encrypted event");
      g_object_unref (task);
      return;
    }
  json = matrix_event_dup_json (event);
  object = _matrix_json_parse_object (json, -1, &error);
  if (object == NULL)
    {
      g_task_return_error (task, error);
      g_object_unref (task);
      return;
    }
  _matrix_crypto_decrypt_async (state->crypto, matrix_event_get_room_id (event), object,
                                cancellable, on_decrypted, task);
}

MatrixEvent *
_matrix_client_decrypt_event_finish (MatrixClient  *client,
                                     GAsyncResult  *result,
                                     GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, client), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}

/* --- encrypting a send ---------------------------------------------------- */

/* Encrypting one event: the room's members (joined, and invited unless the
 * history is visible to joined members only) tracked, their devices
 * queried, Olm sessions opened with the devices that have none, the room
 * key shared with all of them to-device, then the content encrypted. Each
 * step waits for the one before; nothing is sent in the clear. */
typedef struct {
  char       *room_id;
  char       *event_type;
  JsonObject *content;
  char       *history_visibility;
  GStrv       members;
  GPtrArray  *invited;   /* char*, until the history visibility is known */
  guint       pending;
  GError     *error;
} Encrypt;

static void
encrypt_free (Encrypt *e)
{
  g_free (e->room_id);
  g_free (e->event_type);
  g_clear_pointer (&e->content, json_object_unref);
  g_free (e->history_visibility);
  g_strfreev (e->members);
  g_clear_pointer (&e->invited, g_ptr_array_unref);
  g_clear_error (&e->error);
  g_free (e);
}

static MatrixCrypto *
task_crypto (GTask *task)
{
  return _matrix_client_get_crypto (g_task_get_source_object (task));
}

/* Fails @task (taken) unless the client still has its machine. */
static gboolean
still_has_crypto (GTask *task)
{
  if (task_crypto (task) != NULL)
    return TRUE;
  g_task_return_new_error (task, MATRIX_ERROR, MATRIX_ERROR_ROOM_ENCRYPTED,
                           "The client let go of its crypto machine: the event was not sent");
  g_object_unref (task);
  return FALSE;
}

static void
on_encrypted (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  GTask *task = user_data;
  GError *error = NULL;
  JsonObject *encrypted = _matrix_crypto_encrypt_finish (MATRIX_CRYPTO (source), result, &error);

  if (encrypted == NULL)
    g_task_return_error (task, error);
  else
    {
      /* The send may have made a room key: back it up. */
      _matrix_client_backup_kick (g_task_get_source_object (task));
      g_task_return_pointer (task, encrypted, (GDestroyNotify) json_object_unref);
    }
  g_object_unref (task);
}

static void
encrypt_content (GTask *task)
{
  Encrypt *e = g_task_get_task_data (task);

  if (!still_has_crypto (task))
    return;
  _matrix_crypto_encrypt_async (task_crypto (task), e->room_id, e->event_type, e->content,
                                g_task_get_cancellable (task), on_encrypted, task);
}

typedef struct {
  GTask *task;
  char  *id;
  char  *type;
} Step;

static void
step_free (Step *step)
{
  g_free (step->id);
  g_free (step->type);
  g_free (step);
}

/* One of a batch of requests (keys claim, to-device) done: when all are,
 * @then runs, unless one failed. */
static void
batch_request_done (Step   *step,
                    GError *error,
                    void  (*then) (GTask *task))
{
  GTask *task = step->task;
  Encrypt *e = g_task_get_task_data (task);

  if (error != NULL && e->error == NULL)
    e->error = g_error_copy (error);
  step_free (step);
  if (--e->pending > 0)
    return;
  if (e->error != NULL)
    {
      g_task_return_error (task, g_steal_pointer (&e->error));
      g_object_unref (task);
      return;
    }
  then (task);
}

static void
on_share_marked (GObject      *source,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  g_autoptr(GError) error = NULL;

  _matrix_crypto_mark_request_as_sent_finish (MATRIX_CRYPTO (source), result, &error);
  batch_request_done (user_data, error, encrypt_content);
}

static void
on_share_sent (GObject      *source,
               GAsyncResult *result,
               gpointer      user_data)
{
  Step *step = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonObject) response = matrix_client_request_finish (MATRIX_CLIENT (source), result,
                                                                 &error);
  g_autoptr(GString) body = NULL;

  if (response == NULL || task_crypto (step->task) == NULL)
    {
      if (error == NULL)
        error = g_error_new (G_IO_ERROR, G_IO_ERROR_CANCELLED, "No crypto machine");
      batch_request_done (step, error, encrypt_content);
      return;
    }
  body = g_string_new (NULL);
  _matrix_json_append_object (body, response);
  _matrix_crypto_mark_request_as_sent_async (task_crypto (step->task), step->id, step->type,
                                             body->str, NULL, on_share_marked, step);
}

/* Sends @requests (the machine's), then runs @then, or fails the task. */
static void
send_batch (GTask                *task,
            JsonArray            *requests,
            GAsyncReadyCallback   on_sent,
            void                (*then) (GTask *task))
{
  Encrypt *e = g_task_get_task_data (task);
  MatrixClient *client = g_task_get_source_object (task);

  e->pending = 1;
  for (guint i = 0; requests != NULL && i < json_array_get_length (requests); i++)
    {
      JsonNode *node = json_array_get_element (requests, i);
      JsonObject *request;
      const char *id, *type, *method;
      g_autofree char *path = NULL;
      JsonNode *body;
      Step *step;

      if (!JSON_NODE_HOLDS_OBJECT (node) ||
          !_matrix_json_get_string (request = json_node_get_object (node), NULL, "id", TRUE, &id,
                                    NULL) ||
          !_matrix_json_get_string (request, NULL, "type", TRUE, &type, NULL) ||
          (body = json_object_get_member (request, "body")) == NULL ||
          !JSON_NODE_HOLDS_OBJECT (body) ||
          !request_route (request, type, &method, &path))
        continue;
      step = g_new0 (Step, 1);
      step->task = task;
      step->id = g_strdup (id);
      step->type = g_strdup (type);
      e->pending++;
      matrix_client_request_async (client, method, path, NULL, body,
                                   g_task_get_cancellable (task), on_sent, step);
    }
  {
    Step *last = g_new0 (Step, 1);

    last->task = task;
    batch_request_done (last, NULL, then);
  }
}

static void
on_room_key_shared (GObject      *source,
                    GAsyncResult *result,
                    gpointer      user_data)
{
  GTask *task = user_data;
  GError *error = NULL;
  g_autoptr(JsonArray) requests = _matrix_crypto_share_room_key_finish (MATRIX_CRYPTO (source),
                                                                        result, &error);

  if (requests == NULL)
    {
      g_task_return_error (task, error);
      g_object_unref (task);
      return;
    }
  send_batch (task, requests, on_share_sent, encrypt_content);
}

static void
share_room_key (GTask *task)
{
  Encrypt *e = g_task_get_task_data (task);

  if (!still_has_crypto (task))
    return;
  _matrix_crypto_share_room_key_async (task_crypto (task), e->room_id,
                                       (const char * const *) e->members,
                                       e->history_visibility, g_task_get_cancellable (task),
                                       on_room_key_shared, task);
}

static void
on_claim_marked (GObject      *source,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  g_autoptr(GError) error = NULL;

  _matrix_crypto_mark_request_as_sent_finish (MATRIX_CRYPTO (source), result, &error);
  batch_request_done (user_data, error, share_room_key);
}

static void
on_claim_sent (GObject      *source,
               GAsyncResult *result,
               gpointer      user_data)
{
  Step *step = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonObject) response = matrix_client_request_finish (MATRIX_CLIENT (source), result,
                                                                 &error);
  g_autoptr(GString) body = NULL;

  if (response == NULL || task_crypto (step->task) == NULL)
    {
      if (error == NULL)
        error = g_error_new (G_IO_ERROR, G_IO_ERROR_CANCELLED, "No crypto machine");
      batch_request_done (step, error, share_room_key);
      return;
    }
  body = g_string_new (NULL);
  _matrix_json_append_object (body, response);
  _matrix_crypto_mark_request_as_sent_async (task_crypto (step->task), step->id, step->type,
                                             body->str, NULL, on_claim_marked, step);
}

static void
on_missing_sessions (GObject      *source,
                     GAsyncResult *result,
                     gpointer      user_data)
{
  GTask *task = user_data;
  GError *error = NULL;
  g_autoptr(JsonObject) claim = _matrix_crypto_get_missing_sessions_finish (MATRIX_CRYPTO (source),
                                                                            result, &error);
  g_autoptr(JsonArray) batch = json_array_new ();

  if (error != NULL)
    {
      g_task_return_error (task, error);
      g_object_unref (task);
      return;
    }
  if (claim != NULL)
    json_array_add_object_element (batch, json_object_ref (claim));
  send_batch (task, batch, on_claim_sent, share_room_key);
}

static void
on_keys_queried (GObject      *source,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  GTask *task = user_data;
  Encrypt *e = g_task_get_task_data (task);

  g_task_propagate_boolean (G_TASK (result), NULL);
  if (!still_has_crypto (task))
    return;
  _matrix_crypto_get_missing_sessions_async (task_crypto (task),
                                             (const char * const *) e->members,
                                             g_task_get_cancellable (task), on_missing_sessions,
                                             task);
}

/* Runs request rounds until the machine has nothing more to send (a keys
 * query for newly tracked users, say). */
static void
flush_requests_async (MatrixClient        *client,
                      GAsyncReadyCallback  callback,
                      gpointer             user_data)
{
  MatrixClientCrypto *state = _matrix_client_get_crypto_state (client);
  GTask *task = g_task_new (client, NULL, callback, user_data);

  g_ptr_array_add (state->idle_waiters, task);
  if (state->busy)
    state->again = TRUE;
  else
    _matrix_client_crypto_send_requests (client);
}

void
_matrix_client_crypto_flush_requests_async (MatrixClient        *client,
                                            GAsyncReadyCallback  callback,
                                            gpointer             user_data)
{
  if (_matrix_client_get_crypto_state (client) == NULL)
    {
      GTask *task = g_task_new (client, NULL, callback, user_data);

      g_task_return_boolean (task, TRUE);
      g_object_unref (task);
      return;
    }
  flush_requests_async (client, callback, user_data);
}

gboolean
_matrix_client_crypto_flush_requests_finish (MatrixClient  *client,
                                             GAsyncResult  *result,
                                             GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, client), FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}

static void
on_tracked (GObject      *source,
            GAsyncResult *result,
            gpointer      user_data)
{
  GTask *task = user_data;
  GError *error = NULL;

  if (!_matrix_crypto_update_tracked_users_finish (MATRIX_CRYPTO (source), result, &error))
    {
      g_task_return_error (task, error);
      g_object_unref (task);
      return;
    }
  if (_matrix_client_get_crypto_state (g_task_get_source_object (task)) == NULL)
    {
      still_has_crypto (task);
      return;
    }
  flush_requests_async (g_task_get_source_object (task), on_keys_queried, task);
}

static void
on_history_visibility (GObject      *source,
                       GAsyncResult *result,
                       gpointer      user_data)
{
  GTask *task = user_data;
  Encrypt *e = g_task_get_task_data (task);
  g_autoptr(JsonObject) content = matrix_client_request_finish (MATRIX_CLIENT (source), result,
                                                                NULL);
  const char *visibility = NULL;

  /* Unset (or unreadable): the spec's default, "shared". */
  if (content != NULL &&
      _matrix_json_get_string (content, NULL, "history_visibility", TRUE, &visibility, NULL))
    e->history_visibility = g_strdup (visibility);
  /* Invited users get the key unless the history is for joined members
   * only (then they get the next one, once joined). */
  if (g_strcmp0 (e->history_visibility, "joined") != 0 && e->invited->len > 0)
    {
      GPtrArray *all = g_ptr_array_new_with_free_func (g_free);

      for (guint i = 0; e->members[i] != NULL; i++)
        g_ptr_array_add (all, g_strdup (e->members[i]));
      for (guint i = 0; i < e->invited->len; i++)
        g_ptr_array_add (all, g_strdup (g_ptr_array_index (e->invited, i)));
      g_ptr_array_add (all, NULL);
      g_strfreev (e->members);
      e->members = (GStrv) g_ptr_array_free (all, FALSE);
    }
  if (!still_has_crypto (task))
    return;
  _matrix_crypto_update_tracked_users_async (task_crypto (task),
                                             (const char * const *) e->members,
                                             g_task_get_cancellable (task), on_tracked, task);
}

static void
on_members (GObject      *source,
            GAsyncResult *result,
            gpointer      user_data)
{
  GTask *task = user_data;
  Encrypt *e = g_task_get_task_data (task);
  GError *error = NULL;
  g_autoptr(JsonObject) response = matrix_client_request_finish (MATRIX_CLIENT (source), result,
                                                                 &error);
  g_autoptr(GPtrArray) members = NULL;
  g_autofree char *path = NULL;
  JsonArray *chunk = NULL;

  if (response == NULL ||
      !_matrix_json_get_array (response, "members", "chunk", TRUE, &chunk, &error))
    {
      g_task_return_error (task, error);
      g_object_unref (task);
      return;
    }
  members = g_ptr_array_new_with_free_func (g_free);
  e->invited = g_ptr_array_new_with_free_func (g_free);
  for (guint i = 0; i < json_array_get_length (chunk); i++)
    {
      JsonNode *node = json_array_get_element (chunk, i);
      JsonObject *event, *content;
      const char *type, *user, *membership;

      if (!JSON_NODE_HOLDS_OBJECT (node) ||
          !_matrix_json_get_string (event = json_node_get_object (node), NULL, "type", TRUE,
                                    &type, NULL) ||
          !g_str_equal (type, "m.room.member") ||
          !_matrix_json_get_string (event, NULL, "state_key", TRUE, &user, NULL) ||
          user[0] != '@' ||
          !_matrix_json_get_object (event, NULL, "content", TRUE, &content, NULL) ||
          !_matrix_json_get_string (content, NULL, "membership", TRUE, &membership, NULL))
        continue;
      if (g_str_equal (membership, "join"))
        g_ptr_array_add (members, g_strdup (user));
      else if (g_str_equal (membership, "invite"))
        g_ptr_array_add (e->invited, g_strdup (user));
    }
  g_ptr_array_add (members, NULL);
  e->members = (GStrv) g_ptr_array_free (g_steal_pointer (&members), FALSE);

  path = matrix_client_build_path ("v3", "rooms", e->room_id, "state",
                                   "m.room.history_visibility", "", NULL);
  matrix_client_request_async (MATRIX_CLIENT (source), "GET", path, NULL, NULL,
                               g_task_get_cancellable (task), on_history_visibility, task);
}

void
_matrix_client_crypto_encrypt_async (MatrixClient        *client,
                                     const char          *room_id,
                                     const char          *event_type,
                                     JsonObject          *content,
                                     GCancellable        *cancellable,
                                     GAsyncReadyCallback  callback,
                                     gpointer             user_data)
{
  GTask *task = g_task_new (client, cancellable, callback, user_data);
  Encrypt *e = g_new0 (Encrypt, 1);
  g_autofree char *path = NULL;
  const char *query[] = { "not_membership", "leave", NULL };

  g_task_set_source_tag (task, _matrix_client_crypto_encrypt_async);
  e->room_id = g_strdup (room_id);
  e->event_type = g_strdup (event_type);
  e->content = json_object_ref (content);
  g_task_set_task_data (task, e, (GDestroyNotify) encrypt_free);
  if (!still_has_crypto (task))
    return;
  path = matrix_client_build_path ("v3", "rooms", room_id, "members", NULL);
  matrix_client_request_async (client, "GET", path, query, NULL, cancellable, on_members, task);
}

JsonObject *
_matrix_client_crypto_encrypt_finish (MatrixClient  *client,
                                      GAsyncResult  *result,
                                      GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, client), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}

/* --- enabling encryption -------------------------------------------------- *
 *
 * The crypto store is encrypted with a random passphrase, kept where the
 * access token is: in the keyring (the application's schema name with
 * ".CryptoStore" appended, filed by user id and homeserver), or, without a
 * keyring, in a file readable by the user only inside the store's
 * directory. */

typedef struct {
  char *store_path;
  char *schema;        /* nullable */
  char *user_id;
  char *device_id;
  char *homeserver;
  char *passphrase;
  char *file;
} Enable;

static void
enable_free (Enable *e)
{
  g_free (e->store_path);
  g_free (e->schema);
  g_free (e->user_id);
  g_free (e->device_id);
  g_free (e->homeserver);
  if (e->passphrase != NULL)
    memset (e->passphrase, 0, strlen (e->passphrase));
  g_free (e->passphrase);
  g_free (e->file);
  g_free (e);
}

static void
on_machine_open (GObject      *source,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  MatrixClient *client = g_task_get_source_object (task);
  GError *error = NULL;
  g_autoptr(MatrixCrypto) crypto = _matrix_crypto_open_finish (result, &error);

  if (crypto == NULL)
    {
      g_task_return_error (task, error);
      return;
    }
  _matrix_client_set_crypto (client, crypto);
  {
    MatrixClientCrypto *state = _matrix_client_get_crypto_state (client);
    Enable *e = g_task_get_task_data (task);

    state->secret_schema = g_strdup (e->schema);
    state->user_id = g_strdup (e->user_id);
    state->homeserver = g_strdup (e->homeserver);
  }
  g_task_return_boolean (task, TRUE);
}

static void
open_machine (GTask *task)
{
  Enable *e = g_task_get_task_data (task);

  _matrix_crypto_open_async (e->user_id, e->device_id, e->store_path, e->passphrase,
                             g_task_get_cancellable (task), on_machine_open, task);
}

/* In a worker thread: the passphrase file, made when there is none. */
static void
passphrase_file_thread (GTask        *task,
                        gpointer      source_object,
                        gpointer      task_data,
                        GCancellable *cancellable)
{
  Enable *e = task_data;
  GError *error = NULL;
  char *passphrase;

  if (g_mkdir_with_parents (e->store_path, 0700) != 0)
    {
      g_task_return_new_error (task, G_IO_ERROR, g_io_error_from_errno (errno),
                               "Could not make %s: %s", e->store_path, g_strerror (errno));
      return;
    }
  passphrase = _matrix_secret_file_read (e->file, &error);
  if (passphrase == NULL && error == NULL)
    {
      passphrase = _matrix_crypto_new_passphrase ();
      if (passphrase != NULL && !_matrix_secret_file_write (e->file, passphrase, &error))
        g_clear_pointer (&passphrase, g_free);
    }
  if (passphrase == NULL)
    {
      g_task_return_error (task, error != NULL ? error :
                           g_error_new (G_IO_ERROR, G_IO_ERROR_FAILED, "No random bytes"));
      return;
    }
  g_task_return_pointer (task, passphrase, g_free);
}

static void
on_passphrase_file (GObject      *source,
                    GAsyncResult *result,
                    gpointer      user_data)
{
  GTask *task = user_data;
  Enable *e = g_task_get_task_data (task);
  GError *error = NULL;

  /* A passphrase made for a keyring that then refused it is let go of:
   * the file's own is the one the store will use. */
  if (e->passphrase != NULL)
    {
      memset (e->passphrase, 0, strlen (e->passphrase));
      g_clear_pointer (&e->passphrase, g_free);
    }
  e->passphrase = g_task_propagate_pointer (G_TASK (result), &error);
  if (e->passphrase == NULL)
    {
      g_task_return_error (task, error);
      g_object_unref (task);
      return;
    }
  open_machine (task);
}

static void
use_passphrase_file (GTask *task)
{
  GTask *file_task = g_task_new (NULL, g_task_get_cancellable (task), on_passphrase_file, task);

  g_task_set_task_data (file_task, g_task_get_task_data (task), NULL);
  g_task_run_in_thread (file_task, passphrase_file_thread);
  g_object_unref (file_task);
}

static void
on_passphrase_stored (GObject      *source,
                      GAsyncResult *result,
                      gpointer      user_data)
{
  GTask *task = user_data;
  g_autoptr(GError) error = NULL;

  if (!_matrix_secret_store_finish (result, &error))
    {
      /* No keyring after all: the file keeps it. */
      g_debug ("The crypto store passphrase goes in a file: %s", error->message);
      use_passphrase_file (task);
      return;
    }
  open_machine (task);
}

static void
on_passphrase_looked_up (GObject      *source,
                         GAsyncResult *result,
                         gpointer      user_data)
{
  GTask *task = user_data;
  Enable *e = g_task_get_task_data (task);
  g_autoptr(GError) error = NULL;

  e->passphrase = _matrix_secret_lookup_finish (result, &error);
  if (e->passphrase != NULL)
    {
      open_machine (task);
      return;
    }
  /* No keyring, or one that had no passphrase while a file does (kept
   * when there was no keyring): the file. */
  if (error != NULL || g_file_test (e->file, G_FILE_TEST_EXISTS))
    {
      use_passphrase_file (task);
      return;
    }
  e->passphrase = _matrix_crypto_new_passphrase ();
  if (e->passphrase == NULL)
    {
      g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_FAILED, "No random bytes");
      g_object_unref (task);
      return;
    }
  _matrix_secret_store_async (e->schema, e->user_id, e->homeserver, e->passphrase,
                              g_task_get_cancellable (task), on_passphrase_stored, task);
}

/**
 * matrix_client_enable_encryption_async:
 * @self: a logged-in #MatrixClient
 * @store_path: the directory of the crypto store (made if missing): the
 *   device's keys and sessions, in an encrypted SQLite database
 * @secret_schema: (nullable): the libsecret schema name under which the
 *   client's access token is kept, or %NULL to keep the store's passphrase
 *   in a file (readable by the user only) in @store_path
 * @cancellable: (nullable): a #GCancellable
 * @callback: called when the machine is open
 * @user_data: data for @callback
 *
 * Gives the client end-to-end encryption keys for its device. From then on
 * each sync's to-device messages and device list changes go to the crypto
 * machine before the sync's rooms (and the sync token is committed after
 * them); the client uploads the device's keys, decrypts `m.room.encrypted`
 * events in its timelines (#MatrixTimelineItem shows the plaintext, see
 * matrix_timeline_item_get_decryption_error()), and encrypts what it sends
 * into encrypted rooms instead of refusing with
 * %MATRIX_ERROR_ROOM_ENCRYPTED.
 *
 * The store is encrypted with a random passphrase kept in the keyring beside
 * the access token (@secret_schema with `.CryptoStore` appended), or in a
 * file when there is no keyring. Opening the store of another device fails.
 * A logout (not a soft one) removes the passphrase; removing @store_path is
 * the caller's.
 */
void
matrix_client_enable_encryption_async (MatrixClient        *self,
                                       const char          *store_path,
                                       const char          *secret_schema,
                                       GCancellable        *cancellable,
                                       GAsyncReadyCallback  callback,
                                       gpointer             user_data)
{
  GTask *task;
  Enable *e;

  g_return_if_fail (MATRIX_IS_CLIENT (self));
  g_return_if_fail (store_path != NULL);

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, matrix_client_enable_encryption_async);
  if (matrix_client_get_user_id (self) == NULL || matrix_client_get_device_id (self) == NULL)
    {
      g_task_return_new_error (task, MATRIX_ERROR, MATRIX_ERROR_NOT_LOGGED_IN,
                               "Encryption needs a logged-in device");
      g_object_unref (task);
      return;
    }
  e = g_new0 (Enable, 1);
  e->store_path = g_strdup (store_path);
  e->schema = secret_schema != NULL ? g_strconcat (secret_schema, ".CryptoStore", NULL) : NULL;
  e->user_id = g_strdup (matrix_client_get_user_id (self));
  e->device_id = g_strdup (matrix_client_get_device_id (self));
  e->homeserver = g_strdup (matrix_client_get_homeserver (self));
  e->file = g_build_filename (store_path, "passphrase", NULL);
  g_task_set_task_data (task, e, (GDestroyNotify) enable_free);
  if (e->schema == NULL)
    use_passphrase_file (task);
  else
    _matrix_secret_lookup_async (e->schema, e->user_id, e->homeserver, cancellable,
                                 on_passphrase_looked_up, task);
}

/**
 * matrix_client_enable_encryption_finish:
 * @self: a #MatrixClient
 * @result: the #GAsyncResult
 * @error: return location for a #GError
 *
 * Finishes matrix_client_enable_encryption_async().
 *
 * Returns: %TRUE when the client has its encryption keys
 */
gboolean
matrix_client_enable_encryption_finish (MatrixClient  *self,
                                        GAsyncResult  *result,
                                        GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}

/**
 * matrix_client_get_encryption_enabled:
 * @self: a #MatrixClient
 *
 * Whether the client has end-to-end encryption keys
 * (matrix_client_enable_encryption_async()): it then reads and writes
 * encrypted rooms.
 *
 * Returns: %TRUE when the client can encrypt and decrypt
 */
gboolean
matrix_client_get_encryption_enabled (MatrixClient *self)
{
  g_return_val_if_fail (MATRIX_IS_CLIENT (self), FALSE);

  return _matrix_client_get_crypto (self) != NULL;
}

/* A logout (not a soft one): the device is gone, and with it the use of
 * its keys. The machine is let go of and the passphrase forgotten. */
static void
on_passphrase_forgotten (GObject      *source,
                         GAsyncResult *result,
                         gpointer      user_data)
{
  g_autoptr(GError) error = NULL;

  if (!_matrix_secret_store_finish (result, &error))
    g_debug ("Could not remove the crypto store passphrase: %s", error->message);
}

void
_matrix_client_crypto_forget (MatrixClient *self)
{
  MatrixClientCrypto *state = _matrix_client_get_crypto_state (self);

  if (state == NULL)
    return;
  if (state->secret_schema != NULL)
    _matrix_secret_store_async (state->secret_schema, state->user_id, state->homeserver, NULL,
                                NULL, on_passphrase_forgotten, NULL);
  _matrix_client_set_crypto (self, NULL);
}
