/* SPDX-License-Identifier: LGPL-2.1-or-later */
#define G_LOG_DOMAIN "matrix-text"

#include <string.h>

#include "matrix-text.h"

/**
 * SECTION:matrix-text
 *
 * Text from the network, made cheap and honest to show. Anyone in a room
 * chooses what its members' screens lay out: a message of 60 KB without a
 * space, a letter carrying hundreds of combining marks, a right-to-left
 * override that reverses whatever the application writes after it, a name
 * of zero-width characters. These functions bound what a text can cost to
 * shape and stop it from reaching past itself: they cut at grapheme
 * boundaries, cap stacked marks and joined emoji per grapheme, and close
 * every bidirectional embedding, override and isolate a text opens.
 *
 * Grapheme boundaries are approximated: a cut never separates a character
 * from the combining marks, variation selectors, emoji modifiers and tags
 * that follow it, nor the two sides of a zero-width joiner.
 */

#define ZWJ 0x200D
#define PDF 0x202C
#define PDI 0x2069
/* Deeper than any real text nests (the Unicode Bidirectional Algorithm
 * allows 125): each level is a run of its own to shape. */
#define MAX_BIDI_DEPTH 16
/* What a character costs in a preview's length; an emoji costs as much as
 * this many letters to shape, a color glyph of layers from a large font. */
#define EMOJI_WEIGHT 8

static gboolean
is_extender (gunichar c)
{
  return g_unichar_ismark (c) ||
         c == ZWJ || c == 0x200C ||
         (c >= 0xFE00 && c <= 0xFE0F) ||
         (c >= 0xE0100 && c <= 0xE01EF) ||
         (c >= 0x1F3FB && c <= 0x1F3FF) ||
         (c >= 0xE0020 && c <= 0xE007F);
}

/* Whether a grapheme can start at @p, inside @start. */
static gboolean
is_boundary (const char *start,
             const char *p)
{
  if (p <= start || *p == '\0')
    return TRUE;
  if (is_extender (g_utf8_get_char (p)))
    return FALSE;
  return g_utf8_get_char (g_utf8_prev_char (p)) != ZWJ;
}

/* The last grapheme boundary at or before @p. */
static const char *
boundary_before (const char *start,
                 const char *p)
{
  while (p > start && !is_boundary (start, p))
    p = g_utf8_prev_char (p);
  return p;
}

/* Valid UTF-8 of at most about @max_bytes bytes of @text; the rest of a
 * long text is never read. */
static char *
valid_prefix (const char *text,
              gsize       max_bytes,
              gboolean   *more)
{
  gsize length = strnlen (text, max_bytes + 1);

  if (more != NULL)
    *more = text[length] != '\0';
  return g_utf8_make_valid (text, length);
}

/**
 * matrix_text_truncate_bytes:
 * @text: UTF-8 text (invalid sequences are replaced)
 * @max_bytes: the most bytes to keep
 *
 * @text cut to at most @max_bytes bytes at a grapheme boundary.
 *
 * Returns: (transfer full): the text, whole if it fits
 */
char *
matrix_text_truncate_bytes (const char *text,
                            gsize       max_bytes)
{
  g_autofree char *valid = NULL;
  const char *end;

  g_return_val_if_fail (text != NULL, NULL);

  /* Enough to see whether the character at the cut belongs to the one before. */
  valid = valid_prefix (text, max_bytes + 4, NULL);
  if (strlen (valid) <= max_bytes)
    return g_steal_pointer (&valid);

  end = valid + max_bytes;
  while (end > valid && (*end & 0xC0) == 0x80)
    end--;
  end = boundary_before (valid, end);
  return g_strndup (valid, end - valid);
}

static gboolean
is_emoji (gunichar c)
{
  return (c >= 0x1F000 && c <= 0x1FAFF) || (c >= 0x2600 && c <= 0x27BF) || c == ZWJ;
}

/* Where a preview of at most @max_chars characters (an emoji counting as
 * %EMOJI_WEIGHT) and @max_lines lines (0: any) of @text ends, at a
 * grapheme boundary. */
