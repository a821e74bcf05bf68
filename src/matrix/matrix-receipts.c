/* SPDX-License-Identifier: LGPL-2.1-or-later */
#define G_LOG_DOMAIN "matrix-receipts"

#include <string.h>

#include "matrix-content-private.h"
#include "matrix-receipts-private.h"

/* A member's read receipts: the public one (m.read) and, for the user, the
 * private one (m.read.private); the newer of the two is where they read. */
typedef struct {
  char   *event_id;
  gint64  ts;
  char   *private_event_id;
  gint64  private_ts;
} Receipt;

struct _MatrixReceipts
{
  GStrv       typing;      /* never NULL */
  GHashTable *receipts;    /* user id → Receipt */
  char       *fully_read;
};

static void
receipt_free (Receipt *receipt)
{
  g_free (receipt->event_id);
  g_free (receipt->private_event_id);
  g_free (receipt);
}

MatrixReceipts *
_matrix_receipts_new (void)
{
  MatrixReceipts *self = g_new0 (MatrixReceipts, 1);

  self->typing = g_new0 (char *, 1);
  self->receipts = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, (GDestroyNotify) receipt_free);
  return self;
}

void
_matrix_receipts_free (MatrixReceipts *self)
{
  g_strfreev (self->typing);
  g_hash_table_unref (self->receipts);
  g_free (self->fully_read);
  g_free (self);
}

static const char *
receipt_event (Receipt *receipt)
{
  if (receipt->private_event_id != NULL &&
      (receipt->event_id == NULL || receipt->private_ts > receipt->ts))
    return receipt->private_event_id;
  return receipt->event_id;
}

static gint64
get_ts (JsonObject *object)
{
  JsonNode *node = json_object_get_member (object, "ts");

  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != G_TYPE_INT64)
    return 0;
  return json_node_get_int (node);
}

/* Sets where @user_id read (a public or a private receipt); TRUE if it moved. */
static gboolean
set_receipt (MatrixReceipts *self,
             const char     *user_id,
             const char     *event_id,
             gboolean        private_,
             gint64          ts)
{
  Receipt *receipt = g_hash_table_lookup (self->receipts, user_id);
  char **field;
  gint64 *field_ts;

  if (receipt == NULL)
    {
      receipt = g_new0 (Receipt, 1);
      g_hash_table_insert (self->receipts, g_strdup (user_id), receipt);
    }
  field = private_ ? &receipt->private_event_id : &receipt->event_id;
  field_ts = private_ ? &receipt->private_ts : &receipt->ts;

  /* A receipt only moves forward: an older one arriving late changes nothing. */
  if (*field != NULL && ts != 0 && ts < *field_ts)
    return FALSE;
  if (g_strcmp0 (*field, event_id) == 0 && *field_ts == ts)
    return FALSE;
  g_free (*field);
  *field = g_strdup (event_id);
  *field_ts = ts;
  return TRUE;
}

/* content: {event id: {receipt type: {user id: {"ts": ..., "thread_id"?}}}} */
static gboolean
apply_receipt_event (MatrixReceipts *self,
                     JsonObject     *content)
{
  gboolean changed = FALSE;
  JsonObjectIter events;
  const char *event_id;
  JsonNode *by_type;

  json_object_iter_init (&events, content);
  while (json_object_iter_next (&events, &event_id, &by_type))
    {
      static const char *types[] = { "m.read", "m.read.private" };

      if (!JSON_NODE_HOLDS_OBJECT (by_type) || *event_id == '\0')
        continue;
      for (guint t = 0; t < G_N_ELEMENTS (types); t++)
        {
          JsonObject *users = _matrix_content_get_object (json_node_get_object (by_type), types[t]);
          JsonObjectIter iter;
          const char *user_id;
          JsonNode *node;

          if (users == NULL)
            continue;
          json_object_iter_init (&iter, users);
          while (json_object_iter_next (&iter, &user_id, &node))
            {
              const char *thread_id;

              if (!JSON_NODE_HOLDS_OBJECT (node))
                continue;
              /* A receipt in one thread says nothing of the main timeline. */
              thread_id = _matrix_content_get_string (json_node_get_object (node), "thread_id");
              if (thread_id != NULL && g_strcmp0 (thread_id, "main") != 0)
                continue;
              changed |= set_receipt (self, user_id, event_id, t == 1, get_ts (json_node_get_object (node)));
            }
        }
    }
  return changed;
}

static gboolean
apply_typing_event (MatrixReceipts *self,
                    JsonObject     *content,
                    const char     *own_user_id)
{
  g_autoptr(GStrvBuilder) builder = g_strv_builder_new ();
  g_auto(GStrv) typing = NULL;
  JsonNode *node = json_object_get_member (content, "user_ids");

  if (node == NULL || !JSON_NODE_HOLDS_ARRAY (node))
    return FALSE;
  for (guint i = 0; i < json_array_get_length (json_node_get_array (node)); i++)
    {
      JsonNode *element = json_array_get_element (json_node_get_array (node), i);
      const char *user_id;

      if (!JSON_NODE_HOLDS_VALUE (element) || json_node_get_value_type (element) != G_TYPE_STRING)
        continue;
      user_id = json_node_get_string (element);
      if (g_strcmp0 (user_id, own_user_id) != 0 && *user_id != '\0')
        g_strv_builder_add (builder, user_id);
    }
  typing = g_strv_builder_end (builder);
  if (g_strv_equal ((const char * const *) typing, (const char * const *) self->typing))
    return FALSE;
  g_strfreev (self->typing);
  self->typing = g_steal_pointer (&typing);
  return TRUE;
}

