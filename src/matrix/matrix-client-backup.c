/* SPDX-License-Identifier: LGPL-2.1-or-later */
#define G_LOG_DOMAIN "matrix-client"

#include <string.h>

#include "matrix-key-backup.h"
#include "matrix-client-backup-private.h"
#include "matrix-client-crypto-private.h"
#include "matrix-error.h"
#include "matrix-json-private.h"
#include "matrix-crypto-capi.h"

/* Server-side key backup (m.megolm_backup.v1.curve25519-aes-sha2) and
 * recovery: the I/O around the crypto machine's backup calls (crypto/
 * src/backup.rs).
 *
 * The backup's private key is the recovery key. It is made by the crate,
 * returned once to the caller of matrix_client_setup_key_backup_async(),
 * and otherwise only kept inside the crypto store (encrypted with the
 * store's passphrase), so that this device goes on backing up to the same
 * version after a restart. The server only ever sees the public key and
 * the room keys encrypted to it.
 *
 * Uploads run one batch at a time (the machine hands out at most one
 * pending request) until the machine has none; they start when the backup
 * is enabled, when a sync brings room keys (MatrixCrypto::room-keys-received)
 * and after each encrypted send (which may have made a new room key). */

#define BACKUP_ALGORITHM "m.megolm_backup.v1.curve25519-aes-sha2"

typedef struct {
  MatrixKeyBackupState state;
  char      *version;
  gboolean   uploading;
  gboolean   again;
  guint      server_count;
  GPtrArray *waiters;    /* GTask*: matrix_client_upload_room_keys_async() */
  GWeakRef   connected;  /* the MatrixCrypto whose signal is connected */
} Backup;

G_DEFINE_QUARK (matrix-key-backup-error-quark, matrix_key_backup_error)

G_DEFINE_ENUM_TYPE (MatrixKeyBackupState, matrix_key_backup_state,
                    G_DEFINE_ENUM_VALUE (MATRIX_KEY_BACKUP_STATE_UNKNOWN, "unknown"),
                    G_DEFINE_ENUM_VALUE (MATRIX_KEY_BACKUP_STATE_NONE, "none"),
                    G_DEFINE_ENUM_VALUE (MATRIX_KEY_BACKUP_STATE_ENABLED, "enabled"),
                    G_DEFINE_ENUM_VALUE (MATRIX_KEY_BACKUP_STATE_LOCKED, "locked"))

/**
 * matrix_key_backup_error_quark:
 *
 * The error domain of key backup and recovery, %MATRIX_KEY_BACKUP_ERROR.
 *
 * Returns: the domain's quark
 */

static void
backup_free (Backup *backup)
{
  g_free (backup->version);
  for (guint i = 0; i < backup->waiters->len; i++)
    {
      GTask *task = g_ptr_array_index (backup->waiters, i);

      g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_CANCELLED, "The client is gone");
      g_object_unref (task);
    }
  g_ptr_array_unref (backup->waiters);
  g_weak_ref_clear (&backup->connected);
  g_free (backup);
}

static GQuark
backup_quark (void)
{
  return g_quark_from_static_string ("matrix-client-key-backup");
}

static Backup *
backup_get (MatrixClient *client)
{
  Backup *backup = g_object_get_qdata (G_OBJECT (client), backup_quark ());

  if (backup == NULL)
    {
      backup = g_new0 (Backup, 1);
      backup->waiters = g_ptr_array_new ();
      g_weak_ref_init (&backup->connected, NULL);
      g_object_set_qdata_full (G_OBJECT (client), backup_quark (), backup,
                               (GDestroyNotify) backup_free);
    }
  return backup;
}

static void
wipe_string (char *s)
{
  if (s != NULL)
    {
      memset (s, 0, strlen (s));
      g_free (s);
    }
}

static char *
object_to_json (JsonObject *object)
{
  g_autoptr(GString) out = g_string_new (NULL);

  _matrix_json_append_object (out, object);
  return g_string_free (g_steal_pointer (&out), FALSE);
}

/* What the crate returned, checked like any JSON. */
static gboolean
node_object (JsonNode    *node,
             JsonObject **out,
             GError     **error)
{
  if (!JSON_NODE_HOLDS_OBJECT (node))
    {
      g_set_error (error, MATRIX_KEY_BACKUP_ERROR, MATRIX_KEY_BACKUP_ERROR_FAILED,
                   "The crypto machine returned no object");
      return FALSE;
    }
  *out = json_node_get_object (node);
  return TRUE;
}

