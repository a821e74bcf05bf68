/* SPDX-License-Identifier: LGPL-2.1-or-later */
#define G_LOG_DOMAIN "matrix-room-create"

#include <string.h>

#include "matrix-error.h"
#include "matrix-json-private.h"
#include "matrix-room-create.h"
#include "matrix-room-create-private.h"
#include "matrix-room-members.h"

/**
 * MatrixRoomCreateOptions:
 *
 * What a new room is made with (matrix_client_create_room_with_options_async()):
 * a name, a topic, an address (the localpart of an alias on the user's own
 * server), whether anyone may join it, whether it is end-to-end encrypted,
 * and whom to invite.
 *
 * New options describe a private, encrypted room with no name: the room
 * Element makes by default. A public room is usually not encrypted; the caller
 * says so with matrix_room_create_options_set_encrypted().
 */
struct _MatrixRoomCreateOptions {
  gatomicrefcount ref_count;
  char *name;
  char *topic;
  char *alias_localpart;
  gboolean public_;
  gboolean encrypted;
  GPtrArray *invites;           /* NULL-terminated array of user ids */
};

G_DEFINE_BOXED_TYPE (MatrixRoomCreateOptions, matrix_room_create_options,
                     matrix_room_create_options_ref, matrix_room_create_options_unref)

/* The longest alias the spec allows, in bytes, sigil and server included. */
#define MAX_ALIAS_LENGTH 255

/**
 * matrix_room_create_options_new:
 *
 * Options for a private, encrypted room without name, topic, address or
 * invitees.
 *
 * Returns: (transfer full): new options
 */
MatrixRoomCreateOptions *
matrix_room_create_options_new (void)
{
  MatrixRoomCreateOptions *self = g_new0 (MatrixRoomCreateOptions, 1);

  g_atomic_ref_count_init (&self->ref_count);
  self->encrypted = TRUE;
  self->invites = g_ptr_array_new_with_free_func (g_free);
  g_ptr_array_add (self->invites, NULL);
  return self;
}

/**
 * matrix_room_create_options_ref:
 * @self: a #MatrixRoomCreateOptions
 *
 * Takes a reference.
 *
 * Returns: (transfer full): @self
 */
MatrixRoomCreateOptions *
matrix_room_create_options_ref (MatrixRoomCreateOptions *self)
{
  g_return_val_if_fail (self != NULL, NULL);

  g_atomic_ref_count_inc (&self->ref_count);
  return self;
}

/**
 * matrix_room_create_options_unref:
 * @self: (transfer full): a #MatrixRoomCreateOptions
 *
 * Drops a reference; the last one frees the options.
 */
void
matrix_room_create_options_unref (MatrixRoomCreateOptions *self)
{
  g_return_if_fail (self != NULL);

  if (!g_atomic_ref_count_dec (&self->ref_count))
    return;
  g_free (self->name);
  g_free (self->topic);
  g_free (self->alias_localpart);
  g_ptr_array_unref (self->invites);
  g_free (self);
}

/* Empty and blank text is no text. */
static void
set_text (char       **field,
          const char  *text)
{
  g_autofree char *stripped = text != NULL ? g_strstrip (g_strdup (text)) : NULL;

  g_free (*field);
  *field = stripped != NULL && *stripped != '\0' ? g_steal_pointer (&stripped) : NULL;
}

/**
 * matrix_room_create_options_set_name:
 * @self: a #MatrixRoomCreateOptions
 * @name: (nullable): the room's name (blank: none)
 *
 * Sets the name of the room (`m.room.name`); surrounding white space is
 * dropped.
 */
void
matrix_room_create_options_set_name (MatrixRoomCreateOptions *self,
                                     const char              *name)
{
  g_return_if_fail (self != NULL);
  set_text (&self->name, name);
}

/**
 * matrix_room_create_options_get_name:
 * @self: a #MatrixRoomCreateOptions
 *
 * The name the options give the room.
 *
 * Returns: (nullable): the name the room will have
 */
const char *
matrix_room_create_options_get_name (MatrixRoomCreateOptions *self)
{
  g_return_val_if_fail (self != NULL, NULL);
  return self->name;
}

