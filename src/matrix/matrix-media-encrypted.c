/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Encrypted attachments: media of an encrypted room, kept by the server as
 * ciphertext and described in the event by an `EncryptedFile` (`file`,
 * `info.thumbnail_file`). The cryptography is the Rust crate's
 * (mxc_attachment_*); this file does the I/O around it.
 *
 * Downloading fetches the ciphertext like any media (it is cached as such:
 * harmless without the key), decrypts it in a thread into a temporary file
 * of the cache (mode 0600), and commits that under a key naming the media
 * and its hash. The plaintext is cached like other media, a deliberate
 * exception to "nothing decrypted on disk" (the store keeps ciphertext
 * only): a file must exist to be shown, played or opened by another
 * application, and decrypting a video again for every view would be slow.
 * It stays in the cache directory (0700), private to the user (0600), and
 * leaves with the cache's LRU eviction. A ciphertext that does not match its
 * hash leaves nothing behind and fails with %MATRIX_ERROR_DECRYPTION_FAILED.
 *
 * Uploading encrypts in a thread into a temporary file, uploads that as
 * `application/octet-stream` without the file's name, deletes it, and
 * returns the `EncryptedFile` to put in the event.
 */
#define G_LOG_DOMAIN "matrix-media"

#include <glib/gstdio.h>

#include "matrix-crypto-capi.h"
#include "matrix-error.h"
#include "matrix-media.h"
#include "matrix-media-cache-private.h"
#include "matrix-media-encrypted-private.h"
#include "matrix-media-info.h"

static const char *
string_member (JsonObject *object,
               const char *name)
{
  JsonNode *node = json_object_get_member (object, name);

  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node) ||
      json_node_get_value_type (node) != G_TYPE_STRING)
    return NULL;
  return json_node_get_string (node);
}

static JsonObject *
object_member (JsonObject *object,
               const char *name)
{
  JsonNode *node = json_object_get_member (object, name);

  return node != NULL && JSON_NODE_HOLDS_OBJECT (node) ? json_node_get_object (node) : NULL;
}

gboolean
_matrix_encrypted_file_validate (JsonObject  *file,
                                 GError     **error)
{
  JsonObject *key;
  JsonObject *hashes;
  const char *url;

  if (file == NULL)
    goto invalid;
  url = string_member (file, "url");
  key = object_member (file, "key");
  hashes = object_member (file, "hashes");
  if (url == NULL || !g_str_has_prefix (url, "mxc://") ||
      g_strcmp0 (string_member (file, "v"), "v2") != 0 ||
      string_member (file, "iv") == NULL || key == NULL || hashes == NULL ||
      string_member (hashes, "sha256") == NULL || string_member (key, "k") == NULL ||
      g_strcmp0 (string_member (key, "alg"), "A256CTR") != 0 ||
      g_strcmp0 (string_member (key, "kty"), "oct") != 0)
    goto invalid;
  return TRUE;

invalid:
  g_set_error_literal (error, MATRIX_ERROR, MATRIX_ERROR_INVALID_RESPONSE,
                       "Not a valid encrypted file (EncryptedFile v2 with an A256CTR key, "
                       "an iv and a sha256 hash)");
  return FALSE;
}

static GError *
attachment_error (MxcStatus  status,
                  char      *message)
{
  GError *error;

  if (status == MXC_UNDECRYPTABLE)
    error = g_error_new (MATRIX_ERROR, MATRIX_ERROR_DECRYPTION_FAILED,
                         "The encrypted file is damaged or forged: %s",
                         message != NULL ? message : "");
  else if (status == MXC_INVALID_ARGUMENT)
    error = g_error_new (MATRIX_ERROR, MATRIX_ERROR_INVALID_RESPONSE,
                         "Not a valid encrypted file: %s", message != NULL ? message : "");
  else
    error = g_error_new (MATRIX_ERROR, MATRIX_ERROR_FAILED, "Encrypted file: %s",
                         message != NULL ? message : "");
  mxc_string_free (message);
  return error;
}

/* --- Downloading --------------------------------------------------------- */

typedef struct {
  JsonObject *file;
  char       *key;
  GFile      *ciphertext;
  GFile      *plaintext;
} Download;

static void
download_free (Download *download)
{
  g_clear_pointer (&download->file, json_object_unref);
  g_free (download->key);
  g_clear_object (&download->ciphertext);
  if (download->plaintext != NULL)
    {
      g_autofree char *path = g_file_get_path (download->plaintext);

      /* Still here: not committed. */
      g_unlink (path);
      g_object_unref (download->plaintext);
    }
  g_free (download);
}

