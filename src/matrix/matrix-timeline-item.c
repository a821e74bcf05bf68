/* SPDX-License-Identifier: LGPL-2.1-or-later */
#define G_LOG_DOMAIN "matrix-timeline-item"

#include "matrix-client-crypto-private.h"
#include "matrix-content-private.h"
#include "matrix-timeline-private.h"

/**
 * MatrixTimelineItem:
 *
 * One row of a #MatrixTimeline: an event, a gap, or the local echo of a send.
 * Only an echo changes (its send-state); when the server's copy arrives the
 * timeline replaces the echo with a new EVENT item.
 */
struct _MatrixTimelineItem
{
  GObject                 parent_instance;

  MatrixTimelineItemKind  kind;
  MatrixEvent            *event;
  /* gap */
  char                   *gap_token;
  /* local echo */
  char                   *event_type;
  char                   *sender;
  JsonObject             *content;
  char                   *txn_id;
  char                   *sent_event_id;
  char                   *target_id;
  gint64                  local_ts;
  MatrixSendState         send_state;
  GError                 *send_error;
  /* what a message shows, worked out when first asked */
  char                   *body;
  char                   *formatted_body;
  gboolean                text_done;
  /* relations */
  const char             *own_user_id;  /* interned */
  MatrixRelationSet      *relations;
  MatrixEvent            *replacement;
  gboolean                redacting;
  MatrixReplyState        reply_state;
  MatrixTimelineItem     *in_reply_to;
  GListModel             *no_reactions;
  /* end-to-end encryption: what an m.room.encrypted event decrypted to
   * (kept beside the event, never in its place), or why it did not */
  MatrixEvent            *decrypted;
  GError                 *decryption_error;
  MatrixSenderTrust       sender_trust;
};

G_DEFINE_FINAL_TYPE (MatrixTimelineItem, matrix_timeline_item, G_TYPE_OBJECT)

G_DEFINE_ENUM_TYPE (MatrixTimelineItemKind, matrix_timeline_item_kind,
  G_DEFINE_ENUM_VALUE (MATRIX_TIMELINE_ITEM_EVENT, "event"),
  G_DEFINE_ENUM_VALUE (MATRIX_TIMELINE_ITEM_GAP, "gap"),
  G_DEFINE_ENUM_VALUE (MATRIX_TIMELINE_ITEM_LOCAL_ECHO, "local-echo"))

G_DEFINE_ENUM_TYPE (MatrixReplyState, matrix_reply_state,
  G_DEFINE_ENUM_VALUE (MATRIX_REPLY_STATE_NONE, "none"),
  G_DEFINE_ENUM_VALUE (MATRIX_REPLY_STATE_UNKNOWN, "unknown"),
  G_DEFINE_ENUM_VALUE (MATRIX_REPLY_STATE_LOADING, "loading"),
  G_DEFINE_ENUM_VALUE (MATRIX_REPLY_STATE_LOADED, "loaded"),
  G_DEFINE_ENUM_VALUE (MATRIX_REPLY_STATE_INACCESSIBLE, "inaccessible"))

G_DEFINE_ENUM_TYPE (MatrixSenderTrust, matrix_sender_trust,
  G_DEFINE_ENUM_VALUE (MATRIX_SENDER_TRUST_NONE, "none"),
  G_DEFINE_ENUM_VALUE (MATRIX_SENDER_TRUST_VERIFIED, "verified"),
  G_DEFINE_ENUM_VALUE (MATRIX_SENDER_TRUST_UNVERIFIED, "unverified"),
  G_DEFINE_ENUM_VALUE (MATRIX_SENDER_TRUST_UNKNOWN_DEVICE, "unknown-device"))

G_DEFINE_ENUM_TYPE (MatrixSendState, matrix_send_state,
  G_DEFINE_ENUM_VALUE (MATRIX_SEND_STATE_NONE, "none"),
  G_DEFINE_ENUM_VALUE (MATRIX_SEND_STATE_PENDING, "pending"),
  G_DEFINE_ENUM_VALUE (MATRIX_SEND_STATE_FAILED, "failed"),
  G_DEFINE_ENUM_VALUE (MATRIX_SEND_STATE_SENT, "sent"))