static gboolean
node_bool (JsonNode  *node,
           gboolean  *out,
           GError   **error)
{
  if (!JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != G_TYPE_BOOLEAN)
    {
      g_set_error (error, MATRIX_KEY_BACKUP_ERROR, MATRIX_KEY_BACKUP_ERROR_FAILED,
                   "The crypto machine returned no boolean");
      return FALSE;
    }
  *out = json_node_get_boolean (node);
  return TRUE;
}

/* --- the crate's calls, on the machine's thread --------------------------- */

static int
call_new (struct MxcMachine *m, const char * const *args, char **out, char **message)
{
  return mxc_backup_new (m, out, message);
}

static int
call_enable (struct MxcMachine *m, const char * const *args, char **out, char **message)
{
  return mxc_backup_enable (m, args[0], args[1], args[2], message);
}

static int
call_can_read (struct MxcMachine *m, const char * const *args, char **out, char **message)
{
  return mxc_backup_can_read (m, args[0], args[1], out, message);
}

static int
call_request (struct MxcMachine *m, const char * const *args, char **out, char **message)
{
  return mxc_backup_request (m, out, message);
}

static int
call_mark_sent (struct MxcMachine *m, const char * const *args, char **out, char **message)
{
  return mxc_backup_mark_sent (m, args[0], args[1], message);
}

static int
call_import (struct MxcMachine *m, const char * const *args, char **out, char **message)
{
  return mxc_backup_import (m, args[0], args[1], args[2], out, message);
}

/* --- uploading ------------------------------------------------------------ */

static void upload_next (MatrixClient *client);

static void
upload_done (MatrixClient *client,
             GError       *error)
{
  Backup *backup = backup_get (client);
  g_autoptr(GPtrArray) waiters = NULL;

  backup->uploading = FALSE;
  if (backup->again && error == NULL)
    {
      backup->again = FALSE;
      upload_next (client);
      return;
    }
  backup->again = FALSE;
  waiters = backup->waiters;
  backup->waiters = g_ptr_array_new ();
  for (guint i = 0; i < waiters->len; i++)
    {
      GTask *task = g_ptr_array_index (waiters, i);

      if (error != NULL)
        g_task_return_error (task, g_error_copy (error));
      else
        g_task_return_boolean (task, TRUE);
      g_object_unref (task);
    }
}

typedef struct {
  MatrixClient *client;
  char         *id;
} Upload;

static void
upload_free (Upload *upload)
{
  g_object_unref (upload->client);
  g_free (upload->id);
  g_free (upload);
}

static void
on_upload_marked (GObject      *source,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  Upload *upload = user_data;
  MatrixClient *client = g_object_ref (upload->client);
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) node = _matrix_crypto_call_finish (MATRIX_CRYPTO (source), result, &error);

  upload_free (upload);
  if (node == NULL)
    {
      g_debug ("The crypto machine refused a backup response: %s", error->message);
      upload_done (client, error);
    }
  else
    {
      /* The next batch, until the machine has none. */
      backup_get (client)->uploading = FALSE;
      backup_get (client)->again = FALSE;
      upload_next (client);
    }
  g_object_unref (client);
}

static void
on_upload_sent (GObject      *source,
                GAsyncResult *result,
                gpointer      user_data)
{
  Upload *upload = user_data;
  MatrixClient *client = upload->client;
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonObject) response = matrix_client_request_finish (client, result, &error);
  MatrixCrypto *crypto = _matrix_client_get_crypto (client);
  g_autofree char *body = NULL;
  gint64 count = 0;

  if (response != NULL &&
      !_matrix_json_get_int (response, "room_keys", "count", TRUE, &count, &error))
    g_clear_pointer (&response, json_object_unref);
  if (response == NULL || crypto == NULL)
    {
      if (error == NULL)
        error = g_error_new (MATRIX_KEY_BACKUP_ERROR, MATRIX_KEY_BACKUP_ERROR_NO_ENCRYPTION,
                             "The client let go of its encryption keys");
      g_debug ("A key backup upload failed: %s", error->message);
      g_object_ref (client);
      upload_free (upload);
      upload_done (client, error);
      g_object_unref (client);
      return;
    }
  backup_get (client)->server_count = (guint) CLAMP (count, 0, G_MAXUINT);
  body = object_to_json (response);
  _matrix_crypto_call_async (crypto, call_mark_sent, upload->id, body, NULL, NULL,
                             on_upload_marked, upload);
}

