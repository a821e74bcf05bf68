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

#define MAX_HEROES 5
/* How much of a message the room's preview shows. */
#define PREVIEW_CHARS 200

/**
 * MatrixRoom:
 *
 * One room as the user sees it: its name, topic, avatar, our membership,
 * unread counts and timeline. The #MatrixRoomStateTracker that owns it feeds
 * it each sync; the room keeps what a restart needs in the store's room data.
 *
 * The state of a joined room is read from the client's store. An invited
 * room has no state there, only the stripped state that came with the
 * invite, which the room keeps itself.
 */
struct _MatrixRoom
{
  GObject           parent_instance;

  MatrixClient     *client;
  char             *room_id;
  MatrixTimeline   *timeline;

  MatrixMembership  membership;
  char             *display_name;
  char             *topic;
  char             *avatar_url;
  guint             notification_count;
  guint             highlight_count;
  gint64            last_activity;
  gboolean          bumped;        /* last_activity is that of an event that bumps the room */
  char             *last_message;
  char             *preview_event_id;  /* the message last_message shows */
  char             *inviter;
  gboolean          encrypted;
  /* The event the last read markers named (sent or being sent). */
  char             *read_event_id;

  /* Until the store has loaded the room, the timeline stays empty and the
   * gaps stay as they were read. */
  gboolean          timeline_restored;
  JsonArray        *stored_gaps;

  JsonObject       *summary;       /* merged: the server sends changed fields only */
  JsonObject       *unread;        /* the server's counts */

  /* The counts this client makes with the user's push rules, where the
   * server's are wrong (encrypted rooms) or none (sliding sync). */
  JsonObject       *push_rules;
  guint             own_notifications;
  guint             own_highlights;
  /* The store said the last run showed them: they stand until the room is
   * loaded and can say again whether it is encrypted. */
  gboolean          own_counts_stored;
  GSource          *recount_source;
  GPtrArray        *invite_state;  /* JsonObject; NULL unless invited */
  gint64            invite_ts;

  char             *direct_user_id;
  /* Who types, where each member read, our fully-read marker. */
  MatrixReceipts   *receipts;

  /* Built on demand, dropped when the state changes. */
  GHashTable       *member_names;  /* user id → displayname (joined or invited) */
  GHashTable       *name_counts;   /* displayname → how many members use it */
};

G_DEFINE_FINAL_TYPE (MatrixRoom, matrix_room, G_TYPE_OBJECT)

G_DEFINE_ENUM_TYPE (MatrixMembership, matrix_membership,
  G_DEFINE_ENUM_VALUE (MATRIX_MEMBERSHIP_JOIN, "join"),
  G_DEFINE_ENUM_VALUE (MATRIX_MEMBERSHIP_INVITE, "invite"),
  G_DEFINE_ENUM_VALUE (MATRIX_MEMBERSHIP_LEAVE, "leave"))

enum {
  PROP_0,
  PROP_ROOM_ID,
  PROP_DISPLAY_NAME,
  PROP_TOPIC,
  PROP_AVATAR_URL,
  PROP_MEMBERSHIP,
  PROP_NOTIFICATION_COUNT,
  PROP_HIGHLIGHT_COUNT,
  PROP_LAST_ACTIVITY,
  PROP_LAST_MESSAGE,
  PROP_INVITER,
  PROP_ENCRYPTED,
  PROP_TIMELINE,
  PROP_TYPING_USERS,
  PROP_FULLY_READ,
  PROP_DIRECT_USER_ID,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

enum {
  RECEIPTS_CHANGED,
  STATE_CHANGED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

static void schedule_recount (MatrixRoom *self);
static void apply_unread (MatrixRoom *self);
static gboolean uses_own_counts (MatrixRoom *self);

/* --- state access ---------------------------------------------------------- */

static const char *
content_string (JsonObject *content,
                const char *member)
{
  const char *value = NULL;

  if (content == NULL || !_matrix_json_get_string (content, NULL, member, FALSE, &value, NULL))
    return NULL;
  return value;
}

static const char *
nonempty (const char *s)
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

          if (g_strcmp0 (content_string (event, "type"), type) == 0 &&
              g_strcmp0 (content_string (event, "state_key"), state_key) == 0)
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

          if (g_strcmp0 (content_string (event, "type"), "m.room.member") != 0)
            continue;
          member.user_id = content_string (event, "state_key");
          member.membership = content_string (content, "membership");
          member.displayname = nonempty (content_string (content, "displayname"));
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
          member.membership = content_string (content, "membership");
          member.displayname = nonempty (content_string (content, "displayname"));
          /* Someone who left or was banned keeps the name they had: a
           * leave carries none, the state it replaced did. */
          if (member.displayname == NULL && !is_present (&member))
            member.displayname =
              nonempty (matrix_event_get_prev_content_string (MATRIX_EVENT (event), "displayname"));
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

static void
invalidate_members (MatrixRoom *self)
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

  value = nonempty (content_string (name_content, "name"));
  if (value != NULL && (clean = matrix_text_dup_name (value)) != NULL)
    return clean;

  value = nonempty (content_string (alias_content, "alias"));
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

static gboolean
set_string (char       **field,
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
  return g_strdup (nonempty (content_string (member, "avatar_url")));
}

static void
update_from_state (MatrixRoom *self)
{
  g_autoptr(JsonObject) topic = dup_state_content (self, "m.room.topic", "");
  g_autoptr(JsonObject) avatar = dup_state_content (self, "m.room.avatar", "");
  g_autofree char *fallback_avatar = NULL;
  g_autofree char *display_name = NULL;
  const char *avatar_url;

  invalidate_members (self);

  if (set_string (&self->topic, content_string (topic, "topic")))
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_TOPIC]);
  avatar_url = nonempty (content_string (avatar, "url"));
  if (avatar_url == NULL)
    avatar_url = fallback_avatar = dup_fallback_avatar (self);
  if (set_string (&self->avatar_url, avatar_url))
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_AVATAR_URL]);

  display_name = compute_display_name (self);
  if (set_string (&self->display_name, display_name))
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_DISPLAY_NAME]);

  /* Encryption cannot be turned off: once on, it stays on. */
  if (!self->encrypted)
    {
      g_autoptr(JsonObject) encryption = dup_state_content (self, "m.room.encryption", "");

      if (encryption != NULL || matrix_client_is_room_encrypted (self->client, self->room_id))
        {
          self->encrypted = TRUE;
          g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_ENCRYPTED]);
          /* From now on the counts are the client's. */
          apply_unread (self);
          schedule_recount (self);
        }
    }
}

/* --- updates ----------------------------------------------------------------- */

/* Gives the store what the room list shows, so that the next start lists the
 * room without reading its state and events. Only from a loaded room: what
 * a partial one shows may lack what its other members would change (two of
 * them with the same name, say). The store writes it with the next commit,
 * in the same transaction as what it was computed from. */
static void
save_list_summary (MatrixRoom *self)
{
  MatrixStore *store = matrix_client_get_store (self->client);
  g_autoptr(JsonObject) summary = NULL;

  if (!self->timeline_restored || self->membership == MATRIX_MEMBERSHIP_LEAVE ||
      !matrix_store_is_room_loaded (store, self->room_id))
    return;

  summary = json_object_new ();
  json_object_set_string_member (summary, "display_name", self->display_name);
  if (self->topic != NULL)
    json_object_set_string_member (summary, "topic", self->topic);
  if (self->avatar_url != NULL)
    json_object_set_string_member (summary, "avatar_url", self->avatar_url);
  if (self->last_message != NULL)
    json_object_set_string_member (summary, "last_message", self->last_message);
  if (self->inviter != NULL)
    json_object_set_string_member (summary, "inviter", self->inviter);
  json_object_set_int_member (summary, "last_activity", self->last_activity);
  matrix_store_set_list_summary (store, self->room_id, summary);
}

/* Shows what the store kept of a room it has not loaded; FALSE when it kept
 * nothing. */
static gboolean
restore_list_summary (MatrixRoom *self)
{
  MatrixStore *store = matrix_client_get_store (self->client);
  g_autoptr(JsonObject) summary = matrix_store_get_list_summary (store, self->room_id);
  const char *display_name = NULL, *topic = NULL, *avatar_url = NULL, *last_message = NULL;
  gint64 last_activity = 0;

  if (summary == NULL ||
      !_matrix_json_get_string (summary, NULL, "display_name", TRUE, &display_name, NULL) ||
      !_matrix_json_get_string (summary, NULL, "topic", FALSE, &topic, NULL) ||
      !_matrix_json_get_string (summary, NULL, "avatar_url", FALSE, &avatar_url, NULL) ||
      !_matrix_json_get_string (summary, NULL, "last_message", FALSE, &last_message, NULL) ||
      !_matrix_json_get_int (summary, NULL, "last_activity", TRUE, &last_activity, NULL))
    return FALSE;

  /* Not notified: the room is being restored, nobody holds it yet. */
  set_string (&self->display_name, display_name);
  set_string (&self->topic, topic);
  set_string (&self->avatar_url, avatar_url);
  set_string (&self->last_message, last_message);
  self->last_activity = last_activity;
  return TRUE;
}

