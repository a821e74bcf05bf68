/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <json-glib/json-glib.h>

G_BEGIN_DECLS

/* What a room's ephemeral events and account data say about its members:
 * who is typing, where each one's read receipt is, and our fully-read
 * marker. Kept by MatrixRoom; the receipts and the marker go into its room
 * data, so that a restart still has them. */
typedef struct _MatrixReceipts MatrixReceipts;

typedef enum {
  MATRIX_RECEIPTS_CHANGED_TYPING     = 1 << 0,
  MATRIX_RECEIPTS_CHANGED_RECEIPTS   = 1 << 1,
  MATRIX_RECEIPTS_CHANGED_FULLY_READ = 1 << 2,
} MatrixReceiptsChanged;

MatrixReceipts        *_matrix_receipts_new                (void);
void                   _matrix_receipts_free               (MatrixReceipts *self);
/* m.typing and m.receipt events (JsonObject with "type" and "content");
 * @own_user_id is never among those typing. */
MatrixReceiptsChanged  _matrix_receipts_apply_ephemeral    (MatrixReceipts *self,
                                                            GPtrArray      *events,
                                                            const char     *own_user_id);
/* m.fully_read among the room's account data events. */
MatrixReceiptsChanged  _matrix_receipts_apply_account_data (MatrixReceipts *self,
                                                            GPtrArray      *events);
const char * const    *_matrix_receipts_get_typing         (MatrixReceipts *self);
const char            *_matrix_receipts_get_receipt        (MatrixReceipts *self,
                                                            const char     *user_id);
GStrv                  _matrix_receipts_dup_readers        (MatrixReceipts *self,
                                                            const char     *event_id);
const char            *_matrix_receipts_get_fully_read     (MatrixReceipts *self);
/* Into and out of the room data: "receipts" and "fully_read" members. */
void                   _matrix_receipts_save               (MatrixReceipts *self,
                                                            JsonObject     *data);
void                   _matrix_receipts_restore            (MatrixReceipts *self,
                                                            JsonObject     *data);

G_END_DECLS
