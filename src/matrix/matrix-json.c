/* SPDX-License-Identifier: LGPL-2.1-or-later */
#define G_LOG_DOMAIN "matrix-json"

#include <math.h>
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

/* What a member's node holds, checked: FALSE with an error when a required
 * member is missing; *node becomes NULL for an absent optional member. JSON
 * null counts as absent only for optional members. */
static gboolean
present (JsonNode   **node,
         const char  *where,
         const char  *member,
         gboolean     required,
         const char  *expected,
         GError     **error)
{
  if (*node != NULL && JSON_NODE_HOLDS_NULL (*node) && !required)
    *node = NULL;

  if (*node == NULL && required)
    return wrong_type (where, member, expected, TRUE, error);

  return TRUE;
}

/* The _matrix_json_node_get_*() functions check @node, the value of @member
 * (NULL when the member is absent), as _matrix_json_get_*() check a member
 * they look up: for callers that hold the member's node already. */
gboolean
_matrix_json_node_get_string (JsonNode     *node,
                              const char   *where,
                              const char   *member,
                              gboolean      required,
                              const char  **out,
                              GError      **error)
{
  *out = NULL;
  if (!present (&node, where, member, required, "a string", error))
    return FALSE;
  if (node == NULL)
    return TRUE;
  if (!JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != G_TYPE_STRING)
    return wrong_type (where, member, "a string", FALSE, error);
  *out = json_node_get_string (node);
  return TRUE;
}

gboolean
_matrix_json_node_get_int (JsonNode     *node,
                           const char   *where,
                           const char   *member,
                           gboolean      required,
                           gint64       *out,
                           GError      **error)
{
  if (!present (&node, where, member, required, "an integer", error))
    return FALSE;
  if (node == NULL)
    return TRUE;
  if (!JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != G_TYPE_INT64)
    return wrong_type (where, member, "an integer", FALSE, error);
  *out = json_node_get_int (node);
  return TRUE;
}

gboolean
_matrix_json_node_get_bool (JsonNode     *node,
                            const char   *where,
                            const char   *member,
                            gboolean      required,
                            gboolean     *out,
                            GError      **error)
{
  if (!present (&node, where, member, required, "a boolean", error))
    return FALSE;
  if (node == NULL)
    return TRUE;
  if (!JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != G_TYPE_BOOLEAN)
    return wrong_type (where, member, "a boolean", FALSE, error);
  *out = json_node_get_boolean (node);
  return TRUE;
}

gboolean
_matrix_json_node_get_object (JsonNode     *node,
                              const char   *where,
                              const char   *member,
                              gboolean      required,
                              JsonObject  **out,
                              GError      **error)
{
  *out = NULL;
  if (!present (&node, where, member, required, "an object", error))
    return FALSE;
  if (node == NULL)
    return TRUE;
  if (!JSON_NODE_HOLDS_OBJECT (node))
    return wrong_type (where, member, "an object", FALSE, error);
  *out = json_node_get_object (node);
  return TRUE;
}

gboolean
_matrix_json_node_get_array (JsonNode     *node,
                             const char   *where,
                             const char   *member,
                             gboolean      required,
                             JsonArray   **out,
                             GError      **error)
{
  *out = NULL;
  if (!present (&node, where, member, required, "an array", error))
    return FALSE;
  if (node == NULL)
    return TRUE;
  if (!JSON_NODE_HOLDS_ARRAY (node))
    return wrong_type (where, member, "an array", FALSE, error);
  *out = json_node_get_array (node);
  return TRUE;
}

/**
 * _matrix_token_is_valid:
 * @token: (nullable): a sync or pagination token
 *
 * Tokens are opaque, but the client sends each one back as a query
 * parameter: one that cannot go into a request (control or non-ASCII
 * characters, megabytes of text) would fail every request after it, and,
 * stored, every start after that. So a token is 1 to
 * %MATRIX_MAX_TOKEN_LENGTH printable ASCII characters without spaces.
 *
 * Returns: whether @token may be stored and sent back
 */
gboolean
_matrix_token_is_valid (const char *token)
{
  gsize length = 0;

  if (token == NULL)
    return FALSE;

  for (const char *c = token; *c != '\0'; c++, length++)
    if (length >= MATRIX_MAX_TOKEN_LENGTH || !g_ascii_isgraph (*c))
      return FALSE;

  return length > 0;
}

