/* SPDX-License-Identifier: LGPL-2.1-or-later */
#define G_LOG_DOMAIN "matrix-crypto"

#include <errno.h>
#include <sys/random.h>

#include "matrix-crypto-private.h"
#include "matrix-json-private.h"
#include "matrix-crypto-capi.h"

/* One worker thread per machine. Calls are jobs in a queue, run in the
 * order they were made: the machine is a single-threaded async Rust object
 * (the crate blocks on its own runtime), and the order matters (a sync's
 * room keys before the decryptions that need them).
 *
 * The thread owns the handle and the queue (the Worker); the object only
 * pushes jobs. Disposing of the object pushes a job that closes the machine
 * and ends the thread, and waits for it — unless the last reference went
 * on the worker itself (a GTask finalized there), which cannot wait for
 * itself: then the thread ends on its own after that job. */

typedef enum {
  JOB_OPEN,
  JOB_QUIT,
  JOB_SYNC,
  JOB_OUTGOING,
  JOB_MARK_SENT,
  JOB_DECRYPT,
  JOB_TRACK,
  JOB_MISSING_SESSIONS,
  JOB_SHARE_ROOM_KEY,
  JOB_ENCRYPT,
  JOB_CALL,
  JOB_VERIFICATION,
} JobKind;

typedef struct {
  JobKind  kind;
  GTask   *task;     /* NULL for JOB_QUIT */
  char    *args[4];
  MatrixCryptoCall call;   /* JOB_CALL */
} Job;

typedef struct {
  GAsyncQueue *queue;     /* Job* */
  MxcMachine  *machine;   /* worker thread only */
} Worker;

struct _MatrixCrypto
{
  GObject  parent_instance;

  Worker      *worker;   /* until the thread takes it */
  GAsyncQueue *queue;
  GThread     *thread;
  char    *user_id;
  char    *device_id;
  char    *ed25519;
  char    *curve25519;
};

G_DEFINE_FINAL_TYPE (MatrixCrypto, _matrix_crypto, G_TYPE_OBJECT)

G_DEFINE_QUARK (matrix-crypto-error-quark, _matrix_crypto_error)

static void
job_free (Job *job)
{
  for (guint i = 0; i < G_N_ELEMENTS (job->args); i++)
    g_free (job->args[i]);
  g_clear_object (&job->task);
  g_free (job);
}

static GError *
status_error (MxcStatus  status,
              char      *message)
{
  static const MatrixCryptoError codes[] = {
    [MXC_INVALID_ARGUMENT] = MATRIX_CRYPTO_ERROR_INVALID,
    [MXC_STORE_ERROR] = MATRIX_CRYPTO_ERROR_STORE,
    [MXC_MISSING_KEY] = MATRIX_CRYPTO_ERROR_MISSING_KEY,
    [MXC_UNDECRYPTABLE] = MATRIX_CRYPTO_ERROR_UNDECRYPTABLE,
    [MXC_MACHINE_ERROR] = MATRIX_CRYPTO_ERROR_MACHINE,
    [MXC_PANIC] = MATRIX_CRYPTO_ERROR_FAILED,
  };
  MatrixCryptoError code = MATRIX_CRYPTO_ERROR_FAILED;
  GError *error;

  if ((guint) status < G_N_ELEMENTS (codes))
    code = codes[status];
  error = g_error_new (MATRIX_CRYPTO_ERROR, code, "%s",
                       message != NULL ? message : "the crypto machine failed");
  mxc_string_free (message);
  return error;
}

/* Hands @out (JSON from the crate, freed here) to @task as a JsonNode. */
static void
return_json (GTask *task,
             char  *out)
{
  GError *error = NULL;
  JsonNode *node;

  if (out == NULL)
    {
      g_task_return_new_error (task, MATRIX_CRYPTO_ERROR, MATRIX_CRYPTO_ERROR_FAILED,
                               "the crypto machine returned nothing");
      return;
    }
  node = _matrix_json_parse (out, -1, &error);
  mxc_string_free (out);
  if (node == NULL)
    g_task_return_error (task, error);
  else
    g_task_return_pointer (task, node, (GDestroyNotify) json_node_unref);
}

