/* SPDX-License-Identifier: LGPL-2.1-or-later */
#define G_LOG_DOMAIN "matrix-room-members"

#include <string.h>

#include "matrix-error.h"
#include "matrix-json-private.h"
#include "matrix-room-members.h"
#include "matrix-room-private.h"
#include "matrix-sliding-sync-private.h"
#include "matrix-store.h"
#include "matrix-text.h"

/**
 * SECTION:matrix-room-members
 *
 * A room's members as the server lists them (`GET /rooms/{roomId}/members`),
 * loaded when asked for, not with every sync: a room of thousands costs
 * nothing until its member list is opened. The answer is validated and
 * sorted on a worker thread; the list is a #GListModel of
 * #MatrixRoomMember, admins first, then moderators, then by name, that a
 * search narrows.
 *
 * The same file holds what a member list offers to do: invite, kick, ban,
 * unban and change a power level, each checked against the room's
 * `m.room.power_levels` (#MatrixPowerLevels).
 */

G_DEFINE_ENUM_TYPE (MatrixMemberAction, matrix_member_action,
  G_DEFINE_ENUM_VALUE (MATRIX_MEMBER_ACTION_KICK, "kick"),
  G_DEFINE_ENUM_VALUE (MATRIX_MEMBER_ACTION_BAN, "ban"),
  G_DEFINE_ENUM_VALUE (MATRIX_MEMBER_ACTION_UNBAN, "unban"))

/**
 * matrix_user_id_is_valid:
 * @user_id: (nullable): a string
 *
 * Whether @user_id has the shape of a user id: `@`, a localpart without
 * `:`, `:`, a server name, at most 255 bytes, no white space or controls.
 *
 * Returns: %TRUE for a user id
 */
gboolean
matrix_user_id_is_valid (const char *user_id)
{
  const char *colon;
  gsize length;

  if (user_id == NULL || user_id[0] != '@')
    return FALSE;
  length = strlen (user_id);
  colon = strchr (user_id, ':');
  if (length > 255 || colon == NULL || colon == user_id + 1 || colon[1] == '\0')
    return FALSE;
  for (const char *c = user_id; *c != '\0'; c++)
    if ((guchar) *c <= ' ' || *c == 0x7f)
      return FALSE;
  return g_utf8_validate (user_id, -1, NULL);
}

/* --- MatrixRoomMember ------------------------------------------------------ */

/**
 * MatrixRoomMember:
 *
 * One member of a room, as a #MatrixRoomMembers listed them: immutable.
 */
struct _MatrixRoomMember
{
  GObject  parent_instance;

  char    *user_id;
  char    *display_name;   /* cleaned; the user id when they set none */
  char    *avatar_url;
  char    *membership;
  gint64   power_level;
  char    *sort_key;       /* role, then the collation key of the name */
  char    *search_key;     /* case-folded name and user id */
};

G_DEFINE_FINAL_TYPE (MatrixRoomMember, matrix_room_member, G_TYPE_OBJECT)

enum {
  MEMBER_PROP_0,
  MEMBER_PROP_USER_ID,
  MEMBER_PROP_DISPLAY_NAME,
  MEMBER_PROP_AVATAR_URL,
  MEMBER_PROP_MEMBERSHIP,
  MEMBER_PROP_POWER_LEVEL,
  MEMBER_PROP_ROLE,
  MEMBER_N_PROPS
};

static GParamSpec *member_properties[MEMBER_N_PROPS];

static void
matrix_room_member_finalize (GObject *object)
{
  MatrixRoomMember *self = MATRIX_ROOM_MEMBER (object);

  g_free (self->user_id);
  g_free (self->display_name);
  g_free (self->avatar_url);
  g_free (self->membership);
  g_free (self->sort_key);
  g_free (self->search_key);

  G_OBJECT_CLASS (matrix_room_member_parent_class)->finalize (object);
}

