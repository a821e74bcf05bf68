/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <adwaita.h>

#include "matrix.h"

G_BEGIN_DECLS

#define CONFAB_TYPE_THREAD_WINDOW (confab_thread_window_get_type ())
G_DECLARE_FINAL_TYPE (ConfabThreadWindow, confab_thread_window, CONFAB, THREAD_WINDOW, AdwWindow)

/* A window on the thread of @root_event_id in @room: its messages, read
 * from the server as it opens, and an entry to answer in it. */
GtkWidget    *confab_thread_window_new        (GtkWindow   *parent,
                                               MatrixRoom  *room,
                                               const char  *root_event_id);
MatrixThread *confab_thread_window_get_thread (ConfabThreadWindow *self);

G_END_DECLS
