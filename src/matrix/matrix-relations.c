/* SPDX-License-Identifier: LGPL-2.1-or-later */
#define G_LOG_DOMAIN "matrix-relations"

#include "matrix-content-private.h"
#include "matrix-relations-private.h"

/* What relates to one event (see matrix-relations-private.h). Everything is
 * kept by id in hash tables, so that a relation costs the same whether the
 * event has one reaction or ten thousand; only taking back the newest
 * reply of a thread walks the thread. */
struct _MatrixRelationSet
{
  char        *own_user_id;

  GPtrArray   *edits;          /* MatrixEvent: m.replace naming the event, any sender */

  GHashTable  *reaction_of;    /* reaction event id → MatrixReaction (owned by by_key) */
  GHashTable  *by_key;         /* key → MatrixReaction */
  GListStore  *reactions;      /* MatrixReaction, in the order their keys first came */

  GHashTable  *thread;         /* reply event id → MatrixEvent */
  MatrixEvent *thread_latest;  /* the newest reply known, or the server's */
  MatrixEvent *bundled_latest; /* the server's newest reply when it counted them */
  guint        bundled_count;
  guint        n_after_bundled; /* replies known that are newer than bundled_latest */
};

MatrixRelationSet *
_matrix_relation_set_new (const char *own_user_id)
{
  MatrixRelationSet *self = g_rc_box_new0 (MatrixRelationSet);

  self->own_user_id = g_strdup (own_user_id);
  return self;
}

MatrixRelationSet *
_matrix_relation_set_ref (MatrixRelationSet *self)
{
  return g_rc_box_acquire (self);
}

static void
relation_set_clear (MatrixRelationSet *self)
{
  g_free (self->own_user_id);
  g_clear_pointer (&self->edits, g_ptr_array_unref);
  g_clear_pointer (&self->reaction_of, g_hash_table_unref);
  g_clear_pointer (&self->by_key, g_hash_table_unref);
  g_clear_object (&self->reactions);
  g_clear_pointer (&self->thread, g_hash_table_unref);
  g_clear_object (&self->thread_latest);
  g_clear_object (&self->bundled_latest);
}

void
_matrix_relation_set_unref (MatrixRelationSet *self)
{
  g_rc_box_release_full (self, (GDestroyNotify) relation_set_clear);
}

static gboolean
is_echo_id (const char *event_id)
{
  return event_id != NULL && event_id[0] == '~';
}

/* The spec's order of relations: by origin_server_ts, then by event id. */
static gboolean
is_newer (MatrixEvent *a,
          MatrixEvent *b)
{
  gint64 ta = matrix_event_get_origin_server_ts (a), tb = matrix_event_get_origin_server_ts (b);

  if (ta != tb)
    return ta > tb;
  return g_strcmp0 (matrix_event_get_event_id (a), matrix_event_get_event_id (b)) > 0;
}

/* --- edits ---------------------------------------------------------------------- */

static gboolean
find_edit (MatrixRelationSet *self,
           const char        *event_id,
           guint             *position)
{
  for (guint i = 0; self->edits != NULL && i < self->edits->len; i++)
    if (g_strcmp0 (matrix_event_get_event_id (g_ptr_array_index (self->edits, i)), event_id) == 0)
      {
        *position = i;
        return TRUE;
      }
  return FALSE;
}

static MatrixRelationsChanged
add_edit (MatrixRelationSet *self,
          MatrixEvent       *edit)
{
  guint position;

  if (find_edit (self, matrix_event_get_event_id (edit), &position))
    return 0;
  if (self->edits == NULL)
    self->edits = g_ptr_array_new_with_free_func (g_object_unref);
  g_ptr_array_add (self->edits, g_object_ref (edit));
  return MATRIX_RELATIONS_CHANGED_EDITS;
}

/* The spec's rules for a replacement (v1.13, "Validity of replacement
 * events"): same room, same sender, same type, no state key on either, the
 * original not itself an edit, and new content present. */