enum {
  PROP_0,
  PROP_KIND,
  PROP_EVENT,
  PROP_EVENT_ID,
  PROP_EVENT_TYPE,
  PROP_SENDER,
  PROP_CONTENT,
  PROP_ORIGIN_SERVER_TS,
  PROP_TRANSACTION_ID,
  PROP_SEND_STATE,
  PROP_GAP_TOKEN,
  PROP_MSGTYPE,
  PROP_BODY,
  PROP_FORMATTED_BODY,
  PROP_EDITED,
  PROP_REPLACEMENT,
  PROP_REPLY_STATE,
  PROP_IN_REPLY_TO,
  PROP_THREAD_COUNT,
  PROP_THREAD_LATEST,
  PROP_REDACTING,
  PROP_SENDER_TRUST,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

MatrixTimelineItem *
_matrix_timeline_item_new_event (MatrixEvent *event)
{
  MatrixTimelineItem *self = g_object_new (MATRIX_TYPE_TIMELINE_ITEM, NULL);

  self->kind = MATRIX_TIMELINE_ITEM_EVENT;
  self->event = g_object_ref (event);
  return self;
}

MatrixTimelineItem *
_matrix_timeline_item_new_gap (const char *token)
{
  MatrixTimelineItem *self = g_object_new (MATRIX_TYPE_TIMELINE_ITEM, NULL);

  self->kind = MATRIX_TIMELINE_ITEM_GAP;
  self->gap_token = g_strdup (token);
  return self;
}

MatrixTimelineItem *
_matrix_timeline_item_new_local_echo (const char *event_type,
                                      JsonObject *content,
                                      const char *sender,
                                      const char *txn_id,
                                      gint64      local_ts)
{
  MatrixTimelineItem *self = g_object_new (MATRIX_TYPE_TIMELINE_ITEM, NULL);

  self->kind = MATRIX_TIMELINE_ITEM_LOCAL_ECHO;
  self->event_type = g_strdup (event_type);
  self->content = json_object_ref (content);
  self->sender = g_strdup (sender);
  self->txn_id = g_strdup (txn_id);
  self->local_ts = local_ts;
  self->send_state = MATRIX_SEND_STATE_PENDING;
  return self;
}

void
_matrix_timeline_item_set_send_state (MatrixTimelineItem *self,
                                      MatrixSendState     state,
                                      const GError       *error)
{
  g_clear_error (&self->send_error);
  if (error != NULL)
    self->send_error = g_error_copy (error);

  if (self->send_state == state)
    return;
  self->send_state = state;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_SEND_STATE]);
}

/* The id the server gave a sent echo, so that its copy is recognised even
 * without a transaction id. */
void
_matrix_timeline_item_set_sent_event_id (MatrixTimelineItem *self,
                                         const char         *event_id)
{
  g_free (self->sent_event_id);
  self->sent_event_id = g_strdup (event_id);
}

const char *
_matrix_timeline_item_get_sent_event_id (MatrixTimelineItem *self)
{
  return self->sent_event_id;
}

void
_matrix_timeline_item_set_target_id (MatrixTimelineItem *self,
                                     const char         *event_id)
{
  g_free (self->target_id);
  self->target_id = g_strdup (event_id);
}

const char *
_matrix_timeline_item_get_target_id (MatrixTimelineItem *self)
{
  return self->target_id;
}

/**
 * matrix_timeline_item_get_kind:
 * @self: a #MatrixTimelineItem
 *
 * Whether the item is an event, a gap or a local echo.
 *
 * Returns: what the item is
 */
MatrixTimelineItemKind
matrix_timeline_item_get_kind (MatrixTimelineItem *self)
{
  g_return_val_if_fail (MATRIX_IS_TIMELINE_ITEM (self), MATRIX_TIMELINE_ITEM_EVENT);

  return self->kind;
}

/**
 * matrix_timeline_item_get_event:
 * @self: a #MatrixTimelineItem
 *
 * The event an item of %MATRIX_TIMELINE_ITEM_EVENT shows.
 *
 * Returns: (transfer none) (nullable): the event of an EVENT item
 */
MatrixEvent *
matrix_timeline_item_get_event (MatrixTimelineItem *self)
{
  g_return_val_if_fail (MATRIX_IS_TIMELINE_ITEM (self), NULL);

  return self->event;
}

/**
 * matrix_timeline_item_get_event_id:
 * @self: a #MatrixTimelineItem
 *
 * The id of the event the item shows.
 *
 * Returns: (transfer none) (nullable): the event id of an EVENT item
 */
const char *
matrix_timeline_item_get_event_id (MatrixTimelineItem *self)
{
  g_return_val_if_fail (MATRIX_IS_TIMELINE_ITEM (self), NULL);

  return self->event != NULL ? matrix_event_get_event_id (self->event) : NULL;
}

/**
 * matrix_timeline_item_get_event_type:
 * @self: a #MatrixTimelineItem
 *
 * The type of the item's event or local echo.
 *
 * Returns: (transfer none) (nullable): the event type; %NULL for a gap
 */
const char *
matrix_timeline_item_get_event_type (MatrixTimelineItem *self)
{
  g_return_val_if_fail (MATRIX_IS_TIMELINE_ITEM (self), NULL);

  if (self->decrypted != NULL)
    return matrix_event_get_event_type (self->decrypted);
  return self->event != NULL ? matrix_event_get_event_type (self->event) : self->event_type;
}

/**
 * matrix_timeline_item_get_sender:
 * @self: a #MatrixTimelineItem
 *
 * Who sent the item's event or local echo.
 *
 * Returns: (transfer none) (nullable): the sender's user id; %NULL for a gap
 */
const char *
matrix_timeline_item_get_sender (MatrixTimelineItem *self)
{
  g_return_val_if_fail (MATRIX_IS_TIMELINE_ITEM (self), NULL);

  return self->event != NULL ? matrix_event_get_sender (self->event) : self->sender;
}

/**
 * matrix_timeline_item_get_content:
 * @self: a #MatrixTimelineItem
 *
 * The content of the item's event or local echo.
 *
 * Returns: (transfer none) (nullable): the event content; %NULL for a gap
 */
