/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <gio/gio.h>

#include "matrix-event.h"
#include "matrix-reaction.h"

G_BEGIN_DECLS

MatrixReaction *_matrix_reaction_new               (const char     *key,
                                                    const char     *own_user_id);
gboolean        _matrix_reaction_add               (MatrixReaction *self,
                                                    const char     *event_id,
                                                    const char     *sender);
gboolean        _matrix_reaction_remove            (MatrixReaction *self,
                                                    const char     *event_id);
void            _matrix_reaction_set_bundled_count (MatrixReaction *self,
                                                    guint           count);

/* Everything known that relates to one event: its edits, the reactions to
 * it, the replies in its thread. A timeline keeps one per event that has
 * relations, whether or not the event itself is there yet. */
typedef struct _MatrixRelationSet MatrixRelationSet;

typedef enum {
  MATRIX_RELATIONS_CHANGED_EDITS     = 1 << 0,
  MATRIX_RELATIONS_CHANGED_REACTIONS = 1 << 1,
  MATRIX_RELATIONS_CHANGED_THREAD    = 1 << 2,
} MatrixRelationsChanged;

MatrixRelationSet *_matrix_relation_set_new            (const char        *own_user_id);
MatrixRelationSet *_matrix_relation_set_ref            (MatrixRelationSet *self);
void               _matrix_relation_set_unref          (MatrixRelationSet *self);

/* Counts @relation (an m.replace, m.annotation or m.thread naming the
 * set's event); an event already counted, or redacted, changes nothing. */
MatrixRelationsChanged _matrix_relation_set_add        (MatrixRelationSet *self,
                                                        MatrixEvent       *relation);
/* Stops counting the relation with @event_id (it was redacted). */
MatrixRelationsChanged _matrix_relation_set_remove     (MatrixRelationSet *self,
                                                        const char        *event_id);
/* Echoes of our own sends, counted until the server's copy comes. */
MatrixRelationsChanged _matrix_relation_set_add_echo_reaction    (MatrixRelationSet *self,
                                                                  const char        *echo_id,
                                                                  const char        *key);
MatrixRelationsChanged _matrix_relation_set_add_echo_edit        (MatrixRelationSet *self,
                                                                  MatrixEvent       *edit);
/* The server's own summary of the relations of @target
 * (`unsigned["m.relations"]`): its newest edit, the reactions' counts by
 * key, its thread's size and newest reply. */
MatrixRelationsChanged _matrix_relation_set_add_bundled          (MatrixRelationSet *self,
                                                                  MatrixEvent       *target);

/* The newest edit of @original that the spec lets replace it, or NULL. */
MatrixEvent       *_matrix_relation_set_get_replacement (MatrixRelationSet *self,
                                                         MatrixEvent       *original);
/* Every valid edit of @original, oldest first. */
GPtrArray         *_matrix_relation_set_dup_edits      (MatrixRelationSet *self,
                                                        MatrixEvent       *original);
GListModel        *_matrix_relation_set_get_reactions  (MatrixRelationSet *self);
guint              _matrix_relation_set_get_thread_count  (MatrixRelationSet *self);
MatrixEvent       *_matrix_relation_set_get_thread_latest (MatrixRelationSet *self);
GPtrArray   *_matrix_relation_set_dup_thread (MatrixRelationSet *self);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (MatrixRelationSet, _matrix_relation_set_unref)

G_END_DECLS
