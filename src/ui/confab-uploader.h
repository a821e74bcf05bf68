/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gtk/gtk.h>

#include "matrix.h"

G_BEGIN_DECLS

#define CONFAB_TYPE_UPLOADER (confab_uploader_get_type ())
G_DECLARE_FINAL_TYPE (ConfabUploader, confab_uploader, CONFAB, UPLOADER, GtkWidget)

GtkWidget *confab_uploader_new           (void);
void       confab_uploader_set_room      (ConfabUploader *self,
                                          MatrixRoom     *room);
void       confab_uploader_send_file     (ConfabUploader *self,
                                          GFile          *file);
void       confab_uploader_send_texture  (ConfabUploader *self,
                                          GdkTexture     *texture);
void       confab_uploader_choose_files  (ConfabUploader *self);
/* For tests: the uploads shown, and the text of upload @index's status. */
guint      confab_uploader_get_n_uploads (ConfabUploader *self);
const char *confab_uploader_get_status   (ConfabUploader *self,
                                          guint           index);

G_END_DECLS
