/* SPDX-License-Identifier: LGPL-2.1-or-later */
#define G_LOG_DOMAIN "matrix-direct-chats"

#include <string.h>

#include "matrix-direct-chats.h"
#include "matrix-error.h"
#include "matrix-json-private.h"
#include "matrix-room-create-private.h"
#include "matrix-room-members.h"

/**
 * SECTION:matrix-direct-chats
 *
 * Direct chats: the `m.direct` account data (user id → room ids), read
 * with every value checked (anything but a user id mapping to an array of
 * room ids is ignored, never fatal), and "start a chat", which reuses a
 * direct chat with that person or creates one.
 */

/* Past this many users or rooms per user, the rest is ignored: the
 * account data is anyone's client's to write. */
#define MAX_USERS 10000
#define MAX_ROOMS_PER_USER 1000

struct _MatrixDirectChats
{
  gatomicrefcount  ref_count;
  JsonObject      *content;   /* as read, to write back what we ignore */
  GHashTable      *rooms;     /* user id → GPtrArray of room ids */
  GHashTable      *users;     /* room id → user id (the first listing it) */
};

G_DEFINE_BOXED_TYPE (MatrixDirectChats, matrix_direct_chats,
                     matrix_direct_chats_ref, matrix_direct_chats_unref)

/* Room version 12 ids have no server name: `!` and an opaque rest. */
static gboolean
room_id_is_valid (const char *room_id)
{
  if (room_id == NULL || room_id[0] != '!' || room_id[1] == '\0' || strlen (room_id) > 255)
    return FALSE;
  for (const char *c = room_id; *c != '\0'; c++)
    if ((guchar) *c <= ' ' || *c == 0x7f)
      return FALSE;
  return g_utf8_validate (room_id, -1, NULL);
}

static GPtrArray *
rooms_of (MatrixDirectChats *self,
          const char        *user_id,
          gboolean           create)
{
  GPtrArray *rooms = g_hash_table_lookup (self->rooms, user_id);

  if (rooms == NULL && create)
    {
      rooms = g_ptr_array_new_with_free_func (g_free);
      g_hash_table_insert (self->rooms, g_strdup (user_id), rooms);
    }
  return rooms;
}

static gboolean
add_room (MatrixDirectChats *self,
          const char        *user_id,
          const char        *room_id)
{
  GPtrArray *rooms = rooms_of (self, user_id, TRUE);

  for (guint i = 0; i < rooms->len; i++)
    if (g_str_equal (g_ptr_array_index (rooms, i), room_id))
      return FALSE;
  if (rooms->len >= MAX_ROOMS_PER_USER)
    return FALSE;
  g_ptr_array_add (rooms, g_strdup (room_id));
  if (!g_hash_table_contains (self->users, room_id))
    g_hash_table_insert (self->users, g_strdup (room_id), g_strdup (user_id));
  return TRUE;
}

/**
 * matrix_direct_chats_new:
 * @content: (nullable): the content of `m.direct`, or %NULL for none
 *
 * Reads `m.direct`. Entries whose key is not a user id, whose value is not
 * an array, and array elements that are not room ids are ignored.
 *
 * Returns: (transfer full): the direct chats
 */
MatrixDirectChats *
matrix_direct_chats_new (JsonObject *content)
{
  MatrixDirectChats *self = g_new0 (MatrixDirectChats, 1);
  JsonObjectIter iter;
  const char *user_id;
  JsonNode *value;

  g_atomic_ref_count_init (&self->ref_count);
  self->rooms = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                       (GDestroyNotify) g_ptr_array_unref);
  self->users = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  self->content = content != NULL ? json_object_ref (content) : json_object_new ();

  json_object_iter_init (&iter, self->content);
  while (json_object_iter_next (&iter, &user_id, &value))
    {
      JsonArray *array;

      if (g_hash_table_size (self->rooms) >= MAX_USERS)
        break;
      if (!matrix_user_id_is_valid (user_id) || !JSON_NODE_HOLDS_ARRAY (value))
        continue;
      array = json_node_get_array (value);
      for (guint i = 0; i < json_array_get_length (array); i++)
        {
          JsonNode *element = json_array_get_element (array, i);

          if (JSON_NODE_HOLDS_VALUE (element) && json_node_get_value_type (element) == G_TYPE_STRING &&
              room_id_is_valid (json_node_get_string (element)))
            add_room (self, user_id, json_node_get_string (element));
        }
    }

  return self;
}

