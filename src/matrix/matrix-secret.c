/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "matrix-secret"

#include <errno.h>
#include <glib/gstdio.h>
#include <libsecret/secret.h>

#include "matrix-secret-private.h"

static const SecretSchema *
session_schema (void)
{
  static const SecretSchema schema = {
    "io.github.confab.Confab.Session", SECRET_SCHEMA_NONE,
    {
      { "user-id", SECRET_SCHEMA_ATTRIBUTE_STRING },
      { "homeserver", SECRET_SCHEMA_ATTRIBUTE_STRING },
      { NULL, 0 },
    },
  };

  return &schema;
}

static void
on_looked_up (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  GError *error = NULL;
  char *token = secret_password_lookup_finish (result, &error);

  if (error != NULL)
    g_task_return_error (task, error);
  else
    g_task_return_pointer (task, token, (GDestroyNotify) secret_password_free);
}

void
_matrix_secret_lookup_async (const char          *user_id,
                             const char          *homeserver,
                             GCancellable        *cancellable,
                             GAsyncReadyCallback  callback,
                             gpointer             user_data)
{
  GTask *task = g_task_new (NULL, cancellable, callback, user_data);

  g_task_set_source_tag (task, _matrix_secret_lookup_async);
  secret_password_lookup (session_schema (), cancellable, on_looked_up, task,
                          "user-id", user_id, "homeserver", homeserver, NULL);
}

char *
_matrix_secret_lookup_finish (GAsyncResult  *result,
                              GError       **error)
{
  char *secret = g_task_propagate_pointer (G_TASK (result), error);
  char *copy;

  /* libsecret's copy lives in non-pageable memory; hand out a plain string. */
  copy = g_strdup (secret);
  secret_password_free (secret);
  return copy;
}

static void
on_stored (GObject      *source,
           GAsyncResult *result,
           gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  GError *error = NULL;

  if (g_task_get_task_data (task) != NULL)
    secret_password_store_finish (result, &error);
  else
    secret_password_clear_finish (result, &error);

  if (error != NULL)
    g_task_return_error (task, error);
  else
    g_task_return_boolean (task, TRUE);
}

void
_matrix_secret_store_async (const char          *user_id,
                            const char          *homeserver,
                            const char          *token,
                            GCancellable        *cancellable,
                            GAsyncReadyCallback  callback,
                            gpointer             user_data)
{
  GTask *task = g_task_new (NULL, cancellable, callback, user_data);
  g_autofree char *label = NULL;

  g_task_set_source_tag (task, _matrix_secret_store_async);
  /* Only a marker of which call to finish: the token itself is not kept. */
  g_task_set_task_data (task, GINT_TO_POINTER (token != NULL), NULL);

  if (token == NULL)
    {
      secret_password_clear (session_schema (), cancellable, on_stored, task,
                             "user-id", user_id, "homeserver", homeserver, NULL);
      return;
    }

  label = g_strdup_printf ("Confab session of %s", user_id);
  secret_password_store (session_schema (), SECRET_COLLECTION_DEFAULT, label, token,
                         cancellable, on_stored, task,
                         "user-id", user_id, "homeserver", homeserver, NULL);
}

gboolean
_matrix_secret_store_finish (GAsyncResult  *result,
                             GError       **error)
{
  return g_task_propagate_boolean (G_TASK (result), error);
}

gboolean
_matrix_secret_file_write (const char  *path,
                           const char  *token,
                           GError     **error)
{
  if (token == NULL)
    {
      if (g_unlink (path) != 0 && errno != ENOENT)
        {
          int saved_errno = errno;

          g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved_errno),
                       "Could not remove %s: %s", path, g_strerror (saved_errno));
          return FALSE;
        }
      return TRUE;
    }

  /* Written to a temporary file created 0600 and renamed over the old one,
   * so the token is never readable by others, not even for a moment. */
  return g_file_set_contents_full (path, token, -1,
                                   G_FILE_SET_CONTENTS_CONSISTENT | G_FILE_SET_CONTENTS_DURABLE,
                                   0600, error);
}

char *
_matrix_secret_file_read (const char  *path,
                          GError     **error)
{
  g_autoptr(GError) local_error = NULL;
  char *contents = NULL;

  if (!g_file_get_contents (path, &contents, NULL, &local_error))
    {
      if (!g_error_matches (local_error, G_FILE_ERROR, G_FILE_ERROR_NOENT))
        g_propagate_error (error, g_steal_pointer (&local_error));
      return NULL;
    }

  if (contents[0] == '\0')
    g_clear_pointer (&contents, g_free);

  return contents;
}
