/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "matrix-event.h"
#include "matrix-timeline-item.h"

G_BEGIN_DECLS

char *matrix_html_to_pango_markup  (const char  *html,
                                    gssize       length);
char *matrix_text_to_pango_markup  (const char  *text,
                                    gssize       length);
char *matrix_event_dup_body_markup (MatrixEvent *event);
char *matrix_timeline_item_dup_body_markup (MatrixTimelineItem *item);

G_END_DECLS