/**
 * matrix_direct_chats_ref:
 * @self: a #MatrixDirectChats
 *
 * Takes a reference.
 *
 * Returns: (transfer full): @self
 */
MatrixDirectChats *
matrix_direct_chats_ref (MatrixDirectChats *self)
{
  g_return_val_if_fail (self != NULL, NULL);
  g_atomic_ref_count_inc (&self->ref_count);
  return self;
}

/**
 * matrix_direct_chats_unref:
 * @self: (transfer full): a #MatrixDirectChats
 *
 * Drops a reference.
 */
void
matrix_direct_chats_unref (MatrixDirectChats *self)
{
  g_return_if_fail (self != NULL);

  if (!g_atomic_ref_count_dec (&self->ref_count))
    return;
  json_object_unref (self->content);
  g_hash_table_unref (self->rooms);
  g_hash_table_unref (self->users);
  g_free (self);
}

static int
compare_strings (gconstpointer a,
                 gconstpointer b)
{
  return strcmp (*(const char * const *) a, *(const char * const *) b);
}

/**
 * matrix_direct_chats_dup_users:
 * @self: a #MatrixDirectChats
 *
 * Everyone with a direct chat, sorted.
 *
 * Returns: (transfer full): everyone with a direct chat, sorted
 */
GStrv
matrix_direct_chats_dup_users (MatrixDirectChats *self)
{
  g_autoptr(GPtrArray) users = g_ptr_array_new ();
  GHashTableIter iter;
  gpointer key, value;

  g_return_val_if_fail (self != NULL, NULL);

  g_hash_table_iter_init (&iter, self->rooms);
  while (g_hash_table_iter_next (&iter, &key, &value))
    if (((GPtrArray *) value)->len > 0)
      g_ptr_array_add (users, g_strdup (key));
  g_ptr_array_sort (users, compare_strings);
  g_ptr_array_add (users, NULL);
  return (GStrv) g_ptr_array_free (g_steal_pointer (&users), FALSE);
}

/**
 * matrix_direct_chats_dup_rooms:
 * @self: a #MatrixDirectChats
 * @user_id: a user id
 *
 * The direct chats with @user_id, in the order of the account data (possibly
 * empty).
 *
 * Returns: (transfer full): the direct chats with @user_id, in the order
 *   of the account data (possibly empty)
 */
GStrv
matrix_direct_chats_dup_rooms (MatrixDirectChats *self,
                               const char        *user_id)
{
  g_autoptr(GStrvBuilder) builder = g_strv_builder_new ();
  GPtrArray *rooms;

  g_return_val_if_fail (self != NULL, NULL);
  g_return_val_if_fail (user_id != NULL, NULL);

  rooms = rooms_of (self, user_id, FALSE);
  for (guint i = 0; rooms != NULL && i < rooms->len; i++)
    g_strv_builder_add (builder, g_ptr_array_index (rooms, i));
  return g_strv_builder_end (builder);
}

/**
 * matrix_direct_chats_get_user_for_room:
 * @self: a #MatrixDirectChats
 * @room_id: a room id
 *
 * Whom @room_id is a direct chat with, or %NULL if it is not one.
 *
 * Returns: (nullable): whom @room_id is a direct chat with, or %NULL if it
 *   is not one
 */
const char *
matrix_direct_chats_get_user_for_room (MatrixDirectChats *self,
                                       const char        *room_id)
{
  g_return_val_if_fail (self != NULL, NULL);
  g_return_val_if_fail (room_id != NULL, NULL);

  return g_hash_table_lookup (self->users, room_id);
}