static void
save (MatrixRoom *self)
{
  g_autoptr(JsonObject) data = json_object_new ();
  static const char *names[] = {
    [MATRIX_MEMBERSHIP_JOIN] = "join",
    [MATRIX_MEMBERSHIP_INVITE] = "invite",
    [MATRIX_MEMBERSHIP_LEAVE] = "leave",
  };

  /* A left room is saved too: its state stays queryable, and the mark keeps
   * it out of the list on the next start. */
  json_object_set_string_member (data, "membership", names[self->membership]);
  if (self->summary != NULL)
    json_object_set_object_member (data, "summary", json_object_ref (self->summary));
  if (self->unread != NULL)
    json_object_set_object_member (data, "unread_notifications", json_object_ref (self->unread));
  if (uses_own_counts (self))
    {
      JsonObject *own = json_object_new ();

      json_object_set_int_member (own, "notification_count", self->own_notifications);
      json_object_set_int_member (own, "highlight_count", self->own_highlights);
      json_object_set_object_member (data, "own_unread_notifications", own);
    }
  if (self->inviter != NULL)
    json_object_set_string_member (data, "inviter", self->inviter);
  if (self->invite_state != NULL)
    {
      JsonArray *array = json_array_new ();

      for (guint i = 0; i < self->invite_state->len; i++)
        json_array_add_object_element (array, json_object_ref (g_ptr_array_index (self->invite_state, i)));
      json_object_set_array_member (data, "invite_state", array);
      json_object_set_int_member (data, "invite_ts", self->invite_ts);
    }
  if (self->timeline_restored)
    json_object_set_array_member (data, "timeline_gaps", _matrix_timeline_dup_gaps (self->timeline));
  else if (self->stored_gaps != NULL)
    json_object_set_array_member (data, "timeline_gaps", json_array_ref (self->stored_gaps));
  _matrix_receipts_save (self->receipts, data);

  matrix_store_set_room_data (matrix_client_get_store (self->client), self->room_id, data);
  save_list_summary (self);
}

static void
set_last_activity (MatrixRoom *self,
                   gint64      ts)
{
  if (self->last_activity == ts)
    return;
  self->last_activity = ts;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_LAST_ACTIVITY]);
}

/* "Alice: hi" for a message of @sender_id whose content (edits applied)
 * is @content, which has a body. */
static char *
message_preview (MatrixRoom *self,
                 const char *sender_id,
                 JsonObject *content)
{
  g_autofree char *sender = matrix_room_dup_member_display_name (self, sender_id);
  /* Only the start of the body: it can be a megabyte. Its bidirectional
   * controls end with it. */
  g_autofree char *start = g_strdelimit (matrix_text_preview (content_string (content, "body"),
                                                              PREVIEW_CHARS, 0), "\r\n", ' ');
  g_autofree char *line = matrix_text_bound (start, -1);

  if (g_strcmp0 (content_string (content, "msgtype"), "m.emote") == 0)
    /* Translators: the preview of an emote: "* Alice waves" */
    return g_strdup_printf (_("* %s %s"), sender, line);

  /* Translators: the preview of a room's last message: "Alice: hi" */
  return g_strdup_printf (_("%s: %s"), sender, line);
}

/* Whether @event replaces another (an edit): it says nothing new. */
static gboolean
is_replacement (MatrixEvent *event)
{
  JsonObject *relation = NULL;

  return _matrix_json_get_object (matrix_event_get_content (event), NULL, "m.relates_to", FALSE,
                                  &relation, NULL) &&
         g_strcmp0 (content_string (relation, "rel_type"), "m.replace") == 0;
}

gboolean
_matrix_room_event_is_preview (MatrixEvent *event)
{
  return g_strcmp0 (matrix_event_get_event_type (event), "m.room.message") == 0 &&
         matrix_event_get_content_string (event, "body") != NULL &&
         !is_replacement (event);
}

static gboolean
is_edit (MatrixEvent *event)
{
  return g_strcmp0 (matrix_event_get_event_type (event), "m.room.message") == 0 &&
         is_replacement (event);
}

/* The id of the event @edit replaces. */
static const char *
edited_event_id (MatrixEvent *edit)
{
  JsonObject *relation = NULL;

  if (!_matrix_json_get_object (matrix_event_get_content (edit), NULL, "m.relates_to", FALSE,
                                &relation, NULL))
    return NULL;
  return content_string (relation, "event_id");
}

/* The content @edit gives @message, or NULL when it is no edit of it that
 * counts: only its own sender may edit a message, and the new content
 * needs a body. */
static JsonObject *
edited_content (MatrixEvent *edit,
                MatrixEvent *message)
{
  JsonObject *new_content = NULL;

  if (g_strcmp0 (edited_event_id (edit), matrix_event_get_event_id (message)) != 0 ||
      g_strcmp0 (matrix_event_get_sender (edit), matrix_event_get_sender (message)) != 0 ||
      !_matrix_json_get_object (matrix_event_get_content (edit), NULL, "m.new_content", FALSE,
                                &new_content, NULL) ||
      content_string (new_content, "body") == NULL)
    return NULL;
  return new_content;
}

/* The newest message among @events (oldest first), and in @content what
 * it now says: the content of its newest edit, else its own. Edits come
 * after what they edit, so they are among the events read before it. */
static MatrixEvent *
find_preview (GPtrArray   *events,
              JsonObject **content)
{
  g_autoptr(GPtrArray) edits = g_ptr_array_new ();  /* borrowed, newest first */

  for (guint i = events->len; i > 0; i--)
    {
      MatrixEvent *event = g_ptr_array_index (events, i - 1);

      if (is_edit (event))
        g_ptr_array_add (edits, event);
      if (!_matrix_room_event_is_preview (event))
        continue;

      *content = matrix_event_get_content (event);
      for (guint j = 0; j < edits->len; j++)
        {
          JsonObject *edited = edited_content (g_ptr_array_index (edits, j), event);

          if (edited != NULL)
            {
              *content = edited;
              break;
            }
        }
      return event;
    }

  return NULL;
}

/* What people look at a room for, as Element's bump events and the sliding
 * sync's default bump_event_types: what is said in it (edits aside), its
 * creation, and our own comings and goings. A member renaming themselves,
 * another joining, a reaction or a topic leave the room where it is. */
static const char * const bump_types[] = {
  "m.room.create",
  "m.room.message",
  "m.room.encrypted",
  "m.sticker",
  "m.call.invite",
  "m.poll.start",
  "org.matrix.msc3381.poll.start",
  "m.beacon_info",
};

gboolean
_matrix_room_event_bumps (MatrixEvent *event,
                          const char  *own_user_id)
{
  const char *type = matrix_event_get_event_type (event);

  if (g_strcmp0 (type, "m.room.member") == 0 && own_user_id != NULL &&
      MATRIX_IS_STATE_EVENT (event) &&
      g_strcmp0 (matrix_state_event_get_state_key (MATRIX_STATE_EVENT (event)), own_user_id) == 0)
    /* Our own profile changes are no news either: join to join. Without
     * prev_content we cannot tell, and take it for a change. */
    return g_strcmp0 (matrix_event_get_content_string (event, "membership"),
                      matrix_event_get_prev_content_string (event, "membership")) != 0;

  for (guint i = 0; i < G_N_ELEMENTS (bump_types); i++)
    if (g_strcmp0 (type, bump_types[i]) == 0)
      return !is_replacement (event);

  return FALSE;
}

static void update_from_all_events (MatrixRoom *self);

/* The preview from @events (oldest first). With @whole they are every
 * cached event of the room, and hold no message when it has none; else
 * they are what a sync added, which changes the preview when it holds a
 * newer message, or an edit of the one shown (whose content is needed). */
static void
update_preview (MatrixRoom *self,
                GPtrArray  *events,
                gboolean    whole)
{
  JsonObject *content = NULL;
  MatrixEvent *message = find_preview (events, &content);
  g_autofree char *preview = NULL;

  if (message == NULL && !whole)
    {
      for (guint i = 0; self->preview_event_id != NULL && i < events->len; i++)
        {
          MatrixEvent *event = g_ptr_array_index (events, i);

          if (is_edit (event) && g_strcmp0 (edited_event_id (event), self->preview_event_id) == 0)
            {
              update_from_all_events (self);
              break;
            }
        }
      return;
    }

  if (message != NULL)
    preview = message_preview (self, matrix_event_get_sender (message), content);
  set_string (&self->preview_event_id, message != NULL ? matrix_event_get_event_id (message) : NULL);
  if (set_string (&self->last_message, preview))
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_LAST_MESSAGE]);
}

