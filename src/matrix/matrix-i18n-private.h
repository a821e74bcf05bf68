/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* The library translates with a catalogue of its own (MATRIX_GETTEXT_PACKAGE,
 * "matrix-glib"), bound on first use: an application's textdomain() never
 * decides which strings the library finds, and no application has to bind
 * the library's domain. */

const char *_matrix_gettext  (const char *msgid) G_GNUC_FORMAT (1);
const char *_matrix_ngettext (const char *msgid,
                              const char *msgid_plural,
                              gulong      n) G_GNUC_FORMAT (1) G_GNUC_FORMAT (2);

#define _(String) _matrix_gettext (String)
#define N_(String) (String)

G_END_DECLS
