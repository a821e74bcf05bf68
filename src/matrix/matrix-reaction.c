/* SPDX-License-Identifier: LGPL-2.1-or-later */
#define G_LOG_DOMAIN "matrix-reaction"

#include <string.h>

#include "matrix-relations-private.h"

/**
 * MatrixReaction:
 *
 * The reactions with one key to one event: how many people reacted, who,
 * and whether the user did (with the id of that reaction, to take it back
 * with matrix_timeline_redact_async()).
 *
 * Each sender counts once, however many reactions with the key they sent
 * (servers refuse duplicates, but not every server). A reaction the user is
 * still sending counts, and makes #MatrixReaction:own true, but has no
 * event id yet. Where the server only told how many reactions an event has
 * (a bundled aggregation) and not who sent them, the count is the larger of
 * that number and the senders known.
 */
struct _MatrixReaction
{
  GObject     parent_instance;

  char       *key;
  char       *own_user_id;
  GHashTable *events;        /* reaction event id → sender */
  GHashTable *senders;       /* sender → number of their reactions with this key */
  char       *own_event_id;  /* one of our reactions; an echo's id starts with '~' */
  guint       bundled_count;
};

G_DEFINE_FINAL_TYPE (MatrixReaction, matrix_reaction, G_TYPE_OBJECT)

enum {
  PROP_0,
  PROP_KEY,
  PROP_COUNT,
  PROP_OWN,
  PROP_OWN_EVENT_ID,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

MatrixReaction *
_matrix_reaction_new (const char *key,
                      const char *own_user_id)
{
  MatrixReaction *self = g_object_new (MATRIX_TYPE_REACTION, NULL);

  self->key = g_strdup (key);
  self->own_user_id = g_strdup (own_user_id);
  return self;
}

static gboolean
is_echo_id (const char *event_id)
{
  return event_id != NULL && event_id[0] == '~';
}

static void
set_own_event_id (MatrixReaction *self,
                  const char     *event_id)
{
  gboolean was_own = self->own_event_id != NULL;
  const char *before = matrix_reaction_get_own_event_id (self);
  char *old = self->own_event_id;

  self->own_event_id = g_strdup (event_id);
  /* `before` points into the old id: compared, then freed. */
  if (g_strcmp0 (before, matrix_reaction_get_own_event_id (self)) != 0)
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_OWN_EVENT_ID]);
  g_free (old);
  if (was_own != (self->own_event_id != NULL))
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_OWN]);
}

/* Adds one reaction event (@event_id may be an echo's "~txn"); TRUE if it
 * was not counted yet. */
gboolean
_matrix_reaction_add (MatrixReaction *self,
                      const char     *event_id,
                      const char     *sender)
{
  guint before = matrix_reaction_get_count (self);
  guint n;

  if (g_hash_table_contains (self->events, event_id))
    return FALSE;

  g_hash_table_insert (self->events, g_strdup (event_id), g_strdup (sender));
  n = GPOINTER_TO_UINT (g_hash_table_lookup (self->senders, sender));
  g_hash_table_insert (self->senders, g_strdup (sender), GUINT_TO_POINTER (n + 1));

  /* A real id is better than an echo's: it can be redacted. */
  if (g_strcmp0 (sender, self->own_user_id) == 0 &&
      (self->own_event_id == NULL || (is_echo_id (self->own_event_id) && !is_echo_id (event_id))))
    set_own_event_id (self, event_id);

  if (matrix_reaction_get_count (self) != before)
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_COUNT]);
  return TRUE;
}