static const char *
preview_end (const char *text,
             gsize       max_chars,
             guint       max_lines)
{
  const char *p = text;
  gsize chars = 0;
  guint lines = 1;

  while (*p != '\0')
    {
      gsize weight = is_emoji (g_utf8_get_char (p)) ? EMOJI_WEIGHT : 1;

      if (chars + weight > max_chars)
        return boundary_before (text, p);
      if (*p == '\n' && max_lines > 0 && ++lines > max_lines)
        return p;
      p = g_utf8_next_char (p);
      chars += weight;
    }
  return p;
}

/**
 * matrix_text_is_long:
 * @text: UTF-8 text
 * @max_chars: the most characters a short text has
 * @max_lines: the most lines a short text has, or 0 for any
 *
 * Whether @text has more than @max_chars characters or @max_lines lines,
 * an emoji counting as several characters as for matrix_text_preview().
 * It reads no further than that.
 *
 * Returns: %TRUE if it is longer
 */
gboolean
matrix_text_is_long (const char *text,
                     gsize       max_chars,
                     guint       max_lines)
{
  g_autofree char *valid = NULL;
  gboolean more;

  g_return_val_if_fail (text != NULL, FALSE);

  valid = valid_prefix (text, 4 * max_chars + 4, &more);
  return more || *preview_end (valid, max_chars, max_lines) != '\0';
}

/**
 * matrix_text_preview:
 * @text: UTF-8 text (invalid sequences are replaced)
 * @max_chars: the most characters to keep
 * @max_lines: the most lines to keep, or 0 for any
 *
 * The start of @text, for a place that shows only a start (a list of
 * rooms, a notification, a quote, a long message folded): at most
 * @max_chars characters and @max_lines lines, cut at a grapheme boundary
 * (an emoji counts as several characters: it costs as much to lay out)
 * and followed by "…" when cut. Only that start of @text is read.
 *
 * Returns: (transfer full): the preview
 */
char *
matrix_text_preview (const char *text,
                     gsize       max_chars,
                     guint       max_lines)
{
  g_autofree char *valid = NULL;
  char *end;
  gboolean more;

  g_return_val_if_fail (text != NULL, NULL);

  /* A character is at most four bytes, and one more shows whether it was cut. */
  valid = valid_prefix (text, 4 * max_chars + 4, &more);
  end = (char *) preview_end (valid, max_chars, max_lines);
  if (!more && *end == '\0')
    return g_steal_pointer (&valid);

  valid[end - valid] = '\0';
  return g_strconcat (valid, "…", NULL);
}

typedef struct {
  char  stack[MAX_BIDI_DEPTH];
  guint depth;
  guint dropped_embeddings;
  guint dropped_isolates;
} Bidi;

static void
bidi_close_all (Bidi    *bidi,
                GString *out)
{
  while (bidi->depth > 0)
    g_string_append_unichar (out, bidi->stack[--bidi->depth] == 'I' ? PDI : PDF);
  bidi->dropped_embeddings = bidi->dropped_isolates = 0;
}

/* Whether @c, a bidirectional control, is written out: only closers that
 * close something this text opened are. A PDI that closes its isolate
 * closes the embeddings opened inside it too: their PDFs are written
 * first, so that every opener has its own closer, nested. */
static gboolean
bidi_take (Bidi     *bidi,
           gunichar  c,
           GString  *out)
{
  gboolean isolate_opener = c >= 0x2066 && c <= 0x2068;

  if ((c >= 0x202A && c <= 0x202E && c != PDF) || isolate_opener)
    {
      if (bidi->depth == MAX_BIDI_DEPTH)
        {
          if (isolate_opener)
            bidi->dropped_isolates++;
          else
            bidi->dropped_embeddings++;
          return FALSE;
        }
      bidi->stack[bidi->depth++] = isolate_opener ? 'I' : 'E';
      return TRUE;
    }

  if (c == PDF)
    {
      if (bidi->dropped_embeddings > 0)
        {
          bidi->dropped_embeddings--;
          return FALSE;
        }
      if (bidi->depth == 0 || bidi->stack[bidi->depth - 1] != 'E')
        return FALSE;
      bidi->depth--;
      return TRUE;
    }

  /* A PDI closes its isolate and any embedding opened inside it. */
  if (bidi->dropped_isolates > 0)
    {
      bidi->dropped_isolates--;
      return FALSE;
    }
  if (memchr (bidi->stack, 'I', bidi->depth) == NULL)
    return FALSE;
  while (bidi->stack[--bidi->depth] != 'I')
    g_string_append_unichar (out, PDF);
  return TRUE;
}