/* A string member that is a token (see _matrix_token_is_valid()). */
gboolean
_matrix_json_node_get_token (JsonNode     *node,
                             const char   *where,
                             const char   *member,
                             gboolean      required,
                             const char  **out,
                             GError      **error)
{
  if (!_matrix_json_node_get_string (node, where, member, required, out, error))
    return FALSE;

  if (*out != NULL && !_matrix_token_is_valid (*out))
    {
      *out = NULL;
      g_set_error (error, MATRIX_ERROR, MATRIX_ERROR_INVALID_RESPONSE,
                   "%s%s%s: not a token that can be sent back (expected 1 to %u printable "
                   "ASCII characters without spaces)",
                   where != NULL ? where : "", where != NULL ? "." : "", member,
                   MATRIX_MAX_TOKEN_LENGTH);
      return FALSE;
    }

  return TRUE;
}

gboolean
_matrix_json_get_token (JsonObject   *object,
                        const char   *where,
                        const char   *member,
                        gboolean      required,
                        const char  **out,
                        GError      **error)
{
  return _matrix_json_node_get_token (json_object_get_member (object, member), where, member,
                                      required, out, error);
}

gboolean
_matrix_json_get_string (JsonObject   *object,
                         const char   *where,
                         const char   *member,
                         gboolean      required,
                         const char  **out,
                         GError      **error)
{
  return _matrix_json_node_get_string (json_object_get_member (object, member), where, member,
                                       required, out, error);
}

gboolean
_matrix_json_get_int (JsonObject   *object,
                      const char   *where,
                      const char   *member,
                      gboolean      required,
                      gint64       *out,
                      GError      **error)
{
  return _matrix_json_node_get_int (json_object_get_member (object, member), where, member,
                                    required, out, error);
}

gboolean
_matrix_json_get_bool (JsonObject   *object,
                       const char   *where,
                       const char   *member,
                       gboolean      required,
                       gboolean     *out,
                       GError      **error)
{
  return _matrix_json_node_get_bool (json_object_get_member (object, member), where, member,
                                     required, out, error);
}

gboolean
_matrix_json_get_object (JsonObject   *object,
                         const char   *where,
                         const char   *member,
                         gboolean      required,
                         JsonObject  **out,
                         GError      **error)
{
  return _matrix_json_node_get_object (json_object_get_member (object, member), where, member,
                                       required, out, error);
}

gboolean
_matrix_json_get_array (JsonObject   *object,
                        const char   *where,
                        const char   *member,
                        gboolean      required,
                        JsonArray   **out,
                        GError      **error)
{
  return _matrix_json_node_get_array (json_object_get_member (object, member), where, member,
                                      required, out, error);
}

/* --- reading JSON text ----------------------------------------------------
 *
 * The library reads JSON text itself and builds json-glib's tree (JsonNode,
 * JsonObject, JsonArray) through json-glib's public API, so every caller
 * keeps json-glib's data model. json_parser_load_from_data() was over half
 * of an initial sync, almost all of it in its GScanner-based tokenizer
 * (some 5,000 instructions per value), not in building the tree.
 *
 * The grammar is RFC 8259's, strictly: what json-glib 1.6 also tolerates is
 * an error here (leading zeros, which it reads as octal; hex numbers; ".5"
 * and "1."; single quotes; comments; unknown escapes; raw control characters
 * in strings; anything after the top-level value). Inside strings and
 * numbers, which any sender controls, what has no faithful meaning is
 * replaced rather than rejected, so that one event cannot make every /sync
 * fail:
 *  - \u0000 becomes U+FFFD (json-glib cuts the string there: C strings
 *    cannot hold NUL);
 *  - a lone surrogate escape becomes U+FFFD (json-glib writes it as invalid
 *    UTF-8 and drops the character after a high one, or fails);
 *  - an integer beyond gint64 saturates to G_MININT64 or G_MAXINT64 and
 *    stays an integer (json-glib wraps it around);
 *  - a number beyond the range of double becomes -G_MAXDOUBLE or G_MAXDOUBLE
 *    (json-glib gives infinity, which JSON text cannot hold: the store could
 *    not write the event back).
 * Strings must be valid UTF-8 (json-glib checks the whole text). Members
 * keep their order, and a repeated name keeps its first place with the last
 * value, as json_object_set_member() does. tests/fuzz/fuzz-json-target.c
 * holds the reader to all of this against json-glib. */

/* json-glib's parser recursed once per nesting level, so a body of a million
 * '[' overflowed the stack; ours recurses too. No Matrix payload nests
 * anywhere near this deep. */
