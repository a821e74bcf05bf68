/* SPDX-License-Identifier: LGPL-2.1-or-later */
#define G_LOG_DOMAIN "matrix-power-levels"

#include <math.h>

#include "matrix-power-levels.h"

/**
 * SECTION:matrix-power-levels
 *
 * Who may do what in a room, from its `m.room.power_levels` as the spec
 * reads it. The content comes from anyone with the power to send it, so
 * every value is checked: a level is an integer (older room versions allow
 * a string of decimal digits), clamped to ±%MATRIX_POWER_LEVEL_MAX; a value
 * of any other kind (a fraction, an object, `true`...) is ignored and the
 * spec's default applies, as does a `users` or `events` that is not an
 * object.
 */

struct _MatrixPowerLevels
{
  gatomicrefcount ref_count;

  JsonObject *content;   /* as received (nullable): kept for changing it */
  GHashTable *creators;  /* room version 12+: user ids above every level */
  gint64      ban, kick, invite, redact;
  gint64      events_default, state_default, users_default;
  GHashTable *users;     /* user id → gint64* */
  GHashTable *events;    /* event type → gint64* */
};

G_DEFINE_BOXED_TYPE (MatrixPowerLevels, matrix_power_levels,
                     matrix_power_levels_ref, matrix_power_levels_unref)

G_DEFINE_ENUM_TYPE (MatrixPowerRole, matrix_power_role,
  G_DEFINE_ENUM_VALUE (MATRIX_POWER_ROLE_USER, "user"),
  G_DEFINE_ENUM_VALUE (MATRIX_POWER_ROLE_MODERATOR, "moderator"),
  G_DEFINE_ENUM_VALUE (MATRIX_POWER_ROLE_ADMIN, "admin"))

G_DEFINE_ENUM_TYPE (MatrixPowerAction, matrix_power_action,
  G_DEFINE_ENUM_VALUE (MATRIX_POWER_ACTION_INVITE, "invite"),
  G_DEFINE_ENUM_VALUE (MATRIX_POWER_ACTION_KICK, "kick"),
  G_DEFINE_ENUM_VALUE (MATRIX_POWER_ACTION_BAN, "ban"),
  G_DEFINE_ENUM_VALUE (MATRIX_POWER_ACTION_REDACT, "redact"))

static gint64
clamp_level (gint64 level)
{
  return CLAMP (level, -MATRIX_POWER_LEVEL_MAX, MATRIX_POWER_LEVEL_MAX);
}

/* A level from @node, or FALSE for anything that is not one. */
static gboolean
read_level (JsonNode *node,
            gint64   *out)
{
  GType type;

  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node))
    return FALSE;

  type = json_node_get_value_type (node);
  if (type == G_TYPE_INT64)
    {
      *out = clamp_level (json_node_get_int (node));
      return TRUE;
    }
  if (type == G_TYPE_DOUBLE)
    {
      /* An integer too large for int64 arrives as a double. */
      double value = json_node_get_double (node);

      if (!isfinite (value) || value != floor (value))
        return FALSE;
      *out = value >= (double) MATRIX_POWER_LEVEL_MAX ? MATRIX_POWER_LEVEL_MAX
           : value <= (double) -MATRIX_POWER_LEVEL_MAX ? -MATRIX_POWER_LEVEL_MAX
           : (gint64) value;
      return TRUE;
    }
  if (type == G_TYPE_STRING)
    {
      const char *text = json_node_get_string (node);
      const char *digits = text;
      gboolean negative = FALSE;
      guint64 magnitude = 0;

      /* Room versions before 10 accept "50": decimal digits, a sign, no
       * spaces. Too many digits clamp rather than wrap. */
      if (*digits == '-' || *digits == '+')
        negative = *digits++ == '-';
      if (*digits == '\0' || strlen (digits) > 64)
        return FALSE;
      for (const char *c = digits; *c != '\0'; c++)
        {
          if (!g_ascii_isdigit (*c))
            return FALSE;
          if (magnitude <= (guint64) MATRIX_POWER_LEVEL_MAX)
            magnitude = magnitude * 10 + (guint64) (*c - '0');
        }
      if (magnitude > (guint64) MATRIX_POWER_LEVEL_MAX)
        magnitude = MATRIX_POWER_LEVEL_MAX;
      *out = negative ? -(gint64) magnitude : (gint64) magnitude;
      return TRUE;
    }

  return FALSE;
}