/* The newest events go last in @events; @whole as for update_preview().
 * The room's activity is its newest event that bumps it; until it has seen
 * one, its newest event of any kind, so that a room whose first events say
 * nothing is not put last of all. */
static void
update_from_events (MatrixRoom *self,
                    GPtrArray  *events,
                    gboolean    whole)
{
  const char *own_id = matrix_client_get_user_id (self->client);
  gint64 newest, newest_bump = 0, newest_any = 0;
  gboolean found_bump = FALSE;

  for (guint i = 0; i < events->len; i++)
    {
      MatrixEvent *event = g_ptr_array_index (events, i);
      gint64 ts = matrix_event_get_origin_server_ts (event);

      newest_any = MAX (newest_any, ts);
      if (_matrix_room_event_bumps (event, own_id))
        {
          newest_bump = MAX (newest_bump, ts);
          found_bump = TRUE;
        }
    }

  if (self->bumped)
    newest = MAX (self->last_activity, newest_bump);
  else if (found_bump)
    newest = newest_bump;
  else
    newest = MAX (self->last_activity, newest_any);
  self->bumped = self->bumped || found_bump;

  update_preview (self, events, whole);
  set_last_activity (self, newest);
}

static void set_invite_state (MatrixRoom *self,
                              GPtrArray  *stripped_state);

/* A room we joined keeps showing its invite's state until the sync brings
 * the real one, so that its name does not flicker after an accept. */
static void
real_state_arrived (MatrixRoom *self)
{
  if (self->membership != MATRIX_MEMBERSHIP_INVITE && self->invite_state != NULL)
    {
      set_invite_state (self, NULL);
      self->invite_ts = 0;
    }
  update_from_state (self);
}

/* From the whole cached timeline, when what the preview shows may be older
 * than what changed: its sender renamed (the preview names them as the room
 * now does, as a restart would), it or its newest edit redacted, an edit of
 * it arriving. */
static void
update_from_all_events (MatrixRoom *self)
{
  g_autoptr(GPtrArray) events = NULL;

  if (!self->timeline_restored)
    return;
  events = matrix_store_get_timeline_events (matrix_client_get_store (self->client), self->room_id);
  update_from_events (self, events, TRUE);
}

void
_matrix_room_state_changed (MatrixRoom *self)
{
  g_return_if_fail (MATRIX_IS_ROOM (self));

  real_state_arrived (self);
  update_from_all_events (self);
  save_list_summary (self);
  g_signal_emit (self, signals[STATE_CHANGED], 0);
}

JsonObject *
_matrix_room_dup_state_content (MatrixRoom *self,
                                const char *type,
                                const char *state_key)
{
  g_return_val_if_fail (MATRIX_IS_ROOM (self), NULL);

  return dup_state_content (self, type, state_key);
}

void
_matrix_room_set_direct_user (MatrixRoom *self,
                              const char *user_id)
{
  g_return_if_fail (MATRIX_IS_ROOM (self));

  if (g_strcmp0 (self->direct_user_id, user_id) == 0)
    return;
  g_free (self->direct_user_id);
  self->direct_user_id = g_strdup (user_id);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_DIRECT_USER_ID]);
}

/**
 * matrix_room_get_direct_user_id:
 * @self: a #MatrixRoom
 *
 * Whom the room is a direct chat with: the user the account's `m.direct`
 * lists it under (kept by the #MatrixRoomStateTracker from the sync).
 *
 * Returns: (nullable): their user id, or %NULL when the room is no direct
 *   chat
 */
const char *
matrix_room_get_direct_user_id (MatrixRoom *self)
{
  g_return_val_if_fail (MATRIX_IS_ROOM (self), NULL);
  return self->direct_user_id;
}

/**
 * matrix_room_dup_replacement_room:
 * @self: a #MatrixRoom
 * @reason: (out) (optional) (transfer full) (nullable): the tombstone's
 *   `body`, cleaned for display
 *
 * The room that replaced this one when it was upgraded: the
 * `replacement_room` of its `m.room.tombstone`, when that is a room id.
 * A tombstoned room takes no more messages; join the replacement.
 *
 * Returns: (transfer full) (nullable): the replacement room's id, or %NULL
 *   when the room has not been replaced
 */
char *
matrix_room_dup_replacement_room (MatrixRoom  *self,
                                  char       **reason)
{
  g_autoptr(JsonObject) content = NULL;
  const char *room_id, *body;

  g_return_val_if_fail (MATRIX_IS_ROOM (self), NULL);

  if (reason != NULL)
    *reason = NULL;
  content = dup_state_content (self, "m.room.tombstone", "");
  room_id = content_string (content, "replacement_room");
  /* Room version 12 ids have no server name. */
  if (room_id == NULL || room_id[0] != '!' || room_id[1] == '\0' ||
      strlen (room_id) > 255 || g_str_equal (room_id, self->room_id))
    return NULL;
  body = content_string (content, "body");
  if (reason != NULL && nonempty (body) != NULL)
    *reason = matrix_text_dup_name (body);
  return g_strdup (room_id);
}

/**
 * matrix_room_dup_predecessor:
 * @self: a #MatrixRoom
 *
 * The room this one replaced: `predecessor.room_id` of its
 * `m.room.create`.
 *
 * Returns: (transfer full) (nullable): the predecessor's id, or %NULL
 */
char *
matrix_room_dup_predecessor (MatrixRoom *self)
{
  g_autoptr(JsonObject) content = NULL;
  JsonObject *predecessor = NULL;
  const char *room_id;

  g_return_val_if_fail (MATRIX_IS_ROOM (self), NULL);

  content = dup_state_content (self, "m.room.create", "");
  if (content == NULL ||
      !_matrix_json_get_object (content, NULL, "predecessor", FALSE, &predecessor, NULL) ||
      predecessor == NULL)
    return NULL;
  room_id = content_string (predecessor, "room_id");
  if (room_id == NULL || room_id[0] != '!' || room_id[1] == '\0' || strlen (room_id) > 255)
    return NULL;
  return g_strdup (room_id);
}

/* Each redaction among @events removes the content of the event it names,
 * in the timeline, in the store's cache and, for the current state, there
 * too. An event this client never had is left to the server. Returns
 * whether an event lost its content: the preview may have shown it. */
static gboolean
apply_redactions (MatrixRoom *self,
                  GPtrArray  *events)
{
  MatrixStore *store = matrix_client_get_store (self->client);
  gboolean changed = FALSE, state_changed = FALSE;

  for (guint i = 0; i < events->len; i++)
    {
      MatrixEvent *redaction = g_ptr_array_index (events, i);
      const char *redacts = matrix_event_get_redacts (redaction);
      g_autoptr(MatrixEvent) redacted = NULL;
      MatrixEvent *target;

      if (redacts == NULL)
        continue;
      target = _matrix_timeline_lookup_event (self->timeline, redacts);
      if (target == NULL || matrix_event_is_redacted (target))
        continue;

      redacted = _matrix_event_new_redacted (target, redaction);
      matrix_store_replace_timeline_event (store, self->room_id, redacted);
      if (MATRIX_IS_STATE_EVENT (redacted))
        {
          g_autoptr(MatrixStateEvent) current =
            matrix_store_get_state_event (store, self->room_id, matrix_event_get_event_type (redacted),
                                          matrix_state_event_get_state_key (MATRIX_STATE_EVENT (redacted)));

          if (current != NULL &&
              g_strcmp0 (matrix_event_get_event_id (MATRIX_EVENT (current)), redacts) == 0)
            {
              matrix_store_set_state_event (store, MATRIX_STATE_EVENT (redacted));
              state_changed = TRUE;
            }
        }
      _matrix_timeline_replace_event (self->timeline, redacted);
      changed = TRUE;
    }

  if (state_changed)
    update_from_state (self);
  return changed;
}

void
_matrix_room_append_timeline (MatrixRoom *self,
                              GPtrArray  *events,
                              gboolean    limited,
                              const char *prev_batch)
{
  gboolean state_changed = FALSE, redacted;

  g_return_if_fail (MATRIX_IS_ROOM (self));

  _matrix_timeline_append_sync (self->timeline, events, limited, prev_batch);
  redacted = apply_redactions (self, events);

  /* Working out a name can mean reading every member: only when it may change. */
  for (guint i = 0; i < events->len; i++)
    if (matrix_event_is_state (g_ptr_array_index (events, i)))
      {
        state_changed = TRUE;
        real_state_arrived (self);
        break;
      }

  /* The tracker has cached the batch already: after a state change, the
   * whole timeline names the preview's sender anew, and after a redaction
   * the batch itself may hold a message that is no longer there. */
  if ((state_changed || redacted) && self->timeline_restored)
    update_from_all_events (self);
  else
    update_from_events (self, events, FALSE);
  save (self);
}

