/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "confab-ui"

#include "config.h"

#include "confab-ui.h"

#include "confab-composer.h"
#include "confab-event-row.h"
#include "confab-login-page.h"
#include "confab-resources.h"
#include "confab-room-row.h"
#include "confab-timeline-view.h"
#include "confab-verify-banner.h"
#include "confab-window.h"

void
confab_ui_init (void)
{
  static gsize initialized = 0;

  if (g_once_init_enter (&initialized))
    {
      /* The resources live in a static library: registered by hand, since
       * a constructor in an object nothing references would be dropped by
       * the linker. */
      confab_register_resource ();

      g_type_ensure (CONFAB_TYPE_COMPOSER);
      g_type_ensure (CONFAB_TYPE_EVENT_ROW);
      g_type_ensure (CONFAB_TYPE_LOGIN_PAGE);
      g_type_ensure (CONFAB_TYPE_ROOM_ROW);
      g_type_ensure (CONFAB_TYPE_TIMELINE_VIEW);
      g_type_ensure (CONFAB_TYPE_VERIFY_BANNER);
      g_type_ensure (CONFAB_TYPE_WINDOW);

      g_once_init_leave (&initialized, 1);
    }
}
