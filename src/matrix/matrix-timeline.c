/* SPDX-License-Identifier: LGPL-2.1-or-later */
#define G_LOG_DOMAIN "matrix-timeline"

#include "matrix-client-private.h"
#include "matrix-client-crypto-private.h"
#include "matrix-content-private.h"
#include "matrix-error.h"
#include "matrix-json-private.h"
#include "matrix-timeline-private.h"

#define DEFAULT_LOAD_LIMIT 50

/**
 * MatrixTimeline:
 *
 * The timeline of one room as a #GListModel of #MatrixTimelineItem, oldest
 * first. Only events that came in a `timeline` (of a sync or of /messages)
 * are here; a sync's `state` section only changes the room's state.
 *
 * Layout: events and gaps in timeline order, then the local echoes of sends
 * still in flight. An echo is replaced in place by the server's copy when a
 * sync brings it (matched by `unsigned.transaction_id`, or by the event id
 * the send returned), so it never shows twice.
 */
struct _MatrixTimeline
{
  GObject       parent_instance;

  MatrixClient *client;
  char         *room_id;
  GPtrArray    *items;       /* MatrixTimelineItem */
  GHashTable   *event_ids;   /* ids of the EVENT items, borrowed from their events */
  GPtrArray    *sync_gaps;   /* JsonObject {"token", "before"}: what a restart needs */
  guint         n_echoes;    /* the last n_echoes items are LOCAL_ECHO */
  /* Echoes of sends that are not rows (reactions, edits, redactions), by
   * transaction id, until the server's copy comes or the send fails. */
  GHashTable   *pending;
  /* Relations (see the "relations" section) */
  GHashTable   *rows;        /* event id → its EVENT item (borrowed) */
  GHashTable   *hidden;      /* event id → MatrixEvent: a relation, no row */
  GHashTable   *orphans;     /* event id → MatrixRelationSet of an event with no row */
  GHashTable   *replies;     /* event id → GPtrArray of the items replying to it */
  GHashTable   *fetched;     /* event id → MatrixTimelineItem of its own, for replies */
  GHashTable   *fetching;    /* event id → GPtrArray of GTask waiting for its fetch */
  gboolean      loading;
  gboolean      at_start;

  MatrixTimelineRedactionsFunc redactions_func;
  gpointer                     redactions_data;

  /* End-to-end encryption: the machine whose room keys retry the rows
   * that lack one. */
  MatrixCrypto *crypto;
  gulong        keys_handler;
};

static void matrix_timeline_list_model_init (GListModelInterface *iface);

G_DEFINE_ENUM_TYPE (MatrixMessageType, matrix_message_type,
  G_DEFINE_ENUM_VALUE (MATRIX_MESSAGE_TEXT, "text"),
  G_DEFINE_ENUM_VALUE (MATRIX_MESSAGE_EMOTE, "emote"),
  G_DEFINE_ENUM_VALUE (MATRIX_MESSAGE_NOTICE, "notice"))

G_DEFINE_FINAL_TYPE_WITH_CODE (MatrixTimeline, matrix_timeline, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (G_TYPE_LIST_MODEL,
                                                      matrix_timeline_list_model_init))

enum {
  PROP_0,
  PROP_LOADING,
  PROP_AT_START,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static GType
matrix_timeline_get_item_type (GListModel *model)
{
  return MATRIX_TYPE_TIMELINE_ITEM;
}

static guint
matrix_timeline_get_n_items (GListModel *model)
{
  return MATRIX_TIMELINE (model)->items->len;
}

static gpointer
matrix_timeline_get_item (GListModel *model,
                          guint       position)
{
  MatrixTimeline *self = MATRIX_TIMELINE (model);

  if (position >= self->items->len)
    return NULL;

  return g_object_ref (g_ptr_array_index (self->items, position));
}

static void
matrix_timeline_list_model_init (GListModelInterface *iface)
{
  iface->get_item_type = matrix_timeline_get_item_type;
  iface->get_n_items = matrix_timeline_get_n_items;
  iface->get_item = matrix_timeline_get_item;
}

static void
set_at_start (MatrixTimeline *self,
              gboolean        at_start)
{
  if (self->at_start == at_start)
    return;
  self->at_start = at_start;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_AT_START]);
}

static void
set_loading (MatrixTimeline *self,
             gboolean        loading)
{
  if (self->loading == loading)
    return;
  self->loading = loading;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_LOADING]);
}

static gboolean
is_room_start (MatrixEvent *event)
{
  return g_strcmp0 (matrix_event_get_event_type (event), "m.room.create") == 0;
}

static void
insert_items (MatrixTimeline *self,
              guint           position,
              guint           n_removed,
              GPtrArray      *added)
{
  if (n_removed == 0 && added->len == 0)
    return;

  g_ptr_array_remove_range (self->items, position, n_removed);
  for (guint i = 0; i < added->len; i++)
    g_ptr_array_insert (self->items, position + i, g_object_ref (g_ptr_array_index (added, i)));
  g_list_model_items_changed (G_LIST_MODEL (self), position, n_removed, added->len);
}

/* The echo this event is the server's copy of, if any. */
static gboolean
find_echo_for (MatrixTimeline *self,
               MatrixEvent    *event,
               guint          *position)
{
  const char *txn_id = matrix_event_get_transaction_id (event);
  const char *event_id = matrix_event_get_event_id (event);

  for (guint i = self->items->len - self->n_echoes; i < self->items->len; i++)
    {
      MatrixTimelineItem *item = g_ptr_array_index (self->items, i);

      if ((txn_id != NULL &&
           g_strcmp0 (matrix_timeline_item_get_transaction_id (item), txn_id) == 0) ||
          g_strcmp0 (_matrix_timeline_item_get_sent_event_id (item), event_id) == 0)
        {
          *position = i;
          return TRUE;
        }
    }

  return FALSE;
}

static void
add_sync_gap (MatrixTimeline *self,
              const char     *token,
              const char     *before_event_id)
{
  JsonObject *gap = json_object_new ();

  json_object_set_string_member (gap, "token", token);
  json_object_set_string_member (gap, "before", before_event_id);
  g_ptr_array_add (self->sync_gaps, gap);
}

static gboolean
has_events (MatrixTimeline *self)
{
  return self->items->len > self->n_echoes;
}

/* --- relations ------------------------------------------------------------------- */

static const char *
own_user (MatrixTimeline *self)
{
  return g_intern_string (matrix_client_get_user_id (self->client));
}

/* Edits, reactions and thread replies are not rows: they change the event
 * they relate to. So is a reaction a server redacted (its relation gone
 * with its content), which would otherwise show as an empty row. State
 * events are always rows, whatever they say. */
static gboolean
is_hidden_relation (MatrixEvent *event)
{
  const char *rel_type;

  if (matrix_event_is_state (event))
    return FALSE;
  rel_type = matrix_event_get_relation_type (event);
  return g_strcmp0 (rel_type, "m.replace") == 0 || g_strcmp0 (rel_type, "m.annotation") == 0 ||
         g_strcmp0 (rel_type, "m.thread") == 0 ||
         g_strcmp0 (matrix_event_get_event_type (event), "m.reaction") == 0;
}

/* The relations of @event_id, with the row that shows them if there is one;
 * made for an event that has none yet. */
static MatrixRelationSet *
relations_of (MatrixTimeline      *self,
              const char          *event_id,
              MatrixTimelineItem **row)
{
  MatrixRelationSet *relations;

  *row = g_hash_table_lookup (self->rows, event_id);
  if (*row != NULL)
    return _matrix_timeline_item_ensure_relations (*row);

  /* The event is not here (yet): keep them until it comes. */
  relations = g_hash_table_lookup (self->orphans, event_id);
  if (relations == NULL)
    {
      relations = _matrix_relation_set_new (own_user (self));
      g_hash_table_insert (self->orphans, g_strdup (event_id), relations);
    }
  return relations;
}

static void
relations_changed (MatrixTimelineItem     *row,
                   MatrixRelationsChanged  changed)
{
  if (row != NULL && changed != 0)
    _matrix_timeline_item_relations_changed (row, changed);
}

static void
add_relation (MatrixTimeline *self,
              MatrixEvent    *event)
{
  const char *target = matrix_event_get_related_event_id (event);
  MatrixTimelineItem *row;
  MatrixRelationSet *relations;

  g_hash_table_replace (self->hidden, (gpointer) matrix_event_get_event_id (event), g_object_ref (event));
  if (target == NULL)
    return;
  relations = relations_of (self, target, &row);
  relations_changed (row, _matrix_relation_set_add (relations, event));
}

/* Counts a hidden relation again, or (@on FALSE) no more: a redaction of
 * it, or the echo of one. */
static void
count_relation (MatrixTimeline *self,
                MatrixEvent    *event,
                gboolean        on)
{
  const char *target = matrix_event_get_related_event_id (event);
  MatrixRelationSet *relations;
  MatrixTimelineItem *row;

  if (target == NULL)
    return;
  relations = relations_of (self, target, &row);
  if (on)
    relations_changed (row, _matrix_relation_set_add (relations, event));
  else
    relations_changed (row, _matrix_relation_set_remove (relations, matrix_event_get_event_id (event)));
}

/* An item of its own for an event that is no row: what a reply shows of an
 * event replied to outside the timeline. */
