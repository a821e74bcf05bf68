/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "matrix-store.h"

G_BEGIN_DECLS

#define MATRIX_SQLITE_STORE_ERROR (matrix_sqlite_store_error_quark ())

/**
 * MatrixSqliteStoreError:
 * @MATRIX_SQLITE_STORE_ERROR_FAILED: SQLite reported an error
 * @MATRIX_SQLITE_STORE_ERROR_FUTURE_VERSION: the database was written by a newer
 *   matrix-glib; it is left untouched
 *
 * Errors of the %MATRIX_SQLITE_STORE_ERROR domain.
 */
typedef enum {
  MATRIX_SQLITE_STORE_ERROR_FAILED,
  MATRIX_SQLITE_STORE_ERROR_FUTURE_VERSION,
} MatrixSqliteStoreError;

/**
 * MATRIX_SQLITE_STORE_SCHEMA_VERSION:
 *
 * The version of the database schema this library writes (SQLite's
 * `user_version`). Older databases are migrated when opened; newer ones are
 * refused with %MATRIX_SQLITE_STORE_ERROR_FUTURE_VERSION.
 */
#define MATRIX_SQLITE_STORE_SCHEMA_VERSION 2
/**
 * MATRIX_SQLITE_STORE_DEFAULT_TIMELINE_LIMIT:
 *
 * How many of the newest timeline events a #MatrixSqliteStore keeps per
 * room, unless told otherwise (#MatrixSqliteStore:timeline-limit).
 */
#define MATRIX_SQLITE_STORE_DEFAULT_TIMELINE_LIMIT 500

#define MATRIX_TYPE_SQLITE_STORE (matrix_sqlite_store_get_type ())
G_DECLARE_FINAL_TYPE (MatrixSqliteStore, matrix_sqlite_store, MATRIX, SQLITE_STORE, GObject)

GQuark             matrix_sqlite_store_error_quark          (void);

char              *matrix_sqlite_store_default_dir          (const char           *application,
                                                             const char           *user_id);

void               matrix_sqlite_store_new_async            (const char           *directory,
                                                             guint                 timeline_limit,
                                                             GCancellable         *cancellable,
                                                             GAsyncReadyCallback   callback,
                                                             gpointer              user_data);
void               matrix_sqlite_store_new_for_session_async (const char         *directory,
                                                              const char         *user_id,
                                                              const char         *homeserver,
                                                              guint               timeline_limit,
                                                              GCancellable       *cancellable,
                                                              GAsyncReadyCallback callback,
                                                              gpointer            user_data);
void               matrix_sqlite_store_new_lazy_async       (const char           *directory,
                                                             const char           *user_id,
                                                             const char           *homeserver,
                                                             guint                 timeline_limit,
                                                             GCancellable         *cancellable,
                                                             GAsyncReadyCallback   callback,
                                                             gpointer              user_data);
MatrixStore       *matrix_sqlite_store_new_finish           (GAsyncResult         *result,
                                                             GError              **error);

const char        *matrix_sqlite_store_get_directory        (MatrixSqliteStore    *self);
const char        *matrix_sqlite_store_get_database_path    (MatrixSqliteStore    *self);
const char        *matrix_sqlite_store_get_corrupt_file     (MatrixSqliteStore    *self);
gboolean           matrix_sqlite_store_get_secret_in_keyring (MatrixSqliteStore   *self);
gboolean           matrix_sqlite_store_get_token_pending    (MatrixSqliteStore    *self);
void               matrix_sqlite_store_wait_for_token_async (MatrixSqliteStore    *self,
                                                             GCancellable         *cancellable,
                                                             GAsyncReadyCallback   callback,
                                                             gpointer              user_data);
gboolean           matrix_sqlite_store_wait_for_token_finish (MatrixSqliteStore   *self,
                                                              GAsyncResult        *result,
                                                              GError             **error);

void               matrix_sqlite_store_flush_async          (MatrixSqliteStore    *self,
                                                             GCancellable         *cancellable,
                                                             GAsyncReadyCallback   callback,
                                                             gpointer              user_data);
gboolean           matrix_sqlite_store_flush_finish         (MatrixSqliteStore    *self,
                                                             GAsyncResult         *result,
                                                             GError              **error);

G_END_DECLS
