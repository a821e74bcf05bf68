/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "matrix-json"

#include "matrix-error.h"
#include "matrix-json-private.h"

static gboolean
wrong_type (const char  *where,
            const char  *member,
            const char  *expected,
            gboolean     missing,
            GError     **error)
{
  g_set_error (error, MATRIX_ERROR, MATRIX_ERROR_INVALID_RESPONSE,
               missing ? "%s%s%s: required member is missing (expected %s)"
                       : "%s%s%s: expected %s",
               where != NULL ? where : "", where != NULL ? "." : "", member, expected);
  return FALSE;
}

/* Looks the member up. Returns FALSE with an error when a required member is
 * missing; *node stays NULL for an absent optional member. JSON null counts as
 * absent only for optional members. */
static gboolean
lookup (JsonObject  *object,
        const char  *where,
        const char  *member,
        gboolean     required,
        const char  *expected,
        JsonNode   **node,
        GError     **error)
{
  *node = json_object_get_member (object, member);

  if (*node != NULL && JSON_NODE_HOLDS_NULL (*node) && !required)
    *node = NULL;

  if (*node == NULL && required)
    return wrong_type (where, member, expected, TRUE, error);

  return TRUE;
}

gboolean
_matrix_json_get_string (JsonObject   *object,
                         const char   *where,
                         const char   *member,
                         gboolean      required,
                         const char  **out,
                         GError      **error)
{
  JsonNode *node;

  *out = NULL;
  if (!lookup (object, where, member, required, "a string", &node, error))
    return FALSE;
  if (node == NULL)
    return TRUE;
  if (!JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != G_TYPE_STRING)
    return wrong_type (where, member, "a string", FALSE, error);

  *out = json_node_get_string (node);
  return TRUE;
}

gboolean
_matrix_json_get_int (JsonObject   *object,
                      const char   *where,
                      const char   *member,
                      gboolean      required,
                      gint64       *out,
                      GError      **error)
{
  JsonNode *node;

  if (!lookup (object, where, member, required, "an integer", &node, error))
    return FALSE;
  if (node == NULL)
    return TRUE;
  if (!JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != G_TYPE_INT64)
    return wrong_type (where, member, "an integer", FALSE, error);

  *out = json_node_get_int (node);
  return TRUE;
}

gboolean
_matrix_json_get_bool (JsonObject   *object,
                       const char   *where,
                       const char   *member,
                       gboolean      required,
                       gboolean     *out,
                       GError      **error)
{
  JsonNode *node;

  if (!lookup (object, where, member, required, "a boolean", &node, error))
    return FALSE;
  if (node == NULL)
    return TRUE;
  if (!JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != G_TYPE_BOOLEAN)
    return wrong_type (where, member, "a boolean", FALSE, error);

  *out = json_node_get_boolean (node);
  return TRUE;
}

gboolean
_matrix_json_get_object (JsonObject   *object,
                         const char   *where,
                         const char   *member,
                         gboolean      required,
                         JsonObject  **out,
                         GError      **error)
{
  JsonNode *node;

  *out = NULL;
  if (!lookup (object, where, member, required, "an object", &node, error))
    return FALSE;
  if (node == NULL)
    return TRUE;
  if (!JSON_NODE_HOLDS_OBJECT (node))
    return wrong_type (where, member, "an object", FALSE, error);

  *out = json_node_get_object (node);
  return TRUE;
}

gboolean
_matrix_json_get_array (JsonObject   *object,
                        const char   *where,
                        const char   *member,
                        gboolean      required,
                        JsonArray   **out,
                        GError      **error)
{
  JsonNode *node;

  *out = NULL;
  if (!lookup (object, where, member, required, "an array", &node, error))
    return FALSE;
  if (node == NULL)
    return TRUE;
  if (!JSON_NODE_HOLDS_ARRAY (node))
    return wrong_type (where, member, "an array", FALSE, error);

  *out = json_node_get_array (node);
  return TRUE;
}

/**
 * _matrix_json_parse_object:
 *
 * Parses @data, which must be a JSON object at the top level.
 *
 * Returns: (transfer full): the object, or %NULL with a MATRIX_ERROR_INVALID_JSON
 */
JsonObject *
_matrix_json_parse_object (const char  *data,
                           gssize       length,
                           GError     **error)
{
  /* Not json_parser_new_immutable(): sealing walks the whole tree again and
   * costs a tenth of the parse of a large /sync, to guard against writes
   * that nothing makes (parsed objects are documented as read-only). */
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GError) local_error = NULL;
  JsonNode *root;

  if (data == NULL || !json_parser_load_from_data (parser, data, length, &local_error))
    {
      g_set_error (error, MATRIX_ERROR, MATRIX_ERROR_INVALID_JSON, "Invalid JSON: %s",
                   local_error != NULL ? local_error->message : "empty body");
      return NULL;
    }

  root = json_parser_get_root (parser);
  if (root == NULL || !JSON_NODE_HOLDS_OBJECT (root))
    {
      g_set_error_literal (error, MATRIX_ERROR, MATRIX_ERROR_INVALID_JSON,
                           "Invalid JSON: the top level is not an object");
      return NULL;
    }

  return json_object_ref (json_node_get_object (root));
}

char *
_matrix_json_to_string (JsonNode *node)
{
  g_autoptr(JsonGenerator) generator = json_generator_new ();

  json_generator_set_root (generator, node);
  return json_generator_to_data (generator, NULL);
}
