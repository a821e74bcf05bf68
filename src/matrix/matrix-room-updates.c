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

static gboolean uses_own_counts (MatrixRoom *self);

/* --- updates ----------------------------------------------------------------- */

/* Gives the store what the room list shows, so that the next start lists the
 * room without reading its state and events. Only from a loaded room: what
 * a partial one shows may lack what its other members would change (two of
 * them with the same name, say). The store writes it with the next commit,
 * in the same transaction as what it was computed from. */
static void
save_list_summary (MatrixRoom *self)
{
  MatrixStore *store = matrix_client_get_store (self->client);
  g_autoptr(JsonObject) summary = NULL;

  if (!self->timeline_restored || self->membership == MATRIX_MEMBERSHIP_LEAVE ||
      !matrix_store_is_room_loaded (store, self->room_id))
    return;

  summary = json_object_new ();
  json_object_set_string_member (summary, "display_name", self->display_name);
  if (self->topic != NULL)
    json_object_set_string_member (summary, "topic", self->topic);
  if (self->avatar_url != NULL)
    json_object_set_string_member (summary, "avatar_url", self->avatar_url);
  if (self->last_message != NULL)
    json_object_set_string_member (summary, "last_message", self->last_message);
  if (self->inviter != NULL)
    json_object_set_string_member (summary, "inviter", self->inviter);
  json_object_set_int_member (summary, "last_activity", self->last_activity);
  matrix_store_set_list_summary (store, self->room_id, summary);
}

/* Shows what the store kept of a room it has not loaded; FALSE when it kept
 * nothing. */
static gboolean
restore_list_summary (MatrixRoom *self)
{
  MatrixStore *store = matrix_client_get_store (self->client);
  g_autoptr(JsonObject) summary = matrix_store_get_list_summary (store, self->room_id);
  const char *display_name = NULL, *topic = NULL, *avatar_url = NULL, *last_message = NULL;
  gint64 last_activity = 0;

  if (summary == NULL ||
      !_matrix_json_get_string (summary, NULL, "display_name", TRUE, &display_name, NULL) ||
      !_matrix_json_get_string (summary, NULL, "topic", FALSE, &topic, NULL) ||
      !_matrix_json_get_string (summary, NULL, "avatar_url", FALSE, &avatar_url, NULL) ||
      !_matrix_json_get_string (summary, NULL, "last_message", FALSE, &last_message, NULL) ||
      !_matrix_json_get_int (summary, NULL, "last_activity", TRUE, &last_activity, NULL))
    return FALSE;

  /* Not notified: the room is being restored, nobody holds it yet. */
  _matrix_room_set_string (&self->display_name, display_name);
  _matrix_room_set_string (&self->topic, topic);
  _matrix_room_set_string (&self->avatar_url, avatar_url);
  _matrix_room_set_string (&self->last_message, last_message);
  self->last_activity = last_activity;
  return TRUE;
}

void
_matrix_room_save (MatrixRoom *self)
{
  g_autoptr(JsonObject) data = json_object_new ();
  static const char *names[] = {
    [MATRIX_MEMBERSHIP_JOIN] = "join",
    [MATRIX_MEMBERSHIP_INVITE] = "invite",
    [MATRIX_MEMBERSHIP_LEAVE] = "leave",
  };

  /* A left room is saved too: its state stays queryable, and the mark keeps
   * it out of the list on the next start. */
  json_object_set_string_member (data, "membership", names[self->membership]);
  if (self->summary != NULL)
    json_object_set_object_member (data, "summary", json_object_ref (self->summary));
  if (self->unread != NULL)
    json_object_set_object_member (data, "unread_notifications", json_object_ref (self->unread));
  if (uses_own_counts (self))
    {
      JsonObject *own = json_object_new ();

      json_object_set_int_member (own, "notification_count", self->own_notifications);
      json_object_set_int_member (own, "highlight_count", self->own_highlights);
      json_object_set_object_member (data, "own_unread_notifications", own);
    }
  if (self->inviter != NULL)
    json_object_set_string_member (data, "inviter", self->inviter);
  if (self->invite_state != NULL)
    {
      JsonArray *array = json_array_new ();

      for (guint i = 0; i < self->invite_state->len; i++)
        json_array_add_object_element (array, json_object_ref (g_ptr_array_index (self->invite_state, i)));
      json_object_set_array_member (data, "invite_state", array);
      json_object_set_int_member (data, "invite_ts", self->invite_ts);
    }
  if (self->timeline_restored)
    json_object_set_array_member (data, "timeline_gaps", _matrix_timeline_dup_gaps (self->timeline));
  else if (self->stored_gaps != NULL)
    json_object_set_array_member (data, "timeline_gaps", json_array_ref (self->stored_gaps));
  _matrix_receipts_save (self->receipts, data);

  matrix_store_set_room_data (matrix_client_get_store (self->client), self->room_id, data);
  save_list_summary (self);
}

static void
set_last_activity (MatrixRoom *self,
                   gint64      ts)
{
  if (self->last_activity == ts)
    return;
  self->last_activity = ts;
  g_object_notify_by_pspec (G_OBJECT (self), _matrix_room_properties[PROP_LAST_ACTIVITY]);
}