/**
 * matrix_room_create_options_set_topic:
 * @self: a #MatrixRoomCreateOptions
 * @topic: (nullable): the room's topic (blank: none)
 *
 * Sets the topic of the room (`m.room.topic`).
 */
void
matrix_room_create_options_set_topic (MatrixRoomCreateOptions *self,
                                      const char              *topic)
{
  g_return_if_fail (self != NULL);
  set_text (&self->topic, topic);
}

/**
 * matrix_room_create_options_get_topic:
 * @self: a #MatrixRoomCreateOptions
 *
 * The topic the options give the room.
 *
 * Returns: (nullable): the topic the room will have
 */
const char *
matrix_room_create_options_get_topic (MatrixRoomCreateOptions *self)
{
  g_return_val_if_fail (self != NULL, NULL);
  return self->topic;
}

/**
 * matrix_room_create_options_set_alias_localpart:
 * @self: a #MatrixRoomCreateOptions
 * @localpart: (nullable): the address's localpart, `book-club` for
 *   `#book-club:example.org` (blank: no address)
 *
 * Gives the room an address on the user's server (`room_alias_name`). A
 * leading `#` is dropped; matrix_room_create_options_validate() checks the
 * rest.
 */
void
matrix_room_create_options_set_alias_localpart (MatrixRoomCreateOptions *self,
                                                const char              *localpart)
{
  g_return_if_fail (self != NULL);
  if (localpart != NULL)
    {
      while (g_ascii_isspace (*localpart))
        localpart++;
      if (*localpart == '#')
        localpart++;
    }
  set_text (&self->alias_localpart, localpart);
}

/**
 * matrix_room_create_options_get_alias_localpart:
 * @self: a #MatrixRoomCreateOptions
 *
 * The localpart of the address the options give the room.
 *
 * Returns: (nullable): the localpart of the room's address
 */
const char *
matrix_room_create_options_get_alias_localpart (MatrixRoomCreateOptions *self)
{
  g_return_val_if_fail (self != NULL, NULL);
  return self->alias_localpart;
}

/**
 * matrix_room_create_options_set_public:
 * @self: a #MatrixRoomCreateOptions
 * @public_: %TRUE for a room anyone may join, listed in the server's room
 *   directory; %FALSE for a room people join when invited
 *
 * Chooses the preset: `public_chat` (and `visibility: public`) or
 * `private_chat`. It does not change whether the room is encrypted.
 */
void
matrix_room_create_options_set_public (MatrixRoomCreateOptions *self,
                                       gboolean                 public_)
{
  g_return_if_fail (self != NULL);
  self->public_ = !!public_;
}

/**
 * matrix_room_create_options_get_public:
 * @self: a #MatrixRoomCreateOptions
 *
 * Whether the options make a public room.
 *
 * Returns: whether the room will be public
 */
gboolean
matrix_room_create_options_get_public (MatrixRoomCreateOptions *self)
{
  g_return_val_if_fail (self != NULL, FALSE);
  return self->public_;
}

/**
 * matrix_room_create_options_set_encrypted:
 * @self: a #MatrixRoomCreateOptions
 * @encrypted: whether the room is end-to-end encrypted
 *
 * An encrypted room starts with `m.room.encryption` (`m.megolm.v1.aes-sha2`)
 * in its initial state, so not even its first message is sent in the clear.
 * Encryption cannot be turned off later.
 */
void
matrix_room_create_options_set_encrypted (MatrixRoomCreateOptions *self,
                                          gboolean                 encrypted)
{
  g_return_if_fail (self != NULL);
  self->encrypted = !!encrypted;
}

/**
 * matrix_room_create_options_get_encrypted:
 * @self: a #MatrixRoomCreateOptions
 *
 * Whether the options make an end-to-end encrypted room.
 *
 * Returns: whether the room will be encrypted
 */
gboolean
matrix_room_create_options_get_encrypted (MatrixRoomCreateOptions *self)
{
  g_return_val_if_fail (self != NULL, FALSE);
  return self->encrypted;
}

/**
 * matrix_room_create_options_add_invite:
 * @self: a #MatrixRoomCreateOptions
 * @user_id: a user id to invite (`@name:server`)
 *
 * Invites @user_id when the room is made; adding someone twice invites them
 * once. matrix_room_create_options_validate() checks the ids.
 */