gboolean
_matrix_reaction_remove (MatrixReaction *self,
                         const char     *event_id)
{
  guint before = matrix_reaction_get_count (self);
  g_autofree char *sender = NULL;
  g_autofree char *key = NULL;
  guint n;

  if (!g_hash_table_steal_extended (self->events, event_id, (gpointer *) &key, (gpointer *) &sender))
    return FALSE;

  n = GPOINTER_TO_UINT (g_hash_table_lookup (self->senders, sender));
  if (n <= 1)
    g_hash_table_remove (self->senders, sender);
  else
    g_hash_table_insert (self->senders, g_strdup (sender), GUINT_TO_POINTER (n - 1));

  if (g_strcmp0 (self->own_event_id, event_id) == 0)
    {
      const char *other = NULL;

      /* Rare: we reacted twice with one key. Prefer a real id again. */
      if (g_hash_table_contains (self->senders, self->own_user_id))
        {
          GHashTableIter iter;
          gpointer id, value;

          g_hash_table_iter_init (&iter, self->events);
          while (g_hash_table_iter_next (&iter, &id, &value))
            if (g_str_equal (value, self->own_user_id) && (other == NULL || is_echo_id (other)))
              other = id;
        }
      set_own_event_id (self, other);
    }

  if (matrix_reaction_get_count (self) != before)
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_COUNT]);
  return TRUE;
}

void
_matrix_reaction_set_bundled_count (MatrixReaction *self,
                                    guint           count)
{
  guint before = matrix_reaction_get_count (self);

  self->bundled_count = count;
  if (matrix_reaction_get_count (self) != before)
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_COUNT]);
}

/**
 * matrix_reaction_get_key:
 * @self: a #MatrixReaction
 *
 * What the reactions counted here say, usually an emoji. Keys are compared
 * byte for byte, so two forms of one emoji are two reactions.
 *
 * Returns: (transfer none): the key, as the senders wrote it
 */
const char *
matrix_reaction_get_key (MatrixReaction *self)
{
  g_return_val_if_fail (MATRIX_IS_REACTION (self), NULL);

  return self->key;
}

/**
 * matrix_reaction_get_count:
 * @self: a #MatrixReaction
 *
 * The number to show beside the key. Each sender counts once, the user's
 * reaction still being sent included; where the server only gave a total
 * (a bundled aggregation), that total counts if it is larger.
 *
 * Returns: how many people reacted with the key
 */
guint
matrix_reaction_get_count (MatrixReaction *self)
{
  g_return_val_if_fail (MATRIX_IS_REACTION (self), 0);

  return MAX (g_hash_table_size (self->senders), self->bundled_count);
}

static int
compare_ids (gconstpointer a,
             gconstpointer b)
{
  return strcmp (*(const char **) a, *(const char **) b);
}

/**
 * matrix_reaction_dup_senders:
 * @self: a #MatrixReaction
 *
 * Who reacted with the key, to name them (in a tooltip, say). Only the
 * senders whose reactions this client has seen: after a bundled count there
 * may be fewer than matrix_reaction_get_count().
 *
 * Returns: (transfer full): the user ids of the senders known, sorted
 */
GStrv
matrix_reaction_dup_senders (MatrixReaction *self)
{
  g_autoptr(GPtrArray) ids = g_ptr_array_new ();
  GHashTableIter iter;
  gpointer sender;

  g_return_val_if_fail (MATRIX_IS_REACTION (self), NULL);

  g_hash_table_iter_init (&iter, self->senders);
  while (g_hash_table_iter_next (&iter, &sender, NULL))
    g_ptr_array_add (ids, g_strdup (sender));
  g_ptr_array_sort (ids, compare_ids);
  g_ptr_array_add (ids, NULL);
  return (GStrv) g_ptr_array_free (g_steal_pointer (&ids), FALSE);
}

/**
 * matrix_reaction_has_sender:
 * @self: a #MatrixReaction
 * @user_id: a user id
 *
 * Whether @user_id is among the senders known (see
 * matrix_reaction_dup_senders()), without copying them all.
 *
 * Returns: whether @user_id reacted with the key
 */