JsonObject *
matrix_timeline_item_get_content (MatrixTimelineItem *self)
{
  g_return_val_if_fail (MATRIX_IS_TIMELINE_ITEM (self), NULL);

  if (self->decrypted != NULL)
    return matrix_event_get_content (self->decrypted);
  return self->event != NULL ? matrix_event_get_content (self->event) : self->content;
}

/**
 * matrix_timeline_item_get_origin_server_ts:
 * @self: a #MatrixTimelineItem
 *
 * When the item's event was sent.
 *
 * Returns: the event's time in ms since the epoch; for an echo, the local
 *   time the send began; 0 for a gap
 */
gint64
matrix_timeline_item_get_origin_server_ts (MatrixTimelineItem *self)
{
  g_return_val_if_fail (MATRIX_IS_TIMELINE_ITEM (self), 0);

  return self->event != NULL ? matrix_event_get_origin_server_ts (self->event) : self->local_ts;
}

/**
 * matrix_timeline_item_get_transaction_id:
 * @self: a #MatrixTimelineItem
 *
 * The transaction id of a local echo, which the server's copy of the event
 * carries too.
 *
 * Returns: (transfer none) (nullable): the transaction id of an echo, or of
 *   an event this device sent
 */
const char *
matrix_timeline_item_get_transaction_id (MatrixTimelineItem *self)
{
  g_return_val_if_fail (MATRIX_IS_TIMELINE_ITEM (self), NULL);

  return self->event != NULL ? matrix_event_get_transaction_id (self->event) : self->txn_id;
}

/**
 * matrix_timeline_item_get_send_state:
 * @self: a #MatrixTimelineItem
 *
 * How the send of a local echo stands.
 *
 * Returns: where the send of an echo stands; %MATRIX_SEND_STATE_NONE for others
 */
MatrixSendState
matrix_timeline_item_get_send_state (MatrixTimelineItem *self)
{
  g_return_val_if_fail (MATRIX_IS_TIMELINE_ITEM (self), MATRIX_SEND_STATE_NONE);

  return self->send_state;
}

/**
 * matrix_timeline_item_get_send_error:
 * @self: a #MatrixTimelineItem
 *
 * The error of a local echo whose send failed.
 *
 * Returns: (transfer none) (nullable): why the send of a FAILED echo failed
 */
const GError *
matrix_timeline_item_get_send_error (MatrixTimelineItem *self)
{
  g_return_val_if_fail (MATRIX_IS_TIMELINE_ITEM (self), NULL);

  return self->send_error;
}

/**
 * matrix_timeline_item_get_gap_token:
 * @self: a #MatrixTimelineItem
 *
 * Where loading older events goes on from, for an item of
 * %MATRIX_TIMELINE_ITEM_GAP.
 *
 * Returns: (transfer none) (nullable): the pagination token of a gap
 */
const char *
matrix_timeline_item_get_gap_token (MatrixTimelineItem *self)
{
  g_return_val_if_fail (MATRIX_IS_TIMELINE_ITEM (self), NULL);

  return self->gap_token;
}

/* The content a message shows: its newest edit's, else its own. */
static JsonObject *
shown_content (MatrixTimelineItem *self)
{
  if (self->replacement != NULL)
    return _matrix_content_get_object (matrix_event_get_content (self->replacement), "m.new_content");
  return matrix_timeline_item_get_content (self);
}

static const char *
in_reply_to_id (MatrixTimelineItem *self)
{
  JsonObject *relates_to;

  if (self->decrypted != NULL)
    return matrix_event_get_in_reply_to_id (self->decrypted);
  if (self->event != NULL)
    return matrix_event_get_in_reply_to_id (self->event);

  relates_to = _matrix_content_get_object (self->content, "m.relates_to");
  return _matrix_content_get_string (_matrix_content_get_object (relates_to, "m.in_reply_to"),
                                     "event_id");
}

static void
ensure_text (MatrixTimelineItem *self)
{
  JsonObject *content;
  const char *body, *formatted_body = NULL;

  if (self->text_done)
    return;
  self->text_done = TRUE;

  content = shown_content (self);
  body = _matrix_content_get_string (content, "body");
  if (g_strcmp0 (_matrix_content_get_string (content, "format"), "org.matrix.custom.html") == 0)
    formatted_body = _matrix_content_get_string (content, "formatted_body");

  /* A reply's quote of the original is shown from the original itself. */
  if (in_reply_to_id (self) != NULL)
    {
      self->body = _matrix_content_strip_reply_fallback (body);
      self->formatted_body = _matrix_content_strip_html_reply_fallback (formatted_body);
    }
  if (self->body == NULL)
    self->body = g_strdup (body);
  if (self->formatted_body == NULL)
    self->formatted_body = g_strdup (formatted_body);
}

/**
 * matrix_timeline_item_get_msgtype:
 * @self: a #MatrixTimelineItem
 *
 * What kind of message the item shows, to set an emote or a notice apart
 * from text, or to show an image as one. An edit may change it, so this is
 * the `msgtype` of the newest edit's new content when there is one.
 *
 * Returns: (transfer none) (nullable): the `msgtype` of the message as it
 *   shows now (`m.text`, `m.emote`, `m.notice`, `m.image`...), or %NULL
 */