/* A page of older events held redactions: they may name events from before
 * the page (a cached message deleted while we were away). */
static void
on_older_redactions (GPtrArray *redactions,
                     gpointer   user_data)
{
  MatrixRoom *self = user_data;

  if (!apply_redactions (self, redactions))
    return;
  update_from_all_events (self);
  save_list_summary (self);
}

static gboolean
read_count (JsonObject *object,
            const char *member,
            guint      *out)
{
  gint64 value = -1;

  if (!_matrix_json_get_int (object, NULL, member, FALSE, &value, NULL) || value < 0)
    return FALSE;
  *out = MIN (value, G_MAXUINT);
  return TRUE;
}

/* The server evaluates push rules on what it can read: not on an
 * encrypted room's ciphertext (every message would count, no mention would
 * highlight), and Synapse's sliding sync counts nothing at all. There the
 * client counts; elsewhere the server's counts stay, as they also cover
 * what a limited sync left out. */
static gboolean
uses_own_counts (MatrixRoom *self)
{
  return self->encrypted || _matrix_client_syncs_sliding (self->client) ||
         (self->own_counts_stored && !self->timeline_restored);
}

static void
apply_unread (MatrixRoom *self)
{
  guint notifications = 0, highlights = 0;

  if (uses_own_counts (self))
    {
      notifications = self->own_notifications;
      highlights = self->own_highlights;
    }
  else if (self->unread != NULL)
    {
      read_count (self->unread, "notification_count", &notifications);
      read_count (self->unread, "highlight_count", &highlights);
    }

  if (self->notification_count != notifications)
    {
      self->notification_count = notifications;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_NOTIFICATION_COUNT]);
    }
  if (self->highlight_count != highlights)
    {
      self->highlight_count = highlights;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_HIGHLIGHT_COUNT]);
    }
}

/* Counts anew what the user has not read, by their push rules. */
static void
recount (MatrixRoom *self)
{
  const char *own_id = matrix_client_get_user_id (self->client);
  g_autoptr(JsonObject) member = NULL, power = NULL;
  g_autoptr(MatrixPowerLevels) levels = NULL;
  MatrixPushContext context = { 0 };
  const char *read_ids[3] = { NULL };
  guint n_read = 0, notifications = 0, highlights = 0;
  gint64 joined = -1;

  /* Until the store has loaded the room, the stored counts stand; where
   * the server's counts are shown, none are made. */
  if (own_id == NULL || self->membership != MATRIX_MEMBERSHIP_JOIN || !self->timeline_restored)
    return;
  if (!uses_own_counts (self))
    {
      apply_unread (self);
      return;
    }

  member = dup_state_content (self, "m.room.member", own_id);
  power = dup_state_content (self, "m.room.power_levels", "");
  levels = matrix_room_dup_power_levels (self);
  if (self->summary != NULL &&
      !_matrix_json_get_int (self->summary, NULL, "m.joined_member_count", FALSE, &joined, NULL))
    joined = -1;
  context.room_id = self->room_id;
  context.user_id = own_id;
  context.display_name = content_string (member, "displayname");
  context.member_count = joined;
  context.power_levels = levels;
  if (power == NULL ||
      !_matrix_json_get_object (power, NULL, "notifications", FALSE, &context.notifications, NULL))
    context.notifications = NULL;

  if (_matrix_receipts_get_receipt (self->receipts, own_id) != NULL)
    read_ids[n_read++] = _matrix_receipts_get_receipt (self->receipts, own_id);
  /* What matrix_room_mark_read_async() sent, before the sync says so. */
  if (self->read_event_id != NULL)
    read_ids[n_read++] = self->read_event_id;

  /* A row still being decrypted would count as ciphertext: wait for it. */
  if (!_matrix_unread_count (self->timeline, read_ids, self->push_rules, &context,
                             _matrix_client_get_crypto (self->client) != NULL,
                             &notifications, &highlights))
    return;
  if (notifications == self->own_notifications && highlights == self->own_highlights)
    {
      /* The protocol may have changed which counts are shown. */
      apply_unread (self);
      return;
    }
  self->own_notifications = notifications;
  self->own_highlights = highlights;
  apply_unread (self);
  save (self);
}

static gboolean
on_recount (gpointer user_data)
{
  MatrixRoom *self = user_data;

  g_clear_pointer (&self->recount_source, g_source_unref);
  recount (self);
  return G_SOURCE_REMOVE;
}

/* Once per burst of changes (a sync's rows, then each one decrypted). */
static void
schedule_recount (MatrixRoom *self)
{
  if (self->recount_source != NULL || self->client == NULL)
    return;
  self->recount_source = g_idle_source_new ();
  g_source_set_priority (self->recount_source, G_PRIORITY_DEFAULT);
  g_source_set_callback (self->recount_source, on_recount, self, NULL);
  g_source_set_name (self->recount_source, "[matrix-room] unread recount");
  g_source_attach (self->recount_source, g_main_context_get_thread_default ());
}

void
_matrix_room_set_push_rules (MatrixRoom *self,
                             JsonObject *push_rules)
{
  g_return_if_fail (MATRIX_IS_ROOM (self));

  if (self->push_rules == push_rules)
    return;
  g_clear_pointer (&self->push_rules, json_object_unref);
  self->push_rules = push_rules != NULL ? json_object_ref (push_rules) : NULL;
  schedule_recount (self);
}

void
_matrix_room_update_summary (MatrixRoom *self,
                             JsonObject *summary,
                             JsonObject *unread_notifications)
{
  g_return_if_fail (MATRIX_IS_ROOM (self));

  if (summary != NULL)
    {
      g_autoptr(GList) members = json_object_get_members (summary);

      if (self->summary == NULL)
        self->summary = json_object_new ();
      for (GList *l = members; l != NULL; l = l->next)
        json_object_set_member (self->summary, l->data,
                                json_node_copy (json_object_get_member (summary, l->data)));
      update_from_state (self);
    }

  if (unread_notifications != NULL)
    {
      g_clear_pointer (&self->unread, json_object_unref);
      self->unread = json_object_ref (unread_notifications);
      apply_unread (self);
    }

  save (self);
}

static void
receipts_changed (MatrixRoom            *self,
                  MatrixReceiptsChanged  changed)
{
  if (changed & MATRIX_RECEIPTS_CHANGED_TYPING)
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_TYPING_USERS]);
  if (changed & MATRIX_RECEIPTS_CHANGED_FULLY_READ)
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_FULLY_READ]);
  if (changed & MATRIX_RECEIPTS_CHANGED_RECEIPTS)
    {
      schedule_recount (self);
      g_signal_emit (self, signals[RECEIPTS_CHANGED], 0);
    }
  /* Who types is not kept: it is stale by the next start. */
  if (changed & (MATRIX_RECEIPTS_CHANGED_RECEIPTS | MATRIX_RECEIPTS_CHANGED_FULLY_READ))
    save (self);
}

void
_matrix_room_apply_ephemeral (MatrixRoom *self,
                              GPtrArray  *events)
{
  g_return_if_fail (MATRIX_IS_ROOM (self));

  receipts_changed (self, _matrix_receipts_apply_ephemeral (self->receipts, events,
                                                            matrix_client_get_user_id (self->client)));
}

void
_matrix_room_apply_account_data (MatrixRoom *self,
                                 GPtrArray  *events)
{
  g_return_if_fail (MATRIX_IS_ROOM (self));

  receipts_changed (self, _matrix_receipts_apply_account_data (self->receipts, events));
}

/**
 * matrix_room_get_typing_users:
 * @self: a #MatrixRoom
 *
 * Who is typing in the room, from the server's `m.typing` updates, for a
 * line such as "Alice is typing". #MatrixRoom:typing-users notifies when it
 * changes. It is not stored: it would be stale by the next start.
 *
 * Returns: (transfer none) (array zero-terminated=1): the user ids of the
 *   members typing now (never the user), in the order the server gave
 */
const char * const *
matrix_room_get_typing_users (MatrixRoom *self)
{
  g_return_val_if_fail (MATRIX_IS_ROOM (self), NULL);

  return _matrix_receipts_get_typing (self->receipts);
}

/**
 * matrix_room_get_read_receipt:
 * @self: a #MatrixRoom
 * @user_id: a member
 *
 * Where @user_id has read up to, to show them beside that event. Only the
 * user's own private receipts (`m.read.private`) reach this client, so for
 * anyone else it is their public one. #MatrixRoom::receipts-changed says
 * when to ask again.
 *
 * Returns: (transfer none) (nullable): the id of the newest event @user_id
 *   has read, by their latest read receipt (public, or for the user also
 *   private), or %NULL when none is known
 */