void
matrix_room_create_options_add_invite (MatrixRoomCreateOptions *self,
                                       const char              *user_id)
{
  g_return_if_fail (self != NULL);
  g_return_if_fail (user_id != NULL);

  for (guint i = 0; i + 1 < self->invites->len; i++)
    if (g_str_equal (g_ptr_array_index (self->invites, i), user_id))
      return;
  g_ptr_array_insert (self->invites, self->invites->len - 1, g_strdup (user_id));
}

/**
 * matrix_room_create_options_get_invites:
 * @self: a #MatrixRoomCreateOptions
 *
 * The user ids the options invite.
 *
 * Returns: (transfer none) (array zero-terminated=1): whom the room invites
 */
const char * const *
matrix_room_create_options_get_invites (MatrixRoomCreateOptions *self)
{
  g_return_val_if_fail (self != NULL, NULL);
  return (const char * const *) self->invites->pdata;
}

/**
 * matrix_room_alias_localpart_is_valid:
 * @localpart: (nullable): text
 *
 * Whether @localpart may be the localpart of a room alias this library
 * creates: 1 to 200 bytes of ASCII letters, digits and `._=-/+`. (Aliases
 * others made may hold more; this is what every server accepts.)
 *
 * Returns: %TRUE when it is
 */
gboolean
matrix_room_alias_localpart_is_valid (const char *localpart)
{
  gsize length;

  if (localpart == NULL)
    return FALSE;
  length = strlen (localpart);
  if (length == 0 || length > 200)
    return FALSE;
  for (const char *c = localpart; *c != '\0'; c++)
    if (!g_ascii_isalnum (*c) && strchr ("._=-/+", *c) == NULL)
      return FALSE;
  return TRUE;
}

/**
 * matrix_room_alias_is_valid:
 * @alias: (nullable): text
 *
 * Whether @alias reads as a room alias: `#`, a localpart without `:`, and a
 * server name, at most 255 bytes, printable and valid UTF-8.
 *
 * Returns: %TRUE when it does
 */
gboolean
matrix_room_alias_is_valid (const char *alias)
{
  const char *colon;

  if (alias == NULL || alias[0] != '#' || strlen (alias) > MAX_ALIAS_LENGTH ||
      !g_utf8_validate (alias, -1, NULL))
    return FALSE;
  colon = strchr (alias, ':');
  if (colon == NULL || colon == alias + 1 || colon[1] == '\0')
    return FALSE;
  for (const char *c = alias; *c != '\0'; c++)
    if ((guchar) *c <= ' ' || *c == 0x7f)
      return FALSE;
  /* The server name: a host name or an IP literal, with an optional port. */
  for (const char *c = colon + 1; *c != '\0'; c++)
    if (!g_ascii_isalnum (*c) && strchr (".-:[]", *c) == NULL)
      return FALSE;
  return TRUE;
}

/**
 * matrix_client_dup_room_alias:
 * @self: a #MatrixClient
 * @localpart: a valid alias localpart (see matrix_room_alias_localpart_is_valid())
 *
 * The alias @localpart makes on the signed-in user's server: what
 * matrix_room_create_options_set_alias_localpart() gives the new room.
 *
 * Returns: (transfer full) (nullable): `#localpart:server`, or %NULL when
 *   @localpart is not valid or nobody is signed in
 */
char *
matrix_client_dup_room_alias (MatrixClient *self,
                              const char   *localpart)
{
  const char *user_id;
  const char *server;
  g_autofree char *alias = NULL;

  g_return_val_if_fail (MATRIX_IS_CLIENT (self), NULL);

  user_id = matrix_client_get_user_id (self);
  server = user_id != NULL ? strchr (user_id, ':') : NULL;
  if (server == NULL || !matrix_room_alias_localpart_is_valid (localpart))
    return NULL;
  alias = g_strconcat ("#", localpart, server, NULL);
  return matrix_room_alias_is_valid (alias) ? g_steal_pointer (&alias) : NULL;
}