/* "Alice: hi" for a message of @sender_id whose content (edits applied)
 * is @content, which has a body. */
static char *
message_preview (MatrixRoom *self,
                 const char *sender_id,
                 JsonObject *content)
{
  g_autofree char *sender = matrix_room_dup_member_display_name (self, sender_id);
  /* Only the start of the body: it can be a megabyte. Its bidirectional
   * controls end with it. */
  g_autofree char *start = g_strdelimit (matrix_text_preview (_matrix_room_content_string (content, "body"),
                                                              PREVIEW_CHARS, 0), "\r\n", ' ');
  g_autofree char *line = matrix_text_bound (start, -1);

  if (g_strcmp0 (_matrix_room_content_string (content, "msgtype"), "m.emote") == 0)
    /* Translators: the preview of an emote: "* Alice waves" */
    return g_strdup_printf (_("* %s %s"), sender, line);

  /* Translators: the preview of a room's last message: "Alice: hi" */
  return g_strdup_printf (_("%s: %s"), sender, line);
}

/* Whether @event replaces another (an edit): it says nothing new. */
static gboolean
is_replacement (MatrixEvent *event)
{
  JsonObject *relation = NULL;

  return _matrix_json_get_object (matrix_event_get_content (event), NULL, "m.relates_to", FALSE,
                                  &relation, NULL) &&
         g_strcmp0 (_matrix_room_content_string (relation, "rel_type"), "m.replace") == 0;
}

gboolean
_matrix_room_event_is_preview (MatrixEvent *event)
{
  return g_strcmp0 (matrix_event_get_event_type (event), "m.room.message") == 0 &&
         matrix_event_get_content_string (event, "body") != NULL &&
         !is_replacement (event);
}

static gboolean
is_edit (MatrixEvent *event)
{
  return g_strcmp0 (matrix_event_get_event_type (event), "m.room.message") == 0 &&
         is_replacement (event);
}

/* The id of the event @edit replaces. */
static const char *
edited_event_id (MatrixEvent *edit)
{
  JsonObject *relation = NULL;

  if (!_matrix_json_get_object (matrix_event_get_content (edit), NULL, "m.relates_to", FALSE,
                                &relation, NULL))
    return NULL;
  return _matrix_room_content_string (relation, "event_id");
}

/* The content @edit gives @message, or NULL when it is no edit of it that
 * counts: only its own sender may edit a message, and the new content
 * needs a body. */
static JsonObject *
edited_content (MatrixEvent *edit,
                MatrixEvent *message)
{
  JsonObject *new_content = NULL;

  if (g_strcmp0 (edited_event_id (edit), matrix_event_get_event_id (message)) != 0 ||
      g_strcmp0 (matrix_event_get_sender (edit), matrix_event_get_sender (message)) != 0 ||
      !_matrix_json_get_object (matrix_event_get_content (edit), NULL, "m.new_content", FALSE,
                                &new_content, NULL) ||
      _matrix_room_content_string (new_content, "body") == NULL)
    return NULL;
  return new_content;
}

/* The newest message among @events (oldest first), and in @content what
 * it now says: the content of its newest edit, else its own. Edits come
 * after what they edit, so they are among the events read before it. */
static MatrixEvent *
find_preview (GPtrArray   *events,
              JsonObject **content)
{
  g_autoptr(GPtrArray) edits = g_ptr_array_new ();  /* borrowed, newest first */

  for (guint i = events->len; i > 0; i--)
    {
      MatrixEvent *event = g_ptr_array_index (events, i - 1);

      if (is_edit (event))
        g_ptr_array_add (edits, event);
      if (!_matrix_room_event_is_preview (event))
        continue;

      *content = matrix_event_get_content (event);
      for (guint j = 0; j < edits->len; j++)
        {
          JsonObject *edited = edited_content (g_ptr_array_index (edits, j), event);

          if (edited != NULL)
            {
              *content = edited;
              break;
            }
        }
      return event;
    }

  return NULL;
}

/* What people look at a room for, as Element's bump events and the sliding
 * sync's default bump_event_types: what is said in it (edits aside), its
 * creation, and our own comings and goings. A member renaming themselves,
 * another joining, a reaction or a topic leave the room where it is. */
static const char * const bump_types[] = {
  "m.room.create",
  "m.room.message",
  "m.room.encrypted",
  "m.sticker",
  "m.call.invite",
  "m.poll.start",
  "org.matrix.msc3381.poll.start",
  "m.beacon_info",
};

gboolean
_matrix_room_event_bumps (MatrixEvent *event,
                          const char  *own_user_id)
{
  const char *type = matrix_event_get_event_type (event);

  if (g_strcmp0 (type, "m.room.member") == 0 && own_user_id != NULL &&
      MATRIX_IS_STATE_EVENT (event) &&
      g_strcmp0 (matrix_state_event_get_state_key (MATRIX_STATE_EVENT (event)), own_user_id) == 0)
    /* Our own profile changes are no news either: join to join. Without
     * prev_content we cannot tell, and take it for a change. */
    return g_strcmp0 (matrix_event_get_content_string (event, "membership"),
                      matrix_event_get_prev_content_string (event, "membership")) != 0;

  for (guint i = 0; i < G_N_ELEMENTS (bump_types); i++)
    if (g_strcmp0 (type, bump_types[i]) == 0)
      return !is_replacement (event);

  return FALSE;
}

