/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Which members of a room have devices that are not verified: the room's
 * joined members from the server, tracked by the crypto machine and their
 * device lists queried, then asked of the machine's store. */

#include "matrix-verification.h"
#include "matrix-client-crypto-private.h"
#include "matrix-client-private.h"
#include "matrix-error.h"
#include "matrix-json-private.h"

typedef struct {
  char  *room_id;
  GStrv  members;
} RoomTrust;

static void
room_trust_free (RoomTrust *trust)
{
  g_free (trust->room_id);
  g_strfreev (trust->members);
  g_free (trust);
}

/* Fails @task (taken) unless the client has a crypto machine. */
static MatrixCrypto *
task_machine (GTask *task)
{
  MatrixCrypto *crypto = _matrix_client_get_crypto (g_task_get_source_object (task));

  if (crypto == NULL)
    {
      g_task_return_new_error (task, MATRIX_ERROR, MATRIX_ERROR_FAILED,
                               "End-to-end encryption is not enabled for this session");
      g_object_unref (task);
    }
  return crypto;
}

static void
on_unverified_users (GObject      *source,
                     GAsyncResult *result,
                     gpointer      user_data)
{
  GTask *task = user_data;
  GError *error = NULL;
  g_autoptr(JsonObject) answer = _matrix_crypto_verification_finish (MATRIX_CRYPTO (source),
                                                                     result, &error);
  JsonArray *users = NULL;
  GStrvBuilder *builder;

  if (answer == NULL ||
      !_matrix_json_get_array (answer, "unverified users", "users", TRUE, &users, &error))
    {
      g_task_return_error (task, error);
      g_object_unref (task);
      return;
    }
  builder = g_strv_builder_new ();
  for (guint i = 0; i < json_array_get_length (users); i++)
    {
      JsonNode *node = json_array_get_element (users, i);

      if (JSON_NODE_HOLDS_VALUE (node) && json_node_get_value_type (node) == G_TYPE_STRING)
        g_strv_builder_add (builder, json_node_get_string (node));
    }
  g_task_return_pointer (task, g_strv_builder_end (builder), (GDestroyNotify) g_strfreev);
  g_strv_builder_unref (builder);
  g_object_unref (task);
}

static void
on_flushed (GObject      *source,
            GAsyncResult *result,
            gpointer      user_data)
{
  GTask *task = user_data;
  RoomTrust *trust = g_task_get_task_data (task);
  g_autoptr(JsonObject) command = json_object_new ();
  JsonArray *users = json_array_new ();
  MatrixCrypto *crypto;

  /* A failed query: the machine's lists as they are. */
  _matrix_client_crypto_flush_requests_finish (MATRIX_CLIENT (source), result, NULL);
  json_object_set_string_member (command, "op", "unverified_users");
  for (guint i = 0; trust->members[i] != NULL; i++)
    json_array_add_string_element (users, trust->members[i]);
  json_object_set_array_member (command, "user_ids", users);
  if ((crypto = task_machine (task)) != NULL)
    _matrix_crypto_verification_async (crypto, command, g_task_get_cancellable (task),
                                       on_unverified_users, task);
}

static void
on_tracked (GObject      *source,
            GAsyncResult *result,
            gpointer      user_data)
{
  GTask *task = user_data;
  GError *error = NULL;

  if (!_matrix_crypto_update_tracked_users_finish (MATRIX_CRYPTO (source), result, &error))
    {
      g_task_return_error (task, error);
      g_object_unref (task);
      return;
    }
  _matrix_client_crypto_flush_requests_async (g_task_get_source_object (task), on_flushed, task);
}

static void
on_members (GObject      *source,
            GAsyncResult *result,
            gpointer      user_data)
{
  GTask *task = user_data;
  RoomTrust *trust = g_task_get_task_data (task);
  GError *error = NULL;
  g_autoptr(JsonObject) response = matrix_client_request_finish (MATRIX_CLIENT (source), result,
                                                                 &error);
  JsonArray *chunk = NULL;
  GStrvBuilder *members;
  MatrixCrypto *crypto;

  if (response == NULL ||
      !_matrix_json_get_array (response, "members", "chunk", TRUE, &chunk, &error))
    {
      g_task_return_error (task, error);
      g_object_unref (task);
      return;
    }
  members = g_strv_builder_new ();
  for (guint i = 0; i < json_array_get_length (chunk); i++)
    {
      JsonNode *node = json_array_get_element (chunk, i);
      JsonObject *event, *content;
      const char *type, *user, *membership;

      if (!JSON_NODE_HOLDS_OBJECT (node) ||
          !_matrix_json_get_string (event = json_node_get_object (node), NULL, "type", TRUE,
                                    &type, NULL) ||
          !g_str_equal (type, "m.room.member") ||
          !_matrix_json_get_string (event, NULL, "state_key", TRUE, &user, NULL) ||
          user[0] != '@' ||
          !_matrix_json_get_object (event, NULL, "content", TRUE, &content, NULL) ||
          !_matrix_json_get_string (content, NULL, "membership", TRUE, &membership, NULL) ||
          !g_str_equal (membership, "join"))
        continue;
      g_strv_builder_add (members, user);
    }
  trust->members = g_strv_builder_end (members);
  g_strv_builder_unref (members);
  if ((crypto = task_machine (task)) != NULL)
    _matrix_crypto_update_tracked_users_async (crypto, (const char * const *) trust->members,
                                               g_task_get_cancellable (task), on_tracked, task);
}

/**
 * matrix_client_get_unverified_members_async:
 * @client: a #MatrixClient with end-to-end encryption
 * @room_id: a room the user is in
 * @cancellable: (nullable): a #GCancellable
 * @callback: called with the answer
 * @user_data: data for @callback
 *
 * Finds the room's joined members that have a device that is not verified
 * (this session excepted): their device lists are brought up to date
 * first. Clients show a warning on a room that has any (messages sent
 * there may reach devices nobody verified).
 */
void
matrix_client_get_unverified_members_async (MatrixClient        *client,
                                            const char          *room_id,
                                            GCancellable        *cancellable,
                                            GAsyncReadyCallback  callback,
                                            gpointer             user_data)
{
  GTask *task;
  RoomTrust *trust;
  g_autofree char *path = NULL;
  const char *query[] = { "membership", "join", NULL };

  g_return_if_fail (MATRIX_IS_CLIENT (client));
  g_return_if_fail (room_id != NULL);

  task = g_task_new (client, cancellable, callback, user_data);
  g_task_set_source_tag (task, matrix_client_get_unverified_members_async);
  trust = g_new0 (RoomTrust, 1);
  trust->room_id = g_strdup (room_id);
  g_task_set_task_data (task, trust, (GDestroyNotify) room_trust_free);
  if (task_machine (task) == NULL)
    return;
  path = matrix_client_build_path ("v3", "rooms", room_id, "members", NULL);
  matrix_client_request_async (client, "GET", path, query, NULL, cancellable, on_members, task);
}

/**
 * matrix_client_get_unverified_members_finish:
 * @client: a #MatrixClient
 * @result: the #GAsyncResult
 * @error: return location for a #GError
 *
 * Finishes matrix_client_get_unverified_members_async().
 *
 * Returns: (transfer full) (array zero-terminated=1): the user IDs of the
 *   members with a device that is not verified (empty when there are
 *   none), or %NULL with @error set
 */
GStrv
matrix_client_get_unverified_members_finish (MatrixClient  *client,
                                             GAsyncResult  *result,
                                             GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, client), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}