static void
matrix_room_member_get_property (GObject    *object,
                                 guint       prop_id,
                                 GValue     *value,
                                 GParamSpec *pspec)
{
  MatrixRoomMember *self = MATRIX_ROOM_MEMBER (object);

  switch (prop_id)
    {
    case MEMBER_PROP_USER_ID:
      g_value_set_string (value, self->user_id);
      break;
    case MEMBER_PROP_DISPLAY_NAME:
      g_value_set_string (value, self->display_name);
      break;
    case MEMBER_PROP_AVATAR_URL:
      g_value_set_string (value, self->avatar_url);
      break;
    case MEMBER_PROP_MEMBERSHIP:
      g_value_set_string (value, self->membership);
      break;
    case MEMBER_PROP_POWER_LEVEL:
      g_value_set_int64 (value, self->power_level);
      break;
    case MEMBER_PROP_ROLE:
      g_value_set_enum (value, matrix_power_role_for_level (self->power_level));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
matrix_room_member_class_init (MatrixRoomMemberClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = matrix_room_member_finalize;
  object_class->get_property = matrix_room_member_get_property;

  /**
   * MatrixRoomMember:user-id:
   *
   * The member's user id.
   */
  member_properties[MEMBER_PROP_USER_ID] =
    g_param_spec_string ("user-id", NULL, NULL, NULL, G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  /**
   * MatrixRoomMember:display-name:
   *
   * The member's name in the room, cleaned (matrix_text_dup_name()) and
   * followed by the user id when another member uses the same name; the
   * user id when they set none.
   */
  member_properties[MEMBER_PROP_DISPLAY_NAME] =
    g_param_spec_string ("display-name", NULL, NULL, NULL, G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  /**
   * MatrixRoomMember:avatar-url:
   *
   * The member's avatar (an `mxc://` URI), or %NULL.
   */
  member_properties[MEMBER_PROP_AVATAR_URL] =
    g_param_spec_string ("avatar-url", NULL, NULL, NULL, G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  /**
   * MatrixRoomMember:membership:
   *
   * `join`, `invite`, `ban`, `knock` or `leave`.
   */
  member_properties[MEMBER_PROP_MEMBERSHIP] =
    g_param_spec_string ("membership", NULL, NULL, NULL, G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  /**
   * MatrixRoomMember:power-level:
   *
   * The member's power level when the list was loaded (%G_MAXINT64 for a
   * creator of a room of version 12 or later).
   */
  member_properties[MEMBER_PROP_POWER_LEVEL] =
    g_param_spec_int64 ("power-level", NULL, NULL, G_MININT64, G_MAXINT64, 0,
                        G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  /**
   * MatrixRoomMember:role:
   *
   * The role of #MatrixRoomMember:power-level.
   */
  member_properties[MEMBER_PROP_ROLE] =
    g_param_spec_enum ("role", NULL, NULL, MATRIX_TYPE_POWER_ROLE, MATRIX_POWER_ROLE_USER,
                       G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);

  g_object_class_install_properties (object_class, MEMBER_N_PROPS, member_properties);
}

static void
matrix_room_member_init (MatrixRoomMember *self)
{
}

/**
 * matrix_room_member_get_user_id:
 * @self: a #MatrixRoomMember
 *
 * The member's user id.
 *
 * Returns: the member's user id
 */
const char *
matrix_room_member_get_user_id (MatrixRoomMember *self)
{
  g_return_val_if_fail (MATRIX_IS_ROOM_MEMBER (self), NULL);
  return self->user_id;
}

/**
 * matrix_room_member_get_display_name:
 * @self: a #MatrixRoomMember
 *
 * The member's name (see #MatrixRoomMember:display-name).
 *
 * Returns: the member's name (see #MatrixRoomMember:display-name)
 */
const char *
matrix_room_member_get_display_name (MatrixRoomMember *self)
{
  g_return_val_if_fail (MATRIX_IS_ROOM_MEMBER (self), NULL);
  return self->display_name;
}

/**
 * matrix_room_member_get_avatar_url:
 * @self: a #MatrixRoomMember
 *
 * The member's avatar URI.
 *
 * Returns: (nullable): the member's avatar URI
 */
const char *
matrix_room_member_get_avatar_url (MatrixRoomMember *self)
{
  g_return_val_if_fail (MATRIX_IS_ROOM_MEMBER (self), NULL);
  return self->avatar_url;
}

/**
 * matrix_room_member_get_membership:
 * @self: a #MatrixRoomMember
 *
 * The member's membership, such as `join`.
 *
 * Returns: the member's membership, such as `join`
 */
const char *
matrix_room_member_get_membership (MatrixRoomMember *self)
{
  g_return_val_if_fail (MATRIX_IS_ROOM_MEMBER (self), NULL);
  return self->membership;
}

/**
 * matrix_room_member_get_power_level:
 * @self: a #MatrixRoomMember
 *
 * The member's power level.
 *
 * Returns: the member's power level
 */
gint64
matrix_room_member_get_power_level (MatrixRoomMember *self)
{
  g_return_val_if_fail (MATRIX_IS_ROOM_MEMBER (self), 0);
  return self->power_level;
}

/**
 * matrix_room_member_get_role:
 * @self: a #MatrixRoomMember
 *
 * The member's role: admin, moderator or user.
 *
 * Returns: the member's role: admin, moderator or user
 */
MatrixPowerRole
matrix_room_member_get_role (MatrixRoomMember *self)
{
  g_return_val_if_fail (MATRIX_IS_ROOM_MEMBER (self), MATRIX_POWER_ROLE_USER);
  return matrix_power_role_for_level (self->power_level);
}

/* --- MatrixRoomMembers ----------------------------------------------------- */

/**
 * MatrixRoomMembers:
 *
 * A room's member list: a #GListModel of #MatrixRoomMember, empty until
 * matrix_room_members_load_async() has loaded it, narrowed by
 * #MatrixRoomMembers:search.
 */
struct _MatrixRoomMembers
{
  GObject            parent_instance;

  MatrixRoom        *room;
  GPtrArray         *members;   /* MatrixRoomMember, sorted */
  GHashTable        *by_id;     /* user id → MatrixRoomMember (in members) */
  GPtrArray         *visible;   /* those the search keeps (references) */
  char              *search;    /* case-folded, NULL for none */
  MatrixPowerLevels *power_levels;
  gboolean           loaded;
};

static void list_model_iface_init (GListModelInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (MatrixRoomMembers, matrix_room_members, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (G_TYPE_LIST_MODEL, list_model_iface_init))

enum {
  PROP_0,
  PROP_ROOM,
  PROP_SEARCH,
  PROP_LOADED,
  PROP_N_MEMBERS,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static GType
get_item_type (GListModel *model)
{
  return MATRIX_TYPE_ROOM_MEMBER;
}

static guint
get_n_items (GListModel *model)
{
  return MATRIX_ROOM_MEMBERS (model)->visible->len;
}

static gpointer
get_item (GListModel *model,
          guint       position)
{
  MatrixRoomMembers *self = MATRIX_ROOM_MEMBERS (model);

  if (position >= self->visible->len)
    return NULL;
  return g_object_ref (g_ptr_array_index (self->visible, position));
}

static void
list_model_iface_init (GListModelInterface *iface)
{
  iface->get_item_type = get_item_type;
  iface->get_n_items = get_n_items;
  iface->get_item = get_item;
}

static void
matrix_room_members_finalize (GObject *object)
{
  MatrixRoomMembers *self = MATRIX_ROOM_MEMBERS (object);

  g_clear_object (&self->room);
  g_ptr_array_unref (self->visible);
  g_hash_table_unref (self->by_id);
  g_ptr_array_unref (self->members);
  g_free (self->search);
  g_clear_pointer (&self->power_levels, matrix_power_levels_unref);

  G_OBJECT_CLASS (matrix_room_members_parent_class)->finalize (object);
}

static void
matrix_room_members_get_property (GObject    *object,
                                  guint       prop_id,
                                  GValue     *value,
                                  GParamSpec *pspec)
{
  MatrixRoomMembers *self = MATRIX_ROOM_MEMBERS (object);

  switch (prop_id)
    {
    case PROP_ROOM:
      g_value_set_object (value, self->room);
      break;
    case PROP_SEARCH:
      g_value_set_string (value, self->search);
      break;
    case PROP_LOADED:
      g_value_set_boolean (value, self->loaded);
      break;
    case PROP_N_MEMBERS:
      g_value_set_uint (value, self->members->len);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
matrix_room_members_set_property (GObject      *object,
                                  guint         prop_id,
                                  const GValue *value,
                                  GParamSpec   *pspec)
{
  MatrixRoomMembers *self = MATRIX_ROOM_MEMBERS (object);

  switch (prop_id)
    {
    case PROP_ROOM:
      self->room = g_value_dup_object (value);
      break;
    case PROP_SEARCH:
      matrix_room_members_set_search (self, g_value_get_string (value));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
matrix_room_members_class_init (MatrixRoomMembersClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = matrix_room_members_finalize;
  object_class->get_property = matrix_room_members_get_property;
  object_class->set_property = matrix_room_members_set_property;

  /**
   * MatrixRoomMembers:room:
   *
   * The room whose members these are.
   */
  properties[PROP_ROOM] =
    g_param_spec_object ("room", NULL, NULL, MATRIX_TYPE_ROOM,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  /**
   * MatrixRoomMembers:search:
   *
   * Only members whose name or user id contains this text (any case) are
   * listed; %NULL or empty lists everyone.
   */
  properties[PROP_SEARCH] =
    g_param_spec_string ("search", NULL, NULL, NULL,
                         G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  /**
   * MatrixRoomMembers:loaded:
   *
   * Whether a load has completed.
   */
  properties[PROP_LOADED] =
    g_param_spec_boolean ("loaded", NULL, NULL, FALSE,
                          G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  /**
   * MatrixRoomMembers:n-members:
   *
   * How many members were loaded, whatever the search.
   */
  properties[PROP_N_MEMBERS] =
    g_param_spec_uint ("n-members", NULL, NULL, 0, G_MAXUINT, 0,
                       G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);

  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
matrix_room_members_init (MatrixRoomMembers *self)
{
  self->members = g_ptr_array_new_with_free_func (g_object_unref);
  self->visible = g_ptr_array_new_with_free_func (g_object_unref);
  self->by_id = g_hash_table_new (g_str_hash, g_str_equal);
}

/**
 * matrix_room_members_new:
 * @room: a #MatrixRoom
 *
 * An empty member list of @room; load it with
 * matrix_room_members_load_async().
 *
 * Returns: (transfer full): the list
 */
MatrixRoomMembers *
matrix_room_members_new (MatrixRoom *room)
{
  g_return_val_if_fail (MATRIX_IS_ROOM (room), NULL);

  return g_object_new (MATRIX_TYPE_ROOM_MEMBERS, "room", room, NULL);
}

/**
 * matrix_room_members_get_room:
 * @self: a #MatrixRoomMembers
 *
 * The room.
 *
 * Returns: (transfer none): the room
 */
MatrixRoom *
matrix_room_members_get_room (MatrixRoomMembers *self)
{
  g_return_val_if_fail (MATRIX_IS_ROOM_MEMBERS (self), NULL);
  return self->room;
}

/**
 * matrix_room_members_get_loaded:
 * @self: a #MatrixRoomMembers
 *
 * Whether a load has completed.
 *
 * Returns: whether a load has completed
 */
gboolean
matrix_room_members_get_loaded (MatrixRoomMembers *self)
{
  g_return_val_if_fail (MATRIX_IS_ROOM_MEMBERS (self), FALSE);
  return self->loaded;
}

/**
 * matrix_room_members_get_n_members:
 * @self: a #MatrixRoomMembers
 *
 * How many members were loaded, whatever the search.
 *
 * Returns: how many members were loaded, whatever the search
 */
guint
matrix_room_members_get_n_members (MatrixRoomMembers *self)
{
  g_return_val_if_fail (MATRIX_IS_ROOM_MEMBERS (self), 0);
  return self->members->len;
}

/**
 * matrix_room_members_get_search:
 * @self: a #MatrixRoomMembers
 *
 * The search, case-folded.
 *
 * Returns: (nullable): the search, case-folded
 */
const char *
matrix_room_members_get_search (MatrixRoomMembers *self)
{
  g_return_val_if_fail (MATRIX_IS_ROOM_MEMBERS (self), NULL);
  return self->search;
}

static void
refilter (MatrixRoomMembers *self)
{
  guint old_n = self->visible->len;

  g_ptr_array_set_size (self->visible, 0);
  for (guint i = 0; i < self->members->len; i++)
    {
      MatrixRoomMember *member = g_ptr_array_index (self->members, i);

      if (self->search == NULL || strstr (member->search_key, self->search) != NULL)
        g_ptr_array_add (self->visible, g_object_ref (member));
    }

  if (old_n > 0 || self->visible->len > 0)
    g_list_model_items_changed (G_LIST_MODEL (self), 0, old_n, self->visible->len);
}

static char *
fold (const char *text)
{
  g_autofree char *normal = g_utf8_normalize (text, -1, G_NORMALIZE_ALL);

  return normal != NULL ? g_utf8_casefold (normal, -1) : g_strdup ("");
}

/**
 * matrix_room_members_set_search:
 * @self: a #MatrixRoomMembers
 * @search: (nullable): text to look for
 *
 * Lists only the members whose name or user id contains @search, in any
 * case; %NULL or an empty text lists everyone.
 */
void
matrix_room_members_set_search (MatrixRoomMembers *self,
                                const char        *search)
{
  g_autofree char *folded = NULL;

  g_return_if_fail (MATRIX_IS_ROOM_MEMBERS (self));

  if (search != NULL && *search != '\0' && g_utf8_validate (search, -1, NULL))
    folded = fold (search);
  if (g_strcmp0 (folded, self->search) == 0)
    return;

  g_free (self->search);
  self->search = g_steal_pointer (&folded);
  refilter (self);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_SEARCH]);
}

/**
 * matrix_room_members_get_power_levels:
 * @self: a #MatrixRoomMembers
 *
 * The room's power levels as they were when the list was loaded, or %NULL
 * before.
 *
 * Returns: (transfer none) (nullable): the room's power levels as they
 *   were when the list was loaded, or %NULL before
 */
MatrixPowerLevels *
matrix_room_members_get_power_levels (MatrixRoomMembers *self)
{
  g_return_val_if_fail (MATRIX_IS_ROOM_MEMBERS (self), NULL);
  return self->power_levels;
}

/**
 * matrix_room_members_find:
 * @self: a #MatrixRoomMembers
 * @user_id: a user id
 *
 * The member with @user_id, listed or not by the search.
 *
 * Returns: (transfer none) (nullable): the member with @user_id, listed
 *   or not by the search
 */
MatrixRoomMember *
matrix_room_members_find (MatrixRoomMembers *self,
                          const char        *user_id)
{
  g_return_val_if_fail (MATRIX_IS_ROOM_MEMBERS (self), NULL);
  g_return_val_if_fail (user_id != NULL, NULL);

  return g_hash_table_lookup (self->by_id, user_id);
}

typedef struct {
  JsonObject        *response;
  MatrixPowerLevels *power_levels;
} LoadData;

static void
load_data_free (LoadData *data)
{
  g_clear_pointer (&data->response, json_object_unref);
  g_clear_pointer (&data->power_levels, matrix_power_levels_unref);
  g_free (data);
}

static int
compare_sort_keys (gconstpointer a,
                   gconstpointer b)
{
  const MatrixRoomMember *left = *(MatrixRoomMember * const *) a;
  const MatrixRoomMember *right = *(MatrixRoomMember * const *) b;
  int order = strcmp (left->sort_key, right->sort_key);

  return order != 0 ? order : strcmp (left->user_id, right->user_id);
}

static const char *
string_or_null (JsonObject *object,
                const char *member)
{
  const char *value = NULL;

  if (object == NULL || !_matrix_json_get_string (object, NULL, member, FALSE, &value, NULL))
    return NULL;
  return value;
}

/* On a worker thread: the response is this task's alone. Each chunk entry
 * that is not a member event with a user id and a membership is skipped;
 * a later event for the same user replaces an earlier one. */
static void
load_in_thread (GTask        *task,
                gpointer      source_object,
                gpointer      task_data,
                GCancellable *cancellable)
{
  LoadData *data = task_data;
  g_autoptr(GPtrArray) members = g_ptr_array_new_with_free_func (g_object_unref);
  g_autoptr(GHashTable) by_id = g_hash_table_new (g_str_hash, g_str_equal);
  g_autoptr(GHashTable) name_counts = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  JsonArray *chunk = NULL;
  GError *error = NULL;

  if (!_matrix_json_get_array (data->response, "members", "chunk", TRUE, &chunk, &error))
    {
      g_task_return_error (task, error);
      return;
    }

  for (guint i = 0; i < json_array_get_length (chunk); i++)
    {
      JsonNode *node = json_array_get_element (chunk, i);
      JsonObject *event, *content = NULL;
      const char *user_id, *membership, *name, *avatar;
      MatrixRoomMember *member, *previous;

      if (!JSON_NODE_HOLDS_OBJECT (node))
        continue;
      event = json_node_get_object (node);
      user_id = string_or_null (event, "state_key");
      if (g_strcmp0 (string_or_null (event, "type"), "m.room.member") != 0 ||
          !matrix_user_id_is_valid (user_id) ||
          !_matrix_json_get_object (event, NULL, "content", TRUE, &content, NULL))
        continue;
      membership = string_or_null (content, "membership");
      if (membership == NULL || strlen (membership) > 32)
        continue;
      name = string_or_null (content, "displayname");
      avatar = string_or_null (content, "avatar_url");

      member = g_object_new (MATRIX_TYPE_ROOM_MEMBER, NULL);
      member->user_id = g_strdup (user_id);
      member->membership = g_strdup (membership);
      if (name != NULL)
        member->display_name = matrix_text_dup_name (name);
      if (member->display_name == NULL || *member->display_name == '\0')
        {
          g_free (member->display_name);
          member->display_name = g_strdup (user_id);
        }
      if (avatar != NULL && g_str_has_prefix (avatar, "mxc://") && strlen (avatar) < 512)
        member->avatar_url = g_strdup (avatar);
      member->power_level = matrix_power_levels_get_user_level (data->power_levels, user_id);

      previous = g_hash_table_lookup (by_id, member->user_id);
      if (previous != NULL)
        g_ptr_array_remove_fast (members, previous);
      g_hash_table_insert (by_id, member->user_id, member);
      g_ptr_array_add (members, member);
    }

  /* Two present members of one name are told apart by their ids. */
  for (guint i = 0; i < members->len; i++)
    {
      MatrixRoomMember *member = g_ptr_array_index (members, i);
      guint count = GPOINTER_TO_UINT (g_hash_table_lookup (name_counts, member->display_name));

      g_hash_table_insert (name_counts, g_strdup (member->display_name), GUINT_TO_POINTER (count + 1));
    }
  for (guint i = 0; i < members->len; i++)
    {
      MatrixRoomMember *member = g_ptr_array_index (members, i);
      g_autofree char *folded = NULL, *collate = NULL;
      MatrixPowerRole role = matrix_power_role_for_level (member->power_level);

      if (GPOINTER_TO_UINT (g_hash_table_lookup (name_counts, member->display_name)) > 1 &&
          !g_str_equal (member->display_name, member->user_id))
        {
          char *both = g_strdup_printf ("%s (%s)", member->display_name, member->user_id);
          g_free (member->display_name);
          member->display_name = both;
        }
      folded = fold (member->display_name);
      member->search_key = g_strdup_printf ("%s\n%s", folded, member->user_id);
      collate = g_utf8_collate_key (folded, -1);
      /* Admins, moderators, then everyone; joined before invited before
       * banned; then by name. */
      member->sort_key = g_strdup_printf ("%d%d%s", 2 - (int) role,
                                          g_str_equal (member->membership, "join") ? 0 :
                                          g_str_equal (member->membership, "invite") ? 1 : 2,
                                          collate);
    }
  g_ptr_array_sort (members, compare_sort_keys);

  g_task_return_pointer (task, g_steal_pointer (&members), (GDestroyNotify) g_ptr_array_unref);
}

static void
on_members_parsed (GObject      *source,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  MatrixRoomMembers *self = g_task_get_source_object (task);
  g_autoptr(GPtrArray) members = NULL;
  LoadData *data = g_task_get_task_data (G_TASK (result));
  GError *error = NULL;

  members = g_task_propagate_pointer (G_TASK (result), &error);
  if (members == NULL)
    {
      g_task_return_error (task, error);
      return;
    }

  g_clear_pointer (&self->power_levels, matrix_power_levels_unref);
  self->power_levels = matrix_power_levels_ref (data->power_levels);
  g_hash_table_remove_all (self->by_id);
  g_ptr_array_unref (self->members);
  self->members = g_steal_pointer (&members);
  for (guint i = 0; i < self->members->len; i++)
    {
      MatrixRoomMember *member = g_ptr_array_index (self->members, i);
      g_hash_table_insert (self->by_id, member->user_id, member);
    }
  refilter (self);
  self->loaded = TRUE;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_N_MEMBERS]);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_LOADED]);
  g_task_return_boolean (task, TRUE);
}

static void
on_members_request_done (GObject      *source,
                         GAsyncResult *result,
                         gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  GCancellable *cancellable = g_task_get_cancellable (task);
  MatrixRoomMembers *self = g_task_get_source_object (task);
  LoadData *data;
  GTask *parse;
  GError *error = NULL;
  JsonObject *response;

  response = matrix_client_request_finish (MATRIX_CLIENT (source), result, &error);
  if (response == NULL)
    {
      g_task_return_error (task, error);
      return;
    }

  data = g_new0 (LoadData, 1);
  data->response = response;
  data->power_levels = matrix_room_dup_power_levels (self->room);
  parse = g_task_new (self, cancellable, on_members_parsed, g_steal_pointer (&task));
  g_task_set_task_data (parse, data, (GDestroyNotify) load_data_free);
  g_task_set_name (parse, "room members");
  g_task_run_in_thread (parse, load_in_thread);
  g_object_unref (parse);
}

/**
 * matrix_room_members_load_async:
 * @self: a #MatrixRoomMembers
 * @membership: (nullable): only members of this membership (`join`,
 *   `invite`, `ban`...), or %NULL for everyone but those who left
 * @cancellable: (nullable): a #GCancellable
 * @callback: called when the list is loaded
 * @user_data: data for @callback
 *
 * Loads the member list with `GET /rooms/{roomId}/members`, as of the
 * client's sync token (`at`), so it agrees with the state the room shows.
 * The answer is validated and sorted on a worker thread; the list then
 * changes at once, with one #GListModel::items-changed.
 */
void
matrix_room_members_load_async (MatrixRoomMembers   *self,
                                const char          *membership,
                                GCancellable        *cancellable,
                                GAsyncReadyCallback  callback,
                                gpointer             user_data)
{
  MatrixClient *client;
  const char *token;
  g_autoptr(GPtrArray) query = g_ptr_array_new ();
  g_autofree char *path = NULL;
  GTask *task;

  g_return_if_fail (MATRIX_IS_ROOM_MEMBERS (self));

  client = matrix_room_get_client (self->room);
  token = matrix_store_get_sync_token (matrix_client_get_store (client));
  if (membership != NULL)
    {
      g_ptr_array_add (query, "membership");
      g_ptr_array_add (query, (gpointer) membership);
    }
  else
    {
      g_ptr_array_add (query, "not_membership");
      g_ptr_array_add (query, "leave");
    }
  /* `at` takes a /v3/sync token; a sliding sync pos is none (the members
   * are then the room's current ones). */
  if (token != NULL && !_matrix_sliding_sync_is_token (token))
    {
      g_ptr_array_add (query, "at");
      g_ptr_array_add (query, (gpointer) token);
    }
  g_ptr_array_add (query, NULL);

  path = matrix_client_build_path ("v3", "rooms", matrix_room_get_room_id (self->room), "members", NULL);
  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, matrix_room_members_load_async);
  matrix_client_request_async (client, "GET", path, (const char * const *) query->pdata, NULL,
                               cancellable, on_members_request_done, task);
}

/**
 * matrix_room_members_load_finish:
 * @self: a #MatrixRoomMembers
 * @result: the #GAsyncResult
 * @error: return location for a #GError
 *
 * Finishes matrix_room_members_load_async().
 *
 * Returns: %TRUE if the list was loaded
 */
gboolean
matrix_room_members_load_finish (MatrixRoomMembers  *self,
                                 GAsyncResult       *result,
                                 GError            **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}

/* --- what a room's members can do ------------------------------------------ */

/**
 * matrix_room_dup_power_levels:
 * @room: a #MatrixRoom
 *
 * The room's power levels, from its current `m.room.power_levels` and
 * `m.room.create` (its sender and `additional_creators` are the creators,
 * its `room_version` says whether they outrank everyone).
 *
 * Returns: (transfer full): the power levels
 */
MatrixPowerLevels *
matrix_room_dup_power_levels (MatrixRoom *room)
{
  g_autoptr(JsonObject) content = NULL;
  g_autoptr(GPtrArray) creators = g_ptr_array_new ();
  MatrixStore *store;
  g_autoptr(MatrixStateEvent) create_event = NULL;
  const char *room_version = NULL;
  JsonArray *additional = NULL;

  g_return_val_if_fail (MATRIX_IS_ROOM (room), NULL);

  content = _matrix_room_dup_state_content (room, "m.room.power_levels", "");
  store = matrix_client_get_store (matrix_room_get_client (room));
  create_event = matrix_store_get_state_event (store, matrix_room_get_room_id (room), "m.room.create", "");
  if (create_event != NULL)
    {
      JsonObject *create_content = matrix_event_get_content (MATRIX_EVENT (create_event));

      g_ptr_array_add (creators, (gpointer) matrix_event_get_sender (MATRIX_EVENT (create_event)));
      room_version = string_or_null (create_content, "room_version");
      if (room_version == NULL)
        room_version = "1";
      if (create_content != NULL &&
          _matrix_json_get_array (create_content, NULL, "additional_creators", FALSE, &additional, NULL) &&
          additional != NULL)
        for (guint i = 0; i < json_array_get_length (additional) && i < 100; i++)
          {
            JsonNode *node = json_array_get_element (additional, i);

            if (JSON_NODE_HOLDS_VALUE (node) && json_node_get_value_type (node) == G_TYPE_STRING &&
                matrix_user_id_is_valid (json_node_get_string (node)))
              g_ptr_array_add (creators, (gpointer) json_node_get_string (node));
          }
    }
  g_ptr_array_add (creators, NULL);

  return matrix_power_levels_new (content, room_version, (const char * const *) creators->pdata);
}

/**
 * matrix_room_dup_member_membership:
 * @room: a #MatrixRoom
 * @user_id: a user id
 *
 * What the room's current state says of @user_id.
 *
 * Returns: (transfer full) (nullable): the membership (`join`, `invite`,
 *   `ban`...), or %NULL if the state has none
 */
char *
matrix_room_dup_member_membership (MatrixRoom *room,
                                   const char *user_id)
{
  g_autoptr(JsonObject) content = NULL;
  const char *membership;

  g_return_val_if_fail (MATRIX_IS_ROOM (room), NULL);
  g_return_val_if_fail (user_id != NULL, NULL);

  content = _matrix_room_dup_state_content (room, "m.room.member", user_id);
  membership = string_or_null (content, "membership");
  return g_strdup (membership);
}

typedef struct {
  char *path;
  char *user_id;
} InviteData;

static void
invite_data_free (InviteData *data)
{
  g_free (data->path);
  g_free (data->user_id);
  g_free (data);
}

static void
on_invite_done (GObject      *source,
                GAsyncResult *result,
                gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  g_autoptr(JsonObject) response = NULL;
  GError *error = NULL;

  response = matrix_client_request_finish (MATRIX_CLIENT (source), result, &error);
  if (response == NULL)
    {
      if (g_error_matches (error, MATRIX_ERROR, MATRIX_ERROR_NOT_FOUND))
        error->code = MATRIX_ERROR_UNKNOWN_USER;
      g_task_return_error (task, error);
      return;
    }
  g_task_return_boolean (task, TRUE);
}

static void
on_invite_profile (GObject      *source,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  InviteData *data = g_task_get_task_data (task);
  g_autoptr(JsonObject) response = NULL;
  g_autoptr(JsonObject) body = json_object_new ();
  g_autoptr(JsonNode) node = NULL;
  g_autoptr(GError) error = NULL;

  /* A profile the server does not have (404, whatever the errcode:
   * Synapse says M_UNKNOWN "No row found") is a user it does not know, and
   * Synapse would accept an invite for them all the same. A server that
   * keeps profiles private says 403, and the invite decides. */
  response = matrix_client_request_finish (MATRIX_CLIENT (source), result, &error);
  if (response == NULL && error->domain == MATRIX_ERROR && matrix_error_get_http_status (error) == 404)
    {
      error->code = MATRIX_ERROR_UNKNOWN_USER;
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  if (g_task_return_error_if_cancelled (task))
    return;

  json_object_set_string_member (body, "user_id", data->user_id);
  node = json_node_init_object (json_node_alloc (), body);
  matrix_client_request_async (MATRIX_CLIENT (source), "POST", data->path, NULL, node,
                               g_task_get_cancellable (task), on_invite_done, g_object_ref (task));
}

/**
 * matrix_room_invite_async:
 * @room: a #MatrixRoom
 * @user_id: whom to invite
 * @cancellable: (nullable): a #GCancellable
 * @callback: called when done
 * @user_data: data for @callback
 *
 * Invites @user_id (`POST /rooms/{roomId}/invite`). The errors say what
 * went wrong in words a user understands: %MATRIX_ERROR_INVALID_USER_ID
 * (no request made), %MATRIX_ERROR_ALREADY_MEMBER (the room's state has
 * them joined or invited; no request made), %MATRIX_ERROR_UNKNOWN_USER (the
 * server has no profile for them, or answers the invite `M_NOT_FOUND`),
 * %MATRIX_ERROR_FORBIDDEN (the user may not invite, or the invitee is
 * banned).
 */
void
matrix_room_invite_async (MatrixRoom          *room,
                          const char          *user_id,
                          GCancellable        *cancellable,
                          GAsyncReadyCallback  callback,
                          gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  g_autofree char *membership = NULL;
  g_autofree char *profile_path = NULL;
  InviteData *data;

  g_return_if_fail (MATRIX_IS_ROOM (room));
  g_return_if_fail (user_id != NULL);

  task = g_task_new (room, cancellable, callback, user_data);
  g_task_set_source_tag (task, matrix_room_invite_async);

  if (!matrix_user_id_is_valid (user_id))
    {
      g_task_return_new_error (task, MATRIX_ERROR, MATRIX_ERROR_INVALID_USER_ID,
                               "“%s” is not a Matrix user id (@name:server)", user_id);
      return;
    }
  membership = matrix_room_dup_member_membership (room, user_id);
  if (g_strcmp0 (membership, "join") == 0 || g_strcmp0 (membership, "invite") == 0)
    {
      g_task_return_new_error (task, MATRIX_ERROR, MATRIX_ERROR_ALREADY_MEMBER,
                               "%s is already %s", user_id,
                               g_str_equal (membership, "join") ? "in the room" : "invited");
      return;
    }

  data = g_new0 (InviteData, 1);
  data->user_id = g_strdup (user_id);
  data->path = matrix_client_build_path ("v3", "rooms", matrix_room_get_room_id (room), "invite", NULL);
  g_task_set_task_data (task, data, (GDestroyNotify) invite_data_free);
  profile_path = matrix_client_build_path ("v3", "profile", user_id, NULL);
  matrix_client_request_async (matrix_room_get_client (room), "GET", profile_path, NULL, NULL,
                               cancellable, on_invite_profile, g_steal_pointer (&task));
}

/**
 * matrix_room_invite_finish:
 * @room: a #MatrixRoom
 * @result: the #GAsyncResult
 * @error: return location for a #GError
 *
 * Finishes matrix_room_invite_async().
 *
 * Returns: %TRUE if the user was invited
 */
gboolean
matrix_room_invite_finish (MatrixRoom    *room,
                           GAsyncResult  *result,
                           GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, room), FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}

static void
on_boolean_request_done (GObject      *source,
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

/**
 * matrix_room_moderate_async:
 * @room: a #MatrixRoom
 * @action: kick, ban or unban
 * @user_id: whom
 * @reason: (nullable): why, shown to them and in the room
 * @cancellable: (nullable): a #GCancellable
 * @callback: called when done
 * @user_data: data for @callback
 *
 * Kicks, bans or unbans @user_id (`POST /rooms/{roomId}/kick`, `/ban` or
 * `/unban`), with @reason. The server decides; a moderator's list offers
 * only what matrix_power_levels_can_kick() and
 * matrix_power_levels_can_ban() allow. A refusal is %MATRIX_ERROR_FORBIDDEN.
 */
void
matrix_room_moderate_async (MatrixRoom          *room,
                            MatrixMemberAction   action,
                            const char          *user_id,
                            const char          *reason,
                            GCancellable        *cancellable,
                            GAsyncReadyCallback  callback,
                            gpointer             user_data)
{
  static const char *endpoints[] = {
    [MATRIX_MEMBER_ACTION_KICK] = "kick",
    [MATRIX_MEMBER_ACTION_BAN] = "ban",
    [MATRIX_MEMBER_ACTION_UNBAN] = "unban",
  };
  g_autoptr(JsonObject) body = json_object_new ();
  g_autoptr(JsonNode) node = NULL;
  g_autofree char *path = NULL;
  GTask *task;

  g_return_if_fail (MATRIX_IS_ROOM (room));
  g_return_if_fail ((guint) action < G_N_ELEMENTS (endpoints));
  g_return_if_fail (user_id != NULL);

  task = g_task_new (room, cancellable, callback, user_data);
  g_task_set_source_tag (task, matrix_room_moderate_async);
  if (!matrix_user_id_is_valid (user_id))
    {
      g_task_return_new_error (task, MATRIX_ERROR, MATRIX_ERROR_INVALID_USER_ID,
                               "“%s” is not a Matrix user id (@name:server)", user_id);
      g_object_unref (task);
      return;
    }

  json_object_set_string_member (body, "user_id", user_id);
  if (reason != NULL && *reason != '\0')
    json_object_set_string_member (body, "reason", reason);
  path = matrix_client_build_path ("v3", "rooms", matrix_room_get_room_id (room), endpoints[action], NULL);
  node = json_node_init_object (json_node_alloc (), body);
  matrix_client_request_async (matrix_room_get_client (room), "POST", path, NULL, node,
                               cancellable, on_boolean_request_done, task);
}

/**
 * matrix_room_moderate_finish:
 * @room: a #MatrixRoom
 * @result: the #GAsyncResult
 * @error: return location for a #GError
 *
 * Finishes matrix_room_moderate_async().
 *
 * Returns: %TRUE if the server did it
 */
gboolean
matrix_room_moderate_finish (MatrixRoom    *room,
                             GAsyncResult  *result,
                             GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, room), FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}

/**
 * matrix_room_set_user_power_level_async:
 * @room: a #MatrixRoom
 * @user_id: whose level
 * @level: the new level
 * @cancellable: (nullable): a #GCancellable
 * @callback: called when done
 * @user_data: data for @callback
 *
 * Sends the room's `m.room.power_levels` with @user_id at @level, every
 * other key as it was. Refused with %MATRIX_ERROR_FORBIDDEN, before any
 * request, where matrix_power_levels_can_set_user_level() says no.
 */
void
matrix_room_set_user_power_level_async (MatrixRoom          *room,
                                        const char          *user_id,
                                        gint64               level,
                                        GCancellable        *cancellable,
                                        GAsyncReadyCallback  callback,
                                        gpointer             user_data)
{
  MatrixClient *client;
  g_autoptr(MatrixPowerLevels) levels = NULL;
  g_autoptr(JsonObject) content = NULL;
  g_autoptr(JsonNode) node = NULL;
  g_autofree char *path = NULL;
  const char *own_id;
  GTask *task;

  g_return_if_fail (MATRIX_IS_ROOM (room));
  g_return_if_fail (user_id != NULL);

  client = matrix_room_get_client (room);
  own_id = matrix_client_get_user_id (client);
  task = g_task_new (room, cancellable, callback, user_data);
  g_task_set_source_tag (task, matrix_room_set_user_power_level_async);

  levels = matrix_room_dup_power_levels (room);
  if (own_id == NULL || !matrix_user_id_is_valid (user_id) ||
      !matrix_power_levels_can_set_user_level (levels, own_id, user_id, level))
    {
      g_task_return_new_error (task, MATRIX_ERROR, MATRIX_ERROR_FORBIDDEN,
                               "Not allowed to set the power level of %s to %" G_GINT64_FORMAT,
                               user_id, level);
      g_object_unref (task);
      return;
    }

  content = matrix_power_levels_dup_content_with_user_level (levels, user_id, level);
  path = matrix_client_build_path ("v3", "rooms", matrix_room_get_room_id (room), "state",
                                   "m.room.power_levels", "", NULL);
  node = json_node_init_object (json_node_alloc (), content);
  matrix_client_request_async (client, "PUT", path, NULL, node,
                               cancellable, on_boolean_request_done, task);
}

/**
 * matrix_room_set_user_power_level_finish:
 * @room: a #MatrixRoom
 * @result: the #GAsyncResult
 * @error: return location for a #GError
 *
 * Finishes matrix_room_set_user_power_level_async().
 *
 * Returns: %TRUE if the server took the new levels
 */
gboolean
matrix_room_set_user_power_level_finish (MatrixRoom    *room,
                                         GAsyncResult  *result,
                                         GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, room), FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}