/**
 * matrix_room_create_options_validate:
 * @self: a #MatrixRoomCreateOptions
 * @error: return location for a #GError
 *
 * Checks what can be checked before asking the server: the address
 * (%MATRIX_ERROR_INVALID_ALIAS) and the invitees
 * (%MATRIX_ERROR_INVALID_USER_ID).
 *
 * Returns: %TRUE when the options may be sent
 */
gboolean
matrix_room_create_options_validate (MatrixRoomCreateOptions  *self,
                                     GError                  **error)
{
  g_return_val_if_fail (self != NULL, FALSE);

  if (self->alias_localpart != NULL &&
      !matrix_room_alias_localpart_is_valid (self->alias_localpart))
    {
      g_set_error (error, MATRIX_ERROR, MATRIX_ERROR_INVALID_ALIAS,
                   "“%s” cannot be a room address: use letters, digits and ._=-/+",
                   self->alias_localpart);
      return FALSE;
    }
  for (guint i = 0; i + 1 < self->invites->len; i++)
    {
      const char *user_id = g_ptr_array_index (self->invites, i);

      if (!matrix_user_id_is_valid (user_id))
        {
          g_set_error (error, MATRIX_ERROR, MATRIX_ERROR_INVALID_USER_ID,
                       "“%s” is not a Matrix user id (@name:server)", user_id);
          return FALSE;
        }
    }
  return TRUE;
}

JsonObject *
_matrix_room_create_encryption_state (void)
{
  JsonObject *state = json_object_new ();
  JsonObject *content = json_object_new ();

  json_object_set_string_member (content, "algorithm", "m.megolm.v1.aes-sha2");
  json_object_set_string_member (state, "type", "m.room.encryption");
  json_object_set_string_member (state, "state_key", "");
  json_object_set_object_member (state, "content", content);
  return state;
}

static JsonNode *
create_body (MatrixRoomCreateOptions *self)
{
  JsonObject *request = json_object_new ();
  JsonNode *node;

  json_object_set_string_member (request, "preset", self->public_ ? "public_chat" : "private_chat");
  /* Private is the server's default: only a public room says so. */
  if (self->public_)
    json_object_set_string_member (request, "visibility", "public");
  if (self->name != NULL)
    json_object_set_string_member (request, "name", self->name);
  if (self->topic != NULL)
    json_object_set_string_member (request, "topic", self->topic);
  if (self->alias_localpart != NULL)
    json_object_set_string_member (request, "room_alias_name", self->alias_localpart);
  if (self->invites->len > 1)
    {
      JsonArray *invite = json_array_new ();

      for (guint i = 0; i + 1 < self->invites->len; i++)
        json_array_add_string_element (invite, g_ptr_array_index (self->invites, i));
      json_object_set_array_member (request, "invite", invite);
    }
  if (self->encrypted)
    {
      JsonArray *initial_state = json_array_new ();

      json_array_add_object_element (initial_state, _matrix_room_create_encryption_state ());
      json_object_set_array_member (request, "initial_state", initial_state);
    }
  node = json_node_init_object (json_node_alloc (), request);
  json_object_unref (request);
  return node;
}

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

/* Both calls answer {"room_id": "!…"}. */
static void
on_room_id_answered (GObject      *source,
                     GAsyncResult *result,
                     gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  g_autoptr(JsonObject) response = NULL;
  const char *room_id = NULL;
  GError *error = NULL;

  response = matrix_client_request_finish (MATRIX_CLIENT (source), result, &error);
  if (response == NULL ||
      !_matrix_json_get_string (response, g_task_get_name (task), "room_id", TRUE, &room_id, &error))
    {
      g_task_return_error (task, error);
      return;
    }
  if (!room_id_is_valid (room_id))
    {
      g_task_return_new_error (task, MATRIX_ERROR, MATRIX_ERROR_INVALID_RESPONSE,
                               "%s: not a room id: %s", g_task_get_name (task), room_id);
      return;
    }
  g_task_return_pointer (task, g_strdup (room_id), g_free);
}

