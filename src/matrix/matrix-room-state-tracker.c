/* SPDX-License-Identifier: LGPL-2.1-or-later */
#define G_LOG_DOMAIN "matrix-room-state-tracker"

#include "matrix-direct-chats.h"
#include "matrix-json-private.h"
#include "matrix-room-private.h"
#include "matrix-timeline-private.h"
#include "matrix-room-state-tracker.h"

/**
 * MatrixRoomStateTracker:
 *
 * Keeps the current state of every room: it listens to a #MatrixClient's
 * sync signals and records each state event in the client's store, applying
 * a room's `state` section first and then the state events of its timeline,
 * so that the newest state wins.
 *
 * It is also the list of rooms the user sees: a #GListModel of #MatrixRoom,
 * joined and invited rooms, the most recently active first. It feeds each
 * room what the sync brings, moves a room when its activity changes, and
 * drops rooms we left. On construction it restores the rooms the store
 * knows, so they show before the first sync answers.
 *
 * Create it before starting the sync loop, or it misses what comes first.
 */
struct _MatrixRoomStateTracker
{
  GObject       parent_instance;

  MatrixClient *client;
  gulong        state_handler;
  gulong        timeline_handler;
  gulong        summary_handler;
  gulong        ephemeral_handler;
  gulong        account_data_handler;
  gulong        left_handler;
  gulong        invite_handler;
  gulong        loaded_handler;  /* on the client's store */
  gulong        synced_handler;
  gulong        resumed_handler;
  gulong        global_account_data_handler;

  /* The user's m.direct, from the newest sync that had it (or the store). */
  MatrixDirectChats *direct;
  /* Likewise the user's m.push_rules (content, not validated: read with
   * matrix_push_rules_get_room_level()). */
  JsonObject        *push_rules;

  GHashTable   *rooms_by_id;  /* room id → MatrixRoom, every room we are in or invited to */
  GPtrArray    *rooms;        /* the same rooms, in list order (see batch_source) */
  /* While a sync's signals are applied, the list waits: rooms_by_id changes
   * at once, rooms (what the model shows) once, when the batch ends. */
  GSource      *batch_source;
  gboolean      batch_dirty;
};

