/* SPDX-License-Identifier: LGPL-2.1-or-later */
#define G_LOG_DOMAIN "matrix-sliding-sync"

#include <string.h>

#include "matrix-error.h"
#include "matrix-event-private.h"
#include "matrix-json-private.h"
#include "matrix-sliding-sync-private.h"

/* Simplified sliding sync (MSC4186).
 *
 * The client asks for one list, "all", of the rooms sorted by activity, of
 * which it wants a window ([0, N]), and subscribes to the open room with a
 * longer timeline. The server answers with the rooms that changed within
 * what was asked, and a position `pos` to send back.
 *
 * The answer is read here into a MatrixSyncResponse, the form a /v3/sync
 * body is read into (matrix-sync.c), so that what comes after (the rooms
 * loaded, the gaps filled, the signals, the commit) is the same for both:
 * - required_state → the room's state block, timeline → its timeline
 *   (limited, prev_batch);
 * - heroes, joined_count, invited_count → the summary (m.heroes,
 *   m.joined_member_count, m.invited_member_count);
 * - notification_count, highlight_count → unread_notifications;
 * - invite_state → an invited room; the user's own membership leave or ban
 *   in required_state or the timeline → a left room; else a joined one;
 * - the account_data, receipts and typing extensions → the rooms'
 *   account_data and ephemeral events (the global ones → account_data);
 *   to_device and e2ee → crypto_changes, as /v3/sync gives them.
 *
 * The structure is checked as strictly as a /v3/sync body's: a member of
 * the wrong type fails the response. One event that does not validate is
 * left out with a note. The body is parsed whole: a window of rooms is a
 * small answer, unlike a classic initial sync. */

#define MAX_EVENT_BYTES (4 * 65536)
#define MAX_SYNC_ROOMS 10000
#define MAX_SYNC_EVENTS 100000

void
_matrix_sliding_sync_extras_free (MatrixSlidingSyncExtras *extras)
{
  g_free (extras->pos);
  g_free (extras->to_device_since);
  g_clear_pointer (&extras->bump_stamps, g_hash_table_unref);
  g_free (extras);
}

/* --- detection ------------------------------------------------------------ */

/**
 * _matrix_sliding_sync_support:
 * @versions: the body of `/_matrix/client/versions`
 *
 * Whether the server offers simplified sliding sync: the merged spec's
 * `/v4/sync` when a `versions` entry or `unstable_features` says so, else the
 * unstable `org.matrix.simplified_msc3575` when `unstable_features` has it
 * true. Anything malformed counts as not offered.
 */
MatrixSlidingSyncSupport
_matrix_sliding_sync_support (JsonObject *versions)
{
  JsonObject *features = NULL;
  gboolean enabled = FALSE;

  if (versions == NULL ||
      !_matrix_json_get_object (versions, NULL, "unstable_features", FALSE, &features, NULL) ||
      features == NULL)
    return MATRIX_SLIDING_SYNC_NONE;

  if (_matrix_json_get_bool (features, NULL, "org.matrix.msc4186.stable", FALSE, &enabled, NULL) &&
      enabled)
    return MATRIX_SLIDING_SYNC_STABLE;
  enabled = FALSE;
  if (_matrix_json_get_bool (features, NULL, "org.matrix.simplified_msc3575", FALSE, &enabled, NULL) &&
      enabled)
    return MATRIX_SLIDING_SYNC_UNSTABLE;
  return MATRIX_SLIDING_SYNC_NONE;
}

gboolean
_matrix_sliding_sync_is_token (const char *token)
{
  return token != NULL && g_str_has_prefix (token, MATRIX_SLIDING_SYNC_TOKEN_PREFIX);
}

const char *
_matrix_sliding_sync_pos_of_token (const char *token)
{
  const char *pos;

  if (!_matrix_sliding_sync_is_token (token))
    return NULL;
  pos = token + strlen (MATRIX_SLIDING_SYNC_TOKEN_PREFIX);
  return *pos != '\0' ? pos : NULL;
}

