/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <adwaita.h>

#include "matrix.h"

G_BEGIN_DECLS

#define CONFAB_TYPE_TYPING_INDICATOR (confab_typing_indicator_get_type ())
G_DECLARE_FINAL_TYPE (ConfabTypingIndicator, confab_typing_indicator, CONFAB, TYPING_INDICATOR, GtkWidget)

GtkWidget *confab_typing_indicator_new      (void);
void       confab_typing_indicator_set_room (ConfabTypingIndicator *self,
                                             MatrixRoom            *room);
/* "Alice is typing…", "Alice and Bob are typing…", "Alice, Bob and 2
 * others are typing…"; NULL if nobody is. */
char      *confab_typing_text               (MatrixRoom            *room,
                                             const char * const    *user_ids);

G_END_DECLS