const char *
matrix_room_get_read_receipt (MatrixRoom *self,
                              const char *user_id)
{
  g_return_val_if_fail (MATRIX_IS_ROOM (self), NULL);
  g_return_val_if_fail (user_id != NULL, NULL);

  return _matrix_receipts_get_receipt (self->receipts, user_id);
}

/**
 * matrix_room_dup_readers:
 * @self: a #MatrixRoom
 * @event_id: an event
 *
 * The other way round from matrix_room_get_read_receipt(): everyone (the
 * user included) whose receipt is at @event_id. #MatrixRoom::receipts-changed
 * says when to ask again.
 *
 * Returns: (transfer full): the members whose read receipt is at @event_id,
 *   sorted; where to show who has read up to there
 */
GStrv
matrix_room_dup_readers (MatrixRoom *self,
                         const char *event_id)
{
  g_return_val_if_fail (MATRIX_IS_ROOM (self), NULL);
  g_return_val_if_fail (event_id != NULL, NULL);

  return _matrix_receipts_dup_readers (self->receipts, event_id);
}

/**
 * matrix_room_get_fully_read:
 * @self: a #MatrixRoom
 *
 * Unlike a read receipt, the fully-read marker is private and shared by the
 * user's clients (room account data), so a "new messages" line stays where
 * the user left off on another device. It moves when the sync says so: after
 * matrix_room_mark_read_async(), or when another client moved it. It is kept
 * in the store.
 *
 * Returns: (transfer none) (nullable): the event the user's fully-read
 *   marker (`m.fully_read`) is at: where "new messages" start
 */
const char *
matrix_room_get_fully_read (MatrixRoom *self)
{
  g_return_val_if_fail (MATRIX_IS_ROOM (self), NULL);

  return _matrix_receipts_get_fully_read (self->receipts);
}

static const char *
find_inviter (MatrixRoom *self)
{
  const char *own_id = matrix_client_get_user_id (self->client);

  for (guint i = 0; self->invite_state != NULL && i < self->invite_state->len; i++)
    {
      JsonObject *event = g_ptr_array_index (self->invite_state, i);
      JsonObject *content = json_object_get_object_member (event, "content");

      if (g_strcmp0 (content_string (event, "type"), "m.room.member") == 0 &&
          g_strcmp0 (content_string (event, "state_key"), own_id) == 0 &&
          g_strcmp0 (content_string (content, "membership"), "invite") == 0)
        return content_string (event, "sender");
    }

  return NULL;
}

static void
set_invite_state (MatrixRoom *self,
                  GPtrArray  *stripped_state)
{
  invalidate_members (self);
  g_clear_pointer (&self->invite_state, g_ptr_array_unref);
  if (stripped_state != NULL)
    {
      self->invite_state = g_ptr_array_new_with_free_func ((GDestroyNotify) json_object_unref);
      for (guint i = 0; i < stripped_state->len; i++)
        g_ptr_array_add (self->invite_state, json_object_ref (g_ptr_array_index (stripped_state, i)));
    }

  if (set_string (&self->inviter, find_inviter (self)))
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_INVITER]);
}

void
_matrix_room_set_membership (MatrixRoom       *self,
                             MatrixMembership  membership)
{
  g_return_if_fail (MATRIX_IS_ROOM (self));

  if (self->membership == membership)
    return;

  self->membership = membership;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_MEMBERSHIP]);
  save (self);
}

void
_matrix_room_set_invite (MatrixRoom *self,
                         GPtrArray  *stripped_state)
{
  g_return_if_fail (MATRIX_IS_ROOM (self));

  set_invite_state (self, stripped_state);
  if (self->invite_ts == 0)
    self->invite_ts = g_get_real_time () / 1000;
  if (self->membership != MATRIX_MEMBERSHIP_INVITE)
    {
      self->membership = MATRIX_MEMBERSHIP_INVITE;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_MEMBERSHIP]);
    }
  update_from_state (self);
  set_last_activity (self, MAX (self->last_activity, self->invite_ts));
  save (self);
}

static gboolean
is_stripped_event (JsonObject *object)
{
  JsonObject *content = NULL;

  return content_string (object, "type") != NULL &&
         content_string (object, "state_key") != NULL &&
         content_string (object, "sender") != NULL &&
         _matrix_json_get_object (object, NULL, "content", TRUE, &content, NULL);
}

gboolean
_matrix_room_restore (MatrixRoom *self)
{
  MatrixStore *store = matrix_client_get_store (self->client);
  g_autoptr(JsonObject) data = matrix_store_get_room_data (store, self->room_id);
  g_autoptr(GPtrArray) events = matrix_store_get_timeline_events (store, self->room_id);
  JsonObject *summary = NULL, *unread = NULL, *own_unread = NULL;
  JsonArray *invite_state = NULL, *gaps = NULL;
  const char *membership = NULL;
  gint64 invite_ts = 0;

  /* Room data is ours, but it is read as carefully as anything from disk. */
  if (data != NULL)
    {
      _matrix_json_get_string (data, NULL, "membership", FALSE, &membership, NULL);
      _matrix_json_get_object (data, NULL, "summary", FALSE, &summary, NULL);
      _matrix_json_get_object (data, NULL, "unread_notifications", FALSE, &unread, NULL);
      _matrix_json_get_object (data, NULL, "own_unread_notifications", FALSE, &own_unread, NULL);
      _matrix_json_get_array (data, NULL, "invite_state", FALSE, &invite_state, NULL);
      _matrix_json_get_int (data, NULL, "invite_ts", FALSE, &invite_ts, NULL);
      _matrix_json_get_array (data, NULL, "timeline_gaps", FALSE, &gaps, NULL);
    }

  if (g_strcmp0 (membership, "leave") == 0)
    return FALSE;

  if (g_strcmp0 (membership, "invite") == 0)
    {
      g_autoptr(GPtrArray) stripped = g_ptr_array_new_with_free_func ((GDestroyNotify) json_object_unref);

      for (guint i = 0; invite_state != NULL && i < json_array_get_length (invite_state); i++)
        {
          JsonNode *node = json_array_get_element (invite_state, i);

          if (JSON_NODE_HOLDS_OBJECT (node) && is_stripped_event (json_node_get_object (node)))
            g_ptr_array_add (stripped, json_object_ref (json_node_get_object (node)));
        }
      self->membership = MATRIX_MEMBERSHIP_INVITE;
      self->invite_ts = invite_ts;
      set_invite_state (self, stripped);
    }

  if (summary != NULL)
    self->summary = json_object_ref (summary);
  if (unread != NULL)
    self->unread = json_object_ref (unread);
  if (own_unread != NULL)
    {
      read_count (own_unread, "notification_count", &self->own_notifications);
      read_count (own_unread, "highlight_count", &self->own_highlights);
      self->own_counts_stored = TRUE;
    }
  if (data != NULL)
    _matrix_receipts_restore (self->receipts, data);

  if (matrix_store_is_room_loaded (store, self->room_id))
    _matrix_timeline_restore (self->timeline, events, gaps);
  else
    {
      /* Only the newest events are in memory, or none when the store kept
       * the room's summary; the timeline waits for the rest. */
      self->timeline_restored = FALSE;
      self->stored_gaps = gaps != NULL ? json_array_ref (gaps) : NULL;
    }
  /* Echoes follow whatever the timeline holds, loaded or not: what was
   * not sent before the last quit is sent now. */
  _matrix_timeline_restore_sends (self->timeline);
  apply_unread (self);
  if (self->timeline_restored || !restore_list_summary (self))
    {
      update_from_state (self);
      update_from_events (self, events, TRUE);
    }
  set_last_activity (self, MAX (self->last_activity, self->invite_ts));
  save_list_summary (self);

  return TRUE;
}

void
_matrix_room_loaded (MatrixRoom *self)
{
  MatrixStore *store;
  g_autoptr(GPtrArray) events = NULL;

  g_return_if_fail (MATRIX_IS_ROOM (self));

  store = matrix_client_get_store (self->client);
  if (self->timeline_restored || !matrix_store_is_room_loaded (store, self->room_id))
    return;

  events = matrix_store_get_timeline_events (store, self->room_id);
  self->timeline_restored = TRUE;
  _matrix_timeline_restore (self->timeline, events, self->stored_gaps);
  g_clear_pointer (&self->stored_gaps, json_array_unref);

  /* All the members are here now: names may tell more apart. */
  update_from_state (self);
  update_from_events (self, events, TRUE);
  set_last_activity (self, MAX (self->last_activity, self->invite_ts));
  save_list_summary (self);
}