static MatrixTimelineItem *
detached_item (MatrixTimeline *self,
               const char     *event_id)
{
  MatrixTimelineItem *item = g_hash_table_lookup (self->fetched, event_id);
  MatrixEvent *hidden;

  if (item == NULL && (hidden = g_hash_table_lookup (self->hidden, event_id)) != NULL)
    {
      item = _matrix_timeline_item_new_event (hidden);
      g_hash_table_insert (self->fetched, g_strdup (event_id), item);
    }
  return item;
}

/* A reply shows the event it answers: the row if there is one, else an
 * item of its own; or it waits for it (a later sync, a backfill, or
 * matrix_timeline_load_reply_async()). */
static void
resolve_reply (MatrixTimeline     *self,
               MatrixTimelineItem *item)
{
  const char *target = matrix_timeline_item_get_in_reply_to_id (item);
  MatrixTimelineItem *shown;
  GPtrArray *waiting;

  if (target == NULL)
    return;

  waiting = g_hash_table_lookup (self->replies, target);
  if (waiting == NULL)
    {
      waiting = g_ptr_array_new_with_free_func (g_object_unref);
      g_hash_table_insert (self->replies, g_strdup (target), waiting);
    }
  g_ptr_array_add (waiting, g_object_ref (item));

  shown = g_hash_table_lookup (self->rows, target);
  if (shown == NULL)
    shown = detached_item (self, target);
  if (shown != NULL)
    _matrix_timeline_item_set_reply (item, MATRIX_REPLY_STATE_LOADED, shown);
  else
    _matrix_timeline_item_set_reply (item, g_hash_table_contains (self->fetching, target)
                                             ? MATRIX_REPLY_STATE_LOADING
                                             : MATRIX_REPLY_STATE_UNKNOWN, NULL);
}

/* Every reply to @event_id now shows @shown. */
static void
show_in_replies (MatrixTimeline     *self,
                 const char         *event_id,
                 MatrixTimelineItem *shown)
{
  GPtrArray *waiting = g_hash_table_lookup (self->replies, event_id);

  for (guint i = 0; waiting != NULL && i < waiting->len; i++)
    _matrix_timeline_item_set_reply (g_ptr_array_index (waiting, i), MATRIX_REPLY_STATE_LOADED, shown);
}

/* --- encrypted rows ------------------------------------------------------ *
 *
 * A row of an m.room.encrypted event is decrypted when it is made (from a
 * sync or from the store: the store keeps the encrypted original only), on
 * the machine's thread. Its row then shows the plaintext; the model says
 * the row changed, so a view binds it again. A row whose room key had not
 * arrived is decrypted again when a sync brings keys for the room. */

typedef struct {
  GWeakRef            timeline;
  MatrixTimelineItem *item;
} Decryption;

static void
on_row_decrypted (GObject      *source,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  Decryption *d = user_data;
  g_autoptr(MatrixTimeline) self = g_weak_ref_get (&d->timeline);
  g_autoptr(MatrixTimelineItem) item = d->item;
  g_autoptr(MatrixEvent) plain = NULL;
  g_autoptr(GError) error = NULL;
  guint position;

  g_weak_ref_clear (&d->timeline);
  g_free (d);
  plain = _matrix_client_decrypt_event_finish (MATRIX_CLIENT (source), result, &error);
  if (self == NULL || !g_ptr_array_find (self->items, item, &position))
    return;
  if (plain != NULL)
    _matrix_timeline_item_set_decrypted (item, plain);
  else
    _matrix_timeline_item_set_decryption_error (item, error);
  g_list_model_items_changed (G_LIST_MODEL (self), position, 1, 1);
}

static void
decrypt_row (MatrixTimeline     *self,
             MatrixTimelineItem *item)
{
  Decryption *d;

  if (self->client == NULL || _matrix_client_get_crypto (self->client) == NULL)
    return;
  d = g_new0 (Decryption, 1);
  g_weak_ref_init (&d->timeline, self);
  d->item = g_object_ref (item);
  _matrix_client_decrypt_event_async (self->client, matrix_timeline_item_get_event (item), NULL,
                                      on_row_decrypted, d);
}

static void
on_room_keys_received (MatrixCrypto   *crypto,
                       GStrv           room_ids,
                       MatrixTimeline *self)
{
  if (!g_strv_contains ((const char * const *) room_ids, self->room_id))
    return;
  for (guint i = 0; i < self->items->len; i++)
    {
      MatrixTimelineItem *item = g_ptr_array_index (self->items, i);
      const GError *error = matrix_timeline_item_get_decryption_error (item);

      if (_matrix_timeline_item_needs_decryption (item) &&
          g_error_matches (error, MATRIX_ERROR, MATRIX_ERROR_DECRYPTION_KEY_MISSING))
        decrypt_row (self, item);
    }
}

static void
watch_room_keys (MatrixTimeline *self)
{
  MatrixCrypto *crypto = self->client != NULL ? _matrix_client_get_crypto (self->client) : NULL;

  if (crypto == self->crypto)
    return;
  if (self->crypto != NULL)
    g_clear_signal_handler (&self->keys_handler, self->crypto);
  g_set_object (&self->crypto, crypto);
  if (crypto != NULL)
    self->keys_handler = g_signal_connect (crypto, "room-keys-received",
                                           G_CALLBACK (on_room_keys_received), self);
}

/* A row for @event, with the relations that came before it (or those of the
 * row it replaces, @relations) and those the server bundled with it. */
static MatrixTimelineItem *
new_row (MatrixTimeline    *self,
         MatrixEvent       *event,
         MatrixRelationSet *relations)
{
  MatrixTimelineItem *item = _matrix_timeline_item_new_event (event);
  const char *event_id = matrix_event_get_event_id (event);
  g_autoptr(MatrixRelationSet) orphan = NULL;
  g_autofree char *orphan_id = NULL;

  _matrix_timeline_item_set_own_user_id (item, own_user (self));
  g_hash_table_replace (self->rows, (gpointer) event_id, item);

  if (relations == NULL &&
      g_hash_table_steal_extended (self->orphans, event_id, (gpointer *) &orphan_id, (gpointer *) &orphan))
    relations = orphan;
  if (relations != NULL)
    _matrix_timeline_item_take_relations (item, relations);
  else if (_matrix_content_get_object (matrix_event_get_unsigned (event), "m.relations") != NULL)
    relations_changed (item, _matrix_relation_set_add_bundled (_matrix_timeline_item_ensure_relations (item),
                                                               event));

  resolve_reply (self, item);
  show_in_replies (self, event_id, item);
  if (_matrix_timeline_item_needs_decryption (item))
    {
      watch_room_keys (self);
      decrypt_row (self, item);
    }
  return item;
}

/* Takes in an event not seen before: a new row for it, or NULL when it is
 * not one (a redaction, a relation). */
static MatrixTimelineItem *
take_event (MatrixTimeline *self,
            MatrixEvent    *event)
{
  g_hash_table_add (self->event_ids, (gpointer) matrix_event_get_event_id (event));

  /* A redaction is not shown: the event it removes changes instead. */
  if (matrix_event_get_redacts (event) != NULL)
    return NULL;
  if (is_hidden_relation (event))
    {
      add_relation (self, event);
      return NULL;
    }
  return new_row (self, event, NULL);
}

/* --- echoes of sends that are not rows ------------------------------------------ */

/* What the echo of a reaction, an edit or a redaction changes, shown at
 * once; @on FALSE takes it back. */
static void
show_echo (MatrixTimeline     *self,
           MatrixTimelineItem *echo,
           gboolean            on)
{
  const char *target = _matrix_timeline_item_get_target_id (echo);
  const char *event_type = matrix_timeline_item_get_event_type (echo);
  g_autofree char *echo_id = g_strconcat ("~", matrix_timeline_item_get_transaction_id (echo), NULL);
  MatrixTimelineItem *row;
  MatrixRelationSet *relations;
  MatrixEvent *hidden;

  if (g_strcmp0 (event_type, "m.room.redaction") == 0)
    {
      hidden = g_hash_table_lookup (self->hidden, target);
      row = g_hash_table_lookup (self->rows, target);
      if (hidden != NULL)
        count_relation (self, hidden, !on);
      else if (row != NULL)
        _matrix_timeline_item_set_redacting (row, on);
      return;
    }

  relations = relations_of (self, target, &row);
  if (!on)
    {
      relations_changed (row, _matrix_relation_set_remove (relations, echo_id));
      return;
    }

  if (g_strcmp0 (event_type, "m.reaction") == 0)
    {
      JsonObject *relates_to = _matrix_content_get_object (matrix_timeline_item_get_content (echo),
                                                           "m.relates_to");

      relations_changed (row, _matrix_relation_set_add_echo_reaction (relations, echo_id,
                                                                      _matrix_content_get_string (relates_to, "key")));
    }
  else
    {
      /* An edit: shown as the event it will be. */
      g_autoptr(JsonObject) object = json_object_new ();
      g_autoptr(MatrixEvent) edit = NULL;

      json_object_set_string_member (object, "type", event_type);
      json_object_set_string_member (object, "sender", matrix_timeline_item_get_sender (echo));
      json_object_set_string_member (object, "event_id", echo_id);
      json_object_set_int_member (object, "origin_server_ts", matrix_timeline_item_get_origin_server_ts (echo));
      json_object_set_object_member (object, "content",
                                     json_object_ref (matrix_timeline_item_get_content (echo)));
      edit = matrix_event_new_from_json (self->room_id, object, NULL);
      /* A reply in a thread counts in it at once; an edit shows as it will be. */
      if (edit != NULL && g_strcmp0 (matrix_event_get_relation_type (edit), "m.thread") == 0)
        relations_changed (row, _matrix_relation_set_add (relations, edit));
      else if (edit != NULL)
        relations_changed (row, _matrix_relation_set_add_echo_edit (relations, edit));
    }
}

