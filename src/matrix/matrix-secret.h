/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

void matrix_secret_prefetch (const char *schema_name,
                             const char *user_id,
                             const char *homeserver);

G_END_DECLS