gboolean
matrix_reaction_has_sender (MatrixReaction *self,
                            const char     *user_id)
{
  g_return_val_if_fail (MATRIX_IS_REACTION (self), FALSE);
  g_return_val_if_fail (user_id != NULL, FALSE);

  return g_hash_table_contains (self->senders, user_id);
}

/**
 * matrix_reaction_get_own:
 * @self: a #MatrixReaction
 *
 * Whether to show the key as the user's: choosing it again should then take
 * the reaction back rather than send another. A reaction still being sent
 * counts, so that a second click cannot send a duplicate.
 *
 * Returns: whether the user reacted with the key (or is sending it)
 */
gboolean
matrix_reaction_get_own (MatrixReaction *self)
{
  g_return_val_if_fail (MATRIX_IS_REACTION (self), FALSE);

  return self->own_event_id != NULL;
}

/**
 * matrix_reaction_get_own_event_id:
 * @self: a #MatrixReaction
 *
 * The user's reaction, to take back with matrix_timeline_redact_async().
 * A reaction still being sent has no event id yet: this is %NULL then,
 * although matrix_reaction_get_own() is %TRUE.
 *
 * Returns: (transfer none) (nullable): the event id of the user's reaction,
 *   to redact it; %NULL when there is none, or while it is being sent
 */
const char *
matrix_reaction_get_own_event_id (MatrixReaction *self)
{
  g_return_val_if_fail (MATRIX_IS_REACTION (self), NULL);

  return is_echo_id (self->own_event_id) ? NULL : self->own_event_id;
}

static void
matrix_reaction_finalize (GObject *object)
{
  MatrixReaction *self = MATRIX_REACTION (object);

  g_free (self->key);
  g_free (self->own_user_id);
  g_free (self->own_event_id);
  g_hash_table_unref (self->events);
  g_hash_table_unref (self->senders);

  G_OBJECT_CLASS (matrix_reaction_parent_class)->finalize (object);
}

static void
matrix_reaction_get_property (GObject    *object,
                              guint       prop_id,
                              GValue     *value,
                              GParamSpec *pspec)
{
  MatrixReaction *self = MATRIX_REACTION (object);

  switch (prop_id)
    {
    case PROP_KEY:
      g_value_set_string (value, self->key);
      break;
    case PROP_COUNT:
      g_value_set_uint (value, matrix_reaction_get_count (self));
      break;
    case PROP_OWN:
      g_value_set_boolean (value, matrix_reaction_get_own (self));
      break;
    case PROP_OWN_EVENT_ID:
      g_value_set_string (value, matrix_reaction_get_own_event_id (self));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
matrix_reaction_class_init (MatrixReactionClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = matrix_reaction_finalize;
  object_class->get_property = matrix_reaction_get_property;

  /**
   * MatrixReaction:key:
   *
   * The key the reactions share, usually an emoji; it never changes. See
   * matrix_reaction_get_key().
   */
  properties[PROP_KEY] =
    g_param_spec_string ("key", NULL, NULL, NULL, G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  /**
   * MatrixReaction:count:
   *
   * How many people reacted with the key, as matrix_reaction_get_count()
   * counts them. Notifies when it changes.
   */
  properties[PROP_COUNT] =
    g_param_spec_uint ("count", NULL, NULL, 0, G_MAXUINT, 0,
                       G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  /**
   * MatrixReaction:own:
   *
   * Whether the user reacted with the key, or is sending such a reaction.
   * Notifies when it changes.
   */
  properties[PROP_OWN] =
    g_param_spec_boolean ("own", NULL, NULL, FALSE,
                          G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  /**
   * MatrixReaction:own-event-id:
   *
   * The event id of the user's reaction, to redact it; %NULL when the user
   * has none or it is still being sent. Notifies when it changes.
   */
  properties[PROP_OWN_EVENT_ID] =
    g_param_spec_string ("own-event-id", NULL, NULL, NULL,
                         G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);

  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
matrix_reaction_init (MatrixReaction *self)
{
  self->events = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  self->senders = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
}
