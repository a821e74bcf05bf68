/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "fuzz-text"

#include <string.h>

#include <pango/pango.h>

#include "matrix.h"

#include "fuzz-targets.h"

/* Whether every embedding, override and isolate @text opens is closed
 * before its line ends, and nothing closes what it did not open. */
static gboolean
bidi_balanced (const char *text)
{
  char stack[256];
  guint depth = 0;

  for (const char *p = text; *p != '\0'; p = g_utf8_next_char (p))
    {
      gunichar c = g_utf8_get_char (p);

      if ((c >= 0x202A && c <= 0x202E && c != 0x202C) || (c >= 0x2066 && c <= 0x2068))
        {
          if (depth == sizeof stack)
            return FALSE;
          stack[depth++] = c >= 0x2066 ? 'I' : 'E';
        }
      else if (c == 0x202C)
        {
          if (depth == 0 || stack[--depth] != 'E')
            return FALSE;
        }
      else if (c == 0x2069)
        {
          if (depth == 0 || stack[--depth] != 'I')
            return FALSE;
        }
      else if ((c == '\n' || c == 0x2029) && depth != 0)
        return FALSE;
    }
  return depth == 0;
}

static guint
max_marks_on_a_character (const char *text)
{
  guint run = 0, longest = 0;

  for (const char *p = text; *p != '\0'; p = g_utf8_next_char (p))
    {
      gunichar c = g_utf8_get_char (p);

      if (g_unichar_ismark (c))
        {
          run++;
          longest = MAX (longest, run);
        }
      else if (!(c >= 0x2066 && c <= 0x2069) && !(c >= 0x202A && c <= 0x202E))
        run = 0;
    }
  return longest;
}

/* Whatever the bytes, what the text functions return is valid UTF-8 within
 * its bounds: a preview no longer than asked, a name within its bytes and
 * with nothing invisible, a bounded text with at most so many marks on a
 * character and every bidirectional control it opens closed. */
void
confab_fuzz_text (const guint8 *data,
                  gsize         size)
{
  g_autofree char *text = g_strndup ((const char *) data, size);
  g_autofree char *preview = matrix_text_preview (text, 64, 3);
  g_autofree char *cut = matrix_text_truncate_bytes (text, 100);
  g_autofree char *bounded = matrix_text_bound ((const char *) data, size);
  g_autofree char *isolated = matrix_text_isolate (text);
  g_autofree char *name = matrix_text_dup_name (text);
  g_autofree char *broken = matrix_text_break_runs (text, FALSE);
  g_autofree char *markup = matrix_text_to_pango_markup (text, -1);
  g_autofree char *broken_markup = matrix_text_break_runs (markup, TRUE);
  guint run = 0;

  g_assert_true (g_utf8_validate (preview, -1, NULL));
  g_assert_cmpuint (g_utf8_strlen (preview, -1), <=, 65);
  g_assert_true (g_utf8_validate (cut, -1, NULL));
  g_assert_cmpuint (strlen (cut), <=, 100);

  g_assert_true (g_utf8_validate (bounded, -1, NULL));
  g_assert_true (bidi_balanced (bounded));
  g_assert_cmpuint (max_marks_on_a_character (bounded), <=, MATRIX_TEXT_MAX_MARKS);

  g_assert_true (g_str_has_prefix (isolated, "\u2068"));
  g_assert_true (g_str_has_suffix (isolated, "\u2069"));
  isolated[strlen (isolated) - strlen ("\u2069")] = '\0';
  g_assert_true (bidi_balanced (isolated + strlen ("\u2068")));

  /* No run of more than so many characters without a place to break, and
   * markup stays markup (links aside, which Pango does not know). */
  g_assert_true (g_utf8_validate (broken, -1, NULL));
  for (const char *p = broken; *p != '\0'; p = g_utf8_next_char (p))
    {
      gunichar c = g_utf8_get_char (p);

      run = g_unichar_isspace (c) || c == 0x200B ? 0 : run + 1;
      /* A grapheme is not cut: its marks and joins (capped only by bound) may follow. */
      if (!g_unichar_ismark (c) && c != 0x200D && c < 0xFE00)
        g_assert_cmpuint (run, <=, 4 * MATRIX_TEXT_MAX_RUN + 1024);
    }
  if (strstr (markup, "<a ") == NULL)
    g_assert_true (pango_parse_markup (broken_markup, -1, 0, NULL, NULL, NULL, NULL));

  if (name != NULL)
    {
      g_assert_true (g_utf8_validate (name, -1, NULL));
      g_assert_cmpuint (strlen (name), <=, MATRIX_TEXT_MAX_NAME_BYTES + 64);
      g_assert_true (bidi_balanced (name));
      g_assert_null (strstr (name, "\u200B"));
      g_assert_null (strchr (name, '\n'));
      (void) matrix_text_looks_like_user_id (name);
    }

  /* A blurhash is a text from a message too: painted only when valid. */
  {
    g_autoptr(GError) error = NULL;
    g_autoptr(GBytes) pixels = matrix_blurhash_decode (text, 8, 8, &error);

    g_assert_true ((pixels != NULL) == matrix_blurhash_is_valid (text));
    g_assert_true ((pixels != NULL) == (error == NULL));
    if (pixels != NULL)
      g_assert_cmpuint (g_bytes_get_size (pixels), ==, 8 * 8 * 3);
  }
}
