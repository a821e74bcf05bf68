/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <gio/gio.h>

#include <json-glib/json-glib.h>

#include "matrix-room.h"

G_BEGIN_DECLS

/**
 * MatrixJoinRule:
 * @MATRIX_JOIN_RULE_INVITE: people join when invited (`invite`)
 * @MATRIX_JOIN_RULE_PUBLIC: anyone may join (`public`)
 * @MATRIX_JOIN_RULE_KNOCK: people ask to join (`knock`)
 * @MATRIX_JOIN_RULE_OTHER: a rule this library does not name (`restricted`,
 *   `private`, or none it could read)
 *
 * Who may join a room: its `m.room.join_rules`.
 */
typedef enum {
  MATRIX_JOIN_RULE_INVITE,
  MATRIX_JOIN_RULE_PUBLIC,
  MATRIX_JOIN_RULE_KNOCK,
  MATRIX_JOIN_RULE_OTHER,
} MatrixJoinRule;

#define MATRIX_TYPE_JOIN_RULE (matrix_join_rule_get_type ())
GType matrix_join_rule_get_type (void) G_GNUC_CONST;

MatrixJoinRule matrix_room_get_join_rule     (MatrixRoom          *self);
void           matrix_room_set_name_async    (MatrixRoom          *self,
                                              const char          *name,
                                              GCancellable        *cancellable,
                                              GAsyncReadyCallback  callback,
                                              gpointer             user_data);
void           matrix_room_set_topic_async   (MatrixRoom          *self,
                                              const char          *topic,
                                              GCancellable        *cancellable,
                                              GAsyncReadyCallback  callback,
                                              gpointer             user_data);
void           matrix_room_set_join_rule_async (MatrixRoom        *self,
                                                MatrixJoinRule     join_rule,
                                                GCancellable      *cancellable,
                                                GAsyncReadyCallback callback,
                                                gpointer           user_data);
/**
 * MatrixHistoryVisibility:
 * @MATRIX_HISTORY_VISIBILITY_INVITED: members read from when they were
 *   invited (`invited`)
 * @MATRIX_HISTORY_VISIBILITY_JOINED: members read from when they joined
 *   (`joined`)
 * @MATRIX_HISTORY_VISIBILITY_SHARED: members read all of it, also what came
 *   before they were invited (`shared`)
 * @MATRIX_HISTORY_VISIBILITY_WORLD_READABLE: anyone may read it, members or
 *   not (`world_readable`)
 * @MATRIX_HISTORY_VISIBILITY_OTHER: a value this library could not read
 *
 * Who may read a room's history: its `m.room.history_visibility`.
 */
typedef enum {
  MATRIX_HISTORY_VISIBILITY_INVITED,
  MATRIX_HISTORY_VISIBILITY_JOINED,
  MATRIX_HISTORY_VISIBILITY_SHARED,
  MATRIX_HISTORY_VISIBILITY_WORLD_READABLE,
  MATRIX_HISTORY_VISIBILITY_OTHER,
} MatrixHistoryVisibility;

#define MATRIX_TYPE_HISTORY_VISIBILITY (matrix_history_visibility_get_type ())
GType matrix_history_visibility_get_type (void) G_GNUC_CONST;

MatrixHistoryVisibility matrix_room_get_history_visibility       (MatrixRoom              *self);
void                    matrix_room_set_history_visibility_async (MatrixRoom              *self,
                                                                  MatrixHistoryVisibility  visibility,
                                                                  GCancellable            *cancellable,
                                                                  GAsyncReadyCallback      callback,
                                                                  gpointer                 user_data);
void                    matrix_room_set_avatar_async             (MatrixRoom              *self,
                                                                  const char              *mxc_uri,
                                                                  GCancellable            *cancellable,
                                                                  GAsyncReadyCallback      callback,
                                                                  gpointer                 user_data);

gboolean       matrix_room_set_state_finish  (MatrixRoom          *self,
                                              GAsyncResult        *result,
                                              GError             **error);

/**
 * MatrixNotifyLevel:
 * @MATRIX_NOTIFY_LEVEL_ALL: every message notifies, as the account's rules say
 * @MATRIX_NOTIFY_LEVEL_MENTIONS: only mentions and keywords notify (a `room`
 *   push rule that does not notify)
 * @MATRIX_NOTIFY_LEVEL_MUTE: nothing notifies (an `override` push rule that
 *   does not notify)
 *
 * How much a room notifies, as its push rules say.
 */
typedef enum {
  MATRIX_NOTIFY_LEVEL_ALL,
  MATRIX_NOTIFY_LEVEL_MENTIONS,
  MATRIX_NOTIFY_LEVEL_MUTE,
} MatrixNotifyLevel;

#define MATRIX_TYPE_NOTIFY_LEVEL (matrix_notify_level_get_type ())
GType matrix_notify_level_get_type (void) G_GNUC_CONST;

MatrixNotifyLevel matrix_push_rules_get_room_level         (JsonObject          *push_rules,
                                                            const char          *room_id);
void              matrix_client_set_room_notify_level_async  (MatrixClient        *self,
                                                              const char          *room_id,
                                                              MatrixNotifyLevel    level,
                                                              GCancellable        *cancellable,
                                                              GAsyncReadyCallback  callback,
                                                              gpointer             user_data);
gboolean          matrix_client_set_room_notify_level_finish (MatrixClient        *self,
                                                              GAsyncResult        *result,
                                                              GError             **error);

G_END_DECLS
