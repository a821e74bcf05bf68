/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gtk/gtk.h>

G_BEGIN_DECLS

#define CONFAB_TYPE_WRAP_BIN (confab_wrap_bin_get_type ())
G_DECLARE_FINAL_TYPE (ConfabWrapBin, confab_wrap_bin, CONFAB, WRAP_BIN, GtkWidget)

GtkWidget *confab_wrap_bin_new       (void);
GtkWidget *confab_wrap_bin_get_child (ConfabWrapBin *self);
void       confab_wrap_bin_set_child (ConfabWrapBin *self,
                                      GtkWidget     *child);
void       confab_wrap_bin_invalidate (ConfabWrapBin *self);
guint      confab_wrap_bin_get_n_measured (ConfabWrapBin *self);

G_END_DECLS