static void
on_decrypted_committed (GObject      *source,
                        GAsyncResult *result,
                        gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  GError *error = NULL;
  GFile *file;

  file = _matrix_media_cache_commit_finish (MATRIX_MEDIA_CACHE (source), result, &error);
  if (file == NULL)
    g_task_return_error (task, error);
  else
    g_task_return_pointer (task, file, g_object_unref);
}

static void
decrypt_in_thread (GTask        *task,
                   gpointer      source,
                   gpointer      task_data,
                   GCancellable *cancellable)
{
  Download *download = task_data;
  g_autofree char *json = NULL;
  g_autofree char *in_path = g_file_get_path (download->ciphertext);
  g_autofree char *out_path = g_file_get_path (download->plaintext);
  char *message = NULL;
  MxcStatus status;

  {
    g_autoptr(JsonNode) node = json_node_init_object (json_node_alloc (), download->file);

    json = json_to_string (node, FALSE);
  }
  status = mxc_attachment_decrypt_file (json, in_path, out_path, &message);
  if (status != MXC_OK)
    {
      g_task_return_error (task, attachment_error (status, message));
      return;
    }
  mxc_string_free (message);
  g_task_return_boolean (task, TRUE);
}

static void
on_decrypted (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  MatrixMedia *self = g_task_get_source_object (task);
  Download *download = g_task_get_task_data (task);
  GError *error = NULL;
  GFile *plaintext;

  if (!g_task_propagate_boolean (G_TASK (result), &error))
    {
      g_task_return_error (task, error);
      return;
    }
  plaintext = g_steal_pointer (&download->plaintext);
  _matrix_media_cache_commit_async (matrix_media_get_cache (self), download->key, plaintext,
                                    on_decrypted_committed, g_steal_pointer (&task));
  g_object_unref (plaintext);
}

static void
on_ciphertext (GObject      *source,
               GAsyncResult *result,
               gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  MatrixMedia *self = MATRIX_MEDIA (source);
  Download *download = g_task_get_task_data (task);
  GError *error = NULL;

  download->ciphertext = matrix_media_download_finish (self, result, &error);
  if (download->ciphertext == NULL)
    {
      g_task_return_error (task, error);
      return;
    }

  download->plaintext = _matrix_media_cache_new_temp_file (matrix_media_get_cache (self));
  {
    GCancellable *cancellable = g_task_get_cancellable (task);
    GTask *decrypt = g_task_new (self, cancellable, on_decrypted, g_steal_pointer (&task));

    g_task_set_task_data (decrypt, download, NULL);
    g_task_run_in_thread (decrypt, decrypt_in_thread);
    g_object_unref (decrypt);
  }
}

typedef struct {
  guint64                max_size;
  GFileProgressCallback  progress_callback;
  gpointer               progress_data;
} DownloadArgs;

static void
on_plaintext_looked_up (GObject      *source,
                        GAsyncResult *result,
                        gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  MatrixMedia *self = g_task_get_source_object (task);
  Download *download = g_task_get_task_data (task);
  DownloadArgs *args = g_object_get_data (G_OBJECT (task), "matrix-download-args");
  GCancellable *cancellable;
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
      g_task_return_error (task, error);
      return;
    }
  if (g_task_return_error_if_cancelled (task))
    return;

  cancellable = g_task_get_cancellable (task);
  matrix_media_download_async (self, string_member (download->file, "url"), args->max_size,
                               cancellable, args->progress_callback,
                               args->progress_data, on_ciphertext, g_steal_pointer (&task));
}

/**
 * matrix_media_download_encrypted_async:
 * @self: a #MatrixMedia
 * @encrypted_file: the `EncryptedFile` of an event (its `file` or
 *   `info.thumbnail_file`), e.g. from matrix_media_info_get_encrypted_file()
 * @max_size: the most bytes to accept
 * @cancellable: (nullable): a #GCancellable
 * @progress_callback: (nullable) (scope call) (closure progress_data): called
 *   as the ciphertext is downloaded, with the bytes so far and the total
 * @progress_data: data for @progress_callback
 * @callback: called with the decrypted file, or an error
 * @user_data: data for @callback
 *
 * Downloads an encrypted attachment, checks its SHA-256 and decrypts it (in
 * a thread, never on the main loop) into the cache, unless its plaintext is
 * there already. The decrypted file is private to the user (mode 0600).
 * An @encrypted_file that is not a valid version 2 `EncryptedFile` fails
 * with %MATRIX_ERROR_INVALID_RESPONSE and makes no request; a ciphertext that
 * does not match its hash fails with %MATRIX_ERROR_DECRYPTION_FAILED and
 * leaves no plaintext.
 */
