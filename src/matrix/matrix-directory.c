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
