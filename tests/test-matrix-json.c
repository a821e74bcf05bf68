/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "test-matrix-json"

/* Confab's JSON reader (_matrix_json_parse*): the grammar, the choices it
 * makes where json-glib 1.6 does something else, and a differential check
 * against json_parser_load_from_data() on documents where both must agree. */

#include <math.h>
#include <string.h>

#include "matrix-error.h"
#include "matrix-json-private.h"

static JsonNode *
parse_ok (const char *text)
{
  g_autoptr(GError) error = NULL;
  JsonNode *node = _matrix_json_parse (text, strlen (text), &error);

  g_assert_no_error (error);
  g_assert_nonnull (node);
  return node;
}

/* Parses {"v": TEXT} and returns the member's node. */
static JsonNode *
parse_member (const char *text)
{
  g_autofree char *document = g_strdup_printf ("{\"v\": %s}", text);
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonObject) object = _matrix_json_parse_object (document, -1, &error);

  g_assert_no_error (error);
  g_assert_nonnull (object);
  g_assert_cmpuint (json_object_get_size (object), ==, 1);
  return json_node_ref (json_object_get_member (object, "v"));
}

static void assert_same_node (JsonNode   *ours,
                              JsonNode   *theirs,
                              const char *path);

/* The value the reader is at, rebuilt a member or an element at a time
 * through the reader (scalars read whole): what a caller walking the text
 * sees. NULL once the reader has failed. */
static JsonNode *
reader_rebuild (MatrixJsonReader *reader)
{
  JsonNodeType type = _matrix_json_reader_peek (reader);
  const char *name;

  if (type == JSON_NODE_OBJECT)
    {
      g_autoptr(JsonObject) object = json_object_new ();
      JsonNode *node;

      if (!_matrix_json_reader_enter (reader))
        return NULL;
      while ((name = _matrix_json_reader_next_member (reader)) != NULL)
        {
          g_autofree char *copy = g_strdup (name);
          JsonNode *value = reader_rebuild (reader);

          if (value == NULL)
            return NULL;
          json_object_set_member (object, copy, value);
        }
      if (_matrix_json_reader_failed (reader))
        return NULL;
      node = json_node_new (JSON_NODE_OBJECT);
      json_node_take_object (node, g_steal_pointer (&object));
      return node;
    }
  if (type == JSON_NODE_ARRAY)
    {
      g_autoptr(JsonArray) array = json_array_new ();
      JsonNode *node;

      if (!_matrix_json_reader_enter (reader))
        return NULL;
      while (_matrix_json_reader_next_element (reader))
        {
          JsonNode *element = reader_rebuild (reader);

          if (element == NULL)
            return NULL;
          json_array_add_element (array, element);
        }
      if (_matrix_json_reader_failed (reader))
        return NULL;
      node = json_node_new (JSON_NODE_ARRAY);
      json_node_take_array (node, g_steal_pointer (&array));
      return node;
    }
  return _matrix_json_reader_read_node (reader);
}

/* Reading @text with the reader, walked (@walk) or skipped whole, gives
 * what _matrix_json_parse() gives: the same tree, or the same error. */
static void
assert_reader_agrees (const char *text,
                      gsize       length,
                      gboolean    walk)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) parsed = _matrix_json_parse (text, length, &error);
  g_autoptr(MatrixJsonReader) reader = _matrix_json_reader_new (text, length, FALSE);
  g_autoptr(GError) reader_error = NULL;
  g_autoptr(JsonNode) read = NULL;
  gboolean ok;

  if (walk)
    read = reader_rebuild (reader);
  else if (!_matrix_json_reader_failed (reader))
    _matrix_json_reader_skip (reader);
  ok = _matrix_json_reader_finish (reader, &reader_error);

  if (parsed == NULL)
    {
      g_assert_false (ok);
      g_assert_nonnull (reader_error);
      g_assert_cmpstr (reader_error->message, ==, error->message);
      return;
    }
  g_assert_no_error (reader_error);
  g_assert_true (ok);
  if (walk)
    assert_same_node (read, parsed, "$");
}

