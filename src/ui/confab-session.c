/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "confab-session"

#include "config.h"

#include <errno.h>
#include <string.h>

#include <glib/gstdio.h>

#include "confab-session.h"

#define GROUP "Session"

/* What Confab calls the things the library keeps for it. Every Confab so far
 * has used these, so a saved session carries on; the development profile
 * keeps its own (config.h), so that it runs beside the stable app without
 * touching its session. */
#define APP_DIR       DATA_DIR_NAME
#define DATABASE_NAME "confab.db"
#define SECRET_SCHEMA CONFAB_SESSION_SECRET_SCHEMA

/* What session.ini holds. The access token lives in the store (keyring); the
 * sync token and the rooms too. */
static const char *keys[] = {
  MATRIX_STORE_KEY_HOMESERVER,
  MATRIX_STORE_KEY_USER_ID,
  MATRIX_STORE_KEY_DEVICE_ID,
};

MatrixStore *
confab_session_create_store (void)
{
  return matrix_memory_store_new ();
}

char *
confab_session_get_path (void)
{
  return g_build_filename (g_get_user_data_dir (), APP_DIR, "session.ini", NULL);
}

char *
confab_session_get_store_dir (const char *user_id)
{
  return matrix_sqlite_store_default_dir (APP_DIR, user_id);
}

MatrixClient *
confab_session_new_client (const char  *homeserver,
                           MatrixStore *store)
{
  return g_object_new (MATRIX_TYPE_CLIENT,
                       "homeserver", homeserver,
                       "store", store,
                       "user-agent", "Confab/" PACKAGE_VERSION,
                       "device-display-name", "Confab",
                       /* Sliding sync is not the app's yet: opened under it,
                        * a room shows no "new messages" divider at the
                        * fully-read marker (integration-test-app-room-open). */
                       "sync-mode", MATRIX_SYNC_MODE_CLASSIC,
                       NULL);
}

/* Knowing the session lets a reset store find its token again. Lazy: the window shows the room list from what opening reads, and a
 * room's members and timeline are read when it is opened or synced. Token
 * later: what is stored shows whatever the keyring does (a keyring that
 * does not answer takes D-Bus's 25 s to fail); only syncing and sending
 * wait for the token. */
static void
open_account_store_async (const char          *user_id,
                          const char          *homeserver,
                          GCancellable        *cancellable,
                          GAsyncReadyCallback  callback,
                          gpointer             user_data)
{
  g_autofree char *directory = confab_session_get_store_dir (user_id);

  g_async_initable_new_async (MATRIX_TYPE_SQLITE_STORE, G_PRIORITY_DEFAULT, cancellable,
                              callback, user_data,
                              "directory", directory,
                              "database-name", DATABASE_NAME,
                              "secret-schema", SECRET_SCHEMA,
                              "user-id", user_id,
                              "homeserver", homeserver,
                              "lazy", TRUE,
                              "token-later", TRUE,
                              NULL);
}

/* Writing session.ini */

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

  g_file_replace_contents_bytes_async (file, bytes, NULL, FALSE,
                                       G_FILE_CREATE_PRIVATE | G_FILE_CREATE_REPLACE_DESTINATION,
                                       g_task_get_cancellable (task), on_replaced,
                                       g_object_ref (task));
}

/* @values: homeserver, user id, device id, in the order of keys[]. */
static void
write_session_async (const char * const  *values,
                     GCancellable        *cancellable,
                     GAsyncReadyCallback  callback,
                     gpointer             user_data)
{
  g_autoptr(GKeyFile) key_file = g_key_file_new ();
  g_autofree char *path = confab_session_get_path ();
  g_autofree char *dir = g_path_get_dirname (path);
  g_autoptr(GFile) directory = g_file_new_for_path (dir);
  GTask *task = g_task_new (NULL, cancellable, callback, user_data);
  char *data;
  gsize length;

  g_task_set_source_tag (task, write_session_async);

  for (guint i = 0; i < G_N_ELEMENTS (keys); i++)
    if (values[i] != NULL)
      g_key_file_set_string (key_file, GROUP, keys[i], values[i]);

  data = g_key_file_to_data (key_file, &length, NULL);
  g_task_set_task_data (task, g_bytes_new_take (data, length), (GDestroyNotify) g_bytes_unref);

  g_file_make_directory_async (directory, G_PRIORITY_DEFAULT, cancellable, on_made_directory, task);
}