static gboolean
is_valid_edit (MatrixEvent *original,
               MatrixEvent *edit)
{
  return !matrix_event_is_redacted (edit) &&
         g_strcmp0 (matrix_event_get_room_id (original), matrix_event_get_room_id (edit)) == 0 &&
         g_strcmp0 (matrix_event_get_sender (original), matrix_event_get_sender (edit)) == 0 &&
         g_strcmp0 (matrix_event_get_event_type (original), matrix_event_get_event_type (edit)) == 0 &&
         !matrix_event_is_state (original) && !matrix_event_is_state (edit) &&
         g_strcmp0 (matrix_event_get_relation_type (original), "m.replace") != 0 &&
         _matrix_content_get_object (matrix_event_get_content (edit), "m.new_content") != NULL;
}

MatrixEvent *
_matrix_relation_set_get_replacement (MatrixRelationSet *self,
                                      MatrixEvent       *original)
{
  MatrixEvent *best = NULL, *echo = NULL;

  for (guint i = 0; self->edits != NULL && i < self->edits->len; i++)
    {
      MatrixEvent *edit = g_ptr_array_index (self->edits, i);

      if (!is_valid_edit (original, edit))
        continue;
      /* What the user is sending now wins over what the server has. */
      if (is_echo_id (matrix_event_get_event_id (edit)))
        echo = edit;
      else if (best == NULL || is_newer (edit, best))
        best = edit;
    }

  return echo != NULL ? echo : best;
}

static int
compare_edits (gconstpointer a,
               gconstpointer b)
{
  MatrixEvent *ea = *(MatrixEvent **) a, *eb = *(MatrixEvent **) b;
  gboolean echo_a = is_echo_id (matrix_event_get_event_id (ea));
  gboolean echo_b = is_echo_id (matrix_event_get_event_id (eb));

  if (echo_a != echo_b)
    return echo_a ? 1 : -1;
  if (echo_a)
    return 0;
  return is_newer (ea, eb) ? 1 : is_newer (eb, ea) ? -1 : 0;
}

GPtrArray *
_matrix_relation_set_dup_edits (MatrixRelationSet *self,
                                MatrixEvent       *original)
{
  GPtrArray *edits = g_ptr_array_new_with_free_func (g_object_unref);

  for (guint i = 0; self->edits != NULL && i < self->edits->len; i++)
    if (is_valid_edit (original, g_ptr_array_index (self->edits, i)))
      g_ptr_array_add (edits, g_object_ref (g_ptr_array_index (self->edits, i)));
  /* Stable: echoes stay in the order they were sent. */
  g_ptr_array_sort (edits, compare_edits);
  return edits;
}

/* --- reactions ------------------------------------------------------------------ */

static void
ensure_reactions (MatrixRelationSet *self)
{
  if (self->reactions != NULL)
    return;
  self->reactions = g_list_store_new (MATRIX_TYPE_REACTION);
  self->reaction_of = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  self->by_key = g_hash_table_new_full (g_str_hash, g_str_equal, NULL, g_object_unref);
}

static MatrixReaction *
ensure_key (MatrixRelationSet *self,
            const char        *key)
{
  MatrixReaction *reaction;

  ensure_reactions (self);
  reaction = g_hash_table_lookup (self->by_key, key);
  if (reaction == NULL)
    {
      reaction = _matrix_reaction_new (key, self->own_user_id);
      g_hash_table_insert (self->by_key, (gpointer) matrix_reaction_get_key (reaction), reaction);
      g_list_store_append (self->reactions, reaction);
    }
  return reaction;
}

static MatrixRelationsChanged
add_reaction (MatrixRelationSet *self,
              const char        *event_id,
              const char        *sender,
              const char        *key)
{
  MatrixReaction *reaction;

  if (key == NULL || *key == '\0' || (self->reaction_of != NULL &&
                                      g_hash_table_contains (self->reaction_of, event_id)))
    return 0;

  reaction = ensure_key (self, key);
  g_hash_table_insert (self->reaction_of, g_strdup (event_id), reaction);
  _matrix_reaction_add (reaction, event_id, sender);
  return MATRIX_RELATIONS_CHANGED_REACTIONS;
}

static MatrixRelationsChanged
remove_reaction (MatrixRelationSet *self,
                 const char        *event_id)
{
  MatrixReaction *reaction;
  guint position;

  if (self->reaction_of == NULL ||
      (reaction = g_hash_table_lookup (self->reaction_of, event_id)) == NULL)
    return 0;

  g_hash_table_remove (self->reaction_of, event_id);
  _matrix_reaction_remove (reaction, event_id);
  if (matrix_reaction_get_count (reaction) == 0 &&
      g_list_store_find (self->reactions, reaction, &position))
    {
      g_list_store_remove (self->reactions, position);
      g_hash_table_remove (self->by_key, matrix_reaction_get_key (reaction));
    }
  return MATRIX_RELATIONS_CHANGED_REACTIONS;
}

