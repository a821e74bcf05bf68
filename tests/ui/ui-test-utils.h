/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <adwaita.h>

#include "test-utils.h"

G_BEGIN_DECLS

/* gtk_test_init, then the app's ConfabApplication registered, which runs
 * its real start-up (resources, types, style sheet, help overlay,
 * shortcuts) and nothing else; XDG_DATA_HOME points at a fresh temporary
 * folder. Needs a session bus (dbus-run-session), as the app does. */
void        ui_test_init          (int          *argc,
                                   char       ***argv);
/* As ui_test_init(), without starting the application: for a test that
 * sets up what its start-up meets first, then calls
 * ui_test_get_application(). */
void        ui_test_init_before_app (int          *argc,
                                     char       ***argv);
/* The application: one per test program, as in the app, registered (its
 * start-up run) at the first call. Windows made with it get its help
 * overlay and shortcuts. */
GtkApplication *ui_test_get_application (void);

/* Removes everything the app keeps in XDG_DATA_HOME (session.ini and the
 * stores), so that each test starts from an empty data folder. GLib caches
 * the folder's path for the process, so the folder itself stays. */
void        ui_test_clear_data_home (void);
/* Whether @path exists. */
gboolean    ui_test_path_exists     (const char *path);

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