#define MAX_NESTING 256

typedef struct {
  const guchar *start;
  const guchar *p;
  const guchar *end;
  guint         depth;
  /* Decoded strings and NUL-terminated member names, used as a stack: each
   * object level keeps its current member's name here while its value is
   * read, and every string is decoded after it. */
  char         *scratch;
  gsize         scratch_len;
  gsize         scratch_size;
  char          scratch_start[1024];
  /* How many bytes more the escapes read so far take than what they stand
   * for: "\\u0301" is 6 bytes of text for 2 of UTF-8. */
  gsize         escape_excess;
  GError      **error;
} Parser;

enum {
  PLAIN,
  QUOTE,
  BACKSLASH,
  CONTROL,
  NON_ASCII,
};

/* Most of a body is string contents that are plain ASCII: runs of them are
 * skipped with one table look-up per byte. */
static const guint8 string_byte[256] = {
  [0x00 ... 0x1f] = CONTROL,
  ['"'] = QUOTE,
  ['\\'] = BACKSLASH,
  [0x80 ... 0xff] = NON_ASCII,
};

/* Whether any of the eight bytes at @p is not PLAIN: below 0x20, a quote, a
 * backslash or beyond ASCII. A byte-wise subtraction only borrows out of a
 * byte that is below what it subtracts, so no special byte goes unseen; a
 * borrow may flag a plain byte after a special one, which the byte-wise
 * scan then looks at anyway. */
static inline gboolean
has_special_byte (const guchar *p)
{
  const guint64 ones = G_GUINT64_CONSTANT (0x0101010101010101);
  guint64 word, quote, backslash;

  memcpy (&word, p, sizeof word);
  quote = word ^ (ones * '"');
  backslash = word ^ (ones * '\\');
  return (((word - ones * 0x20) | (quote - ones) | (backslash - ones) | word) &
          (ones * 0x80)) != 0;
}

static gpointer
fail (Parser       *parser,
      const guchar *at,
      const char   *what)
{
  if (at < parser->end)
    g_set_error (parser->error, MATRIX_ERROR, MATRIX_ERROR_INVALID_JSON,
                 "Invalid JSON: %s at byte %" G_GSIZE_FORMAT, what, (gsize) (at - parser->start));
  else
    g_set_error (parser->error, MATRIX_ERROR, MATRIX_ERROR_INVALID_JSON,
                 "Invalid JSON: %s at the end of the text (byte %" G_GSIZE_FORMAT ")",
                 what, (gsize) (at - parser->start));
  return NULL;
}

static inline void
skip_space (Parser *parser)
{
  const guchar *p = parser->p;

  while (p < parser->end && (*p == ' ' || *p == '\n' || *p == '\r' || *p == '\t'))
    p++;
  parser->p = p;
}

static void
scratch_grow (Parser *parser,
              gsize   n)
{
  gsize size = parser->scratch_size;

  while (size < parser->scratch_len + n)
    size *= 2;
  if (parser->scratch == parser->scratch_start)
    {
      parser->scratch = g_malloc (size);
      memcpy (parser->scratch, parser->scratch_start, parser->scratch_len);
    }
  else
    parser->scratch = g_realloc (parser->scratch, size);
  parser->scratch_size = size;
}

static inline void
scratch_append (Parser     *parser,
                const void *bytes,
                gsize       n)
{
  if (G_UNLIKELY (parser->scratch_len + n > parser->scratch_size))
    scratch_grow (parser, n);
  memcpy (parser->scratch + parser->scratch_len, bytes, n);
  parser->scratch_len += n;
}

/* The length of the UTF-8 sequence at @p, or 0 if it is not one that
 * g_utf8_validate() accepts: overlong forms, surrogates, code points beyond
 * U+10FFFF and cut sequences are not. */
static gsize
utf8_sequence_length (const guchar *p,
                      const guchar *end)
{
  guchar low = 0x80, high = 0xbf;
  gsize n;

  if (p[0] >= 0xc2 && p[0] <= 0xdf)
    n = 2;
  else if (p[0] >= 0xe0 && p[0] <= 0xef)
    {
      n = 3;
      if (p[0] == 0xe0)
        low = 0xa0;
      else if (p[0] == 0xed)
        high = 0x9f;
    }
  else if (p[0] >= 0xf0 && p[0] <= 0xf4)
    {
      n = 4;
      if (p[0] == 0xf0)
        low = 0x90;
      else if (p[0] == 0xf4)
        high = 0x8f;
    }
  else
    return 0;

  if ((gsize) (end - p) < n || p[1] < low || p[1] > high)
    return 0;
  for (gsize i = 2; i < n; i++)
    if ((p[i] & 0xc0) != 0x80)
      return 0;
  return n;
}