/**
 * matrix_direct_chats_add:
 * @self: a #MatrixDirectChats
 * @user_id: a user id
 * @room_id: a room id
 *
 * Records @room_id as a direct chat with @user_id.
 *
 * Returns: %TRUE if it was not recorded yet
 */
gboolean
matrix_direct_chats_add (MatrixDirectChats *self,
                         const char        *user_id,
                         const char        *room_id)
{
  g_return_val_if_fail (self != NULL, FALSE);
  g_return_val_if_fail (matrix_user_id_is_valid (user_id), FALSE);
  g_return_val_if_fail (room_id_is_valid (room_id), FALSE);

  return add_room (self, user_id, room_id);
}

/**
 * matrix_direct_chats_dup_content:
 * @self: a #MatrixDirectChats
 *
 * The content to write back as `m.direct`: what was read, entries this
 * reader ignored included (they are other clients' business), with the
 * valid users' lists as they are now.
 *
 * Returns: (transfer full): the content
 */
JsonObject *
matrix_direct_chats_dup_content (MatrixDirectChats *self)
{
  g_autoptr(JsonNode) node = NULL;
  g_autoptr(JsonNode) copy = NULL;
  JsonObject *content;
  GHashTableIter iter;
  gpointer key, value;

  g_return_val_if_fail (self != NULL, NULL);

  node = json_node_init_object (json_node_alloc (), self->content);
  copy = json_node_copy (node);
  content = json_object_ref (json_node_get_object (copy));

  g_hash_table_iter_init (&iter, self->rooms);
  while (g_hash_table_iter_next (&iter, &key, &value))
    {
      GPtrArray *rooms = value;
      JsonArray *array = json_array_sized_new (rooms->len);

      for (guint i = 0; i < rooms->len; i++)
        json_array_add_string_element (array, g_ptr_array_index (rooms, i));
      json_object_set_array_member (content, key, array);
    }
  return content;
}

/* --- on the server ----------------------------------------------------------- */

static char *
direct_path (MatrixClient *client)
{
  return matrix_client_build_path ("v3", "user", matrix_client_get_user_id (client),
                                   "account_data", "m.direct", NULL);
}

static void
on_direct_got (GObject      *source,
               GAsyncResult *result,
               gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  g_autoptr(JsonObject) content = NULL;
  GError *error = NULL;

  content = matrix_client_request_finish (MATRIX_CLIENT (source), result, &error);
  if (content == NULL && !g_error_matches (error, MATRIX_ERROR, MATRIX_ERROR_NOT_FOUND))
    {
      g_task_return_error (task, error);
      return;
    }
  g_clear_error (&error);
  g_task_return_pointer (task, matrix_direct_chats_new (content),
                         (GDestroyNotify) matrix_direct_chats_unref);
}

/**
 * matrix_client_get_direct_chats_async:
 * @self: a logged-in #MatrixClient
 * @cancellable: (nullable): a #GCancellable
 * @callback: called with the direct chats
 * @user_data: data for @callback
 *
 * Reads the user's `m.direct` from the server
 * (`GET /user/{userId}/account_data/m.direct`); none is an empty one.
 */
void
matrix_client_get_direct_chats_async (MatrixClient        *self,
                                      GCancellable        *cancellable,
                                      GAsyncReadyCallback  callback,
                                      gpointer             user_data)
{
  g_autofree char *path = NULL;
  GTask *task;

  g_return_if_fail (MATRIX_IS_CLIENT (self));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, matrix_client_get_direct_chats_async);
  if (matrix_client_get_user_id (self) == NULL)
    {
      g_task_return_new_error (task, MATRIX_ERROR, MATRIX_ERROR_NOT_LOGGED_IN, "Not logged in");
      g_object_unref (task);
      return;
    }
  path = direct_path (self);
  matrix_client_request_async (self, "GET", path, NULL, NULL, cancellable, on_direct_got, task);
}

/**
 * matrix_client_get_direct_chats_finish:
 * @self: a #MatrixClient
 * @result: the #GAsyncResult
 * @error: return location for a #GError
 *
 * Finishes matrix_client_get_direct_chats_async().
 *
 * Returns: (transfer full) (nullable): the direct chats
 */
