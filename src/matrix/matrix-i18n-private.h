/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>

/* The library translates with the application's catalogue, without GTK. */
#ifndef GETTEXT_PACKAGE
#error "GETTEXT_PACKAGE must be defined by the build"
#endif

#define _(String) g_dgettext (GETTEXT_PACKAGE, String)
#define N_(String) (String)