const char *
matrix_timeline_item_get_msgtype (MatrixTimelineItem *self)
{
  g_return_val_if_fail (MATRIX_IS_TIMELINE_ITEM (self), NULL);

  return _matrix_content_get_string (shown_content (self), "msgtype");
}

/**
 * matrix_timeline_item_get_body:
 * @self: a #MatrixTimelineItem
 *
 * What a message shows as plain text: its `body`, without the quote of the
 * original that a reply from an older client starts with. For an echo, the
 * body being sent.
 *
 * Returns: (transfer none) (nullable): the text, or %NULL if the content has
 *   no string `body` (a redacted message, a state event)
 */
const char *
matrix_timeline_item_get_body (MatrixTimelineItem *self)
{
  g_return_val_if_fail (MATRIX_IS_TIMELINE_ITEM (self), NULL);

  ensure_text (self);
  return self->body;
}

/**
 * matrix_timeline_item_get_formatted_body:
 * @self: a #MatrixTimelineItem
 *
 * The same text as HTML, when the message has it (`format`
 * `org.matrix.custom.html`), without a reply's `<mx-reply>` quote. It is as
 * the sender wrote it: render it with matrix_html_to_markup().
 *
 * Returns: (transfer none) (nullable): the HTML, or %NULL
 */
const char *
matrix_timeline_item_get_formatted_body (MatrixTimelineItem *self)
{
  g_return_val_if_fail (MATRIX_IS_TIMELINE_ITEM (self), NULL);

  ensure_text (self);
  return self->formatted_body;
}

/* --- end-to-end encryption ------------------------------------------------------- */

/**
 * matrix_timeline_item_get_decryption_error:
 * @self: a #MatrixTimelineItem
 *
 * Why the item's encrypted event (`m.room.encrypted`) shows no plaintext:
 * %MATRIX_ERROR_DECRYPTION_KEY_MISSING while its room key has not arrived
 * (the item is decrypted when it does), %MATRIX_ERROR_DECRYPTION_FAILED when
 * it never will be. Once decrypted, the item shows the plaintext event
 * (matrix_timeline_item_get_event_type() and the content are its), and
 * matrix_timeline_item_get_event() is still the encrypted original.
 *
 * Returns: (transfer none) (nullable): the decryption error, or %NULL
 */
const GError *
matrix_timeline_item_get_decryption_error (MatrixTimelineItem *self)
{
  g_return_val_if_fail (MATRIX_IS_TIMELINE_ITEM (self), NULL);

  return self->decryption_error;
}

/**
 * matrix_timeline_item_get_sender_trust:
 * @self: a #MatrixTimelineItem
 *
 * How far the device that sent the item's encrypted event is trusted, as
 * the crypto machine knew it when it decrypted the event: whether it is
 * verified, not verified, or not a device known to the sender's list.
 *
 * Returns: %MATRIX_SENDER_TRUST_NONE unless the item is a decrypted event
 */
MatrixSenderTrust
matrix_timeline_item_get_sender_trust (MatrixTimelineItem *self)
{
  g_return_val_if_fail (MATRIX_IS_TIMELINE_ITEM (self), MATRIX_SENDER_TRUST_NONE);

  return self->sender_trust;
}

/* Whether the item waits for a decryption (encrypted, not decrypted). */
gboolean
_matrix_timeline_item_needs_decryption (MatrixTimelineItem *self)
{
  return self->decrypted == NULL && self->event != NULL &&
         g_strcmp0 (matrix_event_get_event_type (self->event), "m.room.encrypted") == 0;
}

static void
notify_shown (MatrixTimelineItem *self)
{
  g_clear_pointer (&self->body, g_free);
  g_clear_pointer (&self->formatted_body, g_free);
  self->text_done = FALSE;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_EVENT_TYPE]);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_CONTENT]);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_MSGTYPE]);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_FORMATTED_BODY]);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_BODY]);
}

void
_matrix_timeline_item_set_decrypted (MatrixTimelineItem *self,
                                     MatrixEvent        *plain)
{
  MatrixSenderTrust trust = _matrix_decrypted_event_get_sender_trust (plain);

  g_set_object (&self->decrypted, plain);
  g_clear_error (&self->decryption_error);
  notify_shown (self);
  if (trust != self->sender_trust)
    {
      self->sender_trust = trust;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_SENDER_TRUST]);
    }
}

void
_matrix_timeline_item_set_decryption_error (MatrixTimelineItem *self,
                                            const GError       *error)
{
  g_clear_error (&self->decryption_error);
  self->decryption_error = g_error_copy (error);
  notify_shown (self);
}

/* --- relations ------------------------------------------------------------------- */

void
_matrix_timeline_item_set_own_user_id (MatrixTimelineItem *self,
                                       const char         *own_user_id)
{
  self->own_user_id = own_user_id;
}

MatrixRelationSet *
_matrix_timeline_item_get_relations (MatrixTimelineItem *self)
{
  return self->relations;
}

MatrixRelationSet *
_matrix_timeline_item_ensure_relations (MatrixTimelineItem *self)
{
  if (self->relations == NULL)
    self->relations = _matrix_relation_set_new (self->own_user_id);
  return self->relations;
}

