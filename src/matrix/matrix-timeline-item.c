/* SPDX-License-Identifier: LGPL-2.1-or-later */
#define G_LOG_DOMAIN "matrix-timeline-item"

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
  gint64                  local_ts;
  MatrixSendState         send_state;
  GError                 *send_error;
};

G_DEFINE_FINAL_TYPE (MatrixTimelineItem, matrix_timeline_item, G_TYPE_OBJECT)

G_DEFINE_ENUM_TYPE (MatrixTimelineItemKind, matrix_timeline_item_kind,
  G_DEFINE_ENUM_VALUE (MATRIX_TIMELINE_ITEM_EVENT, "event"),
  G_DEFINE_ENUM_VALUE (MATRIX_TIMELINE_ITEM_GAP, "gap"),
  G_DEFINE_ENUM_VALUE (MATRIX_TIMELINE_ITEM_LOCAL_ECHO, "local-echo"))

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
  g_clear_error (&self->send_error);

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
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
matrix_timeline_item_class_init (MatrixTimelineItemClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

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

  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
matrix_timeline_item_init (MatrixTimelineItem *self)
{
}