static void
on_upload_request (GObject      *source,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  g_autoptr(MatrixClient) client = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) node = _matrix_crypto_call_finish (MATRIX_CRYPTO (source), result, &error);
  JsonObject *request, *body;
  const char *id, *version;
  g_autofree char *path = NULL;
  const char *query[] = { "version", NULL, NULL };
  Upload *upload;

  if (node == NULL || JSON_NODE_HOLDS_NULL (node))
    {
      upload_done (client, error);
      return;
    }
  if (!JSON_NODE_HOLDS_OBJECT (node) ||
      !_matrix_json_get_string (request = json_node_get_object (node), NULL, "id", TRUE, &id,
                                &error) ||
      !_matrix_json_get_string (request, NULL, "version", TRUE, &version, &error) ||
      !_matrix_json_get_object (request, NULL, "body", TRUE, &body, &error))
    {
      if (error == NULL)
        error = g_error_new (MATRIX_KEY_BACKUP_ERROR, MATRIX_KEY_BACKUP_ERROR_FAILED,
                             "The crypto machine made no backup request");
      upload_done (client, error);
      return;
    }
  query[1] = version;
  path = g_strdup ("v3/room_keys/keys");
  upload = g_new0 (Upload, 1);
  upload->client = g_object_ref (client);
  upload->id = g_strdup (id);
  matrix_client_request_async (client, "PUT", path, query,
                               json_object_get_member (request, "body"), NULL,
                               on_upload_sent, upload);
}

static void
upload_next (MatrixClient *client)
{
  Backup *backup = backup_get (client);
  MatrixCrypto *crypto = _matrix_client_get_crypto (client);

  if (crypto == NULL || backup->state != MATRIX_KEY_BACKUP_STATE_ENABLED)
    {
      upload_done (client, NULL);
      return;
    }
  if (backup->uploading)
    {
      backup->again = TRUE;
      return;
    }
  backup->uploading = TRUE;
  _matrix_crypto_call_async (crypto, call_request, NULL, NULL, NULL, NULL, on_upload_request,
                             g_object_ref (client));
}

static void
on_room_keys_received (MatrixCrypto  *crypto,
                       GStrv          rooms,
                       MatrixClient  *client)
{
  if (_matrix_client_get_crypto (client) == crypto)
    upload_next (client);
}

/* Uploads from now on as room keys arrive. */
static void
backup_enabled (MatrixClient *client,
                const char   *version)
{
  Backup *backup = backup_get (client);
  MatrixCrypto *crypto = _matrix_client_get_crypto (client);
  g_autoptr(MatrixCrypto) connected = g_weak_ref_get (&backup->connected);

  backup->state = MATRIX_KEY_BACKUP_STATE_ENABLED;
  g_free (backup->version);
  backup->version = g_strdup (version);
  if (crypto != NULL && connected != crypto)
    {
      g_signal_connect_object (crypto, "room-keys-received",
                               G_CALLBACK (on_room_keys_received), client, 0);
      g_weak_ref_set (&backup->connected, crypto);
    }
  upload_next (client);
}

void
_matrix_client_backup_kick (MatrixClient *client)
{
  Backup *backup = g_object_get_qdata (G_OBJECT (client), backup_quark ());

  if (backup != NULL && backup->state == MATRIX_KEY_BACKUP_STATE_ENABLED)
    upload_next (client);
}

/* --- the server's backup version ------------------------------------------ */

/* Checks a GET /room_keys/version answer: its version, and its description
 * ({"algorithm", "auth_data"}) as JSON for the crate. */
