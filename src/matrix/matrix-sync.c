/* SPDX-License-Identifier: LGPL-2.1-or-later */
#define G_LOG_DOMAIN "matrix-sync"

#include <string.h>

#include "matrix-error.h"
#include "matrix-event-private.h"
#include "matrix-json-private.h"
#include "matrix-sync-private.h"

/* Validation of a /sync body. It runs on a worker thread, since an initial
 * sync can be tens of megabytes, and touches nothing but its own data.
 *
 * The structure (next_batch, rooms, each room's state and timeline) is
 * checked strictly: if it is wrong the response cannot be trusted and the
 * sync fails. A single event that does not validate is left out with a
 * note, so that one odd event cannot stall the sync for every other room.
 *
 * What no homeserver may send is refused, so that a server cannot make a
 * client do unbounded work: an event larger than the spec's 65,536 bytes
 * is left out, and a response with more rooms or events than Synapse ever
 * sends in one sync fails whole. */

/* The spec's limit on an event: 65,536 bytes of canonical JSON (UTF-8,
 * nothing escaped) in the federation format, of which a client sees only a
 * part. What the server adds in `unsigned` (a state event's previous
 * content, a thread's latest event, what redacted it) is not part of the
 * event, and is bounded apart. Both are measured by the bytes the text
 * stands for: a server may send every non-ASCII character escaped. */
#define MAX_EVENT_BYTES 65536
#define MAX_UNSIGNED_BYTES (3 * MAX_EVENT_BYTES)
#define MAX_SYNC_ROOMS 10000
#define MAX_SYNC_EVENTS 100000

static void
sync_room_free (MatrixSyncRoom *room)
{
  g_free (room->room_id);
  g_clear_pointer (&room->state, g_ptr_array_unref);
  g_clear_pointer (&room->timeline, g_ptr_array_unref);
  g_free (room->prev_batch);
  g_clear_pointer (&room->summary, json_object_unref);
  g_clear_pointer (&room->unread_notifications, json_object_unref);
  g_clear_pointer (&room->invite_state, g_ptr_array_unref);
  g_clear_pointer (&room->ephemeral, g_ptr_array_unref);
  g_clear_pointer (&room->account_data, g_ptr_array_unref);
  g_clear_pointer (&room->gap_events, g_ptr_array_unref);
  g_free (room->gap_prev_batch);
  g_free (room);
}

GPtrArray *
_matrix_sync_basic_events (JsonNode *section)
{
  g_autoptr(GPtrArray) events = NULL;
  JsonNode *array;

  if (section == NULL || !JSON_NODE_HOLDS_OBJECT (section))
    return NULL;
  array = json_object_get_member (json_node_get_object (section), "events");
  if (array == NULL || !JSON_NODE_HOLDS_ARRAY (array))
    return NULL;

  for (guint i = 0; i < json_array_get_length (json_node_get_array (array)); i++)
    {
      JsonNode *node = json_array_get_element (json_node_get_array (array), i);
      JsonObject *event, *content;
      const char *type;

      if (!JSON_NODE_HOLDS_OBJECT (node) ||
          !_matrix_json_get_string (event = json_node_get_object (node), NULL, "type", TRUE, &type, NULL) ||
          !_matrix_json_get_object (event, NULL, "content", TRUE, &content, NULL))
        continue;
      if (events == NULL)
        events = g_ptr_array_new_with_free_func ((GDestroyNotify) json_object_unref);
      g_ptr_array_add (events, json_object_ref (event));
    }
  return g_steal_pointer (&events);
}

/* An empty response, to which rooms and notes are added. */
MatrixSyncResponse *
_matrix_sync_response_new (void)
{
  MatrixSyncResponse *response = g_new0 (MatrixSyncResponse, 1);

  response->rooms = g_ptr_array_new_with_free_func ((GDestroyNotify) sync_room_free);
  response->dropped = g_ptr_array_new_with_free_func (g_free);
  return response;
}

