/* SPDX-License-Identifier: LGPL-2.1-or-later */
#define G_LOG_DOMAIN "matrix-secret"

#include <errno.h>
#include <string.h>
#include <glib/gstdio.h>
#include <libsecret/secret.h>

#include "matrix-secret.h"
#include "matrix-secret-private.h"

/* The application names the schema (e.g. "org.example.App.Session"); a
 * session's token is filed under it by user id and homeserver. */
static SecretSchema *
session_schema_new (const char *name)
{
  return secret_schema_new (name, SECRET_SCHEMA_NONE,
                            "user-id", SECRET_SCHEMA_ATTRIBUTE_STRING,
                            "homeserver", SECRET_SCHEMA_ATTRIBUTE_STRING,
                            NULL);
}

/* A token looked up ahead of the store that will ask for it (main thread
 * only). */
typedef struct {
  char      *schema_name;
  char      *user_id;
  char      *homeserver;
  gboolean   done;
  /* A token was saved or removed since the lookup started. */
  gboolean   stale;
  char      *token;
  GError    *error;
  GPtrArray *waiters;   /* GTask*: lookups waiting for this one */
  guint      expire_source;
} Prefetch;

static Prefetch *prefetch;

/* How long a token looked up ahead is kept for a store that does not ask. */
#define PREFETCH_KEEP_SECONDS 30

static void
prefetch_free (Prefetch *p)
{
  g_clear_handle_id (&p->expire_source, g_source_remove);
  if (p->token != NULL)
    memset (p->token, 0, strlen (p->token));
  g_free (p->token);
  g_clear_error (&p->error);
  g_ptr_array_unref (p->waiters);
  g_free (p->schema_name);
  g_free (p->user_id);
  g_free (p->homeserver);
  g_free (p);
}

static void
prefetch_return (Prefetch *p,
                 GTask    *task)
{
  if (p->error != NULL)
    g_task_return_error (task, g_error_copy (p->error));
  else
    g_task_return_pointer (task, g_strdup (p->token), g_free);
}

static gboolean
prefetch_expire (gpointer user_data)
{
  g_assert (prefetch == user_data);

  prefetch->expire_source = 0;
  g_clear_pointer (&prefetch, prefetch_free);
  return G_SOURCE_REMOVE;
}

static void
prefetch_thread (GTask        *task,
                 gpointer      source_object,
                 gpointer      task_data,
                 GCancellable *cancellable)
{
  char **session = task_data;
  SecretSchema *schema = session_schema_new (session[0]);
  GError *error = NULL;
  char *secret;

  /* The blocking call runs a main context of its own in this thread: the
   * main thread is busy starting GTK meanwhile. */
  secret = secret_password_lookup_sync (schema, NULL, &error,
                                        "user-id", session[1], "homeserver", session[2], NULL);
  secret_schema_unref (schema);
  if (error != NULL)
    g_task_return_error (task, error);
  else
    g_task_return_pointer (task, g_strdup (secret), g_free);
  secret_password_free (secret);
}

static void
on_prefetched (GObject      *source,
               GAsyncResult *result,
               gpointer      user_data)
{
  Prefetch *p = user_data;

  p->token = g_task_propagate_pointer (G_TASK (result), &p->error);
  p->done = TRUE;

  for (guint i = 0; i < p->waiters->len; i++)
    prefetch_return (p, g_ptr_array_index (p->waiters, i));

  if (p != prefetch)
    prefetch_free (p);
  else if (p->waiters->len > 0 || p->stale)
    g_clear_pointer (&prefetch, prefetch_free);
  else
    p->expire_source = g_timeout_add_seconds (PREFETCH_KEEP_SECONDS, prefetch_expire, p);
}

/**
 * matrix_secret_prefetch:
 * @schema_name: the keyring schema the store files tokens under (see
 *   #MatrixSqliteStore:secret-schema)
 * @user_id: the user id of a saved session
 * @homeserver: its homeserver, as its store holds it
 *
 * Starts looking up the access token of a saved session in the Secret
 * Service, on a thread of its own, so that the #MatrixSqliteStore opened for
 * that session soon after finds it without a round trip: call it at
 * startup, before GTK starts and the main loop runs. The first store to ask
 * for that token takes the result over (an error too: without a Secret
 * Service, the store reads its token file as usual); a token saved or
 * removed meanwhile, or half a minute without a store asking, drops it.
 */
