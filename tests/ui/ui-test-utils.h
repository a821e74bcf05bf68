/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <adwaita.h>

#include "test-utils.h"

G_BEGIN_DECLS

/* gtk_test_init + libadwaita + the app's resources, types and style sheet;
 * XDG_DATA_HOME points at a fresh temporary folder. */
void        ui_test_init          (int          *argc,
                                   char       ***argv);

typedef gboolean (*UiTestPredicate) (gpointer data);

/* Iterates the main context until @predicate holds; fails the test after
 * @timeout_ms. */
void        ui_wait_until         (UiTestPredicate predicate,
                                   gpointer        data,
                                   guint           timeout_ms,
                                   const char     *what);
/* Lets pending layout and drawing happen: iterates until the frame clock of
 * @widget has painted @n_frames more frames. */
void        ui_wait_frames        (GtkWidget    *widget,
                                   guint         n_frames);

/* Every mapped widget of @type under @root, in depth-first order. */
GPtrArray  *ui_find_widgets       (GtkWidget    *root,
                                   GType         type);
/* The text of the template child @name (a GtkLabel) of @widget. */
const char *ui_child_label        (GtkWidget    *widget,
                                   GType         type,
                                   const char   *name);
gboolean    ui_child_visible      (GtkWidget    *widget,
                                   GType         type,
                                   const char   *name);

/* Renders @widget as it is on screen to @name in the test build folder and
 * returns the path. */
char       *ui_save_png           (GtkWidget    *widget,
                                   const char   *name);

G_END_DECLS