static void update_from_all_events (MatrixRoom *self);

/* The preview from @events (oldest first). With @whole they are every
 * cached event of the room, and hold no message when it has none; else
 * they are what a sync added, which changes the preview when it holds a
 * newer message, or an edit of the one shown (whose content is needed). */
static void
update_preview (MatrixRoom *self,
                GPtrArray  *events,
                gboolean    whole)
{
  JsonObject *content = NULL;
  MatrixEvent *message = find_preview (events, &content);
  g_autofree char *preview = NULL;

  if (message == NULL && !whole)
    {
      for (guint i = 0; self->preview_event_id != NULL && i < events->len; i++)
        {
          MatrixEvent *event = g_ptr_array_index (events, i);

          if (is_edit (event) && g_strcmp0 (edited_event_id (event), self->preview_event_id) == 0)
            {
              update_from_all_events (self);
              break;
            }
        }
      return;
    }

  if (message != NULL)
    preview = message_preview (self, matrix_event_get_sender (message), content);
  _matrix_room_set_string (&self->preview_event_id, message != NULL ? matrix_event_get_event_id (message) : NULL);
  if (_matrix_room_set_string (&self->last_message, preview))
    g_object_notify_by_pspec (G_OBJECT (self), _matrix_room_properties[PROP_LAST_MESSAGE]);
}

/* The newest events go last in @events; @whole as for update_preview().
 * The room's activity is its newest event that bumps it; until it has seen
 * one, its newest event of any kind, so that a room whose first events say
 * nothing is not put last of all. */
static void
update_from_events (MatrixRoom *self,
                    GPtrArray  *events,
                    gboolean    whole)
{
  const char *own_id = matrix_client_get_user_id (self->client);
  gint64 newest, newest_bump = 0, newest_any = 0;
  gboolean found_bump = FALSE;

  for (guint i = 0; i < events->len; i++)
    {
      MatrixEvent *event = g_ptr_array_index (events, i);
      gint64 ts = matrix_event_get_origin_server_ts (event);

      newest_any = MAX (newest_any, ts);
      if (_matrix_room_event_bumps (event, own_id))
        {
          newest_bump = MAX (newest_bump, ts);
          found_bump = TRUE;
        }
    }

  if (self->bumped)
    newest = MAX (self->last_activity, newest_bump);
  else if (found_bump)
    newest = newest_bump;
  else
    newest = MAX (self->last_activity, newest_any);
  self->bumped = self->bumped || found_bump;

  update_preview (self, events, whole);
  set_last_activity (self, newest);
}

static void set_invite_state (MatrixRoom *self,
                              GPtrArray  *stripped_state);

/* A room we joined keeps showing its invite's state until the sync brings
 * the real one, so that its name does not flicker after an accept. */
static void
real_state_arrived (MatrixRoom *self)
{
  if (self->membership != MATRIX_MEMBERSHIP_INVITE && self->invite_state != NULL)
    {
      set_invite_state (self, NULL);
      self->invite_ts = 0;
    }
  _matrix_room_update_from_state (self);
}

/* From the whole cached timeline, when what the preview shows may be older
 * than what changed: its sender renamed (the preview names them as the room
 * now does, as a restart would), it or its newest edit redacted, an edit of
 * it arriving. */
static void
update_from_all_events (MatrixRoom *self)
{
  g_autoptr(GPtrArray) events = NULL;

  if (!self->timeline_restored)
    return;
  events = matrix_store_get_timeline_events (matrix_client_get_store (self->client), self->room_id);
  update_from_events (self, events, TRUE);
}

void
_matrix_room_state_changed (MatrixRoom *self)
{
  g_return_if_fail (MATRIX_IS_ROOM (self));

  real_state_arrived (self);
  update_from_all_events (self);
  save_list_summary (self);
  g_signal_emit (self, _matrix_room_signals[STATE_CHANGED], 0);
}

void
_matrix_room_set_direct_user (MatrixRoom *self,
                              const char *user_id)
{
  g_return_if_fail (MATRIX_IS_ROOM (self));

  if (g_strcmp0 (self->direct_user_id, user_id) == 0)
    return;
  g_free (self->direct_user_id);
  self->direct_user_id = g_strdup (user_id);
  g_object_notify_by_pspec (G_OBJECT (self), _matrix_room_properties[PROP_DIRECT_USER_ID]);
}

/**
 * matrix_room_get_direct_user_id:
 * @self: a #MatrixRoom
 *
 * Whom the room is a direct chat with: the user the account's `m.direct`
 * lists it under (kept by the #MatrixRoomStateTracker from the sync).
 *
 * Returns: (nullable): their user id, or %NULL when the room is no direct
 *   chat
 */
const char *
matrix_room_get_direct_user_id (MatrixRoom *self)
{
  g_return_val_if_fail (MATRIX_IS_ROOM (self), NULL);
  return self->direct_user_id;
}