/* A reaction the server accepted counts under its real id at once, so
 * that it can be taken back before the sync brings it. */
static void
settle_sent_reaction (MatrixTimeline     *self,
                      MatrixTimelineItem *echo,
                      const char         *event_id)
{
  g_autofree char *echo_id = NULL;
  MatrixRelationsChanged changed;
  MatrixRelationSet *relations;
  MatrixTimelineItem *row;
  JsonObject *relates_to;

  if (g_strcmp0 (matrix_timeline_item_get_event_type (echo), "m.reaction") != 0)
    return;

  echo_id = g_strconcat ("~", matrix_timeline_item_get_transaction_id (echo), NULL);
  relates_to = _matrix_content_get_object (matrix_timeline_item_get_content (echo), "m.relates_to");
  relations = relations_of (self, _matrix_timeline_item_get_target_id (echo), &row);
  /* Added first: the count never dips. */
  changed = _matrix_relation_set_add_echo_reaction (relations, event_id,
                                                    _matrix_content_get_string (relates_to, "key"));
  changed |= _matrix_relation_set_remove (relations, echo_id);
  relations_changed (row, changed);
}

/* The server's copy of a send that is not a row: its echo, now done. */
static MatrixTimelineItem *
steal_pending (MatrixTimeline *self,
               MatrixEvent    *event)
{
  const char *txn_id = matrix_event_get_transaction_id (event);
  const char *event_id = matrix_event_get_event_id (event);
  MatrixTimelineItem *echo = NULL;
  GHashTableIter iter;
  gpointer value;

  if (g_hash_table_size (self->pending) == 0)
    return NULL;
  if (txn_id != NULL && g_hash_table_lookup (self->pending, txn_id) != NULL)
    {
      echo = g_object_ref (g_hash_table_lookup (self->pending, txn_id));
      g_hash_table_remove (self->pending, txn_id);
      return echo;
    }

  g_hash_table_iter_init (&iter, self->pending);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    if (g_strcmp0 (_matrix_timeline_item_get_sent_event_id (value), event_id) == 0)
      {
        echo = g_object_ref (value);
        g_hash_table_iter_remove (&iter);
        return echo;
      }
  return NULL;
}

/* --- sends kept across restarts ------------------------------------------ */

/* A message echo is kept in the store until the server's copy comes, so a
 * quit does not lose it: the next start shows it again and sends it with
 * the same transaction id, which the server never makes two events of. */
static void
keep_send (MatrixTimeline     *self,
           MatrixTimelineItem *echo)
{
  g_autoptr(JsonObject) send = json_object_new ();

  json_object_set_string_member (send, "txn_id", matrix_timeline_item_get_transaction_id (echo));
  json_object_set_string_member (send, "type", matrix_timeline_item_get_event_type (echo));
  json_object_set_object_member (send, "content",
                                 json_object_ref (matrix_timeline_item_get_content (echo)));
  json_object_set_int_member (send, "origin_server_ts", matrix_timeline_item_get_origin_server_ts (echo));
  matrix_store_set_pending_send (matrix_client_get_store (self->client), self->room_id,
                                 matrix_timeline_item_get_transaction_id (echo), send);
}

static void
forget_send (MatrixTimeline     *self,
             MatrixTimelineItem *echo)
{
  matrix_store_set_pending_send (matrix_client_get_store (self->client), self->room_id,
                                 matrix_timeline_item_get_transaction_id (echo), NULL);
}

/* --- events coming in ------------------------------------------------------------ */

/* Replaces the echo at @position by an EVENT item for @event. It leaves the
 * echo section, so it moves just before the first remaining echo. */
static void
replace_echo (MatrixTimeline *self,
              guint           position,
              MatrixEvent    *event)
{
  guint first_echo = self->items->len - self->n_echoes;
  g_autoptr(MatrixTimelineItem) item = NULL;

  /* The server has it: nothing left to send again after a restart. */
  forget_send (self, g_ptr_array_index (self->items, position));
  g_hash_table_add (self->event_ids, (gpointer) matrix_event_get_event_id (event));
  item = new_row (self, event, NULL);
  self->n_echoes--;

  if (position == first_echo)
    {
      MatrixTimelineItem *echo = g_ptr_array_index (self->items, position);

      g_ptr_array_index (self->items, position) = g_object_ref (item);
      g_object_unref (echo);
      g_list_model_items_changed (G_LIST_MODEL (self), position, 1, 1);
      return;
    }

  g_ptr_array_remove_index (self->items, position);
  g_ptr_array_insert (self->items, first_echo, g_object_ref (item));
  g_list_model_items_changed (G_LIST_MODEL (self), first_echo, position - first_echo + 1,
                              position - first_echo + 1);
}

void
_matrix_timeline_append_sync (MatrixTimeline *self,
                              GPtrArray      *events,
                              gboolean        limited,
                              const char     *prev_batch)
{
  g_autoptr(GPtrArray) added = g_ptr_array_new_with_free_func (g_object_unref);
  MatrixEvent *first;
  gboolean want_gap;

  g_return_if_fail (MATRIX_IS_TIMELINE (self));

  /* Events are missing before this batch after a limited sync, or before
   * the first events a room shows, unless the batch starts with one we
   * have (it overlaps) or with the room's creation. */
  first = events->len > 0 ? g_ptr_array_index (events, 0) : NULL;
  want_gap = first != NULL && prev_batch != NULL && !is_room_start (first) &&
             !g_hash_table_contains (self->event_ids, matrix_event_get_event_id (first)) &&
             (limited || !has_events (self));

  for (guint i = 0; i < events->len; i++)
    {
      MatrixEvent *event = g_ptr_array_index (events, i);
      const char *event_id = matrix_event_get_event_id (event);
      g_autoptr(MatrixTimelineItem) settled = NULL;
      MatrixTimelineItem *row;
      guint position;

      if (g_hash_table_contains (self->event_ids, event_id))
        continue;

      if (matrix_event_get_redacts (event) == NULL && !is_hidden_relation (event) &&
          find_echo_for (self, event, &position))
        {
          guint n_before = added->len;

          /* Events before it in this batch go before it. */
          insert_items (self, self->items->len - self->n_echoes, 0, added);
          g_ptr_array_set_size (added, 0);
          replace_echo (self, position + n_before, event);
          continue;
        }

      /* The server's copy counts before the echo stops: no flicker. A
       * redaction's echo stays until the room applies the redaction. */
      settled = steal_pending (self, event);
      row = take_event (self, event);
      if (settled != NULL && matrix_event_get_redacts (event) == NULL)
        show_echo (self, settled, FALSE);
      if (row == NULL)
        continue;

      if (want_gap)
        {
          g_ptr_array_add (added, _matrix_timeline_item_new_gap (prev_batch));
          add_sync_gap (self, prev_batch, event_id);
          want_gap = FALSE;
        }
      if (is_room_start (event))
        set_at_start (self, TRUE);

      g_ptr_array_add (added, row);
    }

  insert_items (self, self->items->len - self->n_echoes, 0, added);
}

void
_matrix_timeline_restore (MatrixTimeline *self,
                          GPtrArray      *events,
                          JsonArray      *gaps)
{
  g_autoptr(GHashTable) gap_before = g_hash_table_new (g_str_hash, g_str_equal);
  g_autoptr(GPtrArray) added = g_ptr_array_new_with_free_func (g_object_unref);

  g_return_if_fail (MATRIX_IS_TIMELINE (self));
  /* A room read lazily may have an echo already: the cache goes before it. */
  g_return_if_fail (self->items->len == self->n_echoes);

  for (guint i = 0; gaps != NULL && i < json_array_get_length (gaps); i++)
    {
      JsonNode *node = json_array_get_element (gaps, i);
      const char *token = NULL, *before = NULL;

      if (!JSON_NODE_HOLDS_OBJECT (node) ||
          !_matrix_json_get_string (json_node_get_object (node), NULL, "token", TRUE, &token, NULL) ||
          !_matrix_json_get_string (json_node_get_object (node), NULL, "before", TRUE, &before, NULL))
        continue;
      /* Stored before tokens were checked: it would fail every /messages. */
      if (!_matrix_token_is_valid (token))
        {
          g_warning ("Left out a stored gap whose token cannot be sent back");
          continue;
        }
      g_hash_table_insert (gap_before, (gpointer) before, (gpointer) token);
      add_sync_gap (self, token, before);
    }

  /* Relations are stored as the events they are: counting them again
   * rebuilds what they change. */
  for (guint i = 0; i < events->len; i++)
    {
      MatrixEvent *event = g_ptr_array_index (events, i);
      const char *event_id = matrix_event_get_event_id (event);
      const char *token = g_hash_table_lookup (gap_before, event_id);
      MatrixTimelineItem *row;

      if (g_hash_table_contains (self->event_ids, event_id))
        continue;
      row = take_event (self, event);
      if (row == NULL)
        continue;
      if (token != NULL)
        g_ptr_array_add (added, _matrix_timeline_item_new_gap (token));
      if (is_room_start (event))
        set_at_start (self, TRUE);
      g_ptr_array_add (added, row);
    }

  insert_items (self, 0, 0, added);
}

