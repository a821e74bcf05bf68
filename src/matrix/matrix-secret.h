/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

void matrix_secret_prefetch (const char *schema_name,
                             const char *user_id,
                             const char *homeserver);

G_END_DECLS