/**
 * matrix_client_create_room_with_options_async:
 * @self: a #MatrixClient
 * @options: what the room is made with
 * @cancellable: (nullable): a #GCancellable
 * @callback: called with the new room's id, or an error
 * @user_data: data for @callback
 *
 * Creates a room with `POST /createRoom`. Refused before any request: options
 * that matrix_room_create_options_validate() rejects, and an encrypted room
 * asked of a client without end-to-end encryption
 * (matrix_client_get_encryption_enabled(); %MATRIX_ERROR_ROOM_ENCRYPTED),
 * since it could send nothing into that room. An address already taken fails
 * with %MATRIX_ERROR_ROOM_IN_USE. The room arrives in a later sync.
 */
void
matrix_client_create_room_with_options_async (MatrixClient            *self,
                                              MatrixRoomCreateOptions *options,
                                              GCancellable            *cancellable,
                                              GAsyncReadyCallback      callback,
                                              gpointer                 user_data)
{
  g_autoptr(JsonNode) body = NULL;
  GError *error = NULL;
  GTask *task;

  g_return_if_fail (MATRIX_IS_CLIENT (self));
  g_return_if_fail (options != NULL);

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, matrix_client_create_room_with_options_async);
  g_task_set_name (task, "createRoom");
  if (!matrix_room_create_options_validate (options, &error))
    {
      g_task_return_error (task, error);
      g_object_unref (task);
      return;
    }
  if (options->encrypted && !matrix_client_get_encryption_enabled (self))
    {
      g_task_return_new_error (task, MATRIX_ERROR, MATRIX_ERROR_ROOM_ENCRYPTED,
                               "An encrypted room needs end-to-end encryption, "
                               "which this client has not enabled");
      g_object_unref (task);
      return;
    }

  body = create_body (options);
  matrix_client_request_async (self, "POST", "v3/createRoom", NULL, body, cancellable,
                               on_room_id_answered, task);
}

/**
 * matrix_client_create_room_with_options_finish:
 * @self: a #MatrixClient
 * @result: the #GAsyncResult
 * @error: return location for a #GError
 *
 * Finishes matrix_client_create_room_with_options_async().
 *
 * Returns: (transfer full) (nullable): the id of the new room
 */
char *
matrix_client_create_room_with_options_finish (MatrixClient  *self,
                                               GAsyncResult  *result,
                                               GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

/**
 * matrix_client_resolve_room_alias_async:
 * @self: a #MatrixClient
 * @alias: a room alias (`#name:server`)
 * @cancellable: (nullable): a #GCancellable
 * @callback: called with the room id, or an error
 * @user_data: data for @callback
 *
 * Looks up the room an alias points to (`GET /directory/room/{roomAlias}`).
 * An alias nobody has fails with %MATRIX_ERROR_NOT_FOUND: that is how an
 * address is known to be free. Not an alias: %MATRIX_ERROR_INVALID_ALIAS.
 */
void
matrix_client_resolve_room_alias_async (MatrixClient        *self,
                                        const char          *alias,
                                        GCancellable        *cancellable,
                                        GAsyncReadyCallback  callback,
                                        gpointer             user_data)
{
  g_autofree char *path = NULL;
  GTask *task;

  g_return_if_fail (MATRIX_IS_CLIENT (self));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, matrix_client_resolve_room_alias_async);
  g_task_set_name (task, "directory/room");
  if (!matrix_room_alias_is_valid (alias))
    {
      g_task_return_new_error (task, MATRIX_ERROR, MATRIX_ERROR_INVALID_ALIAS,
                               "“%s” is not a room alias (#name:server)",
                               alias != NULL ? alias : "");
      g_object_unref (task);
      return;
    }
  path = matrix_client_build_path ("v3", "directory", "room", alias, NULL);
  matrix_client_request_async (self, "GET", path, NULL, NULL, cancellable,
                               on_room_id_answered, task);
}

/**
 * matrix_client_resolve_room_alias_finish:
 * @self: a #MatrixClient
 * @result: the #GAsyncResult
 * @error: return location for a #GError
 *
 * Finishes matrix_client_resolve_room_alias_async().
 *
 * Returns: (transfer full) (nullable): the id of the room the alias points to
 */
char *
matrix_client_resolve_room_alias_finish (MatrixClient  *self,
                                         GAsyncResult  *result,
                                         GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}