static void matrix_room_state_tracker_list_model_init (GListModelInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (MatrixRoomStateTracker, matrix_room_state_tracker, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (G_TYPE_LIST_MODEL,
                                                      matrix_room_state_tracker_list_model_init))

enum {
  PROP_0,
  PROP_CLIENT,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

/* --- the list -------------------------------------------------------------- */

static GType
matrix_room_state_tracker_get_item_type (GListModel *model)
{
  return MATRIX_TYPE_ROOM;
}

static guint
matrix_room_state_tracker_get_n_items (GListModel *model)
{
  return MATRIX_ROOM_STATE_TRACKER (model)->rooms->len;
}

static gpointer
matrix_room_state_tracker_get_item (GListModel *model,
                                    guint       position)
{
  MatrixRoomStateTracker *self = MATRIX_ROOM_STATE_TRACKER (model);

  if (position >= self->rooms->len)
    return NULL;

  return g_object_ref (g_ptr_array_index (self->rooms, position));
}

static void
matrix_room_state_tracker_list_model_init (GListModelInterface *iface)
{
  iface->get_item_type = matrix_room_state_tracker_get_item_type;
  iface->get_n_items = matrix_room_state_tracker_get_n_items;
  iface->get_item = matrix_room_state_tracker_get_item;
}

/* Newest activity first; the room id keeps the order total. */
static int
compare_rooms (MatrixRoom *a,
               MatrixRoom *b)
{
  gint64 ta = matrix_room_get_last_activity (a);
  gint64 tb = matrix_room_get_last_activity (b);

  if (ta != tb)
    return ta > tb ? -1 : 1;
  return g_strcmp0 (matrix_room_get_room_id (a), matrix_room_get_room_id (b));
}

static int
compare_room_pointers (gconstpointer a,
                       gconstpointer b)
{
  return compare_rooms (*(MatrixRoom **) a, *(MatrixRoom **) b);
}

static guint
find_position (MatrixRoomStateTracker *self,
               MatrixRoom             *room)
{
  guint lo = 0, hi = self->rooms->len;

  while (lo < hi)
    {
      guint mid = lo + (hi - lo) / 2;

      if (compare_rooms (g_ptr_array_index (self->rooms, mid), room) < 0)
        lo = mid + 1;
      else
        hi = mid;
    }

  return lo;
}

/* The list as rooms_by_id has it now, emitted as one change: the span
 * between what stayed in place at its start and at its end. */
static void
flush_batch (MatrixRoomStateTracker *self)
{
  g_autoptr(GPtrArray) old = NULL;
  GHashTableIter iter;
  gpointer room;
  guint prefix = 0, suffix = 0;

  if (self->batch_source != NULL)
    {
      g_source_destroy (self->batch_source);
      g_clear_pointer (&self->batch_source, g_source_unref);
    }
  if (!self->batch_dirty)
    return;
  self->batch_dirty = FALSE;

  old = g_steal_pointer (&self->rooms);
  self->rooms = g_ptr_array_new_full (g_hash_table_size (self->rooms_by_id), g_object_unref);
  g_hash_table_iter_init (&iter, self->rooms_by_id);
  while (g_hash_table_iter_next (&iter, NULL, &room))
    g_ptr_array_add (self->rooms, g_object_ref (room));
  g_ptr_array_sort (self->rooms, compare_room_pointers);

  while (prefix < old->len && prefix < self->rooms->len &&
         old->pdata[prefix] == self->rooms->pdata[prefix])
    prefix++;
  while (suffix < old->len - prefix && suffix < self->rooms->len - prefix &&
         old->pdata[old->len - 1 - suffix] == self->rooms->pdata[self->rooms->len - 1 - suffix])
    suffix++;

  if (prefix + suffix < MAX (old->len, self->rooms->len))
    g_list_model_items_changed (G_LIST_MODEL (self), prefix, old->len - prefix - suffix,
                                self->rooms->len - prefix - suffix);
}

static gboolean
on_batch_end (gpointer user_data)
{
  flush_batch (user_data);
  return G_SOURCE_REMOVE;
}

/* A sync brings its rooms one signal at a time; a first sync may bring
 * thousands. The list changes once for all of them: when the client says the
 * sync is committed, or as soon as its signals are all out, whichever comes
 * first (a commit that fails is never announced). */
static void
begin_batch (MatrixRoomStateTracker *self)
{
  if (self->batch_source != NULL)
    return;

  self->batch_source = g_idle_source_new ();
  g_source_set_priority (self->batch_source, G_PRIORITY_HIGH);
  g_source_set_callback (self->batch_source, on_batch_end, self, NULL);
  g_source_set_static_name (self->batch_source, "[matrix-room-state-tracker] list batch");
  g_source_attach (self->batch_source, g_main_context_get_thread_default ());
}

static void
insert_room (MatrixRoomStateTracker *self,
             MatrixRoom             *room)
{
  guint position;

  if (self->batch_source != NULL)
    {
      self->batch_dirty = TRUE;
      return;
    }

  position = find_position (self, room);

  g_ptr_array_insert (self->rooms, position, g_object_ref (room));
  g_list_model_items_changed (G_LIST_MODEL (self), position, 0, 1);
}

static void
on_room_activity (MatrixRoom             *room,
                  GParamSpec             *pspec,
                  MatrixRoomStateTracker *self)
{
  guint old_position, new_position;

  if (self->batch_source != NULL)
    {
      self->batch_dirty = TRUE;
      return;
    }

  if (!g_ptr_array_find (self->rooms, room, &old_position))
    return;

  g_object_ref (room);
  g_ptr_array_remove_index (self->rooms, old_position);
  new_position = find_position (self, room);
  g_ptr_array_insert (self->rooms, new_position, room);

  if (old_position != new_position)
    {
      guint first = MIN (old_position, new_position);
      guint n = MAX (old_position, new_position) - first + 1;

      g_list_model_items_changed (G_LIST_MODEL (self), first, n, n);
    }
}

/* A room we left leaves the list. Its state stays in the store, marked as
 * left, so get_state() still answers for it as the seed's tracker does, and a
 * restart does not bring it back into the list. */
static void
drop_room (MatrixRoomStateTracker *self,
           const char             *room_id)
{
  g_autofree char *id = g_strdup (room_id);
  MatrixRoom *room = g_hash_table_lookup (self->rooms_by_id, id);
  guint position;

  if (room == NULL)
    return;

  g_signal_handlers_disconnect_by_data (room, self);
  if (self->batch_source != NULL)
    self->batch_dirty = TRUE;
  else if (g_ptr_array_find (self->rooms, room, &position))
    {
      g_ptr_array_remove_index (self->rooms, position);
      g_list_model_items_changed (G_LIST_MODEL (self), position, 1, 0);
    }
  g_hash_table_remove (self->rooms_by_id, id);
}

static void
on_room_membership (MatrixRoom             *room,
                    GParamSpec             *pspec,
                    MatrixRoomStateTracker *self)
{
  if (matrix_room_get_membership (room) == MATRIX_MEMBERSHIP_LEAVE)
    drop_room (self, matrix_room_get_room_id (room));
}

static void
track_room (MatrixRoomStateTracker *self,
            MatrixRoom             *room)
{
  g_hash_table_insert (self->rooms_by_id, g_strdup (matrix_room_get_room_id (room)),
                       g_object_ref (room));
  g_signal_connect (room, "notify::last-activity", G_CALLBACK (on_room_activity), self);
  g_signal_connect (room, "notify::membership", G_CALLBACK (on_room_membership), self);
  _matrix_room_set_push_rules (room, self->push_rules);
  _matrix_room_set_direct_user (room, self->direct != NULL
                                      ? matrix_direct_chats_get_user_for_room (self->direct,
                                                                               matrix_room_get_room_id (room))
                                      : NULL);
}

/* Where m.direct and m.push_rules are kept between runs, as JSON text. */
#define DIRECT_CHATS_KEY "account_data.m.direct"
#define PUSH_RULES_KEY "account_data.m.push_rules"

static void
set_direct_chats (MatrixRoomStateTracker *self,
                  JsonObject             *content)
{
  GHashTableIter iter;
  gpointer room;

  g_clear_pointer (&self->direct, matrix_direct_chats_unref);
  self->direct = matrix_direct_chats_new (content);
  g_hash_table_iter_init (&iter, self->rooms_by_id);
  while (g_hash_table_iter_next (&iter, NULL, &room))
    _matrix_room_set_direct_user (room, matrix_direct_chats_get_user_for_room (self->direct,
                                                                              matrix_room_get_room_id (room)));
}

static void
on_account_data_updates (MatrixClient           *client,
                         GPtrArray              *events,
                         MatrixRoomStateTracker *self)
{
  for (guint i = 0; i < events->len; i++)
    {
      JsonObject *event = g_ptr_array_index (events, i);
      JsonObject *content = json_object_get_object_member (event, "content");
      GHashTableIter iter;
      gpointer room;
      g_autoptr(JsonNode) node = NULL;
      g_autofree char *text = NULL;

      const char *type = json_object_get_string_member_with_default (event, "type", "");

      if (g_str_equal (type, "m.direct"))
        set_direct_chats (self, content);
      else if (g_str_equal (type, "m.push_rules"))
        {
          g_clear_pointer (&self->push_rules, json_object_unref);
          self->push_rules = json_object_ref (content);
          g_hash_table_iter_init (&iter, self->rooms_by_id);
          while (g_hash_table_iter_next (&iter, NULL, &room))
            _matrix_room_set_push_rules (room, self->push_rules);
        }
      else
        continue;
      node = json_node_init_object (json_node_alloc (), content);
      text = _matrix_json_to_string (node);
      matrix_store_set_value (matrix_client_get_store (client),
                              g_str_equal (type, "m.direct") ? DIRECT_CHATS_KEY : PUSH_RULES_KEY, text);
    }
}

/**
 * matrix_room_state_tracker_get_push_rules:
 * @self: a #MatrixRoomStateTracker
 *
 * The content of the user's `m.push_rules` as the newest sync (or, before
 * one, the store) had it, as the server sent it: read it with
 * matrix_push_rules_get_room_level().
 *
 * Returns: (transfer none) (nullable): the push rules, or %NULL
 */
JsonObject *
matrix_room_state_tracker_get_push_rules (MatrixRoomStateTracker *self)
{
  g_return_val_if_fail (MATRIX_IS_ROOM_STATE_TRACKER (self), NULL);
  return self->push_rules;
}

/**
 * matrix_room_state_tracker_get_direct_chats:
 * @self: a #MatrixRoomStateTracker
 *
 * The user's `m.direct` as the newest sync (or, before one, the store)
 * had it; each room also says whom it is a direct chat with
 * (#MatrixRoom:direct-user-id).
 *
 * Returns: (transfer none) (nullable): the direct chats, or %NULL when no
 *   sync has brought any
 */
MatrixDirectChats *
matrix_room_state_tracker_get_direct_chats (MatrixRoomStateTracker *self)
{
  g_return_val_if_fail (MATRIX_IS_ROOM_STATE_TRACKER (self), NULL);
  return self->direct;
}

/* Rooms come into the list only once their first update has been applied,
 * so that a room we left never flashes in it. */
static MatrixRoom *
lookup_or_new_room (MatrixRoomStateTracker *self,
                    const char             *room_id,
                    gboolean               *is_new)
{
  MatrixRoom *room = g_hash_table_lookup (self->rooms_by_id, room_id);

  begin_batch (self);
  *is_new = room == NULL;
  if (room != NULL)
    return g_object_ref (room);

  return _matrix_room_new (self->client, room_id);
}

static void
add_if_new (MatrixRoomStateTracker *self,
            MatrixRoom             *room,
            gboolean                is_new)
{
  if (!is_new || matrix_room_get_membership (room) == MATRIX_MEMBERSHIP_LEAVE)
    return;

  track_room (self, room);
  insert_room (self, room);
}

/* --- sync ------------------------------------------------------------------- */

static void
apply_state_events (MatrixRoomStateTracker *self,
                    GPtrArray              *events)
{
  MatrixStore *store = matrix_client_get_store (self->client);

  for (guint i = 0; i < events->len; i++)
    {
      MatrixEvent *event = g_ptr_array_index (events, i);

      if (MATRIX_IS_STATE_EVENT (event))
        matrix_store_set_state_event (store, MATRIX_STATE_EVENT (event));
    }
}

/* Our own m.room.member says whether a room in the sync is one we are in. */
static void
update_own_membership (MatrixRoomStateTracker *self,
                       MatrixRoom             *room,
                       GPtrArray              *events)
{
  const char *own_id = matrix_client_get_user_id (self->client);
  const char *membership = NULL;

  for (guint i = 0; own_id != NULL && i < events->len; i++)
    {
      MatrixEvent *event = g_ptr_array_index (events, i);

      if (MATRIX_IS_STATE_EVENT (event) &&
          g_strcmp0 (matrix_event_get_event_type (event), "m.room.member") == 0 &&
          g_strcmp0 (matrix_state_event_get_state_key (MATRIX_STATE_EVENT (event)), own_id) == 0)
        membership = matrix_event_get_content_string (event, "membership");
    }

  if (g_strcmp0 (membership, "join") == 0)
    _matrix_room_set_membership (room, MATRIX_MEMBERSHIP_JOIN);
  else if (g_strcmp0 (membership, "leave") == 0 || g_strcmp0 (membership, "ban") == 0)
    _matrix_room_set_membership (room, MATRIX_MEMBERSHIP_LEAVE);
}

static void
on_room_state_updates (MatrixClient           *client,
                       const char             *room_id,
                       GPtrArray              *events,
                       MatrixRoomStateTracker *self)
{
  g_autoptr(MatrixRoom) room = NULL;
  gboolean is_new;

  apply_state_events (self, events);

  room = lookup_or_new_room (self, room_id, &is_new);
  update_own_membership (self, room, events);
  if (events->len > 0)
    _matrix_room_state_changed (room);
  add_if_new (self, room, is_new);
}

static void
on_room_timeline_updates (MatrixClient           *client,
                          const char             *room_id,
                          GPtrArray              *events,
                          gboolean                limited,
                          const char             *prev_batch,
                          MatrixRoomStateTracker *self)
{
  g_autoptr(MatrixRoom) room = NULL;
  gboolean is_new;

  apply_state_events (self, events);
  matrix_store_add_timeline_events (matrix_client_get_store (self->client), room_id, events);

  room = lookup_or_new_room (self, room_id, &is_new);
  update_own_membership (self, room, events);
  _matrix_room_append_timeline (room, events, limited, prev_batch);
  add_if_new (self, room, is_new);
}

static void
on_room_summary_updates (MatrixClient           *client,
                         const char             *room_id,
                         JsonObject             *summary,
                         JsonObject             *unread_notifications,
                         MatrixRoomStateTracker *self)
{
  g_autoptr(MatrixRoom) room = NULL;
  gboolean is_new;

  room = lookup_or_new_room (self, room_id, &is_new);
  /* Only joined rooms have a summary. */
  if (matrix_room_get_membership (room) == MATRIX_MEMBERSHIP_INVITE)
    _matrix_room_set_membership (room, MATRIX_MEMBERSHIP_JOIN);
  _matrix_room_update_summary (room, summary, unread_notifications);
  add_if_new (self, room, is_new);
}

static void
on_room_ephemeral_updates (MatrixClient           *client,
                           const char             *room_id,
                           GPtrArray              *events,
                           MatrixRoomStateTracker *self)
{
  g_autoptr(MatrixRoom) room = NULL;
  gboolean is_new;

  room = lookup_or_new_room (self, room_id, &is_new);
  _matrix_room_apply_ephemeral (room, events);
  add_if_new (self, room, is_new);
}

static void
on_room_account_data_updates (MatrixClient           *client,
                              const char             *room_id,
                              GPtrArray              *events,
                              MatrixRoomStateTracker *self)
{
  g_autoptr(MatrixRoom) room = NULL;
  gboolean is_new;

  room = lookup_or_new_room (self, room_id, &is_new);
  _matrix_room_apply_account_data (room, events);
  add_if_new (self, room, is_new);
}

static void
on_left_room (MatrixClient           *client,
              const char             *room_id,
              MatrixRoomStateTracker *self)
{
  g_autoptr(MatrixRoom) room = NULL;
  gboolean is_new;

  room = lookup_or_new_room (self, room_id, &is_new);
  _matrix_room_set_membership (room, MATRIX_MEMBERSHIP_LEAVE);
  drop_room (self, room_id);
}

static void
on_room_invite (MatrixClient           *client,
                const char             *room_id,
                GPtrArray              *stripped_state,
                MatrixRoomStateTracker *self)
{
  g_autoptr(MatrixRoom) room = NULL;
  gboolean is_new;

  room = lookup_or_new_room (self, room_id, &is_new);
  _matrix_room_set_invite (room, stripped_state);
  add_if_new (self, room, is_new);
}

static void
on_store_room_loaded (MatrixStore            *store,
                      const char             *room_id,
                      MatrixRoomStateTracker *self)
{
  MatrixRoom *room = g_hash_table_lookup (self->rooms_by_id, room_id);

  if (room != NULL)
    _matrix_room_loaded (room);
}

static void
on_synced (MatrixClient           *client,
           const char             *next_batch,
           MatrixRoomStateTracker *self)
{
  flush_batch (self);
}

/* One handler for every room's timeline: a first sync may bring thousands. */
static void
on_sync_resumed (MatrixClient           *client,
                 MatrixRoomStateTracker *self)
{
  GHashTableIter iter;
  gpointer room;

  g_hash_table_iter_init (&iter, self->rooms_by_id);
  while (g_hash_table_iter_next (&iter, NULL, &room))
    _matrix_timeline_retry_failed (matrix_room_get_timeline (room));
}

static void
restore_rooms (MatrixRoomStateTracker *self)
{
  g_auto(GStrv) room_ids = matrix_store_get_room_ids (matrix_client_get_store (self->client));

  for (guint i = 0; room_ids[i] != NULL; i++)
    {
      g_autoptr(MatrixRoom) room = _matrix_room_new (self->client, room_ids[i]);

      if (!_matrix_room_restore (room))
        continue;
      track_room (self, room);
      g_ptr_array_add (self->rooms, g_object_ref (room));
    }

  g_ptr_array_sort (self->rooms, compare_room_pointers);
}

/**
 * matrix_room_state_tracker_get_room:
 * @self: a #MatrixRoomStateTracker
 * @room_id: a room id
 *
 * The room with id @room_id.
 *
 * Returns: (transfer none) (nullable): the room, if we are in it or invited
 */
MatrixRoom *
matrix_room_state_tracker_get_room (MatrixRoomStateTracker *self,
                                    const char             *room_id)
{
  g_return_val_if_fail (MATRIX_IS_ROOM_STATE_TRACKER (self), NULL);
  g_return_val_if_fail (room_id != NULL, NULL);

  return g_hash_table_lookup (self->rooms_by_id, room_id);
}

/**
 * matrix_room_state_tracker_new:
 * @client: the client whose sync to follow
 *
 * A tracker of the rooms of @client: it restores the rooms @client's store
 * knows at once, then follows the client's sync.
 *
 * Returns: (transfer full): a new tracker
 */
MatrixRoomStateTracker *
matrix_room_state_tracker_new (MatrixClient *client)
{
  g_return_val_if_fail (MATRIX_IS_CLIENT (client), NULL);

  return g_object_new (MATRIX_TYPE_ROOM_STATE_TRACKER, "client", client, NULL);
}

/**
 * matrix_room_state_tracker_get_client:
 * @self: a #MatrixRoomStateTracker
 *
 * The client whose rooms the tracker keeps.
 *
 * Returns: (transfer none): the client
 */
MatrixClient *
matrix_room_state_tracker_get_client (MatrixRoomStateTracker *self)
{
  g_return_val_if_fail (MATRIX_IS_ROOM_STATE_TRACKER (self), NULL);

  return self->client;
}

/**
 * matrix_room_state_tracker_get_state:
 * @self: a #MatrixRoomStateTracker
 * @room_id: a room id
 * @event_type: a state event type
 * @state_key: (nullable): a state key; %NULL means the empty key
 *
 * The current state of a room for a type and state key.
 *
 * Returns: (transfer full) (nullable): the current state event, or %NULL
 */
MatrixStateEvent *
matrix_room_state_tracker_get_state (MatrixRoomStateTracker *self,
                                     const char             *room_id,
                                     const char             *event_type,
                                     const char             *state_key)
{
  g_return_val_if_fail (MATRIX_IS_ROOM_STATE_TRACKER (self), NULL);
  g_return_val_if_fail (room_id != NULL, NULL);
  g_return_val_if_fail (event_type != NULL, NULL);

  return matrix_store_get_state_event (matrix_client_get_store (self->client), room_id, event_type,
                                       state_key != NULL ? state_key : "");
}

/**
 * matrix_room_state_tracker_get_all_state_for_type:
 * @self: a #MatrixRoomStateTracker
 * @room_id: a room id
 * @event_type: a state event type
 *
 * The current state of one type in a room, by state key, such as every
 * `m.room.member` event.
 *
 * Returns: (transfer full) (element-type utf8 MatrixStateEvent): state key →
 *   current state event, for every state key of @event_type in the room
 */
GHashTable *
matrix_room_state_tracker_get_all_state_for_type (MatrixRoomStateTracker *self,
                                                  const char             *room_id,
                                                  const char             *event_type)
{
  g_autoptr(GPtrArray) events = NULL;
  GHashTable *table;

  g_return_val_if_fail (MATRIX_IS_ROOM_STATE_TRACKER (self), NULL);
  g_return_val_if_fail (room_id != NULL, NULL);
  g_return_val_if_fail (event_type != NULL, NULL);

  events = matrix_store_get_state_events (matrix_client_get_store (self->client), room_id, event_type);
  table = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_object_unref);
  for (guint i = 0; i < events->len; i++)
    {
      MatrixStateEvent *event = g_ptr_array_index (events, i);

      g_hash_table_insert (table, g_strdup (matrix_state_event_get_state_key (event)),
                           g_object_ref (event));
    }

  return table;
}

static void
matrix_room_state_tracker_constructed (GObject *object)
{
  MatrixRoomStateTracker *self = MATRIX_ROOM_STATE_TRACKER (object);

  G_OBJECT_CLASS (matrix_room_state_tracker_parent_class)->constructed (object);

  self->state_handler = g_signal_connect (self->client, "room-state-updates",
                                          G_CALLBACK (on_room_state_updates), self);
  self->timeline_handler = g_signal_connect (self->client, "room-timeline-updates",
                                             G_CALLBACK (on_room_timeline_updates), self);
  self->summary_handler = g_signal_connect (self->client, "room-summary-updates",
                                            G_CALLBACK (on_room_summary_updates), self);
  self->ephemeral_handler = g_signal_connect (self->client, "room-ephemeral-updates",
                                              G_CALLBACK (on_room_ephemeral_updates), self);
  self->account_data_handler = g_signal_connect (self->client, "room-account-data-updates",
                                                 G_CALLBACK (on_room_account_data_updates), self);
  self->left_handler = g_signal_connect (self->client, "left-room",
                                         G_CALLBACK (on_left_room), self);
  self->invite_handler = g_signal_connect (self->client, "room-invite",
                                           G_CALLBACK (on_room_invite), self);
  self->synced_handler = g_signal_connect (self->client, "synced", G_CALLBACK (on_synced), self);
  self->resumed_handler = g_signal_connect (self->client, "sync-resumed",
                                            G_CALLBACK (on_sync_resumed), self);
  /* Whoever asked the store for a room (the client before a sync touches
   * it, the app opening it), its timeline fills as it arrives. */
  self->loaded_handler = g_signal_connect (matrix_client_get_store (self->client), "room-loaded",
                                           G_CALLBACK (on_store_room_loaded), self);

  self->global_account_data_handler = g_signal_connect (self->client, "account-data-updates",
                                                        G_CALLBACK (on_account_data_updates), self);
  {
    const char *stored = matrix_store_get_value (matrix_client_get_store (self->client), DIRECT_CHATS_KEY);
    g_autoptr(JsonObject) content = stored != NULL ? _matrix_json_parse_object (stored, -1, NULL) : NULL;

    const char *rules = matrix_store_get_value (matrix_client_get_store (self->client), PUSH_RULES_KEY);

    if (content != NULL)
      self->direct = matrix_direct_chats_new (content);
    if (rules != NULL)
      self->push_rules = _matrix_json_parse_object (rules, -1, NULL);
  }

  restore_rooms (self);
}

static void
matrix_room_state_tracker_dispose (GObject *object)
{
  MatrixRoomStateTracker *self = MATRIX_ROOM_STATE_TRACKER (object);

  if (self->client != NULL)
    {
      g_clear_signal_handler (&self->state_handler, self->client);
      g_clear_signal_handler (&self->timeline_handler, self->client);
      g_clear_signal_handler (&self->summary_handler, self->client);
      g_clear_signal_handler (&self->ephemeral_handler, self->client);
      g_clear_signal_handler (&self->account_data_handler, self->client);
      g_clear_signal_handler (&self->left_handler, self->client);
      g_clear_signal_handler (&self->invite_handler, self->client);
      g_clear_signal_handler (&self->synced_handler, self->client);
      g_clear_signal_handler (&self->resumed_handler, self->client);
      g_clear_signal_handler (&self->global_account_data_handler, self->client);
      g_clear_signal_handler (&self->loaded_handler, matrix_client_get_store (self->client));
    }
  if (self->batch_source != NULL)
    {
      g_source_destroy (self->batch_source);
      g_clear_pointer (&self->batch_source, g_source_unref);
    }
  if (self->rooms_by_id != NULL)
    {
      GHashTableIter iter;
      gpointer room;

      g_hash_table_iter_init (&iter, self->rooms_by_id);
      while (g_hash_table_iter_next (&iter, NULL, &room))
        g_signal_handlers_disconnect_by_data (room, self);
    }
  g_clear_pointer (&self->rooms_by_id, g_hash_table_unref);
  g_clear_pointer (&self->rooms, g_ptr_array_unref);
  g_clear_object (&self->client);

  g_clear_pointer (&self->direct, matrix_direct_chats_unref);
  g_clear_pointer (&self->push_rules, json_object_unref);

  G_OBJECT_CLASS (matrix_room_state_tracker_parent_class)->dispose (object);
}

static void
matrix_room_state_tracker_get_property (GObject    *object,
                                        guint       prop_id,
                                        GValue     *value,
                                        GParamSpec *pspec)
{
  MatrixRoomStateTracker *self = MATRIX_ROOM_STATE_TRACKER (object);

  switch (prop_id)
    {
    case PROP_CLIENT:
      g_value_set_object (value, self->client);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
matrix_room_state_tracker_set_property (GObject      *object,
                                        guint         prop_id,
                                        const GValue *value,
                                        GParamSpec   *pspec)
{
  MatrixRoomStateTracker *self = MATRIX_ROOM_STATE_TRACKER (object);

  switch (prop_id)
    {
    case PROP_CLIENT:
      self->client = g_value_dup_object (value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
matrix_room_state_tracker_class_init (MatrixRoomStateTrackerClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->constructed = matrix_room_state_tracker_constructed;
  object_class->dispose = matrix_room_state_tracker_dispose;
  object_class->get_property = matrix_room_state_tracker_get_property;
  object_class->set_property = matrix_room_state_tracker_set_property;

  /**
   * MatrixRoomStateTracker:client:
   *
   * The client whose sync the tracker follows.
   */
  properties[PROP_CLIENT] =
    g_param_spec_object ("client", NULL, NULL, MATRIX_TYPE_CLIENT,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);

  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
matrix_room_state_tracker_init (MatrixRoomStateTracker *self)
{
  self->rooms_by_id = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_object_unref);
  self->rooms = g_ptr_array_new_with_free_func (g_object_unref);
}
