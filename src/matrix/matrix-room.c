/* SPDX-License-Identifier: LGPL-2.1-or-later */
#define G_LOG_DOMAIN "matrix-room"

#include "matrix-client-crypto-private.h"
#include "matrix-client-private.h"
#include "matrix-direct-chats.h"
#include "matrix-event-private.h"
#include "matrix-i18n-private.h"
#include "matrix-json-private.h"
#include "matrix-room-private.h"
#include "matrix-store.h"
#include "matrix-receipts-private.h"
#include "matrix-room-members.h"
#include "matrix-room-unread-private.h"
#include "matrix-text.h"
#include "matrix-timeline-private.h"
#include "matrix-room-impl-private.h"

/**
 * MatrixRoom:
 *
 * One room as the user sees it: its name, topic, avatar, our membership,
 * unread counts and timeline. The #MatrixRoomStateTracker that owns it feeds
 * it each sync; the room keeps what a restart needs in the store's room data.
 *
 * The state of a joined room is read from the client's store. An invited
 * room has no state there, only the stripped state that came with the
 * invite, which the room keeps itself.
 */
G_DEFINE_FINAL_TYPE (MatrixRoom, matrix_room, G_TYPE_OBJECT)

G_DEFINE_ENUM_TYPE (MatrixMembership, matrix_membership,
  G_DEFINE_ENUM_VALUE (MATRIX_MEMBERSHIP_JOIN, "join"),
  G_DEFINE_ENUM_VALUE (MATRIX_MEMBERSHIP_INVITE, "invite"),
  G_DEFINE_ENUM_VALUE (MATRIX_MEMBERSHIP_LEAVE, "leave"))

GParamSpec *_matrix_room_properties[N_PROPS];
guint _matrix_room_signals[N_SIGNALS];

/* --- public API ------------------------------------------------------------- */

/**
 * matrix_room_get_client:
 * @self: a #MatrixRoom
 *
 * The client the room came from.
 *
 * Returns: (transfer none): the client
 */
MatrixClient *
matrix_room_get_client (MatrixRoom *self)
{
  g_return_val_if_fail (MATRIX_IS_ROOM (self), NULL);

  return self->client;
}

/**
 * matrix_room_get_room_id:
 * @self: a #MatrixRoom
 *
 * The room's id, such as `!abc:example.org`.
 *
 * Returns: (transfer none): the room id
 */
const char *
matrix_room_get_room_id (MatrixRoom *self)
{
  g_return_val_if_fail (MATRIX_IS_ROOM (self), NULL);

  return self->room_id;
}

/**
 * matrix_room_get_display_name:
 * @self: a #MatrixRoom
 *
 * The name to show, by the algorithm of the client-server specification:
 * the room's name, its canonical alias, or a name made from its members.
 *
 * Returns: (transfer none): the display name
 */
const char *
matrix_room_get_display_name (MatrixRoom *self)
{
  g_return_val_if_fail (MATRIX_IS_ROOM (self), NULL);

  return self->display_name;
}

/**
 * matrix_room_get_topic:
 * @self: a #MatrixRoom
 *
 * The room's `m.room.topic`.
 *
 * Returns: (transfer none) (nullable): the topic
 */
const char *
matrix_room_get_topic (MatrixRoom *self)
{
  g_return_val_if_fail (MATRIX_IS_ROOM (self), NULL);

  return self->topic;
}

/**
 * matrix_room_get_avatar_url:
 * @self: a #MatrixRoom
 *
 * The room's image; see #MatrixRoom:avatar-url.
 *
 * Returns: (transfer none) (nullable): the `mxc://` URL of the avatar
 */
const char *
matrix_room_get_avatar_url (MatrixRoom *self)
{
  g_return_val_if_fail (MATRIX_IS_ROOM (self), NULL);

  return self->avatar_url;
}

/**
 * matrix_room_get_membership:
 * @self: a #MatrixRoom
 *
 * Whether the user is in the room, invited to it, or left it.
 *
 * Returns: our membership
 */
MatrixMembership
matrix_room_get_membership (MatrixRoom *self)
{
  g_return_val_if_fail (MATRIX_IS_ROOM (self), MATRIX_MEMBERSHIP_LEAVE);

  return self->membership;
}

/**
 * matrix_room_get_notification_count:
 * @self: a #MatrixRoom
 *
 * The server's count of unread events that notify the user.
 *
 * Returns: the number of unread notifying events
 */