/* --- the request ----------------------------------------------------------- */

/* What the room list shows, and what the client needs of every room:
 * encryption (never plaintext into an encrypted room), tombstone, power
 * levels, the user's own membership and the members of the timeline's
 * senders. */
static const char *const required_state[][2] = {
  { "m.room.create", "" },
  { "m.room.name", "" },
  { "m.room.avatar", "" },
  { "m.room.canonical_alias", "" },
  { "m.room.topic", "" },
  { "m.room.encryption", "" },
  { "m.room.tombstone", "" },
  { "m.room.power_levels", "" },
  { "m.room.join_rules", "" },
  { "m.room.history_visibility", "" },
  { "m.room.member", "$ME" },
  { "m.room.member", "$LAZY" },
};

static void
add_required_state (JsonBuilder *builder)
{
  json_builder_set_member_name (builder, "required_state");
  json_builder_begin_array (builder);
  for (guint i = 0; i < G_N_ELEMENTS (required_state); i++)
    {
      json_builder_begin_array (builder);
      json_builder_add_string_value (builder, required_state[i][0]);
      json_builder_add_string_value (builder, required_state[i][1]);
      json_builder_end_array (builder);
    }
  json_builder_end_array (builder);
}

static void
add_extension (JsonBuilder *builder,
               const char  *name,
               const char  *since)
{
  json_builder_set_member_name (builder, name);
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "enabled");
  json_builder_add_boolean_value (builder, TRUE);
  if (since != NULL)
    {
      json_builder_set_member_name (builder, "since");
      json_builder_add_string_value (builder, since);
    }
  json_builder_end_object (builder);
}

/* The body of a sliding sync request (the pos and timeout go in the
 * query). */
JsonNode *
_matrix_sliding_sync_request_body (const MatrixSlidingSyncRequest *request)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();

  json_builder_begin_object (builder);

  json_builder_set_member_name (builder, "lists");
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "all");
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "ranges");
  json_builder_begin_array (builder);
  json_builder_begin_array (builder);
  json_builder_add_int_value (builder, 0);
  json_builder_add_int_value (builder, MAX (request->range_end, 0));
  json_builder_end_array (builder);
  json_builder_end_array (builder);
  json_builder_set_member_name (builder, "timeline_limit");
  json_builder_add_int_value (builder, MATRIX_SLIDING_SYNC_LIST_TIMELINE);
  add_required_state (builder);
  json_builder_end_object (builder);
  json_builder_end_object (builder);

  if (request->open_room != NULL)
    {
      json_builder_set_member_name (builder, "room_subscriptions");
      json_builder_begin_object (builder);
      json_builder_set_member_name (builder, request->open_room);
      json_builder_begin_object (builder);
      json_builder_set_member_name (builder, "timeline_limit");
      json_builder_add_int_value (builder, MATRIX_SLIDING_SYNC_OPEN_TIMELINE);
      add_required_state (builder);
      json_builder_end_object (builder);
      json_builder_end_object (builder);
    }

  json_builder_set_member_name (builder, "extensions");
  json_builder_begin_object (builder);
  add_extension (builder, "to_device", request->to_device_since);
  add_extension (builder, "e2ee", NULL);
  add_extension (builder, "account_data", NULL);
  add_extension (builder, "receipts", NULL);
  add_extension (builder, "typing", NULL);
  json_builder_end_object (builder);

  json_builder_end_object (builder);
  return json_builder_get_root (builder);
}

/* --- the response ---------------------------------------------------------- */

static gboolean
invalid (GError     **error,
         const char  *format,
         ...) G_GNUC_PRINTF (2, 3);