static void
read_field (JsonObject *content,
            const char *member,
            gint64     *field)
{
  if (content != NULL)
    read_level (json_object_get_member (content, member), field);
}

static GHashTable *
read_map (JsonObject *content,
          const char *member)
{
  GHashTable *map = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  JsonNode *node = content != NULL ? json_object_get_member (content, member) : NULL;
  JsonObjectIter iter;
  const char *key;
  JsonNode *value;

  if (node == NULL || !JSON_NODE_HOLDS_OBJECT (node))
    return map;

  json_object_iter_init (&iter, json_node_get_object (node));
  while (json_object_iter_next (&iter, &key, &value))
    {
      gint64 level;

      if (*key != '\0' && read_level (value, &level))
        g_hash_table_replace (map, g_strdup (key), g_memdup2 (&level, sizeof level));
    }

  return map;
}

/* Room version 12 (MSC4289) made creators privileged; later versions keep
 * that. Versions are strings: anything but plain digits is taken as older. */
static gboolean
creators_are_privileged (const char *room_version)
{
  guint64 version;

  return room_version != NULL &&
         g_ascii_string_to_unsigned (room_version, 10, 1, G_MAXUINT32, &version, NULL) &&
         version >= 12;
}

/**
 * matrix_power_levels_new:
 * @content: (nullable): the content of the room's `m.room.power_levels`,
 *   or %NULL when the room has none
 * @room_version: (nullable): the room's version (`room_version` of its
 *   `m.room.create`; %NULL is version 1)
 * @creators: (nullable) (array zero-terminated=1): the room's creators: the
 *   sender of `m.room.create` (and, from version 12, its
 *   `additional_creators`)
 *
 * Reads power levels, with the spec's defaults for what is missing or not
 * a level: `ban`, `kick`, `redact` and `state_default` 50, `invite`,
 * `events_default` and `users_default` 0. Without @content, the first
 * creator has 100, everyone else 0, and state events need 0. From room
 * version 12 on, the creators outrank every level (%G_MAXINT64) whatever
 * @content says.
 *
 * Returns: (transfer full): the power levels
 */
MatrixPowerLevels *
matrix_power_levels_new (JsonObject         *content,
                         const char         *room_version,
                         const char * const *creators)
{
  MatrixPowerLevels *self = g_new0 (MatrixPowerLevels, 1);
  const char *creator = creators != NULL ? creators[0] : NULL;

  g_atomic_ref_count_init (&self->ref_count);
  self->content = content != NULL ? json_object_ref (content) : NULL;
  self->ban = self->kick = self->redact = 50;
  self->state_default = content != NULL ? 50 : 0;
  read_field (content, "ban", &self->ban);
  read_field (content, "kick", &self->kick);
  read_field (content, "invite", &self->invite);
  read_field (content, "redact", &self->redact);
  read_field (content, "events_default", &self->events_default);
  read_field (content, "state_default", &self->state_default);
  read_field (content, "users_default", &self->users_default);
  self->users = read_map (content, "users");
  self->events = read_map (content, "events");

  self->creators = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  if (creators_are_privileged (room_version))
    {
      for (guint i = 0; creators != NULL && creators[i] != NULL; i++)
        g_hash_table_add (self->creators, g_strdup (creators[i]));
    }
  else if (content == NULL && creator != NULL)
    {
      gint64 level = 100;
      g_hash_table_replace (self->users, g_strdup (creator), g_memdup2 (&level, sizeof level));
    }

  return self;
}

/**
 * matrix_power_levels_ref:
 * @self: a #MatrixPowerLevels
 *
 * Takes a reference.
 *
 * Returns: (transfer full): @self
 */