static void
update_replacement (MatrixTimelineItem *self)
{
  MatrixEvent *replacement = NULL;
  gboolean was_edited = self->replacement != NULL;

  /* A redacted message shows nothing, whatever its edits said. */
  if (self->relations != NULL && self->event != NULL && !matrix_event_is_redacted (self->event))
    replacement = _matrix_relation_set_get_replacement (self->relations, self->event);
  if (replacement == self->replacement)
    return;

  g_set_object (&self->replacement, replacement);
  g_clear_pointer (&self->body, g_free);
  g_clear_pointer (&self->formatted_body, g_free);
  self->text_done = FALSE;

  g_object_freeze_notify (G_OBJECT (self));
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_REPLACEMENT]);
  if (was_edited != (replacement != NULL))
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_EDITED]);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_MSGTYPE]);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_BODY]);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_FORMATTED_BODY]);
  g_object_thaw_notify (G_OBJECT (self));
}

void
_matrix_timeline_item_take_relations (MatrixTimelineItem *self,
                                      MatrixRelationSet  *relations)
{
  g_clear_pointer (&self->relations, _matrix_relation_set_unref);
  self->relations = relations != NULL ? _matrix_relation_set_ref (relations) : NULL;
  update_replacement (self);
}

void
_matrix_timeline_item_relations_changed (MatrixTimelineItem    *self,
                                         MatrixRelationsChanged changed)
{
  if (changed & MATRIX_RELATIONS_CHANGED_EDITS)
    update_replacement (self);
  if (changed & MATRIX_RELATIONS_CHANGED_THREAD)
    {
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_THREAD_COUNT]);
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_THREAD_LATEST]);
    }
}

void
_matrix_timeline_item_set_redacting (MatrixTimelineItem *self,
                                     gboolean            redacting)
{
  if (self->redacting == redacting)
    return;
  self->redacting = redacting;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_REDACTING]);
}

void
_matrix_timeline_item_set_reply (MatrixTimelineItem *self,
                                 MatrixReplyState    state,
                                 MatrixTimelineItem *in_reply_to)
{
  gboolean state_changed;

  /* A reply to itself (what a server should never send) quotes nothing, and
   * would hold itself. */
  if (in_reply_to == self)
    {
      in_reply_to = NULL;
      state = MATRIX_REPLY_STATE_INACCESSIBLE;
    }
  state_changed = self->reply_state != state;
  self->reply_state = state;
  if (g_set_object (&self->in_reply_to, in_reply_to))
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_IN_REPLY_TO]);
  if (state_changed)
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_REPLY_STATE]);
}

/**
 * matrix_timeline_item_get_edited:
 * @self: a #MatrixTimelineItem
 *
 * Whether to mark the message as edited: it shows an edit of it (its
 * original sender's, by the spec's rules), one the user is sending
 * included. A redacted message is never edited, whatever edits came.
 *
 * Returns: %TRUE if #MatrixTimelineItem:replacement is set
 */
gboolean
matrix_timeline_item_get_edited (MatrixTimelineItem *self)
{
  g_return_val_if_fail (MATRIX_IS_TIMELINE_ITEM (self), FALSE);

  return self->replacement != NULL;
}

/**
 * matrix_timeline_item_get_replacement:
 * @self: a #MatrixTimelineItem
 *
 * The edit the message shows: the newest valid `m.replace` (by
 * origin_server_ts, then event id), or the one the user is sending. The
 * item keeps its own event, id and place; only what it shows changes.
 *
 * Returns: (transfer none) (nullable): the edit, or %NULL
 */
MatrixEvent *
matrix_timeline_item_get_replacement (MatrixTimelineItem *self)
{
  g_return_val_if_fail (MATRIX_IS_TIMELINE_ITEM (self), NULL);

  return self->replacement;
}

/**
 * matrix_timeline_item_dup_edits:
 * @self: a #MatrixTimelineItem
 *
 * The message's edit history, to show its earlier versions: every valid
 * edit this client has seen (the user's edits still being sent included),
 * oldest first. The original is not in it: it is the item's own event.
 *
 * Returns: (transfer container) (element-type MatrixEvent): the edits;
 *   empty for a message never edited, a gap or a local echo
 */
GPtrArray *
matrix_timeline_item_dup_edits (MatrixTimelineItem *self)
{
  g_return_val_if_fail (MATRIX_IS_TIMELINE_ITEM (self), NULL);

  if (self->relations == NULL || self->event == NULL)
    return g_ptr_array_new_with_free_func (g_object_unref);
  return _matrix_relation_set_dup_edits (self->relations, self->event);
}

/**
 * matrix_timeline_item_get_reactions:
 * @self: a #MatrixTimelineItem
 *
 * The reactions to the event, one #MatrixReaction per key, in the order
 * the keys first came. The model changes in place as reactions come and go
 * (and a #MatrixReaction notifies its count); it stays the same object for
 * the item's life.
 *
 * Returns: (transfer none): a #GListModel of #MatrixReaction
 */
