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

/* --- state access ---------------------------------------------------------- */

const char *
_matrix_room_content_string (JsonObject *content,
                             const char *member)
{
  const char *value = NULL;

  if (content == NULL || !_matrix_json_get_string (content, NULL, member, FALSE, &value, NULL))
    return NULL;
  return value;
}

const char *
_matrix_room_nonempty (const char *s)
{
  return s != NULL && *s != '\0' ? s : NULL;
}

/* (transfer full) (nullable): the content of the current state (type, key). */
static JsonObject *
dup_state_content (MatrixRoom *self,
                   const char *type,
                   const char *state_key)
{
  if (self->invite_state != NULL)
    {
      /* Later entries win, as they would in a state section. */
      for (guint i = self->invite_state->len; i > 0; i--)
        {
          JsonObject *event = g_ptr_array_index (self->invite_state, i - 1);

          if (g_strcmp0 (_matrix_room_content_string (event, "type"), type) == 0 &&
              g_strcmp0 (_matrix_room_content_string (event, "state_key"), state_key) == 0)
            return json_object_ref (json_object_get_object_member (event, "content"));
        }
      return NULL;
    }
  else
    {
      MatrixStore *store = matrix_client_get_store (self->client);
      g_autoptr(MatrixStateEvent) event = matrix_store_get_state_event (store, self->room_id,
                                                                        type, state_key);

      if (event == NULL)
        return NULL;
      return json_object_ref (matrix_event_get_content (MATRIX_EVENT (event)));
    }
}

JsonObject *
_matrix_room_dup_state_content (MatrixRoom *self,
                                const char *type,
                                const char *state_key)
{
  g_return_val_if_fail (MATRIX_IS_ROOM (self), NULL);

  return dup_state_content (self, type, state_key);
}

typedef struct {
  const char *user_id;
  const char *membership;
  const char *displayname;
} Member;

static int
compare_members (gconstpointer a,
                 gconstpointer b)
{
  return g_strcmp0 (((const Member *) a)->user_id, ((const Member *) b)->user_id);
}

static gboolean
is_present (const Member *member)
{
  return g_strcmp0 (member->membership, "join") == 0 ||
         g_strcmp0 (member->membership, "invite") == 0;
}

/* Every m.room.member of the room, sorted by user id. The strings belong to
 * @keep, which holds the events or JSON objects they came from. */
static GArray *
list_members (MatrixRoom *self,
              GPtrArray **keep)
{
  GArray *members = g_array_new (FALSE, FALSE, sizeof (Member));

  if (self->invite_state != NULL)
    {
      *keep = g_ptr_array_ref (self->invite_state);
      for (guint i = 0; i < self->invite_state->len; i++)
        {
          JsonObject *event = g_ptr_array_index (self->invite_state, i);
          JsonObject *content = json_object_get_object_member (event, "content");
          Member member;

          if (g_strcmp0 (_matrix_room_content_string (event, "type"), "m.room.member") != 0)
            continue;
          member.user_id = _matrix_room_content_string (event, "state_key");
          member.membership = _matrix_room_content_string (content, "membership");
          member.displayname = _matrix_room_nonempty (_matrix_room_content_string (content, "displayname"));
          g_array_append_val (members, member);
        }
    }
  else
    {
      MatrixStore *store = matrix_client_get_store (self->client);

      *keep = matrix_store_get_state_events (store, self->room_id, "m.room.member");
      for (guint i = 0; i < (*keep)->len; i++)
        {
          MatrixStateEvent *event = g_ptr_array_index (*keep, i);
          JsonObject *content = matrix_event_get_content (MATRIX_EVENT (event));
          Member member;

          member.user_id = matrix_state_event_get_state_key (event);
          member.membership = _matrix_room_content_string (content, "membership");
          member.displayname = _matrix_room_nonempty (_matrix_room_content_string (content, "displayname"));
          /* Someone who left or was banned keeps the name they had: a
           * leave carries none, the state it replaced did. */
          if (member.displayname == NULL && !is_present (&member))
            member.displayname =
              _matrix_room_nonempty (matrix_event_get_prev_content_string (MATRIX_EVENT (event), "displayname"));
          g_array_append_val (members, member);
        }
    }

  g_array_sort (members, compare_members);
  return members;
}