void
_matrix_sync_response_free (MatrixSyncResponse *response)
{
  g_free (response->next_batch);
  g_clear_pointer (&response->account_data, g_ptr_array_unref);
  g_clear_pointer (&response->crypto_changes, json_object_unref);
  g_clear_pointer (&response->sliding, _matrix_sliding_sync_extras_free);
  g_ptr_array_unref (response->rooms);
  g_ptr_array_unref (response->dropped);
  g_free (response);
}

/* A stripped state event has no event id nor timestamp: only these four. */
gboolean
_matrix_sync_validate_stripped_event (JsonObject  *object,
                                      GError     **error)
{
  const char *unused;
  JsonObject *content;

  return _matrix_json_get_string (object, "stripped state event", "type", TRUE, &unused, error) &&
         _matrix_json_get_string (object, "stripped state event", "state_key", TRUE, &unused, error) &&
         _matrix_json_get_string (object, "stripped state event", "sender", TRUE, &unused, error) &&
         _matrix_json_get_object (object, "stripped state event", "content", TRUE, &content, error);
}

/* --- reading ------------------------------------------------------------
 *
 * The body is read a member at a time (MatrixJsonReader), not parsed into a
 * json-glib tree first: each event becomes a MatrixEvent as it is read, and
 * only the members an event keeps (its content, say) are ever json-glib
 * nodes. What the reading keeps of the structure around the events is then
 * checked as a parsed body would be, in the same order and with the same
 * errors: the text must be JSON before anything else is judged, and a
 * member that appears twice counts with its last value, in its first place. */

/* A member that the reader walks into when it holds the expected container. */
typedef struct {
  gboolean  present;
  JsonNode *other;   /* its value when it is not that container (or is null) */
} Member;

/* An "events" array, its events built as they were read. */
typedef struct {
  Member     member;
  GPtrArray *events;  /* MatrixEvent (a stripped state event: JsonObject) */
  GPtrArray *notes;   /* char*: why each element was left out */
} Events;

/* A room's "state", "timeline" or "invite_state". */
typedef struct {
  Member    member;
  Events    events;
  JsonNode *limited;
  JsonNode *prev_batch;
} Block;

typedef struct {
  char     *room_id;
  JsonNode *other;   /* the room's value when it is not an object */
  Block     state;
  Block     timeline;
  Block     invite_state;
  JsonNode *summary;
  JsonNode *unread_notifications;
  JsonNode *ephemeral;
  JsonNode *account_data;
} Room;

typedef struct {
  Member      member;
  GPtrArray  *rooms;   /* Room, in body order; a repeated room id in its first place */
  GHashTable *index;   /* room id → position + 1 */
} Section;

enum { SECTION_JOIN, SECTION_LEAVE, SECTION_INVITE, N_SECTIONS };

static const char *const section_names[N_SECTIONS] = { "join", "leave", "invite" };

typedef struct {
  JsonNode *next_batch;
  JsonNode *account_data;
  Member    rooms;
  Section   sections[N_SECTIONS];
  /* What the end-to-end encryption machine is fed (see crypto_changes). */
  JsonNode *to_device;
  JsonNode *device_lists;
  JsonNode *one_time_key_counts;
  JsonNode *fallback_key_types;
} Body;

static void
member_clear (Member *member)
{
  g_clear_pointer (&member->other, json_node_unref);
  member->present = FALSE;
}

static void
events_clear (Events *events)
{
  member_clear (&events->member);
  g_clear_pointer (&events->events, g_ptr_array_unref);
  g_clear_pointer (&events->notes, g_ptr_array_unref);
}

static void
block_clear (Block *block)
{
  member_clear (&block->member);
  events_clear (&block->events);
  g_clear_pointer (&block->limited, json_node_unref);
  g_clear_pointer (&block->prev_batch, json_node_unref);
}

static void
room_clear (Room *room)
{
  g_clear_pointer (&room->other, json_node_unref);
  block_clear (&room->state);
  block_clear (&room->timeline);
  block_clear (&room->invite_state);
  g_clear_pointer (&room->summary, json_node_unref);
  g_clear_pointer (&room->unread_notifications, json_node_unref);
  g_clear_pointer (&room->ephemeral, json_node_unref);
  g_clear_pointer (&room->account_data, json_node_unref);
}