void
confab_session_save_async (MatrixClient        *client,
                           GCancellable        *cancellable,
                           GAsyncReadyCallback  callback,
                           gpointer             user_data)
{
  MatrixStore *store;
  const char *values[G_N_ELEMENTS (keys)];

  g_return_if_fail (MATRIX_IS_CLIENT (client));

  store = matrix_client_get_store (client);
  /* The client may have been made from a URL that the store does not hold. */
  values[0] = matrix_client_get_homeserver (client);
  values[1] = matrix_store_get_value (store, MATRIX_STORE_KEY_USER_ID);
  values[2] = matrix_store_get_value (store, MATRIX_STORE_KEY_DEVICE_ID);

  write_session_async (values, cancellable, callback, user_data);
}

gboolean
confab_session_save_finish (GAsyncResult  *result,
                            GError       **error)
{
  return g_task_propagate_boolean (G_TASK (result), error);
}

/* Opening the store */

static void
on_store_opened (GObject      *source,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  GError *error = NULL;
  MatrixStore *store = matrix_sqlite_store_new_finish (result, &error);

  if (store == NULL)
    g_task_return_error (task, error);
  else
    g_task_return_pointer (task, store, g_object_unref);
}

/* A store opened ahead of time, for the session in session.ini, until the
 * window asks for it (main thread only). */
typedef struct {
  char        *user_id;
  char        *homeserver;
  gboolean     done;
  MatrixStore *store;
  GError      *error;
  GTask       *waiter;   /* the confab_session_open_store_async() it goes to */
  /* session.ini as read then, for confab_session_load_async() */
  char        *contents;
  gsize        length;
} Prefetch;

static Prefetch *prefetch;

static void
wipe_contents (char  *contents,
               gsize  length)
{
  /* An old session.ini may hold an access token. */
  if (contents != NULL)
    memset (contents, 0, length);
  g_free (contents);
}

static void
prefetch_hand_over (Prefetch *p)
{
  g_autoptr(GTask) waiter = g_steal_pointer (&p->waiter);

  if (p->store != NULL)
    g_task_return_pointer (waiter, g_steal_pointer (&p->store), g_object_unref);
  else
    g_task_return_error (waiter, g_steal_pointer (&p->error));
  wipe_contents (p->contents, p->length);
  g_free (p->user_id);
  g_free (p->homeserver);
  g_free (p);
}

static void
on_prefetched (GObject      *source,
               GAsyncResult *result,
               gpointer      user_data)
{
  Prefetch *p = user_data;

  p->store = matrix_sqlite_store_new_finish (result, &p->error);
  p->done = TRUE;
  if (p->waiter != NULL)
    prefetch_hand_over (p);
}

/**
 * confab_session_prefetch:
 *
 * Starts opening the store of the saved session, if there is one, so that
 * the disk is read while GTK starts: call it before the first window. The
 * next confab_session_open_store_async() for that session takes it over.
 * Reads session.ini at once: a small local file, read before the main loop
 * runs.
 */
void
confab_session_prefetch (void)
{
  g_autofree char *path = confab_session_get_path ();
  g_autoptr(GKeyFile) key_file = g_key_file_new ();
  char *contents = NULL;
  gsize length = 0;

  if (prefetch != NULL || !g_file_get_contents (path, &contents, &length, NULL))
    return;
  if (!g_key_file_load_from_data (key_file, contents, length, G_KEY_FILE_NONE, NULL))
    {
      wipe_contents (contents, length);
      return;
    }

  prefetch = g_new0 (Prefetch, 1);
  prefetch->contents = contents;
  prefetch->length = length;
  prefetch->homeserver = g_key_file_get_string (key_file, GROUP, MATRIX_STORE_KEY_HOMESERVER, NULL);
  prefetch->user_id = g_key_file_get_string (key_file, GROUP, MATRIX_STORE_KEY_USER_ID, NULL);
  if (prefetch->homeserver == NULL || prefetch->user_id == NULL)
    {
      wipe_contents (prefetch->contents, prefetch->length);
      g_free (prefetch->homeserver);
      g_free (prefetch->user_id);
      g_clear_pointer (&prefetch, g_free);
      return;
    }

  /* The store asks the keyring for the token once it has read the
   * database, and the main loop only runs once GTK has started: looked up
   * now, on a thread, the token is there when the store asks. */
  matrix_secret_prefetch (SECRET_SCHEMA, prefetch->user_id, prefetch->homeserver);
  open_account_store_async (prefetch->user_id, prefetch->homeserver, NULL, on_prefetched, prefetch);
}