/* The four hex digits of a \u escape at @p (just past the 'u'), or -1. */
static int
read_hex4 (const guchar *p,
           const guchar *end)
{
  int value = 0;

  if (end - p < 4)
    return -1;
  for (guint i = 0; i < 4; i++)
    {
      int digit = g_ascii_xdigit_value (p[i]);

      if (digit < 0)
        return -1;
      value = value * 16 + digit;
    }
  return value;
}

/* Decodes the escape at @p (its backslash) onto the scratch buffer; returns
 * what follows it, or NULL after setting the error. */
static const guchar *
read_escape (Parser       *parser,
             const guchar *p)
{
  const guchar *end = parser->end;
  gunichar c;
  char utf8[4];
  int unit;

  if (end - p < 2)
    return fail (parser, p, "unterminated string");

  switch (p[1])
    {
    case '"': c = '"'; break;
    case '\\': c = '\\'; break;
    case '/': c = '/'; break;
    case 'b': c = '\b'; break;
    case 'f': c = '\f'; break;
    case 'n': c = '\n'; break;
    case 'r': c = '\r'; break;
    case 't': c = '\t'; break;
    case 'u':
      unit = read_hex4 (p + 2, end);
      if (unit < 0)
        return fail (parser, p, "invalid \\u escape");
      c = unit;
      if (unit >= 0xd800 && unit <= 0xdbff)
        {
          /* A pair only when a low surrogate follows at once; otherwise the
           * next escape is read on its own. */
          int low = -1;

          if (end - p >= 12 && p[6] == '\\' && p[7] == 'u')
            low = read_hex4 (p + 8, end);
          if (low >= 0xdc00 && low <= 0xdfff)
            {
              c = 0x10000 + ((unit - 0xd800) << 10) + (low - 0xdc00);
              p += 6;
              parser->escape_excess += 6;
            }
          else
            c = 0xfffd;
        }
      else if ((unit >= 0xdc00 && unit <= 0xdfff) || unit == 0)
        c = 0xfffd;
      {
        int n = g_unichar_to_utf8 (c, utf8);

        scratch_append (parser, utf8, n);
        parser->escape_excess += 6 - MIN (n, 6);
      }
      return p + 6;
    default:
      return fail (parser, p, "invalid escape in a string");
    }

  utf8[0] = c;
  scratch_append (parser, utf8, 1);
  parser->escape_excess += 1;
  return p + 2;
}

/* Reads the string whose opening quote is at parser->p and appends it,
 * decoded and NUL-terminated, to the scratch buffer. */
static gboolean
read_string (Parser *parser)
{
  const guchar *p = parser->p + 1;
  const guchar *end = parser->end;
  const guchar *run = p;
  const guchar *quote = memchr (p, '"', end - p);

  /* The next quote ends the table scan: no bounds check per byte. */
  if (quote == NULL)
    {
      fail (parser, parser->p, "unterminated string");
      return FALSE;
    }

  for (;;)
    {
      gsize n;

      while (quote - p >= 8 && !has_special_byte (p))
        p += 8;
      while (string_byte[*p] == PLAIN)
        p++;

      switch (string_byte[*p])
        {
        case QUOTE:
          scratch_append (parser, run, p - run);
          scratch_append (parser, "", 1);
          parser->p = p + 1;
          return TRUE;

        case BACKSLASH:
          scratch_append (parser, run, p - run);
          p = read_escape (parser, p);
          if (p == NULL)
            return FALSE;
          run = p;
          /* An escaped quote was the one the scan stopped at. */
          if (p > quote)
            {
              quote = memchr (p, '"', end - p);
              if (quote == NULL)
                {
                  fail (parser, parser->p, "unterminated string");
                  return FALSE;
                }
            }
          break;

        case CONTROL:
          fail (parser, p, "control character in a string");
          return FALSE;

        case NON_ASCII:
        default:
          n = utf8_sequence_length (p, end);
          if (n == 0)
            {
              fail (parser, p, "invalid UTF-8 in a string");
              return FALSE;
            }
          p += n;
          break;
        }
    }
}

