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
 * JsonGenerator wrote, so the text reads back the same.
 *
 * Most of the text is string contents that need no escape, so runs of them
 * are found with a table and appended whole. */
static const guint8 needs_escape[256] = {
  [0x00] = 1, [0x01] = 1, [0x02] = 1, [0x03] = 1, [0x04] = 1, [0x05] = 1, [0x06] = 1,
  [0x07] = 1, [0x08] = 1, [0x09] = 1, [0x0a] = 1, [0x0b] = 1, [0x0c] = 1, [0x0d] = 1,
  [0x0e] = 1, [0x0f] = 1, [0x10] = 1, [0x11] = 1, [0x12] = 1, [0x13] = 1, [0x14] = 1,
  [0x15] = 1, [0x16] = 1, [0x17] = 1, [0x18] = 1, [0x19] = 1, [0x1a] = 1, [0x1b] = 1,
  [0x1c] = 1, [0x1d] = 1, [0x1e] = 1, [0x1f] = 1, ['"'] = 1, ['\\'] = 1,
};

void
_matrix_json_append_string (GString    *out,
                            const char *text)
{
  static const char hex[] = "0123456789abcdef";
  const guchar *p = (const guchar *) text;

  g_string_append_c (out, '"');
  for (;;)
    {
      const guchar *run = p;

      while (!needs_escape[*p])
        p++;
      if (p > run)
        _matrix_json_append_bytes (out, (const char *) run, p - run);

      switch (*p)
        {
        case '\0':
          g_string_append_c (out, '"');
          return;
        case '"': _MATRIX_JSON_APPEND_LITERAL (out, "\\\""); break;
        case '\\': _MATRIX_JSON_APPEND_LITERAL (out, "\\\\"); break;
        case '\b': _MATRIX_JSON_APPEND_LITERAL (out, "\\b"); break;
        case '\f': _MATRIX_JSON_APPEND_LITERAL (out, "\\f"); break;
        case '\n': _MATRIX_JSON_APPEND_LITERAL (out, "\\n"); break;
        case '\r': _MATRIX_JSON_APPEND_LITERAL (out, "\\r"); break;
        case '\t': _MATRIX_JSON_APPEND_LITERAL (out, "\\t"); break;
        default:
          {
            char escape[] = { '\\', 'u', '0', '0', hex[*p >> 4], hex[*p & 0xf] };

            _matrix_json_append_bytes (out, escape, sizeof escape);
          }
          break;
        }
      p++;
    }
}

/* printf() costs more than the rest of an event's text put together. */
void
_matrix_json_append_int (GString *out,
                         gint64   value)
{
  char digits[24];
  char *p = digits + sizeof digits;
  guint64 magnitude = value < 0 ? -(guint64) value : (guint64) value;

  do
    {
      *--p = '0' + magnitude % 10;
      magnitude /= 10;
    }
  while (magnitude != 0);
  if (value < 0)
    *--p = '-';

  _matrix_json_append_bytes (out, p, digits + sizeof digits - p);
}

static void
append_value (GString  *out,
              JsonNode *node)
{
  char buffer[G_ASCII_DTOSTR_BUF_SIZE];

  switch (json_node_get_value_type (node))
    {
    case G_TYPE_INT64:
      _matrix_json_append_int (out, json_node_get_int (node));
      break;
    case G_TYPE_DOUBLE:
      g_ascii_dtostr (buffer, sizeof buffer, json_node_get_double (node));
      g_string_append (out, buffer);
      /* Keep a double a double when read back. */
      if (strpbrk (buffer, ".eEn") == NULL)
        _MATRIX_JSON_APPEND_LITERAL (out, ".0");
      break;
    case G_TYPE_BOOLEAN:
      if (json_node_get_boolean (node))
        _MATRIX_JSON_APPEND_LITERAL (out, "true");
      else
        _MATRIX_JSON_APPEND_LITERAL (out, "false");
      break;
    case G_TYPE_STRING:
      _matrix_json_append_string (out, json_node_get_string (node));
      break;
    default:
      _MATRIX_JSON_APPEND_LITERAL (out, "null");
      break;
    }
}

/* The ordered iterator walks the members' list; json_object_foreach_member()
 * looks each one up in the hash table again. */
void
_matrix_json_append_object (GString    *out,
                            JsonObject *object)
{
  JsonObjectIter iter;
  const char *member;
  JsonNode *node;
  gboolean first = TRUE;

  g_string_append_c (out, '{');
  json_object_iter_init_ordered (&iter, object);
  while (json_object_iter_next_ordered (&iter, &member, &node))
    {
      if (!first)
        g_string_append_c (out, ',');
      first = FALSE;
      _matrix_json_append_string (out, member);
      g_string_append_c (out, ':');
      _matrix_json_append (out, node);
    }
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
      _MATRIX_JSON_APPEND_LITERAL (out, "null");
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
