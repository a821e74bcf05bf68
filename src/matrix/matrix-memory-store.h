/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "matrix-store.h"

G_BEGIN_DECLS

#define MATRIX_TYPE_MEMORY_STORE (matrix_memory_store_get_type ())
G_DECLARE_FINAL_TYPE (MatrixMemoryStore, matrix_memory_store, MATRIX, MEMORY_STORE, GObject)

MatrixStore *matrix_memory_store_new          (void);
MatrixStore *matrix_memory_store_new_for_file (const char           *path,
                                               GError              **error);
GFile       *matrix_memory_store_get_file     (MatrixMemoryStore    *self);
void         matrix_memory_store_save_async   (MatrixMemoryStore    *self,
                                               GCancellable         *cancellable,
                                               GAsyncReadyCallback   callback,
                                               gpointer              user_data);
gboolean     matrix_memory_store_save_finish  (MatrixMemoryStore    *self,
                                               GAsyncResult         *result,
                                               GError              **error);

G_END_DECLS