static void
assert_invalid_length (const char *text,
                       gsize       length)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) node = _matrix_json_parse (text, length, &error);
  g_autoptr(GError) object_error = NULL;
  g_autoptr(JsonObject) object = _matrix_json_parse_object (text, length, &object_error);

  if (node != NULL)
    g_error ("accepted invalid JSON: %.*s", (int) length, text);
  g_assert_error (error, MATRIX_ERROR, MATRIX_ERROR_INVALID_JSON);
  g_assert_true (g_str_has_prefix (error->message, "Invalid JSON: "));
  g_assert_null (object);
  g_assert_error (object_error, MATRIX_ERROR, MATRIX_ERROR_INVALID_JSON);
  assert_reader_agrees (text, length, TRUE);
  assert_reader_agrees (text, length, FALSE);
}

static void
assert_invalid (const char *text)
{
  assert_invalid_length (text, strlen (text));
}

static const char *
string_member (const char *text)
{
  static char *last = NULL;
  g_autoptr(JsonNode) node = parse_member (text);

  g_assert_cmpint (JSON_NODE_TYPE (node), ==, JSON_NODE_VALUE);
  g_assert_cmpint (json_node_get_value_type (node), ==, G_TYPE_STRING);
  g_free (last);
  last = g_strdup (json_node_get_string (node));
  return last;
}

static gint64
int_member (const char *text)
{
  g_autoptr(JsonNode) node = parse_member (text);

  g_assert_cmpint (json_node_get_value_type (node), ==, G_TYPE_INT64);
  return json_node_get_int (node);
}

static double
double_member (const char *text)
{
  g_autoptr(JsonNode) node = parse_member (text);

  g_assert_cmpint (json_node_get_value_type (node), ==, G_TYPE_DOUBLE);
  return json_node_get_double (node);
}

/* Strict: the same kinds, value types, member order and bits of doubles
 * (json_node_equal() takes 1 and 1.0 for equal, and ignores order). */
static void
assert_same_node (JsonNode   *ours,
                  JsonNode   *theirs,
                  const char *path)
{
  g_assert_cmpint (JSON_NODE_TYPE (ours), ==, JSON_NODE_TYPE (theirs));
  switch (JSON_NODE_TYPE (ours))
    {
    case JSON_NODE_OBJECT:
      {
        JsonObjectIter a, b;
        const char *name_a, *name_b;
        JsonNode *value_a, *value_b;

        g_assert_cmpuint (json_object_get_size (json_node_get_object (ours)), ==,
                          json_object_get_size (json_node_get_object (theirs)));
        json_object_iter_init_ordered (&a, json_node_get_object (ours));
        json_object_iter_init_ordered (&b, json_node_get_object (theirs));
        while (json_object_iter_next_ordered (&a, &name_a, &value_a))
          {
            g_autofree char *inner = g_strdup_printf ("%s.%s", path, name_a);

            g_assert_true (json_object_iter_next_ordered (&b, &name_b, &value_b));
            g_assert_cmpstr (name_a, ==, name_b);
            assert_same_node (value_a, value_b, inner);
          }
      }
      break;
    case JSON_NODE_ARRAY:
      {
        JsonArray *a = json_node_get_array (ours), *b = json_node_get_array (theirs);

        g_assert_cmpuint (json_array_get_length (a), ==, json_array_get_length (b));
        for (guint i = 0; i < json_array_get_length (a); i++)
          {
            g_autofree char *inner = g_strdup_printf ("%s[%u]", path, i);

            assert_same_node (json_array_get_element (a, i), json_array_get_element (b, i), inner);
          }
      }
      break;
    case JSON_NODE_VALUE:
      if (json_node_get_value_type (ours) != json_node_get_value_type (theirs))
        g_error ("%s: %s here, %s from json-glib", path, g_type_name (json_node_get_value_type (ours)),
                 g_type_name (json_node_get_value_type (theirs)));
      switch (json_node_get_value_type (ours))
        {
        case G_TYPE_INT64:
          g_assert_cmpint (json_node_get_int (ours), ==, json_node_get_int (theirs));
          break;
        case G_TYPE_DOUBLE:
          {
            double a = json_node_get_double (ours), b = json_node_get_double (theirs);

            if (memcmp (&a, &b, sizeof a) != 0)
              g_error ("%s: %.17g here, %.17g from json-glib", path, a, b);
          }
          break;
        case G_TYPE_BOOLEAN:
          g_assert_cmpint (json_node_get_boolean (ours), ==, json_node_get_boolean (theirs));
          break;
        case G_TYPE_STRING:
          g_assert_cmpstr (json_node_get_string (ours), ==, json_node_get_string (theirs));
          break;
        default:
          g_assert_not_reached ();
        }
      break;
    case JSON_NODE_NULL:
      break;
    }
}