static gboolean
parse_version (JsonObject  *response,
               const char **version,
               char       **info_json,
               GError     **error)
{
  const char *algorithm;
  JsonObject *auth_data;
  g_autoptr(JsonObject) info = NULL;

  if (!_matrix_json_get_string (response, "room_keys/version", "version", TRUE, version, error) ||
      !_matrix_json_get_string (response, "room_keys/version", "algorithm", TRUE, &algorithm,
                                error) ||
      !_matrix_json_get_object (response, "room_keys/version", "auth_data", TRUE, &auth_data,
                                error))
    return FALSE;
  if (!g_str_equal (algorithm, BACKUP_ALGORITHM))
    {
      g_set_error (error, MATRIX_KEY_BACKUP_ERROR, MATRIX_KEY_BACKUP_ERROR_UNSUPPORTED,
                   "The server's key backup uses the unknown algorithm %s", algorithm);
      return FALSE;
    }
  info = json_object_new ();
  json_object_set_string_member (info, "algorithm", algorithm);
  json_object_set_object_member (info, "auth_data", json_object_ref (auth_data));
  *info_json = object_to_json (info);
  return TRUE;
}

/* The crate's failures, as this file's errors. */
static GError *
crypto_error (GError *error)
{
  MatrixKeyBackupError code = MATRIX_KEY_BACKUP_ERROR_FAILED;
  GError *out;

  if (error->domain != MATRIX_CRYPTO_ERROR)
    return error;
  switch (error->code)
    {
    case MATRIX_CRYPTO_ERROR_INVALID:
      code = MATRIX_KEY_BACKUP_ERROR_INVALID_KEY;
      break;
    case MATRIX_CRYPTO_ERROR_MACHINE:
      code = MATRIX_KEY_BACKUP_ERROR_WRONG_KEY;
      break;
    case MATRIX_CRYPTO_ERROR_UNDECRYPTABLE:
      out = g_error_new (MATRIX_ERROR, MATRIX_ERROR_INVALID_RESPONSE, "%s", error->message);
      g_error_free (error);
      return out;
    default:
      break;
    }
  out = g_error_new (MATRIX_KEY_BACKUP_ERROR, code, "%s", error->message);
  g_error_free (error);
  return out;
}

/* --- setting up ----------------------------------------------------------- */

typedef struct {
  char *recovery_key;   /* wiped when freed */
  char *version;
  char *info_json;
  char *keys_json;
} Setup;

static void
setup_free (Setup *setup)
{
  wipe_string (setup->recovery_key);
  g_free (setup->version);
  g_free (setup->info_json);
  g_free (setup->keys_json);
  g_free (setup);
}

/* Fails @task (taken) unless the client still has its machine. */
static MatrixCrypto *
task_crypto (GTask *task)
{
  MatrixCrypto *crypto = _matrix_client_get_crypto (g_task_get_source_object (task));

  if (crypto == NULL)
    {
      g_task_return_new_error (task, MATRIX_KEY_BACKUP_ERROR, MATRIX_KEY_BACKUP_ERROR_NO_ENCRYPTION,
                               "The client has no encryption keys");
      g_object_unref (task);
    }
  return crypto;
}

static void
on_setup_enabled (GObject      *source,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  GTask *task = user_data;
  Setup *setup = g_task_get_task_data (task);
  GError *error = NULL;
  g_autoptr(JsonNode) node = _matrix_crypto_call_finish (MATRIX_CRYPTO (source), result, &error);

  if (node == NULL)
    {
      g_task_return_error (task, crypto_error (error));
      g_object_unref (task);
      return;
    }
  backup_enabled (g_task_get_source_object (task), setup->version);
  g_task_return_boolean (task, TRUE);
  g_object_unref (task);
}

static void
on_version_created (GObject      *source,
                    GAsyncResult *result,
                    gpointer      user_data)
{
  GTask *task = user_data;
  Setup *setup = g_task_get_task_data (task);
  GError *error = NULL;
  g_autoptr(JsonObject) response = matrix_client_request_finish (MATRIX_CLIENT (source), result,
                                                                 &error);
  const char *version;
  MatrixCrypto *crypto;

  if (response == NULL ||
      !_matrix_json_get_string (response, "room_keys/version", "version", TRUE, &version, &error))
    {
      g_task_return_error (task, error);
      g_object_unref (task);
      return;
    }
  setup->version = g_strdup (version);
  if ((crypto = task_crypto (task)) == NULL)
    return;
  _matrix_crypto_call_async (crypto, call_enable, setup->recovery_key, setup->info_json,
                             setup->version, g_task_get_cancellable (task), on_setup_enabled,
                             task);
}