guint
matrix_room_get_notification_count (MatrixRoom *self)
{
  g_return_val_if_fail (MATRIX_IS_ROOM (self), 0);

  return self->notification_count;
}

/**
 * matrix_room_get_highlight_count:
 * @self: a #MatrixRoom
 *
 * The server's count of unread events that mention the user.
 *
 * Returns: the number of unread highlights (mentions)
 */
guint
matrix_room_get_highlight_count (MatrixRoom *self)
{
  g_return_val_if_fail (MATRIX_IS_ROOM (self), 0);

  return self->highlight_count;
}

/**
 * matrix_room_get_last_activity:
 * @self: a #MatrixRoom
 *
 * What the room list is sorted by: the time of the newest event that
 * bumps the room, as Element's bump events and the sliding sync's
 * `bump_event_types` — a message (not an edit), an encrypted one, a
 * sticker, a call or poll starting, the room's creation, our own membership
 * changing. Renames, avatars, other members coming and going, reactions and
 * other state leave it. A room with none of these yet takes its newest event.
 *
 * Returns: that time in ms since the epoch (for an invite, when it
 *   arrived), or 0
 */
gint64
matrix_room_get_last_activity (MatrixRoom *self)
{
  g_return_val_if_fail (MATRIX_IS_ROOM (self), 0);

  return self->last_activity;
}

/**
 * matrix_room_get_last_message:
 * @self: a #MatrixRoom
 *
 * The newest message as it now reads: an edit (`m.replace`) by its sender
 * changes it, and is never the preview itself; reactions and redactions
 * are not messages.
 *
 * Returns: (transfer none) (nullable): a plain-text preview of the newest
 *   message, such as "Alice: hi"; not escaped for markup
 */
const char *
matrix_room_get_last_message (MatrixRoom *self)
{
  g_return_val_if_fail (MATRIX_IS_ROOM (self), NULL);

  return self->last_message;
}

/**
 * matrix_room_get_inviter:
 * @self: a #MatrixRoom
 *
 * Who invited the user to a room of %MATRIX_MEMBERSHIP_INVITE.
 *
 * Returns: (transfer none) (nullable): who invited us, for an invited room
 */
const char *
matrix_room_get_inviter (MatrixRoom *self)
{
  g_return_val_if_fail (MATRIX_IS_ROOM (self), NULL);

  return self->inviter;
}

/**
 * matrix_room_get_encrypted:
 * @self: a #MatrixRoom
 *
 * Whether the room's state (or its invite's) has `m.room.encryption`, as far
 * as it is known: a room the store has not loaded yet may say %FALSE until
 * it has. This library cannot encrypt, and refuses to send messages into
 * such a room (%MATRIX_ERROR_ROOM_ENCRYPTED).
 *
 * Returns: %TRUE if the room is encrypted
 */
gboolean
matrix_room_get_encrypted (MatrixRoom *self)
{
  g_return_val_if_fail (MATRIX_IS_ROOM (self), FALSE);

  return self->encrypted;
}

/**
 * matrix_room_get_timeline:
 * @self: a #MatrixRoom
 *
 * The room's timeline: a #GListModel of #MatrixTimelineItem.
 *
 * Returns: (transfer none): the room's timeline
 */
MatrixTimeline *
matrix_room_get_timeline (MatrixRoom *self)
{
  g_return_val_if_fail (MATRIX_IS_ROOM (self), NULL);

  return self->timeline;
}

static void
on_direct_recorded (GObject      *source,
                    GAsyncResult *result,
                    gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  g_autoptr(GError) error = NULL;

  /* The room is joined all the same: m.direct is a hint for clients. */
  if (!matrix_client_add_direct_chat_finish (MATRIX_CLIENT (source), result, &error))
    g_debug ("The direct chat could not be recorded in m.direct: %s", error->message);
  g_task_return_boolean (task, TRUE);
}

static char *dup_direct_inviter (MatrixRoom *self);