static void
assert_same_as_json_glib (const char *text,
                          gsize       length)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) ours = _matrix_json_parse (text, length, &error);

  g_assert_no_error (error);
  g_assert_true (json_parser_load_from_data (parser, text, length, &error));
  g_assert_no_error (error);
  assert_same_node (ours, json_parser_get_root (parser), "$");
  assert_reader_agrees (text, length, TRUE);
  assert_reader_agrees (text, length, FALSE);
}

static void
test_values (void)
{
  g_autoptr(JsonNode) root = parse_ok ("{\"s\": \"text\", \"i\": -12, \"d\": 2.5, \"t\": true, "
                                       "\"f\": false, \"n\": null, \"a\": [1, \"x\", [], {}], "
                                       "\"o\": {\"inner\": {}}}");
  JsonObject *object = json_node_get_object (root);
  JsonArray *array = json_object_get_array_member (object, "a");
  g_autoptr(JsonNode) scalar = NULL;

  g_assert_cmpint (JSON_NODE_TYPE (root), ==, JSON_NODE_OBJECT);
  g_assert_cmpstr (json_object_get_string_member (object, "s"), ==, "text");
  g_assert_cmpint (json_node_get_value_type (json_object_get_member (object, "i")), ==, G_TYPE_INT64);
  g_assert_cmpint (json_object_get_int_member (object, "i"), ==, -12);
  g_assert_cmpint (json_node_get_value_type (json_object_get_member (object, "d")), ==, G_TYPE_DOUBLE);
  g_assert_cmpfloat (json_object_get_double_member (object, "d"), ==, 2.5);
  g_assert_cmpint (json_node_get_value_type (json_object_get_member (object, "t")), ==, G_TYPE_BOOLEAN);
  g_assert_true (json_object_get_boolean_member (object, "t"));
  g_assert_false (json_object_get_boolean_member (object, "f"));
  g_assert_true (JSON_NODE_HOLDS_NULL (json_object_get_member (object, "n")));
  g_assert_cmpuint (json_array_get_length (array), ==, 4);
  g_assert_cmpint (json_array_get_int_element (array, 0), ==, 1);
  g_assert_cmpstr (json_array_get_string_element (array, 1), ==, "x");
  g_assert_cmpuint (json_array_get_length (json_array_get_array_element (array, 2)), ==, 0);
  g_assert_cmpuint (json_object_get_size (json_array_get_object_element (array, 3)), ==, 0);
  g_assert_cmpuint (json_object_get_size (json_object_get_object_member (
    json_object_get_object_member (object, "o"), "inner")), ==, 0);

  /* Any value at the top level, for _matrix_json_parse(). */
  scalar = parse_ok ("\"top\"");
  g_assert_cmpstr (json_node_get_string (scalar), ==, "top");
  g_clear_pointer (&scalar, json_node_unref);
  scalar = parse_ok ("[null]");
  g_assert_cmpint (JSON_NODE_TYPE (scalar), ==, JSON_NODE_ARRAY);
  g_clear_pointer (&scalar, json_node_unref);
  scalar = parse_ok ("7");
  g_assert_cmpint (json_node_get_int (scalar), ==, 7);
  g_clear_pointer (&scalar, json_node_unref);
  scalar = parse_ok ("false");
  g_assert_false (json_node_get_boolean (scalar));
  g_clear_pointer (&scalar, json_node_unref);
  scalar = parse_ok ("null");
  g_assert_true (JSON_NODE_HOLDS_NULL (scalar));
}

static void
test_escapes (void)
{
  g_assert_cmpstr (string_member ("\"\\\"\\\\\\/\\b\\f\\n\\r\\t\""), ==, "\"\\/\b\f\n\r\t");
  g_assert_cmpstr (string_member ("\"a\\u0041\\u00e9\\u20AC\""), ==, "aA\xc3\xa9\xe2\x82\xac");
  /* U+1F600 as a surrogate pair, in either case of hex digit. */
  g_assert_cmpstr (string_member ("\"\\ud83d\\ude00\""), ==, "\xf0\x9f\x98\x80");
  g_assert_cmpstr (string_member ("\"\\uD83D\\uDE00!\""), ==, "\xf0\x9f\x98\x80!");
  g_assert_cmpstr (string_member ("\"\\udbff\\udfff\""), ==, "\xf4\x8f\xbf\xbf");
  /* Escapes between plain runs, and at either end. */
  g_assert_cmpstr (string_member ("\"\\nab\\tcd\\\"\""), ==, "\nab\tcd\"");
  g_assert_cmpstr (string_member ("\"\""), ==, "");
  /* Escapes in member names too. */
  {
    g_autoptr(JsonNode) root = parse_ok ("{\"a\\u0062\\n\": 1}");

    g_assert_true (json_object_has_member (json_node_get_object (root), "ab\n"));
  }

  assert_invalid ("{\"v\": \"\\x41\"}");
  assert_invalid ("{\"v\": \"\\'\"}");
  assert_invalid ("{\"v\": \"\\u12\"}");
  assert_invalid ("{\"v\": \"\\u12g4\"}");
  assert_invalid ("{\"v\": \"\\U0041\"}");
  assert_invalid ("{\"v\": \"\\\"}");
}