static gboolean
run_job (Worker *worker,
         Job    *job)
{
  MxcMachine *m = worker->machine;
  MxcStatus status = MXC_OK;
  char *out = NULL, *message = NULL;
  gboolean json_result = TRUE;

  if (job->kind == JOB_QUIT)
    return FALSE;
  if (g_task_return_error_if_cancelled (job->task))
    return TRUE;
  if (job->kind != JOB_OPEN && m == NULL)
    {
      g_task_return_new_error (job->task, MATRIX_CRYPTO_ERROR, MATRIX_CRYPTO_ERROR_STORE,
                               "the crypto machine is not open");
      return TRUE;
    }

  switch (job->kind)
    {
    case JOB_OPEN:
      status = mxc_machine_open (job->args[0], job->args[1], job->args[2], job->args[3],
                                 &worker->machine, &message);
      if (status == MXC_OK)
        status = mxc_machine_identity_keys (worker->machine, &out, &message);
      break;
    case JOB_SYNC:
      status = mxc_machine_receive_sync_changes (m, job->args[0], &out, &message);
      break;
    case JOB_OUTGOING:
      status = mxc_machine_outgoing_requests (m, &out, &message);
      break;
    case JOB_MARK_SENT:
      status = mxc_machine_mark_request_as_sent (m, job->args[0], job->args[1], job->args[2],
                                                 &message);
      json_result = FALSE;
      break;
    case JOB_DECRYPT:
      status = mxc_machine_decrypt_room_event (m, job->args[0], job->args[1], &out, &message);
      break;
    case JOB_TRACK:
      status = mxc_machine_update_tracked_users (m, job->args[0], &message);
      json_result = FALSE;
      break;
    case JOB_MISSING_SESSIONS:
      status = mxc_machine_get_missing_sessions (m, job->args[0], &out, &message);
      break;
    case JOB_SHARE_ROOM_KEY:
      status = mxc_machine_share_room_key (m, job->args[0], job->args[1], job->args[2],
                                           &out, &message);
      break;
    case JOB_ENCRYPT:
      status = mxc_machine_encrypt (m, job->args[0], job->args[1], job->args[2], &out, &message);
      break;
    case JOB_CALL:
      status = job->call (m, (const char * const *) job->args, &out, &message);
      break;
    case JOB_VERIFICATION:
      status = mxc_machine_verification (m, job->args[0], &out, &message);
      break;
    case JOB_QUIT:
    default:
      g_assert_not_reached ();
    }

  if (status != MXC_OK)
    {
      mxc_string_free (out);
      g_task_return_error (job->task, status_error (status, message));
    }
  else if (json_result && (out != NULL || job->kind != JOB_CALL))
    {
      mxc_string_free (message);
      return_json (job->task, out);
    }
  else if (job->kind == JOB_CALL)
    {
      /* A call with nothing to say: the JSON null. */
      mxc_string_free (message);
      g_task_return_pointer (job->task, json_node_new (JSON_NODE_NULL),
                             (GDestroyNotify) json_node_unref);
    }
  else
    {
      mxc_string_free (message);
      mxc_string_free (out);
      g_task_return_boolean (job->task, TRUE);
    }
  return TRUE;
}

static gpointer
worker_main (gpointer data)
{
  Worker *worker = data;
  Job *job;

  for (;;)
    {
      gboolean more;

      job = g_async_queue_pop (worker->queue);
      more = run_job (worker, job);
      job_free (job);
      if (!more)
        break;
    }

  /* Jobs pushed after the quit (none, by construction) fail cleanly. */
  while ((job = g_async_queue_try_pop (worker->queue)) != NULL)
    {
      if (job->task != NULL)
        g_task_return_new_error (job->task, G_IO_ERROR, G_IO_ERROR_CLOSED,
                                 "the crypto machine is closed");
      job_free (job);
    }
  mxc_machine_free (worker->machine);
  g_async_queue_unref (worker->queue);
  g_free (worker);
  return NULL;
}