static void
room_free (Room *room)
{
  room_clear (room);
  g_free (room->room_id);
  g_free (room);
}

static void
section_clear (Section *section)
{
  member_clear (&section->member);
  g_clear_pointer (&section->rooms, g_ptr_array_unref);
  g_clear_pointer (&section->index, g_hash_table_unref);
}

static void
body_clear (Body *body)
{
  g_clear_pointer (&body->next_batch, json_node_unref);
  g_clear_pointer (&body->account_data, json_node_unref);
  member_clear (&body->rooms);
  for (guint i = 0; i < N_SECTIONS; i++)
    section_clear (&body->sections[i]);
  g_clear_pointer (&body->to_device, json_node_unref);
  g_clear_pointer (&body->device_lists, json_node_unref);
  g_clear_pointer (&body->one_time_key_counts, json_node_unref);
  g_clear_pointer (&body->fallback_key_types, json_node_unref);
}

/* Replaces *node with the value the reader is at. */
static void
read_node (MatrixJsonReader  *reader,
           JsonNode         **node)
{
  g_clear_pointer (node, json_node_unref);
  *node = _matrix_json_reader_read_node (reader);
}

/* Starts a member that should hold a container of @type: TRUE if it does
 * and the reader has stepped into it; otherwise the value is kept for the
 * error it makes later. Either way a previous value of the member is gone. */
static gboolean
enter_member (MatrixJsonReader *reader,
              Member           *member,
              JsonNodeType      type)
{
  member_clear (member);
  member->present = TRUE;
  if (_matrix_json_reader_peek (reader) != type)
    {
      read_node (reader, &member->other);
      return FALSE;
    }
  return _matrix_json_reader_enter (reader);
}

/* Reads an "events" array, building each event (or, for invites, keeping
 * each stripped state event) as it comes. */
static void
read_events (MatrixJsonReader *reader,
             Events           *events,
             const char       *room_id,
             const char       *where,
             MatrixSyncRoomKind kind,
             gboolean          state_only)
{
  g_autoptr(GHashTable) seen = NULL;

  events_clear (events);
  if (!enter_member (reader, &events->member, JSON_NODE_ARRAY))
    return;

  if (kind == MATRIX_SYNC_ROOM_INVITE)
    events->events = g_ptr_array_new_with_free_func ((GDestroyNotify) json_object_unref);
  else
    events->events = g_ptr_array_new_with_free_func (g_object_unref);
  events->notes = g_ptr_array_new_with_free_func (g_free);
  seen = g_hash_table_new (g_str_hash, g_str_equal);

  for (guint i = 0; _matrix_json_reader_next_element (reader); i++)
    {
      g_autoptr(GError) local_error = NULL;
      g_autoptr(JsonNode) node = NULL;
      MatrixEvent *event;
      gsize start, unsigned_bytes = 0;

      if (_matrix_json_reader_peek (reader) != JSON_NODE_OBJECT)
        {
          _matrix_json_reader_skip (reader);
          g_ptr_array_add (events->notes, g_strdup_printf ("%s.events[%u]: not an object", where, i));
          continue;
        }

      if (kind == MATRIX_SYNC_ROOM_INVITE)
        {
          node = _matrix_json_reader_read_node (reader);
          if (node == NULL)
            return;
          if (!_matrix_sync_validate_stripped_event (json_node_get_object (node), &local_error))
            g_ptr_array_add (events->notes,
                             g_strdup_printf ("%s.events[%u]: %s", where, i, local_error->message));
          else
            g_ptr_array_add (events->events, json_object_ref (json_node_get_object (node)));
          continue;
        }

      start = _matrix_json_reader_get_decoded_offset (reader);
      event = _matrix_event_read (reader, room_id, state_only, &unsigned_bytes, &local_error);
      if (_matrix_json_reader_failed (reader))
        return;
      if (event != NULL &&
          _matrix_json_reader_get_decoded_offset (reader) - start - unsigned_bytes > MAX_EVENT_BYTES)
        {
          g_ptr_array_add (events->notes,
                           g_strdup_printf ("%s.events[%u]: larger than %u bytes", where, i,
                                            MAX_EVENT_BYTES));
          g_object_unref (event);
          continue;
        }
      if (event != NULL && unsigned_bytes > MAX_UNSIGNED_BYTES)
        {
          g_ptr_array_add (events->notes,
                           g_strdup_printf ("%s.events[%u]: its unsigned data is larger than %u bytes",
                                            where, i, MAX_UNSIGNED_BYTES));
          g_object_unref (event);
          continue;
        }
      if (event == NULL)
        {
          g_ptr_array_add (events->notes,
                           g_strdup_printf ("%s.events[%u]: %s", where, i, local_error->message));
          continue;
        }

      /* An event id is unique: a second copy is a server bug, not news.
       * (Checked before adding: g_hash_table_add() would replace the stored
       * key, borrowed from the first copy, with this one's, freed below.) */
      if (g_hash_table_contains (seen, matrix_event_get_event_id (event)))
        {
          g_ptr_array_add (events->notes,
                           g_strdup_printf ("%s.events[%u]: duplicate event id %s", where, i,
                                            matrix_event_get_event_id (event)));
          g_object_unref (event);
          continue;
        }

      g_hash_table_add (seen, (gpointer) matrix_event_get_event_id (event));
      g_ptr_array_add (events->events, event);
    }
}

