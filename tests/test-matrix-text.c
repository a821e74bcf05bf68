/* SPDX-License-Identifier: LGPL-2.1-or-later */
#define G_LOG_DOMAIN "test-matrix-text"

#include <string.h>

#include <pango/pango.h>

#include "matrix.h"

#define RLO "\u202E"
#define LRE "\u202A"
#define PDF "\u202C"
#define LRI "\u2066"
#define FSI "\u2068"
#define PDI "\u2069"
#define ACUTE "\u0301"

static guint
count_marks (const char *text)
{
  guint n = 0;

  for (const char *p = text; *p != '\0'; p = g_utf8_next_char (p))
    if (g_unichar_ismark (g_utf8_get_char (p)))
      n++;
  return n;
}

static void
test_preview_short_whole (void)
{
  g_autofree char *preview = matrix_text_preview ("hello", 10, 3);

  g_assert_cmpstr (preview, ==, "hello");
}

static void
test_preview_cuts_chars (void)
{
  g_autofree char *preview = matrix_text_preview ("hello world", 5, 0);

  g_assert_cmpstr (preview, ==, "hello…");
}

static void
test_preview_cuts_lines (void)
{
  g_autofree char *preview = matrix_text_preview ("a\nb\nc\nd", 100, 2);

  g_assert_cmpstr (preview, ==, "a\nb…");
}

/* The cut falls before the letter the marks belong to, never between them. */
static void
test_preview_grapheme_boundary (void)
{
  g_autofree char *preview = matrix_text_preview ("ab" "e" ACUTE ACUTE "z", 4, 0);
  g_autofree char *family = matrix_text_preview ("x👩\u200D💻y", 3, 0);

  g_assert_cmpstr (preview, ==, "ab…");
  g_assert_cmpstr (family, ==, "x…");
}

/* A megabyte of text: only its start is read. */
static void
test_preview_reads_only_start (void)
{
  g_autofree char *big = g_strnfill (1024 * 1024, 'x');
  g_autofree char *preview = matrix_text_preview (big, 100, 0);

  g_assert_cmpuint (g_utf8_strlen (preview, -1), ==, 101);
  g_assert_true (g_str_has_suffix (preview, "…"));
  g_assert_true (matrix_text_is_long (big, 4000, 30));
  g_assert_false (matrix_text_is_long ("short\ntext", 4000, 30));
}

/* An emoji costs several letters to lay out, and counts so. */
static void
test_preview_emoji_weigh_more (void)
{
  GString *emoji = g_string_new (NULL);
  g_autofree char *preview = NULL;

  for (guint i = 0; i < 100; i++)
    g_string_append (emoji, "😀");
  preview = matrix_text_preview (emoji->str, 80, 0);
  g_assert_cmpuint (g_utf8_strlen (preview, -1), <, 20);
  g_assert_true (matrix_text_is_long (emoji->str, 500, 0));
  g_string_free (emoji, TRUE);
}

static void
test_preview_invalid_utf8 (void)
{
  g_autofree char *preview = matrix_text_preview ("ab\xff\xfe" "cd", 10, 0);

  g_assert_true (g_utf8_validate (preview, -1, NULL));
}

static void
test_truncate_bytes (void)
{
  g_autofree char *fits = matrix_text_truncate_bytes ("abc", 3);
  g_autofree char *cut = matrix_text_truncate_bytes ("aé" ACUTE "b", 3);

  g_assert_cmpstr (fits, ==, "abc");
  /* "é" (two bytes) with its mark would need five: the cut comes before it. */
  g_assert_cmpstr (cut, ==, "a");
}

static void
test_bound_caps_marks (void)
{
  GString *zalgo = g_string_new ("a");
  g_autofree char *bounded = NULL;

  for (guint i = 0; i < 500; i++)
    g_string_append (zalgo, ACUTE);
  g_string_append (zalgo, "b" ACUTE ACUTE);
  bounded = matrix_text_bound (zalgo->str, -1);
  g_string_free (zalgo, TRUE);

  g_assert_cmpuint (count_marks (bounded), ==, MATRIX_TEXT_MAX_MARKS + 2);
  g_assert_true (g_str_has_prefix (bounded, "a" ACUTE));
  g_assert_true (g_str_has_suffix (bounded, "b" ACUTE ACUTE));
}