static void
_matrix_crypto_finalize (GObject *object)
{
  MatrixCrypto *self = MATRIX_CRYPTO (object);
  Job *quit = g_new0 (Job, 1);

  quit->kind = JOB_QUIT;
  g_async_queue_push (self->queue, quit);
  g_async_queue_unref (self->queue);
  if (g_thread_self () == self->thread)
    g_thread_unref (self->thread);
  else
    g_thread_join (self->thread);

  g_free (self->user_id);
  g_free (self->device_id);
  g_free (self->ed25519);
  g_free (self->curve25519);

  G_OBJECT_CLASS (_matrix_crypto_parent_class)->finalize (object);
}

static void
_matrix_crypto_class_init (MatrixCryptoClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = _matrix_crypto_finalize;

  /* room-keys-received (GStrv room_ids): a sync brought room keys for
   * these rooms, so events that lacked them may decrypt now. */
  g_signal_new ("room-keys-received", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                0, NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_STRV);
}

static void
_matrix_crypto_init (MatrixCrypto *self)
{
  self->worker = g_new0 (Worker, 1);
  self->worker->queue = g_async_queue_new ();
  /* The thread holds its own reference to the queue, and frees the Worker. */
  g_async_queue_ref (self->worker->queue);
  self->queue = self->worker->queue;
  self->thread = g_thread_new ("matrix-crypto", worker_main, self->worker);
  self->worker = NULL;
}

/* Queues a job of @kind for @task, which it takes. The strings are copied. */
static void
push_job (MatrixCrypto *self,
          JobKind       kind,
          GTask        *task,
          const char   *a,
          const char   *b,
          const char   *c,
          const char   *d)
{
  Job *job = g_new0 (Job, 1);

  job->kind = kind;
  job->task = task;
  job->args[0] = g_strdup (a);
  job->args[1] = g_strdup (b);
  job->args[2] = g_strdup (c);
  job->args[3] = g_strdup (d);
  g_async_queue_push (self->queue, job);
}

static char *
users_to_json (const char * const *users)
{
  g_autoptr(GString) out = g_string_new ("[");

  for (guint i = 0; users != NULL && users[i] != NULL; i++)
    {
      if (i > 0)
        g_string_append_c (out, ',');
      _matrix_json_append_string (out, users[i]);
    }
  g_string_append_c (out, ']');
  return g_string_free (g_steal_pointer (&out), FALSE);
}

static char *
object_to_json (JsonObject *object)
{
  g_autoptr(GString) out = g_string_new (NULL);

  _matrix_json_append_object (out, object);
  return g_string_free (g_steal_pointer (&out), FALSE);
}

static JsonNode *
propagate_node (MatrixCrypto  *self,
                GAsyncResult  *result,
                gpointer       source_tag,
                GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == source_tag, NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}

static JsonObject *
take_object (JsonNode  *node,
             GError   **error)
{
  JsonObject *object;

  if (node == NULL)
    return NULL;
  if (!JSON_NODE_HOLDS_OBJECT (node))
    {
      json_node_unref (node);
      g_set_error (error, MATRIX_CRYPTO_ERROR, MATRIX_CRYPTO_ERROR_FAILED,
                   "the crypto machine returned no object");
      return NULL;
    }
  object = json_object_ref (json_node_get_object (node));
  json_node_unref (node);
  return object;
}

static JsonArray *
take_array (JsonNode  *node,
            GError   **error)
{
  JsonArray *array;

  if (node == NULL)
    return NULL;
  if (!JSON_NODE_HOLDS_ARRAY (node))
    {
      json_node_unref (node);
      g_set_error (error, MATRIX_CRYPTO_ERROR, MATRIX_CRYPTO_ERROR_FAILED,
                   "the crypto machine returned no array");
      return NULL;
    }
  array = json_array_ref (json_node_get_array (node));
  json_node_unref (node);
  return array;
}

