/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "ui-test-utils"

#include <glib/gstdio.h>

#include "confab-application.h"
#include "ui-test-utils.h"

static ConfabApplication *application;

void
ui_test_init_before_app (int    *argc,
                         char ***argv)
{
  g_autofree char *data_home = NULL;
  g_autofree char *cache_home = NULL;

  data_home = g_dir_make_tmp ("confab-ui-test-XXXXXX", NULL);
  g_assert_nonnull (data_home);
  g_setenv ("XDG_DATA_HOME", data_home, TRUE);
  /* Inside the data folder, so that ui_test_clear_data_home() clears it. */
  cache_home = g_build_filename (data_home, "cache", NULL);
  g_setenv ("XDG_CACHE_HOME", cache_home, TRUE);

  gtk_test_init (argc, argv, NULL);

  /* Renders show the final state, not a frame of a transition. */
  g_object_set (gtk_settings_get_default (), "gtk-enable-animations", FALSE, NULL);

  g_set_application_name ("Confab");
}

void
ui_test_init (int    *argc,
              char ***argv)
{
  ui_test_init_before_app (argc, argv);
  ui_test_get_application ();
}

/* The app's own start-up, as g_application_run() begins it: resources,
 * types, style sheet, help overlay and shortcuts come from there, never
 * from the tests. Registered when a test first asks for it, so a test can
 * set up what the start-up meets first (a frozen keyring, a stored
 * session); activate (the first window) is left to each test. */
GtkApplication *
ui_test_get_application (void)
{
  if (application == NULL)
    {
      g_autoptr(GError) error = NULL;

      application = confab_application_new ();
      g_assert_true (g_application_register (G_APPLICATION (application), NULL, &error));
      g_assert_no_error (error);
      g_assert_false (g_application_get_is_remote (G_APPLICATION (application)));
    }
  return GTK_APPLICATION (application);
}

static void
remove_tree (const char *path)
{
  GDir *dir = g_dir_open (path, 0, NULL);
  const char *name;

  if (dir != NULL)
    {
      while ((name = g_dir_read_name (dir)) != NULL)
        {
          g_autofree char *child = g_build_filename (path, name, NULL);

          remove_tree (child);
        }
      g_dir_close (dir);
      g_assert_cmpint (g_rmdir (path), ==, 0);
    }
  else if (g_file_test (path, G_FILE_TEST_EXISTS | G_FILE_TEST_IS_SYMLINK))
    g_assert_cmpint (g_remove (path), ==, 0);
}

void
ui_test_clear_data_home (void)
{
  g_autofree char *dir = g_build_filename (g_get_user_data_dir (), "confab", NULL);

  remove_tree (dir);
}

gboolean
ui_test_path_exists (const char *path)
{
  return g_file_test (path, G_FILE_TEST_EXISTS);
}

static gboolean
on_deadline (gpointer user_data)
{
  gboolean *expired = user_data;

  *expired = TRUE;
  return G_SOURCE_REMOVE;
}

static gboolean
on_tick (gpointer user_data)
{
  return G_SOURCE_CONTINUE;
}

void
ui_wait_until (UiTestPredicate  predicate,
               gpointer         data,
               guint            timeout_ms,
               const char      *what)
{
  gboolean expired = FALSE;
  guint source = g_timeout_add (timeout_ms, on_deadline, &expired);
  /* What a worker thread changes wakes no main loop: look every 10 ms. */
  guint tick = g_timeout_add (10, on_tick, NULL);

  while (!predicate (data) && !expired)
    g_main_context_iteration (NULL, TRUE);

  g_source_remove (tick);
  if (expired && !predicate (data))
    g_error ("Not reached within %u ms: %s", timeout_ms, what);

  if (!expired)
    g_source_remove (source);
}

typedef struct {
  guint n;
} FrameCount;

static void
on_after_paint (GdkFrameClock *clock,
                FrameCount    *count)
{
  count->n++;
}

void
ui_wait_frames (GtkWidget *widget,
                guint      n_frames)
{
  GdkFrameClock *clock = gtk_widget_get_frame_clock (widget);
  FrameCount count = { 0 };
  gboolean expired = FALSE;
  guint source;
  gulong handler;

  g_assert_nonnull (clock);
  handler = g_signal_connect (clock, "after-paint", G_CALLBACK (on_after_paint), &count);
  source = g_timeout_add (5000, on_deadline, &expired);

  while (count.n < n_frames && !expired)
    {
      gtk_widget_queue_draw (widget);
      g_main_context_iteration (NULL, TRUE);
    }

  g_signal_handler_disconnect (clock, handler);
  if (expired)
    g_error ("%u frames not painted within 5 s", n_frames);
  g_source_remove (source);
}

static void
find_widgets (GtkWidget *widget,
              GType      type,
              GPtrArray *found)
{
  if (!gtk_widget_get_mapped (widget))
    return;

  if (G_TYPE_CHECK_INSTANCE_TYPE (widget, type))
    g_ptr_array_add (found, widget);

  for (GtkWidget *child = gtk_widget_get_first_child (widget);
       child != NULL;
       child = gtk_widget_get_next_sibling (child))
    find_widgets (child, type, found);
}

GPtrArray *
ui_find_widgets (GtkWidget *root,
                 GType      type)
{
  GPtrArray *found = g_ptr_array_new ();

  find_widgets (root, type, found);
  return found;
}

const char *
ui_child_label (GtkWidget  *widget,
                GType       type,
                const char *name)
{
  GObject *child = gtk_widget_get_template_child (widget, type, name);

  g_assert_true (GTK_IS_LABEL (child));
  return gtk_label_get_text (GTK_LABEL (child));
}

GtkWidget *
ui_sidebar_child (GtkWidget  *window,
                  const char *name)
{
  GObject *sidebar = gtk_widget_get_template_child (window, g_type_from_name ("ConfabWindow"),
                                                    "sidebar");
  GObject *child;

  g_assert_nonnull (sidebar);
  child = gtk_widget_get_template_child (GTK_WIDGET (sidebar), g_type_from_name ("ConfabSidebar"),
                                         name);
  g_assert_nonnull (child);
  return GTK_WIDGET (child);
}

gboolean
ui_child_visible (GtkWidget  *widget,
                  GType       type,
                  const char *name)
{
  GObject *child = gtk_widget_get_template_child (widget, type, name);

  g_assert_true (GTK_IS_WIDGET (child));
  return gtk_widget_get_visible (GTK_WIDGET (child));
}

char *
ui_save_png (GtkWidget  *widget,
             const char *name)
{
  int width = gtk_widget_get_width (widget);
  int height = gtk_widget_get_height (widget);
  g_autoptr(GdkPaintable) paintable = gtk_widget_paintable_new (widget);
  GtkSnapshot *snapshot = gtk_snapshot_new ();
  g_autoptr(GskRenderNode) node = NULL;
  g_autoptr(GdkTexture) texture = NULL;
  GskRenderer *renderer = gtk_native_get_renderer (gtk_widget_get_native (widget));
  char *path = g_test_build_filename (G_TEST_BUILT, name, NULL);

  g_assert_cmpint (width, >, 0);
  g_assert_cmpint (height, >, 0);

  gdk_paintable_snapshot (paintable, snapshot, width, height);
  node = gtk_snapshot_free_to_node (snapshot);
  g_assert_nonnull (node);
  texture = gsk_renderer_render_texture (renderer, node, &GRAPHENE_RECT_INIT (0, 0, width, height));
  g_assert_true (gdk_texture_save_to_png (texture, path));
  g_test_message ("Saved %s", path);

  return path;
}