static void
on_key_made (GObject      *source,
             GAsyncResult *result,
             gpointer      user_data)
{
  GTask *task = user_data;
  Setup *setup = g_task_get_task_data (task);
  GError *error = NULL;
  g_autoptr(JsonNode) node = _matrix_crypto_call_finish (MATRIX_CRYPTO (source), result, &error);
  JsonObject *made, *info;
  const char *recovery_key;

  if (node == NULL ||
      !node_object (node, &made, &error) ||
      !_matrix_json_get_string (made, "backup key", "recovery_key", TRUE, &recovery_key, &error) ||
      !_matrix_json_get_object (made, "backup key", "backup_info", TRUE, &info, &error))
    {
      g_task_return_error (task, crypto_error (error));
      g_object_unref (task);
      return;
    }
  setup->recovery_key = g_strdup (recovery_key);
  setup->info_json = object_to_json (info);
  matrix_client_request_async (g_task_get_source_object (task), "POST", "v3/room_keys/version",
                               NULL, json_object_get_member (made, "backup_info"),
                               g_task_get_cancellable (task), on_version_created, task);
}

static void
on_can_read (GObject      *source,
             GAsyncResult *result,
             gpointer      user_data)
{
  GTask *task = user_data;
  Setup *setup = g_task_get_task_data (task);
  MatrixClient *client = g_task_get_source_object (task);
  GError *error = NULL;
  g_autoptr(JsonNode) node = _matrix_crypto_call_finish (MATRIX_CRYPTO (source), result, &error);
  gboolean can_read = FALSE;

  if (node == NULL || !node_bool (node, &can_read, &error))
    {
      g_task_return_error (task, crypto_error (error));
      g_object_unref (task);
      return;
    }
  if (can_read)
    backup_enabled (client, setup->version);
  else
    {
      Backup *backup = backup_get (client);

      backup->state = MATRIX_KEY_BACKUP_STATE_LOCKED;
      g_free (backup->version);
      backup->version = g_strdup (setup->version);
    }
  g_task_return_boolean (task, TRUE);
  g_object_unref (task);
}

static void
on_setup_version (GObject      *source,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  GTask *task = user_data;
  Setup *setup = g_task_get_task_data (task);
  GError *error = NULL;
  g_autoptr(JsonObject) response = matrix_client_request_finish (MATRIX_CLIENT (source), result,
                                                                 &error);
  const char *version;
  MatrixCrypto *crypto;

  if (response == NULL && g_error_matches (error, MATRIX_ERROR, MATRIX_ERROR_NOT_FOUND))
    {
      /* No backup yet: a new one, with a new key. */
      g_clear_error (&error);
      if ((crypto = task_crypto (task)) == NULL)
        return;
      _matrix_crypto_call_async (crypto, call_new, NULL, NULL, NULL,
                                 g_task_get_cancellable (task), on_key_made, task);
      return;
    }
  if (response == NULL || !parse_version (response, &version, &setup->info_json, &error))
    {
      g_task_return_error (task, error);
      g_object_unref (task);
      return;
    }
  setup->version = g_strdup (version);
  if ((crypto = task_crypto (task)) == NULL)
    return;
  _matrix_crypto_call_async (crypto, call_can_read, setup->info_json, setup->version, NULL,
                             g_task_get_cancellable (task), on_can_read, task);
}

/**
 * matrix_client_setup_key_backup_async:
 * @self: a #MatrixClient with encryption enabled
 *   (matrix_client_enable_encryption_async())
 * @cancellable: (nullable): a #GCancellable
 * @callback: called when the backup's state is known
 * @user_data: data for @callback
 *
 * Turns on the server-side backup of room keys
 * (`m.megolm_backup.v1.curve25519-aes-sha2`): every room key this session
 * has or receives is encrypted to the backup's public key and uploaded
 * (`PUT /room_keys/keys`), so another session can read the history with the
 * recovery key.
 *
 * When the server has no backup, a new one is made (`POST
 * /room_keys/version`) with a new key, and the finish function returns its
 * recovery key: the only time the library gives it out. When the server has
 * the backup this session already uses, uploading resumes. When it has a
 * backup this session cannot read (another session made it), the state
 * becomes %MATRIX_KEY_BACKUP_STATE_LOCKED and nothing is uploaded until
 * matrix_client_restore_from_recovery_key_async().
 */
