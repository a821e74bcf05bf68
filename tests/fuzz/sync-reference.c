/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "fuzz-sync"

/* The reference the sync fuzz target holds _matrix_sync_response_parse() to:
 * the same validation done the plain way, on the body parsed whole into a
 * json-glib tree and walked (what matrix-sync.c did before it read the body
 * a member at a time). Both must agree on every input, errors included;
 * they share the check of an invite's stripped state events. */

#include "matrix-error.h"
#include "matrix-json-private.h"
#include "sync-reference.h"

static gboolean
parse_events (MatrixSyncResponse  *response,
              const char          *room_id,
              const char          *where,
              JsonArray           *array,
              gboolean             state_only,
              GPtrArray          **out,
              GError             **error)
{
  g_autoptr(GPtrArray) events = g_ptr_array_new_with_free_func (g_object_unref);
  g_autoptr(GHashTable) seen = g_hash_table_new (g_str_hash, g_str_equal);
  guint n = json_array_get_length (array);

  for (guint i = 0; i < n; i++)
    {
      JsonNode *node = json_array_get_element (array, i);
      g_autoptr(GError) local_error = NULL;
      MatrixEvent *event;

      if (!JSON_NODE_HOLDS_OBJECT (node))
        {
          g_ptr_array_add (response->dropped,
                           g_strdup_printf ("%s.events[%u]: not an object", where, i));
          continue;
        }

      if (state_only)
        event = MATRIX_EVENT (matrix_state_event_new_from_json (room_id, json_node_get_object (node),
                                                                &local_error));
      else
        event = matrix_event_new_from_json (room_id, json_node_get_object (node), &local_error);

      if (event == NULL)
        {
          g_ptr_array_add (response->dropped,
                           g_strdup_printf ("%s.events[%u]: %s", where, i, local_error->message));
          continue;
        }

      /* An event id is unique: a second copy is a server bug, not news.
       * (Checked before adding: g_hash_table_add() would replace the stored
       * key, borrowed from the first copy, with this one's, freed below.) */
      if (g_hash_table_contains (seen, matrix_event_get_event_id (event)))
        {
          g_ptr_array_add (response->dropped,
                           g_strdup_printf ("%s.events[%u]: duplicate event id %s", where, i,
                                            matrix_event_get_event_id (event)));
          g_object_unref (event);
          continue;
        }

      g_hash_table_add (seen, (gpointer) matrix_event_get_event_id (event));
      g_ptr_array_add (events, event);
    }

  *out = g_steal_pointer (&events);
  return TRUE;
}

static gboolean
parse_room (MatrixSyncResponse  *response,
            MatrixSyncRoomKind   kind,
            const char          *section,
            const char          *room_id,
            JsonNode            *node,
            GError             **error)
{
  g_autofree char *where = g_strdup_printf ("rooms.%s.%s", section, room_id);
  g_autofree char *state_where = g_strconcat (where, ".state", NULL);
  g_autofree char *timeline_where = g_strconcat (where, ".timeline", NULL);
  MatrixSyncRoom *room;
  JsonObject *object, *state, *timeline, *summary, *unread;
  JsonArray *state_events = NULL, *timeline_events = NULL;
  const char *prev_batch = NULL;
  gboolean limited = FALSE;

  if (!JSON_NODE_HOLDS_OBJECT (node))
    {
      g_set_error (error, MATRIX_ERROR, MATRIX_ERROR_INVALID_RESPONSE, "%s: expected an object", where);
      return FALSE;
    }
  object = json_node_get_object (node);

  if (!_matrix_json_get_object (object, where, "state", FALSE, &state, error) ||
      !_matrix_json_get_object (object, where, "timeline", FALSE, &timeline, error) ||
      !_matrix_json_get_object (object, where, "summary", FALSE, &summary, error) ||
      !_matrix_json_get_object (object, where, "unread_notifications", FALSE, &unread, error))
    return FALSE;

  if (state != NULL &&
      !_matrix_json_get_array (state, state_where, "events", FALSE, &state_events, error))
    return FALSE;

  if (timeline != NULL &&
      (!_matrix_json_get_array (timeline, timeline_where, "events", TRUE, &timeline_events, error) ||
       !_matrix_json_get_bool (timeline, timeline_where, "limited", FALSE, &limited, error) ||
       !_matrix_json_get_token (timeline, timeline_where, "prev_batch", FALSE, &prev_batch, error)))
    return FALSE;

  room = g_new0 (MatrixSyncRoom, 1);
  g_ptr_array_add (response->rooms, room);
  room->room_id = g_strdup (room_id);
  room->kind = kind;
  room->limited = limited;
  room->prev_batch = g_strdup (prev_batch);
  room->summary = summary != NULL ? json_object_ref (summary) : NULL;
  room->unread_notifications = unread != NULL ? json_object_ref (unread) : NULL;
  if (kind == MATRIX_SYNC_ROOM_JOIN)
    {
      room->ephemeral = _matrix_sync_basic_events (json_object_get_member (object, "ephemeral"));
      room->account_data = _matrix_sync_basic_events (json_object_get_member (object, "account_data"));
    }

  if (state != NULL)
    {
      if (state_events != NULL)
        parse_events (response, room_id, state_where, state_events, TRUE, &room->state, error);
      else
        room->state = g_ptr_array_new_with_free_func (g_object_unref);
    }

  if (timeline != NULL)
    parse_events (response, room_id, timeline_where, timeline_events, FALSE, &room->timeline, error);

  return TRUE;
}

