/* SPDX-License-Identifier: LGPL-2.1-or-later */
#define G_LOG_DOMAIN "matrix-discovery"

#include <libsoup/soup.h>

#include "matrix-discovery-private.h"
#include "matrix-error.h"
#include "matrix-json-private.h"

/* Finding the homeserver behind what the user typed: a URL is taken as it
 * is; a server name (or a user id, whose server part is used) is looked up
 * in https://<server>/.well-known/matrix/client, and when that has nothing
 * usable the server itself is tried. Either way the result must answer
 * /_matrix/client/versions before it is returned. */

static char *discovery_scheme = NULL;

void
_matrix_discovery_set_scheme (const char *scheme)
{
  g_free (discovery_scheme);
  discovery_scheme = g_strdup (scheme);
}

typedef struct {
  SoupSession *session;
  char        *server_name;
  char        *base_url;
} Discovery;

static void
discovery_free (Discovery *discovery)
{
  g_clear_object (&discovery->session);
  g_free (discovery->server_name);
  g_free (discovery->base_url);
  g_free (discovery);
}

static char *
strip_trailing_slashes (const char *url)
{
  char *copy = g_strdup (url);
  gsize len = strlen (copy);

  while (len > 0 && copy[len - 1] == '/')
    copy[--len] = '\0';
  return copy;
}

static void
get_json_async (GTask               *task,
                const char          *url,
                GAsyncReadyCallback  callback)
{
  Discovery *discovery = g_task_get_task_data (task);
  g_autoptr(SoupMessage) message = NULL;
  g_autoptr(GUri) uri = NULL;
  GError *error = NULL;

  uri = g_uri_parse (url, SOUP_HTTP_URI_FLAGS, &error);
  if (uri == NULL)
    {
      g_task_return_error (task, error);
      g_object_unref (task);
      return;
    }

  message = soup_message_new_from_uri ("GET", uri);
  soup_session_send_and_read_async (discovery->session, message, G_PRIORITY_DEFAULT,
                                    g_task_get_cancellable (task), callback, task);
}

/* (transfer full) (nullable): the JSON object of a successful answer. */
static JsonObject *
get_json_finish (GTask         *task,
                 GAsyncResult  *result,
                 GError       **error)
{
  Discovery *discovery = g_task_get_task_data (task);
  SoupMessage *message = soup_session_get_async_result_message (discovery->session, result);
  g_autoptr(GBytes) body = NULL;

  body = soup_session_send_and_read_finish (discovery->session, result, error);
  if (body == NULL)
    return NULL;

  if (!SOUP_STATUS_IS_SUCCESSFUL (soup_message_get_status (message)))
    {
      g_set_error (error, MATRIX_ERROR, MATRIX_ERROR_HTTP, "HTTP status %u",
                   soup_message_get_status (message));
      return NULL;
    }

  return _matrix_json_parse_object (g_bytes_get_data (body, NULL), g_bytes_get_size (body), error);
}

static void
on_versions (GObject      *source,
             GAsyncResult *result,
             gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  Discovery *discovery = g_task_get_task_data (task);
  g_autoptr(JsonObject) versions = NULL;
  JsonArray *array;
  GError *error = NULL;

  versions = get_json_finish (task, result, &error);

  /* Nothing answered (no such host, refused, no network, bad TLS): say so as
   * it is, so the user learns whether to check the name or the network. */
  if (error != NULL && error->domain != MATRIX_ERROR)
    {
      g_task_return_error (task, error);
      return;
    }
  if (versions == NULL ||
      !_matrix_json_get_array (versions, "versions", "versions", TRUE, &array, &error))
    {
      g_task_return_new_error (task, MATRIX_ERROR, MATRIX_ERROR_INVALID_RESPONSE,
                               "%s is not a Matrix homeserver: %s",
                               discovery->base_url, error->message);
      g_error_free (error);
      return;
    }

  g_task_return_pointer (task, g_strdup (discovery->base_url), g_free);
}