void
matrix_client_setup_key_backup_async (MatrixClient        *self,
                                      GCancellable        *cancellable,
                                      GAsyncReadyCallback  callback,
                                      gpointer             user_data)
{
  GTask *task;

  g_return_if_fail (MATRIX_IS_CLIENT (self));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, matrix_client_setup_key_backup_async);
  g_task_set_task_data (task, g_new0 (Setup, 1), (GDestroyNotify) setup_free);
  if (task_crypto (task) == NULL)
    return;
  matrix_client_request_async (self, "GET", "v3/room_keys/version", NULL, NULL, cancellable,
                               on_setup_version, task);
}

/**
 * matrix_client_setup_key_backup_finish:
 * @self: a #MatrixClient
 * @result: the #GAsyncResult
 * @recovery_key: (out) (optional) (nullable) (transfer full): the recovery key
 *   of a backup made by this call (48 base58 characters in groups of four),
 *   or %NULL when the server already had one. Show it to the user once;
 *   the library does not keep it anywhere readable
 * @error: return location for a #GError
 *
 * Finishes matrix_client_setup_key_backup_async();
 * matrix_client_get_key_backup_state() then says how the backup stands.
 *
 * Returns: %TRUE when the backup's state is known
 */
gboolean
matrix_client_setup_key_backup_finish (MatrixClient  *self,
                                       GAsyncResult  *result,
                                       char         **recovery_key,
                                       GError       **error)
{
  Setup *setup;

  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);

  if (recovery_key != NULL)
    *recovery_key = NULL;
  if (!g_task_propagate_boolean (G_TASK (result), error))
    return FALSE;
  setup = g_task_get_task_data (G_TASK (result));
  if (recovery_key != NULL)
    *recovery_key = g_steal_pointer (&setup->recovery_key);
  return TRUE;
}

/* --- restoring ------------------------------------------------------------ */

static void
on_imported (GObject      *source,
             GAsyncResult *result,
             gpointer      user_data)
{
  GTask *task = user_data;
  Setup *setup = g_task_get_task_data (task);
  MatrixClient *client = g_task_get_source_object (task);
  GError *error = NULL;
  g_autoptr(JsonNode) node = _matrix_crypto_call_finish (MATRIX_CRYPTO (source), result, &error);
  g_autoptr(GPtrArray) rooms = g_ptr_array_new_with_free_func (g_free);
  JsonObject *imported;
  JsonArray *room_ids;
  gint64 count = 0;

  if (node == NULL ||
      !node_object (node, &imported, &error) ||
      !_matrix_json_get_int (imported, "imported keys", "imported", TRUE, &count, &error) ||
      !_matrix_json_get_array (imported, "imported keys", "rooms", TRUE, &room_ids, &error))
    {
      if (error->domain == MATRIX_CRYPTO_ERROR && error->code == MATRIX_CRYPTO_ERROR_INVALID)
        {
          /* The key was checked already: it is the server's answer. */
          GError *bad = g_error_new (MATRIX_ERROR, MATRIX_ERROR_INVALID_RESPONSE,
                                     "The server's backed-up keys are malformed: %s",
                                     error->message);
          g_error_free (error);
          error = bad;
        }
      g_task_return_error (task, crypto_error (error));
      g_object_unref (task);
      return;
    }
  for (guint i = 0; i < json_array_get_length (room_ids); i++)
    {
      const char *room_id = json_array_get_string_element (room_ids, i);

      if (room_id != NULL)
        g_ptr_array_add (rooms, g_strdup (room_id));
    }
  g_ptr_array_add (rooms, NULL);
  backup_enabled (client, setup->version);
  /* The late-key path: timelines retry what these keys unlock. */
  if (rooms->len > 1)
    g_signal_emit_by_name (source, "room-keys-received", (GStrv) rooms->pdata);
  g_task_return_int (task, CLAMP (count, 0, G_MAXINT));
  g_object_unref (task);
}

static void
on_keys_downloaded (GObject      *source,
                    GAsyncResult *result,
                    gpointer      user_data)
{
  GTask *task = user_data;
  Setup *setup = g_task_get_task_data (task);
  GError *error = NULL;
  g_autoptr(JsonObject) response = matrix_client_request_finish (MATRIX_CLIENT (source), result,
                                                                 &error);
  JsonObject *rooms;
  MatrixCrypto *crypto;

  if (response == NULL ||
      !_matrix_json_get_object (response, "room_keys/keys", "rooms", TRUE, &rooms, &error))
    {
      g_task_return_error (task, error);
      g_object_unref (task);
      return;
    }
  setup->keys_json = object_to_json (response);
  if ((crypto = task_crypto (task)) == NULL)
    return;
  _matrix_crypto_call_async (crypto, call_import, setup->recovery_key, setup->version,
                             setup->keys_json, g_task_get_cancellable (task), on_imported, task);
}

