/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "matrix-client.h"

G_BEGIN_DECLS

/**
 * MatrixKeyBackupState:
 * @MATRIX_KEY_BACKUP_STATE_UNKNOWN: not checked yet (see
 *   matrix_client_setup_key_backup_async()), or the client has no
 *   encryption keys
 * @MATRIX_KEY_BACKUP_STATE_NONE: the server has no key backup
 * @MATRIX_KEY_BACKUP_STATE_ENABLED: this session backs up its room keys to
 *   the server's backup, and can read it
 * @MATRIX_KEY_BACKUP_STATE_LOCKED: the server has a backup this session
 *   cannot read yet: matrix_client_restore_from_recovery_key_async() opens
 *   it with the recovery key
 *
 * How the server-side backup of room keys stands for this session
 * (matrix_client_get_key_backup_state()).
 */
typedef enum {
  MATRIX_KEY_BACKUP_STATE_UNKNOWN,
  MATRIX_KEY_BACKUP_STATE_NONE,
  MATRIX_KEY_BACKUP_STATE_ENABLED,
  MATRIX_KEY_BACKUP_STATE_LOCKED,
} MatrixKeyBackupState;

#define MATRIX_TYPE_KEY_BACKUP_STATE (matrix_key_backup_state_get_type ())
GType matrix_key_backup_state_get_type (void) G_GNUC_CONST;

/**
 * MATRIX_KEY_BACKUP_ERROR:
 *
 * The error domain of key backup and recovery: #MatrixKeyBackupError.
 * Failed requests are %MATRIX_ERROR errors, and a server answer that does
 * not match the specification is %MATRIX_ERROR_INVALID_RESPONSE.
 */
#define MATRIX_KEY_BACKUP_ERROR (matrix_key_backup_error_quark ())

/**
 * MatrixKeyBackupError:
 * @MATRIX_KEY_BACKUP_ERROR_NO_ENCRYPTION: the client has no encryption keys
 *   (matrix_client_enable_encryption_async())
 * @MATRIX_KEY_BACKUP_ERROR_INVALID_KEY: the text is not a recovery key (a
 *   typing mistake: its checksum or length is wrong)
 * @MATRIX_KEY_BACKUP_ERROR_WRONG_KEY: a recovery key, but not the one of the
 *   server's backup
 * @MATRIX_KEY_BACKUP_ERROR_NO_BACKUP: the server has no key backup
 * @MATRIX_KEY_BACKUP_ERROR_UNSUPPORTED: the server's backup uses an algorithm
 *   this library does not know
 * @MATRIX_KEY_BACKUP_ERROR_FAILED: the crypto store failed
 *
 * Errors of key backup and recovery.
 */
typedef enum {
  MATRIX_KEY_BACKUP_ERROR_NO_ENCRYPTION,
  MATRIX_KEY_BACKUP_ERROR_INVALID_KEY,
  MATRIX_KEY_BACKUP_ERROR_WRONG_KEY,
  MATRIX_KEY_BACKUP_ERROR_NO_BACKUP,
  MATRIX_KEY_BACKUP_ERROR_UNSUPPORTED,
  MATRIX_KEY_BACKUP_ERROR_FAILED,
} MatrixKeyBackupError;

GQuark                matrix_key_backup_error_quark               (void);

void                  matrix_client_setup_key_backup_async        (MatrixClient         *self,
                                                                   GCancellable         *cancellable,
                                                                   GAsyncReadyCallback   callback,
                                                                   gpointer              user_data);
gboolean              matrix_client_setup_key_backup_finish       (MatrixClient         *self,
                                                                   GAsyncResult         *result,
                                                                   char                **recovery_key,
                                                                   GError              **error);

void                  matrix_client_restore_from_recovery_key_async  (MatrixClient         *self,
                                                                      const char           *recovery_key,
                                                                      GCancellable         *cancellable,
                                                                      GAsyncReadyCallback   callback,
                                                                      gpointer              user_data);
gboolean              matrix_client_restore_from_recovery_key_finish (MatrixClient         *self,
                                                                      GAsyncResult         *result,
                                                                      guint                *n_imported,
                                                                      GError              **error);

void                  matrix_client_upload_room_keys_async        (MatrixClient         *self,
                                                                   GCancellable         *cancellable,
                                                                   GAsyncReadyCallback   callback,
                                                                   gpointer              user_data);
gboolean              matrix_client_upload_room_keys_finish       (MatrixClient         *self,
                                                                   GAsyncResult         *result,
                                                                   guint                *n_backed_up,
                                                                   GError              **error);

MatrixKeyBackupState  matrix_client_get_key_backup_state          (MatrixClient         *self);
const char           *matrix_client_get_key_backup_version        (MatrixClient         *self);

G_END_DECLS