static void
test_bound_caps_joins (void)
{
  GString *chain = g_string_new ("👩");
  g_autofree char *bounded = NULL;
  guint joins = 0, longest = 0;
  gunichar previous = 0;

  for (guint i = 0; i < 1000; i++)
    g_string_append (chain, "\u200D👩");
  bounded = matrix_text_bound (chain->str, -1);
  g_string_free (chain, TRUE);

  /* The chain is broken into graphemes of at most so many joins. */
  for (const char *p = bounded; *p != '\0'; p = g_utf8_next_char (p))
    {
      gunichar c = g_utf8_get_char (p);

      if (c == 0x200D)
        {
          joins++;
          longest = MAX (longest, joins);
        }
      else if (previous != 0x200D)
        joins = 0;
      previous = c;
    }
  g_assert_cmpuint (longest, ==, MATRIX_TEXT_MAX_JOINS);
}

static void
test_bound_closes_override (void)
{
  g_autofree char *bounded = matrix_text_bound ("abc" RLO "def", -1);
  g_autofree char *nested = matrix_text_bound (FSI "a" LRE "b", -1);
  g_autofree char *lines = matrix_text_bound (RLO "a\nb", -1);

  g_assert_cmpstr (bounded, ==, "abc" RLO "def" PDF);
  g_assert_cmpstr (nested, ==, FSI "a" LRE "b" PDF PDI);
  g_assert_cmpstr (lines, ==, RLO "a" PDF "\nb");
}

/* A closer the text did not open would close what surrounds it. */
static void
test_bound_drops_stray_closers (void)
{
  g_autofree char *bounded = matrix_text_bound ("a" PDI PDF "b" LRE "c" PDI "d", -1);

  g_assert_cmpstr (bounded, ==, "ab" LRE "cd" PDF);
}

/* A PDI closes the embeddings opened inside its isolate as well; each gets
 * its own PDF before it, so that what is written nests. */
static void
test_bound_isolate_closes_embeddings (void)
{
  g_autofree char *bounded = matrix_text_bound (LRI "a" LRE "b" RLO "c" PDI "d" PDF, -1);

  g_assert_cmpstr (bounded, ==, LRI "a" LRE "b" RLO "c" PDF PDF PDI "d");
}

static void
test_break_runs (void)
{
  g_autofree char *word = g_strnfill (2 * MATRIX_TEXT_MAX_RUN + 10, 'w');
  g_autofree char *broken = matrix_text_break_runs (word, FALSE);
  g_autofree char *link = g_strdup_printf ("<a href=\"https://x/%s\">%s</a> &amp; ok", word, word);
  g_autofree char *broken_link = matrix_text_break_runs (link, TRUE);
  g_auto(GStrv) pieces = g_strsplit (broken, "\u200B", -1);
  g_autofree char *short_text = matrix_text_break_runs ("short words stay", FALSE);

  g_assert_cmpuint (g_strv_length (pieces), ==, 3);
  g_assert_cmpuint (strlen (pieces[0]), ==, MATRIX_TEXT_MAX_RUN);
  g_assert_cmpstr (short_text, ==, "short words stay");
  /* The link's target is kept whole; its text is broken. */
  {
    g_autofree char *target = g_strdup_printf ("<a href=\"https://x/%s\">", word);

    g_assert_true (g_str_has_prefix (broken_link, target));
  }
  g_assert_true (g_str_has_suffix (broken_link, "</a> &amp; ok"));
}

static void
test_isolate (void)
{
  g_autofree char *isolated = matrix_text_isolate ("Mallory" RLO);
  g_autofree char *line = g_strdup_printf ("%s: hi", isolated);

  g_assert_cmpstr (isolated, ==, FSI "Mallory" RLO PDF PDI);
  /* The override ends before the colon that follows the name. */
  g_assert_true (g_str_has_suffix (line, PDF PDI ": hi"));
}