static gboolean
invalid (GError     **error,
         const char  *format,
         ...)
{
  g_autofree char *message = NULL;
  va_list args;

  va_start (args, format);
  message = g_strdup_vprintf (format, args);
  va_end (args);
  g_set_error_literal (error, MATRIX_ERROR, MATRIX_ERROR_INVALID_RESPONSE, message);
  return FALSE;
}

/* A count: an integer, not negative. */
static gboolean
get_count (JsonObject  *object,
           const char  *where,
           const char  *member,
           gint64      *out,
           GError     **error)
{
  *out = -1;
  if (!json_object_has_member (object, member))
    return TRUE;
  if (!_matrix_json_get_int (object, where, member, TRUE, out, error))
    return FALSE;
  if (*out < 0)
    return invalid (error, "%s.%s: negative", where, member);
  return TRUE;
}

static gsize
json_size (JsonNode *node)
{
  g_autofree char *text = _matrix_json_to_string (node);

  return text != NULL ? strlen (text) : 0;
}

/* The events of @array (already checked to be one): state events when
 * @state, stripped state events (JsonObject) when @stripped. An event that
 * does not validate is left out with a note. */
static GPtrArray *
read_events (MatrixSyncResponse *response,
             JsonArray          *array,
             const char         *room_id,
             const char         *where,
             gboolean            state,
             gboolean            stripped,
             guint              *n_events)
{
  GPtrArray *events;
  g_autoptr(GHashTable) seen = g_hash_table_new (g_str_hash, g_str_equal);

  events = stripped ? g_ptr_array_new_with_free_func ((GDestroyNotify) json_object_unref)
                    : g_ptr_array_new_with_free_func (g_object_unref);

  for (guint i = 0; i < json_array_get_length (array); i++)
    {
      JsonNode *node = json_array_get_element (array, i);
      g_autoptr(GError) local_error = NULL;
      MatrixEvent *event;

      (*n_events)++;
      if (!JSON_NODE_HOLDS_OBJECT (node))
        {
          g_ptr_array_add (response->dropped, g_strdup_printf ("%s[%u]: not an object", where, i));
          continue;
        }
      if (json_size (node) > MAX_EVENT_BYTES)
        {
          g_ptr_array_add (response->dropped,
                           g_strdup_printf ("%s[%u]: larger than %u bytes", where, i, MAX_EVENT_BYTES));
          continue;
        }
      if (stripped)
        {
          if (_matrix_sync_validate_stripped_event (json_node_get_object (node), &local_error))
            g_ptr_array_add (events, json_object_ref (json_node_get_object (node)));
          else
            g_ptr_array_add (response->dropped,
                             g_strdup_printf ("%s[%u]: %s", where, i, local_error->message));
          continue;
        }

      event = state ? MATRIX_EVENT (matrix_state_event_new_from_json (room_id, json_node_get_object (node),
                                                                      &local_error))
                    : matrix_event_new_from_json (room_id, json_node_get_object (node), &local_error);
      if (event == NULL)
        {
          g_ptr_array_add (response->dropped,
                           g_strdup_printf ("%s[%u]: %s", where, i, local_error->message));
          continue;
        }
      if (g_hash_table_contains (seen, matrix_event_get_event_id (event)))
        {
          g_ptr_array_add (response->dropped,
                           g_strdup_printf ("%s[%u]: duplicate event id %s", where, i,
                                            matrix_event_get_event_id (event)));
          g_object_unref (event);
          continue;
        }
      g_hash_table_add (seen, (gpointer) matrix_event_get_event_id (event));
      g_ptr_array_add (events, event);
    }

  return events;
}