static void
on_restore_enabled (GObject      *source,
                    GAsyncResult *result,
                    gpointer      user_data)
{
  GTask *task = user_data;
  Setup *setup = g_task_get_task_data (task);
  GError *error = NULL;
  g_autoptr(JsonNode) node = _matrix_crypto_call_finish (MATRIX_CRYPTO (source), result, &error);
  const char *query[] = { "version", NULL, NULL };

  if (node == NULL)
    {
      g_task_return_error (task, crypto_error (error));
      g_object_unref (task);
      return;
    }
  query[1] = setup->version;
  matrix_client_request_async (g_task_get_source_object (task), "GET", "v3/room_keys/keys",
                               query, NULL, g_task_get_cancellable (task), on_keys_downloaded,
                               task);
}

static void
on_restore_version (GObject      *source,
                    GAsyncResult *result,
                    gpointer      user_data)
{
  GTask *task = user_data;
  Setup *setup = g_task_get_task_data (task);
  GError *error = NULL;
  g_autoptr(JsonObject) response = matrix_client_request_finish (MATRIX_CLIENT (source), result,
                                                                 &error);
  const char *version;
  MatrixCrypto *crypto;

  if (response == NULL && g_error_matches (error, MATRIX_ERROR, MATRIX_ERROR_NOT_FOUND))
    {
      g_clear_error (&error);
      backup_get (g_task_get_source_object (task))->state = MATRIX_KEY_BACKUP_STATE_NONE;
      g_task_return_new_error (task, MATRIX_KEY_BACKUP_ERROR, MATRIX_KEY_BACKUP_ERROR_NO_BACKUP,
                               "The server has no key backup");
      g_object_unref (task);
      return;
    }
  if (response == NULL || !parse_version (response, &version, &setup->info_json, &error))
    {
      g_task_return_error (task, error);
      g_object_unref (task);
      return;
    }
  setup->version = g_strdup (version);
  if ((crypto = task_crypto (task)) == NULL)
    return;
  /* The key is checked against the backup's public key before anything
   * is downloaded: a wrong key fails here. */
  _matrix_crypto_call_async (crypto, call_enable, setup->recovery_key, setup->info_json,
                             setup->version, g_task_get_cancellable (task), on_restore_enabled,
                             task);
}

/**
 * matrix_client_restore_from_recovery_key_async:
 * @self: a #MatrixClient with encryption enabled
 * @recovery_key: the recovery key the user saved (spaces are ignored)
 * @cancellable: (nullable): a #GCancellable
 * @callback: called when the keys are imported
 * @user_data: data for @callback
 *
 * Reads the server's key backup with @recovery_key: checks that the key is
 * the backup's (%MATRIX_KEY_BACKUP_ERROR_INVALID_KEY for a mistyped key,
 * %MATRIX_KEY_BACKUP_ERROR_WRONG_KEY for another backup's key), downloads
 * every backed-up room key (`GET /room_keys/keys`), imports them into the
 * crypto machine, and has the timelines decrypt again the events whose
 * keys were missing. The session then backs up its own keys to the same
 * backup (%MATRIX_KEY_BACKUP_STATE_ENABLED), and keeps the key in its
 * crypto store for later restarts.
 */
void
matrix_client_restore_from_recovery_key_async (MatrixClient        *self,
                                               const char          *recovery_key,
                                               GCancellable        *cancellable,
                                               GAsyncReadyCallback  callback,
                                               gpointer             user_data)
{
  GTask *task;
  Setup *setup;

  g_return_if_fail (MATRIX_IS_CLIENT (self));
  g_return_if_fail (recovery_key != NULL);

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, matrix_client_restore_from_recovery_key_async);
  setup = g_new0 (Setup, 1);
  setup->recovery_key = g_strdup (recovery_key);
  g_task_set_task_data (task, setup, (GDestroyNotify) setup_free);
  if (task_crypto (task) == NULL)
    return;
  matrix_client_request_async (self, "GET", "v3/room_keys/version", NULL, NULL, cancellable,
                               on_restore_version, task);
}

