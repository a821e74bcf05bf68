/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "matrix-push-evaluator-private.h"
#include "matrix-timeline.h"

G_BEGIN_DECLS

/* At most this many rows are read back from the newest to find the read
 * receipt: the counts stop there ("99+" is all a badge says anyway), and a
 * recount costs the same however long the room's history. */
#define MATRIX_UNREAD_MAX_ROWS 500

/* Counts what the push rules say notifies, and highlights, among the rows
 * of @timeline newer than the user's read receipt (the newest row whose id
 * is in @read_ids), the user's own events (which say the user read what
 * came before them), a gap, or MATRIX_UNREAD_MAX_ROWS rows. Encrypted rows
 * count by their plaintext once decrypted. Returns FALSE when a row still
 * waits for its decryption (@decrypting: the client can decrypt): the
 * counts are not final, and the timeline changes once it is decrypted. */
gboolean _matrix_unread_count (MatrixTimeline          *timeline,
                               const char * const      *read_ids,
                               JsonObject              *push_rules,
                               const MatrixPushContext *context,
                               gboolean                 decrypting,
                               guint                   *notifications,
                               guint                   *highlights);

G_END_DECLS