static void
on_room_loaded (GObject      *source,
                GAsyncResult *result,
                gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  MatrixRoom *self = g_task_get_source_object (task);
  GError *error = NULL;

  if (!matrix_store_load_rooms_finish (MATRIX_STORE (source), result, &error))
    {
      g_task_return_error (task, error);
      return;
    }

  _matrix_room_loaded (self);
  g_task_return_boolean (task, TRUE);
}

/**
 * matrix_room_load_async:
 * @self: a #MatrixRoom
 * @cancellable: (nullable): a #GCancellable
 * @callback: (nullable): called once the room is loaded
 * @user_data: data for @callback
 *
 * Reads what the store keeps of the room and has not loaded yet (see
 * matrix_store_is_room_loaded()): its members and its cached timeline,
 * which then fills. Call it when the room is opened; it does nothing for a
 * room that is loaded.
 */
void
matrix_room_load_async (MatrixRoom          *self,
                        GCancellable        *cancellable,
                        GAsyncReadyCallback  callback,
                        gpointer             user_data)
{
  GTask *task;
  const char *room_ids[2] = { NULL, NULL };

  g_return_if_fail (MATRIX_IS_ROOM (self));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, matrix_room_load_async);
  room_ids[0] = self->room_id;
  matrix_store_load_rooms_async (matrix_client_get_store (self->client), room_ids, cancellable,
                                 on_room_loaded, task);
}

/**
 * matrix_room_load_finish:
 * @self: a #MatrixRoom
 * @result: the #GAsyncResult
 * @error: return location for a #GError
 *
 * Finishes matrix_room_load_async().
 *
 * Returns: %TRUE once the room's members and cached timeline are in memory
 */
gboolean
matrix_room_load_finish (MatrixRoom    *self,
                         GAsyncResult  *result,
                         GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}

MatrixRoom *
_matrix_room_new (MatrixClient *client,
                  const char   *room_id)
{
  MatrixRoom *self = g_object_new (MATRIX_TYPE_ROOM, NULL);

  self->client = g_object_ref (client);
  self->room_id = g_strdup (room_id);
  self->timeline = _matrix_timeline_new (client, room_id);
  _matrix_timeline_set_redactions_func (self->timeline, on_older_redactions, self);
  /* New rows, decrypted rows, rows restored from the store. */
  g_signal_connect_swapped (self->timeline, "items-changed", G_CALLBACK (schedule_recount), self);
  self->display_name = g_strdup (_("Empty Room"));
  return self;
}

/* --- public API ------------------------------------------------------------- */

/**
 * matrix_room_get_client:
 * @self: a #MatrixRoom
 *
 * The client the room came from.
 *
 * Returns: (transfer none): the client
 */
MatrixClient *
matrix_room_get_client (MatrixRoom *self)
{
  g_return_val_if_fail (MATRIX_IS_ROOM (self), NULL);

  return self->client;
}

/**
 * matrix_room_get_room_id:
 * @self: a #MatrixRoom
 *
 * The room's id, such as `!abc:example.org`.
 *
 * Returns: (transfer none): the room id
 */
const char *
matrix_room_get_room_id (MatrixRoom *self)
{
  g_return_val_if_fail (MATRIX_IS_ROOM (self), NULL);

  return self->room_id;
}

/**
 * matrix_room_get_display_name:
 * @self: a #MatrixRoom
 *
 * The name to show, by the algorithm of the client-server specification:
 * the room's name, its canonical alias, or a name made from its members.
 *
 * Returns: (transfer none): the display name
 */
const char *
matrix_room_get_display_name (MatrixRoom *self)
{
  g_return_val_if_fail (MATRIX_IS_ROOM (self), NULL);

  return self->display_name;
}

/**
 * matrix_room_get_topic:
 * @self: a #MatrixRoom
 *
 * The room's `m.room.topic`.
 *
 * Returns: (transfer none) (nullable): the topic
 */
const char *
matrix_room_get_topic (MatrixRoom *self)
{
  g_return_val_if_fail (MATRIX_IS_ROOM (self), NULL);

  return self->topic;
}

/**
 * matrix_room_get_avatar_url:
 * @self: a #MatrixRoom
 *
 * The room's image; see #MatrixRoom:avatar-url.
 *
 * Returns: (transfer none) (nullable): the `mxc://` URL of the avatar
 */
const char *
matrix_room_get_avatar_url (MatrixRoom *self)
{
  g_return_val_if_fail (MATRIX_IS_ROOM (self), NULL);

  return self->avatar_url;
}

/**
 * matrix_room_get_membership:
 * @self: a #MatrixRoom
 *
 * Whether the user is in the room, invited to it, or left it.
 *
 * Returns: our membership
 */
MatrixMembership
matrix_room_get_membership (MatrixRoom *self)
{
  g_return_val_if_fail (MATRIX_IS_ROOM (self), MATRIX_MEMBERSHIP_LEAVE);

  return self->membership;
}

/**
 * matrix_room_get_notification_count:
 * @self: a #MatrixRoom
 *
 * The server's count of unread events that notify the user.
 *
 * Returns: the number of unread notifying events
 */
guint
matrix_room_get_notification_count (MatrixRoom *self)
{
  g_return_val_if_fail (MATRIX_IS_ROOM (self), 0);

  return self->notification_count;
}

/**
 * matrix_room_get_highlight_count:
 * @self: a #MatrixRoom
 *
 * The server's count of unread events that mention the user.
 *
 * Returns: the number of unread highlights (mentions)
 */
guint
matrix_room_get_highlight_count (MatrixRoom *self)
{
  g_return_val_if_fail (MATRIX_IS_ROOM (self), 0);

  return self->highlight_count;
}

/**
 * matrix_room_get_last_activity:
 * @self: a #MatrixRoom
 *
 * What the room list is sorted by: the time of the newest event that
 * bumps the room, as Element's bump events and the sliding sync's
 * `bump_event_types` — a message (not an edit), an encrypted one, a
 * sticker, a call or poll starting, the room's creation, our own membership
 * changing. Renames, avatars, other members coming and going, reactions and
 * other state leave it. A room with none of these yet takes its newest event.
 *
 * Returns: that time in ms since the epoch (for an invite, when it
 *   arrived), or 0
 */
gint64
matrix_room_get_last_activity (MatrixRoom *self)
{
  g_return_val_if_fail (MATRIX_IS_ROOM (self), 0);

  return self->last_activity;
}

/**
 * matrix_room_get_last_message:
 * @self: a #MatrixRoom
 *
 * The newest message as it now reads: an edit (`m.replace`) by its sender
 * changes it, and is never the preview itself; reactions and redactions
 * are not messages.
 *
 * Returns: (transfer none) (nullable): a plain-text preview of the newest
 *   message, such as "Alice: hi"; not escaped for markup
 */
const char *
matrix_room_get_last_message (MatrixRoom *self)
{
  g_return_val_if_fail (MATRIX_IS_ROOM (self), NULL);

  return self->last_message;
}

/**
 * matrix_room_get_inviter:
 * @self: a #MatrixRoom
 *
 * Who invited the user to a room of %MATRIX_MEMBERSHIP_INVITE.
 *
 * Returns: (transfer none) (nullable): who invited us, for an invited room
 */
const char *
matrix_room_get_inviter (MatrixRoom *self)
{
  g_return_val_if_fail (MATRIX_IS_ROOM (self), NULL);

  return self->inviter;
}

/**
 * matrix_room_get_encrypted:
 * @self: a #MatrixRoom
 *
 * Whether the room's state (or its invite's) has `m.room.encryption`, as far
 * as it is known: a room the store has not loaded yet may say %FALSE until
 * it has. This library cannot encrypt, and refuses to send messages into
 * such a room (%MATRIX_ERROR_ROOM_ENCRYPTED).
 *
 * Returns: %TRUE if the room is encrypted
 */
gboolean
matrix_room_get_encrypted (MatrixRoom *self)
{
  g_return_val_if_fail (MATRIX_IS_ROOM (self), FALSE);

  return self->encrypted;
}

/**
 * matrix_room_get_timeline:
 * @self: a #MatrixRoom
 *
 * The room's timeline: a #GListModel of #MatrixTimelineItem.
 *
 * Returns: (transfer none): the room's timeline
 */
MatrixTimeline *
matrix_room_get_timeline (MatrixRoom *self)
{
  g_return_val_if_fail (MATRIX_IS_ROOM (self), NULL);

  return self->timeline;
}

static void
on_direct_recorded (GObject      *source,
                    GAsyncResult *result,
                    gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  g_autoptr(GError) error = NULL;

  /* The room is joined all the same: m.direct is a hint for clients. */
  if (!matrix_client_add_direct_chat_finish (MATRIX_CLIENT (source), result, &error))
    g_debug ("The direct chat could not be recorded in m.direct: %s", error->message);
  g_task_return_boolean (task, TRUE);
}

