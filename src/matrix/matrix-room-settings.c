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
 * A room's settings as state events: its name, topic, join rule, history
 * visibility and avatar, read
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

G_DEFINE_ENUM_TYPE (MatrixHistoryVisibility, matrix_history_visibility,
  G_DEFINE_ENUM_VALUE (MATRIX_HISTORY_VISIBILITY_INVITED, "invited"),
  G_DEFINE_ENUM_VALUE (MATRIX_HISTORY_VISIBILITY_JOINED, "joined"),
  G_DEFINE_ENUM_VALUE (MATRIX_HISTORY_VISIBILITY_SHARED, "shared"),
  G_DEFINE_ENUM_VALUE (MATRIX_HISTORY_VISIBILITY_WORLD_READABLE, "world-readable"),
  G_DEFINE_ENUM_VALUE (MATRIX_HISTORY_VISIBILITY_OTHER, "other"))

static const char *visibility_names[] = {
  [MATRIX_HISTORY_VISIBILITY_INVITED] = "invited",
  [MATRIX_HISTORY_VISIBILITY_JOINED] = "joined",
  [MATRIX_HISTORY_VISIBILITY_SHARED] = "shared",
  [MATRIX_HISTORY_VISIBILITY_WORLD_READABLE] = "world_readable",
};

/**
 * matrix_room_get_history_visibility:
 * @self: a #MatrixRoom
 *
 * Who may read the room's history, from its `m.room.history_visibility`
 * (none: `shared`, as the spec has it).
 *
 * Returns: the history visibility
 */
MatrixHistoryVisibility
matrix_room_get_history_visibility (MatrixRoom *self)
{
  g_autoptr(JsonObject) content = NULL;
  const char *value = NULL;

  g_return_val_if_fail (MATRIX_IS_ROOM (self), MATRIX_HISTORY_VISIBILITY_OTHER);

  content = _matrix_room_dup_state_content (self, "m.room.history_visibility", "");
  if (content == NULL)
    return MATRIX_HISTORY_VISIBILITY_SHARED;
  if (!_matrix_json_get_string (content, NULL, "history_visibility", TRUE, &value, NULL))
    return MATRIX_HISTORY_VISIBILITY_OTHER;
  for (guint i = 0; i < G_N_ELEMENTS (visibility_names); i++)
    if (g_str_equal (value, visibility_names[i]))
      return (MatrixHistoryVisibility) i;
  return MATRIX_HISTORY_VISIBILITY_OTHER;
}

/**
 * matrix_room_set_history_visibility_async:
 * @self: a #MatrixRoom
 * @visibility: any #MatrixHistoryVisibility but %MATRIX_HISTORY_VISIBILITY_OTHER
 * @cancellable: (nullable): a #GCancellable
 * @callback: called when done; finish with matrix_room_set_state_finish()
 * @user_data: data for @callback
 *
 * Sends the room's `m.room.history_visibility`. It applies to what is sent
 * from then on; in an encrypted room it also decides whom new room keys
 * are shared with.
 */
void
matrix_room_set_history_visibility_async (MatrixRoom              *self,
                                          MatrixHistoryVisibility  visibility,
                                          GCancellable            *cancellable,
                                          GAsyncReadyCallback      callback,
                                          gpointer                 user_data)
{
  g_autoptr(JsonObject) content = json_object_new ();

  g_return_if_fail (MATRIX_IS_ROOM (self));
  g_return_if_fail (visibility < MATRIX_HISTORY_VISIBILITY_OTHER);

  json_object_set_string_member (content, "history_visibility", visibility_names[visibility]);
  send_state (self, "m.room.history_visibility", content, matrix_room_set_history_visibility_async,
              cancellable, callback, user_data);
}

/**
 * matrix_room_set_avatar_async:
 * @self: a #MatrixRoom
 * @mxc_uri: (nullable): the uploaded image's content URI (see
 *   matrix_media_upload_async()), or %NULL to remove the avatar
 * @cancellable: (nullable): a #GCancellable
 * @callback: called when done; finish with matrix_room_set_state_finish()
 * @user_data: data for @callback
 *
 * Sends the room's `m.room.avatar`. A URI that is no `mxc://` URI fails
 * with %MATRIX_ERROR_FAILED, asking the server nothing.
 */