/* Reads a room's "state", "timeline" or "invite_state" object. */
static void
read_block (MatrixJsonReader   *reader,
            Block              *block,
            const char         *room_id,
            const char         *where,
            MatrixSyncRoomKind  kind,
            gboolean            state_only)
{
  const char *name;

  block_clear (block);
  if (!enter_member (reader, &block->member, JSON_NODE_OBJECT))
    return;

  while ((name = _matrix_json_reader_next_member (reader)) != NULL)
    {
      if (g_str_equal (name, "events"))
        read_events (reader, &block->events, room_id, where, kind, state_only);
      else if (g_str_equal (name, "limited"))
        read_node (reader, &block->limited);
      else if (g_str_equal (name, "prev_batch"))
        read_node (reader, &block->prev_batch);
      else
        _matrix_json_reader_skip (reader);
    }
}

static void
read_room (MatrixJsonReader   *reader,
           Room               *room,
           const char         *section,
           MatrixSyncRoomKind  kind)
{
  g_autofree char *where = g_strdup_printf ("rooms.%s.%s", section, room->room_id);
  const char *name;

  room_clear (room);
  if (_matrix_json_reader_peek (reader) != JSON_NODE_OBJECT)
    {
      room->other = _matrix_json_reader_read_node (reader);
      return;
    }
  if (!_matrix_json_reader_enter (reader))
    return;

  while ((name = _matrix_json_reader_next_member (reader)) != NULL)
    {
      Block *block = NULL;

      if (kind == MATRIX_SYNC_ROOM_INVITE)
        block = g_str_equal (name, "invite_state") ? &room->invite_state : NULL;
      else if (g_str_equal (name, "state"))
        block = &room->state;
      else if (g_str_equal (name, "timeline"))
        block = &room->timeline;

      if (block != NULL)
        {
          /* Where its left-out events are noted: "rooms.join.!id.timeline". */
          g_autofree char *block_where = g_strconcat (where, ".", name, NULL);

          read_block (reader, block, room->room_id, block_where, kind, block != &room->timeline);
        }
      else if (kind == MATRIX_SYNC_ROOM_INVITE)
        _matrix_json_reader_skip (reader);
      else if (g_str_equal (name, "summary"))
        read_node (reader, &room->summary);
      else if (g_str_equal (name, "unread_notifications"))
        read_node (reader, &room->unread_notifications);
      else if (kind == MATRIX_SYNC_ROOM_JOIN && g_str_equal (name, "ephemeral"))
        read_node (reader, &room->ephemeral);
      else if (kind == MATRIX_SYNC_ROOM_JOIN && g_str_equal (name, "account_data"))
        read_node (reader, &room->account_data);
      else
        _matrix_json_reader_skip (reader);
    }
}