MatrixPowerLevels *
matrix_power_levels_ref (MatrixPowerLevels *self)
{
  g_return_val_if_fail (self != NULL, NULL);

  g_atomic_ref_count_inc (&self->ref_count);
  return self;
}

/**
 * matrix_power_levels_unref:
 * @self: (transfer full): a #MatrixPowerLevels
 *
 * Drops a reference; the last one frees @self.
 */
void
matrix_power_levels_unref (MatrixPowerLevels *self)
{
  g_return_if_fail (self != NULL);

  if (!g_atomic_ref_count_dec (&self->ref_count))
    return;
  g_clear_pointer (&self->content, json_object_unref);
  g_hash_table_unref (self->users);
  g_hash_table_unref (self->events);
  g_hash_table_unref (self->creators);
  g_free (self);
}

/**
 * matrix_power_levels_get_user_level:
 * @self: a #MatrixPowerLevels
 * @user_id: a user id
 *
 * The level of @user_id: theirs in `users`, else `users_default`.
 *
 * Returns: the level of @user_id: theirs in `users`, else `users_default`;
 *   %G_MAXINT64 for a creator of a room of version 12 or later
 */
gint64
matrix_power_levels_get_user_level (MatrixPowerLevels *self,
                                    const char        *user_id)
{
  gint64 *level;

  g_return_val_if_fail (self != NULL, 0);
  g_return_val_if_fail (user_id != NULL, 0);

  if (g_hash_table_contains (self->creators, user_id))
    return G_MAXINT64;
  level = g_hash_table_lookup (self->users, user_id);
  return level != NULL ? *level : self->users_default;
}

/**
 * matrix_power_levels_is_creator:
 * @self: a #MatrixPowerLevels
 * @user_id: a user id
 *
 * Whether @user_id is a creator of a room of version 12 or later, whose
 * level nobody can change.
 *
 * Returns: %TRUE for a privileged creator
 */
gboolean
matrix_power_levels_is_creator (MatrixPowerLevels *self,
                                const char        *user_id)
{
  g_return_val_if_fail (self != NULL, FALSE);
  g_return_val_if_fail (user_id != NULL, FALSE);

  return g_hash_table_contains (self->creators, user_id);
}

/**
 * matrix_power_levels_get_action_level:
 * @self: a #MatrixPowerLevels
 * @action: an action
 *
 * The level @action needs.
 *
 * Returns: the level @action needs
 */
gint64
matrix_power_levels_get_action_level (MatrixPowerLevels *self,
                                      MatrixPowerAction  action)
{
  g_return_val_if_fail (self != NULL, 0);

  switch (action)
    {
    case MATRIX_POWER_ACTION_INVITE:
      return self->invite;
    case MATRIX_POWER_ACTION_KICK:
      return self->kick;
    case MATRIX_POWER_ACTION_BAN:
      return self->ban;
    case MATRIX_POWER_ACTION_REDACT:
      return self->redact;
    default:
      g_return_val_if_reached (MATRIX_POWER_LEVEL_MAX);
    }
}

/**
 * matrix_power_levels_get_event_level:
 * @self: a #MatrixPowerLevels
 * @event_type: an event type
 * @state: whether the event is a state event
 *
 * The level sending an @event_type needs: its entry in `events`,
 * else `state_default` or `events_default`.
 *
 * Returns: the level sending an @event_type needs: its entry in `events`,
 *   else `state_default` or `events_default`
 */
gint64
matrix_power_levels_get_event_level (MatrixPowerLevels *self,
                                     const char        *event_type,
                                     gboolean           state)
{
  gint64 *level;

  g_return_val_if_fail (self != NULL, 0);
  g_return_val_if_fail (event_type != NULL, 0);

  level = g_hash_table_lookup (self->events, event_type);
  if (level != NULL)
    return *level;
  return state ? self->state_default : self->events_default;
}

/**
 * matrix_power_levels_can_invite:
 * @self: a #MatrixPowerLevels
 * @user_id: who would invite
 *
 * Whether @user_id's level reaches `invite`.
 *
 * Returns: whether @user_id's level reaches `invite`
 */
