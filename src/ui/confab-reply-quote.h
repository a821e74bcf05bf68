/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <adwaita.h>

#include "matrix.h"

G_BEGIN_DECLS

#define CONFAB_TYPE_REPLY_QUOTE (confab_reply_quote_get_type ())
G_DECLARE_FINAL_TYPE (ConfabReplyQuote, confab_reply_quote, CONFAB, REPLY_QUOTE, GtkWidget)

GtkWidget *confab_reply_quote_new      (void);
/* Shows what @item (a reply, or not: then the quote hides) answers. */
void       confab_reply_quote_set_item (ConfabReplyQuote   *self,
                                        MatrixRoom         *room,
                                        MatrixTimelineItem *item);
/* One line, at most @max_chars characters, of @body: what a quote shows. */
char      *confab_reply_quote_shorten  (const char         *body,
                                        guint               max_chars);

G_END_DECLS