static void
test_isolate_markup_stays_markup (void)
{
  g_autofree char *isolated = matrix_text_isolate ("<b>x" RLO "</b> &amp; y");

  g_assert_true (pango_parse_markup (isolated, -1, 0, NULL, NULL, NULL, NULL));
}

static void
test_name_strips_invisible (void)
{
  g_autofree char *name = matrix_text_dup_name ("  Al\u200Bice\u2060 " RLO "\u00AD  B\tob\n");
  g_autofree char *blank = matrix_text_dup_name ("\u200B\u3164 \u2800\u200D");
  g_autofree char *coder = matrix_text_dup_name ("dev 👩\u200D💻");

  g_assert_cmpstr (name, ==, "Alice B ob");
  g_assert_null (blank);
  g_assert_cmpstr (coder, ==, "dev 👩\u200D💻");
}

static void
test_name_capped (void)
{
  g_autofree char *long_name = g_strnfill (100000, 'n');
  g_autofree char *name = matrix_text_dup_name (long_name);
  GString *zalgo = g_string_new ("z");
  g_autofree char *marked = NULL;

  for (guint i = 0; i < 100; i++)
    g_string_append (zalgo, ACUTE);
  marked = matrix_text_dup_name (zalgo->str);
  g_string_free (zalgo, TRUE);

  g_assert_cmpuint (strlen (name), ==, MATRIX_TEXT_MAX_NAME_BYTES);
  g_assert_cmpuint (count_marks (marked), ==, MATRIX_TEXT_MAX_MARKS);
}

static void
test_looks_like_user_id (void)
{
  g_assert_true (matrix_text_looks_like_user_id ("@bob:example.org"));
  g_assert_false (matrix_text_looks_like_user_id ("Bob"));
  g_assert_false (matrix_text_looks_like_user_id ("@bob"));
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/matrix/text/preview/short-is-whole", test_preview_short_whole);
  g_test_add_func ("/matrix/text/preview/cuts-at-chars", test_preview_cuts_chars);
  g_test_add_func ("/matrix/text/preview/cuts-at-lines", test_preview_cuts_lines);
  g_test_add_func ("/matrix/text/preview/cuts-at-grapheme-boundary", test_preview_grapheme_boundary);
  g_test_add_func ("/matrix/text/preview/reads-only-its-start", test_preview_reads_only_start);
  g_test_add_func ("/matrix/text/preview/emoji-weigh-more", test_preview_emoji_weigh_more);
  g_test_add_func ("/matrix/text/preview/invalid-utf8-made-valid", test_preview_invalid_utf8);
  g_test_add_func ("/matrix/text/truncate-bytes/at-grapheme-boundary", test_truncate_bytes);
  g_test_add_func ("/matrix/text/bound/caps-stacked-marks", test_bound_caps_marks);
  g_test_add_func ("/matrix/text/bound/caps-emoji-joins", test_bound_caps_joins);
  g_test_add_func ("/matrix/text/bound/closes-overrides-and-isolates", test_bound_closes_override);
  g_test_add_func ("/matrix/text/bound/drops-stray-closers", test_bound_drops_stray_closers);
  g_test_add_func ("/matrix/text/bound/isolate-closes-its-embeddings", test_bound_isolate_closes_embeddings);
  g_test_add_func ("/matrix/text/break-runs/long-words-get-a-break", test_break_runs);
  g_test_add_func ("/matrix/text/isolate/override-ends-inside", test_isolate);
  g_test_add_func ("/matrix/text/isolate/markup-stays-markup", test_isolate_markup_stays_markup);
  g_test_add_func ("/matrix/text/name/strips-invisible", test_name_strips_invisible);
  g_test_add_func ("/matrix/text/name/capped", test_name_capped);
  g_test_add_func ("/matrix/text/name/looks-like-user-id", test_looks_like_user_id);

  return g_test_run ();
}