static gboolean
parse_invited_room (MatrixSyncResponse  *response,
                    const char          *room_id,
                    JsonNode            *node,
                    GError             **error)
{
  g_autofree char *where = g_strdup_printf ("rooms.invite.%s", room_id);
  g_autofree char *state_where = g_strconcat (where, ".invite_state", NULL);
  JsonObject *object, *invite_state;
  JsonArray *events = NULL;
  MatrixSyncRoom *room;
  guint n;

  if (!JSON_NODE_HOLDS_OBJECT (node))
    {
      g_set_error (error, MATRIX_ERROR, MATRIX_ERROR_INVALID_RESPONSE, "%s: expected an object", where);
      return FALSE;
    }
  object = json_node_get_object (node);

  if (!_matrix_json_get_object (object, where, "invite_state", FALSE, &invite_state, error) ||
      (invite_state != NULL &&
       !_matrix_json_get_array (invite_state, state_where, "events", FALSE, &events, error)))
    return FALSE;

  room = g_new0 (MatrixSyncRoom, 1);
  g_ptr_array_add (response->rooms, room);
  room->room_id = g_strdup (room_id);
  room->kind = MATRIX_SYNC_ROOM_INVITE;
  room->invite_state = g_ptr_array_new_with_free_func ((GDestroyNotify) json_object_unref);

  n = events != NULL ? json_array_get_length (events) : 0;
  for (guint i = 0; i < n; i++)
    {
      JsonNode *element = json_array_get_element (events, i);
      g_autoptr(GError) local_error = NULL;

      if (!JSON_NODE_HOLDS_OBJECT (element))
        {
          g_ptr_array_add (response->dropped,
                           g_strdup_printf ("%s.events[%u]: not an object", state_where, i));
          continue;
        }
      if (!_matrix_sync_validate_stripped_event (json_node_get_object (element), &local_error))
        {
          g_ptr_array_add (response->dropped,
                           g_strdup_printf ("%s.events[%u]: %s", state_where, i, local_error->message));
          continue;
        }
      g_ptr_array_add (room->invite_state, json_object_ref (json_node_get_object (element)));
    }

  return TRUE;
}

static gboolean
parse_rooms_section (MatrixSyncResponse  *response,
                     JsonObject          *rooms,
                     const char          *section,
                     MatrixSyncRoomKind   kind,
                     GError             **error)
{
  g_autoptr(GList) room_ids = NULL;
  JsonObject *object;

  if (!_matrix_json_get_object (rooms, "rooms", section, FALSE, &object, error))
    return FALSE;
  if (object == NULL)
    return TRUE;

  /* Member order is the body's order, which is the order signals go out in. */
  room_ids = json_object_get_members (object);
  for (GList *l = room_ids; l != NULL; l = l->next)
    {
      g_autofree char *room_id = g_strdup (l->data);
      JsonNode *node = json_object_get_member (object, room_id);

      if (kind == MATRIX_SYNC_ROOM_INVITE
          ? !parse_invited_room (response, room_id, node, error)
          : !parse_room (response, kind, section, room_id, node, error))
        return FALSE;

      /* Drop what is left of the room's JSON (what the events keep is
       * referenced) while it is still in the cache, rather than walking the
       * whole cold tree again at the end. */
      json_object_remove_member (object, room_id);
    }

  return TRUE;
}

MatrixSyncResponse *
sync_reference_parse (GBytes  *body,
                      GError **error)
{
  g_autoptr(MatrixSyncResponse) response = _matrix_sync_response_new ();
  g_autoptr(JsonObject) root = NULL;
  JsonObject *rooms;
  const char *next_batch;
  gsize length;
  const char *data = g_bytes_get_data (body, &length);


  root = _matrix_json_parse_object (data, length, error);
  if (root == NULL)
    return NULL;

  if (!_matrix_json_get_token (root, NULL, "next_batch", TRUE, &next_batch, error) ||
      !_matrix_json_get_object (root, NULL, "rooms", FALSE, &rooms, error))
    return NULL;

  response->next_batch = g_strdup (next_batch);

  if (rooms != NULL &&
      (!parse_rooms_section (response, rooms, "join", MATRIX_SYNC_ROOM_JOIN, error) ||
       !parse_rooms_section (response, rooms, "leave", MATRIX_SYNC_ROOM_LEAVE, error) ||
       !parse_rooms_section (response, rooms, "invite", MATRIX_SYNC_ROOM_INVITE, error)))
    return NULL;

  return g_steal_pointer (&response);
}