static void
read_section (MatrixJsonReader   *reader,
              Section            *section,
              const char         *name,
              MatrixSyncRoomKind  kind)
{
  const char *room_id;

  section_clear (section);
  if (!enter_member (reader, &section->member, JSON_NODE_OBJECT))
    return;

  section->rooms = g_ptr_array_new_with_free_func ((GDestroyNotify) room_free);
  section->index = g_hash_table_new (g_str_hash, g_str_equal);
  while ((room_id = _matrix_json_reader_next_member (reader)) != NULL)
    {
      guint position = GPOINTER_TO_UINT (g_hash_table_lookup (section->index, room_id));
      Room *room;

      if (position > 0)
        room = g_ptr_array_index (section->rooms, position - 1);
      else
        {
          room = g_new0 (Room, 1);
          room->room_id = g_strdup (room_id);
          g_ptr_array_add (section->rooms, room);
          g_hash_table_insert (section->index, room->room_id, GUINT_TO_POINTER (section->rooms->len));
        }
      read_room (reader, room, name, kind);
    }
}

static void
read_rooms (MatrixJsonReader *reader,
            Body             *body)
{
  const char *name;

  for (guint i = 0; i < N_SECTIONS; i++)
    section_clear (&body->sections[i]);
  if (!enter_member (reader, &body->rooms, JSON_NODE_OBJECT))
    return;

  while ((name = _matrix_json_reader_next_member (reader)) != NULL)
    {
      guint i;

      for (i = 0; i < N_SECTIONS && !g_str_equal (name, section_names[i]); i++)
        ;
      if (i < N_SECTIONS)
        read_section (reader, &body->sections[i], section_names[i], (MatrixSyncRoomKind) i);
      else
        _matrix_json_reader_skip (reader);
    }
}

/* --- checking what was read ----------------------------------------------- */

static guint
block_events (const Block *block)
{
  return block->events.events != NULL ? block->events.events->len : 0;
}

/* Whether @body holds no more rooms and events than a homeserver sends. */
static gboolean
check_size (const Body  *body,
            GError     **error)
{
  guint n_rooms = 0, n_events = 0;

  for (guint i = 0; i < N_SECTIONS; i++)
    {
      const Section *section = &body->sections[i];

      if (section->rooms == NULL)
        continue;
      n_rooms += section->rooms->len;
      for (guint j = 0; j < section->rooms->len; j++)
        {
          const Room *room = g_ptr_array_index (section->rooms, j);

          n_events += block_events (&room->state) + block_events (&room->timeline) +
                      block_events (&room->invite_state);
        }
    }

  if (n_rooms > MAX_SYNC_ROOMS)
    {
      g_set_error (error, MATRIX_ERROR, MATRIX_ERROR_INVALID_RESPONSE,
                   "rooms: %u rooms, more than %u in one sync", n_rooms, MAX_SYNC_ROOMS);
      return FALSE;
    }
  if (n_events > MAX_SYNC_EVENTS)
    {
      g_set_error (error, MATRIX_ERROR, MATRIX_ERROR_INVALID_RESPONSE,
                   "rooms: %u events, more than %u in one sync", n_events, MAX_SYNC_EVENTS);
      return FALSE;
    }
  return TRUE;
}

/* Checks a member that should hold an object or an array, as
 * _matrix_json_get_object() and _matrix_json_get_array() would; TRUE with
 * *present set when it holds one. */
static gboolean
check_member (const Member  *member,
              const char    *where,
              const char    *name,
              gboolean       required,
              JsonNodeType   type,
              gboolean      *present,
              GError       **error)
{
  JsonObject *object;
  JsonArray *array;

  *present = member->present && member->other == NULL;
  if (*present)
    return TRUE;
  if (type == JSON_NODE_OBJECT)
    return _matrix_json_node_get_object (member->other, where, name, required, &object, error);
  return _matrix_json_node_get_array (member->other, where, name, required, &array, error);
}

static void
take_notes (MatrixSyncResponse *response,
            Events             *events)
{
  for (guint i = 0; events->notes != NULL && i < events->notes->len; i++)
    g_ptr_array_add (response->dropped, g_steal_pointer (&events->notes->pdata[i]));
}

static GPtrArray *
take_events (Events *events)
{
  return g_steal_pointer (&events->events);
}