GListModel *
_matrix_relation_set_get_reactions (MatrixRelationSet *self)
{
  ensure_reactions (self);
  return G_LIST_MODEL (self->reactions);
}

/* --- threads -------------------------------------------------------------------- */

static void
update_thread_latest (MatrixRelationSet *self)
{
  MatrixEvent *latest = self->bundled_latest;
  GHashTableIter iter;
  gpointer value;

  g_hash_table_iter_init (&iter, self->thread);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    if (latest == NULL || is_newer (value, latest))
      latest = value;
  g_set_object (&self->thread_latest, latest);
}

static gboolean
counts_after_bundled (MatrixRelationSet *self,
                      MatrixEvent       *reply)
{
  return self->bundled_latest == NULL || is_newer (reply, self->bundled_latest);
}

static MatrixRelationsChanged
add_thread_reply (MatrixRelationSet *self,
                  MatrixEvent       *reply)
{
  const char *event_id = matrix_event_get_event_id (reply);

  if (self->thread == NULL)
    self->thread = g_hash_table_new_full (g_str_hash, g_str_equal, NULL, g_object_unref);
  if (g_hash_table_contains (self->thread, event_id))
    return 0;

  g_hash_table_insert (self->thread, (gpointer) event_id, g_object_ref (reply));
  if (counts_after_bundled (self, reply))
    self->n_after_bundled++;
  if (self->thread_latest == NULL || is_newer (reply, self->thread_latest))
    g_set_object (&self->thread_latest, reply);
  return MATRIX_RELATIONS_CHANGED_THREAD;
}

static MatrixRelationsChanged
remove_thread_reply (MatrixRelationSet *self,
                     const char        *event_id)
{
  g_autoptr(MatrixEvent) reply = NULL;

  if (self->thread == NULL ||
      !g_hash_table_steal_extended (self->thread, event_id, NULL, (gpointer *) &reply))
    return 0;

  if (counts_after_bundled (self, reply))
    self->n_after_bundled--;
  if (reply == self->thread_latest)
    update_thread_latest (self);
  return MATRIX_RELATIONS_CHANGED_THREAD;
}

guint
_matrix_relation_set_get_thread_count (MatrixRelationSet *self)
{
  if (self->bundled_latest == NULL && self->bundled_count == 0)
    return self->thread != NULL ? g_hash_table_size (self->thread) : 0;
  return self->bundled_count + self->n_after_bundled;
}

MatrixEvent *
_matrix_relation_set_get_thread_latest (MatrixRelationSet *self)
{
  return self->thread_latest;
}

/* The thread's replies known here (those seen, and echoes of ours), in no
 * order. */
GPtrArray *
_matrix_relation_set_dup_thread (MatrixRelationSet *self)
{
  GPtrArray *replies = g_ptr_array_new_with_free_func (g_object_unref);
  GHashTableIter iter;
  gpointer value;

  if (self->thread == NULL)
    return replies;
  g_hash_table_iter_init (&iter, self->thread);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    g_ptr_array_add (replies, g_object_ref (value));
  return replies;
}

/* --- all of them ---------------------------------------------------------------- */

MatrixRelationsChanged
_matrix_relation_set_add (MatrixRelationSet *self,
                          MatrixEvent       *relation)
{
  const char *rel_type = matrix_event_get_relation_type (relation);

  if (matrix_event_is_redacted (relation))
    return 0;
  if (g_strcmp0 (rel_type, "m.replace") == 0)
    return add_edit (self, relation);
  if (g_strcmp0 (rel_type, "m.annotation") == 0)
    return add_reaction (self, matrix_event_get_event_id (relation),
                         matrix_event_get_sender (relation),
                         matrix_event_get_annotation_key (relation));
  if (g_strcmp0 (rel_type, "m.thread") == 0)
    return add_thread_reply (self, relation);
  return 0;
}