void
matrix_media_download_encrypted_async (MatrixMedia           *self,
                                       JsonObject            *encrypted_file,
                                       guint64                max_size,
                                       GCancellable          *cancellable,
                                       GFileProgressCallback  progress_callback,
                                       gpointer               progress_data,
                                       GAsyncReadyCallback    callback,
                                       gpointer               user_data)
{
  g_autoptr(GTask) task = NULL;
  Download *download;
  DownloadArgs *args;
  GError *error = NULL;

  g_return_if_fail (MATRIX_IS_MEDIA (self));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, matrix_media_download_encrypted_async);
  if (!_matrix_encrypted_file_validate (encrypted_file, &error))
    {
      g_task_return_error (task, error);
      return;
    }

  download = g_new0 (Download, 1);
  download->file = json_object_ref (encrypted_file);
  download->key = g_strdup_printf ("decrypted %s %s", string_member (encrypted_file, "url"),
                                   string_member (object_member (encrypted_file, "hashes"),
                                                  "sha256"));
  g_task_set_task_data (task, download, (GDestroyNotify) download_free);
  args = g_new0 (DownloadArgs, 1);
  args->max_size = max_size;
  args->progress_callback = progress_callback;
  args->progress_data = progress_data;
  g_object_set_data_full (G_OBJECT (task), "matrix-download-args", args, g_free);

  matrix_media_cache_lookup_async (matrix_media_get_cache (self), download->key, cancellable,
                                   on_plaintext_looked_up, g_steal_pointer (&task));
}

/**
 * matrix_media_download_encrypted_finish:
 * @self: a #MatrixMedia
 * @result: the #GAsyncResult
 * @error: return location for a #GError
 *
 * Finishes matrix_media_download_encrypted_async().
 *
 * Returns: (transfer full) (nullable): the decrypted file in the cache
 */
GFile *
matrix_media_download_encrypted_finish (MatrixMedia   *self,
                                        GAsyncResult  *result,
                                        GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

/* --- Uploading ------------------------------------------------------------ */

typedef struct {
  GFile                 *file;
  GFile                 *ciphertext;
  char                  *info_json;
  GFileProgressCallback  progress_callback;
  gpointer               progress_data;
} Upload;

static void
upload_free (Upload *upload)
{
  g_clear_object (&upload->file);
  if (upload->ciphertext != NULL)
    {
      g_autofree char *path = g_file_get_path (upload->ciphertext);

      g_unlink (path);
      g_object_unref (upload->ciphertext);
    }
  g_free (upload->info_json);
  g_free (upload);
}

static void
encrypt_in_thread (GTask        *task,
                   gpointer      source,
                   gpointer      task_data,
                   GCancellable *cancellable)
{
  MatrixMedia *self = source;
  Upload *upload = task_data;
  const char *directory = matrix_media_cache_get_directory (matrix_media_get_cache (self));
  g_autofree char *in_path = g_file_get_path (upload->file);
  g_autofree char *out_path = NULL;
  char *message = NULL;
  char *out = NULL;
  MxcStatus status;

  if (in_path == NULL)
    {
      g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED,
                               "Only local files can be encrypted");
      return;
    }
  if (g_mkdir_with_parents (directory, 0700) != 0)
    {
      int saved = errno;

      g_task_return_new_error (task, G_IO_ERROR, g_io_error_from_errno (saved),
                               "Could not create %s: %s", directory, g_strerror (saved));
      return;
    }
  upload->ciphertext = _matrix_media_cache_new_temp_file (matrix_media_get_cache (self));
  out_path = g_file_get_path (upload->ciphertext);
  status = mxc_attachment_encrypt_file (in_path, out_path, &out, &message);
  if (status != MXC_OK)
    {
      g_task_return_error (task, attachment_error (status, message));
      return;
    }
  mxc_string_free (message);
  upload->info_json = g_strdup (out);
  mxc_string_free (out);
  g_task_return_boolean (task, TRUE);
}

static void
on_ciphertext_uploaded (GObject      *source,
                        GAsyncResult *result,
                        gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  Upload *upload = g_task_get_task_data (task);
  g_autoptr(JsonNode) node = NULL;
  g_autofree char *uri = NULL;
  GError *error = NULL;
  JsonObject *file;

  uri = matrix_media_upload_finish (MATRIX_MEDIA (source), result, &error);
  if (uri == NULL)
    {
      g_task_return_error (task, error);
      return;
    }
  node = json_from_string (upload->info_json, &error);
  if (node == NULL || !JSON_NODE_HOLDS_OBJECT (node))
    {
      g_clear_error (&error);
      g_task_return_new_error (task, MATRIX_ERROR, MATRIX_ERROR_FAILED,
                               "The crypto library described the file wrongly");
      return;
    }
  file = json_object_ref (json_node_get_object (node));
  json_object_set_string_member (file, "url", uri);
  g_task_return_pointer (task, file, (GDestroyNotify) json_object_unref);
}

