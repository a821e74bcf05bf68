/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <json-glib/json-glib.h>

#include "matrix-power-levels.h"

G_BEGIN_DECLS

/* What the push rules say of one event (the client-server spec's push
 * rules, evaluated by the client: a server cannot read encrypted rooms,
 * and Synapse's sliding sync counts nothing). */
typedef enum {
  MATRIX_PUSH_NONE      = 0,
  MATRIX_PUSH_NOTIFY    = 1 << 0,
  /* Only with NOTIFY: a highlight that does not notify counts for nothing. */
  MATRIX_PUSH_HIGHLIGHT = 1 << 1,
} MatrixPushResult;

/* The room and the user an event is evaluated for. */
typedef struct {
  const char        *room_id;
  const char        *user_id;       /* the user the rules belong to */
  const char        *display_name;  /* theirs in the room (nullable) */
  gint64             member_count;  /* joined members; < 0: unknown */
  MatrixPowerLevels *power_levels;  /* nullable: everyone at 0 */
  JsonObject        *notifications; /* the power levels' "notifications" (nullable) */
} MatrixPushContext;

/* @push_rules: the content of `m.push_rules` as the server sent it (never
 * trusted: a malformed rule is skipped, an unknown condition never
 * matches), or NULL for the spec's server-default rules. @event: the event
 * as JSON (type, content, sender, state_key...), decrypted where it was. */
MatrixPushResult  _matrix_push_rules_evaluate      (JsonObject              *push_rules,
                                                    JsonObject              *event,
                                                    const MatrixPushContext *context);

/* (transfer full): the spec's predefined rules for @user_id, as the
 * content of an `m.push_rules` event. */
JsonObject       *_matrix_push_rules_new_defaults (const char              *user_id);

/* Glob matching as event_match does it: case-insensitive, `*` and `?`;
 * the whole value, or with @word_boundary any part of it that starts and
 * ends on word boundaries. A @literal pattern has no wildcards. */
gboolean          _matrix_push_glob_match          (const char              *pattern,
                                                    const char              *value,
                                                    gboolean                 word_boundary,
                                                    gboolean                 literal);

G_END_DECLS