static gboolean
find_event_item (MatrixTimeline *self,
                 const char     *event_id,
                 guint          *position)
{
  MatrixTimelineItem *row = g_hash_table_lookup (self->rows, event_id);

  /* Rows that change are mostly recent ones: look from the end. */
  for (guint i = self->items->len; row != NULL && i > 0; i--)
    if (g_ptr_array_index (self->items, i - 1) == row)
      {
        *position = i - 1;
        return TRUE;
      }
  return FALSE;
}

MatrixEvent *
_matrix_timeline_lookup_event (MatrixTimeline *self,
                               const char     *event_id)
{
  MatrixTimelineItem *row;

  g_return_val_if_fail (MATRIX_IS_TIMELINE (self), NULL);

  row = g_hash_table_lookup (self->rows, event_id);
  if (row != NULL)
    return matrix_timeline_item_get_event (row);
  return g_hash_table_lookup (self->hidden, event_id);
}

gboolean
_matrix_timeline_replace_event (MatrixTimeline *self,
                                MatrixEvent    *event)
{
  const char *event_id = matrix_event_get_event_id (event);
  MatrixTimelineItem *old;
  MatrixEvent *hidden;
  guint position;

  g_return_val_if_fail (MATRIX_IS_TIMELINE (self), FALSE);

  /* A relation redacted: what it changed changes back. It stays hidden. */
  hidden = g_hash_table_lookup (self->hidden, event_id);
  if (hidden != NULL)
    {
      count_relation (self, hidden, FALSE);
      g_hash_table_remove (self->event_ids, event_id);
      g_hash_table_add (self->event_ids, (gpointer) event_id);
      g_hash_table_replace (self->hidden, (gpointer) event_id, g_object_ref (event));
      return TRUE;
    }

  if (!find_event_item (self, event_id, &position))
    return FALSE;

  /* The set borrows its ids from the events: the new one lends it now. */
  g_hash_table_remove (self->event_ids, event_id);
  g_hash_table_add (self->event_ids, (gpointer) event_id);
  old = g_ptr_array_index (self->items, position);
  g_ptr_array_index (self->items, position) = new_row (self, event, _matrix_timeline_item_get_relations (old));
  _matrix_timeline_item_set_redacting (old, FALSE);
  g_object_unref (old);
  g_list_model_items_changed (G_LIST_MODEL (self), position, 1, 1);
  return TRUE;
}

void
_matrix_timeline_set_redactions_func (MatrixTimeline               *self,
                                      MatrixTimelineRedactionsFunc  func,
                                      gpointer                      user_data)
{
  g_return_if_fail (MATRIX_IS_TIMELINE (self));

  self->redactions_func = func;
  self->redactions_data = user_data;
}

JsonArray *
_matrix_timeline_dup_gaps (MatrixTimeline *self)
{
  JsonArray *array = json_array_new ();

  for (guint i = 0; i < self->sync_gaps->len; i++)
    json_array_add_object_element (array, json_object_ref (g_ptr_array_index (self->sync_gaps, i)));

  return array;
}

MatrixTimeline *
_matrix_timeline_new (MatrixClient *client,
                      const char   *room_id)
{
  MatrixTimeline *self = g_object_new (MATRIX_TYPE_TIMELINE, NULL);

  self->client = g_object_ref (client);
  self->room_id = g_strdup (room_id);
  return self;
}

/**
 * matrix_timeline_get_room_id:
 * @self: a #MatrixTimeline
 *
 * The room whose timeline this is.
 *
 * Returns: (transfer none): the id of the room
 */
const char *
matrix_timeline_get_room_id (MatrixTimeline *self)
{
  g_return_val_if_fail (MATRIX_IS_TIMELINE (self), NULL);

  return self->room_id;
}

/**
 * matrix_timeline_get_loading:
 * @self: a #MatrixTimeline
 *
 * Whether a matrix_timeline_load_older_async() is running.
 *
 * Returns: whether older events are being loaded
 */
gboolean
matrix_timeline_get_loading (MatrixTimeline *self)
{
  g_return_val_if_fail (MATRIX_IS_TIMELINE (self), FALSE);

  return self->loading;
}

/**
 * matrix_timeline_get_at_start:
 * @self: a #MatrixTimeline
 *
 * Whether there is nothing older to load; see #MatrixTimeline:at-start.
 *
 * Returns: whether the room's first event is in the timeline
 */
gboolean
matrix_timeline_get_at_start (MatrixTimeline *self)
{
  g_return_val_if_fail (MATRIX_IS_TIMELINE (self), FALSE);

  return self->at_start;
}

/* --- loading older events ------------------------------------------------ */

static MatrixTimelineItem *
find_top_gap (MatrixTimeline *self)
{
  for (guint i = 0; i < self->items->len; i++)
    {
      MatrixTimelineItem *item = g_ptr_array_index (self->items, i);

      if (matrix_timeline_item_get_kind (item) == MATRIX_TIMELINE_ITEM_GAP)
        return item;
    }
  return NULL;
}

/* Puts a /messages answer (@chunk, newest first) in place of @gap. */
static void
fill_gap (MatrixTimeline     *self,
          MatrixTimelineItem *gap,
          GPtrArray          *chunk,
          const char         *end)
{
  g_autoptr(GPtrArray) added = g_ptr_array_new_with_free_func (g_object_unref);
  g_autoptr(GPtrArray) redactions = g_ptr_array_new_with_free_func (g_object_unref);
  gboolean reached_known = FALSE, reached_start = FALSE;
  guint position, n_new = 0;

  if (!g_ptr_array_find (self->items, gap, &position))
    return;  /* the gap went away while the request was out */

  /* Walk back from the newest: an event we have means the gap is closed. */
  for (; n_new < chunk->len; n_new++)
    {
      MatrixEvent *event = g_ptr_array_index (chunk, n_new);

      if (g_hash_table_contains (self->event_ids, matrix_event_get_event_id (event)))
        {
          reached_known = TRUE;
          break;
        }
      if (is_room_start (event))
        {
          reached_start = TRUE;
          n_new++;
          break;
        }
    }

  if (n_new == 0 || end == NULL)
    reached_start = reached_start || !reached_known;

  if (!reached_known && !reached_start)
    g_ptr_array_add (added, _matrix_timeline_item_new_gap (end));

  for (guint i = n_new; i > 0; i--)
    {
      MatrixEvent *event = g_ptr_array_index (chunk, i - 1);
      MatrixTimelineItem *row;

      /* As in a sync, a redaction is not shown: the server sends what it
       * removed already redacted, or the room redacts what it has. */
      if (matrix_event_get_redacts (event) != NULL)
        g_ptr_array_add (redactions, g_object_ref (event));
      row = take_event (self, event);
      if (row != NULL)
        g_ptr_array_add (added, row);
    }

  insert_items (self, position, 1, added);

  if (reached_start && position == 0)
    set_at_start (self, TRUE);

  if (redactions->len > 0 && self->redactions_func != NULL)
    self->redactions_func (redactions, self->redactions_data);
}

static void
on_messages (GObject      *source,
             GAsyncResult *result,
             gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  MatrixTimeline *self = g_task_get_source_object (task);
  MatrixTimelineItem *gap = g_task_get_task_data (task);
  g_autoptr(JsonObject) body = NULL;
  g_autoptr(GPtrArray) chunk = g_ptr_array_new_with_free_func (g_object_unref);
  JsonArray *array;
  const char *end = NULL;
  GError *error = NULL;

  set_loading (self, FALSE);

  body = matrix_client_request_finish (MATRIX_CLIENT (source), result, &error);
  if (body == NULL ||
      !_matrix_json_get_array (body, "messages", "chunk", TRUE, &array, &error) ||
      !_matrix_json_get_token (body, "messages", "end", FALSE, &end, &error))
    {
      g_task_return_error (task, error);
      return;
    }

  for (guint i = 0; i < json_array_get_length (array); i++)
    {
      JsonNode *node = json_array_get_element (array, i);
      g_autoptr(GError) local_error = NULL;
      MatrixEvent *event;

      if (!JSON_NODE_HOLDS_OBJECT (node))
        {
          g_warning ("Left out an invalid event: messages.chunk[%u]: not an object", i);
          continue;
        }
      event = matrix_event_new_from_json (self->room_id, json_node_get_object (node), &local_error);
      if (event == NULL)
        {
          g_warning ("Left out an invalid event: messages.chunk[%u]: %s", i, local_error->message);
          continue;
        }
      g_ptr_array_add (chunk, event);
    }

  /* A chunk of nothing but invalid events still moves on to `end`. */
  if (chunk->len == 0 && json_array_get_length (array) > 0 && end != NULL)
    {
      guint position;

      if (g_ptr_array_find (self->items, gap, &position))
        {
          g_autoptr(GPtrArray) added = g_ptr_array_new_with_free_func (g_object_unref);

          g_ptr_array_add (added, _matrix_timeline_item_new_gap (end));
          insert_items (self, position, 1, added);
        }
    }
  else
    fill_gap (self, gap, chunk, end);

  g_task_return_boolean (task, TRUE);
}

