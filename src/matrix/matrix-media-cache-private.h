/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "matrix-media-cache.h"

G_BEGIN_DECLS

/* A new temporary file's name in the cache's directory (not created): a
 * download is written there, then committed. Leftovers are deleted the next
 * time a cache reads the directory. Call after a lookup, which creates the
 * directory. */
GFile *_matrix_media_cache_new_temp_file  (MatrixMediaCache    *self);
/* Renames @temp into the cache as @key, atomically, and evicts what no
 * longer fits (never @key itself); finish returns the cached file. */
void   _matrix_media_cache_commit_async   (MatrixMediaCache    *self,
                                           const char          *key,
                                           GFile               *temp,
                                           GAsyncReadyCallback  callback,
                                           gpointer             user_data);
GFile *_matrix_media_cache_commit_finish  (MatrixMediaCache    *self,
                                           GAsyncResult        *result,
                                           GError             **error);

G_END_DECLS