MatrixRelationsChanged
_matrix_relation_set_remove (MatrixRelationSet *self,
                             const char        *event_id)
{
  guint position;

  if (find_edit (self, event_id, &position))
    {
      g_ptr_array_remove_index (self->edits, position);
      return MATRIX_RELATIONS_CHANGED_EDITS;
    }
  return remove_reaction (self, event_id) | remove_thread_reply (self, event_id);
}

MatrixRelationsChanged
_matrix_relation_set_add_echo_reaction (MatrixRelationSet *self,
                                        const char        *echo_id,
                                        const char        *key)
{
  return add_reaction (self, echo_id, self->own_user_id, key);
}

MatrixRelationsChanged
_matrix_relation_set_add_echo_edit (MatrixRelationSet *self,
                                    MatrixEvent       *edit)
{
  return add_edit (self, edit);
}

static gboolean
get_uint (JsonObject *object,
          const char *member,
          guint      *out)
{
  JsonNode *node = json_object_get_member (object, member);

  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != G_TYPE_INT64 ||
      json_node_get_int (node) < 0)
    return FALSE;
  *out = (guint) MIN (json_node_get_int (node), G_MAXUINT);
  return TRUE;
}

MatrixRelationsChanged
_matrix_relation_set_add_bundled (MatrixRelationSet *self,
                                  MatrixEvent       *target)
{
  JsonObject *relations = _matrix_content_get_object (matrix_event_get_unsigned (target), "m.relations");
  const char *room_id = matrix_event_get_room_id (target);
  MatrixRelationsChanged changed = 0;
  JsonObject *replace, *annotations, *thread;
  JsonNode *chunk;

  if (relations == NULL)
    return 0;

  /* Since v1.7 the newest edit itself. Older servers sent only its id, sender
   * and time: not enough to show it, so it is left to the edits that come. */
  replace = _matrix_content_get_object (relations, "m.replace");
  if (replace != NULL)
    {
      g_autoptr(MatrixEvent) edit = matrix_event_new_from_json (room_id, replace, NULL);

      if (edit != NULL && g_strcmp0 (matrix_event_get_relation_type (edit), "m.replace") == 0 &&
          g_strcmp0 (matrix_event_get_related_event_id (edit), matrix_event_get_event_id (target)) == 0)
        changed |= add_edit (self, edit);
    }

  /* Counts only (MSC2677, as servers have sent it): no one's id. */
  annotations = _matrix_content_get_object (relations, "m.annotation");
  chunk = annotations != NULL ? json_object_get_member (annotations, "chunk") : NULL;
  if (chunk != NULL && JSON_NODE_HOLDS_ARRAY (chunk))
    {
      JsonArray *array = json_node_get_array (chunk);

      for (guint i = 0; i < json_array_get_length (array); i++)
        {
          JsonNode *node = json_array_get_element (array, i);
          const char *key;
          guint count;

          if (!JSON_NODE_HOLDS_OBJECT (node))
            continue;
          key = _matrix_content_get_string (json_node_get_object (node), "key");
          if (key == NULL || *key == '\0' || !get_uint (json_node_get_object (node), "count", &count) ||
              count == 0)
            continue;
          _matrix_reaction_set_bundled_count (ensure_key (self, key), count);
          changed |= MATRIX_RELATIONS_CHANGED_REACTIONS;
        }
    }

  thread = _matrix_content_get_object (relations, "m.thread");
  if (thread != NULL)
    {
      JsonObject *latest_json = _matrix_content_get_object (thread, "latest_event");
      g_autoptr(MatrixEvent) latest = NULL;
      guint count;

      if (latest_json != NULL)
        latest = matrix_event_new_from_json (room_id, latest_json, NULL);
      if (get_uint (thread, "count", &count) && latest != NULL)
        {
          GHashTableIter iter;
          gpointer value;

          g_set_object (&self->bundled_latest, latest);
          self->bundled_count = count;
          self->n_after_bundled = 0;
          if (self->thread != NULL)
            {
              g_hash_table_iter_init (&iter, self->thread);
              while (g_hash_table_iter_next (&iter, NULL, &value))
                if (counts_after_bundled (self, value))
                  self->n_after_bundled++;
            }
          if (self->thread == NULL)
            self->thread = g_hash_table_new_full (g_str_hash, g_str_equal, NULL, g_object_unref);
          update_thread_latest (self);
          changed |= MATRIX_RELATIONS_CHANGED_THREAD;
        }
    }

  return changed;
}
