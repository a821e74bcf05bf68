/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <libintl.h>

#include "matrix-i18n-private.h"

#ifndef MATRIX_GETTEXT_PACKAGE
#error "MATRIX_GETTEXT_PACKAGE must be defined by the build"
#endif

static void
ensure_bound (void)
{
  static gsize bound = 0;

  if (g_once_init_enter (&bound))
    {
      bindtextdomain (MATRIX_GETTEXT_PACKAGE, MATRIX_LOCALEDIR);
      bind_textdomain_codeset (MATRIX_GETTEXT_PACKAGE, "UTF-8");
      g_once_init_leave (&bound, 1);
    }
}

const char *
_matrix_gettext (const char *msgid)
{
  ensure_bound ();
  return g_dgettext (MATRIX_GETTEXT_PACKAGE, msgid);
}

const char *
_matrix_ngettext (const char *msgid,
                  const char *msgid_plural,
                  gulong      n)
{
  ensure_bound ();
  return g_dngettext (MATRIX_GETTEXT_PACKAGE, msgid, msgid_plural, n);
}
