/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "matrix-store.h"

G_BEGIN_DECLS

#define MATRIX_TYPE_MEMORY_STORE (matrix_memory_store_get_type ())
G_DECLARE_FINAL_TYPE (MatrixMemoryStore, matrix_memory_store, MATRIX, MEMORY_STORE, GObject)

MatrixStore *matrix_memory_store_new (void);

G_END_DECLS
