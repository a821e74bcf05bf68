/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "confab-preferences"

#include "config.h"

#include <glib/gi18n.h>

#include "confab-media-loader.h"
#include "confab-preferences.h"

/**
 * confab_preferences_new:
 * @parent: (nullable): the window it goes over
 *
 * The rows are bound to the settings, so a change applies at once; run
 * without the schema (from a build folder), they show the defaults and are
 * insensitive.
 *
 * Returns: (transfer full): a new, unshown preferences window
 */
GtkWindow *
confab_preferences_new (GtkWindow *parent)
{
  GSettings *settings = confab_media_settings ();
  AdwPreferencesWindow *window = ADW_PREFERENCES_WINDOW (adw_preferences_window_new ());
  AdwPreferencesPage *page = ADW_PREFERENCES_PAGE (adw_preferences_page_new ());
  AdwPreferencesGroup *group = ADW_PREFERENCES_GROUP (adw_preferences_group_new ());
  AdwActionRow *auto_row = ADW_ACTION_ROW (adw_action_row_new ());
  AdwActionRow *cache_row = ADW_ACTION_ROW (adw_action_row_new ());
  GtkWidget *toggle = gtk_switch_new ();
  GtkWidget *spin = gtk_spin_button_new_with_range (10, 100000, 50);

  gtk_window_set_transient_for (GTK_WINDOW (window), parent);
  gtk_window_set_modal (GTK_WINDOW (window), TRUE);
  adw_preferences_page_set_title (page, _("General"));
  adw_preferences_page_set_icon_name (page, "preferences-system-symbolic");
  adw_preferences_group_set_title (group, _("Media"));

  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (auto_row), _("Load Images Automatically"));
  adw_action_row_set_subtitle (auto_row, _("When off, an image is downloaded when it is clicked"));
  gtk_widget_set_valign (toggle, GTK_ALIGN_CENTER);
  adw_action_row_add_suffix (auto_row, toggle);
  adw_action_row_set_activatable_widget (auto_row, toggle);

  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (cache_row), _("Media Cache Size"));
  adw_action_row_set_subtitle (cache_row,
                               _("Megabytes of downloaded files kept; the least recently used go first"));
  gtk_widget_set_valign (spin, GTK_ALIGN_CENTER);
  gtk_spin_button_set_value (GTK_SPIN_BUTTON (spin), 500);
  gtk_switch_set_active (GTK_SWITCH (toggle), TRUE);
  adw_action_row_add_suffix (cache_row, spin);

  if (settings != NULL)
    {
      g_settings_bind (settings, "media-auto-load", toggle, "active", G_SETTINGS_BIND_DEFAULT);
      g_settings_bind (settings, "media-cache-size", spin, "value", G_SETTINGS_BIND_DEFAULT);
    }
  else
    {
      gtk_widget_set_sensitive (GTK_WIDGET (auto_row), FALSE);
      gtk_widget_set_sensitive (GTK_WIDGET (cache_row), FALSE);
    }

  adw_preferences_group_add (group, GTK_WIDGET (auto_row));
  adw_preferences_group_add (group, GTK_WIDGET (cache_row));
  adw_preferences_page_add (page, group);
  adw_preferences_window_add (window, page);
  return GTK_WINDOW (window);
}