void
matrix_room_set_avatar_async (MatrixRoom          *self,
                              const char          *mxc_uri,
                              GCancellable        *cancellable,
                              GAsyncReadyCallback  callback,
                              gpointer             user_data)
{
  g_autoptr(JsonObject) content = json_object_new ();

  g_return_if_fail (MATRIX_IS_ROOM (self));

  if (mxc_uri != NULL && !matrix_mxc_uri_parse (mxc_uri, NULL, NULL))
    {
      g_autoptr(GTask) task = g_task_new (self, NULL, callback, user_data);

      g_task_set_source_tag (task, matrix_room_set_avatar_async);
      g_task_return_new_error (task, MATRIX_ERROR, MATRIX_ERROR_FAILED, "Not an mxc:// URI");
      return;
    }
  if (mxc_uri != NULL)
    json_object_set_string_member (content, "url", mxc_uri);
  send_state (self, "m.room.avatar", content, matrix_room_set_avatar_async, cancellable, callback,
              user_data);
}

/**
 * matrix_room_set_state_finish:
 * @self: a #MatrixRoom
 * @result: the #GAsyncResult
 * @error: return location for a #GError
 *
 * Finishes matrix_room_set_name_async(), matrix_room_set_topic_async(),
 * matrix_room_set_join_rule_async(), matrix_room_set_history_visibility_async()
 * and matrix_room_set_avatar_async(). A refusal is %MATRIX_ERROR_FORBIDDEN.
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

/* --- notification levels: push rules ------------------------------------------------ */

G_DEFINE_ENUM_TYPE (MatrixNotifyLevel, matrix_notify_level,
  G_DEFINE_ENUM_VALUE (MATRIX_NOTIFY_LEVEL_ALL, "all"),
  G_DEFINE_ENUM_VALUE (MATRIX_NOTIFY_LEVEL_MENTIONS, "mentions"),
  G_DEFINE_ENUM_VALUE (MATRIX_NOTIFY_LEVEL_MUTE, "mute"))

/* Whether the enabled rule @rule_id of @kind exists and does not notify. */
static gboolean
has_silent_rule (JsonObject *global,
                 const char *kind,
                 const char *rule_id)
{
  JsonArray *rules = NULL;

  if (!_matrix_json_get_array (global, NULL, kind, FALSE, &rules, NULL) || rules == NULL)
    return FALSE;
  for (guint i = 0; i < json_array_get_length (rules) && i < 10000; i++)
    {
      JsonNode *node = json_array_get_element (rules, i);
      JsonObject *rule;
      JsonArray *actions = NULL;
      const char *id = NULL;
      gboolean enabled = TRUE, notifies = FALSE;

      if (!JSON_NODE_HOLDS_OBJECT (node))
        continue;
      rule = json_node_get_object (node);
      if (!_matrix_json_get_string (rule, NULL, "rule_id", TRUE, &id, NULL) || !g_str_equal (id, rule_id))
        continue;
      if (!_matrix_json_get_bool (rule, NULL, "enabled", FALSE, &enabled, NULL) || !enabled)
        continue;
      if (!_matrix_json_get_array (rule, NULL, "actions", FALSE, &actions, NULL))
        continue;
      for (guint j = 0; actions != NULL && j < json_array_get_length (actions); j++)
        {
          JsonNode *action = json_array_get_element (actions, j);

          if (JSON_NODE_HOLDS_VALUE (action) && json_node_get_value_type (action) == G_TYPE_STRING &&
              g_str_equal (json_node_get_string (action), "notify"))
            notifies = TRUE;
        }
      return !notifies;
    }
  return FALSE;
}

/**
 * matrix_push_rules_get_room_level:
 * @push_rules: (nullable): the content of the account's `m.push_rules`
 * @room_id: a room id
 *
 * How much @room_id notifies by the rules clients set for a room: an
 * enabled `override` rule named after the room that does not notify mutes
 * it; a `room` rule that does not notify leaves only mentions and
 * keywords. Anything unreadable counts as no such rule.
 *
 * Returns: the room's level
 */
MatrixNotifyLevel
matrix_push_rules_get_room_level (JsonObject *push_rules,
                                  const char *room_id)
{
  JsonObject *global = NULL;

  g_return_val_if_fail (room_id != NULL, MATRIX_NOTIFY_LEVEL_ALL);

  if (push_rules == NULL ||
      !_matrix_json_get_object (push_rules, NULL, "global", FALSE, &global, NULL) || global == NULL)
    return MATRIX_NOTIFY_LEVEL_ALL;
  if (has_silent_rule (global, "override", room_id))
    return MATRIX_NOTIFY_LEVEL_MUTE;
  if (has_silent_rule (global, "room", room_id))
    return MATRIX_NOTIFY_LEVEL_MENTIONS;
  return MATRIX_NOTIFY_LEVEL_ALL;
}

typedef struct {
  char     *method;
  char     *path;
  JsonNode *body;
} RuleStep;

static void
rule_step_free (RuleStep *step)
{
  g_free (step->method);
  g_free (step->path);
  g_clear_pointer (&step->body, json_node_unref);
  g_free (step);
}

static void next_rule_step (GTask *task);