static void
ensure_member_names (MatrixRoom *self)
{
  g_autoptr(GPtrArray) keep = NULL;
  g_autoptr(GArray) members = NULL;

  if (self->member_names != NULL)
    return;

  self->member_names = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  self->name_counts = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);

  members = list_members (self, &keep);
  for (guint i = 0; i < members->len; i++)
    {
      const Member *member = &g_array_index (members, Member, i);
      g_autofree char *name = NULL;
      guint count;

      /* What shows of the name: invisible characters gone, its length and
       * marks bounded. A name of nothing visible is no name. */
      if (member->displayname == NULL || (name = matrix_text_dup_name (member->displayname)) == NULL)
        continue;
      g_hash_table_replace (self->member_names, g_strdup (member->user_id), g_strdup (name));
      /* Only members still here can be confused with one another. */
      if (!is_present (member))
        continue;
      count = GPOINTER_TO_UINT (g_hash_table_lookup (self->name_counts, name));
      g_hash_table_replace (self->name_counts, g_steal_pointer (&name),
                            GUINT_TO_POINTER (count + 1));
    }
}

void
_matrix_room_invalidate_members (MatrixRoom *self)
{
  g_clear_pointer (&self->member_names, g_hash_table_unref);
  g_clear_pointer (&self->name_counts, g_hash_table_unref);
}

/**
 * matrix_room_dup_member_display_name:
 * @self: a #MatrixRoom
 * @user_id: a user id
 *
 * The name to show for a member: the display name of their m.room.member
 * event (for someone who left, the one they had before, when the server
 * sent it) as matrix_text_dup_name() cleans it, followed by the user id
 * when another member uses the same name or the name looks like a user id,
 * as the spec asks; the user id when they have none.
 *
 * Returns: (transfer full): the name
 */
char *
matrix_room_dup_member_display_name (MatrixRoom *self,
                                     const char *user_id)
{
  const char *name;

  g_return_val_if_fail (MATRIX_IS_ROOM (self), NULL);
  g_return_val_if_fail (user_id != NULL, NULL);

  ensure_member_names (self);
  name = g_hash_table_lookup (self->member_names, user_id);
  if (name == NULL)
    return g_strdup (user_id);

  if (GPOINTER_TO_UINT (g_hash_table_lookup (self->name_counts, name)) > 1 ||
      (matrix_text_looks_like_user_id (name) && !g_str_equal (name, user_id)))
    return g_strdup_printf ("%s (%s)", name, user_id);

  return g_strdup (name);
}

/**
 * matrix_room_dup_member_ids:
 * @self: a #MatrixRoom
 *
 * Lists who is in the room (or invited to it), as the room's state says.
 *
 * Returns: (transfer full): the user ids of the room's joined and invited
 *   members, sorted: whom a message can mention
 */
GStrv
matrix_room_dup_member_ids (MatrixRoom *self)
{
  g_autoptr(GPtrArray) keep = NULL;
  g_autoptr(GArray) members = NULL;
  g_autoptr(GStrvBuilder) builder = g_strv_builder_new ();

  g_return_val_if_fail (MATRIX_IS_ROOM (self), NULL);

  members = list_members (self, &keep);
  for (guint i = 0; i < members->len; i++)
    {
      const Member *member = &g_array_index (members, Member, i);

      if (member->user_id != NULL && is_present (member))
        g_strv_builder_add (builder, member->user_id);
    }

  return g_strv_builder_end (builder);
}

/* --- the display name --------------------------------------------------------- */

/* "Alice", "Alice and Bob", "Alice, Bob and Carol"; with @n_others > 0,
 * "Alice, Bob and 2 others". */
static char *
format_names (GPtrArray *names,
              guint      n_others)
{
  g_autoptr(GString) head = g_string_new (NULL);
  guint n_head = n_others > 0 ? names->len : names->len - 1;

  for (guint i = 0; i < n_head; i++)
    {
      if (i > 0)
        /* Translators: separates the names in a room name such as "Alice, Bob and Carol" */
        g_string_append (head, _(", "));
      g_string_append (head, g_ptr_array_index (names, i));
    }

  if (n_others > 0)
    /* Translators: a room named after its members: "Alice, Bob and 2 others" */
    return g_strdup_printf (_matrix_ngettext ("%s and %u other", "%s and %u others", n_others),
                            head->str, n_others);

  if (n_head == 0)
    return g_strdup (g_ptr_array_index (names, 0));

  /* Translators: a room named after its members: "Alice and Bob", "Alice, Bob and Carol" */
  return g_strdup_printf (_("%s and %s"), head->str, (char *) g_ptr_array_index (names, n_head));
}