/* The user's own membership as the last of @events that says it. */
static const char *
own_membership (GPtrArray  *events,
                const char *user_id,
                const char *membership)
{
  for (guint i = 0; events != NULL && user_id != NULL && i < events->len; i++)
    {
      MatrixEvent *event = g_ptr_array_index (events, i);
      JsonObject *content;
      const char *value;

      if (!MATRIX_IS_STATE_EVENT (event) ||
          g_strcmp0 (matrix_event_get_event_type (event), "m.room.member") != 0 ||
          g_strcmp0 (matrix_state_event_get_state_key (MATRIX_STATE_EVENT (event)), user_id) != 0)
        continue;
      content = matrix_event_get_content (event);
      if (content != NULL &&
          _matrix_json_get_string (content, NULL, "membership", FALSE, &value, NULL) && value != NULL)
        membership = value;
    }
  return membership;
}

static MatrixSyncRoom *
new_room (const char         *room_id,
          MatrixSyncRoomKind  kind)
{
  MatrixSyncRoom *room = g_new0 (MatrixSyncRoom, 1);

  room->room_id = g_strdup (room_id);
  room->kind = kind;
  return room;
}

/* The summary a /v3/sync room would have had. */
static JsonObject *
summary_of (JsonArray *heroes,
            gint64     joined,
            gint64     invited)
{
  JsonObject *summary;

  if (heroes == NULL && joined < 0 && invited < 0)
    return NULL;
  summary = json_object_new ();
  if (heroes != NULL)
    {
      JsonArray *ids = json_array_new ();

      for (guint i = 0; i < json_array_get_length (heroes); i++)
        json_array_add_string_element (ids, json_object_get_string_member (
                                         json_array_get_object_element (heroes, i), "user_id"));
      json_object_set_array_member (summary, "m.heroes", ids);
    }
  if (joined >= 0)
    json_object_set_int_member (summary, "m.joined_member_count", joined);
  if (invited >= 0)
    json_object_set_int_member (summary, "m.invited_member_count", invited);
  return summary;
}

static gboolean
check_heroes (JsonArray   *heroes,
              const char  *where,
              GError     **error)
{
  for (guint i = 0; heroes != NULL && i < json_array_get_length (heroes); i++)
    {
      JsonNode *node = json_array_get_element (heroes, i);
      const char *user_id;

      if (!JSON_NODE_HOLDS_OBJECT (node))
        return invalid (error, "%s.heroes[%u]: expected an object", where, i);
      if (!_matrix_json_get_string (json_node_get_object (node), where, "user_id", TRUE, &user_id, error))
        return FALSE;
    }
  return TRUE;
}