static void
check_versions (GTask      *task,
                const char *base_url)
{
  Discovery *discovery = g_task_get_task_data (task);
  g_autofree char *url = NULL;

  g_free (discovery->base_url);
  discovery->base_url = strip_trailing_slashes (base_url);
  url = g_strconcat (discovery->base_url, "/_matrix/client/versions", NULL);
  get_json_async (task, url, on_versions);
}

static const char *
scheme (void)
{
  return discovery_scheme != NULL ? discovery_scheme : "https";
}

static void
on_well_known (GObject      *source,
               GAsyncResult *result,
               gpointer      user_data)
{
  GTask *task = user_data;
  Discovery *discovery = g_task_get_task_data (task);
  g_autoptr(JsonObject) well_known = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *fallback = NULL;
  JsonObject *homeserver = NULL;
  const char *base_url = NULL;

  well_known = get_json_finish (task, result, &error);
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    {
      g_task_return_error (task, g_steal_pointer (&error));
      g_object_unref (task);
      return;
    }

  if (well_known != NULL &&
      _matrix_json_get_object (well_known, NULL, "m.homeserver", FALSE, &homeserver, NULL) &&
      homeserver != NULL &&
      _matrix_json_get_string (homeserver, "m.homeserver", "base_url", FALSE, &base_url, NULL) &&
      base_url != NULL && (g_str_has_prefix (base_url, "https://") ||
                           g_str_has_prefix (base_url, "http://")))
    {
      check_versions (task, base_url);
      return;
    }

  g_debug ("No usable .well-known for %s; trying the server itself", discovery->server_name);
  fallback = g_strdup_printf ("%s://%s", scheme (), discovery->server_name);
  check_versions (task, fallback);
}

/**
 * matrix_discover_homeserver_async:
 * @server_name_or_url: a homeserver URL (`https://matrix.example.org`), a
 *   server name (`example.org`) or a user id (`@alice:example.org`)
 * @cancellable: (nullable): a #GCancellable
 * @callback: called with the base URL, or an error
 * @user_data: data for @callback
 *
 * Finds the base URL of a homeserver: a URL is used as it is; for a server
 * name, `/.well-known/matrix/client` on it says where the homeserver is,
 * and without one the server name itself is tried. The result is checked
 * to answer `/_matrix/client/versions`.
 */
void
matrix_discover_homeserver_async (const char          *server_name_or_url,
                                  GCancellable        *cancellable,
                                  GAsyncReadyCallback  callback,
                                  gpointer             user_data)
{
  GTask *task;
  Discovery *discovery;
  g_autofree char *input = NULL;
  g_autofree char *url = NULL;

  g_return_if_fail (server_name_or_url != NULL);

  task = g_task_new (NULL, cancellable, callback, user_data);
  g_task_set_source_tag (task, matrix_discover_homeserver_async);
  discovery = g_new0 (Discovery, 1);
  discovery->session = soup_session_new_with_options ("timeout", 30, NULL);
  g_task_set_task_data (task, discovery, (GDestroyNotify) discovery_free);

  input = g_strstrip (g_strdup (server_name_or_url));
  if (strstr (input, "://") != NULL)
    {
      check_versions (task, input);
      return;
    }

  if (input[0] == '@' && strchr (input, ':') != NULL)
    discovery->server_name = g_strdup (strchr (input, ':') + 1);
  else
    discovery->server_name = g_strdup (input);

  if (discovery->server_name[0] == '\0' || strpbrk (discovery->server_name, "/?#@ ") != NULL)
    {
      g_task_return_new_error (task, MATRIX_ERROR, MATRIX_ERROR_FAILED,
                               "“%s” is not a server name", server_name_or_url);
      g_object_unref (task);
      return;
    }

  url = g_strdup_printf ("%s://%s/.well-known/matrix/client", scheme (), discovery->server_name);
  get_json_async (task, url, on_well_known);
}

/**
 * matrix_discover_homeserver_finish:
 * @result: the #GAsyncResult
 * @error: return location for a #GError
 *
 * Finishes matrix_discover_homeserver_async().
 *
 * Returns: (transfer full) (nullable): the homeserver's base URL, without a
 *   trailing slash, for matrix_client_new()
 */
char *
matrix_discover_homeserver_finish (GAsyncResult  *result,
                                   GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, NULL), NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}
