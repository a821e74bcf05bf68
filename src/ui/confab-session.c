/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "confab-session"

#include <glib/gstdio.h>

#include "confab-session.h"

#define GROUP "Session"

/* The sync token is deliberately not kept: the store is in memory, so the
 * rooms it described are gone after a restart and the next sync has to be a
 * full one. */
static const char *keys[] = {
  MATRIX_STORE_KEY_HOMESERVER,
  MATRIX_STORE_KEY_USER_ID,
  MATRIX_STORE_KEY_DEVICE_ID,
  MATRIX_STORE_KEY_ACCESS_TOKEN,
};

MatrixStore *
confab_session_create_store (void)
{
  return matrix_memory_store_new ();
}

char *
confab_session_get_path (void)
{
  return g_build_filename (g_get_user_data_dir (), "confab", "session.ini", NULL);
}

static void
on_loaded (GObject      *source,
           GAsyncResult *result,
           gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(GKeyFile) key_file = g_key_file_new ();
  g_autoptr(MatrixStore) store = NULL;
  g_autofree char *contents = NULL;
  g_autofree char *homeserver = NULL;
  gsize length = 0;

  if (!g_file_load_contents_finish (G_FILE (source), result, &contents, &length, NULL, &error))
    {
      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND))
        g_task_return_pointer (task, NULL, NULL);
      else
        g_task_return_error (task, g_steal_pointer (&error));
      return;
    }

  if (!g_key_file_load_from_data (key_file, contents, length, G_KEY_FILE_NONE, &error))
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }

  homeserver = g_key_file_get_string (key_file, GROUP, MATRIX_STORE_KEY_HOMESERVER, NULL);
  if (homeserver == NULL)
    {
      g_task_return_pointer (task, NULL, NULL);
      return;
    }

  store = confab_session_create_store ();
  for (guint i = 0; i < G_N_ELEMENTS (keys); i++)
    {
      g_autofree char *value = g_key_file_get_string (key_file, GROUP, keys[i], NULL);

      if (value != NULL)
        matrix_store_set_value (store, keys[i], value);
    }

  if (matrix_store_get_value (store, MATRIX_STORE_KEY_ACCESS_TOKEN) == NULL)
    {
      g_task_return_pointer (task, NULL, NULL);
      return;
    }

  g_task_return_pointer (task, matrix_client_new (homeserver, store), g_object_unref);
}

void
confab_session_load_async (GCancellable        *cancellable,
                           GAsyncReadyCallback  callback,
                           gpointer             user_data)
{
  g_autofree char *path = confab_session_get_path ();
  g_autoptr(GFile) file = g_file_new_for_path (path);
  GTask *task = g_task_new (NULL, cancellable, callback, user_data);

  g_task_set_source_tag (task, confab_session_load_async);
  g_file_load_contents_async (file, cancellable, on_loaded, task);
}

MatrixClient *
confab_session_load_finish (GAsyncResult  *result,
                            GError       **error)
{
  return g_task_propagate_pointer (G_TASK (result), error);
}

static void
on_replaced (GObject      *source,
             GAsyncResult *result,
             gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  GError *error = NULL;

  if (!g_file_replace_contents_finish (G_FILE (source), result, NULL, &error))
    g_task_return_error (task, error);
  else
    g_task_return_boolean (task, TRUE);
}

static void
on_made_directory (GObject      *source,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  g_autoptr(GError) error = NULL;
  g_autofree char *path = confab_session_get_path ();
  g_autoptr(GFile) file = g_file_new_for_path (path);
  GBytes *bytes = g_task_get_task_data (task);

  if (!g_file_make_directory_finish (G_FILE (source), result, &error) &&
      !g_error_matches (error, G_IO_ERROR, G_IO_ERROR_EXISTS))
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }

  /* G_FILE_CREATE_PRIVATE: the file holds the access token. */
  g_file_replace_contents_bytes_async (file, bytes, NULL, FALSE,
                                       G_FILE_CREATE_PRIVATE | G_FILE_CREATE_REPLACE_DESTINATION,
                                       g_task_get_cancellable (task), on_replaced,
                                       g_object_ref (task));
}

void
confab_session_save_async (MatrixClient        *client,
                           GCancellable        *cancellable,
                           GAsyncReadyCallback  callback,
                           gpointer             user_data)
{
  MatrixStore *store = matrix_client_get_store (client);
  g_autoptr(GKeyFile) key_file = g_key_file_new ();
  g_autofree char *path = confab_session_get_path ();
  g_autofree char *dir = g_path_get_dirname (path);
  g_autoptr(GFile) directory = g_file_new_for_path (dir);
  GTask *task = g_task_new (NULL, cancellable, callback, user_data);
  char *data;
  gsize length;

  g_task_set_source_tag (task, confab_session_save_async);

  for (guint i = 0; i < G_N_ELEMENTS (keys); i++)
    {
      const char *value = matrix_store_get_value (store, keys[i]);

      if (value != NULL)
        g_key_file_set_string (key_file, GROUP, keys[i], value);
    }
  /* The client may have been made from a URL that the store does not hold. */
  g_key_file_set_string (key_file, GROUP, MATRIX_STORE_KEY_HOMESERVER,
                         matrix_client_get_homeserver (client));

  data = g_key_file_to_data (key_file, &length, NULL);
  g_task_set_task_data (task, g_bytes_new_take (data, length), (GDestroyNotify) g_bytes_unref);

  g_file_make_directory_async (directory, G_PRIORITY_DEFAULT, cancellable, on_made_directory, task);
}

gboolean
confab_session_save_finish (GAsyncResult  *result,
                            GError       **error)
{
  return g_task_propagate_boolean (G_TASK (result), error);
}

static void
on_deleted (GObject      *source,
            GAsyncResult *result,
            gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  g_autoptr(GError) error = NULL;

  if (!g_file_delete_finish (G_FILE (source), result, &error) &&
      !g_error_matches (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND))
    g_task_return_error (task, g_steal_pointer (&error));
  else
    g_task_return_boolean (task, TRUE);
}

void
confab_session_forget_async (GCancellable        *cancellable,
                             GAsyncReadyCallback  callback,
                             gpointer             user_data)
{
  g_autofree char *path = confab_session_get_path ();
  g_autoptr(GFile) file = g_file_new_for_path (path);
  GTask *task = g_task_new (NULL, cancellable, callback, user_data);

  g_task_set_source_tag (task, confab_session_forget_async);
  g_file_delete_async (file, G_PRIORITY_DEFAULT, cancellable, on_deleted, task);
}

gboolean
confab_session_forget_finish (GAsyncResult  *result,
                              GError       **error)
{
  return g_task_propagate_boolean (G_TASK (result), error);
}