/**
 * matrix_timeline_load_older_async:
 * @self: a #MatrixTimeline
 * @limit: how many events to ask for at most; 0 for a default
 * @cancellable: (nullable): a #GCancellable
 * @callback: called when done
 * @user_data: data for @callback
 *
 * Fills the gap nearest the top of the timeline with
 * `GET /rooms/{roomId}/messages?dir=b&from=<gap token>`: the events take
 * the gap's place, oldest first, below a new gap if there is more to load.
 * The gap goes away when the room's start is reached, or when the events
 * reach ones the timeline already has. Does nothing if there is no gap;
 * fails with %G_IO_ERROR_PENDING while another load is running.
 */
void
matrix_timeline_load_older_async (MatrixTimeline      *self,
                                  guint                limit,
                                  GCancellable        *cancellable,
                                  GAsyncReadyCallback  callback,
                                  gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  g_autofree char *path = NULL;
  g_autofree char *limit_str = NULL;
  MatrixTimelineItem *gap;
  const char *query[9] = { NULL };

  g_return_if_fail (MATRIX_IS_TIMELINE (self));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, matrix_timeline_load_older_async);

  if (self->loading)
    {
      g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_PENDING,
                               "Older events are already being loaded");
      return;
    }

  gap = find_top_gap (self);
  if (gap == NULL)
    {
      g_task_return_boolean (task, TRUE);
      return;
    }

  g_task_set_task_data (task, g_object_ref (gap), g_object_unref);
  limit_str = g_strdup_printf ("%u", limit > 0 ? limit : DEFAULT_LOAD_LIMIT);
  query[0] = "dir";
  query[1] = "b";
  query[2] = "from";
  query[3] = matrix_timeline_item_get_gap_token (gap);
  query[4] = "limit";
  query[5] = limit_str;
  path = matrix_client_build_path ("v3", "rooms", self->room_id, "messages", NULL);

  set_loading (self, TRUE);
  matrix_client_request_async (self->client, "GET", path, query, NULL, cancellable,
                               on_messages, g_steal_pointer (&task));
}

/**
 * matrix_timeline_load_older_finish:
 * @self: a #MatrixTimeline
 * @result: the #GAsyncResult
 * @error: return location for a #GError
 *
 * Finishes matrix_timeline_load_older_async().
 *
 * Returns: %TRUE on success
 */
gboolean
matrix_timeline_load_older_finish (MatrixTimeline  *self,
                                   GAsyncResult    *result,
                                   GError         **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}

/* --- the events replies answer --------------------------------------------------- */

static void
set_waiting_replies (MatrixTimeline   *self,
                     const char       *event_id,
                     MatrixReplyState  from,
                     MatrixReplyState  to)
{
  GPtrArray *waiting = g_hash_table_lookup (self->replies, event_id);

  for (guint i = 0; waiting != NULL && i < waiting->len; i++)
    if (matrix_timeline_item_get_reply_state (g_ptr_array_index (waiting, i)) == from)
      _matrix_timeline_item_set_reply (g_ptr_array_index (waiting, i), to, NULL);
}

/* The server will not give it: not a failure to try again. */
static gboolean
is_inaccessible (const GError *error)
{
  guint status = matrix_error_get_http_status (error);

  return g_error_matches (error, MATRIX_ERROR, MATRIX_ERROR_NOT_FOUND) ||
         g_error_matches (error, MATRIX_ERROR, MATRIX_ERROR_FORBIDDEN) ||
         g_error_matches (error, MATRIX_ERROR, MATRIX_ERROR_INVALID_RESPONSE) ||
         status == 403 || status == 404;
}

typedef struct {
  MatrixTimeline *timeline;
  char           *event_id;
} ReplyFetch;

static void
reply_fetch_free (ReplyFetch *fetch)
{
  g_object_unref (fetch->timeline);
  g_free (fetch->event_id);
  g_free (fetch);
}

static void
on_reply_fetched (GObject      *source,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  ReplyFetch *fetch = user_data;
  MatrixTimeline *self = fetch->timeline;
  g_autoptr(GPtrArray) tasks = NULL;
  g_autoptr(JsonObject) body = NULL;
  g_autoptr(MatrixEvent) event = NULL;
  g_autofree char *fetching_id = NULL;
  MatrixTimelineItem *shown;
  GError *error = NULL;

  g_hash_table_steal_extended (self->fetching, fetch->event_id, (gpointer *) &fetching_id, (gpointer *) &tasks);

  body = matrix_client_request_finish (MATRIX_CLIENT (source), result, &error);
  if (body != NULL)
    event = matrix_event_new_from_json (self->room_id, body, &error);
  if (event != NULL && g_strcmp0 (matrix_event_get_event_id (event), fetch->event_id) != 0)
    {
      g_clear_object (&event);
      error = g_error_new (MATRIX_ERROR, MATRIX_ERROR_INVALID_RESPONSE,
                           "The server answered with another event than %s", fetch->event_id);
    }

  if (event != NULL)
    {
      /* The row may have come meanwhile. */
      shown = g_hash_table_lookup (self->rows, fetch->event_id);
      if (shown == NULL)
        {
          shown = _matrix_timeline_item_new_event (event);
          g_hash_table_replace (self->fetched, g_strdup (fetch->event_id), shown);
        }
      show_in_replies (self, fetch->event_id, shown);
    }
  else
    set_waiting_replies (self, fetch->event_id, MATRIX_REPLY_STATE_LOADING,
                         is_inaccessible (error) ? MATRIX_REPLY_STATE_INACCESSIBLE
                                                 : MATRIX_REPLY_STATE_UNKNOWN);

  for (guint i = 0; tasks != NULL && i < tasks->len; i++)
    {
      if (error != NULL)
        g_task_return_error (g_ptr_array_index (tasks, i), g_error_copy (error));
      else
        g_task_return_boolean (g_ptr_array_index (tasks, i), TRUE);
    }
  g_clear_error (&error);
  reply_fetch_free (fetch);
}

/**
 * matrix_timeline_load_reply_async:
 * @self: a #MatrixTimeline
 * @item: an item of @self that is a reply
 * @cancellable: (nullable): a #GCancellable
 * @callback: called when the event replied to is known, or could not be had
 * @user_data: data for @callback
 *
 * Fetches the event @item replies to when the timeline does not have it
 * (#MatrixTimelineItem:reply-state %MATRIX_REPLY_STATE_UNKNOWN), with
 * `GET /rooms/{roomId}/event/{eventId}`: every reply to it then shows it
 * (%MATRIX_REPLY_STATE_LOADED), or, when the server will not give it,
 * %MATRIX_REPLY_STATE_INACCESSIBLE. Replies asking for one event share one
 * request. Succeeds at once when there is nothing to fetch.
 */
void
matrix_timeline_load_reply_async (MatrixTimeline      *self,
                                  MatrixTimelineItem  *item,
                                  GCancellable        *cancellable,
                                  GAsyncReadyCallback  callback,
                                  gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  g_autofree char *path = NULL;
  const char *target;
  GPtrArray *tasks;
  ReplyFetch *fetch;

  g_return_if_fail (MATRIX_IS_TIMELINE (self));
  g_return_if_fail (MATRIX_IS_TIMELINE_ITEM (item));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, matrix_timeline_load_reply_async);

  target = matrix_timeline_item_get_in_reply_to_id (item);
  if (target == NULL || matrix_timeline_item_get_reply_state (item) == MATRIX_REPLY_STATE_LOADED ||
      matrix_timeline_item_get_reply_state (item) == MATRIX_REPLY_STATE_NONE)
    {
      g_task_return_boolean (task, TRUE);
      return;
    }

  tasks = g_hash_table_lookup (self->fetching, target);
  if (tasks != NULL)
    {
      g_ptr_array_add (tasks, g_steal_pointer (&task));
      return;
    }

  tasks = g_ptr_array_new_with_free_func (g_object_unref);
  g_ptr_array_add (tasks, g_steal_pointer (&task));
  g_hash_table_insert (self->fetching, g_strdup (target), tasks);
  set_waiting_replies (self, target, MATRIX_REPLY_STATE_UNKNOWN, MATRIX_REPLY_STATE_LOADING);
  set_waiting_replies (self, target, MATRIX_REPLY_STATE_INACCESSIBLE, MATRIX_REPLY_STATE_LOADING);

  fetch = g_new0 (ReplyFetch, 1);
  fetch->timeline = g_object_ref (self);
  fetch->event_id = g_strdup (target);
  path = matrix_client_build_path ("v3", "rooms", self->room_id, "event", target, NULL);
  /* Shared by every reply waiting: one caller's cancellable does not end it. */
  matrix_client_request_async (self->client, "GET", path, NULL, NULL, NULL, on_reply_fetched, fetch);
}

/**
 * matrix_timeline_load_reply_finish:
 * @self: a #MatrixTimeline
 * @result: the #GAsyncResult
 * @error: return location for a #GError
 *
 * Finishes matrix_timeline_load_reply_async(). When the server did not give
 * the event, the item's #MatrixTimelineItem:reply-state tells whether asking
 * again may help (%MATRIX_REPLY_STATE_UNKNOWN) or not
 * (%MATRIX_REPLY_STATE_INACCESSIBLE).
 *
 * Returns: %TRUE once the event replied to is shown, or when there was
 *   nothing to fetch
 */
gboolean
matrix_timeline_load_reply_finish (MatrixTimeline  *self,
                                   GAsyncResult    *result,
                                   GError         **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}

/* --- sending ---------------------------------------------------------------- */

static void
send_echo (MatrixTimeline     *self,
           MatrixTimelineItem *echo,
           GCancellable       *cancellable,
           GTask              *task);

