/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

char *matrix_markdown_to_html (const char *markdown);

G_END_DECLS