static void
on_encrypted (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  MatrixMedia *self = g_task_get_source_object (task);
  Upload *upload = g_task_get_task_data (task);
  GCancellable *cancellable = g_task_get_cancellable (task);
  GError *error = NULL;

  if (!g_task_propagate_boolean (G_TASK (result), &error))
    {
      g_task_return_error (task, error);
      return;
    }
  /* No name, no type: the server learns only the ciphertext's size. */
  matrix_media_upload_async (self, upload->ciphertext, "application/octet-stream", NULL,
                             cancellable, upload->progress_callback,
                             upload->progress_data, on_ciphertext_uploaded,
                             g_steal_pointer (&task));
}

/**
 * matrix_media_upload_encrypted_async:
 * @self: a #MatrixMedia
 * @file: the local file to send into an encrypted room
 * @cancellable: (nullable): a #GCancellable
 * @progress_callback: (nullable) (scope call) (closure progress_data): called
 *   as the ciphertext is sent, with the bytes so far and its size
 * @progress_data: data for @progress_callback
 * @callback: called with the `EncryptedFile`, or an error
 * @user_data: data for @callback
 *
 * Encrypts @file with a fresh key (in a thread) and uploads only the
 * ciphertext, as `application/octet-stream` and without a file name. The
 * result is the `EncryptedFile` to send as the event's `file` (or
 * `thumbnail_file`) in an encrypted event: see
 * matrix_media_info_set_encrypted_file(). The temporary ciphertext is
 * deleted.
 */
void
matrix_media_upload_encrypted_async (MatrixMedia           *self,
                                     GFile                 *file,
                                     GCancellable          *cancellable,
                                     GFileProgressCallback  progress_callback,
                                     gpointer               progress_data,
                                     GAsyncReadyCallback    callback,
                                     gpointer               user_data)
{
  g_autoptr(GTask) task = NULL;
  GTask *encrypt;
  Upload *upload;

  g_return_if_fail (MATRIX_IS_MEDIA (self));
  g_return_if_fail (G_IS_FILE (file));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, matrix_media_upload_encrypted_async);
  upload = g_new0 (Upload, 1);
  upload->file = g_object_ref (file);
  upload->progress_callback = progress_callback;
  upload->progress_data = progress_data;
  g_task_set_task_data (task, upload, (GDestroyNotify) upload_free);

  encrypt = g_task_new (self, cancellable, on_encrypted, g_steal_pointer (&task));
  g_task_set_task_data (encrypt, upload, NULL);
  g_task_run_in_thread (encrypt, encrypt_in_thread);
  g_object_unref (encrypt);
}

/**
 * matrix_media_upload_encrypted_finish:
 * @self: a #MatrixMedia
 * @result: the #GAsyncResult
 * @error: return location for a #GError
 *
 * Finishes matrix_media_upload_encrypted_async().
 *
 * Returns: (transfer full) (nullable): the `EncryptedFile` (`url`, `key`,
 *   `iv`, `hashes`, `v`) of the uploaded ciphertext
 */
