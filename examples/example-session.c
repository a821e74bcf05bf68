/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "example-session"

#include "example-session.h"

char *
example_session_default_path (void)
{
  const char *path = g_getenv ("CONFAB_EXAMPLE_SESSION");

  if (path != NULL)
    return g_strdup (path);

  return g_build_filename (g_get_user_config_dir (), "matrix-glib-examples", "session.json", NULL);
}
