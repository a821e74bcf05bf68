/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "fuzz-json"

/* Confab's JSON reader against two references on any bytes:
 *
 *  - a small RFC 8259 recogniser below, written apart from the reader and
 *    much simpler (it builds nothing), decides whether the bytes are JSON:
 *    the reader must accept exactly those, within the nesting limit;
 *  - json-glib 1.6 decides what they mean: where the text is JSON, the tree
 *    must equal json_parser_load_from_data()'s, but for the differences
 *    documented in matrix-json.c, each allowed only where the recogniser saw
 *    its cause in the text.
 *
 * Whatever the reader accepts must also survive _matrix_json_to_string()
 * and back unchanged: the store writes every event it keeps that way. */

#include <errno.h>
#include <math.h>
#include <string.h>

#include "matrix-error.h"
#include "matrix-json-private.h"

#include "fuzz-targets.h"

#define MAX_NESTING 256

/* --- the recogniser ------------------------------------------------------- */

typedef struct {
  const guchar *p;
  const guchar *end;
  guint         depth;
  /* Causes of the documented differences, as seen in the text. */
  gboolean      nul_escape;
  gboolean      lone_surrogate;
  gboolean      name_replaced;
  gboolean      int_overflow;
  gboolean      double_overflow;
} Checker;

static gboolean check_value (Checker *c);

static void
check_space (Checker *c)
{
  while (c->p < c->end && (*c->p == ' ' || *c->p == '\t' || *c->p == '\n' || *c->p == '\r'))
    c->p++;
}

static gboolean
check_literal (Checker    *c,
               const char *word)
{
  gsize n = strlen (word);

  if ((gsize) (c->end - c->p) < n || memcmp (c->p, word, n) != 0)
    return FALSE;
  c->p += n;
  return TRUE;
}

static int
check_hex4 (Checker *c)
{
  int value = 0;

  for (guint i = 0; i < 4; i++)
    {
      if (c->p == c->end || !g_ascii_isxdigit (*c->p))
        return -1;
      value = value * 16 + g_ascii_xdigit_value (*c->p++);
    }
  return value;
}

static gboolean
check_string (Checker  *c,
              gboolean  is_name)
{
  const guchar *contents = ++c->p;
  gboolean replaced = FALSE;

  for (;;)
    {
      if (c->p == c->end || *c->p < 0x20)
        return FALSE;
      if (*c->p == '"')
        break;
      if (*c->p != '\\')
        {
          c->p++;
          continue;
        }

      c->p++;
      if (c->p == c->end)
        return FALSE;
      if (memchr ("\"\\/bfnrt", *c->p, 8) != NULL)
        c->p++;
      else if (*c->p == 'u')
        {
          int unit;

          c->p++;
          unit = check_hex4 (c);
          if (unit < 0)
            return FALSE;
          if (unit == 0)
            {
              c->nul_escape = TRUE;
              replaced = TRUE;
            }
          else if (unit >= 0xdc00 && unit <= 0xdfff)
            {
              c->lone_surrogate = TRUE;
              replaced = TRUE;
            }
          else if (unit >= 0xd800 && unit <= 0xdbff)
            {
              const guchar *after = c->p;
              int low = -1;

              if (c->end - c->p >= 2 && c->p[0] == '\\' && c->p[1] == 'u')
                {
                  c->p += 2;
                  low = check_hex4 (c);
                }
              if (low < 0xdc00 || low > 0xdfff)
                {
                  /* Not a pair: what follows is read again on its own. */
                  c->p = after;
                  c->lone_surrogate = TRUE;
                  replaced = TRUE;
                }
            }
        }
      else
        return FALSE;
    }

  if (!g_utf8_validate ((const char *) contents, c->p - contents, NULL))
    return FALSE;
  c->p++;
  if (is_name && replaced)
    c->name_replaced = TRUE;
  return TRUE;
}