GListModel *
matrix_timeline_item_get_reactions (MatrixTimelineItem *self)
{
  g_return_val_if_fail (MATRIX_IS_TIMELINE_ITEM (self), NULL);

  if (self->kind != MATRIX_TIMELINE_ITEM_EVENT)
    {
      /* Nothing can react to what has no event id. */
      if (self->no_reactions == NULL)
        self->no_reactions = G_LIST_MODEL (g_list_store_new (MATRIX_TYPE_REACTION));
      return self->no_reactions;
    }
  return _matrix_relation_set_get_reactions (_matrix_timeline_item_ensure_relations (self));
}

/**
 * matrix_timeline_item_get_in_reply_to_id:
 * @self: a #MatrixTimelineItem
 *
 * The event the message answers (see matrix_event_get_in_reply_to_id()),
 * for a local echo the one the reply being sent answers. Known at once,
 * where the event itself may have to be fetched (see
 * #MatrixTimelineItem:reply-state).
 *
 * Returns: (transfer none) (nullable): the id of the event this message
 *   replies to, or %NULL
 */
const char *
matrix_timeline_item_get_in_reply_to_id (MatrixTimelineItem *self)
{
  g_return_val_if_fail (MATRIX_IS_TIMELINE_ITEM (self), NULL);

  return in_reply_to_id (self);
}

/**
 * matrix_timeline_item_get_reply_state:
 * @self: a #MatrixTimelineItem
 *
 * Whether the event replied to can be quoted yet. Replies often answer
 * events older than what the timeline holds; those start
 * %MATRIX_REPLY_STATE_UNKNOWN until matrix_timeline_load_reply_async()
 * fetches them.
 *
 * Returns: the state; %MATRIX_REPLY_STATE_NONE when the item is no reply
 */
MatrixReplyState
matrix_timeline_item_get_reply_state (MatrixTimelineItem *self)
{
  g_return_val_if_fail (MATRIX_IS_TIMELINE_ITEM (self), MATRIX_REPLY_STATE_NONE);

  return self->reply_state;
}

/**
 * matrix_timeline_item_get_in_reply_to:
 * @self: a #MatrixTimelineItem
 *
 * The event this message replies to: the timeline's own item for it (so it
 * shows that message's edits), or an item of its own for an event outside
 * the timeline. A redacted one is shown redacted.
 *
 * Returns: (transfer none) (nullable): the item replied to, when
 *   #MatrixTimelineItem:reply-state is %MATRIX_REPLY_STATE_LOADED
 */
MatrixTimelineItem *
matrix_timeline_item_get_in_reply_to (MatrixTimelineItem *self)
{
  g_return_val_if_fail (MATRIX_IS_TIMELINE_ITEM (self), NULL);

  return self->in_reply_to;
}

/**
 * matrix_timeline_item_get_thread_count:
 * @self: a #MatrixTimelineItem
 *
 * Thread replies are not rows of the timeline; their root counts them.
 *
 * Returns: how many replies the thread this event starts has; 0 when it
 *   starts none
 */
guint
matrix_timeline_item_get_thread_count (MatrixTimelineItem *self)
{
  g_return_val_if_fail (MATRIX_IS_TIMELINE_ITEM (self), 0);

  return self->relations != NULL ? _matrix_relation_set_get_thread_count (self->relations) : 0;
}

/**
 * matrix_timeline_item_get_thread_latest:
 * @self: a #MatrixTimelineItem
 *
 * The reply to show under a thread's root, as thread replies are not rows of
 * the timeline: the newest of those this client has seen and the one the
 * server's thread summary names.
 *
 * Returns: (transfer none) (nullable): the newest reply in the thread this
 *   event starts, or %NULL
 */
MatrixEvent *
matrix_timeline_item_get_thread_latest (MatrixTimelineItem *self)
{
  g_return_val_if_fail (MATRIX_IS_TIMELINE_ITEM (self), NULL);

  return self->relations != NULL ? _matrix_relation_set_get_thread_latest (self->relations) : NULL;
}

/**
 * matrix_timeline_item_get_redacting:
 * @self: a #MatrixTimelineItem
 *
 * Whether to show the event as being removed: from
 * matrix_timeline_redact_async() until the server's redaction comes (the
 * item is then replaced by its redacted copy) or the redaction fails (it
 * shows as before).
 *
 * Returns: %TRUE while the user's redaction of the event is under way
 */
gboolean
matrix_timeline_item_get_redacting (MatrixTimelineItem *self)
{
  g_return_val_if_fail (MATRIX_IS_TIMELINE_ITEM (self), FALSE);

  return self->redacting;
}

static void
matrix_timeline_item_dispose (GObject *object)
{
  MatrixTimelineItem *self = MATRIX_TIMELINE_ITEM (object);

  g_clear_object (&self->in_reply_to);

  G_OBJECT_CLASS (matrix_timeline_item_parent_class)->dispose (object);
}

