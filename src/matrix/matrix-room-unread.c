/* SPDX-License-Identifier: LGPL-2.1-or-later */
#define G_LOG_DOMAIN "matrix-room"

#include "matrix-room-unread-private.h"
#include "matrix-timeline-item.h"
#include "matrix-timeline-private.h"

/* (transfer full): the event a row shows as the push rules read it: the
 * decrypted type and content in place of the encrypted ones. Shallow: the
 * members are the item's. */
static JsonObject *
row_as_event (MatrixTimelineItem *item,
              const char         *room_id)
{
  MatrixEvent *event = matrix_timeline_item_get_event (item);
  JsonObject *object = json_object_new ();
  JsonObject *content = matrix_timeline_item_get_content (item);
  const char *type = matrix_timeline_item_get_event_type (item);
  const char *sender = matrix_timeline_item_get_sender (item);

  if (type != NULL)
    json_object_set_string_member (object, "type", type);
  if (sender != NULL)
    json_object_set_string_member (object, "sender", sender);
  if (room_id != NULL)
    json_object_set_string_member (object, "room_id", room_id);
  if (matrix_event_get_event_id (event) != NULL)
    json_object_set_string_member (object, "event_id", matrix_event_get_event_id (event));
  if (MATRIX_IS_STATE_EVENT (event))
    json_object_set_string_member (object, "state_key",
                                   matrix_state_event_get_state_key (MATRIX_STATE_EVENT (event)));
  json_object_set_object_member (object, "content",
                                 content != NULL ? json_object_ref (content) : json_object_new ());
  return object;
}

gboolean
_matrix_unread_count (MatrixTimeline          *timeline,
                      const char * const      *read_ids,
                      JsonObject              *push_rules,
                      const MatrixPushContext *context,
                      gboolean                 decrypting,
                      guint                   *notifications,
                      guint                   *highlights)
{
  GListModel *model = G_LIST_MODEL (timeline);
  guint n = g_list_model_get_n_items (model), n_read = 0;
  gboolean final = TRUE;
  g_autoptr(JsonObject) defaults = NULL;
  JsonNode *global = push_rules != NULL ? json_object_get_member (push_rules, "global") : NULL;

  /* The spec's rules, made once for the whole count rather than per event. */
  if (global == NULL || !JSON_NODE_HOLDS_OBJECT (global))
    push_rules = defaults = _matrix_push_rules_new_defaults (context->user_id);

  *notifications = *highlights = 0;
  for (guint i = n; i > 0 && n_read < MATRIX_UNREAD_MAX_ROWS; i--, n_read++)
    {
      g_autoptr(MatrixTimelineItem) item = g_list_model_get_item (model, i - 1);
      g_autoptr(JsonObject) event = NULL;
      const char *event_id;
      MatrixPushResult result;

      switch (matrix_timeline_item_get_kind (item))
        {
        case MATRIX_TIMELINE_ITEM_GAP:
          return final;
        case MATRIX_TIMELINE_ITEM_LOCAL_ECHO:
          continue;
        case MATRIX_TIMELINE_ITEM_EVENT:
        default:
          break;
        }

      event_id = matrix_timeline_item_get_event_id (item);
      if (event_id != NULL && read_ids != NULL && g_strv_contains (read_ids, event_id))
        return final;
      if (g_strcmp0 (matrix_timeline_item_get_sender (item), context->user_id) == 0)
        return final;

      if (decrypting && _matrix_timeline_item_needs_decryption (item) &&
          matrix_timeline_item_get_decryption_error (item) == NULL)
        final = FALSE;

      event = row_as_event (item, context->room_id);
      result = _matrix_push_rules_evaluate (push_rules, event, context);
      if (result & MATRIX_PUSH_NOTIFY)
        (*notifications)++;
      if (result & MATRIX_PUSH_HIGHLIGHT)
        (*highlights)++;
    }
  return final;
}