/**
 * matrix_room_dup_replacement_room:
 * @self: a #MatrixRoom
 * @reason: (out) (optional) (transfer full) (nullable): the tombstone's
 *   `body`, cleaned for display
 *
 * The room that replaced this one when it was upgraded: the
 * `replacement_room` of its `m.room.tombstone`, when that is a room id.
 * A tombstoned room takes no more messages; join the replacement.
 *
 * Returns: (transfer full) (nullable): the replacement room's id, or %NULL
 *   when the room has not been replaced
 */
char *
matrix_room_dup_replacement_room (MatrixRoom  *self,
                                  char       **reason)
{
  g_autoptr(JsonObject) content = NULL;
  const char *room_id, *body;

  g_return_val_if_fail (MATRIX_IS_ROOM (self), NULL);

  if (reason != NULL)
    *reason = NULL;
  content = _matrix_room_dup_state_content (self, "m.room.tombstone", "");
  room_id = _matrix_room_content_string (content, "replacement_room");
  /* Room version 12 ids have no server name. */
  if (room_id == NULL || room_id[0] != '!' || room_id[1] == '\0' ||
      strlen (room_id) > 255 || g_str_equal (room_id, self->room_id))
    return NULL;
  body = _matrix_room_content_string (content, "body");
  if (reason != NULL && _matrix_room_nonempty (body) != NULL)
    *reason = matrix_text_dup_name (body);
  return g_strdup (room_id);
}

/**
 * matrix_room_dup_predecessor:
 * @self: a #MatrixRoom
 *
 * The room this one replaced: `predecessor.room_id` of its
 * `m.room.create`.
 *
 * Returns: (transfer full) (nullable): the predecessor's id, or %NULL
 */
char *
matrix_room_dup_predecessor (MatrixRoom *self)
{
  g_autoptr(JsonObject) content = NULL;
  JsonObject *predecessor = NULL;
  const char *room_id;

  g_return_val_if_fail (MATRIX_IS_ROOM (self), NULL);

  content = _matrix_room_dup_state_content (self, "m.room.create", "");
  if (content == NULL ||
      !_matrix_json_get_object (content, NULL, "predecessor", FALSE, &predecessor, NULL) ||
      predecessor == NULL)
    return NULL;
  room_id = _matrix_room_content_string (predecessor, "room_id");
  if (room_id == NULL || room_id[0] != '!' || room_id[1] == '\0' || strlen (room_id) > 255)
    return NULL;
  return g_strdup (room_id);
}

/* Each redaction among @events removes the content of the event it names,
 * in the timeline, in the store's cache and, for the current state, there
 * too. An event this client never had is left to the server. Returns
 * whether an event lost its content: the preview may have shown it. */
static gboolean
apply_redactions (MatrixRoom *self,
                  GPtrArray  *events)
{
  MatrixStore *store = matrix_client_get_store (self->client);
  gboolean changed = FALSE, state_changed = FALSE;

  for (guint i = 0; i < events->len; i++)
    {
      MatrixEvent *redaction = g_ptr_array_index (events, i);
      const char *redacts = matrix_event_get_redacts (redaction);
      g_autoptr(MatrixEvent) redacted = NULL;
      MatrixEvent *target;

      if (redacts == NULL)
        continue;
      target = _matrix_timeline_lookup_event (self->timeline, redacts);
      if (target == NULL || matrix_event_is_redacted (target))
        continue;

      redacted = _matrix_event_new_redacted (target, redaction);
      matrix_store_replace_timeline_event (store, self->room_id, redacted);
      if (MATRIX_IS_STATE_EVENT (redacted))
        {
          g_autoptr(MatrixStateEvent) current =
            matrix_store_get_state_event (store, self->room_id, matrix_event_get_event_type (redacted),
                                          matrix_state_event_get_state_key (MATRIX_STATE_EVENT (redacted)));

          if (current != NULL &&
              g_strcmp0 (matrix_event_get_event_id (MATRIX_EVENT (current)), redacts) == 0)
            {
              matrix_store_set_state_event (store, MATRIX_STATE_EVENT (redacted));
              state_changed = TRUE;
            }
        }
      _matrix_timeline_replace_event (self->timeline, redacted);
      changed = TRUE;
    }

  if (state_changed)
    _matrix_room_update_from_state (self);
  return changed;
}

void
_matrix_room_append_timeline (MatrixRoom *self,
                              GPtrArray  *events,
                              gboolean    limited,
                              const char *prev_batch)
{
  gboolean state_changed = FALSE, redacted;

  g_return_if_fail (MATRIX_IS_ROOM (self));

  _matrix_timeline_append_sync (self->timeline, events, limited, prev_batch);
  redacted = apply_redactions (self, events);

  /* Working out a name can mean reading every member: only when it may change. */
  for (guint i = 0; i < events->len; i++)
    if (matrix_event_is_state (g_ptr_array_index (events, i)))
      {
        state_changed = TRUE;
        real_state_arrived (self);
        break;
      }

  /* The tracker has cached the batch already: after a state change, the
   * whole timeline names the preview's sender anew, and after a redaction
   * the batch itself may hold a message that is no longer there. */
  if ((state_changed || redacted) && self->timeline_restored)
    update_from_all_events (self);
  else
    update_from_events (self, events, FALSE);
  _matrix_room_save (self);
}

/* A page of older events held redactions: they may name events from before
 * the page (a cached message deleted while we were away). */
