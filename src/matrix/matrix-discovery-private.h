/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "matrix-discovery.h"

G_BEGIN_DECLS

/* The scheme used for a bare server name ("https"); tests set "http" to
 * reach the fake homeserver. */
void _matrix_discovery_set_scheme (const char *scheme);

G_END_DECLS