/* --- open ----------------------------------------------------------------- */

void
_matrix_crypto_open_async (const char          *user_id,
                           const char          *device_id,
                           const char          *store_path,
                           const char          *passphrase,
                           GCancellable        *cancellable,
                           GAsyncReadyCallback  callback,
                           gpointer             user_data)
{
  g_autoptr(MatrixCrypto) self = g_object_new (MATRIX_TYPE_CRYPTO, NULL);
  GTask *task = g_task_new (self, cancellable, callback, user_data);

  g_task_set_source_tag (task, _matrix_crypto_open_async);
  self->user_id = g_strdup (user_id);
  self->device_id = g_strdup (device_id);
  push_job (self, JOB_OPEN, task, user_id, device_id, store_path, passphrase);
}

MatrixCrypto *
_matrix_crypto_open_finish (GAsyncResult  *result,
                            GError       **error)
{
  MatrixCrypto *self = MATRIX_CRYPTO (g_task_get_source_object (G_TASK (result)));
  g_autoptr(JsonObject) keys = take_object (propagate_node (self, result,
                                                            _matrix_crypto_open_async, error),
                                            error);
  const char *ed25519 = NULL, *curve25519 = NULL;

  if (keys == NULL)
    return NULL;
  if (!_matrix_json_get_string (keys, "identity keys", "ed25519", TRUE, &ed25519, error) ||
      !_matrix_json_get_string (keys, "identity keys", "curve25519", TRUE, &curve25519, error))
    return NULL;
  g_free (self->ed25519);
  g_free (self->curve25519);
  self->ed25519 = g_strdup (ed25519);
  self->curve25519 = g_strdup (curve25519);
  return g_object_ref (self);
}

const char *
_matrix_crypto_get_user_id (MatrixCrypto *self)
{
  return self->user_id;
}

const char *
_matrix_crypto_get_device_id (MatrixCrypto *self)
{
  return self->device_id;
}

const char *
_matrix_crypto_get_ed25519_key (MatrixCrypto *self)
{
  return self->ed25519;
}

const char *
_matrix_crypto_get_curve25519_key (MatrixCrypto *self)
{
  return self->curve25519;
}

/* --- the calls ------------------------------------------------------------ */

static GTask *
new_task (MatrixCrypto        *self,
          gpointer             source_tag,
          GCancellable        *cancellable,
          GAsyncReadyCallback  callback,
          gpointer             user_data)
{
  GTask *task = g_task_new (self, cancellable, callback, user_data);

  g_task_set_source_tag (task, source_tag);
  return task;
}

void
_matrix_crypto_receive_sync_changes_async (MatrixCrypto        *self,
                                           JsonObject          *changes,
                                           GCancellable        *cancellable,
                                           GAsyncReadyCallback  callback,
                                           gpointer             user_data)
{
  g_autofree char *json = object_to_json (changes);

  push_job (self, JOB_SYNC,
            new_task (self, _matrix_crypto_receive_sync_changes_async, cancellable, callback,
                      user_data),
            json, NULL, NULL, NULL);
}

JsonObject *
_matrix_crypto_receive_sync_changes_finish (MatrixCrypto  *self,
                                            GAsyncResult  *result,
                                            GError       **error)
{
  return take_object (propagate_node (self, result, _matrix_crypto_receive_sync_changes_async,
                                      error), error);
}

void
_matrix_crypto_outgoing_requests_async (MatrixCrypto        *self,
                                        GCancellable        *cancellable,
                                        GAsyncReadyCallback  callback,
                                        gpointer             user_data)
{
  push_job (self, JOB_OUTGOING,
            new_task (self, _matrix_crypto_outgoing_requests_async, cancellable, callback,
                      user_data),
            NULL, NULL, NULL, NULL);
}