/* Reads the number at parser->p into *out, or only checks it when @out is
 * NULL. */
static gboolean
read_number (Parser    *parser,
             JsonNode **out)
{
  const guchar *start = parser->p;
  const guchar *p = start;
  const guchar *end = parser->end;
  gboolean negative = FALSE, integral = TRUE, overflow = FALSE;
  guint64 magnitude = 0;

  if (*p == '-')
    {
      negative = TRUE;
      p++;
    }
  if (p == end || !g_ascii_isdigit (*p))
    return fail (parser, p, "expected a digit") != NULL;
  if (*p == '0')
    {
      p++;
      if (p < end && g_ascii_isdigit (*p))
        return fail (parser, p, "leading zero in a number") != NULL;
    }
  else
    {
      for (; p < end && g_ascii_isdigit (*p); p++)
        {
          guint digit = *p - '0';

          if (magnitude > (G_MAXUINT64 - digit) / 10)
            overflow = TRUE;
          else
            magnitude = magnitude * 10 + digit;
        }
    }

  if (p < end && *p == '.')
    {
      integral = FALSE;
      p++;
      if (p == end || !g_ascii_isdigit (*p))
        return fail (parser, p, "expected a digit after the decimal point") != NULL;
      while (p < end && g_ascii_isdigit (*p))
        p++;
    }
  if (p < end && (*p == 'e' || *p == 'E'))
    {
      integral = FALSE;
      p++;
      if (p < end && (*p == '+' || *p == '-'))
        p++;
      if (p == end || !g_ascii_isdigit (*p))
        return fail (parser, p, "expected a digit in the exponent") != NULL;
      while (p < end && g_ascii_isdigit (*p))
        p++;
    }

  parser->p = p;
  if (out == NULL)
    return TRUE;
  if (integral)
    {
      gint64 value;

      if (negative)
        value = overflow || magnitude > (guint64) G_MAXINT64 ? G_MININT64 : -(gint64) magnitude;
      else
        value = overflow || magnitude > (guint64) G_MAXINT64 ? G_MAXINT64 : (gint64) magnitude;
      *out = json_node_init_int (json_node_alloc (), value);
    }
  else
    {
      gsize mark = parser->scratch_len;
      double value;

      scratch_append (parser, start, p - start);
      scratch_append (parser, "", 1);
      value = g_ascii_strtod (parser->scratch + mark, NULL);
      parser->scratch_len = mark;
      if (isinf (value))
        value = value > 0 ? G_MAXDOUBLE : -G_MAXDOUBLE;
      *out = json_node_init_double (json_node_alloc (), value);
    }
  return TRUE;
}

static gboolean read_value (Parser    *parser,
                            JsonNode **out);

static inline gboolean
enter (Parser *parser)
{
  if (++parser->depth > MAX_NESTING)
    return fail (parser, parser->p, "nested more than " G_STRINGIFY (MAX_NESTING) " levels deep") != NULL;
  parser->p++;
  skip_space (parser);
  return TRUE;
}

/* After a member or an element: past the ',' to the next one (TRUE), or
 * past @close (FALSE, with *done set), or an error (FALSE). */
static inline gboolean
next_item (Parser     *parser,
           guchar      close,
           const char *what,
           gboolean   *done)
{
  skip_space (parser);
  if (parser->p < parser->end && *parser->p == ',')
    {
      parser->p++;
      skip_space (parser);
      return TRUE;
    }
  if (parser->p < parser->end && *parser->p == close)
    {
      parser->p++;
      parser->depth--;
      *done = TRUE;
      return FALSE;
    }
  fail (parser, parser->p, what);
  return FALSE;
}

/* Reads a member name and its ':' onto the scratch buffer, at its end. */
static inline gboolean
read_member_name (Parser *parser)
{
  if (parser->p == parser->end || *parser->p != '"')
    return fail (parser, parser->p, "expected a member name") != NULL;
  if (!read_string (parser))
    return FALSE;
  skip_space (parser);
  if (parser->p == parser->end || *parser->p != ':')
    return fail (parser, parser->p, "expected ':' after a member name") != NULL;
  parser->p++;
  skip_space (parser);
  return TRUE;
}