static gboolean
check_number (Checker *c)
{
  const guchar *start = c->p;
  gboolean integral = TRUE;
  g_autofree char *copy = NULL;

  if (*c->p == '-')
    c->p++;
  if (c->p == c->end || !g_ascii_isdigit (*c->p))
    return FALSE;
  if (*c->p == '0')
    c->p++;
  else
    while (c->p < c->end && g_ascii_isdigit (*c->p))
      c->p++;
  if (c->p < c->end && *c->p == '.')
    {
      integral = FALSE;
      c->p++;
      if (c->p == c->end || !g_ascii_isdigit (*c->p))
        return FALSE;
      while (c->p < c->end && g_ascii_isdigit (*c->p))
        c->p++;
    }
  if (c->p < c->end && (*c->p == 'e' || *c->p == 'E'))
    {
      integral = FALSE;
      c->p++;
      if (c->p < c->end && (*c->p == '+' || *c->p == '-'))
        c->p++;
      if (c->p == c->end || !g_ascii_isdigit (*c->p))
        return FALSE;
      while (c->p < c->end && g_ascii_isdigit (*c->p))
        c->p++;
    }

  copy = g_strndup ((const char *) start, c->p - start);
  errno = 0;
  if (integral)
    {
      g_ascii_strtoll (copy, NULL, 10);
      if (errno == ERANGE)
        c->int_overflow = TRUE;
    }
  else if (isinf (g_ascii_strtod (copy, NULL)))
    c->double_overflow = TRUE;
  return TRUE;
}

static gboolean
check_container (Checker *c,
                 guchar   close)
{
  if (++c->depth > MAX_NESTING)
    return FALSE;
  c->p++;
  check_space (c);
  if (c->p < c->end && *c->p == close)
    {
      c->p++;
      c->depth--;
      return TRUE;
    }

  for (;;)
    {
      if (close == '}')
        {
          if (c->p == c->end || *c->p != '"' || !check_string (c, TRUE))
            return FALSE;
          check_space (c);
          if (c->p == c->end || *c->p != ':')
            return FALSE;
          c->p++;
          check_space (c);
        }
      if (!check_value (c))
        return FALSE;
      check_space (c);
      if (c->p == c->end)
        return FALSE;
      if (*c->p == close)
        break;
      if (*c->p != ',')
        return FALSE;
      c->p++;
      check_space (c);
    }

  c->p++;
  c->depth--;
  return TRUE;
}

static gboolean
check_value (Checker *c)
{
  if (c->p == c->end)
    return FALSE;
  switch (*c->p)
    {
    case '{': return check_container (c, '}');
    case '[': return check_container (c, ']');
    case '"': return check_string (c, FALSE);
    case 't': return check_literal (c, "true");
    case 'f': return check_literal (c, "false");
    case 'n': return check_literal (c, "null");
    default:
      if (*c->p == '-' || g_ascii_isdigit (*c->p))
        return check_number (c);
      return FALSE;
    }
}

static gboolean
is_json (Checker      *c,
         const guint8 *data,
         gsize         size)
{
  c->p = data;
  c->end = data + size;
  check_space (c);
  if (!check_value (c))
    return FALSE;
  check_space (c);
  return c->p == c->end;
}

/* --- comparing with json-glib's tree --------------------------------------- */

/* Where the strings first differ, Confab has U+FFFD for an escape that
 * makes no text, and json-glib has what it makes of it: the end of the
 * string for \u0000, or a surrogate's own (invalid) three-byte form. What
 * json-glib makes of the text after a lone surrogate is not compared: it
 * drops the character that follows a high one. */
static void
assert_same_string (const Checker *c,
                    const char    *ours,
                    const char    *theirs)
{
  const guchar *theirs_at;
  gsize i = 0;

  while (ours[i] != '\0' && ours[i] == theirs[i])
    i++;
  if (ours[i] == theirs[i])
    return;

  if (strncmp (ours + i, "\xef\xbf\xbd", 3) != 0)
    g_error ("\"%s\" here, \"%s\" from json-glib", ours, theirs);
  theirs_at = (const guchar *) theirs + i;
  if (*theirs_at == '\0')
    g_assert_true (c->nul_escape);
  else
    g_assert_true (c->lone_surrogate && theirs_at[0] == 0xed && theirs_at[1] >= 0xa0 &&
                   theirs_at[1] <= 0xbf);
}

