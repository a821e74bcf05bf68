/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <glib-object.h>
#include <json-glib/json-glib.h>

G_BEGIN_DECLS

/**
 * MATRIX_POWER_LEVEL_MAX:
 *
 * The highest power level the library keeps: the largest integer JSON
 * can carry exactly (2^53 - 1), as the spec's canonical JSON allows.
 * Larger values are clamped to it, smaller than its negation to that.
 * The creators of a room of version 12 or later rank above it
 * (%G_MAXINT64): no level reaches theirs.
 */
#define MATRIX_POWER_LEVEL_MAX G_GINT64_CONSTANT (9007199254740991)

/**
 * MatrixPowerRole:
 * @MATRIX_POWER_ROLE_USER: a power level below 50
 * @MATRIX_POWER_ROLE_MODERATOR: 50 to 99
 * @MATRIX_POWER_ROLE_ADMIN: 100 or more
 *
 * The usual names of power levels, for badges.
 */
typedef enum {
  MATRIX_POWER_ROLE_USER,
  MATRIX_POWER_ROLE_MODERATOR,
  MATRIX_POWER_ROLE_ADMIN,
} MatrixPowerRole;

#define MATRIX_TYPE_POWER_ROLE (matrix_power_role_get_type ())
GType matrix_power_role_get_type (void) G_GNUC_CONST;

/**
 * MatrixPowerAction:
 * @MATRIX_POWER_ACTION_INVITE: inviting a user (`invite`)
 * @MATRIX_POWER_ACTION_KICK: removing a member (`kick`)
 * @MATRIX_POWER_ACTION_BAN: banning or unbanning a user (`ban`)
 * @MATRIX_POWER_ACTION_REDACT: removing someone else's event (`redact`)
 *
 * The actions of `m.room.power_levels` that have a level of their own.
 */
typedef enum {
  MATRIX_POWER_ACTION_INVITE,
  MATRIX_POWER_ACTION_KICK,
  MATRIX_POWER_ACTION_BAN,
  MATRIX_POWER_ACTION_REDACT,
} MatrixPowerAction;

#define MATRIX_TYPE_POWER_ACTION (matrix_power_action_get_type ())
GType matrix_power_action_get_type (void) G_GNUC_CONST;

/**
 * MatrixPowerLevels:
 *
 * A room's `m.room.power_levels`, validated: an immutable, reference
 * counted value.
 */
typedef struct _MatrixPowerLevels MatrixPowerLevels;

#define MATRIX_TYPE_POWER_LEVELS (matrix_power_levels_get_type ())
GType              matrix_power_levels_get_type            (void) G_GNUC_CONST;

MatrixPowerLevels *matrix_power_levels_new                 (JsonObject         *content,
                                                            const char         *room_version,
                                                            const char * const *creators);
gboolean           matrix_power_levels_is_creator          (MatrixPowerLevels  *self,
                                                            const char         *user_id);
MatrixPowerLevels *matrix_power_levels_ref                 (MatrixPowerLevels  *self);
void               matrix_power_levels_unref               (MatrixPowerLevels  *self);

gint64             matrix_power_levels_get_user_level      (MatrixPowerLevels  *self,
                                                            const char         *user_id);
gint64             matrix_power_levels_get_action_level    (MatrixPowerLevels  *self,
                                                            MatrixPowerAction   action);
gint64             matrix_power_levels_get_event_level     (MatrixPowerLevels  *self,
                                                            const char         *event_type,
                                                            gboolean            state);
gboolean           matrix_power_levels_can_invite          (MatrixPowerLevels  *self,
                                                            const char         *user_id);
gboolean           matrix_power_levels_can_kick            (MatrixPowerLevels  *self,
                                                            const char         *user_id,
                                                            const char         *target_id);
gboolean           matrix_power_levels_can_ban             (MatrixPowerLevels  *self,
                                                            const char         *user_id,
                                                            const char         *target_id);
gboolean           matrix_power_levels_can_redact          (MatrixPowerLevels  *self,
                                                            const char         *user_id,
                                                            const char         *sender_id);
gboolean           matrix_power_levels_can_send_state      (MatrixPowerLevels  *self,
                                                            const char         *user_id,
                                                            const char         *event_type);
gboolean           matrix_power_levels_can_send_message    (MatrixPowerLevels  *self,
                                                            const char         *user_id,
                                                            const char         *event_type);
gboolean           matrix_power_levels_can_set_user_level  (MatrixPowerLevels  *self,
                                                            const char         *user_id,
                                                            const char         *target_id,
                                                            gint64              level);
JsonObject        *matrix_power_levels_dup_content_with_user_level (MatrixPowerLevels *self,
                                                                    const char        *user_id,
                                                                    gint64             level);

MatrixPowerRole    matrix_power_role_for_level             (gint64              level);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (MatrixPowerLevels, matrix_power_levels_unref)

G_END_DECLS