JsonArray *
_matrix_crypto_outgoing_requests_finish (MatrixCrypto  *self,
                                         GAsyncResult  *result,
                                         GError       **error)
{
  return take_array (propagate_node (self, result, _matrix_crypto_outgoing_requests_async,
                                     error), error);
}

void
_matrix_crypto_mark_request_as_sent_async (MatrixCrypto        *self,
                                           const char          *request_id,
                                           const char          *request_type,
                                           const char          *response_body,
                                           GCancellable        *cancellable,
                                           GAsyncReadyCallback  callback,
                                           gpointer             user_data)
{
  push_job (self, JOB_MARK_SENT,
            new_task (self, _matrix_crypto_mark_request_as_sent_async, cancellable, callback,
                      user_data),
            request_id, request_type, response_body, NULL);
}

gboolean
_matrix_crypto_mark_request_as_sent_finish (MatrixCrypto  *self,
                                            GAsyncResult  *result,
                                            GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}

void
_matrix_crypto_decrypt_async (MatrixCrypto        *self,
                              const char          *room_id,
                              JsonObject          *event,
                              GCancellable        *cancellable,
                              GAsyncReadyCallback  callback,
                              gpointer             user_data)
{
  g_autofree char *json = object_to_json (event);

  push_job (self, JOB_DECRYPT,
            new_task (self, _matrix_crypto_decrypt_async, cancellable, callback, user_data),
            room_id, json, NULL, NULL);
}

JsonObject *
_matrix_crypto_decrypt_finish (MatrixCrypto  *self,
                               GAsyncResult  *result,
                               GError       **error)
{
  g_autoptr(JsonObject) decrypted = take_object (propagate_node (self, result,
                                                                 _matrix_crypto_decrypt_async,
                                                                 error), error);
  JsonObject *event = NULL;

  if (decrypted == NULL)
    return NULL;
  /* What the crate returns is checked like any other JSON. */
  if (!_matrix_json_get_object (decrypted, "decrypted event", "event", TRUE, &event, error))
    return NULL;
  if (!json_object_has_member (event, "type") || !json_object_has_member (event, "content"))
    {
      g_set_error (error, MATRIX_CRYPTO_ERROR, MATRIX_CRYPTO_ERROR_UNDECRYPTABLE,
                   "the decrypted event has no type or content");
      return NULL;
    }
  return g_steal_pointer (&decrypted);
}

void
_matrix_crypto_update_tracked_users_async (MatrixCrypto        *self,
                                           const char * const  *users,
                                           GCancellable        *cancellable,
                                           GAsyncReadyCallback  callback,
                                           gpointer             user_data)
{
  g_autofree char *json = users_to_json (users);

  push_job (self, JOB_TRACK,
            new_task (self, _matrix_crypto_update_tracked_users_async, cancellable, callback,
                      user_data),
            json, NULL, NULL, NULL);
}

gboolean
_matrix_crypto_update_tracked_users_finish (MatrixCrypto  *self,
                                            GAsyncResult  *result,
                                            GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}

void
_matrix_crypto_get_missing_sessions_async (MatrixCrypto        *self,
                                           const char * const  *users,
                                           GCancellable        *cancellable,
                                           GAsyncReadyCallback  callback,
                                           gpointer             user_data)
{
  g_autofree char *json = users_to_json (users);

  push_job (self, JOB_MISSING_SESSIONS,
            new_task (self, _matrix_crypto_get_missing_sessions_async, cancellable, callback,
                      user_data),
            json, NULL, NULL, NULL);
}

JsonObject *
_matrix_crypto_get_missing_sessions_finish (MatrixCrypto  *self,
                                            GAsyncResult  *result,
                                            GError       **error)
{
  JsonNode *node = propagate_node (self, result, _matrix_crypto_get_missing_sessions_async,
                                   error);

  if (node != NULL && JSON_NODE_HOLDS_NULL (node))
    {
      json_node_unref (node);
      return NULL;
    }
  return take_object (node, error);
}