static gboolean
read_object (Parser    *parser,
             JsonNode **out)
{
  g_autoptr(JsonObject) object = NULL;
  gboolean done = FALSE;

  if (!enter (parser))
    return FALSE;
  if (out != NULL)
    object = json_object_new ();
  if (parser->p < parser->end && *parser->p == '}')
    {
      parser->p++;
      parser->depth--;
      done = TRUE;
    }
  else
    do
      {
        gsize name = parser->scratch_len;
        JsonNode *value = NULL;

        if (!read_member_name (parser) || !read_value (parser, out != NULL ? &value : NULL))
          return FALSE;
        if (object != NULL)
          json_object_set_member (object, parser->scratch + name, value);
        parser->scratch_len = name;
      }
    while (next_item (parser, '}', "expected ',' or '}' in an object", &done));

  if (!done)
    return FALSE;
  if (out != NULL)
    {
      *out = json_node_new (JSON_NODE_OBJECT);
      json_node_take_object (*out, g_steal_pointer (&object));
    }
  return TRUE;
}

static gboolean
read_array (Parser    *parser,
            JsonNode **out)
{
  g_autoptr(JsonArray) array = NULL;
  gboolean done = FALSE;

  if (!enter (parser))
    return FALSE;
  if (out != NULL)
    array = json_array_new ();
  if (parser->p < parser->end && *parser->p == ']')
    {
      parser->p++;
      parser->depth--;
      done = TRUE;
    }
  else
    do
      {
        JsonNode *element = NULL;

        if (!read_value (parser, out != NULL ? &element : NULL))
          return FALSE;
        if (array != NULL)
          json_array_add_element (array, element);
      }
    while (next_item (parser, ']', "expected ',' or ']' in an array", &done));

  if (!done)
    return FALSE;
  if (out != NULL)
    {
      *out = json_node_new (JSON_NODE_ARRAY);
      json_node_take_array (*out, g_steal_pointer (&array));
    }
  return TRUE;
}

static gboolean
read_word (Parser     *parser,
           const char *word,
           gsize       n)
{
  if ((gsize) (parser->end - parser->p) < n || memcmp (parser->p, word, n) != 0)
    {
      fail (parser, parser->p, "expected a value");
      return FALSE;
    }
  parser->p += n;
  return TRUE;
}

/* Reads the value at parser->p, which is not white space, into *out; with
 * @out NULL, only checks it (nothing is built). */
static gboolean
read_value (Parser    *parser,
            JsonNode **out)
{
  gsize mark;

  if (parser->p == parser->end)
    return fail (parser, parser->p, "expected a value") != NULL;

  switch (*parser->p)
    {
    case '"':
      mark = parser->scratch_len;
      if (!read_string (parser))
        return FALSE;
      if (out != NULL)
        *out = json_node_init_string (json_node_alloc (), parser->scratch + mark);
      parser->scratch_len = mark;
      return TRUE;
    case '{':
      return read_object (parser, out);
    case '[':
      return read_array (parser, out);
    case '-':
    case '0': case '1': case '2': case '3': case '4':
    case '5': case '6': case '7': case '8': case '9':
      return read_number (parser, out);
    case 't':
      if (!read_word (parser, "true", 4))
        return FALSE;
      if (out != NULL)
        *out = json_node_init_boolean (json_node_alloc (), TRUE);
      return TRUE;
    case 'f':
      if (!read_word (parser, "false", 5))
        return FALSE;
      if (out != NULL)
        *out = json_node_init_boolean (json_node_alloc (), FALSE);
      return TRUE;
    case 'n':
      if (!read_word (parser, "null", 4))
        return FALSE;
      if (out != NULL)
        *out = json_node_init_null (json_node_alloc ());
      return TRUE;
    default:
      return fail (parser, parser->p, "expected a value") != NULL;
    }
}

static void
parser_init (Parser      *parser,
             const char  *data,
             gssize       length,
             GError     **error)
{
  /* An empty GBytes has no data at all; NULL + 0 is undefined. */
  if (data == NULL)
    {
      data = "";
      length = 0;
    }
  else if (length < 0)
    length = strlen (data);

  parser->start = parser->p = (const guchar *) data;
  parser->end = parser->start + length;
  parser->depth = 0;
  parser->scratch = parser->scratch_start;
  parser->scratch_len = 0;
  parser->scratch_size = sizeof parser->scratch_start;
  parser->error = error;
}

static void
parser_clear (Parser *parser)
{
  if (parser->scratch != parser->scratch_start)
    g_free (parser->scratch);
  parser->scratch = parser->scratch_start;
}

/* Past the leading white space to the top-level value; FALSE with an error
 * if there is none, or if it is not an object and @object_only. */
