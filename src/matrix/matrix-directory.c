/* SPDX-License-Identifier: LGPL-2.1-or-later */
#define G_LOG_DOMAIN "matrix-directory"

#include "matrix-directory.h"
#include "matrix-json-private.h"
#include "matrix-room-members.h"
#include "matrix-text.h"

/**
 * SECTION:matrix-directory
 *
 * The server's user directory (`POST /user_directory/search`): people to
 * start a chat with or invite, by name or id.
 */

/**
 * MatrixUserProfile:
 *
 * A user as a directory lists them: id, display name, avatar. Immutable.
 */
struct _MatrixUserProfile
{
  GObject  parent_instance;

  char    *user_id;
  char    *display_name;
  char    *avatar_url;
};

G_DEFINE_FINAL_TYPE (MatrixUserProfile, matrix_user_profile, G_TYPE_OBJECT)

enum {
  PROP_0,
  PROP_USER_ID,
  PROP_DISPLAY_NAME,
  PROP_AVATAR_URL,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static void
matrix_user_profile_finalize (GObject *object)
{
  MatrixUserProfile *self = MATRIX_USER_PROFILE (object);

  g_free (self->user_id);
  g_free (self->display_name);
  g_free (self->avatar_url);

  G_OBJECT_CLASS (matrix_user_profile_parent_class)->finalize (object);
}

static void
matrix_user_profile_get_property (GObject    *object,
                                  guint       prop_id,
                                  GValue     *value,
                                  GParamSpec *pspec)
{
  MatrixUserProfile *self = MATRIX_USER_PROFILE (object);

  switch (prop_id)
    {
    case PROP_USER_ID:
      g_value_set_string (value, self->user_id);
      break;
    case PROP_DISPLAY_NAME:
      g_value_set_string (value, self->display_name);
      break;
    case PROP_AVATAR_URL:
      g_value_set_string (value, self->avatar_url);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
matrix_user_profile_class_init (MatrixUserProfileClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = matrix_user_profile_finalize;
  object_class->get_property = matrix_user_profile_get_property;

  /**
   * MatrixUserProfile:user-id:
   *
   * The user's id.
   */
  properties[PROP_USER_ID] =
    g_param_spec_string ("user-id", NULL, NULL, NULL, G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  /**
   * MatrixUserProfile:display-name:
   *
   * The user's display name, cleaned; the user id when they have none.
   */
  properties[PROP_DISPLAY_NAME] =
    g_param_spec_string ("display-name", NULL, NULL, NULL, G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  /**
   * MatrixUserProfile:avatar-url:
   *
   * The user's avatar (`mxc://`), or %NULL.
   */
  properties[PROP_AVATAR_URL] =
    g_param_spec_string ("avatar-url", NULL, NULL, NULL, G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);

  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
matrix_user_profile_init (MatrixUserProfile *self)
{
}

/**
 * matrix_user_profile_new:
 * @user_id: a user id
 * @display_name: (nullable): their display name
 * @avatar_url: (nullable): their avatar, an `mxc://` URI
 *
 * A profile; @display_name is cleaned with matrix_text_dup_name(), an
 * @avatar_url that is not `mxc://` is dropped.
 *
 * Returns: (transfer full): the profile
 */
MatrixUserProfile *
matrix_user_profile_new (const char *user_id,
                         const char *display_name,
                         const char *avatar_url)
{
  MatrixUserProfile *self;

  g_return_val_if_fail (user_id != NULL, NULL);

  self = g_object_new (MATRIX_TYPE_USER_PROFILE, NULL);
  self->user_id = g_strdup (user_id);
  if (display_name != NULL)
    self->display_name = matrix_text_dup_name (display_name);
  if (self->display_name == NULL || *self->display_name == '\0')
    {
      g_free (self->display_name);
      self->display_name = g_strdup (user_id);
    }
  if (avatar_url != NULL && g_str_has_prefix (avatar_url, "mxc://") && strlen (avatar_url) < 512)
    self->avatar_url = g_strdup (avatar_url);
  return self;
}

/**
 * matrix_user_profile_get_user_id:
 * @self: a #MatrixUserProfile
 *
 * The user id.
 *
 * Returns: the user id
 */
const char *
matrix_user_profile_get_user_id (MatrixUserProfile *self)
{
  g_return_val_if_fail (MATRIX_IS_USER_PROFILE (self), NULL);
  return self->user_id;
}

/**
 * matrix_user_profile_get_display_name:
 * @self: a #MatrixUserProfile
 *
 * The display name (the user id when they set none).
 *
 * Returns: the display name (the user id when they set none)
 */
const char *
matrix_user_profile_get_display_name (MatrixUserProfile *self)
{
  g_return_val_if_fail (MATRIX_IS_USER_PROFILE (self), NULL);
  return self->display_name;
}

/**
 * matrix_user_profile_get_avatar_url:
 * @self: a #MatrixUserProfile
 *
 * The avatar's `mxc://` URI.
 *
 * Returns: (nullable): the avatar's `mxc://` URI
 */
const char *
matrix_user_profile_get_avatar_url (MatrixUserProfile *self)
{
  g_return_val_if_fail (MATRIX_IS_USER_PROFILE (self), NULL);
  return self->avatar_url;
}

typedef struct {
  GPtrArray *profiles;
  gboolean   limited;
} SearchResult;

static void
search_result_free (SearchResult *result)
{
  g_ptr_array_unref (result->profiles);
  g_free (result);
}

static void
on_search_done (GObject      *source,
                GAsyncResult *result,
                gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  g_autoptr(JsonObject) response = NULL;
  SearchResult *found;
  JsonArray *results = NULL;
  GError *error = NULL;

  response = matrix_client_request_finish (MATRIX_CLIENT (source), result, &error);
  if (response == NULL ||
      !_matrix_json_get_array (response, "user_directory", "results", TRUE, &results, &error))
    {
      g_task_return_error (task, error);
      return;
    }

  found = g_new0 (SearchResult, 1);
  found->profiles = g_ptr_array_new_with_free_func (g_object_unref);
  _matrix_json_get_bool (response, NULL, "limited", FALSE, &found->limited, NULL);
  for (guint i = 0; i < json_array_get_length (results) && i < 1000; i++)
    {
      JsonNode *node = json_array_get_element (results, i);
      const char *user_id = NULL, *name = NULL, *avatar = NULL;
      JsonObject *entry;

      if (!JSON_NODE_HOLDS_OBJECT (node))
        continue;
      entry = json_node_get_object (node);
      if (!_matrix_json_get_string (entry, NULL, "user_id", TRUE, &user_id, NULL) ||
          !matrix_user_id_is_valid (user_id))
        continue;
      if (!_matrix_json_get_string (entry, NULL, "display_name", FALSE, &name, NULL))
        name = NULL;
      if (!_matrix_json_get_string (entry, NULL, "avatar_url", FALSE, &avatar, NULL))
        avatar = NULL;
      g_ptr_array_add (found->profiles, matrix_user_profile_new (user_id, name, avatar));
    }

  g_task_return_pointer (task, found, (GDestroyNotify) search_result_free);
}

/**
 * matrix_client_search_users_async:
 * @self: a #MatrixClient
 * @search_term: what to look for: part of a name or user id
 * @limit: how many results at most (0: the server's default)
 * @cancellable: (nullable): a #GCancellable
 * @callback: called with the results
 * @user_data: data for @callback
 *
 * Searches the user directory (`POST /user_directory/search`): users who
 * share a room with the user or are public, as the server decides.
 * Entries without a valid user id are left out.
 */
void
matrix_client_search_users_async (MatrixClient        *self,
                                  const char          *search_term,
                                  guint                limit,
                                  GCancellable        *cancellable,
                                  GAsyncReadyCallback  callback,
                                  gpointer             user_data)
{
  g_autoptr(JsonObject) body = json_object_new ();
  g_autoptr(JsonNode) node = NULL;
  GTask *task;

  g_return_if_fail (MATRIX_IS_CLIENT (self));
  g_return_if_fail (search_term != NULL);

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, matrix_client_search_users_async);
  json_object_set_string_member (body, "search_term", search_term);
  if (limit > 0)
    json_object_set_int_member (body, "limit", limit);
  node = json_node_init_object (json_node_alloc (), body);
  matrix_client_request_async (self, "POST", "v3/user_directory/search", NULL, node,
                               cancellable, on_search_done, task);
}

/**
 * matrix_client_search_users_finish:
 * @self: a #MatrixClient
 * @result: the #GAsyncResult
 * @limited: (out) (optional): set to whether the server had more
 * @error: return location for a #GError
 *
 * Finishes matrix_client_search_users_async().
 *
 * Returns: (transfer container) (element-type MatrixUserProfile) (nullable):
 *   the users found, in the server's order
 */
GPtrArray *
matrix_client_search_users_finish (MatrixClient  *self,
                                   GAsyncResult  *result,
                                   gboolean      *limited,
                                   GError       **error)
{
  SearchResult *found;
  GPtrArray *profiles;

  g_return_val_if_fail (g_task_is_valid (result, self), NULL);

  found = g_task_propagate_pointer (G_TASK (result), error);
  if (found == NULL)
    return NULL;
  if (limited != NULL)
    *limited = found->limited;
  profiles = g_ptr_array_ref (found->profiles);
  search_result_free (found);
  return profiles;
}

/* --- the public room directory ---------------------------------------------------- */

/**
 * MatrixPublicRoom:
 *
 * A room as the server's public room directory lists it. Immutable; every
 * text cleaned, a topic cut to 1,000 characters.
 */
struct _MatrixPublicRoom
{
  GObject  parent_instance;

  char    *room_id;
  char    *name;
  char    *topic;
  char    *alias;
  char    *avatar_url;
  guint    n_members;
};

G_DEFINE_FINAL_TYPE (MatrixPublicRoom, matrix_public_room, G_TYPE_OBJECT)

static void
matrix_public_room_finalize (GObject *object)
{
  MatrixPublicRoom *self = MATRIX_PUBLIC_ROOM (object);

  g_free (self->room_id);
  g_free (self->name);
  g_free (self->topic);
  g_free (self->alias);
  g_free (self->avatar_url);

  G_OBJECT_CLASS (matrix_public_room_parent_class)->finalize (object);
}

static void
matrix_public_room_class_init (MatrixPublicRoomClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = matrix_public_room_finalize;
}

static void
matrix_public_room_init (MatrixPublicRoom *self)
{
}

/**
 * matrix_public_room_get_room_id:
 * @self: a #MatrixPublicRoom
 *
 * The room's id, to join it by.
 *
 * Returns: the room's id
 */
const char *
matrix_public_room_get_room_id (MatrixPublicRoom *self)
{
  g_return_val_if_fail (MATRIX_IS_PUBLIC_ROOM (self), NULL);
  return self->room_id;
}

/**
 * matrix_public_room_get_name:
 * @self: a #MatrixPublicRoom
 *
 * The room's name; else its alias; else its id.
 *
 * Returns: the name to show
 */
const char *
matrix_public_room_get_name (MatrixPublicRoom *self)
{
  g_return_val_if_fail (MATRIX_IS_PUBLIC_ROOM (self), NULL);
  return self->name;
}

/**
 * matrix_public_room_get_topic:
 * @self: a #MatrixPublicRoom
 *
 * The room's topic, its first 1,000 characters.
 *
 * Returns: (nullable): the topic
 */
const char *
matrix_public_room_get_topic (MatrixPublicRoom *self)
{
  g_return_val_if_fail (MATRIX_IS_PUBLIC_ROOM (self), NULL);
  return self->topic;
}

/**
 * matrix_public_room_get_alias:
 * @self: a #MatrixPublicRoom
 *
 * The room's canonical alias.
 *
 * Returns: (nullable): the alias, such as `#gnome:example.org`
 */
const char *
matrix_public_room_get_alias (MatrixPublicRoom *self)
{
  g_return_val_if_fail (MATRIX_IS_PUBLIC_ROOM (self), NULL);
  return self->alias;
}

/**
 * matrix_public_room_get_avatar_url:
 * @self: a #MatrixPublicRoom
 *
 * The room's avatar.
 *
 * Returns: (nullable): an `mxc://` URI
 */
const char *
matrix_public_room_get_avatar_url (MatrixPublicRoom *self)
{
  g_return_val_if_fail (MATRIX_IS_PUBLIC_ROOM (self), NULL);
  return self->avatar_url;
}

/**
 * matrix_public_room_get_n_members:
 * @self: a #MatrixPublicRoom
 *
 * How many members the server says the room has.
 *
 * Returns: the joined members' count
 */
guint
matrix_public_room_get_n_members (MatrixPublicRoom *self)
{
  g_return_val_if_fail (MATRIX_IS_PUBLIC_ROOM (self), 0);
  return self->n_members;
}

static char *
dup_clean (JsonObject *entry,
           const char *member)
{
  const char *value = NULL;
  g_autofree char *clean = NULL;

  if (!_matrix_json_get_string (entry, NULL, member, FALSE, &value, NULL) || value == NULL)
    return NULL;
  clean = matrix_text_dup_name (value);
  return clean != NULL && *clean != '\0' ? g_steal_pointer (&clean) : NULL;
}

static MatrixPublicRoom *
public_room_from_json (JsonObject *entry)
{
  MatrixPublicRoom *self;
  const char *room_id = NULL, *topic = NULL, *avatar = NULL;
  gint64 n = 0;

  if (!_matrix_json_get_string (entry, NULL, "room_id", TRUE, &room_id, NULL) ||
      room_id[0] != '!' || strlen (room_id) > 255)
    return NULL;

  self = g_object_new (MATRIX_TYPE_PUBLIC_ROOM, NULL);
  self->room_id = g_strdup (room_id);
  self->alias = dup_clean (entry, "canonical_alias");
  if (self->alias != NULL && self->alias[0] != '#')
    g_clear_pointer (&self->alias, g_free);
  self->name = dup_clean (entry, "name");
  if (self->name == NULL)
    self->name = g_strdup (self->alias != NULL ? self->alias : room_id);
  if (_matrix_json_get_string (entry, NULL, "topic", FALSE, &topic, NULL) && topic != NULL && *topic != '\0')
    {
      g_autofree char *start = matrix_text_preview (topic, 1000, 4);
      self->topic = matrix_text_bound (start, -1);
    }
  if (_matrix_json_get_string (entry, NULL, "avatar_url", FALSE, &avatar, NULL) && avatar != NULL &&
      g_str_has_prefix (avatar, "mxc://") && strlen (avatar) < 512)
    self->avatar_url = g_strdup (avatar);
  if (_matrix_json_get_int (entry, NULL, "num_joined_members", FALSE, &n, NULL))
    self->n_members = (guint) CLAMP (n, 0, G_MAXUINT);
  return self;
}

typedef struct {
  GPtrArray *rooms;
  char      *next_batch;
} PublicRooms;

static void
public_rooms_free (PublicRooms *found)
{
  g_ptr_array_unref (found->rooms);
  g_free (found->next_batch);
  g_free (found);
}

static void
on_public_rooms (GObject      *source,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  g_autoptr(JsonObject) response = NULL;
  PublicRooms *found;
  JsonArray *chunk = NULL;
  const char *next = NULL;
  GError *error = NULL;

  response = matrix_client_request_finish (MATRIX_CLIENT (source), result, &error);
  if (response == NULL ||
      !_matrix_json_get_array (response, "publicRooms", "chunk", TRUE, &chunk, &error))
    {
      g_task_return_error (task, error);
      return;
    }

  found = g_new0 (PublicRooms, 1);
  found->rooms = g_ptr_array_new_with_free_func (g_object_unref);
  for (guint i = 0; i < json_array_get_length (chunk) && i < 1000; i++)
    {
      JsonNode *node = json_array_get_element (chunk, i);
      MatrixPublicRoom *room;

      if (!JSON_NODE_HOLDS_OBJECT (node))
        continue;
      room = public_room_from_json (json_node_get_object (node));
      if (room != NULL)
        g_ptr_array_add (found->rooms, room);
    }
  if (_matrix_json_get_token (response, NULL, "next_batch", FALSE, &next, NULL) && next != NULL)
    found->next_batch = g_strdup (next);

  g_task_return_pointer (task, found, (GDestroyNotify) public_rooms_free);
}

/**
 * matrix_client_get_public_rooms_async:
 * @self: a #MatrixClient
 * @search_term: (nullable): only rooms whose name, topic or alias has this
 * @limit: how many rooms at most (0: the server's default)
 * @since: (nullable): the `next_batch` of the page before, for the next one
 * @cancellable: (nullable): a #GCancellable
 * @callback: called with the rooms
 * @user_data: data for @callback
 *
 * Reads the server's public room directory (`POST /publicRooms`), a page
 * at a time. Entries without a room id are left out; names and topics are
 * cleaned.
 */
void
matrix_client_get_public_rooms_async (MatrixClient        *self,
                                      const char          *search_term,
                                      guint                limit,
                                      const char          *since,
                                      GCancellable        *cancellable,
                                      GAsyncReadyCallback  callback,
                                      gpointer             user_data)
{
  g_autoptr(JsonObject) body = json_object_new ();
  g_autoptr(JsonNode) node = NULL;
  GTask *task;

  g_return_if_fail (MATRIX_IS_CLIENT (self));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, matrix_client_get_public_rooms_async);
  if (limit > 0)
    json_object_set_int_member (body, "limit", limit);
  if (since != NULL)
    json_object_set_string_member (body, "since", since);
  if (search_term != NULL && *search_term != '\0')
    {
      JsonObject *filter = json_object_new ();

      json_object_set_string_member (filter, "generic_search_term", search_term);
      json_object_set_object_member (body, "filter", filter);
    }
  node = json_node_init_object (json_node_alloc (), body);
  matrix_client_request_async (self, "POST", "v3/publicRooms", NULL, node, cancellable,
                               on_public_rooms, task);
}

/**
 * matrix_client_get_public_rooms_finish:
 * @self: a #MatrixClient
 * @result: the #GAsyncResult
 * @next_batch: (out) (optional) (nullable) (transfer full): the token of the
 *   next page, or %NULL on the last
 * @error: return location for a #GError
 *
 * Finishes matrix_client_get_public_rooms_async().
 *
 * Returns: (transfer container) (element-type MatrixPublicRoom) (nullable):
 *   the rooms of this page
 */
GPtrArray *
matrix_client_get_public_rooms_finish (MatrixClient  *self,
                                       GAsyncResult  *result,
                                       char         **next_batch,
                                       GError       **error)
{
  PublicRooms *found;
  GPtrArray *rooms;

  g_return_val_if_fail (g_task_is_valid (result, self), NULL);

  if (next_batch != NULL)
    *next_batch = NULL;
  found = g_task_propagate_pointer (G_TASK (result), error);
  if (found == NULL)
    return NULL;
  if (next_batch != NULL)
    *next_batch = g_steal_pointer (&found->next_batch);
  rooms = g_ptr_array_ref (found->rooms);
  public_rooms_free (found);
  return rooms;
}