static void
on_older_redactions (GPtrArray *redactions,
                     gpointer   user_data)
{
  MatrixRoom *self = user_data;

  if (!apply_redactions (self, redactions))
    return;
  update_from_all_events (self);
  save_list_summary (self);
}

static gboolean
read_count (JsonObject *object,
            const char *member,
            guint      *out)
{
  gint64 value = -1;

  if (!_matrix_json_get_int (object, NULL, member, FALSE, &value, NULL) || value < 0)
    return FALSE;
  *out = MIN (value, G_MAXUINT);
  return TRUE;
}

/* The server evaluates push rules on what it can read: not on an
 * encrypted room's ciphertext (every message would count, no mention would
 * highlight), and Synapse's sliding sync counts nothing at all. There the
 * client counts; elsewhere the server's counts stay, as they also cover
 * what a limited sync left out. */
static gboolean
uses_own_counts (MatrixRoom *self)
{
  return self->encrypted || _matrix_client_syncs_sliding (self->client) ||
         (self->own_counts_stored && !self->timeline_restored);
}

void
_matrix_room_apply_unread (MatrixRoom *self)
{
  guint notifications = 0, highlights = 0;

  if (uses_own_counts (self))
    {
      notifications = self->own_notifications;
      highlights = self->own_highlights;
    }
  else if (self->unread != NULL)
    {
      read_count (self->unread, "notification_count", &notifications);
      read_count (self->unread, "highlight_count", &highlights);
    }

  if (self->notification_count != notifications)
    {
      self->notification_count = notifications;
      g_object_notify_by_pspec (G_OBJECT (self), _matrix_room_properties[PROP_NOTIFICATION_COUNT]);
    }
  if (self->highlight_count != highlights)
    {
      self->highlight_count = highlights;
      g_object_notify_by_pspec (G_OBJECT (self), _matrix_room_properties[PROP_HIGHLIGHT_COUNT]);
    }
}

/* Counts anew what the user has not read, by their push rules. */
static void
recount (MatrixRoom *self)
{
  const char *own_id = matrix_client_get_user_id (self->client);
  g_autoptr(JsonObject) member = NULL, power = NULL;
  g_autoptr(MatrixPowerLevels) levels = NULL;
  MatrixPushContext context = { 0 };
  const char *read_ids[3] = { NULL };
  guint n_read = 0, notifications = 0, highlights = 0;
  gint64 joined = -1;

  /* Until the store has loaded the room, the stored counts stand; where
   * the server's counts are shown, none are made. */
  if (own_id == NULL || self->membership != MATRIX_MEMBERSHIP_JOIN || !self->timeline_restored)
    return;
  if (!uses_own_counts (self))
    {
      _matrix_room_apply_unread (self);
      return;
    }

  member = _matrix_room_dup_state_content (self, "m.room.member", own_id);
  power = _matrix_room_dup_state_content (self, "m.room.power_levels", "");
  levels = matrix_room_dup_power_levels (self);
  if (self->summary != NULL &&
      !_matrix_json_get_int (self->summary, NULL, "m.joined_member_count", FALSE, &joined, NULL))
    joined = -1;
  context.room_id = self->room_id;
  context.user_id = own_id;
  context.display_name = _matrix_room_content_string (member, "displayname");
  context.member_count = joined;
  context.power_levels = levels;
  if (power == NULL ||
      !_matrix_json_get_object (power, NULL, "notifications", FALSE, &context.notifications, NULL))
    context.notifications = NULL;

  if (_matrix_receipts_get_receipt (self->receipts, own_id) != NULL)
    read_ids[n_read++] = _matrix_receipts_get_receipt (self->receipts, own_id);
  /* What matrix_room_mark_read_async() sent, before the sync says so. */
  if (self->read_event_id != NULL)
    read_ids[n_read++] = self->read_event_id;

  /* A row still being decrypted would count as ciphertext: wait for it. */
  if (!_matrix_unread_count (self->timeline, read_ids, self->push_rules, &context,
                             _matrix_client_get_crypto (self->client) != NULL,
                             &notifications, &highlights))
    return;
  if (notifications == self->own_notifications && highlights == self->own_highlights)
    {
      /* The protocol may have changed which counts are shown. */
      _matrix_room_apply_unread (self);
      return;
    }
  self->own_notifications = notifications;
  self->own_highlights = highlights;
  _matrix_room_apply_unread (self);
  _matrix_room_save (self);
}

static gboolean
on_recount (gpointer user_data)
{
  MatrixRoom *self = user_data;

  g_clear_pointer (&self->recount_source, g_source_unref);
  recount (self);
  return G_SOURCE_REMOVE;
}

/* Once per burst of changes (a sync's rows, then each one decrypted). */
void
_matrix_room_schedule_recount (MatrixRoom *self)
{
  if (self->recount_source != NULL || self->client == NULL)
    return;
  self->recount_source = g_idle_source_new ();
  g_source_set_priority (self->recount_source, G_PRIORITY_DEFAULT);
  g_source_set_callback (self->recount_source, on_recount, self, NULL);
  g_source_set_name (self->recount_source, "[matrix-room] unread recount");
  g_source_attach (self->recount_source, g_main_context_get_thread_default ());
}

