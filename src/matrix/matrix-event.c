/* SPDX-License-Identifier: LGPL-2.1-or-later */
#define G_LOG_DOMAIN "matrix-event"

#include "matrix-error.h"
#include "matrix-event-private.h"
#include "matrix-json-private.h"

/**
 * MatrixEvent:
 *
 * One room event, immutable once built. Events are built from JSON that came
 * from the network, so every constructor validates the required members and
 * their types and fails with a #GError rather than trusting the input.
 *
 * Events that carry a `state_key` are #MatrixStateEvent instances.
 */

typedef struct
{
  char       *room_id;
  char       *event_type;
  char       *sender;
  char       *event_id;
  gint64      origin_server_ts;
  JsonObject *content;
  JsonObject *unsigned_;
  char       *redacts;   /* an m.room.redaction's top-level `redacts` (room versions 1–10) */
} MatrixEventPrivate;

struct _MatrixStateEvent
{
  MatrixEvent parent_instance;
  char       *state_key;
};

G_DEFINE_TYPE_WITH_PRIVATE (MatrixEvent, matrix_event, G_TYPE_OBJECT)
/**
 * MatrixStateEvent:
 *
 * A #MatrixEvent with a state key: one that sets part of a room's state,
 * such as its name (`m.room.name`, state key "") or a member
 * (`m.room.member`, the user id as state key). A room's current state is
 * the newest state event for each type and state key.
 */
G_DEFINE_FINAL_TYPE (MatrixStateEvent, matrix_state_event, MATRIX_TYPE_EVENT)