void
_matrix_crypto_share_room_key_async (MatrixCrypto        *self,
                                     const char          *room_id,
                                     const char * const  *users,
                                     const char          *history_visibility,
                                     GCancellable        *cancellable,
                                     GAsyncReadyCallback  callback,
                                     gpointer             user_data)
{
  g_autofree char *json = users_to_json (users);
  g_autoptr(GString) settings = g_string_new ("{");

  if (history_visibility != NULL)
    {
      g_string_append (settings, "\"history_visibility\":");
      _matrix_json_append_string (settings, history_visibility);
    }
  g_string_append_c (settings, '}');
  push_job (self, JOB_SHARE_ROOM_KEY,
            new_task (self, _matrix_crypto_share_room_key_async, cancellable, callback,
                      user_data),
            room_id, json, settings->str, NULL);
}

JsonArray *
_matrix_crypto_share_room_key_finish (MatrixCrypto  *self,
                                      GAsyncResult  *result,
                                      GError       **error)
{
  return take_array (propagate_node (self, result, _matrix_crypto_share_room_key_async, error),
                     error);
}

void
_matrix_crypto_encrypt_async (MatrixCrypto        *self,
                              const char          *room_id,
                              const char          *event_type,
                              JsonObject          *content,
                              GCancellable        *cancellable,
                              GAsyncReadyCallback  callback,
                              gpointer             user_data)
{
  g_autofree char *json = object_to_json (content);

  push_job (self, JOB_ENCRYPT,
            new_task (self, _matrix_crypto_encrypt_async, cancellable, callback, user_data),
            room_id, event_type, json, NULL);
}

JsonObject *
_matrix_crypto_encrypt_finish (MatrixCrypto  *self,
                               GAsyncResult  *result,
                               GError       **error)
{
  return take_object (propagate_node (self, result, _matrix_crypto_encrypt_async, error), error);
}

/* --- calls made elsewhere ------------------------------------------------ */

void
_matrix_crypto_call_async (MatrixCrypto        *self,
                           MatrixCryptoCall     call,
                           const char          *a,
                           const char          *b,
                           const char          *c,
                           GCancellable        *cancellable,
                           GAsyncReadyCallback  callback,
                           gpointer             user_data)
{
  Job *job = g_new0 (Job, 1);

  job->kind = JOB_CALL;
  job->task = new_task (self, _matrix_crypto_call_async, cancellable, callback, user_data);
  job->call = call;
  job->args[0] = g_strdup (a);
  job->args[1] = g_strdup (b);
  job->args[2] = g_strdup (c);
  g_async_queue_push (self->queue, job);
}

JsonNode *
_matrix_crypto_call_finish (MatrixCrypto  *self,
                            GAsyncResult  *result,
                            GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == _matrix_crypto_call_async,
                        NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}

void
_matrix_crypto_verification_async (MatrixCrypto        *self,
                                   JsonObject          *command,
                                   GCancellable        *cancellable,
                                   GAsyncReadyCallback  callback,
                                   gpointer             user_data)
{
  g_autofree char *json = object_to_json (command);

  push_job (self, JOB_VERIFICATION,
            new_task (self, _matrix_crypto_verification_async, cancellable, callback, user_data),
            json, NULL, NULL, NULL);
}

JsonObject *
_matrix_crypto_verification_finish (MatrixCrypto  *self,
                                    GAsyncResult  *result,
                                    GError       **error)
{
  return take_object (propagate_node (self, result, _matrix_crypto_verification_async, error),
                      error);
}

char *
_matrix_crypto_new_passphrase (void)
{
  guint8 bytes[32];
  gsize got = 0;

  /* GRand is no CSPRNG: ask the kernel. */
  while (got < sizeof bytes)
    {
      ssize_t n = getrandom (bytes + got, sizeof bytes - got, 0);

      if (n < 0 && errno == EINTR)
        continue;
      if (n <= 0)
        return NULL;
      got += (gsize) n;
    }
  return g_base64_encode (bytes, sizeof bytes);
}