static void
on_event_sent (GObject      *source,
               GAsyncResult *result,
               gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  MatrixTimeline *self = g_task_get_source_object (task);
  MatrixTimelineItem *echo = g_task_get_task_data (task);
  g_autofree char *event_id = NULL;
  GError *error = NULL;

  event_id = matrix_client_send_event_finish (MATRIX_CLIENT (source), result, &error);

  /* The server's copy may already have replaced the echo. */
  if (g_hash_table_lookup (self->pending, matrix_timeline_item_get_transaction_id (echo)) == echo)
    {
      if (event_id != NULL)
        {
          _matrix_timeline_item_set_sent_event_id (echo, event_id);
          _matrix_timeline_item_set_send_state (echo, MATRIX_SEND_STATE_SENT, NULL);
          settle_sent_reaction (self, echo, event_id);
        }
      else
        {
          /* Not a row, so nothing to retry from: what it changed changes back. */
          _matrix_timeline_item_set_send_state (echo, MATRIX_SEND_STATE_FAILED, error);
          show_echo (self, echo, FALSE);
          g_hash_table_remove (self->pending, matrix_timeline_item_get_transaction_id (echo));
        }
    }
  else if (g_ptr_array_find (self->items, echo, NULL))
    {
      if (event_id != NULL)
        {
          _matrix_timeline_item_set_sent_event_id (echo, event_id);
          _matrix_timeline_item_set_send_state (echo, MATRIX_SEND_STATE_SENT, NULL);
        }
      else
        _matrix_timeline_item_set_send_state (echo, MATRIX_SEND_STATE_FAILED, error);
    }

  if (event_id == NULL)
    g_task_return_error (task, error);
  else
    g_task_return_pointer (task, g_steal_pointer (&event_id), g_free);
}

static void
send_echo (MatrixTimeline     *self,
           MatrixTimelineItem *echo,
           GCancellable       *cancellable,
           GTask              *task)
{
  g_task_set_task_data (task, g_object_ref (echo), g_object_unref);
  _matrix_timeline_item_set_send_state (echo, MATRIX_SEND_STATE_PENDING, NULL);
  if (g_strcmp0 (matrix_timeline_item_get_event_type (echo), "m.room.redaction") == 0)
    {
      matrix_client_redact_event_async (self->client, self->room_id,
                                        _matrix_timeline_item_get_target_id (echo),
                                        _matrix_content_get_string (matrix_timeline_item_get_content (echo),
                                                                    "reason"),
                                        matrix_timeline_item_get_transaction_id (echo),
                                        cancellable, on_event_sent, task);
      return;
    }
  matrix_client_send_event_async (self->client, self->room_id,
                                  matrix_timeline_item_get_event_type (echo),
                                  matrix_timeline_item_get_content (echo),
                                  matrix_timeline_item_get_transaction_id (echo),
                                  cancellable, on_event_sent, task);
}

/* What @original shows now. */
static JsonObject *
shown_content (MatrixTimeline *self,
               MatrixEvent    *original)
{
  MatrixTimelineItem *row = g_hash_table_lookup (self->rows, matrix_event_get_event_id (original));
  MatrixEvent *replacement = row != NULL ? matrix_timeline_item_get_replacement (row) : NULL;
  JsonObject *new_content;

  if (replacement != NULL &&
      (new_content = _matrix_content_get_object (matrix_event_get_content (replacement), "m.new_content")) != NULL)
    return new_content;
  return matrix_event_get_content (original);
}

/* Shows an echo of the event and sends it. A message is a row of its own
 * at the end; anything that only changes another event (@target_id: a
 * reaction, an edit, a redaction) waits in `pending` instead. */
static void
send_new (MatrixTimeline      *self,
          const char          *event_type,
          JsonObject          *content,
          const char          *target_id,
          GCancellable        *cancellable,
          GAsyncReadyCallback  callback,
          gpointer             user_data,
          gpointer             source_tag)
{
  g_autoptr(MatrixTimelineItem) echo = NULL;
  g_autofree char *txn_id = NULL;
  GTask *task;

  /* No echo for what cannot be sent: a client without encryption keys
   * refuses it anyway. */
  if (matrix_client_is_room_encrypted (self->client, self->room_id) &&
      _matrix_client_get_crypto (self->client) == NULL &&
      !_matrix_client_may_send_unencrypted (event_type, content))
    {
      task = g_task_new (self, cancellable, callback, user_data);
      g_task_set_source_tag (task, source_tag);
      g_task_return_new_error (task, MATRIX_ERROR, MATRIX_ERROR_ROOM_ENCRYPTED,
                               "Room %s is encrypted, and this client cannot encrypt: "
                               "the event was not sent", self->room_id);
      g_object_unref (task);
      return;
    }

  txn_id = matrix_client_new_transaction_id (self->client);
  echo = _matrix_timeline_item_new_local_echo (event_type, content,
                                               matrix_client_get_user_id (self->client),
                                               txn_id, g_get_real_time () / 1000);
  if (target_id != NULL)
    {
      _matrix_timeline_item_set_target_id (echo, target_id);
      g_hash_table_insert (self->pending, g_strdup (txn_id), g_object_ref (echo));
      show_echo (self, echo, TRUE);
    }
  else
    {
      /* The message typed is sent: the user no longer types. */
      _matrix_client_stop_typing (self->client, self->room_id);
      resolve_reply (self, echo);
      g_ptr_array_add (self->items, g_object_ref (echo));
      self->n_echoes++;
      g_list_model_items_changed (G_LIST_MODEL (self), self->items->len - 1, 0, 1);
      keep_send (self, echo);
    }

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, source_tag);
  send_echo (self, echo, cancellable, task);
}

/**
 * matrix_timeline_send_async:
 * @self: a #MatrixTimeline
 * @event_type: the event type, e.g. `m.room.message`
 * @content: the content
 * @cancellable: (nullable): a #GCancellable
 * @callback: called with the event id, or an error
 * @user_data: data for @callback
 *
 * Sends a message event with @content as is: for event types the library
 * has no method for. A LOCAL_ECHO item, PENDING, appears at the end of the
 * timeline at once; the server's copy replaces it when a sync brings it.
 * If the send fails the echo becomes FAILED, for matrix_timeline_retry().
 * In a room known to be encrypted it fails at once with
 * %MATRIX_ERROR_ROOM_ENCRYPTED and no echo; one found to be encrypted only
 * when sending leaves a FAILED echo with that error, and a retry fails
 * the same way (see matrix_client_send_event_async()). The same holds for
 * every other send of this timeline.
 */
void
matrix_timeline_send_async (MatrixTimeline      *self,
                            const char          *event_type,
                            JsonObject          *content,
                            GCancellable        *cancellable,
                            GAsyncReadyCallback  callback,
                            gpointer             user_data)
{
  g_return_if_fail (MATRIX_IS_TIMELINE (self));
  g_return_if_fail (event_type != NULL);
  g_return_if_fail (content != NULL);

  send_new (self, event_type, content, NULL, cancellable, callback, user_data,
            matrix_timeline_send_async);
}

/**
 * matrix_timeline_send_message_async:
 * @self: a #MatrixTimeline
 * @type: text, emote or notice
 * @body: the plain text
 * @formatted_body: (nullable): the same as HTML (`org.matrix.custom.html`),
 *   already sanitised, or %NULL for plain text only
 * @mentions: (nullable) (array zero-terminated=1): the user ids the message
 *   mentions (`m.mentions`), or %NULL for no one
 * @cancellable: (nullable): a #GCancellable
 * @callback: called with the event id, or an error
 * @user_data: data for @callback
 *
 * Sends an `m.room.message`, shown at once as a LOCAL_ECHO row (see
 * matrix_timeline_send_async()).
 */
void
matrix_timeline_send_message_async (MatrixTimeline      *self,
                                    MatrixMessageType    type,
                                    const char          *body,
                                    const char          *formatted_body,
                                    const char * const  *mentions,
                                    GCancellable        *cancellable,
                                    GAsyncReadyCallback  callback,
                                    gpointer             user_data)
{
  g_autoptr(JsonObject) content = NULL;

  g_return_if_fail (MATRIX_IS_TIMELINE (self));
  g_return_if_fail (body != NULL);

  content = _matrix_content_new_message (type, body, formatted_body, mentions,
                                         matrix_client_get_user_id (self->client));
  send_new (self, "m.room.message", content, NULL, cancellable, callback, user_data,
            matrix_timeline_send_message_async);
}

/**
 * matrix_timeline_send_media_async:
 * @self: a #MatrixTimeline
 * @info: the uploaded media: see matrix_media_upload_async()
 * @cancellable: (nullable): a #GCancellable
 * @callback: called with the event id, or an error
 * @user_data: data for @callback
 *
 * Sends an `m.image`, `m.file`, `m.video` or `m.audio` message for media
 * already uploaded, with the `info` @info holds. Shown at once as a
 * LOCAL_ECHO row (see matrix_timeline_send_async()).
 */
void
matrix_timeline_send_media_async (MatrixTimeline      *self,
                                  MatrixMediaInfo     *info,
                                  GCancellable        *cancellable,
                                  GAsyncReadyCallback  callback,
                                  gpointer             user_data)
{
  g_autoptr(JsonObject) content = NULL;

  g_return_if_fail (MATRIX_IS_TIMELINE (self));
  g_return_if_fail (MATRIX_IS_MEDIA_INFO (info));

  content = matrix_media_info_to_content (info);
  send_new (self, "m.room.message", content, NULL, cancellable, callback, user_data,
            matrix_timeline_send_media_async);
}