static MatrixSyncRoom *
read_room (MatrixSyncResponse  *response,
           const char          *room_id,
           JsonNode            *node,
           const char          *user_id,
           guint               *n_events,
           GError             **error)
{
  g_autofree char *where = g_strdup_printf ("rooms.%s", room_id);
  g_autofree char *state_where = g_strconcat (where, ".required_state", NULL);
  g_autofree char *timeline_where = g_strconcat (where, ".timeline", NULL);
  g_autofree char *invite_where = g_strconcat (where, ".invite_state", NULL);
  JsonObject *object;
  JsonArray *state = NULL, *timeline = NULL, *invite_state = NULL, *heroes = NULL;
  gboolean limited = FALSE;
  const char *prev_batch = NULL, *membership;
  gint64 joined, invited, notifications, highlights, bump_stamp;
  MatrixSyncRoom *room;

  if (!JSON_NODE_HOLDS_OBJECT (node))
    {
      invalid (error, "%s: expected an object", where);
      return NULL;
    }
  object = json_node_get_object (node);

  if (!_matrix_json_get_array (object, where, "required_state", FALSE, &state, error) ||
      !_matrix_json_get_array (object, where, "timeline", FALSE, &timeline, error) ||
      !_matrix_json_get_array (object, where, "invite_state", FALSE, &invite_state, error) ||
      !_matrix_json_get_array (object, where, "heroes", FALSE, &heroes, error) ||
      !_matrix_json_get_bool (object, where, "limited", FALSE, &limited, error) ||
      !_matrix_json_get_token (object, where, "prev_batch", FALSE, &prev_batch, error) ||
      !get_count (object, where, "joined_count", &joined, error) ||
      !get_count (object, where, "invited_count", &invited, error) ||
      !get_count (object, where, "notification_count", &notifications, error) ||
      !get_count (object, where, "highlight_count", &highlights, error) ||
      !get_count (object, where, "bump_stamp", &bump_stamp, error) ||
      !check_heroes (heroes, where, error))
    return NULL;

  if (invite_state != NULL)
    {
      room = new_room (room_id, MATRIX_SYNC_ROOM_INVITE);
      room->invite_state = read_events (response, invite_state, room_id, invite_where, TRUE, TRUE,
                                        n_events);
      return room;
    }

  room = new_room (room_id, MATRIX_SYNC_ROOM_JOIN);
  if (state != NULL)
    room->state = read_events (response, state, room_id, state_where, TRUE, FALSE, n_events);
  if (timeline != NULL)
    room->timeline = read_events (response, timeline, room_id, timeline_where, FALSE, FALSE, n_events);
  room->limited = limited;
  room->prev_batch = g_strdup (prev_batch);
  room->summary = summary_of (heroes, joined, invited);
  if (notifications >= 0 || highlights >= 0)
    {
      room->unread_notifications = json_object_new ();
      json_object_set_int_member (room->unread_notifications, "notification_count",
                                  MAX (notifications, 0));
      json_object_set_int_member (room->unread_notifications, "highlight_count", MAX (highlights, 0));
    }

  membership = own_membership (room->timeline, user_id, own_membership (room->state, user_id, NULL));
  if (g_strcmp0 (membership, "leave") == 0 || g_strcmp0 (membership, "ban") == 0)
    room->kind = MATRIX_SYNC_ROOM_LEAVE;

  if (bump_stamp >= 0)
    {
      if (response->sliding->bump_stamps == NULL)
        response->sliding->bump_stamps = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
      g_hash_table_insert (response->sliding->bump_stamps, g_strdup (room_id),
                           g_memdup2 (&bump_stamp, sizeof bump_stamp));
    }

  return room;
}

/* The basic events ({type, content}) of @array, others left out silently
 * as in a /v3/sync body. NULL when none. */
static GPtrArray *
basic_events (JsonArray *array)
{
  g_autoptr(JsonNode) section = json_node_new (JSON_NODE_OBJECT);
  g_autoptr(JsonObject) object = json_object_new ();

  json_object_set_array_member (object, "events", json_array_ref (array));
  json_node_set_object (section, object);
  return _matrix_sync_basic_events (section);
}

static void
append_events (GPtrArray **to,
               GPtrArray  *events)
{
  if (events == NULL)
    return;
  if (*to == NULL)
    {
      *to = events;
      return;
    }
  for (guint i = 0; i < events->len; i++)
    g_ptr_array_add (*to, json_object_ref (g_ptr_array_index (events, i)));
  g_ptr_array_unref (events);
}

/* The joined room @room_id of @response, added when the response did not
 * have it; NULL when it has it as an invite or a left room. */
static MatrixSyncRoom *
joined_room (MatrixSyncResponse *response,
             GHashTable         *index,
             const char         *room_id)
{
  MatrixSyncRoom *room = g_hash_table_lookup (index, room_id);

  if (room == NULL)
    {
      room = new_room (room_id, MATRIX_SYNC_ROOM_JOIN);
      g_ptr_array_add (response->rooms, room);
      g_hash_table_insert (index, room->room_id, room);
    }
  return room->kind == MATRIX_SYNC_ROOM_JOIN ? room : NULL;
}