static char *dup_direct_inviter (MatrixRoom *self);

static void
on_join_done (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  MatrixRoom *self = g_task_get_source_object (task);
  g_autofree char *room_id = NULL;
  GError *error = NULL;

  room_id = matrix_client_join_room_finish (MATRIX_CLIENT (source), result, &error);
  if (room_id == NULL)
    {
      g_task_return_error (task, error);
      return;
    }

  _matrix_room_set_membership (self, MATRIX_MEMBERSHIP_JOIN);
  if (g_task_get_task_data (task) != NULL)
    {
      const char *inviter = g_task_get_task_data (task);

      /* An invite to a direct chat: recorded in m.direct as the inviter's
       * client recorded it on their side. */
      matrix_client_add_direct_chat_async (self->client, inviter, self->room_id,
                                           NULL, on_direct_recorded, g_steal_pointer (&task));
      return;
    }
  g_task_return_boolean (task, TRUE);
}

/* The inviter of an invite whose member event for us says `is_direct`. */
static char *
dup_direct_inviter (MatrixRoom *self)
{
  const char *own_id = matrix_client_get_user_id (self->client);
  g_autoptr(JsonObject) content = NULL;
  gboolean is_direct = FALSE;

  if (self->invite_state == NULL || own_id == NULL || self->inviter == NULL)
    return NULL;
  content = dup_state_content (self, "m.room.member", own_id);
  if (content == NULL ||
      !_matrix_json_get_bool (content, NULL, "is_direct", FALSE, &is_direct, NULL) || !is_direct)
    return NULL;
  return g_strdup (self->inviter);
}

/**
 * matrix_room_join_async:
 * @self: a #MatrixRoom
 * @cancellable: (nullable): a #GCancellable
 * @callback: called when done
 * @user_data: data for @callback
 *
 * Joins the room: accepts an invite. On success the membership is JOIN.
 * An invite to a direct chat (our member event has `is_direct`) is
 * recorded in `m.direct` under the inviter, as the spec asks of the
 * invitee's client; a failure to record it does not fail the join.
 */
void
matrix_room_join_async (MatrixRoom          *self,
                        GCancellable        *cancellable,
                        GAsyncReadyCallback  callback,
                        gpointer             user_data)
{
  GTask *task;

  g_return_if_fail (MATRIX_IS_ROOM (self));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, matrix_room_join_async);
  g_task_set_task_data (task, dup_direct_inviter (self), g_free);
  matrix_client_join_room_async (self->client, self->room_id, cancellable, on_join_done, task);
}

/**
 * matrix_room_join_finish:
 * @self: a #MatrixRoom
 * @result: the #GAsyncResult
 * @error: return location for a #GError
 *
 * Finishes matrix_room_join_async().
 *
 * Returns: %TRUE if the room was joined
 */
gboolean
matrix_room_join_finish (MatrixRoom    *self,
                         GAsyncResult  *result,
                         GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}

static void
on_leave_done (GObject      *source,
               GAsyncResult *result,
               gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  MatrixRoom *self = g_task_get_source_object (task);
  GError *error = NULL;

  if (!matrix_client_leave_room_finish (MATRIX_CLIENT (source), result, &error))
    {
      g_task_return_error (task, error);
      return;
    }

  _matrix_room_set_membership (self, MATRIX_MEMBERSHIP_LEAVE);
  g_task_return_boolean (task, TRUE);
}

/**
 * matrix_room_leave_async:
 * @self: a #MatrixRoom
 * @cancellable: (nullable): a #GCancellable
 * @callback: called when done
 * @user_data: data for @callback
 *
 * Leaves the room, or declines the invite. On success the membership is
 * LEAVE and the room leaves the tracker's list.
 */
void
matrix_room_leave_async (MatrixRoom          *self,
                         GCancellable        *cancellable,
                         GAsyncReadyCallback  callback,
                         gpointer             user_data)
{
  GTask *task;

  g_return_if_fail (MATRIX_IS_ROOM (self));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, matrix_room_leave_async);
  matrix_client_leave_room_async (self->client, self->room_id, cancellable, on_leave_done, task);
}

/**
 * matrix_room_leave_finish:
 * @self: a #MatrixRoom
 * @result: the #GAsyncResult
 * @error: return location for a #GError
 *
 * Finishes matrix_room_leave_async().
 *
 * Returns: %TRUE if the room was left
 */
gboolean
matrix_room_leave_finish (MatrixRoom    *self,
                          GAsyncResult  *result,
                          GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}

/* The id of the newest event the server sent in the timeline, or NULL. */
static char *
dup_newest_event_id (MatrixRoom *self)
{
  GListModel *model = G_LIST_MODEL (self->timeline);

  for (guint i = g_list_model_get_n_items (model); i > 0; i--)
    {
      g_autoptr(MatrixTimelineItem) item = g_list_model_get_item (model, i - 1);

      if (matrix_timeline_item_get_kind (item) == MATRIX_TIMELINE_ITEM_EVENT)
        return g_strdup (matrix_timeline_item_get_event_id (item));
    }
  return NULL;
}

static void
on_read_markers_set (GObject      *source,
                     GAsyncResult *result,
                     gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  MatrixRoom *self = g_task_get_source_object (task);
  const char *event_id = g_task_get_task_data (task);
  g_autofree char *newest = NULL;
  GError *error = NULL;

  if (!matrix_client_set_read_markers_finish (MATRIX_CLIENT (source), result, &error))
    {
      /* Let the next call try again. */
      if (g_strcmp0 (self->read_event_id, event_id) == 0)
        g_clear_pointer (&self->read_event_id, g_free);
      g_task_return_error (task, error);
      return;
    }

  /* The server has reset the counts; its next sync says so too. Clear them
   * now, unless newer events came meanwhile: those counts are the server's. */
  newest = dup_newest_event_id (self);
  if (g_strcmp0 (newest, event_id) == 0 &&
      (self->notification_count > 0 || self->highlight_count > 0))
    {
      g_autoptr(JsonObject) unread = json_object_new ();

      json_object_set_int_member (unread, "notification_count", 0);
      json_object_set_int_member (unread, "highlight_count", 0);
      g_clear_pointer (&self->unread, json_object_unref);
      self->unread = g_steal_pointer (&unread);
      apply_unread (self);
      save (self);
    }
  schedule_recount (self);
  g_task_return_boolean (task, TRUE);
}

/**
 * matrix_room_mark_read_async:
 * @self: a #MatrixRoom
 * @cancellable: (nullable): a #GCancellable
 * @callback: called when done
 * @user_data: data for @callback
 *
 * Marks the room as read up to the newest event in its timeline: the read
 * receipt and the fully-read marker move there, and once the server accepted
 * them the notification and highlight counts are zero. Local echoes are not
 * marked (the server does not know them yet). Calling it again before newer
 * events arrive sends nothing.
 */
void
matrix_room_mark_read_async (MatrixRoom          *self,
                             GCancellable        *cancellable,
                             GAsyncReadyCallback  callback,
                             gpointer             user_data)
{
  g_autofree char *event_id = NULL;
  GTask *task;

  g_return_if_fail (MATRIX_IS_ROOM (self));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, matrix_room_mark_read_async);

  event_id = dup_newest_event_id (self);
  if (event_id == NULL || g_strcmp0 (event_id, self->read_event_id) == 0)
    {
      g_task_return_boolean (task, TRUE);
      g_object_unref (task);
      return;
    }

  g_free (self->read_event_id);
  self->read_event_id = g_strdup (event_id);
  g_task_set_task_data (task, g_strdup (event_id), g_free);
  matrix_client_set_read_markers_async (self->client, self->room_id, event_id, cancellable,
                                        on_read_markers_set, task);
}

/**
 * matrix_room_mark_read_finish:
 * @self: a #MatrixRoom
 * @result: the #GAsyncResult
 * @error: return location for a #GError
 *
 * Finishes matrix_room_mark_read_async().
 *
 * Returns: %TRUE if the room is marked read (or already was)
 */
gboolean
matrix_room_mark_read_finish (MatrixRoom    *self,
                              GAsyncResult  *result,
                              GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}

/* --- GObject ------------------------------------------------------------------ */

static void
matrix_room_dispose (GObject *object)
{
  MatrixRoom *self = MATRIX_ROOM (object);

  /* Whoever still holds the timeline may load into it: not for us. */
  if (self->recount_source != NULL)
    {
      g_source_destroy (self->recount_source);
      g_clear_pointer (&self->recount_source, g_source_unref);
    }
  if (self->timeline != NULL)
    {
      _matrix_timeline_set_redactions_func (self->timeline, NULL, NULL);
      g_signal_handlers_disconnect_by_data (self->timeline, self);
    }
  g_clear_object (&self->timeline);
  g_clear_object (&self->client);

  G_OBJECT_CLASS (matrix_room_parent_class)->dispose (object);
}