/* A room's value must be an object, whatever the section. */
static gboolean
check_room_object (Room        *room,
                   const char  *where,
                   GError     **error)
{
  if (room->other != NULL)
    {
      g_set_error (error, MATRIX_ERROR, MATRIX_ERROR_INVALID_RESPONSE, "%s: expected an object", where);
      return FALSE;
    }
  return TRUE;
}

static MatrixSyncRoom *
add_sync_room (MatrixSyncResponse *response,
               Room               *room,
               MatrixSyncRoomKind  kind)
{
  MatrixSyncRoom *out = g_new0 (MatrixSyncRoom, 1);

  g_ptr_array_add (response->rooms, out);
  out->room_id = g_strdup (room->room_id);
  out->kind = kind;
  return out;
}

static gboolean
check_room (MatrixSyncResponse  *response,
            Room                *room,
            MatrixSyncRoomKind   kind,
            const char          *section,
            GError             **error)
{
  g_autofree char *where = g_strdup_printf ("rooms.%s.%s", section, room->room_id);
  g_autofree char *state_where = g_strconcat (where, ".state", NULL);
  g_autofree char *timeline_where = g_strconcat (where, ".timeline", NULL);
  gboolean state = FALSE, timeline = FALSE, state_events = FALSE, timeline_events = FALSE;
  JsonObject *summary, *unread;
  const char *prev_batch = NULL;
  gboolean limited = FALSE;
  MatrixSyncRoom *out;

  if (!check_room_object (room, where, error) ||
      !check_member (&room->state.member, where, "state", FALSE, JSON_NODE_OBJECT, &state, error) ||
      !check_member (&room->timeline.member, where, "timeline", FALSE, JSON_NODE_OBJECT, &timeline, error) ||
      !_matrix_json_node_get_object (room->summary, where, "summary", FALSE, &summary, error) ||
      !_matrix_json_node_get_object (room->unread_notifications, where, "unread_notifications", FALSE,
                                     &unread, error))
    return FALSE;

  if (state &&
      !check_member (&room->state.events.member, state_where, "events", FALSE, JSON_NODE_ARRAY,
                     &state_events, error))
    return FALSE;

  if (timeline &&
      (!check_member (&room->timeline.events.member, timeline_where, "events", TRUE, JSON_NODE_ARRAY,
                      &timeline_events, error) ||
       !_matrix_json_node_get_bool (room->timeline.limited, timeline_where, "limited", FALSE, &limited,
                                    error) ||
       !_matrix_json_node_get_token (room->timeline.prev_batch, timeline_where, "prev_batch", FALSE,
                                     &prev_batch, error)))
    return FALSE;

  out = add_sync_room (response, room, kind);
  out->limited = limited;
  out->prev_batch = g_strdup (prev_batch);
  out->summary = summary != NULL ? json_object_ref (summary) : NULL;
  out->unread_notifications = unread != NULL ? json_object_ref (unread) : NULL;
  out->ephemeral = _matrix_sync_basic_events (room->ephemeral);
  out->account_data = _matrix_sync_basic_events (room->account_data);

  if (state)
    {
      take_notes (response, &room->state.events);
      out->state = state_events ? take_events (&room->state.events)
                                : g_ptr_array_new_with_free_func (g_object_unref);
    }
  if (timeline)
    {
      take_notes (response, &room->timeline.events);
      out->timeline = take_events (&room->timeline.events);
    }

  return TRUE;
}

static gboolean
check_invited_room (MatrixSyncResponse  *response,
                    Room                *room,
                    GError             **error)
{
  g_autofree char *where = g_strdup_printf ("rooms.invite.%s", room->room_id);
  g_autofree char *state_where = g_strconcat (where, ".invite_state", NULL);
  gboolean invite_state = FALSE, events = FALSE;
  MatrixSyncRoom *out;

  if (!check_room_object (room, where, error) ||
      !check_member (&room->invite_state.member, where, "invite_state", FALSE, JSON_NODE_OBJECT,
                     &invite_state, error) ||
      (invite_state &&
       !check_member (&room->invite_state.events.member, state_where, "events", FALSE, JSON_NODE_ARRAY,
                      &events, error)))
    return FALSE;

  out = add_sync_room (response, room, MATRIX_SYNC_ROOM_INVITE);
  if (events)
    {
      take_notes (response, &room->invite_state.events);
      out->invite_state = take_events (&room->invite_state.events);
    }
  else
    out->invite_state = g_ptr_array_new_with_free_func ((GDestroyNotify) json_object_unref);

  return TRUE;
}

