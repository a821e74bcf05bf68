/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gtk/gtk.h>

G_BEGIN_DECLS

#define CONFAB_STARTUP_REPORT_ENV "CONFAB_REPORT_STARTUP"

void confab_startup_report_watch (GtkWindow *window);

G_END_DECLS