/* Escapes that make no text are kept as U+FFFD rather than rejected: a
 * sender controls them, and one event must not break every /sync. */
static void
test_replacement_character (void)
{
  g_autoptr(JsonNode) root = NULL;

  /* json-glib cuts the string at \u0000. */
  g_assert_cmpstr (string_member ("\"a\\u0000b\""), ==, "a\xef\xbf\xbd" "b");
  /* Lone surrogates: json-glib writes them as invalid UTF-8 or fails. */
  g_assert_cmpstr (string_member ("\"\\ud800\""), ==, "\xef\xbf\xbd");
  g_assert_cmpstr (string_member ("\"\\ud800x\""), ==, "\xef\xbf\xbdx");
  g_assert_cmpstr (string_member ("\"\\udc00\""), ==, "\xef\xbf\xbd");
  g_assert_cmpstr (string_member ("\"\\ud83d\\u0041\""), ==, "\xef\xbf\xbd" "A");
  g_assert_cmpstr (string_member ("\"\\ud800\\ud83d\\ude00\""), ==, "\xef\xbf\xbd\xf0\x9f\x98\x80");
  g_assert_cmpstr (string_member ("\"\\ude00\\ud83d\""), ==, "\xef\xbf\xbd\xef\xbf\xbd");
  g_assert_cmpstr (string_member ("\"\\ud83d\\n\""), ==, "\xef\xbf\xbd\n");

  /* The same in a member name: it is not cut short. */
  root = parse_ok ("{\"a\\u0000b\": 1, \"a\": 2}");
  g_assert_cmpuint (json_object_get_size (json_node_get_object (root)), ==, 2);
  g_assert_true (json_object_has_member (json_node_get_object (root), "a\xef\xbf\xbd" "b"));
}

static void
test_whitespace (void)
{
  g_autoptr(JsonNode) root = parse_ok (" \t\r\n{ \t\r\n\"a\" \t\r\n: \t\r\n[ \t\r\n1 \t\r\n, \t\r\n"
                                       "true \t\r\n] \t\r\n, \"b\":{ } } \t\r\n");
  JsonObject *object = json_node_get_object (root);

  g_assert_cmpuint (json_array_get_length (json_object_get_array_member (object, "a")), ==, 2);
  g_assert_cmpuint (json_object_get_size (json_object_get_object_member (object, "b")), ==, 0);

  /* Only the four of RFC 8259. */
  assert_invalid ("\f{}");
  assert_invalid ("{\v}");
  assert_invalid ("{}\xc2\xa0");
  assert_invalid ("{\"a\":\x01" "1}");
}

static void
test_trailing (void)
{
  g_autoptr(JsonObject) object = _matrix_json_parse_object ("{}  \n", -1, NULL);

  g_assert_nonnull (object);
  assert_invalid ("{}x");
  assert_invalid ("{} {}");
  assert_invalid ("{},");
  assert_invalid ("{}}");
  assert_invalid ("1 2");
  assert_invalid_length ("{}\0", 3);
  assert_invalid_length ("{\"a\": 1\0}", 9);
}

