/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "matrix-event.h"

G_BEGIN_DECLS

char *matrix_html_to_pango_markup  (const char  *html,
                                    gssize       length);
char *matrix_event_dup_body_markup (MatrixEvent *event);

G_END_DECLS