static void
on_join_done (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  MatrixRoom *self = g_task_get_source_object (task);
  g_autofree char *room_id = NULL;
  GError *error = NULL;

  room_id = matrix_client_join_room_finish (MATRIX_CLIENT (source), result, &error);
  if (room_id == NULL)
    {
      g_task_return_error (task, error);
      return;
    }

  _matrix_room_set_membership (self, MATRIX_MEMBERSHIP_JOIN);
  if (g_task_get_task_data (task) != NULL)
    {
      const char *inviter = g_task_get_task_data (task);

      /* An invite to a direct chat: recorded in m.direct as the inviter's
       * client recorded it on their side. */
      matrix_client_add_direct_chat_async (self->client, inviter, self->room_id,
                                           NULL, on_direct_recorded, g_steal_pointer (&task));
      return;
    }
  g_task_return_boolean (task, TRUE);
}

/* The inviter of an invite whose member event for us says `is_direct`. */
static char *
dup_direct_inviter (MatrixRoom *self)
{
  const char *own_id = matrix_client_get_user_id (self->client);
  g_autoptr(JsonObject) content = NULL;
  gboolean is_direct = FALSE;

  if (self->invite_state == NULL || own_id == NULL || self->inviter == NULL)
    return NULL;
  content = _matrix_room_dup_state_content (self, "m.room.member", own_id);
  if (content == NULL ||
      !_matrix_json_get_bool (content, NULL, "is_direct", FALSE, &is_direct, NULL) || !is_direct)
    return NULL;
  return g_strdup (self->inviter);
}

/**
 * matrix_room_join_async:
 * @self: a #MatrixRoom
 * @cancellable: (nullable): a #GCancellable
 * @callback: called when done
 * @user_data: data for @callback
 *
 * Joins the room: accepts an invite. On success the membership is JOIN.
 * An invite to a direct chat (our member event has `is_direct`) is
 * recorded in `m.direct` under the inviter, as the spec asks of the
 * invitee's client; a failure to record it does not fail the join.
 */
void
matrix_room_join_async (MatrixRoom          *self,
                        GCancellable        *cancellable,
                        GAsyncReadyCallback  callback,
                        gpointer             user_data)
{
  GTask *task;

  g_return_if_fail (MATRIX_IS_ROOM (self));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, matrix_room_join_async);
  g_task_set_task_data (task, dup_direct_inviter (self), g_free);
  matrix_client_join_room_async (self->client, self->room_id, cancellable, on_join_done, task);
}

/**
 * matrix_room_join_finish:
 * @self: a #MatrixRoom
 * @result: the #GAsyncResult
 * @error: return location for a #GError
 *
 * Finishes matrix_room_join_async().
 *
 * Returns: %TRUE if the room was joined
 */
gboolean
matrix_room_join_finish (MatrixRoom    *self,
                         GAsyncResult  *result,
                         GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}

static void
on_leave_done (GObject      *source,
               GAsyncResult *result,
               gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  MatrixRoom *self = g_task_get_source_object (task);
  GError *error = NULL;

  if (!matrix_client_leave_room_finish (MATRIX_CLIENT (source), result, &error))
    {
      g_task_return_error (task, error);
      return;
    }

  _matrix_room_set_membership (self, MATRIX_MEMBERSHIP_LEAVE);
  g_task_return_boolean (task, TRUE);
}

/**
 * matrix_room_leave_async:
 * @self: a #MatrixRoom
 * @cancellable: (nullable): a #GCancellable
 * @callback: called when done
 * @user_data: data for @callback
 *
 * Leaves the room, or declines the invite. On success the membership is
 * LEAVE and the room leaves the tracker's list.
 */
void
matrix_room_leave_async (MatrixRoom          *self,
                         GCancellable        *cancellable,
                         GAsyncReadyCallback  callback,
                         gpointer             user_data)
{
  GTask *task;

  g_return_if_fail (MATRIX_IS_ROOM (self));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, matrix_room_leave_async);
  matrix_client_leave_room_async (self->client, self->room_id, cancellable, on_leave_done, task);
}

/**
 * matrix_room_leave_finish:
 * @self: a #MatrixRoom
 * @result: the #GAsyncResult
 * @error: return location for a #GError
 *
 * Finishes matrix_room_leave_async().
 *
 * Returns: %TRUE if the room was left
 */
gboolean
matrix_room_leave_finish (MatrixRoom    *self,
                          GAsyncResult  *result,
                          GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}

/* The id of the newest event the server sent in the timeline, or NULL. */
static char *
dup_newest_event_id (MatrixRoom *self)
{
  GListModel *model = G_LIST_MODEL (self->timeline);

  for (guint i = g_list_model_get_n_items (model); i > 0; i--)
    {
      g_autoptr(MatrixTimelineItem) item = g_list_model_get_item (model, i - 1);

      if (matrix_timeline_item_get_kind (item) == MATRIX_TIMELINE_ITEM_EVENT)
        return g_strdup (matrix_timeline_item_get_event_id (item));
    }
  return NULL;
}