gboolean
matrix_power_levels_can_invite (MatrixPowerLevels *self,
                                const char        *user_id)
{
  g_return_val_if_fail (self != NULL, FALSE);

  return matrix_power_levels_get_user_level (self, user_id) >= self->invite;
}

static gboolean
can_act_on (MatrixPowerLevels *self,
            const char        *user_id,
            const char        *target_id,
            gint64             needed)
{
  gint64 level = matrix_power_levels_get_user_level (self, user_id);

  return level >= needed && level > matrix_power_levels_get_user_level (self, target_id);
}

/**
 * matrix_power_levels_can_kick:
 * @self: a #MatrixPowerLevels
 * @user_id: who would kick
 * @target_id: whom
 *
 * Whether @user_id's level reaches `kick` and is above
 * @target_id's.
 *
 * Returns: whether @user_id's level reaches `kick` and is above @target_id's
 */
gboolean
matrix_power_levels_can_kick (MatrixPowerLevels *self,
                              const char        *user_id,
                              const char        *target_id)
{
  g_return_val_if_fail (self != NULL, FALSE);
  g_return_val_if_fail (user_id != NULL && target_id != NULL, FALSE);

  return can_act_on (self, user_id, target_id, self->kick);
}

/**
 * matrix_power_levels_can_ban:
 * @self: a #MatrixPowerLevels
 * @user_id: who would ban (or unban)
 * @target_id: whom
 *
 * Whether @user_id's level reaches `ban` and is above @target_id's
 * (the same rule unbans).
 *
 * Returns: whether @user_id's level reaches `ban` and is above @target_id's
 *   (the same rule unbans)
 */
gboolean
matrix_power_levels_can_ban (MatrixPowerLevels *self,
                             const char        *user_id,
                             const char        *target_id)
{
  g_return_val_if_fail (self != NULL, FALSE);
  g_return_val_if_fail (user_id != NULL && target_id != NULL, FALSE);

  return can_act_on (self, user_id, target_id, self->ban);
}

/**
 * matrix_power_levels_can_redact:
 * @self: a #MatrixPowerLevels
 * @user_id: who would redact
 * @sender_id: who sent the event
 *
 * Whether @user_id may redact an event of @sender_id: anyone who
 * may send `m.room.redaction` may redact their own, `redact` is needed for
 * others'.
 *
 * Returns: whether @user_id may redact an event of @sender_id: anyone who
 *   may send `m.room.redaction` may redact their own, `redact` is needed for
 *   others'
 */
gboolean
matrix_power_levels_can_redact (MatrixPowerLevels *self,
                                const char        *user_id,
                                const char        *sender_id)
{
  gint64 level;

  g_return_val_if_fail (self != NULL, FALSE);
  g_return_val_if_fail (user_id != NULL && sender_id != NULL, FALSE);

  level = matrix_power_levels_get_user_level (self, user_id);
  if (level < matrix_power_levels_get_event_level (self, "m.room.redaction", FALSE))
    return FALSE;
  return g_str_equal (user_id, sender_id) || level >= self->redact;
}

/**
 * matrix_power_levels_can_send_state:
 * @self: a #MatrixPowerLevels
 * @user_id: who would send
 * @event_type: a state event type, such as `m.room.name`
 *
 * Whether @user_id may change the room's @event_type.
 *
 * Returns: whether @user_id may change the room's @event_type
 */
gboolean
matrix_power_levels_can_send_state (MatrixPowerLevels *self,
                                    const char        *user_id,
                                    const char        *event_type)
{
  g_return_val_if_fail (self != NULL, FALSE);

  return matrix_power_levels_get_user_level (self, user_id) >=
         matrix_power_levels_get_event_level (self, event_type, TRUE);
}

/**
 * matrix_power_levels_can_send_message:
 * @self: a #MatrixPowerLevels
 * @user_id: who would send
 * @event_type: a message event type, such as `m.room.message`
 *
 * Whether @user_id may send an @event_type.
 *
 * Returns: whether @user_id may send an @event_type
 */
