/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "matrix.h"

G_BEGIN_DECLS

/* Where the examples keep their session: the file CONFAB_EXAMPLE_SESSION
 * names, or $XDG_CONFIG_HOME/matrix-glib-examples/session.json. The library
 * reads and writes it (matrix_memory_store_new_for_file()). */
char *example_session_default_path (void);

G_END_DECLS