static void
on_read_markers_set (GObject      *source,
                     GAsyncResult *result,
                     gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  MatrixRoom *self = g_task_get_source_object (task);
  const char *event_id = g_task_get_task_data (task);
  g_autofree char *newest = NULL;
  GError *error = NULL;

  if (!matrix_client_set_read_markers_finish (MATRIX_CLIENT (source), result, &error))
    {
      /* Let the next call try again. */
      if (g_strcmp0 (self->read_event_id, event_id) == 0)
        g_clear_pointer (&self->read_event_id, g_free);
      g_task_return_error (task, error);
      return;
    }

  /* The server has reset the counts; its next sync says so too. Clear them
   * now, unless newer events came meanwhile: those counts are the server's. */
  newest = dup_newest_event_id (self);
  if (g_strcmp0 (newest, event_id) == 0 &&
      (self->notification_count > 0 || self->highlight_count > 0))
    {
      g_autoptr(JsonObject) unread = json_object_new ();

      json_object_set_int_member (unread, "notification_count", 0);
      json_object_set_int_member (unread, "highlight_count", 0);
      g_clear_pointer (&self->unread, json_object_unref);
      self->unread = g_steal_pointer (&unread);
      _matrix_room_apply_unread (self);
      _matrix_room_save (self);
    }
  _matrix_room_schedule_recount (self);
  g_task_return_boolean (task, TRUE);
}

/**
 * matrix_room_mark_read_async:
 * @self: a #MatrixRoom
 * @cancellable: (nullable): a #GCancellable
 * @callback: called when done
 * @user_data: data for @callback
 *
 * Marks the room as read up to the newest event in its timeline: the read
 * receipt and the fully-read marker move there, and once the server accepted
 * them the notification and highlight counts are zero. Local echoes are not
 * marked (the server does not know them yet). Calling it again before newer
 * events arrive sends nothing.
 */
void
matrix_room_mark_read_async (MatrixRoom          *self,
                             GCancellable        *cancellable,
                             GAsyncReadyCallback  callback,
                             gpointer             user_data)
{
  g_autofree char *event_id = NULL;
  GTask *task;

  g_return_if_fail (MATRIX_IS_ROOM (self));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, matrix_room_mark_read_async);

  event_id = dup_newest_event_id (self);
  if (event_id == NULL || g_strcmp0 (event_id, self->read_event_id) == 0)
    {
      g_task_return_boolean (task, TRUE);
      g_object_unref (task);
      return;
    }

  g_free (self->read_event_id);
  self->read_event_id = g_strdup (event_id);
  g_task_set_task_data (task, g_strdup (event_id), g_free);
  matrix_client_set_read_markers_async (self->client, self->room_id, event_id, cancellable,
                                        on_read_markers_set, task);
}

/**
 * matrix_room_mark_read_finish:
 * @self: a #MatrixRoom
 * @result: the #GAsyncResult
 * @error: return location for a #GError
 *
 * Finishes matrix_room_mark_read_async().
 *
 * Returns: %TRUE if the room is marked read (or already was)
 */
gboolean
matrix_room_mark_read_finish (MatrixRoom    *self,
                              GAsyncResult  *result,
                              GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}

/* --- GObject ------------------------------------------------------------------ */

static void
matrix_room_dispose (GObject *object)
{
  MatrixRoom *self = MATRIX_ROOM (object);

  /* Whoever still holds the timeline may load into it: not for us. */
  if (self->recount_source != NULL)
    {
      g_source_destroy (self->recount_source);
      g_clear_pointer (&self->recount_source, g_source_unref);
    }
  if (self->timeline != NULL)
    {
      _matrix_timeline_set_redactions_func (self->timeline, NULL, NULL);
      g_signal_handlers_disconnect_by_data (self->timeline, self);
    }
  g_clear_object (&self->timeline);
  g_clear_object (&self->client);

  G_OBJECT_CLASS (matrix_room_parent_class)->dispose (object);
}