/* Takes the prefetched store of this session over, if there is one. */
static gboolean
take_prefetched (const char *user_id,
                 const char *homeserver,
                 GTask      *task)
{
  Prefetch *p = prefetch;

  if (p == NULL || p->waiter != NULL || g_strcmp0 (p->user_id, user_id) != 0 ||
      g_strcmp0 (p->homeserver, homeserver) != 0)
    return FALSE;

  prefetch = NULL;
  p->waiter = task;
  if (p->done)
    prefetch_hand_over (p);
  return TRUE;
}

void
confab_session_open_store_async (const char          *user_id,
                                 const char          *homeserver,
                                 GCancellable        *cancellable,
                                 GAsyncReadyCallback  callback,
                                 gpointer             user_data)
{
  GTask *task;

  g_return_if_fail (user_id != NULL);

  task = g_task_new (NULL, cancellable, callback, user_data);
  g_task_set_source_tag (task, confab_session_open_store_async);
  if (take_prefetched (user_id, homeserver, task))
    return;

  open_account_store_async (user_id, homeserver, cancellable, on_store_opened, task);
}

MatrixStore *
confab_session_open_store_finish (GAsyncResult  *result,
                                  GError       **error)
{
  return g_task_propagate_pointer (G_TASK (result), error);
}

/* Loading */

typedef struct {
  char *values[G_N_ELEMENTS (keys)];
  char *access_token;   /* only in a session.ini of an older Confab */
} LoadData;

static void
load_data_free (LoadData *data)
{
  for (guint i = 0; i < G_N_ELEMENTS (keys); i++)
    g_free (data->values[i]);
  if (data->access_token != NULL)
    memset (data->access_token, 0, strlen (data->access_token));
  g_free (data->access_token);
  g_free (data);
}

static void
on_migrated (GObject      *source,
             GAsyncResult *result,
             gpointer      user_data)
{
  g_autoptr(GError) error = NULL;

  if (!g_task_propagate_boolean (G_TASK (result), &error))
    g_warning ("Could not rewrite the session file without the access token: %s",
               error->message);
}

static void
on_token_moved (GObject      *source,
                GAsyncResult *result,
                gpointer      user_data)
{
  LoadData *data = user_data;
  g_autoptr(GError) error = NULL;

  /* Only once the token is safe in the store does it leave the file. */
  if (matrix_sqlite_store_flush_finish (MATRIX_SQLITE_STORE (source), result, &error))
    write_session_async ((const char * const *) data->values, NULL, on_migrated, NULL);
  else
    g_warning ("Could not move the access token out of the session file: %s", error->message);

  load_data_free (data);
}

static void
on_load_store_opened (GObject      *source,
                      GAsyncResult *result,
                      gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  LoadData *data = g_task_get_task_data (task);
  GError *error = NULL;
  MatrixStore *store = confab_session_open_store_finish (result, &error);

  if (store == NULL)
    {
      g_task_return_error (task, error);
      return;
    }

  /* The token goes to the keyring under the user id and homeserver: set
   * those first. */
  for (guint i = 0; i < G_N_ELEMENTS (keys); i++)
    if (data->values[i] != NULL)
      matrix_store_set_value (store, keys[i], data->values[i]);

  if (data->access_token != NULL)
    {
      LoadData *moved = g_new0 (LoadData, 1);

      if (matrix_store_get_value (store, MATRIX_STORE_KEY_ACCESS_TOKEN) == NULL)
        matrix_store_set_value (store, MATRIX_STORE_KEY_ACCESS_TOKEN, data->access_token);
      for (guint i = 0; i < G_N_ELEMENTS (keys); i++)
        moved->values[i] = g_strdup (data->values[i]);
      matrix_sqlite_store_flush_async (MATRIX_SQLITE_STORE (store), NULL, on_token_moved, moved);
    }

  g_task_return_pointer (task, store, g_object_unref);
}