static gboolean
check_section (MatrixSyncResponse  *response,
               Section             *section,
               MatrixSyncRoomKind   kind,
               GError             **error)
{
  const char *name = section_names[kind];
  gboolean present;

  if (!check_member (&section->member, "rooms", name, FALSE, JSON_NODE_OBJECT, &present, error))
    return FALSE;
  if (!present)
    return TRUE;

  for (guint i = 0; i < section->rooms->len; i++)
    {
      Room *room = g_ptr_array_index (section->rooms, i);

      if (kind == MATRIX_SYNC_ROOM_INVITE ? !check_invited_room (response, room, error)
                                          : !check_room (response, room, kind, name, error))
        return FALSE;
    }

  return TRUE;
}

/* The user ids of @node (an array), invalid ones left out. */
static JsonArray *
user_id_array (JsonNode *node)
{
  JsonArray *out = json_array_new ();
  JsonArray *in;

  if (node == NULL || !JSON_NODE_HOLDS_ARRAY (node))
    return out;
  in = json_node_get_array (node);
  for (guint i = 0; i < json_array_get_length (in); i++)
    {
      JsonNode *element = json_array_get_element (in, i);
      const char *id;

      if (JSON_NODE_HOLDS_VALUE (element) && json_node_get_value_type (element) == G_TYPE_STRING &&
          (id = json_node_get_string (element))[0] == '@' && strchr (id, ':') != NULL &&
          strlen (id) <= 255)
        json_array_add_string_element (out, id);
    }
  return out;
}

/* The sync's parts for the crypto machine, checked for shape (the machine
 * checks the rest): {"to_device_events", "changed", "left",
 * "one_time_key_counts", "unused_fallback_key_types", "next_batch"}. NULL
 * when the response has none of them. A to-device event that is not an
 * object with a string type and sender and an object content is left out
 * with a note, as a timeline event would be. */
static JsonObject *
crypto_changes (Body               *read,
                MatrixSyncResponse *response)
{
  JsonObject *changes;
  JsonArray *events = json_array_new ();
  JsonObject *counts = json_object_new ();
  JsonNode *array;

  if (read->to_device == NULL && read->device_lists == NULL &&
      read->one_time_key_counts == NULL && read->fallback_key_types == NULL)
    {
      json_array_unref (events);
      json_object_unref (counts);
      return NULL;
    }

  if (read->to_device != NULL && JSON_NODE_HOLDS_OBJECT (read->to_device) &&
      (array = json_object_get_member (json_node_get_object (read->to_device), "events")) != NULL &&
      JSON_NODE_HOLDS_ARRAY (array))
    for (guint i = 0; i < json_array_get_length (json_node_get_array (array)); i++)
      {
        JsonNode *node = json_array_get_element (json_node_get_array (array), i);
        JsonObject *event, *content;
        const char *type, *sender;

        if (!JSON_NODE_HOLDS_OBJECT (node) ||
            !_matrix_json_get_string (event = json_node_get_object (node), NULL, "type", TRUE,
                                      &type, NULL) ||
            !_matrix_json_get_string (event, NULL, "sender", TRUE, &sender, NULL) ||
            !_matrix_json_get_object (event, NULL, "content", TRUE, &content, NULL))
          {
            g_ptr_array_add (response->dropped,
                             g_strdup_printf ("to_device event %u: not an event", i));
            continue;
          }
        json_array_add_object_element (events, json_object_ref (event));
      }

  if (read->one_time_key_counts != NULL && JSON_NODE_HOLDS_OBJECT (read->one_time_key_counts))
    {
      JsonObject *in = json_node_get_object (read->one_time_key_counts);
      g_autoptr(GList) names = json_object_get_members (in);

      for (GList *l = names; l != NULL; l = l->next)
        {
          gint64 count;

          if (_matrix_json_get_int (in, NULL, l->data, TRUE, &count, NULL) && count >= 0)
            json_object_set_int_member (counts, l->data, count);
        }
    }

  changes = json_object_new ();
  json_object_set_array_member (changes, "to_device_events", events);
  if (read->device_lists != NULL && JSON_NODE_HOLDS_OBJECT (read->device_lists))
    {
      JsonObject *lists = json_node_get_object (read->device_lists);

      json_object_set_array_member (changes, "changed",
                                    user_id_array (json_object_get_member (lists, "changed")));
      json_object_set_array_member (changes, "left",
                                    user_id_array (json_object_get_member (lists, "left")));
    }
  json_object_set_object_member (changes, "one_time_key_counts", counts);
  /* Absent means the server does not say (not "none unused"). */
  if (read->fallback_key_types != NULL && JSON_NODE_HOLDS_ARRAY (read->fallback_key_types))
    {
      JsonArray *in = json_node_get_array (read->fallback_key_types);
      JsonArray *types = json_array_new ();

      for (guint i = 0; i < json_array_get_length (in); i++)
        {
          JsonNode *element = json_array_get_element (in, i);

          if (JSON_NODE_HOLDS_VALUE (element) &&
              json_node_get_value_type (element) == G_TYPE_STRING)
            json_array_add_string_element (types, json_node_get_string (element));
        }
      json_object_set_array_member (changes, "unused_fallback_key_types", types);
    }
  json_object_set_string_member (changes, "next_batch", response->next_batch);
  return changes;
}

