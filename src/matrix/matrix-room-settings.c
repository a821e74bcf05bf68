/* SPDX-License-Identifier: LGPL-2.1-or-later */
#define G_LOG_DOMAIN "matrix-room-settings"

#include <string.h>

#include "matrix-error.h"
#include "matrix-json-private.h"
#include "matrix-room-private.h"
#include "matrix-room-settings.h"

/**
 * SECTION:matrix-room-settings
 *
 * A room's settings as state events: its name, topic and join rule, read
 * from the room's current state and changed with
 * `PUT /rooms/{roomId}/state/{type}/`. The room shows a change when the
 * sync brings the event back.
 */

G_DEFINE_ENUM_TYPE (MatrixJoinRule, matrix_join_rule,
  G_DEFINE_ENUM_VALUE (MATRIX_JOIN_RULE_INVITE, "invite"),
  G_DEFINE_ENUM_VALUE (MATRIX_JOIN_RULE_PUBLIC, "public"),
  G_DEFINE_ENUM_VALUE (MATRIX_JOIN_RULE_KNOCK, "knock"),
  G_DEFINE_ENUM_VALUE (MATRIX_JOIN_RULE_OTHER, "other"))

/* The longest name or topic sent: the server's event limit is 64 KiB. */
#define MAX_TEXT 16384

/**
 * matrix_room_get_join_rule:
 * @self: a #MatrixRoom
 *
 * Who may join the room, from its `m.room.join_rules` (none: invite, as the
 * spec has it).
 *
 * Returns: the join rule
 */
MatrixJoinRule
matrix_room_get_join_rule (MatrixRoom *self)
{
  g_autoptr(JsonObject) content = NULL;
  const char *rule = NULL;

  g_return_val_if_fail (MATRIX_IS_ROOM (self), MATRIX_JOIN_RULE_OTHER);

  content = _matrix_room_dup_state_content (self, "m.room.join_rules", "");
  if (content == NULL)
    return MATRIX_JOIN_RULE_INVITE;
  if (!_matrix_json_get_string (content, NULL, "join_rule", TRUE, &rule, NULL))
    return MATRIX_JOIN_RULE_OTHER;
  if (g_str_equal (rule, "invite"))
    return MATRIX_JOIN_RULE_INVITE;
  if (g_str_equal (rule, "public"))
    return MATRIX_JOIN_RULE_PUBLIC;
  if (g_str_equal (rule, "knock"))
    return MATRIX_JOIN_RULE_KNOCK;
  return MATRIX_JOIN_RULE_OTHER;
}

static void
on_state_sent (GObject      *source,
               GAsyncResult *result,
               gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  g_autoptr(JsonObject) response = NULL;
  GError *error = NULL;

  response = matrix_client_request_finish (MATRIX_CLIENT (source), result, &error);
  if (response == NULL)
    g_task_return_error (task, error);
  else
    g_task_return_boolean (task, TRUE);
}

static void
send_state (MatrixRoom          *self,
            const char          *type,
            JsonObject          *content,
            gpointer             source_tag,
            GCancellable        *cancellable,
            GAsyncReadyCallback  callback,
            gpointer             user_data)
{
  g_autofree char *path = matrix_client_build_path ("v3", "rooms", matrix_room_get_room_id (self),
                                                    "state", type, "", NULL);
  g_autoptr(JsonNode) node = json_node_init_object (json_node_alloc (), content);
  GTask *task = g_task_new (self, cancellable, callback, user_data);

  g_task_set_source_tag (task, source_tag);
  matrix_client_request_async (matrix_room_get_client (self), "PUT", path, NULL, node,
                               cancellable, on_state_sent, task);
}

static gboolean
refuse_long_text (MatrixRoom          *self,
                  const char          *text,
                  gpointer             source_tag,
                  GAsyncReadyCallback  callback,
                  gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;

  if (strlen (text) <= MAX_TEXT && g_utf8_validate (text, -1, NULL))
    return FALSE;
  task = g_task_new (self, NULL, callback, user_data);
  g_task_set_source_tag (task, source_tag);
  g_task_return_new_error (task, MATRIX_ERROR, MATRIX_ERROR_FAILED,
                           "The text is not UTF-8, or longer than %d bytes", MAX_TEXT);
  return TRUE;
}