static void
test_syntax (void)
{
  static const char * const invalid[] = {
    /* What json-glib tolerates. */
    "{\"a\": 01}", "{\"a\": 0x10}", "{\"a\": .5}", "{\"a\": 1.}", "{'a': 1}", "{\"a\": 'b'}",
    "{\"a\": 1 /* comment */}", "{\"a\": 1 // comment\n}", "{\"a\": \"x\ny\"}", "{\"a\": \"\t\"}",
    /* And what it does not. */
    "{\"a\": +1}", "{\"a\": -}", "{\"a\": 1e}", "{\"a\": 1e+}", "{\"a\": 1.e5}", "{\"a\": -01}",
    "{\"a\": --1}", "{\"a\": 1.5.5}", "{\"a\": NaN}", "{\"a\": Infinity}", "{\"a\": -Infinity}",
    "{\"a\": True}", "{\"a\": nul}", "{\"a\": nulll}", "{\"a\": truefalse}", "{\"a\": tru}",
    "{a: 1}", "{\"a\" 1}", "{\"a\": 1,}", "{\"a\": [1,]}", "{\"a\": [,1]}", "{\"a\": [1 2]}",
    "{,}", "{\"a\": 1 \"b\": 2}", "{\"a\"}", "{\"a\":}", "{:1}", "{\"a\": [}", "{\"a\": {]}",
    "{\"a\": \"b\"]", "[1}", "\"unterminated", "{\"a\": \"unterminated}", "]", "}", ",",
  };

  for (guint i = 0; i < G_N_ELEMENTS (invalid); i++)
    assert_invalid (invalid[i]);
}

static void
test_errors (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonObject) object = NULL;

  object = _matrix_json_parse_object (NULL, 0, &error);
  g_assert_error (error, MATRIX_ERROR, MATRIX_ERROR_INVALID_JSON);
  g_assert_cmpstr (error->message, ==, "Invalid JSON: empty body");
  g_clear_error (&error);

  object = _matrix_json_parse_object (" \n ", -1, &error);
  g_assert_cmpstr (error->message, ==, "Invalid JSON: empty body");
  g_clear_error (&error);

  object = _matrix_json_parse_object ("[1]", -1, &error);
  g_assert_error (error, MATRIX_ERROR, MATRIX_ERROR_INVALID_JSON);
  g_assert_cmpstr (error->message, ==, "Invalid JSON: the top level is not an object");
  g_clear_error (&error);

  object = _matrix_json_parse_object ("\"{}\"", -1, &error);
  g_assert_cmpstr (error->message, ==, "Invalid JSON: the top level is not an object");
  g_clear_error (&error);

  /* Where it went wrong, as a byte offset. */
  object = _matrix_json_parse_object ("{\"a\": [1, 2 3]}", -1, &error);
  g_assert_error (error, MATRIX_ERROR, MATRIX_ERROR_INVALID_JSON);
  g_assert_cmpstr (error->message, ==, "Invalid JSON: expected ',' or ']' in an array at byte 12");
  g_clear_error (&error);

  object = _matrix_json_parse_object ("{\"a\": [1, 2", -1, &error);
  g_assert_nonnull (strstr (error->message, "at the end of the text (byte 11)"));
  g_clear_error (&error);

  object = _matrix_json_parse_object ("{\"a\": \"\xff\"}", -1, &error);
  g_assert_cmpstr (error->message, ==, "Invalid JSON: invalid UTF-8 in a string at byte 7");
  g_assert_null (object);
}

/* Every proper prefix of an object is invalid; none may crash or read past
 * the end (the copies are exactly as long as the prefix, for ASan). */
static void
test_truncated (void)
{
  static const char document[] =
    "{\"next_batch\": \"s1\", \"rooms\": {\"join\": {\"!r:x\": {\"timeline\": {\"events\": "
    "[{\"type\": \"m.room.message\", \"content\": {\"body\": \"caf\xc3\xa9 \\u00e9\\ud83d\\ude00\\n\", "
    "\"n\": -12.5e+3, \"big\": 123456789012, \"ok\": true, \"no\": false, \"none\": null}, "
    "\"origin_server_ts\": 0, \"list\": [1, [2], {}, []]}], \"limited\": false}}}}}";
  gsize length = strlen (document);
  g_autoptr(JsonObject) whole = _matrix_json_parse_object (document, length, NULL);

  g_assert_nonnull (whole);
  for (gsize n = 0; n < length; n++)
    {
      g_autofree char *prefix = g_memdup2 (document, n);

      assert_invalid_length (prefix, n);
    }
}