void
_matrix_room_set_push_rules (MatrixRoom *self,
                             JsonObject *push_rules)
{
  g_return_if_fail (MATRIX_IS_ROOM (self));

  if (self->push_rules == push_rules)
    return;
  g_clear_pointer (&self->push_rules, json_object_unref);
  self->push_rules = push_rules != NULL ? json_object_ref (push_rules) : NULL;
  _matrix_room_schedule_recount (self);
}

void
_matrix_room_update_summary (MatrixRoom *self,
                             JsonObject *summary,
                             JsonObject *unread_notifications)
{
  g_return_if_fail (MATRIX_IS_ROOM (self));

  if (summary != NULL)
    {
      g_autoptr(GList) members = json_object_get_members (summary);

      if (self->summary == NULL)
        self->summary = json_object_new ();
      for (GList *l = members; l != NULL; l = l->next)
        json_object_set_member (self->summary, l->data,
                                json_node_copy (json_object_get_member (summary, l->data)));
      _matrix_room_update_from_state (self);
    }

  if (unread_notifications != NULL)
    {
      g_clear_pointer (&self->unread, json_object_unref);
      self->unread = json_object_ref (unread_notifications);
      _matrix_room_apply_unread (self);
    }

  _matrix_room_save (self);
}

static void
receipts_changed (MatrixRoom            *self,
                  MatrixReceiptsChanged  changed)
{
  if (changed & MATRIX_RECEIPTS_CHANGED_TYPING)
    g_object_notify_by_pspec (G_OBJECT (self), _matrix_room_properties[PROP_TYPING_USERS]);
  if (changed & MATRIX_RECEIPTS_CHANGED_FULLY_READ)
    g_object_notify_by_pspec (G_OBJECT (self), _matrix_room_properties[PROP_FULLY_READ]);
  if (changed & MATRIX_RECEIPTS_CHANGED_RECEIPTS)
    {
      _matrix_room_schedule_recount (self);
      g_signal_emit (self, _matrix_room_signals[RECEIPTS_CHANGED], 0);
    }
  /* Who types is not kept: it is stale by the next start. */
  if (changed & (MATRIX_RECEIPTS_CHANGED_RECEIPTS | MATRIX_RECEIPTS_CHANGED_FULLY_READ))
    _matrix_room_save (self);
}

void
_matrix_room_apply_ephemeral (MatrixRoom *self,
                              GPtrArray  *events)
{
  g_return_if_fail (MATRIX_IS_ROOM (self));

  receipts_changed (self, _matrix_receipts_apply_ephemeral (self->receipts, events,
                                                            matrix_client_get_user_id (self->client)));
}

void
_matrix_room_apply_account_data (MatrixRoom *self,
                                 GPtrArray  *events)
{
  g_return_if_fail (MATRIX_IS_ROOM (self));

  receipts_changed (self, _matrix_receipts_apply_account_data (self->receipts, events));
}

/**
 * matrix_room_get_typing_users:
 * @self: a #MatrixRoom
 *
 * Who is typing in the room, from the server's `m.typing` updates, for a
 * line such as "Alice is typing". #MatrixRoom:typing-users notifies when it
 * changes. It is not stored: it would be stale by the next start.
 *
 * Returns: (transfer none) (array zero-terminated=1): the user ids of the
 *   members typing now (never the user), in the order the server gave
 */
const char * const *
matrix_room_get_typing_users (MatrixRoom *self)
{
  g_return_val_if_fail (MATRIX_IS_ROOM (self), NULL);

  return _matrix_receipts_get_typing (self->receipts);
}

/**
 * matrix_room_get_read_receipt:
 * @self: a #MatrixRoom
 * @user_id: a member
 *
 * Where @user_id has read up to, to show them beside that event. Only the
 * user's own private receipts (`m.read.private`) reach this client, so for
 * anyone else it is their public one. #MatrixRoom::receipts-changed says
 * when to ask again.
 *
 * Returns: (transfer none) (nullable): the id of the newest event @user_id
 *   has read, by their latest read receipt (public, or for the user also
 *   private), or %NULL when none is known
 */
const char *
matrix_room_get_read_receipt (MatrixRoom *self,
                              const char *user_id)
{
  g_return_val_if_fail (MATRIX_IS_ROOM (self), NULL);
  g_return_val_if_fail (user_id != NULL, NULL);

  return _matrix_receipts_get_receipt (self->receipts, user_id);
}

/**
 * matrix_room_dup_readers:
 * @self: a #MatrixRoom
 * @event_id: an event
 *
 * The other way round from matrix_room_get_read_receipt(): everyone (the
 * user included) whose receipt is at @event_id. #MatrixRoom::receipts-changed
 * says when to ask again.
 *
 * Returns: (transfer full): the members whose read receipt is at @event_id,
 *   sorted; where to show who has read up to there
 */
GStrv
matrix_room_dup_readers (MatrixRoom *self,
                         const char *event_id)
{
  g_return_val_if_fail (MATRIX_IS_ROOM (self), NULL);
  g_return_val_if_fail (event_id != NULL, NULL);

  return _matrix_receipts_dup_readers (self->receipts, event_id);
}