static gboolean
is_bidi_control (gunichar c)
{
  return (c >= 0x202A && c <= 0x202E) || (c >= 0x2066 && c <= 0x2069);
}

/**
 * matrix_text_bound:
 * @text: UTF-8 text or Pango markup (invalid sequences are replaced)
 * @length: its length in bytes, or -1 if NUL-terminated
 *
 * @text made bounded to shape and unable to reach past its end: at most
 * %MATRIX_TEXT_MAX_MARKS combining marks on a character and
 * %MATRIX_TEXT_MAX_JOINS zero-width joiners in a grapheme (the rest are
 * dropped), and every bidirectional embedding, override or isolate it
 * opens closed at the end of its line, the closers it has that close
 * nothing dropped. Only non-ASCII characters are dropped or added, so
 * markup stays markup.
 *
 * Returns: (transfer full): the bounded text
 */
char *
matrix_text_bound (const char *text,
                   gssize      length)
{
  g_autofree char *valid = NULL;
  GString *out;
  Bidi bidi = { { 0 }, 0, 0, 0 };
  guint marks = 0, joins = 0;
  gunichar previous = 0;

  g_return_val_if_fail (text != NULL || length == 0, NULL);

  valid = g_utf8_make_valid (text != NULL ? text : "", length);
  out = g_string_sized_new (strlen (valid) + 8);

  for (const char *p = valid; *p != '\0'; p = g_utf8_next_char (p))
    {
      gunichar c = g_utf8_get_char (p);

      if (c == '\n' || c == 0x2029)
        {
          bidi_close_all (&bidi, out);
        }
      else if (is_bidi_control (c))
        {
          if (!bidi_take (&bidi, c, out))
            continue;
        }
      else if (g_unichar_ismark (c))
        {
          if (++marks > MATRIX_TEXT_MAX_MARKS)
            continue;
        }
      else if (c == ZWJ)
        {
          if (++joins > MATRIX_TEXT_MAX_JOINS)
            continue;
        }
      else if (!is_extender (c) && previous != ZWJ)
        {
          marks = 0;
          joins = 0;
        }

      g_string_append_unichar (out, c);
      previous = c;
    }
  bidi_close_all (&bidi, out);

  return g_string_free (out, FALSE);
}

/**
 * matrix_text_break_runs:
 * @text: UTF-8 text (invalid sequences are replaced), or Pango markup if @markup
 * @markup: whether @text is markup, whose tags and entities are kept whole
 *
 * @text with a ZERO WIDTH SPACE after every %MATRIX_TEXT_MAX_RUN
 * characters of a run without white space, where a grapheme ends. A
 * wrapping layout breaks a line inside a word only by trying each
 * character of it in turn, again on every line: a word of 60,000
 * characters takes seconds to lay out, and the same word in pieces a few
 * milliseconds. Copied, the text keeps the spaces.
 *
 * Returns: (transfer full): the text
 */
char *
matrix_text_break_runs (const char *text,
                        gboolean    markup)
{
  g_autofree char *valid = NULL;
  GString *out;
  guint run = 0;
  gunichar previous = 0;

  g_return_val_if_fail (text != NULL, NULL);

  valid = g_utf8_make_valid (text, -1);
  out = g_string_sized_new (strlen (valid) + strlen (valid) / MATRIX_TEXT_MAX_RUN * 3 + 1);
  for (const char *p = valid; *p != '\0'; )
    {
      gunichar c = g_utf8_get_char (p);
      const char *next = g_utf8_next_char (p);

      if (markup && (c == '<' || c == '&'))
        {
          const char *end = strchr (p, c == '<' ? '>' : ';');

          next = end != NULL ? end + 1 : p + strlen (p);
          g_string_append_len (out, p, next - p);
          if (c == '<')
            {
              p = next;
              continue;
            }
        }
      else if (g_unichar_isspace (c) || c == 0x200B)
        {
          run = 0;
          g_string_append_len (out, p, next - p);
        }
      else
        {
          if (run >= MATRIX_TEXT_MAX_RUN && !is_extender (c) && previous != ZWJ)
            {
              g_string_append (out, "\u200B");
              run = 0;
            }
          g_string_append_len (out, p, next - p);
        }
      run++;
      previous = c;
      p = next;
    }
  return g_string_free (out, FALSE);
}