static void
test_utf8 (void)
{
  static const char * const invalid[] = {
    "\x80", "\xbf", "\xc0\x80", "\xc1\xbf", "\xc2", "\xc2\x41", "\xe0\x80\x80", "\xe0\x9f\xbf",
    "\xed\xa0\x80", "\xed\xbf\xbf", "\xef\xbf", "\xf0\x80\x80\x80", "\xf0\x8f\xbf\xbf",
    "\xf4\x90\x80\x80", "\xf5\x80\x80\x80", "\xf8\x88\x80\x80\x80", "\xfe", "\xff",
    "\xe2\x82", "\xf0\x9f\x98",
  };

  g_assert_cmpstr (string_member ("\"\xc2\xa9 \xe2\x82\xac \xf0\x9f\x98\x80 \xef\xbf\xbf "
                                  "\xf4\x8f\xbf\xbf \xed\x9f\xbf \xee\x80\x80\""), ==,
                   "\xc2\xa9 \xe2\x82\xac \xf0\x9f\x98\x80 \xef\xbf\xbf \xf4\x8f\xbf\xbf "
                   "\xed\x9f\xbf \xee\x80\x80");

  for (guint i = 0; i < G_N_ELEMENTS (invalid); i++)
    {
      g_autofree char *in_value = g_strdup_printf ("{\"v\": \"a%sb\"}", invalid[i]);
      g_autofree char *in_name = g_strdup_printf ("{\"%s\": 1}", invalid[i]);
      g_autofree char *at_end = g_strdup_printf ("{\"v\": \"%s\"}", invalid[i]);

      g_assert_false (g_utf8_validate (invalid[i], -1, NULL));
      assert_invalid (in_value);
      assert_invalid (in_name);
      assert_invalid (at_end);
    }

  /* Outside strings, no byte beyond ASCII is JSON. */
  assert_invalid ("{\"v\": \xc3\xa9}");
  assert_invalid ("\xef\xbb\xbf{}");
}

/* LEVELS times OPEN, then INNER, then LEVELS times CLOSE. */
static char *
nested (guint       levels,
        const char *open,
        const char *inner,
        char        close)
{
  GString *text = g_string_new ("");

  for (guint i = 0; i < levels; i++)
    g_string_append (text, open);
  g_string_append (text, inner);
  for (guint i = 0; i < levels; i++)
    g_string_append_c (text, close);
  return g_string_free (text, FALSE);
}

static void
test_nesting (void)
{
  g_autofree char *objects_256 = nested (256, "{\"a\":", "1", '}');
  g_autofree char *objects_257 = nested (257, "{\"a\":", "1", '}');
  g_autofree char *arrays_256 = nested (256, "[", "", ']');
  g_autofree char *arrays_257 = nested (257, "[", "", ']');
  g_autofree char *mixed_256 = nested (128, "{\"a\": [", "", ']');
  g_autofree char *mixed_257 = nested (128, "{\"a\": [", "{", ']');
  g_autofree char *deep = nested (100000, "[", "", ']');
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) node = NULL;

  node = parse_ok (objects_256);
  g_clear_pointer (&node, json_node_unref);
  node = parse_ok (arrays_256);
  g_clear_pointer (&node, json_node_unref);

  node = _matrix_json_parse (objects_257, -1, &error);
  g_assert_null (node);
  g_assert_error (error, MATRIX_ERROR, MATRIX_ERROR_INVALID_JSON);
  g_assert_true (g_str_has_prefix (error->message, "Invalid JSON: nested more than 256 levels deep"));
  g_clear_error (&error);

  assert_invalid (arrays_257);
  assert_invalid (deep);

  /* Alternating objects and arrays, each object left unclosed: the limit
   * is met before the missing braces are. */
  node = _matrix_json_parse (mixed_256, -1, &error);
  g_assert_error (error, MATRIX_ERROR, MATRIX_ERROR_INVALID_JSON);
  g_assert_false (g_str_has_prefix (error->message, "Invalid JSON: nested more than"));
  g_clear_error (&error);
  node = _matrix_json_parse (mixed_257, -1, &error);
  g_assert_error (error, MATRIX_ERROR, MATRIX_ERROR_INVALID_JSON);
  g_assert_true (g_str_has_prefix (error->message, "Invalid JSON: nested more than 256 levels deep"));
}

static void
test_duplicates (void)
{
  g_autoptr(JsonNode) root = parse_ok ("{\"a\": 1, \"b\": 2, \"a\": {\"x\": 1}, \"c\": 3, \"a\": \"last\"}");
  JsonObject *object = json_node_get_object (root);
  g_autoptr(GList) names = json_object_get_members (object);

  /* As json_object_set_member(): the last value, in the first one's place. */
  g_assert_cmpuint (json_object_get_size (object), ==, 3);
  g_assert_cmpstr (json_object_get_string_member (object, "a"), ==, "last");
  g_assert_cmpstr (names->data, ==, "a");
  g_assert_cmpstr (names->next->data, ==, "b");
  g_assert_cmpstr (names->next->next->data, ==, "c");
}