/**
 * matrix_timeline_send_reply_async:
 * @self: a #MatrixTimeline
 * @in_reply_to: the event answered
 * @type: text, emote or notice
 * @body: the plain text, without any quote of @in_reply_to
 * @formatted_body: (nullable): the same as HTML, or %NULL
 * @mentions: (nullable) (array zero-terminated=1): user ids mentioned; the
 *   sender of @in_reply_to is added (unless it is us)
 * @cancellable: (nullable): a #GCancellable
 * @callback: called with the event id, or an error
 * @user_data: data for @callback
 *
 * Sends a reply (`m.relates_to.m.in_reply_to`), without the fallback quote
 * the spec no longer asks for. A reply to a message in a thread goes into
 * that thread. Shown at once as a LOCAL_ECHO row.
 */
void
matrix_timeline_send_reply_async (MatrixTimeline      *self,
                                  MatrixEvent         *in_reply_to,
                                  MatrixMessageType    type,
                                  const char          *body,
                                  const char          *formatted_body,
                                  const char * const  *mentions,
                                  GCancellable        *cancellable,
                                  GAsyncReadyCallback  callback,
                                  gpointer             user_data)
{
  g_autoptr(JsonObject) content = NULL;

  g_return_if_fail (MATRIX_IS_TIMELINE (self));
  g_return_if_fail (MATRIX_IS_EVENT (in_reply_to));
  g_return_if_fail (body != NULL);

  content = _matrix_content_new_reply (in_reply_to, type, body, formatted_body, mentions,
                                       matrix_client_get_user_id (self->client));
  send_new (self, "m.room.message", content, NULL, cancellable, callback, user_data,
            matrix_timeline_send_reply_async);
}

/**
 * matrix_timeline_send_thread_reply_async:
 * @self: a #MatrixTimeline
 * @root_event_id: the event the thread hangs from
 * @type: text, emote or notice
 * @body: the plain text
 * @formatted_body: (nullable): the same as HTML, or %NULL
 * @mentions: (nullable) (array zero-terminated=1): user ids mentioned
 * @cancellable: (nullable): a #GCancellable
 * @callback: called with the event id, or an error
 * @user_data: data for @callback
 *
 * Sends a message into the thread of @root_event_id (`m.relates_to` with
 * `rel_type` `m.thread`, and the reply fallback to the thread's newest
 * message for clients without threads). It is not a row: it counts in the
 * root's thread at once (see matrix_timeline_dup_thread()). Finish with
 * matrix_timeline_send_finish().
 */
void
matrix_timeline_send_thread_reply_async (MatrixTimeline      *self,
                                         const char          *root_event_id,
                                         MatrixMessageType    type,
                                         const char          *body,
                                         const char          *formatted_body,
                                         const char * const  *mentions,
                                         GCancellable        *cancellable,
                                         GAsyncReadyCallback  callback,
                                         gpointer             user_data)
{
  g_autoptr(JsonObject) content = NULL;
  MatrixTimelineItem *row = NULL;
  MatrixEvent *latest = NULL;

  g_return_if_fail (MATRIX_IS_TIMELINE (self));
  g_return_if_fail (root_event_id != NULL);
  g_return_if_fail (body != NULL);

  row = g_hash_table_lookup (self->rows, root_event_id);
  if (row != NULL)
    latest = matrix_timeline_item_get_thread_latest (row);
  content = _matrix_content_new_thread_reply (root_event_id,
                                              latest != NULL && !g_str_has_prefix (matrix_event_get_event_id (latest), "~")
                                                ? matrix_event_get_event_id (latest) : NULL,
                                              type, body, formatted_body, mentions,
                                              matrix_client_get_user_id (self->client));
  send_new (self, "m.room.message", content, root_event_id, cancellable, callback, user_data,
            matrix_timeline_send_thread_reply_async);
}

/* The event of @event_id's row, if the timeline shows it, and the replies
 * of its thread known here (see MatrixThread). */
MatrixEvent *
_matrix_timeline_get_row_event (MatrixTimeline *self,
                                const char     *event_id)
{
  MatrixTimelineItem *row = g_hash_table_lookup (self->rows, event_id);

  return row != NULL ? matrix_timeline_item_get_event (row) : NULL;
}

MatrixTimelineItem *
_matrix_timeline_get_row (MatrixTimeline *self,
                          const char     *event_id)
{
  return g_hash_table_lookup (self->rows, event_id);
}

GPtrArray *
_matrix_timeline_dup_thread_replies (MatrixTimeline *self,
                                     const char     *root_event_id)
{
  MatrixTimelineItem *row = g_hash_table_lookup (self->rows, root_event_id);
  MatrixRelationSet *relations = NULL;

  /* Only looked at: asking about a thread makes no relation set for it. */
  if (row != NULL)
    relations = _matrix_timeline_item_get_relations (row);
  else
    relations = g_hash_table_lookup (self->orphans, root_event_id);
  if (relations == NULL)
    return g_ptr_array_new_with_free_func (g_object_unref);
  return _matrix_relation_set_dup_thread (relations);
}

MatrixClient *
_matrix_timeline_get_client (MatrixTimeline *self)
{
  return self->client;
}

/**
 * matrix_timeline_send_edit_async:
 * @self: a #MatrixTimeline
 * @original: the message to edit (the original, never an edit of it)
 * @body: the new plain text
 * @formatted_body: (nullable): the new text as HTML, or %NULL
 * @mentions: (nullable) (array zero-terminated=1): every user id the new
 *   text mentions; only those the message did not mention before are
 *   notified
 * @cancellable: (nullable): a #GCancellable
 * @callback: called with the edit's event id, or an error
 * @user_data: data for @callback
 *
 * Sends an edit (`m.relates_to.rel_type` `m.replace`, the new text in
 * `m.new_content`, "* " and the text as the fallback body). It is not a
 * row: it changes @original.
 */
void
matrix_timeline_send_edit_async (MatrixTimeline      *self,
                                 MatrixEvent         *original,
                                 const char          *body,
                                 const char          *formatted_body,
                                 const char * const  *mentions,
                                 GCancellable        *cancellable,
                                 GAsyncReadyCallback  callback,
                                 gpointer             user_data)
{
  g_autoptr(JsonObject) content = NULL;

  g_return_if_fail (MATRIX_IS_TIMELINE (self));
  g_return_if_fail (MATRIX_IS_EVENT (original));
  g_return_if_fail (body != NULL);

  content = _matrix_content_new_edit (original, shown_content (self, original), body,
                                      formatted_body, mentions,
                                      matrix_client_get_user_id (self->client));
  send_new (self, "m.room.message", content, matrix_event_get_event_id (original),
            cancellable, callback, user_data, matrix_timeline_send_edit_async);
}

/**
 * matrix_timeline_send_reaction_async:
 * @self: a #MatrixTimeline
 * @event_id: the event reacted to
 * @key: the reaction, usually one emoji
 * @cancellable: (nullable): a #GCancellable
 * @callback: called with the reaction's event id, or an error
 * @user_data: data for @callback
 *
 * Sends an `m.reaction` (`m.annotation` of @event_id with @key). It is not
 * a row. Remove it again with matrix_timeline_redact_async() on its event id.
 */
void
matrix_timeline_send_reaction_async (MatrixTimeline      *self,
                                     const char          *event_id,
                                     const char          *key,
                                     GCancellable        *cancellable,
                                     GAsyncReadyCallback  callback,
                                     gpointer             user_data)
{
  g_autoptr(JsonObject) content = NULL;

  g_return_if_fail (MATRIX_IS_TIMELINE (self));
  g_return_if_fail (event_id != NULL);
  g_return_if_fail (key != NULL && *key != '\0');

  content = _matrix_content_new_reaction (event_id, key);
  send_new (self, "m.reaction", content, event_id, cancellable, callback, user_data,
            matrix_timeline_send_reaction_async);
}

/**
 * matrix_timeline_redact_async:
 * @self: a #MatrixTimeline
 * @event_id: the event to remove: a message, a reaction, an edit
 * @reason: (nullable): why, or %NULL
 * @cancellable: (nullable): a #GCancellable
 * @callback: called with the redaction's event id, or an error
 * @user_data: data for @callback
 *
 * Redacts an event (`PUT /rooms/{roomId}/redact/{eventId}/{txnId}`). The
 * redaction is not a row: the event it names changes when the server's
 * copy of the redaction comes.
 */
void
matrix_timeline_redact_async (MatrixTimeline      *self,
                              const char          *event_id,
                              const char          *reason,
                              GCancellable        *cancellable,
                              GAsyncReadyCallback  callback,
                              gpointer             user_data)
{
  g_autoptr(JsonObject) content = json_object_new ();

  g_return_if_fail (MATRIX_IS_TIMELINE (self));
  g_return_if_fail (event_id != NULL);

  if (reason != NULL)
    json_object_set_string_member (content, "reason", reason);
  send_new (self, "m.room.redaction", content, event_id, cancellable, callback, user_data,
            matrix_timeline_redact_async);
}

/**
 * matrix_timeline_send_finish:
 * @self: a #MatrixTimeline
 * @result: the #GAsyncResult
 * @error: return location for a #GError
 *
 * Finishes matrix_timeline_send_async().
 *
 * Returns: (transfer full) (nullable): the id of the sent event
 */