/**
 * matrix_text_isolate:
 * @text: UTF-8 text or Pango markup
 *
 * @text bounded (matrix_text_bound()) and set between FIRST STRONG
 * ISOLATE and POP DIRECTIONAL ISOLATE, so that text placed around it keeps
 * its own direction whatever @text holds: "%s: %s" with a name that ends
 * in a right-to-left override still reads name, colon, message.
 *
 * Returns: (transfer full): the isolated text
 */
char *
matrix_text_isolate (const char *text)
{
  g_autofree char *bounded = NULL;

  g_return_val_if_fail (text != NULL, NULL);

  bounded = matrix_text_bound (text, -1);
  return g_strconcat ("\u2068", bounded, "\u2069", NULL);
}

/* Characters that show nothing, or only space, and so can make a name look
 * like another one or like nothing at all. */
static gboolean
is_invisible (gunichar c)
{
  switch (g_unichar_type (c))
    {
    case G_UNICODE_CONTROL:
    case G_UNICODE_FORMAT:
    case G_UNICODE_UNASSIGNED:
    case G_UNICODE_PRIVATE_USE:
    case G_UNICODE_SURROGATE:
    case G_UNICODE_LINE_SEPARATOR:
    case G_UNICODE_PARAGRAPH_SEPARATOR:
      return TRUE;
    default:
      break;
    }
  /* Hangul fillers, the Mongolian vowel separator, the blank Braille pattern. */
  return c == 0x115F || c == 0x1160 || c == 0x3164 || c == 0xFFA0 || c == 0x180E ||
         c == 0x2800;
}

/* An emoji's zero-width joiner (👩‍💻) is kept; any other is invisible. */
static gboolean
is_emoji_join (gunichar previous,
               const char *next)
{
  gunichar following = *next != '\0' ? g_utf8_get_char (next) : 0;

  return previous >= 0x2600 && following >= 0x2600;
}

/**
 * matrix_text_dup_name:
 * @name: a display name (a member's, a room's), from the network
 *
 * @name as a name to show: invisible characters (controls, formatting
 * characters such as zero-width spaces and bidirectional controls, fillers)
 * removed, runs of white space made one space and trimmed, cut to
 * %MATRIX_TEXT_MAX_NAME_BYTES bytes, and bounded (matrix_text_bound()).
 *
 * Returns: (transfer full) (nullable): the name, or %NULL if nothing visible
 *   is left of it
 */
char *
matrix_text_dup_name (const char *name)
{
  g_autofree char *valid = NULL;
  g_autofree char *cut = NULL;
  GString *clean;
  gunichar previous = 0;
  gboolean space = FALSE;

  g_return_val_if_fail (name != NULL, NULL);

  /* A name longer than a few times the limit is cut before it is read. */
  valid = valid_prefix (name, 16 * MATRIX_TEXT_MAX_NAME_BYTES, NULL);
  clean = g_string_new (NULL);
  for (const char *p = valid; *p != '\0'; p = g_utf8_next_char (p))
    {
      gunichar c = g_utf8_get_char (p);

      if (g_unichar_isspace (c) || g_unichar_type (c) == G_UNICODE_SPACE_SEPARATOR)
        {
          space = clean->len > 0;
          continue;
        }
      if (is_invisible (c) && !(c == ZWJ && is_emoji_join (previous, g_utf8_next_char (p))))
        continue;
      if (space)
        g_string_append_c (clean, ' ');
      space = FALSE;
      g_string_append_unichar (clean, c);
      previous = c;
    }

  if (clean->len == 0)
    {
      g_string_free (clean, TRUE);
      return NULL;
    }

  cut = matrix_text_truncate_bytes (clean->str, MATRIX_TEXT_MAX_NAME_BYTES);
  g_string_free (clean, TRUE);
  return matrix_text_bound (cut, -1);
}

/**
 * matrix_text_looks_like_user_id:
 * @name: a display name
 *
 * Whether @name could be taken for a Matrix user id ("@bob:example.org"),
 * in which case the spec asks that it be shown with the member's real id.
 *
 * Returns: %TRUE if it looks like one
 */
gboolean
matrix_text_looks_like_user_id (const char *name)
{
  g_return_val_if_fail (name != NULL, FALSE);

  return name[0] == '@' && strchr (name + 1, ':') != NULL;
}