static void
test_numbers (void)
{
  double tiny;

  g_assert_cmpint (int_member ("0"), ==, 0);
  g_assert_cmpint (int_member ("-0"), ==, 0);
  g_assert_cmpint (int_member ("1753692800000"), ==, G_GINT64_CONSTANT (1753692800000));
  g_assert_cmpint (int_member ("9223372036854775807"), ==, G_MAXINT64);
  g_assert_cmpint (int_member ("-9223372036854775808"), ==, G_MININT64);
  /* Beyond gint64: saturated, where json-glib wraps around. */
  g_assert_cmpint (int_member ("9223372036854775808"), ==, G_MAXINT64);
  g_assert_cmpint (int_member ("18446744073709551616"), ==, G_MAXINT64);
  g_assert_cmpint (int_member ("99999999999999999999999999999999"), ==, G_MAXINT64);
  g_assert_cmpint (int_member ("-9223372036854775809"), ==, G_MININT64);
  g_assert_cmpint (int_member ("-99999999999999999999999999999999"), ==, G_MININT64);

  g_assert_cmpfloat (double_member ("0.5"), ==, 0.5);
  g_assert_cmpfloat (double_member ("-0.0"), ==, 0.0);
  g_assert_true (signbit (double_member ("-0.0")));
  g_assert_cmpfloat (double_member ("1e2"), ==, 100.0);
  g_assert_cmpfloat (double_member ("1E+2"), ==, 100.0);
  g_assert_cmpfloat (double_member ("-1.5e-3"), ==, -0.0015);
  g_assert_cmpfloat (double_member ("0.1"), ==, 0.1);
  g_assert_cmpfloat (double_member ("123456789012345678901234567890.5"), ==, 123456789012345678901234567890.5);
  /* Beyond double: the largest one, where json-glib gives infinity. */
  g_assert_cmpfloat (double_member ("1e400"), ==, G_MAXDOUBLE);
  g_assert_cmpfloat (double_member ("-1e400"), ==, -G_MAXDOUBLE);
  tiny = double_member ("1e-400");
  g_assert_cmpfloat (tiny, ==, 0.0);
  g_assert_cmpfloat (double_member ("4.9406564584124654e-324"), >, 0.0);
}

/* --- differential: the same tree as json-glib ----------------------------- */

static void
append_random_string (GString *out)
{
  static const char * const pieces[] = {
    "a", "Z", " ", "hello", "m.room.message", "@alice:example.org", "\\\"", "\\\\", "\\/",
    "\\n", "\\t", "\\b", "\\f", "\\r", "\\u0041", "\\u00e9", "\\u20ac", "\\uD83D\\uDE00",
    "\\ud834\\udd1e", "\xc3\xa9", "\xe2\x82\xac", "\xf0\x9f\x98\x80", "\xed\x9f\xbf",
    "\xef\xbf\xbd", "\\u001f", "<b>", "'", "{[,:]}",
  };
  guint n = g_test_rand_int_range (0, 12);

  g_string_append_c (out, '"');
  for (guint i = 0; i < n; i++)
    g_string_append (out, pieces[g_test_rand_int_range (0, G_N_ELEMENTS (pieces))]);
  g_string_append_c (out, '"');
}

static void
append_space (GString *out)
{
  static const char * const spaces[] = { "", "", "", " ", "\n  ", "\t", "\r\n" };

  g_string_append (out, spaces[g_test_rand_int_range (0, G_N_ELEMENTS (spaces))]);
}