/**
 * matrix_room_get_fully_read:
 * @self: a #MatrixRoom
 *
 * Unlike a read receipt, the fully-read marker is private and shared by the
 * user's clients (room account data), so a "new messages" line stays where
 * the user left off on another device. It moves when the sync says so: after
 * matrix_room_mark_read_async(), or when another client moved it. It is kept
 * in the store.
 *
 * Returns: (transfer none) (nullable): the event the user's fully-read
 *   marker (`m.fully_read`) is at: where "new messages" start
 */
const char *
matrix_room_get_fully_read (MatrixRoom *self)
{
  g_return_val_if_fail (MATRIX_IS_ROOM (self), NULL);

  return _matrix_receipts_get_fully_read (self->receipts);
}

static const char *
find_inviter (MatrixRoom *self)
{
  const char *own_id = matrix_client_get_user_id (self->client);

  for (guint i = 0; self->invite_state != NULL && i < self->invite_state->len; i++)
    {
      JsonObject *event = g_ptr_array_index (self->invite_state, i);
      JsonObject *content = json_object_get_object_member (event, "content");

      if (g_strcmp0 (_matrix_room_content_string (event, "type"), "m.room.member") == 0 &&
          g_strcmp0 (_matrix_room_content_string (event, "state_key"), own_id) == 0 &&
          g_strcmp0 (_matrix_room_content_string (content, "membership"), "invite") == 0)
        return _matrix_room_content_string (event, "sender");
    }

  return NULL;
}

static void
set_invite_state (MatrixRoom *self,
                  GPtrArray  *stripped_state)
{
  _matrix_room_invalidate_members (self);
  g_clear_pointer (&self->invite_state, g_ptr_array_unref);
  if (stripped_state != NULL)
    {
      self->invite_state = g_ptr_array_new_with_free_func ((GDestroyNotify) json_object_unref);
      for (guint i = 0; i < stripped_state->len; i++)
        g_ptr_array_add (self->invite_state, json_object_ref (g_ptr_array_index (stripped_state, i)));
    }

  if (_matrix_room_set_string (&self->inviter, find_inviter (self)))
    g_object_notify_by_pspec (G_OBJECT (self), _matrix_room_properties[PROP_INVITER]);
}

void
_matrix_room_set_membership (MatrixRoom       *self,
                             MatrixMembership  membership)
{
  g_return_if_fail (MATRIX_IS_ROOM (self));

  if (self->membership == membership)
    return;

  self->membership = membership;
  g_object_notify_by_pspec (G_OBJECT (self), _matrix_room_properties[PROP_MEMBERSHIP]);
  _matrix_room_save (self);
}

void
_matrix_room_set_invite (MatrixRoom *self,
                         GPtrArray  *stripped_state)
{
  g_return_if_fail (MATRIX_IS_ROOM (self));

  set_invite_state (self, stripped_state);
  if (self->invite_ts == 0)
    self->invite_ts = g_get_real_time () / 1000;
  if (self->membership != MATRIX_MEMBERSHIP_INVITE)
    {
      self->membership = MATRIX_MEMBERSHIP_INVITE;
      g_object_notify_by_pspec (G_OBJECT (self), _matrix_room_properties[PROP_MEMBERSHIP]);
    }
  _matrix_room_update_from_state (self);
  set_last_activity (self, MAX (self->last_activity, self->invite_ts));
  _matrix_room_save (self);
}

static gboolean
is_stripped_event (JsonObject *object)
{
  JsonObject *content = NULL;

  return _matrix_room_content_string (object, "type") != NULL &&
         _matrix_room_content_string (object, "state_key") != NULL &&
         _matrix_room_content_string (object, "sender") != NULL &&
         _matrix_json_get_object (object, NULL, "content", TRUE, &content, NULL);
}