void
matrix_secret_prefetch (const char *schema_name,
                        const char *user_id,
                        const char *homeserver)
{
  g_autoptr(GTask) task = NULL;
  char **session;

  g_return_if_fail (schema_name != NULL);
  g_return_if_fail (user_id != NULL);
  g_return_if_fail (homeserver != NULL);

  if (prefetch != NULL && prefetch->done)
    g_clear_pointer (&prefetch, prefetch_free);
  else if (prefetch != NULL)
    {
      /* on_prefetched() frees it once its thread is done. */
      prefetch->stale = TRUE;
      prefetch = NULL;
    }

  prefetch = g_new0 (Prefetch, 1);
  prefetch->schema_name = g_strdup (schema_name);
  prefetch->user_id = g_strdup (user_id);
  prefetch->homeserver = g_strdup (homeserver);
  prefetch->waiters = g_ptr_array_new_with_free_func (g_object_unref);

  session = g_new0 (char *, 4);
  session[0] = g_strdup (schema_name);
  session[1] = g_strdup (user_id);
  session[2] = g_strdup (homeserver);
  task = g_task_new (NULL, NULL, on_prefetched, prefetch);
  g_task_set_source_tag (task, matrix_secret_prefetch);
  g_task_set_task_data (task, session, (GDestroyNotify) g_strfreev);
  g_task_run_in_thread (task, prefetch_thread);
}

/* Whether a lookup for this session can take the prefetched token. One
 * that can be cancelled does not wait for a lookup it cannot cancel. */
static gboolean
take_prefetched (const char   *schema_name,
                 const char   *user_id,
                 const char   *homeserver,
                 GCancellable *cancellable,
                 GTask        *task)
{
  Prefetch *p = prefetch;

  if (p == NULL || p->stale || g_strcmp0 (p->schema_name, schema_name) != 0 ||
      g_strcmp0 (p->user_id, user_id) != 0 ||
      g_strcmp0 (p->homeserver, homeserver) != 0)
    return FALSE;

  if (p->done)
    {
      prefetch_return (p, task);
      g_clear_pointer (&prefetch, prefetch_free);
      return TRUE;
    }
  if (cancellable != NULL)
    return FALSE;

  g_ptr_array_add (p->waiters, g_object_ref (task));
  return TRUE;
}

/* A token saved or removed for this session: what was looked up ahead no
 * longer holds. */
static void
drop_prefetched (const char *schema_name,
                 const char *user_id,
                 const char *homeserver)
{
  if (prefetch == NULL || g_strcmp0 (prefetch->schema_name, schema_name) != 0 ||
      g_strcmp0 (prefetch->user_id, user_id) != 0 ||
      g_strcmp0 (prefetch->homeserver, homeserver) != 0)
    return;

  if (prefetch->done)
    g_clear_pointer (&prefetch, prefetch_free);
  else
    prefetch->stale = TRUE;
}

static void
on_looked_up (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  GError *error = NULL;
  char *secret = secret_password_lookup_finish (result, &error);

  /* libsecret's copy lives in non-pageable memory; hand out a plain string. */
  if (error != NULL)
    g_task_return_error (task, error);
  else
    g_task_return_pointer (task, g_strdup (secret), g_free);
  secret_password_free (secret);
}

void
_matrix_secret_lookup_async (const char          *schema_name,
                             const char          *user_id,
                             const char          *homeserver,
                             GCancellable        *cancellable,
                             GAsyncReadyCallback  callback,
                             gpointer             user_data)
{
  GTask *task = g_task_new (NULL, cancellable, callback, user_data);
  SecretSchema *schema;

  g_task_set_source_tag (task, _matrix_secret_lookup_async);
  if (take_prefetched (schema_name, user_id, homeserver, cancellable, task))
    {
      g_object_unref (task);
      return;
    }
  /* libsecret reads the schema during the call only. (Not g_autoptr: in
   * libsecret 0.20 its cleanup function is g_object_unref, wrongly.) */
  schema = session_schema_new (schema_name);
  secret_password_lookup (schema, cancellable, on_looked_up, task,
                          "user-id", user_id, "homeserver", homeserver, NULL);
  secret_schema_unref (schema);
}

char *
_matrix_secret_lookup_finish (GAsyncResult  *result,
                              GError       **error)
{
  return g_task_propagate_pointer (G_TASK (result), error);
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
_matrix_secret_store_async (const char          *schema_name,
                            const char          *user_id,
                            const char          *homeserver,
                            const char          *token,
                            GCancellable        *cancellable,
                            GAsyncReadyCallback  callback,
                            gpointer             user_data)
{
  GTask *task = g_task_new (NULL, cancellable, callback, user_data);
  SecretSchema *schema = session_schema_new (schema_name);
  g_autofree char *label = NULL;
  const char *application;

  g_task_set_source_tag (task, _matrix_secret_store_async);
  drop_prefetched (schema_name, user_id, homeserver);
  /* Only a marker of which call to finish: the token itself is not kept. */
  g_task_set_task_data (task, GINT_TO_POINTER (token != NULL), NULL);

  if (token == NULL)
    {
      secret_password_clear (schema, cancellable, on_stored, task,
                             "user-id", user_id, "homeserver", homeserver, NULL);
      secret_schema_unref (schema);
      return;
    }

  /* What a keyring manager shows: "MyApp session of @alice:example.org". */
  application = g_get_application_name ();
  label = g_strdup_printf ("%s session of %s", application != NULL ? application : "Matrix",
                           user_id);
  secret_password_store (schema, SECRET_COLLECTION_DEFAULT, label, token,
                         cancellable, on_stored, task,
                         "user-id", user_id, "homeserver", homeserver, NULL);
  secret_schema_unref (schema);
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