JsonObject *
matrix_media_upload_encrypted_finish (MatrixMedia   *self,
                                      GAsyncResult  *result,
                                      GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

/* --- By a message's media ---------------------------------------------- */

static void
on_info_downloaded (GObject      *source,
                    GAsyncResult *result,
                    gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  MatrixMedia *self = MATRIX_MEDIA (source);
  GError *error = NULL;
  GFile *file;

  if (g_async_result_is_tagged (result, matrix_media_download_encrypted_async))
    file = matrix_media_download_encrypted_finish (self, result, &error);
  else if (g_async_result_is_tagged (result, matrix_media_get_thumbnail_async))
    file = matrix_media_get_thumbnail_finish (self, result, &error);
  else
    file = matrix_media_download_finish (self, result, &error);
  if (file == NULL)
    g_task_return_error (task, error);
  else
    g_task_return_pointer (task, file, g_object_unref);
}

/**
 * matrix_media_download_for_info_async:
 * @self: a #MatrixMedia
 * @info: a media message's description
 * @max_size: the most bytes to accept
 * @cancellable: (nullable): a #GCancellable
 * @progress_callback: (nullable) (scope call) (closure progress_data): called
 *   as the file is downloaded, with the bytes so far and the total
 * @progress_data: data for @progress_callback
 * @callback: called with the file, or an error
 * @user_data: data for @callback
 *
 * Downloads the file of @info into the cache: with
 * matrix_media_download_encrypted_async() when it is encrypted
 * (matrix_media_info_get_encrypted_file()), otherwise with
 * matrix_media_download_async(). Either way the result is the plaintext.
 */
void
matrix_media_download_for_info_async (MatrixMedia           *self,
                                      MatrixMediaInfo       *info,
                                      guint64                max_size,
                                      GCancellable          *cancellable,
                                      GFileProgressCallback  progress_callback,
                                      gpointer               progress_data,
                                      GAsyncReadyCallback    callback,
                                      gpointer               user_data)
{
  GTask *task;
  JsonObject *file;

  g_return_if_fail (MATRIX_IS_MEDIA (self));
  g_return_if_fail (MATRIX_IS_MEDIA_INFO (info));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, matrix_media_download_for_info_async);
  file = matrix_media_info_get_encrypted_file (info);
  if (file != NULL)
    matrix_media_download_encrypted_async (self, file, max_size, cancellable, progress_callback,
                                           progress_data, on_info_downloaded, task);
  else
    matrix_media_download_async (self, matrix_media_info_get_url (info), max_size, cancellable,
                                 progress_callback, progress_data, on_info_downloaded, task);
}

/**
 * matrix_media_download_for_info_finish:
 * @self: a #MatrixMedia
 * @result: the #GAsyncResult
 * @error: return location for a #GError
 *
 * Finishes matrix_media_download_for_info_async().
 *
 * Returns: (transfer full) (nullable): the file in the cache
 */
GFile *
matrix_media_download_for_info_finish (MatrixMedia   *self,
                                       GAsyncResult  *result,
                                       GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

/**
 * matrix_media_get_thumbnail_for_info_async:
 * @self: a #MatrixMedia
 * @info: an image or video message's description
 * @width: the width wanted, in pixels
 * @height: the height wanted, in pixels
 * @method: how the server fits the image to @width × @height
 * @max_size: the most bytes to accept
 * @cancellable: (nullable): a #GCancellable
 * @callback: called with the thumbnail, or an error
 * @user_data: data for @callback
 *
 * A thumbnail of @info's media: the server's (matrix_media_get_thumbnail_async())
 * for media in the clear; for encrypted media, which the server cannot see,
 * the sender's encrypted thumbnail (`info.thumbnail_file`), decrypted, or
 * %MATRIX_ERROR_NOT_FOUND without any request when there is none. The file
 * may be of any size: scale it.
 */
void
matrix_media_get_thumbnail_for_info_async (MatrixMedia           *self,
                                           MatrixMediaInfo       *info,
                                           guint                  width,
                                           guint                  height,
                                           MatrixThumbnailMethod  method,
                                           guint64                max_size,
                                           GCancellable          *cancellable,
                                           GAsyncReadyCallback    callback,
                                           gpointer               user_data)
{
  GTask *task;
  JsonObject *thumbnail_file;

  g_return_if_fail (MATRIX_IS_MEDIA (self));
  g_return_if_fail (MATRIX_IS_MEDIA_INFO (info));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, matrix_media_get_thumbnail_for_info_async);
  thumbnail_file = matrix_media_info_get_thumbnail_encrypted_file (info);
  if (thumbnail_file != NULL)
    matrix_media_download_encrypted_async (self, thumbnail_file, max_size, cancellable, NULL, NULL,
                                           on_info_downloaded, task);
  else if (matrix_media_info_get_encrypted_file (info) != NULL)
    {
      g_task_return_new_error (task, MATRIX_ERROR, MATRIX_ERROR_NOT_FOUND,
                               "Encrypted media without a thumbnail");
      g_object_unref (task);
    }
  else
    matrix_media_get_thumbnail_async (self, matrix_media_info_get_url (info), width, height,
                                      method, max_size, cancellable, on_info_downloaded, task);
}

/**
 * matrix_media_get_thumbnail_for_info_finish:
 * @self: a #MatrixMedia
 * @result: the #GAsyncResult
 * @error: return location for a #GError
 *
 * Finishes matrix_media_get_thumbnail_for_info_async().
 *
 * Returns: (transfer full) (nullable): the thumbnail in the cache
 */
GFile *
matrix_media_get_thumbnail_for_info_finish (MatrixMedia   *self,
                                            GAsyncResult  *result,
                                            GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}
