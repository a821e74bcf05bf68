/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "matrix.h"

G_BEGIN_DECLS

/* How the timeline shows an event that is not a message: one plain-text,
 * translated line such as "Alice changed the topic to …". Returns NULL for a
 * message (m.room.message with a body), which is shown as a message instead.
 * Never fails: an event it does not know is described by its type. */
char *confab_event_describe (MatrixRoom  *room,
                             MatrixEvent *event);

/* The display name of @user_id in @room, or @user_id itself. */
char *confab_event_dup_name (MatrixRoom  *room,
                             const char  *user_id);

/* Under a thread's root: "3 replies · Bob: the newest reply". */
char     *confab_thread_summary     (MatrixRoom         *room,
                                     MatrixTimelineItem *root);
/* Whether @item's message names the user (their id or display name): a
 * message to highlight. */
gboolean  confab_item_mentions_user (MatrixRoom         *room,
                                     MatrixTimelineItem *item);

G_END_DECLS
