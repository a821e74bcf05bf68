/* SPDX-License-Identifier: LGPL-2.1-or-later */
#define G_LOG_DOMAIN "matrix-client"


#include <libsoup/soup.h>

#include "matrix-client-private.h"
#include "matrix-client-crypto-private.h"
#include "matrix-error.h"
#include "matrix-json-private.h"
#include "matrix-sliding-sync-private.h"
#include "matrix-room-create.h"
#include "matrix-sync-private.h"
#include "matrix-verification-private.h"
#include "matrix-version.h"
#include "matrix-client-impl-private.h"

/* --- encrypted rooms ------------------------------------------------------ *
 *
 * The client never sends readable content into a room whose state has
 * m.room.encryption. Every request goes through
 * _matrix_client_request_async(), which checks it on the path as it goes on
 * the wire: whatever built the request (matrix_client_send_event_async(), a
 * timeline's send or retry, matrix_client_request_async()), an event sent
 * with /rooms/{roomId}/send/{eventType} into an encrypted room is encrypted
 * by the account's machine first (send_into_encrypted_room()), or, with no
 * machine, refused with MATRIX_ERROR_ROOM_ENCRYPTED before any byte leaves,
 * unless it is a redaction or already encrypted. State events (/state/) and redactions
 * (/redact/) are not encrypted in encrypted rooms either, so they go.
 *
 * What the client knows of a room, in order:
 * - m.room.encryption in the store's state (a tracker keeps it there), or in
 *   a sync the client dispatched (joined, left or invited rooms: a client
 *   without a tracker learns it there): encrypted, for good — the spec has
 *   no way to turn encryption off.
 * - a room the store has not loaded whole: loaded first, then asked again.
 * - m.room.create in the store's state: the store holds the room's whole
 *   state, which has no m.room.encryption: not encrypted.
 * - m.room.create in a sync, or a 404 from the server for the room's
 *   m.room.encryption: not encrypted while the client syncs (the sync brings
 *   a change), else for plain_ttl_ms.
 * - otherwise the client asks the server, GET /state/m.room.encryption/, and
 *   sends only on a 404; any other failure fails the send.
 */

typedef enum {
  ROOM_PLAIN,
  ROOM_ENCRYPTED,
  ROOM_NOT_LOADED,
  ROOM_UNKNOWN,
} RoomEncryption;

static void
note_plain_room (MatrixClient *self,
                 const char   *room_id)
{
  gint64 *known_at = g_new (gint64, 1);

  *known_at = g_get_monotonic_time ();
  g_hash_table_replace (self->plain_rooms, g_strdup (room_id), known_at);
}

static RoomEncryption
room_encryption (MatrixClient *self,
                 const char   *room_id)
{
  g_autoptr(MatrixStateEvent) encryption = NULL;
  g_autoptr(MatrixStateEvent) create = NULL;
  gint64 *known_at;

  if (g_hash_table_contains (self->encrypted_rooms, room_id))
    return ROOM_ENCRYPTED;
  encryption = matrix_store_get_state_event (self->store, room_id, "m.room.encryption", "");
  if (encryption != NULL)
    return ROOM_ENCRYPTED;
  if (!matrix_store_is_room_loaded (self->store, room_id))
    return ROOM_NOT_LOADED;
  create = matrix_store_get_state_event (self->store, room_id, "m.room.create", "");
  if (create != NULL)
    return ROOM_PLAIN;

  known_at = g_hash_table_lookup (self->plain_rooms, room_id);
  if (known_at != NULL &&
      (self->syncing || g_get_monotonic_time () - *known_at < (gint64) self->plain_ttl_ms * 1000))
    return ROOM_PLAIN;

  return ROOM_UNKNOWN;
}

/* What one room of a sync response says of its encryption, before anything
 * else hears of it. */
void
_matrix_client_note_sync_room (MatrixClient   *self,
                               MatrixSyncRoom *room)
{
  GPtrArray *sections[] = { room->state, room->timeline };
  gboolean encrypted = FALSE, created = FALSE;

  for (guint s = 0; s < G_N_ELEMENTS (sections); s++)
    for (guint i = 0; sections[s] != NULL && i < sections[s]->len; i++)
      {
        MatrixEvent *event = g_ptr_array_index (sections[s], i);
        const char *type = matrix_event_get_event_type (event);

        if (!MATRIX_IS_STATE_EVENT (event) ||
            g_strcmp0 (matrix_state_event_get_state_key (MATRIX_STATE_EVENT (event)), "") != 0)
          continue;
        encrypted |= g_strcmp0 (type, "m.room.encryption") == 0;
        created |= g_strcmp0 (type, "m.room.create") == 0;
      }

  for (guint i = 0; room->invite_state != NULL && i < room->invite_state->len; i++)
    {
      JsonObject *stripped = g_ptr_array_index (room->invite_state, i);

      encrypted |= g_strcmp0 (json_object_get_string_member_with_default (stripped, "type", NULL),
                              "m.room.encryption") == 0 &&
                   g_strcmp0 (json_object_get_string_member_with_default (stripped, "state_key", NULL),
                              "") == 0;
    }

  if (encrypted)
    g_hash_table_add (self->encrypted_rooms, g_strdup (room->room_id));
  else if (created)
    note_plain_room (self, room->room_id);
}