/* An extension's "rooms": room id → what @read makes of its value. */
static gboolean
read_extension_rooms (MatrixSyncResponse  *response,
                      GHashTable          *index,
                      JsonObject          *extension,
                      const char          *where,
                      gboolean             account_data,
                      GError             **error)
{
  JsonObject *rooms = NULL;
  g_autoptr(GList) ids = NULL;

  if (!_matrix_json_get_object (extension, where, "rooms", FALSE, &rooms, error))
    return FALSE;
  if (rooms == NULL)
    return TRUE;

  ids = json_object_get_members (rooms);
  for (GList *l = ids; l != NULL; l = l->next)
    {
      const char *room_id = l->data;
      JsonNode *value = json_object_get_member (rooms, room_id);
      MatrixSyncRoom *room;
      GPtrArray *events = NULL;

      if (room_id[0] != '!')
        {
          g_ptr_array_add (response->dropped, g_strdup_printf ("%s.rooms: %s is not a room id", where, room_id));
          continue;
        }

      if (account_data)
        {
          /* An array of events. */
          if (!JSON_NODE_HOLDS_ARRAY (value))
            return invalid (error, "%s.rooms.%s: expected an array", where, room_id);
          events = basic_events (json_node_get_array (value));
        }
      else
        {
          /* One event, {type, content}. */
          g_autoptr(JsonArray) one = json_array_new ();

          if (!JSON_NODE_HOLDS_OBJECT (value))
            return invalid (error, "%s.rooms.%s: expected an object", where, room_id);
          json_array_add_element (one, json_node_copy (value));
          events = basic_events (one);
        }

      if (events == NULL)
        continue;
      room = joined_room (response, index, room_id);
      if (room == NULL)
        {
          g_ptr_array_unref (events);
          continue;
        }
      append_events (account_data ? &room->account_data : &room->ephemeral, events);
    }
  return TRUE;
}

static JsonArray *
user_ids (JsonObject *object,
          const char *member)
{
  JsonArray *out = json_array_new ();
  JsonArray *in = NULL;

  if (!_matrix_json_get_array (object, NULL, member, FALSE, &in, NULL) || in == NULL)
    return out;
  for (guint i = 0; i < json_array_get_length (in); i++)
    {
      JsonNode *node = json_array_get_element (in, i);
      const char *id;

      if (JSON_NODE_HOLDS_VALUE (node) && json_node_get_value_type (node) == G_TYPE_STRING &&
          (id = json_node_get_string (node))[0] == '@' && strchr (id, ':') != NULL && strlen (id) <= 255)
        json_array_add_string_element (out, id);
    }
  return out;
}

/* to_device and e2ee, in the shape the crypto machine takes from a
 * /v3/sync body. */
