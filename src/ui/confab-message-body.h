/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gtk/gtk.h>

#include "matrix.h"

G_BEGIN_DECLS

/* A message longer than this shows its start and "Show more"... */
#define CONFAB_MESSAGE_BODY_MAX_CHARS 2000
#define CONFAB_MESSAGE_BODY_MAX_LINES 30
/* ...this much of it. */
#define CONFAB_MESSAGE_BODY_START_CHARS 300
#define CONFAB_MESSAGE_BODY_START_LINES 8

#define CONFAB_TYPE_MESSAGE_BODY (confab_message_body_get_type ())
G_DECLARE_FINAL_TYPE (ConfabMessageBody, confab_message_body, CONFAB, MESSAGE_BODY, GtkWidget)

GtkWidget *confab_message_body_new          (void);
GtkLabel  *confab_message_body_get_label    (ConfabMessageBody *self);
void       confab_message_body_set_label    (ConfabMessageBody *self,
                                             GtkLabel          *label);
void       confab_message_body_set_message  (ConfabMessageBody  *self,
                                             MatrixTimelineItem *item,
                                             const char         *emote_sender);
gboolean   confab_message_body_get_collapsed (ConfabMessageBody *self);
void       confab_message_body_set_expanded (ConfabMessageBody *self,
                                             gboolean           expanded);

G_END_DECLS