/* Goes on with session.ini's @contents, which it wipes and frees. */
static void
load_contents (GTask *task,
               char  *contents,
               gsize  length)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GKeyFile) key_file = g_key_file_new ();
  LoadData *data;
  gboolean parsed;

  parsed = g_key_file_load_from_data (key_file, contents, length, G_KEY_FILE_NONE, &error);
  wipe_contents (contents, length);
  if (!parsed)
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }

  data = g_new0 (LoadData, 1);
  g_task_set_task_data (task, data, (GDestroyNotify) load_data_free);
  for (guint i = 0; i < G_N_ELEMENTS (keys); i++)
    data->values[i] = g_key_file_get_string (key_file, GROUP, keys[i], NULL);
  data->access_token = g_key_file_get_string (key_file, GROUP, MATRIX_STORE_KEY_ACCESS_TOKEN, NULL);

  /* Without a homeserver and a user there is nothing to go back to. */
  if (data->values[0] == NULL || data->values[1] == NULL)
    {
      g_task_return_pointer (task, NULL, NULL);
      return;
    }

  confab_session_open_store_async (data->values[1], data->values[0], g_task_get_cancellable (task),
                                   on_load_store_opened, g_object_ref (task));
}

static void
on_loaded (GObject      *source,
           GAsyncResult *result,
           gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  g_autoptr(GError) error = NULL;
  char *contents = NULL;
  gsize length = 0;

  if (!g_file_load_contents_finish (G_FILE (source), result, &contents, &length, NULL, &error))
    {
      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND))
        g_task_return_pointer (task, NULL, NULL);
      else
        g_task_return_error (task, g_steal_pointer (&error));
      return;
    }

  load_contents (task, contents, length);
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

  /* Read at startup for the prefetch already: reading it again would take
   * a round trip through a worker thread, and the rooms would miss the
   * window's first frame. */
  if (prefetch != NULL && prefetch->contents != NULL)
    {
      char *contents = g_steal_pointer (&prefetch->contents);

      load_contents (task, contents, prefetch->length);
      g_object_unref (task);
      return;
    }

  g_file_load_contents_async (file, cancellable, on_loaded, task);
}

MatrixStore *
confab_session_load_finish (GAsyncResult  *result,
                            GError       **error)
{
  return g_task_propagate_pointer (G_TASK (result), error);
}

/* Forgetting */

typedef struct {
  GTask *task;
  char  *directory;
} ForgetData;

static gboolean
remove_tree (const char  *path,
             GError     **error)
{
  GDir *dir = g_dir_open (path, 0, error);
  const char *name;
  gboolean ok = TRUE;

  if (dir == NULL)
    return FALSE;

  while (ok && (name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *child = g_build_filename (path, name, NULL);

      if (g_file_test (child, G_FILE_TEST_IS_DIR) && !g_file_test (child, G_FILE_TEST_IS_SYMLINK))
        ok = remove_tree (child, error);
      else if (g_remove (child) != 0)
        {
          int saved = errno;

          g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved),
                       "Could not remove %s: %s", child, g_strerror (saved));
          ok = FALSE;
        }
    }
  g_dir_close (dir);

  if (ok && g_rmdir (path) != 0)
    {
      int saved = errno;

      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved),
                   "Could not remove %s: %s", path, g_strerror (saved));
      ok = FALSE;
    }

  return ok;
}

static void
remove_directory_thread (GTask        *task,
                         gpointer      source_object,
                         gpointer      task_data,
                         GCancellable *cancellable)
{
  const char *directory = task_data;
  GError *error = NULL;

  if (!g_file_test (directory, G_FILE_TEST_EXISTS) || remove_tree (directory, &error))
    g_task_return_boolean (task, TRUE);
  else
    g_task_return_error (task, error);
}

static void
on_directory_removed (GObject      *source,
                      GAsyncResult *result,
                      gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  GError *error = NULL;

  if (!g_task_propagate_boolean (G_TASK (result), &error))
    g_task_return_error (task, error);
  else
    g_task_return_boolean (task, TRUE);
}

static gboolean
remove_directory_idle (gpointer user_data)
{
  ForgetData *data = user_data;
  GTask *thread_task = g_task_new (NULL, NULL, on_directory_removed, data->task);

  /* The store has closed its database by now: finalizing joins its writer. */
  g_task_set_task_data (thread_task, data->directory, g_free);
  g_task_run_in_thread (thread_task, remove_directory_thread);
  g_object_unref (thread_task);
  g_free (data);

  return G_SOURCE_REMOVE;
}

static void
on_store_finalized (gpointer  user_data,
                    GObject  *where_the_object_was)
{
  /* Weak references are notified before finalize() runs: remove the files
   * once it has. */
  g_idle_add (remove_directory_idle, user_data);
}

