/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "example-session"

#include <glib/gstdio.h>

#include "example-session.h"

static const char *keys[] = {
  MATRIX_STORE_KEY_HOMESERVER,
  MATRIX_STORE_KEY_USER_ID,
  MATRIX_STORE_KEY_DEVICE_ID,
  MATRIX_STORE_KEY_ACCESS_TOKEN,
  MATRIX_STORE_KEY_SYNC_TOKEN,
};

char *
example_session_default_path (void)
{
  const char *path = g_getenv ("CONFAB_EXAMPLE_SESSION");

  if (path != NULL)
    return g_strdup (path);

  return g_build_filename (g_get_user_config_dir (), "confab", "example-session.json", NULL);
}

/* The sync token may only move through a commit, so a restored token goes in
 * the same way: committing the (empty) restored state with it. */
static void
on_committed (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  GAsyncResult **out = user_data;

  *out = g_object_ref (result);
}

static void
restore_sync_token (MatrixStore *store,
                    const char  *token)
{
  g_autoptr(GMainContext) context = g_main_context_new ();
  g_autoptr(GAsyncResult) result = NULL;

  g_main_context_push_thread_default (context);
  matrix_store_commit_async (store, token, NULL, on_committed, &result);
  while (result == NULL)
    g_main_context_iteration (context, TRUE);
  g_main_context_pop_thread_default (context);

  matrix_store_commit_finish (store, result, NULL);
}

MatrixStore *
example_session_load (const char  *path,
                      GError     **error)
{
  g_autoptr(MatrixStore) store = matrix_memory_store_new ();
  g_autoptr(JsonParser) parser = json_parser_new ();
  JsonObject *object;
  JsonNode *root;

  if (!json_parser_load_from_mapped_file (parser, path, error))
    return NULL;

  root = json_parser_get_root (parser);
  if (root == NULL || !JSON_NODE_HOLDS_OBJECT (root))
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, "%s is not a session file", path);
      return NULL;
    }
  object = json_node_get_object (root);

  for (guint i = 0; i < G_N_ELEMENTS (keys); i++)
    {
      JsonNode *node = json_object_get_member (object, keys[i]);

      if (node == NULL || !JSON_NODE_HOLDS_VALUE (node) ||
          json_node_get_value_type (node) != G_TYPE_STRING)
        continue;

      if (g_str_equal (keys[i], MATRIX_STORE_KEY_SYNC_TOKEN))
        restore_sync_token (store, json_node_get_string (node));
      else
        matrix_store_set_value (store, keys[i], json_node_get_string (node));
    }

  return g_steal_pointer (&store);
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

void
example_session_save_async (MatrixStore         *store,
                            const char          *path,
                            GCancellable        *cancellable,
                            GAsyncReadyCallback  callback,
                            gpointer             user_data)
{
  g_autoptr(JsonObject) object = json_object_new ();
  g_autoptr(JsonNode) root = NULL;
  g_autoptr(JsonGenerator) generator = json_generator_new ();
  g_autoptr(GFile) file = g_file_new_for_path (path);
  g_autoptr(GBytes) bytes = NULL;
  g_autofree char *dir = g_path_get_dirname (path);
  GTask *task = g_task_new (NULL, cancellable, callback, user_data);
  char *text;

  g_task_set_source_tag (task, example_session_save_async);

  for (guint i = 0; i < G_N_ELEMENTS (keys); i++)
    {
      const char *value = matrix_store_get_value (store, keys[i]);

      if (value != NULL)
        json_object_set_string_member (object, keys[i], value);
    }

  root = json_node_init_object (json_node_alloc (), object);
  json_generator_set_root (generator, root);
  json_generator_set_pretty (generator, TRUE);
  text = json_generator_to_data (generator, NULL);
  bytes = g_bytes_new_take (text, strlen (text));

  g_mkdir_with_parents (dir, 0700);
  /* G_FILE_CREATE_PRIVATE: the file holds the access token. */
  g_file_replace_contents_bytes_async (file, bytes, NULL, FALSE,
                                       G_FILE_CREATE_PRIVATE | G_FILE_CREATE_REPLACE_DESTINATION,
                                       cancellable, on_replaced, task);
}

gboolean
example_session_save_finish (GAsyncResult  *result,
                             GError       **error)
{
  return g_task_propagate_boolean (G_TASK (result), error);
}