/* The room and event type of a request to /rooms/{roomId}/send/{eventType},
 * read off the path that goes on the wire, whatever built it. */
static gboolean
parse_room_send (SoupMessage  *message,
                 char        **room_id,
                 char        **event_type)
{
  g_auto(GStrv) segments = g_strsplit (g_uri_get_path (soup_message_get_uri (message)), "/", -1);
  guint n = g_strv_length (segments);

  for (guint i = 0; i + 2 < n; i++)
    {
      g_autofree char *rooms = g_uri_unescape_string (segments[i], NULL);
      g_autofree char *send = g_uri_unescape_string (segments[i + 2], NULL);
      char *type = NULL;

      if (g_strcmp0 (rooms, "rooms") != 0 || g_strcmp0 (send, "send") != 0)
        continue;

      /* A segment that does not unescape is taken as it is: the room is then
       * unknown, which is never taken for unencrypted. */
      *room_id = g_uri_unescape_string (segments[i + 1], NULL);
      if (*room_id == NULL)
        *room_id = g_strdup (segments[i + 1]);
      if (i + 3 < n)
        type = g_uri_unescape_string (segments[i + 3], NULL);
      *event_type = type;
      return TRUE;
    }

  return FALSE;
}

/* A redaction carries no content of its own (as in encrypted rooms
 * everywhere); an m.room.encrypted event carries only ciphertext. */
gboolean
_matrix_client_may_send_unencrypted (const char *event_type,
                                     JsonObject *content)
{
  if (g_strcmp0 (event_type, "m.room.redaction") == 0)
    return TRUE;

  return g_strcmp0 (event_type, "m.room.encrypted") == 0 && content != NULL &&
         json_object_has_member (content, "algorithm") &&
         json_object_has_member (content, "ciphertext");
}

typedef struct {
  SoupMessage *message;
  char        *room_id;
  char        *event_type;
  JsonNode    *body;       /* nullable */
  gboolean     load_asked;
} GuardedSend;

static void
guarded_send_free (GuardedSend *send)
{
  g_clear_object (&send->message);
  g_free (send->room_id);
  g_free (send->event_type);
  g_clear_pointer (&send->body, json_node_unref);
  g_free (send);
}

static void
on_send_encrypted (GObject      *source,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  MatrixClient *self = MATRIX_CLIENT (source);
  GTask *task = user_data;
  GuardedSend *send = g_task_get_task_data (task);
  g_autoptr(JsonObject) encrypted = NULL;
  g_autoptr(JsonNode) node = NULL;
  g_autoptr(SoupMessage) message = NULL;
  g_autofree char *path = NULL;
  g_autofree char *txn_id = NULL;
  const char *old_path;
  GError *error = NULL;

  encrypted = _matrix_client_crypto_encrypt_finish (self, result, &error);
  if (encrypted == NULL)
    {
      g_task_return_error (task, error);
      g_object_unref (task);
      return;
    }
  /* The same transaction id, so a retried send stays one event. */
  old_path = g_uri_get_path (soup_message_get_uri (send->message));
  txn_id = g_uri_unescape_string (strrchr (old_path, '/') + 1, NULL);
  path = matrix_client_build_path ("v3", "rooms", send->room_id, "send", "m.room.encrypted",
                                   txn_id != NULL ? txn_id : "", NULL);
  node = json_node_init_object (json_node_alloc (), encrypted);
  message = _matrix_client_new_api_message (self, "PUT", path, NULL, node, TRUE, &error);
  if (message == NULL)
    {
      g_task_return_error (task, error);
      g_object_unref (task);
      return;
    }
  _matrix_client_send_message_async (self, message, g_task_get_cancellable (task), _matrix_client_on_request_done, task);
}

/* Takes @task. In a room known to be encrypted: encrypts and sends when the
 * account has a crypto machine, refuses otherwise (never plaintext). */
static void
send_into_encrypted_room (MatrixClient *self,
                          GTask        *task)
{
  GuardedSend *send = g_task_get_task_data (task);

  if (_matrix_client_get_crypto (self) != NULL && send->event_type != NULL &&
      send->body != NULL && JSON_NODE_HOLDS_OBJECT (send->body) &&
      g_strcmp0 (soup_message_get_method (send->message), "PUT") == 0)
    {
      _matrix_client_crypto_encrypt_async (self, send->room_id, send->event_type,
                                           json_node_get_object (send->body),
                                           g_task_get_cancellable (task), on_send_encrypted, task);
      return;
    }
  g_task_return_new_error (task, MATRIX_ERROR, MATRIX_ERROR_ROOM_ENCRYPTED,
                           "Room %s is encrypted, and this client cannot encrypt: "
                           "the event was not sent", send->room_id);
  g_object_unref (task);
}