gboolean
matrix_power_levels_can_send_message (MatrixPowerLevels *self,
                                      const char        *user_id,
                                      const char        *event_type)
{
  g_return_val_if_fail (self != NULL, FALSE);

  return matrix_power_levels_get_user_level (self, user_id) >=
         matrix_power_levels_get_event_level (self, event_type, FALSE);
}

/**
 * matrix_power_levels_can_set_user_level:
 * @self: a #MatrixPowerLevels
 * @user_id: who would change it
 * @target_id: whose level
 * @level: the new level
 *
 * The spec's rules for changing `users`: the user may send
 * `m.room.power_levels`, @level is not above their own, and someone else's
 * current level is below theirs (one may lower oneself); a privileged
 * creator's level cannot be set.
 *
 * Returns: whether @user_id may set @target_id's level to @level
 */
gboolean
matrix_power_levels_can_set_user_level (MatrixPowerLevels *self,
                                        const char        *user_id,
                                        const char        *target_id,
                                        gint64             level)
{
  gint64 own;

  g_return_val_if_fail (self != NULL, FALSE);
  g_return_val_if_fail (user_id != NULL && target_id != NULL, FALSE);

  own = matrix_power_levels_get_user_level (self, user_id);
  if (!matrix_power_levels_can_send_state (self, user_id, "m.room.power_levels"))
    return FALSE;
  /* A privileged creator's level is no entry of `users`. */
  if (g_hash_table_contains (self->creators, target_id))
    return FALSE;
  if (level > own || level < -MATRIX_POWER_LEVEL_MAX)
    return FALSE;
  if (!g_str_equal (user_id, target_id) &&
      matrix_power_levels_get_user_level (self, target_id) >= own)
    return FALSE;
  return TRUE;
}

/**
 * matrix_power_levels_dup_content_with_user_level:
 * @self: a #MatrixPowerLevels
 * @user_id: whose level changes
 * @level: the new level
 *
 * The content to send as the room's new `m.room.power_levels`: what it
 * has now (every key kept, even those this reader ignored), with @user_id
 * at @level. A level equal to `users_default` removes the entry.
 *
 * Returns: (transfer full): the new content
 */
JsonObject *
matrix_power_levels_dup_content_with_user_level (MatrixPowerLevels *self,
                                                 const char        *user_id,
                                                 gint64             level)
{
  g_autoptr(JsonNode) copy = NULL;
  JsonObject *content;
  JsonNode *users_node;
  JsonObject *users;

  g_return_val_if_fail (self != NULL, NULL);
  g_return_val_if_fail (user_id != NULL, NULL);

  if (self->content != NULL)
    {
      g_autoptr(JsonNode) node = json_node_init_object (json_node_alloc (), self->content);
      copy = json_node_copy (node);
      content = json_object_ref (json_node_get_object (copy));
    }
  else
    content = json_object_new ();

  users_node = json_object_get_member (content, "users");
  if (users_node == NULL || !JSON_NODE_HOLDS_OBJECT (users_node))
    {
      users = json_object_new ();
      json_object_set_object_member (content, "users", users);
      /* A room without power levels gave its creator 100: keep that. */
      if (self->content == NULL)
        {
          GHashTableIter iter;
          gpointer key, value;

          g_hash_table_iter_init (&iter, self->users);
          while (g_hash_table_iter_next (&iter, &key, &value))
            if (!g_hash_table_contains (self->creators, key))
              json_object_set_int_member (users, key, *(gint64 *) value);
        }
    }
  else
    users = json_node_get_object (users_node);

  level = clamp_level (level);
  if (level == self->users_default)
    json_object_remove_member (users, user_id);
  else
    json_object_set_int_member (users, user_id, level);

  return content;
}

/**
 * matrix_power_role_for_level:
 * @level: a power level
 *
 * The role badges show for @level: admin from 100, moderator from
 * 50.
 *
 * Returns: the role badges show for @level: admin from 100, moderator from 50
 */
MatrixPowerRole
matrix_power_role_for_level (gint64 level)
{
  if (level >= 100)
    return MATRIX_POWER_ROLE_ADMIN;
  if (level >= 50)
    return MATRIX_POWER_ROLE_MODERATOR;
  return MATRIX_POWER_ROLE_USER;
}