/* With @c NULL, strictly equal: for a tree and its own text read back. */
static void
assert_same_node (const Checker *c,
                  JsonNode      *ours,
                  JsonNode      *theirs)
{
  static const Checker strict = { NULL, };

  if (c == NULL)
    c = &strict;

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
            g_assert_true (json_object_iter_next_ordered (&b, &name_b, &value_b));
            assert_same_string (c, name_a, name_b);
            assert_same_node (c, value_a, value_b);
          }
      }
      break;

    case JSON_NODE_ARRAY:
      {
        JsonArray *a = json_node_get_array (ours), *b = json_node_get_array (theirs);

        g_assert_cmpuint (json_array_get_length (a), ==, json_array_get_length (b));
        for (guint i = 0; i < json_array_get_length (a); i++)
          assert_same_node (c, json_array_get_element (a, i), json_array_get_element (b, i));
      }
      break;

    case JSON_NODE_VALUE:
      g_assert_cmpuint (json_node_get_value_type (ours), ==, json_node_get_value_type (theirs));
      switch (json_node_get_value_type (ours))
        {
        case G_TYPE_INT64:
          {
            gint64 a = json_node_get_int (ours), b = json_node_get_int (theirs);

            /* Saturated here, wrapped around by json-glib. */
            if (a != b)
              g_assert_true (c->int_overflow && (a == G_MAXINT64 || a == G_MININT64));
          }
          break;
        case G_TYPE_DOUBLE:
          {
            double a = json_node_get_double (ours), b = json_node_get_double (theirs);

            /* The largest double here, infinity from json-glib. */
            if (memcmp (&a, &b, sizeof a) != 0)
              g_assert_true (c->double_overflow && isinf (b) && a == copysign (G_MAXDOUBLE, b));
          }
          break;
        case G_TYPE_BOOLEAN:
          g_assert_cmpint (json_node_get_boolean (ours), ==, json_node_get_boolean (theirs));
          break;
        case G_TYPE_STRING:
          assert_same_string (c, json_node_get_string (ours), json_node_get_string (theirs));
          break;
        default:
          g_assert_not_reached ();
        }
      break;

    case JSON_NODE_NULL:
      break;
    }
}

void
confab_fuzz_json (const guint8 *data,
                  gsize         size)
{
  Checker checker = { NULL, };
  gboolean valid = is_json (&checker, data, size);
  g_autoptr(GError) error = NULL;
  g_autoptr(GError) object_error = NULL;
  g_autoptr(JsonNode) ours = _matrix_json_parse ((const char *) data, size, &error);
  g_autoptr(JsonObject) object = _matrix_json_parse_object ((const char *) data, size, &object_error);
  g_autoptr(JsonParser) parser = NULL;
  g_autoptr(JsonNode) again = NULL;
  g_autofree char *text = NULL;

  /* What an empty GBytes gives. */
  if (size == 0)
    {
      g_autoptr(GError) empty_error = NULL;

      g_assert_null (_matrix_json_parse (NULL, 0, &empty_error));
      g_assert_error (empty_error, MATRIX_ERROR, MATRIX_ERROR_INVALID_JSON);
    }

  if (!valid)
    {
      g_assert_null (ours);
      g_assert_error (error, MATRIX_ERROR, MATRIX_ERROR_INVALID_JSON);
      g_assert_true (g_str_has_prefix (error->message, "Invalid JSON: "));
      g_assert_null (object);
      g_assert_error (object_error, MATRIX_ERROR, MATRIX_ERROR_INVALID_JSON);
      return;
    }

  g_assert_no_error (error);
  g_assert_nonnull (ours);
  if (JSON_NODE_HOLDS_OBJECT (ours))
    {
      g_autoptr(JsonNode) wrapped = NULL;

      g_assert_no_error (object_error);
      wrapped = json_node_init_object (json_node_alloc (), object);
      assert_same_node (NULL, wrapped, ours);
    }
  else
    {
      g_assert_null (object);
      g_assert_error (object_error, MATRIX_ERROR, MATRIX_ERROR_INVALID_JSON);
    }

  /* What the store would write must read back the same. */
  text = _matrix_json_to_string (ours);
  again = _matrix_json_parse (text, -1, NULL);
  g_assert_nonnull (again);
  assert_same_node (NULL, again, ours);

  /* json-glib fails on a high surrogate that ends a string or is followed by
   * another \u escape; anything else JSON it reads. */
  parser = json_parser_new ();
  if (!json_parser_load_from_data (parser, (const char *) data, size, NULL))
    {
      g_assert_true (checker.lone_surrogate);
      return;
    }

  /* A name that became U+FFFD here, or was cut short there, can make two
   * members one on either side: the trees need not have the same shape. */
  if (checker.name_replaced)
    return;
  assert_same_node (&checker, ours, json_parser_get_root (parser));
}