static void
matrix_timeline_item_finalize (GObject *object)
{
  MatrixTimelineItem *self = MATRIX_TIMELINE_ITEM (object);

  g_clear_object (&self->event);
  g_free (self->gap_token);
  g_free (self->event_type);
  g_free (self->sender);
  g_clear_pointer (&self->content, json_object_unref);
  g_free (self->txn_id);
  g_free (self->sent_event_id);
  g_free (self->target_id);
  g_clear_error (&self->send_error);
  g_free (self->body);
  g_free (self->formatted_body);
  g_clear_pointer (&self->relations, _matrix_relation_set_unref);
  g_clear_object (&self->replacement);
  g_clear_object (&self->no_reactions);
  g_clear_object (&self->decrypted);
  g_clear_error (&self->decryption_error);

  G_OBJECT_CLASS (matrix_timeline_item_parent_class)->finalize (object);
}

static void
matrix_timeline_item_get_property (GObject    *object,
                                   guint       prop_id,
                                   GValue     *value,
                                   GParamSpec *pspec)
{
  MatrixTimelineItem *self = MATRIX_TIMELINE_ITEM (object);

  switch (prop_id)
    {
    case PROP_KIND:
      g_value_set_enum (value, self->kind);
      break;
    case PROP_EVENT:
      g_value_set_object (value, self->event);
      break;
    case PROP_EVENT_ID:
      g_value_set_string (value, matrix_timeline_item_get_event_id (self));
      break;
    case PROP_EVENT_TYPE:
      g_value_set_string (value, matrix_timeline_item_get_event_type (self));
      break;
    case PROP_SENDER:
      g_value_set_string (value, matrix_timeline_item_get_sender (self));
      break;
    case PROP_CONTENT:
      g_value_set_boxed (value, matrix_timeline_item_get_content (self));
      break;
    case PROP_ORIGIN_SERVER_TS:
      g_value_set_int64 (value, matrix_timeline_item_get_origin_server_ts (self));
      break;
    case PROP_TRANSACTION_ID:
      g_value_set_string (value, matrix_timeline_item_get_transaction_id (self));
      break;
    case PROP_SEND_STATE:
      g_value_set_enum (value, self->send_state);
      break;
    case PROP_GAP_TOKEN:
      g_value_set_string (value, self->gap_token);
      break;
    case PROP_MSGTYPE:
      g_value_set_string (value, matrix_timeline_item_get_msgtype (self));
      break;
    case PROP_BODY:
      g_value_set_string (value, matrix_timeline_item_get_body (self));
      break;
    case PROP_FORMATTED_BODY:
      g_value_set_string (value, matrix_timeline_item_get_formatted_body (self));
      break;
    case PROP_EDITED:
      g_value_set_boolean (value, self->replacement != NULL);
      break;
    case PROP_REPLACEMENT:
      g_value_set_object (value, self->replacement);
      break;
    case PROP_REPLY_STATE:
      g_value_set_enum (value, self->reply_state);
      break;
    case PROP_IN_REPLY_TO:
      g_value_set_object (value, self->in_reply_to);
      break;
    case PROP_THREAD_COUNT:
      g_value_set_uint (value, matrix_timeline_item_get_thread_count (self));
      break;
    case PROP_THREAD_LATEST:
      g_value_set_object (value, matrix_timeline_item_get_thread_latest (self));
      break;
    case PROP_REDACTING:
      g_value_set_boolean (value, self->redacting);
      break;
    case PROP_SENDER_TRUST:
      g_value_set_enum (value, self->sender_trust);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
matrix_timeline_item_class_init (MatrixTimelineItemClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = matrix_timeline_item_dispose;
  object_class->finalize = matrix_timeline_item_finalize;
  object_class->get_property = matrix_timeline_item_get_property;

  /**
   * MatrixTimelineItem:kind:
   *
   * Whether the item is an event, a gap or a local echo.
   */
  properties[PROP_KIND] =
    g_param_spec_enum ("kind", NULL, NULL, MATRIX_TYPE_TIMELINE_ITEM_KIND,
                       MATRIX_TIMELINE_ITEM_EVENT, G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  /**
   * MatrixTimelineItem:event:
   *
   * The event of an item of %MATRIX_TIMELINE_ITEM_EVENT, or %NULL.
   */
  properties[PROP_EVENT] =
    g_param_spec_object ("event", NULL, NULL, MATRIX_TYPE_EVENT,
                         G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  /**
   * MatrixTimelineItem:event-id:
   *
   * The id of the item's event, or %NULL for a gap and a local echo.
   */
  properties[PROP_EVENT_ID] =
    g_param_spec_string ("event-id", NULL, NULL, NULL, G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  /**
   * MatrixTimelineItem:event-type:
   *
   * The type of the item's event or local echo, or %NULL for a gap.
   */
  properties[PROP_EVENT_TYPE] =
    g_param_spec_string ("event-type", NULL, NULL, NULL, G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  /**
   * MatrixTimelineItem:sender:
   *
   * The user id of the sender of the item's event or local echo, or %NULL for
   * a gap.
   */
  properties[PROP_SENDER] =
    g_param_spec_string ("sender", NULL, NULL, NULL, G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  /**
   * MatrixTimelineItem:content:
   *
   * The content of the item's event or local echo, or %NULL for a gap.
   */
  properties[PROP_CONTENT] =
    g_param_spec_boxed ("content", NULL, NULL, JSON_TYPE_OBJECT,
                        G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  /**
   * MatrixTimelineItem:origin-server-ts:
   *
   * When the item's event was sent, in milliseconds since the Unix epoch: for
   * a local echo, when the send began; 0 for a gap.
   */
  properties[PROP_ORIGIN_SERVER_TS] =
    g_param_spec_int64 ("origin-server-ts", NULL, NULL, 0, G_MAXINT64, 0,
                        G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  /**
   * MatrixTimelineItem:transaction-id:
   *
   * The transaction id of a local echo (and of an event this client sent), or
   * %NULL.
   */
  properties[PROP_TRANSACTION_ID] =
    g_param_spec_string ("transaction-id", NULL, NULL, NULL,
                         G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  /**
   * MatrixTimelineItem:send-state:
   *
   * How the send of a local echo stands; %MATRIX_SEND_STATE_NONE for other
   * items. Notifies when it changes.
   */
  properties[PROP_SEND_STATE] =
    g_param_spec_enum ("send-state", NULL, NULL, MATRIX_TYPE_SEND_STATE, MATRIX_SEND_STATE_NONE,
                       G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  /**
   * MatrixTimelineItem:gap-token:
   *
   * For a gap, the token older events are loaded from; %NULL otherwise.
   */
  properties[PROP_GAP_TOKEN] =
    g_param_spec_string ("gap-token", NULL, NULL, NULL, G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  /**
   * MatrixTimelineItem:msgtype:
   *
   * The `msgtype` of what the message shows now: see
   * matrix_timeline_item_get_msgtype(). Notifies when an edit changes it.
   */
  properties[PROP_MSGTYPE] =
    g_param_spec_string ("msgtype", NULL, NULL, NULL,
                         G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  /**
   * MatrixTimelineItem:body:
   *
   * What the message shows as plain text: see
   * matrix_timeline_item_get_body(). Notifies when an edit changes it.
   */
  properties[PROP_BODY] =
    g_param_spec_string ("body", NULL, NULL, NULL,
                         G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  /**
   * MatrixTimelineItem:formatted-body:
   *
   * What the message shows as HTML, or %NULL: see
   * matrix_timeline_item_get_formatted_body(). Notifies when an edit changes it.
   */
  properties[PROP_FORMATTED_BODY] =
    g_param_spec_string ("formatted-body", NULL, NULL, NULL,
                         G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  /**
   * MatrixTimelineItem:edited:
   *
   * Whether the message shows an edit of it: see
   * matrix_timeline_item_get_edited().
   */
  properties[PROP_EDITED] =
    g_param_spec_boolean ("edited", NULL, NULL, FALSE,
                          G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  /**
   * MatrixTimelineItem:replacement:
   *
   * The edit the message shows, or %NULL: see
   * matrix_timeline_item_get_replacement().
   */
  properties[PROP_REPLACEMENT] =
    g_param_spec_object ("replacement", NULL, NULL, MATRIX_TYPE_EVENT,
                         G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  /**
   * MatrixTimelineItem:reply-state:
   *
   * Whether the event this message replies to can be quoted yet: see
   * matrix_timeline_item_get_reply_state().
   */
  properties[PROP_REPLY_STATE] =
    g_param_spec_enum ("reply-state", NULL, NULL, MATRIX_TYPE_REPLY_STATE, MATRIX_REPLY_STATE_NONE,
                       G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  /**
   * MatrixTimelineItem:in-reply-to:
   *
   * The item this message replies to, once #MatrixTimelineItem:reply-state
   * is %MATRIX_REPLY_STATE_LOADED; %NULL otherwise.
   */
  properties[PROP_IN_REPLY_TO] =
    g_param_spec_object ("in-reply-to", NULL, NULL, MATRIX_TYPE_TIMELINE_ITEM,
                         G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  /**
   * MatrixTimelineItem:thread-count:
   *
   * How many replies the thread this event starts has; 0 when it starts
   * none.
   */
  properties[PROP_THREAD_COUNT] =
    g_param_spec_uint ("thread-count", NULL, NULL, 0, G_MAXUINT, 0,
                       G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  /**
   * MatrixTimelineItem:thread-latest:
   *
   * The newest reply in the thread this event starts, or %NULL: see
   * matrix_timeline_item_get_thread_latest().
   */
  properties[PROP_THREAD_LATEST] =
    g_param_spec_object ("thread-latest", NULL, NULL, MATRIX_TYPE_EVENT,
                         G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  /**
   * MatrixTimelineItem:redacting:
   *
   * Whether the user's redaction of the event is under way: see
   * matrix_timeline_item_get_redacting().
   */
  properties[PROP_REDACTING] =
    g_param_spec_boolean ("redacting", NULL, NULL, FALSE,
                          G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);

  /**
   * MatrixTimelineItem:sender-trust:
   *
   * How far the device that sent the item's encrypted event is trusted,
   * once the event is decrypted; see
   * matrix_timeline_item_get_sender_trust().
   */
  properties[PROP_SENDER_TRUST] =
    g_param_spec_enum ("sender-trust", NULL, NULL, MATRIX_TYPE_SENDER_TRUST,
                       MATRIX_SENDER_TRUST_NONE,
                       G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);

  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
matrix_timeline_item_init (MatrixTimelineItem *self)
{
}