static gboolean
begin_text (Parser   *parser,
            gboolean  object_only)
{
  skip_space (parser);
  if (parser->p == parser->end)
    {
      g_set_error_literal (parser->error, MATRIX_ERROR, MATRIX_ERROR_INVALID_JSON,
                           "Invalid JSON: empty body");
      return FALSE;
    }
  if (object_only && *parser->p != '{')
    {
      g_set_error_literal (parser->error, MATRIX_ERROR, MATRIX_ERROR_INVALID_JSON,
                           "Invalid JSON: the top level is not an object");
      return FALSE;
    }
  return TRUE;
}

/* After the top-level value: nothing but white space may follow. */
static gboolean
end_text (Parser *parser)
{
  skip_space (parser);
  if (parser->p != parser->end)
    return fail (parser, parser->p, "unexpected text after the top-level value") != NULL;
  return TRUE;
}

static JsonNode *
parse (const char  *data,
       gssize       length,
       gboolean     object_only,
       GError     **error)
{
  Parser parser;
  JsonNode *root = NULL;

  parser_init (&parser, data, length, error);
  if (begin_text (&parser, object_only) && read_value (&parser, &root) && !end_text (&parser))
    g_clear_pointer (&root, json_node_unref);
  parser_clear (&parser);
  return root;
}

/**
 * _matrix_json_parse:
 *
 * Parses @data (@length bytes, or up to a NUL if negative) as one JSON value
 * of any kind. See above for what is accepted.
 *
 * Returns: (transfer full): the root node, or %NULL with a MATRIX_ERROR_INVALID_JSON
 */
JsonNode *
_matrix_json_parse (const char  *data,
                    gssize       length,
                    GError     **error)
{
  return parse (data, length, FALSE, error);
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
  g_autoptr(JsonNode) root = parse (data, length, TRUE, error);

  if (root == NULL)
    return NULL;
  return json_object_ref (json_node_get_object (root));
}

/* --- reading JSON text a piece at a time --------------------------------
 *
 * A MatrixJsonReader walks the same grammar with the same checks and
 * messages, but hands the text over a value at a time: a caller that knows
 * what it is reading (a /sync body, an event) takes the members it wants
 * as they come and builds json-glib nodes only for the values it keeps,
 * instead of a JsonObject (a hash table, and a copy of every member name)
 * for every object on the way. */

struct _MatrixJsonReader
{
  Parser   parser;
  GError  *error;
  gboolean first;   /* just inside a container: no ',' before the next item */
};

/**
 * _matrix_json_reader_new:
 * @data: (array length=length): JSON text
 * @length: its length, or -1 if NUL-terminated
 * @object_only: whether the top level must be an object
 *
 * Starts reading @data, whose bytes must outlive the reader. The reader is
 * at the top-level value; if there is none (or, with @object_only, it is not
 * an object), the reader has failed already.
 */
MatrixJsonReader *
_matrix_json_reader_new (const char *data,
                         gssize      length,
                         gboolean    object_only)
{
  MatrixJsonReader *reader = g_new0 (MatrixJsonReader, 1);

  parser_init (&reader->parser, data, length, &reader->error);
  begin_text (&reader->parser, object_only);
  return reader;
}

void
_matrix_json_reader_free (MatrixJsonReader *reader)
{
  parser_clear (&reader->parser);
  g_clear_error (&reader->error);
  g_free (reader);
}

/* Whether the reader met an error: every call after that does nothing. */
gboolean
_matrix_json_reader_failed (MatrixJsonReader *reader)
{
  return reader->error != NULL;
}

/**
 * _matrix_json_reader_get_offset:
 *
 * Returns: how many bytes of the text the reader has read, to measure a
 *   value by the offsets before and after reading it
 */
gsize
_matrix_json_reader_get_offset (MatrixJsonReader *reader)
{
  return reader->parser.p - reader->parser.start;
}

/**
 * _matrix_json_reader_get_decoded_offset:
 *
 * Returns: the offset, less what the escapes read so far add to the text:
 *   to measure a value by the bytes it stands for, as the spec's size
 *   limits do (a server may escape every non-ASCII character)
 */
gsize
_matrix_json_reader_get_decoded_offset (MatrixJsonReader *reader)
{
  return (gsize) (reader->parser.p - reader->parser.start) - reader->parser.escape_excess;
}

