/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gtk/gtk.h>

#include "confab-media-viewer.h"
#include "matrix.h"

G_BEGIN_DECLS

#define CONFAB_TYPE_MEDIA_ROW (confab_media_row_get_type ())
G_DECLARE_FINAL_TYPE (ConfabMediaRow, confab_media_row, CONFAB, MEDIA_ROW, GtkWidget)

/* The largest an image is shown in the timeline, in application pixels. */
#define CONFAB_MEDIA_ROW_MAX_WIDTH  320
#define CONFAB_MEDIA_ROW_MAX_HEIGHT 240
/* The longer side of a blurhash placeholder as painted, before scaling up. */
#define CONFAB_MEDIA_ROW_BLURHASH_SIZE 32

GtkWidget  *confab_media_row_new          (void);
gboolean    confab_media_row_set_item     (ConfabMediaRow     *self,
                                           MatrixRoom         *room,
                                           MatrixTimelineItem *item);
ConfabMediaViewer *confab_media_row_activate (ConfabMediaRow *self);
gboolean    confab_media_row_has_caption  (ConfabMediaRow     *self);
/* For tests: what the row shows ("placeholder", "loading", "image",
 * "failed", "file"), and the reason of a failure. */
const char *confab_media_row_get_state    (ConfabMediaRow     *self);
const char *confab_media_row_get_message  (ConfabMediaRow     *self);
void        confab_media_row_get_display_size (ConfabMediaRow *self,
                                               int            *width,
                                               int            *height);

G_END_DECLS