char *
matrix_timeline_send_finish (MatrixTimeline  *self,
                             GAsyncResult    *result,
                             GError         **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

/**
 * matrix_timeline_retry:
 * @self: a #MatrixTimeline
 * @item: a FAILED local echo of @self
 *
 * Sends the echo again, with the same transaction id, so the server never
 * makes two events of it. Its send-state follows the new attempt.
 */
void
matrix_timeline_retry (MatrixTimeline     *self,
                       MatrixTimelineItem *item)
{
  GTask *task;

  g_return_if_fail (MATRIX_IS_TIMELINE (self));
  g_return_if_fail (MATRIX_IS_TIMELINE_ITEM (item));
  g_return_if_fail (matrix_timeline_item_get_kind (item) == MATRIX_TIMELINE_ITEM_LOCAL_ECHO);

  if (matrix_timeline_item_get_send_state (item) != MATRIX_SEND_STATE_FAILED ||
      !g_ptr_array_find (self->items, item, NULL))
    return;

  task = g_task_new (self, NULL, NULL, NULL);
  g_task_set_source_tag (task, matrix_timeline_retry);
  send_echo (self, item, NULL, task);
}

static gboolean
is_echo_of (MatrixTimeline *self,
            const char     *txn_id)
{
  for (guint i = self->items->len - self->n_echoes; i < self->items->len; i++)
    if (g_strcmp0 (matrix_timeline_item_get_transaction_id (g_ptr_array_index (self->items, i)),
                   txn_id) == 0)
      return TRUE;
  return FALSE;
}

static void
resend (MatrixTimeline     *self,
        MatrixTimelineItem *echo)
{
  GTask *task = g_task_new (self, NULL, NULL, NULL);

  g_task_set_source_tag (task, resend);
  send_echo (self, echo, NULL, task);
}

/* Shows the sends the store kept from an earlier run, after what the
 * timeline has, and sends them again with their transaction ids. */
void
_matrix_timeline_restore_sends (MatrixTimeline *self)
{
  g_autoptr(GPtrArray) sends = NULL;
  const char *user_id = matrix_client_get_user_id (self->client);

  g_return_if_fail (MATRIX_IS_TIMELINE (self));

  if (user_id == NULL)
    return;

  sends = matrix_store_get_pending_sends (matrix_client_get_store (self->client), self->room_id);
  for (guint i = 0; i < sends->len; i++)
    {
      JsonObject *send = g_ptr_array_index (sends, i);
      g_autoptr(MatrixTimelineItem) echo = NULL;
      g_autoptr(GError) error = NULL;
      const char *txn_id, *event_type;
      JsonObject *content;
      gint64 ts = 0;

      /* What a store holds is read back as carefully as the network. */
      if (!_matrix_json_get_string (send, "pending send", "txn_id", TRUE, &txn_id, &error) ||
          !_matrix_json_get_string (send, "pending send", "type", TRUE, &event_type, &error) ||
          !_matrix_json_get_object (send, "pending send", "content", TRUE, &content, &error) ||
          !_matrix_json_get_int (send, "pending send", "origin_server_ts", FALSE, &ts, &error))
        {
          g_warning ("Left out a stored send in %s: %s", self->room_id, error->message);
          continue;
        }
      if (is_echo_of (self, txn_id))
        continue;

      echo = _matrix_timeline_item_new_local_echo (event_type, content, user_id, txn_id, ts);
      resolve_reply (self, echo);
      g_ptr_array_add (self->items, g_object_ref (echo));
      self->n_echoes++;
      g_list_model_items_changed (G_LIST_MODEL (self), self->items->len - 1, 0, 1);
      resend (self, echo);
    }
}

/* The connection is back (the client's sync resumed): what failed is sent
 * again, as Retry would. A room that turned out encrypted refuses it again,
 * so it is left alone. */
void
_matrix_timeline_retry_failed (MatrixTimeline *self)
{
  g_autoptr(GPtrArray) failed = NULL;

  g_return_if_fail (MATRIX_IS_TIMELINE (self));

  if (self->n_echoes == 0)
    return;

  failed = g_ptr_array_new_with_free_func (g_object_unref);

  for (guint i = self->items->len - self->n_echoes; i < self->items->len; i++)
    {
      MatrixTimelineItem *echo = g_ptr_array_index (self->items, i);
      const GError *error = matrix_timeline_item_get_send_error (echo);

      if (matrix_timeline_item_get_send_state (echo) == MATRIX_SEND_STATE_FAILED &&
          !g_error_matches (error, MATRIX_ERROR, MATRIX_ERROR_ROOM_ENCRYPTED))
        g_ptr_array_add (failed, g_object_ref (echo));
    }

  for (guint i = 0; i < failed->len; i++)
    resend (self, g_ptr_array_index (failed, i));
}

/**
 * matrix_timeline_discard:
 * @self: a #MatrixTimeline
 * @item: a FAILED local echo of @self
 *
 * Gives up sending the echo: it leaves the timeline, and the store forgets
 * it, so a restart does not send it again.
 */
void
matrix_timeline_discard (MatrixTimeline     *self,
                         MatrixTimelineItem *item)
{
  guint position;

  g_return_if_fail (MATRIX_IS_TIMELINE (self));
  g_return_if_fail (MATRIX_IS_TIMELINE_ITEM (item));
  g_return_if_fail (matrix_timeline_item_get_kind (item) == MATRIX_TIMELINE_ITEM_LOCAL_ECHO);

  if (matrix_timeline_item_get_send_state (item) != MATRIX_SEND_STATE_FAILED ||
      !g_ptr_array_find (self->items, item, &position) ||
      position < self->items->len - self->n_echoes)
    return;

  forget_send (self, item);
  self->n_echoes--;
  g_ptr_array_remove_index (self->items, position);
  g_list_model_items_changed (G_LIST_MODEL (self), position, 1, 0);
}

static void
matrix_timeline_dispose (GObject *object)
{
  MatrixTimeline *self = MATRIX_TIMELINE (object);
  GHashTableIter iter;
  gpointer value;

  /* Replies hold what they answer, which may answer them back: break the
   * circles so that the items go with the timeline. */
  g_hash_table_iter_init (&iter, self->replies);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    for (guint i = 0; i < ((GPtrArray *) value)->len; i++)
      _matrix_timeline_item_set_reply (g_ptr_array_index ((GPtrArray *) value, i),
                                       MATRIX_REPLY_STATE_NONE, NULL);
  g_hash_table_remove_all (self->replies);
  if (self->crypto != NULL)
    g_clear_signal_handler (&self->keys_handler, self->crypto);
  g_clear_object (&self->crypto);
  g_clear_object (&self->client);

  G_OBJECT_CLASS (matrix_timeline_parent_class)->dispose (object);
}

static void
matrix_timeline_finalize (GObject *object)
{
  MatrixTimeline *self = MATRIX_TIMELINE (object);

  g_free (self->room_id);
  g_ptr_array_unref (self->items);
  g_hash_table_unref (self->event_ids);
  g_ptr_array_unref (self->sync_gaps);
  g_hash_table_unref (self->pending);
  g_hash_table_unref (self->rows);
  g_hash_table_unref (self->hidden);
  g_hash_table_unref (self->orphans);
  g_hash_table_unref (self->replies);
  g_hash_table_unref (self->fetched);
  g_hash_table_unref (self->fetching);

  G_OBJECT_CLASS (matrix_timeline_parent_class)->finalize (object);
}

static void
matrix_timeline_get_property (GObject    *object,
                              guint       prop_id,
                              GValue     *value,
                              GParamSpec *pspec)
{
  MatrixTimeline *self = MATRIX_TIMELINE (object);

  switch (prop_id)
    {
    case PROP_LOADING:
      g_value_set_boolean (value, self->loading);
      break;
    case PROP_AT_START:
      g_value_set_boolean (value, self->at_start);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
matrix_timeline_class_init (MatrixTimelineClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = matrix_timeline_dispose;
  object_class->finalize = matrix_timeline_finalize;
  object_class->get_property = matrix_timeline_get_property;

  /**
   * MatrixTimeline:loading:
   *
   * Whether a matrix_timeline_load_older_async() is running.
   */
  properties[PROP_LOADING] =
    g_param_spec_boolean ("loading", NULL, NULL, FALSE,
                          G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  /**
   * MatrixTimeline:at-start:
   *
   * Whether the room's first event is in the timeline, so there is nothing
   * older to load.
   */
  properties[PROP_AT_START] =
    g_param_spec_boolean ("at-start", NULL, NULL, FALSE,
                          G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);

  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
matrix_timeline_init (MatrixTimeline *self)
{
  self->items = g_ptr_array_new_with_free_func (g_object_unref);
  self->event_ids = g_hash_table_new (g_str_hash, g_str_equal);
  self->sync_gaps = g_ptr_array_new_with_free_func ((GDestroyNotify) json_object_unref);
  self->pending = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_object_unref);
  self->rows = g_hash_table_new (g_str_hash, g_str_equal);
  self->hidden = g_hash_table_new_full (g_str_hash, g_str_equal, NULL, g_object_unref);
  self->orphans = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                         (GDestroyNotify) _matrix_relation_set_unref);
  self->replies = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                         (GDestroyNotify) g_ptr_array_unref);
  self->fetched = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_object_unref);
  self->fetching = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                          (GDestroyNotify) g_ptr_array_unref);
}
