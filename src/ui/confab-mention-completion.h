/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <adwaita.h>

#include "matrix.h"

G_BEGIN_DECLS

#define CONFAB_TYPE_MENTION_COMPLETION (confab_mention_completion_get_type ())
G_DECLARE_FINAL_TYPE (ConfabMentionCompletion, confab_mention_completion, CONFAB, MENTION_COMPLETION, GObject)

/* Completes "@" and the start of a member's name in @text_view, with a
 * popover parented to @parent (which unparents it when disposed). */
ConfabMentionCompletion *confab_mention_completion_new      (GtkTextView *text_view,
                                                             GtkWidget   *parent);
void                     confab_mention_completion_set_room (ConfabMentionCompletion *self,
                                                             MatrixRoom              *room);
/* After the user changed the text: shows, updates or hides the list. */
void                     confab_mention_completion_update   (ConfabMentionCompletion *self);
/* A key while the list is shown: Up, Down, Tab, Enter, Escape. Returns
 * TRUE if the completion took it. */
gboolean                 confab_mention_completion_key      (ConfabMentionCompletion *self,
                                                             guint                    keyval);
gboolean                 confab_mention_completion_get_shown (ConfabMentionCompletion *self);
/* The names inserted so far that are still in @text, with their user ids;
 * forgotten with confab_mention_completion_clear(). */
GHashTable              *confab_mention_completion_get_mentions (ConfabMentionCompletion *self);
void                     confab_mention_completion_clear    (ConfabMentionCompletion *self);

G_END_DECLS