/**
 * matrix_room_set_name_async:
 * @self: a #MatrixRoom
 * @name: the new name; empty removes it (the room is then named after its
 *   members)
 * @cancellable: (nullable): a #GCancellable
 * @callback: called when done; finish with matrix_room_set_state_finish()
 * @user_data: data for @callback
 *
 * Sends the room's `m.room.name`.
 */
void
matrix_room_set_name_async (MatrixRoom          *self,
                            const char          *name,
                            GCancellable        *cancellable,
                            GAsyncReadyCallback  callback,
                            gpointer             user_data)
{
  g_autoptr(JsonObject) content = json_object_new ();

  g_return_if_fail (MATRIX_IS_ROOM (self));
  g_return_if_fail (name != NULL);

  if (refuse_long_text (self, name, matrix_room_set_name_async, callback, user_data))
    return;
  json_object_set_string_member (content, "name", name);
  send_state (self, "m.room.name", content, matrix_room_set_name_async, cancellable, callback, user_data);
}

/**
 * matrix_room_set_topic_async:
 * @self: a #MatrixRoom
 * @topic: the new topic; empty removes it
 * @cancellable: (nullable): a #GCancellable
 * @callback: called when done; finish with matrix_room_set_state_finish()
 * @user_data: data for @callback
 *
 * Sends the room's `m.room.topic`.
 */
void
matrix_room_set_topic_async (MatrixRoom          *self,
                             const char          *topic,
                             GCancellable        *cancellable,
                             GAsyncReadyCallback  callback,
                             gpointer             user_data)
{
  g_autoptr(JsonObject) content = json_object_new ();

  g_return_if_fail (MATRIX_IS_ROOM (self));
  g_return_if_fail (topic != NULL);

  if (refuse_long_text (self, topic, matrix_room_set_topic_async, callback, user_data))
    return;
  json_object_set_string_member (content, "topic", topic);
  send_state (self, "m.room.topic", content, matrix_room_set_topic_async, cancellable, callback, user_data);
}

/**
 * matrix_room_set_join_rule_async:
 * @self: a #MatrixRoom
 * @join_rule: %MATRIX_JOIN_RULE_INVITE, %MATRIX_JOIN_RULE_PUBLIC or
 *   %MATRIX_JOIN_RULE_KNOCK
 * @cancellable: (nullable): a #GCancellable
 * @callback: called when done; finish with matrix_room_set_state_finish()
 * @user_data: data for @callback
 *
 * Sends the room's `m.room.join_rules`.
 */
void
matrix_room_set_join_rule_async (MatrixRoom          *self,
                                 MatrixJoinRule       join_rule,
                                 GCancellable        *cancellable,
                                 GAsyncReadyCallback  callback,
                                 gpointer             user_data)
{
  static const char *names[] = {
    [MATRIX_JOIN_RULE_INVITE] = "invite",
    [MATRIX_JOIN_RULE_PUBLIC] = "public",
    [MATRIX_JOIN_RULE_KNOCK] = "knock",
  };
  g_autoptr(JsonObject) content = json_object_new ();

  g_return_if_fail (MATRIX_IS_ROOM (self));
  g_return_if_fail (join_rule <= MATRIX_JOIN_RULE_KNOCK);

  json_object_set_string_member (content, "join_rule", names[join_rule]);
  send_state (self, "m.room.join_rules", content, matrix_room_set_join_rule_async, cancellable,
              callback, user_data);
}

/**
 * matrix_room_set_state_finish:
 * @self: a #MatrixRoom
 * @result: the #GAsyncResult
 * @error: return location for a #GError
 *
 * Finishes matrix_room_set_name_async(), matrix_room_set_topic_async() and
 * matrix_room_set_join_rule_async(). A refusal is %MATRIX_ERROR_FORBIDDEN.
 *
 * Returns: %TRUE if the server took the change
 */
gboolean
matrix_room_set_state_finish (MatrixRoom    *self,
                              GAsyncResult  *result,
                              GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}