/**
 * _matrix_sync_response_parse:
 * @body: the body of a 2xx /sync response
 * @error: return location for a #GError
 *
 * Returns: (transfer full) (nullable): the validated response
 */
MatrixSyncResponse *
_matrix_sync_response_parse (GBytes  *body,
                             GError **error)
{
  g_autoptr(MatrixSyncResponse) response = _matrix_sync_response_new ();
  g_autoptr(MatrixJsonReader) reader = NULL;
  Body read = { NULL };
  const char *next_batch, *name;
  gboolean rooms = FALSE;
  gsize length;
  const char *data = g_bytes_get_data (body, &length);

  reader = _matrix_json_reader_new (data, length, TRUE);
  if (_matrix_json_reader_enter (reader))
    while ((name = _matrix_json_reader_next_member (reader)) != NULL)
      {
        if (g_str_equal (name, "next_batch"))
          read_node (reader, &read.next_batch);
        else if (g_str_equal (name, "rooms"))
          read_rooms (reader, &read);
        else if (g_str_equal (name, "account_data"))
          read_node (reader, &read.account_data);
        else if (g_str_equal (name, "to_device"))
          read_node (reader, &read.to_device);
        else if (g_str_equal (name, "device_lists"))
          read_node (reader, &read.device_lists);
        else if (g_str_equal (name, "device_one_time_keys_count"))
          read_node (reader, &read.one_time_key_counts);
        else if (g_str_equal (name, "device_unused_fallback_key_types"))
          read_node (reader, &read.fallback_key_types);
        else
          _matrix_json_reader_skip (reader);
      }

  if (!_matrix_json_reader_finish (reader, error) ||
      !_matrix_json_node_get_token (read.next_batch, NULL, "next_batch", TRUE, &next_batch, error) ||
      !check_member (&read.rooms, NULL, "rooms", FALSE, JSON_NODE_OBJECT, &rooms, error))
    {
      body_clear (&read);
      return NULL;
    }

  if (!check_size (&read, error))
    {
      body_clear (&read);
      return NULL;
    }

  response->next_batch = g_strdup (next_batch);
  /* Invalid global account data is left out, as a room's is. */
  response->account_data = _matrix_sync_basic_events (read.account_data);
  response->crypto_changes = crypto_changes (&read, response);

  for (guint i = 0; rooms && i < N_SECTIONS; i++)
    if (!check_section (response, &read.sections[i], (MatrixSyncRoomKind) i, error))
      {
        body_clear (&read);
        return NULL;
      }

  body_clear (&read);
  return g_steal_pointer (&response);
}