static void
on_rule_step_done (GObject      *source,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  GQueue *steps = g_task_get_task_data (task);
  RuleStep *step = g_queue_pop_head (steps);
  g_autoptr(JsonObject) response = NULL;
  GError *error = NULL;
  gboolean deleting = g_str_equal (step->method, "DELETE");

  rule_step_free (step);
  response = matrix_client_request_finish (MATRIX_CLIENT (source), result, &error);
  /* Deleting a rule that is not there is what was wanted. */
  if (response == NULL && !(deleting && error->domain == MATRIX_ERROR &&
                            matrix_error_get_http_status (error) == 404))
    {
      g_task_return_error (task, error);
      return;
    }
  g_clear_error (&error);
  next_rule_step (g_steal_pointer (&task));
}

static void
next_rule_step (GTask *task)
{
  GQueue *steps = g_task_get_task_data (task);
  RuleStep *step = g_queue_peek_head (steps);

  if (step == NULL)
    {
      g_task_return_boolean (task, TRUE);
      g_object_unref (task);
      return;
    }
  matrix_client_request_async (g_task_get_source_object (task), step->method, step->path, NULL, step->body,
                               g_task_get_cancellable (task), on_rule_step_done, task);
}

static void
add_step (GQueue     *steps,
          const char *method,
          const char *kind,
          const char *room_id,
          JsonObject *body)
{
  RuleStep *step = g_new0 (RuleStep, 1);

  step->method = g_strdup (method);
  step->path = matrix_client_build_path ("v3", "pushrules", "global", kind, room_id, NULL);
  if (body != NULL)
    step->body = json_node_init_object (json_node_alloc (), body);
  g_queue_push_tail (steps, step);
}

static void
free_steps (GQueue *steps)
{
  g_queue_free_full (steps, (GDestroyNotify) rule_step_free);
}

/**
 * matrix_client_set_room_notify_level_async:
 * @self: a #MatrixClient
 * @room_id: the room
 * @level: how much it should notify
 * @cancellable: (nullable): a #GCancellable
 * @callback: called when done
 * @user_data: data for @callback
 *
 * Sets the push rules that make @room_id notify at @level, as other clients
 * do: a muted room has an `override` rule named after it with no actions
 * (matching its `room_id`), a mentions-only room a `room` rule with no
 * actions; the other rule is deleted, both for %MATRIX_NOTIFY_LEVEL_ALL.
 * The server then counts (and pushes) only what the rules let through,
 * which is what the room's notification count and the desktop
 * notifications follow.
 */
void
matrix_client_set_room_notify_level_async (MatrixClient        *self,
                                           const char          *room_id,
                                           MatrixNotifyLevel    level,
                                           GCancellable        *cancellable,
                                           GAsyncReadyCallback  callback,
                                           gpointer             user_data)
{
  GQueue *steps = g_queue_new ();
  GTask *task;

  g_return_if_fail (MATRIX_IS_CLIENT (self));
  g_return_if_fail (room_id != NULL);

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, matrix_client_set_room_notify_level_async);
  g_task_set_task_data (task, steps, (GDestroyNotify) free_steps);

  if (level == MATRIX_NOTIFY_LEVEL_MUTE)
    {
      g_autoptr(JsonObject) body = json_object_new ();
      JsonObject *condition = json_object_new ();
      JsonArray *conditions = json_array_new ();

      json_object_set_array_member (body, "actions", json_array_new ());
      json_object_set_string_member (condition, "kind", "event_match");
      json_object_set_string_member (condition, "key", "room_id");
      json_object_set_string_member (condition, "pattern", room_id);
      json_array_add_object_element (conditions, condition);
      json_object_set_array_member (body, "conditions", conditions);
      add_step (steps, "PUT", "override", room_id, body);
      add_step (steps, "DELETE", "room", room_id, NULL);
    }
  else if (level == MATRIX_NOTIFY_LEVEL_MENTIONS)
    {
      g_autoptr(JsonObject) body = json_object_new ();

      json_object_set_array_member (body, "actions", json_array_new ());
      add_step (steps, "DELETE", "override", room_id, NULL);
      add_step (steps, "PUT", "room", room_id, body);
    }
  else
    {
      add_step (steps, "DELETE", "override", room_id, NULL);
      add_step (steps, "DELETE", "room", room_id, NULL);
    }
  next_rule_step (task);
}

/**
 * matrix_client_set_room_notify_level_finish:
 * @self: a #MatrixClient
 * @result: the #GAsyncResult
 * @error: return location for a #GError
 *
 * Finishes matrix_client_set_room_notify_level_async().
 *
 * Returns: %TRUE if the rules are set
 */
gboolean
matrix_client_set_room_notify_level_finish (MatrixClient  *self,
                                            GAsyncResult  *result,
                                            GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}
