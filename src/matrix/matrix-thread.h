/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <gio/gio.h>

#include "matrix-event.h"
#include "matrix-timeline.h"

G_BEGIN_DECLS

#define MATRIX_TYPE_THREAD (matrix_thread_get_type ())
G_DECLARE_FINAL_TYPE (MatrixThread, matrix_thread, MATRIX, THREAD, GObject)

const char   *matrix_thread_get_root_event_id (MatrixThread        *self);
MatrixEvent  *matrix_thread_get_root          (MatrixThread        *self);
gboolean      matrix_thread_get_loading       (MatrixThread        *self);
void          matrix_thread_load_async        (MatrixThread        *self,
                                               GCancellable        *cancellable,
                                               GAsyncReadyCallback  callback,
                                               gpointer             user_data);
gboolean      matrix_thread_load_finish       (MatrixThread        *self,
                                               GAsyncResult        *result,
                                               GError             **error);
void          matrix_thread_send_async        (MatrixThread        *self,
                                               const char          *body,
                                               GCancellable        *cancellable,
                                               GAsyncReadyCallback  callback,
                                               gpointer             user_data);
char         *matrix_thread_send_finish       (MatrixThread        *self,
                                               GAsyncResult        *result,
                                               GError             **error);

G_END_DECLS