static void check_room_then_send (MatrixClient *self,
                                  GTask        *task);

static void
on_guard_room_loaded (GObject      *source,
                      GAsyncResult *result,
                      gpointer      user_data)
{
  GTask *task = user_data;
  GError *error = NULL;

  if (!matrix_store_load_rooms_finish (MATRIX_STORE (source), result, &error))
    {
      g_task_return_error (task, error);
      g_object_unref (task);
      return;
    }

  check_room_then_send (g_task_get_source_object (task), task);
}

static void
on_guard_state_answered (GObject      *source,
                         GAsyncResult *result,
                         gpointer      user_data)
{
  MatrixClient *self = MATRIX_CLIENT (source);
  g_autoptr(GTask) task = user_data;
  GuardedSend *send = g_task_get_task_data (task);
  g_autoptr(JsonObject) content = NULL;
  GCancellable *cancellable;
  GError *error = NULL;

  content = matrix_client_request_finish (self, result, &error);
  if (content != NULL)
    {
      g_hash_table_add (self->encrypted_rooms, g_strdup (send->room_id));
      send_into_encrypted_room (self, g_steal_pointer (&task));
      return;
    }
  if (!g_error_matches (error, MATRIX_ERROR, MATRIX_ERROR_NOT_FOUND))
    {
      g_task_return_error (task, error);
      return;
    }
  g_error_free (error);

  /* A sync may have told otherwise meanwhile. */
  if (g_hash_table_contains (self->encrypted_rooms, send->room_id))
    {
      send_into_encrypted_room (self, g_steal_pointer (&task));
      return;
    }

  note_plain_room (self, send->room_id);
  cancellable = g_task_get_cancellable (task);
  _matrix_client_send_message_async (self, send->message, cancellable, _matrix_client_on_request_done, g_steal_pointer (&task));
}

/* Takes @task, whose data is a GuardedSend. */
static void
check_room_then_send (MatrixClient *self,
                      GTask        *task)
{
  GuardedSend *send = g_task_get_task_data (task);
  GCancellable *cancellable = g_task_get_cancellable (task);
  RoomEncryption encryption = room_encryption (self, send->room_id);
  g_autofree char *path = NULL;

  if (encryption == ROOM_NOT_LOADED && !send->load_asked)
    {
      const char *room_ids[] = { send->room_id, NULL };

      send->load_asked = TRUE;
      matrix_store_load_rooms_async (self->store, room_ids, cancellable, on_guard_room_loaded, task);
      return;
    }

  switch (encryption)
    {
    case ROOM_ENCRYPTED:
      send_into_encrypted_room (self, task);
      break;
    case ROOM_PLAIN:
      _matrix_client_send_message_async (self, send->message, cancellable, _matrix_client_on_request_done, task);
      break;
    case ROOM_NOT_LOADED:
    case ROOM_UNKNOWN:
    default:
      path = matrix_client_build_path ("v3", "rooms", send->room_id, "state", "m.room.encryption",
                                       "", NULL);
      _matrix_client_request_async (self, "GET", path, NULL, NULL, TRUE, cancellable, on_guard_state_answered, task);
      break;
    }
}

/* TRUE when it took @task over: a send into a room that is encrypted, or may be. */
gboolean
_matrix_client_guard_room_send (MatrixClient *self,
                                GTask        *task,
                                SoupMessage  *message,
                                JsonNode     *body)
{
  g_autofree char *room_id = NULL;
  g_autofree char *event_type = NULL;
  GuardedSend *send;

  if (!parse_room_send (message, &room_id, &event_type) ||
      _matrix_client_may_send_unencrypted (event_type,
                                           body != NULL && JSON_NODE_HOLDS_OBJECT (body) ?
                                           json_node_get_object (body) : NULL))
    return FALSE;

  send = g_new0 (GuardedSend, 1);
  send->message = g_object_ref (message);
  send->room_id = g_steal_pointer (&room_id);
  send->event_type = g_steal_pointer (&event_type);
  send->body = body != NULL ? json_node_ref (body) : NULL;
  g_task_set_task_data (task, send, (GDestroyNotify) guarded_send_free);
  check_room_then_send (self, g_object_ref (task));
  return TRUE;
}

/**
 * matrix_client_is_room_encrypted:
 * @self: a #MatrixClient
 * @room_id: a room id
 *
 * Whether the client knows now that @room_id is encrypted: its store's
 * state, or a sync it dispatched, has `m.room.encryption`. A send checks
 * more (it reads a room the store has not loaded, or asks the server about
 * a room it knows nothing of) and is refused with
 * %MATRIX_ERROR_ROOM_ENCRYPTED however it was built.
 *
 * Returns: %TRUE if the room is known to be encrypted
 */
gboolean
matrix_client_is_room_encrypted (MatrixClient *self,
                                 const char   *room_id)
{
  g_return_val_if_fail (MATRIX_IS_CLIENT (self), FALSE);
  g_return_val_if_fail (room_id != NULL, FALSE);

  return room_encryption (self, room_id) == ROOM_ENCRYPTED;
}