MatrixDirectChats *
matrix_client_get_direct_chats_finish (MatrixClient  *self,
                                       GAsyncResult  *result,
                                       GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}

typedef struct {
  char *user_id;
  char *room_id;
} AddData;

static void
add_data_free (AddData *data)
{
  g_free (data->user_id);
  g_free (data->room_id);
  g_free (data);
}

static void
on_direct_put (GObject      *source,
               GAsyncResult *result,
               gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  g_autoptr(JsonObject) response = NULL;
  GError *error = NULL;

  response = matrix_client_request_finish (MATRIX_CLIENT (source), result, &error);
  if (response == NULL)
    g_task_return_error (task, error);
  else
    g_task_return_boolean (task, TRUE);
}

static void
on_direct_read_for_add (GObject      *source,
                        GAsyncResult *result,
                        gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  GCancellable *cancellable = g_task_get_cancellable (task);
  MatrixClient *client = MATRIX_CLIENT (source);
  AddData *data = g_task_get_task_data (task);
  g_autoptr(MatrixDirectChats) chats = NULL;
  g_autoptr(JsonObject) content = NULL;
  g_autoptr(JsonNode) node = NULL;
  g_autofree char *path = NULL;
  GError *error = NULL;

  chats = matrix_client_get_direct_chats_finish (client, result, &error);
  if (chats == NULL)
    {
      g_task_return_error (task, error);
      return;
    }
  if (!matrix_direct_chats_add (chats, data->user_id, data->room_id))
    {
      g_task_return_boolean (task, TRUE);
      return;
    }

  content = matrix_direct_chats_dup_content (chats);
  node = json_node_init_object (json_node_alloc (), content);
  path = direct_path (client);
  matrix_client_request_async (client, "PUT", path, NULL, node, cancellable,
                               on_direct_put, g_steal_pointer (&task));
}

/**
 * matrix_client_add_direct_chat_async:
 * @self: a logged-in #MatrixClient
 * @user_id: whom the chat is with
 * @room_id: the room
 * @cancellable: (nullable): a #GCancellable
 * @callback: called when done
 * @user_data: data for @callback
 *
 * Records @room_id as a direct chat with @user_id in `m.direct`: reads it
 * from the server, adds the room, writes it back (nothing is written when
 * it was there already), keeping what other clients wrote.
 */
void
matrix_client_add_direct_chat_async (MatrixClient        *self,
                                     const char          *user_id,
                                     const char          *room_id,
                                     GCancellable        *cancellable,
                                     GAsyncReadyCallback  callback,
                                     gpointer             user_data)
{
  AddData *data;
  GTask *task;

  g_return_if_fail (MATRIX_IS_CLIENT (self));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, matrix_client_add_direct_chat_async);
  if (!matrix_user_id_is_valid (user_id) || !room_id_is_valid (room_id))
    {
      g_task_return_new_error (task, MATRIX_ERROR, MATRIX_ERROR_INVALID_USER_ID,
                               "Not a user id and a room id");
      g_object_unref (task);
      return;
    }
  data = g_new0 (AddData, 1);
  data->user_id = g_strdup (user_id);
  data->room_id = g_strdup (room_id);
  g_task_set_task_data (task, data, (GDestroyNotify) add_data_free);
  matrix_client_get_direct_chats_async (self, cancellable, on_direct_read_for_add, task);
}

/**
 * matrix_client_add_direct_chat_finish:
 * @self: a #MatrixClient
 * @result: the #GAsyncResult
 * @error: return location for a #GError
 *
 * Finishes matrix_client_add_direct_chat_async().
 *
 * Returns: %TRUE if `m.direct` lists the room
 */
gboolean
matrix_client_add_direct_chat_finish (MatrixClient  *self,
                                      GAsyncResult  *result,
                                      GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}

/* --- start a chat ----------------------------------------------------------- */

typedef struct {
  char     *user_id;
  char     *room_id;
  gboolean  created;
} StartData;