enum {
  PROP_0,
  PROP_ROOM_ID,
  PROP_EVENT_TYPE,
  PROP_SENDER,
  PROP_EVENT_ID,
  PROP_ORIGIN_SERVER_TS,
  PROP_CONTENT,
  PROP_UNSIGNED,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static void
matrix_event_finalize (GObject *object)
{
  MatrixEventPrivate *priv = matrix_event_get_instance_private (MATRIX_EVENT (object));

  g_free (priv->room_id);
  g_free (priv->event_type);
  g_free (priv->sender);
  g_free (priv->event_id);
  g_clear_pointer (&priv->content, json_object_unref);
  g_clear_pointer (&priv->unsigned_, json_object_unref);
  g_free (priv->redacts);

  G_OBJECT_CLASS (matrix_event_parent_class)->finalize (object);
}

static void
matrix_event_get_property (GObject    *object,
                           guint       prop_id,
                           GValue     *value,
                           GParamSpec *pspec)
{
  MatrixEvent *self = MATRIX_EVENT (object);

  switch (prop_id)
    {
    case PROP_ROOM_ID:
      g_value_set_string (value, matrix_event_get_room_id (self));
      break;
    case PROP_EVENT_TYPE:
      g_value_set_string (value, matrix_event_get_event_type (self));
      break;
    case PROP_SENDER:
      g_value_set_string (value, matrix_event_get_sender (self));
      break;
    case PROP_EVENT_ID:
      g_value_set_string (value, matrix_event_get_event_id (self));
      break;
    case PROP_ORIGIN_SERVER_TS:
      g_value_set_int64 (value, matrix_event_get_origin_server_ts (self));
      break;
    case PROP_CONTENT:
      g_value_set_boxed (value, matrix_event_get_content (self));
      break;
    case PROP_UNSIGNED:
      g_value_set_boxed (value, matrix_event_get_unsigned (self));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
matrix_event_class_init (MatrixEventClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = matrix_event_finalize;
  object_class->get_property = matrix_event_get_property;

  /**
   * MatrixEvent:room-id:
   *
   * The room the event belongs to.
   */
  properties[PROP_ROOM_ID] =
    g_param_spec_string ("room-id", NULL, NULL, NULL,
                         G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  /**
   * MatrixEvent:event-type:
   *
   * The event's `type`, such as `m.room.message`.
   */
  properties[PROP_EVENT_TYPE] =
    g_param_spec_string ("event-type", NULL, NULL, NULL,
                         G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  /**
   * MatrixEvent:sender:
   *
   * The user id of who sent the event.
   */
  properties[PROP_SENDER] =
    g_param_spec_string ("sender", NULL, NULL, NULL,
                         G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  /**
   * MatrixEvent:event-id:
   *
   * The event's `event_id`.
   */
  properties[PROP_EVENT_ID] =
    g_param_spec_string ("event-id", NULL, NULL, NULL,
                         G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  /**
   * MatrixEvent:origin-server-ts:
   *
   * When the sender's homeserver received the event, in milliseconds since the
   * Unix epoch.
   */
  properties[PROP_ORIGIN_SERVER_TS] =
    g_param_spec_int64 ("origin-server-ts", NULL, NULL, 0, G_MAXINT64, 0,
                        G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  /**
   * MatrixEvent:content:
   *
   * The event's `content`, a JSON object: read it, never change it.
   */
  properties[PROP_CONTENT] =
    g_param_spec_boxed ("content", NULL, NULL, JSON_TYPE_OBJECT,
                        G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  /**
   * MatrixEvent:unsigned:
   *
   * The event's `unsigned` data, or %NULL.
   */
  properties[PROP_UNSIGNED] =
    g_param_spec_boxed ("unsigned", NULL, NULL, JSON_TYPE_OBJECT,
                        G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);

  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
matrix_event_init (MatrixEvent *self)
{
}

static void
matrix_state_event_finalize (GObject *object)
{
  g_free (MATRIX_STATE_EVENT (object)->state_key);

  G_OBJECT_CLASS (matrix_state_event_parent_class)->finalize (object);
}

static void
matrix_state_event_class_init (MatrixStateEventClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = matrix_state_event_finalize;
}

static void
matrix_state_event_init (MatrixStateEvent *self)
{
}

/* The top-level members an event is built from. */
typedef enum {
  MEMBER_ROOM_ID,
  MEMBER_TYPE,
  MEMBER_SENDER,
  MEMBER_EVENT_ID,
  MEMBER_ORIGIN_SERVER_TS,
  MEMBER_CONTENT,
  MEMBER_UNSIGNED,
  MEMBER_STATE_KEY,
  MEMBER_REDACTS,
  N_MEMBERS
} Member;

static const char *const member_names[N_MEMBERS] = {
  [MEMBER_ROOM_ID] = "room_id",
  [MEMBER_TYPE] = "type",
  [MEMBER_SENDER] = "sender",
  [MEMBER_EVENT_ID] = "event_id",
  [MEMBER_ORIGIN_SERVER_TS] = "origin_server_ts",
  [MEMBER_CONTENT] = "content",
  [MEMBER_UNSIGNED] = "unsigned",
  [MEMBER_STATE_KEY] = "state_key",
  [MEMBER_REDACTS] = "redacts",
};

/* A top-level member's value: a node, or (read straight from the text when
 * a member that should be a string is one) the string itself, owned. */
typedef struct {
  JsonNode *node;
  char     *string;
} Value;

static void
value_clear (Value *value)
{
  g_clear_pointer (&value->node, json_node_unref);
  g_clear_pointer (&value->string, g_free);
}

static gboolean
get_string (Value       *value,
            const char  *where,
            const char  *member,
            gboolean     required,
            const char **out,
            GError     **error)
{
  if (value->string != NULL)
    {
      *out = value->string;
      return TRUE;
    }
  return _matrix_json_node_get_string (value->node, where, member, required, out, error);
}

/* @string, or the string @value holds, which is taken rather than copied. */
static char *
take_string (Value      *value,
             const char *string)
{
  if (string != NULL && string == value->string)
    return g_steal_pointer (&value->string);
  return g_strdup (string);
}

/* Fills the common members. The sync API omits `room_id` from events (the room
 * is implied by where they stand); when both are given they must agree. */
static gboolean
parse_common (MatrixEvent  *self,
              const char   *room_id,
              Value        *members,
              GError      **error)
{
  MatrixEventPrivate *priv = matrix_event_get_instance_private (self);
  const char *json_room_id, *event_type, *sender, *event_id, *redacts = NULL;
  JsonObject *content, *unsigned_;
  gint64 ts = 0;

  if (!get_string (&members[MEMBER_ROOM_ID], "event", "room_id", room_id == NULL, &json_room_id, error) ||
      !get_string (&members[MEMBER_TYPE], "event", "type", TRUE, &event_type, error) ||
      !get_string (&members[MEMBER_SENDER], "event", "sender", TRUE, &sender, error) ||
      !get_string (&members[MEMBER_EVENT_ID], "event", "event_id", TRUE, &event_id, error) ||
      !_matrix_json_node_get_int (members[MEMBER_ORIGIN_SERVER_TS].node, "event", "origin_server_ts",
                                  TRUE, &ts, error) ||
      !_matrix_json_node_get_object (members[MEMBER_CONTENT].node, "event", "content", TRUE, &content,
                                     error) ||
      !_matrix_json_node_get_object (members[MEMBER_UNSIGNED].node, "event", "unsigned", FALSE,
                                     &unsigned_, error))
    return FALSE;

  if (room_id != NULL && json_room_id != NULL && !g_str_equal (room_id, json_room_id))
    {
      g_set_error (error, MATRIX_ERROR, MATRIX_ERROR_INVALID_RESPONSE,
                   "event %s: room_id %s disagrees with the room %s it was listed in",
                   event_id, json_room_id, room_id);
      return FALSE;
    }

  if (ts < 0)
    {
      g_set_error (error, MATRIX_ERROR, MATRIX_ERROR_INVALID_RESPONSE,
                   "event %s: origin_server_ts is negative", event_id);
      return FALSE;
    }

  if (g_str_equal (event_type, "m.room.redaction") &&
      !get_string (&members[MEMBER_REDACTS], "event", "redacts", FALSE, &redacts, error))
    return FALSE;

  priv->room_id = room_id != NULL ? g_strdup (room_id) : take_string (&members[MEMBER_ROOM_ID], json_room_id);
  priv->event_type = take_string (&members[MEMBER_TYPE], event_type);
  priv->sender = take_string (&members[MEMBER_SENDER], sender);
  priv->event_id = take_string (&members[MEMBER_EVENT_ID], event_id);
  priv->origin_server_ts = ts;
  priv->content = json_object_ref (content);
  priv->unsigned_ = unsigned_ != NULL ? json_object_ref (unsigned_) : NULL;
  priv->redacts = take_string (&members[MEMBER_REDACTS], redacts);

  return TRUE;
}

/* Builds the event whose top-level members are @members (empty when
 * absent): a #MatrixStateEvent if it has a `state_key`, which it must have
 * if @state_only. Strings @members hold may be taken. */
static MatrixEvent *
new_from_members (const char  *room_id,
                  Value       *members,
                  gboolean     state_only,
                  GError     **error)
{
  g_autoptr(MatrixEvent) self = NULL;
  const char *state_key = NULL;

  if (!state_only &&
      !get_string (&members[MEMBER_STATE_KEY], "event", "state_key", FALSE, &state_key, error))
    return NULL;

  if (state_only || state_key != NULL)
    {
      if (!get_string (&members[MEMBER_STATE_KEY], "state event", "state_key", TRUE, &state_key, error))
        return NULL;
      self = g_object_new (MATRIX_TYPE_STATE_EVENT, NULL);
    }
  else
    self = g_object_new (MATRIX_TYPE_EVENT, NULL);

  if (!parse_common (self, room_id, members, error))
    return NULL;
  if (MATRIX_IS_STATE_EVENT (self))
    MATRIX_STATE_EVENT (self)->state_key = take_string (&members[MEMBER_STATE_KEY], state_key);

  return g_steal_pointer (&self);
}

static MatrixEvent *
new_from_object (const char  *room_id,
                 JsonObject  *object,
                 gboolean     state_only,
                 GError     **error)
{
  Value members[N_MEMBERS];

  /* Borrowed nodes: nothing here is cleared. */
  for (guint i = 0; i < N_MEMBERS; i++)
    {
      members[i].node = json_object_get_member (object, member_names[i]);
      members[i].string = NULL;
    }
  return new_from_members (room_id, members, state_only, error);
}

static int
member_of_name (const char *name)
{
  int member;

  /* Every member of an event goes through here: one comparison each. */
  switch (name[0])
    {
    case 'c': member = MEMBER_CONTENT; break;
    case 'e': member = MEMBER_EVENT_ID; break;
    case 'o': member = MEMBER_ORIGIN_SERVER_TS; break;
    case 'r': member = name[1] == 'o' ? MEMBER_ROOM_ID : MEMBER_REDACTS; break;
    case 's': member = name[1] == 'e' ? MEMBER_SENDER : MEMBER_STATE_KEY; break;
    case 't': member = MEMBER_TYPE; break;
    case 'u': member = MEMBER_UNSIGNED; break;
    default: return -1;
    }
  return strcmp (name, member_names[member]) == 0 ? member : -1;
}

/* The members whose value is a string, which are read as one when it is. */
static const gboolean string_member[N_MEMBERS] = {
  [MEMBER_ROOM_ID] = TRUE,
  [MEMBER_TYPE] = TRUE,
  [MEMBER_SENDER] = TRUE,
  [MEMBER_EVENT_ID] = TRUE,
  [MEMBER_STATE_KEY] = TRUE,
  [MEMBER_REDACTS] = TRUE,
};

/**
 * _matrix_event_read:
 * @reader: a reader at an object
 * @room_id: (nullable): as for matrix_event_new_from_json()
 * @state_only: whether the event must be a state event
 * @unsigned_bytes: (out) (optional): the bytes its `unsigned` members stand
 *   for, decoded (see _matrix_json_reader_get_decoded_offset())
 * @error: return location for why the object is not a valid event
 *
 * Reads the object @reader is at and builds the event it holds, as
 * matrix_event_new_from_json() (or matrix_state_event_new_from_json(), if
 * @state_only) does from the same object parsed whole, with the same checks
 * and errors; only the members an event keeps become json-glib nodes (its
 * strings not even that), and the object itself never does. A repeated
 * member counts with its last value, as it would in a parsed object.
 *
 * Returns: (transfer full) (nullable): the event; %NULL with @error set if
 *   the object is not a valid event, or with nothing set if the text is not
 *   JSON (the reader has failed, and holds the error)
 */
MatrixEvent *
_matrix_event_read (MatrixJsonReader  *reader,
                    const char        *room_id,
                    gboolean           state_only,
                    gsize             *unsigned_bytes,
                    GError           **error)
{
  Value members[N_MEMBERS] = { { NULL } };
  MatrixEvent *event = NULL;
  const char *name;

  if (unsigned_bytes != NULL)
    *unsigned_bytes = 0;
  if (!_matrix_json_reader_enter (reader))
    return NULL;
  while ((name = _matrix_json_reader_next_member (reader)) != NULL)
    {
      int member = member_of_name (name);

      /* What the server adds to an event (a previous content, a thread's
       * latest event) is measured apart from the event itself. */
      if (unsigned_bytes != NULL && g_str_equal (name, "unsigned"))
        {
          gsize before = _matrix_json_reader_get_decoded_offset (reader);

          value_clear (&members[member]);
          members[member].node = _matrix_json_reader_read_node (reader);
          *unsigned_bytes += _matrix_json_reader_get_decoded_offset (reader) - before;
          continue;
        }
      if (member < 0)
        {
          _matrix_json_reader_skip (reader);
          continue;
        }
      value_clear (&members[member]);
      if (string_member[member])
        members[member].string = _matrix_json_reader_read_string (reader);
      if (members[member].string == NULL)
        members[member].node = _matrix_json_reader_read_node (reader);
    }

  if (!_matrix_json_reader_failed (reader))
    event = new_from_members (room_id, members, state_only, error);
  for (guint i = 0; i < N_MEMBERS; i++)
    value_clear (&members[i]);
  return event;
}

/**
 * _matrix_event_new_from_text:
 * @text: JSON text of one event object
 * @length: its length, or -1 if NUL-terminated
 * @room_id: (nullable): as for matrix_event_new_from_json()
 * @error: return location for a #GError
 *
 * Builds the event whose JSON text is @text, as parsing it whole and calling
 * matrix_event_new_from_json() would, errors included (text that is not
 * JSON fails as such before it is judged as an event).
 *
 * Returns: (transfer full) (nullable): the event
 */
MatrixEvent *
_matrix_event_new_from_text (const char  *text,
                             gssize       length,
                             const char  *room_id,
                             GError     **error)
{
  g_autoptr(MatrixJsonReader) reader = _matrix_json_reader_new (text, length, TRUE);
  g_autoptr(GError) invalid = NULL;
  g_autoptr(MatrixEvent) event = _matrix_event_read (reader, room_id, FALSE, NULL, &invalid);

  if (!_matrix_json_reader_finish (reader, error))
    return NULL;
  if (invalid != NULL)
    {
      g_propagate_error (error, g_steal_pointer (&invalid));
      return NULL;
    }
  return g_steal_pointer (&event);
}

/**
 * matrix_event_new_from_json:
 * @room_id: (nullable): the room the event belongs to, or %NULL to read it from
 *   the event's own `room_id` member
 * @object: the event as JSON
 * @error: return location for a #GError
 *
 * Builds an event from its JSON form, as found in a sync response's timeline
 * or in `/messages`. An event with a `state_key` becomes a #MatrixStateEvent.
 *
 * Returns: (transfer full) (nullable): the event, or %NULL if @object is not
 *   a valid event
 */
MatrixEvent *
matrix_event_new_from_json (const char  *room_id,
                            JsonObject  *object,
                            GError     **error)
{
  g_return_val_if_fail (object != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  return new_from_object (room_id, object, FALSE, error);
}

/**
 * matrix_state_event_new_from_json:
 * @room_id: (nullable): the room, or %NULL to read the event's `room_id`
 * @object: the event as JSON
 * @error: return location for a #GError
 *
 * Builds a state event; unlike matrix_event_new_from_json(), a missing
 * `state_key` is an error.
 *
 * Returns: (transfer full) (nullable): the state event, or %NULL
 */
MatrixStateEvent *
matrix_state_event_new_from_json (const char  *room_id,
                                  JsonObject  *object,
                                  GError     **error)
{
  g_return_val_if_fail (object != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  return MATRIX_STATE_EVENT (new_from_object (room_id, object, TRUE, error));
}

/**
 * matrix_event_get_room_id:
 * @self: a #MatrixEvent
 *
 * The room the event belongs to.
 *
 * Returns: (transfer none): the room id
 */
const char *
matrix_event_get_room_id (MatrixEvent *self)
{
  MatrixEventPrivate *priv = matrix_event_get_instance_private (self);

  g_return_val_if_fail (MATRIX_IS_EVENT (self), NULL);

  return priv->room_id;
}

/**
 * matrix_event_get_event_type:
 * @self: a #MatrixEvent
 *
 * The event's `type`.
 *
 * Returns: (transfer none): the event type, e.g. `m.room.message`
 */
const char *
matrix_event_get_event_type (MatrixEvent *self)
{
  MatrixEventPrivate *priv = matrix_event_get_instance_private (self);

  g_return_val_if_fail (MATRIX_IS_EVENT (self), NULL);

  return priv->event_type;
}

/**
 * matrix_event_get_sender:
 * @self: a #MatrixEvent
 *
 * Who sent the event.
 *
 * Returns: (transfer none): the user id of the sender
 */
const char *
matrix_event_get_sender (MatrixEvent *self)
{
  MatrixEventPrivate *priv = matrix_event_get_instance_private (self);

  g_return_val_if_fail (MATRIX_IS_EVENT (self), NULL);

  return priv->sender;
}

/**
 * matrix_event_get_event_id:
 * @self: a #MatrixEvent
 *
 * The event's `event_id`.
 *
 * Returns: (transfer none): the event id
 */
const char *
matrix_event_get_event_id (MatrixEvent *self)
{
  MatrixEventPrivate *priv = matrix_event_get_instance_private (self);

  g_return_val_if_fail (MATRIX_IS_EVENT (self), NULL);

  return priv->event_id;
}

/**
 * matrix_event_get_origin_server_ts:
 * @self: a #MatrixEvent
 *
 * When the sender's homeserver received the event.
 *
 * Returns: the server's timestamp, in milliseconds since the Unix epoch
 */
gint64
matrix_event_get_origin_server_ts (MatrixEvent *self)
{
  MatrixEventPrivate *priv = matrix_event_get_instance_private (self);

  g_return_val_if_fail (MATRIX_IS_EVENT (self), 0);

  return priv->origin_server_ts;
}

/**
 * matrix_event_get_content:
 * @self: a #MatrixEvent
 *
 * The event's `content`, as the server sent it (validated to be an object).
 *
 * Returns: (transfer none): the event content. Do not modify it.
 */
JsonObject *
matrix_event_get_content (MatrixEvent *self)
{
  MatrixEventPrivate *priv = matrix_event_get_instance_private (self);

  g_return_val_if_fail (MATRIX_IS_EVENT (self), NULL);

  return priv->content;
}

/**
 * matrix_event_get_unsigned:
 * @self: a #MatrixEvent
 *
 * The event's `unsigned` data: what the server adds, such as `transaction_id`
 * or `redacted_because`.
 *
 * Returns: (transfer none) (nullable): the `unsigned` data, if the event had any
 */
JsonObject *
matrix_event_get_unsigned (MatrixEvent *self)
{
  MatrixEventPrivate *priv = matrix_event_get_instance_private (self);

  g_return_val_if_fail (MATRIX_IS_EVENT (self), NULL);

  return priv->unsigned_;
}

/**
 * matrix_event_get_content_string:
 * @self: a #MatrixEvent
 * @member: a member of the content
 *
 * Content is free-form and written by other users, so this checks the type.
 *
 * Returns: (transfer none) (nullable): the member if it is a string, else %NULL
 */
const char *
matrix_event_get_content_string (MatrixEvent *self,
                                 const char  *member)
{
  MatrixEventPrivate *priv = matrix_event_get_instance_private (self);
  JsonNode *node;

  g_return_val_if_fail (MATRIX_IS_EVENT (self), NULL);
  g_return_val_if_fail (member != NULL, NULL);

  node = json_object_get_member (priv->content, member);
  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node) ||
      json_node_get_value_type (node) != G_TYPE_STRING)
    return NULL;

  return json_node_get_string (node);
}

/* content["m.relates_to"], if it is an object. */
static JsonObject *
relates_to (MatrixEvent *self)
{
  MatrixEventPrivate *priv = matrix_event_get_instance_private (self);
  JsonNode *node = json_object_get_member (priv->content, "m.relates_to");

  return node != NULL && JSON_NODE_HOLDS_OBJECT (node) ? json_node_get_object (node) : NULL;
}

static const char *
object_string (JsonObject *object,
               const char *member)
{
  JsonNode *node = object != NULL ? json_object_get_member (object, member) : NULL;

  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node) ||
      json_node_get_value_type (node) != G_TYPE_STRING)
    return NULL;
  return json_node_get_string (node);
}

/**
 * matrix_event_get_relation_type:
 * @self: a #MatrixEvent
 *
 * How the event relates to another, to tell an edit, a reaction or a thread
 * reply from a message of its own: such events change the row of the event
 * they relate to (matrix_event_get_related_event_id()) rather than making a
 * row. A plain reply has no relation type (see
 * matrix_event_get_in_reply_to_id()), and neither has a malformed
 * `m.relates_to`.
 *
 * Returns: (transfer none) (nullable): `content["m.relates_to"].rel_type`
 *   (`m.replace`, `m.annotation`, `m.thread`, `m.reference`...) when it and
 *   the related event's id are strings, else %NULL
 */
const char *
matrix_event_get_relation_type (MatrixEvent *self)
{
  JsonObject *relation;

  g_return_val_if_fail (MATRIX_IS_EVENT (self), NULL);

  relation = relates_to (self);
  if (object_string (relation, "event_id") == NULL)
    return NULL;
  return object_string (relation, "rel_type");
}

/**
 * matrix_event_get_related_event_id:
 * @self: a #MatrixEvent
 *
 * The event an edit replaces, a reaction annotates or a thread reply hangs
 * from: where the event shows. %NULL whenever
 * matrix_event_get_relation_type() is, so that a caller never follows half
 * a relation.
 *
 * Returns: (transfer none) (nullable): the id of the event this one relates
 *   to (`content["m.relates_to"].event_id`) when it has a relation type
 */
const char *
matrix_event_get_related_event_id (MatrixEvent *self)
{
  g_return_val_if_fail (MATRIX_IS_EVENT (self), NULL);

  if (matrix_event_get_relation_type (self) == NULL)
    return NULL;
  return object_string (relates_to (self), "event_id");
}

/**
 * matrix_event_get_annotation_key:
 * @self: a #MatrixEvent
 *
 * What a reaction says. Reactions to one event are counted per key (see
 * #MatrixReaction), compared byte for byte.
 *
 * Returns: (transfer none) (nullable): the key of an `m.annotation` (a
 *   reaction's emoji), else %NULL
 */
const char *
matrix_event_get_annotation_key (MatrixEvent *self)
{
  g_return_val_if_fail (MATRIX_IS_EVENT (self), NULL);

  if (g_strcmp0 (matrix_event_get_relation_type (self), "m.annotation") != 0)
    return NULL;
  return object_string (relates_to (self), "key");
}

/**
 * matrix_event_get_in_reply_to_id:
 * @self: a #MatrixEvent
 *
 * The event this one answers (`content["m.relates_to"]["m.in_reply_to"]`),
 * to quote above it. A message in a thread carries an `m.in_reply_to` for
 * clients that do not know threads; when it says so (`is_falling_back`) it
 * is no reply, and this is %NULL.
 *
 * Returns: (transfer none) (nullable): the id of the event replied to, or
 *   %NULL
 */
const char *
matrix_event_get_in_reply_to_id (MatrixEvent *self)
{
  JsonObject *relation;
  JsonNode *node, *falling_back;

  g_return_val_if_fail (MATRIX_IS_EVENT (self), NULL);

  relation = relates_to (self);
  if (relation == NULL)
    return NULL;
  falling_back = json_object_get_member (relation, "is_falling_back");
  if (g_strcmp0 (object_string (relation, "rel_type"), "m.thread") == 0 &&
      falling_back != NULL && JSON_NODE_HOLDS_VALUE (falling_back) &&
      json_node_get_value_type (falling_back) == G_TYPE_BOOLEAN &&
      json_node_get_boolean (falling_back))
    return NULL;
  node = json_object_get_member (relation, "m.in_reply_to");
  if (node == NULL || !JSON_NODE_HOLDS_OBJECT (node))
    return NULL;
  return object_string (json_node_get_object (node), "event_id");
}

/**
 * matrix_event_get_prev_content_string:
 * @self: a #MatrixEvent
 * @member: a member of the previous content
 *
 * A state event's `unsigned.prev_content` is the content of the state it
 * replaced, as the server knew it: what a member was called before they
 * renamed themselves or left, say. Servers send it with most state events,
 * not with all; like the content, it is checked for its type.
 *
 * Returns: (transfer none) (nullable): the member of `unsigned.prev_content`
 *   if it is a string, else %NULL
 */
const char *
matrix_event_get_prev_content_string (MatrixEvent *self,
                                      const char  *member)
{
  MatrixEventPrivate *priv = matrix_event_get_instance_private (self);
  JsonObject *prev_content = NULL;
  const char *value = NULL;

  g_return_val_if_fail (MATRIX_IS_EVENT (self), NULL);
  g_return_val_if_fail (member != NULL, NULL);

  if (priv->unsigned_ == NULL ||
      !_matrix_json_get_object (priv->unsigned_, NULL, "prev_content", FALSE, &prev_content, NULL) ||
      prev_content == NULL ||
      !_matrix_json_get_string (prev_content, NULL, member, FALSE, &value, NULL))
    return NULL;

  return value;
}

/**
 * matrix_event_get_transaction_id:
 * @self: a #MatrixEvent
 *
 * The server echoes the transaction id of our own sends in `unsigned`, which
 * is how a local echo is matched with the server's copy.
 *
 * Returns: (transfer none) (nullable): `unsigned.transaction_id`, or %NULL
 */
const char *
matrix_event_get_transaction_id (MatrixEvent *self)
{
  MatrixEventPrivate *priv = matrix_event_get_instance_private (self);
  const char *txn_id = NULL;

  g_return_val_if_fail (MATRIX_IS_EVENT (self), NULL);

  if (priv->unsigned_ == NULL ||
      !_matrix_json_get_string (priv->unsigned_, NULL, "transaction_id", FALSE, &txn_id, NULL))
    return NULL;

  return txn_id;
}

/**
 * matrix_event_is_state:
 * @self: a #MatrixEvent
 *
 * Whether the event has a state key.
 *
 * Returns: whether the event is a #MatrixStateEvent
 */
gboolean
matrix_event_is_state (MatrixEvent *self)
{
  return MATRIX_IS_STATE_EVENT (self);
}

/**
 * matrix_state_event_get_state_key:
 * @self: a #MatrixStateEvent
 *
 * What the state event is about, within its type: a user id for
 * `m.room.member`, the empty string for most others.
 *
 * Returns: (transfer none): the state key (often the empty string)
 */
const char *
matrix_state_event_get_state_key (MatrixStateEvent *self)
{
  g_return_val_if_fail (MATRIX_IS_STATE_EVENT (self), NULL);

  return self->state_key;
}

static gboolean
objects_equal (JsonObject *a,
               JsonObject *b)
{
  g_autoptr(JsonNode) node_a = NULL;
  g_autoptr(JsonNode) node_b = NULL;

  if (a == NULL || b == NULL)
    return a == b;

  node_a = json_node_init_object (json_node_alloc (), a);
  node_b = json_node_init_object (json_node_alloc (), b);
  return json_node_equal (node_a, node_b);
}

/**
 * matrix_event_equal:
 * @a: a #MatrixEvent
 * @b: a #MatrixEvent
 *
 * Two events are equal when they are of the same class and every member,
 * content and unsigned data included, is equal.
 *
 * Returns: whether @a and @b are equal
 */
gboolean
matrix_event_equal (MatrixEvent *a,
                    MatrixEvent *b)
{
  MatrixEventPrivate *pa, *pb;

  if (a == b)
    return TRUE;
  if (a == NULL || b == NULL || G_OBJECT_TYPE (a) != G_OBJECT_TYPE (b))
    return FALSE;

  pa = matrix_event_get_instance_private (a);
  pb = matrix_event_get_instance_private (b);

  if (MATRIX_IS_STATE_EVENT (a) &&
      g_strcmp0 (MATRIX_STATE_EVENT (a)->state_key, MATRIX_STATE_EVENT (b)->state_key) != 0)
    return FALSE;

  return g_strcmp0 (pa->room_id, pb->room_id) == 0 &&
         g_strcmp0 (pa->event_type, pb->event_type) == 0 &&
         g_strcmp0 (pa->sender, pb->sender) == 0 &&
         g_strcmp0 (pa->event_id, pb->event_id) == 0 &&
         pa->origin_server_ts == pb->origin_server_ts &&
         objects_equal (pa->content, pb->content) &&
         objects_equal (pa->unsigned_, pb->unsigned_) &&
         g_strcmp0 (pa->redacts, pb->redacts) == 0;
}

/**
 * matrix_event_to_json:
 * @self: a #MatrixEvent
 *
 * Serialises the event, `room_id` included, so that
 * matrix_event_new_from_json() with a %NULL room id reads it back as an equal
 * event.
 *
 * Returns: (transfer full): a JSON object node
 */
JsonNode *
matrix_event_to_json (MatrixEvent *self)
{
  MatrixEventPrivate *priv = matrix_event_get_instance_private (self);
  g_autoptr(JsonObject) object = json_object_new ();

  g_return_val_if_fail (MATRIX_IS_EVENT (self), NULL);

  json_object_set_string_member (object, "room_id", priv->room_id);
  json_object_set_string_member (object, "type", priv->event_type);
  if (MATRIX_IS_STATE_EVENT (self))
    json_object_set_string_member (object, "state_key", MATRIX_STATE_EVENT (self)->state_key);
  json_object_set_string_member (object, "sender", priv->sender);
  json_object_set_object_member (object, "content", json_object_ref (priv->content));
  json_object_set_string_member (object, "event_id", priv->event_id);
  json_object_set_int_member (object, "origin_server_ts", priv->origin_server_ts);
  if (priv->unsigned_ != NULL)
    json_object_set_object_member (object, "unsigned", json_object_ref (priv->unsigned_));
  if (priv->redacts != NULL)
    json_object_set_string_member (object, "redacts", priv->redacts);

  return json_node_init_object (json_node_alloc (), object);
}

void
_matrix_event_append_json (MatrixEvent *self,
                           GString     *out)
{
  MatrixEventPrivate *priv = matrix_event_get_instance_private (self);

  /* The text of matrix_event_to_json(), without building that object. */
  _MATRIX_JSON_APPEND_LITERAL (out, "{\"room_id\":");
  _matrix_json_append_string (out, priv->room_id);
  _MATRIX_JSON_APPEND_LITERAL (out, ",\"type\":");
  _matrix_json_append_string (out, priv->event_type);
  if (MATRIX_IS_STATE_EVENT (self))
    {
      _MATRIX_JSON_APPEND_LITERAL (out, ",\"state_key\":");
      _matrix_json_append_string (out, MATRIX_STATE_EVENT (self)->state_key);
    }
  _MATRIX_JSON_APPEND_LITERAL (out, ",\"sender\":");
  _matrix_json_append_string (out, priv->sender);
  _MATRIX_JSON_APPEND_LITERAL (out, ",\"content\":");
  _matrix_json_append_object (out, priv->content);
  _MATRIX_JSON_APPEND_LITERAL (out, ",\"event_id\":");
  _matrix_json_append_string (out, priv->event_id);
  _MATRIX_JSON_APPEND_LITERAL (out, ",\"origin_server_ts\":");
  _matrix_json_append_int (out, priv->origin_server_ts);
  if (priv->unsigned_ != NULL)
    {
      _MATRIX_JSON_APPEND_LITERAL (out, ",\"unsigned\":");
      _matrix_json_append_object (out, priv->unsigned_);
    }
  if (priv->redacts != NULL)
    {
      _MATRIX_JSON_APPEND_LITERAL (out, ",\"redacts\":");
      _matrix_json_append_string (out, priv->redacts);
    }
  g_string_append_c (out, '}');
}

/**
 * matrix_event_to_string:
 * @self: a #MatrixEvent
 *
 * The event as JSON text, for logs and debugging.
 *
 * Returns: (transfer full): the event as compact JSON text
 */
char *
matrix_event_to_string (MatrixEvent *self)
{
  GString *out;

  g_return_val_if_fail (MATRIX_IS_EVENT (self), NULL);

  out = g_string_sized_new (256);
  _matrix_event_append_json (self, out);
  return g_string_free (out, FALSE);
}

/**
 * matrix_event_dup_json:
 * @self: a #MatrixEvent
 *
 * The event as JSON indented for people to read: what a "view source"
 * shows.
 *
 * Returns: (transfer full): the event as indented JSON text
 */
char *
matrix_event_dup_json (MatrixEvent *self)
{
  g_autofree char *compact = NULL;
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(JsonGenerator) generator = NULL;

  g_return_val_if_fail (MATRIX_IS_EVENT (self), NULL);

  compact = matrix_event_to_string (self);
  if (!json_parser_load_from_data (parser, compact, -1, NULL))
    return g_steal_pointer (&compact);

  generator = json_generator_new ();
  json_generator_set_pretty (generator, TRUE);
  json_generator_set_indent (generator, 2);
  json_generator_set_root (generator, json_parser_get_root (parser));
  return json_generator_to_data (generator, NULL);
}

/**
 * matrix_event_get_redacts:
 * @self: a #MatrixEvent
 *
 * The event a redaction removes.
 *
 * Returns: (transfer none) (nullable): for an `m.room.redaction`, the id of
 *   the event it removes: its `redacts` member, which room version 11 moved
 *   into the content; %NULL for any other event
 */
const char *
matrix_event_get_redacts (MatrixEvent *self)
{
  MatrixEventPrivate *priv;
  const char *redacts;

  g_return_val_if_fail (MATRIX_IS_EVENT (self), NULL);

  priv = matrix_event_get_instance_private (self);
  if (g_strcmp0 (priv->event_type, "m.room.redaction") != 0)
    return NULL;
  if (priv->redacts != NULL)
    return priv->redacts;
  redacts = matrix_event_get_content_string (self, "redacts");
  return redacts != NULL && *redacts != '\0' ? redacts : NULL;
}

/**
 * matrix_event_is_redacted:
 * @self: a #MatrixEvent
 *
 * Whether the event is the redacted copy of one a redaction removed.
 *
 * Returns: whether the event has been redacted (its `unsigned` names the
 *   redaction that removed its content)
 */
gboolean
matrix_event_is_redacted (MatrixEvent *self)
{
  MatrixEventPrivate *priv;

  g_return_val_if_fail (MATRIX_IS_EVENT (self), FALSE);

  priv = matrix_event_get_instance_private (self);
  return priv->unsigned_ != NULL && json_object_has_member (priv->unsigned_, "redacted_because");
}

/* The content keys a redaction keeps, by event type (the spec's redaction
 * algorithm, room version 11). NULL: the whole content stays. */
static const char * const *
kept_keys (const char *event_type,
           gboolean   *keep_all)
{
  static const char * const member[] = { "membership", "join_authorised_via_users_server", NULL };
  static const char * const join_rules[] = { "join_rule", "allow", NULL };
  static const char * const power_levels[] = {
    "ban", "events", "events_default", "invite", "kick", "redact", "state_default", "users",
    "users_default", NULL
  };
  static const char * const history_visibility[] = { "history_visibility", NULL };
  static const char * const redaction[] = { "redacts", NULL };
  static const char * const none[] = { NULL };

  *keep_all = g_strcmp0 (event_type, "m.room.create") == 0;
  if (g_strcmp0 (event_type, "m.room.member") == 0)
    return member;
  if (g_strcmp0 (event_type, "m.room.join_rules") == 0)
    return join_rules;
  if (g_strcmp0 (event_type, "m.room.power_levels") == 0)
    return power_levels;
  if (g_strcmp0 (event_type, "m.room.history_visibility") == 0)
    return history_visibility;
  if (g_strcmp0 (event_type, "m.room.redaction") == 0)
    return redaction;
  return none;
}

/**
 * _matrix_event_new_redacted:
 * @self: an event
 * @redaction: the m.room.redaction that removes it
 *
 * Returns: (transfer full): @self as the server sends it once redacted: the
 *   content stripped to what the spec keeps for its type (and, for a
 *   relation, its `m.relates_to`), and `unsigned` holding `redacted_because`
 */
MatrixEvent *
_matrix_event_new_redacted (MatrixEvent *self,
                            MatrixEvent *redaction)
{
  MatrixEventPrivate *priv = matrix_event_get_instance_private (self);
  g_autoptr(JsonNode) node = matrix_event_to_json (self);
  g_autoptr(JsonNode) because = matrix_event_to_json (redaction);
  JsonObject *object = json_node_get_object (node);
  JsonObject *content = json_object_new ();
  JsonObject *unsigned_ = json_object_new ();
  const char * const *keys;
  gboolean keep_all;
  MatrixEvent *redacted;
  g_autoptr(GError) error = NULL;

  g_return_val_if_fail (MATRIX_IS_EVENT (self), NULL);
  g_return_val_if_fail (MATRIX_IS_EVENT (redaction), NULL);

  keys = kept_keys (priv->event_type, &keep_all);
  for (guint i = 0; keys[i] != NULL; i++)
    if (json_object_has_member (priv->content, keys[i]))
      json_object_set_member (content, keys[i],
                              json_node_copy (json_object_get_member (priv->content, keys[i])));
  if (keep_all)
    {
      json_object_unref (content);
      content = json_object_ref (priv->content);
    }
  /* A relation (an edit, a reaction, a thread reply) keeps saying what it
   * relates to, as MSC3389 proposes for later room versions: so the copy
   * stays out of the timeline's rows after a restart, as the original was. */
  else if (matrix_event_get_relation_type (self) != NULL)
    json_object_set_member (content, "m.relates_to",
                            json_node_copy (json_object_get_member (priv->content, "m.relates_to")));
  json_object_set_object_member (object, "content", content);
  json_object_set_object_member (unsigned_, "redacted_because", json_object_ref (json_node_get_object (because)));
  json_object_set_object_member (object, "unsigned", unsigned_);

  redacted = matrix_event_new_from_json (priv->room_id, object, &error);
  /* Built from a valid event, with its own members: it cannot fail. */
  g_assert_no_error (error);
  return redacted;
}
