/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "fuzz-html"

#include <pango/pango.h>

#include "matrix.h"

#include "fuzz-targets.h"

/* Whatever the HTML, the result is well-formed GtkLabel markup (Pango markup
 * plus <a href>), its links are only the ones the sanitiser writes, and it
 * stays within a bounded size of its input; the same for the input taken as
 * a plain-text body with its URLs linked. */
void
confab_fuzz_html (const guint8 *data,
                  gsize         size)
{
  static gsize once = 0;
  static GRegex *links;
  g_autofree char *markup = NULL;
  g_autofree char *pango = NULL;
  g_autoptr(GError) error = NULL;

  if (g_once_init_enter (&once))
    {
      links = g_regex_new ("<a href=\"[^\"<>]*\">|</a>", 0, 0, NULL);
      g_once_init_leave (&once, 1);
    }

  markup = matrix_html_to_pango_markup ((const char *) data, size);
  g_assert_true (g_utf8_validate (markup, -1, NULL));
  g_assert_cmpuint (strlen (markup), <=, 64 * size + 64);

  pango = g_regex_replace_literal (links, markup, -1, 0, "", 0, NULL);
  if (!pango_parse_markup (pango, -1, 0, NULL, NULL, NULL, &error))
    g_error ("Invalid markup (%s) from the input; markup: %s", error->message, markup);

  /* The same bytes as a plain-text body, its bare URLs made links. */
  g_clear_pointer (&markup, g_free);
  g_clear_pointer (&pango, g_free);
  markup = matrix_text_to_pango_markup ((const char *) data, size);
  g_assert_true (g_utf8_validate (markup, -1, NULL));
  g_assert_cmpuint (strlen (markup), <=, 64 * size + 64);
  pango = g_regex_replace_literal (links, markup, -1, 0, "", 0, NULL);
  if (!pango_parse_markup (pango, -1, 0, NULL, NULL, NULL, &error))
    g_error ("Invalid markup (%s) from the plain text; markup: %s", error->message, markup);
}