static void
start_data_free (StartData *data)
{
  g_free (data->user_id);
  g_free (data->room_id);
  g_free (data);
}

static void
on_start_recorded (GObject      *source,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  StartData *data = g_task_get_task_data (task);
  GError *error = NULL;

  /* The room exists and the person is invited: a failure to record it is
   * not the chat's failure, but the caller should know. */
  if (!matrix_client_add_direct_chat_finish (MATRIX_CLIENT (source), result, &error))
    {
      g_debug ("The new direct chat %s could not be recorded in m.direct: %s",
                 data->room_id, error->message);
      g_clear_error (&error);
    }
  g_task_return_pointer (task, g_strdup (data->room_id), g_free);
}

static void
on_start_created (GObject      *source,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  GCancellable *cancellable = g_task_get_cancellable (task);
  StartData *data = g_task_get_task_data (task);
  g_autoptr(JsonObject) response = NULL;
  const char *room_id = NULL;
  GError *error = NULL;

  response = matrix_client_request_finish (MATRIX_CLIENT (source), result, &error);
  if (response == NULL)
    {
      if (g_error_matches (error, MATRIX_ERROR, MATRIX_ERROR_NOT_FOUND))
        error->code = MATRIX_ERROR_UNKNOWN_USER;
      g_task_return_error (task, error);
      return;
    }
  if (!_matrix_json_get_string (response, "createRoom", "room_id", TRUE, &room_id, &error))
    {
      g_task_return_error (task, error);
      return;
    }
  if (!room_id_is_valid (room_id))
    {
      g_task_return_new_error (task, MATRIX_ERROR, MATRIX_ERROR_INVALID_RESPONSE,
                               "createRoom: not a room id: %s", room_id);
      return;
    }

  data->room_id = g_strdup (room_id);
  data->created = TRUE;
  matrix_client_add_direct_chat_async (MATRIX_CLIENT (source), data->user_id, room_id,
                                       cancellable, on_start_recorded,
                                       g_steal_pointer (&task));
}

/* A direct chat worth going back to: we are in it, and they are in it or
 * invited (a chat they left is not one with them any more). */
static gboolean
is_reusable (MatrixRoomStateTracker *tracker,
             const char             *room_id,
             const char             *user_id)
{
  MatrixRoom *room = matrix_room_state_tracker_get_room (tracker, room_id);
  g_autofree char *theirs = NULL;

  if (room == NULL || matrix_room_get_membership (room) != MATRIX_MEMBERSHIP_JOIN)
    return FALSE;
  theirs = matrix_room_dup_member_membership (room, user_id);
  return g_strcmp0 (theirs, "join") == 0 || g_strcmp0 (theirs, "invite") == 0;
}

static void
on_start_direct_read (GObject      *source,
                      GAsyncResult *result,
                      gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  GCancellable *cancellable = g_task_get_cancellable (task);
  MatrixRoomStateTracker *tracker = g_task_get_source_object (task);
  MatrixClient *client = MATRIX_CLIENT (source);
  StartData *data = g_task_get_task_data (task);
  g_autoptr(MatrixDirectChats) chats = NULL;
  g_auto(GStrv) rooms = NULL;
  g_autoptr(JsonObject) request = json_object_new ();
  g_autoptr(JsonNode) node = NULL;
  JsonArray *invite;
  const char *best = NULL;
  gint64 best_activity = G_MININT64;
  GError *error = NULL;

  chats = matrix_client_get_direct_chats_finish (client, result, &error);
  if (chats == NULL)
    {
      g_task_return_error (task, error);
      return;
    }

  rooms = matrix_direct_chats_dup_rooms (chats, data->user_id);
  for (guint i = 0; rooms[i] != NULL; i++)
    {
      MatrixRoom *room;

      if (!is_reusable (tracker, rooms[i], data->user_id))
        continue;
      room = matrix_room_state_tracker_get_room (tracker, rooms[i]);
      if (best == NULL || matrix_room_get_last_activity (room) > best_activity)
        {
          best = rooms[i];
          best_activity = matrix_room_get_last_activity (room);
        }
    }
  if (best != NULL)
    {
      g_task_return_pointer (task, g_strdup (best), g_free);
      return;
    }

  json_object_set_string_member (request, "preset", "trusted_private_chat");
  json_object_set_boolean_member (request, "is_direct", TRUE);
  invite = json_array_new ();
  json_array_add_string_element (invite, data->user_id);
  json_object_set_array_member (request, "invite", invite);
  /* As Element does: a new direct chat is end-to-end encrypted from its
   * first event, when this client can encrypt. */
  if (matrix_client_get_encryption_enabled (client))
    {
      JsonArray *initial_state = json_array_new ();

      json_array_add_object_element (initial_state, _matrix_room_create_encryption_state ());
      json_object_set_array_member (request, "initial_state", initial_state);
    }
  node = json_node_init_object (json_node_alloc (), request);
  matrix_client_request_async (client, "POST", "v3/createRoom", NULL, node,
                               cancellable, on_start_created, g_steal_pointer (&task));
}