static void
matrix_room_finalize (GObject *object)
{
  MatrixRoom *self = MATRIX_ROOM (object);

  g_free (self->room_id);
  g_free (self->display_name);
  g_free (self->topic);
  g_free (self->avatar_url);
  g_free (self->last_message);
  g_free (self->preview_event_id);
  g_free (self->inviter);
  g_free (self->direct_user_id);
  g_clear_pointer (&self->summary, json_object_unref);
  g_clear_pointer (&self->unread, json_object_unref);
  g_clear_pointer (&self->push_rules, json_object_unref);
  g_free (self->read_event_id);
  g_clear_pointer (&self->invite_state, g_ptr_array_unref);
  g_clear_pointer (&self->stored_gaps, json_array_unref);
  _matrix_receipts_free (self->receipts);
  _matrix_room_invalidate_members (self);

  G_OBJECT_CLASS (matrix_room_parent_class)->finalize (object);
}

static void
matrix_room_get_property (GObject    *object,
                          guint       prop_id,
                          GValue     *value,
                          GParamSpec *pspec)
{
  MatrixRoom *self = MATRIX_ROOM (object);

  switch (prop_id)
    {
    case PROP_ROOM_ID:
      g_value_set_string (value, self->room_id);
      break;
    case PROP_DISPLAY_NAME:
      g_value_set_string (value, self->display_name);
      break;
    case PROP_TOPIC:
      g_value_set_string (value, self->topic);
      break;
    case PROP_AVATAR_URL:
      g_value_set_string (value, self->avatar_url);
      break;
    case PROP_MEMBERSHIP:
      g_value_set_enum (value, self->membership);
      break;
    case PROP_NOTIFICATION_COUNT:
      g_value_set_uint (value, self->notification_count);
      break;
    case PROP_HIGHLIGHT_COUNT:
      g_value_set_uint (value, self->highlight_count);
      break;
    case PROP_LAST_ACTIVITY:
      g_value_set_int64 (value, self->last_activity);
      break;
    case PROP_LAST_MESSAGE:
      g_value_set_string (value, self->last_message);
      break;
    case PROP_INVITER:
      g_value_set_string (value, self->inviter);
      break;
    case PROP_ENCRYPTED:
      g_value_set_boolean (value, self->encrypted);
      break;
    case PROP_TIMELINE:
      g_value_set_object (value, self->timeline);
      break;
    case PROP_TYPING_USERS:
      g_value_set_boxed (value, _matrix_receipts_get_typing (self->receipts));
      break;
    case PROP_FULLY_READ:
      g_value_set_string (value, _matrix_receipts_get_fully_read (self->receipts));
      break;
    case PROP_DIRECT_USER_ID:
      g_value_set_string (value, self->direct_user_id);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
matrix_room_class_init (MatrixRoomClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GParamFlags flags = G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS;

  object_class->dispose = matrix_room_dispose;
  object_class->finalize = matrix_room_finalize;
  object_class->get_property = matrix_room_get_property;

  /**
   * MatrixRoom:room-id:
   *
   * The room's id.
   */
  _matrix_room_properties[PROP_ROOM_ID] =
    g_param_spec_string ("room-id", NULL, NULL, NULL, G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  /**
   * MatrixRoom:display-name:
   *
   * The room's name as the spec's algorithm makes it: its `m.room.name`, else
   * its canonical alias, else its members' names ("Alice and Bob"), else
   * "Empty Room" (translated). Never %NULL.
   */
  _matrix_room_properties[PROP_DISPLAY_NAME] = g_param_spec_string ("display-name", NULL, NULL, NULL, flags);
  /**
   * MatrixRoom:topic:
   *
   * The room's `m.room.topic`, or %NULL.
   */
  _matrix_room_properties[PROP_TOPIC] = g_param_spec_string ("topic", NULL, NULL, NULL, flags);
  /**
   * MatrixRoom:avatar-url:
   *
   * The `mxc://` URL of the room's `m.room.avatar`; in an unnamed room of two,
   * the other member's avatar; or %NULL.
   */
  _matrix_room_properties[PROP_AVATAR_URL] = g_param_spec_string ("avatar-url", NULL, NULL, NULL, flags);
  /**
   * MatrixRoom:membership:
   *
   * Whether the user is in the room, invited to it, or left it.
   */
  _matrix_room_properties[PROP_MEMBERSHIP] =
    g_param_spec_enum ("membership", NULL, NULL, MATRIX_TYPE_MEMBERSHIP, MATRIX_MEMBERSHIP_JOIN, flags);
  /**
   * MatrixRoom:notification-count:
   *
   * How many unread events notify the user, as the server counts them.
   */
  _matrix_room_properties[PROP_NOTIFICATION_COUNT] =
    g_param_spec_uint ("notification-count", NULL, NULL, 0, G_MAXUINT, 0, flags);
  /**
   * MatrixRoom:highlight-count:
   *
   * How many unread events mention the user, as the server counts them.
   */
  _matrix_room_properties[PROP_HIGHLIGHT_COUNT] =
    g_param_spec_uint ("highlight-count", NULL, NULL, 0, G_MAXUINT, 0, flags);
  /**
   * MatrixRoom:last-activity:
   *
   * The time of the room's newest timeline event in milliseconds since the
   * Unix epoch (for an invite, when it arrived), or 0.
   */
  _matrix_room_properties[PROP_LAST_ACTIVITY] =
    g_param_spec_int64 ("last-activity", NULL, NULL, 0, G_MAXINT64, 0, flags);
  /**
   * MatrixRoom:last-message:
   *
   * The newest message as plain text for a room list, such as "Alice: hi", or
   * %NULL. It is not escaped for markup.
   */
  _matrix_room_properties[PROP_LAST_MESSAGE] = g_param_spec_string ("last-message", NULL, NULL, NULL, flags);
  /**
   * MatrixRoom:inviter:
   *
   * The user id of who invited the user, for a room of
   * %MATRIX_MEMBERSHIP_INVITE, or %NULL.
   */
  _matrix_room_properties[PROP_INVITER] = g_param_spec_string ("inviter", NULL, NULL, NULL, flags);
  /**
   * MatrixRoom:encrypted:
   *
   * Whether the room is encrypted: see matrix_room_get_encrypted(). A room
   * cannot be made unencrypted again, so this only ever turns %TRUE.
   */
  _matrix_room_properties[PROP_ENCRYPTED] = g_param_spec_boolean ("encrypted", NULL, NULL, FALSE, flags);
  /**
   * MatrixRoom:timeline:
   *
   * The room's #MatrixTimeline.
   */
  _matrix_room_properties[PROP_TIMELINE] =
    g_param_spec_object ("timeline", NULL, NULL, MATRIX_TYPE_TIMELINE,
                         G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  /**
   * MatrixRoom:typing-users:
   *
   * The user ids of the members typing now, never the user's: see
   * matrix_room_get_typing_users().
   */
  _matrix_room_properties[PROP_TYPING_USERS] =
    g_param_spec_boxed ("typing-users", NULL, NULL, G_TYPE_STRV,
                        G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  /**
   * MatrixRoom:fully-read:
   *
   * The event the user's fully-read marker is at, or %NULL: see
   * matrix_room_get_fully_read().
   */
  _matrix_room_properties[PROP_FULLY_READ] =
    g_param_spec_string ("fully-read", NULL, NULL, NULL,
                         G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  /**
   * MatrixRoom:direct-user-id:
   *
   * Whom the room is a direct chat with, as the user's `m.direct` says
   * (see matrix_room_get_direct_user_id()), or %NULL.
   */
  _matrix_room_properties[PROP_DIRECT_USER_ID] =
    g_param_spec_string ("direct-user-id", NULL, NULL, NULL,
                         G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);

  g_object_class_install_properties (object_class, N_PROPS, _matrix_room_properties);

  /**
   * MatrixRoom::receipts-changed:
   * @self: the room
   *
   * Read receipts moved: matrix_room_get_read_receipt() and
   * matrix_room_dup_readers() may answer otherwise.
   */
  _matrix_room_signals[RECEIPTS_CHANGED] =
    g_signal_new ("receipts-changed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 0);

  /**
   * MatrixRoom::state-changed:
   * @self: the room
   *
   * The room's current state changed (a sync brought state events, or
   * the store loaded the room): what is read from it, such as
   * matrix_room_dup_power_levels() or matrix_room_dup_replacement_room(),
   * may answer otherwise.
   */
  _matrix_room_signals[STATE_CHANGED] =
    g_signal_new ("state-changed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 0);
}

static void
matrix_room_init (MatrixRoom *self)
{
  self->membership = MATRIX_MEMBERSHIP_JOIN;
  self->timeline_restored = TRUE;
  self->receipts = _matrix_receipts_new ();
}
