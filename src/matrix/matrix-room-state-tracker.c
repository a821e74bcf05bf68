/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "matrix-room-state-tracker"

#include "matrix-room-state-tracker.h"

/**
 * MatrixRoomStateTracker:
 *
 * Keeps the current state of every room: it listens to a #MatrixClient's
 * sync signals and records each state event in the client's store, applying
 * a room's `state` section first and then the state events of its timeline,
 * so that the newest state wins.
 *
 * Create it before starting the sync loop, or it misses what comes first.
 */
struct _MatrixRoomStateTracker
{
  GObject       parent_instance;

  MatrixClient *client;
  gulong        state_handler;
  gulong        timeline_handler;
};

G_DEFINE_FINAL_TYPE (MatrixRoomStateTracker, matrix_room_state_tracker, G_TYPE_OBJECT)

enum {
  PROP_0,
  PROP_CLIENT,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

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

static void
on_room_state_updates (MatrixClient           *client,
                       const char             *room_id,
                       GPtrArray              *events,
                       MatrixRoomStateTracker *self)
{
  apply_state_events (self, events);
}

static void
on_room_timeline_updates (MatrixClient           *client,
                          const char             *room_id,
                          GPtrArray              *events,
                          gboolean                limited,
                          const char             *prev_batch,
                          MatrixRoomStateTracker *self)
{
  apply_state_events (self, events);
  matrix_store_add_timeline_events (matrix_client_get_store (self->client), room_id, events);
}

/**
 * matrix_room_state_tracker_new:
 * @client: the client whose sync to follow
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
}

static void
matrix_room_state_tracker_dispose (GObject *object)
{
  MatrixRoomStateTracker *self = MATRIX_ROOM_STATE_TRACKER (object);

  if (self->client != NULL)
    {
      g_clear_signal_handler (&self->state_handler, self->client);
      g_clear_signal_handler (&self->timeline_handler, self->client);
    }
  g_clear_object (&self->client);

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

  properties[PROP_CLIENT] =
    g_param_spec_object ("client", NULL, NULL, MATRIX_TYPE_CLIENT,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);

  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
matrix_room_state_tracker_init (MatrixRoomStateTracker *self)
{
}
