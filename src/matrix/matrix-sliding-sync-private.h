/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <json-glib/json-glib.h>

#include "matrix-sync-private.h"

G_BEGIN_DECLS

/* Simplified sliding sync (MSC4186), matrix-sliding-sync.c: the request
 * body, and the response read into the same MatrixSyncResponse a /v3/sync
 * body becomes, so that everything after the parse is shared. */

/* The path below /_matrix/client/ of the unstable endpoint. */
#define MATRIX_SLIDING_SYNC_UNSTABLE_PATH "unstable/org.matrix.simplified_msc3575/sync"
#define MATRIX_SLIDING_SYNC_STABLE_PATH   "v4/sync"

/* The sync token a sliding response is stored under: its `pos` behind this
 * prefix, so that a switch of protocol never sends one protocol's token as
 * the other's. */
#define MATRIX_SLIDING_SYNC_TOKEN_PREFIX  "msc4186~"
/* The to-device extension's `next_batch`, committed with the pos. */
#define MATRIX_SLIDING_SYNC_KEY_TO_DEVICE "sliding_sync_to_device_since"

/* The first window of the room list, and the longer timeline of the open
 * room. */
#define MATRIX_SLIDING_SYNC_FIRST_WINDOW      20
#define MATRIX_SLIDING_SYNC_LIST_TIMELINE     10
#define MATRIX_SLIDING_SYNC_OPEN_TIMELINE     50

typedef enum {
  MATRIX_SLIDING_SYNC_NONE,      /* the server does not offer it */
  MATRIX_SLIDING_SYNC_UNSTABLE,  /* org.matrix.simplified_msc3575 */
  MATRIX_SLIDING_SYNC_STABLE,    /* /v4/sync */
} MatrixSlidingSyncSupport;

/* What a sliding response adds to a MatrixSyncResponse. */
struct _MatrixSlidingSyncExtras {
  char       *pos;
  gint64      list_count;          /* the "all" list's count; -1 if not said */
  char       *to_device_since;     /* nullable */
  GHashTable *bump_stamps;         /* room id → gint64*; rooms that had one */
};

typedef struct {
  gint64      range_end;          /* the list's range is [0, range_end] */
  const char *open_room;          /* nullable */
  const char *to_device_since;    /* nullable */
} MatrixSlidingSyncRequest;

MatrixSlidingSyncSupport _matrix_sliding_sync_support  (JsonObject  *versions);

/* The sliding pos in a stored sync token, or NULL when it is a /v3 one. */
const char         *_matrix_sliding_sync_pos_of_token  (const char  *token);
gboolean            _matrix_sliding_sync_is_token      (const char  *token);

JsonNode           *_matrix_sliding_sync_request_body  (const MatrixSlidingSyncRequest *request);

/* @user_id tells rooms the user left (their own membership leave or ban)
 * from joined ones. The response's next_batch is the prefixed pos. */
MatrixSyncResponse *_matrix_sliding_sync_parse         (GBytes      *body,
                                                        const char  *user_id,
                                                        GError     **error);


G_END_DECLS
