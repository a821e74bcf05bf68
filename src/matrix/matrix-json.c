/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "matrix-json"

#include <string.h>

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

/* json-glib's parser recurses once per nesting level, so a body of a million
 * '[' overflows the stack. No Matrix payload nests anywhere near this deep. */
#define MAX_NESTING 256

/* Strings are most of a /sync body's bytes, so they are skipped with memchr()
 * to their closing quote (one preceded by an even run of backslashes) rather
 * than walked a byte at a time: this scan runs over every body before the
 * parse and was 5% of an initial sync. */
static gboolean
nesting_within_limit (const char *data,
                      gsize       length)
{
  const char *p = data;
  const char *end = data + length;
  guint depth = 0;

  while (p < end)
    {
      char c = *p++;

      if (c == '"')
        {
          for (;;)
            {
              const char *quote = memchr (p, '"', end - p);
              const char *run = quote;

              if (quote == NULL)
                return TRUE;  /* unterminated: the parser says so */
              while (run > p && run[-1] == '\\')
                run--;
              p = quote + 1;
              if ((quote - run) % 2 == 0)
                break;
            }
        }
      else if (c == '[' || c == '{')
        {
          if (++depth > MAX_NESTING)
            return FALSE;
        }
      else if ((c == ']' || c == '}') && depth > 0)
        depth--;
    }

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

  if (data != NULL && !nesting_within_limit (data, length < 0 ? strlen (data) : (gsize) length))
    {
      g_set_error (error, MATRIX_ERROR, MATRIX_ERROR_INVALID_JSON,
                   "Invalid JSON: nested more than %d levels deep", MAX_NESTING);
      return NULL;
    }

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

/* JSON text by hand rather than with JsonGenerator: the SQLite store writes
 * every event it keeps as text, and the generator spent over a quarter of a
 * whole initial sync doing it (escaping a character at a time through
 * GString calls). Members keep their order; numbers and escapes are what
 * JsonGenerator wrote, so the text reads back the same. */
void
_matrix_json_append_string (GString    *out,
                            const char *text)
{
  const char *run = text;

  g_string_append_c (out, '"');
  for (const char *p = text; *p != '\0'; p++)
    {
      guchar c = (guchar) *p;

      if (c >= 0x20 && c != '"' && c != '\\')
        continue;

      g_string_append_len (out, run, p - run);
      run = p + 1;
      switch (c)
        {
        case '"': g_string_append (out, "\\\""); break;
        case '\\': g_string_append (out, "\\\\"); break;
        case '\b': g_string_append (out, "\\b"); break;
        case '\f': g_string_append (out, "\\f"); break;
        case '\n': g_string_append (out, "\\n"); break;
        case '\r': g_string_append (out, "\\r"); break;
        case '\t': g_string_append (out, "\\t"); break;
        default: g_string_append_printf (out, "\\u%04x", c); break;
        }
    }
  g_string_append (out, run);
  g_string_append_c (out, '"');
}

static void
append_value (GString  *out,
              JsonNode *node)
{
  char buffer[G_ASCII_DTOSTR_BUF_SIZE];

  switch (json_node_get_value_type (node))
    {
    case G_TYPE_INT64:
      g_string_append_printf (out, "%" G_GINT64_FORMAT, json_node_get_int (node));
      break;
    case G_TYPE_DOUBLE:
      g_ascii_dtostr (buffer, sizeof buffer, json_node_get_double (node));
      g_string_append (out, buffer);
      /* Keep a double a double when read back. */
      if (strpbrk (buffer, ".eEn") == NULL)
        g_string_append (out, ".0");
      break;
    case G_TYPE_BOOLEAN:
      g_string_append (out, json_node_get_boolean (node) ? "true" : "false");
      break;
    case G_TYPE_STRING:
      _matrix_json_append_string (out, json_node_get_string (node));
      break;
    default:
      g_string_append (out, "null");
      break;
    }
}

static void
append_member (JsonObject  *object,
               const char  *member,
               JsonNode    *node,
               gpointer     user_data)
{
  GString *out = user_data;

  if (out->str[out->len - 1] != '{')
    g_string_append_c (out, ',');
  _matrix_json_append_string (out, member);
  g_string_append_c (out, ':');
  _matrix_json_append (out, node);
}

void
_matrix_json_append_object (GString    *out,
                            JsonObject *object)
{
  g_string_append_c (out, '{');
  json_object_foreach_member (object, append_member, out);
  g_string_append_c (out, '}');
}

void
_matrix_json_append (GString  *out,
                     JsonNode *node)
{
  switch (JSON_NODE_TYPE (node))
    {
    case JSON_NODE_OBJECT:
      _matrix_json_append_object (out, json_node_get_object (node));
      break;
    case JSON_NODE_ARRAY:
      {
        JsonArray *array = json_node_get_array (node);
        guint n = json_array_get_length (array);

        g_string_append_c (out, '[');
        for (guint i = 0; i < n; i++)
          {
            if (i > 0)
              g_string_append_c (out, ',');
            _matrix_json_append (out, json_array_get_element (array, i));
          }
        g_string_append_c (out, ']');
      }
      break;
    case JSON_NODE_VALUE:
      append_value (out, node);
      break;
    case JSON_NODE_NULL:
    default:
      g_string_append (out, "null");
      break;
    }
}

char *
_matrix_json_to_string (JsonNode *node)
{
  GString *out = g_string_sized_new (256);

  _matrix_json_append (out, node);
  return g_string_free (out, FALSE);
}