static gboolean
read_crypto (MatrixSyncResponse  *response,
             JsonObject          *extensions,
             GError             **error)
{
  MatrixSlidingSyncExtras *extras = response->sliding;
  JsonObject *to_device = NULL, *e2ee = NULL, *device_lists = NULL, *counts = NULL;
  JsonArray *events = NULL, *fallback = NULL;
  const char *since = NULL;
  g_autoptr(JsonArray) out_events = json_array_new ();
  g_autoptr(JsonObject) out_counts = json_object_new ();
  JsonObject *changes;

  if (!_matrix_json_get_object (extensions, "extensions", "to_device", FALSE, &to_device, error) ||
      !_matrix_json_get_object (extensions, "extensions", "e2ee", FALSE, &e2ee, error))
    return FALSE;
  if (to_device != NULL &&
      (!_matrix_json_get_token (to_device, "extensions.to_device", "next_batch", FALSE, &since, error) ||
       !_matrix_json_get_array (to_device, "extensions.to_device", "events", FALSE, &events, error)))
    return FALSE;
  if (e2ee != NULL &&
      (!_matrix_json_get_object (e2ee, "extensions.e2ee", "device_lists", FALSE, &device_lists, error) ||
       !_matrix_json_get_object (e2ee, "extensions.e2ee", "device_one_time_keys_count", FALSE, &counts,
                                 error) ||
       !_matrix_json_get_array (e2ee, "extensions.e2ee", "device_unused_fallback_key_types", FALSE,
                                &fallback, error)))
    return FALSE;

  extras->to_device_since = g_strdup (since);
  if (to_device == NULL && e2ee == NULL)
    return TRUE;

  for (guint i = 0; events != NULL && i < json_array_get_length (events); i++)
    {
      JsonNode *node = json_array_get_element (events, i);
      JsonObject *event, *content;
      const char *type, *sender;

      if (!JSON_NODE_HOLDS_OBJECT (node) ||
          !_matrix_json_get_string (event = json_node_get_object (node), NULL, "type", TRUE, &type, NULL) ||
          !_matrix_json_get_string (event, NULL, "sender", TRUE, &sender, NULL) ||
          !_matrix_json_get_object (event, NULL, "content", TRUE, &content, NULL))
        {
          g_ptr_array_add (response->dropped,
                           g_strdup_printf ("extensions.to_device.events[%u]: not an event", i));
          continue;
        }
      json_array_add_object_element (out_events, json_object_ref (event));
    }

  if (counts != NULL)
    {
      g_autoptr(GList) names = json_object_get_members (counts);

      for (GList *l = names; l != NULL; l = l->next)
        {
          gint64 count;

          if (_matrix_json_get_int (counts, NULL, l->data, TRUE, &count, NULL) && count >= 0)
            json_object_set_int_member (out_counts, l->data, count);
        }
    }

  changes = json_object_new ();
  json_object_set_array_member (changes, "to_device_events", g_steal_pointer (&out_events));
  if (device_lists != NULL)
    {
      json_object_set_array_member (changes, "changed", user_ids (device_lists, "changed"));
      json_object_set_array_member (changes, "left", user_ids (device_lists, "left"));
    }
  json_object_set_object_member (changes, "one_time_key_counts", g_steal_pointer (&out_counts));
  if (fallback != NULL)
    {
      JsonArray *types = json_array_new ();

      for (guint i = 0; i < json_array_get_length (fallback); i++)
        {
          JsonNode *node = json_array_get_element (fallback, i);

          if (JSON_NODE_HOLDS_VALUE (node) && json_node_get_value_type (node) == G_TYPE_STRING)
            json_array_add_string_element (types, json_node_get_string (node));
        }
      json_object_set_array_member (changes, "unused_fallback_key_types", types);
    }
  json_object_set_string_member (changes, "next_batch", response->next_batch);
  response->crypto_changes = changes;
  return TRUE;
}

static gboolean
read_extensions (MatrixSyncResponse  *response,
                 GHashTable          *index,
                 JsonObject          *extensions,
                 GError             **error)
{
  JsonObject *account_data = NULL, *receipts = NULL, *typing = NULL;
  JsonArray *global = NULL;

  if (!read_crypto (response, extensions, error) ||
      !_matrix_json_get_object (extensions, "extensions", "account_data", FALSE, &account_data, error) ||
      !_matrix_json_get_object (extensions, "extensions", "receipts", FALSE, &receipts, error) ||
      !_matrix_json_get_object (extensions, "extensions", "typing", FALSE, &typing, error))
    return FALSE;

  if (account_data != NULL)
    {
      if (!_matrix_json_get_array (account_data, "extensions.account_data", "global", FALSE, &global,
                                   error) ||
          !read_extension_rooms (response, index, account_data, "extensions.account_data", TRUE, error))
        return FALSE;
      if (global != NULL)
        response->account_data = basic_events (global);
    }
  if (receipts != NULL &&
      !read_extension_rooms (response, index, receipts, "extensions.receipts", FALSE, error))
    return FALSE;
  if (typing != NULL &&
      !read_extension_rooms (response, index, typing, "extensions.typing", FALSE, error))
    return FALSE;
  return TRUE;
}

/* The "all" list's count, if the response says it. */
static gboolean
read_lists (JsonObject  *lists,
            gint64      *count,
            GError     **error)
{
  JsonObject *all = NULL;

  *count = -1;
  if (lists == NULL)
    return TRUE;
  if (!_matrix_json_get_object (lists, "lists", "all", FALSE, &all, error))
    return FALSE;
  return all == NULL || get_count (all, "lists.all", "count", count, error);
}

