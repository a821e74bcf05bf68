/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <json-glib/json-glib.h>

#include "matrix-event.h"

G_BEGIN_DECLS

/* What every MatrixStore keeps in memory, so that reads never block: named
 * values, current state per (room, type, state key), each room's cached
 * timeline (de-duplicated by event id) and room metadata. MatrixMemoryStore
 * is this alone; MatrixSqliteStore also writes it to disk. Not thread-safe:
 * one thread at a time. */
typedef struct {
  GHashTable *values;     /* key -> value */
  GHashTable *state;      /* room id -> type -> state key -> MatrixStateEvent */
  GHashTable *timelines;  /* room id -> GPtrArray of MatrixEvent, oldest first */
  GHashTable *event_ids;  /* room id -> set of the event ids in its timeline */
  GHashTable *room_data;  /* room id -> JsonObject */
} MatrixStoreCache;

MatrixStoreCache *_matrix_store_cache_new            (void);
void              _matrix_store_cache_free           (MatrixStoreCache *cache);
void              _matrix_store_cache_clear          (MatrixStoreCache *cache);
gboolean          _matrix_store_cache_set_value      (MatrixStoreCache *cache,
                                                      const char       *key,
                                                      const char       *value);
void              _matrix_store_cache_set_state      (MatrixStoreCache *cache,
                                                      MatrixStateEvent *event);
MatrixStateEvent *_matrix_store_cache_get_state      (MatrixStoreCache *cache,
                                                      const char       *room_id,
                                                      const char       *event_type,
                                                      const char       *state_key);
GPtrArray        *_matrix_store_cache_get_states     (MatrixStoreCache *cache,
                                                      const char       *room_id,
                                                      const char       *event_type);
GStrv             _matrix_store_cache_get_room_ids   (MatrixStoreCache *cache);
gboolean          _matrix_store_cache_add_event      (MatrixStoreCache *cache,
                                                      const char       *room_id,
                                                      MatrixEvent      *event);
gboolean          _matrix_store_cache_replace_event  (MatrixStoreCache *cache,
                                                      const char       *room_id,
                                                      MatrixEvent      *event);
void              _matrix_store_cache_trim_timeline  (MatrixStoreCache *cache,
                                                      const char       *room_id,
                                                      guint             limit);
GPtrArray        *_matrix_store_cache_get_timeline   (MatrixStoreCache *cache,
                                                      const char       *room_id);
void              _matrix_store_cache_set_room_data  (MatrixStoreCache *cache,
                                                      const char       *room_id,
                                                      JsonObject       *data);
JsonObject       *_matrix_store_cache_get_room_data  (MatrixStoreCache *cache,
                                                      const char       *room_id);
void              _matrix_store_cache_forget_room    (MatrixStoreCache *cache,
                                                      const char       *room_id);
/* For what is read from disk after the cache was written to: the cache is
 * newer, so it wins. */
gboolean          _matrix_store_cache_merge_state    (MatrixStoreCache *cache,
                                                      MatrixStateEvent *event);
void              _matrix_store_cache_merge_older    (MatrixStoreCache *cache,
                                                      const char       *room_id,
                                                      GPtrArray        *older);

G_END_DECLS