/**
 * matrix_room_state_tracker_start_direct_chat_async:
 * @self: a #MatrixRoomStateTracker
 * @user_id: whom to chat with
 * @cancellable: (nullable): a #GCancellable
 * @callback: called with the room id
 * @user_data: data for @callback
 *
 * "Start a chat" with @user_id: a direct chat with them that `m.direct`
 * lists, which we are joined to and they are joined or invited to, is
 * reused (the most recently active one); otherwise a room is created with
 * `is_direct`, the `trusted_private_chat` preset and @user_id invited, and
 * recorded in `m.direct`.
 */
void
matrix_room_state_tracker_start_direct_chat_async (MatrixRoomStateTracker *self,
                                                   const char             *user_id,
                                                   GCancellable           *cancellable,
                                                   GAsyncReadyCallback     callback,
                                                   gpointer                user_data)
{
  MatrixClient *client;
  StartData *data;
  GTask *task;

  g_return_if_fail (MATRIX_IS_ROOM_STATE_TRACKER (self));
  g_return_if_fail (user_id != NULL);

  client = matrix_room_state_tracker_get_client (self);
  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, matrix_room_state_tracker_start_direct_chat_async);
  if (!matrix_user_id_is_valid (user_id))
    {
      g_task_return_new_error (task, MATRIX_ERROR, MATRIX_ERROR_INVALID_USER_ID,
                               "“%s” is not a Matrix user id (@name:server)", user_id);
      g_object_unref (task);
      return;
    }
  if (g_strcmp0 (user_id, matrix_client_get_user_id (client)) == 0)
    {
      g_task_return_new_error (task, MATRIX_ERROR, MATRIX_ERROR_INVALID_USER_ID,
                               "A chat with oneself cannot be started");
      g_object_unref (task);
      return;
    }

  data = g_new0 (StartData, 1);
  data->user_id = g_strdup (user_id);
  g_task_set_task_data (task, data, (GDestroyNotify) start_data_free);
  matrix_client_get_direct_chats_async (client, cancellable, on_start_direct_read, task);
}

/**
 * matrix_room_state_tracker_start_direct_chat_finish:
 * @self: a #MatrixRoomStateTracker
 * @result: the #GAsyncResult
 * @created: (out) (optional): set to %TRUE when a room was created, %FALSE
 *   when one was reused
 * @error: return location for a #GError
 *
 * Finishes matrix_room_state_tracker_start_direct_chat_async().
 *
 * Returns: (transfer full) (nullable): the direct chat's room id
 */
char *
matrix_room_state_tracker_start_direct_chat_finish (MatrixRoomStateTracker  *self,
                                                    GAsyncResult            *result,
                                                    gboolean                *created,
                                                    GError                 **error)
{
  char *room_id;

  g_return_val_if_fail (g_task_is_valid (result, self), NULL);

  room_id = g_task_propagate_pointer (G_TASK (result), error);
  if (created != NULL)
    {
      StartData *data = g_task_get_task_data (G_TASK (result));
      *created = room_id != NULL && data->created;
    }
  return room_id;
}