/* The heroes of @summary (a room's /sync summary, nullable), without
 * @own_id, at most MAX_HEROES; NULL when it has none. Shared with the
 * store's lazy loader, which reads the members a list name needs. */
GPtrArray *
_matrix_room_summary_heroes (JsonObject *summary,
                             const char *own_id)
{
  g_autoptr(GPtrArray) heroes = g_ptr_array_new_with_free_func (g_free);
  JsonArray *array = NULL;

  if (summary == NULL ||
      !_matrix_json_get_array (summary, NULL, "m.heroes", FALSE, &array, NULL) ||
      array == NULL)
    return NULL;

  for (guint i = 0; i < json_array_get_length (array) && heroes->len < MAX_HEROES; i++)
    {
      JsonNode *node = json_array_get_element (array, i);

      /* Servers leave us out; should one not, we are no hero of our own rooms. */
      if (JSON_NODE_HOLDS_VALUE (node) && json_node_get_value_type (node) == G_TYPE_STRING &&
          g_strcmp0 (json_node_get_string (node), own_id) != 0)
        g_ptr_array_add (heroes, g_strdup (json_node_get_string (node)));
    }

  return heroes->len > 0 ? g_steal_pointer (&heroes) : NULL;
}

/* Whether @summary (nullable) has both member counts, which name a room
 * with its heroes; -1 for those it lacks. */
gboolean
_matrix_room_summary_counts (JsonObject *summary,
                             gint64     *joined,
                             gint64     *invited)
{
  *joined = *invited = -1;
  if (summary == NULL ||
      !_matrix_json_get_int (summary, NULL, "m.joined_member_count", FALSE, joined, NULL) ||
      !_matrix_json_get_int (summary, NULL, "m.invited_member_count", FALSE, invited, NULL))
    {
      *joined = *invited = -1;
      return FALSE;
    }
  return *joined >= 0 && *invited >= 0;
}

/* The name a room's state gives it, the first of MatrixRoom's rules: its
 * m.room.name, else its canonical alias, cleaned as a member's name is (it
 * names the room in lists, titles and notifications, beside text of the
 * application's); NULL when neither names it. */
char *
_matrix_room_state_name (JsonObject *name_content,
                         JsonObject *alias_content)
{
  char *clean = NULL;
  const char *value;

  value = _matrix_room_nonempty (_matrix_room_content_string (name_content, "name"));
  if (value != NULL && (clean = matrix_text_dup_name (value)) != NULL)
    return clean;

  value = _matrix_room_nonempty (_matrix_room_content_string (alias_content, "alias"));
  if (value != NULL && (clean = matrix_text_dup_name (value)) != NULL)
    return clean;

  return NULL;
}

static char *
compute_display_name (MatrixRoom *self)
{
  const char *own_id = matrix_client_get_user_id (self->client);
  g_autoptr(JsonObject) name_content = dup_state_content (self, "m.room.name", "");
  g_autoptr(JsonObject) alias_content = dup_state_content (self, "m.room.canonical_alias", "");
  g_autoptr(GPtrArray) heroes = NULL;
  g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func (g_free);
  char *state_name;
  gint64 joined, invited, n_others;

  state_name = _matrix_room_state_name (name_content, alias_content);
  if (state_name != NULL)
    return state_name;

  heroes = _matrix_room_summary_heroes (self->summary, own_id);
  if (heroes != NULL && _matrix_room_summary_counts (self->summary, &joined, &invited))
    {
      n_others = joined + invited - 1;
    }
  else
    {
      g_autoptr(GPtrArray) keep = NULL;
      g_autoptr(GArray) members = list_members (self, &keep);
      g_autoptr(GPtrArray) present = g_ptr_array_new_with_free_func (g_free);
      g_autoptr(GPtrArray) gone = g_ptr_array_new_with_free_func (g_free);

      for (guint i = 0; i < members->len; i++)
        {
          const Member *member = &g_array_index (members, Member, i);

          if (g_strcmp0 (member->user_id, own_id) == 0)
            continue;
          g_ptr_array_add (is_present (member) ? present : gone, g_strdup (member->user_id));
        }

      n_others = present->len;
      if (heroes == NULL)
        heroes = present->len > 0 ? g_ptr_array_ref (present) : g_ptr_array_ref (gone);
      if (heroes->len > MAX_HEROES)
        g_ptr_array_set_size (heroes, MAX_HEROES);

      /* An invite may carry no member but ours: the inviter is who it is with. */
      if (heroes->len == 0 && self->membership == MATRIX_MEMBERSHIP_INVITE &&
          self->inviter != NULL && g_strcmp0 (self->inviter, own_id) != 0)
        {
          g_ptr_array_add (heroes, g_strdup (self->inviter));
          n_others = 1;
        }
    }

  for (guint i = 0; i < heroes->len; i++)
    g_ptr_array_add (names, matrix_room_dup_member_display_name (self, g_ptr_array_index (heroes, i)));

  if (n_others > 0 && names->len > 0)
    return format_names (names, n_others > names->len ? n_others - names->len : 0);

  if (names->len > 0)
    {
      g_autofree char *was = format_names (names, 0);

      /* Translators: a room everyone else left; %s names who was in it */
      return g_strdup_printf (_("Empty Room (was %s)"), was);
    }

  return g_strdup (_("Empty Room"));
}