gboolean
_matrix_room_restore (MatrixRoom *self)
{
  MatrixStore *store = matrix_client_get_store (self->client);
  g_autoptr(JsonObject) data = matrix_store_get_room_data (store, self->room_id);
  g_autoptr(GPtrArray) events = matrix_store_get_timeline_events (store, self->room_id);
  JsonObject *summary = NULL, *unread = NULL, *own_unread = NULL;
  JsonArray *invite_state = NULL, *gaps = NULL;
  const char *membership = NULL;
  gint64 invite_ts = 0;

  /* Room data is ours, but it is read as carefully as anything from disk. */
  if (data != NULL)
    {
      _matrix_json_get_string (data, NULL, "membership", FALSE, &membership, NULL);
      _matrix_json_get_object (data, NULL, "summary", FALSE, &summary, NULL);
      _matrix_json_get_object (data, NULL, "unread_notifications", FALSE, &unread, NULL);
      _matrix_json_get_object (data, NULL, "own_unread_notifications", FALSE, &own_unread, NULL);
      _matrix_json_get_array (data, NULL, "invite_state", FALSE, &invite_state, NULL);
      _matrix_json_get_int (data, NULL, "invite_ts", FALSE, &invite_ts, NULL);
      _matrix_json_get_array (data, NULL, "timeline_gaps", FALSE, &gaps, NULL);
    }

  if (g_strcmp0 (membership, "leave") == 0)
    return FALSE;

  if (g_strcmp0 (membership, "invite") == 0)
    {
      g_autoptr(GPtrArray) stripped = g_ptr_array_new_with_free_func ((GDestroyNotify) json_object_unref);

      for (guint i = 0; invite_state != NULL && i < json_array_get_length (invite_state); i++)
        {
          JsonNode *node = json_array_get_element (invite_state, i);

          if (JSON_NODE_HOLDS_OBJECT (node) && is_stripped_event (json_node_get_object (node)))
            g_ptr_array_add (stripped, json_object_ref (json_node_get_object (node)));
        }
      self->membership = MATRIX_MEMBERSHIP_INVITE;
      self->invite_ts = invite_ts;
      set_invite_state (self, stripped);
    }

  if (summary != NULL)
    self->summary = json_object_ref (summary);
  if (unread != NULL)
    self->unread = json_object_ref (unread);
  if (own_unread != NULL)
    {
      read_count (own_unread, "notification_count", &self->own_notifications);
      read_count (own_unread, "highlight_count", &self->own_highlights);
      self->own_counts_stored = TRUE;
    }
  if (data != NULL)
    _matrix_receipts_restore (self->receipts, data);

  if (matrix_store_is_room_loaded (store, self->room_id))
    _matrix_timeline_restore (self->timeline, events, gaps);
  else
    {
      /* Only the newest events are in memory, or none when the store kept
       * the room's summary; the timeline waits for the rest. */
      self->timeline_restored = FALSE;
      self->stored_gaps = gaps != NULL ? json_array_ref (gaps) : NULL;
    }
  /* Echoes follow whatever the timeline holds, loaded or not: what was
   * not sent before the last quit is sent now. */
  _matrix_timeline_restore_sends (self->timeline);
  _matrix_room_apply_unread (self);
  if (self->timeline_restored || !restore_list_summary (self))
    {
      _matrix_room_update_from_state (self);
      update_from_events (self, events, TRUE);
    }
  set_last_activity (self, MAX (self->last_activity, self->invite_ts));
  save_list_summary (self);

  return TRUE;
}

void
_matrix_room_loaded (MatrixRoom *self)
{
  MatrixStore *store;
  g_autoptr(GPtrArray) events = NULL;

  g_return_if_fail (MATRIX_IS_ROOM (self));

  store = matrix_client_get_store (self->client);
  if (self->timeline_restored || !matrix_store_is_room_loaded (store, self->room_id))
    return;

  events = matrix_store_get_timeline_events (store, self->room_id);
  self->timeline_restored = TRUE;
  _matrix_timeline_restore (self->timeline, events, self->stored_gaps);
  g_clear_pointer (&self->stored_gaps, json_array_unref);

  /* All the members are here now: names may tell more apart. */
  _matrix_room_update_from_state (self);
  update_from_events (self, events, TRUE);
  set_last_activity (self, MAX (self->last_activity, self->invite_ts));
  save_list_summary (self);
}

static void
on_room_loaded (GObject      *source,
                GAsyncResult *result,
                gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  MatrixRoom *self = g_task_get_source_object (task);
  GError *error = NULL;

  if (!matrix_store_load_rooms_finish (MATRIX_STORE (source), result, &error))
    {
      g_task_return_error (task, error);
      return;
    }

  _matrix_room_loaded (self);
  g_task_return_boolean (task, TRUE);
}

/**
 * matrix_room_load_async:
 * @self: a #MatrixRoom
 * @cancellable: (nullable): a #GCancellable
 * @callback: (nullable): called once the room is loaded
 * @user_data: data for @callback
 *
 * Reads what the store keeps of the room and has not loaded yet (see
 * matrix_store_is_room_loaded()): its members and its cached timeline,
 * which then fills. Call it when the room is opened; it does nothing for a
 * room that is loaded.
 */
void
matrix_room_load_async (MatrixRoom          *self,
                        GCancellable        *cancellable,
                        GAsyncReadyCallback  callback,
                        gpointer             user_data)
{
  GTask *task;
  const char *room_ids[2] = { NULL, NULL };

  g_return_if_fail (MATRIX_IS_ROOM (self));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, matrix_room_load_async);
  room_ids[0] = self->room_id;
  matrix_store_load_rooms_async (matrix_client_get_store (self->client), room_ids, cancellable,
                                 on_room_loaded, task);
}

/**
 * matrix_room_load_finish:
 * @self: a #MatrixRoom
 * @result: the #GAsyncResult
 * @error: return location for a #GError
 *
 * Finishes matrix_room_load_async().
 *
 * Returns: %TRUE once the room's members and cached timeline are in memory
 */
gboolean
matrix_room_load_finish (MatrixRoom    *self,
                         GAsyncResult  *result,
                         GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}

MatrixRoom *
_matrix_room_new (MatrixClient *client,
                  const char   *room_id)
{
  MatrixRoom *self = g_object_new (MATRIX_TYPE_ROOM, NULL);

  self->client = g_object_ref (client);
  self->room_id = g_strdup (room_id);
  self->timeline = _matrix_timeline_new (client, room_id);
  _matrix_timeline_set_redactions_func (self->timeline, on_older_redactions, self);
  /* New rows, decrypted rows, rows restored from the store. */
  g_signal_connect_swapped (self->timeline, "items-changed",
                            G_CALLBACK (_matrix_room_schedule_recount), self);
  self->display_name = g_strdup (_("Empty Room"));
  return self;
}