/**
 * _matrix_json_reader_peek:
 *
 * Returns: what the next value is, without reading it:
 *   %JSON_NODE_OBJECT, %JSON_NODE_ARRAY, %JSON_NODE_NULL for `null`, or
 *   %JSON_NODE_VALUE for anything else (a string, a number, a boolean, or
 *   text that is not JSON, which reading reports)
 */
JsonNodeType
_matrix_json_reader_peek (MatrixJsonReader *reader)
{
  const Parser *parser = &reader->parser;

  if (parser->p == parser->end)
    return JSON_NODE_VALUE;
  switch (*parser->p)
    {
    case '{':
      return JSON_NODE_OBJECT;
    case '[':
      return JSON_NODE_ARRAY;
    case 'n':
      return JSON_NODE_NULL;
    default:
      return JSON_NODE_VALUE;
    }
}

/* Steps into the object or array that _matrix_json_reader_peek() said is
 * next; its members or elements follow. */
gboolean
_matrix_json_reader_enter (MatrixJsonReader *reader)
{
  if (reader->error != NULL)
    return FALSE;
  reader->first = TRUE;
  return enter (&reader->parser);
}

static gboolean
reader_next (MatrixJsonReader *reader,
             guchar            close,
             const char       *what)
{
  Parser *parser = &reader->parser;
  gboolean done = FALSE;

  if (reader->error != NULL)
    return FALSE;
  if (!reader->first)
    {
      if (next_item (parser, close, what, &done))
        return TRUE;
      /* Out of a container: its parent has just read a value. */
      reader->first = FALSE;
      return FALSE;
    }

  reader->first = FALSE;
  if (parser->p < parser->end && *parser->p == close)
    {
      parser->p++;
      parser->depth--;
      return FALSE;
    }
  return TRUE;
}

/**
 * _matrix_json_reader_next_member:
 *
 * Moves to the next member of the object the reader is in.
 *
 * Returns: (nullable): the member's name, decoded, valid until the reader
 *   reads another member name; the reader is then at the member's value.
 *   %NULL past the object's end, where the reader is back in its parent, or
 *   on an error.
 */
const char *
_matrix_json_reader_next_member (MatrixJsonReader *reader)
{
  Parser *parser = &reader->parser;

  if (!reader_next (reader, '}', "expected ',' or '}' in an object"))
    return NULL;
  parser->scratch_len = 0;
  if (!read_member_name (parser))
    return NULL;
  return parser->scratch;
}

/* Moves to the next element of the array the reader is in: FALSE past its
 * end (the reader is back in its parent) or on an error. */
gboolean
_matrix_json_reader_next_element (MatrixJsonReader *reader)
{
  return reader_next (reader, ']', "expected ',' or ']' in an array");
}

/* Reads the next value whole, as a json-glib tree (NULL on an error). */
JsonNode *
_matrix_json_reader_read_node (MatrixJsonReader *reader)
{
  JsonNode *node = NULL;

  if (reader->error == NULL)
    read_value (&reader->parser, &node);
  return node;
}

/**
 * _matrix_json_reader_read_string:
 *
 * Reads the next value if it is a string.
 *
 * Returns: (transfer full) (nullable): the string, decoded; %NULL if the
 *   next value is not a string (it is then not read) or on an error
 */
char *
_matrix_json_reader_read_string (MatrixJsonReader *reader)
{
  Parser *parser = &reader->parser;
  gsize mark = parser->scratch_len;
  char *string;

  if (reader->error != NULL || parser->p == parser->end || *parser->p != '"' ||
      !read_string (parser))
    return NULL;
  string = g_memdup2 (parser->scratch + mark, parser->scratch_len - mark);
  parser->scratch_len = mark;
  return string;
}

/* Reads past the next value, checking it as JSON without building it. */
gboolean
_matrix_json_reader_skip (MatrixJsonReader *reader)
{
  return reader->error == NULL && read_value (&reader->parser, NULL);
}

/**
 * _matrix_json_reader_finish:
 *
 * Checks that only white space follows the top-level value, which the
 * reader must have read whole.
 *
 * Returns: %FALSE with the reader's error (a MATRIX_ERROR_INVALID_JSON) if
 *   the text is not JSON
 */
gboolean
_matrix_json_reader_finish (MatrixJsonReader  *reader,
                            GError           **error)
{
  if (reader->error == NULL)
    end_text (&reader->parser);
  if (reader->error != NULL)
    {
      g_propagate_error (error, g_steal_pointer (&reader->error));
      return FALSE;
    }
  return TRUE;
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