static void
append_random_value (GString *out,
                     guint    depth)
{
  guint kind = g_test_rand_int_range (0, depth > 6 ? 6 : 8);

  switch (kind)
    {
    case 0:
      append_random_string (out);
      break;
    case 1:
      {
        static const gint64 edges[] = { 0, 1, -1, 10, G_MAXINT64, G_MININT64, G_MAXINT32,
                                        G_MININT32, G_GINT64_CONSTANT (1753692800000) };

        if (g_test_rand_bit ())
          g_string_append_printf (out, "%" G_GINT64_FORMAT,
                                  edges[g_test_rand_int_range (0, G_N_ELEMENTS (edges))]);
        else
          g_string_append_printf (out, "%d", g_test_rand_int ());
      }
      break;
    case 2:
      {
        static const char * const doubles[] = {
          "0.0", "-0.0", "1e0", "1E-2", "2.5e+10", "1.7976931348623157e308", "5e-324",
          "2.2250738585072011e-308", "0.30000000000000004", "-123.456",
        };

        /* Within the range of double: beyond it is a deliberate difference. */
        if (g_test_rand_bit ())
          g_string_append (out, doubles[g_test_rand_int_range (0, G_N_ELEMENTS (doubles))]);
        else
          g_string_append_printf (out, "%s%d.%de%d", g_test_rand_bit () ? "-" : "",
                                  g_test_rand_int_range (0, 10), g_test_rand_int_range (0, G_MAXINT32),
                                  g_test_rand_int_range (-330, 308));
      }
      break;
    case 3:
      g_string_append (out, "true");
      break;
    case 4:
      g_string_append (out, "false");
      break;
    case 5:
      g_string_append (out, "null");
      break;
    case 6:
      {
        guint n = g_test_rand_int_range (0, 6);

        g_string_append_c (out, '[');
        for (guint i = 0; i < n; i++)
          {
            if (i > 0)
              g_string_append_c (out, ',');
            append_space (out);
            append_random_value (out, depth + 1);
            append_space (out);
          }
        g_string_append_c (out, ']');
      }
      break;
    default:
      {
        guint n = g_test_rand_int_range (0, 6);

        g_string_append_c (out, '{');
        for (guint i = 0; i < n; i++)
          {
            if (i > 0)
              g_string_append_c (out, ',');
            append_space (out);
            /* Few distinct names, so that some repeat. */
            if (g_test_rand_bit ())
              g_string_append_printf (out, "\"k%d\"", g_test_rand_int_range (0, 4));
            else
              append_random_string (out);
            append_space (out);
            g_string_append_c (out, ':');
            append_space (out);
            append_random_value (out, depth + 1);
          }
        g_string_append_c (out, '}');
      }
      break;
    }
}

static void
test_differential_generated (void)
{
  for (guint i = 0; i < 500; i++)
    {
      g_autoptr(GString) text = g_string_new ("{\"doc\": ");

      append_random_value (text, 0);
      g_string_append_c (text, '}');
      assert_same_as_json_glib (text->str, text->len);
    }
}

/* The fuzzers' seed corpus of /sync bodies: the ones json-glib reads. */
static void
test_differential_corpus (void)
{
  g_autofree char *path = g_test_build_filename (G_TEST_DIST, "fuzz", "corpus", "sync", NULL);
  g_autoptr(GDir) dir = g_dir_open (path, 0, NULL);
  const char *name;
  guint compared = 0;

  g_assert_nonnull (dir);
  while ((name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *file = g_build_filename (path, name, NULL);
      g_autofree char *contents = NULL;
      g_autoptr(JsonParser) parser = json_parser_new ();
      g_autoptr(JsonNode) ours = NULL;
      gsize length;

      g_assert_true (g_file_get_contents (file, &contents, &length, NULL));
      ours = _matrix_json_parse (contents, length, NULL);
      if (!json_parser_load_from_data (parser, contents, length, NULL))
        {
          g_assert_null (ours);
          continue;
        }
      g_test_message ("%s", name);
      assert_same_as_json_glib (contents, length);
      compared++;
    }
  g_assert_cmpuint (compared, >, 3);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/matrix/json/values", test_values);
  g_test_add_func ("/matrix/json/escapes", test_escapes);
  g_test_add_func ("/matrix/json/replacement-character", test_replacement_character);
  g_test_add_func ("/matrix/json/whitespace", test_whitespace);
  g_test_add_func ("/matrix/json/trailing-garbage", test_trailing);
  g_test_add_func ("/matrix/json/syntax-errors", test_syntax);
  g_test_add_func ("/matrix/json/error-messages", test_errors);
  g_test_add_func ("/matrix/json/truncated", test_truncated);
  g_test_add_func ("/matrix/json/utf8", test_utf8);
  g_test_add_func ("/matrix/json/nesting-limit", test_nesting);
  g_test_add_func ("/matrix/json/duplicate-members", test_duplicates);
  g_test_add_func ("/matrix/json/numbers", test_numbers);
  g_test_add_func ("/matrix/json/differential/generated", test_differential_generated);
  g_test_add_func ("/matrix/json/differential/corpus", test_differential_corpus);

  return g_test_run ();
}