gboolean
_matrix_room_set_string (char       **field,
                         const char  *value)
{
  if (g_strcmp0 (*field, value) == 0)
    return FALSE;
  g_free (*field);
  *field = g_strdup (value);
  return TRUE;
}

/* The avatar of a room without one of its own: in an unnamed room of two,
 * a direct chat in all but name, the other member's, as the room takes its
 * name from them too. */
static char *
dup_fallback_avatar (MatrixRoom *self)
{
  g_autoptr(JsonObject) name_content = dup_state_content (self, "m.room.name", "");
  g_autoptr(JsonObject) alias_content = dup_state_content (self, "m.room.canonical_alias", "");
  g_autoptr(JsonObject) member = NULL;
  g_autoptr(GPtrArray) heroes = NULL;
  g_autofree char *state_name = NULL;
  gint64 joined, invited;

  state_name = _matrix_room_state_name (name_content, alias_content);
  if (state_name != NULL)
    return NULL;

  heroes = _matrix_room_summary_heroes (self->summary, matrix_client_get_user_id (self->client));
  if (heroes == NULL || heroes->len != 1 ||
      !_matrix_room_summary_counts (self->summary, &joined, &invited) || joined + invited > 2)
    return NULL;

  member = dup_state_content (self, "m.room.member", g_ptr_array_index (heroes, 0));
  return g_strdup (_matrix_room_nonempty (_matrix_room_content_string (member, "avatar_url")));
}

void
_matrix_room_update_from_state (MatrixRoom *self)
{
  g_autoptr(JsonObject) topic = dup_state_content (self, "m.room.topic", "");
  g_autoptr(JsonObject) avatar = dup_state_content (self, "m.room.avatar", "");
  g_autofree char *fallback_avatar = NULL;
  g_autofree char *display_name = NULL;
  const char *avatar_url;

  _matrix_room_invalidate_members (self);

  if (_matrix_room_set_string (&self->topic, _matrix_room_content_string (topic, "topic")))
    g_object_notify_by_pspec (G_OBJECT (self), _matrix_room_properties[PROP_TOPIC]);
  avatar_url = _matrix_room_nonempty (_matrix_room_content_string (avatar, "url"));
  if (avatar_url == NULL)
    avatar_url = fallback_avatar = dup_fallback_avatar (self);
  if (_matrix_room_set_string (&self->avatar_url, avatar_url))
    g_object_notify_by_pspec (G_OBJECT (self), _matrix_room_properties[PROP_AVATAR_URL]);

  display_name = compute_display_name (self);
  if (_matrix_room_set_string (&self->display_name, display_name))
    g_object_notify_by_pspec (G_OBJECT (self), _matrix_room_properties[PROP_DISPLAY_NAME]);

  /* Encryption cannot be turned off: once on, it stays on. */
  if (!self->encrypted)
    {
      g_autoptr(JsonObject) encryption = dup_state_content (self, "m.room.encryption", "");

      if (encryption != NULL || matrix_client_is_room_encrypted (self->client, self->room_id))
        {
          self->encrypted = TRUE;
          g_object_notify_by_pspec (G_OBJECT (self), _matrix_room_properties[PROP_ENCRYPTED]);
          /* From now on the counts are the client's. */
          _matrix_room_apply_unread (self);
          _matrix_room_schedule_recount (self);
        }
    }
}