static int
kind_order (MatrixSyncRoomKind kind)
{
  return kind == MATRIX_SYNC_ROOM_INVITE ? 1 : 0;
}

/**
 * _matrix_sliding_sync_parse:
 * @body: the body of a 2xx sliding sync response
 * @user_id: (nullable): the user's id
 * @error: return location for a #GError
 *
 * Returns: (transfer full) (nullable): the validated response, with
 *   `sliding` set
 */
MatrixSyncResponse *
_matrix_sliding_sync_parse (GBytes      *body,
                            const char  *user_id,
                            GError     **error)
{
  g_autoptr(MatrixSyncResponse) response = _matrix_sync_response_new ();
  g_autoptr(JsonObject) root = NULL;
  g_autoptr(GHashTable) index = g_hash_table_new (g_str_hash, g_str_equal);
  g_autoptr(GPtrArray) ordered = g_ptr_array_new ();
  JsonObject *room_map = NULL, *lists = NULL, *extensions = NULL;
  const char *pos;
  gsize length;
  const char *data = g_bytes_get_data (body, &length);
  guint n_events = 0;

  root = _matrix_json_parse_object (data, length, error);
  if (root == NULL)
    return NULL;
  if (!_matrix_json_get_token (root, NULL, "pos", TRUE, &pos, error) ||
      !_matrix_json_get_object (root, NULL, "rooms", FALSE, &room_map, error) ||
      !_matrix_json_get_object (root, NULL, "lists", FALSE, &lists, error) ||
      !_matrix_json_get_object (root, NULL, "extensions", FALSE, &extensions, error))
    return NULL;

  response->next_batch = g_strconcat (MATRIX_SLIDING_SYNC_TOKEN_PREFIX, pos, NULL);
  if (!_matrix_token_is_valid (response->next_batch))
    {
      invalid (error, "pos: not a token that can be sent back");
      return NULL;
    }
  response->sliding = g_new0 (MatrixSlidingSyncExtras, 1);
  response->sliding->pos = g_strdup (pos);
  if (!read_lists (lists, &response->sliding->list_count, error))
    return NULL;

  if (room_map != NULL)
    {
      g_autoptr(GList) ids = json_object_get_members (room_map);

      if (g_list_length (ids) > MAX_SYNC_ROOMS)
        {
          invalid (error, "rooms: more than %u rooms in one sync", MAX_SYNC_ROOMS);
          return NULL;
        }
      for (GList *l = ids; l != NULL; l = l->next)
        {
          MatrixSyncRoom *room = read_room (response, l->data, json_object_get_member (room_map, l->data),
                                            user_id, &n_events, error);

          if (room == NULL)
            return NULL;
          g_ptr_array_add (response->rooms, room);
          if (n_events > MAX_SYNC_EVENTS)
            {
              invalid (error, "rooms: more than %u events in one sync", MAX_SYNC_EVENTS);
              return NULL;
            }
        }
    }

  /* Joined and left rooms first, then invites, as /v3/sync has them. */
  for (int order = 0; order < 2; order++)
    for (guint i = 0; i < response->rooms->len; i++)
      {
        MatrixSyncRoom *room = g_ptr_array_index (response->rooms, i);

        if (kind_order (room->kind) == order)
          g_ptr_array_add (ordered, room);
      }
  for (guint i = 0; i < ordered->len; i++)
    {
      MatrixSyncRoom *room = g_ptr_array_index (ordered, i);

      response->rooms->pdata[i] = room;
      g_hash_table_insert (index, room->room_id, room);
    }

  if (extensions != NULL && !read_extensions (response, index, extensions, error))
    return NULL;

  return g_steal_pointer (&response);
}
