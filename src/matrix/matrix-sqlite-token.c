/* SPDX-License-Identifier: LGPL-2.1-or-later */
#define G_LOG_DOMAIN "matrix-sqlite-store"

/* MatrixSqliteStore's access token: in the Secret Service, or a file only
 * the user can read; never in the database. */

#include <errno.h>
#include <string.h>
#include <glib/gstdio.h>

#include "matrix-json-private.h"
#include "matrix-room-private.h"
#include "matrix-secret-private.h"
#include "matrix-sqlite-store-private.h"

/* --- the access token ---------------------------------------------------- */


void
_matrix_sqlite_note_no_keyring (const GError *error)
{
  static gsize told = 0;

  if (g_once_init_enter (&told))
    {
      g_message ("No Secret Service (%s): keeping the access token in a file only you can read",
                 error->message);
      g_once_init_leave (&told, 1);
    }
}

/* Whether no Secret Service could be reached at all, as opposed to one
 * that answered with an error. */
static gboolean
secret_service_missing (const GError *error)
{
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return FALSE;
  return error->domain == G_DBUS_ERROR || error->domain == G_IO_ERROR ||
         error->domain == G_SPAWN_ERROR;
}

static void
on_secret_stored (GObject      *source,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  g_autoptr(MatrixSqliteStore) self = user_data;
  g_autoptr(GError) error = NULL;
  SecretOp *op = g_queue_pop_head (&self->secret_ops);

  self->secret_busy = FALSE;

  if (_matrix_secret_store_finish (result, &error))
    {
      self->secret_backend = SECRET_KEYRING;
      /* A token kept in a file while there was no keyring must not linger. */
      _matrix_sqlite_job_push (self->writer, JOB_SECRET_FILE, NULL, NULL, NULL);
    }
  else if (secret_service_missing (error))
    {
      _matrix_sqlite_note_no_keyring (error);
      self->secret_backend = SECRET_FILE;
      _matrix_sqlite_job_push (self->writer, JOB_SECRET_FILE, NULL, NULL, op->token);
    }
  else
    {
      /* A keyring that refused (locked, dismissed prompt...) is no reason
       * to write the token in plain text: it stays in memory only. */
      g_warning ("Could not save the access token in the keyring: %s", error->message);
    }

  _matrix_sqlite_secret_op_free (op);
  _matrix_sqlite_store_secret_next (self);
}

static void
on_barrier (GObject      *source,
            GAsyncResult *result,
            gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;

  g_task_return_boolean (task, TRUE);
}

void
_matrix_sqlite_store_secret_next (MatrixSqliteStore *self)
{
  SecretOp *op;

  while (!self->secret_busy && (op = g_queue_peek_head (&self->secret_ops)) != NULL)
    {
      if (self->secret_backend == SECRET_FILE)
        {
          _matrix_sqlite_job_push (self->writer, JOB_SECRET_FILE, NULL, NULL, op->token);
          _matrix_sqlite_secret_op_free (g_queue_pop_head (&self->secret_ops));
          continue;
        }

      self->secret_busy = TRUE;
      _matrix_secret_store_async (self->secret_schema, op->user_id, op->homeserver, op->token,
                                  NULL, on_secret_stored, g_object_ref (self));
    }

  if (!self->secret_busy && self->flush_waiters->len > 0)
    {
      for (guint i = 0; i < self->flush_waiters->len; i++)
        _matrix_sqlite_job_push (self->writer, JOB_BARRIER,
                  g_task_new (NULL, NULL, on_barrier, g_ptr_array_index (self->flush_waiters, i)),
                  NULL, NULL);
      /* The jobs own the tasks now. */
      g_ptr_array_set_free_func (self->flush_waiters, NULL);
      g_ptr_array_set_size (self->flush_waiters, 0);
      g_ptr_array_set_free_func (self->flush_waiters, g_object_unref);
    }
}

void
_matrix_sqlite_store_queue_secret (MatrixSqliteStore *self,
              const char        *token)
{
  SecretOp *op = g_new0 (SecretOp, 1);
  const char *user_id = g_hash_table_lookup (self->cache->values, MATRIX_STORE_KEY_USER_ID);
  const char *homeserver = g_hash_table_lookup (self->cache->values, MATRIX_STORE_KEY_HOMESERVER);

  op->user_id = g_strdup (user_id != NULL ? user_id : "");
  op->homeserver = g_strdup (homeserver != NULL ? homeserver : "");
  op->token = g_strdup (token);
  g_queue_push_tail (&self->secret_ops, op);
  _matrix_sqlite_store_secret_next (self);
}