/**
 * matrix_client_restore_from_recovery_key_finish:
 * @self: a #MatrixClient
 * @result: the #GAsyncResult
 * @n_imported: (out) (optional): the number of room keys imported (keys the
 *   machine had already are not counted)
 * @error: return location for a #GError
 *
 * Finishes matrix_client_restore_from_recovery_key_async().
 *
 * Returns: %TRUE when the backup's keys are imported
 */
gboolean
matrix_client_restore_from_recovery_key_finish (MatrixClient  *self,
                                                GAsyncResult  *result,
                                                guint         *n_imported,
                                                GError       **error)
{
  gssize count;

  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);

  count = g_task_propagate_int (G_TASK (result), error);
  if (n_imported != NULL)
    *n_imported = count > 0 ? (guint) count : 0;
  return count >= 0;
}

/* --- uploading now, and the state ----------------------------------------- */

/**
 * matrix_client_upload_room_keys_async:
 * @self: a #MatrixClient
 * @cancellable: (nullable): a #GCancellable
 * @callback: called when every room key is backed up
 * @user_data: data for @callback
 *
 * Uploads now the room keys not backed up yet (the client also does so on
 * its own as keys arrive), and finishes when the machine has none left.
 * Fails with %MATRIX_KEY_BACKUP_ERROR_NO_BACKUP unless the backup is
 * %MATRIX_KEY_BACKUP_STATE_ENABLED.
 */
void
matrix_client_upload_room_keys_async (MatrixClient        *self,
                                      GCancellable        *cancellable,
                                      GAsyncReadyCallback  callback,
                                      gpointer             user_data)
{
  GTask *task;
  Backup *backup;

  g_return_if_fail (MATRIX_IS_CLIENT (self));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, matrix_client_upload_room_keys_async);
  backup = backup_get (self);
  if (backup->state != MATRIX_KEY_BACKUP_STATE_ENABLED || _matrix_client_get_crypto (self) == NULL)
    {
      g_task_return_new_error (task, MATRIX_KEY_BACKUP_ERROR, MATRIX_KEY_BACKUP_ERROR_NO_BACKUP,
                               "This session has no key backup to upload to");
      g_object_unref (task);
      return;
    }
  g_ptr_array_add (backup->waiters, task);
  upload_next (self);
}

/**
 * matrix_client_upload_room_keys_finish:
 * @self: a #MatrixClient
 * @result: the #GAsyncResult
 * @n_backed_up: (out) (optional): the number of keys in the server's backup,
 *   as its last answer said (0 when nothing was uploaded)
 * @error: return location for a #GError
 *
 * Finishes matrix_client_upload_room_keys_async().
 *
 * Returns: %TRUE when every room key is backed up
 */
gboolean
matrix_client_upload_room_keys_finish (MatrixClient  *self,
                                       GAsyncResult  *result,
                                       guint         *n_backed_up,
                                       GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);

  if (n_backed_up != NULL)
    *n_backed_up = backup_get (self)->server_count;
  return g_task_propagate_boolean (G_TASK (result), error);
}

/**
 * matrix_client_get_key_backup_state:
 * @self: a #MatrixClient
 *
 * How the server-side key backup stands for this session, as last seen by
 * matrix_client_setup_key_backup_async() or
 * matrix_client_restore_from_recovery_key_async().
 *
 * Returns: the backup's state
 */
MatrixKeyBackupState
matrix_client_get_key_backup_state (MatrixClient *self)
{
  Backup *backup;

  g_return_val_if_fail (MATRIX_IS_CLIENT (self), MATRIX_KEY_BACKUP_STATE_UNKNOWN);

  backup = g_object_get_qdata (G_OBJECT (self), backup_quark ());
  if (backup == NULL || _matrix_client_get_crypto (self) == NULL)
    return MATRIX_KEY_BACKUP_STATE_UNKNOWN;
  return backup->state;
}

/**
 * matrix_client_get_key_backup_version:
 * @self: a #MatrixClient
 *
 * The server's backup version this session backs up to (or could read
 * with the recovery key).
 *
 * Returns: (nullable): the version, or %NULL when there is none
 */
const char *
matrix_client_get_key_backup_version (MatrixClient *self)
{
  Backup *backup;

  g_return_val_if_fail (MATRIX_IS_CLIENT (self), NULL);

  backup = g_object_get_qdata (G_OBJECT (self), backup_quark ());
  return backup != NULL ? backup->version : NULL;
}
