/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <glib-object.h>

G_BEGIN_DECLS

#define MATRIX_TYPE_REACTION (matrix_reaction_get_type ())
G_DECLARE_FINAL_TYPE (MatrixReaction, matrix_reaction, MATRIX, REACTION, GObject)

/*
 * One key (an emoji, usually) of the reactions to an event, with everyone
 * who reacted with it. Properties (read-only, each notifies): key, count
 * (guint), own (gboolean), own-event-id (string, nullable).
 */

const char *matrix_reaction_get_key          (MatrixReaction *self);
guint       matrix_reaction_get_count        (MatrixReaction *self);
GStrv       matrix_reaction_dup_senders      (MatrixReaction *self);
gboolean    matrix_reaction_has_sender       (MatrixReaction *self,
                                              const char     *user_id);
gboolean    matrix_reaction_get_own          (MatrixReaction *self);
const char *matrix_reaction_get_own_event_id (MatrixReaction *self);

G_END_DECLS