static void
matrix_room_finalize (GObject *object)
{
  MatrixRoom *self = MATRIX_ROOM (object);

  g_free (self->room_id);
  g_free (self->display_name);
  g_free (self->topic);
  g_free (self->avatar_url);
  g_free (self->last_message);
  g_free (self->preview_event_id);
  g_free (self->inviter);
  g_free (self->direct_user_id);
  g_clear_pointer (&self->summary, json_object_unref);
  g_clear_pointer (&self->unread, json_object_unref);
  g_clear_pointer (&self->push_rules, json_object_unref);
  g_free (self->read_event_id);
  g_clear_pointer (&self->invite_state, g_ptr_array_unref);
  g_clear_pointer (&self->stored_gaps, json_array_unref);
  _matrix_receipts_free (self->receipts);
  invalidate_members (self);

  G_OBJECT_CLASS (matrix_room_parent_class)->finalize (object);
}

static void
matrix_room_get_property (GObject    *object,
                          guint       prop_id,
                          GValue     *value,
                          GParamSpec *pspec)
{
  MatrixRoom *self = MATRIX_ROOM (object);

  switch (prop_id)
    {
    case PROP_ROOM_ID:
      g_value_set_string (value, self->room_id);
      break;
    case PROP_DISPLAY_NAME:
      g_value_set_string (value, self->display_name);
      break;
    case PROP_TOPIC:
      g_value_set_string (value, self->topic);
      break;
    case PROP_AVATAR_URL:
      g_value_set_string (value, self->avatar_url);
      break;
    case PROP_MEMBERSHIP:
      g_value_set_enum (value, self->membership);
      break;
    case PROP_NOTIFICATION_COUNT:
      g_value_set_uint (value, self->notification_count);
      break;
    case PROP_HIGHLIGHT_COUNT:
      g_value_set_uint (value, self->highlight_count);
      break;
    case PROP_LAST_ACTIVITY:
      g_value_set_int64 (value, self->last_activity);
      break;
    case PROP_LAST_MESSAGE:
      g_value_set_string (value, self->last_message);
      break;
    case PROP_INVITER:
      g_value_set_string (value, self->inviter);
      break;
    case PROP_ENCRYPTED:
      g_value_set_boolean (value, self->encrypted);
      break;
    case PROP_TIMELINE:
      g_value_set_object (value, self->timeline);
      break;
    case PROP_TYPING_USERS:
      g_value_set_boxed (value, _matrix_receipts_get_typing (self->receipts));
      break;
    case PROP_FULLY_READ:
      g_value_set_string (value, _matrix_receipts_get_fully_read (self->receipts));
      break;
    case PROP_DIRECT_USER_ID:
      g_value_set_string (value, self->direct_user_id);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
matrix_room_class_init (MatrixRoomClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GParamFlags flags = G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS;

  object_class->dispose = matrix_room_dispose;
  object_class->finalize = matrix_room_finalize;
  object_class->get_property = matrix_room_get_property;

  /**
   * MatrixRoom:room-id:
   *
   * The room's id.
   */
  properties[PROP_ROOM_ID] =
    g_param_spec_string ("room-id", NULL, NULL, NULL, G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  /**
   * MatrixRoom:display-name:
   *
   * The room's name as the spec's algorithm makes it: its `m.room.name`, else
   * its canonical alias, else its members' names ("Alice and Bob"), else
   * "Empty Room" (translated). Never %NULL.
   */
  properties[PROP_DISPLAY_NAME] = g_param_spec_string ("display-name", NULL, NULL, NULL, flags);
  /**
   * MatrixRoom:topic:
   *
   * The room's `m.room.topic`, or %NULL.
   */
  properties[PROP_TOPIC] = g_param_spec_string ("topic", NULL, NULL, NULL, flags);
  /**
   * MatrixRoom:avatar-url:
   *
   * The `mxc://` URL of the room's `m.room.avatar`; in an unnamed room of two,
   * the other member's avatar; or %NULL.
   */
  properties[PROP_AVATAR_URL] = g_param_spec_string ("avatar-url", NULL, NULL, NULL, flags);
  /**
   * MatrixRoom:membership:
   *
   * Whether the user is in the room, invited to it, or left it.
   */
  properties[PROP_MEMBERSHIP] =
    g_param_spec_enum ("membership", NULL, NULL, MATRIX_TYPE_MEMBERSHIP, MATRIX_MEMBERSHIP_JOIN, flags);
  /**
   * MatrixRoom:notification-count:
   *
   * How many unread events notify the user, as the server counts them.
   */
  properties[PROP_NOTIFICATION_COUNT] =
    g_param_spec_uint ("notification-count", NULL, NULL, 0, G_MAXUINT, 0, flags);
  /**
   * MatrixRoom:highlight-count:
   *
   * How many unread events mention the user, as the server counts them.
   */
  properties[PROP_HIGHLIGHT_COUNT] =
    g_param_spec_uint ("highlight-count", NULL, NULL, 0, G_MAXUINT, 0, flags);
  /**
   * MatrixRoom:last-activity:
   *
   * The time of the room's newest timeline event in milliseconds since the
   * Unix epoch (for an invite, when it arrived), or 0.
   */
  properties[PROP_LAST_ACTIVITY] =
    g_param_spec_int64 ("last-activity", NULL, NULL, 0, G_MAXINT64, 0, flags);
  /**
   * MatrixRoom:last-message:
   *
   * The newest message as plain text for a room list, such as "Alice: hi", or
   * %NULL. It is not escaped for markup.
   */
  properties[PROP_LAST_MESSAGE] = g_param_spec_string ("last-message", NULL, NULL, NULL, flags);
  /**
   * MatrixRoom:inviter:
   *
   * The user id of who invited the user, for a room of
   * %MATRIX_MEMBERSHIP_INVITE, or %NULL.
   */
  properties[PROP_INVITER] = g_param_spec_string ("inviter", NULL, NULL, NULL, flags);
  /**
   * MatrixRoom:encrypted:
   *
   * Whether the room is encrypted: see matrix_room_get_encrypted(). A room
   * cannot be made unencrypted again, so this only ever turns %TRUE.
   */
  properties[PROP_ENCRYPTED] = g_param_spec_boolean ("encrypted", NULL, NULL, FALSE, flags);
  /**
   * MatrixRoom:timeline:
   *
   * The room's #MatrixTimeline.
   */
  properties[PROP_TIMELINE] =
    g_param_spec_object ("timeline", NULL, NULL, MATRIX_TYPE_TIMELINE,
                         G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  /**
   * MatrixRoom:typing-users:
   *
   * The user ids of the members typing now, never the user's: see
   * matrix_room_get_typing_users().
   */
  properties[PROP_TYPING_USERS] =
    g_param_spec_boxed ("typing-users", NULL, NULL, G_TYPE_STRV,
                        G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  /**
   * MatrixRoom:fully-read:
   *
   * The event the user's fully-read marker is at, or %NULL: see
   * matrix_room_get_fully_read().
   */
  properties[PROP_FULLY_READ] =
    g_param_spec_string ("fully-read", NULL, NULL, NULL,
                         G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  /**
   * MatrixRoom:direct-user-id:
   *
   * Whom the room is a direct chat with, as the user's `m.direct` says
   * (see matrix_room_get_direct_user_id()), or %NULL.
   */
  properties[PROP_DIRECT_USER_ID] =
    g_param_spec_string ("direct-user-id", NULL, NULL, NULL,
                         G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);

  g_object_class_install_properties (object_class, N_PROPS, properties);

  /**
   * MatrixRoom::receipts-changed:
   * @self: the room
   *
   * Read receipts moved: matrix_room_get_read_receipt() and
   * matrix_room_dup_readers() may answer otherwise.
   */
  signals[RECEIPTS_CHANGED] =
    g_signal_new ("receipts-changed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 0);

  /**
   * MatrixRoom::state-changed:
   * @self: the room
   *
   * The room's current state changed (a sync brought state events, or
   * the store loaded the room): what is read from it, such as
   * matrix_room_dup_power_levels() or matrix_room_dup_replacement_room(),
   * may answer otherwise.
   */
  signals[STATE_CHANGED] =
    g_signal_new ("state-changed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 0);
}

static void
matrix_room_init (MatrixRoom *self)
{
  self->membership = MATRIX_MEMBERSHIP_JOIN;
  self->timeline_restored = TRUE;
  self->receipts = _matrix_receipts_new ();
}