static void
on_forget_flushed (GObject      *source,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  ForgetData *data = user_data;
  g_autoptr(GError) error = NULL;

  if (!matrix_sqlite_store_flush_finish (MATRIX_SQLITE_STORE (source), result, &error))
    g_message ("Could not flush the store before removing it: %s", error->message);

  /* The flush task holds the last reference but one, ours: drop it. */
  g_object_weak_ref (source, on_store_finalized, data);
  g_object_unref (source);
}

static void
on_deleted (GObject      *source,
            GAsyncResult *result,
            gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  g_autoptr(GError) error = NULL;
  MatrixStore *store = g_task_get_task_data (task);

  if (!g_file_delete_finish (G_FILE (source), result, &error) &&
      !g_error_matches (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND))
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }

  if (store == NULL)
    {
      g_task_return_boolean (task, TRUE);
      return;
    }

  if (MATRIX_IS_SQLITE_STORE (store))
    {
      ForgetData *data = g_new0 (ForgetData, 1);

      data->task = g_object_ref (task);
      data->directory = g_strdup (matrix_sqlite_store_get_directory (MATRIX_SQLITE_STORE (store)));
      /* The reference is handed to on_forget_flushed. */
      g_object_ref (store);
      g_task_set_task_data (task, NULL, NULL);
      matrix_sqlite_store_flush_async (MATRIX_SQLITE_STORE (store), NULL, on_forget_flushed, data);
      return;
    }

  g_task_return_boolean (task, TRUE);
}

void
confab_session_forget_async (MatrixStore         *store,
                             GCancellable        *cancellable,
                             GAsyncReadyCallback  callback,
                             gpointer             user_data)
{
  g_autofree char *path = confab_session_get_path ();
  g_autoptr(GFile) file = g_file_new_for_path (path);
  GTask *task = g_task_new (NULL, cancellable, callback, user_data);

  g_task_set_source_tag (task, confab_session_forget_async);

  if (store != NULL)
    {
      /* Removes the keyring entry (or the token file). */
      matrix_store_set_value (store, MATRIX_STORE_KEY_ACCESS_TOKEN, NULL);
      g_task_set_task_data (task, g_object_ref (store), g_object_unref);
    }

  g_file_delete_async (file, G_PRIORITY_DEFAULT, cancellable, on_deleted, task);
}

gboolean
confab_session_forget_finish (GAsyncResult  *result,
                              GError       **error)
{
  return g_task_propagate_boolean (G_TASK (result), error);
}

/* Closing */

typedef struct {
  GApplication *application;   /* held while set */
  guint         timeout_id;
} CloseData;

static void
close_data_release (CloseData *data)
{
  g_clear_handle_id (&data->timeout_id, g_source_remove);
  if (data->application != NULL)
    {
      g_application_release (data->application);
      g_clear_object (&data->application);
    }
}

static gboolean
on_close_timeout (gpointer user_data)
{
  CloseData *data = user_data;

  data->timeout_id = 0;
  g_message ("The store took too long to flush; quitting anyway");
  close_data_release (data);

  return G_SOURCE_REMOVE;
}

static void
on_close_flushed (GObject      *source,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  CloseData *data = user_data;
  g_autoptr(GError) error = NULL;

  if (!matrix_sqlite_store_flush_finish (MATRIX_SQLITE_STORE (source), result, &error))
    g_message ("Could not flush the store: %s", error->message);

  close_data_release (data);
  g_free (data);
}

void
confab_session_close_store (MatrixStore  *store,
                            GApplication *application,
                            guint         timeout_ms)
{
  CloseData *data;

  g_return_if_fail (MATRIX_IS_STORE (store));
  g_return_if_fail (application == NULL || G_IS_APPLICATION (application));

  if (!MATRIX_IS_SQLITE_STORE (store))
    {
      g_object_unref (store);
      return;
    }

  data = g_new0 (CloseData, 1);
  if (application != NULL)
    {
      data->application = g_object_ref (application);
      g_application_hold (application);
      data->timeout_id = g_timeout_add (timeout_ms, on_close_timeout, data);
    }

  /* The flush keeps the store alive until it completes. */
  matrix_sqlite_store_flush_async (MATRIX_SQLITE_STORE (store), NULL, on_close_flushed, data);
  g_object_unref (store);
}