MatrixReceiptsChanged
_matrix_receipts_apply_ephemeral (MatrixReceipts *self,
                                  GPtrArray      *events,
                                  const char     *own_user_id)
{
  MatrixReceiptsChanged changed = 0;

  for (guint i = 0; i < events->len; i++)
    {
      JsonObject *event = g_ptr_array_index (events, i);
      const char *type = _matrix_content_get_string (event, "type");
      JsonObject *content = _matrix_content_get_object (event, "content");

      if (content == NULL)
        continue;
      if (g_strcmp0 (type, "m.typing") == 0 && apply_typing_event (self, content, own_user_id))
        changed |= MATRIX_RECEIPTS_CHANGED_TYPING;
      else if (g_strcmp0 (type, "m.receipt") == 0 && apply_receipt_event (self, content))
        changed |= MATRIX_RECEIPTS_CHANGED_RECEIPTS;
    }
  return changed;
}

MatrixReceiptsChanged
_matrix_receipts_apply_account_data (MatrixReceipts *self,
                                     GPtrArray      *events)
{
  MatrixReceiptsChanged changed = 0;

  for (guint i = 0; i < events->len; i++)
    {
      JsonObject *event = g_ptr_array_index (events, i);
      const char *event_id;

      if (g_strcmp0 (_matrix_content_get_string (event, "type"), "m.fully_read") != 0)
        continue;
      event_id = _matrix_content_get_string (_matrix_content_get_object (event, "content"), "event_id");
      if (event_id == NULL || *event_id == '\0' || g_strcmp0 (event_id, self->fully_read) == 0)
        continue;
      g_free (self->fully_read);
      self->fully_read = g_strdup (event_id);
      changed |= MATRIX_RECEIPTS_CHANGED_FULLY_READ;
    }
  return changed;
}

const char * const *
_matrix_receipts_get_typing (MatrixReceipts *self)
{
  return (const char * const *) self->typing;
}

const char *
_matrix_receipts_get_receipt (MatrixReceipts *self,
                              const char     *user_id)
{
  Receipt *receipt = g_hash_table_lookup (self->receipts, user_id);

  return receipt != NULL ? receipt_event (receipt) : NULL;
}

static int
compare_ids (gconstpointer a,
             gconstpointer b)
{
  return strcmp (*(const char **) a, *(const char **) b);
}

GStrv
_matrix_receipts_dup_readers (MatrixReceipts *self,
                              const char     *event_id)
{
  g_autoptr(GPtrArray) readers = g_ptr_array_new ();
  GHashTableIter iter;
  gpointer user_id, receipt;

  g_hash_table_iter_init (&iter, self->receipts);
  while (g_hash_table_iter_next (&iter, &user_id, &receipt))
    if (g_strcmp0 (receipt_event (receipt), event_id) == 0)
      g_ptr_array_add (readers, g_strdup (user_id));
  g_ptr_array_sort (readers, compare_ids);
  g_ptr_array_add (readers, NULL);
  return (GStrv) g_ptr_array_free (g_steal_pointer (&readers), FALSE);
}

const char *
_matrix_receipts_get_fully_read (MatrixReceipts *self)
{
  return self->fully_read;
}

void
_matrix_receipts_save (MatrixReceipts *self,
                       JsonObject     *data)
{
  JsonObject *receipts = json_object_new ();
  GHashTableIter iter;
  gpointer user_id, value;

  g_hash_table_iter_init (&iter, self->receipts);
  while (g_hash_table_iter_next (&iter, &user_id, &value))
    {
      Receipt *receipt = value;
      JsonObject *object = json_object_new ();

      if (receipt->event_id != NULL)
        {
          json_object_set_string_member (object, "event_id", receipt->event_id);
          json_object_set_int_member (object, "ts", receipt->ts);
        }
      if (receipt->private_event_id != NULL)
        {
          json_object_set_string_member (object, "private_event_id", receipt->private_event_id);
          json_object_set_int_member (object, "private_ts", receipt->private_ts);
        }
      json_object_set_object_member (receipts, user_id, object);
    }
  json_object_set_object_member (data, "receipts", receipts);
  if (self->fully_read != NULL)
    json_object_set_string_member (data, "fully_read", self->fully_read);
}

/* Room data is ours, but it is read as carefully as anything from disk. */
void
_matrix_receipts_restore (MatrixReceipts *self,
                          JsonObject     *data)
{
  JsonObject *receipts = _matrix_content_get_object (data, "receipts");
  const char *fully_read = _matrix_content_get_string (data, "fully_read");
  JsonObjectIter iter;
  const char *user_id;
  JsonNode *node;

  g_free (self->fully_read);
  self->fully_read = g_strdup (fully_read);
  g_hash_table_remove_all (self->receipts);
  if (receipts == NULL)
    return;

  json_object_iter_init (&iter, receipts);
  while (json_object_iter_next (&iter, &user_id, &node))
    {
      JsonObject *object;
      Receipt *receipt;
      JsonNode *ts;

      if (!JSON_NODE_HOLDS_OBJECT (node))
        continue;
      object = json_node_get_object (node);
      receipt = g_new0 (Receipt, 1);
      receipt->event_id = g_strdup (_matrix_content_get_string (object, "event_id"));
      receipt->ts = get_ts (object);
      receipt->private_event_id = g_strdup (_matrix_content_get_string (object, "private_event_id"));
      ts = json_object_get_member (object, "private_ts");
      if (ts != NULL && JSON_NODE_HOLDS_VALUE (ts) && json_node_get_value_type (ts) == G_TYPE_INT64)
        receipt->private_ts = json_node_get_int (ts);
      if (receipt->event_id == NULL && receipt->private_event_id == NULL)
        {
          receipt_free (receipt);
          continue;
        }
      g_hash_table_insert (self->receipts, g_strdup (user_id), receipt);
    }
}
